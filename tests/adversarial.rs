//! Hostile clients, spoken to the real binary over stdio: malformed JSON-RPC, impossible
//! positions, documents that were never opened, floods of changes and huge documents.
//! In every case the server answers (with an error where the protocol says so), stays up,
//! and gives its memory back when the document is closed.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use jwtlens_test_support::client::codes;
use jwtlens_test_support::marked::Marked;
use jwtlens_test_support::process::ServerProcess;
use jwtlens_test_support::tokens::{now, token};
use jwtlens_test_support::workspace::TempWorkspace;
use serde_json::{json, Value};
use tokio::process::Command;
use tower_lsp::lsp_types::Position;

/// The binary started with `args`, logging at `info`.
fn binary(args: &[&str]) -> ServerProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jwtlens"));
    command.args(args).env("JWTLENS_LOG", "info");
    ServerProcess::spawn(command)
}

/// An initialized session with the binary, and what these tests ask of it.
struct Session(ServerProcess);

impl Deref for Session {
    type Target = ServerProcess;
    fn deref(&self) -> &ServerProcess {
        &self.0
    }
}

impl DerefMut for Session {
    fn deref_mut(&mut self) -> &mut ServerProcess {
        &mut self.0
    }
}

impl Session {
    async fn start() -> Session {
        Session::start_with("file:///adversarial", &["--stdio"]).await
    }

    /// A session on workspace `root`, the binary started with `args`.
    async fn start_with(root: &str, args: &[&str]) -> Session {
        let mut server = binary(args);
        let init = server
            .client
            .initialize(root, Value::Null, &["utf-16"])
            .await;
        assert_eq!(init["result"]["serverInfo"]["name"], "jwtlens");
        Session(server)
    }

    /// Resident memory of the server process, in MiB.
    fn rss_mib(&self) -> f64 {
        self.memory_mib("VmRSS")
    }

    /// The most resident memory the server process has had so far, in MiB.
    fn peak_rss_mib(&self) -> f64 {
        self.memory_mib("VmHWM")
    }

    /// The server answers a hover on a fresh document with the token's claims.
    async fn assert_alive(&mut self) {
        let uri = format!("file:///adversarial/probe-{}.ts", self.client_id());
        let tok = token(
            json!({"alg": "HS256"}),
            json!({"sub": "probe", "exp": now() + 3600}),
        );
        let doc = Marked::new(&format!("'$0{tok}'"));
        self.client.open(&uri, &doc.text, 1).await;
        self.client.diagnostics(&uri, Some(1)).await;
        let hover = self.client.hover(&uri, doc.cursor()).await;
        let text = hover["result"]["contents"]["value"].as_str().unwrap_or("");
        assert!(text.contains("probe"), "hover after the ordeal: {hover}");
        self.client.close(&uri).await;
    }

    fn client_id(&self) -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    }

    /// `shutdown`, `exit`, and a clean exit status; returns stderr.
    async fn finish(self) -> String {
        self.0.finish().await
    }

    /// The next error response with a null id (errors about frames that had no usable id).
    async fn next_null_id_error(&mut self) -> i64 {
        loop {
            let message = self.client.receive().await.expect("the server is up");
            if message.get("error").is_some() && message["id"].is_null() {
                return message["error"]["code"].as_i64().unwrap();
            }
        }
    }
}

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

#[tokio::test]
async fn malformed_json_rpc_is_answered_and_the_session_goes_on() {
    // Before `initialize`, requests are refused as the protocol says.
    let mut server = binary(&["--stdio"]);
    let early = server
        .client
        .hover("file:///a.ts", Position::new(0, 0))
        .await;
    assert_eq!(early["error"]["code"], -32002, "{early}");
    drop(server);

    let mut session = Session::start().await;
    let malformed: [(&str, Vec<u8>, i64); 6] = [
        ("invalid JSON", frame("{\"jsonrpc\": 2.0,"), -32700),
        (
            "a length that is no number",
            b"Content-Length: twelve\r\n\r\n".to_vec(),
            -32700,
        ),
        (
            "a length too long to be a number",
            b"Content-Length: 99999999999999999999999\r\n\r\n".to_vec(),
            -32700,
        ),
        (
            "no Content-Length",
            b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n".to_vec(),
            -32700,
        ),
        (
            "invalid UTF-8",
            b"Content-Length: 4\r\n\r\n\"\xff\xfe\"".to_vec(),
            -32700,
        ),
        ("JSON that is no message", frame("[1, 2, 3]"), -32600),
    ];
    for (what, bytes, code) in malformed {
        session.client.send_raw(&bytes).await;
        assert_eq!(session.next_null_id_error().await, code, "{what}");
    }
    // The id of an invalid request is kept when it is usable.
    session
        .client
        .send_raw(&frame(r#"{"jsonrpc": "1.0", "id": 41, "method": "x"}"#))
        .await;
    let invalid = session.client.receive().await.unwrap();
    assert_eq!(
        (&invalid["id"], &invalid["error"]["code"]),
        (&json!(41), &json!(-32600))
    );
    // Unknown methods: a request gets MethodNotFound, a notification is ignored.
    let unknown = session
        .client
        .request("jwtlens/noSuchThing", json!({}))
        .await;
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    session
        .client
        .notify("$/noSuchNotification", json!({}))
        .await;
    // `$/` methods are optional, but a request for one is still answered.
    let optional = session.client.request("$/custom", json!({})).await;
    assert_eq!(optional["error"]["code"], -32601, "{optional}");
    // A body shorter than its Content-Length swallows what follows: the next messages
    // are lost, and the server resynchronises at a later header.
    session
        .client
        .send_raw(b"Content-Length: 200\r\n\r\n{\"jsonrpc\": \"2.0\", \"id\": 9")
        .await;
    for _ in 0..3 {
        session
            .client
            .notify("$/noSuchNotification", json!({}))
            .await;
    }
    assert_eq!(session.next_null_id_error().await, -32700);
    session.assert_alive().await;
    let stderr = session.finish().await;
    assert!(stderr.contains("malformed message"), "{stderr}");
}

#[tokio::test]
async fn impossible_positions_are_clamped_not_fatal() {
    let mut session = Session::start().await;
    let uri = "file:///adversarial/emoji.ts";
    let tok = token(
        json!({"alg": "HS256"}),
        json!({"sub": "emoji", "exp": now() + 3600}),
    );
    // "😀" is two UTF-16 code units: character 1 is the middle of a surrogate pair.
    // $0: inside the token, after the emoji.
    let doc = Marked::new(&format!("😀😀 '$0{tok}'\n\n"));
    session.client.open(uri, &doc.text, 1).await;
    session.client.diagnostics(uri, Some(1)).await;
    for (line, character) in [
        (0, 1),
        (0, 3),
        (0, 1_000_000),
        (2, 0),
        (99, 99),
        (u32::MAX, u32::MAX),
    ] {
        let hover = session
            .client
            .hover(uri, Position::new(line, character))
            .await;
        assert!(
            hover.get("error").is_none(),
            "hover at {line}:{character}: {hover}"
        );
    }
    // Inside the token, after the emoji: the hover is there.
    let hover = session.client.hover(uri, doc.cursor()).await;
    assert!(hover["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("emoji"));
    let far = json!({"start": {"line": 0, "character": 1}, "end": {"line": 4_000_000_000u32, "character": 7}});
    let backwards =
        json!({"start": {"line": 5, "character": 0}, "end": {"line": 0, "character": 0}});
    for range in [far, backwards] {
        let actions = session.client.code_actions(uri, range.clone()).await;
        assert!(actions.get("error").is_none(), "{actions}");
        let hints = session
            .client
            .request(
                "textDocument/inlayHint",
                json!({"textDocument": {"uri": uri}, "range": range}),
            )
            .await;
        assert!(hints.get("error").is_none(), "{hints}");
    }
    session.assert_alive().await;
    session.finish().await;
}

#[tokio::test]
async fn documents_that_were_never_opened() {
    let mut session = Session::start().await;
    let uri = "file:///adversarial/never-opened.ts";
    session
        .client
        .change(uri, "'eyJhbGciOiJub25lIn0.e30.'", 2)
        .await;
    session.client.close(uri).await;
    session
        .client
        .notify(
            "textDocument/didSave",
            json!({"textDocument": {"uri": uri}, "text": "x"}),
        )
        .await;
    let hover = session.client.hover(uri, Position::new(0, 3)).await;
    assert_eq!(hover["result"], Value::Null, "{hover}");
    let range = json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}});
    let actions = session.client.code_actions(uri, range).await;
    assert!(actions.get("error").is_none(), "{actions}");
    // Not a file URI at all.
    let odd = session
        .client
        .hover("untitled:Untitled-1", Position::new(0, 0))
        .await;
    assert!(odd.get("error").is_none(), "{odd}");
    session.assert_alive().await;
    session.finish().await;
}

#[tokio::test]
async fn a_thousand_rapid_changes_end_with_the_final_texts_diagnostics() {
    let mut session = Session::start().await;
    let uri = "file:///adversarial/rapid.ts";
    let expired = token(
        json!({"alg": "HS256"}),
        json!({"sub": "a", "exp": now() - 7200, "iat": now() - 9000}),
    );
    let unsigned = token(json!({"alg": "none"}), json!({"sub": "b", "iat": now()}));
    session.client.open(uri, "", 1).await;
    for version in 2..=1001 {
        // Every text differs; the last one holds only the unsigned token.
        let text = if version == 1001 {
            format!("const b = '{unsigned}';\n")
        } else if version % 2 == 0 {
            format!("// {version}\nconst a = '{expired}';\n")
        } else {
            format!("// {version}\nconst b = '{unsigned}'; const a = '{expired}';\n")
        };
        session.client.change(uri, &text, version).await;
    }
    let last = codes(&session.client.diagnostics(uri, Some(1001)).await);
    session.client.notifications.clear();
    // The same text opened fresh is the reference.
    let reference_uri = "file:///adversarial/reference.ts";
    session
        .client
        .open(reference_uri, &format!("const b = '{unsigned}';\n"), 1)
        .await;
    let reference = codes(&session.client.diagnostics(reference_uri, Some(1)).await);
    assert!(reference.contains(&"JWT001".to_owned()), "{reference:?}");
    assert_eq!(last, reference);
    // Nothing older is published after the final version's diagnostics.
    session.assert_alive().await;
    let stale = session.client.notifications.iter().any(|m| {
        m["params"]["uri"] == uri && m["params"]["version"].as_i64().is_some_and(|v| v < 1001)
    });
    assert!(
        !stale,
        "diagnostics for an older version came after the last one"
    );
    session.finish().await;
}

/// Opens `text`, waits for its diagnostics, closes it, and returns (codes, RSS while open).
async fn open_and_close(session: &mut Session, uri: &str, text: &str) -> (Vec<String>, f64) {
    session.client.open(uri, text, 1).await;
    let found = codes(&session.client.diagnostics(uri, Some(1)).await);
    let open_rss = session.rss_mib();
    let hover = session.client.hover(uri, Position::new(0, 0)).await;
    assert!(hover.get("error").is_none(), "{hover}");
    session.client.close(uri).await;
    session.client.cleared(uri).await;
    (found, open_rss)
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_documents_are_served_and_their_memory_given_back() {
    // The 100 MB document is over the default message size limit (64 MiB).
    let args = ["--stdio", "--max-message-size", "128M"];
    let mut session = Session::start_with("file:///adversarial", &args).await;
    session.assert_alive().await;
    let baseline = session.rss_mib();
    let tok = token(
        json!({"alg": "HS256"}),
        json!({"sub": "needle", "exp": now() - 60}),
    );
    let line = "2026-11-22T09:00:00Z INFO request served in 12 ms path=/v1/orders status=200\n";
    let mut huge = line.repeat(100 * 1024 * 1024 / line.len());
    huge.push_str(&format!("Authorization: Bearer {tok}\n"));
    let eyj_line = "eyJ".repeat(5 * 1024 * 1024 / 3);
    let many: String = (0..10_000)
        .map(|i| {
            let tok = token(
                json!({"alg": "ES256", "kid": "k1"}),
                json!({"sub": format!("user_{i}"), "exp": now() - 60}),
            );
            format!("{{\"token\": \"{tok}\"}}\n")
        })
        .collect();
    let mut report = Vec::new();
    let mut after_first_many = None;
    for (name, text, expect) in [
        ("100 MB log", huge, Some("JWT003")),
        ("5 MB line of eyJ", eyj_line, None),
        ("10,000 tokens", many.clone(), Some("JWT003")),
        // Again: what a closed document leaves behind must not add up.
        ("10,000 tokens again", many, Some("JWT003")),
    ] {
        let uri = format!("file:///adversarial/{}.log", name.replace([' ', ','], "-"));
        let (found, open_rss) = open_and_close(&mut session, &uri, &text).await;
        drop(text);
        match expect {
            Some(code) => assert!(found.contains(&code.to_owned()), "{name}: {found:?}"),
            None => assert_eq!(found, Vec::<String>::new(), "{name}"),
        }
        session.assert_alive().await;
        // Give the allocator a moment, then compare with the baseline.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let closed_rss = session.rss_mib();
        report.push(format!(
            "{name}: {open_rss:.0} MiB open, {closed_rss:.0} MiB after close"
        ));
        assert!(
            closed_rss < baseline + 10.0,
            "{name}: RSS {closed_rss:.0} MiB after close, baseline {baseline:.0} MiB"
        );
        match after_first_many {
            None if name == "10,000 tokens" => after_first_many = Some(closed_rss),
            Some(first) => assert!(
                closed_rss < first + 2.0,
                "RSS grew from {first:.0} to {closed_rss:.0} MiB with the same document"
            ),
            None => {}
        }
    }
    eprintln!("baseline {baseline:.0} MiB; {}", report.join("; "));
    session.finish().await;
}

/// A temporary workspace with one open document holding a token to mint from.
struct MintWorkspace {
    _dir: TempWorkspace,
    root: String,
    uri: String,
    /// Where the token is.
    cursor: Position,
}

impl MintWorkspace {
    async fn open(args: &[&str]) -> (MintWorkspace, Session) {
        let dir = TempWorkspace::new();
        let root = dir.root_uri();
        let mut session = Session::start_with(&root, args).await;
        let uri = format!("{root}/src/session.ts");
        let tok = token(
            json!({"alg": "HS256"}),
            json!({"sub": "mint-me", "exp": now() + 3600}),
        );
        let doc = Marked::new(&format!("'$0{tok}'\n"));
        session.client.open(&uri, &doc.text, 1).await;
        session.client.diagnostics(&uri, Some(1)).await;
        let workspace = MintWorkspace {
            _dir: dir,
            root,
            uri,
            cursor: doc.cursor(),
        };
        (workspace, session)
    }

    /// A `jwtlens.mint` request on the token, with the given id.
    fn mint(&self, id: i64) -> Value {
        let argument = json!({"textDocument": {"uri": self.uri}, "position": self.cursor});
        json!({"jsonrpc": "2.0", "id": id, "method": "workspace/executeCommand",
               "params": {"command": "jwtlens.mint", "arguments": [argument]}})
    }
}

impl Session {
    /// Reads until `count` requests of `method` come from the server, and returns them
    /// unanswered; other requests are answered as an editor would.
    async fn withhold(&mut self, method: &str, count: usize) -> Vec<Value> {
        let mut withheld = Vec::new();
        while withheld.len() < count {
            let message = self.client.receive().await.expect("the server is up");
            if message["method"] == method && message.get("id").is_some() {
                withheld.push(message);
            } else {
                self.client.handle(message).await;
            }
        }
        withheld
    }

    /// Reads until the responses to every request in `ids` arrive, answering the server's
    /// requests meanwhile; returns them in the order of `ids`.
    async fn responses(&mut self, ids: &[i64]) -> Vec<Value> {
        let mut found: Vec<Option<Value>> = vec![None; ids.len()];
        while found.iter().any(Option::is_none) {
            let message = self.client.receive().await.expect("the server is up");
            let answered = message.get("method").is_none().then(|| {
                ids.iter()
                    .position(|id| message.get("id") == Some(&json!(id)))
            });
            match answered.flatten() {
                Some(at) => found[at] = Some(message),
                None => self.client.handle(message).await,
            }
        }
        found.into_iter().map(Option::unwrap).collect()
    }

    /// The response to request `id`.
    async fn response(&mut self, id: i64) -> Value {
        self.responses(&[id]).await.remove(0)
    }

    /// Cancels request `id`; returns its response, and how long after the cancellation it
    /// came.
    async fn cancel(&mut self, id: i64) -> (Value, Duration) {
        let asked = std::time::Instant::now();
        let cancel = json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": id}});
        self.client.send(&cancel).await;
        let response = self.response(id).await;
        (response, asked.elapsed())
    }

    /// Answers withheld `workspace/applyEdit` requests: applied.
    async fn apply(&mut self, edits: &[Value]) {
        for edit in edits {
            let reply = json!({"jsonrpc": "2.0", "id": edit["id"], "result": {"applied": true}});
            self.client.send(&reply).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn late_replies_to_the_server_are_read_however_full_the_queues() {
    let (workspace, mut session) = MintWorkspace::open(&["--stdio"]).await;
    let started = std::time::Instant::now();
    let ids = [1001, 1002, 1003, 1004];
    for id in ids {
        session.client.send(&workspace.mint(id)).await;
    }
    // Four commands wait for the editor, which does not answer yet, and keeps typing.
    let edits = session.withhold("workspace/applyEdit", ids.len()).await;
    let last = 151;
    for version in 2..=last {
        let text = format!("// edit {version}\n");
        session.client.change(&workspace.uri, &text, version).await;
    }
    session.apply(&edits).await;
    let answers = session.responses(&ids).await;
    for answer in &answers {
        assert!(answer["result"]["token"].is_string(), "{answer}");
    }
    session.client.diagnostics(&workspace.uri, Some(last)).await;
    let elapsed = started.elapsed();
    eprintln!("deadlock scenario answered in {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(60),
        "generous bound: {elapsed:?}"
    );
    session.assert_alive().await;
    session.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_the_editor_never_answers_times_out_and_the_command_says_so() {
    let args = ["--stdio", "--client-timeout", "1s"];
    let (workspace, mut session) = MintWorkspace::open(&args).await;
    session.client.send(&workspace.mint(2001)).await;
    let edit = session.withhold("workspace/applyEdit", 1).await.remove(0);
    let answer = session.response(2001).await;
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(answer["error"]["code"], -32803, "{answer}");
    assert!(
        message.starts_with("the editor did not answer workspace/applyEdit within 1 s"),
        "{answer}"
    );
    // The edit is withdrawn, and the user is told.
    session
        .client
        .wait_for(|n| n["method"] == "$/cancelRequest" && n["params"]["id"] == edit["id"])
        .await;
    session
        .client
        .wait_for(|n| {
            n["method"] == "window/showMessage"
                && n["params"]["message"]
                    .as_str()
                    .is_some_and(|shown| shown.contains(message))
        })
        .await;
    // The reply that comes after all is dropped, and the session goes on.
    let late = json!({"jsonrpc": "2.0", "id": edit["id"], "result": {"applied": true}});
    session.client.send(&late).await;
    session.assert_alive().await;
    session.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelled_and_overtaken_requests_are_answered_while_the_slots_are_busy() {
    let (workspace, mut session) = MintWorkspace::open(&["--stdio"]).await;
    let mints = [3001, 3002, 3003, 3004];
    for id in mints {
        session.client.send(&workspace.mint(id)).await;
    }
    // The four request slots are held by commands waiting for the editor.
    let edits = session.withhold("workspace/applyEdit", mints.len()).await;
    let other = format!("{}/src/other.ts", workspace.root);
    session.client.open(&other, "const a = 1;\n", 1).await;
    session.client.diagnostics(&other, Some(1)).await;
    let hover = |id: i64, uri: &str| {
        json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
               "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 3}}})
    };
    // A request waiting for a slot, cancelled.
    session.client.send(&hover(3005, &other)).await;
    let (waiting, waiting_cancelled) = session.cancel(3005).await;
    assert_eq!(waiting["error"]["code"], -32800, "{waiting}");
    // A request waiting for a slot, overtaken by a change to its document.
    session.client.send(&hover(3006, &other)).await;
    session.client.change(&other, "const b = 2;\n", 2).await;
    let overtaken = session.response(3006).await;
    assert_eq!(overtaken["error"]["code"], -32801, "{overtaken}");
    // A running request, cancelled.
    let (running, running_cancelled) = session.cancel(3001).await;
    assert_eq!(running["error"]["code"], -32800, "{running}");
    // The editor answers, the cancelled command's edit included; the others finish.
    session.apply(&edits).await;
    for answer in session.responses(&mints[1..]).await {
        assert!(answer["result"]["token"].is_string(), "{answer}");
    }
    eprintln!(
        "cancelled while waiting: answered in {waiting_cancelled:?}; while running: {running_cancelled:?}"
    );
    session.assert_alive().await;
    session.finish().await;
}

/// `len` bytes of fake frames: requests that would be answered if anything looked for
/// headers inside the body that holds them.
fn fake_frames(len: usize) -> Vec<u8> {
    let fake = frame(r#"{"jsonrpc": "2.0", "id": "fake", "method": "shutdown"}"#);
    let mut bytes: Vec<u8> = fake.iter().copied().cycle().take(len).collect();
    let whole = len / fake.len() * fake.len();
    bytes[whole..].fill(b' ');
    bytes
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gigabyte_message_is_refused_and_skipped_as_it_streams_past() {
    let mut session = Session::start().await;
    session.assert_alive().await;
    let peak_before = session.peak_rss_mib();
    const GIB: usize = 1 << 30;
    let chunk = fake_frames(1 << 20);
    let started = std::time::Instant::now();
    session
        .client
        .send_raw(format!("Content-Length: {GIB}\r\n\r\n").as_bytes())
        .await;
    for _ in 0..GIB / chunk.len() {
        session.client.send_raw(&chunk).await;
    }
    let streamed = started.elapsed();
    // The message after it is read and answered; none of the fake ones inside it is.
    let after = json!({"jsonrpc": "2.0", "id": 4001, "method": "jwtlens/noSuchThing"});
    session.client.send(&after).await;
    let after = loop {
        let message = session.client.receive().await.expect("the server is up");
        assert_ne!(message["id"], "fake", "a frame inside the body was read");
        if message["id"] == 4001 {
            break message;
        }
        session.client.handle(message).await;
    };
    assert_eq!(after["error"]["code"], -32601, "{after}");
    let peak = session.peak_rss_mib();
    let refused = session.client.notifications.iter().any(|n| {
        n["method"] == "window/showMessage"
            && n["params"]["message"]
                .as_str()
                .is_some_and(|message| message.contains("1024.0 MiB"))
    });
    assert!(
        refused,
        "the user is told: {:?}",
        session.client.notifications
    );
    eprintln!(
        "1 GiB body streamed in {streamed:?}; peak RSS {peak_before:.0} MiB before, {peak:.0} MiB after"
    );
    assert!(
        peak < peak_before + 32.0,
        "peak RSS grew from {peak_before:.0} to {peak:.0} MiB"
    );
    session.assert_alive().await;
    session.finish().await;
}
