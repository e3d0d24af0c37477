//! Named API policies (`[[policies]]` in `.jwtlens.toml`): what one API accepts, check by
//! check, and the text it answers with when a check fails. `jwtlens-engine`'s `decision`
//! module judges a token against one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::PermissionsShape;

/// One API's contract for the tokens it accepts. Empty lists check nothing.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NamedPolicy {
    /// How the policy is called in the code lens and on the command line (`billing-api`).
    pub name: String,
    pub issuers: Vec<String>,
    pub audiences: Vec<String>,
    /// Accepted `alg` values (`RS256`); empty accepts any signed algorithm.
    pub algorithms: Vec<String>,
    /// Where the policy's keys come from (left out in restricted mode).
    pub keys: PolicyKeys,
    /// Accepted `azp` values; when any is set, a token without `azp` is rejected.
    pub authorized_parties: Vec<String>,
    /// The claim that carries permissions (`permissions`, `scope`).
    pub permissions_claim: Option<String>,
    /// How the permissions claim is encoded; unset accepts both shapes.
    pub permissions_shape: Option<PermissionsShape>,
    /// The claim that names the tenant the token acts in (`org_id`, `o.id`).
    pub tenant_claim: Option<String>,
    pub required_claims: Vec<String>,
    /// Permissions required per named operation (`"invoices:read" = ["read:invoices"]`).
    pub operations: BTreeMap<String, Vec<String>>,
    /// What the API answers when a check fails; unset checks use [`Check::default_message`].
    pub messages: PolicyMessages,
}

impl NamedPolicy {
    /// The API's text for a failed check.
    pub fn message(&self, check: Check) -> &str {
        self.messages
            .get(check)
            .unwrap_or_else(|| check.default_message())
    }
}

/// Where a policy's verification keys come from.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyKeys {
    /// PEM, JWK or JWKS files relative to the workspace root; when empty, the workspace's
    /// keys (`[keys]`, dotenv secrets, test keys) are used.
    pub files: Vec<String>,
    /// The API's JWKS URL: fetched only on explicit request (`jwtlens explain --online`),
    /// and labelled workspace-configured when `.jwtlens.toml` names it.
    pub jwks_url: Option<String>,
}

/// The checks of a decision, in the order an API runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Signature,
    Algorithm,
    Issuer,
    Audience,
    Expiry,
    NotBefore,
    AuthorizedParty,
    RequiredClaims,
    Permissions,
    Tenant,
}

impl Check {
    /// Every check, in the order they run.
    pub const ALL: [Check; 10] = [
        Check::Signature,
        Check::Algorithm,
        Check::Issuer,
        Check::Audience,
        Check::Expiry,
        Check::NotBefore,
        Check::AuthorizedParty,
        Check::RequiredClaims,
        Check::Permissions,
        Check::Tenant,
    ];

    /// The name used in JSON and in `messages`.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Signature => "signature",
            Check::Algorithm => "algorithm",
            Check::Issuer => "issuer",
            Check::Audience => "audience",
            Check::Expiry => "expiry",
            Check::NotBefore => "not_before",
            Check::AuthorizedParty => "authorized_party",
            Check::RequiredClaims => "required_claims",
            Check::Permissions => "permissions",
            Check::Tenant => "tenant",
        }
    }

    /// What APIs commonly answer (the texts of Clerk's, Auth0's and the `jsonwebtoken`
    /// family's middleware).
    pub fn default_message(self) -> &'static str {
        match self {
            Check::Signature => "Invalid signature.",
            Check::Algorithm => "Invalid algorithm.",
            Check::Issuer => "Invalid issuer.",
            Check::Audience => "Invalid audience.",
            Check::Expiry => "Token has expired",
            Check::NotBefore => "Token is not yet valid",
            Check::AuthorizedParty => "Invalid authorized party.",
            Check::RequiredClaims => "Missing required claim.",
            Check::Permissions => "Insufficient permissions.",
            Check::Tenant => "Not a member of this organization.",
        }
    }

    /// The HTTP status an API answers a failure of this check with: 401 when the token is
    /// not accepted as a credential, 403 when it is but does not grant the request.
    pub fn status(self) -> u16 {
        match self {
            Check::Permissions | Check::Tenant => 403,
            _ => 401,
        }
    }
}

/// The API's text per failed check (`[policies.messages]`, keys as in [`Check::as_str`]).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyMessages {
    pub signature: Option<String>,
    pub algorithm: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub expiry: Option<String>,
    pub not_before: Option<String>,
    pub authorized_party: Option<String>,
    pub required_claims: Option<String>,
    pub permissions: Option<String>,
    pub tenant: Option<String>,
}

impl PolicyMessages {
    fn get(&self, check: Check) -> Option<&str> {
        match check {
            Check::Signature => &self.signature,
            Check::Algorithm => &self.algorithm,
            Check::Issuer => &self.issuer,
            Check::Audience => &self.audience,
            Check::Expiry => &self.expiry,
            Check::NotBefore => &self.not_before,
            Check::AuthorizedParty => &self.authorized_party,
            Check::RequiredClaims => &self.required_claims,
            Check::Permissions => &self.permissions,
            Check::Tenant => &self.tenant,
        }
        .as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::merge_sources;
    use crate::Trust;
    use serde_json::json;

    const FILE: &str = r#"
[[policies]]
name = "billing-api"
issuers = ["https://clerk.acme.dev"]
audiences = ["billing"]
algorithms = ["RS256"]
authorized_parties = ["https://app.acme.dev"]
permissions_claim = "permissions"
permissions_shape = "space-delimited"
tenant_claim = "o.id"
required_claims = ["sub"]
keys = { files = ["keys/billing.jwks.json"], jwks_url = "https://clerk.acme.dev/.well-known/jwks.json" }
operations = { "invoices:read" = ["org:invoices:read"] }
messages = { audience = "aud mismatch", not_before = "too early" }
"#;

    #[test]
    fn policies_from_the_file_with_default_and_custom_messages() {
        let settings = merge_sources(Some(FILE), None, Trust::Trusted)
            .unwrap()
            .settings;
        let policy = &settings.policies[0];
        assert_eq!(policy.name, "billing-api");
        assert_eq!(policy.algorithms, ["RS256"]);
        assert_eq!(policy.keys.files, ["keys/billing.jwks.json"]);
        assert_eq!(
            policy.permissions_shape,
            Some(PermissionsShape::SpaceDelimited)
        );
        assert_eq!(policy.operations["invoices:read"], ["org:invoices:read"]);
        assert_eq!(policy.message(Check::Audience), "aud mismatch");
        assert_eq!(policy.message(Check::NotBefore), "too early");
        assert_eq!(policy.message(Check::Expiry), "Token has expired");
        assert_eq!(
            policy.message(Check::AuthorizedParty),
            "Invalid authorized party."
        );
    }

    /// The editor's camelCase names work at every level of a policy; operation names are
    /// data and stay as written.
    #[test]
    fn policies_from_the_editor_in_camel_case() {
        let editor = json!({"policies": [{
            "name": "api",
            "authorizedParties": ["web"],
            "permissionsClaim": "scp",
            "tenantClaim": "org_id",
            "keys": {"jwksUrl": "https://issuer.example.com/jwks"},
            "operations": {"readInvoices": ["invoices:read"]},
            "messages": {"authorizedParty": "Bad azp", "notBefore": "Early"},
        }]});
        let settings = merge_sources(None, Some(&editor), Trust::Trusted)
            .unwrap()
            .settings;
        let policy = &settings.policies[0];
        assert_eq!(policy.authorized_parties, ["web"]);
        assert_eq!(policy.permissions_claim.as_deref(), Some("scp"));
        assert_eq!(
            policy.keys.jwks_url.as_deref(),
            Some("https://issuer.example.com/jwks")
        );
        assert_eq!(policy.operations["readInvoices"], ["invoices:read"]);
        assert_eq!(policy.message(Check::AuthorizedParty), "Bad azp");
        assert_eq!(policy.message(Check::NotBefore), "Early");
    }

    /// Restricted mode keeps the policy but drops where its keys come from.
    #[test]
    fn restricted_mode_drops_policy_keys() {
        let merged = merge_sources(Some(FILE), None, Trust::Restricted).unwrap();
        let policy = &merged.settings.policies[0];
        assert_eq!(policy.name, "billing-api");
        assert_eq!(policy.keys, PolicyKeys::default());
        assert!(
            merged.notes[0].contains("policies.keys"),
            "{:?}",
            merged.notes
        );
    }

    #[test]
    fn an_unknown_check_in_messages_is_refused() {
        let err = merge_sources(
            Some("[[policies]]\nname = \"a\"\nmessages = { expired = \"x\" }\n"),
            None,
            Trust::Trusted,
        )
        .unwrap_err();
        assert!(err.message.contains("expired"), "{}", err.message);
    }
}
