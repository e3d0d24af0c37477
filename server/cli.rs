//! The terminal commands `verify`, `mint` and `keys init`: the same code as the server's
//! code actions, with exit codes for scripts.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Map, Value};

use jwtlens_engine::analysis::{self, DocumentContext, TokenReport};
use jwtlens_engine::config::Config;
use jwtlens_engine::decode::Body;
use jwtlens_engine::hover;
use jwtlens_engine::timefmt;
use jwtlens_engine::untrusted::{escape_controls, escape_controls_in_json};
use jwtlens_jwks::{Fetcher, KeySource};
use jwtlens_keys::key::{Key, Origin};
use jwtlens_keys::mint::{self, TestKeys, Variant};
use jwtlens_keys::verify::{self, RemoteOutcome};
use jwtlens_settings::Trust;

/// Exit status: the signature verifies and the token is within its validity window.
pub const VALID: u8 = 0;
/// Exit status: the signature does not verify, or the token is invalid whatever its key
/// (a `crit` extension jwtlens does not understand, a time claim that is not a NumericDate).
pub const INVALID: u8 = 1;
/// Exit status: bad usage or input.
pub const USAGE: u8 = 2;
/// Exit status: the signature verifies but the token is expired or not yet valid.
pub const OUT_OF_TIME: u8 = 3;

/// Prints a message for the user and returns the usage exit status. Messages can quote a
/// token or a configuration file, so their control characters are escaped.
fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("jwtlens: {}", escape_controls(&message.to_string()));
    ExitCode::from(USAGE)
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
fn config_in(dir: &Path) -> Result<Config, String> {
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
fn first_token(input: &[u8], config: &Config) -> Result<TokenReport, String> {
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

/// `jwtlens decode`: every token in the input, as text (the hover's Markdown) or JSON.
/// Exit 1 when there is none.
pub fn decode(token: &str, json: bool, config_dir: Option<&Path>) -> ExitCode {
    let input = match read_input(token) {
        Ok(input) => input,
        Err(err) => return fail(err),
    };
    let config = match config_dir {
        Some(dir) => config_in(dir),
        None => current_config(),
    };
    let config = match config {
        Ok(config) => config,
        Err(err) => return fail(err),
    };
    let now = timefmt::now();
    let reports = analysis::analyse(
        &input,
        &DocumentContext {
            path: None,
            config: &config,
            now,
            remote: None,
        },
    );
    if reports.is_empty() {
        eprintln!("jwtlens: {NO_TOKEN}");
        return ExitCode::from(1);
    }
    if json {
        let mut all: Vec<Value> = reports.iter().map(hover::decoded_json).collect();
        let value = if all.len() == 1 {
            all.remove(0)
        } else {
            Value::Array(all)
        };
        let json = serde_json::to_string_pretty(&value).unwrap_or_default();
        println!("{}", escape_controls_in_json(json));
    } else {
        for (i, report) in reports.iter().enumerate() {
            if i > 0 {
                println!("\n---\n");
            }
            print!("{}", hover::render(report, &input, now));
        }
    }
    ExitCode::SUCCESS
}

const NO_TOKEN: &str = "no JWT found (a token starts with eyJ and has 3 or 5 dot-separated parts)";

/// Where `jwtlens verify` takes its keys from.
pub enum KeyChoice {
    Secret(String),
    SecretEnv(String),
    KeyFile(PathBuf),
    /// The workspace's keys: `.jwtlens.toml`, dotenv secrets and the test keys.
    Workspace,
    /// A JWKS (or certificate map, or OIDC discovery document) URL.
    Jwks(String),
    /// OIDC discovery from the token's `iss`.
    Discover,
}

/// `jwtlens verify`: checks the signature and (unless `ignore_time`) `exp`/`nbf`.
pub fn verify(token: &str, choice: KeyChoice, ignore_time: bool) -> ExitCode {
    let input = match read_input(token) {
        Ok(input) => input,
        Err(err) => return fail(err),
    };
    let config = match current_config() {
        Ok(config) => config,
        Err(err) => return fail(err),
    };
    let report = match first_token(&input, &config) {
        Ok(report) => report,
        Err(err) => return fail(err),
    };
    let token = &report.token;
    if token.kind == jwtlens_engine::scan::TokenKind::Jwe {
        return fail("this is an encrypted JWE: jwtlens verifies signed tokens (JWS)");
    }
    // Checked before any key is read or fetched: no key makes such a token valid.
    let invalid = jwtlens_jose::crit_problem(&token.header)
        .or_else(|| token.claims().and_then(jwtlens_jose::numeric_date_problem));
    if let Some(problem) = invalid {
        println!("invalid: {}", escape_controls(&problem));
        return ExitCode::from(INVALID);
    }
    let keys: Vec<Key> = match choice {
        KeyChoice::Secret(secret) => {
            vec![Key::hmac(secret.as_bytes(), "--secret", Origin::Workspace)]
        }
        KeyChoice::SecretEnv(name) => match std::env::var(&name) {
            Ok(secret) => vec![Key::hmac(
                secret.as_bytes(),
                format!("${name}"),
                Origin::Workspace,
            )],
            Err(_) => return fail(format!("environment variable {name} is not set")),
        },
        KeyChoice::KeyFile(path) => {
            match Key::from_file(&path, &path.display().to_string(), Origin::Workspace) {
                Ok(keys) => keys,
                Err(err) => return fail(err),
            }
        }
        KeyChoice::Workspace => config.keys.keys().to_vec(),
        KeyChoice::Jwks(url) => match url::Url::parse(&url) {
            Ok(url) => {
                return verify_remotely(
                    &report,
                    &input,
                    &config,
                    KeySource::from_url(url, "--jwks"),
                    ignore_time,
                )
            }
            Err(err) => return fail(format!("--jwks {url}: {err}")),
        },
        KeyChoice::Discover => match token.str_claim("iss").and_then(KeySource::discovery) {
            Some(source) => return verify_remotely(&report, &input, &config, source, ignore_time),
            None => {
                return fail("--discover needs an https iss (or http on loopback) in the token")
            }
        },
    };
    let signed = verify::verify_with_keys(
        &keys,
        token.alg(),
        token.header_str("kid"),
        token.signing_input(&input),
        token.signature_text(&input),
    );
    match signed {
        Ok(key) => {
            let kid = key
                .kid
                .as_deref()
                .map(|kid| format!(" (kid {kid})"))
                .unwrap_or_default();
            let verified = format!("verified with {}{kid}", key.source);
            println!("signature: {}", escape_controls(&verified));
        }
        Err(failure) => {
            let failure = failure.to_string();
            println!("signature: does not verify: {}", escape_controls(&failure));
            return ExitCode::from(INVALID);
        }
    }
    time_verdict(&report, &config, ignore_time)
}

/// Fetches the issuer's keys (the only network access of the CLI) and verifies with them.
fn verify_remotely(
    report: &TokenReport,
    input: &[u8],
    config: &Config,
    source: KeySource,
    ignore_time: bool,
) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(format!("cannot start the async runtime: {err}")),
    };
    eprintln!("jwtlens: GET {}", escape_controls(source.url.as_str()));
    let fetcher = Fetcher::default();
    let outcome = runtime.block_on(jwtlens_jwks::verify_remote(
        &fetcher,
        &source,
        &report.token,
        input,
        timefmt::now(),
    ));
    match outcome {
        RemoteOutcome::Verified { kid, url, .. } => {
            let kid = kid.map(|kid| format!(" (kid {kid})")).unwrap_or_default();
            let verified = format!("verified with a key from {url}{kid}");
            println!("signature: {}", escape_controls(&verified));
        }
        RemoteOutcome::Failed { reason } => {
            println!("signature: does not verify: {}", escape_controls(&reason));
            return ExitCode::from(INVALID);
        }
    }
    time_verdict(report, config, ignore_time)
}

/// The exit status once the signature verified: valid, or out of its time window.
fn time_verdict(report: &TokenReport, config: &Config, ignore_time: bool) -> ExitCode {
    if ignore_time {
        return ExitCode::from(VALID);
    }
    match time_problem(report, config.settings.clock_skew, timefmt::now()) {
        Some(problem) => {
            println!("time: {problem}");
            ExitCode::from(OUT_OF_TIME)
        }
        None => {
            println!("time: valid");
            ExitCode::from(VALID)
        }
    }
}

/// Why the token is outside its validity window, if it is.
fn time_problem(report: &TokenReport, skew: u64, now: i64) -> Option<String> {
    let skew = i64::try_from(skew).unwrap_or(i64::MAX);
    let token = &report.token;
    if let Body::Malformed(err) = &token.body {
        return Some(format!(
            "the payload {err}, so exp and nbf cannot be checked"
        ));
    }
    if let Some(exp) = token
        .numeric_claim("exp")
        .filter(|exp| exp.saturating_add(skew) < now)
    {
        return Some(format!(
            "expired {} ({})",
            timefmt::relative(exp, now),
            timefmt::utc_date(exp)
        ));
    }
    if let Some(nbf) = token
        .numeric_claim("nbf")
        .filter(|nbf| nbf.saturating_sub(skew) > now)
    {
        return Some(format!(
            "not valid until {} ({})",
            timefmt::utc_date(nbf),
            timefmt::relative(nbf, now)
        ));
    }
    None
}

/// What `jwtlens mint` starts from.
pub struct MintOptions {
    pub from: Option<String>,
    pub claims: Option<String>,
    pub alg: Option<String>,
    pub lifetime: Option<u64>,
    pub variant: Variant,
    pub keys_dir: Option<PathBuf>,
}

/// `jwtlens mint`: prints a token signed by the workspace test key.
pub fn mint(options: MintOptions) -> ExitCode {
    let config = match current_config() {
        Ok(config) => config,
        Err(err) => return fail(err),
    };
    let (mut header, mut claims) = match &options.from {
        Some(from) => {
            let input = match read_input(from) {
                Ok(input) => input,
                Err(err) => return fail(err),
            };
            match first_token(&input, &config) {
                Ok(report) => match report.token.claims() {
                    Some(claims) => (report.token.header.clone(), claims.clone()),
                    None => {
                        return fail(
                            "--from: the token has no readable claims (encrypted or malformed)",
                        )
                    }
                },
                Err(err) => return fail(format!("--from: {err}")),
            }
        }
        None => {
            let mut header = Map::new();
            header.insert("typ".into(), "JWT".into());
            (header, Map::new())
        }
    };
    if let Some(text) = &options.claims {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(extra)) => claims.extend(extra),
            Ok(_) => return fail("--claims must be a JSON object"),
            Err(err) => return fail(format!("--claims is not JSON: {err}")),
        }
    }
    if let Some(alg) = &options.alg {
        if !is_mintable(alg) {
            return fail(format!(
                "--alg {alg}: use one of RS256 RS384 RS512 PS256 PS384 PS512 ES256 EdDSA HS256 HS384 HS512"
            ));
        }
        header.insert("alg".into(), alg.clone().into());
    }
    if !header.contains_key("alg") {
        header.insert("alg".into(), "RS256".into());
    }
    let keys = match &options.keys_dir {
        Some(dir) => TestKeys::new(dir),
        None => match config.test_keys() {
            Ok(keys) => keys,
            Err(err) => return fail(err),
        },
    };
    let lifetime = options.lifetime.unwrap_or(config.settings.mint.lifetime);
    match mint::mint(
        &keys,
        &header,
        &claims,
        options.variant,
        lifetime,
        timefmt::now(),
    ) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(err) => fail(err),
    }
}

/// Algorithms the test keys sign exactly as asked.
fn is_mintable(alg: &str) -> bool {
    mint::KeyKind::for_alg(alg).1 == alg
}

/// `jwtlens keys init`: creates the workspace test keys. With `--private` (or
/// `mint.private_keys`), `.gitignore` is updated first, so nothing is created when it
/// cannot be (a link out of the repository, say).
pub fn keys_init(dir: Option<&Path>, private: bool) -> ExitCode {
    let config = match current_config() {
        Ok(config) => config,
        Err(err) => return fail(err),
    };
    let keys = match dir {
        Some(dir) => TestKeys::new(dir),
        None => match config.test_keys() {
            Ok(keys) => keys,
            Err(err) => return fail(err),
        },
    };
    let private = private || config.settings.mint.private_keys;
    if private {
        let root = config.root.clone().unwrap_or_default();
        // The folder as .gitignore names it: relative to the root, where it is read.
        let folder = match dir {
            Some(dir) => dir.to_string_lossy().into_owned(),
            None => config.settings.mint.keys_dir.clone(),
        };
        if let Err(err) = mint::keep_private(&root, &folder) {
            return fail(err);
        }
    }
    let created = match keys.init() {
        Ok(created) => created,
        Err(err) => return fail(err),
    };
    for path in &created {
        println!("created {}", path.display());
    }
    if created.is_empty() {
        println!("test keys already exist in {}", keys.dir().display());
    } else {
        println!(
            "public keys: {}",
            keys.dir().join(mint::JWKS_FILE).display()
        );
    }
    if private {
        let root = config.root.clone().unwrap_or_default();
        println!("test keys added to {}", root.join(".gitignore").display());
    } else if !created.is_empty() {
        println!(
            "these keys sign test fixtures only: commit them (or pass --private to keep them out of git)"
        );
    }
    ExitCode::SUCCESS
}
