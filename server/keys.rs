//! Verification keys: HMAC secrets, PEM files (SPKI, X.509 certificates, PKCS#1 RSA), JWKs
//! and JWKS, wherever they come from (workspace files, `.env`, config, the workspace test
//! key, an issuer's JWKS). Pure apart from reading the files it is given.

use std::fmt;
use std::path::Path;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use p521::pkcs8::DecodePublicKey;
use serde_json::Value;

/// Elliptic curves jwtlens verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

/// The kind of key, which decides the algorithms it can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Hmac,
    Rsa,
    /// `None` when the curve could not be read (a certificate); verification then tries.
    Ec(Option<Curve>),
    Ed25519,
}

impl Family {
    /// Whether a key of this family can verify `alg` (a JOSE `alg` value).
    pub fn supports(self, alg: &str) -> bool {
        match self {
            Family::Hmac => matches!(alg, "HS256" | "HS384" | "HS512"),
            Family::Rsa => matches!(
                alg,
                "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512"
            ),
            Family::Ec(curve) => matches!(
                (alg, curve),
                ("ES256", Some(Curve::P256) | None)
                    | ("ES384", Some(Curve::P384) | None)
                    | ("ES512", Some(Curve::P521) | None)
            ),
            Family::Ed25519 => alg == "EdDSA",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Family::Hmac => "an HMAC secret",
            Family::Rsa => "an RSA key",
            Family::Ec(Some(Curve::P256)) => "a P-256 key",
            Family::Ec(Some(Curve::P384)) => "a P-384 key",
            Family::Ec(Some(Curve::P521)) => "a P-521 key",
            Family::Ec(None) => "an EC key",
            Family::Ed25519 => "an Ed25519 key",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Where a key came from: it decides which findings a verification gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file, `.env` value or config entry in the workspace.
    Workspace,
    /// The workspace test key in `.jwtlens/`: tokens it signs are fixtures.
    TestKey,
    /// An issuer's published keys, fetched on request.
    Remote,
}

/// One key that can verify signatures.
#[derive(Clone)]
pub struct Key {
    pub kid: Option<String>,
    /// The JWK's `alg`, when it names one.
    pub alg: Option<String>,
    pub family: Family,
    /// Where it is, for messages: `keys/public.pem`, `.env: JWT_SECRET`.
    pub source: String,
    pub origin: Origin,
    verifier: Verifier,
    /// The public key as written (PEM or JWK text): the HMAC secret an RS→HS algorithm
    /// confusion attack would use. Empty for secrets.
    pub public_text: Vec<u8>,
}

impl fmt::Debug for Key {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("family", &self.family)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
enum Verifier {
    /// Everything jsonwebtoken verifies.
    Jwt(DecodingKey),
    /// ES512, which jsonwebtoken lacks.
    P521(Box<p521::ecdsa::VerifyingKey>),
}

/// Why a signature did not verify with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// `alg` is `none` or the signature is empty: nothing to verify.
    Unsigned,
    /// The key cannot verify this algorithm.
    KeyType { alg: String, family: Family },
    /// Right kind of key, wrong signature.
    BadSignature,
    /// An `alg` jwtlens does not know.
    UnknownAlgorithm(String),
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Unsigned => f.write_str("the token is unsigned"),
            Mismatch::KeyType { alg, family } => {
                write!(
                    f,
                    "algorithm/key type mismatch: {alg} cannot be verified with {family}"
                )
            }
            Mismatch::BadSignature => f.write_str("bad signature"),
            Mismatch::UnknownAlgorithm(alg) => write!(f, "unknown algorithm {alg}"),
        }
    }
}

impl Key {
    /// An HMAC secret (raw bytes, used as given).
    pub fn hmac(secret: &[u8], source: impl Into<String>, origin: Origin) -> Key {
        Key {
            kid: None,
            alg: None,
            family: Family::Hmac,
            source: source.into(),
            origin,
            verifier: Verifier::Jwt(DecodingKey::from_secret(secret)),
            public_text: Vec::new(),
        }
    }

    /// Verifies a compact JWS: `signing_input` is `header.payload` as received and
    /// `signature` the base64url signature segment.
    pub fn verify(&self, alg: &str, signing_input: &[u8], signature: &str) -> Result<(), Mismatch> {
        if alg.eq_ignore_ascii_case("none") || signature.is_empty() {
            return Err(Mismatch::Unsigned);
        }
        let known = alg.parse::<Algorithm>().is_ok() || alg == "ES512";
        if !known {
            return Err(Mismatch::UnknownAlgorithm(alg.to_owned()));
        }
        if !self.family.supports(alg) {
            return Err(Mismatch::KeyType {
                alg: alg.to_owned(),
                family: self.family,
            });
        }
        let verified = match (&self.verifier, alg) {
            (Verifier::P521(key), "ES512") => verify_es512(key, signing_input, signature),
            (Verifier::Jwt(key), alg) => match alg.parse::<Algorithm>() {
                Ok(algorithm) => {
                    jsonwebtoken::crypto::verify(signature, signing_input, key, algorithm)
                        .unwrap_or(false)
                }
                Err(_) => false,
            },
            (Verifier::P521(_), _) => false,
        };
        if verified {
            Ok(())
        } else {
            Err(Mismatch::BadSignature)
        }
    }

    /// The key from a JWK. `source` names where it was read.
    pub fn from_jwk(jwk: &Jwk, source: &str, origin: Origin) -> Result<Key, KeyError> {
        let invalid = |why: String| KeyError::new(source, why);
        let kid = jwk.common.key_id.clone();
        let alg = jwk.common.key_algorithm.map(|alg| alg.to_string());
        let text = serde_json::to_vec(jwk).unwrap_or_default();
        let (family, verifier) = match &jwk.algorithm {
            AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P521 => {
                let point = |value: &str| crate::decode::decode_segment(value.as_bytes()).ok();
                let (x, y) = (point(&ec.x), point(&ec.y));
                let (Some(x), Some(y)) = (x, y) else {
                    return Err(invalid("P-521 x or y is not base64url".into()));
                };
                (
                    Family::Ec(Some(Curve::P521)),
                    Verifier::P521(Box::new(p521_key(&x, &y).map_err(invalid)?)),
                )
            }
            AlgorithmParameters::EllipticCurve(ec) => {
                let curve = match ec.curve {
                    EllipticCurve::P256 => Curve::P256,
                    EllipticCurve::P384 => Curve::P384,
                    ref other => {
                        return Err(invalid(format!("unsupported curve {other:?} for kty EC")))
                    }
                };
                (
                    Family::Ec(Some(curve)),
                    jwt_verifier(DecodingKey::from_jwk(jwk)).map_err(invalid)?,
                )
            }
            AlgorithmParameters::RSA(_) => (
                Family::Rsa,
                jwt_verifier(DecodingKey::from_jwk(jwk)).map_err(invalid)?,
            ),
            AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => (
                Family::Ed25519,
                jwt_verifier(DecodingKey::from_jwk(jwk)).map_err(invalid)?,
            ),
            AlgorithmParameters::OctetKey(_) => (
                Family::Hmac,
                jwt_verifier(DecodingKey::from_jwk(jwk)).map_err(invalid)?,
            ),
            _ => return Err(invalid("unsupported key type".into())),
        };
        let public_text = if family == Family::Hmac {
            Vec::new()
        } else {
            text
        };
        Ok(Key {
            kid,
            alg,
            family,
            source: source.to_owned(),
            origin,
            verifier,
            public_text,
        })
    }

    /// The keys in PEM text: public keys (SPKI), X.509 certificates and PKCS#1 RSA keys.
    pub fn from_pem(text: &[u8], source: &str, origin: Origin) -> Result<Vec<Key>, KeyError> {
        let blocks = pem::parse_many(text)
            .map_err(|err| KeyError::new(source, format!("not PEM: {err}")))?;
        if blocks.is_empty() {
            return Err(KeyError::new(source, "no PEM block found".into()));
        }
        blocks
            .iter()
            .map(|block| {
                let encoded = pem::encode(block);
                let (family, verifier) =
                    pem_verifier(block.tag(), encoded.as_bytes()).map_err(|why| {
                        KeyError::new(source, format!("{} block: {why}", block.tag()))
                    })?;
                Ok(Key {
                    kid: None,
                    alg: None,
                    family,
                    source: source.to_owned(),
                    origin: origin.clone(),
                    verifier,
                    public_text: text.to_vec(),
                })
            })
            .collect()
    }

    /// Keys from a file holding PEM, a JWK, a JWKS, or a `{kid: PEM certificate}` map
    /// (Google's and Firebase's published certificates).
    pub fn from_file(path: &Path, display: &str, origin: Origin) -> Result<Vec<Key>, KeyError> {
        let bytes = std::fs::read(path)
            .map_err(|err| KeyError::new(display, format!("cannot read: {err}")))?;
        Key::from_bytes(&bytes, display, origin)
    }

    /// Keys from file contents; see [`Key::from_file`].
    pub fn from_bytes(bytes: &[u8], display: &str, origin: Origin) -> Result<Vec<Key>, KeyError> {
        let trimmed = bytes.trim_ascii_start();
        if trimmed.starts_with(b"-----BEGIN") {
            return Key::from_pem(bytes, display, origin);
        }
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|err| KeyError::new(display, format!("neither PEM nor JSON ({err})")))?;
        Key::from_json(&value, display, origin)
    }

    /// Keys from a parsed JWK, JWKS or certificate map.
    pub fn from_json(value: &Value, display: &str, origin: Origin) -> Result<Vec<Key>, KeyError> {
        if value.get("keys").is_some() {
            let set: JwkSet = serde_json::from_value(value.clone())
                .map_err(|err| KeyError::new(display, format!("not a JWKS: {err}")))?;
            return set
                .keys
                .iter()
                .map(|jwk| Key::from_jwk(jwk, display, origin.clone()))
                .collect();
        }
        if value.get("kty").is_some() {
            let jwk: Jwk = serde_json::from_value(value.clone())
                .map_err(|err| KeyError::new(display, format!("not a JWK: {err}")))?;
            return Ok(vec![Key::from_jwk(&jwk, display, origin)?]);
        }
        let Some(certificates) = value
            .as_object()
            .filter(|map| map.values().all(Value::is_string))
        else {
            return Err(KeyError::new(
                display,
                "JSON that is neither a JWK, a JWKS nor a {kid: certificate} map".into(),
            ));
        };
        let mut keys = Vec::new();
        for (kid, pem_text) in certificates {
            let pem_text = pem_text.as_str().unwrap_or_default();
            for mut key in Key::from_pem(pem_text.as_bytes(), display, origin.clone())? {
                key.kid = Some(kid.clone());
                keys.push(key);
            }
        }
        Ok(keys)
    }
}

fn jwt_verifier(key: jsonwebtoken::errors::Result<DecodingKey>) -> Result<Verifier, String> {
    key.map(Verifier::Jwt).map_err(|err| err.to_string())
}

/// Reads one PEM block: the family comes from whichever parser accepts it.
fn pem_verifier(tag: &str, pem_text: &[u8]) -> Result<(Family, Verifier), String> {
    match tag {
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => {
            return Err("a private key; give jwtlens the public key or certificate".into());
        }
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => {}
        other => return Err(format!("unsupported PEM type {other}")),
    }
    let text = std::str::from_utf8(pem_text).unwrap_or_default();
    if let Ok(public) = p521::PublicKey::from_public_key_pem(text) {
        let point = p521::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&public, false);
        let key =
            p521::ecdsa::VerifyingKey::from_encoded_point(&point).map_err(|err| err.to_string())?;
        return Ok((Family::Ec(Some(Curve::P521)), Verifier::P521(Box::new(key))));
    }
    if let Ok(key) = DecodingKey::from_rsa_pem(pem_text) {
        return Ok((Family::Rsa, Verifier::Jwt(key)));
    }
    if let Ok(key) = DecodingKey::from_ed_pem(pem_text) {
        return Ok((Family::Ed25519, Verifier::Jwt(key)));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem_text) {
        let curve = if p256::PublicKey::from_public_key_pem(text).is_ok() {
            Some(Curve::P256)
        } else if p384::PublicKey::from_public_key_pem(text).is_ok() {
            Some(Curve::P384)
        } else {
            None
        };
        return Ok((Family::Ec(curve), Verifier::Jwt(key)));
    }
    Err("not an RSA, EC or Ed25519 public key".into())
}

fn p521_key(x: &[u8], y: &[u8]) -> Result<p521::ecdsa::VerifyingKey, String> {
    if x.len() != 66 || y.len() != 66 {
        return Err("P-521 coordinates are 66 bytes each".to_owned());
    }
    // SEC1 uncompressed point: 0x04 || x || y.
    let sec1: Vec<u8> = [&[0x04][..], x, y].concat();
    p521::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
        .map_err(|err| format!("not a P-521 point: {err}"))
}

fn verify_es512(key: &p521::ecdsa::VerifyingKey, signing_input: &[u8], signature: &str) -> bool {
    use p521::ecdsa::signature::Verifier as _;
    let Ok(bytes) = crate::decode::decode_segment(signature.as_bytes()) else {
        return false;
    };
    let Ok(signature) = p521::ecdsa::Signature::from_slice(&bytes) else {
        return false;
    };
    key.verify(signing_input, &signature).is_ok()
}

/// A key that could not be loaded, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub source: String,
    pub reason: String,
}

impl KeyError {
    fn new(source: &str, reason: String) -> KeyError {
        KeyError {
            source: source.to_owned(),
            reason,
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERTIFICATE: &str = include_str!("../tests/fixtures/jwks/firebase-test.cert.pem");
    const PRIVATE_KEY: &str = include_str!("../tests/fixtures/jwks/firebase-test.key.pem");

    fn signed_rs256() -> (String, String) {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).unwrap();
        let header = jsonwebtoken::Header::new(Algorithm::RS256);
        let token = jsonwebtoken::encode(&header, &serde_json::json!({"sub": "u"}), &key).unwrap();
        let dot = token.rfind('.').unwrap();
        (token[..dot].to_owned(), token[dot + 1..].to_owned())
    }

    #[test]
    fn an_x509_certificate_verifies_and_keeps_its_text_for_confusion_checks() {
        let keys = Key::from_bytes(CERTIFICATE.as_bytes(), "cert.pem", Origin::Workspace).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].family, Family::Rsa);
        assert_eq!(keys[0].public_text, CERTIFICATE.as_bytes());
        let (input, signature) = signed_rs256();
        assert_eq!(
            keys[0].verify("RS256", input.as_bytes(), &signature),
            Ok(())
        );
    }

    #[test]
    fn a_certificate_map_assigns_each_key_its_kid() {
        let map = serde_json::json!({"kid-a": CERTIFICATE, "kid-b": CERTIFICATE});
        let keys = Key::from_json(&map, "certs.json", Origin::Remote).unwrap();
        let kids: Vec<_> = keys.iter().map(|key| key.kid.as_deref().unwrap()).collect();
        assert_eq!(kids, ["kid-a", "kid-b"]);
    }

    #[test]
    fn malformed_key_files_say_what_is_wrong() {
        let cases: [(&[u8], &str); 6] = [
            (b"hello", "neither PEM nor JSON"),
            (b"{\"keys\": 3}", "not a JWKS"),
            (b"{\"kty\": \"RSA\"}", "unsupported key type"),
            (
                b"[1, 2]",
                "neither a JWK, a JWKS nor a {kid: certificate} map",
            ),
            (
                PRIVATE_KEY.as_bytes(),
                "a private key; give jwtlens the public key or certificate",
            ),
            (
                b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                "PUBLIC KEY block: not an RSA, EC or Ed25519 public key",
            ),
        ];
        for (bytes, expected) in cases {
            let err = Key::from_bytes(bytes, "k", Origin::Workspace).unwrap_err();
            assert_eq!(err.source, "k");
            assert!(
                err.reason.contains(expected),
                "{expected:?} in {:?}",
                err.reason
            );
        }
    }
}
