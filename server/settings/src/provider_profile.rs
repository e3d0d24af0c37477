//! A custom identity provider as the user writes it (`[[providers]]` in `.jwtlens.toml`),
//! the same struct the built-in profiles are written in (`jwtlens-engine`'s
//! `providers/providers.toml`). The engine compiles these into its provider registry.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One identity provider, as data.
///
/// Claim-path lists come in two kinds. For `tenant`, `role` and `permissions` every path
/// contributes (a token may carry both `realm_access.roles` and `resource_access.*.roles`)
/// and duplicates are dropped. For `session`, `authorized_party` and `actor` the first
/// path that resolves wins, so list them in order of preference. A claim-path field left
/// empty is read with the generic fallback's paths.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderProfile {
    /// Stable identifier, e.g. `clerk`. A custom profile with a built-in's id replaces it.
    pub id: String,
    /// Display name, e.g. `Clerk`.
    pub name: String,
    /// Id of a built-in profile whose fields fill every field this one leaves empty.
    #[serde(default)]
    pub extends: Option<String>,
    /// Regexes matched against the whole of `iss`.
    #[serde(default)]
    pub issuer: Vec<String>,
    /// When `iss` matches no profile: any one condition that holds picks this provider.
    #[serde(default)]
    pub detect: Vec<Condition>,
    #[serde(default)]
    pub tenant: Vec<String>,
    #[serde(default)]
    pub role: Vec<String>,
    /// String values split on whitespace and commas (OAuth `scope`, Entra `scp`).
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub session: Vec<String>,
    #[serde(default)]
    pub authorized_party: Vec<String>,
    /// Who acts for the subject: `act` (RFC 8693), `impersonator_user_id`…
    #[serde(default)]
    pub actor: Vec<String>,
    /// Multi-tenant maps: one membership per tenant with its own roles and permissions.
    #[serde(default)]
    pub memberships: Option<MembershipSpec>,
    /// Token flavours; the first whose condition holds names the variant.
    #[serde(default)]
    pub variants: Vec<Variant>,
    #[serde(default)]
    pub deprecated: Vec<DeprecatedRule>,
    #[serde(default)]
    pub notes: Vec<Note>,
    /// The issuer is a public identity service that signs with asymmetric keys (JWT002).
    #[serde(default)]
    pub public_idp: bool,
    #[serde(default)]
    pub format: ClaimFormat,
}

/// A test on a token. Every part must hold; an empty condition always holds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Claim paths that must be present.
    #[serde(default)]
    pub claims: Vec<String>,
    /// Claim path → regex that some value of the claim must match as a whole
    /// (numbers and booleans as their JSON text: `v = '2'`, `is_anonymous = 'true'`).
    #[serde(default, rename = "match")]
    pub matches: BTreeMap<String, String>,
    /// Header parameter → regex, as `match` (e.g. `kid = 'ins_.+'`).
    #[serde(default)]
    pub header: BTreeMap<String, String>,
    /// Claim paths that must be absent.
    #[serde(default)]
    pub absent: Vec<String>,
}

/// Where a multi-tenant map sits and what one entry holds.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipSpec {
    /// Claim path of the memberships: an object keyed by tenant id (Descope `tenants`), or
    /// an array of tenant ids or of objects (Keycloak `organization`).
    pub path: String,
    /// In an array of objects: paths, inside one entry, to its tenant id.
    #[serde(default)]
    pub tenant: Vec<String>,
    /// Paths, inside one entry, to its roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Paths, inside one entry, to its permissions.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// The object is keyed by role, each value an object keyed by tenant id (Zitadel
    /// `urn:zitadel:iam:org:project:roles`: `{role: {orgId: domain}}`).
    #[serde(default)]
    pub keyed_by_role: bool,
}

/// A named token flavour.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    #[serde(default)]
    pub when: Condition,
}

/// Claims that a provider has deprecated (JWT110).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeprecatedRule {
    /// Fires when any of these claim paths is present (and `when` holds).
    pub claims: Vec<String>,
    /// One line: what is deprecated since when, and what replaces it.
    pub note: String,
    #[serde(default)]
    pub when: Condition,
}

/// A note for the hover: always shown, or only when its condition holds.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Note {
    Always(String),
    When(ConditionalNote),
}

impl Note {
    pub fn text(&self) -> &str {
        match self {
            Note::Always(text) => text,
            Note::When(note) => &note.text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionalNote {
    pub text: String,
    pub when: Condition,
}

/// Provider-specific encodings that plain claim paths cannot express.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimFormat {
    #[default]
    Plain,
    /// Clerk session token v2: the role `o.rol` is shown as `org:<rol>`, and permissions
    /// are rebuilt from `o.per`, `o.fpm` and `fea` into `org:<feature>:<permission>`.
    ClerkV2,
    /// Stack Auth access token: the project id is `aud` up to its first `:` (`<id>:anon`,
    /// `<id>:restricted` for the other user types), which is how Stack Auth's own decoder
    /// reads it; older camelCase tokens have no `project_id` claim to read it from.
    StackAuth,
}
