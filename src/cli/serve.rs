//! `cts-conform serve`: the reference emulator standalone, with its credentials and faults,
//! and the traits of a real account (`--bucket`, `--preload`, `--rate-limit`,
//! `--gateway-errors`, or all but buckets with `--cloud`).

use std::collections::BTreeSet;

use cts_conform::emulator::{self, AuthPolicy, EmulatorConfig, Fault, PolicyFlags, Preload};

use super::args::ServeArgs;
use super::exit::{runtime, usage, Exit};

pub(crate) fn serve(args: ServeArgs) -> Exit {
    if args.list_faults {
        print!("{}", emulator::fault::listing());
        return Exit::Passed;
    }
    let limits = match args.server.limits() {
        Ok(limits) => limits,
        Err(message) => return usage(message),
    };
    if let Err(exit) = super::proxy::check_listen(
        args.listen,
        args.server.allow_remote,
        "the emulator (and, without --ak/--sk/--token/--credentials, with no authentication)",
    ) {
        return exit;
    }
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let flags = PolicyFlags {
        ak: &args.ak,
        sk: &args.sk,
        project_id: &args.project_id,
        token: &args.token,
        credentials: args.credentials.as_deref(),
    };
    let auth = match flags.policy() {
        Ok(auth) => auth,
        Err(message) => return usage(message),
    };
    match &auth {
        None => eprintln!(
            "warning: authentication is off, every request is accepted \
             (turn it on with --ak/--sk/--project-id, --token or --credentials)"
        ),
        Some(policy) => eprintln!(
            "authentication is on: {} account(s), {} token(s)",
            policy.accounts().len(),
            policy.tokens().len()
        ),
    }
    let faults: emulator::FaultSet = args.fault.iter().copied().collect();
    if !faults.is_empty() {
        let names: Vec<&str> = faults.iter().map(Fault::name).collect();
        eprintln!(
            "warning: fault modes on, the emulator breaks the contract: {}",
            names.join(", ")
        );
    }
    let secrets = auth.as_ref().map_or_else(Vec::new, AuthPolicy::secrets);
    let sink = match super::proxy::violation_sink(
        args.violations.as_deref(),
        &args.violation_limits,
        args.strict_requests,
        secrets,
    ) {
        Ok(sink) => sink,
        Err(message) => return usage(message),
    };
    let mut config = if args.cloud {
        let projects: BTreeSet<&str> = auth.iter().flat_map(AuthPolicy::granted_projects).collect();
        if projects.is_empty() {
            eprintln!(
                "warning: --cloud: no project is configured (--project-id, --token, \
                 --credentials), so no management tracker is preloaded"
            );
        }
        EmulatorConfig::cloud(projects)
    } else {
        EmulatorConfig::default()
    };
    if let Some(path) = &args.preload {
        let loaded = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| Preload::from_json(&text).map_err(|e| e.to_string()));
        match loaded {
            Ok(preload) => config.preload = preload,
            Err(reason) => {
                return usage(format!("--preload {}: {reason}", path.display()));
            }
        }
    }
    if !args.bucket.is_empty() {
        config.buckets = Some(args.bucket.iter().cloned().collect());
    }
    if args.rate_limit.is_some() {
        config.rate_limit = args.rate_limit;
    }
    config.gateway_errors |= args.gateway_errors;
    config.latency = args.latency.map(std::time::Duration::from_millis);
    config.verbose = args.verbose;
    config.auth = auth;
    config.faults = faults;
    config.violations = sink.clone();
    config.strict_requests = args.strict_requests;
    config.limits = limits;
    config.rules = emulator::Rules::documents_only(args.documents_only);
    if args.documents_only {
        eprintln!(
            "documents-only: the two documents' rules alone (no account rule of api-facts, \
             CTS.0003 for every refused input)"
        );
    }
    eprintln!("{}", config.account_summary());
    let served = runtime.block_on(emulator::serve(
        config,
        args.listen,
        emulator::server::interrupted(),
    ));
    if let Some(sink) = &sink {
        eprint!("{}", sink.summary());
    }
    match served {
        Ok(()) => Exit::Passed,
        Err(e) => usage(format!("cannot serve on {}: {e}", args.listen)),
    }
}
