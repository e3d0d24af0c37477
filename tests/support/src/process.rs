//! The language server in another process: the real `jwtlens` binary (or a wrapper
//! around it, such as `strace`) over its stdin and stdout, as an editor runs it.

use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use crate::client::{LspClient, TIMEOUT};

/// A client of the server in another process, over its stdin and stdout.
pub type Binary = LspClient<tokio::process::ChildStdout, tokio::process::ChildStdin>;

/// A server process and the client talking to it. Its stderr is read in the background,
/// so that logging never blocks it, and handed over by [`ServerProcess::finish`].
pub struct ServerProcess {
    child: Child,
    pub client: Binary,
    stderr: JoinHandle<String>,
}

impl ServerProcess {
    /// Starts a command that serves LSP on its stdio.
    pub fn spawn(mut command: Command) -> ServerProcess {
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the jwtlens binary starts");
        let client = LspClient::new(child.stdout.take().unwrap(), child.stdin.take().unwrap());
        let mut stderr = child.stderr.take().unwrap();
        let stderr = tokio::spawn(async move {
            let mut bytes = Vec::new();
            let _ = stderr.read_to_end(&mut bytes).await;
            String::from_utf8_lossy(&bytes).into_owned()
        });
        ServerProcess {
            child,
            client,
            stderr,
        }
    }

    /// A memory figure of the process (`VmRSS`, `VmHWM`… from `/proc/<pid>/status`), in
    /// MiB.
    pub fn memory_mib(&self, field: &str) -> f64 {
        let pid = self.child.id().expect("the process is running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/<pid>/status"));
        kib / 1024.0
    }

    /// [`ServerProcess::finish_within`] the client's [`TIMEOUT`].
    pub async fn finish(self) -> String {
        self.finish_within(TIMEOUT).await
    }

    /// `shutdown` is answered, and after `exit` the process ends within `limit` with a
    /// success status; returns what it wrote to stderr.
    pub async fn finish_within(mut self, limit: Duration) -> String {
        let shutdown = self.client.request("shutdown", Value::Null).await;
        assert_eq!(shutdown["result"], Value::Null, "{shutdown}");
        self.client.notify("exit", Value::Null).await;
        drop(self.client);
        let status = tokio::time::timeout(limit, self.child.wait())
            .await
            .expect("the server exits after `exit`")
            .unwrap();
        let stderr = self.stderr.await.unwrap();
        assert!(status.success(), "{status}: {stderr}");
        stderr
    }
}
