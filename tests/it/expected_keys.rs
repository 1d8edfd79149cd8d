//! Expected bodies are checked against the response schema at load, through the binary:
//! a misspelt key (`"detial": {"$absent": true}`, which would always pass) is refused at
//! file:line:col with a did-you-mean, before any request.

use crate::cli_run;

#[test]
fn a_misspelt_expected_key_is_refused_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("typo.json");
    std::fs::write(
        &file,
        r#"{
  "suite": "typo",
  "cases": [
    {
      "name": "created_tracker_has_no_detail",
      "doc": "create-tracker: Response Parameters / detail",
      "steps": [
        {
          "operation": "ListTrackers",
          "query": {"tracker_type": "system"},
          "expect": {"status": 200, "body": {"trackers": {"$every": {"detial": {"$absent": true}}}}}
        }
      ]
    }
  ]
}
"#,
    )
    .unwrap();
    let probe = cli_run::Probe::new();
    let url = probe.url();
    let run = cli_run::run(&[
        "--target",
        &url,
        "--project-id",
        "p",
        "--cases",
        dir.path().to_str().unwrap(),
        "--no-derived",
    ]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let at = format!("{}:11:", file.display());
    let line = run
        .stderr
        .lines()
        .find(|line| line.contains(&at))
        .unwrap_or_else(|| panic!("no error at {at}: {}", run.stderr));
    assert!(
        line.contains(r#""detial" can't be in a ListTrackers 200 body"#)
            && line.contains("did you mean `detail`?"),
        "{line}"
    );
    assert!(!probe.was_connected(), "nothing is sent");

    // Spelt right, the same file loads (and is then run).
    let fixed = std::fs::read_to_string(&file)
        .unwrap()
        .replace("detial", "detail");
    std::fs::write(&file, fixed).unwrap();
    let run = cli_run::run(&["--cases", dir.path().to_str().unwrap(), "--no-derived"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}
