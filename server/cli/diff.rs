//! `jwtlens diff`: what changed from one token to another, claim by claim and in words.

use jwtlens_engine::diff;
use jwtlens_engine::untrusted::{escape_controls, escape_controls_in_json};

use crate::exit::Exit;
use crate::explain::Format;
use crate::input::{current_config, fail, first_token, read_input};

/// `jwtlens diff A B`: exit 0 whether or not they differ (2 on bad input).
pub fn diff(a: &str, b: &str, format: Format) -> Exit {
    if a == "-" && b == "-" {
        return fail("only one of the two tokens can be read from stdin (-)");
    }
    let config = match current_config() {
        Ok(config) => config,
        Err(err) => return fail(err),
    };
    let mut reports = Vec::new();
    for (which, argument) in [("A", a), ("B", b)] {
        let report = read_input(argument).and_then(|input| first_token(&input, &config));
        match report {
            Ok(report) => reports.push(report),
            Err(err) => return fail(format!("token {which}: {err}")),
        }
    }
    let diff = diff::diff(&reports[0], &reports[1]);
    match format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&diff.to_json()).unwrap_or_default();
            println!("{}", escape_controls_in_json(json));
        }
        Format::Human => {
            for line in diff.text().lines() {
                println!("{}", escape_controls(line));
            }
        }
    }
    Exit::Success
}
