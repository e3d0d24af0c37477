//! What the JOSE standards require of a token whatever key signed it: a `crit` header that
//! names only extensions the verifier understands (RFC 7515 §4.1.11), and time claims that
//! are NumericDates (RFC 7519 §2, §4.1.4–4.1.6). A token that breaks either is invalid for
//! every conforming verifier, so jwtlens never reports it as verified. Pure.
//!
//! Also the rest of the wire format that the key ring, the engine and the network code all
//! read: base64url [`segment`]s, and the [`fingerprint`] that names a token where the token
//! itself must not be shown.

pub mod segment;

use serde_json::{Map, Value};

use segment::json_type;

/// Extensions jwtlens understands when a token marks them critical: none.
///
/// The one extension commonly seen in `crit` is `b64` (RFC 7797, unencoded payloads): with
/// `b64: false` the signature covers the raw payload, not its base64url text, and jwtlens
/// verifies only the standard signing input. So a token with `crit: ["b64"]` is invalid
/// here, as RFC 7515 §4.1.11 requires of a verifier that does not implement an extension.
pub const UNDERSTOOD_EXTENSIONS: &[&str] = &[];

/// Header names the JWS, JWE and JWA specifications define (the IANA "JSON Web Signature
/// and Encryption Header Parameters" registered by RFC 7515, 7516 and 7518). `crit` must
/// not list them: it is for extensions.
const STANDARD_HEADERS: &[&str] = &[
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc",
    "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
];

/// The registered claims that hold a NumericDate.
const TIME_CLAIMS: &[&str] = &["exp", "nbf", "iat"];

/// Why the header's `crit` makes the token invalid, if it does: not a non-empty list of
/// strings, a duplicate, a standard header name, a name absent from the header, or an
/// extension jwtlens does not understand.
pub fn crit_problem(header: &Map<String, Value>) -> Option<String> {
    const RFC: &str = "RFC 7515 §4.1.11";
    let crit = header.get("crit")?;
    let Value::Array(names) = crit else {
        return Some(format!(
            "crit is {}, not a list of header names ({RFC})",
            json_type(crit)
        ));
    };
    if names.is_empty() {
        return Some(format!("crit is an empty list, which {RFC} forbids"));
    }
    // The list's form first, so that a malformed list is called malformed.
    let mut listed: Vec<&str> = Vec::with_capacity(names.len());
    for entry in names {
        let Value::String(name) = entry else {
            return Some(format!(
                "crit lists {}, not a header name ({RFC})",
                json_type(entry)
            ));
        };
        if listed.contains(&name.as_str()) {
            return Some(format!("crit lists {name:?} twice ({RFC})"));
        }
        if STANDARD_HEADERS.contains(&name.as_str()) {
            return Some(format!(
                "crit lists {name:?}, a header the JOSE standards define, not an extension ({RFC})"
            ));
        }
        if !header.contains_key(name) {
            return Some(format!(
                "crit lists {name:?}, which is not in the header ({RFC})"
            ));
        }
        listed.push(name);
    }
    listed
        .into_iter()
        .find(|name| !UNDERSTOOD_EXTENSIONS.contains(name))
        .map(|name| {
            format!(
                "crit lists {name:?}, an extension jwtlens does not understand, so the token must be rejected ({RFC})"
            )
        })
}

/// Why a time claim makes the token invalid, if one does: `exp`, `nbf` and `iat` must be
/// JSON numbers (fractions allowed). A string, boolean, null, array or object is rejected
/// by verifiers, and jwtlens cannot tell when such a token expires.
pub fn numeric_date_problem(claims: &Map<String, Value>) -> Option<String> {
    TIME_CLAIMS.iter().find_map(|name| match claims.get(*name) {
        None | Some(Value::Number(_)) => None,
        Some(other) => Some(format!(
            "{name} is {}, not a NumericDate (RFC 7519 §2)",
            json_type(other)
        )),
    })
}

/// A token's fingerprint: the SHA-256 of its text, in lowercase hex. Safe to show, log and
/// store where the token itself must not be.
pub fn fingerprint(token_text: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    base16ct::lower::encode_string(&Sha256::digest(token_text))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("a JSON object")
    }

    fn crit(header: Value) -> Option<String> {
        crit_problem(&object(header))
    }

    #[test]
    fn fingerprint_is_sha256_hex() {
        assert_eq!(
            fingerprint(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn no_crit_is_fine() {
        assert_eq!(crit(json!({"alg": "RS256", "kid": "k"})), None);
    }

    #[test]
    fn unknown_extensions_make_the_token_invalid() {
        let problem = crit(json!({"alg": "RS256", "crit": ["exp"], "exp": 1})).unwrap();
        assert_eq!(
            problem,
            "crit lists \"exp\", an extension jwtlens does not understand, so the token must be rejected (RFC 7515 §4.1.11)"
        );
        // b64 (RFC 7797) is not implemented: the signing input would differ.
        let b64 = crit(json!({"alg": "HS256", "b64": false, "crit": ["b64"]})).unwrap();
        assert!(
            b64.contains("\"b64\", an extension jwtlens does not understand"),
            "{b64}"
        );
    }

    #[test]
    fn malformed_crit_says_what_is_wrong() {
        let cases = [
            (
                json!({"crit": "b64", "b64": false}),
                "crit is a string, not a list of header names",
            ),
            (json!({"crit": {}}), "crit is an object, not a list"),
            (json!({"crit": null}), "crit is null, not a list"),
            (
                json!({"crit": []}),
                "crit is an empty list, which RFC 7515 §4.1.11 forbids",
            ),
            (
                json!({"crit": [7], "7": 1}),
                "crit lists a number, not a header name",
            ),
            (
                json!({"crit": ["x", "x"], "x": 1}),
                "crit lists \"x\" twice",
            ),
            (
                json!({"crit": ["alg"], "alg": "HS256"}),
                "crit lists \"alg\", a header the JOSE standards define",
            ),
            (
                json!({"crit": ["x5t#S256"], "x5t#S256": "a"}),
                "\"x5t#S256\", a header the JOSE standards define",
            ),
            (
                json!({"crit": ["http://example.com/ext"]}),
                "crit lists \"http://example.com/ext\", which is not in the header",
            ),
        ];
        for (header, expected) in cases {
            let problem = crit(header.clone()).unwrap_or_else(|| panic!("{header}"));
            assert!(problem.contains(expected), "{header}: {problem}");
            assert!(problem.contains("RFC 7515 §4.1.11"), "{problem}");
        }
    }

    #[test]
    fn control_characters_in_names_are_escaped() {
        let problem = crit(json!({"crit": ["a\u{1b}[2J"]})).unwrap();
        assert!(!problem.contains('\u{1b}'), "{problem}");
        assert!(problem.contains("\\u{1b}"), "{problem}");
    }

    #[test]
    fn time_claims_must_be_numbers() {
        let ok = object(json!({"exp": 1_700_000_000, "nbf": 1.5, "iat": -3, "sub": "u"}));
        assert_eq!(numeric_date_problem(&ok), None);
        assert_eq!(numeric_date_problem(&object(json!({}))), None);
        let cases = [
            (
                json!({"exp": "1700000000"}),
                "exp is a string, not a NumericDate (RFC 7519 §2)",
            ),
            (
                json!({"exp": 1, "nbf": true}),
                "nbf is a boolean, not a NumericDate (RFC 7519 §2)",
            ),
            (
                json!({"iat": {"$date": 1}}),
                "iat is an object, not a NumericDate (RFC 7519 §2)",
            ),
            (
                json!({"exp": null}),
                "exp is null, not a NumericDate (RFC 7519 §2)",
            ),
            (
                json!({"exp": [1]}),
                "exp is an array, not a NumericDate (RFC 7519 §2)",
            ),
        ];
        for (claims, expected) in cases {
            assert_eq!(
                numeric_date_problem(&object(claims.clone())).as_deref(),
                Some(expected),
                "{claims}"
            );
        }
    }
}
