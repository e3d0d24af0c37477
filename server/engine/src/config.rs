//! Workspace settings: one serde struct with defaults, read from `.jwtlens.toml` and from
//! the editor (`initializationOptions`, `workspace/didChangeConfiguration`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use globset::{Glob, GlobSet, GlobSetBuilder};
use jwtlens_settings::named_policy::NamedPolicy;
use jwtlens_settings::sources::merge_sources;
use jwtlens_settings::{ConfigError, Level, Settings, Trust, CONFIG_FILE};
use memchr::memmem::Finder;
use serde_json::{Map, Value};

use crate::providers::ProviderRegistry;
use crate::rules::{self, Rule};
use jwtlens_keys::mint::{MintError, TestKeys};
use jwtlens_keys::ring::KeyRing;
use jwtlens_keys::workspace_files::{check_name, ConfinedDir, FileError, Links, MAX_FILE_SIZE};

/// Paths that hold fixtures, tests, samples and docs: tokens there are expected to be
/// test data, so time rules drop to Hint and JWT104 does not fire.
const DEFAULT_FIXTURE_PATHS: &[&str] = &[
    "**/test/**",
    "**/tests/**",
    "**/__tests__/**",
    "**/fixtures/**",
    "**/__fixtures__/**",
    "**/testdata/**",
    "**/spec/**",
    "**/*.test.*",
    "**/*.spec.*",
    "**/*_test.*",
    "**/test_*.*",
    "**/.env.example",
    "**/.env.sample",
    "**/.env*.example",
    "**/.env*.sample",
    "**/docs/**",
    "**/*.md",
    "**/*.mdx",
    "**/*.rst",
    "**/*.adoc",
    "**/*.txt",
    "**/CHANGELOG*",
    "**/CHANGES*",
    "**/HISTORY*",
];

/// Whether `relative` matches one of [`DEFAULT_FIXTURE_PATHS`].
///
/// The glob set is compiled once per process, and only when a path could match: each
/// default glob is literal text between `*` and `/`, so a path it matches holds its
/// longest literal piece, and a path that holds no glob's piece matches none. Compiling
/// the set was 28 % of the instructions of `jwtlens check` on one small file whose path
/// needed none of it.
fn is_default_fixture_path(relative: &Path) -> bool {
    static PIECES: LazyLock<Option<Vec<Finder>>> = LazyLock::new(|| {
        DEFAULT_FIXTURE_PATHS
            .iter()
            .map(|glob| required_piece(glob).map(Finder::new))
            .collect()
    });
    static GLOBS: LazyLock<GlobSet> = LazyLock::new(|| {
        glob_set(DEFAULT_FIXTURE_PATHS.iter().copied(), "fixture_paths")
            .expect("the default fixture globs compile")
    });
    let path = relative.as_os_str().as_encoded_bytes();
    let may_match = PIECES
        .as_ref()
        .is_none_or(|pieces| pieces.iter().any(|piece| piece.find(path).is_some()));
    may_match && GLOBS.is_match(relative)
}

/// Text every path that `glob` matches holds: its longest piece between `*` and `/`, when
/// it has no other syntax (`?`, classes, alternatives, escapes).
fn required_piece(glob: &str) -> Option<&str> {
    if glob.contains(['?', '[', '{', '\\']) {
        return None;
    }
    glob.split(['*', '/'])
        .max_by_key(|piece| piece.len())
        .filter(|piece| !piece.is_empty())
}

/// Settings compiled for use: globs built, rule names resolved, providers loaded.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    fixture_globs: GlobSet,
    ignore_globs: GlobSet,
    clerk_template_globs: GlobSet,
    levels: BTreeMap<&'static str, Level>,
    /// Custom profiles with the built-ins; `None` for the built-ins alone, which are
    /// compiled the first time a token needs them (see [`Config::providers`]).
    providers: Option<ProviderRegistry>,
    /// The workspace's keys for offline verification.
    pub keys: Arc<KeyRing>,
    /// The keys of each named policy that lists its own key files, by policy name.
    pub policy_keys: BTreeMap<String, Arc<KeyRing>>,
    /// The workspace root the settings were read for, if any.
    pub root: Option<PathBuf>,
    pub trust: Trust,
    /// Issuers whose `keys.jwks_urls` entry came from `.jwtlens.toml` (and not from the
    /// editor): verifications with those key sets are labelled workspace-configured.
    pub repository_jwks_issuers: BTreeSet<String>,
    /// Named policies whose `keys.jwks_url` came from `.jwtlens.toml`: verifications with
    /// those key sets are labelled workspace-configured too.
    pub repository_policy_jwks: BTreeSet<String>,
    /// What the user should know about these settings besides errors (fields ignored in
    /// restricted mode).
    pub notes: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config::compile(Settings::default(), None, Trust::Trusted)
            .expect("default settings compile")
    }
}

impl Config {
    /// Compiles settings for a workspace root; the error names the first bad glob, rule,
    /// provider or path. Keys are read relative to the root unless the folder is
    /// restricted (problems with them are kept in `keys.problems`, not fatal).
    pub fn compile(
        settings: Settings,
        root: Option<&Path>,
        trust: Trust,
    ) -> Result<Config, ConfigError> {
        let fixture_globs = glob_set(
            settings.fixture_paths.iter().map(String::as_str),
            "fixture_paths",
        )?;
        let ignore_globs = glob_set(
            settings.ignore_paths.iter().map(String::as_str),
            "ignore_paths",
        )?;
        let clerk_template_globs = glob_set(
            settings.clerk_templates.iter().map(String::as_str),
            "clerk_templates",
        )?;
        let mut levels = BTreeMap::new();
        for (key, level) in &settings.rules {
            levels.insert(resolve_rule(key, "rules")?.code, *level);
        }
        for entry in &settings.allow {
            for key in &entry.rules {
                resolve_rule(key, "allow.rules")?;
            }
        }
        check_paths(&settings)?;
        let providers = match settings.providers.as_slice() {
            [] => None,
            custom => {
                Some(
                    ProviderRegistry::with_custom(custom).map_err(|message| ConfigError {
                        message: format!("providers: {message}"),
                        span: None,
                    })?,
                )
            }
        };
        check_policy_names(&settings)?;
        let policy_keys = match (root, trust) {
            (Some(root), Trust::Trusted) => settings
                .policies
                .iter()
                .filter(|policy| !policy.keys.files.is_empty())
                .map(|policy| {
                    let ring = KeyRing::from_files(root, &policy.keys.files);
                    (policy.name.clone(), Arc::new(ring))
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        let keys = match (root, trust) {
            (Some(root), Trust::Trusted) => {
                let test_keys = TestKeys::in_workspace(root, &settings.mint.keys_dir).ok();
                KeyRing::load(Some(root), &settings.keys, test_keys.as_ref())
            }
            // Only what the user typed into their editor: no file of the workspace is read.
            _ => KeyRing::load(None, &settings.keys, None),
        };
        Ok(Config {
            settings,
            fixture_globs,
            ignore_globs,
            clerk_template_globs,
            levels,
            providers,
            keys: Arc::new(keys),
            policy_keys,
            root: root.map(Path::to_path_buf),
            trust,
            repository_jwks_issuers: BTreeSet::new(),
            repository_policy_jwks: BTreeSet::new(),
            notes: Vec::new(),
        })
    }

    /// The provider profiles tokens are read with. The built-in ones are compiled once per
    /// process, when the first token is read: `jwtlens check` on files without a token,
    /// and every configuration `check` finds, do without them.
    pub fn providers(&self) -> &ProviderRegistry {
        self.providers
            .as_ref()
            .unwrap_or_else(|| ProviderRegistry::shared_builtin())
    }

    /// The workspace test keys (in the current directory when there is no root). Refused
    /// in restricted mode, where nothing is written to the workspace.
    pub fn test_keys(&self) -> Result<TestKeys, MintError> {
        let root = self.root.as_deref().unwrap_or(Path::new("."));
        self.test_keys_in(root)
    }

    /// The test keys for a document with no workspace: in `mint.keys_dir` beside it.
    pub fn test_keys_in(&self, root: &Path) -> Result<TestKeys, MintError> {
        if self.trust == Trust::Restricted {
            return Err(MintError(RESTRICTED_MINT.to_owned()));
        }
        TestKeys::in_workspace(root, &self.settings.mint.keys_dir)
    }

    /// Parses a `.jwtlens.toml` text layered under the editor's settings (which win).
    pub fn from_sources(
        toml_text: Option<&str>,
        editor: Option<&Value>,
    ) -> Result<Config, ConfigError> {
        Config::build(None, toml_text, editor, Trust::Trusted)
    }

    /// Settings from a `.jwtlens.toml` text and the editor's, for a workspace root. In
    /// restricted mode the file's [`jwtlens_settings::RESTRICTED_FIELDS`] are left out (and said so in
    /// `notes`).
    pub fn build(
        root: Option<&Path>,
        toml_text: Option<&str>,
        editor: Option<&Value>,
        trust: Trust,
    ) -> Result<Config, ConfigError> {
        let merged = merge_sources(toml_text, editor, trust)?;
        let mut config = Config::compile(merged.settings, root, trust)?;
        config.repository_jwks_issuers = merged.repository_jwks_issuers;
        config.repository_policy_jwks = merged.repository_policy_jwks;
        config.notes = merged.notes;
        Ok(config)
    }

    /// Reads `<root>/.jwtlens.toml` if present, under the editor's settings. The file is
    /// read as any workspace file: a link out of the workspace, a FIFO, a device or a file
    /// over 1 MiB is an error, not a hang.
    pub fn load(
        root: Option<&Path>,
        editor: Option<&Value>,
        trust: Trust,
    ) -> Result<Config, ConfigError> {
        let text = match root {
            Some(root) => read_config_file(root)?,
            None => None,
        };
        Config::build(root, text.as_deref(), editor, trust)
    }

    /// The named policy called `name`.
    pub fn policy(&self, name: &str) -> Option<&NamedPolicy> {
        self.settings
            .policies
            .iter()
            .find(|policy| policy.name == name)
    }

    /// The keys that verify tokens for a named policy: its own key files when it lists
    /// any, else the workspace's.
    pub fn keys_for_policy(&self, name: &str) -> &KeyRing {
        self.policy_keys.get(name).unwrap_or(&self.keys)
    }

    /// The level set for a rule, if the user set one.
    pub fn level(&self, rule: &Rule) -> Option<Level> {
        self.levels.get(rule.code).copied()
    }

    /// Whether a workspace-relative path is fixture context.
    pub fn is_fixture_path(&self, relative: &Path) -> bool {
        is_default_fixture_path(relative) || self.fixture_globs.is_match(relative)
    }

    /// Whether `.jwtlens.toml` names a workspace-relative path as a Clerk JWT template.
    pub fn is_clerk_template_path(&self, relative: &Path) -> bool {
        self.clerk_template_globs.is_match(relative)
    }

    /// Whether a workspace-relative path is excluded from reporting.
    pub fn is_ignored_path(&self, relative: &Path) -> bool {
        self.ignore_globs.is_match(relative)
    }

    /// Whether an allow entry accepts this finding on a token with these claims.
    pub fn allows(&self, rule: &Rule, claims: &Map<String, Value>) -> bool {
        self.settings.allow.iter().any(|entry| {
            entry
                .claims
                .iter()
                .all(|(name, value)| claims.get(name) == Some(value))
                && (entry.rules.is_empty() || entry.rules.iter().any(|key| rule.is(key)))
        })
    }
}

/// What mint says in restricted mode.
pub const RESTRICTED_MINT: &str = "this folder is not trusted, so jwtlens runs in restricted mode: minting would create test keys in the workspace, and nothing is written there until you trust the folder";

/// Reads `<root>/.jwtlens.toml`: `None` when there is none.
pub fn read_config_file(root: &Path) -> Result<Option<String>, ConfigError> {
    let refused = |why: String| ConfigError {
        message: why,
        span: None,
    };
    match ConfinedDir::new(root).read(Path::new(CONFIG_FILE), MAX_FILE_SIZE, Links::FollowInside) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| refused(format!("{CONFIG_FILE} is not UTF-8 text"))),
        Err(FileError::Missing) => Ok(None),
        Err(err) => Err(refused(err.to_string())),
    }
}

/// Every path in the settings must be a plain relative name: checked here, so a bad one
/// is an error on the config file before anything is read or written.
fn check_paths(settings: &Settings) -> Result<(), ConfigError> {
    let named = std::iter::once(("mint.keys_dir".to_owned(), settings.mint.keys_dir.as_str()))
        .chain(
            settings
                .keys
                .files
                .iter()
                .enumerate()
                .map(|(i, file)| (format!("keys.files[{i}]"), file.as_str())),
        )
        .chain(
            settings
                .keys
                .dotenv
                .iter()
                .enumerate()
                .map(|(i, entry)| (format!("keys.dotenv[{i}].file"), entry.file.as_str())),
        )
        .chain(settings.policies.iter().flat_map(|policy| {
            policy.keys.files.iter().map(|file| {
                let field = format!("policies {:?} keys.files", policy.name);
                (field, file.as_str())
            })
        }));
    for (field, path) in named {
        check_name(Path::new(path)).map_err(|err| ConfigError {
            message: format!("{field} {path:?}: {err}"),
            span: None,
        })?;
    }
    Ok(())
}

/// Named policies need a name, used once: it is how the lens, the hover and `jwtlens
/// explain --policy` refer to them.
fn check_policy_names(settings: &Settings) -> Result<(), ConfigError> {
    let mut seen = BTreeSet::new();
    for policy in &settings.policies {
        let problem = if policy.name.trim().is_empty() {
            "policies: every policy needs a name".to_owned()
        } else if !seen.insert(policy.name.as_str()) {
            format!("policies: two policies are called {:?}", policy.name)
        } else {
            continue;
        };
        return Err(ConfigError {
            message: problem,
            span: None,
        });
    }
    Ok(())
}

fn resolve_rule(key: &str, field: &str) -> Result<&'static Rule, ConfigError> {
    rules::find(key).ok_or_else(|| ConfigError {
        message: format!(
            "{field}: unknown rule `{key}` (use a code such as JWT003 or a name such as expired)"
        ),
        span: None,
    })
}

fn glob_set<'a>(globs: impl Iterator<Item = &'a str>, field: &str) -> Result<GlobSet, ConfigError> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let glob = Glob::new(glob).map_err(|err| ConfigError {
            message: format!("{field}: {err}"),
            span: None,
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|err| ConfigError {
        message: format!("{field}: {err}"),
        span: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The default fixture globs answer through their pieces what the whole glob set
    /// answers, over every path of up to three parts from names that match them, nearly
    /// match them or hold their pieces elsewhere.
    #[test]
    fn default_fixture_paths_are_told_apart_as_the_glob_set_does() {
        assert!(
            DEFAULT_FIXTURE_PATHS
                .iter()
                .all(|glob| required_piece(glob).is_some()),
            "every default glob has a piece to look for"
        );
        let whole = glob_set(DEFAULT_FIXTURE_PATHS.iter().copied(), "fixture_paths").unwrap();
        let names = [
            "src",
            "test",
            "tests",
            "Test",
            "testing",
            "contest",
            "spec",
            "specs",
            "docs",
            "doc",
            "fixtures",
            "__tests__",
            "__fixtures__",
            "testdata",
            "a.test.ts",
            "a.spec.js",
            "a_test.go",
            "test_a.py",
            "test_",
            "a.test",
            ".env",
            ".env.example",
            ".env.local.example",
            ".env.sample",
            "env.sample",
            "README.md",
            "a.mdx",
            "a.rst",
            "a.adoc",
            "a.txt",
            "a.md.ts",
            "CHANGELOG",
            "CHANGES.md",
            "HISTORY",
            "history",
            "app.ts",
            "",
        ];
        let mut paths = 0;
        for a in names {
            for b in names {
                for c in names {
                    let path = [a, b, c]
                        .iter()
                        .filter(|n| !n.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join("/");
                    let path = Path::new(&path);
                    assert_eq!(
                        is_default_fixture_path(path),
                        whole.is_match(path),
                        "{}",
                        path.display()
                    );
                    paths += 1;
                }
            }
        }
        assert_eq!(paths, names.len().pow(3));
        assert_eq!(required_piece("**/a?c/**"), None);
        assert_eq!(required_piece("**/{a,b}/**"), None);
        assert_eq!(required_piece("**/.env*.example"), Some(".example"));
    }

    #[test]
    fn defaults_apply_without_any_source() {
        let config = Config::from_sources(None, None).unwrap();
        assert_eq!(config.settings.lifetime_threshold, 24 * 3600);
        assert!(config.settings.rules.is_empty() && config.settings.providers.is_empty());
        assert!(config.is_fixture_path(Path::new("src/__tests__/auth.test.ts")));
        assert!(config.is_fixture_path(Path::new("README.md")));
        assert!(!config.is_fixture_path(Path::new("src/auth.ts")));
    }

    #[test]
    fn toml_file_is_read_and_editor_settings_win() {
        let toml = r#"
            clock_skew = "30s"
            lifetime_threshold = 3600
            ignore_paths = ["vendor/**"]
            [rules]
            JWT013 = "off"
            missing-aud = "error"
            [policy]
            issuers = ["https://auth.example.com/"]
            [[allow]]
            claims = { iss = "supabase-demo" }
            rules = ["JWT101"]
        "#;
        let editor = json!({ "jwtlens": {
            "clockSkew": 60,
            "policy": { "audiences": ["api"] },
            "server": { "path": "/opt/jwtlens" },
            "trace": { "server": "verbose" },
        } });
        let config = Config::from_sources(Some(toml), Some(&editor)).unwrap();
        assert_eq!(config.settings.clock_skew, 60);
        assert_eq!(config.settings.lifetime_threshold, 3600);
        assert_eq!(
            config.settings.policy.issuers,
            ["https://auth.example.com/"]
        );
        assert_eq!(config.settings.policy.audiences, ["api"]);
        assert_eq!(
            config.level(rules::find("JWT013").unwrap()),
            Some(Level::Off)
        );
        assert_eq!(
            config.level(rules::find("JWT009").unwrap()),
            Some(Level::Error)
        );
        assert!(config.is_ignored_path(Path::new("vendor/lib/a.js")));
        let claims = json!({ "iss": "supabase-demo", "role": "anon" });
        let claims = claims.as_object().unwrap();
        assert!(config.allows(rules::find("known-secret").unwrap(), claims));
        assert!(!config.allows(rules::find("JWT003").unwrap(), claims));
    }

    #[test]
    fn unknown_fields_rules_and_durations_are_named() {
        let err = Config::from_sources(Some("colck_skew = 3"), None).unwrap_err();
        assert!(err.message.contains("colck_skew"), "{}", err.message);
        let err = Config::from_sources(Some("[rules]\nJWT999 = \"off\""), None).unwrap_err();
        assert!(
            err.message.contains("unknown rule `JWT999`"),
            "{}",
            err.message
        );
        let err = Config::from_sources(Some("clock_skew = \"soon\""), None).unwrap_err();
        assert!(
            err.message.contains("`soon` is not a duration"),
            "{}",
            err.message
        );
        let err = Config::from_sources(Some("[rules]\nJWT003 = \"loud\""), None).unwrap_err();
        assert!(err.message.contains("loud"), "{}", err.message);
    }

    #[test]
    fn paths_must_stay_inside_the_workspace() {
        for (toml, expected) in [
            (
                "[mint]\nkeys_dir = \".k\\necho INJECTED #\"",
                r#"mint.keys_dir ".k\necho INJECTED #": contains a control character"#,
            ),
            (
                "[keys]\nfiles = [\"ok.pem\", \"/etc/ssl/key.pem\"]",
                r#"keys.files[1] "/etc/ssl/key.pem": is absolute"#,
            ),
            (
                "[keys]\ndotenv = [{ file = \"../.env\", var = \"S\" }]",
                r#"keys.dotenv[0].file "../.env": contains `..`"#,
            ),
        ] {
            let err = Config::from_sources(Some(toml), None).unwrap_err();
            assert!(err.message.starts_with(expected), "{}", err.message);
        }
    }

    #[test]
    fn restricted_mode_drops_what_names_files_keys_and_urls() {
        let toml = r#"
            clock_skew = 30
            docs_url = "https://phish.example/"
            [keys]
            secrets = ["repo-secret"]
            [mint]
            lifetime = 60
            keys_dir = "keys"
            private_keys = true
        "#;
        let editor = json!({"keys": {"secrets": ["my-secret"]}});
        let config = Config::build(None, Some(toml), Some(&editor), Trust::Restricted).unwrap();
        let settings = &config.settings;
        assert_eq!((settings.clock_skew, settings.mint.lifetime), (30, 60));
        assert_eq!(
            settings.keys.secrets,
            ["my-secret"],
            "the user's own keys stay"
        );
        assert_eq!(settings.mint.keys_dir, jwtlens_settings::DEFAULT_KEYS_DIR);
        assert!(!settings.mint.private_keys);
        assert_eq!(settings.docs_url, Settings::default().docs_url);
        assert_eq!(
            config.notes,
            ["restricted mode (this folder is not trusted): keys, mint.keys_dir, mint.private_keys, docs_url from .jwtlens.toml ignored, and no key, .env or test key file is read"]
        );
        assert!(config.test_keys().is_err());
        let trusted = Config::build(None, Some(toml), None, Trust::Trusted).unwrap();
        assert_eq!(trusted.settings.keys.secrets, ["repo-secret"]);
        assert!(trusted.notes.is_empty());
    }
}
