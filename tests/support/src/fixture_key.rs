//! The RSA key committed in `tests/fixtures/jwks/` (a test key, published with its
//! certificate): tokens it signs verify with keys built from its public half.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::EncodingKey;
use serde_json::{json, Value};

/// The private key, PKCS#8 PEM.
pub const PRIVATE_KEY: &str = include_str!("../../fixtures/jwks/firebase-test.key.pem");

/// Its X.509 certificate, PEM.
pub const CERTIFICATE: &str = include_str!("../../fixtures/jwks/firebase-test.cert.pem");

/// The key for signing.
pub fn encoding_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).expect("the fixture key is a PEM RSA key")
}

/// The public half as a JWK (`kty`, `n`, `e`), for a test to add `kid`, `alg`, `use`….
pub fn public_jwk() -> Value {
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::traits::PublicKeyParts as _;
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY).unwrap();
    let b64 = |bytes: Vec<u8>| URL_SAFE_NO_PAD.encode(bytes);
    json!({"kty": "RSA", "n": b64(private.n().to_bytes_be()), "e": b64(private.e().to_bytes_be())})
}
