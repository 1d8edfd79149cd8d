//! The reference emulator of the CTS v3 tracker API (axum). Filled in by the emulator issue.
