//! Opt-out switches: conditions on environment variables and settings that stand between the
//! start of a path and its detection or sink (`if (process.env.DO_NOT_TRACK) return;`,
//! `if (settings.telemetryEnabled) send(…)`), and whether setting the switch stops the path.

use std::sync::OnceLock;

use oxc::ast::AstKind;
use oxc::ast::ast::{BinaryOperator, Expression, LogicalOperator, Statement, UnaryOperator};
use oxc::semantic::{NodeId, Semantic};
use oxc::span::GetSpan;
use regex::Regex;

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

/// The switches tested by conditions that decide whether the code at each of `nodes` runs:
/// branches around it in its function and `if (…) return` before it.
pub fn guards(semantic: &Semantic<'_>, resolver: &Resolver<'_, '_>, nodes: &[NodeId]) -> Vec<GuardFact> {
    let tree = semantic.nodes();
    let mut out: Vec<GuardFact> = Vec::new();
    for &node in nodes {
        let mut child = node;
        for ancestor in tree.ancestor_ids(node).take(MAX_ANCESTORS) {
            let here = tree.kind(child).span();
            match tree.kind(ancestor) {
                AstKind::IfStatement(s) if s.consequent.span() == here => switches(resolver, &s.test, true, &mut out),
                AstKind::IfStatement(s) if s.alternate.as_ref().is_some_and(|a| a.span() == here) => {
                    switches(resolver, &s.test, false, &mut out);
                }
                AstKind::ConditionalExpression(c) if c.consequent.span() == here => {
                    switches(resolver, &c.test, true, &mut out);
                }
                AstKind::ConditionalExpression(c) if c.alternate.span() == here => {
                    switches(resolver, &c.test, false, &mut out);
                }
                AstKind::LogicalExpression(l) if l.right.span() == here => match l.operator {
                    LogicalOperator::And => switches(resolver, &l.left, true, &mut out),
                    LogicalOperator::Or => switches(resolver, &l.left, false, &mut out),
                    LogicalOperator::Coalesce => {}
                },
                AstKind::FunctionBody(body) => early_returns(resolver, &body.statements, here, &mut out),
                AstKind::BlockStatement(block) => early_returns(resolver, &block.body, here, &mut out),
                AstKind::Program(program) => early_returns(resolver, &program.body, here, &mut out),
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

/// `if (T) return;` (or `throw`) before the statement at `here`: what follows runs when T is false.
fn early_returns(
    resolver: &Resolver<'_, '_>,
    statements: &[Statement<'_>],
    here: oxc::span::Span,
    out: &mut Vec<GuardFact>,
) {
    for statement in statements {
        if statement.span().start >= here.start {
            break;
        }
        if let Statement::IfStatement(s) = statement
            && s.alternate.is_none()
            && exits(&s.consequent)
        {
            switches(resolver, &s.test, false, out);
        }
    }
}

fn exits(statement: &Statement<'_>) -> bool {
    match statement {
        Statement::ReturnStatement(_) | Statement::ThrowStatement(_) => true,
        Statement::BlockStatement(b) => b.body.last().is_some_and(exits),
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
    let last = chain
        .rsplit('.')
        .next()
        .filter(|l| !l.is_empty() && !l.ends_with(')'))?;
    (chain.contains('.') || last.len() > 3).then(|| (last.to_string(), "setting"))
}
