//! The flags' translation, tested without the binary: what a command line parses into,
//! and what each translation makes of it (the binary's end-to-end tests are in
//! tests/it/cli.rs and its neighbours).

use std::io::Write;

use clap::Parser;

use super::args::{Cli, Command, NoTests, RunArgs};
use super::checks::{check_run_args, check_selection, mistyped_subcommand, NoCaseSelected};
use super::server_args::{ProxyArgs, ServeArgs};
use super::spec::{ledger_spec, replay_command, rerun_command};
use crate::contract::Contract;
use crate::proxy::UpstreamAuth;
use crate::runner::LedgerSpec;

/// The command line `cts-conform ARGS...`, parsed as the binary parses it. Tests of the
/// run's flags pass everything they depend on explicitly (the environment's CTS_TARGET and
/// credentials would otherwise count).
fn parse(args: &[&str]) -> Cli {
    let line = std::iter::once("cts-conform").chain(args.iter().copied());
    match Cli::try_parse_from(line) {
        Ok(cli) => cli,
        Err(e) => panic!("{args:?} does not parse: {e}"),
    }
}

fn run_args(args: &[&str]) -> (RunArgs, libtest_mimic::Arguments) {
    let cli = parse(args);
    assert!(cli.command.is_none(), "{args:?} is a subcommand");
    (cli.run, cli.libtest)
}

fn serve_args(args: &[&str]) -> ServeArgs {
    let mut line = vec!["serve"];
    line.extend_from_slice(args);
    match parse(&line).command {
        Some(Command::Serve(args)) => args,
        other => panic!("not serve: {other:?}"),
    }
}

fn proxy_args(args: &[&str]) -> ProxyArgs {
    let mut line = vec!["proxy", "--upstream", "http://127.0.0.1:9"];
    line.extend_from_slice(args);
    match parse(&line).command {
        Some(Command::Proxy(args)) => args,
        other => panic!("not proxy: {other:?}"),
    }
}

/// The notices a translation handed back, in order.
fn collecting(notices: &mut Vec<String>) -> impl FnMut(String) + '_ {
    |notice| notices.push(notice)
}

#[test]
fn the_rerun_command_names_what_shapes_a_case_and_never_a_credential() {
    let (args, _) = run_args(&[
        "--target",
        "https://cts.example.com",
        "--project-id",
        "p1",
        "--ak",
        "AK-SECRET-1",
        "--sk",
        "SK-SECRET-2",
        "--cases",
        "my cases",
        "--profile",
        "strict",
        "--data-bucket",
        "b1",
        "--allow-mutations",
    ]);
    let command = rerun_command(&args);
    assert_eq!(
        command,
        "cts-conform --target https://cts.example.com --project-id p1 --cases 'my cases' \
         --profile strict --data-bucket b1 --allow-mutations"
    );
    for secret in ["AK-SECRET-1", "SK-SECRET-2"] {
        assert!(!command.contains(secret), "{command}");
    }
    let (token, _) = run_args(&["--target", "https://x.example", "--token", "TOKEN-3"]);
    assert!(!rerun_command(&token).contains("TOKEN-3"));
}

#[test]
fn the_embedded_target_keeps_its_ledger_in_memory_and_a_url_target_in_the_default_file() {
    let (embedded, _) = run_args(&["--target", "embedded"]);
    assert!(matches!(ledger_spec(&embedded), LedgerSpec::InMemory));
    let (url, _) = run_args(&["--target", "https://cts.example.com"]);
    match ledger_spec(&url) {
        LedgerSpec::File(path) => assert_eq!(path.to_str(), Some(super::args::DEFAULT_LEDGER)),
        other => panic!("{other:?}"),
    }
    let (given, _) = run_args(&["--target", "embedded", "--ledger", "mine.jsonl"]);
    match ledger_spec(&given) {
        LedgerSpec::File(path) => assert_eq!(path.to_str(), Some("mine.jsonl")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_replay_command_quotes_the_recording_and_keeps_the_profile() {
    let cli = parse(&["replay", "my run", "--profile", "strict"]);
    let Some(Command::Replay(args)) = cli.command else {
        panic!("not replay")
    };
    assert_eq!(
        replay_command(&args),
        "cts-conform replay 'my run' --profile strict"
    );
}

#[test]
fn each_bad_run_flag_is_one_line_before_anything_runs() {
    let contract = Contract::embedded();
    let problem = |args: &[&str]| {
        let (run, libtest) = run_args(args);
        check_run_args(&run, &libtest, contract)
    };
    assert_eq!(problem(&["--target", "embedded"]), None);
    let cases: [(&[&str], &str); 6] = [
        (&["--explain"], "--explain only goes with --list"),
        (&["--timeout", "0"], "--timeout must be a positive number"),
        (&["--rate=-1"], "--rate must be a positive number"),
        (
            &["--min-coverage", "101"],
            "--min-coverage must be a percentage",
        ),
        (
            &["--test-threads", "0"],
            "--test-threads must be at least 1",
        ),
        (
            &["--max-response-bytes", "0"],
            "--max-response-bytes must be at least 1",
        ),
    ];
    for (args, expected) in cases {
        let mut line = vec!["--target", "embedded"];
        line.extend_from_slice(args);
        match problem(&line) {
            Some(message) => assert!(message.starts_with(expected), "{args:?}: {message}"),
            None => panic!("{args:?} was accepted"),
        }
    }
}

#[test]
fn a_filter_one_typo_from_a_subcommand_is_a_usage_error_and_no_match_follows_no_tests() {
    assert_eq!(mistyped_subcommand("coverag"), Some("coverage"));
    assert_eq!(mistyped_subcommand("explor"), Some("explore"));
    assert_eq!(mistyped_subcommand("trackers::create"), None);
    let (_, libtest) = run_args(&["--target", "embedded", "coverag"]);
    assert!(matches!(
        check_selection(&[], &libtest, NoTests::Fail),
        Err(NoCaseSelected::Mistyped(message)) if message.contains("did you mean `coverage`")
    ));
    let (_, libtest) = run_args(&["--target", "embedded", "no_such_case_anywhere"]);
    assert!(matches!(
        check_selection(&[], &libtest, NoTests::Fail),
        Err(NoCaseSelected::Refused(line)) if line.contains("--no-tests=warn")
    ));
    assert!(matches!(
        check_selection(&[], &libtest, NoTests::Warn),
        Ok(Some(warning)) if warning.starts_with("warning: no case matched the filter")
    ));
    assert_eq!(check_selection(&[], &libtest, NoTests::Pass), Ok(None));
}

#[test]
fn serve_warns_when_authentication_is_off_and_refuses_a_remote_address_without_allow_remote() {
    let mut notices = Vec::new();
    let config = serve_args(&[])
        .emulator_config(&mut collecting(&mut notices))
        .expect("the defaults are a usable emulator");
    assert!(config.auth.is_none());
    assert!(
        notices[0].starts_with("warning: authentication is off"),
        "{notices:?}"
    );
    let refused = serve_args(&["--listen", "0.0.0.0:0"]).emulator_config(&mut |_| {});
    assert!(
        matches!(&refused, Err(message) if message.contains("--allow-remote")),
        "{:?}",
        refused.err()
    );
}

#[test]
fn serve_cloud_preloads_the_credentials_projects_and_names_a_preload_file_it_cannot_read() {
    let mut notices = Vec::new();
    let config = serve_args(&["--cloud", "--ak", "A", "--sk", "S", "--project-id", "p1"])
        .emulator_config(&mut collecting(&mut notices))
        .expect("a cloud emulator");
    assert!(config.gateway_errors && config.rate_limit.is_some());
    assert!(
        notices[0].starts_with("authentication is on: 1 account(s)"),
        "{notices:?}"
    );
    let mut bad = tempfile::NamedTempFile::new().expect("a temporary file");
    bad.write_all(b"{not json").expect("written");
    let path = bad.path().to_string_lossy().into_owned();
    let refused = serve_args(&["--preload", &path]).emulator_config(&mut |_| {});
    assert!(
        matches!(&refused, Err(message) if message.starts_with(&format!("--preload {path}: "))),
        "{:?}",
        refused.err()
    );
}

#[test]
fn the_proxy_needs_credentials_of_its_own_unless_told_to_forward_unverified() {
    let refused = proxy_args(&[]).proxy_config(&mut |_| {});
    assert!(
        matches!(&refused, Err(message) if message.starts_with("give --ak/--sk or --token")),
        "{:?}",
        refused.err().map(|_| ())
    );
    let mut notices = Vec::new();
    let setup = proxy_args(&["--forward-unverified"])
        .proxy_config(&mut collecting(&mut notices))
        .expect("a pass-through proxy");
    assert!(matches!(setup.config.auth, UpstreamAuth::PassThrough));
    assert!(setup.check.is_none(), "nothing of its own to check");
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices[1].starts_with("warning: --forward-unverified"));
}

#[test]
fn the_proxy_checks_its_own_credentials_for_its_project_and_warns_without_one() {
    let setup = proxy_args(&["--ak", "A", "--sk", "S", "--project-id", "p1"])
        .proxy_config(&mut |_| {})
        .expect("a signing proxy");
    assert!(matches!(setup.config.auth, UpstreamAuth::AkSk(_)));
    assert_eq!(
        setup.check.map(|(project, _)| project).as_deref(),
        Some("p1")
    );
    let mut notices = Vec::new();
    let setup = proxy_args(&["--token", "T"])
        .proxy_config(&mut collecting(&mut notices))
        .expect("a token proxy");
    assert!(setup.check.is_none());
    assert!(notices
        .iter()
        .any(|n| n.starts_with("warning: no --project-id")));
    let empty = proxy_args(&["--token", "T", "--project-id", " "]).proxy_config(&mut |_| {});
    assert!(matches!(empty, Err(message) if message.starts_with("--project-id is empty")));
    let timeout = proxy_args(&["--token", "T", "--timeout", "0"]).proxy_config(&mut |_| {});
    assert!(matches!(timeout, Err(message) if message.starts_with("--timeout must be")));
}

#[test]
fn with_builtin_without_cases_is_said_to_do_nothing_and_explore_refuses_it() {
    let (alone, _) = run_args(&["--target", "embedded", "--with-builtin"]);
    let warnings = alone.plan.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("warning: --with-builtin does nothing without --cases"));
    let (with_cases, _) = run_args(&["--target", "embedded", "--cases", "d", "--with-builtin"]);
    assert_eq!(with_cases.plan.warnings(), Vec::<String>::new());
    let Some(Command::Explore(explore)) =
        parse(&["explore", "--target", "embedded", "--with-builtin"]).command
    else {
        panic!("not explore")
    };
    let problem = super::checks::check_explore_args(&explore, Contract::embedded());
    assert_eq!(
        problem.as_deref(),
        Some(
            "--with-builtin does not apply to explore (it runs generated sequences, not the suite)"
        )
    );
}
