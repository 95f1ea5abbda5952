//! A scan shared among several workers (the page's pool), so that a large package keeps every
//! core busy and its first findings show before the last file is read.
//!
//! Each worker reads the package as one [`Part`] of it ([`scan_part`]): the package layer gives
//! every nested archive, opaque binary and member to one part, the same choice in all of them.
//! A part analyses the package's own files that fell to it once the package is read (smallest
//! first, so that the first findings show early), then what its nested archives hold as they
//! are opened, and hands out what it found in [`Piece`]s as it goes.
//! An [`Assembly`] puts the pieces of all parts together: into a partial report while parts
//! are still at work, and, once all are done, into the report [`scan`](super::scan) gives for
//! the whole package (tested on every fixture and on the corpus).
//!
//! Limits: every part reads what all read alike under the same budget, so it stops where a whole
//! scan would; what a part's own units and strings inflate counts against that part's budget
//! (and strings' file count) alone, and units are opened after the rest rather than as they
//! come. Only a package at its limits can tell a shared scan from a whole one; each worker
//! stays within them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{
    Analysed, Input, Phase, Progress, Rank, ScanOptions, SourceFile, Unpacked, admit, base_name, finish, open_embedded,
    unpack_error, unpacked_rank,
};
use crate::clock::now_ms;
use crate::findings::{FileFindings, Pending, analyze_file};
use crate::lang::facts::{ModuleImport, ModuleInterface};
use crate::package::metadata::{is_manifest_text, read_manifests};
use crate::package::{self, Format, Limits, Member, PackageError, Part, Sink};
use crate::report::{ErrorEntry, FileEntry, Finding, Report, Timings};
use crate::rules::RuleSet;

/// What one part found since its previous piece.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Piece {
    /// The package's format, in the piece that ends what every part reads alike.
    pub format: Option<Format>,
    pub files: Vec<(Rank, FileEntry)>,
    pub errors: Vec<(Rank, ErrorEntry)>,
    pub analysed: Vec<AnalysedFile>,
    /// The text of manifests (`package.json`, `METADATA`…): path and text.
    pub manifests: Vec<(String, String)>,
    /// Where the part is.
    pub progress: Progress,
    /// In the part's last piece.
    pub done: Option<PartDone>,
}

impl Piece {
    /// Adds a later piece of the same part to this one.
    pub fn absorb(&mut self, later: Piece) {
        let Piece {
            format,
            mut files,
            mut errors,
            mut analysed,
            mut manifests,
            progress,
            done,
        } = later;
        self.format = self.format.or(format);
        self.files.append(&mut files);
        self.errors.append(&mut errors);
        self.analysed.append(&mut analysed);
        self.manifests.append(&mut manifests);
        self.progress = progress;
        self.done = self.done.or(done);
    }
}

/// How a part ended.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct PartDone {
    /// Bytes of the members it delivered.
    pub bytes: u64,
    /// Milliseconds it spent analysing, and in all.
    pub analyse_ms: f64,
    pub total_ms: f64,
}

/// One analysed file, as a part hands it over: [`FileFindings`] in a form that crosses from a
/// worker to the page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnalysedFile {
    pub rank: Rank,
    pub path: String,
    /// Its size in bytes.
    pub len: u64,
    pub parsed: bool,
    pub findings: Vec<Finding>,
    pub errors: Vec<ErrorEntry>,
    pub urls: Vec<(String, String)>,
    pub names_read: Vec<String>,
    pub pending: Vec<PendingFinding>,
    pub exports: Option<Vec<String>>,
    pub imports: Vec<(String, Option<Vec<String>>)>,
}

/// A [`Pending`] finding.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingFinding {
    pub index: usize,
    pub export: String,
    pub if_read: Finding,
}

impl AnalysedFile {
    /// `result`'s strings that are files must have been taken out (they are opened by the part).
    fn new(rank: Rank, path: &str, len: u64, result: FileFindings) -> AnalysedFile {
        let FileFindings {
            findings,
            errors,
            urls,
            parsed,
            names_read,
            pending,
            module: ModuleInterface { exports, imports },
            embedded,
        } = result;
        debug_assert!(embedded.is_empty(), "the part opens the strings of {path}");
        AnalysedFile {
            rank,
            path: path.to_string(),
            len,
            parsed,
            findings,
            errors,
            urls,
            names_read: names_read.into_iter().collect(),
            pending: pending
                .into_iter()
                .map(|p| PendingFinding {
                    index: p.index,
                    export: p.export,
                    if_read: p.if_read,
                })
                .collect(),
            exports,
            imports: imports.into_iter().map(|i| (i.specifier, i.names)).collect(),
        }
    }

    fn into_analysed(self) -> Analysed {
        let AnalysedFile {
            rank,
            path,
            len,
            parsed,
            findings,
            errors,
            urls,
            names_read,
            pending,
            exports,
            imports,
        } = self;
        let result = FileFindings {
            findings,
            errors,
            urls,
            parsed,
            names_read: names_read.into_iter().collect(),
            pending: pending
                .into_iter()
                .map(|p| Pending {
                    index: p.index,
                    export: p.export,
                    if_read: p.if_read,
                })
                .collect(),
            module: ModuleInterface {
                exports,
                imports: imports
                    .into_iter()
                    .map(|(specifier, names)| ModuleImport { specifier, names })
                    .collect(),
            },
            embedded: Vec::new(),
        };
        Analysed {
            rank,
            path,
            len,
            result,
        }
    }
}

/// Reads `part` of the package and analyses what falls to it, handing each member and each
/// analysed file to `emit` as soon as it is had, in [`Piece`]s (the caller batches them).
pub fn scan_part(input: Input<'_>, options: &ScanOptions, part: Part, emit: &mut dyn FnMut(Piece)) {
    let started = now_ms();
    let rules: &RuleSet = options.rules.as_deref().unwrap_or_else(|| RuleSet::builtin());
    let mut collector = PartCollector {
        rules,
        phase: Phase::Unpacking,
        files: 0,
        bytes: 0,
        analyse_ms: 0.0,
        sources: Vec::new(),
        ranks: Vec::new(),
        per_file: Vec::new(),
        emit,
    };
    match input {
        Input::Bytes { name, bytes } => {
            package::open_part(name, bytes, options.limits, part, &mut collector);
        }
        Input::Files { files, .. } => {
            package::open_files_part(files, options.limits, part, &mut collector);
        }
        #[cfg(not(target_arch = "wasm32"))]
        Input::Folder(path) => {
            package::open_folder_part(path, options.limits, part, &mut collector);
        }
    }
    collector.open_strings(options.limits);
    let PartCollector {
        bytes,
        analyse_ms,
        files,
        emit,
        ..
    } = collector;
    emit(Piece {
        progress: Progress {
            phase: Phase::Done,
            files,
            bytes,
        },
        done: Some(PartDone {
            bytes,
            analyse_ms,
            total_ms: now_ms() - started,
        }),
        ..Piece::default()
    });
}

/// Analyses members as a part's share of the package comes, and hands them out.
struct PartCollector<'e> {
    rules: &'e RuleSet,
    phase: Phase,
    files: u64,
    bytes: u64,
    analyse_ms: f64,
    /// The files analysed (their text dropped once analysed), their ranks, and what in their
    /// strings is a file of its own (the rest of what analysis found is handed out at once).
    sources: Vec<SourceFile>,
    ranks: Vec<Rank>,
    per_file: Vec<FileFindings>,
    emit: &'e mut dyn FnMut(Piece),
}

impl PartCollector<'_> {
    fn progress(&self) -> Progress {
        Progress {
            phase: self.phase,
            files: self.files,
            bytes: self.bytes,
        }
    }

    fn emit(&mut self, piece: Piece) {
        let progress = self.progress();
        (self.emit)(Piece { progress, ..piece });
    }

    /// Opens the strings of this part's files that are files of their own, as a whole scan
    /// does, and hands out what they hold.
    fn open_strings(&mut self, limits: Limits) {
        self.phase = Phase::Analysing;
        let began = now_ms();
        let (mut files, mut errors) = (Vec::new(), Vec::new());
        let base = self.sources.len();
        let embedded_limits = Limits {
            max_total_bytes: limits.max_total_bytes.saturating_sub(self.bytes),
            ..limits
        };
        let origins = open_embedded(
            &mut files,
            &mut self.sources,
            &mut self.ranks,
            &mut self.per_file,
            &mut errors,
            embedded_limits,
            self.rules,
        );
        let mut analysed = Vec::new();
        let found = self
            .sources
            .iter()
            .zip(&self.ranks)
            .zip(&mut self.per_file)
            .zip(origins)
            .skip(base);
        for (((source, rank), result), origin) in found {
            let mut result = std::mem::take(result);
            result.embedded.clear();
            if let Some(origin) = origin {
                origin.apply_all(&mut result);
            }
            analysed.push(AnalysedFile::new(
                rank.clone(),
                &source.path,
                source.data.len() as u64,
                result,
            ));
        }
        self.analyse_ms += now_ms() - began;
        self.files += files.len() as u64;
        self.emit(Piece {
            files,
            errors,
            analysed,
            ..Piece::default()
        });
    }

    /// Analyses one file and hands out what it found.
    fn analyse(&mut self, rank: Rank, source: SourceFile, mut piece: Piece) {
        let SourceFile { path, kind, data } = source;
        let began = now_ms();
        let mut result = analyze_file(&path, kind, &data, self.rules);
        self.analyse_ms += now_ms() - began;
        let embedded = std::mem::take(&mut result.embedded);
        piece
            .analysed
            .push(AnalysedFile::new(rank.clone(), &path, data.len() as u64, result));
        // What is left for later is where the file's strings are, not its text.
        self.sources.push(SourceFile {
            path,
            kind,
            data: Vec::new(),
        });
        self.ranks.push(rank);
        self.per_file.push(FileFindings {
            embedded,
            ..FileFindings::default()
        });
        self.emit(piece);
    }
}

impl Sink for PartCollector<'_> {
    fn member(&mut self, member: Member) {
        let rank = unpacked_rank(member.order);
        self.files += 1;
        self.bytes += member.data.len() as u64;
        let (entry, source) = admit(member);
        let mut piece = Piece {
            files: vec![(rank.clone(), entry)],
            ..Piece::default()
        };
        let Some(source) = source else {
            self.emit(piece);
            return;
        };
        if is_manifest_text(&source.path) {
            let text = String::from_utf8_lossy(&source.data).into_owned();
            piece.manifests.push((source.path.clone(), text));
        }
        self.analyse(rank, source, piece);
    }

    fn error(&mut self, error: PackageError) {
        self.emit(Piece {
            errors: vec![unpack_error(error)],
            ..Piece::default()
        });
    }

    fn shared_read(&mut self, format: Format) {
        self.phase = Phase::Analysing;
        self.emit(Piece {
            format: Some(format),
            ..Piece::default()
        });
    }
}

/// The pieces of a shared scan put together.
#[derive(Debug)]
pub struct Assembly {
    /// The dropped file's name.
    source: String,
    format: Option<Format>,
    /// Per part: where it is, and how it ended.
    progress: Vec<Progress>,
    done: Vec<Option<PartDone>>,
    files: Vec<(Rank, FileEntry)>,
    errors: Vec<(Rank, ErrorEntry)>,
    analysed: Vec<AnalysedFile>,
    manifests: Vec<(String, String)>,
}

impl Assembly {
    /// For the package dropped as `name`, read in `parts` parts.
    pub fn new(name: &str, parts: u32) -> Assembly {
        let parts = parts.max(1) as usize;
        Assembly {
            source: base_name(name),
            format: None,
            progress: vec![
                Progress {
                    phase: Phase::Unpacking,
                    files: 0,
                    bytes: 0,
                };
                parts
            ],
            done: vec![None; parts],
            files: Vec::new(),
            errors: Vec::new(),
            analysed: Vec::new(),
            manifests: Vec::new(),
        }
    }

    /// Adds a piece of part `part`.
    pub fn add(&mut self, part: u32, piece: Piece) {
        let Some(slot) = self.done.get_mut(part as usize) else {
            return;
        };
        let Piece {
            format,
            files,
            errors,
            analysed,
            manifests,
            progress,
            done,
        } = piece;
        *slot = slot.or(done);
        self.progress[part as usize] = progress;
        self.format = self.format.or(format);
        self.files.extend(files);
        self.errors.extend(errors);
        self.analysed.extend(analysed);
        self.manifests.extend(manifests);
    }

    /// True once every part is done.
    pub fn is_complete(&self) -> bool {
        self.done.iter().all(Option::is_some)
    }

    /// Where the parts are, together: the earliest phase, files and bytes summed.
    pub fn progress(&self) -> Progress {
        Progress {
            phase: self
                .progress
                .iter()
                .map(|p| p.phase)
                .min_by_key(|&phase| match phase {
                    Phase::Unpacking => 0,
                    Phase::Analysing => 1,
                    Phase::Done => 2,
                })
                .unwrap_or(Phase::Done),
            files: self.progress.iter().map(|p| p.files).sum(),
            bytes: self.progress.iter().map(|p| p.bytes).sum(),
        }
    }

    /// How many files have been analysed so far.
    pub fn analysed_files(&self) -> usize {
        self.analysed.len()
    }

    /// How many findings the files analysed so far hold (before they are settled across files).
    pub fn findings_so_far(&self) -> usize {
        self.analysed.iter().map(|file| file.findings.len()).sum()
    }

    /// The report on what the parts found so far: the whole scan's once all are done. `None`
    /// until the package's format is known.
    pub fn report(&self, rules: &RuleSet) -> Option<Report> {
        let analysed = self.analysed.iter().map(|a| a.clone().into_analysed()).collect();
        self.assemble(self.files.clone(), self.errors.clone(), analysed, rules)
    }

    /// [`Assembly::report`], without copying what the parts found.
    pub fn into_report(mut self, rules: &RuleSet) -> Option<Report> {
        let files = std::mem::take(&mut self.files);
        let errors = std::mem::take(&mut self.errors);
        let analysed = std::mem::take(&mut self.analysed)
            .into_iter()
            .map(AnalysedFile::into_analysed)
            .collect();
        self.assemble(files, errors, analysed, rules)
    }

    fn assemble(
        &self,
        files: Vec<(Rank, FileEntry)>,
        errors: Vec<(Rank, ErrorEntry)>,
        analysed: Vec<Analysed>,
        rules: &RuleSet,
    ) -> Option<Report> {
        let format = self.format?;
        // Manifests are what the package holds, not what its strings do.
        let paths: BTreeSet<String> = files
            .iter()
            .filter(|(rank, _)| rank.first() == Some(&0))
            .map(|(_, file)| file.path.clone())
            .collect();
        let text = |path: &str| {
            self.manifests
                .iter()
                .find(|(manifest, _)| manifest == path)
                .map(|(_, text)| text.as_bytes())
        };
        let manifests = read_manifests(&paths, text);
        let unpacked = Unpacked {
            source: self.source.clone(),
            format,
            files,
            errors,
            bytes: self.done.iter().flatten().map(|d| d.bytes).sum(),
            manifests,
        };
        let mut report = finish(unpacked, analysed, text, rules);
        if self.is_complete() {
            report.stats.timings_ms = self.timings();
        } else {
            report.stats.bytes = self.progress().bytes;
        }
        Some(report)
    }

    /// The slowest part's timings: the scan took as long as it did.
    fn timings(&self) -> Timings {
        let slowest = self
            .done
            .iter()
            .flatten()
            .max_by(|a, b| a.total_ms.total_cmp(&b.total_ms));
        slowest.map_or_else(Timings::default, |part| Timings {
            unpack: part.total_ms - part.analyse_ms,
            analyse: part.analyse_ms,
            total: part.total_ms,
        })
    }
}
