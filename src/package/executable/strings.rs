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
    for_each_stretch(bytes, |start, end| {
        scan_stretch(&mut found, &mut seen, bytes, start, end)
    });
    for text in utf16_strings(bytes) {
        add_string(&mut found, &mut seen, text.as_bytes());
    }
    found
}

/// Calls `visit(start, end)` for each stretch of `bytes` between [`BREAKS_TEXT`] bytes that is
/// long enough to hold a string ([`MIN_CHARS`]). Most of a binary is cut into short stretches by
/// such bytes: they are found 64 bytes at a time, as a bit mask built without branches, and the
/// short stretches are never looked at again.
fn for_each_stretch(bytes: &[u8], mut visit: impl FnMut(usize, usize)) {
    let mut start = 0;
    let mut on_breaks = |base: usize, mut breaks: u64| {
        if breaks != 0 && !has_long_gap(breaks) {
            // Only the stretch running in from the previous chunk can be long enough.
            let at = base + breaks.trailing_zeros() as usize;
            if at - start >= MIN_CHARS {
                visit(start, at);
            }
            start = base + 64 - breaks.leading_zeros() as usize;
            return;
        }
        while breaks != 0 {
            let at = base + breaks.trailing_zeros() as usize;
            if at - start >= MIN_CHARS {
                visit(start, at);
            }
            start = at + 1;
            breaks &= breaks - 1;
        }
    };
    let mut chunks = bytes.chunks_exact(64);
    for (index, chunk) in chunks.by_ref().enumerate() {
        let mut breaks = 0u64;
        for (bit, &byte) in chunk.iter().enumerate() {
            breaks |= u64::from(BREAKS_TEXT[usize::from(byte)]) << bit;
        }
        on_breaks(index * 64, breaks);
    }
    let base = bytes.len() - chunks.remainder().len();
    let mut breaks = 0u64;
    for (bit, &byte) in chunks.remainder().iter().enumerate() {
        breaks |= u64::from(BREAKS_TEXT[usize::from(byte)]) << bit;
    }
    on_breaks(base, breaks);
    if bytes.len() - start >= MIN_CHARS {
        visit(start, bytes.len());
    }
}

/// True when `breaks` (a bit per byte) has [`MIN_CHARS`] clear bits in a row between two set
/// ones: a stretch inside the chunk worth scanning.
fn has_long_gap(breaks: u64) -> bool {
    let clear = !breaks;
    // Bit i: bits i to i + MIN_CHARS - 1 are clear.
    let runs = (1..MIN_CHARS).fold(clear, |runs, shift| runs & clear >> shift);
    // Between the first set bit and the last one.
    let first = breaks.trailing_zeros();
    let last = 63 - breaks.leading_zeros();
    let inside = (u64::MAX << first) & (u64::MAX >> (63 - last));
    runs & inside != 0
}

/// Finds the runs of text in `bytes[start..end]`, a stretch with no [`BREAKS_TEXT`] byte: long
/// JavaScript-looking runs become regions, the lines of the others strings.
fn scan_stretch<'a>(found: &mut Found<'a>, seen: &mut HashSet<Vec<u8>>, bytes: &'a [u8], start: usize, end: usize) {
    let stretch = &bytes[..end];
    let mut at = start;
    while at < end {
        // Skip what is not text a byte at a time, without decoding.
        if TEXT_BYTES[usize::from(stretch[at])] == NOT_TEXT {
            at += 1;
            continue;
        }
        let run_start = at;
        while at < end {
            match TEXT_BYTES[usize::from(stretch[at])] {
                ASCII_TEXT => at += 1,
                UTF8_LEAD => match text_char_width(&stretch[at..]) {
                    0 => break,
                    width => at += width,
                },
                _ => break,
            }
        }
        if at == run_start {
            at += 1;
            continue;
        }
        let run = &stretch[run_start..at];
        if run.len() >= MIN_REGION_BYTES && looks_like_javascript(run) {
            found.regions.push((run_start, run));
            continue;
        }
        for line in run.split(|&b| b == b'\n' || b == b'\r') {
            add_string(found, seen, line);
        }
    }
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

/// Bytes no text character contains: controls other than tab and line ends, DEL, and bytes that
/// never occur in UTF-8. A run of text never crosses one, and the scan starts afresh after one,
/// so the stretches between them can be scanned each on its own.
const BREAKS_TEXT: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = matches!(byte as u8, 0x00..=0x08 | 0x0b | 0x0c | 0x0e..=0x1f | 0x7f | 0xc0 | 0xc1 | 0xf5..=0xff);
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

/// Runs of UTF-16LE printable ASCII (`h\0t\0t\0p\0`), at least [`MIN_CHARS`] long: those at even
/// offsets in order, then those at odd offsets.
///
/// Such a run is twelve bytes or more, so it covers some 4-byte aligned block whole, and that
/// block reads `c\0c\0` (a run at even offsets) or `\0c\0c` (odd). Blocks are checked, and a
/// run is measured only around a block that matches: binaries hold very few.
fn utf16_strings(bytes: &[u8]) -> Vec<String> {
    let is_char = |byte: u8| matches!(byte, 0x20..=0x7e | b'\t');
    let is_pair = |at: usize| at + 1 < bytes.len() && is_char(bytes[at]) && bytes[at + 1] == 0;
    let mut runs: [Vec<(usize, usize)>; 2] = Default::default();
    // Per parity, where the last run measured ended: blocks before it are inside it.
    let mut measured = [0usize; 2];
    for (index, block) in bytes.chunks_exact(4).enumerate() {
        let parity = match *block {
            [a, 0, b, 0] if is_char(a) && is_char(b) => 0,
            [0, a, 0, b] if is_char(a) && is_char(b) => 1,
            _ => continue,
        };
        let pair = index * 4 + parity;
        if pair < measured[parity] {
            continue;
        }
        let mut start = pair;
        while start >= parity + 2 && is_pair(start - 2) {
            start -= 2;
        }
        let mut end = pair;
        while is_pair(end) {
            end += 2;
        }
        measured[parity] = end;
        if (end - start) / 2 >= MIN_CHARS {
            runs[parity].push((start, end));
        }
    }
    runs.iter()
        .flatten()
        .map(|&(start, end)| bytes[start..end].iter().step_by(2).map(|&b| char::from(b)).collect())
        .collect()
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

    /// The plain scan, a byte at a time and one pass per UTF-16 parity, that [`extract`] must
    /// match output for output.
    fn reference_extract(bytes: &[u8]) -> Found<'_> {
        let mut found = Found::default();
        let mut seen: HashSet<Vec<u8>> = HashSet::default();
        let mut at = 0;
        while at < bytes.len() {
            let start = at;
            while at < bytes.len() {
                match text_char_width(&bytes[at..]) {
                    0 => break,
                    width => at += width,
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
        for parity in 0..2 {
            let mut current = String::new();
            for pair in bytes.get(parity..).unwrap_or_default().chunks_exact(2) {
                match pair {
                    [low @ (0x20..=0x7e | b'\t'), 0] => current.push(char::from(*low)),
                    _ => {
                        if current.len() >= MIN_CHARS {
                            add_string(&mut found, &mut seen, current.as_bytes());
                        }
                        current.clear();
                    }
                }
            }
            if current.len() >= MIN_CHARS {
                add_string(&mut found, &mut seen, current.as_bytes());
            }
        }
        found
    }

    /// Binaries made of pieces a scan can trip on: machine-code noise, breaking bytes, ASCII and
    /// UTF-8 text (and broken UTF-8), UTF-16 text at either parity, and now and then a script
    /// long enough to be a region.
    #[test]
    fn matches_the_plain_scan() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let script = "function f(a) { return fetch('https://x.example/' + a); }\n".repeat(300);
        for sample in 0..300 {
            let mut bytes = Vec::new();
            while bytes.len() < 3000 {
                let length = (next() % 40) as usize;
                match next() % 9 {
                    0 => bytes.extend((0..length).map(|_| next() as u8)),
                    1 => bytes.extend(std::iter::repeat_n(0, length % 5)),
                    2 => bytes.extend((0..length).map(|_| b"abc XYZ_/:.\t\n\r\"\\"[(next() % 16) as usize])),
                    3 => bytes.extend("h\u{e9}llo w\u{f6}rld \u{2603} \u{1f600} caf\u{e9}".as_bytes()),
                    4 => bytes.extend([0xc2, 0x85, 0xe2, 0x82, 0xf0, 0x9f, 0xc3, 0xa9, 0xed, 0xa0, 0x80]),
                    5 | 6 => {
                        if next() % 2 == 0 {
                            bytes.push(b'!');
                        }
                        let text = &"https://utf16.example.com/path"[..length.min(30)];
                        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
                    }
                    7 => bytes
                        .extend((0..length).map(|_| [0x90, 0x48, 0x8b, 0xff, 0x41, 0xc3, 0x0f][(next() % 7) as usize])),
                    _ if sample % 50 == 0 => bytes.extend(script.as_bytes()),
                    _ => bytes.extend(b"AWAVAUATSH"),
                }
            }
            for cut in [bytes.len(), bytes.len() - 1, bytes.len() - 3] {
                let bytes = &bytes[..cut];
                let (fast, plain) = (extract(bytes), reference_extract(bytes));
                assert_eq!(
                    String::from_utf8_lossy(&fast.listing),
                    String::from_utf8_lossy(&plain.listing),
                    "sample {sample}"
                );
                assert_eq!(fast.regions, plain.regions, "sample {sample}");
                assert_eq!(fast.truncated, plain.truncated);
            }
        }
    }

    #[test]
    fn noise_is_dropped() {
        assert!(extract(b"\0AWAVAUATSH\0zzzzzzzz\0x1y2z\0").listing == b"\"AWAVAUATSH\";\n");
    }
}
