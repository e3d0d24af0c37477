//! `jwtlens mint` and `jwtlens keys init`: tokens signed by the workspace test keys, and
//! the keys themselves (the same code as the server's "Mint" code actions).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use jwtlens_engine::timefmt;
use jwtlens_keys::mint::{self, TestKeys, Variant};

use crate::exit::Exit;
use crate::input::{current_config, fail, first_token, read_input};

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
pub fn mint(options: MintOptions) -> Exit {
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
                    Some(claims) => (Map::clone(&report.token.header), claims.clone()),
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
            Exit::Success
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
pub fn keys_init(dir: Option<&Path>, private: bool) -> Exit {
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
    Exit::Success
}
