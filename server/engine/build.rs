//! Prepares the built-in `providers.toml` for the binary, in `OUT_DIR`:
//!
//! * `providers.json`: the file as JSON. Reading TOML was about a third of the CPU time of
//!   `jwtlens check` on one small file, and serde_json reads the same profiles (through
//!   the same `Deserialize` types) in a fraction of that. A unit test checks that both
//!   readings give the same profiles.
//! * Two tables of built-in patterns, each anchored and compiled into a dense DFA:
//!   `issuers` (every issuer pattern, in file order: the order in which the registry
//!   tries them) and `conditions` (every `match` and `header` pattern of a condition, each
//!   once, sorted, for the registry to find a profile's pattern by binary search). For a
//!   table `T`: `T.dfa` holds its DFAs serialised for the target's byte order, one after
//!   the other; `T_offsets.rs` says where each starts; `T.rs` lists the patterns in that
//!   order. The registry reads each DFA in place, the first time a value reaches it.
//!   - Compiling the issuer patterns into a `RegexSet` was about 40 % of the instructions
//!     of `jwtlens check` on one small file.
//!   - Compiling one condition pattern with a Unicode class (`.`, `[^/]`, `(?i)`) at run
//!     time zeroed a 320 KB cache of the regex compiler: 16 % of the page faults and 8 %
//!     of the instructions of `jwtlens check` on one small file.

use std::collections::BTreeSet;
use std::path::Path;

use regex_automata::dfa::{dense, StartKind};

#[path = "src/providers/anchor.rs"]
mod anchor;

/// Where each DFA of a table starts: a dense DFA is read in place as `u32`s.
const DFA_ALIGN: usize = 8;

fn main() {
    let source = "src/providers/providers.toml";
    println!("cargo:rerun-if-changed={source}");
    println!("cargo:rerun-if-changed=src/providers/anchor.rs");
    let text = std::fs::read_to_string(source).expect("providers.toml is readable");
    let value: toml::Value = toml::from_str(&text).expect("providers.toml is TOML");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let out_dir = Path::new(&out_dir);
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(out_dir.join(name), bytes).expect("OUT_DIR is writable");
    };

    let json = serde_json::to_string(&value).expect("TOML values are JSON values");
    write("providers.json", json.as_bytes());

    let write_table = |table: &str, patterns: &[String]| {
        let (bytes, offsets) = dfas(patterns);
        write(&format!("{table}.dfa"), &bytes);
        write(
            &format!("{table}_offsets.rs"),
            format!("&{offsets:?}").as_bytes(),
        );
        // `{:?}` of a `str` is a Rust string literal.
        write(&format!("{table}.rs"), format!("&{patterns:?}").as_bytes());
    };
    // One DFA per pattern: the registry wants the first issuer pattern that matches, and
    // one DFA over all of them was 574 KB, all checked when read.
    write_table("issuers", &builtin_issuers(&value));
    let conditions: Vec<String> = condition_patterns(&value).into_iter().collect();
    write_table("conditions", &conditions);
}

/// Each pattern compiled into an anchored, minimised dense DFA, serialised for the
/// target's byte order, one after the other, each starting at a multiple of
/// [`DFA_ALIGN`]; and where each starts, then where the last ends.
fn dfas(patterns: &[String]) -> (Vec<u8>, Vec<usize>) {
    let big_endian = std::env::var("CARGO_CFG_TARGET_ENDIAN").is_ok_and(|e| e == "big");
    let mut dfas = Vec::new();
    let mut offsets = vec![0];
    for pattern in patterns {
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .start_kind(StartKind::Anchored)
                    .minimize(true),
            )
            .build(pattern)
            .unwrap_or_else(|e| panic!("built-in pattern `{pattern}` compiles: {e}"));
        let (bytes, padding) = if big_endian {
            dfa.to_bytes_big_endian()
        } else {
            dfa.to_bytes_little_endian()
        };
        dfas.extend_from_slice(&bytes[padding..]);
        // The next DFA starts aligned too.
        dfas.resize(dfas.len().next_multiple_of(DFA_ALIGN), 0);
        offsets.push(dfas.len());
    }
    (dfas, offsets)
}

/// Every `match` and `header` pattern of a condition anywhere in the file (detect rules,
/// variants, deprecations, notes, the fallback), anchored.
fn condition_patterns(value: &toml::Value) -> BTreeSet<String> {
    let mut patterns = BTreeSet::new();
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            toml::Value::Table(table) => {
                for (key, value) in table {
                    match (key.as_str(), value) {
                        ("match" | "header", toml::Value::Table(condition)) => {
                            patterns.extend(condition.values().map(|pattern| {
                                anchor::anchor(
                                    pattern.as_str().expect("condition patterns are strings"),
                                )
                            }))
                        }
                        _ => stack.push(value),
                    }
                }
            }
            toml::Value::Array(values) => stack.extend(values),
            _ => {}
        }
    }
    patterns
}

/// Each `[[provider]]`'s issuer patterns, anchored, in file order: the order in which the
/// registry tries them. A built-in profile without issuers would inherit the fallback's,
/// and the fallback has none.
fn builtin_issuers(file: &toml::Value) -> Vec<String> {
    let patterns = |table: &toml::Value| -> Vec<String> {
        table
            .get("issuer")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| anchor::anchor(p.as_str().expect("issuer patterns are strings")))
            .collect()
    };
    assert!(
        patterns(&file["fallback"]).is_empty(),
        "the fallback profile names no issuer"
    );
    file["provider"]
        .as_array()
        .expect("[[provider]] entries")
        .iter()
        .flat_map(patterns)
        .collect()
}
