//! Compiled executables: the JavaScript that Bun and Node.js embed in ELF, Mach-O and PE files is
//! opened like a nested archive, and other binaries yield their strings. The executables are
//! built in code (tests/support/executables.rs), plus one real `bun build --compile` output when
//! Bun can be installed from the npm registry.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::archives::{Tar, gzip};
use support::executables::{
    BUN_TRAILER, BunLayout, BunModule, bun_appended, bun_graph, bun_section, elf, fat, macho, pe, sea_blob,
};
use support::{open, small_limits};
use telltale::files::FileKind;
use telltale::package::{Format, Limits};
use telltale::scan::{Input, ScanOptions, scan};

const CLI: &[u8] =
    b"// @bun\nconst os = require('os');\nfetch('https://telemetry.example.com/v1', { body: os.hostname() });\n";
const HELPER: &[u8] = b"export const helper = (a) => a + 1;\n";

fn modules() -> [BunModule<'static>; 3] {
    [
        BunModule::source("/$bunfs/root/cli.js", CLI),
        BunModule::source("/$bunfs/root/lib/helper.js", HELPER),
        BunModule::source("/$bunfs/root/logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
    ]
}

fn graph() -> Vec<u8> {
    bun_graph(&modules(), BunLayout::V1_3)
}

/// Asserts that the three modules were delivered under `prefix`, whole.
fn assert_modules(opened: &support::Opened, prefix: &str) {
    opened.assert_read(&format!("{prefix}root/cli.js"), CLI);
    opened.assert_read(&format!("{prefix}root/lib/helper.js"), HELPER);
    assert!(opened.paths().contains(&format!("{prefix}root/logo.png").as_str()));
}

// --- Bun -------------------------------------------------------------------------------------

#[test]
fn bun_graph_in_an_elf_section() {
    let tool = elf(&[(".text", b"\x90\xc3"), (".bun", &bun_section(&graph()))], None);
    let tgz = gzip(
        &Tar::new()
            .file(b"package/package.json", b"{}")
            .file(b"package/bin/tool", &tool)
            .finish(),
    );
    let opened = open("tool-linux-x64.tgz", &tgz, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.member("package/bin/tool").archive, Some(Format::Bun));
    assert_modules(&opened, "package/bin/tool!/");
}

#[test]
fn bun_graph_in_a_pe_section_in_the_1_1_layout() {
    let graph = bun_graph(&modules(), BunLayout::V1_1);
    let tool = pe(&[(".text", b"\xc3"), (".bun", &bun_section(&graph))], None);
    let opened = open("tool.exe", &tool, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.format, Format::Bun);
    assert_modules(&opened, "");
}

#[test]
fn bun_graph_in_a_mach_o_segment() {
    let tool = macho("__BUN", "__bun", &bun_section(&graph()));
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.format, Format::Bun);
    assert_modules(&opened, "");
}

#[test]
fn bun_graphs_in_a_universal_mach_o_are_named_by_architecture() {
    let arm = macho("__BUN", "__bun", &bun_section(&graph()));
    let intel = macho("__BUN", "__bun", &bun_section(&graph()));
    let tool = fat(&[(0x0100_000c, &arm), (0x0100_0007, &intel)]);
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.format, Format::Bun);
    assert_modules(&opened, "aarch64/");
    assert_modules(&opened, "x86_64/");
}

#[test]
fn bun_graph_appended_by_older_bun() {
    let program = elf(&[(".text", b"\x90\xc3")], None);
    let tool = bun_appended(&program, &bun_graph(&modules(), BunLayout::V1_1));
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[]);
    assert_modules(&opened, "");
}

#[test]
fn bytecode_only_modules_are_opaque_and_give_their_strings() {
    let modules = [BunModule {
        name: "/$bunfs/root/cli.js",
        contents: b"",
        bytecode: b"\x01\x02\x03\x00https://bytecode.example.com/collect\x00\x05identifier_name\x00",
    }];
    let tool = elf(&[(".bun", &bun_section(&bun_graph(&modules, BunLayout::V1_3)))], None);
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.member("root/cli.js").archive, Some(Format::Opaque));
    opened.assert_read(
        "root/cli.js!/strings.js",
        b"\"https://bytecode.example.com/collect\";\n\"identifier_name\";\n",
    );
}

#[test]
fn modules_are_analysed_like_any_bundle() {
    let tool = elf(&[(".bun", &bun_section(&graph()))], None);
    let tgz = gzip(
        &Tar::new()
            .file(b"package/package.json", b"{\"name\":\"tool-linux-x64\"}")
            .file(b"package/bin/tool", &tool)
            .finish(),
    );
    let report = scan(
        Input::Bytes {
            name: "tool-linux-x64.tgz",
            bytes: &tgz,
        },
        &ScanOptions::default(),
        &mut |_| {},
    );
    let entry = report
        .files
        .iter()
        .find(|f| f.path == "package/bin/tool")
        .expect("listed");
    assert_eq!(
        (entry.kind, entry.archive, entry.opaque),
        (FileKind::Executable, Some(Format::Bun), false)
    );
    let cli = report
        .files
        .iter()
        .find(|f| f.path == "package/bin/tool!/root/cli.js")
        .expect("listed");
    assert_eq!(cli.kind, FileKind::Javascript);
    let telemetry = report
        .endpoints
        .iter()
        .find(|e| e.host == "telemetry.example.com")
        .expect("the module's endpoint");
    assert_eq!(telemetry.files, ["package/bin/tool!/root/cli.js"]);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.file == "package/bin/tool!/root/cli.js"),
        "{:#?}",
        report.findings
    );
}

// --- Node.js single-executable applications ------------------------------------------------------

const SEA_MAIN: &[u8] = b"require('https').request('https://sea.example.com/ping').end();\n";

fn assert_sea(opened: &support::Opened) {
    opened.assert_errors(&[]);
    assert_eq!(opened.format, Format::NodeSea);
    opened.assert_read("app.js", SEA_MAIN);
    opened.assert_read("assets/config.json", b"{\"endpoint\":\"https://sea.example.com\"}");
}

fn sea() -> Vec<u8> {
    sea_blob(
        "/home/dev/app/dist/app.js",
        SEA_MAIN,
        &[("config.json", b"{\"endpoint\":\"https://sea.example.com\"}")],
    )
}

#[test]
fn node_sea_in_an_elf_note() {
    let tool = elf(&[(".text", b"\xc3")], Some(("NODE_SEA_BLOB", &sea())));
    assert_sea(&open("app", &tool, Limits::default()));
}

#[test]
fn node_sea_in_a_mach_o_section() {
    let tool = macho("NODE_SEA", "__NODE_SEA_BLOB", &sea());
    assert_sea(&open("app", &tool, Limits::default()));
}

#[test]
fn node_sea_in_a_pe_resource() {
    let tool = pe(&[(".text", b"\xc3")], Some(("NODE_SEA_BLOB", &sea())));
    assert_sea(&open("app.exe", &tool, Limits::default()));
}

// --- opaque binaries ---------------------------------------------------------------------------

#[test]
fn other_executables_are_opaque_and_give_strings_and_script_regions() {
    let script = "function report(e) { return fetch('https://crash.example.com/' + e); }\n".repeat(300);
    let mut data = b"\0\0https://api.example.com/v2\0TELEMETRY_DISABLED\0\x01\x02".to_vec();
    data.extend("https://wide.example.com".encode_utf16().flat_map(u16::to_le_bytes));
    data.extend(b"\0\0");
    let region_at = data.len();
    data.extend(script.as_bytes());
    let tool = elf(&[(".rodata", &data)], None);
    let opened = open("rg", &tool, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.format, Format::Opaque);
    let strings = String::from_utf8(opened.member("strings.js").data.clone()).unwrap();
    for expected in [
        "\"https://api.example.com/v2\";",
        "\"TELEMETRY_DISABLED\";",
        "\"https://wide.example.com\";",
    ] {
        assert!(
            strings.lines().any(|l| l == expected),
            "{expected} missing from {strings}"
        );
    }
    let region = opened
        .members
        .iter()
        .find(|m| m.path.starts_with("text@"))
        .expect("a text region");
    assert_eq!(region.data, script.as_bytes());
    // The region's offset in the file names it.
    let offset = usize::from_str_radix(region.path.trim_start_matches("text@0x").trim_end_matches(".js"), 16).unwrap();
    assert_eq!(&tool[offset..offset + 20], &data[region_at..region_at + 20]);
}

#[test]
fn opaque_files_are_marked_in_the_report_and_their_strings_analysed() {
    let addon = elf(&[(".rodata", b"\0https://metrics.example.com/v1/track\0")], None);
    let wasm = b"\0asm\x01\0\0\0\x0b\x20\x01\0https://wasm.example.com/beacon\0".to_vec();
    let tgz = gzip(
        &Tar::new()
            .file(b"package/package.json", b"{}")
            .file(b"package/build/addon.node", &addon)
            .file(b"package/pkg.wasm", &wasm)
            .finish(),
    );
    let report = scan(
        Input::Bytes {
            name: "pkg.tgz",
            bytes: &tgz,
        },
        &ScanOptions::default(),
        &mut |_| {},
    );
    let file = |path: &str| {
        report
            .files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path} not listed"))
    };
    assert_eq!(
        (
            file("package/build/addon.node").kind,
            file("package/build/addon.node").opaque
        ),
        (FileKind::NodeAddon, true)
    );
    assert_eq!(
        (file("package/pkg.wasm").kind, file("package/pkg.wasm").opaque),
        (FileKind::Wasm, true)
    );
    assert_eq!(file("package/build/addon.node!/strings.js").kind, FileKind::Javascript);
    for (host, path) in [
        ("metrics.example.com", "package/build/addon.node!/strings.js"),
        ("wasm.example.com", "package/pkg.wasm!/strings.js"),
    ] {
        let endpoint = report
            .endpoints
            .iter()
            .find(|e| e.host == host)
            .unwrap_or_else(|| panic!("{host}"));
        assert_eq!(endpoint.files, [path]);
    }
    let json = serde_json::to_value(&report).unwrap();
    let listed = json["files"].as_array().unwrap();
    assert!(
        listed
            .iter()
            .any(|f| f["path"] == "package/pkg.wasm" && f["opaque"] == true)
    );
    assert!(
        listed.iter().all(|f| f["opaque"] != false),
        "opaque is left out when false"
    );
}

// --- hostile executables -----------------------------------------------------------------------

#[test]
fn a_truncated_graph_is_reported_and_the_executable_read_for_strings() {
    let mut section = bun_section(&graph());
    section.truncate(section.len() - 5);
    let tool = elf(&[(".bun", &section)], None);
    let opened = open("tool", &tool, Limits::default());
    assert_eq!(opened.format, Format::Opaque);
    opened.assert_errors(&[("tool", "Bun module graph: the trailer `---- Bun! ----` is missing")]);
    assert!(opened.member("strings.js").data.windows(9).any(|w| w == b"root/cli."));
}

#[test]
fn a_graph_pointing_outside_itself_is_reported() {
    let mut graph = graph();
    let footer = graph.len() - BUN_TRAILER.len() - 32;
    // The module table's offset, far past the end.
    graph[footer + 8..footer + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let tool = elf(&[(".bun", &bun_section(&graph))], None);
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[("tool", "Bun module graph: the module table lies outside the graph")]);
}

#[test]
fn a_graph_with_a_huge_byte_count_is_reported() {
    let mut graph = graph();
    let footer = graph.len() - BUN_TRAILER.len() - 32;
    graph[footer..footer + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    let tool = elf(&[(".bun", &bun_section(&graph))], None);
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[("tool", "more than the file holds")]);
}

#[test]
fn a_module_table_with_a_huge_count_is_reported() {
    let mut graph = graph();
    let footer = graph.len() - BUN_TRAILER.len() - 32;
    // The table's length: four billion bytes of records in a graph of a few hundred.
    graph[footer + 12..footer + 16].copy_from_slice(&u32::MAX.to_le_bytes());
    let tool = elf(&[(".bun", &bun_section(&graph))], None);
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[("tool", "the module table lies outside the graph")]);
}

#[test]
fn a_section_outside_the_file_is_reported() {
    let mut tool = elf(&[(".bun", &bun_section(&graph()))], None);
    // Point the .bun section header (index 1) past the end of the file.
    let headers = u64::from_le_bytes(tool[40..48].try_into().unwrap()) as usize;
    let offset_field = headers + 64 + 24;
    tool[offset_field..offset_field + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let opened = open("tool", &tool, Limits::default());
    assert_eq!(opened.format, Format::Opaque);
    opened.assert_errors(&[("tool", "section .bun lies outside the file")]);
}

#[test]
fn a_damaged_sea_blob_is_reported() {
    let tool = elf(&[], Some(("NODE_SEA_BLOB", b"not a blob")));
    let opened = open("app", &tool, Limits::default());
    assert_eq!(opened.format, Format::Opaque);
    opened.assert_errors(&[(
        "app",
        "Node.js single-executable blob: the blob does not start with Node's magic",
    )]);
}

#[test]
fn modules_count_against_the_budget() {
    let many: Vec<String> = (0..50).map(|i| format!("/$bunfs/root/m{i}.js")).collect();
    let modules: Vec<BunModule<'_>> = many.iter().map(|name| BunModule::source(name, b"x()")).collect();
    let tool = elf(&[(".bun", &bun_section(&bun_graph(&modules, BunLayout::V1_3)))], None);
    let limits = Limits {
        max_files: 10,
        ..small_limits()
    };
    let opened = open("tool", &tool, limits);
    assert_eq!(opened.members.len(), 10, "{:?}", opened.paths());
    opened.assert_errors(&[("tool", "more than 10 files")]);
}

/// Every prefix of every kind of executable: never a panic (a header cut short may leave
/// nothing to read and nothing to say).
#[test]
fn cut_executables_never_panic() {
    let graph = bun_section(&graph());
    let samples = [
        elf(&[(".bun", &graph)], Some(("NODE_SEA_BLOB", &sea()))),
        macho("__BUN", "__bun", &graph),
        fat(&[(0x0100_000c, &macho("__BUN", "__bun", &graph))]),
        pe(&[(".bun", &graph)], Some(("NODE_SEA_BLOB", &sea()))),
    ];
    for sample in &samples {
        for cut in (0..sample.len()).step_by(7) {
            open("tool", &sample[..cut], Limits::default());
        }
    }
}

// --- a real `bun build --compile` ---------------------------------------------------------------

/// The Bun release the real fixture is compiled with (its module graph layout is 1.3's).
const BUN_VERSION: &str = "1.4.5";

/// Installs Bun from the npm registry into the test cache (once) and returns its executable;
/// `None`, with the reason printed, when the registry cannot be reached.
fn bun() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bun-{BUN_VERSION}"));
    let executable = dir.join("node_modules/bun/bin/bun.exe");
    if executable.is_file() {
        return Some(executable);
    }
    std::fs::create_dir_all(&dir).expect("create the Bun cache folder");
    let installed = Command::new("npm")
        .args(["install", "--no-save", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg(format!("bun@{BUN_VERSION}"))
        .output();
    match installed {
        Ok(output) if output.status.success() && executable.is_file() => Some(executable),
        Ok(output) => {
            println!(
                "skipped: `npm install bun@{BUN_VERSION}` failed (registry unreachable?): {}",
                String::from_utf8_lossy(&output.stderr)
            );
            None
        }
        Err(error) => {
            println!("skipped: npm cannot be run: {error}");
            None
        }
    }
}

fn compile(bun: &Path, dir: &Path, files: &[(&str, &str)], outfile: &str) -> Vec<u8> {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let output = Command::new(bun)
        .current_dir(dir)
        .args(["build", "--compile", "./app.js", "--outfile", outfile])
        .output()
        .expect("run bun");
    assert!(
        output.status.success(),
        "bun build failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(dir.join(outfile)).expect("compiled executable")
}

#[test]
fn real_bun_compile_output_lists_its_module_and_source() {
    let Some(bun) = bun() else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bun-compile-{}", std::process::id()));
    let app = "import os from 'node:os';\nimport { label } from './lib/label.js';\n\
               fetch('https://telemetry.example.com/v1/events', { method: 'POST', body: os.hostname() });\n\
               console.log(label('ready'));\n";
    let label = "export function label(text) { return '[tool] ' + text; }\n";
    let tool = compile(&bun, &dir, &[("app.js", app), ("lib/label.js", label)], "tool");
    std::fs::remove_dir_all(&dir).ok();

    // An uncompressed tar: compressing 100 MB in a debug build would take most of the test's time.
    let tar = Tar::new()
        .file(b"package/package.json", b"{}")
        .file(b"package/bin/tool", &tool)
        .finish();
    let opened = open("tool-linux-x64.tar", &tar, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.member("package/bin/tool").archive, Some(Format::Bun));
    // Bun names the entry point after the output file; the import is bundled into it.
    let module = opened.member("package/bin/tool!/root/tool");
    let source = String::from_utf8(module.data.clone()).expect("UTF-8 source");
    assert!(source.starts_with("// @bun"), "{source}");
    assert!(source.contains("https://telemetry.example.com/v1/events"), "{source}");
    assert!(source.contains("[tool] "), "{source}");

    let report = scan(
        Input::Bytes {
            name: "tool-linux-x64.tar",
            bytes: &tar,
        },
        &ScanOptions::default(),
        &mut |_| {},
    );
    let module_path = "package/bin/tool!/root/tool";
    assert_eq!(
        report.files.iter().find(|f| f.path == module_path).map(|f| f.kind),
        Some(FileKind::Javascript)
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.file == module_path && f.rule.starts_with("TT-ID")),
        "the host name read in the module: {:#?}",
        report.findings
    );
}

// --- a real Node.js single-executable application -------------------------------------------------

/// postject, the injector Node's documentation uses, pinned.
const POSTJECT_VERSION: &str = "1.0.0-alpha.6";

/// Installs postject from the npm registry into the test cache (once); `None`, with the reason
/// printed, when the registry cannot be reached.
fn postject() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("postject-{POSTJECT_VERSION}"));
    let cli = dir.join("node_modules/postject/dist/cli.js");
    if cli.is_file() {
        return Some(cli);
    }
    std::fs::create_dir_all(&dir).expect("create the postject cache folder");
    let installed = Command::new("npm")
        .args(["install", "--no-save", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg(format!("postject@{POSTJECT_VERSION}"))
        .output();
    match installed {
        Ok(output) if output.status.success() && cli.is_file() => Some(cli),
        Ok(output) => {
            println!(
                "skipped: `npm install postject` failed (registry unreachable?): {}",
                String::from_utf8_lossy(&output.stderr)
            );
            None
        }
        Err(error) => {
            println!("skipped: npm cannot be run: {error}");
            None
        }
    }
}

#[test]
fn real_node_sea_lists_its_script_and_assets() {
    let Some(postject) = postject() else {
        return;
    };
    let node = Command::new("node")
        .args(["-p", "process.execPath"])
        .output()
        .expect("node is installed");
    let node = PathBuf::from(String::from_utf8(node.stdout).unwrap().trim());
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("node-sea-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = "const os = require('os');\n\
                  require('https').request('https://sea.example.com/ping?h=' + os.hostname()).end();\n";
    std::fs::write(dir.join("app.js"), script).unwrap();
    std::fs::write(dir.join("cfg.json"), "{\"endpoint\":\"https://cfg.example.com\"}").unwrap();
    std::fs::write(
        dir.join("sea.json"),
        r#"{"main":"app.js","output":"prep.blob","disableExperimentalSEAWarning":true,"assets":{"cfg.json":"cfg.json"}}"#,
    )
    .unwrap();
    let run = |program: &Path, args: &[&str]| {
        let output = Command::new(program)
            .current_dir(&dir)
            .args(args)
            .output()
            .expect("run");
        assert!(
            output.status.success(),
            "{program:?} {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(&node, &["--experimental-sea-config", "sea.json"]);
    std::fs::copy(&node, dir.join("app")).unwrap();
    run(
        &node,
        &[
            postject.to_str().unwrap(),
            "app",
            "NODE_SEA_BLOB",
            "prep.blob",
            "--sentinel-fuse",
            "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2",
        ],
    );
    let app = std::fs::read(dir.join("app")).unwrap();
    std::fs::remove_dir_all(&dir).ok();

    let opened = open("app", &app, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.format, Format::NodeSea);
    opened.assert_read("app.js", script.as_bytes());
    opened.assert_read("assets/cfg.json", b"{\"endpoint\":\"https://cfg.example.com\"}");
}
