//! The Telltale web inspector. One WebAssembly module serves two roles: on the page it runs the
//! Yew app ([`start_app`]); in each Web Worker it runs the engine ([`worker_main`]), so the page
//! never freezes while a package is read. Nothing here makes a network request.

mod app;
mod filters;
mod invisible;
mod panels;
mod pool;
mod protocol;
mod report_html;
mod state;
mod verdict;
mod worker;

use wasm_bindgen::prelude::*;

/// Starts the page. `module` is the compiled WebAssembly module (shared with the workers, so it
/// is compiled once); `worker_url` is a Blob URL of the worker's bootstrap script.
#[wasm_bindgen]
pub fn start_app(module: JsValue, worker_url: String) {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
        .expect("index.html has an #app element");
    let props = app::AppProps {
        pool: pool::WorkerPool::new(module, worker_url),
    };
    yew::Renderer::<app::App>::with_root_and_props(root, props).render();
}

/// Runs in a Web Worker: answers scan requests from the page.
#[wasm_bindgen]
pub fn worker_main() {
    worker::install();
}
