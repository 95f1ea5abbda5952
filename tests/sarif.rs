//! The SARIF export, validated against the official SARIF 2.1.0 JSON schema.
//!
//! The schema is not copied into this repository: it is the file OASIS publishes
//! (`sarif-schema-2.1.0.json`) as shipped in the published source of the `serde-sarif` crate, a
//! dev-dependency that is here only for that file. `cargo metadata` says where cargo unpacked
//! it, so the test needs no network once cargo's caches are warm. `boon` validates, with format
//! assertions on (it is a fraction of `jsonschema`'s compile time and takes the schema exactly as
//! published). Every fixture package is scanned, exported and validated, and a few things the
//! schema cannot say are checked too: each result's rule is described in the run, regions are
//! 1-based, and a finding's path is one thread flow in the order of its steps.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use support::packages::{collect_files, npm_tarball};
use telltale::report::{Finding, Report};
use telltale::rules::RuleSet;
use telltale::scan::{Input, ScanOptions, scan};

// --- the official schema -----------------------------------------------------------------------

/// Where cargo unpacked the `serde-sarif` dev-dependency. `--filter-platform host-tuple` keeps
/// cargo from wanting packages of other platforms, which a test build never downloads.
fn serde_sarif_source() -> PathBuf {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--filter-platform", "host-tuple"])
        .arg("--manifest-path")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata JSON");
    let manifest = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|package| package["name"] == "serde-sarif")
        .and_then(|package| package["manifest_path"].as_str())
        .expect("serde-sarif is a dev-dependency");
    Path::new(manifest).parent().expect("crate folder").to_path_buf()
}

/// Where the official schema says it lives; the file in `serde-sarif` must say the same.
const OFFICIAL_ID: &str =
    "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json";

/// The official SARIF 2.1.0 schema, compiled once, with format assertions on (`uri`,
/// `uri-reference`, `date-time` are checked, not just noted).
///
/// It is taken exactly as published. That includes the `language` pattern of `run` and
/// `toolComponent`, `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`, whose stray `]` (an optional
/// group `(-[a-zA-Z]{2})?` was meant) a strict regex check refuses; `boon` reads it the way
/// ECMA-262's web-compatibility grammar does, as a literal `]`, and the export never writes
/// `language` anyway.
fn official_schema() -> &'static (boon::Schemas, boon::SchemaIndex) {
    static SCHEMA: OnceLock<(boon::Schemas, boon::SchemaIndex)> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = serde_sarif_source().join("src/schema.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let schema: Value = serde_json::from_str(&text).expect("schema JSON");
        // Still the OASIS schema for 2.1.0, not something the crate grew instead.
        assert_eq!(schema["$id"], OFFICIAL_ID, "{}", path.display());
        assert_eq!(schema["properties"]["version"]["enum"], serde_json::json!(["2.1.0"]));
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        compiler.add_resource(OFFICIAL_ID, schema).expect("add the schema");
        let index = compiler
            .compile(OFFICIAL_ID, &mut schemas)
            .unwrap_or_else(|e| panic!("the SARIF schema does not compile: {e:#}"));
        (schemas, index)
    })
}

/// Every way `sarif` breaks the schema, or `Ok` when it does not.
fn validate(sarif: &Value) -> Result<(), String> {
    let (schemas, index) = official_schema();
    schemas.validate(sarif, *index).map_err(|error| format!("{error:#}"))
}

// --- fixtures ----------------------------------------------------------------------------------

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn scan_tarball(name: &str, files: &[(String, Vec<u8>)]) -> Report {
    let tgz = npm_tarball(files);
    scan(Input::Bytes { name, bytes: &tgz }, &ScanOptions::default(), &mut |_| {})
}

/// Each folder under `tests/fixtures/`, packed as an npm tarball the way it is published.
fn fixture_packages() -> Vec<(String, Report)> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("read tests/fixtures")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    folders
        .iter()
        .map(|folder| {
            let name = folder
                .file_name()
                .expect("a folder name")
                .to_string_lossy()
                .into_owned();
            let mut files = Vec::new();
            collect_files(folder, "", &mut files);
            let report = scan_tarball(&format!("{name}-1.0.0.tgz"), &files);
            (name, report)
        })
        .collect()
}

/// A package that runs a script when it is installed.
fn install_scripts_package() -> Report {
    let manifest = r#"{
  "name": "installs-things",
  "version": "4.5.6",
  "scripts": { "preinstall": "node scripts/check.js", "postinstall": "node scripts/setup.js" }
}
"#;
    scan_tarball(
        "installs-things-4.5.6.tgz",
        &[
            ("package.json".to_string(), manifest.as_bytes().to_vec()),
            ("scripts/setup.js".to_string(), b"console.log('set up');\n".to_vec()),
        ],
    )
}

/// A package with a nested archive, one that only pretends to be, and file names that are not
/// plain URI paths (a space, `#`, `%`, non-ASCII).
fn awkward_package() -> Report {
    let telemetry = b"fetch('https://telemetry.example.dev/v1', { body: require('os').hostname() });\n";
    let nested = npm_tarball(&[("index.js".to_string(), telemetry.to_vec())]);
    scan_tarball(
        "awkward-1.0.0.tgz",
        &[
            (
                "package.json".to_string(),
                br#"{ "name": "awkward", "version": "1.0.0" }"#.to_vec(),
            ),
            (
                "lib/broken.tgz".to_string(),
                b"\x1f\x8b\x08\x00 not really gzip".to_vec(),
            ),
            ("lib/inner.tgz".to_string(), nested),
            ("lib/my file #1 100%.js".to_string(), telemetry.to_vec()),
            ("lib/télémétrie.js".to_string(), telemetry.to_vec()),
        ],
    )
}

fn to_sarif(report: &Report) -> Value {
    telltale::sarif::to_sarif(report, RuleSet::builtin())
}

// --- what the schema cannot say ----------------------------------------------------------------

/// The run's one result per finding: the rule is described in `tool.driver.rules`, regions are
/// 1-based, and the path is a single thread flow whose locations follow the path's steps in
/// order, each with its role as its kind.
#[track_caller]
fn assert_semantics(name: &str, report: &Report, sarif: &Value) {
    let run = &sarif["runs"][0];
    let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("driver rules")
        .iter()
        .map(|rule| rule["id"].as_str().expect("rule id"))
        .collect();
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), report.findings.len(), "{name}");
    for (result, finding) in results.iter().zip(&report.findings) {
        let rule = result["ruleId"].as_str().expect("ruleId");
        assert_eq!(rule, finding.rule, "{name}");
        assert!(rule_ids.contains(&rule), "{name}: {rule} is not among {rule_ids:?}");
        for location in result["locations"].as_array().expect("locations") {
            assert_region(name, &location["physicalLocation"], &finding.file);
        }
        assert_code_flow(name, finding, &result["codeFlows"]);
    }
    let notifications = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notifications.len(), report.errors.len(), "{name}");
    for (notification, error) in notifications.iter().zip(&report.errors) {
        let uri = notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("notification location");
        assert_eq!(percent_decode(uri), error.file, "{name}");
    }
    let successful = run["invocations"][0]["executionSuccessful"].as_bool();
    assert_eq!(
        successful,
        Some(report.errors.is_empty() || report.stats.parsed_files > 0),
        "{name}"
    );
}

/// A package that cannot be read at all is a run that did not succeed; one broken member of a
/// package that was otherwise read is a warning of a run that did.
#[test]
fn execution_fails_only_when_nothing_could_be_read() {
    let broken = telltale::scan::scan(
        telltale::scan::Input::Bytes {
            name: "broken.tgz",
            bytes: b"\x1f\x8b\x08\x00 not really gzip",
        },
        &telltale::scan::ScanOptions::default(),
        &mut |_| {},
    );
    assert!(!broken.errors.is_empty());
    let sarif = to_sarif(&broken);
    validate(&sarif).unwrap();
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"], false,
        "{sarif:#}"
    );

    let awkward = awkward_package();
    assert!(!awkward.errors.is_empty(), "the awkward package has a broken member");
    let sarif = to_sarif(&awkward);
    assert_eq!(sarif["runs"][0]["invocations"][0]["executionSuccessful"], true);
}

/// A 1-based region in the file `file`.
#[track_caller]
fn assert_region(name: &str, physical: &Value, file: &str) {
    let region = &physical["region"];
    assert!(
        region["startLine"].as_u64().is_some_and(|line| line >= 1),
        "{name}: {region}"
    );
    assert!(
        region["startColumn"].as_u64().is_some_and(|column| column >= 1),
        "{name}: {region}"
    );
    let uri = physical["artifactLocation"]["uri"].as_str().expect("artifact uri");
    assert_eq!(percent_decode(uri), file, "{name}: {uri}");
}

/// `uri` with its `%XX` escapes decoded.
fn percent_decode(uri: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = uri.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let escaped = (byte == b'%')
            .then(|| tail.get(..2))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(decoded) => {
                bytes.push(decoded);
                rest = &tail[2..];
            }
            None => {
                bytes.push(byte);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).expect("UTF-8 after decoding")
}

#[track_caller]
fn assert_code_flow(name: &str, finding: &Finding, code_flows: &Value) {
    let code_flows = code_flows.as_array().expect("codeFlows");
    if finding.path.is_empty() {
        assert!(code_flows.is_empty(), "{name}: {code_flows:?}");
        return;
    }
    assert_eq!(code_flows.len(), 1, "{name}");
    let thread_flows = code_flows[0]["threadFlows"].as_array().expect("threadFlows");
    assert_eq!(thread_flows.len(), 1, "{name}");
    let locations = thread_flows[0]["locations"].as_array().expect("thread flow locations");
    assert_eq!(locations.len(), finding.path.len(), "{name}");
    // The entry point (when one reaches it) and the calls leading to the detection, then where
    // its value goes.
    let kinds: Vec<&str> = locations
        .iter()
        .map(|location| location["kinds"][0].as_str().expect("a kind"))
        .collect();
    let detection = kinds.iter().position(|&kind| kind == "detection");
    let detection = detection.unwrap_or_else(|| panic!("{name}: no detection step in {kinds:?}"));
    let calls = kinds[..detection]
        .strip_prefix(&["entry"])
        .unwrap_or(&kinds[..detection]);
    assert!(calls.iter().all(|&kind| kind == "call"), "{name}: {kinds:?}");
    assert!(
        kinds[detection + 1..]
            .iter()
            .all(|kind| ["flow", "sink", "branch", "use"].contains(kind)),
        "{name}: {kinds:?}"
    );
    for (location, step) in locations.iter().zip(&finding.path) {
        assert_eq!(location["kinds"], serde_json::json!([step.role]), "{name}");
        let physical = &location["location"]["physicalLocation"];
        assert_region(name, physical, &step.file);
        assert_eq!(physical["region"]["startLine"], step.line.max(1), "{name}");
        assert_eq!(location["location"]["message"]["text"], step.note.as_str(), "{name}");
    }
}

// --- tests -------------------------------------------------------------------------------------

#[test]
fn every_fixture_package_exports_sarif_valid_against_the_official_schema() {
    let packages = fixture_packages();
    for expected in ["guards", "exports-by-name", "syntax-error", "esbuild-esm"] {
        assert!(
            packages.iter().any(|(name, _)| name == expected),
            "no fixture {expected}"
        );
    }
    let mut paths = 0;
    for (name, report) in &packages {
        let sarif = to_sarif(report);
        if let Err(errors) = validate(&sarif) {
            panic!("{name}: the SARIF export breaks the SARIF 2.1.0 schema:\n{errors}");
        }
        assert_semantics(name, report, &sarif);
        paths += report.findings.iter().filter(|f| !f.path.is_empty()).count();
    }
    assert!(
        paths > 0,
        "no fixture gave a finding with a path: code flows went unchecked"
    );
}

#[test]
fn parse_errors_are_valid_notifications() {
    let (name, report) = fixture_packages()
        .into_iter()
        .find(|(name, _)| name == "syntax-error")
        .expect("the syntax-error fixture");
    assert!(!report.errors.is_empty(), "{name}: no parse error");
    let sarif = to_sarif(&report);
    validate(&sarif).unwrap_or_else(|errors| panic!("{name}:\n{errors}"));
    assert_semantics(&name, &report, &sarif);
    let notification = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert!(
        notification["message"]["text"]
            .as_str()
            .is_some_and(|text| text.contains("broken.js"))
    );
}

#[test]
fn install_scripts_export_valid_sarif() {
    let report = install_scripts_package();
    assert!(
        report.findings.iter().any(|f| f.rule == "TT-INSTALL-001"),
        "{:?}",
        report.findings
    );
    let sarif = to_sarif(&report);
    validate(&sarif).unwrap_or_else(|errors| panic!("install scripts:\n{errors}"));
    assert_semantics("install scripts", &report, &sarif);
}

#[test]
fn damaged_members_and_awkward_file_names_export_valid_sarif() {
    let report = awkward_package();
    assert!(!report.errors.is_empty(), "the bad nested archive is reported");
    let sarif = to_sarif(&report);
    validate(&sarif).unwrap_or_else(|errors| panic!("awkward package:\n{errors}"));
    assert_semantics("awkward package", &report, &sarif);
    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|result| result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    for uri in [
        "package/lib/inner.tgz!/package/index.js",
        "package/lib/my%20file%20%231%20100%25.js",
        "package/lib/t%C3%A9l%C3%A9m%C3%A9trie.js",
    ] {
        assert!(uris.contains(&uri), "no result in {uri}: {uris:?}");
    }
}

#[test]
fn an_empty_report_exports_valid_sarif() {
    let report = scan_tarball("empty-1.0.0.tgz", &[]);
    let sarif = to_sarif(&report);
    validate(&sarif).unwrap_or_else(|errors| panic!("empty report:\n{errors}"));
}

/// One way to break a valid SARIF log, and what it is.
type Breakage = (&'static str, fn(&mut Value));

/// The validator is not a rubber stamp: a few known breakages are caught, formats included.
#[test]
fn the_schema_rejects_broken_sarif() {
    let report = install_scripts_package();
    let valid = to_sarif(&report);
    validate(&valid).expect("valid to start with");
    let breakages: [Breakage; 5] = [
        ("wrong version", |sarif| sarif["version"] = "2.0.0".into()),
        ("result without message", |sarif| {
            sarif["runs"][0]["results"][0]
                .as_object_mut()
                .expect("result")
                .remove("message");
        }),
        ("line 0", |sarif| {
            sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
        }),
        ("unknown level", |sarif| {
            sarif["runs"][0]["results"][0]["level"] = "fatal".into()
        }),
        ("a space in a uri", |sarif| {
            sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
                "package/my file.js".into();
        }),
    ];
    for (what, break_it) in breakages {
        let mut sarif = valid.clone();
        break_it(&mut sarif);
        assert!(validate(&sarif).is_err(), "{what} passed the schema");
    }
}
