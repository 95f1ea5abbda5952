//! The text encodings decoders use: base64, hex, percent-escapes, UTF-16 code units.

/// Standard or URL-safe base64, padding optional, whitespace ignored; `None` when the text is
/// not base64 at all.
pub fn base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for byte in text.bytes() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The alphabet javascript-obfuscator's string-array encodings use: lower case first.
pub const LOWERCASE_FIRST: &[u8; 64] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";

/// Base64 in another alphabet; `None` on a character outside it (padding and whitespace are
/// skipped, as hand-written decoders do).
pub fn base64_in(text: &str, alphabet: &[u8; 64]) -> Option<Vec<u8>> {
    let mut sextets = [u8::MAX; 256];
    for (i, &c) in alphabet.iter().enumerate() {
        sextets[usize::from(c)] = i as u8;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for byte in text.bytes() {
        let sextet = match sextets[usize::from(byte)] {
            u8::MAX if matches!(byte, b'=' | b' ' | b'\n' | b'\r' | b'\t') => continue,
            u8::MAX => return None,
            sextet => sextet,
        };
        buffer = (buffer << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// RC4 over UTF-16 code units, as JavaScript decoders write it (`charCodeAt` of the key and the
/// data, XOR with the key stream, `String.fromCharCode`).
pub fn rc4(key: &[u16], data: &[u16]) -> Vec<u16> {
    if key.is_empty() {
        return data.to_vec();
    }
    let mut s: [u8; 256] = std::array::from_fn(|i| i as u8);
    let mut j = 0usize;
    for i in 0..256 {
        j = (j + usize::from(s[i]) + usize::from(key[i % key.len()])) % 256;
        s.swap(i, j);
    }
    let (mut i, mut j) = (0usize, 0usize);
    data.iter()
        .map(|&unit| {
            i = (i + 1) % 256;
            j = (j + usize::from(s[i])) % 256;
            s.swap(i, j);
            unit ^ u16::from(s[(usize::from(s[i]) + usize::from(s[j])) % 256])
        })
        .collect()
}

pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Hex digits in pairs; stops at the first pair that is not hex, as Node does.
pub fn hex(text: &str) -> Vec<u8> {
    let digits = text.as_bytes();
    let mut out = Vec::with_capacity(digits.len() / 2);
    for pair in digits.chunks_exact(2) {
        let (Some(high), Some(low)) = ((pair[0] as char).to_digit(16), (pair[1] as char).to_digit(16)) else {
            break;
        };
        out.push((high * 16 + low) as u8);
    }
    out
}

pub fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `decodeURIComponent`: `%XX` escapes of UTF-8; `None` where JavaScript throws.
pub fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_string());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let pair = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(pair, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `unescape`: `%XX` as Latin-1 and `%uXXXX` as UTF-16 code units; anything else as is.
pub fn unescape(text: &str) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut out: Vec<u16> = Vec::with_capacity(units.len());
    let hex_at = |from: usize, len: usize| -> Option<u16> {
        let digits = units.get(from..from + len)?;
        let text = String::from_utf16(digits).ok()?;
        u16::from_str_radix(&text, 16).ok()
    };
    let mut i = 0;
    while i < units.len() {
        if units[i] == u16::from(b'%') {
            if units.get(i + 1) == Some(&u16::from(b'u'))
                && let Some(unit) = hex_at(i + 2, 4)
            {
                out.push(unit);
                i += 6;
                continue;
            }
            if let Some(unit) = hex_at(i + 1, 2) {
                out.push(unit);
                i += 3;
                continue;
            }
        }
        out.push(units[i]);
        i += 1;
    }
    String::from_utf16_lossy(&out)
}

/// `escape`, for round trips.
pub fn escape(text: &str) -> String {
    let mut out = String::new();
    for unit in text.encode_utf16() {
        match unit {
            0x30..=0x39 | 0x41..=0x5a | 0x61..=0x7a | 0x40 | 0x2a | 0x5f | 0x2b | 0x2d | 0x2e | 0x2f => {
                out.push(unit as u8 as char);
            }
            0..=0xff => out.push_str(&format!("%{unit:02X}")),
            _ => out.push_str(&format!("%u{unit:04X}")),
        }
    }
    out
}

/// UTF-16 code units as a string (lone surrogates become U+FFFD).
pub fn from_units(units: &[u16]) -> String {
    String::from_utf16_lossy(units)
}

/// Bytes as Node's `Buffer.toString(encoding)` gives them.
pub fn bytes_to_string(bytes: &[u8], encoding: &str) -> Option<String> {
    Some(match encoding.to_ascii_lowercase().as_str() {
        "" | "utf8" | "utf-8" => String::from_utf8_lossy(bytes).into_owned(),
        "latin1" | "binary" => bytes.iter().map(|&b| b as char).collect(),
        "ascii" => bytes.iter().map(|&b| (b & 0x7f) as char).collect(),
        "hex" => hex_encode(bytes),
        "base64" => base64_encode(bytes),
        "utf16le" | "ucs2" | "ucs-2" | "utf-16le" => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .collect();
            from_units(&units)
        }
        _ => return None,
    })
}

/// A string as Node's `Buffer.from(text, encoding)` reads it.
pub fn string_to_bytes(text: &str, encoding: &str) -> Option<Vec<u8>> {
    Some(match encoding.to_ascii_lowercase().as_str() {
        "" | "utf8" | "utf-8" => text.as_bytes().to_vec(),
        "base64" | "base64url" => base64(text)?,
        "hex" => hex(text),
        "latin1" | "binary" | "ascii" => text.encode_utf16().map(|u| u as u8).collect(),
        "utf16le" | "ucs2" | "ucs-2" | "utf-16le" => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_both_alphabets() {
        assert_eq!(base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64("-_8").unwrap(), [0xfb, 0xff]);
        assert!(base64("not base64!").is_none());
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
        assert_eq!(base64_in("AgvSBg8=", LOWERCASE_FIRST).unwrap(), b"hello");
        assert!(base64_in("not base64!", LOWERCASE_FIRST).is_none());
    }

    #[test]
    fn rc4_known_answer() {
        // The classic test vector: RC4("Key", "Plaintext") = BBF316E8D940AF0AD3.
        let units = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
        let out = rc4(&units("Key"), &units("Plaintext"));
        assert_eq!(out, [0xbb, 0xf3, 0x16, 0xe8, 0xd9, 0x40, 0xaf, 0x0a, 0xd3]);
        assert_eq!(rc4(&units("Key"), &out), units("Plaintext"));
    }

    #[test]
    fn percent_and_unescape() {
        assert_eq!(percent_decode("%E4%B8%AD%2Fa").unwrap(), "中/a");
        assert!(percent_decode("%E4").is_none());
        assert_eq!(unescape("%u4E2D%41b%zz"), "中Ab%zz");
        assert_eq!(unescape(&escape("a b/中")), "a b/中");
    }

    #[test]
    fn hex_stops_at_junk() {
        assert_eq!(hex("6869zz41"), b"hi");
        assert_eq!(bytes_to_string(b"hi", "hex").unwrap(), "6869");
    }
}
