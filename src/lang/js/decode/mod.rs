//! Hidden strings: a small partial evaluator over constants sees through the usual ways of
//! hiding a string (`atob`, `Buffer.from(s, "base64"|"hex")`, percent-escapes, character codes,
//! per-character XOR/add/subtract with a key, reverse/split/join/slice, obfuscator string tables
//! with rotation and their base64/RC4 encodings, small decoder functions) without ever running
//! the package: only pure, known operations over constants, with bounded steps, memory and depth
//! ([`eval`]). What a package's own decoder did is named by comparing its result with known
//! decodings of its argument ([`recognise`]).
//!
//! A string table's rotation (`push(shift())` until a checksum matches) runs once, where the walk
//! meets it, and the table's state is kept for every later evaluation in the file.
//!
//! The extractor calls [`Extractor::decode`] on every node; evaluation starts only where an
//! idiom begins (a decoding call, a call of a package function with constant arguments, a
//! concatenation or template, a comparison with something not literal, a branch choosing between
//! strings). A decoded string is offered to the rules as a `Text` fact at the span of the
//! expression that decodes it, carrying its provenance; a decoded list compared with a value
//! becomes `Compare` facts with the list attached; a branch or lookup choosing between strings a
//! reader cannot tell apart becomes a `Covert` fact; names with invisible or bidi characters
//! become `Name` facts (Trojan Source).

mod contained;
pub(super) mod encoding;
mod eval;
mod recognise;
mod unicode;
mod value;

use oxc::ast::AstKind;
use oxc::ast::ast::{Argument, CallExpression, Expression, ExpressionStatement};
use oxc::semantic::{NodeId, Semantic};
use oxc::syntax::operator::BinaryOperator;

use self::eval::{Limits, Memory, Run, Stop};
use self::value::{Traced, Value};
use super::Extractor;
use super::resolve::string_value;
use crate::lang::facts::{Decoded, Fact, FactKind};
use crate::report::Span;

pub use self::unicode::covert_difference;

/// Steps all evaluations of one file may take together, besides its string-table rotations (which
/// share [`Limits::PRELUDE`]); past it the file's remaining sites are not evaluated (a 16 MB
/// bundle spends a small fraction of this).
const FILE_STEPS: u64 = 20_000_000;
/// Longest decoded string offered to the rules (as for literals).
const MAX_TEXT: usize = 4096;
/// Most string-table rotations run in one file (one per obfuscated module of a bundle).
const MAX_PRELUDES: usize = 8;
/// Most items of a decoded list offered one by one.
const MAX_LIST: usize = 256;

/// The evaluator's state for one file.
pub struct Decoder<'s, 'a> {
    semantic: &'s Semantic<'a>,
    memory: Memory,
    spent: u64,
    /// String-table rotations run, and the steps they took together.
    preludes: usize,
    prelude_steps: u32,
}

impl std::fmt::Debug for Decoder<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder").field("spent", &self.spent).finish()
    }
}

impl<'s, 'a> Decoder<'s, 'a> {
    pub fn new(semantic: &'s Semantic<'a>) -> Self {
        Self {
            semantic,
            memory: Memory::default(),
            spent: 0,
            preludes: 0,
            prelude_steps: 0,
        }
    }

    /// The value of `expr` when constant code makes it one.
    pub fn value(&mut self, expr: &Expression<'a>) -> Option<Traced> {
        self.evaluate(|run| run.eval(expr))
    }

    /// Runs one evaluation within the file's budget.
    fn evaluate(&mut self, start: impl FnOnce(&mut Run<'_, 's, 'a>) -> Result<Traced, Stop>) -> Option<Traced> {
        if self.spent >= FILE_STEPS {
            return None;
        }
        let mut run = Run::new(self.semantic, &mut self.memory, Limits::SITE);
        let result = start(&mut run);
        self.spent += u64::from(run.steps());
        result.ok()
    }

    /// A name of a function declared in the file (a string table's function).
    fn names_a_function(&self, argument: &Argument<'a>) -> bool {
        let Argument::Identifier(id) = argument else {
            return false;
        };
        let Some(symbol) = id
            .reference_id
            .get()
            .and_then(|r| self.semantic.scoping().get_reference(r).symbol_id())
        else {
            return false;
        };
        let declaration = self.semantic.scoping().symbol_declaration(symbol);
        matches!(self.semantic.nodes().kind(declaration), AstKind::Function(_))
    }

    /// Runs code that rotates an obfuscator's string table when the walk reaches it (a function
    /// called at once with the table's function and a checksum, shuffling the table with
    /// `push(shift())`), so later lookups see the table as the code will. It may be at the top
    /// level or inside a bundler's module wrapper; a bundle may hold several, which share
    /// [`Limits::PRELUDE`].
    fn rotation(&mut self, statement: &ExpressionStatement<'a>) {
        if self.preludes >= MAX_PRELUDES || self.prelude_steps >= Limits::PRELUDE.steps {
            return;
        }
        let mut expr = statement.expression.without_parentheses();
        if let Expression::UnaryExpression(u) = expr {
            expr = u.argument.without_parentheses();
        }
        let Expression::CallExpression(call) = expr else {
            return;
        };
        let body = match call.callee.without_parentheses() {
            Expression::FunctionExpression(function) => function.span,
            Expression::ArrowFunctionExpression(function) => function.span,
            _ => return,
        }
        .source_text(self.semantic.source_text());
        if call.arguments.len() != 2
            || !self.names_a_function(&call.arguments[0])
            || !is_number(&call.arguments[1])
            || !body.contains("push")
            || !body.contains("shift")
        {
            return;
        }
        self.preludes += 1;
        let limits = Limits {
            steps: Limits::PRELUDE.steps - self.prelude_steps,
            ..Limits::PRELUDE
        };
        let mut run = Run::new(self.semantic, &mut self.memory, limits);
        let result = run.eval(&statement.expression);
        self.prelude_steps += run.steps().min(limits.steps);
        if result.is_ok() {
            let (store, props) = run.into_state();
            for value in store.values().chain(props.values()) {
                eval::freeze(&value.value);
            }
            self.memory.base = store;
            self.memory.base_props = props;
        }
    }
}

impl<'s, 'a> Extractor<'s, 'a> {
    /// The decoding hook, called on every node: starts the evaluator only where an idiom begins.
    pub(super) fn decode(&mut self, id: NodeId, kind: AstKind<'a>) {
        match kind {
            AstKind::CallExpression(call) => {
                if self.decoding_call(call)
                    && self.rules.wants(FactKind::Text, "")
                    && let Some(value) = self.evaluate_call(call)
                {
                    self.offer_decoded(id, span(call.span), &value);
                }
                self.compare_with_list(id, call);
            }
            AstKind::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                let nested = matches!(self.semantic.nodes().parent_kind(id),
                    AstKind::BinaryExpression(p) if p.operator == BinaryOperator::Addition);
                if !nested
                    && self.rules.wants(FactKind::Text, "")
                    && let Some(value) = self.decoder.evaluate(|run| run.binary_expression(b))
                {
                    self.offer_decoded(id, span(b.span), &value);
                }
            }
            AstKind::BinaryExpression(b) if b.operator.is_equality() => self.compare_with_decoded(id, b),
            AstKind::TemplateLiteral(t) if !t.expressions.is_empty() => {
                if !matches!(
                    self.semantic.nodes().parent_kind(id),
                    AstKind::TaggedTemplateExpression(_)
                ) && self.rules.wants(FactKind::Text, "")
                    && let Some(value) = self.decoder.evaluate(|run| run.template(t))
                {
                    self.offer_decoded(id, span(t.span), &value);
                }
            }
            AstKind::ConditionalExpression(c) => {
                if self.rules.wants(FactKind::Covert, "")
                    && let (Some(a), Some(b)) = (self.constant_text(&c.consequent), self.constant_text(&c.alternate))
                    && let Some(difference) = covert_difference(&a, &b)
                {
                    let argument = self.condition_names(&c.test);
                    self.offer(
                        Fact {
                            kind: FactKind::Covert,
                            subject: difference.to_string(),
                            argument: Some(argument),
                            argument_keys: Vec::new(),
                            span: span(c.span),
                            decoded: Some(Box::new(Decoded {
                                text: a.clone(),
                                list: vec![a, b],
                                steps: Vec::new(),
                                functions: Vec::new(),
                                literal: None,
                            })),
                        },
                        id,
                    );
                }
            }
            AstKind::ComputedMemberExpression(m) => self.covert_lookup(id, m),
            AstKind::ExpressionStatement(statement) => self.decoder.rotation(statement),
            AstKind::BindingIdentifier(b) => self.hidden_name(id, b.name.as_str(), span(b.span)),
            AstKind::IdentifierReference(r) => self.hidden_name(id, r.name.as_str(), span(r.span)),
            _ => {}
        }
    }

    /// Calls that may decode: known decoding globals and methods, and calls of the package's
    /// own functions with constant arguments.
    fn decoding_call(&self, call: &CallExpression<'a>) -> bool {
        match call.callee.without_parentheses() {
            Expression::Identifier(callee) => {
                let global = self.resolver.symbol_of(callee).is_none();
                if global {
                    return matches!(
                        callee.name.as_str(),
                        "atob" | "decodeURIComponent" | "decodeURI" | "unescape"
                    );
                }
                !call.arguments.is_empty()
                    && call.arguments.len() <= 4
                    && call
                        .arguments
                        .iter()
                        .all(|a| a.as_expression().is_some_and(constant_looking))
                    && call.arguments.iter().any(|a| {
                        a.as_expression()
                            .is_some_and(|e| is_literal(e) || self.constant_member(e))
                    })
            }
            Expression::StaticMemberExpression(m) => matches!(
                m.property.name.as_str(),
                "fromCharCode"
                    | "fromCodePoint"
                    | "toString"
                    | "join"
                    | "split"
                    | "replace"
                    | "replaceAll"
                    | "slice"
                    | "substring"
                    | "substr"
                    | "concat"
            ),
            _ => false,
        }
    }

    /// `o.k` where `o` is a constant object literal: obfuscators move a decoder call's literal
    /// arguments into such an object (javascript-obfuscator's `stringArrayCallsTransform`).
    fn constant_member(&self, expr: &Expression<'a>) -> bool {
        let m = match expr.without_parentheses() {
            Expression::StaticMemberExpression(m) => m,
            Expression::UnaryExpression(u) => return self.constant_member(&u.argument),
            _ => return false,
        };
        let Expression::Identifier(object) = m.object.without_parentheses() else {
            return false;
        };
        let Some(symbol) = self.resolver.symbol_of(object) else {
            return false;
        };
        let scoping = self.semantic.scoping();
        if scoping.symbol_is_mutated(symbol) {
            return false;
        }
        matches!(
            self.semantic.nodes().kind(scoping.symbol_declaration(symbol)),
            AstKind::VariableDeclarator(d)
                if matches!(d.init.as_ref().map(Expression::without_parentheses), Some(Expression::ObjectExpression(_)))
        )
    }

    fn evaluate_call(&mut self, call: &CallExpression<'a>) -> Option<Traced> {
        self.decoder.evaluate(|run| run.call_expression(call))
    }

    /// Offers a decoded string (or each string of a decoded list) as a `Text` fact at `at`.
    fn offer_decoded(&mut self, id: NodeId, at: Span, value: &Traced) {
        if !value.trail.is_transformed() {
            return;
        }
        match &value.value {
            Value::Str(text) => {
                if text.len() > MAX_TEXT || text.is_empty() {
                    return;
                }
                let decoded = decoded_of(value, text, Vec::new());
                self.offer_text(id, at, text, decoded);
            }
            Value::Array(_) => {
                let Some(list) = string_list(value) else { return };
                for item in list.iter().take(MAX_LIST) {
                    if item.is_empty() || item.len() > MAX_TEXT {
                        continue;
                    }
                    let decoded = decoded_of(value, item, list.clone());
                    self.offer_text(id, at, item, decoded);
                }
            }
            _ => {}
        }
    }

    fn offer_text(&mut self, id: NodeId, at: Span, text: &str, decoded: Decoded) {
        if text.contains("://") {
            for url in super::urls_in(text) {
                self.urls.push((url.to_string(), at));
            }
        }
        let mut fact = Fact::new(FactKind::Text, text, at);
        fact.decoded = Some(Box::new(decoded));
        self.offer(fact, id);
    }

    /// `x === <decoded>`: a comparison with a value constant code computes.
    fn compare_with_decoded(&mut self, id: NodeId, b: &oxc::ast::ast::BinaryExpression<'a>) {
        if string_value(&b.left).is_some()
            || string_value(&b.right).is_some()
            || !self.rules.wants(FactKind::Compare, "")
        {
            return;
        }
        for (side, other) in [(&b.right, &b.left), (&b.left, &b.right)] {
            if !worth_evaluating(side) {
                continue;
            }
            let Some(value) = self.decoder.value(side) else {
                continue;
            };
            let Value::Str(text) = &value.value else { continue };
            if self.decoder.value(other).is_some() {
                return;
            }
            let argument = self.compared_name(other);
            let decoded = value
                .trail
                .is_transformed()
                .then(|| Box::new(decoded_of(&value, text, Vec::new())));
            self.offer(
                Fact {
                    kind: FactKind::Compare,
                    subject: text.to_string(),
                    argument: Some(argument),
                    argument_keys: Vec::new(),
                    span: span(b.span),
                    decoded,
                },
                id,
            );
            return;
        }
    }

    /// `<decoded list>.includes(x)` (`indexOf`, `has`, `new Set(list).has(x)`): one comparison
    /// per item, each with the whole list.
    fn compare_with_list(&mut self, id: NodeId, call: &CallExpression<'a>) {
        let Expression::StaticMemberExpression(m) = call.callee.without_parentheses() else {
            return;
        };
        if !matches!(m.property.name.as_str(), "includes" | "indexOf" | "has")
            || matches!(m.object.without_parentheses(), Expression::ArrayExpression(_))
            || !self.rules.wants(FactKind::Compare, "")
        {
            return;
        }
        let Some(first) = call.arguments.first().and_then(Argument::as_expression) else {
            return;
        };
        if string_value(first).is_some() || !worth_evaluating(&m.object) {
            return;
        }
        let Some(value) = self.decoder.value(&m.object) else {
            return;
        };
        let Some(list) = string_list(&value) else { return };
        let argument = self.compared_name(first);
        for item in list.iter().take(MAX_LIST) {
            self.offer(
                Fact {
                    kind: FactKind::Compare,
                    subject: item.clone(),
                    argument: Some(argument.clone()),
                    argument_keys: Vec::new(),
                    span: span(call.span),
                    decoded: Some(Box::new(decoded_of(&value, item, list.clone()))),
                },
                id,
            );
        }
    }

    /// `{CN: "a\u200b", US: "a"}[country]`: a lookup choosing between strings a reader cannot
    /// tell apart.
    fn covert_lookup(&mut self, id: NodeId, m: &oxc::ast::ast::ComputedMemberExpression<'a>) {
        if !matches!(
            m.object.without_parentheses(),
            Expression::ObjectExpression(_) | Expression::ArrayExpression(_)
        ) || string_value(&m.expression).is_some()
            || !self.rules.wants(FactKind::Covert, "")
        {
            return;
        }
        let Some(value) = self.decoder.value(&m.object) else {
            return;
        };
        let strings: Vec<String> = match &value.value {
            Value::Object(entries) => entries
                .borrow()
                .iter()
                .filter_map(|(_, v)| v.as_str().map(str::to_string))
                .collect(),
            Value::Array(_) => string_list(&value).unwrap_or_default(),
            _ => return,
        };
        for (i, a) in strings.iter().enumerate().take(64) {
            for b in strings.iter().skip(i + 1).take(64) {
                if let Some(difference) = covert_difference(a, b) {
                    let argument = self.condition_names(&m.expression);
                    self.offer(
                        Fact {
                            kind: FactKind::Covert,
                            subject: difference.to_string(),
                            argument: Some(argument),
                            argument_keys: Vec::new(),
                            span: span(m.span),
                            decoded: Some(Box::new(Decoded {
                                text: a.clone(),
                                list: strings.clone(),
                                steps: Vec::new(),
                                functions: Vec::new(),
                                literal: None,
                            })),
                        },
                        id,
                    );
                    return;
                }
            }
        }
    }

    /// A variable whose name holds invisible or bidi characters.
    fn hidden_name(&mut self, id: NodeId, name: &str, at: Span) {
        if unicode::hides(name) && self.rules.wants(FactKind::Name, name) {
            self.offer(Fact::new(FactKind::Name, name, at), id);
        }
    }

    /// What a compared value is, for the rules' `subject` filter; member names an obfuscator
    /// computed (`Intl[_0x1f(0x1a2)]()`) are spelled out when the evaluator works them out.
    fn compared_name(&mut self, expr: &Expression<'a>) -> String {
        let name = self.subject_name(expr);
        if !name.contains('?') && !name.contains("[]") {
            return name;
        }
        let mut chain = String::new();
        if self.decoded_chain(expr, &mut chain, 0) {
            return chain;
        }
        name
    }

    /// Appends the chain of `expr` (globals, constants, members, calls) with computed member
    /// names evaluated; false when some part is not a name or a constant.
    fn decoded_chain(&mut self, expr: &Expression<'a>, out: &mut String, depth: u8) -> bool {
        if depth > 12 || out.len() > 256 {
            return false;
        }
        match expr.without_parentheses() {
            Expression::Identifier(id) => {
                let Some(symbol) = self.resolver.symbol_of(id) else {
                    out.push_str(id.name.as_str());
                    return true;
                };
                let scoping = self.semantic.scoping();
                if scoping.symbol_is_mutated(symbol) {
                    return false;
                }
                let declaration = scoping.symbol_declaration(symbol);
                match self.semantic.nodes().kind(declaration) {
                    AstKind::VariableDeclarator(d) => match &d.init {
                        Some(init) => self.decoded_chain(init, out, depth + 1),
                        None => false,
                    },
                    _ => false,
                }
            }
            Expression::StaticMemberExpression(m) => {
                if !self.decoded_chain(&m.object, out, depth + 1) {
                    return false;
                }
                out.push('.');
                out.push_str(m.property.name.as_str());
                true
            }
            Expression::ComputedMemberExpression(m) => {
                let key = match string_value(&m.expression) {
                    Some(key) => key.to_string(),
                    None => match self
                        .decoder
                        .value(&m.expression)
                        .and_then(|v| v.as_str().map(str::to_string))
                    {
                        Some(key) => key,
                        None => return false,
                    },
                };
                if !self.decoded_chain(&m.object, out, depth + 1) {
                    return false;
                }
                out.push('.');
                out.push_str(&key);
                true
            }
            Expression::CallExpression(call) => {
                if !self.decoded_chain(&call.callee, out, depth + 1) {
                    return false;
                }
                out.push_str("()");
                true
            }
            _ => false,
        }
    }

    /// A string from constant code (a literal or anything the evaluator works out).
    fn constant_text(&mut self, expr: &Expression<'a>) -> Option<String> {
        if let Some(text) = string_value(expr) {
            return Some(text.to_string());
        }
        if !worth_evaluating(expr) {
            return None;
        }
        self.decoder.value(expr)?.as_str().map(str::to_string)
    }

    /// What a condition or key is made of: the chains and names it reads, for the rules'
    /// `subject` filter.
    fn condition_names(&self, expr: &Expression<'a>) -> String {
        let mut names = Vec::new();
        self.collect_names(expr, &mut names, 0);
        names.join(", ")
    }

    fn collect_names(&self, expr: &Expression<'a>, out: &mut Vec<String>, depth: u8) {
        if depth > 6 || out.len() > 8 {
            return;
        }
        match expr.without_parentheses() {
            Expression::BinaryExpression(b) => {
                self.collect_names(&b.left, out, depth + 1);
                self.collect_names(&b.right, out, depth + 1);
            }
            Expression::LogicalExpression(l) => {
                self.collect_names(&l.left, out, depth + 1);
                self.collect_names(&l.right, out, depth + 1);
            }
            Expression::UnaryExpression(u) => self.collect_names(&u.argument, out, depth + 1),
            Expression::CallExpression(c) => {
                if let Expression::StaticMemberExpression(m) = c.callee.without_parentheses() {
                    self.collect_names(&m.object, out, depth + 1);
                }
                out.push(self.subject_name(expr));
            }
            Expression::StringLiteral(_) | Expression::NumericLiteral(_) | Expression::BooleanLiteral(_) => {}
            other => out.push(self.subject_name(other)),
        }
    }
}

/// Whether evaluating an expression could give a constant (cheap checks first).
fn worth_evaluating(expr: &Expression<'_>) -> bool {
    !matches!(
        expr.without_parentheses(),
        Expression::ThisExpression(_)
            | Expression::ObjectExpression(_)
            | Expression::FunctionExpression(_)
            | Expression::ArrowFunctionExpression(_)
            | Expression::ClassExpression(_)
            | Expression::NullLiteral(_)
            | Expression::BooleanLiteral(_)
            | Expression::NumericLiteral(_)
            | Expression::AwaitExpression(_)
            | Expression::ChainExpression(_)
    )
}

/// A number literal, maybe negated (an obfuscator's checksum).
fn is_number(argument: &Argument<'_>) -> bool {
    match argument.as_expression().map(Expression::without_parentheses) {
        Some(Expression::NumericLiteral(_)) => true,
        Some(Expression::UnaryExpression(u)) => matches!(u.argument, Expression::NumericLiteral(_)),
        _ => false,
    }
}

fn is_literal(expr: &Expression<'_>) -> bool {
    matches!(
        expr.without_parentheses(),
        Expression::StringLiteral(_) | Expression::NumericLiteral(_)
    ) || matches!(expr.without_parentheses(), Expression::UnaryExpression(u) if matches!(u.argument, Expression::NumericLiteral(_)))
}

/// Arguments a decoder call has: literals, names, properties of names, and arithmetic on them.
fn constant_looking(expr: &Expression<'_>) -> bool {
    match expr.without_parentheses() {
        Expression::StringLiteral(_) | Expression::NumericLiteral(_) | Expression::Identifier(_) => true,
        Expression::TemplateLiteral(t) => t.expressions.is_empty(),
        Expression::StaticMemberExpression(m) => matches!(m.object.without_parentheses(), Expression::Identifier(_)),
        Expression::UnaryExpression(u) => constant_looking(&u.argument),
        Expression::BinaryExpression(b) => constant_looking(&b.left) && constant_looking(&b.right),
        _ => false,
    }
}

fn string_list(value: &Traced) -> Option<Vec<String>> {
    let Value::Array(cell) = &value.value else { return None };
    let cell = cell.borrow();
    if cell.items.is_empty() {
        return None;
    }
    cell.items.iter().map(|i| i.as_str().map(str::to_string)).collect()
}

/// The provenance of a decoded value, as facts carry it.
fn decoded_of(value: &Traced, text: &str, list: Vec<String>) -> Decoded {
    let data = value.trail.data();
    Decoded {
        text: text.to_string(),
        list,
        steps: data
            .map(|d| d.steps.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
        functions: data
            .map(|d| d.functions.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
        literal: value.trail.literal_span(),
    }
}

fn span(s: oxc::span::Span) -> Span {
    Span {
        start: s.start,
        end: s.end,
    }
}

#[cfg(test)]
mod tests {
    use oxc::allocator::Allocator;
    use oxc::ast::ast::Statement;
    use oxc::parser::Parser;
    use oxc::semantic::SemanticBuilder;
    use oxc::span::SourceType;

    use super::*;

    /// Evaluates the initialiser of the last `const` in `source` with `limits`.
    fn last_const(source: &str, limits: Limits) -> (Result<Traced, Stop>, u32) {
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, source, SourceType::mjs()).parse();
        assert!(!parsed.panicked);
        let semantic = SemanticBuilder::new()
            .with_build_nodes(true)
            .build(&parsed.program)
            .semantic;
        let Some(Statement::VariableDeclaration(d)) = parsed.program.body.last() else {
            panic!("the last statement is a declaration");
        };
        let init = d.declarations[0].init.as_ref().expect("an initialiser");
        let mut memory = Memory::default();
        let mut run = Run::new(&semantic, &mut memory, limits);
        let result = run.eval(init);
        let steps = run.steps();
        (result, steps)
    }

    fn text(source: &str) -> String {
        match last_const(source, Limits::SITE).0 {
            Ok(value) => value.as_str().expect("a string").to_string(),
            Err(stop) => panic!("{stop:?} for {source}"),
        }
    }

    fn stops(source: &str) -> Stop {
        match last_const(source, Limits::SITE) {
            (Ok(value), _) => panic!("a value for {source}: {value:?}"),
            (Err(stop), steps) => {
                assert!(steps <= Limits::SITE.steps + 1, "{steps} steps");
                stop
            }
        }
    }

    #[test]
    fn folds_constants_across_names() {
        assert_eq!(text("const A = 'ip'; const B = A + 'info' + '.' + 'io'"), "ipinfo.io");
        assert_eq!(text("const n = 0x10; const s = `v${n * 2}`"), "v32");
        assert_eq!(text("const s = ['a','b','c'].reverse().join('-')"), "c-b-a");
        assert_eq!(text("const s = (255).toString(16) + 'x'.repeat(3)"), "ffxxx");
    }

    #[test]
    fn decoding_idioms() {
        assert_eq!(text("const s = atob('aGk=')"), "hi");
        assert_eq!(text("const s = Buffer.from('6869', 'hex').toString('utf8')"), "hi");
        assert_eq!(text("const s = String.fromCharCode(104, 105)"), "hi");
        assert_eq!(text("const s = decodeURIComponent('%E4%B8%AD')"), "中");
        assert_eq!(text("const s = unescape('%u4E2D')"), "中");
        assert_eq!(
            text(
                "const k = 'k'; const s = Array.from('\\x03\\x02', (c) => c).map((c, i) => String.fromCharCode(c.charCodeAt(0) ^ k.charCodeAt(0))).join('')"
            ),
            "hi"
        );
    }

    #[test]
    fn a_key_string_is_named_in_the_step() {
        let (value, _) = last_const(
            "const KEY = 'ab'; function x(s) { let o = ''; for (let i = 0; i < s.length; i++) o += String.fromCharCode(s.charCodeAt(i) ^ KEY.charCodeAt(i % KEY.length)); return o } const s = x('\\x09\\x0b')",
            Limits::SITE,
        );
        let value = value.unwrap();
        assert_eq!(value.as_str(), Some("hi"));
        let trail = value.trail.data().unwrap();
        assert_eq!(&*trail.steps[0], "XOR with the key \"ab\"");
        assert_eq!(&*trail.functions[0], "x");
    }

    #[test]
    fn what_is_not_constant_is_unknown() {
        assert_eq!(stops("const s = process.env.HOME + '/x'"), Stop::Unknown);
        assert_eq!(
            stops("function f(p) { return p } const s = f(require('os').hostname())"),
            Stop::Unknown
        );
        assert_eq!(stops("const s = this.name"), Stop::Unknown);
        assert_eq!(stops("let t = 'a'; t = 'b'; const s = t + 'c'"), Stop::Unknown);
    }

    #[test]
    fn hostile_inputs_stop_at_a_limit() {
        assert_eq!(stops("const s = 'ab'.repeat(1e9)"), Stop::Limit);
        assert_eq!(stops("const s = 'ab'.repeat(-1)"), Stop::Limit);
        assert_eq!(stops("function f() { while (true) {} } const s = f()"), Stop::Limit);
        assert_eq!(
            stops("function f(s) { for (;;) s += s; } const s = f('x')"),
            Stop::Limit
        );
        assert_eq!(
            stops("function f() { const a = []; for (;;) a.push(1); } const s = f()"),
            Stop::Limit
        );
        // Recursion is not followed; nested calls are bounded.
        assert_eq!(stops("function f(n) { return f(n + 1) } const s = f(0)"), Stop::Unknown);
        let nested = (0..40)
            .map(|i| format!("function f{i}(x) {{ return f{}(x) }}", i + 1))
            .collect::<String>();
        assert_eq!(
            stops(&format!("{nested} function f40(x) {{ return x }} const s = f0('a')")),
            Stop::Limit
        );
        // Deep expressions.
        let deep = format!("const s = {}'a'{}", "(".repeat(500), ")".repeat(500));
        assert_eq!(stops(&deep), Stop::Limit);
    }

    #[test]
    fn hostile_decoders_stop_at_a_limit() {
        // An RC4 key schedule a billion rounds long.
        assert_eq!(
            stops(
                "function r(s, k) { var b = [], j = 0, x, q; for (q = 0; q < 1e9; q++) b[q % 256] = q; \
                 for (q = 0; q < 1e9; q++) j = (j + b[q % 256] + k.charCodeAt(q % k.length)) % 256, x = b[q % 256], b[q % 256] = b[j], b[j] = x; \
                 return s } const s = r('a', 'k')"
            ),
            Stop::Limit
        );
        // A decoder cache that never stops growing.
        assert_eq!(
            stops("function g(e) { g.c = {}; for (var i = 0; ; i++) g.c['k' + i] = e; } const s = g('x')"),
            Stop::Limit
        );
        // Rotating a big table forever: each shift is charged by the table's length.
        assert_eq!(
            stops(
                "function t() { var a = []; for (var i = 0; i < 16000; i++) a.push('s' + i); for (;;) a.push(a.shift()); } const s = t()"
            ),
            Stop::Limit
        );
    }

    #[test]
    fn self_referencing_tables_stop() {
        assert_eq!(stops("var t = [t]; const s = t[0]"), Stop::Unknown);
        assert_eq!(stops("const a = b + 'x', b = a + 'y'; const s = a"), Stop::Unknown);
        assert_eq!(
            stops("function f() { const a = []; a.push(a); return a } const s = f()"),
            Stop::Unknown
        );
        assert_eq!(
            stops("function f() { const o = {}; o.self = o; return o } const s = f()"),
            Stop::Unknown
        );
        // A decoder cache holding itself; a table holding itself.
        assert_eq!(
            stops("function h(e) { h.c = {}; h.c.self = h.c; return h.c.self[e] } const s = h('x')"),
            Stop::Unknown
        );
        assert_eq!(
            stops("function n() { var t = ['a']; t[1] = t; return t } const s = n()[0]"),
            Stop::Unknown
        );
    }
}
