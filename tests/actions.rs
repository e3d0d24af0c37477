//! Code actions and commands: minting replacement and negative-test tokens through the
//! language server, with the edit applied as an editor would apply it.

use std::collections::HashMap;

use jwtlens_engine::analysis::{analyse, DocumentContext};
use jwtlens_engine::config::Config;
use jwtlens_keys::key::Key;
use jwtlens_keys::mint::{TestKeys, Variant};
use jwtlens_test_support::client::{apply_edit, in_process, InProcess as Client};
use jwtlens_test_support::marked::Marked;
use jwtlens_test_support::tokens::now;
use jwtlens_test_support::workspace::TempWorkspace;
use serde_json::{json, Value};
use tower_lsp::lsp_types::Position;

async fn start(root: &str) -> Client {
    let mut client = in_process();
    client.initialize(root, Value::Null, &[]).await;
    client
}

/// A live-looking Clerk token, signed with a key the workspace does not have.
fn committed_token() -> String {
    committed_token_for("user_2vB9wK3Live")
}

fn committed_token_for(sub: &str) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(b"production-secret-nobody-has");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("prod-2025".into());
    let claims = json!({
        "iss": "https://clerk.acme-saas.io", "sub": sub, "sid": "sess_2vB9yHq1",
        "email": "ada@acme-saas.io", "aud": ["https://api.acme-saas.io"], "iat": now(), "exp": now() + 3600
    });
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// The edited text, for an edit sent as plain `changes` (no version).
fn apply(text: &str, edit: &Value, uri: &str) -> String {
    let (edited, version) = apply_edit(text, edit, uri);
    assert_eq!(version, None, "{edit}");
    edited
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

/// The code actions at `at` (an empty range), with the diagnostics of version 1 in
/// context, as an editor's light bulb asks for them.
async fn code_actions(client: &mut Client, uri: &str, at: Position) -> Vec<Value> {
    let diagnostics = client.diagnostics(uri, Some(1)).await;
    let range = json!({"start": at, "end": at});
    let params = json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": diagnostics}});
    client.request("textDocument/codeAction", params).await["result"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn mint_replacement_replaces_the_token_with_one_the_test_key_verifies() {
    let dir = TempWorkspace::new();
    let root = dir.root_uri();
    let mut client = start(&root).await;
    let uri = format!("{root}/src/session.ts");
    let original = committed_token();
    let doc = Marked::new(&format!(
        "// session for the smoke test\nexport const token = \"$0{original}\";\n"
    ));
    let text = &doc.text;
    client.open(&uri, text, 1).await;

    let actions = code_actions(&mut client, &uri, doc.cursor()).await;
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
    let edited = apply(text, &client.applied_edits[0], &uri);
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
    let hover = client.hover(&uri, doc.cursor()).await;
    let markdown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        markdown.contains("test fixture (signed by workspace test key)"),
        "{markdown}"
    );
}

#[tokio::test]
async fn negative_variants_go_on_a_copy_of_the_line_and_anonymised_replaces() {
    let dir = TempWorkspace::new();
    let root = dir.root_uri();
    let mut client = start(&root).await;
    let uri = format!("{root}/tests/fixtures.env");
    let original = committed_token();
    let doc = Marked::new(&format!("SESSION_TOKEN=$0{original}\r\nOTHER=1\r\n"));
    let text = &doc.text;
    client.open(&uri, text, 1).await;
    let actions = code_actions(&mut client, &uri, doc.cursor()).await;

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
        let edited = apply(text, &client.applied_edits[before], &uri);
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
                        json!([jwtlens_keys::mint::WRONG_AUDIENCE])
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
    let dir = TempWorkspace::new();
    let root = dir.root_uri();
    let mut client = start(&root).await;
    let uri = format!("{root}/a.txt");
    // $0 on a JWE, $1 on plain text.
    let doc = Marked::new(
        "eyJ$0hbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXZpdml2aXZpdml2.Y2lwaGVy.dGFndGFndGFndGFn\npla$1in text\n",
    );
    client.open(&uri, &doc.text, 1).await;
    assert!(
        code_actions(&mut client, &uri, doc.cursor())
            .await
            .is_empty(),
        "nothing to mint from a JWE"
    );
    let at = |marker: usize, variant: &str| json!({"textDocument": {"uri": uri}, "position": doc.at(marker), "variant": variant});
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

/// A client that applies versioned edits, as VS Code, Neovim, eglot and Helix do.
async fn start_versioned(root: &str) -> Client {
    let mut client = in_process();
    let capabilities = json!({"workspaceEdit": {"documentChanges": true}});
    client
        .initialize_with(root, Value::Null, &[], capabilities)
        .await;
    client
}

/// The `workspace/executeCommand` parameters of each mint action offered at `at` in a
/// document at version 1, by variant.
async fn mint_commands(client: &mut Client, uri: &str, at: Position) -> HashMap<String, Value> {
    code_actions(client, uri, at)
        .await
        .iter()
        .map(|action| &action["command"])
        .filter(|command| command["command"] == "jwtlens.mint")
        .map(|command| {
            let variant = command["arguments"][0]["variant"].as_str().unwrap();
            let params = json!({"command": command["command"], "arguments": command["arguments"]});
            (variant.to_owned(), params)
        })
        .collect()
}

async fn execute(client: &mut Client, params: &Value) -> Value {
    client
        .request("workspace/executeCommand", params.clone())
        .await
}

/// Every variant, in documents whose lines end with LF, CRLF or a lone CR, with the token
/// mid-document and on a last line without a line break: the edit, applied as an editor
/// applies it, gives exactly the expected text (copies included, nothing duplicated).
#[tokio::test]
async fn every_variant_edits_lf_crlf_and_cr_only_documents_exactly() {
    let dir = TempWorkspace::new();
    let root = dir.root_uri();
    let mut client = start_versioned(&root).await;
    let original = committed_token();
    for (name, eol) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
        for (case, text) in [
            (
                "middle",
                format!("first{eol}  token: \"$0{original}\",{eol}last{eol}"),
            ),
            ("last", format!("first{eol}TOKEN=$0{original}")),
        ] {
            let doc = Marked::new(&text);
            let text = &doc.text;
            let uri = format!("{root}/{case}-{name}.txt");
            client.open(&uri, text, 1).await;
            let commands = mint_commands(&mut client, &uri, doc.cursor()).await;
            for variant in Variant::ALL.map(Variant::name) {
                let before = client.applied_edits.len();
                let result = execute(&mut client, &commands[variant]).await;
                let minted = result["result"]["token"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{variant} in {case}-{name}: {result}"));
                let (edited, version) = apply_edit(text, &client.applied_edits[before], &uri);
                assert_eq!(version, Some(1));
                let expected = match (Variant::from_name(variant).unwrap().replaces(), case) {
                    (true, _) => text.replace(&original, minted),
                    (false, "middle") => format!(
                        "first{eol}  token: \"{original}\",{eol}  token: \"{minted}\",{eol}last{eol}"
                    ),
                    (false, _) => format!("first{eol}TOKEN={original}{eol}TOKEN={minted}"),
                };
                assert_eq!(edited, expected, "{variant} in {case}-{name}");
            }
        }
    }

    // A document of one line and no line break at all: the copy goes on a new line.
    let uri = format!("{root}/alone.txt");
    client.open(&uri, &original, 1).await;
    let commands = mint_commands(&mut client, &uri, Position::new(0, 3)).await;
    let result = execute(&mut client, &commands["expired"]).await;
    let minted = result["result"]["token"].as_str().unwrap();
    let (edited, _) = apply_edit(&original, client.applied_edits.last().unwrap(), &uri);
    assert_eq!(edited, format!("{original}\n{minted}"));
}

/// The editor offers the actions, the user inserts a line above the token, then picks one:
/// the token it was offered for is found again by fingerprint (the occurrence nearest the
/// offered position when it appears twice) and the edit is for the new version. Before,
/// the offered position now pointing at the token above, that token was replaced.
#[tokio::test]
async fn an_action_run_after_a_change_above_edits_its_own_token_in_the_new_version() {
    let dir = TempWorkspace::new();
    let root = dir.root_uri();
    let mut client = start_versioned(&root).await;
    let uri = format!("{root}/tokens.env");
    let (above, offered) = (
        committed_token_for("user_above"),
        committed_token_for("user_offered"),
    );
    let filler = "# ------------------";
    let doc = Marked::new(&format!(
        "A={above}\nB=$0{offered}\n{filler}\n{filler}\nC=$1{offered}\n"
    ));
    let text = &doc.text;
    client.open(&uri, text, 1).await;
    let at_b = mint_commands(&mut client, &uri, doc.cursor()).await;
    let at_c = {
        // The same document, actions asked for at another position.
        let actions = client.code_actions_at(&uri, doc.at(1)).await;
        actions["result"][0]["command"].clone()
    };
    assert_eq!(at_c["arguments"][0]["variant"], "replacement");

    // $0: the cursor of a key binding, on A now (the line where B was offered).
    let changed = Marked::new(&format!(
        "// a new first line\nA=$0{above}\nB={offered}\n{filler}\n{filler}\nC={offered}\n"
    ));
    assert_eq!(changed.text, format!("// a new first line\n{text}"));
    let (cursor, changed) = (changed.cursor(), changed.text);
    client.change(&uri, &changed, 2).await;
    client.diagnostics(&uri, Some(2)).await;

    let result = execute(&mut client, &at_b["replacement"]).await;
    let minted = result["result"]["token"].as_str().unwrap();
    let (edited, version) = apply_edit(&changed, client.applied_edits.last().unwrap(), &uri);
    assert_eq!(
        version,
        Some(2),
        "the edit is for the version it was computed from"
    );
    assert_eq!(
        edited,
        format!("// a new first line\nA={above}\nB={minted}\n{filler}\n{filler}\nC={offered}\n")
    );

    let params = json!({"command": at_c["command"], "arguments": at_c["arguments"]});
    let result = execute(&mut client, &params).await;
    let minted = result["result"]["token"].as_str().unwrap();
    let (edited, _) = apply_edit(&changed, client.applied_edits.last().unwrap(), &uri);
    assert_eq!(
        edited,
        format!("// a new first line\nA={above}\nB={offered}\n{filler}\n{filler}\nC={minted}\n")
    );

    // Bound to a key, the command takes a position only: the token under the cursor in
    // the text as it is now (line 1 holds A now).
    let at_cursor = json!({"command": "jwtlens.mint", "arguments": [
        {"textDocument": {"uri": uri}, "position": cursor, "variant": "expired"}
    ]});
    let result = execute(&mut client, &at_cursor).await;
    let minted = result["result"]["token"].as_str().unwrap();
    let (edited, _) = apply_edit(&changed, client.applied_edits.last().unwrap(), &uri);
    assert_eq!(
        edited,
        format!("// a new first line\nA={above}\nA={minted}\nB={offered}\n{filler}\n{filler}\nC={offered}\n")
    );
}

/// A versioned client with `session.ts` open (one committed token, version 1), and the
/// mint actions offered for that token.
async fn one_token_session() -> (TempWorkspace, Client, String, HashMap<String, Value>) {
    let dir = TempWorkspace::new();
    let root = dir.root_uri();
    let mut client = start_versioned(&root).await;
    let uri = format!("{root}/session.ts");
    let doc = Marked::new(&format!("const t = \"$0{}\";\n", committed_token()));
    client.open(&uri, &doc.text, 1).await;
    let commands = mint_commands(&mut client, &uri, doc.cursor()).await;
    (dir, client, uri, commands)
}

/// The command failed with `code` and a message saying `why`, and the user was shown it.
async fn assert_told(client: &mut Client, result: &Value, code: i64, why: &str) {
    assert_eq!(result["error"]["code"], code, "{result}");
    let message = result["error"]["message"].as_str().unwrap();
    assert!(message.contains(why), "{message}");
    let shown = client
        .wait_for(|m| m["method"] == "window/showMessage")
        .await;
    assert_eq!(shown["params"]["message"], format!("jwtlens: {message}"));
}

/// The token was deleted between the offer and the command: nothing is sent to the
/// editor, nothing is minted, the command fails with ContentModified and the user is told.
#[tokio::test]
async fn a_token_gone_before_the_command_runs_is_not_written_and_the_user_is_told() {
    let (dir, mut client, uri, commands) = one_token_session().await;
    client.change(&uri, "const t = \"\";\n", 2).await;
    client.diagnostics(&uri, Some(2)).await;

    let result = execute(&mut client, &commands["replacement"]).await;
    assert_told(&mut client, &result, -32801, "no longer in the document").await;
    assert!(client.applied_edits.is_empty(), "no applyEdit was sent");
    assert!(!dir.path().join(".jwtlens").exists(), "nothing was minted");
}

/// The editor refuses the edit (its document moved on past the edit's version): the
/// command fails with the editor's reason and the user is told.
#[tokio::test]
async fn an_edit_the_editor_refuses_fails_the_command_and_the_user_is_told() {
    let (_dir, mut client, _uri, commands) = one_token_session().await;
    client.apply_edit_reply =
        json!({"applied": false, "failureReason": "document version 2 is newer than the edit's 1"});

    let result = execute(&mut client, &commands["expired"]).await;
    assert_eq!(client.applied_edits.len(), 1);
    let why = "not written (document version 2 is newer than the edit's 1)";
    assert_told(&mut client, &result, -32803, why).await;
}
