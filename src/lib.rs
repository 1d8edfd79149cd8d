//! cts-conform: a contract-conformance harness for the Cloud Trace Service (CTS) v3
//! tracker API, with a reference emulator of that API built in.
//!
//! Data flows one way: case files ([`case`], compiled at load, plus [`cts::boundary`] (derived) cases)
//! -> a plan -> [`run`] (requests, [`http::exchange`]s) -> [`check`] (findings, pure) ->
//! [`run::event`]s -> reporters ([`report`], [`record`]). Modules import only from those
//! before them in this list (`tests/it/layers.rs` keeps it so): `atomic_write`, `json_pointer`, `suggest`,
//! [`auth`], [`http`] (exchanges, client, throttling), [`contract`], [`case`], [`cts`] (what is CTS-specific,
//! behind the [`cts::Service`] trait the later modules are handed; its derived cases), [`check`], [`outcome`] (what a run produces: outcomes,
//! verdicts, the baseline), [`model`] (the run's own state, each answer checked against it),
//! [`run`], [`violations`], [`coverage`], [`partition`],
//! [`record`], [`report`], [`bundle`], [`parity`], [`emulator`], [`runner`] (a run start to end: target,
//! check, schedule, results), [`terminal`] (the libtest-style terminal reporter), [`explore`] (generated
//! sequences, shrunk to a case file), [`proxy`], [`options`] (the command line's flags as typed
//! values and what they ask for). The binary (`src/cli/`) is the I/O shell around them.

pub mod atomic_write;
pub mod auth;
pub mod bundle;
pub mod case;
pub mod check;
pub mod contract;
pub mod coverage;
pub mod cts;
pub mod emulator;
pub mod explore;
pub mod http;
pub mod json_pointer;
pub mod model;
pub mod options;
pub mod outcome;
pub mod parity;
pub mod partition;
pub mod proxy;
pub mod record;
pub mod report;
pub mod run;
pub mod runner;
pub mod suggest;
pub mod terminal;
pub mod violations;
