//! Case files: the model (`cases/*.json`), strict loading with precise errors, variables.

pub mod load;
pub mod locate;
pub mod model;
pub mod vars;

pub use load::{builtin_sources, dir_sources, load, LoadError, LoadErrors, LoadedCase, Source};
