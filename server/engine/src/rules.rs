//! The checklist: each rule is a small pure function over one decoded token.
//!
//! Codes and names are stable: they appear in diagnostics, `check` output, SARIF,
//! suppressions and config, so they never change once released.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::decode::{Body, DecodedToken};
use crate::facts::TokenFacts;
use crate::scan::TokenKind;
use crate::timefmt;
use jwtlens_keys::key::{Family, Origin};
use jwtlens_keys::known_secrets::{self, KnownSecret};
use jwtlens_keys::ring::{KeyRing, Outcome, Verdict};
use jwtlens_keys::verify::RemoteOutcome;
use jwtlens_settings::{Level, PermissionsShape, Settings};

/// A rule's default weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Critical,
    Warning,
    Info,
}

impl Tier {
    /// Critical → Error, warning → Warning, info → Information.
    pub fn level(self) -> Level {
        match self {
            Tier::Critical => Level::Error,
            Tier::Warning => Level::Warning,
            Tier::Info => Level::Info,
        }
    }
}

/// What fixture context (tests, samples, docs) does to a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InFixtures {
    /// Reported as usual.
    Keep,
    /// Lowered to Hint, with "— fixture" in the message (the time rules).
    Hint,
    /// Not reported (JWT104: a committed fixture is not a live credential).
    Skip,
    /// Lowered to Warning in test and docs paths, kept by shape alone (JWT001, JWT101): in a
    /// test suite an unsigned or forgeable token is what the test is about, while a sample
    /// sitting in source code means production accepts it.
    WarnInTestPaths,
}

/// One checklist rule.
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub tier: Tier,
    pub in_fixtures: InFixtures,
    /// One line for docs, SARIF and `--help`.
    pub summary: &'static str,
    check: fn(&Context) -> Option<String>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

impl Rule {
    /// Whether `key` names this rule, by code (any case) or by name.
    pub fn is(&self, key: &str) -> bool {
        self.code.eq_ignore_ascii_case(key) || self.name == key
    }

    /// Runs the check: the message when the rule fires.
    pub fn check(&self, context: &Context) -> Option<String> {
        (self.check)(context)
    }
}

/// What a rule sees of one token.
pub struct Context<'a> {
    pub token: &'a DecodedToken,
    pub facts: &'a TokenFacts,
    pub settings: &'a Settings,
    /// Seconds since the epoch.
    pub now: i64,
    /// The publicly known secret that verifies this token, found once per token by the
    /// caller because it also makes the token a known sample (fixture context).
    pub known_secret: Option<&'static KnownSecret>,
    /// What the workspace's keys say about the signature, when it has keys.
    pub verdict: Option<&'a Verdict>,
    pub keys: &'a KeyRing,
    /// The outcome of a verification the user asked for.
    pub remote: Option<&'a RemoteOutcome>,
}

impl Context<'_> {
    fn claims(&self) -> Option<&Map<String, Value>> {
        self.token.claims()
    }

    fn is_jws(&self) -> bool {
        self.token.kind == TokenKind::Jws
    }
}

/// Every rule this build runs, in report order.
pub static RULES: &[Rule] = &[
    Rule { code: "JWT001", name: "alg-none", tier: Tier::Critical, in_fixtures: InFixtures::WarnInTestPaths,
        summary: "The token is unsigned: alg is none, or the signature is empty.", check: alg_none },
    Rule { code: "JWT002", name: "symmetric-public-issuer", tier: Tier::Critical, in_fixtures: InFixtures::Keep,
        summary: "An HMAC (HS*) token names a public issuer: every verifier holds the secret and can mint tokens.", check: symmetric_public_issuer },
    Rule { code: "JWT003", name: "expired", tier: Tier::Critical, in_fixtures: InFixtures::Hint,
        summary: "exp is in the past.", check: expired },
    Rule { code: "JWT004", name: "not-yet-valid", tier: Tier::Critical, in_fixtures: InFixtures::Hint,
        summary: "nbf is in the future.", check: not_yet_valid },
    Rule { code: "JWT005", name: "no-exp", tier: Tier::Critical, in_fixtures: InFixtures::Hint,
        summary: "The token has no exp: it never expires.", check: no_exp },
    Rule { code: "JWT006", name: "tenant-in-sub", tier: Tier::Warning, in_fixtures: InFixtures::Keep,
        summary: "sub embeds the token's tenant, so one user has a different identity per tenant.", check: tenant_in_sub },
    Rule { code: "JWT007", name: "wildcard-permissions", tier: Tier::Warning, in_fixtures: InFixtures::Keep,
        summary: "A permission, scope or role is a wildcard, or the token carries more than 20 permissions.", check: wildcard_permissions },
    Rule { code: "JWT008", name: "long-lifetime", tier: Tier::Warning, in_fixtures: InFixtures::Hint,
        summary: "exp - iat is longer than the lifetime threshold (24 h by default).", check: long_lifetime },
    Rule { code: "JWT009", name: "missing-aud", tier: Tier::Warning, in_fixtures: InFixtures::Keep,
        summary: "No aud claim: any service that trusts the issuer would accept the token.", check: missing_aud },
    Rule { code: "JWT010", name: "admin-many-tenants", tier: Tier::Warning, in_fixtures: InFixtures::Keep,
        summary: "The token grants an admin or owner role in 5 or more tenants.", check: admin_many_tenants },
    Rule { code: "JWT011", name: "impersonation", tier: Tier::Info, in_fixtures: InFixtures::Keep,
        summary: "Someone acts on behalf of the subject (act, on_behalf_of, impersonator_user_id).", check: impersonation },
    Rule { code: "JWT012", name: "uncommon-alg", tier: Tier::Info, in_fixtures: InFixtures::Keep,
        summary: "alg is not RS256, ES256 or HS256.", check: uncommon_alg },
    Rule { code: "JWT013", name: "no-jti", tier: Tier::Info, in_fixtures: InFixtures::Keep,
        summary: "No jti: a single token cannot be revoked.", check: no_jti },
    Rule { code: "JWT101", name: "known-secret", tier: Tier::Critical, in_fixtures: InFixtures::WarnInTestPaths,
        summary: "An HS* token verifies with a publicly known secret: anyone can forge it.", check: known_secret },
    Rule { code: "JWT102", name: "secret-in-workspace", tier: Tier::Warning, in_fixtures: InFixtures::Keep,
        summary: "The HMAC secret that verifies this token sits in the workspace: anyone who can read the repository can forge tokens.", check: secret_in_workspace },
    Rule { code: "JWT103", name: "privileged-key", tier: Tier::Critical, in_fixtures: InFixtures::Keep,
        summary: "A key meant only for servers: Supabase service_role, a client-credentials (machine) token.", check: privileged_key },
    Rule { code: "JWT104", name: "live-credential", tier: Tier::Critical, in_fixtures: InFixtures::Skip,
        summary: "A signed, unexpired token from a real issuer outside fixture context: a committed credential.", check: live_credential },
    Rule { code: "JWT105", name: "user-controlled-authz", tier: Tier::Warning, in_fixtures: InFixtures::Keep,
        summary: "Authorization data sits in claims the user can edit (user_metadata and the like).", check: user_controlled_authz },
    Rule { code: "JWT106", name: "policy-mismatch", tier: Tier::Warning, in_fixtures: InFixtures::Keep,
        summary: "The workspace policy (issuers, audiences, parties, required claims, permissions shape) rejects the token.", check: policy_mismatch },
    Rule { code: "JWT107", name: "malformed", tier: Tier::Info, in_fixtures: InFixtures::Keep,
        summary: "A JWT-shaped string whose header or payload does not decode, or whose exp, nbf or iat is not a NumericDate.", check: malformed },
    Rule { code: "JWT108", name: "encrypted", tier: Tier::Info, in_fixtures: InFixtures::Keep,
        summary: "A five-part JWE: only the protected header can be read.", check: encrypted },
    Rule { code: "JWT109", name: "bound-token", tier: Tier::Info, in_fixtures: InFixtures::Keep,
        summary: "A cnf claim binds the token to a key or certificate (DPoP, mTLS).", check: bound_token },
    Rule { code: "JWT110", name: "deprecated-format", tier: Tier::Info, in_fixtures: InFixtures::Keep,
        summary: "A provider's deprecated token format.", check: deprecated_format },
    Rule { code: "JWT111", name: "signature-invalid", tier: Tier::Critical, in_fixtures: InFixtures::Keep,
        summary: "A verification ran (workspace keys, or issuer keys on request) and no key verified the signature, or the token's crit header makes it invalid for every key.", check: signature_invalid },
    Rule { code: "JWT112", name: "alg-confusion", tier: Tier::Critical, in_fixtures: InFixtures::Keep,
        summary: "An HS* token whose HMAC secret is the text of a public key in the workspace: the RS-to-HS algorithm-confusion attack.", check: alg_confusion },
    Rule { code: "JWT113", name: "key-search-capped", tier: Tier::Info, in_fixtures: InFixtures::Keep,
        summary: "The workspace has more keys of the token's type than jwtlens tries per token, and none of those tried verified it.", check: key_search_capped },
    // Clerk JWT templates (`clerk_template`): these judge a template file, not a token.
    Rule { code: "JWT114", name: "clerk-template-older-shortcode", tier: Tier::Info, in_fixtures: InFixtures::Keep,
        summary: "A Clerk JWT template uses the older {{organization.*}} form of an {{org.*}} shortcode.", check: template_rule },
    Rule { code: "JWT115", name: "clerk-template-unknown-shortcode", tier: Tier::Warning, in_fixtures: InFixtures::Keep,
        summary: "A Clerk JWT template uses a shortcode Clerk does not know: the claim is null in every token.", check: template_rule },
    Rule { code: "JWT116", name: "clerk-template-reserved-claim", tier: Tier::Warning, in_fixtures: InFixtures::Keep,
        summary: "A Clerk JWT template sets a claim Clerk reserves (sub, iss, exp…, or a session claim): the value never reaches the token.", check: template_rule },
    Rule { code: "JWT117", name: "clerk-template-lifetime", tier: Tier::Warning, in_fixtures: InFixtures::Keep,
        summary: "A Clerk JWT template's token lifetime is under 30 s or over the lifetime threshold (24 h by default).", check: template_rule },
    Rule { code: "JWT118", name: "clerk-template-missing-claim", tier: Tier::Warning, in_fixtures: InFixtures::Keep,
        summary: "A Clerk JWT template does not emit a claim the workspace policy requires.", check: template_rule },
    Rule { code: "JWT120", name: "milliseconds-timestamp", tier: Tier::Warning, in_fixtures: InFixtures::Hint,
        summary: "exp, nbf or iat is in milliseconds: verifiers read seconds, so the token never expires (exp) or is not valid for millennia (nbf, iat).", check: milliseconds_timestamp },
];

/// The rule with this code or name.
pub fn find(key: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.is(key))
}

/// The check of the Clerk template rules as token rules: they never fire on a token, as
/// `clerk_template` runs them over template files.
fn template_rule(_: &Context) -> Option<String> {
    None
}

fn alg_none(cx: &Context) -> Option<String> {
    if !cx.is_jws() {
        return None;
    }
    let alg = cx.token.alg();
    if alg.eq_ignore_ascii_case("none") {
        Some(format!(
            "alg is \"{alg}\": the token is unsigned, so anyone can write one"
        ))
    } else if cx.token.segments[2].is_empty()
        && !cx.token.segments[1].is_empty()
        && !cx.token.signature_elided
    {
        Some(format!(
            "the signature is empty although alg is {alg}: the token is unsigned"
        ))
    } else {
        None
    }
}

fn symmetric_public_issuer(cx: &Context) -> Option<String> {
    known_secrets::hmac_algorithm(cx.token.alg())?;
    let iss = cx.token.str_claim("iss")?;
    if is_keycloak_internal(cx.token) {
        return None;
    }
    let public_idp = cx
        .facts
        .provider
        .as_ref()
        .is_some_and(|provider| provider.public_idp);
    ((iss.starts_with("https://") && is_real_issuer(iss)) || public_idp).then(|| {
        format!(
            "{} with the public issuer {iss}: every service that verifies it holds the secret and can mint tokens",
            cx.token.alg()
        )
    })
}

/// Keycloak refresh and offline tokens (`typ` Refresh or Offline in the payload): Keycloak
/// signs them with an HMAC realm key by design and is their only verifier, so the secret
/// never has to leave it.
/// <https://www.keycloak.org/docs/latest/server_admin/#_offline-access>
fn is_keycloak_internal(token: &DecodedToken) -> bool {
    matches!(token.str_claim("typ"), Some("Refresh" | "Offline"))
}

fn expired(cx: &Context) -> Option<String> {
    let exp = cx.token.numeric_claim("exp")?;
    (exp.saturating_add(skew(cx)) < cx.now).then(|| {
        format!(
            "expired {} ({})",
            timefmt::relative(exp, cx.now),
            timefmt::utc_date(exp)
        )
    })
}

fn not_yet_valid(cx: &Context) -> Option<String> {
    let nbf = cx.token.numeric_claim("nbf")?;
    (nbf.saturating_sub(skew(cx)) > cx.now).then(|| {
        format!(
            "not valid until {} ({})",
            timefmt::utc_date(nbf),
            timefmt::relative(nbf, cx.now)
        )
    })
}

fn skew(cx: &Context) -> i64 {
    i64::try_from(cx.settings.clock_skew).unwrap_or(i64::MAX)
}

fn no_exp(cx: &Context) -> Option<String> {
    (!cx.claims()?.contains_key("exp")).then(|| "no exp: this token never expires".to_owned())
}

fn tenant_in_sub(cx: &Context) -> Option<String> {
    let sub = cx.token.str_claim("sub")?;
    let tenant = cx
        .facts
        .tenants
        .iter()
        .find(|tenant| tenant.len() >= 3 && sub != *tenant && sub.contains(tenant.as_str()))?;
    Some(format!(
        "sub \"{sub}\" embeds the tenant \"{tenant}\": the same person gets another identity in each tenant; keep the tenant in its own claim"
    ))
}

const MAX_PERMISSIONS: usize = 20;

fn wildcard_permissions(cx: &Context) -> Option<String> {
    let membership_grants = cx
        .facts
        .memberships
        .iter()
        .flat_map(|m| m.permissions.iter().chain(&m.roles));
    let mut grants = cx
        .facts
        .permissions
        .iter()
        .chain(&cx.facts.roles)
        .chain(membership_grants);
    if let Some(wildcard) = grants.find(|grant| is_wildcard(grant)) {
        return Some(format!(
            "wildcard grant \"{wildcard}\" allows everything it covers, including what is added later"
        ));
    }
    let count = cx.facts.permissions.len();
    (count > MAX_PERMISSIONS).then(|| {
        format!(
            "{count} permissions in one token (more than {MAX_PERMISSIONS}): least privilege is hard to see"
        )
    })
}

fn is_wildcard(grant: &str) -> bool {
    grant == "*" || grant.ends_with(":*") || grant.ends_with(".*") || grant.ends_with("/*")
}

fn long_lifetime(cx: &Context) -> Option<String> {
    let lifetime = cx
        .token
        .numeric_claim("exp")?
        .checked_sub(cx.token.numeric_claim("iat")?)?;
    let threshold = cx.settings.lifetime_threshold;
    (lifetime > 0 && lifetime.unsigned_abs() > threshold).then(|| {
        format!(
            "lifetime {} (exp - iat) is longer than {}",
            timefmt::duration(lifetime.unsigned_abs()),
            timefmt::duration(threshold)
        )
    })
}

fn missing_aud(cx: &Context) -> Option<String> {
    if cx.claims()?.contains_key("aud") {
        return None;
    }
    let provider = cx.facts.provider.as_ref();
    let message = match (provider.map(|p| p.id.as_str()), cx.token.str_claim("token_use")) {
        (Some("cognito"), Some("access")) => format!(
            "no aud: Cognito access tokens carry client_id ({}) instead; check client_id and token_use",
            cx.token.str_claim("client_id").unwrap_or("missing")
        ),
        (Some("clerk"), _) => {
            "no aud: Clerk session tokens have none by default; check azp against your allowed origins"
                .to_owned()
        }
        _ => "no aud: any service that trusts this issuer would accept the token".to_owned(),
    };
    Some(message)
}

const ADMIN_TENANT_LIMIT: usize = 5;

fn admin_many_tenants(cx: &Context) -> Option<String> {
    let mut admin_tenants: Vec<&str> = cx
        .facts
        .memberships
        .iter()
        .filter(|membership| membership.roles.iter().any(|role| is_admin_role(role)))
        .map(|membership| membership.tenant.as_str())
        .collect();
    // Flat role lists that name the tenant, such as Cognito groups `acme:admin`.
    admin_tenants.extend(
        cx.facts
            .roles
            .iter()
            .filter_map(|role| tenant_of_admin_role(role)),
    );
    admin_tenants.sort_unstable();
    admin_tenants.dedup();
    (admin_tenants.len() >= ADMIN_TENANT_LIMIT).then(|| {
        format!(
            "admin or owner in {} tenants ({}): one stolen token opens all of them",
            admin_tenants.len(),
            admin_tenants.join(", ")
        )
    })
}

fn is_admin_role(role: &str) -> bool {
    let role = role.to_ascii_lowercase();
    ["admin", "owner", "superuser", "root"].iter().any(|word| {
        role.split([':', '-', '_', '/', '.', ' '])
            .any(|part| part == *word)
    })
}

/// `acme:admin`, `admin:acme`, `acme-admin` → `acme` (but not Clerk's literal `org:admin`).
fn tenant_of_admin_role(role: &str) -> Option<&str> {
    let (left, right) = role
        .split_once([':', '/'])
        .or_else(|| role.rsplit_once(['-', '_']))?;
    let tenant = match (is_admin_role(left), is_admin_role(right)) {
        (false, true) => left,
        (true, false) => right,
        _ => return None,
    };
    (!tenant.is_empty() && tenant != "org").then_some(tenant)
}

fn impersonation(cx: &Context) -> Option<String> {
    let (claim, actor) = cx.facts.actor.as_ref()?;
    let actor = match actor {
        Value::Object(act) => act
            .get("sub")
            .map(display_value)
            .unwrap_or_else(|| Value::Object(act.clone()).to_string()),
        other => display_value(other),
    };
    let subject = cx.token.str_claim("sub").unwrap_or("the subject");
    Some(format!("{actor} acts as {subject} ({claim})"))
}

fn display_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn uncommon_alg(cx: &Context) -> Option<String> {
    let alg = cx.token.alg();
    let common = ["RS256", "ES256", "HS256"].contains(&alg) || alg.eq_ignore_ascii_case("none");
    (cx.is_jws() && cx.token.header_error.is_none() && !common).then(|| {
        format!("alg {alg} is uncommon: check that every verifier supports and expects it")
    })
}

fn no_jti(cx: &Context) -> Option<String> {
    (!cx.claims()?.contains_key("jti"))
        .then(|| "no jti: this single token cannot be revoked".to_owned())
}

fn known_secret(cx: &Context) -> Option<String> {
    cx.known_secret
        .map(|known| format!("signed with {}: anyone can forge this token", known.origin))
}

fn secret_in_workspace(cx: &Context) -> Option<String> {
    let Outcome::Verified(index) = cx.verdict?.outcome else {
        return None;
    };
    let key = cx.keys.key(index);
    (key.family == Family::Hmac && key.origin == Origin::Workspace).then(|| {
        format!(
            "verifies with the HMAC secret in {}: anyone who can read the repository can forge tokens",
            key.source
        )
    })
}

fn signature_invalid(cx: &Context) -> Option<String> {
    if let Some(RemoteOutcome::Failed { reason }) = cx.remote {
        return Some(format!(
            "signature check against the issuer's keys failed: {reason}"
        ));
    }
    let (index, mismatch) = match &cx.verdict?.outcome {
        Outcome::Failed(index, mismatch) => (index, mismatch),
        Outcome::Refused(problem) => {
            return Some(format!("no key can verify this token: {problem}"))
        }
        Outcome::Verified(_) | Outcome::Uncovered => return None,
    };
    let key = cx.keys.key(*index);
    let kid = key
        .kid
        .as_deref()
        .map(|kid| format!(" (kid {kid})"))
        .unwrap_or_default();
    Some(format!(
        "signature does not verify with {}{kid}: {mismatch}",
        key.source
    ))
}

fn key_search_capped(cx: &Context) -> Option<String> {
    let verdict = cx.verdict?;
    let mut searches = Vec::new();
    if let Some(capped) = verdict.capped {
        searches.push(format!(
            "{capped} workspace keys that could verify {}",
            cx.token.alg()
        ));
    }
    if let Some(capped) = verdict.confusion_capped {
        searches.push(format!("the RS-to-HS confusion check {capped} public keys"));
    }
    if searches.is_empty() {
        return None;
    }
    Some(format!(
        "{}, and none verified it; give the token a kid or narrow keys.*",
        searches.join("; ")
    ))
}

fn alg_confusion(cx: &Context) -> Option<String> {
    let key = cx.keys.key(cx.verdict?.confusion?);
    Some(format!(
        "{} token whose HMAC secret is the public key in {}: the RS-to-HS algorithm-confusion attack; pin the algorithm in every verifier",
        cx.token.alg(),
        key.source
    ))
}

fn privileged_key(cx: &Context) -> Option<String> {
    if cx.token.str_claim("role") == Some("service_role") {
        return Some(
            "Supabase service_role key: it bypasses row-level security and must never leave the server"
                .to_owned(),
        );
    }
    if cx.token.str_claim("gty") == Some("client-credentials") {
        let client = cx.token.str_claim("sub").unwrap_or("a client");
        return Some(format!(
            "machine-to-machine (client-credentials) token for {client}: a server credential"
        ));
    }
    None
}

fn live_credential(cx: &Context) -> Option<String> {
    let claims = cx.claims()?;
    if alg_none(cx).is_some() {
        return None;
    }
    let iss = cx.token.str_claim("iss")?;
    if !is_real_issuer(iss) || is_supabase_anon_key(cx) {
        return None;
    }
    let validity = match cx.token.numeric_claim("exp") {
        Some(exp) if exp <= cx.now => return None,
        Some(exp) if timefmt::from_milliseconds(exp).is_some() => {
            "never expires in practice: exp is in milliseconds".to_owned()
        }
        Some(exp) => format!(
            "valid for another {}",
            timefmt::duration(exp.abs_diff(cx.now))
        ),
        None if claims.contains_key("exp") => return None,
        None => "never expires".to_owned(),
    };
    Some(format!(
        "looks like a live credential (issued by {iss}, {validity}): revoke it and commit a test token instead"
    ))
}

/// A Supabase anon key: public by design (it ships in every browser client; row-level
/// security is the control), so committing it revokes nothing.
/// <https://supabase.com/docs/guides/api/api-keys>
fn is_supabase_anon_key(cx: &Context) -> bool {
    cx.token.str_claim("role") == Some("anon")
        && cx
            .facts
            .provider
            .as_ref()
            .is_some_and(|provider| provider.id == "supabase-api-key")
}

/// Issuers that cannot be production: `urn:` names (no host to serve keys), reserved names,
/// loopback, demo names.
fn is_real_issuer(iss: &str) -> bool {
    if iss.len() >= 4 && iss[..4].eq_ignore_ascii_case("urn:") {
        return false;
    }
    let host = issuer_host(iss);
    !(host.is_empty()
        || is_reserved_host(&host)
        || ["demo", "test", "sample", "example", "fake", "mock"]
            .iter()
            .any(|word| host.contains(word))
        || host == "joe")
}

/// Issuers that name a namespace or host reserved for examples and tests, so no token of
/// theirs can be live: `urn:example:…` (RFC 6963), `example.com/.net/.org` and their
/// subdomains (RFC 2606), `*.example`, `*.test`, `*.invalid`, `*.localhost`, `*.local`,
/// `localhost` and loopback (RFC 6761, RFC 6762).
pub fn is_reserved_issuer(iss: &str) -> bool {
    let lower = iss.to_ascii_lowercase();
    lower.starts_with("urn:example:") || is_reserved_host(&issuer_host(iss))
}

/// The host an issuer names, lower case: `https://Auth.Example.com:8443/x` → `auth.example.com`.
fn issuer_host(iss: &str) -> String {
    iss.split_once("://")
        .map_or(iss, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .map(|authority| match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => authority,
        })
        .unwrap_or("")
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

fn is_reserved_host(host: &str) -> bool {
    const NAMES: &[&str] = &[
        "localhost",
        "example",
        "test",
        "invalid",
        "local",
        "example.com",
        "example.net",
        "example.org",
        "0.0.0.0",
        "[::1]",
    ];
    NAMES.iter().any(|name| {
        host == *name
            || host
                .strip_suffix(name)
                .is_some_and(|rest| rest.ends_with('.'))
    }) || host.starts_with("127.")
}

/// Claim objects that the end user can write to.
const USER_EDITABLE: &[&str] = &[
    "user_metadata",
    "unsafe_metadata",
    "unsafeMetadata",
    "client_metadata",
    "clientMetadata",
];
/// Keys that look like authorization data.
const AUTHZ_KEYS: &[&str] = &[
    "role",
    "roles",
    "tenant",
    "tenant_id",
    "tenantId",
    "org",
    "org_id",
    "orgId",
    "organization",
    "permissions",
    "scopes",
    "groups",
    "admin",
    "is_admin",
    "isAdmin",
    "plan",
    "team_id",
    "teamId",
];

fn user_controlled_authz(cx: &Context) -> Option<String> {
    let claims = cx.claims()?;
    USER_EDITABLE.iter().find_map(|container| {
        let fields = claims.get(*container)?.as_object()?;
        let key = AUTHZ_KEYS.iter().find(|key| fields.contains_key(**key))?;
        Some(format!(
            "{container}.{key} is editable by the user: never use it for authorization (use app-controlled claims such as app_metadata)"
        ))
    })
}

fn policy_mismatch(cx: &Context) -> Option<String> {
    let claims = cx.claims()?;
    let policy = &cx.settings.policy;
    let iss = cx.token.str_claim("iss");
    if !policy.issuers.is_empty()
        && !iss.is_some_and(|iss| policy.issuers.iter().any(|allowed| allowed == iss))
    {
        let hint = iss
            .and_then(|iss| {
                policy
                    .issuers
                    .iter()
                    .find(|allowed| allowed.trim_end_matches('/') == iss.trim_end_matches('/'))
            })
            .map(|near| format!(" (differs from {near} only in the trailing slash)"))
            .unwrap_or_default();
        return Some(format!(
            "Invalid issuer: {} is not an expected issuer{hint}",
            iss.unwrap_or("no iss")
        ));
    }
    if !policy.audiences.is_empty() {
        let audiences = string_list(claims.get("aud"));
        if !audiences.iter().any(|aud| policy.audiences.contains(aud)) {
            return Some(format!(
                "Invalid audience: {} is not one of {}",
                if audiences.is_empty() {
                    "no aud".to_owned()
                } else {
                    audiences.join(", ")
                },
                policy.audiences.join(", ")
            ));
        }
    }
    if !policy.authorized_parties.is_empty() {
        let azp = cx.token.str_claim("azp");
        if !azp.is_some_and(|azp| {
            policy
                .authorized_parties
                .iter()
                .any(|allowed| allowed == azp)
        }) {
            return Some(format!(
                "Invalid authorized party: {} is not allowed",
                azp.unwrap_or("no azp")
            ));
        }
    }
    if let Some(missing) = policy
        .required_claims
        .iter()
        .find(|claim| !claims.contains_key(claim.as_str()))
    {
        return Some(format!("Missing required claim: {missing}"));
    }
    if let (Some(claim), Some(shape)) = (&policy.permissions_claim, policy.permissions_shape) {
        let fits = match (claims.get(claim), shape) {
            (None, _) => true,
            (Some(Value::Array(items)), PermissionsShape::Array) => {
                items.iter().all(Value::is_string)
            }
            (Some(Value::String(_)), PermissionsShape::SpaceDelimited) => true,
            _ => false,
        };
        if !fits {
            let expected = match shape {
                PermissionsShape::Array => "an array of strings",
                PermissionsShape::SpaceDelimited => "a space-delimited string",
            };
            return Some(format!(
                "Invalid permissions claim: {claim} must be {expected}"
            ));
        }
    }
    None
}

/// A list of strings from a string or an array of strings (`aud`, a permissions claim).
pub(crate) fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn malformed(cx: &Context) -> Option<String> {
    if let Some(err) = &cx.token.header_error {
        let payload = match &cx.token.body {
            Body::Claims(_) => "the payload is readable, but",
            _ => "and",
        };
        return Some(format!(
            "JWT-shaped, but its header {err}: {payload} no verifier accepts the token"
        ));
    }
    match &cx.token.body {
        Body::Malformed(err) => Some(format!("JWT-shaped, but its payload {err}")),
        Body::Claims(claims) => jwtlens_jose::numeric_date_problem(claims).map(|problem| {
            format!("{problem}: verifiers reject the token, and when it expires is unknown")
        }),
        Body::Encrypted => None,
    }
}

/// What verifiers do with a NumericDate in milliseconds: they compare it with the time in
/// seconds, so it lies about 1000 times further from 1970 than meant.
/// - exp: never reached. PyJWT `exp <= now - leeway` (jwt/api_jwt.py:507 at dcc27a9),
///   jsonwebtoken (Rust) `exp - … < now - leeway` (src/validation.rs:283 at 6086da7), jose
///   `exp <= now - tolerance` (src/lib/jwt_claims_set.ts:227 at afbc664), jsonwebtoken
///   (Node) `clockTimestamp >= payload.exp + …` (verify.js:189 at bc28861).
/// - nbf: always in the future: PyJWT (api_jwt.py:491), jose (jwt_claims_set.ts:215) and
///   jsonwebtoken (Node, verify.js:180) reject the token; jsonwebtoken (Rust) checks nbf
///   only with `validate_nbf`.
/// - iat: in the future: PyJWT rejects it ("not yet valid (iat)", api_jwt.py:477), jose
///   does when `maxTokenAge` is set (jwt_claims_set.ts:250).
fn milliseconds_timestamp(cx: &Context) -> Option<String> {
    let consequence = |claim| {
        match claim {
        "exp" => "PyJWT, jsonwebtoken (Rust and Node) and jose compare exp with the time in seconds, so the token never expires",
        "nbf" => "PyJWT, jose and jsonwebtoken (Node) compare nbf with the time in seconds and reject the token as not yet valid",
        _ => "PyJWT rejects the token as issued in the future (iat), and so does jose when maxTokenAge is set",
    }
    };
    let problems: Vec<String> = ["exp", "nbf", "iat"]
        .into_iter()
        .filter_map(|claim| {
            let value = cx.token.numeric_claim(claim)?;
            let seconds = timefmt::from_milliseconds(value)?;
            Some(format!(
                "{claim} {value} is in milliseconds ({}; read as seconds it is {}): {}",
                timefmt::utc_date(seconds),
                timefmt::utc_date(value),
                consequence(claim)
            ))
        })
        .collect();
    (!problems.is_empty()).then(|| format!("{}; write seconds", problems.join("; ")))
}

fn encrypted(cx: &Context) -> Option<String> {
    (cx.token.kind == TokenKind::Jwe).then(|| {
        let field = |name| cx.token.header_str(name).unwrap_or("?");
        let kid = cx.token.header_str("kid").map(|kid| format!(", kid {kid}")).unwrap_or_default();
        format!(
            "encrypted JWE (alg {}, enc {}{kid}): the payload cannot be read without the recipient's key",
            field("alg"),
            field("enc")
        )
    })
}

fn bound_token(cx: &Context) -> Option<String> {
    let cnf = cx.claims()?.get("cnf")?;
    let binding = match cnf {
        Value::Object(fields) if fields.contains_key("jkt") => "a DPoP key (cnf.jkt)",
        Value::Object(fields) if fields.contains_key("x5t#S256") => {
            "a client certificate (cnf.x5t#S256, RFC 8705)"
        }
        Value::Object(fields) if fields.contains_key("jwk") => "a public key (cnf.jwk)",
        _ => "a key (cnf)",
    };
    Some(format!("bound to {binding}: shown, not validated"))
}

fn deprecated_format(cx: &Context) -> Option<String> {
    let first = cx.facts.deprecated.first()?;
    Some(format!(
        "deprecated claims {}: {}",
        first.claims.join(", "),
        first.note
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{DeprecatedUse, ProviderMatch, TenantMembership};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    /// A token text, decoded, with facts and settings to run rules against.
    struct Case {
        text: String,
        token: DecodedToken,
        facts: TokenFacts,
        settings: Settings,
        keys: KeyRing,
        remote: Option<RemoteOutcome>,
    }

    impl Case {
        fn new(header: Value, claims: Value) -> Case {
            let part = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
            Case::from_text(format!("{}.{}.c2lnbmF0dXJl", part(&header), part(&claims)))
        }

        fn from_text(text: String) -> Case {
            let candidate = crate::decode::tests::candidate(&text);
            let token = DecodedToken::decode(text.as_bytes(), &candidate).unwrap();
            Case {
                text,
                token,
                facts: TokenFacts::default(),
                settings: Settings::default(),
                keys: KeyRing::default(),
                remote: None,
            }
        }

        /// An HS256 token with this header and claims, signed with `secret`.
        fn signed_as(header: Value, claims: Value, secret: &str) -> Case {
            let part = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
            let input = format!("{}.{}", part(&header), part(&claims));
            let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
            let signature =
                jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::HS256)
                    .unwrap();
            Case::from_text(format!("{input}.{signature}"))
        }

        /// A real HS256 token signed with `secret`.
        fn signed(secret: &str) -> Case {
            let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
            let claims = json!({"iss": "https://api.acme.io", "sub": "u1"});
            let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            Case::from_text(jsonwebtoken::encode(&header, &claims, &key).unwrap())
        }

        fn with_secrets(mut self, secrets: &[&str]) -> Case {
            let settings = jwtlens_settings::KeySettings {
                secrets: secrets.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            };
            self.keys = KeyRing::load(None, &settings, None);
            self
        }

        fn provider(mut self, id: &str) -> Case {
            self.facts.provider = Some(ProviderMatch {
                id: id.to_owned(),
                name: id.to_owned(),
                variant: None,
                matched_by: "test".to_owned(),
                notes: Vec::new(),
                public_idp: true,
            });
            self
        }

        fn run(&self, code: &str) -> Option<String> {
            let text = self.text.as_bytes();
            let known_secret = known_secrets::find_known_secret(
                self.token.alg(),
                self.token.signing_input(text),
                self.token.signature_text(text),
            );
            let verdict = self
                .token
                .signed(text)
                .and_then(|signed| self.keys.verdict(&signed));
            let cx = Context {
                token: &self.token,
                facts: &self.facts,
                settings: &self.settings,
                now: NOW,
                known_secret,
                verdict: verdict.as_ref(),
                keys: &self.keys,
                remote: self.remote.as_ref(),
            };
            find(code).unwrap().check(&cx)
        }
    }

    fn hs256() -> Value {
        json!({"alg": "HS256", "typ": "JWT"})
    }

    fn rs256() -> Value {
        json!({"alg": "RS256", "kid": "ins_2abc"})
    }

    #[test]
    fn codes_and_names_are_unique_and_findable() {
        for (i, rule) in RULES.iter().enumerate() {
            assert!(RULES[i + 1..]
                .iter()
                .all(|other| other.code != rule.code && other.name != rule.name));
            assert_eq!(find(rule.code).unwrap().code, rule.code);
            assert_eq!(find(rule.name).unwrap().code, rule.code);
            assert_eq!(find(&rule.code.to_lowercase()).unwrap().code, rule.code);
        }
        assert!(find("JWT999").is_none());
    }

    #[test]
    fn jwt001_alg_none_and_empty_signature() {
        let case = Case::new(json!({"alg": "none"}), json!({"sub": "u"}));
        assert!(case.run("JWT001").unwrap().contains("unsigned"));
        let mut text = Case::new(hs256(), json!({"sub": "u"})).text;
        text.truncate(text.rfind('.').unwrap() + 1);
        assert!(Case::from_text(text)
            .run("JWT001")
            .unwrap()
            .contains("signature is empty"));
        assert_eq!(Case::new(rs256(), json!({})).run("JWT001"), None);
    }

    #[test]
    fn jwt002_hmac_with_public_issuer() {
        let supabase = json!({"iss": "https://abcd.supabase.co/auth/v1", "role": "authenticated"});
        assert!(Case::new(hs256(), supabase.clone())
            .run("JWT002")
            .unwrap()
            .contains("https://abcd.supabase.co/auth/v1"));
        assert_eq!(Case::new(rs256(), supabase).run("JWT002"), None);
        assert_eq!(
            Case::new(hs256(), json!({"iss": "supabase-demo"})).run("JWT002"),
            None
        );
        assert!(Case::new(hs256(), json!({"iss": "accounts.google.com"}))
            .provider("google")
            .run("JWT002")
            .is_some());
    }

    #[test]
    fn jwt003_expired_respects_clock_skew() {
        let mut case = Case::new(rs256(), json!({"exp": NOW - 3 * 86_400}));
        assert!(case
            .run("JWT003")
            .unwrap()
            .starts_with("expired 3 days ago"));
        case.settings.clock_skew = 4 * 86_400;
        assert_eq!(case.run("JWT003"), None);
        assert_eq!(
            Case::new(rs256(), json!({"exp": NOW + 60})).run("JWT003"),
            None
        );
    }

    #[test]
    fn jwt004_not_yet_valid() {
        assert!(Case::new(rs256(), json!({"nbf": NOW + 7_200}))
            .run("JWT004")
            .unwrap()
            .contains("in 2 h"));
        assert_eq!(
            Case::new(rs256(), json!({"nbf": NOW - 1})).run("JWT004"),
            None
        );
    }

    #[test]
    fn jwt005_no_exp() {
        assert!(Case::new(hs256(), json!({"role": "anon"}))
            .run("JWT005")
            .is_some());
        assert_eq!(Case::new(hs256(), json!({"exp": NOW})).run("JWT005"), None);
    }

    #[test]
    fn jwt006_tenant_in_sub() {
        let mut case = Case::new(
            rs256(),
            json!({"sub": "org_2xAcme/user_29w83", "org_id": "org_2xAcme"}),
        );
        case.facts.tenants = vec!["org_2xAcme".to_owned()];
        assert!(case
            .run("JWT006")
            .unwrap()
            .contains("embeds the tenant \"org_2xAcme\""));
        let mut clean = Case::new(
            rs256(),
            json!({"sub": "user_29w83", "org_id": "org_2xAcme"}),
        );
        clean.facts.tenants = vec!["org_2xAcme".to_owned()];
        assert_eq!(clean.run("JWT006"), None);
    }

    #[test]
    fn jwt007_wildcards_and_too_many_permissions() {
        let mut case = Case::new(rs256(), json!({}));
        case.facts.permissions = vec!["org:billing:read".to_owned(), "org:*".to_owned()];
        assert!(case.run("JWT007").unwrap().contains("\"org:*\""));
        case.facts.permissions = (0..21).map(|i| format!("perm:{i}")).collect();
        assert!(case.run("JWT007").unwrap().starts_with("21 permissions"));
        case.facts.permissions.truncate(20);
        assert_eq!(case.run("JWT007"), None);
    }

    #[test]
    fn jwt008_long_lifetime() {
        let mut case = Case::new(hs256(), json!({"iat": 1_641_769_200, "exp": 1_799_535_600}));
        assert!(case.run("JWT008").unwrap().contains("5 years"));
        case.settings.lifetime_threshold = u64::MAX;
        assert_eq!(case.run("JWT008"), None);
        assert_eq!(
            Case::new(rs256(), json!({"iat": NOW, "exp": NOW + 60})).run("JWT008"),
            None
        );
    }

    #[test]
    fn jwt009_missing_aud_is_provider_aware() {
        assert!(Case::new(rs256(), json!({"sub": "u"}))
            .run("JWT009")
            .unwrap()
            .contains("any service"));
        let cognito = Case::new(rs256(), json!({"token_use": "access", "client_id": "5r3h"}))
            .provider("cognito");
        assert!(cognito.run("JWT009").unwrap().contains("client_id (5r3h)"));
        assert!(Case::new(rs256(), json!({"azp": "https://app"}))
            .provider("clerk")
            .run("JWT009")
            .unwrap()
            .contains("azp"));
        assert_eq!(
            Case::new(rs256(), json!({"aud": "api"})).run("JWT009"),
            None
        );
    }

    #[test]
    fn jwt010_admin_in_many_tenants() {
        let mut case = Case::new(rs256(), json!({}));
        case.facts.memberships = (0..5)
            .map(|i| TenantMembership {
                tenant: format!("T{i}"),
                roles: vec!["Tenant Admin".to_owned()],
                permissions: vec![],
            })
            .collect();
        assert!(case
            .run("JWT010")
            .unwrap()
            .starts_with("admin or owner in 5 tenants"));
        case.facts.memberships.pop();
        assert_eq!(case.run("JWT010"), None);
        case.facts.memberships.clear();
        case.facts.roles = [
            "acme:admin",
            "globex:owner",
            "admin:initech",
            "umbrella-admin",
            "hooli_admin",
            "org:admin",
        ]
        .map(str::to_owned)
        .to_vec();
        assert!(case
            .run("JWT010")
            .unwrap()
            .contains("acme, globex, hooli, initech, umbrella"));
    }

    #[test]
    fn jwt011_impersonation_names_both_parties() {
        let mut case = Case::new(
            rs256(),
            json!({"sub": "user_1", "act": {"sub": "user_admin"}}),
        );
        case.facts.actor = Some(("act".to_owned(), json!({"sub": "user_admin"})));
        assert_eq!(
            case.run("JWT011").unwrap(),
            "user_admin acts as user_1 (act)"
        );
        assert_eq!(
            Case::new(rs256(), json!({"sub": "user_1"})).run("JWT011"),
            None
        );
    }

    #[test]
    fn jwt012_uncommon_alg() {
        assert!(Case::new(json!({"alg": "PS384"}), json!({}))
            .run("JWT012")
            .is_some());
        assert_eq!(
            Case::new(json!({"alg": "ES256"}), json!({})).run("JWT012"),
            None
        );
        assert_eq!(
            Case::new(json!({"alg": "none"}), json!({})).run("JWT012"),
            None
        );
    }

    #[test]
    fn jwt013_no_jti() {
        assert!(Case::new(rs256(), json!({})).run("JWT013").is_some());
        assert_eq!(
            Case::new(rs256(), json!({"jti": "abc"})).run("JWT013"),
            None
        );
    }

    #[test]
    fn jwt101_known_secret() {
        let jwt_io = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assert!(Case::from_text(jwt_io.to_owned())
            .run("JWT101")
            .unwrap()
            .contains("jwt.io"));
        assert_eq!(Case::new(hs256(), json!({"sub": "1"})).run("JWT101"), None);
    }

    #[test]
    fn jwt102_secret_in_workspace() {
        let case = Case::signed("workspace-secret").with_secrets(&["workspace-secret"]);
        assert!(case
            .run("JWT102")
            .unwrap()
            .contains("keys.secrets[0] in config"));
        assert_eq!(
            Case::signed("elsewhere")
                .with_secrets(&["workspace-secret", "x"])
                .run("JWT102"),
            None
        );
        assert_eq!(
            Case::signed("workspace-secret").run("JWT102"),
            None,
            "no keys, no verdict"
        );
    }

    #[test]
    fn jwt111_signature_invalid_locally_and_on_request() {
        let case = Case::signed("rotated-away").with_secrets(&["current-secret"]);
        assert_eq!(
            case.run("JWT111").unwrap(),
            "signature does not verify with keys.secrets[0] in config: bad signature"
        );
        assert_eq!(
            Case::signed("current-secret")
                .with_secrets(&["current-secret"])
                .run("JWT111"),
            None
        );
        let mut remote = Case::signed("x");
        remote.remote = Some(RemoteOutcome::Failed {
            reason: "no key with kid k9 in https://a/jwks".into(),
        });
        assert!(remote
            .run("JWT111")
            .unwrap()
            .ends_with("no key with kid k9 in https://a/jwks"));
    }

    #[test]
    fn jwt112_alg_confusion() {
        let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ed.pem"), pem).unwrap();
        let settings = jwtlens_settings::KeySettings {
            files: vec!["ed.pem".into()],
            ..Default::default()
        };
        let mut forged = Case::signed(pem);
        forged.keys = KeyRing::load(Some(dir.path()), &settings, None);
        assert!(forged
            .run("JWT112")
            .unwrap()
            .contains("public key in ed.pem"));
        let mut honest = Case::signed("a real secret");
        honest.keys = KeyRing::load(Some(dir.path()), &settings, None);
        assert_eq!(honest.run("JWT112"), None);
    }

    #[test]
    fn jwt103_privileged_keys() {
        assert!(
            Case::new(hs256(), json!({"iss": "supabase", "role": "service_role"}))
                .run("JWT103")
                .unwrap()
                .contains("service_role")
        );
        let m2m = json!({"gty": "client-credentials", "sub": "abc@clients"});
        assert!(Case::new(rs256(), m2m)
            .run("JWT103")
            .unwrap()
            .contains("abc@clients"));
        assert_eq!(
            Case::new(hs256(), json!({"role": "anon"})).run("JWT103"),
            None
        );
    }

    #[test]
    fn jwt104_live_credential() {
        let live = json!({"iss": "https://clerk.acme.io", "exp": NOW + 3_600});
        assert!(Case::new(rs256(), live)
            .run("JWT104")
            .unwrap()
            .contains("valid for another 1 h"));
        assert_eq!(
            Case::new(
                rs256(),
                json!({"iss": "https://clerk.acme.io", "exp": NOW - 1})
            )
            .run("JWT104"),
            None
        );
        assert_eq!(
            Case::new(
                rs256(),
                json!({"iss": "http://localhost:9999", "exp": NOW + 60})
            )
            .run("JWT104"),
            None
        );
        assert_eq!(
            Case::new(
                rs256(),
                json!({"iss": "https://auth.example.com", "exp": NOW + 60})
            )
            .run("JWT104"),
            None
        );
        assert_eq!(
            Case::new(
                json!({"alg": "none"}),
                json!({"iss": "https://clerk.acme.io"})
            )
            .run("JWT104"),
            None
        );
    }

    #[test]
    fn jwt120_milliseconds_say_what_verifiers_do() {
        // Date.now() where seconds belong: NOW in milliseconds, and an hour later.
        let (iat, exp) = (NOW * 1000, (NOW + 3_600) * 1000);
        let case = Case::new(
            rs256(),
            json!({"iss": "https://clerk.acme.io", "iat": iat, "exp": exp}),
        );
        assert_eq!(
            case.run("JWT120").unwrap(),
            format!(
                "exp {exp} is in milliseconds (2027-01-15 09:00:00 UTC; read as seconds it is {}): \
                 PyJWT, jsonwebtoken (Rust and Node) and jose compare exp with the time in seconds, \
                 so the token never expires; iat {iat} is in milliseconds (2027-01-15 08:00:00 UTC; \
                 read as seconds it is {}): PyJWT rejects the token as issued in the future (iat), \
                 and so does jose when maxTokenAge is set; write seconds",
                crate::timefmt::utc_date(exp),
                crate::timefmt::utc_date(iat)
            )
        );
        assert!(case
            .run("JWT104")
            .unwrap()
            .contains("never expires in practice: exp is in milliseconds"));
        assert_eq!(case.run("JWT003"), None);
        let nbf = Case::new(rs256(), json!({"nbf": NOW * 1000})).run("JWT120");
        assert!(nbf.unwrap().contains("reject the token as not yet valid"));
        // Seconds, even far in the future, are seconds.
        let far = json!({"iat": NOW, "exp": NOW + 100 * 365 * 86_400});
        assert_eq!(Case::new(rs256(), far).run("JWT120"), None);
    }

    #[test]
    fn jwt105_user_editable_metadata() {
        let claims =
            json!({"app_metadata": {"role": "admin"}, "user_metadata": {"tenant_id": "t1"}});
        assert!(Case::new(hs256(), claims)
            .run("JWT105")
            .unwrap()
            .starts_with("user_metadata.tenant_id"));
        assert_eq!(
            Case::new(
                hs256(),
                json!({"app_metadata": {"tenant_id": "t1"}, "user_metadata": {"name": "A"}})
            )
            .run("JWT105"),
            None
        );
    }

    #[test]
    fn jwt106_policy_names_the_first_failing_check() {
        let claims = json!({"iss": "https://acme.eu.auth0.com", "aud": ["https://api.acme.io"], "azp": "spa"});
        let mut case = Case::new(rs256(), claims);
        assert_eq!(case.run("JWT106"), None, "no policy, no finding");
        case.settings.policy.issuers = vec!["https://acme.eu.auth0.com/".to_owned()];
        assert!(case
            .run("JWT106")
            .unwrap()
            .contains("only in the trailing slash"));
        case.settings.policy.issuers = vec!["https://acme.eu.auth0.com".to_owned()];
        case.settings.policy.audiences = vec!["https://other".to_owned()];
        assert!(case.run("JWT106").unwrap().starts_with("Invalid audience"));
        case.settings.policy.audiences = vec!["https://api.acme.io".to_owned()];
        case.settings.policy.authorized_parties = vec!["web".to_owned()];
        assert!(case
            .run("JWT106")
            .unwrap()
            .starts_with("Invalid authorized party: spa"));
        case.settings.policy.authorized_parties.clear();
        case.settings.policy.required_claims = vec!["org_id".to_owned()];
        assert_eq!(
            case.run("JWT106").unwrap(),
            "Missing required claim: org_id"
        );
        case.settings.policy.required_claims.clear();
        case.settings.policy.permissions_claim = Some("azp".to_owned());
        case.settings.policy.permissions_shape = Some(PermissionsShape::Array);
        assert!(case
            .run("JWT106")
            .unwrap()
            .contains("must be an array of strings"));
        case.settings.policy.permissions_shape = Some(PermissionsShape::SpaceDelimited);
        assert_eq!(case.run("JWT106"), None);
    }

    #[test]
    fn jwt111_a_crit_extension_refuses_every_key() {
        let header = json!({"alg": "HS256", "b64": false, "crit": ["b64"]});
        let case = Case::signed_as(header, json!({"sub": "u"}), "workspace-secret")
            .with_secrets(&["workspace-secret"]);
        assert_eq!(
            case.run("JWT111").unwrap(),
            "no key can verify this token: crit lists \"b64\", an extension jwtlens does not understand, so the token must be rejected (RFC 7515 §4.1.11)"
        );
        assert_eq!(case.run("JWT102"), None, "not reported as verified");
        let malformed = Case::signed_as(
            json!({"alg": "HS256", "crit": []}),
            json!({"sub": "u"}),
            "workspace-secret",
        )
        .with_secrets(&["workspace-secret"]);
        assert!(malformed
            .run("JWT111")
            .unwrap()
            .contains("crit is an empty list"));
    }

    #[test]
    fn jwt113_says_when_the_key_search_stopped() {
        let secrets: Vec<String> = (0..40).map(|i| format!("secret-{i}")).collect();
        let names: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let late = Case::signed("secret-39").with_secrets(&names);
        assert_eq!(
            late.run("JWT113").unwrap(),
            "stopped after 32 of 40 workspace keys that could verify HS256, and none verified it; give the token a kid or narrow keys.*"
        );
        assert_eq!(late.run("JWT102"), None, "the 40th secret was not tried");
        let early = Case::signed("secret-3").with_secrets(&names);
        assert_eq!(early.run("JWT113"), None);
        assert!(early.run("JWT102").unwrap().contains("keys.secrets[3]"));
        let few = Case::signed("elsewhere").with_secrets(&names[..32]);
        assert_eq!(few.run("JWT113"), None, "every candidate was tried");
    }

    #[test]
    fn jwt107_time_claims_must_be_numeric_dates() {
        let case = Case::new(hs256(), json!({"sub": "u", "exp": "1900000000"}));
        assert_eq!(
            case.run("JWT107").unwrap(),
            "exp is a string, not a NumericDate (RFC 7519 §2): verifiers reject the token, and when it expires is unknown"
        );
        assert_eq!(
            case.run("JWT005"),
            None,
            "it has an exp, just not a usable one"
        );
        assert!(Case::new(hs256(), json!({"nbf": {"$date": 1}}))
            .run("JWT107")
            .unwrap()
            .starts_with("nbf is an object, not a NumericDate"));
        assert_eq!(
            Case::new(hs256(), json!({"exp": 1_900_000_000.5, "iat": 0})).run("JWT107"),
            None,
            "fractions are NumericDates"
        );
    }

    #[test]
    fn jwt107_malformed_names_the_segment() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#);
        let case = Case::from_text(format!(
            "{header}.{}.sig",
            URL_SAFE_NO_PAD.encode("not json")
        ));
        assert!(case
            .run("JWT107")
            .unwrap()
            .starts_with("JWT-shaped, but its payload is not JSON"));
        assert_eq!(Case::new(hs256(), json!({})).run("JWT107"), None);
    }

    #[test]
    fn jwt108_encrypted() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RSA-OAEP","enc":"A256GCM","kid":"k1"}"#);
        let case = Case::from_text(format!("{header}.a2V5.aXY.Y3Q.dGFn"));
        assert!(case
            .run("JWT108")
            .unwrap()
            .contains("alg RSA-OAEP, enc A256GCM, kid k1"));
        assert_eq!(Case::new(hs256(), json!({})).run("JWT108"), None);
    }

    #[test]
    fn jwt109_bound_token() {
        assert!(Case::new(rs256(), json!({"cnf": {"jkt": "0ZcOCORZ"}}))
            .run("JWT109")
            .unwrap()
            .contains("DPoP"));
        assert_eq!(Case::new(rs256(), json!({})).run("JWT109"), None);
    }

    #[test]
    fn jwt110_deprecated_format() {
        let mut case = Case::new(rs256(), json!({"org_id": "org_1", "org_role": "org:admin"}));
        case.facts.deprecated = vec![DeprecatedUse {
            claims: vec!["org_id".into(), "org_role".into()],
            note: "Clerk v1 org claims, deprecated 2025-04-14".into(),
        }];
        assert!(case.run("JWT110").unwrap().contains("org_id, org_role"));
        case.facts.deprecated.clear();
        assert_eq!(case.run("JWT110"), None);
    }
}

#[cfg(test)]
mod docs_tests {
    /// Diagnostics link to `docs/rules.md#<code>-<name>`: every rule needs its section.
    #[test]
    fn every_rule_has_a_section_in_the_docs() {
        let docs = include_str!("../../../docs/rules.md");
        for rule in super::RULES {
            let heading = format!("\n## {} {}\n", rule.code, rule.name);
            assert!(docs.contains(&heading), "docs/rules.md lacks {heading:?}");
        }
    }
}
