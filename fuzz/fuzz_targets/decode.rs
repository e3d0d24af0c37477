#![no_main]
//! The scanner and decoder on token-shaped strings.

libfuzzer_sys::fuzz_target!(|shape: jwtlens_fuzz::TokenShape| jwtlens_fuzz::decode_shape(&shape));
