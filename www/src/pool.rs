//! The page side of the engine: a small pool of Web Workers, each with its own engine instance,
//! fed from a queue. A large package is scanned by several workers at once, each reading the
//! whole package and analysing its own part of it; the pool puts their pieces together
//! (`telltale::scan::Assembly`) and passes on a partial report as findings come in, then the
//! complete one. A job can be cancelled (its workers are stopped and replaced), and a worker
//! that dies takes only its own job down. Source requests go straight to the worker that keeps
//! the package.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use telltale::package::Part;
use telltale::pretty::Excerpt;
use telltale::report::{Report, Span};
use telltale::scan::{Assembly, Piece, Progress};
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, File, MessageEvent, Worker};
use yew::Callback;

use crate::protocol::{FromWorker, JobId, KEPT_PACKAGES, ToWorker};
use crate::state::ActiveRules;

/// Packages smaller than this (as dropped, compressed) are scanned by one worker: every part
/// reads and unpacks the whole package, so sharing a small one costs more than it saves.
const SHARE_FROM_BYTES: u64 = 2 << 20;

/// A partial report is made again at most this often: each one is put together and drawn on
/// the page's own thread, which takes CPU from the workers on a machine with few cores...
const PARTIAL_INTERVAL_MS: f64 = 1500.0;

/// ...unless this many findings came in since the last one (a bundle was read), and this long
/// has passed.
const PARTIAL_NEWS: usize = 50;
const PARTIAL_SOONEST_MS: f64 = 300.0;

/// Progress is passed on at most this often: the page draws itself again each time.
const PROGRESS_INTERVAL_MS: f64 = 250.0;

/// What the pool tells the page.
#[derive(Debug)]
pub enum Event {
    /// Where a scan is (a partial report shown stays until the next one).
    Progress {
        job: JobId,
        progress: Progress,
    },
    /// The report on what is in so far; more is coming.
    Partial {
        job: JobId,
        report: Box<Report>,
        progress: Progress,
    },
    Done {
        job: JobId,
        report: Box<Report>,
    },
    /// The engine stopped on this job (a bug): the message says why; the page stays usable.
    Failed {
        job: JobId,
        message: String,
    },
    /// The answer to [`WorkerPool::request_source`]: the excerpt, or why there is none.
    Source {
        job: JobId,
        file: String,
        span: Span,
        context: u32,
        excerpt: Result<Excerpt, String>,
    },
}

/// What a scan reads: one dropped file, or a dropped folder's files.
pub enum ScanInput {
    File(File),
    Folder { name: String, files: Vec<(String, File)> },
}

/// A part of a scan waiting for a worker: the request and the files it reads.
struct Job {
    id: JobId,
    part: u32,
    request: ToWorker,
    files: Array,
}

struct Slot {
    worker: Worker,
    /// The job and part it is scanning.
    busy: Option<(JobId, u32)>,
    /// Packages this worker scanned part 0 of last and keeps (as the worker does), newest last.
    holds: VecDeque<JobId>,
    // Kept alive as long as the worker.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

/// A scan under way: what its parts found so far.
struct Scan {
    assembly: Assembly,
    /// The rules it runs, to put the report together with.
    rules: ActiveRules,
    /// When a partial report was last passed on (milliseconds, `Date.now()`), and how many
    /// findings were in then.
    shown_at: Option<f64>,
    shown_findings: usize,
    /// When a timer is to pass on the next partial report (it is due then).
    due: Option<f64>,
    /// When the page was last told anything about the scan.
    told_at: f64,
}

struct Inner {
    module: JsValue,
    worker_url: String,
    size: usize,
    slots: Vec<Slot>,
    queue: VecDeque<Job>,
    scans: HashMap<JobId, Scan>,
    listener: Callback<Event>,
    next_job: JobId,
}

/// Cheap to clone; all clones drive the same workers.
#[derive(Clone)]
pub struct WorkerPool {
    inner: Rc<RefCell<Inner>>,
}

impl PartialEq for WorkerPool {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

/// The report on what `scan` has so far, marked as shown at `now`.
fn partial(scan: &mut Scan, now: f64) -> Option<Report> {
    let report = scan.assembly.report(scan.rules.set())?;
    scan.shown_at = Some(now);
    scan.shown_findings = scan.assembly.findings_so_far();
    scan.due = None;
    Some(report)
}

fn now() -> f64 {
    js_sys::Date::now()
}

impl WorkerPool {
    pub fn new(module: JsValue, worker_url: String) -> Self {
        let cores = web_sys::window()
            .map(|w| w.navigator().hardware_concurrency() as usize)
            .unwrap_or(2);
        let pool = WorkerPool {
            inner: Rc::new(RefCell::new(Inner {
                module,
                worker_url,
                size: cores.clamp(1, 4),
                slots: Vec::new(),
                queue: VecDeque::new(),
                scans: HashMap::new(),
                listener: Callback::noop(),
                next_job: 1,
            })),
        };
        // The engines start with the page, so the first package waits for none of them (each
        // takes a few hundred milliseconds to start); a failure here is reported when a job
        // needs the worker. One that is stopped (a job cancelled) is replaced when needed.
        let size = pool.inner.borrow().size;
        for _ in 0..size {
            if let Ok(slot) = pool.spawn() {
                pool.inner.borrow_mut().slots.push(slot);
            }
        }
        pool
    }

    /// Where the pool's events go (the app's reducer).
    pub fn set_listener(&self, listener: Callback<Event>) {
        self.inner.borrow_mut().listener = listener;
    }

    pub fn next_job_id(&self) -> JobId {
        let mut inner = self.inner.borrow_mut();
        let id = inner.next_job;
        inner.next_job += 1;
        id
    }

    /// Scans a package with `rules`: shared among all the pool's workers when it is large, by
    /// one worker otherwise.
    pub fn scan(&self, job: JobId, input: ScanInput, rules: ActiveRules) {
        let files = Array::new();
        let (name, paths) = match &input {
            ScanInput::File(file) => {
                files.push(file);
                (file.name(), None)
            }
            ScanInput::Folder { name, files: listed } => {
                for (_, file) in listed {
                    files.push(file);
                }
                let paths: Vec<String> = listed.iter().map(|(path, _)| path.clone()).collect();
                (name.trim_end_matches('/').to_string(), Some(paths))
            }
        };
        let bytes: f64 = files.iter().map(|f| f.unchecked_into::<File>().size()).sum();
        let count = if bytes >= SHARE_FROM_BYTES as f64 {
            self.inner.borrow().size as u32
        } else {
            1
        };
        let jobs: Vec<Job> = (0..count)
            .map(|index| {
                let part = Part { index, count };
                let texts = rules.files.clone();
                let request = match &paths {
                    None => ToWorker::ScanFile {
                        job,
                        part,
                        name: name.clone(),
                        rules: texts,
                    },
                    Some(paths) => ToWorker::ScanFolder {
                        job,
                        part,
                        name: name.clone(),
                        paths: paths.clone(),
                        rules: texts,
                    },
                };
                Job {
                    id: job,
                    part: index,
                    request,
                    files: files.clone(),
                }
            })
            .collect();
        {
            let mut inner = self.inner.borrow_mut();
            let scan = Scan {
                assembly: Assembly::new(&name, count),
                rules,
                shown_at: None,
                shown_findings: 0,
                due: None,
                told_at: f64::NEG_INFINITY,
            };
            inner.scans.insert(job, scan);
            inner.queue.extend(jobs);
        }
        self.dispatch();
    }

    /// Asks the worker that keeps the package for a piece of its source; the answer comes to
    /// the listener as [`Event::Source`]. A busy worker answers once its scan is done.
    pub fn request_source(&self, job: JobId, file: String, span: Span, context: u32) {
        let inner = self.inner.borrow();
        let holder = inner.slots.iter().find(|slot| slot.holds.contains(&job));
        let sent = holder.map(|slot| {
            let json = serde_json::to_string(&ToWorker::Source {
                job,
                file: file.clone(),
                span,
                context,
            })
            .unwrap_or_default();
            let message = Object::new();
            let _ = Reflect::set(&message, &"json".into(), &json.into());
            slot.worker.post_message(&message).is_ok()
        });
        let listener = inner.listener.clone();
        drop(inner);
        if sent != Some(true) {
            listener.emit(Event::Source {
                job,
                file,
                span,
                context,
                excerpt: Err("this package is no longer in memory; drop it again to see its source".into()),
            });
        }
    }

    /// Stops a job, queued or running, all its parts.
    pub fn cancel(&self, job: JobId) {
        self.stop(job);
        self.dispatch();
    }

    /// Forgets a job and stops the workers scanning it.
    fn stop(&self, job: JobId) {
        let mut inner = self.inner.borrow_mut();
        inner.queue.retain(|queued| queued.id != job);
        inner.scans.remove(&job);
        inner.slots.retain(|slot| {
            let scanning = slot.busy.is_some_and(|(busy, _)| busy == job);
            if scanning {
                slot.worker.terminate();
            }
            !scanning
        });
    }

    /// Starts queued jobs on idle workers, spawning workers up to the pool size.
    fn dispatch(&self) {
        loop {
            let inner = self.inner.borrow_mut();
            if inner.queue.is_empty() {
                return;
            }
            let idle = inner.slots.iter().position(|slot| slot.busy.is_none());
            let can_grow = inner.slots.len() < inner.size;
            // Released here: spawning a worker borrows the pool again.
            drop(inner);
            let at = match idle {
                Some(at) => at,
                None if can_grow => match self.spawn() {
                    Ok(slot) => {
                        let mut inner = self.inner.borrow_mut();
                        inner.slots.push(slot);
                        inner.slots.len() - 1
                    }
                    Err(message) => {
                        self.fail_queue(message);
                        return;
                    }
                },
                None => return,
            };
            let mut inner = self.inner.borrow_mut();
            let Some(job) = inner.queue.pop_front() else { return };
            let (id, part) = (job.id, job.part);
            inner.slots[at].busy = Some((id, part));
            if part == 0 {
                // The worker with part 0 keeps the package; a package scanned again (new
                // rules) is kept by the worker that scanned it last.
                for slot in &mut inner.slots {
                    slot.holds.retain(|&held| held != id);
                }
                let slot = &mut inner.slots[at];
                slot.holds.push_back(id);
                while slot.holds.len() > KEPT_PACKAGES {
                    slot.holds.pop_front();
                }
            }
            let message = Object::new();
            let json = serde_json::to_string(&job.request).unwrap_or_default();
            let _ = Reflect::set(&message, &"json".into(), &json.into());
            let _ = Reflect::set(&message, &"files".into(), &job.files);
            if let Err(error) = inner.slots[at].worker.post_message(&message) {
                inner.slots[at].busy = None;
                drop(inner);
                self.fail(id, format!("could not hand the package to the engine: {error:?}"));
            }
        }
    }

    fn fail_queue(&self, message: String) {
        let jobs: Vec<JobId> = {
            let mut inner = self.inner.borrow_mut();
            let mut jobs: Vec<JobId> = inner.queue.drain(..).map(|j| j.id).collect();
            jobs.dedup();
            jobs
        };
        for job in jobs {
            self.fail(job, message.clone());
        }
    }

    /// A job failed: its other parts stop, and the page is told why.
    fn fail(&self, job: JobId, message: String) {
        let known = self.inner.borrow().scans.contains_key(&job);
        self.stop(job);
        if known {
            let listener = self.inner.borrow().listener.clone();
            listener.emit(Event::Failed { job, message });
        }
    }

    fn spawn(&self) -> Result<Slot, String> {
        let (url, module) = {
            let inner = self.inner.borrow();
            (inner.worker_url.clone(), inner.module.clone())
        };
        let worker = Worker::new(&url).map_err(|e| format!("cannot start a Web Worker: {e:?}"))?;
        let pool = self.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let json = Reflect::get(&event.data(), &"json".into())
                .ok()
                .and_then(|v| v.as_string());
            let Some(message) = json.and_then(|json| serde_json::from_str::<FromWorker>(&json).ok()) else {
                return;
            };
            pool.received(message);
            pool.dispatch();
        });
        let pool = self.clone();
        let worker_for_error = worker.clone();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            pool.crashed(&worker_for_error, event.message());
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let init = Object::new();
        let _ = Reflect::set(&init, &"init".into(), &true.into());
        let _ = Reflect::set(&init, &"module".into(), &module);
        worker
            .post_message(&init)
            .map_err(|e| format!("cannot start the engine: {e:?}"))?;
        Ok(Slot {
            worker,
            busy: None,
            holds: VecDeque::new(),
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    fn received(&self, message: FromWorker) {
        match message {
            FromWorker::Piece { job, part, piece } => self.piece(job, part, *piece),
            // A worker whose engine panicked cannot be trusted with another job.
            FromWorker::Crashed { job, message } => self.fail(job, message),
            FromWorker::Source {
                job,
                file,
                span,
                context,
                excerpt,
            } => {
                let listener = self.inner.borrow().listener.clone();
                listener.emit(Event::Source {
                    job,
                    file,
                    span,
                    context,
                    excerpt,
                });
            }
        }
    }

    /// Adds a part's piece to its scan, and tells the page what there is to show.
    fn piece(&self, job: JobId, part: u32, piece: Piece) {
        let mut inner = self.inner.borrow_mut();
        if piece.done.is_some()
            && let Some(slot) = inner.slots.iter_mut().find(|slot| slot.busy == Some((job, part)))
        {
            slot.busy = None;
        }
        let listener = inner.listener.clone();
        let Some(scan) = inner.scans.get_mut(&job) else {
            // Cancelled meanwhile.
            return;
        };
        scan.assembly.add(part, piece);
        let event = if scan.assembly.is_complete() {
            let scan = inner.scans.remove(&job).expect("the scan is there");
            Some(match scan.assembly.into_report(scan.rules.set()) {
                Some(report) => Event::Done {
                    job,
                    report: Box::new(report),
                },
                None => Event::Failed {
                    job,
                    message: "the engine ended without reading the package".into(),
                },
            })
        } else {
            let progress = scan.assembly.progress();
            let now = now();
            let analysed = scan.assembly.analysed_files() > 0;
            let news = scan.assembly.findings_so_far() >= scan.shown_findings + PARTIAL_NEWS;
            let interval = if news { PARTIAL_SOONEST_MS } else { PARTIAL_INTERVAL_MS };
            let wait = scan.shown_at.map_or(0.0, |at| at + interval - now);
            let report = if analysed && wait > 0.0 {
                // Shown when it is due, whether or not another piece has come by then.
                if scan.due.is_none_or(|due| now + wait < due) {
                    scan.due = Some(now + wait);
                    self.later(job, wait);
                }
                None
            } else {
                analysed.then(|| partial(scan, now)).flatten()
            };
            match report {
                Some(report) => Some(Event::Partial {
                    job,
                    report: Box::new(report),
                    progress,
                }),
                None if now - scan.told_at >= PROGRESS_INTERVAL_MS => Some(Event::Progress { job, progress }),
                None => None,
            }
            .inspect(|_| scan.told_at = now)
        };
        drop(inner);
        if let Some(event) = event {
            listener.emit(event);
        }
    }

    /// Passes on the partial report of `job` in `wait` milliseconds, if it is still running.
    fn later(&self, job: JobId, wait: f64) {
        let pool = self.clone();
        let show = Closure::once_into_js(move || {
            let mut inner = pool.inner.borrow_mut();
            let listener = inner.listener.clone();
            // Gone, or shown since.
            let Some(scan) = inner.scans.get_mut(&job).filter(|scan| scan.due.is_some()) else {
                return;
            };
            let progress = scan.assembly.progress();
            let Some(report) = partial(scan, now()) else { return };
            drop(inner);
            listener.emit(Event::Partial {
                job,
                report: Box::new(report),
                progress,
            });
        });
        if let Some(window) = web_sys::window() {
            let _ =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(show.unchecked_ref(), wait.ceil() as i32);
        }
    }

    /// A worker died (an uncaught error): its job fails, the worker is replaced on demand.
    fn crashed(&self, worker: &Worker, message: String) {
        let job = {
            let mut inner = self.inner.borrow_mut();
            let Some(at) = inner.slots.iter().position(|slot| &slot.worker == worker) else {
                return;
            };
            let slot = inner.slots.remove(at);
            slot.worker.terminate();
            slot.busy.map(|(job, _)| job)
        };
        if let Some(job) = job {
            self.fail(job, format!("the engine stopped: {message}"));
        }
        self.dispatch();
    }
}
