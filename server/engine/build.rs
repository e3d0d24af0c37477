//! Writes the built-in `providers.toml` as JSON to `OUT_DIR`: reading TOML was about a
//! third of the CPU time of `jwtlens check` on one small file, and serde_json reads the
//! same profiles (through the same `Deserialize` types) in a fraction of that. A unit
//! test checks that both readings give the same profiles.

use std::path::Path;

fn main() {
    let source = "src/providers/providers.toml";
    println!("cargo:rerun-if-changed={source}");
    let text = std::fs::read_to_string(source).expect("providers.toml is readable");
    let value: toml::Value = toml::from_str(&text).expect("providers.toml is TOML");
    let json = serde_json::to_string(&value).expect("TOML values are JSON values");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("providers.json"), json).expect("OUT_DIR is writable");
}
