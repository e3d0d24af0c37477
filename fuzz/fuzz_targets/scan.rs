#![no_main]
//! The scanner on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| jwtlens_fuzz::scan_bytes(data));
