//! Characters that hide: invisible ones, bidi controls, variation selectors, and letters that
//! look like other letters. Two strings a reader cannot tell apart but code can are a covert
//! channel.

/// Zero-width and other invisible characters (format characters that render as nothing).
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}' | '\u{034F}'
        | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}')
}

/// Controls that reorder text when it is shown (Trojan Source).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

pub fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Whether a name or text holds a character that hides.
pub fn hides(text: &str) -> bool {
    !text.is_ascii() && text.chars().any(|c| is_invisible(c) || is_bidi_control(c))
}

/// The ASCII letter a look-alike stands for (Cyrillic, Greek, full-width and dotless forms,
/// hyphen and space look-alikes).
fn confusable(c: char) -> char {
    match c {
        'а' | 'α' | 'ａ' => 'a',
        'е' | 'ε' | 'ｅ' => 'e',
        'о' | 'ο' | 'ｏ' | 'σ' => 'o',
        'р' | 'ρ' | 'ｐ' => 'p',
        'с' | 'ϲ' | 'ｃ' => 'c',
        'у' | 'ｙ' => 'y',
        'х' | 'χ' | 'ｘ' => 'x',
        'і' | 'ι' | 'ı' | 'ｉ' => 'i',
        'ј' | 'ｊ' => 'j',
        'ѕ' | 'ｓ' => 's',
        'ԁ' | 'ｄ' => 'd',
        'ԛ' => 'q',
        'ԝ' | 'ｗ' => 'w',
        'ν' | 'ｖ' => 'v',
        'ℓ' | 'ｌ' => 'l',
        'ɡ' | 'ｇ' => 'g',
        'һ' | 'ｈ' => 'h',
        'ｎ' => 'n',
        'ｍ' => 'm',
        'ｔ' => 't',
        'ｕ' | 'υ' => 'u',
        'ｋ' | 'κ' => 'k',
        'ｒ' => 'r',
        'ｆ' => 'f',
        'ｂ' => 'b',
        'ｚ' => 'z',
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'Е' | 'Ε' => 'E',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Н' | 'Η' => 'H',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'С' => 'C',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'І' | 'Ι' => 'I',
        'Ѕ' => 'S',
        'Ζ' => 'Z',
        'Ν' => 'N',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}' => '-',
        '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\u{2002}'..='\u{2006}' | '\u{2008}' | '\u{2009}' | '\u{200A}' => ' ',
        other => other,
    }
}

/// How two different strings differ when a reader cannot see it, or `None` when they differ
/// visibly. Zero-width and bidi characters, variation selectors, look-alike letters, or only
/// white space and letter case (a formatting detail).
pub fn covert_difference(a: &str, b: &str) -> Option<&'static str> {
    if a == b {
        return None;
    }
    let strip = |s: &str, drop: &dyn Fn(char) -> bool| s.chars().filter(|&c| !drop(c)).collect::<String>();
    for (name, drop) in [
        (
            "zero-width or invisible characters",
            &is_invisible as &dyn Fn(char) -> bool,
        ),
        ("bidi control characters", &is_bidi_control),
        ("variation selectors", &is_variation_selector),
    ] {
        if strip(a, drop) == strip(b, drop) {
            return Some(name);
        }
    }
    let hidden = |c: char| is_invisible(c) || is_bidi_control(c) || is_variation_selector(c);
    let skeleton = |s: &str| s.chars().filter(|&c| !hidden(c)).map(confusable).collect::<String>();
    if skeleton(a) == skeleton(b) {
        return Some("look-alike (homoglyph) characters");
    }
    let format = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let visible = |s: &str| s.chars().any(|c| !c.is_whitespace());
    if visible(a) && visible(b) && format(a) == format(b) {
        return Some("a formatting detail (white space or letter case)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_a_reader_cannot_see() {
        assert_eq!(
            covert_difference("Mozilla/5.0", "Mozilla/5.0\u{200B}"),
            Some("zero-width or invisible characters")
        );
        assert_eq!(covert_difference("abc", "\u{202E}abc"), Some("bidi control characters"));
        assert_eq!(covert_difference("ok", "ok\u{FE0F}"), Some("variation selectors"));
        assert_eq!(
            covert_difference("gemini-cli", "gеmini-cli"),
            Some("look-alike (homoglyph) characters")
        );
        assert_eq!(
            covert_difference("gemini-cli", "gemini\u{2010}cli"),
            Some("look-alike (homoglyph) characters")
        );
        assert_eq!(
            covert_difference("application/json", "application/json "),
            Some("a formatting detail (white space or letter case)")
        );
        assert_eq!(covert_difference("YYYY-MM-DD", "MM/DD/YYYY"), None);
        assert_eq!(covert_difference("，", ","), None);
        assert_eq!(covert_difference("a", "a"), None);
    }

    #[test]
    fn hiding_characters() {
        assert!(hides("is\u{200B}Admin"));
        assert!(hides("\u{202E}x"));
        assert!(!hides("plain"));
        assert!(!hides("中文"));
    }
}
