//! A file as an ES module: the names it exports and what it asks of the files it imports, so
//! that the package can tell whether another file can reach the CommonJS exports bundled
//! inside it (esbuild chunks wrap CommonJS modules and export only `default`).

use oxc::ast::AstKind;
use oxc::semantic::Semantic;
use oxc::span::GetSpan;
use oxc::syntax::module_record::{ExportExportName, ExportImportName, ImportImportName, ModuleRecord};

use super::resolve::string_value;
use crate::lang::facts::{ModuleImport, ModuleInterface};

pub fn interface(record: &ModuleRecord<'_>, semantic: &Semantic<'_>) -> ModuleInterface {
    let exports = (record.has_module_syntax && record.star_export_entries.is_empty()).then(|| {
        record
            .local_export_entries
            .iter()
            .chain(&record.indirect_export_entries)
            .filter_map(|entry| match &entry.export_name {
                ExportExportName::Name(name) => Some(name.name.to_string()),
                ExportExportName::Default(_) => Some("default".to_string()),
                ExportExportName::Null => None,
            })
            .collect()
    });
    let mut imports: Vec<ModuleImport> = Vec::new();
    let mut ask = |specifier: &str, name: Option<String>| {
        if !specifier.starts_with('.') {
            return;
        }
        match imports.iter_mut().find(|i| i.specifier == specifier) {
            Some(import) => match (&mut import.names, name) {
                (Some(names), Some(name)) => names.push(name),
                (names, _) => *names = None,
            },
            None => imports.push(ModuleImport {
                specifier: specifier.to_string(),
                names: name.map(|n| vec![n]),
            }),
        }
    };
    for entry in &record.import_entries {
        let name = match &entry.import_name {
            ImportImportName::Name(name) => Some(name.name.to_string()),
            ImportImportName::Default(_) => Some("default".to_string()),
            ImportImportName::NamespaceObject => None,
        };
        ask(entry.module_request.name.as_str(), name);
    }
    for entry in record.indirect_export_entries.iter().chain(&record.star_export_entries) {
        if let Some(request) = &entry.module_request {
            let name = match &entry.import_name {
                ExportImportName::Name(name) => Some(name.name.to_string()),
                _ => None,
            };
            ask(request.name.as_str(), name);
        }
    }
    // `(await import("./x.js")).name` asks for `name`; any other use takes the whole module.
    let nodes = semantic.nodes();
    for node in nodes.iter() {
        let AstKind::ImportExpression(import) = node.kind() else {
            continue;
        };
        let Some(specifier) = string_value(&import.source) else {
            continue;
        };
        let mut current = node.id();
        let mut name = None;
        for ancestor in nodes.ancestor_ids(node.id()).take(3) {
            let here = nodes.kind(current).span();
            match nodes.kind(ancestor) {
                AstKind::AwaitExpression(_) | AstKind::ParenthesizedExpression(_) => {}
                AstKind::StaticMemberExpression(m) if m.object.span() == here => {
                    name = Some(m.property.name.to_string());
                    break;
                }
                _ => break,
            }
            current = ancestor;
        }
        ask(specifier, name);
    }
    ModuleInterface { exports, imports }
}
