//! Code actions and commands: minting replacement and negative-test tokens through the
//! language server, with the edit applied as an editor would apply it.

mod common;

use common::now;
use jwtlens::analysis::{analyse, DocumentContext};
use jwtlens::config::Config;
use jwtlens::keys::Key;
use jwtlens::mint::TestKeys;
use serde_json::{json, Value};
use tower_lsp::lsp_types::Url;

type Client = common::InProcess;

async fn start(root: &str) -> Client {
    let mut client = common::in_process();
    client.initialize(root, Value::Null, &[]).await;
    client
}

/// A live-looking Clerk token, signed with a key the workspace does not have.
fn committed_token() -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(b"production-secret-nobody-has");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("prod-2025".into());
    let claims = json!({
        "iss": "https://clerk.acme-saas.io", "sub": "user_2vB9wK3Live", "sid": "sess_2vB9yHq1",
        "email": "ada@acme-saas.io", "aud": ["https://api.acme-saas.io"], "iat": now(), "exp": now() + 3600
    });
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// Applies LSP text edits (ASCII text, so characters are bytes) in reverse order.
fn apply(text: &str, edit: &Value, uri: &str) -> String {
    let lines: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |position: &Value| {
        lines[position["line"].as_u64().unwrap() as usize]
            + position["character"].as_u64().unwrap() as usize
    };
    let mut edits: Vec<&Value> = edit["changes"][uri].as_array().unwrap().iter().collect();
    edits.sort_by_key(|edit| std::cmp::Reverse(offset(&edit["range"]["start"])));
    let mut text = text.to_owned();
    for edit in edits {
        let (start, end) = (
            offset(&edit["range"]["start"]),
            offset(&edit["range"]["end"]),
        );
        text.replace_range(start..end, edit["newText"].as_str().unwrap());
    }
    text
}

/// Every token in `text` that the workspace test keys verify.
fn verified_by_test_keys(root: &std::path::Path, text: &str) -> Vec<String> {
    let keys: Vec<Key> = TestKeys::new(root.join(".jwtlens")).verification_keys();
    let config = Config::default();
    let cx = DocumentContext {
        path: None,
        config: &config,
        now: now(),
        remote: None,
    };
    analyse(text.as_bytes(), &cx)
        .iter()
        .filter(|report| {
            let token = &report.token;
            keys.iter().any(|key| {
                key.kid.as_deref() == token.header_str("kid")
                    && key
                        .verify(
                            token.alg(),
                            token.signing_input(text.as_bytes()),
                            token.signature_text(text.as_bytes()),
                        )
                        .is_ok()
            })
        })
        .map(|report| text[report.token.range.clone()].to_owned())
        .collect()
}

async fn code_actions(client: &mut Client, uri: &str, line: u32, character: u32) -> Vec<Value> {
    let diagnostics = client.diagnostics(uri, Some(1)).await;
    let range = json!({"start": {"line": line, "character": character}, "end": {"line": line, "character": character}});
    let params = json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": diagnostics}});
    client.request("textDocument/codeAction", params).await["result"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn mint_replacement_replaces_the_token_with_one_the_test_key_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let root = Url::from_file_path(dir.path()).unwrap().to_string();
    let mut client = start(&root).await;
    let uri = format!("{root}/src/session.ts");
    let original = committed_token();
    let text = format!("// session for the smoke test\nexport const token = \"{original}\";\n");
    client.open(&uri, &text, 1).await;

    let actions = code_actions(&mut client, &uri, 1, 30).await;
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Mint replacement test token (expires in 1 h)",
            "Mint replacement test token, anonymised (expires in 1 h)",
            "Mint expired variant (for negative tests)",
            "Mint variant with wrong audience",
            "Mint unsigned (alg none) variant",
            "Verify signature with issuer keys (GET https://clerk.acme-saas.io/.well-known/jwks.json)",
        ]
    );
    let replacement = &actions[0];
    assert_eq!(replacement["kind"], "quickfix");
    assert_eq!(
        replacement["isPreferred"], true,
        "the token is a live credential"
    );
    assert!(replacement["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["code"] == "JWT104"));

    let command = &replacement["command"];
    let result = client
        .request(
            "workspace/executeCommand",
            json!({"command": command["command"], "arguments": command["arguments"]}),
        )
        .await;
    let minted = result["result"]["token"].as_str().unwrap().to_owned();
    assert_eq!(client.applied_edits.len(), 1);
    let edited = apply(&text, &client.applied_edits[0], &uri);
    assert_eq!(edited, text.replace(&original, &minted));
    assert_eq!(
        verified_by_test_keys(dir.path(), &edited),
        vec![minted.clone()]
    );

    // The test keys exist now, with private parts readable by the owner only.
    assert!(dir.path().join(".jwtlens/test-hmac.secret").exists());
    assert!(dir.path().join(".jwtlens/test-keys.jwks.json").exists());

    // Once the editor sends the new text, the token is a fixture: no live-credential finding.
    client.change(&uri, &edited, 2).await;
    let diagnostics = client.diagnostics(&uri, Some(2)).await;
    assert!(
        diagnostics.iter().all(|d| d["code"] != "JWT104"),
        "{diagnostics:?}"
    );
    let hover = client.hover(&uri, 1, 30).await;
    let markdown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        markdown.contains("test fixture (signed by workspace test key)"),
        "{markdown}"
    );
}

#[tokio::test]
async fn negative_variants_go_on_a_copy_of_the_line_and_anonymised_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let root = Url::from_file_path(dir.path()).unwrap().to_string();
    let mut client = start(&root).await;
    let uri = format!("{root}/tests/fixtures.env");
    let original = committed_token();
    let text = format!("SESSION_TOKEN={original}\r\nOTHER=1\r\n");
    client.open(&uri, &text, 1).await;
    let actions = code_actions(&mut client, &uri, 0, 20).await;

    let run = |index: usize| {
        let command = actions[index]["command"].clone();
        json!({"command": command["command"], "arguments": command["arguments"]})
    };
    for (index, check) in [
        (2usize, "expired"),
        (3, "wrong-audience"),
        (4, "unsigned"),
        (1, "anonymised"),
    ] {
        let before = client.applied_edits.len();
        let result = client.request("workspace/executeCommand", run(index)).await;
        assert_eq!(result["result"]["variant"], check, "{result}");
        let edited = apply(&text, &client.applied_edits[before], &uri);
        let minted = result["result"]["token"].as_str().unwrap();
        let config = Config::default();
        let cx = DocumentContext {
            path: None,
            config: &config,
            now: now(),
            remote: None,
        };
        let reports = analyse(edited.as_bytes(), &cx);
        match check {
            "anonymised" => {
                assert_eq!(edited, text.replace(&original, minted));
                let claims = reports[0].token.claims().unwrap();
                assert_eq!(claims["email"], "user@example.test");
                assert!(
                    claims["sub"].as_str().unwrap().starts_with("user_")
                        && claims["sub"] != "user_2vB9wK3Live"
                );
                assert_eq!(
                    verified_by_test_keys(dir.path(), &edited),
                    [minted.to_owned()]
                );
            }
            _ => {
                assert_eq!(
                    edited,
                    format!("SESSION_TOKEN={original}\r\nSESSION_TOKEN={minted}\r\nOTHER=1\r\n")
                );
                let codes: Vec<&str> = reports[1].findings.iter().map(|f| f.rule.code).collect();
                let expected = match check {
                    "expired" => "JWT003",
                    "unsigned" => "JWT001",
                    _ => "JWT009",
                };
                if check == "wrong-audience" {
                    assert_eq!(
                        reports[1].token.claims().unwrap()["aud"],
                        json!([jwtlens::mint::WRONG_AUDIENCE])
                    );
                } else {
                    assert!(codes.contains(&expected), "{check}: {codes:?}");
                }
            }
        }
    }
}

#[tokio::test]
async fn commands_explain_what_they_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let root = Url::from_file_path(dir.path()).unwrap().to_string();
    let mut client = start(&root).await;
    let uri = format!("{root}/a.txt");
    let jwe = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXZpdml2aXZpdml2.Y2lwaGVy.dGFndGFndGFndGFn";
    client.open(&uri, &format!("{jwe}\nplain text\n"), 1).await;
    assert!(
        code_actions(&mut client, &uri, 0, 5).await.is_empty(),
        "nothing to mint from a JWE"
    );
    let at = |line: u32, variant: &str| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": 3}, "variant": variant});
    let mint = |argument: Value| json!({"command": "jwtlens.mint", "arguments": [argument]});
    let jwe_result = client
        .request("workspace/executeCommand", mint(at(0, "replacement")))
        .await;
    assert!(jwe_result["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no readable claims"));
    let nothing = client
        .request("workspace/executeCommand", mint(at(1, "replacement")))
        .await;
    assert_eq!(nothing["error"]["message"], "no JWT at this position");
    let unknown = client
        .request("workspace/executeCommand", mint(at(0, "shiny")))
        .await;
    assert!(unknown["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("unknown variant shiny"));
    let bogus = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.launch", "arguments": []}),
        )
        .await;
    assert_eq!(bogus["error"]["message"], "unknown command jwtlens.launch");
    assert!(
        !dir.path().join(".jwtlens").exists(),
        "no keys created by failed commands"
    );
}
