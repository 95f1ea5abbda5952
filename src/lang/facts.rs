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

/// An opt-out switch tested by a condition on a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardFact {
    /// The environment variable or setting name.
    pub switch: String,
    /// `env` or `setting`.
    pub kind: &'static str,
    /// Whether opting out with the switch stops the code (false: the condition mentions the
    /// switch but another operand can still let the code run, or it runs only when opted out).
    pub disables: bool,
    /// Where the switch is read in the condition.
    pub span: Span,
}
