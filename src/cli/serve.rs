//! `cts-conform serve`: the reference emulator standalone, with its credentials and faults,
//! and the traits of a real account (`--bucket`, `--preload`, `--rate-limit`,
//! `--gateway-errors`, or all but buckets with `--cloud`).

use std::collections::BTreeSet;

use cts_conform::auth::SecretString;
use cts_conform::emulator::{self, Account, AuthPolicy, EmulatorConfig, Fault, Preload, Token};

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
    let auth = match serve_policy(&args) {
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
        let projects: BTreeSet<&str> = auth.iter().flat_map(granted_projects).collect();
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
    eprintln!("{}", account_summary(&config));
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

/// Every project the policy's accounts and tokens grant.
fn granted_projects(policy: &AuthPolicy) -> impl Iterator<Item = &str> {
    let accounts = policy.accounts().iter().map(|a| a.project_id.as_str());
    accounts.chain(policy.tokens().iter().map(|t| t.project_id.as_str()))
}

/// One line: how much like a real account this emulator is.
fn account_summary(config: &EmulatorConfig) -> String {
    let buckets = match &config.buckets {
        None => "every valid bucket name exists".to_owned(),
        Some(names) => format!("{} bucket(s) exist", names.len()),
    };
    let rate = config.rate_limit.map_or_else(
        || "no rate limit".to_owned(),
        |n| format!("at most {n} requests/s per credential"),
    );
    let gateway = if config.gateway_errors {
        "gateway-shaped 401/429"
    } else {
        "CTS-shaped 401"
    };
    let preloaded = if config.preload.is_empty() {
        "no preloaded tracker"
    } else {
        "trackers preloaded"
    };
    format!("account: {buckets}; {rate}; {gateway}; {preloaded}")
}

/// The emulator's auth policy from `serve`'s flags and credentials file; `None`
/// (accept everything) when neither names any credential. Errors never quote a secret.
fn serve_policy(args: &ServeArgs) -> Result<Option<AuthPolicy>, String> {
    let (aks, sks, projects) = (args.ak.len(), args.sk.len(), args.project_id.len());
    if aks != sks || (aks > 0 && projects != aks) {
        return Err(format!(
            "give --ak, --sk and --project-id equally often, the Nth of each forming one \
             account (got {aks} --ak, {sks} --sk, {projects} --project-id)"
        ));
    }
    if aks == 0 && args.token.is_empty() && projects > 0 {
        return Err(
            "--project-id grants a project to an --ak/--sk account or a --token; give one".into(),
        );
    }
    let mut accounts: Vec<Account> = args
        .ak
        .iter()
        .zip(&args.sk)
        .zip(&args.project_id)
        .map(|((ak, sk), project_id)| Account {
            credentials: cts_conform::auth::Credentials::new(ak.as_str(), sk.as_str()),
            project_id: project_id.clone(),
        })
        .collect();
    let mut tokens = args
        .token
        .iter()
        .map(|arg| token_grant(arg, args.project_id.first()))
        .collect::<Result<Vec<Token>, String>>()?;
    if let Some(path) = &args.credentials {
        let file = AuthPolicy::load(path).map_err(|e| e.to_string())?;
        if file.accounts().is_empty() && file.tokens().is_empty() {
            return Err(format!("{} lists no account and no token", path.display()));
        }
        accounts.extend_from_slice(file.accounts());
        tokens.extend_from_slice(file.tokens());
    }
    if accounts.is_empty() && tokens.is_empty() {
        return Ok(None);
    }
    AuthPolicy::new(accounts, tokens)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// A `--token TOKEN[:PROJECT_ID]` argument; without `:PROJECT_ID` the token grants
/// `first_project`.
fn token_grant(arg: &str, first_project: Option<&String>) -> Result<Token, String> {
    let (token, project_id) = match arg.rsplit_once(':') {
        Some((token, project_id)) => (token, project_id.to_owned()),
        None => (
            arg,
            first_project
                .cloned()
                .ok_or("a --token without :PROJECT_ID grants the first --project-id; give one")?,
        ),
    };
    Ok(Token {
        token: SecretString::new(token),
        project_id,
    })
}
