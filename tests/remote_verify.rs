//! Verification with the issuer's keys happens only on request: a JWKS server on 127.0.0.1
//! counts connections while the language server opens, hovers, diagnoses and offers code
//! actions (none), then verifies when asked (one).

use std::sync::atomic::Ordering;

use jwtlens_keys::mint::{self, TestKeys, Variant};
use jwtlens_test_support::client::in_process;
use jwtlens_test_support::issuer::{jwks_server, Issuer};
use jwtlens_test_support::marked::Marked;
use jwtlens_test_support::tokens::now;
use jwtlens_test_support::workspace::TempWorkspace;
use serde_json::{json, Map, Value};

fn object(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn issuer_keys_are_fetched_only_when_the_user_asks() {
    // The "issuer": keys made in a folder outside the workspace, published as a JWKS.
    let issuer = Issuer::start().await;
    let (issuer_keys, base, connections) = (&issuer.keys, &issuer.base, &issuer.connections);
    let iss = format!("{base}/tenant-a");
    let claims = object(
        json!({"iss": iss, "sub": "user_1", "aud": "api", "iat": now(), "exp": now() + 600}),
    );
    let genuine = mint::mint(
        issuer_keys,
        &object(json!({"alg": "RS256"})),
        &claims,
        Variant::Replacement,
        600,
        now(),
    )
    .unwrap();
    // Same kid, another key: a forgery the issuer's keys must reject.
    let forger_dir = TempWorkspace::new();
    let forged = mint::mint(
        &TestKeys::new(forger_dir.path()),
        &object(json!({"alg": "RS256"})),
        &claims,
        Variant::Replacement,
        600,
        now(),
    )
    .unwrap();
    let kid = jwtlens_jose::segment::decode_object(genuine.split('.').next().unwrap().as_bytes())
        .unwrap()["kid"]
        .clone();
    let forged = {
        let mut parts: Vec<String> = forged.split('.').map(str::to_owned).collect();
        let mut header = jwtlens_jose::segment::decode_object(parts[0].as_bytes()).unwrap();
        header.insert("kid".into(), kid);
        use base64::Engine;
        parts[0] = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&header).unwrap());
        parts.join(".")
    };

    let workspace = TempWorkspace::new();
    let root = workspace.root_uri();
    let jwks_url = format!("{base}/jwks.json");
    let mut client = in_process();
    client
        .initialize(
            &root,
            json!({"keys": {"jwks_urls": {iss.clone(): jwks_url.clone()}}}),
            &[],
        )
        .await;
    let uri = format!("{root}/src/tokens.ts");
    let doc = Marked::new(&format!(
        "const genuine = \"$0{genuine}\";\nconst forged = \"$1{forged}\";\n"
    ));
    client.open(&uri, &doc.text, 1).await;
    client.diagnostics(&uri, Some(1)).await;
    client.hover(&uri, doc.cursor()).await;
    let range = json!({"start": doc.cursor(), "end": doc.cursor()});
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}}),
        )
        .await;
    let verify = actions["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["command"]["command"] == "jwtlens.verify")
        .unwrap()
        .clone();
    assert_eq!(
        verify["title"],
        format!("Verify signature with issuer keys (GET {jwks_url})")
    );
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing connects before the user asks"
    );

    let run = |marker: usize| json!({"command": "jwtlens.verify", "arguments": [{"textDocument": {"uri": uri}, "position": doc.at(marker)}]});
    let verified = client.request("workspace/executeCommand", run(0)).await;
    assert_eq!(verified["result"]["verified"], true, "{verified}");
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    let message = client
        .wait_for(|m| m["method"] == "window/showMessage")
        .await;
    assert!(message["params"]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("from {jwks_url}")));
    let diagnostics = client
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["diagnostics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| {
                        d["message"]
                            .as_str()
                            .unwrap_or("")
                            .starts_with("signature verified with key")
                    })
        })
        .await;
    let info = diagnostics["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == 3 && d["code"].is_null())
        .unwrap()
        .clone();
    assert_eq!(info["range"]["start"]["line"], 0);

    let rejected = client.request("workspace/executeCommand", run(1)).await;
    assert_eq!(rejected["result"]["verified"], false);
    assert!(
        rejected["result"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("bad signature"),
        "{rejected}"
    );
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "the cached key set is reused"
    );
    let invalid = client
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["diagnostics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["code"] == "JWT111")
        })
        .await;
    let jwt111 = invalid["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "JWT111")
        .unwrap()
        .clone();
    assert_eq!(jwt111["range"]["start"]["line"], 1);
    assert!(jwt111["message"]
        .as_str()
        .unwrap()
        .contains("signature check against the issuer's keys failed: bad signature"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_verifies_with_a_jwks_url_and_by_discovery() {
    let issuer_dir = TempWorkspace::new();
    let issuer_keys = TestKeys::new(issuer_dir.path());
    let jwks_text = {
        issuer_keys.ensure(mint::KeyKind::EcP256).unwrap();
        std::fs::read_to_string(issuer_dir.path().join(mint::JWKS_FILE)).unwrap()
    };
    let (base, connections) = jwks_server(jwks_text).await;
    let claims = object(json!({"iss": base, "sub": "svc", "iat": now(), "exp": now() + 600}));
    let token = mint::mint(
        &issuer_keys,
        &object(json!({"alg": "ES256"})),
        &claims,
        Variant::Replacement,
        600,
        now(),
    )
    .unwrap();
    let cwd = TempWorkspace::new();
    let run = |args: Vec<String>| {
        let cwd = cwd.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_jwtlens"))
                .args(args)
                .current_dir(cwd)
                .output()
                .unwrap()
        })
    };
    let by_url = run(vec![
        "verify".into(),
        "--jwks".into(),
        format!("{base}/jwks.json"),
        token.clone(),
    ])
    .await
    .unwrap();
    let printed = String::from_utf8_lossy(&by_url.stdout);
    assert_eq!(by_url.status.code(), Some(0), "{printed}");
    assert!(
        printed.contains(&format!(
            "signature: verified with a key from {base}/jwks.json"
        )),
        "{printed}"
    );
    assert_eq!(connections.load(Ordering::SeqCst), 1);

    // Discovery: this server answers every path with the JWKS, which has no jwks_uri.
    let discovered = run(vec!["verify".into(), "--discover".into(), token.clone()])
        .await
        .unwrap();
    assert_eq!(discovered.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&discovered.stdout).contains("fetch failed"),
        "{discovered:?}"
    );
    let refused = run(vec![
        "verify".into(),
        "--jwks".into(),
        "http://example.com/jwks.json".into(),
        token,
    ])
    .await
    .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stdout).contains("https"),
        "{refused:?}"
    );
}
