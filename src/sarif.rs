//! SARIF 2.1.0 export of a [`Report`], for code-scanning dashboards.

use serde_json::{Value, json};

use crate::report::{Finding, Report, Severity};
use crate::rules::RuleSet;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "note",
        Severity::Low => "note",
        Severity::Medium => "warning",
        Severity::High | Severity::Critical => "error",
    }
}

/// A member path as a SARIF `artifactLocation.uri`, which must be an RFC 3986 URI reference:
/// bytes other than unreserved characters, sub-delimiters, `@` and `/` are percent-encoded
/// (UTF-8), so a name with a space, `#`, `%` or a non-ASCII letter still points at its file and
/// the jar-URL `!/` of nested archives stays readable. `:` is encoded too, lest a first segment
/// such as `c:x.js` read as a scheme.
fn artifact_uri(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// A finding's path as one SARIF thread flow, entry first (none when the path is empty).
fn code_flows(finding: &Finding) -> Vec<Value> {
    if finding.path.is_empty() {
        return Vec::new();
    }
    let locations: Vec<Value> = finding
        .path
        .iter()
        .map(|step| {
            let function = step.function_label();
            json!({
                "location": {
                    "physicalLocation": {
                        "artifactLocation": { "uri": artifact_uri(&step.file) },
                        "region": {
                            "startLine": step.line.max(1),
                            "startColumn": step.column.max(1),
                            "byteOffset": step.span.start,
                            "byteLength": step.span.end.saturating_sub(step.span.start),
                        },
                    },
                    "logicalLocations": [{ "name": function, "kind": "function" }],
                    "message": { "text": step.note },
                },
                "kinds": [step.role],
            })
        })
        .collect();
    vec![json!({ "threadFlows": [{ "locations": locations }] })]
}

/// The report as one SARIF run; `rules` supplies the rule metadata.
pub fn to_sarif(report: &Report, rules: &RuleSet) -> Value {
    let used: std::collections::BTreeSet<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    let descriptors: Vec<Value> = rules
        .rules()
        .iter()
        .filter(|r| used.contains(r.code.as_str()))
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": r.doc.trim() },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "category": r.category.as_str(), "tags": [r.category.as_str()] },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": artifact_uri(&f.file) },
                        "region": {
                            "startLine": f.line.max(1),
                            "startColumn": f.column.max(1),
                            "byteOffset": f.span.start,
                            "byteLength": f.span.end.saturating_sub(f.span.start),
                            "snippet": { "text": f.snippet },
                        },
                    },
                }],
                "codeFlows": code_flows(f),
                "partialFingerprints": { "telltale/v1": f.fingerprint },
                "properties": {
                    "category": f.category.as_str(),
                    "severity": f.severity.as_str(),
                    "consequence": f.consequence,
                    "reachability": f.reachability.status,
                    "reachabilityReason": f.reachability.reason,
                    "guards": f.guards.iter().map(|g| json!({
                        "switch": g.switch,
                        "kind": g.kind,
                        "disables": g.disables,
                        "line": g.line,
                    })).collect::<Vec<_>>(),
                },
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "warning",
                "message": { "text": format!("{}: {}", e.file, e.message) },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": artifact_uri(&e.file) } } }],
            })
        })
        .collect();
    // A run that read nothing because of the errors it reports did not do its job; problems
    // with some files of a package that was otherwise analysed are warnings of a run that did.
    let execution_successful = report.errors.is_empty() || report.stats.parsed_files > 0;
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "informationUri": "https://github.com/telltale/telltale",
                "rules": descriptors,
            }},
            "invocations": [{
                "executionSuccessful": execution_successful,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}
