//! A folder on disk (the CLI's `telltale scan DIR`): every regular file below it, in a stable
//! order, archives among them opened like nested archives. Symbolic links are reported, never
//! followed, so a package cannot point the scan at the rest of the machine.

use std::path::Path;

use super::{Format, Limits, PackageError, Sink, open_files};

/// Walks `root` and hands its files to the sink; paths are relative to `root`, with `/`.
pub fn open_folder(root: &Path, limits: Limits, sink: &mut dyn Sink) -> Format {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    walk(root, "", &mut files, &mut problems, limits.max_files);
    for problem in problems {
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
                });
                None
            }
        });
    let format = open_files(contents, limits, sink);
    for problem in unreadable {
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
