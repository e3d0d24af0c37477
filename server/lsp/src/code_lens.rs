//! Named policies in the editor: a code lens over each token per policy (`billing-api: 401
//! Invalid audience.`), the same trace in the hover, and `jwtlens.explain`, the lens's
//! command. Lenses are cheap: the signature is checked with the key ring only (never the
//! network), and the decisions are worked out once per analysis (document version and
//! configuration).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use tower_lsp::jsonrpc::{Error, Result};
use tower_lsp::lsp_types::{CodeLens, Command, MessageType, Url};

use crate::commands::TokenArgument;
use crate::{Analysis, Shared};
use jwtlens_engine::analysis::TokenReport;
use jwtlens_engine::decision::{self, Decision, Request};
use jwtlens_engine::timefmt;
use jwtlens_engine::untrusted::escape_controls;
use jwtlens_jose::fingerprint;

/// Explains a named policy's decision on the token at a position; returns the decisions
/// as `explain --format json` prints them (one per policy, or the one named) and shows
/// the trace. Arguments: the token argument plus optional `policy`, `operation`,
/// `permissions` and `tenant`.
pub const EXPLAIN: &str = "jwtlens.explain";

/// Every named policy's decision on one token, offline.
pub fn decisions(analysis: &Analysis, report: &TokenReport) -> Vec<Decision> {
    let config = &analysis.config;
    config
        .settings
        .policies
        .iter()
        .map(|policy| decide(analysis, report, policy, &Request::default()))
        .collect()
}

fn decide(
    analysis: &Analysis,
    report: &TokenReport,
    policy: &jwtlens_settings::named_policy::NamedPolicy,
    request: &Request,
) -> Decision {
    let config = &analysis.config;
    let keys = config.keys_for_policy(&policy.name);
    let signature = decision::signature_with_keys(report, analysis.text.as_bytes(), keys);
    decision::decide(
        report,
        policy,
        request,
        &signature,
        timefmt::now(),
        config.settings.clock_skew,
    )
}

/// One lens per token and policy, on the token's first line.
pub fn code_lenses(analysis: &Analysis, uri: &Url) -> Vec<CodeLens> {
    let mut cursor = analysis.index.ranges(&analysis.text);
    let mut lenses = Vec::new();
    for (index, report) in analysis.reports.iter().enumerate() {
        let decisions = analysis.decisions(index);
        let range = cursor.range(report.token.range.clone());
        let token = fingerprint(report.token.compact(analysis.text.as_bytes()));
        for decision in decisions {
            let argument = serde_json::json!({
                "textDocument": {"uri": uri},
                "position": range.start,
                "fingerprint": token,
                "policy": decision.policy,
            });
            lenses.push(CodeLens {
                range,
                command: Some(Command {
                    title: escape_controls(&decision.summary()).into_owned(),
                    command: EXPLAIN.to_owned(),
                    arguments: Some(vec![argument]),
                }),
                data: None,
            });
        }
    }
    lenses
}

/// What `jwtlens.explain` takes besides the token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ExplainOptions {
    policy: Option<String>,
    operation: Option<String>,
    permissions: Vec<String>,
    tenant: Option<String>,
}

/// Runs `jwtlens.explain`.
pub(crate) async fn explain_command(
    shared: &Arc<Shared>,
    arguments: Vec<Value>,
) -> Result<Option<Value>> {
    let value = arguments.into_iter().next().unwrap_or(Value::Null);
    let options: ExplainOptions = serde_json::from_value(value.clone())
        .map_err(|err| Error::invalid_params(format!("{EXPLAIN}: {err}")))?;
    let argument = TokenArgument::parse(value).ok_or_else(|| {
        Error::invalid_params(format!(
            "{EXPLAIN} takes {{\"textDocument\": {{\"uri\"}}, \"position\", \"policy\"?, \"operation\"?, \"permissions\"?, \"tenant\"?}}"
        ))
    })?;
    let analysis = shared
        .analysis(&argument.uri)
        .await
        .ok_or_else(|| Error::invalid_params("no JWT at this position"))?;
    let report = argument.locate(&analysis)?;
    let policies: Vec<_> = analysis
        .config
        .settings
        .policies
        .iter()
        .filter(|policy| {
            options
                .policy
                .as_ref()
                .is_none_or(|name| *name == policy.name)
        })
        .collect();
    if policies.is_empty() {
        return Err(Error::invalid_params(match &options.policy {
            Some(name) => format!("no policy {name:?} in the settings"),
            None => "no [[policies]] in the settings".to_owned(),
        }));
    }
    let mut answers = Vec::new();
    let mut shown = Vec::new();
    for policy in policies {
        let request = Request::new(
            policy,
            options.operation.as_deref(),
            &options.permissions,
            options.tenant.clone(),
        )
        .map_err(Error::invalid_params)?;
        let decision = decide(&analysis, report, policy, &request);
        shown.push(decision.summary());
        shown.extend(decision.trace());
        answers.push(decision.to_json());
    }
    let kind = if answers.iter().all(|answer| answer["accepted"] == true) {
        MessageType::INFO
    } else {
        MessageType::WARNING
    };
    let lines: Vec<String> = shown
        .iter()
        .map(|line| escape_controls(line).into_owned())
        .collect();
    let message = lines.join("\n");
    shared.client.show_message(kind, message).await;
    Ok(Some(Value::Array(answers)))
}
