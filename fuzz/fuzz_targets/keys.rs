#![no_main]
//! Key loaders: PEM/JWK/JWKS files, dotenv files, fetched JWKS and discovery documents.

libfuzzer_sys::fuzz_target!(|data: &[u8]| jwtlens_fuzz::key_material(data));
