//! Where values go: the consequence of a detected value (sent to the network, deciding a
//! branch, or only used locally) and the hops it takes to get there.

use std::collections::HashMap;

use oxc::ast::AstKind;
use oxc::ast::ast::{BindingPattern, Expression};
use oxc::semantic::{NodeId, Semantic, SymbolId};
use oxc::span::GetSpan;

use super::liveness::binding_of;
use super::resolve::Resolver;
use super::shorten;
use crate::report::Consequence;

/// How many aliases, returns and calls a value is followed through.
const MAX_HOPS: u8 = 4;
/// How much of each side of a branch is searched for what it does differently.
const BRANCH_SIDE_BYTES: usize = 2048;
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

/// Calls that save a value on the machine, where it outlives the run.
const STORING_CALLS: &[&str] = &[
    "writeFile",
    "writeFileSync",
    "appendFile",
    "appendFileSync",
    "outputFile",
    "outputFileSync",
    "writeJson",
    "writeJsonSync",
    "setItem",
];

fn rank(c: Consequence) -> u8 {
    match c {
        Consequence::Sent => 3,
        Consequence::Gates => 2,
        Consequence::Local => 1,
        Consequence::Unknown => 0,
    }
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

/// One move of a value on its way to where it ends: a variable, a return, a call, then the
/// sink, branch or local use. Located by node; named and placed in a file later.
#[derive(Debug, Clone)]
pub struct Hop {
    pub node: NodeId,
    pub role: &'static str,
    pub note: String,
}

pub struct Flows<'s, 'a> {
    semantic: &'s Semantic<'a>,
    resolver: &'s Resolver<'s, 'a>,
    source: &'a str,
    /// Calls by method name (`x.getId()` under `getId`), built on first need: a returned value
    /// of a method goes wherever its callers put it.
    method_calls: std::cell::OnceCell<HashMap<&'a str, Vec<NodeId>>>,
}

/// What a walk carries along: the names the value passes through (for rules' `flows_to`) and
/// the hops of the strongest route found so far.
pub struct Trail {
    pub names: Vec<String>,
    pub hops: Vec<Hop>,
    /// The first place any route saves the value on the machine (the data of a file write, a
    /// `localStorage` item): a value both saved and sent is an id kept across runs.
    /// With the saving call's name.
    pub stored: Option<(Hop, String)>,
    /// Set while following a value into a function's parameter: there, an object built around
    /// it is no evidence of a report (it may be props, options or a cache), only a real sink is.
    pub in_parameter: bool,
    /// Set when the walk took a value to be sent only because it ends in an object built around
    /// it, with no sink seen.
    pub assumed_sent: bool,
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
    pub fn consequence(&self, node: NodeId, in_payload: bool, trail: &mut Trail) -> Consequence {
        self.walk(node, in_payload, trail, 0)
    }

    fn span_of(&self, node: NodeId) -> oxc::span::Span {
        self.semantic.nodes().kind(node).span()
    }

    /// The code at `span`, on one line and cut short, for notes.
    fn code(&self, span: oxc::span::Span) -> String {
        let text = self
            .source
            .get(span.start as usize..(span.end as usize).min(self.source.len()))
            .unwrap_or("");
        shorten(&text.split_whitespace().collect::<Vec<_>>().join(" "), 60)
    }

    fn hop(trail: &mut Trail, node: NodeId, role: &'static str, note: String) {
        trail.hops.push(Hop { node, role, note });
    }

    fn walk(&self, start: NodeId, mut payload: bool, trail: &mut Trail, hops: u8) -> Consequence {
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
                AstKind::IfStatement(s) if s.test.span() == here => {
                    return self.tested(parent, hops, "`if`", trail);
                }
                AstKind::ConditionalExpression(c) if c.test.span() == here => {
                    return self.tested(parent, hops, "`? :`", trail);
                }
                AstKind::WhileStatement(_) | AstKind::DoWhileStatement(_) | AstKind::ForStatement(_) => {
                    Self::hop(trail, current, "branch", "decides whether the loop goes on".into());
                    return Consequence::Gates;
                }
                AstKind::SwitchStatement(_) | AstKind::SwitchCase(_) => {
                    Self::hop(
                        trail,
                        parent,
                        "branch",
                        "decides which `case` of a `switch` runs".into(),
                    );
                    return Consequence::Gates;
                }
                AstKind::BinaryExpression(b)
                    if b.operator.is_equality() || b.operator.is_compare() || b.operator.is_relational() =>
                {
                    let note = format!("compared: `{}`", self.code(b.span));
                    Self::hop(trail, parent, "branch", note);
                    return Consequence::Gates;
                }
                AstKind::StaticMemberExpression(m) if m.object.span() == here => {
                    let method = m.property.name.as_str();
                    let called =
                        matches!(nodes.parent_kind(parent), AstKind::CallExpression(c) if c.callee.span() == m.span);
                    if called && DECIDING_CALLS.contains(&method) {
                        Self::hop(trail, parent, "branch", format!("`.{method}(…)` on it decides"));
                        return Consequence::Gates;
                    }
                    if called && matches!(classify_call(method), Some(Consequence::Local)) && method != "join" {
                        Self::hop(
                            trail,
                            parent,
                            "use",
                            format!("`.{method}(…)`: formatted or shown locally"),
                        );
                        return Consequence::Local;
                    }
                }
                AstKind::ComputedMemberExpression(m) if m.expression.span() == here => {
                    Self::hop(trail, parent, "branch", "used as a lookup key".into());
                    return Consequence::Gates;
                }
                AstKind::CallExpression(call) if call.callee.span() != here => {
                    let chain = self.resolver.chain(&call.callee);
                    let last = chain.rsplit('.').next().unwrap_or_default();
                    // The data written, not the file's name (a random temporary path).
                    let is_data = call.arguments.len() >= 2 && call.arguments[0].span() != here;
                    if is_data && STORING_CALLS.contains(&last) {
                        // Kept off the strongest route so the path can still say the value is
                        // saved; named for rules' `flows_to` once it is also sent.
                        trail.stored.get_or_insert_with(|| {
                            let hop = Hop {
                                node: parent,
                                role: "use",
                                note: format!("saved on the machine by `{}(…)`", shorten(&chain, 60)),
                            };
                            (hop, chain.clone())
                        });
                    }
                    let class = classify_call(&chain);
                    if class.is_none()
                        && let Some(c) = self.through_parameter(parent, call, here, trail, hops)
                    {
                        return c;
                    }
                    if let Some(c) = class {
                        let callee = shorten(&chain, 60);
                        let (role, note) = match c {
                            Consequence::Sent => ("sink", format!("passed to `{callee}(…)`, which sends it")),
                            Consequence::Gates => ("branch", format!("passed to `{callee}(…)`, which compares it")),
                            _ => (
                                "use",
                                format!("passed to `{callee}(…)`, which formats, shows or stores it"),
                            ),
                        };
                        Self::hop(trail, parent, role, note);
                        return c;
                    }
                }
                AstKind::NewExpression(new) if new.callee.span() != here => {
                    let chain = self.resolver.chain(&new.callee);
                    if chain.ends_with("DateTimeFormat") || chain.ends_with("NumberFormat") {
                        Self::hop(
                            trail,
                            parent,
                            "use",
                            format!("formats with `new {}`", shorten(&chain, 60)),
                        );
                        return Consequence::Local;
                    }
                    if chain.ends_with("Request") || chain.ends_with("WebSocket") || chain.ends_with("EventSource") {
                        Self::hop(
                            trail,
                            parent,
                            "sink",
                            format!("passed to `new {}`", shorten(&chain, 60)),
                        );
                        return Consequence::Sent;
                    }
                }
                AstKind::ObjectProperty(p) if p.value.span() == here => {
                    if let Some(key) = p.key.static_name() {
                        if key.eq_ignore_ascii_case("headers") {
                            Self::hop(trail, parent, "sink", "put in a request's headers".into());
                            return Consequence::Sent;
                        }
                        if is_display_key(&key) {
                            Self::hop(trail, parent, "use", format!("shown as `{key}`"));
                            return Consequence::Local;
                        }
                        Self::hop(trail, parent, "flow", format!("put in an object under `{key}`"));
                        trail.names.push(key.to_string());
                    }
                    payload = true;
                }
                AstKind::VariableDeclarator(d) if d.init.as_ref().is_some_and(|i| i.span() == here) => {
                    return match &d.id {
                        BindingPattern::BindingIdentifier(id) => {
                            trail.names.push(id.name.to_string());
                            Self::hop(trail, parent, "flow", format!("stored in `{}`", id.name));
                            match id.symbol_id.get() {
                                Some(symbol) => self.follow_symbol(symbol, d.span.end, payload, trail, hops),
                                None => Consequence::Unknown,
                            }
                        }
                        _ => self.settle(parent, payload, trail),
                    };
                }
                AstKind::AssignmentExpression(a) if a.right.span() == here => {
                    if let Some(member) = a.left.as_member_expression() {
                        if let Some(name) = member.static_property_name() {
                            trail.names.push(name.to_string());
                        }
                        let note = format!("stored in `{}`", self.code(member.span()));
                        Self::hop(trail, parent, "flow", note);
                        // The object now carries the value: it goes where the object goes.
                        if let Expression::Identifier(base) = member.object().without_parentheses()
                            && let Some(symbol) = self.resolver.symbol_of(base)
                        {
                            return self.follow_symbol(symbol, a.span.end, true, trail, hops);
                        }
                        return self.settle(parent, payload, trail);
                    }
                    if let Some(name) = a.left.get_identifier_name() {
                        trail.names.push(name.to_string());
                        Self::hop(trail, parent, "flow", format!("assigned to `{name}`"));
                        if let Some(target) = a.left.as_simple_assignment_target()
                            && let oxc::ast::ast::SimpleAssignmentTarget::AssignmentTargetIdentifier(id) = target
                            && let Some(symbol) = self.resolver.symbol_of(id)
                        {
                            return self.follow_symbol(symbol, a.span.end, payload, trail, hops);
                        }
                    }
                    return self.settle(parent, payload, trail);
                }
                AstKind::ReturnStatement(_) => return self.follow_return(parent, payload, trail, hops),
                AstKind::ArrowFunctionExpression(arrow) if arrow.is_expression() => {
                    return self.follow_return(parent, payload, trail, hops);
                }
                AstKind::ForOfStatement(f) if f.right.span() == here => {
                    return self.loop_decides(parent, f.body.span(), trail);
                }
                AstKind::ForInStatement(f) if f.right.span() == here => {
                    return self.loop_decides(parent, f.body.span(), trail);
                }
                AstKind::JSXExpressionContainer(_) => {
                    Self::hop(trail, parent, "use", "shown in the user interface".into());
                    return Consequence::Local;
                }
                AstKind::ThrowStatement(_) => {
                    Self::hop(trail, parent, "use", "thrown as an error".into());
                    return Consequence::Local;
                }
                AstKind::ExpressionStatement(_) => return self.settle(parent, payload, trail),
                AstKind::Function(_) | AstKind::FunctionBody(_) | AstKind::Program(_) => break,
                _ => {}
            }
            current = parent;
        }
        self.settle(current, payload, trail)
    }

    /// Where a walk ends without a decisive use: an object built around the value is taken to be
    /// a payload (identity fields in objects are there to be reported); otherwise unknown.
    fn settle(&self, at: NodeId, payload: bool, trail: &mut Trail) -> Consequence {
        if payload && !trail.in_parameter {
            trail.assumed_sent = true;
            Self::hop(
                trail,
                at,
                "sink",
                "ends in an object built to be reported (taken as sent)".into(),
            );
            Consequence::Sent
        } else {
            Consequence::Unknown
        }
    }

    /// A value used as a condition: at the site itself it decides the branch; a followed
    /// variable tested only for being set is an existence check.
    fn tested(&self, at: NodeId, hops: u8, what: &str, trail: &mut Trail) -> Consequence {
        if hops == 0 {
            Self::hop(trail, at, "branch", format!("decides the {what} here"));
            Consequence::Gates
        } else {
            Self::hop(
                trail,
                at,
                "use",
                format!("only tested for being set by the {what} here"),
            );
            Consequence::Local
        }
    }

    /// A loop over the value decides something when its body compares.
    fn loop_decides(&self, at: NodeId, body: oxc::span::Span, trail: &mut Trail) -> Consequence {
        let text = &self.source[body.start as usize..(body.end as usize).min(self.source.len())];
        let compares = ["===", "==", "!==", "startsWith(", "endsWith(", "includes(", ".test("];
        if compares.iter().any(|c| text.contains(c)) {
            Self::hop(trail, at, "branch", "a loop over it compares each item".into());
            Consequence::Gates
        } else {
            Self::hop(trail, at, "use", "a loop goes over it".into());
            Consequence::Local
        }
    }

    /// A value passed to one of the package's functions goes where that function's parameter
    /// goes: followed when that ends in a sink, otherwise `None`.
    fn through_parameter(
        &self,
        at: NodeId,
        call: &oxc::ast::ast::CallExpression<'a>,
        here: oxc::span::Span,
        trail: &mut Trail,
        hops: u8,
    ) -> Option<Consequence> {
        if hops >= MAX_HOPS {
            return None;
        }
        let Expression::Identifier(callee) = call.callee.without_parentheses() else {
            return None;
        };
        let position = call.arguments.iter().position(|a| !a.is_spread() && a.span() == here)?;
        let symbol = self.resolver.symbol_of(callee)?;
        let nodes = self.semantic.nodes();
        let params = match nodes.kind(self.semantic.scoping().symbol_declaration(symbol)) {
            AstKind::Function(f) => &f.params,
            AstKind::VariableDeclarator(d) => match d.init.as_ref().map(Expression::without_parentheses) {
                Some(Expression::FunctionExpression(f)) => &f.params,
                Some(Expression::ArrowFunctionExpression(f)) => &f.params,
                _ => return None,
            },
            _ => return None,
        };
        let BindingPattern::BindingIdentifier(param) = &params.items.get(position)?.pattern else {
            return None;
        };
        let parameter = param.symbol_id.get()?;
        let (hops_before, names_before, outer) = (trail.hops.len(), trail.names.len(), trail.in_parameter);
        Self::hop(
            trail,
            at,
            "flow",
            format!("passed to `{}` as `{}`", callee.name, param.name),
        );
        trail.in_parameter = true;
        let c = self.follow_symbol(parameter, 0, false, trail, hops + 1);
        trail.in_parameter = outer;
        // Only a send settles it: the call's result may carry the value on to a stronger use
        // than a check or a log inside the function, so anything less leaves the walk climbing.
        if c == Consequence::Sent {
            return Some(c);
        }
        trail.hops.truncate(hops_before);
        trail.names.truncate(names_before);
        None
    }

    /// Where a variable's value goes: the strongest use among its reads after `after` (the
    /// assignment that gave it the value).
    fn follow_symbol(&self, symbol: SymbolId, after: u32, payload: bool, trail: &mut Trail, hops: u8) -> Consequence {
        if hops >= MAX_HOPS {
            return self.settle(self.semantic.scoping().symbol_declaration(symbol), payload, trail);
        }
        let scoping = self.semantic.scoping();
        let reads = scoping
            .get_resolved_references(symbol)
            .filter(|r| r.is_read() && self.span_of(r.node_id()).start >= after)
            .map(|r| r.node_id());
        // Computed and never read: it stays where it is.
        self.strongest(reads, None, payload, trail, hops)
            .unwrap_or(Consequence::Local)
    }

    /// A returned value goes wherever the function's callers put it.
    fn follow_return(&self, from: NodeId, payload: bool, trail: &mut Trail, hops: u8) -> Consequence {
        let Some(symbol) = self.enclosing_function_symbol(from) else {
            return self.follow_method_return(from, payload, trail, hops);
        };
        let name = self.semantic.scoping().symbol_name(symbol).to_string();
        Self::hop(trail, from, "flow", format!("returned by `{name}`"));
        trail.names.push(name.clone());
        if hops >= MAX_HOPS {
            return self.settle(from, payload, trail);
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
        let note = format!("`{name}(…)` gives it to its caller here");
        self.strongest(calls, Some(&note), payload, trail, hops)
            .unwrap_or_else(|| self.settle(from, payload, trail))
    }

    /// A method's returned value goes wherever the calls of that method name put it.
    fn follow_method_return(&self, from: NodeId, payload: bool, trail: &mut Trail, hops: u8) -> Consequence {
        let nodes = self.semantic.nodes();
        let Some(function) = nodes
            .ancestor_ids(from)
            .find(|&id| matches!(nodes.kind(id), AstKind::Function(_)))
        else {
            return self.settle(from, payload, trail);
        };
        let name = match nodes.parent_kind(function) {
            AstKind::MethodDefinition(m) => m.key.static_name(),
            AstKind::ObjectProperty(p) => p.key.static_name(),
            _ => None,
        };
        let Some(name) = name else {
            return self.settle(from, payload, trail);
        };
        Self::hop(trail, from, "flow", format!("returned by method `{name}`"));
        trail.names.push(name.to_string());
        if hops >= MAX_HOPS {
            return self.settle(from, payload, trail);
        }
        let calls = self.method_calls(&name).iter().copied();
        let note = format!("`.{name}(…)` gives it to its caller here");
        self.strongest(calls, Some(&note), payload, trail, hops)
            .unwrap_or_else(|| self.settle(from, payload, trail))
    }

    /// The strongest consequence among the uses at `nodes` (the first few), stopping at `Sent`;
    /// `None` when there are no uses. Only the strongest use's hops stay on the trail, after a
    /// hop noting `arrival` at it when given.
    fn strongest(
        &self,
        nodes: impl Iterator<Item = NodeId>,
        arrival: Option<&str>,
        payload: bool,
        trail: &mut Trail,
        hops: u8,
    ) -> Option<Consequence> {
        let base = trail.hops.len();
        let mut best: Option<(Consequence, Vec<Hop>)> = None;
        for node in nodes.take(MAX_REFERENCES) {
            if let Some(note) = arrival {
                Self::hop(trail, node, "flow", note.to_string());
            }
            let c = self.walk(node, payload, trail, hops + 1);
            if best.as_ref().is_none_or(|(b, _)| rank(c) > rank(*b)) {
                best = Some((c, trail.hops.split_off(base)));
            } else {
                trail.hops.truncate(base);
            }
            if c == Consequence::Sent {
                break;
            }
        }
        best.map(|(c, hops)| {
            trail.hops.extend(hops);
            c
        })
    }

    /// What differs between the two sides of the branch a condition at `node` decides: the
    /// URLs each side uses (another endpoint) or that one side leaves the function early.
    /// `None` when neither side says anything a reader can act on.
    pub fn branch_effect(&self, node: NodeId) -> Option<String> {
        let nodes = self.semantic.nodes();
        let mut current = node;
        let (when_true, when_false) = loop {
            let parent = nodes.parent_id(current);
            if parent == current {
                return None;
            }
            let here = self.span_of(current);
            match nodes.kind(parent) {
                AstKind::IfStatement(s) if s.test.span() == here => {
                    let otherwise = match &s.alternate {
                        Some(alternate) => alternate.span(),
                        // `if (…) return x;` then the rest of the block is the other side.
                        None => match nodes.parent_kind(parent) {
                            AstKind::FunctionBody(b) => oxc::span::Span::new(s.span.end, b.span.end),
                            AstKind::BlockStatement(b) => oxc::span::Span::new(s.span.end, b.span.end),
                            _ => oxc::span::Span::new(s.span.end, s.span.end),
                        },
                    };
                    break (s.consequent.span(), otherwise);
                }
                AstKind::ConditionalExpression(c) if c.test.span() == here => {
                    break (c.consequent.span(), c.alternate.span());
                }
                AstKind::LogicalExpression(_)
                | AstKind::BinaryExpression(_)
                | AstKind::UnaryExpression(_)
                | AstKind::ParenthesizedExpression(_)
                | AstKind::CallExpression(_)
                | AstKind::StaticMemberExpression(_) => {}
                _ => return None,
            }
            current = parent;
        };
        let side = |span: oxc::span::Span| {
            let text = self.source.get(span.start as usize..span.end as usize).unwrap_or("");
            // The first lines of a side are what it does differently; a bundle's rest of a
            // function can be long.
            let text = text.get(..text.len().min(BRANCH_SIDE_BYTES)).unwrap_or(text);
            super::urls_in(text).next().map(str::to_string)
        };
        match (side(when_true), side(when_false)) {
            (Some(a), Some(b)) if a != b => Some(format!("if so `{a}`, otherwise `{b}`")),
            (Some(a), None) => Some(format!("if so `{a}`")),
            (None, Some(b)) => Some(format!("otherwise `{b}`")),
            _ => None,
        }
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
