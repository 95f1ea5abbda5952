//! The person's own rules: TOML files in the format of the shipped ones, picked or dropped
//! here (or on the drop zone), run beside the shipped rules on every package. A file that does
//! not compile is named with the line and column of the problem, and nothing changes.

use telltale::rules::RuleSet;
use web_sys::{DragEvent, File, HtmlInputElement};
use yew::prelude::*;

use crate::state::ActiveRules;

#[derive(Properties, PartialEq)]
pub struct CustomRulesProps {
    pub rules: ActiveRules,
    pub errors: Vec<String>,
    /// Rule files to add (a file with the name of one already added replaces it).
    pub on_files: Callback<Vec<File>>,
    /// Back to the shipped rules only.
    pub on_clear: Callback<()>,
}

#[function_component(CustomRules)]
pub fn custom_rules(props: &CustomRulesProps) -> Html {
    let input = use_node_ref();
    let hovering = use_state(|| false);
    let pick = {
        let input = input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = input.cast::<HtmlInputElement>() {
                input.click();
            }
        })
    };
    let on_picked = props.on_files.reform(|event: Event| {
        let Some(input) = event.target_dyn_into::<HtmlInputElement>() else {
            return Vec::new();
        };
        let files = input
            .files()
            .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
            .unwrap_or_default();
        input.set_value("");
        files
    });
    let on_drag_over = {
        let hovering = hovering.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            event.stop_propagation();
            hovering.set(true);
        })
    };
    let on_drag_leave = {
        let hovering = hovering.clone();
        Callback::from(move |_: DragEvent| hovering.set(false))
    };
    let on_drop = {
        let hovering = hovering.clone();
        props.on_files.reform(move |event: DragEvent| {
            event.prevent_default();
            event.stop_propagation();
            hovering.set(false);
            event
                .data_transfer()
                .and_then(|t| t.files())
                .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
                .unwrap_or_default()
        })
    };
    let on_clear = props.on_clear.reform(|_: MouseEvent| ());
    let set: &RuleSet = props.rules.set();
    let user_origins: Vec<&str> = props.rules.files.iter().map(|f| f.origin.as_str()).collect();
    html! {
        <section class="rules-panel" aria-label="Rules">
            <div class={classes!("rule-drop", hovering.then_some("hovering"))}
                ondragover={on_drag_over.clone()} ondragenter={on_drag_over} ondragleave={on_drag_leave} ondrop={on_drop}>
                <p>{ "Add your own rules: TOML files in the format of the shipped ones (see docs/rules.md). They run beside the shipped rules, and every package is scanned again." }</p>
                <div class="drop-actions">
                    <button type="button" onclick={pick}>{ "Choose rule files…" }</button>
                    if !props.rules.files.is_empty() {
                        <button type="button" onclick={on_clear}>{ "Use the shipped rules only" }</button>
                    }
                </div>
                <input ref={input} id="rules-input" type="file" accept=".toml" multiple=true class="hidden" onchange={on_picked} />
            </div>
            if !props.errors.is_empty() {
                <div class="errors rule-errors" role="alert">
                    <h3>{ "These rules were not added" }</h3>
                    <ul>{ for props.errors.iter().map(|e| html! { <li class="path">{ e }</li> }) }</ul>
                </div>
            }
            <table class="rule-table">
                <thead><tr><th>{ "code" }</th><th>{ "category" }</th><th>{ "severity" }</th><th>{ "title" }</th><th>{ "from" }</th></tr></thead>
                <tbody>
                    { for set.rules().iter().map(|rule| {
                        let mine = user_origins.contains(&rule.origin.as_str());
                        html! {
                            <tr class={classes!(mine.then_some("user-rule"))}>
                                <td><code>{ &rule.code }</code></td>
                                <td>{ rule.category.as_str() }</td>
                                <td><span class={classes!("sev", rule.severity.as_str())}>{ rule.severity.as_str() }</span></td>
                                <td>{ &rule.title }</td>
                                <td class="path">{ &rule.origin }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </section>
    }
}
