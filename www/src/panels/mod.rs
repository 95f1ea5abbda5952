//! One component per file, each with its own `Props`.

pub mod drop_zone;
pub mod files;
pub mod package_tabs;
