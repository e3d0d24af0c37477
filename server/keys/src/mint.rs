//! The workspace test key and minting: replacement test tokens of the same shape as a
//! committed one, signed by keys that exist only to sign fixtures.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey};
use jwtlens_jose::fingerprint;
use rand::rngs::OsRng;
use rand::RngCore;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::key::{Key, KeyError, Origin};
use crate::workspace_files::{check_name, ConfinedDir, FileError, Links, MAX_FILE_SIZE};

/// The public half of every test key, for the user's own test suite.
pub const JWKS_FILE: &str = "test-keys.jwks.json";

/// The kinds of test key; each is created the first time a token needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa,
    EcP256,
    Ed25519,
    Hmac,
}

impl KeyKind {
    pub const ALL: [KeyKind; 4] = [
        KeyKind::Rsa,
        KeyKind::EcP256,
        KeyKind::Ed25519,
        KeyKind::Hmac,
    ];

    fn file(self) -> &'static str {
        match self {
            KeyKind::Rsa => "test-rsa.pem",
            KeyKind::EcP256 => "test-ec-p256.pem",
            KeyKind::Ed25519 => "test-ed25519.pem",
            KeyKind::Hmac => "test-hmac.secret",
        }
    }

    /// The test key and algorithm that replace a token signed with `alg`: the same family,
    /// and the same algorithm where the test key can do it (every EC token becomes ES256,
    /// the one curve the test key has; an unsigned token becomes RS256).
    pub fn for_alg(alg: &str) -> (KeyKind, &'static str) {
        match alg {
            "RS384" => (KeyKind::Rsa, "RS384"),
            "RS512" => (KeyKind::Rsa, "RS512"),
            "PS256" => (KeyKind::Rsa, "PS256"),
            "PS384" => (KeyKind::Rsa, "PS384"),
            "PS512" => (KeyKind::Rsa, "PS512"),
            "ES256" | "ES384" | "ES512" => (KeyKind::EcP256, "ES256"),
            "EdDSA" => (KeyKind::Ed25519, "EdDSA"),
            "HS256" => (KeyKind::Hmac, "HS256"),
            "HS384" => (KeyKind::Hmac, "HS384"),
            "HS512" => (KeyKind::Hmac, "HS512"),
            _ => (KeyKind::Rsa, "RS256"),
        }
    }
}

/// Errors creating, reading or using test keys.
#[derive(Debug)]
pub struct MintError(pub String);

impl fmt::Display for MintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MintError {}

/// A file error, naming the file.
fn file_error(name: &Path) -> impl Fn(FileError) -> MintError + '_ {
    move |err| MintError(format!("{}: {err}", name.display()))
}

/// The workspace test keys in one folder. Every file is read and written through a
/// [`ConfinedDir`]: the folder stays inside the area it was given, the private keys are
/// created exclusively with mode 0600 and are never read through a symbolic link (a link
/// there would make mint sign with a key from elsewhere), and the public JWKS is replaced
/// by rename, never written through a link.
pub struct TestKeys {
    /// What the key folder and its files must stay inside.
    area: ConfinedDir,
    /// The key folder, relative to the area's root (`.` for the root itself).
    folder: PathBuf,
    dir: PathBuf,
}

impl TestKeys {
    /// Test keys in a folder of the caller's own choosing (`jwtlens keys init --dir`):
    /// their files stay inside it.
    pub fn new(dir: impl Into<PathBuf>) -> TestKeys {
        let dir = dir.into();
        TestKeys {
            area: ConfinedDir::new(dir.clone()),
            folder: PathBuf::from("."),
            dir,
        }
    }

    /// The workspace's test keys in `keys_dir` (from configuration) under `root`: refused
    /// when the name is absolute, has `..` or a control character.
    pub fn in_workspace(root: &Path, keys_dir: &str) -> Result<TestKeys, MintError> {
        let folder = PathBuf::from(keys_dir);
        check_name(&folder)
            .map_err(|err| MintError(format!("mint.keys_dir {keys_dir:?}: {err}")))?;
        Ok(TestKeys {
            area: ConfinedDir::new(root),
            dir: root.join(&folder),
            folder,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, kind: KeyKind) -> PathBuf {
        self.folder.join(kind.file())
    }

    /// Creates every test key that is missing, and the JWKS of their public halves.
    pub fn init(&self) -> Result<Vec<PathBuf>, MintError> {
        let mut created = Vec::new();
        for kind in KeyKind::ALL {
            if self.ensure(kind)? {
                created.push(self.dir.join(kind.file()));
            }
        }
        Ok(created)
    }

    /// Creates the key if nothing is in its place (and refreshes the JWKS); true when it
    /// was created. Something in its place that is not a usable key file is reported
    /// when the key is read.
    pub fn ensure(&self, kind: KeyKind) -> Result<bool, MintError> {
        if self.area.holds(&self.file(kind)) {
            return Ok(false);
        }
        self.area.create_dir_all(&self.folder).map_err(|err| {
            MintError(format!("the test key folder {}: {err}", self.dir.display()))
        })?;
        let file = self.file(kind);
        self.area
            .create_new(&file, &generate(kind)?, 0o600)
            .map_err(file_error(&file))?;
        self.write_jwks()?;
        Ok(true)
    }

    /// Whether this folder holds any test key.
    pub fn exist(&self) -> bool {
        KeyKind::ALL
            .iter()
            .any(|kind| self.area.holds(&self.file(*kind)))
    }

    /// The key id minted tokens carry: a kind prefix and a thumbprint of the public key, so
    /// that two workspaces' test keys never share a `kid`.
    pub fn kid(&self, kind: KeyKind) -> Result<String, MintError> {
        let secret = self.read(kind)?;
        Self::kid_of(kind, &secret)
    }

    fn kid_of(kind: KeyKind, secret: &[u8]) -> Result<String, MintError> {
        let hash = fingerprint(&match kind {
            KeyKind::Hmac => secret.to_vec(),
            _ => serde_json::to_vec(&public_jwk(kind, secret)?).unwrap_or_default(),
        });
        let prefix = match kind {
            KeyKind::Rsa => "rsa",
            KeyKind::EcP256 => "ec",
            KeyKind::Ed25519 => "ed25519",
            KeyKind::Hmac => "hmac",
        };
        Ok(format!("jwtlens-test-{prefix}-{}", &hash[..8]))
    }

    /// A private key's text: a regular file of the folder, never a link.
    fn read(&self, kind: KeyKind) -> Result<Vec<u8>, MintError> {
        let file = self.file(kind);
        self.area
            .read(&file, MAX_FILE_SIZE, Links::Refuse)
            .map_err(file_error(&file))
    }

    /// Signs `header.payload` with the test key of `kind`, creating it if needed.
    fn sign(&self, kind: KeyKind, alg: &str, signing_input: &[u8]) -> Result<String, MintError> {
        self.ensure(kind)?;
        let secret = self.read(kind)?;
        let key = match kind {
            KeyKind::Rsa => EncodingKey::from_rsa_pem(&secret),
            KeyKind::EcP256 => EncodingKey::from_ec_pem(&secret),
            KeyKind::Ed25519 => EncodingKey::from_ed_pem(&secret),
            KeyKind::Hmac => Ok(EncodingKey::from_secret(hmac_secret(&secret))),
        }
        .map_err(|err| MintError(format!("{}: {err}", self.file(kind).display())))?;
        let algorithm: Algorithm = alg
            .parse()
            .map_err(|_| MintError(format!("cannot sign {alg}")))?;
        jsonwebtoken::crypto::sign(signing_input, &key, algorithm)
            .map_err(|err| MintError(err.to_string()))
    }

    /// The test keys as verification keys (public halves, and the HMAC secret).
    pub fn verification_keys(&self) -> Vec<Key> {
        self.load_verification_keys().0
    }

    /// The verification keys, and why any key file present could not be used.
    pub fn load_verification_keys(&self) -> (Vec<Key>, Vec<KeyError>) {
        let mut keys = Vec::new();
        let mut problems = Vec::new();
        for kind in KeyKind::ALL {
            let secret = match self.read(kind) {
                Ok(secret) => secret,
                Err(_) if !self.area.holds(&self.file(kind)) => continue,
                Err(err) => {
                    problems.push(KeyError {
                        source: format!("workspace test key {}", self.file(kind).display()),
                        reason: err.to_string(),
                    });
                    continue;
                }
            };
            let Ok(kid) = Self::kid_of(kind, &secret) else {
                continue;
            };
            let source = format!(
                "workspace test key ({})",
                self.dir.join(kind.file()).display()
            );
            let key = match kind {
                KeyKind::Hmac => Ok(Key::hmac(hmac_secret(&secret), source, Origin::TestKey)),
                _ => published_jwk(kind, &secret).and_then(|jwk| {
                    Key::from_json(&jwk, &source, Origin::TestKey)
                        .map_err(|err| MintError(err.to_string()))
                        .map(|mut keys| keys.remove(0))
                }),
            };
            if let Ok(mut key) = key {
                key.kid = Some(kid);
                keys.push(key);
            }
        }
        (keys, problems)
    }

    fn write_jwks(&self) -> Result<(), MintError> {
        let mut keys = Vec::new();
        for kind in [KeyKind::Rsa, KeyKind::EcP256, KeyKind::Ed25519] {
            let Ok(secret) = self.read(kind) else {
                continue;
            };
            let mut jwk = published_jwk(kind, &secret)?;
            jwk["kid"] = json!(Self::kid_of(kind, &secret)?);
            jwk["use"] = json!("sig");
            keys.push(jwk);
        }
        let text =
            serde_json::to_string_pretty(&json!({ "keys": keys })).unwrap_or_default() + "\n";
        let file = self.folder.join(JWKS_FILE);
        self.area
            .replace(&file, text.as_bytes(), 0o644)
            .map_err(file_error(&file))
    }
}

/// Adds the test key files to the root's `.gitignore` (for teams that keep them private;
/// by default they are committed, as they only sign fixtures). The public JWKS stays
/// tracked so test suites can verify minted tokens. The file is replaced, never written
/// through a symbolic link, and one that leads outside the workspace is not touched.
pub fn keep_private(root: &Path, keys_dir: &str) -> Result<(), MintError> {
    check_name(Path::new(keys_dir)).map_err(|err| {
        MintError(format!(
            ".gitignore not updated: the key folder cannot be listed in it: {err}"
        ))
    })?;
    let gitignore = Path::new(".gitignore");
    let area = ConfinedDir::new(root);
    let existing = match area.read(gitignore, MAX_FILE_SIZE, Links::FollowInside) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| MintError(".gitignore is not UTF-8 text: not updated".into()))?,
        Err(FileError::Missing) => String::new(),
        Err(err) => return Err(file_error(gitignore)(err)),
    };
    let dir = keys_dir.trim_end_matches('/');
    let wanted = [format!("{dir}/*.pem"), format!("{dir}/*.secret")];
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|line| !existing.lines().any(|have| have.trim() == line.as_str()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut text = existing.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# jwtlens workspace test keys (kept private)\n");
    for line in missing {
        text.push_str(line);
        text.push('\n');
    }
    area.replace(gitignore, text.as_bytes(), 0o644)
        .map_err(file_error(gitignore))
}

/// The HMAC secret file holds random base64url text; the secret is that text, trimmed, so
/// a test suite can read the file and use it as it is.
fn hmac_secret(file: &[u8]) -> &[u8] {
    file.trim_ascii()
}

fn generate(kind: KeyKind) -> Result<Vec<u8>, MintError> {
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    use rsa::pkcs8::LineEnding;
    let failed = |err: &dyn fmt::Display| MintError(format!("cannot create a test key: {err}"));
    let pem = match kind {
        KeyKind::Rsa => {
            let key = rsa::RsaPrivateKey::new(&mut OsRng, 2048).map_err(|err| failed(&err))?;
            rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, LineEnding::LF)
                .map_err(|err| failed(&err))?
                .to_string()
        }
        KeyKind::EcP256 => {
            let key = p256::SecretKey::random(&mut OsRng);
            key.to_pkcs8_pem(LineEnding::LF)
                .map_err(|err| failed(&err))?
                .to_string()
        }
        KeyKind::Ed25519 => {
            let key = ed25519_dalek::SigningKey::generate(&mut OsRng);
            key.to_pkcs8_pem(LineEnding::LF)
                .map_err(|err| failed(&err))?
                .to_string()
        }
        KeyKind::Hmac => {
            let mut secret = [0u8; 32];
            OsRng.fill_bytes(&mut secret);
            URL_SAFE_NO_PAD.encode(secret) + "\n"
        }
    };
    Ok(pem.into_bytes())
}

/// The public JWK of a test key as published and used for verification. The RSA test
/// key signs every RS* and PS* algorithm ([`KeyKind::for_alg`]), so its JWK names no
/// `alg`: a JWK's `alg` restricts the key to that one algorithm (RFC 7517 §4.4), and
/// jwtlens honours it. The `kid` stays the digest of [`public_jwk`], `alg` included, so
/// tokens minted before keep matching their key.
fn published_jwk(kind: KeyKind, pem_text: &[u8]) -> Result<Value, MintError> {
    let mut jwk = public_jwk(kind, pem_text)?;
    if kind == KeyKind::Rsa {
        if let Some(fields) = jwk.as_object_mut() {
            fields.remove("alg");
        }
    }
    Ok(jwk)
}

/// The public JWK of a private test key.
fn public_jwk(kind: KeyKind, pem_text: &[u8]) -> Result<Value, MintError> {
    use ed25519_dalek::pkcs8::DecodePrivateKey as _;
    use p256::elliptic_curve::sec1::ToEncodedPoint as _;
    use rsa::traits::PublicKeyParts as _;
    let text = std::str::from_utf8(pem_text).map_err(|err| MintError(err.to_string()))?;
    let unreadable = |err: &dyn fmt::Display| MintError(format!("unreadable test key: {err}"));
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    Ok(match kind {
        KeyKind::Rsa => {
            let key = rsa::RsaPrivateKey::from_pkcs8_pem(text).map_err(|err| unreadable(&err))?;
            json!({"kty": "RSA", "alg": "RS256", "n": b64(&key.n().to_bytes_be()), "e": b64(&key.e().to_bytes_be())})
        }
        KeyKind::EcP256 => {
            let key = p256::SecretKey::from_pkcs8_pem(text).map_err(|err| unreadable(&err))?;
            let point = key.public_key().to_encoded_point(false);
            let (Some(x), Some(y)) = (point.x(), point.y()) else {
                return Err(unreadable(&"not a P-256 point"));
            };
            json!({"kty": "EC", "crv": "P-256", "alg": "ES256", "x": b64(x), "y": b64(y)})
        }
        KeyKind::Ed25519 => {
            let key =
                ed25519_dalek::SigningKey::from_pkcs8_pem(text).map_err(|err| unreadable(&err))?;
            json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "x": b64(key.verifying_key().as_bytes())})
        }
        KeyKind::Hmac => return Err(MintError("an HMAC secret has no public half".into())),
    })
}

/// What to mint from an existing token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Same header fields and claims, fresh times, signed by the test key.
    Replacement,
    /// The same, with identifying values replaced by synthetic ones of the same shape.
    Anonymised,
    /// Expired an hour ago, for negative tests.
    Expired,
    /// An audience no API expects, for negative tests.
    WrongAudience,
    /// `alg: none` and no signature, for negative tests.
    Unsigned,
}

impl Variant {
    pub const ALL: [Variant; 5] = [
        Variant::Replacement,
        Variant::Anonymised,
        Variant::Expired,
        Variant::WrongAudience,
        Variant::Unsigned,
    ];

    /// The name used in commands and on the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Replacement => "replacement",
            Variant::Anonymised => "anonymised",
            Variant::Expired => "expired",
            Variant::WrongAudience => "wrong-audience",
            Variant::Unsigned => "unsigned",
        }
    }

    pub fn from_name(name: &str) -> Option<Variant> {
        Variant::ALL
            .into_iter()
            .find(|variant| variant.name() == name)
    }

    /// Replacements take the original's place; the negative-test variants go next to it.
    pub fn replaces(self) -> bool {
        matches!(self, Variant::Replacement | Variant::Anonymised)
    }
}

/// The audience given to the wrong-audience variant.
pub const WRONG_AUDIENCE: &str = "https://wrong-audience.example.test";

/// Header fields that describe the original signing key and must not survive a re-sign.
const KEY_HEADER_FIELDS: &[&str] = &["jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256"];

/// Mints a token with the same shape as `header`/`claims`.
pub fn mint(
    keys: &TestKeys,
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    variant: Variant,
    lifetime: u64,
    now: i64,
) -> Result<String, MintError> {
    let original_alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let (kind, alg) = KeyKind::for_alg(original_alg);
    let mut header = header.clone();
    for field in KEY_HEADER_FIELDS {
        header.remove(*field);
    }
    let mut claims = claims.clone();
    let lifetime = i64::try_from(lifetime).unwrap_or(i64::MAX / 2);
    let (iat, exp) = match variant {
        Variant::Expired => (now - lifetime - 3600, now - 3600),
        _ => (now, now.saturating_add(lifetime)),
    };
    claims.insert("iat".into(), json!(iat));
    if claims.contains_key("nbf") {
        claims.insert("nbf".into(), json!(iat));
    }
    if claims.contains_key("auth_time") {
        claims.insert("auth_time".into(), json!(iat));
    }
    claims.insert("exp".into(), json!(exp));
    match variant {
        Variant::Anonymised => anonymise(&mut claims),
        Variant::WrongAudience => {
            let audience = match claims.get("aud") {
                Some(Value::Array(_)) => json!([WRONG_AUDIENCE]),
                _ => json!(WRONG_AUDIENCE),
            };
            claims.insert("aud".into(), audience);
        }
        _ => {}
    }
    if variant == Variant::Unsigned {
        header.insert("alg".into(), json!("none"));
        header.remove("kid");
        return Ok(format!(
            "{}.{}.",
            encode_json(&header),
            encode_json(&claims)
        ));
    }
    keys.ensure(kind)?;
    header.insert("alg".into(), json!(alg));
    header.insert("kid".into(), json!(keys.kid(kind)?));
    let signing_input = format!("{}.{}", encode_json(&header), encode_json(&claims));
    let signature = keys.sign(kind, alg, signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{signature}"))
}

fn encode_json(map: &Map<String, Value>) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(map).unwrap_or_default())
}

/// Claims whose values identify a person, a session or an organisation.
const IDENTIFYING: &[&str] = &[
    "sub",
    "sid",
    "session_id",
    "jti",
    "email",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "preferred_username",
    "username",
    "cognito:username",
    "user_id",
    "uid",
    "oid",
    "org_id",
    "org_name",
    "org_slug",
    "tid",
    "tenant_id",
    "tenantId",
    "phone_number",
    "picture",
    "upn",
    "unique_name",
    "origin_jti",
    "refresh_token_id",
    "selected_team_id",
    "dct",
];

/// Replaces identifying values with synthetic ones of the same shape: `user_2x…` stays
/// `user_` plus as many characters, e-mails become `user@example.test`, UUIDs stay UUIDs.
/// The same value always maps to the same replacement, so `sub` and `user_id` still agree.
fn anonymise(claims: &mut Map<String, Value>) {
    for (name, value) in claims.iter_mut() {
        if name == "o" || name == "act" {
            if let Value::Object(nested) = value {
                anonymise(nested);
            }
            continue;
        }
        if IDENTIFYING.contains(&name.as_str()) || name == "id" || name == "slg" {
            replace_strings(value);
        }
    }
}

fn replace_strings(value: &mut Value) {
    match value {
        Value::String(text) => *text = synthetic(text),
        Value::Array(items) => items.iter_mut().for_each(replace_strings),
        _ => {}
    }
}

fn synthetic(original: &str) -> String {
    if original.contains('@') && !original.contains('|') {
        return "user@example.test".to_owned();
    }
    let digest = Sha256::digest(original.as_bytes());
    let mut pool = digest.iter().cycle().map(|byte| *byte as usize);
    // Keep a type prefix (`user_`, `org_`, `sess_`, `auth0|`) and the separators' layout.
    let keep = original.find(['_', '|']).map_or(0, |at| at + 1);
    let (prefix, rest) = original.split_at(keep);
    let replaced: String = rest
        .chars()
        .map(|ch| {
            let pick = pool.next().unwrap_or(0);
            match ch {
                '0'..='9' => char::from(b'0' + (pick % 10) as u8),
                'a'..='f' if original.len() == 36 => char::from(b"0123456789abcdef"[pick % 16]),
                'a'..='z' => char::from(b'a' + (pick % 26) as u8),
                'A'..='Z' => char::from(b'A' + (pick % 26) as u8),
                other => other,
            }
        })
        .collect();
    format!("{prefix}{replaced}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwtlens_jose::segment::decode_object;

    const NOW: i64 = 1_800_000_000;

    fn parts(token: &str) -> (Map<String, Value>, Map<String, Value>) {
        let mut segments = token.split('.');
        let header = decode_object(segments.next().unwrap().as_bytes()).unwrap();
        let claims = decode_object(segments.next().unwrap().as_bytes()).unwrap();
        (header, claims)
    }

    fn verifies(keys: &TestKeys, token: &str) -> bool {
        let (header, _) = parts(token);
        let dot = token.rfind('.').unwrap();
        let alg = header["alg"].as_str().unwrap();
        keys.verification_keys().iter().any(|key| {
            key.kid.as_deref() == header.get("kid").and_then(Value::as_str)
                && key
                    .verify(alg, &token.as_bytes()[..dot], &token[dot + 1..])
                    .is_ok()
        })
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn keys_are_created_private_with_a_public_jwks() {
        let dir = tempfile::tempdir().unwrap();
        let keys = TestKeys::new(dir.path().join(".jwtlens"));
        assert!(!keys.exist());
        assert_eq!(keys.init().unwrap().len(), 4);
        assert!(
            keys.init().unwrap().is_empty(),
            "a second init creates nothing"
        );
        #[cfg(unix)]
        for kind in KeyKind::ALL {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(keys.dir().join(kind.file()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{kind:?}");
        }
        let jwks: Value =
            serde_json::from_slice(&std::fs::read(keys.dir().join(JWKS_FILE)).unwrap()).unwrap();
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids.len(), 3);
        assert!(kids.iter().all(|kid| kid.starts_with("jwtlens-test-")));
        assert!(
            jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .all(|k| k.get("d").is_none()),
            "no private parts"
        );
    }

    #[test]
    fn replacements_keep_the_shape_and_verify_with_the_test_key() {
        let dir = tempfile::tempdir().unwrap();
        let keys = TestKeys::new(dir.path());
        let claims = object(
            json!({"iss": "https://clerk.acme.io", "sub": "user_1", "o": {"id": "org_1"}, "nbf": 1, "exp": 2, "iat": 1}),
        );
        for alg in ["RS256", "PS384", "ES384", "EdDSA", "HS512", "none"] {
            let header =
                object(json!({"alg": alg, "typ": "JWT", "kid": "ins_original", "x5t": "drop-me"}));
            let token = mint(&keys, &header, &claims, Variant::Replacement, 3600, NOW).unwrap();
            let (new_header, new_claims) = parts(&token);
            assert_eq!(new_header["alg"], KeyKind::for_alg(alg).1, "{alg}");
            assert_eq!(new_header["typ"], "JWT");
            assert!(new_header["kid"]
                .as_str()
                .unwrap()
                .starts_with("jwtlens-test-"));
            assert!(new_header.get("x5t").is_none());
            assert_eq!(
                (
                    new_claims["iat"].clone(),
                    new_claims["nbf"].clone(),
                    new_claims["exp"].clone()
                ),
                (json!(NOW), json!(NOW), json!(NOW + 3600))
            );
            assert_eq!(new_claims["o"], claims["o"]);
            assert!(verifies(&keys, &token), "{alg} replacement verifies");
        }
    }

    #[test]
    fn negative_variants() {
        let dir = tempfile::tempdir().unwrap();
        let keys = TestKeys::new(dir.path());
        let header = object(json!({"alg": "ES256"}));
        let claims = object(json!({"sub": "u", "aud": ["api"]}));
        let expired = mint(&keys, &header, &claims, Variant::Expired, 600, NOW).unwrap();
        assert_eq!(parts(&expired).1["exp"], json!(NOW - 3600));
        assert!(verifies(&keys, &expired));
        let wrong = mint(&keys, &header, &claims, Variant::WrongAudience, 600, NOW).unwrap();
        assert_eq!(parts(&wrong).1["aud"], json!([WRONG_AUDIENCE]));
        let unsigned = mint(&keys, &header, &claims, Variant::Unsigned, 600, NOW).unwrap();
        assert!(unsigned.ends_with('.'));
        assert_eq!(parts(&unsigned).0["alg"], "none");
        assert!(
            !dir.path().join(KeyKind::Rsa.file()).exists(),
            "only the keys needed are created"
        );
    }

    #[test]
    fn private_keys_are_added_to_gitignore_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "target/").unwrap();
        keep_private(dir.path(), ".jwtlens").unwrap();
        keep_private(dir.path(), ".jwtlens/").unwrap();
        let text = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
        assert_eq!(
            text,
            "target/\n# jwtlens workspace test keys (kept private)\n.jwtlens/*.pem\n.jwtlens/*.secret\n"
        );
    }

    #[test]
    fn anonymised_values_keep_their_shape() {
        let dir = tempfile::tempdir().unwrap();
        let keys = TestKeys::new(dir.path());
        let claims = object(json!({
            "sub": "user_2vB9wK3", "user_id": "user_2vB9wK3", "sid": "sess_2x9", "email": "ada@acme.io",
            "org_id": "org_9xAcme", "oid": "3c9e1f0a-5b7d-4e2a-9c61-0f4d8b2a7e15", "role": "admin",
            "o": {"id": "org_2vB9", "rol": "admin"}, "iss": "https://clerk.acme.io"
        }));
        let token = mint(
            &keys,
            &object(json!({"alg": "RS256"})),
            &claims,
            Variant::Anonymised,
            60,
            NOW,
        )
        .unwrap();
        let (_, new) = parts(&token);
        let sub = new["sub"].as_str().unwrap();
        assert!(
            sub.starts_with("user_") && sub.len() == "user_2vB9wK3".len() && sub != "user_2vB9wK3"
        );
        assert_eq!(
            new["sub"], new["user_id"],
            "the same value maps to the same replacement"
        );
        assert!(new["sid"].as_str().unwrap().starts_with("sess_"));
        assert_eq!(new["email"], "user@example.test");
        let oid = new["oid"].as_str().unwrap();
        assert_eq!(oid.len(), 36);
        assert_eq!(oid.matches('-').count(), 4);
        assert_ne!(oid, claims["oid"]);
        assert!(
            new["o"]["id"].as_str().unwrap().starts_with("org_")
                && new["o"]["id"] != claims["o"]["id"]
        );
        assert_eq!(new["role"], "admin");
        assert_eq!(new["o"]["rol"], "admin");
        assert_eq!(new["iss"], claims["iss"]);
    }
}
