//! Reading what a key URL returned: a JWK Set, a `{kid: PEM}` certificate map or an OIDC
//! discovery document. Pure; tolerant of individual bad keys.

use std::time::SystemTime;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyOperations, PublicKeyUse};
use serde_json::{Map, Value};
use url::Url;

use crate::FetchError;
use jwtlens_jose::segment::json_type;

/// Keys fetched from one URL.
///
/// Turn them into `jsonwebtoken::DecodingKey`s with `DecodingKey::from_jwk(jwk)` for
/// `jwks.keys`, and `DecodingKey::from_rsa_pem(pem.as_bytes())` for `certificates` (it
/// reads the public key out of a PEM `CERTIFICATE`).
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedKeys {
    /// The document the keys came from: after discovery and redirects.
    pub url: Url,
    /// Public signature keys (empty for a certificate map). Symmetric (`oct`) keys,
    /// encryption keys and keys that do not parse are not here: see `skipped`.
    pub jwks: JwkSet,
    /// `{kid: PEM certificate}` entries, as Google publishes for Firebase (empty for a JWKS).
    pub certificates: Vec<Certificate>,
    /// Entries left out, with why.
    pub skipped: Vec<SkippedKey>,
    /// When the document was received.
    pub fetched_at: SystemTime,
}

/// One PEM X.509 certificate from a `{kid: PEM}` map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub kid: String,
    pub pem: String,
}

/// An entry that was left out of [`FetchedKeys`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    /// Position in the `keys` array (JWKS) or in the map (certificates).
    pub index: usize,
    pub kid: Option<String>,
    /// `unsupported kty "X"`, `symmetric (oct) key: …`, `encryption key (use enc)`…
    pub reason: String,
}

impl FetchedKeys {
    /// Whether a key with this `kid` was fetched (JWK or certificate).
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.jwks.find(kid).is_some() || self.certificate(kid).is_some()
    }

    /// The certificate with this `kid`.
    pub fn certificate(&self, kid: &str) -> Option<&Certificate> {
        self.certificates.iter().find(|c| c.kid == kid)
    }

    /// The key ids fetched, in document order (JWKs without a `kid` are not listed).
    pub fn kids(&self) -> Vec<&str> {
        self.jwks
            .keys
            .iter()
            .filter_map(|jwk| jwk.common.key_id.as_deref())
            .chain(self.certificates.iter().map(|c| c.kid.as_str()))
            .collect()
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.jwks.keys.len() + self.certificates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The keys in a key document, sniffed by shape: `{"keys": [...]}` is a JWKS, an object of
/// PEM strings a certificate map.
pub fn parse_keys(url: &Url, body: &[u8]) -> Result<FetchedKeys, FetchError> {
    let bad = |reason: String| bad_json(url, reason);
    let object = parse_object(url, body, "a JWKS")?;
    let mut fetched = FetchedKeys {
        url: url.clone(),
        jwks: JwkSet::default(),
        certificates: Vec::new(),
        skipped: Vec::new(),
        fetched_at: SystemTime::now(),
    };
    if let Some(keys) = object.get("keys") {
        let Value::Array(keys) = keys else {
            return Err(bad(format!(
                "`keys` is JSON {}, not an array",
                json_type(keys)
            )));
        };
        for (index, entry) in keys.iter().enumerate() {
            match read_jwk(entry) {
                Ok(jwk) => fetched.jwks.keys.push(jwk),
                Err(reason) => fetched.skipped.push(SkippedKey {
                    index,
                    kid: entry.get("kid").and_then(Value::as_str).map(str::to_owned),
                    reason,
                }),
            }
        }
    } else if is_certificate_map(&object) {
        for (index, (kid, pem)) in object.iter().enumerate() {
            match pem.as_str() {
                Some(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => {
                    fetched.certificates.push(Certificate {
                        kid: kid.clone(),
                        pem: pem.to_owned(),
                    })
                }
                _ => fetched.skipped.push(SkippedKey {
                    index,
                    kid: Some(kid.clone()),
                    reason: "not a PEM certificate".to_owned(),
                }),
            }
        }
    } else {
        return Err(bad(
            "neither a JWKS ({\"keys\": [...]}) nor a map of key ids to PEM certificates"
                .to_owned(),
        ));
    }
    Ok(fetched)
}

/// A non-empty object with at least one PEM certificate among its string values.
fn is_certificate_map(object: &Map<String, Value>) -> bool {
    object.values().any(|v| {
        v.as_str()
            .is_some_and(|s| s.contains("-----BEGIN CERTIFICATE-----"))
    })
}

/// One JWKS entry as a usable public signature key, or why not.
fn read_jwk(entry: &Value) -> Result<Jwk, String> {
    let Value::Object(fields) = entry else {
        return Err(format!("JSON {}, not a key object", json_type(entry)));
    };
    let jwk: Jwk = serde_json::from_value(entry.clone()).map_err(|err| err.to_string())?;
    let kty = fields.get("kty").and_then(Value::as_str);
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_)
        | AlgorithmParameters::EllipticCurve(_)
        | AlgorithmParameters::OctetKeyPair(_) => {}
        AlgorithmParameters::OctetKey(_) => {
            return Err(
                "symmetric (oct) key: a published shared secret cannot show who signed".to_owned(),
            )
        }
        // jsonwebtoken falls back to `Other` for any kty it cannot read, including a known
        // kty with missing fields or an unknown curve.
        _ => {
            return Err(match kty {
                None => "no kty".to_owned(),
                Some(kty @ ("RSA" | "EC" | "OKP")) => {
                    let crv = fields.get("crv").and_then(Value::as_str);
                    match crv {
                        Some(crv) if kty != "RSA" => {
                            format!("kty {kty} with unsupported curve {crv:?} or missing fields")
                        }
                        _ => format!("kty {kty} with missing or malformed fields"),
                    }
                }
                Some(kty) => format!("unsupported kty {kty:?}"),
            })
        }
    }
    if jwk.common.public_key_use == Some(PublicKeyUse::Encryption) {
        return Err("encryption key (use enc)".to_owned());
    }
    if let Some(ops) = &jwk.common.key_operations {
        if !ops.contains(&KeyOperations::Verify) {
            return Err("key_ops does not include verify".to_owned());
        }
    }
    Ok(jwk)
}

/// The `jwks_uri` of an OIDC discovery document, resolved against the document's URL.
pub fn parse_discovery(url: &Url, body: &[u8]) -> Result<Url, FetchError> {
    let object = parse_object(url, body, "a discovery document")?;
    let Some(jwks_uri) = object.get("jwks_uri").and_then(Value::as_str) else {
        return Err(FetchError::NoJwksUri { url: url.clone() });
    };
    url.join(jwks_uri)
        .map_err(|err| bad_json(url, format!("jwks_uri {jwks_uri:?} is not a URL: {err}")))
}

/// The body as a JSON object; `what` names the document expected, for the error.
fn parse_object(url: &Url, body: &[u8], what: &str) -> Result<Map<String, Value>, FetchError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|err| bad_json(url, format!("not JSON: {err}")))?;
    match value {
        Value::Object(object) => Ok(object),
        other => Err(bad_json(
            url,
            format!("expected {what} object, got JSON {}", json_type(&other)),
        )),
    }
}

fn bad_json(url: &Url, reason: String) -> FetchError {
    FetchError::BadJson {
        url: url.clone(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn url() -> Url {
        Url::parse("https://idp.example.com/jwks").unwrap()
    }

    fn parse(value: Value) -> Result<FetchedKeys, FetchError> {
        parse_keys(&url(), value.to_string().as_bytes())
    }

    fn rsa(kid: &str) -> Value {
        json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": "sXch", "e": "AQAB"})
    }

    #[test]
    fn a_plain_jwks() {
        let fetched = parse(json!({"keys": [
            rsa("a"),
            {"kty": "EC", "kid": "b", "crv": "P-256", "x": "f83O", "y": "x_FE"},
            {"kty": "OKP", "kid": "c", "crv": "Ed25519", "x": "11qY"},
            {"kty": "EC", "kid": "d", "crv": "P-521", "x": "AHKZ", "y": "ADSm"},
            {"kty": "RSA", "n": "sXch", "e": "AQAB"},
        ]}))
        .unwrap();
        assert_eq!(fetched.len(), 5);
        assert_eq!(fetched.kids(), ["a", "b", "c", "d"]);
        assert!(fetched.contains_kid("c"));
        assert!(!fetched.contains_kid("z"));
        assert!(fetched.skipped.is_empty());
        assert!(fetched.certificates.is_empty());
        assert_eq!(fetched.url, url());
    }

    #[test]
    fn bad_keys_are_skipped_with_a_reason() {
        let fetched = parse(json!({"keys": [
            rsa("good"),
            {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "ops", "key_ops": ["encrypt"], "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "no-n", "e": "AQAB"},
            {"kty": "EC", "kid": "k1", "crv": "secp256k1", "x": "a", "y": "b"},
            {"kty": "OKP", "kid": "x25519", "crv": "X25519", "x": "a"},
            {"kty": "PQ", "kid": "future", "pub": "abc"},
            {"kid": "no-kty"},
            {"kty": "RSA", "kid": 7, "n": "sXch", "e": "AQAB"},
            "not an object",
            {"kty": "RSA", "kid": "verify-ok", "key_ops": ["verify"], "n": "sXch", "e": "AQAB"},
        ]}))
        .unwrap();
        assert_eq!(fetched.kids(), ["good", "verify-ok"]);
        let reasons: Vec<(usize, Option<&str>, &str)> = fetched
            .skipped
            .iter()
            .map(|s| (s.index, s.kid.as_deref(), s.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 10, "{reasons:#?}");
        assert!(reasons[0].2.starts_with("symmetric (oct) key"));
        assert_eq!(reasons[1], (2, Some("enc"), "encryption key (use enc)"));
        assert_eq!(reasons[2].2, "key_ops does not include verify");
        assert_eq!(reasons[3].2, "kty RSA with missing or malformed fields");
        assert!(reasons[4].2.contains("\"secp256k1\""), "{}", reasons[4].2);
        assert!(reasons[5].2.contains("\"X25519\""), "{}", reasons[5].2);
        assert_eq!(reasons[6].2, "unsupported kty \"PQ\"");
        assert_eq!(reasons[7].2, "no kty");
        assert_eq!(reasons[8].1, None); // kid 7 is not a string
        assert_eq!(reasons[9].0, 10);
    }

    #[test]
    fn an_empty_set_is_not_an_error() {
        let fetched = parse(json!({"keys": []})).unwrap();
        assert!(fetched.is_empty());
    }

    #[test]
    fn a_certificate_map() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let fetched = parse(json!({"k1": pem, "k2": pem, "k3": "junk"})).unwrap();
        assert_eq!(fetched.kids(), ["k1", "k2"]);
        assert_eq!(fetched.certificate("k2").unwrap().pem, pem);
        assert!(fetched.contains_kid("k1"));
        assert_eq!(fetched.skipped.len(), 1);
        assert_eq!(fetched.skipped[0].kid.as_deref(), Some("k3"));
        assert!(fetched.jwks.keys.is_empty());
    }

    #[test]
    fn wrong_shapes_are_bad_json() {
        for (body, expected) in [
            ("", "not JSON"),
            ("<html>", "not JSON"),
            ("{\"keys\": [", "not JSON"),
            ("[]", "got JSON an array"),
            ("{\"keys\": {}}", "`keys` is JSON an object, not an array"),
            ("{}", "neither a JWKS"),
            ("{\"a\": \"b\"}", "neither a JWKS"),
        ] {
            let err = parse_keys(&url(), body.as_bytes()).unwrap_err();
            match &err {
                FetchError::BadJson { reason, .. } => {
                    assert!(reason.contains(expected), "{body}: {reason}")
                }
                other => panic!("{body}: {other:?}"),
            }
            assert!(err
                .to_string()
                .starts_with("GET https://idp.example.com/jwks: "));
        }
    }

    #[test]
    fn discovery_documents() {
        let doc = Url::parse("https://idp.example.com/.well-known/openid-configuration").unwrap();
        let found = parse_discovery(
            &doc,
            br#"{"issuer": "https://idp.example.com", "jwks_uri": "https://keys.example.com/jwks"}"#,
        )
        .unwrap();
        assert_eq!(found.as_str(), "https://keys.example.com/jwks");
        assert_eq!(
            parse_discovery(&doc, br#"{"jwks_uri": "/jwks"}"#)
                .unwrap()
                .as_str(),
            "https://idp.example.com/jwks"
        );
        assert_eq!(
            parse_discovery(&doc, br#"{"issuer": "x"}"#),
            Err(FetchError::NoJwksUri { url: doc.clone() })
        );
        assert_eq!(
            parse_discovery(&doc, br#"{"jwks_uri": 7}"#),
            Err(FetchError::NoJwksUri { url: doc.clone() })
        );
        assert!(matches!(
            parse_discovery(&doc, br#"{"jwks_uri": "http://[::1"}"#),
            Err(FetchError::BadJson { .. })
        ));
        assert!(matches!(
            parse_discovery(&doc, b"nope"),
            Err(FetchError::BadJson { .. })
        ));
    }
}
