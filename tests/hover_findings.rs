//! The `hover_findings` setting over LSP: the hover lists the findings unless the editor
//! says it shows the diagnostics in the hover itself (the VS Code extension does).

use jwtlens_test_support::client::{codes, in_process};
use jwtlens_test_support::tokens::{now, token};
use serde_json::{json, Value};
use tower_lsp::lsp_types::Position;
use tower_lsp::lsp_types::Url;

async fn hover_text(options: Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let root = Url::from_file_path(dir.path()).unwrap().to_string();
    let mut client = in_process();
    client.initialize(&root, options, &[]).await;
    let uri = format!("{root}/src/app.ts");
    let jwt = token(
        json!({"alg": "HS256"}),
        json!({"iss": "https://clerk.acme-saas.io", "sub": "user_1", "exp": now() + 600}),
    );
    client
        .open(&uri, &format!("const t = \"{jwt}\";\n"), 1)
        .await;
    let diagnostics = client.diagnostics(&uri, Some(1)).await;
    assert!(codes(&diagnostics).contains(&"JWT002".to_owned()));
    let hover = client.hover(&uri, Position::new(0, 15)).await;
    hover["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_hover_lists_findings_unless_the_editor_shows_them() {
    let listed = hover_text(Value::Null).await;
    assert!(
        listed.contains("**Findings**") && listed.contains("`JWT002`"),
        "{listed}"
    );
    for options in [
        json!({"hoverFindings": false}),
        json!({"jwtlens": {"hover_findings": false}}),
    ] {
        let quiet = hover_text(options.clone()).await;
        assert!(
            !quiet.contains("Findings") && !quiet.contains("JWT002"),
            "{options}: {quiet}"
        );
        assert!(quiet.contains("| Subject | `user_1` |"), "{quiet}");
    }
}

/// `jwtlens/documentSummary`: what an editor's status line shows for the current file.
#[tokio::test]
async fn the_document_summary_counts_tokens_and_findings() {
    let dir = tempfile::tempdir().unwrap();
    let root = Url::from_file_path(dir.path()).unwrap().to_string();
    let mut client = in_process();
    client.initialize(&root, Value::Null, &[]).await;
    let uri = format!("{root}/src/app.ts");
    let jwt = token(
        json!({"alg": "HS256"}),
        json!({"iss": "https://clerk.acme-saas.io", "sub": "user_1", "exp": now() + 600}),
    );
    client
        .open(
            &uri,
            &format!("const a = \"{jwt}\";\nconst b = \"{jwt}\";\n"),
            1,
        )
        .await;
    let diagnostics = client.diagnostics(&uri, Some(1)).await;
    let params = json!({"textDocument": {"uri": uri}});
    let summary = client.request("jwtlens/documentSummary", params).await;
    assert_eq!(summary["result"]["tokens"], 2, "{summary}");
    assert_eq!(
        summary["result"]["findings"],
        diagnostics.len(),
        "{summary}"
    );
    let closed = json!({"textDocument": {"uri": format!("{root}/other.ts")}});
    let none = client.request("jwtlens/documentSummary", closed).await;
    assert_eq!(none["result"], Value::Null, "{none}");
}
