//! The privacy promise, tested on the real binary: nothing connects anywhere unless the
//! user asks for a verification against an issuer's keys, and no token, secret or private
//! key reaches the logs, even at trace level.
//!
//! Connections are watched with `strace` (every network system call of every thread),
//! inside a network namespace with no interface up (`unshare --net`), so an attempt is
//! both recorded and bound to fail. Both are Linux-only: `unshare` comes with util-linux
//! and needs unprivileged user namespaces; strace, when not installed, is provisioned
//! on first use (tests/tools).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use jwtlens_test_support::client::codes;
use jwtlens_test_support::marked::Marked;
use jwtlens_test_support::process::{Binary, ServerProcess};
use jwtlens_test_support::tokens::{hs256, now, token, token_with_signature};
use jwtlens_test_support::workspace::TempWorkspace;
use serde_json::{json, Value};
use tower_lsp::lsp_types::Position;

/// The HMAC secret in the workspace's `.jwtlens.toml`.
const CONFIG_SECRET: &str = "privacy-config-secret-9f8e7d6c5b4a";
/// The HMAC secret in the workspace's `.env`.
const DOTENV_SECRET: &str = "privacy-dotenv-secret-0a1b2c3d4e5f";

/// A workspace with secrets in its config and `.env`, and a source file holding tokens:
/// one signed with each secret, and one from a provider whose keys are published (so a
/// network verification would be possible, and must not happen unasked). One more token
/// is only ever in document URIs: editors name documents after whatever a user saved.
struct Workspace {
    dir: TempWorkspace,
    tokens: Vec<String>,
    /// `src/tokens.ts`, with `$0`, `$1`, `$2` on the three tokens.
    source: Marked,
    uri_token: String,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = TempWorkspace::new();
        let root = dir.path();
        std::fs::write(
            root.join(".jwtlens.toml"),
            format!("[keys]\nsecrets = [\"{CONFIG_SECRET}\"]\n"),
        )
        .unwrap();
        std::fs::write(root.join(".env"), format!("JWT_SECRET={DOTENV_SECRET}\n")).unwrap();
        let signed = |secret: &str, sub: &str| {
            let claims = json!({"sub": sub, "iss": "https://api.acme-saas.io", "iat": now(), "exp": now() + 600});
            hs256(secret, claims)
        };
        let clerk = token_with_signature(
            json!({"alg": "RS256", "kid": "ins_2abc", "typ": "JWT"}),
            json!({"iss": "https://clerk.example.com", "sub": "user_2x", "sid": "sess_2y", "iat": now(), "exp": now() + 60, "v": 2}),
            &[9u8; 256],
        );
        let tokens = vec![
            signed(CONFIG_SECRET, "config-user"),
            signed(DOTENV_SECRET, "dotenv-user"),
            clerk,
        ];
        let source: String = tokens
            .iter()
            .enumerate()
            .map(|(i, token)| format!("const token{i} = \"${i}{token}\";\n"))
            .collect();
        let source = Marked::new(&source);
        dir.write("src/tokens.ts", &source.text);
        let uri_token = token(
            json!({"alg": "HS256"}),
            json!({"sub": "named-after-a-token", "iat": now()}),
        );
        Workspace {
            dir,
            tokens,
            source,
            uri_token,
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn uri(&self, path: &str) -> String {
        self.dir.uri(path)
    }

    /// Texts that must never be logged: the tokens' payloads and signatures, the secrets,
    /// and the lines of every private key in the workspace.
    fn confidential(&self) -> Vec<String> {
        let mut texts: Vec<String> = self
            .tokens
            .iter()
            .chain([&self.uri_token])
            .flat_map(|token| token.split('.').skip(1).map(str::to_owned))
            .collect();
        texts.extend([CONFIG_SECRET.to_owned(), DOTENV_SECRET.to_owned()]);
        for entry in std::fs::read_dir(self.root().join(".jwtlens"))
            .into_iter()
            .flatten()
        {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            if text.contains("PRIVATE KEY") {
                texts.extend(
                    text.lines()
                        .filter(|line| !line.starts_with("-----"))
                        .map(str::to_owned),
                );
            }
        }
        texts
    }
}

/// A command run under `strace`, inside a network namespace with no interface up when
/// `isolated`, with the network system calls written to `trace`.
fn guarded(trace: &Path, isolated: bool, args: &[&str]) -> Command {
    let namespace: &[&str] = &["unshare", "--net", "--map-root-user"];
    let mut command = crate::tools::strace().command(isolated.then_some(namespace));
    command
        .args(["-f", "-qq", "-e", "trace=%network", "-o"])
        .arg(trace)
        .arg(env!("CARGO_BIN_EXE_jwtlens"))
        .args(args);
    command
}

/// The calls in a trace that reach for the network: any `connect` (a name lookup starts
/// with one, to nscd or a DNS server), and any IPv4 or IPv6 socket. (tokio's own
/// `socketpair(AF_UNIX)` for signal handling stays inside the process.)
fn network_calls(trace: &Path) -> Vec<String> {
    std::fs::read_to_string(trace)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains("connect(") || line.contains("AF_INET"))
        .map(str::to_owned)
        .collect()
}

/// The LSP server under the guard, with trace-level logs.
fn spawn_server(trace: &Path, isolated: bool, root: &Path) -> ServerProcess {
    let mut command = tokio::process::Command::from(guarded(trace, isolated, &["--stdio"]));
    command
        .env("RUST_LOG", "trace")
        .env_remove("JWTLENS_LOG")
        .current_dir(root);
    ServerProcess::spawn(command)
}

/// Everything a user does without asking for a network verification: open, diagnostics,
/// hover, code actions (the verify action is offered, not run), mint in place, decode.
async fn offline_session(client: &mut Binary, workspace: &Workspace) {
    let root = workspace.uri("");
    let init = client
        .initialize(root.trim_end_matches('/'), Value::Null, &["utf-16"])
        .await;
    assert_eq!(init["result"]["serverInfo"]["name"], "jwtlens");
    let uri = workspace.uri("src/tokens.ts");
    let source = &workspace.source;
    client.open(&uri, &source.text, 1).await;
    let found = codes(&client.diagnostics(&uri, Some(1)).await);
    assert!(!found.is_empty(), "diagnostics for the tokens");
    // Offline verification with the workspace's secrets shows in the hover.
    for marker in 0..2 {
        let hover = client.hover(&uri, source.at(marker)).await;
        let value = hover["result"]["contents"]["value"].as_str().unwrap();
        assert!(value.contains("verified with"), "${marker}: {value}");
    }
    let clerk_hover = client.hover(&uri, source.at(2)).await;
    assert!(clerk_hover["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("Clerk"));
    let at = |marker: usize| json!({"textDocument": {"uri": uri}, "position": source.at(marker)});
    let actions = client.code_actions_at(&uri, source.at(2)).await;
    let offered: Vec<&str> = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|action| action["command"]["command"].as_str())
        .collect();
    assert!(offered.contains(&"jwtlens.verify"), "{actions}");
    let decoded = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.decode", "arguments": [at(0)]}),
        )
        .await;
    assert_eq!(
        decoded["result"]["payload"]["sub"], "config-user",
        "{decoded}"
    );
    let minted = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.mint", "arguments": [at(2)]}),
        )
        .await;
    assert!(minted["result"]["token"].as_str().is_some(), "{minted}");
    assert_eq!(client.applied_edits.len(), 1);
    // Documents named after a token: one opened, analysed and hovered, one changed
    // without being opened (which the server warns about).
    let named = workspace.uri(&format!("src/{}.ts", workspace.uri_token));
    client.open(&named, "const nothing = 1;\n", 1).await;
    client.diagnostics(&named, Some(1)).await;
    let hover = client.hover(&named, Position::new(0, 3)).await;
    assert!(hover.get("error").is_none(), "{hover}");
    let unopened = workspace.uri(&format!("notes/{}/todo.md", workspace.uri_token));
    client.change(&unopened, "todo", 2).await;
}

/// The terminal commands, offline: check, decode, verify with a secret, mint.
fn offline_cli(workspace: &Workspace, trace_dir: &Path, isolated: bool) -> Vec<(String, Output)> {
    let token = &workspace.tokens[0];
    let runs: [&[&str]; 4] = [
        &["check", "--hidden", "."],
        &["decode", token],
        &["verify", token, "--secret", CONFIG_SECRET],
        &["mint", "--alg", "ES256", "--claims", r#"{"sub": "cli"}"#],
    ];
    runs.iter()
        .enumerate()
        .map(|(i, args)| {
            let trace = trace_dir.join(format!("cli-{i}.trace"));
            let output = guarded(&trace, isolated, args)
                .env("RUST_LOG", "trace")
                .current_dir(workspace.root())
                .stdin(Stdio::null())
                .output()
                .expect("the guarded command runs");
            let name = args[0].to_owned();
            assert!(
                network_calls(&trace).is_empty(),
                "`jwtlens {name}` made network calls: {:?}",
                network_calls(&trace)
            );
            (name, output)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_offline_session_makes_no_network_call() {
    let workspace = Workspace::new();
    let traces = TempWorkspace::new();
    let trace = traces.path().join("server.trace");
    let mut server = spawn_server(&trace, true, workspace.root());
    offline_session(&mut server.client, &workspace).await;
    server.finish().await;
    assert_eq!(
        network_calls(&trace),
        Vec::<String>::new(),
        "the server made network calls"
    );

    let cli = offline_cli(&workspace, traces.path(), true);
    let (_, check) = &cli[0];
    assert_eq!(
        check.status.code(),
        Some(1),
        "check finds issues: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    let (_, verify) = &cli[2];
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // The guard sees what it is meant to catch: a verification against a key URL, which
    // the user asked for, tries to connect (and cannot, in the namespace).
    let control = traces.path().join("control.trace");
    let output = guarded(
        &control,
        true,
        &[
            "verify",
            &workspace.tokens[2],
            "--jwks",
            "http://127.0.0.1:9/jwks.json",
        ],
    )
    .output()
    .unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert!(
        network_calls(&control)
            .iter()
            .any(|call| call.contains("connect(") && call.contains("127.0.0.1")),
        "{:?}",
        network_calls(&control)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_requested_verification_is_the_only_connection() {
    // The issuer's key server, on loopback.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut request).await;
                let body = r#"{"keys": []}"#;
                let reply = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = tokio::io::AsyncWriteExt::write_all(&mut stream, reply.as_bytes()).await;
            });
        }
    });
    let workspace = Workspace::new();
    let jwks_url = format!("http://127.0.0.1:{port}/jwks.json");
    std::fs::write(
        workspace.root().join(".jwtlens.toml"),
        format!("[keys]\nsecrets = [\"{CONFIG_SECRET}\"]\njwks_urls = {{ \"https://clerk.example.com\" = \"{jwks_url}\" }}\n"),
    )
    .unwrap();
    let traces = TempWorkspace::new();
    let trace = traces.path().join("server.trace");
    let mut server = spawn_server(&trace, false, workspace.root());
    let client = &mut server.client;
    offline_session(client, &workspace).await;
    assert_eq!(
        network_calls(&trace),
        Vec::<String>::new(),
        "network calls before the user asked"
    );

    let uri = workspace.uri("src/tokens.ts");
    let verify = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.verify", "arguments": [{"textDocument": {"uri": uri}, "position": workspace.source.at(2)}]}),
        )
        .await;
    assert_eq!(verify["result"]["verified"], false, "{verify}");
    server.finish().await;
    let calls = network_calls(&trace);
    let connects: Vec<&String> = calls
        .iter()
        .filter(|call| call.contains("connect("))
        .collect();
    assert!(
        !connects.is_empty(),
        "the verification connected: {calls:?}"
    );
    for connect in connects {
        assert!(
            connect.contains(&format!("sin_port=htons({port})")) && connect.contains("127.0.0.1"),
            "a connection elsewhere than the key server: {connect}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_logs_carry_no_token_secret_or_private_key() {
    let workspace = Workspace::new();
    let traces = TempWorkspace::new();
    let mut server = spawn_server(&traces.path().join("server.trace"), true, workspace.root());
    offline_session(&mut server.client, &workspace).await;
    let mut logs = vec![("server".to_owned(), server.finish().await)];
    for (name, output) in offline_cli(&workspace, traces.path(), true) {
        logs.push((name, String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    let confidential = workspace.confidential();
    assert!(
        confidential
            .iter()
            .any(|text| text.len() > 40 && !text.contains('.')),
        "the minted test keys' private lines are among the texts checked"
    );
    let (_, server_log) = &logs[0];
    assert!(
        server_log.contains("TRACE"),
        "trace logging is on: {server_log}"
    );
    for (name, log) in &logs {
        for text in &confidential {
            assert!(!log.contains(text.as_str()), "{name} logged {text:?}");
        }
    }
}
