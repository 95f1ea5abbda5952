//! Plugins of error-reporting SDKs ("integrations") run only once the SDK installs them. An
//! integration is an object with a `name` and lifecycle hooks (`setupOnce`, `setup`,
//! `processEvent`, …), made by a factory. The SDK installs its default integrations unless its
//! options say `defaultIntegrations: false`, plus those listed in `integrations: [...]` or added
//! with `addIntegration(…)`. Bundles carry every integration of the SDK: with the defaults
//! switched off, the hooks of those never installed never run, whatever their factory does at
//! load time.

use rustc_hash::FxHashSet as HashSet;

use oxc::ast::AstKind;
use oxc::ast::ast::{
    Argument, ArrayExpressionElement, AssignmentTarget, BindingPattern, Expression, ObjectExpression,
    ObjectPropertyKind,
};
use oxc::semantic::{NodeId, Semantic, SymbolId};

/// The hooks the SDK calls on an installed integration.
const HOOKS: [&str; 5] = ["setupOnce", "setup", "processEvent", "preprocessEvent", "afterAllSetup"];
/// The option that turns the default integrations off when false.
const DEFAULTS_OPTION: &str = "defaultIntegrations";
/// The option that lists integrations to install.
const LIST_OPTION: &str = "integrations";
/// The call that installs one integration after start.
const ADD_CALL: &str = "addIntegration";

/// How a file's SDK set-up installs integrations, when it switches the defaults off.
pub(super) struct Installs<'a> {
    /// The `defaultIntegrations: false` option.
    pub off_at: NodeId,
    /// Last names of the factories installed by name (`integrations: [httpIntegration()]`,
    /// `addIntegration(spotlightIntegration())`).
    pub named: HashSet<&'a str>,
}

/// What the file's SDK options say about installing integrations: `None` unless every options
/// object that names `defaultIntegrations` sets it to a false literal, and none lists its
/// integrations in a way that cannot be read (`integrations: someFunction`).
pub(super) fn installs<'a>(semantic: &Semantic<'a>) -> Option<Installs<'a>> {
    if !semantic.source_text().contains(DEFAULTS_OPTION) {
        return None;
    }
    let mut off_at = None;
    let mut named = HashSet::default();
    for node in semantic.nodes().iter() {
        match node.kind() {
            AstKind::ObjectExpression(object) => {
                let defaults = property(object, DEFAULTS_OPTION);
                if let Some(value) = defaults {
                    if !is_false(value) {
                        return None;
                    }
                    off_at.get_or_insert(node.id());
                }
                match property(object, LIST_OPTION) {
                    Some(Expression::ArrayExpression(list)) => {
                        for element in &list.elements {
                            match element {
                                ArrayExpressionElement::CallExpression(call) => {
                                    named.insert(last_name(&call.callee)?);
                                }
                                _ => return None,
                            }
                        }
                    }
                    // Set-up code of the SDK itself passes lists it built on; what the options
                    // next to `defaultIntegrations` list must be readable.
                    Some(_) if defaults.is_some() => return None,
                    _ => {}
                }
            }
            AstKind::CallExpression(call) if last_name(&call.callee) == Some(ADD_CALL) => {
                if let Some(Argument::CallExpression(factory)) = call.arguments.first()
                    && let Some(name) = last_name(&factory.callee)
                {
                    named.insert(name);
                }
            }
            _ => {}
        }
    }
    Some(Installs { off_at: off_at?, named })
}

/// Whether the function at `node` is a hook of an integration object: the value of a hook
/// property of an object literal that also has a `name`.
pub(super) fn is_hook(semantic: &Semantic<'_>, node: NodeId) -> bool {
    let nodes = semantic.nodes();
    let mut slot = nodes.parent_id(node);
    if matches!(nodes.kind(slot), AstKind::ParenthesizedExpression(_)) {
        slot = nodes.parent_id(slot);
    }
    let AstKind::ObjectProperty(p) = nodes.kind(slot) else {
        return false;
    };
    if !p.key.static_name().is_some_and(|k| HOOKS.contains(&k.as_ref())) {
        return false;
    }
    matches!(nodes.parent_kind(slot), AstKind::ObjectExpression(o) if property(o, "name").is_some())
}

/// The names a factory bound to `symbol` is exported or kept under: its own, the variable a
/// wrapper call around it is bound to (`vWA = defineIntegration(TCB)`), and the property names
/// either is assigned to (`exports.nodeContextIntegration = vWA`).
pub(super) fn factory_names<'s>(semantic: &'s Semantic<'_>, symbol: SymbolId) -> Vec<&'s str> {
    let scoping = semantic.scoping();
    let nodes = semantic.nodes();
    let mut names = vec![scoping.symbol_name(symbol)];
    let mut symbols = vec![symbol];
    let mut seen = 0;
    while seen < symbols.len() && symbols.len() <= 8 {
        let current = symbols[seen];
        seen += 1;
        for reference in scoping.get_resolved_references(current) {
            let at = reference.node_id();
            let mut parent = nodes.parent_id(at);
            // Through one wrapper call: `defineIntegration(TCB)`.
            if matches!(nodes.kind(parent), AstKind::CallExpression(_)) {
                parent = nodes.parent_id(parent);
            }
            match nodes.kind(parent) {
                AstKind::VariableDeclarator(d) => {
                    if let BindingPattern::BindingIdentifier(id) = &d.id
                        && let Some(bound) = id.symbol_id.get()
                        && !symbols.contains(&bound)
                    {
                        names.push(id.name.as_str());
                        symbols.push(bound);
                    }
                }
                AstKind::AssignmentExpression(a) => {
                    if let AssignmentTarget::StaticMemberExpression(m) = &a.left {
                        names.push(m.property.name.as_str());
                    }
                }
                _ => {}
            }
        }
    }
    names
}

fn property<'o, 'a>(object: &'o ObjectExpression<'a>, key: &str) -> Option<&'o Expression<'a>> {
    object.properties.iter().find_map(|p| match p {
        ObjectPropertyKind::ObjectProperty(p) if p.key.static_name().is_some_and(|k| k == key) => Some(&p.value),
        _ => None,
    })
}

/// A literal that is false: `false` and `!1` (as [`super::is_false`] reads them), `null`, `0`,
/// `!true`.
fn is_false(expr: &Expression<'_>) -> bool {
    super::is_false(expr)
        || match expr.without_parentheses() {
            Expression::NullLiteral(_) => true,
            Expression::NumericLiteral(n) => n.value == 0.0,
            Expression::UnaryExpression(u) if u.operator == oxc::ast::ast::UnaryOperator::LogicalNot => {
                matches!(u.argument.without_parentheses(), Expression::BooleanLiteral(b) if b.value)
            }
            _ => false,
        }
}

fn last_name<'a>(callee: &Expression<'a>) -> Option<&'a str> {
    match callee.without_parentheses() {
        Expression::Identifier(id) => Some(id.name.as_str()),
        Expression::StaticMemberExpression(m) => Some(m.property.name.as_str()),
        _ => None,
    }
}
