//! Opt-out switches: conditions on environment variables and settings that stand between the
//! start of a path and its detection or sink (`if (process.env.DO_NOT_TRACK) return;`,
//! `if (settings.telemetryEnabled) send(…)`), and whether setting the switch stops the path.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use oxc::ast::AstKind;
use oxc::ast::ast::{BinaryOperator, Expression, LogicalOperator, Statement, UnaryOperator};
use oxc::semantic::{NodeId, Semantic};
use oxc::span::GetSpan;
use regex::Regex;
use rustc_hash::{FxHashMap, FxHashSet};

use super::liveness::Liveness;
use super::resolve::Resolver;
use crate::lang::facts::GuardFact;
use crate::report::Span;

/// Names of switches that opt out when set (`DO_NOT_TRACK`, `DISABLE_TELEMETRY`,
/// `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC`, `telemetryOptOut`).
fn opt_out_when_set() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)(do_?not_?track|disable|opt_?out|no_?(telemetry|analytics|tracking)|nonessential)")
            .expect("valid")
    })
}

/// Names of switches that opt out when cleared (`usageStatisticsEnabled`, `TELEMETRY_ENABLED`,
/// `settings.telemetry`).
fn opt_out_when_cleared() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)(telemetry|analytics|usage_?stat|crash_?report|error_?report|tracking|metrics)")
            .expect("valid")
    })
}

/// How much of a path's code around each node is searched for conditions.
const MAX_ANCESTORS: usize = 64;

/// The switches one condition tests.
type Tested = Rc<[GuardFact]>;
/// A block's `if (…) return` statements: where each ends and a switch it tests.
type EarlyExits = Rc<[(u32, GuardFact)]>;

/// Finds the switches that decide whether code runs, remembering what each condition and each
/// block's early returns test: a bundle asks this for every reference between functions.
pub struct GuardIndex<'s, 'a> {
    semantic: &'s Semantic<'a>,
    resolver: &'s Resolver<'s, 'a>,
    /// Per condition (node and which side the code is on): the switches it tests.
    conditions: RefCell<FxHashMap<(NodeId, bool), Tested>>,
    /// Per block: its `if (…) return` statements, by end offset, with their switches.
    early: RefCell<FxHashMap<NodeId, EarlyExits>>,
}

impl<'s, 'a> GuardIndex<'s, 'a> {
    pub fn new(semantic: &'s Semantic<'a>, resolver: &'s Resolver<'s, 'a>) -> Self {
        Self {
            semantic,
            resolver,
            conditions: RefCell::default(),
            early: RefCell::default(),
        }
    }

    /// Every switch some condition in the file tests, with the first place it is read, and the
    /// spans of the code such conditions decide.
    pub fn switches_in_file(&self) -> (Vec<GuardFact>, Vec<(u32, u32)>) {
        let tree = self.semantic.nodes();
        let mut found: Vec<GuardFact> = Vec::new();
        // Where code that such a condition decides can be: what to look at more closely.
        let mut regions: Vec<(u32, u32)> = Vec::new();
        for node in tree.iter() {
            let (test, sides) = match node.kind() {
                AstKind::IfStatement(s) => {
                    let after = match (&s.alternate, tree.parent_kind(node.id())) {
                        (None, AstKind::FunctionBody(b)) => Some(oxc::span::Span::new(s.span.end, b.span.end)),
                        (None, AstKind::BlockStatement(b)) => Some(oxc::span::Span::new(s.span.end, b.span.end)),
                        (None, AstKind::Program(p)) => Some(oxc::span::Span::new(s.span.end, p.span.end)),
                        _ => None,
                    };
                    (
                        &s.test,
                        [
                            Some(s.consequent.span()),
                            s.alternate.as_ref().map(GetSpan::span).or(after),
                        ],
                    )
                }
                AstKind::ConditionalExpression(c) => (&c.test, [Some(c.consequent.span()), Some(c.alternate.span())]),
                AstKind::LogicalExpression(l) => (&l.left, [Some(l.right.span()), None]),
                _ => continue,
            };
            let mut here = Vec::new();
            switches(self.resolver, test, true, &mut here);
            if here.is_empty() {
                continue;
            }
            regions.extend(sides.into_iter().flatten().map(|side| (side.start, side.end)));
            for guard in here {
                if !found.iter().any(|g| g.switch == guard.switch) {
                    found.push(guard);
                }
            }
        }
        (found, regions)
    }

    /// The switches tested by conditions that decide whether the code at each of `nodes` runs:
    /// branches around it in its function and `if (…) return` before it.
    pub fn at(&self, nodes: &[NodeId]) -> Vec<GuardFact> {
        let tree = self.semantic.nodes();
        let mut out: Vec<GuardFact> = Vec::new();
        for &node in nodes {
            let mut child = node;
            for ancestor in tree.ancestor_ids(node).take(MAX_ANCESTORS) {
                let here = tree.kind(child).span();
                match tree.kind(ancestor) {
                    AstKind::IfStatement(s) if s.consequent.span() == here => {
                        out.extend_from_slice(&self.condition(ancestor, &s.test, true));
                    }
                    AstKind::IfStatement(s) if s.alternate.as_ref().is_some_and(|a| a.span() == here) => {
                        out.extend_from_slice(&self.condition(ancestor, &s.test, false));
                    }
                    AstKind::ConditionalExpression(c) if c.consequent.span() == here => {
                        out.extend_from_slice(&self.condition(ancestor, &c.test, true));
                    }
                    AstKind::ConditionalExpression(c) if c.alternate.span() == here => {
                        out.extend_from_slice(&self.condition(ancestor, &c.test, false));
                    }
                    AstKind::LogicalExpression(l) if l.right.span() == here => match l.operator {
                        LogicalOperator::And => out.extend_from_slice(&self.condition(ancestor, &l.left, true)),
                        LogicalOperator::Or => out.extend_from_slice(&self.condition(ancestor, &l.left, false)),
                        LogicalOperator::Coalesce => {}
                    },
                    AstKind::FunctionBody(body) => self.early_returns(ancestor, &body.statements, here, &mut out),
                    AstKind::BlockStatement(block) => self.early_returns(ancestor, &block.body, here, &mut out),
                    AstKind::Program(program) => self.early_returns(ancestor, &program.body, here, &mut out),
                    _ => {}
                }
                if matches!(
                    tree.kind(ancestor),
                    AstKind::Function(_) | AstKind::ArrowFunctionExpression(_)
                ) {
                    // The caller's conditions are found from its call site, another of `nodes`.
                    break;
                }
                child = ancestor;
            }
        }
        out.sort_by_key(|g| g.span.start);
        out.dedup_by(|a, b| a.span == b.span && a.switch == b.switch);
        out
    }

    fn condition(&self, at: NodeId, test: &Expression<'_>, runs_when: bool) -> Tested {
        if let Some(known) = self.conditions.borrow().get(&(at, runs_when)) {
            return known.clone();
        }
        let mut found = Vec::new();
        switches(self.resolver, test, runs_when, &mut found);
        let found: Tested = found.into();
        self.conditions.borrow_mut().insert((at, runs_when), found.clone());
        found
    }

    /// `if (T) return;` (or `throw`) before the statement at `here`: what follows runs when T
    /// is false.
    fn early_returns(
        &self,
        block: NodeId,
        statements: &[Statement<'_>],
        here: oxc::span::Span,
        out: &mut Vec<GuardFact>,
    ) {
        let known = self.early.borrow().get(&block).cloned();
        let exits = known.unwrap_or_else(|| {
            let mut exits = Vec::new();
            for statement in statements {
                if let Statement::IfStatement(s) = statement
                    && s.alternate.is_none()
                    && exits_always(&s.consequent)
                {
                    let mut found = Vec::new();
                    switches(self.resolver, &s.test, false, &mut found);
                    exits.extend(found.into_iter().map(|g| (statement.span().end, g)));
                }
                // `try { if (T) return; … } finally { … } after()`: the `return` leaves the
                // function, so what follows the `try` runs only when T is false too (a `throw`
                // would land in the `catch` and carry on).
                if let Statement::TryStatement(t) = statement {
                    for inner in &t.block.body {
                        if let Statement::IfStatement(s) = inner
                            && s.alternate.is_none()
                            && returns_always(&s.consequent)
                        {
                            let mut found = Vec::new();
                            switches(self.resolver, &s.test, false, &mut found);
                            exits.extend(found.into_iter().map(|g| (statement.span().end, g)));
                        }
                    }
                }
            }
            let exits: EarlyExits = exits.into();
            self.early.borrow_mut().insert(block, exits.clone());
            exits
        });
        out.extend(
            exits
                .iter()
                .take_while(|(end, _)| *end <= here.start)
                .map(|(_, guard)| guard.clone()),
        );
    }
}

fn returns_always(statement: &Statement<'_>) -> bool {
    match statement {
        Statement::ReturnStatement(_) => true,
        Statement::BlockStatement(b) => b.body.last().is_some_and(returns_always),
        _ => false,
    }
}

fn exits_always(statement: &Statement<'_>) -> bool {
    match statement {
        Statement::ReturnStatement(_) | Statement::ThrowStatement(_) => true,
        Statement::BlockStatement(b) => b.body.last().is_some_and(exits_always),
        _ => false,
    }
}

/// The switches in condition `test`, which must be `runs_when` for the guarded code to run.
fn switches(resolver: &Resolver<'_, '_>, test: &Expression<'_>, runs_when: bool, out: &mut Vec<GuardFact>) {
    match test.without_parentheses() {
        Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => {
            switches(resolver, &u.argument, !runs_when, out);
        }
        Expression::LogicalExpression(l) => {
            // `a || b` false needs both false; `a && b` true needs both true: each operand then
            // decides alone. Otherwise an operand's switch cannot stop the code by itself.
            let decisive = match l.operator {
                LogicalOperator::Or => !runs_when,
                LogicalOperator::And => runs_when,
                LogicalOperator::Coalesce => false,
            };
            let before = out.len();
            switches(resolver, &l.left, runs_when, out);
            switches(resolver, &l.right, runs_when, out);
            if !decisive {
                for guard in &mut out[before..] {
                    guard.disables = false;
                }
            }
        }
        Expression::BinaryExpression(b) if b.operator.is_equality() => {
            let (value, literal) = if is_constant(&b.right) {
                (&b.left, &b.right)
            } else {
                (&b.right, &b.left)
            };
            let negated = matches!(
                b.operator,
                BinaryOperator::Inequality | BinaryOperator::StrictInequality
            );
            // `x === "1"` is true when the switch is on; `x === "false"` when it is off.
            let truthy = !matches!(literal.without_parentheses(),
                Expression::StringLiteral(s) if matches!(s.value.as_str(), "" | "0" | "false" | "no" | "off"))
                && !matches!(literal.without_parentheses(), Expression::BooleanLiteral(v) if !v.value)
                && !matches!(literal.without_parentheses(), Expression::NumericLiteral(n) if n.value == 0.0);
            switches(resolver, value, runs_when ^ negated ^ !truthy, out);
        }
        atom => {
            if let Some(flag) = server_flag(resolver, atom) {
                // Runs only while the vendor's server says so: turning the flag off stops it.
                out.push(GuardFact {
                    switch: flag,
                    kind: "server",
                    disables: runs_when,
                    span: Span {
                        start: atom.span().start,
                        end: atom.span().end,
                    },
                });
                return;
            }
            if let Some((switch, kind)) = switch_of(resolver, atom) {
                let set_value = opt_out_when_set().is_match(&switch);
                if !set_value && !opt_out_when_cleared().is_match(&switch) {
                    return;
                }
                // Opted out, the condition is `set_value` (true for DO_NOT_TRACK=1, false for
                // telemetryEnabled=false); the code is stopped when that is not what it needs.
                out.push(GuardFact {
                    switch,
                    kind,
                    disables: set_value != runs_when,
                    span: Span {
                        start: atom.span().start,
                        end: atom.span().end,
                    },
                });
            }
        }
    }
}

fn is_constant(expr: &Expression<'_>) -> bool {
    matches!(
        expr.without_parentheses(),
        Expression::StringLiteral(_) | Expression::BooleanLiteral(_) | Expression::NumericLiteral(_)
    )
}

/// Calls of feature-flag clients (Statsig, LaunchDarkly, GrowthBook, PostHog, Unleash…) whose
/// answer comes from the vendor's server.
const FLAG_CALLS: &[&str] = &[
    "checkGate",
    "checkGateSync",
    "getFeatureGate",
    "isFeatureEnabled",
    "getFeatureFlag",
    "getFeatureValue",
    "variation",
    "boolVariation",
    "isOn",
    "getDynamicConfig",
    "getExperiment",
];

/// A feature flag the condition asks the vendor's server about: `checkGate("tengu_x")`, named by
/// the flag when it is a constant, else by the call.
fn server_flag(resolver: &Resolver<'_, '_>, expr: &Expression<'_>) -> Option<String> {
    let Expression::CallExpression(call) = expr.without_parentheses() else {
        return None;
    };
    let chain = resolver.chain(&call.callee);
    let last = chain.rsplit('.').next().unwrap_or(&chain);
    if !FLAG_CALLS.contains(&last) {
        return None;
    }
    let flag = call
        .arguments
        .first()
        .and_then(|a| a.as_expression())
        .and_then(super::resolve::string_value);
    Some(match flag {
        Some(flag) => format!("{last}(\"{flag}\")"),
        None => format!("{last}(…)"),
    })
}

/// The switch an expression reads: an environment variable (`process.env.X`) or a setting (the
/// last name of a member chain or getter call: `config.getUsageStatisticsEnabled()`).
fn switch_of(resolver: &Resolver<'_, '_>, expr: &Expression<'_>) -> Option<(String, &'static str)> {
    let expr = match expr {
        Expression::CallExpression(call) if call.arguments.is_empty() => call.callee.without_parentheses(),
        other => other,
    };
    let chain = resolver.chain(expr);
    if let Some(variable) = chain
        .strip_prefix("process.env.")
        .or_else(|| chain.strip_prefix("import.meta.env."))
    {
        return Some((variable.to_string(), "env"));
    }
    let mut segments = chain.rsplit('.');
    let last = segments.next().filter(|l| !l.is_empty() && !l.ends_with(')'))?;
    // A class or type (`TelemetrySettings`) is no setting; a constant (`NO_TELEMETRY`) may be.
    let capitalised = last.starts_with(|c: char| c.is_ascii_uppercase());
    if capitalised && last.chars().any(|c| c.is_ascii_lowercase()) {
        return None;
    }
    if !generic_flag().is_match(last) {
        return (chain.contains('.') || last.len() > 3).then(|| (last.to_string(), "setting"));
    }
    // `disabled`, `enabled`, `optOut` say what about only with their object: `telemetry.disabled`.
    let owner = segments.next().filter(|o| topic().is_match(o))?;
    Some((format!("{owner}.{last}"), "setting"))
}

/// Setting names that say nothing of what they switch.
fn generic_flag() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)^(is_?)?(enabled?|disabled?|on|off|active|opt_?(out|in)|allowed)$").expect("valid")
    })
}

/// What a telemetry switch is about.
fn topic() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)(telemetry|analytics|usage|statistic|tracking|crash|error_?report|metrics|nonessential)")
            .expect("valid")
    })
}

/// The switches a file tests and, for each, which units still run when it is set: a switch
/// stops a finding when every way to it passes a condition the switch turns off, not only the
/// way its path shows.
pub struct Switches {
    switches: Vec<GuardFact>,
    /// Units that run at all.
    runs: Vec<bool>,
    /// Per switch, units that still run with it set; `None` when it cuts nothing (all of `runs`).
    runs_with: Vec<Option<Vec<bool>>>,
}

impl Switches {
    pub fn compute(index: &GuardIndex<'_, '_>, liveness: &Liveness) -> Self {
        let (switches, regions) = index.switches_in_file();
        let runs = liveness.reached_without(|_| false);
        if switches.is_empty() {
            return Self {
                switches,
                runs,
                runs_with: Vec::new(),
            };
        }
        let regions = merged(regions);
        let mut blocked: FxHashMap<NodeId, Vec<usize>> = FxHashMap::default();
        let nodes = index.semantic.nodes();
        for at in liveness.references() {
            let start = nodes.kind(at).span().start;
            // The last region starting at or before `start` is the only one that can hold it.
            let before = regions.partition_point(|&(from, _)| from <= start);
            if before == 0 || regions[before - 1].1 <= start {
                continue;
            }
            let stopped_by: Vec<usize> = index
                .at(&[at])
                .iter()
                .filter(|g| g.disables)
                .filter_map(|g| switches.iter().position(|s| s.switch == g.switch))
                .collect();
            if !stopped_by.is_empty() {
                blocked.insert(at, stopped_by);
            }
        }
        // A switch that cuts no reference leaves everything running: no walk needed.
        let cutting: FxHashSet<usize> = blocked.values().flatten().copied().collect();
        let runs_with = (0..switches.len())
            .map(|i| {
                cutting
                    .contains(&i)
                    .then(|| liveness.reached_without(|at| blocked.get(&at).is_some_and(|ids| ids.contains(&i))))
            })
            .collect();
        Self {
            switches,
            runs,
            runs_with,
        }
    }

    /// The switches for one finding: those that stop it (every way to its unit is cut, or a
    /// condition around the site or its sink turns it off), and those its path passes that do
    /// not stop it because another way runs it anyway. `path` are the nodes of its path,
    /// `local` the site and the nodes its value flows through.
    pub fn guards(
        &self,
        index: &GuardIndex<'_, '_>,
        unit: Option<u32>,
        path: &[NodeId],
        local: &[NodeId],
    ) -> Vec<GuardFact> {
        if self.switches.is_empty() {
            return Vec::new();
        }
        let on_path = index.at(path);
        let around = index.at(local);
        let mut out = Vec::new();
        for (i, switch) in self.switches.iter().enumerate() {
            let cut = unit.is_some_and(|u| {
                self.runs[u as usize] && self.runs_with[i].as_ref().is_some_and(|runs| !runs[u as usize])
            });
            let stopping = |g: &&GuardFact| g.disables && g.switch == switch.switch;
            let here = around.iter().find(stopping);
            if cut || here.is_some() {
                let at = on_path.iter().find(stopping).or(here).unwrap_or(switch);
                out.push(GuardFact {
                    disables: true,
                    ..at.clone()
                });
            } else if let Some(passed) = on_path.iter().find(|g| g.switch == switch.switch) {
                out.push(GuardFact {
                    disables: false,
                    ..passed.clone()
                });
            }
        }
        out.sort_by_key(|g| g.span.start);
        out
    }
}

/// Spans sorted by start with overlapping ones joined, for a binary search.
fn merged(mut spans: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    spans.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(spans.len());
    for (from, to) in spans {
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => out.push((from, to)),
        }
    }
    out
}
