//! Throughput of `scan`: on source-like text with a token every ~50 KB, on the same kind of
//! text without any `eyJ` (the prefilter alone), and on pathological lines. The allocation
//! profiler shows that only found tokens allocate.

use std::sync::LazyLock;

use divan::counter::BytesCount;
use divan::{black_box, AllocProfiler, Bencher};
use jwtlens_engine::scan::scan;

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

mod corpus;

const CORPUS_LEN: usize = 50 << 20;
const TOKEN_EVERY: usize = 50 << 10;

fn main() {
    divan::main();
}

/// Source-like text with tokens, and how many tokens it holds.
static WITH_TOKENS: LazyLock<(Vec<u8>, usize)> =
    LazyLock::new(|| corpus::corpus(CORPUS_LEN, TOKEN_EVERY, true));
static WITHOUT_EYJ: LazyLock<(Vec<u8>, usize)> =
    LazyLock::new(|| corpus::corpus(CORPUS_LEN, TOKEN_EVERY, false));

#[divan::bench(sample_count = 30)]
fn source_with_tokens(bencher: Bencher) {
    bench_corpus(bencher, &WITH_TOKENS);
}

#[divan::bench(sample_count = 30)]
fn source_without_eyj(bencher: Bencher) {
    bench_corpus(bencher, &WITHOUT_EYJ);
}

fn bench_corpus(bencher: Bencher, (text, tokens): &(Vec<u8>, usize)) {
    // Make sure the bench measures the real work: every planted token is found.
    assert_eq!(scan(text).len(), *tokens);
    bencher
        .counter(BytesCount::new(text.len()))
        .bench(|| scan(black_box(text)));
}

/// A 1 MB line of one unit repeated: `eyJ` is a single overlong header, `eyJ,` a failed
/// start every 4 bytes, `eyJ.` a long dotted run; the quoted units are literals joined by
/// `+`, by adjacency over line breaks and by backslash continuations (split tokens).
#[divan::bench(args = ["eyJ", "eyJ,", "eyJ.", "\"eyJ\" + ", "\"eyJ.\"\n", "eyJ\\\n"])]
fn pathological_line(bencher: Bencher, unit: &str) {
    let text = unit.repeat((1 << 20) / unit.len());
    assert!(scan(text.as_bytes()).is_empty());
    bencher
        .counter(BytesCount::new(text.len()))
        .bench(|| scan(black_box(text.as_bytes())));
}
