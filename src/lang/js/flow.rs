//! Where values go and which code can run: the consequence of a detected value (sent to the
//! network, deciding a branch, or only used locally) and a file-level liveness estimate.

use std::collections::HashMap;

use oxc::ast::AstKind;
use oxc::ast::ast::{BindingPattern, Expression, Statement};
use oxc::semantic::{NodeId, Semantic, SymbolId};
use oxc::span::GetSpan;

use super::resolve::Resolver;
use crate::report::Consequence;

/// How many aliases, returns and calls a value is followed through.
const MAX_HOPS: u8 = 4;
/// References of one variable looked at.
const MAX_REFERENCES: usize = 16;

/// Calls that send their arguments off the machine (by last name of the callee).
const SENDING_CALLS: &[&str] = &[
    "fetch",
    "post",
    "put",
    "patch",
    "request",
    "send",
    "sendBeacon",
    "logEvent",
    "logEventAsync",
    "track",
    "capture",
    "captureException",
    "captureMessage",
    "captureEvent",
    "setUser",
    "setTag",
    "setTags",
    "setContext",
    "setExtra",
    "setExtras",
    "identify",
    "emit",
    "enqueueLogEvent",
    "addEvent",
    "setAttribute",
    "setAttributes",
    "updateUser",
    "updateUserSync",
    "initialize",
    "initializeAsync",
    "initializeSync",
    "upload",
    "publish",
    "ingest",
    "recordEvent",
    "log_event",
];
/// Calls whose arguments are compared or looked up: the value decides something.
const DECIDING_CALLS: &[&str] = &[
    "includes",
    "has",
    "startsWith",
    "endsWith",
    "test",
    "match",
    "indexOf",
    "some",
    "find",
    "every",
    "localeCompare",
    "get",
];
/// Calls that format, display, hash or store a value on the machine.
const LOCAL_CALLS: &[&str] = &[
    "log",
    "info",
    "warn",
    "error",
    "debug",
    "trace",
    "toLocaleString",
    "toLocaleDateString",
    "toLocaleTimeString",
    "DateTimeFormat",
    "format",
    "formatToParts",
    "createHash",
    "createHmac",
    "scrypt",
    "scryptSync",
    "pbkdf2",
    "pbkdf2Sync",
    "createCipheriv",
    "createDecipheriv",
    "hkdf",
    "update",
    "digest",
    "jsx",
    "jsxs",
    "jsxDEV",
    "createElement",
    "print",
    "render",
    "setState",
    "join",
    "resolve",
    "writeFile",
    "writeFileSync",
    "write",
];

fn rank(c: Consequence) -> u8 {
    match c {
        Consequence::Sent => 3,
        Consequence::Gates => 2,
        Consequence::Local => 1,
        Consequence::Unknown => 0,
    }
}

fn stronger(a: Consequence, b: Consequence) -> Consequence {
    if rank(b) > rank(a) { b } else { a }
}

/// Classifies a callee chain by its last name.
fn classify_call(chain: &str) -> Option<Consequence> {
    let last = chain.rsplit('.').next().unwrap_or(chain);
    let last = last.trim_end_matches("()");
    if chain.starts_with("http.") || chain.starts_with("https.") || chain.starts_with("axios") {
        return Some(Consequence::Sent);
    }
    if SENDING_CALLS.contains(&last) {
        Some(Consequence::Sent)
    } else if DECIDING_CALLS.contains(&last) {
        Some(Consequence::Gates)
    } else if LOCAL_CALLS.contains(&last) {
        Some(Consequence::Local)
    } else {
        None
    }
}

pub struct Flows<'s, 'a> {
    semantic: &'s Semantic<'a>,
    resolver: &'s Resolver<'s, 'a>,
    source: &'a str,
    /// Calls by method name (`x.getId()` under `getId`), built on first need: a returned value
    /// of a method goes wherever its callers put it.
    method_calls: std::cell::OnceCell<HashMap<&'a str, Vec<NodeId>>>,
}

impl<'s, 'a> Flows<'s, 'a> {
    pub fn new(semantic: &'s Semantic<'a>, resolver: &'s Resolver<'s, 'a>, source: &'a str) -> Self {
        Self {
            semantic,
            resolver,
            source,
            method_calls: std::cell::OnceCell::new(),
        }
    }

    fn method_calls(&self, name: &str) -> &[NodeId] {
        let index = self.method_calls.get_or_init(|| {
            let mut index: HashMap<&'a str, Vec<NodeId>> = HashMap::new();
            for node in self.semantic.nodes().iter() {
                if let AstKind::CallExpression(call) = node.kind()
                    && let Expression::StaticMemberExpression(m) = call.callee.without_parentheses()
                {
                    index.entry(m.property.name.as_str()).or_default().push(node.id());
                }
            }
            index
        });
        index.get(name).map_or(&[], Vec::as_slice)
    }

    /// Where the value produced at `node` goes. `in_payload` starts true for values that are
    /// already an object's property.
    pub fn consequence(&self, node: NodeId, in_payload: bool, names: &mut Vec<String>) -> Consequence {
        self.walk(node, in_payload, names, 0)
    }

    fn span_of(&self, node: NodeId) -> oxc::span::Span {
        self.semantic.nodes().kind(node).span()
    }

    fn walk(&self, start: NodeId, mut payload: bool, names: &mut Vec<String>, hops: u8) -> Consequence {
        let nodes = self.semantic.nodes();
        let mut current = start;
        for _ in 0..32 {
            let parent = nodes.parent_id(current);
            if parent == current {
                break;
            }
            let here = self.span_of(current);
            match nodes.kind(parent) {
                // A followed variable only tested for being set (`if (!id) id = make()`) is an
                // existence check, not a decision on its value.
                AstKind::IfStatement(s) if s.test.span() == here => return tested(hops),
                AstKind::ConditionalExpression(c) if c.test.span() == here => return tested(hops),
                AstKind::WhileStatement(_) | AstKind::DoWhileStatement(_) | AstKind::ForStatement(_) => {
                    return Consequence::Gates;
                }
                AstKind::SwitchStatement(_) | AstKind::SwitchCase(_) => return Consequence::Gates,
                AstKind::BinaryExpression(b)
                    if b.operator.is_equality() || b.operator.is_compare() || b.operator.is_relational() =>
                {
                    return Consequence::Gates;
                }
                AstKind::StaticMemberExpression(m) if m.object.span() == here => {
                    let method = m.property.name.as_str();
                    let called =
                        matches!(nodes.parent_kind(parent), AstKind::CallExpression(c) if c.callee.span() == m.span);
                    if called && DECIDING_CALLS.contains(&method) {
                        return Consequence::Gates;
                    }
                    if called && matches!(classify_call(method), Some(Consequence::Local)) && method != "join" {
                        return Consequence::Local;
                    }
                }
                AstKind::ComputedMemberExpression(m) if m.expression.span() == here => {
                    return Consequence::Gates;
                }
                AstKind::CallExpression(call) if call.callee.span() != here => {
                    let chain = self.resolver.chain(&call.callee);
                    if let Some(c) = classify_call(&chain) {
                        return c;
                    }
                }
                AstKind::NewExpression(new) if new.callee.span() != here => {
                    let chain = self.resolver.chain(&new.callee);
                    if chain.ends_with("DateTimeFormat") || chain.ends_with("NumberFormat") {
                        return Consequence::Local;
                    }
                    if chain.ends_with("Request") || chain.ends_with("WebSocket") || chain.ends_with("EventSource") {
                        return Consequence::Sent;
                    }
                }
                AstKind::ObjectProperty(p) if p.value.span() == here => {
                    if let Some(key) = p.key.static_name() {
                        if key.eq_ignore_ascii_case("headers") {
                            return Consequence::Sent;
                        }
                        if is_display_key(&key) {
                            return Consequence::Local;
                        }
                        names.push(key.to_string());
                    }
                    payload = true;
                }
                AstKind::VariableDeclarator(d) if d.init.as_ref().is_some_and(|i| i.span() == here) => {
                    return match &d.id {
                        BindingPattern::BindingIdentifier(id) => {
                            names.push(id.name.to_string());
                            match id.symbol_id.get() {
                                Some(symbol) => self.follow_symbol(symbol, d.span.end, payload, names, hops),
                                None => Consequence::Unknown,
                            }
                        }
                        _ => self.settle(payload),
                    };
                }
                AstKind::AssignmentExpression(a) if a.right.span() == here => {
                    if let Some(name) = a.left.get_identifier_name() {
                        names.push(name.to_string());
                        if let Some(target) = a.left.as_simple_assignment_target()
                            && let oxc::ast::ast::SimpleAssignmentTarget::AssignmentTargetIdentifier(id) = target
                            && let Some(symbol) = self.resolver.symbol_of(id)
                        {
                            return self.follow_symbol(symbol, a.span.end, payload, names, hops);
                        }
                        return self.settle(payload);
                    }
                    if let Some(member) = a.left.as_member_expression() {
                        if let Some(name) = member.static_property_name() {
                            names.push(name.to_string());
                        }
                        // Stored on an object: typically a payload or a config that is sent.
                        return Consequence::Sent;
                    }
                    return self.settle(payload);
                }
                AstKind::ReturnStatement(_) => return self.follow_return(parent, payload, names, hops),
                AstKind::ArrowFunctionExpression(arrow) if arrow.is_expression() => {
                    return self.follow_return(parent, payload, names, hops);
                }
                AstKind::ForOfStatement(f) if f.right.span() == here => {
                    return self.loop_decides(f.body.span());
                }
                AstKind::ForInStatement(f) if f.right.span() == here => {
                    return self.loop_decides(f.body.span());
                }
                AstKind::JSXExpressionContainer(_) | AstKind::ThrowStatement(_) => return Consequence::Local,
                AstKind::ExpressionStatement(_) => return self.settle(payload),
                AstKind::Function(_) | AstKind::FunctionBody(_) | AstKind::Program(_) => break,
                _ => {}
            }
            current = parent;
        }
        self.settle(payload)
    }

    /// Where a walk ends without a decisive use: an object built around the value is taken to be
    /// a payload (identity fields in objects are there to be reported); otherwise unknown.
    fn settle(&self, payload: bool) -> Consequence {
        if payload {
            Consequence::Sent
        } else {
            Consequence::Unknown
        }
    }

    /// A loop over the value decides something when its body compares.
    fn loop_decides(&self, body: oxc::span::Span) -> Consequence {
        let text = &self.source[body.start as usize..(body.end as usize).min(self.source.len())];
        let compares = ["===", "==", "!==", "startsWith(", "endsWith(", "includes(", ".test("];
        if compares.iter().any(|c| text.contains(c)) {
            Consequence::Gates
        } else {
            Consequence::Local
        }
    }

    /// Where a variable's value goes: the strongest use among its reads after `after` (the
    /// assignment that gave it the value).
    fn follow_symbol(
        &self,
        symbol: SymbolId,
        after: u32,
        payload: bool,
        names: &mut Vec<String>,
        hops: u8,
    ) -> Consequence {
        if hops >= MAX_HOPS {
            return self.settle(payload);
        }
        let scoping = self.semantic.scoping();
        let reads = scoping
            .get_resolved_references(symbol)
            .filter(|r| r.is_read() && self.span_of(r.node_id()).start >= after)
            .map(|r| r.node_id());
        // Computed and never read: it stays where it is.
        self.strongest(reads, payload, names, hops)
            .unwrap_or(Consequence::Local)
    }

    /// A returned value goes wherever the function's callers put it.
    fn follow_return(&self, from: NodeId, payload: bool, names: &mut Vec<String>, hops: u8) -> Consequence {
        let Some(symbol) = self.enclosing_function_symbol(from) else {
            return self.follow_method_return(from, payload, names, hops);
        };
        names.push(self.semantic.scoping().symbol_name(symbol).to_string());
        if hops >= MAX_HOPS {
            return self.settle(payload);
        }
        let nodes = self.semantic.nodes();
        let calls = self
            .semantic
            .scoping()
            .get_resolved_references(symbol)
            .take(MAX_REFERENCES)
            .filter_map(|reference| {
                let parent = nodes.parent_id(reference.node_id());
                let called = matches!(nodes.kind(parent), AstKind::CallExpression(c) if c.callee.span() == self.span_of(reference.node_id()));
                called.then_some(parent)
            });
        self.strongest(calls, payload, names, hops)
            .unwrap_or_else(|| self.settle(payload))
    }

    /// A method's returned value goes wherever the calls of that method name put it.
    fn follow_method_return(&self, from: NodeId, payload: bool, names: &mut Vec<String>, hops: u8) -> Consequence {
        let nodes = self.semantic.nodes();
        let Some(function) = nodes
            .ancestor_ids(from)
            .find(|&id| matches!(nodes.kind(id), AstKind::Function(_)))
        else {
            return self.settle(payload);
        };
        let name = match nodes.parent_kind(function) {
            AstKind::MethodDefinition(m) => m.key.static_name(),
            AstKind::ObjectProperty(p) => p.key.static_name(),
            _ => None,
        };
        let Some(name) = name else {
            return self.settle(payload);
        };
        names.push(name.to_string());
        if hops >= MAX_HOPS {
            return self.settle(payload);
        }
        let calls = self.method_calls(&name).iter().copied();
        self.strongest(calls, payload, names, hops)
            .unwrap_or_else(|| self.settle(payload))
    }

    /// The strongest consequence among the uses at `nodes` (the first few), stopping at `Sent`;
    /// `None` when there are no uses.
    fn strongest(
        &self,
        nodes: impl Iterator<Item = NodeId>,
        payload: bool,
        names: &mut Vec<String>,
        hops: u8,
    ) -> Option<Consequence> {
        let mut best: Option<Consequence> = None;
        for node in nodes.take(MAX_REFERENCES) {
            let c = self.walk(node, payload, names, hops + 1);
            best = Some(best.map_or(c, |b| stronger(b, c)));
            if best == Some(Consequence::Sent) {
                break;
            }
        }
        best
    }

    /// The name the function around `node` is bound to.
    fn enclosing_function_symbol(&self, node: NodeId) -> Option<SymbolId> {
        let nodes = self.semantic.nodes();
        let function = nodes.ancestor_ids(node).find(|&id| {
            matches!(
                nodes.kind(id),
                AstKind::Function(_) | AstKind::ArrowFunctionExpression(_)
            )
        })?;
        if let AstKind::Function(f) = nodes.kind(function)
            && let Some(id) = &f.id
            && let Some(symbol) = id.symbol_id.get()
        {
            return Some(symbol);
        }
        binding_of(self.semantic, function)
    }
}

/// A value used as a condition: at the site itself it decides the branch; a followed variable
/// tested only for being set is an existence check.
fn tested(hops: u8) -> Consequence {
    if hops == 0 {
        Consequence::Gates
    } else {
        Consequence::Unknown
    }
}

/// Keys of text meant for a person to read: a value there is displayed, not reported.
fn is_display_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "display",
        "label",
        "message",
        "title",
        "description",
        "placeholder",
        "tooltip",
    ]
    .iter()
    .any(|k| key.contains(k))
}

/// The variable a function or class expression is bound to: `var f = function(){}`,
/// `var m = wrap((exports) => {…})`, `f = () => {}`. `None` when it is called in place,
/// or stored somewhere no name reaches.
fn binding_of(semantic: &Semantic<'_>, node: NodeId) -> Option<SymbolId> {
    let nodes = semantic.nodes();
    let mut current = node;
    for _ in 0..12 {
        let parent = nodes.parent_id(current);
        if parent == current {
            return None;
        }
        let here = nodes.kind(current).span();
        match nodes.kind(parent) {
            AstKind::ObjectProperty(_)
            | AstKind::ObjectExpression(_)
            | AstKind::ParenthesizedExpression(_)
            | AstKind::ArrayExpression(_)
            | AstKind::SequenceExpression(_)
            | AstKind::LogicalExpression(_)
            | AstKind::ConditionalExpression(_) => {}
            AstKind::CallExpression(call) => {
                if call.callee.span() == here {
                    return None;
                }
            }
            AstKind::VariableDeclarator(d) => {
                return match &d.id {
                    BindingPattern::BindingIdentifier(id) => id.symbol_id.get(),
                    _ => None,
                };
            }
            AstKind::AssignmentExpression(a) => {
                let oxc::ast::ast::AssignmentTarget::AssignmentTargetIdentifier(id) = &a.left else {
                    return None;
                };
                let reference = id.reference_id.get()?;
                return semantic.scoping().get_reference(reference).symbol_id();
            }
            _ => return None,
        }
        current = parent;
    }
    None
}

const NO_UNIT: u32 = u32::MAX;

/// Which code can run, estimated per file: a function (or module wrapper) bound to a name runs
/// only when code that runs refers to that name. Top-level code and exports run.
pub struct Liveness {
    owner: Vec<u32>,
    live: Vec<bool>,
}

impl Liveness {
    pub fn compute(semantic: &Semantic<'_>) -> Self {
        let nodes = semantic.nodes();
        let mut owner = vec![NO_UNIT; nodes.len()];
        let mut unit_symbol: Vec<SymbolId> = Vec::new();
        let mut root: Vec<bool> = Vec::new();
        let mut units_of: HashMap<SymbolId, Vec<u32>> = HashMap::new();
        for (id, node) in nodes.iter_enumerated() {
            let parent = nodes.parent_id(id);
            let inherited = if parent == id || parent.index() >= id.index() {
                NO_UNIT
            } else {
                owner[parent.index()]
            };
            let unit = match node.kind() {
                AstKind::Function(f) if f.is_declaration() => {
                    f.id.as_ref()
                        .and_then(|i| i.symbol_id.get())
                        .map(|s| (s, is_export(semantic, parent)))
                }
                AstKind::Class(c) if c.is_declaration() => {
                    c.id.as_ref()
                        .and_then(|i| i.symbol_id.get())
                        .map(|s| (s, is_export(semantic, parent)))
                }
                AstKind::Function(_) | AstKind::ArrowFunctionExpression(_) | AstKind::Class(_) => {
                    binding_of(semantic, id).map(|s| {
                        let declaration = semantic.scoping().symbol_declaration(s);
                        let exported = nodes.ancestor_ids(declaration).take(3).any(|a| is_export(semantic, a));
                        (s, exported)
                    })
                }
                _ => None,
            };
            owner[id.index()] = match unit {
                Some((symbol, exported)) => {
                    let index = unit_symbol.len() as u32;
                    unit_symbol.push(symbol);
                    root.push(exported);
                    units_of.entry(symbol).or_default().push(index);
                    index
                }
                None => inherited,
            };
        }
        let mut edges: Vec<Vec<u32>> = vec![Vec::new(); unit_symbol.len()];
        let scoping = semantic.scoping();
        for (symbol, units) in &units_of {
            for reference in scoping.get_resolved_references(*symbol) {
                let from = owner[reference.node_id().index()];
                if from == NO_UNIT {
                    for &u in units {
                        root[u as usize] = true;
                    }
                } else if !units.contains(&from) {
                    edges[from as usize].extend(units.iter().copied());
                }
            }
        }
        let mut live = vec![false; unit_symbol.len()];
        let mut stack: Vec<u32> = (0..unit_symbol.len() as u32).filter(|&u| root[u as usize]).collect();
        while let Some(u) = stack.pop() {
            if std::mem::replace(&mut live[u as usize], true) {
                continue;
            }
            stack.extend(edges[u as usize].iter().copied().filter(|&v| !live[v as usize]));
        }
        Self { owner, live }
    }

    /// Whether code at `node` can run: its unit is reachable and no `return` or `throw` in the
    /// same block comes before it.
    pub fn reachable(&self, semantic: &Semantic<'_>, node: NodeId) -> bool {
        let unit = self.owner.get(node.index()).copied().unwrap_or(NO_UNIT);
        if unit != NO_UNIT && !self.live[unit as usize] {
            return false;
        }
        !after_exit(semantic, node)
    }
}

fn is_export(semantic: &Semantic<'_>, node: NodeId) -> bool {
    matches!(
        semantic.nodes().kind(node),
        AstKind::ExportNamedDeclaration(_) | AstKind::ExportDefaultDeclaration(_) | AstKind::ExportDeclaration(_)
    )
}

/// True when a `return` or `throw` earlier in an enclosing block makes `node` unreachable.
fn after_exit(semantic: &Semantic<'_>, node: NodeId) -> bool {
    let nodes = semantic.nodes();
    let mut current = node;
    for parent in nodes.ancestor_ids(node) {
        let start = nodes.kind(current).span().start;
        let statements = match nodes.kind(parent) {
            AstKind::FunctionBody(body) => Some(&body.statements),
            AstKind::BlockStatement(block) => Some(&block.body),
            _ => None,
        };
        if let Some(statements) = statements
            && statements.iter().any(|s| {
                matches!(s, Statement::ReturnStatement(_) | Statement::ThrowStatement(_)) && s.span().end <= start
            })
        {
            return true;
        }
        if matches!(
            nodes.kind(parent),
            AstKind::Function(_) | AstKind::ArrowFunctionExpression(_)
        ) {
            // The function's own reachability is the unit's business.
            return false;
        }
        current = parent;
    }
    false
}

/// The bundled package (esbuild `__commonJS({"node_modules/pkg/…"(…){…}})` or webpack
/// `"./node_modules/pkg/…": function(…){…}` keys) the code at `node` lives in.
pub fn library_of(semantic: &Semantic<'_>, node: NodeId) -> Option<String> {
    let nodes = semantic.nodes();
    for ancestor in nodes.ancestor_ids(node) {
        if let AstKind::ObjectProperty(p) = nodes.kind(ancestor)
            && matches!(
                p.value.without_parentheses(),
                Expression::FunctionExpression(_) | Expression::ArrowFunctionExpression(_)
            )
            && let Some(key) = p.key.static_name()
            && key.contains("node_modules/")
        {
            return super::resolve::package_of_path(&key);
        }
    }
    None
}
