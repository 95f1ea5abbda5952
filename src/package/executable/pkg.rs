//! vercel/pkg and its maintained fork `@yao-pkg/pkg` (pkg's `lib/producer.ts`, `lib/packer.ts`
//! and `prelude/bootstrap.js`). pkg appends its payload and a prelude to a patched Node.js:
//!
//! ```text
//! node        the base binary; its placeholders now hold PAYLOAD_POSITION, PAYLOAD_SIZE,
//!             PRELUDE_POSITION, PRELUDE_SIZE as space-padded decimal text
//! payload     one stripe per stored item, back to back, each compressed on its own when the
//!             build asked for it (`--compress GZip | Brotli | Zstd`)
//! prelude     (function(process, require, console, EXECPATH_FD, PAYLOAD_POSITION, PAYLOAD_SIZE) {
//!             return (function (REQUIRE_COMMON, [REQUIRE_SHARED,] VIRTUAL_FILESYSTEM,
//!             DEFAULT_ENTRYPOINT[, SYMLINKS[, DICT, DOCOMPRESS]]) { …bootstrap… })(…code…,
//!             <VIRTUAL_FILESYSTEM>\n,\n<DEFAULT_ENTRYPOINT>\n,\n…\n,\n<DOCOMPRESS>\n);\n})
//! ```
//!
//! Each argument after the code is one line of JSON. The virtual file system maps a snapshot path
//! (`/snapshot/app/index.js`) to its stores, each an `[offset, length]` into the payload: `"0"`
//! V8 bytecode, `"1"` content (source text or asset bytes), `"2"` a directory listing, `"3"` stat.
//! When the payload is compressed, the paths are shortened too: every path segment becomes a
//! base-36 key, and DICT maps segments to keys.
//!
//! The placeholders are not needed (and may be ambiguous: the source literal of one can stay in
//! the binary): the prelude follows the payload directly, and the payload ends where its last
//! stripe does.

use std::collections::HashMap;
use std::io::Read;

use serde_json::Value;

/// How the prelude starts; pkg has written this line since 2017.
const PRELUDE_START: &[u8] = b"(function(process, require, console, EXECPATH_FD, PAYLOAD_POSITION, PAYLOAD_SIZE) {";

/// How the prelude's inner function starts, right after [`PRELUDE_START`].
const INNER_START: &[u8] = b"return (function (";

/// Stores of the virtual file system (pkg's `STORE_BLOB`, `STORE_CONTENT`).
const STORE_BYTECODE: &str = "0";
const STORE_CONTENT: &str = "1";

/// Largest zstd window accepted: Node's zstd (which pkg uses) writes 2 MiB windows at its
/// default level and 8 MiB at level 19.
const MAX_ZSTD_WINDOW: u64 = 32 << 20;

/// How every stripe of the payload is compressed (pkg's `DOCOMPRESS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Compression {
    None,
    Gzip,
    Brotli,
    Zstd,
}

/// One file of the snapshot that has content or bytecode (directories and stat records are
/// left out).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct File<'a> {
    /// The snapshot path with `/` separators and no leading root or drive:
    /// `snapshot/app/index.js`.
    pub path: String,
    /// The stored content, as stored (compressed when the payload is).
    pub content: Option<&'a [u8]>,
    /// The stored V8 bytecode, as stored.
    pub bytecode: Option<&'a [u8]>,
}

/// A parsed payload.
#[derive(Debug)]
pub(super) struct Payload<'a> {
    pub compression: Compression,
    /// Files in payload order.
    pub files: Vec<File<'a>>,
}

/// Where pkg's prelude starts, if `bytes` carry one: the last place the prelude's first line is
/// followed by its inner function (the application's own code may quote the line). Searched
/// forwards, which is several times faster than backwards over a binary that has none.
pub(super) fn find(bytes: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(bytes, PRELUDE_START)
        .filter(|&at| {
            bytes[at + PRELUDE_START.len()..]
                .trim_ascii_start()
                .starts_with(INNER_START)
        })
        .last()
}

/// Parses the payload whose prelude starts at `prelude_at` (from [`find`]).
pub(super) fn parse(bytes: &[u8], prelude_at: usize) -> Result<Payload<'_>, String> {
    let prelude = &bytes[prelude_at..];
    // Code signatures and other trailers may follow the prelude; JavaScript text has no NUL.
    let prelude = &prelude[..memchr::memchr(0, prelude).unwrap_or(prelude.len())];
    let inner = prelude[PRELUDE_START.len()..].trim_ascii_start();
    let parameters = &inner[INNER_START.len()..];
    let parameters =
        &parameters[..memchr::memchr(b')', parameters).ok_or("the prelude's parameter list is cut short")?];
    let parameters: Vec<&[u8]> = parameters.split(|&b| b == b',').map(<[u8]>::trim_ascii).collect();
    let first_json = parameters
        .iter()
        .position(|&p| p == b"VIRTUAL_FILESYSTEM")
        .ok_or("the prelude takes no VIRTUAL_FILESYSTEM")?;
    let names = &parameters[first_json..];
    let arguments = json_arguments(prelude, names.len())?;
    let argument = |name: &[u8]| names.iter().position(|&n| n == name).map(|i| arguments[i]);

    let compression = match argument(b"DOCOMPRESS").map(serde_json::from_slice::<u64>) {
        None | Some(Ok(0)) => Compression::None,
        Some(Ok(1)) => Compression::Gzip,
        Some(Ok(2)) => Compression::Brotli,
        Some(Ok(3)) => Compression::Zstd,
        Some(Ok(other)) => return Err(format!("unknown compression {other} (DOCOMPRESS)")),
        Some(Err(error)) => return Err(format!("DOCOMPRESS is not a number: {error}")),
    };
    let dictionary = match argument(b"DICT") {
        Some(json) if compression != Compression::None => {
            let by_name: HashMap<String, String> =
                serde_json::from_slice(json).map_err(|e| format!("the path dictionary is not JSON: {e}"))?;
            Some(by_name.into_iter().map(|(name, key)| (key, name)).collect())
        }
        _ => None,
    };
    let vfs: HashMap<String, HashMap<String, Value>> =
        serde_json::from_slice(arguments[0]).map_err(|e| format!("the virtual file system is not JSON: {e}"))?;

    // The payload is as long as its stripes reach; the prelude follows it.
    let mut payload_size = 0u64;
    for stores in vfs.values() {
        for pointer in stores.values() {
            if let Some((offset, length)) = as_pointer(pointer) {
                let end = offset
                    .checked_add(length)
                    .ok_or("a stripe's offset and length overflow")?;
                payload_size = payload_size.max(end);
            }
        }
    }
    let payload_at = usize::try_from(payload_size)
        .ok()
        .and_then(|size| prelude_at.checked_sub(size))
        .ok_or_else(|| {
            format!("the virtual file system claims a payload of {payload_size} bytes, more than precedes the prelude")
        })?;
    let payload = &bytes[payload_at..prelude_at];
    let stripe = |stores: &HashMap<String, Value>, store: &str| {
        let (offset, length) = as_pointer(stores.get(store)?)?;
        // Within the payload: its size was taken from these very pointers.
        Some(&payload[offset as usize..(offset + length) as usize])
    };

    let mut files = Vec::new();
    for (key, stores) in &vfs {
        let content = stripe(stores, STORE_CONTENT);
        let bytecode = stripe(stores, STORE_BYTECODE);
        if content.is_none() && bytecode.is_none() {
            continue;
        }
        let order = [STORE_CONTENT, STORE_BYTECODE]
            .iter()
            .filter_map(|store| as_pointer(stores.get(*store)?))
            .map(|(offset, _)| offset)
            .min();
        files.push((order, snapshot_path(key, dictionary.as_ref()), content, bytecode));
    }
    files.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    Ok(Payload {
        compression,
        files: files
            .into_iter()
            .map(|(_, path, content, bytecode)| File {
                path,
                content,
                bytecode,
            })
            .collect(),
    })
}

/// The last `count` arguments of the prelude's inner call, one JSON value per line, separated by
/// `,` lines and followed by `);` and `})`.
fn json_arguments(prelude: &[u8], count: usize) -> Result<Vec<&[u8]>, String> {
    // The last such end: a code signature may follow without padding.
    let end =
        memchr::memmem::rfind(prelude, b"\n);\n})").ok_or("the prelude does not end as pkg ends it (cut short?)")?;
    let body = &prelude[..end];
    // Lines from the end: argument, `,`, argument, …, first argument, and the code before it.
    let mut lines = body.rsplitn(2 * count, |&b| b == b'\n');
    let mut arguments = Vec::with_capacity(count);
    for index in 0..count {
        if index > 0 && lines.next() != Some(b",") {
            return Err("the prelude's arguments are not separated as pkg separates them".to_string());
        }
        arguments.push(lines.next().ok_or("the prelude's arguments are cut short")?);
    }
    if lines.next().is_none() {
        return Err("the prelude holds its arguments and no code".to_string());
    }
    arguments.reverse();
    Ok(arguments)
}

/// `[offset, length]`.
fn as_pointer(value: &Value) -> Option<(u64, u64)> {
    match value.as_array()?.as_slice() {
        [offset, length] => Some((offset.as_u64()?, length.as_u64()?)),
        _ => None,
    }
}

/// The snapshot path of a virtual file system key, expanded through the dictionary when paths
/// were shortened: `/snapshot/app/a.js` or `C:\snapshot\app\a.js` → `snapshot/app/a.js`. A key
/// part missing from the dictionary is kept as it is.
fn snapshot_path(key: &str, dictionary: Option<&HashMap<String, String>>) -> String {
    let path = match dictionary {
        Some(dictionary) => key
            .split('/')
            .map(|part| dictionary.get(part).map_or(part, String::as_str))
            .collect::<Vec<_>>()
            .join("/"),
        None => key.to_string(),
    };
    let path = path.replace('\\', "/");
    let without_drive = match path.as_bytes() {
        [drive, b':', ..] if drive.is_ascii_alphabetic() => &path[2..],
        _ => &path,
    };
    without_drive.trim_start_matches('/').to_string()
}

/// Reads a stripe as stored: through the payload's decompressor.
pub(super) fn reader<'a>(compression: Compression, stored: &'a [u8]) -> Result<Box<dyn Read + 'a>, String> {
    Ok(match compression {
        Compression::None => Box::new(stored),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(stored)),
        Compression::Brotli => Box::new(brotli_decompressor::Decompressor::new(stored, 4096)),
        Compression::Zstd => {
            // The decoder reserves the window a frame declares before reading on; a lying frame
            // must not make it reserve the default 128 MiB (a browser tab's memory grows by it).
            let mut decoder = ruzstd::decoding::FrameDecoder::new();
            decoder.set_max_window_size(MAX_ZSTD_WINDOW);
            Box::new(
                ruzstd::decoding::StreamingDecoder::new_with_decoder(stored, decoder)
                    .map_err(|e| format!("zstd: {e}"))?,
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An executable as pkg lays it out: binary, payload, prelude, with the argument list of
    /// `parameters` (after the code parameters).
    fn executable(stripes: &[&[u8]], vfs: &str, tail: &[&str], parameters: &str) -> (Vec<u8>, usize) {
        let mut bytes = b"\x7fELF binary".to_vec();
        for stripe in stripes {
            bytes.extend_from_slice(stripe);
        }
        let prelude_at = bytes.len();
        bytes.extend_from_slice(PRELUDE_START);
        bytes.extend_from_slice(b" return (function (REQUIRE_COMMON, ");
        bytes.extend_from_slice(parameters.as_bytes());
        bytes.extend_from_slice(b") {\n  bootstrap();\n})(function (exports) {\n  common();\n},\n");
        bytes.extend_from_slice(vfs.as_bytes());
        for argument in tail {
            bytes.extend_from_slice(b"\n,\n");
            bytes.extend_from_slice(argument.as_bytes());
        }
        bytes.extend_from_slice(b"\n);\n})");
        (bytes, prelude_at)
    }

    #[test]
    fn reads_an_uncompressed_payload() {
        let (bytes, prelude_at) = executable(
            &[b"bytecode", b"console.log(1)", b"{\"a\":1}", b"[\"x.js\"]"],
            r#"{"/snapshot/app/x.js":{"0":[0,8],"1":[8,14]},"/snapshot/app/p.json":{"1":[22,7]},"/snapshot/app":{"2":[29,8]}}"#,
            &["\"/snapshot/app/x.js\"", "{}", "{}", "0"],
            "VIRTUAL_FILESYSTEM, DEFAULT_ENTRYPOINT, SYMLINKS, DICT, DOCOMPRESS",
        );
        assert_eq!(find(&bytes), Some(prelude_at));
        let payload = parse(&bytes, prelude_at).unwrap();
        assert_eq!(payload.compression, Compression::None);
        assert_eq!(
            payload.files,
            [
                File {
                    path: "snapshot/app/x.js".into(),
                    content: Some(b"console.log(1)"),
                    bytecode: Some(b"bytecode"),
                },
                File {
                    path: "snapshot/app/p.json".into(),
                    content: Some(b"{\"a\":1}"),
                    bytecode: None,
                },
            ]
        );
    }

    #[test]
    fn expands_shortened_paths_and_reads_pkg_4_preludes() {
        let (bytes, at) = executable(
            &[b"x"],
            r#"{"0/1/2":{"1":[0,1]}}"#,
            &["\"/snapshot/a.js\"", "{}", r#"{"":"0","snapshot":"1","a.js":"2"}"#, "1"],
            "REQUIRE_SHARED, VIRTUAL_FILESYSTEM, DEFAULT_ENTRYPOINT, SYMLINKS, DICT, DOCOMPRESS",
        );
        let payload = parse(&bytes, at).unwrap();
        assert_eq!(payload.compression, Compression::Gzip);
        assert_eq!(payload.files[0].path, "snapshot/a.js");
        // pkg 4: two arguments, Windows paths.
        let (bytes, at) = executable(
            &[b"y"],
            r#"{"C:\\snapshot\\b.js":{"1":[0,1]}}"#,
            &["\"C:\\\\snapshot\\\\b.js\""],
            "VIRTUAL_FILESYSTEM, DEFAULT_ENTRYPOINT",
        );
        assert_eq!(parse(&bytes, at).unwrap().files[0].path, "snapshot/b.js");
    }

    #[test]
    fn inflates_every_codec() {
        let text = b"fetch(\"https://b.example.com\")";
        // Node's zlib.brotliCompressSync of the text.
        let brotli = [
            139, 14, 128, 102, 101, 116, 99, 104, 40, 34, 104, 116, 116, 112, 115, 58, 47, 47, 98, 46, 101, 120, 97,
            109, 112, 108, 101, 46, 99, 111, 109, 34, 41, 3,
        ];
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gzip, text).unwrap();
        let gzip = gzip.finish().unwrap();
        let zstd = ruzstd::encoding::compress_to_vec(&text[..], ruzstd::encoding::CompressionLevel::Fastest);
        for (compression, stored) in [
            (Compression::None, &text[..]),
            (Compression::Brotli, &brotli),
            (Compression::Gzip, &gzip),
            (Compression::Zstd, &zstd),
        ] {
            let mut inflated = Vec::new();
            reader(compression, stored).unwrap().read_to_end(&mut inflated).unwrap();
            assert_eq!(inflated, text, "{compression:?}");
        }
        assert!(reader(Compression::Zstd, b"not zstd").is_err());
        // A frame declaring a 1 GiB window (window descriptor: exponent 20, no mantissa).
        let huge_window = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0x01, 0x00, 0x00];
        let Err(problem) = reader(Compression::Zstd, &huge_window) else {
            panic!("a 1 GiB window was accepted");
        };
        assert!(problem.contains("window"), "{problem}");
    }

    #[test]
    fn a_quoted_prelude_line_is_not_a_prelude() {
        let mut bytes = PRELUDE_START.to_vec();
        bytes.extend_from_slice(b" ${prelude}\\n})`");
        assert_eq!(find(&bytes), None);
    }

    #[test]
    fn hostile_preludes_are_errors() {
        let parameters = "VIRTUAL_FILESYSTEM, DEFAULT_ENTRYPOINT";
        let (bytes, at) = executable(&[b"x"], r#"{"/snapshot/a.js":{"1":[0,1]}}"#, &["\"a\""], parameters);
        assert!(parse(&bytes[..bytes.len() - 2], at).unwrap_err().contains("cut short"));
        // A signature right after the prelude is no part of it.
        let mut signed = bytes.clone();
        signed.extend(b"\xfa\xde\x0c\xc0\0\0\x01\0");
        assert_eq!(parse(&signed, at).unwrap().files.len(), 1);
        // A stripe claiming more than precedes the prelude.
        let (bytes, at) = executable(
            &[b"x"],
            r#"{"/snapshot/a.js":{"1":[0,1099511627776]}}"#,
            &["\"a\""],
            parameters,
        );
        assert!(parse(&bytes, at).unwrap_err().contains("more than precedes"));
        let (bytes, at) = executable(
            &[b"x"],
            r#"{"/snapshot/a.js":{"1":[18446744073709551615,2]}}"#,
            &["\"a\""],
            parameters,
        );
        assert!(parse(&bytes, at).unwrap_err().contains("overflow"));
        let (bytes, at) = executable(&[b"x"], "{not json", &["\"a\""], parameters);
        assert!(parse(&bytes, at).unwrap_err().contains("not JSON"));
        // Fewer argument lines than parameters.
        let (bytes, at) = executable(&[b"x"], r#"{}"#, &[], parameters);
        assert!(parse(&bytes, at).is_err());
    }
}
