//! The keys a workspace already has, and what they say about each token: offline, local
//! and cheap, so it runs with every analysis (cached per token text).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use jwtlens_settings::KeySettings;
use serde_json::{Map, Value};

use crate::key::{Capped, Family, Key, KeyError, KeyIndex, Mismatch, Origin, MAX_KEYS_PER_TOKEN};
use crate::mint::TestKeys;
use crate::workspace_files::{ConfinedDir, FileError, Links, MAX_FILE_SIZE};

/// Dotenv files searched for secrets at the workspace root.
const DOTENV_FILES: &[&str] = &[".env", ".env.local", ".env.test"];

/// Variable-name endings that hold JWT signing secrets by convention (`JWT_SECRET`,
/// `SUPABASE_JWT_SECRET`, `AUTH_SECRET`, `NEXTAUTH_SECRET`, `JWT_SIGNING_KEY`…).
const SECRET_NAME_ENDINGS: &[&str] = &[
    "JWT_SECRET",
    "JWT_KEY",
    "JWT_SIGNING_KEY",
    "JWT_SIGNING_SECRET",
    "AUTH_SECRET",
    "TOKEN_SECRET",
];

/// Why a dotenv file stops being read, without its text: dotenvy's message quotes the
/// line, which may hold a secret, and problems are shown in the editor and in CI logs.
fn dotenv_problem(text: &[u8], err: &dotenvy::Error) -> String {
    match err {
        dotenvy::Error::LineParse(line, _) => {
            let at = memchr::memmem::find(text, line.as_bytes());
            let number = at.map(|at| memchr::memchr_iter(b'\n', &text[..at]).count() + 1);
            let line = number
                .map(|n| format!("line {n}"))
                .unwrap_or("a line".into());
            format!("{line} cannot be parsed (not shown: it may hold a secret); the variables after it are not read")
        }
        other => other.to_string(),
    }
}

/// A key file named in `keys.files`, read inside the workspace.
fn read_workspace_file(workspace: &ConfinedDir, file: &str) -> Result<Vec<u8>, KeyError> {
    workspace
        .read(Path::new(file), MAX_FILE_SIZE, Links::FollowInside)
        .map_err(|err| KeyError {
            source: file.to_owned(),
            reason: format!("cannot read: {err}"),
        })
}

/// Cached verdicts are dropped past this many distinct tokens (memory stays bounded).
const CACHE_LIMIT: usize = 100_000;

/// A signed token (a JWS) as the key ring judges it: the parts of its text that a verifier
/// reads, cut out by the engine's decoder.
#[derive(Debug, Clone, Copy)]
pub struct SignedToken<'a> {
    /// The whole token, as written: what verdicts are cached by.
    pub text: &'a [u8],
    pub header: &'a Map<String, Value>,
    /// `header.payload` exactly as received: what the signature covers.
    pub signing_input: &'a [u8],
    /// The signature segment's base64url text.
    pub signature: &'a str,
}

impl SignedToken<'_> {
    /// The header's `alg`, as written.
    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    /// The header's `kid`, when it is a string.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }
}

/// What the workspace keys say about one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: Outcome,
    /// An HS* token whose HMAC secret is the text of a public key (RS→HS confusion).
    pub confusion: Option<usize>,
    /// The signature search stopped at [`MAX_KEYS_PER_TOKEN`] without a key verifying it.
    pub capped: Option<Capped>,
    /// The RS→HS confusion search stopped at [`MAX_KEYS_PER_TOKEN`] public keys.
    pub confusion_capped: Option<Capped>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The key at this index verifies the token.
    Verified(usize),
    /// The key at this index claims to cover the token (same `kid`, or the only HMAC
    /// secret) but does not verify it.
    Failed(usize, Mismatch),
    /// No key verifies it and none claims to.
    Uncovered,
    /// No key was tried: the token is invalid whatever its key (an unknown or malformed
    /// `crit`, see [`jwtlens_jose::crit_problem`]); holds why.
    Refused(String),
}

/// Every key found, and why some could not be read.
#[derive(Default)]
pub struct KeyRing {
    keys: Vec<Key>,
    pub problems: Vec<KeyError>,
    /// How `keys` are looked up, built on first use (once every key is loaded).
    lookup: OnceLock<Lookup>,
    /// Signature checks run so far (each one a cryptographic verification).
    checks: AtomicU64,
    cache: Mutex<HashMap<u64, Verdict>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &self.keys)
            .field("problems", &self.problems)
            .finish()
    }
}

/// The HMAC secrets in one dotenv file's text: variables with a conventional secret name
/// or configured for this file. Parsing stops at the first bad line, which is reported.
pub fn dotenv_secrets(
    text: &[u8],
    file: &str,
    settings: &KeySettings,
) -> (Vec<Key>, Option<KeyError>) {
    let mut keys = Vec::new();
    for entry in dotenvy::from_read_iter(text) {
        let (name, value) = match entry {
            Ok(pair) => pair,
            Err(err) => {
                let problem = KeyError {
                    source: file.to_owned(),
                    reason: dotenv_problem(text, &err),
                };
                return (keys, Some(problem));
            }
        };
        let wanted = SECRET_NAME_ENDINGS
            .iter()
            .any(|ending| name.ends_with(ending))
            || settings
                .dotenv
                .iter()
                .any(|entry| entry.file == file && entry.var == name);
        if wanted && !value.is_empty() {
            keys.push(Key::hmac(
                value.as_bytes(),
                format!("{file}: {name}"),
                Origin::Workspace,
            ));
        }
    }
    (keys, None)
}

impl KeyRing {
    /// Gathers keys from the settings, the root's dotenv files and the test key folder.
    pub fn load(
        root: Option<&Path>,
        settings: &KeySettings,
        test_keys: Option<&TestKeys>,
    ) -> KeyRing {
        let mut ring = KeyRing::default();
        for (i, secret) in settings.secrets.iter().enumerate() {
            ring.keys.push(Key::hmac(
                secret.as_bytes(),
                format!("keys.secrets[{i}] in config"),
                Origin::Workspace,
            ));
        }
        for name in &settings.secret_env {
            match std::env::var(name) {
                Ok(secret) => ring.keys.push(Key::hmac(
                    secret.as_bytes(),
                    format!("${name}"),
                    Origin::Workspace,
                )),
                Err(_) => ring.problems.push(KeyError {
                    source: format!("${name}"),
                    reason: "not set".into(),
                }),
            }
        }
        if let Some(root) = root {
            let workspace = ConfinedDir::new(root);
            ring.load_dotenv(&workspace, settings);
            ring.load_files(&workspace, &settings.files);
        }
        if let Some(test_keys) = test_keys {
            let (keys, problems) = test_keys.load_verification_keys();
            ring.keys.extend(keys);
            ring.problems.extend(problems);
        }
        ring
    }

    /// Only the keys in these PEM, JWK or JWKS files, relative to the workspace root: a
    /// named policy's own keys.
    pub fn from_files(root: &Path, files: &[String]) -> KeyRing {
        let mut ring = KeyRing::default();
        ring.load_files(&ConfinedDir::new(root), files);
        ring
    }

    fn load_files(&mut self, workspace: &ConfinedDir, files: &[String]) {
        for file in files {
            let loaded = read_workspace_file(workspace, file)
                .and_then(|bytes| Key::from_bytes(&bytes, file, Origin::Workspace));
            match loaded {
                Ok(keys) => self.keys.extend(keys),
                Err(err) => self.problems.push(err),
            }
        }
    }

    fn lookup(&self) -> &Lookup {
        self.lookup.get_or_init(|| Lookup::new(&self.keys))
    }

    /// Secrets in the root's dotenv files. A missing file is skipped; one that is refused
    /// (a link out of the workspace, a FIFO, too large) is reported.
    fn load_dotenv(&mut self, workspace: &ConfinedDir, settings: &KeySettings) {
        let configured = settings.dotenv.iter().map(|entry| entry.file.as_str());
        let files: Vec<&str> = DOTENV_FILES.iter().copied().chain(configured).collect();
        for (i, file) in files.iter().enumerate() {
            if files[..i].contains(file) {
                continue;
            }
            let text = match workspace.read(Path::new(file), MAX_FILE_SIZE, Links::FollowInside) {
                Ok(text) => text,
                Err(FileError::Missing) => continue,
                Err(err) => {
                    self.problems.push(KeyError {
                        source: (*file).to_owned(),
                        reason: err.to_string(),
                    });
                    continue;
                }
            };
            let (keys, problem) = dotenv_secrets(&text, file, settings);
            self.keys.extend(keys);
            self.problems.extend(problem);
        }
    }

    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn key(&self, index: usize) -> &Key {
        &self.keys[index]
    }

    /// The verdict for a signed token, cached by the token's text; `None` when the ring
    /// has no key.
    pub fn verdict(&self, token: &SignedToken) -> Option<Verdict> {
        if self.keys.is_empty() {
            return None;
        }
        let mut hasher = DefaultHasher::new();
        token.text.hash(&mut hasher);
        let cache_key = hasher.finish();
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(verdict) = cache.get(&cache_key) {
            return Some(verdict.clone());
        }
        drop(cache);
        let verdict = self.compute(token);
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(cache_key, verdict.clone());
        Some(verdict)
    }

    /// Signature checks run so far by this ring: each one a cryptographic verification,
    /// for the signature or for RS→HS confusion. Bounded per token by
    /// [`MAX_KEYS_PER_TOKEN`] each.
    pub fn signature_checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// Verifies with one key, counting the check when it runs.
    fn check(
        &self,
        key: &Key,
        alg: &str,
        signing_input: &[u8],
        signature: &str,
    ) -> Result<(), Mismatch> {
        if let Some(refused) = key.refuses(alg) {
            return Err(refused);
        }
        self.checks.fetch_add(1, Ordering::Relaxed);
        key.verify(alg, signing_input, signature)
    }

    fn compute(&self, token: &SignedToken) -> Verdict {
        let alg = token.alg();
        let signing_input = token.signing_input;
        let signature = token.signature;
        let kid = token.kid();
        let mut capped = None;
        let outcome = if let Some(problem) = jwtlens_jose::crit_problem(token.header) {
            Outcome::Refused(problem)
        } else {
            let candidates = self.lookup().index.candidates(&self.keys, kid, alg);
            let verified = candidates.iter().take(MAX_KEYS_PER_TOKEN).find(|&index| {
                self.check(&self.keys[index], alg, signing_input, signature)
                    .is_ok()
            });
            if verified.is_none() && candidates.len() > MAX_KEYS_PER_TOKEN {
                capped = Some(Capped {
                    tried: MAX_KEYS_PER_TOKEN,
                    candidates: candidates.len(),
                });
            }
            match verified {
                Some(index) => Outcome::Verified(index),
                None => match self.claimant(kid, alg) {
                    Some(index) => {
                        match self.check(&self.keys[index], alg, signing_input, signature) {
                            Ok(()) => Outcome::Verified(index),
                            Err(mismatch) => Outcome::Failed(index, mismatch),
                        }
                    }
                    None => Outcome::Uncovered,
                },
            }
        };
        let (confusion, confusion_capped) = match (&outcome, alg.starts_with("HS")) {
            (Outcome::Verified(_), _) | (_, false) => (None, None),
            _ => self.confusion(kid, alg, signing_input, signature),
        };
        Verdict {
            outcome,
            confusion,
            capped,
            confusion_capped,
        }
    }

    /// The public key whose text is the HMAC secret of an HS* token (RS→HS confusion):
    /// keys with the token's `kid` first (a forger copies the header), then the others,
    /// at most [`MAX_KEYS_PER_TOKEN`] of them.
    fn confusion(
        &self,
        kid: Option<&str>,
        alg: &str,
        signing_input: &[u8],
        signature: &str,
    ) -> (Option<usize>, Option<Capped>) {
        let same_kid = |index: &usize| kid.is_some() && self.keys[*index].kid.as_deref() == kid;
        let public_keys = &self.lookup().public_keys;
        let first = public_keys.iter().filter(|index| same_kid(index));
        let then = public_keys.iter().filter(|index| !same_kid(index));
        let mut candidates = first.chain(then).copied();
        let found = candidates.by_ref().take(MAX_KEYS_PER_TOKEN).find(|&index| {
            confusion_secrets(&self.keys[index].public_text).any(|secret| {
                let forged_with = Key::hmac(secret, "", Origin::Workspace);
                self.check(&forged_with, alg, signing_input, signature)
                    .is_ok()
            })
        });
        let left = candidates.count();
        let capped = (found.is_none() && left > 0).then(|| Capped {
            tried: MAX_KEYS_PER_TOKEN,
            candidates: MAX_KEYS_PER_TOKEN + left,
        });
        (found, capped)
    }

    /// The key that claims to cover a token: the one with its `kid`, else the project's
    /// only HMAC secret for an HS* token (unless that secret names another `kid`).
    fn claimant(&self, kid: Option<&str>, alg: &str) -> Option<usize> {
        let lookup = self.lookup();
        if let Some(&index) = kid.and_then(|kid| lookup.index.with_kid(kid).first()) {
            return Some(index);
        }
        if !alg.starts_with("HS") {
            return None;
        }
        match kid {
            Some(_) => lookup.only_secret_without_kid,
            None => lookup.only_secret,
        }
    }
}

/// What [`KeyRing::compute`] looks keys up by, so that a token costs a bounded number of
/// steps however many keys the workspace has.
struct Lookup {
    index: KeyIndex,
    /// The only workspace HMAC secret, and the only one without a `kid`, when there is
    /// exactly one: the key that claims an HS* token (see [`KeyRing::claimant`]).
    only_secret: Option<usize>,
    only_secret_without_kid: Option<usize>,
    /// Keys with a public text (PEM or JWK), for the RS→HS confusion check.
    public_keys: Vec<usize>,
}

impl Lookup {
    fn new(keys: &[Key]) -> Lookup {
        let only = |with_kid_too: bool| {
            let mut secrets = keys.iter().enumerate().filter(|(_, key)| {
                key.family == Family::Hmac
                    && key.origin == Origin::Workspace
                    && (with_kid_too || key.kid.is_none())
            });
            match (secrets.next(), secrets.next()) {
                (Some((index, _)), None) => Some(index),
                _ => None,
            }
        };
        Lookup {
            index: KeyIndex::new(keys),
            only_secret: only(true),
            only_secret_without_kid: only(false),
            public_keys: (0..keys.len())
                .filter(|&index| !keys[index].public_text.is_empty())
                .collect(),
        }
    }
}

/// The byte strings an attacker would try as the HMAC secret: the key file as written,
/// and without surrounding whitespace.
fn confusion_secrets(public_text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let trimmed = public_text.trim_ascii();
    std::iter::once(public_text).chain((trimmed.len() != public_text.len()).then_some(trimmed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    use jwtlens_jose::segment::decode_object;
    use serde_json::json;

    fn hs256(secret: &[u8], kid: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = kid.map(str::to_owned);
        encode(
            &header,
            &json!({"sub": "u", "iss": "https://api.acme.io"}),
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    fn ring_with(files: &[(&str, &str)], settings: KeySettings) -> (tempfile::TempDir, KeyRing) {
        let dir = tempfile::tempdir().unwrap();
        for (name, contents) in files {
            std::fs::write(dir.path().join(name), contents).unwrap();
        }
        let ring = KeyRing::load(Some(dir.path()), &settings, None);
        (dir, ring)
    }

    /// The ring's verdict on a compact JWS `header.payload.signature`.
    fn verdict(ring: &KeyRing, token: &str) -> Verdict {
        let (signing_input, signature) = token.rsplit_once('.').unwrap();
        let header = decode_object(token.split('.').next().unwrap().as_bytes()).unwrap();
        let signed = SignedToken {
            text: token.as_bytes(),
            header: &header,
            signing_input: signing_input.as_bytes(),
            signature,
        };
        ring.verdict(&signed).unwrap()
    }

    #[test]
    fn dotenv_secrets_are_paired_by_name() {
        let env = "PORT=3000\nJWT_SECRET=dev-secret-123\nNEXTAUTH_SECRET=\"nextauth-secret\"\nDATABASE_URL=postgres://x\n";
        let (_dir, ring) = ring_with(&[(".env", env)], KeySettings::default());
        let sources: Vec<&str> = ring.keys.iter().map(|key| key.source.as_str()).collect();
        assert_eq!(sources, [".env: JWT_SECRET", ".env: NEXTAUTH_SECRET"]);
        match verdict(&ring, &hs256(b"nextauth-secret", None)).outcome {
            Outcome::Verified(index) => assert_eq!(ring.key(index).source, ".env: NEXTAUTH_SECRET"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_dotenv_line_that_does_not_parse_is_named_not_shown() {
        let env = "JWT_SECRET=first\nAUTH_SECRET=\"unterminated-secret-value\nLATER_JWT_SECRET=x\n";
        let (_dir, ring) = ring_with(&[(".env", env)], KeySettings::default());
        assert_eq!(
            ring.keys.len(),
            1,
            "the variable before the bad line is kept"
        );
        let problem = ring.problems[0].to_string();
        assert!(
            problem.starts_with(".env: line 2 cannot be parsed"),
            "{problem}"
        );
        assert!(!problem.contains("unterminated-secret-value"), "{problem}");
    }

    #[test]
    fn the_only_secret_claims_every_hs_token() {
        let settings = KeySettings {
            secrets: vec!["the-secret".into()],
            ..KeySettings::default()
        };
        let ring = KeyRing::load(None, &settings, None);
        assert_eq!(
            verdict(&ring, &hs256(b"the-secret", None)).outcome,
            Outcome::Verified(0)
        );
        assert_eq!(
            verdict(&ring, &hs256(b"another", None)).outcome,
            Outcome::Failed(0, Mismatch::BadSignature)
        );
        let two = KeySettings {
            secrets: vec!["a".into(), "b".into()],
            ..KeySettings::default()
        };
        let ring = KeyRing::load(None, &two, None);
        assert_eq!(
            verdict(&ring, &hs256(b"c", None)).outcome,
            Outcome::Uncovered,
            "two secrets: neither claims it"
        );
    }

    #[test]
    fn a_key_with_the_same_kid_claims_the_token() {
        let jwks = json!({"keys": [{"kty": "oct", "kid": "k1", "k": URL_SAFE_NO_PAD.encode(b"jwk-secret")}]});
        let settings = KeySettings {
            files: vec!["keys.json".into()],
            ..KeySettings::default()
        };
        let (_dir, ring) = ring_with(&[("keys.json", &jwks.to_string())], settings);
        assert_eq!(
            verdict(&ring, &hs256(b"jwk-secret", Some("k1"))).outcome,
            Outcome::Verified(0)
        );
        assert_eq!(
            verdict(&ring, &hs256(b"other", Some("k1"))).outcome,
            Outcome::Failed(0, Mismatch::BadSignature)
        );
        assert_eq!(
            verdict(&ring, &hs256(b"other", Some("k2"))).outcome,
            Outcome::Uncovered
        );
    }

    #[test]
    fn rs_to_hs_confusion_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let keys = TestKeys::new(dir.path().join("k"));
        keys.ensure(crate::mint::KeyKind::Rsa).unwrap();
        let jwks = std::fs::read(keys.dir().join(crate::mint::JWKS_FILE)).unwrap();
        let public_pem = {
            let value: serde_json::Value = serde_json::from_slice(&jwks).unwrap();
            let jwk: jsonwebtoken::jwk::Jwk =
                serde_json::from_value(value["keys"][0].clone()).unwrap();
            let jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
                panic!()
            };
            let n = rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(&rsa.n).unwrap());
            let e = rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(&rsa.e).unwrap());
            let public = rsa::RsaPublicKey::new(n, e).unwrap();
            rsa::pkcs8::EncodePublicKey::to_public_key_pem(&public, rsa::pkcs8::LineEnding::LF)
                .unwrap()
        };
        let settings = KeySettings {
            files: vec!["public.pem".into()],
            ..KeySettings::default()
        };
        let (_dir, ring) = ring_with(&[("public.pem", &public_pem)], settings);
        let forged = hs256(public_pem.as_bytes(), None);
        let verdict = verdict(&ring, &forged);
        assert_eq!(verdict.confusion, Some(0));
        assert_eq!(ring.key(0).source, "public.pem");
        assert_eq!(verdict.outcome, Outcome::Uncovered);
    }

    #[test]
    fn unreadable_key_files_are_reported_not_fatal() {
        let settings = KeySettings {
            files: vec!["bad.pem".into(), "missing.pem".into()],
            ..KeySettings::default()
        };
        let (_dir, ring) = ring_with(
            &[(
                "bad.pem",
                "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n",
            )],
            settings,
        );
        assert!(ring.is_empty());
        assert_eq!(ring.problems.len(), 2);
        assert!(ring
            .problems
            .iter()
            .any(|p| p.source == "missing.pem" && p.reason.starts_with("cannot read")));
    }

    /// An HS256 token with this header, signed with `secret`.
    fn hs256_with_header(header: serde_json::Value, secret: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"u"}"#)
        );
        let signature = jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &EncodingKey::from_secret(secret),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{input}.{signature}")
    }

    #[test]
    fn a_token_with_an_unknown_crit_is_never_verified() {
        let settings = KeySettings {
            secrets: vec!["the-secret".into()],
            ..KeySettings::default()
        };
        let ring = KeyRing::load(None, &settings, None);
        let token = hs256_with_header(
            json!({"alg": "HS256", "crit": ["b64"], "b64": false}),
            b"the-secret",
        );
        let refused = verdict(&ring, &token);
        match &refused.outcome {
            Outcome::Refused(why) => assert!(
                why.contains("\"b64\", an extension jwtlens does not understand"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(ring.signature_checks(), 0, "no key is tried");
        // The same token without crit verifies.
        let plain = hs256_with_header(json!({"alg": "HS256"}), b"the-secret");
        assert_eq!(verdict(&ring, &plain).outcome, Outcome::Verified(0));
    }

    /// 100 secrets without a kid and 100 JWKS secrets with one.
    fn crowded_ring() -> (tempfile::TempDir, KeyRing) {
        let jwks = json!({"keys": (0..100).map(|i| json!({
            "kty": "oct", "kid": format!("k{i}"), "k": URL_SAFE_NO_PAD.encode(format!("jwk-{i}")),
        })).collect::<Vec<_>>()});
        let settings = KeySettings {
            secrets: (0..100).map(|i| format!("secret-{i}")).collect(),
            files: vec!["keys.json".into()],
            ..KeySettings::default()
        };
        ring_with(&[("keys.json", &jwks.to_string())], settings)
    }

    #[test]
    fn keys_are_tried_by_kid_first() {
        let (_dir, ring) = crowded_ring();
        let token = hs256(b"jwk-77", Some("k77"));
        match verdict(&ring, &token).outcome {
            Outcome::Verified(index) => assert_eq!(ring.key(index).kid.as_deref(), Some("k77")),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            ring.signature_checks(),
            1,
            "the key with the token's kid, and no other"
        );
        // A kid nobody has: the secrets without a kid, up to the cap.
        let stranger = hs256(b"secret-5", Some("elsewhere"));
        match verdict(&ring, &stranger).outcome {
            Outcome::Verified(index) => {
                assert_eq!(ring.key(index).source, "keys.secrets[5] in config")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ring.signature_checks(), 1 + 6);
    }

    #[test]
    fn the_search_stops_at_the_cap_and_says_so() {
        let (_dir, ring) = crowded_ring();
        let beyond = hs256(b"secret-99", None);
        let stopped = verdict(&ring, &beyond);
        assert_eq!(stopped.outcome, Outcome::Uncovered);
        assert_eq!(
            stopped.capped,
            Some(Capped {
                tried: MAX_KEYS_PER_TOKEN,
                candidates: 200
            })
        );
        assert_eq!(ring.signature_checks(), MAX_KEYS_PER_TOKEN as u64);
        // The same secret, named by kid in the JWKS, is found at once.
        let named = hs256(b"jwk-99", Some("k99"));
        let found = verdict(&ring, &named);
        assert!(matches!(found.outcome, Outcome::Verified(_)));
        assert_eq!(found.capped, None);
    }

    #[test]
    fn the_confusion_search_is_capped_and_prefers_the_tokens_kid() {
        let dir = tempfile::tempdir().unwrap();
        let keys = TestKeys::new(dir.path().join("k"));
        keys.ensure(crate::mint::KeyKind::Rsa).unwrap();
        let jwks: serde_json::Value = serde_json::from_slice(
            &std::fs::read(keys.dir().join(crate::mint::JWKS_FILE)).unwrap(),
        )
        .unwrap();
        let mut rsa = jwks["keys"][0].clone();
        let set = json!({"keys": (0..40).map(|i| {
            rsa["kid"] = json!(format!("r{i}"));
            rsa.clone()
        }).collect::<Vec<_>>()});
        let settings = KeySettings {
            files: vec!["public.json".into()],
            ..KeySettings::default()
        };
        let (_dir, ring) = ring_with(&[("public.json", &set.to_string())], settings);
        let last = ring.key(39).public_text.clone();
        let forged_with_kid = hs256(&last, Some("r39"));
        assert_eq!(verdict(&ring, &forged_with_kid).confusion, Some(39));
        let checks = ring.signature_checks();
        let forged = hs256(&last, None);
        let stopped = verdict(&ring, &forged);
        assert_eq!(
            stopped.confusion, None,
            "the 40th public key is past the cap"
        );
        assert_eq!(
            stopped.confusion_capped,
            Some(Capped {
                tried: MAX_KEYS_PER_TOKEN,
                candidates: 40
            })
        );
        let per_key = confusion_secrets(&last).count() as u64;
        assert!(ring.signature_checks() - checks <= MAX_KEYS_PER_TOKEN as u64 * per_key);
    }

    #[test]
    fn verdicts_are_cached_per_token_text() {
        let settings = KeySettings {
            secrets: vec!["s".into()],
            ..KeySettings::default()
        };
        let ring = KeyRing::load(None, &settings, None);
        let token = hs256(b"s", None);
        verdict(&ring, &token);
        verdict(&ring, &token);
        assert_eq!(ring.cache.lock().unwrap().len(), 1);
    }
}
