//! `jwtlens explain` and `jwtlens diff`, run as a user would in a workspace with named
//! policies, on tokens signed with the fixture RSA key.

use std::path::Path;
use std::process::{Command, Output};

use crate::cli::jwtlens;

use jwtlens_test_support::fixture_key;
use jwtlens_test_support::issuer::jwks_server;
use jwtlens_test_support::tokens::{self, now};
use jwtlens_test_support::workspace::TempWorkspace;
use serde_json::{json, Value};

const CONFIG: &str = r#"
[[policies]]
name = "billing-api"
issuers = ["https://clerk.acme.dev"]
audiences = ["billing"]
algorithms = ["RS256"]
authorized_parties = ["https://app.acme.dev"]
permissions_claim = "permissions"
permissions_shape = "array"
required_claims = ["sub"]
keys = { files = ["keys/billing.jwks.json"] }
operations = { "read-invoices" = ["invoices:read"], "refund" = ["refunds:create"] }

[[policies]]
name = "scoped-api"
audiences = ["billing"]
permissions_claim = "scope"
permissions_shape = "space-delimited"
keys = { files = ["keys/billing.jwks.json"] }
messages = { permissions = "insufficient_scope" }
"#;

fn workspace() -> TempWorkspace {
    let workspace = TempWorkspace::new();
    workspace.write(".jwtlens.toml", CONFIG);
    let mut jwk = fixture_key::public_jwk();
    jwk["kid"] = json!("billing-1");
    jwk["alg"] = json!("RS256");
    workspace.write("keys/billing.jwks.json", json!({"keys": [jwk]}).to_string());
    workspace
}

fn claims() -> Value {
    json!({
        "iss": "https://clerk.acme.dev", "aud": "billing", "sub": "user_2x",
        "azp": "https://app.acme.dev", "iat": now() - 60, "exp": now() + 3600,
        "permissions": ["invoices:read", "invoices:write"],
        "scope": "invoices:read invoices:write",
    })
}

fn signed(claims: Value) -> String {
    tokens::signed(
        json!({"alg": "RS256", "typ": "JWT", "kid": "billing-1"}),
        claims,
        &fixture_key::encoding_key(),
    )
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn explain_json(dir: &Path, token: &str, more: &[&str]) -> (Option<i32>, Value) {
    let args = [&["explain", token, "--format", "json"], more].concat();
    let output = jwtlens(dir, &args);
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "{err}: {} {}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), json)
}

#[test]
fn an_accepted_token_exits_0_with_every_check_passed() {
    let workspace = workspace();
    let token = signed(claims());
    let output = jwtlens(
        workspace.path(),
        &[
            "explain",
            &token,
            "--policy",
            "billing-api",
            "--operation",
            "read-invoices",
        ],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.starts_with("billing-api: accepted\n"), "{text}");
    assert!(
        text.contains("✓ signature: verified with keys/billing.jwks.json"),
        "{text}"
    );
    assert!(
        text.contains("✓ permissions: invoices:read granted"),
        "{text}"
    );
    assert_eq!(text.matches('✓').count(), 10, "{text}");
}

/// The JSON has exactly the documented fields, the checks in order, and the first
/// failure's API message.
#[test]
fn a_wrong_audience_is_rejected_with_the_apis_message_in_json() {
    let workspace = workspace();
    let mut claims = claims();
    claims["aud"] = json!("web");
    let (code, json) = explain_json(
        workspace.path(),
        &signed(claims),
        &["--policy", "billing-api"],
    );
    assert_eq!(code, Some(1));
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["policy", "accepted", "message", "checks"]);
    assert_eq!(json["policy"], "billing-api");
    assert_eq!(json["accepted"], false);
    assert_eq!(json["message"], "Invalid audience.");
    let checks: Vec<(&str, bool)> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["check"].as_str().unwrap(), c["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        checks,
        [
            ("signature", true),
            ("algorithm", true),
            ("issuer", true),
            ("audience", false),
            ("expiry", true),
            ("not_before", true),
            ("authorized_party", true),
            ("required_claims", true),
            ("permissions", true),
            ("tenant", true)
        ]
    );
    assert_eq!(
        json["checks"][3]["message"],
        "Invalid audience. — aud web is not one of billing"
    );
}

#[test]
fn expired_missing_azp_and_missing_permission_each_answer_as_the_api_does() {
    let workspace = workspace();
    let policy = ["--policy", "billing-api"];
    let mut expired = claims();
    expired["exp"] = json!(now() - 7200);
    let (code, json) = explain_json(workspace.path(), &signed(expired), &policy);
    assert_eq!(
        (code, json["message"].as_str()),
        (Some(1), Some("Token has expired"))
    );

    let mut no_azp = claims();
    no_azp.as_object_mut().unwrap().remove("azp");
    let (code, json) = explain_json(workspace.path(), &signed(no_azp), &policy);
    assert_eq!(
        (code, json["message"].as_str()),
        (Some(1), Some("Invalid authorized party."))
    );

    let token = signed(claims());
    let output = jwtlens(
        workspace.path(),
        &[
            "explain",
            &token,
            "--policy",
            "billing-api",
            "--operation",
            "refund",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.starts_with("billing-api: 403 Insufficient permissions.\n"),
        "{text}"
    );
    assert!(
        text.contains("✗ permissions: Insufficient permissions. — missing refunds:create"),
        "{text}"
    );
}

/// The same permission, granted in a space-delimited `scope`, passes a policy that reads
/// it so; a missing one gets that policy's own message.
#[test]
fn permissions_as_a_space_delimited_string() {
    let workspace = workspace();
    let token = signed(claims());
    let scoped = ["--policy", "scoped-api", "--permission", "invoices:write"];
    let (code, json) = explain_json(workspace.path(), &token, &scoped);
    assert_eq!(code, Some(0), "{json:#}");
    assert_eq!(json["checks"][8]["message"], "invoices:write granted");
    let missing = ["--policy", "scoped-api", "--permission", "invoices:void"];
    let (code, json) = explain_json(workspace.path(), &token, &missing);
    assert_eq!(
        (code, json["message"].as_str()),
        (Some(1), Some("insufficient_scope"))
    );
}

#[test]
fn a_token_signed_by_another_key_fails_the_signature_check() {
    let workspace = workspace();
    let forged = tokens::token(
        json!({"alg": "RS256", "typ": "JWT", "kid": "billing-1"}),
        claims(),
    );
    let (code, json) = explain_json(workspace.path(), &forged, &["--policy", "billing-api"]);
    assert_eq!(
        (code, json["message"].as_str()),
        (Some(1), Some("Invalid signature."))
    );
    assert_eq!(json["checks"][0]["ok"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn online_fetches_the_policys_jwks_only_when_asked() {
    // The policy's keys are only at a JWKS URL (an issuer's key server on loopback).
    let mut jwk = fixture_key::public_jwk();
    jwk["kid"] = json!("billing-1");
    let (base, connections) = jwks_server(json!({"keys": [jwk]}).to_string()).await;
    let workspace = TempWorkspace::new();
    workspace.write(
        ".jwtlens.toml",
        format!(
            "[[policies]]\nname = \"remote-api\"\naudiences = [\"billing\"]\n\
             keys = {{ jwks_url = \"{base}/.well-known/jwks.json\" }}\n"
        ),
    );
    let token = signed(claims());
    let dir = workspace.path().to_owned();

    let offline = {
        let (dir, token) = (dir.clone(), token.clone());
        tokio::task::spawn_blocking(move || explain_json(&dir, &token, &["--policy", "remote-api"]))
            .await
            .unwrap()
    };
    assert_eq!(offline.0, Some(1), "{}", offline.1);
    assert_eq!(offline.1["checks"][0]["check"], "signature");
    assert_eq!(offline.1["checks"][0]["ok"], false, "{}", offline.1);
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no fetch without --online"
    );

    let online = tokio::task::spawn_blocking(move || {
        explain_json(&dir, &token, &["--policy", "remote-api", "--online"])
    })
    .await
    .unwrap();
    assert_eq!(online.0, Some(0), "{}", online.1);
    assert_eq!(online.1["accepted"], true);
    assert_eq!(online.1["checks"][0]["ok"], true, "{}", online.1);
    assert!(
        online.1["checks"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&base),
        "the trace names where the key came from: {}",
        online.1
    );
    assert!(connections.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

#[test]
fn usage_errors_exit_2() {
    let workspace = workspace();
    let token = signed(claims());
    for (args, says) in [
        (
            vec!["explain", &token],
            "say which policy with --policy (billing-api, scoped-api)",
        ),
        (
            vec!["explain", &token, "--policy", "nope"],
            "no policy \"nope\"",
        ),
        (
            vec![
                "explain",
                &token,
                "--policy",
                "billing-api",
                "--operation",
                "delete",
            ],
            "has no operation \"delete\" (it has: read-invoices, refund)",
        ),
        (
            vec!["explain", "not a token", "--policy", "billing-api"],
            "no JWT found",
        ),
        (
            vec!["explain", &token, "--format", "yaml"],
            "invalid value 'yaml'",
        ),
    ] {
        let output = jwtlens(workspace.path(), &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let empty = TempWorkspace::new();
    let output = jwtlens(empty.path(), &["explain", &token]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no [[policies]]"));
}

#[test]
fn explain_reads_the_token_from_stdin() {
    use std::io::Write as _;
    let workspace = workspace();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jwtlens"))
        .args(["explain", "-", "--policy", "billing-api"])
        .current_dir(workspace.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let token = signed(claims());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("Authorization: Bearer {token}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

fn clerk_claims(org: &str, role: &str, lifetime: i64) -> Value {
    json!({
        "iss": "https://clerk.acme.dev", "sub": "user_2x", "sid": "sess_1", "v": 2,
        "azp": "https://app.acme.dev", "iat": 1_750_000_000, "exp": 1_750_000_000 + lifetime,
        "o": {"id": org, "rol": role, "slg": "acme"},
    })
}

#[test]
fn diff_names_the_changes_in_words_and_in_json() {
    let workspace = TempWorkspace::new();
    let a = signed(clerk_claims("org_A", "admin", 60));
    let mut after = clerk_claims("org_B", "member", 3600);
    after["email"] = json!("ada@example.com");
    let b = tokens::signed(
        json!({"alg": "RS256", "typ": "JWT", "kid": "billing-2"}),
        after,
        &fixture_key::encoding_key(),
    );
    let output = jwtlens(workspace.path(), &["diff", &a, &b]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(
        text.starts_with(
            "active org org_A → org_B; role org:admin → org:member; lifetime 1 min → 1 h; kid changed\n"
        ),
        "{text}"
    );
    assert!(text.contains("+ email: \"ada@example.com\""), "{text}");

    let output = jwtlens(workspace.path(), &["diff", &a, &b, "--format", "json"]);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json["added"],
        json!([{"claim": "email", "value": "ada@example.com"}])
    );
    assert_eq!(json["removed"], json!([]));
    assert_eq!(json["changed"][0]["claim"], "exp");
    assert_eq!(json["changed"][0]["before"], 1_750_000_060);
    assert_eq!(json["changed"][0]["after"], 1_750_003_600);
    assert_eq!(json["summary"][0], "active org org_A → org_B");

    let output = jwtlens(workspace.path(), &["diff", &a, "nothing here"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("token B: no JWT found"));
}

/// The language server over stdio: a lens per token and policy, the lens's command, the
/// trace in the hover, "Compare with token…", and lenses that follow a settings change.
#[tokio::test]
async fn code_lens_explain_hover_and_compare_in_the_language_server() {
    use tower_lsp::lsp_types::Position;
    let workspace = workspace();
    let base = claims();
    let good = signed(base.clone());
    let mut web = base;
    web["aud"] = json!("web");
    let wrong_audience = signed(web);
    let text = format!("const good = \"{good}\";\nconst web = \"{wrong_audience}\";\n");
    let uri = workspace.uri("src/app.ts");
    let mut server = crate::language_server(&[]);
    let client = &mut server.client;
    let init = client
        .initialize_with(
            &workspace.root_uri(),
            Value::Null,
            &["utf-16"],
            json!({"codeLens": {"refreshSupport": true}}),
        )
        .await;
    let capabilities = &init["result"]["capabilities"];
    assert_eq!(capabilities["codeLensProvider"]["resolveProvider"], false);
    let commands = capabilities["executeCommandProvider"]["commands"].to_string();
    assert!(commands.contains("jwtlens.explain") && commands.contains("jwtlens.compare"));
    client.open(&uri, &text, 1).await;
    client.diagnostics(&uri, Some(1)).await;

    let lenses = client
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    let lenses = lenses["result"].as_array().unwrap().clone();
    let titles: Vec<(u64, &str)> = lenses
        .iter()
        .map(|lens| {
            (
                lens["range"]["start"]["line"].as_u64().unwrap(),
                lens["command"]["title"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        titles,
        [
            (0, "billing-api: accepted"),
            (0, "scoped-api: accepted"),
            (1, "billing-api: 401 Invalid audience."),
            (1, "scoped-api: 401 Invalid audience.")
        ]
    );

    // The lens's own command answers with the decision and shows the trace.
    let command = &lenses[2]["command"];
    assert_eq!(command["command"], "jwtlens.explain");
    let answer = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.explain", "arguments": command["arguments"]}),
        )
        .await;
    let decision = &answer["result"][0];
    assert_eq!(decision["policy"], "billing-api");
    assert_eq!(decision["accepted"], false);
    assert_eq!(decision["message"], "Invalid audience.");
    let shown = client
        .wait_for(|m| m["method"] == "window/showMessage")
        .await;
    let shown = shown["params"]["message"].as_str().unwrap();
    assert!(
        shown.starts_with(
            "billing-api: 401 Invalid audience.\n✓ signature: verified with keys/billing.jwks.json"
        ),
        "{shown}"
    );

    // An operation whose permission the token lacks.
    let answer = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.explain", "arguments": [{
                "textDocument": {"uri": uri}, "position": {"line": 0, "character": 16},
                "policy": "billing-api", "operation": "refund",
            }]}),
        )
        .await;
    assert_eq!(
        answer["result"][0]["message"], "Insufficient permissions.",
        "{answer}"
    );
    let unknown = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.explain", "arguments": [{
                "textDocument": {"uri": uri}, "position": {"line": 0, "character": 16},
                "policy": "billing-api", "operation": "delete",
            }]}),
        )
        .await;
    assert!(unknown["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no operation \"delete\""));

    let hover = client.hover(&uri, Position::new(1, 16)).await;
    let hover = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(hover.contains("**Policies**"), "{hover}");
    assert!(
        hover.contains("- billing-api: 401 Invalid audience. (audience: Invalid audience. — aud web is not one of billing)"),
        "{hover}"
    );

    // Compare: a token's text with the token at a position.
    let answer = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.compare", "arguments": [
                good, {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 16}},
            ]}),
        )
        .await;
    assert_eq!(
        answer["result"]["summary"],
        json!(["audience billing → web"]),
        "{answer}"
    );
    assert_eq!(
        answer["result"]["changed"],
        json!([{"claim": "aud", "before": "billing", "after": "web"}])
    );
    let one = client
        .request(
            "workspace/executeCommand",
            json!({"command": "jwtlens.compare", "arguments": [good]}),
        )
        .await;
    assert!(one["error"]["message"]
        .as_str()
        .unwrap()
        .contains("two arguments"));

    // The settings change: the lenses follow.
    let config_uri = workspace.uri(".jwtlens.toml");
    workspace.write(
        ".jwtlens.toml",
        CONFIG.replace("audiences = [\"billing\"]", "audiences = [\"web\"]"),
    );
    client
        .notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": config_uri, "type": 2}]}),
        )
        .await;
    client
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str()
        })
        .await;
    let lenses = client
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    let titles: Vec<&str> = lenses["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lens| lens["command"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "billing-api: 401 Invalid audience.",
            "scoped-api: 401 Invalid audience.",
            "billing-api: accepted",
            "scoped-api: accepted"
        ]
    );
    client.shutdown().await;
}
