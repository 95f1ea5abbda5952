//! Recognises containers by their first bytes, never by the file name: packages arrive renamed,
//! and a `.js` that is really a zip must still be opened.

/// A byte-level container format that the package layer knows how to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// gzip (`1f 8b`): a `.tgz`/`.tar.gz`, or one compressed file.
    Gzip,
    /// POSIX / GNU / v7 tar.
    Tar,
    /// zip and everything built on it: `.vsix`, `.whl`, `.jar`.
    Zip,
    /// A Chrome extension: `Cr24` header, then a zip.
    Crx,
    /// A compiled executable (ELF, Mach-O thin or universal, PE) or WebAssembly: the code
    /// embedded in it, or else its strings.
    Executable,
    /// Bytes read only for their strings (JavaScriptCore bytecode, a V8 snapshot). Never
    /// sniffed: chosen by a container that knows what it holds.
    Opaque,
    /// Compressions we recognise but do not inflate; named in the error message.
    Unsupported(&'static str),
}

/// The container `bytes` start with, if any.
pub fn sniff(bytes: &[u8]) -> Option<Container> {
    match bytes {
        [0x1f, 0x8b, ..] => Some(Container::Gzip),
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] | [b'P', b'K', 7, 8, ..] => Some(Container::Zip),
        [b'C', b'r', b'2', b'4', ..] => Some(Container::Crx),
        [b'B', b'Z', b'h', ..] => Some(Container::Unsupported("bzip2")),
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Some(Container::Unsupported("xz")),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Container::Unsupported("zstd")),
        [b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c, ..] => Some(Container::Unsupported("7z")),
        [b'R', b'a', b'r', b'!', 0x1a, 7, ..] => Some(Container::Unsupported("rar")),
        _ if is_tar_header(bytes) => Some(Container::Tar),
        _ if crate::files::native_format(bytes).is_some() => Some(Container::Executable),
        _ => None,
    }
}

/// True when `block` starts with a tar header: the `ustar` magic, or (for old v7 archives that
/// have no magic) a header whose checksum adds up.
pub fn is_tar_header(block: &[u8]) -> bool {
    if block.len() < 512 {
        return false;
    }
    if &block[257..262] == b"ustar" {
        return true;
    }
    // v7 tar: the checksum field (148..156) holds the octal sum of the header bytes, with the
    // field itself counted as spaces. An all-zero block is an end marker, not a header.
    let Some(stored) = parse_octal(&block[148..156]) else {
        return false;
    };
    let sum: u64 = block[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u64::from(b) })
        .sum();
    stored == sum && block[0] != 0
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let text = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b));
    let mut value = 0u64;
    let mut digits = 0;
    for digit in text {
        value = value.checked_mul(8)? + u64::from(digit - b'0');
        digits += 1;
    }
    (digits > 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_magic() {
        assert_eq!(sniff(b"\x1f\x8b\x08\0"), Some(Container::Gzip));
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Container::Zip));
        assert_eq!(sniff(b"PK\x05\x06"), Some(Container::Zip));
        assert_eq!(sniff(b"Cr24\x03\0\0\0"), Some(Container::Crx));
        assert_eq!(sniff(b"\xfd7zXZ\0\0"), Some(Container::Unsupported("xz")));
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\0"), Some(Container::Executable));
        assert_eq!(sniff(b"\0asm\x01\0\0\0"), Some(Container::Executable));
        assert_eq!(sniff(b"console.log(1)"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn recognises_v7_tar_by_checksum() {
        let mut block = [0u8; 512];
        block[..5].copy_from_slice(b"a.txt");
        block[100..107].copy_from_slice(b"0000644");
        let sum: u32 = block.iter().map(|&b| u32::from(b)).sum::<u32>() + 8 * 32;
        let field = format!("{sum:06o}\0 ");
        block[148..156].copy_from_slice(field.as_bytes());
        assert!(is_tar_header(&block));
        block[0] = b'b';
        assert!(!is_tar_header(&block));
        assert!(!is_tar_header(&[0u8; 512]));
    }
}
