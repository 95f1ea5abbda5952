//! Analysis throughput and peak memory on the largest real bundles of the shared corpus.
//!
//! `cargo bench --bench analyse` unpacks the Claude Code 1.0.44 and Gemini CLI 0.61.0 npm
//! tarballs from `$TELLTALE_CORPUS` (default `~/.cache/telltale-corpus`) into memory with
//! `package::open`, then times `findings::analyze_file` on one thread over
//! (a) claude-code `package/cli.js` and (b) every gemini `package/bundle/*.js`, and finally
//! `scan::scan` on each whole tarball (unpack, manifests and analysis on all cores). It prints
//! MB/s and the peak heap each step needed on top of what was already live (the unpacked
//! package). `TELLTALE_BENCH_REPEATS` sets the repeats (default 3); the fastest run is shown.
//! Beside each input it times oxc alone (parse, then parse and semantic analysis with nodes), the
//! floor under which the analysis cannot go.

mod support;

use oxc::allocator::Allocator;
use oxc::parser::{ParseOptions, Parser};
use oxc::semantic::SemanticBuilder;
use oxc::span::SourceType;
use std::path::Path;
use std::time::{Duration, Instant};
use telltale::files::classify;
use telltale::findings::analyze_file;
use telltale::package::{self, Limits, Member, PackageError, Sink, human_bytes};
use telltale::rules::RuleSet;
use telltale::scan::{Input, ScanOptions, scan};

use support::{CountingAllocator, corpus_dir, repeats};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Keeps every member the package layer hands out, as the scanner does before analysis.
#[derive(Debug, Default)]
struct Unpacked {
    members: Vec<(String, Vec<u8>)>,
    errors: Vec<PackageError>,
}

impl Sink for Unpacked {
    fn member(&mut self, member: Member) {
        self.members.push((member.path, member.data));
    }
    fn error(&mut self, error: PackageError) {
        self.errors.push(error);
    }
}

/// A corpus package: its file name and bytes.
struct Package {
    name: String,
    bytes: Vec<u8>,
}

/// The best of several runs over the same input.
struct Measurement {
    files: usize,
    bytes: u64,
    findings: usize,
    errors: usize,
    best: Duration,
    peak_heap: usize,
}

impl Measurement {
    /// Nothing measured yet, over `files`.
    fn of(files: &[(&str, &[u8])]) -> Self {
        Measurement {
            files: files.len(),
            bytes: files.iter().map(|(_, data)| data.len() as u64).sum(),
            findings: 0,
            errors: 0,
            best: Duration::MAX,
            peak_heap: 0,
        }
    }
}

fn main() {
    let Some(corpus) = corpus_dir() else {
        println!("analyse bench skipped: no corpus (set TELLTALE_CORPUS or fill ~/.cache/telltale-corpus)");
        return;
    };
    let repeats = repeats();
    let (Some(claude), Some(gemini)) = (
        read_package(&corpus, "claude-code-1.0.44"),
        read_package(&corpus, "gemini-cli-0.61.0"),
    ) else {
        println!(
            "analyse bench skipped: {} lacks the claude-code 1.0.44 or gemini-cli 0.61.0 tarball",
            corpus.display()
        );
        return;
    };
    // Compile the shipped rules before any measurement.
    let rules = RuleSet::builtin();

    println!(
        "corpus {}, best of {repeats}, {} rules, {} threads for scan()",
        corpus.display(),
        rules.rules().len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    println!("analyze_file, one thread (peak heap on top of the unpacked package):");
    print_header("input");
    let claude_files = unpack(&claude);
    let cli = select(&claude_files, |path| path == "package/cli.js");
    print_row("claude-code 1.0.44 package/cli.js", &analyse(&cli, rules, repeats));
    print_floor(&cli, repeats);
    drop(claude_files);

    let gemini_files = unpack(&gemini);
    let bundle = select(&gemini_files, |path| {
        path.strip_prefix("package/bundle/")
            .is_some_and(|name| !name.contains('/') && name.ends_with(".js"))
    });
    print_row(
        "gemini-cli 0.61.0 package/bundle/*.js",
        &analyse(&bundle, rules, repeats),
    );
    print_floor(&bundle, repeats);
    let largest = bundle.iter().max_by_key(|(_, data)| data.len());
    if let Some((path, data)) = largest {
        print_row(
            &format!("  largest: {}", path.trim_start_matches("package/bundle/")),
            &analyse(&[(*path, *data)], rules, repeats),
        );
    }
    drop(gemini_files);

    println!();
    println!("scan(), whole tarball, all cores (MB/s of unpacked bytes; peak heap on top of the input):");
    print_header("package");
    for package in [&claude, &gemini] {
        print_row(&package.name, &scan_whole(package, repeats));
    }
}

/// The corpus file whose name contains `needle`.
fn read_package(corpus: &Path, needle: &str) -> Option<Package> {
    let entries = std::fs::read_dir(corpus).ok()?;
    let path = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.is_file() && p.file_name().is_some_and(|n| n.to_string_lossy().contains(needle)))?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    match std::fs::read(&path) {
        Ok(bytes) => Some(Package { name, bytes }),
        Err(error) => {
            println!("{name}: cannot read ({error})");
            None
        }
    }
}

fn unpack(package: &Package) -> Vec<(String, Vec<u8>)> {
    let mut unpacked = Unpacked::default();
    package::open(&package.name, &package.bytes, Limits::default(), &mut unpacked);
    for error in unpacked.errors.iter().take(3) {
        println!("    unpack error: {}: {}", error.file, error.message);
    }
    unpacked.members
}

fn select(members: &[(String, Vec<u8>)], wanted: impl Fn(&str) -> bool) -> Vec<(&str, &[u8])> {
    members
        .iter()
        .filter(|(path, _)| wanted(path))
        .map(|(path, data)| (path.as_str(), data.as_slice()))
        .collect()
}

/// Analyses `files` one after another, `repeats` times.
fn analyse(files: &[(&str, &[u8])], rules: &RuleSet, repeats: u32) -> Measurement {
    let mut measurement = Measurement::of(files);
    for _ in 0..repeats {
        let (mut findings, mut errors) = (0, 0);
        let baseline = CountingAllocator::reset_peak();
        let started = Instant::now();
        for (path, data) in files {
            let result = analyze_file(path, classify(path, data), data, rules);
            findings += result.findings.len();
            errors += result.errors.len();
        }
        measurement.best = measurement.best.min(started.elapsed());
        measurement.peak_heap = measurement.peak_heap.max(CountingAllocator::peak_since(baseline));
        (measurement.findings, measurement.errors) = (findings, errors);
    }
    measurement
}

/// What oxc alone costs on `files`: parsing, then parsing and building the semantic model with
/// its node list, as the analysis does.
fn print_floor(files: &[(&str, &[u8])], repeats: u32) {
    for (label, semantic) in [("  oxc parse only", false), ("  oxc parse + semantic", true)] {
        let mut measurement = Measurement::of(files);
        for _ in 0..repeats {
            let baseline = CountingAllocator::reset_peak();
            let started = Instant::now();
            let mut errors = 0;
            for (_, data) in files {
                let source = String::from_utf8_lossy(data);
                let allocator = Allocator::default();
                let options = ParseOptions {
                    allow_return_outside_function: true,
                    parse_regular_expression: false,
                    ..ParseOptions::default()
                };
                let parsed = Parser::new(&allocator, &source, SourceType::unambiguous().with_jsx(true))
                    .with_options(options)
                    .parse();
                errors += parsed.diagnostics.errors().count();
                if semantic {
                    let built = SemanticBuilder::new()
                        .with_build_nodes(true)
                        .with_check_syntax_error(false)
                        .build(&parsed.program);
                    std::hint::black_box(built.semantic.nodes().len());
                }
            }
            measurement.errors = errors;
            measurement.best = measurement.best.min(started.elapsed());
            measurement.peak_heap = measurement.peak_heap.max(CountingAllocator::peak_since(baseline));
        }
        print_row(label, &measurement);
    }
}

/// Scans the whole tarball, `repeats` times; the report is dropped inside the timing.
fn scan_whole(package: &Package, repeats: u32) -> Measurement {
    let mut measurement = Measurement::of(&[]);
    for _ in 0..repeats {
        let baseline = CountingAllocator::reset_peak();
        let started = Instant::now();
        let report = scan(
            Input::Bytes {
                name: &package.name,
                bytes: &package.bytes,
            },
            &ScanOptions::default(),
            &mut |_| {},
        );
        (measurement.files, measurement.bytes) = (report.files.len(), report.stats.bytes);
        (measurement.findings, measurement.errors) = (report.findings.len(), report.errors.len());
        drop(report);
        measurement.best = measurement.best.min(started.elapsed());
        measurement.peak_heap = measurement.peak_heap.max(CountingAllocator::peak_since(baseline));
    }
    measurement
}

fn print_header(what: &str) {
    println!(
        "{what:<44} {:>6} {:>10} {:>8} {:>6} {:>10} {:>8} {:>10}",
        "files", "bytes", "findings", "errors", "time", "MB/s", "peak heap"
    );
}

fn print_row(name: &str, m: &Measurement) {
    let seconds = m.best.as_secs_f64();
    println!(
        "{name:<44} {:>6} {:>10} {:>8} {:>6} {:>8.0}ms {:>8.1} {:>10}",
        m.files,
        human_bytes(m.bytes),
        m.findings,
        m.errors,
        seconds * 1e3,
        m.bytes as f64 / 1e6 / seconds,
        human_bytes(m.peak_heap as u64),
    );
}
