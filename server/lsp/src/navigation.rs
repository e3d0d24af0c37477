//! Navigating tokens: document symbols (one per token), workspace symbols (tokens found by
//! a claim value, in open documents and in the files of the workspace) and go to
//! definition from a token to the key with its `kid` in a workspace key file. The lookups
//! are the engine's (`navigate`, in byte offsets); positions come from `position`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tower_lsp::lsp_types::*;

use crate::position::{Encoding, PositionIndex};
use crate::workspace::CancelOnDrop;
use crate::{Analysis, Shared, Snapshot};
use jwtlens_check::walk::{self, Configs, SourceFile, Stats, WalkOptions};
use jwtlens_engine::config::Config;
use jwtlens_engine::navigate::{self, kid_in_json, pem_block, symbol_name};
use jwtlens_engine::timefmt;
use jwtlens_keys::ring::Outcome;
use jwtlens_keys::workspace_files::{ConfinedDir, Links};
use jwtlens_settings::Trust;

/// At most this many workspace symbols per query: enough to pick from, small enough for
/// any client's list.
pub const MAX_WORKSPACE_SYMBOLS: usize = 200;

/// The workspace walk stops after this many files; the answer then holds what was found.
pub const MAX_WALKED_FILES: u64 = 50_000;

/// One symbol per token, spanning it, named `provider · tenant · role · status`.
pub fn document_symbols(analysis: &Analysis) -> Vec<DocumentSymbol> {
    let now = timefmt::now();
    let mut cursor = analysis.index.ranges(&analysis.text);
    analysis
        .reports
        .iter()
        .map(|report| {
            let range = cursor.range(report.token.range.clone());
            #[allow(deprecated)] // `deprecated` is a required field of the struct
            DocumentSymbol {
                name: symbol_name(report, now),
                detail: report.token.str_claim("sub").map(str::to_owned),
                kind: SymbolKind::KEY,
                tags: None,
                deprecated: None,
                range,
                selection_range: range,
                children: None,
            }
        })
        .collect()
}

/// Tokens whose subject, organization, e-mail or `kid` contains `query`: those of open
/// documents first, then those of the workspace's other files (walked as `jwtlens check`
/// walks, at most [`MAX_WALKED_FILES`] files), at most [`MAX_WORKSPACE_SYMBOLS`]. The walk
/// stops when the request is cancelled. Nothing leaves the machine.
pub async fn workspace_symbols(shared: &Arc<Shared>, query: &str) -> Vec<SymbolInformation> {
    if query.trim().is_empty() {
        return Vec::new();
    }
    let uris: Vec<Url> = shared.state().documents.keys().cloned().collect();
    let mut found = Vec::new();
    let mut open = HashSet::new();
    for uri in uris {
        if let Ok(path) = uri.to_file_path() {
            open.insert(path);
        }
        if let Some(analysis) = shared.analysis(&uri).await {
            symbols_matching(&analysis, &uri, query, &mut found);
        }
    }
    let (root, config, encoding) = {
        let state = shared.state();
        (state.root.clone(), state.config.clone(), state.encoding)
    };
    if let Some(root) = root.filter(|_| found.len() < MAX_WORKSPACE_SYMBOLS) {
        let stats = Arc::new(Stats::default());
        // Dropped when the request is cancelled: the walk then stops at the next file.
        let _cancel = CancelOnDrop(stats.clone());
        let query = query.to_owned();
        let walked = tokio::task::spawn_blocking(move || {
            walk_for_symbols(root, config, encoding, &open, &query, &stats)
        })
        .await
        .unwrap_or_default();
        found.extend(walked);
    }
    found.truncate(MAX_WORKSPACE_SYMBOLS);
    found
}

fn symbols_matching(analysis: &Analysis, uri: &Url, query: &str, out: &mut Vec<SymbolInformation>) {
    let now = timefmt::now();
    let mut cursor = analysis.index.ranges(&analysis.text);
    for report in &analysis.reports {
        let Some((claim, value)) = navigate::matching_claim(report, query) else {
            continue;
        };
        let range = cursor.range(report.token.range.clone());
        #[allow(deprecated)] // `deprecated` is a required field of the struct
        out.push(SymbolInformation {
            name: symbol_name(report, now),
            kind: SymbolKind::KEY,
            tags: None,
            deprecated: None,
            location: Location::new(uri.clone(), range),
            container_name: Some(format!("{claim}: {value}")),
        });
    }
}

/// The workspace's closed files, searched like [`symbols_matching`].
fn walk_for_symbols(
    root: PathBuf,
    config: Arc<Config>,
    encoding: Encoding,
    open: &HashSet<PathBuf>,
    query: &str,
    stats: &Stats,
) -> Vec<SymbolInformation> {
    let configs = Configs::fixed(config, root.clone());
    let found = Mutex::new(Vec::new());
    let count = AtomicUsize::new(0);
    let report = |_: walk::Problem| {};
    walk::walk(
        &[root],
        &WalkOptions::default(),
        &configs,
        stats,
        &report,
        || {
            |file: SourceFile| {
                if Stats::get(&stats.files) > MAX_WALKED_FILES
                    || count.load(Ordering::Relaxed) >= MAX_WORKSPACE_SYMBOLS
                {
                    stats.cancel();
                    return;
                }
                if open.contains(file.path) || memchr::memmem::find(file.text, b"eyJ").is_none() {
                    return;
                }
                let Ok(uri) = Url::from_file_path(file.path) else {
                    return;
                };
                let text = String::from_utf8_lossy(file.text).into_owned();
                let analysis = Analysis::compute(Snapshot {
                    text: Arc::new(text),
                    version: 0,
                    path: Some(file.relative().to_path_buf()),
                    config: file.scope.config.clone(),
                    generation: 0,
                    encoding,
                    remote: Arc::default(),
                });
                let mut symbols = Vec::new();
                symbols_matching(&analysis, &uri, query, &mut symbols);
                count.fetch_add(symbols.len(), Ordering::Relaxed);
                found
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(symbols);
            }
        },
    );
    let mut found = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    found.sort_by(|a, b| {
        (a.location.uri.as_str(), a.location.range.start.line)
            .cmp(&(b.location.uri.as_str(), b.location.range.start.line))
    });
    found
}

/// Where the key of the token at `position` is: the `"kid": "…"` member of a JWKS or JWK
/// file with the token's `kid`, or the PEM block of the key file that verified it. Only
/// the workspace's key files (`keys.files`) are read, confined to the workspace (a link
/// leading out is not followed), and none in restricted mode.
pub async fn key_definition(
    analysis: &Arc<Analysis>,
    position: Position,
) -> Option<GotoDefinitionResponse> {
    let config = &analysis.config;
    if config.trust == Trust::Restricted {
        return None;
    }
    let root = config.root.clone()?;
    let offset = analysis.index.offset(&analysis.text, position);
    let report = analysis.report_at(offset)?;
    let kid = report.token.header_str("kid").map(str::to_owned);
    let verified_by = report
        .token
        .signed(analysis.text.as_bytes())
        .and_then(|signed| match config.keys.verdict(&signed)?.outcome {
            Outcome::Verified(index) => Some(config.keys.key(index).source.clone()),
            _ => None,
        });
    let files: Vec<String> = config.settings.keys.files.clone();
    let encoding = analysis.index.encoding();
    let locations = tokio::task::spawn_blocking(move || {
        key_locations(
            &root,
            &files,
            kid.as_deref(),
            verified_by.as_deref(),
            encoding,
        )
    })
    .await
    .ok()?;
    (!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations))
}

/// Key files at most this large are read (as the key ring reads them).
const MAX_KEY_FILE: u64 = navigate::MAX_KEY_FILE_BYTES as u64;

fn key_locations(
    root: &Path,
    files: &[String],
    kid: Option<&str>,
    verified_by: Option<&str>,
    encoding: Encoding,
) -> Vec<Location> {
    let workspace = ConfinedDir::new(root);
    let mut locations = Vec::new();
    for file in files {
        let Ok(bytes) = workspace.read(Path::new(file), MAX_KEY_FILE, Links::FollowInside) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let by_kid = kid.and_then(|kid| kid_in_json(&text, kid));
        // A PEM file has no `kid`: the file whose key verified the token is the one.
        let by_signature =
            (verified_by == Some(file.as_str())).then(|| pem_block(&text).unwrap_or(0..0));
        let Some(range) = by_kid.or(by_signature) else {
            continue;
        };
        let Ok(uri) = Url::from_file_path(root.join(file)) else {
            continue;
        };
        let index = PositionIndex::new(&text, encoding);
        let range = index.ranges(&text).range(range);
        locations.push(Location::new(uri, range));
    }
    locations
}
