//! `jwtlens verify`, `mint` and `keys init`, run as a user would, in a temporary folder.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs the binary in `dir`, as a user would from there.
pub(crate) fn jwtlens(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jwtlens"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("jwtlens runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn mint(dir: &Path, args: &[&str]) -> String {
    let output = jwtlens(dir, &[&["mint"], args].concat());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

#[test]
fn verify_exit_codes_follow_signature_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let token = mint(dir.path(), &["--claims", r#"{"sub":"ada","aud":"api"}"#]);
    let ok = jwtlens(dir.path(), &["verify", &token]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("signature: verified with workspace test key"));

    let expired = mint(dir.path(), &["--from", &token, "--variant", "expired"]);
    let late = jwtlens(dir.path(), &["verify", &expired]);
    assert_eq!(late.status.code(), Some(3));
    assert!(stdout(&late).contains("time: expired 1 h ago"));
    assert_eq!(
        jwtlens(dir.path(), &["verify", "--ignore-time", &expired])
            .status
            .code(),
        Some(0)
    );

    let key = jsonwebtoken::EncodingKey::from_secret(b"shared-secret");
    let claims =
        serde_json::json!({"sub": "ada", "nbf": 4_102_444_800_i64, "exp": 4_102_448_400_i64});
    let future = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap();
    let early = jwtlens(
        dir.path(),
        &["verify", "--secret", "shared-secret", &future],
    );
    assert_eq!(early.status.code(), Some(3));
    assert!(
        stdout(&early).contains("time: not valid until 2100-01-01"),
        "{}",
        stdout(&early)
    );

    let wrong = jwtlens(dir.path(), &["verify", "--secret", "not-the-key", &token]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stdout(&wrong)
        .contains("algorithm/key type mismatch: RS256 cannot be verified with an HMAC secret"));

    let unsigned = mint(dir.path(), &["--from", &token, "--variant", "unsigned"]);
    let none = jwtlens(dir.path(), &["verify", &unsigned]);
    assert_eq!(none.status.code(), Some(1), "alg none never verifies");
    assert!(stdout(&none).contains("unsigned"));

    let garbage = jwtlens(dir.path(), &["verify", "hello"]);
    assert_eq!(garbage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&garbage.stderr).contains("no JWT found"));
}

#[test]
fn verify_takes_secrets_pem_jwk_and_jwks() {
    let dir = tempfile::tempdir().unwrap();
    let hs = mint(
        dir.path(),
        &["--alg", "HS256", "--claims", r#"{"sub":"s"}"#],
    );
    let secret = std::fs::read_to_string(dir.path().join(".jwtlens/test-hmac.secret")).unwrap();
    assert_eq!(
        jwtlens(dir.path(), &["verify", "--secret", secret.trim(), &hs])
            .status
            .code(),
        Some(0)
    );
    let by_env = Command::new(env!("CARGO_BIN_EXE_jwtlens"))
        .args(["verify", "--secret-env", "TEST_JWT_SECRET", &hs])
        .env("TEST_JWT_SECRET", secret.trim())
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(by_env.status.code(), Some(0));
    let unset = jwtlens(
        dir.path(),
        &["verify", "--secret-env", "NO_SUCH_VARIABLE_HERE", &hs],
    );
    assert_eq!(unset.status.code(), Some(2));

    // One generated base64url secret in 64 starts with `-`: it is the secret, not a flag.
    let dashed = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"sub": "s"}),
        &jsonwebtoken::EncodingKey::from_secret(b"-Xq3"),
    )
    .unwrap();
    let by_dashed = jwtlens(dir.path(), &["verify", "--secret", "-Xq3", &dashed]);
    assert_eq!(by_dashed.status.code(), Some(0), "{}", stdout(&by_dashed));

    let es = mint(dir.path(), &["--alg", "ES256"]);
    let jwks_path = dir.path().join(".jwtlens/test-keys.jwks.json");
    let jwks: Value = serde_json::from_str(&std::fs::read_to_string(&jwks_path).unwrap()).unwrap();
    assert_eq!(
        jwtlens(
            dir.path(),
            &["verify", "--key", ".jwtlens/test-keys.jwks.json", &es]
        )
        .status
        .code(),
        Some(0)
    );
    let ec_jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kty"] == "EC")
        .unwrap();
    std::fs::write(dir.path().join("ec.jwk.json"), ec_jwk.to_string()).unwrap();
    assert_eq!(
        jwtlens(dir.path(), &["verify", "--key", "ec.jwk.json", &es])
            .status
            .code(),
        Some(0)
    );

    // A PEM public key, derived from the test key with the rsa crate's encoder.
    let rs = mint(dir.path(), &["--alg", "PS256"]);
    let private = std::fs::read_to_string(dir.path().join(".jwtlens/test-rsa.pem")).unwrap();
    let key =
        <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&private).unwrap();
    let spki = rsa::pkcs8::EncodePublicKey::to_public_key_pem(
        &key.to_public_key(),
        rsa::pkcs8::LineEnding::LF,
    )
    .unwrap();
    let pkcs1 = rsa::pkcs1::EncodeRsaPublicKey::to_pkcs1_pem(
        &key.to_public_key(),
        rsa::pkcs8::LineEnding::LF,
    )
    .unwrap();
    std::fs::write(dir.path().join("spki.pem"), spki).unwrap();
    std::fs::write(dir.path().join("pkcs1.pem"), pkcs1).unwrap();
    for file in ["spki.pem", "pkcs1.pem"] {
        let output = jwtlens(dir.path(), &["verify", "--key", file, &rs]);
        assert_eq!(output.status.code(), Some(0), "{file}: {}", stdout(&output));
    }
    std::fs::write(
        dir.path().join("broken.pem"),
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let broken = jwtlens(dir.path(), &["verify", "--key", "broken.pem", &rs]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("broken.pem"));
}

/// An HS256 token with this header and these claims, signed with `secret`.
fn hs256(header: Value, claims: Value, secret: &str) -> String {
    use base64::Engine as _;
    let b64 =
        |value: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    let input = format!("{}.{}", b64(&header), b64(&claims));
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::HS256).unwrap();
    format!("{input}.{signature}")
}

/// RFC 7515 §4.1.11 and RFC 7519 §2: invalid whatever the key, before any key is read or
/// fetched, `--ignore-time` or not.
#[test]
fn verify_refuses_unknown_crit_and_time_claims_that_are_not_numbers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".jwtlens.toml"),
        "[keys]\nsecrets = [\"s3cret\"]\n",
    )
    .unwrap();
    let claims = serde_json::json!({"sub": "u", "exp": 4_102_444_800_i64});
    let plain = hs256(
        serde_json::json!({"alg": "HS256"}),
        claims.clone(),
        "s3cret",
    );
    assert_eq!(
        jwtlens(dir.path(), &["verify", &plain]).status.code(),
        Some(0)
    );

    let crit = hs256(
        serde_json::json!({"alg": "HS256", "b64": false, "crit": ["b64"]}),
        claims.clone(),
        "s3cret",
    );
    let loopback_jwks = "http://127.0.0.1:9/jwks.json";
    for args in [
        &["verify", &crit][..],
        &["verify", "--secret", "s3cret", &crit],
        &["verify", "--ignore-time", "--secret", "s3cret", &crit],
        &["verify", "--jwks", loopback_jwks, &crit],
    ] {
        let output = jwtlens(dir.path(), args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(
            stdout(&output),
            "invalid: crit lists \"b64\", an extension jwtlens does not understand, so the token must be rejected (RFC 7515 §4.1.11)",
            "{args:?}"
        );
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("GET"),
            "nothing is fetched"
        );
    }
    let empty_crit = hs256(
        serde_json::json!({"alg": "HS256", "crit": []}),
        claims,
        "s3cret",
    );
    let output = jwtlens(dir.path(), &["verify", &empty_crit]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("crit is an empty list"));

    for (claims, expected) in [
        (
            serde_json::json!({"sub": "u", "exp": "4102444800"}),
            "invalid: exp is a string, not a NumericDate (RFC 7519 §2)",
        ),
        (
            serde_json::json!({"sub": "u", "exp": 4_102_444_800_i64, "nbf": true}),
            "invalid: nbf is a boolean, not a NumericDate (RFC 7519 §2)",
        ),
        (
            serde_json::json!({"sub": "u", "iat": {"t": 1}}),
            "invalid: iat is an object, not a NumericDate (RFC 7519 §2)",
        ),
    ] {
        let token = hs256(serde_json::json!({"alg": "HS256"}), claims, "s3cret");
        for args in [
            &["verify", &token][..],
            &["verify", "--ignore-time", "--secret", "s3cret", &token],
        ] {
            let output = jwtlens(dir.path(), args);
            assert_eq!(output.status.code(), Some(1), "{args:?}");
            assert_eq!(stdout(&output), expected);
        }
    }
    let fractional = hs256(
        serde_json::json!({"alg": "HS256"}),
        serde_json::json!({"sub": "u", "exp": 4_102_444_800.25}),
        "s3cret",
    );
    assert_eq!(
        jwtlens(dir.path(), &["verify", &fractional]).status.code(),
        Some(0)
    );
}

/// RFC 7517 §4.2–4.4 for `--key`: an RS256 JWK does not verify PS256, an `enc` key or
/// one whose `key_ops` lack `verify` verifies nothing, and the reason names the member.
#[test]
fn verify_honours_a_jwks_alg_use_and_key_ops() {
    let dir = tempfile::tempdir().unwrap();
    let rs256 = mint(dir.path(), &["--alg", "RS256"]);
    let ps256 = mint(dir.path(), &["--alg", "PS256"]);
    let jwks_path = dir.path().join(".jwtlens/test-keys.jwks.json");
    let jwks: Value = serde_json::from_str(&std::fs::read_to_string(&jwks_path).unwrap()).unwrap();
    let rsa = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kty"] == "RSA")
        .unwrap()
        .clone();
    assert!(
        rsa.get("alg").is_none(),
        "the RSA test key signs RS* and PS*: {rsa}"
    );
    let output = jwtlens(
        dir.path(),
        &["verify", "--key", ".jwtlens/test-keys.jwks.json", &ps256],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let with = |name: &str, member: &str, value: Value| {
        let mut jwk = rsa.clone();
        jwk[member] = value;
        std::fs::write(dir.path().join(name), jwk.to_string()).unwrap();
    };
    with("rs256.jwk", "alg", "RS256".into());
    with("enc.jwk", "use", "enc".into());
    with("ops.jwk", "key_ops", serde_json::json!(["sign"]));
    assert_eq!(
        jwtlens(dir.path(), &["verify", "--key", "rs256.jwk", &rs256])
            .status
            .code(),
        Some(0)
    );
    for (file, token, expected) in [
        ("rs256.jwk", &ps256, "the key's JWK alg is RS256, so it does not verify PS256 (RFC 7517 §4.4) (rs256.jwk)"),
        ("enc.jwk", &rs256, "the key is not for signatures: its use is \"enc\" (enc.jwk)"),
        ("ops.jwk", &rs256, "the key is not for signatures: its key_ops [\"sign\"] do not include \"verify\" (ops.jwk)"),
    ] {
        let output = jwtlens(dir.path(), &["verify", "--key", file, token]);
        assert_eq!(output.status.code(), Some(1), "{file}");
        assert_eq!(stdout(&output), format!("signature: does not verify: {expected}"));
    }
}

#[test]
fn keys_init_is_idempotent_and_can_keep_keys_private() {
    let dir = tempfile::tempdir().unwrap();
    let first = stdout(&jwtlens(dir.path(), &["keys", "init"]));
    assert_eq!(first.matches("created ").count(), 4, "{first}");
    assert!(first.contains("commit them"));
    let second = stdout(&jwtlens(dir.path(), &["keys", "init", "--private"]));
    assert!(second.contains("test keys already exist"));
    let gitignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    assert!(gitignore.contains(".jwtlens/*.pem") && gitignore.contains(".jwtlens/*.secret"));
    assert!(!gitignore.contains("jwks"), "the public JWKS stays tracked");
}

#[test]
fn mint_from_copies_the_shape_and_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let original = mint(
        dir.path(),
        &[
            "--alg",
            "EdDSA",
            "--claims",
            r#"{"sub":"user_1","org_id":"org_9","role":"admin"}"#,
        ],
    );
    let copy = mint(dir.path(), &["--from", &original, "--lifetime", "15m"]);
    let decoded = jwtlens(dir.path(), &["decode", "--json", &copy]);
    let json: Value = serde_json::from_slice(&decoded.stdout).unwrap();
    assert_eq!(json["header"]["alg"], "EdDSA");
    assert_eq!(json["payload"]["org_id"], "org_9");
    let lifetime =
        json["payload"]["exp"].as_i64().unwrap() - json["payload"]["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 900);
    assert_eq!(json["fixture"], "signed by workspace test key");
    for bad in [
        &["--claims", "[1]"][..],
        &["--claims", "{"],
        &["--alg", "ES512"],
        &["--variant", "sparkly"],
    ] {
        let output = jwtlens(dir.path(), &[&["mint"], bad].concat());
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
    }
}

/// Minted tokens verify with PyJWT (provisioned by tests/tools): an independent
/// implementation.
#[test]
fn minted_tokens_verify_with_pyjwt() {
    let dir = tempfile::tempdir().unwrap();
    let tokens: Vec<String> = [
        "RS256", "RS512", "PS256", "ES256", "EdDSA", "HS256", "HS512",
    ]
    .iter()
    .map(|alg| {
        mint(
            dir.path(),
            &[
                "--alg",
                alg,
                "--claims",
                &format!(r#"{{"sub":"{alg}-user"}}"#),
            ],
        )
    })
    .collect();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/verify_minted.py"
    );
    let keys_dir = dir.path().join(".jwtlens");
    let output = crate::tools::python_with_pyjwt()
        .arg(script)
        .arg(&keys_dir)
        .args(&tokens)
        .output()
        .expect("python3 runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "PyJWT rejected minted tokens:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        report
            .lines()
            .filter(|line| line.starts_with("ok "))
            .count(),
        tokens.len(),
        "{report}"
    );
}

/// `jwtlens decode` on a token whose claims hold terminal escapes (OSC title, CSI clear,
/// the one-character C1 CSI) and a right-to-left override: none reaches the terminal,
/// the human output shows them as escapes and the JSON output keeps them as data.
#[test]
fn decode_prints_terminal_escapes_in_claims_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let sub = "ada\x1b]0;pwned\x07\x1b[2J\u{9b}2J\u{202E}gpj.exe";
    let key = jsonwebtoken::EncodingKey::from_secret(b"s");
    let claims = serde_json::json!({"iss": format!("https://idp.example/{sub}"), "sub": sub});
    let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap();
    let unsafe_char =
        |c: char| (c.is_control() && c != '\n') || ('\u{202A}'..='\u{202E}').contains(&c);

    let human = jwtlens(dir.path(), &["decode", &token]);
    assert!(human.status.success());
    let shown = String::from_utf8(human.stdout).unwrap();
    assert!(!shown.contains(unsafe_char), "{shown}");
    // The subject row, as an inline code span; the payload, as JSON escapes.
    assert!(
        shown.contains(
            "| Subject | `ada\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}2J\\u{202e}gpj.exe` |"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(r#""sub": "ada\u001b]0;pwned\u0007\u001b[2J\u009b2J\u202egpj.exe""#),
        "{shown}"
    );

    let json = jwtlens(dir.path(), &["decode", "--json", &token]);
    let text = String::from_utf8(json.stdout).unwrap();
    assert!(!text.contains(unsafe_char), "{text}");
    let decoded: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(decoded["payload"]["sub"], sub, "the data is intact");
}

#[test]
fn a_log_filter_that_does_not_parse_is_named_and_the_command_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_jwtlens"))
        .args(["check", "."])
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .env("JWTLENS_LOG", "jwtlens=loud")
        .output()
        .expect("jwtlens runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("JWTLENS_LOG is not a log filter (error parsing level filter")
            && stderr.contains("logging at `info`"),
        "{stderr}"
    );
}
