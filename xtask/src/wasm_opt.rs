//! Shrinks the page's WebAssembly with binaryen's `wasm-opt -Oz`, from the npm package
//! `binaryen` at a pinned version, installed once into `target/binaryen/` with npm. Without
//! npm, or if the optimised module is not sound, the page is built all the same, only larger.
//!
//! Why npm and not Debian's `binaryen` (version 108, the way the browser tests' Chromium comes):
//! binaryen before 109 binds an exported table to the wrong table when a module has two, and
//! wasm-bindgen's output has two (functions, and the `externref` table its glue grows and fills),
//! so the page would not start. Newer binaryen has been seen to do the same on other modules, so
//! every optimised module is checked: its exported tables must keep their element types.
//!
//! `-Oz` makes the module about a tenth smaller (4.38 MB to 4.03 MB in November 2026), and the
//! page carries it as base64 in both builds. On the module rustc builds for speed (opt-level 3,
//! SIMD), `-O3` was no faster than `-Oz` in Node on the corpus (gemini-cli analysed in 4.11 s
//! with either, claude-code unpacked in 1.34 s with either), and 1 % larger.
//! It takes a minute on two cores (the npm package is binaryen compiled to WebAssembly, run by
//! Node), so the result is kept in `target/wasm-opt/` under a digest of its input, wasm-opt's
//! version and its flags: building again with no change to the Rust code costs nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use wasmparser::{ExternalKind, Parser, Payload, TypeRef};

/// The npm package `binaryen` the build uses.
const BINARYEN: &str = "132.0.0";

/// What rustc's default wasm32 CPU lets the compiler use, and SIMD, which `.cargo/config.toml`
/// turns on. wasm-bindgen rewrites the module's `target_features` section to name only
/// `reference-types`, so wasm-opt must be told the rest or it rejects the module (`memory.copy`
/// with bulk memory disabled, and so on).
const FEATURES: [&str; 7] = [
    "--enable-simd",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// For size: as fast as `-O3` on what the `wasm-release` profile compiles for speed.
const LEVEL: &str = "-Oz";

/// `wasm` optimised, or unchanged (with a note saying why) where that cannot be done soundly.
pub fn shrink(root: &Path, wasm: Vec<u8>) -> Vec<u8> {
    let Some((program, version)) = wasm_opt(root) else {
        eprintln!(
            "xtask: no wasm-opt (npm install binaryen@{BINARYEN} failed or there is no npm); \
             the page's WebAssembly is left as rustc made it"
        );
        return wasm;
    };
    let dir = root.join("target/wasm-opt");
    let key = {
        let mut digest = Sha256::new();
        digest.update(&wasm);
        digest.update(&version);
        digest.update(LEVEL);
        FEATURES.iter().for_each(|flag| digest.update(flag));
        digest.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let kept = dir.join(format!("{key}.wasm"));
    if let Ok(optimised) = std::fs::read(&kept) {
        eprintln!(
            "xtask: wasm-opt {LEVEL}: {} → {} bytes (kept from an earlier build)",
            wasm.len(),
            optimised.len()
        );
        return optimised;
    }
    let optimised = run_wasm_opt(&program, &dir, &wasm).and_then(|optimised| {
        let (before, after) = (exported_tables(&wasm)?, exported_tables(&optimised)?);
        if before != after {
            return Err(format!(
                "{version} changed the module's exported tables from {before:?} to {after:?}"
            ));
        }
        Ok(optimised)
    });
    match optimised {
        Ok(optimised) => {
            eprintln!(
                "xtask: wasm-opt {LEVEL} ({version}): {} → {} bytes",
                wasm.len(),
                optimised.len()
            );
            // Only the newest result is worth keeping.
            if let Ok(entries) = std::fs::read_dir(&dir) {
                for entry in entries.flatten() {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
            if let Err(error) = std::fs::write(&kept, &optimised) {
                eprintln!("xtask: cannot keep the optimised module in {}: {error}", dir.display());
            }
            optimised
        }
        Err(error) => {
            eprintln!("xtask: wasm-opt: {error}; the page's WebAssembly is left as rustc made it");
            wasm
        }
    }
}

/// The pinned wasm-opt and its `--version`, installing it first if it is not there yet.
fn wasm_opt(root: &Path) -> Option<(PathBuf, String)> {
    let prefix = root.join("target/binaryen");
    let program = prefix.join("node_modules/binaryen/bin/wasm-opt");
    let version = || {
        let output = Command::new("node").arg(&program).arg("--version").output().ok()?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
        (output.status.success() && version.contains(&format!("version {}", major(BINARYEN)))).then_some(version)
    };
    if let Some(version) = version() {
        return Some((program, version));
    }
    eprintln!(
        "xtask: installing binaryen {BINARYEN} from npm into {}",
        prefix.display()
    );
    let installed = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
        .arg(&prefix)
        .arg(format!("binaryen@{BINARYEN}"))
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        return None;
    }
    version().map(|version| (program, version))
}

fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

fn run_wasm_opt(program: &Path, dir: &Path, wasm: &[u8]) -> Result<Vec<u8>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let input = dir.join("input.wasm.tmp");
    let output = dir.join("output.wasm.tmp");
    std::fs::write(&input, wasm).map_err(|e| format!("cannot write {}: {e}", input.display()))?;
    eprintln!("xtask: wasm-opt {LEVEL} (about a minute on two cores)");
    let status = Command::new("node")
        .arg(program)
        .arg(LEVEL)
        .args(FEATURES)
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .status()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let optimised = std::fs::read(&output);
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
    if !status.success() {
        return Err(format!("it failed ({status})"));
    }
    optimised.map_err(|e| format!("it wrote nothing readable: {e}"))
}

/// Each exported table's name and element type: what wasm-bindgen's glue relies on.
fn exported_tables(wasm: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut element_types = Vec::new();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if let TypeRef::Table(table) = import.map_err(|e| e.to_string())?.ty {
                        element_types.push(table.element_type);
                    }
                }
            }
            Payload::TableSection(tables) => {
                for table in tables {
                    element_types.push(table.map_err(|e| e.to_string())?.ty.element_type);
                }
            }
            Payload::ExportSection(section) => {
                for export in section {
                    let export = export.map_err(|e| e.to_string())?;
                    if export.kind == ExternalKind::Table {
                        exports.push((export.name.to_string(), export.index));
                    }
                }
            }
            _ => {}
        }
    }
    exports
        .into_iter()
        .map(|(name, index)| match element_types.get(index as usize) {
            Some(element_type) => Ok((name, format!("{element_type}"))),
            None => Err(format!("the export {name} names table {index}, which does not exist")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::exported_tables;

    /// A module with a function table and an `externref` table, the second exported, as
    /// wasm-bindgen writes it.
    fn two_tables(exported: u8) -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        // Table section: funcref, 1 to 1 elements; externref, at least 1.
        wasm.extend([4, 8, 2, 0x70, 1, 1, 1, 0x6f, 0, 1]);
        // Export section: "t" → table `exported`.
        wasm.extend([7, 5, 1, 1, b't', 1, exported]);
        wasm
    }

    #[test]
    fn an_export_moved_to_the_other_table_is_seen() {
        let right = exported_tables(&two_tables(1)).unwrap();
        let wrong = exported_tables(&two_tables(0)).unwrap();
        assert_eq!(right, [("t".to_string(), "externref".to_string())]);
        assert_ne!(right, wrong);
    }
}
