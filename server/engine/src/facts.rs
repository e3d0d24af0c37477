//! What a token says about who it is for, in provider-neutral terms.
//!
//! `providers` fills a [`TokenFacts`] from a token's header and claims; rules, hover and
//! the CLI read it. Plain data, no LSP types.

use serde::Serialize;
use serde_json::Value;

/// The identity provider a token was recognised as, and how.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderMatch {
    /// Stable identifier, e.g. `clerk`, `supabase-api-key`, or a custom provider's id.
    pub id: String,
    /// Display name, e.g. `Clerk`, `Supabase (API key)`.
    pub name: String,
    /// Token flavour within the provider when it can be told: `v2`, `ID token`,
    /// `access token`, `service_role key`…
    pub variant: Option<String>,
    /// Why the provider was chosen: `iss matches …` or `claims o.id, sid`.
    pub matched_by: String,
    /// Provider notes worth showing in a hover (verification pitfalls, conventions).
    pub notes: Vec<String>,
    /// True for providers whose issuer is a public identity service (JWT002).
    pub public_idp: bool,
}

/// One tenant the token grants something in, from multi-tenant maps such as Descope
/// `tenants` or PropelAuth `org_id_to_org_member_info`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantMembership {
    pub tenant: String,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

/// A claim set that a provider has deprecated (JWT110).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeprecatedUse {
    /// The claims present in the deprecated form, e.g. `org_id`, `org_role`.
    pub claims: Vec<String>,
    /// One line: what is deprecated since when, and what replaces it.
    pub note: String,
}

/// Everything surfaced by name for one token.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TokenFacts {
    pub provider: Option<ProviderMatch>,
    pub tenants: Vec<String>,
    pub roles: Vec<String>,
    /// Normalised to a list whatever the claim's shape (array, space- or comma-delimited
    /// string, Clerk's compact `o.per`/`o.fpm`).
    pub permissions: Vec<String>,
    pub memberships: Vec<TenantMembership>,
    pub session: Option<String>,
    pub authorized_party: Option<String>,
    pub subject: Option<String>,
    /// `act` (RFC 8693) or a provider's impersonation claim, with the claim's name.
    pub actor: Option<(String, Value)>,
    pub deprecated: Vec<DeprecatedUse>,
    /// Top-level claims that are neither registered JWT claims nor surfaced above.
    pub custom_claims: Vec<String>,
}
