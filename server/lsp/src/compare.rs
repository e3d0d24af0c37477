//! "Compare with token…": `jwtlens.compare` diffs two tokens, each given as its text or as
//! a document position (`{"textDocument": {"uri"}, "position"}`), and returns what
//! `jwtlens diff --format json` prints; the summary is also shown as a message.

use std::sync::Arc;

use serde_json::Value;
use tower_lsp::jsonrpc::{Error, Result};
use tower_lsp::lsp_types::MessageType;

use crate::commands::TokenArgument;
use crate::Shared;
use jwtlens_engine::analysis::{self, DocumentContext, TokenReport};
use jwtlens_engine::diff;
use jwtlens_engine::timefmt;
use jwtlens_engine::untrusted::escape_controls;

pub const COMPARE: &str = "jwtlens.compare";

/// Runs `jwtlens.compare` on its two arguments.
pub(crate) async fn compare_command(
    shared: &Arc<Shared>,
    arguments: Vec<Value>,
) -> Result<Option<Value>> {
    let [a, b] = <[Value; 2]>::try_from(arguments).map_err(|_| {
        Error::invalid_params(format!(
            "{COMPARE} takes two arguments, each a token's text or {{\"textDocument\": {{\"uri\"}}, \"position\"}}"
        ))
    })?;
    let before = token_report(shared, a, "first").await?;
    let after = token_report(shared, b, "second").await?;
    let diff = diff::diff(&before, &after);
    let summary = if diff.summary.is_empty() {
        "no difference in the claims or the key".to_owned()
    } else {
        diff.summary.join("; ")
    };
    let message = format!("jwtlens: {}", escape_controls(&summary));
    shared.client.show_message(MessageType::INFO, message).await;
    Ok(Some(diff.to_json()))
}

/// The first token of a text argument, or the token at a document position.
async fn token_report(shared: &Arc<Shared>, argument: Value, which: &str) -> Result<TokenReport> {
    let missing = || Error::invalid_params(format!("{COMPARE}: no JWT in the {which} argument"));
    if let Value::String(text) = &argument {
        let config = shared.state().config.clone();
        let cx = DocumentContext {
            path: None,
            config: &config,
            now: timefmt::now(),
            remote: None,
        };
        return analysis::analyse(text.as_bytes(), &cx)
            .into_iter()
            .next()
            .ok_or_else(missing);
    }
    let location = TokenArgument::parse(argument).ok_or_else(missing)?;
    let analysis = shared.analysis(&location.uri).await.ok_or_else(missing)?;
    location.locate(&analysis).cloned()
}
