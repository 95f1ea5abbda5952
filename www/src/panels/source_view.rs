//! The code around a finding or a path step, as the worker that scanned the package sends it:
//! the file's own lines, or minified code broken into readable lines (see `telltale::pretty`),
//! with the span marked and scrolled into view. Only the excerpt is rendered, never the file.

use telltale::pretty::ExcerptLine;
use telltale::report::Span;
use web_sys::{Element, ScrollBehavior, ScrollIntoViewOptions, ScrollLogicalPosition};
use yew::prelude::*;

use crate::invisible::reveal;
use crate::state::SourceState;

#[derive(Properties, PartialEq)]
pub struct SourceViewProps {
    pub source: SourceState,
    /// Asks for a wider window.
    pub on_more: Callback<()>,
    pub on_close: Callback<()>,
}

/// The widest window "show more" asks for (the worker doubles the context per step).
const MAX_CONTEXT: u32 = 6;

#[function_component(SourceView)]
pub fn source_view(props: &SourceViewProps) -> Html {
    let code = use_node_ref();
    {
        let code = code.clone();
        let excerpt_shown = props.source.excerpt.is_some();
        use_effect_with(
            (props.source.span, props.source.file.clone(), excerpt_shown),
            move |_| {
                if let Some(mark) = code
                    .cast::<Element>()
                    .and_then(|c| c.query_selector(".span-mark").ok().flatten())
                {
                    let options = ScrollIntoViewOptions::new();
                    options.set_block(ScrollLogicalPosition::Center);
                    options.set_behavior(ScrollBehavior::Instant);
                    mark.scroll_into_view_with_scroll_into_view_options(&options);
                }
            },
        );
    }
    let source = &props.source;
    let on_close = props.on_close.reform(|_: MouseEvent| ());
    let on_more = props.on_more.reform(|_: MouseEvent| ());
    let body = match &source.excerpt {
        None => html! { <p class="dim loading">{ "Reading the source…" }</p> },
        Some(Err(message)) => html! { <p class="source-missing">{ message }</p> },
        Some(Ok(excerpt)) => html! {
            <>
                if excerpt.reformatted {
                    <p class="dim reformat-note">
                        { "Minified code, broken into lines for reading; the margin gives line:column in the original file." }
                    </p>
                }
                <div class="code" ref={code.clone()} role="region" aria-label="Source" tabindex="0">
                    { for excerpt.lines.iter().map(|line| line_view(line, excerpt.span, excerpt.reformatted)) }
                </div>
                <div class="source-foot">
                    <span class="dim">{ format!("bytes {}–{} of {}", excerpt.span.start, excerpt.span.end, excerpt.file_bytes) }</span>
                    if source.context < MAX_CONTEXT {
                        <button type="button" class="link" onclick={on_more}>{ "show more around it" }</button>
                    }
                </div>
            </>
        },
    };
    html! {
        <aside class="source-view" aria-label="Source">
            <header class="source-head">
                <div class="source-title">
                    <div class="path">{ &source.file }</div>
                    <div class="dim">{ &source.label }</div>
                </div>
                <button type="button" class="close" aria-label="Close the source" onclick={on_close}>{ "×" }</button>
            </header>
            { body }
        </aside>
    }
}

/// The part of `text` (starting at byte `start` of the file) that `span` covers, as byte
/// offsets into `text` on character boundaries; `None` when they do not meet.
pub fn marked_range(text: &str, start: u32, span: Span) -> Option<(usize, usize)> {
    let end = start + text.len() as u32;
    if span.end <= start || span.start >= end || span.start == span.end {
        return None;
    }
    let mut from = span.start.saturating_sub(start) as usize;
    let mut to = (span.end.min(end) - start) as usize;
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    while !text.is_char_boundary(to) {
        to += 1;
    }
    Some((from, to))
}

fn line_view(line: &ExcerptLine, span: Span, reformatted: bool) -> Html {
    let gutter = if reformatted {
        format!("{}:{}", line.line, line.column)
    } else {
        line.line.to_string()
    };
    let indent = "  ".repeat(line.depth as usize);
    let text = match marked_range(&line.text, line.start, span) {
        Some((from, to)) => html! {
            <>
                { reveal(&line.text[..from]) }
                <mark class="span-mark">{ reveal(&line.text[from..to]) }</mark>
                { reveal(&line.text[to..]) }
            </>
        },
        None => html! { { reveal(&line.text) } },
    };
    html! {
        <div class="code-line" data-start={line.start.to_string()}>
            <span class="gutter" aria-hidden="true">{ gutter }</span>
            <span class="code-text"><span class="indent">{ indent }</span>{ text }</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u32, end: u32) -> Span {
        Span { start, end }
    }

    #[test]
    fn the_mark_is_the_span_within_the_line() {
        assert_eq!(marked_range("return b.c(d)", 100, span(107, 110)), Some((7, 10)));
        assert_eq!(marked_range("return b.c(d)", 100, span(90, 103)), Some((0, 3)));
        assert_eq!(marked_range("return b.c(d)", 100, span(110, 500)), Some((10, 13)));
        assert_eq!(marked_range("return", 100, span(10, 20)), None);
        assert_eq!(marked_range("return", 100, span(106, 110)), None);
        assert_eq!(marked_range("return", 100, span(102, 102)), None);
    }

    #[test]
    fn the_mark_never_splits_a_character() {
        // "é" is two bytes: a span starting inside it marks the whole character.
        assert_eq!(marked_range("aé b", 0, span(2, 4)), Some((1, 4)));
    }
}
