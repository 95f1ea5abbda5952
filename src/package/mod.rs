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
//!
//! Several readers can share one package ([`open_part`]): the page gives each of its workers a
//! [`Part`] of the work, and every member and problem comes with its [`Order`], so that what
//! the parts deliver, put together in that order, is what one whole reading delivers.

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

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::files::FileKind;

#[cfg(not(target_arch = "wasm32"))]
pub use folder::{open_folder, open_folder_part};
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

/// One share of a package's work when several readers (the page's workers) read the same
/// package: part `index` of `count`. Every part reads what is cheap alike: the package's own
/// archive and executables whose embedded code is found. What is costly falls to one part
/// each, the same choice in every part, once all of it is known (the most work first, each to
/// the part with the least so far): opening a nested archive or an opaque binary's strings (a
/// *unit*), and analysing a text member. A part is handed its text smallest first, then opens
/// its units. Every other member, and the problems with what all parts read alike, come from
/// part 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub index: u32,
    pub count: u32,
}

/// Where a member or problem comes in a whole reading of the package: sorting what the parts
/// of a shared reading delivered by `Order` gives the order one reader delivers it in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Order {
    /// Its place among what every part reads alike, or the place of the unit it is in.
    pub unit: u64,
    /// Its place within that unit (the unit's own member comes last); 0 outside one.
    pub seq: u64,
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
    /// Set when this member is itself an archive that was opened; its members come before it.
    pub archive: Option<Format>,
    pub order: Order,
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
    pub order: Order,
}

/// Receives members and problems as the package is read, so that a consumer can keep only what
/// it needs (a 250 MB executable is analysed and dropped, not held).
pub trait Sink {
    fn member(&mut self, member: Member);
    fn error(&mut self, error: PackageError);
    /// In a shared reading ([`open_part`]): everything every part reads alike has been read
    /// (the package is `format`), and this part's units are opened next.
    fn shared_read(&mut self, _format: Format) {}
}

/// Whether `bytes` start like something [`open`] unpacks: an archive, a compressed stream, an
/// executable or a WebAssembly module.
pub fn is_container(bytes: &[u8]) -> bool {
    sniff(bytes).is_some()
}

/// Opens `bytes` named `name` (the dropped file's name): an archive is unpacked, anything else
/// becomes a single member called `name`. Returns the package's format.
pub fn open(name: &str, bytes: &[u8], limits: Limits, sink: &mut dyn Sink) -> Format {
    read_bytes(name, bytes, Unpacker::new(limits, None, sink))
}

/// [`open`], as `part` of a reading shared by several readers (see [`Part`]). With one part it
/// reads everything, opening nested archives and opaque binaries after the rest.
pub fn open_part(name: &str, bytes: &[u8], limits: Limits, part: Part, sink: &mut dyn Sink) -> Format {
    read_bytes(name, bytes, Unpacker::new(limits, Some(part), sink))
}

fn read_bytes(name: &str, bytes: &[u8], mut unpacker: Unpacker<'_>) -> Format {
    let format = match sniff(bytes) {
        Some(container) => unpacker.open_container(container, bytes, name, "", 0),
        None => {
            let path = names::display(name.as_bytes());
            unpacker.deliver_as(path, Cow::Borrowed(bytes), bytes.len() as u64, 0, None);
            Format::File
        }
    };
    unpacker.open_units(format);
    format
}

/// Opens a set of loose files (a folder dropped onto the page, or read from disk) whose paths are
/// relative to the folder; archives among them are opened like nested archives.
pub fn open_files(files: impl IntoIterator<Item = (String, Vec<u8>)>, limits: Limits, sink: &mut dyn Sink) -> Format {
    read_files(files, Unpacker::new(limits, None, sink))
}

/// [`open_files`], as `part` of a reading shared by several readers (see [`Part`]).
pub fn open_files_part(
    files: impl IntoIterator<Item = (String, Vec<u8>)>,
    limits: Limits,
    part: Part,
    sink: &mut dyn Sink,
) -> Format {
    read_files(files, Unpacker::new(limits, Some(part), sink))
}

fn read_files(files: impl IntoIterator<Item = (String, Vec<u8>)>, mut unpacker: Unpacker<'_>) -> Format {
    for (path, data) in files {
        if let Err(exhausted) = unpacker.budget.take_file() {
            unpacker.error(&path, exhausted.to_string());
            break;
        }
        let size = data.len() as u64;
        unpacker.budget.charge(size);
        unpacker.deliver(path, data, size, 0);
    }
    unpacker.open_units(Format::Folder);
    Format::Folder
}

/// What a piece of work costs the page's engine, in rough nanoseconds per byte: analysing
/// script, reading an opaque binary's strings and parsing them, inflating an archive and
/// reading what it holds. Only their ratios matter: they balance the parts of a shared reading.
/// Measured in Chromium on the corpus: script 80 (gemini-cli's bundles) to 230 (claude-code's
/// cli.js), claude-code's vendored binaries 8 to 20, its jars 20.
const SCRIPT_COST: u64 = 200;
const STRINGS_COST: u64 = 10;
const ARCHIVE_COST: u64 = 20;

/// The state of one unpacking run: the shared budget, the consumer, and, in a shared reading,
/// the work given to each part so far.
struct Unpacker<'s> {
    budget: Budget,
    sink: &'s mut dyn Sink,
    part: Part,
    /// A shared reading ([`open_part`]); a whole one opens everything as it comes.
    shared_reading: bool,
    /// The work each part has been given so far.
    loads: Vec<u64>,
    /// The next place among what every part reads alike.
    next_shared: u64,
    /// Inside one of this part's units: the next place in it.
    in_unit: Option<Order>,
    /// The units and text every part read alike, with the work each is, to be shared out once
    /// all of them are known.
    held: Vec<(u64, Held)>,
}

/// Work held until a shared reading has read all that every part reads alike.
enum Held {
    /// Text, to analyse.
    Member(Member),
    Unit(Unit),
}

impl Held {
    fn order(&self) -> Order {
        match self {
            Held::Member(member) => member.order,
            Held::Unit(unit) => Order {
                unit: unit.place,
                seq: 0,
            },
        }
    }
}

/// A nested archive or opaque binary that one part of a shared reading opens.
struct Unit {
    place: u64,
    path: String,
    data: Vec<u8>,
    size: u64,
    depth: u32,
    container: Container,
}

impl<'s> Unpacker<'s> {
    /// `part` is `None` for a whole reading.
    fn new(limits: Limits, part: Option<Part>, sink: &'s mut dyn Sink) -> Self {
        let shared_reading = part.is_some();
        let part = part.unwrap_or(Part { index: 0, count: 1 });
        Unpacker {
            budget: Budget::new(limits),
            sink,
            part,
            shared_reading,
            loads: vec![0; part.count.max(1) as usize],
            next_shared: 0,
            in_unit: None,
            held: Vec::new(),
        }
    }

    /// True while reading what every part of a shared reading reads alike.
    fn at_shared_level(&self) -> bool {
        self.shared_reading && self.in_unit.is_none()
    }

    /// The place of the next member or problem.
    fn next_order(&mut self) -> Order {
        match &mut self.in_unit {
            Some(next) => {
                let order = *next;
                next.seq += 1;
                order
            }
            None => {
                let order = Order {
                    unit: self.next_shared,
                    seq: 0,
                };
                self.next_shared += 1;
                order
            }
        }
    }

    /// Gives `weight` of work to the part with the least so far (the first of them on a tie):
    /// every part makes the same choice. True when that is this part.
    fn claim(&mut self, weight: u64) -> bool {
        let owner = (0..self.loads.len()).min_by_key(|&i| (self.loads[i], i)).unwrap_or(0);
        self.loads[owner] += weight;
        owner == self.part.index as usize
    }

    fn error(&mut self, file: &str, message: impl Into<String>) {
        let order = self.next_order();
        // What every part reads alike, part 0 reports.
        if self.at_shared_level() && self.part.index != 0 {
            return;
        }
        self.sink.error(PackageError {
            file: file.to_string(),
            message: message.into(),
            order,
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
        self.deliver_as(path, Cow::Owned(data), size, depth, container);
    }

    /// Hands one member to the sink, first opening it as `container` (when given). In a shared
    /// reading, a costly container becomes a unit of the part that claims it, and any other
    /// member goes to the sink of the part that claims it.
    fn deliver_as(&mut self, path: String, data: Cow<'_, [u8]>, size: u64, depth: u32, container: Option<Container>) {
        let container = container.filter(|c| !matches!(c, Container::Unsupported(_)));
        let complete = data.len() as u64 == size;
        let container = match container {
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
            other => other,
        };
        let shared = self.at_shared_level();
        if shared && let Some(container) = container.filter(|&c| is_costly(c, &data)) {
            let place = self.next_shared;
            self.next_shared += 1;
            let per_byte = match container {
                Container::Executable | Container::Opaque => STRINGS_COST,
                _ => ARCHIVE_COST,
            };
            let unit = Unit {
                place,
                path,
                data: data.into_owned(),
                size,
                depth,
                container,
            };
            self.held.push((size * per_byte, Held::Unit(unit)));
            return;
        }
        let archive = container.map(|container| {
            let prefix = format!("{path}!/");
            self.open_container(container, &data, &path, &prefix, depth + 1)
        });
        let order = self.next_order();
        let member = Member {
            path,
            size,
            data: data.into_owned(),
            archive,
            order,
        };
        if !shared {
            self.sink.member(member);
            return;
        }
        // Text is shared out once all of it is known; the rest is only listed, by part 0.
        match member_cost(&member.path, &member.data) {
            0 if self.part.index == 0 => self.sink.member(member),
            0 => {}
            cost => self.held.push((cost, Held::Member(member))),
        }
    }

    /// Ends a shared reading: tells the sink that what all parts read alike is read, shares out
    /// the units and text held until now, hands it this part's text, then opens this part's
    /// units, each member of one in its place within it and the unit's own member last.
    fn open_units(&mut self, format: Format) {
        if !self.shared_reading {
            return;
        }
        self.sink.shared_read(format);
        // The most work first, each to the part with the least so far: the parts end close
        // together whatever order the package lists its files in.
        let mut held = std::mem::take(&mut self.held);
        held.sort_by(|(a_cost, a), (b_cost, b)| b_cost.cmp(a_cost).then(a.order().cmp(&b.order())));
        let (mut text, mut units) = (Vec::new(), Vec::new());
        for (cost, held) in held {
            if self.claim(cost) {
                match held {
                    Held::Member(member) => text.push((cost, member)),
                    Held::Unit(unit) => units.push(unit),
                }
            }
        }
        // Small files first: the first findings show early, and the rest follow as they come.
        text.sort_by(|(a_cost, a), (b_cost, b)| a_cost.cmp(b_cost).then(a.order.cmp(&b.order)));
        for (_, member) in text {
            self.sink.member(member);
        }
        units.sort_by_key(|unit| unit.place);
        for unit in units {
            let Unit {
                place,
                path,
                data,
                size,
                depth,
                container,
            } = unit;
            self.in_unit = Some(Order { unit: place, seq: 0 });
            let prefix = format!("{path}!/");
            let archive = self.open_container(container, &data, &path, &prefix, depth + 1);
            let order = self.next_order();
            self.sink.member(Member {
                path,
                size,
                data,
                archive: Some(archive),
                order,
            });
            self.in_unit = None;
        }
    }
}

/// Whether opening `container` is worth giving to one part: everything but an executable
/// whose embedded code is found (reading that is slicing, and its modules are shared out).
fn is_costly(container: Container, bytes: &[u8]) -> bool {
    match container {
        Container::Executable => !executable::has_embedded(bytes),
        Container::Unsupported(_) => false,
        _ => true,
    }
}

/// The work a member is to its part: script is analysed, other text only kept.
fn member_cost(path: &str, data: &[u8]) -> u64 {
    let per_byte = match crate::files::classify(path, data) {
        FileKind::Javascript | FileKind::Typescript => SCRIPT_COST,
        FileKind::Json | FileKind::Python | FileKind::Text => 1,
        _ => 0,
    };
    data.len() as u64 * per_byte
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
            self.deliver_as(path, Cow::Owned(Vec::new()), size, depth, None);
            return true;
        }
        self.budget.charge(size);
        // Copied only by the part that delivers it.
        self.deliver_as(path, Cow::Borrowed(bytes), size, depth, container);
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
