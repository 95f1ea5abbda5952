//! Hidden strings (issue 5): every decoding idiom under `tests/fixtures/decode/`, plain and
//! minified, is seen through without running the code; the decoded text is matched by the rules
//! like a literal and the finding says how it was decoded and from which literal. Hostile inputs
//! stop the evaluator cleanly.

use std::path::Path;
use std::time::{Duration, Instant};

use telltale::files::FileKind;
use telltale::findings::analyze_file;
use telltale::report::{Category, DecodedString, Finding};
use telltale::rules::RuleSet;

fn analyse(name: &str) -> Vec<Finding> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/decode")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let result = analyze_file(name, FileKind::Javascript, text.as_bytes(), RuleSet::builtin());
    assert!(result.errors.is_empty(), "{name}: {:?}", result.errors);
    result.findings
}

/// The decoded finding of `rule` whose text is `text`.
fn decoded<'f>(findings: &'f [Finding], rule: &str, text: &str) -> &'f DecodedString {
    findings
        .iter()
        .filter(|f| f.rule == rule)
        .filter_map(|f| f.decoded.as_ref())
        .find(|d| d.text == text)
        .unwrap_or_else(|| {
            let seen: Vec<_> = findings
                .iter()
                .map(|f| (f.rule.as_str(), f.decoded.as_ref().map(|d| d.text.as_str())))
                .collect();
            panic!("no {rule} finding decoding {text:?}; findings: {seen:?}")
        })
}

fn lines_of(name: &str, needle: &str) -> u32 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/decode")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle} not in {name}"));
    text[..at].matches('\n').count() as u32 + 1
}

#[test]
fn atob_of_a_base64_literal() {
    let findings = analyse("base64.js");
    let d = decoded(&findings, "TT-REGION-007", "https://ipinfo.io/json");
    assert_eq!(d.steps, ["base64"]);
    assert_eq!(d.literal_line, Some(2));
    assert!(
        d.provenance
            .starts_with("decoded (base64) from the literal at base64.js:2:"),
        "{}",
        d.provenance
    );
}

#[test]
fn buffer_from_base64_and_hex() {
    let findings = analyse("buffer.js");
    let d = decoded(&findings, "TT-TEL-001", "https://api.segment.io/v1/track");
    assert_eq!(d.steps, ["base64"]);
    let d = decoded(&findings, "TT-REGION-007", "http://ip-api.com/json");
    assert_eq!(d.steps, ["hex"]);
    assert_eq!(d.literal_line, Some(3));
}

#[test]
fn char_codes_from_an_array_defined_elsewhere() {
    let findings = analyse("charcodes.js");
    let d = decoded(&findings, "TT-REGION-007", "https://ipapi.co/json");
    assert_eq!(d.steps, ["character codes"]);
    assert_eq!(d.literal_line, Some(2), "the codes' array literal");
}

#[test]
fn xor_with_a_distant_key_through_decoders_split_across_functions() {
    let findings = analyse("xor.js");
    let d = decoded(&findings, "TT-REGION-007", "https://ipinfo.io/json");
    assert_eq!(d.steps, ["base64", "XOR with 0x5b"]);
    assert_eq!(d.functions, ["unb64", "unmask", "decode"]);
    let line = lines_of("xor.js", "decode(\"My8v");
    assert_eq!(d.literal_line, Some(line));
    assert_eq!(
        d.provenance,
        format!(
            "decoded by `decode` (through `unb64`, `unmask`) (base64, then XOR with 0x5b) from the literal at xor.js:{line}:25"
        )
    );
}

#[test]
fn subtracting_a_key_with_map_and_join() {
    let findings = analyse("shift.js");
    let d = decoded(&findings, "TT-REGION-007", "https://ipapi.co/json");
    assert_eq!(d.steps, ["subtract 3"]);
    assert_eq!(d.literal_line, Some(3));
}

#[test]
fn reverse_percent_unescape_and_slice() {
    let findings = analyse("reverse.js");
    assert_eq!(
        decoded(&findings, "TT-REGION-007", "https://ipinfo.io/json").steps,
        ["reverse"]
    );
    assert_eq!(
        decoded(&findings, "TT-REGION-007", "https://get.geojs.io/v1/ip/country").steps,
        ["percent-decoding"]
    );
    assert_eq!(
        decoded(&findings, "TT-REGION-007", "https://ip-api.com/json").steps,
        ["unescape"]
    );
    assert_eq!(
        decoded(&findings, "TT-REGION-007", "https://api.ipify.org").steps,
        ["slice"]
    );
}

#[test]
fn decoded_lists_compared_with_region_and_identity_values() {
    let findings = analyse("list.js");
    let region = findings
        .iter()
        .find(|f| f.rule == "TT-REGION-006")
        .expect("region comparison");
    let d = region.decoded.as_ref().expect("decoded list");
    assert_eq!(d.list, ["CN", "RU", "IR", "KP"]);
    assert_eq!(d.steps, ["base64", "split"]);
    assert!(
        region.message.contains(r#"["CN", "RU", "IR", "KP"]"#),
        "{}",
        region.message
    );
    let identity = findings
        .iter()
        .find(|f| f.rule == "TT-ID-010")
        .expect("host name comparison");
    assert_eq!(identity.category, Category::Identity);
    let d = identity.decoded.as_ref().expect("decoded list");
    assert_eq!(d.list, ["build-01.corp", "build-02.corp"]);
    assert_eq!(d.steps, ["hex", "split"]);
}

#[test]
fn obfuscator_string_table_with_rotation() {
    let findings = analyse("table.js");
    let d = decoded(&findings, "TT-REGION-007", "https://ipinfo.io/json");
    assert_eq!(d.functions, ["_0x5e6f"]);
    assert_eq!(d.steps, ["string-table lookup"]);
    assert_eq!(d.literal_line, Some(lines_of("table.js", "const _0x3c4d")));
}

#[test]
fn minified_idioms() {
    let findings = analyse("minified.js");
    let d = decoded(&findings, "TT-REGION-007", "https://ipinfo.io/json");
    assert_eq!(d.steps, ["base64", "XOR with 0x5b"]);
    assert_eq!(d.functions, ["B", "X", "D"]);
    assert_eq!(
        decoded(&findings, "TT-REGION-007", "https://ipapi.co/").steps,
        ["character codes"]
    );
    assert_eq!(
        decoded(&findings, "TT-REGION-007", "http://ip-api.com/json").steps,
        ["reverse"]
    );
    let region = findings
        .iter()
        .find(|f| f.rule == "TT-REGION-006")
        .expect("region list");
    assert_eq!(region.decoded.as_ref().unwrap().list, ["CN", "RU", "IR", "KP"]);
}

#[test]
fn covert_channels_and_trojan_source() {
    let findings = analyse("covert.js");
    let covert: Vec<&Finding> = findings.iter().filter(|f| f.rule == "TT-OBF-003").collect();
    assert_eq!(covert.len(), 2, "{findings:#?}");
    assert!(covert[0].message.contains("zero-width"), "{}", covert[0].message);
    assert_eq!(
        covert[0].decoded.as_ref().unwrap().list,
        ["gemini-cli/0.1\u{200b}", "gemini-cli/0.1"]
    );
    assert!(covert[1].message.contains("homoglyph"), "{}", covert[1].message);
    assert!(
        findings.iter().any(|f| f.rule == "TT-OBF-002"),
        "bidi control in a literal"
    );
}

#[test]
fn hostile_inputs_stop_cleanly() {
    let started = Instant::now();
    let findings = analyse("hostile.js");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    for finding in &findings {
        if let Some(d) = &finding.decoded {
            assert!(d.text.len() <= 4096, "{}", d.text.len());
        }
    }
}
