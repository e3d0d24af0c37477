//! Identity-provider profiles as data, and the facts they surface from a token.
//!
//! Each provider is a [`ProviderProfile`] (`jwtlens-settings`, where a workspace's own
//! come from): issuer patterns, claim paths, variants, notes. The built-in ones live in
//! `providers.toml` next to this file. [`ProviderRegistry`] compiles them once (each
//! regex when first needed; the built-in patterns at build time, see [`builtin_dfas`])
//! and turns a token's header and claims into [`TokenFacts`]:
//!
//! * [`profiles`]: the built-in file, inheritance from a base profile, and each profile
//!   checked and compiled ([`profiles::CompiledProfile`]);
//! * [`detection`]: which profile a token belongs to. `iss` is matched against every
//!   profile's issuer patterns first (custom profiles win ties); when none matches, each
//!   profile's `detect` conditions are tried in order; when none holds, the token is read
//!   through the generic fallback profile and `provider` stays `None`;
//! * [`claim_readers`]: what the chosen profile's claim paths read from the token
//!   (tenants, roles, permissions, memberships, Clerk's compressed permissions), through
//!   the path syntax of [`claim_paths`].

mod anchor;
mod builtin_dfas;
mod claim_paths;
mod claim_readers;
mod detection;
mod issuers;
mod profiles;

#[cfg(test)]
mod builtin_tests;

use std::sync::OnceLock;

use jwtlens_settings::provider_profile::ProviderProfile;
use serde_json::{Map, Value};

use crate::facts::TokenFacts;
use detection::{Detection, Syntax};
use issuers::Issuers;
use profiles::{inherit, CompiledProfile, ProfileFile};

/// Registered claims (RFC 7519 §4.1), never reported as custom claims.
const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// Profiles compiled for matching: built-in and custom, plus the generic fallback.
#[derive(Debug, Clone)]
pub struct ProviderRegistry {
    /// Custom profiles first, then the built-ins they do not replace.
    profiles: Vec<CompiledProfile>,
    fallback: CompiledProfile,
    /// Every issuer pattern of `profiles`, each knowing its profile's index.
    issuers: Issuers,
}

impl ProviderRegistry {
    /// The built-in profiles, compiled the first time they are asked for and shared by
    /// every configuration without custom profiles.
    pub fn shared_builtin() -> &'static ProviderRegistry {
        static BUILTIN: OnceLock<ProviderRegistry> = OnceLock::new();
        // `providers.toml` is part of the binary and a unit test compiles it, so this
        // cannot fail at run time.
        BUILTIN.get_or_init(|| Self::compile(&[]).expect("built-in providers.toml is valid"))
    }

    /// The built-ins plus workspace profiles. Custom profiles are tried before the
    /// built-ins (a user can override `iss` recognition), and one with a built-in's id
    /// replaces that built-in.
    ///
    /// Every profile reads the claim-path fields it leaves empty through the generic
    /// fallback's paths, so `act` or a plain `roles` claim surfaces whatever the provider.
    pub fn with_custom(custom: &[ProviderProfile]) -> Result<Self, String> {
        // Compiling the built-ins takes milliseconds: without custom profiles, one copy.
        if custom.is_empty() {
            return Ok(Self::shared_builtin().clone());
        }
        Self::compile(custom)
    }

    fn compile(custom: &[ProviderProfile]) -> Result<Self, String> {
        let file = ProfileFile::builtin()?;
        let mut profiles = Vec::with_capacity(custom.len() + file.provider.len());
        for (i, profile) in custom.iter().enumerate() {
            if custom[..i].iter().any(|earlier| earlier.id == profile.id) {
                return Err(format!("provider `{}` is defined twice", profile.id));
            }
            let profile = match &profile.extends {
                None => profile.clone(),
                Some(base) => match file.provider.iter().find(|p| &p.id == base) {
                    Some(base) => inherit(profile.clone(), base),
                    None => {
                        return Err(format!(
                            "provider `{}`: extends unknown provider `{base}`",
                            profile.id
                        ))
                    }
                },
            };
            let compiled = CompiledProfile::new(inherit(profile, &file.fallback), Syntax::Check)?;
            compiled.compile_now()?;
            profiles.push(compiled);
        }
        // For each built-in issuer pattern, in file order, the index of its profile if a
        // custom profile did not replace it.
        let mut builtin_owner = Vec::new();
        for profile in &file.provider {
            let owner = if custom.iter().any(|c| c.id == profile.id) {
                None
            } else {
                profiles.push(CompiledProfile::new(
                    inherit(profile.clone(), &file.fallback),
                    Syntax::Trusted,
                )?);
                Some(profiles.len() - 1)
            };
            builtin_owner.extend(std::iter::repeat_n(owner, profile.issuer.len()));
        }

        let custom_issuers: Vec<(&str, usize)> = profiles[..custom.len()]
            .iter()
            .enumerate()
            .flat_map(|(index, compiled)| {
                compiled
                    .profile
                    .issuer
                    .iter()
                    .map(move |p| (p.as_str(), index))
            })
            .collect();
        let issuers = Issuers::new(&custom_issuers, builtin_owner)?;
        Ok(Self {
            profiles,
            fallback: CompiledProfile::new(file.fallback, Syntax::Trusted)?,
            issuers,
        })
    }

    /// The effective profiles, in the order they are tried (the fallback is not one).
    pub fn profiles(&self) -> impl Iterator<Item = &ProviderProfile> {
        self.profiles.iter().map(|c| &c.profile)
    }

    /// Everything the token says, read through the profile of its provider.
    pub fn facts(&self, header: &Map<String, Value>, claims: &Map<String, Value>) -> TokenFacts {
        let token = Token { header, claims };
        let detected = self.detect(token);
        let compiled = detected
            .as_ref()
            .map_or(&self.fallback, |(compiled, _)| compiled);
        let mut used = Vec::new();
        let mut facts = compiled.extract(token, &mut used);
        if let Some((compiled, detection)) = &detected {
            facts.provider = Some(compiled.provider_match(token, detection, &mut used));
        }
        facts.custom_claims = custom_claims(claims, &used);
        facts
    }

    fn detect<'r, 'a>(
        &'r self,
        token: Token<'a>,
    ) -> Option<(&'r CompiledProfile, Detection<'r, 'a>)> {
        if let Some(iss) = token.claims.get("iss").and_then(Value::as_str) {
            if let Some(owner) = self.issuers.owner(iss) {
                return Some((&self.profiles[owner], Detection::Issuer(iss)));
            }
        }
        self.profiles.iter().find_map(|compiled| {
            compiled
                .detect
                .iter()
                .find(|m| m.holds(token))
                .map(|m| (compiled, Detection::Claims(m)))
        })
    }
}

/// What a token is made of, for conditions that look at both parts.
#[derive(Clone, Copy)]
struct Token<'a> {
    header: &'a Map<String, Value>,
    claims: &'a Map<String, Value>,
}

/// Top-level claims that are neither registered nor surfaced, in token order.
fn custom_claims(claims: &Map<String, Value>, used: &[&str]) -> Vec<String> {
    claims
        .keys()
        .filter(|key| !REGISTERED.contains(&key.as_str()) && !used.contains(&key.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    //! Reading tokens through the built-in registry, for the tests of every part.

    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::facts::ProviderMatch;

    pub(super) fn registry() -> &'static ProviderRegistry {
        ProviderRegistry::shared_builtin()
    }

    pub(super) fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    pub(super) fn read(claims: Value) -> TokenFacts {
        read_with(json!({"alg": "RS256", "typ": "JWT"}), claims)
    }

    pub(super) fn read_with(header: Value, claims: Value) -> TokenFacts {
        registry().facts(&object(header), &object(claims))
    }

    pub(super) fn provider(facts: &TokenFacts) -> &ProviderMatch {
        facts.provider.as_ref().expect("a provider is detected")
    }

    /// (id, variant) of the detected provider.
    pub(super) fn detected(facts: &TokenFacts) -> (&str, Option<&str>) {
        let provider = provider(facts);
        (provider.id.as_str(), provider.variant.as_deref())
    }

    pub(super) fn has_note(facts: &TokenFacts, needle: &str) -> bool {
        provider(facts)
            .notes
            .iter()
            .any(|note| note.contains(needle))
    }

    /// Profiles as a workspace config would hold them: `[[providers]]` tables.
    pub(super) fn custom(toml_text: &str) -> Vec<ProviderProfile> {
        #[derive(Deserialize)]
        struct Config {
            providers: Vec<ProviderProfile>,
        }
        toml::from_str::<Config>(toml_text)
            .expect("valid custom profiles")
            .providers
    }

    #[test]
    fn unknown_issuer_falls_back_to_generic_claims() {
        let facts = read(json!({
            "iss": "https://auth.internal.example",
            "sub": "u_1",
            "aud": "api",
            "exp": 1735693200,
            "iat": 1735689600,
            "tenant_id": "acme",
            "roles": ["admin"],
            "scope": "read:all  write:all",
            "sid": "s_1",
            "client_id": "cli_1",
            "act": {"sub": "support-42"},
            "plan": "pro"
        }));
        assert_eq!(facts.provider, None);
        assert_eq!(facts.tenants, ["acme"]);
        assert_eq!(facts.roles, ["admin"]);
        assert_eq!(facts.permissions, ["read:all", "write:all"]);
        assert_eq!(facts.session.as_deref(), Some("s_1"));
        assert_eq!(facts.authorized_party.as_deref(), Some("cli_1"));
        assert_eq!(facts.subject.as_deref(), Some("u_1"));
        assert_eq!(
            facts.actor,
            Some(("act".to_owned(), json!({"sub": "support-42"})))
        );
        assert_eq!(facts.custom_claims, ["plan"]);
    }

    #[test]
    fn custom_profiles_from_toml_override_detection_and_map_claims() {
        let registry = ProviderRegistry::with_custom(&custom(
            r#"
            # Auth0 behind a custom domain, with the app's namespaced claims.
            [[providers]]
            id = "acme-auth0"
            name = "Auth0 (login.acme.com)"
            extends = "auth0"
            issuer = ['https://login\.acme\.com/']
            tenant = ["https://acme.com/tenant"]
            role = ["https://acme.com/roles"]
            notes = ["Acme's production tenant."]

            # Takes over an issuer that the built-in Clerk profile would claim.
            [[providers]]
            id = "acme-gateway"
            name = "Acme gateway"
            issuer = ['https://clerk\.acme\.com']
            tenant = ["ctx.tenant"]
            permissions = ["ctx.grants"]
            variants = [{ name = "service", when = { match = { "ctx.kind" = 'svc' } } }]
            "#,
        ))
        .expect("valid custom profiles");
        let ids: Vec<&str> = registry.profiles().map(|p| p.id.as_str()).take(3).collect();
        assert_eq!(ids, ["acme-auth0", "acme-gateway", "clerk"]);
        let header = object(json!({"alg": "RS256"}));

        let facts = registry.facts(
            &header,
            &object(json!({
                "iss": "https://login.acme.com/",
                "sub": "auth0|64f1",
                "https://acme.com/tenant": "t_42",
                "https://acme.com/roles": ["owner"],
                "permissions": ["read:all"],
                "org_id": "org_ignored"
            })),
        );
        let provider = facts.provider.as_ref().expect("custom provider");
        assert_eq!(provider.id, "acme-auth0");
        assert_eq!(provider.notes, ["Acme's production tenant."]);
        assert!(provider.public_idp, "inherited from auth0");
        assert_eq!(facts.tenants, ["t_42"]);
        assert_eq!(facts.roles, ["owner"]);
        assert_eq!(
            facts.permissions,
            ["read:all"],
            "permission paths inherited"
        );
        assert_eq!(facts.custom_claims, ["org_id"]);

        let facts = registry.facts(
            &header,
            &object(json!({
                "iss": "https://clerk.acme.com",
                "sub": "svc-billing",
                "ctx": {"tenant": "acme", "grants": "invoices:read,invoices:write", "kind": "svc"}
            })),
        );
        let provider = facts.provider.as_ref().expect("custom provider");
        assert_eq!(
            (provider.id.as_str(), provider.variant.as_deref()),
            ("acme-gateway", Some("service"))
        );
        assert_eq!(facts.tenants, ["acme"]);
        assert_eq!(facts.permissions, ["invoices:read", "invoices:write"]);

        let other_clerk = registry.facts(
            &header,
            &object(json!({"iss": "https://clerk.globex.com", "sub": "user_1"})),
        );
        assert_eq!(other_clerk.provider.map(|p| p.id).as_deref(), Some("clerk"));
    }

    #[test]
    fn a_custom_profile_with_a_builtin_id_replaces_it() {
        let registry = ProviderRegistry::with_custom(&custom(
            r#"
            [[providers]]
            id = "okta"
            name = "Okta (Acme)"
            extends = "okta"
            issuer = ['https://sso\.acme\.com/oauth2/[a-z0-9]+']
            "#,
        ))
        .expect("valid custom profile");
        let oktas: Vec<&str> = registry
            .profiles()
            .filter(|p| p.id == "okta")
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(oktas, ["Okta (Acme)"]);
        let header = object(json!({"alg": "RS256"}));
        let facts = registry.facts(
            &header,
            &object(json!({"iss": "https://sso.acme.com/oauth2/default", "groups": ["Admins"]})),
        );
        assert_eq!(facts.roles, ["Admins"], "claim paths inherited");
        let okta_hosted = registry.facts(
            &header,
            &object(json!({"iss": "https://acme.okta.com/oauth2/default"})),
        );
        assert_eq!(
            okta_hosted.provider, None,
            "the replaced issuer list is gone"
        );
        // The built-ins after the replaced one are still recognised as themselves.
        for (iss, id) in [
            ("https://sso.acme.com/realms/acme", "keycloak"),
            ("https://accounts.google.com", "google"),
            ("https://acme.us.auth0.com/", "auth0"),
        ] {
            let facts = registry.facts(&header, &object(json!({ "iss": iss })));
            assert_eq!(facts.provider.map(|p| p.id).as_deref(), Some(id), "{iss}");
        }
    }

    #[test]
    fn custom_profiles_also_load_from_json_settings() {
        let profile: ProviderProfile = serde_json::from_value(json!({
            "id": "acme",
            "name": "Acme SSO",
            "issuer": ["https://id\\.acme\\.dev"],
            "role": ["acme.roles"],
            "notes": ["Internal SSO.", {"text": "Production token.", "when": {"match": {"env": "prod"}}}]
        }))
        .expect("valid JSON profile");
        let registry = ProviderRegistry::with_custom(&[profile]).expect("compiles");
        let facts = registry.facts(
            &object(json!({"alg": "ES256"})),
            &object(
                json!({"iss": "https://id.acme.dev", "acme": {"roles": ["ops"]}, "env": "prod"}),
            ),
        );
        let provider = facts.provider.as_ref().expect("custom provider");
        assert_eq!(provider.id, "acme");
        assert_eq!(provider.notes, ["Internal SSO.", "Production token."]);
        assert_eq!(facts.roles, ["ops"]);
    }
}
