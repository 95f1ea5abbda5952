//! What can still be read in an opaque binary: its printable strings (runs of ASCII or UTF-8
//! text, and of UTF-16LE text as Windows programs store it) and the long runs of text that look
//! like JavaScript (a packager's payload stored uncompressed: pkg, deno compile, a hand-made
//! loader).
//!
//! The strings become one JavaScript string literal per line (`"https://…";`), deduplicated, in
//! the order they first appear: the parser reads that like any script, so the endpoint and
//! keyword rules see every literal, and a finding's line leads back to the string. The text
//! regions are handed over as they are, for the parser proper.

use rustc_hash::FxHashSet as HashSet;

/// Shortest string kept, in characters: shorter runs in machine code are mostly noise.
const MIN_CHARS: usize = 6;

/// Longest string kept whole; longer lines are cut (a snippet needs no more).
const MAX_STRING_BYTES: usize = 4096;

/// Shortest run of text that is looked at as possible JavaScript source.
const MIN_REGION_BYTES: usize = 16 << 10;

/// The listing stops growing here, so a huge binary cannot make a huge script to parse.
pub(super) const MAX_LISTING_BYTES: usize = 32 << 20;

/// What an opaque binary yielded.
#[derive(Debug, Default)]
pub(super) struct Found<'a> {
    /// One string literal statement per line.
    pub listing: Vec<u8>,
    /// Long JavaScript-looking runs of text: (offset in the binary, text).
    pub regions: Vec<(usize, &'a [u8])>,
    /// True when the listing stopped at [`MAX_LISTING_BYTES`].
    pub truncated: bool,
}

/// Finds the strings and JavaScript-looking regions of `bytes`.
pub(super) fn extract(bytes: &[u8]) -> Found<'_> {
    let mut found = Found::default();
    let mut seen: HashSet<Vec<u8>> = HashSet::default();
    let mut at = 0;
    while at < bytes.len() {
        // Most of a binary is not text: skip it a byte at a time without decoding.
        if TEXT_BYTES[usize::from(bytes[at])] == NOT_TEXT {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() {
            match TEXT_BYTES[usize::from(bytes[at])] {
                ASCII_TEXT => at += 1,
                UTF8_LEAD => match text_char_width(&bytes[at..]) {
                    0 => break,
                    width => at += width,
                },
                _ => break,
            }
        }
        if at == start {
            at += 1;
            continue;
        }
        let run = &bytes[start..at];
        if run.len() >= MIN_REGION_BYTES && looks_like_javascript(run) {
            found.regions.push((start, run));
            continue;
        }
        for line in run.split(|&b| b == b'\n' || b == b'\r') {
            add_string(&mut found, &mut seen, line);
        }
    }
    for text in utf16_strings(bytes) {
        add_string(&mut found, &mut seen, text.as_bytes());
    }
    found
}

const NOT_TEXT: u8 = 0;
const ASCII_TEXT: u8 = 1;
const UTF8_LEAD: u8 = 2;

/// What each byte can be the start of: printable ASCII (or tab, newline), the first byte of a
/// UTF-8 sequence, or neither.
const TEXT_BYTES: [u8; 256] = {
    let mut table = [NOT_TEXT; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = match byte as u8 {
            0x20..=0x7e | b'\t' | b'\n' | b'\r' => ASCII_TEXT,
            0xc2..=0xf4 => UTF8_LEAD,
            _ => NOT_TEXT,
        };
        byte += 1;
    }
    table
};

/// Bytes of the printable character (or tab, newline) `bytes` starts with; 0 when it starts
/// with anything else.
fn text_char_width(bytes: &[u8]) -> usize {
    let Some(&first) = bytes.first() else {
        return 0;
    };
    match first {
        0x20..=0x7e | b'\t' | b'\n' | b'\r' => 1,
        first @ 0xc2..=0xf4 => {
            let width = match first {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            match bytes.get(..width).map(std::str::from_utf8) {
                Some(Ok(text)) if !text.chars().any(char::is_control) => width,
                _ => 0,
            }
        }
        _ => 0,
    }
}

/// Adds one string to the listing, if it is long enough, new, and there is room.
fn add_string(found: &mut Found<'_>, seen: &mut HashSet<Vec<u8>>, line: &[u8]) {
    let text = line.trim_ascii();
    if found.truncated || text.len() < MIN_CHARS || !is_worth_keeping(text) {
        return;
    }
    let mut cut = text.len().min(MAX_STRING_BYTES);
    while !is_char_boundary(text, cut) {
        cut -= 1;
    }
    let text = &text[..cut];
    if seen.contains(text) {
        return;
    }
    if found.listing.len() + text.len() + 4 > MAX_LISTING_BYTES {
        found.truncated = true;
        return;
    }
    seen.insert(text.to_vec());
    found.listing.push(b'"');
    for &byte in text {
        match byte {
            b'"' => found.listing.extend_from_slice(b"\\\""),
            b'\\' => found.listing.extend_from_slice(b"\\\\"),
            b'\t' => found.listing.extend_from_slice(b"\\t"),
            _ => found.listing.push(byte),
        }
    }
    found.listing.extend_from_slice(b"\";\n");
}

/// Machine code decodes as text by chance (`AWAVAUATSH`): keep what has at least a few letters
/// and is not one character repeated.
fn is_worth_keeping(text: &[u8]) -> bool {
    let letters = text.iter().filter(|b| b.is_ascii_alphabetic()).count();
    letters >= 3 && text.iter().any(|&b| b != text[0])
}

fn is_char_boundary(text: &[u8], at: usize) -> bool {
    at >= text.len() || (text[at] as i8) >= -0x40
}

/// Runs of UTF-16LE printable ASCII (`h\0t\0t\0p\0`), at least [`MIN_CHARS`] long.
fn utf16_strings(bytes: &[u8]) -> Vec<String> {
    let mut strings = Vec::new();
    for parity in 0..2 {
        let mut current = String::new();
        for pair in bytes.get(parity..).unwrap_or_default().chunks_exact(2) {
            match pair {
                [low @ (0x20..=0x7e | b'\t'), 0] => current.push(char::from(*low)),
                _ => {
                    if current.len() >= MIN_CHARS {
                        strings.push(std::mem::take(&mut current));
                    }
                    current.clear();
                }
            }
        }
        if current.len() >= MIN_CHARS {
            strings.push(current);
        }
    }
    strings
}

/// JavaScript source has keywords and arrows every few hundred bytes, and a high density of
/// punctuation; prose, logs and tables do not.
fn looks_like_javascript(text: &[u8]) -> bool {
    const MARKERS: [&[u8]; 7] = [
        b"function",
        b"=>",
        b"return",
        b"const ",
        b"var ",
        b"require(",
        b"import ",
    ];
    let markers: usize = MARKERS
        .iter()
        .map(|marker| memchr::memmem::find_iter(text, marker).count())
        .sum();
    let punctuation = text.iter().filter(|b| b";{}()=".contains(b)).count();
    markers * 1024 >= text.len() && punctuation * 100 >= text.len() * 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_ascii_utf8_and_utf16_strings_once() {
        let mut bytes = b"\x00\x01https://t.example.com/v1\x00\xff\xfeunicode caf\xc3\xa9\x00".to_vec();
        bytes.extend(b"https://t.example.com/v1\x00ab\x00\x01\x01");
        bytes.extend("DO_NOT_TRACK".encode_utf16().flat_map(u16::to_le_bytes));
        let found = extract(&bytes);
        let listing = String::from_utf8(found.listing).unwrap();
        assert_eq!(
            listing,
            "\"https://t.example.com/v1\";\n\"unicode café\";\n\"DO_NOT_TRACK\";\n"
        );
        assert!(found.regions.is_empty());
    }

    #[test]
    fn escapes_quotes_and_backslashes() {
        let found = extract(b"\0say \"hi\" C:\\path\0");
        assert_eq!(found.listing, b"\"say \\\"hi\\\" C:\\\\path\";\n");
    }

    #[test]
    fn hands_javascript_regions_over_whole() {
        let script = "function f(a) { return fetch('https://x.example/' + a); }\n".repeat(400);
        let mut bytes = vec![0u8; 100];
        bytes.extend(script.as_bytes());
        bytes.push(0);
        let found = extract(&bytes);
        assert_eq!(found.regions, vec![(100, script.as_bytes())]);
        let prose = "The quick brown fox jumps over the lazy dog.\n".repeat(400);
        assert!(extract(prose.as_bytes()).regions.is_empty());
    }

    #[test]
    fn noise_is_dropped() {
        assert!(extract(b"\0AWAVAUATSH\0zzzzzzzz\0x1y2z\0").listing == b"\"AWAVAUATSH\";\n");
    }
}
