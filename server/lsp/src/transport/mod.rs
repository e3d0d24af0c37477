//! JSON-RPC over a byte stream, framed by `Content-Length` headers, around tower-lsp's
//! `LspService`.
//!
//! This replaces `tower_lsp::Server`, which (in 0.20) stops reading for good at the first
//! malformed message, logs every message body at trace level, tokens included, and reads
//! the next message only once there is room for it in a bounded queue: with its four
//! request slots taken by commands waiting for the editor's replies and the queue full of
//! `didChange`s, it never read the replies again.
//!
//! The contract, which any LSP service (tower-lsp or a fork of it) can be served under:
//!
//! - **The reader never waits for anything but input.** Replies from the client go
//!   straight to the requests waiting for them ([`ClientRequests`]); requests and
//!   notifications go to the dispatcher ([`dispatch`]), which never makes the reader wait
//!   either; answers the reader gives itself (to malformed frames, `$/` requests,
//!   requests refused for lack of room) are queued for output without waiting
//!   ([`outgoing`]).
//! - **Every request gets an answer**: its handler's, or an error. `$/` requests (with an
//!   id) are answered MethodNotFound, requests cancelled by `$/cancelRequest` are answered
//!   RequestCancelled at once, whether waiting or running, and requests that would exceed
//!   the bytes allowed to wait are answered RequestFailed.
//! - **Order**: messages are started in arrival order, and document notifications change
//!   the documents as they start (see [`dispatch`] for requests overtaken by a change).
//! - **Requests to the client time out** ([`Limits::client_timeout`]) and are withdrawn.
//! - **A message over [`Limits::max_message_size`]** is refused with a parse error and
//!   its bytes skipped as they arrive, never held in memory; reading resumes after it.
//! - **Logs** carry methods, ids, sizes and counts; never a message body.
//! - `exit` ends the session at once; the end of the input ends it once the answers being
//!   worked out are written.

mod client;
mod dispatch;
mod frame;
mod outgoing;

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp::jsonrpc::{Error, ErrorCode, Id, Request, Response};
use tower_lsp::lsp_types::notification::{Notification, ShowMessage};
use tower_lsp::lsp_types::{MessageType, ShowMessageParams};
use tower_lsp::{ClientSocket, LanguageServer, LspService};

pub use client::{ClientRequestError, ClientRequests};
use dispatch::Intake;
use frame::Frame;
use outgoing::Outgoing;

/// What the transport allows; see `jwtlens lsp --help`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The largest message read, in bytes. Bigger ones are refused and skipped. Requests
    /// waiting for a free slot may hold this many bytes in all.
    pub max_message_size: usize,
    /// How long a request to the client may go unanswered.
    pub client_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_message_size: 64 << 20,
            client_timeout: Duration::from_secs(30),
        }
    }
}

/// Parses a size in bytes: a number, optionally followed by `K`, `M` or `G` (powers of
/// 1024, with or without `iB`/`B`).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("{text:?}: a size is a number and K, M or G")),
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|number| number.checked_mul(1 << shift))
        .filter(|&size| size > 0)
        .ok_or_else(|| format!("{text:?}: a size is a positive number and K, M or G"))
}

/// A message from the client.
enum Message {
    Response(Response),
    Request(Request),
}

/// Serves the service `build` makes on `input`/`output` until the input ends or the
/// client sends `exit`. `build` gets the handle its handlers send requests to the client
/// with; tower-lsp's own `Client` (in the `ClientSocket`) is used for notifications only.
pub async fn serve<I, O, S, F>(input: I, output: O, limits: Limits, build: F)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
    S: LanguageServer,
    F: FnOnce(ClientRequests) -> (LspService<S>, ClientSocket),
{
    let (outgoing, writer) = Outgoing::new();
    let requests = ClientRequests::new(outgoing.clone(), limits.client_timeout);
    let (service, socket) = build(requests.clone());
    // Replies are routed by `requests`; tower-lsp's reply table is not used (see `client`).
    let (notifications, _) = socket.split();
    let (intake, dispatcher) = dispatch::new(service, outgoing.clone(), limits.max_message_size);
    let read = read_messages(input, &limits, intake, &requests, &outgoing);
    let dispatch = dispatcher.run();
    let forward = forward_notifications(notifications, &outgoing);
    let write = writer.run(output);
    tokio::pin!(read, dispatch, forward, write);
    let ended = tokio::select! {
        ended = &mut read => ended,
        // The client stopped reading for good: nothing can be answered any more.
        () = &mut write => return,
        // `forward` never ends, and `dispatch` only after `read`: they are polled here to
        // make progress.
        () = &mut forward => return,
        () = &mut dispatch => return,
    };
    if ended == Ended::Exit {
        // After `exit` nothing more is owed to the client.
        return;
    }
    // The input has ended: no reply from the client can come, so requests to it fail now;
    // the answers still being worked out are written before returning.
    requests.close();
    tokio::select! {
        () = &mut dispatch => {}
        () = &mut write => return,
        () = &mut forward => return,
    }
    outgoing.end();
    write.await;
}

/// Why reading stopped.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    Input,
    Exit,
}

async fn read_messages<I: AsyncRead + Unpin>(
    input: I,
    limits: &Limits,
    intake: Intake,
    requests: &ClientRequests,
    outgoing: &Outgoing,
) -> Ended {
    let mut input = tokio::io::BufReader::with_capacity(1 << 16, input);
    loop {
        let frame = match frame::read_frame(&mut input, limits.max_message_size).await {
            Ok(frame) => frame,
            Err(err) => {
                tracing::error!("cannot read from the client: {err}");
                return Ended::Input;
            }
        };
        let (message, size) = match frame {
            Frame::End => return Ended::Input,
            Frame::BadHeaders(why) => {
                reject(outgoing, *Rejection::parse_error(why));
                continue;
            }
            Frame::TooLarge(length) => {
                refuse_too_large(outgoing, length, limits.max_message_size);
                match frame::discard(&mut input, length).await {
                    Ok(true) => continue,
                    Ok(false) => return Ended::Input,
                    Err(err) => {
                        tracing::error!("cannot read from the client: {err}");
                        return Ended::Input;
                    }
                }
            }
            Frame::Body(body) => (parse_message(&body), body.len()),
        };
        match message {
            Ok(Message::Response(response)) => requests.deliver(response),
            Ok(Message::Request(request)) => {
                let request = with_params_as_the_service_takes_them(request);
                tracing::trace!(method = request.method(), id = ?request.id(), size, "read");
                if request.method() == "exit" {
                    return Ended::Exit;
                }
                match request.id() {
                    // `$/` methods are optional; a request for one still needs an answer.
                    Some(id) if request.method().starts_with("$/") => {
                        let mut error = Error::method_not_found();
                        error.data = Some(Value::from(request.method()));
                        outgoing.push(&Response::from_error(id.clone(), error));
                    }
                    _ => {
                        if let Err(dispatch::Busy(request)) = intake.submit(request, size) {
                            tracing::warn!(
                                method = request.method(),
                                "request refused: too many waiting"
                            );
                            if let Some(id) = request.id() {
                                let error = dispatch::busy_error(limits.max_message_size);
                                outgoing.push(&Response::from_error(id.clone(), error));
                            }
                        }
                    }
                }
            }
            Err(rejection) => reject(outgoing, *rejection),
        }
    }
}

const MIB: f64 = (1 << 20) as f64;

/// Answers a message over the size limit, whose body is about to be skipped, and tells
/// the user: a document that large is not analysed.
fn refuse_too_large(outgoing: &Outgoing, length: u64, limit: usize) {
    tracing::warn!(length, limit, "message over the size limit refused");
    let error = Error {
        code: ErrorCode::ParseError,
        message: format!("a message of {length} bytes is over the limit of {limit} bytes").into(),
        data: None,
    };
    outgoing.push(&Response::from_error(Id::Null, error));
    let show = Request::build(ShowMessage::METHOD)
        .params(serde_json::json!(ShowMessageParams {
            typ: MessageType::WARNING,
            message: format!(
                "jwtlens: the editor sent a message of {:.1} MiB, over the limit of {:.1} MiB; it was skipped (a document that large is not analysed; see --max-message-size)",
                length as f64 / MIB,
                limit as f64 / MIB
            ),
        }))
        .finish();
    outgoing.push(&show);
}

/// Forwards the notifications handlers send through tower-lsp's `Client`, holding them
/// back while the output is backed up. Ends only when the output is gone.
async fn forward_notifications(
    mut notifications: impl futures::Stream<Item = Request> + Unpin,
    outgoing: &Outgoing,
) {
    use futures::StreamExt;
    while let Some(message) = notifications.next().await {
        if message.id().is_some() {
            // Its reply would never reach it: see `client`.
            tracing::error!(
                method = message.method(),
                "a request to the client was sent through tower_lsp::Client; use ClientRequests"
            );
            debug_assert!(false, "requests to the client go through ClientRequests");
        }
        outgoing.push_when_room(&message).await;
    }
    // tower-lsp's `Client` is closed only when the service is gone; nothing more to do.
    std::future::pending::<()>().await;
}

/// `request` with its params in the shape the service takes: clients write "no params"
/// as `"params": null` (Eglot, lsp4j), `{}` or nothing, and tower-lsp accepts only
/// nothing for a method without params (`shutdown`) and refuses a missing `params` for
/// `initialized`, whose fields are all optional.
fn with_params_as_the_service_takes_them(request: Request) -> Request {
    let no_params = matches!(request.method(), "shutdown" | "exit");
    let (method, id, params) = request.into_parts();
    let params = match params {
        Some(Value::Null) => None,
        Some(Value::Object(fields)) if no_params && fields.is_empty() => None,
        params => params,
    };
    let params = match params {
        None if method == "initialized" => Some(Value::Object(Default::default())),
        params => params,
    };
    let mut builder = Request::build(method);
    if let Some(id) = id {
        builder = builder.id(id);
    }
    if let Some(params) = params {
        builder = builder.params(params);
    }
    builder.finish()
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

fn reject(outgoing: &Outgoing, Rejection { id, error, why }: Rejection) {
    tracing::warn!("malformed message from the client: {why}");
    outgoing.push(&Response::from_error(id, error));
}

/// The message in a frame's body, or the error response it earns: a parse error for
/// text that is not JSON, an invalid request (with the request's id, when it has a
/// usable one) for JSON that is not a JSON-RPC message. The reasons quote no input.
///
/// The body is parsed once, into a `Value` that is then taken apart: a message with a
/// `method` is a request or notification, any other a response. (Deserialising an
/// untagged enum instead buffers the whole body and reads it again per variant: a
/// document's text was copied three times.)
fn parse_message(body: &[u8]) -> Result<Message, Box<Rejection>> {
    let value = serde_json::from_slice::<Value>(body)
        .map_err(|err| Rejection::parse_error(format!("not JSON: {err}")))?;
    let id = value
        .get("id")
        .and_then(|id| Id::deserialize(id).ok())
        .unwrap_or(Id::Null);
    let message = if value.get("method").is_some() {
        serde_json::from_value(value).map(Message::Request)
    } else {
        serde_json::from_value(value).map(Message::Response)
    };
    message.map_err(|err| {
        Box::new(Rejection {
            id,
            error: Error::invalid_request(),
            why: format!("not a JSON-RPC message: {err}"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_params_written_as_null_or_empty() {
        let params = |body: &str| match parse_message(body.as_bytes()) {
            Ok(Message::Request(request)) => with_params_as_the_service_takes_them(request)
                .params()
                .cloned(),
            _ => panic!("{body} is a request"),
        };
        for shutdown in [
            r#"{"jsonrpc": "2.0", "id": 1, "method": "shutdown", "params": null}"#,
            r#"{"jsonrpc": "2.0", "id": 1, "method": "shutdown", "params": {}}"#,
            r#"{"jsonrpc": "2.0", "id": 1, "method": "shutdown"}"#,
        ] {
            assert_eq!(params(shutdown), None, "{shutdown}");
        }
        let initialized = r#"{"jsonrpc": "2.0", "method": "initialized", "params": null}"#;
        assert_eq!(params(initialized), Some(serde_json::json!({})));
        // Params that say something are kept, and an empty object where one is expected.
        let hover = r#"{"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {}}"#;
        assert_eq!(params(hover), Some(serde_json::json!({})));
        let change = r#"{"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration", "params": {"settings": null}}"#;
        assert_eq!(params(change), Some(serde_json::json!({"settings": null})));
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
        assert!(matches!(
            parse_message(
                br#"{"jsonrpc": "2.0", "id": 2, "error": {"code": -32601, "message": "no"}}"#
            ),
            Ok(Message::Response(_))
        ));
        assert!(matches!(
            parse_message(br#"{"jsonrpc": "2.0", "method": "initialized", "params": {}}"#),
            Ok(Message::Request(request)) if request.id().is_none()
        ));
        assert_eq!(
            error(r#"{"jsonrpc": "2.0", "id": 3, "method": 5}"#),
            (Id::Number(3), -32600),
            "a method that is not a string"
        );
        assert_eq!(
            error(r#"{"jsonrpc": "2.0", "id": "x"}"#),
            (Id::String("x".to_owned()), -32600),
            "neither a request nor a response"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("128M"), Ok(128 << 20));
        assert_eq!(parse_size("64 MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("512KB"), Ok(512 << 10));
        for bad in ["", "0", "M", "12X", "-1M", "99999999999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
