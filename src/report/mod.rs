//! Reporting findings: libtest output (via libtest-mimic), failure text with JSON diffs,
//! `curl` reproductions, and the file reports (JUnit XML, JSON, HTML). Reporters consume
//! the runner's outcomes; they send nothing and write no files (the command does).

pub mod baseline;
pub mod curl;
pub mod diff;
pub mod escape;
pub mod failure;
pub mod html;
pub mod json;
pub mod junit;
pub mod libtest;
pub mod load;
pub mod merge;
pub mod results;

pub use baseline::Baseline;
pub use results::{CaseResult, RunSummary, Verdict};
