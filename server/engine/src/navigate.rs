//! Navigation over tokens, in byte offsets: the name a token goes by in an outline, the
//! claim values a workspace search finds it by, and where a key with a given `kid` sits in
//! a key file. Pure; the language server turns the offsets into positions.

use std::ops::Range;

use jsonc_parser::ast::{ObjectPropName, Value as JsonValue};
use jsonc_parser::{CollectOptions, ParseOptions};

use crate::analysis::TokenReport;
use crate::decode::Body;
use crate::timefmt;
use crate::untrusted::escape_controls;

/// Key files larger than this are not searched for a `kid`.
pub const MAX_KEY_FILE_BYTES: usize = 1 << 20;

/// Deeper JSON than this is not parsed (the parser recurses once per level).
const MAX_DEPTH: usize = 32;

/// A token's outline name: `provider · tenant · role · status`, leaving out what the token
/// does not say (`Clerk · org_2ab… · org:admin · expired 2026-01-03`).
pub fn symbol_name(report: &TokenReport, now: i64) -> String {
    let facts = &report.facts;
    let token = &report.token;
    let mut parts: Vec<String> = Vec::with_capacity(4);
    parts.push(match &facts.provider {
        Some(provider) => provider.name.clone(),
        None => format!("JWT {}", token.alg()),
    });
    if let Some(tenant) = facts.tenants.first() {
        parts.push(tenant.clone());
    }
    if let Some(role) = facts.roles.first() {
        parts.push(role.clone());
    }
    parts.push(status(report, now));
    escape_controls(&parts.join(" · ")).into_owned()
}

/// `unsigned`, `expired <date>`, `valid until <date>`, `never expires`, `encrypted`,
/// `malformed`.
fn status(report: &TokenReport, now: i64) -> String {
    let token = &report.token;
    let unsigned = token.alg().eq_ignore_ascii_case("none")
        || report
            .findings
            .iter()
            .any(|finding| finding.rule.code == "JWT001");
    let time = match (&token.body, token.numeric_claim("exp")) {
        (Body::Encrypted, _) => "encrypted".to_owned(),
        (Body::Malformed(_), _) => "malformed".to_owned(),
        (Body::Claims(_), None) => "never expires".to_owned(),
        (Body::Claims(_), Some(exp)) if exp < now => {
            format!("expired {}", timefmt::utc_date(exp))
        }
        (Body::Claims(_), Some(exp)) => format!("valid until {}", timefmt::utc_date(exp)),
    };
    if unsigned {
        format!("unsigned, {time}")
    } else {
        time
    }
}

/// The claim a workspace-symbol query matches in this token, as `(claim, value)`: the
/// subject, an organization or tenant id, an e-mail address or the header's `kid`,
/// matched case-insensitively as a substring. An empty query matches nothing (a client
/// asking for "all symbols" would otherwise get every token in the workspace).
pub fn matching_claim(report: &TokenReport, query: &str) -> Option<(String, String)> {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return None;
    }
    let token = &report.token;
    let facts = &report.facts;
    let mut candidates: Vec<(String, String)> = Vec::new();
    if let Some(kid) = token.header_str("kid") {
        candidates.push(("kid".to_owned(), kid.to_owned()));
    }
    if let Some(sub) = facts.subject.as_deref().or(token.str_claim("sub")) {
        candidates.push(("sub".to_owned(), sub.to_owned()));
    }
    for tenant in &facts.tenants {
        candidates.push(("tenant".to_owned(), tenant.clone()));
    }
    if let Some(claims) = token.claims() {
        for (name, value) in claims {
            if let Some(text) = value.as_str().filter(|text| is_email(text)) {
                candidates.push((name.clone(), text.to_owned()));
            }
        }
    }
    candidates
        .into_iter()
        .find(|(_, value)| value.to_lowercase().contains(&query))
}

fn is_email(text: &str) -> bool {
    text.split_once('@')
        .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
}

/// Where the key with this `kid` is in a key file: the `"kid": "…"` member of a JWK or
/// JWKS, or a `{kid: certificate}` map's entry. `None` when the text is not JSON or has
/// no such key.
pub fn kid_in_json(text: &str, kid: &str) -> Option<Range<usize>> {
    if text.len() > MAX_KEY_FILE_BYTES || json_depth(text.as_bytes()) > MAX_DEPTH {
        return None;
    }
    let parsed =
        jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default())
            .ok()?;
    find_kid(parsed.value.as_ref()?, kid)
}

fn find_kid(value: &JsonValue, kid: &str) -> Option<Range<usize>> {
    match value {
        JsonValue::Object(object) => object.properties.iter().find_map(|prop| {
            let (name, name_range) = match &prop.name {
                ObjectPropName::String(name) => (name.value.as_ref(), name.range),
                ObjectPropName::Word(name) => (name.value, name.range),
            };
            let is_member = name == "kid"
                && matches!(&prop.value, JsonValue::StringLit(value) if value.value == kid);
            // Google's and Firebase's `{kid: PEM}` certificate maps.
            let is_map_entry = name == kid && matches!(&prop.value, JsonValue::StringLit(_));
            if is_member || is_map_entry {
                Some(name_range.start..prop.range.end)
            } else {
                find_kid(&prop.value, kid)
            }
        }),
        JsonValue::Array(array) => array
            .elements
            .iter()
            .find_map(|element| find_kid(element, kid)),
        _ => None,
    }
}

/// The first `-----BEGIN …-----` line of a PEM file.
pub fn pem_block(text: &str) -> Option<Range<usize>> {
    let start = text.find("-----BEGIN ")?;
    let end = text[start..]
        .find('\n')
        .map_or(text.len(), |newline| start + newline);
    Some(start..end.min(text.len()))
}

/// The deepest `{`/`[` nesting outside strings: a cheap guard before parsing JSON from
/// the workspace.
pub(crate) fn json_depth(text: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for &byte in text {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyse, DocumentContext};
    use crate::config::Config;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::{json, Value};

    const NOW: i64 = 1_800_000_000;

    fn token(header: Value, claims: Value) -> String {
        let part = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());
        format!("{}.{}.c2lnbmF0dXJl", part(header), part(claims))
    }

    fn report(text: &str) -> TokenReport {
        let config = Config::default();
        let cx = DocumentContext {
            path: Some(std::path::Path::new("src/a.ts")),
            config: &config,
            now: NOW,
            remote: None,
        };
        analyse(text.as_bytes(), &cx).remove(0)
    }

    fn clerk() -> TokenReport {
        report(&token(
            json!({"alg": "RS256", "kid": "ins_2abcKID"}),
            json!({
                "iss": "https://clerk.acme.io", "sub": "user_2xyz", "sid": "sess_1",
                "azp": "https://app.acme.io", "v": 2,
                "o": {"id": "org_2tenant", "rol": "admin", "slg": "acme"},
                "email": "Ada@Acme.io",
                "exp": NOW - 86_400, "iat": NOW - 86_460,
            }),
        ))
    }

    #[test]
    fn symbol_names_say_provider_tenant_role_and_status() {
        let name = symbol_name(&clerk(), NOW);
        assert!(name.starts_with("Clerk"), "{name}");
        assert!(name.contains(" · org_2tenant · "), "{name}");
        assert!(name.contains("admin"), "{name}");
        assert!(
            name.ends_with(&format!("expired {}", timefmt::utc_date(NOW - 86_400))),
            "{name}"
        );

        let valid = report(&token(
            json!({"alg": "HS256"}),
            json!({"sub": "u", "exp": NOW + 60}),
        ));
        assert_eq!(
            symbol_name(&valid, NOW),
            format!("JWT HS256 · valid until {}", timefmt::utc_date(NOW + 60))
        );
        let none = report(&format!(
            "{}.",
            &token(json!({"alg": "none"}), json!({"sub": "u"}))
                .rsplit_once('.')
                .unwrap()
                .0
        ));
        assert_eq!(
            symbol_name(&none, NOW),
            "JWT none · unsigned, never expires"
        );
    }

    #[test]
    fn workspace_queries_match_subject_tenant_email_and_kid() {
        let clerk = clerk();
        let found = |query: &str| matching_claim(&clerk, query);
        assert_eq!(found("user_2x"), Some(("sub".into(), "user_2xyz".into())));
        assert_eq!(
            found("ORG_2TEN"),
            Some(("tenant".into(), "org_2tenant".into()))
        );
        assert_eq!(
            found("ada@acme"),
            Some(("email".into(), "Ada@Acme.io".into()))
        );
        assert_eq!(
            found("ins_2abc"),
            Some(("kid".into(), "ins_2abcKID".into()))
        );
        assert_eq!(found("sess_1"), None, "session ids are not searched");
        assert_eq!(found("  "), None);
    }

    #[test]
    fn kids_are_found_in_jwks_jwk_and_certificate_maps() {
        let jwks = r#"{
  "keys": [
    {"kty": "RSA", "kid": "other", "n": "x", "e": "AQAB"},
    {"kty": "RSA", "kid": "ins_2abc", "n": "y", "e": "AQAB"}
  ]
}"#;
        let at = kid_in_json(jwks, "ins_2abc").unwrap();
        assert_eq!(&jwks[at], r#""kid": "ins_2abc""#);
        assert_eq!(kid_in_json(jwks, "missing"), None);
        let certs = r#"{"abc123": "-----BEGIN CERTIFICATE-----\nMII…"}"#;
        assert_eq!(
            &certs[kid_in_json(certs, "abc123").unwrap()],
            r#""abc123": "-----BEGIN CERTIFICATE-----\nMII…""#
        );
        assert_eq!(kid_in_json("-----BEGIN PUBLIC KEY-----", "x"), None);
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(kid_in_json(&deep, "x"), None, "refused, not parsed");
    }

    #[test]
    fn pem_blocks_are_found_at_their_begin_line() {
        let pem = "# staging key\n-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n";
        assert_eq!(&pem[pem_block(pem).unwrap()], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(pem_block("{}"), None);
    }
}
