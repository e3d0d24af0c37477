//! Workspace diagnostics (LSP 3.17 `workspace/diagnostic`): tokens in files that are not
//! open, so "Problems" lists them all, found by the same walk as `jwtlens check`
//! (`check::walk`: gitignore semantics, hidden, binary and oversized files skipped) and
//! turned into diagnostics by the same [`Analysis`] as open documents, with `$/progress`
//! while the walk runs.
//!
//! Open documents are left out: their diagnostics are pushed (`publishDiagnostics`) as
//! they change, and a second copy from the pull would show every finding twice. For the
//! same reason the document pull (`textDocument/diagnostic`, which clients send once the
//! server declares a diagnostic provider) answers an empty report.
//!
//! Clients may ask again as soon as an answer arrives; a repeated request under the same
//! configuration waits until at least [`MIN_INTERVAL`] (or four times the last scan's
//! duration, for big trees) has passed since the last scan, so a large workspace is not
//! rescanned back to back. The wait is a long poll the client can cancel.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::notification::Progress;
use tower_lsp::lsp_types::request::WorkDoneProgressCreate;
use tower_lsp::lsp_types::*;

use crate::position::Encoding;
use crate::{Analysis, Shared, Snapshot};
use jwtlens_check::output::bytes;
use jwtlens_check::walk::{self, Configs, SourceFile, Stats, WalkOptions};
use jwtlens_engine::config::Config;
use jwtlens_jose::fingerprint;

/// The identifier of this server's pulled diagnostics.
pub const IDENTIFIER: &str = "jwtlens";

/// A repeated workspace request waits until this long after the last scan, at least.
pub const MIN_INTERVAL: Duration = Duration::from_secs(3);

const PROGRESS_INTERVAL: Duration = Duration::from_millis(200);

/// What workspace diagnostics remember between requests.
#[derive(Debug, Default)]
pub struct WorkspaceDiagnostics {
    /// The client accepts `window/workDoneProgress/create`.
    can_create_progress: AtomicBool,
    progress_tokens: AtomicU64,
    /// When the last scan ended, how long it took, and under which configuration.
    last_scan: Mutex<Option<(Instant, Duration, u64)>>,
}

impl WorkspaceDiagnostics {
    pub fn initialize(&self, capabilities: &ClientCapabilities) {
        let create = capabilities
            .window
            .as_ref()
            .and_then(|window| window.work_done_progress)
            .unwrap_or(false);
        self.can_create_progress.store(create, Ordering::Relaxed);
    }

    /// How long a request must wait before scanning again.
    fn wait(&self, generation: u64) -> Duration {
        let last = self
            .last_scan
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match *last {
            Some((ended, took, scanned_under)) if scanned_under == generation => {
                MIN_INTERVAL.max(took * 4).saturating_sub(ended.elapsed())
            }
            _ => Duration::ZERO,
        }
    }
}

/// The server capability: workspace diagnostics, with progress.
pub fn capability() -> DiagnosticServerCapabilities {
    DiagnosticServerCapabilities::Options(DiagnosticOptions {
        identifier: Some(IDENTIFIER.to_owned()),
        inter_file_dependencies: false,
        workspace_diagnostics: true,
        work_done_progress_options: WorkDoneProgressOptions {
            work_done_progress: Some(true),
        },
    })
}

/// `textDocument/diagnostic`: empty, because open documents' diagnostics are pushed.
pub fn document_diagnostic() -> DocumentDiagnosticReportResult {
    DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
        RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport {
                result_id: None,
                items: Vec::new(),
            },
        },
    ))
}

/// `workspace/diagnostic`: every closed file of the workspace with findings.
pub async fn workspace_diagnostic(
    shared: &Arc<Shared>,
    params: WorkspaceDiagnosticParams,
) -> Result<WorkspaceDiagnosticReportResult> {
    let generation = shared.state().generation;
    let wait = shared.workspace.wait(generation);
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let (root, config, encoding, generation, open) = {
        let state = shared.state();
        let open: HashSet<PathBuf> = state
            .documents
            .keys()
            .filter_map(|uri| uri.to_file_path().ok())
            .collect();
        (
            state.root.clone(),
            state.config.clone(),
            state.encoding,
            state.generation,
            open,
        )
    };
    let previous: HashMap<Url, String> = params
        .previous_result_ids
        .into_iter()
        .map(|id| (id.uri, id.value))
        .collect();
    let Some(root) = root else {
        return Ok(report(Vec::new(), &previous));
    };

    let progress = WorkDone::begin(shared, params.work_done_progress_params.work_done_token).await;
    let started = Instant::now();
    let stats = Arc::new(Stats::default());
    // Dropped when the request is cancelled: the walk then stops at the next file.
    let _cancel = CancelOnDrop(stats.clone());
    let scan = {
        let stats = stats.clone();
        tokio::task::spawn_blocking(move || scan(root, config, encoding, &open, &stats))
    };
    tokio::pin!(scan);
    let mut ticks = tokio::time::interval(PROGRESS_INTERVAL);
    ticks.tick().await;
    let found = loop {
        tokio::select! {
            found = &mut scan => break found.unwrap_or_default(),
            _ = ticks.tick() => {
                let message = format!(
                    "{} files ({})",
                    Stats::get(&stats.files),
                    bytes(Stats::get(&stats.bytes))
                );
                progress.report(message).await;
            }
        }
    };
    let took = started.elapsed();
    *shared
        .workspace
        .last_scan
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), took, generation));
    let diagnostics: usize = found.iter().map(|(_, d)| d.len()).sum();
    progress
        .end(format!(
            "{diagnostics} findings in {} of {} files",
            found.len(),
            Stats::get(&stats.files)
        ))
        .await;
    tracing::debug!(
        files = Stats::get(&stats.files),
        with_findings = found.len(),
        ?took,
        "workspace diagnostics"
    );
    Ok(report(found, &previous))
}

/// Walks the workspace: diagnostics of every closed file with findings, by URI.
fn scan(
    root: PathBuf,
    config: Arc<Config>,
    encoding: Encoding,
    open: &HashSet<PathBuf>,
    stats: &Stats,
) -> Vec<(Url, Vec<Diagnostic>)> {
    let configs = Configs::fixed(config, root.clone());
    let found = Mutex::new(Vec::new());
    // Problems name paths, which logs never carry; `jwtlens check` shows them.
    let report = |problem: walk::Problem| {
        tracing::warn!(
            incomplete = problem.error,
            "workspace scan: a path was skipped (`jwtlens check` names it)"
        )
    };
    walk::walk(
        &[root],
        &WalkOptions::default(),
        &configs,
        stats,
        &report,
        || {
            |file: SourceFile| {
                if open.contains(file.path) || !file.may_have_findings() {
                    return;
                }
                // What the editor would hold once the file is opened: invalid UTF-8
                // replaced, so positions match the document's.
                let text = String::from_utf8_lossy(file.text).into_owned();
                let relative = file.relative();
                let analysis = Analysis::compute(Snapshot {
                    text: Arc::new(text),
                    version: 0,
                    path: Some(relative.to_path_buf()),
                    config: file.scope.config.clone(),
                    generation: 0,
                    encoding,
                    remote: Arc::default(),
                });
                let diagnostics = analysis.diagnostics();
                if diagnostics.is_empty() {
                    return;
                }
                if let Ok(uri) = Url::from_file_path(file.path) {
                    found
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((uri, diagnostics));
                }
            }
        },
    );
    let mut found = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    found.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    found
}

/// Full reports for changed files, unchanged ones for the rest, and empty ones for files
/// the client still shows diagnostics for that no longer have any (or are now open).
fn report(
    found: Vec<(Url, Vec<Diagnostic>)>,
    previous: &HashMap<Url, String>,
) -> WorkspaceDiagnosticReportResult {
    let mut items = Vec::new();
    let mut reported = HashSet::new();
    for (uri, diagnostics) in found {
        let result_id = result_id(&diagnostics);
        reported.insert(uri.clone());
        let item = if previous.get(&uri) == Some(&result_id) {
            WorkspaceDocumentDiagnosticReport::Unchanged(
                WorkspaceUnchangedDocumentDiagnosticReport {
                    uri,
                    version: None,
                    unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                        result_id,
                    },
                },
            )
        } else {
            WorkspaceDocumentDiagnosticReport::Full(WorkspaceFullDocumentDiagnosticReport {
                uri,
                version: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: Some(result_id),
                    items: diagnostics,
                },
            })
        };
        items.push(item);
    }
    let mut cleared: Vec<&Url> = previous
        .keys()
        .filter(|uri| !reported.contains(*uri))
        .collect();
    cleared.sort();
    for uri in cleared {
        items.push(WorkspaceDocumentDiagnosticReport::Full(
            WorkspaceFullDocumentDiagnosticReport {
                uri: uri.clone(),
                version: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: Some(result_id(&[])),
                    items: Vec::new(),
                },
            },
        ));
    }
    WorkspaceDiagnosticReportResult::Report(WorkspaceDiagnosticReport { items })
}

/// Names a file's diagnostics by content, so an unchanged file is answered in one line.
fn result_id(diagnostics: &[Diagnostic]) -> String {
    let json = serde_json::to_vec(diagnostics).unwrap_or_default();
    fingerprint(&json)[..16].to_owned()
}

/// Cancels a walk when dropped (with the request future, when the client cancels it).
pub(crate) struct CancelOnDrop(pub(crate) Arc<Stats>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// `$/progress` for one scan: the client's token, one we created, or none.
struct WorkDone<'a> {
    shared: &'a Shared,
    token: Option<ProgressToken>,
}

impl<'a> WorkDone<'a> {
    async fn begin(shared: &'a Shared, token: Option<ProgressToken>) -> WorkDone<'a> {
        let token = match token {
            Some(token) => Some(token),
            None if shared.workspace.can_create_progress.load(Ordering::Relaxed) => {
                let n = shared
                    .workspace
                    .progress_tokens
                    .fetch_add(1, Ordering::Relaxed);
                let token = ProgressToken::String(format!("jwtlens/workspace/{n}"));
                let created = shared
                    .requests
                    .send::<WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                        token: token.clone(),
                    })
                    .await;
                created.ok().map(|()| token)
            }
            None => None,
        };
        let progress = WorkDone { shared, token };
        progress
            .send(WorkDoneProgress::Begin(WorkDoneProgressBegin {
                title: "Scanning the workspace for JWTs".to_owned(),
                cancellable: Some(false),
                message: None,
                percentage: None,
            }))
            .await;
        progress
    }

    async fn report(&self, message: String) {
        self.send(WorkDoneProgress::Report(WorkDoneProgressReport {
            cancellable: Some(false),
            message: Some(message),
            percentage: None,
        }))
        .await;
    }

    async fn end(&self, message: String) {
        self.send(WorkDoneProgress::End(WorkDoneProgressEnd {
            message: Some(message),
        }))
        .await;
    }

    async fn send(&self, value: WorkDoneProgress) {
        if let Some(token) = &self.token {
            self.shared
                .client
                .send_notification::<Progress>(ProgressParams {
                    token: token.clone(),
                    value: ProgressParamsValue::WorkDone(value),
                })
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(message: &str) -> Diagnostic {
        Diagnostic {
            message: message.to_owned(),
            ..Diagnostic::default()
        }
    }

    fn uri(path: &str) -> Url {
        Url::parse(&format!("file:///w/{path}")).unwrap()
    }

    #[test]
    fn reports_are_full_unchanged_or_cleared() {
        let a = vec![diagnostic("a")];
        let previous = HashMap::from([
            (uri("a.ts"), result_id(&a)),
            (uri("b.ts"), "stale".to_owned()),
            (uri("gone.ts"), "old".to_owned()),
        ]);
        let found = vec![(uri("a.ts"), a), (uri("b.ts"), vec![diagnostic("b")])];
        let WorkspaceDiagnosticReportResult::Report(report) = report(found, &previous) else {
            panic!("a report");
        };
        let kinds: Vec<(String, &str, usize)> = report
            .items
            .iter()
            .map(|item| match item {
                WorkspaceDocumentDiagnosticReport::Full(full) => (
                    full.uri.path().to_owned(),
                    "full",
                    full.full_document_diagnostic_report.items.len(),
                ),
                WorkspaceDocumentDiagnosticReport::Unchanged(unchanged) => {
                    (unchanged.uri.path().to_owned(), "unchanged", 0)
                }
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("/w/a.ts".to_owned(), "unchanged", 0),
                ("/w/b.ts".to_owned(), "full", 1),
                ("/w/gone.ts".to_owned(), "full", 0),
            ]
        );
    }

    #[test]
    fn repeated_requests_wait_under_the_same_configuration_only() {
        let workspace = WorkspaceDiagnostics::default();
        assert_eq!(
            workspace.wait(0),
            Duration::ZERO,
            "the first request scans at once"
        );
        *workspace.last_scan.lock().unwrap() = Some((Instant::now(), Duration::from_secs(2), 0));
        assert!(
            workspace.wait(0) > Duration::from_secs(7),
            "four times a slow scan"
        );
        assert_eq!(
            workspace.wait(1),
            Duration::ZERO,
            "a new configuration scans at once"
        );
    }
}
