//! Baselines: the findings a project has accepted, keyed by token fingerprint and rule,
//! never by the token itself. Paths and lines are written for the humans reviewing the
//! file; matching ignores them, so moving a token does not make it new.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::FileReport;
use jwtlens_engine::rules;

/// The baseline file's format version.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Entry {
    /// Where the finding was, for people reading the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    rule: String,
    /// SHA-256 of the token, hex.
    fingerprint: String,
    /// The commit that introduced the token (`--history`), for people reading the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    commit: Option<String>,
}

/// Accepted (fingerprint, rule code) pairs.
#[derive(Debug, Default)]
pub struct Baseline {
    accepted: HashSet<(String, &'static str)>,
}

impl Baseline {
    /// Reads a baseline written by [`write`]; rules may be given by code or name.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path).map_err(|err| err.to_string())?;
        let file: BaselineFile =
            serde_json::from_str(&text).map_err(|err| format!("not a jwtlens baseline: {err}"))?;
        if file.version != VERSION {
            return Err(format!(
                "baseline version {} is not supported (expected {VERSION})",
                file.version
            ));
        }
        let mut accepted = HashSet::new();
        for entry in file.findings {
            let rule =
                rules::find(&entry.rule).ok_or_else(|| format!("unknown rule `{}`", entry.rule))?;
            accepted.insert((entry.fingerprint.to_ascii_lowercase(), rule.code));
        }
        Ok(Baseline { accepted })
    }

    pub fn len(&self) -> usize {
        self.accepted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accepted.is_empty()
    }

    /// Removes accepted findings (and tokens and files left without any); returns how
    /// many findings were removed.
    pub fn filter(&self, files: &mut Vec<FileReport>) -> usize {
        if self.accepted.is_empty() {
            return 0;
        }
        let mut removed = 0;
        for file in files.iter_mut() {
            for token in &mut file.tokens {
                let before = token.findings.len();
                token.findings.retain(|finding| {
                    !self
                        .accepted
                        .contains(&(token.fingerprint.clone(), finding.rule.code))
                });
                removed += before - token.findings.len();
            }
            file.tokens.retain(|token| !token.findings.is_empty());
        }
        files.retain(|file| !file.tokens.is_empty());
        removed
    }
}

/// The baseline of these findings, as pretty JSON (sorted, so it diffs well).
pub fn render(files: &[FileReport]) -> String {
    let mut findings: Vec<Entry> = files
        .iter()
        .flat_map(|file| {
            file.tokens.iter().flat_map(move |token| {
                token.findings.iter().map(move |finding| Entry {
                    path: Some(file.path.clone()),
                    line: Some(token.start.line),
                    rule: finding.rule.code.to_owned(),
                    fingerprint: token.fingerprint.clone(),
                    commit: token.provenance.as_ref().map(|p| p.commit.clone()),
                })
            })
        })
        .collect();
    findings.sort();
    findings.dedup();
    let file = BaselineFile {
        version: VERSION,
        findings,
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Position;
    use crate::report::{FindingRecord, TokenRecord};
    use jwtlens_settings::Level;

    fn file(path: &str, fingerprint: &str, codes: &[&str]) -> FileReport {
        let at = Position {
            byte: 0,
            line: 3,
            column: 1,
        };
        FileReport {
            path: path.into(),
            absolute: path.into(),
            tokens: vec![TokenRecord {
                start: at,
                end: at,
                fingerprint: fingerprint.into(),
                text: None,
                provider: None,
                fixture: None,
                snippet: None,
                provenance: None,
                findings: codes
                    .iter()
                    .map(|code| FindingRecord {
                        rule: rules::find(code).unwrap(),
                        level: Level::Error,
                        message: String::new(),
                    })
                    .collect(),
            }],
        }
    }

    #[test]
    fn round_trip_filters_by_fingerprint_and_rule_not_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        std::fs::write(&path, render(&[file("a.ts", "aa", &["JWT104", "JWT009"])])).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"fingerprint\": \"aa\"") && text.contains("\"line\": 3"));
        let baseline = Baseline::load(&path).unwrap();
        assert_eq!(baseline.len(), 2);

        let mut files = vec![
            // The same token moved to another file, with one new finding.
            file("b.ts", "aa", &["JWT104", "JWT013"]),
            file("c.ts", "bb", &["JWT104"]),
            file("d.ts", "aa", &["JWT009"]),
        ];
        assert_eq!(baseline.filter(&mut files), 2);
        let left: Vec<(&str, Vec<&str>)> = files
            .iter()
            .map(|f| {
                (
                    f.path.as_str(),
                    f.tokens[0].findings.iter().map(|x| x.rule.code).collect(),
                )
            })
            .collect();
        assert_eq!(left, [("b.ts", vec!["JWT013"]), ("c.ts", vec!["JWT104"])]);
    }

    #[test]
    fn rules_by_name_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        std::fs::write(
            &path,
            r#"{"version":1,"findings":[{"rule":"live-credential","fingerprint":"AB"}]}"#,
        )
        .unwrap();
        let baseline = Baseline::load(&path).unwrap();
        assert!(baseline.accepted.contains(&("ab".to_owned(), "JWT104")));
        std::fs::write(
            &path,
            r#"{"version":1,"findings":[{"rule":"JWT999","fingerprint":"a"}]}"#,
        )
        .unwrap();
        assert!(Baseline::load(&path).unwrap_err().contains("JWT999"));
        std::fs::write(&path, "[]").unwrap();
        assert!(Baseline::load(&path)
            .unwrap_err()
            .contains("not a jwtlens baseline"));
        assert!(Baseline::load(&dir.path().join("missing.json")).is_err());
    }
}
