//! Where a token's issuer keys live, decided without touching the network.

use std::fmt;

use url::Url;

use crate::policy;
use jwtlens_engine::config::Config;

/// Firebase Auth ID tokens (`iss` = `https://securetoken.google.com/<project>`) are signed
/// by keys published as X.509 certificates in a `{kid: PEM}` map.
pub const FIREBASE_ID_TOKEN_CERTS: &str =
    "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com";

/// Firebase session cookies (`iss` = `https://session.firebase.google.com/<project>`) use a
/// different key set, in the same `{kid: PEM}` format.
pub const FIREBASE_SESSION_COOKIE_CERTS: &str =
    "https://www.googleapis.com/identitytoolkit/v3/relyingparty/publicKeys";

/// Google's OIDC signing keys (`iss` = `https://accounts.google.com`). Google's discovery
/// document names them on another host than the issuer's, which discovery refuses
/// ([`crate::is_issuer_origin`]), so the documented URL is built in.
pub const GOOGLE_JWKS: &str = "https://www.googleapis.com/oauth2/v3/certs";

/// Microsoft Entra v1.0 signing keys (`iss` = `https://sts.windows.net/<tenant>/`), named
/// by the v1.0 discovery document on login.microsoftonline.com, not the issuer's host.
pub const ENTRA_V1_JWKS: &str = "https://login.microsoftonline.com/common/discovery/keys";

/// What is at a [`KeySource`]'s URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A JWK Set (`{"keys": [...]}`).
    Jwks,
    /// A map of key id to PEM X.509 certificate, as Google publishes for Firebase.
    X509Certificates,
    /// An OpenID Provider configuration document; its `jwks_uri` is fetched next.
    Discovery,
}

/// Where a token's issuer keys are fetched from, and why.
///
/// `url` is the first URL that will be requested: show it in the code action's title
/// ("Verify signature with issuer keys (GET <url>)"). `reason` says why that URL was
/// chosen, for the title or a tooltip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySource {
    pub url: Url,
    pub kind: SourceKind,
    pub reason: String,
    /// The URL comes from the repository's own `.jwtlens.toml`, not from the user or the
    /// issuer: a repository cannot vouch for an issuer's keys, so a verification with it
    /// is shown as "a workspace-configured key set", never as the issuer's keys. Set by
    /// the caller that knows where its settings came from ([`key_source_in`]).
    pub workspace_configured: bool,
}

impl KeySource {
    /// A JWKS URL given by the user (`jwtlens verify --jwks URL`, a configured URL).
    ///
    /// A URL ending in `/.well-known/openid-configuration` is taken as a discovery
    /// document; anything else as a key set (a `{kid: PEM}` certificate map is recognised
    /// by its content when fetched).
    pub fn from_url(url: Url, reason: impl Into<String>) -> KeySource {
        let kind = if url.path().ends_with("/.well-known/openid-configuration") {
            SourceKind::Discovery
        } else {
            SourceKind::Jwks
        };
        KeySource {
            url,
            kind,
            reason: reason.into(),
            workspace_configured: false,
        }
    }

    /// OIDC discovery for an issuer (`jwtlens verify --discover`):
    /// `<iss>/.well-known/openid-configuration`. `None` when `iss` is not a usable issuer
    /// URL: https (or http on loopback), no query, fragment or credentials.
    pub fn discovery(iss: &str) -> Option<KeySource> {
        let issuer = issuer_url(iss)?;
        Some(KeySource {
            url: well_known(&issuer, "openid-configuration"),
            kind: SourceKind::Discovery,
            reason: "OIDC discovery".to_owned(),
            workspace_configured: false,
        })
    }
}

impl fmt::Display for KeySource {
    /// `GET <url> (<reason>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GET {} ({})", self.url, self.reason)
    }
}

/// The source to use for a token's keys, without touching the network.
///
/// * `iss`: the token's `iss` claim.
/// * `provider_id`: the recognised provider (`TokenFacts::provider`'s `id`), if any.
/// * `configured`: issuer → JWKS URL from the user's settings, e.g. a `&HashMap<String,
///   String>` or `&BTreeMap<String, String>`. Issuers are compared exactly, then ignoring
///   one trailing `/` (Auth0 issuers end with one, and users often drop it).
///
/// In order:
/// 1. The configured URL for this issuer. The user's word wins over anything derived;
///    it is used even for an issuer that is not a URL (`supabase`, a Descope project id).
///    An entry whose URL does not parse yields `None` rather than a guess: the user said
///    where the keys are, so fetching from elsewhere would answer a different question
///    (see [`parse_configured_url`] to report such entries when loading settings).
/// 2. The provider's documented key location (Clerk, WorkOS, Cognito, Firebase, Google,
///    Entra v1.0).
/// 3. OIDC discovery: `<iss>/.well-known/openid-configuration`, then its `jwks_uri`.
///
/// The issue lists discovery before the provider patterns; this puts the patterns first,
/// deliberately. They are the providers' documented key URLs, so they are exact, take one
/// request instead of two, and the action's title can show the URL of the keys themselves
/// rather than of a document that names them. They are also safe to prefer: each is
/// derived from an issuer that already matched the provider's pattern or claims, and a key
/// fetched from the provider's own key URL can only verify tokens the provider signed.
/// Discovery stays the general fallback for every other issuer, and where a pattern cannot
/// be built (a WorkOS issuer without a client id, a Firebase token that is not an ID token
/// or a session cookie) discovery is used instead.
///
/// `None` when nothing is configured and the token has no usable issuer URL (https, or
/// http on a loopback address; no query, fragment or credentials).
pub fn key_source<'a, I>(
    iss: Option<&str>,
    provider_id: Option<&str>,
    configured: I,
) -> Option<KeySource>
where
    I: IntoIterator<Item = (&'a String, &'a String)>,
{
    let iss = iss?;
    if let Some(found) = configured_for(iss, configured) {
        return found;
    }
    let issuer = issuer_url(iss)?;
    if let Some(source) = provider_id.and_then(|id| provider_source(id, &issuer)) {
        return Some(source);
    }
    KeySource::discovery(iss)
}

/// Where a token's issuer keys would be fetched from under `config` ([`key_source`] with
/// its `keys.jwks_urls`), marked workspace-configured when the repository's
/// `.jwtlens.toml` chose it: when the user's own settings alone would pick another source.
pub fn key_source_in(
    config: &Config,
    iss: Option<&str>,
    provider: Option<&str>,
) -> Option<KeySource> {
    let configured = &config.settings.keys.jwks_urls;
    let mut source = key_source(iss, provider, configured)?;
    if !config.repository_jwks_issuers.is_empty() {
        let users_own = configured
            .iter()
            .filter(|(issuer, _)| !config.repository_jwks_issuers.contains(*issuer));
        source.workspace_configured =
            key_source(iss, provider, users_own).as_ref() != Some(&source);
    }
    Some(source)
}

/// Checks a configured JWKS URL: it must parse and be https (or http on loopback).
/// For reporting bad entries when settings are loaded; [`key_source`] does not fall back
/// to another source for an issuer whose configured URL is bad.
pub fn parse_configured_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|err| format!("`{text}` is not a URL: {err}"))?;
    if !policy::is_allowed(&url) {
        return Err(format!(
            "`{text}` is not https: keys are fetched over https only (http only on loopback)"
        ));
    }
    Ok(url)
}

/// `Some(Some(source))` for a usable configured entry, `Some(None)` for an entry that does
/// not parse, `None` when this issuer has no entry.
fn configured_for<'a, I>(iss: &str, configured: I) -> Option<Option<KeySource>>
where
    I: IntoIterator<Item = (&'a String, &'a String)>,
{
    let mut loose = None;
    for (issuer, url) in configured {
        if issuer == iss {
            loose = Some(url);
            break;
        }
        if loose.is_none() && trim_slash(issuer) == trim_slash(iss) {
            loose = Some(url);
        }
    }
    let url = loose?;
    match Url::parse(url.trim()) {
        Ok(url) => Some(Some(KeySource::from_url(
            url,
            format!("configured for {iss}"),
        ))),
        Err(err) => {
            // The issuer is a claim value, and stays out of the logs.
            tracing::warn!("a keys.jwks_urls entry is not a URL: {err}");
            Some(None)
        }
    }
}

fn trim_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

/// The issuer as a URL we are willing to derive other URLs from.
fn issuer_url(iss: &str) -> Option<Url> {
    let url = Url::parse(iss).ok()?;
    let clean = url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    (clean && policy::is_allowed(&url)).then_some(url)
}

/// `<issuer>/.well-known/<name>`, keeping the issuer's path (OIDC Discovery §4: the
/// well-known suffix is appended to the issuer, after removing one trailing `/`).
fn well_known(issuer: &Url, name: &str) -> Url {
    let mut url = issuer.clone();
    let path = url
        .path()
        .strip_suffix('/')
        .unwrap_or(url.path())
        .to_owned();
    url.set_path(&format!("{path}/.well-known/{name}"));
    url
}

fn provider_source(provider_id: &str, issuer: &Url) -> Option<KeySource> {
    // Patterns are for real provider issuers: https only (a loopback http issuer is a
    // local server, where discovery is the better guess).
    if issuer.scheme() != "https" {
        return None;
    }
    let jwks = |url: Url, reason: &str| KeySource {
        url,
        kind: SourceKind::Jwks,
        reason: reason.to_owned(),
        workspace_configured: false,
    };
    let certificates = |url: &str, reason: &str| KeySource {
        url: Url::parse(url).expect("built-in certificate URL parses"),
        kind: SourceKind::X509Certificates,
        reason: reason.to_owned(),
        workspace_configured: false,
    };
    match provider_id {
        // Also right behind a Clerk proxy or satellite domain (detected by claims): the
        // Frontend API serves its keys at the issuer's /.well-known/jwks.json.
        "clerk" => Some(jwks(well_known(issuer, "jwks.json"), "Clerk JWKS")),
        "cognito" => Some(jwks(
            well_known(issuer, "jwks.json"),
            "Cognito user pool JWKS",
        )),
        "workos" => {
            let client_id = workos_client_id(issuer)?;
            let url = Url::parse(&format!("https://api.workos.com/sso/jwks/{client_id}")).ok()?;
            Some(jwks(url, "WorkOS JWKS for the client in iss"))
        }
        "firebase" => match issuer.host_str()? {
            "securetoken.google.com" => Some(certificates(
                FIREBASE_ID_TOKEN_CERTS,
                "Firebase ID token certificates",
            )),
            "session.firebase.google.com" => Some(certificates(
                FIREBASE_SESSION_COOKIE_CERTS,
                "Firebase session cookie certificates",
            )),
            // A custom token is signed by a service account's own key: not published here.
            _ => None,
        },
        "google" if issuer.host_str() == Some("accounts.google.com") => Some(jwks(
            Url::parse(GOOGLE_JWKS).expect("built-in JWKS URL parses"),
            "Google JWKS",
        )),
        // v2.0 issuers (login.microsoftonline.com) publish keys on their own host, found
        // by discovery.
        "entra" if issuer.host_str() == Some("sts.windows.net") => Some(jwks(
            Url::parse(ENTRA_V1_JWKS).expect("built-in JWKS URL parses"),
            "Microsoft Entra v1.0 JWKS",
        )),
        _ => None,
    }
}

/// The client id in an AuthKit issuer `…/user_management/<client_id>`, on api.workos.com or
/// a custom auth domain.
fn workos_client_id(issuer: &Url) -> Option<&str> {
    let mut segments = issuer.path_segments()?.filter(|s| !s.is_empty());
    segments.find(|s| *s == "user_management")?;
    let client_id = segments.next()?;
    let valid = !client_id.is_empty()
        && client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    (valid && segments.next().is_none()).then_some(client_id)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde_json::json;

    use super::*;

    fn none() -> HashMap<String, String> {
        HashMap::new()
    }

    fn source(iss: &str, provider: Option<&str>) -> Option<KeySource> {
        key_source(Some(iss), provider, &none())
    }

    fn url_of(source: Option<KeySource>) -> String {
        source.expect("a source").url.to_string()
    }

    #[test]
    fn clerk_uses_the_issuer_jwks() {
        let found = source("https://clerk.example.com", Some("clerk")).unwrap();
        assert_eq!(
            found.url.as_str(),
            "https://clerk.example.com/.well-known/jwks.json"
        );
        assert_eq!(found.kind, SourceKind::Jwks);
        assert_eq!(found.reason, "Clerk JWKS");
        assert_eq!(
            url_of(source(
                "https://happy-cat-12.clerk.accounts.dev/",
                Some("clerk")
            )),
            "https://happy-cat-12.clerk.accounts.dev/.well-known/jwks.json"
        );
    }

    #[test]
    fn cognito_uses_the_user_pool_jwks() {
        let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123";
        let found = source(iss, Some("cognito")).unwrap();
        assert_eq!(found.url.as_str(), format!("{iss}/.well-known/jwks.json"));
        assert_eq!(found.kind, SourceKind::Jwks);
        assert!(found.reason.contains("Cognito"));
    }

    #[test]
    fn workos_uses_the_client_jwks() {
        let found = source(
            "https://api.workos.com/user_management/client_01HXYZ",
            Some("workos"),
        )
        .unwrap();
        assert_eq!(
            found.url.as_str(),
            "https://api.workos.com/sso/jwks/client_01HXYZ"
        );
        assert_eq!(found.kind, SourceKind::Jwks);
        // A custom auth domain still names the client in the path.
        assert_eq!(
            url_of(source(
                "https://auth.example.com/user_management/client_01ABC/",
                Some("workos")
            )),
            "https://api.workos.com/sso/jwks/client_01ABC"
        );
        // Without a client id there is no pattern: discovery.
        let bare = source("https://api.workos.com", Some("workos")).unwrap();
        assert_eq!(bare.kind, SourceKind::Discovery);
        assert_eq!(
            bare.url.as_str(),
            "https://api.workos.com/.well-known/openid-configuration"
        );
    }

    #[test]
    fn firebase_uses_published_certificates() {
        let id = source(
            "https://securetoken.google.com/my-project",
            Some("firebase"),
        )
        .unwrap();
        assert_eq!(id.url.as_str(), FIREBASE_ID_TOKEN_CERTS);
        assert_eq!(id.kind, SourceKind::X509Certificates);
        let cookie = source(
            "https://session.firebase.google.com/my-project",
            Some("firebase"),
        )
        .unwrap();
        assert_eq!(cookie.url.as_str(), FIREBASE_SESSION_COOKIE_CERTS);
        assert_eq!(cookie.kind, SourceKind::X509Certificates);
        // A custom token's issuer is a service account e-mail: nothing to fetch.
        assert_eq!(
            source(
                "firebase-adminsdk-abc@my-project.iam.gserviceaccount.com",
                Some("firebase")
            ),
            None
        );
    }

    #[test]
    fn google_and_entra_v1_use_their_documented_key_sets() {
        let google = source("https://accounts.google.com", Some("google")).unwrap();
        assert_eq!(google.url.as_str(), GOOGLE_JWKS);
        assert_eq!(google.kind, SourceKind::Jwks);
        let v1 = source(
            "https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/",
            Some("entra"),
        )
        .unwrap();
        assert_eq!(v1.url.as_str(), ENTRA_V1_JWKS);
        // Entra v2.0 keys are on the issuer's host: discovery finds them.
        let v2 = source(
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
            Some("entra"),
        )
        .unwrap();
        assert_eq!(v2.kind, SourceKind::Discovery);
    }

    #[test]
    fn other_issuers_use_discovery() {
        let found = source("https://example.okta.com/oauth2/default", Some("okta")).unwrap();
        assert_eq!(found.kind, SourceKind::Discovery);
        assert_eq!(
            found.url.as_str(),
            "https://example.okta.com/oauth2/default/.well-known/openid-configuration"
        );
        // One trailing slash is dropped before the suffix (Auth0 issuers end with one).
        assert_eq!(
            url_of(source("https://tenant.eu.auth0.com/", Some("auth0"))),
            "https://tenant.eu.auth0.com/.well-known/openid-configuration"
        );
        assert_eq!(
            url_of(source("https://idp.example.com", None)),
            "https://idp.example.com/.well-known/openid-configuration"
        );
    }

    #[test]
    fn local_http_issuers_use_discovery_and_no_pattern() {
        assert_eq!(
            url_of(source("http://127.0.0.1:54321/auth/v1", Some("supabase"))),
            "http://127.0.0.1:54321/auth/v1/.well-known/openid-configuration"
        );
        let local_clerk = source("http://localhost:3000", Some("clerk")).unwrap();
        assert_eq!(local_clerk.kind, SourceKind::Discovery);
    }

    #[test]
    fn unusable_issuers_give_no_source() {
        assert_eq!(key_source(None, Some("clerk"), &none()), None);
        for iss in [
            "http://idp.example.com",
            "supabase",
            "accounts.google.com",
            "https://idp.example.com?tenant=1",
            "https://idp.example.com/#x",
            "https://user:pass@idp.example.com",
            "ftp://idp.example.com",
            "",
        ] {
            assert_eq!(source(iss, None), None, "{iss}");
            assert_eq!(KeySource::discovery(iss), None, "{iss}");
        }
    }

    #[test]
    fn configured_url_wins() {
        let mut configured = HashMap::new();
        configured.insert(
            "https://clerk.example.com".to_owned(),
            "https://keys.example.com/jwks.json".to_owned(),
        );
        let found = key_source(
            Some("https://clerk.example.com"),
            Some("clerk"),
            &configured,
        )
        .unwrap();
        assert_eq!(found.url.as_str(), "https://keys.example.com/jwks.json");
        assert_eq!(found.kind, SourceKind::Jwks);
        assert_eq!(found.reason, "configured for https://clerk.example.com");
        // Trailing slash on either side.
        assert!(key_source(
            Some("https://clerk.example.com/"),
            Some("clerk"),
            &configured
        )
        .unwrap()
        .reason
        .starts_with("configured"));
    }

    #[test]
    fn configured_works_for_non_url_issuers_and_btreemaps() {
        let mut configured = BTreeMap::new();
        configured.insert(
            "supabase".to_owned(),
            "http://127.0.0.1:54321/auth/v1/.well-known/jwks.json".to_owned(),
        );
        configured.insert(
            "https://idp.example.com".to_owned(),
            "https://idp.example.com/.well-known/openid-configuration".to_owned(),
        );
        let found = key_source(Some("supabase"), None, &configured).unwrap();
        assert_eq!(found.kind, SourceKind::Jwks);
        assert_eq!(found.url.port(), Some(54321));
        let discovery = key_source(Some("https://idp.example.com"), None, &configured).unwrap();
        assert_eq!(discovery.kind, SourceKind::Discovery);
        assert!(discovery.reason.starts_with("configured"));
    }

    #[test]
    fn exact_configured_issuer_beats_a_loose_match() {
        let mut configured = BTreeMap::new();
        configured.insert(
            "https://a.example.com".to_owned(),
            "https://loose.example.com/k".to_owned(),
        );
        configured.insert(
            "https://a.example.com/".to_owned(),
            "https://exact.example.com/k".to_owned(),
        );
        let found = key_source(Some("https://a.example.com/"), None, &configured).unwrap();
        assert_eq!(found.url.as_str(), "https://exact.example.com/k");
    }

    #[test]
    fn a_bad_configured_url_is_not_replaced_by_a_guess() {
        let mut configured = HashMap::new();
        configured.insert(
            "https://clerk.example.com".to_owned(),
            "not a url".to_owned(),
        );
        assert_eq!(
            key_source(
                Some("https://clerk.example.com"),
                Some("clerk"),
                &configured
            ),
            None
        );
    }

    #[test]
    fn configured_urls_are_checked() {
        assert!(parse_configured_url("https://keys.example.com/jwks.json").is_ok());
        assert!(parse_configured_url("http://localhost:8080/jwks.json").is_ok());
        let err = parse_configured_url("http://keys.example.com/jwks.json").unwrap_err();
        assert!(err.contains("not https"), "{err}");
        let err = parse_configured_url("keys.example.com").unwrap_err();
        assert!(err.contains("not a URL"), "{err}");
    }

    #[test]
    fn from_url_recognises_discovery_documents() {
        let jwks = KeySource::from_url(
            Url::parse("https://x.example/.well-known/jwks.json").unwrap(),
            "--jwks",
        );
        assert_eq!(jwks.kind, SourceKind::Jwks);
        let discovery = KeySource::from_url(
            Url::parse("https://x.example/realms/a/.well-known/openid-configuration").unwrap(),
            "--jwks",
        );
        assert_eq!(discovery.kind, SourceKind::Discovery);
        assert_eq!(
            jwks.to_string(),
            "GET https://x.example/.well-known/jwks.json (--jwks)"
        );
    }

    #[test]
    fn key_sets_the_repository_names_are_workspace_configured() {
        let toml = r#"
            [keys.jwks_urls]
            "https://accounts.google.com" = "https://keys.attacker.example/jwks.json"
            "https://auth.acme.io/" = "https://repo.example/jwks.json"
        "#;
        let editor = json!({"keys": {"jwks_urls": {"https://auth.acme.io/": "https://mine.example/jwks.json"}}});
        let config = Config::from_sources(Some(toml), Some(&editor)).unwrap();
        let google =
            key_source_in(&config, Some("https://accounts.google.com"), Some("google")).unwrap();
        assert_eq!(
            google.url.as_str(),
            "https://keys.attacker.example/jwks.json"
        );
        assert!(google.workspace_configured);
        let acme = key_source_in(&config, Some("https://auth.acme.io/"), None).unwrap();
        assert_eq!(acme.url.as_str(), "https://mine.example/jwks.json");
        assert!(
            !acme.workspace_configured,
            "the editor's entry wins and is the user's"
        );
        let other = key_source_in(&config, Some("https://login.example"), None).unwrap();
        assert!(
            !other.workspace_configured,
            "discovery is not configured at all"
        );
    }
}
