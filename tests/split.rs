//! A scan shared among workers (`scan::scan_part`, put together by `scan::Assembly`) reports
//! exactly what one whole scan does, however many parts share it: every fixture package, a
//! package with every kind of nested archive, executable and problem, a dropped folder, and
//! (when `TELLTALE_CORPUS` names its folder) the real packages of the corpus. Pieces cross
//! as JSON, as they do from a worker to the page.

mod support;

use std::path::{Path, PathBuf};

use support::archives::{Tar, Zip, gzip, noise};
use support::executables::{BunLayout, BunModule, bun_graph, bun_section, elf};
use support::packages::{collect_files, npm_tarball};
use telltale::package::Part;
use telltale::report::{Report, Timings};
use telltale::rules::RuleSet;
use telltale::scan::{Assembly, Input, Piece, ScanOptions, scan, scan_part};

fn whole(input: impl Fn() -> Input<'static>) -> Report {
    let mut report = scan(input(), &ScanOptions::default(), &mut |_| {});
    report.stats.timings_ms = Timings::default();
    report
}

/// The pieces each of `count` parts hands out, as the page receives them.
fn pieces(input: &impl Fn() -> Input<'static>, count: u32) -> Vec<Vec<Piece>> {
    (0..count)
        .map(|index| {
            let mut pieces = Vec::new();
            scan_part(input(), &ScanOptions::default(), Part { index, count }, &mut |piece| {
                let json = serde_json::to_string(&piece).expect("a piece serialises");
                pieces.push(serde_json::from_str(&json).expect("a piece deserialises"));
            });
            pieces
        })
        .collect()
}

fn shared(name: &str, input: &impl Fn() -> Input<'static>, count: u32) -> Report {
    let mut assembly = Assembly::new(name, count);
    // The parts' pieces arrive interleaved.
    let mut parts: Vec<std::vec::IntoIter<Piece>> = pieces(input, count).into_iter().map(Vec::into_iter).collect();
    loop {
        let mut added = false;
        for (index, part) in parts.iter_mut().enumerate() {
            if let Some(piece) = part.next() {
                assert!(!assembly.is_complete(), "a piece after every part was done");
                assembly.add(index as u32, piece);
                added = true;
            }
        }
        if !added {
            break;
        }
    }
    assert!(assembly.is_complete(), "every part ends with a last piece");
    let copied = assembly.report(RuleSet::builtin()).expect("the format is known");
    let mut report = assembly.into_report(RuleSet::builtin()).expect("the format is known");
    assert_eq!(copied, report);
    assert!(report.stats.timings_ms.total > 0.0);
    report.stats.timings_ms = Timings::default();
    report
}

/// Scans `input` whole and shared among 1 to 4 parts, and compares the reports.
fn assert_same_when_shared(name: &str, input: impl Fn() -> Input<'static>) {
    let expected = whole(&input);
    for count in 1..=4 {
        let report = shared(name, &input, count);
        if report != expected {
            let json = |r: &Report| serde_json::to_value(r).expect("a report serialises");
            let (got, want) = (json(&report), json(&expected));
            for key in want.as_object().expect("an object").keys() {
                assert_eq!(got[key], want[key], "{name} in {count} parts: `{key}` differs");
            }
            panic!("{name} in {count} parts differs");
        }
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let word = chunk
            .iter()
            .enumerate()
            .fold(0u32, |w, (i, &b)| w | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(word >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn leak(bytes: Vec<u8>) -> &'static [u8] {
    Box::leak(bytes.into_boxed_slice())
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn every_fixture_package_reports_the_same_when_shared() {
    let mut names: Vec<_> = std::fs::read_dir(fixtures())
        .expect("the fixtures")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.is_dir())
        .collect();
    names.sort();
    for dir in names {
        let mut files = Vec::new();
        collect_files(&dir, "", &mut files);
        let name = format!("{}.tgz", dir.file_name().expect("a name").to_string_lossy());
        let bytes = leak(npm_tarball(&files));
        let name: &'static str = Box::leak(name.into_boxed_str());
        assert_same_when_shared(name, || Input::Bytes { name, bytes });
    }
}

/// A package with a bit of everything the package layer opens, and problems with some of it.
fn mixed_package() -> Vec<u8> {
    let script = |host: &str| {
        format!(
            "const os = require('os');\nfetch('https://{host}/collect', {{ method: 'POST', body: JSON.stringify({{ host: os.hostname() }}) }});\nconst tz = Intl.DateTimeFormat().resolvedOptions().timeZone;\nmodule.exports = {{ tz }};\n"
        )
        .into_bytes()
    };
    let vsix = Zip::new()
        .file(b"extension.vsixmanifest", b"<PackageManifest/>")
        .file(
            b"extension/package.json",
            br#"{"name":"ext","version":"1.0.0","main":"./out/main.js","engines":{"vscode":"^1.80.0"}}"#,
        )
        .file(b"extension/out/main.js", &script("vsix.example.com"))
        .finish();
    let jar = Zip::new()
        .file(b"META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n")
        .file(b"com/example/A.class", &noise(3000, 7))
        .file(
            b"com/example/endpoints.properties",
            b"url=https://jar.example.com/track\n",
        )
        .finish();
    let opaque = elf(
        &[(".rodata", b"\0\0https://binary.example.com/v1/events\0machine-id\0\0")],
        None,
    );
    let bun = elf(
        &[(
            ".bun",
            &bun_section(&bun_graph(
                &[
                    BunModule::source("/$bunfs/root/cli.js", &script("bun.example.com")),
                    BunModule::source("/$bunfs/root/util.js", b"export const x = process.env.HOME;\n"),
                ],
                BunLayout::V1_3,
            )),
        )],
        None,
    );
    let nested_tgz = npm_tarball(&[
        (
            "package.json".to_string(),
            br#"{"name":"inner","version":"0.1.0"}"#.to_vec(),
        ),
        ("index.js".to_string(), script("nested.example.com")),
    ]);
    let archive_in_string = {
        let zip = Zip::new().file(b"payload.js", &script("string.example.com")).finish();
        format!("const blob = \"{}\";\nmodule.exports = blob;\n", base64(&zip)).into_bytes()
    };
    let eval_string =
        b"eval(\"fetch('https://eval.example.com/x', {method: 'POST', body: require('os').userInfo().username})\");\n";
    Tar::new()
        .file(
            b"package/package.json",
            br#"{"name":"mixed","version":"2.0.0","bin":{"mixed":"./cli.js"},"main":"./lib/index.js","scripts":{"postinstall":"node ./scripts/post.js"}}"#,
        )
        .file(b"package/cli.js", &script("cli.example.com"))
        .file(b"package/lib/index.js", b"import { tz } from './tz.js';\nexport default tz;\n")
        .file(b"package/lib/tz.js", b"export const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;\n")
        .file(b"package/scripts/post.js", &script("install.example.com"))
        .file(b"package/vendor/ext.vsix", &vsix)
        .file(b"package/vendor/lib.jar", &jar)
        .file(b"package/vendor/tool", &opaque)
        .file(b"package/vendor/bun-tool", &bun)
        .file(b"package/vendor/inner.tgz", &nested_tgz)
        .file(b"package/vendor/broken.zip", b"PK\x03\x04 not really a zip at all")
        .file(b"package/lib/strings.js", &archive_in_string)
        .file(b"package/lib/eval.js", eval_string)
        .file(b"package/../escape.js", b"console.log('a name that climbs out')\n")
        .special(b"package/link", tar::EntryType::Symlink, b"/etc/passwd")
        .file(b"package/README.md", b"# mixed\n")
        .finish()
}

#[test]
fn a_package_with_nested_archives_executables_and_problems_reports_the_same_when_shared() {
    let bytes = leak(gzip(&mixed_package()));
    let report = whole(|| Input::Bytes {
        name: "mixed.tgz",
        bytes,
    });
    // The package exercises what it is meant to.
    let paths: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
    for path in [
        "package/vendor/ext.vsix!/extension/out/main.js",
        "package/vendor/lib.jar!/com/example/A.class",
        "package/vendor/tool!/strings.js",
        "package/vendor/bun-tool!/root/cli.js",
        "package/vendor/inner.tgz!/package/index.js",
    ] {
        assert!(paths.contains(&path), "{path} is not among {paths:?}");
    }
    assert!(
        paths.iter().any(|p| p.starts_with("package/lib/strings.js!/string@")),
        "{paths:?}"
    );
    assert!(report.errors.len() >= 3, "{:?}", report.errors);
    assert!(report.findings.len() >= 8, "{:?}", report.findings);
    assert_same_when_shared("mixed.tgz", || Input::Bytes {
        name: "mixed.tgz",
        bytes,
    });
}

#[test]
fn a_dropped_folder_reports_the_same_when_shared() {
    let tar = mixed_package();
    let opened = support::open("mixed.tar", &tar, telltale::package::Limits::default());
    let files: Vec<(String, Vec<u8>)> = opened
        .members
        .iter()
        .filter(|m| !m.path.contains("!/"))
        .map(|m| (m.path.trim_start_matches("package/").to_string(), m.data.clone()))
        .collect();
    assert!(files.len() > 10);
    assert_same_when_shared("mixed", || Input::Files {
        name: "mixed",
        files: files.clone(),
    });
}

#[test]
fn every_member_falls_to_exactly_one_part() {
    let bytes = gzip(&mixed_package());
    let expected = whole(|| Input::Bytes {
        name: "mixed.tgz",
        bytes: leak(bytes.clone()),
    });
    let input = || Input::Bytes {
        name: "mixed.tgz",
        bytes: leak(bytes.clone()),
    };
    let parts = pieces(&input, 3);
    let mut listed: Vec<String> = parts
        .iter()
        .flatten()
        .flat_map(|piece| piece.files.iter().map(|(_, file)| file.path.clone()))
        .collect();
    let count = listed.len();
    listed.sort();
    listed.dedup();
    assert_eq!(listed.len(), count, "a member was listed by two parts");
    assert_eq!(listed.len(), expected.files.len());
    // Each part did some of the work.
    for (index, part) in parts.iter().enumerate() {
        let analysed: usize = part.iter().map(|p| p.analysed.len()).sum();
        assert!(analysed > 0, "part {index} analysed nothing");
    }
}

#[test]
fn a_partial_assembly_reports_what_is_in_so_far() {
    let bytes = leak(gzip(&mixed_package()));
    let input = || Input::Bytes {
        name: "mixed.tgz",
        bytes,
    };
    let parts = pieces(&input, 2);
    let mut assembly = Assembly::new("mixed.tgz", 2);
    assert!(assembly.report(RuleSet::builtin()).is_none(), "no format yet");
    for piece in parts[0].iter().cloned() {
        assembly.add(0, piece);
    }
    assert!(!assembly.is_complete());
    let partial = assembly
        .report(RuleSet::builtin())
        .expect("part 0 read the package's format");
    let found = assembly.findings_so_far();
    assert!(found > 0 && found <= partial.findings.len(), "{found}");
    let complete = shared("mixed.tgz", &input, 2);
    assert!(partial.files.len() < complete.files.len());
    assert!(partial.findings.len() < complete.findings.len());
    assert!(!partial.findings.is_empty());
    assert!(
        partial
            .findings
            .iter()
            .all(|f| complete.findings.iter().any(|c| c.rule == f.rule && c.file == f.file)),
        "a partial report holds only what the complete one does"
    );
}

/// The real packages of the corpus (`TELLTALE_CORPUS`), shared between two parts as the page
/// on a two-core machine does.
#[test]
#[ignore = "needs TELLTALE_CORPUS; takes a minute"]
fn corpus_packages_report_the_same_when_shared() {
    let Some(corpus) = std::env::var_os("TELLTALE_CORPUS").map(PathBuf::from) else {
        eprintln!("TELLTALE_CORPUS is not set: nothing to compare");
        return;
    };
    let mut packages: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("the corpus folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.is_file())
        .collect();
    packages.sort();
    for path in packages {
        let name: &'static str = Box::leak(
            path.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
                .into_boxed_str(),
        );
        let bytes = leak(std::fs::read(&path).expect("a corpus package"));
        let input = || Input::Bytes { name, bytes };
        let expected = whole(input);
        for count in [2, 3] {
            let report = shared(name, &input, count);
            assert_eq!(report.files, expected.files, "{name} in {count} parts: files");
            assert_eq!(report.errors, expected.errors, "{name} in {count} parts: errors");
            assert_eq!(report.findings, expected.findings, "{name} in {count} parts: findings");
            assert!(report == expected, "{name} in {count} parts differs");
            eprintln!("{name}: the same in {count} parts ({} findings)", report.findings.len());
        }
    }
}
