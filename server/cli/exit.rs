//! How `jwtlens` exits: one status type for every command, so that scripts and CI read the
//! same number the same way whichever command they ran.

use std::process::ExitCode;

/// The exit status of a `jwtlens` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, and nothing to report: `check` found nothing at `--fail-on`, `verify`'s
    /// token verifies and is within its validity window.
    Success,
    /// 1: the answer is no: `check` found something at `--fail-on`, `verify`'s signature
    /// does not verify or the token is invalid whatever its key (a `crit` extension
    /// jwtlens does not understand, a time claim that is not a NumericDate), `decode` found
    /// no token.
    Failed,
    /// 2: bad usage or input, or an I/O error (`check` goes on past unreadable files, and
    /// still exits with this).
    Error,
    /// 3: `verify`'s signature verifies, but the token is expired or not yet valid.
    OutOfTime,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(match exit {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Error => 2,
            Exit::OutOfTime => 3,
        })
    }
}
