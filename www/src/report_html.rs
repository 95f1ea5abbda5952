//! The report as one self-contained HTML file, made in the page for download: the verdict,
//! the tables of the overview and every finding. No script, no request: its own policy forbids
//! both, and every piece of the package (names, code, messages) is escaped as text.

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute as attribute, encode_text as text};
use telltale::report::{Report, Severity};

use crate::filters::{consequence_name, never_runs};
use crate::invisible::reveal;
use crate::verdict::{Verdict, audit_in_words, uses_in_words};

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1f2328;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}th{background:#151b23!important}}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #8884;padding-bottom:4px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #8884;vertical-align:top}
th{background:#f3f4f6}code,pre{font:12px ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
.sev{font-weight:600;text-transform:uppercase;font-size:11px}.critical,.high{color:#cf222e}.medium{color:#9a6700}.low{color:#0969da}.info{color:#59636e}
.verdict{border:1px solid #8884;border-radius:8px;padding:8px 16px}.dim{color:#59636e}
";

fn title(report: &Report) -> String {
    match (&report.package.name, &report.package.version) {
        (Some(name), Some(version)) => format!("{name} {version}"),
        (Some(name), None) => name.clone(),
        _ => report.package.source.clone(),
    }
}

fn severity(level: Severity) -> String {
    format!("<span class=\"sev {0}\">{0}</span>", level.as_str())
}

/// The whole document.
pub fn render(report: &Report, verdict: &Verdict, rule_pack: &str) -> String {
    let mut out = String::new();
    let name = title(report);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>Telltale report: {}</title><style>{STYLE}</style></head><body>",
        text(&name)
    );
    let _ = write!(
        out,
        "<h1>Telltale report: {}</h1><p class=\"dim\">{} · {} files · {} findings · Telltale {} · rule pack {}</p>",
        text(&name),
        text(&report.package.source),
        report.files.len(),
        report.findings.len(),
        text(&report.tool.version),
        text(rule_pack),
    );
    let _ = write!(out, "<div class=\"verdict\"><h2>{}</h2><ul>", text(&verdict.headline));
    for point in &verdict.points {
        let _ = write!(out, "<li>{} {}</li>", severity(point.level), text(&point.text));
    }
    out.push_str("</ul></div>");

    out.push_str("<h2>Counts</h2><table><tr><th>category</th><th>all</th><th>sent</th><th>gates</th><th>local</th><th>unknown</th><th>none</th></tr>");
    for (category, counts) in &verdict.by_category {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            category.as_str(),
            counts.total,
            counts.sent,
            counts.gates,
            counts.local,
            counts.unknown,
            counts.none
        );
    }
    out.push_str("</table>");

    for (heading, uses) in [
        ("Identifying data read", &verdict.identity),
        ("Region checks", &verdict.region),
    ] {
        if uses.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<h2>{heading}</h2><table><tr><th>what</th><th>rule</th><th>where it goes</th></tr>"
        );
        for data in uses {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(&data.what),
                text(&data.rule),
                text(&uses_in_words(&data.counts))
            );
        }
        out.push_str("</table>");
    }

    if !verdict.switches.is_empty() {
        out.push_str(
            "<h2>Opt-out switches</h2><table><tr><th>switch</th><th>kind</th><th>read at</th><th>setting it</th></tr>",
        );
        for switch in &verdict.switches {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(&switch.name),
                text(&switch.kind),
                switch.sites,
                text(&audit_in_words(switch.audit))
            );
        }
        out.push_str("</table>");
    }

    if !verdict.endpoints.is_empty() {
        out.push_str(
            "<h2>Endpoints</h2><table><tr><th>host</th><th>class</th><th>URLs</th><th>files</th><th>rules</th></tr>",
        );
        for &index in &verdict.endpoints {
            let endpoint = &report.endpoints[index];
            let urls: Vec<String> = endpoint.urls.iter().map(|u| text(u).into_owned()).collect();
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                text(&endpoint.host),
                endpoint.class.as_str(),
                urls.join("<br>"),
                text(&endpoint.files.join(", ")),
                text(&endpoint.rules.join(", "))
            );
        }
        out.push_str("</table>");
    }

    let _ = write!(out, "<h2>Findings ({})</h2>", report.findings.len());
    out.push_str("<table><tr><th>severity</th><th>rule</th><th>consequence</th><th>finding</th></tr>");
    let mut order: Vec<usize> = (0..report.findings.len()).collect();
    order.sort_by_key(|&i| {
        let f = &report.findings[i];
        (
            std::cmp::Reverse(f.severity),
            f.rule.clone(),
            f.file.clone(),
            f.span.start,
        )
    });
    for index in order {
        let finding = &report.findings[index];
        let _ = write!(
            out,
            "<tr id=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td><b>{}</b>{}<br>{}<br><code>{}:{}:{}</code><pre>{}</pre>",
            attribute(&finding.fingerprint),
            severity(finding.severity),
            text(&finding.rule),
            consequence_name(finding.consequence),
            text(&finding.title),
            if never_runs(finding) {
                " <span class=\"dim\">(never runs)</span>"
            } else {
                ""
            },
            text(&reveal(&finding.message)),
            text(&finding.file),
            finding.line,
            finding.column,
            text(&reveal(&finding.snippet))
        );
        if let Some(decoded) = &finding.decoded {
            let _ = write!(
                out,
                "<div>worked out from constant code: <code>{}</code> ({})</div>",
                text(&reveal(&decoded.text)),
                text(&reveal(&decoded.provenance))
            );
        }
        if !finding.path.is_empty() {
            out.push_str("<ol>");
            for step in &finding.path {
                let _ = write!(
                    out,
                    "<li>{} <code>{}</code> {} <span class=\"dim\">{}:{}</span></li>",
                    text(&step.role),
                    text(step.readable_name.as_deref().unwrap_or(&step.function)),
                    text(&step.note),
                    text(&step.file),
                    step.line
                );
            }
            out.push_str("</ol>");
        }
        for guard in &finding.guards {
            let _ = write!(
                out,
                "<div>guarded by <code>{}</code> ({}){}</div>",
                text(&guard.switch),
                text(&guard.kind),
                if guard.disables {
                    ", which stops it"
                } else {
                    ", which does not stop it"
                }
            );
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</table>");

    if !report.errors.is_empty() {
        out.push_str("<h2>Problems reading the package</h2><ul>");
        for error in &report.errors {
            let _ = write!(
                out,
                "<li><code>{}</code>: {}</li>",
                text(&error.file),
                text(&error.message)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str(
        "<p class=\"dim\">Made by Telltale in the browser, offline: nothing was uploaded.</p></body></html>\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filters::tests::{finding, report};
    use crate::verdict::verdict;
    use telltale::report::{Category, Consequence};
    use telltale::rules::RuleSet;

    #[test]
    fn package_content_is_escaped() {
        let mut hostile = finding(
            "TT-ID-001",
            Category::Identity,
            Severity::High,
            Some(Consequence::Sent),
            "<img src=x onerror=alert(1)>.js",
            1,
        );
        hostile.snippet = "</pre><script>alert(2)</script>".into();
        hostile.fingerprint = "\"><script>".into();
        let mut report = report(vec![hostile]);
        report.package.name = Some("<b>pkg</b>".into());
        let html = render(&report, &verdict(&report, RuleSet::builtin()), "abc");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>pkg"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;.js"));
        assert!(html.contains("default-src 'none'"));
    }
}
