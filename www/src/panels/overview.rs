//! The verdict: what the package does with data about its user, in sentences a security
//! engineer can act on, then the counts, the identifying data and region checks, the opt-out
//! switches and the endpoints. Every statement about findings opens them.

use std::rc::Rc;

use telltale::report::{Consequence, Report, Severity};
use yew::prelude::*;

use crate::filters::FindingFilter;
use crate::verdict::{Counts, DataUse, Verdict, audit_in_words, uses_in_words};

#[derive(Properties, PartialEq)]
pub struct OverviewProps {
    pub report: Rc<Report>,
    pub verdict: Rc<Verdict>,
    /// Shows the findings behind a statement or a count.
    pub on_filter: Callback<FindingFilter>,
}

/// URLs shown per endpoint before "and N more".
const URLS_SHOWN: usize = 3;
/// Sends listed per switch that does not stop them, before "and N more".
const SENDS_SHOWN: usize = 6;

#[function_component(Overview)]
pub fn overview(props: &OverviewProps) -> Html {
    let verdict = &props.verdict;
    let level = verdict.level.map_or("none", Severity::as_str);
    html! {
        <section class="overview" aria-label="Overview">
            <div class={classes!("verdict", format!("level-{level}"))}>
                <h2 class="verdict-headline">{ &verdict.headline }</h2>
                <ul class="verdict-points">
                    { for verdict.points.iter().map(|point| {
                        let body = match &point.filter {
                            Some(filter) => {
                                let filter = filter.clone();
                                let onclick = props.on_filter.reform(move |_: MouseEvent| filter.clone());
                                html! { <button type="button" class="link" {onclick}>{ &point.text }</button> }
                            }
                            None => html! { <span>{ &point.text }</span> },
                        };
                        html! { <li><span class={classes!("sev", point.level.as_str())}>{ point.level.as_str() }</span>{ body }</li> }
                    }) }
                </ul>
            </div>
            <div class="overview-grid">
                { counts_table(verdict, &props.on_filter) }
                { severity_table(verdict, &props.on_filter) }
                { data_table("Identifying data read", "identity-table", &verdict.identity, &props.on_filter,
                    "No host name, user name, machine id or other identity read found.") }
                { data_table("Region checks", "region-table", &verdict.region, &props.on_filter,
                    "No time zone, locale, country or geo-IP check found.") }
                { switches_table(&props.report, verdict, &props.on_filter) }
            </div>
            { endpoints_table(&props.report, verdict) }
        </section>
    }
}

fn count_cell(count: usize, filter: FindingFilter, on_filter: &Callback<FindingFilter>) -> Html {
    if count == 0 {
        return html! { <td class="num zero">{ "0" }</td> };
    }
    let onclick = on_filter.reform(move |_: MouseEvent| filter.clone());
    html! { <td class="num"><button type="button" class="link" {onclick}>{ count }</button></td> }
}

fn counts_table(verdict: &Verdict, on_filter: &Callback<FindingFilter>) -> Html {
    let consequences: [(Option<Consequence>, &str); 5] = [
        (Some(Consequence::Sent), "sent"),
        (Some(Consequence::Gates), "gates"),
        (Some(Consequence::Local), "local"),
        (Some(Consequence::Unknown), "unknown"),
        (None, "none"),
    ];
    let value = |counts: &Counts, consequence: Option<Consequence>| match consequence {
        Some(Consequence::Sent) => counts.sent,
        Some(Consequence::Gates) => counts.gates,
        Some(Consequence::Local) => counts.local,
        Some(Consequence::Unknown) => counts.unknown,
        None => counts.none,
    };
    let all = FindingFilter {
        hide_never_runs: false,
        ..FindingFilter::default()
    };
    html! {
        <div class="card counts">
            <h3>{ "Findings by category and where the value goes" }</h3>
            <table class="counts-table">
                <thead><tr>
                    <th>{ "category" }</th><th class="num">{ "all" }</th>
                    { for consequences.iter().map(|(_, name)| html! { <th class="num">{ *name }</th> }) }
                </tr></thead>
                <tbody>
                    { for verdict.by_category.iter().map(|(category, counts)| {
                        let category = *category;
                        let base = FindingFilter { category: Some(category), ..all.clone() };
                        html! {
                            <tr data-category={category.as_str()}>
                                <th scope="row">{ category.as_str() }</th>
                                { count_cell(counts.total, base.clone(), on_filter) }
                                { for consequences.iter().map(|(consequence, _)| count_cell(
                                    value(counts, *consequence),
                                    FindingFilter { consequence: Some(*consequence), ..base.clone() },
                                    on_filter,
                                )) }
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <p class="dim">{ "sent: reaches a request or telemetry call · gates: decides a branch · local: only shown or logged · none: a literal or script" }</p>
        </div>
    }
}

fn severity_table(verdict: &Verdict, on_filter: &Callback<FindingFilter>) -> Html {
    html! {
        <div class="card severities">
            <h3>{ "By severity" }</h3>
            <table class="severity-table">
                <tbody>
                    { for Severity::ALL.iter().rev().map(|&severity| {
                        let at_least = FindingFilter { min_severity: severity, hide_never_runs: false, ..FindingFilter::default() };
                        let count: usize = verdict.by_severity[severity as usize..].iter().sum();
                        html! {
                            <tr>
                                <th scope="row">
                                    <span class={classes!("sev", severity.as_str())}>{ severity.as_str() }</span>
                                    if severity != Severity::Critical { <span class="dim">{ " or worse" }</span> }
                                </th>
                                { count_cell(count, at_least, on_filter) }
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            if verdict.never_runs > 0 {
                <p class="dim">{ format!("{} in code that never runs", verdict.never_runs) }</p>
            }
        </div>
    }
}

fn data_table(
    heading: &str,
    class: &'static str,
    uses: &[DataUse],
    on_filter: &Callback<FindingFilter>,
    empty: &str,
) -> Html {
    html! {
        <div class={classes!("card", class)}>
            <h3>{ heading }</h3>
            if uses.is_empty() {
                <p class="dim">{ empty }</p>
            } else {
                <table>
                    <tbody>
                        { for uses.iter().map(|data| {
                            let filter = FindingFilter { text: data.rule.clone(), ..FindingFilter::default() };
                            let onclick = on_filter.reform(move |_: MouseEvent| filter.clone());
                            html! {
                                <tr>
                                    <td><span class={classes!("sev", data.max_severity.as_str())}>{ data.max_severity.as_str() }</span></td>
                                    <td><button type="button" class="link" {onclick}>{ &data.what }</button></td>
                                    <td class={classes!(if data.counts.sent > 0 { "sent" } else { "" })}>{ uses_in_words(&data.counts) }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            }
        </div>
    }
}

fn switches_table(report: &Report, verdict: &Verdict, on_filter: &Callback<FindingFilter>) -> Html {
    let still_sent = report
        .opt_outs
        .iter()
        .filter(|o| !o.does_not_stop.is_empty())
        .map(|opt_out| {
            html! {
                <div class="still-sent">
                    { "With " }<code>{ &opt_out.switch }</code>{ " set, these still leave:" }
                    <ul>
                        { for opt_out.does_not_stop.iter().take(SENDS_SHOWN).map(|send| {
                            let filter = FindingFilter {
                                text: send.fingerprint.clone(),
                                hide_never_runs: false,
                                ..FindingFilter::default()
                            };
                            let onclick = on_filter.reform(move |_: MouseEvent| filter.clone());
                            html! {
                                <li>
                                    <button type="button" class="link" {onclick}>{ &send.title }</button>
                                    <span class="dim path">{ format!(" {}:{}", send.file, send.line) }</span>
                                </li>
                            }
                        }) }
                        if opt_out.does_not_stop.len() > SENDS_SHOWN {
                            <li class="dim">{ format!("and {} more", opt_out.does_not_stop.len() - SENDS_SHOWN) }</li>
                        }
                    </ul>
                </div>
            }
        });
    html! {
        <div class="card switches">
            <h3>{ "Opt-out switches" }</h3>
            if verdict.switches.is_empty() {
                <p class="dim">{ "No telemetry opt-out variable, setting or flag found." }</p>
            } else {
                <table>
                    <thead><tr><th>{ "switch" }</th><th>{ "kind" }</th><th class="num">{ "read at" }</th><th>{ "setting it" }</th></tr></thead>
                    <tbody>
                        { for verdict.switches.iter().map(|switch| html! {
                            <tr>
                                <td><code>{ &switch.name }</code></td>
                                <td>{ &switch.kind }</td>
                                <td class="num">{ switch.sites }</td>
                                <td class={classes!(switch.audit.is_some_and(|(_, left)| left > 0).then_some("sent"))}>
                                    { audit_in_words(switch.audit) }
                                </td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                { for still_sent }
            }
        </div>
    }
}

fn endpoints_table(report: &Report, verdict: &Verdict) -> Html {
    if verdict.endpoints.is_empty() {
        return html! { <div class="card endpoints"><h3>{ "Endpoints" }</h3><p class="dim">{ "No URL or host in the code." }</p></div> };
    }
    html! {
        <div class="card endpoints">
            <h3>{ format!("Endpoints ({})", verdict.endpoints.len()) }</h3>
            <table class="endpoint-table">
                <thead><tr><th>{ "host" }</th><th>{ "class" }</th><th>{ "URLs" }</th><th>{ "files" }</th><th>{ "rules" }</th></tr></thead>
                <tbody>
                    { for verdict.endpoints.iter().map(|&index| {
                        let endpoint = &report.endpoints[index];
                        let more = endpoint.urls.len().saturating_sub(URLS_SHOWN);
                        html! {
                            <tr class={classes!(format!("class-{}", endpoint.class.as_str()))}>
                                <td class="path">{ &endpoint.host }</td>
                                <td><span class={classes!("badge", endpoint.class.as_str())}>{ endpoint.class.as_str() }</span></td>
                                <td class="path">
                                    { for endpoint.urls.iter().take(URLS_SHOWN).map(|url| html! { <div>{ url }</div> }) }
                                    if more > 0 { <div class="dim">{ format!("and {more} more") }</div> }
                                </td>
                                <td class="path">{ endpoint.files.join(", ") }</td>
                                <td>{ endpoint.rules.join(", ") }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </div>
    }
}
