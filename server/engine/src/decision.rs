//! An API's access decision on one token: the checks of a named policy
//! ([`jwtlens_settings::named_policy`]) in the order APIs run them, each passed or failed
//! with the API's own message, and whether the token is accepted. Pure: the signature's
//! outcome is computed by the caller (the workspace keys, or a JWKS fetched on request).

use jwtlens_keys::ring::{KeyRing, Outcome};
use jwtlens_settings::named_policy::{Check, NamedPolicy};
use jwtlens_settings::PermissionsShape;
use serde_json::{json, Map, Value};

use crate::analysis::TokenReport;
use crate::facts::TokenFacts;
use crate::rules::string_list;
use crate::timefmt;

/// What verifying the signature found, for the `signature` check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// A key verified it; says which (`keys/billing.jwks.json (kid k1)`).
    Verified(String),
    /// It does not verify, or never can (unsigned, a `crit` nobody understands): why.
    Failed(String),
    /// No key to tell: why, and what would tell.
    Unchecked(String),
}

/// What the request asks of the token besides the policy's fixed checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Permissions the request needs: an operation's and any named one by one.
    pub permissions: Vec<String>,
    /// The tenant (organization) the request acts in.
    pub tenant: Option<String>,
}

impl Request {
    /// The permissions of `operation` under `policy` (an error names the operations the
    /// policy has) and the extra ones.
    pub fn new(
        policy: &NamedPolicy,
        operation: Option<&str>,
        extra: &[String],
        tenant: Option<String>,
    ) -> Result<Request, String> {
        let mut permissions = match operation {
            None => Vec::new(),
            Some(name) => match policy.operations.get(name) {
                Some(required) => required.clone(),
                None => {
                    let known: Vec<&str> = policy.operations.keys().map(String::as_str).collect();
                    return Err(format!(
                        "policy {} has no operation {name:?} (it has: {})",
                        policy.name,
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ));
                }
            },
        };
        for permission in extra {
            if !permissions.contains(permission) {
                permissions.push(permission.clone());
            }
        }
        Ok(Request {
            permissions,
            tenant,
        })
    }
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub check: Check,
    pub ok: bool,
    /// For a failed check the API's message, then why; for a passed one, what passed.
    pub message: String,
}

/// A policy's decision on one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub policy: String,
    pub accepted: bool,
    /// The first failed check's API message.
    pub message: Option<String>,
    /// The first failed check.
    pub failed: Option<Check>,
    pub checks: Vec<CheckOutcome>,
    /// `role in tenant` when the token names them, for the one-line summary.
    pub acting_as: Option<String>,
}

impl Decision {
    /// `{"policy","accepted","message","checks":[{"check","ok","message"}]}`.
    pub fn to_json(&self) -> Value {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|outcome| {
                json!({
                    "check": outcome.check.as_str(),
                    "ok": outcome.ok,
                    "message": outcome.message,
                })
            })
            .collect();
        json!({
            "policy": self.policy,
            "accepted": self.accepted,
            "message": self.message,
            "checks": checks,
        })
    }

    /// One line: `billing-api: 401 Invalid audience.` or
    /// `billing-api: accepted · org:admin in org_2ab…`.
    pub fn summary(&self) -> String {
        match (&self.failed, &self.message) {
            (Some(check), Some(message)) => {
                format!("{}: {} {message}", self.policy, check.status())
            }
            _ => match &self.acting_as {
                Some(acting_as) => format!("{}: accepted · {acting_as}", self.policy),
                None => format!("{}: accepted", self.policy),
            },
        }
    }

    /// The trace: one line per check, `✓ issuer: https://… is expected`.
    pub fn trace(&self) -> impl Iterator<Item = String> + '_ {
        self.checks.iter().map(|outcome| {
            let mark = if outcome.ok { "✓" } else { "✗" };
            format!("{mark} {}: {}", outcome.check.as_str(), outcome.message)
        })
    }
}

/// Judges a token against a policy. `now` in seconds since the epoch; `skew` the clock
/// skew tolerated by the time checks.
pub fn decide(
    report: &TokenReport,
    policy: &NamedPolicy,
    request: &Request,
    signature: &SignatureCheck,
    now: i64,
    skew: u64,
) -> Decision {
    let empty = Map::new();
    let claims = report.token.claims().unwrap_or(&empty);
    let cx = Judge {
        claims,
        facts: &report.facts,
        policy,
        request,
        alg: report.token.alg(),
        now,
        skew: i64::try_from(skew).unwrap_or(i64::MAX),
    };
    let checks: Vec<CheckOutcome> = Check::ALL
        .iter()
        .map(|&check| {
            let verdict = match check {
                Check::Signature => match signature {
                    SignatureCheck::Verified(by) => Ok(format!("verified with {by}")),
                    SignatureCheck::Failed(why) | SignatureCheck::Unchecked(why) => {
                        Err(why.clone())
                    }
                },
                Check::Algorithm => cx.algorithm(),
                Check::Issuer => cx.issuer(),
                Check::Audience => cx.audience(),
                Check::Expiry => cx.expiry(),
                Check::NotBefore => cx.not_before(),
                Check::AuthorizedParty => cx.authorized_party(),
                Check::RequiredClaims => cx.required_claims(),
                Check::Permissions => cx.permissions(),
                Check::Tenant => cx.tenant(),
            };
            match verdict {
                Ok(passed) => CheckOutcome {
                    check,
                    ok: true,
                    message: passed,
                },
                Err(why) => CheckOutcome {
                    check,
                    ok: false,
                    message: format!("{} — {why}", policy.message(check)),
                },
            }
        })
        .collect();
    let failed = checks
        .iter()
        .find(|outcome| !outcome.ok)
        .map(|outcome| outcome.check);
    Decision {
        policy: policy.name.clone(),
        accepted: failed.is_none(),
        message: failed.map(|check| policy.message(check).to_owned()),
        failed,
        checks,
        acting_as: acting_as(&report.facts, cx.tenants().first().map(String::as_str)),
    }
}

/// The signature check with keys at hand (the workspace's, or the policy's key files):
/// what the language server's code lens and `explain` without `--online` use.
pub fn signature_with_keys(report: &TokenReport, text: &[u8], keys: &KeyRing) -> SignatureCheck {
    let token = &report.token;
    if token.alg().eq_ignore_ascii_case("none") || token.signature_text(text).is_empty() {
        return SignatureCheck::Failed("the token is unsigned".to_owned());
    }
    let Some(verdict) = token.signed(text).and_then(|signed| keys.verdict(&signed)) else {
        return SignatureCheck::Unchecked(
            "not checked: no key (list the API's key files in the policy's keys.files, or fetch its jwks_url with --online)"
                .to_owned(),
        );
    };
    match verdict.outcome {
        Outcome::Verified(index) => SignatureCheck::Verified(keys.key(index).source.clone()),
        Outcome::Failed(index, mismatch) => {
            SignatureCheck::Failed(format!("{mismatch} ({})", keys.key(index).source))
        }
        Outcome::Refused(why) => SignatureCheck::Failed(why),
        Outcome::Uncovered => SignatureCheck::Unchecked(match token.header_str("kid") {
            Some(kid) => format!("not checked: no key with kid {kid}"),
            None => "not checked: no key verifies it".to_owned(),
        }),
    }
}

/// `org:admin in org_2ab…`, `org:admin` or `in org_2ab…`.
fn acting_as(facts: &TokenFacts, tenant: Option<&str>) -> Option<String> {
    let tenant = tenant.map(|tenant| shorten(tenant, 8));
    match (facts.roles.first(), tenant) {
        (Some(role), Some(tenant)) => Some(format!("{role} in {tenant}")),
        (Some(role), None) => Some(role.clone()),
        (None, Some(tenant)) => Some(format!("in {tenant}")),
        (None, None) => None,
    }
}

/// The first `keep` characters of an identifier and an ellipsis, when it is longer.
fn shorten(id: &str, keep: usize) -> String {
    match id.char_indices().nth(keep) {
        Some((cut, _)) => format!("{}…", &id[..cut]),
        None => id.to_owned(),
    }
}

/// The value at a claim path: the claim named exactly so first (`https://app/roles` and
/// `cognito:groups` are single claims), then a dotted path into objects (`o.id`).
fn claim_at<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    let mut parts = path.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

fn quoted(values: &[String]) -> String {
    if values.is_empty() {
        "none".to_owned()
    } else {
        values.join(", ")
    }
}

/// The checks other than the signature, each `Ok(what passed)` or `Err(why it failed)`.
struct Judge<'a> {
    claims: &'a Map<String, Value>,
    facts: &'a TokenFacts,
    policy: &'a NamedPolicy,
    request: &'a Request,
    alg: &'a str,
    now: i64,
    skew: i64,
}

type Verdict = Result<String, String>;

impl Judge<'_> {
    fn algorithm(&self) -> Verdict {
        let accepted = &self.policy.algorithms;
        if self.alg.eq_ignore_ascii_case("none") {
            return Err("alg none: the token is unsigned".to_owned());
        }
        if accepted.is_empty() {
            return Ok(format!("{} (the policy accepts any algorithm)", self.alg));
        }
        if accepted.iter().any(|alg| alg == self.alg) {
            Ok(format!("{} is accepted", self.alg))
        } else {
            Err(format!(
                "alg {} is not one of {}",
                self.alg,
                accepted.join(", ")
            ))
        }
    }

    fn issuer(&self) -> Verdict {
        let iss = self.claims.get("iss").and_then(Value::as_str);
        let accepted = &self.policy.issuers;
        if accepted.is_empty() {
            return Ok("any issuer (the policy names none)".to_owned());
        }
        match iss {
            Some(iss) if accepted.iter().any(|allowed| allowed == iss) => {
                Ok(format!("{iss} is expected"))
            }
            Some(iss) => {
                let near = accepted
                    .iter()
                    .find(|allowed| allowed.trim_end_matches('/') == iss.trim_end_matches('/'))
                    .map(|near| format!(" (differs from {near} only in the trailing slash)"))
                    .unwrap_or_default();
                Err(format!(
                    "iss {iss} is not one of {}{near}",
                    accepted.join(", ")
                ))
            }
            None => Err(format!(
                "no iss; the policy expects {}",
                accepted.join(", ")
            )),
        }
    }

    fn audience(&self) -> Verdict {
        let accepted = &self.policy.audiences;
        if accepted.is_empty() {
            return Ok("any audience (the policy names none)".to_owned());
        }
        let audiences = string_list(self.claims.get("aud"));
        match audiences.iter().find(|aud| accepted.contains(aud)) {
            Some(aud) => Ok(format!("{aud} is expected")),
            None if audiences.is_empty() => Err(format!(
                "no aud; the policy expects {}",
                accepted.join(", ")
            )),
            None => Err(format!(
                "aud {} is not one of {}",
                audiences.join(", "),
                accepted.join(", ")
            )),
        }
    }

    fn numeric(&self, name: &str) -> Option<i64> {
        let value = self.claims.get(name)?;
        value
            .as_i64()
            .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
    }

    fn expiry(&self) -> Verdict {
        match self.numeric("exp") {
            None if self.claims.contains_key("exp") => Err("exp is not a number".to_owned()),
            None => Ok("no exp: the token does not expire".to_owned()),
            Some(exp) if exp.saturating_add(self.skew) < self.now => Err(format!(
                "expired {} ({})",
                timefmt::relative(exp, self.now),
                timefmt::utc_date(exp)
            )),
            Some(exp) => Ok(format!("expires {}", timefmt::relative(exp, self.now))),
        }
    }

    fn not_before(&self) -> Verdict {
        match self.numeric("nbf") {
            None if self.claims.contains_key("nbf") => Err("nbf is not a number".to_owned()),
            None => Ok("no nbf".to_owned()),
            Some(nbf) if nbf.saturating_sub(self.skew) > self.now => Err(format!(
                "not valid until {} ({})",
                timefmt::utc_date(nbf),
                timefmt::relative(nbf, self.now)
            )),
            Some(_) => Ok("valid since nbf".to_owned()),
        }
    }

    fn authorized_party(&self) -> Verdict {
        let accepted = &self.policy.authorized_parties;
        if accepted.is_empty() {
            return Ok("any party (the policy names none)".to_owned());
        }
        match self.claims.get("azp").and_then(Value::as_str) {
            Some(azp) if accepted.iter().any(|allowed| allowed == azp) => {
                Ok(format!("{azp} is allowed"))
            }
            Some(azp) => Err(format!("azp {azp} is not one of {}", accepted.join(", "))),
            None => Err(format!(
                "no azp; the policy allows only {}",
                accepted.join(", ")
            )),
        }
    }

    fn required_claims(&self) -> Verdict {
        let missing: Vec<String> = self
            .policy
            .required_claims
            .iter()
            .filter(|claim| claim_at(self.claims, claim).is_none())
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(format!("missing {}", missing.join(", ")));
        }
        Ok(match self.policy.required_claims.as_slice() {
            [] => "none required".to_owned(),
            all => format!("{} present", all.join(", ")),
        })
    }

    /// The token's permissions: from the policy's claim (checked against its shape), else
    /// as the provider normalises them.
    fn granted(&self) -> Result<Vec<String>, String> {
        let Some(claim) = &self.policy.permissions_claim else {
            return Ok(self.facts.permissions.clone());
        };
        let value = claim_at(self.claims, claim);
        let shape = self.policy.permissions_shape;
        match (value, shape) {
            (None, _) => Ok(Vec::new()),
            (Some(Value::String(text)), None | Some(PermissionsShape::SpaceDelimited)) => {
                Ok(text.split_whitespace().map(str::to_owned).collect())
            }
            (Some(Value::Array(items)), None | Some(PermissionsShape::Array))
                if items.iter().all(Value::is_string) =>
            {
                Ok(string_list(value))
            }
            (Some(_), Some(PermissionsShape::Array)) => {
                Err(format!("{claim} must be an array of strings"))
            }
            (Some(_), Some(PermissionsShape::SpaceDelimited)) => {
                Err(format!("{claim} must be a space-delimited string"))
            }
            (Some(_), None) => Err(format!(
                "{claim} is neither a list of strings nor a space-delimited string"
            )),
        }
    }

    fn permissions(&self) -> Verdict {
        let granted = self.granted()?;
        let required = &self.request.permissions;
        if required.is_empty() {
            return Ok(format!(
                "none required (the token grants {})",
                quoted(&granted)
            ));
        }
        let missing: Vec<String> = required
            .iter()
            .filter(|permission| !granted.contains(permission))
            .cloned()
            .collect();
        if missing.is_empty() {
            Ok(format!("{} granted", required.join(", ")))
        } else {
            Err(format!(
                "missing {} (the token grants {})",
                missing.join(", "),
                quoted(&granted)
            ))
        }
    }

    /// The tenants the token acts in: the policy's tenant claim, else what the provider
    /// says (its tenant claims and per-tenant memberships).
    fn tenants(&self) -> Vec<String> {
        if let Some(claim) = &self.policy.tenant_claim {
            return string_list(claim_at(self.claims, claim));
        }
        let mut tenants = self.facts.tenants.clone();
        for membership in &self.facts.memberships {
            if !tenants.contains(&membership.tenant) {
                tenants.push(membership.tenant.clone());
            }
        }
        tenants
    }

    fn tenant(&self) -> Verdict {
        let tenants = self.tenants();
        let Some(wanted) = &self.request.tenant else {
            return Ok(match tenants.as_slice() {
                [] => "no tenant asked".to_owned(),
                some => format!("no tenant asked (the token acts in {})", some.join(", ")),
            });
        };
        if tenants.contains(wanted) {
            return Ok(format!("acts in {wanted}"));
        }
        Err(tenant_advice(self.facts, &tenants, wanted))
    }
}

/// Whether a token that does not act in `wanted` ever can, and what the user must do, per
/// provider (docs: /work/shared/reference/providers.md).
pub fn tenant_advice(facts: &TokenFacts, tenants: &[String], wanted: &str) -> String {
    let now = match tenants {
        [] => "names no tenant".to_owned(),
        some => format!("acts in {}", some.join(", ")),
    };
    let provider = facts.provider.as_ref();
    let name = provider.map_or("this provider", |provider| provider.name.as_str());
    match provider.map(|provider| provider.id.as_str()) {
        Some("clerk" | "stack-auth" | "workos") => format!(
            "the token {now}: {name} tokens carry only the active organization, so this token can never act in {wanted}; switch the active organization to {wanted} and use the new token"
        ),
        Some("cognito") => format!(
            "the token {now}: Cognito has no active tenant, membership is the user's groups (cognito:groups) or a custom: attribute; add the user to {wanted}'s group and sign in again for a new token"
        ),
        Some("auth0") => format!(
            "the token {now}: with Auth0 the tenant is org_id (log in to the organization {wanted}) or the custom claims the app's Actions write; get a token issued for {wanted}"
        ),
        Some("firebase") => format!(
            "the token {now}: with Firebase the tenant is firebase.tenant or the custom claims the app sets (setCustomUserClaims); set them for {wanted} and refresh the ID token"
        ),
        Some("supabase") => format!(
            "the token {now}: with Supabase the tenant is what the app writes into app_metadata (or a custom access token hook); write {wanted} there and refresh the session"
        ),
        _ => format!("the token {now}: a new token issued for {wanted} is needed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyse, DocumentContext};
    use crate::config::Config;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    const NOW: i64 = 1_750_000_000;

    fn report(claims: Value) -> TokenReport {
        report_with_header(json!({"alg": "RS256", "typ": "JWT", "kid": "k1"}), claims)
    }

    fn report_with_header(header: Value, claims: Value) -> TokenReport {
        let text = format!(
            "{}.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let config = Config::default();
        let cx = DocumentContext {
            path: None,
            config: &config,
            now: NOW,
            remote: None,
        };
        analyse(text.as_bytes(), &cx).remove(0)
    }

    fn billing() -> NamedPolicy {
        let mut policy = NamedPolicy {
            name: "billing-api".to_owned(),
            issuers: vec!["https://clerk.acme.dev".to_owned()],
            audiences: vec!["billing".to_owned()],
            algorithms: vec!["RS256".to_owned()],
            authorized_parties: vec!["https://app.acme.dev".to_owned()],
            permissions_claim: Some("permissions".to_owned()),
            required_claims: vec!["sub".to_owned()],
            ..NamedPolicy::default()
        };
        policy
            .operations
            .insert("read-invoices".to_owned(), vec!["invoices:read".to_owned()]);
        policy
    }

    fn good_claims() -> Value {
        json!({
            "iss": "https://clerk.acme.dev", "aud": "billing", "sub": "user_1",
            "azp": "https://app.acme.dev", "exp": NOW + 3600, "nbf": NOW - 10, "iat": NOW - 10,
            "permissions": ["invoices:read", "invoices:write"],
        })
    }

    fn verified() -> SignatureCheck {
        SignatureCheck::Verified("keys/billing.pem".to_owned())
    }

    fn judge(claims: Value, policy: &NamedPolicy, request: &Request) -> Decision {
        decide(&report(claims), policy, request, &verified(), NOW, 0)
    }

    fn outcome(decision: &Decision, check: Check) -> &CheckOutcome {
        decision.checks.iter().find(|c| c.check == check).unwrap()
    }

    fn with(mut claims: Value, name: &str, value: Value) -> Value {
        claims[name] = value;
        claims
    }

    fn without(mut claims: Value, name: &str) -> Value {
        claims.as_object_mut().unwrap().remove(name);
        claims
    }

    /// The checks run in the order, and a token that passes them all is accepted
    /// with no message.
    #[test]
    fn a_good_token_passes_every_check_in_order() {
        let request = Request::new(&billing(), Some("read-invoices"), &[], None).unwrap();
        let decision = judge(good_claims(), &billing(), &request);
        let order: Vec<&str> = decision.checks.iter().map(|c| c.check.as_str()).collect();
        assert_eq!(
            order,
            [
                "signature",
                "algorithm",
                "issuer",
                "audience",
                "expiry",
                "not_before",
                "authorized_party",
                "required_claims",
                "permissions",
                "tenant"
            ]
        );
        assert!(decision.accepted, "{decision:#?}");
        assert_eq!(decision.message, None);
        assert_eq!(
            outcome(&decision, Check::Permissions).message,
            "invoices:read granted"
        );
        assert_eq!(decision.summary(), "billing-api: accepted");
    }

    /// Each check fails on its own, with the API's default message first and the reason
    /// after it; the decision's message is that check's API message.
    #[test]
    fn every_check_fails_with_its_api_message() {
        let policy = billing();
        let request = Request::new(&policy, Some("read-invoices"), &[], None).unwrap();
        let cases: Vec<(Check, Value, &str, &str)> = vec![
            (
                Check::Issuer,
                with(good_claims(), "iss", json!("https://clerk.acme.dev/")),
                "Invalid issuer.",
                "differs from https://clerk.acme.dev only in the trailing slash",
            ),
            (
                Check::Audience,
                with(good_claims(), "aud", json!(["web", "mobile"])),
                "Invalid audience.",
                "aud web, mobile is not one of billing",
            ),
            (
                Check::Expiry,
                with(good_claims(), "exp", json!(NOW - 7200)),
                "Token has expired",
                "expired 2 h ago",
            ),
            (
                Check::NotBefore,
                with(good_claims(), "nbf", json!(NOW + 600)),
                "Token is not yet valid",
                "not valid until",
            ),
            (
                Check::AuthorizedParty,
                with(good_claims(), "azp", json!("https://evil.example")),
                "Invalid authorized party.",
                "azp https://evil.example is not one of https://app.acme.dev",
            ),
            (
                Check::RequiredClaims,
                without(good_claims(), "sub"),
                "Missing required claim.",
                "missing sub",
            ),
            (
                Check::Permissions,
                with(good_claims(), "permissions", json!(["invoices:write"])),
                "Insufficient permissions.",
                "missing invoices:read (the token grants invoices:write)",
            ),
        ];
        for (check, claims, api, why) in cases {
            let decision = judge(claims, &policy, &request);
            assert!(!decision.accepted, "{check:?}");
            assert_eq!(decision.failed, Some(check));
            assert_eq!(decision.message.as_deref(), Some(api), "{check:?}");
            let failed = outcome(&decision, check);
            assert!(!failed.ok);
            assert!(failed.message.starts_with(api), "{}", failed.message);
            assert!(failed.message.contains(why), "{}", failed.message);
            let failures = decision.checks.iter().filter(|c| !c.ok).count();
            assert_eq!(failures, 1, "only {check:?} fails: {decision:#?}");
        }
    }

    #[test]
    fn azp_absent_with_authorized_parties_configured_is_rejected() {
        let decision = judge(
            without(good_claims(), "azp"),
            &billing(),
            &Request::default(),
        );
        assert!(!decision.accepted);
        assert_eq!(
            decision.message.as_deref(),
            Some("Invalid authorized party.")
        );
        assert_eq!(
            decision.summary(),
            "billing-api: 401 Invalid authorized party."
        );
        assert!(outcome(&decision, Check::AuthorizedParty)
            .message
            .contains("no azp; the policy allows only https://app.acme.dev"));
        // Without configured parties, a token without azp passes the check.
        let mut open = billing();
        open.authorized_parties.clear();
        let decision = judge(without(good_claims(), "azp"), &open, &Request::default());
        assert!(decision.accepted, "{decision:#?}");
    }

    #[test]
    fn permissions_as_a_list_and_as_a_space_delimited_string() {
        let request = Request::new(&billing(), None, &["invoices:read".to_owned()], None).unwrap();
        let list = judge(good_claims(), &billing(), &request);
        assert!(list.accepted, "{list:#?}");
        let text = with(
            good_claims(),
            "permissions",
            json!("invoices:write invoices:read"),
        );
        let string = judge(text.clone(), &billing(), &request);
        assert!(string.accepted, "{string:#?}");
        let missing = Request::new(&billing(), None, &["refunds:create".to_owned()], None).unwrap();
        let rejected = judge(text.clone(), &billing(), &missing);
        assert_eq!(
            rejected.summary(),
            "billing-api: 403 Insufficient permissions."
        );
        // A declared shape is enforced: the string fails a policy that wants a list.
        let mut strict = billing();
        strict.permissions_shape = Some(PermissionsShape::Array);
        let wrong_shape = judge(text, &strict, &request);
        assert!(outcome(&wrong_shape, Check::Permissions)
            .message
            .contains("permissions must be an array of strings"));
        strict.permissions_shape = Some(PermissionsShape::SpaceDelimited);
        let wrong_shape = judge(good_claims(), &strict, &request);
        assert!(outcome(&wrong_shape, Check::Permissions)
            .message
            .contains("permissions must be a space-delimited string"));
    }

    #[test]
    fn unknown_operation_is_an_error_naming_the_known_ones() {
        let err = Request::new(&billing(), Some("refund"), &[], None).unwrap_err();
        assert!(
            err.contains("has no operation \"refund\" (it has: read-invoices)"),
            "{err}"
        );
    }

    #[test]
    fn custom_messages_replace_the_defaults() {
        let mut policy = billing();
        policy.messages.expiry = Some("jwt expired".to_owned());
        let decision = judge(
            with(good_claims(), "exp", json!(NOW - 1)),
            &policy,
            &Request::default(),
        );
        assert_eq!(decision.message.as_deref(), Some("jwt expired"));
        assert_eq!(decision.summary(), "billing-api: 401 jwt expired");
    }

    #[test]
    fn the_signature_and_the_algorithm() {
        let policy = billing();
        let failed = decide(
            &report(good_claims()),
            &policy,
            &Request::default(),
            &SignatureCheck::Failed("bad signature (keys/billing.pem)".to_owned()),
            NOW,
            0,
        );
        assert_eq!(failed.message.as_deref(), Some("Invalid signature."));
        assert_eq!(
            failed.checks[0].message,
            "Invalid signature. — bad signature (keys/billing.pem)"
        );
        let hs = report_with_header(json!({"alg": "HS256"}), good_claims());
        let decision = decide(&hs, &policy, &Request::default(), &verified(), NOW, 0);
        assert_eq!(decision.failed, Some(Check::Algorithm));
        assert_eq!(decision.message.as_deref(), Some("Invalid algorithm."));
        assert!(decision.checks[1]
            .message
            .contains("alg HS256 is not one of RS256"));
    }

    #[test]
    fn clock_skew_is_tolerated() {
        let late = with(good_claims(), "exp", json!(NOW - 30));
        let decision = decide(
            &report(late),
            &billing(),
            &Request::default(),
            &verified(),
            NOW,
            60,
        );
        assert!(decision.accepted, "{decision:#?}");
    }

    fn clerk_claims(org: &str) -> Value {
        json!({
            "iss": "https://clerk.acme.dev", "aud": "billing", "sub": "user_1",
            "azp": "https://app.acme.dev", "exp": NOW + 3600, "iat": NOW - 10,
            "sid": "sess_1", "v": 2,
            "o": {"id": org, "rol": "admin", "slg": "acme"},
        })
    }

    /// Clerk tokens name one active organization: another tenant needs a new token, and
    /// the accepted summary names the role and the tenant.
    #[test]
    fn tenant_with_an_active_organization_provider() {
        let mut policy = billing();
        policy.permissions_claim = None;
        let clerk = report(clerk_claims("org_2abcdefghij"));
        assert_eq!(clerk.facts.provider.as_ref().unwrap().id, "clerk");
        let here = Request::new(&policy, None, &[], Some("org_2abcdefghij".to_owned())).unwrap();
        let decision = decide(&clerk, &policy, &here, &verified(), NOW, 0);
        assert!(decision.accepted, "{decision:#?}");
        assert_eq!(
            decision.summary(),
            "billing-api: accepted · org:admin in org_2abc…"
        );
        let elsewhere = Request::new(&policy, None, &[], Some("org_B".to_owned())).unwrap();
        let decision = decide(&clerk, &policy, &elsewhere, &verified(), NOW, 0);
        assert_eq!(
            decision.summary(),
            "billing-api: 403 Not a member of this organization."
        );
        let message = &outcome(&decision, Check::Tenant).message;
        assert!(message.contains("acts in org_2abcdefghij"), "{message}");
        assert!(message.contains("can never act in org_B"), "{message}");
        assert!(
            message.contains("switch the active organization"),
            "{message}"
        );
    }

    #[test]
    fn tenant_advice_per_provider() {
        let cognito = report(json!({
            "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC", "token_use": "access",
            "client_id": "abc", "sub": "u", "exp": NOW + 60, "cognito:groups": ["tenant-a"],
        }));
        let supabase = report(json!({
            "iss": "https://abcdefghijklmnop.supabase.co/auth/v1", "aud": "authenticated",
            "role": "authenticated", "sub": "u", "exp": NOW + 60, "session_id": "s",
            "app_metadata": {"tenant_id": "t1"},
        }));
        let auth0 = report(json!({
            "iss": "https://acme.eu.auth0.com/", "aud": "https://api", "sub": "auth0|1",
            "exp": NOW + 60, "org_id": "org_a",
        }));
        let open = NamedPolicy {
            name: "api".to_owned(),
            ..NamedPolicy::default()
        };
        let request = Request::new(&open, None, &[], Some("t2".to_owned())).unwrap();
        for (token, says) in [
            (&cognito, "add the user to t2's group"),
            (&supabase, "app_metadata"),
            (&auth0, "org_id (log in to the organization t2)"),
        ] {
            let decision = decide(token, &open, &request, &verified(), NOW, 0);
            assert_eq!(decision.failed, Some(Check::Tenant));
            let message = &outcome(&decision, Check::Tenant).message;
            assert!(message.contains(says), "{message}");
        }
        // The policy's tenant claim is read as a dotted path.
        let mut by_claim = open.clone();
        by_claim.tenant_claim = Some("app_metadata.tenant_id".to_owned());
        let request = Request::new(&by_claim, None, &[], Some("t1".to_owned())).unwrap();
        assert!(decide(&supabase, &by_claim, &request, &verified(), NOW, 0).accepted);
    }

    /// The hover's section escapes claim values: a tenant id cannot make a link.
    #[test]
    fn the_hover_section_escapes_what_the_token_says() {
        let mut policy = billing();
        policy.permissions_claim = None;
        let clerk = report(clerk_claims("[x](https://evil.example)"));
        let accepted = decide(&clerk, &policy, &Request::default(), &verified(), NOW, 0);
        assert_eq!(
            crate::hover::policies(&[accepted]),
            "\n\n**Policies**\n\n- billing-api: accepted · org:admin in \\[x\\](http…\n"
        );
        let rejected = judge(
            with(good_claims(), "aud", json!("<b>web</b>")),
            &billing(),
            &Request::default(),
        );
        assert_eq!(
            crate::hover::policies(&[rejected]),
            "\n\n**Policies**\n\n- billing-api: 401 Invalid audience. (audience: Invalid audience. — aud \\<b>web\\</b> is not one of billing)\n"
        );
        assert_eq!(crate::hover::policies(&[]), "");
    }

    #[test]
    fn json_has_exactly_the_documented_fields() {
        let decision = judge(
            with(good_claims(), "aud", json!("web")),
            &billing(),
            &Request::default(),
        );
        let value = decision.to_json();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["policy", "accepted", "message", "checks"]);
        assert_eq!(value["message"], "Invalid audience.");
        assert_eq!(value["accepted"], false);
        let check = value["checks"][3].as_object().unwrap();
        assert_eq!(check.keys().collect::<Vec<_>>(), ["check", "ok", "message"]);
        assert_eq!(check["check"], "audience");
        assert_eq!(check["ok"], false);
    }
}
