//! The package's files as a tree, nested archives as folders (`tool.vsix!/extension/…` lives
//! under `tool.vsix`), each folder with the findings inside it. A file's name opens its
//! source, its count its findings. Arrow keys walk the tree: up and down between rows, right
//! opens a folder, left closes it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use telltale::package::human_bytes;
use telltale::report::{FileEntry, Report, Span};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

use crate::state::SourceTarget;

#[derive(Properties, PartialEq)]
pub struct FileTreeProps {
    pub report: Rc<Report>,
    /// Shows the findings of a file.
    pub on_findings: Callback<String>,
    pub on_source: Callback<SourceTarget>,
}

/// Packages with at most this many files open fully; bigger ones open only down to findings.
const OPEN_ALL_UP_TO: usize = 300;

/// A folder or file of the tree.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    /// The path that names this node: a file's path, or a folder's prefix.
    pub path: String,
    /// The file this node is (an archive node is a file and a folder at once).
    pub file: Option<usize>,
    pub children: BTreeMap<String, Node>,
    /// Findings in this file and everything below it.
    pub findings: usize,
}

/// The tree of `files`, with finding counts per file from `findings_per_file`.
pub fn build(files: &[FileEntry], findings_per_file: &HashMap<&str, usize>) -> Node {
    let mut root = Node::default();
    for (index, file) in files.iter().enumerate() {
        let count = findings_per_file.get(file.path.as_str()).copied().unwrap_or(0);
        root.findings += count;
        let mut node = &mut root;
        let mut prefix = String::new();
        for (level, part) in file.path.split("!/").enumerate() {
            if level > 0 {
                prefix.push_str("!/");
            }
            for (i, name) in part.split('/').filter(|n| !n.is_empty()).enumerate() {
                if i > 0 {
                    prefix.push('/');
                }
                prefix.push_str(name);
                node = node.children.entry(name.to_string()).or_insert_with(|| Node {
                    name: name.to_string(),
                    path: prefix.clone(),
                    ..Node::default()
                });
                node.findings += count;
            }
        }
        node.file = Some(index);
    }
    root
}

/// One row of the tree as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub depth: usize,
    pub name: String,
    pub path: String,
    pub file: Option<usize>,
    pub findings: usize,
    pub folder: bool,
    pub open: bool,
}

/// The rows visible with the folders in `open` opened, folders first, each level by name.
pub fn rows(root: &Node, open: &BTreeSet<String>) -> Vec<Row> {
    fn walk(node: &Node, depth: usize, open: &BTreeSet<String>, out: &mut Vec<Row>) {
        let mut children: Vec<&Node> = node.children.values().collect();
        children.sort_by_key(|c| (c.children.is_empty(), c.name.clone()));
        for child in children {
            let folder = !child.children.is_empty();
            let is_open = folder && open.contains(&child.path);
            out.push(Row {
                depth,
                name: child.name.clone(),
                path: child.path.clone(),
                file: child.file,
                findings: child.findings,
                folder,
                open: is_open,
            });
            if is_open {
                walk(child, depth + 1, open, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, 0, open, &mut out);
    out
}

/// Folders open at first: all of them in a small package; in a big one the top level and
/// every folder with findings inside.
pub fn initially_open(root: &Node, files: usize) -> BTreeSet<String> {
    fn walk(node: &Node, depth: usize, all: bool, out: &mut BTreeSet<String>) {
        for child in node.children.values() {
            if !child.children.is_empty() && (all || depth == 0 || child.findings > 0) {
                out.insert(child.path.clone());
                walk(child, depth + 1, all, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, 0, files <= OPEN_ALL_UP_TO, &mut out);
    out
}

#[function_component(FileTree)]
pub fn file_tree(props: &FileTreeProps) -> Html {
    let tree = use_memo(props.report.clone(), |report| {
        let mut per_file: HashMap<&str, usize> = HashMap::new();
        for finding in &report.findings {
            *per_file.entry(finding.file.as_str()).or_default() += 1;
        }
        build(&report.files, &per_file)
    });
    let open = {
        let tree = tree.clone();
        let files = props.report.files.len();
        use_state(move || initially_open(&tree, files))
    };
    let body = use_node_ref();
    let visible = rows(&tree, &open);

    let toggle = {
        let open = open.clone();
        Callback::from(move |(path, want): (String, Option<bool>)| {
            let mut set = (*open).clone();
            let now = set.contains(&path);
            match want.unwrap_or(!now) {
                true => set.insert(path),
                false => set.remove(&path),
            };
            open.set(set);
        })
    };
    let on_key = {
        let body = body.clone();
        Callback::from(move |event: KeyboardEvent| {
            let step = match event.key().as_str() {
                "ArrowDown" => 1,
                "ArrowUp" => -1,
                _ => return,
            };
            event.prevent_default();
            let Some(body) = body.cast::<HtmlElement>() else { return };
            let Ok(rows) = body.query_selector_all("tr") else {
                return;
            };
            let active = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element());
            let count = rows.length() as i32;
            let current = (0..count).find(|&i| {
                let row = rows.item(i as u32);
                row.is_some() && active.as_ref().map(|a| a.unchecked_ref::<web_sys::Node>()) == row.as_ref()
            });
            let target = current.map_or(0, |at| (at + step).clamp(0, count - 1));
            if let Some(row) = rows.item(target as u32).and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
                let _ = row.focus();
            }
        })
    };

    html! {
        <section class="file-tree-panel" aria-label="Files">
            <table class="file-tree" role="treegrid" aria-label="Files of the package">
                <thead><tr><th>{ "Name" }</th><th>{ "Kind" }</th><th class="num">{ "Size" }</th><th class="num">{ "Findings" }</th></tr></thead>
                <tbody ref={body} onkeydown={on_key}>
                    { for visible.iter().map(|row| row_view(props, row, &toggle)) }
                </tbody>
            </table>
        </section>
    }
}

fn row_view(props: &FileTreeProps, row: &Row, toggle: &Callback<(String, Option<bool>)>) -> Html {
    let entry = row.file.map(|i| &props.report.files[i]);
    let kind = match entry {
        Some(file) => match file.archive {
            Some(format) => format!("archive ({format})"),
            None if file.opaque => format!("{} (strings only)", file.kind),
            None if file.minified => format!("{} (minified)", file.kind),
            None => file.kind.to_string(),
        },
        None => "folder".to_string(),
    };
    let size = entry.map(|f| human_bytes(f.size)).unwrap_or_default();
    let readable = entry.is_some_and(|f| {
        f.archive.is_none() && (f.kind.is_script() || matches!(f.kind.as_str(), "json" | "text" | "python"))
    });
    let onkeydown = {
        let toggle = toggle.clone();
        let path = row.path.clone();
        let folder = row.folder;
        Callback::from(move |event: KeyboardEvent| {
            let want = match event.key().as_str() {
                "ArrowRight" => Some(true),
                "ArrowLeft" => Some(false),
                "Enter" | " " => None,
                _ => return,
            };
            if folder {
                event.prevent_default();
                toggle.emit((path.clone(), want));
            }
        })
    };
    let on_chevron = {
        let toggle = toggle.clone();
        let path = row.path.clone();
        Callback::from(move |_: MouseEvent| toggle.emit((path.clone(), None)))
    };
    let name = if readable {
        let target = SourceTarget {
            file: row.path.clone(),
            span: Span::default(),
            label: "the start of the file".into(),
        };
        let onclick = props.on_source.reform(move |_: MouseEvent| target.clone());
        html! { <button type="button" class="link name" title={row.path.clone()} {onclick}>{ &row.name }</button> }
    } else {
        html! { <span class="name" title={row.path.clone()}>{ &row.name }</span> }
    };
    let findings = if row.findings > 0 && !row.folder {
        let path = row.path.clone();
        let onclick = props.on_findings.reform(move |_: MouseEvent| path.clone());
        html! { <button type="button" class="link count" {onclick}>{ row.findings }</button> }
    } else if row.findings > 0 {
        html! { <span class="count">{ row.findings }</span> }
    } else {
        html! {}
    };
    html! {
        <tr class={classes!(row.folder.then_some("folder"), (row.findings > 0).then_some("has-findings"))}
            data-path={row.path.clone()} tabindex="0" aria-level={(row.depth + 1).to_string()}
            aria-expanded={row.folder.then(|| row.open.to_string())} {onkeydown}>
            <td class={classes!("tree-name", format!("depth-{}", row.depth.min(12)))}>
                if row.folder {
                    <button type="button" class="chevron" tabindex="-1" aria-label={if row.open { "Close" } else { "Open" }}
                        onclick={on_chevron}>{ if row.open { "▾" } else { "▸" } }</button>
                } else {
                    <span class="chevron"></span>
                }
                { name }
            </td>
            <td class="kind">{ kind }</td>
            <td class="num size">{ size }</td>
            <td class="num">{ findings }</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale::files::FileKind;
    use telltale::package::Format;

    fn entry(path: &str, archive: Option<Format>) -> FileEntry {
        FileEntry {
            path: path.into(),
            size: 1,
            kind: FileKind::Javascript,
            minified: false,
            archive,
            incomplete: false,
            opaque: false,
        }
    }

    fn sample() -> (Vec<FileEntry>, Node) {
        let files = vec![
            entry("package/cli.js", None),
            entry("package/inner.zip", Some(Format::Zip)),
            entry("package/inner.zip!/docs/readme.txt", None),
            entry("package/inner.zip!/lib/x.js", None),
            entry("package/lib/x.js", None),
        ];
        let counts = HashMap::from([("package/inner.zip!/lib/x.js", 2), ("package/cli.js", 1)]);
        let tree = build(&files, &counts);
        (files, tree)
    }

    #[test]
    fn nested_archives_are_folders_and_counts_add_up() {
        let (_, tree) = sample();
        assert_eq!(tree.findings, 3);
        let package = &tree.children["package"];
        assert_eq!(package.findings, 3);
        let zip = &package.children["inner.zip"];
        assert_eq!(zip.file, Some(1));
        assert_eq!(zip.path, "package/inner.zip");
        assert_eq!(zip.findings, 2);
        let nested = &zip.children["lib"].children["x.js"];
        assert_eq!(nested.path, "package/inner.zip!/lib/x.js");
        assert_eq!(nested.file, Some(3));
        assert_eq!(package.children["lib"].findings, 0);
    }

    #[test]
    fn rows_show_folders_first_and_only_open_ones() {
        let (files, tree) = sample();
        let open = initially_open(&tree, files.len());
        let paths: Vec<String> = rows(&tree, &open).into_iter().map(|r| r.path).collect();
        assert_eq!(
            paths,
            [
                "package",
                "package/inner.zip",
                "package/inner.zip!/docs",
                "package/inner.zip!/docs/readme.txt",
                "package/inner.zip!/lib",
                "package/inner.zip!/lib/x.js",
                "package/lib",
                "package/lib/x.js",
                "package/cli.js",
            ]
        );
        let shut = BTreeSet::from(["package".to_string()]);
        let rows = rows(&tree, &shut);
        assert_eq!(rows.len(), 4);
        assert!(rows[0].open && rows[0].folder);
        assert_eq!(rows[1].depth, 1);
    }

    #[test]
    fn big_packages_open_down_to_findings_only() {
        let (_, tree) = sample();
        let open = initially_open(&tree, OPEN_ALL_UP_TO + 1);
        assert!(open.contains("package"));
        assert!(open.contains("package/inner.zip"));
        assert!(open.contains("package/inner.zip!/lib"));
        assert!(!open.contains("package/inner.zip!/docs"));
        assert!(!open.contains("package/lib"));
    }
}
