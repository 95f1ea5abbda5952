//! The page: drop zone, the packages being read, and the selected package's report in four
//! views (overview, findings, files, rules) with the source beside them.

use std::rc::Rc;

use telltale::report::Report;
use telltale::rules::{BUILTIN, RuleSet};
use telltale::scan::Progress;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{File, HtmlElement};
use yew::prelude::*;

use crate::filters::FindingFilter;
use crate::panels::custom_rules::CustomRules;
use crate::panels::drop_zone::{DropZone, Dropped};
use crate::panels::exports::Exports;
use crate::panels::file_tree::FileTree;
use crate::panels::findings::Findings;
use crate::panels::overview::Overview;
use crate::panels::package_tabs::PackageTabs;
use crate::panels::source_view::SourceView;
use crate::pool::{Event, ScanInput, WorkerPool};
use crate::protocol::{JobId, RuleText};
use crate::state::{Action, ActiveRules, PackageState, SourceState, SourceTarget, State, Status, View};
use crate::verdict::{Verdict, verdict};

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub pool: WorkerPool,
}

/// A report file bigger than this is not tried as a saved report (it is scanned instead).
const MAX_REPORT_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let state = use_reducer(State::default);
    {
        let pool = props.pool.clone();
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            pool.set_listener(Callback::from(move |event: Event| {
                dispatcher.dispatch(match event {
                    Event::Progress { job, progress } => Action::Progress { job, progress },
                    Event::Partial { job, report, progress } => Action::Partial { job, report, progress },
                    Event::Done { job, report } => Action::Done { job, report },
                    Event::Failed { job, message } => Action::Failed { job, message },
                    Event::Source {
                        job,
                        file,
                        span,
                        context,
                        excerpt,
                    } => Action::SourceArrived {
                        job,
                        file,
                        span,
                        context,
                        excerpt,
                    },
                })
            }));
        });
    }
    {
        // `/` anywhere but in a text field jumps to the findings' search box.
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let listener = Closure::<dyn FnMut(KeyboardEvent)>::new(move |event: KeyboardEvent| {
                let typing = event
                    .target()
                    .and_then(|t| t.dyn_into::<HtmlElement>().ok())
                    .is_some_and(|t| matches!(t.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
                if event.key() != "/" || typing || event.ctrl_key() || event.meta_key() {
                    return;
                }
                event.prevent_default();
                dispatcher.dispatch(Action::Show(View::Findings));
                focus_soon("finding-search");
            });
            let document = web_sys::window().and_then(|w| w.document());
            if let Some(document) = &document {
                let _ = document.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(document) = document {
                    let _ = document.remove_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
                }
            }
        });
    }

    let rules = state.rules.clone();
    let on_rule_files = {
        let dispatcher = state.dispatcher();
        let pool = props.pool.clone();
        let packages = state.packages.clone();
        let rules = rules.clone();
        Callback::from(move |files: Vec<File>| {
            add_rule_files(&pool, &dispatcher, &packages, &rules, files);
        })
    };
    let on_drop = {
        let pool = props.pool.clone();
        let dispatcher = state.dispatcher();
        let on_rule_files = on_rule_files.clone();
        let rules = rules.clone();
        Callback::from(move |dropped: Vec<Dropped>| {
            let (rule_files_dropped, packages): (Vec<Dropped>, Vec<Dropped>) = dropped
                .into_iter()
                .partition(|d| matches!(d, Dropped::File(f) if f.name().to_lowercase().ends_with(".toml")));
            let rule_files_dropped: Vec<File> = rule_files_dropped
                .into_iter()
                .filter_map(|d| match d {
                    Dropped::File(file) => Some(file),
                    Dropped::Folder { .. } => None,
                })
                .collect();
            if !rule_files_dropped.is_empty() {
                on_rule_files.emit(rule_files_dropped);
            }
            for item in packages {
                start_job(&pool, &dispatcher, item, rules.clone());
            }
        })
    };
    let on_clear_rules = {
        let dispatcher = state.dispatcher();
        let pool = props.pool.clone();
        let packages = state.packages.clone();
        Callback::from(move |()| {
            dispatcher.dispatch(Action::Rules(ActiveRules::default()));
            rescan_all(&pool, &dispatcher, &packages, &ActiveRules::default());
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

    let selected = state.selected();
    // The report shown, and whether it is partial.
    let shown = selected.and_then(|p| match &p.status {
        Status::Done(report) => Some((report.clone(), None)),
        Status::Partial { report, progress } => Some((report.clone(), Some(*progress))),
        _ => None,
    });
    // Worked out once per report, not on every change of the page (progress comes often).
    let verdict = use_memo(
        Shown(
            shown
                .as_ref()
                .map(|(report, progress)| (report.clone(), progress.is_some())),
            rules.clone(),
        ),
        |Shown(shown, rules)| {
            shown.as_ref().map(|(report, partial)| {
                let mut verdict = verdict(report, rules.set());
                if *partial {
                    verdict.headline = format!("So far: {}", verdict.headline);
                }
                Rc::new(verdict)
            })
        },
    );
    let body = match (selected, shown, verdict.as_ref()) {
        (Some(package), Some((report, partial)), Some(verdict)) => {
            let shown = ShownReport {
                report,
                verdict: verdict.clone(),
                partial,
            };
            report_view(&state, package, shown, &props.pool, on_rule_files, on_clear_rules)
        }
        _ => match selected.map(|p| &p.status) {
            Some(Status::Failed(message)) => html! { <div class="failure" role="alert">{ message }</div> },
            _ => html! {},
        },
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
                <span class="offline">{ "Offline only: this page makes no network requests, and nothing you drop leaves it." }</span>
                <span class="versions">{ format!("Telltale {} · rule pack {}", env!("CARGO_PKG_VERSION"), rules.version()) }</span>
            </footer>
        </>
    }
}

/// The report shown and the rules, for working out its verdict once: reports are compared by
/// identity (each one the page gets is new).
struct Shown(Option<(Rc<Report>, bool)>, ActiveRules);

impl PartialEq for Shown {
    fn eq(&self, other: &Self) -> bool {
        let same = match (&self.0, &other.0) {
            (Some((a, a_partial)), Some((b, b_partial))) => Rc::ptr_eq(a, b) && a_partial == b_partial,
            (None, None) => true,
            _ => false,
        };
        same && self.1 == other.1
    }
}

/// A report as the page shows it.
struct ShownReport {
    report: Rc<Report>,
    verdict: Rc<Verdict>,
    /// While the package is still being read: how far it is.
    partial: Option<Progress>,
}

/// The selected package's report: its head, the view tabs, the view, and the source. While the
/// package is still being read, the report is on what is in so far, and says so.
fn report_view(
    state: &UseReducerHandle<State>,
    package: &PackageState,
    shown: ShownReport,
    pool: &WorkerPool,
    on_rule_files: Callback<Vec<File>>,
    on_clear_rules: Callback<()>,
) -> Html {
    let ShownReport {
        report,
        verdict,
        partial,
    } = shown;
    let partial = partial.as_ref();
    let dispatcher = state.dispatcher();
    let job = package.job;
    let imported = package.input.is_none();
    let on_filter = {
        let dispatcher = dispatcher.clone();
        Callback::from(move |filter: FindingFilter| dispatcher.dispatch(Action::Filter(filter)))
    };
    let on_source = {
        let dispatcher = dispatcher.clone();
        let pool = pool.clone();
        Callback::from(move |target: SourceTarget| open_source(&pool, &dispatcher, job, imported, target, 1))
    };
    let on_more = {
        let dispatcher = dispatcher.clone();
        let pool = pool.clone();
        let source = state.source.clone();
        Callback::from(move |()| {
            if let Some(source) = &source {
                let target = SourceTarget {
                    file: source.file.clone(),
                    span: source.span,
                    label: source.label.clone(),
                };
                open_source(&pool, &dispatcher, job, imported, target, source.context + 1);
            }
        })
    };
    let on_close_source = {
        let dispatcher = dispatcher.clone();
        Callback::from(move |()| dispatcher.dispatch(Action::CloseSource))
    };
    let on_open = {
        let dispatcher = dispatcher.clone();
        Callback::from(move |index| dispatcher.dispatch(Action::OpenFinding(index)))
    };
    let on_file_findings = {
        let dispatcher = dispatcher.clone();
        let filter = state.filter.clone();
        Callback::from(move |file: String| {
            dispatcher.dispatch(Action::Filter(FindingFilter {
                file: Some(file),
                hide_never_runs: false,
                ..filter.clone()
            }))
        })
    };
    let tab = |view: View, label: String| {
        let dispatcher = dispatcher.clone();
        let selected = state.view == view;
        let onclick = Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Show(view)));
        html! {
            <button type="button" role="tab" class={classes!("view-tab", selected.then_some("selected"))}
                aria-selected={selected.to_string()} id={format!("tab-{view:?}").to_lowercase()} {onclick}>
                { label }
            </button>
        }
    };
    // The source sits beside the views that open it.
    let source = state
        .source
        .as_ref()
        .filter(|_| matches!(state.view, View::Findings | View::Files));
    let title = match (&report.package.name, &report.package.version) {
        (Some(name), Some(version)) => format!("{name} {version}"),
        (Some(name), None) => name.clone(),
        _ => report.package.source.clone(),
    };
    let view = match state.view {
        View::Overview => html! { <Overview report={report.clone()} verdict={verdict.clone()} {on_filter} /> },
        View::Findings => html! {
            <Findings report={report.clone()} filter={state.filter.clone()} {on_filter}
                open={state.open_finding} {on_open} on_source={on_source.clone()} />
        },
        View::Files => {
            html! { <FileTree report={report.clone()} on_findings={on_file_findings} on_source={on_source.clone()} /> }
        }
        View::Rules => html! {
            <CustomRules rules={state.rules.clone()} errors={state.rule_errors.clone()}
                on_files={on_rule_files} on_clear={on_clear_rules} />
        },
    };
    let read = match partial {
        Some(_) => "still reading".to_string(),
        None => format!("read in {:.1} s", report.stats.timings_ms.total / 1000.0),
    };
    html! {
        <>
            <div class={classes!("report-head", partial.is_some().then_some("partial"))}>
                <div class="report-title">
                    <h2>
                        { title }
                        if partial.is_some() { <span class="partial-mark">{ " (partial)" }</span> }
                    </h2>
                    <span class="dim">
                        { format!("{} · {} · {} files · {} findings · {read}", report.package.format,
                            report.package.source, report.files.len(), report.findings.len()) }
                        if imported { { " · opened from a saved report" } }
                    </span>
                </div>
                if partial.is_none() {
                    <Exports report={report.clone()} verdict={verdict.clone()} rules={state.rules.clone()} />
                }
            </div>
            if let Some(progress) = partial {
                <div class="partial-results" role="status">
                    <strong>{ "Partial results." }</strong>
                    { format!(" The package is still being read: {} files so far, {} of them code analysed. \
                        Findings, verdict and paths can change; the complete report replaces this one when reading ends.",
                        progress.files, report.stats.parsed_files) }
                </div>
            }
            if !report.errors.is_empty() {
                <div class="errors" role="alert">
                    <h3>{ format!("Problems reading the package ({})", report.errors.len()) }</h3>
                    <ul>
                        { for report.errors.iter().map(|e| html! {
                            <li><span class="path">{ &e.file }</span>{ ": " }{ &e.message }</li>
                        }) }
                    </ul>
                </div>
            }
            <nav class="view-tabs" role="tablist" aria-label="Views">
                { tab(View::Overview, "Overview".into()) }
                { tab(View::Findings, format!("Findings ({})", report.findings.len())) }
                { tab(View::Files, format!("Files ({})", report.files.len())) }
                { tab(View::Rules, "Rules".into()) }
            </nav>
            <div class={classes!("workspace", source.is_some().then_some("with-source"))}>
                <div class="view" role="tabpanel">{ view }</div>
                if let Some(source) = source {
                    <SourceView source={source.clone()} {on_more} on_close={on_close_source} />
                }
            </div>
        </>
    }
}

/// Shows the source at `target`, asking the worker that keeps the package for it.
fn open_source(
    pool: &WorkerPool,
    dispatcher: &UseReducerDispatcher<State>,
    job: JobId,
    imported: bool,
    target: SourceTarget,
    context: u32,
) {
    let excerpt =
        imported.then(|| Err("This report was opened from a file: the package's code is not here.".to_string()));
    dispatcher.dispatch(Action::OpenSource(SourceState {
        job,
        file: target.file.clone(),
        span: target.span,
        context,
        label: target.label,
        excerpt: excerpt.clone(),
    }));
    if excerpt.is_none() {
        pool.request_source(job, target.file, target.span, context);
    }
}

/// Focuses the element with `id` once the page has drawn it.
fn focus_soon(id: &'static str) {
    let focus = Closure::once_into_js(move || {
        if let Some(element) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(focus.unchecked_ref(), 0);
    }
}

/// Reads rule files, compiles them with the shipped rules and the ones already added, and on
/// success scans every package again.
fn add_rule_files(
    pool: &WorkerPool,
    dispatcher: &UseReducerDispatcher<State>,
    packages: &[PackageState],
    rules: &ActiveRules,
    files: Vec<File>,
) {
    let pool = pool.clone();
    let dispatcher = dispatcher.clone();
    let packages = packages.to_vec();
    let mut texts = rules.files.clone();
    spawn_local(async move {
        for file in files {
            let text = JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string())
                .unwrap_or_default();
            let origin = file.name();
            texts.retain(|r| r.origin != origin);
            texts.push(RuleText { origin, text });
        }
        let all = BUILTIN
            .iter()
            .map(|(origin, text)| (origin.to_string(), text.to_string()))
            .chain(texts.iter().map(|r| (r.origin.clone(), r.text.clone())));
        match RuleSet::compile(all) {
            Ok(set) => {
                let rules = ActiveRules::with_files(texts, set);
                dispatcher.dispatch(Action::Rules(rules.clone()));
                rescan_all(&pool, &dispatcher, &packages, &rules);
            }
            Err(errors) => {
                dispatcher.dispatch(Action::RuleErrors(errors.iter().map(ToString::to_string).collect()));
                dispatcher.dispatch(Action::Show(View::Rules));
            }
        }
    });
}

/// Scans every dropped package again with `rules`; the old scan, if still running, stops.
fn rescan_all(
    pool: &WorkerPool,
    dispatcher: &UseReducerDispatcher<State>,
    packages: &[PackageState],
    rules: &ActiveRules,
) {
    for package in packages {
        let Some(input) = &package.input else { continue };
        pool.cancel(package.job);
        dispatcher.dispatch(Action::Rescanning { job: package.job });
        submit(pool, package.job, input.clone(), rules.clone());
    }
}

/// Starts a dropped item: a saved Telltale report opens as it is, anything else is scanned.
fn start_job(pool: &WorkerPool, dispatcher: &UseReducerDispatcher<State>, item: Dropped, rules: ActiveRules) {
    let job = pool.next_job_id();
    let (name, bytes) = match &item {
        Dropped::File(file) => (file.name(), file.size() as u64),
        Dropped::Folder { name, files } => (format!("{name}/"), files.iter().map(|(_, f)| f.size() as u64).sum()),
    };
    let pool = pool.clone();
    let dispatcher = dispatcher.clone();
    spawn_local(async move {
        if let Dropped::File(file) = &item
            && let Some(report) = saved_report(file).await
        {
            dispatcher.dispatch(Action::Added {
                job,
                name,
                bytes,
                input: None,
            });
            dispatcher.dispatch(Action::Done {
                job,
                report: Box::new(report),
            });
            return;
        }
        dispatcher.dispatch(Action::Added {
            job,
            name,
            bytes,
            input: Some(item.clone()),
        });
        submit(&pool, job, item, rules);
    });
}

/// A `.json` file that is a Telltale report (`telltale scan -f json`, or this page's export).
async fn saved_report(file: &File) -> Option<Report> {
    if !file.name().to_lowercase().ends_with(".json") || file.size() > MAX_REPORT_BYTES {
        return None;
    }
    let text = JsFuture::from(file.text()).await.ok()?.as_string()?;
    let report: Report = serde_json::from_str(&text).ok()?;
    (report.tool.name == "telltale").then_some(report)
}

/// Hands the dropped file(s) to the pool, to scan with `rules`; the workers read them.
fn submit(pool: &WorkerPool, job: JobId, item: Dropped, rules: ActiveRules) {
    let input = match item {
        Dropped::File(file) => ScanInput::File(file),
        Dropped::Folder { name, files } => ScanInput::Folder { name, files },
    };
    pool.scan(job, input, rules);
}
