//! `jwtlens decode`: every token in the input, as the hover's text or as JSON.

use std::path::Path;

use serde_json::Value;

use jwtlens_engine::analysis::{self, DocumentContext};
use jwtlens_engine::hover;
use jwtlens_engine::timefmt;
use jwtlens_engine::untrusted::escape_controls_in_json;

use crate::exit::Exit;
use crate::input::{config_in, current_config, fail, read_input, NO_TOKEN};

/// `jwtlens decode`: every token in the input, as text (the hover's Markdown) or JSON.
/// Exit 1 when there is none.
pub fn decode(token: &str, json: bool, config_dir: Option<&Path>) -> Exit {
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
        return Exit::Failed;
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
    Exit::Success
}
