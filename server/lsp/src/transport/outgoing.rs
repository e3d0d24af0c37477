//! Messages to the client: one queue, written in order by one writer.
//!
//! The queue has no bound of its own, so that pushing never waits: the reader and the
//! dispatcher push answers without ever waiting for the client to read them, which is
//! what keeps them reading and answering while the output is stuck. What can grow without
//! the client asking is held back instead: the handlers' own messages (diagnostics,
//! requests to the client) wait in [`Outgoing::push_when_room`] while more than
//! [`HIGH_WATER`] bytes are unwritten, and the dispatcher starts no new request then.
//! Whatever still grows is an answer to a message the client sent.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde::Serialize;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, Notify};

use super::frame::encode;

/// Unwritten bytes above which handlers wait to send and no new request is started.
pub(super) const HIGH_WATER: usize = 16 << 20;

enum Item {
    Frame(Vec<u8>),
    /// Everything before this is written, then the writer stops.
    End,
}

/// The sending side of the queue; cheap to clone.
#[derive(Clone)]
pub(super) struct Outgoing {
    shared: Arc<Shared>,
}

struct Shared {
    queue: mpsc::UnboundedSender<Item>,
    /// Bytes pushed and not yet written.
    backlog: AtomicUsize,
    /// Woken when the backlog falls to [`HIGH_WATER`] or below.
    room: Notify,
}

/// The writing side: see [`Writer::run`].
pub(super) struct Writer {
    queue: mpsc::UnboundedReceiver<Item>,
    shared: Arc<Shared>,
}

impl Outgoing {
    pub(super) fn new() -> (Outgoing, Writer) {
        let (queue, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue,
            backlog: AtomicUsize::new(0),
            room: Notify::new(),
        });
        let writer = Writer {
            queue: receiver,
            shared: shared.clone(),
        };
        (Outgoing { shared }, writer)
    }

    /// Queues a message without waiting.
    pub(super) fn push(&self, message: &impl Serialize) {
        let frame = match encode(message) {
            Ok(frame) => frame,
            Err(err) => {
                tracing::error!("cannot encode a message: {err}");
                return;
            }
        };
        self.shared
            .backlog
            .fetch_add(frame.len(), Ordering::Relaxed);
        if self.shared.queue.send(Item::Frame(frame)).is_err() {
            // The writer has stopped: the session is over and nothing more is written.
            tracing::trace!("message dropped after the end of the session");
        }
    }

    /// Queues a message once the backlog is at most [`HIGH_WATER`].
    pub(super) async fn push_when_room(&self, message: &impl Serialize) {
        self.room().await;
        self.push(message);
    }

    /// Whether the backlog is at most [`HIGH_WATER`].
    pub(super) fn has_room(&self) -> bool {
        self.shared.backlog.load(Ordering::Relaxed) <= HIGH_WATER
    }

    /// Waits until [`Outgoing::has_room`].
    pub(super) async fn room(&self) {
        loop {
            let notified = self.shared.room.notified();
            tokio::pin!(notified);
            // Registered before looking, so a wake-up between the two is not lost.
            notified.as_mut().enable();
            if self.has_room() {
                return;
            }
            notified.await;
        }
    }

    /// Asks the writer to stop once everything queued so far is written.
    pub(super) fn end(&self) {
        let _ = self.shared.queue.send(Item::End);
    }
}

impl Writer {
    /// Writes queued messages in order until [`Outgoing::end`], or until the output fails
    /// (the client is gone).
    pub(super) async fn run<O: AsyncWrite + Unpin>(mut self, mut output: O) {
        while let Some(Item::Frame(frame)) = self.queue.recv().await {
            let written = async {
                output.write_all(&frame).await?;
                output.flush().await
            };
            if let Err(err) = written.await {
                tracing::error!("cannot write to the client: {err}");
                return;
            }
            let before = self
                .shared
                .backlog
                .fetch_sub(frame.len(), Ordering::Relaxed);
            if before > HIGH_WATER && before - frame.len() <= HIGH_WATER {
                self.shared.room.notify_waiters();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushing never waits, even far over the high-water mark; what waits for room is
    /// released as the writer catches up, and `end` stops the writer after the rest.
    #[tokio::test]
    async fn pushes_never_wait_and_handlers_wait_for_room() {
        let (outgoing, writer) = Outgoing::new();
        let big = "x".repeat(HIGH_WATER / 2);
        for _ in 0..4 {
            outgoing.push(&big);
        }
        assert!(!outgoing.has_room());
        let waiting = {
            let outgoing = outgoing.clone();
            tokio::spawn(async move { outgoing.push_when_room(&"after").await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "waits while the output is stuck");
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let written = tokio::spawn(writer.run(server));
        let mut received = Vec::new();
        let read = async { tokio::io::AsyncReadExt::read_to_end(&mut client, &mut received).await };
        let finish = async {
            waiting.await.unwrap();
            outgoing.end();
            written.await.unwrap();
        };
        let (read, ()) = tokio::join!(read, finish);
        read.unwrap();
        assert!(received.ends_with(b"Content-Length: 7\r\n\r\n\"after\""));
        // Each frame: "Content-Length: N\r\n\r\n" and the JSON string, quotes included.
        let frame = |body: usize| "Content-Length: \r\n\r\n".len() + body.to_string().len() + body;
        assert_eq!(received.len(), 4 * frame(big.len() + 2) + frame(7));
    }
}
