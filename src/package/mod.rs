//! The package layer: turns the bytes a person dropped (an npm tarball, a `.vsix`, a wheel, a
//! folder, one file) into a flat stream of [`Member`]s, opening nested archives recursively.
//!
//! Compiled executables are containers too: the JavaScript that Bun, Node.js and other packagers
//! embed in them is opened like a nested archive (`package/bin/tool!/root/cli.js`), and a binary
//! whose code cannot be read is marked [`Format::Opaque`] and yields its printable strings.
//!
//! Nothing here ever writes to disk or trusts a name from an archive: names are display text,
//! with `!/` separating an archive from a member inside it (`package/ext.vsix!/extension/a.js`,
//! the jar-URL convention). Broken input becomes [`PackageError`]s and the rest is still read.

mod crx;
mod executable;
#[cfg(not(target_arch = "wasm32"))]
mod folder;
mod gzip;
mod limits;
pub mod metadata;
mod names;
mod sniff;
mod tar;
mod zip;

use serde::{Deserialize, Serialize};

#[cfg(not(target_arch = "wasm32"))]
pub use folder::open_folder;
pub use limits::{Budget, Exhausted, Limits, human_bytes};
pub use sniff::{Container, sniff};

/// What kind of package (or nested archive) this is, recognised from its bytes and its layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// An npm tarball: gzip'd tar with `package/package.json`.
    Npm,
    Tar,
    #[serde(rename = "tar.gz")]
    TarGz,
    /// One gzip-compressed file that is not a tar.
    Gzip,
    Zip,
    /// A VS Code extension (zip with `extension.vsixmanifest`).
    Vsix,
    /// A Python wheel (zip with `*.dist-info/WHEEL`).
    Wheel,
    /// A Python source distribution (tar.gz with a top-level `PKG-INFO`).
    Sdist,
    /// A Java archive (zip with `META-INF/MANIFEST.MF`).
    Jar,
    /// A Chrome extension (`Cr24` header before a zip).
    Crx,
    /// A folder on disk or dropped onto the page.
    Folder,
    /// An executable made by `bun build --compile`: its embedded module graph was opened.
    Bun,
    /// A Node.js single-executable application: its `NODE_SEA_BLOB` (main script, assets) was
    /// opened.
    NodeSea,
    /// An executable made by `deno compile`: its embedded program (local files, remote modules)
    /// was opened.
    Deno,
    /// An executable made by vercel/pkg or `@yao-pkg/pkg`: its snapshot file system was opened.
    Pkg,
    /// Machine code or bytecode whose application code could not be read (any other executable,
    /// a `.node` addon, WebAssembly, JavaScriptCore bytecode, a V8 snapshot): only its printable
    /// strings, as the member `!/strings.js`, and long JavaScript-looking text in it, as
    /// `!/text@<offset>.js`, were read.
    Opaque,
    /// A single file that is not an archive.
    File,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Npm => "npm",
            Format::Tar => "tar",
            Format::TarGz => "tar.gz",
            Format::Gzip => "gzip",
            Format::Zip => "zip",
            Format::Vsix => "vsix",
            Format::Wheel => "wheel",
            Format::Sdist => "sdist",
            Format::Jar => "jar",
            Format::Crx => "crx",
            Format::Bun => "bun",
            Format::NodeSea => "node-sea",
            Format::Deno => "deno",
            Format::Pkg => "pkg",
            Format::Opaque => "opaque",
            Format::Folder => "folder",
            Format::File => "file",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One file of the package, nested archives flattened.
#[derive(Debug)]
pub struct Member {
    /// Display path: as the archive lists it, `!/` between nesting levels.
    pub path: String,
    /// Size as the archive declares it (what `tar -tv` / `unzip -l` show).
    pub size: u64,
    /// The contents; shorter than `size` when a limit or damage stopped the read.
    pub data: Vec<u8>,
    /// Set when this member is itself an archive that was opened; its members follow it.
    pub archive: Option<Format>,
}

impl Member {
    /// True when `data` holds the whole member.
    pub fn is_complete(&self) -> bool {
        self.data.len() as u64 == self.size
    }
}

/// A problem with one archive or member. Never fatal: the other members are still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageError {
    /// The archive or member the problem is about (display path).
    pub file: String,
    /// What is wrong, in words a person can act on.
    pub message: String,
}

/// Receives members and problems as the package is read, so that a consumer can keep only what
/// it needs (a 250 MB executable is analysed and dropped, not held).
pub trait Sink {
    fn member(&mut self, member: Member);
    fn error(&mut self, error: PackageError);
}

/// Whether `bytes` start like something [`open`] unpacks: an archive, a compressed stream, an
/// executable or a WebAssembly module.
pub fn is_container(bytes: &[u8]) -> bool {
    sniff(bytes).is_some()
}

/// Opens `bytes` named `name` (the dropped file's name): an archive is unpacked, anything else
/// becomes a single member called `name`. Returns the package's format.
pub fn open(name: &str, bytes: &[u8], limits: Limits, sink: &mut dyn Sink) -> Format {
    let mut unpacker = Unpacker::new(limits, sink);
    match sniff(bytes) {
        Some(container) => unpacker.open_container(container, bytes, name, "", 0),
        None => {
            unpacker.deliver(names::display(name.as_bytes()), bytes.to_vec(), bytes.len() as u64, 0);
            Format::File
        }
    }
}

/// Opens a set of loose files (a folder dropped onto the page, or read from disk) whose paths are
/// relative to the folder; archives among them are opened like nested archives.
pub fn open_files(files: impl IntoIterator<Item = (String, Vec<u8>)>, limits: Limits, sink: &mut dyn Sink) -> Format {
    let mut unpacker = Unpacker::new(limits, sink);
    for (path, data) in files {
        if let Err(exhausted) = unpacker.budget.take_file() {
            unpacker.error(&path, exhausted.to_string());
            break;
        }
        let size = data.len() as u64;
        unpacker.budget.charge(size);
        unpacker.deliver(path, data, size, 0);
    }
    Format::Folder
}

/// The state of one unpacking run: the shared budget and the consumer.
struct Unpacker<'s> {
    budget: Budget,
    sink: &'s mut dyn Sink,
}

impl<'s> Unpacker<'s> {
    fn new(limits: Limits, sink: &'s mut dyn Sink) -> Self {
        Unpacker {
            budget: Budget::new(limits),
            sink,
        }
    }

    fn error(&mut self, file: &str, message: impl Into<String>) {
        self.sink.error(PackageError {
            file: file.to_string(),
            message: message.into(),
        });
    }

    /// Opens a container whose bytes are in memory. `archive` is its display path (for messages),
    /// `prefix` what its members' paths start with, `depth` how deep it is nested.
    fn open_container(
        &mut self,
        container: Container,
        bytes: &[u8],
        archive: &str,
        prefix: &str,
        depth: u32,
    ) -> Format {
        match container {
            Container::Gzip => gzip::open(self, bytes, archive, prefix, depth),
            Container::Tar => tar::read(self, bytes, archive, prefix, depth, false),
            Container::Zip => zip::read(self, bytes, archive, prefix, depth),
            Container::Crx => crx::read(self, bytes, archive, prefix, depth),
            Container::Executable => executable::read(self, bytes, archive, prefix, depth),
            Container::Opaque => executable::read_strings(self, bytes, archive, prefix, depth),
            Container::Unsupported(what) => {
                self.error(
                    archive,
                    format!("{what}-compressed data is not supported; convert it to .tar.gz or .zip"),
                );
                Format::File
            }
        }
    }

    /// Hands one member to the sink, first opening it if it is an archive itself.
    fn deliver(&mut self, path: String, data: Vec<u8>, size: u64, depth: u32) {
        let container = sniff(&data);
        self.deliver_as(path, data, size, depth, container);
    }

    /// Hands one member to the sink, first opening it as `container` (when given).
    fn deliver_as(&mut self, path: String, data: Vec<u8>, size: u64, depth: u32, container: Option<Container>) {
        let container = container.filter(|c| !matches!(c, Container::Unsupported(_)));
        let complete = data.len() as u64 == size;
        let archive = match container {
            Some(_) if !complete => None,
            Some(_) if depth >= self.budget.limits.max_depth => {
                self.error(
                    &path,
                    format!(
                        "nested archive not opened: archives nest deeper than the limit of {}",
                        self.budget.limits.max_depth
                    ),
                );
                None
            }
            Some(container) => {
                let prefix = format!("{path}!/");
                Some(self.open_container(container, &data, &path, &prefix, depth + 1))
            }
            None => None,
        };
        self.sink.member(Member {
            path,
            size,
            data,
            archive,
        });
    }
}

impl Unpacker<'_> {
    /// Delivers a member whose bytes are a slice of the container's (a module taken out of an
    /// executable), under the budget; false once the file budget is spent.
    fn deliver_slice(&mut self, archive: &str, path: String, bytes: &[u8], depth: u32) -> bool {
        self.deliver_slice_as(archive, path, bytes, depth, sniff(bytes))
    }

    /// [`Self::deliver_slice`], opened as `container`.
    fn deliver_slice_as(
        &mut self,
        archive: &str,
        path: String,
        bytes: &[u8],
        depth: u32,
        container: Option<Container>,
    ) -> bool {
        if let Err(exhausted) = self.budget.take_file() {
            self.error(archive, exhausted.to_string());
            return false;
        }
        let size = bytes.len() as u64;
        if let Err(exhausted) = self.budget.check_declared(size) {
            self.error(&path, format!("not read: {exhausted}"));
            self.deliver_as(path, Vec::new(), size, depth, None);
            return true;
        }
        self.budget.charge(size);
        self.deliver_as(path, bytes.to_vec(), size, depth, container);
        true
    }
}

/// Reads up to `allowance` bytes of a member whose declared size is `declared` (when the format
/// declares one); reports a member that inflates past the allowance (a lying size header, a
/// bomb) instead of reading on.
fn read_member(reader: &mut dyn std::io::Read, declared: Option<u64>, allowance: u64) -> (Vec<u8>, Option<String>) {
    use std::io::Read;
    // Trust the declared size for the initial allocation only as far as the budget allows.
    let mut data = Vec::with_capacity(declared.unwrap_or(0).min(allowance) as usize);
    let mut limited = reader.take(allowance + 1);
    match limited.read_to_end(&mut data) {
        Ok(_) if data.len() as u64 > allowance => {
            data.truncate(allowance as usize);
            (
                data,
                Some(format!(
                    "inflates past its allowance of {}{}: read stopped (possible zip bomb)",
                    human_bytes(allowance),
                    declared
                        .map(|size| format!(" (declares {})", human_bytes(size)))
                        .unwrap_or_default()
                )),
            )
        }
        Ok(_) => (data, None),
        Err(error) => (data, Some(io_message(&error))),
    }
}

/// A short description of an I/O error from a decompressor or archive reader.
fn io_message(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::UnexpectedEof => "data ends early (truncated)".to_string(),
        _ => format!("damaged data: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects everything, for tests.
    #[derive(Default)]
    pub(crate) struct Collect {
        pub members: Vec<Member>,
        pub errors: Vec<PackageError>,
    }

    impl Sink for Collect {
        fn member(&mut self, member: Member) {
            self.members.push(member);
        }
        fn error(&mut self, error: PackageError) {
            self.errors.push(error);
        }
    }

    #[test]
    fn single_file_is_one_member() {
        let mut sink = Collect::default();
        let format = open("index.js", b"console.log(1)", Limits::default(), &mut sink);
        assert_eq!(format, Format::File);
        assert_eq!(sink.members.len(), 1);
        assert_eq!(sink.members[0].path, "index.js");
        assert!(sink.errors.is_empty());
    }

    #[test]
    fn unsupported_compression_is_named() {
        let mut sink = Collect::default();
        open("x.tar.xz", b"\xfd7zXZ\0\0\0", Limits::default(), &mut sink);
        assert!(sink.errors[0].message.contains("xz-compressed"));
    }
}
