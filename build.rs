//! Builds the default case files into the binary: writes `$OUT_DIR/builtin_cases.rs`, a
//! list of (file name, contents) for every `cases/*.json`, so an installed binary needs
//! no files beside it.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let cases = root.join("cases");
    println!("cargo:rerun-if-changed={}", cases.display());
    let mut files: Vec<PathBuf> = fs::read_dir(&cases)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from("/// Built-in case files: (path relative to the crate, contents).\npub const BUILTIN_CASES: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        out.push_str(&format!(
            "    (\"cases/{name}\", include_str!({:?})),\n",
            file.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_cases.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
