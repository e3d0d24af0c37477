//! The `jwtlens` command: the language server and the terminal tools.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jwtlens::analysis::{self, DocumentContext};
use jwtlens::config::Config;
use jwtlens::{hover, timefmt};

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
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("JWTLENS_LOG")
                .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        None if cli.stdio => serve(),
        Some(Command::Lsp { .. }) => serve(),
        Some(Command::Decode {
            token,
            json,
            config,
        }) => decode(&token, json, config),
        Some(Command::Check(args)) => ExitCode::from(jwtlens::check::run(&args)),
        None => {
            eprintln!(
                "jwtlens: say what to do: `jwtlens check`, `jwtlens lsp`, `jwtlens decode TOKEN` (see --help)"
            );
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
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
    runtime.block_on(jwtlens::lsp::serve_stdio());
    // Tokio reads stdin on a blocking thread that would keep the process alive after
    // `exit`; do not wait for it.
    runtime.shutdown_background();
    ExitCode::SUCCESS
}

fn decode(token: &str, json: bool, config_dir: Option<PathBuf>) -> ExitCode {
    let text = if token == "-" {
        let mut input = Vec::new();
        if let Err(err) = std::io::stdin().read_to_end(&mut input) {
            eprintln!("jwtlens: cannot read stdin: {err}");
            return ExitCode::from(2);
        }
        input
    } else {
        token.as_bytes().to_vec()
    };
    let dir = config_dir.unwrap_or_else(|| PathBuf::from("."));
    let config = match Config::load(Some(&dir), None) {
        Ok(config) => config,
        Err(err) => {
            eprintln!(
                "jwtlens: {}: {err}",
                dir.join(jwtlens::config::CONFIG_FILE).display()
            );
            return ExitCode::from(2);
        }
    };
    let now = timefmt::now();
    let reports = analysis::analyse(
        &text,
        &DocumentContext {
            path: None,
            config: &config,
            now,
        },
    );
    if reports.is_empty() {
        eprintln!(
            "jwtlens: no JWT found (a token starts with eyJ and has 3 or 5 dot-separated parts)"
        );
        return ExitCode::from(1);
    }
    if json {
        let all: Vec<_> = reports.iter().map(hover::decoded_json).collect();
        let value = if all.len() == 1 {
            all.into_iter().next().unwrap_or_default()
        } else {
            all.into()
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        for (i, report) in reports.iter().enumerate() {
            if i > 0 {
                println!("\n---\n");
            }
            print!("{}", hover::render(report, &text, now));
        }
    }
    ExitCode::SUCCESS
}
