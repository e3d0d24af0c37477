//! The commits to scan, in the order that defines "first" and "last": every commit
//! reachable from the tips (and not from the excluded revisions), topologically sorted
//! oldest first — parents before children, ties broken by committer date, then author
//! date, then id. The first commit of that order that holds a token therefore has no
//! ancestor holding it: it introduced the token.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use gix::hash::ObjectId;
use gix::hashtable::HashMap as IdMap;
use gix::objs::{CommitRef, Kind};

use super::{chain, git_problem};
use crate::walk::Problem;

/// One commit, as the scan needs it.
#[derive(Debug, Clone)]
pub struct Commit {
    pub id: ObjectId,
    pub tree: ObjectId,
    /// Author date, seconds since the epoch.
    pub author_time: i64,
    committer_time: i64,
    /// Its parents, as recorded (none at a shallow boundary).
    parents: Vec<ObjectId>,
}

/// A shallow clone's boundary, as far as the scan went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shallow {
    /// The longest chain of commits scanned, from a tip down to the boundary.
    pub depth: usize,
    /// Commits scanned whose parents the clone does not have.
    pub boundary: usize,
}

/// The commits in scan order, and what could not be read.
#[derive(Debug, Default)]
pub struct Commits {
    /// Oldest first (see the module documentation).
    pub commits: Vec<Commit>,
    /// Commits named by a parent link but absent from the repository (not at a shallow
    /// boundary).
    pub missing: u64,
    pub shallow: Option<Shallow>,
}

/// Every commit reachable from `include` and not from `exclude`. `shallow` holds the
/// commits whose parents a shallow clone lacks. Unreadable commits are reported and
/// skipped; missing ones are counted.
pub fn collect(
    objects: &impl gix::objs::Find,
    object_hash: gix::hash::Kind,
    include: &[ObjectId],
    exclude: &[ObjectId],
    shallow: &HashSet<ObjectId>,
    report: &dyn Fn(Problem),
) -> Commits {
    let mut buf = Vec::new();
    let mut missing = 0;
    let mut hidden: HashSet<ObjectId> = HashSet::new();
    if !exclude.is_empty() {
        let mut ignore_missing = 0;
        walk(
            objects,
            object_hash,
            exclude,
            &HashSet::new(),
            shallow,
            &mut buf,
            &mut ignore_missing,
            &|_| {},
            |commit| {
                hidden.insert(commit.id);
            },
        );
    }
    let mut found = Vec::new();
    walk(
        objects,
        object_hash,
        include,
        &hidden,
        shallow,
        &mut buf,
        &mut missing,
        report,
        |commit| found.push(commit),
    );
    let boundary = found.iter().filter(|c| shallow.contains(&c.id)).count();
    let commits = topological(found);
    let shallow = (boundary > 0).then(|| Shallow {
        depth: longest_chain(&commits),
        boundary,
    });
    Commits {
        commits,
        missing,
        shallow,
    }
}

/// Visits every commit reachable from `tips` and not in `hidden`, once each.
#[allow(clippy::too_many_arguments)]
fn walk(
    objects: &impl gix::objs::Find,
    object_hash: gix::hash::Kind,
    tips: &[ObjectId],
    hidden: &HashSet<ObjectId>,
    shallow: &HashSet<ObjectId>,
    buf: &mut Vec<u8>,
    missing: &mut u64,
    report: &dyn Fn(Problem),
    mut visit: impl FnMut(Commit),
) {
    let mut seen: HashSet<ObjectId> = HashSet::new();
    let mut queue: Vec<ObjectId> = tips.to_vec();
    while let Some(id) = queue.pop() {
        if hidden.contains(&id) || !seen.insert(id) {
            continue;
        }
        let data = match objects.try_find(&id, buf) {
            Ok(Some(data)) => data,
            Ok(None) => {
                *missing += 1;
                continue;
            }
            Err(err) => {
                report(git_problem(format!("commit {id}: {}", chain(&*err))));
                continue;
            }
        };
        if data.kind != Kind::Commit {
            report(git_problem(format!(
                "{id}: a {} where a commit was expected",
                data.kind
            )));
            continue;
        }
        let commit = match CommitRef::from_bytes(data.data, object_hash) {
            Ok(commit) => commit,
            Err(err) => {
                report(git_problem(format!("commit {id} is corrupt: {err}")));
                continue;
            }
        };
        let time = |signature: Result<gix::actor::SignatureRef<'_>, _>| {
            signature
                .ok()
                .and_then(|s| s.time().ok())
                .map_or(0, |t| t.seconds)
        };
        let parents: Vec<ObjectId> = if shallow.contains(&id) {
            Vec::new() // the clone does not have them
        } else {
            commit.parents().collect()
        };
        queue.extend(parents.iter().copied());
        visit(Commit {
            id,
            tree: commit.tree(),
            author_time: time(commit.author()),
            committer_time: time(commit.committer()),
            parents,
        });
    }
}

/// Kahn's algorithm: a commit is ready once all its (scanned) parents are placed; among
/// ready commits the oldest by committer date goes first.
fn topological(commits: Vec<Commit>) -> Vec<Commit> {
    let index: IdMap<ObjectId, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, commit)| (commit.id, i))
        .collect();
    let mut waiting = vec![0usize; commits.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); commits.len()];
    for (i, commit) in commits.iter().enumerate() {
        for parent in &commit.parents {
            if let Some(&p) = index.get(parent) {
                waiting[i] += 1;
                children[p].push(i);
            }
        }
    }
    let key = |i: usize| {
        let c = &commits[i];
        Reverse((c.committer_time, c.author_time, c.id, i))
    };
    let mut ready: BinaryHeap<_> = (0..commits.len())
        .filter(|&i| waiting[i] == 0)
        .map(key)
        .collect();
    let mut order = Vec::with_capacity(commits.len());
    while let Some(Reverse((_, _, _, i))) = ready.pop() {
        order.push(i);
        for &child in &children[i] {
            waiting[child] -= 1;
            if waiting[child] == 0 {
                ready.push(key(child));
            }
        }
    }
    let mut slots: Vec<Option<Commit>> = commits.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The number of commits on the longest parent chain (`git clone --depth 3`: 3).
fn longest_chain(sorted: &[Commit]) -> usize {
    let mut depth: IdMap<ObjectId, usize> = IdMap::default();
    let mut longest = 0;
    for commit in sorted {
        let own = 1 + commit
            .parents
            .iter()
            .filter_map(|parent| depth.get(parent))
            .max()
            .copied()
            .unwrap_or(0);
        depth.insert(commit.id, own);
        longest = longest.max(own);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(n: u8, time: i64, parents: &[u8]) -> Commit {
        let id = |n: u8| ObjectId::from_bytes_or_panic(&[n; 20]);
        Commit {
            id: id(n),
            tree: id(0),
            author_time: time,
            committer_time: time,
            parents: parents.iter().map(|&p| id(p)).collect(),
        }
    }

    fn order(commits: Vec<Commit>) -> Vec<u8> {
        topological(commits)
            .iter()
            .map(|c| c.id.as_bytes()[0])
            .collect()
    }

    #[test]
    fn parents_come_first_whatever_the_dates_say() {
        // 3's clock was wrong: it claims to be older than its parent 2.
        let commits = vec![
            commit(3, 5, &[2]),
            commit(1, 10, &[]),
            commit(2, 20, &[1]),
            commit(4, 15, &[1]),
            commit(5, 30, &[3, 4]),
        ];
        assert_eq!(order(commits.clone()), [1, 4, 2, 3, 5]);
        let sorted = topological(commits);
        assert_eq!(longest_chain(&sorted), 4);
    }

    #[test]
    fn parents_outside_the_scan_are_ignored() {
        // 9 is not scanned (excluded or beyond a shallow boundary).
        assert_eq!(order(vec![commit(2, 2, &[9]), commit(1, 1, &[])]), [1, 2]);
    }
}
