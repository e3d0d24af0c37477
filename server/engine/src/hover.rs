//! The hover for one token, as Markdown. Pure: plain data in, text out.
//!
//! Every string that comes from the token, its keys or the repository (claim and header
//! values, provider names and notes, finding messages) is written either as an inline
//! code span ([`code`]) or as escaped text ([`escaped`]), never as Markdown: an `iss` of
//! `# Heading` or `<img src=…>` shows as those characters, in VS Code and in Neovim.

use std::fmt::Write;

use serde_json::{Map, Value};

use crate::analysis::{Finding, TokenReport};
use crate::decode::Body;
use crate::scan::TokenKind;
use crate::timefmt;
use crate::untrusted::{escape_controls, escape_controls_in_json};
use jwtlens_jose::segment::json_type;
use jwtlens_settings::Level;

/// Pretty JSON blocks longer than this are cut, so a hover over a bloated token stays
/// readable and cheap to send.
const MAX_JSON_BLOCK: usize = 4 * 1024;
/// Lists (permissions, roles) longer than this show their first items and a count.
const MAX_LIST_ITEMS: usize = 12;

/// Whether the hover lists the token's findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Findings {
    /// Each finding with its level, rule and message.
    Listed,
    /// Left out, as the editor shows the diagnostics in the same hover; only what it
    /// cannot show (findings suppressed) is said.
    ShownByEditor,
}

/// Renders the hover for `report`, a token found in `text`, as of `now`: what the token
/// says (claims, then the provider's notes) first, then the findings, then its parts.
pub fn render(report: &TokenReport, text: &[u8], now: i64, shown: Findings) -> String {
    let mut out = String::with_capacity(2048);
    headline(&mut out, report);
    claims_table(&mut out, report, now);
    notes(&mut out, report);
    findings(&mut out, report, shown);
    raw_parts(&mut out, report, text);
    out
}

fn headline(out: &mut String, report: &TokenReport) {
    let token = &report.token;
    let provider = match &report.facts.provider {
        Some(provider) => match &provider.variant {
            Some(variant) => format!("{} ({})", escaped(&provider.name), escaped(variant)),
            None => escaped(&provider.name),
        },
        None => "JWT".to_owned(),
    };
    let kind = match token.kind {
        TokenKind::Jws => "JWS",
        TokenKind::Jwe => "JWE",
    };
    match &token.header_error {
        None => {
            let _ = write!(out, "**{provider}** · {kind} · {}", code(token.alg()));
        }
        Some(_) => {
            let _ = write!(out, "**{provider}** · {kind} · broken header");
        }
    }
    if let Some(enc) = token.header_str("enc") {
        let _ = write!(out, " · enc {}", code(enc));
    }
    if let Some(kid) = token.header_str("kid") {
        let _ = write!(out, " · kid {}", code(kid));
    }
    if let Some(why) = &report.fixture {
        let _ = write!(out, " · test fixture ({})", escaped(why));
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
        rows.push(("Session", code(session)));
    }
    if let Some(party) = &facts.authorized_party {
        rows.push(("Authorized party", code(party)));
    }
    if let Some(subject) = &facts.subject {
        rows.push(("Subject", code(subject)));
    }
    if let Some((claim, actor)) = &facts.actor {
        rows.push((
            "Acting party",
            format!("{} in {}", code(&compact(actor)), code(claim)),
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
            let mut shown = format!("{} ({relative})", timefmt::utc_date(at));
            if let Some(seconds) = timefmt::from_milliseconds(at) {
                // Verifiers read the value as seconds: say so, and what was meant.
                shown.push_str(&format!(
                    ": `{claim}` is in milliseconds, meant as {}; verifiers read it as seconds",
                    timefmt::utc_date(seconds)
                ));
            }
            rows.push((label, shown));
        }
    }
    if let (Some(iat), Some(exp)) = (token.numeric_claim("iat"), token.numeric_claim("exp")) {
        if exp >= iat {
            rows.push(("Lifetime", timefmt::duration(exp.abs_diff(iat))));
        }
    }
    if let (Some(claims), None) = (token.claims(), token.numeric_claim("exp")) {
        let expires = match claims.get("exp") {
            None => "never: the token has no `exp` claim".to_owned(),
            Some(exp) => format!("unknown: `exp` is {}, not a NumericDate", json_type(exp)),
        };
        rows.push(("Expires", expires));
    }
    if let Some(note) = &report.signature {
        rows.push(("Signature", escaped(note)));
    }
    if !facts.custom_claims.is_empty() {
        let names: Vec<String> = facts.custom_claims.iter().map(|name| code(name)).collect();
        rows.push(("Other claims", names.join(", ")));
    }
    if rows.is_empty() {
        return;
    }
    out.push_str("| | |\n|---|---|\n");
    for (label, value) in rows {
        // A pipe ends a table cell even inside a code span; `\|` keeps it (GFM).
        let _ = writeln!(out, "| {label} | {} |", value.replace('|', "\\|"));
    }
    out.push('\n');
}

fn findings(out: &mut String, report: &TokenReport, shown: Findings) {
    if shown == Findings::ShownByEditor {
        if report.suppressed > 0 {
            let _ = writeln!(out, "{}\n", suppressed(report.suppressed));
        }
        return;
    }
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
            escaped(&finding.message)
        );
    }
    if report.suppressed > 0 {
        let _ = writeln!(out, "- {}", suppressed(report.suppressed));
    }
    out.push('\n');
}

fn suppressed(count: usize) -> String {
    let findings = if count == 1 { "finding" } else { "findings" };
    format!("{count} {findings} suppressed by a `jwtlens: ignore` comment or an allow entry")
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
    let _ = writeln!(out, "*{} notes*\n", escaped(&provider.name));
    for note in &provider.notes {
        let _ = writeln!(out, "- {}", escaped(note));
    }
    out.push('\n');
}

fn raw_parts(out: &mut String, report: &TokenReport, text: &[u8]) {
    let token = &report.token;
    match &token.header_error {
        None => json_block(out, "Header", &Value::Object(Map::clone(&token.header))),
        Some(err) => {
            let _ = writeln!(out, "**Header** {}\n", escaped(&err.to_string()));
        }
    }
    match &token.body {
        Body::Claims(claims) => json_block(out, "Payload", &Value::Object(claims.clone())),
        Body::Malformed(err) => {
            let _ = writeln!(out, "**Payload** {}\n", escaped(&err.to_string()));
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
                let start = &signature[..signature.len().min(8)];
                let _ = writeln!(
                    out,
                    "**Signature** {bytes} bytes, starting {}",
                    code(&format!("{start}…"))
                );
            }
            None => out.push_str("**Signature** not valid base64url\n"),
        }
    }
}

fn json_block(out: &mut String, title: &str, value: &Value) {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
    let pretty = escape_controls_in_json(pretty);
    // A JSON line never starts with a backtick, but a longer fence costs nothing.
    let fence = "`".repeat(longest_backtick_run(&pretty).max(2) + 1);
    let _ = writeln!(out, "**{title}**\n\n{fence}json");
    if pretty.len() > MAX_JSON_BLOCK {
        let mut cut = MAX_JSON_BLOCK;
        while !pretty.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&pretty[..cut]);
        let _ = write!(
            out,
            "\n{fence}\n*truncated: {} KB in all*\n\n",
            pretty.len().div_ceil(1024)
        );
    } else {
        let _ = write!(out, "{pretty}\n{fence}\n\n");
    }
}

/// A list of values as inline code, cut to its first items with a count.
fn list(values: &[String]) -> String {
    let shown: Vec<String> = values
        .iter()
        .take(MAX_LIST_ITEMS)
        .map(|value| code(value))
        .collect();
    let mut line = shown.join(", ");
    if values.len() > MAX_LIST_ITEMS {
        let _ = write!(line, " … ({} in all)", values.len());
    }
    line
}

/// Untrusted text as an inline code span, shown as it is: control characters escaped
/// visibly (a line break would end the table row or list item and start a new block),
/// fenced with more backticks than any run inside, padded with a space when it starts or
/// ends with a backtick (CommonMark strips one space from each side).
fn code(raw: &str) -> String {
    let shown = escape_controls(raw);
    let fence = "`".repeat(longest_backtick_run(&shown) + 1);
    let pad = if shown.starts_with('`') || shown.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{shown}{pad}{fence}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Untrusted text as Markdown text that reads as itself: control characters escaped
/// visibly, and a backslash before every character that could open inline Markdown or
/// HTML (emphasis, links and images, autolinks and tags, entities such as `&#x202E;`,
/// strikethrough). Nothing else needs it: the text never starts a line, so `#`, `>` or
/// `-` cannot start a block. Code spans (a backtick run closed by one of the same
/// length) stay code spans, as the notes and messages use them and their content is
/// shown literally; an unclosed backtick is escaped. An underscore inside a word cannot
/// emphasise and stays bare, so `auth_time` reads as itself where escapes are shown
/// (Neovim conceals them; VS Code renders them away).
fn escaped(raw: &str) -> String {
    let shown = escape_controls(raw);
    let mut out = String::with_capacity(shown.len() + 8);
    let mut rest: &str = &shown;
    let mut previous = None;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            let run = backtick_run(rest);
            let taken = match closing_run(&rest[run..], run) {
                Some(end) => {
                    out.push_str(&rest[..run + end + run]);
                    run + end + run
                }
                None => {
                    out.push_str(&"\\`".repeat(run));
                    run
                }
            };
            rest = &rest[taken..];
            previous = Some('`');
            continue;
        }
        rest = &rest[c.len_utf8()..];
        let in_word = |side: Option<char>| side.is_some_and(char::is_alphanumeric);
        let escape = match c {
            '\\' | '*' | '[' | ']' | '<' | '&' | '~' => true,
            '_' => !(in_word(previous) && in_word(rest.chars().next())),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// How many backticks `text` starts with.
fn backtick_run(text: &str) -> usize {
    text.len() - text.trim_start_matches('`').len()
}

/// Where the first run of exactly `length` backticks in `text` starts.
fn closing_run(text: &str, length: usize) -> Option<usize> {
    let mut at = 0;
    while let Some(found) = text[at..].find('`') {
        let start = at + found;
        let run = backtick_run(&text[start..]);
        if run == length {
            return Some(start);
        }
        at = start + run;
    }
    None
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Object(map) if map.len() == 1 && map.contains_key("sub") => compact(&map["sub"]),
        other => other.to_string(),
    }
}

/// The token's most severe finding (the first of them when several are as severe).
pub fn most_severe(report: &TokenReport) -> Option<&Finding> {
    report
        .findings
        .iter()
        .rev()
        .max_by_key(|finding| finding.level)
}

/// One short line for an inlay hint: `Clerk · org:admin · expired 3 d ago`, then the most
/// severe finding in a few words (`· error: live credential`). Plain text, with control
/// characters escaped.
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
        None if token.header_error.is_some() => "JWT (broken header)".to_owned(),
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
    if let Some(finding) = most_severe(report) {
        parts.push(format!(
            "{}: {}",
            finding.level.as_str(),
            finding.rule.name.replace('-', " ")
        ));
    }
    escape_controls(&parts.join(" · ")).into_owned()
}

/// Header and claims as one JSON document (`jwtlens decode`, the decode command).
pub fn decoded_json(report: &TokenReport) -> Value {
    let mut out = Map::new();
    out.insert(
        "header".into(),
        Value::Object(Map::clone(&report.token.header)),
    );
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

/// The hover's **Policies** section: each named policy's one-line answer and, when it
/// rejects, the failed check and why. Empty without policies. Claim values in it are
/// untrusted text, escaped as everywhere in the hover.
pub fn policies(decisions: &[crate::decision::Decision]) -> String {
    let mut out = String::new();
    for decision in decisions {
        if out.is_empty() {
            out.push_str("\n\n**Policies**\n\n");
        }
        out.push_str(&format!("- {}", escaped(&decision.summary())));
        if let Some(failed) = decision.checks.iter().find(|outcome| !outcome.ok) {
            out.push_str(&format!(
                " ({}: {})",
                failed.check.as_str(),
                escaped(&failed.message)
            ));
        }
        out.push('\n');
    }
    out
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

    #[test]
    fn escaped_text_reads_as_itself() {
        // Ordinary words, identifiers and code spans are left alone.
        assert_eq!(
            escaped("no `exp`: auth_time, a.b-c #1 (x)"),
            "no `exp`: auth_time, a.b-c #1 (x)"
        );
        // What could open Markdown or HTML is escaped; an unbalanced backtick too.
        assert_eq!(
            escaped("_x_ *y* [l](u) <b> &amp; ~~z~~ \\ ``a`"),
            "\\_x\\_ \\*y\\* \\[l\\](u) \\<b> \\&amp; \\~\\~z\\~\\~ \\\\ \\`\\`a\\`"
        );
        // The backslash of a control's escape is itself escaped, so it shows.
        assert_eq!(escaped("a\nb\u{202E}"), "a\\\\nb\\\\u{202e}");
    }

    #[test]
    fn code_spans_hold_any_backtick_run() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("two\nlines"), "`two\\nlines`");
    }

    /// Found by `cargo fuzz run analyse`: `now - exp` overflowed for the earliest `exp`,
    /// and `exp - iat` for the longest lifetime.
    #[test]
    fn expiry_at_the_ends_of_time() {
        let (expired, text) = report(r#"{"exp":-9223372036854775808}"#);
        assert!(summary(&expired, 1_800_000_000).starts_with("JWT HS256 · expired "));
        render(&expired, &text, 1_800_000_000, Findings::Listed);
        let (far, text) = report(r#"{"exp":9223372036854775807}"#);
        assert!(summary(&far, -1_800_000_000).contains("expires in "));
        render(&far, &text, -1_800_000_000, Findings::Listed);
        let (lifetime, text) = report(r#"{"iat":-9223372036854775808,"exp":9223372036854775807}"#);
        assert!(render(&lifetime, &text, 0, Findings::Listed).contains("Lifetime"));
    }

    /// Where the editor shows the diagnostics in the hover, the findings are not said
    /// again; the claims and provider notes come before them either way.
    #[test]
    fn findings_are_listed_unless_the_editor_shows_them() {
        let (report, text) = report(r#"{"iss":"https://clerk.acme.io","sub":"user_1"}"#);
        assert!(!report.findings.is_empty());
        let listed = render(&report, &text, 1_800_000_000, Findings::Listed);
        let findings = listed.find("**Findings**").expect("listed");
        assert!(listed.find("| Subject |").unwrap() < findings, "{listed}");
        assert!(listed.find("*Clerk notes*").unwrap() < findings, "{listed}");
        assert!(
            listed.contains("| Expires | never: the token has no `exp` claim |"),
            "{listed}"
        );
        let quiet = render(&report, &text, 1_800_000_000, Findings::ShownByEditor);
        assert!(!quiet.contains("**Findings**"), "{quiet}");
        for finding in &report.findings {
            assert!(!quiet.contains(finding.rule.code), "{quiet}");
        }
        assert_eq!(
            quiet,
            listed[..findings].to_owned() + &listed[listed.find("**Header**").unwrap()..]
        );
    }

    /// A string `exp` is not "never expires": verifiers reject the token.
    #[test]
    fn an_exp_that_is_not_a_number_is_not_shown_as_never_expiring() {
        let (report, text) = report(r#"{"exp":"1700000000"}"#);
        assert_eq!(
            summary(&report, 1_800_000_000),
            "JWT HS256 · invalid exp · warning: missing aud"
        );
        let hover = render(&report, &text, 1_800_000_000, Findings::Listed);
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

    /// An exp in milliseconds is shown as the date verifiers see, with the date it meant.
    #[test]
    fn an_exp_in_milliseconds_shows_the_date_it_meant() {
        let (report, text) = report(r#"{"exp":1168335720000}"#);
        let hover = render(&report, &text, 1_800_000_000, Findings::Listed);
        assert!(
            hover.contains(
                "| Expires | +38993-01-31 04:00:00 UTC (in 36990 years): `exp` is in milliseconds, \
                 meant as 2007-01-09 09:42:00 UTC; verifiers read it as seconds |"
            ),
            "{hover}"
        );
        assert!(hover.contains("JWT120"), "{hover}");
    }
}
