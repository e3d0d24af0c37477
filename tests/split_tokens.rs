//! Tokens split over several literals or lines, through the language server: diagnostics
//! span the pieces, hover works on any piece, and minting a replacement writes the whole
//! token as one literal over the span, which leaves valid code in every split syntax.

use jwtlens_test_support::client::{apply_edit, in_process, InProcess};
use jwtlens_test_support::tokens::now;
use serde_json::{json, Value};
use tower_lsp::lsp_types::{Position, Url};

/// A live-looking token (JWT104 outside test data), signed with a key nobody has.
fn live_token() -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(b"production-secret-nobody-has");
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let claims = json!({
        "iss": "https://clerk.acme-saas.io", "sub": "user_2vB9wK3Live", "sid": "sess_2vB9yHq1",
        "aud": ["https://api.acme-saas.io"], "iat": now(), "exp": now() + 3600
    });
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// One syntax: a file name and a template whose `{1}`, `{2}`, `{3}` are the token's pieces
/// on lines 1 to 3 (0-based) and whose `{t}` is where the one-literal replacement goes.
struct Syntax {
    file: &'static str,
    split: &'static str,
    joined: &'static str,
}

const SYNTAXES: &[Syntax] = &[
    Syntax {
        file: "session.py",
        split: "TOKEN = (\n    \"{1}\"\n    \"{2}\"\n    \"{3}\"\n)\n",
        joined: "TOKEN = (\n    \"{t}\"\n)\n",
    },
    Syntax {
        file: "session.js",
        split: "const t =\n  '{1}' +\n  '{2}' +\n  '{3}';\n",
        joined: "const t =\n  '{t}';\n",
    },
    Syntax {
        file: "Session.java",
        split: "String t =\n    \"{1}\"\n    + \"{2}\"\n    + \"{3}\";\n",
        joined: "String t =\n    \"{t}\";\n",
    },
    Syntax {
        file: "session.c",
        split: "const char *t =\n    \"{1}\"\n    \"{2}\"\n    \"{3}\";\n",
        joined: "const char *t =\n    \"{t}\";\n",
    },
    Syntax {
        file: "session.go",
        split: "var t =\n\t`{1}` +\n\t`{2}` +\n\t`{3}`\n",
        joined: "var t =\n\t`{t}`\n",
    },
    Syntax {
        file: "session.sh",
        split:
            "curl https://api.acme-saas.io \\\n  -H \"Authorization: Bearer {1}\\\n{2}\\\n{3}\"\n",
        joined: "curl https://api.acme-saas.io \\\n  -H \"Authorization: Bearer {t}\"\n",
    },
    Syntax {
        file: "session.yaml",
        split: "auth:\n  token: >-\n    {1}\n    {2}\n    {3}\n  audience: api\n",
        joined: "auth:\n  token: >-\n    {t}\n  audience: api\n",
    },
    Syntax {
        file: "tokens.js",
        split: "t.idToken =\n`{1}\n{2}\n{3}`.replace(/\\n/g, '');\n",
        joined: "t.idToken =\n`{t}`.replace(/\\n/g, '');\n",
    },
];

fn fill(template: &str, token: &str) -> String {
    let (a, rest) = token.split_at(40);
    let (b, c) = rest.split_at(rest.len() / 2);
    template
        .replace("{1}", a)
        .replace("{2}", b)
        .replace("{3}", c)
}

async fn execute(client: &mut InProcess, command: &Value) -> Value {
    let params = json!({"command": command["command"], "arguments": command["arguments"]});
    client.request("workspace/executeCommand", params).await
}

#[tokio::test]
async fn split_tokens_are_reported_hovered_and_replaced_as_one_literal_in_every_syntax() {
    let original = live_token();
    for syntax in SYNTAXES {
        let dir = tempfile::tempdir().unwrap();
        let root = Url::from_file_path(dir.path()).unwrap().to_string();
        let mut client = in_process();
        client.initialize(&root, Value::Null, &[]).await;
        let uri = format!("{root}/src/{}", syntax.file);
        let text = fill(syntax.split, &original);
        client.open(&uri, &text, 1).await;

        let diagnostics = client.diagnostics(&uri, Some(1)).await;
        let live = diagnostics
            .iter()
            .find(|d| d["code"] == "JWT104")
            .unwrap_or_else(|| panic!("{}: {diagnostics:?}", syntax.file));
        let first = text
            .lines()
            .position(|l| l.contains(&original[..40]))
            .unwrap();
        assert_eq!(live["range"]["start"]["line"], first, "{}", syntax.file);
        assert_eq!(live["range"]["end"]["line"], first + 2, "{}", syntax.file);

        // Hover on the middle piece shows the whole token's claims.
        let hover = client.hover(&uri, Position::new(first as u32 + 1, 4)).await;
        let markdown = hover["result"]["contents"]["value"].as_str().unwrap_or("");
        assert!(
            markdown.contains("user_2vB9wK3Live"),
            "{}: {hover}",
            syntax.file
        );

        let range = json!({"start": {"line": first + 1, "character": 4}, "end": {"line": first + 1, "character": 4}});
        let params = json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": diagnostics}});
        let actions = client.request("textDocument/codeAction", params).await["result"]
            .as_array()
            .unwrap()
            .clone();
        let variants: Vec<&str> = actions
            .iter()
            .filter(|a| a["command"]["command"] == "jwtlens.mint")
            .map(|a| a["command"]["arguments"][0]["variant"].as_str().unwrap())
            .collect();
        assert_eq!(
            variants,
            ["replacement", "anonymised"],
            "{}: line copies are not offered for a split token",
            syntax.file
        );

        let replacement = actions
            .iter()
            .find(|a| a["command"]["command"] == "jwtlens.mint")
            .unwrap();
        let result = execute(&mut client, &replacement["command"]).await;
        let minted = result["result"]["token"].as_str().unwrap();
        assert_eq!(client.applied_edits.len(), 1, "{}", syntax.file);
        let (edited, _) = apply_edit(&text, &client.applied_edits[0], &uri);
        assert_eq!(
            edited,
            syntax.joined.replace("{t}", minted),
            "{}",
            syntax.file
        );
    }
}

#[tokio::test]
async fn negative_test_copies_of_a_split_token_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let root = Url::from_file_path(dir.path()).unwrap().to_string();
    let mut client = in_process();
    client.initialize(&root, Value::Null, &[]).await;
    let uri = format!("{root}/src/session.py");
    let text = fill(SYNTAXES[0].split, &live_token());
    client.open(&uri, &text, 1).await;
    client.diagnostics(&uri, Some(1)).await;
    let command = json!({
        "command": "jwtlens.mint",
        "arguments": [{"textDocument": {"uri": uri}, "position": {"line": 2, "character": 6}, "variant": "expired"}],
    });
    let result = execute(&mut client, &command).await;
    let message = result["error"]["message"].as_str().unwrap();
    assert!(message.contains("split over several lines"), "{message}");
    assert!(client.applied_edits.is_empty());
    assert!(
        !dir.path().join(".jwtlens").exists(),
        "refused before any key is created"
    );
}
