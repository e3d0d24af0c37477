//! Code actions and the commands behind them. Every action is a command on "the token at
//! this position", so clients can also bind them to keys and palettes directly.
//!
//! An action offered now may run much later, after the document changed: its argument
//! also names the token by fingerprint, the command finds that token again in the text as
//! it is when the command runs, and the mint edit carries the version it was computed
//! for, so an editor whose text moved on refuses it instead of editing the wrong text.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};
use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::lsp_types::*;

use crate::fixes::{self, CommentSyntax, WorkspaceConfig};
use crate::{code_lens, compare};
use crate::{Analysis, Shared};
use jwtlens_engine::analysis::TokenReport;
use jwtlens_engine::config::RESTRICTED_MINT;
use jwtlens_engine::rules::Rule;
use jwtlens_engine::timefmt;
use jwtlens_engine::untrusted::escape_controls;
use jwtlens_jose::fingerprint;
use jwtlens_jwks::KeySource;
use jwtlens_keys::mint::{self, Variant};
use jwtlens_keys::verify::{self, RemoteOutcome};
use jwtlens_settings::Trust;

/// Decodes the token: `{header, payload, facts, fixture, findings, range}`.
pub const DECODE: &str = "jwtlens.decode";
/// Mints a test token from the token (argument `variant`, default `replacement`) and
/// applies the edit through `workspace/applyEdit`; returns `{token, variant, keys}`.
pub const MINT: &str = "jwtlens.mint";

/// Verifies the token's signature with its issuer's published keys (the only command that
/// uses the network); the outcome becomes a diagnostic and a message, and is returned.
pub const VERIFY: &str = "jwtlens.verify";

/// Every command the server executes.
pub fn all() -> Vec<String> {
    [DECODE, MINT, VERIFY, code_lens::EXPLAIN, compare::COMPARE]
        .iter()
        .map(|command| command.to_string())
        .collect()
}

/// The argument every command takes: where the token is, and for `jwtlens.mint` which
/// variant. `{"textDocument": {"uri"}, "position"}` or the flat `{"uri", "position"}`,
/// plus the token's `fingerprint` in the arguments of code actions.
#[derive(Debug, Clone)]
pub struct TokenArgument {
    pub uri: Url,
    pub position: Position,
    pub variant: Option<String>,
    /// SHA-256 of the token's text ([`fingerprint`]): the token is looked for by it, the
    /// occurrence nearest `position` winning; without it, the token at `position`.
    pub fingerprint: Option<String>,
}

impl TokenArgument {
    pub(crate) fn parse(value: Value) -> Option<TokenArgument> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            text_document: Option<TextDocumentIdentifier>,
            uri: Option<Url>,
            position: Position,
            variant: Option<String>,
            fingerprint: Option<String>,
        }
        let raw: Raw = serde_json::from_value(value).ok()?;
        let uri = raw.text_document.map(|document| document.uri).or(raw.uri)?;
        Some(TokenArgument {
            uri,
            position: raw.position,
            variant: raw.variant,
            fingerprint: raw.fingerprint,
        })
    }

    fn to_value(&self, variant: Option<Variant>) -> Value {
        let mut value = json!({"textDocument": {"uri": self.uri}, "position": self.position});
        if let Some(variant) = variant {
            value["variant"] = json!(variant.name());
        }
        if let Some(fingerprint) = &self.fingerprint {
            value["fingerprint"] = json!(fingerprint);
        }
        value
    }

    /// The token this argument names in `analysis` (the document as it is now).
    pub(crate) fn locate<'a>(&self, analysis: &'a Analysis) -> Result<&'a TokenReport> {
        let offset = analysis.index.offset(&analysis.text, self.position);
        let Some(wanted) = &self.fingerprint else {
            return analysis.report_at(offset).ok_or_else(no_token);
        };
        analysis
            .reports
            .iter()
            .filter(|report| token_fingerprint(analysis, report) == *wanted)
            .min_by_key(|report| {
                let range = &report.token.range;
                range.start.saturating_sub(offset) + offset.saturating_sub(range.end)
            })
            .ok_or_else(token_gone)
    }
}

fn usage(command: &str) -> Error {
    Error::invalid_params(format!(
        "{command} takes one argument: {{\"textDocument\": {{\"uri\": …}}, \"position\": {{\"line\": …, \"character\": …}}}}"
    ))
}

fn token_fingerprint(analysis: &Analysis, report: &TokenReport) -> String {
    fingerprint(report.token.compact(analysis.text.as_bytes()))
}

fn no_token() -> Error {
    Error::invalid_params("no JWT at this position")
}

const TOKEN_GONE: &str =
    "the token is no longer in the document (it changed since the action was offered); nothing was changed";

/// The document changed under the command (LSP's ContentModified).
fn token_gone() -> Error {
    Error {
        code: ErrorCode::ContentModified,
        message: TOKEN_GONE.into(),
        data: None,
    }
}

/// LSP's RequestFailed: the request was valid, what it asked for did not happen.
const REQUEST_FAILED: i64 = -32803;

/// Runs a command.
pub(super) async fn execute(
    shared: &Arc<Shared>,
    params: ExecuteCommandParams,
) -> Result<Option<Value>> {
    let command = params.command.as_str();
    if !all().iter().any(|known| known == command) {
        return Err(Error::invalid_params(format!("unknown command {command}")));
    }
    match command {
        code_lens::EXPLAIN => return code_lens::explain_command(shared, params.arguments).await,
        compare::COMPARE => return compare::compare_command(shared, params.arguments).await,
        _ => {}
    }
    let argument = params
        .arguments
        .into_iter()
        .next()
        .and_then(TokenArgument::parse)
        .ok_or_else(|| usage(command))?;
    let analysis = shared.analysis(&argument.uri).await.ok_or_else(no_token)?;
    match command {
        DECODE => analysis
            .decoded(argument.position)
            .map(Some)
            .ok_or_else(no_token),
        VERIFY => verify_command(shared, &analysis, &argument).await.map(Some),
        _ => mint_command(shared, &analysis, &argument).await.map(Some),
    }
}

/// Where the token's issuer publishes its keys, if that can be known without asking.
fn key_source(analysis: &Analysis, report: &TokenReport) -> Option<KeySource> {
    let provider = report
        .facts
        .provider
        .as_ref()
        .map(|provider| provider.id.as_str());
    jwtlens_jwks::key_source_in(&analysis.config, report.token.str_claim("iss"), provider)
}

async fn verify_command(
    shared: &Arc<Shared>,
    analysis: &Analysis,
    argument: &TokenArgument,
) -> Result<Value> {
    let report = locate_or_tell(shared, argument, analysis).await?;
    let source = key_source(analysis, report).ok_or_else(|| {
        Error::invalid_params(
            "no key source for this token: it has no https iss; name a JWKS URL for its issuer in keys.jwks_urls",
        )
    })?;
    let text = analysis.text.as_bytes();
    let outcome = jwtlens_jwks::verify_remote(
        &shared.fetcher,
        &source,
        &report.token,
        text,
        timefmt::now(),
    )
    .await;
    let (kind, message, result) = match &outcome {
        RemoteOutcome::Verified {
            kid,
            url,
            at,
            workspace_configured,
        } => {
            let kid = kid.as_deref().unwrap_or("without kid");
            let message = format!(
                "jwtlens: signature verified with key {kid} from {} at {}",
                verify::describe_key_set(url, *workspace_configured),
                timefmt::utc_date(*at)
            );
            (
                MessageType::INFO,
                message,
                json!({"verified": true, "kid": kid, "url": url}),
            )
        }
        RemoteOutcome::Failed { reason } => (
            MessageType::WARNING,
            format!("jwtlens: signature not verified: {reason}"),
            json!({"verified": false, "reason": reason, "url": source.url}),
        ),
    };
    shared
        .record_remote(fingerprint(report.token.compact(text)), outcome)
        .await;
    // The kid, the URL and the reason come from the token and the key server.
    let message = escape_controls(&message).into_owned();
    shared.client.show_message(kind, message).await;
    Ok(result)
}

async fn mint_command(
    shared: &Arc<Shared>,
    analysis: &Analysis,
    argument: &TokenArgument,
) -> Result<Value> {
    let name = argument.variant.as_deref().unwrap_or("replacement");
    let variant = Variant::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Variant::ALL.iter().map(|variant| variant.name()).collect();
        Error::invalid_params(format!(
            "unknown variant {name}; one of {}",
            names.join(", ")
        ))
    })?;
    let report = locate_or_tell(shared, argument, analysis).await?;
    refuse_split_copy(report, variant)?;
    let claims = report.token.claims().ok_or_else(|| {
        Error::invalid_params("this token has no readable claims to copy (encrypted or malformed)")
    })?;
    let config = &analysis.config;
    let cannot_mint = |err: mint::MintError| Error::invalid_params(format!("cannot mint: {err}"));
    // Refused in restricted mode. With no workspace the keys stay beside the document.
    let keys = match &config.root {
        Some(_) => config.test_keys(),
        None => {
            let dir = argument
                .uri
                .to_file_path()
                .ok()
                .and_then(|path| path.parent().map(|parent| parent.to_path_buf()));
            config.test_keys_in(&dir.unwrap_or_else(|| ".".into()))
        }
    }
    .map_err(cannot_mint)?;
    let had_keys = keys.exist();
    // `.gitignore` first: when it cannot be updated, no private key is created.
    if !had_keys && config.settings.mint.private_keys {
        if let Some(root) = &config.root {
            mint::keep_private(root, &config.settings.mint.keys_dir)
                .map_err(|err| Error::invalid_params(format!("cannot update .gitignore: {err}")))?;
        }
    }
    let token = mint::mint(
        &keys,
        &report.token.header,
        claims,
        variant,
        config.settings.mint.lifetime,
        timefmt::now(),
    )
    .map_err(cannot_mint)?;
    if !had_keys {
        // New test keys: tokens they sign are fixtures from now on (whether or not the
        // edit below is applied: the keys exist either way).
        shared.reload_config().await;
    }
    // Minting takes a while when it creates the keys, and the editor keeps sending
    // changes: find the token again in the newest text and compute the edit there, for
    // that version.
    let minted_from = TokenArgument {
        fingerprint: Some(token_fingerprint(analysis, report)),
        ..argument.clone()
    };
    let Some(current) = shared.analysis(&argument.uri).await else {
        return Err(refused(shared, token_gone()).await); // closed meanwhile
    };
    let report = locate_or_tell(shared, &minted_from, &current).await?;
    refuse_split_copy(report, variant)?;
    let warning = variant
        .replaces()
        .then(|| history_warning(report))
        .flatten();
    let edit = mint_edit(&current, report, &token, variant);
    let workspace_edit = workspace_edit(shared, &argument.uri, current.version, edit);
    let applied = shared.apply_edit(workspace_edit).await?;
    if !applied.applied {
        let why = applied
            .failure_reason
            .unwrap_or_else(|| "the editor refused it".to_owned());
        let error = Error {
            code: ErrorCode::ServerError(REQUEST_FAILED),
            message: format!(
                "the minted token was not written ({why}); if the document changed meanwhile, run the action again"
            )
            .into(),
            data: None,
        };
        return Err(refused(shared, error).await);
    }
    if let Some(warning) = warning {
        let message = escape_controls(&warning).into_owned();
        shared
            .client
            .show_message(MessageType::WARNING, message)
            .await;
    }
    Ok(json!({"token": token, "variant": variant.name(), "keys": keys.dir()}))
}

/// What to tell the user once a live credential (JWT104: valid, from a real issuer,
/// outside fixture context) is replaced: the edit removes it from the file, not from the
/// commits that hold it.
fn history_warning(report: &TokenReport) -> Option<String> {
    if !report.findings.iter().any(|f| f.rule.code == "JWT104") {
        return None;
    }
    let issuer = report.token.str_claim("iss").unwrap_or("its issuer");
    let validity = match report.token.numeric_claim("exp") {
        Some(exp) => format!("valid until {}", timefmt::utc_date(exp)),
        None => "it never expires".to_owned(),
    };
    Some(format!(
        "jwtlens: replaced a live credential ({validity}). If it was ever committed, it stays in the git history: revoke it at {issuer} (`jwtlens check --history` lists every such token)."
    ))
}

/// The token `argument` names in `analysis`; when it is gone, the user is told too.
async fn locate_or_tell<'a>(
    shared: &Shared,
    argument: &TokenArgument,
    analysis: &'a Analysis,
) -> Result<&'a TokenReport> {
    match argument.locate(analysis) {
        Err(err) if err.code == ErrorCode::ContentModified => Err(refused(shared, err).await),
        located => located,
    }
}

/// Tells the user why nothing was written (a command run from a code action has no other
/// way to say so in most editors) and returns the error for the command's answer.
async fn refused(shared: &Shared, error: Error) -> Error {
    shared
        .client
        .show_message(MessageType::WARNING, format!("jwtlens: {}", error.message))
        .await;
    error
}

/// `edit` to the document at `version`: a versioned `TextDocumentEdit` when the client
/// supports them, so that it refuses the edit if its text is no longer that version.
fn workspace_edit(shared: &Shared, uri: &Url, version: i32, edit: TextEdit) -> WorkspaceEdit {
    if shared.state().can_version_edits {
        return fixes::versioned_edit(uri, version, edit);
    }
    // Not fully safe, but the best such a client allows: it applies the edit to whatever
    // text it has. The edit was computed from the newest text the server had when the
    // command ran, so it is right unless the document changed in the moment between the
    // editor's last didChange and its applying the edit; only a version closes that
    // window. VS Code, Neovim, eglot and Helix all declare documentChanges.
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
        ..WorkspaceEdit::default()
    }
}

/// A negative-test variant goes on a copy of the token's line, which for a token split over
/// several literals or lines would be a fragment of the expression (or join the original's
/// pieces, as adjacent literals do): refused. Replacements are fine: they write one literal's
/// content over the whole span, which is valid wherever the pieces were.
fn refuse_split_copy(report: &TokenReport, variant: Variant) -> Result<()> {
    if report.token.joined.is_none() || variant.replaces() {
        return Ok(());
    }
    Err(Error::invalid_params(format!(
        "cannot mint the {} variant next to this token: it is split over several lines, so a copy of its line would not be valid code; mint a replacement instead (it writes the whole token as one literal)",
        variant.name()
    )))
}

/// Replacements take the token's place (for a split token, the whole span from its first
/// piece to its last, written as one literal); negative-test variants go on a copy of its line
/// below it, so the original stays and the copy keeps the surrounding syntax. Lines end
/// as LSP says (`\n`, `\r\n` or a lone `\r`); the copy ends its line with the same line
/// break, or with the one before it on a last line without one.
fn mint_edit(analysis: &Analysis, report: &TokenReport, token: &str, variant: Variant) -> TextEdit {
    let text = analysis.text.as_str();
    let range = report.token.range.clone();
    if variant.replaces() {
        return TextEdit {
            range: analysis.index.ranges(text).range(range),
            new_text: token.to_owned(),
        };
    }
    // Not split (see `refuse_split_copy`): the token is on one line.
    let line = analysis.index.line_at(text, range.start);
    let line_break = if !line.line_break.is_empty() {
        &text[line.line_break]
    } else if let Some(previous) = line.content.start.checked_sub(1) {
        &text[analysis.index.line_at(text, previous).line_break]
    } else {
        "\n"
    };
    let copy = format!(
        "{line_break}{}{token}{}",
        &text[line.content.start..range.start],
        &text[range.end..line.content.end]
    );
    let at = analysis.index.position(text, line.content.end);
    TextEdit {
        range: Range::new(at, at),
        new_text: copy,
    }
}

/// The kind of the Decode action: a `refactor` kind, which VS Code lists in its lightbulb
/// and Quick Fix menus (under "More Actions") without tying it to a diagnostic.
pub const DECODE_KIND: &str = "refactor.jwtlens.decode";
/// The kind of the Verify action.
pub const VERIFY_KIND: &str = "refactor.jwtlens.verify";

/// Whether the client asked for actions of `kind`: `only` lists kinds whose actions it
/// wants, each also covering the kinds below it (`refactor` covers `refactor.extract`).
fn wanted(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    let Some(only) = only.filter(|only| !only.is_empty()) else {
        return true;
    };
    let kind = kind.as_str();
    only.iter().map(CodeActionKind::as_str).any(|prefix| {
        prefix.is_empty()
            || kind == prefix
            || kind
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// What the quick fixes that silence a finding need besides the analysis.
pub struct FixContext<F: FnOnce() -> Option<WorkspaceConfig>> {
    /// The document's comment syntax (`None`: no inline fix).
    pub comment: Option<CommentSyntax>,
    /// The workspace's `.jwtlens.toml`, read when a finding needs it (`None`: no
    /// workspace fix).
    pub workspace_config: F,
}

/// The code actions for the token under `range`, of the kinds the client asked for.
pub fn code_actions<F: FnOnce() -> Option<WorkspaceConfig>>(
    analysis: &Analysis,
    uri: &Url,
    range: Range,
    context: &CodeActionContext,
    fix: FixContext<F>,
) -> Vec<CodeActionOrCommand> {
    let offset = analysis.index.offset(&analysis.text, range.start);
    let Some(report) = analysis.report_at(offset) else {
        return Vec::new();
    };
    let only = context.only.as_deref();
    let argument = TokenArgument {
        uri: uri.clone(),
        position: range.start,
        variant: None,
        fingerprint: Some(token_fingerprint(analysis, report)),
    };
    let token_diagnostics: Vec<&Diagnostic> = context
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.source.as_deref() == Some("jwtlens"))
        .filter(|diagnostic| {
            let start = analysis
                .index
                .offset(&analysis.text, diagnostic.range.start);
            report.token.range.contains(&start)
        })
        .collect();
    let mut actions = Vec::new();
    if wanted(only, &CodeActionKind::QUICKFIX) {
        actions.extend(suppress_actions(
            analysis,
            uri,
            report,
            &token_diagnostics,
            fix,
        ));
    }
    let command_action =
        |title: String, kind: &'static str, command: &str, argument: Value| CodeAction {
            title: title.clone(),
            kind: Some(CodeActionKind::new(kind)),
            command: Some(Command {
                title,
                command: command.to_owned(),
                arguments: Some(vec![argument]),
            }),
            ..CodeAction::default()
        };
    actions.push(command_action(
        "Decode token (header, claims, findings)".to_owned(),
        DECODE_KIND,
        DECODE,
        argument.to_value(None),
    ));
    if report.token.claims().is_some() {
        actions.extend(mint_actions(
            analysis,
            report,
            &argument,
            &token_diagnostics,
        ));
    }
    if let Some(source) = key_source(analysis, report) {
        let keys = if source.workspace_configured {
            "workspace-configured key set"
        } else {
            "issuer keys"
        };
        actions.push(command_action(
            format!("Verify signature with {keys} (GET {})", source.url),
            VERIFY_KIND,
            VERIFY,
            argument.to_value(None),
        ));
    }
    actions
        .into_iter()
        .filter(|action| action.kind.as_ref().is_some_and(|kind| wanted(only, kind)))
        .map(CodeActionOrCommand::CodeAction)
        .collect()
}

/// For each rule that fired on the token: ignore it on this line (when the file has
/// comments), and turn it off for the workspace (when `.jwtlens.toml` can be edited).
fn suppress_actions<F: FnOnce() -> Option<WorkspaceConfig>>(
    analysis: &Analysis,
    uri: &Url,
    report: &TokenReport,
    token_diagnostics: &[&Diagnostic],
    fix: FixContext<F>,
) -> Vec<CodeAction> {
    let mut rules: Vec<_> = report.findings.iter().map(|finding| finding.rule).collect();
    rules.dedup_by_key(|rule| rule.code);
    if rules.is_empty() {
        return Vec::new();
    }
    let diagnostics_of = |rule: &Rule| {
        let of_rule: Vec<Diagnostic> = token_diagnostics
            .iter()
            .filter(|diagnostic| {
                diagnostic.code == Some(NumberOrString::String(rule.code.to_owned()))
            })
            .map(|diagnostic| (*diagnostic).clone())
            .collect();
        (!of_rule.is_empty()).then_some(of_rule)
    };
    let mut actions = Vec::new();
    if let Some(comment) = fix.comment {
        for rule in &rules {
            let edit = fixes::suppress_edit(analysis, report, rule, comment);
            actions.push(CodeAction {
                title: format!("Ignore {} ({}) on this line", rule.code, rule.name),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: diagnostics_of(rule),
                edit: Some(fixes::versioned_edit(uri, analysis.version, edit)),
                ..CodeAction::default()
            });
        }
    }
    if let Some(config) = (fix.workspace_config)() {
        for rule in &rules {
            if let Some(edit) = fixes::rule_off_edit(&config, rule) {
                actions.push(CodeAction {
                    title: fixes::rule_off_title(rule),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: diagnostics_of(rule),
                    edit: Some(edit),
                    ..CodeAction::default()
                });
            }
        }
    }
    actions
}

/// Mint a replacement (quick fixes, preferred for a committed live credential) or a
/// negative-test variant (refactorings).
fn mint_actions(
    analysis: &Analysis,
    report: &TokenReport,
    argument: &TokenArgument,
    token_diagnostics: &[&Diagnostic],
) -> Vec<CodeAction> {
    let lifetime = timefmt::duration(analysis.config.settings.mint.lifetime);
    let committed = report
        .findings
        .iter()
        .any(|finding| finding.rule.code == "JWT104");
    // Restricted mode: offered greyed out, with the reason, where the client shows that.
    let disabled = (analysis.config.trust == Trust::Restricted).then(|| CodeActionDisabled {
        reason: RESTRICTED_MINT.to_owned(),
    });
    let action = |title: String, kind: CodeActionKind, variant: Variant, preferred: bool| {
        let arguments = Some(vec![argument.to_value(Some(variant))]);
        CodeAction {
            title: title.clone(),
            kind: Some(kind),
            disabled: disabled.clone(),
            diagnostics: (variant.replaces() && !token_diagnostics.is_empty())
                .then(|| token_diagnostics.iter().map(|d| (*d).clone()).collect()),
            is_preferred: preferred.then_some(true),
            command: Some(Command {
                title,
                command: MINT.to_owned(),
                arguments,
            }),
            ..CodeAction::default()
        }
    };
    // Negative-test variants copy the token's line, which a split token does not fit on.
    let split = report.token.joined.is_some();
    let mint = [
        (
            format!("Mint replacement test token (expires in {lifetime})"),
            CodeActionKind::QUICKFIX,
            Variant::Replacement,
            committed,
        ),
        (
            format!("Mint replacement test token, anonymised (expires in {lifetime})"),
            CodeActionKind::QUICKFIX,
            Variant::Anonymised,
            false,
        ),
        (
            "Mint expired variant (for negative tests)".to_owned(),
            CodeActionKind::REFACTOR,
            Variant::Expired,
            false,
        ),
        (
            "Mint variant with wrong audience".to_owned(),
            CodeActionKind::REFACTOR,
            Variant::WrongAudience,
            false,
        ),
        (
            "Mint unsigned (alg none) variant".to_owned(),
            CodeActionKind::REFACTOR,
            Variant::Unsigned,
            false,
        ),
    ];
    mint.into_iter()
        .filter(|(_, _, variant, _)| !split || variant.replaces())
        .map(|(title, kind, variant, preferred)| action(title, kind, variant, preferred))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_matches_kinds_by_prefix() {
        let kinds = |names: &[&'static str]| -> Vec<CodeActionKind> {
            names.iter().map(|name| CodeActionKind::new(name)).collect()
        };
        let decode = CodeActionKind::new(DECODE_KIND);
        assert!(wanted(None, &decode));
        assert!(wanted(Some(&kinds(&["refactor"])), &decode));
        assert!(wanted(Some(&kinds(&[""])), &decode));
        assert!(wanted(Some(&kinds(&[DECODE_KIND])), &decode));
        assert!(!wanted(Some(&kinds(&["quickfix"])), &decode));
        assert!(!wanted(Some(&kinds(&["refactor.jwt"])), &decode));
        assert!(!wanted(
            Some(&kinds(&["refactor.jwtlens.decode.more"])),
            &decode
        ));
        assert!(!wanted(
            Some(&kinds(&["refactor.extract", "source"])),
            &decode
        ));
        assert!(wanted(
            Some(&kinds(&["source", "quickfix"])),
            &CodeActionKind::QUICKFIX
        ));
    }
}
