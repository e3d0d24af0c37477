//! The real binary, spoken to over its stdin/stdout as an editor would.

mod common;

use std::time::Duration;

use common::{codes, now, spawn_binary, token};
use serde_json::{json, Value};

async fn session(args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let root = tower_lsp::lsp_types::Url::from_file_path(dir.path())
        .unwrap()
        .to_string();
    let (mut child, mut client) = spawn_binary(args, &[("JWTLENS_LOG", "debug")]);
    let init = client.initialize(&root, Value::Null, &["utf-16"]).await;
    assert_eq!(init["result"]["serverInfo"]["name"], "jwtlens");

    let tok = token(
        json!({"alg": "none"}),
        json!({"sub": "u1", "role": "service_role", "iat": now()}),
    );
    let uri = format!("{root}/src/client.ts");
    client
        .open(
            &uri,
            &format!("fetch(url, {{ headers: {{ Authorization: `Bearer {tok}` }} }});\n"),
            1,
        )
        .await;
    let found = codes(&client.diagnostics(&uri, Some(1)).await);
    for code in ["JWT001", "JWT005", "JWT103"] {
        assert!(
            found.contains(&code.to_owned()),
            "{code} missing from {found:?}"
        );
    }
    let hover = client.hover(&uri, 0, 50).await;
    assert!(hover["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("service_role"));

    client.shutdown().await;
    client.notify("exit", Value::Null).await;
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits after `exit`")
        .unwrap();
    assert!(status.success(), "{status}");

    // Logs went to stderr, and never carried the token.
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr)
        .await
        .unwrap();
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
