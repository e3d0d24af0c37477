//! The trees of the scanned commits. [`Trees::walk`] reads each distinct tree once and
//! lists each distinct blob once, keeping no names: a tree is a list of child indices.
//! Once the blobs are scanned, [`Trees::sightings`] goes back to the few trees that lead to
//! a blob with tokens and finds where (path) and when (first and last commit) each such
//! blob was, visiting each (tree, path) pair once going forward through the commits (the
//! first commit to reach a pair is the first to hold what is under it) and once going
//! backward (the first to reach it is the last to hold it).

use std::collections::{HashMap, HashSet};

use gix::hash::ObjectId;
use gix::hashtable::HashMap as IdMap;
use gix::objs::tree::EntryKind;
use gix::objs::{Kind, TreeRefIter};

use super::{chain, git_problem};
use crate::walk::Problem;

/// Marks a child index as a tree (else it is a blob).
const TREE: u32 = 1 << 31;

/// Stands for a tree that could not be read.
const UNREADABLE: u32 = u32::MAX;

/// Every distinct tree and blob of the scanned commits.
#[derive(Debug, Default)]
pub struct Trees {
    /// Tree ids in post-order: a tree's subtrees have smaller indices.
    ids: Vec<ObjectId>,
    /// The children of tree `t` are `children[spans[t].0..spans[t].1]`, with their names
    /// (into `names`) at the same places in `child_names`.
    children: Vec<u32>,
    child_names: Vec<u32>,
    spans: Vec<(usize, usize)>,
    /// Entry names, each stored once: versions of a tree share most of theirs.
    names: Interner,
    index: IdMap<ObjectId, u32>,
    /// Distinct blobs, in the order first met.
    pub blobs: Vec<ObjectId>,
    blob_index: IdMap<ObjectId, u32>,
    /// Each commit's root tree (scan order), `None` when it could not be read.
    roots: Vec<Option<u32>>,
    /// Trees named by a parent but absent from the repository.
    pub missing: u64,
    /// Distinct submodule commits (gitlinks): not in this repository, not scanned.
    pub submodules: u64,
}

/// Where and when one blob with tokens was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sighting {
    pub blob: u32,
    /// Into [`Sightings::paths`].
    pub path: u32,
    /// The first and last commits (scan order) that held this blob at this path.
    pub first: u32,
    pub last: u32,
}

/// Every (blob, path) pair of the blobs with tokens, with the paths they use.
#[derive(Debug, Default)]
pub struct Sightings {
    pub paths: Vec<Vec<u8>>,
    pub sightings: Vec<Sighting>,
}

/// A tree being read: its entries (kind, object, name) and the children indexed so far
/// (index, name).
struct Frame {
    id: ObjectId,
    name: u32,
    entries: Vec<(EntryKind, ObjectId, u32)>,
    next: usize,
    children: Vec<(u32, u32)>,
}

impl Trees {
    /// Reads the root tree of each commit (in scan order) and everything under it.
    pub fn walk(
        objects: &impl gix::objs::Find,
        object_hash: gix::hash::Kind,
        roots: &[ObjectId],
        report: &dyn Fn(Problem),
    ) -> Trees {
        let mut trees = Trees::default();
        let mut submodules = HashSet::new();
        let mut buf = Vec::new();
        // Newest first: packs store the newest version of an object whole and older ones
        // as deltas against newer ones, so that each delta's base is then in the cache.
        let mut indices: Vec<Option<u32>> = roots
            .iter()
            .rev()
            .map(|&root| {
                trees.tree(
                    objects,
                    object_hash,
                    root,
                    &mut submodules,
                    &mut buf,
                    report,
                )
            })
            .collect();
        indices.reverse();
        trees.roots = indices;
        trees.submodules = submodules.len() as u64;
        trees
    }

    /// The index of tree `root`, reading it and its subtrees when new.
    fn tree(
        &mut self,
        objects: &impl gix::objs::Find,
        object_hash: gix::hash::Kind,
        root: ObjectId,
        submodules: &mut HashSet<ObjectId>,
        buf: &mut Vec<u8>,
        report: &dyn Fn(Problem),
    ) -> Option<u32> {
        if let Some(&index) = self.index.get(&root) {
            return (index != UNREADABLE).then_some(index);
        }
        let mut stack = match self.read(objects, object_hash, root, 0, buf, report) {
            Some(frame) => vec![frame],
            None => return None,
        };
        loop {
            let next = stack.last_mut().and_then(|frame| {
                let entry = frame.entries.get(frame.next).copied();
                frame.next += 1;
                entry
            });
            let Some((kind, id, name)) = next else {
                let done = stack.pop()?;
                let index = self.ids.len() as u32;
                self.ids.push(done.id);
                let start = self.children.len();
                for (child, child_name) in done.children {
                    self.children.push(child);
                    self.child_names.push(child_name);
                }
                self.spans.push((start, self.children.len()));
                self.index.insert(done.id, index);
                match stack.last_mut() {
                    Some(parent) => parent.children.push((index | TREE, done.name)),
                    None => return Some(index),
                }
                continue;
            };
            let child = match kind {
                EntryKind::Blob | EntryKind::BlobExecutable => {
                    let next = self.blobs.len() as u32;
                    let blob = *self.blob_index.entry(id).or_insert(next);
                    if blob == next {
                        self.blobs.push(id);
                    }
                    Some(blob)
                }
                EntryKind::Tree => match self.index.get(&id) {
                    Some(&UNREADABLE) => None,
                    Some(&index) => Some(index | TREE),
                    // A tree cannot contain itself unless the object store lies about ids.
                    None if stack.iter().any(|open| open.id == id) => {
                        report(git_problem(format!("tree {id} contains itself")));
                        self.index.insert(id, UNREADABLE);
                        None
                    }
                    None => {
                        if let Some(subtree) =
                            self.read(objects, object_hash, id, name, buf, report)
                        {
                            stack.push(subtree);
                        }
                        None
                    }
                },
                EntryKind::Commit => {
                    submodules.insert(id);
                    None
                }
                // A symbolic link's blob is its target path, not file content.
                EntryKind::Link => None,
            };
            if let (Some(child), Some(frame)) = (child, stack.last_mut()) {
                frame.children.push((child, name));
            }
        }
    }

    /// Tree `id` (named `name` in its parent), or `None` (counted or reported) when it
    /// cannot be read.
    #[allow(clippy::too_many_arguments)]
    fn read(
        &mut self,
        objects: &impl gix::objs::Find,
        object_hash: gix::hash::Kind,
        id: ObjectId,
        name: u32,
        buf: &mut Vec<u8>,
        report: &dyn Fn(Problem),
    ) -> Option<Frame> {
        let entries = match read_tree(objects, object_hash, id, buf) {
            Ok(Some(entries)) => entries
                .into_iter()
                .map(|(kind, entry_name, id)| (kind, id, self.names.intern(&entry_name)))
                .collect(),
            Ok(None) => {
                self.missing += 1;
                self.index.insert(id, UNREADABLE);
                return None;
            }
            Err(message) => {
                report(git_problem(message));
                self.index.insert(id, UNREADABLE);
                return None;
            }
        };
        Some(Frame {
            id,
            name,
            entries,
            next: 0,
            children: Vec::new(),
        })
    }

    /// Where and when the blobs marked in `with_tokens` (by blob index) were.
    pub fn sightings(&self, with_tokens: &[bool]) -> Sightings {
        // Post-order: every subtree is decided before its parents.
        let mut leads = vec![false; self.ids.len()];
        for (tree, &(start, end)) in self.spans.iter().enumerate() {
            leads[tree] = self.children[start..end].iter().any(|&child| {
                if child & TREE != 0 {
                    leads[(child & !TREE) as usize]
                } else {
                    with_tokens[child as usize]
                }
            });
        }
        let leading = |tree: u32| {
            let (start, end) = self.spans[tree as usize];
            (start..end).filter_map(|at| {
                let child = self.children[at];
                let keep = if child & TREE != 0 {
                    leads[(child & !TREE) as usize]
                } else {
                    with_tokens[child as usize]
                };
                keep.then(|| (&self.names.values[self.child_names[at] as usize], child))
            })
        };

        let mut paths = Interner::default();
        let mut found: HashMap<(u32, u32), (u32, u32)> = HashMap::new();
        let commits = self.roots.len() as u32;
        for backward in [false, true] {
            let mut visited: HashSet<(u32, u32)> = HashSet::new();
            let order: Box<dyn Iterator<Item = u32>> = if backward {
                Box::new((0..commits).rev())
            } else {
                Box::new(0..commits)
            };
            for commit in order {
                let Some(root) = self.roots[commit as usize].filter(|&r| leads[r as usize]) else {
                    continue;
                };
                let mut stack = vec![(root, Vec::new())];
                while let Some((tree, dir)) = stack.pop() {
                    if !visited.insert((tree, paths.intern(&dir))) {
                        continue;
                    }
                    for (name, child) in leading(tree) {
                        let mut path = dir.clone();
                        if !path.is_empty() {
                            path.push(b'/');
                        }
                        path.extend_from_slice(name);
                        if child & TREE != 0 {
                            stack.push((child & !TREE, path));
                            continue;
                        }
                        let key = (child, paths.intern(&path));
                        let seen = found.entry(key).or_insert((commit, commit));
                        // Forward, the first visit is the earliest commit; backward, the
                        // latest.
                        if backward {
                            seen.1 = seen.1.max(commit);
                        }
                    }
                }
            }
        }
        let mut sightings: Vec<Sighting> = found
            .into_iter()
            .map(|((blob, path), (first, last))| Sighting {
                blob,
                path,
                first,
                last,
            })
            .collect();
        sightings.sort_by_key(|s| (s.first, s.blob, s.path));
        Sightings {
            paths: paths.values,
            sightings,
        }
    }
}

/// A tree entry: its kind, name and object.
pub(super) type Entry = (EntryKind, Vec<u8>, ObjectId);

/// A tree's entries; `Ok(None)` when the object is missing, `Err` with a
/// message when it cannot be read or is not a tree.
pub(super) fn read_tree(
    objects: &impl gix::objs::Find,
    object_hash: gix::hash::Kind,
    id: ObjectId,
    buf: &mut Vec<u8>,
) -> Result<Option<Vec<Entry>>, String> {
    let data = match objects.try_find(&id, buf) {
        Ok(Some(data)) => data,
        Ok(None) => return Ok(None),
        Err(err) => return Err(format!("tree {id}: {}", chain(&*err))),
    };
    if data.kind != Kind::Tree {
        return Err(format!("{id}: a {} where a tree was expected", data.kind));
    }
    TreeRefIter::from_bytes(data.data, object_hash)
        .map(|entry| {
            entry
                .map(|entry| {
                    (
                        entry.mode.kind(),
                        entry.filename.to_vec(),
                        entry.oid.to_owned(),
                    )
                })
                .map_err(|err| format!("tree {id} is corrupt: {err}"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Names and paths, each stored once, by number.
#[derive(Debug, Default)]
struct Interner {
    values: Vec<Vec<u8>>,
    index: HashMap<Vec<u8>, u32>,
}

impl Interner {
    fn intern(&mut self, path: &[u8]) -> u32 {
        if let Some(&id) = self.index.get(path) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(path.to_vec());
        self.index.insert(path.to_vec(), id);
        id
    }
}
