//! Where packages come in: drop files or whole folders, or pick them with a dialog.

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{DragEvent, File, FileSystemDirectoryEntry, FileSystemEntry, FileSystemFileEntry, HtmlInputElement};
use yew::prelude::*;

/// What the person dropped or picked: one file, or a folder's files with their relative paths.
#[derive(Debug, Clone, PartialEq)]
pub enum Dropped {
    File(File),
    Folder { name: String, files: Vec<(String, File)> },
}

#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    pub on_drop: Callback<Vec<Dropped>>,
    /// Smaller once results are showing.
    #[prop_or_default]
    pub compact: bool,
}

#[function_component(DropZone)]
pub fn drop_zone(props: &DropZoneProps) -> Html {
    let hovering = use_state(|| false);
    let file_input = use_node_ref();
    let folder_input = use_node_ref();

    let on_drag_over = {
        let hovering = hovering.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            hovering.set(true);
        })
    };
    let on_drag_leave = {
        let hovering = hovering.clone();
        Callback::from(move |_: DragEvent| hovering.set(false))
    };
    let on_drop = {
        let hovering = hovering.clone();
        let on_drop = props.on_drop.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            hovering.set(false);
            let Some(transfer) = event.data_transfer() else { return };
            // Entries must be taken while the event is being handled; reading them can wait.
            let items = transfer.items();
            let mut entries = Vec::new();
            let mut plain_files = Vec::new();
            for index in 0..items.length() {
                let Some(item) = items.get(index) else { continue };
                match item.webkit_get_as_entry() {
                    Ok(Some(entry)) => entries.push(entry),
                    _ => {
                        if let Ok(Some(file)) = item.get_as_file() {
                            plain_files.push(file);
                        }
                    }
                }
            }
            let on_drop = on_drop.clone();
            spawn_local(async move {
                let mut dropped: Vec<Dropped> = plain_files.into_iter().map(Dropped::File).collect();
                for entry in entries {
                    if let Some(item) = read_entry(entry).await {
                        dropped.push(item);
                    }
                }
                if !dropped.is_empty() {
                    on_drop.emit(dropped);
                }
            });
        })
    };
    let on_files_picked = {
        let on_drop = props.on_drop.clone();
        Callback::from(move |event: Event| {
            let Some(input) = event.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let files = picked_files(&input);
            input.set_value("");
            if !files.is_empty() {
                on_drop.emit(files.into_iter().map(Dropped::File).collect());
            }
        })
    };
    let on_folder_picked = {
        let on_drop = props.on_drop.clone();
        Callback::from(move |event: Event| {
            let Some(input) = event.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let files = picked_files(&input);
            input.set_value("");
            if let Some(folder) = folder_from_picked(files) {
                on_drop.emit(vec![folder]);
            }
        })
    };
    let open = |input: NodeRef| {
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = input.cast::<HtmlInputElement>() {
                input.click();
            }
        })
    };
    let on_key = {
        let file_input = file_input.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" || event.key() == " " {
                event.prevent_default();
                if let Some(input) = file_input.cast::<HtmlInputElement>() {
                    input.click();
                }
            }
        })
    };

    let class = classes!(
        "drop-zone",
        hovering.then_some("hovering"),
        props.compact.then_some("compact")
    );
    html! {
        <section {class} tabindex="0" role="button" aria-label="Drop a package here or press Enter to choose one"
            ondragover={on_drag_over.clone()} ondragenter={on_drag_over} ondragleave={on_drag_leave}
            ondrop={on_drop} onkeydown={on_key}>
            <div class="drop-title">{ "Drop a package to inspect it" }</div>
            <div class="drop-formats">
                { "npm .tgz · .tar / .tar.gz · .zip · VS Code .vsix · Python .whl / sdist · .jar · Chrome .crx · a folder · one source file" }
            </div>
            <div class="drop-actions">
                <button type="button" onclick={open(file_input.clone())}>{ "Choose files…" }</button>
                <button type="button" onclick={open(folder_input.clone())}>{ "Choose a folder…" }</button>
            </div>
            <div class="drop-privacy">{ "Read in this page only. Nothing is uploaded." }</div>
            <input ref={file_input} id="file-input" type="file" multiple=true class="hidden" onchange={on_files_picked} />
            <input ref={folder_input} id="folder-input" type="file" webkitdirectory=true class="hidden" onchange={on_folder_picked} />
        </section>
    }
}

fn picked_files(input: &HtmlInputElement) -> Vec<File> {
    let Some(list) = input.files() else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// A folder picked with `webkitdirectory`: every file carries `webkitRelativePath`
/// (`folder/sub/file.js`); the first part is the folder's name.
fn folder_from_picked(files: Vec<File>) -> Option<Dropped> {
    let mut name = None;
    let mut entries = Vec::new();
    for file in files {
        let relative = Reflect::get(&file, &"webkitRelativePath".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| file.name());
        let (top, rest) = relative.split_once('/').unwrap_or(("folder", relative.as_str()));
        name.get_or_insert_with(|| top.to_string());
        entries.push((rest.to_string(), file));
    }
    Some(Dropped::Folder {
        name: name?,
        files: entries,
    })
}

/// Reads a dropped entry: a file as is, a directory walked to all its files.
async fn read_entry(entry: FileSystemEntry) -> Option<Dropped> {
    if entry.is_file() {
        return entry_file(entry.unchecked_into()).await.map(Dropped::File);
    }
    let name = entry.name();
    let mut files = Vec::new();
    let mut pending: Vec<(String, FileSystemDirectoryEntry)> = vec![(String::new(), entry.unchecked_into())];
    while let Some((prefix, directory)) = pending.pop() {
        for child in directory_children(&directory).await {
            let path = format!("{prefix}{}", child.name());
            if child.is_directory() {
                pending.push((format!("{path}/"), child.unchecked_into()));
            } else if let Some(file) = entry_file(child.unchecked_into()).await {
                files.push((path, file));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Some(Dropped::Folder { name, files })
}

async fn entry_file(entry: FileSystemFileEntry) -> Option<File> {
    let promise = Promise::new(&mut |resolve, reject| entry.file_with_callback_and_callback(&resolve, &reject));
    JsFuture::from(promise).await.ok().map(JsCast::unchecked_into)
}

/// All children of a directory: `readEntries` hands them out in batches until an empty one.
async fn directory_children(directory: &FileSystemDirectoryEntry) -> Vec<FileSystemEntry> {
    let reader = directory.create_reader();
    let mut children = Vec::new();
    loop {
        let promise = Promise::new(&mut |resolve, reject| {
            let _ = reader.read_entries_with_callback_and_callback(&resolve, &reject);
        });
        let Ok(batch) = JsFuture::from(promise).await else {
            break;
        };
        let batch = Array::from(&batch);
        if batch.length() == 0 {
            break;
        }
        children.extend(batch.iter().map(JsCast::unchecked_into::<FileSystemEntry>));
    }
    children
}
