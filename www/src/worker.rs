//! The worker side: receives a package and the part of its scan that is this worker's, runs the
//! engine, posts what it finds as it goes; keeps the last few packages it scanned part 0 of, so
//! that it can show their source.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use js_sys::{Array, Object, Reflect, Uint8Array};
use telltale::clock::now_ms;
use telltale::files::{FileKind, classify};
use telltale::package::{self, Limits, Member, PackageError, Part, Sink};
use telltale::pretty::{ExcerptOptions, excerpt};
use telltale::report::Span;
use telltale::rules::{BUILTIN, RuleSet};
use telltale::scan::{Input, Piece, ScanOptions, scan_part};
use wasm_bindgen::prelude::*;
use web_sys::{Blob, DedicatedWorkerGlobalScope, FileReaderSync, MessageEvent};

use crate::protocol::{FromWorker, JobId, KEPT_PACKAGES, RuleText, ToWorker};

thread_local! {
    /// The job being worked on, so that a panic can be reported against it.
    static CURRENT_JOB: Cell<Option<JobId>> = const { Cell::new(None) };
    /// The packages scanned last, newest last.
    static KEPT: RefCell<VecDeque<KeptPackage>> = const { RefCell::new(VecDeque::new()) };
}

/// A scanned package, kept to answer source requests. Its input is unpacked again once the
/// report is posted, so the report never waits for it; the text members replace the input.
struct KeptPackage {
    job: JobId,
    contents: Contents,
}

enum Contents {
    File { name: String, bytes: Vec<u8> },
    Folder { files: Vec<(String, Vec<u8>)> },
    Unpacked(HashMap<String, Vec<u8>>),
}

/// Pieces of a scan are posted together, at most this often (the last one at once): a package
/// of thousands of small files would otherwise send thousands of messages.
const POST_INTERVAL_MS: f64 = 150.0;

/// Keeps the text members of a package, by path.
#[derive(Default)]
struct TextMembers(HashMap<String, Vec<u8>>);

impl Sink for TextMembers {
    fn member(&mut self, member: Member) {
        let Member {
            path, data, archive, ..
        } = member;
        let text = matches!(
            classify(&path, &data),
            FileKind::Javascript | FileKind::Typescript | FileKind::Json | FileKind::Python | FileKind::Text
        );
        if archive.is_none() && text {
            self.0.insert(path, data);
        }
    }

    // The scan already reported every problem with the package.
    fn error(&mut self, _: PackageError) {}
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

pub fn post(message: &FromWorker) {
    let json = serde_json::to_string(message).unwrap_or_default();
    let object = Object::new();
    let _ = Reflect::set(&object, &"json".into(), &json.into());
    let _ = scope().post_message(&object);
}

/// Scans a small package made of the shipped rules' examples, once, as the worker starts: the
/// rules are compiled and the browser has optimised the engine's code (it runs new WebAssembly
/// unoptimised at first) before the person's first package, which then reads about a fifth
/// faster.
fn warm_up() {
    let mut files = vec![(
        "package/package.json".to_string(),
        br#"{"name":"warm-up","version":"1.0.0","bin":{"warm-up":"index.js"},"scripts":{"postinstall":"node index.js"}}"#
            .to_vec(),
    )];
    let mut bundle = String::new();
    for (index, rule) in RuleSet::builtin().rules().iter().enumerate() {
        for (example, code) in rule.examples.fire.iter().chain(&rule.examples.quiet).enumerate() {
            files.push((format!("package/lib/{index}-{example}.js"), code.clone().into_bytes()));
            if !code.contains("import") && !code.contains("export") {
                bundle.push_str(&format!("function example{index}_{example}() {{\n{code}\n}}\n"));
            }
        }
    }
    files.push(("package/index.js".to_string(), bundle.repeat(8).into_bytes()));
    let input = Input::Files { name: "warm-up", files };
    let part = Part { index: 0, count: 1 };
    scan_part(input, &ScanOptions::default(), part, &mut |_| {});
}

/// Sets the message handler and a panic hook that reports the crash to the page.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        if let Some(job) = CURRENT_JOB.with(Cell::get) {
            post(&FromWorker::Crashed {
                job,
                message: info.to_string(),
            });
        }
    }));
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    warm_up();
}

fn on_message(event: MessageEvent) {
    let data = event.data();
    let json = Reflect::get(&data, &"json".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let Ok(request) = serde_json::from_str::<ToWorker>(&json) else {
        return;
    };
    // The dropped files, read here rather than on the page: every worker of a shared scan
    // reads them at once, and the page's thread stays free.
    let files: Vec<Result<Vec<u8>, String>> = Reflect::get(&data, &"files".into())
        .ok()
        .filter(|f| !f.is_undefined())
        .map(|f| {
            Array::from(&f)
                .iter()
                .map(|file| read(&file.unchecked_into()))
                .collect()
        })
        .unwrap_or_default();
    match request {
        ToWorker::ScanFile { job, part, name, rules } => {
            CURRENT_JOB.with(|c| c.set(Some(job)));
            let bytes = match files.into_iter().next() {
                Some(Ok(bytes)) => bytes,
                Some(Err(message)) => {
                    post(&FromWorker::Crashed { job, message });
                    return;
                }
                None => Vec::new(),
            };
            let Some(options) = options(job, rules) else { return };
            let input = Input::Bytes {
                name: &name,
                bytes: &bytes,
            };
            scan(job, part, input, &options);
            if part.index == 0 {
                keep(job, Contents::File { name, bytes });
                warm(job);
            }
        }
        ToWorker::ScanFolder {
            job,
            part,
            name,
            paths,
            rules,
        } => {
            CURRENT_JOB.with(|c| c.set(Some(job)));
            // An unreadable file in a folder is skipped; the rest is still scanned.
            let files: Vec<(String, Vec<u8>)> = paths
                .into_iter()
                .zip(files)
                .filter_map(|(path, bytes)| Some((path, bytes.ok()?)))
                .collect();
            let Some(options) = options(job, rules) else { return };
            // Part 0 keeps the files to show their source.
            let kept = (part.index == 0).then(|| files.clone());
            scan(job, part, Input::Files { name: &name, files }, &options);
            if let Some(files) = kept {
                keep(job, Contents::Folder { files });
                warm(job);
            }
        }
        ToWorker::Source {
            job,
            file,
            span,
            context,
        } => {
            let excerpt = source(job, &file, span, context);
            post(&FromWorker::Source {
                job,
                file,
                span,
                context,
                excerpt,
            });
        }
    }
    CURRENT_JOB.with(|c| c.set(None));
}

/// The contents of a dropped file.
fn read(file: &Blob) -> Result<Vec<u8>, String> {
    let reader = FileReaderSync::new().map_err(|e| format!("the browser could not read the file: {e:?}"))?;
    let buffer = reader
        .read_as_array_buffer(file)
        .map_err(|e| format!("the browser could not read the file: {e:?}"))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Scans this worker's part of the job, posting what it finds in batches.
fn scan(job: JobId, part: Part, input: Input<'_>, options: &ScanOptions) {
    let mut pending: Option<Piece> = None;
    // The first piece goes at once: the page shows that reading has started.
    let mut last_post = f64::NEG_INFINITY;
    let mut emit = |piece: Piece| {
        let last = piece.done.is_some();
        match &mut pending {
            Some(earlier) => earlier.absorb(piece),
            None => pending = Some(piece),
        }
        let now = now_ms();
        if last || now - last_post >= POST_INTERVAL_MS {
            if let Some(piece) = pending.take() {
                post(&FromWorker::Piece {
                    job,
                    part: part.index,
                    piece: Box::new(piece),
                });
            }
            last_post = now;
        }
    };
    scan_part(input, options, part, &mut emit);
}

/// Scan options with the person's rules beside the shipped ones. The page compiled them
/// before sending, so a failure here is reported as a crash of the job.
fn options(job: JobId, rules: Vec<RuleText>) -> Option<ScanOptions> {
    if rules.is_empty() {
        return Some(ScanOptions::default());
    }
    let files = BUILTIN
        .iter()
        .map(|(origin, text)| (origin.to_string(), text.to_string()))
        .chain(rules.into_iter().map(|r| (r.origin, r.text)));
    match RuleSet::compile(files) {
        Ok(set) => Some(ScanOptions {
            rules: Some(Arc::new(set)),
            ..ScanOptions::default()
        }),
        Err(errors) => {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            post(&FromWorker::Crashed {
                job,
                message: format!("the rules do not compile: {}", lines.join("; ")),
            });
            None
        }
    }
}

fn keep(job: JobId, contents: Contents) {
    KEPT.with(|kept| {
        let mut kept = kept.borrow_mut();
        kept.retain(|p| p.job != job);
        kept.push_back(KeptPackage { job, contents });
        while kept.len() > KEPT_PACKAGES {
            kept.pop_front();
        }
    });
}

/// The text members of a kept package's input.
fn unpack(contents: Contents) -> HashMap<String, Vec<u8>> {
    let mut members = TextMembers::default();
    match contents {
        Contents::Unpacked(members) => return members,
        Contents::File { name, bytes } => {
            package::open(&name, &bytes, Limits::default(), &mut members);
        }
        Contents::Folder { files } => {
            package::open_files(files, Limits::default(), &mut members);
        }
    }
    members.0
}

/// Unpacks the text members of the package `job` now, while the person reads the report, so
/// that its first source request is answered at once.
fn warm(job: JobId) {
    KEPT.with(|kept| {
        if let Some(package) = kept.borrow_mut().iter_mut().find(|p| p.job == job) {
            let contents = std::mem::replace(&mut package.contents, Contents::Unpacked(HashMap::new()));
            package.contents = Contents::Unpacked(unpack(contents));
        }
    });
}

/// The excerpt of `file` around `span`, from a package this worker keeps.
fn source(job: JobId, file: &str, span: Span, context: u32) -> Result<telltale::pretty::Excerpt, String> {
    KEPT.with(|kept| {
        let mut kept = kept.borrow_mut();
        let package = kept
            .iter_mut()
            .find(|p| p.job == job)
            .ok_or("this package is no longer in memory; drop it again to see its source")?;
        let members = unpack(std::mem::replace(
            &mut package.contents,
            Contents::Unpacked(HashMap::new()),
        ));
        let defaults = ExcerptOptions::default();
        let scale = 1u32 << context.clamp(1, 8).saturating_sub(1);
        let options = ExcerptOptions {
            context_lines: defaults.context_lines * scale,
            context_bytes: defaults.context_bytes * scale,
            ..defaults
        };
        // A file made from a string is read back from the literal it came from.
        let from_string;
        let bytes = match members.get(file) {
            Some(bytes) => Some(bytes.as_slice()),
            None => {
                from_string = telltale::scan::string_file(file, &|path| members.get(path).cloned());
                from_string.as_deref()
            }
        };
        let answer = bytes
            .map(|bytes| excerpt(&String::from_utf8_lossy(bytes), span, &options))
            .ok_or_else(|| format!("{file} is not a text file of this package"));
        package.contents = Contents::Unpacked(members);
        answer
    })
}
