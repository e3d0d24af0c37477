//! Quick fixes that silence a finding (an ignore comment on the token's line, the rule
//! turned off in `.jwtlens.toml`), the Decode action on every token, and `only`: driven
//! through the in-process language server.

use jwtlens_test_support::client::{apply_edit, codes, in_process, InProcess};
use jwtlens_test_support::tokens::{now, token};
use serde_json::{json, Value};
use tower_lsp::lsp_types::Url;

type Client = InProcess;

/// A token with findings JWT002 (HS256 from a public issuer) and JWT013 (no jti).
fn clerk_hs256() -> String {
    token(
        json!({"alg": "HS256", "typ": "JWT"}),
        json!({"iss": "https://clerk.acme-saas.io", "sub": "user_1", "iat": now(), "exp": now() + 600}),
    )
}

async fn start(root: &str, options: Value) -> Client {
    let mut client = in_process();
    let workspace =
        json!({"workspaceEdit": {"documentChanges": true, "resourceOperations": ["create"]}});
    client.initialize_with(root, options, &[], workspace).await;
    client
}

async fn open_as(client: &mut Client, uri: &str, language: &str, text: &str) {
    let document = json!({"uri": uri, "languageId": language, "version": 1, "text": text});
    client
        .notify("textDocument/didOpen", json!({"textDocument": document}))
        .await;
}

/// The actions at `line`, with no diagnostics in the context.
async fn actions(client: &mut Client, uri: &str, line: u32, only: Option<&[&str]>) -> Vec<Value> {
    actions_with(client, uri, line, only, json!([])).await
}

async fn actions_with(
    client: &mut Client,
    uri: &str,
    line: u32,
    only: Option<&[&str]>,
    diagnostics: Value,
) -> Vec<Value> {
    let at = json!({"line": line, "character": 12});
    let mut context = json!({"diagnostics": diagnostics});
    if let Some(only) = only {
        context["only"] = json!(only);
    }
    let params = json!({"textDocument": {"uri": uri}, "range": {"start": at, "end": at}, "context": context});
    client.request("textDocument/codeAction", params).await["result"]
        .as_array()
        .unwrap()
        .clone()
}

/// A trusted workspace with one open document: the workspace (removed when dropped), the
/// client and the document's URI.
async fn one_file(
    relative: &str,
    language: &str,
    text: &str,
) -> (tempfile::TempDir, Client, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = Url::from_file_path(dir.path()).unwrap().to_string();
    let mut client = start(&root, Value::Null).await;
    let uri = format!("{root}/{relative}");
    open_as(&mut client, &uri, language, text).await;
    (dir, client, uri)
}

fn titled<'a>(actions: &'a [Value], start: &str) -> &'a Value {
    actions
        .iter()
        .find(|action| action["title"].as_str().unwrap().starts_with(start))
        .unwrap_or_else(|| panic!("no action {start}… in {actions:?}"))
}

#[tokio::test]
async fn only_keeps_the_kinds_asked_for_and_the_kinds_below_them() {
    let text = format!("const t = \"{}\";\n", clerk_hs256());
    let (_dir, mut client, uri) = one_file("src/app.ts", "typescript", &text).await;

    let kinds = |actions: &[Value]| -> Vec<String> {
        actions
            .iter()
            .map(|a| a["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = actions(&mut client, &uri, 0, None).await;
    for kind in [
        "quickfix",
        "refactor",
        "refactor.jwtlens.decode",
        "refactor.jwtlens.verify",
    ] {
        assert!(kinds(&all).iter().any(|k| k == kind), "{kind} in {all:?}");
    }
    // What VS Code's hover and Ctrl+. ask for: quick fixes only, or nothing is dropped.
    let quickfixes = actions(&mut client, &uri, 0, Some(&["quickfix"])).await;
    assert!(!quickfixes.is_empty());
    assert!(
        kinds(&quickfixes).iter().all(|k| k == "quickfix"),
        "{quickfixes:?}"
    );
    titled(
        &quickfixes,
        "Ignore JWT002 (symmetric-public-issuer) on this line",
    );
    titled(&quickfixes, "Mint replacement test token");

    let refactors = actions(&mut client, &uri, 0, Some(&["refactor"])).await;
    assert!(kinds(&refactors)
        .iter()
        .all(|k| k == "refactor" || k.starts_with("refactor.")));
    titled(&refactors, "Decode token");
    let decode_only = actions(&mut client, &uri, 0, Some(&["refactor.jwtlens.decode"])).await;
    assert_eq!(kinds(&decode_only), ["refactor.jwtlens.decode"]);
    assert!(
        actions(&mut client, &uri, 0, Some(&["source", "refactor.extract"]))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_ignore_fix_writes_the_files_comment_syntax_and_silences_only_that_rule() {
    let dir = tempfile::tempdir().unwrap();
    let root = Url::from_file_path(dir.path()).unwrap().to_string();
    let mut client = start(&root, Value::Null).await;
    let token = clerk_hs256();
    for (file, language, text, expected) in [
        (
            "src/app.py",
            "python",
            format!("def f():\n    t = \"{token}\"\n"),
            format!("def f():\n    # jwtlens: ignore[JWT002]\n    t = \"{token}\"\n"),
        ),
        (
            "docs/auth.md",
            "markdown",
            format!("Use\r\n\r\n    Bearer {token}\r\n"),
            format!("Use\r\n\r\n    <!-- jwtlens: ignore[JWT002] -->\r\n    Bearer {token}\r\n"),
        ),
        (
            // An ignore list already there gets the rule added.
            "src/app.ts",
            "typescript",
            format!("// jwtlens: ignore[JWT013]\nconst t = \"{token}\";\n"),
            format!("// jwtlens: ignore[JWT013, JWT002]\nconst t = \"{token}\";\n"),
        ),
    ] {
        let uri = format!("{root}/{file}");
        open_as(&mut client, &uri, language, &text).await;
        let line = text.lines().position(|line| line.contains(&token)).unwrap() as u32;
        let diagnostics = json!(client.diagnostics(&uri, Some(1)).await);
        let all = actions_with(&mut client, &uri, line, None, diagnostics).await;
        let fix = titled(&all, "Ignore JWT002 (symmetric-public-issuer) on this line");
        assert_eq!(fix["kind"], "quickfix");
        assert_eq!(fix["diagnostics"][0]["code"], "JWT002", "{fix}");
        let (edited, version) = apply_edit(&text, &fix["edit"], &uri);
        assert_eq!(edited, expected, "{file}");
        assert_eq!(
            version,
            Some(1),
            "the edit is for the version it was made from"
        );

        client.change(&uri, &edited, 2).await;
        let codes = codes(&client.diagnostics(&uri, Some(2)).await);
        assert!(!codes.contains(&"JWT002".to_owned()), "{file}: {codes:?}");
        if !text.contains("ignore[JWT013]") {
            assert!(codes.contains(&"JWT013".to_owned()), "{file}: {codes:?}");
        }
    }
}

#[tokio::test]
async fn json_has_no_comments_so_only_the_workspace_fix_is_offered() {
    let text = format!("{{\n  \"token\": \"{}\"\n}}\n", clerk_hs256());
    let (_dir, mut client, uri) = one_file("fixtures/session.json", "json", &text).await;
    let all = actions(&mut client, &uri, 1, None).await;
    assert!(
        all.iter()
            .all(|a| !a["title"].as_str().unwrap().starts_with("Ignore")),
        "{all:?}"
    );
    titled(
        &all,
        "Turn off JWT002 (symmetric-public-issuer) for the workspace in .jwtlens.toml",
    );
    titled(&all, "Decode token");
}

#[tokio::test]
async fn the_workspace_fix_creates_or_edits_the_config_keeping_its_formatting() {
    let dir = tempfile::tempdir().unwrap();
    let root = Url::from_file_path(dir.path()).unwrap().to_string();
    let config_uri = format!("{root}/.jwtlens.toml");
    let mut client = start(&root, Value::Null).await;
    let uri = format!("{root}/src/app.ts");
    open_as(
        &mut client,
        &uri,
        "typescript",
        &format!("const t = \"{}\";\n", clerk_hs256()),
    )
    .await;

    // No config yet: the fix creates it (and fails, changing nothing, if it appeared).
    let all = actions(&mut client, &uri, 0, None).await;
    let fix = titled(&all, "Turn off JWT013 (no-jti) for the workspace");
    assert_eq!(fix["kind"], "quickfix");
    let operations = fix["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(operations[0]["kind"], "create");
    assert_eq!(operations[0]["uri"], config_uri.as_str());
    assert_eq!(operations[0]["options"]["overwrite"], false);
    assert_eq!(
        operations[1]["edits"][0]["newText"],
        "[rules]\nJWT013 = \"off\"\n"
    );

    // An existing config: only the new line is inserted; comments and layout stay.
    let config = "# team settings\nclock_skew = 30  # seconds\n\n[mint]\nlifetime = \"1h\"\n";
    std::fs::write(dir.path().join(".jwtlens.toml"), config).unwrap();
    let all = actions(&mut client, &uri, 0, None).await;
    let fix = titled(&all, "Turn off JWT013 (no-jti) for the workspace");
    let (edited, _) = apply_edit(config, &fix["edit"], &config_uri);
    assert_eq!(edited, format!("{config}\n[rules]\nJWT013 = \"off\"\n"));

    // Applied: the rule is off for the workspace.
    std::fs::write(dir.path().join(".jwtlens.toml"), &edited).unwrap();
    let changes = json!({"changes": [{"uri": config_uri, "type": 2}]});
    client
        .notify("workspace/didChangeWatchedFiles", changes)
        .await;
    let diagnostics = client
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri.as_str()
                && !m["params"]["diagnostics"].to_string().contains("JWT013")
        })
        .await;
    let codes = codes(diagnostics["params"]["diagnostics"].as_array().unwrap());
    assert!(codes.contains(&"JWT002".to_owned()), "{codes:?}");
}

#[tokio::test]
async fn no_workspace_fix_in_restricted_mode_or_through_a_link_leading_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = Url::from_file_path(dir.path()).unwrap().to_string();
    let uri = format!("{root}/src/app.ts");
    let text = format!("const t = \"{}\";\n", clerk_hs256());

    let mut restricted = start(&root, json!({"trustedWorkspace": false})).await;
    open_as(&mut restricted, &uri, "typescript", &text).await;
    let all = actions(&mut restricted, &uri, 0, None).await;
    assert!(
        all.iter()
            .all(|a| !a["title"].as_str().unwrap().starts_with("Turn off")),
        "{all:?}"
    );
    titled(&all, "Ignore JWT013 (no-jti) on this line");

    #[cfg(unix)]
    {
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("victim.toml");
        // A link to a file outside, and a dangling link to where a file would be created.
        for existing in [true, false] {
            if existing {
                std::fs::write(&target, "clock_skew = 1\n").unwrap();
            } else {
                let _ = std::fs::remove_file(&target);
            }
            let link = dir.path().join(".jwtlens.toml");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&target, &link).unwrap();
            let mut client = start(&root, Value::Null).await;
            open_as(&mut client, &uri, "typescript", &text).await;
            let all = actions(&mut client, &uri, 0, None).await;
            assert!(
                all.iter()
                    .all(|a| !a["title"].as_str().unwrap().starts_with("Turn off")),
                "existing target {existing}: {all:?}"
            );
        }
        assert!(!target.exists(), "nothing was written outside");
    }
}

#[tokio::test]
async fn decode_is_offered_on_every_token_even_one_that_cannot_be_minted_from() {
    let dir = tempfile::tempdir().unwrap();
    let root = Url::from_file_path(dir.path()).unwrap().to_string();
    let mut client = start(&root, Value::Null).await;
    let uri = format!("{root}/notes.txt");
    let jwe = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXZpdml2aXZpdml2.Y2lwaGVy.dGFndGFndGFndGFn";
    open_as(&mut client, &uri, "plaintext", &format!("token: {jwe}\n")).await;
    let all = actions(&mut client, &uri, 0, None).await;
    let decode = titled(&all, "Decode token");
    assert_eq!(decode["kind"], "refactor.jwtlens.decode");
    let command = &decode["command"];
    let decoded = client
        .request(
            "workspace/executeCommand",
            json!({"command": command["command"], "arguments": command["arguments"]}),
        )
        .await;
    assert_eq!(decoded["result"]["header"]["enc"], "A256GCM", "{decoded}");
    assert!(
        all.iter()
            .all(|a| a["command"]["command"] != "jwtlens.mint"),
        "{all:?}"
    );
}
