//! The `jwtlens` command: the language server and the terminal tools. Each module here is
//! one part of the command line ([`command`] lists them all); the work is done by the
//! crates in server/ (README.md, "Layout").

mod check;
mod command;
mod decode;
mod diff;
mod exit;
mod explain;
mod input;
mod mint;
mod serve;
mod verify;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    log_to_stderr();
    command::Cli::parse().run().into()
}

/// Logs go to stderr (stdout carries the protocol), filtered by `JWTLENS_LOG` or
/// `RUST_LOG`, `info` by default.
fn log_to_stderr() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_env("JWTLENS_LOG")
                .or_else(|_| EnvFilter::try_from_default_env())
                .unwrap_or_else(|_| EnvFilter::new("info"))
                // tower-lsp traces whole messages (diagnostics, URIs) it declines to send.
                .add_directive("tower_lsp=debug".parse().expect("a valid directive")),
        )
        .init();
}
