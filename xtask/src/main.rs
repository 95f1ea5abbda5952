//! The project's own tasks, run as `cargo xtask <task>` (an alias in `.cargo/config.toml`):
//!
//! - `serve [--port N]`: build the page and serve `dist/` on localhost;
//! - `dist`: build the page into `dist/` (files for any static host, plus the self-contained
//!   `dist/telltale.html`);
//! - `test`: every check CI runs: fmt, clippy (native and wasm32), the test suites, the page build
//!   and the browser tests (installing Chromium and ChromeDriver when missing).
//!
//! wasm-bindgen runs as a library here, pinned to the same version as the page's `wasm-bindgen`,
//! so no separately installed `wasm-bindgen-cli` can ever mismatch.

mod page;
mod wasm_opt;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    match args.first().map(String::as_str) {
        Some("serve") => {
            let port = flag_value(&args, "--port").unwrap_or_else(|| "8080".to_string());
            let dist = root.join("dist");
            page::build(&root, &dist)?;
            page::serve(&dist, &port)
        }
        Some("dist") => page::build(&root, &root.join("dist")),
        Some("test") => test(&root),
        _ => bail!("usage: cargo xtask serve [--port N] | dist | test"),
    }
}

fn flag_value(args: &[String], flag: &str) -> Option<String> {
    let at = args.iter().position(|a| a == flag)?;
    args.get(at + 1).cloned()
}

/// The workspace root (xtask lives one level below it).
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Runs a command in the project root, failing with its name when it fails.
fn run(root: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    eprintln!("xtask: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Everything CI checks, in the order that fails fastest.
fn test(root: &Path) -> Result<()> {
    let cargo = cargo();
    run(root, &cargo, &["fmt", "--all", "--", "--check"], &[])?;
    run(
        root,
        &cargo,
        &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
        &[],
    )?;
    run(
        root,
        &cargo,
        &[
            "clippy",
            "-p",
            "telltale",
            "-p",
            "telltale-www",
            // The CLI binary is native only; the libraries are what the page runs.
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    run(root, &cargo, &["test", "--workspace"], &[])?;
    let dist = root.join("dist");
    page::build(root, &dist)?;
    page::ensure_chromium()?;
    let dist_text = dist.to_string_lossy().into_owned();
    run(
        root,
        &cargo,
        &["test", "--test", "browser", "--", "--ignored", "--test-threads=1"],
        &[("TELLTALE_DIST", &dist_text)],
    )?;
    eprintln!("xtask: all checks passed");
    Ok(())
}
