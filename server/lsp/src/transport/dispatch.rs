//! Running requests and notifications through the `LspService`, without ever making the
//! reader wait.
//!
//! The reader hands every request and notification to the dispatcher through an unbounded
//! channel ([`Intake`]) and goes back to reading. The dispatcher:
//!
//! - starts every notification as soon as it arrives, in arrival order. Starting a message
//!   means calling the service and polling its future once, right away: the handlers of
//!   `didOpen`, `didChange` and `didClose` change the documents before their first await,
//!   so each change is made before the next message is started;
//! - starts requests in arrival order, at most [`MAX_CONCURRENCY`] at a time, and none
//!   while the output is backed up. A request takes its snapshot of the document in that
//!   first poll. Requests that cannot start yet wait in a queue whose size in bytes is
//!   bounded: beyond the bound, the reader answers new requests with an error at once;
//! - keeps a waiting request from running on text it was not asked about: when a
//!   `didOpen`, `didChange` or `didClose` overtakes a waiting request on the same document,
//!   the request is answered ContentModified (-32801), as LSP prescribes;
//! - answers `$/cancelRequest` at once: a waiting request is taken out of the queue and
//!   answered RequestCancelled (-32800); a running one is aborted through tower-lsp, whose
//!   future then resolves to the same error, whatever else occupies the slots.
//!
//! Nothing here waits for a handler, the client or the output: the loop only picks up what
//! is ready.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use futures::stream::FuturesUnordered;
use futures::{future, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tower::Service;
use tower_lsp::jsonrpc::{Error, Id, Request, Response};
use tower_lsp::{LanguageServer, LspService};

use super::client::REQUEST_FAILED;
use super::outgoing::Outgoing;

/// Requests handled at once (tower-lsp's default).
pub(super) const MAX_CONCURRENCY: usize = 4;

type ServiceFuture<S> = <LspService<S> as Service<Request>>::Future;

/// The reader's side: hands messages over without waiting.
pub(super) struct Intake {
    messages: mpsc::UnboundedSender<(Request, usize)>,
    /// Bytes of requests handed over and not started yet.
    waiting_bytes: Arc<AtomicUsize>,
    max_waiting_bytes: usize,
}

/// A request refused because too many bytes of requests wait already.
pub(super) struct Busy(pub Request);

impl Intake {
    /// Hands a message over; `size` is its length in the input. A request is refused when
    /// the requests waiting already hold `max_waiting_bytes` (one always fits an empty
    /// queue). Notifications are never refused: they start as soon as they arrive.
    pub(super) fn submit(&self, message: Request, size: usize) -> Result<(), Busy> {
        let size = if message.id().is_some() {
            let admitted =
                self.waiting_bytes
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |waiting| {
                        (waiting == 0 || waiting + size <= self.max_waiting_bytes)
                            .then_some(waiting + size)
                    });
            if admitted.is_err() {
                return Err(Busy(message));
            }
            size
        } else {
            0
        };
        // The dispatcher outlives the reader; if it stopped, the service has.
        let _ = self.messages.send((message, size));
        Ok(())
    }
}

/// The error a request refused for lack of room is answered with.
pub(super) fn busy_error(max_waiting_bytes: usize) -> Error {
    Error {
        code: REQUEST_FAILED,
        message: format!(
            "jwtlens is busy: requests holding {max_waiting_bytes} bytes are already waiting; try again"
        )
        .into(),
        data: None,
    }
}

struct Waiting {
    request: Request,
    size: usize,
}

pub(super) struct Dispatcher<S: LanguageServer> {
    service: LspService<S>,
    messages: mpsc::UnboundedReceiver<(Request, usize)>,
    waiting: VecDeque<Waiting>,
    waiting_bytes: Arc<AtomicUsize>,
    running: FuturesUnordered<ServiceFuture<S>>,
    notifications: FuturesUnordered<ServiceFuture<S>>,
    outgoing: Outgoing,
}

pub(super) fn new<S: LanguageServer>(
    service: LspService<S>,
    outgoing: Outgoing,
    max_waiting_bytes: usize,
) -> (Intake, Dispatcher<S>) {
    let (sender, messages) = mpsc::unbounded_channel();
    let waiting_bytes = Arc::new(AtomicUsize::new(0));
    let intake = Intake {
        messages: sender,
        waiting_bytes: waiting_bytes.clone(),
        max_waiting_bytes,
    };
    let dispatcher = Dispatcher {
        service,
        messages,
        waiting: VecDeque::new(),
        waiting_bytes,
        running: FuturesUnordered::new(),
        notifications: FuturesUnordered::new(),
        outgoing,
    };
    (intake, dispatcher)
}

impl<S: LanguageServer> Dispatcher<S> {
    /// Runs until the [`Intake`] is dropped and every message handed over is answered.
    pub(super) async fn run(mut self) {
        let mut input_open = true;
        loop {
            self.start_waiting().await;
            if !input_open && self.is_idle() {
                return;
            }
            let blocked_on_output = self.can_start_more() && !self.outgoing.has_room();
            tokio::select! {
                message = self.messages.recv(), if input_open => match message {
                    Some((message, size)) => self.receive(message, size).await,
                    None => input_open = false,
                },
                Some(done) = self.running.next(), if !self.running.is_empty() => {
                    self.answer(done);
                }
                Some(done) = self.notifications.next(), if !self.notifications.is_empty() => {
                    self.answer(done);
                }
                () = self.outgoing.room(), if blocked_on_output => {}
            }
        }
    }

    fn is_idle(&self) -> bool {
        self.waiting.is_empty() && self.running.is_empty() && self.notifications.is_empty()
    }

    fn can_start_more(&self) -> bool {
        !self.waiting.is_empty() && self.running.len() < MAX_CONCURRENCY
    }

    async fn receive(&mut self, message: Request, size: usize) {
        if message.method() == "$/cancelRequest" {
            self.cancel(message).await;
        } else if message.id().is_some() {
            self.waiting.push_back(Waiting {
                request: message,
                size,
            });
        } else {
            if let Some(uri) = changed_document(&message) {
                self.supersede(&uri);
            }
            if let Some(pending) = self.start(message).await {
                self.notifications.push(pending);
            }
        }
    }

    /// Starts waiting requests while there are free slots and room in the output.
    async fn start_waiting(&mut self) {
        while self.can_start_more() && self.outgoing.has_room() {
            let Some(Waiting { request, size }) = self.waiting.pop_front() else {
                return;
            };
            self.waiting_bytes.fetch_sub(size, Ordering::AcqRel);
            if let Some(pending) = self.start(request).await {
                self.running.push(pending);
            }
        }
    }

    /// Calls the service and polls the future once; returns it unless it is done.
    async fn start(&mut self, message: Request) -> Option<ServiceFuture<S>> {
        tracing::trace!(method = message.method(), id = ?message.id(), "start");
        // Always ready (tower-lsp refuses calls only after `exit`, which never reaches it).
        if future::poll_fn(|cx| self.service.poll_ready(cx))
            .await
            .is_err()
        {
            return None;
        }
        let mut pending = self.service.call(message);
        match futures::poll!(&mut pending) {
            Poll::Ready(done) => {
                self.answer(done);
                None
            }
            Poll::Pending => Some(pending),
        }
    }

    fn answer(&self, done: Result<Option<Response>, impl std::fmt::Debug>) {
        if let Ok(Some(response)) = done {
            self.outgoing.push(&response);
        }
    }

    /// `$/cancelRequest`: a waiting request is answered here; a running one is aborted by
    /// tower-lsp, and answered when its future resolves (at its next poll).
    async fn cancel(&mut self, cancel: Request) {
        let id = cancel
            .params()
            .and_then(|params| params.get("id"))
            .and_then(|id| serde_json::from_value::<Id>(id.clone()).ok());
        let Some(id) = id else { return };
        let at = self
            .waiting
            .iter()
            .position(|waiting| waiting.request.id() == Some(&id));
        match at.and_then(|at| self.waiting.remove(at)) {
            Some(waiting) => {
                tracing::debug!(%id, "cancelled before it started");
                self.waiting_bytes.fetch_sub(waiting.size, Ordering::AcqRel);
                self.outgoing
                    .push(&Response::from_error(id, Error::request_cancelled()));
            }
            None => {
                if let Some(pending) = self.start(cancel).await {
                    self.notifications.push(pending);
                }
            }
        }
    }

    /// Answers ContentModified to the waiting requests on `uri`, which a change overtakes.
    fn supersede(&mut self, uri: &str) {
        let before = self.waiting.len();
        let mut kept = VecDeque::with_capacity(before);
        for waiting in self.waiting.drain(..) {
            if document(&waiting.request) != Some(uri) {
                kept.push_back(waiting);
                continue;
            }
            self.waiting_bytes.fetch_sub(waiting.size, Ordering::AcqRel);
            let Some(id) = waiting.request.id().cloned() else {
                continue;
            };
            let mut error = Error::content_modified();
            error.message = "the document changed before this request could run".into();
            self.outgoing.push(&Response::from_error(id, error));
        }
        self.waiting = kept;
        if self.waiting.len() < before {
            tracing::debug!(
                superseded = before - self.waiting.len(),
                "waiting requests overtaken by a change"
            );
        }
    }
}

/// The document a `didOpen`, `didChange` or `didClose` changes.
fn changed_document(notification: &Request) -> Option<String> {
    match notification.method() {
        "textDocument/didOpen" | "textDocument/didChange" | "textDocument/didClose" => {
            document(notification).map(str::to_owned)
        }
        _ => None,
    }
}

/// The document a message is about: `textDocument.uri`, or for a command, that of its
/// argument (`jwtlens.*` commands take `{textDocument: {uri}}` or `{uri}`).
fn document(message: &Request) -> Option<&str> {
    let params = message.params()?;
    match message.method() {
        "workspace/executeCommand" => uri_in(params.get("arguments")?.get(0)?),
        _ => uri_in(params),
    }
}

/// `textDocument.uri` or `uri` in `value`.
fn uri_in(value: &Value) -> Option<&str> {
    value
        .get("textDocument")
        .and_then(|document| document.get("uri"))
        .or_else(|| value.get("uri"))?
        .as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Requests are refused once the waiting ones hold the bound (one always fits an
    /// empty queue); notifications never are.
    #[test]
    fn the_bytes_of_waiting_requests_are_bounded() {
        let (messages, mut received) = mpsc::unbounded_channel();
        let intake = Intake {
            messages,
            waiting_bytes: Arc::new(AtomicUsize::new(0)),
            max_waiting_bytes: 100,
        };
        let request = |id: i64| Request::build("textDocument/hover").id(id).finish();
        let notification = Request::build("textDocument/didChange").finish();
        assert!(
            intake.submit(request(1), 150).is_ok(),
            "alone, even over the bound"
        );
        assert!(intake.submit(request(2), 10).is_err());
        assert!(intake.submit(notification.clone(), 1000).is_ok());
        intake.waiting_bytes.fetch_sub(150, Ordering::AcqRel); // the first one started
        assert!(intake.submit(request(3), 60).is_ok());
        assert!(intake.submit(request(4), 40).is_ok());
        assert!(intake.submit(request(5), 1).is_err());
        let sizes: Vec<(Option<Id>, usize)> = std::iter::from_fn(|| received.try_recv().ok())
            .map(|(message, size)| (message.id().cloned(), size))
            .collect();
        let id = |n| Some(Id::Number(n));
        assert_eq!(
            sizes,
            [(id(1), 150), (None, 0), (id(3), 60), (id(4), 40)],
            "notifications are not counted"
        );
    }

    #[test]
    fn the_document_of_a_message() {
        let message =
            |method: &str, params: Value| Request::build(method.to_owned()).params(params).finish();
        let hover = message(
            "textDocument/hover",
            json!({"textDocument": {"uri": "file:///a.ts"}, "position": {"line": 0, "character": 0}}),
        );
        assert_eq!(document(&hover), Some("file:///a.ts"));
        let command = message(
            "workspace/executeCommand",
            json!({"command": "jwtlens.mint", "arguments": [{"uri": "file:///b.ts"}]}),
        );
        assert_eq!(document(&command), Some("file:///b.ts"));
        let change = message(
            "textDocument/didChange",
            json!({"textDocument": {"uri": "file:///a.ts", "version": 2}, "contentChanges": []}),
        );
        assert_eq!(changed_document(&change).as_deref(), Some("file:///a.ts"));
        assert_eq!(changed_document(&hover), None, "a request changes nothing");
        let save = message(
            "textDocument/didSave",
            json!({"textDocument": {"uri": "file:///a.ts"}}),
        );
        assert_eq!(changed_document(&save), None, "saving changes no text");
        assert_eq!(document(&message("shutdown", Value::Null)), None);
    }
}
