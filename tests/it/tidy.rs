//! Tidy checks that run with the tests (STYLE §19): every Rust file opens with a `//!` doc, no
//! placeholders or ignored tests are left in the tree, and `unsafe` appears only in the modules
//! allowed to hold it. (Formatting and clippy run as their own steps of `cargo xtask test`;
//! every `*_MAX` of `limits.rs` being named in `spec/` is checked by `core/tests/spec_tidy.rs`.)

use std::path::{Path, PathBuf};

/// Files allowed to contain `unsafe`: the mmap module, the C ABI, and a test-only counting
/// allocator (a `GlobalAlloc` cannot be written without it).
const UNSAFE_ALLOWED: &[&str] = &[
    "server/src/store/mmap.rs",
    "core/tests/alloc_bound.rs",
    "ffi/src/",
];

/// The keyword, spelled so this file does not match its own check.
const UNSAFE_KEYWORD: &str = concat!("uns", "afe");

/// Folders holding the project's Rust sources.
const SOURCE_DIRS: &[&str] = &[
    "core/src",
    "core/tests",
    "server/src",
    "server/tests",
    "server/benches",
    "tests/src",
    "tests/it",
    "xtask/src",
    "ffi/src",
    "ffi/tests",
    "bindings/python/src",
    "bindings/node/src",
    "fuzz/fuzz_targets",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

fn rust_files() -> Vec<(String, String)> {
    let root = repo_root();
    let mut out = Vec::new();
    for dir in SOURCE_DIRS {
        collect(&root, &root.join(dir), &mut out);
    }
    assert!(out.len() > 50, "found the sources ({} files)", out.len());
    out
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).expect("read source");
            out.push((rel, text));
        }
    }
}

/// Every Rust file opens with a `//!` paragraph saying what it is.
#[test]
fn every_file_has_a_module_doc() {
    let missing: Vec<String> = rust_files()
        .into_iter()
        .filter(|(_, text)| !text.trim_start().starts_with("//!"))
        .map(|(path, _)| path)
        .collect();
    assert!(missing.is_empty(), "files without a `//!` doc: {missing:?}");
}

/// No placeholder macros or ignored tests are left in the tree.
#[test]
fn no_placeholders_or_ignored_tests() {
    let banned = [
        concat!("dbg", "!("),
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("#[", "ignore"),
    ];
    let mut hits = Vec::new();
    for (path, text) in rust_files() {
        for (n, line) in text.lines().enumerate() {
            if banned.iter().any(|b| line.contains(b)) {
                hits.push(format!("{path}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(hits.is_empty(), "placeholders found:\n{}", hits.join("\n"));
}

/// `unsafe` code appears only in the files allowed to hold it.
#[test]
fn unsafe_only_where_allowed() {
    let mut hits = Vec::new();
    for (path, text) in rust_files() {
        if UNSAFE_ALLOWED
            .iter()
            .any(|allowed| path.starts_with(allowed))
        {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|word| word == UNSAFE_KEYWORD)
            {
                hits.push(format!("{path}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "{UNSAFE_KEYWORD} outside its modules:\n{}",
        hits.join("\n")
    );
}
