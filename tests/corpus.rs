//! The real-world regression corpus (tests/corpus/, see its README): per token the provider,
//! claims and severities the providers' documentation gives; per split file the token the
//! scanner must put together and the lines its range spans; per precision case the level
//! each finding must have. Expectations marked `pending` in a manifest say why they are not
//! asserted yet; everything else is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use jwtlens_engine::analysis::{analyse, DocumentContext, TokenReport};
use jwtlens_engine::config::Config;
use jwtlens_jose::fingerprint;
use jwtlens_settings::Level;
use jwtlens_test_support::tokens::now;
use sha2::{Digest, Sha256};
use toml::Value;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn manifest(relative: &str, table: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(corpus_dir().join(relative)).unwrap();
    let parsed: toml::Table = toml::from_str(&text).unwrap();
    parsed[table].as_array().unwrap().clone()
}

/// The reports for `text` checked as the file at `path`, as `jwtlens check --stdin
/// --stdin-filename <path>` sees it outside any workspace.
fn reports(text: &str, path: &str, config: &Config) -> Vec<TokenReport> {
    let cx = DocumentContext {
        path: Some(Path::new(path)),
        config,
        now: now(),
        remote: None,
    };
    analyse(text.as_bytes(), &cx)
}

/// The highest level each rule has in `reports`.
fn levels(reports: &[TokenReport]) -> BTreeMap<&'static str, Level> {
    let mut levels = BTreeMap::new();
    for finding in reports.iter().flat_map(|report| &report.findings) {
        let level = levels.entry(finding.rule.code).or_insert(finding.level);
        *level = (*level).max(finding.level);
    }
    levels
}

/// A manifest level: `"none"` is "not reported", which compares as `Off`.
fn level(name: &str) -> Level {
    match name {
        "none" => Level::Off,
        other => serde_json::from_value(serde_json::Value::String(other.to_owned()))
            .unwrap_or_else(|_| panic!("unknown level {other}")),
    }
}

fn strings(value: Option<&Value>) -> BTreeSet<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| item.as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn pending<'a>(entry: &'a Value, list: &str) -> Vec<&'a str> {
    let Some(pending) = entry.get("pending") else {
        return Vec::new();
    };
    assert!(
        pending
            .get("why")
            .and_then(Value::as_str)
            .is_some_and(|why| !why.is_empty()),
        "a pending expectation says why: {entry}"
    );
    pending[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap())
        .collect()
}

fn exp_of(token: &str) -> Option<i64> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("exp")?.as_i64()
}

#[test]
fn every_token_gets_its_documented_provider_claims_and_severities() {
    let config = Config::default();
    let mut problems = Vec::new();
    let tokens = manifest("tokens.toml", "token");
    assert!(tokens.len() >= 60, "at least 60 tokens");
    for entry in &tokens {
        let id = entry["id"].as_str().unwrap();
        let token = entry["token"].as_str().unwrap();
        let context = entry["context"].as_str().unwrap();
        let expect = &entry["expect"];
        let skip = pending(entry, "keys");
        let found = reports(&format!("{token}\n"), context, &config);
        let [report] = found.as_slice() else {
            problems.push(format!("{id}: {} tokens found", found.len()));
            continue;
        };
        let facts = &report.facts;
        let provider = facts.provider.as_ref();
        let want = expect["provider"].as_str().unwrap();
        let want = (!matches!(want, "generic" | "jwe")).then_some(want);
        if provider.map(|p| p.id.as_str()) != want {
            problems.push(format!(
                "{id}: provider {:?}, want {want:?}",
                provider.map(|p| &p.id)
            ));
            continue;
        }
        let mut check = |key: &str, got: BTreeSet<String>| {
            if expect.get(key).is_some() && !skip.contains(&key) && got != strings(expect.get(key))
            {
                problems.push(format!("{id}: {key} {got:?}, want {:?}", expect[key]));
            }
        };
        check("tenants", facts.tenants.iter().cloned().collect());
        check("roles", facts.roles.iter().cloned().collect());
        check("permissions", facts.permissions.iter().cloned().collect());
        if let Some(memberships) = expect.get("memberships").and_then(Value::as_array) {
            let want: BTreeSet<_> = memberships
                .iter()
                .map(|m| {
                    let (roles, permissions) =
                        (strings(m.get("roles")), strings(m.get("permissions")));
                    (m["tenant"].as_str().unwrap().to_owned(), roles, permissions)
                })
                .collect();
            let got: BTreeSet<_> = facts
                .memberships
                .iter()
                .map(|m| {
                    let roles = m.roles.iter().cloned().collect();
                    let permissions = m.permissions.iter().cloned().collect();
                    (m.tenant.clone(), roles, permissions)
                })
                .collect();
            if got != want {
                problems.push(format!("{id}: memberships {got:?}, want {want:?}"));
            }
        }
        for (key, got) in [
            ("session", facts.session.as_deref()),
            ("variant", provider.and_then(|p| p.variant.as_deref())),
        ] {
            let want = expect.get(key).and_then(Value::as_str);
            if want.is_some() && !skip.contains(&key) && got != want {
                problems.push(format!("{id}: {key} {got:?}, want {want:?}"));
            }
        }
        let got = levels(&found);
        let expired = exp_of(token).is_some_and(|exp| exp < now());
        for (code, want) in entry["severity"].as_table().unwrap() {
            // JWT003 holds once the token has expired, JWT104 while it has not.
            if (code == "JWT003" && !expired) || (code == "JWT104" && expired) {
                continue;
            }
            let got = got.get(code.as_str()).copied().unwrap_or(Level::Off);
            if got != level(want.as_str().unwrap()) {
                problems.push(format!("{id}: {code} {}, want {want}", got.as_str()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_split_token_is_put_together_with_a_range_over_its_lines() {
    let config = Config::default();
    let directory = corpus_dir().join("split");
    let mut problems = Vec::new();
    for case in manifest("split/manifest.toml", "case") {
        let file = case["file"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let text = std::fs::read_to_string(directory.join(file)).unwrap();
        let want_fingerprint = format!("{:x}", Sha256::digest(token.as_bytes()));
        let line = |byte: usize| text[..byte].matches('\n').count() as i64 + 1;
        let found: Vec<_> = reports(&text, file, &config)
            .into_iter()
            .map(|report| {
                let range = report.token.range.clone();
                let print = fingerprint(report.token.compact(text.as_bytes()));
                (print, line(range.start), line(range.end))
            })
            .collect();
        let want = (
            want_fingerprint,
            case["first_line"].as_integer().unwrap(),
            case["last_line"].as_integer().unwrap(),
        );
        if !found.contains(&want) {
            problems.push(format!("{file}: found {found:?}, want {want:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_precision_case_gets_its_expected_levels() {
    let config = Config::default();
    let directory = corpus_dir().join("precision");
    let mut problems = Vec::new();
    for case in manifest("precision/manifest.toml", "case") {
        let file = case["file"].as_str().unwrap();
        let text = std::fs::read_to_string(directory.join(file)).unwrap();
        let got = levels(&reports(&text, case["context"].as_str().unwrap(), &config));
        let skip = pending(&case, "rules");
        for (code, want) in case["expect"].as_table().unwrap() {
            let level_got = got.get(code.as_str()).copied().unwrap_or(Level::Off);
            if !skip.contains(&code.as_str()) && level_got != level(want.as_str().unwrap()) {
                problems.push(format!(
                    "{file}: {code} {}, want {want}",
                    level_got.as_str()
                ));
            }
        }
        let max = level(case["max_level"].as_str().unwrap());
        for (code, level_got) in &got {
            if *level_got > max {
                problems.push(format!(
                    "{file}: {code} {} above {}",
                    level_got.as_str(),
                    max.as_str()
                ));
            }
        }
        if case.get("new_findings").is_some() && case.get("pending").is_none() {
            problems.push(format!("{file}: new findings expected without a rule"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
