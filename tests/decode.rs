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

// --- minified variants: the same idioms as esbuild and terser print them -----------------------

#[test]
fn minified_base64_buffer_and_hex() {
    let findings = analyse("base64.min.js");
    let d = decoded(&findings, "TT-REGION-007", "https://ipinfo.io/json");
    assert_eq!(d.steps, ["base64"]);
    assert_eq!(d.literal_line, Some(1));
    assert!(
        d.provenance
            .starts_with("decoded (base64) from the literal at base64.min.js:1:12"),
        "{}",
        d.provenance
    );
    let findings = analyse("buffer.min.js");
    assert_eq!(
        decoded(&findings, "TT-TEL-001", "https://api.segment.io/v1/track").steps,
        ["base64"]
    );
    let d = decoded(&findings, "TT-REGION-007", "http://ip-api.com/json");
    assert_eq!(d.steps, ["hex"]);
    assert_eq!(d.literal, Some(literal_at("buffer.min.js", "\"687474")));
}

#[test]
fn minified_char_codes_spread_from_a_variable() {
    let findings = analyse("charcodes.min.js");
    let d = decoded(&findings, "TT-REGION-007", "https://ipapi.co/json");
    assert_eq!(d.steps, ["character codes"]);
    assert_eq!(
        d.literal,
        Some(literal_at("charcodes.min.js", "[104")),
        "the array of codes"
    );
}

#[test]
fn minified_subtraction_in_an_arrow_iife_with_the_key_outside() {
    let findings = analyse("shift.min.js");
    let d = decoded(&findings, "TT-REGION-007", "https://ipapi.co/json");
    assert_eq!(d.steps, ["subtract 3"]);
    assert_eq!(d.literal, Some(literal_at("shift.min.js", "\"kwws")));
}

#[test]
fn minified_reverse_percent_unescape_and_slice_in_one_declaration() {
    let findings = analyse("reverse.min.js");
    for (text, step) in [
        ("https://ipinfo.io/json", "reverse"),
        ("https://get.geojs.io/v1/ip/country", "percent-decoding"),
        ("https://ip-api.com/json", "unescape"),
        ("https://api.ipify.org", "slice"),
    ] {
        assert_eq!(decoded(&findings, "TT-REGION-007", text).steps, [step], "{text}");
    }
}

#[test]
fn minified_decoded_lists_compared_with_region_and_host_name() {
    let findings = analyse("list.min.js");
    let region = findings
        .iter()
        .find(|f| f.rule == "TT-REGION-006")
        .expect("region comparison");
    let d = region.decoded.as_ref().expect("decoded list");
    assert_eq!(d.list, ["CN", "RU", "IR", "KP"]);
    assert_eq!(d.steps, ["base64", "split"]);
    assert_eq!(d.literal, Some(literal_at("list.min.js", "\"Q04s")));
    let identity = findings
        .iter()
        .find(|f| f.rule == "TT-ID-010")
        .expect("host name comparison");
    let d = identity.decoded.as_ref().expect("decoded list");
    assert_eq!(d.list, ["build-01.corp", "build-02.corp"]);
    assert_eq!(d.steps, ["hex", "split"]);
}

#[test]
fn minified_string_table_rotated_by_a_bang_iife() {
    let findings = analyse("table.min.js");
    let d = decoded(&findings, "TT-REGION-007", "https://ipinfo.io/json");
    assert_eq!(d.functions, ["b"]);
    assert_eq!(d.steps, ["string-table lookup"]);
    assert_eq!(d.literal_line, Some(1));
}

#[test]
fn minified_decoder_split_across_functions_with_a_distant_string_key() {
    let findings = analyse("xor-split.min.js");
    let d = decoded(&findings, "TT-TEL-001", "https://api.segment.io/v1/batch");
    assert_eq!(d.steps, ["base64", "XOR with the key \"t3lt\""]);
    assert_eq!(d.functions, ["Un", "Vn", "Wn"]);
    let line = lines_of("xor-split.min.js", "Wn(\"HEcY");
    assert_eq!(line, 7, "the key is six lines above its use");
    assert_eq!(d.literal_line, Some(line));
    assert_eq!(d.literal, Some(literal_at("xor-split.min.js", "\"HEcY")));
    assert!(
        d.provenance.starts_with(&format!(
            "decoded by `Wn` (through `Un`, `Vn`) (base64, then XOR with the key \"t3lt\") from the literal at xor-split.min.js:{line}:"
        )),
        "{}",
        d.provenance
    );
}

#[test]
fn minified_covert_channels() {
    let findings = analyse("covert.min.js");
    let covert: Vec<&Finding> = findings.iter().filter(|f| f.rule == "TT-OBF-003").collect();
    assert_eq!(covert.len(), 2, "{findings:#?}");
    assert!(covert[0].message.contains("zero-width"), "{}", covert[0].message);
    assert!(covert[1].message.contains("homoglyph"), "{}", covert[1].message);
}

// --- obfuscator.io string-array encodings ------------------------------------------------------

#[test]
fn obfuscator_rc4_string_array_minified() {
    let findings = analyse("obfuscator-rc4.min.js");
    let d = decoded(
        &findings,
        "TT-TEL-001",
        "https://telemetry.example-vendor.com/v1/collect",
    );
    assert_eq!(
        d.steps,
        [
            "string-table lookup",
            "base64 (lowercase-first alphabet)",
            "RC4 with the key \"Zq#1\""
        ]
    );
    assert_eq!(d.functions, ["a", "Kx", "r"]);
    assert_eq!(d.literal_line, Some(1), "an entry of the table");
    assert!(
        d.provenance.starts_with(
            "decoded by `r` (through `a`, `Kx`) (string-table lookup, then base64 (lowercase-first alphabet), then RC4 with the key \"Zq#1\") from the literal at obfuscator-rc4.min.js:1:"
        ),
        "{}",
        d.provenance
    );
    let zone = decoded(&findings, "TT-REGION-006", "Asia/Shanghai");
    assert_eq!(zone.steps.last().map(String::as_str), Some("RC4 with the key \"p0X$\""));
}

#[test]
fn obfuscator_rc4_table_of_hundreds_of_entries_rotated_hundreds_of_times() {
    // 409 entries rotated 377 times, four RC4 decodings a rotation: run literally that is some
    // 20 million steps; the decoder, seen twice to be base64 then RC4, is worked out natively
    // while rotating. The strings reported are still decoded by running its code.
    let started = Instant::now();
    let findings = analyse("obfuscator-rc4-large.min.js");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let d = decoded(
        &findings,
        "TT-TEL-001",
        "https://telemetry.example-vendor.com/v1/collect",
    );
    assert_eq!(d.functions, ["a", "Kx", "r"]);
    decoded(&findings, "TT-REGION-006", "Asia/Shanghai");
}

#[test]
fn obfuscator_base64_string_array_readable() {
    let findings = analyse("obfuscator-base64.js");
    let d = decoded(&findings, "TT-TEL-001", "https://api.segment.io/v1/track");
    assert_eq!(d.steps, ["string-table lookup", "base64 (lowercase-first alphabet)"]);
    assert_eq!(d.functions, ["unbase", "lookup"]);
    assert_eq!(
        d.literal_line,
        Some(lines_of("obfuscator-base64.js", "const table = ["))
    );
    // The time zone read goes through a computed member name the table gives.
    let zone = decoded(&findings, "TT-REGION-006", "Europe/Moscow");
    assert_eq!(zone.functions, ["unbase", "lookup"]);
    // ... and the read itself is found: `resolvedOptions()[lookup(0x1cb)]` is `.timeZone`.
    let read = findings
        .iter()
        .find(|f| f.rule == "TT-REGION-001")
        .unwrap_or_else(|| panic!("no time zone read: {findings:#?}"));
    assert_eq!(read.consequence, Some(telltale::report::Consequence::Sent), "{read:#?}");
}

/// The real thing: javascript-obfuscator from npm, when npm and node are here (skipped, with a
/// note, when they are not or the registry cannot be reached).
#[test]
fn javascript_obfuscator_output_from_npm() {
    let Some(obfuscator) = javascript_obfuscator() else {
        eprintln!("skipped: javascript-obfuscator could not be installed from npm");
        return;
    };
    let small = "const endpoint = \"https://telemetry.example-vendor.com/v1/collect\";\n\
        const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;\n\
        if (tz === \"Asia/Shanghai\") {\n\
          fetch(endpoint, { method: \"POST\", body: JSON.stringify({ zone: tz }) });\n\
        }\n\
        console.log(\"ready\", \"done\", \"other\", \"strings\", \"here\");\n"
        .to_string();
    // Hundreds of strings: a long table and a long rotation.
    let large = small.clone()
        + &(0..300)
            .map(|i| format!("console.log(\"message {i} of the tool\", \"key{i}\");\n"))
            .collect::<String>();
    // Wrappers that shift the index inside each function, and literal arguments moved into
    // an object of constants.
    let wrapped = "stringArrayWrappersCount: 2, stringArrayWrappersType: 'function', \
        stringArrayWrappersChainedCalls: true, stringArrayCallsTransform: true, stringArrayCallsTransformThreshold: 1";
    let in_function = format!("function main() {{\n{small}}}\nmain();\n");
    for (encoding, compact, source, extra) in [
        ("rc4", true, &small, ""),
        ("rc4", false, &small, ""),
        ("base64", true, &small, ""),
        ("base64", false, &small, ""),
        ("rc4", true, &large, ""),
        ("base64", true, &large, ""),
        ("rc4", true, &in_function, wrapped),
        ("base64", true, &in_function, wrapped),
    ] {
        let script = format!(
            "const o = require({obfuscator:?}); process.stdout.write(o.obfuscate(require('fs').readFileSync(0, 'utf8'), \
                 {{ stringArray: true, stringArrayEncoding: [{encoding:?}], stringArrayThreshold: 1, rotateStringArray: true, \
                 seed: 7, compact: {compact}, {extra} }}).getObfuscatedCode())"
        );
        let output = node(&script, source).expect("node runs javascript-obfuscator");
        let started = Instant::now();
        let name = format!("obfuscated-{encoding}.js");
        let result = analyze_file(&name, FileKind::Javascript, output.as_bytes(), RuleSet::builtin());
        let findings = result.findings;
        let url = decoded(
            &findings,
            "TT-TEL-001",
            "https://telemetry.example-vendor.com/v1/collect",
        );
        assert_eq!(
            url.steps[..2],
            ["string-table lookup", "base64 (lowercase-first alphabet)"],
            "{encoding}: {}",
            url.provenance
        );
        assert_eq!(
            url.steps.len(),
            if encoding == "rc4" { 3 } else { 2 },
            "{}",
            url.provenance
        );
        if encoding == "rc4" {
            assert!(url.steps[2].starts_with("RC4 with the key"), "{}", url.provenance);
        }
        decoded(&findings, "TT-REGION-006", "Asia/Shanghai");
        assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    }
}

/// The path of javascript-obfuscator installed once under the target directory.
fn javascript_obfuscator() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("javascript-obfuscator-5.8.0");
    let package = dir.join("node_modules/javascript-obfuscator");
    if !package.join("package.json").exists() {
        std::fs::create_dir_all(&dir).ok()?;
        let status = std::process::Command::new("npm")
            .args(["install", "--no-save", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("javascript-obfuscator@5.8.0")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        if !status.success() || !package.join("package.json").exists() {
            return None;
        }
    }
    node("process.stdout.write('ok')", "").filter(|out| out == "ok")?;
    Some(package)
}

fn node(script: &str, input: &str) -> Option<String> {
    use std::io::Write;
    let mut child = std::process::Command::new("node")
        .args(["-e", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The span of the literal starting with `needle` in a fixture.
fn literal_at(name: &str, needle: &str) -> telltale::report::Span {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/decode")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find(needle).unwrap_or_else(|| panic!("{needle} not in {name}")) as u32;
    let rest = &text[start as usize..];
    let end = match rest.as_bytes()[0] {
        b'[' => rest.find(']').unwrap() + 1,
        quote => rest[1..].find(quote as char).unwrap() + 2,
    } as u32;
    telltale::report::Span {
        start,
        end: start + end,
    }
}

#[test]
fn hostile_decoders_and_tables_stop_cleanly() {
    let started = Instant::now();
    let findings = analyse("hostile-rc4.js");
    // The prelude's 20 million steps, then every site at its own limit: well under this.
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    for finding in &findings {
        if let Some(d) = &finding.decoded {
            assert!(d.text.len() <= 4096, "{}", d.text.len());
            assert!(d.steps.iter().all(|s| !s.starts_with("RC4")), "{d:?}");
        }
    }
}

#[test]
fn decoder_arguments_moved_into_an_object_of_constants() {
    // javascript-obfuscator's stringArrayCallsTransform: no literal at the call, only `o.k`.
    let findings = analyse("calls-object.min.js");
    let d = decoded(&findings, "TT-REGION-007", "https://ipinfo.io/json");
    assert_eq!(d.steps, ["base64", "slice"]);
    assert_eq!(d.functions, ["d"]);
    assert_eq!(d.literal, Some(literal_at("calls-object.min.js", "\"eHh4")));
}

#[test]
fn obfuscated_modules_inside_a_bundle_each_rotate_their_own_table() {
    // Both rotation loops sit inside esbuild's module wrappers, not at the top level.
    let findings = analyse("obfuscator-bundled.js");
    let rc4 = decoded(
        &findings,
        "TT-TEL-001",
        "https://telemetry.example-vendor.com/v1/collect",
    );
    assert_eq!(rc4.steps.last().map(String::as_str), Some("RC4 with the key \"Zq#1\""));
    assert_eq!(rc4.literal_line, Some(3));
    let base64 = decoded(&findings, "TT-TEL-001", "https://api.segment.io/v1/track");
    assert_eq!(
        base64.steps,
        ["string-table lookup", "base64 (lowercase-first alphabet)"]
    );
    assert_eq!(base64.functions, ["unbase", "lookup"]);
    decoded(&findings, "TT-REGION-006", "Asia/Shanghai");
    decoded(&findings, "TT-REGION-006", "Europe/Moscow");
}
