//! The language server: a thin layer that keeps documents, runs the engine off the async
//! runtime, and converts its byte offsets to LSP positions (in `position`, nowhere else).

mod code_lens;
mod commands;
mod compare;
mod document;
mod fixes;
mod log_name;
mod memory;
pub use memory::limit_arenas;
mod navigation;
pub mod position;
mod templates;
mod transport;
mod workspace;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use futures::future::{BoxFuture, FutureExt, Shared as SharedFuture};

use serde_json::{json, Value};
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::request::{
    ApplyWorkspaceEdit, CodeLensRefresh, InlayHintRefreshRequest, RegisterCapability,
    WorkspaceConfiguration,
};
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer, LspService};

use document::DocumentText;
use jwtlens_engine::analysis::{self, DocumentContext, Finding, TokenReport};
use jwtlens_engine::config::{read_config_file, Config};
use jwtlens_engine::hover;
use jwtlens_engine::rules::Rule;
use jwtlens_engine::timefmt;
use jwtlens_engine::untrusted::escape_controls;
use jwtlens_keys::verify::{RemoteOutcome, RemoteResults};
use jwtlens_settings::{ConfigError, Level, Settings, Trust, CONFIG_FILE};
use log_name::LogName;
use position::{Encoding, PositionIndex};
use transport::{ClientRequestError, ClientRequests};

pub use transport::{parse_size, Limits};

/// Serves LSP on stdin/stdout until the client sends `exit` or closes stdin.
pub async fn serve_stdio(limits: Limits) {
    serve_with(tokio::io::stdin(), tokio::io::stdout(), limits).await;
}

/// Serves LSP on any byte streams (tests use an in-memory pipe), with the default limits.
pub async fn serve<I, O>(input: I, output: O)
where
    I: tokio::io::AsyncRead + Unpin,
    O: tokio::io::AsyncWrite + Unpin,
{
    serve_with(input, output, Limits::default()).await;
}

/// Serves LSP on any byte streams within `limits`.
pub async fn serve_with<I, O>(input: I, output: O, limits: Limits)
where
    I: tokio::io::AsyncRead + Unpin,
    O: tokio::io::AsyncWrite + Unpin,
{
    transport::serve(input, output, limits, |requests| {
        LspService::build(|client| Backend::new(client, requests))
            .custom_method(DOCUMENT_SUMMARY, Backend::document_summary)
            .finish()
    })
    .await;
}

/// A jwtlens request: `{"textDocument": {"uri"}}` → `{"tokens", "findings"}`, the counts of
/// tokens and findings in an open document (for an editor's status line), or null when
/// the document is not open.
pub const DOCUMENT_SUMMARY: &str = "jwtlens/documentSummary";

/// The `tower_lsp` service; all state lives in [`Shared`] so background tasks can hold it.
pub struct Backend {
    shared: Arc<Shared>,
}

struct Shared {
    /// Notifications to the client.
    client: Client,
    /// Requests to the client (with a timeout; tower-lsp's `Client` has none).
    requests: ClientRequests,
    state: Mutex<State>,
    /// Last published (version, configuration generation) per document. Held while
    /// deciding whether to publish and publishing, so that diagnostics of an older
    /// version or configuration never overwrite newer ones.
    published: tokio::sync::Mutex<HashMap<Url, (i32, u64)>>,
    /// Fetches issuer keys when the user asks for a verification; nothing else connects.
    fetcher: jwtlens_jwks::Fetcher,
    workspace: workspace::WorkspaceDiagnostics,
}

struct State {
    root: Option<PathBuf>,
    encoding: Encoding,
    /// The editor's settings as last sent (initializationOptions or didChangeConfiguration).
    editor_settings: Option<Value>,
    /// Whether the user trusts the folder, as the editor last said (`trustedWorkspace`);
    /// settings that do not mention it leave it as it was.
    trust: Trust,
    config: Arc<Config>,
    /// Bumped on every configuration change, so cached analyses are redone.
    generation: u64,
    /// Outcomes of on-request verifications, by token fingerprint.
    remote: Arc<RemoteResults>,
    /// Why `.jwtlens.toml` was not applied, when it was not.
    config_error: Option<ConfigError>,
    /// The client answers `workspace/configuration` requests.
    can_pull_configuration: bool,
    /// The client lets us register a watcher for the config file.
    can_watch_files: bool,
    /// The client re-requests inlay hints when asked to.
    can_refresh_inlay_hints: bool,
    /// The client re-requests code lenses when asked to.
    can_refresh_code_lenses: bool,
    /// The client applies versioned `documentChanges` (and refuses stale ones).
    can_version_edits: bool,
    /// The client creates files through `documentChanges`.
    can_create_files: bool,
    documents: HashMap<Url, Document>,
}

struct Document {
    text: DocumentText,
    version: i32,
    /// Workspace-relative path, for fixture context and ignore globs.
    path: Option<PathBuf>,
    /// The editor's language id, for the comment syntax of the suppress quick fix.
    language_id: String,
    analysis: Option<Arc<Analysis>>,
    /// The analysis being worked out, for the version and generation it is of: requests
    /// and the publisher that want the same one wait for it rather than start another.
    pending: Option<PendingAnalysis>,
    /// A publisher runs for this document ([`Shared::publish_newest`]).
    publishing: bool,
}

struct PendingAnalysis {
    of: (i32, u64),
    analysis: SharedFuture<BoxFuture<'static, Option<Arc<Analysis>>>>,
}

/// From this length on, a document's line index is built beside the engine's analysis.
const INDEX_BESIDE_ANALYSIS_FROM: usize = 1 << 20;

/// The engine's output for one document version under one configuration.
pub struct Analysis {
    version: i32,
    generation: u64,
    text: Arc<String>,
    index: PositionIndex,
    reports: Vec<TokenReport>,
    /// Findings of the Clerk JWT template rules, when the document is a template.
    template_findings: Vec<Finding>,
    config: Arc<Config>,
    /// Each token's named-policy decisions, for the code lens and the hover (worked out
    /// per token on first use: a hover needs only its own token's).
    decisions: Vec<std::sync::OnceLock<Vec<jwtlens_engine::decision::Decision>>>,
}

impl Analysis {
    /// The document version and configuration generation analysed.
    fn of(&self) -> (i32, u64) {
        (self.version, self.generation)
    }

    /// Runs the engine over one document version.
    pub fn compute(snapshot: Snapshot) -> Analysis {
        let cx = DocumentContext {
            path: snapshot.path.as_deref(),
            config: &snapshot.config,
            now: timefmt::now(),
            remote: Some(&snapshot.remote),
        };
        let text = snapshot.text.as_bytes();
        let positions = || PositionIndex::new(&snapshot.text, snapshot.encoding);
        let (reports, index) = if text.len() < INDEX_BESIDE_ANALYSIS_FROM {
            (analysis::analyse(text, &cx), positions())
        } else {
            // A long document's line index (250,000 lines in 10 MB) is built on a thread
            // of its own while the engine reads the same text: a keystroke's diagnostics
            // come sooner by the time that takes.
            std::thread::scope(|scope| {
                let index = scope.spawn(positions);
                let reports = analysis::analyse(text, &cx);
                let index = index
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (reports, index)
            })
        };
        let template_findings = analysis::analyse_template(text, &cx);
        Analysis {
            version: snapshot.version,
            generation: snapshot.generation,
            text: snapshot.text,
            index,
            template_findings,
            config: snapshot.config,
            decisions: reports.iter().map(|_| std::sync::OnceLock::new()).collect(),
            reports,
        }
    }

    /// The named-policy decisions on the token `self.reports[index]`.
    fn decisions(&self, index: usize) -> &[jwtlens_engine::decision::Decision] {
        self.decisions[index].get_or_init(|| code_lens::decisions(self, &self.reports[index]))
    }

    /// The hover for the token at `position`, if there is one.
    pub fn hover(&self, position: Position) -> Option<Hover> {
        let offset = self.index.offset(&self.text, position);
        let index = self.report_index_at(offset)?;
        let report = &self.reports[index];
        let findings = if self.config.settings.hover_findings {
            hover::Findings::Listed
        } else {
            hover::Findings::ShownByEditor
        };
        let mut markdown = hover::render(report, self.text.as_bytes(), timefmt::now(), findings);
        markdown.push_str(&hover::policies(self.decisions(index)));
        let range = self
            .index
            .ranges(&self.text)
            .range(report.token.range.clone());
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: markdown,
            }),
            range: Some(range),
        })
    }

    /// One summary hint before each token that overlaps `range`, when enabled: before it,
    /// as most tokens are long and a hint after one sits past the window's right edge.
    pub fn inlay_hints(&self, range: Range) -> Vec<InlayHint> {
        if !self.config.settings.inlay_hints {
            return Vec::new();
        }
        let start = self.index.offset(&self.text, range.start);
        let end = self.index.offset(&self.text, range.end);
        let first = self
            .reports
            .partition_point(|report| report.token.range.end < start);
        let now = timefmt::now();
        let mut cursor = self.index.ranges(&self.text);
        self.reports[first..]
            .iter()
            .take_while(|report| report.token.range.start <= end)
            .map(|report| InlayHint {
                position: cursor.position(report.token.range.start),
                label: InlayHintLabel::String(hover::summary(report, now)),
                kind: None,
                text_edits: None,
                tooltip: hover::most_severe(report).map(|finding| {
                    InlayHintTooltip::String(format!(
                        "{} {}: {}",
                        finding.rule.code,
                        finding.rule.name,
                        escape_controls(&finding.message)
                    ))
                }),
                padding_left: None,
                padding_right: Some(true),
                data: None,
            })
            .collect()
    }

    /// The token at `position` as JSON: header, payload, facts, findings and its range.
    pub fn decoded(&self, position: Position) -> Option<Value> {
        let offset = self.index.offset(&self.text, position);
        let report = self.report_at(offset)?;
        let mut decoded = hover::decoded_json(report);
        let range = self
            .index
            .ranges(&self.text)
            .range(report.token.range.clone());
        if let Value::Object(fields) = &mut decoded {
            fields.insert(
                "range".to_owned(),
                serde_json::to_value(range).unwrap_or(Value::Null),
            );
        }
        Some(decoded)
    }

    /// The report of the token at `offset` (the end of a token counts, so a cursor just
    /// after it still hovers it).
    fn report_at(&self, offset: usize) -> Option<&TokenReport> {
        Some(&self.reports[self.report_index_at(offset)?])
    }

    /// The index in `reports` of the token at `offset`.
    fn report_index_at(&self, offset: usize) -> Option<usize> {
        let after = self
            .reports
            .partition_point(|report| report.token.range.start <= offset);
        let index = after.checked_sub(1)?;
        (offset <= self.reports[index].token.range.end).then_some(index)
    }

    /// Every finding as an LSP diagnostic, at most `max_diagnostics` of them.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let settings = &self.config.settings;
        let mut cursor = self.index.ranges(&self.text);
        let mut diagnostics = Vec::new();
        let mut left_out = 0;
        let mut links = RuleLinks::new(&settings.docs_url);
        for report in &self.reports {
            let range = cursor.range(report.token.range.clone());
            if let (Some(RemoteOutcome::Verified { .. }), Some(note)) =
                (&report.remote, &report.signature)
            {
                diagnostics.push(Diagnostic {
                    range,
                    severity: Some(DiagnosticSeverity::INFORMATION),
                    source: Some("jwtlens".to_owned()),
                    message: format!("signature {}", escape_controls(note)),
                    ..Diagnostic::default()
                });
            }
            for finding in &report.findings {
                if diagnostics.len() >= settings.max_diagnostics {
                    left_out += 1;
                    continue;
                }
                diagnostics.push(finding_diagnostic(range, finding, &mut links));
            }
        }
        let mut cursor = self.index.ranges(&self.text);
        for finding in &self.template_findings {
            if diagnostics.len() >= settings.max_diagnostics {
                left_out += 1;
                continue;
            }
            let range = cursor.range(finding.range.clone());
            diagnostics.push(finding_diagnostic(range, finding, &mut links));
        }
        if left_out > 0 {
            diagnostics.push(Diagnostic {
                range: Range::default(),
                severity: Some(DiagnosticSeverity::INFORMATION),
                source: Some("jwtlens".to_owned()),
                message: format!(
                    "{left_out} more findings not shown (max_diagnostics is {}); run `jwtlens check` on this file for all of them",
                    settings.max_diagnostics
                ),
                ..Diagnostic::default()
            });
        }
        diagnostics
    }
}

/// Analyses `snapshot` on the blocking pool; any number of callers may wait for the
/// outcome. Each analysis is logged at debug level, the document named by `document` (a
/// [`LogName`]), so that a log shows how many versions were analysed.
fn compute_off_runtime(
    snapshot: Snapshot,
    document: String,
) -> SharedFuture<BoxFuture<'static, Option<Arc<Analysis>>>> {
    async move {
        let started = Instant::now();
        let analysis = tokio::task::spawn_blocking(move || Arc::new(Analysis::compute(snapshot)))
            .await
            .ok()?;
        let (version, tokens) = (analysis.version, analysis.reports.len());
        tracing::debug!(%document, version, tokens, elapsed = ?started.elapsed(), "analysed");
        Some(analysis)
    }
    .boxed()
    .shared()
}

/// Each rule's documentation link, parsed once per set of diagnostics rather than once
/// per finding (a 10 MB document has thousands of findings and a few dozen rules).
struct RuleLinks<'a> {
    docs_url: &'a str,
    parsed: HashMap<&'static str, Option<CodeDescription>>,
}

impl<'a> RuleLinks<'a> {
    fn new(docs_url: &'a str) -> Self {
        RuleLinks {
            docs_url,
            parsed: HashMap::new(),
        }
    }

    fn of(&mut self, rule: &Rule) -> Option<CodeDescription> {
        let docs_url = self.docs_url;
        self.parsed
            .entry(rule.code)
            .or_insert_with(|| {
                let anchor = format!("{}-{}", rule.code.to_ascii_lowercase(), rule.name);
                Url::parse(&format!("{docs_url}#{anchor}"))
                    .ok()
                    .map(|href| CodeDescription { href })
            })
            .clone()
    }
}

/// The diagnostic of one finding, at `range`.
fn finding_diagnostic(range: Range, finding: &Finding, links: &mut RuleLinks) -> Diagnostic {
    let rule = finding.rule;
    Diagnostic {
        range,
        severity: Some(severity(finding.level)),
        code: Some(NumberOrString::String(rule.code.to_owned())),
        code_description: links.of(rule),
        source: Some("jwtlens".to_owned()),
        message: escape_controls(&finding.message).into_owned(),
        data: Some(json!({
            "rule": rule.code,
            "start": finding.range.start,
            "end": finding.range.end,
        })),
        ..Diagnostic::default()
    }
}

fn severity(level: Level) -> DiagnosticSeverity {
    match level {
        Level::Error => DiagnosticSeverity::ERROR,
        Level::Warning => DiagnosticSeverity::WARNING,
        Level::Info => DiagnosticSeverity::INFORMATION,
        Level::Hint | Level::Off => DiagnosticSeverity::HINT,
    }
}

/// What an analysis needs, taken under the lock and used without it.
pub struct Snapshot {
    pub text: Arc<String>,
    pub version: i32,
    /// Workspace-relative path, for fixture context and ignore globs.
    pub path: Option<PathBuf>,
    pub config: Arc<Config>,
    /// The configuration generation the analysis belongs to.
    pub generation: u64,
    pub encoding: Encoding,
    /// Outcomes of verifications the user asked for.
    pub remote: Arc<RemoteResults>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock must not take the server down.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The analysis of the document's current version: the cached one, the one being
    /// worked out, or a new one computed off the async runtime.
    async fn analysis(&self, uri: &Url) -> Option<Arc<Analysis>> {
        let (of, pending) = {
            let mut state = self.state();
            let state = &mut *state;
            let document = state.documents.get_mut(uri)?;
            let of = (document.version, state.generation);
            if let Some(cached) = document.analysis.as_ref().filter(|a| a.of() == of) {
                return Some(cached.clone());
            }
            let pending = match &document.pending {
                Some(pending) if pending.of == of => pending.analysis.clone(),
                _ => {
                    let snapshot = Snapshot {
                        text: document.text.snapshot(),
                        version: document.version,
                        path: document.path.clone(),
                        config: state.config.clone(),
                        generation: state.generation,
                        encoding: state.encoding,
                        remote: state.remote.clone(),
                    };
                    let analysis = compute_off_runtime(snapshot, LogName(uri).to_string());
                    document.pending = Some(PendingAnalysis {
                        of,
                        analysis: analysis.clone(),
                    });
                    analysis
                }
            };
            (of, pending)
        };
        let analysis = pending.await;
        let mut state = self.state();
        let generation = state.generation;
        if let Some(document) = state.documents.get_mut(uri) {
            if document
                .pending
                .as_ref()
                .is_some_and(|pending| pending.of == of)
            {
                document.pending = None;
                if (document.version, generation) == of {
                    document.analysis.clone_from(&analysis);
                }
            }
        }
        analysis
    }

    /// Publishes diagnostics of the document's newest version until it stops changing:
    /// versions that changed while one was analysed are never analysed, and a version is
    /// published only while it is the newest. One runs per document at a time
    /// ([`Shared::schedule_publish`]).
    async fn publish_newest(self: Arc<Self>, uri: Url) {
        loop {
            let Some(newest) = self.current(&uri) else {
                return;
            };
            self.publish(&uri).await;
            let mut state = self.state();
            let generation = state.generation;
            let Some(document) = state.documents.get_mut(&uri) else {
                return;
            };
            if (document.version, generation) == newest {
                document.publishing = false;
                return;
            }
        }
    }

    /// Starts a publisher for the document unless one runs already: that one goes on to
    /// the newest version when it is done with the one it has.
    fn schedule_publish(self: &Arc<Self>, uri: Url) {
        {
            let mut state = self.state();
            let Some(document) = state.documents.get_mut(&uri) else {
                return;
            };
            if std::mem::replace(&mut document.publishing, true) {
                return;
            }
        }
        tokio::spawn(self.clone().publish_newest(uri));
    }

    /// The document's version and the configuration generation, if it is open.
    fn current(&self, uri: &Url) -> Option<(i32, u64)> {
        let state = self.state();
        let document = state.documents.get(uri)?;
        Some((document.version, state.generation))
    }

    /// Publishes the document's diagnostics unless something newer was published or the
    /// document changed or closed meanwhile.
    async fn publish(&self, uri: &Url) {
        let Some(analysis) = self.analysis(uri).await else {
            return;
        };
        let diagnostics = analysis.diagnostics();
        let mut published = self.published.lock().await;
        let this = analysis.of();
        if self.current(uri) != Some(this) || published.get(uri).is_some_and(|last| *last >= this) {
            return;
        }
        published.insert(uri.clone(), this);
        // Let go of the analysis before sending: once the client has the diagnostics it
        // may close the document, whose memory is released then (see `memory`).
        drop(analysis);
        self.publish_diagnostics(uri.clone(), diagnostics, Some(this.0))
            .await;
    }

    /// Sends a document's diagnostics (all of them, through [`ClientRequests::notify`]).
    async fn publish_diagnostics(
        &self,
        uri: Url,
        diagnostics: Vec<Diagnostic>,
        version: Option<i32>,
    ) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.requests
            .notify::<notification::PublishDiagnostics>(&params)
            .await;
    }

    /// Reloads settings from `.jwtlens.toml` and the editor, reports a broken config file,
    /// and re-publishes diagnostics for every open document.
    async fn reload_config(self: &Arc<Self>) {
        self.load_config();
        self.report_config_error().await;
        self.republish_all().await;
    }

    /// Keeps the outcome of a verification the user asked for; every open document is
    /// analysed again, as the same token may sit in several.
    async fn record_remote(self: &Arc<Self>, fingerprint: String, outcome: RemoteOutcome) {
        {
            let mut state = self.state();
            Arc::make_mut(&mut state.remote).insert(fingerprint, outcome);
            state.generation += 1;
        }
        self.republish_all().await;
    }

    /// Re-publishes diagnostics (and inlay hints) of every open document after what they
    /// depend on changed.
    async fn republish_all(self: &Arc<Self>) {
        let uris: Vec<Url> = self.state().documents.keys().cloned().collect();
        if self.state().can_refresh_inlay_hints {
            let refresh = self.requests.send::<InlayHintRefreshRequest>(()).await;
            if let Err(err) = refresh {
                tracing::debug!("inlay hint refresh failed: {err}");
            }
        }
        if self.state().can_refresh_code_lenses {
            if let Err(err) = self.requests.send::<CodeLensRefresh>(()).await {
                tracing::debug!("code lens refresh failed: {err}");
            }
        }
        for uri in uris {
            self.schedule_publish(uri);
        }
    }

    /// Reads `.jwtlens.toml` and the editor's settings into the state. A broken file falls
    /// back to the editor's settings alone, then to the defaults, and is kept for
    /// [`Shared::report_config_error`].
    fn load_config(&self) {
        let mut state = self.state();
        let (root, editor, trust) = (
            state.root.as_deref(),
            state.editor_settings.as_ref(),
            state.trust,
        );
        let loaded = Config::load(root, editor, trust);
        let config_error = loaded.as_ref().err().cloned();
        let config = loaded
            .or_else(|_| Config::build(root, None, editor, trust))
            .or_else(|_| Config::compile(Settings::default(), root, trust))
            .unwrap_or_default();
        state.config_error = config_error;
        state.config = Arc::new(config);
        state.generation += 1;
    }

    /// Diagnostics on the config file: why it was not applied (an error, also shown as a
    /// message), which workspace keys were not loaded and why (a refused link or FIFO may
    /// be an attack, so also a message), and what restricted mode ignores. None when all
    /// is well.
    async fn report_config_error(&self) {
        let (root, error, config, encoding) = {
            let state = self.state();
            (
                state.root.clone(),
                state.config_error.clone(),
                state.config.clone(),
                state.encoding,
            )
        };
        let Some(root) = root else { return };
        let Ok(uri) = Url::from_file_path(root.join(CONFIG_FILE)) else {
            return;
        };
        let diagnostic = |severity, message: String| Diagnostic {
            severity: Some(severity),
            source: Some("jwtlens".to_owned()),
            message,
            ..Diagnostic::default()
        };
        let mut diagnostics = Vec::new();
        if let Some(error) = &error {
            let text = error
                .span
                .as_ref()
                .and_then(|_| read_config_file(&root).ok()?);
            let range = match (&error.span, text) {
                (Some(span), Some(text)) => {
                    let index = PositionIndex::new(&text, encoding);
                    index.ranges(&text).range(span.clone())
                }
                _ => Range::default(),
            };
            diagnostics.push(Diagnostic {
                range,
                ..diagnostic(DiagnosticSeverity::ERROR, format!("{CONFIG_FILE}: {error}"))
            });
        }
        let problems = &config.keys.problems;
        for problem in problems {
            diagnostics.push(diagnostic(
                DiagnosticSeverity::WARNING,
                format!("key not loaded: {problem}"),
            ));
        }
        for note in &config.notes {
            diagnostics.push(diagnostic(DiagnosticSeverity::INFORMATION, note.clone()));
        }
        self.publish_diagnostics(uri, diagnostics, None).await;
        if let Some(error) = error {
            self.client
                .show_message(
                    MessageType::ERROR,
                    format!("jwtlens: {CONFIG_FILE} is invalid ({error}); using defaults"),
                )
                .await;
        }
        if let Some(first) = problems.first() {
            let more = match problems.len() {
                1 => String::new(),
                n => format!(" (and {} more, listed on {CONFIG_FILE})", n - 1),
            };
            self.client
                .show_message(
                    MessageType::WARNING,
                    format!("jwtlens: a workspace key was not loaded: {first}{more}"),
                )
                .await;
        }
    }

    /// Applies an edit through the editor. A refusal fails the command; so does no answer
    /// within the client timeout, which the user is also shown, as the command's caller
    /// may not show errors.
    async fn apply_edit(&self, edit: WorkspaceEdit) -> Result<ApplyWorkspaceEditResponse> {
        let params = ApplyWorkspaceEditParams { label: None, edit };
        match self.requests.send::<ApplyWorkspaceEdit>(params).await {
            Ok(applied) => Ok(applied),
            Err(err @ ClientRequestError::TimedOut { .. }) => {
                let message = format!("{err}; the edit was withdrawn and nothing was changed");
                self.client
                    .show_message(MessageType::ERROR, format!("jwtlens: {message}"))
                    .await;
                let mut error = tower_lsp::jsonrpc::Error::from(err);
                error.message = message.into();
                Err(error)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The workspace's `.jwtlens.toml` for a quick fix to edit: the editor's text when the
    /// file is open, else the file's (read as the configuration is, confined to the
    /// workspace). `None` in restricted mode (nothing is written to an untrusted folder),
    /// without a workspace, and when the file cannot be read or is not a plain file
    /// inside the workspace (a link leading out, say), so no edit can reach outside it.
    fn workspace_config(&self, analysis: &Analysis) -> Option<fixes::WorkspaceConfig> {
        if analysis.config.trust == Trust::Restricted {
            return None;
        }
        let (root, open, encoding, can_create, can_version_edits) = {
            let state = self.state();
            let root = state.root.clone()?;
            let uri = Url::from_file_path(root.join(CONFIG_FILE)).ok()?;
            let open = state
                .documents
                .get(&uri)
                .map(|open| (open.text.snapshot(), open.version));
            (
                root,
                open,
                state.encoding,
                state.can_create_files,
                state.can_version_edits,
            )
        };
        let path = root.join(CONFIG_FILE);
        let (text, version) = match open {
            Some((text, version)) => (Some(text.as_str().to_owned()), Some(version)),
            None => match read_config_file(&root).ok()? {
                Some(text) => (Some(text), None),
                // Nothing there, not even a dangling link: the file can be created.
                None if path.symlink_metadata().is_err() => (None, None),
                None => return None,
            },
        };
        Some(fixes::WorkspaceConfig {
            uri: Url::from_file_path(path).ok()?,
            text,
            version,
            encoding,
            can_create,
            can_version_edits,
        })
    }

    fn relative_path(&self, uri: &Url) -> Option<PathBuf> {
        let path = uri.to_file_path().ok()?;
        let state = self.state();
        let relative = state
            .root
            .as_deref()
            .and_then(|root| path.strip_prefix(root).ok());
        Some(relative.map(Path::to_path_buf).unwrap_or(path))
    }
}

impl Backend {
    pub fn new(client: Client, requests: ClientRequests) -> Backend {
        let state = State {
            root: None,
            encoding: Encoding::Utf16,
            editor_settings: None,
            trust: Trust::Trusted,
            config: Arc::new(Config::default()),
            generation: 0,
            remote: Arc::default(),
            config_error: None,
            can_pull_configuration: false,
            can_watch_files: false,
            can_refresh_inlay_hints: false,
            can_refresh_code_lenses: false,
            can_version_edits: false,
            can_create_files: false,
            documents: HashMap::new(),
        };
        let published = tokio::sync::Mutex::new(HashMap::new());
        Backend {
            shared: Arc::new(Shared {
                client,
                requests,
                state: Mutex::new(state),
                published,
                fetcher: jwtlens_jwks::Fetcher::default(),
                workspace: workspace::WorkspaceDiagnostics::default(),
            }),
        }
    }

    async fn document_summary(&self, params: DocumentSummaryParams) -> Result<Option<Value>> {
        let analysis = self.shared.analysis(&params.text_document.uri).await;
        Ok(analysis.map(|analysis| {
            let findings: usize = analysis.reports.iter().map(|r| r.findings.len()).sum();
            json!({"tokens": analysis.reports.len(), "findings": findings})
        }))
    }

    fn is_config_file(uri: &Url) -> bool {
        uri.path().ends_with(&format!("/{CONFIG_FILE}"))
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct DocumentSummaryParams {
    text_document: TextDocumentIdentifier,
}

fn workspace_root(params: &InitializeParams) -> Option<PathBuf> {
    let folder = params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|folder| &folder.uri);
    #[allow(deprecated)] // root_uri is what older clients send
    let uri = folder.or(params.root_uri.as_ref())?;
    uri.to_file_path().ok()
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_deref());
        let encoding = Encoding::negotiate(offered);
        let workspace = params.capabilities.workspace.as_ref();
        {
            let mut state = self.shared.state();
            state.root = workspace_root(&params);
            state.encoding = encoding;
            state.editor_settings = params.initialization_options.clone();
            state.trust = params
                .initialization_options
                .as_ref()
                .and_then(Trust::from_editor)
                .unwrap_or_default();
            state.can_pull_configuration = workspace.and_then(|w| w.configuration).unwrap_or(false);
            state.can_refresh_inlay_hints = workspace
                .and_then(|w| w.inlay_hint.as_ref())
                .and_then(|inlay| inlay.refresh_support)
                .unwrap_or(false);
            state.can_refresh_code_lenses = workspace
                .and_then(|w| w.code_lens.as_ref())
                .and_then(|lens| lens.refresh_support)
                .unwrap_or(false);
            state.can_version_edits = workspace
                .and_then(|w| w.workspace_edit.as_ref())
                .and_then(|edit| edit.document_changes)
                .unwrap_or(false);
            state.can_create_files = workspace
                .and_then(|w| w.workspace_edit.as_ref())
                .and_then(|edit| edit.resource_operations.as_ref())
                .is_some_and(|operations| operations.contains(&ResourceOperationKind::Create));
            state.can_watch_files = workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|watch| watch.dynamic_registration)
                .unwrap_or(false);
        }
        // Settings apply before the first document opens; errors are shown once initialized.
        self.shared.load_config();
        let workspace_diagnostics = self.shared.state().config.settings.workspace_diagnostics;
        self.shared.workspace.initialize(&params.capabilities);
        tracing::info!(?encoding, trust = ?self.shared.state().trust, "initialize");
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding.kind()),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                inlay_hint_provider: Some(OneOf::Left(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: commands::all(),
                    ..ExecuteCommandOptions::default()
                }),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            CodeActionKind::REFACTOR,
                            CodeActionKind::SOURCE,
                        ]),
                        ..CodeActionOptions::default()
                    },
                )),
                diagnostic_provider: workspace_diagnostics.then(workspace::capability),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                definition_provider: Some(OneOf::Left(true)),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "jwtlens".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if self.shared.state().can_watch_files {
            let options = DidChangeWatchedFilesRegistrationOptions {
                watchers: vec![FileSystemWatcher {
                    glob_pattern: GlobPattern::String(format!("**/{CONFIG_FILE}")),
                    kind: None,
                }],
            };
            let registration = Registration {
                id: "jwtlens-config-watcher".to_owned(),
                method: "workspace/didChangeWatchedFiles".to_owned(),
                register_options: serde_json::to_value(options).ok(),
            };
            let registrations = RegistrationParams {
                registrations: vec![registration],
            };
            let registered = self
                .shared
                .requests
                .send::<RegisterCapability>(registrations);
            if let Err(err) = registered.await {
                tracing::warn!("could not watch {CONFIG_FILE}: {err}");
            }
        }
        self.shared.report_config_error().await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        let path = self.shared.relative_path(&document.uri);
        self.shared.state().documents.insert(
            document.uri.clone(),
            Document {
                text: DocumentText::new(document.text),
                version: document.version,
                path,
                language_id: document.language_id,
                analysis: None,
                pending: None,
                publishing: false,
            },
        );
        self.shared.schedule_publish(document.uri);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        {
            let mut state = self.shared.state();
            let encoding = state.encoding;
            let Some(document) = state.documents.get_mut(&uri) else {
                let document = LogName(&uri);
                tracing::warn!(%document, "didChange for a document that is not open");
                return;
            };
            if version <= document.version {
                return; // an older notification overtaken by a newer one
            }
            // The cached analysis lets go of the text first, so that a change can be made
            // in place (see `document`).
            document.analysis = None;
            document.pending = None;
            for change in params.content_changes {
                document.text.apply(change, encoding);
            }
            document.version = version;
        }
        self.shared.schedule_publish(uri);
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        if Self::is_config_file(&params.text_document.uri) {
            self.shared.reload_config().await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let closed = self.shared.state().documents.remove(&uri);
        let mut published = self.shared.published.lock().await;
        published.remove(&uri);
        drop(published);
        self.shared.publish_diagnostics(uri, Vec::new(), None).await;
        drop(closed);
        memory::release_freed();
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let mut settings = params.settings;
        let empty = settings.is_null() || settings.as_object().is_some_and(|map| map.is_empty());
        if empty && self.shared.state().can_pull_configuration {
            let item = ConfigurationItem {
                scope_uri: None,
                section: Some("jwtlens".to_owned()),
            };
            let params = ConfigurationParams { items: vec![item] };
            let pulled = self.shared.requests.send::<WorkspaceConfiguration>(params);
            if let Ok(mut values) = pulled.await {
                settings = values.pop().unwrap_or(Value::Null);
            }
        }
        {
            let mut state = self.shared.state();
            if let Some(trust) = Trust::from_editor(&settings) {
                state.trust = trust;
            }
            state.editor_settings = (!settings.is_null()).then_some(settings);
        }
        self.shared.reload_config().await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        if params
            .changes
            .iter()
            .any(|change| Self::is_config_file(&change.uri))
        {
            self.shared.reload_config().await;
        }
    }

    async fn diagnostic(
        &self,
        _: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        Ok(workspace::document_diagnostic())
    }

    async fn workspace_diagnostic(
        &self,
        params: WorkspaceDiagnosticParams,
    ) -> Result<WorkspaceDiagnosticReportResult> {
        workspace::workspace_diagnostic(&self.shared, params).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params;
        let analysis = self.shared.analysis(&position.text_document.uri).await;
        Ok(analysis.and_then(|analysis| analysis.hover(position.position)))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let uri = params.text_document.uri;
        let analysis = self.shared.analysis(&uri).await;
        Ok(analysis.map(|analysis| code_lens::code_lenses(&analysis, &uri)))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let analysis = self.shared.analysis(&params.text_document.uri).await;
        Ok(analysis.map(|analysis| analysis.inlay_hints(params.range)))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        commands::execute(&self.shared, params).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri;
        let Some(analysis) = self.shared.analysis(&uri).await else {
            return Ok(None);
        };
        let comment = {
            let state = self.shared.state();
            let document = state.documents.get(&uri);
            fixes::comment_syntax(
                document.map(|document| document.language_id.as_str()),
                document.and_then(|document| document.path.as_deref()),
            )
        };
        let fix = commands::FixContext {
            comment,
            workspace_config: || self.shared.workspace_config(&analysis),
        };
        let mut actions = templates::quick_fixes(&analysis, &uri, params.range, &params.context);
        actions.extend(commands::code_actions(
            &analysis,
            &uri,
            params.range,
            &params.context,
            fix,
        ));
        Ok(Some(actions))
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let analysis = self.shared.analysis(&params.text_document.uri).await;
        Ok(analysis.map(|analysis| {
            DocumentSymbolResponse::Nested(navigation::document_symbols(&analysis))
        }))
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<Vec<SymbolInformation>>> {
        Ok(Some(
            navigation::workspace_symbols(&self.shared, &params.query).await,
        ))
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let position = params.text_document_position_params;
        let Some(analysis) = self.shared.analysis(&position.text_document.uri).await else {
            return Ok(None);
        };
        Ok(navigation::key_definition(&analysis, position.position).await)
    }
}
