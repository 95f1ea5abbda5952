//! Characters a reader cannot see, or that reorder what they see (Trojan Source): zero-width
//! characters, bidirectional controls, the byte-order mark. Code from a package is shown with
//! each of them spelled out, so the page never shows code other than it is.

/// Whether `c` is invisible or changes the direction of the text around it.
fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// `text` with every hidden character written as `⟨U+XXXX⟩`.
pub fn reveal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hidden(c) {
            out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_spelled_out() {
        assert_eq!(reveal("plain code();"), "plain code();");
        assert_eq!(
            reveal("if (role\u{202E} \u{2066}// admin"),
            "if (role⟨U+202E⟩ ⟨U+2066⟩// admin"
        );
        assert_eq!(reveal("a\u{200B}b\u{FEFF}"), "a⟨U+200B⟩b⟨U+FEFF⟩");
        assert_eq!(reveal("é😀"), "é😀");
    }
}
