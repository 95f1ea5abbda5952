//! A folder on disk (the CLI's `telltale scan DIR`): every regular file below it, in a stable
//! order, archives among them opened like nested archives. Symbolic links are reported, never
//! followed, so a package cannot point the scan at the rest of the machine.

use std::path::Path;

use super::{Format, Limits, Order, PackageError, Part, Sink, open_files, open_files_part};

/// Walks `root` and hands its files to the sink; paths are relative to `root`, with `/`.
pub fn open_folder(root: &Path, limits: Limits, sink: &mut dyn Sink) -> Format {
    read(root, limits, None, sink)
}

/// [`open_folder`], as `part` of a reading shared by several readers (see [`Part`]).
pub fn open_folder_part(root: &Path, limits: Limits, part: Part, sink: &mut dyn Sink) -> Format {
    read(root, limits, Some(part), sink)
}

fn read(root: &Path, limits: Limits, part: Option<Part>, sink: &mut dyn Sink) -> Format {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    walk(root, "", &mut files, &mut problems, limits.max_files);
    // Every part walks the folder; part 0 reports what is wrong with it.
    let reports = part.is_none_or(|part| part.index == 0);
    for problem in problems.into_iter().filter(|_| reports) {
        sink.error(problem);
    }
    // Read lazily so only one file is in memory beyond what the sink keeps.
    let mut unreadable = Vec::new();
    let contents = files
        .into_iter()
        .filter_map(|relative: String| match std::fs::read(root.join(&relative)) {
            Ok(data) => Some((relative, data)),
            Err(error) => {
                unreadable.push(PackageError {
                    file: relative,
                    message: format!("file cannot be read: {error}"),
                    // Reported after the files.
                    order: Order {
                        unit: u64::MAX,
                        seq: unreadable.len() as u64,
                    },
                });
                None
            }
        });
    let format = match part {
        Some(part) => open_files_part(contents, limits, part, sink),
        None => open_files(contents, limits, sink),
    };
    for problem in unreadable.into_iter().filter(|_| reports) {
        sink.error(problem);
    }
    format
}

fn walk(dir: &Path, relative: &str, files: &mut Vec<String>, problems: &mut Vec<PackageError>, max_files: u64) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            problems.push(PackageError {
                file: relative.to_string(),
                message: format!("folder cannot be read: {error}"),
                order: Order::default(),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        if files.len() as u64 > max_files {
            return;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if relative.is_empty() {
            name.clone()
        } else {
            format!("{relative}/{name}")
        };
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_symlink() {
            problems.push(PackageError {
                file: path,
                message: "symbolic link: not followed".to_string(),
                order: Order::default(),
            });
        } else if file_type.is_dir() {
            // Version-control internals are not part of what gets installed.
            if name != ".git" {
                walk(&entry.path(), &path, files, problems, max_files);
            }
        } else if file_type.is_file() {
            files.push(path);
        }
    }
}
