//! Imports follow the data flow (issue 16): every library module may use only the modules
//! listed before it in [`LAYERS`] (the order `src/lib.rs` documents). Read from the source
//! text (comments left out), so a new backward import fails here with the file and line.

use std::path::{Path, PathBuf};

/// The library's top modules, each allowed to import only those before it.
const LAYERS: [&str; 24] = [
    "atomic_write",
    "json_pointer",
    "suggest",
    "auth",
    "http",
    "contract",
    "case",
    "cts",
    "derive",
    "check",
    "outcome",
    "model",
    "run",
    "violations",
    "coverage",
    "partition",
    "record",
    "report",
    "bundle",
    "parity",
    "emulator",
    "runner",
    "explore",
    "proxy",
];

/// Imports the order would allow but the design does not (issue 29): reporters read
/// outcomes, never the runner; the proxy sends through `http`, not the runner; the emulator
/// answers, it does not judge; case files know no CTS rule.
const FORBIDDEN: [(&str, &str); 4] = [
    ("report", "run"),
    ("proxy", "run"),
    ("emulator", "check"),
    ("case", "cts"),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top module a file of `src/` belongs to (`None` for lib.rs, main.rs and cli/).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    LAYERS.contains(&name.as_str()).then_some(name)
}

/// Every `crate::NAME` a line's code (not its comment) refers to.
fn crate_references(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        found.push(name);
        rest = after;
    }
    found
}

#[test]
fn every_module_imports_only_from_earlier_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let rank = |name: &str| LAYERS.iter().position(|m| *m == name);
    let mut backward = Vec::new();
    let mut seen = 0;
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let own = rank(&module).unwrap();
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            for target in crate_references(line) {
                seen += 1;
                if FORBIDDEN.contains(&(module.as_str(), target.as_str())) {
                    backward.push(format!(
                        "{}:{}: {module} uses crate::{target}, which it must not (FORBIDDEN)",
                        file.display(),
                        number + 1
                    ));
                    continue;
                }
                match rank(&target) {
                    Some(r) if r < own || target == module => {}
                    Some(_) => backward.push(format!(
                        "{}:{}: {module} uses crate::{target}, which comes later in the flow",
                        file.display(),
                        number + 1
                    )),
                    None => backward.push(format!(
                        "{}:{}: crate::{target} is not in LAYERS (add it where it belongs)",
                        file.display(),
                        number + 1
                    )),
                }
            }
        }
    }
    assert!(
        seen > 50,
        "only {seen} crate:: references read: is the scan broken?"
    );
    assert!(backward.is_empty(), "{}", backward.join("\n"));
}

#[test]
fn the_layers_are_the_librarys_modules() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let mut declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    declared.sort();
    let mut layers = LAYERS.to_vec();
    layers.sort();
    assert_eq!(declared, layers);
}

#[test]
fn a_backward_import_is_seen() {
    assert_eq!(
        crate_references("use crate::run::Session; // crate::report"),
        ["run"]
    );
}
