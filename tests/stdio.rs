//! The real binary, spoken to over its stdin/stdout as an editor would.

use jwtlens_test_support::client::codes;
use jwtlens_test_support::marked::Marked;
use jwtlens_test_support::process::ServerProcess;
use jwtlens_test_support::tokens::{now, token};
use jwtlens_test_support::workspace::TempWorkspace;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::process::Command;

async fn session(args: &[&str]) {
    let dir = TempWorkspace::new();
    let root = dir.root_uri();
    let mut command = Command::new(env!("CARGO_BIN_EXE_jwtlens"));
    command.args(args).env("JWTLENS_LOG", "debug");
    let mut server = ServerProcess::spawn(command);
    let client = &mut server.client;
    let init = client.initialize(&root, Value::Null, &["utf-16"]).await;
    assert_eq!(init["result"]["serverInfo"]["name"], "jwtlens");

    let tok = token(
        json!({"alg": "none"}),
        json!({"sub": "u1", "role": "service_role", "iat": now()}),
    );
    let uri = format!("{root}/src/client.ts");
    let doc = Marked::new(&format!(
        "fetch(url, {{ headers: {{ Authorization: `Bearer $0{tok}` }} }});\n"
    ));
    client.open(&uri, &doc.text, 1).await;
    let found = codes(&client.diagnostics(&uri, Some(1)).await);
    for code in ["JWT001", "JWT005", "JWT103"] {
        assert!(
            found.contains(&code.to_owned()),
            "{code} missing from {found:?}"
        );
    }
    let hover = client.hover(&uri, doc.cursor()).await;
    assert!(hover["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("service_role"));

    // `shutdown` is answered and the process exits cleanly after `exit`.
    let stderr = server.finish_within(Duration::from_secs(10)).await;

    // Logs went to stderr, and never carried the token.
    assert!(
        stderr.contains("analysed"),
        "debug logs reach stderr: {stderr}"
    );
    assert!(!stderr.contains(&tok[..40]), "a token leaked into the logs");
}

#[tokio::test]
async fn the_binary_serves_lsp_with_stdio_flag() {
    session(&["--stdio"]).await;
}

#[tokio::test]
async fn the_binary_serves_lsp_with_lsp_subcommand() {
    session(&["lsp"]).await;
}
