//! A small LSP client for tests: Content-Length framing over any async byte stream, so
//! the same client drives the in-process server (over `tokio::io::duplex`) and the real
//! binary (over its stdio), answering the server's requests as an editor would.

use std::collections::VecDeque;
use std::time::Duration;

use jwtlens_lsp::position::{Encoding, PositionIndex};
use serde_json::{json, Value};
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream,
    ReadHalf, WriteHalf,
};
use tower_lsp::lsp_types::Position;

/// A client of the server running in this process.
pub type InProcess = LspClient<ReadHalf<DuplexStream>, WriteHalf<DuplexStream>>;

/// Starts the server in this process, over an in-memory pipe with real LSP framing.
pub fn in_process() -> InProcess {
    in_process_with(jwtlens_lsp::Limits::default())
}

/// [`in_process`], within `limits`.
pub fn in_process_with(limits: jwtlens_lsp::Limits) -> InProcess {
    let (client_end, server_end) = tokio::io::duplex(1 << 20);
    let (server_read, server_write) = tokio::io::split(server_end);
    tokio::spawn(jwtlens_lsp::serve_with(server_read, server_write, limits));
    let (client_read, client_write) = tokio::io::split(client_end);
    LspClient::new(client_read, client_write)
}

/// A client of the real binary, over its stdin and stdout.
pub type Binary = LspClient<tokio::process::ChildStdout, tokio::process::ChildStdin>;

/// How long a test waits for any one message before failing.
pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct LspClient<R, W> {
    reader: BufReader<R>,
    writer: W,
    next_id: i64,
    /// Notifications received while waiting for something else.
    pub notifications: VecDeque<Value>,
    /// Settings returned to `workspace/configuration` requests.
    pub configuration: Value,
    /// `workspace/applyEdit` requests received, each answered with `apply_edit_reply`.
    pub applied_edits: Vec<Value>,
    /// The answer to `workspace/applyEdit` (`{"applied": true}` unless a test changes it).
    pub apply_edit_reply: Value,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> LspClient<R, W> {
    pub fn new(reader: R, writer: W) -> Self {
        LspClient {
            reader: BufReader::new(reader),
            writer,
            next_id: 1,
            notifications: VecDeque::new(),
            configuration: Value::Null,
            applied_edits: Vec::new(),
            apply_edit_reply: json!({"applied": true}),
        }
    }

    /// Writes bytes as they are: malformed frames for robustness tests.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    pub async fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).unwrap();
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        self.writer.write_all(header.as_bytes()).await.unwrap();
        self.writer.write_all(&body).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    /// The next message from the server, or `None` at end of stream.
    pub async fn receive(&mut self) -> Option<Value> {
        let mut length = None;
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(TIMEOUT, self.reader.read_line(&mut line))
                .await
                .expect("timed out waiting for the server")
                .unwrap();
            if read == 0 {
                return None;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = Some(value.parse::<usize>().unwrap());
            }
        }
        let mut body = vec![0; length.expect("Content-Length header")];
        self.reader.read_exact(&mut body).await.unwrap();
        Some(serde_json::from_slice(&body).unwrap())
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// Sends a request and returns its whole response (`result` or `error`), answering
    /// the server's own requests and keeping notifications meanwhile.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        loop {
            let message = self.receive().await.expect("server closed the stream");
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.handle(message).await;
        }
    }

    /// Answers a request from the server as an editor would, or keeps a notification.
    pub async fn handle(&mut self, message: Value) {
        match (
            message.get("id"),
            message.get("method").and_then(Value::as_str),
        ) {
            (Some(id), Some(method)) => {
                let result = match method {
                    "workspace/configuration" => json!([self.configuration.clone()]),
                    "workspace/applyEdit" => {
                        self.applied_edits.push(message["params"]["edit"].clone());
                        self.apply_edit_reply.clone()
                    }
                    _ => Value::Null,
                };
                let reply = json!({"jsonrpc": "2.0", "id": id, "result": result});
                self.send(&reply).await;
            }
            (None, Some(_)) => self.notifications.push_back(message),
            _ => {}
        }
    }

    /// Waits for a notification matching `accept`, returning it (earlier ones are kept).
    pub async fn wait_for(&mut self, mut accept: impl FnMut(&Value) -> bool) -> Value {
        if let Some(at) = self.notifications.iter().position(&mut accept) {
            return self.notifications.remove(at).unwrap();
        }
        loop {
            let message = self.receive().await.expect("server closed the stream");
            if message.get("id").is_none() && accept(&message) {
                return message;
            }
            self.handle(message).await;
        }
    }

    /// The next `publishDiagnostics` for `uri` (at `version`, when given).
    pub async fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let message = self
            .wait_for(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == uri
                    && version.is_none_or(|v| m["params"]["version"] == v)
            })
            .await;
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }

    /// Waits until the server publishes an empty diagnostics list for `uri`.
    pub async fn cleared(&mut self, uri: &str) {
        self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["diagnostics"]
                    .as_array()
                    .is_some_and(Vec::is_empty)
        })
        .await;
    }

    pub async fn initialize(&mut self, root: &str, options: Value, encodings: &[&str]) -> Value {
        self.initialize_with(root, options, encodings, json!({}))
            .await
    }

    /// `initialize` with more workspace capabilities, e.g. `{"workspaceEdit":
    /// {"documentChanges": true}}`.
    pub async fn initialize_with(
        &mut self,
        root: &str,
        options: Value,
        encodings: &[&str],
        workspace: Value,
    ) -> Value {
        let mut capabilities = json!({
            "general": {"positionEncodings": encodings},
            "workspace": {"configuration": true, "didChangeWatchedFiles": {"dynamicRegistration": true}},
            "textDocument": {"hover": {"contentFormat": ["markdown", "plaintext"]}},
        });
        for (key, value) in workspace.as_object().unwrap() {
            capabilities["workspace"][key] = value.clone();
        }
        let params = json!({
            "processId": null,
            "rootUri": root,
            "workspaceFolders": [{"uri": root, "name": "ws"}],
            "initializationOptions": options,
            "capabilities": capabilities,
        });
        let response = self.request("initialize", params).await;
        self.notify("initialized", json!({})).await;
        response
    }

    pub async fn open(&mut self, uri: &str, text: &str, version: i64) {
        let document =
            json!({"uri": uri, "languageId": "typescript", "version": version, "text": text});
        self.notify("textDocument/didOpen", json!({"textDocument": document}))
            .await;
    }

    pub async fn change(&mut self, uri: &str, text: &str, version: i64) {
        let params = json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]});
        self.notify("textDocument/didChange", params).await;
    }

    pub async fn close(&mut self, uri: &str) {
        self.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    }

    /// The code actions for `range` (a JSON LSP range), with no diagnostics in context.
    pub async fn code_actions(&mut self, uri: &str, range: Value) -> Value {
        let params =
            json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}});
        self.request("textDocument/codeAction", params).await
    }

    /// The code actions for the cursor at `at` (an empty range), as an editor's light bulb
    /// asks for them.
    pub async fn code_actions_at(&mut self, uri: &str, at: Position) -> Value {
        self.code_actions(uri, json!({"start": at, "end": at}))
            .await
    }

    pub async fn hover(&mut self, uri: &str, at: Position) -> Value {
        let params = json!({"textDocument": {"uri": uri}, "position": at});
        self.request("textDocument/hover", params).await
    }
}

/// Applies a `workspace/applyEdit` edit to `text` as an editor would: the edits for `uri`
/// from `documentChanges` or `changes`, positions in UTF-16 units and lines as LSP
/// defines them (converted by the server's own position module). Returns the new text
/// and the document version the edit was made for (`None` for `changes`).
pub fn apply_edit(text: &str, edit: &Value, uri: &str) -> (String, Option<i64>) {
    let (edits, version) = match edit.get("documentChanges") {
        Some(documents) => {
            let document = documents
                .as_array()
                .unwrap()
                .iter()
                .find(|document| document["textDocument"]["uri"] == uri)
                .unwrap_or_else(|| panic!("no edit for {uri} in {edit}"));
            (
                document["edits"].clone(),
                document["textDocument"]["version"].as_i64(),
            )
        }
        None => (edit["changes"][uri].clone(), None),
    };
    let index = PositionIndex::new(text, Encoding::Utf16);
    let offset = |position: &Value| {
        let number = |field: &str| u32::try_from(position[field].as_u64().unwrap()).unwrap();
        index.offset(text, Position::new(number("line"), number("character")))
    };
    let mut replacements: Vec<(std::ops::Range<usize>, &str)> = edits
        .as_array()
        .unwrap_or_else(|| panic!("no edits for {uri} in {edit}"))
        .iter()
        .map(|edit| {
            let range = offset(&edit["range"]["start"])..offset(&edit["range"]["end"]);
            (range, edit["newText"].as_str().unwrap())
        })
        .collect();
    // From the end backwards, so earlier offsets stay valid.
    replacements.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut text = text.to_owned();
    for (range, new_text) in replacements {
        text.replace_range(range, new_text);
    }
    (text, version)
}

/// Codes of a diagnostics list, sorted.
pub fn codes(diagnostics: &[Value]) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_owned))
        .collect();
    codes.sort();
    codes
}
