//! The worker side: receives a package, runs the engine, posts progress and the report; keeps
//! the last few packages it scanned so that it can show their source.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use telltale::files::{FileKind, classify};
use telltale::package::{self, Limits, Member, PackageError, Sink};
use telltale::pretty::{ExcerptOptions, excerpt};
use telltale::report::Span;
use telltale::rules::{BUILTIN, RuleSet};
use telltale::scan::{Input, ScanOptions, scan};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

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
}

fn on_message(event: MessageEvent) {
    let data = event.data();
    let json = Reflect::get(&data, &"json".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let buffers: Vec<Vec<u8>> = Reflect::get(&data, &"buffers".into())
        .ok()
        .filter(|b| !b.is_undefined())
        .map(|b| {
            Array::from(&b)
                .iter()
                .map(|buffer| Uint8Array::new(&buffer.unchecked_into::<ArrayBuffer>()).to_vec())
                .collect()
        })
        .unwrap_or_default();
    let Ok(request) = serde_json::from_str::<ToWorker>(&json) else {
        return;
    };
    match request {
        ToWorker::ScanFile { job, name, rules } => {
            CURRENT_JOB.with(|c| c.set(Some(job)));
            let bytes = buffers.into_iter().next().unwrap_or_default();
            let Some(options) = options(job, rules) else { return };
            let mut progress = |progress| post(&FromWorker::Progress { job, progress });
            let report = scan(
                Input::Bytes {
                    name: &name,
                    bytes: &bytes,
                },
                &options,
                &mut progress,
            );
            keep(job, Contents::File { name, bytes });
            post(&FromWorker::Done {
                job,
                report: Box::new(report),
            });
            warm(job);
        }
        ToWorker::ScanFolder {
            job,
            name,
            paths,
            rules,
        } => {
            CURRENT_JOB.with(|c| c.set(Some(job)));
            let files: Vec<(String, Vec<u8>)> = paths.into_iter().zip(buffers).collect();
            let Some(options) = options(job, rules) else { return };
            let mut progress = |progress| post(&FromWorker::Progress { job, progress });
            let report = scan(
                Input::Files {
                    name: &name,
                    files: files.clone(),
                },
                &options,
                &mut progress,
            );
            keep(job, Contents::Folder { files });
            post(&FromWorker::Done {
                job,
                report: Box::new(report),
            });
            warm(job);
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
