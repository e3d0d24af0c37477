//! Edits faster than analysis, against the real binary: only the newest version of a
//! document is analysed and published, and requests answer from the newest text.

use jwtlens_test_support::client::codes;
use jwtlens_test_support::tokens::{now, token};
use std::time::Duration;

use serde_json::{json, Value};
use tower_lsp::lsp_types::Position;

/// Versions sent after the document is opened at version 1.
const EDITS: i64 = 200;

/// A token on the first line, `sub` telling the versions apart; `alg: none` on the last.
fn first_line_token(version: i64) -> String {
    let alg = if version == EDITS + 1 {
        "none"
    } else {
        "HS256"
    };
    token(
        json!({"alg": alg, "typ": "JWT"}),
        json!({"sub": format!("v{version}"), "iat": now(), "exp": now() + 600, "aud": "api", "jti": "1"}),
    )
}

#[tokio::test]
async fn a_burst_of_changes_analyses_and_publishes_only_the_newest_version() {
    let dir = tempfile::tempdir().unwrap();
    let root = tower_lsp::lsp_types::Url::from_file_path(dir.path())
        .unwrap()
        .to_string();
    let mut server = crate::language_server(&[("JWTLENS_LOG", "jwtlens_lsp=debug")]);
    let client = &mut server.client;
    client.initialize(&root, Value::Null, &["utf-16"]).await;

    // About 1 MB: the token on line 0, then filler with a token every 200 lines.
    let filler_token = token(
        json!({"alg": "HS256"}),
        json!({"sub": "filler", "iat": now()}),
    );
    let mut text = format!("t = \"{}\";\n", first_line_token(1));
    for line in 0.. {
        if text.len() >= 1 << 20 {
            break;
        }
        if line % 200 == 0 {
            text.push_str(&format!("const t{line} = \"{filler_token}\";\n"));
        } else {
            text.push_str("// filler text that is not a token, but is scanned all the same\n");
        }
    }
    let uri = format!("{root}/src/big.ts");
    client.open(&uri, &text, 1).await;

    // Each change replaces the first line's token, as fast as the pipe takes them.
    let mut old_len = first_line_token(1).len();
    for version in 2..=EDITS + 1 {
        let new = first_line_token(version);
        let params = json!({
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{
                "range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 5 + old_len}},
                "text": new,
            }],
        });
        client.notify("textDocument/didChange", params).await;
        old_len = new.len();
    }
    let last = EDITS + 1;

    // A hover right after the burst reads the newest text.
    let hover = client.hover(&uri, Position::new(0, 10)).await;
    let shown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(shown.contains(&format!("v{last}")), "{shown}");
    let actions = client
        .code_actions(
            &uri,
            json!({"start": {"line": 0, "character": 10}, "end": {"line": 0, "character": 10}}),
        )
        .await;
    assert!(
        !actions["result"].as_array().unwrap().is_empty(),
        "code actions for the newest token: {actions}"
    );

    // Every publication for the document, in arrival order, up to the final version's.
    let mut versions = Vec::new();
    let final_diagnostics = loop {
        let message = match client.notifications.pop_front() {
            Some(message) => message,
            None => client.receive().await.expect("the server is running"),
        };
        if message.get("id").is_some() {
            client.handle(message).await; // a request from the server
            continue;
        }
        if message["method"] != "textDocument/publishDiagnostics" || message["params"]["uri"] != uri
        {
            continue;
        }
        let version = message["params"]["version"].as_i64().unwrap();
        versions.push(version);
        if version == last {
            break message["params"]["diagnostics"].as_array().unwrap().clone();
        }
    };
    assert!(
        codes(&final_diagnostics).contains(&"JWT001".to_owned()),
        "the final version's `alg: none` is reported: {final_diagnostics:?}"
    );
    // And any that came after it, before the answer to `shutdown`.
    client.shutdown().await;
    versions.extend(
        client
            .notifications
            .iter()
            .filter(|m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
            })
            .map(|m| m["params"]["version"].as_i64().unwrap()),
    );
    assert!(
        versions.windows(2).all(|pair| pair[0] < pair[1]),
        "each publication is of a newer version: {versions:?}"
    );
    assert_eq!(versions.last(), Some(&last), "{versions:?}");
    client.notify("exit", Value::Null).await;
    let (status, stderr) = server.wait_for_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "{status}: {stderr}");
    let analyses = stderr
        .lines()
        .filter(|line| line.contains("analysed"))
        .count();
    // Far below one per version. The bound is loose on purpose: how many versions slip in
    // between analyses depends on the machine's speed, not on correctness.
    assert!(
        (1..=EDITS as usize / 4).contains(&analyses),
        "{analyses} analyses for {} versions",
        EDITS + 1
    );
    let path = dir.path().to_str().unwrap();
    assert!(
        !stderr.contains(&uri) && !stderr.contains(path),
        "no URI in the logs"
    );
    assert!(
        !stderr.contains(&filler_token[..30]),
        "no document text in the logs"
    );
    eprintln!(
        "{analyses} analyses for {} versions; published: {versions:?}",
        EDITS + 1
    );
}
