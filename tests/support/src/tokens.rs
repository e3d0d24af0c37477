//! Tokens made for a test: shaped but not really signed (most tests do not check the
//! signature), or signed with a key, byte for byte as the test writes header and claims.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

/// A token with this header and these claims, and a signature no key made.
pub fn token(header: Value, claims: Value) -> String {
    token_with_signature(header, claims, &[7u8; 32])
}

/// A token with this header and these claims, and `signature` as its signature bytes.
pub fn token_with_signature(header: Value, claims: Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        segment(&header),
        segment(&claims),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// A token with exactly this header and these claims (as their JSON text), signed with
/// `key` for the header's `alg`.
pub fn signed(header: Value, claims: Value, key: &EncodingKey) -> String {
    let alg: Algorithm = header["alg"]
        .as_str()
        .and_then(|alg| alg.parse().ok())
        .expect("the header names an algorithm jsonwebtoken signs with");
    let input = format!("{}.{}", segment(&header), segment(&claims));
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).unwrap();
    format!("{input}.{signature}")
}

/// An HS256 token signed with `secret`, with jsonwebtoken's header
/// (`{"typ":"JWT","alg":"HS256"}`).
pub fn hs256(secret: &str, claims: Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn segment(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}
