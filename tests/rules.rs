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

#[test]
fn rule_reference_is_up_to_date() {
    let generated = telltale::text::rules_markdown(RuleSet::builtin());
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md")).unwrap();
    assert!(
        generated == committed,
        "docs/rules.md is stale: run `target/release/telltale rules --markdown > docs/rules.md`"
    );
}

#[test]
fn user_rules_with_errors_name_file_line_and_column() {
    let errors = RuleSet::compile([(
        "mine.toml".to_string(),
        "code = \"MY-1\"\nname = \"x\"\ncategory = \"nowhere\"\nseverity = \"low\"\ntitle = \"t\"\n[match]\ntext = \"a\"\n"
            .to_string(),
    )])
    .unwrap_err();
    let message = errors[0].to_string();
    assert!(message.starts_with("mine.toml:3:"), "{message}");
    assert!(message.contains("nowhere") || message.contains("variant"), "{message}");
}
