//! The partial evaluator: walks expressions and small function bodies over constants, never
//! anything the package could make do harm. It knows literals, module-level constants, the
//! package's own functions (run with their arguments bound), and a fixed set of pure globals and
//! methods (`atob`, `Buffer.from(…).toString(…)`, `String.fromCharCode`, `split`/`join`…).
//! Anything else — a parameter it was not given, a call into the world, `this` — makes the value
//! unknown. Steps, string sizes, memory and call depth are bounded; a limit stops the evaluation
//! cleanly with no value.

use std::cell::RefCell;
use std::rc::Rc;

use oxc::ast::AstKind;
use oxc::ast::ast::{
    Argument, ArrayExpressionElement, AssignmentTarget, BinaryExpression, BindingPattern, CallExpression, Expression,
    ForStatementInit, FormalParameters, MemberExpression, ObjectPropertyKind, PropertyKey, SimpleAssignmentTarget,
    Statement, TemplateLiteral, VariableDeclaration,
};
use oxc::semantic::{NodeId, Semantic, SymbolId};
use oxc::syntax::operator::{AssignmentOperator, BinaryOperator, LogicalOperator, UnaryOperator, UpdateOperator};
use rustc_hash::FxHashMap;

use super::value::{Traced, Trail, Value};
use super::{contained, encoding, recognise};
use crate::report::Span;

/// Limits of one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Nodes evaluated.
    pub steps: u32,
    /// Longest string or byte buffer made.
    pub max_string: usize,
    /// Most items in one array.
    pub max_items: usize,
    /// Bytes of strings, buffers and array slots made in all.
    pub memory: usize,
    /// Nested calls of the package's functions.
    pub calls: u32,
    /// Nested expressions.
    pub depth: u32,
    /// Whether functions seen to decode in a known way may be taken to (see `learned_call`).
    pub learn: bool,
}

impl Limits {
    pub const SITE: Limits = Limits {
        steps: 50_000,
        max_string: 64 * 1024,
        max_items: 16 * 1024,
        memory: 4 * 1024 * 1024,
        calls: 12,
        depth: 96,
        learn: false,
    };
    /// For the one-off string-table rotation of an obfuscated file: it may call an RC4 decoder
    /// (some 12 000 steps) ten times for each of hundreds of rotations, so a decoder seen to
    /// decode in a known way is worked out natively from then on (`learn`); a second at most.
    pub const PRELUDE: Limits = Limits {
        steps: 20_000_000,
        memory: 256 * 1024 * 1024,
        learn: true,
        ..Limits::SITE
    };
}

/// Why an evaluation gave no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Something not constant, or not understood.
    Unknown,
    /// A limit was reached.
    Limit,
    /// The code would throw here (`decodeURIComponent` of a malformed escape): a `try` around
    /// it runs its `catch`; anywhere else the value is unknown.
    Throw,
}

type Eval<T> = Result<T, Stop>;

/// How a statement ended.
enum Completion {
    Normal,
    Return(Traced),
    Break,
    Continue,
}

/// Values of names an evaluation assigned.
pub type Store = FxHashMap<SymbolId, Traced>;
/// Properties set on the package's functions.
pub type Props = FxHashMap<(NodeId, Rc<str>), Traced>;

/// What lasts between evaluations in one file: module constants already worked out and the
/// state an obfuscator's string-table rotation left.
#[derive(Debug, Default)]
pub struct Memory {
    constants: FxHashMap<SymbolId, Option<Traced>>,
    pub(super) base: Store,
    pub(super) base_props: Props,
    /// Functions seen to decode in a known way, and how many times in a row.
    learned: FxHashMap<NodeId, (recognise::Decoding, u8)>,
    /// Functions known to write, or not, outside themselves.
    contained: FxHashMap<NodeId, bool>,
}

/// One evaluation.
pub struct Run<'m, 's, 'a> {
    semantic: &'s Semantic<'a>,
    memory: &'m mut Memory,
    limits: Limits,
    steps: u32,
    allocated: usize,
    depth: u32,
    /// Locals, parameters and names the evaluation assigned.
    store: Store,
    /// Properties set on the package's functions (obfuscators keep caches there).
    props: Props,
    calls: Vec<NodeId>,
    /// UTF-16 units of the last non-ASCII string indexed, so loops over it stay linear.
    units: Option<(Rc<str>, Rc<[u16]>)>,
    /// Whether a module constant is being worked out (its value must not depend on the store).
    clean: bool,
}

impl<'m, 's, 'a> Run<'m, 's, 'a> {
    pub fn new(semantic: &'s Semantic<'a>, memory: &'m mut Memory, limits: Limits) -> Self {
        // Objects a prelude left (decoder caches) are copied: what one evaluation writes into
        // them must not show in the next. Arrays it left are frozen instead.
        let store = memory.base.iter().map(|(k, v)| (*k, unshared(v))).collect();
        let props = memory
            .base_props
            .iter()
            .map(|(k, v)| (k.clone(), unshared(v)))
            .collect();
        Self {
            semantic,
            memory,
            limits,
            steps: 0,
            allocated: 0,
            depth: 0,
            store,
            props,
            calls: Vec::new(),
            units: None,
            clean: false,
        }
    }

    /// Everything the run assigned (for keeping a prelude's state).
    pub fn into_state(self) -> (Store, Props) {
        (self.store, self.props)
    }

    pub fn steps(&self) -> u32 {
        self.steps
    }

    fn tick(&mut self) -> Eval<()> {
        self.steps += 1;
        if self.steps > self.limits.steps {
            return Err(Stop::Limit);
        }
        Ok(())
    }

    /// Work proportional to a size (scanning an object's entries, shifting an array): one step
    /// per 32 units, so time stays proportional to the step budget.
    fn work(&mut self, units: usize) -> Eval<()> {
        self.steps = self.steps.saturating_add((units / 32) as u32);
        if self.steps > self.limits.steps {
            self.steps = self.limits.steps + 1;
            return Err(Stop::Limit);
        }
        Ok(())
    }

    fn charge(&mut self, bytes: usize) -> Eval<()> {
        if bytes > self.limits.max_string {
            return Err(Stop::Limit);
        }
        self.allocated += bytes;
        if self.allocated > self.limits.memory {
            return Err(Stop::Limit);
        }
        Ok(())
    }

    fn make_str(&mut self, text: String, trail: Trail) -> Eval<Traced> {
        self.charge(text.len())?;
        Ok(Traced::str(text, trail))
    }

    fn make_array(&mut self, items: Vec<Traced>, trail: Trail) -> Eval<Traced> {
        if items.len() > self.limits.max_items {
            return Err(Stop::Limit);
        }
        self.charge(items.len() * 16)?;
        Ok(Traced::array(items, trail))
    }

    // --- expressions ---------------------------------------------------------------------------

    pub fn eval(&mut self, expr: &Expression<'a>) -> Eval<Traced> {
        self.tick()?;
        self.depth += 1;
        if self.depth > self.limits.depth {
            self.depth -= 1;
            return Err(Stop::Limit);
        }
        let out = self.eval_inner(expr);
        self.depth -= 1;
        out
    }

    fn eval_inner(&mut self, expr: &Expression<'a>) -> Eval<Traced> {
        match expr {
            Expression::StringLiteral(s) if s.value.is_empty() => Ok(Traced::str("", Trail::default())),
            Expression::StringLiteral(s) => Ok(Traced::str(s.value.as_str(), Trail::literal(span(s.span)))),
            Expression::NumericLiteral(n) => Ok(Traced::plain(Value::Num(n.value))),
            Expression::BooleanLiteral(b) => Ok(Traced::plain(Value::Bool(b.value))),
            Expression::NullLiteral(_) => Ok(Traced::plain(Value::Null)),
            Expression::TemplateLiteral(t) => self.template(t),
            Expression::Identifier(id) => self.identifier(id),
            Expression::ParenthesizedExpression(p) => self.eval(&p.expression),
            Expression::SequenceExpression(s) => {
                let mut last = Traced::plain(Value::Undefined);
                for e in &s.expressions {
                    last = self.eval(e)?;
                }
                Ok(last)
            }
            Expression::ArrayExpression(array) => {
                let mut items = Vec::with_capacity(array.elements.len());
                for element in &array.elements {
                    match element {
                        ArrayExpressionElement::SpreadElement(spread) => {
                            let inner = self.eval(&spread.argument)?;
                            items.extend(elements(&inner.value).ok_or(Stop::Unknown)?);
                        }
                        ArrayExpressionElement::Elision(_) => items.push(Traced::plain(Value::Undefined)),
                        other => {
                            let item = self.eval(other.to_expression())?;
                            storable(&item.value)?;
                            items.push(item);
                        }
                    }
                }
                let trail = if items.iter().all(|i| matches!(i.value, Value::Num(_))) && !items.is_empty() {
                    Trail::literal(span(array.span))
                } else {
                    Trail::default()
                };
                self.make_array(items, trail)
            }
            Expression::ObjectExpression(object) => {
                let mut entries = Vec::new();
                for property in &object.properties {
                    let ObjectPropertyKind::ObjectProperty(p) = property else {
                        return Err(Stop::Unknown);
                    };
                    let key: Rc<str> = match &p.key {
                        PropertyKey::StaticIdentifier(id) => id.name.as_str().into(),
                        PropertyKey::StringLiteral(s) => s.value.as_str().into(),
                        PropertyKey::NumericLiteral(n) => number_to_string(n.value, 10).into(),
                        _ => return Err(Stop::Unknown),
                    };
                    let value = self.eval(&p.value)?;
                    storable(&value.value)?;
                    entries.push((key, value));
                }
                self.charge(entries.len() * 32)?;
                Ok(Traced::plain(Value::Object(Rc::new(RefCell::new(entries)))))
            }
            Expression::UnaryExpression(u) => {
                if u.operator == UnaryOperator::Typeof || u.operator == UnaryOperator::Delete {
                    return Err(Stop::Unknown);
                }
                let value = self.eval(&u.argument)?;
                let trail = value.trail.clone();
                Ok(match u.operator {
                    UnaryOperator::UnaryNegation => Traced::num(-to_number(&value.value), trail),
                    UnaryOperator::UnaryPlus => Traced::num(to_number(&value.value), trail),
                    UnaryOperator::LogicalNot => Traced::plain(Value::Bool(!truthy(&value.value))),
                    UnaryOperator::BitwiseNot => Traced::num(f64::from(!to_i32(&value.value)), trail),
                    UnaryOperator::Void => Traced::plain(Value::Undefined),
                    UnaryOperator::Typeof | UnaryOperator::Delete => return Err(Stop::Unknown),
                })
            }
            Expression::BinaryExpression(b) => self.binary_expression(b),
            Expression::LogicalExpression(l) => {
                let left = self.eval(&l.left)?;
                let take_left = match l.operator {
                    LogicalOperator::Or => truthy(&left.value),
                    LogicalOperator::And => !truthy(&left.value),
                    LogicalOperator::Coalesce => !matches!(left.value, Value::Null | Value::Undefined),
                };
                if take_left { Ok(left) } else { self.eval(&l.right) }
            }
            Expression::ConditionalExpression(c) => {
                let test = self.eval(&c.test)?;
                if truthy(&test.value) {
                    self.eval(&c.consequent)
                } else {
                    self.eval(&c.alternate)
                }
            }
            Expression::AssignmentExpression(a) => self.assign(&a.left, a.operator, &a.right),
            Expression::UpdateExpression(u) => {
                let SimpleAssignmentTarget::AssignmentTargetIdentifier(id) = &u.argument else {
                    return Err(Stop::Unknown);
                };
                let symbol = self.symbol(id).ok_or(Stop::Unknown)?;
                let old = to_number(&self.store.get(&symbol).ok_or(Stop::Unknown)?.value);
                let new = if u.operator == UpdateOperator::Increment {
                    old + 1.0
                } else {
                    old - 1.0
                };
                self.store.insert(symbol, Traced::plain(Value::Num(new)));
                Ok(Traced::plain(Value::Num(if u.prefix { new } else { old })))
            }
            Expression::FunctionExpression(f) => Ok(Traced::plain(Value::Function(f.node_id.get()))),
            Expression::ArrowFunctionExpression(f) => Ok(Traced::plain(Value::Function(f.node_id.get()))),
            Expression::CallExpression(call) => self.call_expression(call),
            Expression::NewExpression(new) => {
                let callee = self.eval(&new.callee)?;
                let arguments = self.arguments(&new.arguments)?;
                match callee.value {
                    // `new Set(list)` is the list, for lookups.
                    Value::Builtin("Set") => Ok(arguments
                        .into_iter()
                        .next()
                        .unwrap_or_else(|| Traced::array(Vec::new(), Trail::default()))),
                    Value::Builtin("Array") if arguments.is_empty() => self.make_array(Vec::new(), Trail::default()),
                    Value::Builtin("String") => self.call(callee, arguments),
                    _ => Err(Stop::Unknown),
                }
            }
            Expression::StaticMemberExpression(m) => {
                let object = self.eval(&m.object)?;
                self.property(object, m.property.name.as_str().into())
            }
            Expression::ComputedMemberExpression(m) => {
                let object = self.eval(&m.object)?;
                let key = self.eval(&m.expression)?;
                self.index(object, key)
            }
            Expression::ChainExpression(_) | Expression::ThisExpression(_) | Expression::AwaitExpression(_) => {
                Err(Stop::Unknown)
            }
            Expression::TSAsExpression(e) => self.eval(&e.expression),
            Expression::TSNonNullExpression(e) => self.eval(&e.expression),
            Expression::TSSatisfiesExpression(e) => self.eval(&e.expression),
            _ => Err(Stop::Unknown),
        }
    }

    pub fn template(&mut self, t: &TemplateLiteral<'a>) -> Eval<Traced> {
        let mut text = String::new();
        let mut trail = Trail::default();
        for (i, quasi) in t.quasis.iter().enumerate() {
            text.push_str(quasi.value.cooked.ok_or(Stop::Unknown)?.as_str());
            if let Some(expr) = t.expressions.get(i) {
                let part = self.eval(expr)?;
                text.push_str(&to_string(&part.value).ok_or(Stop::Unknown)?);
                trail = trail.merge(&part.trail);
            }
        }
        if !t.expressions.is_empty() {
            if !trail.is_transformed() {
                trail.push_step("template");
            }
        } else {
            trail = Trail::literal(span(t.span));
        }
        self.make_str(text, trail)
    }

    pub fn binary_expression(&mut self, b: &BinaryExpression<'a>) -> Eval<Traced> {
        let left = self.eval(&b.left)?;
        let right = self.eval(&b.right)?;
        self.binary(b.operator, left, right)
    }

    pub fn call_expression(&mut self, call: &CallExpression<'a>) -> Eval<Traced> {
        self.tick()?;
        let callee = self.callee(&call.callee)?;
        let arguments = self.arguments(&call.arguments)?;
        self.call(callee, arguments)
    }

    fn arguments(&mut self, arguments: &[Argument<'a>]) -> Eval<Vec<Traced>> {
        let mut out = Vec::with_capacity(arguments.len());
        for argument in arguments {
            match argument {
                Argument::SpreadElement(spread) => {
                    let inner = self.eval(&spread.argument)?;
                    // Items without a trail of their own come from the array's.
                    out.extend(
                        elements(&inner.value)
                            .ok_or(Stop::Unknown)?
                            .into_iter()
                            .map(|mut item| {
                                if item.trail.data().is_none() {
                                    item.trail = inner.trail.clone();
                                }
                                item
                            }),
                    );
                }
                other => out.push(self.eval(other.to_expression())?),
            }
            if out.len() > self.limits.max_items {
                return Err(Stop::Limit);
            }
        }
        Ok(out)
    }

    /// The callee of a call: a method of a value keeps the value it is called on.
    fn callee(&mut self, callee: &Expression<'a>) -> Eval<Traced> {
        match callee.without_parentheses() {
            Expression::StaticMemberExpression(m) => {
                let object = self.eval(&m.object)?;
                self.method(object, m.property.name.as_str().into())
            }
            Expression::ComputedMemberExpression(m) => {
                let object = self.eval(&m.object)?;
                let key = self.eval(&m.expression)?;
                let Value::Str(name) = key.value else {
                    return self.index(object, key);
                };
                self.method(object, name)
            }
            other => self.eval(other),
        }
    }

    /// `object.name` about to be called: globals' functions, package functions stored in
    /// objects, or a method of the value.
    fn method(&mut self, object: Traced, name: Rc<str>) -> Eval<Traced> {
        match &object.value {
            Value::Builtin(_) | Value::Object(_) | Value::Function(_) => self.property(object, name),
            Value::Str(_) | Value::Array(_) | Value::Bytes(_) | Value::Num(_) => {
                Ok(Traced::plain(Value::Method(Box::new(object), name)))
            }
            _ => Err(Stop::Unknown),
        }
    }

    fn identifier(&mut self, id: &oxc::ast::ast::IdentifierReference<'a>) -> Eval<Traced> {
        let Some(symbol) = self.symbol(id) else {
            return global(id.name.as_str());
        };
        if !self.clean
            && let Some(value) = self.store.get(&symbol)
        {
            return Ok(value.clone());
        }
        self.constant(symbol)
    }

    fn symbol(&self, id: &oxc::ast::ast::IdentifierReference<'a>) -> Option<SymbolId> {
        let reference = id.reference_id.get()?;
        self.semantic.scoping().get_reference(reference).symbol_id()
    }

    /// A name's value from its declaration: a function, or a `const`/never-reassigned variable
    /// with a constant initialiser, worked out once per file.
    fn constant(&mut self, symbol: SymbolId) -> Eval<Traced> {
        if let Some(known) = self.memory.constants.get(&symbol) {
            return known.clone().ok_or(Stop::Unknown);
        }
        let scoping = self.semantic.scoping();
        let nodes = self.semantic.nodes();
        let declaration = scoping.symbol_declaration(symbol);
        match nodes.kind(declaration) {
            AstKind::Function(f) => Ok(Traced::plain(Value::Function(f.node_id.get()))),
            AstKind::VariableDeclarator(d) => {
                if scoping.symbol_is_mutated(symbol) || !matches!(d.id, BindingPattern::BindingIdentifier(_)) {
                    return Err(Stop::Unknown);
                }
                let Some(init) = &d.init else {
                    return Err(Stop::Unknown);
                };
                // Mark it in progress: a table that refers to itself stops here.
                self.memory.constants.insert(symbol, None);
                let was_clean = std::mem::replace(&mut self.clean, true);
                let result = self.eval(init);
                self.clean = was_clean;
                match result {
                    Ok(mut value) => {
                        freeze(&value.value);
                        if let Value::Function(_) = value.value {
                            // A function stored in a variable is named by it.
                            value.trail = Trail::default();
                        }
                        self.memory.constants.insert(symbol, Some(value.clone()));
                        Ok(value)
                    }
                    Err(Stop::Unknown | Stop::Throw) => Err(Stop::Unknown),
                    Err(Stop::Limit) => {
                        // Not known to be unknown: try again from another site.
                        self.memory.constants.remove(&symbol);
                        Err(Stop::Limit)
                    }
                }
            }
            _ => Err(Stop::Unknown),
        }
    }

    fn assign(
        &mut self,
        target: &AssignmentTarget<'a>,
        operator: AssignmentOperator,
        right: &Expression<'a>,
    ) -> Eval<Traced> {
        if self.clean {
            return Err(Stop::Unknown);
        }
        let value = self.eval(right)?;
        match target {
            AssignmentTarget::AssignmentTargetIdentifier(id) => {
                let symbol = self.symbol(id).ok_or(Stop::Unknown)?;
                let value = match operator.to_binary_operator() {
                    None if operator == AssignmentOperator::Assign => value,
                    Some(op) => {
                        let old = self.identifier(id)?;
                        self.binary(op, old, value)?
                    }
                    None => return Err(Stop::Unknown),
                };
                storable_or_function(&value.value)?;
                self.store.insert(symbol, value.clone());
                Ok(value)
            }
            other => {
                let Some(member) = other.as_member_expression() else {
                    return Err(Stop::Unknown);
                };
                if operator != AssignmentOperator::Assign {
                    return Err(Stop::Unknown);
                }
                let (object, key) = match member {
                    MemberExpression::StaticMemberExpression(m) => (
                        self.eval(&m.object)?,
                        Traced::str(m.property.name.as_str(), Trail::default()),
                    ),
                    MemberExpression::ComputedMemberExpression(m) => (self.eval(&m.object)?, self.eval(&m.expression)?),
                    MemberExpression::PrivateFieldExpression(_) => return Err(Stop::Unknown),
                };
                self.set(object, key, value.clone())?;
                Ok(value)
            }
        }
    }

    fn set(&mut self, object: Traced, key: Traced, value: Traced) -> Eval<()> {
        match object.value {
            Value::Array(cell) => {
                storable(&value.value)?;
                let index = array_index(&key.value).ok_or(Stop::Unknown)?;
                let mut cell = cell.borrow_mut();
                if cell.frozen || index > self.limits.max_items {
                    return Err(Stop::Unknown);
                }
                if index >= cell.items.len() {
                    cell.items.resize(index + 1, Traced::plain(Value::Undefined));
                }
                cell.items[index] = value;
                Ok(())
            }
            Value::Object(entries) => {
                storable(&value.value)?;
                let key: Rc<str> = to_string(&key.value).ok_or(Stop::Unknown)?.into();
                self.charge(32 + key.len())?;
                self.work(entries.borrow().len())?;
                let mut entries = entries.borrow_mut();
                match entries.iter().position(|(k, _)| *k == key) {
                    Some(at) => entries[at].1 = value,
                    None if entries.len() >= self.limits.max_items => return Err(Stop::Limit),
                    None => entries.push((key, value)),
                }
                Ok(())
            }
            Value::Function(node) => {
                let key: Rc<str> = to_string(&key.value).ok_or(Stop::Unknown)?.into();
                self.charge(32 + key.len())?;
                self.props.insert((node, key), value);
                Ok(())
            }
            _ => Err(Stop::Unknown),
        }
    }

    fn property(&mut self, object: Traced, name: Rc<str>) -> Eval<Traced> {
        match &object.value {
            Value::Builtin(base) => global_member(base, &name),
            Value::Str(s) if &*name == "length" => Ok(Traced::num(self.utf16_len(s) as f64, object.trail.clone())),
            Value::Array(cell) if &*name == "length" => Ok(Traced::plain(Value::Num(cell.borrow().items.len() as f64))),
            Value::Bytes(b) if &*name == "length" => Ok(Traced::plain(Value::Num(b.len() as f64))),
            Value::Object(entries) => {
                self.work(entries.borrow().len())?;
                Ok(entries
                    .borrow()
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map_or_else(|| Traced::plain(Value::Undefined), |(_, v)| v.clone()))
            }
            Value::Function(node) => Ok(self
                .props
                .get(&(*node, name))
                .cloned()
                .unwrap_or_else(|| Traced::plain(Value::Undefined))),
            _ => Err(Stop::Unknown),
        }
    }

    fn index(&mut self, object: Traced, key: Traced) -> Eval<Traced> {
        match (&object.value, &key.value) {
            (Value::Array(cell), Value::Num(_)) => {
                let cell = cell.borrow();
                let Some(index) = array_index(&key.value) else {
                    return Ok(Traced::plain(Value::Undefined));
                };
                Ok(match cell.items.get(index) {
                    // A string read by a computed index may be a string table's entry.
                    Some(item) if matches!(item.value, Value::Str(_)) && item.trail.literal_span().is_some() => {
                        Traced {
                            value: item.value.clone(),
                            trail: item.trail.with_table(),
                        }
                    }
                    Some(item) => item.clone(),
                    None => Traced::plain(Value::Undefined),
                })
            }
            (Value::Str(s), Value::Num(_)) => {
                let Some(index) = array_index(&key.value) else {
                    return Ok(Traced::plain(Value::Undefined));
                };
                match self.unit_at(s, index) {
                    Some(unit) => self.make_str(encoding::from_units(&[unit]), object.trail.clone()),
                    None => Ok(Traced::plain(Value::Undefined)),
                }
            }
            (Value::Bytes(b), Value::Num(_)) => Ok(array_index(&key.value).and_then(|i| b.get(i)).map_or_else(
                || Traced::plain(Value::Undefined),
                |&b| Traced::num(f64::from(b), object.trail.clone()),
            )),
            (_, Value::Str(name)) => self.property(object.clone(), name.clone()),
            (_, Value::Num(n)) => self.property(object.clone(), number_to_string(*n, 10).into()),
            _ => Err(Stop::Unknown),
        }
    }

    fn utf16_len(&mut self, s: &Rc<str>) -> usize {
        if s.is_ascii() {
            return s.len();
        }
        self.units_of(s).len()
    }

    fn units_of(&mut self, s: &Rc<str>) -> Rc<[u16]> {
        if let Some((text, units)) = &self.units
            && Rc::ptr_eq(text, s)
        {
            return units.clone();
        }
        let units: Rc<[u16]> = s.encode_utf16().collect();
        self.steps = self.steps.saturating_add((s.len() / 32) as u32);
        self.units = Some((s.clone(), units.clone()));
        units
    }

    fn unit_at(&mut self, s: &Rc<str>, index: usize) -> Option<u16> {
        if s.is_ascii() {
            return s.as_bytes().get(index).map(|&b| u16::from(b));
        }
        self.units_of(s).get(index).copied()
    }

    fn binary(&mut self, op: BinaryOperator, left: Traced, right: Traced) -> Eval<Traced> {
        use BinaryOperator as B;
        let trail = left.trail.merge(&right.trail);
        Ok(match op {
            B::Addition => {
                let is_text = |v: &Value| matches!(v, Value::Str(_) | Value::Array(_) | Value::Object(_));
                if is_text(&left.value) || is_text(&right.value) {
                    let a = to_string(&left.value).ok_or(Stop::Unknown)?;
                    let b = to_string(&right.value).ok_or(Stop::Unknown)?;
                    self.charge(a.len() + b.len())?;
                    // Joining is the step only when nothing else hid the parts.
                    let mut trail = trail;
                    if !left.trail.is_transformed() && !right.trail.is_transformed() {
                        trail.push_step("concatenation");
                    }
                    return self.make_str(a + &b, trail);
                }
                self.arith(op, &left, &right, trail, |a, b| a + b)
            }
            B::Subtraction => self.arith(op, &left, &right, trail, |a, b| a - b),
            B::Multiplication => self.arith(op, &left, &right, trail, |a, b| a * b),
            B::Division => self.arith(op, &left, &right, trail, |a, b| a / b),
            B::Remainder => self.arith(op, &left, &right, trail, |a, b| a % b),
            B::Exponential => self.arith(op, &left, &right, trail, f64::powf),
            B::BitwiseXOR => self.int(op, &left, &right, trail, |a, b| a ^ b),
            B::BitwiseAnd => self.int(op, &left, &right, trail, |a, b| a & b),
            B::BitwiseOR => self.int(op, &left, &right, trail, |a, b| a | b),
            B::ShiftLeft => self.int(op, &left, &right, trail, |a, b| a.wrapping_shl(b as u32 & 31)),
            B::ShiftRight => self.int(op, &left, &right, trail, |a, b| a.wrapping_shr(b as u32 & 31)),
            B::ShiftRightZeroFill => {
                let a = to_i32(&left.value) as u32;
                let b = to_i32(&right.value) as u32 & 31;
                Traced::num(f64::from(a >> b), trail)
            }
            B::StrictEquality => Traced::plain(Value::Bool(strict_equals(&left.value, &right.value))),
            B::StrictInequality => Traced::plain(Value::Bool(!strict_equals(&left.value, &right.value))),
            B::Equality => Traced::plain(Value::Bool(loose_equals(&left.value, &right.value))),
            B::Inequality => Traced::plain(Value::Bool(!loose_equals(&left.value, &right.value))),
            B::LessThan | B::LessEqualThan | B::GreaterThan | B::GreaterEqualThan => {
                let ordering = match (&left.value, &right.value) {
                    (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
                    (a, b) => to_number(a).partial_cmp(&to_number(b)),
                };
                let result = ordering.is_some_and(|o| match op {
                    B::LessThan => o.is_lt(),
                    B::LessEqualThan => o.is_le(),
                    B::GreaterThan => o.is_gt(),
                    _ => o.is_ge(),
                });
                Traced::plain(Value::Bool(result))
            }
            B::In | B::Instanceof => return Err(Stop::Unknown),
        })
    }

    /// Arithmetic; on a character code it is a decoding step named after its key.
    fn arith(
        &mut self,
        op: BinaryOperator,
        left: &Traced,
        right: &Traced,
        trail: Trail,
        f: impl Fn(f64, f64) -> f64,
    ) -> Traced {
        let trail = char_step(op, left, right, trail);
        Traced::num(f(to_number(&left.value), to_number(&right.value)), trail)
    }

    fn int(
        &mut self,
        op: BinaryOperator,
        left: &Traced,
        right: &Traced,
        trail: Trail,
        f: impl Fn(i32, i32) -> i32,
    ) -> Traced {
        let trail = char_step(op, left, right, trail);
        Traced::num(f64::from(f(to_i32(&left.value), to_i32(&right.value))), trail)
    }

    // --- calls ---------------------------------------------------------------------------------

    pub fn call(&mut self, callee: Traced, arguments: Vec<Traced>) -> Eval<Traced> {
        self.tick()?;
        match callee.value {
            Value::Builtin(name) => self.builtin(name, arguments),
            Value::Method(receiver, name) => self.method_call(*receiver, &name, arguments),
            Value::Function(node) => self.call_function(node, arguments),
            _ => Err(Stop::Unknown),
        }
    }

    /// Runs a function of the package with its arguments bound. Recursion is not followed.
    fn call_function(&mut self, node: NodeId, arguments: Vec<Traced>) -> Eval<Traced> {
        if self.clean || self.calls.contains(&node) || self.calls.len() as u32 >= self.limits.calls {
            return Err(if self.calls.len() as u32 >= self.limits.calls {
                Stop::Limit
            } else {
                Stop::Unknown
            });
        }
        let semantic = self.semantic;
        let kind = semantic.nodes().kind(node);
        let (params, statements, expression): (&FormalParameters<'a>, &[Statement<'a>], Option<&Expression<'a>>) =
            match kind {
                AstKind::Function(f) => {
                    if f.generator || f.r#async {
                        return Err(Stop::Unknown);
                    }
                    (&f.params, &f.body.as_ref().ok_or(Stop::Unknown)?.statements, None)
                }
                AstKind::ArrowFunctionExpression(f) => {
                    if f.r#async {
                        return Err(Stop::Unknown);
                    }
                    match f.body.as_function_body() {
                        Some(body) => (&f.params, &body.statements, None),
                        None => (&f.params, &[], Some(f.body.as_expression().ok_or(Stop::Unknown)?)),
                    }
                }
                _ => return Err(Stop::Unknown),
            };
        if params.rest.is_some() {
            return Err(Stop::Unknown);
        }
        let any_number = arguments.iter().any(|a| matches!(a.value, Value::Num(_)));
        let given: Vec<Traced> = arguments.iter().take(4).cloned().collect();
        if let Some(result) = self.learned_call(node, &given)? {
            return Ok(result);
        }
        let mut arguments = arguments.into_iter();
        for param in &params.items {
            let BindingPattern::BindingIdentifier(binding) = &param.pattern else {
                return Err(Stop::Unknown);
            };
            let symbol = binding.symbol_id.get().ok_or(Stop::Unknown)?;
            let mut value = arguments.next().unwrap_or_else(|| Traced::plain(Value::Undefined));
            if matches!(value.value, Value::Undefined)
                && let Some(default) = &param.initializer
            {
                value = self.eval(default)?;
            }
            self.store.insert(symbol, value);
        }
        self.calls.push(node);
        let result = match expression {
            Some(e) => self.eval(e),
            None => self.block(statements).map(|c| match c {
                Completion::Return(value) => value,
                _ => Traced::plain(Value::Undefined),
            }),
        };
        self.calls.pop();
        let mut result = result?;
        if let Value::Str(text) = &result.value {
            let strings: Vec<Option<&str>> = given.iter().map(Traced::as_str).collect();
            if let Some(decoding) = recognise::recognise(&strings, text) {
                result.trail = named_trail(&decoding, &given, &result.trail);
                if self.limits.learn {
                    self.learn(node, decoding);
                }
            }
        }
        Ok(self.named_result(node, result, any_number))
    }

    /// The result of a function of the package with its trail: the function's name, and a
    /// table lookup first when a number picked a table's entry.
    fn named_result(&self, node: NodeId, mut result: Traced, any_number: bool) -> Traced {
        if matches!(result.value, Value::Str(_) | Value::Array(_))
            && let Some(name) = function_name(self.semantic, node)
        {
            if result.trail.is_table_entry() && any_number && result.trail.literal_span().is_some() {
                result.trail.push_first_step("string-table lookup");
            }
            result.trail.push_function(&name);
        }
        result
    }

    /// Notes that a function decoded its argument in a known way; the same way twice in a row,
    /// and it writes nothing outside itself, it is taken to do so for other arguments too.
    fn learn(&mut self, node: NodeId, decoding: recognise::Decoding) {
        let seen = self.memory.learned.entry(node).or_insert((decoding, 0));
        if seen.0 == decoding {
            seen.1 = seen.1.saturating_add(1);
        } else {
            *seen = (decoding, 1);
        }
    }

    /// A call of a function learnt to decode in a known way, worked out without running it.
    /// Only while rotating a string table (the prelude): there a wrong answer can only pick the
    /// wrong rotation, while every decoded string a finding shows runs the function's own code.
    /// It makes rotating a table of hundreds of RC4-encoded entries affordable.
    fn learned_call(&mut self, node: NodeId, given: &[Traced]) -> Eval<Option<Traced>> {
        if !self.limits.learn {
            return Ok(None);
        }
        let Some(&(decoding, times)) = self.memory.learned.get(&node) else {
            return Ok(None);
        };
        if times < 2 || !contained::writes_only_its_own(self.semantic, node, &mut self.memory.contained) {
            return Ok(None);
        }
        let strings: Vec<Option<&str>> = given.iter().map(Traced::as_str).collect();
        let Some(units) = decoding.apply(&strings) else {
            return Ok(None);
        };
        // What running it would have cost, roughly: a key schedule and a pass per character.
        self.steps = self.steps.saturating_add(64 + units.len() as u32);
        self.tick()?;
        let text = encoding::from_units(&units);
        self.charge(text.len())?;
        let trail = named_trail(&decoding, given, &Trail::default());
        Ok(Some(self.named_result(node, Traced::str(text, trail), false)))
    }

    fn block(&mut self, statements: &[Statement<'a>]) -> Eval<Completion> {
        // Functions declared in a block are usable before their declaration.
        for statement in statements {
            if let Statement::FunctionDeclaration(f) = statement
                && let Some(symbol) = f.id.as_ref().and_then(|id| id.symbol_id.get())
            {
                self.store
                    .insert(symbol, Traced::plain(Value::Function(f.node_id.get())));
            }
        }
        for statement in statements {
            match self.statement(statement)? {
                Completion::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Completion::Normal)
    }

    fn declare(&mut self, declaration: &VariableDeclaration<'a>) -> Eval<()> {
        for declarator in &declaration.declarations {
            let BindingPattern::BindingIdentifier(binding) = &declarator.id else {
                return Err(Stop::Unknown);
            };
            let symbol = binding.symbol_id.get().ok_or(Stop::Unknown)?;
            let value = match &declarator.init {
                Some(init) => self.eval(init)?,
                None => Traced::plain(Value::Undefined),
            };
            storable_or_function(&value.value)?;
            self.store.insert(symbol, value);
        }
        Ok(())
    }

    fn statement(&mut self, statement: &Statement<'a>) -> Eval<Completion> {
        self.tick()?;
        match statement {
            Statement::ExpressionStatement(e) => {
                self.eval(&e.expression)?;
                Ok(Completion::Normal)
            }
            Statement::VariableDeclaration(d) => {
                self.declare(d)?;
                Ok(Completion::Normal)
            }
            Statement::FunctionDeclaration(_) | Statement::EmptyStatement(_) => Ok(Completion::Normal),
            Statement::ReturnStatement(r) => Ok(Completion::Return(match &r.argument {
                Some(e) => self.eval(e)?,
                None => Traced::plain(Value::Undefined),
            })),
            Statement::BlockStatement(b) => self.block(&b.body),
            Statement::IfStatement(i) => {
                let test = self.eval(&i.test)?;
                if truthy(&test.value) {
                    self.statement(&i.consequent)
                } else if let Some(alternate) = &i.alternate {
                    self.statement(alternate)
                } else {
                    Ok(Completion::Normal)
                }
            }
            Statement::BreakStatement(b) if b.label.is_none() => Ok(Completion::Break),
            Statement::ContinueStatement(c) if c.label.is_none() => Ok(Completion::Continue),
            Statement::WhileStatement(w) => {
                loop {
                    if !truthy(&self.eval(&w.test)?.value) {
                        break;
                    }
                    match self.statement(&w.body)? {
                        Completion::Break => break,
                        Completion::Return(v) => return Ok(Completion::Return(v)),
                        Completion::Normal | Completion::Continue => {}
                    }
                }
                Ok(Completion::Normal)
            }
            Statement::DoWhileStatement(w) => {
                loop {
                    match self.statement(&w.body)? {
                        Completion::Break => break,
                        Completion::Return(v) => return Ok(Completion::Return(v)),
                        Completion::Normal | Completion::Continue => {}
                    }
                    if !truthy(&self.eval(&w.test)?.value) {
                        break;
                    }
                }
                Ok(Completion::Normal)
            }
            Statement::ForStatement(f) => {
                match &f.init {
                    Some(ForStatementInit::VariableDeclaration(d)) => self.declare(d)?,
                    Some(init) => {
                        self.eval(init.to_expression())?;
                    }
                    None => {}
                }
                loop {
                    if let Some(test) = &f.test
                        && !truthy(&self.eval(test)?.value)
                    {
                        break;
                    }
                    match self.statement(&f.body)? {
                        Completion::Break => break,
                        Completion::Return(v) => return Ok(Completion::Return(v)),
                        Completion::Normal | Completion::Continue => {}
                    }
                    if let Some(update) = &f.update {
                        self.eval(update)?;
                    }
                }
                Ok(Completion::Normal)
            }
            Statement::TryStatement(t) => {
                // The only exceptions are those `Stop::Throw` stands for; anything else the
                // block does not know leaves the value unknown, as outside a `try`.
                let completion = match (self.block(&t.block.body), &t.handler) {
                    (Err(Stop::Throw), Some(handler)) => {
                        if let Some(param) = &handler.param {
                            let BindingPattern::BindingIdentifier(binding) = &param.pattern else {
                                return Err(Stop::Unknown);
                            };
                            let symbol = binding.symbol_id.get().ok_or(Stop::Unknown)?;
                            self.store.insert(symbol, Traced::plain(Value::Undefined));
                        }
                        self.block(&handler.body.body)?
                    }
                    (completion, _) => completion?,
                };
                if let Some(finalizer) = &t.finalizer {
                    match self.block(&finalizer.body)? {
                        Completion::Normal => {}
                        other => return Ok(other),
                    }
                }
                Ok(completion)
            }
            Statement::SwitchStatement(s) => {
                let discriminant = self.eval(&s.discriminant)?;
                let mut matched = false;
                for case in &s.cases {
                    if !matched {
                        matched = match &case.test {
                            Some(test) => strict_equals(&self.eval(test)?.value, &discriminant.value),
                            None => false,
                        };
                    }
                    if matched {
                        match self.block(&case.consequent)? {
                            Completion::Normal => {}
                            Completion::Break => return Ok(Completion::Normal),
                            other => return Ok(other),
                        }
                    }
                }
                if !matched && let Some(default) = s.cases.iter().position(|c| c.test.is_none()) {
                    for case in &s.cases[default..] {
                        match self.block(&case.consequent)? {
                            Completion::Normal => {}
                            Completion::Break => return Ok(Completion::Normal),
                            other => return Ok(other),
                        }
                    }
                }
                Ok(Completion::Normal)
            }
            _ => Err(Stop::Unknown),
        }
    }

    // --- globals and methods -------------------------------------------------------------------

    fn builtin(&mut self, name: &str, arguments: Vec<Traced>) -> Eval<Traced> {
        let first = arguments
            .first()
            .cloned()
            .unwrap_or_else(|| Traced::plain(Value::Undefined));
        let text = || to_string(&first.value).ok_or(Stop::Unknown);
        let trail = first.trail.clone();
        match name {
            "atob" => {
                let bytes = encoding::base64(&text()?).ok_or(Stop::Throw)?;
                let decoded: String = bytes.iter().map(|&b| b as char).collect();
                self.make_str(decoded, trail.with_step("base64"))
            }
            "btoa" => self.make_str(
                encoding::base64_encode(text()?.as_bytes()),
                trail.with_step("base64-encoded"),
            ),
            "decodeURIComponent" | "decodeURI" => {
                let decoded = encoding::percent_decode(&text()?).ok_or(Stop::Throw)?;
                self.make_str(decoded, trail.with_step("percent-decoding"))
            }
            "unescape" => self.make_str(encoding::unescape(&text()?), trail.with_step("unescape")),
            "escape" => self.make_str(encoding::escape(&text()?), trail),
            "String.fromCharCode" | "String.fromCodePoint" => {
                let mut units = Vec::with_capacity(arguments.len());
                let mut trail = Trail::default();
                for argument in &arguments {
                    let code = to_number(&argument.value);
                    if name == "String.fromCodePoint" {
                        let c = char::from_u32(code as u32).ok_or(Stop::Unknown)?;
                        let mut buffer = [0u16; 2];
                        units.extend_from_slice(c.encode_utf16(&mut buffer));
                    } else {
                        units.push(code as u32 as u16);
                    }
                    trail = trail.merge(&argument.trail);
                }
                if !trail.is_transformed() && (arguments.len() > 1 || trail.literal_span().is_some()) {
                    trail.push_step("character codes");
                }
                self.make_str(encoding::from_units(&units), trail)
            }
            "String" => self.make_str(text()?, trail),
            "parseInt" => {
                let radix = arguments.get(1).map_or(10.0, |r| to_number(&r.value));
                Ok(Traced::num(parse_int(&text()?, radix as u32), trail))
            }
            "parseFloat" | "Number" => Ok(Traced::num(to_number(&first.value), trail)),
            "Math.floor" => Ok(Traced::num(to_number(&first.value).floor(), trail)),
            "Math.ceil" => Ok(Traced::num(to_number(&first.value).ceil(), trail)),
            "Math.round" => Ok(Traced::num(to_number(&first.value).round(), trail)),
            "Math.trunc" => Ok(Traced::num(to_number(&first.value).trunc(), trail)),
            "Math.abs" => Ok(Traced::num(to_number(&first.value).abs(), trail)),
            "Math.min" | "Math.max" => {
                let numbers = arguments.iter().map(|a| to_number(&a.value));
                let n = if name == "Math.min" {
                    numbers.fold(f64::INFINITY, f64::min)
                } else {
                    numbers.fold(f64::NEG_INFINITY, f64::max)
                };
                Ok(Traced::num(n, trail))
            }
            "Buffer.from" => {
                let bytes: Vec<u8> = match &first.value {
                    Value::Str(s) => {
                        let encoding = arguments
                            .get(1)
                            .and_then(|e| e.as_str().map(str::to_string))
                            .unwrap_or_default();
                        let bytes = encoding::string_to_bytes(s, &encoding).ok_or(Stop::Unknown)?;
                        let step = match encoding.to_ascii_lowercase().as_str() {
                            "base64" | "base64url" => Some("base64"),
                            "hex" => Some("hex"),
                            _ => None,
                        };
                        self.charge(bytes.len())?;
                        let trail = match step {
                            Some(step) => trail.with_step(step),
                            None => trail,
                        };
                        return Ok(Traced {
                            value: Value::Bytes(bytes.into()),
                            trail,
                        });
                    }
                    Value::Array(cell) => cell
                        .borrow()
                        .items
                        .iter()
                        .map(|i| to_number(&i.value) as i64 as u8)
                        .collect(),
                    Value::Bytes(b) => b.to_vec(),
                    _ => return Err(Stop::Unknown),
                };
                self.charge(bytes.len())?;
                Ok(Traced {
                    value: Value::Bytes(bytes.into()),
                    trail,
                })
            }
            "Array.from" => match &first.value {
                Value::Array(cell) => {
                    let items = cell.borrow().items.clone();
                    self.make_array(items, trail)
                }
                Value::Str(s) => {
                    let items = s.chars().map(|c| Traced::str(c.to_string(), trail.clone())).collect();
                    self.make_array(items, trail)
                }
                Value::Bytes(b) => {
                    let items = b.iter().map(|&b| Traced::num(f64::from(b), trail.clone())).collect();
                    self.make_array(items, trail)
                }
                _ => Err(Stop::Unknown),
            },
            _ => Err(Stop::Unknown),
        }
    }

    fn method_call(&mut self, receiver: Traced, name: &str, arguments: Vec<Traced>) -> Eval<Traced> {
        let argument = |i: usize| arguments.get(i).map(|a| &a.value);
        let number = |i: usize| argument(i).map(to_number);
        let trail = receiver.trail.clone();
        match &receiver.value {
            Value::Str(s) => {
                let s = s.clone();
                match name {
                    "charCodeAt" | "codePointAt" => {
                        let index = number(0).unwrap_or(0.0);
                        let unit = (index >= 0.0).then(|| self.unit_at(&s, index as usize)).flatten();
                        Ok(match unit {
                            Some(unit) => Traced::num(f64::from(unit), trail.with_char_of(s.clone())),
                            None => Traced::plain(Value::Num(f64::NAN)),
                        })
                    }
                    "charAt" | "at" => {
                        let mut index = number(0).unwrap_or(0.0);
                        if name == "at" && index < 0.0 {
                            index += self.utf16_len(&s) as f64;
                        }
                        let unit = (index >= 0.0).then(|| self.unit_at(&s, index as usize)).flatten();
                        match unit {
                            Some(unit) => self.make_str(encoding::from_units(&[unit]), trail),
                            None if name == "at" => Ok(Traced::plain(Value::Undefined)),
                            None => self.make_str(String::new(), trail),
                        }
                    }
                    "split" => {
                        let pieces: Vec<String> = match argument(0) {
                            None | Some(Value::Undefined) => vec![s.to_string()],
                            Some(Value::Str(sep)) if sep.is_empty() => s.chars().map(String::from).collect(),
                            Some(Value::Str(sep)) => s.split(&**sep).map(String::from).collect(),
                            _ => return Err(Stop::Unknown),
                        };
                        let limit = number(1).map_or(usize::MAX, |n| n as usize);
                        let step = if matches!(argument(0), Some(Value::Str(sep)) if sep.is_empty()) {
                            None
                        } else {
                            Some("split")
                        };
                        let mut items = Vec::with_capacity(pieces.len().min(limit));
                        for piece in pieces.into_iter().take(limit) {
                            if items.len() >= self.limits.max_items {
                                return Err(Stop::Limit);
                            }
                            items.push(Traced::str(piece, trail.clone()));
                        }
                        let trail = match step {
                            Some(step) => trail.with_step(step),
                            None => trail,
                        };
                        self.make_array(items, trail)
                    }
                    "slice" | "substring" | "substr" => {
                        let units = self.units_of(&s);
                        let len = units.len() as f64;
                        let clamp = |n: f64| n.clamp(0.0, len) as usize;
                        let relative = |n: f64| if n < 0.0 { clamp(len + n) } else { clamp(n) };
                        let (from, to) = match name {
                            "slice" => (relative(number(0).unwrap_or(0.0)), relative(number(1).unwrap_or(len))),
                            "substring" => {
                                let (a, b) = (clamp(number(0).unwrap_or(0.0)), clamp(number(1).unwrap_or(len)));
                                (a.min(b), a.max(b))
                            }
                            _ => {
                                let from = relative(number(0).unwrap_or(0.0));
                                (from, clamp(from as f64 + number(1).unwrap_or(len).max(0.0)))
                            }
                        };
                        let piece = if from < to {
                            encoding::from_units(&units[from..to])
                        } else {
                            String::new()
                        };
                        let step = (piece.len() < s.len()).then_some("slice");
                        self.make_str(piece, step.map_or(trail.clone(), |step| trail.with_step(step)))
                    }
                    "concat" => {
                        let mut out = s.to_string();
                        let mut trail = trail;
                        for argument in &arguments {
                            out.push_str(&to_string(&argument.value).ok_or(Stop::Unknown)?);
                            trail = trail.merge(&argument.trail);
                        }
                        if !trail.is_transformed() {
                            trail.push_step("concatenation");
                        }
                        self.make_str(out, trail)
                    }
                    "repeat" => {
                        let count = number(0).unwrap_or(0.0);
                        if !(0.0..=self.limits.max_string as f64).contains(&count)
                            || s.len() as f64 * count > self.limits.max_string as f64
                        {
                            return Err(Stop::Limit);
                        }
                        self.make_str(s.repeat(count as usize), trail)
                    }
                    "replace" | "replaceAll" => {
                        let Some(Value::Str(from)) = argument(0) else {
                            return Err(Stop::Unknown);
                        };
                        let to = to_string(argument(1).ok_or(Stop::Unknown)?).ok_or(Stop::Unknown)?;
                        if to.contains('$') {
                            return Err(Stop::Unknown);
                        }
                        let out = if name == "replace" {
                            s.replacen(&**from, &to, 1)
                        } else {
                            if from.is_empty() {
                                return Err(Stop::Unknown);
                            }
                            s.replace(&**from, &to)
                        };
                        self.charge(out.len())?;
                        self.make_str(out, trail.with_step("replace"))
                    }
                    "toLowerCase" => self.make_str(s.to_lowercase(), trail),
                    "toUpperCase" => self.make_str(s.to_uppercase(), trail),
                    "trim" => self.make_str(s.trim().to_string(), trail),
                    "toString" | "valueOf" => Ok(receiver.clone()),
                    "indexOf" => {
                        let Some(Value::Str(needle)) = argument(0) else {
                            return Err(Stop::Unknown);
                        };
                        self.work(s.len())?;
                        if !s.is_ascii() {
                            return Err(Stop::Unknown);
                        }
                        Ok(Traced::plain(Value::Num(s.find(&**needle).map_or(-1.0, |i| i as f64))))
                    }
                    "includes" | "startsWith" | "endsWith" => {
                        let Some(Value::Str(needle)) = argument(0) else {
                            return Err(Stop::Unknown);
                        };
                        self.work(s.len())?;
                        Ok(Traced::plain(Value::Bool(match name {
                            "includes" => s.contains(&**needle),
                            "startsWith" => s.starts_with(&**needle),
                            _ => s.ends_with(&**needle),
                        })))
                    }
                    _ => Err(Stop::Unknown),
                }
            }
            Value::Array(cell) => match name {
                "join" => {
                    let separator = match argument(0) {
                        None | Some(Value::Undefined) => ",".to_string(),
                        Some(v) => to_string(v).ok_or(Stop::Unknown)?,
                    };
                    let cell = cell.borrow();
                    let mut out = String::new();
                    let mut trail = trail;
                    for (i, item) in cell.items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(&separator);
                        }
                        out.push_str(&to_string(&item.value).ok_or(Stop::Unknown)?);
                        if out.len() > self.limits.max_string {
                            return Err(Stop::Limit);
                        }
                        trail = trail.merge(&item.trail);
                    }
                    drop(cell);
                    self.make_str(out, trail)
                }
                "reverse" => {
                    let mut cell = cell.borrow_mut();
                    if cell.frozen {
                        return Err(Stop::Unknown);
                    }
                    cell.items.reverse();
                    drop(cell);
                    let mut out = receiver.clone();
                    out.trail.push_step("reverse");
                    Ok(out)
                }
                "slice" => {
                    let items = cell.borrow().items.clone();
                    let len = items.len() as f64;
                    let relative = |n: f64| {
                        if n < 0.0 {
                            (len + n).max(0.0) as usize
                        } else {
                            n.min(len) as usize
                        }
                    };
                    let (from, to) = (relative(number(0).unwrap_or(0.0)), relative(number(1).unwrap_or(len)));
                    let piece = if from < to {
                        items[from..to].to_vec()
                    } else {
                        Vec::new()
                    };
                    self.make_array(piece, trail)
                }
                "concat" => {
                    let mut items = cell.borrow().items.clone();
                    let mut trail = trail;
                    for argument in &arguments {
                        match elements(&argument.value) {
                            Some(more) => items.extend(more),
                            None => items.push(argument.clone()),
                        }
                        trail = trail.merge(&argument.trail);
                    }
                    self.make_array(items, trail)
                }
                "map" | "filter" => {
                    let callback = arguments.first().cloned().ok_or(Stop::Unknown)?;
                    let items = cell.borrow().items.clone();
                    let mut out = Vec::with_capacity(items.len());
                    let mut trail = trail;
                    for (i, item) in items.into_iter().enumerate() {
                        let result = self.call(
                            callback.clone(),
                            vec![item.clone(), Traced::plain(Value::Num(i as f64)), receiver.clone()],
                        )?;
                        if name == "map" {
                            storable(&result.value)?;
                            trail = trail.merge(&result.trail);
                            out.push(result);
                        } else if truthy(&result.value) {
                            out.push(item);
                        }
                    }
                    self.make_array(out, trail)
                }
                "push" | "unshift" => {
                    for argument in &arguments {
                        storable(&argument.value)?;
                    }
                    if name == "unshift" {
                        self.work(cell.borrow().items.len())?;
                    }
                    let mut cell = cell.borrow_mut();
                    if cell.frozen || cell.items.len() + arguments.len() > self.limits.max_items {
                        return Err(if cell.frozen { Stop::Unknown } else { Stop::Limit });
                    }
                    if name == "push" {
                        cell.items.extend(arguments);
                    } else {
                        cell.items.splice(0..0, arguments);
                    }
                    Ok(Traced::plain(Value::Num(cell.items.len() as f64)))
                }
                "shift" | "pop" => {
                    if name == "shift" {
                        self.work(cell.borrow().items.len())?;
                    }
                    let mut cell = cell.borrow_mut();
                    if cell.frozen {
                        return Err(Stop::Unknown);
                    }
                    let item = if name == "shift" {
                        (!cell.items.is_empty()).then(|| cell.items.remove(0))
                    } else {
                        cell.items.pop()
                    };
                    Ok(item.unwrap_or_else(|| Traced::plain(Value::Undefined)))
                }
                "indexOf" | "includes" => {
                    let needle = argument(0).ok_or(Stop::Unknown)?;
                    self.work(cell.borrow().items.len())?;
                    let at = cell.borrow().items.iter().position(|i| strict_equals(&i.value, needle));
                    Ok(Traced::plain(if name == "indexOf" {
                        Value::Num(at.map_or(-1.0, |i| i as f64))
                    } else {
                        Value::Bool(at.is_some())
                    }))
                }
                _ => Err(Stop::Unknown),
            },
            Value::Bytes(bytes) => match name {
                "toString" => {
                    let encoding = match argument(0) {
                        None | Some(Value::Undefined) => String::new(),
                        Some(v) => to_string(v).ok_or(Stop::Unknown)?,
                    };
                    let text = encoding::bytes_to_string(bytes, &encoding).ok_or(Stop::Unknown)?;
                    self.make_str(text, trail)
                }
                "map" => {
                    let callback = arguments.first().cloned().ok_or(Stop::Unknown)?;
                    let mut out = Vec::with_capacity(bytes.len());
                    let mut trail = trail;
                    for (i, &byte) in bytes.iter().enumerate() {
                        let result = self.call(
                            callback.clone(),
                            vec![
                                Traced::num(f64::from(byte), receiver.trail.clone()),
                                Traced::plain(Value::Num(i as f64)),
                            ],
                        )?;
                        trail = trail.merge(&result.trail);
                        out.push(to_number(&result.value) as i64 as u8);
                    }
                    self.charge(out.len())?;
                    Ok(Traced {
                        value: Value::Bytes(out.into()),
                        trail,
                    })
                }
                _ => Err(Stop::Unknown),
            },
            Value::Num(n) => match name {
                "toString" => {
                    let radix = number(0).unwrap_or(10.0) as u32;
                    if !(2..=36).contains(&radix) {
                        return Err(Stop::Unknown);
                    }
                    self.make_str(number_to_string(*n, radix), trail)
                }
                _ => Err(Stop::Unknown),
            },
            _ => Err(Stop::Unknown),
        }
    }
}

/// The trail of a recognised decoding: the decoded argument's trail, the steps, then the
/// functions the computation went through.
fn named_trail(decoding: &recognise::Decoding, given: &[Traced], computed: &Trail) -> Trail {
    let strings: Vec<Option<&str>> = given.iter().map(Traced::as_str).collect();
    let mut named = given.get(decoding.input()).map(|g| g.trail.clone()).unwrap_or_default();
    for step in decoding.steps(&strings) {
        named.push_step(&step);
    }
    if let Some(data) = computed.data() {
        for function in &data.functions {
            named.push_function(function);
        }
    }
    named
}

/// A copy of an object, so writes to it stay in one evaluation.
fn unshared(value: &Traced) -> Traced {
    match &value.value {
        Value::Object(entries) => Traced {
            value: Value::Object(Rc::new(RefCell::new(entries.borrow().clone()))),
            trail: value.trail.clone(),
        },
        _ => value.clone(),
    }
}

/// The step arithmetic on a character code stands for: `XOR with 0x5b`, `add 3`, `XOR with the
/// key "k3y"`.
fn char_step(op: BinaryOperator, left: &Traced, right: &Traced, mut trail: Trail) -> Trail {
    let key = match (left.trail.char_of(), right.trail.char_of()) {
        (Some(_), _) => right,
        (None, Some(_)) => left,
        (None, None) => return trail,
    };
    let verb = match op {
        BinaryOperator::BitwiseXOR => "XOR with",
        BinaryOperator::Addition => "add",
        BinaryOperator::Subtraction => "subtract",
        _ => return trail,
    };
    let key = match (&key.value, key.trail.char_of()) {
        (_, Some(text)) => format!("the key \"{}\"", shorten(text, 40)),
        (Value::Num(n), None) if op == BinaryOperator::BitwiseXOR => format!("0x{:x}", *n as i64),
        (Value::Num(n), None) => number_to_string(*n, 10),
        _ => "a computed value".into(),
    };
    trail.push_step(&format!("{verb} {key}"));
    trail
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    format!("{}…", text.chars().take(max).collect::<String>())
}

/// Globals the evaluator may use: pure functions of their arguments.
fn global(name: &str) -> Eval<Traced> {
    let value = match name {
        "undefined" => Value::Undefined,
        "NaN" => Value::Num(f64::NAN),
        "Infinity" => Value::Num(f64::INFINITY),
        "atob" => Value::Builtin("atob"),
        "btoa" => Value::Builtin("btoa"),
        "decodeURIComponent" => Value::Builtin("decodeURIComponent"),
        "decodeURI" => Value::Builtin("decodeURI"),
        "unescape" => Value::Builtin("unescape"),
        "escape" => Value::Builtin("escape"),
        "parseInt" => Value::Builtin("parseInt"),
        "parseFloat" => Value::Builtin("parseFloat"),
        "Number" => Value::Builtin("Number"),
        "String" => Value::Builtin("String"),
        "Math" => Value::Builtin("Math"),
        "Buffer" => Value::Builtin("Buffer"),
        "Array" => Value::Builtin("Array"),
        "Set" => Value::Builtin("Set"),
        _ => return Err(Stop::Unknown),
    };
    Ok(Traced::plain(value))
}

fn global_member(base: &str, name: &str) -> Eval<Traced> {
    let value = match (base, name) {
        ("String", "fromCharCode") => "String.fromCharCode",
        ("String", "fromCodePoint") => "String.fromCodePoint",
        ("Buffer", "from") => "Buffer.from",
        ("Array", "from") => "Array.from",
        ("Math", "floor") => "Math.floor",
        ("Math", "ceil") => "Math.ceil",
        ("Math", "round") => "Math.round",
        ("Math", "trunc") => "Math.trunc",
        ("Math", "abs") => "Math.abs",
        ("Math", "min") => "Math.min",
        ("Math", "max") => "Math.max",
        _ => return Err(Stop::Unknown),
    };
    Ok(Traced::plain(Value::Builtin(value)))
}

/// The name a function goes by: its own, or the variable, property or assignment holding it.
pub fn function_name(semantic: &Semantic<'_>, node: NodeId) -> Option<String> {
    let nodes = semantic.nodes();
    if let AstKind::Function(f) = nodes.kind(node)
        && let Some(id) = &f.id
    {
        return Some(id.name.to_string());
    }
    match nodes.parent_kind(node) {
        AstKind::VariableDeclarator(d) => match &d.id {
            BindingPattern::BindingIdentifier(id) => Some(id.name.to_string()),
            _ => None,
        },
        AstKind::AssignmentExpression(a) => match &a.left {
            AssignmentTarget::AssignmentTargetIdentifier(id) => Some(id.name.to_string()),
            other => other
                .as_member_expression()
                .and_then(|m| m.static_property_name())
                .map(|n| n.to_string()),
        },
        AstKind::ObjectProperty(p) => p.key.static_name().map(|n| n.to_string()),
        _ => None,
    }
}

/// Values an array or object may hold: no arrays or objects, so nothing contains itself.
fn storable(value: &Value) -> Eval<()> {
    match value {
        Value::Array(_) | Value::Object(_) | Value::Method(..) => Err(Stop::Unknown),
        _ => Ok(()),
    }
}

fn storable_or_function(value: &Value) -> Eval<()> {
    match value {
        Value::Method(..) => Err(Stop::Unknown),
        _ => Ok(()),
    }
}

/// Arrays kept between evaluations are read-only from then on.
pub fn freeze(value: &Value) {
    if let Value::Array(cell) = value {
        cell.borrow_mut().frozen = true;
    }
}

fn elements(value: &Value) -> Option<Vec<Traced>> {
    match value {
        Value::Array(cell) => Some(cell.borrow().items.clone()),
        Value::Str(s) => Some(
            s.chars()
                .map(|c| Traced::plain(Value::Str(c.to_string().into())))
                .collect(),
        ),
        _ => None,
    }
}

fn array_index(value: &Value) -> Option<usize> {
    match value {
        Value::Num(n) if *n >= 0.0 && n.fract() == 0.0 && *n < 1e9 => Some(*n as usize),
        _ => None,
    }
}

fn span(s: oxc::span::Span) -> Span {
    Span {
        start: s.start,
        end: s.end,
    }
}

pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Undefined | Value::Null => false,
        Value::Bool(b) => *b,
        Value::Num(n) => *n != 0.0 && !n.is_nan(),
        Value::Str(s) => !s.is_empty(),
        _ => true,
    }
}

pub fn to_number(value: &Value) -> f64 {
    match value {
        Value::Num(n) => *n,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Null => 0.0,
        Value::Str(s) => {
            let t = s.trim();
            if t.is_empty() {
                0.0
            } else if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                i64::from_str_radix(hex, 16).map_or(f64::NAN, |n| n as f64)
            } else {
                t.parse().unwrap_or(f64::NAN)
            }
        }
        _ => f64::NAN,
    }
}

fn to_i32(value: &Value) -> i32 {
    let n = to_number(value);
    if !n.is_finite() {
        return 0;
    }
    (n.trunc() as i64 as u64 % (1 << 32)) as u32 as i32
}

pub fn to_string(value: &Value) -> Option<String> {
    Some(match value {
        Value::Str(s) => s.to_string(),
        Value::Num(n) => number_to_string(*n, 10),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Undefined => "undefined".into(),
        Value::Array(cell) => {
            let cell = cell.borrow();
            let mut out = String::new();
            for (i, item) in cell.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !matches!(item.value, Value::Undefined | Value::Null) {
                    out.push_str(&to_string(&item.value)?);
                }
            }
            out
        }
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        _ => return None,
    })
}

pub fn number_to_string(n: f64, radix: u32) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if n.fract() == 0.0 && n.abs() < 1e21 {
        if radix == 10 {
            return format!("{}", n as i64);
        }
        let mut value = n.abs() as u64;
        let mut digits = Vec::new();
        loop {
            digits.push(std::char::from_digit((value % u64::from(radix)) as u32, radix).unwrap_or('0'));
            value /= u64::from(radix);
            if value == 0 {
                break;
            }
        }
        if n < 0.0 {
            digits.push('-');
        }
        return digits.into_iter().rev().collect();
    }
    format!("{n}")
}

fn parse_int(text: &str, radix: u32) -> f64 {
    let t = text.trim_start();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (radix, t) = match radix {
        0 | 16 if t.starts_with("0x") || t.starts_with("0X") => (16, &t[2..]),
        0 => (10, t),
        r => (r, t),
    };
    if !(2..=36).contains(&radix) {
        return f64::NAN;
    }
    let digits: String = t.chars().take_while(|c| c.is_digit(radix)).collect();
    if digits.is_empty() {
        return f64::NAN;
    }
    let value = digits.chars().fold(0f64, |acc, c| {
        acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
    });
    if negative { -value } else { value }
}

fn strict_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::Num(a), Value::Num(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Null, Value::Null) | (Value::Undefined, Value::Undefined) => true,
        (Value::Array(a), Value::Array(b)) => Rc::ptr_eq(a, b),
        (Value::Function(a), Value::Function(b)) => a == b,
        _ => false,
    }
}

fn loose_equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null | Value::Undefined, Value::Null | Value::Undefined) => true,
        (Value::Null | Value::Undefined, _) | (_, Value::Null | Value::Undefined) => false,
        (Value::Str(_), Value::Num(_)) | (Value::Num(_), Value::Str(_)) | (Value::Bool(_), _) | (_, Value::Bool(_)) => {
            to_number(a) == to_number(b)
        }
        _ => strict_equals(a, b),
    }
}
