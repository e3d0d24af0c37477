//! The command line: every subcommand and option, and which module runs it.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use jwtlens_keys::mint::Variant;

use crate::check::CheckArgs;
use crate::exit::Exit;
use crate::explain::{ExplainArgs, Format};
use crate::serve::ServerLimits;
use crate::verify::VerifyKeys;
use crate::{check, decode, diff, explain, mint, serve, verify};

#[derive(Parser)]
#[command(
    name = "jwtlens",
    version,
    about = "Make JSON Web Tokens readable and safe wherever they sit in a codebase"
)]
pub struct Cli {
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
    Check(CheckArgs),
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
        variant: Variant,
        /// Where the test keys are (default: mint.keys_dir, .jwtlens).
        #[arg(long)]
        keys_dir: Option<PathBuf>,
    },
    /// Explain a named policy's decision on a token: every check in order, with the API's
    /// message. Exit 0 when accepted, 1 when rejected, 2 on a usage error.
    Explain(ExplainArgs),
    /// Compare two tokens: claims added, removed and changed, and what that means.
    Diff {
        /// The token before (or `-` for stdin).
        a: String,
        /// The token after (or `-` for stdin).
        b: String,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Manage the workspace test keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
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

fn parse_variant(name: &str) -> Result<Variant, String> {
    Variant::from_name(name).ok_or_else(|| {
        "one of replacement, anonymised, expired, wrong-audience, unsigned".to_owned()
    })
}

impl Cli {
    /// Runs the command the user asked for.
    pub fn run(self) -> Exit {
        match self.command {
            None if self.stdio => serve::serve(self.limits.limits()),
            Some(Command::Lsp { limits, .. }) => serve::serve(limits.limits()),
            Some(Command::Verify {
                token,
                keys,
                ignore_time,
            }) => verify::verify(&token, keys.choice(), ignore_time),
            Some(Command::Mint {
                from,
                claims,
                alg,
                lifetime,
                variant,
                keys_dir,
            }) => mint::mint(mint::MintOptions {
                from,
                claims,
                alg,
                lifetime: lifetime.map(|lifetime| lifetime.as_secs()),
                variant,
                keys_dir,
            }),
            Some(Command::Keys {
                command: KeysCommand::Init { dir, private },
            }) => mint::keys_init(dir.as_deref(), private),
            Some(Command::Decode {
                token,
                json,
                config,
            }) => decode::decode(&token, json, config.as_deref()),
            Some(Command::Check(args)) => {
                if args.may_reach_many_tokens() {
                    crate::allocator::use_mimalloc();
                }
                check::run(&args)
            }
            Some(Command::Explain(args)) => explain::explain(&args),
            Some(Command::Diff { a, b, format }) => diff::diff(&a, &b, format),
            None => {
                eprintln!(
                    "jwtlens: say what to do: `jwtlens check`, `jwtlens lsp`, `jwtlens decode TOKEN`, `jwtlens verify TOKEN`, `jwtlens explain TOKEN`, `jwtlens diff A B`, `jwtlens mint` (see --help)"
                );
                Exit::Error
            }
        }
    }
}
