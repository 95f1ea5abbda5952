//! One component per file, each with its own `Props`.

pub mod custom_rules;
pub mod drop_zone;
pub mod exports;
pub mod file_tree;
pub mod finding_detail;
pub mod findings;
pub mod overview;
pub mod package_tabs;
pub mod path_graph;
pub mod source_view;
