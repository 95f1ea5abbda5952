//! The terminal face of a [`Report`]: a summary a person reads top to bottom.

use std::fmt::Write;

use crate::files::FileKind;
use crate::package::human_bytes;
use crate::report::Report;

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
            let _ = writeln!(
                out,
                "  install      {:<14} {}",
                script.event, script.command
            );
        }
    }
    if !report.errors.is_empty() {
        let _ = writeln!(
            out,
            "\nProblems reading the package ({}):",
            report.errors.len()
        );
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
        let note = if file.incomplete {
            "  [incomplete]"
        } else {
            ""
        };
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
