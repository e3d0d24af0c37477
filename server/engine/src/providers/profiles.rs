//! The profiles a registry is built from: the built-in `providers.toml`, a profile
//! completed from the one it extends and from the generic fallback, and each profile
//! checked and compiled for matching.

use jwtlens_settings::provider_profile::{ClaimFormat, Note, ProviderProfile};
use serde::Deserialize;

use super::detection::{compile, Matcher, Pattern, Syntax};

/// The built-in profiles, `providers.toml` (a `[fallback]` table and `[[provider]]`
/// entries) as the build script wrote it in JSON.
const BUILTIN: &str = include_str!(concat!(env!("OUT_DIR"), "/providers.json"));

/// The embedded `providers.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfileFile {
    pub fallback: ProviderProfile,
    pub provider: Vec<ProviderProfile>,
}

impl ProfileFile {
    /// The built-in profiles, parsed (a unit test checks that they parse).
    pub fn builtin() -> Result<ProfileFile, String> {
        serde_json::from_str(BUILTIN).map_err(|e| e.to_string())
    }
}

/// `profile` with every empty field taken from `base`. Booleans and the format can only be
/// switched on, never off, by an extending profile.
pub(super) fn inherit(mut profile: ProviderProfile, base: &ProviderProfile) -> ProviderProfile {
    fn or_base<T: Clone>(field: &mut Vec<T>, base: &[T]) {
        if field.is_empty() {
            *field = base.to_vec();
        }
    }
    or_base(&mut profile.issuer, &base.issuer);
    or_base(&mut profile.detect, &base.detect);
    or_base(&mut profile.tenant, &base.tenant);
    or_base(&mut profile.role, &base.role);
    or_base(&mut profile.permissions, &base.permissions);
    or_base(&mut profile.session, &base.session);
    or_base(&mut profile.authorized_party, &base.authorized_party);
    or_base(&mut profile.actor, &base.actor);
    or_base(&mut profile.variants, &base.variants);
    or_base(&mut profile.deprecated, &base.deprecated);
    or_base(&mut profile.notes, &base.notes);
    if profile.memberships.is_none() {
        profile.memberships.clone_from(&base.memberships);
    }
    profile.public_idp |= base.public_idp;
    if profile.format == ClaimFormat::Plain {
        profile.format = base.format;
    }
    profile
}

/// A profile with its regexes compiled. The matcher lists run parallel to the profile's
/// `detect`, `variants`, `deprecated` and `notes`.
#[derive(Debug, Clone)]
pub(super) struct CompiledProfile {
    pub profile: ProviderProfile,
    pub detect: Vec<Matcher>,
    pub variants: Vec<Matcher>,
    pub deprecated: Vec<Matcher>,
    /// `None` for a note that is always shown.
    pub notes: Vec<Option<Matcher>>,
}

impl CompiledProfile {
    /// Checks a profile (id and name, every pattern, no empty detect rule) and compiles
    /// its conditions; the error names the profile and the part that is wrong.
    pub fn new(profile: ProviderProfile, syntax: Syntax) -> Result<Self, String> {
        let context = |what: &str| format!("provider `{}`: {what}", profile.id);
        if profile.id.trim().is_empty() || profile.name.trim().is_empty() {
            return Err(format!(
                "provider `{}`: id and name must not be empty",
                profile.id
            ));
        }
        // A workspace's issuers are matched through the registry's `RegexSet`; each is
        // checked alone here only so that an error can name the bad pattern.
        if syntax == Syntax::Check {
            for pattern in &profile.issuer {
                compile(pattern, syntax)
                    .map_err(|e| context(&format!("issuer `{pattern}`: {e}")))?;
            }
        }
        let detect = profile
            .detect
            .iter()
            .enumerate()
            .map(|(i, condition)| {
                let what = || context(&format!("detect rule {}", i + 1));
                if condition.claims.is_empty()
                    && condition.matches.is_empty()
                    && condition.header.is_empty()
                {
                    return Err(format!("{}: names no claim or header to look for", what()));
                }
                Matcher::new(condition, syntax, what)
            })
            .collect::<Result<_, _>>()?;
        let variants = profile
            .variants
            .iter()
            .map(|v| {
                Matcher::new(&v.when, syntax, || {
                    context(&format!("variant `{}`", v.name))
                })
            })
            .collect::<Result<_, _>>()?;
        let deprecated = profile
            .deprecated
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                Matcher::new(&rule.when, syntax, || {
                    context(&format!("deprecated rule {}", i + 1))
                })
            })
            .collect::<Result<_, _>>()?;
        let notes = profile
            .notes
            .iter()
            .map(|note| match note {
                Note::Always(_) => Ok(None),
                Note::When(note) => Matcher::new(&note.when, syntax, || {
                    context(&format!("note `{}`", note.text))
                })
                .map(Some),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            profile,
            detect,
            variants,
            deprecated,
            notes,
        })
    }

    /// Compiles every pattern now rather than when a token first needs it; the error
    /// names the profile and the pattern.
    pub fn compile_now(&self) -> Result<(), String> {
        for pattern in self.patterns() {
            pattern
                .compile_now()
                .map_err(|e| format!("provider `{}`: {e}", self.profile.id))?;
        }
        Ok(())
    }

    /// Every pattern of every condition of the profile.
    fn patterns(&self) -> impl Iterator<Item = &Pattern> {
        self.detect
            .iter()
            .chain(&self.variants)
            .chain(&self.deprecated)
            .chain(self.notes.iter().flatten())
            .flat_map(Matcher::patterns)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::providers::builtin_dfas::CONDITION_PATTERNS;
    use crate::providers::tests::{custom, provider, read};
    use crate::providers::ProviderRegistry;

    #[test]
    fn the_embedded_json_holds_what_providers_toml_says() {
        let from_toml: ProfileFile =
            toml::from_str(include_str!("providers.toml")).expect("providers.toml parses");
        let from_json = ProfileFile::builtin().expect("the embedded JSON parses");
        assert_eq!(from_json.fallback, from_toml.fallback);
        assert_eq!(from_json.provider, from_toml.provider);
        assert!(from_json.provider.len() > 10);
    }

    #[test]
    fn embedded_profiles_parse_and_every_regex_compiles() {
        let file = ProfileFile::builtin().expect("providers.toml parses");
        // Checks every pattern and compiles the issuers; the other patterns compile when
        // a token first needs them, so compile each of them here.
        let registry = ProviderRegistry::with_custom(&[]).expect("providers.toml compiles");
        let profiles = file
            .provider
            .iter()
            .map(|profile| inherit(profile.clone(), &file.fallback))
            .chain([file.fallback.clone()]);
        // Each condition pattern is one of the DFAs the build script compiled, and each
        // of those is used.
        let mut dfas_used = BTreeSet::new();
        for profile in profiles {
            let compiled =
                CompiledProfile::new(profile, Syntax::Check).expect("a built-in profile checks");
            compiled
                .compile_now()
                .expect("every built-in pattern compiles");
            for pattern in compiled.patterns() {
                match pattern {
                    Pattern::Builtin(index) => dfas_used.insert(*index),
                    Pattern::Compiled(compiled) => panic!("`{}` has no DFA", compiled.0),
                };
            }
        }
        assert_eq!(dfas_used.len(), CONDITION_PATTERNS.len());
        let ids: Vec<&str> = registry.profiles().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "clerk",
                "workos",
                "auth0",
                "supabase",
                "supabase-api-key",
                "stack-auth",
                "firebase",
                "cognito",
                "entra",
                "okta",
                "keycloak",
                "google",
                "descope",
                "kinde",
                "propelauth",
                "frontegg",
                "zitadel",
            ]
        );
        for profile in &file.provider {
            assert!(
                !profile.issuer.is_empty() || !profile.detect.is_empty(),
                "`{}` can never be detected",
                profile.id
            );
        }
        assert!(file.fallback.issuer.is_empty() && file.fallback.detect.is_empty());
    }

    #[test]
    fn fields_a_profile_leaves_out_are_read_with_the_generic_paths() {
        // Okta's profile names no actor or tenant claim; token exchange adds `act`.
        let facts = read(json!({
            "iss": "https://acme.okta.com/oauth2/default",
            "sub": "ana@acme.com",
            "cid": "0oa1b2c3d4e5f6g7h8i9",
            "act": {"sub": "0oaSERVICE1234567890"},
            "tenant_id": "acme"
        }));
        assert_eq!(provider(&facts).id, "okta");
        assert_eq!(
            facts.actor,
            Some(("act".to_owned(), json!({"sub": "0oaSERVICE1234567890"})))
        );
        assert_eq!(facts.tenants, ["acme"]);
        // A profile's own paths replace the generic ones: Cognito's tenant is not `tenant_id`.
        let cognito = read(json!({
            "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xYz",
            "tenant_id": "acme"
        }));
        assert!(cognito.tenants.is_empty());
        assert_eq!(cognito.custom_claims, ["tenant_id"]);
    }

    #[test]
    fn invalid_custom_profiles_are_rejected_with_one_clear_line() {
        let error = |toml_text: &str| {
            ProviderRegistry::with_custom(&custom(toml_text)).expect_err("must be rejected")
        };
        let bad_issuer = error(
            r#"
            [[providers]]
            id = "acme"
            name = "Acme"
            issuer = ['https://(']
            "#,
        );
        assert!(
            bad_issuer.starts_with("provider `acme`: issuer `https://(`: "),
            "{bad_issuer}"
        );
        assert!(bad_issuer.contains("unclosed group"), "{bad_issuer}");
        assert!(!bad_issuer.contains('\n'), "{bad_issuer}");

        let bad_variant = error(
            r#"
            [[providers]]
            id = "acme"
            name = "Acme"
            variants = [{ name = "v2", when = { match = { v = '[' } } }]
            "#,
        );
        assert!(
            bad_variant.starts_with("provider `acme`: variant `v2`: match `v` = `[`: "),
            "{bad_variant}"
        );

        // Valid syntax, but over the regex crate's size limit once compiled: a custom
        // profile's patterns are compiled when it is loaded, so this is refused there.
        let too_big = error(
            r#"
            [[providers]]
            id = "acme"
            name = "Acme"
            detect = [{ match = { org = '\w{1000}{1000}' } }]
            "#,
        );
        assert!(
            too_big.starts_with("provider `acme`: `^(?:\\w{1000}{1000})$`: "),
            "{too_big}"
        );
        assert!(too_big.contains("size limit"), "{too_big}");

        assert_eq!(
            error("[[providers]]\nid = \"acme\"\nname = \"Acme\"\nextends = \"nope\"\n"),
            "provider `acme`: extends unknown provider `nope`"
        );
        assert_eq!(
            error(
                "[[providers]]\nid = \"acme\"\nname = \"Acme\"\ndetect = [{ absent = [\"x\"] }]\n"
            ),
            "provider `acme`: detect rule 1: names no claim or header to look for"
        );
        assert_eq!(
            error("[[providers]]\nid = \"a\"\nname = \"A\"\n[[providers]]\nid = \"a\"\nname = \"B\"\n"),
            "provider `a` is defined twice"
        );

        // Field names are checked, so a typo does not silently drop a setting.
        let typo = toml::from_str::<ProviderProfile>("id = \"a\"\nname = \"A\"\nisuer = ['x']\n")
            .expect_err("unknown field");
        assert!(typo.to_string().contains("unknown field `isuer`"), "{typo}");
    }
}
