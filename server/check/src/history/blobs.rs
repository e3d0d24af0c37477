//! Each distinct blob read once, on every core: the tokens it holds (by fingerprint), or
//! why it was skipped. Nothing of a blob is kept but those fingerprints; each thread reuses
//! one buffer, so memory is bounded by the largest blob read (at most `--max-filesize`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use std::path::PathBuf;

use gix::hash::ObjectId;
use gix::hashtable::HashMap as IdMap;
use gix::objs::Kind;
use sha2::{Digest, Sha256};

use super::{chain, git_problem};
use crate::walk::{Problem, Stats};
use jwtlens_engine::decode::DecodedToken;
use jwtlens_engine::scan::Scanner;

/// A token's SHA-256, the key it is aggregated by.
pub type Fingerprint = [u8; 32];

/// Blobs handed to a thread at a time: neighbours in the read order share delta bases.
const BATCH: usize = 256;

/// A Git LFS pointer file: the content lives elsewhere.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/";
const LFS_POINTER_MAX: u64 = 1024;

/// Each thread's cache of decoded pack entries, so that a delta whose base was read a
/// moment before is one delta away (bounded: memory does not grow with the history).
pub const PACK_CACHE: usize = 8 * 1024 * 1024;

/// A thread keeps its buffer between blobs unless it grew past this.
const KEEP_BUFFER: usize = 16 * 1024 * 1024;

/// What scanning every blob found.
#[derive(Debug, Default)]
pub struct Scanned {
    /// By blob index: the distinct tokens it holds, in order; empty for most.
    pub tokens: Vec<Vec<Fingerprint>>,
    pub missing: u64,
    pub lfs: u64,
}

/// What one blob is.
#[derive(Debug, PartialEq, Eq)]
pub enum Blob {
    /// Text of this many bytes, and the fingerprints of its tokens (often none).
    Text(u64, Vec<Fingerprint>),
    Binary,
    TooLarge(u64),
    Lfs,
    Missing,
}

/// Reads and scans `blobs`, in `order` (indices into `blobs`), on `threads` threads (0:
/// one per core).
pub fn scan(
    repo: &gix::ThreadSafeRepository,
    blobs: &[ObjectId],
    order: &[usize],
    max_filesize: u64,
    threads: usize,
    stats: &Stats,
    report: &(dyn Fn(Problem) + Sync),
) -> Scanned {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let next = AtomicUsize::new(0);
    let missing = AtomicU64::new(0);
    let lfs = AtomicU64::new(0);
    let found: Mutex<Vec<(usize, Vec<Fingerprint>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut repo = repo.to_thread_local();
                use_pack_cache(&mut repo);
                let mut buf = Vec::new();
                let mut mine = Vec::new();
                loop {
                    if stats.is_cancelled() {
                        break;
                    }
                    let start = next.fetch_add(BATCH, Ordering::Relaxed);
                    if start >= order.len() {
                        break;
                    }
                    for &index in order.iter().skip(start).take(BATCH) {
                        match read(&repo.objects, blobs[index], max_filesize, &mut buf) {
                            Ok(Blob::Text(bytes, tokens)) => {
                                stats.files.fetch_add(1, Ordering::Relaxed);
                                stats.bytes.fetch_add(bytes, Ordering::Relaxed);
                                if !tokens.is_empty() {
                                    mine.push((index, tokens));
                                }
                            }
                            Ok(Blob::Binary) => {
                                stats.binary.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(Blob::TooLarge(_)) => {
                                stats.too_large.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(Blob::Lfs) => {
                                lfs.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(Blob::Missing) => {
                                missing.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(message) => report(git_problem(message)),
                        }
                        if buf.capacity() > KEEP_BUFFER {
                            buf = Vec::new();
                        }
                    }
                }
                found
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(mine);
            });
        }
    });
    let mut tokens = vec![Vec::new(); blobs.len()];
    for (index, fingerprints) in found.into_inner().unwrap_or_else(PoisonError::into_inner) {
        tokens[index] = fingerprints;
    }
    Scanned {
        tokens,
        missing: missing.into_inner(),
        lfs: lfs.into_inner(),
    }
}

/// Gives `repo` a pack cache of [`PACK_CACHE`] bytes.
pub fn use_pack_cache(repo: &mut gix::Repository) {
    repo.objects.set_pack_cache(|| {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
            PACK_CACHE,
        ))
    });
}

/// The order to read `blobs` in: by position in their pack, loose objects first. A
/// delta's base comes before it in its pack, so it was read a moment before and is still
/// in the cache: each blob costs one delta, not its whole chain.
pub fn read_order(repo: &gix::Repository, blobs: &[ObjectId]) -> Vec<usize> {
    let index: IdMap<ObjectId, usize> = blobs.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    // (pack number, offset); loose objects (and those of alternates) keep (0, 0).
    let mut position = vec![(0usize, 0u64); blobs.len()];
    let dir = repo.objects.store_ref().path().join("pack");
    let mut packs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "idx"))
                .collect()
        })
        .unwrap_or_default();
    packs.sort();
    for (number, path) in packs.iter().enumerate() {
        let Ok(pack) = gix::odb::pack::index::File::at(path, repo.object_hash()) else {
            continue; // unreadable here: the reads will say what is wrong
        };
        for entry in pack.iter() {
            if let Some(&blob) = index.get(&entry.oid) {
                if position[blob].0 == 0 {
                    position[blob] = (number + 1, entry.pack_offset);
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..blobs.len()).collect();
    order.sort_by_key(|&blob| position[blob]);
    order
}

/// Reads blob `id` (into `buf`) and finds its tokens. `Err` when the object cannot be
/// read (corrupt), with a message.
pub fn read(
    objects: &(impl gix::objs::Find + gix::objs::FindHeader),
    id: ObjectId,
    max_filesize: u64,
    buf: &mut Vec<u8>,
) -> Result<Blob, String> {
    buf.clear();
    // The header alone says the size: a blob over the limit is never inflated.
    let size = match objects.try_header(&id) {
        Ok(Some(header)) => header.size,
        Ok(None) => return Ok(Blob::Missing),
        Err(err) => return Err(format!("blob {id}: {}", chain(&*err))),
    };
    if size > max_filesize {
        return Ok(Blob::TooLarge(size));
    }
    let data = match load(objects, id, buf)? {
        Some(data) => data,
        None => return Ok(Blob::Missing),
    };
    if memchr::memchr(0, data).is_some() {
        return Ok(Blob::Binary);
    }
    if (data.len() as u64) <= LFS_POINTER_MAX && data.starts_with(LFS_POINTER) {
        return Ok(Blob::Lfs);
    }
    Ok(Blob::Text(data.len() as u64, fingerprints(data)))
}

/// The text of blob `id`, read into `buf`; `None` when it is missing.
pub fn load<'a>(
    objects: &impl gix::objs::Find,
    id: ObjectId,
    buf: &'a mut Vec<u8>,
) -> Result<Option<&'a [u8]>, String> {
    match objects.try_find(&id, buf) {
        Ok(Some(data)) if data.kind == Kind::Blob => Ok(Some(data.data)),
        Ok(Some(data)) => Err(format!("{id}: a {} where a blob was expected", data.kind)),
        Ok(None) => Ok(None),
        Err(err) => Err(format!("blob {id}: {}", chain(&*err))),
    }
}

/// The distinct tokens of `text`, by SHA-256, in order of first appearance: what the
/// engine would report on (a JOSE header that decodes).
pub fn fingerprints(text: &[u8]) -> Vec<Fingerprint> {
    if memchr::memmem::find(text, b"eyJ").is_none() {
        return Vec::new();
    }
    let mut found: Vec<Fingerprint> = Vec::new();
    for candidate in Scanner::new(text) {
        let Some(token) = DecodedToken::decode(text, &candidate) else {
            continue;
        };
        let fingerprint: Fingerprint = Sha256::digest(&text[token.range.clone()]).into();
        if !found.contains(&fingerprint) {
            found.push(fingerprint);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_distinct_and_in_order() {
        let a = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
        let b = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiIn0.c2ln";
        let text = format!("{b} {a} {b} eyJnotatoken");
        let sha = |t: &str| -> Fingerprint { Sha256::digest(t.as_bytes()).into() };
        assert_eq!(fingerprints(text.as_bytes()), [sha(b), sha(a)]);
        assert!(fingerprints(b"no tokens here").is_empty());
    }
}
