//! What the flags ask for, in the library's terms: a run's target and configuration
//! ([`target_config`]), its ledger, its plan, the [`RunSpec`] with the CTS contract and
//! service built in ([`cts_run`]), the TLS trust, the case selection kept in a recording,
//! and the commands that re-run or replay one case (never with a credential). Nothing is
//! printed here: a warning goes to the caller's `notice`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::args::{PlanArgs, ProfileArg, ReplayArgs, RunArgs, TlsArgs, DEFAULT_LEDGER};
use crate::case::model::Profile;
use crate::case::LoadedCase;
use crate::contract::Contract;
use crate::http::client::TlsTrust;
use crate::record;
use crate::report::failure::quote;
use crate::run::RunConfig;
use crate::runner::plan::PlanSpec;
use crate::runner::target::TargetChoice;
use crate::runner::{LedgerSpec, RunSpec, Target};

impl From<ProfileArg> for Profile {
    fn from(profile: ProfileArg) -> Profile {
        match profile {
            ProfileArg::Documented => Profile::Documented,
            ProfileArg::Strict => Profile::Strict,
        }
    }
}

impl PlanArgs {
    /// What these flags ask for that does nothing, one line each (the command goes on):
    /// `--with-builtin` without `--cases`.
    pub fn warnings(&self) -> Vec<String> {
        match self.with_builtin && self.cases.is_empty() {
            true => vec![
                "warning: --with-builtin does nothing without --cases (the built-in \
                          cases run by default)"
                    .into(),
            ],
            false => Vec::new(),
        }
    }

    /// The plan these flags ask for ([`crate::runner::plan::Plan::load`]).
    pub fn spec(&self) -> PlanSpec {
        PlanSpec {
            cases: self.cases.clone(),
            with_builtin: self.with_builtin,
            profile: self.profile.into(),
            no_derived: self.no_derived,
        }
    }
}

/// The trust `--cacert` and `--insecure` ask for; an unreadable `--cacert` is the error.
/// `--insecure` is warned through `notice`, naming `target`. (`SSL_CERT_FILE` needs
/// nothing here: the system roots are read through rustls-native-certs, which takes the
/// file it names instead of the system's bundle.)
pub fn tls_trust(
    args: &TlsArgs,
    target: &str,
    notice: &mut dyn FnMut(String),
) -> Result<TlsTrust, String> {
    let roots = match &args.cacert {
        Some(path) => TlsTrust::read_pem(path).map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    if args.insecure {
        notice(format!(
            "warning: --insecure: the target's TLS certificate is NOT verified; anyone between \
             here and {target} can read and change this run's requests and answers"
        ));
    }
    Ok(TlsTrust {
        roots,
        insecure: args.insecure,
    })
}

/// The target and the run's configuration from the flags ([`TargetChoice`]); the error
/// is a usage message.
pub fn target_config(
    args: &RunArgs,
    notice: &mut dyn FnMut(String),
) -> Result<(Target, RunConfig), String> {
    let choice = TargetChoice {
        target: args.target.clone(),
        project_id: args.project_id.clone(),
        credentials: args.credentials.credentials(),
        faults: args.emulator_fault.clone(),
        documents_only: args.emulator_documents_only,
        data_buckets: args.data_bucket.clone(),
        obs_buckets: args.obs_bucket.clone(),
    };
    let (target, mut config) = choice.resolve(&crate::cts::Cts)?;
    config.timeout = Duration::from_secs_f64(args.timeout);
    config.max_response_bytes = args.max_response_bytes;
    config.profile = args.plan.profile.into();
    config.tls = tls_trust(&args.tls, &args.target, notice)?;
    config.rate = args.rate;
    config.max_retries = args.max_retries;
    config.allow_mutations = args.allow_mutations;
    config.max_live = args.max_live;
    Ok((target, config))
}

/// The run's ledger: `--ledger FILE`; else for a URL target the default file, for the
/// embedded one none.
pub fn ledger_spec(args: &RunArgs) -> LedgerSpec {
    match (&args.ledger, args.target == "embedded") {
        (Some(path), _) => LedgerSpec::File(path.clone()),
        (None, true) => LedgerSpec::InMemory,
        (None, false) => LedgerSpec::File(PathBuf::from(DEFAULT_LEDGER)),
    }
}

/// A run of `cases` with the CTS contract and service built in ([`RunSpec::new`]'s
/// defaults): what run, replay and `--list --explain` start from.
pub fn cts_run(target: Target, config: RunConfig, cases: Vec<LoadedCase>) -> RunSpec {
    RunSpec::new(
        Contract::embedded_shared(),
        crate::cts::Cts::shared(),
        target,
        config,
        cases,
    )
}

/// A replay's target: `recording` answers instead of the network.
pub fn replay_target(recording: record::Recording) -> Target {
    Target::Replay(Arc::new(recording))
}

/// The case selection of a run, as `run.json` keeps it.
pub fn filters(libtest: &libtest_mimic::Arguments, no_derived: bool) -> record::Filters {
    record::Filters {
        filter: libtest.filter.clone(),
        skip: libtest.skip.clone(),
        exact: libtest.exact,
        ignored: libtest.ignored,
        include_ignored: libtest.include_ignored,
        no_derived,
    }
}

/// The command that re-runs one of this run's cases (a failure's reproduction line adds
/// `--exact ID`): the target, project, cases and the flags that shape a case, never a
/// credential (those come from the environment, as they did for this run).
pub fn rerun_command(args: &RunArgs) -> String {
    let mut parts = vec!["cts-conform".to_string()];
    let mut flag = |name: &str, value: String| {
        parts.push(name.to_string());
        parts.push(quote(&value));
    };
    if args.target != "embedded" {
        flag("--target", args.target.clone());
    }
    if let Some(project_id) = &args.project_id {
        flag("--project-id", project_id.clone());
    }
    for cases in &args.plan.cases {
        flag("--cases", cases.display().to_string());
    }
    if matches!(args.plan.profile, ProfileArg::Strict) {
        flag("--profile", "strict".into());
    }
    for fault in &args.emulator_fault {
        flag("--emulator-fault", fault.to_string());
    }
    for bucket in &args.data_bucket {
        flag("--data-bucket", bucket.clone());
    }
    for bucket in &args.obs_bucket {
        flag("--obs-bucket", bucket.clone());
    }
    if let Some(cacert) = &args.tls.cacert {
        flag("--cacert", cacert.display().to_string());
    }
    if args.plan.with_builtin && !args.plan.cases.is_empty() {
        parts.push("--with-builtin".into());
    }
    if args.allow_mutations {
        parts.push("--allow-mutations".into());
    }
    if args.emulator_documents_only {
        parts.push("--emulator-documents-only".into());
    }
    if args.tls.insecure {
        parts.push("--insecure".into());
    }
    parts.join(" ")
}

/// The command that replays one of this replay's cases (a failure's reproduction line
/// adds `--exact ID`): the recording and the flags that shape a case.
pub fn replay_command(args: &ReplayArgs) -> String {
    let mut parts = vec![
        "cts-conform replay".to_string(),
        quote(&args.dir.display().to_string()),
    ];
    for cases in &args.cases {
        parts.push(format!("--cases {}", quote(&cases.display().to_string())));
    }
    if args.with_builtin && !args.cases.is_empty() {
        parts.push("--with-builtin".into());
    }
    if let Some(profile) = args.profile {
        parts.push(format!(
            "--profile {}",
            format!("{profile:?}").to_lowercase()
        ));
    }
    parts.join(" ")
}
