//! The case-file model: what `cases/*.json` may contain, exactly (unknown keys are errors).
//!
//! A file holds one suite of cases; a case is an ordered list of steps plus cleanup steps.
//! A step names an operation of the contract by `operationId`, fills its parameters and
//! body (strings may hold `${variables}`), and says what it expects back. Expected bodies
//! are subset matches that may contain matchers, compiled at load (see [`super::pattern`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer};

use super::body::BodyTemplate;
use super::pattern::Pattern;
use super::string_map::StringMap;
use super::vars::{VarError, Vars};
use crate::json_pointer;

/// An object read as a `BTreeMap` is (sorted by key, the last of a repeated key kept),
/// kept as a boxed slice of its entries.
fn by_name<'de, D, T>(deserializer: D) -> Result<Box<[(String, T)]>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let map = BTreeMap::<String, T>::deserialize(deserializer)?;
    let mut entries = Vec::with_capacity(map.len());
    entries.extend(map);
    Ok(entries.into_boxed_slice())
}

/// A list read from a case file, without the spare capacity a growing `Vec` keeps (a plan
/// of many cases holds many short lists).
fn exact_vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut items = Vec::<T>::deserialize(deserializer)?;
    items.shrink_to_fit();
    Ok(items)
}

/// One case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// Editors' schema reference; ignored by the loader.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Suite name: the first part of every case's test name (`suite::case`).
    pub suite: String,
    /// Which document (or api-facts) the suite is about, shown in reports.
    #[serde(default)]
    pub description: Option<String>,
    /// Boxed: each becomes a [`crate::case::LoadedCase`]'s without being moved again.
    pub cases: Vec<Box<CaseSpec>>,
}

/// Which assertions a case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Only what the documents (and api-facts, marked) require. The default.
    #[default]
    Documented,
    /// Stricter assertions (exact CTS error codes from api-facts, undocumented defaults).
    Strict,
}

/// One case: a libtest trial named `suite::name`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    pub name: String,
    /// The document table or rule the case checks, e.g. `create-tracker: TrackerObsInfo / bucket_name`.
    pub doc: String,
    #[serde(default)]
    pub profile: Profile,
    /// Resources the case must hold alone while it runs (e.g. `management-tracker`).
    #[serde(default, deserialize_with = "exact_vec")]
    pub serial: Vec<String>,
    /// Present: the case is ignored (libtest `--ignored` runs it), with this reason.
    #[serde(default)]
    pub ignore: Option<String>,
    #[serde(deserialize_with = "exact_vec")]
    pub steps: Vec<StepSpec>,
    /// Steps that always run after `steps`, also after a failure; they remove what the case created.
    #[serde(default, deserialize_with = "exact_vec")]
    pub cleanup: Vec<StepSpec>,
}

/// How a step authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// The run's credentials (AK/SK signature or token), if any.
    #[default]
    Default,
    /// No credentials at all.
    None,
    /// Signed with a secret key that is not the account's.
    WrongKey,
    /// Correctly signed, then one byte of the signature changed.
    TamperedSignature,
}

impl std::fmt::Display for AuthMode {
    /// The mode as a case file spells it (`wrong-key`, not `WrongKey`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AuthMode::Default => "default",
            AuthMode::None => "none",
            AuthMode::WrongKey => "wrong-key",
            AuthMode::TamperedSignature => "tampered-signature",
        })
    }
}

/// One request and what is expected of its response. Compact, as a plan may hold tens of
/// thousands: maps are [`StringMap`]s, the body is a [`BodyTemplate`], the strict
/// expectation is boxed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// A short label shown in failures (defaults to the operation).
    #[serde(default)]
    pub name: Option<Box<str>>,
    /// The contract's `operationId`.
    pub operation: String,
    /// Path parameters; `project_id` defaults to `${project_id}`.
    #[serde(default)]
    pub path: StringMap,
    /// Query parameters (documented names only), sent in this order.
    #[serde(default)]
    pub query: StringMap,
    #[serde(default)]
    pub headers: StringMap,
    /// JSON body (variables expanded); mutually exclusive with `raw_body`.
    #[serde(default)]
    pub body: Option<BodyTemplate>,
    /// A body sent byte for byte (variables expanded), for malformed input.
    #[serde(default)]
    pub raw_body: Option<Box<str>>,
    #[serde(default)]
    pub auth: AuthMode,
    #[serde(default)]
    pub expect: Expect,
    /// Extra expectations checked only with `--profile strict` (e.g. the exact CTS
    /// error code from api-facts, or a default the documents do not state).
    #[serde(default)]
    pub expect_strict: Option<Box<Expect>>,
    /// Makes this (read-only) step a precondition: if its expectations are not met, the
    /// case is reported ignored with this reason instead of failing. For states a case
    /// cannot create safely, e.g. "no management tracker exists yet".
    #[serde(default)]
    pub precondition: Option<Box<str>>,
    /// Variables to take from the response body: name -> JSON pointer.
    #[serde(default)]
    pub capture: StringMap,
    /// Names of what this step creates, recorded in the ledger before its response is
    /// checked, so an interrupted run can remove exactly that: `{"tracker_name": ..., "tracker_type": ...}`.
    #[serde(default)]
    pub creates: Option<StringMap>,
}

/// What a step expects of its response, on top of the automatic contract checks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// One status or any of several.
    #[serde(default)]
    pub status: Option<StatusSet>,
    /// Subset of the body, with matchers (compiled when the file is read).
    #[serde(default)]
    pub body: Option<Pattern>,
    /// Response headers: name -> expected value (a string, or a matcher object), by name.
    #[serde(default, deserialize_with = "by_name")]
    pub headers: Box<[(String, Pattern)]>,
    /// Alternatives: the response must also match at least one of these, e.g. a 201
    /// with the echo, or a 400 `CTS.0211` where the named bucket does not exist.
    #[serde(default)]
    pub any_of: Box<[Expect]>,
}

impl Expect {
    /// The expectation with `${variables}` resolved in the body and header values (and in
    /// its alternatives); cheap (shared) for the parts that have none.
    pub fn expand(&self, vars: &Vars) -> Result<Expect, VarError> {
        Ok(Expect {
            status: self.status.clone(),
            body: self.body.as_ref().map(|b| b.expand(vars)).transpose()?,
            headers: self
                .headers
                .iter()
                .map(|(name, value)| Ok((name.clone(), value.expand(vars)?)))
                .collect::<Result<_, VarError>>()?,
            any_of: self
                .any_of
                .iter()
                .map(|alternative| alternative.expand(vars))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// `201` or `[204, 404]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(
    untagged,
    expecting = "status must be a status code (201) or a list of status codes ([204, 404])"
)]
pub enum StatusSet {
    One(u16),
    Any(Vec<u16>),
}

impl StatusSet {
    pub fn contains(&self, status: u16) -> bool {
        self.codes().contains(&status)
    }

    pub fn codes(&self) -> &[u16] {
        match self {
            StatusSet::One(code) => std::slice::from_ref(code),
            StatusSet::Any(codes) => codes,
        }
    }
}

impl std::fmt::Display for StatusSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let codes: Vec<String> = self.codes().iter().map(u16::to_string).collect();
        f.write_str(&codes.join(" or "))
    }
}

impl Expect {
    /// The strings of the expected body and headers (and alternatives) that may refer to
    /// variables, with their pointers under `at`, as [`StepSpec::templated_strings`] lists them.
    fn templated_strings(&self, at: &str, strings: &mut Vec<(String, String)>) {
        let mut found = |pointer: String, text: &str| strings.push((pointer, text.to_string()));
        if let Some(body) = &self.body {
            body.templated_strings(&format!("{at}/body"), &mut found);
        }
        for (name, value) in self.headers.iter() {
            value.templated_strings(
                &json_pointer::child(&format!("{at}/headers"), name),
                &mut found,
            );
        }
        for (i, alternative) in self.any_of.iter().enumerate() {
            alternative.templated_strings(&format!("{at}/any_of/{i}"), strings);
        }
    }

    /// Whether no expected body or header (nor alternative) holds a wrongly written
    /// matcher or `${`.
    fn well_formed(&self) -> bool {
        self.body
            .iter()
            .chain(self.headers.iter().map(|(_, p)| p))
            .all(Pattern::is_well_formed)
            && self.any_of.iter().all(Expect::well_formed)
    }

    /// The names of the variables of the expected body and headers (and alternatives).
    fn variable_names<'a>(&'a self, found: &mut dyn FnMut(&'a str)) {
        for pattern in self.body.iter().chain(self.headers.iter().map(|(_, p)| p)) {
            pattern.variable_names_borrowed(found);
        }
        for alternative in &self.any_of {
            alternative.variable_names(found);
        }
    }
}

impl StepSpec {
    /// The expectations that apply under `profile`, in order.
    pub fn expectations(&self, profile: Profile) -> impl Iterator<Item = &Expect> {
        let strict = self
            .expect_strict
            .as_deref()
            .filter(|_| profile == Profile::Strict);
        std::iter::once(&self.expect).chain(strict)
    }

    /// Every string of the step that may hold `${variables}`, with its JSON pointer
    /// relative to the step (e.g. `/query/tracker_name`, `/body/obs_info/bucket_name`).
    /// Strings of the bodies that cannot (no `${` in them) may be left out.
    pub fn templated_strings(&self) -> Vec<(String, String)> {
        let mut strings = Vec::new();
        for (kind, map) in [
            ("path", &self.path),
            ("query", &self.query),
            ("headers", &self.headers),
        ] {
            for (k, v) in map {
                strings.push((format!("/{kind}/{k}"), v.to_string()));
            }
        }
        if let Some(raw) = &self.raw_body {
            strings.push(("/raw_body".into(), raw.to_string()));
        }
        if let Some(body) = self.body.as_ref().filter(|body| !body.is_static()) {
            crate::case::vars::strings_in(&body.to_value(), "/body", &mut strings);
        }
        let expectations = [
            ("expect", Some(&self.expect)),
            ("expect_strict", self.expect_strict.as_deref()),
        ];
        for (key, expect) in expectations {
            if let Some(expect) = expect {
                expect.templated_strings(&format!("/{key}"), &mut strings);
            }
        }
        for (k, v) in self.creates.iter().flatten() {
            strings.push((format!("/creates/{k}"), v.to_string()));
        }
        strings
    }

    /// The names of the variables the step refers to (malformed references are skipped;
    /// the loader reports them).
    pub fn variable_names(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        self.collect_variables(&mut names);
        names
    }

    /// Adds the names of the variables the step refers to to `names`, in one pass over
    /// its strings, and says whether every `${...}` (and matcher) of it is well formed: the
    /// loader's cheap check, which builds no pointer; only a step with a malformed or
    /// unknown variable is looked at string by string ([`StepSpec::templated_strings`]).
    pub fn collect_variables(&self, names: &mut BTreeSet<String>) -> bool {
        let mut found = Vec::new();
        let well_formed = self.variables_into(&mut found);
        for name in found {
            if !names.contains(name) {
                names.insert(name.to_string());
            }
        }
        well_formed
    }

    /// Appends each variable name the step refers to (borrowed from it, in the order of
    /// its strings, repeats included) to `names` and says whether every `${...}` (and
    /// matcher) of it is well formed: [`StepSpec::collect_variables`] without a set.
    pub fn variables_into<'a>(&'a self, names: &mut Vec<&'a str>) -> bool {
        let mut well_formed = true;
        let texts = [&self.path, &self.query, &self.headers]
            .into_iter()
            .flat_map(StringMap::values)
            .chain(self.raw_body.as_deref())
            .chain(self.creates.iter().flat_map(StringMap::values))
            .chain(self.body.iter().flat_map(BodyTemplate::templated_strings));
        for text in texts {
            if crate::case::vars::push_names(text, names).is_err() {
                well_formed = false;
            }
        }
        for expect in std::iter::once(&self.expect).chain(self.expect_strict.as_deref()) {
            well_formed &= expect.well_formed();
            expect.variable_names(&mut |name| names.push(name));
        }
        well_formed
    }
}
