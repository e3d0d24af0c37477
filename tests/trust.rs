//! A cloned repository cannot turn jwtlens against its user. Each attack is planted in a
//! temporary workspace, with real symbolic links, FIFOs and device files, and run against
//! the real binary: over stdio as a language server, and as the CLI. Every test asserts
//! that nothing outside the workspace changed (a sentinel folder is snapshotted before
//! and after), that every request was answered, and, where a hang was the attack, within
//! a generous time bound.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io::Read;
use std::ops::{Deref, DerefMut};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jwtlens_keys::mint::{self, TestKeys, Variant};
use jwtlens_test_support::client::codes;
use jwtlens_test_support::issuer::Issuer;
use jwtlens_test_support::marked::Marked;
use jwtlens_test_support::process::ServerProcess;
use jwtlens_test_support::tokens::{hs256, now, token};
use jwtlens_test_support::workspace::{file_uri, TempWorkspace};
use serde_json::{json, Map, Value};
use tower_lsp::lsp_types::Position;

/// The time `initialize` gets even when every workspace file is a FIFO or a device (the
/// attack was a server that never answers). Generous: it takes milliseconds.
const INITIALIZE_BOUND: Duration = Duration::from_secs(5);
/// The time a CLI run gets before the test calls it hung.
const CLI_BOUND: Duration = Duration::from_secs(30);

/// A workspace, and beside it a sentinel folder that holds what an attacker would aim at:
/// a file to append to, a real private key, a file to overwrite.
struct Fixture {
    dir: TempWorkspace,
    root: PathBuf,
    outside: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = TempWorkspace::new();
        let root = dir.path().join("workspace");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("gitignore"), "node_modules/\n").unwrap();
        std::fs::write(outside.join("published.jwks.json"), "{\"keys\": []}\n").unwrap();
        // A real RSA key that is not the workspace's: mint must never sign with it.
        TestKeys::new(outside.join("real-keys"))
            .ensure(mint::KeyKind::Rsa)
            .unwrap();
        Fixture { dir, root, outside }
    }

    fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        self.dir.write(&format!("workspace/{relative}"), contents);
    }

    fn link(&self, relative: &str, target: impl AsRef<Path>) {
        let path = self.root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        symlink(target, path).unwrap();
    }

    fn root_uri(&self) -> String {
        file_uri(&self.root)
    }

    fn uri(&self, relative: &str) -> String {
        file_uri(&self.root.join(relative))
    }

    /// Runs the CLI in the workspace with stdin held open (so a read of `/dev/stdin`
    /// would block) and fails the test if it does not finish in time.
    fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jwtlens"))
            .args(args)
            .current_dir(&self.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _stdin = child.stdin.take();
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let err = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > CLI_BOUND {
                let _ = child.kill();
                panic!("jwtlens {args:?} hung for {CLI_BOUND:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (
            status.code().unwrap_or(-1),
            out.join().unwrap(),
            err.join().unwrap(),
        )
    }

    /// Runs the CLI (as [`Fixture::cli`]) and asserts that nothing outside the workspace
    /// changed.
    fn cli_contained(&self, args: &[&str]) -> (i32, String, String) {
        let before = snapshot(&self.outside);
        let ran = self.cli(args);
        assert_eq!(
            snapshot(&self.outside),
            before,
            "jwtlens {args:?} changed the sentinel folder"
        );
        ran
    }
}

/// Every entry under `dir`: its kind and, for files and links, what they hold or point to.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut entries = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mode = meta.permissions().mode() & 0o777;
            let what = if meta.file_type().is_symlink() {
                format!("link -> {:?}", std::fs::read_link(&path).unwrap())
            } else if meta.is_dir() {
                pending.push(path.clone());
                format!("dir {mode:o}")
            } else if meta.file_type().is_fifo() {
                "fifo".to_owned()
            } else {
                let contents = std::fs::read(&path).unwrap();
                format!("file {mode:o} {}", String::from_utf8_lossy(&contents))
            };
            entries.insert(path.strip_prefix(dir).unwrap().to_path_buf(), what);
        }
    }
    entries
}

/// Names of the entries directly in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
}

/// The language server on a workspace, and what these tests ask of it.
struct Server(ServerProcess);

impl Deref for Server {
    type Target = ServerProcess;
    fn deref(&self) -> &ServerProcess {
        &self.0
    }
}

impl DerefMut for Server {
    fn deref_mut(&mut self) -> &mut ServerProcess {
        &mut self.0
    }
}

impl Server {
    /// Starts the binary and initializes it on the workspace; asserts the answer came
    /// within [`INITIALIZE_BOUND`].
    async fn start(fixture: &Fixture, options: Value) -> Server {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_jwtlens"));
        command.arg("--stdio");
        let mut server = ServerProcess::spawn(command);
        let started = Instant::now();
        let init = server
            .client
            .initialize(&fixture.root_uri(), options, &[])
            .await;
        let took = started.elapsed();
        assert_eq!(init["result"]["serverInfo"]["name"], "jwtlens", "{init}");
        assert!(took < INITIALIZE_BOUND, "initialize took {took:?}");
        Server(server)
    }

    /// The diagnostics published on `.jwtlens.toml`, as (severity, message).
    async fn config_diagnostics(&mut self, fixture: &Fixture) -> Vec<(i64, String)> {
        self.client
            .diagnostics(&fixture.uri(".jwtlens.toml"), None)
            .await
            .iter()
            .map(|d| {
                (
                    d["severity"].as_i64().unwrap(),
                    d["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// Opens a document and returns its diagnostics' codes.
    async fn open(&mut self, uri: &str, text: &str) -> Vec<String> {
        self.client.open(uri, text, 1).await;
        codes(&self.client.diagnostics(uri, Some(1)).await)
    }

    /// The code actions at `at`.
    async fn actions(&mut self, uri: &str, at: Position) -> Vec<Value> {
        let response = self.client.code_actions_at(uri, at).await;
        response["result"].as_array().unwrap().clone()
    }

    /// Runs a code action's command; returns the whole response.
    async fn run(&mut self, action: &Value) -> Value {
        let command = &action["command"];
        self.client
            .request(
                "workspace/executeCommand",
                json!({"command": command["command"], "arguments": command["arguments"]}),
            )
            .await
    }

    /// Opens a document holding a committed-looking token and runs its preferred fix,
    /// "Mint replacement test token"; returns the command's whole response.
    async fn mint_replacement(&mut self, uri: &str) -> Value {
        let doc = Marked::new(&format!("const t = '$0{}';\n", live_rs256()));
        let found = self.open(uri, &doc.text).await;
        assert!(found.contains(&"JWT104".to_owned()), "{found:?}");
        let actions = self.actions(uri, doc.cursor()).await;
        self.run(action(&actions, "Mint replacement test token ("))
            .await
    }

    /// Hover text at a position.
    async fn hover_text(&mut self, uri: &str, at: Position) -> String {
        let hover = self.client.hover(uri, at).await;
        hover["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// `shutdown` is answered and the process exits cleanly.
    async fn finish(self) {
        self.0.finish().await;
    }
}

fn action<'a>(actions: &'a [Value], title_start: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with(title_start))
        .unwrap_or_else(|| panic!("no action {title_start:?} in {actions:#?}"))
}

/// A committed-looking RS256 token: JWT104 offers "Mint replacement test token" first.
fn live_rs256() -> String {
    token(
        json!({"alg": "RS256", "kid": "prod-1"}),
        json!({"iss": "https://auth.acme.io", "sub": "user_1", "aud": "api", "exp": now() + 86_400}),
    )
}

const NEWLINE_KEYS_DIR: &str = "[mint]\nkeys_dir = \".k\\necho INJECTED #\"\nprivate_keys = true\n";

#[test]
fn keys_init_refuses_a_keys_dir_with_a_newline_and_leaves_an_outside_gitignore_alone() {
    let fx = Fixture::new();
    fx.link(".gitignore", fx.outside.join("gitignore"));
    fx.write(".jwtlens.toml", NEWLINE_KEYS_DIR);
    let (status, _, stderr) = fx.cli_contained(&["keys", "init"]);
    assert_eq!(status, 2, "{stderr}");
    assert!(
        stderr.contains(r#"mint.keys_dir ".k\necho INJECTED #": contains a control character"#),
        "{stderr}"
    );
    assert_eq!(names(&fx.root), [".gitignore", ".jwtlens.toml"]);
}

#[test]
fn keys_init_private_refuses_a_gitignore_that_leads_outside_before_creating_keys() {
    let fx = Fixture::new();
    fx.link(".gitignore", fx.outside.join("gitignore"));
    let (status, _, stderr) = fx.cli_contained(&["keys", "init", "--private"]);
    assert_eq!(status, 2, "{stderr}");
    assert!(
        stderr.contains(".gitignore: leads outside the workspace"),
        "{stderr}"
    );
    assert_eq!(names(&fx.root), [".gitignore"], "no key was created");
}

#[test]
fn keys_dirs_that_leave_the_workspace_are_refused() {
    for (keys_dir, why) in [
        ("../outside/keys".to_owned(), "contains `..`"),
        (String::new(), "is absolute"),
    ] {
        let fx = Fixture::new();
        let keys_dir = if keys_dir.is_empty() {
            fx.outside.join("keys").display().to_string()
        } else {
            keys_dir
        };
        fx.write(
            ".jwtlens.toml",
            format!("[mint]\nkeys_dir = {keys_dir:?}\n"),
        );
        let (status, _, stderr) = fx.cli_contained(&["keys", "init"]);
        assert_eq!(status, 2, "{stderr}");
        assert!(stderr.contains(why), "{keys_dir}: {stderr}");
        let (status, stdout, stderr) = fx.cli_contained(&["mint", "--alg", "RS256"]);
        assert_eq!((status, stdout.as_str()), (2, ""), "{stderr}");
        assert_eq!(names(&fx.root), [".jwtlens.toml"]);
    }
}

#[test]
fn a_key_folder_behind_a_link_out_of_the_workspace_is_not_written() {
    let fx = Fixture::new();
    fx.link(".jwtlens", &fx.outside);
    let (status, _, stderr) = fx.cli_contained(&["keys", "init"]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("leads outside the workspace"), "{stderr}");
}

#[test]
fn a_linked_public_jwks_is_replaced_not_written_through() {
    let fx = Fixture::new();
    fx.link(
        ".jwtlens/test-keys.jwks.json",
        fx.outside.join("published.jwks.json"),
    );
    let (status, stdout, stderr) = fx.cli_contained(&["keys", "init"]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    let jwks = fx.root.join(".jwtlens/test-keys.jwks.json");
    assert!(!jwks.symlink_metadata().unwrap().is_symlink());
    let published: Value = serde_json::from_slice(&std::fs::read(jwks).unwrap()).unwrap();
    assert_eq!(published["keys"].as_array().unwrap().len(), 3);
    for key in ["test-rsa.pem", "test-ec-p256.pem", "test-ed25519.pem"] {
        let mode = std::fs::metadata(fx.root.join(".jwtlens").join(key))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{key}");
    }
}

#[test]
fn mint_refuses_to_sign_with_a_linked_private_key() {
    let fx = Fixture::new();
    fx.link(
        ".jwtlens/test-rsa.pem",
        fx.outside.join("real-keys/test-rsa.pem"),
    );
    let (status, stdout, stderr) = fx.cli_contained(&["mint", "--alg", "RS256"]);
    assert_eq!((status, stdout.as_str()), (2, ""), "{stderr}");
    assert!(
        stderr.contains("test-rsa.pem: is a symbolic link: jwtlens made this file itself"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mint_command_refuses_linked_keys_and_gitignores_and_bad_key_folders() {
    // A private key linked from elsewhere: no token, no edit.
    let fx = Fixture::new();
    fx.link(
        ".jwtlens/test-rsa.pem",
        fx.outside.join("real-keys/test-rsa.pem"),
    );
    let before = snapshot(&fx.outside);
    let mut server = Server::start(&fx, json!({})).await;
    let uri = fx.uri("src/api.ts");
    let response = server.mint_replacement(&uri).await;
    let error = response["error"]["message"].as_str().unwrap_or_default();
    assert!(
        error.contains("test-rsa.pem: is a symbolic link"),
        "{response}"
    );
    assert!(server.client.applied_edits.is_empty());
    server.finish().await;
    assert_eq!(snapshot(&fx.outside), before);

    // `.gitignore` leads outside and private keys are wanted: refused before any key exists.
    let fx = Fixture::new();
    fx.link(".gitignore", fx.outside.join("gitignore"));
    fx.write(".jwtlens.toml", "[mint]\nprivate_keys = true\n");
    let before = snapshot(&fx.outside);
    let mut server = Server::start(&fx, json!({})).await;
    let response = server.mint_replacement(&uri).await;
    let error = response["error"]["message"].as_str().unwrap_or_default();
    assert!(
        error.contains("cannot update .gitignore: .gitignore: leads outside the workspace"),
        "{response}"
    );
    assert!(server.client.applied_edits.is_empty());
    server.finish().await;
    assert_eq!(snapshot(&fx.outside), before);
    assert_eq!(names(&fx.root), [".gitignore", ".jwtlens.toml"]);

    // The newline in keys_dir: the file is refused (a diagnostic on it says why), its
    // defaults apply, and the outside .gitignore stays as it was.
    let fx = Fixture::new();
    fx.link(".gitignore", fx.outside.join("gitignore"));
    fx.write(".jwtlens.toml", NEWLINE_KEYS_DIR);
    let before = snapshot(&fx.outside);
    let mut server = Server::start(&fx, json!({})).await;
    let diagnostics = server.config_diagnostics(&fx).await;
    assert!(
        diagnostics.iter().any(|(severity, message)| *severity == 1
            && message.contains("contains a control character")),
        "{diagnostics:?}"
    );
    let response = server.mint_replacement(&uri).await;
    assert!(response.get("result").is_some(), "{response}");
    server.finish().await;
    assert_eq!(snapshot(&fx.outside), before);
    assert!(fx.root.join(".gitignore").is_symlink());
    assert!(
        names(&fx.root).iter().all(|name| !name.starts_with(".k")),
        "{:?}",
        names(&fx.root)
    );

    // keys_dir out of the workspace, from the repository: a diagnostic, nothing outside.
    let fx = Fixture::new();
    fx.write(".jwtlens.toml", "[mint]\nkeys_dir = \"../outside\"\n");
    let before = snapshot(&fx.outside);
    let mut server = Server::start(&fx, json!({})).await;
    let diagnostics = server.config_diagnostics(&fx).await;
    assert!(
        diagnostics
            .iter()
            .any(|(_, message)| message.contains("mint.keys_dir \"../outside\": contains `..`")),
        "{diagnostics:?}"
    );
    server.finish().await;
    assert_eq!(snapshot(&fx.outside), before);
}

/// What a hostile workspace file is made to be.
#[derive(Debug, Clone, Copy)]
enum Hostile {
    Stdin,
    Fifo,
    Zero,
    Urandom,
    Oversized,
}

impl Hostile {
    /// Makes `relative` this kind of file.
    fn plant(self, fx: &Fixture, relative: &str) {
        match self {
            Hostile::Stdin => fx.link(relative, "/dev/stdin"),
            Hostile::Zero => fx.link(relative, "/dev/zero"),
            Hostile::Urandom => fx.link(relative, "/dev/urandom"),
            Hostile::Fifo => {
                let fifo = fx.root.join("pipes/fifo");
                if !fifo.exists() {
                    mkfifo(&fifo);
                }
                if relative == ".env" {
                    // One FIFO in the file's own place, the others linked to it.
                    mkfifo(&fx.root.join(relative));
                } else {
                    fx.link(relative, &fifo);
                }
            }
            Hostile::Oversized => {
                let mut text = String::from("JWT_SECRET=a-secret-in-a-huge-file\n");
                text.push_str(&"# padding\n".repeat(200_000));
                fx.write(relative, text);
            }
        }
    }
}

/// `.env`, `.jwtlens.toml`, a `keys.files` entry, a `keys.dotenv` file and the test secret
/// are made FIFOs, links to `/dev/stdin`, `/dev/zero`, `/dev/urandom`, or 2 MB files.
/// `initialize` is answered within the bound, memory stays flat, each file is reported
/// on `.jwtlens.toml`, the server keeps working, and `jwtlens check` finishes too.
#[tokio::test(flavor = "multi_thread")]
async fn devices_fifos_and_huge_files_neither_hang_nor_grow_memory() {
    /// Each file, and how its diagnostic on `.jwtlens.toml` starts.
    const FILES: [(&str, &str); 5] = [
        (".env", "key not loaded: .env: "),
        (".jwtlens.toml", ".jwtlens.toml: "),
        (
            "keys/public.pem",
            "key not loaded: keys/public.pem: cannot read: ",
        ),
        (".env.staging", "key not loaded: .env.staging: "),
        (
            ".jwtlens/test-hmac.secret",
            "key not loaded: workspace test key .jwtlens/test-hmac.secret: ",
        ),
    ];
    // The keys.files and keys.dotenv entries come from the editor: .jwtlens.toml is one of
    // the hostile files.
    let options = json!({"keys": {
        "files": ["keys/public.pem"],
        "dotenv": [{"file": ".env.staging", "var": "AUTH_KEY"}],
    }});
    for hostile in [
        Hostile::Stdin,
        Hostile::Fifo,
        Hostile::Zero,
        Hostile::Urandom,
        Hostile::Oversized,
    ] {
        let fx = Fixture::new();
        for (file, _) in FILES {
            hostile.plant(&fx, file);
        }
        let before = snapshot(&fx.outside);
        let mut server = Server::start(&fx, options.clone()).await;
        let peak = server.memory_mib("VmHWM");
        assert!(
            peak < 100.0,
            "{hostile:?}: peak {peak:.0} MiB by initialize"
        );
        let diagnostics = server.config_diagnostics(&fx).await;
        assert_eq!(
            diagnostics.len(),
            FILES.len(),
            "{hostile:?}: {diagnostics:#?}"
        );
        for (file, start) in FILES {
            let (severity, message) = diagnostics
                .iter()
                .find(|(_, message)| message.starts_with(start))
                .unwrap_or_else(|| panic!("{hostile:?}: nothing on {file} in {diagnostics:#?}"));
            // The config file itself is an error; a key file a warning.
            assert_eq!(*severity, if file == ".jwtlens.toml" { 1 } else { 2 });
            let why = [
                "not a regular file",
                "outside the workspace",
                "is a symbolic link",
                "larger than 1024 KiB",
            ];
            assert!(
                why.iter().any(|why| message.contains(why)),
                "{hostile:?}: {message}"
            );
        }
        let uri = fx.uri("src/a.ts");
        let token = hs256(
            "a-secret-in-a-huge-file",
            json!({"sub": "probe", "exp": now() + 600}),
        );
        let doc = Marked::new(&format!("'$0{token}'"));
        let codes = server.open(&uri, &doc.text).await;
        assert!(
            !codes.contains(&"JWT102".to_owned()),
            "{hostile:?}: {codes:?}"
        );
        assert!(server
            .hover_text(&uri, doc.cursor())
            .await
            .contains("probe"));
        let peak = server.memory_mib("VmHWM");
        assert!(peak < 100.0, "{hostile:?}: peak {peak:.0} MiB");
        server.finish().await;

        // The config of a folder is read when a file in it is checked.
        fx.write("src/a.ts", &doc.text);
        let (status, _, stderr) = fx.cli(&["check", "--hidden", "."]);
        assert_eq!(status, 2, "{hostile:?}: a broken .jwtlens.toml: {stderr}");
        assert!(stderr.contains(".jwtlens.toml: "), "{hostile:?}: {stderr}");
        assert_eq!(snapshot(&fx.outside), before, "{hostile:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_cannot_vouch_for_googles_keys() {
    // "Google's" keys, served by the repository author's own server.
    let attacker = Issuer::start().await;
    let jwks_url = format!("{}/jwks.json", attacker.base);
    let claims: Map<String, Value> = json!({
        "iss": "https://accounts.google.com", "aud": "1234.apps.googleusercontent.com",
        "sub": "110169484474386276334", "email": "ada@example.com", "iat": now(), "exp": now() + 600,
    })
    .as_object()
    .unwrap()
    .clone();
    let header = json!({"alg": "RS256"}).as_object().unwrap().clone();
    let token = mint::mint(
        &attacker.keys,
        &header,
        &claims,
        Variant::Replacement,
        600,
        now(),
    )
    .unwrap();
    let doc = Marked::new(&format!("const idToken = '$0{token}';\n"));

    // From the repository: a workspace-configured key set, wherever it is shown.
    let fx = Fixture::new();
    fx.write(
        ".jwtlens.toml",
        format!("[keys.jwks_urls]\n\"https://accounts.google.com\" = \"{jwks_url}\"\n"),
    );
    let mut server = Server::start(&fx, json!({})).await;
    let uri = fx.uri("src/login.ts");
    server.open(&uri, &doc.text).await;
    assert!(server
        .hover_text(&uri, doc.cursor())
        .await
        .contains("Google"));
    let actions = server.actions(&uri, doc.cursor()).await;
    let verify = action(&actions, "Verify signature");
    assert_eq!(
        verify["title"],
        format!("Verify signature with workspace-configured key set (GET {jwks_url})")
    );
    let response = server.run(verify).await;
    assert_eq!(response["result"]["verified"], true, "{response}");
    let message = server
        .client
        .wait_for(|m| m["method"] == "window/showMessage")
        .await;
    let message = message["params"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "from a workspace-configured key set ({jwks_url}, named by .jwtlens.toml, not by the issuer)"
        )),
        "{message}"
    );
    let diagnostics = server.client.diagnostics(&uri, None).await;
    let signature = diagnostics
        .iter()
        .find_map(|d| {
            d["message"]
                .as_str()
                .filter(|m| m.starts_with("signature "))
        })
        .unwrap();
    assert!(
        signature.contains("workspace-configured key set"),
        "{signature}"
    );
    let hover = server.hover_text(&uri, doc.cursor()).await;
    let row = hover
        .lines()
        .find(|line| line.starts_with("| Signature |"))
        .unwrap();
    assert!(row.contains("from a workspace-configured key set"), "{row}");
    server.finish().await;

    // The same mapping from the user's own settings is theirs to make: issuer keys.
    let fx = Fixture::new();
    let options = json!({"keys": {"jwks_urls": {"https://accounts.google.com": jwks_url}}});
    let mut server = Server::start(&fx, options).await;
    server.open(&uri, &doc.text).await;
    let actions = server.actions(&uri, doc.cursor()).await;
    let verify = action(&actions, "Verify signature");
    assert_eq!(
        verify["title"],
        format!("Verify signature with issuer keys (GET {jwks_url})")
    );
    server.run(verify).await;
    let hover = server.hover_text(&uri, doc.cursor()).await;
    assert!(
        hover.contains(&format!("from {jwks_url} at")) && !hover.contains("workspace-configured"),
        "{hover}"
    );
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restricted_mode_loads_no_workspace_key_and_writes_nothing() {
    let fx = Fixture::new();
    fx.write(".env", "JWT_SECRET=committed-dev-secret\n");
    fx.write(
        ".jwtlens.toml",
        "clock_skew = 30\ndocs_url = \"https://phish.example/rules\"\n[keys]\nsecrets = [\"config-secret\"]\n[mint]\nkeys_dir = \"keys\"\n[rules]\nJWT013 = \"off\"\n",
    );
    let token = hs256(
        "committed-dev-secret",
        json!({"sub": "u", "exp": now() + 600}),
    );
    let doc = Marked::new(&format!("const t = '$0{token}';\n"));
    let workspace_before = snapshot(&fx.root);
    let outside_before = snapshot(&fx.outside);

    let mut server = Server::start(&fx, json!({"trustedWorkspace": false})).await;
    let diagnostics = server.config_diagnostics(&fx).await;
    assert_eq!(
        diagnostics,
        [(
            3,
            "restricted mode (this folder is not trusted): keys, mint.keys_dir, docs_url from .jwtlens.toml ignored, and no key, .env or test key file is read".to_owned()
        )]
    );
    let uri = fx.uri("src/app.ts");
    let found = server.open(&uri, &doc.text).await;
    assert!(!found.contains(&"JWT102".to_owned()), "{found:?}");
    assert!(
        !found.contains(&"JWT013".to_owned()),
        "rule levels still apply"
    );
    assert!(server
        .hover_text(&uri, doc.cursor())
        .await
        .contains("HS256"));
    let actions = server.actions(&uri, doc.cursor()).await;
    let mint = action(&actions, "Mint replacement test token (");
    assert!(
        mint["disabled"]["reason"]
            .as_str()
            .unwrap()
            .contains("restricted mode"),
        "{mint}"
    );
    for variant in ["replacement", "unsigned"] {
        let response = server
            .client
            .request(
                "workspace/executeCommand",
                json!({"command": "jwtlens.mint", "arguments": [{"textDocument": {"uri": uri}, "position": doc.cursor(), "variant": variant}]}),
            )
            .await;
        let error = response["error"]["message"].as_str().unwrap_or_default();
        assert!(
            error.contains("restricted mode") && error.contains("until you trust the folder"),
            "{response}"
        );
    }
    assert!(server.client.applied_edits.is_empty());
    assert_eq!(snapshot(&fx.root), workspace_before, "nothing written");

    // Trust granted: the editor says so, and the workspace's keys load.
    server
        .client
        .notify(
            "workspace/didChangeConfiguration",
            json!({"settings": {"jwtlens": {"trustedWorkspace": true}}}),
        )
        .await;
    let diagnostics = server.client.diagnostics(&uri, None).await;
    assert!(codes(&diagnostics).contains(&"JWT102".to_owned()));
    server.finish().await;
    assert_eq!(snapshot(&fx.outside), outside_before);
}

#[test]
fn a_repository_cannot_declare_itself_trusted() {
    let fx = Fixture::new();
    fx.write(".jwtlens.toml", "trusted_workspace = true\n");
    fx.write("src/a.ts", "const a = 1;\n");
    let (status, _, stderr) = fx.cli(&["check", "."]);
    assert_eq!(status, 2, "{stderr}");
    assert!(
        stderr.contains("trusted_workspace: only your editor says whether a folder is trusted"),
        "{stderr}"
    );
}

#[test]
fn check_finds_tokens_signed_by_a_dotenv_secret() {
    let fx = Fixture::new();
    let secret = "committed-dev-secret";
    fx.write(".env", format!("JWT_SECRET={secret}\n"));
    let token = hs256(secret, json!({"sub": "u", "exp": now() + 600}));
    fx.write("src/app.ts", format!("const t = '{token}';\n"));
    // A nested project with its own config and its own .env: its keys, not the outer ones.
    fx.write("app/.jwtlens.toml", "");
    fx.write("app/.env", "AUTH_SECRET=app-secret\n");
    let app_token = hs256("app-secret", json!({"sub": "app", "exp": now() + 600}));
    fx.write(
        "app/src/a.ts",
        format!("const a = '{app_token}';\nconst b = '{token}';\n"),
    );

    let (status, stdout, stderr) = fx.cli(&["check", "--format", "json", "--fail-on", "off"]);
    assert_eq!(status, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let jwt102: Vec<(String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["code"] == "JWT102")
        .map(|finding| {
            (
                finding["path"].as_str().unwrap().to_owned(),
                finding["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        jwt102,
        [("app/src/a.ts".to_owned(), 1), ("src/app.ts".to_owned(), 1)]
    );
}
