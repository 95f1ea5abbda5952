//! Member names from archives are attacker-controlled: `../../etc/passwd`, absolute paths, NUL
//! bytes, terminal escapes, right-to-left overrides. They are only ever shown, never used as file
//! system paths, so they are turned into safe display text and their tricks are reported.

/// Display text for a raw entry name: lossy UTF-8, with control, bidi and invisible characters
/// written as visible `\u{…}` escapes so they cannot rewrite a terminal line or reorder text.
pub fn display(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if is_hidden_char(ch) {
            out.push_str(&format!("\\u{{{:x}}}", ch as u32));
        } else {
            out.push(ch);
        }
    }
    out
}

/// Characters that change how surrounding text looks, or do not show at all.
fn is_hidden_char(ch: char) -> bool {
    ch.is_control()
        || matches!(ch,
            '\u{200b}'..='\u{200f}'   // zero-width space/joiners, LRM, RLM
            | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{feff}')
}

/// What is suspicious about a raw entry name, one message per trick found.
pub fn tricks(raw: &[u8]) -> Vec<&'static str> {
    let mut found = Vec::new();
    if std::str::from_utf8(raw).is_err() {
        found.push("name is not valid UTF-8 (shown with replacement characters)");
    }
    if raw.contains(&0) {
        found.push("name contains a NUL byte");
    }
    let text = String::from_utf8_lossy(raw);
    if text.chars().any(|c| c != '\0' && is_hidden_char(c)) {
        found.push("name contains control, bidi or invisible characters (shown escaped)");
    }
    let is_absolute = text.starts_with('/')
        || text.starts_with('\\')
        || text.as_bytes().get(1..3).is_some_and(|s| s == b":\\" || s == b":/");
    if is_absolute {
        found.push("name is an absolute path");
    }
    if text.split(['/', '\\']).any(|part| part == "..") {
        found.push("name climbs out of the archive with '..' (path traversal)");
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_would_hide() {
        assert_eq!(display(b"a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(display("x\u{202e}sj.exe".as_bytes()), "x\\u{202e}sj.exe");
        assert_eq!(display(b"ok/file.js"), "ok/file.js");
        assert_eq!(display(b"bad\xffname"), "bad\u{fffd}name");
    }

    #[test]
    fn names_tricks() {
        assert!(tricks(b"package/index.js").is_empty());
        assert_eq!(tricks(b"../../etc/passwd").len(), 1);
        assert!(tricks(b"/etc/passwd")[0].contains("absolute"));
        assert!(tricks(b"C:\\Windows\\x")[0].contains("absolute"));
        assert!(tricks(b"a\0b").iter().any(|t| t.contains("NUL")));
        assert!(tricks(b"a\xfe").iter().any(|t| t.contains("UTF-8")));
    }
}
