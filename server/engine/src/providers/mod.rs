//! Identity-provider profiles as data, and the facts they surface from a token.
//!
//! Each provider is a [`ProviderProfile`]: issuer patterns, claim paths, variants, notes.
//! The built-in ones live in `providers.toml` next to this file; a workspace adds its own
//! with the same struct. [`ProviderRegistry`] compiles them once (every regex, and one
//! [`RegexSet`] over all issuers) and turns a token's header and claims into
//! [`TokenFacts`].
//!
//! Detection: `iss` is matched against every profile's issuer patterns first (custom
//! profiles win ties); when none matches, each profile's `detect` conditions are tried in
//! order; when none holds, the token is read through the generic fallback profile and
//! `provider` stays `None`.
//!
//! Claim paths are described in [`claim_paths`].

mod claim_paths;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jwtlens_settings::provider_profile::{
    ClaimFormat, Condition, MembershipSpec, Note, ProviderProfile,
};
use regex::{Regex, RegexSet};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::facts::{DeprecatedUse, ProviderMatch, TenantMembership, TokenFacts};
use claim_paths::{Found, Split};

/// The built-in profiles: a `[fallback]` table and `[[provider]]` entries.
const BUILTIN: &str = include_str!("providers.toml");

/// Registered claims (RFC 7519 §4.1), never reported as custom claims.
const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// The embedded `providers.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    fallback: ProviderProfile,
    provider: Vec<ProviderProfile>,
}

/// Profiles compiled for matching: built-in and custom, plus the generic fallback.
#[derive(Debug, Clone)]
pub struct ProviderRegistry {
    /// Custom profiles first, then the built-ins they do not replace.
    profiles: Vec<Compiled>,
    fallback: Compiled,
    /// Every issuer pattern of `profiles`, in profile order.
    issuers: RegexSet,
    /// For each pattern in `issuers`, the index of its profile in `profiles`.
    issuer_owner: Vec<usize>,
}

impl ProviderRegistry {
    /// The built-in profiles only.
    pub fn builtin() -> Self {
        // `providers.toml` is part of the binary and a unit test compiles it, so this
        // cannot fail at run time.
        Self::with_custom(&[]).expect("built-in providers.toml is valid")
    }

    /// The built-ins plus workspace profiles. Custom profiles are tried before the
    /// built-ins (a user can override `iss` recognition), and one with a built-in's id
    /// replaces that built-in.
    ///
    /// Every profile reads the claim-path fields it leaves empty through the generic
    /// fallback's paths, so `act` or a plain `roles` claim surfaces whatever the provider.
    pub fn with_custom(custom: &[ProviderProfile]) -> Result<Self, String> {
        // Compiling the built-ins takes milliseconds; every configuration without custom
        // profiles (each `.jwtlens.toml` a `check` finds) shares one compiled copy.
        static BUILTIN_REGISTRY: OnceLock<Result<ProviderRegistry, String>> = OnceLock::new();
        if custom.is_empty() {
            return BUILTIN_REGISTRY.get_or_init(|| Self::compile(&[])).clone();
        }
        Self::compile(custom)
    }

    fn compile(custom: &[ProviderProfile]) -> Result<Self, String> {
        let file: ProfileFile = toml::from_str(BUILTIN).map_err(|e| e.to_string())?;
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
            profiles.push(Compiled::new(inherit(profile, &file.fallback))?);
        }
        for profile in &file.provider {
            if !custom.iter().any(|c| c.id == profile.id) {
                profiles.push(Compiled::new(inherit(profile.clone(), &file.fallback))?);
            }
        }

        let mut patterns = Vec::new();
        let mut issuer_owner = Vec::new();
        for (index, compiled) in profiles.iter().enumerate() {
            for pattern in &compiled.profile.issuer {
                patterns.push(anchor(pattern));
                issuer_owner.push(index);
            }
        }
        let issuers =
            RegexSet::new(&patterns).map_err(|e| format!("issuer patterns: {}", one_line(&e)))?;
        Ok(Self {
            profiles,
            fallback: Compiled::new(file.fallback)?,
            issuers,
            issuer_owner,
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

    fn detect<'r, 'a>(&'r self, token: Token<'a>) -> Option<(&'r Compiled, Detection<'r, 'a>)> {
        if let Some(iss) = token.claims.get("iss").and_then(Value::as_str) {
            // Set matches come out in pattern order, and patterns are in profile order.
            if let Some(pattern) = self.issuers.matches(iss).into_iter().next() {
                let compiled = &self.profiles[self.issuer_owner[pattern]];
                return Some((compiled, Detection::Issuer(iss)));
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

impl Default for ProviderRegistry {
    fn default() -> Self {
        Self::builtin()
    }
}

/// What a token is made of, for conditions that look at both parts.
#[derive(Clone, Copy)]
struct Token<'a> {
    header: &'a Map<String, Value>,
    claims: &'a Map<String, Value>,
}

/// Why a profile was chosen.
enum Detection<'r, 'a> {
    Issuer(&'a str),
    Claims(&'r Matcher),
}

/// A profile with its regexes compiled. The matcher lists run parallel to the profile's
/// `detect`, `variants`, `deprecated` and `notes`.
#[derive(Debug, Clone)]
struct Compiled {
    profile: ProviderProfile,
    detect: Vec<Matcher>,
    variants: Vec<Matcher>,
    deprecated: Vec<Matcher>,
    /// `None` for a note that is always shown.
    notes: Vec<Option<Matcher>>,
}

impl Compiled {
    fn new(profile: ProviderProfile) -> Result<Self, String> {
        let context = |what: &str| format!("provider `{}`: {what}", profile.id);
        if profile.id.trim().is_empty() || profile.name.trim().is_empty() {
            return Err(format!(
                "provider `{}`: id and name must not be empty",
                profile.id
            ));
        }
        // Issuers are matched through the registry's `RegexSet`; each is compiled alone
        // here only so that an error can name the bad pattern.
        for pattern in &profile.issuer {
            compile(pattern).map_err(|e| context(&format!("issuer `{pattern}`: {e}")))?;
        }
        let detect = profile
            .detect
            .iter()
            .enumerate()
            .map(|(i, condition)| {
                let what = context(&format!("detect rule {}", i + 1));
                if condition.claims.is_empty()
                    && condition.matches.is_empty()
                    && condition.header.is_empty()
                {
                    return Err(format!("{what}: names no claim or header to look for"));
                }
                Matcher::new(condition, &what)
            })
            .collect::<Result<_, _>>()?;
        let variants = profile
            .variants
            .iter()
            .map(|v| Matcher::new(&v.when, &context(&format!("variant `{}`", v.name))))
            .collect::<Result<_, _>>()?;
        let deprecated = profile
            .deprecated
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                Matcher::new(&rule.when, &context(&format!("deprecated rule {}", i + 1)))
            })
            .collect::<Result<_, _>>()?;
        let notes = profile
            .notes
            .iter()
            .map(|note| match note {
                Note::Always(_) => Ok(None),
                Note::When(note) => {
                    Matcher::new(&note.when, &context(&format!("note `{}`", note.text))).map(Some)
                }
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

    /// Every field of [`TokenFacts`] except `provider` and `custom_claims`; records in
    /// `used` the top-level claims it read.
    fn extract<'a>(&self, token: Token<'a>, used: &mut Vec<&'a str>) -> TokenFacts {
        let profile = &self.profile;
        let claims = token.claims;
        let mut facts = TokenFacts {
            tenants: gather(claims, &profile.tenant, Split::Whole, used),
            roles: gather(claims, &profile.role, Split::Whole, used),
            permissions: gather(claims, &profile.permissions, Split::Delimited, used),
            session: first_scalar(claims, &profile.session, used),
            authorized_party: first_scalar(claims, &profile.authorized_party, used),
            subject: claim_paths::first(claims, "sub")
                .and_then(|(_, found)| claim_paths::scalar(found))
                .map(|s| s.into_owned()),
            actor: profile.actor.iter().find_map(|path| {
                let (key, found) = claim_paths::first(claims, path)?;
                used.push(key);
                let value = match found {
                    Found::Value(value) => value.clone(),
                    Found::Key(key) => Value::String(key.to_owned()),
                };
                Some((path.clone(), value))
            }),
            ..TokenFacts::default()
        };
        if let Some(spec) = &profile.memberships {
            facts.memberships = memberships(claims, spec, used);
        }
        if profile.format == ClaimFormat::ClerkV2 {
            clerk_v2(claims, &mut facts, used);
        }
        for (rule, matcher) in profile.deprecated.iter().zip(&self.deprecated) {
            let present: Vec<String> = rule
                .claims
                .iter()
                .filter(|path| mark(claims, path, used))
                .cloned()
                .collect();
            if !present.is_empty() && matcher.holds(token) {
                facts.deprecated.push(DeprecatedUse {
                    claims: present,
                    note: rule.note.clone(),
                });
            }
        }
        facts
    }

    fn provider_match<'a>(
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

/// `profile` with every empty field taken from `base`. Booleans and the format can only be
/// switched on, never off, by an extending profile.
fn inherit(mut profile: ProviderProfile, base: &ProviderProfile) -> ProviderProfile {
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

/// A compiled [`Condition`].
#[derive(Debug, Clone)]
struct Matcher {
    claims: Vec<String>,
    matches: Vec<(String, Regex)>,
    header: Vec<(String, Regex)>,
    absent: Vec<String>,
}

impl Matcher {
    /// `what` names the condition's owner in error messages.
    fn new(condition: &Condition, what: &str) -> Result<Self, String> {
        let compile_all = |patterns: &BTreeMap<String, String>, kind: &str| {
            patterns
                .iter()
                .map(|(path, pattern)| {
                    compile(pattern)
                        .map(|regex| (path.clone(), regex))
                        .map_err(|e| format!("{what}: {kind} `{path}` = `{pattern}`: {e}"))
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

    fn holds(&self, token: Token<'_>) -> bool {
        let some_value_matches = |object: &Map<String, Value>, path: &str, regex: &Regex| {
            let mut hit = false;
            claim_paths::resolve(object, path, &mut |found| {
                claim_paths::for_each_scalar(found, &mut |s| hit |= regex.is_match(&s));
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

    /// The claims this condition looked at (not the absent ones) count as surfaced.
    fn mark_used<'a>(&self, claims: &'a Map<String, Value>, used: &mut Vec<&'a str>) {
        for path in self
            .claims
            .iter()
            .chain(self.matches.iter().map(|(path, _)| path))
        {
            mark(claims, path, used);
        }
    }

    /// `header kid; claims sid, sub`, for [`ProviderMatch::matched_by`].
    fn describe(&self) -> String {
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

/// Union of what `paths` reach, as strings, in path order without duplicates.
fn gather<'a>(
    claims: &'a Map<String, Value>,
    paths: &[String],
    split: Split,
    used: &mut Vec<&'a str>,
) -> Vec<String> {
    let mut out = Vec::new();
    for path in paths {
        used.extend(claim_paths::collect(claims, path, split, &mut out));
    }
    out
}

/// The first path that reaches a scalar.
fn first_scalar<'a>(
    claims: &'a Map<String, Value>,
    paths: &[String],
    used: &mut Vec<&'a str>,
) -> Option<String> {
    paths.iter().find_map(|path| {
        let (key, found) = claim_paths::first(claims, path)?;
        let value = claim_paths::scalar(found)?;
        used.push(key);
        Some(value.into_owned())
    })
}

/// Records the top-level claim `path` goes through; false if it reaches nothing.
fn mark<'a>(claims: &'a Map<String, Value>, path: &str, used: &mut Vec<&'a str>) -> bool {
    match claim_paths::first(claims, path) {
        Some((key, _)) => {
            used.push(key);
            true
        }
        None => false,
    }
}

/// Top-level claims that are neither registered nor surfaced, in token order.
fn custom_claims(claims: &Map<String, Value>, used: &[&str]) -> Vec<String> {
    claims
        .keys()
        .filter(|key| !REGISTERED.contains(&key.as_str()) && !used.contains(&key.as_str()))
        .cloned()
        .collect()
}

fn memberships<'a>(
    claims: &'a Map<String, Value>,
    spec: &MembershipSpec,
    used: &mut Vec<&'a str>,
) -> Vec<TenantMembership> {
    let Some((key, Found::Value(value))) = claim_paths::first(claims, &spec.path) else {
        return Vec::new();
    };
    used.push(key);
    let mut out = Vec::new();
    match value {
        Value::Object(map) if spec.keyed_by_role => {
            for (role, tenants) in map {
                for tenant in tenants.as_object().into_iter().flat_map(Map::keys) {
                    let roles = &mut membership(&mut out, tenant).roles;
                    claim_paths::push_unique(roles, role.into());
                }
            }
        }
        Value::Object(map) => {
            for (tenant, entry) in map {
                fill_membership(membership(&mut out, tenant), entry, spec);
            }
        }
        Value::Array(items) => {
            for item in items {
                let tenant = match item {
                    Value::Object(entry) => spec
                        .tenant
                        .iter()
                        .find_map(|path| claim_paths::first(entry, path))
                        .and_then(|(_, found)| claim_paths::scalar(found)),
                    other => claim_paths::scalar(Found::Value(other)),
                };
                if let Some(tenant) = tenant {
                    fill_membership(membership(&mut out, &tenant), item, spec);
                }
            }
        }
        _ => {}
    }
    out
}

/// The membership for `tenant`, added if new: a tenant listed twice is one membership.
fn membership<'m>(out: &'m mut Vec<TenantMembership>, tenant: &str) -> &'m mut TenantMembership {
    let index = match out.iter().position(|m| m.tenant == tenant) {
        Some(index) => index,
        None => {
            out.push(TenantMembership {
                tenant: tenant.to_owned(),
                roles: Vec::new(),
                permissions: Vec::new(),
            });
            out.len() - 1
        }
    };
    &mut out[index]
}

fn fill_membership(membership: &mut TenantMembership, entry: &Value, spec: &MembershipSpec) {
    let Value::Object(entry) = entry else { return };
    for path in &spec.roles {
        claim_paths::collect(entry, path, Split::Whole, &mut membership.roles);
    }
    for path in &spec.permissions {
        claim_paths::collect(entry, path, Split::Delimited, &mut membership.permissions);
    }
}

/// Clerk session token v2 keeps the active organization in `o` (`id`, `slg`, `rol`, `per`,
/// `fpm`) and the enabled features in the top-level `fea`. The role is `o.rol` without
/// the `org:` prefix that SDKs (and v1 `org_role`) show; the permissions are compressed,
/// see [`clerk_v2_permissions`].
fn clerk_v2<'a>(claims: &'a Map<String, Value>, facts: &mut TokenFacts, used: &mut Vec<&'a str>) {
    let Some((o_key, Value::Object(o))) = claims.get_key_value("o") else {
        return;
    };
    used.push(o_key);
    if let Some(role) = o.get("rol").and_then(Value::as_str) {
        claim_paths::push_unique(&mut facts.roles, format!("org:{role}").into());
    }
    let text = |value: Option<&'a Value>| value.and_then(|v| claim_paths::scalar(Found::Value(v)));
    let (Some(per), Some(fpm)) = (text(o.get("per")), text(o.get("fpm"))) else {
        return;
    };
    let Some((fea_key, fea)) = claims.get_key_value("fea") else {
        return;
    };
    let Some(fea) = text(Some(fea)) else { return };
    used.push(fea_key);
    for permission in clerk_v2_permissions(&fea, &per, &fpm) {
        claim_paths::push_unique(&mut facts.permissions, permission.into());
    }
}

/// Rebuilds Clerk v2 organization permissions `org:<feature>:<permission>`.
///
/// - `fea` lists features as `scope:name`, scope `o` (organization), `u` (user) or `ou`/`uo`
///   (both). Only organization-scoped features take part, in their order.
/// - `per` (`o.per`) lists permission names, comma-separated.
/// - `fpm` (`o.fpm`) holds one decimal integer per organization feature, in the same
///   order. Each is a bitmask over `per`, least significant bit first: bit `i` set grants
///   permission `per[i]` on that feature.
///
/// Example from Clerk's docs: `fea = "o:dashboard,o:teams"`, `per = "manage,read"`,
/// `fpm = "3,2"`: 3 = 0b11 grants dashboard manage and read; 2 = 0b10 grants teams read.
///
/// Sources: Clerk's session-token reference (clerk/clerk-docs
/// `docs/guides/sessions/session-tokens.mdx`, "Decode o.fpm manually": "the first bit
/// position in the bitmask is the rightmost, least significant bit. It corresponds to the
/// first permission in the o.per list"), and the SDK that decodes it, clerk/javascript
/// `packages/shared/src/jwtPayloadParser.ts` (`splitByScope`, `parsePermissions`,
/// `buildOrgPermissions`), including its test cases (`fpm "7,21"` over
/// `read,create,update,delete,revoke`). Early SDK builds read the bits most significant
/// first; the docs and current SDKs agree on least significant first. Like the current
/// SDK, masks are parsed as arbitrarily long decimals, a feature without a mask grants
/// nothing, and a mask that does not parse is skipped.
fn clerk_v2_permissions(fea: &str, per: &str, fpm: &str) -> Vec<String> {
    let permissions: Vec<&str> = per.split(',').map(str::trim).collect();
    let org_features = fea.split(',').filter_map(|entry| {
        let (scope, name) = entry.trim().split_once(':')?;
        scope.contains('o').then_some(name)
    });
    let mut out = Vec::new();
    for (feature, mask) in org_features.zip(fpm.split(',')) {
        let Some(bits) = decimal_bits(mask.trim()) else {
            continue;
        };
        for (permission, granted) in permissions.iter().zip(bits) {
            if granted {
                out.push(format!("org:{feature}:{permission}"));
            }
        }
    }
    out
}

/// The bits of a non-negative decimal of any length, least significant first (Clerk's
/// SDK accepts masks wider than any machine integer, so this does too).
fn decimal_bits(decimal: &str) -> Option<Vec<bool>> {
    if decimal.is_empty() || !decimal.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Schoolbook division by two on the decimal digits; each remainder is the next bit.
    let mut digits: Vec<u8> = decimal.bytes().map(|b| b - b'0').collect();
    let mut bits = Vec::new();
    while digits.iter().any(|&d| d != 0) {
        let mut remainder = 0;
        for digit in &mut digits {
            let value = remainder * 10 + *digit;
            *digit = value / 2;
            remainder = value % 2;
        }
        bits.push(remainder == 1);
    }
    Some(bits)
}

/// `pattern` anchored to the whole value.
fn anchor(pattern: &str) -> String {
    format!("^(?:{pattern})$")
}

fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(&anchor(pattern)).map_err(|e| one_line(&e))
}

/// The last line of a regex error: the multi-line form draws a caret under the pattern,
/// which a one-line config error cannot show.
fn one_line(error: &regex::Error) -> String {
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
    use std::sync::OnceLock;

    use serde_json::json;

    use super::*;

    fn registry() -> &'static ProviderRegistry {
        static REGISTRY: OnceLock<ProviderRegistry> = OnceLock::new();
        REGISTRY.get_or_init(ProviderRegistry::builtin)
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn read(claims: Value) -> TokenFacts {
        read_with(json!({"alg": "RS256", "typ": "JWT"}), claims)
    }

    fn read_with(header: Value, claims: Value) -> TokenFacts {
        registry().facts(&object(header), &object(claims))
    }

    fn provider(facts: &TokenFacts) -> &ProviderMatch {
        facts.provider.as_ref().expect("a provider is detected")
    }

    /// (id, variant) of the detected provider.
    fn detected(facts: &TokenFacts) -> (&str, Option<&str>) {
        let provider = provider(facts);
        (provider.id.as_str(), provider.variant.as_deref())
    }

    fn has_note(facts: &TokenFacts, needle: &str) -> bool {
        provider(facts)
            .notes
            .iter()
            .any(|note| note.contains(needle))
    }

    /// Profiles as a workspace config would hold them: `[[providers]]` tables.
    fn custom(toml_text: &str) -> Vec<ProviderProfile> {
        #[derive(Deserialize)]
        struct Config {
            providers: Vec<ProviderProfile>,
        }
        toml::from_str::<Config>(toml_text)
            .expect("valid custom profiles")
            .providers
    }

    #[test]
    fn embedded_profiles_parse_and_every_regex_compiles() {
        let file: ProfileFile = toml::from_str(BUILTIN).expect("providers.toml parses");
        // Compiles every issuer, detect, variant, deprecated and note pattern.
        let registry = ProviderRegistry::with_custom(&[]).expect("providers.toml compiles");
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
    fn clerk_v2_permissions_rebuild_from_per_fpm_and_org_features() {
        // Clerk's documented example: 3 = 0b11 and 2 = 0b10 over `manage,read`.
        assert_eq!(
            clerk_v2_permissions("o:dashboard,o:teams", "manage,read", "3,2"),
            [
                "org:dashboard:manage",
                "org:dashboard:read",
                "org:teams:read"
            ]
        );
        // User-only features take no mask: 7 = 0b00111, 21 = 0b10101 over five names.
        assert_eq!(
            clerk_v2_permissions(
                "o:repositories,uo:projects,u:goldprofileborder",
                "read,create,update,delete,revoke",
                "7,21"
            ),
            [
                "org:repositories:read",
                "org:repositories:create",
                "org:repositories:update",
                "org:projects:read",
                "org:projects:update",
                "org:projects:revoke",
            ]
        );
        // A feature without a mask grants nothing; a mask that does not parse is skipped.
        assert_eq!(
            clerk_v2_permissions(
                "o:repositories,o:projects,o:webhooks,o:impersonation",
                "read,manage",
                "1,2,3"
            ),
            [
                "org:repositories:read",
                "org:projects:manage",
                "org:webhooks:read",
                "org:webhooks:manage",
            ]
        );
        assert_eq!(
            clerk_v2_permissions("o:a,o:b", "read", "x,1"),
            ["org:b:read"]
        );
    }

    #[test]
    fn masks_wider_than_machine_integers_decode() {
        assert_eq!(decimal_bits("0"), Some(vec![]));
        assert_eq!(decimal_bits("6"), Some(vec![false, true, true]));
        assert_eq!(decimal_bits("-1"), None);
        // 2^130: only bit 130 set.
        let bits = decimal_bits("1361129467683753853853498429727072845824").expect("digits");
        assert_eq!(bits.len(), 131);
        assert_eq!(bits.iter().filter(|&&b| b).count(), 1);
        assert!(bits[130]);
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
        assert_eq!(
            facts.permissions,
            ["posts:read", "posts:write", "audit-logs", "new-dashboard"]
        );
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

        let cookie =
            read(json!({"iss": "https://session.firebase.google.com/acme-prod", "sub": "u"}));
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
        assert_eq!(detected(&facts), ("kinde", None));
        assert_eq!(facts.tenants, ["org_123abc"]);
        assert_eq!(facts.roles, ["admin"]);
        assert_eq!(
            facts.permissions,
            [
                "read:reports",
                "write:reports",
                "openid",
                "profile",
                "email",
                "offline"
            ]
        );
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
        assert_eq!(detected(&facts), ("frontegg", None));
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
