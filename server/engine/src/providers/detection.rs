//! Which profile a token belongs to, and why: profile conditions compiled to regexes
//! ([`Matcher`]), and the provider a detected token is reported as.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::{Arc, OnceLock};

use jwtlens_settings::provider_profile::Condition;
use regex::Regex;
use serde_json::{Map, Value};

use super::anchor::anchor;
use super::builtin_dfas::{CONDITIONS, CONDITION_PATTERNS};
use super::claim_paths;
use super::claim_readers::mark;
use super::profiles::CompiledProfile;
use super::Token;
use crate::facts::ProviderMatch;

/// Why a profile was chosen.
pub(super) enum Detection<'r, 'a> {
    Issuer(&'a str),
    Claims(&'r Matcher),
}

/// A compiled [`Condition`].
#[derive(Debug, Clone)]
pub(super) struct Matcher {
    claims: Vec<String>,
    matches: Vec<(String, Pattern)>,
    header: Vec<(String, Pattern)>,
    absent: Vec<String>,
}

/// A pattern anchored to the whole value. A built-in one is the DFA the build script
/// compiled from it ([`CONDITIONS`]). Another is checked when its profile is loaded and
/// compiled the first time a token needs it: compiling every pattern of every profile was
/// most of the CPU time of `jwtlens check` on one small file, where a token reaches one
/// or two profiles. Clones of a registry share the compiled regex. Custom profiles are
/// compiled when loaded ([`Pattern::compile_now`]), so that a pattern over the regex
/// crate's size limit is a configuration error, as before.
#[derive(Debug, Clone)]
pub(super) enum Pattern {
    /// The index of a built-in pattern in [`CONDITION_PATTERNS`] and [`CONDITIONS`].
    Builtin(usize),
    /// The anchored pattern and its regex, once compiled.
    Compiled(Arc<(String, OnceLock<Result<Regex, String>>)>),
}

impl Pattern {
    /// Compiles the pattern (reads a built-in one's DFA) if that was not done yet; the
    /// error names the pattern.
    pub fn compile_now(&self) -> Result<(), String> {
        match self {
            Pattern::Builtin(index) => CONDITIONS.dfa(*index).map(|_| ()),
            Pattern::Compiled(compiled) => compiled_regex(compiled).map(|_| ()),
        }
    }

    /// Whether the whole of `value` matches (a built-in pattern always compiles: a unit
    /// test compiles them all).
    fn is_match(&self, value: &str) -> bool {
        match self {
            Pattern::Builtin(index) => CONDITIONS.is_match(*index, value),
            Pattern::Compiled(compiled) => {
                compiled_regex(compiled).is_ok_and(|regex| regex.is_match(value))
            }
        }
    }
}

/// The regex of a [`Pattern::Compiled`], compiled on first use.
fn compiled_regex(
    (anchored, regex): &(String, OnceLock<Result<Regex, String>>),
) -> Result<&Regex, String> {
    regex
        .get_or_init(|| Regex::new(anchored).map_err(|e| format!("`{anchored}`: {}", one_line(&e))))
        .as_ref()
        .map_err(Clone::clone)
}

impl Matcher {
    /// `what` names the condition's owner in error messages (made only for an error).
    pub fn new(
        condition: &Condition,
        syntax: Syntax,
        what: impl Fn() -> String,
    ) -> Result<Self, String> {
        let compile_all = |patterns: &BTreeMap<String, String>, kind: &str| {
            patterns
                .iter()
                .map(|(path, pattern)| {
                    compile(pattern, syntax)
                        .map(|regex| (path.clone(), regex))
                        .map_err(|e| format!("{}: {kind} `{path}` = `{pattern}`: {e}", what()))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            claims: condition.claims.clone(),
            matches: compile_all(&condition.matches, "match")?,
            header: compile_all(&condition.header, "header")?,
            absent: condition.absent.clone(),
        })
    }

    pub fn holds(&self, token: Token<'_>) -> bool {
        let some_value_matches = |object: &Map<String, Value>, path: &str, regex: &Pattern| {
            let mut hit = false;
            claim_paths::resolve(object, path, &mut |found| {
                claim_paths::for_each_scalar(found, &mut |s| hit = hit || regex.is_match(&s));
            });
            hit
        };
        self.claims
            .iter()
            .all(|path| claim_paths::is_present(token.claims, path))
            && self
                .absent
                .iter()
                .all(|path| !claim_paths::is_present(token.claims, path))
            && self
                .matches
                .iter()
                .all(|(path, regex)| some_value_matches(token.claims, path, regex))
            && self
                .header
                .iter()
                .all(|(name, regex)| some_value_matches(token.header, name, regex))
    }

    /// Every pattern of the condition.
    pub fn patterns(&self) -> impl Iterator<Item = &Pattern> {
        self.matches
            .iter()
            .chain(&self.header)
            .map(|(_, pattern)| pattern)
    }

    /// The claims this condition looked at (not the absent ones) count as surfaced.
    pub fn mark_used<'a>(&self, claims: &'a Map<String, Value>, used: &mut Vec<&'a str>) {
        for path in self
            .claims
            .iter()
            .chain(self.matches.iter().map(|(path, _)| path))
        {
            mark(claims, path, used);
        }
    }

    /// `header kid; claims sid, sub`, for [`ProviderMatch::matched_by`].
    pub fn describe(&self) -> String {
        let join = |names: Vec<&str>| names.join(", ");
        let claims: Vec<&str> = self
            .claims
            .iter()
            .chain(self.matches.iter().map(|(path, _)| path))
            .map(String::as_str)
            .collect();
        let header: Vec<&str> = self.header.iter().map(|(name, _)| name.as_str()).collect();
        match (header.is_empty(), claims.is_empty()) {
            (true, _) => format!("claims {}", join(claims)),
            (false, true) => format!("header {}", join(header)),
            (false, false) => format!("header {}; claims {}", join(header), join(claims)),
        }
    }
}

impl CompiledProfile {
    /// The provider a token detected with this profile is reported as; records in `used`
    /// the claims the detection and the variant looked at.
    pub fn provider_match<'a>(
        &self,
        token: Token<'a>,
        detection: &Detection<'_, '_>,
        used: &mut Vec<&'a str>,
    ) -> ProviderMatch {
        let profile = &self.profile;
        let matched_by = match detection {
            Detection::Issuer(iss) => format!("iss matches {iss}"),
            Detection::Claims(matcher) => {
                matcher.mark_used(token.claims, used);
                matcher.describe()
            }
        };
        let variant = profile
            .variants
            .iter()
            .zip(&self.variants)
            .find(|(_, matcher)| matcher.holds(token))
            .map(|(variant, matcher)| {
                matcher.mark_used(token.claims, used);
                variant.name.clone()
            });
        let notes = profile
            .notes
            .iter()
            .zip(&self.notes)
            .filter(|(_, matcher)| matcher.as_ref().is_none_or(|m| m.holds(token)))
            .map(|(note, _)| note.text().to_owned())
            .collect();
        ProviderMatch {
            id: profile.id.clone(),
            name: profile.name.clone(),
            variant,
            matched_by,
            notes,
            public_idp: profile.public_idp,
        }
    }
}

/// Whether a profile's patterns are parsed when it is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Syntax {
    /// A workspace's profile: a bad pattern is a configuration error that names it.
    Check,
    /// The built-in profiles: a unit test parses and compiles every pattern, so a run
    /// (`jwtlens check` on one small file) does not parse them again.
    Trusted,
}

/// The pattern, compiled when first used (see [`Pattern`]). With [`Syntax::Check`] its
/// syntax is checked now, with the regex crate's parser, so that the errors are the ones
/// `Regex::new` gives.
pub(super) fn compile(pattern: &str, syntax: Syntax) -> Result<Pattern, String> {
    let anchored = anchor(pattern);
    if let Ok(index) = CONDITION_PATTERNS.binary_search(&anchored.as_str()) {
        return Ok(Pattern::Builtin(index));
    }
    if syntax == Syntax::Check {
        regex_syntax::Parser::new()
            .parse(&anchored)
            .map_err(|e| one_line(&e))?;
    }
    Ok(Pattern::Compiled(Arc::new((anchored, OnceLock::new()))))
}

/// The last line of a regex error: the multi-line form draws a caret under the pattern,
/// which a one-line config error cannot show.
pub(super) fn one_line(error: &impl Display) -> String {
    let text = error.to_string();
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(&text);
    last.trim().trim_start_matches("error: ").to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::providers::tests::read;

    #[test]
    fn issuer_patterns_match_the_whole_iss() {
        for iss in [
            "https://evil.example/?next=https://acme.okta.com",
            "xaccounts.google.com",
            "https://accounts.google.com.evil.example",
            "supabase-demo-2",
        ] {
            let facts = read(json!({"iss": iss, "sub": "u1"}));
            assert_eq!(facts.provider, None, "{iss}");
        }
    }
}
