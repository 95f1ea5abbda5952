//! The package's own description of itself: npm's `package.json` (`bin`, `main`, `exports`,
//! install-time `scripts`), a VS Code extension's manifest, a wheel's `METADATA` and
//! `entry_points.txt`, an sdist's `PKG-INFO`, a Chrome extension's `manifest.json`.
//! Entry points are resolved to member paths: later stages start their call paths there.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which ecosystem a manifest belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Ecosystem {
    Npm,
    Vscode,
    Python,
    Chrome,
}

/// How an entry point gets run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// npm `bin`: a command on the user's PATH.
    Bin,
    /// npm `main` / `module`: what `require`/`import` of the package loads.
    Main,
    /// npm `exports` targets.
    Exports,
    /// npm `browser` field.
    Browser,
    /// Runs at install time (`preinstall`, `install`, `postinstall`, `prepare`, an sdist's
    /// `setup.py`).
    InstallScript,
    /// A VS Code extension's `main`, whose `activate` the editor calls.
    Activate,
    /// Python `console_scripts` / `gui_scripts`.
    ConsoleScript,
    /// A Chrome extension's background script or service worker.
    Background,
    /// A Chrome extension's content script, injected into pages.
    ContentScript,
}

/// One way the package's code gets started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EntryPoint {
    pub kind: EntryKind,
    /// The command or key that names it (`claude`, `postinstall`, `.`).
    pub name: String,
    /// What the manifest says, verbatim (`./cli.js`, `node scripts/x.js`, `aider.main:main`).
    pub target: String,
    /// The member it resolves to, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The manifest it was declared in.
    pub manifest: String,
}

/// A command npm (or pip, for an sdist) runs while installing the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InstallScript {
    /// `preinstall`, `install`, `postinstall`, `prepare`, or `setup.py`.
    pub event: String,
    pub command: String,
    pub manifest: String,
    /// Byte span of the `"event": "command"` pair in the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<(u32, u32)>,
}

/// What one manifest says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Manifest {
    /// Member path of the manifest.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<Ecosystem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub entry_points: Vec<EntryPoint>,
    pub install_scripts: Vec<InstallScript>,
    /// A VS Code extension's `activationEvents` (`*` and `onStartupFinished` run it always).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activation_events: Vec<String>,
}

/// npm lifecycle scripts that run when a user installs the package.
const INSTALL_EVENTS: [&str; 4] = ["preinstall", "install", "postinstall", "prepare"];

/// Finds and reads every manifest at the root of the package and of each nested archive.
/// `paths` lists all members; `read` returns the bytes of a member that was kept.
pub fn read_manifests<'a>(paths: &BTreeSet<String>, read: impl Fn(&str) -> Option<&'a [u8]>) -> Vec<Manifest> {
    let mut manifests: Vec<Manifest> = candidates(paths)
        .into_iter()
        .filter_map(|path| {
            let text = String::from_utf8_lossy(read(&path)?).into_owned();
            let file_name = path.rsplit('/').next().unwrap_or(&path);
            match file_name {
                "package.json" => npm(&path, &text, paths),
                "manifest.json" => chrome(&path, &text, paths),
                "METADATA" | "PKG-INFO" => Some(python(&path, &text, paths, &read)),
                _ => None,
            }
        })
        .collect();
    // The package's own manifest first: fewest nesting levels, then shallowest.
    manifests.sort_by_key(|m| (m.path.matches("!/").count(), m.path.matches('/').count()));
    manifests
}

/// Manifests at an archive root: `package.json` directly in the root or one folder down
/// (`package/`, `extension/`), never inside `node_modules`; wheel and sdist metadata.
fn candidates(paths: &BTreeSet<String>) -> Vec<String> {
    paths.iter().filter(|path| is_manifest(path)).cloned().collect()
}

fn is_manifest(path: &str) -> bool {
    let (depth, file_name, local) = place(path);
    match file_name {
        "package.json" | "manifest.json" => depth <= 1 && !local.contains("node_modules"),
        "METADATA" => depth == 1 && local.contains(".dist-info/"),
        "PKG-INFO" => depth == 1,
        _ => false,
    }
}

/// Whether [`read_manifests`] reads the file at `path`: a manifest, or a Python package's
/// `entry_points.txt` beside one.
pub fn is_manifest_text(path: &str) -> bool {
    let (depth, file_name, _) = place(path);
    is_manifest(path) || (file_name == "entry_points.txt" && depth == 1)
}

/// How many folders deep `path` is within its archive, its file name, and its path there.
fn place(path: &str) -> (usize, &str, &str) {
    let local = path.rsplit("!/").next().unwrap_or(path);
    let file_name = local.rsplit('/').next().unwrap_or(local);
    (local.matches('/').count(), file_name, local)
}

fn npm(path: &str, text: &str, paths: &BTreeSet<String>) -> Option<Manifest> {
    let json: Value = serde_json::from_str(text).ok()?;
    let object = json.as_object()?;
    let base = parent(path);
    let string = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
    let is_vscode = object.get("engines").and_then(|e| e.get("vscode")).is_some();
    let mut manifest = Manifest {
        path: path.to_string(),
        ecosystem: Some(if is_vscode { Ecosystem::Vscode } else { Ecosystem::Npm }),
        name: string("name"),
        version: string("version"),
        description: string("description"),
        ..Manifest::default()
    };
    let mut add = |kind: EntryKind, name: &str, target: &str| {
        manifest.entry_points.push(EntryPoint {
            kind,
            name: name.to_string(),
            target: target.to_string(),
            file: resolve(&base, target, paths),
            manifest: path.to_string(),
        });
    };
    match object.get("bin") {
        Some(Value::String(target)) => {
            let name = string("name").unwrap_or_default();
            let command = name.rsplit('/').next().unwrap_or(&name).to_string();
            add(EntryKind::Bin, &command, target);
        }
        Some(Value::Object(bins)) => {
            for (name, target) in bins {
                if let Some(target) = target.as_str() {
                    add(EntryKind::Bin, name, target);
                }
            }
        }
        _ => {}
    }
    for key in ["main", "module"] {
        if let Some(target) = object.get(key).and_then(Value::as_str) {
            let kind = if is_vscode && key == "main" {
                EntryKind::Activate
            } else {
                EntryKind::Main
            };
            add(kind, key, target);
        }
    }
    if let Some(target) = object.get("browser").and_then(Value::as_str) {
        add(EntryKind::Browser, "browser", target);
    }
    if let Some(exports) = object.get("exports") {
        let mut targets = Vec::new();
        export_targets(".", exports, &mut targets);
        for (name, target) in targets {
            add(EntryKind::Exports, &name, &target);
        }
    }
    if let Some(scripts) = object.get("scripts").and_then(Value::as_object) {
        for event in INSTALL_EVENTS {
            let Some(command) = scripts.get(event).and_then(Value::as_str) else {
                continue;
            };
            manifest.install_scripts.push(InstallScript {
                event: event.to_string(),
                command: command.to_string(),
                manifest: path.to_string(),
                span: key_value_span(text, event),
            });
            for script in script_files(command) {
                add(EntryKind::InstallScript, event, &script);
            }
        }
    }
    if let Some(events) = object.get("activationEvents").and_then(Value::as_array) {
        manifest.activation_events = events.iter().filter_map(Value::as_str).map(str::to_string).collect();
    }
    Some(manifest)
}

/// Flattens an `exports` map into (subpath, target) pairs; conditions (`import`, `require`,
/// `node`, `default`) are followed into every branch.
fn export_targets(subpath: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(target) => out.push((subpath.to_string(), target.clone())),
        Value::Array(items) => items.iter().for_each(|v| export_targets(subpath, v, out)),
        Value::Object(map) => {
            for (key, v) in map {
                let next = if key.starts_with('.') { key.as_str() } else { subpath };
                export_targets(next, v, out);
            }
        }
        _ => {}
    }
}

/// JavaScript files an npm script command runs (`node scripts/x.js && node y.mjs`).
fn script_files(command: &str) -> Vec<String> {
    command
        .split(|c: char| c.is_whitespace() || matches!(c, '&' | '|' | ';' | '"' | '\''))
        .filter(|word| [".js", ".mjs", ".cjs", ".ts"].iter().any(|ext| word.ends_with(ext)) && !word.contains("://"))
        .map(str::to_string)
        .collect()
}

fn chrome(path: &str, text: &str, paths: &BTreeSet<String>) -> Option<Manifest> {
    let json: Value = serde_json::from_str(text).ok()?;
    json.get("manifest_version")?;
    let base = parent(path);
    let mut manifest = Manifest {
        path: path.to_string(),
        ecosystem: Some(Ecosystem::Chrome),
        name: json.get("name").and_then(Value::as_str).map(str::to_string),
        version: json.get("version").and_then(Value::as_str).map(str::to_string),
        ..Manifest::default()
    };
    let mut targets = Vec::new();
    if let Some(background) = json.get("background") {
        if let Some(worker) = background.get("service_worker").and_then(Value::as_str) {
            targets.push((EntryKind::Background, worker.to_string()));
        }
        for script in background
            .get("scripts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(script) = script.as_str() {
                targets.push((EntryKind::Background, script.to_string()));
            }
        }
    }
    for content in json
        .get("content_scripts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for script in content.get("js").and_then(Value::as_array).into_iter().flatten() {
            if let Some(script) = script.as_str() {
                targets.push((EntryKind::ContentScript, script.to_string()));
            }
        }
    }
    for (kind, target) in targets {
        manifest.entry_points.push(EntryPoint {
            kind,
            name: target.clone(),
            file: resolve(&base, &target, paths),
            target,
            manifest: path.to_string(),
        });
    }
    Some(manifest)
}

/// A wheel's `METADATA` (with `entry_points.txt` beside it) or an sdist's `PKG-INFO`.
fn python<'a>(path: &str, text: &str, paths: &BTreeSet<String>, read: &impl Fn(&str) -> Option<&'a [u8]>) -> Manifest {
    let header = |key: &str| {
        text.lines()
            .take_while(|line| !line.is_empty())
            .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
            .map(|value| value.trim().to_string())
    };
    let mut manifest = Manifest {
        path: path.to_string(),
        ecosystem: Some(Ecosystem::Python),
        name: header("Name"),
        version: header("Version"),
        description: header("Summary"),
        ..Manifest::default()
    };
    let base = parent(path);
    // Code of a wheel lives beside its .dist-info folder; an sdist's under its top folder.
    let code_root = if path.ends_with("METADATA") {
        parent(&base)
    } else {
        base.clone()
    };
    let entry_points_txt = format!("{base}entry_points.txt");
    if let Some(bytes) = read(&entry_points_txt) {
        let mut section = String::new();
        for line in String::from_utf8_lossy(bytes).lines() {
            let line = line.trim();
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_string();
            } else if let Some((name, target)) = line.split_once('=')
                && (section == "console_scripts" || section == "gui_scripts")
            {
                let target = target.trim();
                let module = target.split(':').next().unwrap_or(target).trim();
                let module_path = module.replace('.', "/");
                let file = [format!("{module_path}.py"), format!("{module_path}/__init__.py")]
                    .into_iter()
                    .map(|candidate| format!("{code_root}{candidate}"))
                    .find(|candidate| paths.contains(candidate));
                manifest.entry_points.push(EntryPoint {
                    kind: EntryKind::ConsoleScript,
                    name: name.trim().to_string(),
                    target: target.to_string(),
                    file,
                    manifest: entry_points_txt.clone(),
                });
            }
        }
    }
    let setup_py = format!("{base}setup.py");
    if path.ends_with("PKG-INFO") && paths.contains(&setup_py) {
        manifest.install_scripts.push(InstallScript {
            event: "setup.py".to_string(),
            command: "python setup.py install".to_string(),
            manifest: path.to_string(),
            span: None,
        });
        manifest.entry_points.push(EntryPoint {
            kind: EntryKind::InstallScript,
            name: "setup.py".to_string(),
            target: "setup.py".to_string(),
            file: Some(setup_py),
            manifest: path.to_string(),
        });
    }
    manifest
}

/// The folder part of a member path, with its trailing `/` (`package/`), or `` at the root.
fn parent(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(at) => trimmed[..=at].to_string(),
        None => String::new(),
    }
}

/// Resolves a manifest-relative target the way Node does for files: as written, then with `.js`,
/// then as a folder with `index.js`.
fn resolve(base: &str, target: &str, paths: &BTreeSet<String>) -> Option<String> {
    let mut parts: Vec<&str> = base
        .trim_end_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    // Keep the nesting prefix (`x.vsix!`) as one unclimbable part.
    let floor = parts.iter().rposition(|p| p.ends_with('!')).map_or(0, |at| at + 1);
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.len() > floor {
                    parts.pop();
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    [
        joined.clone(),
        format!("{joined}.js"),
        format!("{joined}.cjs"),
        format!("{joined}.mjs"),
        format!("{joined}/index.js"),
    ]
    .into_iter()
    .find(|candidate| paths.contains(candidate))
}

/// The byte span of `"key": "value"` in JSON text (first occurrence of the key as a key).
fn key_value_span(text: &str, key: &str) -> Option<(u32, u32)> {
    let quoted = format!("\"{key}\"");
    let mut from = 0;
    while let Some(found) = text[from..].find(&quoted) {
        let start = from + found;
        let after = text[start + quoted.len()..].trim_start();
        if let Some(value) = after.strip_prefix(':') {
            let value = value.trim_start();
            let value_start = text.len() - value.len();
            let end = if let Some(rest) = value.strip_prefix('"') {
                let mut escaped = false;
                let close = rest.char_indices().find(|&(_, c)| {
                    let done = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    done
                })?;
                value_start + 1 + close.0 + 1
            } else {
                value_start
            };
            return Some((start as u32, end as u32));
        }
        from = start + quoted.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_npm_manifest() {
        let json = r#"{"name":"@acme/tool","version":"1.2.3","bin":{"tool":"cli.js"},
            "main":"./lib/index","exports":{".":{"import":"./esm/index.mjs","require":"./lib/index.js"}},
            "scripts":{"test":"jest","postinstall": "node scripts/post.js && echo done"}}"#;
        let files = paths(&[
            "package/package.json",
            "package/cli.js",
            "package/lib/index.js",
            "package/esm/index.mjs",
            "package/scripts/post.js",
        ]);
        let manifests = read_manifests(&files, |p| (p == "package/package.json").then_some(json.as_bytes()));
        let m = &manifests[0];
        assert_eq!(m.name.as_deref(), Some("@acme/tool"));
        assert_eq!(m.ecosystem, Some(Ecosystem::Npm));
        let resolved: Vec<_> = m
            .entry_points
            .iter()
            .map(|e| (e.kind, e.file.clone().unwrap_or_default()))
            .collect();
        assert!(resolved.contains(&(EntryKind::Bin, "package/cli.js".into())));
        assert!(resolved.contains(&(EntryKind::Main, "package/lib/index.js".into())));
        assert!(resolved.contains(&(EntryKind::Exports, "package/esm/index.mjs".into())));
        assert!(resolved.contains(&(EntryKind::InstallScript, "package/scripts/post.js".into())));
        let script = &m.install_scripts[0];
        assert_eq!(script.event, "postinstall");
        let (start, end) = script.span.unwrap();
        assert_eq!(
            &json[start as usize..end as usize],
            r#""postinstall": "node scripts/post.js && echo done""#
        );
    }

    #[test]
    fn reads_vscode_manifest_in_nested_archive() {
        let json = r#"{"name":"ext","engines":{"vscode":"^1.80.0"},"main":"./out/extension.js","activationEvents":["onStartupFinished"]}"#;
        let files = paths(&[
            "package/x.vsix!/extension/package.json",
            "package/x.vsix!/extension/out/extension.js",
        ]);
        let manifests = read_manifests(&files, |_| Some(json.as_bytes()));
        let m = &manifests[0];
        assert_eq!(m.ecosystem, Some(Ecosystem::Vscode));
        assert_eq!(m.entry_points[0].kind, EntryKind::Activate);
        assert_eq!(
            m.entry_points[0].file.as_deref(),
            Some("package/x.vsix!/extension/out/extension.js")
        );
        assert_eq!(m.activation_events, ["onStartupFinished"]);
    }

    #[test]
    fn reads_wheel_metadata_and_console_scripts() {
        let metadata =
            "Metadata-Version: 2.1\nName: aider-chat\nVersion: 0.86.2\nSummary: AI pair programming\n\nlong text";
        let entry_points = "[console_scripts]\naider = aider.main:main\n";
        let files = paths(&[
            "aider_chat-0.86.2.dist-info/METADATA",
            "aider_chat-0.86.2.dist-info/entry_points.txt",
            "aider/main.py",
        ]);
        let manifests = read_manifests(&files, |p| {
            if p.ends_with("METADATA") {
                Some(metadata.as_bytes())
            } else if p.ends_with("entry_points.txt") {
                Some(entry_points.as_bytes())
            } else {
                None
            }
        });
        let m = &manifests[0];
        assert_eq!(m.name.as_deref(), Some("aider-chat"));
        assert_eq!(m.version.as_deref(), Some("0.86.2"));
        assert_eq!(m.entry_points[0].kind, EntryKind::ConsoleScript);
        assert_eq!(m.entry_points[0].file.as_deref(), Some("aider/main.py"));
    }

    #[test]
    fn ignores_dependency_manifests_and_bad_json() {
        let files = paths(&["package/node_modules/x/package.json", "package/package.json"]);
        let manifests = read_manifests(&files, |_| Some(b"{not json"));
        assert!(manifests.is_empty());
    }

    #[test]
    fn resolution_stays_inside_nested_archive() {
        let files = paths(&["a.vsix!/x.js"]);
        assert_eq!(
            resolve("a.vsix!/", "../../x.js", &files).as_deref(),
            Some("a.vsix!/x.js")
        );
        assert_eq!(parent("package/package.json"), "package/");
        assert_eq!(
            parent("package/a.vsix!/extension/package.json"),
            "package/a.vsix!/extension/"
        );
        assert_eq!(parent("package.json"), "");
    }
}
