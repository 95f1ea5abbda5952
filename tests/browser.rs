//! The page, end to end, in headless Chromium: it starts cleanly, reads a package dropped on it
//! through its file input, shows what it found as text (verdict, findings with filters, source
//! with the span marked, code paths, the file tree), runs the person's own rules, exports the
//! report, survives a broken archive, makes no network request, and works with the network off,
//! served (once loaded) and as the single file `telltale.html` opened from disk.
//!
//! Every test is `#[ignore]`d: it needs a built page and a Chromium. `cargo xtask test` builds
//! both and runs them; by hand:
//!
//! ```text
//! cargo xtask dist
//! TELLTALE_DIST=dist cargo test --test browser -- --ignored --test-threads=1
//! ```
//!
//! Chromium is driven over the DevTools protocol (`headless_chrome`), so no ChromeDriver is
//! needed; `dist/` is served from a thread of the test on a free localhost port. Packages are
//! built in code, so a test shows exactly which bytes it hands to the page.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Emulation, Log, Network, Page, Runtime, Target};
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde::de::DeserializeOwned;

/// How long the page may take to start or to read a package before a test gives up.
const PATIENCE: Duration = Duration::from_secs(30);

/// The member whose name is markup; the page must show it as text.
const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>.js";

/// Chromium started on the page's `index.html` from `dist/` served over HTTP.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn page_loads_with_the_drop_zone_and_no_errors() {
    let server = StaticServer::start();
    let page = PageSession::open(&server.url("index.html"));

    let drop_zone = page.text(".drop-zone");
    assert!(
        drop_zone.contains("Drop a package to inspect it"),
        "drop zone reads: {drop_zone}"
    );
    assert!(drop_zone.contains("Choose files"), "drop zone reads: {drop_zone}");
    assert!(page.eval::<bool>("document.getElementById('file-input') !== null"));
    assert!(page.eval::<bool>("document.getElementById('folder-input') !== null"));
    assert!(
        !page.eval::<bool>("document.getElementById('boot-status') !== null"),
        "the boot message is still showing"
    );
    page.assert_quiet();
}

/// A small npm package with a nested zip, picked through the file input as a person would.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn uploaded_package_shows_its_files_with_nested_archive_members() {
    let server = StaticServer::start();
    let page = PageSession::open(&server.url("index.html"));
    let package = write_fixture("demo-1.0.0.tgz", &npm_package(&[]));

    page.pick_file(&package);
    page.wait_for_report();

    let tabs = page.text(".package-tabs");
    assert!(tabs.contains("demo-1.0.0.tgz"), "package tabs read: {tabs}");
    assert!(tabs.contains("5 files"), "package tabs read: {tabs}");
    let rows = page.file_rows();
    let expected = [
        ["package/cli.js", "javascript", "49 B"],
        ["package/inner.zip", "archive (zip)", ""],
        ["package/inner.zip!/docs/readme.txt", "text", "18 B"],
        ["package/lib/x.js", "javascript", "50 B"],
        ["package/package.json", "json", "75 B"],
    ];
    for [path, kind, size] in expected {
        let Some(row) = rows.iter().find(|row| row[0] == path) else {
            panic!("no row for {path} in {rows:?}");
        };
        assert_eq!(row[1], kind, "kind of {path}");
        if !size.is_empty() {
            assert_eq!(row[2], size, "size of {path}");
        }
    }
    let zip = rows
        .iter()
        .find(|row| row[0] == "package/inner.zip")
        .expect("checked above");
    assert!(zip[2].ends_with(" B"), "size of the nested zip: {zip:?}");
    assert!(
        !page.eval::<bool>("document.querySelector('.errors, .failure') !== null"),
        "{}",
        page.text("main")
    );

    let screenshot = page.screenshot("files");
    eprintln!("screenshot: {}", screenshot.display());
    page.assert_quiet();
}

/// A damaged archive is reported in words, and the page goes on to read the next one.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn corrupt_archive_shows_a_readable_error_and_the_page_stays_usable() {
    let server = StaticServer::start();
    let page = PageSession::open(&server.url("index.html"));
    // A gzip header, then bytes that are no deflate stream.
    let mut corrupt = vec![0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff];
    corrupt.extend(b"this is not deflate data, just some words ".repeat(8));
    let corrupt = write_fixture("broken-2.0.0.tgz", &corrupt);

    page.pick_file(&corrupt);
    page.wait_until(
        "document.querySelector('.errors, .failure') !== null",
        "the corrupt archive's error",
    );
    let problem = page.text(".errors, .failure");
    assert!(
        problem.contains("broken-2.0.0.tgz"),
        "the error names the file: {problem}"
    );
    assert!(
        problem.contains("Problems reading the package"),
        "the error reads: {problem}"
    );
    for debug_noise in ["JsValue", "panicked", "Error {", "unreachable"] {
        assert!(!problem.contains(debug_noise), "the error is not for people: {problem}");
    }

    let good = write_fixture("demo-1.0.0.tgz", &npm_package(&[]));
    page.pick_file(&good);
    page.wait_until(
        "[...document.querySelectorAll('.package-tab')].some(t => t.innerText.includes('demo-1.0.0.tgz') && t.innerText.includes('5 files'))",
        "the second package to be read",
    );
    page.eval::<bool>(
        "(() => { [...document.querySelectorAll('.package-tab')].find(t => t.innerText.includes('demo-1.0.0.tgz')).click(); return true })()",
    );
    page.wait_for_report();
    assert!(
        page.file_rows().iter().any(|row| row[0] == "package/cli.js"),
        "the second package's files"
    );
    assert!(
        !page.eval::<bool>("document.querySelector('.errors, .failure') !== null"),
        "{}",
        page.text("main")
    );
    page.assert_quiet();
}

/// Names inside a package are data from a stranger: they must reach the screen as text.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn member_names_are_shown_as_text_never_as_markup() {
    let server = StaticServer::start();
    let page = PageSession::open(&server.url("index.html"));
    // The archive's own name is markup too: it is shown in the package tab.
    let package = write_fixture(
        "<img src=y onerror=alert(2)>.tgz",
        &npm_package(&[(HOSTILE_NAME, b"1\n")]),
    );

    page.pick_file(&package);
    page.wait_for_report();

    let hostile_path = format!("package/{HOSTILE_NAME}");
    let rows = page.file_rows();
    assert!(
        rows.iter().any(|row| row[0] == hostile_path),
        "no row reads {hostile_path} literally: {rows:?}"
    );
    let tabs = page.text(".package-tabs");
    assert!(
        tabs.contains("<img src=y onerror=alert(2)>.tgz"),
        "package tabs read: {tabs}"
    );
    assert_eq!(
        page.eval::<u32>("document.querySelectorAll('img').length"),
        0,
        "an <img> element was made"
    );
    assert_eq!(page.eval::<u32>("document.querySelectorAll('[onerror]').length"), 0);
    page.assert_quiet();
}

/// The page never talks to the network: reading a package to its full report, nothing it or
/// its workers load reaches past the page's own files, and its Content-Security-Policy stops a
/// request that tries.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn page_makes_no_network_requests_and_its_policy_forbids_them() {
    let server = StaticServer::start();
    let page = PageSession::open(&server.url("index.html"));
    page.pick_file(&write_fixture("tz-demo-1.0.0.tgz", &telemetry_package()));
    page.wait_for_report();
    page.assert_telemetry_report();

    let origin = server.origin();
    let Observed { requests, workers, .. } = page.observed();
    assert!(
        requests.iter().any(|url| url.ends_with("/telltale_wasm.js")),
        "requests were not recorded: {requests:?}"
    );
    // The engine's workers report their requests on sessions of their own: proof they were
    // watched too.
    assert!(workers > 0, "no worker was watched: {requests:?}");
    for url in &requests {
        let local = url.starts_with(&format!("{origin}/")) || url.starts_with("data:") || url.starts_with("blob:");
        assert!(local, "the page requested {url}; all requests: {requests:?}");
    }
    for path in server.requested() {
        assert!(
            ["/", "/index.html"].contains(&path.as_str()) || HOSTED_FILES.contains(&path.trim_start_matches('/')),
            "the server was asked for {path}"
        );
    }

    page.assert_quiet();
    assert_strict_policy(&page.policy(), Build::Hosted);

    // From the page, and from a worker made the way the engine's workers are (a Blob URL,
    // which inherits the page's policy).
    let probe: serde_json::Value = page.eval_async(
        r#"(async () => {
            const violations = [];
            document.addEventListener("securitypolicyviolation", (e) => violations.push(e.effectiveDirective));
            let page;
            try { await fetch("https://example.com/"); page = "resolved"; } catch (e) { page = "rejected: " + e; }
            const source = `fetch("https://example.com/").then(() => postMessage("resolved"), (e) => postMessage("rejected: " + e));`;
            const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
            const fromWorker = await new Promise((resolve) => {
                worker.onmessage = (e) => resolve(e.data);
                worker.onerror = (e) => resolve("worker error: " + e.message);
                setTimeout(() => resolve("no answer"), 5000);
            });
            worker.terminate();
            await new Promise((resolve) => setTimeout(resolve, 100));
            return { page, worker: fromWorker, violations };
        })()"#,
    );
    assert!(
        probe["page"].as_str().is_some_and(|s| s.starts_with("rejected")),
        "page fetch: {probe}"
    );
    assert!(
        probe["worker"].as_str().is_some_and(|s| s.starts_with("rejected")),
        "worker fetch: {probe}"
    );
    let violations = probe["violations"].as_array().cloned().unwrap_or_default();
    assert!(
        violations.iter().any(|v| v == "connect-src"),
        "the page's fetch was not stopped by connect-src: {probe}"
    );
    let refused = page.observed().problems;
    for context in ["Security", "Worker"] {
        assert!(
            refused
                .iter()
                .any(|p| p.starts_with(context) && p.contains("connect-src") && p.contains("example.com")),
            "Chromium did not report the blocked request ({context}): {refused:?}"
        );
    }
}

/// The served page goes on working when the network goes away after it loaded (the intranet
/// host gone, the cable pulled): a large package cancelled (its engines stopped), then two
/// packages read at once by engines that start with the network off, both get their full
/// reports, and nothing is asked of anyone.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn served_page_reads_packages_with_the_network_off() {
    let server = StaticServer::start();
    // Two engine workers whatever machine runs the test, started with the page; the ones a
    // cancelled package stops are replaced, after the network is gone.
    let page = PageSession::launch(
        &server.url("index.html"),
        Setup {
            cores: Some(2),
            ..Setup::default()
        },
    );
    let served = server.requested().len();
    page.go_offline();

    // The network is off for the page and for workers: the page's own files no longer load.
    let probe: serde_json::Value = page.eval_async(
        r#"(async () => {
            const style = await new Promise((resolve) => {
                const link = document.createElement("link");
                link.rel = "stylesheet";
                link.href = "style.css?offline-probe";
                link.onload = () => resolve("loaded");
                link.onerror = () => resolve("failed");
                document.head.append(link);
            });
            const glue = JSON.stringify(new URL("telltale.js?offline-probe", document.baseURI).href);
            const source = `try { importScripts(${glue}); postMessage("loaded"); } catch (e) { postMessage("failed: " + e); }`;
            const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
            const fromWorker = await new Promise((resolve) => {
                worker.onmessage = (e) => resolve(e.data);
                worker.onerror = (e) => resolve("worker error: " + e.message);
                setTimeout(() => resolve("no answer"), 5000);
            });
            worker.terminate();
            return { online: navigator.onLine, style, worker: fromWorker };
        })()"#,
    );
    assert_eq!(probe["online"], false, "{probe}");
    assert_eq!(probe["style"], "failed", "{probe}");
    assert!(
        probe["worker"].as_str().is_some_and(|s| s.starts_with("failed")),
        "{probe}"
    );
    assert_eq!(
        server.requested().len(),
        served,
        "the server was reached with the network off: {:?}",
        server.requested()
    );
    let offline = page.observed();
    assert!(
        offline.problems.iter().any(|p| p.contains("ERR_INTERNET_DISCONNECTED")),
        "the probe did not fail for want of a network: {:?}",
        offline.problems
    );

    let large = write_fixture("large-1.0.0.tgz", &large_package());
    page.pick_file(&large);
    page.wait_until(
        "document.querySelector('.package-tab .cancel') !== null",
        "the large package to be read",
    );
    page.click(".package-tab .cancel");
    page.wait_until(
        "document.querySelector('.package-tab.failed') !== null",
        "the large package to be cancelled",
    );

    let packages = ["tz-demo-1.0.0.tgz", "tz-demo-2.0.0.tgz"];
    let files: Vec<PathBuf> = packages
        .iter()
        .map(|name| write_fixture(name, &telemetry_package()))
        .collect();
    page.pick_files(&files);
    for name in packages {
        page.open_package(name);
        page.assert_telemetry_report();
    }

    let observed = page.observed();
    assert!(
        observed.workers_started_offline > offline.workers_started_offline,
        "no engine worker started with the network off: {observed:?}"
    );
    let since_offline = &observed.requests[offline.requests.len()..];
    for url in since_offline {
        assert!(
            url.starts_with("blob:") || url.starts_with("data:"),
            "requested {url} with the network off; since then: {since_offline:?}"
        );
    }
    assert_eq!(server.requested().len(), served, "{:?}", server.requested());
    let problems = &observed.problems[offline.problems.len()..];
    assert!(problems.is_empty(), "Chromium reported problems: {problems:#?}");
    assert!(observed.dialogs.is_empty(), "dialogs opened: {:?}", observed.dialogs);
}

/// `dist/telltale.html` is the whole page in one file, for use with no server and no
/// network: opened from disk with Chromium's network off from the start, it reads two packages
/// at once to their full reports and asks for nothing but itself.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn single_file_page_works_from_file_url_with_the_network_off() {
    let single = dist_dir().join("telltale.html");
    assert!(
        single.is_file(),
        "{} is missing; run cargo xtask dist",
        single.display()
    );
    let url = format!(
        "file://{}",
        single.canonicalize().expect("dist/telltale.html").display()
    );
    let page = PageSession::launch(
        &url,
        Setup {
            offline: true,
            cores: Some(2),
        },
    );
    assert!(
        page.eval::<bool>("navigator.onLine === false"),
        "the network is not off"
    );

    assert!(page.text(".drop-zone").contains("Drop a package to inspect it"));
    let demo = write_fixture("demo-1.0.0.tgz", &npm_package(&[]));
    let telemetry = write_fixture("tz-demo-1.0.0.tgz", &telemetry_package());
    page.pick_files(&[demo, telemetry]);
    page.open_package("tz-demo-1.0.0.tgz");
    page.assert_telemetry_report();
    page.open_package("demo-1.0.0.tgz");
    let rows = page.file_rows();
    assert!(
        rows.iter().any(|row| row[0] == "package/inner.zip!/docs/readme.txt"),
        "rows: {rows:?}"
    );
    assert!(
        rows.iter()
            .any(|row| row[0] == "package/cli.js" && row[1] == "javascript"),
        "rows: {rows:?}"
    );
    page.assert_quiet();
    assert_strict_policy(&page.policy(), Build::SingleFile);

    let Observed {
        requests,
        workers_started_offline,
        ..
    } = page.observed();
    assert!(requests.contains(&url), "requests were not recorded: {requests:?}");
    assert!(
        workers_started_offline >= 2,
        "{workers_started_offline} workers watched"
    );
    for request in &requests {
        let local = request.starts_with("file://") || request.starts_with("data:") || request.starts_with("blob:");
        assert!(local, "the single file requested {request}; all requests: {requests:?}");
    }
}

/// A package that phones home: the overview says so, the findings can be filtered, and a
/// finding opens on its source with the span marked, minified code included.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn findings_are_summed_up_filtered_and_open_on_their_source() {
    let server = StaticServer::start();
    let page = PageSession::open(&server.url("index.html"));
    page.pick_file(&write_fixture("tz-demo-1.0.0.tgz", &telemetry_package()));
    page.wait_for_report();

    let headline = page.text(".verdict-headline");
    assert!(headline.contains("Phones home"), "verdict: {headline}");
    assert!(
        page.text(".identity-table").contains("host name"),
        "{}",
        page.text(".overview")
    );
    assert!(
        page.text(".region-table").contains("time zone"),
        "{}",
        page.text(".overview")
    );
    assert!(
        page.text(".switches").contains("DO_NOT_TRACK"),
        "{}",
        page.text(".switches")
    );
    let endpoints = page.text(".endpoint-table");
    assert!(endpoints.contains("telemetry.example.com"), "endpoints: {endpoints}");
    let footer = page.text(".status-bar");
    assert!(
        footer.contains("Offline only") && footer.contains("rule pack"),
        "footer: {footer}"
    );
    page.screenshot("overview");

    // The opt-out audit: DO_NOT_TRACK stops the CLI's report, not the bundle's send; the send
    // that still leaves opens as a finding.
    let switches = page.text(".switches");
    assert!(switches.contains("still leave"), "switches: {switches}");
    assert!(
        page.text(".still-sent").contains("package/dist/bundle.min.js"),
        "{switches}"
    );
    page.click(".still-sent button");
    page.wait_until(
        "document.querySelectorAll('.finding').length >= 1 && [...document.querySelectorAll('.finding-place')].every(p => p.textContent.includes('bundle.min.js'))",
        "the send that the switch does not stop",
    );

    page.show("findings");
    page.click(".reset-filters");
    page.wait_until("document.querySelector('.reset-filters') === null", "the filters reset");
    let rules = page.finding_rules();
    for rule in ["TT-REGION-001", "TT-ID-001", "TT-TEL-006"] {
        assert!(rules.iter().any(|r| r == rule), "no {rule} among {rules:?}");
    }

    page.set_value("#filter-category", "region");
    page.wait_until(
        "[...document.querySelectorAll('.finding')].every(f => f.dataset.rule.startsWith('TT-REGION'))",
        "only region findings",
    );
    assert!(!page.finding_rules().is_empty());
    page.set_value("#filter-category", "identity");
    page.set_value("#filter-file", "package/dist/bundle.min.js");
    page.set_value("#finding-search", "hostname");
    page.wait_until(
        "document.querySelectorAll('.finding').length === 1",
        "one finding in the bundle",
    );
    assert!(page.text(".finding-place").contains("package/dist/bundle.min.js"));

    // Minified: a window around the span, broken into lines, the span marked.
    page.click(".finding-row");
    page.wait_until(
        "document.querySelector('.source-view .span-mark') !== null",
        "the marked source",
    );
    assert!(page.eval::<bool>("document.querySelector('.reformat-note') !== null"));
    let marked = page.text(".span-mark");
    assert!(marked.contains("hostname"), "marked: {marked}");
    let lines = page.eval::<u32>("document.querySelectorAll('.code-line').length");
    assert!((3..1000).contains(&lines), "{lines} lines shown");
    assert!(
        page.text(".finding-detail").contains("the value is sent"),
        "{}",
        page.text(".finding-detail")
    );
    page.screenshot("source-minified");

    // Plain code: the file's own lines, the time zone read marked on its line.
    page.set_value("#finding-search", "");
    page.set_value("#filter-file", "");
    page.set_value("#filter-category", "region");
    page.wait_until(
        "document.querySelectorAll('.finding').length === 1",
        "the time zone finding",
    );
    page.click(".finding-row");
    page.wait_until(
        "(document.querySelector('.span-mark') || {}).textContent === 'Intl.DateTimeFormat().resolvedOptions().timeZone'",
        "the time zone read marked",
    );
    assert!(!page.eval::<bool>("document.querySelector('.reformat-note') !== null"));
    let gutter = page.eval::<String>(
        "document.querySelector('.span-mark').closest('.code-line').querySelector('.gutter').textContent",
    );
    assert_eq!(gutter, "7");

    // The engine's code path as a graph, the opt-out switch that guards it, a node opening
    // its step's source.
    page.wait_until(
        "document.querySelectorAll('svg.graph .node').length >= 2",
        "the code path graph",
    );
    assert!(page.eval::<bool>("document.querySelector('svg.graph .node').classList.contains('role-entry')"));
    let guards = page.text(".guards");
    assert!(
        guards.contains("DO_NOT_TRACK") && guards.contains("stops this"),
        "guards: {guards}"
    );
    page.click("svg.graph .node.role-sink");
    page.wait_until(
        "(document.querySelector('.source-title') || {}).innerText.includes('sink:')",
        "the sink step's source",
    );

    // Keyboard: arrows move between rows, Enter opens one, `/` finds the search box.
    page.click(".reset-filters");
    page.wait_until("document.querySelectorAll('.finding-row').length > 3", "all findings");
    page.eval::<bool>("(document.querySelector('.finding-row').focus(), true)");
    page.tab.press_key("ArrowDown").expect("a key press");
    assert!(page.eval::<bool>("document.activeElement === document.querySelectorAll('.finding-row')[1]"));
    page.tab.press_key("Enter").expect("a key press");
    page.wait_until(
        "document.querySelectorAll('.finding-row')[1].getAttribute('aria-expanded') === 'true'",
        "the row opened by Enter",
    );
    page.eval::<bool>("(document.activeElement.blur(), true)");
    page.tab.press_key("/").expect("a key press");
    page.wait_until(
        "document.activeElement && document.activeElement.id === 'finding-search'",
        "the search box focused",
    );
    page.screenshot("findings");
    page.assert_quiet();
}

/// A finding in code kept in a string (`lib/runs.js!/string@N`) opens on that code, read back
/// from the literal, not on the outer file.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn a_finding_in_code_kept_in_a_string_opens_on_that_code() {
    let server = StaticServer::start();
    let page = PageSession::open(&server.url("index.html"));
    let runs =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/strings/runs.js")).expect("fixture");
    page.pick_file(&write_fixture(
        "strings-1.0.0.tgz",
        &npm_package(&[("lib/runs.js", &runs)]),
    ));
    page.wait_for_report();
    page.show("findings");
    page.set_value("#finding-search", "new Worker");
    page.wait_until(
        "[...document.querySelectorAll('.finding .finding-place')].some(p => p.textContent.includes('!/string@'))",
        "a finding in a string",
    );
    page.click(".finding-row");
    page.wait_until("document.querySelector('.source-view .code') !== null", "the source");
    let code = page.text(".source-view .code");
    // The string's own code, unescaped, not the outer file around the literal.
    assert!(code.contains("const os=require('os')"), "code reads: {code}");
    assert!(!code.contains("new W.Worker"), "code reads: {code}");
    assert!(page.text(".source-title").contains("lib/runs.js!/string@"));
    page.screenshot("string-file-source");
    page.assert_quiet();
}

/// Names and code from the package are data from a stranger, in every view.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn hostile_names_and_code_stay_text_in_findings_and_source() {
    let server = StaticServer::start();
    let page = PageSession::open(&server.url("index.html"));
    page.pick_file(&write_fixture("tz-demo-1.0.0.tgz", &telemetry_package()));
    page.wait_for_report();
    page.show("findings");
    page.set_value("#finding-search", "onerror");
    page.wait_until(
        "document.querySelectorAll('.finding').length > 0",
        "the finding in the markup-named file",
    );
    let place = page.text(".finding-place");
    assert!(
        place.contains(&format!("package/{HOSTILE_NAME}")),
        "place reads: {place}"
    );
    page.click(".finding-row");
    page.wait_until("document.querySelector('.source-view .code') !== null", "the source");
    let code = page.text(".source-view .code");
    assert!(code.contains("<img src=x onerror=alert(3)>"), "code reads: {code}");
    // A direction override in the code is spelled out, not obeyed.
    assert!(
        code.contains("⟨U+202E⟩") && !code.contains('\u{202E}'),
        "code reads: {code}"
    );
    assert!(page.text(".source-title").contains(HOSTILE_NAME));
    assert_eq!(
        page.eval::<u32>("document.querySelectorAll('img').length"),
        0,
        "an <img> was made"
    );
    assert_eq!(page.eval::<u32>("document.querySelectorAll('[onerror]').length"), 0);
    page.assert_quiet();
}

/// JSON, SARIF and HTML are made in the page as Blobs: nothing is sent anywhere.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn exports_are_made_in_the_page() {
    let server = StaticServer::start();
    let page = PageSession::open(&server.url("index.html"));
    page.pick_file(&write_fixture("tz-demo-1.0.0.tgz", &telemetry_package()));
    page.wait_for_report();
    let findings = page.eval::<u32>("document.querySelectorAll('.finding').length");
    assert_eq!(findings, 0, "the overview shows no finding rows");
    page.eval::<bool>(
        "(() => { window.madeBlobs = []; const make = URL.createObjectURL; \
          URL.createObjectURL = (blob) => { window.madeBlobs.push(blob); return make(blob); }; return true })()",
    );
    for button in ["#export-json", "#export-sarif", "#export-html"] {
        page.click(button);
    }
    let made: Vec<(String, String)> =
        page.eval_async("Promise.all(window.madeBlobs.map(async (b) => [b.type, await b.text()]))");
    assert_eq!(made.len(), 3, "{made:?}");
    let json: serde_json::Value = serde_json::from_str(&made[0].1).expect("the JSON export parses");
    assert_eq!(made[0].0, "application/json");
    assert!(json["findings"].as_array().is_some_and(|f| f.len() > 5), "{json}");
    let sarif: serde_json::Value = serde_json::from_str(&made[1].1).expect("the SARIF export parses");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        json["findings"].as_array().map(Vec::len)
    );
    let html = &made[2].1;
    assert_eq!(made[2].0, "text/html");
    assert!(html.contains("Phones home"), "{html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;.js"),
        "the hostile name is escaped"
    );
    assert!(
        !html.contains("<img") && !html.contains("<script"),
        "the HTML report carries markup from the package"
    );
    for request in page.observed().requests {
        assert!(
            request.starts_with(&server.origin()) || request.starts_with("blob:") || request.starts_with("data:"),
            "the page requested {request}"
        );
    }
    page.assert_quiet();
}

/// The person's own rule files: a broken one is named with its line and column; a good one
/// runs on the package, scanned again.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn custom_rules_compile_with_errors_in_place_and_rescan() {
    let server = StaticServer::start();
    let page = PageSession::open(&server.url("index.html"));
    page.pick_file(&write_fixture("tz-demo-1.0.0.tgz", &telemetry_package()));
    page.wait_for_report();
    page.show("rules");

    let broken = write_fixture("broken-rule.toml", b"code = \"MY-1\"\nname = 3\n");
    page.pick_rules(&broken);
    page.wait_until("document.querySelector('.rule-errors') !== null", "the rule error");
    let errors = page.text(".rule-errors");
    assert!(errors.contains("broken-rule.toml:2:8"), "errors read: {errors}");

    let good = write_fixture(
        "any-fetch.toml",
        b"code = \"MY-FETCH-001\"\nname = \"any-fetch\"\ncategory = \"network\"\nseverity = \"high\"\n\
          title = \"Calls fetch\"\n[match]\ncall = [\"fetch\"]\n",
    );
    let before = page.text("#tab-findings");
    page.pick_rules(&good);
    page.wait_until(
        &format!("((document.querySelector('#tab-findings') || {{}}).textContent || {before:?}) !== {before:?}"),
        "the package scanned again",
    );
    assert!(
        page.eval::<bool>("document.querySelector('.rule-errors') === null"),
        "the errors stayed"
    );
    assert!(page.text(".rule-table").contains("MY-FETCH-001"));
    let footer = page.text(".status-bar");
    assert!(footer.contains("1 rule file of yours"), "footer: {footer}");
    page.show("findings");
    page.wait_until(
        "[...document.querySelectorAll('.finding')].some(f => f.dataset.rule === 'MY-FETCH-001')",
        "findings of the new rule",
    );
    page.assert_quiet();
}

/// A saved report (as `telltale scan -f json` writes it) whose finding has a code path: the
/// path is drawn as a graph whose nodes open their source, and it pans and zooms.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn a_code_path_is_drawn_as_a_graph() {
    use telltale::report::{PathStep, Span};
    use telltale::scan::{Input, ScanOptions, scan};

    let package = telemetry_package();
    let mut report = scan(
        Input::Bytes {
            name: "tz-demo-1.0.0.tgz",
            bytes: &package,
        },
        &ScanOptions::default(),
        &mut |_| {},
    );
    let at = report
        .findings
        .iter()
        .position(|f| f.rule == "TT-REGION-001")
        .expect("the time zone finding");
    let step = |role: &str, function: &str, readable: Option<&str>, line: u32, note: &str| PathStep {
        role: role.into(),
        function: function.into(),
        readable_name: readable.map(Into::into),
        file: "package/cli.js".into(),
        span: Span { start: 0, end: 4 },
        line,
        column: 1,
        note: note.into(),
    };
    report.findings[at].path = vec![
        step("entry", "", None, 1, "bin tz-demo"),
        step("call", "Xq1", Some("report"), 15, "called when DO_NOT_TRACK is unset"),
        step("detection", "Xq1", Some("report"), 6, "reads the time zone"),
        step("sink", "fetch", None, 8, "sent in the request body"),
    ];
    let saved = write_fixture("tz-demo.telltale.json", &serde_json::to_vec(&report).expect("JSON"));

    let server = StaticServer::start();
    let page = PageSession::open(&server.url("index.html"));
    page.pick_file(&saved);
    page.wait_for_report();
    assert!(page.text(".report-head").contains("opened from a saved report"));
    page.show("findings");
    page.set_value("#filter-category", "region");
    page.wait_until(
        "document.querySelectorAll('.finding').length === 1",
        "the time zone finding",
    );
    page.click(".finding-row");
    page.wait_until(
        "document.querySelectorAll('svg.graph .node').length === 4",
        "the graph's nodes",
    );
    let names: Vec<String> =
        page.eval("[...document.querySelectorAll('svg.graph .node-name')].map(t => t.textContent)");
    assert_eq!(
        names,
        [
            "entry (top level)",
            "call report (Xq1)",
            "detection report (Xq1)",
            "sink fetch"
        ]
    );
    assert_eq!(
        page.eval::<u32>("document.querySelectorAll('svg.graph .edge').length"),
        3
    );
    page.eval::<bool>("(document.querySelector('.path-graph').scrollIntoView({ block: 'center' }), true)");
    page.screenshot("path-graph");
    let before = page.eval::<String>("document.querySelector('svg.graph').getAttribute('viewBox')");
    page.click(".graph-tools button[aria-label='Zoom in']");
    page.wait_until(
        &format!("document.querySelector('svg.graph').getAttribute('viewBox') !== {before:?}"),
        "the graph to zoom",
    );
    page.click("svg.graph .node[data-step='1']");
    page.wait_until(
        "document.querySelector('.source-missing') !== null",
        "the step's source",
    );
    assert!(
        page.text(".source-title")
            .contains("call: called when DO_NOT_TRACK is unset")
    );
    assert!(page.text(".source-missing").contains("opened from a file"));
    page.assert_quiet();
}

/// A large package is read by both engines at once, and shows its first findings before it is
/// read to the end: a partial report, marked as one (a banner, "(partial)" in the title, "so
/// far" in the verdict, no exports), that the complete report then replaces, with every file
/// and finding a whole scan of the package gives.
#[test]
#[ignore = "needs a built page (cargo xtask dist) and Chromium; run by cargo xtask test"]
fn partial_results_show_first_and_the_complete_report_replaces_them() {
    let server = StaticServer::start();
    let page = PageSession::launch(
        &server.url("index.html"),
        Setup {
            cores: Some(2),
            ..Setup::default()
        },
    );
    let bytes = large_package();
    let expected = {
        use telltale::scan::{Input, ScanOptions, scan};
        let input = Input::Bytes {
            name: "large-1.0.0.tgz",
            bytes: &bytes,
        };
        scan(input, &ScanOptions::default(), &mut |_| {})
    };
    let file = write_fixture("large-1.0.0.tgz", &bytes);
    // What the page showed, recorded as it changed.
    page.eval::<bool>(
        "(() => { window.seen = []; \
          new MutationObserver(() => { \
            const head = document.querySelector('.report-head'); \
            if (!head) return; \
            const state = { \
              partial: head.classList.contains('partial'), \
              banner: (document.querySelector('.partial-results') || {}).innerText || '', \
              title: document.querySelector('.report-title').innerText, \
              verdict: (document.querySelector('.verdict-headline') || {}).innerText || '', \
              tab: document.querySelector('.package-tab .package-detail').innerText, \
              exports: document.querySelector('.exports') !== null, \
            }; \
            const last = JSON.stringify(window.seen[window.seen.length - 1]); \
            if (last !== JSON.stringify(state)) window.seen.push(state); \
          }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true }); \
          return true })()",
    );
    page.pick_file(&file);
    page.wait_for_report();
    // Every state the page went through, in order: partial ones, then the complete one.
    let seen: Vec<serde_json::Value> = page.eval("window.seen");
    let partial: Vec<&serde_json::Value> = seen.iter().filter(|state| state["partial"] == true).collect();
    assert!(
        !partial.is_empty(),
        "no partial report was shown before the complete one: {seen:#?}"
    );
    let complete_from = seen
        .iter()
        .position(|state| state["partial"] == false)
        .expect("a complete report");
    assert!(
        seen[complete_from..].iter().all(|state| state["partial"] == false),
        "a partial report came after the complete one: {seen:#?}"
    );
    for state in &partial {
        let text = |key: &str| state[key].as_str().unwrap_or_default().to_string();
        assert!(text("banner").contains("Partial results"), "{state}");
        assert!(
            text("title").contains("(partial)") && text("title").contains("still reading"),
            "{state}"
        );
        assert!(
            text("verdict").is_empty() || text("verdict").starts_with("So far: "),
            "{state}"
        );
        assert_eq!(
            state["exports"], false,
            "a partial report is not offered for download: {state}"
        );
    }
    assert!(
        partial
            .iter()
            .any(|state| state["tab"].as_str().is_some_and(|t| t.contains("findings so far"))),
        "{partial:#?}"
    );

    // The complete report replaced the partial one, and is the whole scan's.
    assert!(page.eval::<bool>("document.querySelector('.partial-results') === null"));
    let title = page.text(".report-title .dim");
    assert!(title.contains("read in"), "{title}");
    assert!(
        title.contains(&format!(
            "{} files · {} findings",
            expected.files.len(),
            expected.findings.len()
        )),
        "the page shows {title:?}, a whole scan {} files and {} findings",
        expected.files.len(),
        expected.findings.len()
    );
    assert!(!page.text(".verdict-headline").starts_with("So far"));
    page.assert_telemetry_report();
    page.assert_quiet();
}

/// Real packages from the shared corpus (`TELLTALE_CORPUS` names its folder): prints the time
/// from picking the file to the first sign of progress, to the first results (a partial report,
/// when the package is large enough to be read in parts) and to the complete report, and saves
/// a screenshot of every view. Measures, never asserts a time.
#[test]
#[ignore = "needs a built page, Chromium and TELLTALE_CORPUS; run by hand"]
fn corpus_packages_timings_and_screenshots() {
    let Some(corpus) = std::env::var_os("TELLTALE_CORPUS").map(PathBuf::from) else {
        eprintln!("TELLTALE_CORPUS is not set: nothing to measure");
        return;
    };
    for (name, shots) in [
        ("anthropic-ai-claude-code-1.0.44.tgz", true),
        ("google-gemini-cli-0.61.0.tgz", false),
        // A 150 MB Bun executable: its embedded modules are opened in the page too.
        ("opencode-linux-x64-1.18.34.tgz", false),
    ] {
        let file = corpus.join(name);
        if !file.is_file() {
            eprintln!("{} is missing", file.display());
            continue;
        }
        let server = StaticServer::start();
        let page = PageSession::open(&server.url("index.html"));
        page.eval::<bool>(
            "(() => { window.marks = {}; \
              document.addEventListener('change', () => { window.marks.picked ??= performance.now() }, true); \
              new MutationObserver(() => { \
                const m = window.marks; \
                if (m.progress === undefined && document.querySelector('.package-tab.running .progress-bar')) m.progress = performance.now(); \
                const findings = +((document.querySelector('#tab-findings') || {}).textContent || '').replace(/\\D/g, ''); \
                if (m.first === undefined && document.querySelector('.report-head')) { m.first = performance.now(); m.firstFindings = findings; } \
                if (m.first !== undefined && findings !== (m.shown || []).slice(-1)[0]?.[1]) (m.shown ??= []).push([performance.now(), findings]); \
                if (m.complete === undefined && document.querySelector('.report-head:not(.partial)')) m.complete = performance.now(); \
              }).observe(document.body, { subtree: true, childList: true, characterData: true }); return true })()",
        );
        page.pick_file(&file);
        page.wait_until(
            "document.querySelector('.report-head:not(.partial)') !== null || document.querySelector('.failure') !== null",
            name,
        );
        let marks: serde_json::Value = page.eval("window.marks");
        eprintln!("{name}: {}", page.text(".report-title .dim"));
        let since =
            |mark: &str| marks[mark].as_f64().unwrap_or(f64::NAN) - marks["picked"].as_f64().unwrap_or(f64::NAN);
        eprintln!(
            "{name}: first progress {:.0} ms, first results {:.0} ms ({} findings), complete report {:.0} ms",
            since("progress"),
            since("first"),
            marks["firstFindings"],
            since("complete")
        );
        let shown: Vec<String> = marks["shown"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|step| {
                let at = step[0].as_f64().unwrap_or(f64::NAN) - marks["picked"].as_f64().unwrap_or(f64::NAN);
                format!("{} at {at:.0} ms", step[1])
            })
            .collect();
        eprintln!("{name}: findings shown: {}", shown.join(", "));
        if !shots {
            continue;
        }
        page.screenshot("corpus-overview");
        page.show("findings");
        page.screenshot("corpus-findings");
        let opened = page.eval::<f64>("performance.now()");
        page.click(".finding[data-rule='TT-ID-001'] .finding-row");
        page.wait_until(
            "document.querySelector('.source-view .span-mark, .source-missing') !== null",
            "the source",
        );
        let shown = page.eval::<f64>("performance.now()");
        eprintln!("{name}: first source view {:.0} ms after the click", shown - opened);
        page.screenshot("corpus-source");
        let opened = page.eval::<f64>("performance.now()");
        page.click(".finding:not(.open) .finding-row");
        page.wait_until(
            "document.querySelector('.source-view .loading') === null && document.querySelector('.span-mark, .source-missing') !== null",
            "the second source",
        );
        let shown = page.eval::<f64>("performance.now()");
        eprintln!("{name}: next source view {:.0} ms after the click", shown - opened);
        page.show("files");
        page.screenshot("corpus-files");
        page.show("rules");
        page.screenshot("corpus-rules");
        page.dark();
        page.show("findings");
        page.screenshot("corpus-findings-dark");
        page.show("overview");
        page.screenshot("corpus-overview-dark");
        page.assert_quiet();
    }
}

/// The files of the hosted build, beside `index.html`.
const HOSTED_FILES: [&str; 4] = ["style.css", "telltale_wasm.js", "telltale.js", "boot.js"];

/// Which of the two builds a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Build {
    /// `dist/` on a web server: its scripts and style are its own files.
    Hosted,
    /// `dist/telltale.html`: everything inline, allowed by hash.
    SingleFile,
}

/// The Content-Security-Policy allows nothing but the page itself: no request, no script or
/// style from anywhere else or inline unless it is the page's own by hash, WebAssembly, and
/// workers from the page's own Blobs.
fn assert_strict_policy(policy: &str, build: Build) {
    let directive = |name: &str| -> Vec<String> {
        let found = policy
            .split(';')
            .map(str::trim)
            .find(|d| d.split_whitespace().next() == Some(name));
        found
            .map(|d| d.split_whitespace().skip(1).map(String::from).collect())
            .unwrap_or_else(|| panic!("no {name} in the policy: {policy}"))
    };
    for (name, allowed) in [
        ("default-src", "'none'"),
        ("connect-src", "'none'"),
        ("font-src", "'none'"),
        ("object-src", "'none'"),
        ("frame-src", "'none'"),
        ("base-uri", "'none'"),
        ("form-action", "'none'"),
        ("worker-src", "blob:"),
        ("img-src", "data:"),
    ] {
        assert_eq!(directive(name), [allowed], "{name} in the policy: {policy}");
    }
    for (name, kind) in [("script-src", "scripts"), ("style-src", "styles")] {
        let sources = directive(name);
        let (own, rest): (Vec<&String>, Vec<&String>) = sources.iter().partition(|source| match build {
            Build::Hosted => *source == "'self'",
            Build::SingleFile => source.starts_with("'sha256-"),
        });
        assert!(!own.is_empty(), "{kind} are not the page's own: {policy}");
        let rest: Vec<&str> = rest.iter().map(|source| source.as_str()).collect();
        let expected: &[&str] = if name == "script-src" {
            &["'wasm-unsafe-eval'"]
        } else {
            &[]
        };
        assert_eq!(
            rest, expected,
            "{name} allows more than the page's own {kind}: {policy}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Packages

/// An npm package: `package.json` with a `bin`, its script, a library file, a nested zip with
/// one file, and any `extra` members (names relative to `package/`).
fn npm_package(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut inner = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    inner.start_file("docs/readme.txt", options).expect("zip member");
    inner.write_all(b"hello from inside\n").expect("zip member");
    let inner = inner.finish().expect("zip").into_inner();

    let members: Vec<(String, Vec<u8>)> = [
        (
            "package.json",
            br#"{"name":"demo","version":"1.0.0","bin":{"demo":"cli.js"},"main":"lib/x.js"}"#.to_vec(),
        ),
        (
            "cli.js",
            b"#!/usr/bin/env node\nrequire(\"./lib/x.js\").run();\n".to_vec(),
        ),
        (
            "lib/x.js",
            b"exports.run = function () { console.log(\"hi\"); };\n".to_vec(),
        ),
        ("inner.zip", inner),
    ]
    .into_iter()
    .map(|(name, bytes)| (name.to_string(), bytes))
    .chain(extra.iter().map(|(name, bytes)| (name.to_string(), bytes.to_vec())))
    .collect();
    tgz(members)
}

/// The telemetry package with 24 MB of generated code beside it: large enough (6 MB packed)
/// for the page to share it between two engines, and to take them a few seconds.
fn large_package() -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let extra: Vec<(String, Vec<u8>)> = (0..6)
        .map(|file| {
            let mut code = String::new();
            for line in 0..60_000 {
                code.push_str(&format!(
                    "function f{file}_{line}(a) {{ return a + \"{:016x}\" + {}; }}\n",
                    random(),
                    random() % 1000
                ));
            }
            (format!("lib/generated-{file}.js"), code.into_bytes())
        })
        .collect();
    let mut members = telemetry_members();
    members.extend(extra);
    tgz(members)
}

/// A gzipped tarball with `members` under `package/`, as npm packs them.
fn tgz(members: Vec<(String, Vec<u8>)>) -> Vec<u8> {
    let gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gzip);
    for (name, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        tar.append_data(&mut header, format!("package/{name}"), bytes.as_slice())
            .expect("tar member");
    }
    tar.into_inner().expect("tar").finish().expect("gzip")
}

/// A CLI that reads the time zone and host name and posts them to a telemetry host unless
/// `DO_NOT_TRACK` is set; a minified bundle (one long line) that sends the host name; and a
/// file named as markup whose code holds markup and a direction override and reads the host
/// name.
fn telemetry_package() -> Vec<u8> {
    tgz(telemetry_members())
}

/// The members of [`telemetry_package`].
fn telemetry_members() -> Vec<(String, Vec<u8>)> {
    let cli = format!(
        r#"#!/usr/bin/env node
const os = require("os");
const bundle = require("./dist/bundle.min.js");
const named = require("./{HOSTILE_NAME}");

function report() {{
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const host = os.hostname();
  return fetch("https://telemetry.example.com/v1/events", {{
    method: "POST",
    body: JSON.stringify({{ zone, host }}),
  }});
}}

if (!process.env.DO_NOT_TRACK) {{
  report();
}}
bundle.start();
named();
"#
    );
    let bundle = format!(
        "{}function Qx(n){{return{{id:require(\"os\").hostname(),t:n}}}}function St(){{return fetch(\"https://api.example.com/x\",{{method:\"POST\",body:JSON.stringify(Qx(1))}})}}{}exports.start=St;",
        "var a0=0;".repeat(300),
        "var b0=1;".repeat(300)
    );
    let hostile = "const os = require(\"os\");\nconst label = \"<img src=x onerror=alert(3)>\u{202E}\";\n\
                   module.exports = () => fetch(\"https://t.example.net/\" + label, { body: os.hostname() });\n";
    let members = [
        (
            "package.json",
            r#"{"name":"tz-demo","version":"1.0.0","bin":{"tz-demo":"cli.js"}}"#.to_string(),
        ),
        ("cli.js", cli),
        ("dist/bundle.min.js", bundle),
        (HOSTILE_NAME, hostile.to_string()),
    ];
    members
        .into_iter()
        .map(|(name, text)| (name.to_string(), text.into_bytes()))
        .collect()
}

/// Writes a package where the browser can be told to pick it; returns its path.
fn write_fixture(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-fixtures");
    std::fs::create_dir_all(&dir).expect("fixture directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("fixture");
    path
}

fn dist_dir() -> PathBuf {
    std::env::var_os("TELLTALE_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("dist"))
}

// ---------------------------------------------------------------------------------------------
// The server

/// `dist/` over HTTP on a free localhost port, remembering every path it was asked for.
struct StaticServer {
    server: Arc<tiny_http::Server>,
    port: u16,
    requested: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    fn start() -> StaticServer {
        let dist = dist_dir();
        assert!(
            dist.join("index.html").is_file(),
            "{} has no index.html; run cargo xtask dist",
            dist.display()
        );
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("a free localhost port"));
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let requested = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let server = Arc::clone(&server);
            let requested = Arc::clone(&requested);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let path = request.url().split(['?', '#']).next().unwrap_or("/").to_string();
                    requested.lock().unwrap().push(path.clone());
                    let relative = match path.trim_start_matches('/') {
                        "" => "index.html",
                        relative => relative,
                    };
                    let body = if relative.split('/').any(|part| part == "..") {
                        None
                    } else {
                        std::fs::read(dist.join(relative)).ok()
                    };
                    let _ = match body {
                        Some(body) => {
                            let header = tiny_http::Header::from_bytes("Content-Type", content_type(relative))
                                .expect("a valid header");
                            request.respond(tiny_http::Response::from_data(body).with_header(header))
                        }
                        None => request.respond(tiny_http::Response::from_string("not found").with_status_code(404)),
                    };
                }
            })
        };
        StaticServer {
            server,
            port,
            requested,
            thread: Some(thread),
        }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.origin())
    }

    fn requested(&self) -> Vec<String> {
        self.requested.lock().unwrap().clone()
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

// ---------------------------------------------------------------------------------------------
// The browser

/// What Chromium reported while the page ran.
#[derive(Debug, Default, Clone)]
struct Observed {
    /// Uncaught exceptions, `console.error`s, and browser-side errors (a script or style the
    /// policy refused, a failed load).
    problems: Vec<String>,
    /// Every URL the page and its workers asked for.
    requests: Vec<String>,
    /// `alert`, `confirm` and friends: none should ever open.
    dialogs: Vec<String>,
    /// How many Web Workers were watched (so a test can tell their requests were recorded).
    workers: usize,
    /// How many of them started with the network already off.
    workers_started_offline: usize,
    /// Whether the page and its workers have no network.
    offline: bool,
}

/// How Chromium is set up before the page loads.
#[derive(Debug, Default, Clone, Copy)]
struct Setup {
    /// No network from the start (for `file://`; a served page goes offline after it loaded,
    /// with [`PageSession::go_offline`]).
    offline: bool,
    /// What `navigator.hardwareConcurrency` says, which sizes the page's pool of engines.
    cores: Option<u32>,
}

/// One Chromium with one tab on the page, recording what it reports.
struct PageSession {
    // Kept alive: dropping it closes Chromium.
    _browser: Browser,
    tab: Arc<Tab>,
    observed: Arc<Mutex<Observed>>,
}

impl PageSession {
    /// Starts Chromium, opens `url` and waits for the app to render its drop zone.
    fn open(url: &str) -> PageSession {
        PageSession::launch(url, Setup::default())
    }

    /// [`PageSession::open`] with Chromium set up as `setup` says before the page loads.
    fn launch(url: &str, setup: Setup) -> PageSession {
        let chromium = std::env::var_os("TELLTALE_CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|| "/usr/bin/chromium".into());
        let args: Vec<&std::ffi::OsStr> = [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ]
        .iter()
        .map(std::ffi::OsStr::new)
        .collect();
        // headless_chrome adds --headless, and gives every launch a fresh temporary
        // --user-data-dir that it deletes afterwards.
        let options = LaunchOptions::default_builder()
            .path(Some(chromium))
            .headless(true)
            .sandbox(false)
            .window_size(Some((1280, 800)))
            .idle_browser_timeout(Duration::from_secs(120))
            .args(args)
            .build()
            .expect("Chromium launch options");
        let browser = Browser::new(options).expect("Chromium starts (is /usr/bin/chromium installed?)");
        let tab = browser.new_tab().expect("a tab");
        tab.set_default_timeout(PATIENCE);

        let observed = Arc::new(Mutex::new(Observed::default()));
        {
            let observed = Arc::clone(&observed);
            let weak_tab = Arc::downgrade(&tab);
            tab.add_event_listener(Arc::new(move |event: &Event| match event {
                // A Web Worker of the page, paused before its first line: watch it too, then
                // let it run. Its requests are not reported on the page's own session.
                Event::AttachedToTarget(attached) => {
                    let Some(tab) = weak_tab.upgrade() else {
                        return;
                    };
                    let session = attached.params.session_id.clone();
                    {
                        let mut observed = observed.lock().unwrap();
                        observed.workers += 1;
                        observed.workers_started_offline += usize::from(observed.offline);
                    }
                    for (id, method) in [
                        (1, "Network.enable"),
                        (2, "Runtime.enable"),
                        (3, "Runtime.runIfWaitingForDebugger"),
                    ] {
                        let message = serde_json::json!({ "id": id, "method": method });
                        if let Err(error) = send_to_worker(&tab, &session, &message) {
                            observed
                                .lock()
                                .unwrap()
                                .problems
                                .push(format!("cannot watch a worker: {error}"));
                        }
                    }
                }
                Event::ReceivedMessageFromTarget(received) => {
                    record_worker_message(&mut observed.lock().unwrap(), &received.params.message);
                }
                event => record_page_event(&mut observed.lock().unwrap(), event),
            }))
            .expect("an event listener");
        }
        tab.enable_runtime().expect("Runtime domain");
        tab.enable_log().expect("Log domain");
        tab.call_method(Network::Enable {
            max_total_buffer_size: None,
            max_resource_buffer_size: None,
            max_post_data_size: None,
            report_direct_socket_traffic: None,
            enable_durable_messages: None,
        })
        .expect("Network domain");
        tab.call_method(Target::SetAutoAttach {
            auto_attach: true,
            wait_for_debugger_on_start: true,
            flatten: Some(false),
            filter: None,
        })
        .expect("workers are watched");

        if let Some(cores) = setup.cores {
            tab.call_method(Emulation::SetHardwareConcurrencyOverride {
                hardware_concurrency: cores,
            })
            .expect("hardware concurrency");
        }
        let page = PageSession {
            _browser: browser,
            tab,
            observed,
        };
        if setup.offline {
            page.go_offline();
        }

        page.tab.navigate_to(url).expect("navigation starts");
        page.tab.wait_until_navigated().expect("navigation ends");
        if setup.offline {
            // The browser keeps the tab offline across the navigation (a fetch from a file://
            // page or from its worker fails, and never reaches a local server), but the
            // renderer the new page gets still reports `navigator.onLine`; told again, it agrees.
            page.go_offline();
        }
        page.wait_until(
            "document.querySelector('.drop-zone') !== null",
            "the app to render its drop zone",
        );
        page
    }

    fn observed(&self) -> Observed {
        self.observed.lock().unwrap().clone()
    }

    /// Takes the network away from the tab, as a pulled cable would: every request of the page
    /// and of its workers (Chromium applies the page's conditions to them; a worker's own
    /// session refuses them as not supported) fails as disconnected, and
    /// `navigator.onLine` turns false.
    fn go_offline(&self) {
        self.tab
            .call_method(Network::EmulateNetworkConditions {
                offline: true,
                latency: 0.0,
                download_throughput: -1.0,
                upload_throughput: -1.0,
                connection_Type: None,
                packet_loss: None,
                packet_queue_length: None,
                packet_reordering: None,
            })
            .expect("the network is taken away");
        self.observed.lock().unwrap().offline = true;
    }

    /// The page's Content-Security-Policy, as its `<meta>` element states it.
    fn policy(&self) -> String {
        self.eval("document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content")
    }

    /// The value of a JavaScript expression (anything `JSON.stringify` can write).
    fn eval<T: DeserializeOwned>(&self, expression: &str) -> T {
        self.eval_json(&format!("JSON.stringify({expression})"), false)
    }

    /// The value an async expression (a promise) settles to.
    fn eval_async<T: DeserializeOwned>(&self, expression: &str) -> T {
        self.eval_json(&format!("({expression}).then((value) => JSON.stringify(value))"), true)
    }

    fn eval_json<T: DeserializeOwned>(&self, expression: &str, await_promise: bool) -> T {
        let result = self
            .tab
            .evaluate(expression, await_promise)
            .unwrap_or_else(|e| panic!("evaluating {expression}: {e}"));
        let Some(serde_json::Value::String(json)) = &result.value else {
            panic!("{expression} gave {:?}: {:?}", result.value, result.description);
        };
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{expression} gave {json}: {e}"))
    }

    /// Waits for a JavaScript condition to hold; on time-out, fails with what the page shows.
    fn wait_until(&self, condition: &str, what: &str) {
        let start = Instant::now();
        loop {
            if self.eval::<bool>(&format!("!!({condition})")) {
                return;
            }
            if start.elapsed() > PATIENCE {
                let shown = self.eval::<String>("document.body ? document.body.innerText : ''");
                panic!(
                    "waited {PATIENCE:?} for {what}; the page shows:\n{shown}\nChromium reported: {:?}",
                    self.observed()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Picks `file` with the page's file input, as the "Choose files…" dialog would.
    fn pick_file(&self, file: &Path) {
        let input = self.tab.find_element("#file-input").expect("the file input");
        input
            .set_input_files(&[file.to_str().expect("a UTF-8 path")])
            .expect("the file is picked");
    }

    /// Picks several files at once with the page's file input.
    fn pick_files(&self, files: &[PathBuf]) {
        let paths: Vec<&str> = files.iter().map(|f| f.to_str().expect("a UTF-8 path")).collect();
        let input = self.tab.find_element("#file-input").expect("the file input");
        input.set_input_files(&paths).expect("the files are picked");
    }

    /// Waits for the package named `name` to be read, then shows its report.
    fn open_package(&self, name: &str) {
        let quoted = serde_json::to_string(name).expect("a name");
        let tab = format!(
            "[...document.querySelectorAll('.package-tab')].find(t => t.querySelector('.package-name').textContent === {quoted})"
        );
        self.wait_until(
            &format!("({tab})?.classList.contains('done')"),
            &format!("{name} to be read"),
        );
        self.eval::<bool>(&format!("(() => {{ ({tab}).click(); return true }})()"));
        self.wait_until(
            &format!(
                "({tab}).classList.contains('selected') && document.querySelector('.report-title .dim')?.textContent.includes(' · ' + {quoted} + ' · ')"
            ),
            &format!("{name}'s report"),
        );
    }

    /// The report shown is the full one of [`telemetry_package`]: a verdict, the endpoint it
    /// posts to, and its findings, which only the engine's analysis gives (unpacking alone
    /// gives a file list).
    fn assert_telemetry_report(&self) {
        self.show("overview");
        let headline = self.text(".verdict-headline");
        assert!(headline.contains("Phones home"), "verdict: {headline}");
        let endpoints = self.text(".endpoint-table");
        assert!(endpoints.contains("telemetry.example.com"), "endpoints: {endpoints}");
        self.show("findings");
        let rules = self.finding_rules();
        for rule in ["TT-REGION-001", "TT-ID-001", "TT-TEL-006"] {
            assert!(rules.iter().any(|r| r == rule), "no {rule} among {rules:?}");
        }
    }

    /// Picks rule files with the rules view's file input.
    fn pick_rules(&self, file: &Path) {
        let input = self.tab.find_element("#rules-input").expect("the rule file input");
        input
            .set_input_files(&[file.to_str().expect("a UTF-8 path")])
            .expect("the rule file is picked");
    }

    /// Waits for the selected package's complete report to be shown.
    fn wait_for_report(&self) {
        self.wait_until(
            "document.querySelector('.report-head:not(.partial)') !== null || document.querySelector('.failure') !== null",
            "the package's report",
        );
        assert!(
            !self.eval::<bool>("document.querySelector('.failure') !== null"),
            "the scan failed: {}",
            self.text(".failure")
        );
    }

    /// Clicks the first element matching `selector`.
    fn click(&self, selector: &str) {
        let quoted = serde_json::to_string(selector).expect("a selector");
        assert!(
            self.eval::<bool>(&format!(
                "(() => {{ const e = document.querySelector({quoted}); if (e) e.dispatchEvent(new MouseEvent('click', {{bubbles: true}})); return !!e }})()"
            )),
            "nothing to click at {selector}"
        );
    }

    /// Shows one of the report's views: `overview`, `findings`, `files` or `rules`.
    fn show(&self, view: &str) {
        self.click(&format!("#tab-{view}"));
        self.wait_until(
            &format!("document.querySelector('#tab-{view}').getAttribute('aria-selected') === 'true'"),
            view,
        );
    }

    /// Path (the full member path), kind and size of every file of the file tree, as shown.
    fn file_rows(&self) -> Vec<[String; 3]> {
        self.show("files");
        self.eval(
            "[...document.querySelectorAll('.file-tree tbody tr')].filter(tr => tr.querySelector('.kind').textContent !== 'folder')\
             .map(tr => [tr.dataset.path, tr.querySelector('.kind').textContent, tr.querySelector('.size').textContent])",
        )
    }

    /// Sets a `<select>` or text field as a person would, firing the events the page listens to.
    fn set_value(&self, selector: &str, value: &str) {
        let quoted = serde_json::to_string(selector).expect("a selector");
        let value = serde_json::to_string(value).expect("a value");
        assert!(
            self.eval::<bool>(&format!(
                "(() => {{ const e = document.querySelector({quoted}); if (!e) return false; e.value = {value};\
                  e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input', {{bubbles: true}})); return true }})()"
            )),
            "no field at {selector}"
        );
    }

    /// The rule of every finding row shown, in order.
    fn finding_rules(&self) -> Vec<String> {
        self.eval("[...document.querySelectorAll('.finding')].map(f => f.dataset.rule)")
    }

    /// The visible text of the first element matching `selector`.
    fn text(&self, selector: &str) -> String {
        let quoted = serde_json::to_string(selector).expect("a selector");
        self.eval(&format!("(document.querySelector({quoted}) || {{}}).innerText || ''"))
    }

    /// Shows the page as a system in dark mode would.
    fn dark(&self) {
        self.tab
            .call_method(Emulation::SetEmulatedMedia {
                media: None,
                features: Some(vec![Emulation::MediaFeature {
                    name: "prefers-color-scheme".into(),
                    value: "dark".into(),
                }]),
            })
            .expect("dark mode");
    }

    /// Saves a screenshot to `target/browser-screenshots/<name>.png`.
    fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .tab
            .capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)
            .expect("a screenshot");
        let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .expect("target/tmp is inside target/");
        let dir = target.join("browser-screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot written");
        path
    }

    /// Nothing went wrong so far: no exception, no error message, no dialog.
    fn assert_quiet(&self) {
        let observed = self.observed();
        assert!(
            observed.problems.is_empty(),
            "Chromium reported problems: {:#?}",
            observed.problems
        );
        assert!(observed.dialogs.is_empty(), "dialogs opened: {:?}", observed.dialogs);
    }
}

/// Notes what the page's own session reports.
fn record_page_event(observed: &mut Observed, event: &Event) {
    match event {
        Event::RuntimeExceptionThrown(thrown) => {
            let details = &thrown.params.exception_details;
            let description = details
                .exception
                .as_ref()
                .and_then(|e| e.description.clone())
                .unwrap_or_default();
            observed
                .problems
                .push(format!("uncaught: {} {description}", details.text));
        }
        Event::RuntimeConsoleAPICalled(call) if call.params.Type == Runtime::ConsoleAPICalledEventTypeOption::Error => {
            let args: Vec<String> = call
                .params
                .args
                .iter()
                .map(|a| {
                    a.value
                        .as_ref()
                        .map(|v| v.to_string())
                        .or_else(|| a.description.clone())
                        .unwrap_or_default()
                })
                .collect();
            observed.problems.push(format!("console.error: {}", args.join(" ")));
        }
        Event::LogEntryAdded(added) if added.params.entry.level == Log::LogEntryLevel::Error => {
            let entry = &added.params.entry;
            observed.problems.push(format!(
                "{:?}: {} ({})",
                entry.source,
                entry.text,
                entry.url.clone().unwrap_or_default()
            ));
        }
        Event::NetworkRequestWillBeSent(sent) => observed.requests.push(sent.params.request.url.clone()),
        Event::PageJavascriptDialogOpening(dialog) => observed.dialogs.push(dialog.params.message.clone()),
        _ => {}
    }
}

/// Sends a raw protocol message to a worker's session.
fn send_to_worker(tab: &Tab, session: &str, message: &serde_json::Value) -> Result<(), String> {
    tab.call_method(Target::SendMessageToTarget {
        message: message.to_string(),
        session_id: Some(session.to_string()),
        target_id: None,
    })
    .map(drop)
    .map_err(|error| error.to_string())
}

/// Notes what a worker's session reports: a raw protocol message, events and refusals.
fn record_worker_message(observed: &mut Observed, message: &str) {
    let Ok(message) = serde_json::from_str::<serde_json::Value>(message) else {
        return;
    };
    let params = &message["params"];
    match message["method"].as_str() {
        Some("Network.requestWillBeSent") => {
            observed
                .requests
                .push(params["request"]["url"].as_str().unwrap_or_default().to_string());
        }
        // An answer to what `PageSession` asked of the worker: refused, it was not watched.
        None if !message["error"].is_null() => {
            observed
                .problems
                .push(format!("a worker refused {}: {}", message["id"], message["error"]));
        }
        Some("Runtime.exceptionThrown") => {
            let details = &params["exceptionDetails"];
            observed.problems.push(format!(
                "uncaught in a worker: {} {}",
                details["text"], details["exception"]["description"]
            ));
        }
        Some("Runtime.consoleAPICalled") if params["type"] == "error" => {
            observed
                .problems
                .push(format!("console.error in a worker: {}", params["args"]));
        }
        _ => {}
    }
}
