//! Error handlers that report: a React error boundary's `componentDidCatch`, a
//! `process.on("uncaughtException")` listener, `window.onerror`. A crash reporter called from
//! there sends whatever the main path's opt-out checks, unless the handler checks too, so each
//! handler call that leads to a telemetry send is a finding of its own, with the path from the
//! handler down to the send and the switches on it.

use oxc::ast::AstKind;
use oxc::ast::ast::{Argument, Expression};
use oxc::semantic::NodeId;
use oxc::span::GetSpan;
use rustc_hash::FxHashMap as HashMap;

use super::guards::{GuardIndex, Switches};
use super::liveness::{Liveness, descendants, step_at};
use super::{Detection, Extractor, last_name, span};
use crate::lang::facts::{Fact, FactKind, Flow, Step};
use crate::report::Consequence;

/// Events whose listeners receive the program's unhandled errors.
const ERROR_EVENTS: &[&str] = &[
    "uncaughtException",
    "uncaughtExceptionMonitor",
    "unhandledRejection",
    "error",
    "unhandledrejection",
];
/// Calls that register a listener.
const LISTEN_CALLS: &[&str] = &["on", "once", "addListener", "prependListener", "addEventListener"];
/// Calls from a handler to the send, at most.
const MAX_CALL_DEPTH: usize = 4;

/// A place that receives the program's errors.
#[derive(Debug)]
pub struct Handler {
    /// The node whose code is the handler (a method, a listener registration, an assignment).
    pub node: NodeId,
    /// How a reader knows it: `componentDidCatch`, `process.on("uncaughtException")`.
    pub label: String,
}

impl<'s, 'a> Extractor<'s, 'a> {
    /// Notes the error handlers a node defines.
    pub(super) fn error_handler(&mut self, id: NodeId, kind: AstKind<'a>) {
        let label = match kind {
            AstKind::MethodDefinition(m) if m.key.static_name().is_some_and(|k| k == "componentDidCatch") => {
                "componentDidCatch".to_string()
            }
            AstKind::CallExpression(call) => {
                let Expression::StaticMemberExpression(m) = call.callee.without_parentheses() else {
                    return;
                };
                let event = call.arguments.first().and_then(super::resolve::argument_string);
                match event {
                    Some(event)
                        if LISTEN_CALLS.contains(&m.property.name.as_str()) && ERROR_EVENTS.contains(&event) =>
                    {
                        format!("{}.{}(\"{event}\")", last_name(&m.object), m.property.name)
                    }
                    _ => return,
                }
            }
            AstKind::AssignmentExpression(a) => {
                match a.left.as_member_expression().and_then(|m| m.static_property_name()) {
                    Some(name @ ("onerror" | "onunhandledrejection")) => name.to_string(),
                    _ => return,
                }
            }
            _ => return,
        };
        self.handlers.push(Handler { node: id, label });
    }

    /// Findings for handler calls that lead to a telemetry send (`sends`: the units holding a
    /// send, with the send's node and callee), one per handler.
    pub(super) fn handler_sends(
        &self,
        liveness: &Liveness,
        index: &GuardIndex<'_, '_>,
        switches: &Switches,
        sends: &HashMap<u32, (NodeId, String)>,
    ) -> Vec<Detection> {
        if sends.is_empty() || !self.rules.wants(FactKind::HandlerSend, "") {
            return Vec::new();
        }
        let nodes = self.semantic.nodes();
        let mut found = Vec::new();
        for handler in &self.handlers {
            // A listener passed by name, then the calls inside the handler's code.
            let by_name = match nodes.kind(handler.node) {
                AstKind::CallExpression(call) => match call.arguments.get(1) {
                    Some(Argument::Identifier(listener)) => Some((&**listener, handler.node)),
                    _ => None,
                },
                AstKind::AssignmentExpression(a) => match a.right.without_parentheses() {
                    Expression::Identifier(listener) => Some((&**listener, handler.node)),
                    _ => None,
                },
                _ => None,
            };
            let calls = descendants(self.semantic, handler.node).filter_map(|id| match nodes.kind(id) {
                AstKind::CallExpression(call) => match call.callee.without_parentheses() {
                    Expression::Identifier(callee) => Some((&**callee, id)),
                    _ => None,
                },
                _ => None,
            });
            for (callee, call) in by_name.into_iter().chain(calls) {
                let Some(symbol) = self.resolver.symbol_of(callee) else {
                    continue;
                };
                let chain = liveness.units_named(symbol).iter().find_map(|&unit| {
                    liveness
                        .calls_down(unit, MAX_CALL_DEPTH, |u| sends.contains_key(&u))
                        .map(|c| (unit, c))
                });
                let Some((first, chain)) = chain else { continue };
                let goal = chain.last().map_or(first, |&(unit, _)| unit);
                let (send, callee) = &sends[&goal];
                if let Some(detection) =
                    self.handler_detection(liveness, index, switches, handler, call, first, &chain, *send, callee)
                {
                    found.push(detection);
                    break;
                }
            }
        }
        found
    }

    #[allow(clippy::too_many_arguments)]
    fn handler_detection(
        &self,
        liveness: &Liveness,
        index: &GuardIndex<'_, '_>,
        switches: &Switches,
        handler: &Handler,
        call: NodeId,
        first: u32,
        chain: &[(u32, NodeId)],
        send: NodeId,
        callee: &str,
    ) -> Option<Detection> {
        // An SDK reached through unresolved calls (`?()().captureException`) is named by its method.
        let callee = match callee.strip_prefix('?') {
            Some(_) => callee.rsplit('.').next().unwrap_or(callee),
            None => callee,
        };
        let fact = Fact {
            kind: FactKind::HandlerSend,
            subject: callee.to_string(),
            argument: Some(handler.label.clone()),
            argument_keys: Vec::new(),
            span: span(self.semantic.nodes().kind(call).span()),
            decoded: None,
        };
        let rules = self.rules.matching(&fact);
        if rules.is_empty() {
            return None;
        }
        let upstream = liveness.steps_to(self.semantic, call);
        let (reachability, unless_read) = liveness.reachability(self.semantic, call);
        let mut guarded: Vec<NodeId> = upstream.iter().map(|(at, _)| *at).collect();
        guarded.push(call);
        guarded.extend(chain.iter().map(|&(_, at)| at));
        guarded.push(send);
        let guards = switches.guards(index, liveness.unit_of(call), &guarded, &[call, send]);
        let mut steps: Vec<Step> = upstream.into_iter().map(|(_, step)| step).collect();
        let mut detection = step_at(
            self.semantic,
            "detection",
            call,
            format!("the error handler `{}`", handler.label),
        );
        detection.span = fact.span;
        steps.push(detection);
        let into = liveness.unit_name(self.semantic, first);
        // The error goes down the calls to the send: flow steps after the detection.
        steps.push(step_at(self.semantic, "flow", call, format!("passed to {into}")));
        for &(unit, at) in chain {
            let name = liveness.unit_name(self.semantic, unit);
            steps.push(step_at(self.semantic, "flow", at, format!("passed on to {name}")));
        }
        steps.push(step_at(
            self.semantic,
            "sink",
            send,
            format!("`{callee}(…)` reports it"),
        ));
        let flow = Flow {
            consequence: Consequence::Sent,
            names: Vec::new(),
            reachability,
            unless_read,
            guards,
            steps,
            library: super::flow::library_of(self.semantic, call),
        };
        Some(Detection { fact, rules, flow })
    }
}
