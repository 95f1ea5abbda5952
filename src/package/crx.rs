//! Chrome extensions: a `Cr24` header (version 2: public key and signature; version 3: a
//! protobuf header) in front of an ordinary zip.

use super::{Format, Unpacker, zip};

pub(super) fn read(unpacker: &mut Unpacker<'_>, bytes: &[u8], archive: &str, prefix: &str, depth: u32) -> Format {
    match zip_offset(bytes) {
        Ok(offset) => {
            zip::read(unpacker, &bytes[offset..], archive, prefix, depth);
        }
        Err(problem) => unpacker.error(archive, format!("crx header: {problem}")),
    }
    Format::Crx
}

/// Where the zip starts after the header.
fn zip_offset(bytes: &[u8]) -> Result<usize, String> {
    let word = |at: usize| -> Result<usize, String> {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| format!("file ends inside the header (at byte {at})"))
    };
    let offset = match word(4)? {
        2 => 16usize
            .checked_add(word(8)?)
            .and_then(|o| o.checked_add(word(12).ok()?)),
        3 => 12usize.checked_add(word(8)?),
        other => return Err(format!("unknown version {other}")),
    }
    .ok_or("header sizes overflow")?;
    if offset > bytes.len() {
        return Err(format!("header claims {offset} bytes but the file has {}", bytes.len()));
    }
    Ok(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_zip_after_v3_header() {
        let mut crx = b"Cr24\x03\0\0\0\x02\0\0\0xx".to_vec();
        crx.extend_from_slice(b"PK\x05\x06");
        assert_eq!(zip_offset(&crx), Ok(14));
    }

    #[test]
    fn rejects_lying_header() {
        let crx = b"Cr24\x02\0\0\0\xff\xff\xff\x7f\0\0\0\0";
        assert!(zip_offset(crx).unwrap_err().contains("claims"));
        assert!(zip_offset(b"Cr24\x09\0\0\0").unwrap_err().contains("version 9"));
        assert!(zip_offset(b"Cr24").unwrap_err().contains("ends inside"));
    }
}
