//! A one-line progress indicator on stderr (files scanned, MB/s) for scans that take a
//! while, shown only when stderr is a terminal. Problems printed meanwhile erase it
//! first, so lines never mix.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::output::bytes;
use crate::walk::Stats;

/// Nothing is shown for scans shorter than this.
const DELAY: Duration = Duration::from_millis(300);
const INTERVAL: Duration = Duration::from_millis(100);

pub struct Progress {
    enabled: bool,
    started: Instant,
    /// Held while writing to stderr; true while a progress line is on screen.
    shown: Mutex<bool>,
    done: AtomicBool,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        Progress {
            enabled,
            started: Instant::now(),
            shown: Mutex::new(false),
            done: AtomicBool::new(false),
        }
    }

    /// Prints a line to stderr, erasing the progress line first.
    pub fn eprintln(&self, line: &str) {
        let mut shown = self.shown.lock().unwrap_or_else(PoisonError::into_inner);
        let mut stderr = std::io::stderr().lock();
        if *shown {
            let _ = write!(stderr, "\r\x1b[2K");
            *shown = false;
        }
        let _ = writeln!(stderr, "{line}");
    }

    /// Runs `work` with the line updated on a thread of its own, erased when `work` ends.
    /// Without a line to show, no thread: starting one was a tenth of a millisecond of
    /// `jwtlens check` on one small file.
    pub fn show_during<T>(&self, stats: &Stats, work: impl FnOnce() -> T) -> T {
        if !self.enabled {
            return work();
        }
        std::thread::scope(|scope| {
            let line = scope.spawn(|| self.run(stats));
            let result = work();
            self.finish();
            line.thread().unpark();
            result
        })
    }

    /// Updates the line until [`Progress::finish`]; its thread is unparked after `finish`
    /// so that it ends at once.
    fn run(&self, stats: &Stats) {
        while !self.done.load(Ordering::Relaxed) {
            std::thread::park_timeout(INTERVAL);
            let elapsed = self.started.elapsed();
            if elapsed < DELAY || self.done.load(Ordering::Relaxed) {
                continue;
            }
            let scanned = Stats::get(&stats.bytes);
            let rate = scanned as f64 / elapsed.as_secs_f64();
            let line = format!(
                "jwtlens: {} files, {} ({}/s)",
                Stats::get(&stats.files),
                bytes(scanned),
                bytes(rate as u64)
            );
            let mut shown = self.shown.lock().unwrap_or_else(PoisonError::into_inner);
            if self.done.load(Ordering::Relaxed) {
                break; // `finish` has erased the line: do not draw it again
            }
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K{line}");
            let _ = stderr.flush();
            *shown = true;
        }
    }

    /// Stops [`Progress::run`] and erases the line.
    fn finish(&self) {
        self.done.store(true, Ordering::Relaxed);
        let mut shown = self.shown.lock().unwrap_or_else(PoisonError::into_inner);
        if *shown {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
            *shown = false;
        }
    }
}
