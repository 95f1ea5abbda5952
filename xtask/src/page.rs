//! Builds the page: compiles `www/` to WebAssembly, runs wasm-bindgen and wasm-opt (where it can
//! be had: `crate::wasm_opt`), and writes two outputs that behave the same:
//!
//! - `dist/` for a static host under any sub-path (relative URLs only): `index.html`,
//!   `style.css`, `telltale.js` (glue), `telltale_wasm.js` (the module, base64), `boot.js`
//!   (which carries the glue's text for the workers, so that they never load anything);
//! - `dist/telltale.html`, everything inlined, that works from `file://` with no network.
//!
//! Both carry a strict Content-Security-Policy (`default-src 'none'`, `connect-src 'none'`);
//! the single file allows its inline scripts and style by hash, never `'unsafe-inline'`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::{cargo, run, wasm_opt};

/// What every build of the page shares.
struct Assets {
    glue: String,
    wasm_base64: String,
    /// `www/boot.js` with the workers' bootstrap written in; each build adds where the
    /// workers get the glue from ([`Assets::boot`]).
    boot: String,
    style: String,
    template: String,
}

impl Assets {
    /// The page's boot script, `glue_source` a JavaScript expression for the glue's text.
    fn boot(&self, glue_source: &str) -> String {
        format!("const ENGINE_GLUE = {glue_source};\n{}", self.boot)
    }
}

pub fn build(root: &Path, dist: &Path) -> Result<()> {
    run(
        root,
        &cargo(),
        &[
            "build",
            "-p",
            "telltale-www",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
        ],
        &[],
    )?;
    let wasm_path = root.join("target/wasm32-unknown-unknown/wasm-release/telltale_www.wasm");
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen.input_path(&wasm_path).typescript(false).no_modules(true)?;
    let mut output = bindgen.generate_output().context("wasm-bindgen failed")?;
    let wasm = wasm_opt::shrink(root, output.wasm_mut().emit_wasm());
    let read = |path: &str| std::fs::read_to_string(root.join(path)).with_context(|| format!("cannot read {path}"));
    let worker_boot = read("www/worker-boot.js")?;
    let boot = read("www/boot.js")?;
    let assets = Assets {
        glue: output.js().to_string(),
        wasm_base64: base64::engine::general_purpose::STANDARD.encode(&wasm),
        // The workers are made from the page's own source, so their bootstrap travels with it.
        boot: format!("const WORKER_BOOT = {};\n{boot}", json_string(&worker_boot)),
        style: read("www/style.css")?,
        template: read("index.html")?,
    };
    std::fs::create_dir_all(dist)?;
    write_hosted(&assets, dist)?;
    write_single_file(&assets, &dist.join("telltale.html"))?;
    let size = |name: &str| std::fs::metadata(dist.join(name)).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "xtask: page built: wasm {} KiB; dist/ {} KiB; dist/telltale.html {} KiB",
        wasm.len() / 1024,
        ["index.html", "style.css", "telltale.js", "telltale_wasm.js", "boot.js"]
            .iter()
            .map(|n| size(n))
            .sum::<u64>()
            / 1024,
        size("telltale.html") / 1024
    );
    Ok(())
}

/// The policy both builds share; `scripts` and `styles` are the sources allowed for each.
/// Workers come from Blobs of the page's own source; the only image is the empty `data:` icon
/// that keeps browsers from asking for `/favicon.ico`.
fn csp(scripts: &str, styles: &str) -> String {
    format!(
        "default-src 'none'; script-src {scripts} 'wasm-unsafe-eval'; style-src {styles}; \
         worker-src blob:; connect-src 'none'; img-src data:; font-src 'none'; \
         base-uri 'none'; form-action 'none'; frame-src 'none'; object-src 'none'"
    )
}

fn write_hosted(assets: &Assets, dist: &Path) -> Result<()> {
    // Its own files by origin: a hash in the policy would allow an external script only with an
    // `integrity` attribute beside it, which not every browser honours that way.
    let html = assets
        .template
        .replace("{{CSP}}", &csp("'self'", "'self'"))
        .replace("{{STYLE}}", r#"<link rel="stylesheet" href="style.css">"#)
        .replace(
            "{{SCRIPTS}}",
            "<script src=\"telltale_wasm.js\"></script>\n<script src=\"telltale.js\"></script>\n<script src=\"boot.js\"></script>",
        );
    std::fs::write(dist.join("index.html"), html)?;
    std::fs::write(dist.join("style.css"), &assets.style)?;
    std::fs::write(dist.join("telltale.js"), &assets.glue)?;
    std::fs::write(dist.join("telltale_wasm.js"), wasm_script(assets))?;
    // The workers' glue travels inside boot.js: a worker started after the network went away
    // then needs nothing from the server.
    std::fs::write(dist.join("boot.js"), assets.boot(&json_string(&assets.glue)))?;
    Ok(())
}

fn write_single_file(assets: &Assets, path: &Path) -> Result<()> {
    let wasm = wasm_script(assets);
    // The glue is inline already: the workers take its text from there.
    let boot = assets.boot(r#"document.getElementById("tt-glue").textContent"#);
    let scripts = [wasm.as_str(), assets.glue.as_str(), boot.as_str()];
    let script_hashes: Vec<String> = scripts
        .iter()
        .map(|s| format!("'sha256-{}'", sha256_base64(s)))
        .collect();
    let style_hash = format!("'sha256-{}'", sha256_base64(&assets.style));
    let html = assets
        .template
        .replace("{{CSP}}", &csp(&script_hashes.join(" "), &style_hash))
        .replace("{{STYLE}}", &format!("<style>{}</style>", assets.style))
        .replace(
            "{{SCRIPTS}}",
            &format!(
                "<script>{}</script>\n<script id=\"tt-glue\">{}</script>\n<script>{}</script>",
                scripts[0], scripts[1], scripts[2]
            ),
        );
    for script in scripts {
        if script.contains("</script") {
            bail!("an inlined script contains </script and would end early");
        }
    }
    std::fs::write(path, html)?;
    Ok(())
}

fn wasm_script(assets: &Assets) -> String {
    format!("self.TELLTALE_WASM = \"{}\";\n", assets.wasm_base64)
}

fn sha256_base64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

/// A JavaScript string literal holding `text`.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '<' => out.push_str("\\u003c"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Serves `dist/` on localhost until interrupted.
pub fn serve(dist: &Path, port: &str) -> Result<()> {
    let address = format!("127.0.0.1:{port}");
    let server = tiny_http::Server::http(&address).map_err(|e| anyhow::anyhow!("cannot listen on {address}: {e}"))?;
    eprintln!("xtask: Telltale is at http://{address}/ (single file: http://{address}/telltale.html); Ctrl-C stops");
    for request in server.incoming_requests() {
        let url = request.url().split(['?', '#']).next().unwrap_or("/").to_string();
        let relative = url.trim_start_matches('/');
        let relative = if relative.is_empty() { "index.html" } else { relative };
        let response = if relative.split('/').any(|part| part == "..") {
            None
        } else {
            std::fs::read(dist.join(relative)).ok()
        };
        let result = match response {
            Some(body) => {
                let header =
                    tiny_http::Header::from_bytes("Content-Type", content_type(relative)).expect("valid header");
                request.respond(tiny_http::Response::from_data(body).with_header(header))
            }
            None => request.respond(tiny_http::Response::from_string("not found").with_status_code(404)),
        };
        if let Err(error) = result {
            eprintln!("xtask: {error}");
        }
    }
    Ok(())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Installs Debian's Chromium and ChromeDriver for the browser tests, once.
pub fn ensure_chromium() -> Result<()> {
    let present = |path: &str| Path::new(path).exists();
    if present("/usr/bin/chromium") && present("/usr/bin/chromedriver") {
        return Ok(());
    }
    eprintln!("xtask: installing chromium and chromium-driver from Debian");
    let install = || {
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "--no-install-recommends",
                "chromium",
                "chromium-driver",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
    };
    let installed = install().map(|s| s.success()).unwrap_or(false)
        || (Command::new("apt-get")
            .arg("update")
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
            && install().map(|s| s.success()).unwrap_or(false));
    if !installed || !present("/usr/bin/chromium") {
        bail!("could not install Chromium (apt-get install chromium chromium-driver); the browser tests need it");
    }
    Ok(())
}
