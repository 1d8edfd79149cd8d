//! Seeded random sequences of tracker operations (pure: no I/O, no clock).
//!
//! A sequence is a list of [`Op`]s on a few names of the run's namespace
//! ([`NAMES`], each `${prefix}-NAME` once written): one name extends another, so an
//! inexact `tracker_name` filter shows. Creates and updates are data trackers on the
//! run's leased `${data_bucket}` (a management tracker is named `system`, never the
//! run's); their bodies carry [`Setting`]s, values of the documented fields drawn from
//! the contract: the derived boundary and invalid values ([`crate::cts::boundary::values`]),
//! both booleans, and random strings the field's pattern and length allow. Deletes and
//! listings name the run's trackers only (never "every data tracker"). The same seed,
//! index, step budget and [`Abilities`] give the same sequence, on every platform and
//! version of the crates ([`Rng`] is SplitMix64, written here for that reason).

use regex::Regex;
use serde_json::{json, Value};

use crate::contract::Contract;
use crate::cts::boundary::values::{self, Probe};

/// The names a sequence uses, after `${prefix}-`: `xab` extends `xa`.
pub const NAMES: [&str; 3] = ["xa", "xab", "xb"];

/// A tracker type named by a delete or a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeArg {
    Data,
    System,
    /// Not a tracker type (a listing only: its refusal is expected).
    Bogus,
}

impl TypeArg {
    pub fn as_str(self) -> &'static str {
        match self {
            TypeArg::Data => "data",
            TypeArg::System => "system",
            TypeArg::Bogus => "bogus",
        }
    }
}

/// One documented field's value in a create or update body.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Keys from the body's root, e.g. `["obs_info", "file_prefix_name"]`.
    pub path: Vec<String>,
    pub value: Value,
    /// Whether the contract accepts it.
    pub valid: bool,
    /// The constraint or variant, in words (for the case's step name).
    pub label: String,
}

/// One operation of a sequence; names are indexes into [`NAMES`].
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// CreateTracker of a data tracker tracking `${data_bucket}` for `event`.
    Create {
        name: usize,
        event: &'static str,
        settings: Vec<Setting>,
    },
    /// UpdateTracker of a data tracker (with its `data_bucket`), maybe changing `status`.
    Update {
        name: usize,
        status: Option<Setting>,
        settings: Vec<Setting>,
    },
    /// ListTrackers, maybe filtered.
    List {
        name: Option<usize>,
        tracker_type: Option<TypeArg>,
    },
    /// DeleteTracker of one name and type.
    Delete { name: usize, tracker_type: TypeArg },
    /// ListQuotas.
    Quotas,
}

impl Op {
    /// Whether the operation changes the target.
    pub fn mutates(&self) -> bool {
        !matches!(self, Op::List { .. } | Op::Quotas)
    }

    /// Whether the request carries a value the contract refuses (its refusal is expected).
    pub fn invalid(&self) -> bool {
        match self {
            Op::Create { settings, .. } => settings.iter().any(|s| !s.valid),
            Op::Update {
                settings, status, ..
            } => settings.iter().chain(status).any(|s| !s.valid),
            Op::List { tracker_type, .. } => *tracker_type == Some(TypeArg::Bogus),
            Op::Delete { .. } | Op::Quotas => false,
        }
    }
}

/// What the run lets a sequence do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abilities {
    /// Creates, updates and deletes (loopback, or `--allow-mutations`).
    pub mutate: bool,
    /// A data bucket to track (`${data_bucket}`): creates and updates need one.
    pub data_bucket: bool,
    /// A transfer bucket (`${obs_bucket}`).
    pub obs_bucket: bool,
}

/// The values a sequence draws from, derived once from the contract.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    /// Per field: its values (boundary, invalid, both booleans).
    fields: Vec<FieldValues>,
    /// UpdateTracker's `status` values.
    statuses: Vec<Setting>,
}

#[derive(Debug, Clone)]
struct FieldValues {
    path: Vec<String>,
    values: Vec<Setting>,
    /// A string field whose random values are `[a-z0-9]` of these lengths, kept when
    /// the pattern matches.
    random: Option<RandomString>,
}

#[derive(Debug, Clone)]
struct RandomString {
    min: usize,
    max: usize,
    pattern: Option<Regex>,
}

/// The fields of the create body a sequence sets: those the run's model reads back
/// ([`crate::model::FIELDS`]), but the tracked bucket's name (always the run's lease).
const SET_FIELDS: [&[&str]; 7] = [
    &["obs_info", "bucket_name"],
    &["obs_info", "file_prefix_name"],
    &["obs_info", "compress_type"],
    &["obs_info", "is_sort_by_service"],
    &["data_bucket", "data_event"],
    &["is_lts_enabled"],
    &["is_support_validate"],
];

impl Vocabulary {
    /// The values of [`SET_FIELDS`] from the contract. Values of the wrong JSON type
    /// (a service may coerce them, api-facts) and left-out required keys are not drawn.
    pub fn from_contract(contract: &Contract, abilities: Abilities) -> Self {
        let carrier = crate::cts::boundary::carrier_body("x");
        let fields = values::request_fields(contract, "CreateTrackerRequestBody", &carrier);
        let mut out = Vec::new();
        for wanted in SET_FIELDS {
            let Some(field) = fields.iter().find(|f| f.path == wanted) else {
                continue;
            };
            let path: Vec<String> = field.path.clone();
            let mut settings: Vec<Setting> = values::variants(contract, field)
                .into_iter()
                .filter(|v| !matches!(v.probe, Probe::Type | Probe::Missing))
                .filter_map(|v| {
                    let value = v.value?;
                    // `${bucket_3}` is somebody's bucket off loopback; not drawn.
                    let usable = !value.to_string().contains("${bucket_3}");
                    usable.then(|| Setting {
                        path: path.clone(),
                        value,
                        valid: v.valid,
                        label: format!("{} {}", path.join("."), v.name),
                    })
                })
                .collect();
            let kind = field.schema.get("type").and_then(Value::as_str);
            if kind == Some("boolean") {
                for value in [true, false] {
                    settings.push(Setting {
                        path: path.clone(),
                        value: Value::Bool(value),
                        valid: true,
                        label: format!("{} {value}", path.join(".")),
                    });
                }
            }
            if field.names_a_bucket() && abilities.obs_bucket {
                settings.push(Setting {
                    path: path.clone(),
                    value: json!("${obs_bucket}"),
                    valid: true,
                    label: format!("{} the pool's", path.join(".")),
                });
            }
            let random = (kind == Some("string")
                && !field.names_a_bucket()
                && field.schema.get("enum").is_none())
            .then(|| RandomString {
                min: length(&field.schema, "minLength").unwrap_or(0),
                max: length(&field.schema, "maxLength").unwrap_or(32),
                pattern: field
                    .schema
                    .get("pattern")
                    .and_then(Value::as_str)
                    .and_then(|p| Regex::new(p).ok()),
            });
            out.push(FieldValues {
                path,
                values: settings,
                random,
            });
        }
        let status = |value: &str, valid: bool| Setting {
            path: vec!["status".into()],
            value: json!(value),
            valid,
            label: format!("status {value}"),
        };
        Vocabulary {
            fields: out,
            statuses: vec![
                status("enabled", true),
                status("disabled", true),
                status("bogus", false),
            ],
        }
    }

    fn setting(&self, rng: &mut Rng) -> Option<Setting> {
        let field = rng.pick(&self.fields)?;
        if let Some(random) = field.random.as_ref().filter(|_| rng.below(3) == 0) {
            if let Some(text) = random.draw(rng) {
                return Some(Setting {
                    path: field.path.clone(),
                    label: format!("{} random len_{}", field.path.join("."), text.len()),
                    value: Value::String(text),
                    valid: true,
                });
            }
        }
        // Three values in four are valid: most requests then change the state, and
        // sequences go beyond a refused first create.
        let valid = rng.below(4) != 0;
        let of_kind: Vec<&Setting> = field.values.iter().filter(|s| s.valid == valid).collect();
        match of_kind.as_slice() {
            [] => rng.pick(&field.values).cloned(),
            values => rng.pick(values).map(|s| (*s).clone()),
        }
    }

    /// Valid strings of the field at `path` shorter than `text`, shortest first: half
    /// way to the shortest allowed, and one character less (for the shrinker).
    pub fn shorter(&self, path: &[String], text: &str) -> Vec<String> {
        let Some(random) = self
            .fields
            .iter()
            .find(|f| f.path == path)
            .and_then(|f| f.random.as_ref())
        else {
            return Vec::new();
        };
        let len = text.chars().count();
        let halfway = random.min + (len.saturating_sub(random.min)) / 2;
        let mut lengths = vec![halfway, len.saturating_sub(1)];
        lengths.dedup();
        lengths
            .into_iter()
            .filter(|n| *n < len)
            .map(|n| text.chars().take(n).collect::<String>())
            .filter(|short| random.accepts(short))
            .collect()
    }
}

fn length(schema: &Value, key: &str) -> Option<usize> {
    schema.get(key).and_then(Value::as_u64).map(|n| n as usize)
}

impl RandomString {
    fn draw(&self, rng: &mut Rng) -> Option<String> {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let span = self.max.saturating_sub(self.min) as u64 + 1;
        let len = self.min + rng.below(span) as usize;
        let text: String = (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize] as char)
            .collect();
        self.accepts(&text).then_some(text)
    }

    fn accepts(&self, text: &str) -> bool {
        let len = text.chars().count();
        (self.min..=self.max).contains(&len)
            && self.pattern.as_ref().is_none_or(|p| p.is_match(text))
    }
}

/// Sequence `index` of the exploration `seed`: 1 to `max_steps` operations.
pub fn generate(
    vocabulary: &Vocabulary,
    abilities: Abilities,
    seed: u64,
    index: u64,
    max_steps: usize,
) -> Vec<Op> {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let steps = 1 + rng.below(max_steps.max(1) as u64) as usize;
    (0..steps)
        .map(|_| op(vocabulary, abilities, &mut rng))
        .collect()
}

fn op(vocabulary: &Vocabulary, abilities: Abilities, rng: &mut Rng) -> Op {
    let name = rng.below(NAMES.len() as u64) as usize;
    let roll = rng.below(100);
    let creates = abilities.mutate && abilities.data_bucket;
    match roll {
        0..=34 if creates => Op::Create {
            name,
            event: if rng.below(2) == 0 { "READ" } else { "WRITE" },
            settings: settings(vocabulary, rng),
        },
        35..=49 if creates => Op::Update {
            name,
            status: (rng.below(3) == 0)
                .then(|| rng.pick(&vocabulary.statuses).cloned())
                .flatten(),
            settings: settings(vocabulary, rng),
        },
        50..=64 if abilities.mutate => Op::Delete {
            name,
            tracker_type: if rng.below(3) == 0 {
                TypeArg::System
            } else {
                TypeArg::Data
            },
        },
        90..=99 => Op::Quotas,
        _ => Op::List {
            name: (rng.below(2) == 0).then_some(name),
            tracker_type: match rng.below(6) {
                0 | 1 => Some(TypeArg::Data),
                2 => Some(TypeArg::System),
                3 => Some(TypeArg::Bogus),
                _ => None,
            },
        },
    }
}

/// 0 to 2 settings, of distinct fields.
fn settings(vocabulary: &Vocabulary, rng: &mut Rng) -> Vec<Setting> {
    let mut out: Vec<Setting> = Vec::new();
    for _ in 0..rng.below(3) {
        if let Some(setting) = vocabulary.setting(rng) {
            if !out.iter().any(|s| s.path == setting.path) {
                out.push(setting);
            }
        }
    }
    out
}

/// SplitMix64: small, seedable, and the same sequence everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        match n {
            0 => 0,
            n => self.next_u64() % n,
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Abilities = Abilities {
        mutate: true,
        data_bucket: true,
        obs_bucket: true,
    };

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let vocabulary = Vocabulary::from_contract(Contract::embedded(), ALL);
        let a = generate(&vocabulary, ALL, 7, 3, 10);
        let b = generate(&vocabulary, ALL, 7, 3, 10);
        assert_eq!(a, b);
        assert_ne!(a, generate(&vocabulary, ALL, 8, 3, 10));
    }

    #[test]
    fn without_mutations_only_reads_are_drawn() {
        let abilities = Abilities {
            mutate: false,
            ..ALL
        };
        let vocabulary = Vocabulary::from_contract(Contract::embedded(), abilities);
        for index in 0..50 {
            let ops = generate(&vocabulary, abilities, 1, index, 12);
            assert!(ops.iter().all(|op| !op.mutates()), "{ops:?}");
        }
    }

    #[test]
    fn the_vocabulary_has_valid_and_invalid_values_of_each_field() {
        let vocabulary = Vocabulary::from_contract(Contract::embedded(), ALL);
        assert_eq!(vocabulary.fields.len(), SET_FIELDS.len());
        for field in &vocabulary.fields {
            assert!(field.values.iter().any(|s| s.valid), "{:?}", field.path);
        }
        let prefix = vocabulary
            .fields
            .iter()
            .find(|f| f.path == ["obs_info", "file_prefix_name"])
            .unwrap();
        assert!(prefix.values.iter().any(|s| !s.valid));
        assert!(prefix.random.is_some());
    }
}
