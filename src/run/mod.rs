//! Running cases against a target: rendering requests, HTTP with time and size limits,
//! signing, step execution with captures, serial groups and cleanup.

pub mod bound;
pub mod budget;
pub mod case;
pub mod config;
pub mod event;
pub mod ledger;
pub mod pool;
pub mod preflight;
pub mod reorder;
pub mod request;
pub mod schedule;
pub mod session;
pub mod signals;
pub mod signing;
pub mod sweep;
pub mod tracked;
pub mod transport;

pub use config::{Credentials, RunConfig};
pub use preflight::preflight;
pub use session::Session;
