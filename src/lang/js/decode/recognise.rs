//! Names what a package's own decoding function did. The evaluator works the result out by
//! running the function body over constants (a hand-written base64 loop, an RC4 key schedule);
//! its trail then says only "concatenation" or "XOR with a computed value". Here the result is
//! compared with known decodings of the function's string argument, so the provenance reads
//! "base64 (lowercase-first alphabet), then RC4 with the key "k3y"" instead. Nothing here
//! decides a value: it only names one the evaluator already has.

use super::encoding;

/// Longest argument tried (decoded table entries are short; this keeps the cost linear and small).
const MAX_INPUT: usize = 64 * 1024;

/// The steps that turn `input` into `result`, when they are ones this module knows: base64 in
/// the standard or lowercase-first alphabet, hex, and RC4 with one of `keys` (on the argument or
/// on one of those decodings).
pub fn steps(input: &str, keys: &[&str], result: &str) -> Option<Vec<String>> {
    if input == result || input.len() > MAX_INPUT || result.is_empty() {
        return None;
    }
    let mut candidates: Vec<(Option<&'static str>, Vec<u16>)> = vec![(None, input.encode_utf16().collect())];
    let mut bytes_of = |step: &'static str, bytes: Option<Vec<u8>>| {
        let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
            return;
        };
        // Decoders read the bytes as UTF-8 (`decodeURIComponent` of `%XX`) or one byte per
        // character (`String.fromCharCode`): try both.
        if let Ok(text) = std::str::from_utf8(&bytes)
            && !text.is_ascii()
        {
            candidates.push((Some(step), text.encode_utf16().collect()));
        }
        candidates.push((Some(step), bytes.iter().map(|&b| u16::from(b)).collect()));
    };
    bytes_of("base64", encoding::base64(input));
    bytes_of(
        "base64 (lowercase-first alphabet)",
        encoding::base64_in(input, encoding::LOWERCASE_FIRST),
    );
    if input.len().is_multiple_of(2) && input.bytes().all(|b| b.is_ascii_hexdigit()) {
        bytes_of("hex", Some(encoding::hex(input)));
    }
    let result: Vec<u16> = result.encode_utf16().collect();
    for (step, units) in &candidates {
        if let Some(step) = step
            && *units == result
        {
            return Some(vec![(*step).to_string()]);
        }
    }
    for key in keys.iter().filter(|k| !k.is_empty() && k.len() <= 256) {
        let key_units: Vec<u16> = key.encode_utf16().collect();
        for (step, units) in &candidates {
            if units.len() == result.len() && encoding::rc4(&key_units, units) == result {
                let rc4 = format!("RC4 with the key \"{}\"", shorten(key, 40));
                return Some(step.map_or_else(|| vec![rc4.clone()], |s| vec![s.to_string(), rc4.clone()]));
            }
        }
    }
    None
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    format!("{}…", text.chars().take(max).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rc4_text(key: &str, text: &str) -> String {
        let key: Vec<u16> = key.encode_utf16().collect();
        let data: Vec<u16> = text.encode_utf16().collect();
        String::from_utf16(&encoding::rc4(&key, &data)).unwrap()
    }

    #[test]
    fn names_base64_alphabets_and_hex() {
        assert_eq!(steps("aGVsbG8=", &[], "hello").unwrap(), ["base64"]);
        assert_eq!(
            steps("AgvSBg8=", &[], "hello").unwrap(),
            ["base64 (lowercase-first alphabet)"]
        );
        assert_eq!(steps("68656c6c6f", &[], "hello").unwrap(), ["hex"]);
        assert!(steps("hello", &[], "HELLO").is_none());
    }

    #[test]
    fn names_rc4_with_its_key_after_base64() {
        let secret = rc4_text("k3y", "https://example.com");
        let stored = encoding::base64_encode(&secret.chars().map(|c| c as u8).collect::<Vec<_>>());
        assert_eq!(
            steps(&stored, &["k3y"], "https://example.com").unwrap(),
            ["base64", "RC4 with the key \"k3y\""]
        );
        assert_eq!(
            steps(&secret, &["other", "k3y"], "https://example.com").unwrap(),
            ["RC4 with the key \"k3y\""]
        );
        assert!(steps(&secret, &["wrong"], "https://example.com").is_none());
    }
}
