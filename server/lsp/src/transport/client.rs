//! Requests from the server to the client (`workspace/applyEdit`, `workspace/configuration`,
//! `client/registerCapability`…): numbered, sent, and matched with the client's replies,
//! which the reader hands over the moment they arrive. A request the client does not
//! answer in time is withdrawn (`$/cancelRequest` to the client) and fails with
//! [`ClientRequestError::TimedOut`], so a handler waiting for the editor never waits
//! forever.
//!
//! tower-lsp's `Client` has requests of its own, with no timeout, and its reply table
//! panics when a reply comes for a request whose waiter is gone (a timed-out or cancelled
//! one). Replies are therefore never routed to it: the server sends every request to the
//! client through [`ClientRequests`], and uses tower-lsp's `Client` for notifications only
//! (except diagnostics, which [`ClientRequests::notify`] writes without a copy).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::json;
use tokio::sync::oneshot;
use tower_lsp::jsonrpc::{self, ErrorCode, Id, Request, Response};
use tower_lsp::lsp_types;

use super::outgoing::Outgoing;

/// Sends requests to the client; cheap to clone.
#[derive(Clone)]
pub struct ClientRequests {
    shared: Arc<Shared>,
}

struct Shared {
    outgoing: Outgoing,
    timeout: Duration,
    next_id: AtomicI64,
    /// Requests sent and not yet answered, by id.
    waiting: Mutex<HashMap<Id, oneshot::Sender<Response>>>,
    /// The input has ended: no reply can come any more.
    closed: AtomicBool,
}

/// Why a request to the client has no result.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientRequestError {
    /// No reply within the timeout; the request was withdrawn.
    TimedOut {
        method: &'static str,
        after: Duration,
    },
    /// The client answered with an error.
    Failed {
        method: &'static str,
        error: jsonrpc::Error,
    },
    /// The client's result is not what the protocol says it should be. (Serde's reason
    /// is not kept: it quotes the reply, which for `workspace/configuration` holds the
    /// user's settings, secrets included.)
    Malformed { method: &'static str },
    /// The connection to the client has ended.
    Closed { method: &'static str },
}

impl fmt::Display for ClientRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientRequestError::TimedOut { method, after } => write!(
                f,
                "the editor did not answer {method} within {} s",
                after.as_secs_f64()
            ),
            ClientRequestError::Failed { method, error } => {
                write!(f, "the editor refused {method}: {}", error.message)
            }
            ClientRequestError::Malformed { method } => {
                write!(
                    f,
                    "the editor's answer to {method} is not what LSP says it is"
                )
            }
            ClientRequestError::Closed { method } => {
                write!(
                    f,
                    "the editor closed the connection before answering {method}"
                )
            }
        }
    }
}

impl std::error::Error for ClientRequestError {}

/// LSP's RequestFailed: the request was valid, and failed.
pub const REQUEST_FAILED: ErrorCode = ErrorCode::ServerError(-32803);

impl From<ClientRequestError> for jsonrpc::Error {
    /// The error a request handler answers when the editor did not give it what it needed.
    fn from(err: ClientRequestError) -> jsonrpc::Error {
        jsonrpc::Error {
            code: REQUEST_FAILED,
            message: err.to_string().into(),
            data: None,
        }
    }
}

impl ClientRequests {
    pub(super) fn new(outgoing: Outgoing, timeout: Duration) -> ClientRequests {
        ClientRequests {
            shared: Arc::new(Shared {
                outgoing,
                timeout,
                next_id: AtomicI64::new(1),
                waiting: Mutex::new(HashMap::new()),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// Sends notification `N`. tower-lsp's `Client` turns the parameters into a
    /// `serde_json::Value` before they are written: for the thousands of diagnostics of a
    /// 10 MB document that copy (and freeing it) cost milliseconds on every keystroke.
    /// This writes them from `params` directly. Every notification of one method goes
    /// one way, so that two of them cannot overtake each other.
    pub async fn notify<N>(&self, params: &N::Params)
    where
        N: lsp_types::notification::Notification,
    {
        #[derive(serde::Serialize)]
        struct Notification<'a, P> {
            jsonrpc: &'static str,
            method: &'static str,
            params: &'a P,
        }
        let notification = Notification {
            jsonrpc: "2.0",
            method: N::METHOD,
            params,
        };
        self.shared.outgoing.push_when_room(&notification).await;
    }

    /// How long a request may go unanswered.
    pub fn timeout(&self) -> Duration {
        self.shared.timeout
    }

    /// Sends request `R` and waits for the client's reply, at most the timeout.
    pub async fn send<R>(&self, params: R::Params) -> Result<R::Result, ClientRequestError>
    where
        R: lsp_types::request::Request,
    {
        let method = R::METHOD;
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(ClientRequestError::Closed { method });
        }
        // The parameters' types come from lsp_types: they always serialise.
        let params = serde_json::to_value(params).unwrap_or_default();
        let id = Id::Number(self.shared.next_id.fetch_add(1, Ordering::Relaxed));
        let (reply, replied) = oneshot::channel();
        self.waiting().insert(id.clone(), reply);
        // Forgets the request however this future ends: answered, timed out or dropped.
        let _forget = Forget {
            shared: &self.shared,
            id: id.clone(),
        };
        let request = Request::build(method)
            .id(id.clone())
            .params(params)
            .finish();
        let exchange = async {
            self.shared.outgoing.push_when_room(&request).await;
            replied.await
        };
        let response = match tokio::time::timeout(self.shared.timeout, exchange).await {
            Ok(Ok(response)) => response,
            Ok(Err(_)) => return Err(ClientRequestError::Closed { method }),
            Err(_) => {
                tracing::warn!(method, %id, "the client did not answer in time");
                let cancel = Request::build("$/cancelRequest")
                    .params(json!({ "id": id }))
                    .finish();
                self.shared.outgoing.push(&cancel);
                return Err(ClientRequestError::TimedOut {
                    method,
                    after: self.shared.timeout,
                });
            }
        };
        let (_, result) = response.into_parts();
        let value = result.map_err(|error| ClientRequestError::Failed { method, error })?;
        serde_json::from_value(value).map_err(|_| ClientRequestError::Malformed { method })
    }

    /// Hands a reply from the client to the request waiting for it. A reply nobody waits
    /// for (to a request that timed out or was cancelled) is dropped.
    pub(super) fn deliver(&self, response: Response) {
        let waiting = self.waiting().remove(response.id());
        match waiting {
            Some(reply) => {
                // The waiter may be gone since it was looked up; then nobody needs it.
                let _ = reply.send(response);
            }
            None => tracing::debug!(id = %response.id(), "a reply to no waiting request"),
        }
    }

    /// The input has ended: waiting requests fail now rather than at their timeout, and
    /// new ones fail at once.
    pub(super) fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        self.waiting().clear();
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<Id, oneshot::Sender<Response>>> {
        self.shared
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

struct Forget<'a> {
    shared: &'a Shared,
    id: Id,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.shared
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::request::{ApplyWorkspaceEdit, WorkspaceConfiguration};
    use tokio::io::{AsyncReadExt, BufReader, DuplexStream};

    use crate::transport::frame::{read_frame, Frame};

    /// Requests whose messages a test client reads.
    fn requests(timeout: Duration) -> (ClientRequests, BufReader<DuplexStream>) {
        let (outgoing, writer) = Outgoing::new();
        let (client, server) = tokio::io::duplex(1 << 16);
        tokio::spawn(writer.run(server));
        (
            ClientRequests::new(outgoing, timeout),
            BufReader::new(client),
        )
    }

    /// The next message the client receives.
    async fn next_message(client: &mut BufReader<DuplexStream>) -> serde_json::Value {
        match read_frame(client, 1 << 20).await.unwrap() {
            Frame::Body(body) => serde_json::from_slice(&body).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn replies_reach_their_request_and_late_ones_are_dropped() {
        let (requests, mut client) = requests(Duration::from_secs(20));
        let sent = {
            let requests = requests.clone();
            tokio::spawn(async move {
                let item = lsp_types::ConfigurationItem::default();
                requests
                    .send::<WorkspaceConfiguration>(lsp_types::ConfigurationParams {
                        items: vec![item],
                    })
                    .await
            })
        };
        let request = next_message(&mut client).await;
        assert_eq!(request["method"], "workspace/configuration");
        let id: Id = serde_json::from_value(request["id"].clone()).unwrap();
        requests.deliver(Response::from_ok(id.clone(), json!([{"a": 1}])));
        assert_eq!(sent.await.unwrap(), Ok(vec![json!({"a": 1})]));
        // A second reply to the same request, and one to a request never sent.
        requests.deliver(Response::from_ok(id, json!([])));
        requests.deliver(Response::from_ok(Id::Number(999), json!(null)));
        assert!(requests.waiting().is_empty());
    }

    #[tokio::test]
    async fn an_unanswered_request_times_out_and_is_withdrawn() {
        let (requests, mut client) = requests(Duration::from_millis(50));
        let edit = lsp_types::ApplyWorkspaceEditParams {
            label: None,
            edit: lsp_types::WorkspaceEdit::default(),
        };
        let outcome = requests.send::<ApplyWorkspaceEdit>(edit).await;
        assert_eq!(
            outcome.unwrap_err().to_string(),
            "the editor did not answer workspace/applyEdit within 0.05 s"
        );
        let request = next_message(&mut client).await;
        let cancel = next_message(&mut client).await;
        assert_eq!(cancel["method"], "$/cancelRequest");
        assert_eq!(cancel["params"]["id"], request["id"]);
        // The reply that comes after all is dropped, not delivered to anyone.
        let id: Id = serde_json::from_value(request["id"].clone()).unwrap();
        requests.deliver(Response::from_ok(id, json!({"applied": true})));
        assert!(requests.waiting().is_empty());
        let mut rest = [0; 1];
        let more = tokio::time::timeout(Duration::from_millis(50), client.read(&mut rest)).await;
        assert!(more.is_err(), "nothing else was sent");
    }

    #[tokio::test]
    async fn closing_fails_waiting_and_new_requests_at_once() {
        let (requests, _client) = requests(Duration::from_secs(20));
        let waiting = {
            let requests = requests.clone();
            tokio::spawn(async move {
                requests
                    .send::<lsp_types::request::InlayHintRefreshRequest>(())
                    .await
            })
        };
        while requests.waiting().is_empty() {
            tokio::task::yield_now().await;
        }
        requests.close();
        let closed = ClientRequestError::Closed {
            method: "workspace/inlayHint/refresh",
        };
        assert_eq!(waiting.await.unwrap(), Err(closed.clone()));
        assert_eq!(
            requests
                .send::<lsp_types::request::InlayHintRefreshRequest>(())
                .await,
            Err(closed)
        );
    }
}
