//! Node.js single-executable applications: the blob `node --experimental-sea-config` writes and
//! postject injects as `NODE_SEA_BLOB` (Node's `src/node_sea.cc`, `SeaSerializer`):
//!
//! ```text
//! magic u32 = 0x0143da20 | flags u32 | [exec-argv extension u8 (22.20+)] | [main format u8 (26+)]
//! code path (u64 length + bytes, 20.6+) | main script or V8 snapshot (u64 length + bytes)
//! [code cache] [assets: u64 count, then (name, contents) pairs] [exec argv]
//! ```
//!
//! Node 20.0 to 20.5 wrote the script alone after the header. The header's size is not stored,
//! so every size Node has written is tried and the one whose code path is a readable path wins.

/// The resource's name, as postject and Node look it up.
pub(super) const RESOURCE_NAME: &str = "NODE_SEA_BLOB";

const MAGIC: u32 = 0x0143_da20;
const USE_SNAPSHOT: u32 = 1 << 1;
const USE_CODE_CACHE: u32 = 1 << 2;
const INCLUDE_ASSETS: u32 = 1 << 3;

/// Longest code path accepted (it is a file path on the machine that built the executable).
const MAX_CODE_PATH: usize = 4096;

/// What the application runs first.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Main<'a> {
    Script(&'a [u8]),
    /// A V8 startup snapshot (`useSnapshot`): heap data, readable only for its strings.
    Snapshot(&'a [u8]),
}

/// A parsed blob.
#[derive(Debug)]
pub(super) struct Blob<'a> {
    /// The main script's path when the executable was built, if the blob records it.
    pub code_path: Option<&'a [u8]>,
    pub main: Main<'a>,
    /// `assets` of the SEA configuration: (name, contents).
    pub assets: Vec<(&'a [u8], &'a [u8])>,
}

impl Blob<'_> {
    /// The member name for the main script: the code path's file name, with a JavaScript
    /// extension so it is analysed as such.
    pub fn main_name(&self) -> Vec<u8> {
        let file_name = self
            .code_path
            .and_then(|path| path.rsplit(|&b| b == b'/' || b == b'\\').next())
            .filter(|name| !name.is_empty())
            .unwrap_or(b"main.js");
        let mut name = file_name.to_vec();
        if matches!(self.main, Main::Snapshot(_)) {
            name.extend_from_slice(b".snapshot");
        } else if ![&b".js"[..], b".cjs", b".mjs"].iter().any(|ext| name.ends_with(ext)) {
            name.extend_from_slice(b".js");
        }
        name
    }
}

/// Parses a blob, trying each header layout Node has written, newest first.
pub(super) fn parse(blob: &[u8]) -> Result<Blob<'_>, String> {
    let magic = blob.get(..4).ok_or("the blob is shorter than its magic number")?;
    if u32::from_le_bytes(magic.try_into().expect("4 bytes")) != MAGIC {
        return Err("the blob does not start with Node's magic number 0x0143da20".to_string());
    }
    let flags = blob
        .get(4..8)
        .map(|f| u32::from_le_bytes(f.try_into().expect("4 bytes")))
        .ok_or("the blob ends inside its header")?;
    // Header sizes with a code path: 26+ (two extra bytes), 22.20+ (one), 20.6+ (none).
    for header in [10, 9, 8] {
        if let Some(parsed) = parse_with_code_path(blob, header, flags) {
            return Ok(parsed);
        }
    }
    // 20.3 to 20.5: the script as one sized string; 20.0 to 20.2: the rest of the blob.
    let mut reader = Reader { blob, at: 8 };
    let main = match reader.sized() {
        Some(code) if reader.at == blob.len() => code,
        _ => &blob[8..],
    };
    if main.is_empty() {
        return Err("the blob holds no main script".to_string());
    }
    Ok(Blob {
        code_path: None,
        main: Main::Script(main),
        assets: Vec::new(),
    })
}

fn parse_with_code_path(blob: &[u8], header: usize, flags: u32) -> Option<Blob<'_>> {
    // The extra header bytes are small enumerations (exec-argv extension 0..=2, format 0..=1).
    if blob.get(8..header)?.iter().any(|&b| b > 2) {
        return None;
    }
    let mut reader = Reader { blob, at: header };
    let code_path = reader.sized()?;
    let readable = !code_path.is_empty()
        && code_path.len() <= MAX_CODE_PATH
        && std::str::from_utf8(code_path).is_ok_and(|p| !p.chars().any(char::is_control));
    if !readable {
        return None;
    }
    let main = reader.sized()?;
    let main = if flags & USE_SNAPSHOT != 0 {
        Main::Snapshot(main)
    } else {
        Main::Script(main)
    };
    if flags & USE_CODE_CACHE != 0 {
        reader.sized()?;
    }
    let mut assets = Vec::new();
    if flags & INCLUDE_ASSETS != 0 {
        let count = reader.u64()?;
        // A lying count stops at the blob's end, with the assets read so far.
        for _ in 0..count {
            let (Some(name), Some(contents)) = (reader.sized(), reader.sized()) else {
                break;
            };
            assets.push((name, contents));
        }
    }
    Some(Blob {
        code_path: Some(code_path),
        main,
        assets,
    })
}

/// Reads Node's serialisation: little-endian numbers, strings as a u64 length and bytes.
struct Reader<'a> {
    blob: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn u64(&mut self) -> Option<u64> {
        let word = self.blob.get(self.at..self.at.checked_add(8)?)?;
        self.at += 8;
        Some(u64::from_le_bytes(word.try_into().ok()?))
    }

    fn sized(&mut self) -> Option<&'a [u8]> {
        let length = usize::try_from(self.u64()?).ok()?;
        let bytes = self.blob.get(self.at..self.at.checked_add(length)?)?;
        self.at += length;
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend((bytes.len() as u64).to_le_bytes());
        out.extend(bytes);
    }

    fn blob(header_extra: &[u8], flags: u32, path: &[u8], code: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_le_bytes().to_vec();
        out.extend(flags.to_le_bytes());
        out.extend(header_extra);
        sized(&mut out, path);
        sized(&mut out, code);
        out
    }

    #[test]
    fn reads_every_header_layout() {
        for extra in [&[][..], &[1], &[1, 0]] {
            let bytes = blob(extra, 0, b"/home/me/app/sea.js", b"console.log(1)");
            let parsed = parse(&bytes).unwrap();
            assert_eq!(parsed.main, Main::Script(b"console.log(1)"), "{extra:?}");
            assert_eq!(parsed.main_name(), b"sea.js");
        }
        // Node 20.0: magic, flags and the script.
        let mut old = MAGIC.to_le_bytes().to_vec();
        old.extend(0u32.to_le_bytes());
        old.extend(b"require('x')");
        assert_eq!(parse(&old).unwrap().main, Main::Script(b"require('x')"));
    }

    #[test]
    fn reads_assets_and_snapshots() {
        let mut bytes = blob(&[], INCLUDE_ASSETS, b"C:\\app\\main", b"x()");
        bytes.extend(1u64.to_le_bytes());
        sized(&mut bytes, b"config.json");
        sized(&mut bytes, b"{}");
        let parsed = parse(&bytes).unwrap();
        assert_eq!(parsed.main_name(), b"main.js");
        assert_eq!(parsed.assets, vec![(&b"config.json"[..], &b"{}"[..])]);
        let snapshot = blob(&[], USE_SNAPSHOT, b"/a/b.js", b"\x01\x02");
        assert_eq!(parse(&snapshot).unwrap().main, Main::Snapshot(b"\x01\x02"));
    }

    #[test]
    fn hostile_blobs_are_errors() {
        assert!(parse(b"").unwrap_err().contains("magic"));
        assert!(parse(b"\0\0\0\0\0\0\0\0").unwrap_err().contains("magic"));
        assert!(parse(&MAGIC.to_le_bytes()).unwrap_err().contains("header"));
        // A huge asset count does not loop or allocate for it.
        let mut bytes = blob(&[], INCLUDE_ASSETS, b"/a.js", b"x");
        bytes.extend(u64::MAX.to_le_bytes());
        let parsed = parse(&bytes).unwrap();
        assert_eq!(parsed.main, Main::Script(b"x"));
        assert!(parsed.assets.is_empty());
        // A length word pointing past the end falls back to reading the rest as the script.
        let mut lying = MAGIC.to_le_bytes().to_vec();
        lying.extend(0u32.to_le_bytes());
        lying.extend(u64::MAX.to_le_bytes());
        assert!(parse(&lying).is_ok());
    }
}
