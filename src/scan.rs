//! The pipeline: input → members → classified files → analysis → [`Report`]. The CLI and the
//! page both call [`scan`]; neither recomputes anything the report holds.

use std::collections::{BTreeSet, HashSet};

use rustc_hash::FxHashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::files::{FileKind, classify, is_minified, native_format};
use crate::findings::{
    EmbeddedFile, EmbeddedRun, FileFindings, Pending, analyze_file, endpoints, install_findings, opt_out_audit,
};
use crate::package::metadata::{EntryKind, Manifest, read_manifests};
use crate::package::{self, Limits, Member, PackageError, Sink};
use crate::report::{
    ErrorEntry, FileEntry, Finding, PackageSummary, Reachability, Report, RunStatus, Severity, Stage, Stats, Timings,
    Tool,
};
use crate::rules::RuleSet;

mod split;

pub use split::{AnalysedFile, Assembly, PartDone, PendingFinding, Piece, scan_part};

/// What to scan.
#[derive(Debug)]
pub enum Input<'a> {
    /// One file's bytes: an archive, or a single source file.
    Bytes { name: &'a str, bytes: &'a [u8] },
    /// Loose files (a folder dropped onto the page), paths relative to the folder `name`.
    Files {
        name: &'a str,
        files: Vec<(String, Vec<u8>)>,
    },
    /// A folder on disk.
    #[cfg(not(target_arch = "wasm32"))]
    Folder(&'a std::path::Path),
}

/// How to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub limits: Limits,
    /// The rules to run; the shipped ones when `None`.
    pub rules: Option<Arc<RuleSet>>,
}

/// Pipeline stages, as progress reports name them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    #[default]
    Unpacking,
    Analysing,
    Done,
}

/// Where a running scan is; sent to the progress callback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub phase: Phase,
    /// Files handled so far in this phase.
    pub files: u64,
    /// Bytes handled so far in this phase.
    pub bytes: u64,
}

/// A file kept for analysis, with its contents.
#[derive(Debug)]
pub struct SourceFile {
    pub path: String,
    pub kind: FileKind,
    pub data: Vec<u8>,
}

/// Files larger than this are listed but their text is not kept for analysis.
const MAX_TEXT_BYTES: usize = 256 << 20;

/// Where an item comes in a whole scan's lists: `[0, unit, seq]` for what the package layer
/// delivered (its [`package::Order`]), `[round, <the outer file's rank>, string, n]` for what
/// came out of a file's strings. Each part of a shared scan ranks what it found, so that the
/// parts' findings put together in rank order are the whole scan's.
type Rank = Vec<u64>;

fn unpacked_rank(order: package::Order) -> Rank {
    vec![0, order.unit, order.seq]
}

/// Collects members as the package layer produces them: lists every file, keeps the text that
/// analysis needs, drops the rest at once.
struct Collector<'p> {
    files: Vec<(Rank, FileEntry)>,
    sources: Vec<SourceFile>,
    /// The rank of each source.
    ranks: Vec<Rank>,
    errors: Vec<(Rank, ErrorEntry)>,
    bytes: u64,
    progress: &'p mut dyn FnMut(Progress),
}

impl<'p> Collector<'p> {
    fn new(progress: &'p mut dyn FnMut(Progress)) -> Self {
        Self {
            files: Vec::new(),
            sources: Vec::new(),
            ranks: Vec::new(),
            errors: Vec::new(),
            bytes: 0,
            progress,
        }
    }
}

/// The contents of the kept source file at `path`.
fn source_bytes<'s>(sources: &'s [SourceFile], path: &str) -> Option<&'s [u8]> {
    sources.iter().find(|s| s.path == path).map(|s| s.data.as_slice())
}

/// A member as the report lists it, and its text when analysis needs that.
fn admit(member: Member) -> (FileEntry, Option<SourceFile>) {
    let Member {
        path,
        size,
        data,
        archive,
        order: _,
    } = member;
    let incomplete = data.len() as u64 != size;
    let kind = match archive {
        // An executable stays one when its embedded code was opened; other archives are data.
        Some(_) if native_format(&data).is_none() => FileKind::Binary,
        _ => classify(&path, &data),
    };
    let minified = kind.is_script() && is_minified(&data);
    let entry = FileEntry {
        path: path.clone(),
        size,
        kind,
        minified,
        archive,
        incomplete,
        opaque: archive == Some(package::Format::Opaque),
    };
    let keep = matches!(
        kind,
        FileKind::Javascript | FileKind::Typescript | FileKind::Json | FileKind::Python | FileKind::Text
    );
    let source = (keep && data.len() <= MAX_TEXT_BYTES).then_some(SourceFile { path, kind, data });
    (entry, source)
}

fn unpack_error(error: PackageError) -> (Rank, ErrorEntry) {
    let rank = unpacked_rank(error.order);
    let entry = ErrorEntry {
        file: error.file,
        message: error.message,
        stage: Stage::Unpack,
    };
    (rank, entry)
}

impl Sink for Collector<'_> {
    fn member(&mut self, member: Member) {
        let rank = unpacked_rank(member.order);
        self.bytes += member.data.len() as u64;
        let (entry, source) = admit(member);
        self.files.push((rank.clone(), entry));
        if let Some(source) = source {
            self.sources.push(source);
            self.ranks.push(rank);
        }
        (self.progress)(Progress {
            phase: Phase::Unpacking,
            files: self.files.len() as u64,
            bytes: self.bytes,
        });
    }

    fn error(&mut self, error: PackageError) {
        self.errors.push(unpack_error(error));
    }
}

/// Scans one package and reports on it. Never panics on bad input: problems become
/// `report.errors`, and everything readable is still analysed.
pub fn scan(input: Input<'_>, options: &ScanOptions, progress: &mut dyn FnMut(Progress)) -> Report {
    let started = now_ms();
    let mut collector = Collector::new(progress);
    let (source, format) = match input {
        Input::Bytes { name, bytes } => {
            let format = package::open(name, bytes, options.limits, &mut collector);
            (base_name(name), format)
        }
        Input::Files { name, files } => {
            let format = package::open_files(files, options.limits, &mut collector);
            (base_name(name), format)
        }
        #[cfg(not(target_arch = "wasm32"))]
        Input::Folder(path) => {
            let format = package::open_folder(path, options.limits, &mut collector);
            (base_name(&path.to_string_lossy()), format)
        }
    };
    let unpacked = now_ms();
    let Collector {
        mut files,
        mut sources,
        mut ranks,
        mut errors,
        bytes,
        progress,
    } = collector;

    let paths: BTreeSet<String> = files.iter().map(|(_, f)| f.path.clone()).collect();
    let manifests = read_manifests(&paths, |path: &str| source_bytes(&sources, path));
    let rules: &RuleSet = options.rules.as_deref().unwrap_or_else(|| RuleSet::builtin());
    progress(Progress {
        phase: Phase::Analysing,
        files: 0,
        bytes: 0,
    });
    let mut per_file = analyze_sources(&sources, rules);
    // Strings unpack within what the package left of the budget.
    let embedded_limits = Limits {
        max_total_bytes: options.limits.max_total_bytes.saturating_sub(bytes),
        ..options.limits
    };
    let origins = open_embedded(
        &mut files,
        &mut sources,
        &mut ranks,
        &mut per_file,
        &mut errors,
        embedded_limits,
        rules,
    );
    let analysed = sources
        .iter()
        .zip(ranks)
        .zip(per_file.into_iter().zip(origins))
        .map(|((source, rank), (mut result, origin))| {
            if let Some(origin) = origin {
                origin.apply_all(&mut result);
            }
            Analysed {
                rank,
                path: source.path.clone(),
                len: source.data.len() as u64,
                result,
            }
        })
        .collect();
    progress(Progress {
        phase: Phase::Done,
        files: files.len() as u64,
        bytes,
    });
    let mut report = finish(
        Unpacked {
            source,
            format,
            files,
            errors,
            bytes,
            manifests,
        },
        analysed,
        |path: &str| source_bytes(&sources, path),
        rules,
    );
    let finished = now_ms();
    report.stats.timings_ms = Timings {
        unpack: unpacked - started,
        analyse: finished - unpacked,
        total: finished - started,
    };
    report
}

/// What reading a package gave, for the report.
struct Unpacked {
    /// The dropped file's name.
    source: String,
    format: package::Format,
    files: Vec<(Rank, FileEntry)>,
    errors: Vec<(Rank, ErrorEntry)>,
    /// Bytes of all members.
    bytes: u64,
    manifests: Vec<Manifest>,
}

/// One analysed file, for the report.
struct Analysed {
    rank: Rank,
    path: String,
    /// Its size in bytes.
    len: u64,
    /// What analysis found, where a string's code came from already applied.
    result: FileFindings,
}

/// The report from what was read and what analysis found: lists in the order of a whole scan,
/// findings that run through another file's reads settled, install scripts, endpoints and
/// opt-outs. `manifest_text` reads the manifests. Timings are the caller's to fill in.
fn finish<'m>(
    unpacked: Unpacked,
    mut analysed: Vec<Analysed>,
    manifest_text: impl Fn(&str) -> Option<&'m [u8]>,
    rules: &RuleSet,
) -> Report {
    let Unpacked {
        source,
        format,
        mut files,
        mut errors,
        bytes,
        manifests,
    } = unpacked;
    files.sort_by(|(a_rank, a), (b_rank, b)| a.path.cmp(&b.path).then_with(|| a_rank.cmp(b_rank)));
    errors.sort_by(|(a, _), (b, _)| a.cmp(b));
    analysed.sort_by(|a, b| a.rank.cmp(&b.rank));
    let mut per_file: Vec<FileFindings> = analysed.iter_mut().map(|a| std::mem::take(&mut a.result)).collect();
    let paths: Vec<&str> = analysed.iter().map(|a| a.path.as_str()).collect();
    resolve_exports(&paths, &mut per_file, &manifests);
    let mut findings = install_findings(&manifests, manifest_text, rules);
    let mut errors: Vec<ErrorEntry> = errors.into_iter().map(|(_, error)| error).collect();
    let mut urls = Vec::new();
    let (mut parsed_files, mut parsed_bytes) = (0, 0);
    for (file, result) in analysed.iter().zip(per_file) {
        if result.parsed {
            parsed_files += 1;
            parsed_bytes += file.len;
        }
        findings.extend(result.findings);
        errors.extend(result.errors);
        urls.extend(result.urls);
    }
    let endpoints = endpoints(&urls, &findings);
    let opt_outs = opt_out_audit(&findings);
    let package = PackageSummary {
        name: manifests.first().and_then(|m| m.name.clone()),
        version: manifests.first().and_then(|m| m.version.clone()),
        format,
        source,
        manifests,
    };
    Report {
        schema_version: crate::report::SCHEMA_VERSION,
        tool: Tool::default(),
        stats: Stats {
            files: files.len() as u64,
            bytes,
            parsed_files,
            parsed_bytes,
            timings_ms: Timings::default(),
        },
        package,
        files: files.into_iter().map(|(_, file)| file).collect(),
        findings,
        endpoints,
        opt_outs,
        errors,
    }
}

/// How many strings inside strings are opened: a program in a string may hold another.
const MAX_EMBEDDED_DEPTH: usize = 3;
/// Files made from strings in one package, and their bytes (what binaries in them unpack to
/// included): past these, strings stay strings.
const MAX_EMBEDDED_FILES: usize = 1000;
const MAX_EMBEDDED_BYTES: usize = 256 << 20;

/// Where a file made from a string comes from: the site that runs it (with the path to it
/// from the outer file's entry) and how it was decoded. Nested strings add to their outer's.
#[derive(Debug, Clone)]
struct Origin {
    /// The file the string is in.
    outer: String,
    run: Option<EmbeddedRun>,
    provenance: Option<String>,
}

impl Origin {
    fn nested(parent: Option<&Origin>, outer: &str, file: &EmbeddedFile) -> Origin {
        let run = match (parent.map(|p| p.run.as_ref()), &file.run) {
            // Inside a string nothing runs, whatever runs the inner one.
            (Some(None), _) => None,
            (Some(Some(outer_run)), Some(run)) => Some(EmbeddedRun {
                runner: run.runner.clone(),
                reachability: if outer_run.reachability.status == RunStatus::Reachable {
                    run.reachability.clone()
                } else {
                    outer_run.reachability.clone()
                },
                path: outer_run.path.iter().chain(&run.path).cloned().collect(),
            }),
            (_, run) => run.clone(),
        };
        Origin {
            outer: outer.to_string(),
            run,
            provenance: file.provenance.clone(),
        }
    }

    /// [`Origin::apply`] to every finding of a file made from a string, the versions that
    /// apply if another file reads an export included.
    fn apply_all(&self, file: &mut FileFindings) {
        for finding in &mut file.findings {
            self.apply(finding);
        }
        for pending in &mut file.pending {
            self.apply(&mut pending.if_read);
        }
    }

    /// A finding in the string's code runs only if the site that runs the string does; its
    /// path starts at the outer file's entry.
    fn apply(&self, finding: &mut Finding) {
        let how = match &self.run {
            Some(run) => format!("in code kept in a string of {} and run by `{}`", self.outer, run.runner),
            None => format!("in a string of {}", self.outer),
        };
        finding.message.push_str(&format!("; {how}"));
        if let Some(provenance) = &self.provenance {
            finding.message.push_str(&format!(", {provenance}"));
        }
        if finding.reachability.status == RunStatus::Unreachable {
            return;
        }
        match &self.run {
            Some(run) if run.reachability.status == RunStatus::Unreachable => {
                let site = run
                    .path
                    .last()
                    .map(|s| format!("{}:{}", s.file, s.line))
                    .unwrap_or_default();
                let reason = run.reachability.reason.as_deref().unwrap_or("nothing leads to it");
                finding.reachability = Reachability {
                    status: RunStatus::Unreachable,
                    reason: Some(format!("the string is run only at {site}, which never runs: {reason}")),
                };
                finding.severity = Severity::Info;
                finding.message.push_str(&format!("; never runs: {reason}"));
                finding.path.retain(|step| step.file == finding.file);
            }
            Some(run) => {
                if run.reachability.status == RunStatus::Unknown {
                    finding.reachability = run.reachability.clone();
                }
                finding.path.splice(0..0, run.path.iter().cloned());
            }
            None => {
                finding.reachability = Reachability {
                    status: RunStatus::Unknown,
                    reason: Some("code kept in a string; nothing in the package was seen running it".into()),
                };
            }
        }
    }
}

/// Opens the strings analysis found to be files (code run from strings, programs and binaries
/// in literals) and analyses them like any other file, strings in them included, within what
/// `limits` leaves of the package's budget. Returns, for each source file, where it came from
/// when it came from a string; `ranks` gets the rank of each new one.
fn open_embedded(
    files: &mut Vec<(Rank, FileEntry)>,
    sources: &mut Vec<SourceFile>,
    ranks: &mut Vec<Rank>,
    per_file: &mut Vec<FileFindings>,
    errors: &mut Vec<(Rank, ErrorEntry)>,
    limits: Limits,
    rules: &RuleSet,
) -> Vec<Option<Origin>> {
    let mut origins: Vec<Option<Origin>> = vec![None; sources.len()];
    let (mut opened, mut opened_bytes) = (0, 0);
    let mut start = 0;
    for round in 1..=MAX_EMBEDDED_DEPTH as u64 {
        let end = sources.len();
        let mut found = Vec::new();
        let mut found_ranks = Vec::new();
        let mut found_origins = Vec::new();
        for index in start..end {
            for (string, file) in std::mem::take(&mut per_file[index].embedded).into_iter().enumerate() {
                let rank = |n: usize| -> Rank {
                    let mut rank = vec![round];
                    rank.extend(&ranks[index]);
                    rank.extend([string as u64, n as u64]);
                    rank
                };
                if opened >= MAX_EMBEDDED_FILES || opened_bytes + file.data.len() > MAX_EMBEDDED_BYTES {
                    let error = ErrorEntry {
                        file: file.path.clone(),
                        message: "not opened: too many strings that are files in this package".into(),
                        stage: Stage::Unpack,
                    };
                    errors.push((rank(0), error));
                    continue;
                }
                opened += 1;
                opened_bytes += file.data.len();
                let origin = Origin::nested(origins[index].as_ref(), &sources[index].path, &file);
                if package::is_container(&file.data) {
                    let mut no_progress = |_| {};
                    let mut collector = Collector::new(&mut no_progress);
                    // What strings unpack to shares one budget: a base64 archive bomb, or a
                    // thousand of them, inflates no further than the strings' own limit.
                    let budget = Limits {
                        max_total_bytes: limits
                            .max_total_bytes
                            .min(MAX_EMBEDDED_BYTES as u64)
                            .saturating_sub(opened_bytes as u64),
                        ..limits
                    };
                    package::open_files([(file.path, file.data)], budget, &mut collector);
                    opened_bytes += collector.bytes as usize;
                    files.extend(collector.files.into_iter().enumerate().map(|(n, (_, f))| (rank(n), f)));
                    errors.extend(collector.errors.into_iter().enumerate().map(|(n, (_, e))| (rank(n), e)));
                    for (n, source) in collector.sources.into_iter().enumerate() {
                        found.push(source);
                        found_ranks.push(rank(n));
                        found_origins.push(Some(origin.clone()));
                    }
                } else {
                    let entry = FileEntry {
                        path: file.path.clone(),
                        size: file.data.len() as u64,
                        kind: FileKind::Javascript,
                        minified: is_minified(&file.data),
                        archive: None,
                        incomplete: false,
                        opaque: false,
                    };
                    files.push((rank(0), entry));
                    found.push(SourceFile {
                        path: file.path,
                        kind: FileKind::Javascript,
                        data: file.data,
                    });
                    found_ranks.push(rank(0));
                    found_origins.push(Some(origin));
                }
            }
        }
        if found.is_empty() {
            break;
        }
        per_file.extend(analyze_sources(&found, rules));
        sources.extend(found);
        ranks.extend(found_ranks);
        origins.extend(found_origins);
        start = end;
    }
    origins
}

/// The contents of a file made from a string (`outer!/string@OFFSET`, strings in strings
/// included), read back from the file it is in; `read` gives the package's own members.
pub fn string_file(path: &str, read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Option<Vec<u8>> {
    let (outer, offset) = path.rsplit_once("!/string@")?;
    let offset: usize = offset.parse().ok()?;
    let outer = read(outer).or_else(|| string_file(outer, read))?;
    crate::lang::js::string_at(&String::from_utf8_lossy(&outer), offset).map(String::into_bytes)
}

/// Settles findings that run only through an export their file never reads: they run when any
/// other file reads that name, or when the file is the package's API (a `main`, `exports`,
/// `browser` or editor-extension entry, whose exports its users or the editor call; a bundle
/// there may export modules its users never reach, but that cannot be told from the package).
fn resolve_exports(paths: &[&str], per_file: &mut [FileFindings], manifests: &[Manifest]) {
    if per_file.iter().all(|f| f.pending.is_empty()) {
        return;
    }
    let api_files: HashSet<&str> = manifests
        .iter()
        .flat_map(|m| &m.entry_points)
        .filter(|e| {
            matches!(
                e.kind,
                EntryKind::Main | EntryKind::Exports | EntryKind::Browser | EntryKind::Activate
            )
        })
        .filter_map(|e| e.file.as_deref())
        .collect();
    let pending: Vec<Vec<Pending>> = per_file.iter_mut().map(|f| std::mem::take(&mut f.pending)).collect();
    let runs: Vec<(usize, Pending)> = {
        let files: &[FileFindings] = per_file;
        // How many files read each name: a file's own reads already count in its own liveness.
        let mut readers: FxHashMap<&str, usize> = FxHashMap::default();
        for file in files {
            for name in &file.names_read {
                *readers.entry(name.as_str()).or_default() += 1;
            }
        }
        // An ES module hands the CommonJS exports bundled inside it to other files only through
        // its own exports: if no importer asks for one of those, names read elsewhere cannot be
        // its.
        let by_path: FxHashMap<&str, usize> = paths.iter().enumerate().map(|(i, &path)| (path, i)).collect();
        let mut opened = vec![false; paths.len()];
        for (&path, file) in paths.iter().zip(files) {
            for import in &file.module.imports {
                let Some(target) = resolve_specifier(path, &import.specifier, &by_path) else {
                    continue;
                };
                opened[target] |= match (&import.names, &files[target].module.exports) {
                    (Some(names), Some(exports)) => names.iter().any(|n| exports.contains(n)),
                    _ => true,
                };
            }
        }
        let mut runs = Vec::new();
        for (index, (&path, list)) in paths.iter().zip(pending).enumerate() {
            let file = &files[index];
            let api = api_files.contains(path);
            let closed = file.module.exports.is_some() && !opened[index];
            for pending in list {
                let own = usize::from(file.names_read.contains(&pending.export));
                let elsewhere = !closed && readers.get(pending.export.as_str()).copied().unwrap_or(0) > own;
                if elsewhere || api {
                    runs.push((index, pending));
                }
            }
        }
        runs
    };
    for (file, runs) in runs {
        per_file[file].findings[runs.index] = runs.if_read;
    }
}

/// The member a relative import from `importer` names: `./x.js`, `../lib/x` (with `.js`,
/// `.mjs`, `.cjs` or `/index.js` tried after the name as written).
fn resolve_specifier(importer: &str, specifier: &str, by_path: &FxHashMap<&str, usize>) -> Option<usize> {
    let mut parts: Vec<&str> = importer.split('/').collect();
    parts.pop();
    for segment in specifier.split('/') {
        match segment {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    let path = parts.join("/");
    ["", ".js", ".mjs", ".cjs", "/index.js"]
        .iter()
        .find_map(|suffix| by_path.get(format!("{path}{suffix}").as_str()).copied())
}

/// Analyses every kept source file: in parallel natively, one after another in a page worker
/// (the page runs several workers instead).
fn analyze_sources(sources: &[SourceFile], rules: &RuleSet) -> Vec<FileFindings> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        sources
            .par_iter()
            .map(|s| analyze_file(&s.path, s.kind, &s.data, rules))
            .collect()
    }
    #[cfg(target_arch = "wasm32")]
    {
        sources
            .iter()
            .map(|s| analyze_file(&s.path, s.kind, &s.data, rules))
            .collect()
    }
}

fn base_name(name: &str) -> String {
    let trimmed = name.trim_end_matches(['/', '\\']);
    trimmed.rsplit(['/', '\\']).next().unwrap_or(trimmed).to_string()
}
