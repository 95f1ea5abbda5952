//! SARIF 2.1.0 export of a [`Report`], for code-scanning dashboards.

use serde_json::{Value, json};

use crate::report::{Report, Severity};
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
                        "artifactLocation": { "uri": f.file },
                        "region": {
                            "startLine": f.line.max(1),
                            "startColumn": f.column.max(1),
                            "byteOffset": f.span.start,
                            "byteLength": f.span.end.saturating_sub(f.span.start),
                            "snippet": { "text": f.snippet },
                        },
                    },
                }],
                "partialFingerprints": { "telltale/v1": f.fingerprint },
                "properties": {
                    "category": f.category.as_str(),
                    "severity": f.severity.as_str(),
                    "consequence": f.consequence,
                },
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({ "level": "warning", "message": { "text": format!("{}: {}", e.file, e.message) } }))
        .collect();
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
            "invocations": [{ "executionSuccessful": true, "toolExecutionNotifications": notifications }],
            "results": results,
        }],
    })
}
