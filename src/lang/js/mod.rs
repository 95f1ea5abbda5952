//! JavaScript and TypeScript: parse each file once with oxc, walk its nodes once to extract
//! facts, match them against the rules, and work out the flow of every match while the syntax
//! tree is still alive. Nothing arena-bound leaves this module.

mod decode;
mod embedded;
mod flow;
mod guards;
mod handlers;
mod integrations;
mod liveness;
mod modules;
mod resolve;

use std::sync::OnceLock;

use oxc::allocator::Allocator;
use oxc::ast::AstKind;
use oxc::ast::ast::{Argument, Expression, ObjectPropertyKind};
use oxc::parser::{ParseOptions, Parser};
use oxc::semantic::{NodeId, Semantic, SemanticBuilder};
use oxc::span::{GetSpan, SourceType};
use oxc::syntax::operator::{BinaryOperator, LogicalOperator, UnaryOperator};
use regex::Regex;

pub use self::embedded::string_at;
use self::flow::{Flows, Hop, Trail, library_of};
use self::guards::{GuardIndex, Switches};
use self::liveness::{Liveness, is_name_read_elsewhere, is_property_name, read_name, step_at};
use self::resolve::{Resolver, string_value};
use crate::lang::facts::{EmbeddedCode, Fact, FactKind, Flow, ModuleInterface, RunSite, Step};
use crate::report::{Category, Consequence, Reachability, RunStatus, Span};
use crate::rules::RuleSet;

/// A fact some rule matched, with where its value goes.
#[derive(Debug, Clone)]
pub struct Detection {
    pub fact: Fact,
    /// Indexes into the rule set.
    pub rules: Vec<usize>,
    pub flow: Flow,
}

/// A syntax error, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Option<Span>,
}

/// Everything one file yielded.
#[derive(Debug, Default)]
pub struct Analysis {
    pub detections: Vec<Detection>,
    pub errors: Vec<SyntaxError>,
    /// Every URL in a string literal, with where it is.
    pub urls: Vec<(String, Span)>,
    /// False when the parser gave up and only a lexical scan of literals was possible.
    pub parsed: bool,
    /// Property names the file reads (for other files' exports).
    pub names_read: rustc_hash::FxHashSet<String>,
    /// What it exports and imports as an ES module.
    pub module: ModuleInterface,
    /// Code it keeps in strings, and binaries in base64 literals.
    pub embedded: Vec<EmbeddedCode>,
}

/// Analyses one JavaScript or TypeScript file.
pub fn analyze(path: &str, source: &str, rules: &RuleSet) -> Analysis {
    let allocator = Allocator::default();
    let mut errors = Vec::new();
    for source_type in source_types(path) {
        let options = ParseOptions {
            allow_return_outside_function: true,
            parse_regular_expression: false,
            ..ParseOptions::default()
        };
        let parsed = Parser::new(&allocator, source, source_type)
            .with_options(options)
            .parse();
        let messages: Vec<SyntaxError> = parsed
            .diagnostics
            .errors()
            .take(20)
            .map(|d| SyntaxError {
                message: d.message.to_string(),
                span: d.labels.first().map(|l| Span {
                    start: l.offset(),
                    end: l.offset() + l.len(),
                }),
            })
            .collect();
        if parsed.panicked {
            if errors.is_empty() {
                errors = messages;
            }
            continue;
        }
        let semantic = SemanticBuilder::new()
            .with_build_nodes(true)
            .with_check_syntax_error(false)
            .build(&parsed.program)
            .semantic;
        let mut analysis = Extractor::new(&semantic, source, rules).run();
        analysis.module = modules::interface(&parsed.module_record, &semantic);
        analysis.errors = messages;
        analysis.parsed = true;
        return analysis;
    }
    // The parser could not recover: still report what literals and environment reads say.
    let mut analysis = lexical_scan(source, rules);
    analysis.errors = errors;
    analysis
}

/// What to try, most likely first: the extension's own type, then script and JSX variants.
fn source_types(path: &str) -> Vec<SourceType> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".ts") || lower.ends_with(".mts") || lower.ends_with(".cts") {
        vec![SourceType::ts(), SourceType::tsx()]
    } else if lower.ends_with(".tsx") {
        vec![SourceType::tsx(), SourceType::ts()]
    } else {
        vec![
            SourceType::unambiguous().with_jsx(true),
            SourceType::unambiguous(),
            SourceType::script(),
            SourceType::tsx(),
        ]
    }
}

struct Extractor<'s, 'a> {
    semantic: &'s Semantic<'a>,
    resolver: Resolver<'s, 'a>,
    source: &'a str,
    rules: &'s RuleSet,
    matched: Vec<(Fact, NodeId, Vec<usize>)>,
    urls: Vec<(String, Span)>,
    decoder: decode::Decoder<'s, 'a>,
    embedded: Vec<embedded::Found>,
    handlers: Vec<handlers::Handler>,
    names_read: rustc_hash::FxHashSet<String>,
    /// Every property name read, where: what decides which exports run.
    reads: Vec<(NodeId, std::borrow::Cow<'a, str>)>,
}

impl<'s, 'a> Extractor<'s, 'a> {
    fn new(semantic: &'s Semantic<'a>, source: &'a str, rules: &'s RuleSet) -> Self {
        Self {
            semantic,
            resolver: Resolver::new(semantic),
            source,
            rules,
            matched: Vec::new(),
            urls: Vec::new(),
            decoder: decode::Decoder::new(semantic),
            embedded: Vec::new(),
            handlers: Vec::new(),
            names_read: rustc_hash::FxHashSet::default(),
            reads: Vec::new(),
        }
    }

    fn run(mut self) -> Analysis {
        for node in self.semantic.nodes().iter() {
            self.visit(node.id(), node.kind());
        }
        let matched = std::mem::take(&mut self.matched);
        let mut detections = Vec::with_capacity(matched.len());
        let run_sites = self.embedded.iter().any(|f| f.site.is_some());
        let reads = std::mem::take(&mut self.reads);
        let liveness = (!matched.is_empty() || run_sites).then(|| Liveness::compute(self.semantic, &reads));
        let embedded = std::mem::take(&mut self.embedded)
            .into_iter()
            .map(|found| {
                let mut code = found.code;
                if let (Some(site), Some(liveness)) = (found.site, &liveness) {
                    let (reachability, _) = liveness.reachability(self.semantic, site);
                    let mut steps: Vec<Step> = liveness
                        .steps_to(self.semantic, site)
                        .into_iter()
                        .map(|(_, step)| step)
                        .collect();
                    let runner = code.runner.as_deref().unwrap_or("code");
                    steps.push(step_at(
                        self.semantic,
                        "call",
                        site,
                        format!("runs the string at offset {} as code ({runner})", code.offset),
                    ));
                    code.site = Some(RunSite { reachability, steps });
                }
                code
            })
            .collect();
        if let Some(liveness) = &liveness
            && !matched.is_empty()
        {
            let flows = Flows::new(self.semantic, &self.resolver, self.source);
            let index = GuardIndex::new(self.semantic, &self.resolver);
            let switches = Switches::compute(&index, liveness);
            // Units holding a telemetry send, with the send: error handlers that lead there report.
            let mut sends = rustc_hash::FxHashMap::default();
            for (fact, node, rules) in matched {
                let mut trail = Trail {
                    names: Vec::new(),
                    hops: Vec::new(),
                    stored: None,
                    in_parameter: false,
                    assumed_sent: false,
                };
                let consequence = match fact.kind {
                    FactKind::DefaultOn => {
                        trail.hops.push(Hop {
                            node,
                            role: "branch",
                            note: "a missing setting counts as on".into(),
                        });
                        Consequence::Gates
                    }
                    FactKind::Compare => {
                        trail.hops.push(Hop {
                            node,
                            role: "branch",
                            note: "the comparison decides a branch".into(),
                        });
                        Consequence::Gates
                    }
                    FactKind::Key => match self.semantic.nodes().kind(node) {
                        AstKind::AssignmentExpression(_) => {
                            trail.names.push(fact.subject.clone());
                            trail.hops.push(Hop {
                                node,
                                role: "sink",
                                note: format!("stored on an object as `{}` (taken as sent)", fact.subject),
                            });
                            Consequence::Sent
                        }
                        _ => {
                            trail.names.push(fact.subject.clone());
                            flows.consequence(node, true, &mut trail)
                        }
                    },
                    _ => flows.consequence(node, false, &mut trail),
                };
                let (reachability, unless_read) = liveness.reachability(self.semantic, node);
                let upstream = liveness.steps_to(self.semantic, node);
                let mut guarded: Vec<NodeId> = upstream.iter().map(|(at, _)| *at).collect();
                guarded.push(node);
                guarded.extend(trail.hops.iter().map(|hop| hop.node));
                let local: Vec<NodeId> = std::iter::once(node)
                    .chain(trail.hops.iter().map(|hop| hop.node))
                    .collect();
                let unit = liveness.unit_of(node);
                let guards = switches.guards(&index, unit, &guarded, &local);
                let mut steps: Vec<Step> = upstream.into_iter().map(|(_, step)| step).collect();
                let mut detection = step_at(self.semantic, "detection", node, describe(&fact));
                detection.span = fact.span;
                steps.push(detection);
                // Saved and sent: the value is kept across runs, which rules' `flows_to` sees as
                // the saving call's name (`fs.writeFileSync`).
                if consequence == Consequence::Sent
                    && !trail.assumed_sent
                    && let Some((_, saver)) = &trail.stored
                {
                    trail.names.push(saver.clone());
                }
                // Saved on the way to somewhere else: the step that saves it comes first.
                if let Some((stored, _)) = trail.stored.take()
                    && !trail.hops.iter().any(|hop| hop.node == stored.node)
                {
                    let at = |hop: &Hop| self.semantic.nodes().kind(hop.node).span().start;
                    let place = trail
                        .hops
                        .iter()
                        .position(|hop| hop.role != "flow" || at(hop) > at(&stored))
                        .unwrap_or(trail.hops.len());
                    trail.hops.insert(place, stored);
                }
                steps.extend(trail.hops.into_iter().map(|hop| {
                    let note = match flows.branch_effect(hop.node).filter(|_| hop.role == "branch") {
                        Some(effect) => format!("{}; {effect}", hop.note),
                        None => hop.note,
                    };
                    step_at(self.semantic, hop.role, hop.node, note)
                }));
                let flow = Flow {
                    consequence,
                    names: trail.names,
                    reachability,
                    unless_read,
                    guards,
                    steps,
                    library: library_of(self.semantic, node),
                };
                let rules: Vec<usize> = rules
                    .into_iter()
                    .filter(|&r| self.rules.accepts_flow(r, &flow))
                    .collect();
                if !rules.is_empty() {
                    if fact.kind == FactKind::Call
                        && rules
                            .iter()
                            .any(|&r| self.rules.rule(r).category == Category::Telemetry)
                        && let Some(unit) = liveness.unit_of(node)
                    {
                        // The last send of a function is its report; earlier ones set it up.
                        sends.insert(unit, (node, fact.subject.clone()));
                    }
                    detections.push(Detection { fact, rules, flow });
                }
            }
            detections.extend(self.handler_sends(liveness, &index, &switches, &sends));
        }
        Analysis {
            detections,
            errors: Vec::new(),
            urls: self.urls,
            parsed: true,
            names_read: std::mem::take(&mut self.names_read),
            module: ModuleInterface::default(),
            embedded,
        }
    }

    /// Property names an obfuscator hides behind decoder calls (`Intl[t(0x1)]()[t(0x2)]()`):
    /// worked out along the whole chain when the walk meets its outermost member (after the
    /// string table has been rotated), so the chain resolves.
    fn learn_computed_names(&mut self, mut expr: &Expression<'a>) {
        for _ in 0..16 {
            expr = match expr.without_parentheses() {
                Expression::ComputedMemberExpression(m) => {
                    if m.static_property_name().is_none() {
                        self.learn_computed_name(&m.expression);
                    }
                    &m.object
                }
                Expression::StaticMemberExpression(m) => &m.object,
                Expression::CallExpression(call) => &call.callee,
                _ => return,
            };
        }
    }

    fn learn_computed_name(&mut self, key: &Expression<'a>) {
        let Expression::CallExpression(call) = key.without_parentheses() else {
            return;
        };
        if self.resolver.knows_computed_name(key.span().start) {
            return;
        }
        let constant = !call.arguments.is_empty()
            && call
                .arguments
                .iter()
                .all(|a| matches!(a, Argument::NumericLiteral(_) | Argument::StringLiteral(_)));
        if !constant {
            return;
        }
        if let Some(value) = self.decoder.value(key)
            && let Some(name) = value.as_str()
            && name.len() <= 64
            && is_property_name(name)
        {
            self.resolver.learn_computed_name(key.span().start, name.to_string());
        }
    }

    /// The name a bundler wrote after a constant it inlined, `145 /* ROUTING_REASONING */`
    /// (esbuild does so for enum members and constants): the code read that name.
    fn inlined_name(&self, end: u32) -> Option<&'a str> {
        let comments = self.semantic.comments();
        let next = comments.partition_point(|c| c.span.start < end);
        let comment = comments.get(next).filter(|c| c.is_block())?;
        if !self
            .source
            .get(end as usize..comment.span.start as usize)?
            .bytes()
            .all(|b| b == b' ')
        {
            return None;
        }
        let content = comment.content_span();
        let name = self.source.get(content.start as usize..content.end as usize)?.trim();
        let identifier = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
        identifier.then(|| name.rsplit('.').next().unwrap_or(name))
    }

    fn offer(&mut self, fact: Fact, node: NodeId) {
        let rules = self.rules.matching(&fact);
        if !rules.is_empty() {
            self.matched.push((fact, node, rules));
        }
    }

    fn visit(&mut self, id: NodeId, kind: AstKind<'a>) {
        self.decode(id, kind);
        if let Some(name) = read_name(self.semantic, id, kind) {
            if is_name_read_elsewhere(kind, &name) && !self.names_read.contains(name.as_ref()) {
                self.names_read.insert(name.to_string());
            }
            self.reads.push((id, name));
        }
        if matches!(
            kind,
            AstKind::MethodDefinition(_) | AstKind::CallExpression(_) | AstKind::AssignmentExpression(_)
        ) {
            self.error_handler(id, kind);
        }
        match kind {
            AstKind::CallExpression(call) => {
                let callee = call.callee.without_parentheses();
                let last = last_name(callee);
                let aliased = matches!(callee, Expression::Identifier(_) | Expression::SequenceExpression(_));
                let wanted = aliased || self.rules.wants(FactKind::Call, last);
                // One chain per call, for the rules and for what runs strings as code.
                let chain = (wanted || embedded::may_run_code(last)).then(|| self.resolver.chain(&call.callee));
                if let Some(chain) = &chain {
                    self.code_runner(id, chain, &call.arguments, false);
                }
                if wanted && let Some(subject) = chain {
                    let (argument, argument_keys) = self.first_argument(&call.arguments);
                    self.offer(
                        Fact {
                            kind: FactKind::Call,
                            subject,
                            argument: Some(argument),
                            argument_keys,
                            span: span(call.span),
                            decoded: None,
                        },
                        id,
                    );
                }
                self.comparison_call(id, call);
            }
            AstKind::NewExpression(new) => {
                let callee = new.callee.without_parentheses();
                let last = last_name(callee);
                let wanted = self.rules.wants(FactKind::New, last);
                let runs = embedded::may_run_code(last)
                    || matches!(callee, Expression::Identifier(_) | Expression::SequenceExpression(_));
                let chain = (wanted || runs).then(|| self.resolver.chain(&new.callee));
                if let Some(chain) = &chain {
                    self.code_runner(id, chain, &new.arguments, true);
                }
                if wanted && let Some(subject) = chain {
                    let (argument, argument_keys) = self.first_argument(&new.arguments);
                    self.offer(
                        Fact {
                            kind: FactKind::New,
                            subject,
                            argument: Some(argument),
                            argument_keys,
                            span: span(new.span),
                            decoded: None,
                        },
                        id,
                    );
                }
            }
            AstKind::StaticMemberExpression(m) => {
                let name = m.property.name.as_str();
                self.member(id, m.span, &m.object, name);
            }
            AstKind::ComputedMemberExpression(m) => {
                if m.static_property_name().is_none() {
                    self.learn_computed_names(&m.object);
                    self.learn_computed_name(&m.expression);
                }
                if let Some(name) = self.resolver.property_name(m) {
                    self.member(id, m.span, &m.object, &name);
                }
            }
            AstKind::NumericLiteral(n) => {
                if let Some(name) = self.inlined_name(n.span.end)
                    && self.rules.wants(FactKind::Name, name)
                {
                    self.offer(Fact::new(FactKind::Name, name, span(n.span)), id);
                }
            }
            AstKind::StringLiteral(s) => {
                self.text(id, s.value.as_str(), span(s.span));
                self.loose_literal(s.value.as_str(), s.span.start);
            }
            AstKind::TemplateLiteral(t) => {
                if let ([quasi], true) = (t.quasis.as_slice(), t.expressions.is_empty())
                    && let Some(cooked) = quasi.value.cooked
                {
                    self.loose_literal(cooked.as_str(), t.span.start);
                }
                for quasi in &t.quasis {
                    if let Some(cooked) = quasi.value.cooked {
                        self.text(id, cooked.as_str(), span(quasi.span));
                    }
                }
            }
            AstKind::ObjectProperty(p) => {
                if !is_literal(&p.value)
                    && self.rules.wants(FactKind::Key, "")
                    && let Some(key) = p.key.static_name()
                {
                    self.offer(Fact::new(FactKind::Key, key, span(p.key.span())), id);
                }
            }
            AstKind::AssignmentExpression(a) => {
                if !is_literal(&a.right)
                    && self.rules.wants(FactKind::Key, "")
                    && let Some(member) = a.left.as_member_expression()
                    && let Some(key) = member.static_property_name()
                {
                    self.offer(Fact::new(FactKind::Key, key, span(a.left.span())), id);
                }
            }
            AstKind::LogicalExpression(l) if l.operator == LogicalOperator::Coalesce && is_true(&l.right) => {
                self.default_on(id, &l.left, l.span);
            }
            AstKind::BinaryExpression(b)
                if matches!(
                    b.operator,
                    BinaryOperator::StrictInequality | BinaryOperator::Inequality
                ) && (is_false(&b.left) || is_false(&b.right)) =>
            {
                let setting = if is_false(&b.right) { &b.left } else { &b.right };
                self.default_on(id, setting, b.span);
            }
            AstKind::BinaryExpression(b) if b.operator.is_equality() => {
                let (literal, other) = match (string_value(&b.left), string_value(&b.right)) {
                    (Some(l), None) => (l, &b.right),
                    (None, Some(r)) => (r, &b.left),
                    _ => return,
                };
                if self.rules.wants(FactKind::Compare, "") {
                    let argument = self.subject_name(other);
                    self.offer(
                        Fact {
                            kind: FactKind::Compare,
                            subject: literal.to_string(),
                            argument: Some(argument),
                            argument_keys: Vec::new(),
                            span: span(b.span),
                            decoded: None,
                        },
                        id,
                    );
                }
            }
            _ => {}
        }
    }

    /// Reads: `process.env.X` becomes an `Env` fact; every property name is a `Name` fact; and
    /// chains rules ask for are `Read` facts. A member that is itself called is left to the call.
    fn member(&mut self, id: NodeId, member_span: oxc::span::Span, object: &Expression<'a>, name: &str) {
        let nodes = self.semantic.nodes();
        let called = matches!(nodes.parent_kind(id), AstKind::CallExpression(c) if c.callee.span() == member_span);
        let assigned =
            matches!(nodes.parent_kind(id), AstKind::AssignmentExpression(a) if a.left.span() == member_span);
        if self.rules.wants(FactKind::Name, name) {
            self.offer(Fact::new(FactKind::Name, name, span(member_span)), id);
        }
        if assigned {
            return;
        }
        if last_name(object.without_parentheses()) == "env" && self.rules.wants(FactKind::Env, name) {
            let object_chain = self.resolver.chain(object);
            if object_chain == "process.env" || object_chain == "import.meta.env" {
                self.offer(Fact::new(FactKind::Env, name, span(member_span)), id);
            }
        }
        if !called && self.rules.wants(FactKind::Read, name) {
            let mut subject = self.resolver.chain(object);
            subject.push('.');
            subject.push_str(name);
            self.offer(Fact::new(FactKind::Read, subject, span(member_span)), id);
        }
    }

    fn text(&mut self, id: NodeId, value: &str, at: Span) {
        if value.len() > 4096 {
            return;
        }
        if value.contains("://") {
            for url in urls_in(value) {
                self.urls.push((url.to_string(), at));
            }
        }
        if self.rules.wants(FactKind::Text, "") {
            self.offer(Fact::new(FactKind::Text, value, at), id);
        }
    }

    /// A setting that is on unless it is set to off: `s ?? true`, `s !== false`.
    fn default_on(&mut self, id: NodeId, setting: &Expression<'a>, at: oxc::span::Span) {
        if !self.rules.wants(FactKind::DefaultOn, "") {
            return;
        }
        let setting = match setting.without_parentheses() {
            Expression::CallExpression(call) => &call.callee,
            other => other,
        };
        if !last_name(setting.without_parentheses()).is_empty() {
            let mut chain = self.resolver.chain(setting);
            if chain.starts_with('?') {
                // A parameter or other unresolved base: the code as written reads better.
                chain = setting.span().source_text(self.source).split_whitespace().collect();
            }
            self.offer(Fact::new(FactKind::DefaultOn, chain, span(at)), id);
        }
    }

    /// `x.includes("…")`, `x.startsWith("…")`, `["a","b"].includes(x)` as comparisons.
    fn comparison_call(&mut self, id: NodeId, call: &oxc::ast::ast::CallExpression<'a>) {
        let Expression::StaticMemberExpression(m) = call.callee.without_parentheses() else {
            return;
        };
        if !matches!(
            m.property.name.as_str(),
            "includes" | "startsWith" | "endsWith" | "indexOf" | "has"
        ) {
            return;
        }
        if !self.rules.wants(FactKind::Compare, "") {
            return;
        }
        let Some(first) = call.arguments.first().and_then(Argument::as_expression) else {
            return;
        };
        if let Some(literal) = string_value(first) {
            let argument = self.subject_name(&m.object);
            self.offer(
                Fact {
                    kind: FactKind::Compare,
                    subject: literal.to_string(),
                    argument: Some(argument),
                    argument_keys: Vec::new(),
                    span: span(call.span),
                    decoded: None,
                },
                id,
            );
        } else if let Expression::ArrayExpression(array) = m.object.without_parentheses() {
            let argument = self.subject_name(first);
            for element in array.elements.iter().take(64) {
                if let Some(literal) = element.as_expression().and_then(string_value) {
                    self.offer(
                        Fact {
                            kind: FactKind::Compare,
                            subject: literal.to_string(),
                            argument: Some(argument.clone()),
                            argument_keys: Vec::new(),
                            span: span(call.span),
                            decoded: None,
                        },
                        id,
                    );
                }
            }
        }
    }

    /// What is compared: its chain, or the local name when the chain says nothing.
    fn subject_name(&self, expr: &Expression<'a>) -> String {
        let chain = self.resolver.chain(expr);
        if chain.starts_with('?')
            && let Expression::Identifier(id) = expr.without_parentheses()
        {
            return format!("{chain} {}", id.name);
        }
        chain
    }

    /// The first argument as a constant string (through a constant it names) and, for an
    /// object literal, its keys.
    fn first_argument(&self, arguments: &[Argument<'a>]) -> (String, Vec<String>) {
        let Some(first) = arguments.first() else {
            return (String::new(), Vec::new());
        };
        let Some(expr) = first.as_expression() else {
            return (String::new(), Vec::new());
        };
        let expr = expr.without_parentheses();
        match expr {
            Expression::ObjectExpression(object) => {
                let keys = object
                    .properties
                    .iter()
                    .filter_map(|p| match p {
                        ObjectPropertyKind::ObjectProperty(p) => p.key.static_name().map(|k| k.to_string()),
                        ObjectPropertyKind::SpreadProperty(_) => None,
                    })
                    .collect();
                (String::new(), keys)
            }
            Expression::Identifier(id) if id.name == "undefined" => ("undefined".into(), Vec::new()),
            Expression::UnaryExpression(u) if u.operator == oxc::syntax::operator::UnaryOperator::Void => {
                ("undefined".into(), Vec::new())
            }
            Expression::Identifier(id) => (
                self.constant_literal(id)
                    .map(|(text, _)| text)
                    .unwrap_or_default()
                    .to_string(),
                Vec::new(),
            ),
            other => (string_value(other).unwrap_or_default().to_string(), Vec::new()),
        }
    }

    /// The string a `const`/`var` holds when it is initialised with a literal and never
    /// reassigned, and where that literal starts.
    fn constant_literal(&self, id: &oxc::ast::ast::IdentifierReference<'a>) -> Option<(&'a str, u32)> {
        let symbol = self.resolver.symbol_of(id)?;
        let scoping = self.semantic.scoping();
        if scoping.symbol_is_mutated(symbol) {
            return None;
        }
        match self.semantic.nodes().kind(scoping.symbol_declaration(symbol)) {
            AstKind::VariableDeclarator(d) => {
                let init = d.init.as_ref()?;
                string_value(init).map(|text| (text, init.span().start))
            }
            _ => None,
        }
    }
}

fn span(s: oxc::span::Span) -> Span {
    Span {
        start: s.start,
        end: s.end,
    }
}

fn is_literal(expr: &Expression<'_>) -> bool {
    matches!(
        expr.without_parentheses(),
        Expression::StringLiteral(_)
            | Expression::NumericLiteral(_)
            | Expression::BooleanLiteral(_)
            | Expression::NullLiteral(_)
            | Expression::RegExpLiteral(_)
            | Expression::BigIntLiteral(_)
    ) || matches!(expr.without_parentheses(), Expression::TemplateLiteral(t) if t.expressions.is_empty())
        || matches!(expr.without_parentheses(), Expression::UnaryExpression(u) if matches!(u.argument, Expression::NumericLiteral(_)))
}

/// `text`, cut to `max` characters with an ellipsis, for notes on a path.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    } else {
        text.to_string()
    }
}

/// One line on what the code at a fact does, for its path step.
fn describe(fact: &Fact) -> String {
    let subject = shorten(&fact.subject, 80);
    match fact.kind {
        FactKind::Call => format!("calls `{subject}`"),
        FactKind::Read => format!("reads `{subject}`"),
        FactKind::New => format!("constructs `{subject}`"),
        FactKind::Env => format!("reads environment variable `{subject}`"),
        FactKind::Text if fact.decoded.is_some() => format!("the decoded string \"{subject}\""),
        FactKind::Text => format!("the literal \"{subject}\""),
        FactKind::Key => format!("sets `{subject}`"),
        FactKind::Name => format!("uses `{subject}`"),
        FactKind::Compare => format!(
            "compares `{}` with \"{subject}\"",
            fact.argument.as_deref().unwrap_or("a value")
        ),
        FactKind::Covert => format!(
            "chooses between strings differing only by {subject}, on `{}`",
            fact.argument.as_deref().unwrap_or("a value")
        ),
        FactKind::DefaultOn => format!("reads `{subject}`, on when it is not set"),
        FactKind::HandlerSend => format!(
            "the error handler `{}` calls on to `{subject}`",
            fact.argument.as_deref().unwrap_or("?")
        ),
    }
}

/// `true` or its minified `!0`.
pub(super) fn is_true(expr: &Expression<'_>) -> bool {
    boolean_value(expr) == Some(true)
}

/// `false` or its minified `!1`.
pub(super) fn is_false(expr: &Expression<'_>) -> bool {
    boolean_value(expr) == Some(false)
}

fn boolean_value(expr: &Expression<'_>) -> Option<bool> {
    match expr.without_parentheses() {
        Expression::BooleanLiteral(b) => Some(b.value),
        Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => {
            match u.argument.without_parentheses() {
                Expression::NumericLiteral(n) => Some(n.value == 0.0),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The last name of a callee or object: `hostname` of `os.hostname`, `fetch` of `fetch`.
fn last_name<'a>(expr: &Expression<'a>) -> &'a str {
    match expr {
        Expression::Identifier(id) => id.name.as_str(),
        Expression::StaticMemberExpression(m) => m.property.name.as_str(),
        Expression::ComputedMemberExpression(m) => m.static_property_name().map_or("", |n| n.as_str()),
        Expression::ChainExpression(c) => match &c.expression {
            oxc::ast::ast::ChainElement::StaticMemberExpression(m) => m.property.name.as_str(),
            oxc::ast::ast::ChainElement::ComputedMemberExpression(m) => {
                m.static_property_name().map_or("", |n| n.as_str())
            }
            _ => "",
        },
        Expression::SequenceExpression(s) => s.expressions.last().map_or("", last_name),
        _ => "",
    }
}

/// URLs inside a string: `http://`, `https://`, `ws://`, `wss://` up to the first character
/// that cannot be in one.
pub fn urls_in(text: &str) -> impl Iterator<Item = &str> {
    static URL: OnceLock<Regex> = OnceLock::new();
    URL.get_or_init(|| Regex::new(r#"(?i)\b(?:https?|wss?)://[^\s"'`<>(){}\[\]\\^|]+"#).expect("valid"))
        .find_iter(text)
        .map(|m| m.as_str().trim_end_matches(['.', ',', ';', ':']))
}

/// When parsing fails: string literals and environment reads found lexically, so a broken file
/// still reports its endpoints and switches.
fn lexical_scan(source: &str, rules: &RuleSet) -> Analysis {
    static STRING: OnceLock<Regex> = OnceLock::new();
    static ENV: OnceLock<Regex> = OnceLock::new();
    let string =
        STRING.get_or_init(|| Regex::new(r#""(?:[^"\\\n]|\\.){1,2048}"|'(?:[^'\\\n]|\\.){1,2048}'"#).expect("valid"));
    let env = ENV.get_or_init(|| {
        Regex::new(r#"process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[["']([A-Za-z_][A-Za-z0-9_]*)["']\])"#).expect("valid")
    });
    let mut analysis = Analysis::default();
    let flow = Flow {
        consequence: Consequence::Unknown,
        names: Vec::new(),
        reachability: Reachability {
            status: RunStatus::Unknown,
            reason: Some("the file could not be parsed".into()),
        },
        unless_read: None,
        guards: Vec::new(),
        steps: Vec::new(),
        library: None,
    };
    let push = |fact: Fact, analysis: &mut Analysis| {
        let matched = rules.matching(&fact);
        if !matched.is_empty() {
            analysis.detections.push(Detection {
                fact,
                rules: matched,
                flow: flow.clone(),
            });
        }
    };
    for m in string.find_iter(source) {
        let value = &m.as_str()[1..m.as_str().len() - 1];
        let at = Span {
            start: m.start() as u32,
            end: m.end() as u32,
        };
        for url in urls_in(value) {
            analysis.urls.push((url.to_string(), at));
        }
        push(Fact::new(FactKind::Text, value, at), &mut analysis);
    }
    for c in env.captures_iter(source) {
        let whole = c.get(0).expect("match");
        let name = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
        let at = Span {
            start: whole.start() as u32,
            end: whole.end() as u32,
        };
        push(Fact::new(FactKind::Env, name, at), &mut analysis);
    }
    analysis
}
