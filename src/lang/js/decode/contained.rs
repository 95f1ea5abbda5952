//! Whether a function of the package keeps to itself: it assigns only its own locals (and
//! elements of arrays and objects it made), calls only functions that keep to themselves and
//! pure globals, and reads no outside variable that anything reassigns. Its result then depends
//! on its arguments alone, so a decoding seen on two calls may stand for a third (see
//! `Run::learned_call`).

use oxc::ast::AstKind;
use oxc::ast::ast::{Expression, IdentifierReference, MemberExpression, SimpleAssignmentTarget};
use oxc::semantic::{NodeId, ScopeId, Semantic, SymbolId};
use oxc::span::GetSpan;
use rustc_hash::FxHashMap;

/// Functions followed from one, through the functions it calls.
const MAX_DEPTH: u8 = 4;
/// Nodes looked at in one function; a bigger one is not taken to keep to itself.
const MAX_NODES: usize = 20_000;

/// Methods that change the array or object they are called on.
const MUTATING: &[&str] = &[
    "push",
    "pop",
    "shift",
    "unshift",
    "splice",
    "reverse",
    "sort",
    "fill",
    "copyWithin",
    "set",
    "add",
    "delete",
    "clear",
];

/// Globals a function may call or read and still keep to itself.
const PURE_GLOBALS: &[&str] = &[
    "undefined",
    "NaN",
    "Infinity",
    "String",
    "Number",
    "Math",
    "Array",
    "parseInt",
    "parseFloat",
    "decodeURIComponent",
    "decodeURI",
    "encodeURIComponent",
    "unescape",
    "escape",
    "atob",
    "btoa",
    "Buffer",
];

pub fn writes_only_its_own(semantic: &Semantic<'_>, node: NodeId, cache: &mut FxHashMap<NodeId, bool>) -> bool {
    check(semantic, node, cache, 0)
}

fn check(semantic: &Semantic<'_>, node: NodeId, cache: &mut FxHashMap<NodeId, bool>, depth: u8) -> bool {
    if let Some(&known) = cache.get(&node) {
        return known;
    }
    if depth > MAX_DEPTH {
        return false;
    }
    // Assumed while it is looked at, so recursion does not loop (a call of itself is fine: it
    // writes nothing more than the function does).
    cache.insert(node, true);
    let verdict = body_keeps_to_itself(semantic, node, cache, depth);
    cache.insert(node, verdict);
    verdict
}

fn body_keeps_to_itself(semantic: &Semantic<'_>, node: NodeId, cache: &mut FxHashMap<NodeId, bool>, depth: u8) -> bool {
    let nodes = semantic.nodes();
    let (scope, span) = match nodes.kind(node) {
        AstKind::Function(f) => match f.scope_id.get() {
            Some(scope) => (scope, f.span),
            None => return false,
        },
        AstKind::ArrowFunctionExpression(f) => match f.scope_id.get() {
            Some(scope) => (scope, f.span),
            None => return false,
        },
        _ => return false,
    };
    let inside = Inside { semantic, scope };
    // Nodes are numbered in source order, a function's own right after it.
    for (looked, index) in (node.index() + 1..nodes.len()).enumerate() {
        if looked > MAX_NODES {
            return false;
        }
        let id = NodeId::from_usize(index);
        let kind = nodes.kind(id);
        if kind.span().start >= span.end {
            break;
        }
        let fine = match kind {
            AstKind::ThisExpression(_) | AstKind::Super(_) => false,
            AstKind::AssignmentExpression(a) => a
                .left
                .as_simple_assignment_target()
                .is_some_and(|target| inside.writable(target)),
            AstKind::UpdateExpression(u) => inside.writable(&u.argument),
            AstKind::CallExpression(call) => match call.callee.without_parentheses() {
                Expression::Identifier(callee) => match inside.symbol(callee) {
                    None => PURE_GLOBALS.contains(&callee.name.as_str()),
                    Some(symbol) => match function_of(semantic, symbol) {
                        Some(function) => check(semantic, function, cache, depth + 1),
                        None => false,
                    },
                },
                Expression::StaticMemberExpression(m) => {
                    !MUTATING.contains(&m.property.name.as_str()) || inside.owned_root(&m.object)
                }
                Expression::ComputedMemberExpression(m) => match &m.expression {
                    Expression::StringLiteral(name) => {
                        !MUTATING.contains(&name.value.as_str()) || inside.owned_root(&m.object)
                    }
                    _ => false,
                },
                Expression::FunctionExpression(_) | Expression::ArrowFunctionExpression(_) => true,
                _ => false,
            },
            AstKind::IdentifierReference(r) => match inside.symbol(r) {
                None => PURE_GLOBALS.contains(&r.name.as_str()),
                Some(symbol) => inside.declares(symbol) || !semantic.scoping().symbol_is_mutated(symbol),
            },
            _ => true,
        };
        if !fine {
            return false;
        }
    }
    true
}

struct Inside<'s, 'a> {
    semantic: &'s Semantic<'a>,
    scope: ScopeId,
}

impl<'a> Inside<'_, 'a> {
    fn symbol(&self, id: &IdentifierReference<'a>) -> Option<SymbolId> {
        let reference = id.reference_id.get()?;
        self.semantic.scoping().get_reference(reference).symbol_id()
    }

    /// Declared in the function (a parameter, a local, or in a function inside it).
    fn declares(&self, symbol: SymbolId) -> bool {
        let scoping = self.semantic.scoping();
        let declared = scoping.symbol_scope_id(symbol);
        declared == self.scope || scoping.scope_ancestors(declared).any(|s| s == self.scope)
    }

    /// Declared in the function and not a parameter: what it holds the function made.
    fn owns(&self, symbol: SymbolId) -> bool {
        if !self.declares(symbol) {
            return false;
        }
        let nodes = self.semantic.nodes();
        let declaration = self.semantic.scoping().symbol_declaration(symbol);
        !matches!(
            nodes.kind(declaration),
            AstKind::FormalParameter(_) | AstKind::FormalParameters(_)
        ) && !matches!(nodes.parent_kind(declaration), AstKind::FormalParameter(_))
    }

    /// `a.b[c]`: `a` is the function's own.
    fn owned_root(&self, expr: &Expression<'a>) -> bool {
        match expr.without_parentheses() {
            Expression::Identifier(id) => self.symbol(id).is_some_and(|s| self.owns(s)),
            Expression::StaticMemberExpression(m) => self.owned_root(&m.object),
            Expression::ComputedMemberExpression(m) => self.owned_root(&m.object),
            _ => false,
        }
    }

    fn writable(&self, target: &SimpleAssignmentTarget<'a>) -> bool {
        match target {
            SimpleAssignmentTarget::AssignmentTargetIdentifier(id) => self.symbol(id).is_some_and(|s| self.declares(s)),
            other => match other.as_member_expression() {
                Some(MemberExpression::StaticMemberExpression(m)) => self.owned_root(&m.object),
                Some(MemberExpression::ComputedMemberExpression(m)) => self.owned_root(&m.object),
                _ => false,
            },
        }
    }
}

/// The function a name holds: its declaration, or a never-reassigned variable's initialiser.
fn function_of(semantic: &Semantic<'_>, symbol: SymbolId) -> Option<NodeId> {
    let scoping = semantic.scoping();
    let declaration = scoping.symbol_declaration(symbol);
    match semantic.nodes().kind(declaration) {
        AstKind::Function(f) => Some(f.node_id.get()),
        AstKind::VariableDeclarator(d) if !scoping.symbol_is_mutated(symbol) => {
            match d.init.as_ref()?.without_parentheses() {
                Expression::FunctionExpression(f) => Some(f.node_id.get()),
                Expression::ArrowFunctionExpression(f) => Some(f.node_id.get()),
                _ => None,
            }
        }
        _ => None,
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

    /// Whether the first function declared in `source` keeps to itself.
    fn keeps(source: &str) -> bool {
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, source, SourceType::mjs()).parse();
        let semantic = SemanticBuilder::new()
            .with_build_nodes(true)
            .build(&parsed.program)
            .semantic;
        let function = parsed
            .program
            .body
            .iter()
            .find_map(|s| match s {
                Statement::FunctionDeclaration(f) => Some(f.node_id.get()),
                _ => None,
            })
            .expect("a function");
        writes_only_its_own(&semantic, function, &mut FxHashMap::default())
    }

    #[test]
    fn decoders_keep_to_themselves() {
        assert!(keeps(
            "function rc4(s, k) { var b = [], j = 0, x, w = '', q; s = unb(s); for (q = 0; q < 256; q++) b[q] = q; \
             for (q = 0; q < s.length; q++) w += String.fromCharCode(s.charCodeAt(q) ^ b[q % 256]); return w } \
             var unb = function (s) { return decodeURIComponent(s) };"
        ));
    }

    #[test]
    fn writing_outside_does_not() {
        assert!(!keeps("var n = 0; function f(s) { n++; return s }"));
        assert!(!keeps("var c = {}; function f(s) { c[s] = 1; return s }"));
        assert!(!keeps("function f(s, t) { t.push(s); return s }"));
        assert!(!keeps("function f(s) { f.cache = s; return s }"));
        assert!(!keeps(
            "function f(s) { return g(s) } function g(s) { h.x = 1; return s } var h = {};"
        ));
        assert!(!keeps("var n = 0; function f(s) { return s + n } n = 2;"));
        assert!(!keeps("function f(s) { return s + process.env.HOME }"));
        assert!(!keeps("function f(s) { return this.s }"));
    }
}
