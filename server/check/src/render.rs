//! Rendering a report's records on worker threads, in order: a report of 20,000 tokens
//! is tens of megabytes of text, and writing it on one thread after the parallel walk
//! took as long as the walk. Chunks are handed to the writer in the records' order, and
//! the chunks in flight are the only memory it adds.

use std::collections::BTreeMap;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, PoisonError};

/// Items rendered per chunk, and chunks rendered ahead of the writer per thread.
pub const CHUNK: usize = 32;
const AHEAD_PER_THREAD: usize = 4;

/// Renders `items` [`CHUNK`] at a time with `render_chunk`, on `threads` worker threads
/// (0: one per core) when there is more than a chunk, and hands the chunks to `write` in
/// order.
/// Workers stay at most a few chunks ahead of `write`; an error stops them, and so does
/// a panic in `render_chunk`, which becomes an error (the writer waits for every chunk in
/// turn, and would otherwise wait for a panicked one forever).
pub fn render_in_order<T: Sync>(
    items: &[T],
    threads: usize,
    render_chunk: impl Fn(&[T]) -> io::Result<Vec<u8>> + Sync,
    mut write: impl FnMut(Vec<u8>) -> io::Result<()>,
) -> io::Result<()> {
    let render_chunk = |chunk: &[T]| {
        panic::catch_unwind(AssertUnwindSafe(|| render_chunk(chunk)))
            .unwrap_or_else(|_| Err(io::Error::other("rendering the report failed")))
    };
    let chunks: Vec<&[T]> = items.chunks(CHUNK).collect();
    let threads = match threads {
        // One chunk needs no threads, nor asking how many there could be.
        _ if chunks.len() < 2 => 1,
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    if threads < 2 {
        for chunk in chunks {
            write(render_chunk(chunk)?)?;
        }
        return Ok(());
    }

    struct Pipeline {
        /// The next chunk to claim, and how many are written.
        claimed: usize,
        written: usize,
        done: BTreeMap<usize, io::Result<Vec<u8>>>,
        stopped: bool,
    }
    let ahead = threads * AHEAD_PER_THREAD;
    let state = Mutex::new(Pipeline {
        claimed: 0,
        written: 0,
        done: BTreeMap::new(),
        stopped: false,
    });
    let changed = Condvar::new();
    let lock = || state.lock().unwrap_or_else(PoisonError::into_inner);
    let wait = |guard| changed.wait(guard).unwrap_or_else(PoisonError::into_inner);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(chunks.len()) {
            scope.spawn(|| loop {
                let mut pipeline = lock();
                while !pipeline.stopped && pipeline.claimed >= pipeline.written + ahead {
                    pipeline = wait(pipeline);
                }
                let index = pipeline.claimed;
                if pipeline.stopped || index >= chunks.len() {
                    return;
                }
                pipeline.claimed += 1;
                drop(pipeline);
                let rendered = render_chunk(chunks[index]);
                lock().done.insert(index, rendered);
                changed.notify_all();
            });
        }
        let mut result = Ok(());
        for index in 0..chunks.len() {
            let mut pipeline = lock();
            let rendered = loop {
                match pipeline.done.remove(&index) {
                    Some(rendered) => break rendered,
                    None => pipeline = wait(pipeline),
                }
            };
            pipeline.written = index + 1;
            drop(pipeline);
            changed.notify_all();
            result = rendered.and_then(&mut write);
            if result.is_err() {
                break;
            }
        }
        lock().stopped = true;
        changed.notify_all();
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_arrive_in_order_and_errors_stop_the_render() {
        let items: Vec<usize> = (0..40 * CHUNK + 5).collect();
        let expected: Vec<u8> = items.iter().map(|&n| n as u8).collect();
        // One per core, one (`-j 1`: no worker thread), and more than the cores.
        for threads in [0, 1, 3] {
            let mut written = Vec::new();
            render_in_order(
                &items,
                threads,
                |chunk| Ok(chunk.iter().map(|&n| n as u8).collect()),
                |bytes| {
                    written.extend(bytes);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(written, expected, "{threads} threads");
        }

        // On worker threads, whatever the cores: where a lost chunk would hang the writer.
        let failed = render_in_order(
            &items,
            3,
            |chunk| match chunk.contains(&(20 * CHUNK)) {
                true => Err(io::Error::other("render failed")),
                false => Ok(vec![0]),
            },
            |_| Ok(()),
        );
        assert_eq!(failed.unwrap_err().to_string(), "render failed");
        let panicked = render_in_order(
            &items,
            3,
            |chunk| match chunk.contains(&(30 * CHUNK)) {
                true => panic!("a bug in a renderer"),
                false => Ok(vec![0]),
            },
            |_| Ok(()),
        );
        assert_eq!(
            panicked.unwrap_err().to_string(),
            "rendering the report failed"
        );
        let refused = render_in_order(
            &items,
            3,
            |_| Ok(vec![0]),
            |_| Err(io::Error::other("closed")),
        );
        assert_eq!(refused.unwrap_err().to_string(), "closed");
    }
}
