//! Every finding, filtered, grouped and sorted as the person asks; a row opens to its message,
//! snippet, guards and code path, and shows its source. Arrow keys move between rows, Enter
//! opens one, `/` jumps to the search box.

use std::collections::BTreeSet;
use std::rc::Rc;

use telltale::report::{Category, Consequence, Report, Severity};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::filters::{FindingFilter, Grouping, SortKey, arrange, consequence_name, never_runs};
use crate::invisible::reveal;
use crate::panels::finding_detail::FindingDetail;
use crate::state::SourceTarget;

#[derive(Properties, PartialEq)]
pub struct FindingsProps {
    pub report: Rc<Report>,
    pub filter: FindingFilter,
    pub on_filter: Callback<FindingFilter>,
    /// The finding whose details are open.
    pub open: Option<usize>,
    pub on_open: Callback<Option<usize>>,
    pub on_source: Callback<SourceTarget>,
}

/// Rows rendered per group before "show all": a bundle with thousands of findings stays fast.
const ROWS_PER_GROUP: usize = 200;

#[function_component(Findings)]
pub fn findings(props: &FindingsProps) -> Html {
    let report = &props.report;
    let groups = use_memo((report.clone(), props.filter.clone()), |(report, filter)| {
        arrange(report, filter)
    });
    let collapsed = use_state(BTreeSet::<String>::new);
    let expanded_groups = use_state(BTreeSet::<String>::new);
    let list = use_node_ref();
    let shown: usize = groups.iter().map(|g| g.findings.len()).sum();
    let hidden_dead = if props.filter.hide_never_runs {
        report.findings.iter().filter(|f| never_runs(f)).count()
    } else {
        0
    };

    let on_key = {
        let list = list.clone();
        Callback::from(move |event: KeyboardEvent| {
            let step: i32 = match event.key().as_str() {
                "ArrowDown" | "j" => 1,
                "ArrowUp" | "k" => -1,
                "Home" => i32::MIN,
                "End" => i32::MAX,
                _ => return,
            };
            event.prevent_default();
            move_focus(&list, step);
        })
    };

    html! {
        <section class="findings-panel" aria-label="Findings">
            { filter_bar(props) }
            <p class="findings-summary" role="status">
                { format!("{shown} of {} findings", report.findings.len()) }
                if hidden_dead > 0 { { format!(" · {hidden_dead} in code that never runs hidden") } }
                if !props.filter.is_unfiltered() {
                    <button type="button" class="link reset-filters"
                        onclick={props.on_filter.reform(move |_: MouseEvent| FindingFilter::default())}>{ "show all" }</button>
                }
            </p>
            <div class="finding-list" ref={list} onkeydown={on_key}>
                if groups.is_empty() {
                    <p class="empty">{ if report.findings.is_empty() { "No findings." } else { "No finding matches these filters." } }</p>
                }
                { for groups.iter().map(|group| {
                    let key = group.key.clone();
                    let is_collapsed = collapsed.contains(&key);
                    let show_all = expanded_groups.contains(&key);
                    let toggle = {
                        let collapsed = collapsed.clone();
                        let key = key.clone();
                        Callback::from(move |_: MouseEvent| {
                            let mut set = (*collapsed).clone();
                            if !set.remove(&key) {
                                set.insert(key.clone());
                            }
                            collapsed.set(set);
                        })
                    };
                    let more = {
                        let expanded_groups = expanded_groups.clone();
                        let key = key.clone();
                        Callback::from(move |_: MouseEvent| {
                            let mut set = (*expanded_groups).clone();
                            set.insert(key.clone());
                            expanded_groups.set(set);
                        })
                    };
                    let limit = if show_all { usize::MAX } else { ROWS_PER_GROUP };
                    html! {
                        <div class="finding-group" data-group={group.key.clone()}>
                            if props.filter.group != Grouping::None {
                                <button type="button" class="group-head" aria-expanded={(!is_collapsed).to_string()} onclick={toggle}>
                                    <span class="chevron">{ if is_collapsed { "▸" } else { "▾" } }</span>
                                    <span class={classes!("sev", group.max_severity.as_str())}>{ group.max_severity.as_str() }</span>
                                    if props.filter.group == Grouping::Rule { <code class="rule">{ &group.key }</code> }
                                    <span class="group-title">{ &group.title }</span>
                                    <span class="count">{ group.findings.len() }</span>
                                </button>
                            }
                            if !is_collapsed {
                                { for group.findings.iter().take(limit).map(|&index| row(props, index)) }
                                if group.findings.len() > limit {
                                    <button type="button" class="link more" onclick={more}>
                                        { format!("show all {} in this group", group.findings.len()) }
                                    </button>
                                }
                            }
                        </div>
                    }
                }) }
            </div>
        </section>
    }
}

/// Moves keyboard focus `step` rows from the focused one (or to the first/last).
fn move_focus(list: &NodeRef, step: i32) {
    let Some(list) = list.cast::<HtmlElement>() else { return };
    let Ok(rows) = list.query_selector_all(".finding-row") else {
        return;
    };
    let count = rows.length() as i32;
    if count == 0 {
        return;
    }
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let current = (0..count).find(|&i| {
        let row = rows.item(i as u32);
        row.is_some() && active.as_ref().map(|a| a.unchecked_ref::<web_sys::Node>()) == row.as_ref()
    });
    let target = match (step, current) {
        (i32::MIN, _) => 0,
        (i32::MAX, _) => count - 1,
        (_, None) => 0,
        (step, Some(at)) => (at + step).clamp(0, count - 1),
    };
    if let Some(row) = rows.item(target as u32).and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
        let _ = row.focus();
    }
}

fn row(props: &FindingsProps, index: usize) -> Html {
    let finding = &props.report.findings[index];
    let open = props.open == Some(index);
    let toggle = {
        let on_open = props.on_open.clone();
        let on_source = props.on_source.clone();
        let target = SourceTarget {
            file: finding.file.clone(),
            span: finding.span,
            label: finding.title.clone(),
        };
        move || {
            if open {
                on_open.emit(None);
            } else {
                on_open.emit(Some(index));
                on_source.emit(target.clone());
            }
        }
    };
    let onclick = {
        let toggle = toggle.clone();
        Callback::from(move |_: MouseEvent| toggle())
    };
    let onkeydown = Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Enter" || event.key() == " " {
            event.prevent_default();
            toggle();
        }
    });
    let consequence = consequence_name(finding.consequence);
    // Under a rule's heading the title would repeat: the message says what this site saw.
    let summary = match props.filter.group {
        Grouping::Rule => finding
            .message
            .strip_prefix(finding.title.as_str())
            .and_then(|rest| rest.strip_prefix(": "))
            .unwrap_or(&finding.message),
        _ => &finding.title,
    };
    html! {
        <div class={classes!("finding", open.then_some("open"), never_runs(finding).then_some("never-runs"))}
            key={index} data-index={index.to_string()} data-rule={finding.rule.clone()}>
            <div class="finding-row" role="button" tabindex="0" aria-expanded={open.to_string()} {onclick} {onkeydown}>
                <span class={classes!("sev", finding.severity.as_str())}>{ finding.severity.as_str() }</span>
                <span class={classes!("consequence", consequence)} title="where the value goes">{ consequence }</span>
                <span class="finding-title" title={reveal(&finding.message)}>{ reveal(summary) }</span>
                <span class="finding-place path">{ format!("{}:{}:{}", finding.file, finding.line, finding.column) }</span>
            </div>
            if open {
                <FindingDetail report={props.report.clone()} {index} on_source={props.on_source.clone()} />
            }
        </div>
    }
}

fn filter_bar(props: &FindingsProps) -> Html {
    let filter = &props.filter;
    let files: BTreeSet<&str> = props.report.findings.iter().map(|f| f.file.as_str()).collect();
    let update = |change: fn(&mut FindingFilter, String)| {
        let filter = filter.clone();
        props.on_filter.reform(move |event: Event| {
            let mut next = filter.clone();
            let value = event
                .target_dyn_into::<HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            change(&mut next, value);
            next
        })
    };
    let on_text = {
        let filter = filter.clone();
        props.on_filter.reform(move |event: InputEvent| {
            let value = event
                .target_dyn_into::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            FindingFilter {
                text: value,
                ..filter.clone()
            }
        })
    };
    let on_dead = {
        let filter = filter.clone();
        props.on_filter.reform(move |event: Event| {
            let checked = event.target_dyn_into::<HtmlInputElement>().is_some_and(|i| i.checked());
            FindingFilter {
                hide_never_runs: checked,
                ..filter.clone()
            }
        })
    };
    let option = |value: &str, label: &str, selected: bool| {
        html! { <option value={value.to_string()} {selected}>{ label.to_string() }</option> }
    };
    let consequences: [(&str, Option<Option<Consequence>>); 6] = [
        ("", None),
        ("sent", Some(Some(Consequence::Sent))),
        ("gates", Some(Some(Consequence::Gates))),
        ("local", Some(Some(Consequence::Local))),
        ("unknown", Some(Some(Consequence::Unknown))),
        ("none", Some(None)),
    ];
    html! {
        <div class="filter-bar" role="search">
            <label>{ "Category " }
                <select id="filter-category" onchange={update(|f, v| f.category = Category::ALL.into_iter().find(|c| c.as_str() == v))}>
                    { option("", "all", filter.category.is_none()) }
                    { for Category::ALL.iter().map(|c| option(c.as_str(), c.as_str(), filter.category == Some(*c))) }
                </select>
            </label>
            <label>{ "Severity " }
                <select id="filter-severity" onchange={update(|f, v| f.min_severity = v.parse().unwrap_or(Severity::Info))}>
                    { for Severity::ALL.iter().map(|s| option(s.as_str(),
                        &if *s == Severity::Info { "all".to_string() } else { format!("{} or worse", s.as_str()) },
                        filter.min_severity == *s)) }
                </select>
            </label>
            <label>{ "Consequence " }
                <select id="filter-consequence" onchange={update(|f, v| f.consequence = match v.as_str() {
                    "sent" => Some(Some(Consequence::Sent)),
                    "gates" => Some(Some(Consequence::Gates)),
                    "local" => Some(Some(Consequence::Local)),
                    "unknown" => Some(Some(Consequence::Unknown)),
                    "none" => Some(None),
                    _ => None,
                })}>
                    { for consequences.iter().map(|(value, c)| option(value, if value.is_empty() { "all" } else { value }, filter.consequence == *c)) }
                </select>
            </label>
            <label>{ "File " }
                <select id="filter-file" onchange={update(|f, v| f.file = (!v.is_empty()).then_some(v))}>
                    { option("", "all", filter.file.is_none()) }
                    { for files.iter().map(|file| option(file, file, filter.file.as_deref() == Some(*file))) }
                </select>
            </label>
            <input id="finding-search" type="search" placeholder="Search (press /)" aria-label="Search findings"
                value={filter.text.clone()} oninput={on_text} />
            <label class="check">
                <input id="filter-never-runs" type="checkbox" checked={filter.hide_never_runs} onchange={on_dead} />
                { " hide what never runs" }
            </label>
            <label>{ "Group " }
                <select id="filter-group" onchange={update(|f, v| f.group = Grouping::ALL.into_iter().find(|g| g.as_str() == v).unwrap_or(Grouping::Rule))}>
                    { for Grouping::ALL.iter().map(|g| option(g.as_str(), g.as_str(), filter.group == *g)) }
                </select>
            </label>
            <label>{ "Sort " }
                <select id="filter-sort" onchange={update(|f, v| f.sort = SortKey::ALL.into_iter().find(|s| s.as_str() == v).unwrap_or(SortKey::Severity))}>
                    { for SortKey::ALL.iter().map(|s| option(s.as_str(), s.as_str(), filter.sort == *s)) }
                </select>
            </label>
        </div>
    }
}
