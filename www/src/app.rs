//! The page: drop zone, the packages being read, and the selected package's results.

use js_sys::Array;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use yew::prelude::*;

use crate::panels::drop_zone::{DropZone, Dropped};
use crate::panels::files::Files;
use crate::panels::package_tabs::PackageTabs;
use crate::pool::WorkerPool;
use crate::protocol::{FromWorker, ToWorker};
use crate::state::{Action, State, Status};

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub pool: WorkerPool,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let state = use_reducer(State::default);
    {
        let pool = props.pool.clone();
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            pool.set_listener(Callback::from(move |message: FromWorker| {
                dispatcher.dispatch(match message {
                    FromWorker::Progress { job, progress } => Action::Progress { job, progress },
                    FromWorker::Done { job, report } => Action::Done { job, report },
                    FromWorker::Crashed { job, message } => Action::Failed { job, message },
                })
            }));
        });
    }
    let on_drop = {
        let pool = props.pool.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |dropped: Vec<Dropped>| {
            for item in dropped {
                start_job(&pool, &dispatcher, item);
            }
        })
    };
    let on_select = {
        let dispatcher = state.dispatcher();
        Callback::from(move |job| dispatcher.dispatch(Action::Select { job }))
    };
    let on_cancel = {
        let dispatcher = state.dispatcher();
        let pool = props.pool.clone();
        Callback::from(move |job| {
            pool.cancel(job);
            dispatcher.dispatch(Action::Cancelled { job });
        })
    };
    let on_close = {
        let dispatcher = state.dispatcher();
        Callback::from(move |job| dispatcher.dispatch(Action::Remove { job }))
    };

    let body = match state.selected().map(|p| &p.status) {
        Some(Status::Done(report)) => html! { <Files report={report.clone()} /> },
        Some(Status::Failed(message)) => html! { <div class="failure" role="alert">{ message }</div> },
        _ => html! {},
    };
    html! {
        <>
            <header class="top-bar">
                <h1>{ "Telltale" }</h1>
                <span class="tagline">{ "Does this package phone home, what does it send, and does it check where you are?" }</span>
            </header>
            <main>
                <DropZone on_drop={on_drop} compact={!state.packages.is_empty()} />
                if !state.packages.is_empty() {
                    <PackageTabs packages={state.packages.clone()} selected={state.selected}
                        on_select={on_select} on_cancel={on_cancel} on_close={on_close} />
                }
                { body }
            </main>
            <footer class="status-bar">
                { format!("Telltale {} · offline only: this page makes no network requests", env!("CARGO_PKG_VERSION")) }
            </footer>
        </>
    }
}

/// Reads the dropped file(s) into ArrayBuffers and hands them to the pool.
fn start_job(pool: &WorkerPool, dispatcher: &UseReducerDispatcher<State>, item: Dropped) {
    let job = pool.next_job_id();
    let (name, bytes) = match &item {
        Dropped::File(file) => (file.name(), file.size() as u64),
        Dropped::Folder { name, files } => (format!("{name}/"), files.iter().map(|(_, f)| f.size() as u64).sum()),
    };
    dispatcher.dispatch(Action::Added {
        job,
        name: name.clone(),
        bytes,
    });
    let pool = pool.clone();
    let dispatcher = dispatcher.clone();
    spawn_local(async move {
        let buffers = Array::new();
        let request = match item {
            Dropped::File(file) => match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => {
                    buffers.push(&buffer);
                    ToWorker::ScanFile { job, name }
                }
                Err(error) => {
                    dispatcher.dispatch(Action::Failed {
                        job,
                        message: format!("the browser could not read the file: {error:?}"),
                    });
                    return;
                }
            },
            Dropped::Folder { name, files } => {
                let mut paths = Vec::new();
                for (path, file) in files {
                    // An unreadable file in a folder is skipped; the rest is still scanned.
                    if let Ok(buffer) = JsFuture::from(file.array_buffer()).await {
                        buffers.push(&buffer);
                        paths.push(path);
                    }
                }
                ToWorker::ScanFolder {
                    job,
                    name: name.trim_end_matches('/').to_string(),
                    paths,
                }
            }
        };
        pool.submit(request, buffers);
    });
}
