//! The worker side: receives a package, runs the engine, posts progress and the report.

use std::cell::Cell;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use telltale::scan::{Input, ScanOptions, scan};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::protocol::{FromWorker, JobId, ToWorker};

thread_local! {
    /// The job being worked on, so that a panic can be reported against it.
    static CURRENT_JOB: Cell<Option<JobId>> = const { Cell::new(None) };
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
    let options = ScanOptions::default();
    match request {
        ToWorker::ScanFile { job, name } => {
            CURRENT_JOB.with(|c| c.set(Some(job)));
            let bytes = buffers.into_iter().next().unwrap_or_default();
            let mut progress = |progress| post(&FromWorker::Progress { job, progress });
            let report = scan(
                Input::Bytes {
                    name: &name,
                    bytes: &bytes,
                },
                &options,
                &mut progress,
            );
            post(&FromWorker::Done {
                job,
                report: Box::new(report),
            });
        }
        ToWorker::ScanFolder { job, name, paths } => {
            CURRENT_JOB.with(|c| c.set(Some(job)));
            let files = paths.into_iter().zip(buffers).collect();
            let mut progress = |progress| post(&FromWorker::Progress { job, progress });
            let report = scan(Input::Files { name: &name, files }, &options, &mut progress);
            post(&FromWorker::Done {
                job,
                report: Box::new(report),
            });
        }
    }
    CURRENT_JOB.with(|c| c.set(None));
}
