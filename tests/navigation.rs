//! Clerk JWT template diagnostics and their quick fix, document symbols, workspace symbols
//! and go to definition, driven through the real binary over stdio.

use jwtlens_test_support::client::{apply_edit, codes};
use jwtlens_test_support::fixture_key::{encoding_key, public_jwk, CERTIFICATE};
use jwtlens_test_support::process::ServerProcess;
use jwtlens_test_support::tokens::{now, signed, token};
use jwtlens_test_support::workspace::TempWorkspace;
use serde_json::{json, Value};

/// The binary, initialized on `workspace` with versioned edits, and trust as given.
async fn start(workspace: &TempWorkspace, trusted: bool) -> ServerProcess {
    let mut server = crate::language_server(&[]);
    let capabilities = json!({"workspaceEdit": {"documentChanges": true}});
    server
        .client
        .initialize_with(
            &workspace.root_uri(),
            json!({"trustedWorkspace": trusted}),
            &[],
            capabilities,
        )
        .await;
    server
}

/// A Clerk session token for organization `org`, with `kid`, signed by the fixture key.
fn clerk_token(kid: &str, sub: &str, org: &str) -> String {
    signed(
        json!({"alg": "RS256", "typ": "JWT", "kid": kid}),
        json!({
            "iss": "https://clerk.acme-saas.io", "sub": sub, "sid": "sess_2b",
            "azp": "https://app.acme-saas.io", "v": 2,
            "o": {"id": org, "rol": "admin", "slg": "acme"},
            "iat": now() - 30, "nbf": now() - 35, "exp": now() + 30,
        }),
        &encoding_key(),
    )
}

const TEMPLATE: &str = r#"{
  "name": "billing",
  "lifetime": 604800,
  "claims": {
    "aud": "billing-api",
    "org_id": "{{organization.id}}",
    "role": "{{org.role}}",
    "email": "{{user.primary_email}}",
    "sub": "{{user.id}}"
  }
}
"#;

#[tokio::test]
async fn template_findings_and_the_short_form_fix() {
    let workspace = TempWorkspace::new();
    // JWT118 joins the single `[policy]` and the named policies.
    workspace.write(
        ".jwtlens.toml",
        "[policy]\nrequired_claims = [\"tenant\"]\n\n\
         [[policies]]\nname = \"billing-api\"\nrequired_claims = [\"plan\", \"email\"]\n",
    );
    let mut server = start(&workspace, true).await;
    let client = &mut server.client;
    let uri = workspace.uri("auth/clerk-billing.json");
    client.open(&uri, TEMPLATE, 1).await;
    let diagnostics = client.diagnostics(&uri, Some(1)).await;
    let mut found = codes(&diagnostics);
    found.sort();
    assert_eq!(
        found,
        ["JWT114", "JWT115", "JWT116", "JWT117", "JWT118", "JWT118"],
        "{diagnostics:#?}"
    );
    let mut missing: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d["code"] == "JWT118")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        [
            "policy billing-api requires `plan` but this template does not emit it: the API rejects its tokens",
            "the policy requires `tenant` but this template does not emit it: the API rejects its tokens",
        ]
    );
    let older = diagnostics
        .iter()
        .find(|d| d["code"] == "JWT114")
        .unwrap()
        .clone();
    assert_eq!(older["severity"], 3, "information");
    assert_eq!(
        older["range"],
        json!({"start": {"line": 5, "character": 17}, "end": {"line": 5, "character": 32}}),
        "the path inside the braces"
    );
    let unknown = diagnostics.iter().find(|d| d["code"] == "JWT115").unwrap();
    assert!(unknown["message"]
        .as_str()
        .unwrap()
        .contains("user.primary_email"));

    let params = json!({
        "textDocument": {"uri": uri},
        "range": older["range"],
        "context": {"diagnostics": [older]},
    });
    let actions = client.request("textDocument/codeAction", params).await["result"].clone();
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|action| action["title"] == "Use the short form {{org.id}}")
        .unwrap_or_else(|| panic!("no short-form fix in {actions:#}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["diagnostics"][0]["code"], "JWT114");
    let (fixed, version) = apply_edit(TEMPLATE, &fix["edit"], &uri);
    assert_eq!(
        version,
        Some(1),
        "versioned: refused once the text moved on"
    );
    assert_eq!(fixed, TEMPLATE.replace("{{organization.id}}", "{{org.id}}"));

    client.change(&uri, &fixed, 2).await;
    let after = codes(&client.diagnostics(&uri, Some(2)).await);
    assert!(!after.contains(&"JWT114".to_owned()), "{after:?}");
    server.finish().await;
}

#[tokio::test]
async fn template_rules_follow_config_levels_and_named_files() {
    let workspace = TempWorkspace::new();
    workspace.write(
        ".jwtlens.toml",
        "clerkTemplates = [\"auth/*.jsonc\"]\n[rules]\nJWT116 = \"off\"\n",
    );
    let mut server = start(&workspace, true).await;
    let client = &mut server.client;
    // No Clerk shortcode, so only the config says this is a template.
    let named = workspace.uri("auth/service.jsonc");
    client
        .open(&named, "{\"iss\": \"x\", \"team\": \"{{team.name}}\"}", 1)
        .await;
    assert_eq!(
        codes(&client.diagnostics(&named, Some(1)).await),
        ["JWT115"],
        "JWT116 (iss) is off"
    );
    let other = workspace.uri("web/handlebars.json");
    client
        .open(&other, "{\"title\": \"{{team.name}}\"}", 1)
        .await;
    assert!(client.diagnostics(&other, Some(1)).await.is_empty());
    server.finish().await;
}

#[tokio::test]
async fn document_symbols_name_each_token() {
    let workspace = TempWorkspace::new();
    let mut server = start(&workspace, true).await;
    let client = &mut server.client;
    let uri = workspace.uri("src/session.ts");
    let clerk = clerk_token("ins_2kid", "user_2ada", "org_2tenant");
    let unsigned = format!(
        "{}.",
        token(json!({"alg": "none"}), json!({"sub": "u"}))
            .rsplit_once('.')
            .unwrap()
            .0
    );
    let text = format!("const a = \"{clerk}\";\n\nconst b = \"{unsigned}\";\n");
    client.open(&uri, &text, 1).await;
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        )
        .await["result"]
        .clone();
    let symbols = symbols.as_array().unwrap();
    assert_eq!(symbols.len(), 2, "{symbols:#?}");
    let first = symbols[0]["name"].as_str().unwrap();
    assert!(
        first.starts_with("Clerk")
            && first.contains(" · org_2tenant · ")
            && first.contains("admin"),
        "{first}"
    );
    assert!(first.contains("valid until "), "{first}");
    assert_eq!(symbols[0]["kind"], 20, "Key");
    assert_eq!(
        symbols[0]["range"],
        json!({"start": {"line": 0, "character": 11}, "end": {"line": 0, "character": 11 + clerk.len()}})
    );
    assert_eq!(
        symbols[1]["name"], "JWT none · unsigned, never expires",
        "{symbols:#?}"
    );
    assert_eq!(symbols[1]["range"]["start"]["line"], 2);
    server.finish().await;
}

#[tokio::test]
async fn workspace_symbols_find_tokens_in_open_and_closed_files() {
    let workspace = TempWorkspace::new();
    let closed = clerk_token("ins_2kid", "user_2closed", "org_2shared");
    workspace.write(
        "fixtures/session.json",
        format!("{{\"token\": \"{closed}\"}}\n"),
    );
    workspace.write(
        "ignored/skip.json",
        format!("{{\"token\": \"{closed}\"}}\n"),
    );
    workspace.write(".gitignore", "ignored/\n");
    std::fs::create_dir_all(workspace.path().join(".git")).unwrap();
    let mut server = start(&workspace, true).await;
    let client = &mut server.client;
    let open_uri = workspace.uri("src/app.ts");
    let open = clerk_token("ins_2kid", "user_2open", "org_2shared");
    client
        .open(&open_uri, &format!("const t = \"{open}\";\n"), 1)
        .await;

    let query = |query: &str| json!({"query": query});
    let by_org = client
        .request("workspace/symbol", query("ORG_2SHARED"))
        .await["result"]
        .clone();
    let uris: Vec<&str> = by_org
        .as_array()
        .unwrap()
        .iter()
        .map(|symbol| symbol["location"]["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        uris,
        [
            open_uri.as_str(),
            workspace.uri("fixtures/session.json").as_str()
        ],
        "open documents first, gitignored files never: {by_org:#}"
    );
    assert_eq!(by_org[0]["containerName"], "tenant: org_2shared");

    let by_sub = client
        .request("workspace/symbol", query("user_2closed"))
        .await["result"]
        .clone();
    assert_eq!(by_sub.as_array().unwrap().len(), 1, "{by_sub:#}");
    assert_eq!(by_sub[0]["containerName"], "sub: user_2closed");
    assert_eq!(
        by_sub[0]["location"]["range"]["start"],
        json!({"line": 0, "character": 11})
    );

    let by_kid = client.request("workspace/symbol", query("ins_2kid")).await["result"].clone();
    assert_eq!(by_kid.as_array().unwrap().len(), 2);
    let nothing = client.request("workspace/symbol", query("")).await["result"].clone();
    assert_eq!(nothing, json!([]));
    server.finish().await;
}

#[tokio::test]
async fn definition_goes_to_the_key_with_the_tokens_kid() {
    let workspace = TempWorkspace::new();
    let mut jwk = public_jwk();
    jwk["kid"] = json!("ins_2kid");
    jwk["alg"] = json!("RS256");
    let jwks = serde_json::to_string_pretty(&json!({"keys": [
        {"kty": "RSA", "kid": "ins_other", "n": "sXch", "e": "AQAB"},
        jwk,
    ]}))
    .unwrap();
    workspace.write("keys/clerk.jwks.json", &jwks);
    workspace.write("keys/staging.pem", CERTIFICATE);
    workspace.write(
        ".jwtlens.toml",
        "[keys]\nfiles = [\"keys/clerk.jwks.json\", \"keys/staging.pem\"]\n",
    );
    let mut server = start(&workspace, true).await;
    let client = &mut server.client;
    let uri = workspace.uri("src/app.ts");
    let with_kid = clerk_token("ins_2kid", "user_2ada", "org_2tenant");
    let without_kid = signed(
        json!({"alg": "RS256", "typ": "JWT"}),
        json!({"sub": "u", "exp": now() + 60}),
        &encoding_key(),
    );
    client
        .open(
            &uri,
            &format!("a = \"{with_kid}\"\nb = \"{without_kid}\"\n"),
            1,
        )
        .await;
    let definition = |line: u32| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": 20}});

    let found = client
        .request("textDocument/definition", definition(0))
        .await["result"]
        .clone();
    let kid_line = jwks
        .lines()
        .position(|line| line.contains("\"kid\": \"ins_2kid\""))
        .unwrap();
    let column = jwks.lines().nth(kid_line).unwrap().find("\"kid\"").unwrap();
    let expected_uri = workspace.uri("keys/clerk.jwks.json");
    assert!(
        found.as_array().unwrap().iter().any(|location| location
            == &json!({"uri": expected_uri, "range": {
                "start": {"line": kid_line, "character": column},
                "end": {"line": kid_line, "character": column + "\"kid\": \"ins_2kid\"".len()},
            }})),
        "{found:#}"
    );

    // No `kid`: the PEM file whose key verified the token.
    let found = client
        .request("textDocument/definition", definition(1))
        .await["result"]
        .clone();
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(
                |location| location["uri"] == workspace.uri("keys/staging.pem").as_str()
                    && location["range"]["start"] == json!({"line": 0, "character": 0})
            ),
        "{found:#}"
    );
    // Off a token: nothing.
    let off = client
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 0}}),
        )
        .await["result"]
        .clone();
    assert_eq!(off, Value::Null);
    server.finish().await;
}

#[tokio::test]
async fn definition_reads_no_key_file_in_restricted_mode_or_through_a_link_out() {
    let outside = TempWorkspace::new();
    let mut jwk = public_jwk();
    jwk["kid"] = json!("ins_2kid");
    outside.write("secret.jwks.json", json!({"keys": [jwk]}).to_string());
    let workspace = TempWorkspace::new();
    std::os::unix::fs::symlink(
        outside.path().join("secret.jwks.json"),
        workspace.path().join("linked.jwks.json"),
    )
    .unwrap();
    workspace.write("keys.jwks.json", json!({"keys": [jwk]}).to_string());
    workspace.write(
        ".jwtlens.toml",
        "[keys]\nfiles = [\"linked.jwks.json\", \"keys.jwks.json\"]\n",
    );
    let text = format!("a = \"{}\"\n", clerk_token("ins_2kid", "u", "org_1"));
    let request =
        |uri: &str| json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 20}});

    let mut trusted = start(&workspace, true).await;
    let uri = workspace.uri("src/app.ts");
    trusted.client.open(&uri, &text, 1).await;
    let found = trusted
        .client
        .request("textDocument/definition", request(&uri))
        .await["result"]
        .clone();
    let uris: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|location| location["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        uris,
        [workspace.uri("keys.jwks.json").as_str()],
        "never the link out"
    );
    trusted.finish().await;

    let mut restricted = start(&workspace, false).await;
    restricted.client.open(&uri, &text, 1).await;
    let found = restricted
        .client
        .request("textDocument/definition", request(&uri))
        .await["result"]
        .clone();
    assert_eq!(found, Value::Null);
    restricted.finish().await;
}
