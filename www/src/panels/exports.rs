//! Downloads of the report, made in the page: JSON (the report as is), SARIF for code-scanning
//! dashboards, and one self-contained HTML file. Each is a Blob handed to the browser's
//! download; nothing is uploaded.

use std::rc::Rc;

use js_sys::Array;
use telltale::report::Report;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};
use yew::prelude::*;

use crate::report_html;
use crate::state::ActiveRules;
use crate::verdict::Verdict;

#[derive(Properties, PartialEq)]
pub struct ExportsProps {
    pub report: Rc<Report>,
    pub verdict: Rc<Verdict>,
    pub rules: ActiveRules,
}

/// How long a download's Blob URL lives: long enough for the browser to start reading it.
const URL_LIFETIME_MS: i32 = 60_000;

#[function_component(Exports)]
pub fn exports(props: &ExportsProps) -> Html {
    let stem = props
        .report
        .package
        .source
        .trim_end_matches(".tgz")
        .trim_end_matches(".zip")
        .to_string();
    let json = {
        let report = props.report.clone();
        let name = format!("{stem}.telltale.json");
        Callback::from(move |_: MouseEvent| {
            let text = serde_json::to_string_pretty(&*report).unwrap_or_default();
            download(&name, "application/json", &text);
        })
    };
    let sarif = {
        let report = props.report.clone();
        let rules = props.rules.clone();
        let name = format!("{stem}.sarif");
        Callback::from(move |_: MouseEvent| {
            let sarif = telltale::sarif::to_sarif(&report, rules.set());
            let text = serde_json::to_string_pretty(&sarif).unwrap_or_default();
            download(&name, "application/sarif+json", &text);
        })
    };
    let page = {
        let report = props.report.clone();
        let verdict = props.verdict.clone();
        let rules = props.rules.clone();
        let name = format!("{stem}.telltale.html");
        Callback::from(move |_: MouseEvent| {
            let html = report_html::render(&report, &verdict, &rules.version());
            download(&name, "text/html", &html);
        })
    };
    html! {
        <div class="exports" role="group" aria-label="Download the report">
            <span class="dim">{ "Download:" }</span>
            <button type="button" id="export-json" onclick={json}>{ "JSON" }</button>
            <button type="button" id="export-sarif" onclick={sarif}>{ "SARIF" }</button>
            <button type="button" id="export-html" onclick={page}>{ "HTML report" }</button>
        </div>
    }
}

/// Saves `text` as a file named `name` through a Blob URL and a transient link.
fn download(name: &str, mime: &str, text: &str) {
    let parts = Array::of1(&text.into());
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(link) = document
        .create_element("a")
        .map(JsCast::unchecked_into::<HtmlAnchorElement>)
    {
        link.set_href(&url);
        link.set_download(name);
        link.click();
    }
    let revoke = Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), URL_LIFETIME_MS);
    }
}
