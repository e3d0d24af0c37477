//! What the protocol adds to a hover: a request and its answer through the server's own
//! JSON-RPC transport, in process over an in-memory pipe (`jwtlens-test-support`'s client), on a
//! 1 MB document that is already analysed. `cargo bench --bench lsp`.

use std::sync::LazyLock;

use divan::Bencher;
use jwtlens_lsp::position::{Encoding, PositionIndex};
use serde_json::{json, Value};
use tower_lsp::lsp_types::Position;

mod corpus;

fn main() {
    divan::main();
}

/// The document, and the position of a character inside its first token.
static DOCUMENT: LazyLock<(String, Position)> = LazyLock::new(|| {
    let (bytes, _) = corpus::corpus(1 << 20, 50 << 10, true);
    let text = String::from_utf8(bytes).expect("the corpus is UTF-8");
    let token = jwtlens_engine::scan::scan(text.as_bytes())
        .into_iter()
        .next()
        .expect("the corpus has a token");
    let position =
        PositionIndex::new(&text, Encoding::Utf16).position(&text, token.range.start + 5);
    (text, position)
});

#[divan::bench]
fn hover_round_trip_1mb_document(bencher: Bencher) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (text, position) = &*DOCUMENT;
    let uri = "file:///bench/app.ts";
    let mut client = runtime.block_on(async {
        let mut client = jwtlens_test_support::client::in_process();
        client
            .initialize("file:///bench", Value::Null, &["utf-16"])
            .await;
        client.open(uri, text, 1).await;
        client.diagnostics(uri, Some(1)).await;
        client
    });
    bencher.bench_local(|| {
        let hover = runtime.block_on(client.hover(uri, *position));
        assert_ne!(hover["result"], json!(null));
    });
}
