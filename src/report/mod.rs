//! Reporting findings: libtest output (via libtest-mimic), failure text with JSON diffs,
//! `curl` reproductions. Reporters consume the runner's outcomes; they send nothing.

pub mod curl;
pub mod diff;
pub mod failure;
pub mod libtest;
