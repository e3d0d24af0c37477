//! Every public test vector (RFC 7515, 7520, 8037 and well-known sample tokens) gives its
//! expected verification result. The vectors are in `tests/fixtures/vectors.json`.

use jwtlens_keys::key::{Key, Mismatch, Origin};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    serde_json::from_str(include_str!("fixtures/vectors.json")).expect("vectors.json parses")
}

fn split(token: &str) -> (&str, &str) {
    let dot = token.rfind('.').expect("a compact JWS");
    (&token[..dot], &token[dot + 1..])
}

#[test]
fn every_vector_gives_its_expected_result() {
    let vectors = vectors();
    assert!(vectors.len() >= 15, "all the vectors are there");
    for vector in &vectors {
        let name = vector["name"].as_str().unwrap();
        let token = vector["token"].as_str().unwrap();
        let alg = vector["alg"].as_str().unwrap();
        let (signing_input, signature) = split(token);
        let result = match &vector["key_jwk"] {
            Value::Null => Err(Mismatch::Unsigned),
            jwk => {
                let keys = Key::from_json(jwk, name, Origin::Workspace)
                    .unwrap_or_else(|err| panic!("{name}: {err}"));
                keys[0].verify(alg, signing_input.as_bytes(), signature)
            }
        };
        match vector["expected"].as_str().unwrap() {
            "valid" => assert_eq!(result, Ok(()), "{name}"),
            "invalid" => assert!(result.is_err(), "{name} must not verify"),
            other => panic!("{name}: unknown expectation {other}"),
        }
    }
}

#[test]
fn a_tampered_payload_fails_with_every_vector_key() {
    for vector in vectors().iter().filter(|v| v["expected"] == "valid") {
        let name = vector["name"].as_str().unwrap();
        let token = vector["token"].as_str().unwrap();
        let (signing_input, signature) = split(token);
        let keys = Key::from_json(&vector["key_jwk"], name, Origin::Workspace).unwrap();
        let mut tampered = signing_input.as_bytes().to_vec();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            keys[0].verify(vector["alg"].as_str().unwrap(), &tampered, signature),
            Err(Mismatch::BadSignature),
            "{name}"
        );
    }
}

#[test]
fn hmac_secrets_given_as_text_verify_the_sample_tokens() {
    for vector in vectors().iter().filter(|v| v["secret_utf8"].is_string()) {
        let name = vector["name"].as_str().unwrap();
        let (signing_input, signature) = split(vector["token"].as_str().unwrap());
        let key = Key::hmac(
            vector["secret_utf8"].as_str().unwrap().as_bytes(),
            name,
            Origin::Workspace,
        );
        assert_eq!(
            key.verify("HS256", signing_input.as_bytes(), signature),
            Ok(()),
            "{name}"
        );
    }
}

#[test]
fn unsigned_tokens_never_verify_even_with_a_key() {
    let vectors = vectors();
    let none = vectors.iter().find(|v| v["alg"] == "none").unwrap();
    let (signing_input, signature) = split(none["token"].as_str().unwrap());
    let hmac = vectors
        .iter()
        .find(|v| v["name"] == "rfc7515-A.1-HS256")
        .unwrap();
    let key = &Key::from_json(&hmac["key_jwk"], "A.1", Origin::Workspace).unwrap()[0];
    assert_eq!(
        key.verify("none", signing_input.as_bytes(), signature),
        Err(Mismatch::Unsigned)
    );
    assert_eq!(
        key.verify("HS256", signing_input.as_bytes(), ""),
        Err(Mismatch::Unsigned)
    );
}

#[test]
fn a_key_of_the_wrong_type_says_so() {
    let vectors = vectors();
    let rsa = vectors
        .iter()
        .find(|v| v["name"] == "rfc7515-A.2-RS256")
        .unwrap();
    let ec = vectors
        .iter()
        .find(|v| v["name"] == "rfc7515-A.3-ES256")
        .unwrap();
    let ec_key = &Key::from_json(&ec["key_jwk"], "A.3", Origin::Workspace).unwrap()[0];
    let (signing_input, signature) = split(rsa["token"].as_str().unwrap());
    let mismatch = ec_key
        .verify("RS256", signing_input.as_bytes(), signature)
        .unwrap_err();
    assert_eq!(
        mismatch.to_string(),
        "algorithm/key type mismatch: RS256 cannot be verified with a P-256 key"
    );
}
