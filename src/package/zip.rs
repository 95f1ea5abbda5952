//! zip and the formats built on it (`.vsix`, `.whl`, `.jar`). The central directory is the index;
//! when it is damaged, members are recovered from their local headers instead.

use std::io::Cursor;

use zip::ZipArchive;
use zip::read::{ZipFile, read_zipfile_from_stream};
use zip::result::ZipError;

use super::{Format, Unpacker, names, read_member};

pub(super) fn read(unpacker: &mut Unpacker<'_>, bytes: &[u8], archive: &str, prefix: &str, depth: u32) -> Format {
    let mut listed = Vec::new();
    match ZipArchive::new(Cursor::new(bytes)) {
        Ok(mut zip) => {
            for index in 0..zip.len() {
                let name = zip
                    .name_for_index(index)
                    .and_then(Result::ok)
                    .map(|n| format!("{prefix}{}", names::display(n.as_bytes())))
                    .unwrap_or_else(|| archive.to_string());
                match zip.by_index(index) {
                    Ok(mut file) => {
                        if !take(unpacker, &mut file, archive, prefix, depth, &mut listed) {
                            break;
                        }
                    }
                    Err(error) => {
                        let message = match error {
                            ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED) => {
                                "encrypted member: cannot be read without its password".to_string()
                            }
                            other => format!("zip member cannot be read: {other}"),
                        };
                        unpacker.error(&name, message);
                    }
                }
            }
        }
        Err(error) => {
            unpacker.error(
                archive,
                format!("zip central directory is unreadable ({error}); members recovered from local headers"),
            );
            let mut stream = Cursor::new(bytes);
            loop {
                match read_zipfile_from_stream(&mut stream) {
                    Ok(Some(mut file)) => {
                        if !take(unpacker, &mut file, archive, prefix, depth, &mut listed) {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(error) => {
                        unpacker.error(archive, format!("zip local headers end in damaged data: {error}"));
                        break;
                    }
                }
            }
        }
    }
    refine(&listed)
}

/// Reads one zip member and delivers it; false when the file budget is spent.
fn take<R: std::io::Read>(
    unpacker: &mut Unpacker<'_>,
    file: &mut ZipFile<'_, R>,
    archive: &str,
    prefix: &str,
    depth: u32,
    listed: &mut Vec<String>,
) -> bool {
    let raw_name = file.name_raw().to_vec();
    let path = format!("{prefix}{}", names::display(&raw_name));
    if file.is_dir() {
        return true;
    }
    for trick in names::tricks(&raw_name) {
        unpacker.error(
            &path,
            format!("{trick}; shown as text only, nothing is written to disk"),
        );
    }
    if file.is_symlink() {
        unpacker.error(&path, "symbolic link: not followed");
        return true;
    }
    if let Err(exhausted) = unpacker.budget.take_file() {
        unpacker.error(archive, exhausted.to_string());
        return false;
    }
    listed.push(String::from_utf8_lossy(&raw_name).into_owned());
    let size = file.size();
    if file.encrypted() {
        unpacker.error(&path, "encrypted member: cannot be read without its password");
        unpacker.deliver(path, Vec::new(), size, depth);
        return true;
    }
    if let Err(exhausted) = unpacker.budget.check_declared(size) {
        unpacker.error(&path, format!("not read: {exhausted}"));
        unpacker.deliver(path, Vec::new(), size, depth);
        return true;
    }
    let (data, problem) = read_member(file, Some(size), unpacker.budget.member_allowance());
    unpacker.budget.charge(data.len() as u64);
    if let Some(problem) = problem {
        unpacker.error(&path, problem);
    }
    unpacker.deliver(path, data, size, depth);
    true
}

/// What a zip's layout shows it to be.
fn refine(listed: &[String]) -> Format {
    if listed.iter().any(|n| n == "extension.vsixmanifest") {
        Format::Vsix
    } else if listed.iter().any(|n| n.ends_with(".dist-info/WHEEL")) {
        Format::Wheel
    } else if listed.iter().any(|n| n == "META-INF/MANIFEST.MF") {
        Format::Jar
    } else {
        Format::Zip
    }
}
