//! cts-conform: a contract-conformance harness for the Cloud Trace Service (CTS) v3
//! tracker API, with a reference emulator of that API built in.
//!
//! Data flows one way: [`contract`] (the OpenAPI document in `schemas/`) and the case
//! files are loaded, each case runs against a target, every response is checked, and
//! the findings are reported. See `../shared/DESIGN.md` and the README.

pub mod auth;
pub mod contract;
pub mod emulator;
