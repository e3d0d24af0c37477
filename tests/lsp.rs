//! The language server in process, driven over `tokio::io::duplex` with real LSP framing.

use jwtlens_test_support::client::{codes, in_process as start};
use jwtlens_test_support::marked::Marked;
use jwtlens_test_support::tokens::{now, token};
use jwtlens_test_support::workspace::TempWorkspace as Workspace;
use serde_json::{json, Value};
use tower_lsp::lsp_types::Position;

fn live_clerk_token() -> String {
    token(
        json!({"alg": "RS256", "kid": "ins_2abc", "typ": "JWT"}),
        json!({
            "iss": "https://clerk.acme.io", "sub": "user_29w83", "sid": "sess_2x",
            "azp": "https://app.acme.io", "iat": now() - 30, "exp": now() + 3600, "nbf": now() - 40
        }),
    )
}

fn expired_token() -> String {
    token(
        json!({"alg": "HS256"}),
        json!({"iss": "https://auth.acme.io", "sub": "u1", "aud": "api", "jti": "1", "exp": now() - 3 * 86_400}),
    )
}

#[tokio::test]
async fn open_publishes_diagnostics_hover_decodes_and_close_clears() {
    let ws = Workspace::new();
    let mut client = start();
    let init = client
        .initialize(&ws.root_uri(), Value::Null, &["utf-16"])
        .await;
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["result"]["capabilities"]["hoverProvider"], true);
    assert!(
        init["result"]["capabilities"]["diagnosticProvider"].is_null(),
        "workspace diagnostics are opt-in"
    );

    let uri = ws.uri("src/auth.ts");
    let tok = live_clerk_token();
    let doc = Marked::new(&format!(
        "im$1port x from 'y';\nconst token = \"$0{tok}\";\n"
    ));
    client.open(&uri, &doc.text, 1).await;
    let diagnostics = client.diagnostics(&uri, Some(1)).await;
    let found = codes(&diagnostics);
    assert!(found.contains(&"JWT104".to_owned()), "{found:?}");
    assert!(found.contains(&"JWT009".to_owned()), "{found:?}");
    let live = diagnostics.iter().find(|d| d["code"] == "JWT104").unwrap();
    assert_eq!(live["severity"], 1);
    assert_eq!(live["source"], "jwtlens");
    assert_eq!(live["range"]["start"], json!({"line": 1, "character": 15}));
    assert_eq!(live["range"]["end"]["character"], 15 + tok.len());
    assert_eq!(live["data"]["rule"], "JWT104");
    assert!(live["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .ends_with("rules.md#jwt104-live-credential"));

    let hover = client.hover(&uri, doc.cursor()).await;
    let markdown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        markdown.contains("`RS256`") && markdown.contains("kid `ins_2abc`"),
        "{markdown}"
    );
    assert!(
        markdown.contains("`user_29w83`") && markdown.contains("expires")
            || markdown.contains("Expires"),
        "{markdown}"
    );
    assert!(markdown.contains("JWT104"), "{markdown}");
    assert_eq!(
        hover["result"]["range"]["start"],
        json!({"line": 1, "character": 15})
    );

    let outside = client.hover(&uri, doc.at(1)).await;
    assert_eq!(outside["result"], Value::Null);

    client
        .notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    client.cleared(&uri).await;
}

#[tokio::test]
async fn changes_republish_and_old_versions_never_win() {
    let ws = Workspace::new();
    let mut client = start();
    client.initialize(&ws.root_uri(), Value::Null, &[]).await;
    let uri = ws.uri("src/a.ts");
    client.open(&uri, "nothing here", 1).await;
    assert!(client.diagnostics(&uri, Some(1)).await.is_empty());

    let doc = Marked::new(&format!("let t = '$0{}';", expired_token()));
    for version in 2..=30 {
        let body = if version == 30 {
            doc.text.clone()
        } else {
            format!("// edit {version}")
        };
        client.change(&uri, &body, version).await;
    }
    // A late notification for an old version is ignored.
    client.change(&uri, "stale", 5).await;
    let last = client.diagnostics(&uri, Some(30)).await;
    assert!(codes(&last).contains(&"JWT003".to_owned()));
    let hover = client.hover(&uri, doc.cursor()).await;
    assert!(hover["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("expired 3 days ago"));
}

#[tokio::test]
async fn configuration_changes_republish_every_open_document() {
    let ws = Workspace::new();
    let mut client = start();
    client
        .initialize(&ws.root_uri(), json!({"rules": {"JWT003": "warning"}}), &[])
        .await;
    let uri = ws.uri("src/a.ts");
    client
        .open(&uri, &format!("'{}'", expired_token()), 1)
        .await;
    let before = client.diagnostics(&uri, Some(1)).await;
    let expired = before.iter().find(|d| d["code"] == "JWT003").unwrap();
    assert_eq!(
        expired["severity"], 2,
        "initializationOptions set JWT003 to warning"
    );

    let settings = json!({"jwtlens": {"rules": {"expired": "off", "JWT013": "error"}}});
    client
        .notify(
            "workspace/didChangeConfiguration",
            json!({"settings": settings}),
        )
        .await;
    let after = client.diagnostics(&uri, Some(1)).await;
    assert!(
        !codes(&after).contains(&"JWT003".to_owned()),
        "{:?}",
        codes(&after)
    );

    // Settings pulled with workspace/configuration when the notification carries none.
    client.configuration = json!({"rules": {"JWT003": "hint"}});
    client
        .notify(
            "workspace/didChangeConfiguration",
            json!({"settings": null}),
        )
        .await;
    let pulled = client.diagnostics(&uri, Some(1)).await;
    assert_eq!(
        pulled.iter().find(|d| d["code"] == "JWT003").unwrap()["severity"],
        4
    );
}

#[tokio::test]
async fn a_broken_config_file_is_reported_and_defaults_apply() {
    let ws = Workspace::new();
    std::fs::write(
        ws.path().join(".jwtlens.toml"),
        "clock_skew = 30\n[rules\nJWT003 = \"off\"\n",
    )
    .unwrap();
    let mut client = start();
    client.initialize(&ws.root_uri(), Value::Null, &[]).await;
    let config_uri = ws.uri(".jwtlens.toml");
    let config_diagnostics = client.diagnostics(&config_uri, None).await;
    assert_eq!(config_diagnostics.len(), 1);
    assert_eq!(config_diagnostics[0]["range"]["start"]["line"], 1);
    let message = client
        .wait_for(|m| m["method"] == "window/showMessage")
        .await;
    assert!(message["params"]["message"]
        .as_str()
        .unwrap()
        .contains(".jwtlens.toml is invalid"));

    let uri = ws.uri("src/a.ts");
    client
        .open(&uri, &format!("'{}'", expired_token()), 1)
        .await;
    assert!(codes(&client.diagnostics(&uri, Some(1)).await).contains(&"JWT003".to_owned()));

    // Fixing the file and saving it clears the error and applies it.
    std::fs::write(
        ws.path().join(".jwtlens.toml"),
        "[rules]\nJWT003 = \"off\"\n",
    )
    .unwrap();
    client
        .notify(
            "textDocument/didSave",
            json!({"textDocument": {"uri": config_uri}}),
        )
        .await;
    client.cleared(&config_uri).await;
    assert!(!codes(&client.diagnostics(&uri, Some(1)).await).contains(&"JWT003".to_owned()));
}

#[tokio::test]
async fn positions_count_utf16_units_after_emoji_cjk_and_crlf() {
    let ws = Workspace::new();
    let mut client = start();
    client
        .initialize(&ws.root_uri(), Value::Null, &["utf-16"])
        .await;
    let uri = ws.uri("src/i18n.ts");
    let tok = expired_token();
    let doc = Marked::new(&format!(
        "// 设置 😀 e\u{301}\r\nconst s = \"😀中\u{301}\"; const t = \"$0{tok}\";\r\n"
    ));
    client.open(&uri, &doc.text, 1).await;
    let diagnostics = client.diagnostics(&uri, Some(1)).await;
    let range = &diagnostics[0]["range"];
    // `const s = "` (11) + 😀 (2) + 中 (1) + U+0301 (1) + `"; const t = "` (14)
    assert_eq!(range["start"], json!({"line": 1, "character": 29}));
    assert_eq!(
        range["end"],
        json!({"line": 1, "character": 29 + tok.len()})
    );
    let hover = client.hover(&uri, doc.cursor()).await;
    assert!(hover["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("HS256"));
    // A position in the middle of the emoji's surrogate pair (no marker can stand
    // there) still answers.
    assert_eq!(
        client.hover(&uri, Position::new(1, 12)).await["result"],
        Value::Null
    );
}

#[tokio::test]
async fn utf8_positions_when_the_client_offers_them() {
    let ws = Workspace::new();
    let mut client = start();
    let init = client
        .initialize(&ws.root_uri(), Value::Null, &["utf-8", "utf-16"])
        .await;
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-8");
    let uri = ws.uri("src/u.ts");
    let text = format!("😀 '{}'", expired_token());
    client.open(&uri, &text, 1).await;
    let diagnostics = client.diagnostics(&uri, Some(1)).await;
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 0, "character": 6})
    );
}

#[tokio::test]
async fn requests_past_the_end_and_for_unknown_documents_answer() {
    let ws = Workspace::new();
    let mut client = start();
    client.initialize(&ws.root_uri(), Value::Null, &[]).await;
    let uri = ws.uri("src/a.ts");
    let doc = Marked::new(&format!("'$0{}'", expired_token()));
    client.open(&uri, &doc.text, 1).await;
    client.diagnostics(&uri, Some(1)).await;
    // Past the last line: a position no marker can stand at.
    assert_eq!(
        client.hover(&uri, Position::new(999, 999)).await["result"],
        Value::Null
    );
    assert_eq!(
        client
            .hover(&ws.uri("src/never-opened.ts"), Position::new(0, 0))
            .await["result"],
        Value::Null
    );
    client.change(&ws.uri("src/never-opened.ts"), "x", 2).await;
    assert!(client.hover(&uri, doc.cursor()).await["result"]["contents"].is_object());
}

#[tokio::test]
async fn fixture_paths_lower_time_rules_to_hints() {
    let ws = Workspace::new();
    let mut client = start();
    client.initialize(&ws.root_uri(), Value::Null, &[]).await;
    let uri = ws.uri("tests/fixtures/tokens.json");
    client
        .open(&uri, &format!("{{\"t\": \"{}\"}}", expired_token()), 1)
        .await;
    let diagnostics = client.diagnostics(&uri, Some(1)).await;
    let expired = diagnostics.iter().find(|d| d["code"] == "JWT003").unwrap();
    assert_eq!(expired["severity"], 4);
    assert!(expired["message"].as_str().unwrap().ends_with("— fixture"));
}

#[tokio::test]
async fn inlay_hints_summarise_tokens_when_enabled() {
    let ws = Workspace::new();
    let mut client = start();
    client.initialize(&ws.root_uri(), Value::Null, &[]).await;
    let uri = ws.uri("src/a.ts");
    let text = format!("const a = '{}';\n", live_clerk_token());
    client.open(&uri, &text, 1).await;
    client.diagnostics(&uri, Some(1)).await;
    let range = json!({"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}});
    let params = json!({"textDocument": {"uri": uri}, "range": range});
    let off = client
        .request("textDocument/inlayHint", params.clone())
        .await;
    assert_eq!(off["result"], json!([]), "off by default");

    client
        .notify(
            "workspace/didChangeConfiguration",
            json!({"settings": {"inlayHints": true}}),
        )
        .await;
    client.diagnostics(&uri, Some(1)).await;
    let hints = client.request("textDocument/inlayHint", params).await;
    let hint = &hints["result"][0];
    // Before the token, where it is seen however long the token is.
    assert_eq!(
        hint["position"],
        json!({"line": 0, "character": text.find("'").unwrap() + 1})
    );
    assert_eq!(hint["paddingRight"], true);
    let label = hint["label"].as_str().unwrap();
    // exp is an hour after the token was made, a moment ago; then the most severe finding.
    assert!(
        ["Clerk · expires in 1 h", "Clerk · expires in 59 min"]
            .map(|summary| format!("{summary} · error: live credential"))
            .contains(&label.to_owned()),
        "{label}"
    );
}

#[tokio::test]
async fn the_decode_command_returns_the_token_as_json() {
    let ws = Workspace::new();
    let mut client = start();
    let init = client.initialize(&ws.root_uri(), Value::Null, &[]).await;
    let commands = &init["result"]["capabilities"]["executeCommandProvider"]["commands"];
    assert!(
        commands
            .as_array()
            .unwrap()
            .contains(&json!("jwtlens.decode")),
        "{commands}"
    );
    let uri = ws.uri("src/a.ts");
    let doc = Marked::new(&format!("x$1 = '$0{}'", expired_token()));
    client.open(&uri, &doc.text, 1).await;
    let argument = json!({"textDocument": {"uri": uri}, "position": doc.cursor()});
    let decoded = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.decode", "arguments": [argument]}),
        )
        .await;
    let result = &decoded["result"];
    assert_eq!(result["header"]["alg"], "HS256");
    assert_eq!(result["payload"]["sub"], "u1");
    assert_eq!(result["range"]["start"], json!({"line": 0, "character": 5}));
    assert!(result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "JWT003"));

    let flat = json!({"uri": uri, "position": doc.cursor()});
    let again = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.decode", "arguments": [flat]}),
        )
        .await;
    assert_eq!(again["result"]["payload"]["sub"], "u1");

    let nowhere = json!({"uri": uri, "position": doc.at(1)});
    let missing = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.decode", "arguments": [nowhere]}),
        )
        .await;
    assert_eq!(missing["error"]["message"], "no JWT at this position");
    let bad = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.decode", "arguments": []}),
        )
        .await;
    assert!(bad["error"]["message"]
        .as_str()
        .unwrap()
        .contains("takes one argument"));
}

/// Diagnostics, inlay hint labels and tooltips are plain text an editor shows as it is:
/// a terminal escape or a direction override from a claim arrives escaped.
#[tokio::test]
async fn claim_controls_reach_diagnostics_and_inlay_hints_escaped() {
    let ws = Workspace::new();
    let mut client = start();
    client
        .initialize(&ws.root_uri(), json!({"inlayHints": true}), &[])
        .await;
    let uri = ws.uri("src/a.ts");
    let hostile = token(
        json!({"alg": "HS256"}),
        json!({"iss": "https://idp.acme.io/\u{1b}[2J\u{202E}", "role": "admin\u{9b}\u{2066}", "exp": now() + 600}),
    );
    client
        .open(&uri, &format!("const a = '{hostile}';\n"), 1)
        .await;
    let diagnostics = client.diagnostics(&uri, Some(1)).await;
    let unsafe_char =
        |c: char| c.is_control() || ('\u{2066}'..='\u{2069}').contains(&c) || c == '\u{202E}';
    let messages: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(
            &"HS256 with the public issuer https://idp.acme.io/\\u{1b}[2J\\u{202e}: every service that verifies it holds the secret and can mint tokens"
        ),
        "{messages:#?}"
    );
    assert!(!messages.iter().any(|m| m.contains(unsafe_char)));

    let range = json!({"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}});
    let hints = client
        .request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": uri}, "range": range}),
        )
        .await;
    let hint = &hints["result"][0];
    let label = hint["label"].as_str().unwrap();
    assert!(
        label.starts_with("JWT HS256 · admin\\u{9b}\\u{2066} · expires in "),
        "{label}"
    );
    let tooltip = hint["tooltip"].as_str().unwrap();
    assert!(!tooltip.contains(unsafe_char), "{tooltip}");
}
