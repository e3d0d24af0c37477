//! A workspace with far more keys than a project needs (issue 11): a 3,000-key JWKS and
//! 20,000 literal `keys.secrets`, and a 200-token document that those keys mostly do not
//! verify. Without a cap, every key was tried on every token: 64 s for the first analysis.
//! Shared by `tests/key_search.rs` and `benches/engine.rs`.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

use crate::fixture_key;

/// Keys in `keys.json`: HMAC (`oct`) keys, plus [`RSA_KIDS`] RSA public keys.
pub const JWKS_KEYS: usize = 3_000;
/// The RSA public keys among them: one key, published under this many kids (what matters
/// is the count; RSA keys are costly to generate and large to store).
pub const RSA_KIDS: usize = 10;
/// Literal secrets in `.jwtlens.toml`.
pub const SECRETS: usize = 20_000;
/// Tokens in the document, 50 of each kind (see [`document`]).
pub const TOKENS: usize = 200;

/// Writes `.jwtlens.toml` and `keys.json` into `root`.
pub fn write_workspace(root: &Path) {
    let secrets: Vec<String> = (0..SECRETS).map(|i| format!("\"secret-{i}\"")).collect();
    let config = format!(
        "[keys]\nfiles = [\"keys.json\"]\nsecrets = [{}]\n",
        secrets.join(", ")
    );
    std::fs::write(root.join(".jwtlens.toml"), config).unwrap();
    let mut rsa = fixture_key::public_jwk();
    rsa["use"] = json!("sig");
    let keys: Vec<Value> = (0..JWKS_KEYS)
        .map(|i| match i.checked_sub(JWKS_KEYS - RSA_KIDS) {
            Some(n) => {
                let mut jwk = rsa.clone();
                jwk["kid"] = json!(format!("rsa-{n}"));
                jwk
            }
            None => {
                json!({"kty": "oct", "kid": format!("oct-{i}"), "k": b64(oct_secret(i).as_bytes())})
            }
        })
        .collect();
    std::fs::write(root.join("keys.json"), json!({ "keys": keys }).to_string()).unwrap();
}

/// A document of [`TOKENS`] tokens, one per line, 50 of each kind:
/// - HS256 with the kid of a JWKS key that verifies it (found at once);
/// - RS256 with the kid of an RSA key that verifies it (found at once);
/// - HS256 without a kid, signed with a secret the workspace lacks (the cap stops it);
/// - HS256 with a kid no key has, signed with the last literal secret (past the cap).
pub fn document() -> String {
    let rsa = fixture_key::encoding_key();
    let mut text = String::new();
    for i in 0..TOKENS / 4 {
        let hmac = |secret: &str| EncodingKey::from_secret(secret.as_bytes());
        let tokens = [
            sign(
                Some(&format!("oct-{i}")),
                Algorithm::HS256,
                &hmac(&oct_secret(i)),
                i,
            ),
            sign(
                Some(&format!("rsa-{}", i % RSA_KIDS)),
                Algorithm::RS256,
                &rsa,
                i,
            ),
            sign(None, Algorithm::HS256, &hmac("not-in-the-workspace"), i),
            sign(
                Some(&format!("unknown-{i}")),
                Algorithm::HS256,
                &hmac(&format!("secret-{}", SECRETS - 1)),
                i,
            ),
        ];
        for token in tokens {
            text.push_str(&format!("const token = \"{token}\";\n"));
        }
    }
    text
}

fn oct_secret(i: usize) -> String {
    format!("jwks-secret-{i}")
}

fn sign(kid: Option<&str>, alg: Algorithm, key: &EncodingKey, i: usize) -> String {
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = kid.map(str::to_owned);
    let claims = json!({"sub": format!("user_{i}"), "iss": "https://api.acme.test", "exp": 4_102_444_800_i64});
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
