//! `jwtlens lsp` (and `jwtlens --stdio`): the language server on stdin and stdout.

use jwtlens_lsp::{parse_size, Limits};

use crate::exit::Exit;

/// The language server's limits (docs/security.md, "Robustness").
#[derive(clap::Args)]
pub struct ServerLimits {
    /// The largest message the editor may send (default 64M; K, M, G are powers of 1024).
    /// A bigger one is refused and skipped, so a document that large is not analysed.
    #[arg(long, value_name = "SIZE", env = "JWTLENS_MAX_MESSAGE_SIZE", value_parser = parse_size)]
    max_message_size: Option<usize>,
    /// How long the server waits for the editor to answer one of its requests, such as
    /// applying an edit (default 30s). The command that asked then fails, and says so.
    #[arg(long, value_name = "DURATION", env = "JWTLENS_CLIENT_TIMEOUT", value_parser = humantime::parse_duration)]
    client_timeout: Option<std::time::Duration>,
}

impl ServerLimits {
    pub fn limits(self) -> Limits {
        let defaults = Limits::default();
        Limits {
            max_message_size: self.max_message_size.unwrap_or(defaults.max_message_size),
            client_timeout: self.client_timeout.unwrap_or(defaults.client_timeout),
        }
    }
}

/// Serves LSP on stdin/stdout until the editor says `exit` or closes stdin.
pub fn serve(limits: Limits) -> Exit {
    jwtlens_lsp::limit_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("jwtlens: cannot start the async runtime: {err}");
            return Exit::Error;
        }
    };
    runtime.block_on(jwtlens_lsp::serve_stdio(limits));
    // Tokio reads stdin on a blocking thread that would keep the process alive after
    // `exit`; do not wait for it.
    runtime.shutdown_background();
    Exit::Success
}
