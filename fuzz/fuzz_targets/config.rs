#![no_main]
//! The settings parser: `.jwtlens.toml` text and editor JSON.

libfuzzer_sys::fuzz_target!(|data: &[u8]| jwtlens_fuzz::config_text(data));
