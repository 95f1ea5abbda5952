//! Messages between the page and its workers. Each message is a JS object `{json, buffers}`:
//! `json` a serialised [`ToWorker`]/[`FromWorker`], `buffers` the file contents, transferred
//! rather than copied.

use serde::{Deserialize, Serialize};
use telltale::report::Report;
use telltale::scan::Progress;

/// A job id, unique per page.
pub type JobId = u32;

#[derive(Debug, Serialize, Deserialize)]
pub enum ToWorker {
    /// Scan one dropped file; its bytes are `buffers[0]`.
    ScanFile { job: JobId, name: String },
    /// Scan a dropped folder; `paths[i]` names `buffers[i]`.
    ScanFolder {
        job: JobId,
        name: String,
        paths: Vec<String>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
pub enum FromWorker {
    Progress {
        job: JobId,
        progress: Progress,
    },
    Done {
        job: JobId,
        report: Box<Report>,
    },
    /// The engine stopped on this job (a bug): the message says why; the page stays usable.
    Crashed {
        job: JobId,
        message: String,
    },
}
