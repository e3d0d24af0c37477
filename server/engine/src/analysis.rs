//! A document in, a report per token out: scan, decode, recognise the provider, run the
//! checklist, then apply fixture context, config levels and suppressions. Pure.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::LazyLock;

use crate::clerk_template::{self, RequiredClaim, TemplateContext};
use crate::config::Config;
use crate::decode::{DecodedToken, Headers};
use crate::facts::TokenFacts;
use crate::rules::{self, Context, InFixtures, Rule, RULES};
use crate::scan;
use crate::timefmt;
use jwtlens_jose::fingerprint;
use jwtlens_keys::key::Origin;
use jwtlens_keys::known_secrets::{self, KnownSecret};
use jwtlens_keys::ring::{KeyRing, Outcome, Verdict};
use jwtlens_keys::verify::{describe_key_set, RemoteOutcome, RemoteResults};
use jwtlens_settings::{Level, Settings};

/// One rule that fired on one token, at the level it is reported.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    /// Never [`Level::Off`].
    pub level: Level,
    pub message: String,
    /// Byte range in the document.
    pub range: Range<usize>,
}

/// Everything jwtlens knows about one token in a document.
#[derive(Debug, Clone)]
pub struct TokenReport {
    pub token: DecodedToken,
    pub facts: TokenFacts,
    /// Why the token is in fixture context, when it is: `fixture path`, `jwt.io sample…`.
    pub fixture: Option<String>,
    pub findings: Vec<Finding>,
    /// Findings hidden by an inline `jwtlens: ignore` or a config allow entry.
    pub suppressed: usize,
    /// What verified the signature, when something did: `verified with .env: JWT_SECRET`.
    pub signature: Option<String>,
    /// The outcome of a verification the user asked for.
    pub remote: Option<RemoteOutcome>,
}

/// Where a document sits, for fixture context and ignore globs.
pub struct DocumentContext<'a> {
    /// Path relative to the workspace root (or as given), if the document has one.
    pub path: Option<&'a Path>,
    pub config: &'a Config,
    /// Seconds since the epoch.
    pub now: i64,
    /// Results of verifications the user asked for, by token fingerprint.
    pub remote: Option<&'a RemoteResults>,
}

/// Reports for every token in `text`, in document order.
pub fn analyse(text: &[u8], cx: &DocumentContext) -> Vec<TokenReport> {
    if cx.path.is_some_and(|path| cx.config.is_ignored_path(path)) {
        return Vec::new();
    }
    let fixture_path = cx.path.is_some_and(|path| cx.config.is_fixture_path(path));
    let mut lines = SuppressionLines::new(text);
    let mut headers = Headers::default();
    scan::scan(text)
        .iter()
        .filter_map(|candidate| DecodedToken::decode_with(text, candidate, &mut headers))
        .map(|token| {
            let suppression = lines.for_token_at(token.range.start);
            report(text, token, fixture_path, suppression, cx)
        })
        .collect()
}

/// Findings of the Clerk JWT template rules when `text` is a template ([`clerk_template`]):
/// at the levels the configuration sets, without those an inline `jwtlens: ignore` covers
/// (on the line or the line above, as for tokens), in document order.
pub fn analyse_template(text: &[u8], cx: &DocumentContext) -> Vec<Finding> {
    if !clerk_template::may_be_template(text)
        || cx.path.is_some_and(|path| cx.config.is_ignored_path(path))
    {
        return Vec::new();
    }
    // Runs on every analysis of every document: only a JSON object is validated as UTF-8.
    let Ok(text_str) = std::str::from_utf8(text) else {
        return Vec::new();
    };
    let settings = &cx.config.settings;
    let template_cx = TemplateContext {
        named: cx
            .path
            .is_some_and(|path| cx.config.is_clerk_template_path(path)),
        lifetime_threshold: settings.lifetime_threshold,
        required_claims: &required_claims(settings),
    };
    let Some(found) = clerk_template::lint(text_str, &template_cx) else {
        return Vec::new();
    };
    let mut lines = SuppressionLines::new(text);
    found
        .into_iter()
        .filter_map(|finding| {
            let level = level_for(finding.rule, cx.config, Fixture::No)?;
            if lines.for_token_at(finding.range.start).covers(finding.rule) {
                return None;
            }
            Some(Finding {
                rule: finding.rule,
                level,
                message: finding.message,
                range: finding.range,
            })
        })
        .collect()
}

/// Each claim that `[policy]` or a named policy requires, once, with the policies that
/// require it in words (`policy billing-api`, `policies billing-api, orders-api`).
fn required_claims(settings: &Settings) -> Vec<RequiredClaim> {
    let mut by_claim: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for claim in &settings.policy.required_claims {
        by_claim.entry(claim).or_default();
    }
    for policy in &settings.policies {
        for claim in &policy.required_claims {
            by_claim.entry(claim).or_default().push(&policy.name);
        }
    }
    by_claim
        .into_iter()
        .map(|(claim, names)| RequiredClaim {
            claim: claim.to_owned(),
            required_by: match names.as_slice() {
                [] => "the policy".to_owned(),
                [name] => format!("policy {name}"),
                names => format!("policies {}", names.join(", ")),
            },
        })
        .collect()
}

fn report(
    text: &[u8],
    token: DecodedToken,
    fixture_path: bool,
    inline: Suppression,
    cx: &DocumentContext,
) -> TokenReport {
    let facts = token
        .claims()
        .map(|claims| cx.config.providers().facts(&token.header, claims))
        .unwrap_or_default();
    let known_secret = known_secrets::find_known_secret(
        token.alg(),
        token.signing_input(text),
        token.signature_text(text),
    );
    let keys = &cx.config.keys;
    let verdict = token.signed(text).and_then(|signed| keys.verdict(&signed));
    let remote = cx
        .remote
        .filter(|results| !results.is_empty())
        .and_then(|results| results.get(&fingerprint(token.compact(text))))
        .cloned();
    let signed_by_test_key = matches!(
        verdict.as_ref().map(|verdict| &verdict.outcome),
        Some(Outcome::Verified(index)) if keys.key(*index).origin == Origin::TestKey
    );
    let fixture = if signed_by_test_key {
        Some("signed by workspace test key".to_owned())
    } else if fixture_path {
        Some("fixture path".to_owned())
    } else {
        known_sample(&token, known_secret)
    };
    let rule_cx = Context {
        token: &token,
        facts: &facts,
        settings: &cx.config.settings,
        now: cx.now,
        known_secret,
        verdict: verdict.as_ref(),
        keys,
        remote: remote.as_ref(),
    };
    let fixture_kind = match (&fixture, fixture_path) {
        (None, _) => Fixture::No,
        (Some(_), true) => Fixture::ByPath,
        (Some(_), false) => Fixture::ByShape,
    };
    let mut findings = Vec::new();
    let mut suppressed = 0;
    for rule in RULES {
        let Some(level) = level_for(rule, cx.config, fixture_kind) else {
            continue;
        };
        let Some(mut message) = rule.check(&rule_cx) else {
            continue;
        };
        let allowed = token
            .claims()
            .is_some_and(|claims| cx.config.allows(rule, claims));
        if allowed || inline.covers(rule) {
            suppressed += 1;
            continue;
        }
        if fixture.is_some() && rule.in_fixtures == InFixtures::Hint {
            message.push_str(" — fixture");
        }
        findings.push(Finding {
            rule,
            level,
            message,
            range: token.range.clone(),
        });
    }
    let signature = signature_note(verdict.as_ref(), keys, remote.as_ref());
    TokenReport {
        token,
        facts,
        fixture,
        findings,
        suppressed,
        signature,
        remote,
    }
}

/// One line on what verified the signature, for the hover.
fn signature_note(
    verdict: Option<&Verdict>,
    keys: &KeyRing,
    remote: Option<&RemoteOutcome>,
) -> Option<String> {
    if let Some(RemoteOutcome::Verified {
        kid,
        url,
        at,
        workspace_configured,
    }) = remote
    {
        let kid = kid
            .as_deref()
            .map(|kid| format!(" {kid}"))
            .unwrap_or_default();
        return Some(format!(
            "verified with key{kid} from {} at {}",
            describe_key_set(url, *workspace_configured),
            timefmt::utc_date(*at)
        ));
    }
    match verdict?.outcome {
        Outcome::Verified(index) => {
            let key = keys.key(index);
            let note = match key.origin {
                Origin::TestKey => "; test keys sign fixtures only and are meant to be committed",
                _ => "",
            };
            Some(format!("verified with {}{note}", key.source))
        }
        _ => None,
    }
}

/// Whether a token is test data, and what says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixture {
    No,
    /// The token itself: a known sample, a reserved issuer.
    ByShape,
    /// Its file: a test, fixture or docs path.
    ByPath,
}

/// The level a rule reports at, or `None` when it does not run here.
fn level_for(rule: &Rule, config: &Config, fixture: Fixture) -> Option<Level> {
    let level = config.level(rule).unwrap_or(rule.tier.level());
    let level = match (fixture, rule.in_fixtures) {
        (Fixture::No, _)
        | (_, InFixtures::Keep)
        | (Fixture::ByShape, InFixtures::WarnInTestPaths) => level,
        (_, InFixtures::Skip) => return None,
        (_, InFixtures::Hint) => level.min(Level::Hint),
        (Fixture::ByPath, InFixtures::WarnInTestPaths) => level.min(Level::Warning),
    };
    (level != Level::Off).then_some(level)
}

/// Tokens that are public samples: the jwt.io token, Supabase demo keys, RFC examples.
fn known_sample(token: &DecodedToken, known_secret: Option<&KnownSecret>) -> Option<String> {
    if let Some(known) = known_secret {
        return Some(format!("known sample (signed with {})", known.origin));
    }
    match token.str_claim("iss") {
        Some("supabase-demo") => Some("known sample (Supabase local demo key)".to_owned()),
        // RFC 7515/7519 examples are issued by "joe" with exp 1300819380.
        Some("joe") if token.numeric_claim("exp") == Some(1_300_819_380) => {
            Some("known sample (RFC 7519 example)".to_owned())
        }
        Some(iss) if rules::is_reserved_issuer(iss) => Some(format!(
            "example issuer ({iss} is reserved for examples and tests)"
        )),
        _ => None,
    }
}

/// An inline `jwtlens: ignore` or `jwtlens: ignore[JWT003, missing-aud]`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Suppression {
    None,
    All,
    Rules(Vec<String>),
}

impl Suppression {
    fn covers(&self, rule: &Rule) -> bool {
        match self {
            Suppression::None => false,
            Suppression::All => true,
            Suppression::Rules(keys) => keys.iter().any(|key| rule.is(key)),
        }
    }

    /// The directive in one line of any comment syntax, if present.
    fn parse(line: &[u8]) -> Suppression {
        let Some(after) = directive_end(line) else {
            return Suppression::None;
        };
        let Some(list) = line[after..].strip_prefix(b"[") else {
            return Suppression::All;
        };
        let list = &list[..memchr::memchr(b']', list).unwrap_or(list.len())];
        let keys = String::from_utf8_lossy(list)
            .split(',')
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty())
            .collect();
        Suppression::Rules(keys)
    }

    fn merge(self, other: Suppression) -> Suppression {
        match (self, other) {
            (Suppression::All, _) | (_, Suppression::All) => Suppression::All,
            (Suppression::None, other) | (other, Suppression::None) => other,
            (Suppression::Rules(mut a), Suppression::Rules(b)) => {
                a.extend(b);
                Suppression::Rules(a)
            }
        }
    }
}

/// Where `jwtlens: ignore` ends in `line`, if the line has one.
fn directive_end(line: &[u8]) -> Option<usize> {
    // Two lines are read per token: building the searcher once showed at 20,000 tokens.
    static DIRECTIVE: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"jwtlens:"));
    let at = DIRECTIVE.find(line)? + b"jwtlens:".len();
    let rest = &line[at..];
    let spaces = rest.len() - rest.trim_ascii_start().len();
    rest[spaces..]
        .starts_with(b"ignore")
        .then_some(at + spaces + b"ignore".len())
}

/// Where another rule can be added to the `jwtlens: ignore[…]` list in `line` (the offset
/// of its closing `]`), if the line has such a list.
pub fn ignore_list_end(line: &[u8]) -> Option<usize> {
    let after = directive_end(line)?;
    if line.get(after) != Some(&b'[') {
        return None;
    }
    memchr::memchr(b']', &line[after..]).map(|close| after + close)
}

/// Finds the suppression for each token's line and the line above, walking the document
/// once: tokens come in order, and one line with thousands of tokens is parsed once.
struct SuppressionLines<'a> {
    text: &'a [u8],
    /// Where the last token started, and the start of its line.
    last_offset: usize,
    line_start: usize,
    cached: Option<(usize, Suppression)>,
}

impl<'a> SuppressionLines<'a> {
    fn new(text: &'a [u8]) -> Self {
        SuppressionLines {
            text,
            last_offset: 0,
            line_start: 0,
            cached: None,
        }
    }

    fn for_token_at(&mut self, offset: usize) -> Suppression {
        if let Some(newline) = memchr::memrchr(b'\n', &self.text[self.last_offset..offset]) {
            self.line_start = self.last_offset + newline + 1;
        }
        self.last_offset = offset;
        if let Some((start, suppression)) = &self.cached {
            if *start == self.line_start {
                return suppression.clone();
            }
        }
        let line_end =
            memchr::memchr(b'\n', &self.text[offset..]).map_or(self.text.len(), |i| offset + i);
        let this_line = Suppression::parse(&self.text[self.line_start..line_end]);
        let line_above = match self.line_start.checked_sub(1) {
            Some(newline) => {
                let above_start =
                    memchr::memrchr(b'\n', &self.text[..newline]).map_or(0, |i| i + 1);
                Suppression::parse(&self.text[above_start..newline])
            }
            None => Suppression::None,
        };
        let suppression = this_line.merge(line_above);
        self.cached = Some((self.line_start, suppression.clone()));
        suppression
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::json;
    use serde_json::Value;

    const NOW: i64 = 1_800_000_000;

    fn token(claims: Value) -> String {
        let part = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());
        format!(
            "{}.{}.c2lnbmF0dXJl",
            part(json!({"alg": "RS256"})),
            part(claims)
        )
    }

    fn codes(text: &str, path: Option<&str>, config: &Config) -> Vec<Vec<(&'static str, Level)>> {
        let cx = DocumentContext {
            path: path.map(Path::new),
            config,
            now: NOW,
            remote: None,
        };
        analyse(text.as_bytes(), &cx)
            .iter()
            .map(|report| {
                report
                    .findings
                    .iter()
                    .map(|finding| (finding.rule.code, finding.level))
                    .collect()
            })
            .collect()
    }

    fn has(findings: &[(&str, Level)], code: &str) -> Option<Level> {
        findings
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, level)| *level)
    }

    #[test]
    fn fixture_paths_lower_time_rules_and_skip_live_credential() {
        let live_expired = token(
            json!({"iss": "https://clerk.acme.io", "exp": NOW - 60, "iat": NOW - 90 * 86_400}),
        );
        let live = token(json!({"iss": "https://clerk.acme.io", "exp": NOW + 600}));
        let text = format!("a = \"{live_expired}\"\nb = \"{live}\"\n");
        let config = Config::default();

        let src = codes(&text, Some("src/auth.ts"), &config);
        assert_eq!(has(&src[0], "JWT003"), Some(Level::Error));
        assert_eq!(has(&src[0], "JWT008"), Some(Level::Warning));
        assert_eq!(has(&src[1], "JWT104"), Some(Level::Error));

        let tests = codes(&text, Some("src/__tests__/auth.test.ts"), &config);
        assert_eq!(has(&tests[0], "JWT003"), Some(Level::Hint));
        assert_eq!(has(&tests[0], "JWT008"), Some(Level::Hint));
        assert_eq!(has(&tests[1], "JWT104"), None);
        assert_eq!(
            has(&tests[0], "JWT013"),
            Some(Level::Info),
            "other rules keep their level"
        );
    }

    fn part(value: Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    /// An HS256/HS512 token with these claims, signed with `secret`.
    fn hmac_token(alg: jsonwebtoken::Algorithm, claims: Value, secret: &str) -> String {
        let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
        jsonwebtoken::encode(&jsonwebtoken::Header::new(alg), &claims, &key).unwrap()
    }

    #[test]
    fn placeholders_and_run_time_signatures_are_not_unsigned_tokens() {
        let header = part(json!({"alg": "HS256", "typ": "JWT"}));
        let payload = part(json!({"iss": "auth0", "exp": NOW + 60}));
        let config = Config::default();
        let elided = [
            format!("Bearer {header}.."),
            format!("Bearer {header}...."),
            format!("'{header}.{payload}...'"),
            format!("String jwt = \"{header}.{payload}.\" + signature;"),
            format!("const jwt = '{header}.{payload}.'\n  + signature;"),
            format!("const jwt = `{header}.{payload}.${{signature}}`;"),
        ];
        for text in &elided {
            let reports = codes(text, Some("src/a.ts"), &config);
            assert_eq!(reports.len(), 1, "{text}");
            assert_eq!(has(&reports[0], "JWT001"), None, "{text}");
        }
        let unsigned = format!("const jwt = \"{header}.{payload}.\";");
        let reports = codes(&unsigned, Some("src/a.ts"), &config);
        assert_eq!(has(&reports[0], "JWT001"), Some(Level::Error));
    }

    #[test]
    fn reserved_issuers_are_neither_public_nor_live() {
        let config = Config::default();
        for iss in [
            "urn:example:issuer",
            "https://example.com",
            "https://auth.example.org/",
            "https://idp.test",
            "https://login.example",
            "https://sso.invalid",
            "http://localhost:8080/realms/x",
            "https://127.0.0.1:8443",
        ] {
            let text = hmac_token(
                jsonwebtoken::Algorithm::HS256,
                json!({"iss": iss, "sub": "u1"}),
                "a random test secret",
            );
            let found = &codes(&text, Some("src/verify.ts"), &config)[0];
            assert_eq!(has(found, "JWT002"), None, "{iss}");
            assert_eq!(has(found, "JWT104"), None, "{iss}");
            assert_eq!(
                has(found, "JWT005"),
                Some(Level::Hint),
                "{iss}: test data by shape"
            );
        }
        let real = hmac_token(
            jsonwebtoken::Algorithm::HS256,
            json!({"iss": "https://auth.acme.io", "sub": "u1"}),
            "a random test secret",
        );
        let found = &codes(&real, Some("src/verify.ts"), &config)[0];
        assert_eq!(has(found, "JWT002"), Some(Level::Error));
        assert_eq!(has(found, "JWT104"), Some(Level::Error));
        assert_eq!(has(found, "JWT005"), Some(Level::Error));
    }

    #[test]
    fn keycloak_refresh_and_offline_tokens_are_not_symmetric_public_issuers() {
        let config = Config::default();
        let realm = "https://sso.acme.io/realms/acme";
        for (typ, want) in [
            ("Refresh", None),
            ("Offline", None),
            ("Bearer", Some(Level::Error)),
        ] {
            let text = hmac_token(
                jsonwebtoken::Algorithm::HS512,
                json!({"iss": realm, "typ": typ, "exp": NOW + 600}),
                "a random realm key",
            );
            let found = &codes(&text, Some("src/auth.ts"), &config)[0];
            assert_eq!(has(found, "JWT002"), want, "{typ}");
        }
    }

    #[test]
    fn supabase_anon_keys_are_public_and_service_role_keys_are_not() {
        let config = Config::default();
        let key = |role: &str| {
            hmac_token(
                jsonwebtoken::Algorithm::HS256,
                json!({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": role, "iat": NOW - 60, "exp": NOW + 86_400 * 3650}),
                "a random project secret",
            )
        };
        let anon = &codes(&key("anon"), Some("src/lib/supabase.ts"), &config)[0];
        assert_eq!(has(anon, "JWT104"), None);
        assert_eq!(has(anon, "JWT103"), None);
        let service = &codes(&key("service_role"), Some("src/lib/supabase.ts"), &config)[0];
        assert_eq!(has(service, "JWT104"), Some(Level::Error));
        assert_eq!(has(service, "JWT103"), Some(Level::Error));
        let in_test = &codes(&key("service_role"), Some("test/admin.test.ts"), &config)[0];
        assert_eq!(
            has(in_test, "JWT103"),
            Some(Level::Error),
            "privileged stays an error anywhere"
        );
    }

    #[test]
    fn unsigned_and_forgeable_tokens_are_warnings_in_test_paths_only() {
        let config = Config::default();
        let jwtio = hmac_token(
            jsonwebtoken::Algorithm::HS256,
            json!({"sub": "1234567890", "name": "John Doe", "iat": 1_516_239_022}),
            "your-256-bit-secret",
        );
        let none = format!(
            "{}.{}.",
            part(json!({"alg": "none"})),
            part(json!({"sub": "u1", "exp": NOW + 60}))
        );
        let text = format!("a = \"{jwtio}\"\nb = \"{none}\"\n");
        let tests = codes(&text, Some("tests/test_api.py"), &config);
        assert_eq!(has(&tests[0], "JWT101"), Some(Level::Warning));
        assert_eq!(has(&tests[0], "JWT005"), Some(Level::Hint));
        assert_eq!(has(&tests[1], "JWT001"), Some(Level::Warning));
        let src = codes(&text, Some("src/client.ts"), &config);
        assert_eq!(
            has(&src[0], "JWT101"),
            Some(Level::Error),
            "a known sample in source code means production accepts it"
        );
        assert_eq!(
            has(&src[0], "JWT005"),
            Some(Level::Hint),
            "test data by shape"
        );
        assert_eq!(has(&src[1], "JWT001"), Some(Level::Error));
    }

    #[test]
    fn documentation_changelogs_and_env_examples_are_fixture_context() {
        let config = Config::default();
        let text = token(json!({"iss": "https://clerk.acme.io", "exp": NOW - 60}));
        for path in [
            "CHANGELOG.rst",
            "docs2/guide.adoc",
            "usage.txt",
            "CHANGELOG",
            "pkg/CHANGES.md",
            "HISTORY.rst",
            "apps/dev/.env.local.example",
        ] {
            let found = &codes(&text, Some(path), &config)[0];
            assert_eq!(has(found, "JWT003"), Some(Level::Hint), "{path}");
        }
        let found = &codes(&text, Some("src/changelog_parser.rs"), &config)[0];
        assert_eq!(has(found, "JWT003"), Some(Level::Error));
    }

    #[test]
    fn fixture_context_is_named_in_the_message() {
        let text = token(json!({"exp": NOW - 60}));
        let config = Config::default();
        let cx = DocumentContext {
            path: Some(Path::new("tests/a.json")),
            config: &config,
            now: NOW,
            remote: None,
        };
        let reports = analyse(text.as_bytes(), &cx);
        assert_eq!(reports[0].fixture.as_deref(), Some("fixture path"));
        let expired = reports[0]
            .findings
            .iter()
            .find(|f| f.rule.code == "JWT003")
            .unwrap();
        assert!(
            expired.message.ends_with("— fixture"),
            "{}",
            expired.message
        );
    }

    #[test]
    fn known_samples_are_fixture_context_anywhere() {
        let jwt_io = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let config = Config::default();
        let cx = DocumentContext {
            path: Some(Path::new("src/app.ts")),
            config: &config,
            now: NOW,
            remote: None,
        };
        let reports = analyse(jwt_io.as_bytes(), &cx);
        assert!(reports[0].fixture.as_deref().unwrap().contains("jwt.io"));
        assert!(reports[0].findings.iter().any(|f| f.rule.code == "JWT101"));
    }

    #[test]
    fn config_levels_change_and_turn_off_rules() {
        let text = token(json!({"exp": NOW + 60}));
        let config =
            Config::from_sources(Some("[rules]\nno-jti = \"off\"\nJWT009 = \"error\""), None)
                .unwrap();
        let found = &codes(&text, None, &config)[0];
        assert_eq!(has(found, "JWT013"), None);
        assert_eq!(has(found, "JWT009"), Some(Level::Error));
    }

    #[test]
    fn inline_suppressions_cover_the_line_and_the_line_below() {
        let t = token(json!({"exp": NOW + 60, "nbf": NOW + 3600}));
        let text = format!(
            "// jwtlens: ignore[JWT013, missing-aud]\nconst a = \"{t}\";\nconst b = \"{t}\"; # jwtlens: ignore\n\nconst d = \"{t}\";\n"
        );
        let found = codes(&text, None, &Config::default());
        assert_eq!(has(&found[0], "JWT013"), None);
        assert_eq!(has(&found[0], "JWT009"), None);
        assert_eq!(
            has(&found[0], "JWT004"),
            Some(Level::Error),
            "rules not listed are still reported"
        );
        assert!(found[1].is_empty());
        assert_eq!(
            has(&found[2], "JWT013"),
            Some(Level::Info),
            "a suppression does not reach two lines down"
        );
    }

    #[test]
    fn claim_keyed_allow_entries_suppress() {
        let text = token(json!({"iss": "https://acme.dev", "exp": NOW + 60}));
        let config = Config::from_sources(
            Some("[[allow]]\nclaims = { iss = \"https://acme.dev\" }\nrules = [\"JWT013\"]"),
            None,
        )
        .unwrap();
        let cx = DocumentContext {
            path: None,
            config: &config,
            now: NOW,
            remote: None,
        };
        let report = &analyse(text.as_bytes(), &cx)[0];
        assert!(report.findings.iter().all(|f| f.rule.code != "JWT013"));
        assert_eq!(report.suppressed, 1);
    }

    #[test]
    fn ignored_paths_report_nothing() {
        let config = Config::from_sources(Some("ignore_paths = [\"vendor/**\"]"), None).unwrap();
        assert!(codes(&token(json!({})), Some("vendor/x.js"), &config).is_empty());
        assert_eq!(codes(&token(json!({})), Some("src/x.js"), &config).len(), 1);
    }

    #[test]
    fn suppression_parsing() {
        assert_eq!(Suppression::parse(b"# jwtlens: ignore"), Suppression::All);
        assert_eq!(
            Suppression::parse(b"<!-- jwtlens:ignore[JWT003] -->"),
            Suppression::Rules(vec!["JWT003".into()])
        );
        assert_eq!(Suppression::parse(b"// jwtlens: check"), Suppression::None);
        assert_eq!(ignore_list_end(b"# jwtlens: ignore[JWT003] x"), Some(24));
        assert_eq!(ignore_list_end(b"# jwtlens: ignore"), None);
        assert_eq!(ignore_list_end(b"# jwtlens: ignore[JWT003"), None);
        assert!(
            Suppression::parse(b"/* jwtlens: ignore[expired, JWT009] */")
                .covers(rules::find("JWT003").unwrap())
        );
    }
}
