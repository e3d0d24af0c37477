//! Two tokens compared: claims added, removed and changed, and what changed in words, in
//! the provider-neutral terms of [`TokenFacts`] (`active org org_A → org_B; role org:admin
//! → org:member; permissions −3 +1; lifetime 60 s → 1 h; kid changed`). Pure.

use serde_json::{json, Map, Value};

use crate::analysis::TokenReport;
use crate::timefmt;

/// A claim only one of the tokens has.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimValue {
    pub claim: String,
    pub value: Value,
}

/// A claim both tokens have, with different values.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimChange {
    pub claim: String,
    pub before: Value,
    pub after: Value,
}

/// What changed from token A to token B.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TokenDiff {
    pub added: Vec<ClaimValue>,
    pub removed: Vec<ClaimValue>,
    pub changed: Vec<ClaimChange>,
    /// The changes that matter, in words, most telling first.
    pub summary: Vec<String>,
}

impl TokenDiff {
    /// `{"added":[{"claim","value"}],"removed":[…],"changed":[{"claim","before","after"}],"summary":[text]}`.
    pub fn to_json(&self) -> Value {
        let one_sided = |claims: &[ClaimValue]| -> Vec<Value> {
            claims
                .iter()
                .map(|c| json!({"claim": c.claim, "value": c.value}))
                .collect()
        };
        let changed: Vec<Value> = self
            .changed
            .iter()
            .map(|c| json!({"claim": c.claim, "before": c.before, "after": c.after}))
            .collect();
        json!({
            "added": one_sided(&self.added),
            "removed": one_sided(&self.removed),
            "changed": changed,
            "summary": self.summary,
        })
    }

    /// Human text: the summary, then each claim change on its own line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if self.summary.is_empty() {
            out.push_str("no difference in the claims or the key\n");
        } else {
            out.push_str(&self.summary.join("; "));
            out.push('\n');
        }
        for c in &self.added {
            out.push_str(&format!("+ {}: {}\n", c.claim, c.value));
        }
        for c in &self.removed {
            out.push_str(&format!("- {}: {}\n", c.claim, c.value));
        }
        for c in &self.changed {
            out.push_str(&format!("~ {}: {} → {}\n", c.claim, c.before, c.after));
        }
        out
    }
}

/// Compares token `a` (before) with token `b` (after).
pub fn diff(a: &TokenReport, b: &TokenReport) -> TokenDiff {
    let empty = Map::new();
    let before = a.token.claims().unwrap_or(&empty);
    let after = b.token.claims().unwrap_or(&empty);
    let mut diff = TokenDiff::default();
    for (claim, value) in after {
        match before.get(claim) {
            None => diff.added.push(ClaimValue {
                claim: claim.clone(),
                value: value.clone(),
            }),
            Some(old) if old != value => diff.changed.push(ClaimChange {
                claim: claim.clone(),
                before: old.clone(),
                after: value.clone(),
            }),
            Some(_) => {}
        }
    }
    for (claim, value) in before {
        if !after.contains_key(claim) {
            diff.removed.push(ClaimValue {
                claim: claim.clone(),
                value: value.clone(),
            });
        }
    }
    diff.summary = summary(a, b);
    diff
}

/// The provider-normalised changes, in words.
fn summary(a: &TokenReport, b: &TokenReport) -> Vec<String> {
    let mut said = Vec::new();
    let provider = |report: &TokenReport| report.facts.provider.as_ref().map(|p| p.name.clone());
    if let Some(change) = arrow("provider", provider(a), provider(b)) {
        said.push(change);
    }
    let claim = |report: &TokenReport, name: &str| report.token.str_claim(name).map(str::to_owned);
    for (label, name) in [("issuer", "iss"), ("subject", "sub")] {
        said.extend(arrow(label, claim(a, name), claim(b, name)));
    }
    let first = |list: &[String]| list.first().cloned();
    said.extend(arrow(
        "active org",
        first(&a.facts.tenants),
        first(&b.facts.tenants),
    ));
    said.extend(arrow("role", first(&a.facts.roles), first(&b.facts.roles)));
    let only_in = |one: &TokenReport, other: &TokenReport| {
        let theirs = &other.facts.permissions;
        one.facts
            .permissions
            .iter()
            .filter(|p| !theirs.contains(p))
            .count()
    };
    let (lost, gained) = (only_in(a, b), only_in(b, a));
    if lost + gained > 0 {
        said.push(format!("permissions −{lost} +{gained}"));
    }
    let aud = |report: &TokenReport| report.token.claims().and_then(|c| c.get("aud")).cloned();
    if aud(a) != aud(b) {
        let words = |aud: Option<Value>| match aud {
            Some(Value::String(one)) => one,
            Some(other) => other.to_string(),
            None => "none".to_owned(),
        };
        said.push(format!("audience {} → {}", words(aud(a)), words(aud(b))));
    }
    let lifetime = |report: &TokenReport| {
        let exp = report.token.numeric_claim("exp")?;
        let iat = report.token.numeric_claim("iat")?;
        u64::try_from(exp.checked_sub(iat)?).ok()
    };
    if let (Some(before), Some(after)) = (lifetime(a), lifetime(b)) {
        if before != after {
            said.push(format!(
                "lifetime {} → {}",
                timefmt::duration(before),
                timefmt::duration(after)
            ));
        }
    }
    if a.token.alg() != b.token.alg() {
        said.push(format!("alg {} → {}", a.token.alg(), b.token.alg()));
    }
    if a.token.header_str("kid") != b.token.header_str("kid") {
        said.push("kid changed".to_owned());
    }
    said
}

/// `label before → after`, when they differ (`none` for a side that has no value).
fn arrow(label: &str, before: Option<String>, after: Option<String>) -> Option<String> {
    (before != after).then(|| {
        format!(
            "{label} {} → {}",
            before.as_deref().unwrap_or("none"),
            after.as_deref().unwrap_or("none")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyse, DocumentContext};
    use crate::config::Config;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    fn report(kid: &str, claims: Value) -> TokenReport {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
        let text = format!(
            "{}.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let config = Config::default();
        let cx = DocumentContext {
            path: None,
            config: &config,
            now: 1_750_000_000,
            remote: None,
        };
        analyse(text.as_bytes(), &cx).remove(0)
    }

    /// A Clerk v2 session token; `fpm` is the bitmap of `permissions` granted in the one
    /// feature, `invoices`.
    fn clerk(
        org: &str,
        role: &str,
        permissions: (&str, &str),
        lifetime: i64,
        extra: Value,
    ) -> Value {
        let mut claims = json!({
            "iss": "https://clerk.acme.dev", "sub": "user_1", "sid": "sess_1", "v": 2,
            "iat": 1_750_000_000, "exp": 1_750_000_000 + lifetime, "azp": "https://app.acme.dev",
            "o": {"id": org, "rol": role, "slg": "acme", "per": permissions.0, "fpm": permissions.1},
            "fea": "o:invoices",
        });
        for (name, value) in extra.as_object().unwrap() {
            claims[name] = value.clone();
        }
        claims
    }

    /// The example: a Clerk session token after switching organizations, losing
    /// admin rights, with a longer lifetime and another signing key.
    #[test]
    fn clerk_organization_switch_in_words() {
        let a = report(
            "ins_1",
            clerk(
                "org_A",
                "admin",
                ("read,write,delete,manage", "15"),
                60,
                json!({}),
            ),
        );
        let b = report(
            "ins_2",
            clerk(
                "org_B",
                "member",
                ("read,comment", "3"),
                3600,
                json!({"email": "a@b.c"}),
            ),
        );
        let diff = diff(&a, &b);
        assert_eq!(
            diff.summary,
            [
                "active org org_A → org_B",
                "role org:admin → org:member",
                "permissions −3 +1",
                "lifetime 1 min → 1 h",
                "kid changed"
            ]
        );
        assert_eq!(
            diff.added,
            [ClaimValue {
                claim: "email".to_owned(),
                value: json!("a@b.c")
            }]
        );
        assert!(diff.removed.is_empty());
        let changed: Vec<&str> = diff.changed.iter().map(|c| c.claim.as_str()).collect();
        assert_eq!(changed, ["exp", "o"]);
        assert_eq!(diff.changed[0].before, json!(1_750_000_060));
    }

    #[test]
    fn removed_claims_issuer_subject_and_audience() {
        let a = report(
            "k",
            json!({"iss": "https://a.example", "sub": "u1", "aud": "api", "scope": "x"}),
        );
        let b = report(
            "k",
            json!({"iss": "https://b.example", "sub": "u2", "aud": ["api", "web"]}),
        );
        let diff = diff(&a, &b);
        assert_eq!(
            diff.summary,
            [
                "issuer https://a.example → https://b.example",
                "subject u1 → u2",
                "permissions −1 +0",
                "audience api → [\"api\",\"web\"]"
            ]
        );
        assert_eq!(diff.removed[0].claim, "scope");
    }

    #[test]
    fn the_same_token_has_no_difference_and_json_has_the_documented_fields() {
        let a = report("k", json!({"sub": "u"}));
        let diff = diff(&a, &a.clone());
        assert_eq!(diff, TokenDiff::default());
        assert!(diff.text().starts_with("no difference"));
        let value = diff.to_json();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["added", "removed", "changed", "summary"]);
    }
}
