//! `jwtlens verify`: a token's signature, with the keys the user names or the workspace's
//! (the same code as the server's code actions), and its time claims; the answer is the
//! exit status, for scripts.

use std::path::PathBuf;

use jwtlens_engine::analysis::TokenReport;
use jwtlens_engine::config::Config;
use jwtlens_engine::decode::Body;
use jwtlens_engine::timefmt;
use jwtlens_engine::untrusted::escape_controls;
use jwtlens_jwks::{Fetcher, KeySource};
use jwtlens_keys::key::{Key, Origin};
use jwtlens_keys::verify::{self, RemoteOutcome};

use crate::exit::Exit;
use crate::input::{current_config, fail, first_token, read_input};

#[derive(clap::Args)]
#[group(multiple = false)]
pub struct VerifyKeys {
    /// An HMAC secret. It may start with `-`, as a random base64url secret does one time
    /// in 64.
    #[arg(long, allow_hyphen_values = true)]
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

impl VerifyKeys {
    /// The one key source chosen (the group allows at most one), else the workspace's.
    pub fn choice(self) -> KeyChoice {
        match self {
            VerifyKeys {
                secret: Some(secret),
                ..
            } => KeyChoice::Secret(secret),
            VerifyKeys {
                secret_env: Some(name),
                ..
            } => KeyChoice::SecretEnv(name),
            VerifyKeys {
                key: Some(path), ..
            } => KeyChoice::KeyFile(path),
            VerifyKeys {
                jwks: Some(url), ..
            } => KeyChoice::Jwks(url),
            VerifyKeys { discover: true, .. } => KeyChoice::Discover,
            _ => KeyChoice::Workspace,
        }
    }
}

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
pub fn verify(token: &str, choice: KeyChoice, ignore_time: bool) -> Exit {
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
        return Exit::Failed;
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
            return Exit::Failed;
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
) -> Exit {
    let outcome = match fetch_and_verify(report, input, &source) {
        Ok(outcome) => outcome,
        Err(err) => return fail(err),
    };
    match outcome {
        RemoteOutcome::Verified { kid, url, .. } => {
            let kid = kid.map(|kid| format!(" (kid {kid})")).unwrap_or_default();
            let verified = format!("verified with a key from {url}{kid}");
            println!("signature: {}", escape_controls(&verified));
        }
        RemoteOutcome::Failed { reason } => {
            println!("signature: does not verify: {}", escape_controls(&reason));
            return Exit::Failed;
        }
    }
    time_verdict(report, config, ignore_time)
}

/// Fetches the keys of `source` (said on stderr: the only network access of the CLI) and
/// verifies the token with them. An error when no async runtime can be started.
pub fn fetch_and_verify(
    report: &TokenReport,
    input: &[u8],
    source: &KeySource,
) -> Result<RemoteOutcome, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the async runtime: {err}"))?;
    eprintln!("jwtlens: GET {}", escape_controls(source.url.as_str()));
    let fetcher = Fetcher::default();
    Ok(runtime.block_on(jwtlens_jwks::verify_remote(
        &fetcher,
        source,
        &report.token,
        input,
        timefmt::now(),
    )))
}

/// The exit status once the signature verified: valid, or out of its time window.
fn time_verdict(report: &TokenReport, config: &Config, ignore_time: bool) -> Exit {
    if ignore_time {
        return Exit::Success;
    }
    match time_problem(report, config.settings.clock_skew, timefmt::now()) {
        Some(problem) => {
            println!("time: {problem}");
            Exit::OutOfTime
        }
        None => {
            println!("time: valid");
            Exit::Success
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
