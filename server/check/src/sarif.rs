//! SARIF 2.1.0, as GitHub code scanning reads it: every rule with its help, every
//! finding with a region (1-based lines, columns in Unicode code points, which the run
//! declares) and the token's fingerprint, never the token.

use std::path::Path;

use serde_json::{json, Value};
use url::Url;

use crate::report::FileReport;
use crate::Summary;
use jwtlens_engine::rules::{Rule, Tier, RULES};
use jwtlens_settings::Level;

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base that relative artifact URIs resolve against: the repository root.
const SRCROOT: &str = "%SRCROOT%";

/// The key of the token fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "jwtlensToken/v1";

/// The key of the commit that introduced the token (`--history`) in `partialFingerprints`.
pub const COMMIT_KEY: &str = "jwtlensCommit/v1";

/// A SARIF log of one run. `root` is the absolute directory that artifact URIs are
/// relative to (the repository root); `docs_url` the rule documentation page.
pub fn sarif_value(files: &[FileReport], summary: &Summary, root: &Path, docs_url: &str) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| descriptor(rule, docs_url))
        .collect();
    let mut results = Vec::new();
    let mut commits = Vec::new();
    for file in files {
        let artifact = artifact_location(&file.absolute, root);
        for token in &file.tokens {
            for finding in &token.findings {
                let rule_index = RULES
                    .iter()
                    .position(|rule| rule.code == finding.rule.code)
                    .unwrap_or(0);
                let mut properties = serde_json::Map::new();
                if let Some(provider) = &token.provider {
                    properties.insert("provider".into(), json!(provider.name));
                }
                if let Some(fixture) = &token.fixture {
                    properties.insert("fixture".into(), json!(fixture));
                }
                let mut fingerprints = json!({FINGERPRINT_KEY: token.fingerprint});
                if let Some(provenance) = &token.provenance {
                    fingerprints[COMMIT_KEY] = json!(provenance.commit);
                    commits.push((provenance.commit.as_str(), provenance.commit_date));
                    for (key, value) in provenance.json_fields() {
                        properties.insert(key.into(), value);
                    }
                }
                let mut result = json!({
                    "ruleId": finding.rule.code,
                    "ruleIndex": rule_index,
                    "level": level(finding.level),
                    "message": {"text": finding.message},
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": artifact,
                            "region": {
                                "startLine": token.start.line,
                                "startColumn": token.start.column,
                                "endLine": token.end.line,
                                "endColumn": token.end.column,
                                "byteOffset": token.start.byte,
                                "byteLength": token.end.byte - token.start.byte,
                            },
                        },
                    }],
                    "partialFingerprints": fingerprints,
                });
                if !properties.is_empty() {
                    result["properties"] = Value::Object(properties);
                }
                results.push(result);
            }
        }
    }
    let notifications: Vec<Value> = summary
        .problems
        .iter()
        .map(|problem| {
            json!({
                "level": if problem.error { "error" } else { "warning" },
                "message": {"text": problem.message},
            })
        })
        .collect();
    let root_uri = Url::from_directory_path(root)
        .map(|url| url.to_string())
        .unwrap_or_else(|()| "file:///".to_owned());
    let mut log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "jwtlens",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/jwtlens/jwtlens",
                    "rules": rules,
                },
            },
            "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": summary.errors == 0,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    if let Some(git) = &summary.git {
        log["runs"][0]["versionControlProvenance"] = git.version_control(&commits, SRCROOT);
    }
    log
}

fn descriptor(rule: &Rule, docs_url: &str) -> Value {
    let help_uri = format!(
        "{docs_url}#{}-{}",
        rule.code.to_ascii_lowercase(),
        rule.name
    );
    // GitHub ranks security alerts by this score: 7.0 to 8.9 is high, 4.0 to 6.9
    // medium, under 4.0 low.
    let security_severity = match rule.tier {
        Tier::Critical => "8.0",
        Tier::Warning => "5.0",
        Tier::Info => "2.0",
    };
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "helpUri": help_uri,
        "help": {
            "text": format!("{} See {help_uri}", rule.summary),
            "markdown": format!("{} See [{} {}]({help_uri}).", rule.summary, rule.code, rule.name),
        },
        "defaultConfiguration": {"level": level(rule.tier.level())},
        "properties": {
            "tags": ["security", "jwt"],
            "precision": "high",
            "security-severity": security_severity,
        },
    })
}

/// SARIF has no hint: hints and information are notes.
fn level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Info | Level::Hint => "note",
        Level::Off => "none",
    }
}

/// A URI relative to `%SRCROOT%` for files under the root, else an absolute file URI.
fn artifact_location(absolute: &Path, root: &Path) -> Value {
    match absolute.strip_prefix(root) {
        Ok(relative) => json!({"uri": relative_uri(relative), "uriBaseId": SRCROOT}),
        Err(_) => {
            let uri = Url::from_file_path(absolute)
                .map(|url| url.to_string())
                .unwrap_or_else(|()| relative_uri(absolute));
            json!({"uri": uri})
        }
    }
}

/// A relative path as a URI reference: `/`-separated, percent-encoded.
pub fn relative_uri(path: &Path) -> String {
    let mut uri = String::new();
    for (i, component) in path.components().enumerate() {
        if i > 0 {
            uri.push('/');
        }
        for &byte in component.as_os_str().as_encoded_bytes() {
            let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte);
            if keep {
                uri.push(byte as char);
            } else {
                uri.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_and_relative_to_the_root() {
        assert_eq!(
            relative_uri(Path::new("src/my file#1%.ts")),
            "src/my%20file%231%25.ts"
        );
        assert_eq!(relative_uri(Path::new("é.md")), "%C3%A9.md");
        assert_eq!(
            artifact_location(Path::new("/repo/a/b.ts"), Path::new("/repo")),
            json!({"uri": "a/b.ts", "uriBaseId": SRCROOT})
        );
        assert_eq!(
            artifact_location(Path::new("/elsewhere/b.ts"), Path::new("/repo")),
            json!({"uri": "file:///elsewhere/b.ts"})
        );
    }

    #[test]
    fn every_rule_is_described_with_its_docs_anchor() {
        let summary = Summary::default();
        let log = sarif_value(&[], &summary, Path::new("/repo"), "https://x/rules.md");
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), RULES.len());
        let live = rules.iter().find(|r| r["id"] == "JWT104").unwrap();
        assert_eq!(live["name"], "live-credential");
        assert_eq!(live["helpUri"], "https://x/rules.md#jwt104-live-credential");
        assert_eq!(live["defaultConfiguration"]["level"], "error");
        assert_eq!(log["runs"][0]["columnKind"], "unicodeCodePoints");
        assert_eq!(
            log["runs"][0]["originalUriBaseIds"][SRCROOT]["uri"],
            "file:///repo/"
        );
    }
}
