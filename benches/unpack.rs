//! Unpacking throughput and peak memory on the shared corpus of real packages.
//!
//! `cargo bench --bench unpack` opens every file in `$TELLTALE_CORPUS` (default
//! `~/.cache/telltale-corpus`) with `package::open`, a few times each, through a sink that counts
//! and drops what it is handed, and prints input and unpacked MB/s and the peak heap the package
//! layer needed on top of the input bytes. `TELLTALE_BENCH_REPEATS` sets the repeats (default 3).

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use telltale::package::{self, Limits, Member, PackageError, Sink, human_bytes};

use support::{CountingAllocator, corpus_dir, repeats};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Counts what the package layer hands out and drops it at once, as a consumer that analyses
/// each member and keeps only its findings would.
#[derive(Debug, Default)]
struct Tally {
    files: u64,
    bytes: u64,
    errors: Vec<PackageError>,
}

impl Sink for Tally {
    fn member(&mut self, member: Member) {
        self.files += 1;
        self.bytes += member.data.len() as u64;
    }
    fn error(&mut self, error: PackageError) {
        self.errors.push(error);
    }
}

/// One package's best run.
struct Measurement {
    name: String,
    input_bytes: u64,
    tally: Tally,
    best: Duration,
    peak_heap: usize,
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument picks packages whose name contains it.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let Some(corpus) = corpus_dir() else {
        println!("unpack bench skipped: no corpus (set TELLTALE_CORPUS or fill ~/.cache/telltale-corpus)");
        return;
    };
    let repeats = repeats();
    let mut packages: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    packages.retain(|p| p.is_file());
    packages.retain(|p| filter.as_ref().is_none_or(|f| p.to_string_lossy().contains(f)));
    packages.sort();
    if packages.is_empty() {
        println!("unpack bench skipped: {} holds no files", corpus.display());
        return;
    }

    println!(
        "corpus {} ({} packages), best of {repeats}, Limits::default()",
        corpus.display(),
        packages.len()
    );
    println!(
        "{:<40} {:>10} {:>7} {:>10} {:>6} {:>9} {:>10} {:>10} {:>10}",
        "package", "input", "files", "unpacked", "errors", "time", "in MB/s", "out MB/s", "peak heap"
    );
    let mut totals = (0u64, 0u64, Duration::ZERO);
    for path in &packages {
        let Some(measurement) = measure(path, repeats) else {
            continue;
        };
        let seconds = measurement.best.as_secs_f64();
        let rate = |bytes: u64| bytes as f64 / 1e6 / seconds;
        println!(
            "{:<40} {:>10} {:>7} {:>10} {:>6} {:>8.2}ms {:>10.1} {:>10.1} {:>10}",
            measurement.name,
            human_bytes(measurement.input_bytes),
            measurement.tally.files,
            human_bytes(measurement.tally.bytes),
            measurement.tally.errors.len(),
            seconds * 1e3,
            rate(measurement.input_bytes),
            rate(measurement.tally.bytes),
            human_bytes(measurement.peak_heap as u64),
        );
        for error in measurement.tally.errors.iter().take(3) {
            println!("    error: {}: {}", error.file, error.message);
        }
        totals.0 += measurement.input_bytes;
        totals.1 += measurement.tally.bytes;
        totals.2 += measurement.best;
    }
    let seconds = totals.2.as_secs_f64();
    println!(
        "total: {} in, {} out in {:.1} ms: {:.1} MB/s in, {:.1} MB/s out",
        human_bytes(totals.0),
        human_bytes(totals.1),
        seconds * 1e3,
        totals.0 as f64 / 1e6 / seconds,
        totals.1 as f64 / 1e6 / seconds,
    );
}

/// Opens one package `repeats` times; the fastest run and the highest peak are kept.
fn measure(path: &Path, repeats: u32) -> Option<Measurement> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            println!("{name}: cannot read ({error}), skipped");
            return None;
        }
    };
    let mut best = Duration::MAX;
    let mut peak_heap = 0;
    let mut tally = Tally::default();
    for _ in 0..repeats {
        let mut run = Tally::default();
        let baseline = CountingAllocator::reset_peak();
        let started = Instant::now();
        package::open(&name, &bytes, Limits::default(), &mut run);
        best = best.min(started.elapsed());
        // Errors the sink kept are counted too; they are tiny next to member data.
        peak_heap = peak_heap.max(CountingAllocator::peak_since(baseline));
        tally = run;
    }
    Some(Measurement {
        name,
        input_bytes: bytes.len() as u64,
        tally,
        best,
        peak_heap,
    })
}
