//! Resolving expressions to chains: `X.hostname` where `var X = require("os")` becomes
//! `os.hostname`, through imports, destructuring, interop wrappers and bundler module wrappers.

use oxc::ast::AstKind;
use oxc::ast::ast::{
    Argument, BindingPattern, CallExpression, ChainElement, Expression, IdentifierReference, ModuleExportName,
};
use oxc::semantic::{Semantic, SymbolId};

/// Longest chain kept; longer ones end in `…` and match nothing specific.
const MAX_CHAIN: usize = 240;
/// How many aliases deep a chain is followed.
const MAX_DEPTH: u8 = 8;

/// Globals that only hold other globals: `globalThis.process` is `process`.
const GLOBAL_OBJECTS: [&str; 4] = ["globalThis", "window", "global", "self"];

pub struct Resolver<'s, 'a> {
    semantic: &'s Semantic<'a>,
    /// A webpack module table's entries that stand for a module: an external
    /// (`857: e => { e.exports = require("os") }`) or a bundled package
    /// (`"./node_modules/pkg/index.js": …`), by module id. Built on first need.
    webpack_modules: std::cell::OnceCell<rustc_hash::FxHashMap<String, String>>,
    /// Property names that constant code computes (`Intl[t(0x1)]()`: the decoded `t(0x1)`), by
    /// where the key expression starts; set once before the extractor walks the file.
    computed_names: std::cell::RefCell<rustc_hash::FxHashMap<u32, String>>,
}

impl<'s, 'a> Resolver<'s, 'a> {
    pub fn new(semantic: &'s Semantic<'a>) -> Self {
        Self {
            semantic,
            webpack_modules: std::cell::OnceCell::new(),
            computed_names: std::cell::RefCell::default(),
        }
    }

    /// Records the property name constant code computes for the key starting at `key`.
    pub fn learn_computed_name(&self, key: u32, name: String) {
        self.computed_names.borrow_mut().insert(key, name);
    }

    /// Whether the key starting at `key` was worked out already.
    pub fn knows_computed_name(&self, key: u32) -> bool {
        self.computed_names.borrow().contains_key(&key)
    }

    /// The property a computed member reads: a literal key, or one constant code computes.
    pub fn property_name(
        &self,
        member: &oxc::ast::ast::ComputedMemberExpression<'a>,
    ) -> Option<std::borrow::Cow<'a, str>> {
        match member.static_property_name() {
            Some(name) => Some(name.as_str().into()),
            None => self
                .computed_names
                .borrow()
                .get(&oxc::span::GetSpan::span(&member.expression).start)
                .map(|name| name.clone().into()),
        }
    }

    /// The chain of `expr`: `os.hostname`, `Intl.DateTimeFormat().resolvedOptions()`,
    /// `?.logEvent` when the root is a local value.
    pub fn chain(&self, expr: &Expression<'a>) -> String {
        let mut out = String::new();
        self.push(expr, &mut out, 0);
        for global in GLOBAL_OBJECTS {
            if let Some(rest) = out.strip_prefix(global).and_then(|r| r.strip_prefix('.')) {
                return rest.to_string();
            }
        }
        out
    }

    /// Appends the chain of `expr` to `out`; returns true when it is a whole module (so a
    /// following `.default` is the module itself).
    fn push(&self, expr: &Expression<'a>, out: &mut String, depth: u8) -> bool {
        if depth > MAX_DEPTH || out.len() > MAX_CHAIN {
            out.push('…');
            return false;
        }
        match expr {
            Expression::Identifier(id) => self.push_identifier(id, out, depth),
            Expression::StaticMemberExpression(m) => {
                self.push_member(&m.object, Some(m.property.name.as_str()), out, depth)
            }
            Expression::ComputedMemberExpression(m) => {
                self.push_member(&m.object, self.property_name(m).as_deref(), out, depth)
            }
            Expression::CallExpression(call) => self.push_call(call, out, depth),
            Expression::NewExpression(new) => {
                self.push(&new.callee, out, depth + 1);
                out.push_str("()");
                false
            }
            Expression::ChainExpression(chain) => match &chain.expression {
                ChainElement::CallExpression(call) => self.push_call(call, out, depth),
                ChainElement::StaticMemberExpression(m) => {
                    self.push_member(&m.object, Some(m.property.name.as_str()), out, depth)
                }
                ChainElement::ComputedMemberExpression(m) => {
                    self.push_member(&m.object, self.property_name(m).as_deref(), out, depth)
                }
                ChainElement::TSNonNullExpression(e) => self.push(&e.expression, out, depth + 1),
                ChainElement::PrivateFieldExpression(_) => {
                    out.push('?');
                    false
                }
            },
            Expression::SequenceExpression(seq) => match seq.expressions.last() {
                Some(last) => self.push(last, out, depth + 1),
                None => {
                    out.push('?');
                    false
                }
            },
            Expression::ParenthesizedExpression(p) => self.push(&p.expression, out, depth + 1),
            Expression::AwaitExpression(a) => self.push(&a.argument, out, depth + 1),
            Expression::TSAsExpression(e) => self.push(&e.expression, out, depth + 1),
            Expression::TSNonNullExpression(e) => self.push(&e.expression, out, depth + 1),
            Expression::TSSatisfiesExpression(e) => self.push(&e.expression, out, depth + 1),
            Expression::ImportExpression(import) => match string_value(&import.source) {
                Some(module) => {
                    out.push_str(&normalise_module(module));
                    true
                }
                None => {
                    out.push('?');
                    false
                }
            },
            Expression::ThisExpression(_) => {
                out.push_str("this");
                false
            }
            _ => {
                out.push('?');
                false
            }
        }
    }

    /// `object.property` (`object.[]` when the property is computed); the `default` of a whole
    /// module is the module itself.
    fn push_member(&self, object: &Expression<'a>, property: Option<&str>, out: &mut String, depth: u8) -> bool {
        let module = self.push(object, out, depth + 1);
        match property {
            Some("default") if module => {}
            Some(name) => {
                out.push('.');
                out.push_str(name);
            }
            None => out.push_str(".[]"),
        }
        false
    }

    fn push_call(&self, call: &CallExpression<'a>, out: &mut String, depth: u8) -> bool {
        if let Some(module) = self.module_of_call(call, depth) {
            out.push_str(&module);
            return true;
        }
        self.push(&call.callee, out, depth + 1);
        out.push_str("()");
        false
    }

    fn push_identifier(&self, id: &IdentifierReference<'a>, out: &mut String, depth: u8) -> bool {
        match self.symbol_of(id) {
            None => {
                out.push_str(id.name.as_str());
                false
            }
            Some(symbol) => match self.binding_value(symbol, depth) {
                Some(Binding::Module(module)) => {
                    out.push_str(&module);
                    true
                }
                Some(Binding::Member(module, member)) => {
                    out.push_str(&module);
                    out.push('.');
                    out.push_str(&member);
                    false
                }
                Some(Binding::Expr(expr, member)) => {
                    let module = self.push(expr, out, depth + 1);
                    match member {
                        Some(member) => {
                            out.push('.');
                            out.push_str(&member);
                            false
                        }
                        None => module,
                    }
                }
                None => {
                    out.push('?');
                    false
                }
            },
        }
    }

    pub fn symbol_of(&self, id: &IdentifierReference<'a>) -> Option<SymbolId> {
        let reference = id.reference_id.get()?;
        self.semantic.scoping().get_reference(reference).symbol_id()
    }

    /// What a local name stands for, when it is an import, a `require`, or a constant alias.
    fn binding_value(&self, symbol: SymbolId, depth: u8) -> Option<Binding<'s, 'a>> {
        let scoping = self.semantic.scoping();
        let nodes = self.semantic.nodes();
        let mut declaration = scoping.symbol_declaration(symbol);
        // A destructured name is declared below its declarator: climb to it.
        for _ in 0..4 {
            match nodes.kind(declaration) {
                AstKind::BindingProperty(_) | AstKind::ObjectPattern(_) => {
                    declaration = nodes.parent_id(declaration);
                }
                _ => break,
            }
        }
        match nodes.kind(declaration) {
            AstKind::VariableDeclarator(d) => {
                let init = match &d.init {
                    Some(init) => init,
                    None => {
                        // `var A; … A = require("os")` in minified code: one write, use it.
                        return self.single_assignment(symbol).map(|e| Binding::Expr(e, None));
                    }
                };
                let init = alias_source(init);
                match &d.id {
                    BindingPattern::BindingIdentifier(_) => {
                        if let Expression::CallExpression(call) = init
                            && let Some(module) = self.module_of_call(call, depth)
                        {
                            return Some(Binding::Module(module));
                        }
                        Some(Binding::Expr(init, None))
                    }
                    BindingPattern::ObjectPattern(pattern) => {
                        let property = pattern.properties.iter().find(|p| {
                            p.value
                                .get_binding_identifier()
                                .is_some_and(|b| b.symbol_id.get() == Some(symbol))
                        })?;
                        let key = property.key.static_name()?.to_string();
                        Some(Binding::Expr(init, Some(key)))
                    }
                    _ => None,
                }
            }
            AstKind::ImportSpecifier(spec) => {
                let module = self.import_source(declaration)?;
                let imported = match &spec.imported {
                    ModuleExportName::IdentifierName(n) => n.name.to_string(),
                    ModuleExportName::IdentifierReference(n) => n.name.to_string(),
                    ModuleExportName::StringLiteral(s) => s.value.to_string(),
                };
                if imported == "default" {
                    Some(Binding::Module(module))
                } else {
                    Some(Binding::Member(module, imported))
                }
            }
            AstKind::ImportDefaultSpecifier(_) | AstKind::ImportNamespaceSpecifier(_) => {
                Some(Binding::Module(self.import_source(declaration)?))
            }
            _ => None,
        }
    }

    fn import_source(&self, specifier: oxc::semantic::NodeId) -> Option<String> {
        match self.semantic.nodes().parent_kind(specifier) {
            AstKind::ImportDeclaration(decl) => Some(normalise_module(decl.source.value.as_str())),
            _ => None,
        }
    }

    /// The right-hand side of the only assignment to `symbol`, if there is exactly one.
    fn single_assignment(&self, symbol: SymbolId) -> Option<&'s Expression<'a>> {
        let scoping = self.semantic.scoping();
        let nodes = self.semantic.nodes();
        let mut found = None;
        for reference in scoping.get_resolved_references(symbol) {
            if !reference.is_write() {
                continue;
            }
            if found.is_some() {
                return None;
            }
            let target = nodes.parent_id(reference.node_id());
            let AstKind::AssignmentExpression(assign) = nodes.parent_kind(target) else {
                match nodes.kind(target) {
                    AstKind::AssignmentExpression(assign) => {
                        found = Some(&assign.right);
                        continue;
                    }
                    _ => return None,
                }
            };
            found = Some(&assign.right);
        }
        found.map(alias_source)
    }

    /// `require("os")` → `os`; `__toESM(require("os"))` and other one-argument interop wrappers
    /// → `os`; esbuild's `require_pkg()` whose wrapper is keyed `node_modules/pkg/…` → `pkg`.
    pub fn module_of_call(&self, call: &CallExpression<'a>, depth: u8) -> Option<String> {
        if depth > MAX_DEPTH {
            return None;
        }
        let callee = call.callee.without_parentheses();
        if let Expression::Identifier(id) = callee {
            let name = id.name.as_str();
            if matches!(name, "require" | "__require" | "__non_webpack_require__")
                && let Some(module) = call.arguments.first().and_then(argument_string)
            {
                return Some(normalise_module(module));
            }
            if let Some(symbol) = self.symbol_of(id) {
                if self.is_require_function(symbol, depth)
                    && let Some(module) = call.arguments.first().and_then(argument_string)
                {
                    return Some(normalise_module(module));
                }
                if call.arguments.is_empty() {
                    return self.bundled_module(symbol);
                }
                if call.arguments.len() == 1
                    && let Some(module) = self.webpack_module(symbol, &call.arguments[0])
                {
                    return Some(module);
                }
                if call.arguments.len() <= 2
                    && let Some(Argument::CallExpression(inner)) = call.arguments.first()
                {
                    return self.module_of_call(inner, depth + 1);
                }
            }
        }
        None
    }

    /// Whether `symbol` holds a `require` made by `module.createRequire(import.meta.url)`, as
    /// esbuild's ESM bundles do (`var J1 = createRequire(import.meta.url); J1("os")`).
    fn is_require_function(&self, symbol: SymbolId, depth: u8) -> bool {
        let declaration = self.semantic.scoping().symbol_declaration(symbol);
        let AstKind::VariableDeclarator(d) = self.semantic.nodes().kind(declaration) else {
            return false;
        };
        let Some(Expression::CallExpression(init)) = d.init.as_ref().map(|e| e.without_parentheses()) else {
            return false;
        };
        let mut chain = String::new();
        self.push(&init.callee, &mut chain, depth + 1);
        chain == "module.createRequire"
    }

    /// For `n(857)` or `__webpack_require__("./node_modules/x/index.js")`, where `n` is webpack's
    /// require (the third parameter of a module function, or the bootstrap function that reads
    /// `.exports`): the module that table entry stands for.
    fn webpack_module(&self, symbol: SymbolId, argument: &Argument<'a>) -> Option<String> {
        let id = match argument.as_expression()?.without_parentheses() {
            Expression::NumericLiteral(n) => n.value.to_string(),
            Expression::StringLiteral(s) => s.value.to_string(),
            _ => return None,
        };
        let table = self.webpack_modules.get_or_init(|| self.webpack_table());
        let module = table.get(&id)?;
        let nodes = self.semantic.nodes();
        let declaration = self.semantic.scoping().symbol_declaration(symbol);
        let is_require = match nodes.kind(declaration) {
            AstKind::Function(f) => f
                .body
                .as_ref()
                .is_some_and(|b| b.span.source_text(self.semantic.source_text()).contains(".exports")),
            AstKind::FormalParameter(parameter) => {
                let AstKind::FormalParameters(params) = nodes.parent_kind(declaration) else {
                    return None;
                };
                params.items.len() == 3 && params.items[2].span == parameter.span
            }
            _ => false,
        };
        is_require.then(|| module.clone())
    }

    /// The module table's entries that stand for a module (see `webpack_modules`).
    fn webpack_table(&self) -> rustc_hash::FxHashMap<String, String> {
        let mut table = rustc_hash::FxHashMap::default();
        for node in self.semantic.nodes().iter() {
            let AstKind::ObjectProperty(property) = node.kind() else {
                continue;
            };
            let key = match &property.key {
                oxc::ast::ast::PropertyKey::NumericLiteral(n) => n.value.to_string(),
                key => match key.static_name() {
                    Some(name) => name.to_string(),
                    None => continue,
                },
            };
            let (params, body) = match property.value.without_parentheses() {
                Expression::FunctionExpression(f) => (&f.params, f.body.as_deref()),
                Expression::ArrowFunctionExpression(f) => match &f.body {
                    oxc::ast::ast::ArrowFunctionBody::FunctionBody(body) => (&f.params, Some(&**body)),
                    _ => continue,
                },
                _ => continue,
            };
            let Some(BindingPattern::BindingIdentifier(module)) = params.items.first().map(|p| &p.pattern) else {
                continue;
            };
            if let Some(external) = body.and_then(|b| external_require(module.name.as_str(), b)) {
                table.insert(key, normalise_module(external));
            } else if let Some(package) = package_of_path(&key) {
                table.insert(key, package);
            }
        }
        table
    }

    /// For `var require_x = __commonJS({"node_modules/x/index.js"(exports, module) {…}})`:
    /// the package the wrapper holds.
    fn bundled_module(&self, symbol: SymbolId) -> Option<String> {
        let nodes = self.semantic.nodes();
        let declaration = self.semantic.scoping().symbol_declaration(symbol);
        let AstKind::VariableDeclarator(d) = nodes.kind(declaration) else {
            return None;
        };
        let Some(Expression::CallExpression(wrapper)) = d.init.as_ref().map(|e| e.without_parentheses()) else {
            return None;
        };
        let Some(Argument::ObjectExpression(object)) = wrapper.arguments.first() else {
            return None;
        };
        let key = object.properties.first().and_then(|p| match p {
            oxc::ast::ast::ObjectPropertyKind::ObjectProperty(p) => p.key.static_name(),
            _ => None,
        })?;
        package_of_path(&key)
    }
}

enum Binding<'s, 'a> {
    Module(String),
    Member(String, String),
    Expr(&'s Expression<'a>, Option<String>),
}

/// The module a webpack external's body hands over: `module.exports = require("os")`.
fn external_require<'a>(module: &str, body: &oxc::ast::ast::FunctionBody<'a>) -> Option<&'a str> {
    let [oxc::ast::ast::Statement::ExpressionStatement(statement)] = body.statements.as_slice() else {
        return None;
    };
    let Expression::AssignmentExpression(assign) = &statement.expression else {
        return None;
    };
    let target = assign.left.as_member_expression()?;
    let is_module_exports = target.static_property_name().is_some_and(|p| p == "exports")
        && matches!(target.object().without_parentheses(), Expression::Identifier(i) if i.name == module);
    let Expression::CallExpression(call) = assign.right.without_parentheses() else {
        return None;
    };
    let is_require = matches!(call.callee.without_parentheses(), Expression::Identifier(i) if i.name == "require");
    (is_module_exports && is_require && call.arguments.len() == 1)
        .then(|| call.arguments.first().and_then(argument_string))
        .flatten()
}

/// What an alias's initialiser stands for: `a || b` and `a ?? b` stand for `a`.
fn alias_source<'s, 'a>(init: &'s Expression<'a>) -> &'s Expression<'a> {
    match init.without_parentheses() {
        Expression::LogicalExpression(logical) => alias_source(&logical.left),
        other => other,
    }
}

pub fn argument_string<'a>(argument: &Argument<'a>) -> Option<&'a str> {
    argument.as_expression().and_then(string_value)
}

/// The value of a string literal or a template without substitutions.
pub fn string_value<'a>(expr: &Expression<'a>) -> Option<&'a str> {
    match expr.without_parentheses() {
        Expression::StringLiteral(s) => Some(s.value.as_str()),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() && t.quasis.len() == 1 => {
            t.quasis[0].value.cooked.map(|c| c.as_str())
        }
        _ => None,
    }
}

/// `node:os` → `os`.
fn normalise_module(module: &str) -> String {
    module.strip_prefix("node:").unwrap_or(module).to_string()
}

/// The package a bundled path belongs to: `node_modules/@scope/pkg/lib/a.js` → `@scope/pkg`.
pub fn package_of_path(path: &str) -> Option<String> {
    let at = path.rfind("node_modules/")?;
    let rest = &path[at + "node_modules/".len()..];
    let mut parts = rest.split('/');
    let first = parts.next()?;
    if first.starts_with('@') {
        Some(format!("{first}/{}", parts.next()?))
    } else if first.is_empty() {
        None
    } else {
        Some(first.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_of_bundled_paths() {
        assert_eq!(
            package_of_path("node_modules/systeminformation/lib/index.js").as_deref(),
            Some("systeminformation")
        );
        assert_eq!(
            package_of_path("../node_modules/@sentry/node/cjs/a.js").as_deref(),
            Some("@sentry/node")
        );
        assert_eq!(package_of_path("src/a.js"), None);
    }
}
