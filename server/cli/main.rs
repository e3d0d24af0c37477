//! The `jwtlens` command: the language server and the terminal tools. Each module here is
//! one part of the command line ([`command`] lists them all); the work is done by the
//! crates in server/ (README.md, "Layout").

mod allocator;
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
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

#[global_allocator]
static ALLOCATOR: allocator::ByCommand = allocator::ByCommand;

fn main() -> ExitCode {
    log_to_stderr();
    command::Cli::parse().run().into()
}

/// Logs go to stderr (stdout carries the protocol), filtered by `JWTLENS_LOG` or
/// `RUST_LOG` (`info`, `debug`, `jwtlens_lsp=trace,info`: levels per target), `info` by
/// default. A `Targets` filter rather than an `EnvFilter`: the latter's span and field
/// matching pulls in `regex-automata`'s full-DFA builder, and with it every regex in the
/// binary (the provider patterns included) builds dense DFAs at start-up.
fn log_to_stderr() {
    let (filter, refused) = log_filter();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .init();
    // Said once the subscriber is up, so that a mistyped variable does not go unnoticed
    // behind the default.
    if let Some((name, why)) = refused {
        tracing::warn!("{name} is not a log filter ({why}); logging at `info`");
    }
}

/// The filter from the first of `JWTLENS_LOG` and `RUST_LOG` that is set, and the variable
/// that was set but could not be read as directives, with the parser's reason.
fn log_filter() -> (Targets, Option<(&'static str, String)>) {
    let set = ["JWTLENS_LOG", "RUST_LOG"].into_iter().find_map(|name| {
        let directives = std::env::var(name).ok()?;
        (!directives.trim().is_empty()).then_some((name, directives))
    });
    let info = || Targets::new().with_default(LevelFilter::INFO);
    let (filter, refused) = match set {
        None => (info(), None),
        Some((name, directives)) => match directives.parse::<Targets>() {
            Ok(filter) => (filter, None),
            Err(err) => (info(), Some((name, err.to_string()))),
        },
    };
    // tower-lsp traces whole messages (diagnostics, URIs) it declines to send.
    (filter.with_target("tower_lsp", LevelFilter::DEBUG), refused)
}
