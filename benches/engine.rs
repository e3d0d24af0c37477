//! What an editor waits for: a hover on a 1 MB document, the full diagnostics of a
//! 10 MB document with 1,000 tokens (scan, decode, providers, every rule, positions), and
//! the first analysis of 200 tokens in a workspace with 23,000 keys.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use divan::{black_box, Bencher};
use jwtlens_engine::config::Config;
use jwtlens_lsp::position::Encoding;
use jwtlens_lsp::{Analysis, Snapshot};
use jwtlens_settings::Trust;
use jwtlens_test_support::crowded;
use tower_lsp::lsp_types::Position;

mod corpus;

fn main() {
    divan::main();
}

fn document(len: usize, token_every: usize) -> (Arc<String>, usize) {
    let (bytes, tokens) = corpus::corpus(len, token_every, true);
    (
        Arc::new(String::from_utf8(bytes).expect("the corpus is UTF-8")),
        tokens,
    )
}

static ONE_MB: LazyLock<(Arc<String>, usize)> = LazyLock::new(|| document(1 << 20, 50 << 10));
static TEN_MB: LazyLock<(Arc<String>, usize)> = LazyLock::new(|| document(10 << 20, 10 << 10));

fn analyse(text: &Arc<String>) -> Analysis {
    // Convert every finding, not just the editor's default cap.
    let config =
        Config::from_sources(Some("max_diagnostics = 1000000"), None).expect("valid settings");
    analyse_with(text, Arc::new(config), "src/app.ts")
}

fn analyse_with(text: &Arc<String>, config: Arc<Config>, path: &str) -> Analysis {
    Analysis::compute(Snapshot {
        text: text.clone(),
        version: 1,
        path: Some(PathBuf::from(path)),
        config,
        generation: 0,
        encoding: Encoding::Utf16,
        remote: Arc::default(),
    })
}

/// The position of the middle of the last token in the document.
fn last_token_position(text: &str) -> Position {
    let start = text.rfind("const token = \"").expect("a planted token") + "const token = \"".len();
    let line = text[..start].matches('\n').count() as u32;
    let column = (start - text[..start].rfind('\n').map_or(0, |i| i + 1)) as u32;
    Position::new(line, column + 20)
}

/// Hover on an analysed document: what the server does once diagnostics were computed.
#[divan::bench]
fn hover_1mb_document(bencher: Bencher) {
    let (text, _) = &*ONE_MB;
    let analysis = analyse(text);
    let position = last_token_position(text);
    assert!(analysis.hover(position).is_some());
    bencher.bench(|| analysis.hover(black_box(position)));
}

/// Hover on a document nobody analysed yet (engine run included).
#[divan::bench(sample_count = 20)]
fn hover_1mb_document_cold(bencher: Bencher) {
    let (text, _) = &*ONE_MB;
    let position = last_token_position(text);
    bencher.bench(|| analyse(text).hover(black_box(position)));
}

/// Every diagnostic of a 10 MB document with one token per 10 KB.
#[divan::bench(sample_count = 20)]
fn diagnostics_10mb_1000_tokens(bencher: Bencher) {
    let (text, tokens) = &*TEN_MB;
    assert!(*tokens >= 1000, "{tokens} tokens");
    assert!(analyse(text).diagnostics().len() >= *tokens);
    bencher.bench(|| analyse(black_box(text)).diagnostics());
}

/// The first analysis of a 200-token document in a workspace with a 3,000-key JWKS and
/// 20,000 literal secrets (issue 11: 64 s when every key was tried on every token). Each
/// sample gets a freshly loaded key ring, so no verdict is cached; loading is not timed.
#[divan::bench(sample_count = 10)]
fn first_analysis_200_tokens_23000_keys(bencher: Bencher) {
    let dir = tempfile::tempdir().expect("a temporary workspace");
    crowded::write_workspace(dir.path());
    let text = Arc::new(crowded::document());
    let load =
        || Arc::new(Config::load(Some(dir.path()), None, Trust::Trusted).expect("valid settings"));
    bencher
        .with_inputs(load)
        .bench_values(|config| analyse_with(&text, config, "src/tokens.ts").diagnostics());
}
