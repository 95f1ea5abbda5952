//! Rule packs: declarative detection rules, one TOML file each under `rules/<category>/`,
//! compiled once into a [`RuleSet`] and evaluated against the facts of every file.
//!
//! A rule names the facts it wants (`call`, `read`, `new`, `env`, `text`, `key`, `name`,
//! `compare`, `covert`, `install_script`) and optional filters (`argument`, `argument_keys`, `flows_to`);
//! see `docs/rules.md` for the format. A new SDK, host or idiom is a new file, not a code change.

mod schema;

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use regex::{Regex, RegexSet};

use crate::lang::facts::{Fact, FactKind, Flow};
use crate::report::{Category, Severity};
pub use schema::RuleFile;

/// The rule files shipped inside Telltale, `(path, text)`, gathered by `build.rs` from `rules/`.
pub static BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub code: String,
    pub name: String,
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    pub doc: String,
    /// Where the rule came from: `rules/identity/os-hostname.toml` or a user's file.
    pub origin: String,
    pub examples: schema::Examples,
    argument: Option<Regex>,
    argument_keys: Vec<String>,
    flows_to: Option<Regex>,
}

/// A rule file that could not be compiled: which file, where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub origin: String,
    /// 1-based line and column in the rule file, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "{}:{line}:{column}: {}", self.origin, self.message)
            }
            _ => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

impl std::error::Error for RuleError {}

/// Patterns of one fact kind, for all rules at once.
#[derive(Debug, Default)]
struct KindMatcher {
    patterns: Vec<String>,
    rules: Vec<usize>,
    set: Option<RegexSet>,
    /// Last names (`hostname` of `os.hostname`) any pattern can end in; `None` when a pattern
    /// ends in a wildcard. Lets the extractor skip resolving chains no rule could want.
    last_names: Option<HashSet<String>>,
}

impl KindMatcher {
    fn add(&mut self, rule: usize, regex: String, last_name: Option<String>) {
        self.patterns.push(regex);
        self.rules.push(rule);
        match (last_name, self.patterns.len()) {
            (Some(name), 1) => self.last_names = Some(HashSet::from([name])),
            (Some(name), _) => {
                if let Some(names) = &mut self.last_names {
                    names.insert(name);
                }
            }
            (None, _) => self.last_names = None,
        }
    }

    fn build(&mut self) -> Result<(), regex::Error> {
        if !self.patterns.is_empty() {
            self.set = Some(RegexSet::new(&self.patterns)?);
        }
        Ok(())
    }

    fn matching(&self, subject: &str, out: &mut Vec<usize>) {
        // Most subjects match nothing: the cheaper yes/no search first.
        if let Some(set) = &self.set
            && set.is_match(subject)
        {
            out.extend(set.matches(subject).iter().map(|i| self.rules[i]));
        }
    }

    fn wants(&self, last_name: &str) -> bool {
        self.set.is_some() && self.last_names.as_ref().is_none_or(|names| names.contains(last_name))
    }
}

/// Compiled rules, ready to match facts.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    call: KindMatcher,
    read: KindMatcher,
    new: KindMatcher,
    env: KindMatcher,
    text: KindMatcher,
    key: KindMatcher,
    name: KindMatcher,
    compare: KindMatcher,
    covert: KindMatcher,
    default_on: KindMatcher,
    error_handler_send: KindMatcher,
    /// The `subject` filter of `compare` and `covert` rules, by rule index.
    compare_subject: Vec<Option<Regex>>,
    install_script: KindMatcher,
}

impl RuleSet {
    /// The shipped rules, compiled once.
    pub fn builtin() -> &'static RuleSet {
        static SET: OnceLock<RuleSet> = OnceLock::new();
        SET.get_or_init(|| {
            RuleSet::compile(BUILTIN.iter().map(|(o, t)| (o.to_string(), t.to_string())))
                .expect("shipped rules compile (checked by tests)")
        })
    }

    /// Compiles rule files given as `(origin, text)`. Every broken file is reported, not just
    /// the first; codes must be unique across all files.
    pub fn compile(files: impl IntoIterator<Item = (String, String)>) -> Result<RuleSet, Vec<RuleError>> {
        let mut set = RuleSet::default();
        let mut errors = Vec::new();
        let mut codes = HashSet::new();
        for (origin, text) in files {
            match schema::parse(&origin, &text) {
                Ok(file) => {
                    if !codes.insert(file.code.clone()) {
                        errors.push(RuleError {
                            origin,
                            line: None,
                            column: None,
                            message: format!("rule code {} is used twice", file.code),
                        });
                        continue;
                    }
                    if let Err(e) = set.add(origin, file) {
                        errors.push(e);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        for matcher in set.matchers_mut() {
            if let Err(e) = matcher.build() {
                errors.push(RuleError {
                    origin: "rules".into(),
                    line: None,
                    column: None,
                    message: e.to_string(),
                });
            }
        }
        if errors.is_empty() { Ok(set) } else { Err(errors) }
    }

    fn matchers_mut(&mut self) -> [&mut KindMatcher; 12] {
        [
            &mut self.call,
            &mut self.read,
            &mut self.new,
            &mut self.env,
            &mut self.text,
            &mut self.key,
            &mut self.name,
            &mut self.compare,
            &mut self.covert,
            &mut self.default_on,
            &mut self.error_handler_send,
            &mut self.install_script,
        ]
    }

    fn add(&mut self, origin: String, file: RuleFile) -> Result<(), RuleError> {
        let index = self.rules.len();
        let error = |message: String| RuleError {
            origin: origin.clone(),
            line: None,
            column: None,
            message,
        };
        let regex =
            |field: &str, pattern: &str| Regex::new(pattern).map_err(|e| error(format!("[match] {field}: {e}")));
        let m = &file.matcher;
        for (kind, patterns) in [(0, &m.call), (1, &m.read), (2, &m.new)] {
            for pattern in patterns.iter().flatten() {
                let (regex_text, last) =
                    chain_pattern(pattern).map_err(|e| error(format!("[match] pattern {pattern:?}: {e}")))?;
                regex("chain pattern", &regex_text)?;
                let matcher = match kind {
                    0 => &mut self.call,
                    1 => &mut self.read,
                    _ => &mut self.new,
                };
                matcher.add(index, regex_text, last);
            }
        }
        for (field, value, matcher) in [
            ("env", &m.env, &mut self.env),
            ("text", &m.text, &mut self.text),
            ("key", &m.key, &mut self.key),
            ("name", &m.name, &mut self.name),
            ("install_script", &m.install_script, &mut self.install_script),
            ("default_on", &m.default_on, &mut self.default_on),
            (
                "error_handler_send",
                &m.error_handler_send,
                &mut self.error_handler_send,
            ),
        ] {
            if let Some(pattern) = value {
                regex(field, pattern)?;
                matcher.add(index, pattern.clone(), None);
            }
        }
        for (field, value, matcher) in [
            ("compare", &m.compare, &mut self.compare),
            ("covert", &m.covert, &mut self.covert),
        ] {
            if let Some(pattern) = value {
                regex(field, pattern)?;
                matcher.add(index, pattern.clone(), None);
                self.compare_subject.resize(index + 1, None);
                self.compare_subject[index] = m.subject.as_deref().map(|s| regex("subject", s)).transpose()?;
            }
        }
        let argument = m.argument.as_deref().map(|s| regex("argument", s)).transpose()?;
        let flows_to = m.flows_to.as_deref().map(|s| regex("flows_to", s)).transpose()?;
        if !m.has_any() {
            return Err(error("[match] names no facts: give at least one of call, read, new, env, text, key, name, compare, covert, default_on, error_handler_send, install_script".into()));
        }
        self.rules.push(Rule {
            code: file.code,
            name: file.name,
            category: file.category,
            severity: file.severity,
            title: file.title,
            doc: file.doc,
            origin,
            examples: file.examples,
            argument,
            argument_keys: file.matcher.argument_keys.unwrap_or_default(),
            flows_to,
        });
        Ok(())
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    /// Whether any rule could match a fact of `kind` whose last name is `last_name`; the
    /// extractor asks before resolving a chain.
    pub fn wants(&self, kind: FactKind, last_name: &str) -> bool {
        match kind {
            FactKind::Call => self.call.wants(last_name),
            FactKind::Read => self.read.wants(last_name),
            FactKind::New => self.new.wants(last_name),
            FactKind::Env => self.env.set.is_some(),
            FactKind::Text => self.text.set.is_some(),
            FactKind::Key => self.key.set.is_some(),
            FactKind::Name => self.name.set.is_some(),
            FactKind::Compare => self.compare.set.is_some(),
            FactKind::Covert => self.covert.set.is_some(),
            FactKind::DefaultOn => self.default_on.set.is_some(),
            FactKind::HandlerSend => self.error_handler_send.set.is_some(),
        }
    }

    /// Rules whose pattern and argument filters accept `fact`; `flows_to` is checked later by
    /// [`RuleSet::accepts_flow`], once the flow is known.
    pub fn matching(&self, fact: &Fact) -> Vec<usize> {
        let mut out = Vec::new();
        let matcher = match fact.kind {
            FactKind::Call => &self.call,
            FactKind::Read => &self.read,
            FactKind::New => &self.new,
            FactKind::Env => &self.env,
            FactKind::Text => &self.text,
            FactKind::Key => &self.key,
            FactKind::Name => &self.name,
            FactKind::Compare => &self.compare,
            FactKind::Covert => &self.covert,
            FactKind::DefaultOn => &self.default_on,
            FactKind::HandlerSend => &self.error_handler_send,
        };
        matcher.matching(&fact.subject, &mut out);
        out.retain(|&i| {
            let rule = &self.rules[i];
            if matches!(fact.kind, FactKind::Compare | FactKind::Covert) {
                if let Some(Some(subject)) = self.compare_subject.get(i) {
                    return fact.argument.as_deref().is_some_and(|a| subject.is_match(a));
                }
                return true;
            }
            let argument_ok = rule
                .argument
                .as_ref()
                .is_none_or(|re| re.is_match(fact.argument.as_deref().unwrap_or("")));
            let keys_ok = rule
                .argument_keys
                .iter()
                .all(|k| fact.argument_keys.iter().any(|have| have == k));
            argument_ok && keys_ok
        });
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Rules matching an install-time script command.
    pub fn matching_install_script(&self, command: &str) -> Vec<usize> {
        let mut out = Vec::new();
        self.install_script.matching(command, &mut out);
        out
    }

    /// Whether the rule's `flows_to` filter (if any) accepts where the value went.
    pub fn accepts_flow(&self, rule: usize, flow: &Flow) -> bool {
        self.rules[rule]
            .flows_to
            .as_ref()
            .is_none_or(|re| flow.names.iter().any(|n| re.is_match(n)))
    }
}

/// Turns a chain pattern into a regex and the last name it requires.
///
/// Segments are separated by dots; `*` stands for one segment, a leading `**` for any number
/// (none included); a segment may end in `()` for a call. `os.hostname`, `**.logEvent`,
/// `Intl.DateTimeFormat().resolvedOptions().timeZone`.
fn chain_pattern(pattern: &str) -> Result<(String, Option<String>), String> {
    let segments: Vec<&str> = pattern.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err("empty segment".into());
    }
    let mut regex = String::from("^");
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "**" if i == 0 => regex.push_str(r"(?:[^.]*\.)*"),
            "**" => return Err("`**` may only lead a pattern".into()),
            "*" => {
                regex.push_str(r"[^.]*");
                if i + 1 < segments.len() {
                    regex.push_str(r"\.");
                }
            }
            literal => {
                regex.push_str(&regex::escape(literal));
                if i + 1 < segments.len() {
                    regex.push_str(r"\.");
                }
            }
        }
    }
    regex.push('$');
    let last = segments.last().copied().unwrap_or("");
    let last_name = (last != "*" && last != "**").then(|| last.trim_end_matches("()").to_string());
    Ok((regex, last_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_patterns() {
        let (re, last) = chain_pattern("**.logEvent").unwrap();
        let re = Regex::new(&re).unwrap();
        assert!(re.is_match("logEvent"));
        assert!(re.is_match("?.client.logEvent"));
        assert!(!re.is_match("?.logEvents"));
        assert_eq!(last.as_deref(), Some("logEvent"));
        let (re, _) = chain_pattern("Intl.DateTimeFormat().resolvedOptions().timeZone").unwrap();
        let re = Regex::new(&re).unwrap();
        assert!(re.is_match("Intl.DateTimeFormat().resolvedOptions().timeZone"));
        assert!(!re.is_match("?.resolvedOptions().timeZone"));
        let (re, last) = chain_pattern("os.*").unwrap();
        assert!(Regex::new(&re).unwrap().is_match("os.userInfo"));
        assert_eq!(last, None);
        assert!(chain_pattern("a..b").is_err());
        assert!(chain_pattern("a.**").is_err());
    }

    #[test]
    fn shipped_rules_compile() {
        let set = RuleSet::builtin();
        assert!(set.rules().len() >= 20, "{} rules", set.rules().len());
    }

    #[test]
    fn broken_rules_are_reported_with_their_place() {
        let errors = RuleSet::compile([
            ("bad.toml".to_string(), "code = \"X-1\"\nname = 3\n".to_string()),
            (
                "regex.toml".to_string(),
                "code = \"X-2\"\nname = \"x\"\ncategory = \"region\"\nseverity = \"low\"\ntitle = \"t\"\n[match]\ntext = \"(\"\n".to_string(),
            ),
        ])
        .unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].origin, "bad.toml");
        assert_eq!(errors[0].line, Some(2));
        assert!(errors[1].to_string().contains("[match] text"), "{}", errors[1]);
    }
}
