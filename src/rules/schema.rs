//! The rule file format (TOML), as serde reads it.

use serde::Deserialize;

use super::RuleError;
use crate::report::{Category, Severity};

/// One rule file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Stable code, never reused: `TT-REGION-003`.
    pub code: String,
    /// Short kebab-case name: `intl-timezone-read`.
    pub name: String,
    pub category: Category,
    pub severity: Severity,
    /// One line shown on each finding.
    pub title: String,
    /// Markdown: what it does, why it matters, an example.
    #[serde(default)]
    pub doc: String,
    #[serde(rename = "match")]
    pub matcher: Match,
    #[serde(default)]
    pub examples: Examples,
}

/// Which facts fire the rule (any of the kinds), and filters on them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// Callee chain patterns: `os.hostname`, `**.captureException`.
    pub call: Option<Vec<String>>,
    /// Property-read chain patterns: `Intl.DateTimeFormat().resolvedOptions().timeZone`.
    pub read: Option<Vec<String>>,
    /// Constructor chain patterns: `**.StatsigClient`.
    pub new: Option<Vec<String>>,
    /// Regex on environment variable names.
    pub env: Option<String>,
    /// Regex on string literal text.
    pub text: Option<String>,
    /// Regex on object keys and assigned property names with non-literal values.
    pub key: Option<String>,
    /// Regex on any property name read or called.
    pub name: Option<String>,
    /// Regex on literals a value is compared with.
    pub compare: Option<String>,
    /// Regex on how the strings a branch or lookup chooses between differ unseen
    /// (`zero-width or invisible characters`, `look-alike (homoglyph) characters`…).
    pub covert: Option<String>,
    /// Regex on the chain of a setting read with a default that turns it on when it is missing
    /// (`params.usageStatisticsEnabled ?? true`, `settings.telemetry !== false`).
    pub default_on: Option<String>,
    /// Regex on the telemetry send an error handler's call leads to (`Sentry.captureException`),
    /// for handlers that report errors.
    pub error_handler_send: Option<String>,
    /// With `compare` or `covert`: regex on what is compared or decides the choice (chains or
    /// variable names).
    pub subject: Option<String>,
    /// Regex on install-time script commands from package manifests.
    pub install_script: Option<String>,
    /// Filter for calls and constructors: regex on the first argument's constant string
    /// (`undefined` for `undefined`, empty when there is none).
    pub argument: Option<String>,
    /// Filter for calls and constructors: keys the first argument's object literal must have.
    pub argument_keys: Option<Vec<String>>,
    /// Filter: regex on a variable, property or function name the value flows into.
    pub flows_to: Option<String>,
}

impl Match {
    pub fn has_any(&self) -> bool {
        self.call.is_some()
            || self.read.is_some()
            || self.new.is_some()
            || self.env.is_some()
            || self.text.is_some()
            || self.key.is_some()
            || self.name.is_some()
            || self.compare.is_some()
            || self.covert.is_some()
            || self.default_on.is_some()
            || self.error_handler_send.is_some()
            || self.install_script.is_some()
    }
}

/// Code the rule must fire on and code it must stay quiet on; a test runs every one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default)]
    pub fire: Vec<String>,
    #[serde(default)]
    pub quiet: Vec<String>,
}

pub(super) fn parse(origin: &str, text: &str) -> Result<RuleFile, RuleError> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let (line, column) = match e.span() {
            Some(span) => {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        RuleError {
            origin: origin.to_string(),
            line,
            column,
            message: e.message().to_string(),
        }
    })
}
