//! tar archives (POSIX, GNU, pax, v7), read as a stream so a `.tgz` is inflated once, member by
//! member, never whole.

use std::io::Read;

use tar::EntryType;

use super::{Format, Unpacker, io_message, names, read_member};

/// How much of a gzip stream is read past the tar's end marker (padding, normally under 10 KiB)
/// to reach gzip's CRC and length trailer.
const TRAILER_READ_LIMIT: u64 = 1 << 20;

/// Reads tar entries from `reader` (raw tar, or a gzip stream when `gzipped`) and delivers each
/// regular file; returns the format the archive's layout shows.
pub(super) fn read(
    unpacker: &mut Unpacker<'_>,
    reader: impl Read,
    archive: &str,
    prefix: &str,
    depth: u32,
    gzipped: bool,
) -> Format {
    let mut listed = Vec::new();
    let mut tar = tar::Archive::new(reader);
    let entries = match tar.entries() {
        Ok(entries) => entries,
        Err(error) => {
            unpacker.error(archive, format!("not a readable tar archive: {error}"));
            return refine(&listed, gzipped);
        }
    };
    // Whether the entries ran to the end marker, rather than stopping at damage or a budget.
    let mut reached_end = true;
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                unpacker.error(archive, tar_message(&error, listed.len()));
                reached_end = false;
                break;
            }
        };
        let raw_name = entry.path_bytes().into_owned();
        let path = format!("{prefix}{}", names::display(&raw_name));
        for trick in names::tricks(&raw_name) {
            unpacker.error(
                &path,
                format!("{trick}; shown as text only, nothing is written to disk"),
            );
        }
        let entry_type = entry.header().entry_type();
        match entry_type {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {}
            EntryType::Directory => continue,
            EntryType::Symlink | EntryType::Link => {
                let target = entry.link_name_bytes().map(|t| names::display(&t)).unwrap_or_default();
                let what = if entry_type == EntryType::Symlink {
                    "symbolic"
                } else {
                    "hard"
                };
                unpacker.error(&path, format!("{what} link to '{target}': not followed"));
                continue;
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                unpacker.error(&path, "device or FIFO entry: ignored");
                continue;
            }
            other => {
                unpacker.error(&path, format!("tar entry of type {other:?}: ignored"));
                continue;
            }
        }
        if let Err(exhausted) = unpacker.budget.take_file() {
            unpacker.error(archive, exhausted.to_string());
            reached_end = false;
            break;
        }
        listed.push(String::from_utf8_lossy(&raw_name).into_owned());
        let size = entry.size();
        if let Err(exhausted) = unpacker.budget.check_declared(size) {
            unpacker.error(&path, format!("not read: {exhausted}"));
            unpacker.deliver(path, Vec::new(), size, depth);
            continue;
        }
        let (data, problem) = read_member(&mut entry, Some(size), unpacker.budget.member_allowance());
        unpacker.budget.charge(data.len() as u64);
        let damaged = problem.is_some();
        if let Some(problem) = problem {
            unpacker.error(&path, problem);
        }
        unpacker.deliver(path, data, size, depth);
        if damaged {
            // The stream under this entry is broken; later headers cannot be trusted.
            reached_end = false;
            break;
        }
    }
    if reached_end && gzipped {
        // tar stops at its end marker, before gzip has checked its CRC: without this, damage
        // to member data that still inflates would go unreported.
        let mut rest = tar.into_inner().take(TRAILER_READ_LIMIT);
        if let Err(error) = std::io::copy(&mut rest, &mut std::io::sink()) {
            unpacker.error(archive, format!("gzip: {}", io_message(&error)));
        }
    }
    refine(&listed, gzipped)
}

fn tar_message(error: &std::io::Error, read_so_far: usize) -> String {
    let what = match error.kind() {
        std::io::ErrorKind::UnexpectedEof => "archive ends early (truncated)".to_string(),
        _ => format!("damaged tar data: {error}"),
    };
    format!("{what}; {read_so_far} files were read before it")
}

/// The package format a tar's layout shows: an npm tarball keeps everything under `package/`,
/// a Python sdist has `<name>-<version>/PKG-INFO`.
fn refine(listed: &[String], gzipped: bool) -> Format {
    let trimmed = |name: &str| name.trim_start_matches("./").to_string();
    if listed.iter().any(|n| trimmed(n) == "package/package.json") {
        return Format::Npm;
    }
    let is_sdist = listed.iter().any(|n| {
        let n = trimmed(n);
        let mut parts = n.split('/');
        matches!(
            (parts.next(), parts.next(), parts.next()),
            (Some(_), Some("PKG-INFO"), None)
        )
    });
    match (is_sdist, gzipped) {
        (true, _) => Format::Sdist,
        (false, true) => Format::TarGz,
        (false, false) => Format::Tar,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_layouts() {
        let npm = ["package/package.json".to_string(), "package/a.js".to_string()];
        assert_eq!(refine(&npm, true), Format::Npm);
        let sdist = ["pkg-1.0/PKG-INFO".to_string(), "pkg-1.0/setup.py".to_string()];
        assert_eq!(refine(&sdist, true), Format::Sdist);
        assert_eq!(refine(&["a".to_string()], false), Format::Tar);
        assert_eq!(refine(&["a".to_string()], true), Format::TarGz);
    }
}
