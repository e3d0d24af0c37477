//! `jwtlens check --history` and `--staged`: the tokens git holds, read in process with
//! gitoxide (no `git` subprocess).
//!
//! `--history` scans every blob reachable from the revisions once, by blob id:
//! [`commits`] lists the commits in scan order, [`trees`] reads each distinct tree once
//! and lists the distinct blobs, [`blobs`] reads those on every core and keeps only the
//! fingerprints of their tokens, [`trees::Trees::sightings`] then finds where and when
//! the few blobs with tokens were, and [`tokens`] judges each distinct token once, with
//! the engine the tree walk uses, and reports it with its provenance: the first commit that
//! held it, the last, how many paths held it and whether the working tree still does.
//!
//! `--staged` ([`staged`]) checks the index as it will be committed.
//!
//! Configuration: the `.jwtlens.toml` at the working tree's root (or above it, as for a
//! file there) governs the whole history; its `fixture_paths` and `ignore_paths` apply to
//! the paths each blob had, and the root `.jwtlensignore` too.

mod blobs;
mod commits;
mod repo;
mod staged;
mod tokens;
mod trees;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::report::{FileReport, RecordOptions};
use super::walk::{Configs, Problem, Stats};
use jwtlens_engine::timefmt;

pub use commits::Shallow;
pub use repo::GitError;

/// What the git scans need from `jwtlens check`.
pub struct Scan<'a> {
    pub configs: &'a Configs,
    pub stats: &'a Stats,
    pub report: &'a (dyn Fn(Problem) + Sync),
    pub options: RecordOptions,
    pub now: i64,
    pub max_filesize: u64,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
    /// Do not honour the root `.jwtlensignore` (`--no-ignore`).
    pub no_ignore: bool,
}

/// Where a token was in the history: what `--history` adds to its findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The first commit (in scan order) that held the token, full hex id.
    pub commit: String,
    /// Its author date, seconds since the epoch.
    pub commit_date: i64,
    /// The last commit that still held it.
    pub last_commit: String,
    pub last_commit_date: i64,
    /// How many distinct paths held it.
    pub paths: usize,
    /// Whether a file of the working tree holds it now (`None`: no working tree).
    pub in_worktree: Option<bool>,
}

/// What a git scan saw besides findings, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitSummary {
    /// `--staged` (else `--history`).
    pub staged: bool,
    /// Commits scanned (`--history`).
    pub commits: u64,
    /// Distinct blobs reachable (`--history`) or index entries selected (`--staged`).
    pub blobs: u64,
    /// Objects the repository does not have (a partial clone, a broken repository).
    pub missing: u64,
    /// Submodule commits (gitlinks): another repository's, not scanned.
    pub submodules: u64,
    /// Git LFS pointers: the content is not in the repository.
    pub lfs: u64,
    pub shallow: Option<Shallow>,
    pub repository: Repository,
}

/// The repository, as SARIF's `versionControlProvenance` names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repository {
    /// The `origin` remote's URL (without credentials), else the repository's file URL.
    pub uri: String,
    /// The commit `HEAD` points to, if any.
    pub head: Option<String>,
    /// The branch `HEAD` is on, if any.
    pub branch: Option<String>,
}

/// `jwtlens check --history [REV...]` in the repository around `cwd`.
pub fn history(
    cwd: &Path,
    revisions: &[String],
    scan: &Scan,
) -> Result<(Vec<FileReport>, GitSummary), GitError> {
    let sync = repo::open(cwd)?;
    let mut repo = sync.to_thread_local();
    blobs::use_pack_cache(&mut repo);
    let hash = repo.object_hash();
    let (include, exclude) = repo::revisions(&repo, revisions, scan.report)?;
    let shallow = repo::shallow_commits(&repo)?;
    let commits = commits::collect(
        &repo.objects,
        hash,
        &include,
        &exclude,
        &shallow,
        scan.report,
    );
    let roots: Vec<_> = commits.commits.iter().map(|commit| commit.tree).collect();
    let trees = trees::Trees::walk(&repo.objects, hash, &roots, scan.report);
    let scanned = blobs::scan(
        &sync,
        &trees.blobs,
        &blobs::read_order(&repo, &trees.blobs),
        scan.max_filesize,
        scan.threads,
        scan.stats,
        scan.report,
    );
    let with_tokens: Vec<bool> = scanned.tokens.iter().map(|t| !t.is_empty()).collect();
    let sightings = trees.sightings(&with_tokens);
    let place = repo::place(&repo, cwd, scan)?;
    let files = tokens::judge(
        &repo,
        &commits.commits,
        &trees.blobs,
        &scanned.tokens,
        &sightings,
        &place,
        scan,
    );
    let missing = commits.missing + trees.missing + scanned.missing;
    if missing > 0 {
        (scan.report)(Problem {
            message: format!(
                "{missing} git {} missing from the repository (a partial clone?): not scanned",
                if missing == 1 {
                    "object is"
                } else {
                    "objects are"
                }
            ),
            error: false,
        });
    }
    if let Some(shallow) = commits.shallow {
        (scan.report)(Problem {
            message: format!(
                "shallow clone: the history was scanned {} {} deep; older commits are not in the clone",
                shallow.depth,
                if shallow.depth == 1 { "commit" } else { "commits" }
            ),
            error: false,
        });
    }
    let summary = GitSummary {
        staged: false,
        commits: commits.commits.len() as u64,
        blobs: trees.blobs.len() as u64,
        missing,
        submodules: trees.submodules,
        lfs: scanned.lfs,
        shallow: commits.shallow,
        repository: repo::describe(&repo, &place.root),
    };
    Ok((files, summary))
}

/// `jwtlens check --staged [PATH...]` in the repository around `cwd`.
pub fn staged(
    cwd: &Path,
    paths: &[PathBuf],
    scan: &Scan,
) -> Result<(Vec<FileReport>, GitSummary), GitError> {
    staged::check(cwd, paths, scan)
}

impl Provenance {
    /// `introduced in 1a2b3c4d5e6f (2024-03-05) · last in 9f8e7d6c5b4a (2024-06-01) · 2
    /// paths · deleted from the working tree`
    pub fn describe(&self) -> String {
        let short = |id: &str| id.chars().take(12).collect::<String>();
        let day = |seconds: i64| {
            timefmt::utc_date(seconds)
                .chars()
                .take(10)
                .collect::<String>()
        };
        let mut parts = vec![format!(
            "introduced in {} ({})",
            short(&self.commit),
            day(self.commit_date)
        )];
        if self.last_commit != self.commit {
            parts.push(format!(
                "last in {} ({})",
                short(&self.last_commit),
                day(self.last_commit_date)
            ));
        }
        if self.paths > 1 {
            parts.push(format!("{} paths", self.paths));
        }
        match self.in_worktree {
            Some(true) => parts.push("still in the working tree".to_owned()),
            Some(false) => parts.push("no longer in the working tree".to_owned()),
            None => {}
        }
        parts.join(" · ")
    }

    /// The fields a JSON finding gets.
    pub fn json_fields(&self) -> Vec<(&'static str, Value)> {
        let mut fields = vec![
            ("commit", json!(self.commit)),
            ("commit_date", json!(rfc3339(self.commit_date))),
            ("last_commit", json!(self.last_commit)),
            ("last_commit_date", json!(rfc3339(self.last_commit_date))),
            ("paths", json!(self.paths)),
        ];
        if let Some(in_worktree) = self.in_worktree {
            fields.push(("in_worktree", json!(in_worktree)));
        }
        fields
    }
}

/// `2024-03-05T09:14:03Z`
pub fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(seconds, 0)
        .map(|date| date.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

impl GitSummary {
    /// The JSON summary's `history` or `staged` member, and the object.
    pub fn json(&self) -> (&'static str, Value) {
        let skipped = json!({
            "missing": self.missing,
            "submodules": self.submodules,
            "lfs": self.lfs,
        });
        if self.staged {
            return ("staged", json!({"entries": self.blobs, "skipped": skipped}));
        }
        let shallow = self
            .shallow
            .map(|s| json!({"depth": s.depth, "boundary_commits": s.boundary}));
        (
            "history",
            json!({
                "commits": self.commits,
                "blobs": self.blobs,
                "shallow": shallow,
                "skipped": skipped,
            }),
        )
    }

    /// What the human summary line adds: the commits, and what was skipped.
    pub fn human(&self) -> (String, Vec<String>) {
        let mut skipped = Vec::new();
        let mut count = |n: u64, one: &str, many: &str| {
            if n > 0 {
                skipped.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        };
        count(self.lfs, "LFS pointer", "LFS pointers");
        count(self.submodules, "submodule", "submodules");
        count(self.missing, "missing object", "missing objects");
        let scope = if self.staged {
            String::new()
        } else {
            let mut scope = format!(
                " in {} {}",
                self.commits,
                if self.commits == 1 {
                    "commit"
                } else {
                    "commits"
                }
            );
            if let Some(shallow) = self.shallow {
                scope.push_str(&format!(
                    " (shallow clone: {} {} deep)",
                    shallow.depth,
                    if shallow.depth == 1 {
                        "commit"
                    } else {
                        "commits"
                    }
                ));
            }
            scope
        };
        (scope, skipped)
    }

    /// SARIF's `versionControlProvenance`: the checked-out revision, mapped to the
    /// source root, then each commit that introduced a reported token.
    pub fn version_control(&self, commits: &[(&str, i64)], srcroot: &str) -> Value {
        let mut details = Vec::new();
        let mut head =
            json!({"repositoryUri": self.repository.uri, "mappedTo": {"uriBaseId": srcroot}});
        if let Some(id) = &self.repository.head {
            head["revisionId"] = json!(id);
        }
        if let Some(branch) = &self.repository.branch {
            head["branch"] = json!(branch);
        }
        details.push(head);
        let mut seen = std::collections::HashSet::new();
        for &(commit, date) in commits {
            if Some(commit) != self.repository.head.as_deref() && seen.insert(commit) {
                details.push(json!({
                    "repositoryUri": self.repository.uri,
                    "revisionId": commit,
                    "asOfTimeUtc": rfc3339(date),
                }));
            }
        }
        Value::Array(details)
    }
}

/// A problem with the repository that leaves the scan incomplete.
fn git_problem(message: String) -> Problem {
    Problem {
        message,
        error: true,
    }
}

/// An error and its sources, joined: gitoxide's errors say the most in their sources.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}
