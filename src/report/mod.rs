//! Reporting findings: failure text with JSON diffs, `curl` reproductions, and the file
//! reports (JUnit XML, JSON, HTML). Reporters consume the runner's outcomes (collected from
//! its events); they run no case, send nothing and write no files (the command does; the
//! libtest glue that drives trials is [`crate::terminal`]).

pub mod completeness;
pub mod curl;
pub mod diff;
pub mod escape;
pub mod failure;
pub mod files;
pub mod html;
pub mod json;
pub mod junit;
pub mod load;
pub mod merge;
pub mod merged;
pub mod results;

pub use results::{CaseResult, Leftovers, RunSummary};
