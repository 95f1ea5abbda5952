//! Which code can run, per file: functions, classes and exported values run only when code
//! that runs refers to them. Each unit keeps one chain of references that makes it run, which
//! is where a finding's path starts.

use std::collections::VecDeque;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use oxc::ast::AstKind;
use oxc::ast::ast::{
    Argument, BindingPattern, Expression, IdentifierReference, ObjectPropertyKind, Statement, UnaryOperator,
};
use oxc::semantic::{NodeId, Semantic, SymbolId};
use oxc::span::GetSpan;

use super::integrations;
use crate::lang::facts::Step;
use crate::report::{Reachability, RunStatus};

/// The variable a function or class expression is bound to: `var f = function(){}`,
/// `var m = wrap((exports) => {…})`, `f = () => {}`. `None` when it is called in place,
/// or stored somewhere no name reaches.
pub(super) fn binding_of(semantic: &Semantic<'_>, node: NodeId) -> Option<SymbolId> {
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

/// Why a unit of code runs.
#[derive(Debug, Clone, Copy)]
enum Cause {
    /// Top-level code refers to it at this node.
    TopLevel(NodeId),
    /// The module exports it.
    Export,
    /// Code in unit `.0`, which runs, refers to it at node `.1`.
    From(u32, NodeId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitKind {
    /// A function, class or module wrapper bound to a name.
    Code,
    /// A value a CommonJS or bundled module exports under a property name: it runs only when
    /// code that runs reads that property name somewhere.
    Export,
    /// Every read of one property name, standing between the readers and the exports of that
    /// name (so that n readers and m exports make n + m edges, not n × m).
    Demand,
}

struct Unit {
    kind: UnitKind,
    node: NodeId,
    cause: Option<Cause>,
    /// Referred to from anywhere at all (from code that runs or not).
    referred: bool,
    /// The first unit seen referring to this one, to name in the reason when neither runs.
    referrer: Option<u32>,
    /// Set when the unit runs only if some other file reads this export (a unit index).
    hangs_on: Option<u32>,
    /// An SDK integration hook that is never installed: the line of the option that turns the
    /// SDK's default integrations off.
    uninstalled: Option<usize>,
}

impl Unit {
    fn new(kind: UnitKind, node: NodeId, cause: Option<Cause>) -> Self {
        Unit {
            kind,
            node,
            cause,
            referred: false,
            referrer: None,
            hangs_on: None,
            uninstalled: None,
        }
    }
}

/// Marks what `roots` reach, breadth first so that each unit keeps its shortest chain.
fn propagate(units: &mut [Unit], edges: &[Vec<(u32, NodeId)>], roots: Vec<u32>) {
    let mut queue: VecDeque<u32> = roots.into();
    while let Some(u) = queue.pop_front() {
        // A demand passes on the cause that reached it: paths go from the reader straight to
        // the export it reads.
        let cause = match (units[u as usize].kind, units[u as usize].cause) {
            (UnitKind::Demand, Some(cause)) => Some(cause),
            _ => None,
        };
        let hangs_on = units[u as usize].hangs_on;
        for &(v, at) in &edges[u as usize] {
            if units[v as usize].cause.is_none() {
                units[v as usize].cause = Some(cause.unwrap_or(Cause::From(u, at)));
                units[v as usize].hangs_on = hangs_on;
                queue.push_back(v);
            }
        }
    }
}

/// Which code can run, estimated per file, and one chain of references that makes each unit
/// run (the start of a finding's path). Top-level code and ESM exports run; a function runs
/// when code that runs refers to it; a value a module exports by property name runs when code
/// that runs reads that name (`x.hostDetector`, `{hostDetector}`, `"hostDetector"`).
pub struct Liveness {
    owner: Vec<u32>,
    units: Vec<Unit>,
    /// For each unit, the units its code refers to and where.
    edges: Vec<Vec<(u32, NodeId)>>,
    /// The property name of each export unit.
    export_names: HashMap<u32, String>,
    /// The units bound to each name.
    units_of: HashMap<SymbolId, Vec<u32>>,
}

impl Liveness {
    /// `reads` are the property names read in the file and where, in the order of the nodes
    /// (what [`read_name`] says of each).
    pub fn compute(semantic: &Semantic<'_>, reads: &[(NodeId, std::borrow::Cow<'_, str>)]) -> Self {
        let nodes = semantic.nodes();
        let exported = exported_values(semantic);
        let mut owner = vec![NO_UNIT; nodes.len()];
        let mut units: Vec<Unit> = Vec::new();
        let mut units_of: HashMap<SymbolId, Vec<u32>> = HashMap::default();
        let mut exports_of: HashMap<String, Vec<u32>> = HashMap::default();
        let mut export_names = HashMap::default();
        let installs = integrations::installs(semantic);
        // Integration hooks, each with the unit that makes its object (`NO_UNIT` at top level).
        let mut hooks: Vec<(u32, u32)> = Vec::new();
        for (id, node) in nodes.iter_enumerated() {
            let parent = nodes.parent_id(id);
            let inherited = if parent == id || parent.index() >= id.index() {
                NO_UNIT
            } else {
                owner[parent.index()]
            };
            if let Some(name) = exported.get(&id) {
                let index = units.len() as u32;
                units.push(Unit::new(UnitKind::Export, id, None));
                exports_of.entry(name.clone()).or_default().push(index);
                export_names.insert(index, name.clone());
                owner[id.index()] = index;
                continue;
            }
            if installs.is_some()
                && matches!(node.kind(), AstKind::Function(_) | AstKind::ArrowFunctionExpression(_))
                && integrations::is_hook(semantic, id)
            {
                let index = units.len() as u32;
                units.push(Unit::new(UnitKind::Code, id, None));
                hooks.push((index, inherited));
                owner[id.index()] = index;
                continue;
            }
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
                    let index = units.len() as u32;
                    units.push(Unit::new(UnitKind::Code, id, exported.then_some(Cause::Export)));
                    units_of.entry(symbol).or_default().push(index);
                    index
                }
                None => inherited,
            };
        }
        let mut edges: Vec<Vec<(u32, NodeId)>> = vec![Vec::new(); units.len()];
        let link = |units: &mut Vec<Unit>, edges: &mut Vec<Vec<(u32, NodeId)>>, from: u32, to: u32, at: NodeId| {
            // `from` is the unit owning a reference: never a demand, which owns no code.
            let unit = &mut units[to as usize];
            unit.referred = true;
            if from == NO_UNIT {
                unit.cause.get_or_insert(Cause::TopLevel(at));
            } else {
                unit.referrer.get_or_insert(from);
                edges[from as usize].push((to, at));
            }
        };
        if let Some(installs) = &installs {
            let symbol_of: HashMap<u32, SymbolId> = units_of
                .iter()
                .flat_map(|(&symbol, units)| units.iter().map(move |&u| (u, symbol)))
                .collect();
            let off_line = line_of(semantic, nodes.kind(installs.off_at).span().start);
            for &(hook, factory) in &hooks {
                let installed = factory == NO_UNIT
                    || symbol_of.get(&factory).is_none_or(|&symbol| {
                        integrations::factory_names(semantic, symbol)
                            .iter()
                            .any(|name| installs.named.contains(name))
                    });
                let at = units[hook as usize].node;
                if !installed {
                    units[hook as usize].uninstalled = Some(off_line);
                } else if factory == NO_UNIT {
                    units[hook as usize].cause = Some(Cause::TopLevel(at));
                } else {
                    units[hook as usize].referred = true;
                    units[hook as usize].referrer = Some(factory);
                    edges[factory as usize].push((hook, at));
                }
            }
        }
        let scoping = semantic.scoping();
        for (symbol, targets) in &units_of {
            for reference in scoping.get_resolved_references(*symbol) {
                let at = reference.node_id();
                let from = owner[at.index()];
                if from != NO_UNIT && targets.contains(&from) {
                    continue;
                }
                for &u in targets {
                    link(&mut units, &mut edges, from, u, at);
                }
            }
        }
        if !exports_of.is_empty() {
            let mut demand_of: HashMap<String, u32> = HashMap::default();
            for (node, name) in reads {
                let Some(targets) = exports_of.get(name.as_ref()) else {
                    continue;
                };
                let from = owner[node.index()];
                // A re-export's getter reading its own name does not make it run.
                if export_names.get(&from).is_some_and(|n| n == name.as_ref()) {
                    continue;
                }
                let demand = match demand_of.get(name.as_ref()) {
                    Some(&demand) => demand,
                    None => {
                        let index = units.len() as u32;
                        units.push(Unit::new(UnitKind::Demand, *node, None));
                        edges.push(targets.iter().map(|&t| (t, *node)).collect());
                        for &target in targets {
                            let unit = &mut units[target as usize];
                            unit.referred = true;
                            unit.referrer = (from != NO_UNIT).then_some(from);
                        }
                        demand_of.insert(name.to_string(), index);
                        index
                    }
                };
                link(&mut units, &mut edges, from, demand, *node);
            }
        }
        let roots: Vec<u32> = (0..units.len() as u32)
            .filter(|&u| units[u as usize].cause.is_some())
            .collect();
        propagate(&mut units, &edges, roots);
        // What runs only if another file reads an export: the page or CLI decides, once it
        // knows what every file reads.
        let unread: Vec<u32> = (0..units.len() as u32)
            .filter(|&u| units[u as usize].kind == UnitKind::Export && units[u as usize].cause.is_none())
            .collect();
        for &export in &unread {
            units[export as usize].cause = Some(Cause::Export);
            units[export as usize].hangs_on = Some(export);
        }
        propagate(&mut units, &edges, unread);
        Self {
            owner,
            units,
            edges,
            export_names,
            units_of,
        }
    }

    /// The unit around `node`, if any (top-level code has none).
    pub fn unit_of(&self, node: NodeId) -> Option<u32> {
        self.owner.get(node.index()).copied().filter(|&u| u != NO_UNIT)
    }

    /// Every reference from one unit to another (or from top-level code), where it is made.
    pub fn references(&self) -> impl Iterator<Item = NodeId> + '_ {
        let roots = self.units.iter().filter_map(|u| match u.cause {
            Some(Cause::TopLevel(at)) => Some(at),
            _ => None,
        });
        self.edges.iter().flatten().map(|&(_, at)| at).chain(roots)
    }

    /// The functions and classes bound to `symbol`.
    pub fn units_named(&self, symbol: SymbolId) -> &[u32] {
        self.units_of.get(&symbol).map_or(&[], Vec::as_slice)
    }

    /// The shortest chain of calls, at most `depth` long, from unit `start` to a unit for
    /// which `is_goal` holds: each hop is the unit called and the reference that calls it.
    pub fn calls_down(&self, start: u32, depth: usize, is_goal: impl Fn(u32) -> bool) -> Option<Vec<(u32, NodeId)>> {
        if is_goal(start) {
            return Some(Vec::new());
        }
        let mut came_from: HashMap<u32, (u32, NodeId)> = HashMap::default();
        let mut frontier = vec![start];
        for _ in 0..depth {
            let mut next = Vec::new();
            for &u in &frontier {
                for &(v, at) in &self.edges[u as usize] {
                    if v == start || came_from.contains_key(&v) || self.units[v as usize].kind != UnitKind::Code {
                        continue;
                    }
                    came_from.insert(v, (u, at));
                    if is_goal(v) {
                        let mut chain = vec![(v, at)];
                        let mut current = u;
                        while current != start {
                            let (previous, at) = came_from[&current];
                            chain.push((current, at));
                            current = previous;
                        }
                        chain.reverse();
                        return Some(chain);
                    }
                    next.push(v);
                }
            }
            frontier = next;
        }
        None
    }

    /// Which units still run when the references for which `blocked` holds are cut (those a
    /// switch stops): a breadth-first walk from the same roots that avoids them.
    pub fn reached_without(&self, blocked: impl Fn(NodeId) -> bool) -> Vec<bool> {
        let mut reached = vec![false; self.units.len()];
        let mut queue: VecDeque<u32> = VecDeque::new();
        for (index, unit) in self.units.iter().enumerate() {
            let root = match unit.cause {
                Some(Cause::TopLevel(at)) => !blocked(at),
                Some(Cause::Export) => true,
                _ => false,
            };
            if root {
                reached[index] = true;
                queue.push_back(index as u32);
            }
        }
        while let Some(u) = queue.pop_front() {
            // References into a demand were checked where the name is read.
            let demand = self.units[u as usize].kind == UnitKind::Demand;
            for &(v, at) in &self.edges[u as usize] {
                if !reached[v as usize] && (demand || !blocked(at)) {
                    reached[v as usize] = true;
                    queue.push_back(v);
                }
            }
        }
        reached
    }

    /// How a unit is named in reasons and paths: `name` or `name` (readable), or the export.
    pub(super) fn unit_name(&self, semantic: &Semantic<'_>, unit: u32) -> String {
        if let Some(name) = self.export_names.get(&unit) {
            return format!("the export `{name}`");
        }
        let (name, readable) = function_label(semantic, self.units[unit as usize].node);
        readable.map_or(format!("`{name}`"), |r| format!("`{name}` ({r})"))
    }

    /// Whether code at `node` can run, and why not: its unit must be reachable and no `return`
    /// or `throw` in the same block may come before it. The export, when given, is one nothing
    /// in this file reads: the code runs only if another file reads it.
    pub fn reachability(&self, semantic: &Semantic<'_>, node: NodeId) -> (Reachability, Option<String>) {
        let unreachable = |reason: String| Reachability {
            status: RunStatus::Unreachable,
            reason: Some(reason),
        };
        let index = self.owner.get(node.index()).copied().unwrap_or(NO_UNIT);
        if let Some(unit) = self.units.get(index as usize) {
            let name = self.unit_name(semantic, index);
            if let (None, Some(line)) = (unit.cause, unit.uninstalled) {
                let reason = format!(
                    "in {name}, a hook of an SDK integration that is never installed: the SDK is started with its default integrations off (`defaultIntegrations: false`, line {line}) and does not add this one"
                );
                return (unreachable(reason), None);
            }
            if unit.cause.is_none() {
                let reason = match unit.referrer {
                    Some(referrer) => format!(
                        "in {name}, referred to only from {}, which never runs",
                        self.unit_name(semantic, referrer)
                    ),
                    None if unit.referred => format!("in {name}, referred to only from code that never runs"),
                    None => format!("in {name}, which nothing refers to"),
                };
                return (unreachable(reason), None);
            }
            if let Some(export) = unit.hangs_on {
                let Some(gate) = self.export_names.get(&export).cloned() else {
                    return (Reachability::unknown(), None);
                };
                let reason = if export == index {
                    format!("in {name}, which nothing in the package reads")
                } else {
                    format!(
                        "in {name}, reached only through {}, which nothing in the package reads",
                        self.unit_name(semantic, export)
                    )
                };
                return (unreachable(reason), Some(gate));
            }
        }
        if after_exit(semantic, node) {
            return (
                unreachable("after a `return` or `throw` that always comes first".into()),
                None,
            );
        }
        (
            Reachability {
                status: RunStatus::Reachable,
                reason: None,
            },
            None,
        )
    }

    /// The steps from where the file starts running to the unit around `node`: the top-level
    /// code or export that starts it, then each call. Empty for top-level code and for code that
    /// never runs.
    pub fn steps_to(&self, semantic: &Semantic<'_>, node: NodeId) -> Vec<(NodeId, Step)> {
        let mut steps = Vec::new();
        let mut unit = self.owner.get(node.index()).copied().unwrap_or(NO_UNIT);
        for _ in 0..MAX_CALL_STEPS {
            let Some(current) = self.units.get(unit as usize) else {
                break;
            };
            let name = self.unit_name(semantic, unit);
            let reaches = |at: NodeId| match current.kind {
                UnitKind::Export => format!("reads {name}"),
                _ => format!("{} {name}", verb(semantic, at)),
            };
            match current.cause {
                None => return Vec::new(),
                Some(Cause::TopLevel(at)) => {
                    let step = step_at(semantic, "entry", at, format!("top-level code {}", reaches(at)));
                    steps.push((at, step));
                    break;
                }
                Some(Cause::Export) => {
                    let note = "exported from the module: runs when an importer uses it".to_string();
                    steps.push((current.node, step_at(semantic, "entry", current.node, note)));
                    break;
                }
                Some(Cause::From(caller, at)) => {
                    steps.push((at, step_at(semantic, "call", at, reaches(at))));
                    unit = caller;
                }
            }
        }
        steps.reverse();
        steps
    }
}

/// How many calls a path shows between its entry and the detection.
const MAX_CALL_STEPS: usize = 24;

/// `calls` when the reference at `at` is a callee, `refers to` otherwise (a callback, a value).
fn verb(semantic: &Semantic<'_>, at: NodeId) -> &'static str {
    let nodes = semantic.nodes();
    match nodes.parent_kind(at) {
        AstKind::CallExpression(c) if c.callee.span() == nodes.kind(at).span() => "calls",
        AstKind::NewExpression(n) if n.callee.span() == nodes.kind(at).span() => "constructs",
        _ => "refers to",
    }
}

/// A path step at `node`, in the function around it.
pub fn step_at(semantic: &Semantic<'_>, role: &'static str, node: NodeId, note: String) -> Step {
    let (function, readable_name) = function_at(semantic, node);
    let span = semantic.nodes().kind(node).span();
    Step {
        role,
        function,
        readable_name,
        span: crate::report::Span {
            start: span.start,
            end: span.end,
        },
        note,
    }
}

/// The function (or class) around `node` as the code names it, and a readable name from
/// context; `(top level)` outside any function.
fn function_at(semantic: &Semantic<'_>, node: NodeId) -> (String, Option<String>) {
    let nodes = semantic.nodes();
    let mut anonymous = 0;
    for ancestor in nodes.ancestor_ids(node) {
        if !matches!(
            nodes.kind(ancestor),
            AstKind::Function(_) | AstKind::ArrowFunctionExpression(_)
        ) {
            continue;
        }
        let (name, readable) = function_label(semantic, ancestor);
        if name != ANONYMOUS || readable.is_some() {
            if anonymous > 0 {
                return (format!("{ANONYMOUS} in {name}"), readable);
            }
            return (name, readable);
        }
        anonymous += 1;
    }
    if anonymous > 0 {
        (ANONYMOUS.to_string(), None)
    } else {
        ("(top level)".to_string(), None)
    }
}

const ANONYMOUS: &str = "(anonymous)";

/// A function's or class's own name (its id, or the variable it is bound to) and the name its
/// context gives it: the method, property or export it is stored under.
fn function_label(semantic: &Semantic<'_>, node: NodeId) -> (String, Option<String>) {
    let nodes = semantic.nodes();
    let own = match nodes.kind(node) {
        AstKind::Function(f) => f.id.as_ref().map(|id| id.name.to_string()),
        AstKind::Class(c) => c.id.as_ref().map(|id| id.name.to_string()),
        _ => None,
    }
    .or_else(|| binding_of(semantic, node).map(|s| semantic.scoping().symbol_name(s).to_string()));
    let minified = own.as_ref().is_none_or(|name| name.len() <= 3);
    let readable = context_name(semantic, node)
        .or_else(|| minified.then(|| voice_name(semantic, node)).flatten())
        .filter(|r| Some(r) != own.as_ref());
    (own.unwrap_or_else(|| ANONYMOUS.to_string()), readable)
}

/// The nodes inside `node`, in source order (nodes are numbered as the parser meets them, a
/// node's descendants right after it).
pub(super) fn descendants<'s>(semantic: &'s Semantic<'_>, node: NodeId) -> impl Iterator<Item = NodeId> + 's {
    let nodes = semantic.nodes();
    let extent = nodes.kind(node).span();
    (node.index() + 1..nodes.len())
        .map(NodeId::from_usize)
        .take_while(move |&id| nodes.kind(id).span().end <= extent.end)
}

/// Nodes of a function searched for the event it emits or the message it logs.
const VOICE_NODES: usize = 400;

/// For a function whose name says nothing: the first event it emits or message it logs with a
/// literal (`emits "tengu_startup"`, `logs "Failed to send telemetry"`).
fn voice_name(semantic: &Semantic<'_>, node: NodeId) -> Option<String> {
    let nodes = semantic.nodes();
    descendants(semantic, node).take(VOICE_NODES).find_map(|id| {
        let AstKind::CallExpression(call) = nodes.kind(id) else {
            return None;
        };
        let callee = match call.callee.without_parentheses() {
            Expression::Identifier(i) => i.name.as_str(),
            Expression::StaticMemberExpression(m) => m.property.name.as_str(),
            _ => return None,
        };
        let verb = match callee {
            "logEvent" | "logEventAsync" | "track" | "trackEvent" | "capture" | "emit" | "sendEvent"
            | "recordEvent" => "emits",
            "log" | "info" | "warn" | "error" | "debug" | "trace" => "logs",
            _ => return None,
        };
        let text = call.arguments.first().and_then(super::resolve::argument_string)?;
        let text = text.trim();
        (text.len() >= 4 && text.chars().any(char::is_alphabetic))
            .then(|| format!("{verb} \"{}\"", super::shorten(text, 40)))
    })
}

/// The name a function gets from where it is stored: `Class.method`, an object key, an
/// assigned property (`exports.getMachineId = f`).
fn context_name(semantic: &Semantic<'_>, node: NodeId) -> Option<String> {
    let nodes = semantic.nodes();
    let mut current = node;
    for _ in 0..4 {
        let parent = nodes.parent_id(current);
        if parent == current {
            return None;
        }
        match nodes.kind(parent) {
            AstKind::MethodDefinition(m) => {
                let method = m.key.static_name()?;
                let class = nodes.ancestor_ids(parent).find_map(|a| match nodes.kind(a) {
                    AstKind::Class(c) => Some(c.id.as_ref().map(|i| i.name.to_string())),
                    _ => None,
                });
                return Some(match class.flatten() {
                    Some(class) => format!("{class}.{method}"),
                    None => method.to_string(),
                });
            }
            AstKind::ObjectProperty(p) => return p.key.static_name().map(|k| k.to_string()),
            AstKind::AssignmentExpression(a) => {
                return a
                    .left
                    .as_member_expression()
                    .and_then(|m| m.static_property_name())
                    .map(|n| n.to_string());
            }
            AstKind::ParenthesizedExpression(_) | AstKind::SequenceExpression(_) => {}
            _ => return None,
        }
        current = parent;
    }
    None
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

/// How many modules a wrapper must wrap before its callbacks' first parameters are taken to be
/// `exports` objects (esbuild's `__commonJS`, webpack's module functions): one call could be
/// anything, a bundle calls its wrapper for every module.
const MODULE_WRAPPER_USES: usize = 3;

/// The values modules export under a property name, by the node that computes each:
/// `exports.P = value` (on `exports`, `module.exports` or a module wrapper's first parameter),
/// `Object.defineProperty(exports, "P", {get: …})` (TypeScript's re-exports) and esbuild's
/// `__export(ns, {P: () => value})`.
fn exported_values(semantic: &Semantic<'_>) -> HashMap<NodeId, String> {
    let nodes = semantic.nodes();
    let scoping = semantic.scoping();
    let symbol_of =
        |id: &IdentifierReference<'_>| id.reference_id.get().and_then(|r| scoping.get_reference(r).symbol_id());
    let mut exports: HashSet<SymbolId> = HashSet::default();
    let mut wrapped: HashMap<SymbolId, Vec<SymbolId>> = HashMap::default();
    for node in nodes.iter() {
        let AstKind::CallExpression(call) = node.kind() else {
            continue;
        };
        if is_define_property(&call.callee)
            && let (Some(Argument::Identifier(target)), Some(Argument::StringLiteral(name))) =
                (call.arguments.first(), call.arguments.get(1))
            && name.value == "__esModule"
            && let Some(symbol) = symbol_of(target)
        {
            exports.insert(symbol);
        }
        if let [argument] = call.arguments.as_slice()
            && let Expression::Identifier(callee) = call.callee.without_parentheses()
            && let Some(wrapper) = symbol_of(callee)
        {
            let first = match argument {
                Argument::ArrowFunctionExpression(f) => f.params.items.first(),
                Argument::FunctionExpression(f) => f.params.items.first(),
                _ => None,
            };
            if let Some(parameter) = first
                && let BindingPattern::BindingIdentifier(id) = &parameter.pattern
                && let Some(symbol) = id.symbol_id.get()
            {
                wrapped.entry(wrapper).or_default().push(symbol);
            }
        }
    }
    for parameters in wrapped.into_values() {
        if parameters.len() >= MODULE_WRAPPER_USES {
            exports.extend(parameters);
        }
    }
    let is_exports = |object: &Expression<'_>| match object.without_parentheses() {
        // A variable or parameter called `exports` is one (esbuild's `"path"(exports) {…}`).
        Expression::Identifier(id) => id.name == "exports" || symbol_of(id).is_some_and(|s| exports.contains(&s)),
        Expression::StaticMemberExpression(m) => m.property.name == "exports",
        _ => false,
    };
    let mut out = HashMap::default();
    // Whether each object literal seen is all getters, worked out once per object.
    let mut all_getters: HashMap<NodeId, bool> = HashMap::default();
    for (id, node) in nodes.iter_enumerated() {
        let parent = nodes.parent_id(id);
        if parent == id {
            continue;
        }
        let here = node.kind().span();
        match nodes.kind(parent) {
            AstKind::AssignmentExpression(a) if a.right.span() == here && !is_plain_value(&a.right) => {
                if let Some(member) = a.left.as_member_expression()
                    && let Some(name) = member.static_property_name()
                    && is_exports(member.object())
                {
                    out.insert(id, name.to_string());
                }
            }
            AstKind::ObjectProperty(property)
                if matches!(node.kind(), AstKind::Function(_) | AstKind::ArrowFunctionExpression(_)) =>
            {
                let object = nodes.parent_id(parent);
                let AstKind::ObjectExpression(literal) = nodes.kind(object) else {
                    continue;
                };
                let AstKind::CallExpression(call) = nodes.parent_kind(object) else {
                    continue;
                };
                let key = property.key.static_name();
                // Object.defineProperty(exports, "P", {enumerable: true, get: function () {…}})
                if is_define_property(&call.callee)
                    && key.as_deref() == Some("get")
                    && let (Some(target), Some(Argument::StringLiteral(name))) =
                        (call.arguments.first(), call.arguments.get(1))
                    && target.as_expression().is_some_and(&is_exports)
                {
                    out.insert(id, name.value.to_string());
                }
                // __export(ns, {P: () => value, …}): every property a getter
                if let [Argument::Identifier(_), Argument::ObjectExpression(o)] = call.arguments.as_slice()
                    && o.span == literal.span
                    && *all_getters.entry(object).or_insert_with(|| {
                        literal.properties.iter().all(|p| {
                            matches!(p, ObjectPropertyKind::ObjectProperty(p)
                                if matches!(&p.value, Expression::ArrowFunctionExpression(f) if f.is_expression()))
                        })
                    })
                    && let Some(key) = key
                {
                    out.insert(id, key.to_string());
                }
            }
            _ => {}
        }
    }
    out
}

fn is_define_property(callee: &Expression<'_>) -> bool {
    matches!(callee.without_parentheses(), Expression::StaticMemberExpression(m) if m.property.name == "defineProperty")
}

/// Literals, `void 0` and `undefined`: what `exports.P = void 0` declares before the value.
fn is_plain_value(expr: &Expression<'_>) -> bool {
    match expr.without_parentheses() {
        Expression::UnaryExpression(u) => u.operator == UnaryOperator::Void,
        Expression::Identifier(id) => id.name == "undefined",
        e => e.is_literal(),
    }
}

/// The property name code at `node` reads, for exports by name: `x.P`, `x["P"]`, `{P} = x`,
/// `import {P}`, and a string `"P"` (the name may be looked up by it).
pub(super) fn read_name<'a>(
    semantic: &Semantic<'a>,
    node: NodeId,
    kind: AstKind<'a>,
) -> Option<std::borrow::Cow<'a, str>> {
    let nodes = semantic.nodes();
    let written = |span: oxc::span::Span| matches!(nodes.parent_kind(node), AstKind::AssignmentExpression(a) if a.left.span() == span);
    match kind {
        AstKind::StaticMemberExpression(m) if !written(m.span) => Some(m.property.name.as_str().into()),
        AstKind::StringLiteral(s) => match nodes.parent_kind(node) {
            AstKind::CallExpression(call) if is_define_property(&call.callee) => None,
            _ => Some(s.value.as_str().into()),
        },
        AstKind::BindingProperty(p) => p.key.static_name(),
        AstKind::AssignmentTargetPropertyIdentifier(p) => Some(p.binding.name.as_str().into()),
        AstKind::AssignmentTargetPropertyProperty(p) => p.name.static_name(),
        AstKind::ImportSpecifier(s) => Some(s.imported.name().as_str().into()),
        _ => None,
    }
}

/// Whether `name`, read by the node `kind`, counts when deciding whether another file's exports
/// run. A name read straight off a dynamic import (`(await import("./x.js")).P`) does not: that
/// reads the other file's ESM exports, which are roots anyway, never its CommonJS exports.
pub(super) fn is_name_read_elsewhere(kind: AstKind<'_>, name: &str) -> bool {
    let off_import = matches!(kind, AstKind::StaticMemberExpression(m) if is_dynamic_import(&m.object));
    !off_import && is_property_name(name)
}

fn is_dynamic_import(expr: &Expression<'_>) -> bool {
    match expr.without_parentheses() {
        Expression::AwaitExpression(a) => is_dynamic_import(&a.argument),
        Expression::ImportExpression(_) => true,
        _ => false,
    }
}

/// Text that can be a property name read by `.name`: what exports are called.
pub(super) fn is_property_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 80
        && !text.starts_with(|c: char| c.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

/// The 1-based line of byte `offset` in the file.
fn line_of(semantic: &Semantic<'_>, offset: u32) -> usize {
    let text = semantic.source_text().as_bytes();
    1 + text[..(offset as usize).min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}
