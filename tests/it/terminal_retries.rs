//! Retries in the terminal (issue 32, item 2): against a throttling target, a failed
//! case's trail shows, for each step that was sent again, how many times and how long it
//! waited (then one line per retry), and the run's last line counts the retries. A
//! passing case prints no trail in the terminal (libtest shows `... ok` alone), so for
//! it the last line's count is what the terminal says.

use crate::cli_run;
use crate::serve::Serve;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn a_throttled_steps_trail_shows_its_retries_and_the_last_line_counts_them() {
    // One request a second: the check before the run takes it, so the case's first
    // request is throttled (429 APIGW.0308) and sent again.
    let serve = Serve::start(&["--rate-limit", "1"]);
    let run = cli_run::run(&[
        "--target",
        &serve.base_url,
        "--project-id",
        PROJECT,
        "--cases",
        &cli_run::cases("fail"),
        "--no-derived",
        "--max-retries",
        "20",
        "--test-threads",
        "1",
    ]);
    assert_eq!(run.code, 101, "{}\n{}", run.stdout, run.stderr);
    let head = run
        .stdout
        .lines()
        .find(|line| line.starts_with("step 1 of 1: CreateTracker  POST "))
        .unwrap_or_else(|| panic!("no trail of the step:\n{}", run.stdout));
    let (_, retried) = head
        .split_once(", after ")
        .unwrap_or_else(|| panic!("the step's retries are not counted: {head}"));
    let count: usize = retried
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{head}"));
    assert!(count >= 1 && retried.contains("ms waited)"), "{head}");
    // Then one line per retry, right under the step's line.
    let lines: Vec<&str> = run.stdout.lines().collect();
    let at = lines.iter().position(|l| *l == head).unwrap();
    for line in &lines[at + 1..=at + count] {
        assert!(
            line.starts_with("  throttled: 429 APIGW.0308: retried after "),
            "{line}\n{}",
            run.stdout
        );
    }
    let last = run
        .stdout
        .lines()
        .find(|l| l.starts_with("requests sent: "))
        .unwrap_or_else(|| panic!("no request count:\n{}", run.stdout));
    assert!(
        last.contains("retries after a throttled answer")
            || last.contains("a retry after a throttled answer"),
        "{last}"
    );
}
