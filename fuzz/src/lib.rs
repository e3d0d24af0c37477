//! What each fuzz target does with its input, and the invariants it asserts.
//!
//! The targets in `fuzz_targets/` are one line each: they hand libFuzzer's input to a
//! function here. `tests/fuzz_seeds.rs` in the main package includes this file too and
//! replays the committed seed corpus through the same functions on stable Rust, so every
//! input that once reached new coverage (or crashed) stays a regression test in CI.
//!
//! Structure-aware inputs (`arbitrary`) build real tokens — a JOSE header and claims that
//! look like the ones identity providers issue, signed or not — because random bytes
//! almost never base64url-encode a JSON object, and would never reach the rules.

use std::path::Path;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Map, Number, Value};

use jwtlens_engine::analysis::{analyse, DocumentContext, TokenReport};
use jwtlens_engine::config::Config;
use jwtlens_engine::decode::{Body, DecodedToken};
use jwtlens_engine::hover;
use jwtlens_engine::scan::{scan, Candidate, MAX_HEADER_LEN};
use jwtlens_jose::fingerprint;
use jwtlens_jose::segment::decode_segment;
use jwtlens_jwks::fetched_keys;
use jwtlens_keys::key::{Key, Origin};
use jwtlens_keys::ring::dotenv_secrets;
use jwtlens_keys::verify::{RemoteOutcome, RemoteResults};
use jwtlens_settings::KeySettings;

/// "Now" for every analysis: fixed, so a crash reproduces whatever day it is replayed.
pub const NOW: i64 = 1_800_000_000;

/// The HMAC secret the fuzz workspace knows (`keys.secrets`), so verification succeeds
/// for tokens the input chooses to sign with it.
const WORKSPACE_SECRET: &str = "fuzz-workspace-secret-0123456789abcdef";

/// A public sample secret (jwt.io's), which JWT rules must recognise as forgeable.
const PUBLIC_SECRET: &str = "your-256-bit-secret";

/// Rejects inputs that `fuzz_target!` would not run (too short for the type's minimum),
/// then builds the value the way `fuzz_target!` does.
pub fn structured<'a, T: Arbitrary<'a>>(data: &'a [u8]) -> Option<T> {
    if data.len() < T::size_hint(0).0 {
        return None;
    }
    T::arbitrary_take_rest(Unstructured::new(data)).ok()
}

// ---------------------------------------------------------------------------------------
// scan: arbitrary bytes

/// Scans arbitrary bytes and checks what the scanner promises: candidates in order,
/// non-overlapping, inside the text, with 3 or 5 segments inside the token, each of which
/// decodes (the scanner has already read the header, or found it broken).
pub fn scan_bytes(data: &[u8]) {
    let candidates = scan(data);
    check_candidates(data, &candidates);
    for candidate in &candidates {
        let token = DecodedToken::decode(data, candidate)
            .expect("every candidate decodes (a broken header as far as it goes)");
        // A header the scanner found broken is kept with its reason and read as empty.
        assert!(
            token.header_error.is_some() || token.header.get("alg").is_some_and(Value::is_string)
        );
        let _ = fingerprint(token.compact(data));
    }
}

fn check_candidates(text: &[u8], candidates: &[Candidate]) {
    let mut end_of_previous = 0;
    for candidate in candidates {
        let range = &candidate.range;
        assert!(
            end_of_previous <= range.start,
            "candidates overlap or are out of order"
        );
        assert!(range.start < range.end && range.end <= text.len());
        assert!(text[range.start..].starts_with(b"eyJ"));
        assert!(matches!(candidate.segments.len(), 3 | 5));
        // Segments tile the token's frame: its range, or the joined text of a split token,
        // which starts like the range and is never longer than it (joins are dropped).
        let frame = candidate.frame(text);
        let tiled = match &candidate.joined {
            None => range.clone(),
            Some(joined) => {
                assert!(joined.starts_with("eyJ"));
                assert!(joined.len() < range.len(), "a split token drops its joins");
                0..joined.len()
            }
        };
        assert_eq!(candidate.segments[0].start, tiled.start);
        assert_eq!(candidate.segments.last().unwrap().end, tiled.end);
        for pair in candidate.segments.windows(2) {
            assert_eq!(pair[0].end + 1, pair[1].start, "segments are dot-separated");
            assert_eq!(frame[pair[0].end], b'.');
        }
        end_of_previous = range.end;
    }
}

// ---------------------------------------------------------------------------------------
// decode: token-shaped strings

/// Dot-separated segments after a header segment that starts with `eyJ` (`{"`).
#[derive(Debug, Arbitrary)]
pub struct TokenShape {
    /// Header bytes after the opening `{"`.
    header_tail: Vec<u8>,
    segments: Vec<Segment>,
    /// Text after the token: a `.`, `=` padding or more base64url glue is interesting.
    after: String,
}

#[derive(Debug, Arbitrary)]
enum Segment {
    /// base64url of these bytes, unpadded or padded.
    Encoded { bytes: Vec<u8>, padded: bool },
    /// base64url of a JSON value.
    Json(Json),
    /// Text as is: not base64url, or an empty segment.
    Raw(String),
}

pub fn decode_shape(shape: &TokenShape) {
    let mut header = b"{\"".to_vec();
    header.extend_from_slice(&shape.header_tail);
    let mut text = URL_SAFE_NO_PAD.encode(&header);
    for segment in &shape.segments {
        text.push('.');
        match segment {
            Segment::Encoded { bytes, padded } => {
                let encoded = URL_SAFE_NO_PAD.encode(bytes);
                // Round trip: any base64url segment within the cap decodes to its bytes.
                assert_eq!(
                    decode_segment(encoded.as_bytes()).as_deref(),
                    Ok(&bytes[..])
                );
                text.push_str(&encoded);
                if *padded {
                    text.push_str(&"=".repeat((4 - encoded.len() % 4) % 4));
                }
            }
            Segment::Json(json) => {
                text.push_str(&URL_SAFE_NO_PAD.encode(json.to_value(0).to_string()))
            }
            Segment::Raw(raw) => text.push_str(raw),
        }
    }
    text.push_str(&shape.after);
    scan_bytes(text.as_bytes());
}

// ---------------------------------------------------------------------------------------
// analyse: real-looking tokens through every rule

/// A JSON value of bounded depth (deeper levels become `null`).
#[derive(Debug, Arbitrary)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Name(ClaimName),
    Array(Vec<Json>),
    Object(Vec<(ClaimName, Json)>),
}

const MAX_DEPTH: usize = 6;

impl Json {
    fn to_value(&self, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::from(*i),
            Json::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Json::Str(s) => Value::String(s.clone()),
            Json::Name(name) => Value::String(name.text()),
            Json::Array(items) => items.iter().map(|item| item.to_value(depth + 1)).collect(),
            Json::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, value)| (name.text(), value.to_value(depth + 1)))
                    .collect(),
            ),
        }
    }
}

/// Claim and header names the providers and rules look at, or any other name.
#[derive(Debug, Arbitrary)]
pub enum ClaimName {
    Known(u8),
    Other(String),
}

const KNOWN_NAMES: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "azp",
    "sid",
    "scope",
    "scp",
    "roles",
    "role",
    "permissions",
    "tid",
    "oid",
    "org_id",
    "org_role",
    "org_slug",
    "org_permissions",
    "o",
    "id",
    "rol",
    "per",
    "fpm",
    "fea",
    "v",
    "sts",
    "act",
    "app_metadata",
    "user_metadata",
    "tenant_id",
    "realm_access",
    "resource_access",
    "cognito:groups",
    "token_use",
    "client_id",
    "custom:tenant_id",
    "firebase",
    "tenant",
    "org_code",
    "org_id_to_org_member_info",
    "tenantId",
    "tenants",
    "urn:zitadel:iam:org:id",
    "urn:zitadel:iam:org:project:roles",
    "https://hasura.io/jwt/claims",
    "x-hasura-default-role",
    "x-hasura-allowed-roles",
    "email",
    "email_verified",
    "is_anonymous",
    "aal",
    "amr",
    "auth_time",
    "nonce",
    "session_id",
    "ver",
    "wids",
    "groups",
    "entitlements",
    "hd",
    "user_id",
    "uid",
    "project_id",
    "ref",
    "alg",
    "typ",
    "kid",
    "cty",
    "crit",
    "jku",
    "jwk",
    "x5u",
    "x5c",
    "x5t",
    "x5t#S256",
    "b64",
    "enc",
    "zip",
    "epk",
    "apu",
    "apv",
    "p2s",
    "p2c",
    "iv",
    "tag",
    "jwtlens",
];

impl ClaimName {
    fn text(&self) -> String {
        match self {
            ClaimName::Known(i) => KNOWN_NAMES[*i as usize % KNOWN_NAMES.len()].to_owned(),
            ClaimName::Other(name) => name.clone(),
        }
    }
}

const ALGORITHMS: &[&str] = &[
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
    "Ed25519",
    "none",
    "None",
    "NONE",
    "dir",
    "RSA-OAEP",
    "RSA-OAEP-256",
    "A256KW",
    "ECDH-ES",
    "PBES2-HS256+A128KW",
    "",
];

/// Issuers the built-in provider profiles recognise, and some that only nearly match.
const ISSUERS: &[&str] = &[
    "https://clerk.example.com",
    "https://adapted-mole-42.clerk.accounts.dev",
    "https://api.workos.com/user_management/client_01ABC",
    "https://tenant.eu.auth0.com/",
    "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
    "https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/",
    "supabase",
    "https://abcdefghijklmnop.supabase.co/auth/v1",
    "https://securetoken.google.com/my-project",
    "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf",
    "https://dev-123.okta.com/oauth2/default",
    "https://keycloak.example.com/realms/acme",
    "accounts.google.com",
    "https://accounts.google.com",
    "P2abcdefghijklmnopqrstuvwxyz",
    "https://acme.kinde.com",
    "https://acme.frontegg.com",
    "https://acme.zitadel.cloud",
    "https://auth.propelauth.com",
    "https://api.stack-auth.com/api/v1/projects/abc",
    "https://clerk.",
    "http://localhost:8080/realms/",
];

#[derive(Debug, Arbitrary)]
pub struct TokenInput {
    alg: u8,
    header: Vec<(ClaimName, Json)>,
    issuer: Option<Issuer>,
    times: [Option<Time>; 4],
    claims: Vec<(ClaimName, Json)>,
    signature: Signature,
    jwe: bool,
    before: Surrounding,
    after: Surrounding,
    in_fixture_path: bool,
    remote: Option<bool>,
}

#[derive(Debug, Arbitrary)]
enum Issuer {
    Known(u8),
    Other(Json),
}

/// `exp`, `nbf`, `iat`, `auth_time`.
const TIME_CLAIMS: [&str; 4] = ["exp", "nbf", "iat", "auth_time"];

#[derive(Debug, Arbitrary)]
enum Time {
    /// Seconds from [`NOW`].
    Relative(i32),
    Absolute(i64),
    Float(f64),
    Text(String),
}

#[derive(Debug, Arbitrary)]
enum Signature {
    Empty,
    /// HMAC with the workspace's configured secret (verifies).
    WorkspaceSecret,
    /// HMAC with a publicly known secret (forgeable).
    PublicSecret,
    Bytes(Vec<u8>),
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum Surrounding {
    Nothing,
    Bearer,
    EnvAssignment,
    JsonString,
    QueryParameter,
    InlineIgnore,
    Text(String),
}

impl Surrounding {
    fn text(&self, before: bool) -> String {
        let text = match (self, before) {
            (Surrounding::Nothing, _) => "",
            (Surrounding::Bearer, true) => "Authorization: Bearer ",
            (Surrounding::EnvAssignment, true) => "API_TOKEN=",
            (Surrounding::JsonString, _) => "\"",
            (Surrounding::QueryParameter, true) => "https://app.example.com/cb?id_token=",
            (Surrounding::QueryParameter, false) => "&state=xyz",
            (Surrounding::InlineIgnore, _) => " // jwtlens: ignore JWT101\n",
            (Surrounding::Text(text), _) => text,
            (_, false) => "\n",
        };
        text.to_owned()
    }
}

impl TokenInput {
    /// The token's compact serialisation, and whether the scanner must find it: its header
    /// has string `alg` (and `enc`, if any) and fits the header cap, and its signature is
    /// base64url.
    fn token(&self) -> (String, bool) {
        let alg = ALGORITHMS[self.alg as usize % ALGORITHMS.len()];
        let mut header = Map::new();
        header.insert("alg".into(), Value::from(alg));
        for (name, value) in &self.header {
            header.insert(name.text(), value.to_value(1));
        }
        if self.jwe {
            header.insert("enc".into(), Value::from("A256GCM"));
        }
        let mut claims = Map::new();
        match &self.issuer {
            Some(Issuer::Known(i)) => {
                claims.insert(
                    "iss".into(),
                    Value::from(ISSUERS[*i as usize % ISSUERS.len()]),
                );
            }
            Some(Issuer::Other(json)) => {
                claims.insert("iss".into(), json.to_value(1));
            }
            None => {}
        }
        for (name, time) in TIME_CLAIMS.iter().zip(&self.times) {
            let value = match time {
                Some(Time::Relative(seconds)) => Value::from(NOW + i64::from(*seconds)),
                Some(Time::Absolute(seconds)) => Value::from(*seconds),
                Some(Time::Float(seconds)) => Json::Float(*seconds).to_value(0),
                Some(Time::Text(text)) => Value::from(text.as_str()),
                None => continue,
            };
            claims.insert((*name).into(), value);
        }
        for (name, value) in &self.claims {
            claims.insert(name.text(), value.to_value(1));
        }
        let recognisable = header.get("alg").is_some_and(Value::is_string)
            && header.get("enc").is_none_or(Value::is_string);
        let header = URL_SAFE_NO_PAD.encode(Value::Object(header).to_string());
        let recognisable = recognisable && header.len() <= MAX_HEADER_LEN;
        let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
        if self.jwe {
            // Encrypted key, IV, ciphertext, tag: shapes only, nothing here decrypts.
            let token =
                format!("{header}.{payload}.AAAAAAAAAAAAAAAA.{payload}.AAAAAAAAAAAAAAAAAAAAAA");
            return (token, recognisable);
        }
        let signing_input = format!("{header}.{payload}");
        let hmac = |secret: &str| {
            let algorithm = match alg {
                "HS384" => Algorithm::HS384,
                "HS512" => Algorithm::HS512,
                _ => Algorithm::HS256,
            };
            jsonwebtoken::crypto::sign(
                signing_input.as_bytes(),
                &EncodingKey::from_secret(secret.as_bytes()),
                algorithm,
            )
            .expect("HMAC signing cannot fail")
        };
        let signature = match &self.signature {
            Signature::Empty => String::new(),
            Signature::WorkspaceSecret => hmac(WORKSPACE_SECRET),
            Signature::PublicSecret => hmac(PUBLIC_SECRET),
            Signature::Bytes(bytes) => URL_SAFE_NO_PAD.encode(bytes),
            Signature::Raw(raw) => raw.clone(),
        };
        let base64url = signature
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        (
            format!("{signing_input}.{signature}"),
            recognisable && base64url,
        )
    }
}

fn workspace_config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let settings = serde_json::json!({
            "keys": { "secrets": [WORKSPACE_SECRET] },
            "allow": [{ "rules": ["JWT104"], "claims": { "sub": "allowed-user" } }],
            "policy": {
                "issuers": ["https://tenant.eu.auth0.com/"],
                "audiences": ["https://api.example.com"],
                "required_claims": ["sub"],
                "permissions_claim": "permissions",
            },
        });
        Config::from_sources(None, Some(&settings)).expect("the fuzz settings compile")
    })
}

/// Analyses a document holding one generated token, renders everything the editor would
/// show, and checks the invariants: every range lies inside the document on char
/// boundaries, and a token set apart by whitespace is found where it was put.
pub fn analyse_token(input: &TokenInput) {
    let (token, recognisable) = input.token();
    let before = input.before.text(true);
    let after = input.after.text(false);
    let document = format!("{before}{token}{after}");
    let config = workspace_config();
    let remote: Option<RemoteResults> = input.remote.map(|verified| {
        let outcome = if verified {
            RemoteOutcome::Verified {
                kid: None,
                url: "https://idp.example/jwks".into(),
                at: NOW,
                workspace_configured: false,
            }
        } else {
            RemoteOutcome::Failed {
                reason: "no key".into(),
            }
        };
        [(fingerprint(token.as_bytes()), outcome)]
            .into_iter()
            .collect()
    });
    let path = input
        .in_fixture_path
        .then(|| Path::new("tests/fixtures/tokens.json"));
    let cx = DocumentContext {
        path,
        config,
        now: NOW,
        remote: remote.as_ref(),
    };
    let reports = analyse(document.as_bytes(), &cx);
    for report in &reports {
        check_report(&document, report);
    }
    let set_apart = |text: &str, at_end: bool| {
        let byte = if at_end {
            text.bytes().next()
        } else {
            text.bytes().last()
        };
        byte.is_none_or(|byte| byte.is_ascii_whitespace() || byte == b'"')
    };
    if recognisable && set_apart(&before, false) && set_apart(&after, true) {
        let range = before.len()..before.len() + token.len();
        assert!(
            reports.iter().any(|report| report.token.range == range),
            "the token at {range:?} was not found in {document:?}"
        );
    }
}

fn check_report(document: &str, report: &TokenReport) {
    let inside = |range: &std::ops::Range<usize>| {
        range.start <= range.end
            && range.end <= document.len()
            && document.is_char_boundary(range.start)
            && document.is_char_boundary(range.end)
    };
    assert!(inside(&report.token.range));
    for finding in &report.findings {
        assert!(
            inside(&finding.range),
            "{} at {:?}",
            finding.rule.code,
            finding.range
        );
        assert!(!finding.message.is_empty());
    }
    if let Body::Claims(_) = report.token.body {
        assert!(report.token.claims().is_some());
    }
    let markdown = hover::render(report, document.as_bytes(), NOW, hover::Findings::Listed);
    assert!(!markdown.is_empty());
    let _ = hover::summary(report, NOW);
    let _ = hover::decoded_json(report).to_string();
}

// ---------------------------------------------------------------------------------------
// config: .jwtlens.toml text and editor settings

/// The first byte picks the source: a `.jwtlens.toml` text, or editor settings as JSON.
/// Either must give a config or an error, never a panic; a config must then analyse a
/// document without panicking (its globs, levels and providers are all used).
pub fn config_text(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let config = if mode % 2 == 0 {
        Config::from_sources(Some(text), None)
    } else {
        let Ok(editor) = serde_json::from_str::<Value>(text) else {
            return;
        };
        Config::from_sources(None, Some(&editor))
    };
    let Ok(config) = config else {
        return;
    };
    const SAMPLE: &str = "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL3RlbmFudC5ldS5hdXRoMC5jb20vIiwic3ViIjoiYXV0aDB8MTIzIiwiZXhwIjoxNzAwMDAwMDAwfQ.c2ln";
    for path in [
        None,
        Some(Path::new("src/app.ts")),
        Some(Path::new("tests/a.json")),
    ] {
        let cx = DocumentContext {
            path,
            config: &config,
            now: NOW,
            remote: None,
        };
        for report in analyse(SAMPLE.as_bytes(), &cx) {
            check_report(SAMPLE, &report);
        }
    }
}

// ---------------------------------------------------------------------------------------
// keys: PEM/JWK/JWKS files, dotenv files, fetched JWKS and discovery documents

/// The first byte picks the loader; the rest is the file or response body. Every key
/// that loads is then asked to verify a token, so the key material is really used.
pub fn key_material(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let keys = match mode % 4 {
        0 => Key::from_bytes(body, "fuzz.key", Origin::Workspace).unwrap_or_default(),
        1 => {
            let settings = KeySettings::default();
            let (keys, problem) = dotenv_secrets(body, ".env", &settings);
            if let Some(problem) = problem {
                assert!(!problem.reason.is_empty());
            }
            keys
        }
        2 => {
            let url = url::Url::parse("https://idp.example/.well-known/jwks.json").unwrap();
            match jwtlens_jwks::parse_keys(&url, body) {
                Ok(fetched) => fetched_keys(&fetched),
                Err(_) => Vec::new(),
            }
        }
        _ => {
            let url =
                url::Url::parse("https://idp.example/.well-known/openid-configuration").unwrap();
            let _ = jwtlens_jwks::parse_discovery(&url, body);
            Vec::new()
        }
    };
    const SIGNING_INPUT: &[u8] = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0";
    for key in &keys {
        for alg in ["HS256", "RS256", "PS384", "ES256", "ES512", "EdDSA"] {
            let _ = key.verify(alg, SIGNING_INPUT, "c2lnbmF0dXJl");
        }
    }
}
