//! Verifying a token against its issuer's published keys: the one path that uses the
//! network, run only when the user asks.

use jwtlens_keys::key::{Key, Origin};
use jwtlens_keys::verify::{verify_with_keys, RemoteOutcome};

use crate::{FetchedKeys, Fetcher, KeySource};
use jwtlens_engine::decode::DecodedToken;
use jwtlens_engine::scan::TokenKind;

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
    // Invalid whatever the issuer's keys say: nothing is fetched.
    if let Some(problem) = jwtlens_jose::crit_problem(&token.header) {
        return RemoteOutcome::Failed { reason: problem };
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
            reason: format!(
                "{failure}{} (keys from {})",
                skipped_note(&fetched, kid),
                fetched.url
            ),
        },
    }
}

/// Why fetched keys that might have been the token's were left out (an `enc` key, one
/// whose `key_ops` lack `verify`, a symmetric key…), for the failure message.
fn skipped_note(fetched: &FetchedKeys, kid: Option<&str>) -> String {
    let relevant: Vec<String> = fetched
        .skipped
        .iter()
        .filter(|skipped| kid.is_none() || skipped.kid.as_deref() == kid)
        .map(|skipped| match &skipped.kid {
            Some(kid) => format!("kid {kid:?}: {}", skipped.reason),
            None => format!("key {}: {}", skipped.index, skipped.reason),
        })
        .collect();
    match relevant.as_slice() {
        [] => String::new(),
        [one] => format!("; left out {one}"),
        [first, rest @ ..] => format!("; left out {first} and {} more", rest.len()),
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
