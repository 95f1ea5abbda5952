//! Facts: what one pass over a file extracted, owned and independent of any parser's arena.

use serde::Serialize;

use crate::report::{Consequence, Reachability, Span};

/// What kind of code a fact stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactKind {
    /// A call; `subject` is the callee resolved through aliases and imports, e.g. `os.hostname`.
    Call,
    /// A property read; `subject` is the resolved chain, e.g. `Intl.DateTimeFormat().resolvedOptions().timeZone`.
    Read,
    /// A `new` expression; `subject` is the constructor chain.
    New,
    /// An environment variable read (`process.env.X`, `process.env["X"]`); `subject` is `X`.
    Env,
    /// A string or template literal; `subject` is its text.
    Text,
    /// An object key or an assigned property whose value is not a literal; `subject` is the key.
    Key,
    /// A property name in a read or call on any object, e.g. `getUsageStatisticsEnabled`.
    Name,
    /// A value compared with a literal (`===`, `includes`, `startsWith`…); `subject` is the literal,
    /// `argument` what it is compared with.
    Compare,
    /// A branch or lookup choosing between strings a reader cannot tell apart (they differ only
    /// by invisible, bidi or look-alike characters, or a formatting detail); `subject` says how
    /// they differ, `argument` what the choice depends on.
    Covert,
    /// A setting read with a default that turns it on when it is missing (`s.enabled ?? true`,
    /// `s.enabled !== false`); `subject` is the setting's chain (`params.telemetry.enabled`).
    DefaultOn,
    /// A call, in an error handler (`componentDidCatch`, a `process.on("uncaughtException")`
    /// listener, `onerror`), of a package function that leads to a telemetry send; `subject`
    /// is the send's callee, `argument` the handler.
    HandlerSend,
}

/// One fact, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    pub kind: FactKind,
    pub subject: String,
    /// For calls and constructors: the first argument when it is a constant string
    /// (`undefined` for `undefined`/`void 0`, empty when there is no argument).
    /// For comparisons: the compared value's chain or name.
    pub argument: Option<String>,
    /// For calls and constructors whose first argument is an object literal: its keys.
    pub argument_keys: Vec<String>,
    pub span: Span,
    /// For a string that constant code computes (decoded, joined, looked up): how.
    pub decoded: Option<Box<Decoded>>,
}

/// A string worked out from constant code without running it, and how it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decoded {
    pub text: String,
    /// When the string is one of a list (a decoded list compared with a value, the strings a
    /// covert branch chooses between): the whole list.
    pub list: Vec<String>,
    /// Decoding steps in order: `base64`, `XOR with 0x5b`, `reverse`, `concatenation`.
    pub steps: Vec<String>,
    /// The package's functions it came out of, innermost first.
    pub functions: Vec<String>,
    /// The literal the data came from.
    pub literal: Option<Span>,
}

impl Decoded {
    /// The report's form: `locate` gives the 1-based line and column of an offset in `file`.
    pub fn to_report(&self, file: &str, locate: impl Fn(u32) -> (u32, u32)) -> crate::report::DecodedString {
        let mut provenance = if self.steps.is_empty() && self.functions.is_empty() {
            "worked out from constants".to_string()
        } else if self.steps.iter().all(|s| s == "concatenation" || s == "template") && self.functions.is_empty() {
            "joined from constants".to_string()
        } else {
            "decoded".to_string()
        };
        if let Some((last, inner)) = self.functions.split_last() {
            provenance.push_str(&format!(" by `{last}`"));
            if !inner.is_empty() {
                let inner: Vec<String> = inner.iter().map(|f| format!("`{f}`")).collect();
                provenance.push_str(&format!(" (through {})", inner.join(", ")));
            }
        }
        if !self.steps.is_empty() {
            provenance.push_str(&format!(" ({})", self.steps.join(", then ")));
        }
        let literal_line = self.literal.map(|span| {
            let (line, column) = locate(span.start);
            provenance.push_str(&format!(" from the literal at {file}:{line}:{column}"));
            line
        });
        crate::report::DecodedString {
            text: self.text.clone(),
            list: self.list.clone(),
            steps: self.steps.clone(),
            functions: self.functions.clone(),
            literal: self.literal,
            literal_line,
            provenance,
        }
    }
}

impl Fact {
    /// A fact with no argument information (everything but calls and comparisons).
    pub fn new(kind: FactKind, subject: impl Into<String>, span: Span) -> Self {
        Self {
            kind,
            subject: subject.into(),
            argument: None,
            argument_keys: Vec::new(),
            span,
            decoded: None,
        }
    }
}

/// Where a matched value goes, worked out while the syntax tree is still at hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flow {
    pub consequence: Consequence,
    /// Variable, property and function names the value passes through, nearest first.
    pub names: Vec<String>,
    /// Whether the site can run: not after a `return`, not in a function nothing refers to.
    pub reachability: Reachability,
    /// An export nothing in the file reads, through which alone the site runs: whether it runs
    /// depends on whether another file of the package reads that name.
    pub unless_read: Option<String>,
    /// Opt-out switches tested on the way from the entry to the detection and on to the sink.
    pub guards: Vec<GuardFact>,
    /// The code path: from where the file starts running, through the calls that reach the site,
    /// the site itself, then where the value goes (the sink or branch last).
    pub steps: Vec<Step>,
    /// The bundled third-party package the site belongs to, when the bundler recorded it.
    pub library: Option<String>,
}

/// One step of a code path inside one file; the file is added where findings are made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// `entry`, `call`, `detection`, `flow`, `sink`, `branch` or `use`.
    pub role: &'static str,
    /// The function the step is in, as the code names it (`(top level)` outside functions).
    pub function: String,
    /// A readable name from context (the property or method the function is stored under),
    /// when it differs from the code's own name.
    pub readable_name: Option<String>,
    pub span: Span,
    /// One line on what happens here.
    pub note: String,
}

/// A string the file runs as code, or a binary it carries in base64: a file of its own,
/// `file.js!/string@OFFSET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedCode {
    /// Where the literal it came from starts in the file.
    pub offset: u32,
    pub data: Vec<u8>,
    /// What runs it (`eval`, `new Worker(…, { eval: true })`), when that was seen.
    pub runner: Option<String>,
    /// How it was decoded, when it was: "decoded (base64, then XOR with 0x5b)".
    pub provenance: Option<String>,
    /// The site that runs it: whether that site runs, and the path to it (its last step).
    pub site: Option<RunSite>,
}

/// Where embedded code is started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSite {
    pub reachability: Reachability,
    pub steps: Vec<Step>,
}

/// An opt-out switch tested by a condition on a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardFact {
    /// The environment variable or setting name.
    pub switch: String,
    /// `env`, `setting`, or `server` for a feature flag the vendor's server answers (the code
    /// is then server-controlled: neither off nor on from the user's side).
    pub kind: &'static str,
    /// Whether opting out with the switch (for `server`, the server turning the flag off) stops the code (false: the condition mentions the
    /// switch but another operand can still let the code run, or it runs only when opted out).
    pub disables: bool,
    /// Where the switch is read in the condition.
    pub span: Span,
}

/// A file as an ES module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModuleInterface {
    /// The names it exports (`default` included); `None` when it is no ES module or re-exports
    /// all of another (`export *`), so its exports are not known here.
    pub exports: Option<Vec<String>>,
    /// The files it imports by relative specifier.
    pub imports: Vec<ModuleImport>,
}

/// One imported file and what is asked of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleImport {
    pub specifier: String,
    /// The export names used; `None` when the whole module is (a namespace or a value).
    pub names: Option<Vec<String>>,
}
