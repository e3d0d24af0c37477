//! Incremental sync against the real binary: ranged `didChange`s, counted in the
//! negotiated position encoding, change tokens and the diagnostics follow.

use jwtlens_test_support::client::codes;
use jwtlens_test_support::tokens::{now, token};
use serde_json::{json, Value};
use tower_lsp::lsp_types::Position;

/// A ranged change (`[line, character]` to `[line, character]`).
fn ranged(start: (usize, usize), end: (usize, usize), text: &str) -> Value {
    json!({
        "range": {
            "start": {"line": start.0, "character": start.1},
            "end": {"line": end.0, "character": end.1},
        },
        "text": text,
    })
}

/// The column of byte `offset` on its line, in `encoding` ("utf-8" or "utf-16").
fn column(line: &str, offset: usize, encoding: &str) -> usize {
    match encoding {
        "utf-8" => offset,
        _ => line[..offset].encode_utf16().count(),
    }
}

async fn edits_change_tokens(encoding: &str) {
    let dir = tempfile::tempdir().unwrap();
    let root = tower_lsp::lsp_types::Url::from_file_path(dir.path())
        .unwrap()
        .to_string();
    let mut server = crate::language_server(&[]);
    let client = &mut server.client;
    let init = client.initialize(&root, Value::Null, &[encoding]).await;
    assert_eq!(
        init["result"]["capabilities"]["textDocumentSync"]["change"], 2,
        "incremental sync is offered"
    );
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], encoding);

    let unsigned = token(json!({"alg": "none"}), json!({"sub": "u1", "iat": now()}));
    let expired = token(
        json!({"alg": "HS256", "typ": "JWT"}),
        json!({"sub": "u2", "iat": now() - 7200, "exp": now() - 3600, "aud": "api", "jti": "1"}),
    );
    // Characters outside the BMP and CJK before the token, on a line after a CRLF and a
    // lone CR: a column counted in the wrong unit edits the wrong bytes.
    let prefix = "// 😀 中文 𝄞 = ";
    let line = format!("{prefix}\"{unsigned}\";");
    let text = format!("first\r\nsecond\r{line}\nlast\n");
    let uri = format!("{root}/src/app.ts");
    client.open(&uri, &text, 1).await;
    let found = codes(&client.diagnostics(&uri, Some(1)).await);
    assert!(found.contains(&"JWT001".to_owned()), "{found:?}");

    // Replace the token with another one.
    let start = column(&line, prefix.len() + 1, encoding);
    let end = column(&line, prefix.len() + 1 + unsigned.len(), encoding);
    let params = json!({
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [ranged((2, start), (2, end), &expired)],
    });
    client.notify("textDocument/didChange", params).await;
    let found = codes(&client.diagnostics(&uri, Some(2)).await);
    assert!(found.contains(&"JWT003".to_owned()), "{found:?}");
    assert!(!found.contains(&"JWT001".to_owned()), "{found:?}");
    let hover = client.hover(&uri, Position::new(2, start as u32 + 3)).await;
    let shown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        shown.contains("u2"),
        "the hover reads the new token: {shown}"
    );

    // Two changes in one notification, each on the text the previous one left: a line
    // inserted above (moving the token down a line), then the token deleted from its
    // new line.
    let line = format!("{prefix}\"{expired}\";");
    let token_end = column(&line, prefix.len() + 1 + expired.len(), encoding);
    let params = json!({
        "textDocument": {"uri": uri, "version": 3},
        "contentChanges": [
            ranged((1, 0), (1, 0), "inserted 😀\r\n"),
            ranged((3, start), (3, token_end), ""),
        ],
    });
    client.notify("textDocument/didChange", params).await;
    let found = client.diagnostics(&uri, Some(3)).await;
    assert!(found.is_empty(), "the token is gone: {found:?}");

    // A full-text change still replaces everything.
    let params = json!({
        "textDocument": {"uri": uri, "version": 4},
        "contentChanges": [{"text": format!("x = \"{unsigned}\"\n")}],
    });
    client.notify("textDocument/didChange", params).await;
    let found = codes(&client.diagnostics(&uri, Some(4)).await);
    assert!(found.contains(&"JWT001".to_owned()), "{found:?}");

    // A range far past the end clamps to the end of the text; the server keeps serving.
    let params = json!({
        "textDocument": {"uri": uri, "version": 5},
        "contentChanges": [ranged((99, 99), (u32::MAX as usize, 0), &format!("y = \"{expired}\"\n"))],
    });
    client.notify("textDocument/didChange", params).await;
    let found = codes(&client.diagnostics(&uri, Some(5)).await);
    assert!(
        found.contains(&"JWT001".to_owned()) && found.contains(&"JWT003".to_owned()),
        "both tokens: {found:?}"
    );
    let hover = client.hover(&uri, Position::new(1, 8)).await;
    let shown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("u2"), "appended at the end: {shown}");
    server.finish().await;
}

#[tokio::test]
async fn ranged_changes_in_utf16_change_tokens() {
    edits_change_tokens("utf-16").await;
}

#[tokio::test]
async fn ranged_changes_in_utf8_change_tokens() {
    edits_change_tokens("utf-8").await;
}
