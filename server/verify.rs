//! Verifying a signature with a set of keys, and against the issuer's published keys,
//! which only happens when the user asks (the network is touched nowhere else).

use std::collections::HashMap;

use crate::decode::DecodedToken;
use crate::jwks::{FetchedKeys, Fetcher, KeySource};
use crate::keys::{Key, Mismatch, Origin};
use crate::scan::TokenKind;

/// What an on-request verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteOutcome {
    /// A key from `url` verified the signature at `at` (seconds since the epoch).
    Verified {
        kid: Option<String>,
        url: String,
        at: i64,
        /// The key set was named by the repository's `.jwtlens.toml`
        /// ([`KeySource::workspace_configured`]): it vouches for nothing about the issuer.
        workspace_configured: bool,
    },
    /// No key verified it; `reason` says why (no key with this kid, algorithm/key type
    /// mismatch, bad signature, the fetch failed…).
    Failed { reason: String },
}

/// Where a verifying key set came from, in words: its URL, or for a set the repository's
/// `.jwtlens.toml` named, a "workspace-configured key set" that vouches for no issuer.
pub fn describe_key_set(url: &str, workspace_configured: bool) -> String {
    if workspace_configured {
        format!("a workspace-configured key set ({url}, named by .jwtlens.toml, not by the issuer)")
    } else {
        url.to_owned()
    }
}

/// Remote outcomes by token fingerprint ([`crate::decode::fingerprint`]).
pub type RemoteResults = HashMap<String, RemoteOutcome>;

/// Why no key verified a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `alg: none` or an empty signature: never verified.
    Unsigned,
    /// No key to try at all.
    NoKeys,
    /// The token names a `kid` that none of the keys has.
    NoKeyWithKid(String),
    /// Keys with the right `kid` or type exist, but none verifies; the reasons per key.
    Rejected(Vec<(String, Mismatch)>),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unsigned => {
                f.write_str("the token is unsigned (alg none or an empty signature)")
            }
            Failure::NoKeys => f.write_str("no key to verify with"),
            Failure::NoKeyWithKid(kid) => write!(f, "no key with kid {kid}"),
            Failure::Rejected(reasons) => {
                let (source, mismatch) = &reasons[0];
                write!(f, "{mismatch} ({source})")?;
                if reasons.len() > 1 {
                    write!(f, " and {} more keys", reasons.len() - 1)?;
                }
                Ok(())
            }
        }
    }
}

/// Verifies a JWS with a set of keys, matched as JWKS consumers do: by `kid` first, then
/// (for keys without one) by key type and `alg`. Returns the key that verified it.
pub fn verify_with_keys<'k>(
    keys: &'k [Key],
    alg: &str,
    kid: Option<&str>,
    signing_input: &[u8],
    signature: &str,
) -> Result<&'k Key, Failure> {
    if alg.eq_ignore_ascii_case("none") || signature.is_empty() {
        return Err(Failure::Unsigned);
    }
    if keys.is_empty() {
        return Err(Failure::NoKeys);
    }
    let by_kid: Vec<&Key> = match kid {
        Some(kid) => keys
            .iter()
            .filter(|key| key.kid.as_deref() == Some(kid))
            .collect(),
        None => Vec::new(),
    };
    let candidates: Vec<&Key> = if by_kid.is_empty() {
        let without_kid: Vec<&Key> = keys
            .iter()
            .filter(|key| kid.is_none() || key.kid.is_none())
            .collect();
        match (kid, without_kid.is_empty()) {
            (Some(kid), true) => return Err(Failure::NoKeyWithKid(kid.to_owned())),
            _ => without_kid,
        }
    } else {
        by_kid
    };
    let mut reasons = Vec::new();
    for key in candidates {
        match key.verify(alg, signing_input, signature) {
            Ok(()) => return Ok(key),
            Err(mismatch) => reasons.push((key.source.clone(), mismatch)),
        }
    }
    // A bad signature says more than a key of the wrong type; report it first.
    reasons.sort_by_key(|(_, mismatch)| !matches!(mismatch, Mismatch::BadSignature));
    Err(Failure::Rejected(reasons))
}

/// Verifies a token against its issuer's published keys: the one path that uses the
/// network, run only when the user asks. `text` holds the token at `token.range`.
pub async fn verify_remote(
    fetcher: &Fetcher,
    source: &KeySource,
    token: &DecodedToken,
    text: &[u8],
    now: i64,
) -> RemoteOutcome {
    let kid = token.header_str("kid");
    if token.kind != TokenKind::Jws {
        return RemoteOutcome::Failed {
            reason: "an encrypted JWE has no signature to verify".into(),
        };
    }
    let fetched = match fetcher.keys(source, kid).await {
        Ok(fetched) => fetched,
        Err(err) => {
            return RemoteOutcome::Failed {
                reason: format!("fetch failed: {err}"),
            }
        }
    };
    let keys = fetched_keys(&fetched);
    let signed = verify_with_keys(
        &keys,
        token.alg(),
        kid,
        token.signing_input(text),
        token.signature_text(text),
    );
    match signed {
        Ok(key) => RemoteOutcome::Verified {
            kid: key.kid.clone(),
            url: fetched.url.to_string(),
            at: now,
            workspace_configured: source.workspace_configured,
        },
        Err(failure) => RemoteOutcome::Failed {
            reason: format!("{failure} (keys from {})", fetched.url),
        },
    }
}

/// The fetched JWKS and certificates as verification keys; keys that cannot be used are
/// left out (the fetcher already skipped what it could not parse).
pub fn fetched_keys(fetched: &FetchedKeys) -> Vec<Key> {
    let source = fetched.url.to_string();
    let from_jwks = fetched
        .jwks
        .keys
        .iter()
        .filter_map(|jwk| Key::from_jwk(jwk, &source, Origin::Remote).ok());
    let from_certificates = fetched.certificates.iter().flat_map(|certificate| {
        let keys =
            Key::from_pem(certificate.pem.as_bytes(), &source, Origin::Remote).unwrap_or_default();
        keys.into_iter().map(|mut key| {
            key.kid = Some(certificate.kid.clone());
            key
        })
    });
    from_jwks.chain(from_certificates).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Origin;
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};

    fn token(secret: &[u8], kid: Option<&str>) -> (String, String) {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = kid.map(str::to_owned);
        let token = encode(
            &header,
            &serde_json::json!({"sub": "u"}),
            &EncodingKey::from_secret(secret),
        )
        .unwrap();
        let dot = token.rfind('.').unwrap();
        (token[..dot].to_owned(), token[dot + 1..].to_owned())
    }

    fn key(secret: &[u8], kid: Option<&str>, source: &str) -> Key {
        let mut key = Key::hmac(secret, source, Origin::Workspace);
        key.kid = kid.map(str::to_owned);
        key
    }

    #[test]
    fn matches_by_kid_then_by_type() {
        let keys = [
            key(b"a", Some("k1"), "first"),
            key(b"b", Some("k2"), "second"),
            key(b"c", None, "third"),
        ];
        let (input, signature) = token(b"b", Some("k2"));
        assert_eq!(
            verify_with_keys(&keys, "HS256", Some("k2"), input.as_bytes(), &signature)
                .unwrap()
                .source,
            "second"
        );
        let (input, signature) = token(b"c", None);
        assert_eq!(
            verify_with_keys(&keys, "HS256", None, input.as_bytes(), &signature)
                .unwrap()
                .source,
            "third"
        );
    }

    #[test]
    fn failures_say_why() {
        let keys = [key(b"a", Some("k1"), "jwks")];
        let (input, signature) = token(b"a", Some("k9"));
        assert_eq!(
            verify_with_keys(&keys, "HS256", Some("k9"), input.as_bytes(), &signature)
                .unwrap_err()
                .to_string(),
            "no key with kid k9"
        );
        let (input, signature) = token(b"wrong", Some("k1"));
        assert_eq!(
            verify_with_keys(&keys, "HS256", Some("k1"), input.as_bytes(), &signature)
                .unwrap_err()
                .to_string(),
            "bad signature (jwks)"
        );
        assert_eq!(
            verify_with_keys(&keys, "none", None, input.as_bytes(), "").unwrap_err(),
            Failure::Unsigned
        );
        assert_eq!(
            verify_with_keys(&[], "HS256", None, input.as_bytes(), &signature).unwrap_err(),
            Failure::NoKeys
        );
    }
}
