//! The values the evaluator computes with, and the trail each carries: which decoding steps
//! made it, through which of the package's functions, from which literal.

use std::cell::RefCell;
use std::rc::Rc;

use oxc::semantic::NodeId;

use crate::report::Span;

/// A JavaScript value, as far as constant code needs one.
#[derive(Debug, Clone)]
pub enum Value {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(Rc<str>),
    /// A `Buffer` or typed array: bytes.
    Bytes(Rc<[u8]>),
    /// Arrays hold no arrays or objects (so no value can contain itself); `frozen` ones belong
    /// to the state shared between evaluations and may be read, not changed.
    Array(Rc<RefCell<ArrayCell>>),
    /// A plain object of constant values (lookup tables, decoder caches).
    Object(Entries),
    /// A function of the package: its node (a `Function` or an arrow).
    Function(NodeId),
    /// A global the evaluator knows: `atob`, `String.fromCharCode`, `Buffer.from`…
    Builtin(&'static str),
    /// A method of a value, taken but not yet called: `s.split`.
    Method(Box<Traced>, Rc<str>),
}

/// An object's entries in insertion order.
pub type Entries = Rc<RefCell<Vec<(Rc<str>, Traced)>>>;

#[derive(Debug, Clone, Default)]
pub struct ArrayCell {
    pub items: Vec<Traced>,
    pub frozen: bool,
}

/// A value with its trail.
#[derive(Debug, Clone)]
pub struct Traced {
    pub value: Value,
    pub trail: Trail,
}

impl Traced {
    pub fn plain(value: Value) -> Self {
        Self {
            value,
            trail: Trail::default(),
        }
    }

    pub fn str(text: impl Into<Rc<str>>, trail: Trail) -> Self {
        Self {
            value: Value::Str(text.into()),
            trail,
        }
    }

    pub fn num(n: f64, trail: Trail) -> Self {
        Self {
            value: Value::Num(n),
            trail,
        }
    }

    pub fn array(items: Vec<Traced>, trail: Trail) -> Self {
        Self {
            value: Value::Array(Rc::new(RefCell::new(ArrayCell { items, frozen: false }))),
            trail,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// How a value came to be. Cheap to clone; most values share one or have none.
#[derive(Debug, Clone, Default)]
pub struct Trail(Option<Rc<TrailData>>);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrailData {
    /// Decoding steps in the order they were applied: `base64`, `XOR with 0x5b`, `reverse`.
    pub steps: Vec<Rc<str>>,
    /// The package's functions the value came out of, innermost first.
    pub functions: Vec<Rc<str>>,
    /// The literal (string, or array of codes) the data came from.
    pub literal: Option<Span>,
    /// For a character code: the string it was read from (so arithmetic with it can name its
    /// key as a string).
    pub char_of: Option<Rc<str>>,
    /// Read out of an array by a computed index (a string table), not yet a step: a function
    /// taking a number that returns it was a table lookup.
    pub from_table: bool,
}

/// Most steps a trail keeps; past that it says "…".
const MAX_STEPS: usize = 8;

impl Trail {
    pub fn literal(span: Span) -> Self {
        Self(Some(Rc::new(TrailData {
            literal: Some(span),
            ..TrailData::default()
        })))
    }

    pub fn data(&self) -> Option<&TrailData> {
        self.0.as_deref()
    }

    pub fn is_transformed(&self) -> bool {
        self.0.as_ref().is_some_and(|d| !d.steps.is_empty())
    }

    pub fn literal_span(&self) -> Option<Span> {
        self.0.as_ref().and_then(|d| d.literal)
    }

    pub fn char_of(&self) -> Option<&Rc<str>> {
        self.0.as_ref().and_then(|d| d.char_of.as_ref())
    }

    fn edit(&mut self) -> &mut TrailData {
        Rc::make_mut(self.0.get_or_insert_with(Default::default))
    }

    /// The same trail with one more step (kept once).
    pub fn with_step(&self, step: &str) -> Trail {
        let mut out = self.clone();
        out.push_step(step);
        out
    }

    pub fn push_step(&mut self, step: &str) {
        if self.0.as_ref().is_some_and(|d| d.steps.iter().any(|s| &**s == step)) {
            return;
        }
        let data = self.edit();
        if data.steps.len() < MAX_STEPS {
            data.steps.push(step.into());
        } else if data.steps.len() == MAX_STEPS {
            data.steps.push("…".into());
        }
    }

    pub fn push_function(&mut self, name: &str) {
        if self
            .0
            .as_ref()
            .is_some_and(|d| d.functions.iter().any(|s| &**s == name))
        {
            return;
        }
        let data = self.edit();
        if data.functions.len() < MAX_STEPS {
            data.functions.push(name.into());
        }
    }

    pub fn is_table_entry(&self) -> bool {
        self.0.as_ref().is_some_and(|d| d.from_table)
    }

    pub fn with_table(&self) -> Trail {
        let mut out = self.clone();
        out.edit().from_table = true;
        out
    }

    /// Puts a step before all others (a table lookup that came first but is recognised last).
    pub fn push_first_step(&mut self, step: &str) {
        if self.0.as_ref().is_some_and(|d| d.steps.iter().any(|s| &**s == step)) {
            return;
        }
        let data = self.edit();
        data.steps.insert(0, step.into());
        if data.steps.len() > MAX_STEPS + 1 {
            data.steps.truncate(MAX_STEPS);
            data.steps.push("…".into());
        }
    }

    pub fn with_char_of(&self, text: Rc<str>) -> Trail {
        let mut out = self.clone();
        out.edit().char_of = Some(text);
        out
    }

    /// A trail for a value made of two: steps and functions of both in order, the first
    /// literal; no longer a character of anything.
    pub fn merge(&self, other: &Trail) -> Trail {
        let (Some(a), Some(b)) = (&self.0, &other.0) else {
            let mut out = if self.0.is_some() { self.clone() } else { other.clone() };
            if out.char_of().is_some() {
                out.edit().char_of = None;
            }
            return out;
        };
        if Rc::ptr_eq(a, b) || (b.steps.is_empty() && b.functions.is_empty() && a.literal.is_some()) {
            let mut out = self.clone();
            if out.char_of().is_some() {
                out.edit().char_of = None;
            }
            return out;
        }
        let mut out = self.clone();
        for step in &b.steps {
            out.push_step(step);
        }
        for function in &b.functions {
            out.push_function(function);
        }
        let data = out.edit();
        data.literal = data.literal.or(b.literal);
        data.char_of = None;
        out
    }
}
