//! Verifying a signature with a set of keys, offline; and what a verification against the
//! issuer's published keys found ([`RemoteOutcome`]: `jwtlens-jwks` fetches those keys,
//! only when the user asks, and verifies with [`verify_with_keys`]).

use std::collections::HashMap;

use crate::key::{Capped, Key, KeyIndex, Mismatch, MAX_KEYS_PER_TOKEN};

/// What an on-request verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteOutcome {
    /// A key from `url` verified the signature at `at` (seconds since the epoch).
    Verified {
        kid: Option<String>,
        url: String,
        at: i64,
        /// The key set was named by the repository's `.jwtlens.toml` (`jwtlens-jwks`'s
        /// `KeySource::workspace_configured`): it vouches for nothing about the issuer.
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

/// Remote outcomes by token fingerprint ([`jwtlens_jose::fingerprint`]).
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
    /// Keys with the right `kid` or type exist, but none verifies: the reasons per key,
    /// and whether the search stopped at [`MAX_KEYS_PER_TOKEN`].
    Rejected {
        reasons: Vec<(String, Mismatch)>,
        capped: Option<Capped>,
    },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unsigned => {
                f.write_str("the token is unsigned (alg none or an empty signature)")
            }
            Failure::NoKeys => f.write_str("no key to verify with"),
            Failure::NoKeyWithKid(kid) => write!(f, "no key with kid {kid}"),
            Failure::Rejected { reasons, capped } => {
                match reasons.split_first() {
                    Some(((source, mismatch), [])) => write!(f, "{mismatch} ({source})")?,
                    Some(((source, mismatch), more)) => {
                        write!(f, "{mismatch} ({source}) and {} more keys", more.len())?
                    }
                    None => f.write_str("no key verified it")?,
                }
                if let Some(capped) = capped {
                    write!(
                        f,
                        "; {capped} keys that could verify it, so give the token a kid"
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Verifies a JWS with a set of keys, matched as JWKS consumers do: by `kid` first, then
/// keys without one (see [`KeyIndex::candidates`]), at most [`MAX_KEYS_PER_TOKEN`] of
/// them. A key's JWK `alg`, `use` and `key_ops` are honoured. Returns the key that
/// verified it.
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
    let index = KeyIndex::new(keys);
    if let Some(kid) = kid {
        if index.with_kid(kid).is_empty() && !index.has_keys_without_kid() {
            return Err(Failure::NoKeyWithKid(kid.to_owned()));
        }
    }
    let candidates = index.candidates(keys, kid, alg);
    let mut reasons = Vec::new();
    for position in candidates.iter().take(MAX_KEYS_PER_TOKEN) {
        let key = &keys[position];
        match key.verify(alg, signing_input, signature) {
            Ok(()) => return Ok(key),
            Err(mismatch) => reasons.push((key.source.clone(), mismatch)),
        }
    }
    // Keys of another type were no candidates; name them when nothing else was tried,
    // so that the user learns why.
    let considered = |key: &Key| kid.is_none() || key.kid.is_none() || key.kid.as_deref() == kid;
    reasons.extend(
        keys.iter()
            .filter(|key| considered(key) && !key.family.supports(alg))
            .filter_map(|key| Some((key.source.clone(), key.refuses(alg)?))),
    );
    // A bad signature says more than a key of the wrong type; report it first.
    reasons.sort_by_key(|(_, mismatch)| !matches!(mismatch, Mismatch::BadSignature));
    let capped = (candidates.len() > MAX_KEYS_PER_TOKEN).then_some(Capped {
        tried: MAX_KEYS_PER_TOKEN,
        candidates: candidates.len(),
    });
    Err(Failure::Rejected { reasons, capped })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Origin;
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
    fn a_kid_nobody_has_falls_back_to_keys_without_one() {
        let keys = [key(b"a", Some("k1"), "keyed"), key(b"b", None, "bare")];
        let (input, signature) = token(b"b", Some("k9"));
        assert_eq!(
            verify_with_keys(&keys, "HS256", Some("k9"), input.as_bytes(), &signature)
                .unwrap()
                .source,
            "bare"
        );
        // The key with the token's kid comes first, then keys without a kid.
        let (input, signature) = token(b"b", Some("k1"));
        assert_eq!(
            verify_with_keys(&keys, "HS256", Some("k1"), input.as_bytes(), &signature)
                .unwrap()
                .source,
            "bare"
        );
    }

    #[test]
    fn the_search_stops_at_the_cap_and_says_so() {
        let secrets: Vec<Vec<u8>> = (0..40).map(|i| format!("s{i}").into_bytes()).collect();
        let keys: Vec<Key> = secrets.iter().map(|s| key(s, None, "set")).collect();
        let (input, signature) = token(b"s39", None);
        let failure =
            verify_with_keys(&keys, "HS256", None, input.as_bytes(), &signature).unwrap_err();
        assert_eq!(
            failure.to_string(),
            "bad signature (set) and 31 more keys; stopped after 32 of 40 keys that could verify it, so give the token a kid"
        );
        let (input, signature) = token(b"s31", None);
        assert!(verify_with_keys(&keys, "HS256", None, input.as_bytes(), &signature).is_ok());
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
