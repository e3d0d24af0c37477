//! Workspace diagnostics (`workspace/diagnostic`) from the in-process server: the files
//! that are not open, found by the `check` walk, with `$/progress` while it runs.

use jwtlens_test_support::client::{codes, in_process as start, InProcess as Client};
use jwtlens_test_support::tokens::{now, token};
use jwtlens_test_support::workspace::TempWorkspace;
use serde_json::{json, Value};

async fn initialize(client: &mut Client, root: &str, work_done_progress: bool) -> Value {
    let params = json!({
        "processId": null,
        "rootUri": root,
        "workspaceFolders": [{"uri": root, "name": "ws"}],
        "initializationOptions": {"workspaceDiagnostics": true},
        "capabilities": {
            "general": {"positionEncodings": ["utf-16"]},
            "window": {"workDoneProgress": work_done_progress},
            "textDocument": {"diagnostic": {"dynamicRegistration": false}},
            "workspace": {"diagnostics": {"refreshSupport": false}},
        },
    });
    let response = client.request("initialize", params).await;
    client.notify("initialized", json!({})).await;
    response
}

/// Valid for another 30 and a half days: the message ("valid for another 30 days") stays
/// the same from one request to the next, so the result id does too.
fn live_token(sub: &str) -> String {
    token(
        json!({"alg": "RS256", "kid": "k1"}),
        json!({"iss": "https://auth.acme.io", "sub": sub, "aud": "api",
               "iat": now() - 60, "exp": now() + 30 * 86_400 + 43_200}),
    )
}

/// The report items by URI: (kind, resultId, diagnostics).
fn items(response: &Value) -> Vec<(String, String, Option<String>, Vec<Value>)> {
    response["result"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a report: {response}"))
        .iter()
        .map(|item| {
            (
                item["uri"].as_str().unwrap().to_owned(),
                item["kind"].as_str().unwrap().to_owned(),
                item["resultId"].as_str().map(str::to_owned),
                item["items"].as_array().cloned().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn closed_files_are_reported_with_progress_and_open_ones_are_not() {
    let dir = TempWorkspace::new();
    let root = dir.path();
    let live = live_token("closed");
    dir.write(
        ".jwtlens.toml",
        "lifetime_threshold = \"60d\"\n[rules]\nJWT013 = \"off\"\n",
    );
    dir.write(".gitignore", "dist/\n");
    dir.write("src/closed.ts", format!("// x\nconst é = \"{live}\";\n"));
    dir.write("src/open.ts", format!("t = \"{}\"\n", live_token("open")));
    dir.write(
        "dist/bundle.js",
        format!("t = \"{}\"\n", live_token("dist")),
    );
    dir.write("src/clean.ts", "nothing = 1\n");

    let mut client = start();
    let init = initialize(&mut client, &dir.root_uri(), false).await;
    let provider = &init["result"]["capabilities"]["diagnosticProvider"];
    assert_eq!(provider["workspaceDiagnostics"], true, "{init}");
    assert_eq!(provider["identifier"], "jwtlens");

    let open_uri = dir.uri("src/open.ts");
    let open_text = std::fs::read_to_string(root.join("src/open.ts")).unwrap();
    client.open(&open_uri, &open_text, 1).await;
    let pushed = client.diagnostics(&open_uri, Some(1)).await;
    assert!(codes(&pushed).contains(&"JWT104".to_owned()));

    let response = client
        .request(
            "workspace/diagnostic",
            json!({"previousResultIds": [], "workDoneToken": "scan-1"}),
        )
        .await;
    let found = items(&response);
    let closed_uri = dir.uri("src/closed.ts");
    assert_eq!(
        found
            .iter()
            .map(|(uri, ..)| uri.as_str())
            .collect::<Vec<_>>(),
        [closed_uri.as_str()],
        "not the open file, not the ignored one, not the clean one: {response}"
    );
    let (_, kind, result_id, diagnostics) = &found[0];
    assert_eq!(kind, "full");
    let result_id = result_id.clone().expect("a result id");
    assert_eq!(
        codes(diagnostics),
        ["JWT104"],
        ".jwtlens.toml turned JWT013 off"
    );
    assert_eq!(
        diagnostics[0]["range"],
        json!({"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 11 + live.len()}})
    );
    assert_eq!(diagnostics[0]["source"], "jwtlens");

    // $/progress: begin, then end, on the client's token.
    let begin = client
        .wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin")
        .await;
    assert_eq!(begin["params"]["token"], "scan-1");
    let end = client
        .wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end")
        .await;
    assert_eq!(end["params"]["token"], "scan-1");
    let message = end["params"]["value"]["message"].as_str().unwrap();
    assert!(message.contains("in 1 of"), "{message}");

    // Asked again: the unchanged file in one line, and the one now open cleared.
    let again = client
        .request(
            "workspace/diagnostic",
            json!({"previousResultIds": [
                {"uri": closed_uri, "value": result_id},
                {"uri": open_uri, "value": "from-before-it-was-opened"},
            ]}),
        )
        .await;
    let found = items(&again);
    assert_eq!(found.len(), 2, "{again}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        (closed_uri.as_str(), "unchanged")
    );
    assert_eq!(found[0].2.as_deref(), Some(result_id.as_str()));
    assert_eq!(
        (found[1].0.as_str(), found[1].1.as_str()),
        (open_uri.as_str(), "full")
    );
    assert!(found[1].3.is_empty());

    // The document pull answers empty: open documents' diagnostics are pushed.
    let pull = client
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": open_uri}}),
        )
        .await;
    assert_eq!(pull["result"], json!({"kind": "full", "items": []}));
}

#[tokio::test]
async fn the_server_creates_a_progress_token_when_the_client_gives_none() {
    let dir = TempWorkspace::new();
    dir.write("a.env.ts", format!("t = \"{}\"\n", live_token("a")));
    let mut client = start();
    initialize(&mut client, &dir.root_uri(), true).await;
    let response = client
        .request("workspace/diagnostic", json!({"previousResultIds": []}))
        .await;
    assert_eq!(items(&response).len(), 1, "{response}");
    let end = client
        .wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end")
        .await;
    assert!(end["params"]["token"]
        .as_str()
        .unwrap()
        .starts_with("jwtlens/workspace/"));
}
