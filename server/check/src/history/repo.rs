//! The repository around the current directory: opening it, the revisions to scan, the
//! configuration that governs its paths, and its name for SARIF.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gix::hash::ObjectId;
use gix::revision::plumbing::Spec;
use url::Url;

use super::{chain, git_problem, Repository, Scan};
use crate::walk::{Problem, Scope, IGNORE_FILE};

/// The repository cannot be scanned at all: `jwtlens check` stops with exit status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitError(pub String);

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The repository `cwd` is in (or that `GIT_DIR` names, as in a hook; `GIT_INDEX_FILE`
/// is honoured too).
pub fn open(cwd: &Path) -> Result<gix::ThreadSafeRepository, GitError> {
    gix::ThreadSafeRepository::discover_with_environment_overrides(cwd)
        .map_err(|err| GitError(format!("not a usable git repository: {}", chain(&err))))
}

/// The commits to start from and those whose history to leave out. No revision given:
/// every ref and `HEAD`.
pub fn revisions(
    repo: &gix::Repository,
    revisions: &[String],
    report: &dyn Fn(Problem),
) -> Result<(Vec<ObjectId>, Vec<ObjectId>), GitError> {
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    if revisions.is_empty() {
        let platform = repo
            .references()
            .map_err(|err| GitError(format!("cannot read the refs: {}", chain(&err))))?;
        let all = platform
            .all()
            .map_err(|err| GitError(format!("cannot read the refs: {}", chain(&err))))?;
        for reference in all {
            let mut reference = match reference {
                Ok(reference) => reference,
                Err(err) => {
                    report(git_problem(format!(
                        "a ref cannot be read: {}",
                        chain(&*err)
                    )));
                    continue;
                }
            };
            let name = reference.name().as_bstr().to_string();
            match reference.peel_to_id() {
                // Refs to trees or blobs (rare) have no history: only commits are tips.
                Ok(id) => {
                    if let Some(commit) = commit_of(repo, id.detach()) {
                        include.push(commit);
                    }
                }
                Err(err) => report(git_problem(format!("{name}: {}", chain(&err)))),
            }
        }
        // A detached HEAD is no ref; an unborn one has no commit yet.
        if let Ok(head) = repo.head_id() {
            include.push(head.detach());
        }
        return Ok((include, exclude));
    }
    for revision in revisions {
        let spec = repo
            .rev_parse(revision.as_str())
            .map_err(|err| GitError(format!("{revision}: not a revision: {}", chain(&err))))?
            .detach();
        let peel = |id: ObjectId| {
            commit_of(repo, id).ok_or_else(|| GitError(format!("{revision}: not a commit")))
        };
        match spec {
            Spec::Include(id) => include.push(peel(id)?),
            Spec::Exclude(id) => exclude.push(peel(id)?),
            Spec::Range { from, to } => {
                exclude.push(peel(from)?);
                include.push(peel(to)?);
            }
            _ => {
                return Err(GitError(format!(
                    "{revision}: only REV, ^REV and FROM..TO are supported"
                )))
            }
        }
    }
    Ok((include, exclude))
}

/// The commit `id` is or (as a tag) points to; `None` for trees, blobs and unreadable
/// objects.
fn commit_of(repo: &gix::Repository, id: ObjectId) -> Option<ObjectId> {
    let object = repo.find_object(id).ok()?;
    let commit = object.peel_to_kind(gix::object::Kind::Commit).ok()?;
    Some(commit.id)
}

/// The commits a shallow clone has without their parents.
pub fn shallow_commits(repo: &gix::Repository) -> Result<HashSet<ObjectId>, GitError> {
    let commits = repo
        .shallow_commits()
        .map_err(|err| GitError(format!("cannot read the shallow file: {}", chain(&err))))?;
    Ok(commits
        .map(|commits| commits.iter().copied().collect())
        .unwrap_or_default())
}

/// Where the repository's paths are judged from.
pub struct Place {
    /// The working tree (absolute), or where the command runs for a bare repository.
    pub root: PathBuf,
    pub worktree: bool,
    /// The configuration at the root.
    pub scope: Arc<Scope>,
    /// The root's `.jwtlensignore`, unless `--no-ignore`.
    ignore: Option<ignore::gitignore::Gitignore>,
}

/// How a path is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathClass {
    /// `ignore_paths` or `.jwtlensignore`: not reported.
    Ignored,
    /// `fixture_paths` (or the built-in test and docs globs).
    Fixture,
    Plain,
}

pub fn place(repo: &gix::Repository, cwd: &Path, scan: &Scan) -> Result<Place, GitError> {
    let (root, worktree) = match repo.workdir() {
        Some(dir) => (
            std::fs::canonicalize(cwd.join(dir)).unwrap_or_else(|_| cwd.join(dir)),
            true,
        ),
        None => (cwd.to_path_buf(), false),
    };
    let scope = scan.configs.scope_for_dir(&root, scan.report);
    let ignore = (worktree && !scan.no_ignore)
        .then(|| root.join(IGNORE_FILE))
        .filter(|file| file.is_file())
        .map(|file| {
            let (matcher, err) = ignore::gitignore::Gitignore::new(&file);
            if let Some(err) = err {
                (scan.report)(Problem {
                    message: err.to_string(),
                    error: false,
                });
            }
            matcher
        });
    Ok(Place {
        root,
        worktree,
        scope,
        ignore,
    })
}

impl Place {
    /// A repository path as a path under the root.
    pub fn absolute(&self, path: &[u8]) -> PathBuf {
        self.root.join(gix::path::from_byte_slice(path))
    }

    /// How `path` (relative to the repository root) is judged.
    pub fn class(&self, configs: &crate::walk::Configs, path: &[u8]) -> PathClass {
        let absolute = self.absolute(path);
        let relative = configs.relative(&self.scope, &absolute);
        let config = &self.scope.config;
        let ignored_here = self.ignore.as_ref().is_some_and(|ignore| {
            ignore
                .matched_path_or_any_parents(gix::path::from_byte_slice(path), false)
                .is_ignore()
        });
        if ignored_here || config.is_ignored_path(&relative) {
            PathClass::Ignored
        } else if config.is_fixture_path(&relative) {
            PathClass::Fixture
        } else {
            PathClass::Plain
        }
    }
}

/// The repository's name and state for SARIF.
pub fn describe(repo: &gix::Repository, root: &Path) -> Repository {
    let origin = repo
        .config_snapshot()
        .string("remote.origin.url")
        .map(|url| url.to_string());
    let uri = origin
        .as_deref()
        .and_then(remote_uri)
        .or_else(|| Url::from_directory_path(root).ok().map(String::from))
        .unwrap_or_else(|| "file:///".to_owned());
    let head = repo.head_id().ok().map(|id| id.to_string());
    let branch = repo
        .head_name()
        .ok()
        .flatten()
        .map(|name| name.shorten().to_string());
    Repository { uri, head, branch }
}

/// A remote URL as an absolute URI without credentials: `git@host:path` (scp syntax)
/// becomes `ssh://host/path`; local paths are not URIs and give `None`.
fn remote_uri(remote: &str) -> Option<String> {
    let mut url = match Url::parse(remote) {
        Ok(url) if url.scheme().len() > 1 => url,
        // `C:\repo` parses with scheme `c`: a path, not a URL.
        Ok(_) => return None,
        Err(_) => {
            let (user_host, path) = remote.split_once(':')?;
            let host = user_host.rsplit('@').next()?;
            if host.is_empty() {
                return None;
            }
            Url::parse(&format!("ssh://{host}/{}", path.trim_start_matches('/'))).ok()?
        }
    };
    // A token in a remote URL (`https://x-access-token:…@github.com/…`) stays here.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_uris_lose_credentials_and_scp_syntax() {
        assert_eq!(
            remote_uri("https://x-access-token:ghp_secret@github.com/acme/app.git").as_deref(),
            Some("https://github.com/acme/app.git")
        );
        assert_eq!(
            remote_uri("git@github.com:acme/app.git").as_deref(),
            Some("ssh://github.com/acme/app.git")
        );
        assert_eq!(
            remote_uri("ssh://git@example.com:2222/srv/app").as_deref(),
            Some("ssh://example.com:2222/srv/app")
        );
        assert_eq!(remote_uri("/srv/git/app.git"), None);
        assert_eq!(remote_uri("../app"), None);
    }
}
