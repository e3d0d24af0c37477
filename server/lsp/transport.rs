//! JSON-RPC over a byte stream, framed by `Content-Length` headers.
//!
//! This replaces `tower_lsp::Server`, which (in 0.20) stops reading for good at the first
//! malformed message — its framed reader ends after any decode error, so one bad frame from
//! a client ended the session — logs every message body at trace level, tokens included,
//! and only notices `exit` when another message arrives. Here a malformed frame gets the
//! JSON-RPC error it deserves and reading goes on, bodies are never logged, and `exit`
//! ends the session at once. Requests run through `LspService` exactly as tower-lsp runs
//! them: called in arrival order, at most [`MAX_CONCURRENCY`] in flight.

use std::io;

use futures::channel::mpsc;
use futures::{future, FutureExt, SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt,
};
use tower::Service;
use tower_lsp::jsonrpc::{Error, Id, Request, Response};
use tower_lsp::{ClientSocket, LanguageServer, Loopback, LspService};

/// Requests handled at once (tower-lsp's default).
const MAX_CONCURRENCY: usize = 4;

/// Messages queued towards the handlers and towards the client.
const QUEUE: usize = 100;

/// A header line longer than this is junk: it is skipped in pieces of this size.
const MAX_HEADER_LINE: u64 = 4096;

/// Largest body read. A bigger `Content-Length` is answered with an error and the bytes
/// that follow are searched for the next header, so a lying length cannot make the server
/// wait for (or buffer) gigabytes.
pub const MAX_BODY: usize = 1 << 30;

#[derive(Deserialize, Serialize)]
#[serde(untagged)]
enum Message {
    Response(Response),
    Request(Request),
}

/// One read from the input.
#[derive(Debug, PartialEq)]
enum Frame {
    Body(Vec<u8>),
    /// Headers without a usable `Content-Length`: why, for the error response.
    BadHeaders(String),
    /// The input ended (possibly in the middle of a frame).
    End,
}

/// Serves `service` on `input`/`output` until the input ends or the client sends `exit`.
pub async fn serve<I, O, S>(input: I, output: O, service: LspService<S>, socket: ClientSocket)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
    S: LanguageServer,
{
    let (client_requests, client_responses) = Loopback::split(socket);
    let (outgoing, outgoing_rx) = mpsc::channel::<Message>(QUEUE);
    let (tasks, tasks_rx) = mpsc::channel::<ServiceFuture<S>>(QUEUE);
    let write = write_messages(output, outgoing_rx);
    let run_tasks = tasks_rx
        .buffer_unordered(MAX_CONCURRENCY)
        .filter_map(|response: Result<Option<Response>, _>| future::ready(response.ok().flatten()))
        .map(|response| Ok(Message::Response(response)))
        .forward(outgoing.clone().sink_map_err(|_| ()))
        .map(drop);
    let (client_requests, stop_client_requests) = futures::stream::abortable(client_requests);
    let forward_client_requests = client_requests
        .map(|request| Ok(Message::Request(request)))
        .forward(outgoing.clone().sink_map_err(|_| ()))
        .map(drop);
    let read = read_messages(input, service, tasks, outgoing, client_responses);
    let others = future::join3(run_tasks, forward_client_requests, write);
    tokio::pin!(read, others);
    tokio::select! {
        ended = &mut read => {
            // After `exit` nothing more is owed to the client. When the input ends, the
            // answers still being worked out are written before returning.
            stop_client_requests.abort();
            if ended == Ended::Input {
                others.await;
            }
        }
        _ = &mut others => {}
    }
}

type ServiceFuture<S> = <LspService<S> as Service<Request>>::Future;

/// Why reading stopped.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    Input,
    Exit,
}

async fn read_messages<I, S>(
    input: I,
    mut service: LspService<S>,
    mut tasks: mpsc::Sender<ServiceFuture<S>>,
    mut outgoing: mpsc::Sender<Message>,
    mut client_responses: <ClientSocket as Loopback>::ResponseSink,
) -> Ended
where
    I: AsyncRead + Unpin,
    S: LanguageServer,
{
    let mut input = tokio::io::BufReader::with_capacity(1 << 16, input);
    loop {
        let frame = match read_frame(&mut input).await {
            Ok(frame) => frame,
            Err(err) => {
                tracing::error!("cannot read from the client: {err}");
                return Ended::Input;
            }
        };
        let message = match frame {
            Frame::End => return Ended::Input,
            Frame::BadHeaders(why) => Err(Rejection::parse_error(why)),
            Frame::Body(body) => parse_message(&body),
        };
        match message {
            Ok(Message::Request(request)) => {
                let is_exit = request.method() == "exit";
                tracing::trace!(method = request.method(), id = ?request.id(), "request");
                if let Err(err) = future::poll_fn(|cx| service.poll_ready(cx)).await {
                    tracing::debug!("the server has stopped: {err}");
                    return Ended::Exit;
                }
                let task = service.call(request);
                if is_exit {
                    let _ = task.await;
                    return Ended::Exit;
                }
                if tasks.send(task).await.is_err() {
                    return Ended::Input;
                }
            }
            Ok(Message::Response(response)) => {
                if client_responses.send(response).await.is_err() {
                    return Ended::Exit;
                }
            }
            Err(rejection) => {
                let Rejection { id, error, why } = *rejection;
                tracing::warn!("malformed message from the client: {why}");
                let error = Message::Response(Response::from_error(id, error));
                if outgoing.send(error).await.is_err() {
                    return Ended::Input;
                }
            }
        }
    }
}

/// A frame that is no message, and the error response it earns.
struct Rejection {
    id: Id,
    error: Error,
    why: String,
}

impl Rejection {
    fn parse_error(why: String) -> Box<Rejection> {
        Box::new(Rejection {
            id: Id::Null,
            error: Error::parse_error(),
            why,
        })
    }
}

/// The message in a frame's body, or the error response it earns: a parse error for
/// text that is not JSON, an invalid request (with the request's id, when it has a
/// usable one) for JSON that is not a JSON-RPC message.
fn parse_message(body: &[u8]) -> Result<Message, Box<Rejection>> {
    match serde_json::from_slice::<Message>(body) {
        Ok(message) => Ok(message),
        Err(err) if err.is_data() => {
            let id = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|value| serde_json::from_value::<Id>(value.get("id")?.clone()).ok())
                .unwrap_or(Id::Null);
            Err(Box::new(Rejection {
                id,
                error: Error::invalid_request(),
                why: format!("not a JSON-RPC message: {err}"),
            }))
        }
        Err(err) => Err(Rejection::parse_error(format!("not JSON: {err}"))),
    }
}

/// Reads headers up to the blank line that ends them, then the body they announce.
/// Bytes that are not a header (the tail of a body whose length was wrong) are skipped up
/// to the next `Content-Length`.
async fn read_frame<R: AsyncBufRead + Unpin>(input: &mut R) -> io::Result<Frame> {
    let mut length = None;
    let mut any_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut *input)
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)
            .await?;
        if read == 0 {
            return Ok(Frame::End);
        }
        let text = line.trim_ascii();
        if text.is_empty() {
            if any_header && line.ends_with(b"\n") {
                break;
            }
            continue;
        }
        any_header = true;
        if let Some(at) = find_content_length(text) {
            let value = text[at + CONTENT_LENGTH.len()..].trim_ascii();
            length = Some(
                std::str::from_utf8(value)
                    .ok()
                    .and_then(|value| value.parse::<usize>().ok())
                    .ok_or_else(|| String::from_utf8_lossy(value).into_owned()),
            );
        }
    }
    let length = match length {
        None => return Ok(Frame::BadHeaders("no Content-Length header".into())),
        Some(Err(value)) => {
            let value: String = value.chars().take(40).collect();
            return Ok(Frame::BadHeaders(format!(
                "Content-Length {value:?} is not a length"
            )));
        }
        Some(Ok(length)) if length > MAX_BODY => {
            return Ok(Frame::BadHeaders(format!(
                "Content-Length {length} is over the limit of {MAX_BODY} bytes"
            )))
        }
        Some(Ok(length)) => length,
    };
    // Grow with the bytes that really arrive, not with what the header claims.
    let mut body = Vec::with_capacity(length.min(1 << 20));
    (&mut *input)
        .take(length as u64)
        .read_to_end(&mut body)
        .await?;
    if body.len() < length {
        return Ok(Frame::End);
    }
    Ok(Frame::Body(body))
}

const CONTENT_LENGTH: &[u8] = b"content-length:";

/// Where `Content-Length:` starts in a header line, in any case.
fn find_content_length(line: &[u8]) -> Option<usize> {
    line.windows(CONTENT_LENGTH.len())
        .position(|window| window.eq_ignore_ascii_case(CONTENT_LENGTH))
}

async fn write_messages<O: AsyncWrite + Unpin>(
    mut output: O,
    mut messages: mpsc::Receiver<Message>,
) {
    while let Some(message) = messages.next().await {
        let body = match serde_json::to_vec(&message) {
            Ok(body) => body,
            Err(err) => {
                tracing::error!("cannot encode a message: {err}");
                continue;
            }
        };
        // One write per message: each write to tokio's stdout is a trip to a blocking thread.
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(&body);
        drop(body);
        let written = async {
            output.write_all(&frame).await?;
            output.flush().await
        };
        if let Err(err) = written.await {
            tracing::error!("cannot write to the client: {err}");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8]) -> Vec<Frame> {
        let mut input = input;
        let mut frames = Vec::new();
        loop {
            let frame = read_frame(&mut input).await.unwrap();
            if frame == Frame::End {
                return frames;
            }
            frames.push(frame);
        }
    }

    fn body(text: &str) -> Frame {
        Frame::Body(text.as_bytes().to_vec())
    }

    #[tokio::test]
    async fn well_formed_frames() {
        let input = b"Content-Length: 2\r\n\r\n{}Content-Length: 4\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\nnull";
        assert_eq!(frames(input).await, [body("{}"), body("null")]);
    }

    #[tokio::test]
    async fn header_names_in_any_case_and_bare_newlines() {
        assert_eq!(frames(b"content-LENGTH:   2 \n\n{}").await, [body("{}")]);
    }

    #[tokio::test]
    async fn bad_lengths_are_reported_and_reading_goes_on() {
        let input = b"Content-Length: abc\r\n\r\nContent-Length: 99999999999999\r\n\r\nX-Other: 1\r\n\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(
            frames(input).await,
            [
                Frame::BadHeaders("Content-Length \"abc\" is not a length".into()),
                Frame::BadHeaders(format!(
                    "Content-Length 99999999999999 is over the limit of {MAX_BODY} bytes"
                )),
                Frame::BadHeaders("no Content-Length header".into()),
                body("{}"),
            ]
        );
    }

    /// A body shorter than announced swallows the start of the next frame; the junk left
    /// over is skipped up to the `Content-Length` after it.
    #[tokio::test]
    async fn junk_before_a_header_is_skipped() {
        let input = b"Content-Length: 30\r\n\r\n{\"jsonrpc\"Content-Length: 2\r\n\r\n{}\"rest of a body\"Content-Length: 4\r\n\r\ntrue";
        let found = frames(input).await;
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1], body("true"));
    }

    #[tokio::test]
    async fn a_truncated_body_at_the_end_of_input_ends_the_session() {
        assert_eq!(frames(b"Content-Length: 10\r\n\r\n{\"a\"").await, []);
        assert_eq!(frames(b"Content-Len").await, []);
    }

    #[tokio::test]
    async fn an_endless_header_line_is_skipped_in_pieces() {
        let mut input = vec![b'x'; 100_000];
        input.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n{}");
        assert_eq!(frames(&input).await, [body("{}")]);
    }

    #[test]
    fn bodies_that_are_not_messages() {
        let error = |body: &str| match parse_message(body.as_bytes()) {
            Ok(_) => panic!("{body} parsed"),
            Err(rejection) => (rejection.id, rejection.error.code.code()),
        };
        assert_eq!(error("{bad"), (Id::Null, -32700));
        assert_eq!(error(""), (Id::Null, -32700));
        assert_eq!(error("[1, 2]"), (Id::Null, -32600));
        assert_eq!(
            error(r#"{"jsonrpc": "1.0", "id": 7, "method": "x"}"#),
            (Id::Number(7), -32600)
        );
        assert_eq!(
            error(r#"{"jsonrpc": "2.0", "id": 1.5, "method": "x"}"#),
            (Id::Null, -32600)
        );
        assert!(matches!(
            parse_message(br#"{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}"#),
            Ok(Message::Request(_))
        ));
        assert!(matches!(
            parse_message(br#"{"jsonrpc": "2.0", "id": 1, "result": null}"#),
            Ok(Message::Response(_))
        ));
    }
}
