//! Verification keys: HMAC secrets, PEM files (SPKI, X.509 certificates, PKCS#1 RSA), JWKs
//! and JWKS, wherever they come from (workspace files, `.env`, config, the workspace test
//! key, an issuer's JWKS). Pure apart from reading the files it is given.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
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
    /// The JWK's `alg`, when it names one: the only algorithm the key verifies
    /// (RFC 7517 §4.4).
    pub alg: Option<String>,
    /// Why the JWK's `use` or `key_ops` forbid verifying signatures with this key
    /// (RFC 7517 §4.2, §4.3), when they do.
    not_for_signatures: Option<String>,
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
    /// The key's JWK names another `alg` (`key_alg`) than the token's.
    KeyAlgorithm { key_alg: String, alg: String },
    /// The key's JWK `use` or `key_ops` forbid signatures; holds which and why.
    NotForSignatures(String),
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
            Mismatch::KeyAlgorithm { key_alg, alg } => write!(
                f,
                "the key's JWK alg is {key_alg}, so it does not verify {alg} (RFC 7517 §4.4)"
            ),
            Mismatch::NotForSignatures(why) => {
                write!(f, "the key is not for signatures: {why}")
            }
        }
    }
}

impl Key {
    /// An HMAC secret (raw bytes, used as given).
    pub fn hmac(secret: &[u8], source: impl Into<String>, origin: Origin) -> Key {
        Key {
            kid: None,
            alg: None,
            not_for_signatures: None,
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
        if let Some(refused) = self.refuses(alg) {
            return Err(refused);
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

    /// Why this key cannot verify `alg` whatever the signature: its JWK `use` or
    /// `key_ops` forbid signatures, it is of another family, or its JWK names another
    /// `alg`. Cheap: no cryptography.
    pub fn refuses(&self, alg: &str) -> Option<Mismatch> {
        if let Some(why) = &self.not_for_signatures {
            return Some(Mismatch::NotForSignatures(why.clone()));
        }
        if !self.family.supports(alg) {
            return Some(Mismatch::KeyType {
                alg: alg.to_owned(),
                family: self.family,
            });
        }
        match &self.alg {
            Some(key_alg) if key_alg != alg => Some(Mismatch::KeyAlgorithm {
                key_alg: key_alg.clone(),
                alg: alg.to_owned(),
            }),
            _ => None,
        }
    }

    /// The key from a JWK. `source` names where it was read. Its `alg`, `use` and
    /// `key_ops` are kept and honoured by [`Key::verify`].
    pub fn from_jwk(jwk: &Jwk, source: &str, origin: Origin) -> Result<Key, KeyError> {
        let invalid = |why: String| KeyError::new(source, why);
        let kid = jwk.common.key_id.clone();
        let text = serde_json::to_vec(jwk).unwrap_or_default();
        let (family, verifier) = match &jwk.algorithm {
            AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P521 => {
                let point =
                    |value: &str| jwtlens_jose::segment::decode_segment(value.as_bytes()).ok();
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
            alg: jwk_alg(jwk, family),
            not_for_signatures: jwk_not_for_signatures(jwk),
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
                    not_for_signatures: None,
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

/// The JWK's `alg` as its JOSE name. jsonwebtoken reads every name it lacks as
/// `UNKNOWN_ALGORITHM`, ES512 included: on a P-521 key that can only be ES512 (the one
/// JOSE algorithm for the curve, RFC 7518 §3.4); on any other key it is an algorithm
/// jwtlens cannot verify, and the key verifies nothing.
fn jwk_alg(jwk: &Jwk, family: Family) -> Option<String> {
    let alg = jwk.common.key_algorithm?;
    if alg == KeyAlgorithm::UNKNOWN_ALGORITHM {
        let name = match family {
            Family::Ec(Some(Curve::P521)) => "ES512",
            _ => "an algorithm jwtlens does not know",
        };
        return Some(name.to_owned());
    }
    match serde_json::to_value(alg) {
        Ok(Value::String(name)) => Some(name),
        _ => Some(format!("{alg:?}")),
    }
}

/// Why a JWK's `use` (RFC 7517 §4.2) or `key_ops` (§4.3) forbid verifying signatures.
fn jwk_not_for_signatures(jwk: &Jwk) -> Option<String> {
    match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(PublicKeyUse::Encryption) => return Some("its use is \"enc\"".to_owned()),
        Some(PublicKeyUse::Other(other)) => {
            return Some(format!("its use is {other:?}, not \"sig\""))
        }
    }
    let ops = jwk.common.key_operations.as_ref()?;
    if ops.contains(&KeyOperations::Verify) {
        return None;
    }
    let listed: Vec<String> = ops
        .iter()
        .map(|op| match serde_json::to_value(op) {
            Ok(Value::String(name)) => format!("{name:?}"),
            _ => "?".to_owned(),
        })
        .collect();
    Some(format!(
        "its key_ops [{}] do not include \"verify\"",
        listed.join(", ")
    ))
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
    let Ok(bytes) = jwtlens_jose::segment::decode_segment(signature.as_bytes()) else {
        return false;
    };
    let Ok(signature) = p521::ecdsa::Signature::from_slice(&bytes) else {
        return false;
    };
    key.verify(signing_input, &signature).is_ok()
}

/// Most keys one token is checked against (signature checks per token, per analysis).
///
/// Keys are tried by `kid` first, so a token meets its own key at once and the cap never
/// matters for it. It matters for a token without a `kid` (or with one no key has) in a
/// workspace with many keys of its type: without it, a 3,000-key JWKS and 20,000 literal
/// secrets cost 23,000 checks per token, a minute for one 200-token file. Real projects
/// have a handful of secrets and keys, far under 32; and 200 tokens × 32 checks take well
/// under a second even when every check is RSA.
pub const MAX_KEYS_PER_TOKEN: usize = 32;

/// A key search that stopped at [`MAX_KEYS_PER_TOKEN`] before every candidate was tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capped {
    /// Keys tried.
    pub tried: usize,
    /// Keys that could have verified the token (of a family that verifies its `alg`).
    pub candidates: usize,
}

impl fmt::Display for Capped {
    /// `stopped after 32 of 23,000`, to be followed by what was searched.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stopped after {} of {}",
            self.tried,
            thousands(self.candidates)
        )
    }
}

/// `23000` → `23,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Keys by `kid`, and by family for the rest, so that each token meets the keys that may
/// verify it in order without walking all the others.
#[derive(Debug, Default)]
pub struct KeyIndex {
    by_kid: HashMap<String, Vec<usize>>,
    /// Keys without a `kid`, grouped by family, each group in load order.
    without_kid: Vec<(Family, Vec<usize>)>,
    /// Keys with a `kid`, grouped the same way: for tokens that name no kid.
    with_kid: Vec<(Family, Vec<usize>)>,
}

/// The keys worth a signature check for one token, best first (see
/// [`KeyIndex::candidates`]).
pub struct Candidates<'a> {
    kid_matched: Vec<usize>,
    groups: Vec<&'a [usize]>,
}

impl Candidates<'_> {
    /// Positions in the key list, best first.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.kid_matched
            .iter()
            .chain(self.groups.iter().flat_map(|group| group.iter()))
            .copied()
    }

    pub fn len(&self) -> usize {
        self.kid_matched.len() + self.groups.iter().map(|group| group.len()).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl KeyIndex {
    pub fn new(keys: &[Key]) -> KeyIndex {
        let mut index = KeyIndex::default();
        for (position, key) in keys.iter().enumerate() {
            let groups = match &key.kid {
                Some(kid) => {
                    index.by_kid.entry(kid.clone()).or_default().push(position);
                    &mut index.with_kid
                }
                None => &mut index.without_kid,
            };
            match groups.iter_mut().find(|(family, _)| *family == key.family) {
                Some((_, members)) => members.push(position),
                None => groups.push((key.family, vec![position])),
            }
        }
        index
    }

    /// The keys with this `kid`, in load order.
    pub fn with_kid(&self, kid: &str) -> &[usize] {
        self.by_kid.get(kid).map_or(&[], Vec::as_slice)
    }

    /// Whether some key has no `kid`.
    pub fn has_keys_without_kid(&self) -> bool {
        !self.without_kid.is_empty()
    }

    /// The keys worth a signature check for a token with this `kid` and `alg`, best
    /// first: the keys with the token's `kid`, then keys without a `kid`, as JWKS
    /// consumers match them (a key with another `kid` is not this token's key). A token
    /// without a `kid` meets keys without one first, then the others. Keys of a family
    /// that cannot verify `alg` are left out: they fail without a check.
    pub fn candidates<'a>(&'a self, keys: &[Key], kid: Option<&str>, alg: &str) -> Candidates<'a> {
        let supported = |groups: &'a [(Family, Vec<usize>)]| -> Vec<&'a [usize]> {
            groups
                .iter()
                .filter(|(family, _)| family.supports(alg))
                .map(|(_, members)| members.as_slice())
                .collect()
        };
        match kid {
            Some(kid) => Candidates {
                kid_matched: self
                    .with_kid(kid)
                    .iter()
                    .copied()
                    .filter(|&position| keys[position].family.supports(alg))
                    .collect(),
                groups: supported(&self.without_kid),
            },
            None => {
                let mut groups = supported(&self.without_kid);
                groups.extend(supported(&self.with_kid));
                Candidates {
                    kid_matched: Vec::new(),
                    groups,
                }
            }
        }
    }
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

    const CERTIFICATE: &str = include_str!("../../../tests/fixtures/jwks/firebase-test.cert.pem");
    const PRIVATE_KEY: &str = include_str!("../../../tests/fixtures/jwks/firebase-test.key.pem");

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

    /// The fixture's RSA public key as a JWK with these extra members.
    fn rsa_jwk(extra: serde_json::Value) -> Key {
        use rsa::pkcs8::DecodePrivateKey as _;
        use rsa::traits::PublicKeyParts as _;
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY).unwrap();
        let b64 = |bytes: Vec<u8>| {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        };
        let mut jwk = serde_json::json!({
            "kty": "RSA",
            "n": b64(private.n().to_bytes_be()),
            "e": b64(private.e().to_bytes_be()),
        });
        for (name, value) in extra.as_object().unwrap() {
            jwk[name] = value.clone();
        }
        let keys = Key::from_json(&jwk, "key.jwk", Origin::Workspace).unwrap();
        keys.into_iter().next().unwrap()
    }

    fn signed(alg: Algorithm) -> (String, String) {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).unwrap();
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(alg),
            &serde_json::json!({}),
            &key,
        )
        .unwrap();
        let dot = token.rfind('.').unwrap();
        (token[..dot].to_owned(), token[dot + 1..].to_owned())
    }

    #[test]
    fn a_jwk_alg_restricts_the_key_to_that_algorithm() {
        let rs256 = rsa_jwk(serde_json::json!({"alg": "RS256"}));
        let (input, signature) = signed(Algorithm::RS256);
        assert_eq!(rs256.verify("RS256", input.as_bytes(), &signature), Ok(()));
        let (input, signature) = signed(Algorithm::PS256);
        let refused = rs256
            .verify("PS256", input.as_bytes(), &signature)
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "the key's JWK alg is RS256, so it does not verify PS256 (RFC 7517 §4.4)"
        );
        // The same key without an alg verifies both.
        let any = rsa_jwk(serde_json::json!({}));
        assert_eq!(any.verify("PS256", input.as_bytes(), &signature), Ok(()));
        // An alg jsonwebtoken does not know: the key verifies nothing.
        let unknown = rsa_jwk(serde_json::json!({"alg": "RS1024"}));
        assert!(unknown
            .verify("PS256", input.as_bytes(), &signature)
            .unwrap_err()
            .to_string()
            .contains("JWK alg is an algorithm jwtlens does not know"));
    }

    #[test]
    fn a_p521_jwk_with_alg_es512_verifies_es512() {
        use base64::Engine as _;
        use p521::ecdsa::signature::Signer as _;
        let signing = p521::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
        let point = p521::ecdsa::VerifyingKey::from(&signing).to_encoded_point(false);
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-521", "alg": "ES512",
            "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap()),
        });
        let key = Key::from_json(&jwk, "p521.jwk", Origin::Workspace)
            .unwrap()
            .remove(0);
        let input = format!("{}.{}", b64(br#"{"alg":"ES512"}"#), b64(b"{}"));
        let signature: p521::ecdsa::Signature = signing.sign(input.as_bytes());
        let signature = b64(&signature.to_bytes());
        assert_eq!(key.verify("ES512", input.as_bytes(), &signature), Ok(()));
    }

    #[test]
    fn jwk_use_and_key_ops_other_than_verify_refuse_signatures() {
        let (input, signature) = signed(Algorithm::RS256);
        let cases = [
            (serde_json::json!({"use": "enc"}), "the key is not for signatures: its use is \"enc\""),
            (serde_json::json!({"use": "wrap"}), "the key is not for signatures: its use is \"wrap\", not \"sig\""),
            (
                serde_json::json!({"key_ops": ["encrypt", "wrapKey"]}),
                "the key is not for signatures: its key_ops [\"encrypt\", \"wrapKey\"] do not include \"verify\"",
            ),
            (serde_json::json!({"key_ops": []}), "its key_ops [] do not include \"verify\""),
        ];
        for (extra, expected) in cases {
            let key = rsa_jwk(extra.clone());
            let refused = key
                .verify("RS256", input.as_bytes(), &signature)
                .unwrap_err();
            assert!(refused.to_string().contains(expected), "{extra}: {refused}");
            assert!(key.refuses("RS256").is_some(), "{extra}");
        }
        for allowed in [
            serde_json::json!({"use": "sig"}),
            serde_json::json!({"key_ops": ["verify"]}),
            serde_json::json!({"use": "sig", "key_ops": ["sign", "verify"], "alg": "RS256"}),
        ] {
            let key = rsa_jwk(allowed.clone());
            assert_eq!(
                key.verify("RS256", input.as_bytes(), &signature),
                Ok(()),
                "{allowed}"
            );
        }
    }

    fn secret(kid: Option<&str>) -> Key {
        let mut key = Key::hmac(b"s", "secret", Origin::Workspace);
        key.kid = kid.map(str::to_owned);
        key
    }

    #[test]
    fn candidates_come_by_kid_first_then_without_kid() {
        let rsa = rsa_jwk(serde_json::json!({"kid": "r1"}));
        let keys = [
            secret(Some("a")),
            secret(None),
            rsa.clone(),
            secret(Some("b")),
            secret(None),
            secret(Some("a")),
        ];
        let index = KeyIndex::new(&keys);
        let order = |kid, alg| -> Vec<usize> { index.candidates(&keys, kid, alg).iter().collect() };
        assert_eq!(order(Some("a"), "HS256"), [0, 5, 1, 4]);
        assert_eq!(
            order(Some("zz"), "HS256"),
            [1, 4],
            "another kid is not this token's key"
        );
        assert_eq!(order(None, "HS256"), [1, 4, 0, 3, 5]);
        assert_eq!(order(None, "RS256"), [2]);
        assert_eq!(
            order(Some("r1"), "HS256"),
            [1, 4],
            "the RSA key cannot verify HS256"
        );
        assert_eq!(index.candidates(&keys, None, "HS256").len(), 5);
        assert_eq!(index.with_kid("a"), [0, 5]);
        assert!(index.has_keys_without_kid());
    }

    #[test]
    fn capped_searches_read_well() {
        let capped = Capped {
            tried: 32,
            candidates: 23_000,
        };
        assert_eq!(capped.to_string(), "stopped after 32 of 23,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
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
