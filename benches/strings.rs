//! Throughput of reading opaque executables for their strings (src/package/executable/strings.rs),
//! which dominates the unpacking of packages that ship native binaries (claude-code's vendored
//! ripgrep: 100 MB of executables).
//!
//! `cargo bench --bench strings` opens every executable inside the corpus packages (default
//! `~/.cache/telltale-corpus`; nested archives are searched) that is opaque to Telltale, else the
//! bench binary itself, with `package::open`, a few times each, and prints MB/s, the peak heap and
//! a digest of everything delivered (paths and bytes), so that a faster extraction can be shown to
//! give the same output. `TELLTALE_BENCH_REPEATS` sets the repeats (default 3); a filter argument
//! keeps executables whose path contains it.

mod support;

use std::hash::Hasher;
use std::time::{Duration, Instant};

use rustc_hash::FxHasher;
use telltale::package::{self, Container, Format, Limits, Member, PackageError, Sink, human_bytes};

use support::{CountingAllocator, corpus_dir, repeats};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Keeps the members that are executables opened for their strings.
#[derive(Default)]
struct Executables {
    found: Vec<(String, Vec<u8>)>,
}

impl Sink for Executables {
    fn member(&mut self, member: Member) {
        if member.archive == Some(Format::Opaque) && package::sniff(&member.data) == Some(Container::Executable) {
            self.found.push((member.path, member.data));
        }
    }
    fn error(&mut self, _: PackageError) {}
}

/// Digests what the package layer delivers: paths and bytes, in order.
struct Digest {
    hasher: FxHasher,
    members: u64,
    bytes: u64,
}

impl Sink for Digest {
    fn member(&mut self, member: Member) {
        self.hasher.write(member.path.as_bytes());
        self.hasher.write(&member.data);
        self.members += 1;
        self.bytes += member.data.len() as u64;
    }
    fn error(&mut self, error: PackageError) {
        self.hasher.write(error.message.as_bytes());
    }
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut executables = Vec::new();
    if let Some(corpus) = corpus_dir() {
        let mut packages: Vec<_> = std::fs::read_dir(&corpus)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        packages.sort();
        for path in packages.iter().filter(|p| p.is_file()) {
            let Ok(bytes) = std::fs::read(path) else { continue };
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let mut sink = Executables::default();
            package::open(&name, &bytes, Limits::default(), &mut sink);
            executables.extend(
                sink.found
                    .into_iter()
                    .map(|(member, data)| (format!("{name}!/{member}"), data)),
            );
        }
    }
    if executables.is_empty() {
        let own = std::env::current_exe().expect("the bench's own path");
        let bytes = std::fs::read(&own).expect("read the bench binary");
        executables.push(("(the bench binary)".to_string(), bytes));
    }
    executables.retain(|(name, _)| filter.as_ref().is_none_or(|f| name.contains(f)));
    if executables.is_empty() {
        println!("strings bench skipped: no executable matches the filter");
        return;
    }

    let repeats = repeats();
    println!("strings of opaque executables, best of {repeats}, Limits::default()");
    println!(
        "{:<72} {:>10} {:>9} {:>9} {:>10} {:>7} {:>18}",
        "executable", "input", "time", "MB/s", "peak heap", "members", "digest"
    );
    let (mut total_bytes, mut total_time) = (0u64, Duration::ZERO);
    let mut combined = FxHasher::default();
    for (name, bytes) in &executables {
        let mut best = Duration::MAX;
        let mut peak = 0;
        let mut digest = None;
        for _ in 0..repeats {
            let mut sink = Digest {
                hasher: FxHasher::default(),
                members: 0,
                bytes: 0,
            };
            let baseline = CountingAllocator::reset_peak();
            let started = Instant::now();
            package::open(name, bytes, Limits::default(), &mut sink);
            best = best.min(started.elapsed());
            peak = peak.max(CountingAllocator::peak_since(baseline));
            digest = Some((sink.hasher.finish(), sink.members));
        }
        let (digest, members) = digest.expect("at least one run");
        combined.write_u64(digest);
        let short: String = name
            .chars()
            .rev()
            .take(72)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        println!(
            "{:<72} {:>10} {:>7.1}ms {:>9.1} {:>10} {:>7} {:>18x}",
            short,
            human_bytes(bytes.len() as u64),
            best.as_secs_f64() * 1e3,
            bytes.len() as f64 / 1e6 / best.as_secs_f64(),
            human_bytes(peak as u64),
            members,
            digest,
        );
        total_bytes += bytes.len() as u64;
        total_time += best;
    }
    println!(
        "total: {} in {:.1} ms: {:.1} MB/s ({:.2} ns/byte), digest {:x}",
        human_bytes(total_bytes),
        total_time.as_secs_f64() * 1e3,
        total_bytes as f64 / 1e6 / total_time.as_secs_f64(),
        total_time.as_secs_f64() * 1e9 / total_bytes as f64,
        combined.finish(),
    );
}
