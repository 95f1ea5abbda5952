//! Compiled executables (ELF, Mach-O thin and universal, PE) and WebAssembly. More and more tools
//! ship as one executable per platform with their JavaScript inside; the code a packager embedded
//! is opened like a nested archive, each module a member (`package/bin/tool!/root/cli.js`):
//!
//! - `bun build --compile`: the standalone module graph, in a `.bun` section (ELF, PE), a
//!   `__BUN` segment (Mach-O) or appended to the file by older Bun ([`bun`]);
//! - Node.js single-executable applications: the `NODE_SEA_BLOB` note (ELF), section (Mach-O)
//!   or resource (PE) ([`sea`]);
//! - `deno compile`: the `d3n0l4nd` data section (an ELF note, a Mach-O section, a PE resource;
//!   appended to the file by older Deno), its virtual file system and remote modules, or the
//!   eszip of Deno before 2.1 ([`deno`]);
//! - vercel/pkg and `@yao-pkg/pkg`: the payload and prelude appended to a patched Node.js, files
//!   decompressed when pkg compressed them ([`pkg`]).
//!
//! Anything else is [`Format::Opaque`]: another executable, a `.node` addon, WebAssembly, a
//! JavaScriptCore bytecode module. Its printable strings become the member `!/strings.js` and long
//! JavaScript-looking text in it `!/text@<offset>.js` ([`strings`]), so the endpoint and keyword
//! rules and the parser still see what can be seen.
//!
//! Everything is read in place from slices of the executable's bytes: a 250 MB binary is never
//! copied, only the modules taken out of it are (and what pkg compressed, inflated within the
//! budget).

mod bun;
mod deno;
mod pkg;
mod sea;
mod strings;

use std::io::Read;

use object::read::elf::{FileHeader, ProgramHeader};
use object::read::macho::FatArch;
use object::{Object, ObjectSection};

use super::{Container, Format, Unpacker, names, read_member, sniff};

/// Application code a packager put into an executable, found by where it lives.
#[derive(Debug)]
enum Embedded<'a> {
    /// Bytes that end with a Bun module graph (a section, or the executable itself).
    Bun(&'a [u8]),
    /// A Node.js single-executable blob.
    NodeSea(&'a [u8]),
    /// A `deno compile` data section (starting with `d3n0l4nd`).
    Deno(&'a [u8]),
    /// An executable Deno 1.x appended its program to (trailer at the end).
    DenoAppended(&'a [u8]),
    /// An executable with pkg's prelude at this offset.
    Pkg(&'a [u8], usize),
}

/// One executable in a file: a thin file has one, a universal Mach-O one per architecture.
#[derive(Debug)]
struct Slice<'a> {
    /// The architecture, named only for the slices of a universal binary.
    architecture: Option<String>,
    embedded: Vec<Embedded<'a>>,
}

/// Opens an executable: its embedded modules when a packager left them, its strings otherwise.
pub(super) fn read(unpacker: &mut Unpacker<'_>, bytes: &[u8], archive: &str, prefix: &str, depth: u32) -> Format {
    let slices = match find_embedded(bytes) {
        Ok(slices) => slices,
        Err(problem) => {
            unpacker.error(
                archive,
                format!("executable headers cannot be read ({problem}); read for its strings"),
            );
            Vec::new()
        }
    };
    let mut format = None;
    for slice in slices {
        let prefix = match &slice.architecture {
            Some(architecture) => format!("{prefix}{architecture}/"),
            None => prefix.to_string(),
        };
        for embedded in slice.embedded {
            let opened = match embedded {
                Embedded::Bun(region) => match bun::parse(region) {
                    Ok(graph) => {
                        deliver_bun(unpacker, &graph, archive, &prefix, depth);
                        Some(Format::Bun)
                    }
                    Err(problem) => {
                        unpacker.error(archive, format!("Bun module graph: {problem}"));
                        None
                    }
                },
                Embedded::NodeSea(blob) => match sea::parse(blob) {
                    Ok(sea) => {
                        deliver_sea(unpacker, &sea, archive, &prefix, depth);
                        Some(Format::NodeSea)
                    }
                    Err(problem) => {
                        unpacker.error(archive, format!("Node.js single-executable blob: {problem}"));
                        None
                    }
                },
                Embedded::Deno(section) => open_deno(unpacker, deno::parse_section(section), archive, &prefix, depth),
                Embedded::DenoAppended(file) => {
                    open_deno(unpacker, deno::parse_appended(file), archive, &prefix, depth)
                }
                Embedded::Pkg(thin, prelude_at) => match pkg::parse(thin, prelude_at) {
                    Ok(payload) => {
                        deliver_pkg(unpacker, &payload, archive, &prefix, depth);
                        Some(Format::Pkg)
                    }
                    Err(problem) => {
                        unpacker.error(archive, format!("pkg payload: {problem}"));
                        None
                    }
                },
            };
            format = format.or(opened);
        }
    }
    match format {
        Some(format) => format,
        None => read_strings(unpacker, bytes, archive, prefix, depth),
    }
}

/// Whether an executable holds code a packager embedded that can be opened (rather than only
/// its strings read).
pub(super) fn has_embedded(bytes: &[u8]) -> bool {
    find_embedded(bytes).is_ok_and(|slices| slices.iter().any(|slice| !slice.embedded.is_empty()))
}

/// Reads opaque bytes for their strings and JavaScript-looking text, delivered as members.
pub(super) fn read_strings(
    unpacker: &mut Unpacker<'_>,
    bytes: &[u8],
    archive: &str,
    prefix: &str,
    depth: u32,
) -> Format {
    let found = strings::extract(bytes);
    for (offset, text) in &found.regions {
        if !unpacker.deliver_slice(archive, format!("{prefix}text@{offset:#x}.js"), text, depth) {
            return Format::Opaque;
        }
    }
    if found.truncated {
        unpacker.error(
            archive,
            format!(
                "only the first {} of strings were kept",
                super::human_bytes(strings::MAX_LISTING_BYTES as u64)
            ),
        );
    }
    if !found.listing.is_empty() {
        unpacker.deliver_slice(archive, format!("{prefix}strings.js"), &found.listing, depth);
    }
    Format::Opaque
}

/// Where the embedded code is, per executable format. A header that cannot be parsed is an error;
/// an executable with nothing embedded is an empty list.
fn find_embedded(bytes: &[u8]) -> Result<Vec<Slice<'_>>, String> {
    use object::FileKind;
    // WebAssembly has no sections of ours (and object's wasm reader is not built in).
    if bytes.starts_with(b"\0asm") {
        return Ok(Vec::new());
    }
    let kind = FileKind::parse(bytes).map_err(|e| e.to_string())?;
    if kind == FileKind::MachOFat32 {
        let fat = object::read::macho::MachOFatFile32::parse(bytes).map_err(|e| e.to_string())?;
        let mut slices = Vec::new();
        for arch in fat.arches() {
            let Ok(thin) = arch.data(bytes) else {
                return Err(format!("the {:?} slice lies outside the file", arch.architecture()));
            };
            let embedded = find_in_thin(thin)?;
            if !embedded.is_empty() {
                slices.push(Slice {
                    architecture: Some(format!("{:?}", arch.architecture()).to_ascii_lowercase()),
                    embedded,
                });
            }
        }
        return Ok(slices);
    }
    let embedded = find_in_thin(bytes)?;
    Ok(vec![Slice {
        architecture: None,
        embedded,
    }])
}

/// Bun's section (ELF, PE: `.bun`; Mach-O: `__BUN,__bun`), else a graph older Bun appended to the
/// file; Node's blob (ELF: a note, Mach-O: `NODE_SEA,__NODE_SEA_BLOB`, PE: an `RCDATA` resource);
/// Deno's section (ELF: a libsui note, Mach-O: `__SUI,d3n0l4nd`, PE: an `RCDATA` resource), else
/// one older Deno or libsui appended; and only when none of these is there, pkg's prelude.
fn find_in_thin(bytes: &[u8]) -> Result<Vec<Embedded<'_>>, String> {
    let mut found = Vec::new();
    let file = object::File::parse(bytes).map_err(|e| e.to_string())?;
    for section in file.sections() {
        let segment = section.segment_name().ok().flatten().unwrap_or("");
        let name = section.name().unwrap_or("");
        let is_bun = matches!((segment, name), ("", ".bun") | ("__BUN", "__bun"));
        let is_sea = (segment, name) == ("NODE_SEA", "__NODE_SEA_BLOB");
        let is_deno = (segment, name.as_bytes()) == ("__SUI", &deno::MAGIC[..]);
        if !is_bun && !is_sea && !is_deno {
            continue;
        }
        let data = section
            .data()
            .map_err(|_| format!("section {name} lies outside the file"))?;
        // Bun itself carries an empty section for the graph it would run.
        if data.iter().all(|&b| b == 0) {
            continue;
        }
        found.push(if is_bun {
            Embedded::Bun(data)
        } else if is_sea {
            Embedded::NodeSea(data)
        } else {
            Embedded::Deno(data)
        });
    }
    match &file {
        object::File::Elf64(elf) => found.extend(elf_notes(elf.elf_header(), bytes)?),
        object::File::Elf32(elf) => found.extend(elf_notes(elf.elf_header(), bytes)?),
        object::File::Pe64(pe) => found.extend(pe_resource(pe.data_directories(), &pe.section_table(), bytes)?),
        object::File::Pe32(pe) => found.extend(pe_resource(pe.data_directories(), &pe.section_table(), bytes)?),
        _ => {}
    }
    if !found.iter().any(|e| matches!(e, Embedded::Bun(_))) && bun::has_appended_graph(bytes) {
        found.push(Embedded::Bun(&bytes[..bytes.len() - 8]));
    }
    if !found.iter().any(|e| matches!(e, Embedded::Deno(_))) {
        if let Some(section) = deno::appended_section(bytes) {
            found.push(Embedded::Deno(section));
        } else if deno::has_appended_program(bytes) {
            found.push(Embedded::DenoAppended(bytes));
        }
    }
    // pkg leaves no header or section: look for its prelude only when nothing else is there.
    if found.is_empty()
        && let Some(prelude_at) = pkg::find(bytes)
    {
        found.push(Embedded::Pkg(bytes, prelude_at));
    }
    Ok(found)
}

/// The notes of an ELF executable's note segments: `NODE_SEA_BLOB` (postject) and libsui's `SUI`
/// note with Deno's section.
fn elf_notes<'a, Elf: FileHeader<Endian = object::Endianness>>(
    header: &Elf,
    bytes: &'a [u8],
) -> Result<Vec<Embedded<'a>>, String> {
    let endian = header.endian().map_err(|e| e.to_string())?;
    let segments = header.program_headers(endian, bytes).map_err(|e| e.to_string())?;
    let (mut sea, mut deno) = (None, None);
    for segment in segments {
        let Ok(Some(mut notes)) = segment.notes(endian, bytes) else {
            continue;
        };
        while let Ok(Some(note)) = notes.next() {
            if note.name() == sea::RESOURCE_NAME.as_bytes() {
                sea.get_or_insert(Embedded::NodeSea(note.desc()));
            } else if note.name() == deno::NOTE_OWNER
                && note.n_type(endian) == deno::NOTE_TYPE
                && let Some(section) = deno::note_section(note.desc())
            {
                deno.get_or_insert(Embedded::Deno(section));
            }
        }
    }
    Ok(sea.into_iter().chain(deno).collect())
}

/// The named `RCDATA` resources of a PE executable: `NODE_SEA_BLOB` (postject) and `D3N0L4ND`
/// (libsui, for Deno).
fn pe_resource<'a>(
    directories: object::read::pe::DataDirectories<'a>,
    sections: &object::read::pe::SectionTable<'a>,
    bytes: &'a [u8],
) -> Result<Vec<Embedded<'a>>, String> {
    use object::read::pe::ResourceNameOrId;
    let mut found = Vec::new();
    let Ok(Some(directory)) = directories.resource_directory(bytes, sections) else {
        return Ok(found);
    };
    let Ok(root) = directory.root() else {
        return Ok(found);
    };
    for by_type in root.entries {
        if !matches!(by_type.name_or_id(), ResourceNameOrId::Id(object::pe::RT_RCDATA)) {
            continue;
        }
        let Some(names) = by_type.data(directory).ok().and_then(|d| d.table()) else {
            continue;
        };
        for by_name in names.entries {
            let ResourceNameOrId::Name(name) = by_name.name_or_id() else {
                continue;
            };
            let Ok(name) = name.to_string_lossy(directory) else {
                continue;
            };
            let is_sea = name.eq_ignore_ascii_case(sea::RESOURCE_NAME);
            let is_deno = name.as_bytes().eq_ignore_ascii_case(deno::MAGIC);
            if !is_sea && !is_deno {
                continue;
            }
            let Some(languages) = by_name.data(directory).ok().and_then(|d| d.table()) else {
                continue;
            };
            let Some(entry) = languages
                .entries
                .iter()
                .find_map(|language| language.data(directory).ok().and_then(|d| d.data()))
            else {
                continue;
            };
            let rva = entry.offset_to_data.get(object::LittleEndian);
            let size = entry.size.get(object::LittleEndian) as usize;
            let data = sections
                .pe_data_at(bytes, rva)
                .and_then(|data| data.get(..size))
                .ok_or_else(|| format!("the {name} resource lies outside the file"))?;
            found.push(if is_sea {
                Embedded::NodeSea(data)
            } else {
                Embedded::Deno(data)
            });
        }
    }
    Ok(found)
}

/// Delivers the modules of a Bun graph; names lose Bun's virtual root (`/$bunfs/`, `B:/~BUN/`).
fn deliver_bun(unpacker: &mut Unpacker<'_>, graph: &bun::Graph<'_>, archive: &str, prefix: &str, depth: u32) {
    for module in &graph.modules {
        let path = format!("{prefix}{}", names::display(module.display_name()));
        for trick in names::tricks(module.display_name()) {
            unpacker.error(
                &path,
                format!("{trick}; shown as text only, nothing is written to disk"),
            );
        }
        let delivered = if module.contents.is_empty() && !module.bytecode.is_empty() {
            // Compiled with `--bytecode` and no source kept: only its strings can be read.
            unpacker.deliver_slice_as(archive, path, module.bytecode, depth, Some(Container::Opaque))
        } else if module.latin1 && std::str::from_utf8(module.contents).is_err() {
            // Bun stores JavaScript as Latin-1; the analysis reads UTF-8.
            let text: String = module.contents.iter().map(|&b| char::from(b)).collect();
            unpacker.deliver_slice(archive, path, text.as_bytes(), depth)
        } else {
            unpacker.deliver_slice(archive, path, module.contents, depth)
        };
        if !delivered {
            return;
        }
    }
}

/// Delivers a Node.js single-executable application's main script (or, when it was built from a
/// V8 snapshot, the snapshot's strings) and its assets.
fn deliver_sea(unpacker: &mut Unpacker<'_>, sea: &sea::Blob<'_>, archive: &str, prefix: &str, depth: u32) {
    let name = names::display(&sea.main_name());
    let path = format!("{prefix}{name}");
    let delivered = match sea.main {
        sea::Main::Script(code) => unpacker.deliver_slice(archive, path, code, depth),
        sea::Main::Snapshot(snapshot) => {
            unpacker.deliver_slice_as(archive, path, snapshot, depth, Some(Container::Opaque))
        }
    };
    if !delivered {
        return;
    }
    for (key, content) in &sea.assets {
        let path = format!("{prefix}assets/{}", names::display(key));
        for trick in names::tricks(key) {
            unpacker.error(
                &path,
                format!("{trick}; shown as text only, nothing is written to disk"),
            );
        }
        if !unpacker.deliver_slice(archive, path, content, depth) {
            return;
        }
    }
}

/// Delivers a parsed `deno compile` program, or reports why it could not be parsed.
fn open_deno(
    unpacker: &mut Unpacker<'_>,
    parsed: Result<Vec<deno::Module<'_>>, String>,
    archive: &str,
    prefix: &str,
    depth: u32,
) -> Option<Format> {
    match parsed {
        Ok(modules) => {
            deliver_deno(unpacker, &modules, archive, prefix, depth);
            Some(Format::Deno)
        }
        Err(problem) => {
            unpacker.error(archive, format!("deno compile program: {problem}"));
            None
        }
    }
}

/// Delivers the files and remote modules of a `deno compile` program.
fn deliver_deno(unpacker: &mut Unpacker<'_>, modules: &[deno::Module<'_>], archive: &str, prefix: &str, depth: u32) {
    for module in modules {
        let path = format!("{prefix}{}", names::display(module.name.as_bytes()));
        for trick in names::tricks(module.name.as_bytes()) {
            unpacker.error(
                &path,
                format!("{trick}; shown as text only, nothing is written to disk"),
            );
        }
        if !unpacker.deliver_slice(archive, path, module.source, depth) {
            return;
        }
    }
}

/// Delivers the files of a pkg snapshot (`snapshot/app/index.js`): the content when pkg kept it,
/// else the V8 bytecode, opaque, for its strings. Compressed stripes are inflated within the
/// budget.
fn deliver_pkg(unpacker: &mut Unpacker<'_>, payload: &pkg::Payload<'_>, archive: &str, prefix: &str, depth: u32) {
    for file in &payload.files {
        let path = format!("{prefix}{}", names::display(file.path.as_bytes()));
        for trick in names::tricks(file.path.as_bytes()) {
            unpacker.error(
                &path,
                format!("{trick}; shown as text only, nothing is written to disk"),
            );
        }
        // Sources are kept only for `--public` packages or `--no-bytecode` builds.
        let (stored, container) = match (file.content, file.bytecode) {
            (Some(content), _) => (content, None),
            (None, Some(bytecode)) => (bytecode, Some(Container::Opaque)),
            (None, None) => continue,
        };
        let delivered = if payload.compression == pkg::Compression::None {
            let container = container.or_else(|| sniff(stored));
            unpacker.deliver_slice_as(archive, path, stored, depth, container)
        } else {
            match pkg::reader(payload.compression, stored) {
                Ok(mut reader) => deliver_inflated(unpacker, archive, path, &mut reader, depth, container),
                Err(problem) => {
                    unpacker.error(&path, problem);
                    true
                }
            }
        };
        if !delivered {
            return;
        }
    }
}

/// Delivers what `reader` inflates, up to the budget's allowance (a bomb is cut there and
/// reported); false once the file budget is spent.
fn deliver_inflated(
    unpacker: &mut Unpacker<'_>,
    archive: &str,
    path: String,
    reader: &mut dyn Read,
    depth: u32,
    container: Option<Container>,
) -> bool {
    if let Err(exhausted) = unpacker.budget.take_file() {
        unpacker.error(archive, exhausted.to_string());
        return false;
    }
    let (data, problem) = read_member(reader, None, unpacker.budget.member_allowance());
    unpacker.budget.charge(data.len() as u64);
    if let Some(problem) = problem {
        unpacker.error(&path, problem);
    }
    let size = data.len() as u64;
    let container = container.or_else(|| sniff(&data));
    unpacker.deliver_as(path, std::borrow::Cow::Owned(data), size, depth, container);
    true
}
