//! The terminal face of a [`Report`]: a summary a person reads top to bottom.

use std::fmt::Write;

use crate::files::FileKind;
use crate::package::human_bytes;
use crate::report::{Category, Finding, Report, RunStatus, Severity};
use crate::rules::RuleSet;

/// Renders the report for a terminal.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let package = &report.package;
    let title = match (&package.name, &package.version) {
        (Some(name), Some(version)) => format!("{name} {version}"),
        (Some(name), None) => name.clone(),
        _ => package.source.clone(),
    };
    let _ = writeln!(out, "{title}  ({} · {})", package.format, package.source);
    let _ = writeln!(out, "  {}", file_summary(report));
    for manifest in &package.manifests {
        for entry in &manifest.entry_points {
            let resolved = entry.file.as_deref().unwrap_or("(not in package)");
            let _ = writeln!(
                out,
                "  entry point  {:<14} {} → {resolved}",
                format!("{:?}", entry.kind).to_lowercase(),
                entry.name
            );
        }
        for script in &manifest.install_scripts {
            let _ = writeln!(out, "  install      {:<14} {}", script.event, script.command);
        }
    }
    render_findings(report, &mut out);
    render_opt_outs(report, &mut out);
    if !report.endpoints.is_empty() {
        let _ = writeln!(out, "\nEndpoints ({}):", report.endpoints.len());
        for endpoint in report
            .endpoints
            .iter()
            .filter(|e| e.class != crate::report::EndpointClass::Docs)
            .take(60)
        {
            let rules = if endpoint.rules.is_empty() {
                String::new()
            } else {
                format!("  [{}]", endpoint.rules.join(", "))
            };
            let _ = writeln!(out, "  {:<10} {}{rules}", endpoint.class.as_str(), endpoint.host);
        }
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "\nProblems reading the package ({}):", report.errors.len());
        for error in &report.errors {
            let _ = writeln!(out, "  {}: {}", error.file, error.message);
        }
    }
    out
}

/// Renders the file listing: kind, size and path of every member.
pub fn render_files(report: &Report) -> String {
    let mut out = String::new();
    for file in &report.files {
        let kind = match file.archive {
            Some(format) => format!("archive:{format}"),
            None if file.minified => format!("{} (min)", file.kind),
            None => file.kind.to_string(),
        };
        let note = if file.incomplete { "  [incomplete]" } else { "" };
        let _ = writeln!(out, "{kind:<18} {:>12}  {}{note}", file.size, file.path);
    }
    let _ = writeln!(out, "{}", file_summary(report));
    out
}

fn file_summary(report: &Report) -> String {
    let count = |kind: FileKind| {
        report
            .files
            .iter()
            .filter(|f| f.kind == kind && f.archive.is_none())
            .count()
    };
    let archives = report.files.iter().filter(|f| f.archive.is_some()).count();
    let minified = report.files.iter().filter(|f| f.minified).count();
    let mut parts = vec![format!(
        "{} files, {} unpacked",
        report.files.len(),
        human_bytes(report.stats.bytes)
    )];
    let scripts = count(FileKind::Javascript) + count(FileKind::Typescript);
    if scripts > 0 {
        parts.push(format!("{scripts} scripts ({minified} minified)"));
    }
    for kind in [
        FileKind::Json,
        FileKind::Python,
        FileKind::Executable,
        FileKind::NodeAddon,
        FileKind::Wasm,
    ] {
        let n = count(kind);
        if n > 0 {
            parts.push(format!("{n} {kind}"));
        }
    }
    if archives > 0 {
        parts.push(format!("{archives} nested archives"));
    }
    parts.join(", ")
}

fn render_findings(report: &Report, out: &mut String) {
    if report.findings.is_empty() {
        let _ = writeln!(out, "\nNo findings.");
        return;
    }
    let shown = |f: &&crate::report::Finding| f.severity > Severity::Info;
    let quiet = report.findings.iter().filter(|f| f.severity == Severity::Info).count();
    for category in Category::ALL {
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.category == category)
            .filter(shown)
            .collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} ({}):", category.as_str().to_uppercase(), findings.len());
        for finding in findings {
            let consequence = finding
                .consequence
                .map(|c| format!(" → {c:?}").to_lowercase())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<8} {} {}:{}:{}{consequence}\n           {}\n           | {}",
                finding.severity.as_str(),
                finding.rule,
                finding.file,
                finding.line,
                finding.column,
                finding.message,
                one_line(&finding.snippet, 140),
            );
            if let Some(path) = path_line(finding) {
                let _ = writeln!(out, "           path: {}", one_line(&path, 200));
            }
            if !finding.guards.is_empty() {
                let switches: Vec<String> = finding
                    .guards
                    .iter()
                    .map(|g| match (g.kind.as_str(), g.disables) {
                        ("server", true) => {
                            format!("{} (server-controlled: runs while the vendor's flag is on)", g.switch)
                        }
                        ("server", false) => format!("{} (server flag, does not stop it)", g.switch),
                        (kind, true) => format!("{} ({kind}, stops it)", g.switch),
                        (kind, false) => format!("{} ({kind}, does not stop it)", g.switch),
                    })
                    .collect();
                let _ = writeln!(out, "           opt-out: {}", switches.join(", "));
            } else if finding.consequence == Some(crate::report::Consequence::Sent)
                && finding.reachability.status == RunStatus::Reachable
            {
                let _ = writeln!(out, "           opt-out: no switch on its path");
            }
        }
    }
    if quiet > 0 {
        let never = report
            .findings
            .iter()
            .filter(|f| f.reachability.status == RunStatus::Unreachable)
            .count();
        let _ = writeln!(
            out,
            "\n({quiet} informational findings not shown, {never} of them in code that never runs; see --format json)"
        );
    }
}

/// The opt-out table: per switch, what it stops and what still leaves when it is set.
fn render_opt_outs(report: &Report, out: &mut String) {
    if report.opt_outs.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nOpt-out switches ({}):", report.opt_outs.len());
    for opt_out in &report.opt_outs {
        let _ = writeln!(
            out,
            "  {} ({}): stops {} send{}; {} still leave{}",
            opt_out.switch,
            opt_out.kind,
            opt_out.stops.len(),
            if opt_out.stops.len() == 1 { "" } else { "s" },
            opt_out.does_not_stop.len(),
            if opt_out.does_not_stop.is_empty() { "" } else { ":" },
        );
        for send in opt_out.does_not_stop.iter().take(8) {
            let _ = writeln!(out, "      {} {}:{}  {}", send.rule, send.file, send.line, send.title);
        }
        if opt_out.does_not_stop.len() > 8 {
            let _ = writeln!(
                out,
                "      … {} more (see --format json)",
                opt_out.does_not_stop.len() - 8
            );
        }
    }
}

/// A finding's path on one line: the functions it passes through, then what happens last.
fn path_line(finding: &Finding) -> Option<String> {
    let last = finding.path.last()?;
    let mut names: Vec<String> = Vec::new();
    for step in &finding.path {
        let name = step.function_label();
        if names.last() != Some(&name) {
            names.push(name);
        }
    }
    if names.len() > 6 {
        let tail = names.split_off(names.len() - 3);
        names.truncate(2);
        names.push("…".into());
        names.extend(tail);
    }
    Some(format!("{} ⇒ {}", names.join(" → "), last.note))
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    format!("{cut}…")
}

/// One line per shipped rule.
pub fn rules_list(rules: &RuleSet) -> String {
    let mut out = String::new();
    for rule in rules.rules() {
        let _ = writeln!(
            out,
            "{:<16} {:<10} {:<8} {}",
            rule.code,
            rule.category.as_str(),
            rule.severity.as_str(),
            rule.title
        );
    }
    out
}

/// The rule reference, generated from the rule files (docs/rules.md).
pub fn rules_markdown(rules: &RuleSet) -> String {
    let mut out = String::from(
        "# Rules\n\nGenerated by `telltale rules --markdown` from the files under `rules/`; do not edit.\n",
    );
    for rule in rules.rules() {
        let _ = writeln!(
            out,
            "\n## {} `{}`\n\n{} · {} · `{}`\n",
            rule.code,
            rule.name,
            rule.category.as_str(),
            rule.severity.as_str(),
            rule.origin
        );
        let _ = writeln!(out, "**{}**\n", rule.title);
        let doc = rule.doc.trim().replace("\n## ", "\n#### ");
        let doc = doc.strip_prefix("## ").map(|d| format!("#### {d}")).unwrap_or(doc);
        let _ = writeln!(out, "{doc}");
        if !rule.examples.fire.is_empty() {
            let _ = writeln!(out, "\nFires on:\n");
            for example in &rule.examples.fire {
                let _ = writeln!(out, "```js\n{example}\n```");
            }
        }
    }
    out
}
