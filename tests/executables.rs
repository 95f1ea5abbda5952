//! Compiled executables: the JavaScript that Bun, Node.js, `deno compile` and pkg embed in ELF,
//! Mach-O and PE files is opened like a nested archive, and other binaries yield their strings.
//! The executables are built in code (tests/support/executables.rs, and the pkg and Deno layouts
//! below), plus real `bun build --compile`, Node.js SEA, pkg and `deno compile` output when the
//! tools can be installed from the npm registry.

mod support;

use std::collections::BTreeMap;
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

// --- pkg ---------------------------------------------------------------------------------------

/// pkg's codecs, as its `DOCOMPRESS` numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PkgCompression {
    None = 0,
    Gzip = 1,
    Zstd = 3,
}

/// One file of a pkg snapshot: its path, content (source) and V8 bytecode.
type PkgFile<'a> = (&'a str, Option<&'a [u8]>, Option<&'a [u8]>);

/// A pkg executable as `lib/producer.ts` lays it out: the program, the payload (one stripe per
/// store, compressed on its own), and the prelude whose last lines are the JSON arguments. With
/// compression, paths are shortened through the dictionary as `makeKey` does.
fn pkg_executable(files: &[PkgFile<'_>], compression: PkgCompression) -> Vec<u8> {
    let mut dictionary: BTreeMap<String, String> = BTreeMap::new();
    let mut key = |path: &str| {
        if compression == PkgCompression::None {
            return path.to_string();
        }
        let parts: Vec<String> = path
            .split('/')
            .map(|part| {
                let next = dictionary.len();
                dictionary
                    .entry(part.to_string())
                    .or_insert_with(|| format!("{next:x}"))
                    .clone()
            })
            .collect();
        parts.join("/")
    };
    let mut payload = Vec::new();
    let mut vfs = serde_json::Map::new();
    for (path, content, bytecode) in files {
        let mut stores = serde_json::Map::new();
        for (store, data) in [("0", bytecode), ("1", content)] {
            let Some(data) = data else { continue };
            let stored = match compression {
                PkgCompression::None => data.to_vec(),
                PkgCompression::Gzip => gzip(data),
                PkgCompression::Zstd => {
                    ruzstd::encoding::compress_to_vec(*data, ruzstd::encoding::CompressionLevel::Fastest)
                }
            };
            stores.insert(store.into(), serde_json::json!([payload.len(), stored.len()]));
            payload.extend(stored);
        }
        // A stat record, as pkg stores for every file.
        stores.insert("3".into(), serde_json::json!([payload.len(), 2]));
        payload.extend(b"{}");
        vfs.insert(key(path), stores.into());
    }
    let mut file = elf(&[(".text", b"\x90\xc3")], None);
    file.extend(b"// PAYLOAD_POSITION //");
    file.extend(payload);
    file.extend(
        b"(function(process, require, console, EXECPATH_FD, PAYLOAD_POSITION, PAYLOAD_SIZE) { return (function (REQUIRE_COMMON, VIRTUAL_FILESYSTEM, DEFAULT_ENTRYPOINT, SYMLINKS, DICT, DOCOMPRESS) {\n  bootstrap();\n})(function (exports) {\n  common();\n},\n",
    );
    let arguments = [
        serde_json::Value::from(vfs).to_string(),
        format!("{:?}", files[0].0),
        "{}".to_string(),
        serde_json::to_string(&dictionary).unwrap(),
        (compression as u8).to_string(),
    ];
    file.extend(arguments.join("\n,\n").as_bytes());
    file.extend(b"\n);\n})");
    file
}

const PKG_INDEX: &[u8] =
    b"const os = require('os');\nrequire('https').get('https://pkg.example.com/t?h=' + os.hostname());\n";
const PKG_LABEL: &[u8] = b"exports.label = (t) => '[tool] ' + t;\n";

fn pkg_files() -> [PkgFile<'static>; 3] {
    [
        ("/snapshot/app/index.js", Some(PKG_INDEX), None),
        ("/snapshot/app/lib/label.js", Some(PKG_LABEL), None),
        ("/snapshot/app/package.json", Some(b"{\"name\":\"app\"}"), None),
    ]
}

fn assert_pkg_files(opened: &support::Opened, prefix: &str) {
    opened.assert_read(&format!("{prefix}snapshot/app/index.js"), PKG_INDEX);
    opened.assert_read(&format!("{prefix}snapshot/app/lib/label.js"), PKG_LABEL);
    opened.assert_read(&format!("{prefix}snapshot/app/package.json"), b"{\"name\":\"app\"}");
}

#[test]
fn pkg_snapshot_in_a_linux_executable() {
    let tool = pkg_executable(&pkg_files(), PkgCompression::None);
    let tgz = gzip(
        &Tar::new()
            .file(b"package/package.json", b"{}")
            .file(b"package/bin/tool", &tool)
            .finish(),
    );
    let opened = open("tool-linux-x64.tgz", &tgz, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.member("package/bin/tool").archive, Some(Format::Pkg));
    assert_pkg_files(&opened, "package/bin/tool!/");
}

#[test]
fn pkg_compressed_payloads_with_shortened_paths() {
    for compression in [PkgCompression::Gzip, PkgCompression::Zstd] {
        let tool = pkg_executable(&pkg_files(), compression);
        let opened = open("tool", &tool, Limits::default());
        opened.assert_errors(&[]);
        assert_eq!(opened.format, Format::Pkg, "{compression:?}");
        assert_pkg_files(&opened, "");
    }
}

#[test]
fn pkg_bytecode_only_files_are_opaque_and_give_their_strings() {
    let bytecode = b"\xc0\xde\x05\x00\x00https://bytecode.example.com/collect\x00\x03userAgentHeader\x00";
    let files = [
        ("/snapshot/app/index.js", None, Some(&bytecode[..])),
        // With both, the source is what is read.
        (
            "/snapshot/app/public.js",
            Some(b"module.exports = 1;\n".as_slice()),
            Some(b"\x01\x02".as_slice()),
        ),
    ];
    let tool = pkg_executable(&files, PkgCompression::Gzip);
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.member("snapshot/app/index.js").archive, Some(Format::Opaque));
    opened.assert_read(
        "snapshot/app/index.js!/strings.js",
        b"\"https://bytecode.example.com/collect\";\n\"userAgentHeader\";\n",
    );
    opened.assert_read("snapshot/app/public.js", b"module.exports = 1;\n");
}

#[test]
fn pkg_files_are_analysed_like_any_bundle() {
    let tool = pkg_executable(&pkg_files(), PkgCompression::Gzip);
    let report = scan(
        Input::Bytes {
            name: "tool",
            bytes: &tool,
        },
        &ScanOptions::default(),
        &mut |_| {},
    );
    assert_eq!(report.package.format, Format::Pkg);
    let endpoint = report
        .endpoints
        .iter()
        .find(|e| e.host == "pkg.example.com")
        .expect("the file's endpoint");
    assert_eq!(endpoint.files, ["snapshot/app/index.js"]);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.file == "snapshot/app/index.js" && f.rule.starts_with("TT-ID")),
        "the host name read in the file: {:#?}",
        report.findings
    );
}

// --- deno compile --------------------------------------------------------------------------------

const DENO_MAIN: &[u8] = b"import { label } from './lib/label.ts';\nimport os from 'node:os';\n\
    await fetch('https://deno.example.com/v1', { method: 'POST', body: os.hostname() });\nconsole.log(label('ready'));\n";
const DENO_LABEL: &[u8] = b"export const label = (t: string): string => `[tool] ${t}`;\n";
const DENO_REMOTE: &[u8] = b"export const red = (s) => `\\x1b[31m${s}\\x1b[39m`;\n";

fn sized_u64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend((bytes.len() as u64).to_le_bytes());
    out.extend(bytes);
}

fn sized_u32(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend((bytes.len() as u32).to_le_bytes());
    out.extend(bytes);
}

/// A Deno 2.2+ data section as `serialize_binary_data_section` writes it: `files` in the virtual
/// file system (directories from their paths, short JSON keys), `remote` modules in the store.
fn deno_section(files: &[(&str, &[u8])], remote: &[(&str, &[u8])]) -> Vec<u8> {
    #[derive(Default)]
    struct Directory {
        files: Vec<(String, usize, usize)>,
        directories: BTreeMap<String, Directory>,
    }
    fn json(directory: &Directory) -> serde_json::Value {
        let mut entries: Vec<serde_json::Value> = directory
            .directories
            .iter()
            .map(|(name, sub)| serde_json::json!({"Dir": {"n": name, "e": json(sub)}}))
            .collect();
        for (name, offset, length) in &directory.files {
            entries.push(serde_json::json!({"File": {"n": name, "o": [offset, length], "u": true, "t": 0}}));
        }
        entries.into()
    }
    let mut root = Directory::default();
    let mut data = Vec::new();
    for (path, source) in files {
        let mut parts: Vec<&str> = path.split('/').collect();
        let name = parts.pop().unwrap();
        let directory = parts.into_iter().fold(&mut root, |dir, part| {
            dir.directories.entry(part.to_string()).or_default()
        });
        directory.files.push((name.to_string(), data.len(), source.len()));
        data.extend_from_slice(source);
    }
    let mut out = b"d3n0l4nd".to_vec();
    sized_u64(&mut out, br#"{"argv":[],"entrypoint_key":"main.ts"}"#);
    sized_u64(&mut out, b"");
    out.extend((remote.len() as u32).to_le_bytes());
    for (id, (specifier, _)) in remote.iter().enumerate() {
        sized_u32(&mut out, specifier.as_bytes());
        out.extend((id as u32).to_le_bytes());
    }
    out.extend(0u32.to_le_bytes()); // redirects
    out.extend((remote.len() as u32).to_le_bytes());
    for (id, (_, source)) in remote.iter().enumerate() {
        out.extend((id as u32).to_le_bytes());
        out.push(0); // JavaScript
        sized_u32(&mut out, source);
        out.push(0); // no transpiled code, source map or CJS analysis
    }
    sized_u64(&mut out, json(&root).to_string().as_bytes());
    sized_u64(&mut out, &data);
    out.extend(b"d3n0l4nd");
    out
}

fn deno_program() -> Vec<u8> {
    deno_section(
        &[("main.ts", DENO_MAIN), ("lib/label.ts", DENO_LABEL)],
        &[("https://jsr.io/@std/fmt/1.0.0/colors.js", DENO_REMOTE)],
    )
}

fn assert_deno_modules(opened: &support::Opened, prefix: &str) {
    opened.assert_read(&format!("{prefix}main.ts"), DENO_MAIN);
    opened.assert_read(&format!("{prefix}lib/label.ts"), DENO_LABEL);
    opened.assert_read(&format!("{prefix}https/jsr.io/@std/fmt/1.0.0/colors.js"), DENO_REMOTE);
}

/// An ELF executable carrying `section` as libsui's note: owner `SUI`, type 0x53554901, and a
/// descriptor of the u16-sized section name and the data.
fn sui_elf(section: &[u8]) -> Vec<u8> {
    let mut desc = 8u16.to_le_bytes().to_vec();
    desc.extend(b"d3n0l4nd");
    desc.extend(section);
    let mut file = elf(&[(".text", b"\x90\xc3")], Some(("SUI", &desc)));
    // The note's type: 8 bytes into the note the program header points at.
    let note_at = u64::from_le_bytes(file[72..80].try_into().unwrap()) as usize;
    file[note_at + 8..note_at + 12].copy_from_slice(&0x5355_4901u32.to_le_bytes());
    file
}

#[test]
fn deno_program_in_an_elf_note() {
    let tool = sui_elf(&deno_program());
    let tgz = gzip(
        &Tar::new()
            .file(b"package/package.json", b"{}")
            .file(b"package/bin/tool", &tool)
            .finish(),
    );
    let opened = open("tool-linux-x64.tgz", &tgz, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.member("package/bin/tool").archive, Some(Format::Deno));
    assert_deno_modules(&opened, "package/bin/tool!/");
}

#[test]
fn deno_program_in_a_mach_o_section_and_a_pe_resource() {
    let section = deno_program();
    for (name, tool) in [
        ("tool", macho("__SUI", "d3n0l4nd", &section)),
        ("tool.exe", pe(&[(".text", b"\xc3")], Some(("D3N0L4ND", &section)))),
    ] {
        let opened = open(name, &tool, Limits::default());
        opened.assert_errors(&[]);
        assert_eq!(opened.format, Format::Deno, "{name}");
        assert_deno_modules(&opened, "");
    }
}

/// An eszip 2.0 (SHA-256 digests, here zeros: they are not checked) of (specifier, source).
fn eszip_v2(modules: &[(&str, &[u8])]) -> Vec<u8> {
    let sized_be = |out: &mut Vec<u8>, bytes: &[u8]| {
        out.extend((bytes.len() as u32).to_be_bytes());
        out.extend(bytes);
    };
    let mut header = Vec::new();
    let mut sources = Vec::new();
    for (specifier, source) in modules {
        sized_be(&mut header, specifier.as_bytes());
        header.push(0);
        header.extend((sources.len() as u32).to_be_bytes());
        header.extend((source.len() as u32).to_be_bytes());
        header.extend([0u8; 8]);
        header.push(0);
        sources.extend_from_slice(source);
        sources.extend([0u8; 32]);
    }
    let mut out = b"ESZIP_V2".to_vec();
    sized_be(&mut out, &header);
    out.extend([0u8; 32]);
    sized_be(&mut out, &sources);
    sized_be(&mut out, b"");
    out
}

const ESZIP_MAIN: &[u8] =
    b"import { red } from 'https://deno.land/std@0.200.0/fmt/colors.ts';\nconsole.log(red('hi'));\n";

fn eszip() -> Vec<u8> {
    eszip_v2(&[
        ("file:///home/dev/app/main.ts", ESZIP_MAIN),
        ("https://deno.land/std@0.200.0/fmt/colors.ts", DENO_REMOTE),
    ])
}

fn assert_eszip_modules(opened: &support::Opened) {
    opened.assert_read("home/dev/app/main.ts", ESZIP_MAIN);
    opened.assert_read("https/deno.land/std@0.200.0/fmt/colors.ts", DENO_REMOTE);
}

#[test]
fn deno_1_x_program_appended_with_its_trailer() {
    // Deno 1.34 to 1.45: eszip, metadata, npm file system, npm files, 40-byte trailer.
    let program = elf(&[(".text", b"\x90\xc3")], None);
    let eszip = eszip();
    let metadata = br#"{"argv":[]}"#;
    let npm_vfs = br#"{"name":"node_modules","entries":[{"Dir":{"name":"chalk","entries":[{"File":{"name":"index.js","offset":0,"len":12}}]}}]}"#;
    let mut tool = program.clone();
    let positions = [
        tool.len(),
        tool.len() + eszip.len(),
        tool.len() + eszip.len() + metadata.len(),
        tool.len() + eszip.len() + metadata.len() + npm_vfs.len(),
    ];
    tool.extend(&eszip);
    tool.extend(metadata);
    tool.extend(npm_vfs);
    tool.extend(b"chalk.red();");
    tool.extend(b"d3n0l4nd");
    for position in positions {
        tool.extend((position as u64).to_be_bytes());
    }
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.format, Format::Deno);
    assert_eszip_modules(&opened);
    opened.assert_read("node_modules/chalk/index.js", b"chalk.red();");

    // Deno 1.20 to 1.33: eszip, metadata, 24-byte trailer.
    let mut tool = program;
    let positions = [tool.len(), tool.len() + eszip.len()];
    tool.extend(&eszip);
    tool.extend(metadata);
    tool.extend(b"d3n0l4nd");
    for position in positions {
        tool.extend((position as u64).to_be_bytes());
    }
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[]);
    assert_eszip_modules(&opened);

    // Deno 1.7 to 1.19: a JavaScript bundle where the eszip would be.
    let mut tool = elf(&[(".text", b"\x90\xc3")], None);
    let bundle = b"fetch('https://bundle.example.com');\n";
    let positions = [tool.len(), tool.len() + bundle.len()];
    tool.extend(bundle);
    tool.extend(metadata);
    tool.extend(b"d3n0l4nd");
    for position in positions {
        tool.extend((position as u64).to_be_bytes());
    }
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[]);
    opened.assert_read("bundle.js", bundle);
}

#[test]
fn deno_2_0_section_appended_by_older_libsui() {
    // The 40-byte header with positions after it, then eszip and metadata; libsui before 0.13
    // appended the section, its magic 0x501e, the name's hash and the length.
    let eszip = eszip();
    let metadata = br#"{"argv":[]}"#;
    let mut section = b"d3n0l4nd".to_vec();
    for position in [
        0,
        eszip.len(),
        eszip.len() + metadata.len(),
        eszip.len() + metadata.len() + 4,
    ] {
        section.extend((position as u64).to_be_bytes());
    }
    section.extend(&eszip);
    section.extend(metadata);
    section.extend(b"null");
    let mut tool = elf(&[(".text", b"\x90\xc3")], None);
    tool.extend(&section);
    tool.extend(0x501eu32.to_le_bytes());
    tool.extend(b"d3n0l4nd".iter().map(|&b| u32::from(b)).sum::<u32>().to_le_bytes());
    tool.extend((section.len() as u64 + 16).to_le_bytes());
    let opened = open("tool", &tool, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.format, Format::Deno);
    assert_eszip_modules(&opened);
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
fn a_pkg_prelude_cut_short_is_reported_and_the_executable_read_for_strings() {
    let mut tool = pkg_executable(&pkg_files(), PkgCompression::None);
    tool.truncate(tool.len() - 3);
    let opened = open("tool", &tool, Limits::default());
    assert_eq!(opened.format, Format::Opaque);
    opened.assert_errors(&[("tool", "pkg payload: the prelude does not end as pkg ends it")]);
    assert!(opened.paths().contains(&"strings.js"));
}

#[test]
fn a_pkg_payload_claiming_more_than_the_file_is_reported() {
    let tool = pkg_executable(&pkg_files(), PkgCompression::None);
    // The first stripe's length, now eight terabytes.
    let lying = replace_once(
        &tool,
        format!("[0,{}]", PKG_INDEX.len()).as_bytes(),
        b"[0,8796093022208]",
    );
    let opened = open("tool", &lying, Limits::default());
    assert_eq!(opened.format, Format::Opaque);
    opened.assert_errors(&[("tool", "more than precedes the prelude")]);
}

#[test]
fn a_pkg_stripe_that_inflates_past_the_budget_is_cut_and_reported() {
    let bomb = vec![b' '; 4 << 20];
    let files = [("/snapshot/app/index.js", Some(bomb.as_slice()), None)];
    let tool = pkg_executable(&files, PkgCompression::Gzip);
    assert!(tool.len() < 64 << 10, "the bomb is small: {}", tool.len());
    let opened = open("tool", &tool, small_limits());
    assert_eq!(opened.format, Format::Pkg);
    opened.assert_errors(&[("snapshot/app/index.js", "inflates past its allowance of 256.0 KiB")]);
    assert_eq!(opened.member("snapshot/app/index.js").data.len(), 256 << 10);
}

#[test]
fn a_damaged_pkg_stripe_is_reported_and_the_rest_read() {
    let mut tool = pkg_executable(&pkg_files(), PkgCompression::Gzip);
    // The first stripe starts right after the placeholder text: break its gzip header.
    let at = memchr_find(&tool, b"// PAYLOAD_POSITION //") + 22;
    tool[at..at + 4].copy_from_slice(b"oops");
    let opened = open("tool", &tool, Limits::default());
    assert_eq!(opened.format, Format::Pkg);
    opened.assert_errors(&[("snapshot/app/index.js", "damaged data")]);
    opened.assert_read("snapshot/app/lib/label.js", PKG_LABEL);
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

/// `bytes` with the first `from` replaced by `to`.
fn replace_once(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = memchr_find(bytes, from);
    [&bytes[..at], to, &bytes[at + from.len()..]].concat()
}

#[test]
fn a_deno_section_cut_short_is_reported() {
    let mut section = deno_program();
    section.truncate(section.len() - 4);
    let opened = open("tool", &sui_elf(&section), Limits::default());
    assert_eq!(opened.format, Format::Opaque);
    opened.assert_errors(&[("tool", "deno compile program: the closing `d3n0l4nd` is missing")]);
}

#[test]
fn a_deno_file_outside_the_file_data_is_reported() {
    // main.ts's length, all nines: as many digits, so the section's sizes still hold.
    let length = DENO_MAIN.len().to_string();
    let lying = replace_once(
        &deno_program(),
        format!("\"o\":[0,{length}]").as_bytes(),
        format!("\"o\":[0,{}]", "9".repeat(length.len())).as_bytes(),
    );
    let opened = open("tool", &sui_elf(&lying), Limits::default());
    opened.assert_errors(&[("tool", "main.ts lies outside the file data")]);
}

#[test]
fn a_deno_trailer_pointing_outside_the_file_is_reported() {
    let mut tool = elf(&[(".text", b"\x90\xc3")], None);
    tool.extend(b"d3n0l4nd");
    tool.extend(u64::MAX.to_be_bytes());
    tool.extend((1u64 << 40).to_be_bytes());
    let opened = open("tool", &tool, Limits::default());
    assert_eq!(opened.format, Format::Opaque);
    opened.assert_errors(&[("tool", "deno compile program: the eszip lies outside the file")]);
}

#[test]
fn a_deno_remote_module_count_of_billions_is_reported() {
    let mut section = b"d3n0l4nd".to_vec();
    sized_u64(&mut section, b"{}");
    sized_u64(&mut section, b"");
    section.extend(1u32.to_le_bytes());
    sized_u32(&mut section, b"https://x.example/a.js");
    section.extend(0u32.to_le_bytes()); // its id
    section.extend(0u32.to_le_bytes()); // redirects
    section.extend(u32::MAX.to_le_bytes());
    // Six empty records of module 0, then the data ends.
    section.extend([0u8; 64]);
    let opened = open("tool", &sui_elf(&section), Limits::default());
    opened.assert_errors(&[("tool", "deno compile program: the remote module table is cut short")]);
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
        pkg_executable(&pkg_files(), PkgCompression::Gzip),
        sui_elf(&deno_program()),
        pe(&[(".text", b"\xc3")], Some(("D3N0L4ND", &deno_program()))),
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

// --- real pkg output ------------------------------------------------------------------------------

/// The pkg release the real fixtures are packed with.
const PKG_VERSION: &str = "6.23.0";

/// Installs `package@version` from the npm registry into the test cache (once) and returns the
/// folder it was installed in; `None`, with the reason printed, when the registry cannot be
/// reached.
fn npm_install(package: &str, version: &str, installed_file: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{version}", package.replace('/', "+")));
    if dir.join(installed_file).is_file() {
        return Some(dir);
    }
    std::fs::create_dir_all(&dir).expect("create the npm cache folder");
    let installed = Command::new("npm")
        .args(["install", "--no-save", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg(format!("{package}@{version}"))
        .output();
    match installed {
        Ok(output) if output.status.success() && dir.join(installed_file).is_file() => Some(dir),
        Ok(output) => {
            println!(
                "skipped: `npm install {package}@{version}` failed (registry unreachable?): {}",
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

/// Packs `dir/index.js` with pkg. pkg downloads its patched Node.js base binaries from GitHub,
/// which this test cannot count on, so the base is a shell script that runs the machine's
/// `node` (pkg runs the base to make bytecode) and carries the five placeholders pkg fills in.
/// The payload and prelude pkg appends are its own; the script is then swapped for a minimal ELF
/// program, since where the payload starts follows from the prelude, not from the base.
fn pkg_pack(pkg: &Path, dir: &Path, args: &[&str]) -> Vec<u8> {
    let mut base = b"#!/bin/sh\nexec node \"$@\"\n# // PAYLOAD_POSITION // // PAYLOAD_SIZE // // PRELUDE_POSITION // // PRELUDE_SIZE //\n#\0".to_vec();
    base.extend(b"// BAKERY ".repeat(20));
    base.push(b'\n');
    let base_path = dir.join("base.sh");
    std::fs::write(&base_path, &base).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&base_path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let output = Command::new("node")
        .current_dir(dir)
        .env("PKG_NODE_PATH", &base_path)
        .env("PKG_CACHE_PATH", dir.join("cache"))
        .arg(pkg.join("node_modules/@yao-pkg/pkg/lib-es5/bin.js"))
        .args(["--target", "node20-linux-x64", "--output", "tool"])
        .args(args)
        .arg("index.js")
        .output()
        .expect("run pkg");
    assert!(
        output.status.success(),
        "pkg failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let packed = std::fs::read(dir.join("tool")).expect("packed executable");
    assert!(packed.starts_with(&base[..10]), "pkg put the base first");
    let mut tool = elf(&[(".text", b"\x90\xc3")], None);
    tool.extend_from_slice(&packed[base.len()..]);
    tool
}

#[test]
fn real_pkg_output_lists_sources_and_bytecode() {
    let Some(pkg) = npm_install("@yao-pkg/pkg", PKG_VERSION, "node_modules/@yao-pkg/pkg/lib-es5/bin.js") else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("pkg-pack-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let index = "const os = require('os');\nconst { label } = require('./lib/label');\n\
                 fetch('https://telemetry.example.com/v1/events', { method: 'POST', body: os.hostname() });\n\
                 console.log(label('ready'));\n";
    let label = "exports.label = (text) => '[tool] ' + text;\n";
    std::fs::write(dir.join("index.js"), index).unwrap();
    std::fs::write(dir.join("lib/label.js"), label).unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"name":"app","version":"1.0.0","bin":"index.js"}"#,
    )
    .unwrap();

    // Sources kept (`--public`, no bytecode), compressed with Brotli; paths shortened.
    let sources = pkg_pack(&pkg, &dir, &["--no-bytecode", "--public", "--compress", "Brotli"]);
    // The default: V8 bytecode only, gzip.
    let bytecode = pkg_pack(&pkg, &dir, &["--compress", "GZip"]);
    std::fs::remove_dir_all(&dir).ok();

    // pkg names the snapshot's folder after the project's.
    let root = format!("snapshot/{}", dir.file_name().unwrap().to_string_lossy());
    let opened = open("tool", &sources, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.format, Format::Pkg);
    opened.assert_read(&format!("{root}/index.js"), index.as_bytes());
    opened.assert_read(&format!("{root}/lib/label.js"), label.as_bytes());
    assert!(opened.paths().contains(&format!("{root}/package.json").as_str()));

    let opened = open("tool", &bytecode, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.format, Format::Pkg);
    let module = opened.member(&format!("{root}/index.js"));
    assert_eq!(module.archive, Some(Format::Opaque), "bytecode only");
    let strings = opened.member(&format!("{root}/index.js!/strings.js"));
    let strings = String::from_utf8_lossy(&strings.data);
    assert!(
        strings.contains("\"https://telemetry.example.com/v1/events\";"),
        "{strings}"
    );
}

// --- real `deno compile` output ---------------------------------------------------------------------

/// The Deno release the real fixture is compiled with (the 2.2+ data section layout).
const DENO_VERSION: &str = "2.9.6";

#[test]
fn real_deno_compile_output_lists_its_files() {
    let Some(deno) = npm_install("deno", DENO_VERSION, "node_modules/deno/package.json") else {
        return;
    };
    // The npm package runs its platform package's binary.
    let Some(executable) = ["node_modules/@deno/linux-x64-glibc/deno", "node_modules/deno/deno"]
        .iter()
        .map(|path| deno.join(path))
        .find(|path| path.is_file())
    else {
        println!("skipped: no Deno binary for this platform in the npm package");
        return;
    };
    // `deno compile` downloads its runtime (denort) from dl.deno.land, which this test cannot
    // count on; DENORT_BIN names a local one. The data section Deno writes is the same whatever
    // the runtime; any small ELF program will carry it (`/bin/true` here).
    let runtime = Path::new("/bin/true");
    if !runtime.is_file() {
        println!("skipped: no /bin/true to carry the program");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("deno-compile-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let main = "import os from 'node:os';\nimport { label } from './lib/label.ts';\n\
                await fetch('https://telemetry.example.com/v1/events', { method: 'POST', body: os.hostname() });\n\
                console.log(label('ready'));\n";
    let label = "export function label(text: string): string {\n  return '[tool] ' + text;\n}\n";
    std::fs::write(dir.join("main.ts"), main).unwrap();
    std::fs::write(dir.join("lib/label.ts"), label).unwrap();
    let output = Command::new(&executable)
        .current_dir(&dir)
        .env("DENORT_BIN", runtime)
        .env("DENO_DIR", dir.join("deno-dir"))
        .env("NO_COLOR", "1")
        .args(["compile", "--no-check", "--output", "tool", "main.ts"])
        .output()
        .expect("run deno");
    assert!(
        output.status.success(),
        "deno compile failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tool = std::fs::read(dir.join("tool")).expect("compiled executable");
    std::fs::remove_dir_all(&dir).ok();

    let tgz = Tar::new()
        .file(b"package/package.json", b"{}")
        .file(b"package/bin/tool", &tool)
        .finish();
    let opened = open("tool-linux-x64.tar", &tgz, Limits::default());
    opened.assert_errors(&[]);
    assert_eq!(opened.member("package/bin/tool").archive, Some(Format::Deno));
    opened.assert_read("package/bin/tool!/main.ts", main.as_bytes());
    opened.assert_read("package/bin/tool!/lib/label.ts", label.as_bytes());

    let report = scan(
        Input::Bytes {
            name: "tool-linux-x64.tar",
            bytes: &tgz,
        },
        &ScanOptions::default(),
        &mut |_| {},
    );
    let module_path = "package/bin/tool!/main.ts";
    assert_eq!(
        report.files.iter().find(|f| f.path == module_path).map(|f| f.kind),
        Some(FileKind::Typescript)
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
