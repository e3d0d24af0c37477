//! Each built-in profile (`providers.toml`) recognises its provider's real tokens and
//! reads their claims: one test per provider, on tokens shaped as the provider documents
//! and issues them.

use serde_json::{json, Value};

use crate::facts::TenantMembership;
use crate::providers::tests::{detected, has_note, object, provider, read, read_with};

#[test]
fn clerk_v2_session_token() {
    let facts = read(json!({
        "azp": "https://app.acme.com",
        "exp": 1735689660,
        "fea": "o:dashboard,o:teams,u:beta",
        "fva": [3, -1],
        "iat": 1735689600,
        "iss": "https://clerk.acme.com",
        "jti": "a1b2c3d4e5f6a7b8c9d0",
        "nbf": 1735689590,
        "o": {"id": "org_2abcDEF123", "slg": "acme", "rol": "admin", "per": "manage,read", "fpm": "3,2"},
        "pla": "o:pro",
        "sid": "sess_2xyZ123abc",
        "sts": "active",
        "sub": "user_2abcXYZ789",
        "v": 2
    }));
    assert_eq!(detected(&facts), ("clerk", Some("v2")));
    assert_eq!(
        provider(&facts).matched_by,
        "iss matches https://clerk.acme.com"
    );
    assert!(provider(&facts).public_idp);
    assert_eq!(facts.tenants, ["org_2abcDEF123"]);
    assert_eq!(facts.roles, ["org:admin"]);
    assert_eq!(
        facts.permissions,
        [
            "org:dashboard:manage",
            "org:dashboard:read",
            "org:teams:read"
        ]
    );
    assert_eq!(facts.session.as_deref(), Some("sess_2xyZ123abc"));
    assert_eq!(
        facts.authorized_party.as_deref(),
        Some("https://app.acme.com")
    );
    assert_eq!(facts.subject.as_deref(), Some("user_2abcXYZ789"));
    assert!(facts.deprecated.is_empty());
    assert!(has_note(&facts, "azp"));
    assert!(!has_note(&facts, "pending"), "sts is active");
    // `o`, `fea`, `sid`, `azp` and `v` are surfaced; Clerk's other claims are left over.
    assert_eq!(facts.custom_claims, ["fva", "pla", "sts"]);
}

#[test]
fn clerk_v1_org_claims_are_reported_as_deprecated() {
    let facts = read(json!({
        "azp": "http://localhost:3000",
        "exp": 1735689660,
        "iat": 1735689600,
        "iss": "https://happy-otter-12.clerk.accounts.dev",
        "nbf": 1735689590,
        "sid": "sess_2abcDEF",
        "sub": "user_2abcDEF",
        "org_id": "org_2abcDEF",
        "org_role": "org:admin",
        "org_slug": "acme",
        "org_permissions": ["org:invoices:read", "org:invoices:manage"]
    }));
    assert_eq!(detected(&facts), ("clerk", Some("v1")));
    assert_eq!(facts.tenants, ["org_2abcDEF"]);
    assert_eq!(facts.roles, ["org:admin"]);
    assert_eq!(
        facts.permissions,
        ["org:invoices:read", "org:invoices:manage"]
    );
    assert_eq!(facts.deprecated.len(), 1);
    assert_eq!(
        facts.deprecated[0].claims,
        ["org_id", "org_role", "org_slug", "org_permissions"]
    );
    assert!(facts.deprecated[0].note.contains("2025-04-14"));
    assert!(facts.custom_claims.is_empty());

    // A JWT-template token (no `sid`, no `v`) may carry `org_id` on purpose.
    let template = read(json!({
        "iss": "https://clerk.acme.com",
        "sub": "user_2abcDEF",
        "aud": "convex",
        "jti": "b1c2d3",
        "org_id": "org_2abcDEF"
    }));
    assert_eq!(detected(&template), ("clerk", Some("JWT template")));
    assert!(template.deprecated.is_empty());
}

#[test]
fn clerk_behind_a_proxy_is_recognised_by_its_ids_and_pending_sessions_are_noted() {
    let facts = read_with(
        json!({"alg": "RS256", "kid": "ins_2abcDEFghi", "typ": "JWT"}),
        json!({
            "iss": "https://app.acme.com/__clerk",
            "sid": "sess_2abcDEF",
            "sub": "user_2abcDEF",
            "sts": "pending",
            "v": 2
        }),
    );
    assert_eq!(detected(&facts), ("clerk", Some("v2")));
    assert_eq!(provider(&facts).matched_by, "header kid; claims sid");
    assert!(has_note(&facts, "sts: pending"));
    assert_eq!(facts.custom_claims, ["sts"]);
}

#[test]
fn workos_access_token() {
    let claims = json!({
        "iss": "https://api.workos.com/user_management/client_01HXYZABCDEFGHJKMNPQRSTVWX",
        "sub": "user_01HXYZABCDEFGHJKMNPQRSTVWX",
        "sid": "session_01HXYZABCDEFGHJKMNPQRSTVWX",
        "jti": "01HXYZABCDEFGHJKMNPQRSTVWY",
        "org_id": "org_01HXYZABCDEFGHJKMNPQRSTVWX",
        "role": "admin",
        "roles": ["admin", "billing"],
        "permissions": ["posts:read", "posts:write"],
        "entitlements": ["audit-logs"],
        "feature_flags": ["new-dashboard"],
        "exp": 1735689900,
        "iat": 1735689600
    });
    let facts = read(claims.clone());
    assert_eq!(detected(&facts), ("workos", None));
    assert_eq!(facts.tenants, ["org_01HXYZABCDEFGHJKMNPQRSTVWX"]);
    assert_eq!(facts.roles, ["admin", "billing"]);
    // Entitlements and feature flags are plan features, not permissions.
    assert_eq!(facts.permissions, ["posts:read", "posts:write"]);
    assert_eq!(
        facts.session.as_deref(),
        Some("session_01HXYZABCDEFGHJKMNPQRSTVWX")
    );
    assert_eq!(facts.authorized_party, None);
    assert!(has_note(&facts, "does not check iss"));

    // On a custom auth domain, with an impersonating admin.
    let mut claims = object(claims);
    claims.insert("iss".into(), json!("https://auth.acme.com"));
    claims.insert(
        "act".into(),
        json!({"sub": "user_01HADMINABCDEFGHJKMNPQRST"}),
    );
    let facts = read(Value::Object(claims));
    assert_eq!(provider(&facts).id, "workos");
    assert_eq!(provider(&facts).matched_by, "claims sid, sub");
    assert_eq!(
        facts.actor,
        Some((
            "act".to_owned(),
            json!({"sub": "user_01HADMINABCDEFGHJKMNPQRST"})
        ))
    );
}

#[test]
fn auth0_user_access_token() {
    let facts = read(json!({
        "iss": "https://acme.us.auth0.com/",
        "sub": "auth0|64f1c2d3e4f5a6b7c8d9e0f1",
        "aud": ["https://api.acme.com", "https://acme.us.auth0.com/userinfo"],
        "iat": 1735689600,
        "exp": 1735776000,
        "azp": "Xk2yZ9aBcDeFgHiJkLmNoPqRsTuVwXyZ",
        "scope": "openid profile read:invoices",
        "org_id": "org_9ybsU1dN2dKfDkBi",
        "permissions": ["read:invoices", "write:invoices"],
        "https://acme.com/roles": ["billing-admin"]
    }));
    assert_eq!(detected(&facts), ("auth0", None));
    assert_eq!(facts.tenants, ["org_9ybsU1dN2dKfDkBi"]);
    assert!(
        facts.roles.is_empty(),
        "Auth0 roles are namespaced custom claims"
    );
    assert_eq!(
        facts.permissions,
        ["read:invoices", "write:invoices", "openid", "profile"]
    );
    assert_eq!(
        facts.authorized_party.as_deref(),
        Some("Xk2yZ9aBcDeFgHiJkLmNoPqRsTuVwXyZ")
    );
    assert_eq!(facts.custom_claims, ["https://acme.com/roles"]);
    assert!(has_note(&facts, "iss ends with `/`"));
    assert!(!has_note(&facts, "no trailing"));

    let hand_made = read(json!({"iss": "https://acme.auth0.com", "sub": "auth0|1"}));
    assert_eq!(provider(&hand_made).id, "auth0");
    assert!(has_note(&hand_made, "no trailing"));
}

#[test]
fn auth0_machine_token_on_a_custom_domain_is_recognised_by_gty() {
    let facts = read(json!({
        "iss": "https://login.acme.com/",
        "sub": "Xk2yZ9aBcDeFgHiJkLmNoPqRsTuVwXyZ@clients",
        "aud": "https://api.acme.com",
        "iat": 1735689600,
        "exp": 1735776000,
        "gty": "client-credentials",
        "azp": "Xk2yZ9aBcDeFgHiJkLmNoPqRsTuVwXyZ",
        "scope": "read:reports",
        "permissions": ["read:reports"]
    }));
    assert_eq!(
        detected(&facts),
        ("auth0", Some("client-credentials (machine)"))
    );
    assert_eq!(provider(&facts).matched_by, "claims gty");
    assert_eq!(facts.permissions, ["read:reports"]);
    assert!(has_note(&facts, "acts for an application"));
    assert!(facts.custom_claims.is_empty());
}

#[test]
fn supabase_user_token() {
    let claims = json!({
        "iss": "https://abcdefghijklmnopqrst.supabase.co/auth/v1",
        "sub": "8f4c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f",
        "aud": "authenticated",
        "exp": 1735693200,
        "iat": 1735689600,
        "email": "ana@acme.com",
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"], "tenant_id": "acme", "role": "admin"},
        "user_metadata": {"full_name": "Ana", "tenant_id": "evil"},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": 1735689600}],
        "session_id": "4f9b2c1d-7e6a-4b3c-9d8e-1f2a3b4c5d6e",
        "is_anonymous": false
    });
    let facts = read(claims.clone());
    assert_eq!(detected(&facts), ("supabase", None));
    assert!(
        !provider(&facts).public_idp,
        "legacy projects sign with HS256"
    );
    assert_eq!(facts.tenants, ["acme"], "never user_metadata");
    assert_eq!(facts.roles, ["authenticated", "admin"]);
    assert!(facts.permissions.is_empty());
    assert_eq!(
        facts.session.as_deref(),
        Some("4f9b2c1d-7e6a-4b3c-9d8e-1f2a3b4c5d6e")
    );
    assert!(has_note(&facts, "user_metadata is user-editable"));
    assert_eq!(
        facts.custom_claims,
        [
            "email",
            "phone",
            "user_metadata",
            "aal",
            "amr",
            "is_anonymous"
        ]
    );

    let mut claims = object(claims);
    claims.insert("iss".into(), json!("https://auth.acme.com/auth/v1"));
    let facts = read(Value::Object(claims));
    assert_eq!(
        provider(&facts).matched_by,
        "claims aal, session_id, is_anonymous"
    );
}

#[test]
fn supabase_api_keys() {
    let service = read(json!({
        "iss": "supabase",
        "ref": "abcdefghijklmnopqrst",
        "role": "service_role",
        "iat": 1700000000,
        "exp": 2015576000
    }));
    assert_eq!(
        detected(&service),
        ("supabase-api-key", Some("service_role key"))
    );
    assert_eq!(service.tenants, ["abcdefghijklmnopqrst"]);
    assert_eq!(service.roles, ["service_role"]);
    assert_eq!(service.subject, None);
    assert!(has_note(&service, "bypasses row-level security"));
    assert!(!has_note(&service, "public by design"));

    let demo = read(json!({"iss": "supabase-demo", "role": "anon", "exp": 1983812996}));
    assert_eq!(detected(&demo), ("supabase-api-key", Some("anon key")));
    assert!(has_note(&demo, "public by design"));
    assert!(has_note(&demo, "publicly known secret"));
}

#[test]
fn stack_auth_tokens() {
    let project = "4c1a2b3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    let anonymous = read(json!({
        "iss": format!("https://api.stack-auth.com/api/v1/projects-anonymous-users/{project}"),
        "sub": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f",
        "aud": format!("{project}:anon"),
        "project_id": project,
        "branch_id": "main",
        "refresh_token_id": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
        "role": "authenticated",
        "is_anonymous": true,
        "is_restricted": false,
        "selected_team_id": null,
        "iat": 1735689600,
        "exp": 1735690200
    }));
    assert_eq!(detected(&anonymous), ("stack-auth", Some("anonymous user")));
    assert_eq!(anonymous.tenants, [project]);
    assert_eq!(anonymous.roles, ["authenticated"]);
    assert_eq!(
        anonymous.session.as_deref(),
        Some("9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d")
    );

    let member = read(json!({
        "iss": format!("https://auth.acme.com/api/v1/projects/{project}"),
        "sub": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f",
        "project_id": project,
        "selected_team_id": "team_7f8e",
        "role": "authenticated"
    }));
    assert_eq!(detected(&member), ("stack-auth", None));
    assert_eq!(member.tenants, ["team_7f8e", project]);
}

#[test]
fn firebase_tokens() {
    let id_token = read(json!({
        "iss": "https://securetoken.google.com/acme-prod",
        "aud": "acme-prod",
        "auth_time": 1735689600,
        "user_id": "kX9vQ2mN7pR4sT6uW8yZ0aB1cD3e",
        "sub": "kX9vQ2mN7pR4sT6uW8yZ0aB1cD3e",
        "iat": 1735689600,
        "exp": 1735693200,
        "email": "ana@acme.com",
        "email_verified": true,
        "firebase": {
            "identities": {"email": ["ana@acme.com"]},
            "sign_in_provider": "password",
            "tenant": "tenant-eu-x1y2z"
        },
        "role": "editor"
    }));
    assert_eq!(detected(&id_token), ("firebase", Some("ID token")));
    assert_eq!(id_token.tenants, ["tenant-eu-x1y2z"]);
    assert_eq!(id_token.roles, ["editor"]);
    assert_eq!(id_token.session, None);

    let cookie = read(json!({"iss": "https://session.firebase.google.com/acme-prod", "sub": "u"}));
    assert_eq!(detected(&cookie), ("firebase", Some("session cookie")));

    let custom_token = read(json!({
        "iss": "firebase-adminsdk-abc12@acme-prod.iam.gserviceaccount.com",
        "sub": "firebase-adminsdk-abc12@acme-prod.iam.gserviceaccount.com",
        "aud": "https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit",
        "uid": "kX9vQ2mN7pR4sT6uW8yZ0aB1cD3e",
        "iat": 1735689600,
        "exp": 1735693200
    }));
    assert_eq!(detected(&custom_token), ("firebase", Some("custom token")));
    assert_eq!(provider(&custom_token).matched_by, "claims aud");
    assert!(has_note(&custom_token, "not an ID token"));
}

#[test]
fn cognito_id_and_access_tokens() {
    let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xYz";
    let id_token = read(json!({
        "sub": "5f6a7b8c-9d0e-4f1a-2b3c-4d5e6f7a8b9c",
        "cognito:groups": ["tenant-acme-admins", "staff"],
        "email_verified": true,
        "iss": iss,
        "cognito:username": "ana",
        "origin_jti": "0a1b2c3d-4e5f-4a6b-7c8d-9e0f1a2b3c4d",
        "aud": "3n4b5urk1ft4fl3mg5e62d9ado",
        "event_id": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
        "token_use": "id",
        "auth_time": 1735689600,
        "custom:tenant_id": "acme",
        "exp": 1735693200,
        "iat": 1735689600,
        "jti": "f0e1d2c3-b4a5-4968-8776-655443322110",
        "email": "ana@acme.com"
    }));
    assert_eq!(detected(&id_token), ("cognito", Some("ID token")));
    assert_eq!(id_token.tenants, ["acme"]);
    assert_eq!(id_token.roles, ["tenant-acme-admins", "staff"]);
    assert_eq!(
        id_token.session.as_deref(),
        Some("0a1b2c3d-4e5f-4a6b-7c8d-9e0f1a2b3c4d")
    );
    assert_eq!(id_token.authorized_party, None);
    assert!(has_note(&id_token, "an API should accept access tokens"));
    assert!(!has_note(&id_token, "have no aud"));

    let access = read(json!({
        "sub": "5f6a7b8c-9d0e-4f1a-2b3c-4d5e6f7a8b9c",
        "cognito:groups": ["staff"],
        "iss": iss,
        "client_id": "3n4b5urk1ft4fl3mg5e62d9ado",
        "origin_jti": "0a1b2c3d-4e5f-4a6b-7c8d-9e0f1a2b3c4d",
        "event_id": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin openid email",
        "auth_time": 1735689600,
        "exp": 1735693200,
        "iat": 1735689600,
        "jti": "a0b1c2d3-e4f5-4a6b-8c7d-9e8f7a6b5c4d",
        "username": "ana"
    }));
    assert_eq!(detected(&access), ("cognito", Some("access token")));
    assert_eq!(
        access.permissions,
        ["aws.cognito.signin.user.admin", "openid", "email"]
    );
    assert_eq!(
        access.authorized_party.as_deref(),
        Some("3n4b5urk1ft4fl3mg5e62d9ado")
    );
    assert!(has_note(&access, "have no aud"));
}

#[test]
fn entra_v2_and_v1_tokens() {
    let tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let v2 = read(json!({
        "aud": "api://acme-api",
        "iss": format!("https://login.microsoftonline.com/{tid}/v2.0"),
        "iat": 1735689600,
        "nbf": 1735689600,
        "exp": 1735693500,
        "azp": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        "azpacr": "1",
        "name": "Ana",
        "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "preferred_username": "ana@acme.com",
        "roles": ["Invoices.Read"],
        "wids": ["b79fbf4d-3ef9-4689-8143-76b194e85509"],
        "scp": "User.Read Files.ReadWrite",
        "sid": "00f1c2d3-0000-4000-8000-0123456789ab",
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "tid": tid,
        "uti": "AbCdEf123456",
        "ver": "2.0"
    }));
    assert_eq!(detected(&v2), ("entra", Some("v2.0")));
    assert_eq!(v2.tenants, [tid]);
    assert_eq!(
        v2.roles,
        ["Invoices.Read", "b79fbf4d-3ef9-4689-8143-76b194e85509"]
    );
    assert_eq!(v2.permissions, ["User.Read", "Files.ReadWrite"]);
    assert_eq!(
        v2.authorized_party.as_deref(),
        Some("c44b4083-3bb0-49c1-b47d-974e53cbdf3c")
    );
    assert_eq!(
        v2.session.as_deref(),
        Some("00f1c2d3-0000-4000-8000-0123456789ab")
    );
    assert!(has_note(&v2, "oid + tid"));
    assert!(!has_note(&v2, "consumer tenant"));

    let consumer = "9188040d-6c67-4c5b-b112-36a304b66dad";
    let v1 = read(json!({
        "aud": "https://graph.microsoft.com",
        "iss": format!("https://sts.windows.net/{consumer}/"),
        "appid": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        "scp": "User.Read",
        "tid": consumer,
        "ver": "1.0"
    }));
    assert_eq!(detected(&v1), ("entra", Some("v1.0")));
    assert_eq!(
        v1.authorized_party.as_deref(),
        Some("c44b4083-3bb0-49c1-b47d-974e53cbdf3c")
    );
    assert!(has_note(&v1, "consumer tenant"));
}

#[test]
fn okta_access_tokens() {
    let custom_server = read(json!({
        "ver": 1,
        "jti": "AT.x1y2z3",
        "iss": "https://acme.okta.com/oauth2/default",
        "aud": "api://default",
        "iat": 1735689600,
        "exp": 1735693200,
        "cid": "0oa1b2c3d4e5f6g7h8i9",
        "uid": "00u1b2c3d4e5f6g7h8i9",
        "scp": ["openid", "email", "invoices:read"],
        "auth_time": 1735689600,
        "sub": "ana@acme.com",
        "groups": ["Everyone", "Admins"]
    }));
    assert_eq!(
        detected(&custom_server),
        ("okta", Some("custom authorization server"))
    );
    assert_eq!(custom_server.roles, ["Everyone", "Admins"]);
    assert_eq!(
        custom_server.permissions,
        ["openid", "email", "invoices:read"]
    );
    assert_eq!(
        custom_server.authorized_party.as_deref(),
        Some("0oa1b2c3d4e5f6g7h8i9")
    );
    assert!(!has_note(&custom_server, "Okta's own APIs"));

    let org_server = read(json!({
        "iss": "https://acme.okta.com",
        "cid": "0oa1b2c3d4e5f6g7h8i9",
        "scp": ["okta.users.read"],
        "sub": "ana@acme.com"
    }));
    assert_eq!(
        detected(&org_server),
        ("okta", Some("org authorization server"))
    );
    assert!(has_note(&org_server, "Okta's own APIs"));
}

#[test]
fn keycloak_tokens_with_organizations() {
    let facts = read(json!({
        "exp": 1735689900,
        "iat": 1735689600,
        "jti": "onrtac:8a7b6c5d",
        "iss": "https://sso.acme.com/realms/acme",
        "aud": ["billing-api", "account"],
        "sub": "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9",
        "typ": "Bearer",
        "azp": "web-app",
        "sid": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
        "acr": "1",
        "realm_access": {"roles": ["offline_access", "uma_authorization", "admin"]},
        "resource_access": {
            "billing-api": {"roles": ["invoice:write"]},
            "account": {"roles": ["manage-account", "view-profile"]}
        },
        "scope": "openid email profile",
        "organization": {
            "acme": {"id": "3f1c2b4a-0000-4000-8000-000000000001"},
            "globex": {"id": "9e2d1c0b-0000-4000-8000-000000000002"}
        },
        "preferred_username": "ana"
    }));
    assert_eq!(detected(&facts), ("keycloak", Some("access token")));
    assert!(!provider(&facts).public_idp);
    assert_eq!(
        facts.roles,
        [
            "offline_access",
            "uma_authorization",
            "admin",
            "invoice:write",
            "manage-account",
            "view-profile",
        ]
    );
    assert_eq!(facts.permissions, ["openid", "email", "profile"]);
    assert_eq!(facts.tenants, ["acme", "globex"]);
    let tenants: Vec<&str> = facts
        .memberships
        .iter()
        .map(|m| m.tenant.as_str())
        .collect();
    assert_eq!(tenants, ["acme", "globex"]);
    assert_eq!(
        facts.session.as_deref(),
        Some("2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e")
    );
    assert_eq!(facts.authorized_party.as_deref(), Some("web-app"));

    // Before Keycloak 17, and `organization` as a plain list.
    let legacy = read(json!({
        "iss": "https://sso.acme.com/auth/realms/acme",
        "typ": "Refresh",
        "sub": "f1e2d3c4",
        "organization": ["acme"]
    }));
    assert_eq!(detected(&legacy), ("keycloak", Some("refresh token")));
    assert_eq!(legacy.tenants, ["acme"]);
    assert_eq!(legacy.memberships.len(), 1);
    assert!(has_note(&legacy, "before 17"));
    assert!(has_note(&legacy, "never for an API"));
}

#[test]
fn google_id_tokens_with_either_issuer_spelling() {
    for (iss, verified) in [
        ("accounts.google.com", true),
        ("https://accounts.google.com", false),
    ] {
        let facts = read(json!({
            "iss": iss,
            "azp": "1234-abc.apps.googleusercontent.com",
            "aud": "1234-abc.apps.googleusercontent.com",
            "sub": "110169484474386276334",
            "hd": "acme.com",
            "email": "ana@acme.com",
            "email_verified": verified,
            "iat": 1735689600,
            "exp": 1735693200
        }));
        assert_eq!(detected(&facts), ("google", None), "{iss}");
        assert_eq!(facts.tenants, ["acme.com"]);
        assert_eq!(
            facts.authorized_party.as_deref(),
            Some("1234-abc.apps.googleusercontent.com")
        );
        assert_eq!(has_note(&facts, "not proven"), !verified);
    }
}

#[test]
fn descope_token_with_six_tenants_has_six_memberships() {
    let facts = read(json!({
        "amr": ["email"],
        "drn": "DS",
        "exp": 1735690200,
        "iat": 1735689600,
        "iss": "P2abcDEFghiJKLmnoPQRstuVWXyz",
        "sub": "U2abcDEFghiJKLmnoPQRstuVWXyz",
        "dct": "T2acme",
        "roles": ["project-viewer"],
        "permissions": ["docs:read"],
        "tenants": {
            "T2acme": {"roles": ["admin"], "permissions": ["billing:manage", "users:invite"]},
            "T2globex": {"roles": ["admin"], "permissions": []},
            "T2initech": {"roles": ["admin", "auditor"], "permissions": ["audit:read"]},
            "T2umbrella": {"roles": ["admin"]},
            "T2hooli": {"roles": ["owner"], "permissions": ["*"]},
            "T2stark": {"roles": ["member"], "permissions": ["docs:read"]}
        }
    }));
    assert_eq!(detected(&facts), ("descope", Some("session token")));
    assert_eq!(facts.memberships.len(), 6);
    assert_eq!(
        facts.tenants,
        [
            "T2acme",
            "T2globex",
            "T2initech",
            "T2umbrella",
            "T2hooli",
            "T2stark"
        ]
    );
    assert_eq!(
        facts.memberships[0],
        TenantMembership {
            tenant: "T2acme".into(),
            roles: vec!["admin".into()],
            permissions: vec!["billing:manage".into(), "users:invite".into()],
        }
    );
    assert_eq!(facts.memberships[2].roles, ["admin", "auditor"]);
    assert!(facts.memberships[3].permissions.is_empty());
    let admin_in = facts
        .memberships
        .iter()
        .filter(|m| m.roles.iter().any(|r| r == "admin" || r == "owner"))
        .count();
    assert_eq!(admin_in, 5, "what JWT010 counts");
    assert_eq!(facts.roles, ["project-viewer"]);
    assert_eq!(facts.permissions, ["docs:read"]);
    assert_eq!(facts.custom_claims, ["amr"], "drn names the variant");

    // Descope recognised by `drn` when the issuer is a custom domain without project id.
    let refresh = read(json!({"iss": "https://auth.acme.com", "drn": "DSR", "sub": "U2"}));
    assert_eq!(detected(&refresh), ("descope", Some("refresh token")));
    assert_eq!(provider(&refresh).matched_by, "claims drn");
}

#[test]
fn kinde_access_token() {
    let facts = read(json!({
        "aud": [],
        "azp": "b9da18c441b44d81bab3e8232de2e18d",
        "exp": 1735776000,
        "feature_flags": {"theme": {"t": "s", "v": "pink"}},
        "iat": 1735689600,
        "iss": "https://acme.kinde.com",
        "jti": "7e5ec4b2-3d4f-4c1b-9a8e-2f1d0c9b8a7e",
        "org_code": "org_123abc",
        "permissions": ["read:reports", "write:reports"],
        "roles": [{"id": "018f2c1a-0000-7000-8000-000000000001", "key": "admin", "name": "Admin"}],
        "scp": ["openid", "profile", "email", "offline"],
        "sub": "kp_0123456789abcdef0123456789abcdef"
    }));
    assert_eq!(detected(&facts), ("kinde", Some("access token")));
    assert_eq!(facts.tenants, ["org_123abc"]);
    assert_eq!(facts.roles, ["admin"]);
    // `scp` holds the OAuth scopes, which are not Kinde permissions.
    assert_eq!(facts.permissions, ["read:reports", "write:reports"]);
    assert_eq!(
        facts.authorized_party.as_deref(),
        Some("b9da18c441b44d81bab3e8232de2e18d")
    );
    assert_eq!(facts.custom_claims, ["feature_flags"]);
}

#[test]
fn propelauth_memberships_and_impersonation() {
    let acme = "1189c444-8a2d-4c41-8b4b-ae43ce79a492";
    let globex = "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    let facts = read(json!({
        "iss": "https://auth.acme.com",
        "sub": "31c41c16-c281-44ae-9602-8a047e3bf33d",
        "user_id": "31c41c16-c281-44ae-9602-8a047e3bf33d",
        "email": "ana@acme.com",
        "org_id_to_org_member_info": {
            acme: {
                "org_id": acme,
                "org_name": "Acme",
                "url_safe_org_name": "acme",
                "user_role": "Owner",
                "inherited_user_roles_plus_current_role": ["Owner", "Admin", "Member"],
                "user_permissions": ["propelauth::can_invite", "billing:manage"]
            },
            globex: {
                "org_id": globex,
                "org_name": "Globex",
                "url_safe_org_name": "globex",
                "user_role": "Member",
                "inherited_user_roles_plus_current_role": ["Member"],
                "user_permissions": []
            }
        },
        "impersonator_user_id": "a5b6c7d8-e9f0-4a1b-8c2d-3e4f5a6b7c8d",
        "iat": 1735689600,
        "exp": 1735691400
    }));
    assert_eq!(detected(&facts), ("propelauth", None));
    assert_eq!(
        provider(&facts).matched_by,
        "claims org_id_to_org_member_info"
    );
    assert_eq!(facts.tenants, [acme, globex]);
    assert_eq!(facts.roles, ["Owner", "Member"]);
    assert_eq!(
        facts.permissions,
        ["propelauth::can_invite", "billing:manage"]
    );
    assert_eq!(facts.memberships.len(), 2);
    assert_eq!(facts.memberships[0].roles, ["Owner", "Admin", "Member"]);
    assert_eq!(facts.memberships[1].roles, ["Member"]);
    assert_eq!(
        facts.actor,
        Some((
            "impersonator_user_id".to_owned(),
            json!("a5b6c7d8-e9f0-4a1b-8c2d-3e4f5a6b7c8d")
        ))
    );
    assert_eq!(facts.custom_claims, ["user_id", "email"]);
}

#[test]
fn frontegg_user_token() {
    let facts = read(json!({
        "sub": "b3c4d5e6-f7a8-4b9c-8d0e-1f2a3b4c5d6e",
        "name": "Ana",
        "email": "ana@acme.com",
        "roles": ["Admin"],
        "permissions": ["fe.secure.*", "reports.read"],
        "tenantId": "tenant-1",
        "tenantIds": ["tenant-1", "tenant-2"],
        "sid": "c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f",
        "type": "userToken",
        "aud": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "iss": "https://acme.frontegg.com",
        "iat": 1735689600,
        "exp": 1735776000
    }));
    assert_eq!(detected(&facts), ("frontegg", Some("userToken")));
    assert_eq!(facts.tenants, ["tenant-1", "tenant-2"]);
    assert_eq!(facts.roles, ["Admin"]);
    assert_eq!(facts.permissions, ["fe.secure.*", "reports.read"]);
    assert_eq!(
        facts.session.as_deref(),
        Some("c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f")
    );
}

#[test]
fn zitadel_roles_keyed_by_role_become_memberships_per_org() {
    let facts = read(json!({
        "iss": "https://acme-x1y2z3.zitadel.cloud",
        "sub": "231848297847848000",
        "aud": ["231848297847849000"],
        "urn:zitadel:iam:org:id": "231848297847848",
        "urn:zitadel:iam:org:project:roles": {
            "admin": {"231848297847848": "acme.zitadel.cloud"},
            "viewer": {"231848297847848": "acme.zitadel.cloud", "241848297847999": "globex.zitadel.cloud"}
        },
        "iat": 1735689600,
        "exp": 1735732800
    }));
    assert_eq!(detected(&facts), ("zitadel", None));
    assert_eq!(facts.tenants, ["231848297847848"]);
    assert_eq!(facts.roles, ["admin", "viewer"]);
    assert_eq!(facts.memberships.len(), 2);
    assert_eq!(facts.memberships[0].tenant, "231848297847848");
    assert_eq!(facts.memberships[0].roles, ["admin", "viewer"]);
    assert_eq!(facts.memberships[1].tenant, "241848297847999");
    assert_eq!(facts.memberships[1].roles, ["viewer"]);

    let self_hosted = read(json!({
        "iss": "https://id.acme.com",
        "sub": "2318",
        "urn:zitadel:iam:user:resourceowner:id": "231848297847848"
    }));
    assert_eq!(provider(&self_hosted).id, "zitadel");
    assert_eq!(
        provider(&self_hosted).matched_by,
        "claims urn:zitadel:iam:user:resourceowner:id"
    );
    assert_eq!(self_hosted.tenants, ["231848297847848"]);
}

/// Issuer formats and token shapes from the providers' documentation that the first
/// profiles missed (tests/corpus/tokens.toml has the real tokens).
#[test]
fn regional_b2c_short_id_and_issuerless_formats() {
    let cases = [
        (
            json!({"iss": "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", "ver": "2.0"}),
            ("entra", Some("v2.0")),
        ),
        (
            json!({"iss": "https://acme.b2clogin.com/a0958f45-195b-4036-9259-de2f7e594db6/v2.0/", "tfp": "B2C_1_signin", "ver": "1.0"}),
            ("entra", Some("B2C")),
        ),
        (
            json!({"iss": "https://login.contoso.com/4aa2ad4c-d5c6-4a9f-8b2e-3c1d0e9f8a7b/v2.0/", "tfp": "B2C_1_signupsignin1"}),
            ("entra", Some("B2C")),
        ),
        (
            json!({"iss": "https://acme-development.uk.kinde.com", "scp": ["openid"], "permissions": []}),
            ("kinde", Some("access token")),
        ),
        (
            json!({"iss": "https://acme.au.kinde.com", "at_hash": "x", "org_codes": ["org_1"]}),
            ("kinde", Some("ID token")),
        ),
        (
            json!({"iss": "2Bt5WLccLUey1Dp7utptZb3Fx9K", "cookieName": "DS", "sub": "2BtEHkgOu02lmMxzPIexdMtUw1M"}),
            ("descope", None),
        ),
        (
            json!({"sid": "session_123", "org_id": "org_123", "role": "member", "permissions": ["posts:create"]}),
            ("workos", None),
        ),
        (
            json!({"vendorId": "2fb835d0", "type": "vendor", "scopes": ["team:get"]}),
            ("frontegg", Some("vendor")),
        ),
        (
            json!({"iss": "http://localhost:8080", "typ": "Offline", "session_state": "a68ce5f9"}),
            ("keycloak", Some("offline token")),
        ),
        (
            json!({"iss": "https://access-token.jwt-signature.stack-auth.com", "aud": "internal"}),
            ("stack-auth", None),
        ),
    ];
    for (claims, want) in cases {
        let facts = read(claims.clone());
        assert_eq!(detected(&facts), want, "{claims}");
    }
}
