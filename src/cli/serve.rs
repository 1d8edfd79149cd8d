//! `cts-conform serve`: the reference emulator standalone, with its credentials and faults.

use cts_conform::auth::SecretString;
use cts_conform::emulator::{self, Account, AuthPolicy, EmulatorConfig, Fault, Token};

use super::args::ServeArgs;
use super::exit::{runtime, usage, Exit};

pub(crate) fn serve(args: ServeArgs) -> Exit {
    if args.list_faults {
        print!("{}", emulator::fault::listing());
        return Exit::Passed;
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
        args.strict_requests,
        secrets,
    ) {
        Ok(sink) => sink,
        Err(message) => return usage(message),
    };
    let config = EmulatorConfig {
        violations: sink.clone(),
        strict_requests: args.strict_requests,
        verbose: args.verbose,
        auth,
        faults,
        ..EmulatorConfig::default()
    };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("shutting down");
    };
    let served = runtime.block_on(emulator::serve(config, args.listen, shutdown));
    if let Some(sink) = &sink {
        eprint!("{}", sink.summary());
    }
    match served {
        Ok(()) => Exit::Passed,
        Err(e) => usage(format!("cannot serve on {}: {e}", args.listen)),
    }
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
