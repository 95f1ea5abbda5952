//! Messages between the page and its workers. Each message is a JS object `{json, buffers}`:
//! `json` a serialised [`ToWorker`]/[`FromWorker`], `buffers` the file contents, transferred
//! rather than copied.

use serde::{Deserialize, Serialize};
use telltale::pretty::Excerpt;
use telltale::report::{Report, Span};
use telltale::scan::Progress;

/// A job id, unique per page. A package keeps its id when it is scanned again (new rules).
pub type JobId = u32;

/// How many packages a worker keeps after scanning them, to show their source; the pool
/// routes source requests to the worker that keeps the package.
pub const KEPT_PACKAGES: usize = 3;

/// A rule file the person added, run beside the shipped rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleText {
    /// The file's name, as errors and findings name it.
    pub origin: String,
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum ToWorker {
    /// Scan one dropped file; its bytes are `buffers[0]`.
    ScanFile {
        job: JobId,
        name: String,
        rules: Vec<RuleText>,
    },
    /// Scan a dropped folder; `paths[i]` names `buffers[i]`.
    ScanFolder {
        job: JobId,
        name: String,
        paths: Vec<String>,
        rules: Vec<RuleText>,
    },
    /// The text of `file` around `span`, from a package this worker scanned. `context` widens
    /// the window: 1 is the default, each step doubles it.
    Source {
        job: JobId,
        file: String,
        span: Span,
        context: u32,
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
    /// The answer to [`ToWorker::Source`]: the excerpt, or why there is none.
    Source {
        job: JobId,
        file: String,
        span: Span,
        context: u32,
        excerpt: Result<Excerpt, String>,
    },
}
