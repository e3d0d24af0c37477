//! Whole trees, judged exactly as the editor judges one document, for `jwtlens check` (CI
//! and pre-commit) and the language server's workspace diagnostics.
//!
//! [`walk`] finds and reads the files, the engine's `analyse` judges each one (same
//! `.jwtlens.toml`, suppressions and allow entries), [`report`] keeps positions,
//! fingerprints and redacted snippets, and [`output`], [`sarif`] and [`baseline`] write
//! them out; [`progress`] keeps the user informed on a terminal. The command itself (its
//! arguments, its exit status) is the CLI's (`server/cli/check.rs`).

pub mod baseline;
pub mod history;
mod json;
pub mod output;
pub mod progress;
mod render;
pub mod report;
pub mod sarif;
pub mod walk;

use std::time::Duration;

use walk::Problem;

/// What the scan saw besides findings.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub binary: u64,
    pub too_large: u64,
    /// Problems that leave the scan incomplete.
    pub errors: u64,
    /// Findings left out because the baseline has them.
    pub baselined: usize,
    pub elapsed: Duration,
    /// Every problem reported on stderr, errors and warnings.
    pub problems: Vec<Problem>,
    /// What `--history` or `--staged` saw of the repository.
    pub git: Option<history::GitSummary>,
}
