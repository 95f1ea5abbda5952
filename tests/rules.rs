//! Every shipped rule fires on each of its `fire` examples and stays quiet on its `quiet` ones.

use telltale::files::FileKind;
use telltale::findings::analyze_file;
use telltale::rules::RuleSet;

fn rules_fired(source: &str) -> Vec<String> {
    let result = analyze_file(
        "example.js",
        FileKind::Javascript,
        source.as_bytes(),
        RuleSet::builtin(),
    );
    assert!(
        result.errors.is_empty(),
        "example does not parse: {source}\n{:?}",
        result.errors
    );
    result.findings.into_iter().map(|f| f.rule).collect()
}

#[test]
fn every_rule_fires_on_its_examples_and_only_there() {
    let mut failures = Vec::new();
    for rule in RuleSet::builtin().rules() {
        for example in &rule.examples.fire {
            if !rules_fired(example).contains(&rule.code) {
                failures.push(format!("{} ({}) does not fire on: {example}", rule.code, rule.origin));
            }
        }
        for example in &rule.examples.quiet {
            if rules_fired(example).contains(&rule.code) {
                failures.push(format!(
                    "{} ({}) fires on its quiet example: {example}",
                    rule.code, rule.origin
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_rule_documents_itself() {
    for rule in RuleSet::builtin().rules() {
        assert!(rule.doc.contains("## What it does"), "{} has no doc", rule.code);
        assert!(rule.code.starts_with("TT-"), "{}", rule.code);
    }
}
