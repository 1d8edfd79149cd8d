//! cts-conform: a contract-conformance harness for the Cloud Trace Service (CTS) v3
//! tracker API, with a reference emulator of that API built in.
//!
//! Data flows one way: [`contract`] (the OpenAPI document in `schemas/`) and the
//! [`case`] files are loaded, each case is [`run`] against a target, every response is
//! judged by [`check`], and the findings are reported by [`report`]. See the README.

pub mod auth;
pub mod case;
pub mod check;
pub mod contract;
pub mod coverage;
pub mod cts;
pub mod derive;
pub mod emulator;
pub mod exchange;
pub mod json_pointer;
pub mod parity;
pub mod partition;
pub mod proxy;
pub mod record;
pub mod report;
pub mod run;
pub mod suggest;
pub mod violations;
