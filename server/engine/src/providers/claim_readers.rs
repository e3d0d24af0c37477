//! What a profile's claim paths read from a token: subject, tenants, roles, permissions,
//! session, authorized party, actor, multi-tenant memberships, deprecated claims, and
//! Clerk's compressed organization permissions. Records which top-level claims it read,
//! so that the rest can be listed as custom claims.

use jwtlens_settings::provider_profile::{ClaimFormat, MembershipSpec};
use serde_json::{Map, Value};

use super::claim_paths::{self, Found, Split};
use super::profiles::CompiledProfile;
use super::Token;
use crate::facts::{DeprecatedUse, TenantMembership, TokenFacts};

impl CompiledProfile {
    /// Every field of [`TokenFacts`] except `provider` and `custom_claims`; records in
    /// `used` the top-level claims it read.
    pub fn extract<'a>(&self, token: Token<'a>, used: &mut Vec<&'a str>) -> TokenFacts {
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
        match profile.format {
            ClaimFormat::Plain => {}
            ClaimFormat::ClerkV2 => clerk_v2(claims, &mut facts, used),
            ClaimFormat::StackAuth => stack_auth_project(claims, &mut facts, used),
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
pub(super) fn mark<'a>(
    claims: &'a Map<String, Value>,
    path: &str,
    used: &mut Vec<&'a str>,
) -> bool {
    match claim_paths::first(claims, path) {
        Some((key, _)) => {
            used.push(key);
            true
        }
        None => false,
    }
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

/// Stack Auth's project id from `aud`, as its backend reads it (`aud.split(":")[0]` in
/// stack-auth/stack-auth `apps/backend/src/lib/tokens.tsx`, 2f719903b, lines 98 and 166):
/// the audience is the project id, with `:anon` or `:restricted` appended for anonymous and
/// restricted users. Older camelCase tokens (before bba4db2ab, 2025-09-14) carry the
/// project id nowhere else but `iss`.
fn stack_auth_project<'a>(
    claims: &'a Map<String, Value>,
    facts: &mut TokenFacts,
    used: &mut Vec<&'a str>,
) {
    let Some((aud_key, Value::String(aud))) = claims.get_key_value("aud") else {
        return;
    };
    used.push(aud_key);
    let project = aud.split(':').next().unwrap_or_default();
    claim_paths::push_unique(&mut facts.tenants, project.into());
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
