//! The page side of the engine: a small pool of Web Workers, each with its own engine instance,
//! fed from a queue. A job can be cancelled (its worker is stopped and replaced), and a worker
//! that dies takes only its own job down. Source requests go straight to the worker that keeps
//! the package.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use telltale::report::Span;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};
use yew::Callback;

use crate::protocol::{FromWorker, JobId, KEPT_PACKAGES, ToWorker};

/// A job waiting for a worker: the request and the file contents to transfer.
struct Job {
    request: ToWorker,
    buffers: Array,
}

impl Job {
    fn id(&self) -> JobId {
        match self.request {
            ToWorker::ScanFile { job, .. } | ToWorker::ScanFolder { job, .. } | ToWorker::Source { job, .. } => job,
        }
    }
}

struct Slot {
    worker: Worker,
    busy: Option<JobId>,
    /// Packages this worker scanned last and keeps (as the worker does), newest last.
    holds: VecDeque<JobId>,
    // Kept alive as long as the worker.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

struct Inner {
    module: JsValue,
    worker_url: String,
    size: usize,
    slots: Vec<Slot>,
    queue: VecDeque<Job>,
    listener: Callback<FromWorker>,
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
                listener: Callback::noop(),
                next_job: 1,
            })),
        };
        // One engine starts with the page, so the first package does not wait for it; a
        // failure here is reported when a job needs the worker.
        if let Ok(slot) = pool.spawn() {
            pool.inner.borrow_mut().slots.push(slot);
        }
        pool
    }

    /// Where worker messages go (the app's reducer).
    pub fn set_listener(&self, listener: Callback<FromWorker>) {
        self.inner.borrow_mut().listener = listener;
    }

    pub fn next_job_id(&self) -> JobId {
        let mut inner = self.inner.borrow_mut();
        let id = inner.next_job;
        inner.next_job += 1;
        id
    }

    /// Queues a job; `buffers` are the ArrayBuffers to transfer with it.
    pub fn submit(&self, request: ToWorker, buffers: Array) {
        self.inner.borrow_mut().queue.push_back(Job { request, buffers });
        self.dispatch();
    }

    /// Asks the worker that keeps the package for a piece of its source; the answer comes to
    /// the listener as [`FromWorker::Source`]. A busy worker answers once its scan is done.
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
            listener.emit(FromWorker::Source {
                job,
                file,
                span,
                context,
                excerpt: Err("this package is no longer in memory; drop it again to see its source".into()),
            });
        }
    }

    /// Stops a job, queued or running.
    pub fn cancel(&self, job: JobId) {
        let mut inner = self.inner.borrow_mut();
        inner.queue.retain(|queued| queued.id() != job);
        if let Some(at) = inner.slots.iter().position(|slot| slot.busy == Some(job)) {
            let slot = inner.slots.remove(at);
            slot.worker.terminate();
        }
        drop(inner);
        self.dispatch();
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
            let id = job.id();
            inner.slots[at].busy = Some(id);
            let message = Object::new();
            let json = serde_json::to_string(&job.request).unwrap_or_default();
            let _ = Reflect::set(&message, &"json".into(), &json.into());
            let _ = Reflect::set(&message, &"buffers".into(), &job.buffers);
            let transfer = job.buffers.clone();
            if let Err(error) = inner.slots[at].worker.post_message_with_transfer(&message, &transfer) {
                inner.slots[at].busy = None;
                let listener = inner.listener.clone();
                drop(inner);
                listener.emit(FromWorker::Crashed {
                    job: id,
                    message: format!("could not hand the package to the engine: {error:?}"),
                });
            }
        }
    }

    fn fail_queue(&self, message: String) {
        let (jobs, listener) = {
            let mut inner = self.inner.borrow_mut();
            (
                inner.queue.drain(..).map(|j| j.id()).collect::<Vec<_>>(),
                inner.listener.clone(),
            )
        };
        for job in jobs {
            listener.emit(FromWorker::Crashed {
                job,
                message: message.clone(),
            });
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
            pool.finished(&message);
            let listener = pool.inner.borrow().listener.clone();
            listener.emit(message);
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

    /// Frees the worker of a job that ended. A worker whose engine panicked cannot be trusted
    /// with another job: it is stopped and replaced on demand.
    fn finished(&self, message: &FromWorker) {
        let (job, crashed) = match message {
            FromWorker::Done { job, .. } => (*job, false),
            FromWorker::Crashed { job, .. } => (*job, true),
            FromWorker::Progress { .. } | FromWorker::Source { .. } => return,
        };
        let mut inner = self.inner.borrow_mut();
        let Some(at) = inner.slots.iter().position(|slot| slot.busy == Some(job)) else {
            return;
        };
        if crashed {
            inner.slots.remove(at).worker.terminate();
        } else {
            // A package scanned again (new rules) is kept by the worker that scanned it last.
            for slot in &mut inner.slots {
                slot.holds.retain(|&held| held != job);
            }
            let slot = &mut inner.slots[at];
            slot.busy = None;
            slot.holds.push_back(job);
            while slot.holds.len() > KEPT_PACKAGES {
                slot.holds.pop_front();
            }
        }
    }

    /// A worker died (an uncaught error): its job fails, the worker is replaced on demand.
    fn crashed(&self, worker: &Worker, message: String) {
        let (job, listener) = {
            let mut inner = self.inner.borrow_mut();
            let Some(at) = inner.slots.iter().position(|slot| &slot.worker == worker) else {
                return;
            };
            let slot = inner.slots.remove(at);
            slot.worker.terminate();
            (slot.busy, inner.listener.clone())
        };
        if let Some(job) = job {
            listener.emit(FromWorker::Crashed {
                job,
                message: format!("the engine stopped: {message}"),
            });
        }
        self.dispatch();
    }
}
