//! The rendered hover of one realistic token per provider, as Markdown snapshots
//! (`tests/snapshots/`). Review changes with `cargo insta review` or by reading the diff.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jwtlens_engine::analysis::{analyse, DocumentContext};
use jwtlens_engine::config::Config;
use jwtlens_engine::hover;
use jwtlens_test_support::tokens::token_with_signature;
use serde_json::{json, Value};

/// A fixed "now" (2026-11-22 09:00:00 UTC) so relative times are stable.
const NOW: i64 = 1_795_338_000;
const IAT: i64 = NOW - 120;

/// A token with this header and these claims, and a fixed 256-byte signature.
fn token(header: Value, claims: Value) -> String {
    token_with_signature(header, claims, &[0x2a; 256])
}

fn render(header: Value, claims: Value) -> String {
    render_with(header, claims, hover::Findings::Listed)
}

fn render_with(header: Value, claims: Value, findings: hover::Findings) -> String {
    let text = format!("const token = \"{}\";\n", token(header, claims));
    let config = Config::default();
    let cx = DocumentContext {
        path: Some(Path::new("src/app.ts")),
        config: &config,
        now: NOW,
        remote: None,
    };
    let reports = analyse(text.as_bytes(), &cx);
    assert_eq!(reports.len(), 1);
    hover::render(&reports[0], text.as_bytes(), NOW, findings)
}

fn rs256(kid: &str) -> Value {
    json!({"alg": "RS256", "kid": kid, "typ": "JWT"})
}

#[test]
fn clerk_v2() {
    insta::assert_snapshot!(render(
        rs256("ins_2vB8abc"),
        json!({
            "azp": "https://dashboard.acme-saas.io", "exp": IAT + 60, "fea": "o:billing,o:reports",
            "iat": IAT, "iss": "https://clerk.acme-saas.io", "nbf": IAT - 10,
            "o": {"id": "org_2vB9xQ7c", "slg": "acme", "rol": "admin", "per": "manage,read", "fpm": "3,2"},
            "sid": "sess_2vB9yHq1", "sts": "pending", "sub": "user_2vB9wK3", "v": 2
        })
    ));
}

#[test]
fn clerk_v1() {
    insta::assert_snapshot!(render(
        rs256("ins_2vB8abc"),
        json!({
            "azp": "http://localhost:3000", "exp": IAT + 60, "iat": IAT, "iss": "https://adapted-mole-42.clerk.accounts.dev",
            "org_id": "org_2vC1", "org_role": "org:admin", "org_slug": "globex",
            "org_permissions": ["org:sys_memberships:manage"], "sid": "sess_2vC1", "sub": "user_2vC1"
        })
    ));
}

#[test]
fn workos() {
    insta::assert_snapshot!(render(
        rs256("sso_oidc_key_pair_01J"),
        json!({
            "iss": "https://api.workos.com/user_management/client_01JABCDEFGHJKMNPQRSTVWXYZ0",
            "sub": "user_01JABCDEFGHJKMNPQRSTVWXYZ0", "sid": "session_01JABCDEFGHJKMNPQRSTVWXYZ0",
            "org_id": "org_01JABCDEFGHJKMNPQRSTVWXYZ0", "role": "admin", "permissions": ["posts:read", "posts:write"],
            "act": {"sub": "user_01JSTAFFSTAFFSTAFFSTAFFSTA"}, "jti": "01JJTI", "iat": IAT, "exp": IAT + 300
        })
    ));
}

fn auth0_claims() -> Value {
    json!({
        "iss": "https://acme.eu.auth0.com/", "sub": "auth0|65f0c1", "aud": ["https://api.acme.io"],
        "iat": IAT, "exp": IAT + 86_400, "azp": "Spa1Client", "scope": "openid profile",
        "org_id": "org_9xAcme", "permissions": ["read:invoices", "write:invoices"]
    })
}

#[test]
fn auth0() {
    insta::assert_snapshot!(render(rs256("auth0-key-1"), auth0_claims()));
}

/// VS Code shows the diagnostics in the hover: the hover does not list them again.
#[test]
fn auth0_where_the_editor_shows_the_findings() {
    insta::assert_snapshot!(render_with(
        rs256("auth0-key-1"),
        auth0_claims(),
        hover::Findings::ShownByEditor,
    ));
}

#[test]
fn supabase_user() {
    insta::assert_snapshot!(render(
        json!({"alg": "HS256", "typ": "JWT"}),
        json!({
            "iss": "https://xyzref.supabase.co/auth/v1", "sub": "9f3c1c1e-4b1d-4c55-9f1e-1d2c3b4a5e6f",
            "aud": "authenticated", "exp": IAT + 3600, "iat": IAT, "role": "authenticated", "aal": "aal1",
            "session_id": "4b8c1d2e", "is_anonymous": false,
            "app_metadata": {"provider": "email", "tenant_id": "acme"}, "user_metadata": {"role": "admin"}
        })
    ));
}

#[test]
fn supabase_service_role_key() {
    insta::assert_snapshot!(render(
        json!({"alg": "HS256", "typ": "JWT"}),
        json!({"iss": "supabase", "ref": "xyzref", "role": "service_role", "iat": 1_736_000_000, "exp": 2_051_576_000})
    ));
}

#[test]
fn stack_auth() {
    insta::assert_snapshot!(render(
        json!({"alg": "ES256", "kid": "stack-key"}),
        json!({
            "sub": "3f1c2a9e", "iss": "https://api.stack-auth.com/api/v1/projects/6f1a2b3c", "aud": "6f1a2b3c",
            "project_id": "6f1a2b3c", "branch_id": "main", "refresh_token_id": "rt_9a8b7c",
            "role": "authenticated", "selected_team_id": "team_eu", "iat": IAT, "exp": IAT + 600
        })
    ));
}

#[test]
fn firebase() {
    insta::assert_snapshot!(render(
        rs256("f2e11986282de93f27b264fd2a4de192993dcb8c"),
        json!({
            "iss": "https://securetoken.google.com/acme-prod", "aud": "acme-prod", "sub": "u7Q2mXr9",
            "auth_time": IAT, "iat": IAT, "exp": IAT + 3600,
            "firebase": {"sign_in_provider": "google.com", "tenant": "tenant-acme-k3j2"}
        })
    ));
}

#[test]
fn cognito_access() {
    insta::assert_snapshot!(render(
        rs256("cognito-key"),
        json!({
            "sub": "8f1c", "cognito:groups": ["acme:admin"], "token_use": "access",
            "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123", "client_id": "4n8client",
            "scope": "orders/read", "auth_time": IAT, "exp": IAT + 3600, "iat": IAT, "jti": "c9d8", "username": "ada"
        })
    ));
}

#[test]
fn entra() {
    insta::assert_snapshot!(render(
        rs256("entra-key"),
        json!({
            "aud": "api://orders", "iss": "https://login.microsoftonline.com/3c9e1f0a-5b7d-4e2a-9c61-0f4d8b2a7e15/v2.0",
            "iat": IAT, "nbf": IAT, "exp": IAT + 3600, "azp": "0c1d2e3f", "oid": "a1b2c3d4",
            "roles": ["Orders.Admin"], "scp": "Orders.Read Orders.Write", "sub": "Xk9pairwise",
            "tid": "3c9e1f0a-5b7d-4e2a-9c61-0f4d8b2a7e15", "ver": "2.0"
        })
    ));
}

#[test]
fn okta() {
    insta::assert_snapshot!(render(
        rs256("okta-key"),
        json!({
            "ver": 1, "jti": "AT.x", "iss": "https://acme.okta.com/oauth2/default", "aud": "api://default",
            "iat": IAT, "exp": IAT + 3600, "cid": "0oaClient", "uid": "00uUser", "sub": "ada@acme.io",
            "scp": ["openid", "orders:read"], "groups": ["Everyone", "Admins"]
        })
    ));
}

#[test]
fn keycloak() {
    insta::assert_snapshot!(render(
        rs256("kc-key"),
        json!({
            "exp": IAT + 300, "iat": IAT, "jti": "kc-1", "iss": "https://sso.acme.io/realms/acme", "aud": "account",
            "sub": "f2b7c1d0", "typ": "Bearer", "azp": "acme-web", "sid": "kc-session",
            "realm_access": {"roles": ["tenant-admin"]}, "resource_access": {"acme-web": {"roles": ["editor"]}},
            "organization": {"acme": {"id": "0b9f"}}, "scope": "openid email"
        })
    ));
}

#[test]
fn google() {
    insta::assert_snapshot!(render(
        rs256("google-key"),
        json!({
            "iss": "https://accounts.google.com", "azp": "1234.apps.googleusercontent.com",
            "aud": "1234.apps.googleusercontent.com", "sub": "110169484474386276334", "hd": "acme.io",
            "email": "ada@acme.io", "email_verified": true, "iat": IAT, "exp": IAT + 3600
        })
    ));
}

#[test]
fn descope() {
    let tenants: serde_json::Map<String, Value> =
        ["acme", "globex", "initech", "umbrella", "hooli"]
            .iter()
            .map(|t| {
                (
                    format!("tenant-{t}"),
                    json!({"roles": ["Tenant Admin"], "permissions": ["User Admin"]}),
                )
            })
            .collect();
    insta::assert_snapshot!(render(
        rs256("P2Xk9mEXAMPLESq7Lr3vTnB8wZcYd4"),
        json!({
            "iss": "https://api.descope.com/P2Xk9mEXAMPLESq7Lr3vTnB8wZcYd4", "sub": "U2user", "drn": "DS",
            "dct": "tenant-acme", "iat": IAT, "exp": IAT + 600, "tenants": tenants
        })
    ));
}

#[test]
fn kinde() {
    insta::assert_snapshot!(render(
        rs256("kinde-key"),
        json!({
            "aud": [], "azp": "kinde-client", "exp": IAT + 86_400, "iat": IAT, "iss": "https://acme.kinde.com",
            "jti": "kinde-1", "org_code": "org_4f1", "permissions": ["read:reports"],
            "roles": [{"id": "01H", "key": "manager", "name": "Manager"}], "sub": "kp_user"
        })
    ));
}

#[test]
fn generic_encrypted_and_malformed() {
    let jwe = format!(
        "{}.a2V5.aXZpdml2aXZpdml2.Y2lwaGVydGV4dA.dGFndGFndGFndGFn",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"payments"}"#)
    );
    let malformed = format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#),
        URL_SAFE_NO_PAD.encode("user=42")
    );
    let config = Config::default();
    let cx = DocumentContext {
        path: None,
        config: &config,
        now: NOW,
        remote: None,
    };
    let text = format!("{jwe}\n{malformed}\n");
    let rendered: Vec<String> = analyse(text.as_bytes(), &cx)
        .iter()
        .map(|report| hover::render(report, text.as_bytes(), NOW, hover::Findings::Listed))
        .collect();
    insta::assert_snapshot!(rendered.join("\n---\n"));
}

#[test]
fn large_payloads_are_truncated() {
    let big: Vec<String> = (0..600).map(|i| format!("permission:{i:04}")).collect();
    let rendered = render(
        rs256("k"),
        json!({"iss": "https://auth.acme.io", "sub": "u", "exp": IAT + 60, "permissions": big}),
    );
    assert!(rendered.contains("*truncated: "), "{rendered}");
    assert!(rendered.contains("… (600 in all)"));
    assert!(rendered.len() < 8 * 1024, "{} bytes", rendered.len());
}

/// Values written to attack the hover: Markdown blocks and links, raw HTML, backtick runs
/// that would close a code span, pipes that would split a table row, line breaks, a
/// terminal escape and a direction override.
#[test]
fn hostile_values_render_as_text() {
    const HOSTILE: &str = "# Heading <img src=x onerror=alert(1)> [link](javascript:alert(1)) ``x`` a|b *em* &#x202E;";
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": format!("`{HOSTILE}`")});
    let claims = json!({
        "iss": format!("https://idp.acme.io/\n{HOSTILE}\u{1b}[2J\u{202E}"),
        "sub": format!("``user``\n{HOSTILE}"),
        "permissions": [HOSTILE, "read"],
        "exp": IAT + 60,
    });
    let rendered = render(header, claims);
    insta::assert_snapshot!(rendered);

    // What an editor shows, parsed as GitHub-flavoured Markdown (VS Code and Neovim
    // both render tables and strikethrough): the text of each paragraph, list item and
    // table cell, and the code spans on their own.
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut shown: Vec<String> = vec![String::new()];
    let mut codes: Vec<String> = Vec::new();
    let mut rows = 0;
    for event in Parser::new_ext(&rendered, options) {
        match event {
            Event::Text(text) => shown.last_mut().unwrap().push_str(&text),
            Event::Code(code) => {
                shown.last_mut().unwrap().push_str(&code);
                codes.push(code.into_string());
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell) => {
                shown.push(String::new())
            }
            Event::Start(Tag::TableRow) => rows += 1,
            Event::Start(
                tag @ (Tag::Heading { .. }
                | Tag::Image { .. }
                | Tag::Link { .. }
                | Tag::HtmlBlock
                | Tag::Emphasis
                | Tag::Strikethrough),
            ) => panic!("{tag:?} in\n{rendered}"),
            Event::Html(html) | Event::InlineHtml(html) => panic!("HTML {html} in\n{rendered}"),
            _ => {}
        }
    }
    // Permissions, Subject, Expires: one table row each, after the header row.
    assert_eq!(rows, 3, "{rendered}");
    // Each value is shown whole, as the characters it is: the kid and the subject as
    // code spans, each word of the permission (a space-delimited list) as one.
    assert!(codes.contains(&format!("`{HOSTILE}`")), "kid: {codes:#?}");
    assert!(
        codes.contains(&format!("``user``\\n{HOSTILE}")),
        "sub: {codes:#?}"
    );
    // A list entry is one permission, spaces and all.
    assert!(
        codes.iter().any(|code| code == HOSTILE) && codes.iter().any(|code| code == "read"),
        "permissions: {codes:#?}"
    );
    // The iss, quoted in JWT002's message, reads as it is; only the balanced backtick
    // pair is a code span, shown without its backticks.
    let iss =
        format!("https://idp.acme.io/\\n{HOSTILE}\\u{{1b}}[2J\\u{{202e}}").replace("``x``", "x");
    assert!(
        shown
            .iter()
            .any(|text| text.contains(&format!("with the public issuer {iss}: "))),
        "iss: {shown:#?}"
    );
    assert!(!rendered.contains('\u{1b}') && !rendered.contains('\u{202E}'));
}
