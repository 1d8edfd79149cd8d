//! The integration tests, one binary (issue 29: one link instead of one per file; a
//! library edit rebuilds one test crate). `tests/hostile.rs` stays apart: it measures its
//! children's memory, which other tests' children would disturb.
//! Shared helpers are in `tests/support/`.

#[path = "../support/bad_cases.rs"]
#[allow(dead_code)]
mod bad_cases;
#[path = "../support/cli_run.rs"]
#[allow(dead_code)]
mod cli_run;
#[path = "../support/run_one.rs"]
#[allow(dead_code)]
mod run_one;
#[path = "../support/serve.rs"]
#[allow(dead_code)]
mod serve;
#[path = "../support/signed.rs"]
#[allow(dead_code)]
mod signed;
#[path = "../support/wire.rs"]
#[allow(dead_code)]
mod wire;

mod auth;
mod auth_embedded;
mod auth_emulator;
mod auth_redact;
mod auth_serve_cli;
mod bucket_operations;
mod bucket_pool;
mod bundle_verify;
mod case_loading;
mod case_schema;
mod case_sources;
mod checks;
mod cleanup_check;
mod cli;
mod completeness;
mod concurrency;
mod configuration;
mod contract;
mod coverage;
mod credentials_check;
mod critical_path;
mod dependencies;
mod detection;
mod documents_only;
mod emulator;
mod emulator_account;
mod emulator_oracle;
mod emulator_sdk_fields;
mod events;
mod expected_keys;
mod explain;
mod explore;
mod forged_output;
mod gateway_roundtrip;
mod interrupt;
mod layers;
mod leftover_names;
mod leftovers;
mod merge_refusals;
mod model_faults;
mod model_gaps;
mod parity;
mod partition;
mod plan_memory;
mod preloaded;
mod proxy;
mod proxy_security;
mod real_account;
mod record_dir;
mod record_replay;
mod redaction;
mod report_cli;
mod report_render;
mod schedule;
mod server_limits;
mod terminal_retries;
mod tls;
mod toy_api;
mod verdict;
mod violations;
