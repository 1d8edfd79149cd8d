//! Imports follow the data flow (issue 16): every library module may use only the modules
//! listed before it in [`LAYERS`] (the order `src/lib.rs` documents). Read from the source
//! text (comments left out), so a new backward import fails here with the file and line.

use std::path::{Path, PathBuf};

/// The library's top modules, each allowed to import only those before it.
const LAYERS: [&str; 25] = [
    "atomic_write",
    "json_pointer",
    "suggest",
    "auth",
    "http",
    "contract",
    "case",
    "cts",
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
    "terminal",
    "explore",
    "proxy",
    "options",
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

/// Generic modules that reach CTS only through the seam (issue 29): from `crate::cts`
/// their code (not their tests) names only the trait and its vocabulary, never a CTS rule
/// itself; the service is handed to them (a `RunSpec`, a `Session`, a parameter).
const THROUGH_THE_SEAM: [&str; 3] = ["run", "runner", "parity"];

/// What of `crate::cts` a module of [`THROUGH_THE_SEAM`] may name.
const SEAM: [&str; 4] = ["Service", "Removal", "NotRemovable", "service"];

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
    crate_paths(line)
        .into_iter()
        .map(|path| path.split("::").next().unwrap_or("").to_string())
        .collect()
}

/// Every `crate::a::b` path a line's code (not its comment) names, without `crate::`
/// (a `use crate::a::{b, c}` gives `a::`).
fn crate_paths(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let path: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        found.push(path);
        rest = after;
    }
    found
}

/// Whether a path into `crate::cts` names only the seam ([`SEAM`]): `cts::Service`,
/// `cts::service::Removal`; a brace group (`cts::{...}`) is read from the rest of the line.
fn names_only_the_seam(line: &str, path: &str) -> bool {
    if path.split("::").next() != Some("cts") {
        return true;
    }
    // `crate::cts` itself: the whole module.
    let Some(rest) = path.strip_prefix("cts::") else {
        return false;
    };
    let first = rest.split("::").next().unwrap_or("");
    if !first.is_empty() {
        return SEAM.contains(&first);
    }
    // `use crate::cts::{A, B};`
    let Some(group) = line.split("cts::{").nth(1) else {
        return false;
    };
    group
        .split('}')
        .next()
        .unwrap_or("")
        .split(',')
        .map(|name| name.trim().split("::").next().unwrap_or("").trim())
        .filter(|name| !name.is_empty())
        .all(|name| SEAM.contains(&name))
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
        let mut in_tests = false;
        for (number, line) in text.lines().enumerate() {
            // A file's tests come last (`#[cfg(test)] mod tests`): they may name CTS.
            in_tests |= line.trim_start().starts_with("#[cfg(test)]");
            if !in_tests && THROUGH_THE_SEAM.contains(&module.as_str()) {
                for path in crate_paths(line) {
                    if !names_only_the_seam(line, &path) {
                        backward.push(format!(
                            "{}:{}: {module} uses crate::{path}, a CTS rule: ask the service \
                             (crate::cts::Service) it is given",
                            file.display(),
                            number + 1
                        ));
                    }
                }
            }
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

#[test]
fn a_cts_rule_named_past_the_seam_is_seen() {
    let only_seam = |line: &str| {
        crate_paths(line)
            .iter()
            .all(|path| names_only_the_seam(line, path))
    };
    assert!(only_seam("use crate::cts::Service;"));
    assert!(only_seam("use crate::cts::{Removal, Service};"));
    assert!(only_seam("    service: &dyn crate::cts::service::Service,"));
    assert!(!only_seam("use crate::cts;"));
    assert!(!only_seam("use crate::cts::{self, Service};"));
    assert!(!only_seam("let x = crate::cts::made_by_run(a, b);"));
    assert!(!only_seam("use crate::cts::{Service, TRACKER_NAME};"));
}
