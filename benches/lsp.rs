//! What the protocol adds to a hover: a request and its answer through the server's own
//! JSON-RPC transport, in process over an in-memory pipe (`jwtlens-test-support`'s client), on a
//! 1 MB document that is already analysed; and what one keystroke costs in a 10 MB
//! document under incremental sync. `cargo bench --bench lsp`.

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

/// A 10 MB document with a token every 10 KB.
static LARGE_DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    let (bytes, _) = corpus::corpus(10 << 20, 10 << 10, true);
    String::from_utf8(bytes).expect("the corpus is UTF-8")
});

/// A server in this process with `text` open at `uri` and its diagnostics published.
fn server_with_open(
    uri: &str,
    text: &str,
) -> (
    tokio::runtime::Runtime,
    jwtlens_test_support::client::InProcess,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime.block_on(async {
        let mut client = jwtlens_test_support::client::in_process();
        client
            .initialize("file:///bench", Value::Null, &["utf-16"])
            .await;
        client.open(uri, text, 1).await;
        client.diagnostics(uri, Some(1)).await;
        client
    });
    (runtime, client)
}

/// One hover per sample, 1,000 samples: divan's "slowest" is then the largest of 1,000
/// hovers, a bound on their 99th percentile.
#[divan::bench(sample_count = 1000, sample_size = 1)]
fn hover_round_trip_1mb_document(bencher: Bencher) {
    let (text, position) = &*DOCUMENT;
    let uri = "file:///bench/app.ts";
    let (runtime, mut client) = server_with_open(uri, text);
    bencher.bench_local(|| {
        let hover = runtime.block_on(client.hover(uri, *position));
        assert_ne!(hover["result"], json!(null));
    });
}

/// One character typed per iteration at the start of line 1000 of the 10 MB document, as
/// an incremental change, until `until`.
fn type_into_large_document(bencher: Bencher, until: Until) {
    let uri = "file:///bench/large.ts";
    let (runtime, mut client) = server_with_open(uri, &LARGE_DOCUMENT);
    let mut version = 1;
    bencher.bench_local(|| {
        version += 1;
        let keystroke = json!({
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{
                "range": {"start": {"line": 1000, "character": 0}, "end": {"line": 1000, "character": 0}},
                "text": "x",
            }],
        });
        runtime.block_on(async {
            client.notify("textDocument/didChange", keystroke).await;
            match until {
                Until::Applied => {
                    let params = json!({"command": "jwtlens.bench-unknown", "arguments": []});
                    let answer = client.request("workspace/executeCommand", params).await;
                    assert!(answer["error"].is_object());
                }
                Until::Published => {
                    client.diagnostics(uri, Some(version)).await;
                }
            }
        });
    });
}

enum Until {
    /// The server has applied the change: it answered a request sent after it (an unknown
    /// command, answered at once). Analyses of the new versions run meanwhile, as they
    /// would while typing.
    Applied,
    /// The diagnostics of the new version are published: the change and an analysis of
    /// the whole 10 MB.
    Published,
}

#[divan::bench]
fn keystroke_applied_10mb_document(bencher: Bencher) {
    type_into_large_document(bencher, Until::Applied);
}

#[divan::bench(sample_count = 20)]
fn keystroke_to_diagnostics_10mb_document(bencher: Bencher) {
    type_into_large_document(bencher, Until::Published);
}
