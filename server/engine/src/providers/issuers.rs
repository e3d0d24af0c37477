//! Which profile a token's `iss` names: the first issuer pattern, in profile order, that
//! matches the whole value.
//!
//! The build script compiled each built-in pattern into a small DFA, read here in place:
//! compiling them at start-up was about 40 % of the instructions of `jwtlens check` on
//! one small file. A workspace's own profiles are compiled into a `RegexSet` when the
//! configuration is loaded, as before, and tried first.

use regex::RegexSet;

use super::anchor::anchor;
use super::builtin_dfas::ISSUERS;
use super::detection::one_line;

/// The issuer patterns of a registry's profiles.
#[derive(Debug, Clone)]
pub(super) struct Issuers {
    /// The custom profiles' patterns, with the index of each one's profile.
    custom: Option<(RegexSet, Vec<usize>)>,
    /// For each built-in pattern, in `providers.toml` order, the index of its profile, or
    /// `None` when a custom profile with the same id replaced it.
    builtin_owner: Vec<Option<usize>>,
}

impl Issuers {
    /// `custom` holds each custom pattern (not anchored) with its profile's index;
    /// `builtin_owner` has one entry per built-in pattern, in file order.
    pub fn new(
        custom: &[(&str, usize)],
        builtin_owner: Vec<Option<usize>>,
    ) -> Result<Self, String> {
        if builtin_owner.len() != ISSUERS.len() {
            return Err(format!(
                "built-in issuer patterns: {} compiled, {} in providers.toml",
                ISSUERS.len(),
                builtin_owner.len()
            ));
        }
        let custom = match custom {
            [] => None,
            custom => {
                let set = RegexSet::new(custom.iter().map(|(pattern, _)| anchor(pattern)))
                    .map_err(|e| format!("issuer patterns: {}", one_line(&e)))?;
                Some((set, custom.iter().map(|&(_, owner)| owner).collect()))
            }
        };
        Ok(Self {
            custom,
            builtin_owner,
        })
    }

    /// The index of the profile whose pattern matches `iss` first.
    pub fn owner(&self, iss: &str) -> Option<usize> {
        if let Some((set, owner)) = &self.custom {
            // Set matches come out in pattern order, and patterns are in profile order.
            if let Some(pattern) = set.matches(iss).into_iter().next() {
                return Some(owner[pattern]);
            }
        }
        self.builtin_owner
            .iter()
            .enumerate()
            .find_map(|(index, owner)| (*owner).filter(|_| ISSUERS.is_match(index, iss)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::builtin_dfas::ISSUER_PATTERNS;
    use crate::providers::profiles::ProfileFile;

    fn builtin_patterns() -> Vec<String> {
        let file = ProfileFile::builtin().unwrap();
        assert!(file.fallback.issuer.is_empty());
        file.provider
            .iter()
            .flat_map(|profile| profile.issuer.iter().map(|p| anchor(p)))
            .collect()
    }

    #[test]
    fn the_dfas_were_built_from_every_builtin_issuer_pattern_in_order() {
        assert_eq!(ISSUER_PATTERNS, builtin_patterns());
        for index in 0..ISSUER_PATTERNS.len() {
            ISSUERS.dfa(index).unwrap();
        }
        assert!(Issuers::new(&[], vec![None; ISSUER_PATTERNS.len() + 1]).is_err());
    }

    /// The DFA answers what a `RegexSet` over the same patterns answers.
    #[test]
    fn the_dfa_agrees_with_a_regex_set() {
        let patterns = builtin_patterns();
        let set = RegexSet::new(&patterns).unwrap();
        let owner: Vec<Option<usize>> = (0..patterns.len()).map(Some).collect();
        let issuers = Issuers::new(&[], owner).unwrap();
        let mut samples = vec![
            "",
            "supabase",
            "supabase-demo",
            "supabase ",
            "https://acme.us.auth0.com/",
            "https://acme.auth0.com",
            "https://acme.auth0.com.evil.com/",
            "https://api.workos.com/user_management/client_01HXYZ",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xYz",
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
            "https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/",
            "https://acme.okta.com/oauth2/default",
            "https://sso.acme.com/realms/acme",
            "https://sso.ächme.com/auth/realms/ü",
            "accounts.google.com",
            "https://accounts.google.com",
            "https://securetoken.google.com/acme-prod",
            "https://clerk.acme.com",
            "https://happy-otter-12.clerk.accounts.dev",
            "P2abcdefghijklmnopqrstu",
            "https://auth.acme.com/v1/apps/P2abcdefghijklmnopqrstu",
            "https://acme.kinde.com",
            "https://acme.frontegg.com",
            "https://acme.zitadel.cloud",
            "https://example.com/",
            "\u{0}https://acme.okta.com",
            "https://acme.okta.com\n",
        ];
        let long = format!("https://{}.auth0.com/", "a".repeat(10_000));
        samples.push(&long);
        for sample in samples {
            assert_eq!(
                issuers.owner(sample),
                set.matches(sample).into_iter().next(),
                "{sample:?}"
            );
        }
        // Every sample above that names a provider is recognised by some pattern.
        assert!(issuers.owner("https://acme.okta.com").is_some());
        assert!(issuers.owner("https://example.com/").is_none());
    }

    #[test]
    fn replaced_builtins_are_skipped_and_custom_patterns_come_first() {
        let patterns = builtin_patterns();
        let okta = RegexSet::new(&patterns)
            .unwrap()
            .matches("https://acme.okta.com")
            .into_iter()
            .next()
            .unwrap();
        // Every built-in pattern owned by profile 1, except Okta's, replaced.
        let owner: Vec<_> = (0..patterns.len())
            .map(|p| (p != okta).then_some(1))
            .collect();
        let issuers = Issuers::new(&[("https://acme\\.okta\\.com", 0)], owner.clone()).unwrap();
        assert_eq!(issuers.owner("https://acme.okta.com"), Some(0));
        let issuers = Issuers::new(&[], owner).unwrap();
        assert_eq!(issuers.owner("https://acme.okta.com"), None);
        assert_eq!(issuers.owner("https://acme.us.auth0.com/"), Some(1));
        assert!(Issuers::new(&[("(", 0)], vec![None; patterns.len()]).is_err());
    }
}
