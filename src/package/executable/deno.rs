//! `deno compile` executables (Deno's `cli/standalone/binary.rs`, `cli/rt/binary.rs`,
//! `cli/lib/standalone/`; the section itself is placed by denoland/sui, `libsui`). Deno has
//! stored the program four ways:
//!
//! ```text
//! 2.2 and later   section "d3n0l4nd": magic | metadata (u64 length + JSON) | npm snapshot (u64 +
//!                 bytes) | specifiers (u32 count; u32-length string, u32 id) | redirects (u32
//!                 count; two u32 ids) | remote modules (u32 count; u32 id, media type u8, source
//!                 (u32 + bytes), flags u8, then u32-sized transpiled code, source map, CJS
//!                 analysis as the flags say) | virtual file system (u64 + JSON) | file data (u64
//!                 + bytes) | magic
//! 2.1             the same up to the npm snapshot, then remote modules as one u64-sized block
//!                 (u32 specifier count, u32 redirect count, specifiers with u64 offsets,
//!                 redirects, then media type u8 + u64-sized source per module), the virtual
//!                 file system and file data as above, and the magic
//! 1.46, 2.0       section "d3n0l4nd": magic, four big-endian u64 positions counted after this
//!                 40-byte header (eszip 0, metadata, npm file system, npm files), then an eszip
//!                 ([`eszip`]), metadata JSON, the npm file system JSON and the npm files
//! 1.20 to 1.45    appended to the executable: eszip, metadata, [npm file system, npm files],
//!                 then magic and big-endian u64 file positions (eszip, metadata[, npm file
//!                 system, npm files]); before 1.20 a JavaScript bundle took the eszip's place
//! ```
//!
//! Little-endian numbers unless said otherwise. The section is an ELF note (owner `SUI`; libsui
//! before 0.13 appended it, followed by magic 0x501e, a name hash and the length), a Mach-O
//! section `__SUI,d3n0l4nd`, or a PE `RCDATA` resource `D3N0L4ND`. Local files live in the
//! virtual file system (2.1 and later) or in the eszip (earlier); remote modules (`https:`,
//! `jsr:` resolved) in the remote module store or the eszip.

mod eszip;

use serde_json::Value;

/// What a data section starts and ends with, and the section's name.
pub(super) const MAGIC: &[u8; 8] = b"d3n0l4nd";

/// The ELF note libsui writes: owner and type.
pub(super) const NOTE_OWNER: &[u8] = b"SUI";
pub(super) const NOTE_TYPE: u32 = 0x5355_4901;

/// The trailer libsui before 0.13 appended to an ELF executable after the section's data.
const OLD_LIBSUI_MAGIC: u32 = 0x501e;

/// One module or file of the program.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Module<'a> {
    /// A path in the virtual file system (`main.ts`, `node_modules/.deno/…/index.js`), or a
    /// specifier written as a path (`https/jsr.io/@std/fmt/1.0.0/colors.ts`, and for the eszip
    /// of older Deno `home/me/app/main.ts`).
    pub name: String,
    /// The source as the author wrote it (for eszips: as Deno stored it, transpiled).
    pub source: &'a [u8],
}

/// The data of a libsui ELF note (`desc`): u16 name length, the name, the section's data.
pub(super) fn note_section(desc: &[u8]) -> Option<&[u8]> {
    let name_length = usize::from(u16::from_le_bytes(desc.get(..2)?.try_into().ok()?));
    let name = desc.get(2..2 + name_length)?;
    (name == MAGIC).then(|| &desc[2 + name_length..])
}

/// The section libsui before 0.13 appended to an ELF executable, if `bytes` end with one.
pub(super) fn appended_section(bytes: &[u8]) -> Option<&[u8]> {
    let mut trailer = Reader::at_end(bytes, 16)?;
    if trailer.u32()? != OLD_LIBSUI_MAGIC {
        return None;
    }
    trailer.u32()?; // the name's hash
    let length = usize::try_from(trailer.u64()?).ok()?;
    let section = bytes.get(bytes.len().checked_sub(length)?..bytes.len() - 16)?;
    section.starts_with(MAGIC).then_some(section)
}

/// True when `bytes` end with the trailer Deno 1.x appended (magic and big-endian positions).
pub(super) fn has_appended_program(bytes: &[u8]) -> bool {
    [40, 24].iter().any(|&size| {
        bytes
            .len()
            .checked_sub(size)
            .is_some_and(|at| bytes[at..].starts_with(MAGIC))
    })
}

/// Reads the program of a data section (starting with [`MAGIC`]), whichever layout it has.
pub(super) fn parse_section(section: &[u8]) -> Result<Vec<Module<'_>>, String> {
    if !section.starts_with(MAGIC) {
        return Err("the section does not start with `d3n0l4nd`".to_string());
    }
    // Deno 1.46 and 2.0 start with the eszip's position, 0; later ones with the metadata's
    // length, never 0.
    let mut header = Reader::new(section, MAGIC.len());
    if header.u64() == Some(0) {
        let content = &section[40.min(section.len())..];
        let mut positions = Reader::new(section, 16);
        let positions = [positions.u64_be(), positions.u64_be(), positions.u64_be()];
        let [Some(metadata), Some(npm_vfs), Some(npm_files)] = positions else {
            return Err("the section's header is cut short".to_string());
        };
        return from_eszip_layout(content, 0, metadata, Some((npm_vfs, npm_files, content.len() as u64)));
    }
    let newest = parse_2_2(section);
    newest.or_else(|problem| parse_2_1(section).map_err(|_| problem))
}

/// Reads the program Deno 1.x appended to the executable `bytes` (see
/// [`has_appended_program`]).
pub(super) fn parse_appended(bytes: &[u8]) -> Result<Vec<Module<'_>>, String> {
    if let Some(at) = bytes.len().checked_sub(40).filter(|&at| bytes[at..].starts_with(MAGIC)) {
        let mut trailer = Reader::new(bytes, at + MAGIC.len());
        let positions = [trailer.u64_be(), trailer.u64_be(), trailer.u64_be(), trailer.u64_be()];
        if let [Some(eszip), Some(metadata), Some(npm_vfs), Some(npm_files)] = positions {
            return from_eszip_layout(&bytes[..at], eszip, metadata, Some((npm_vfs, npm_files, at as u64)));
        }
    }
    let at = bytes.len().checked_sub(24).ok_or("the trailer is cut short")?;
    let mut trailer = Reader::new(bytes, at + MAGIC.len());
    let (Some(eszip), Some(metadata)) = (trailer.u64_be(), trailer.u64_be()) else {
        return Err("the trailer is cut short".to_string());
    };
    from_eszip_layout(&bytes[..at], eszip, metadata, None)
}

/// Deno before 2.1: an eszip at `[eszip, metadata)` of `data` (before 1.20 a JavaScript bundle),
/// and the npm file system JSON at `[npm_vfs, npm_files)` with its files at `[npm_files, end)`.
fn from_eszip_layout(
    data: &[u8],
    eszip: u64,
    metadata: u64,
    npm: Option<(u64, u64, u64)>,
) -> Result<Vec<Module<'_>>, String> {
    let range = |start: u64, end: u64, what: &str| {
        let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
            return Err(format!("the {what} lies outside the file"));
        };
        data.get(start..end)
            .ok_or_else(|| format!("the {what} lies outside the file"))
    };
    let archive = range(eszip, metadata, "eszip")?;
    let mut modules = if eszip::has_magic(archive) {
        eszip::parse(archive)?
            .into_iter()
            .map(|(specifier, source)| Module {
                name: specifier_path(specifier),
                source,
            })
            .collect()
    } else {
        vec![Module {
            name: "bundle.js".to_string(),
            source: archive,
        }]
    };
    if let Some((npm_vfs, npm_files, end)) = npm {
        let json = range(npm_vfs, npm_files, "npm file system")?;
        let files = range(npm_files, end, "npm files")?;
        let root: Value = serde_json::from_slice(json).map_err(|e| format!("the npm file system is not JSON: {e}"))?;
        // A directory named after the npm cache folder it was copied from.
        let prefix = match root.get("name").and_then(Value::as_str) {
            Some(name) => format!("{name}/"),
            None => String::new(),
        };
        vfs_files(&root, &prefix, files, &mut modules)?;
    }
    Ok(modules)
}

/// Deno 2.2 and later.
fn parse_2_2(section: &[u8]) -> Result<Vec<Module<'_>>, String> {
    let mut reader = Reader::new(section, MAGIC.len());
    reader.sized_u64().ok_or("the metadata is cut short")?;
    reader.sized_u64().ok_or("the npm snapshot is cut short")?;
    let count = reader.u32().ok_or("the specifier table is cut short")?;
    let mut specifiers = std::collections::HashMap::new();
    for _ in 0..count {
        let specifier = reader.sized_u32().ok_or("the specifier table is cut short")?;
        let id = reader.u32().ok_or("the specifier table is cut short")?;
        specifiers.insert(id, specifier);
    }
    let redirects = reader.u32().ok_or("the redirect table is cut short")?;
    reader
        .skip(u64::from(redirects) * 8)
        .ok_or("the redirect table is cut short")?;
    let count = reader.u32().ok_or("the remote module table is cut short")?;
    let mut modules = Vec::new();
    for _ in 0..count {
        let cut_short = "the remote module table is cut short";
        let id = reader.u32().ok_or(cut_short)?;
        reader.u8().ok_or(cut_short)?; // media type
        let source = reader.sized_u32().ok_or(cut_short)?;
        let flags = reader.u8().ok_or(cut_short)?;
        // Transpiled code, source map, CJS export analysis.
        for flag in [1, 2, 4] {
            if flags & flag != 0 {
                reader.sized_u32().ok_or(cut_short)?;
            }
        }
        let specifier = specifiers
            .get(&id)
            .ok_or_else(|| format!("remote module {id} has no specifier"))?;
        modules.push(Module {
            name: specifier_path(specifier),
            source,
        });
    }
    let mut files = vfs_and_magic(&mut reader)?;
    files.append(&mut modules);
    Ok(files)
}

/// Deno 2.1.
fn parse_2_1(section: &[u8]) -> Result<Vec<Module<'_>>, String> {
    let mut reader = Reader::new(section, MAGIC.len());
    reader.sized_u64().ok_or("the metadata is cut short")?;
    reader.sized_u64().ok_or("the npm snapshot is cut short")?;
    let store = reader.sized_u64().ok_or("the remote modules are cut short")?;
    let mut files = vfs_and_magic(&mut reader)?;

    let cut_short = "the remote module store is cut short";
    let mut table = Reader::new(store, 0);
    let count = table.u32().ok_or(cut_short)?;
    let redirects = table.u32().ok_or(cut_short)?;
    let mut specifiers = Vec::new();
    for _ in 0..count {
        let specifier = table.sized_u32().ok_or(cut_short)?;
        specifiers.push((specifier, table.u64().ok_or(cut_short)?));
    }
    for _ in 0..redirects {
        table.sized_u32().ok_or(cut_short)?;
        table.sized_u32().ok_or(cut_short)?;
    }
    let data = &store[table.at..];
    for (specifier, offset) in specifiers {
        let mut entry = Reader::new(data, 0);
        entry.skip(offset).ok_or(cut_short)?;
        entry.u8().ok_or(cut_short)?; // media type
        let source = entry.sized_u64().ok_or(cut_short)?;
        files.push(Module {
            name: specifier_path(specifier),
            source,
        });
    }
    Ok(files)
}

/// The virtual file system JSON, the file data it points into, and the closing magic.
fn vfs_and_magic<'a>(reader: &mut Reader<'a>) -> Result<Vec<Module<'a>>, String> {
    let json = reader.sized_u64().ok_or("the virtual file system is cut short")?;
    let files = reader.sized_u64().ok_or("the file data is cut short")?;
    if reader.take(MAGIC.len()) != Some(MAGIC) {
        return Err("the closing `d3n0l4nd` is missing".to_string());
    }
    let root: Value = serde_json::from_slice(json).map_err(|e| format!("the virtual file system is not JSON: {e}"))?;
    let mut modules = Vec::new();
    vfs_files(&root, "", files, &mut modules)?;
    Ok(modules)
}

/// The files of a virtual file system directory, or of a root list of entries: `{"File": {"n"
/// or "name", "o": [offset, length] or "offset" and "len"}}`, `{"Dir": {"n" or "name", "e" or
/// "entries"}}`; symbolic links are skipped (their targets are listed where they are). Depth is
/// bounded by the JSON parser's recursion limit.
fn vfs_files<'a>(directory: &Value, prefix: &str, files: &'a [u8], out: &mut Vec<Module<'a>>) -> Result<(), String> {
    let entries = match directory {
        Value::Array(entries) => entries,
        Value::Object(directory) => match directory.get("e").or_else(|| directory.get("entries")) {
            Some(Value::Array(entries)) => entries,
            _ => return Ok(()),
        },
        _ => return Ok(()),
    };
    for entry in entries {
        let name = |record: &Value| {
            record
                .get("n")
                .or_else(|| record.get("name"))
                .and_then(Value::as_str)
                .map(|name| format!("{prefix}{name}"))
                .ok_or("a virtual file system entry has no name")
        };
        if let Some(subdirectory) = entry.get("Dir") {
            vfs_files(subdirectory, &format!("{}/", name(subdirectory)?), files, out)?;
        } else if let Some(file) = entry.get("File") {
            let name = name(file)?;
            let pointer = match file.get("o") {
                Some(Value::Array(pair)) => pair.first().zip(pair.get(1)),
                _ => file.get("offset").zip(file.get("len")),
            };
            let (offset, length) = pointer
                .and_then(|(offset, length)| Some((offset.as_u64()?, length.as_u64()?)))
                .ok_or_else(|| format!("{name} has no [offset, length]"))?;
            let mut reader = Reader::new(files, 0);
            let source = reader
                .skip(offset)
                .and_then(|()| reader.take_u64(length))
                .ok_or_else(|| format!("{name} lies outside the file data"))?;
            out.push(Module { name, source });
        }
    }
    Ok(())
}

/// A module specifier as a member path: `file:///home/me/a.ts` → `home/me/a.ts`,
/// `file:///C:/a.ts` → `a.ts`, `https://jsr.io/@std/x.ts` → `https/jsr.io/@std/x.ts`.
fn specifier_path(specifier: &[u8]) -> String {
    let specifier = String::from_utf8_lossy(specifier);
    let Some((scheme, rest)) = specifier.split_once(':') else {
        return specifier.into_owned();
    };
    let rest = rest.trim_start_matches('/');
    if scheme != "file" {
        return format!("{scheme}/{rest}");
    }
    match rest.as_bytes() {
        [drive, b':', b'/', ..] if drive.is_ascii_alphabetic() => rest[3..].to_string(),
        _ => rest.to_string(),
    }
}

/// Reads numbers and sized byte strings from a slice, never past its end.
#[derive(Debug)]
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], at: usize) -> Self {
        Reader { bytes, at }
    }

    /// A reader of the last `size` bytes.
    fn at_end(bytes: &'a [u8], size: usize) -> Option<Self> {
        Some(Reader {
            bytes,
            at: bytes.len().checked_sub(size)?,
        })
    }

    fn take(&mut self, length: usize) -> Option<&'a [u8]> {
        let bytes = self.bytes.get(self.at..self.at.checked_add(length)?)?;
        self.at += length;
        Some(bytes)
    }

    fn take_u64(&mut self, length: u64) -> Option<&'a [u8]> {
        self.take(usize::try_from(length).ok()?)
    }

    fn skip(&mut self, length: u64) -> Option<()> {
        self.take_u64(length).map(|_| ())
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u32_be(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn u64_be(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    fn sized_u32(&mut self) -> Option<&'a [u8]> {
        let length = self.u32()?;
        self.take_u64(u64::from(length))
    }

    fn sized_u64(&mut self) -> Option<&'a [u8]> {
        let length = self.u64()?;
        self.take_u64(length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized_u64(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend((bytes.len() as u64).to_le_bytes());
        out.extend(bytes);
    }

    fn sized_u32(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend((bytes.len() as u32).to_le_bytes());
        out.extend(bytes);
    }

    /// A Deno 2.2+ section: one remote module and a file system with `main.ts` in `src/`.
    fn section_2_2() -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        sized_u64(&mut out, b"{\"argv\":[]}");
        sized_u64(&mut out, b"");
        out.extend(1u32.to_le_bytes());
        sized_u32(&mut out, b"https://jsr.io/@std/fmt/1.0.0/colors.ts");
        out.extend(7u32.to_le_bytes());
        out.extend(0u32.to_le_bytes()); // redirects
        out.extend(1u32.to_le_bytes());
        out.extend(7u32.to_le_bytes());
        out.push(4); // TypeScript
        sized_u32(&mut out, b"export const red = 1;");
        out.push(1 | 2);
        sized_u32(&mut out, b"transpiled");
        sized_u32(&mut out, b"{}");
        sized_u64(
            &mut out,
            br#"[{"Dir":{"n":"src","e":[{"File":{"n":"main.ts","o":[0,9],"m":[9,3]}},{"Symlink":{"n":"l","p":["src"]}}]}}]"#,
        );
        sized_u64(&mut out, b"let a = 1js;");
        out.extend(MAGIC);
        out
    }

    #[test]
    fn reads_the_2_2_layout() {
        let section = section_2_2();
        assert_eq!(
            parse_section(&section).unwrap(),
            [
                Module {
                    name: "src/main.ts".into(),
                    source: b"let a = 1",
                },
                Module {
                    name: "https/jsr.io/@std/fmt/1.0.0/colors.ts".into(),
                    source: b"export const red = 1;",
                },
            ]
        );
    }

    #[test]
    fn reads_the_2_1_layout() {
        let mut store = Vec::new();
        store.extend(1u32.to_le_bytes());
        store.extend(0u32.to_le_bytes());
        sized_u32(&mut store, b"https://deno.land/x/a.js");
        store.extend(0u64.to_le_bytes());
        store.push(0);
        sized_u64(&mut store, b"a()");
        let mut out = MAGIC.to_vec();
        sized_u64(&mut out, b"{}");
        sized_u64(&mut out, b"");
        sized_u64(&mut out, &store);
        sized_u64(
            &mut out,
            br#"{"name":"app","entries":[{"File":{"name":"main.js","offset":0,"len":3}}]}"#,
        );
        sized_u64(&mut out, b"b()");
        out.extend(MAGIC);
        let modules = parse_section(&out).unwrap();
        assert_eq!(modules[0].name, "main.js");
        assert_eq!(modules[0].source, b"b()");
        assert_eq!(modules[1].name, "https/deno.land/x/a.js");
        assert_eq!(modules[1].source, b"a()");
    }

    #[test]
    fn libsui_notes_and_appended_sections() {
        let mut desc = 8u16.to_le_bytes().to_vec();
        desc.extend(MAGIC);
        desc.extend(b"data");
        assert_eq!(note_section(&desc), Some(&b"data"[..]));
        assert_eq!(note_section(b"\x03\0abc"), None);
        let mut file = b"\x7fELF".to_vec();
        file.extend(MAGIC);
        file.extend(b"rest");
        file.extend(OLD_LIBSUI_MAGIC.to_le_bytes());
        file.extend(0u32.to_le_bytes());
        file.extend(28u64.to_le_bytes());
        assert_eq!(appended_section(&file), Some(&b"d3n0l4ndrest"[..]));
        let len = file.len();
        file[len - 8..].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(appended_section(&file), None);
    }

    #[test]
    fn names_specifiers() {
        assert_eq!(specifier_path(b"file:///home/me/a.ts"), "home/me/a.ts");
        assert_eq!(specifier_path(b"file:///C:/app/a.ts"), "app/a.ts");
        assert_eq!(specifier_path(b"https://x.dev/a.js?v=1"), "https/x.dev/a.js?v=1");
        assert_eq!(specifier_path(b"data:text/javascript,1"), "data/text/javascript,1");
    }

    #[test]
    fn hostile_sections_are_errors() {
        let section = section_2_2();
        for cut in 0..section.len() {
            assert!(parse_section(&section[..cut]).is_err(), "cut at {cut}");
        }
        // A remote module count of four billion stops at the end of the data.
        let mut huge = MAGIC.to_vec();
        sized_u64(&mut huge, b"{}");
        sized_u64(&mut huge, b"");
        huge.extend(u32::MAX.to_le_bytes());
        assert!(parse_section(&huge).unwrap_err().contains("cut short"));
        // A file pointing past the file data.
        let text = String::from_utf8_lossy(&section).replace("[0,9]", "[5,9]");
        let lying = parse_section(text.as_bytes()).unwrap_err();
        assert!(lying.contains("outside the file data"), "{lying}");
        // A metadata length of 2^64 - 1.
        let mut lying = MAGIC.to_vec();
        lying.extend(u64::MAX.to_le_bytes());
        assert!(parse_section(&lying).is_err());
    }
}
