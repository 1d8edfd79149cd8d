//! Case files: the model (`cases/*.json`), strict loading with precise errors, the
//! matcher syntax of expectations (compiled at load), variables.

pub mod body;
pub mod expected_keys;
pub mod load;
pub mod locate;
pub mod model;
pub mod pattern;
pub mod rules;
pub mod string_map;
pub mod vars;

pub use load::{
    builtin_sources, dir_sources, load, plan_sources, LoadError, LoadErrors, LoadedCase, Source,
};
pub use rules::{CaseRules, CreatesRule};
