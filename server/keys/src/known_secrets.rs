//! HMAC secrets that are public knowledge: a token signed with one can be forged by anyone.

use std::sync::LazyLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use jsonwebtoken::Algorithm;
use sha2::{Sha256, Sha384, Sha512};

/// A secret published somewhere everyone can read it.
pub struct KnownSecret {
    /// Where it is published, for the message.
    pub origin: &'static str,
    secret: Vec<u8>,
}

/// Every known secret's HMAC state for one algorithm, in [`KNOWN_SECRETS`] order, already
/// keyed: a check clones one and hashes only the signing input (keying costs as much as
/// hashing a short token). Keyed the first time a token with that algorithm is checked:
/// keying all three sizes was 9 % of the instructions of `jwtlens check` on one small file.
struct Keyed<M>(LazyLock<Vec<M>>);

impl<M: Mac + KeyInit + Clone> Keyed<M> {
    const fn new() -> Self {
        Keyed(LazyLock::new(|| {
            KNOWN_SECRETS
                .iter()
                .map(|known| {
                    <M as KeyInit>::new_from_slice(&known.secret)
                        .expect("HMAC takes keys of any length")
                })
                .collect()
        }))
    }

    /// The known secret whose MAC of `input` is `signature` (decoded).
    fn find(&self, input: &[u8], signature: &[u8]) -> Option<&'static KnownSecret> {
        // A signature of another length is no MAC of this size: nothing to hash.
        if signature.len() != M::output_size() {
            return None;
        }
        let index = self.0.iter().position(|keyed| {
            let mut mac = keyed.clone();
            mac.update(input);
            // A plain comparison: the secret is public, so its timing tells nothing, and
            // the constant-time one costs at 20 secrets per token.
            mac.finalize().into_bytes()[..] == *signature
        })?;
        Some(&KNOWN_SECRETS[index])
    }
}

static HS256: Keyed<Hmac<Sha256>> = Keyed::new();
static HS384: Keyed<Hmac<Sha384>> = Keyed::new();
static HS512: Keyed<Hmac<Sha512>> = Keyed::new();

/// (origin, secret as text) for secrets that are plain strings.
const TEXT_SECRETS: &[(&str, &str)] = &[
    ("the jwt.io sample secret", "your-256-bit-secret"),
    ("the jwt.io sample secret", "your-384-bit-secret"),
    ("the jwt.io sample secret", "your-512-bit-secret"),
    (
        "the Supabase self-hosting default (docker/.env.example)",
        "your-super-secret-jwt-token-with-at-least-32-characters-long",
    ),
    (
        "the Supabase CLI local default",
        "super-secret-jwt-token-with-at-least-32-characters-long",
    ),
    ("a placeholder secret", "secret"),
    ("a placeholder secret", "changeme"),
    ("a placeholder secret", "changeit"),
    ("a placeholder secret", "password"),
    ("a placeholder secret", "your-secret-key"),
    ("a placeholder secret", "your_jwt_secret"),
    ("a placeholder secret", "jwt_secret"),
    ("a placeholder secret", "mysecret"),
    ("a placeholder secret", "supersecret"),
    ("a placeholder secret", "secretkey"),
    ("a placeholder secret", "test"),
    ("the Express session README sample", "keyboard cat"),
    ("the node-jsonwebtoken README sample", "shhhhh"),
];

/// (origin, secret as base64url) for published binary keys.
const BINARY_SECRETS: &[(&str, &str)] = &[
    (
        "the RFC 7515 appendix A.1 example key",
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
    ),
    (
        "the RFC 7520 section 4.4 example key",
        "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg",
    ),
];

static KNOWN_SECRETS: LazyLock<Vec<KnownSecret>> = LazyLock::new(|| {
    let text = TEXT_SECRETS.iter().map(|(origin, secret)| KnownSecret {
        origin,
        secret: secret.as_bytes().to_vec(),
    });
    let binary = BINARY_SECRETS.iter().map(|(origin, secret)| KnownSecret {
        origin,
        secret: URL_SAFE_NO_PAD
            .decode(secret)
            .expect("built-in key is base64url"),
    });
    text.chain(binary).collect()
});

/// The HMAC algorithm named by a header `alg`, if it is one.
pub fn hmac_algorithm(alg: &str) -> Option<Algorithm> {
    match alg {
        "HS256" => Some(Algorithm::HS256),
        "HS384" => Some(Algorithm::HS384),
        "HS512" => Some(Algorithm::HS512),
        _ => None,
    }
}

/// The known secret that verifies this HMAC signature, if any.
///
/// `signing_input` is `header.payload` exactly as received; `signature` is base64url.
pub fn find_known_secret(
    alg: &str,
    signing_input: &[u8],
    signature: &str,
) -> Option<&'static KnownSecret> {
    let algorithm = hmac_algorithm(alg)?;
    if signature.is_empty() {
        return None;
    }
    // Decoded once for all the secrets, onto the stack; a signature that is not base64url,
    // or longer than the largest MAC, matches none.
    let mut decoded = [0; MAX_MAC_LEN];
    let len = URL_SAFE_NO_PAD.decode_slice(signature, &mut decoded).ok()?;
    let signature = &decoded[..len];
    match algorithm {
        Algorithm::HS256 => HS256.find(signing_input, signature),
        Algorithm::HS384 => HS384.find(signing_input, signature),
        Algorithm::HS512 => HS512.find(signing_input, signature),
        _ => None,
    }
}

/// The MAC length of HS512, the longest.
const MAX_MAC_LEN: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    fn split(token: &str) -> (&str, &str) {
        let dot = token.rfind('.').unwrap();
        (&token[..dot], &token[dot + 1..])
    }

    #[test]
    fn the_jwt_io_sample_token_is_signed_with_a_known_secret() {
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let (input, signature) = split(token);
        let found = find_known_secret("HS256", input.as_bytes(), signature).unwrap();
        assert_eq!(found.origin, "the jwt.io sample secret");
    }

    #[test]
    fn the_rfc_7515_example_key_is_known() {
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let (input, signature) = split(token);
        assert!(find_known_secret("HS256", input.as_bytes(), signature)
            .unwrap()
            .origin
            .contains("RFC 7515"));
    }

    #[test]
    fn other_secrets_and_algorithms_are_not_flagged() {
        let key = jsonwebtoken::EncodingKey::from_secret(b"a-long-random-secret-nobody-knows-1234");
        let header = jsonwebtoken::Header::new(Algorithm::HS256);
        let token = jsonwebtoken::encode(&header, &serde_json::json!({"sub": "x"}), &key).unwrap();
        let (input, signature) = split(&token);
        assert!(find_known_secret("HS256", input.as_bytes(), signature).is_none());
        assert!(find_known_secret("RS256", input.as_bytes(), signature).is_none());
        assert!(find_known_secret("HS256", input.as_bytes(), "").is_none());
    }

    #[test]
    fn every_hmac_size_is_checked_against_every_secret() {
        for (alg, secret) in [
            (Algorithm::HS256, "secret"),
            (Algorithm::HS384, "your-384-bit-secret"),
            (Algorithm::HS512, "keyboard cat"),
        ] {
            let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
            let header = jsonwebtoken::Header::new(alg);
            let token =
                jsonwebtoken::encode(&header, &serde_json::json!({"sub": "x"}), &key).unwrap();
            let (input, signature) = split(&token);
            let name = format!("{alg:?}");
            assert!(
                find_known_secret(&name, input.as_bytes(), signature).is_some(),
                "{name}"
            );
            // Another size's algorithm, or a signature that is not base64url, matches none.
            assert!(find_known_secret("HS256", input.as_bytes(), "not base64!").is_none());
            // Nor does the right signature with bytes after it.
            let longer = format!("{signature}AAAA");
            assert!(find_known_secret(&name, input.as_bytes(), &longer).is_none());
            if alg != Algorithm::HS256 {
                assert!(find_known_secret("HS256", input.as_bytes(), signature).is_none());
            }
        }
    }
}
