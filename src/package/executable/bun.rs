//! Bun's standalone module graph, as `bun build --compile` writes it (Bun's
//! `src/StandaloneModuleGraph.zig`, `toBytes`/`fromBytes`):
//!
//! ```text
//! graph:   module bytes (names, sources, source maps, bytecode; each NUL-terminated)
//!          module table: one fixed-size record per module
//!          exec-argv string
//! footer:  byte_count u64 | modules (offset u32, length u32) | entry_point_id u32
//!          | exec_argv (offset u32, length u32) | flags u32 (Bun 1.3)        (24 or 32 bytes)
//! trailer: "\n---- Bun! ----\n"
//! ```
//!
//! Every (offset, length) pair points into the graph, counted from its first byte; `byte_count`
//! is where the footer starts, so the graph's start follows from it. A module record is a list
//! of such pairs (name, contents, source map, bytecode, and since Bun 1.3 module info and the
//! bytecode's origin path) followed by four one-byte fields (encoding, loader, module format,
//! side). Bun has changed the record and the footer as it grew; every layout it has written since
//! 1.1 is tried, and the one under which every record names a `/$bunfs/` path wins.
//!
//! In a section (`.bun`, `__BUN,__bun`) the graph is preceded by its length; older Bun appended
//! it to the executable, followed by the file's total length as a u64.

/// The marker after the footer.
pub(super) const TRAILER: &[u8] = b"\n---- Bun! ----\n";

/// Module record sizes, newest first: six pointers and four bytes (Bun 1.3), four pointers and
/// four bytes (Bun 1.1, 1.2).
const RECORD_SIZES: [usize; 2] = [52, 36];

/// Footer sizes: with the exec-argv pointer (and, padded into the same size, the flags of Bun
/// 1.3), and without (Bun 1.1).
const FOOTER_SIZES: [usize; 2] = [32, 24];

/// The virtual roots Bun puts in front of module names, per target.
const ROOTS: [&[u8]; 3] = [b"/$bunfs/", b"B:/~BUN/", b"B:\\~BUN\\"];

/// One embedded file.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Module<'a> {
    /// Bun's own name for it: `/$bunfs/root/cli.js`.
    pub name: &'a [u8],
    /// Source text (or, for assets, the file's bytes); empty for bytecode-only modules.
    pub contents: &'a [u8],
    /// JavaScriptCore bytecode, when compiled with `--bytecode`.
    pub bytecode: &'a [u8],
    /// Contents are Latin-1 text (Bun's encoding for JavaScript), not UTF-8 or binary.
    pub latin1: bool,
}

impl Module<'_> {
    /// The name without Bun's virtual root: `root/cli.js`.
    pub fn display_name(&self) -> &[u8] {
        ROOTS
            .iter()
            .find_map(|root| self.name.strip_prefix(*root))
            .unwrap_or(self.name)
    }
}

/// The modules of one graph, in the order Bun stored them.
#[derive(Debug)]
pub(super) struct Graph<'a> {
    pub modules: Vec<Module<'a>>,
}

/// True when `bytes` end as older Bun left a graph it appended: the trailer, then a u64.
pub(super) fn has_appended_graph(bytes: &[u8]) -> bool {
    bytes.len() > TRAILER.len() + 8 && bytes[..bytes.len() - 8].ends_with(TRAILER)
}

/// Parses the graph that `region` ends with (zero padding after the trailer is allowed).
pub(super) fn parse(region: &[u8]) -> Result<Graph<'_>, String> {
    let end = region.iter().rposition(|&b| b != 0).map_or(0, |last| last + 1);
    let region = &region[..end];
    if !region.ends_with(TRAILER) {
        return Err("the trailer `---- Bun! ----` is missing (truncated or not a Bun executable)".to_string());
    }
    let trailer_at = region.len() - TRAILER.len();
    // The newest layout's complaint is the one worth reading.
    let mut problem = None;
    for footer_size in FOOTER_SIZES {
        let Some(footer_at) = trailer_at.checked_sub(footer_size) else {
            continue;
        };
        match parse_with_footer(region, footer_at) {
            Ok(graph) => return Ok(graph),
            Err(reason) => {
                problem.get_or_insert(reason);
            }
        }
    }
    Err(problem.unwrap_or_else(|| "the footer before the trailer is cut short".to_string()))
}

/// Parses the graph whose footer starts at `footer_at`, trying each record layout.
fn parse_with_footer(region: &[u8], footer_at: usize) -> Result<Graph<'_>, String> {
    let byte_count = u64_at(region, footer_at).ok_or("the footer is cut short")?;
    let graph_start = usize::try_from(byte_count)
        .ok()
        .and_then(|count| footer_at.checked_sub(count))
        .ok_or_else(|| format!("the footer claims a graph of {byte_count} bytes, more than the file holds"))?;
    let graph = &region[graph_start..footer_at];
    let table = pointer_at(region, footer_at + 8)
        .and_then(|pointer| slice(graph, pointer))
        .ok_or("the module table lies outside the graph")?;
    let entry_point = u32_at(region, footer_at + 16).ok_or("the footer is cut short")? as usize;
    for record_size in RECORD_SIZES {
        if table.is_empty() || !table.len().is_multiple_of(record_size) {
            continue;
        }
        let modules: Option<Vec<Module<'_>>> = table
            .chunks_exact(record_size)
            .map(|record| parse_record(graph, record))
            .collect();
        if let Some(modules) = modules {
            // Bun refuses the same graphs.
            if entry_point > modules.len() {
                return Err(format!("the entry point is module {entry_point} of {}", modules.len()));
            }
            return Ok(Graph { modules });
        }
    }
    Err(format!(
        "the module table ({} bytes) matches no module layout Bun 1.1 to 1.3 writes",
        table.len()
    ))
}

/// One module record; `None` when it does not fit this layout (a pointer outside the graph, a
/// name outside Bun's virtual root).
fn parse_record<'a>(graph: &'a [u8], record: &[u8]) -> Option<Module<'a>> {
    let name = slice(graph, pointer_at(record, 0)?)?;
    if !ROOTS.iter().any(|root| name.starts_with(root)) {
        return None;
    }
    let contents = slice(graph, pointer_at(record, 8)?)?;
    slice(graph, pointer_at(record, 16)?)?;
    let bytecode = slice(graph, pointer_at(record, 24)?)?;
    let flags_at = record.len() - 4;
    // Encoding: 0 binary, 1 Latin-1, 2 UTF-8.
    let latin1 = record[flags_at] == 1;
    Some(Module {
        name,
        contents,
        bytecode,
        latin1,
    })
}

/// The bytes an (offset, length) pair points to.
fn slice(graph: &[u8], (offset, length): (u32, u32)) -> Option<&[u8]> {
    if length == 0 {
        return Some(&[]);
    }
    let start = offset as usize;
    graph.get(start..start.checked_add(length as usize)?)
}

fn pointer_at(bytes: &[u8], at: usize) -> Option<(u32, u32)> {
    Some((u32_at(bytes, at)?, u32_at(bytes, at + 4)?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(word.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let word = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(word.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A graph in Bun 1.3's layout: 52-byte records, 32-byte footer.
    fn graph(modules: &[(&str, &str)]) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut records = Vec::new();
        for (name, contents) in modules {
            let mut record = Vec::new();
            for text in [name, contents] {
                record.extend((bytes.len() as u32).to_le_bytes());
                record.extend((text.len() as u32).to_le_bytes());
                bytes.extend(text.as_bytes());
                bytes.push(0);
            }
            record.extend([0u8; 32]);
            record.extend([1, 1, 1, 0]);
            records.extend(record);
        }
        let table_at = bytes.len() as u32;
        bytes.extend(&records);
        let byte_count = bytes.len() as u64;
        bytes.extend(byte_count.to_le_bytes());
        bytes.extend(table_at.to_le_bytes());
        bytes.extend((records.len() as u32).to_le_bytes());
        bytes.extend([0u8; 16]);
        bytes.extend(TRAILER);
        bytes
    }

    #[test]
    fn reads_modules() {
        let bytes = graph(&[("/$bunfs/root/cli.js", "console.log(1)"), ("B:/~BUN/root/a.txt", "hi")]);
        let graph = parse(&bytes).unwrap();
        assert_eq!(graph.modules.len(), 2);
        assert_eq!(graph.modules[0].display_name(), b"root/cli.js");
        assert_eq!(graph.modules[0].contents, b"console.log(1)");
        assert_eq!(graph.modules[1].display_name(), b"root/a.txt");
        assert!(graph.modules[0].latin1);
    }

    #[test]
    fn zero_padding_after_the_trailer_is_allowed() {
        let mut bytes = graph(&[("/$bunfs/root/cli.js", "1")]);
        bytes.extend([0u8; 4096]);
        assert_eq!(parse(&bytes).unwrap().modules.len(), 1);
    }

    #[test]
    fn hostile_graphs_are_errors() {
        let bytes = graph(&[("/$bunfs/root/cli.js", "console.log(1)")]);
        assert!(parse(&bytes[..bytes.len() - 3]).unwrap_err().contains("trailer"));
        assert!(parse(TRAILER).unwrap_err().contains("cut short"));
        // A byte count larger than the file.
        let mut lying = bytes.clone();
        let footer = lying.len() - TRAILER.len() - 32;
        lying[footer..footer + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(
            parse(&lying).unwrap_err().contains("more than the file"),
            "{:?}",
            parse(&lying)
        );
        // A module table pointing past the graph.
        let mut outside = bytes.clone();
        outside[footer + 8..footer + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&outside).unwrap_err().contains("outside the graph"));
        // A name that is not under Bun's root: no layout matches.
        let renamed = graph(&[("/etc/passwd", "x")]);
        assert!(parse(&renamed).unwrap_err().contains("no module layout"));
    }
}
