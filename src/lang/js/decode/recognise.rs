//! Names what a package's own decoding function did. The evaluator works the result out by
//! running the function body over constants (a hand-written base64 loop, an RC4 key schedule);
//! its trail then says only "concatenation" or "XOR with a computed value". Here the result is
//! compared with known decodings of the function's string argument, so the provenance reads
//! "base64 (lowercase-first alphabet), then RC4 with the key "k3y"" instead. Nothing here
//! decides a value: it only names one the evaluator already has.

use super::encoding;

/// Longest argument tried (decoded table entries are short; this keeps the cost linear and small).
const MAX_INPUT: usize = 64 * 1024;

/// How bytes were read out of a string argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bytes {
    Base64,
    LowercaseFirst,
    Hex,
}

impl Bytes {
    fn step(self) -> &'static str {
        match self {
            Bytes::Base64 => "base64",
            Bytes::LowercaseFirst => "base64 (lowercase-first alphabet)",
            Bytes::Hex => "hex",
        }
    }

    fn decode(self, text: &str) -> Option<Vec<u8>> {
        match self {
            Bytes::Base64 => encoding::base64(text),
            Bytes::LowercaseFirst => encoding::base64_in(text, encoding::LOWERCASE_FIRST),
            Bytes::Hex if text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(encoding::hex(text))
            }
            Bytes::Hex => None,
        }
    }
}

/// How bytes were read, and the text they make as UTF-16 code units.
type Candidate = (Option<(Bytes, bool)>, Vec<u16>);

/// A decoding recognised in a call: which argument was decoded, how, and which argument was the
/// RC4 key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoding {
    input: usize,
    /// The bytes step, and whether the bytes were read as UTF-8 (else one per character).
    bytes: Option<(Bytes, bool)>,
    key: Option<usize>,
}

impl Decoding {
    /// What the same decoding gives for other arguments.
    pub fn apply(&self, arguments: &[Option<&str>]) -> Option<Vec<u16>> {
        let input = (*arguments.get(self.input)?)?;
        if input.len() > MAX_INPUT {
            return None;
        }
        let units = match self.bytes {
            None => input.encode_utf16().collect(),
            Some((bytes, utf8)) => read(&bytes.decode(input)?, utf8)?,
        };
        Some(match self.key {
            None => units,
            Some(key) => {
                let key: Vec<u16> = (*arguments.get(key)?)?.encode_utf16().collect();
                encoding::rc4(&key, &units)
            }
        })
    }

    /// The argument decoded.
    pub fn input(&self) -> usize {
        self.input
    }

    /// The steps, in order: "base64", "RC4 with the key \"k3y\"".
    pub fn steps(&self, arguments: &[Option<&str>]) -> Vec<String> {
        let mut out: Vec<String> = self.bytes.iter().map(|(b, _)| b.step().to_string()).collect();
        if let Some(key) = self.key.and_then(|k| arguments.get(k).copied().flatten()) {
            out.push(format!("RC4 with the key \"{}\"", shorten(key, 40)));
        }
        out
    }
}

/// Bytes as text: UTF-8 (as `decodeURIComponent` of `%XX` reads them) or one per character.
fn read(bytes: &[u8], utf8: bool) -> Option<Vec<u16>> {
    if utf8 {
        Some(std::str::from_utf8(bytes).ok()?.encode_utf16().collect())
    } else {
        Some(bytes.iter().map(|&b| u16::from(b)).collect())
    }
}

/// The decoding that turns one of `arguments` (the strings among a call's arguments) into
/// `result`, when it is one this module knows: base64 in the standard or lowercase-first
/// alphabet, hex, and RC4 keyed by another argument (on the argument or on one of those).
pub fn recognise(arguments: &[Option<&str>], result: &str) -> Option<Decoding> {
    if result.is_empty() {
        return None;
    }
    let result: Vec<u16> = result.encode_utf16().collect();
    for (input, text) in arguments.iter().enumerate() {
        let Some(text) = text.filter(|t| t.len() <= MAX_INPUT && !t.is_empty()) else {
            continue;
        };
        let mut candidates: Vec<Candidate> = vec![(None, text.encode_utf16().collect())];
        for bytes in [Bytes::Base64, Bytes::LowercaseFirst, Bytes::Hex] {
            let Some(decoded) = bytes.decode(text).filter(|d| !d.is_empty()) else {
                continue;
            };
            for utf8 in [false, true] {
                if utf8 && decoded.is_ascii() {
                    continue;
                }
                if let Some(units) = read(&decoded, utf8) {
                    candidates.push((Some((bytes, utf8)), units));
                }
            }
        }
        if candidates[0].1 == result {
            continue;
        }
        for (bytes, units) in &candidates[1..] {
            if *units == result {
                return Some(Decoding {
                    input,
                    bytes: *bytes,
                    key: None,
                });
            }
        }
        for (key, key_text) in arguments.iter().enumerate() {
            let Some(key_text) = key_text.filter(|k| key != input && !k.is_empty() && k.len() <= 256) else {
                continue;
            };
            let key_units: Vec<u16> = key_text.encode_utf16().collect();
            for (bytes, units) in &candidates {
                if units.len() == result.len() && encoding::rc4(&key_units, units) == result {
                    return Some(Decoding {
                        input,
                        bytes: *bytes,
                        key: Some(key),
                    });
                }
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

    fn steps(arguments: &[&str], result: &str) -> Option<Vec<String>> {
        let arguments: Vec<Option<&str>> = arguments.iter().map(|a| Some(*a)).collect();
        let decoding = recognise(&arguments, result)?;
        let again = decoding.apply(&arguments).unwrap();
        assert_eq!(
            String::from_utf16(&again).unwrap(),
            result,
            "apply gives the result again"
        );
        Some(decoding.steps(&arguments))
    }

    #[test]
    fn names_base64_alphabets_and_hex() {
        assert_eq!(steps(&["aGVsbG8="], "hello").unwrap(), ["base64"]);
        assert_eq!(
            steps(&["AgvSBg8="], "hello").unwrap(),
            ["base64 (lowercase-first alphabet)"]
        );
        assert_eq!(steps(&["68656c6c6f"], "hello").unwrap(), ["hex"]);
        assert_eq!(steps(&["5Lit"], "中").unwrap(), ["base64"]);
        assert!(steps(&["hello"], "HELLO").is_none());
    }

    #[test]
    fn names_rc4_with_its_key_after_base64() {
        let secret = rc4_text("k3y", "https://example.com");
        let stored = encoding::base64_encode(&secret.chars().map(|c| c as u8).collect::<Vec<_>>());
        assert_eq!(
            steps(&[&stored, "k3y"], "https://example.com").unwrap(),
            ["base64", "RC4 with the key \"k3y\""]
        );
        assert_eq!(
            steps(&["other", &secret, "k3y"], "https://example.com").unwrap(),
            ["RC4 with the key \"k3y\""]
        );
        assert!(steps(&[&secret, "wrong"], "https://example.com").is_none());
    }
}
