//! Settings from their two sources: the `.jwtlens.toml` text (snake_case), layered under
//! the editor's JSON (camelCase or snake_case), which wins.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::{ConfigError, Settings, Trust, CONFIG_FILE, RESTRICTED_FIELDS, TRUST_SETTING};

/// Settings read from their sources, with what the compiled configuration needs to know
/// about where they came from.
#[derive(Debug, Clone)]
pub struct MergedSettings {
    pub settings: Settings,
    /// Issuers whose `keys.jwks_urls` entry came from `.jwtlens.toml` (and not from the
    /// editor): verifications with those key sets are labelled workspace-configured.
    pub repository_jwks_issuers: BTreeSet<String>,
    /// Named policies whose `keys.jwks_url` came from `.jwtlens.toml` (the editor's
    /// `policies`, when it sends any, replace the file's).
    pub repository_policy_jwks: BTreeSet<String>,
    /// What the user should know about these settings besides errors (fields ignored in
    /// restricted mode).
    pub notes: Vec<String>,
}

/// Parses a `.jwtlens.toml` text layered under the editor's settings (which win). In
/// restricted mode the file's [`RESTRICTED_FIELDS`] are left out (and said so in
/// `notes`).
pub fn merge_sources(
    toml_text: Option<&str>,
    editor: Option<&Value>,
    trust: Trust,
) -> Result<MergedSettings, ConfigError> {
    let mut merged = Value::Object(Map::new());
    let mut notes = Vec::new();
    let mut repository_jwks_issuers = BTreeSet::new();
    let mut repository_policy_jwks = BTreeSet::new();
    if let Some(text) = toml_text {
        let file: toml::Table = toml::from_str(text).map_err(|err| ConfigError {
            message: err.message().to_owned(),
            span: err.span(),
        })?;
        if file.contains_key(TRUST_SETTING) {
            return Err(ConfigError {
                message: format!(
                    "{TRUST_SETTING}: only your editor says whether a folder is trusted, not the folder's own {CONFIG_FILE}"
                ),
                span: None,
            });
        }
        let mut file = serde_json::to_value(file).map_err(|err| ConfigError {
            message: err.to_string(),
            span: None,
        })?;
        if trust == Trust::Restricted {
            let ignored = remove_restricted(&mut file);
            if !ignored.is_empty() {
                notes.push(format!(
                    "restricted mode (this folder is not trusted): {} from {CONFIG_FILE} ignored, and no key, .env or test key file is read",
                    ignored.join(", ")
                ));
            }
        }
        repository_jwks_issuers = jwks_issuers(&file);
        repository_policy_jwks = policies_with_jwks(&file);
        merge(&mut merged, file);
    }
    if let Some(editor) = editor {
        let mut editor = editor_section(editor);
        snake_case_setting_names(&mut editor);
        for issuer in jwks_issuers(&editor) {
            repository_jwks_issuers.remove(&issuer);
        }
        if editor.get("policies").is_some() {
            repository_policy_jwks.clear();
        }
        merge(&mut merged, editor);
    }
    let settings: Settings = serde_json::from_value(merged).map_err(|err| ConfigError {
        message: format!("invalid settings: {err}"),
        span: None,
    })?;
    Ok(MergedSettings {
        settings,
        repository_jwks_issuers,
        repository_policy_jwks,
        notes,
    })
}

/// Removes the restricted fields from a settings object; returns their dotted names. A
/// field of an array of tables (`[[policies]]`) is removed from every element.
fn remove_restricted(file: &mut Value) -> Vec<String> {
    let mut removed = Vec::new();
    for (table, field) in RESTRICTED_FIELDS {
        let gone = match (field, file.get_mut(*table)) {
            (None, _) => file
                .as_object_mut()
                .and_then(|map| map.remove(*table))
                .is_some(),
            (Some(field), Some(Value::Array(elements))) => {
                elements
                    .iter_mut()
                    .filter_map(|element| element.as_object_mut()?.remove(*field))
                    .count()
                    > 0
            }
            (Some(field), Some(value)) => value
                .as_object_mut()
                .and_then(|map| map.remove(*field))
                .is_some(),
            (Some(_), None) => false,
        };
        if gone {
            removed.push(match field {
                None => (*table).to_owned(),
                Some(field) => format!("{table}.{field}"),
            });
        }
    }
    removed
}

/// The issuers a settings object names in `keys.jwks_urls`.
fn jwks_issuers(settings: &Value) -> BTreeSet<String> {
    settings
        .get("keys")
        .and_then(|keys| keys.get("jwks_urls"))
        .and_then(Value::as_object)
        .map(|urls| urls.keys().cloned().collect())
        .unwrap_or_default()
}

/// The names of the policies a settings object gives a `keys.jwks_url`.
fn policies_with_jwks(settings: &Value) -> BTreeSet<String> {
    let Some(Value::Array(policies)) = settings.get("policies") else {
        return BTreeSet::new();
    };
    policies
        .iter()
        .filter(|policy| policy.pointer("/keys/jwks_url").is_some())
        .filter_map(|policy| policy.get("name")?.as_str().map(str::to_owned))
        .collect()
}

/// Editors send either the settings object itself or `{ "jwtlens": { … } }`. Settings that
/// only the editor client reads (`server.path`, `trace.server`) and the trust setting
/// (read by [`Trust::from_editor`]) are dropped here.
fn editor_section(value: &Value) -> Value {
    let mut section = value.get("jwtlens").unwrap_or(value).clone();
    if let Value::Object(map) = &mut section {
        for not_a_setting in CLIENT_ONLY_SETTINGS
            .iter()
            .chain(&[TRUST_SETTING, "trustedWorkspace"])
        {
            map.remove(*not_a_setting);
        }
    }
    section
}

/// Top-level editor settings that configure the client, not the server.
const CLIENT_ONLY_SETTINGS: &[&str] = &["server", "trace"];

/// Settings whose values are maps keyed by data, not by setting names: rule codes and
/// names (`rules`), claim names (`allow[].claims`, a provider condition's `match` and
/// `header`), issuer URLs (`keys.jwks_urls`), operation names (`policies[].operations`).
const KEYED_BY_DATA: &[&str] = &[
    "rules",
    "claims",
    "match",
    "header",
    "jwks_urls",
    "operations",
];

/// Editors name settings in camelCase (`clockSkew`, `mint.keysDir`, `keys.secretEnv`); the
/// TOML file in snake_case. Setting names are converted at every level, before the
/// editor's settings are merged over the file's (so that `keysDir` overrides
/// `keys_dir`); the keys of [`KEYED_BY_DATA`] maps, and everything under them, are data
/// and left alone.
fn snake_case_setting_names(value: &mut Value) {
    match value {
        Value::Object(map) => {
            *map = std::mem::take(map)
                .into_iter()
                .map(|(name, mut value)| {
                    let name = snake_case(&name);
                    if !KEYED_BY_DATA.contains(&name.as_str()) {
                        snake_case_setting_names(&mut value);
                    }
                    (name, value)
                })
                .collect();
        }
        Value::Array(items) => items.iter_mut().for_each(snake_case_setting_names),
        _ => {}
    }
}

fn snake_case(name: &str) -> String {
    let mut snake = String::with_capacity(name.len() + 4);
    for ch in name.chars() {
        if ch.is_ascii_uppercase() {
            snake.push('_');
            snake.push(ch.to_ascii_lowercase());
        } else {
            snake.push(ch);
        }
    }
    snake
}

/// Deep-merges `overlay` into `base`: objects merge key by key, anything else replaces.
fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The editor's camelCase names, at every level, mean what the file's snake_case names
    /// mean and override them; rule codes, claim names and issuer URLs used as keys stay
    /// as written.
    #[test]
    fn camel_case_setting_names_at_every_level() {
        let file = "[mint]\nkeys_dir = \"from-file\"\nprivate_keys = false\n";
        let editor = json!({"jwtlens": {
            "clockSkew": 30,
            "rules": {"JWT001": "off", "noJti": "hint"},
            "allow": [{"claims": {"orgId": "org_1", "nested": {"camelCase": 1}}, "rules": ["JWT003"]}],
            "mint": {"keysDir": "from-editor", "privateKeys": true},
            "keys": {
                "secretEnv": ["MY_SECRET"],
                "dotenv": [{"file": ".env", "var": "JWT_KEY"}],
                "jwksUrls": {"https://Tenant.example.com/Realm": "https://keys.example.com/JWKS"},
            },
            "policy": {"authorizedParties": ["app"], "requiredClaims": ["orgId"], "permissionsShape": "space-delimited"},
            "providers": [{
                "id": "acme", "name": "Acme",
                "authorizedParty": ["azp"],
                "publicIdp": true,
                "detect": [{"claims": ["acmeTenant"], "match": {"acmeRole": "admin"}, "header": {"kidPrefix": "a"}}],
                "memberships": {"path": "orgs", "keyedByRole": true},
            }],
        }});
        let settings = merge_sources(Some(file), Some(&editor), Trust::Trusted)
            .unwrap()
            .settings;
        assert_eq!(settings.clock_skew, 30);
        assert_eq!(
            settings.rules.keys().collect::<Vec<_>>(),
            ["JWT001", "noJti"]
        );
        assert_eq!(
            settings.allow[0].claims,
            *json!({"orgId": "org_1", "nested": {"camelCase": 1}})
                .as_object()
                .unwrap()
        );
        assert_eq!(settings.mint.keys_dir, "from-editor");
        assert!(settings.mint.private_keys);
        assert_eq!(settings.keys.secret_env, ["MY_SECRET"]);
        assert_eq!(settings.keys.dotenv[0].var, "JWT_KEY");
        assert_eq!(
            settings.keys.jwks_urls["https://Tenant.example.com/Realm"],
            "https://keys.example.com/JWKS"
        );
        assert_eq!(settings.policy.authorized_parties, ["app"]);
        assert_eq!(settings.policy.required_claims, ["orgId"]);
        let provider = &settings.providers[0];
        assert_eq!(provider.authorized_party, ["azp"]);
        assert!(provider.public_idp);
        assert_eq!(provider.detect[0].claims, ["acmeTenant"]);
        assert_eq!(provider.detect[0].matches["acmeRole"], "admin");
        assert_eq!(provider.detect[0].header["kidPrefix"], "a");
        assert!(provider.memberships.as_ref().unwrap().keyed_by_role);
        // A name that is no setting in either case is still refused.
        let unknown = json!({"mint": {"keysFolder": "x"}});
        let err = merge_sources(None, Some(&unknown), Trust::Trusted).unwrap_err();
        assert!(err.message.contains("keys_folder"), "{}", err.message);
    }

    #[test]
    fn toml_syntax_errors_carry_a_span() {
        let err = merge_sources(Some("clock_skew = = 3"), None, Trust::Trusted).unwrap_err();
        assert!(err.span.is_some(), "{err:?}");
    }

    #[test]
    fn only_the_editor_says_whether_a_folder_is_trusted() {
        assert_eq!(Trust::from_editor(&json!({"inlayHints": true})), None);
        assert_eq!(
            Trust::from_editor(&json!({"jwtlens": {"trustedWorkspace": true}})),
            Some(Trust::Trusted)
        );
        for untrusted in [json!(false), json!("true"), Value::Null] {
            assert_eq!(
                Trust::from_editor(&json!({ TRUST_SETTING: untrusted })),
                Some(Trust::Restricted)
            );
        }
        let editor = json!({"trustedWorkspace": false, "clockSkew": 5});
        assert_eq!(
            merge_sources(None, Some(&editor), Trust::Trusted)
                .unwrap()
                .settings
                .clock_skew,
            5
        );
        let err =
            merge_sources(Some("trusted_workspace = true"), None, Trust::Trusted).unwrap_err();
        assert!(
            err.message.contains("only your editor says"),
            "{}",
            err.message
        );
    }
}
