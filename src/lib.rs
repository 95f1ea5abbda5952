//! Telltale finds out whether a developer-tool package phones home, what it sends, and whether it
//! checks where its user is, without running it and without a network.
//!
//! ```text
//! bytes ─▶ package   unpack archives (nested too) into members          package::open
//!       ─▶ files     classify: javascript / json / executable / …        files::classify
//!       ─▶ report    one serde Report for the CLI and the page           scan::scan → Report
//! ```
//!
//! ```
//! use telltale::scan::{scan, Input, ScanOptions};
//!
//! let report = scan(
//!     Input::Bytes { name: "index.js", bytes: b"console.log(1)" },
//!     &ScanOptions::default(),
//!     &mut |_| {},
//! );
//! assert_eq!(report.files[0].kind.as_str(), "javascript");
//! ```

pub mod clock;
pub mod files;
pub mod findings;
pub mod lang;
pub mod package;
pub mod pretty;
pub mod report;
pub mod rules;
pub mod sarif;
pub mod scan;
pub mod text;
