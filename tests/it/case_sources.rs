//! Where a plan's cases come from (issue 32, item 7): `--cases DIR` more than once adds
//! the directories' cases together; `--with-builtin` adds the built-in suite to them; a
//! case name defined twice across the sources is a case-file error (exit 2, nothing run)
//! naming both files.

use crate::cli_run;

use cli_run::{cases, run};

/// The ids `--list` prints.
fn listed(run: &cli_run::Run) -> Vec<String> {
    run.stdout
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_string)
        .collect()
}

#[test]
fn cases_given_twice_run_both_directories() {
    let pass = cases("pass");
    let pick = cases("pick");
    let both = run(&["--cases", &pass, "--cases", &pick, "--list", "--no-derived"]);
    assert_eq!(both.code, 0, "{}", both.stderr);
    let ids = listed(&both);
    let alone = |dir: &str| listed(&run(&["--cases", dir, "--list", "--no-derived"]));
    let (pass_ids, pick_ids) = (alone(&pass), alone(&pick));
    assert!(!pass_ids.is_empty() && !pick_ids.is_empty());
    let expected: Vec<String> = pass_ids.into_iter().chain(pick_ids).collect();
    assert_eq!(ids, expected, "both directories' cases, in the order given");
}

#[test]
fn with_builtin_adds_the_built_in_suite_to_user_cases() {
    let pass = cases("pass");
    let only_user = run(&["--cases", &pass, "--list", "--no-derived"]);
    assert!(
        !listed(&only_user).iter().any(|id| id.starts_with("auth::")),
        "--cases alone replaces the built-in suite"
    );
    let added = run(&["--cases", &pass, "--with-builtin", "--list", "--no-derived"]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    let ids = listed(&added);
    let builtin = listed(&run(&["--list", "--no-derived"]));
    for id in builtin.iter().chain(&listed(&only_user)) {
        assert!(ids.contains(id), "{id} is missing: {ids:?}");
    }
    assert_eq!(ids.len(), builtin.len() + listed(&only_user).len());
}

#[test]
fn a_case_name_defined_twice_across_sources_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.json");
    let spec = serde_json::json!({"suite": "auth", "cases": [{
        "name": "unsigned_query_is_401",
        "doc": "query-trackers: URI",
        "steps": [{"operation": "ListTrackers", "expect": {"status": 200}}]
    }]});
    std::fs::write(&file, spec.to_string()).unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let clash = run(&["--cases", dir_arg, "--with-builtin", "--list"]);
    assert_eq!(clash.code, 2, "{}", clash.stderr);
    assert!(clash.stdout.is_empty(), "nothing listed: {}", clash.stdout);
    let first = clash.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("error: {}:1:", file.display())),
        "{}",
        clash.stderr
    );
    assert!(
        first.contains("duplicate case name auth::unsigned_query_is_401 (first defined in the built-in cases/auth.json)"),
        "{}",
        clash.stderr
    );

    // The same directory's file given again under another path: both files named.
    let other = tempfile::tempdir().unwrap();
    let copy = other.path().join("copy.json");
    std::fs::copy(&file, &copy).unwrap();
    let twice = run(&[
        "--cases",
        dir_arg,
        "--cases",
        other.path().to_str().unwrap(),
        "--list",
    ]);
    assert_eq!(twice.code, 2, "{}", twice.stderr);
    assert!(
        twice
            .stderr
            .contains(&format!("error: {}:1:", copy.display()))
            && twice
                .stderr
                .contains(&format!("(first defined in {})", file.display())),
        "{}",
        twice.stderr
    );
}

#[test]
fn every_missing_case_directory_is_named() {
    let run = run(&[
        "--cases",
        "/nonexistent/one",
        "--cases",
        "/nonexistent/two",
        "--list",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("/nonexistent/one") && run.stderr.contains("/nonexistent/two"),
        "{}",
        run.stderr
    );
}
