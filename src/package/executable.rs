//! Compiled executables (ELF, Mach-O thin and universal, PE) and WebAssembly. More and more tools
//! ship as one executable per platform with their JavaScript inside; the code a packager embedded
//! is opened like a nested archive, each module a member (`package/bin/tool!/root/cli.js`):
//!
//! - `bun build --compile`: the standalone module graph, in a `.bun` section (ELF, PE), a
//!   `__BUN` segment (Mach-O) or appended to the file by older Bun ([`bun`]);
//! - Node.js single-executable applications: the `NODE_SEA_BLOB` note (ELF), section (Mach-O)
//!   or resource (PE) ([`sea`]).
//!
//! Anything else is [`Format::Opaque`]: another executable, a `.node` addon, WebAssembly, a
//! JavaScriptCore bytecode module. Its printable strings become the member `!/strings.js` and long
//! JavaScript-looking text in it `!/text@<offset>.js` ([`strings`]), so the endpoint and keyword
//! rules and the parser still see what can be seen.
//!
//! Everything is read in place from slices of the executable's bytes: a 250 MB binary is never
//! copied, only the modules taken out of it are.

mod bun;
mod sea;
mod strings;

use object::read::elf::{FileHeader, ProgramHeader};
use object::read::macho::FatArch;
use object::{Object, ObjectSection};

use super::{Container, Format, Unpacker, names};

/// Application code a packager put into an executable, found by where it lives.
#[derive(Debug)]
enum Embedded<'a> {
    /// Bytes that end with a Bun module graph (a section, or the executable itself).
    Bun(&'a [u8]),
    /// A Node.js single-executable blob.
    NodeSea(&'a [u8]),
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
            };
            format = format.or(opened);
        }
    }
    match format {
        Some(format) => format,
        None => read_strings(unpacker, bytes, archive, prefix, depth),
    }
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
/// file; Node's blob (ELF: a note, Mach-O: `NODE_SEA,__NODE_SEA_BLOB`, PE: an `RCDATA` resource).
fn find_in_thin(bytes: &[u8]) -> Result<Vec<Embedded<'_>>, String> {
    let mut found = Vec::new();
    let file = object::File::parse(bytes).map_err(|e| e.to_string())?;
    for section in file.sections() {
        let segment = section.segment_name().ok().flatten().unwrap_or("");
        let name = section.name().unwrap_or("");
        let is_bun = matches!((segment, name), ("", ".bun") | ("__BUN", "__bun"));
        let is_sea = (segment, name) == ("NODE_SEA", "__NODE_SEA_BLOB");
        if !is_bun && !is_sea {
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
        } else {
            Embedded::NodeSea(data)
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
    Ok(found)
}

/// The `NODE_SEA_BLOB` note postject adds to an ELF executable.
fn elf_notes<'a, Elf: FileHeader<Endian = object::Endianness>>(
    header: &Elf,
    bytes: &'a [u8],
) -> Result<Option<Embedded<'a>>, String> {
    let endian = header.endian().map_err(|e| e.to_string())?;
    let segments = header.program_headers(endian, bytes).map_err(|e| e.to_string())?;
    for segment in segments {
        let Ok(Some(mut notes)) = segment.notes(endian, bytes) else {
            continue;
        };
        while let Ok(Some(note)) = notes.next() {
            if note.name() == sea::RESOURCE_NAME.as_bytes() {
                return Ok(Some(Embedded::NodeSea(note.desc())));
            }
        }
    }
    Ok(None)
}

/// The `NODE_SEA_BLOB` `RCDATA` resource postject adds to a PE executable.
fn pe_resource<'a>(
    directories: object::read::pe::DataDirectories<'a>,
    sections: &object::read::pe::SectionTable<'a>,
    bytes: &'a [u8],
) -> Result<Option<Embedded<'a>>, String> {
    use object::read::pe::ResourceNameOrId;
    let Ok(Some(directory)) = directories.resource_directory(bytes, sections) else {
        return Ok(None);
    };
    let Ok(root) = directory.root() else {
        return Ok(None);
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
            if !name
                .to_string_lossy(directory)
                .is_ok_and(|n| n.eq_ignore_ascii_case(sea::RESOURCE_NAME))
            {
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
            let blob = sections
                .pe_data_at(bytes, rva)
                .and_then(|data| data.get(..size))
                .ok_or("the NODE_SEA_BLOB resource lies outside the file")?;
            return Ok(Some(Embedded::NodeSea(blob)));
        }
    }
    Ok(None)
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
