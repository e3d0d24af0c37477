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
        merge(&mut merged, file);
    }
    if let Some(editor) = editor {
        let mut editor = editor_section(editor);
        snake_case_keys(&mut editor);
        if let Some(policy) = editor.get_mut("policy") {
            snake_case_keys(policy);
        }
        for issuer in jwks_issuers(&editor) {
            repository_jwks_issuers.remove(&issuer);
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
        notes,
    })
}

/// Removes the restricted fields from a settings object; returns their dotted names.
fn remove_restricted(file: &mut Value) -> Vec<String> {
    let mut removed = Vec::new();
    for (table, field) in RESTRICTED_FIELDS {
        let gone = match field {
            None => file.as_object_mut().and_then(|map| map.remove(*table)),
            Some(field) => file
                .get_mut(*table)
                .and_then(Value::as_object_mut)
                .and_then(|map| map.remove(*field)),
        };
        if gone.is_some() {
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

/// Editors name settings in camelCase (`clockSkew`); the TOML file in snake_case. Only
/// setting names are converted: rule codes and claim names inside them are left alone.
fn snake_case_keys(value: &mut Value) {
    if let Value::Object(map) = value {
        *map = std::mem::take(map)
            .into_iter()
            .map(|(key, value)| {
                let mut snake = String::with_capacity(key.len() + 4);
                for ch in key.chars() {
                    if ch.is_ascii_uppercase() {
                        snake.push('_');
                        snake.push(ch.to_ascii_lowercase());
                    } else {
                        snake.push(ch);
                    }
                }
                (snake, value)
            })
            .collect();
    }
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
