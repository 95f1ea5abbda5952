//! A finding's code path as a graph: entry point → calls → detection → flow → sink or branch,
//! one node per step, top to bottom, named by the readable name when the engine inferred one.
//! A node opens its source. Drag to pan, wheel or the buttons to zoom, and every node is
//! reachable with Tab and opened with Enter.

use telltale::report::PathStep;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{AddEventListenerOptions, Element, WheelEvent};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PathGraphProps {
    pub steps: Vec<PathStep>,
    /// A node was chosen: its index in `steps`.
    pub on_step: Callback<usize>,
}

const NODE_WIDTH: f64 = 340.0;
const NODE_HEIGHT: f64 = 50.0;
const GAP: f64 = 26.0;
const MARGIN: f64 = 12.0;
/// Characters of a name shown in a node; the whole name is in its tooltip.
const NAME_CHARS: usize = 40;
/// Tallest the graph is drawn before it needs panning.
const MAX_VIEW_HEIGHT: f64 = 460.0;

/// Where a step is drawn and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeBox {
    pub x: f64,
    pub y: f64,
    pub role: String,
    /// The readable name when there is one, else the code's own name, cut to fit.
    pub name: String,
    /// Everything about the step, for the tooltip and screen readers.
    pub full: String,
    pub place: String,
}

/// The drawing of a path: nodes top to bottom, one arrow between each two.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<NodeBox>,
}

fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(chars - 1).collect();
    format!("{kept}…")
}

pub fn layout(steps: &[PathStep]) -> Layout {
    let nodes: Vec<NodeBox> = steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let name = match &step.readable_name {
                Some(readable) if *readable != step.function => format!("{readable} ({})", step.function),
                _ => step.function.clone(),
            };
            let name = if name.is_empty() {
                "(top level)".to_string()
            } else {
                name
            };
            let file = step.file.rsplit('/').next().unwrap_or(&step.file);
            NodeBox {
                x: MARGIN,
                y: MARGIN + i as f64 * (NODE_HEIGHT + GAP),
                role: step.role.clone(),
                full: format!("{}: {name} — {} ({}:{})", step.role, step.note, step.file, step.line),
                name: cut(&name, NAME_CHARS),
                place: cut(&format!("{file}:{} · {}", step.line, step.note), NAME_CHARS + 12),
            }
        })
        .collect();
    let height = if nodes.is_empty() {
        2.0 * MARGIN
    } else {
        2.0 * MARGIN + nodes.len() as f64 * NODE_HEIGHT + (nodes.len() - 1) as f64 * GAP
    };
    Layout {
        width: NODE_WIDTH + 2.0 * MARGIN,
        height,
        nodes,
    }
}

/// The visible part of the drawing (an SVG `viewBox`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl ViewBox {
    /// Zooms by `factor` (> 1 magnifies) keeping the drawing point `(px, py)` where it is.
    pub fn zoom_at(self, factor: f64, px: f64, py: f64) -> ViewBox {
        let factor = factor.clamp(0.1, 10.0);
        let width = (self.width / factor).clamp(40.0, 8000.0);
        let height = width * self.height / self.width;
        ViewBox {
            x: px - (px - self.x) * width / self.width,
            y: py - (py - self.y) * height / self.height,
            width,
            height,
        }
    }

    fn attribute(self) -> String {
        format!("{:.1} {:.1} {:.1} {:.1}", self.x, self.y, self.width, self.height)
    }
}

/// The view that shows the whole width and as much height as fits.
fn fitted(layout: &Layout) -> ViewBox {
    ViewBox {
        x: 0.0,
        y: 0.0,
        width: layout.width,
        height: layout.height.min(MAX_VIEW_HEIGHT),
    }
}

#[function_component(PathGraph)]
pub fn path_graph(props: &PathGraphProps) -> Html {
    let layout = use_memo(props.steps.clone(), |steps| layout(steps));
    let view = use_state(|| fitted(&layout));
    {
        let view = view.clone();
        use_effect_with(layout.clone(), move |layout| view.set(fitted(layout)));
    }
    // Where a drag started: pointer position and the view then.
    let drag = use_mut_ref(|| None::<(f64, f64, ViewBox)>);
    let svg = use_node_ref();
    let shown_height = layout.height.min(MAX_VIEW_HEIGHT);

    // Wheel zoom needs a listener that may cancel the page's scroll, which Yew's passive
    // wheel listener cannot.
    {
        let svg = svg.clone();
        let view = view.clone();
        let view_now = *view;
        use_effect_with(view_now, move |_| {
            let element = svg.cast::<Element>();
            let listener = Closure::<dyn FnMut(WheelEvent)>::new(move |event: WheelEvent| {
                let Some(target) = event.current_target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                    return;
                };
                event.prevent_default();
                let rect = target.get_bounding_client_rect();
                let fx = (event.client_x() as f64 - rect.left()) / rect.width().max(1.0);
                let fy = (event.client_y() as f64 - rect.top()) / rect.height().max(1.0);
                let px = view_now.x + fx * view_now.width;
                let py = view_now.y + fy * view_now.height;
                let factor = if event.delta_y() < 0.0 { 1.2 } else { 1.0 / 1.2 };
                view.set(view_now.zoom_at(factor, px, py));
            });
            let options = AddEventListenerOptions::new();
            options.set_passive(false);
            if let Some(element) = &element {
                let _ = element.add_event_listener_with_callback_and_add_event_listener_options(
                    "wheel",
                    listener.as_ref().unchecked_ref(),
                    &options,
                );
            }
            move || {
                if let Some(element) = element {
                    let _ = element.remove_event_listener_with_callback("wheel", listener.as_ref().unchecked_ref());
                }
            }
        });
    }

    let on_down = {
        let drag = drag.clone();
        let view = view.clone();
        Callback::from(move |event: MouseEvent| {
            *drag.borrow_mut() = Some((event.client_x() as f64, event.client_y() as f64, *view));
        })
    };
    let on_move = {
        let drag = drag.clone();
        let view = view.clone();
        let svg = svg.clone();
        Callback::from(move |event: MouseEvent| {
            let Some((x0, y0, start)) = *drag.borrow() else { return };
            let Some(element) = svg.cast::<Element>() else { return };
            let scale = start.width / element.get_bounding_client_rect().width().max(1.0);
            view.set(ViewBox {
                x: start.x - (event.client_x() as f64 - x0) * scale,
                y: start.y - (event.client_y() as f64 - y0) * scale,
                ..start
            });
        })
    };
    let on_up = {
        let drag = drag.clone();
        Callback::from(move |_: MouseEvent| *drag.borrow_mut() = None)
    };
    let zoom = |factor: f64| {
        let view = view.clone();
        Callback::from(move |_: MouseEvent| {
            let v = *view;
            view.set(v.zoom_at(factor, v.x + v.width / 2.0, v.y + v.height / 2.0));
        })
    };
    let reset = {
        let view = view.clone();
        let layout = layout.clone();
        Callback::from(move |_: MouseEvent| view.set(fitted(&layout)))
    };

    html! {
        <div class="path-graph">
            <div class="graph-tools" role="toolbar" aria-label="Zoom">
                <button type="button" aria-label="Zoom in" onclick={zoom(1.25)}>{ "+" }</button>
                <button type="button" aria-label="Zoom out" onclick={zoom(0.8)}>{ "−" }</button>
                <button type="button" onclick={reset}>{ "fit" }</button>
            </div>
            <svg ref={svg} class="graph" role="group" aria-label="Code path"
                viewBox={view.attribute()} height={format!("{shown_height}")} width="100%"
                preserveAspectRatio="xMidYMin meet"
                onmousedown={on_down} onmousemove={on_move} onmouseup={on_up.clone()} onmouseleave={on_up}>
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
                        <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
                    </marker>
                </defs>
                { for layout.nodes.windows(2).map(|pair| {
                    let x = pair[0].x + NODE_WIDTH / 2.0;
                    html! {
                        <line class="edge" x1={x.to_string()} y1={(pair[0].y + NODE_HEIGHT).to_string()}
                            x2={x.to_string()} y2={(pair[1].y - 2.0).to_string()} marker-end="url(#arrow)" />
                    }
                }) }
                { for layout.nodes.iter().enumerate().map(|(index, node)| node_view(index, node, &props.on_step)) }
            </svg>
        </div>
    }
}

fn node_view(index: usize, node: &NodeBox, on_step: &Callback<usize>) -> Html {
    let onclick = on_step.reform(move |event: MouseEvent| {
        event.stop_propagation();
        index
    });
    let onkeydown = {
        let on_step = on_step.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Enter" || event.key() == " " {
                event.prevent_default();
                on_step.emit(index);
            }
        })
    };
    // Mouse-down on a node must not start a pan.
    let onmousedown = Callback::from(|event: MouseEvent| event.stop_propagation());
    html! {
        <g class={classes!("node", format!("role-{}", node.role))} tabindex="0" role="button"
            aria-label={node.full.clone()} data-step={index.to_string()} {onclick} {onkeydown} {onmousedown}>
            <title>{ &node.full }</title>
            <rect x={node.x.to_string()} y={node.y.to_string()} width={NODE_WIDTH.to_string()}
                height={NODE_HEIGHT.to_string()} rx="7" />
            <text x={(node.x + 10.0).to_string()} y={(node.y + 19.0).to_string()} class="node-name">
                <tspan class="node-role">{ format!("{} ", node.role) }</tspan>{ &node.name }
            </text>
            <text x={(node.x + 10.0).to_string()} y={(node.y + 38.0).to_string()} class="node-place">{ &node.place }</text>
        </g>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale::report::Span;

    fn step(role: &str, function: &str, readable: Option<&str>, line: u32) -> PathStep {
        PathStep {
            role: role.into(),
            function: function.into(),
            readable_name: readable.map(Into::into),
            file: "package/cli.js".into(),
            span: Span {
                start: line * 10,
                end: line * 10 + 5,
            },
            line,
            column: 1,
            note: format!("{role} note"),
        }
    }

    #[test]
    fn nodes_go_top_to_bottom_with_readable_names() {
        let steps = vec![
            step("entry", "main", None, 1),
            step("call", "Xq1", Some("sendTelemetry"), 20),
            step("detection", "Xq1", Some("sendTelemetry"), 21),
            step("sink", "fetch", None, 30),
        ];
        let layout = layout(&steps);
        assert_eq!(layout.nodes.len(), 4);
        assert!(layout.nodes.windows(2).all(|p| p[1].y > p[0].y + NODE_HEIGHT));
        assert_eq!(layout.nodes[1].name, "sendTelemetry (Xq1)");
        assert_eq!(layout.nodes[0].name, "main");
        assert_eq!(layout.nodes[3].place, "cli.js:30 · sink note");
        assert!(layout.nodes[1].full.contains("package/cli.js:20"));
        assert_eq!(layout.height, 2.0 * MARGIN + 4.0 * NODE_HEIGHT + 3.0 * GAP);
    }

    #[test]
    fn long_names_are_cut_and_empty_names_named() {
        let long = "a".repeat(100);
        let layout = layout(&[step("call", &long, None, 1), step("entry", "", None, 2)]);
        assert_eq!(layout.nodes[0].name.chars().count(), NAME_CHARS);
        assert!(layout.nodes[0].name.ends_with('…'));
        assert_eq!(layout.nodes[1].name, "(top level)");
    }

    #[test]
    fn zoom_keeps_the_point_under_the_pointer() {
        let view = ViewBox {
            x: 0.0,
            y: 0.0,
            width: 400.0,
            height: 200.0,
        };
        let zoomed = view.zoom_at(2.0, 100.0, 50.0);
        assert_eq!(zoomed.width, 200.0);
        assert_eq!(zoomed.height, 100.0);
        // The point keeps its fraction of the view.
        assert_eq!((100.0 - zoomed.x) / zoomed.width, 100.0 / 400.0);
        assert_eq!((50.0 - zoomed.y) / zoomed.height, 50.0 / 200.0);
        let back = zoomed.zoom_at(0.5, 100.0, 50.0);
        assert_eq!(back, view);
    }
}
