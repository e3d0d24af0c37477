//! Invariants of the engine, checked on generated input (proptest): ranges stay inside the
//! document, findings do not depend on what comes before a token, minting and decoding
//! round-trip, and positions convert both ways.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jwtlens_engine::analysis::{analyse, DocumentContext};
use jwtlens_engine::config::Config;
use jwtlens_engine::decode::{Body, DecodedToken};
use jwtlens_engine::scan::scan;
use jwtlens_keys::mint::{self, TestKeys, Variant};
use jwtlens_lsp::position::{Encoding, PositionIndex};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const NOW: i64 = 1_800_000_000;

/// JSON values of bounded depth and size.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Claims as tokens carry them: registered claims with plausible values, and others.
fn claims() -> impl Strategy<Value = Map<String, Value>> {
    let registered = (
        prop::option::of(prop_oneof![
            Just("https://clerk.example.com".to_owned()),
            Just("https://tenant.eu.auth0.com/".to_owned()),
            Just("supabase".to_owned()),
            "https://[a-z]{1,8}\\.example\\.com",
        ]),
        prop::option::of(-100_000i64..100_000),
        prop::option::of(-100_000i64..100_000),
        prop::option::of(prop_oneof![Just(json!("api")), Just(json!(["api", "web"]))]),
    );
    let names = prop_oneof![
        Just("sub".to_owned()),
        Just("role".to_owned()),
        Just("scope".to_owned()),
        Just("permissions".to_owned()),
        Just("org_id".to_owned()),
        Just("tid".to_owned()),
        "[a-z_]{1,10}",
    ];
    let others = prop::collection::btree_map(names, json_value(), 0..5);
    (registered, others).prop_map(|((iss, exp, iat, aud), others)| {
        let mut claims: Map<String, Value> = others.into_iter().collect();
        if let Some(iss) = iss {
            claims.insert("iss".into(), json!(iss));
        }
        if let Some(exp) = exp {
            claims.insert("exp".into(), json!(NOW + exp));
        }
        if let Some(iat) = iat {
            claims.insert("iat".into(), json!(NOW + iat));
        }
        if let Some(aud) = aud {
            claims.insert("aud".into(), aud);
        }
        claims
    })
}

fn token() -> impl Strategy<Value = String> {
    let alg = prop_oneof![
        Just("HS256"),
        Just("RS256"),
        Just("ES256"),
        Just("none"),
        Just("EdDSA")
    ];
    let signature = prop_oneof![Just(Vec::new()), prop::collection::vec(any::<u8>(), 1..80)];
    (alg, claims(), signature).prop_map(|(alg, claims, signature)| {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string()),
            URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string()),
            URL_SAFE_NO_PAD.encode(signature)
        )
    })
}

/// Text around tokens: any characters (multi-byte, line breaks, quotes) but no `eyJ`
/// and no suppression comment.
fn filler() -> impl Strategy<Value = String> {
    "(?s).{0,40}".prop_filter("no token start or suppression", |text: &String| {
        !text.contains("eyJ") && !text.contains("jwtlens")
    })
}

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(Config::default)
}

fn context() -> DocumentContext<'static> {
    DocumentContext {
        path: None,
        config: config(),
        now: NOW,
        remote: None,
    }
}

/// (rule, message, range) of every finding in `text`.
fn findings(text: &str) -> Vec<(&'static str, String, std::ops::Range<usize>)> {
    analyse(text.as_bytes(), &context())
        .into_iter()
        .flat_map(|report| report.findings)
        .map(|finding| (finding.rule.code, finding.message, finding.range))
        .collect()
}

proptest! {
    #[test]
    fn every_range_lies_inside_the_document_on_char_boundaries(
        parts in prop::collection::vec((filler(), token()), 1..4),
        tail in filler(),
    ) {
        let mut text = String::new();
        for (before, token) in &parts {
            text.push_str(before);
            text.push(' ');
            text.push_str(token);
            text.push(' ');
        }
        text.push_str(&tail);
        let reports = analyse(text.as_bytes(), &context());
        // Every token, set apart by spaces, is found: the check below has ranges to check.
        prop_assert_eq!(reports.len(), parts.len());
        for report in reports {
            let ranges = std::iter::once(report.token.range.clone())
                .chain(report.findings.iter().map(|finding| finding.range.clone()));
            for range in ranges {
                prop_assert!(range.start <= range.end && range.end <= text.len());
                prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
            }
        }
    }

    #[test]
    fn text_before_a_token_only_shifts_its_findings(
        prefix in filler(),
        token in token(),
        suffix in filler(),
    ) {
        let document = format!("const token = \"{token}\";\n{suffix}");
        let shifted_document = format!("{prefix}\n{document}");
        let shift = prefix.len() + 1;
        let expected: Vec<_> = findings(&document)
            .into_iter()
            .map(|(code, message, range)| (code, message, range.start + shift..range.end + shift))
            .collect();
        prop_assert_eq!(findings(&shifted_document), expected);
    }

    #[test]
    fn decoding_a_minted_token_gives_back_its_claims(
        claims in claims(),
        alg in prop_oneof![Just("HS256"), Just("ES256"), Just("EdDSA")],
    ) {
        let header: Map<String, Value> = json!({"alg": alg, "typ": "JWT"}).as_object().unwrap().clone();
        let token = mint::mint(test_keys(), &header, &claims, Variant::Replacement, 3600, NOW).unwrap();
        let candidates = scan(token.as_bytes());
        prop_assert_eq!(candidates.len(), 1);
        let decoded = DecodedToken::decode(token.as_bytes(), &candidates[0]).unwrap();
        let Body::Claims(decoded) = decoded.body else {
            panic!("minted claims are readable");
        };
        // `iat` and `exp` are always set fresh; everything else is kept as it was.
        let mut expected = claims.clone();
        expected.insert("iat".into(), json!(NOW));
        expected.insert("exp".into(), json!(NOW + 3600));
        for refreshed in ["nbf", "auth_time"] {
            if expected.contains_key(refreshed) {
                expected.insert(refreshed.into(), json!(NOW));
            }
        }
        prop_assert_eq!(decoded, expected);
    }

    #[test]
    fn positions_and_byte_offsets_round_trip(text in "(?s).{0,60}", at in any::<prop::sample::Index>()) {
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|&offset| text.is_char_boundary(offset))
            // Between `\r` and `\n` is inside one line break: no position names it.
            .filter(|&offset| !(offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text.as_bytes().get(offset) == Some(&b'\n')))
            .collect();
        let offset = boundaries[at.index(boundaries.len())];
        for encoding in [Encoding::Utf16, Encoding::Utf8] {
            let index = PositionIndex::new(&text, encoding);
            let position = index.position(&text, offset);
            prop_assert_eq!(index.offset(&text, position), offset, "{:?} at {:?}", encoding, position);
            let mut cursor = index.ranges(&text);
            prop_assert_eq!(cursor.position(offset), position);
        }
    }
}

fn test_keys() -> &'static TestKeys {
    static KEYS: OnceLock<TestKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        TestKeys::new(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("properties-keys"))
    })
}
