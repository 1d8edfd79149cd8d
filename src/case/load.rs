//! Loading case files strictly: parse (unknown keys are errors), then resolve every
//! reference (operation, parameters, statuses, variables, captures, matchers) against the
//! contract before anything runs. Every error names the file, line, column and JSON
//! pointer, says what is wrong and what to do; all errors of all files are reported at once.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::expected_keys;
use super::locate::{locate, Position};
use super::model::{CaseFile, CaseSpec, Expect, StepSpec};
use super::pattern::{self, MatcherError};
use super::rules::CaseRules;
use super::vars;
use crate::contract::{Contract, Operation, ParamLocation};
use crate::json_pointer;

include!(concat!(env!("OUT_DIR"), "/builtin_cases.rs"));

/// A case file's name (for messages) and text.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// A case ready to run.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// `suite::name`, the libtest trial name.
    pub id: String,
    /// Shared by the cases of a file.
    pub suite: Arc<str>,
    /// Shared by the cases of a file.
    pub file: Arc<str>,
    /// Boxed: a plan's list of cases stays small to grow and to filter.
    pub spec: Box<CaseSpec>,
    /// Every variable its steps and cleanup refer to, found once when it is built (shared
    /// by the cases of a load that refer to the same ones).
    variables: Arc<BTreeSet<String>>,
}

impl LoadedCase {
    /// A case ready to run; the variables it refers to are found here, once.
    pub fn new(id: String, suite: String, file: String, spec: CaseSpec) -> LoadedCase {
        LoadedCase::boxed(id, suite.into(), file.into(), Box::new(spec))
    }

    /// [`LoadedCase::new`] for a spec read boxed (not moved again), in a file whose name
    /// and suite its cases share.
    fn boxed(id: String, suite: Arc<str>, file: Arc<str>, spec: Box<CaseSpec>) -> LoadedCase {
        let mut variables = BTreeSet::new();
        for step in spec.steps.iter().chain(&spec.cleanup) {
            step.collect_variables(&mut variables);
        }
        LoadedCase {
            id,
            suite,
            file,
            spec,
            variables: Arc::new(variables),
        }
    }

    /// Every variable the case's steps and cleanup refer to.
    pub fn variables(&self) -> &BTreeSet<String> {
        &self.variables
    }
}

/// One problem in a case file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub position: Position,
    /// JSON pointer to the offending value, when known.
    pub pointer: Option<String>,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.position.line, self.position.column, self.message
        )?;
        if let Some(pointer) = &self.pointer {
            write!(
                f,
                "\n    at {}",
                if pointer.is_empty() { "/" } else { pointer }
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n    help: {help}")?;
        }
        Ok(())
    }
}

/// Everything wrong with a set of case files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.0 {
            writeln!(f, "error: {error}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "{n} case-file error{}; nothing was run",
            if n == 1 { "" } else { "s" }
        )
    }
}

/// The case files built into the binary.
pub fn builtin_sources() -> Vec<Source> {
    BUILTIN_CASES
        .iter()
        .map(|(name, text)| Source {
            name: (*name).to_string(),
            text: (*text).to_string(),
        })
        .collect()
}

/// Whether `source` is one of the built-in case files (its name and text).
fn is_builtin(source: &Source) -> bool {
    BUILTIN_CASES
        .iter()
        .any(|(name, text)| *name == source.name && *text == source.text)
}

/// A case file's name for a message: the built-in ones say so (a `--cases` directory
/// may hold a file of the same name).
fn describe_source(sources: &[Source], name: &str) -> String {
    match sources.iter().find(|s| s.name == name) {
        Some(source) if is_builtin(source) => format!("the built-in {name}"),
        _ => name.to_string(),
    }
}

/// The case files of a plan: the built-in ones (when `with_builtin`, or when no directory
/// is given), then every `*.json` file of each directory, in the order given. The
/// problems of every directory are reported, not only the first's; a case name defined
/// twice across them is an error of [`load`], naming both files.
pub fn plan_sources(dirs: &[PathBuf], with_builtin: bool) -> Result<Vec<Source>, LoadErrors> {
    let mut sources = match with_builtin || dirs.is_empty() {
        true => builtin_sources(),
        false => Vec::new(),
    };
    let mut errors = Vec::new();
    for dir in dirs {
        match dir_sources(dir) {
            Ok(found) => sources.extend(found),
            Err(LoadErrors(found)) => errors.extend(found),
        }
    }
    match errors.is_empty() {
        true => Ok(sources),
        false => Err(LoadErrors(errors)),
    }
}

/// Every `*.json` file of a directory, sorted by name.
pub fn dir_sources(dir: &Path) -> Result<Vec<Source>, LoadErrors> {
    let fail = |message: String, help: &str| {
        LoadErrors(vec![LoadError {
            file: dir.display().to_string(),
            position: Position { line: 1, column: 1 },
            pointer: None,
            message,
            help: Some(help.to_string()),
        }])
    };
    let entries = std::fs::read_dir(dir).map_err(|e| {
        fail(
            format!("cannot read the case directory: {e}"),
            "pass an existing directory to --cases",
        )
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(fail(
            "no *.json case files here".into(),
            "case files end in .json",
        ));
    }
    paths
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|text| Source {
                    name: p.display().to_string(),
                    text,
                })
                .map_err(|e| {
                    fail(
                        format!("cannot read {}: {e}", p.display()),
                        "check the file's permissions and encoding (UTF-8)",
                    )
                })
        })
        .collect()
}

/// Parses and checks case files against `contract` and the API's `rules` (its run
/// variables, what `creates` takes); returns the cases in file order, or every error found.
pub fn load(
    sources: &[Source],
    contract: &Contract,
    rules: &CaseRules,
) -> Result<Vec<LoadedCase>, LoadErrors> {
    // The expectations of a suite name the same few keys again and again.
    pattern::sharing_keys(|| load_sharing_keys(sources, contract, rules))
}

fn load_sharing_keys(
    sources: &[Source],
    contract: &Contract,
    rules: &CaseRules,
) -> Result<Vec<LoadedCase>, LoadErrors> {
    let mut errors = Vec::new();
    let mut cases: Vec<LoadedCase> = Vec::new();
    // A hash of a case id -> the indexes in `cases` of the cases of ids of that hash.
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
    // One set of variable names per distinct set: most cases of a suite share theirs.
    let mut variable_sets = VariableSets::default();
    let mut case_at = String::new();
    for source in sources {
        let file: CaseFile = match serde_json::from_str(&source.text) {
            Ok(file) => file,
            Err(e) => {
                errors.push(parse_error(source, &e));
                continue;
            }
        };
        let mut checker = Checker {
            source,
            contract,
            rules,
            errors: &mut errors,
        };
        checker.check_file(&file);
        let suite: Arc<str> = file.suite.as_str().into();
        let file_name: Arc<str> = source.name.as_str().into();
        cases.reserve(file.cases.len());
        for (i, spec) in file.cases.into_iter().enumerate() {
            let id = format!("{}::{}", file.suite, spec.name);
            let id_hash = {
                let mut hasher = DefaultHasher::new();
                id.hash(&mut hasher);
                hasher.finish()
            };
            // The case of this id loaded before, if any (its file is its source's name).
            let earlier = seen.get(&id_hash).into_iter().flatten();
            if let Some(&j) = earlier.into_iter().find(|&&j| cases[j].id == id) {
                let first = describe_source(sources, &cases[j].file);
                checker.error(
                    &format!("/cases/{i}/name"),
                    format!("duplicate case name {id} (first defined in {first})"),
                    "give every case a name unique within its suite",
                );
                continue;
            }
            seen.entry(id_hash).or_default().push(cases.len());
            // The checker walks every string of the case once; the variables it found are
            // the case's (a `creates` inferred from the body names no other variable).
            case_at.clear();
            case_at.push_str("/cases");
            push_index(&mut case_at, i);
            let variables = variable_sets.share(&checker.check_case(&spec, &case_at));
            cases.push(LoadedCase {
                id,
                suite: Arc::clone(&suite),
                file: Arc::clone(&file_name),
                spec: with_inferred_creates(spec, rules),
                variables,
            });
        }
    }
    cases.shrink_to_fit();
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(LoadErrors(errors))
    }
}

/// Appends `/` and `index` in decimal (as `format!` would, without its machinery: this
/// runs for every step loaded).
fn push_index(pointer: &mut String, index: usize) {
    pointer.push('/');
    let start = pointer.len();
    let mut rest = index;
    loop {
        pointer.insert(start, char::from(b'0' + (rest % 10) as u8));
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
}

/// The distinct sets of variable names of a load, each made once and shared by the cases
/// that refer to the same variables; found by a hash of the names, without building a set.
#[derive(Default)]
struct VariableSets {
    by_hash: HashMap<u64, Vec<Arc<BTreeSet<String>>>>,
}

impl VariableSets {
    /// The shared set of `names` (sorted, each once).
    fn share(&mut self, names: &[&str]) -> Arc<BTreeSet<String>> {
        let mut hasher = DefaultHasher::new();
        names.hash(&mut hasher);
        let sets = self.by_hash.entry(hasher.finish()).or_default();
        let same =
            |set: &&Arc<BTreeSet<String>>| set.iter().map(String::as_str).eq(names.iter().copied());
        if let Some(shared) = sets.iter().find(same) {
            return Arc::clone(shared);
        }
        let set = Arc::new(names.iter().map(|name| name.to_string()).collect());
        sets.push(Arc::clone(&set));
        set
    }
}

/// Every create on the ledger: a step of the operation that creates (CTS: CreateTracker)
/// without `creates` records what its body names ([`super::rules::CreatesRule::infer`]).
fn with_inferred_creates(mut spec: Box<CaseSpec>, rules: &CaseRules) -> Box<CaseSpec> {
    for step in &mut spec.steps {
        rules.creates.infer(step);
    }
    spec
}

fn parse_error(source: &Source, e: &serde_json::Error) -> LoadError {
    let help = match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            "the file is not valid JSON; fix the syntax at this position"
        }
        _ => "see docs/case-format.md (schemas/case-file.schema.json checks case files in editors)",
    };
    // serde_json appends " at line L column C"; the position is printed in front instead.
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(head, _)| head)
        .to_string();
    let message = crate::suggest::serde_key_problem(&message).unwrap_or(message);
    LoadError {
        file: source.name.clone(),
        position: Position {
            line: e.line().max(1),
            column: e.column().max(1),
        },
        pointer: None,
        message,
        help: Some(help.into()),
    }
}

struct Checker<'a> {
    source: &'a Source,
    contract: &'a Contract,
    rules: &'a CaseRules,
    errors: &'a mut Vec<LoadError>,
}

impl Checker<'_> {
    fn error(&mut self, pointer: &str, message: String, help: &str) {
        self.errors.push(LoadError {
            file: self.source.name.clone(),
            position: locate(&self.source.text, pointer),
            pointer: Some(pointer.to_string()),
            message,
            help: (!help.is_empty()).then(|| help.to_string()),
        });
    }

    fn check_file(&mut self, file: &CaseFile) {
        if !is_name(&file.suite) {
            self.error(
                "/suite",
                format!("suite name {:?} is not usable in a test name", file.suite),
                NAME_HELP,
            );
        }
        if file.cases.is_empty() {
            self.error(
                "/cases",
                "the file has no cases".into(),
                "add at least one case, or remove the file",
            );
        }
    }

    /// Checks a case; returns the variables its steps and cleanup refer to, sorted, each once.
    fn check_case<'s>(&mut self, case: &'s CaseSpec, at: &str) -> Vec<&'s str> {
        if !is_name(&case.name) {
            self.error(
                &format!("{at}/name"),
                format!("case name {:?} is not usable in a test name", case.name),
                NAME_HELP,
            );
        }
        if case.doc.trim().is_empty() {
            self.error(
                &format!("{at}/doc"),
                "doc is empty".into(),
                "name the document table or rule the case checks",
            );
        }
        if case.steps.is_empty() {
            self.error(
                &format!("{at}/steps"),
                "the case has no steps".into(),
                "add at least one step",
            );
        }
        for (i, group) in case.serial.iter().enumerate() {
            if group.trim().is_empty() {
                self.error(
                    &format!("{at}/serial/{i}"),
                    "empty serial group name".into(),
                    "",
                );
            }
        }
        if case.ignore.as_deref().is_some_and(|r| r.trim().is_empty()) {
            self.error(
                &format!("{at}/ignore"),
                "ignore needs a reason".into(),
                "say why the case is ignored",
            );
        }
        // The variables known at each step (a few: a list), and those the steps refer to.
        let mut known: Vec<&str> = self.rules.run_variables.to_vec();
        let mut variables: Vec<&'s str> = Vec::new();
        let mut step_at = String::new();
        for (list, steps) in [("steps", &case.steps), ("cleanup", &case.cleanup)] {
            for (i, step) in steps.iter().enumerate() {
                let first = variables.len();
                let well_formed = step.variables_into(&mut variables);
                let fine = well_formed && variables[first..].iter().all(|n| known.contains(n));
                step_at.clear();
                step_at.push_str(at);
                step_at.push('/');
                step_at.push_str(list);
                push_index(&mut step_at, i);
                self.check_step(step, &step_at, &known, fine);
                if list == "steps" {
                    // Captures are known to the steps after (and to the cleanup).
                    known.extend(step.capture.keys());
                }
            }
        }
        variables.sort_unstable();
        variables.dedup();
        variables
    }

    /// `variables_fine`: every `${...}` of the step is well formed and known (then its
    /// strings need no look one by one).
    fn check_step(&mut self, step: &StepSpec, at: &str, known: &[&str], variables_fine: bool) {
        let Some(op) = self.contract.operation(&step.operation) else {
            let names: Vec<&str> = self.contract.operations().map(|o| o.id.as_str()).collect();
            self.error(
                &format!("{at}/operation"),
                format!(
                    "unknown operation {:?}{}",
                    step.operation,
                    crate::suggest::did_you_mean(&step.operation, names.iter().copied())
                ),
                &format!("use an operationId of the contract: {}", names.join(", ")),
            );
            return;
        };
        self.check_parameters(step, op, at);
        self.check_body(step, op, at);
        self.check_expect(step, op, at);
        self.check_captures(step, op, at);
        self.check_creates(step, at);
        if !variables_fine {
            self.check_variables(step, at, known);
        }
    }

    fn check_parameters(&mut self, step: &StepSpec, op: &Operation, at: &str) {
        for (kind, given, location) in [
            ("path", &step.path, ParamLocation::Path),
            ("query", &step.query, ParamLocation::Query),
        ] {
            for name in given.keys() {
                if op.parameter(name, location).is_none() {
                    let documented: Vec<&str> = op
                        .parameters
                        .iter()
                        .filter(|p| p.location == location)
                        .map(|p| p.name.as_str())
                        .collect();
                    self.error(
                        &format!("{at}/{kind}/{name}"),
                        format!("{} has no {kind} parameter {name:?}", op.id),
                        &format!(
                            "documented {kind} parameters: {}",
                            list_or_none(&documented)
                        ),
                    );
                }
            }
        }
        for param in op
            .parameters
            .iter()
            .filter(|p| p.location == ParamLocation::Path)
        {
            if param.name != "project_id" && !step.path.contains_key(&param.name) {
                self.error(
                    &format!("{at}/path"),
                    format!("path parameter {} is missing", param.name),
                    "",
                );
            }
        }
    }

    fn check_body(&mut self, step: &StepSpec, op: &Operation, at: &str) {
        if step.body.is_some() && step.raw_body.is_some() {
            self.error(
                &format!("{at}/raw_body"),
                "body and raw_body are both given".into(),
                "keep one of them",
            );
        }
        if (step.body.is_some() || step.raw_body.is_some()) && op.request_body.is_none() {
            let key = if step.body.is_some() {
                "body"
            } else {
                "raw_body"
            };
            self.error(
                &format!("{at}/{key}"),
                format!(
                    "{} ({} {}) takes no request body",
                    op.id, op.method, op.path
                ),
                "remove the body",
            );
        }
    }

    fn check_expect(&mut self, step: &StepSpec, op: &Operation, at: &str) {
        self.check_one_expect(&step.expect, op, at, "/expect");
        let statuses = expected_statuses(&step.expect, op, &[]);
        self.check_expected_keys(&step.expect, op, &format!("{at}/expect"), &statuses);
        if let Some(strict) = &step.expect_strict {
            self.check_one_expect(strict, op, at, "/expect_strict");
            self.check_expected_keys(strict, op, &format!("{at}/expect_strict"), &statuses);
        }
        if step.precondition.is_some() && op.method != "GET" {
            self.error(
                &format!("{at}/precondition"),
                format!(
                    "a precondition must be read-only, but {} is {}",
                    op.id, op.method
                ),
                "check the state with ListTrackers or ListQuotas",
            );
        }
    }

    /// Checks the expectation at `{base}{key}` (the pointer is made only for an error).
    fn check_one_expect(&mut self, expect: &Expect, op: &Operation, base: &str, key: &str) {
        if let Some(status) = &expect.status {
            if status.codes().is_empty() {
                self.error(
                    &format!("{base}{key}/status"),
                    "an empty list of statuses".into(),
                    "",
                );
            }
            for code in status.codes() {
                if op.response(*code).is_none() {
                    let documented: Vec<String> = op.responses.keys().map(u16::to_string).collect();
                    self.error(
                        &format!("{base}{key}/status"),
                        format!("status {code} is not documented for {}", op.id),
                        &format!(
                            "expect one of the documented statuses: {}",
                            documented.join(", ")
                        ),
                    );
                }
            }
        }
        let expectations = (expect.body.iter().map(|body| (None, body))).chain(
            expect
                .headers
                .iter()
                .map(|(name, value)| (Some(name), value)),
        );
        for (header, pattern) in expectations {
            if pattern.is_well_formed() {
                continue;
            }
            let pattern_at = match header {
                None => format!("{base}{key}/body"),
                Some(name) => json_pointer::child(&format!("{base}{key}/headers"), name),
            };
            for e in pattern.errors() {
                // Malformed `${` are reported with the other variable errors.
                if !matches!(e.error, MatcherError::Variable(_)) {
                    self.error(
                        &format!("{pattern_at}{}", e.pointer),
                        e.error.to_string(),
                        "see the matchers in docs/case-format.md",
                    );
                }
            }
        }
        if expect.any_of.len() == 1 {
            self.error(
                &format!("{base}{key}/any_of"),
                "any_of with a single alternative".into(),
                "give two or more alternatives, or move the one into expect itself",
            );
        }
        for (i, alternative) in expect.any_of.iter().enumerate() {
            let here = format!("{base}{key}/any_of/{i}");
            self.check_one_expect(alternative, op, &here, "");
        }
    }

    /// The keys of `expect`'s body (and its alternatives') against the response schemas
    /// of its statuses (`inherited` where it names none): see [`expected_keys`].
    fn check_expected_keys(
        &mut self,
        expect: &Expect,
        op: &Operation,
        at: &str,
        inherited: &[u16],
    ) {
        let statuses = expected_statuses(expect, op, inherited);
        if let Some(body) = &expect.body {
            let schemas: Vec<&Value> = statuses
                .iter()
                .filter_map(|code| op.response(*code).and_then(|r| r.schema.as_deref()))
                .filter_map(|name| self.contract.schema(name))
                .collect();
            // A status without a body schema documents no keys: nothing to check.
            let every_status_has_a_schema = statuses
                .iter()
                .all(|code| op.response(*code).is_some_and(|r| r.schema.is_some()));
            if every_status_has_a_schema {
                for unknown in expected_keys::unknown_keys(self.contract, body.root(), &schemas) {
                    let names: Vec<&str> = unknown.documented.iter().map(String::as_str).collect();
                    let statuses: Vec<String> = statuses.iter().map(u16::to_string).collect();
                    self.error(
                        &format!("{at}/body{}", unknown.pointer),
                        format!(
                            "{:?} can't be in a {} {} body: its schema documents no such key{}",
                            unknown.key,
                            op.id,
                            statuses.join("/"),
                            crate::suggest::did_you_mean(&unknown.key, names.iter().copied())
                        ),
                        &format!("documented keys there: {}", list_or_none(&names)),
                    );
                }
            }
        }
        for (i, alternative) in expect.any_of.iter().enumerate() {
            self.check_expected_keys(alternative, op, &format!("{at}/any_of/{i}"), &statuses);
        }
    }

    /// `creates` names a tracker for the ledger: a misspelt key would leave it unrecorded
    /// (and so never removed), so only the keys the runner reads are allowed.
    fn check_creates(&mut self, step: &StepSpec, at: &str) {
        let Some(creates) = &step.creates else {
            return;
        };
        let rule = self.rules.creates;
        for key in creates.keys() {
            if !rule.keys().any(|known| known == key) {
                let keys: Vec<&str> = rule.keys().collect();
                self.error(
                    &format!("{at}/creates/{key}"),
                    format!("creates has no key {key:?}"),
                    &format!("creates takes {}", keys.join(" and ")),
                );
            }
        }
        if !creates.contains_key(rule.name_key) {
            self.error(
                &format!("{at}/creates"),
                format!("creates needs {}", rule.name_key),
                &format!("name what the step creates, e.g. {}", rule.example()),
            );
        }
    }

    fn check_captures(&mut self, step: &StepSpec, op: &Operation, at: &str) {
        if step.capture.is_empty() {
            return;
        }
        let statuses: Vec<u16> = match &step.expect.status {
            Some(s) => s.codes().to_vec(),
            None => op
                .responses
                .keys()
                .copied()
                .filter(|c| (200..300).contains(c))
                .collect(),
        };
        let schemas: BTreeSet<&str> = statuses
            .iter()
            .filter_map(|c| op.response(*c).and_then(|r| r.schema.as_deref()))
            .collect();
        for (name, pointer) in &step.capture {
            let here = format!("{at}/capture/{name}");
            if !is_var_name(name) {
                self.error(
                    &here,
                    format!("{name:?} is not a variable name"),
                    "use letters, digits and _",
                );
            }
            if !(pointer.is_empty() || pointer.starts_with('/')) {
                self.error(
                    &here,
                    format!("{pointer:?} is not a JSON pointer"),
                    "a pointer starts with /, e.g. /id",
                );
                continue;
            }
            if schemas.is_empty() {
                self.error(
                    &here,
                    "nothing to capture from: the expected statuses document no body".into(),
                    "",
                );
            }
            for schema in &schemas {
                if !schema_has_pointer(self.contract, schema, pointer) {
                    self.error(
                        &here,
                        format!("{pointer} can't exist in a {schema} body"),
                        &format!(
                            "fields of {schema}: {}",
                            field_names(self.contract, schema).join(", ")
                        ),
                    );
                }
            }
        }
    }

    fn check_variables(&mut self, step: &StepSpec, at: &str, known: &[&str]) {
        let known: BTreeSet<&str> = known.iter().copied().collect();
        let strings = step.templated_strings();
        for (relative, text) in strings {
            let pointer = format!("{at}{relative}");
            match vars::names_in(&text) {
                Err(e) => self.error(&pointer, e.to_string(), ""),
                Ok(names) => {
                    for name in names.iter().filter(|n| !known.contains(n.as_str())) {
                        let list: Vec<&str> = known.iter().copied().collect();
                        self.error(
                            &pointer,
                            format!(
                                "unknown variable ${{{name}}}{}",
                                crate::suggest::did_you_mean(name, list.iter().copied())
                            ),
                            &format!("known here: {} (captures are known after the step that captures them)", list.join(", ")),
                        );
                    }
                }
            }
        }
    }
}

/// The statuses an expectation is about: its own, else `inherited` (an alternative's
/// parent's), else the operation's documented 2xx statuses.
fn expected_statuses(expect: &Expect, op: &Operation, inherited: &[u16]) -> Vec<u16> {
    match &expect.status {
        Some(status) => status.codes().to_vec(),
        None if !inherited.is_empty() => inherited.to_vec(),
        None => op
            .responses
            .keys()
            .copied()
            .filter(|c| (200..300).contains(c))
            .collect(),
    }
}

const NAME_HELP: &str = "use letters, digits, _, -, . and :";

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
}

fn is_var_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// Resolves `$ref`s to the component they name.
fn resolve<'a>(contract: &'a Contract, schema: &'a Value) -> &'a Value {
    contract.resolve(schema)
}

/// Whether a JSON pointer follows declared properties and items of a component schema.
fn schema_has_pointer(contract: &Contract, schema: &str, pointer: &str) -> bool {
    let Some(mut node) = contract.schema(schema) else {
        return false;
    };
    for token in json_pointer::tokens(pointer) {
        node = resolve(contract, node);
        let next = node
            .get("properties")
            .and_then(|p| p.get(token.as_ref()))
            .or_else(|| token.parse::<usize>().ok().and(node.get("items")));
        match next {
            Some(child) => node = child,
            None => return false,
        }
    }
    true
}

fn field_names(contract: &Contract, schema: &str) -> Vec<String> {
    contract
        .schema(schema)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().map(|k| format!("/{k}")).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_index_writes_what_format_writes() {
        for index in [0, 7, 10, 99, 1234, usize::MAX] {
            let mut pointer = "/cases".to_string();
            push_index(&mut pointer, index);
            assert_eq!(pointer, format!("/cases/{index}"));
        }
    }
}
