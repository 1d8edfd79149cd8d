//! The emulator and the contract agree (issue 14, item 8). `src/emulator/validate.rs`
//! is a second, hand-written copy of the request rules; the contract's schema
//! (`schemas/cts-v3.openapi.json`, `CreateTrackerRequestBody`) is the first. A corpus of
//! CreateTracker bodies -- every body the derive module generates, plus bodies from a
//! seeded generator -- goes to both, and every disagreement (one accepts, the other
//! refuses) must be explained by [`ALLOWED`], a short list of known, documented
//! differences. The limits the emulator duplicates from the schema (lengths, enums)
//! are compared with the schema's values.

use std::collections::BTreeMap;

use cts_conform::contract::Contract;
use cts_conform::cts::boundary::derived_cases;
use cts_conform::emulator::model::{CompressType, DataEvent, TrackerStatus, TrackerType};
use cts_conform::emulator::validate::{self, create_request};
use cts_conform::emulator::FaultSet;
use serde_json::{json, Map, Value};

/// A known difference: its reason, and whether it explains a disagreement on `body`.
struct Allowed {
    reason: &'static str,
    applies: fn(&Value) -> bool,
}

/// The known differences between the two oracles. Each one is a deliberate choice of
/// the emulator, recorded in docs/contract.md or api-facts.
const ALLOWED: [Allowed; 6] = [
    Allowed {
        // api-facts: unknown keys are accepted (Terraform's misspelt `aegncy_name`);
        // the schema's `additionalProperties: false` keeps the contract strict.
        reason: "unknown keys: the emulator ignores them, the schema refuses them",
        applies: |body| has_unknown_key(body),
    },
    Allowed {
        // validate.rs: `null` counts as absent; the schema types every field.
        reason: "null values: the emulator treats them as absent",
        applies: |body| has_null(body),
    },
    Allowed {
        // docs/contract.md C2: the prose writes GZIP/JSON; the emulator accepts any case.
        reason: "compress_type in another letter case (C2)",
        applies: |body| {
            body.pointer("/obs_info/compress_type")
                .and_then(Value::as_str)
                .is_some_and(|text| {
                    CompressType::parse(text).is_some() && text != text.to_ascii_lowercase()
                })
        },
    },
    Allowed {
        // docs/contract.md C3: an empty bucket_name means "no transfer"; the create
        // schema's BucketName has minLength 3.
        reason: "empty obs_info.bucket_name (C3)",
        applies: |body| body.pointer("/obs_info/bucket_name") == Some(&json!("")),
    },
    Allowed {
        // docs/contract.md C16: the contract takes any integer bucket_lifecycle (no
        // source enumerates the accepted values); the emulator keeps the six the
        // Terraform provider uses, its own choice.
        reason: "obs_info.bucket_lifecycle outside the known values (C16)",
        applies: |body| {
            body.pointer("/obs_info/bucket_lifecycle")
                .and_then(Value::as_i64)
                .is_some_and(|days| !validate::BUCKET_LIFECYCLE_DAYS.contains(&days))
        },
    },
    Allowed {
        // docs/contract.md C8: the schema requires tracker_name; the documents also say
        // a management tracker's name defaults to system, which the emulator applies.
        reason: "management tracker without tracker_name (C8 default system)",
        applies: |body| {
            body.get("tracker_type") == Some(&json!("system")) && body.get("tracker_name").is_none()
        },
    },
];

const TOP_KEYS: [&str; 11] = [
    "tracker_type",
    "tracker_name",
    "obs_info",
    "is_support_validate",
    "is_lts_enabled",
    "is_organization_tracker",
    "management_event_selector",
    "is_support_trace_files_encryption",
    "kms_id",
    "agency_name",
    "data_bucket",
];
const OBS_KEYS: [&str; 6] = [
    "bucket_name",
    "file_prefix_name",
    "is_obs_created",
    "compress_type",
    "is_sort_by_service",
    "bucket_lifecycle",
];
const BUCKET_KEYS: [&str; 2] = ["data_bucket_name", "data_event"];

fn has_unknown_key(body: &Value) -> bool {
    let unknown = |value: Option<&Value>, known: &[&str]| {
        value
            .and_then(Value::as_object)
            .is_some_and(|map| map.keys().any(|key| !known.contains(&key.as_str())))
    };
    unknown(Some(body), &TOP_KEYS)
        || unknown(body.get("obs_info"), &OBS_KEYS)
        || unknown(body.get("data_bucket"), &BUCKET_KEYS)
}

fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.values().any(has_null),
        Value::Array(items) => items.iter().any(has_null),
        _ => false,
    }
}

/// Both oracles' answers for one body; `Some(reason)` when they disagree.
fn disagreement(body: &Value) -> Option<String> {
    let contract = Contract::embedded().is_valid("CreateTrackerRequestBody", body);
    let emulator = create_request(body.to_string().as_bytes(), &FaultSet::none());
    if contract == emulator.is_ok() {
        return None;
    }
    let explained = ALLOWED.iter().find(|allowed| (allowed.applies)(body));
    match explained {
        Some(_) => None,
        None => Some(format!(
            "contract {} / emulator {}: {body}",
            if contract { "accepts" } else { "refuses" },
            match &emulator {
                Ok(_) => "accepts".to_owned(),
                Err(error) => format!("refuses ({} {error})", error.code()),
            }
        )),
    }
}

/// The allow-list reason of a disagreement on `body`, if there is one and it is allowed.
fn allowed_disagreement(body: &Value) -> Option<&'static str> {
    let contract = Contract::embedded().is_valid("CreateTrackerRequestBody", body);
    let emulator = create_request(body.to_string().as_bytes(), &FaultSet::none()).is_ok();
    if contract == emulator {
        return None;
    }
    ALLOWED
        .iter()
        .find(|allowed| (allowed.applies)(body))
        .map(|allowed| allowed.reason)
}

/// Replaces the run variables of derived bodies with values of a run.
fn expand(value: &Value) -> Value {
    let text = value
        .to_string()
        .replace("${prefix}", "cc-0a1b2c3d")
        .replace("${data_bucket}", "cc-0a1b2c3d-src")
        .replace("${obs_bucket}", "cc-0a1b2c3d-obs")
        .replace("${run_id}", "0a1b2c3d");
    serde_json::from_str(&text).expect("expanded body is JSON")
}

fn derived_bodies() -> Vec<Value> {
    derived_cases(Contract::embedded())
        .iter()
        .flat_map(|case| case.spec.steps.iter())
        .filter(|step| step.operation == "CreateTracker")
        .filter_map(|step| step.body.as_ref().map(|body| expand(&body.to_value())))
        .collect()
}

/// xorshift64*: small, deterministic, good enough to pick test values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const BUCKET_GOOD: [char; 6] = ['a', 'z', '0', '9', '-', '.'];
const BUCKET_BAD: [char; 4] = ['A', '_', ' ', '/'];
const NAME_GOOD: [char; 7] = ['a', 'Z', '7', ' ', '.', 'é', '中'];
const NAME_BAD: [char; 2] = ['-', '_'];
const PREFIX_GOOD: [char; 6] = ['a', 'Z', '5', '-', '_', '.'];
const PREFIX_BAD: [char; 4] = ['/', ' ', ':', '*'];

/// A random body's generator: `bad` is the chance (in percent) that any one choice
/// is taken from the invalid side, so bodies range from all valid to very broken.
struct Gen {
    rng: Rng,
    bad: u64,
}

impl Gen {
    fn bad(&mut self) -> bool {
        self.rng.chance(self.bad)
    }

    fn choose(&mut self, good: &[Value], bad: &[Value]) -> Value {
        if self.bad() {
            self.rng.pick(bad).clone()
        } else {
            self.rng.pick(good).clone()
        }
    }

    /// `len` characters, each from `good` or (now and then) from `bad`.
    fn text(&mut self, good: &[char], bad: &[char], len: usize) -> String {
        (0..len)
            .map(|_| {
                if self.rng.chance(self.bad / 4) {
                    *self.rng.pick(bad)
                } else {
                    *self.rng.pick(good)
                }
            })
            .collect()
    }

    /// A length in `good` (inclusive), or just outside it when bad.
    fn length(&mut self, min: usize, max: usize) -> usize {
        if self.bad() {
            *self.rng.pick(&[min.saturating_sub(1), max + 1])
        } else {
            min + self.rng.below(max - min + 1)
        }
    }

    fn wrong_type(&mut self) -> Value {
        self.rng
            .pick(&[json!(7), json!(true), json!(null), json!([]), json!({})])
            .clone()
    }

    fn bucket(&mut self) -> Value {
        if self.rng.chance(self.bad / 5) {
            return self.wrong_type();
        }
        let len = self.length(3, 63);
        let first = if self.bad() { '-' } else { 'b' };
        let rest = self.text(&BUCKET_GOOD, &BUCKET_BAD, len.saturating_sub(1));
        json!(format!("{first}{rest}")
            .chars()
            .take(len)
            .collect::<String>())
    }

    fn body(&mut self) -> Value {
        let mut body = Map::new();
        let data = self.rng.chance(70);
        if !self.rng.chance(self.bad / 5) {
            let kind = if data { json!("data") } else { json!("system") };
            let kind = self.choose(&[kind], &[json!("System"), json!("bogus"), json!(1)]);
            body.insert("tracker_type".into(), kind);
        }
        if !self.rng.chance(self.bad / 5) {
            let name = if data {
                let len = self.length(1, 32);
                let name = self.text(&NAME_GOOD, &NAME_BAD, len);
                self.choose(
                    &[json!(name)],
                    &[json!("system"), json!("system-trace"), json!(5)],
                )
            } else {
                self.choose(&[json!("system")], &[json!("other"), json!(5)])
            };
            body.insert("tracker_name".into(), name);
        }
        if data != self.bad() {
            let mut bucket = Map::new();
            if !self.rng.chance(self.bad / 5) {
                let name = self.bucket();
                bucket.insert("data_bucket_name".into(), name);
            }
            if self.rng.chance(60) {
                let events: Vec<Value> = (0..self.rng.below(3))
                    .map(|i| {
                        let good = [json!("READ"), json!("WRITE")][i % 2].clone();
                        self.choose(&[good], &[json!("read"), json!("DELETE"), json!("READ")])
                    })
                    .collect();
                bucket.insert("data_event".into(), json!(events));
            }
            body.insert("data_bucket".into(), Value::Object(bucket));
        }
        if self.rng.chance(60) {
            let mut obs = Map::new();
            if self.rng.chance(70) {
                let name = self.bucket();
                obs.insert("bucket_name".into(), name);
            }
            if self.rng.chance(50) {
                let len = self.length(0, 64);
                let prefix = self.text(&PREFIX_GOOD, &PREFIX_BAD, len);
                obs.insert("file_prefix_name".into(), json!(prefix));
            }
            let flags = [
                ("is_obs_created", [json!(true), json!(false)], json!("true")),
                ("is_sort_by_service", [json!(true), json!(false)], json!(0)),
            ];
            for (key, good, bad) in flags {
                if self.rng.chance(40) {
                    let value = self.choose(&good, &[bad]);
                    obs.insert(key.into(), value);
                }
            }
            if self.rng.chance(40) {
                let value = self.choose(
                    &[json!("gzip"), json!("json")],
                    &[json!("GZIP"), json!("zip")],
                );
                obs.insert("compress_type".into(), value);
            }
            if self.rng.chance(5) {
                let value = self.choose(&[json!(30)], &[json!(7)]);
                obs.insert("bucket_lifecycle".into(), value);
            }
            body.insert("obs_info".into(), Value::Object(obs));
        }
        for key in [
            "is_support_validate",
            "is_lts_enabled",
            "is_organization_tracker",
            "is_support_trace_files_encryption",
        ] {
            if self.rng.chance(15) {
                let value = self.choose(&[json!(true), json!(false)], &[json!("true"), json!(1)]);
                body.insert(key.into(), value);
            }
        }
        if self.rng.chance(10) {
            let value = self.choose(&[json!("key-1")], &[json!(3)]);
            body.insert("kms_id".into(), value);
        }
        if self.rng.chance(10) {
            let value = self.choose(&[json!("cts_admin_trust")], &[json!("someone")]);
            body.insert("agency_name".into(), value);
        }
        if self.rng.chance(10) {
            let services = self.choose(&[json!(["KMS"]), json!([])], &[json!(["OBS"])]);
            body.insert(
                "management_event_selector".into(),
                json!({"exclude_service": services}),
            );
        }
        if self.rng.chance(self.bad / 10) {
            body.insert("aegncy_name".into(), json!("cts_admin_trust"));
        }
        Value::Object(body)
    }
}

/// Random bodies, and how many of them each oracle accepts (so the corpus is known
/// to hold both kinds).
const RANDOM_BODIES: usize = 4000;

#[test]
fn the_emulator_and_the_contract_agree_on_every_body() {
    let derived = derived_bodies();
    assert!(
        derived.len() > 30,
        "the derive module generated {}",
        derived.len()
    );
    let mut generator = Gen {
        rng: Rng(0x5EED_CAFE_F00D_0001),
        bad: 0,
    };
    let random: Vec<Value> = (0..RANDOM_BODIES)
        .map(|_| {
            generator.bad = *generator.rng.pick(&[0, 2, 5, 10, 30]);
            generator.body()
        })
        .collect();
    let corpus: Vec<&Value> = derived.iter().chain(&random).collect();

    let accepted = corpus
        .iter()
        .filter(|body| Contract::embedded().is_valid("CreateTrackerRequestBody", body))
        .count();
    assert!(
        accepted > corpus.len() / 20 && accepted < corpus.len() * 19 / 20,
        "the corpus must hold both valid and invalid bodies ({accepted} of {} valid)",
        corpus.len()
    );

    let mut unexplained: BTreeMap<String, usize> = BTreeMap::new();
    let mut explained: BTreeMap<&str, usize> = BTreeMap::new();
    let mut shown = Vec::new();
    for body in &corpus {
        if let Some(reason) = allowed_disagreement(body) {
            *explained.entry(reason).or_default() += 1;
        }
        if let Some(problem) = disagreement(body) {
            let head = problem.split(':').next().unwrap_or_default().to_owned();
            *unexplained.entry(head).or_default() += 1;
            if shown.len() < 15 {
                shown.push(problem);
            }
        }
    }
    println!(
        "{} bodies ({} derived), {accepted} valid by the contract; allowed disagreements: {explained:?}",
        corpus.len(),
        derived.len()
    );
    assert!(
        unexplained.is_empty(),
        "{} disagreements outside the allow-list ({unexplained:?}), e.g.:\n{}",
        unexplained.values().sum::<usize>(),
        shown.join("\n")
    );
}

#[test]
fn every_allowed_difference_is_real_and_detected() {
    // Each allow-list entry explains at least one real disagreement, so the list
    // holds nothing stale, and a disagreement outside it is reported.
    let examples = [
        json!({"tracker_type": "system", "aegncy_name": "cts_admin_trust"}),
        json!({"tracker_type": "system", "tracker_name": "system", "kms_id": null}),
        json!({"tracker_type": "system", "tracker_name": "system", "obs_info": {"compress_type": "GZIP"}}),
        json!({"tracker_type": "system", "tracker_name": "system", "obs_info": {"bucket_name": ""}}),
        json!({"tracker_type": "system", "tracker_name": "system", "obs_info": {"bucket_lifecycle": 31}}),
        json!({"tracker_type": "system"}),
    ];
    for (allowed, example) in ALLOWED.iter().zip(&examples) {
        let contract = Contract::embedded().is_valid("CreateTrackerRequestBody", example);
        let emulator = create_request(example.to_string().as_bytes(), &FaultSet::none()).is_ok();
        assert_ne!(
            contract, emulator,
            "{}: no disagreement on {example}",
            allowed.reason
        );
        assert!(
            (allowed.applies)(example),
            "{} does not apply to {example}",
            allowed.reason
        );
    }
    // A body where both agree is no disagreement; the check itself can fail.
    assert_eq!(disagreement(&json!({"tracker_type": "system"})), None);
    assert_eq!(
        disagreement(&json!({"tracker_type": "data", "tracker_name": "a",
                             "data_bucket": {"data_bucket_name": "bucket-1"}})),
        None
    );
}

// ---------------------------------------------------------------- limits

fn schema(name: &str) -> &'static Value {
    Contract::embedded()
        .schema(name)
        .unwrap_or_else(|| panic!("the contract has no schema {name}"))
}

fn number(value: &Value, pointer: &str) -> usize {
    value
        .pointer(pointer)
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or_else(|| panic!("{pointer} is not a number in {value}"))
}

fn strings(value: &Value, pointer: &str) -> Vec<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{pointer} is not an array in {value}"))
        .iter()
        .filter_map(|item| item.as_str().map(str::to_owned))
        .collect()
}

#[test]
fn the_emulators_limits_are_the_schemas() {
    let name = schema("DataTrackerName");
    assert_eq!(number(name, "/minLength"), validate::TRACKER_NAME_MIN_CHARS);
    assert_eq!(number(name, "/maxLength"), validate::TRACKER_NAME_MAX_CHARS);
    assert_eq!(strings(name, "/not/enum"), validate::RESERVED_TRACKER_NAMES);

    let bucket = schema("BucketName");
    assert_eq!(
        number(bucket, "/minLength"),
        validate::BUCKET_NAME_MIN_CHARS
    );
    assert_eq!(
        number(bucket, "/maxLength"),
        validate::BUCKET_NAME_MAX_CHARS
    );

    let prefix = schema("FilePrefixName");
    assert_eq!(
        number(prefix, "/maxLength"),
        validate::FILE_PREFIX_MAX_CHARS
    );

    let create = schema("CreateTrackerRequestBody");
    assert_eq!(
        strings(create, "/properties/agency_name/enum"),
        [validate::AGENCY_NAME]
    );
    assert_eq!(
        strings(
            schema("ManagementEventSelector"),
            "/properties/exclude_service/items/enum"
        ),
        [validate::EXCLUDABLE_SERVICE]
    );

    // bucket_lifecycle: the contract's known values (examples, C16) are the emulator's.
    let days: Vec<i64> = schema("TrackerObsInfo")
        .pointer("/properties/bucket_lifecycle/examples")
        .and_then(Value::as_array)
        .expect("bucket_lifecycle examples")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert_eq!(days, validate::BUCKET_LIFECYCLE_DAYS);

    // Enumerations: every schema value parses, and nothing else the emulator knows.
    let parses =
        |values: Vec<String>, parse: fn(&str) -> bool| values.iter().all(|value| parse(value));
    let tracker_types = strings(schema("TrackerType"), "/enum");
    assert!(parses(tracker_types.clone(), |v| TrackerType::parse(v).is_some()));
    assert_eq!(tracker_types.len(), 2);
    let events = strings(schema("DataEvent"), "/enum");
    assert!(parses(events.clone(), |v| DataEvent::parse(v).is_some()));
    assert_eq!(events.len(), 2);
    let compress = strings(schema("CompressType"), "/enum");
    assert!(parses(compress.clone(), |v| CompressType::parse(v).is_some()));
    assert_eq!(compress.len(), 2);
    let update = schema("UpdateTrackerRequestBody");
    let statuses = strings(update, "/properties/status/enum");
    assert!(parses(statuses.clone(), |v| TrackerStatus::parse(v).is_some()));
    assert_eq!(statuses.len(), 2);
}
