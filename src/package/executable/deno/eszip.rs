//! eszip v2, the module graph `deno compile` embedded before Deno 2.1 (the `eszip` crate's
//! `v2.rs`, now in denoland/deno). Big-endian numbers:
//!
//! ```text
//! magic            ESZIP_V2 | ESZIP2.1 | ESZIP2.2 | ESZIP2.3
//! options (2.2+)   u32 length | (option u8, value u8) pairs | checksum
//!                  option 0: checksum kind (0 none, 1 SHA-256, 2 xxHash3), 1: digest size
//! modules header   u32 length | entries | checksum
//!                  entry: u32-sized specifier, kind u8:
//!                    0 module: source offset, source length, map offset, map length (u32 each),
//!                      module kind u8 (JavaScript, JSON, JSONC, opaque data, Wasm)
//!                    1 redirect: u32-sized target          2 npm package (2.1+): u32 id
//! npm (2.1+)       u32 length | snapshot | checksum
//! sources          u32 length | each source followed by its checksum, at the header's offsets
//! source maps      u32 length | likewise
//! ```
//!
//! Checksums are digests of the section before them: SHA-256 (32 bytes) in 2 and 2.1, whatever
//! the options say from 2.2 (none by default). They are skipped, not checked: a tampered source
//! is still what the executable would run.

use super::Reader;

const MAGICS: [&[u8; 8]; 4] = [b"ESZIP_V2", b"ESZIP2.1", b"ESZIP2.2", b"ESZIP2.3"];

/// True when `bytes` start like an eszip v2.
pub(super) fn has_magic(bytes: &[u8]) -> bool {
    MAGICS.iter().any(|magic| bytes.starts_with(*magic))
}

/// A module's specifier and source.
pub(super) type Module<'a> = (&'a [u8], &'a [u8]);

/// The modules with their sources. Redirects and npm packages have no source and are left out.
pub(super) fn parse(bytes: &[u8]) -> Result<Vec<Module<'_>>, String> {
    let version = MAGICS
        .iter()
        .position(|magic| bytes.starts_with(*magic))
        .ok_or("not an eszip v2")?;
    let mut reader = Reader::new(bytes, 8);
    let mut digest_size = if version < 2 { 32 } else { 0 };
    if version >= 2 {
        let options = sized(&mut reader).ok_or("the options are cut short")?;
        let mut kind_size = Some(0);
        let mut explicit_size = None;
        for pair in options.chunks(2) {
            match pair {
                [0, kind] => {
                    kind_size = match kind {
                        0 => Some(0),
                        1 => Some(32),
                        2 => Some(8),
                        _ => None,
                    }
                }
                [1, size] => explicit_size = Some(usize::from(*size)),
                _ => {}
            }
        }
        digest_size = explicit_size
            .or(kind_size)
            .ok_or("the options name a checksum of unknown size")?;
        reader.skip(digest_size as u64).ok_or("the options are cut short")?;
    }
    let header = sized(&mut reader).ok_or("the modules header is cut short")?;
    reader
        .skip(digest_size as u64)
        .ok_or("the modules header is cut short")?;
    if version >= 1 {
        sized(&mut reader).ok_or("the npm snapshot is cut short")?;
        reader.skip(digest_size as u64).ok_or("the npm snapshot is cut short")?;
    }
    let sources = sized(&mut reader).ok_or("the sources are cut short")?;

    let mut modules = Vec::new();
    let mut entries = Reader::new(header, 0);
    while entries.at < header.len() {
        let cut_short = "a modules header entry is cut short";
        let length = entries.u32_be().ok_or(cut_short)?;
        let specifier = entries.take_u64(u64::from(length)).ok_or(cut_short)?;
        match entries.u8().ok_or(cut_short)? {
            0 => {
                let (offset, length) = (entries.u32_be().ok_or(cut_short)?, entries.u32_be().ok_or(cut_short)?);
                entries.skip(9).ok_or(cut_short)?; // source map offset and length, module kind
                if length == 0 {
                    continue;
                }
                let mut at = Reader::new(sources, 0);
                let source = at
                    .skip(u64::from(offset))
                    .and_then(|()| at.take_u64(u64::from(length)))
                    .ok_or_else(|| {
                        format!(
                            "the source of {} lies outside the sources",
                            String::from_utf8_lossy(specifier)
                        )
                    })?;
                modules.push((specifier, source));
            }
            1 => {
                let length = entries.u32_be().ok_or(cut_short)?;
                entries.skip(u64::from(length)).ok_or(cut_short)?;
            }
            2 if version >= 1 => {
                entries.skip(4).ok_or(cut_short)?;
            }
            kind => return Err(format!("unknown modules header entry kind {kind}")),
        }
    }
    Ok(modules)
}

/// A u32-sized section.
fn sized<'a>(reader: &mut Reader<'a>) -> Option<&'a [u8]> {
    let length = reader.u32_be()?;
    reader.take_u64(u64::from(length))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend((bytes.len() as u32).to_be_bytes());
        out.extend(bytes);
    }

    /// An eszip 2.2 with no checksums, or a 2.0 one with 32-byte digests.
    fn eszip(magic: &[u8; 8], digest: usize) -> Vec<u8> {
        let mut header = Vec::new();
        let mut sources = Vec::new();
        for (specifier, source) in [("file:///app/main.js", "main()"), ("https://x.dev/a.js", "a()")] {
            sized(&mut header, specifier.as_bytes());
            header.push(0);
            header.extend((sources.len() as u32).to_be_bytes());
            header.extend((source.len() as u32).to_be_bytes());
            header.extend([0u8; 8]);
            header.push(0);
            sources.extend(source.as_bytes());
            sources.extend(vec![0xaa; digest]);
        }
        sized(&mut header, b"https://x.dev/b.js");
        header.push(1);
        sized(&mut header, b"https://x.dev/a.js");
        let mut out = magic.to_vec();
        if magic == b"ESZIP2.2" {
            sized(&mut out, &[0, 0, 1, 0]);
        }
        sized(&mut out, &header);
        out.extend(vec![0xbb; digest]);
        if magic != b"ESZIP_V2" {
            sized(&mut out, b"");
            out.extend(vec![0xcc; digest]);
        }
        sized(&mut out, &sources);
        sized(&mut out, b"");
        out
    }

    #[test]
    fn reads_sources_of_every_version() {
        for (magic, digest) in [(b"ESZIP2.2", 0), (b"ESZIP2.1", 32), (b"ESZIP_V2", 32)] {
            let bytes = eszip(magic, digest);
            assert_eq!(
                parse(&bytes).unwrap(),
                [
                    (&b"file:///app/main.js"[..], &b"main()"[..]),
                    (&b"https://x.dev/a.js"[..], &b"a()"[..])
                ],
                "{}",
                String::from_utf8_lossy(magic)
            );
        }
    }

    #[test]
    fn hostile_eszips_are_errors() {
        let bytes = eszip(b"ESZIP2.2", 0);
        for cut in 0..bytes.len() - 4 {
            assert!(parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut lying = bytes.clone();
        // The first module's source offset (after magic, options, header length, specifier).
        let at = 8 + 8 + 4 + 4 + "file:///app/main.js".len() + 1;
        lying[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse(&lying).unwrap_err().contains("outside the sources"));
        assert!(parse(b"ESZIP_V1{}").is_err());
    }
}
