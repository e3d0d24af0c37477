//! The hover for one token, as Markdown. Pure: plain data in, text out.

use std::fmt::Write;

use serde_json::{Map, Value};

use crate::analysis::TokenReport;
use crate::decode::{json_type, Body};
use crate::rules::Level;
use crate::scan::TokenKind;
use crate::timefmt;

/// Pretty JSON blocks longer than this are cut, so a hover over a bloated token stays
/// readable and cheap to send.
const MAX_JSON_BLOCK: usize = 4 * 1024;
/// Lists (permissions, roles) longer than this show their first items and a count.
const MAX_LIST_ITEMS: usize = 12;

/// Renders the hover for `report`, a token found in `text`, as of `now`.
pub fn render(report: &TokenReport, text: &[u8], now: i64) -> String {
    let mut out = String::with_capacity(2048);
    headline(&mut out, report);
    claims_table(&mut out, report, now);
    findings(&mut out, report);
    notes(&mut out, report);
    raw_parts(&mut out, report, text);
    out
}

fn headline(out: &mut String, report: &TokenReport) {
    let token = &report.token;
    let provider = match &report.facts.provider {
        Some(provider) => match &provider.variant {
            Some(variant) => format!("{} ({variant})", provider.name),
            None => provider.name.clone(),
        },
        None => "JWT".to_owned(),
    };
    let kind = match token.kind {
        TokenKind::Jws => "JWS",
        TokenKind::Jwe => "JWE",
    };
    let _ = write!(out, "**{provider}** · {kind} · `{}`", token.alg());
    if let Some(enc) = token.header_str("enc") {
        let _ = write!(out, " · enc `{enc}`");
    }
    if let Some(kid) = token.header_str("kid") {
        let _ = write!(out, " · kid `{}`", code(kid));
    }
    if let Some(why) = &report.fixture {
        let _ = write!(out, " · test fixture ({why})");
    }
    out.push_str("\n\n");
}

fn claims_table(out: &mut String, report: &TokenReport, now: i64) {
    let facts = &report.facts;
    let mut rows: Vec<(&str, String)> = Vec::new();
    if !facts.tenants.is_empty() {
        rows.push(("Tenant", list(&facts.tenants)));
    }
    if !facts.memberships.is_empty() {
        let memberships: Vec<String> = facts
            .memberships
            .iter()
            .map(|m| {
                if m.roles.is_empty() {
                    m.tenant.clone()
                } else {
                    format!("{}: {}", m.tenant, m.roles.join(", "))
                }
            })
            .collect();
        rows.push(("Memberships", list(&memberships)));
    }
    if !facts.roles.is_empty() {
        rows.push(("Role", list(&facts.roles)));
    }
    if !facts.permissions.is_empty() {
        rows.push(("Permissions", list(&facts.permissions)));
    }
    if let Some(session) = &facts.session {
        rows.push(("Session", format!("`{}`", code(session))));
    }
    if let Some(party) = &facts.authorized_party {
        rows.push(("Authorized party", format!("`{}`", code(party))));
    }
    if let Some(subject) = &facts.subject {
        rows.push(("Subject", format!("`{}`", code(subject))));
    }
    if let Some((claim, actor)) = &facts.actor {
        rows.push((
            "Acting party",
            format!("`{}` ({claim})", code(&compact(actor))),
        ));
    }
    let token = &report.token;
    for (claim, label) in [
        ("iat", "Issued"),
        ("nbf", "Not before"),
        ("exp", "Expires"),
        ("auth_time", "Signed in"),
    ] {
        if let Some(at) = token.numeric_claim(claim) {
            let relative = timefmt::relative(at, now);
            let relative = if claim == "exp" && at < now {
                format!("expired {relative}")
            } else {
                relative
            };
            rows.push((label, format!("{} ({relative})", timefmt::utc_date(at))));
        }
    }
    if let (Some(iat), Some(exp)) = (token.numeric_claim("iat"), token.numeric_claim("exp")) {
        if exp >= iat {
            rows.push(("Lifetime", timefmt::duration(exp.abs_diff(iat))));
        }
    }
    if let (Some(claims), None) = (token.claims(), token.numeric_claim("exp")) {
        let expires = match claims.get("exp") {
            None => "never (no `exp`)".to_owned(),
            Some(exp) => format!("unknown: `exp` is {}, not a NumericDate", json_type(exp)),
        };
        rows.push(("Expires", expires));
    }
    if let Some(note) = &report.signature {
        rows.push(("Signature", note.clone()));
    }
    if !facts.custom_claims.is_empty() {
        let names: Vec<String> = facts
            .custom_claims
            .iter()
            .map(|name| format!("`{}`", code(name)))
            .collect();
        rows.push(("Other claims", names.join(", ")));
    }
    if rows.is_empty() {
        return;
    }
    out.push_str("| | |\n|---|---|\n");
    for (label, value) in rows {
        let _ = writeln!(out, "| {label} | {} |", value.replace('|', "\\|"));
    }
    out.push('\n');
}

fn findings(out: &mut String, report: &TokenReport) {
    if report.findings.is_empty() && report.suppressed == 0 {
        return;
    }
    out.push_str("**Findings**\n\n");
    let mut findings: Vec<_> = report.findings.iter().collect();
    findings.sort_by_key(|finding| std::cmp::Reverse(finding.level));
    for finding in findings {
        let _ = writeln!(
            out,
            "- {} `{}` {}: {}",
            level_word(finding.level),
            finding.rule.code,
            finding.rule.name,
            finding.message
        );
    }
    if report.suppressed > 0 {
        let _ = writeln!(
            out,
            "- {} suppressed by `jwtlens: ignore` or an allow entry",
            report.suppressed
        );
    }
    out.push('\n');
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Error => "**error**",
        Level::Warning => "**warning**",
        Level::Info => "info",
        Level::Hint | Level::Off => "hint",
    }
}

fn notes(out: &mut String, report: &TokenReport) {
    let Some(provider) = &report.facts.provider else {
        return;
    };
    if provider.notes.is_empty() {
        return;
    }
    let _ = writeln!(out, "*{} notes*\n", provider.name);
    for note in &provider.notes {
        let _ = writeln!(out, "- {note}");
    }
    out.push('\n');
}

fn raw_parts(out: &mut String, report: &TokenReport, text: &[u8]) {
    let token = &report.token;
    json_block(out, "Header", &Value::Object(token.header.clone()));
    match &token.body {
        Body::Claims(claims) => json_block(out, "Payload", &Value::Object(claims.clone())),
        Body::Malformed(err) => {
            let _ = writeln!(out, "**Payload** {err}\n");
        }
        Body::Encrypted => {
            out.push_str("**Payload** encrypted: readable only with the recipient's key\n\n")
        }
    }
    if token.kind == TokenKind::Jws {
        let signature = token.signature_text(text);
        match token.signature_len {
            Some(0) | None if signature.is_empty() => out.push_str("**Signature** none\n"),
            Some(bytes) => {
                let _ = writeln!(
                    out,
                    "**Signature** {bytes} bytes (`{}…`)",
                    &signature[..signature.len().min(8)]
                );
            }
            None => out.push_str("**Signature** not valid base64url\n"),
        }
    }
}

fn json_block(out: &mut String, title: &str, value: &Value) {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
    let _ = writeln!(out, "**{title}**\n\n```json");
    if pretty.len() > MAX_JSON_BLOCK {
        let mut cut = MAX_JSON_BLOCK;
        while !pretty.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&pretty[..cut]);
        let _ = write!(
            out,
            "\n```\n*truncated: {} KB in all*\n\n",
            pretty.len().div_ceil(1024)
        );
    } else {
        out.push_str(&pretty);
        out.push_str("\n```\n\n");
    }
}

/// A list of values as inline code, cut to its first items with a count.
fn list(values: &[String]) -> String {
    let shown: Vec<String> = values
        .iter()
        .take(MAX_LIST_ITEMS)
        .map(|value| format!("`{}`", code(value)))
        .collect();
    let mut line = shown.join(", ");
    if values.len() > MAX_LIST_ITEMS {
        let _ = write!(line, " … ({} in all)", values.len());
    }
    line
}

/// Backticks would end an inline code span early.
fn code(text: &str) -> String {
    text.replace('`', "'")
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Object(map) if map.len() == 1 && map.contains_key("sub") => compact(&map["sub"]),
        other => other.to_string(),
    }
}

/// One short line for an inlay hint: `Clerk · org:admin · expired 3 d ago`.
pub fn summary(report: &TokenReport, now: i64) -> String {
    let facts = &report.facts;
    let token = &report.token;
    let mut parts: Vec<String> = Vec::with_capacity(3);
    parts.push(match &facts.provider {
        // "Supabase (API key)" reads better as "Supabase" next to its role.
        Some(provider) => provider
            .name
            .split(" (")
            .next()
            .unwrap_or(&provider.name)
            .to_owned(),
        None => format!("JWT {}", token.alg()),
    });
    if let Some(who) = facts.roles.first().or(facts.tenants.first()) {
        parts.push(who.clone());
    }
    parts.push(match (&token.body, token.numeric_claim("exp")) {
        (Body::Encrypted, _) => "encrypted".to_owned(),
        (Body::Malformed(_), _) => "malformed".to_owned(),
        (Body::Claims(claims), None) if claims.contains_key("exp") => "invalid exp".to_owned(),
        (Body::Claims(_), None) => "never expires".to_owned(),
        (Body::Claims(_), Some(exp)) if exp < now => {
            format!("expired {} ago", timefmt::short_duration(now.abs_diff(exp)))
        }
        (Body::Claims(_), Some(exp)) => {
            format!("expires in {}", timefmt::short_duration(exp.abs_diff(now)))
        }
    });
    parts.join(" · ")
}

/// Header and claims as one JSON document (`jwtlens decode`, the decode command).
pub fn decoded_json(report: &TokenReport) -> Value {
    let mut out = Map::new();
    out.insert("header".into(), Value::Object(report.token.header.clone()));
    out.insert(
        "payload".into(),
        match &report.token.body {
            Body::Claims(claims) => Value::Object(claims.clone()),
            Body::Malformed(err) => Value::String(format!("payload {err}")),
            Body::Encrypted => Value::String("encrypted".into()),
        },
    );
    out.insert(
        "facts".into(),
        serde_json::to_value(&report.facts).unwrap_or(Value::Null),
    );
    out.insert(
        "fixture".into(),
        report.fixture.clone().map_or(Value::Null, Value::String),
    );
    let findings = report
        .findings
        .iter()
        .map(|finding| {
            serde_json::json!({
                "code": finding.rule.code,
                "name": finding.rule.name,
                "level": finding.level.as_str(),
                "message": finding.message,
            })
        })
        .collect();
    out.insert("findings".into(), Value::Array(findings));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyse, DocumentContext};
    use crate::config::Config;

    fn report(claims: &str) -> (TokenReport, Vec<u8>) {
        let b64 = |text: &str| {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
        };
        let text = format!("{}.{}.c2ln", b64(r#"{"alg":"HS256"}"#), b64(claims)).into_bytes();
        let config = Config::default();
        let cx = DocumentContext {
            path: None,
            config: &config,
            now: 1_800_000_000,
            remote: None,
        };
        let mut reports = analyse(&text, &cx);
        (reports.remove(0), text)
    }

    /// Found by `cargo fuzz run analyse`: `now - exp` overflowed for the earliest `exp`,
    /// and `exp - iat` for the longest lifetime.
    #[test]
    fn expiry_at_the_ends_of_time() {
        let (expired, text) = report(r#"{"exp":-9223372036854775808}"#);
        assert!(summary(&expired, 1_800_000_000).starts_with("JWT HS256 · expired "));
        render(&expired, &text, 1_800_000_000);
        let (far, text) = report(r#"{"exp":9223372036854775807}"#);
        assert!(summary(&far, -1_800_000_000).contains("expires in "));
        render(&far, &text, -1_800_000_000);
        let (lifetime, text) = report(r#"{"iat":-9223372036854775808,"exp":9223372036854775807}"#);
        assert!(render(&lifetime, &text, 0).contains("Lifetime"));
    }

    /// A string `exp` is not "never expires": verifiers reject the token.
    #[test]
    fn an_exp_that_is_not_a_number_is_not_shown_as_never_expiring() {
        let (report, text) = report(r#"{"exp":"1700000000"}"#);
        assert_eq!(summary(&report, 1_800_000_000), "JWT HS256 · invalid exp");
        let hover = render(&report, &text, 1_800_000_000);
        assert!(
            hover.contains("| Expires | unknown: `exp` is a string, not a NumericDate |"),
            "{hover}"
        );
        assert!(!hover.contains("never"), "{hover}");
        assert!(
            hover.contains("exp is a string, not a NumericDate (RFC 7519 §2)"),
            "{hover}"
        );
    }
}
