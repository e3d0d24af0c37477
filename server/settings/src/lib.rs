//! What a jwtlens user can set: one serde struct with defaults ([`Settings`]), read from
//! `.jwtlens.toml` and from the editor (`initializationOptions`,
//! `workspace/didChangeConfiguration`) by [`sources::merge_sources`].
//!
//! A leaf of the workspace: it parses the text and values it is given, reads no file, and
//! knows nothing of the engine that compiles these settings for use (`jwtlens-engine`'s
//! `Config`).

pub mod named_policy;
pub mod provider_profile;
pub mod sources;

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use named_policy::NamedPolicy;
use provider_profile::ProviderProfile;

/// The default folder for the workspace test keys, relative to the workspace root.
pub const DEFAULT_KEYS_DIR: &str = ".jwtlens";

/// The config file's name, looked up at the workspace root.
pub const CONFIG_FILE: &str = ".jwtlens.toml";

/// The editor setting that says whether the user trusts the workspace folder
/// (`trustedWorkspace` in camelCase). Only the editor can send it: a folder cannot declare
/// itself trusted, so it is not a field of `.jwtlens.toml`.
pub const TRUST_SETTING: &str = "trusted_workspace";

/// Whether the user trusts the workspace folder, as their editor says (VS Code's workspace
/// trust, an editor option); never as the folder's own files say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trust {
    /// Keys are read from the workspace, and minting writes test keys into it.
    #[default]
    Trusted,
    /// Restricted mode, for a folder the user has not trusted: no key is read from the
    /// workspace, nothing is written to it, and `.jwtlens.toml` may say how findings are
    /// judged but not name paths, keys or URLs ([`RESTRICTED_FIELDS`]). Decoding, hovers and
    /// diagnostics work as usual.
    Restricted,
}

impl Trust {
    /// What the editor's settings say about trust, if they say anything. Anything but
    /// `true` (a `false`, a string, a null) means restricted.
    pub fn from_editor(editor: &Value) -> Option<Trust> {
        let section = editor.get("jwtlens").unwrap_or(editor);
        let said = section
            .get(TRUST_SETTING)
            .or_else(|| section.get("trustedWorkspace"))?;
        Some(match said {
            Value::Bool(true) => Trust::Trusted,
            _ => Trust::Restricted,
        })
    }
}

/// The `.jwtlens.toml` fields ignored in restricted mode, as `(table, field)` (`None` for
/// the whole table): everything that names a file, a key, a URL or allows a write.
pub const RESTRICTED_FIELDS: &[(&str, Option<&str>)] = &[
    ("keys", None),
    ("mint", Some("keys_dir")),
    ("mint", Some("private_keys")),
    ("docs_url", None),
    // In the array of tables `[[policies]]`: each policy's key files and JWKS URL.
    ("policies", Some("keys")),
];

/// Everything a user can set. Field names are snake_case in TOML; the editor may send
/// the same names or their camelCase forms (see [`sources`]).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Rule levels by code or name: `off`, `hint`, `info`, `warning`, `error`.
    pub rules: BTreeMap<String, Level>,
    /// Seconds of clock skew tolerated by the time rules.
    #[serde(deserialize_with = "seconds")]
    pub clock_skew: u64,
    /// JWT008 fires when `exp - iat` exceeds this many seconds.
    #[serde(deserialize_with = "seconds")]
    pub lifetime_threshold: u64,
    /// Extra fixture-context globs, added to the built-in ones.
    pub fixture_paths: Vec<String>,
    /// Globs of paths where tokens are not reported at all.
    pub ignore_paths: Vec<String>,
    /// Globs of Clerk JWT template files, linted even when no `{{user.*}}`/`{{org.*}}`
    /// shortcode says they are templates (JSON files with such shortcodes always are).
    #[serde(alias = "clerkTemplates")]
    pub clerk_templates: Vec<String>,
    /// Claim-keyed allow entries: tokens whose claims match are not reported.
    pub allow: Vec<AllowEntry>,
    /// Custom identity providers, tried before the built-in ones.
    pub providers: Vec<ProviderProfile>,
    /// What this workspace's APIs accept (JWT106).
    pub policy: Policy,
    /// Named API policies (`[[policies]]`): what `jwtlens explain`, the code lens and the
    /// hover judge a token against, check by check, with each API's own messages.
    pub policies: Vec<NamedPolicy>,
    /// Base URL of the rule documentation that diagnostics link to.
    pub docs_url: String,
    /// At most this many diagnostics per document; a final one says how many were left out.
    pub max_diagnostics: usize,
    /// Show a one-line summary before each token (`Clerk · org:admin · expired 3 d ago · error: live credential`).
    pub inlay_hints: bool,
    /// List the token's findings in the hover. Editors that show the diagnostics in the
    /// hover themselves (VS Code) turn it off, so the hover does not say them twice.
    pub hover_findings: bool,
    /// Offer LSP workspace diagnostics (tokens in files that are not open). Off by default:
    /// clients such as VS Code re-request them every few seconds, and each answer walks
    /// the whole workspace. Read once, when the server starts.
    pub workspace_diagnostics: bool,
    /// How replacement test tokens are minted.
    pub mint: MintSettings,
    /// Keys for offline verification.
    pub keys: KeySettings,
}

/// Settings for minting test tokens.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MintSettings {
    /// Lifetime of a minted token in seconds (`exp - iat`); text such as `"1h"` works too.
    #[serde(deserialize_with = "seconds")]
    pub lifetime: u64,
    /// Where the workspace test keys live, relative to the workspace root.
    pub keys_dir: String,
    /// Keep the test keys out of git (added to `.gitignore` when they are created).
    pub private_keys: bool,
}

impl Default for MintSettings {
    fn default() -> Self {
        MintSettings {
            lifetime: 3600,
            keys_dir: DEFAULT_KEYS_DIR.to_owned(),
            private_keys: false,
        }
    }
}

/// Keys the workspace already has, for offline verification.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeySettings {
    /// Literal HMAC test secrets.
    pub secrets: Vec<String>,
    /// Names of environment variables that hold HMAC secrets.
    pub secret_env: Vec<String>,
    /// Variables in dotenv files that hold HMAC secrets (common names such as
    /// `JWT_SECRET` in `.env`, `.env.local` and `.env.test` are found without this).
    pub dotenv: Vec<DotenvSecret>,
    /// PEM, JWK or JWKS files, relative to the workspace root.
    pub files: Vec<String>,
    /// JWKS URLs by issuer, for verification on request.
    pub jwks_urls: BTreeMap<String, String>,
}

/// One variable in one dotenv file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DotenvSecret {
    pub file: String,
    pub var: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rules: BTreeMap::new(),
            clock_skew: 0,
            lifetime_threshold: 24 * 3600,
            fixture_paths: Vec::new(),
            ignore_paths: Vec::new(),
            clerk_templates: Vec::new(),
            allow: Vec::new(),
            providers: Vec::new(),
            policy: Policy::default(),
            policies: Vec::new(),
            docs_url: "https://github.com/jwtlens/jwtlens/blob/main/docs/rules.md".to_owned(),
            max_diagnostics: 1000,
            inlay_hints: false,
            hover_findings: true,
            workspace_diagnostics: false,
            mint: MintSettings::default(),
            keys: KeySettings::default(),
        }
    }
}

/// Tokens whose claims equal all of `claims` are accepted, for `rules` (all when empty).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    pub claims: Map<String, Value>,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The workspace's token policy, checked by JWT106. Empty lists check nothing.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    pub issuers: Vec<String>,
    pub audiences: Vec<String>,
    pub authorized_parties: Vec<String>,
    pub required_claims: Vec<String>,
    /// The claim that carries permissions, with `permissions_shape`.
    pub permissions_claim: Option<String>,
    pub permissions_shape: Option<PermissionsShape>,
}

/// How the permissions claim must be encoded.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PermissionsShape {
    /// A JSON array of strings (`permissions: ["a", "b"]`).
    Array,
    /// One space-delimited string (`scope: "a b"`).
    SpaceDelimited,
}

/// Durations as seconds (`3600`) or human text (`"1h"`, `"90s"`, `"7 days"`).
fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Seconds(u64),
        Text(String),
    }
    match Raw::deserialize(deserializer)? {
        Raw::Seconds(seconds) => Ok(seconds),
        Raw::Text(text) => humantime::parse_duration(&text)
            .map(|duration| duration.as_secs())
            .map_err(|err| serde::de::Error::custom(format!("`{text}` is not a duration: {err}"))),
    }
}

/// A problem with the settings, with where it is when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
    /// Byte range in the config file, when the error came from parsing it.
    pub span: Option<std::ops::Range<usize>>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A reporting level: what config sets and what a finding is shown as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Hint,
    #[serde(alias = "information")]
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Hint => "hint",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}
