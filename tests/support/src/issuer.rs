//! A stand-in identity provider: a test key, and its public JWKS served on 127.0.0.1.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use jwtlens_keys::mint::{KeyKind, TestKeys, JWKS_FILE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An identity provider for tests: an RSA test key in a temporary folder, its public JWKS
/// served on 127.0.0.1 (see [`jwks_server`]).
pub struct Issuer {
    _dir: tempfile::TempDir,
    pub keys: TestKeys,
    /// `http://127.0.0.1:<port>`, serving the JWKS at every path.
    pub base: String,
    pub connections: Arc<AtomicUsize>,
}

impl Issuer {
    pub async fn start() -> Issuer {
        let dir = tempfile::tempdir().unwrap();
        let keys = TestKeys::new(dir.path());
        keys.ensure(KeyKind::Rsa).unwrap();
        let jwks = std::fs::read_to_string(dir.path().join(JWKS_FILE)).unwrap();
        let (base, connections) = jwks_server(jwks).await;
        Issuer {
            _dir: dir,
            keys,
            base,
            connections,
        }
    }
}

/// Serves `body` as JSON to every request on 127.0.0.1 and counts connections: a stand-in
/// for an issuer's key server. Returns its base URL.
pub async fn jwks_server(body: String) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (format!("http://{address}"), connections)
}
