//! Sessions of real editors' LSP clients, replayed against the real binary over stdio.
//!
//! `neovim.json`, `eglot.json`, `helix.json` and `vscode.json` were recorded from the
//! editors running here with `tests/replays/record.py` (a pass-through proxy; Helix and VS
//! Code through their end-to-end tests with `JWTLENS_RECORD` set); the others are written
//! from each client's source or documentation, cited in the file. Each holds what one client sends
//! from `initialize` to `exit` (or to `shutdown`, for editors that quit without `exit`),
//! with its own wire habits (params written as `null`, no workspace folder, no
//! `positionEncodings`, `trace: "verbose"`, `$/setTrace`, `settings: null`…), how it
//! answers the server's requests, where its behaviour is documented, and what it must get
//! back. The messages are replayed in order; the replay waits only where the client
//! would: for the answer to each request, and, before `shutdown`, for the diagnostics it
//! expects. `${ROOT_URI}` and `${ROOT_PATH}` stand for the temporary workspace (a
//! recording holds no machine path).
//!
//! Asserted for every replay: every request is answered without an error, each expected
//! document gets diagnostics with the expected codes, hovers have contents, `shutdown`
//! answers a null result, and the process exits with status 0 after `exit`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use jwtlens_test_support::client::{codes, Binary};
use jwtlens_test_support::process::ServerProcess;
use serde_json::{json, Value};
use tower_lsp::lsp_types::Url;

/// One client's session; the file's fields are documented where they are read.
struct Replay {
    /// The client and version the session is written for.
    client: String,
    /// What the client answers to each server request method: a `result` or an `error`.
    answers: serde_json::Map<String, Value>,
    /// What the client sends, in order.
    session: Vec<Value>,
    /// Codes each document's diagnostics must include, by URI.
    diagnostics: BTreeMap<String, Vec<String>>,
    /// Requests the server must have sent the client, by method (optional).
    server_requests: Vec<String>,
}

impl Replay {
    fn load(name: &str, root: &Path) -> Replay {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/replays")
            .join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("/home/") && !text.contains("/tmp/") && !text.contains("/Users/"),
            "{name}: a recording holds no machine path"
        );
        let root_uri = Url::from_directory_path(root).unwrap();
        let text = text
            .replace("${ROOT_URI}", root_uri.as_str().trim_end_matches('/'))
            .replace("${ROOT_PATH}", root.to_str().unwrap());
        let mut file: Value = serde_json::from_str(&text).unwrap();
        // `sources`: where the client's behaviour is documented (source files or docs).
        assert!(
            file["sources"]
                .as_array()
                .is_some_and(|sources| !sources.is_empty()),
            "{name}: cite the client's behaviour"
        );
        let strings = |value: &Value| -> Vec<String> {
            let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
            items
                .iter()
                .map(|item| item.as_str().unwrap().to_owned())
                .collect()
        };
        let diagnostics = file["diagnostics"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(uri, codes)| (uri.clone(), strings(codes)))
            .collect();
        // `workspace`: a folder of the repository copied as the workspace (optional).
        if let Some(folder) = file["workspace"].as_str() {
            copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join(folder), root);
        }
        // `files`: files written into the workspace before the session starts (optional).
        for (relative, text) in file["files"].as_object().into_iter().flatten() {
            let path = root.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text.as_str().unwrap()).unwrap();
        }
        Replay {
            server_requests: strings(&file["server_requests"]),
            client: file["client"].as_str().unwrap().to_owned(),
            answers: file["answers"].as_object().unwrap().clone(),
            session: file["session"].take().as_array().unwrap().clone(),
            diagnostics,
        }
    }
}

/// Copies the files under `from` into `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Replays `tests/replays/<name>.json`.
async fn replay(name: &str) {
    let workspace = tempfile::tempdir().unwrap();
    let replay = Replay::load(name, workspace.path());
    let client_name = &replay.client;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_jwtlens"));
    command.arg("--stdio").current_dir(workspace.path());
    let mut server = ServerProcess::spawn(command);
    let client = &mut server.client;
    // The codes last published for each document, with the version they are for.
    let mut published: BTreeMap<String, (Option<i64>, Vec<String>)> = BTreeMap::new();
    // The version of each document the client last sent.
    let mut sent_versions: BTreeMap<String, i64> = BTreeMap::new();
    let mut answered_requests = 0;
    let mut server_requests: Vec<String> = Vec::new();

    for message in &replay.session {
        let method = message["method"].as_str().unwrap();
        if method == "shutdown" {
            // The user works until the diagnostics of the documents' last versions are
            // there, then closes the editor.
            for (uri, codes) in &replay.diagnostics {
                let current = |published: &BTreeMap<String, (Option<i64>, Vec<String>)>| {
                    published.get(uri).is_some_and(|(version, got)| {
                        *version == sent_versions.get(uri).copied()
                            && codes.iter().all(|code| got.contains(code))
                    })
                };
                while !current(&published) {
                    let message = client.receive().await.expect("the server is running");
                    server_requests.extend(answer(client, &replay, message, &mut published).await);
                }
            }
        }
        let document = &message["params"]["textDocument"];
        if let (Some(uri), Some(version)) = (document["uri"].as_str(), document["version"].as_i64())
        {
            sent_versions.insert(uri.to_owned(), version);
        }
        client.send(message).await;
        if method == "exit" {
            break;
        }
        let Some(id) = message.get("id") else {
            continue;
        };
        let response = loop {
            let incoming = client.receive().await.expect("the server is running");
            if incoming.get("id") == Some(id) && incoming.get("method").is_none() {
                break incoming;
            }
            server_requests.extend(answer(client, &replay, incoming, &mut published).await);
        };
        answered_requests += 1;
        assert!(
            response.get("error").is_none(),
            "{client_name}: {method} answered with an error: {response}"
        );
        match method {
            "shutdown" => assert_eq!(
                response.get("result"),
                Some(&Value::Null),
                "{client_name}: {response}"
            ),
            "textDocument/hover" => assert!(
                response["result"]["contents"]["value"]
                    .as_str()
                    .is_some_and(|text| !text.is_empty()),
                "{client_name}: hover {response}"
            ),
            "initialize" => assert_eq!(response["result"]["serverInfo"]["name"], "jwtlens"),
            "workspace/diagnostic" => assert!(
                response["result"]["items"]
                    .as_array()
                    .is_some_and(|reports| reports.iter().any(|report| report["items"]
                        .as_array()
                        .is_some_and(|items| !items.is_empty()))),
                "{client_name}: the workspace's committed token is reported: {response}"
            ),
            _ => {}
        }
    }
    if replay
        .session
        .iter()
        .any(|message| message["method"] == "exit")
    {
        // Whatever the server still sends before it exits is read (and its requests
        // answered), so that it never blocks on a full pipe.
        while let Some(message) = client.receive().await {
            server_requests.extend(answer(client, &replay, message, &mut published).await);
        }
    }
    // Otherwise the editor quit after `shutdown` without `exit` (Neovim on :qall): closing
    // its ends of the pipes is what ends the session.
    let (status, stderr) = server.wait_for_exit(Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0), "{client_name}: {status}\n{stderr}");
    let requests_sent = replay
        .session
        .iter()
        .filter(|message| message.get("id").is_some())
        .count();
    assert_eq!(answered_requests, requests_sent, "{client_name}");
    for method in &replay.server_requests {
        assert!(
            server_requests.contains(method),
            "{client_name}: the server never sent {method}: {server_requests:?}"
        );
    }
}

/// Handles one message from the server: a request is answered as the client answers it
/// (a method the replay does not expect fails the test); diagnostics are kept. Returns
/// the method of the request answered, if it was one.
async fn answer(
    client: &mut Binary,
    replay: &Replay,
    message: Value,
    published: &mut BTreeMap<String, (Option<i64>, Vec<String>)>,
) -> Option<String> {
    let method = message["method"].as_str().unwrap_or_default();
    match message.get("id") {
        Some(id) if !method.is_empty() => {
            let Some(answer) = replay.answers.get(method) else {
                panic!(
                    "{}: the server sent {method}, which the replay does not say how the client answers",
                    replay.client
                );
            };
            let mut response = json!({"jsonrpc": "2.0", "id": id});
            for (field, value) in answer.as_object().unwrap() {
                response[field] = value.clone();
            }
            client.send(&response).await;
            Some(method.to_owned())
        }
        Some(_) => panic!("{}: a response nobody asked for: {message}", replay.client),
        None => {
            // Nothing the client does is an error worth showing the user.
            assert!(
                method != "window/showMessage" || message["params"]["type"] != 1,
                "{}: {message}",
                replay.client
            );
            if method == "textDocument/publishDiagnostics" {
                let uri = message["params"]["uri"].as_str().unwrap().to_owned();
                let diagnostics = message["params"]["diagnostics"].as_array().unwrap();
                // Settings problems are shown on the config file.
                assert!(
                    !uri.ends_with("/.jwtlens.toml") || diagnostics.is_empty(),
                    "{}: settings refused: {message}",
                    replay.client
                );
                let version = message["params"]["version"].as_i64();
                published.insert(uri, (version, codes(diagnostics)));
            }
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lsp4ij_in_a_jetbrains_ide() {
    replay("lsp4ij").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sublime_lsp() {
    replay("sublime-lsp").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kate() {
    replay("kate").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn zed() {
    replay("zed").await;
}

/// Recorded from Neovim 0.11.4 with the plugin's setup() (tests/replays/nvim-session.lua).
#[tokio::test(flavor = "multi_thread")]
async fn neovim_recorded() {
    replay("neovim").await;
}

/// Recorded from Emacs 28.2 with Eglot, as editors/emacs/run-e2e.sh runs it.
#[tokio::test(flavor = "multi_thread")]
async fn emacs_eglot_recorded() {
    replay("eglot").await;
}

/// Recorded from Helix 25.01.1 (Debian 13's package) by editors/helix/run-e2e.sh with
/// JWTLENS_RECORD set.
#[tokio::test(flavor = "multi_thread")]
async fn helix_recorded() {
    replay("helix").await;
}

/// Recorded from VS Code 1.100.3 (code-server) with the packaged extension by
/// editors/vscode/e2e/run-e2e.sh with JWTLENS_RECORD set: the server's first session.
#[tokio::test(flavor = "multi_thread")]
async fn vscode_recorded() {
    replay("vscode").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_refuses_registration_and_progress() {
    replay("refusing-client").await;
}
