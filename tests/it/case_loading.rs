//! The case-file loader (`cts_conform::case::load` against the embedded contract):
//! every malformed fixture in `tests/fixtures/bad-cases/` is rejected with an error naming
//! its file, exact line and column, JSON pointer and reason; all errors of all files come
//! back at once; well-formed files (the built-in `cases/`, `tests/fixtures/good-cases/`) load.

use crate::bad_cases;

use std::path::Path;

use cts_conform::case::{builtin_sources, dir_sources, load, LoadError, Source};
use cts_conform::contract::Contract;

fn load_errors(sources: &[Source]) -> Vec<LoadError> {
    match load(sources, Contract::embedded(), &cts_conform::cts::CASE_RULES) {
        Ok(cases) => panic!("expected errors, loaded {} cases", cases.len()),
        Err(errors) => errors.0,
    }
}

fn file_name(path: &str) -> &str {
    Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}

/// What is wrong with the loader's answer to one fixture, if anything.
fn mismatch(case: &bad_cases::BadCase) -> Option<String> {
    let errors = load_errors(&case.sources);
    let [error] = errors.as_slice() else {
        return Some(format!("expected exactly one error, got {errors:#?}"));
    };
    let shown = error.to_string();
    let mut problems = Vec::new();
    if file_name(&error.file) != case.blamed_file {
        problems.push(format!("blames {}, not {}", error.file, case.blamed_file));
    }
    let position = (error.position.line, error.position.column);
    if position != (case.line, case.column) {
        problems.push(format!(
            "at {}:{}, not {}:{}",
            position.0, position.1, case.line, case.column
        ));
    }
    let prefix = format!("{}:{}:{}: ", error.file, case.line, case.column);
    if !shown.starts_with(&prefix) {
        problems.push(format!("display does not start with {prefix:?}"));
    }
    for text in &case.says {
        if !shown.contains(text.as_str()) {
            problems.push(format!("does not say {text:?}"));
        }
    }
    if case.pointer.is_some() && error.pointer != case.pointer {
        problems.push(format!(
            "pointer {:?}, not {:?}",
            error.pointer, case.pointer
        ));
    }
    if error.help.is_none() && case.pointer.is_none() {
        problems.push("a parse error without help".into());
    }
    (!problems.is_empty()).then(|| format!("{}\n  {}", problems.join("; "), shown))
}

#[test]
fn the_corpus_covers_at_least_twenty_problems() {
    let corpus = bad_cases::all();
    assert!(corpus.len() >= 20, "only {} fixtures", corpus.len());
}

#[test]
fn every_bad_fixture_is_rejected_with_file_line_column_and_reason() {
    let failures: Vec<String> = bad_cases::all()
        .iter()
        .filter_map(|case| mismatch(case).map(|m| format!("{}: {m}", case.name)))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Three independent problems in one file and one in another: all four are reported.
const MANY_PROBLEMS: &str = r#"{
  "suite": "many",
  "cases": [
    {"name": "a", "doc": "", "steps": [{"operation": "ListTrackers"}]},
    {"name": "b", "doc": "x", "steps": [{"operation": "Nope"}]},
    {"name": "c", "doc": "x", "steps": [{"operation": "ListTrackers", "query": {"tracker_name": "${nope}"}}]}
  ]
}
"#;

const ONE_PROBLEM: &str = r#"{"suite": "more", "cases": [{"name": "d", "doc": "x", "steps": []}]}"#;

#[test]
fn all_errors_of_all_files_are_reported_at_once() {
    let sources = [
        Source {
            name: "many.json".into(),
            text: MANY_PROBLEMS.into(),
        },
        Source {
            name: "more.json".into(),
            text: ONE_PROBLEM.into(),
        },
    ];
    let errors = load(
        &sources,
        Contract::embedded(),
        &cts_conform::cts::CASE_RULES,
    )
    .unwrap_err();
    let lines: Vec<String> = errors
        .0
        .iter()
        .map(|e| e.to_string().lines().next().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        lines,
        [
            "many.json:4:26: doc is empty",
            "many.json:5:55: unknown operation \"Nope\"",
            "many.json:6:97: unknown variable ${nope}",
            "more.json:1:64: the case has no steps",
        ]
    );
    assert!(errors
        .to_string()
        .ends_with("4 case-file errors; nothing was run"));
}

#[test]
fn the_built_in_cases_load() {
    let cases = load(
        &builtin_sources(),
        Contract::embedded(),
        &cts_conform::cts::CASE_RULES,
    )
    .unwrap();
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert!(ids.contains(&"query_trackers::unknown_name_gives_an_empty_list"));
    assert!(cases.iter().all(|c| c.file.starts_with("cases/")));
}

#[test]
fn a_file_using_every_key_loads_in_file_order() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good-cases");
    let cases = load(
        &dir_sources(&dir).unwrap(),
        Contract::embedded(),
        &cts_conform::cts::CASE_RULES,
    )
    .unwrap();
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "every_key::data_tracker_round_trip",
            "every_key::unsigned_request_is_refused"
        ]
    );
    assert_eq!(
        cases[1].spec.ignore.as_deref(),
        Some("needs a target with credentials")
    );
}

/// Each place a variable can be written, each with one problem, and a step without any:
/// every problem is found at its pointer (the loader's cheap check first lets the clean
/// step through, then looks at the others string by string).
#[test]
fn every_variable_problem_is_found_at_its_pointer() {
    let text = r#"{"suite": "vars", "cases": [{"name": "v", "doc": "x", "steps": [
      {"operation": "CreateTracker",
       "body": {"tracker_type": "data", "tracker_name": "${prefix}-ok",
                "data_bucket": {"data_bucket_name": "${data_bucket}"}},
       "expect": {"status": 201, "body": {"tracker_name": "${prefix}-ok"}},
       "capture": {"id": "/id"}},
      {"operation": "ListTrackers", "query": {"tracker_name": "${nope}"}},
      {"operation": "CreateTracker",
       "body": {"tracker_type": "data", "tracker_name": "${prefix}-${bad"}},
      {"operation": "ListTrackers", "expect": {"body": {"trackers": [{"id": "${id}"}, {"tracker_name": "${missing}"}]}}},
      {"operation": "ListTrackers", "expect": {"any_of": [{"status": 200}, {"body": {"x": "${gone}"}}]}},
      {"operation": "ListTrackers", "expect_strict": {"headers": {"x-a": "${hdr}"}}}
    ]}]}"#;
    let sources = [Source {
        name: "vars.json".into(),
        text: text.into(),
    }];
    let errors = load(
        &sources,
        Contract::embedded(),
        &cts_conform::cts::CASE_RULES,
    )
    .unwrap_err();
    let found: Vec<(String, String)> = errors
        .0
        .iter()
        .map(|e| (e.pointer.clone().unwrap_or_default(), e.message.clone()))
        .filter(|(_, message)| message.contains("variable") || message.contains("${"))
        .collect();
    let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/cases/0/steps/1/query/tracker_name",
            "/cases/0/steps/2/body/tracker_name",
            "/cases/0/steps/3/expect/body/trackers/1/tracker_name",
            "/cases/0/steps/4/expect/any_of/1/body/x",
            "/cases/0/steps/5/expect_strict/headers/x-a",
        ],
        "{found:#?}"
    );
    assert!(
        found[0].1.starts_with("unknown variable ${nope}"),
        "{found:#?}"
    );
    assert!(found[1].1.contains("unclosed ${"), "{found:#?}");
    assert!(
        found[2].1.starts_with("unknown variable ${missing}"),
        "{found:#?}"
    );
}

/// The loader's cheap check says yes to a clean step and no to each kind of problem.
#[test]
fn the_cheap_variable_check_tells_clean_steps_from_the_rest() {
    use cts_conform::case::model::StepSpec;
    let known: std::collections::BTreeSet<String> =
        ["prefix", "data_bucket", "id"].map(String::from).into();
    let step = |json: &str| -> StepSpec { serde_json::from_str(json).expect("a step") };
    // As the loader asks it: every `${...}` well formed, and each name known.
    let within = |step: StepSpec| {
        let mut names = std::collections::BTreeSet::new();
        let well_formed = step.collect_variables(&mut names);
        well_formed && names.iter().all(|n| known.contains(n))
    };
    let mut names = std::collections::BTreeSet::new();
    assert!(step(
        r#"{"operation": "ListTrackers", "query": {"a": "${prefix}", "b": "${id}"},
                      "expect": {"body": {"x": "${prefix}-${run_id}"}}}"#
    )
    .collect_variables(&mut names));
    assert_eq!(names, ["id", "prefix", "run_id"].map(String::from).into());
    assert!(within(step(
        r#"{"operation": "CreateTracker",
            "body": {"tracker_name": "${prefix}-a", "n": "$${literal}"},
            "expect": {"body": {"id": "${id}"}, "any_of": [{"headers": {"x": "${prefix}"}}]},
            "creates": {"tracker_name": "${prefix}-a"}}"#
    )));
    for bad in [
        r#"{"operation": "ListTrackers", "query": {"tracker_name": "${nope}"}}"#,
        r#"{"operation": "ListTrackers", "path": {"project_id": "${bad"}}"#,
        r#"{"operation": "CreateTracker", "body": {"tracker_name": "${a-b}"}}"#,
        r#"{"operation": "CreateTracker", "raw_body": "${nope}"}"#,
        r#"{"operation": "CreateTracker", "creates": {"tracker_name": "${nope}"}}"#,
        r#"{"operation": "ListTrackers", "expect": {"body": {"x": "${nope}"}}}"#,
        r#"{"operation": "ListTrackers", "expect": {"body": {"x": "${bad"}}}"#,
        r#"{"operation": "ListTrackers", "expect": {"any_of": [{"body": {"x": "${nope}"}}]}}"#,
        r#"{"operation": "ListTrackers", "expect_strict": {"headers": {"x": "${nope}"}}}"#,
    ] {
        assert!(!within(step(bad)), "{bad}");
    }
}

/// The loader takes a case's variables from its checking walk; they are exactly those a
/// case made on its own finds (for every built-in case, `creates` inferred included).
#[test]
fn the_loader_finds_each_case_its_own_variables() {
    let cases = cts_conform::case::load(
        &cts_conform::case::builtin_sources(),
        cts_conform::contract::Contract::embedded(),
        &cts_conform::cts::CASE_RULES,
    )
    .expect("the built-in cases load");
    let mut with_variables = 0;
    for case in &cases {
        let alone = cts_conform::case::LoadedCase::new(
            case.id.clone(),
            case.suite.to_string(),
            case.file.to_string(),
            (*case.spec).clone(),
        );
        assert_eq!(case.variables(), alone.variables(), "{}", case.id);
        with_variables += usize::from(!case.variables().is_empty());
    }
    assert!(
        with_variables > 50,
        "{with_variables} cases refer to variables"
    );
}

/// A case's variables, found in one pass over its compiled steps, are exactly the names
/// the slow path of the loader's messages finds string by string (`templated_strings`,
/// `names_in`), for every built-in case and for steps with matchers written wrongly.
#[test]
fn the_one_pass_variables_are_those_of_the_templated_strings() {
    use cts_conform::case::model::StepSpec;
    use cts_conform::case::vars::names_in;
    use std::collections::BTreeSet;
    let slow = |steps: &[&StepSpec]| -> BTreeSet<String> {
        steps
            .iter()
            .flat_map(|step| step.templated_strings())
            .flat_map(|(_, text)| names_in(&text).unwrap_or_default())
            .collect()
    };
    let cases = load(
        &builtin_sources(),
        Contract::embedded(),
        &cts_conform::cts::CASE_RULES,
    )
    .expect("the built-in cases load");
    for case in &cases {
        let steps: Vec<&StepSpec> = case.spec.steps.iter().chain(&case.spec.cleanup).collect();
        assert_eq!(*case.variables(), slow(&steps), "{}", case.id);
        for step in &steps {
            assert_eq!(step.variable_names(), slow(&[step]), "{}", case.id);
        }
    }
    for json in [
        r#"{"operation": "ListTrackers", "expect": {"body": {"a": {"$typo": ["${x}", "${bad"]},
            "b": {"$oneOf": [{"$regex": "^${y}$"}, "$${lit}"]}, "c": {"$every": {"k": "${z}-${w}"}}},
            "headers": {"h": {"$regex": "${v}"}}, "any_of": [{"body": "${u}"}, {"status": 200}]},
            "expect_strict": {"body": {"$contains": "${t}"}}}"#,
        r#"{"operation": "CreateTracker", "path": {"p": "${a}${a}"}, "query": {"q": "x${b"},
            "headers": {"x": "$${c}"}, "raw_body": "${d}", "creates": {"tracker_name": "${e}"}}"#,
        r#"{"operation": "CreateTracker", "body": {"n": ["${f}", {"m": "${g"}, 1, "${h}"]}}"#,
    ] {
        let step: StepSpec = serde_json::from_str(json).expect("a step");
        assert_eq!(step.variable_names(), slow(&[&step]), "{json}");
    }
}

/// A CreateTracker step without `creates` records what its body names, read as the whole
/// body read as JSON would give it, whatever the body's shape.
#[test]
fn creates_inferred_from_the_body_are_those_of_the_body_as_json() {
    let bodies = [
        r#"{"tracker_name": "${prefix}-a", "tracker_type": "system", "x": [1, {"y": "${run_id}"}]}"#,
        r#"{"tracker_name": "${prefix}-b"}"#,
        r#"{"tracker_name": "lit\"é", "tracker_type": null}"#,
        r#"{"tracker_name": "${prefix}-c", "tracker_type": 5}"#,
        r#"{"tracker_name": 7}"#,
        r#"{"tracker_name": null}"#,
        r#"{"other": "${prefix}"}"#,
        r#"["${prefix}-d"]"#,
        r#""${prefix}""#,
        r#"{}"#,
    ];
    let cases: Vec<String> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            format!(
                r#"{{"name": "c{i}", "doc": "d", "steps": [{{"operation": "CreateTracker",
                    "body": {body}, "expect": {{"status": 201}}}}]}}"#
            )
        })
        .collect();
    let source = Source {
        name: "creates.json".into(),
        text: format!(r#"{{"suite": "s", "cases": [{}]}}"#, cases.join(",")),
    };
    let loaded = load(
        &[source],
        Contract::embedded(),
        &cts_conform::cts::CASE_RULES,
    )
    .expect("the cases load");
    for (case, body) in loaded.iter().zip(bodies) {
        let body: serde_json::Value = serde_json::from_str(body).expect("JSON");
        let field = |key: &str| body.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let expected = field("tracker_name").map(|name| {
            let kind = field("tracker_type").unwrap_or_else(|| "data".into());
            vec![("tracker_name", name), ("tracker_type", kind)]
        });
        let step = &case.spec.steps[0];
        let got = step.creates.as_ref().map(|creates| {
            creates
                .iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect::<Vec<_>>()
        });
        assert_eq!(got, expected, "{}", case.id);
    }
}

/// A case id defined twice is an error at the second definition naming the file of the
/// first, within a file and across files; the same name in another suite is another id.
#[test]
fn a_case_id_defined_twice_names_the_file_of_the_first() {
    let case = |name: &str| {
        format!(r#"{{"name": "{name}", "doc": "d", "steps": [{{"operation": "ListTrackers"}}]}}"#)
    };
    let file = |name: &str, suite: &str, cases: &[&str]| Source {
        name: name.into(),
        text: format!(
            r#"{{"suite": "{suite}", "cases": [{}]}}"#,
            cases.iter().map(|c| case(c)).collect::<Vec<_>>().join(",")
        ),
    };
    let errors = load_errors(&[
        file("a.json", "s", &["one", "two"]),
        file("b.json", "s", &["three", "one", "three"]),
        file("c.json", "t", &["one"]),
    ]);
    let found: Vec<(String, String, String)> = errors
        .iter()
        .map(|e| {
            (
                e.file.clone(),
                e.pointer.clone().unwrap_or_default(),
                e.message.clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "b.json".to_string(),
                "/cases/1/name".to_string(),
                "duplicate case name s::one (first defined in a.json)".to_string()
            ),
            (
                "b.json".to_string(),
                "/cases/2/name".to_string(),
                "duplicate case name s::three (first defined in b.json)".to_string()
            ),
        ]
    );
}
