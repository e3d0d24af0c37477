//! The exact bytes of the human, JSON and SARIF formats for a fixed set of files, pinned
//! so that a change to the writers (how they are built, streamed or sorted) is proven to
//! change nothing a user or a CI integration reads. Time is frozen: the engine judges at
//! `NOW` and the summary's elapsed time is fixed.
//!
//! After an intended change of format: `JWTLENS_BLESS=1 cargo test -p jwtlens-check
//! --test golden`, and review the diff of `tests/golden/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use jwtlens_check::output::{self, Style};
use jwtlens_check::report::{file_report, FileReport, RecordOptions};
use jwtlens_check::walk::Problem;
use jwtlens_check::{sarif, Summary};
use jwtlens_engine::analysis::{analyse, DocumentContext};
use jwtlens_engine::config::Config;

const NOW: i64 = 1_800_000_000;
const ROOT: &str = "/repo";
const DOCS: &str = "https://jwtlens.example/docs/rules.md";

/// The jwt.io sample: HS256 with a publicly known secret (its `iat` is in the past).
const JWT_IO: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

fn token(header: Value, claims: Value) -> String {
    let part = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!(
        "{}.{}.{}",
        part(&header),
        part(&claims),
        URL_SAFE_NO_PAD.encode([7u8; 32])
    )
}

/// Files in walk order (not sorted: the writers do not sort, the CLI does).
fn files() -> Vec<(&'static str, String)> {
    let live = token(
        json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}),
        json!({"iss": "https://acme.us.auth0.com/", "sub": "u1", "aud": "api", "jti": "j1",
               "iat": NOW - 60, "exp": NOW + 3600}),
    );
    let expired = token(
        json!({"alg": "RS256"}),
        json!({"sub": "u2", "aud": "api", "jti": "2", "iat": NOW - 4 * 86_400, "exp": NOW - 3 * 86_400}),
    );
    let hostile = token(
        json!({"alg": "HS256"}),
        json!({"iss": "https://idp.example/\x1b]0;pwned\x07\u{9b}2J\u{202E}gpj.exe", "exp": NOW + 600}),
    );
    let none = token(
        json!({"alg": "none"}),
        json!({"sub": "admin", "exp": NOW + 60}),
    );
    vec![
        (
            "src/app.ts",
            format!("// the session\nconst a = \"{live}\";\n\tconst é = [\"{expired}\", \"{JWT_IO}\"];\n"),
        ),
        (
            "tests/fixtures/my file#1.json",
            format!("{{\"token\": \"{expired}\", \"other\": \"{none}\"}}\n"),
        ),
        ("config/.env", format!("TOKEN={hostile}\n")),
        (
            "web/bundle.min.js",
            format!("{}var t=\"{live}\";{}\n", "x".repeat(300), "y".repeat(300)),
        ),
    ]
}

fn reports(options: RecordOptions) -> Vec<FileReport> {
    let settings = jwtlens_settings::Settings {
        fixture_paths: vec!["tests/fixtures/**".into()],
        ..Default::default()
    };
    let config = Config::compile(settings, None, jwtlens_settings::Trust::Trusted)
        .expect("the settings compile");
    files()
        .into_iter()
        .filter_map(|(path, text)| {
            let cx = DocumentContext {
                path: Some(Path::new(path)),
                config: &config,
                now: NOW,
                remote: None,
            };
            let found = analyse(text.as_bytes(), &cx);
            file_report(
                path.to_owned(),
                PathBuf::from(ROOT).join(path),
                text.as_bytes(),
                &found,
                &[],
                options,
            )
        })
        .collect()
}

fn summary() -> Summary {
    Summary {
        files_scanned: 9,
        bytes_scanned: 4_321,
        binary: 1,
        too_large: 1,
        errors: 1,
        baselined: 2,
        elapsed: Duration::from_millis(17),
        problems: vec![
            Problem {
                message: "src/secret.ts: Permission denied (os error 13)".into(),
                error: true,
            },
            Problem {
                message: "loop/link: a symbolic link loop, skipped".into(),
                error: false,
            },
        ],
        git: None,
    }
}

/// Compares with the pinned file, or writes it when blessing.
fn assert_golden(name: &str, actual: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("JWTLENS_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write the golden file");
        return;
    }
    let expected = std::fs::read(&path).expect("the golden file exists");
    if expected != actual {
        panic!(
            "{name} differs from the pinned bytes\n--- expected\n{}\n--- actual\n{}",
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(actual)
        );
    }
}

fn human(color: bool) -> Vec<u8> {
    let files = reports(RecordOptions {
        show_tokens: false,
        snippets: true,
    });
    let mut out = Vec::new();
    output::human(&mut out, &files, &summary(), Style { color }, 0).unwrap();
    out
}

fn json(show_tokens: bool) -> Vec<u8> {
    let files = reports(RecordOptions {
        show_tokens,
        snippets: false,
    });
    let mut out = Vec::new();
    output::json(&mut out, &files, &summary(), 0).unwrap();
    out
}

fn sarif() -> Vec<u8> {
    let files = reports(RecordOptions::default());
    let mut out = Vec::new();
    sarif::write(&mut out, &files, &summary(), Path::new(ROOT), DOCS, 0).unwrap();
    out
}

#[test]
fn the_tree_has_findings_of_every_kind() {
    let files = reports(RecordOptions::default());
    assert_eq!(files.len(), 4, "every file has findings");
    let codes: Vec<&str> = files
        .iter()
        .flat_map(|f| &f.tokens)
        .flat_map(|t| &t.findings)
        .map(|f| f.rule.code)
        .collect();
    for code in ["JWT001", "JWT003", "JWT104"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    assert!(files[1].tokens.iter().any(|t| t.fixture.is_some()));
    assert!(files
        .iter()
        .flat_map(|f| &f.tokens)
        .any(|t| t.provider.is_some()));
}

#[test]
fn human_bytes_are_pinned() {
    assert_golden("human.txt", &human(false));
    assert_golden("human-color.txt", &human(true));
}

#[test]
fn json_bytes_are_pinned() {
    assert_golden("check.json", &json(false));
    assert_golden("check-show-tokens.json", &json(true));
}

#[test]
fn sarif_bytes_are_pinned() {
    assert_golden("check.sarif", &sarif());
}
