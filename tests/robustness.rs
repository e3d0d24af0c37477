//! Hostile and huge input over LSP and the CLI: every request gets an answer and the
//! server stays up.

use std::io::Write;
use std::process::{Command, Stdio};

use jwtlens_test_support::client::{codes, in_process, in_process_with, InProcess as Client};
use jwtlens_test_support::tokens::{now, token};
use serde_json::{json, Value};
use tower_lsp::lsp_types::Position;

async fn start() -> Client {
    let mut client = in_process();
    client
        .initialize("file:///nonexistent-workspace", Value::Null, &[])
        .await;
    client
}

fn sample_token(i: usize) -> String {
    token(
        json!({"alg": "ES256", "kid": "k1"}),
        json!({"sub": format!("user_{i}"), "exp": now() - 60, "aud": "api"}),
    )
}

/// The server still answers a plain request after the ordeal.
async fn assert_alive(client: &mut Client) {
    let uri = "file:///probe.ts";
    client.open(uri, &format!("'{}'", sample_token(0)), 1).await;
    assert!(codes(&client.diagnostics(uri, Some(1)).await).contains(&"JWT003".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_100_mb_document_with_a_token_at_the_end() {
    // Over the default message size limit (64 MiB), as the user can allow.
    let mut client = in_process_with(jwtlens_lsp::Limits {
        max_message_size: 128 << 20,
        ..jwtlens_lsp::Limits::default()
    });
    client
        .initialize("file:///nonexistent-workspace", Value::Null, &[])
        .await;
    let uri = "file:///huge.log";
    let mut text = "2026-11-22T09:00:00Z INFO request served in 12 ms path=/v1/orders status=200\n"
        .repeat(1_300_000);
    assert!(text.len() > 100_000_000);
    let line = text.matches('\n').count() as u32;
    text.push_str(&format!("auth header: Bearer {}\n", sample_token(1)));
    client.open(uri, &text, 1).await;
    let diagnostics = client.diagnostics(uri, Some(1)).await;
    assert_eq!(diagnostics[0]["range"]["start"]["line"], line);
    let hover = client.hover(uri, Position::new(line, 30)).await;
    assert!(hover["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("`ES256`"));
    client
        .notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    client.cleared(uri).await;
    assert_alive(&mut client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_megabyte_line_of_eyj_and_a_one_megabyte_line_of_tokens() {
    let mut client = start().await;
    let uri = "file:///bundle.min.js";
    client.open(uri, &"eyJ".repeat(350_000), 1).await;
    assert!(client.diagnostics(uri, Some(1)).await.is_empty());
    assert_eq!(
        client.hover(uri, Position::new(0, 500_000)).await["result"],
        Value::Null
    );

    let tokens: Vec<String> = (0..3_000).map(sample_token).collect();
    let line = tokens.join(",");
    assert!(line.len() > 1_000_000 / 3);
    client.change(uri, &line, 2).await;
    let diagnostics = client.diagnostics(uri, Some(2)).await;
    let last = &diagnostics[diagnostics.len() - 2];
    assert_eq!(last["range"]["start"]["line"], 0);
    let hover = client
        .hover(uri, Position::new(0, (line.len() - 10) as u32))
        .await;
    assert!(hover["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("user_2999"));
    assert_alive(&mut client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_tokens_are_capped_with_a_notice() {
    let mut client = start().await;
    let uri = "file:///many.json";
    let text: String = (0..10_000)
        .map(|i| format!("{{\"t\": \"{}\"}}\n", sample_token(i)))
        .collect();
    client.open(uri, &text, 1).await;
    let diagnostics = client.diagnostics(uri, Some(1)).await;
    assert_eq!(diagnostics.len(), 1001);
    let notice = diagnostics.last().unwrap()["message"].as_str().unwrap();
    assert!(
        notice.starts_with("19000 more findings not shown"),
        "{notice}"
    );
    let hover = client.hover(uri, Position::new(9_999, 12)).await;
    assert!(hover["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("user_9999"));
    assert_alive(&mut client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_junk_and_control_characters() {
    let mut client = start().await;
    let uri = "file:///junk.bin";
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let junk: String = (0..200_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from_u32((state % 0x3000) as u32).unwrap_or('\u{fffd}')
        })
        .collect();
    let text = format!("{junk}\u{0}\u{1}eyJ\u{0}{}\u{7f}{junk}", sample_token(7));
    client.open(uri, &text, 1).await;
    let diagnostics = client.diagnostics(uri, Some(1)).await;
    assert!(
        codes(&diagnostics).contains(&"JWT003".to_owned()),
        "the token between the junk is found"
    );
    for (line, character) in [(0, 0), (0, 123_456), (u32::MAX, u32::MAX), (5, 0)] {
        let hover = client.hover(uri, Position::new(line, character)).await;
        assert!(
            hover.get("result").is_some(),
            "an answer for ({line}, {character})"
        );
    }
    assert_alive(&mut client).await;
}

#[test]
fn the_cli_reads_invalid_utf8_and_binary_files() {
    let mut bytes = vec![0xff, 0xfe, 0x00, 0xc3, 0x28, b'\n'];
    bytes.extend_from_slice(sample_token(3).as_bytes());
    bytes.extend_from_slice(&[0x80, 0x81, b'\n', 0xed, 0xa0, 0x80]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_jwtlens"))
        .args(["decode", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let decoded: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decoded["payload"]["sub"], "user_3");

    let nothing = Command::new(env!("CARGO_BIN_EXE_jwtlens"))
        .args(["decode", "not-a-token"])
        .output()
        .unwrap();
    assert_eq!(nothing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("no JWT found"));
}
