//! Behaviour, end to end: small hand-made packages under `tests/fixtures/` that imitate what
//! bundlers really emit (esbuild ESM and CJS, minified CommonJS, webpack, TypeScript) are scanned
//! with `scan::scan` and their findings checked: rule, category, consequence, severity, place,
//! snippet and fingerprint. Whole-package snapshots (`tests/snapshots/`) make any change in what
//! is reported a readable diff. The faces of the report are checked here too: SARIF, the JSON
//! schema, and the errors a broken rule file gives.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use support::packages::{collect_files, npm_tarball};
use telltale::files::FileKind;
use telltale::package::Format;
use telltale::report::{Category, Consequence, EndpointClass, Finding, Report, RunStatus, Severity, Stage};
use telltale::rules::RuleSet;
use telltale::scan::{Input, ScanOptions, scan};

// --- helpers -----------------------------------------------------------------------------------

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The text of one fixture file.
fn fixture_text(path: &str) -> String {
    let path = fixtures().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Scans one file as if it had been dropped on its own.
fn scan_file(path: &str) -> Report {
    let bytes = fixture_text(path).into_bytes();
    let name = path.rsplit('/').next().unwrap_or(path);
    scan_bytes(name, &bytes, &ScanOptions::default())
}

fn scan_bytes(name: &str, bytes: &[u8], options: &ScanOptions) -> Report {
    scan(Input::Bytes { name, bytes }, options, &mut |_| {})
}

/// Scans files as a dropped folder of that name.
fn scan_files(name: &str, files: &[(&str, &str)]) -> Report {
    let files = files
        .iter()
        .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
        .collect();
    scan(Input::Files { name, files }, &ScanOptions::default(), &mut |_| {})
}

/// Scans a fixture folder the way it is published: packed as an npm tarball (`package/…`).
fn scan_package(folder: &str) -> Report {
    scan_package_with(folder, &ScanOptions::default())
}

fn scan_package_with(folder: &str, options: &ScanOptions) -> Report {
    let mut files = Vec::new();
    collect_files(&fixtures().join(folder), "", &mut files);
    let tgz = npm_tarball(&files);
    let report = scan_bytes(&format!("{folder}-1.0.0.tgz"), &tgz, options);
    // A tarball is an npm package when it holds `package/package.json`.
    let manifest = files.iter().any(|(path, _)| path == "package.json");
    let format = if manifest { Format::Npm } else { Format::TarGz };
    assert_eq!(report.package.format, format);
    assert!(
        report.errors.iter().all(|e| e.stage != Stage::Unpack),
        "{:?}",
        report.errors
    );
    report
}

/// 1-based line and column of the first `needle` in `text` (the fixtures are ASCII, so bytes
/// and UTF-16 code units agree).
fn position(text: &str, needle: &str) -> (u32, u32) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not in the fixture"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = at - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line as u32, column as u32)
}

/// The findings, one short line each, for failure messages.
fn listing(report: &Report) -> String {
    report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}:{} {:?} {:?} `{}`",
                f.rule, f.file, f.line, f.column, f.severity, f.consequence, f.snippet
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The one finding of `rule` in `file` starting where `needle` first occurs in `text`; fails
/// the test, listing every finding, when there is none.
fn finding_at<'r>(report: &'r Report, rule: &str, file: &str, text: &str, needle: &str) -> &'r Finding {
    let (line, column) = position(text, needle);
    report
        .findings
        .iter()
        .find(|f| f.rule == rule && f.file == file && f.line == line && f.column == column)
        .unwrap_or_else(|| {
            panic!(
                "no {rule} at {file}:{line}:{column} ({needle:?}); findings are:\n{}",
                listing(report)
            )
        })
}

fn rules_of(report: &Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.rule.as_str()).collect()
}

/// Asserts rule, category, consequence, severity and that the snippet shows the code.
#[track_caller]
fn assert_finding(
    finding: &Finding,
    category: Category,
    consequence: Option<Consequence>,
    severity: Severity,
    code: &str,
) {
    assert_eq!(finding.category, category, "{finding:#?}");
    assert_eq!(finding.consequence, consequence, "{finding:#?}");
    assert_eq!(finding.severity, severity, "{finding:#?}");
    assert!(
        finding.snippet.contains(code),
        "snippet {:?} lacks {code:?}",
        finding.snippet
    );
}

// --- bundles -----------------------------------------------------------------------------------

/// esbuild's ESM output calls `require` through `createRequire(import.meta.url)` under a
/// minified name; the host name it reads goes into an object posted with `fetch`.
#[test]
fn esbuild_esm_require_from_create_require_is_followed_to_fetch() {
    let report = scan_package("esbuild-esm");
    let text = fixture_text("esbuild-esm/cli.mjs");
    let file = "package/cli.mjs";
    assert_eq!(report.package.name.as_deref(), Some("esbuild-esm-fixture"));
    assert_eq!(report.package.version.as_deref(), Some("1.0.0"));
    assert!(report.errors.is_empty(), "{:?}", report.errors);

    let host = finding_at(&report, "TT-ID-001", file, &text, r#"J1("os").hostname()"#);
    assert_finding(
        host,
        Category::Identity,
        Some(Consequence::Sent),
        Severity::Medium,
        r#"J1("os").hostname()"#,
    );
    assert_eq!((host.line, host.column), (3, 34));
    assert!(host.message.contains("os.hostname"), "{}", host.message);

    let url = r#""https://telemetry.example.dev/v1/events""#;
    let endpoint = finding_at(&report, "TT-TEL-001", file, &text, url);
    assert_finding(
        endpoint,
        Category::Telemetry,
        Some(Consequence::Sent),
        Severity::Medium,
        url,
    );
    let request = r#"fetch("https://telemetry.example.dev/v1/events""#;
    for rule in ["TT-NET-001", "TT-TEL-009"] {
        let call = finding_at(&report, rule, file, &text, request);
        assert!(call.snippet.contains(request), "{call:#?}");
    }

    let telemetry_host = report
        .endpoints
        .iter()
        .find(|e| e.host == "telemetry.example.dev")
        .expect("the endpoint is listed");
    assert_eq!(telemetry_host.class, EndpointClass::Telemetry);
    assert_eq!(telemetry_host.files, [file]);
}

/// Minified CommonJS: `var A=require("os")` at the top, read inside lazy module wrappers
/// `var M=H((e,m)=>{…})`. A wrapper something calls is live; one nothing calls is dead code.
#[test]
fn cjs_minified_aliases_resolve_inside_lazy_module_wrappers() {
    let report = scan_package("cjs-minified");
    let text = fixture_text("cjs-minified/dist/index.js");
    let file = "package/dist/index.js";
    let entry = report
        .files
        .iter()
        .find(|f| f.path == file)
        .expect("the bundle is listed");
    assert_eq!(entry.kind, FileKind::Javascript);
    assert!(entry.minified, "one long line is minified code");

    let host = finding_at(&report, "TT-ID-001", file, &text, "A.hostname()");
    assert_finding(
        host,
        Category::Identity,
        Some(Consequence::Sent),
        Severity::Medium,
        "A.hostname()",
    );
    assert_eq!(host.line, 1);

    // `M` is called from `R`, which the top level calls: live.
    let user = finding_at(&report, "TT-ID-002", file, &text, "A.userInfo().username");
    assert_eq!(user.category, Category::Identity);
    assert_eq!(user.severity, Severity::Medium, "{user:#?}");

    // `N` is never called.
    let interfaces = finding_at(&report, "TT-ID-003", file, &text, "A.networkInterfaces()");
    assert_eq!(interfaces.severity, Severity::Info, "{interfaces:#?}");
    assert_unreachable(interfaces, "which nothing refers to");
}

/// esbuild's non-minified CommonJS wrappers: `__commonJS({"node_modules/pkg/index.js"(…){…}})`
/// marks bundled library code, and `__toESM(require_pkg())` stands for the package itself.
#[test]
fn esbuild_commonjs_wrappers_name_the_bundled_package() {
    let report = scan_package("esbuild-cjs");
    let text = fixture_text("esbuild-cjs/dist/index.js");
    let file = "package/dist/index.js";

    let host = finding_at(&report, "TT-ID-001", file, &text, "os.hostname()");
    assert_eq!(host.category, Category::Identity);
    assert_eq!(
        host.severity,
        Severity::Medium,
        "required at the top level, so live: {host:#?}"
    );
    assert!(
        host.message.contains("inside bundled package machine-name"),
        "{}",
        host.message
    );
    assert_eq!(host.snippet, "return os.hostname();");

    let user = finding_at(&report, "TT-ID-002", file, &text, "os2.userInfo().username");
    assert_finding(
        user,
        Category::Identity,
        Some(Consequence::Sent),
        Severity::Medium,
        "user: os2.userInfo().username",
    );
    assert!(!user.message.contains("bundled package"), "{}", user.message);
}

/// `(0, import_pkg.default)()` after `var import_pkg = __toESM(require_pkg())` is a call of the
/// bundled package itself: a user's rule can name it.
#[test]
fn esbuild_interop_wrappers_resolve_to_the_package_for_user_rules() {
    let rule = r#"
code = "USER-001"
name = "machine-name-call"
category = "identity"
severity = "high"
title = "Calls the machine-name package"

[match]
call = ["machine-name"]
"#;
    let rules = RuleSet::compile([("my-rules/machine-name.toml".to_string(), rule.to_string())])
        .unwrap_or_else(|errors| panic!("{errors:?}"));
    let options = ScanOptions {
        rules: Some(Arc::new(rules)),
        ..ScanOptions::default()
    };
    let report = scan_package_with("esbuild-cjs", &options);
    let text = fixture_text("esbuild-cjs/dist/index.js");
    let call = finding_at(
        &report,
        "USER-001",
        "package/dist/index.js",
        &text,
        "(0, import_machine_name.default)()",
    );
    assert_eq!(call.severity, Severity::High);
    assert_eq!(rules_of(&report), ["USER-001"], "only the user's rules run");
}

/// webpack's development output: a module table keyed by path, modules wrapped in parentheses,
/// `__webpack_require__` for every import.
#[test]
fn webpack_module_table_is_live_from_its_bootstrap() {
    let report = scan_package("webpack");
    let text = fixture_text("webpack/dist/main.js");
    let file = "package/dist/main.js";
    assert!(report.errors.is_empty(), "{:?}", report.errors);

    let zone = finding_at(
        &report,
        "TT-REGION-001",
        file,
        &text,
        "Intl.DateTimeFormat().resolvedOptions().timeZone",
    );
    assert_eq!(zone.category, Category::Region);
    assert_eq!(zone.snippet, "return Intl.DateTimeFormat().resolvedOptions().timeZone;");

    // The bootstrap requires `./src/index.js`, which calls `heartbeat()`: the request is live.
    let url = r#""https://telemetry.example.dev/heartbeat""#;
    let endpoint = finding_at(&report, "TT-TEL-001", file, &text, url);
    assert_finding(
        endpoint,
        Category::Telemetry,
        Some(Consequence::Sent),
        Severity::Medium,
        url,
    );
    let send = finding_at(&report, "TT-TEL-009", file, &text, "fetch(");
    assert_eq!(send.severity, Severity::Medium, "{send:#?}");
    // `__webpack_require__("os")` is the table's external `module.exports = require("os")`.
    let host = finding_at(&report, "TT-ID-001", file, &text, "os.hostname()");
    assert_eq!(host.consequence, Some(Consequence::Sent), "{host:#?}");
    assert!(
        zone.message.contains("inside bundled package tz-probe"),
        "{}",
        zone.message
    );

    // A production build: numeric module ids and webpack's require as a module's third
    // parameter.
    let minified = "(()=>{var e={857:e=>{\"use strict\";e.exports=require(\"os\")},\
        12:(e,t,n)=>{const r=n(857);function o(){return fetch(\"https://telemetry.example.dev/hb\",\
        {method:\"POST\",body:JSON.stringify({host:r.hostname()})})}o()}},t={};function n(r){var o=t[r];\
        if(void 0!==o)return o.exports;var s=t[r]={exports:{}};return e[r](s,s.exports,n),s.exports}n(12)})();";
    let report = scan_files("webpack-production", &[("main.js", minified)]);
    let host = finding_at(&report, "TT-ID-001", "main.js", minified, "r.hostname()");
    assert_eq!(host.consequence, Some(Consequence::Sent), "{host:#?}");
}

/// TypeScript is parsed as TypeScript: type annotations, `as` and `satisfies` do not hide the
/// values they wrap.
#[test]
fn typescript_types_do_not_hide_values() {
    let report = scan_package("typescript");
    let text = fixture_text("typescript/src/telemetry.ts");
    let file = "package/src/telemetry.ts";
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let entry = report.files.iter().find(|f| f.path == file).expect("listed");
    assert_eq!(entry.kind, FileKind::Typescript);
    assert_eq!(report.stats.parsed_files, 1);

    // Severities are not asserted: `export function` is not yet taken as an entry point, so
    // everything in `sendEvent` is reported as code nothing calls.
    let host = finding_at(&report, "TT-ID-001", file, &text, "os.hostname()");
    assert_eq!(host.consequence, Some(Consequence::Sent), "{host:#?}");
    assert_eq!((host.line, host.column), (11, 38));

    let install_id = finding_at(&report, "TT-ID-006", file, &text, "randomUUID() as string");
    assert_eq!(install_id.consequence, Some(Consequence::Sent), "{install_id:#?}");
    assert!(
        install_id.message.contains("crypto.randomUUID"),
        "{}",
        install_id.message
    );
    assert!(install_id.message.contains("installId"), "{}", install_id.message);

    finding_at(
        &report,
        "TT-TEL-001",
        file,
        &text,
        r#""https://telemetry.example.dev/v1/collect""#,
    );
}

// --- parse errors and liveness -----------------------------------------------------------------

/// A file that does not parse is a located error in the report, and its literals are still
/// scanned.
#[test]
fn syntax_error_is_located_and_literals_are_still_found() {
    let report = scan_file("syntax-error/broken.js");
    let text = fixture_text("syntax-error/broken.js");
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let error = &report.errors[0];
    assert_eq!(error.stage, Stage::Parse);
    assert_eq!(error.file, "broken.js");
    let (line, column) = position(&text, "payload ;");
    let column = column + "payload ".len() as u32;
    assert!(
        error.message.contains(&format!("at line {line}, column {column}")),
        "{}",
        error.message
    );
    assert!(!report.is_partial(), "a parse error is not damage to the input");

    let url = r#""https://telemetry.example.dev/v1/track""#;
    let endpoint = finding_at(&report, "TT-TEL-001", "broken.js", &text, url);
    assert_eq!(endpoint.category, Category::Telemetry);
    assert_eq!((endpoint.line, endpoint.column), (1, 18));
    assert!(report.endpoints.iter().any(|e| e.host == "telemetry.example.dev"));
}

/// Code after `return;` and a function nothing calls cannot run: their findings are `info`,
/// while the live read beside them keeps its rule's severity.
#[test]
fn dead_code_is_info() {
    let report = scan_file("liveness/index.js");
    let text = fixture_text("liveness/index.js");
    let file = "index.js";

    let live = finding_at(&report, "TT-ID-003", file, &text, "os.networkInterfaces()");
    assert_finding(
        live,
        Category::Identity,
        Some(Consequence::Local),
        Severity::Medium,
        "console.log(os.networkInterfaces());",
    );

    let after_return = finding_at(&report, "TT-ID-001", file, &text, "os.hostname()");
    assert_finding(
        after_return,
        Category::Identity,
        Some(Consequence::Local),
        Severity::Info,
        "os.hostname()",
    );
    assert_unreachable(after_return, "after a `return`");

    let uncalled = finding_at(&report, "TT-ID-002", file, &text, "os.userInfo().username");
    assert_eq!(uncalled.severity, Severity::Info, "{uncalled:#?}");
    assert_unreachable(uncalled, "in `neverCalled`, which nothing refers to");
    assert!(uncalled.message.contains("never runs"), "{}", uncalled.message);
    assert!(
        uncalled.path.iter().all(|s| s.role != "entry"),
        "no path leads to dead code"
    );
}

/// An error-reporting SDK bundled whole: its integrations are made at load time, but their
/// hooks run only once installed. Started with `defaultIntegrations: false` and one integration
/// listed, the listed one's hook sends the host name while the culture context (time zone,
/// locale) never runs; with the defaults on, both run.
#[test]
fn integrations_the_sdk_never_installs_do_not_run() {
    let text = fixture_text("liveness/sdk-integrations.js");
    let report = scan_files("sdk.tgz", &[("sdk-integrations.js", &text)]);
    let file = "sdk-integrations.js";
    let zone = finding_at(&report, "TT-REGION-001", file, &text, "Q.timeZone");
    assert_eq!(zone.severity, Severity::Info, "{zone:#?}");
    assert_unreachable(zone, "`(anonymous)` (processEvent), which never runs");
    let hook = report.findings.iter().find(|f| {
        f.reachability
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("never installed"))
    });
    assert!(
        hook.is_none(),
        "only findings inside hooks name the installation: {hook:#?}"
    );
    let host = finding_at(&report, "TT-ID-001", file, &text, "K.hostname()");
    assert_eq!(host.reachability.status, RunStatus::Reachable, "{host:#?}");
    assert_eq!(host.severity, Severity::Medium);

    let defaults_on = text.replace("defaultIntegrations:!1,", "");
    let report = scan_files("sdk.tgz", &[("sdk-integrations.js", &defaults_on)]);
    let zone = finding_at(&report, "TT-REGION-001", file, &defaults_on, "Q.timeZone");
    assert_eq!(zone.reachability.status, RunStatus::Reachable, "{zone:#?}");
    assert_eq!(zone.consequence, Some(Consequence::Sent));
}

/// A hook that reads data itself is what the reason names: the integration is never installed.
#[test]
fn a_hook_of_an_integration_never_installed_says_so() {
    let text = fixture_text("liveness/sdk-integrations.js").replace(
        "processEvent(Z){Z.contexts={...Z.contexts,culture:j()};return Z}",
        "processEvent(Z){Z.contexts={...Z.contexts,tz:Intl.DateTimeFormat().resolvedOptions().timeZone};return Z}",
    );
    let report = scan_files("sdk.tgz", &[("sdk-integrations.js", &text)]);
    let needle = "Intl.DateTimeFormat().resolvedOptions().timeZone}";
    let zone = finding_at(&report, "TT-REGION-001", "sdk-integrations.js", &text, needle);
    assert_eq!(zone.severity, Severity::Info, "{zone:#?}");
    assert_unreachable(
        zone,
        "a hook of an SDK integration that is never installed: the SDK is started with its default integrations off (`defaultIntegrations: false`, line 6)",
    );
}

fn assert_unreachable(finding: &Finding, reason: &str) {
    assert_eq!(finding.reachability.status, RunStatus::Unreachable, "{finding:#?}");
    let given = finding.reachability.reason.as_deref().unwrap_or_default();
    assert!(given.contains(reason), "reason {given:?} should say {reason:?}");
}

/// A bundle of CommonJS modules exporting by property name (OpenTelemetry's detectors, say):
/// an exported value runs only when code that runs reads its name. The host-name detector is
/// exported and re-exported but nothing reads `hostDetector`; the process detector is read
/// and its result posted.
#[test]
fn exports_run_only_when_their_name_is_read() {
    let report = scan_package("exports-by-name");
    let text = fixture_text("exports-by-name/cli.js");
    let file = "package/cli.js";

    let host = finding_at(&report, "TT-ID-001", file, &text, "O.hostname()");
    assert_eq!(host.severity, Severity::Info, "{host:#?}");
    assert_unreachable(host, "the export `hostDetector`, which nothing in the package reads");
    assert!(host.path.iter().all(|s| s.role != "entry"), "{:#?}", host.path);

    let owner = finding_at(&report, "TT-ID-002", file, &text, "O.userInfo().username");
    assert_eq!(owner.reachability.status, RunStatus::Reachable, "{owner:#?}");
    assert_eq!(owner.consequence, Some(Consequence::Sent), "{owner:#?}");
    assert_eq!(owner.severity, Severity::Medium);
    let roles: Vec<&str> = owner.path.iter().map(|s| s.role.as_str()).collect();
    assert_eq!(roles.first(), Some(&"entry"), "{:#?}", owner.path);
    assert_eq!(roles.last(), Some(&"sink"), "{:#?}", owner.path);
    let detection = owner
        .path
        .iter()
        .position(|s| s.role == "detection")
        .expect("a detection step");
    assert!(
        roles[..detection].iter().all(|r| *r == "entry" || *r == "call"),
        "{roles:?}"
    );
    // The class method is named by its class, the sink by the call that sends.
    assert_eq!(owner.path[detection].readable_name.as_deref(), Some("U.detect"));
    let sink = owner.path.last().expect("a sink");
    assert!(sink.note.contains("fetch"), "{sink:#?}");
    assert_eq!(sink.function, "s");
    assert_eq!((sink.line, sink.file.as_str()), (6, file));
}

/// Across files: `lib/telemetry.js` exports two functions; the command reads `report`, so its
/// host name is sent; nothing reads `describeNetwork`, so it never runs. Published as the
/// package's `main` instead, both are the package's API and run.
#[test]
fn exports_read_by_another_file_run() {
    let report = scan_package("multi-file");
    let text = fixture_text("multi-file/lib/telemetry.js");
    let file = "package/lib/telemetry.js";

    let host = finding_at(&report, "TT-ID-001", file, &text, "os.hostname()");
    assert_eq!(host.reachability.status, RunStatus::Reachable, "{host:#?}");
    assert_eq!(host.consequence, Some(Consequence::Sent));
    assert_eq!(host.severity, Severity::Medium);

    let network = finding_at(&report, "TT-ID-003", file, &text, "os.networkInterfaces()");
    assert_eq!(network.severity, Severity::Info);
    assert_unreachable(
        network,
        "the export `describeNetwork`, which nothing in the package reads",
    );

    let library = scan_files(
        "multi-file-lib",
        &[
            (
                "package.json",
                r#"{"name":"l","version":"1.0.0","main":"lib/telemetry.js"}"#,
            ),
            ("lib/telemetry.js", &text),
        ],
    );
    let network = finding_at(
        &library,
        "TT-ID-003",
        "lib/telemetry.js",
        &text,
        "os.networkInterfaces()",
    );
    assert_eq!(network.reachability.status, RunStatus::Reachable, "{network:#?}");
    assert_eq!(network.severity, Severity::Medium);
}

/// Opt-out switches on the path: an early return on `DO_NOT_TRACK` or a tool's own switch stops
/// the event with the host name; the crash handler checks nothing; the usage ping runs only
/// while a setting is on.
#[test]
fn guards_name_the_switches_that_stop_a_path() {
    let report = scan_file("guards/index.js");
    let text = fixture_text("guards/index.js");
    let file = "index.js";

    let host = finding_at(&report, "TT-ID-001", file, &text, "os.hostname()");
    assert_eq!(host.consequence, Some(Consequence::Sent));
    let switches = switches_of(host);
    assert_eq!(
        switches,
        [("DO_NOT_TRACK", "env", true), ("MYTOOL_DISABLE_TELEMETRY", "env", true)],
        "{host:#?}"
    );
    assert_eq!(host.guards[0].line, 1);

    let user = finding_at(&report, "TT-ID-002", file, &text, "os.userInfo().username");
    assert_eq!(user.consequence, Some(Consequence::Sent));
    assert!(
        user.guards.is_empty(),
        "the crash report checks no switch: {:#?}",
        user.guards
    );

    let mac = finding_at(&report, "TT-ID-003", file, &text, "os.networkInterfaces()");
    let switches = switches_of(mac);
    assert_eq!(switches, [("usageStatisticsEnabled", "setting", true)], "{mac:#?}");
}

/// A flag that names nothing (`o.disabled`) is no opt-out switch; with a telemetry owner
/// (`c.telemetry.disabled`) it is, named with that owner.
#[test]
fn generic_flags_are_switches_only_with_a_telemetry_owner() {
    let code = "const os=require(\"os\");\
        function a(o){if(o.disabled)return;fetch(\"https://t.example.com/a\",{method:\"POST\",body:JSON.stringify({h:os.hostname()})})}\
        function b(c){if(c.telemetry.disabled)return;fetch(\"https://t.example.com/b\",{method:\"POST\",body:JSON.stringify({u:os.userInfo().username})})}\
        a({});b({telemetry:{}});";
    let report = scan_files("flags", &[("index.js", code)]);
    let host = finding_at(&report, "TT-ID-001", "index.js", code, "os.hostname()");
    assert_eq!(switches_of(host), vec![], "{host:#?}");
    let user = finding_at(&report, "TT-ID-002", "index.js", code, "os.userInfo().username");
    assert_eq!(
        switches_of(user),
        vec![("telemetry.disabled", "setting", true)],
        "{user:#?}"
    );
}

/// A switch honoured on one way to a send but not on another: `start` returns early on
/// `DO_NOT_TRACK`, `shutdown` posts the same machine data unconditionally. The finding must not
/// claim the switch stops it, and the opt-out table must list it among what still leaves.
#[test]
fn a_switch_with_a_way_round_it_does_not_stop_the_send() {
    let report = scan_file("guards/escape.js");
    let text = fixture_text("guards/escape.js");
    let mac = finding_at(&report, "TT-ID-003", "escape.js", &text, "os.networkInterfaces()");
    assert_eq!(mac.consequence, Some(Consequence::Sent));
    assert!(mac.guards.iter().all(|g| !g.disables), "{:#?}", mac.guards);

    let table = report
        .opt_outs
        .iter()
        .find(|o| o.switch == "DO_NOT_TRACK")
        .unwrap_or_else(|| panic!("no DO_NOT_TRACK in {:#?}", report.opt_outs));
    assert_eq!(table.kind, "env");
    assert!(
        table.does_not_stop.iter().any(|s| s.fingerprint == mac.fingerprint),
        "{table:#?}"
    );
    assert!(table.stops.iter().all(|s| s.fingerprint != mac.fingerprint));

    // In the first fixture every way to the host-name event passes the switch.
    let guarded = scan_file("guards/index.js");
    let text = fixture_text("guards/index.js");
    let host = finding_at(&guarded, "TT-ID-001", "index.js", &text, "os.hostname()");
    let table = guarded
        .opt_outs
        .iter()
        .find(|o| o.switch == "DO_NOT_TRACK")
        .expect("listed");
    assert!(
        table.stops.iter().any(|s| s.fingerprint == host.fingerprint),
        "{table:#?}"
    );
    let user = finding_at(&guarded, "TT-ID-002", "index.js", &text, "os.userInfo().username");
    assert!(table.does_not_stop.iter().any(|s| s.fingerprint == user.fingerprint));
}

/// A finding's guards as (switch, kind, disables).
fn switches_of(finding: &Finding) -> Vec<(&str, &str, bool)> {
    finding
        .guards
        .iter()
        .map(|g| (g.switch.as_str(), g.kind.as_str(), g.disables))
        .collect()
}

/// The roles of a finding's path steps, in order.
fn roles(finding: &Finding) -> Vec<&str> {
    finding.path.iter().map(|s| s.role.as_str()).collect()
}

/// An error-reporting SDK whose event processor attaches the locale and time zone to every
/// event it uploads: the read is sent, and the path runs from the processor through the
/// function that reads it into the event.
#[test]
fn sdk_event_processor_sends_culture_context() {
    let report = scan_file("paths/sdk-culture.js");
    let text = fixture_text("paths/sdk-culture.js");
    let zone = finding_at(&report, "TT-REGION-001", "sdk-culture.js", &text, "o.timeZone");
    assert_eq!(zone.consequence, Some(Consequence::Sent), "{zone:#?}");
    assert_eq!(zone.reachability.status, RunStatus::Reachable);
    assert_eq!(roles(zone).first(), Some(&"entry"), "{:#?}", zone.path);
    assert_eq!(roles(zone).last(), Some(&"sink"));
    let notes: Vec<&str> = zone.path.iter().map(|s| s.note.as_str()).collect();
    assert!(notes.contains(&"put in an object under `timezone`"), "{notes:?}");
    assert!(notes.contains(&"returned by `cultureContext`"), "{notes:?}");
    assert!(notes.contains(&"stored in `event.contexts.culture`"), "{notes:?}");
    let detection = zone.path.iter().find(|s| s.role == "detection").expect("a detection");
    assert_eq!(detection.function, "cultureContext");
}

/// A region check that switches the endpoint: the read gates, and the branch step says which
/// endpoint each side uses.
#[test]
fn region_check_switching_endpoint_says_what_differs() {
    let report = scan_file("paths/region-endpoint.js");
    let text = fixture_text("paths/region-endpoint.js");
    let zone = finding_at(
        &report,
        "TT-REGION-001",
        "region-endpoint.js",
        &text,
        "Intl.DateTimeFormat()",
    );
    assert_eq!(zone.consequence, Some(Consequence::Gates), "{zone:#?}");
    let branch = zone.path.last().expect("a last step");
    assert_eq!(branch.role, "branch");
    assert!(
        branch
            .note
            .ends_with("if so `https://api.example.cn`, otherwise `https://api.example.com`"),
        "{branch:#?}"
    );
    assert_eq!(branch.function, "apiBase");
}

/// A value cached in a module variable (`if (!c) c = read(); return c`) and read elsewhere:
/// followed through the cache and the getter's callers to the request.
#[test]
fn cached_value_is_followed_to_the_request() {
    let report = scan_file("paths/cached.js");
    let text = fixture_text("paths/cached.js");
    let zone = finding_at(&report, "TT-REGION-001", "cached.js", &text, "Intl.DateTimeFormat()");
    assert_eq!(zone.consequence, Some(Consequence::Sent), "{zone:#?}");
    let notes: Vec<&str> = zone.path.iter().map(|s| s.note.as_str()).collect();
    assert!(notes.contains(&"assigned to `cachedZone`"), "{notes:?}");
    assert!(notes.contains(&"returned by `zone`"), "{notes:?}");
    assert!(notes.contains(&"put in an object under `zone`"), "{notes:?}");
    let sink = zone.path.last().expect("a sink");
    assert_eq!((sink.role.as_str(), sink.function.as_str()), ("sink", "report"));
    assert!(sink.note.contains("fetch"), "{sink:#?}");
}

/// Code hidden in strings (issue 10, item 4): a program in a string run by an evaluating
/// `Worker`, one run by `vm.runInNewContext`, one by `eval` in a function nothing calls, a
/// base64 program decoded into `new Function`, and a WebAssembly module in a base64 literal.
/// Each string becomes a file `runs.js!/string@OFFSET` analysed like any other, and its
/// findings run only if the site that runs the string does, with the path through that site.
#[test]
fn code_in_strings_is_analysed_as_files_linked_through_their_run_site() {
    let report = scan_file("strings/runs.js");
    let outer = fixture_text("strings/runs.js");
    // The program kept in `S`, named by where its literal starts.
    let literal = |needle: &str| -> (String, String) {
        let at = outer
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in fixture"));
        let end = at + 1 + outer[at + 1..].find('"').expect("closing quote");
        (format!("runs.js!/string@{at}"), outer[at + 1..end].to_string())
    };
    let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();

    let (worker, worker_text) = literal("\"const os=require('os');const https");
    assert!(paths.contains(&worker.as_str()), "{paths:?}");
    let host = finding_at(&report, "TT-ID-001", &worker, &worker_text, "os.hostname()");
    assert_eq!(host.consequence, Some(Consequence::Sent), "{host:#?}");
    assert_eq!(host.reachability.status, RunStatus::Reachable, "{host:#?}");
    assert!(
        host.message.contains("run by `new Worker(…, { eval: true })`"),
        "{}",
        host.message
    );
    let files: Vec<(&str, &str)> = host.path.iter().map(|s| (s.file.as_str(), s.role.as_str())).collect();
    assert_eq!(files.first(), Some(&("runs.js", "entry")), "{files:?}");
    let run = host
        .path
        .iter()
        .find(|s| s.file == "runs.js" && s.note.contains("as code"))
        .unwrap_or_else(|| panic!("no run step: {:#?}", host.path));
    assert_eq!(run.function, "T");
    assert_eq!(
        host.path.last().map(|s| (s.file.as_str(), s.role.as_str())),
        Some((worker.as_str(), "sink"))
    );

    let (context, context_text) = literal("\"var tz=");
    let zone = finding_at(
        &report,
        "TT-REGION-001",
        &context,
        &context_text,
        "Intl.DateTimeFormat()",
    );
    assert_eq!(zone.consequence, Some(Consequence::Gates), "{zone:#?}");
    assert!(zone.message.contains("run by `vm.runInNewContext`"), "{}", zone.message);

    let (evaluated, evaluated_text) = literal("\"const os=require('os');fetch");
    let mac = finding_at(
        &report,
        "TT-ID-003",
        &evaluated,
        &evaluated_text,
        "os.networkInterfaces()",
    );
    assert_eq!(mac.severity, Severity::Info, "{mac:#?}");
    assert_unreachable(mac, "the string is run only at runs.js:2, which never runs: in `G`");

    let beacon = report
        .findings
        .iter()
        .find(|f| {
            f.rule == "TT-REGION-001"
                && f.file.starts_with("runs.js!/string@")
                && f.consequence == Some(Consequence::Sent)
        })
        .unwrap_or_else(|| panic!("no time zone sent from the decoded program:\n{}", listing(&report)));
    assert!(
        beacon.message.contains("run by `new Function`, decoded (base64)"),
        "{}",
        beacon.message
    );
    let (decoded_literal, _) = literal("\"cmVxdWlyZS");
    assert_eq!(beacon.file, decoded_literal);

    let (wasm, _) = literal("\"AGFzbQ");
    let module = report
        .files
        .iter()
        .find(|f| f.path == wasm)
        .expect("the WebAssembly module is a file");
    assert_eq!(module.kind, FileKind::Wasm);
    let endpoint = report
        .findings
        .iter()
        .find(|f| f.rule == "TT-TEL-001" && f.file == format!("{wasm}!/strings.js"))
        .unwrap_or_else(|| panic!("no endpoint from the module's strings:\n{}", listing(&report)));
    assert!(
        endpoint.snippet.contains("telemetry.example-metrics.io"),
        "{endpoint:#?}"
    );
    assert_eq!(endpoint.reachability.status, RunStatus::Unknown, "{endpoint:#?}");
}

/// A value passed to one of the package's functions goes where its parameter goes: the user
/// name handed to a reporting helper is sent; the host name handed to a function that only logs
/// its length is not claimed to be (inside a function only a real sink counts, never an object
/// that merely holds the value).
#[test]
fn a_parameter_is_followed_into_the_function_to_its_sink() {
    let report = scan_file("paths/parameter.js");
    let text = fixture_text("paths/parameter.js");
    let user = finding_at(&report, "TT-ID-002", "parameter.js", &text, "o.userInfo().username");
    assert_eq!(user.consequence, Some(Consequence::Sent), "{user:#?}");
    let notes: Vec<&str> = user.path.iter().map(|s| s.note.as_str()).collect();
    assert!(notes.contains(&"passed to `q` as `B`"), "{notes:?}");
    assert!(notes.contains(&"put in an object under `body`"), "{notes:?}");
    assert!(notes.last().is_some_and(|n| n.contains("fetch")), "{notes:?}");
    let host = finding_at(&report, "TT-ID-001", "parameter.js", &text, "o.hostname()");
    assert_ne!(host.consequence, Some(Consequence::Sent), "{host:#?}");
}

/// A random id made once, saved under the home directory and sent with every event (issue 10,
/// item 5): whatever the minifier called it, saving it makes it a device id, and the path says
/// where it is saved and where it goes.
#[test]
fn a_persisted_random_id_is_followed_to_the_request() {
    let report = scan_file("paths/persisted-id.js");
    let text = fixture_text("paths/persisted-id.js");
    let id = finding_at(&report, "TT-ID-006", "persisted-id.js", &text, "C.randomBytes(32)");
    assert_eq!(id.category, Category::Identity);
    assert_eq!(id.consequence, Some(Consequence::Sent), "{id:#?}");
    assert_eq!(id.reachability.status, RunStatus::Reachable, "{id:#?}");
    let notes: Vec<(&str, &str)> = id.path.iter().map(|s| (s.role.as_str(), s.note.as_str())).collect();
    assert!(
        notes.contains(&("use", "saved on the machine by `fs.writeFileSync(…)`")),
        "{notes:?}"
    );
    assert!(notes.contains(&("flow", "returned by `R`")), "{notes:?}");
    assert_eq!(notes.last().map(|n| n.0), Some("sink"), "{notes:?}");
    assert!(notes.last().is_some_and(|n| n.1.contains("fetch")), "{notes:?}");
}

/// A crash handler that reports without the check the main path has (issue 10, item 2): the
/// main error path returns early on `DISABLE_ERROR_REPORTING` inside a `try`, while a React
/// error boundary calls the same reporter directly. The boundary's call is a finding of its own
/// with the path down to the send and no switch on it, and the reporter's e-mail send is not
/// stopped by the switch because the boundary runs it anyway.
#[test]
fn an_error_boundary_reports_past_the_opt_out() {
    let report = scan_file("handlers/boundary.js");
    let text = fixture_text("handlers/boundary.js");
    let boundary = finding_at(&report, "TT-TEL-013", "boundary.js", &text, "r(A)}render");
    assert_eq!(boundary.consequence, Some(Consequence::Sent), "{boundary:#?}");
    assert_eq!(boundary.reachability.status, RunStatus::Reachable, "{boundary:#?}");
    assert!(boundary.guards.is_empty(), "{:#?}", boundary.guards);
    assert!(
        boundary.message.contains("@sentry/node.captureException"),
        "{}",
        boundary.message
    );
    let notes: Vec<(&str, &str)> = boundary
        .path
        .iter()
        .map(|s| (s.role.as_str(), s.note.as_str()))
        .collect();
    assert!(
        notes.contains(&("detection", "the error handler `componentDidCatch`")),
        "{notes:?}"
    );
    assert!(notes.contains(&("flow", "passed to `r`")), "{notes:?}");
    assert_eq!(notes.last().map(|n| n.0), Some("sink"), "{notes:?}");

    let email = finding_at(&report, "TT-ID-007", "boundary.js", &text, "email:");
    assert_eq!(switches_of(email), vec![("DISABLE_ERROR_REPORTING", "env", false)]);
}

/// esbuild chunks wrap CommonJS modules and export only `default`. A loader that asks a chunk
/// for `getMachineId` gets `undefined`: the machine id is never read, though the name is read
/// elsewhere. A loader that takes `default` and calls `getHostId` on it does run the host id.
#[test]
fn chunk_exports_reach_other_files_only_through_what_the_chunk_exports() {
    let report = scan_package("esm-chunks");
    let text = fixture_text("esm-chunks/machine-id.js");
    let machine = finding_at(
        &report,
        "TT-ID-004",
        "package/machine-id.js",
        &text,
        "\"/etc/machine-id\"",
    );
    assert_eq!(machine.severity, Severity::Info, "{machine:#?}");
    assert_unreachable(machine, "the export `getMachineId`, which nothing in the package reads");

    let text = fixture_text("esm-chunks/host-id.js");
    let host = finding_at(&report, "TT-ID-001", "package/host-id.js", &text, "hostname()");
    assert_eq!(host.reachability.status, RunStatus::Reachable, "{host:#?}");
    assert_eq!(host.severity, Severity::Medium);
}

/// Telemetry the vendor's server switches on: the upload runs only while a feature gate
/// fetched at start is on. The finding is server-controlled, and the gate is no opt-out.
#[test]
fn a_feature_gate_makes_a_send_server_controlled() {
    let report = scan_file("guards/server.js");
    let text = fixture_text("guards/server.js");
    let host = finding_at(&report, "TT-ID-001", "server.js", &text, "os.hostname()");
    assert_eq!(host.consequence, Some(Consequence::Sent));
    let guards = switches_of(host);
    assert_eq!(
        guards,
        [("checkGate(\"upload_diagnostics\")", "server", true)],
        "{host:#?}"
    );
    assert!(
        report.opt_outs.iter().all(|o| o.kind != "server"),
        "{:#?}",
        report.opt_outs
    );
}

// --- consequences ------------------------------------------------------------------------------

/// The same time-zone read, three fates: shown to the user (local, low), compared with a region
/// (gates), posted (sent).
#[test]
fn timezone_consequences_local_gates_sent() {
    let report = scan_file("timezone/index.js");
    let text = fixture_text("timezone/index.js");
    let file = "index.js";
    let read = "Intl.DateTimeFormat().resolvedOptions().timeZone";
    let reads: Vec<&Finding> = report.findings.iter().filter(|f| f.rule == "TT-REGION-001").collect();
    assert_eq!(reads.len(), 3, "{}", listing(&report));

    let shown = finding_at(&report, "TT-REGION-001", file, &text, read);
    assert_eq!((shown.line, shown.column), (2, 16));
    assert_finding(shown, Category::Region, Some(Consequence::Local), Severity::Low, read);

    let tested = reads.iter().find(|f| f.line == 7).expect("the read on line 7");
    assert_finding(
        tested,
        Category::Region,
        Some(Consequence::Gates),
        Severity::Medium,
        read,
    );
    let compare = finding_at(&report, "TT-REGION-006", file, &text, r#"tz === "Asia/Shanghai""#);
    assert_finding(
        compare,
        Category::Region,
        Some(Consequence::Gates),
        Severity::High,
        r#"if (tz === "Asia/Shanghai") {"#,
    );
    assert!(compare.message.contains("Asia/Shanghai"), "{}", compare.message);

    let posted = reads.iter().find(|f| f.line == 14).expect("the read on line 14");
    assert_finding(
        posted,
        Category::Region,
        Some(Consequence::Sent),
        Severity::Medium,
        read,
    );
    assert!(posted.message.contains("timeZone"), "{}", posted.message);
}

// --- install scripts ---------------------------------------------------------------------------

#[test]
fn tgz_postinstall_script_is_an_install_finding() {
    let manifest = r#"{
  "name": "installs-things",
  "version": "4.5.6",
  "scripts": {
    "test": "node test.js",
    "postinstall": "node scripts/setup.js"
  }
}
"#;
    let files = [
        ("package.json".to_string(), manifest.as_bytes().to_vec()),
        ("scripts/setup.js".to_string(), b"console.log('set up');\n".to_vec()),
    ];
    let tgz = npm_tarball(&files);
    let report = scan_bytes("installs-things-4.5.6.tgz", &tgz, &ScanOptions::default());
    assert_eq!(report.package.format, Format::Npm);
    assert_eq!(report.package.name.as_deref(), Some("installs-things"));
    assert_eq!(report.package.version.as_deref(), Some("4.5.6"));
    assert!(report.errors.is_empty(), "{:?}", report.errors);

    let install = finding_at(
        &report,
        "TT-INSTALL-001",
        "package/package.json",
        manifest,
        r#""postinstall""#,
    );
    assert_finding(
        install,
        Category::Install,
        None,
        Severity::Low,
        r#""postinstall": "node scripts/setup.js""#,
    );
    assert!(install.message.contains("node scripts/setup.js"), "{}", install.message);
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.category == Category::Install)
            .count(),
        1,
        "`test` is not an install script: {}",
        listing(&report)
    );
}

// --- fingerprints ------------------------------------------------------------------------------

#[test]
fn fingerprints_are_stable_across_runs_and_moves() {
    let fingerprints = |report: &Report| -> Vec<(String, String)> {
        report
            .findings
            .iter()
            .map(|f| (f.rule.clone(), f.fingerprint.clone()))
            .collect()
    };
    let first = scan_package("esbuild-esm");
    let second = scan_package("esbuild-esm");
    assert!(!first.findings.is_empty());
    assert_eq!(fingerprints(&first), fingerprints(&second));
    for f in &first.findings {
        assert_eq!(f.fingerprint.len(), 16, "{f:#?}");
        assert!(f.fingerprint.bytes().all(|b| b.is_ascii_hexdigit()), "{f:#?}");
    }

    // The same code two lines further down keeps its fingerprint.
    let text = fixture_text("liveness/index.js");
    let moved = format!("// moved\n\n{text}");
    let before = scan_bytes("index.js", text.as_bytes(), &ScanOptions::default());
    let after = scan_bytes("index.js", moved.as_bytes(), &ScanOptions::default());
    assert_eq!(fingerprints(&before), fingerprints(&after));
    for (b, a) in before.findings.iter().zip(&after.findings) {
        assert_eq!(a.line, b.line + 2);
    }
}

// --- snapshots ---------------------------------------------------------------------------------

/// What a snapshot keeps: the fields a reader checks, not spans, messages or paths.
fn snapshot_of(report: &Report) -> serde_json::Value {
    let findings: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "rule": f.rule,
                "category": f.category,
                "severity": f.severity,
                "consequence": f.consequence,
                "file": f.file,
                "line": f.line,
                "column": f.column,
                "snippet": f.snippet,
            })
        })
        .collect();
    serde_json::json!({
        "package": { "name": report.package.name, "version": report.package.version },
        "tool": report.tool,
        "timings_ms": report.stats.timings_ms,
        "errors": report.errors,
        "findings": findings,
    })
}

macro_rules! assert_report_snapshot {
    ($name:literal, $report:expr) => {
        insta::assert_json_snapshot!($name, snapshot_of(&$report), {
            ".tool.version" => "[version]",
            ".timings_ms.unpack" => "[ms]",
            ".timings_ms.analyse" => "[ms]",
            ".timings_ms.total" => "[ms]",
        });
    };
}

#[test]
fn snapshot_esbuild_esm() {
    assert_report_snapshot!("esbuild_esm", scan_package("esbuild-esm"));
}

#[test]
fn snapshot_esbuild_cjs() {
    assert_report_snapshot!("esbuild_cjs", scan_package("esbuild-cjs"));
}

#[test]
fn snapshot_timezone() {
    assert_report_snapshot!("timezone", scan_package("timezone"));
}

// --- faces of the report -----------------------------------------------------------------------

#[test]
fn sarif_export_is_valid_2_1_0() {
    for folder in ["esbuild-esm", "timezone", "syntax-error"] {
        let report = scan_package(folder);
        assert!(!report.findings.is_empty(), "{folder}");
        let sarif = telltale::sarif::to_sarif(&report, RuleSet::builtin());
        assert_eq!(sarif["version"], "2.1.0");
        assert!(sarif["$schema"].as_str().is_some_and(|s| s.contains("sarif-2.1.0")));
        let runs = sarif["runs"].as_array().expect("runs");
        assert_eq!(runs.len(), 1);
        let run = &runs[0];
        let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .expect("driver rules")
            .iter()
            .map(|r| r["id"].as_str().expect("rule id"))
            .collect();
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), report.findings.len());
        for (result, finding) in results.iter().zip(&report.findings) {
            let rule = result["ruleId"].as_str().expect("ruleId");
            assert!(
                rule_ids.contains(&rule),
                "{rule} is not among the driver's rules {rule_ids:?}"
            );
            let level = result["level"].as_str().expect("level");
            assert!(["none", "note", "warning", "error"].contains(&level), "{level}");
            let location = &result["locations"][0]["physicalLocation"];
            assert_eq!(location["artifactLocation"]["uri"], finding.file.as_str());
            let region = &location["region"];
            assert!(region["startLine"].as_u64().is_some_and(|l| l >= 1), "{region}");
            assert!(region["startColumn"].as_u64().is_some_and(|c| c >= 1), "{region}");
            assert_eq!(region["startLine"], finding.line);
            assert_eq!(region["startColumn"], finding.column);
            assert_eq!(
                result["partialFingerprints"]["telltale/v1"],
                finding.fingerprint.as_str()
            );
        }
        let notifications = run["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .expect("notifications");
        assert_eq!(notifications.len(), report.errors.len(), "{folder}");
    }
}

#[test]
fn malformed_user_rule_files_report_file_line_and_column() {
    let bad_value = r#"code = "USER-100"
name = "bad-severity"
category = "telemetry"
severity = "extreme"
title = "Anything"

[match]
call = ["x.y"]
"#;
    let bad_syntax = r#"code = "USER-101"
name = "bad-syntax"
category = "telemetry"
severity = "low"
title = "Anything"

[match]
call = ["x.y"
"#;
    let bad_regex = r#"code = "USER-102"
name = "bad-regex"
category = "region"
severity = "low"
title = "Anything"

[match]
text = "(unclosed"
"#;
    let errors = RuleSet::compile([
        ("my-rules/severity.toml".to_string(), bad_value.to_string()),
        ("my-rules/syntax.toml".to_string(), bad_syntax.to_string()),
        ("my-rules/regex.toml".to_string(), bad_regex.to_string()),
    ])
    .expect_err("broken rules do not compile");
    assert_eq!(errors.len(), 3, "every broken file is reported: {errors:#?}");

    let severity = &errors[0];
    assert_eq!(severity.origin, "my-rules/severity.toml");
    assert_eq!((severity.line, severity.column), (Some(4), Some(12)), "{severity:#?}");
    assert!(severity.message.contains("extreme"), "{}", severity.message);
    assert!(
        severity.to_string().starts_with("my-rules/severity.toml:4:12: "),
        "{severity}"
    );

    let syntax = &errors[1];
    assert_eq!(syntax.origin, "my-rules/syntax.toml");
    assert_eq!(syntax.line, Some(8), "{syntax:#?}");
    assert!(syntax.column.is_some_and(|c| c >= 1), "{syntax:#?}");

    let regex = &errors[2];
    assert_eq!(regex.origin, "my-rules/regex.toml");
    assert!(regex.message.contains("[match] text"), "{}", regex.message);
}

#[test]
fn report_schema_document_is_up_to_date() {
    let schema = schemars::schema_for!(telltale::report::Report);
    let expected = serde_json::to_string_pretty(&schema).expect("schema serialises") + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let on_disk = std::fs::read_to_string(&path).expect("read docs/report.schema.json");
    assert!(
        on_disk == expected,
        "docs/report.schema.json is stale: run `telltale schema > docs/report.schema.json`"
    );
}
