#![no_main]
//! Decode, providers and every rule on generated tokens in context.

libfuzzer_sys::fuzz_target!(|input: jwtlens_fuzz::TokenInput| jwtlens_fuzz::analyse_token(&input));
