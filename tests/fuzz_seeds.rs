//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets' own code,
//! on stable Rust: every input that once reached new coverage, or crashed, stays a
//! regression test. The fuzzing itself needs nightly: see docs/security.md.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

use harness::{structured, TokenInput, TokenShape};

/// Runs every file of a target's corpus, naming the first one that fails.
fn replay(target: &str, run: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{target}: only {} seeds", files.len());
    for file in files {
        let data = std::fs::read(&file).unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&data)));
        assert!(outcome.is_ok(), "{target}: {} fails", file.display());
    }
}

#[test]
fn scan() {
    replay("scan", harness::scan_bytes);
}

#[test]
fn decode() {
    replay("decode", |data| {
        if let Some(shape) = structured::<TokenShape>(data) {
            harness::decode_shape(&shape);
        }
    });
}

#[test]
fn analyse() {
    replay("analyse", |data| {
        if let Some(input) = structured::<TokenInput>(data) {
            harness::analyse_token(&input);
        }
    });
}

#[test]
fn config() {
    replay("config", harness::config_text);
}

#[test]
fn keys() {
    replay("keys", harness::key_material);
}
