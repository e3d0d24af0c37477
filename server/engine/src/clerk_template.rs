//! Clerk JWT templates: JSON objects of claims whose string values hold `{{…}}` shortcodes
//! that Clerk substitutes when it mints a token (<https://clerk.com/docs/backend-requests/jwt-templates>).
//! Teams paste them into repositories to feed other services; this module lints them.
//!
//! A template is either the claims object itself or Clerk's API object
//! (`{"name", "claims", "lifetime", "allowed_clock_skew"}`). Pure: text in, findings with
//! byte ranges out. The file is parsed as JSONC (comments and trailing commas allowed, as
//! in Clerk's own examples) by `jsonc-parser`, which keeps every node's byte range.

use std::ops::Range;

use jsonc_parser::ast::{Object, ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

use crate::navigate::json_depth;
use crate::rules::{self, Rule};

/// Templates larger than this are not linted (a real one is a few hundred bytes).
pub const MAX_TEMPLATE_BYTES: usize = 1 << 20;

/// Deeper nesting than this is not parsed: the parser recurses once per level.
const MAX_DEPTH: usize = 64;

/// Below this many seconds a token can expire between being fetched and being checked
/// (Clerk's default is 60 s and its default allowed clock skew 5 s).
pub const MIN_LIFETIME: u64 = 30;

/// Claims Clerk sets in every token minted from a template; a template cannot override
/// them (its value is dropped).
pub const DEFAULT_CLAIMS: &[&str] = &["azp", "exp", "iat", "iss", "jti", "nbf", "sub"];

/// Claims tied to a session, which Clerk never puts in a template's token.
pub const SESSION_CLAIMS: &[&str] = &["sid", "v", "pla", "fea"];

/// `user.*` fields Clerk substitutes (besides the metadata objects, whose nested paths are
/// the application's own).
const USER_FIELDS: &[&str] = &[
    "id",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "username",
    "image_url",
    "profile_image_url",
    "has_image",
    "primary_email_address",
    "email_verified",
    "primary_phone_number",
    "phone_number_verified",
    "primary_web3_wallet",
    "two_factor_enabled",
    "created_at",
    "updated_at",
];

/// `org.*` fields of the active organization.
const ORG_FIELDS: &[&str] = &["id", "name", "slug", "role", "image_url"];

/// Metadata objects: the object itself or any path inside it.
const USER_METADATA: &[&str] = &["public_metadata", "unsafe_metadata"];
const ORG_METADATA: &[&str] = &["public_metadata"];

/// What the lint needs besides the text.
pub struct TemplateContext<'a> {
    /// `.jwtlens.toml` names this file as a template (`clerk_templates`): lint it even
    /// when no shortcode says it is one.
    pub named: bool,
    /// Longest sane lifetime in seconds (the settings' `lifetime_threshold`, as JWT008).
    pub lifetime_threshold: u64,
    /// Claims the workspace's APIs require (the `required_claims` of `[policy]` and of
    /// each named policy).
    pub required_claims: &'a [RequiredClaim],
}

/// A claim that policies require, and which ones, in words (`policy billing-api`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredClaim {
    pub claim: String,
    pub required_by: String,
}

/// One problem in a template.
#[derive(Debug, Clone)]
pub struct TemplateFinding {
    pub rule: &'static Rule,
    pub message: String,
    /// Byte range in the text: the shortcode path, the claim name, the lifetime value.
    pub range: Range<usize>,
}

/// Whether `text` can be a template at all (a JSON object of at most
/// `MAX_TEMPLATE_BYTES`): a cheap test callers run before they validate or copy the text.
pub fn may_be_template(text: &[u8]) -> bool {
    text.len() <= MAX_TEMPLATE_BYTES && text.trim_ascii_start().starts_with(b"{")
}

/// The findings of `text` if it is a Clerk JWT template, in document order; `None` when
/// it is not one (not a JSON object, no Clerk shortcode and not named, too big or deep).
pub fn lint(text: &str, cx: &TemplateContext) -> Option<Vec<TemplateFinding>> {
    if !may_be_template(text.as_bytes()) {
        return None;
    }
    if !cx.named && !text.contains("{{") {
        return None;
    }
    if json_depth(text.as_bytes()) > MAX_DEPTH {
        return None;
    }
    let parsed =
        jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default())
            .ok()?;
    let Some(Value::Object(root)) = parsed.value else {
        return None;
    };
    // Clerk's API object carries the claims under `claims`, next to its lifetime.
    let api_claims = root.get("claims").and_then(|prop| match &prop.value {
        Value::Object(claims) if root.get("lifetime").is_some() || root.get("name").is_some() => {
            Some(claims)
        }
        _ => None,
    });
    let claims = api_claims.unwrap_or(&root);

    let mut shortcodes = Vec::new();
    collect_shortcodes(text, &Value::Object(claims.clone()), &mut shortcodes);
    if !cx.named && !shortcodes.iter().any(|code| code.is_clerk()) {
        return None;
    }

    let mut findings = Vec::new();
    for code in &shortcodes {
        code.lint(&mut findings);
    }
    reserved_claims(claims, &mut findings);
    if api_claims.is_some() {
        lifetime(&root, cx.lifetime_threshold, &mut findings);
    }
    missing_required(claims, cx.required_claims, &mut findings);
    findings.sort_by_key(|finding| (finding.range.start, finding.range.end));
    Some(findings)
}

/// The `{{org.*}}` text that replaces an older `{{organization.*}}` path at `path` (the
/// range of a JWT114 finding), or `None` when `path` is not such a path.
pub fn short_form(path: &str) -> Option<String> {
    path.strip_prefix("organization.")
        .map(|rest| format!("org.{rest}"))
}

/// One operand of a shortcode expression: `user.id`, `'fallback'`, `30`.
struct Shortcode {
    path: String,
    /// Byte range of `path` in the text.
    range: Range<usize>,
}

impl Shortcode {
    fn root(&self) -> &str {
        self.path.split('.').next().unwrap_or_default()
    }

    /// Whether this names Clerk data (what makes a JSON file a Clerk template).
    fn is_clerk(&self) -> bool {
        matches!(self.root(), "user" | "org" | "organization")
    }

    fn lint(&self, findings: &mut Vec<TemplateFinding>) {
        let mut finding = |code: &str, message: String| {
            findings.push(TemplateFinding {
                rule: rules::find(code).expect("template rule exists"),
                message,
                range: self.range.clone(),
            })
        };
        let path = self.path.as_str();
        if let Some(short) = short_form(path) {
            if known(&short) {
                finding(
                    "JWT114",
                    format!("`{{{{{path}}}}}` is the older form of `{{{{{short}}}}}`"),
                );
                return;
            }
        }
        if !known(path) {
            finding(
                "JWT115",
                format!(
                    "`{{{{{path}}}}}` is not a Clerk shortcode: Clerk puts null in the token for it"
                ),
            );
        }
    }
}

/// Whether Clerk substitutes `path`.
fn known(path: &str) -> bool {
    let Some((root, rest)) = path.split_once('.') else {
        return false;
    };
    let (fields, metadata) = match root {
        "user" => (USER_FIELDS, USER_METADATA),
        "org" => (ORG_FIELDS, ORG_METADATA),
        _ => return false,
    };
    let field = rest.split('.').next().unwrap_or_default();
    (fields.contains(&rest)) || (metadata.contains(&field) && rest.split('.').all(is_segment))
}

fn is_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Every shortcode path in the string values under `value` (keys are never substituted).
fn collect_shortcodes(text: &str, value: &Value, out: &mut Vec<Shortcode>) {
    match value {
        Value::StringLit(string) => shortcodes_in(text, string.range.start, string.range.end, out),
        Value::Object(object) => {
            for prop in &object.properties {
                collect_shortcodes(text, &prop.value, out);
            }
        }
        Value::Array(array) => {
            for element in &array.elements {
                collect_shortcodes(text, element, out);
            }
        }
        _ => {}
    }
}

/// The paths in the `{{ a || b || 'c' }}` expressions of the literal at `start..end`,
/// read from the raw text so that ranges are byte offsets in it.
fn shortcodes_in(text: &str, start: usize, end: usize, out: &mut Vec<Shortcode>) {
    let raw = &text[start..end];
    let mut from = 0;
    while let Some(open) = raw[from..].find("{{").map(|at| from + at + 2) {
        let Some(close) = raw[open..].find("}}").map(|at| open + at) else {
            return;
        };
        let mut operand_start = open;
        for operand in raw[open..close].split("||") {
            let trimmed = operand.trim();
            let leading = operand.len() - operand.trim_start().len();
            let at = start + operand_start + leading;
            if is_path(trimmed) {
                out.push(Shortcode {
                    path: trimmed.to_owned(),
                    range: at..at + trimmed.len(),
                });
            }
            operand_start += operand.len() + 2;
        }
        from = close + 2;
    }
}

/// A dotted name, not a literal (`'text'`, `30`, `true`).
fn is_path(operand: &str) -> bool {
    operand.starts_with(|c: char| c.is_ascii_alphabetic())
        && !matches!(operand, "true" | "false" | "null")
        && operand
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn prop_name<'a>(name: &'a ObjectPropName) -> (&'a str, Range<usize>) {
    match name {
        ObjectPropName::String(string) => {
            (string.value.as_ref(), string.range.start..string.range.end)
        }
        ObjectPropName::Word(word) => (word.value, word.range.start..word.range.end),
    }
}

fn reserved_claims(claims: &Object, findings: &mut Vec<TemplateFinding>) {
    for prop in &claims.properties {
        let (name, range) = prop_name(&prop.name);
        let message = if DEFAULT_CLAIMS.contains(&name) {
            format!("Clerk sets `{name}` in every token it mints; a template cannot override it, so this value never reaches the token")
        } else if SESSION_CLAIMS.contains(&name) {
            format!("`{name}` is a session-token claim; Clerk never includes it in a JWT template's token")
        } else {
            continue;
        };
        findings.push(TemplateFinding {
            rule: rules::find("JWT116").expect("template rule exists"),
            message,
            range,
        });
    }
}

fn lifetime(root: &Object, threshold: u64, findings: &mut Vec<TemplateFinding>) {
    let Some(prop) = root.get("lifetime") else {
        return;
    };
    let Value::NumberLit(number) = &prop.value else {
        return;
    };
    let Ok(seconds) = number.value.parse::<f64>() else {
        return;
    };
    let message = if seconds < MIN_LIFETIME as f64 {
        format!("lifetime {seconds} s is shorter than {MIN_LIFETIME} s: tokens can expire between being fetched and being checked")
    } else if seconds > threshold as f64 {
        format!(
            "lifetime {seconds} s is longer than {threshold} s (lifetime_threshold): a leaked token stays valid that long"
        )
    } else {
        return;
    };
    findings.push(TemplateFinding {
        rule: rules::find("JWT117").expect("template rule exists"),
        message,
        range: number.range.start..number.range.end,
    });
}

fn missing_required(
    claims: &Object,
    required: &[RequiredClaim],
    findings: &mut Vec<TemplateFinding>,
) {
    for RequiredClaim { claim, required_by } in required {
        let emitted = DEFAULT_CLAIMS.contains(&claim.as_str())
            || claims
                .properties
                .iter()
                .any(|prop| prop_name(&prop.name).0 == claim.as_str());
        if !emitted {
            findings.push(TemplateFinding {
                rule: rules::find("JWT118").expect("template rule exists"),
                message: format!(
                    "{required_by} requires `{claim}` but this template does not emit it: the API rejects its tokens"
                ),
                // The opening brace of the claims object.
                range: claims.range.start..claims.range.start + 1,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lint_with(text: &str, named: bool, required: &[&str]) -> Option<Vec<(String, String)>> {
        let required: Vec<RequiredClaim> = required
            .iter()
            .map(|claim| RequiredClaim {
                claim: claim.to_string(),
                required_by: "the policy".to_owned(),
            })
            .collect();
        let cx = TemplateContext {
            named,
            lifetime_threshold: 86_400,
            required_claims: &required,
        };
        lint(text, &cx).map(|findings| {
            findings
                .into_iter()
                .map(|f| (f.rule.code.to_owned(), text[f.range].to_owned()))
                .collect()
        })
    }

    fn found(text: &str) -> Vec<(String, String)> {
        lint_with(text, false, &[]).expect("a template")
    }

    fn pair(code: &str, at: &str) -> (String, String) {
        (code.to_owned(), at.to_owned())
    }

    #[test]
    fn documented_shortcodes_are_clean() {
        let text = r#"{
  // Clerk's docs write templates with comments
  "aud": "https://api.acme.io",
  "email": "{{user.primary_email_address}}",
  "name": "{{user.last_name}} {{user.first_name}}",
  "org_id": "{{org.id}}",
  "org_role": "{{org.role}}",
  "plan": "{{user.public_metadata.billing.plan || 'free'}}",
  "age": "{{ user.public_metadata.age || user.unsafe_metadata.age || 30 }}",
  "tags": ["{{org.public_metadata.tags}}"],
}"#;
        assert_eq!(found(text), Vec::new());
    }

    #[test]
    fn older_organization_forms_map_to_org() {
        let text =
            r#"{"org_id": "{{organization.id}}", "role": "{{ user.id || organization.role }}"}"#;
        assert_eq!(
            found(text),
            vec![
                pair("JWT114", "organization.id"),
                pair("JWT114", "organization.role")
            ]
        );
        assert_eq!(short_form("organization.id").as_deref(), Some("org.id"));
        assert_eq!(
            short_form("organization.public_metadata.tier").as_deref(),
            Some("org.public_metadata.tier")
        );
        assert_eq!(short_form("org.id"), None);
    }

    #[test]
    fn unknown_shortcodes_are_reported_where_they_are() {
        let text = r#"{"a": "{{user.id}}", "b": "x {{user.i_dont_exist}}", "c": "{{organization.nope}}", "d": "{{org.publicMetadata.x}}"}"#;
        assert_eq!(
            found(text),
            vec![
                pair("JWT115", "user.i_dont_exist"),
                pair("JWT115", "organization.nope"),
                pair("JWT115", "org.publicMetadata.x"),
            ]
        );
    }

    #[test]
    fn reserved_and_session_claims_cannot_be_set() {
        let text =
            r#"{"sub": "{{user.id}}", "sid": "x", "email": "{{user.primary_email_address}}"}"#;
        assert_eq!(
            found(text),
            vec![pair("JWT116", "\"sub\""), pair("JWT116", "\"sid\"")]
        );
    }

    #[test]
    fn api_objects_have_their_lifetime_checked() {
        let claims = r#""claims": {"org": "{{org.slug}}"}"#;
        let with =
            |lifetime: &str| format!(r#"{{"name": "convex", "lifetime": {lifetime}, {claims}}}"#);
        assert_eq!(found(&with("60")), Vec::new());
        assert_eq!(found(&with("10")), vec![pair("JWT117", "10")]);
        assert_eq!(found(&with("604800")), vec![pair("JWT117", "604800")]);
        // In a bare claims object, `lifetime` is just a claim.
        assert_eq!(found(r#"{"lifetime": 5, "org": "{{org.id}}"}"#), Vec::new());
    }

    #[test]
    fn claims_the_policy_requires_must_be_emitted() {
        let text = r#"{"name": "billing", "lifetime": 60, "claims": {"org_id": "{{org.id}}"}}"#;
        let findings = lint_with(text, false, &["org_id", "email", "sub"]).unwrap();
        assert_eq!(findings, vec![pair("JWT118", "{")]);
        let at = text.find("{\"org_id").unwrap();
        let cx = TemplateContext {
            named: false,
            lifetime_threshold: 86_400,
            required_claims: &[RequiredClaim {
                claim: "email".to_owned(),
                required_by: "policy billing-api".to_owned(),
            }],
        };
        let findings = lint(text, &cx).unwrap();
        assert_eq!(
            findings[0].range,
            at..at + 1,
            "the claims object, not the API object"
        );
        assert!(findings[0]
            .message
            .starts_with("policy billing-api requires `email`"));
    }

    #[test]
    fn files_without_clerk_shortcodes_are_not_templates_unless_named() {
        assert_eq!(lint_with(r#"{"a": "{{ handlebars }}"}"#, false, &[]), None);
        assert_eq!(lint_with(r#"{"a": "plain"}"#, false, &[]), None);
        assert_eq!(lint_with("not json {{user.id}}", false, &[]), None);
        assert_eq!(lint_with(r#"["{{user.id}}"]"#, false, &[]), None);
        assert_eq!(
            lint_with(r#"{"a": "{{ handlebars }}"}"#, true, &[]),
            Some(vec![pair("JWT115", "handlebars")])
        );
        assert_eq!(
            lint_with(r#"{"a": "plain"}"#, true, &["email"]),
            Some(vec![pair("JWT118", "{")])
        );
    }

    #[test]
    fn hostile_input_is_refused_not_parsed() {
        let deep = format!(
            "{{\"a\": \"{{{{user.id}}}}\", \"b\": {}{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(lint_with(&deep, true, &[]), None);
        let unclosed = r#"{"a": "{{user.id"}"#;
        assert_eq!(lint_with(unclosed, true, &[]), Some(Vec::new()));
        let huge = format!(
            "{{\"a\": \"{{{{user.id}}}}{}\"}}",
            " ".repeat(MAX_TEMPLATE_BYTES)
        );
        assert_eq!(lint_with(&huge, true, &[]), None);
    }
}
