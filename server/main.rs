//! The `jwtlens` command: the language server and the terminal tools.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jwtlens::cli;

#[derive(Parser)]
#[command(
    name = "jwtlens",
    version,
    about = "Make JSON Web Tokens readable and safe wherever they sit in a codebase"
)]
struct Cli {
    /// Serve the language server on stdin/stdout (what editors pass).
    #[arg(long, global = false)]
    stdio: bool,
    #[command(flatten)]
    limits: ServerLimits,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the language server on stdin/stdout.
    Lsp {
        /// Accepted for editors that always pass it.
        #[arg(long)]
        stdio: bool,
        #[command(flatten)]
        limits: ServerLimits,
    },
    /// Decode a token and show its provider, claims and findings.
    Decode {
        /// The token, or `-` to read it (or any text containing tokens) from stdin.
        token: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Read `.jwtlens.toml` from this directory (default: the current directory).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Check files for tokens, as the editor does, for CI and pre-commit hooks.
    Check(jwtlens::check::CheckArgs),
    /// Verify a token's signature and time claims. Exit 0 when both hold, 1 when the
    /// signature does not verify or the token is invalid whatever its key (a crit
    /// extension jwtlens does not understand, an exp/nbf/iat that is not a number), 3 when
    /// it verifies but the token is expired or not yet valid.
    Verify {
        /// The token, or `-` to read it from stdin.
        token: String,
        #[command(flatten)]
        keys: VerifyKeys,
        /// Check the signature only, not exp and nbf.
        #[arg(long)]
        ignore_time: bool,
    },
    /// Print a token signed by the workspace test key (created in .jwtlens/ if missing).
    Mint {
        /// Copy this token's header fields and claims (or `-` for stdin).
        #[arg(long)]
        from: Option<String>,
        /// Claims as a JSON object, added to (and overriding) those copied with --from;
        /// iat, nbf (when present) and exp are always set fresh from --lifetime.
        #[arg(long)]
        claims: Option<String>,
        /// Signing algorithm: RS256 (default), RS384, RS512, PS256, PS384, PS512, ES256, EdDSA, HS256, HS384, HS512.
        #[arg(long)]
        alg: Option<String>,
        /// exp - iat, such as 1h or 15m (default: mint.lifetime, 1 h).
        #[arg(long, value_parser = humantime::parse_duration)]
        lifetime: Option<std::time::Duration>,
        /// replacement, anonymised, expired, wrong-audience or unsigned.
        #[arg(long, default_value = "replacement", value_parser = parse_variant)]
        variant: jwtlens_keys::mint::Variant,
        /// Where the test keys are (default: mint.keys_dir, .jwtlens).
        #[arg(long)]
        keys_dir: Option<PathBuf>,
    },
    /// Manage the workspace test keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

/// The language server's limits (docs/security.md, "Robustness").
#[derive(clap::Args)]
struct ServerLimits {
    /// The largest message the editor may send (default 64M; K, M, G are powers of 1024).
    /// A bigger one is refused and skipped, so a document that large is not analysed.
    #[arg(long, value_name = "SIZE", env = "JWTLENS_MAX_MESSAGE_SIZE", value_parser = jwtlens::lsp::parse_size)]
    max_message_size: Option<usize>,
    /// How long the server waits for the editor to answer one of its requests, such as
    /// applying an edit (default 30s). The command that asked then fails, and says so.
    #[arg(long, value_name = "DURATION", env = "JWTLENS_CLIENT_TIMEOUT", value_parser = humantime::parse_duration)]
    client_timeout: Option<std::time::Duration>,
}

impl ServerLimits {
    fn limits(self) -> jwtlens::lsp::Limits {
        let defaults = jwtlens::lsp::Limits::default();
        jwtlens::lsp::Limits {
            max_message_size: self.max_message_size.unwrap_or(defaults.max_message_size),
            client_timeout: self.client_timeout.unwrap_or(defaults.client_timeout),
        }
    }
}

#[derive(clap::Args)]
#[group(multiple = false)]
struct VerifyKeys {
    /// An HMAC secret.
    #[arg(long)]
    secret: Option<String>,
    /// The environment variable holding the HMAC secret.
    #[arg(long)]
    secret_env: Option<String>,
    /// A PEM (public key, certificate, PKCS#1 RSA), JWK or JWKS file; JWKS keys are matched by kid.
    #[arg(long)]
    key: Option<PathBuf>,
    /// Fetch the keys from this JWKS URL (https, or http on loopback).
    #[arg(long)]
    jwks: Option<String>,
    /// Find the keys by OIDC discovery from the token's iss.
    #[arg(long)]
    discover: bool,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create the RSA, EC (P-256), Ed25519 and HMAC test keys and their public JWKS.
    Init {
        /// The folder (default: mint.keys_dir, .jwtlens).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Add the key files to .gitignore instead of committing them.
        #[arg(long)]
        private: bool,
    },
}

fn parse_variant(name: &str) -> Result<jwtlens_keys::mint::Variant, String> {
    jwtlens_keys::mint::Variant::from_name(name).ok_or_else(|| {
        "one of replacement, anonymised, expired, wrong-audience, unsigned".to_owned()
    })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("JWTLENS_LOG")
                .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
                // tower-lsp traces whole messages (diagnostics, URIs) it declines to send.
                .add_directive("tower_lsp=debug".parse().expect("a valid directive")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        None if cli.stdio => serve(cli.limits.limits()),
        Some(Command::Lsp { limits, .. }) => serve(limits.limits()),
        Some(Command::Verify {
            token,
            keys,
            ignore_time,
        }) => {
            let choice = match keys {
                VerifyKeys {
                    secret: Some(secret),
                    ..
                } => cli::KeyChoice::Secret(secret),
                VerifyKeys {
                    secret_env: Some(name),
                    ..
                } => cli::KeyChoice::SecretEnv(name),
                VerifyKeys {
                    key: Some(path), ..
                } => cli::KeyChoice::KeyFile(path),
                VerifyKeys {
                    jwks: Some(url), ..
                } => cli::KeyChoice::Jwks(url),
                VerifyKeys { discover: true, .. } => cli::KeyChoice::Discover,
                _ => cli::KeyChoice::Workspace,
            };
            cli::verify(&token, choice, ignore_time)
        }
        Some(Command::Mint {
            from,
            claims,
            alg,
            lifetime,
            variant,
            keys_dir,
        }) => cli::mint(cli::MintOptions {
            from,
            claims,
            alg,
            lifetime: lifetime.map(|lifetime| lifetime.as_secs()),
            variant,
            keys_dir,
        }),
        Some(Command::Keys {
            command: KeysCommand::Init { dir, private },
        }) => cli::keys_init(dir.as_deref(), private),
        Some(Command::Decode {
            token,
            json,
            config,
        }) => cli::decode(&token, json, config.as_deref()),
        Some(Command::Check(args)) => ExitCode::from(jwtlens::check::run(&args)),
        None => {
            eprintln!(
                "jwtlens: say what to do: `jwtlens check`, `jwtlens lsp`, `jwtlens decode TOKEN`, `jwtlens verify TOKEN`, `jwtlens mint` (see --help)"
            );
            ExitCode::from(2)
        }
    }
}

fn serve(limits: jwtlens::lsp::Limits) -> ExitCode {
    jwtlens::lsp::limit_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("jwtlens: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(jwtlens::lsp::serve_stdio(limits));
    // Tokio reads stdin on a blocking thread that would keep the process alive after
    // `exit`; do not wait for it.
    runtime.shutdown_background();
    ExitCode::SUCCESS
}
