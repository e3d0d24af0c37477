//! SARIF 2.1.0, as GitHub code scanning reads it: every rule with its help, every
//! finding with a region (1-based lines, columns in Unicode code points, which the run
//! declares) and the token's fingerprint, never the token.

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::{json, Value};
use url::Url;

use crate::history::Provenance;
use crate::json::{slots, write_pretty_spliced, Elements, Fill, SLOTS, SPLICE};
use crate::output::ProvenanceFields;
use crate::report::FileReport;
use crate::Summary;
use jwtlens_engine::rules::{Rule, Tier, RULES};
use jwtlens_settings::Level;

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base that relative artifact URIs resolve against: the repository root.
const SRCROOT: &str = "%SRCROOT%";

/// Writes the SARIF log of one run, as it is serialised (no JSON tree of the results in
/// memory), pretty, with unsafe characters escaped. `root` is the absolute directory that
/// artifact URIs are relative to (the repository root); `docs_url` the rule
/// documentation page. The results are rendered on `threads` threads (0: one per core).
pub fn write(
    out: &mut impl Write,
    files: &[FileReport],
    summary: &Summary,
    root: &Path,
    docs_url: &str,
    threads: usize,
) -> io::Result<()> {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| descriptor(rule, docs_url))
        .collect();
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
    // The commits that introduced the history's findings, for `versionControlProvenance`
    // (which lists each commit once).
    let version_control = summary.git.as_ref().map(|git| {
        let commits: Vec<(&str, i64)> = files
            .iter()
            .flat_map(|file| &file.tokens)
            .filter(|token| !token.findings.is_empty())
            .filter_map(|token| token.provenance.as_ref())
            .map(|provenance| (provenance.commit.as_str(), provenance.commit_date))
            .collect();
        git.version_control(&commits, SRCROOT)
    });
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "jwtlens",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://github.com/jwtlens/jwtlens",
                    rules,
                },
            },
            original_uri_base_ids: json!({SRCROOT: {"uri": root_uri}}),
            column_kind: "unicodeCodePoints",
            invocations: [Invocation {
                execution_successful: summary.errors == 0,
                tool_execution_notifications: notifications,
            }],
            results: [SPLICE],
            version_control_provenance: version_control,
        }],
    };
    write_pretty_spliced(out, &log, files, threads, |file, elements| {
        push_results(file, root, elements)
    })
}

// The log, field by field in output order. Results borrow from the records; a new field
// is one more (optional, `skip_serializing_if`) member here.

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    original_uri_base_ids: Value,
    column_kind: &'static str,
    invocations: [Invocation; 1],
    /// Filled with every finding of every file, in order.
    results: [&'static str; 1],
    /// Only in `--history`: the repository and the commits findings were introduced in.
    #[serde(skip_serializing_if = "Option::is_none")]
    version_control_provenance: Option<Value>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Value>,
}

/// The results of one file, pushed into the run's `results`; its artifact location is
/// built once for all of them.
fn push_results(file: &FileReport, root: &Path, elements: &mut Elements<'_>) -> io::Result<()> {
    let artifact = artifact_location(&file.absolute, root);
    for token in &file.tokens {
        let region = Region {
            start_line: token.start.line,
            start_column: token.start.column,
            end_line: token.end.line,
            end_column: token.end.column,
            byte_offset: token.start.byte,
            byte_length: token.end.byte - token.start.byte,
        };
        let provider = token.provider.as_ref().map(|p| p.name.as_str());
        let fixture = token.fixture.as_deref();
        let about_token = match token.provenance.as_deref() {
            // A history finding's commit fields vary from token to token: rendered whole.
            Some(provenance) => elements.members(&SarifTokenMembers::new(
                ArtifactLocation {
                    uri: Cow::Borrowed(&artifact.uri),
                    uri_base_id: artifact.uri_base_id,
                },
                region,
                &token.fingerprint,
                Some(provenance),
                provider,
                fixture,
            ))?,
            // Every other token's members are one of eight patterns (whether the URI has a
            // base, a provider, a fixture context), filled in.
            None => {
                let mut fills = vec![Fill::Text(&artifact.uri)];
                fills.extend(region.numbers().map(Fill::Number));
                fills.push(Fill::Text(&token.fingerprint));
                fills.extend(provider.map(Fill::Text));
                fills.extend(fixture.map(Fill::Text));
                let pattern = || {
                    let mut slot = slots();
                    let uri = slot();
                    SarifTokenMembers::new(
                        ArtifactLocation {
                            uri: Cow::Borrowed(uri),
                            uri_base_id: artifact.uri_base_id,
                        },
                        Region::from_numbers(&mut slot),
                        slot(),
                        None,
                        provider.map(|_| slot()),
                        fixture.map(|_| slot()),
                    )
                };
                let shape = u32::from(artifact.uri_base_id.is_some())
                    | u32::from(provider.is_some()) << 1
                    | u32::from(fixture.is_some()) << 2;
                elements.members_filled(("SARIF token", shape), pattern, &fills)?
            }
        };
        for finding in &token.findings {
            let code = finding.rule.code;
            let result = || SarifResult {
                rule_id: code,
                rule_index: RULES.iter().position(|rule| rule.code == code).unwrap_or(0),
                level: level(finding.level),
                message: Message { text: SLOTS[0] },
            };
            let message = [Fill::Text(&finding.message)];
            let key = (code, finding.level as u32);
            elements.push_filled(key, result, &message, &about_token)?;
        }
    }
    Ok(())
}

/// A result's own members; [`SarifTokenMembers`] follow.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message<'static>,
}

/// The members that every result about one token has alike, after [`SarifResult`]'s.
/// `N` is a number's type: strings stand for the numbers in a pattern.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifTokenMembers<'a, N> {
    locations: [Location<'a, N>; 1],
    partial_fingerprints: PartialFingerprints<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Properties<'a>>,
}

impl<'a, N> SarifTokenMembers<'a, N> {
    fn new(
        artifact_location: ArtifactLocation<'a>,
        region: Region<N>,
        fingerprint: &'a str,
        provenance: Option<&'a Provenance>,
        provider: Option<&'a str>,
        fixture: Option<&'a str>,
    ) -> Self {
        SarifTokenMembers {
            locations: [Location {
                physical_location: PhysicalLocation {
                    artifact_location,
                    region,
                },
            }],
            partial_fingerprints: PartialFingerprints {
                token: fingerprint,
                commit: provenance.map(|p| p.commit.as_str()),
            },
            properties: (provider.is_some() || fixture.is_some() || provenance.is_some()).then(
                || Properties {
                    provider,
                    fixture,
                    provenance: provenance.map(ProvenanceFields),
                },
            ),
        }
    }
}

#[derive(Serialize)]
struct Message<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a, N> {
    physical_location: PhysicalLocation<'a, N>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a, N> {
    artifact_location: ArtifactLocation<'a>,
    region: Region<N>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region<N> {
    start_line: N,
    start_column: N,
    end_line: N,
    end_column: N,
    byte_offset: N,
    byte_length: N,
}

impl<N> Region<N> {
    /// A region of the numbers `next` gives, in output order.
    fn from_numbers(mut next: impl FnMut() -> N) -> Self {
        Region {
            start_line: next(),
            start_column: next(),
            end_line: next(),
            end_column: next(),
            byte_offset: next(),
            byte_length: next(),
        }
    }

    /// The numbers in output order.
    fn numbers(self) -> impl Iterator<Item = N> {
        [
            self.start_line,
            self.start_column,
            self.end_line,
            self.end_column,
            self.byte_offset,
            self.byte_length,
        ]
        .into_iter()
    }
}

#[derive(Serialize)]
struct PartialFingerprints<'a> {
    #[serde(rename = "jwtlensToken/v1")]
    token: &'a str,
    /// Only in `--history`: the commit that introduced the token, so that code scanning
    /// reports one leak once, not once per commit that still has it.
    #[serde(rename = "jwtlensCommit/v1", skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
}

#[derive(Serialize)]
struct Properties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixture: Option<&'a str>,
    #[serde(flatten)]
    provenance: Option<ProvenanceFields<'a>>,
}

/// Where a result is: a URI relative to `%SRCROOT%`, or an absolute file URI.
#[derive(Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation<'a> {
    uri: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
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
fn artifact_location(absolute: &Path, root: &Path) -> ArtifactLocation<'static> {
    match absolute.strip_prefix(root) {
        Ok(relative) => ArtifactLocation {
            uri: Cow::Owned(relative_uri(relative)),
            uri_base_id: Some(SRCROOT),
        },
        Err(_) => ArtifactLocation {
            uri: Cow::Owned(
                Url::from_file_path(absolute)
                    .map(|url| url.to_string())
                    .unwrap_or_else(|()| relative_uri(absolute)),
            ),
            uri_base_id: None,
        },
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
        let location = |path: &str| {
            serde_json::to_value(artifact_location(Path::new(path), Path::new("/repo"))).unwrap()
        };
        assert_eq!(
            location("/repo/a/b.ts"),
            json!({"uri": "a/b.ts", "uriBaseId": SRCROOT})
        );
        assert_eq!(
            location("/elsewhere/b.ts"),
            json!({"uri": "file:///elsewhere/b.ts"})
        );
    }

    #[test]
    fn every_rule_is_described_with_its_docs_anchor() {
        let summary = Summary::default();
        let mut out = Vec::new();
        write(
            &mut out,
            &[],
            &summary,
            Path::new("/repo"),
            "https://x/rules.md",
            0,
        )
        .unwrap();
        let log: Value = serde_json::from_slice(&out).unwrap();
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
