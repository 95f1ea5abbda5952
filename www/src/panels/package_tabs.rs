//! The packages dropped so far, side by side, each with its progress and a Cancel button.

use telltale::package::human_bytes;
use telltale::scan::Progress;
use yew::prelude::*;

use crate::protocol::JobId;
use crate::state::{PackageState, Status};

#[derive(Properties, PartialEq)]
pub struct PackageTabsProps {
    pub packages: Vec<PackageState>,
    pub selected: Option<JobId>,
    pub on_select: Callback<JobId>,
    pub on_cancel: Callback<JobId>,
    pub on_close: Callback<JobId>,
}

#[function_component(PackageTabs)]
pub fn package_tabs(props: &PackageTabsProps) -> Html {
    html! {
        <nav class="package-tabs" role="tablist" aria-label="Packages">
            { for props.packages.iter().map(|package| tab(props, package)) }
        </nav>
    }
}

fn progress_in_words(progress: &Progress) -> String {
    format!(
        "{:?}: {} files, {}",
        progress.phase,
        progress.files,
        human_bytes(progress.bytes)
    )
    .to_lowercase()
}

fn tab(props: &PackageTabsProps, package: &PackageState) -> Html {
    let job = package.job;
    let selected = props.selected == Some(job);
    let on_select = props.on_select.reform(move |_: MouseEvent| job);
    let on_cancel = props.on_cancel.reform(move |event: MouseEvent| {
        event.stop_propagation();
        job
    });
    let on_close = props.on_close.reform(move |event: MouseEvent| {
        event.stop_propagation();
        job
    });
    let (state_class, detail, running) = match &package.status {
        Status::Reading => ("running", "reading file…".to_string(), true),
        Status::Running(progress) => ("running", progress_in_words(progress), true),
        Status::Partial { report, progress } => (
            "running partial",
            format!(
                "{} · {} findings so far",
                progress_in_words(progress),
                report.findings.len()
            ),
            true,
        ),
        Status::Done(report) => (
            if report.errors.is_empty() {
                "done"
            } else {
                "done-with-errors"
            },
            format!("{} files · {} findings", report.files.len(), report.findings.len()),
            false,
        ),
        Status::Failed(message) => ("failed", message.clone(), false),
        Status::Cancelled => ("failed", "cancelled".to_string(), false),
    };
    html! {
        <div class={classes!("package-tab", state_class, selected.then_some("selected"))}
            role="tab" aria-selected={selected.to_string()} tabindex="0" onclick={on_select}>
            <div class="package-name">{ &package.name }</div>
            <div class="package-detail">{ format!("{} · {detail}", human_bytes(package.bytes)) }</div>
            if running {
                <div class="progress-bar"><div class="progress-indeterminate"></div></div>
                <button type="button" class="cancel" onclick={on_cancel}>{ "Cancel" }</button>
            } else {
                <button type="button" class="close" aria-label={format!("Close {}", package.name)} onclick={on_close}>{ "×" }</button>
            }
        </div>
    }
}
