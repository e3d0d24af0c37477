//! Each distinct token of the history judged once, and reported with its provenance.
//!
//! A token is located where it was introduced: the first commit (scan order) that held
//! it, at its path there (the smallest path when that commit held it at several). It is
//! judged in the text of that file, in the context of the first path outside fixture
//! context that ever held it, if any (a test token copied into `src/` is no longer test
//! data), else of that first path. Paths that `ignore_paths` or `.jwtlensignore` exclude
//! do not count at all.
//!
//! History has its own severity: a token that is expired or test data is information at
//! most (it stays in the history, harmless); a live credential is an error whose message
//! says that deleting it from the tree is not enough, as everyone who cloned the
//! repository has it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use gix::hash::ObjectId;

use super::blobs::{fingerprints, load, Fingerprint};
use super::commits::Commit;
use super::repo::{PathClass, Place};
use super::trees::Sightings;
use super::{git_problem, Provenance, Scan};
use crate::report::{file_report, FileReport};
use crate::walk::{self, Stats, WalkOptions};
use jwtlens_engine::analysis::{analyse, DocumentContext, TokenReport};
use jwtlens_engine::decode::DecodedToken;
use jwtlens_engine::timefmt;
use jwtlens_settings::Level;

/// What one analysis covers: (first commit, path shown, blob, path judged).
type Group = (u32, Vec<u8>, u32, Vec<u8>);

/// Everything known about one token across the history.
#[derive(Debug)]
struct Token {
    /// (commit, path, blob) of the first sighting: commit in scan order, path by bytes.
    first: (u32, Vec<u8>, u32),
    /// The first sighting outside fixture context: (commit, path).
    first_plain: Option<(u32, Vec<u8>)>,
    last: u32,
    paths: HashSet<u32>,
}

/// Reports for every token of the history that has findings.
pub fn judge(
    repo: &gix::Repository,
    commits: &[Commit],
    blobs: &[ObjectId],
    tokens_by_blob: &[Vec<Fingerprint>],
    sightings: &Sightings,
    place: &Place,
    scan: &Scan,
) -> Vec<FileReport> {
    let mut classes: HashMap<u32, PathClass> = HashMap::new();
    let mut tokens: HashMap<Fingerprint, Token> = HashMap::new();
    for sighting in &sightings.sightings {
        let class = *classes
            .entry(sighting.path)
            .or_insert_with(|| place.class(scan.configs, &sightings.paths[sighting.path as usize]));
        if class == PathClass::Ignored {
            continue;
        }
        let path = &sightings.paths[sighting.path as usize];
        for fingerprint in &tokens_by_blob[sighting.blob as usize] {
            let token = tokens.entry(*fingerprint).or_insert_with(|| Token {
                first: (sighting.first, path.clone(), sighting.blob),
                first_plain: None,
                last: sighting.last,
                paths: HashSet::new(),
            });
            if (sighting.first, path) < (token.first.0, &token.first.1) {
                token.first = (sighting.first, path.clone(), sighting.blob);
            }
            let plain_earlier = token
                .first_plain
                .as_ref()
                .is_none_or(|(commit, first)| (sighting.first, path) < (*commit, first));
            if class == PathClass::Plain && plain_earlier {
                token.first_plain = Some((sighting.first, path.clone()));
            }
            token.last = token.last.max(sighting.last);
            token.paths.insert(sighting.path);
        }
    }

    // One analysis per (blob, path shown, path judged), oldest first, then by path.
    let mut groups: BTreeMap<Group, Vec<Fingerprint>> = BTreeMap::new();
    for (fingerprint, token) in &tokens {
        let (commit, path, blob) = &token.first;
        let context = token
            .first_plain
            .as_ref()
            .map_or(path, |(_, plain)| plain)
            .clone();
        groups
            .entry((*commit, path.clone(), *blob, context))
            .or_default()
            .push(*fingerprint);
    }

    let mut files = Vec::new();
    let mut buf = Vec::new();
    for ((_, path, blob, context), wanted) in groups {
        let id = blobs[blob as usize];
        let text = match load(&repo.objects, id, &mut buf) {
            Ok(Some(text)) => text,
            Ok(None) => continue, // read during the scan: it cannot be missing now
            Err(message) => {
                (scan.report)(git_problem(message));
                continue;
            }
        };
        let context = place.absolute(&context);
        let relative = scan.configs.relative(&place.scope, &context);
        let cx = DocumentContext {
            path: Some(&relative),
            config: &place.scope.config,
            now: scan.now,
            remote: None,
        };
        let mut reports = analyse(text, &cx);
        let mut kept = HashSet::new();
        for report in &mut reports {
            let fingerprint = fingerprint_of(text, &report.token);
            // Each token once, where it first appears in the file.
            if wanted.contains(&fingerprint) && kept.insert(fingerprint) {
                in_history(report, scan.now);
            } else {
                report.findings.clear();
            }
        }
        let display = String::from_utf8_lossy(&path).into_owned();
        let Some(mut file) = file_report(
            display,
            place.absolute(&path),
            text,
            &reports,
            &[],
            scan.options,
        ) else {
            continue;
        };
        for record in &mut file.tokens {
            let Some(token) = hex_to_fingerprint(&record.fingerprint).and_then(|f| tokens.get(&f))
            else {
                continue;
            };
            let first = &commits[token.first.0 as usize];
            let last = &commits[token.last as usize];
            record.provenance = Some(Box::new(Provenance {
                commit: first.id.to_string(),
                commit_date: first.author_time,
                last_commit: last.id.to_string(),
                last_commit_date: last.author_time,
                paths: token.paths.len(),
                in_worktree: None,
            }));
        }
        files.push(file);
    }

    if place.worktree && !files.is_empty() {
        let present = worktree_tokens(place, scan);
        for record in files.iter_mut().flat_map(|file| &mut file.tokens) {
            let here =
                hex_to_fingerprint(&record.fingerprint).is_some_and(|f| present.contains(&f));
            if let Some(provenance) = &mut record.provenance {
                provenance.in_worktree = Some(here);
            }
        }
    }
    files
}

/// History's severity (see the module documentation).
fn in_history(report: &mut TokenReport, now: i64) {
    let expired = report
        .token
        .numeric_claim("exp")
        .is_some_and(|exp| exp <= now);
    let test_data = report.fixture.is_some();
    for finding in &mut report.findings {
        if expired || test_data {
            finding.level = finding.level.min(Level::Info);
        }
        if finding.rule.code == "JWT104" {
            let issuer = report.token.str_claim("iss").unwrap_or("an unknown issuer");
            let validity = match report.token.numeric_claim("exp") {
                Some(exp) => format!("valid until {}", timefmt::utc_date(exp)),
                None => "never expires".to_owned(),
            };
            finding.message = format!(
                "live credential in the git history (issued by {issuer}, {validity}): \
                 deleting it from the tree is not enough, everyone who cloned the repository has it: revoke it"
            );
        }
    }
}

/// The fingerprints of every token in the working tree's files (hidden ones included,
/// ignored ones not, as `jwtlens check --hidden` reads them).
fn worktree_tokens(place: &Place, scan: &Scan) -> HashSet<Fingerprint> {
    let found = Mutex::new(HashSet::new());
    let options = WalkOptions {
        hidden: true,
        no_ignore: scan.no_ignore,
        follow: false,
        max_filesize: scan.max_filesize,
        threads: scan.threads,
    };
    // Counted apart: these reads are not part of the history's summary.
    let stats = Stats::default();
    walk::walk(
        std::slice::from_ref(&place.root),
        &options,
        scan.configs,
        &stats,
        &|_| {},
        || {
            |file: walk::SourceFile| {
                let tokens = fingerprints(file.text);
                if !tokens.is_empty() {
                    found
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .extend(tokens);
                }
            }
        },
    );
    found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn fingerprint_of(text: &[u8], token: &DecodedToken) -> Fingerprint {
    use sha2::{Digest, Sha256};
    Sha256::digest(&text[token.range.clone()]).into()
}

fn hex_to_fingerprint(hex: &str) -> Option<Fingerprint> {
    let mut fingerprint = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (byte, pair) in fingerprint.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(fingerprint)
}
