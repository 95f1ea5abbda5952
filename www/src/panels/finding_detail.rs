//! One finding, opened: why it matters, the code around it, the switches guarding it and the
//! code path from an entry point to where the value goes.

use std::rc::Rc;

use telltale::report::Report;
use yew::prelude::*;

use crate::filters::never_runs;
use crate::invisible::reveal;
use crate::panels::path_graph::PathGraph;
use crate::state::SourceTarget;

#[derive(Properties, PartialEq)]
pub struct FindingDetailProps {
    pub report: Rc<Report>,
    pub index: usize,
    pub on_source: Callback<SourceTarget>,
}

#[function_component(FindingDetail)]
pub fn finding_detail(props: &FindingDetailProps) -> Html {
    let finding = &props.report.findings[props.index];
    let show_source = {
        let target = SourceTarget {
            file: finding.file.clone(),
            span: finding.span,
            label: finding.title.clone(),
        };
        props.on_source.reform(move |_: MouseEvent| target.clone())
    };
    let on_step = {
        let steps = finding.path.clone();
        props.on_source.reform(move |index: usize| {
            let step = &steps[index];
            SourceTarget {
                file: step.file.clone(),
                span: step.span,
                label: format!("{}: {}", step.role, step.note),
            }
        })
    };
    html! {
        <div class="finding-detail">
            <p class="message">{ reveal(&finding.message) }</p>
            if never_runs(finding) {
                <p class="dim never-runs-note">
                    { "This code never runs: " }
                    { finding.reachability.reason.clone().unwrap_or_else(|| "nothing leads to it".into()) }
                    { ". It is shown for context." }
                </p>
            }
            <dl class="facts">
                <dt>{ "rule" }</dt><dd><code>{ &finding.rule }</code>{ format!(" · {}", finding.category.as_str()) }</dd>
                <dt>{ "where" }</dt>
                <dd>
                    <span class="path">{ format!("{}:{}:{}", finding.file, finding.line, finding.column) }</span>
                    { format!(" · bytes {}–{}", finding.span.start, finding.span.end) }
                    <button type="button" class="link show-source" onclick={show_source}>{ "show source" }</button>
                </dd>
                <dt>{ "fingerprint" }</dt><dd><code>{ &finding.fingerprint }</code></dd>
            </dl>
            <pre class="snippet">{ reveal(&finding.snippet) }</pre>
            if let Some(decoded) = &finding.decoded {
                <div class="decoded">
                    <h4>{ "Worked out from constant code" }</h4>
                    <pre class="snippet">{ reveal(&decoded.text) }</pre>
                    <p>{ reveal(&decoded.provenance) }</p>
                    if !decoded.list.is_empty() {
                        <p class="dim">{ "One of: " }{ reveal(&decoded.list.join(" · ")) }</p>
                    }
                    if let Some(literal) = decoded.literal {
                        <button type="button" class="link" onclick={props.on_source.reform({
                            let file = finding.file.clone();
                            move |_: MouseEvent| SourceTarget {
                                file: file.clone(),
                                span: literal,
                                label: "the literal it was decoded from".into(),
                            }
                        })}>{ "show the literal it came from" }</button>
                    }
                </div>
            }
            if !finding.guards.is_empty() {
                <div class="guards">
                    <h4>{ "Guarded by" }</h4>
                    <ul>
                        { for finding.guards.iter().map(|guard| html! {
                            <li>
                                <code>{ &guard.switch }</code>{ format!(" ({}) ", guard.kind) }
                                { if guard.disables { "stops this" } else { "does not stop this" } }
                                <span class="dim path">{ format!(" {}:{}", guard.file, guard.line) }</span>
                            </li>
                        }) }
                    </ul>
                </div>
            }
            if !finding.path.is_empty() {
                <div class="path-steps">
                    <h4>{ format!("Code path ({} steps)", finding.path.len()) }</h4>
                    <PathGraph steps={finding.path.clone()} {on_step} />
                </div>
            }
        </div>
    }
}
