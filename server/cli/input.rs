//! What the terminal commands share: their input (an argument or stdin), the settings
//! of the folder they run in, the first token of the input, and how they fail.

use std::io::Read;
use std::path::Path;

use jwtlens_engine::analysis::{self, DocumentContext, TokenReport};
use jwtlens_engine::config::Config;
use jwtlens_engine::timefmt;
use jwtlens_engine::untrusted::escape_controls;
use jwtlens_settings::Trust;

use crate::exit::Exit;

/// Prints a message for the user and returns the usage exit status. Messages can quote a
/// token or a configuration file, so their control characters are escaped.
pub fn fail(message: impl std::fmt::Display) -> Exit {
    eprintln!("jwtlens: {}", escape_controls(&message.to_string()));
    Exit::Error
}

/// The argument itself, or standard input for `-`.
pub fn read_input(argument: &str) -> Result<Vec<u8>, String> {
    if argument != "-" {
        return Ok(argument.as_bytes().to_vec());
    }
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|err| format!("cannot read stdin: {err}"))?;
    Ok(input)
}

/// Settings for the current directory (`.jwtlens.toml` there, if any).
pub fn current_config() -> Result<Config, String> {
    let cwd = std::env::current_dir().map_err(|err| format!("no current directory: {err}"))?;
    config_in(&cwd)
}

/// Settings and keys for a workspace folder, the user's own choice on the command line
/// (so trusted). Keys that could not be loaded are warned about on stderr.
pub fn config_in(dir: &Path) -> Result<Config, String> {
    let config = Config::load(Some(dir), None, Trust::Trusted).map_err(|err| {
        format!(
            "{}: {err}",
            dir.join(jwtlens_settings::CONFIG_FILE).display()
        )
    })?;
    for problem in &config.keys.problems {
        eprintln!("jwtlens: warning: key not loaded: {problem}");
    }
    Ok(config)
}

/// The first token in `input`, analysed.
pub fn first_token(input: &[u8], config: &Config) -> Result<TokenReport, String> {
    let cx = DocumentContext {
        path: None,
        config,
        now: timefmt::now(),
        remote: None,
    };
    analysis::analyse(input, &cx)
        .into_iter()
        .next()
        .ok_or_else(|| NO_TOKEN.to_owned())
}

pub const NO_TOKEN: &str =
    "no JWT found (a token starts with eyJ and has 3 or 5 dot-separated parts)";
