//! Configuration problems stop the run once, clearly (issue 24, item 8): a case that needs
//! credentials the run does not have is ignored with the reason, not failed (the README's
//! standalone recipe passes as written); a pool bucket the target says does not exist
//! (CTS.0211) stops the run with exit 3 and one line naming it, before the other cases
//! spend requests on it.

use crate::cli_run;
use crate::serve::Serve;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const AK: &str = "AKCONFIGURATION00001";
const SK: &str = "SKconfigurationSKconfigurationSKconfig01";

#[test]
fn the_standalone_recipe_passes_and_says_which_cases_it_could_not_check() {
    // README: `cts-conform serve --listen ...`, then `--target URL --project-id P`.
    let serve = Serve::start(&[]);
    let run = cli_run::run(&["--target", &serve.base_url, "--project-id", PROJECT]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let ignored: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("test auth::") && l.contains("ignored"))
        .collect();
    assert!(ignored.len() >= 6, "{}", run.stdout);
    assert!(
        ignored.iter().all(
            |l| l.contains("proves nothing when the run itself sends none")
                || l.contains("needs credentials")
        ),
        "{ignored:#?}"
    );
    assert!(!run.stdout.contains("FAILED"), "{}", run.stdout);
}

#[test]
fn a_pool_bucket_the_target_says_does_not_exist_stops_the_run_once() {
    let serve = Serve::start(&[
        "--cloud",
        "--ak",
        AK,
        "--sk",
        SK,
        "--project-id",
        PROJECT,
        "--bucket",
        "cfg-data-1",
        "--bucket",
        "cfg-traces",
    ]);
    let signed = [
        "--target",
        serve.base_url.as_str(),
        "--project-id",
        PROJECT,
        "--ak",
        AK,
        "--sk",
        SK,
    ];
    // A data bucket that does not exist.
    let mut args = signed.to_vec();
    args.extend(["--data-bucket", "cfg-missing", "--obs-bucket", "cfg-traces"]);
    let run = cli_run::run(&args);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].contains("cfg-missing") && errors[0].contains("CTS.0211"),
        "{}",
        errors[0]
    );
    // No --data-bucket at all on a loopback target: the run makes names up, and the
    // target refuses them: the same single line, saying the names were made up.
    let run = cli_run::run(&signed);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("made up by the run"), "{}", run.stderr);
    let failed = run.stdout.matches("FAILED").count();
    assert!(failed < 10, "{failed} failed cases:\n{}", run.stdout);
}
