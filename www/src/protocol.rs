//! Messages between the page and its workers. Each message is a JS object `{json, files}`:
//! `json` a serialised [`ToWorker`]/[`FromWorker`], `files` the dropped `File`s, which the
//! worker reads itself (a `File` crosses to a worker as a handle, never copied).
//!
//! A large package is scanned by several workers at once, each reading the whole package as
//! one [`Part`] of the scan; each answers with [`FromWorker::Piece`]s that the pool puts
//! together (`telltale::scan::Assembly`).

use serde::{Deserialize, Serialize};
use telltale::package::Part;
use telltale::pretty::Excerpt;
use telltale::report::Span;
use telltale::scan::Piece;

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
    /// Scan `part` of one dropped file, `files[0]`.
    ScanFile {
        job: JobId,
        part: Part,
        name: String,
        rules: Vec<RuleText>,
    },
    /// Scan `part` of a dropped folder; `paths[i]` names `files[i]`.
    ScanFolder {
        job: JobId,
        part: Part,
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
    /// What part `part` of the job's scan found since its last piece; the last one is `done`.
    Piece { job: JobId, part: u32, piece: Box<Piece> },
    /// The engine stopped on this job (a bug): the message says why; the page stays usable.
    Crashed { job: JobId, message: String },
    /// The answer to [`ToWorker::Source`]: the excerpt, or why there is none.
    Source {
        job: JobId,
        file: String,
        span: Span,
        context: u32,
        excerpt: Result<Excerpt, String>,
    },
}
