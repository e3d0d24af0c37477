#!/usr/bin/env python3
"""Regenerates the sample tokens in examples/ (needs `pip install pyjwt cryptography`).

Every token here is minted by this script with the test keys in examples/keys/ (made on
first run), never a real credential. Times are fixed so that the examples keep showing
the same findings: "live" tokens expire in 2100, expired ones in the past.
"""

import base64
import json
import os
import pathlib

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

HERE = pathlib.Path(__file__).resolve().parent
KEYS = HERE / "keys"

LIVE_EXP = 4102444800  # 2100-01-01
IAT = 1763800000  # 2025-11-22
PAST = 1763800060  # 60 s after IAT: long expired
SUPABASE_SECRET = "examples-only-supabase-jwt-secret-0123456789"
APP_SECRET = "examples-only-app-secret-9d8c7b6a5f4e3d2c1b0a"


def key(name, make):
    path = KEYS / name
    if not path.exists():
        KEYS.mkdir(exist_ok=True)
        pem = make().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
    return path.read_text()


RSA = key("examples-rsa.pem", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
EC = key("examples-ec-p256.pem", lambda: ec.generate_private_key(ec.SECP256R1()))


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rs(claims, kid="examples-rsa", alg="RS256", **header):
    return jwt.encode(claims, RSA, algorithm=alg, headers={"kid": kid, **header})


def es(claims, kid="examples-ec"):
    return jwt.encode(claims, EC, algorithm="ES256", headers={"kid": kid})


def hs(claims, secret=APP_SECRET, **header):
    return jwt.encode(claims, secret, algorithm="HS256", headers=header or None)


def unsigned(claims):
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


def jwe():
    header = b64(json.dumps({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "payments-2025"}).encode())
    parts = [os.urandom(256), os.urandom(12), os.urandom(180), os.urandom(16)]
    return ".".join([header] + [b64(p) for p in parts])


def malformed():
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    return f"{header}.{b64(b'user=42;role=admin')}.{b64(os.urandom(32))}"


clerk_v2_live = rs({
    "azp": "https://dashboard.acme-saas.io", "exp": LIVE_EXP, "fea": "o:billing,o:reports",
    "iat": IAT, "iss": "https://clerk.acme-saas.io", "nbf": IAT - 10,
    "o": {"id": "org_2vB9xQ7cAcme", "slg": "acme", "rol": "admin", "per": "manage,read", "fpm": "3,2"},
    "sid": "sess_2vB9yHq1Live", "sts": "active", "sub": "user_2vB9wK3Live", "v": 2,
}, kid="ins_2vB8examples")
clerk_v2_pending = rs({
    "azp": "http://localhost:3000", "exp": PAST, "fea": "o:billing", "iat": IAT,
    "iss": "https://adapted-mole-42.clerk.accounts.dev", "nbf": IAT - 10,
    "o": {"id": "org_2vC1Globex", "slg": "globex", "rol": "member", "per": "read", "fpm": "1"},
    "sid": "sess_2vC1Pending", "sts": "pending", "sub": "user_2vC1Test", "v": 2,
}, kid="ins_2vB8examples")
clerk_v1 = rs({
    "azp": "http://localhost:3000", "exp": PAST, "iat": IAT, "iss": "https://adapted-mole-42.clerk.accounts.dev",
    "nbf": IAT - 10, "org_id": "org_2vC1Globex", "org_role": "org:admin", "org_slug": "globex",
    "org_permissions": ["org:sys_memberships:manage", "org:billing:*"], "sid": "sess_2vC1Legacy",
    "sub": "user_2vC1Test",
}, kid="ins_2vB8examples")
workos_impersonated = rs({
    "iss": "https://api.workos.com/user_management/client_01JEXAMPLES0000000000000000", "sub": "user_01JEXAMPLESUSER0000000000000",
    "sid": "session_01JEXAMPLESSESSION00000000", "org_id": "org_01JEXAMPLESORG000000000000", "role": "support",
    "permissions": ["tickets:read", "tickets:write"], "act": {"sub": "user_01JEXAMPLESSTAFF00000000000"},
    "jti": "01JEXAMPLESJTI", "iat": IAT, "exp": IAT + 300,
}, kid="sso_oidc_key_pair_01JEXAMPLES")
firebase_emulator = unsigned({
    "iss": "https://securetoken.google.com/demo-acme", "aud": "demo-acme", "sub": "kxQ9bPr2Emulator",
    "user_id": "kxQ9bPr2Emulator", "auth_time": IAT, "iat": IAT, "exp": IAT + 3600,
    "firebase": {"sign_in_provider": "password", "tenant": "tenant-acme-k3j2", "identities": {}},
})
firebase_id = rs({
    "iss": "https://securetoken.google.com/acme-prod-4821", "aud": "acme-prod-4821", "sub": "u7Q2mXr9Firebase",
    "user_id": "u7Q2mXr9Firebase", "auth_time": IAT, "iat": IAT, "exp": IAT + 3600, "email": "ada@acme-saas.io",
    "firebase": {"sign_in_provider": "google.com", "tenant": "tenant-acme-k3j2"}, "plan": "enterprise",
}, kid="f2e11986282de93f27b264fd2a4de192993dcb8c")
stack_auth = es({
    "sub": "3f1c2a9e-7b1d-4c55-9f1e-1d2c3b4a5e6f", "iss": "https://api.stack-auth.com/api/v1/projects/6f1a2b3c-examples",
    "aud": "6f1a2b3c-examples", "project_id": "6f1a2b3c-examples", "branch_id": "main",
    "refresh_token_id": "rt_9a8b7c", "role": "authenticated", "selected_team_id": "team_acme_eu",
    "is_anonymous": False, "iat": IAT, "exp": IAT + 600,
})
descope_admin = rs({
    "iss": "https://api.descope.com/P2Xk9mEXAMPLESq7Lr3vTnB8wZcYd4", "sub": "U2examplesUser", "aud": ["P2Xk9mEXAMPLESq7Lr3vTnB8wZcYd4"],
    "dct": "tenant-acme", "drn": "DS", "iat": IAT, "exp": IAT + 600, "jti": "dsc-1",
    "tenants": {t: {"roles": ["Tenant Admin"], "permissions": ["User Admin", "SSO Admin"]}
                for t in ["tenant-acme", "tenant-globex", "tenant-initech", "tenant-umbrella", "tenant-hooli", "tenant-stark"]},
}, kid="P2Xk9mEXAMPLESq7Lr3vTnB8wZcYd4-key")
auth0_m2m = rs({
    "iss": "https://acme-saas.eu.auth0.com/", "sub": "Xq7aExamplesClientId@clients", "aud": "https://api.acme-saas.io",
    "iat": IAT, "exp": IAT + 86400, "gty": "client-credentials", "azp": "Xq7aExamplesClientId",
    "scope": "read:orders write:orders", "permissions": ["read:orders", "write:orders"],
})
auth0_user = rs({
    "iss": "https://acme-saas.eu.auth0.com/", "sub": "auth0|65f0c1examples", "aud": ["https://api.acme-saas.io", "https://acme-saas.eu.auth0.com/userinfo"],
    "iat": IAT, "exp": IAT + 86400, "azp": "Spa1ExamplesClient", "scope": "openid profile email",
    "org_id": "org_9xAcmeExamples", "org_name": "acme", "permissions": ["read:invoices", "admin:*"],
    "https://acme-saas.io/roles": ["billing-admin"],
})
cognito_access = rs({
    "sub": "8f1c-examples", "cognito:groups": ["acme:admin", "globex:admin", "initech:admin", "umbrella:admin", "hooli:admin"],
    "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Examples1", "client_id": "4n8examplesclient",
    "origin_jti": "b1c2-examples", "token_use": "access", "scope": "aws.cognito.signin.user.admin orders/read",
    "auth_time": IAT, "exp": IAT + 3600, "iat": IAT, "jti": "c9d8-examples", "username": "ada",
})
cognito_id = rs({
    "sub": "8f1c-examples", "aud": "4n8examplesclient", "cognito:groups": ["acme:viewer"], "email_verified": True,
    "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Examples1", "cognito:username": "ada",
    "custom:tenant_id": "acme", "origin_jti": "b1c2-examples", "token_use": "id", "auth_time": IAT,
    "exp": IAT + 3600, "iat": IAT, "jti": "d0e1-examples", "email": "ada@acme-saas.io",
})
keycloak = rs({
    "exp": IAT + 300, "iat": IAT, "jti": "kc-examples-1", "iss": "https://sso.acme-saas.io/realms/acme",
    "aud": "account", "sub": "f2b7c1d0-examples", "typ": "Bearer", "azp": "acme-web", "sid": "kc-session-examples",
    "realm_access": {"roles": ["offline_access", "tenant-admin"]},
    "resource_access": {"acme-web": {"roles": ["editor"]}, "account": {"roles": ["manage-account"]}},
    "organization": {"acme": {"id": "0b9f-examples"}}, "scope": "openid email profile",
})
okta = rs({
    "ver": 1, "jti": "AT.examples", "iss": "https://acme-saas.okta.com/oauth2/default", "aud": "api://default",
    "iat": IAT, "exp": IAT + 3600, "cid": "0oaExamplesClient", "uid": "00uExamplesUser", "sub": "ada@acme-saas.io",
    "scp": ["openid", "orders:*"], "groups": ["Everyone", "Admins"],
})
propelauth = rs({
    "iss": "https://auth.acme-saas.io", "sub": "31c41c16-examples", "iat": IAT, "exp": IAT + 1800,
    "user_id": "31c41c16-examples", "email": "ada@acme-saas.io", "impersonator_user_id": "9a8b7c6d-support",
    "org_id_to_org_member_info": {
        "1189c444-examples": {"org_id": "1189c444-examples", "org_name": "Acme", "user_role": "Owner",
                              "inherited_user_roles_plus_current_role": ["Owner", "Admin", "Member"],
                              "user_permissions": ["propelauth::can_invite"]},
    },
})
frontegg = rs({
    "sub": "5b1f-examples", "name": "Ada", "email": "ada@acme-saas.io", "tenantId": "tenant-acme-fe",
    "tenantIds": ["tenant-acme-fe"], "roles": ["Admin"], "permissions": ["fe.secure.*"], "type": "userToken",
    "sid": "fe-session-examples", "iss": "https://acme-saas.frontegg.com", "aud": "frontegg-client-examples",
    "iat": IAT, "exp": IAT + 86400,
})
zitadel = rs({
    "iss": "https://acme-saas-x1y2z3.zitadel.cloud", "sub": "2630examples", "aud": ["2630app@acme"],
    "iat": IAT, "exp": IAT + 43200, "urn:zitadel:iam:org:id": "2630orgexamples",
    "urn:zitadel:iam:org:project:roles": {"admin": {"2630orgexamples": "acme.zitadel.cloud"}},
})
kinde = rs({
    "aud": [], "azp": "kinde-examples-client", "exp": IAT + 86400, "iat": IAT, "iss": "https://acme.kinde.com",
    "jti": "kinde-examples", "org_code": "org_4f1examples", "permissions": ["read:reports", "create:invoices"],
    "roles": [{"id": "01H-examples", "key": "manager", "name": "Manager"}], "scp": ["openid", "profile"],
    "sub": "kp_examplesuser", "feature_flags": {"theme": {"t": "s", "v": "pink"}},
})
entra_live = rs({
    "aud": "api://acme-orders", "iss": "https://login.microsoftonline.com/3c9e1f0a-5b7d-4e2a-9c61-0f4d8b2a7e15/v2.0",
    "iat": IAT, "nbf": IAT, "exp": LIVE_EXP, "azp": "0c1d2e3f-examples-client", "name": "Ada Lovelace",
    "oid": "a1b2c3d4-examples", "preferred_username": "ada@acme-saas.io", "roles": ["Orders.Admin"],
    "scp": "Orders.Read Orders.Write", "sub": "Xk9-examples-pairwise", "tid": "3c9e1f0a-5b7d-4e2a-9c61-0f4d8b2a7e15",
    "uti": "examples-uti", "ver": "2.0",
}, kid="examples-entra")
google_id = rs({
    "iss": "https://accounts.google.com", "azp": "1234-examples.apps.googleusercontent.com",
    "aud": "1234-examples.apps.googleusercontent.com", "sub": "110169484474386276334", "hd": "acme-saas.io",
    "email": "ada@acme-saas.io", "email_verified": True, "iat": IAT, "exp": IAT + 3600,
}, kid="examples-google")
dpop_bound = es({
    "iss": "https://auth.acme-saas.io", "sub": "user_dpop", "aud": "https://api.acme-saas.io", "iat": IAT,
    "exp": LIVE_EXP, "jti": "dpop-1", "cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},
    "scope": "orders:read",
})
hs_public_not_yet = hs({
    "iss": "https://api.acme-saas.io", "sub": "svc-reports", "aud": "reports", "iat": IAT,
    "nbf": 4070908800, "exp": LIVE_EXP, "jti": "hs-1",
})
custom_provider = rs({
    "iss": "https://auth.internal.acme-saas.io", "sub": "ada", "aud": "orders", "iat": IAT, "exp": IAT + 900,
    "acme": {"workspace": "ws_eu_42", "role": "owner", "grants": "orders.read orders.write"}, "jti": "acme-1",
})
supabase_user = hs({
    "iss": "https://xyzcompanyref.supabase.co/auth/v1", "sub": "9f3c1c1e-examples", "aud": "authenticated",
    "exp": IAT + 3600, "iat": IAT, "email": "ada@acme-saas.io", "role": "authenticated", "aal": "aal1",
    "session_id": "4b8c-examples", "is_anonymous": False,
    "app_metadata": {"provider": "email", "tenant_id": "acme"},
    "user_metadata": {"role": "admin", "tenant_id": "acme"},
}, SUPABASE_SECRET)
supabase_anon = hs({"iss": "supabase", "ref": "xyzcompanyref", "role": "anon", "iat": 1736000000, "exp": 2051576000}, SUPABASE_SECRET)
supabase_service = hs({"iss": "supabase", "ref": "xyzcompanyref", "role": "service_role", "iat": 1736000000, "exp": 2051576000}, SUPABASE_SECRET)
# The Supabase CLI's public local anon key (supabase start prints it).
supabase_cli_anon = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0"
jwt_io = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
tenant_in_sub = rs({"iss": "https://auth.acme-saas.io", "sub": "tenant-acme:user_42", "tenant_id": "tenant-acme", "aud": "api", "iat": IAT, "exp": IAT + 600})
ps256_no_exp = rs({"iss": "https://auth.acme-saas.io", "sub": "batch-job", "aud": "api", "iat": IAT}, alg="PS256")
app_hs = hs({"iss": "https://api.acme-saas.io", "sub": "user_7", "aud": "web", "iat": IAT, "exp": IAT + 3600, "jti": "app-7"})

(HERE / ".env").write_text(f"""# Local settings for the Acme SaaS API. Sample values minted for jwtlens examples.
SUPABASE_URL=https://xyzcompanyref.supabase.co
SUPABASE_ANON_KEY={supabase_anon}
SUPABASE_SERVICE_ROLE_KEY="{supabase_service}"
SUPABASE_JWT_SECRET={SUPABASE_SECRET}
LOCAL_SUPABASE_ANON_KEY={supabase_cli_anon}
CLERK_SESSION_FOR_SCRIPTS='{clerk_v2_live}'
JWT_SECRET={APP_SECRET}
APP_TOKEN={app_hs}
""")

(HERE / "fixtures" / "tokens.json").write_text(json.dumps({
    "descope_admin_everywhere": descope_admin,
    "auth0_machine_to_machine": auth0_m2m,
    "auth0_user_with_org": auth0_user,
    "cognito_access_token": cognito_access,
    "cognito_id_token": cognito_id,
    "keycloak_access_token": keycloak,
    "okta_access_token": okta,
    "propelauth_impersonated": propelauth,
    "frontegg_user": frontegg,
    "zitadel_user": zitadel,
    "kinde_access_token": kinde,
}, indent=2) + "\n")

(HERE / "src" / "session.test.ts").write_text(f"""import {{ describe, expect, it }} from "vitest";
import {{ handler }} from "./handler";

// Session tokens captured from the development instance for these tests.
const clerkSession = "{clerk_v2_pending}";
const clerkLegacySession = "{clerk_v1}";
const workosImpersonation = `{workos_impersonated}`;
const firebaseEmulator = '{firebase_emulator}';
const firebaseUser = "{firebase_id}";
const stackAuth = "{stack_auth}";

describe("handler", () => {{
  it("accepts an organization admin", async () => {{
    const res = await handler({{ headers: {{ authorization: `Bearer ${{clerkSession}}` }} }});
    expect(res.status).toBe(200);
  }});

  it("rejects v1 organization claims", async () => {{
    expect((await handler({{ headers: {{ authorization: `Bearer ${{clerkLegacySession}}` }} }})).status).toBe(401);
  }});

  it("shows who impersonates", async () => {{
    expect((await handler({{ headers: {{ authorization: `Bearer ${{workosImpersonation}}` }} }})).actor).toBeDefined();
  }});

  it("works against the Firebase emulator and real ID tokens", async () => {{
    for (const token of [firebaseEmulator, firebaseUser, stackAuth]) {{
      expect((await handler({{ headers: {{ authorization: `Bearer ${{token}}` }} }})).status).toBe(200);
    }}
  }});
}});
""")

(HERE / "api.http").write_text(f"""### List orders as a Microsoft Entra user
GET https://api.acme-saas.io/v1/orders
Authorization: Bearer {entra_live}

### Sign in with Google (ID token exchange)
POST https://api.acme-saas.io/v1/session
Content-Type: application/json

{{"id_token": "{google_id}"}}

### Payment callback (encrypted token)
POST https://api.acme-saas.io/v1/payments/callback?token={jwe()}

### Legacy partner integration (token is not a JWT payload)
GET https://api.acme-saas.io/v1/partner
Authorization: Bearer {malformed()}

### DPoP-bound access token
GET https://api.acme-saas.io/v1/orders/42
Authorization: DPoP {dpop_bound}

### Reports service token
GET https://reports.acme-saas.io/export#access_token={hs_public_not_yet}&token_type=bearer

### Internal gateway token (custom provider in .jwtlens.toml)
GET https://api.acme-saas.io/v1/internal
Authorization: Bearer {custom_provider}
""")

(HERE / "docs" / "authentication.md").write_text(f"""# Authenticating against the Acme API

Every request carries a bearer token. The classic sample token from jwt.io shows the shape:

```http
Authorization: Bearer {jwt_io}
```

## Supabase sessions

A Supabase session token for a signed-in user (note `user_metadata`, which the user can
edit, next to `app_metadata`, which only the server can):

`{supabase_user}`

## Service tokens

Service tokens put the tenant in `sub`:

```json
{{"token": "{tenant_in_sub}"}}
```

Batch jobs use PS256 tokens without an expiry:

    {ps256_no_exp}
""")
print("examples regenerated")
