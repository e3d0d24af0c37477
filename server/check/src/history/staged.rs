//! `jwtlens check --staged`: the index as it will be committed, blobs read from the object
//! database (not the working tree, whose files may hold unstaged edits). Without paths it
//! checks the entries that differ from `HEAD` (what the commit adds or changes); with paths
//! (as pre-commit passes them) the index entries at or under those paths. Each file is
//! judged like the tree walk judges it: the nearest `.jwtlens.toml` above its path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;

use gix::hash::ObjectId;
use gix::objs::tree::EntryKind;

use super::blobs::{self, Blob};
use super::repo::{self, GitError};
use super::trees::read_tree;
use super::{chain, git_problem, GitSummary, Scan};
use crate::report::{file_report, FileReport};
use crate::walk::Problem;
use jwtlens_engine::analysis::{analyse, DocumentContext};

pub fn check(
    cwd: &Path,
    paths: &[PathBuf],
    scan: &Scan,
) -> Result<(Vec<FileReport>, GitSummary), GitError> {
    let sync = repo::open(cwd)?;
    let repo = sync.to_thread_local();
    let Some(workdir) = repo.workdir() else {
        return Err(GitError(
            "--staged needs a working tree: this repository is bare".to_owned(),
        ));
    };
    let root = std::fs::canonicalize(cwd.join(workdir)).unwrap_or_else(|_| cwd.join(workdir));
    let index = repo
        .index_or_empty()
        .map_err(|err| GitError(format!("cannot read the index: {}", chain(&err))))?;

    // The paths asked for, relative to the root; a path outside it is an error.
    let mut wanted: Vec<(Vec<u8>, &PathBuf, bool)> = Vec::new();
    for path in paths {
        let absolute = scan.configs.absolute(path);
        match absolute.strip_prefix(&root) {
            Ok(relative) => {
                let bytes: Vec<u8> = gix::path::to_unix_separators(gix::path::into_bstr(relative))
                    .into_owned()
                    .into();
                wanted.push((bytes, path, false));
            }
            Err(_) => (scan.report)(Problem {
                message: format!("{}: not in the repository's working tree", path.display()),
                error: true,
            }),
        }
    }
    let head = if paths.is_empty() {
        Some(head_blobs(&repo, scan.report))
    } else {
        None
    };

    let mut summary = GitSummary {
        staged: true,
        repository: repo::describe(&repo, &root),
        ..GitSummary::default()
    };
    let mut files = Vec::new();
    let mut buf = Vec::new();
    for entry in index.entries() {
        if entry.stage_raw() != 0 {
            continue; // a conflict: git refuses to commit until it is resolved
        }
        let path = entry.path(&index);
        let selected = match &head {
            Some(head) => head.get(path.as_ref() as &[u8]) != Some(&entry.id),
            None => {
                let mut any = false;
                for (prefix, _, matched) in &mut wanted {
                    if is_under(path, prefix) {
                        *matched = true;
                        any = true;
                    }
                }
                any
            }
        };
        if !selected {
            continue;
        }
        summary.blobs += 1;
        match entry.mode.to_tree_entry_mode().map(|mode| mode.kind()) {
            Some(EntryKind::Blob | EntryKind::BlobExecutable) => {}
            Some(EntryKind::Commit) => {
                summary.submodules += 1;
                continue;
            }
            _ => continue, // symbolic links and sparse directories hold no file text
        }
        match blobs::read(&repo.objects, entry.id, scan.max_filesize, &mut buf) {
            Ok(Blob::Text(bytes, tokens)) => {
                scan.stats.files.fetch_add(1, Relaxed);
                scan.stats.bytes.fetch_add(bytes, Relaxed);
                if tokens.is_empty() {
                    continue;
                }
            }
            Ok(Blob::Binary) => {
                scan.stats.binary.fetch_add(1, Relaxed);
                continue;
            }
            Ok(Blob::TooLarge(_)) => {
                scan.stats.too_large.fetch_add(1, Relaxed);
                continue;
            }
            Ok(Blob::Lfs) => {
                summary.lfs += 1;
                continue;
            }
            Ok(Blob::Missing) => {
                summary.missing += 1;
                (scan.report)(git_problem(format!(
                    "{path}: the staged blob {} is missing",
                    entry.id
                )));
                continue;
            }
            Err(message) => {
                (scan.report)(git_problem(format!("{path}: {message}")));
                continue;
            }
        }
        // Scanned for tokens first: only files with tokens are read for the engine again.
        let text = match blobs::load(&repo.objects, entry.id, &mut buf) {
            Ok(Some(text)) => text,
            Ok(None) => continue, // read a moment ago
            Err(message) => {
                (scan.report)(git_problem(format!("{path}: {message}")));
                continue;
            }
        };
        let absolute = root.join(gix::path::from_byte_slice(path));
        let scope = scan.configs.scope_for(&absolute, scan.report);
        let relative = scan.configs.relative(&scope, &absolute);
        let cx = DocumentContext {
            path: Some(&relative),
            config: &scope.config,
            now: scan.now,
            remote: None,
        };
        let reports = analyse(text, &cx);
        let display = String::from_utf8_lossy(path).into_owned();
        if let Some(file) = file_report(display, absolute, text, &reports, &[], scan.options) {
            files.push(file);
        }
    }
    for (_, path, matched) in &wanted {
        if !matched {
            (scan.report)(Problem {
                message: format!("{}: not in the index", path.display()),
                error: true,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, summary))
}

/// Whether `path` is `prefix` or under it (`prefix` empty: the root).
fn is_under(path: &[u8], prefix: &[u8]) -> bool {
    prefix.is_empty()
        || path == prefix
        || (path.starts_with(prefix) && path.get(prefix.len()) == Some(&b'/'))
}

/// `HEAD`'s files and their blobs (none before the first commit).
fn head_blobs(
    repo: &gix::Repository,
    report: &(dyn Fn(Problem) + Sync),
) -> HashMap<Vec<u8>, ObjectId> {
    let mut files = HashMap::new();
    let Ok(tree) = repo.head_tree_id() else {
        return files; // unborn: every staged file is new
    };
    let hash = repo.object_hash();
    let mut buf = Vec::new();
    let mut stack = vec![(tree.detach(), Vec::new())];
    while let Some((id, dir)) = stack.pop() {
        let entries = match read_tree(&repo.objects, hash, id, &mut buf) {
            Ok(Some(entries)) => entries,
            Ok(None) => continue,
            Err(message) => {
                report(git_problem(message));
                continue;
            }
        };
        for (kind, name, id) in entries {
            let mut path: Vec<u8> = dir.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(&name);
            match kind {
                EntryKind::Tree => stack.push((id, path)),
                _ => {
                    files.insert(path, id);
                }
            }
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_themselves_and_what_is_under_them() {
        assert!(is_under(b"src/a.ts", b"src"));
        assert!(is_under(b"src/a.ts", b"src/a.ts"));
        assert!(is_under(b"src/a.ts", b""));
        assert!(!is_under(b"src2/a.ts", b"src"));
        assert!(!is_under(b"sr", b"src"));
    }
}
