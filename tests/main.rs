//! jwtlens's integration tests, one binary with a module per area. What they share (the
//! LSP client, cursor markers, temporary workspaces, tokens, a stand-in issuer) is the
//! `jwtlens-test-support` crate in `tests/support/`.

mod actions;
mod adversarial;
mod check;
mod cli;
mod corpus;
mod explain;
mod fuzz_seeds;
mod history;
mod hover_findings;
mod hover_snapshots;
mod incremental_sync;
mod jwks;
mod key_search;
mod lsp;
mod navigation;
mod newest_version;
mod privacy;
mod properties;
mod quick_fixes;
mod remote_verify;
mod replays;
mod robustness;
mod split_tokens;
mod stdio;
mod tools;
mod trust;
mod vectors;
mod workspace;

/// The real binary serving LSP on its stdio (`jwtlens lsp`), with `env` set.
fn language_server(env: &[(&str, &str)]) -> jwtlens_test_support::process::ServerProcess {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_jwtlens"));
    command.arg("lsp").envs(env.iter().copied());
    jwtlens_test_support::process::ServerProcess::spawn(command)
}
