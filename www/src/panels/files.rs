//! The package's files: path, kind and size of every member, nested archives included, and
//! the problems met while reading them.

use std::rc::Rc;

use telltale::package::human_bytes;
use telltale::report::Report;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FilesProps {
    pub report: Rc<Report>,
}

#[function_component(Files)]
pub fn files(props: &FilesProps) -> Html {
    let report = &props.report;
    html! {
        <section class="files-panel">
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
            <table class="file-table">
                <thead><tr><th>{ "Path" }</th><th>{ "Kind" }</th><th class="num">{ "Size" }</th></tr></thead>
                <tbody>
                    { for report.files.iter().map(|file| {
                        let kind = match file.archive {
                            Some(format) => format!("archive ({format})"),
                            None if file.minified => format!("{} (minified)", file.kind),
                            None => file.kind.to_string(),
                        };
                        html! {
                            <tr>
                                <td class="path">{ &file.path }</td>
                                <td>{ kind }</td>
                                <td class="num">{ human_bytes(file.size) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </section>
    }
}
