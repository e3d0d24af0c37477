//! Fetching issuer keys against HTTP servers that the tests start on 127.0.0.1.
//!
//! The server is written by hand over a `TcpListener` so that it can misbehave on purpose:
//! answer slowly, trickle a body, lie in `Content-Length`, send more than it should. It
//! closes every connection after one response, so connections = requests, and it counts
//! both: that is how each test proves which calls touched the network.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::AlgorithmParameters;
use jsonwebtoken::{Algorithm, DecodingKey};
use jwtlens_engine::decode::DecodedToken;
use jwtlens_jwks::{
    key_source, FetchError, FetchOptions, Fetcher, KeySource, SourceKind, USER_AGENT,
};
use jwtlens_keys::verify::RemoteOutcome;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use url::Url;

// ---------------------------------------------------------------------------------------
// The test server

#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

enum Reply {
    /// A complete response with a correct Content-Length.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// These bytes exactly, then the connection is closed.
    Raw(Vec<u8>),
    /// Wait, then reply.
    Delay(Duration, Box<Reply>),
    /// `head` at once, then each piece after `pause`.
    Trickle {
        head: Vec<u8>,
        pieces: Vec<Vec<u8>>,
        pause: Duration,
    },
}

impl Reply {
    fn json(body: impl Into<String>) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into().into_bytes(),
        }
    }

    fn status(status: u16) -> Reply {
        Reply::Full {
            status,
            headers: Vec::new(),
            body: b"nope".to_vec(),
        }
    }

    fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).header("Location", location)
    }

    fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Full { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

struct Server {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Starts a server on loopback; `handler` gets each request and its index (0 for the
    /// first).
    async fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Server {
        Server::bound("127.0.0.1:0", handler).await
    }

    /// Starts a server listening on `address`.
    async fn bound(
        address: &str,
        handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind(address).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let task = tokio::spawn({
            let connections = connections.clone();
            let requests = requests.clone();
            async move {
                // Dropped with this task when the server is dropped: no stray connection
                // handler outlives its test.
                let mut handlers = JoinSet::new();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    connections.fetch_add(1, Ordering::SeqCst);
                    handlers.spawn(serve(stream, requests.clone(), handler.clone()));
                }
            }
        });
        Server {
            addr,
            connections,
            requests,
            task,
        }
    }

    /// Serves `body` as JSON at every path.
    async fn json(body: impl Into<String>) -> Server {
        let body = body.into();
        Server::start(move |_, _| Reply::json(body.clone())).await
    }

    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://127.0.0.1:{}{path}", self.addr.port())).unwrap()
    }

    fn jwks(&self, path: &str) -> KeySource {
        KeySource::from_url(self.url(path), "test")
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.path).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, requests: Arc<Mutex<Vec<Request>>>, handler: Arc<Handler>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let request = Request {
        method: first.next().unwrap_or("").to_owned(),
        path: first.next().unwrap_or("").to_owned(),
        headers: lines
            .take_while(|line| !line.is_empty())
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect(),
    };
    let index = {
        let mut requests = requests.lock().unwrap();
        requests.push(request.clone());
        requests.len() - 1
    };
    let reply = handler(&request, index);
    write_reply(&mut stream, reply).await;
    let _ = stream.shutdown().await;
}

async fn write_reply(stream: &mut TcpStream, reply: Reply) {
    let mut reply = reply;
    loop {
        match reply {
            Reply::Delay(pause, inner) => {
                tokio::time::sleep(pause).await;
                reply = *inner;
            }
            Reply::Full {
                status,
                headers,
                body,
            } => {
                let mut out = format!("HTTP/1.1 {status} Whatever\r\n");
                for (name, value) in headers {
                    out.push_str(&format!("{name}: {value}\r\n"));
                }
                out.push_str(&format!(
                    "Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                ));
                let mut bytes = out.into_bytes();
                bytes.extend_from_slice(&body);
                let _ = stream.write_all(&bytes).await;
                return;
            }
            Reply::Raw(bytes) => {
                let _ = stream.write_all(&bytes).await;
                return;
            }
            Reply::Trickle {
                head,
                pieces,
                pause,
            } => {
                if stream.write_all(&head).await.is_err() {
                    return;
                }
                for piece in pieces {
                    tokio::time::sleep(pause).await;
                    if stream.write_all(&piece).await.is_err() {
                        return;
                    }
                }
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Fixtures and helpers

fn rsa(kid: &str) -> serde_json::Value {
    json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"})
}

fn jwks(kids: &[&str]) -> String {
    json!({"keys": kids.iter().map(|kid| rsa(kid)).collect::<Vec<_>>()}).to_string()
}

/// Short limits so that failing cases fail fast; rotation without a cooldown.
fn options() -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_millis(300),
        rotation_cooldown: Duration::ZERO,
        ..FetchOptions::default()
    }
}

fn fetcher() -> Fetcher {
    Fetcher::new(options())
}

// ---------------------------------------------------------------------------------------
// Success, headers, keys

#[tokio::test]
async fn fetches_a_jwks_with_the_user_agent() {
    let server = Server::json(jwks(&["a", "b"])).await;
    let keys = fetcher()
        .keys(&server.jwks("/.well-known/jwks.json"), Some("a"))
        .await
        .unwrap();
    assert_eq!(keys.kids(), ["a", "b"]);
    assert_eq!(keys.url, server.url("/.well-known/jwks.json"));
    assert!(keys.skipped.is_empty());
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/.well-known/jwks.json");
    assert_eq!(
        requests[0].header("user-agent"),
        Some(format!("jwtlens/{}", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert_eq!(requests[0].header("user-agent"), Some(USER_AGENT));
    assert!(requests[0]
        .header("accept")
        .is_some_and(|a| a.contains("json")));
    // Nothing identifying beyond that: no cookies, no referer, no authorization.
    for header in ["cookie", "referer", "authorization"] {
        assert_eq!(requests[0].header(header), None, "{header}");
    }
}

#[tokio::test]
async fn unsupported_keys_are_skipped_not_fatal() {
    let body = json!({"keys": [
        rsa("good"),
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        {"kty": "PQ", "kid": "future"},
        {"kty": "RSA", "kid": "broken"},
    ]});
    let server = Server::json(body.to_string()).await;
    let keys = fetcher().keys(&server.jwks("/k"), None).await.unwrap();
    assert_eq!(keys.kids(), ["good"]);
    assert_eq!(keys.skipped.len(), 3);
    let skipped: Vec<_> = keys
        .skipped
        .iter()
        .map(|s| s.kid.as_deref().unwrap())
        .collect();
    assert_eq!(skipped, ["hmac", "future", "broken"]);
}

/// RFC 8037 A.4: the fetched JWK turns into a `DecodingKey` that verifies the RFC's
/// Ed25519 signature, so the representation is usable as is.
#[tokio::test]
async fn a_fetched_jwk_verifies_a_signature() {
    let server = Server::json(
        json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "rfc8037",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})
        .to_string(),
    )
    .await;
    let keys = fetcher()
        .keys(&server.jwks("/k"), Some("rfc8037"))
        .await
        .unwrap();
    let jwk = keys.jwks.find("rfc8037").unwrap();
    assert!(matches!(
        jwk.algorithm,
        AlgorithmParameters::OctetKeyPair(_)
    ));
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let verified = jsonwebtoken::crypto::verify(
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
        b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc",
        &key,
        Algorithm::EdDSA,
    )
    .unwrap();
    assert!(verified);
}

/// Firebase's `{kid: PEM certificate}` map: a certificate turns into a `DecodingKey` with
/// `from_rsa_pem` and verifies a token signed by the matching (test-only) key.
#[tokio::test]
async fn a_fetched_certificate_verifies_a_token() {
    let cert = include_str!("fixtures/jwks/firebase-test.cert.pem");
    let private = include_str!("fixtures/jwks/firebase-test.key.pem");
    let server = Server::json(json!({"other": cert, "k1": cert}).to_string()).await;
    let source = KeySource {
        url: server.url("/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"),
        kind: SourceKind::X509Certificates,
        reason: "test".into(),
        workspace_configured: false,
    };
    let keys = fetcher().keys(&source, Some("k1")).await.unwrap();
    assert_eq!(keys.kids(), ["other", "k1"]);
    assert!(keys.jwks.keys.is_empty());

    let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    let token = jsonwebtoken::encode(
        &header,
        &json!({"sub": "user", "exp": 4_000_000_000u64}),
        &jsonwebtoken::EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
    )
    .unwrap();
    let key = DecodingKey::from_rsa_pem(keys.certificate("k1").unwrap().pem.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).unwrap();
}

// ---------------------------------------------------------------------------------------
// Status codes

#[tokio::test]
async fn status_codes_are_errors_naming_the_code() {
    for status in [404u16, 500, 403, 204] {
        let server = Server::start(move |_, _| Reply::status(status)).await;
        let err = fetcher()
            .keys(&server.jwks("/jwks"), None)
            .await
            .unwrap_err();
        if status == 204 {
            // 2xx with an empty body: not a key set.
            assert!(matches!(err, FetchError::BadJson { .. }), "{err:?}");
            continue;
        }
        assert_eq!(
            err,
            FetchError::Status {
                url: server.url("/jwks"),
                status
            }
        );
        assert_eq!(err.status(), Some(status));
        assert!(err.to_string().contains(&format!("HTTP {status}")), "{err}");
        assert!(err.to_string().contains(server.url("/jwks").as_str()));
        assert_eq!(server.connections(), 1);
    }
}

#[tokio::test]
async fn errors_are_not_cached() {
    let server = Server::start(|_, index| {
        if index == 0 {
            Reply::status(503)
        } else {
            Reply::json(jwks(&["a"]))
        }
    })
    .await;
    let fetcher = fetcher();
    let source = server.jwks("/jwks");
    assert!(fetcher.keys(&source, None).await.is_err());
    assert_eq!(fetcher.keys(&source, None).await.unwrap().kids(), ["a"]);
    assert_eq!(server.connections(), 2);
}

// ---------------------------------------------------------------------------------------
// Time limits

#[tokio::test]
async fn a_slow_server_hits_the_timeout() {
    let server = Server::start(|_, _| {
        Reply::Delay(Duration::from_secs(3), Box::new(Reply::json(jwks(&["a"]))))
    })
    .await;
    let started = Instant::now();
    let err = fetcher()
        .keys(&server.jwks("/jwks"), None)
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        err,
        FetchError::Timeout {
            url: server.url("/jwks"),
            after: Duration::from_millis(300)
        }
    );
    assert!(elapsed >= Duration::from_millis(290), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert!(err.to_string().contains("300ms"), "{err}");
}

#[tokio::test]
async fn a_trickled_body_hits_the_timeout() {
    // Headers at once, then a byte every 100 ms: each read is quick, the whole is not.
    let body = jwks(&["a"]);
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let server = Server::start(move |_, _| Reply::Trickle {
        head: head.clone().into_bytes(),
        pieces: body.bytes().map(|b| vec![b]).collect(),
        pause: Duration::from_millis(100),
    })
    .await;
    let started = Instant::now();
    let err = fetcher()
        .keys(&server.jwks("/jwks"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_refused_connection_is_a_network_error() {
    // Bind, note the port, close: nothing listens there any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = Url::parse(&format!("http://127.0.0.1:{port}/jwks")).unwrap();
    let err = fetcher()
        .keys(&KeySource::from_url(url.clone(), "test"), None)
        .await
        .unwrap_err();
    match &err {
        FetchError::Network { url: at, reason } => {
            assert_eq!(at, &url);
            assert!(reason.to_lowercase().contains("refused"), "{reason}");
            assert!(!reason.contains("client error"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains('\n'));
}

// ---------------------------------------------------------------------------------------
// Size limits

const LIMIT: usize = 64 * 1024;

fn small_limit() -> Fetcher {
    Fetcher::new(FetchOptions {
        max_body: LIMIT,
        ..options()
    })
}

/// A valid JWKS padded with spaces to `len` bytes.
fn padded_jwks(len: usize) -> Vec<u8> {
    let mut body = jwks(&["a"]).into_bytes();
    body.resize(len, b' ');
    body
}

#[tokio::test]
async fn a_body_at_the_limit_is_read() {
    let server = Server::start(|_, _| Reply::Full {
        status: 200,
        headers: Vec::new(),
        body: padded_jwks(LIMIT),
    })
    .await;
    let keys = small_limit().keys(&server.jwks("/k"), None).await.unwrap();
    assert_eq!(keys.kids(), ["a"]);
}

#[tokio::test]
async fn an_oversized_body_with_content_length_is_refused_before_reading() {
    // Content-Length announces 2 MiB; the server sends none of it.
    let server = Server::start(|_, _| {
        Reply::Raw(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                2 * 1024 * 1024
            )
            .into_bytes(),
        )
    })
    .await;
    let err = small_limit()
        .keys(&server.jwks("/k"), None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::TooLarge {
            url: server.url("/k"),
            limit: LIMIT
        }
    );
    // Refused on the header alone: waiting for the body that never comes would have
    // ended in a Timeout instead.
    assert!(err.to_string().contains("64 KiB"), "{err}");
}

#[tokio::test]
async fn an_oversized_chunked_body_is_cut_off_while_reading() {
    // No Content-Length: 200 chunks of 1 KiB.
    let server = Server::start(|_, _| {
        let mut raw =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
        let chunk = vec![b' '; 1024];
        for _ in 0..200 {
            raw.extend_from_slice(b"400\r\n");
            raw.extend_from_slice(&chunk);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        Reply::Raw(raw)
    })
    .await;
    let err = small_limit()
        .keys(&server.jwks("/k"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooLarge { limit: LIMIT, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_oversized_body_read_to_close_is_cut_off() {
    // No Content-Length and no chunking: the body runs until the connection closes.
    let server = Server::start(|_, _| {
        let mut raw = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
        raw.extend_from_slice(&padded_jwks(4 * LIMIT));
        Reply::Raw(raw)
    })
    .await;
    let err = small_limit()
        .keys(&server.jwks("/k"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn an_endless_body_is_cut_off_at_the_limit() {
    // Keeps sending past the limit: the fetch ends at the limit, not at the timeout.
    let server = Server::start(|_, _| Reply::Trickle {
        head: b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec(),
        pieces: (0..1000).map(|_| vec![b' '; 8 * 1024]).collect(),
        pause: Duration::from_millis(1),
    })
    .await;
    let err = small_limit()
        .keys(&server.jwks("/k"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn a_lying_small_content_length_reads_no_further() {
    // Content-Length says 20 bytes; 4 × the limit follow. Only the announced 20 bytes are
    // read (they are not a key set), never the rest.
    let server = Server::start(|_, _| {
        let mut raw =
            b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n".to_vec();
        raw.extend_from_slice(&padded_jwks(4 * LIMIT));
        Reply::Raw(raw)
    })
    .await;
    let err = small_limit()
        .keys(&server.jwks("/k"), None)
        .await
        .unwrap_err();
    match err {
        FetchError::BadJson { reason, .. } => assert!(reason.contains("not JSON"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_lying_large_content_length_is_refused() {
    // Content-Length says 10 MiB; a small valid body follows. The header alone refuses it.
    let server = Server::start(|_, _| {
        let mut raw =
            b"HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\nConnection: close\r\n\r\n".to_vec();
        raw.extend_from_slice(jwks(&["a"]).as_bytes());
        Reply::Raw(raw)
    })
    .await;
    let err = small_limit()
        .keys(&server.jwks("/k"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn the_default_limit_is_one_mebibyte() {
    assert_eq!(FetchOptions::default().max_body, 1024 * 1024);
    assert_eq!(FetchOptions::default().timeout, Duration::from_secs(5));
    let server = Server::start(|_, _| Reply::Full {
        status: 200,
        headers: Vec::new(),
        body: padded_jwks(1024 * 1024 + 1),
    })
    .await;
    let err = Fetcher::new(FetchOptions {
        timeout: Duration::from_secs(5),
        ..FetchOptions::default()
    })
    .keys(&server.jwks("/k"), None)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("1 MiB"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Bad JSON

#[tokio::test]
async fn bad_json_is_reported() {
    for (body, expected) in [
        ("<!doctype html><title>Login</title>", "not JSON"),
        ("{\"keys\": [", "not JSON"),
        ("[1, 2]", "got JSON an array"),
        ("{\"keys\": \"none\"}", "`keys` is JSON a string"),
        ("{\"issuer\": \"https://x\"}", "neither a JWKS"),
    ] {
        let server = Server::json(body).await;
        let err = fetcher().keys(&server.jwks("/k"), None).await.unwrap_err();
        match &err {
            FetchError::BadJson { url, reason } => {
                assert_eq!(url, &server.url("/k"));
                assert!(reason.contains(expected), "{body}: {reason}");
            }
            other => panic!("{body}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Discovery

#[tokio::test]
async fn discovery_resolves_jwks_uri_then_caches_both() {
    let server = Server::start(|request, _| {
        let port = request
            .header("host")
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .to_owned();
        match request.path.as_str() {
            "/realms/a/.well-known/openid-configuration" => Reply::json(
                json!({
                    "issuer": format!("http://127.0.0.1:{port}/realms/a"),
                    "jwks_uri": format!("http://127.0.0.1:{port}/realms/a/certs"),
                })
                .to_string(),
            ),
            "/realms/a/certs" => Reply::json(jwks(&["k"])),
            _ => Reply::status(404),
        }
    })
    .await;
    let iss = server.url("/realms/a").to_string();
    let source = key_source(Some(&iss), None, &HashMap::new()).unwrap();
    assert_eq!(source.kind, SourceKind::Discovery);
    assert_eq!(
        source.url,
        server.url("/realms/a/.well-known/openid-configuration")
    );
    let fetcher = fetcher();
    let keys = fetcher.keys(&source, Some("k")).await.unwrap();
    assert_eq!(keys.url, server.url("/realms/a/certs"));
    assert_eq!(keys.kids(), ["k"]);
    assert_eq!(
        server.paths(),
        [
            "/realms/a/.well-known/openid-configuration",
            "/realms/a/certs"
        ]
    );
    // Both documents are cached: no further request.
    fetcher.keys(&source, Some("k")).await.unwrap();
    assert_eq!(server.connections(), 2);
    assert_eq!(fetcher.requests_sent(), 2);
}

#[tokio::test]
async fn discovery_without_jwks_uri() {
    let server = Server::json(r#"{"issuer": "http://127.0.0.1"}"#).await;
    let source = server.jwks("/.well-known/openid-configuration");
    assert_eq!(source.kind, SourceKind::Discovery);
    let err = fetcher().keys(&source, None).await.unwrap_err();
    assert_eq!(
        err,
        FetchError::NoJwksUri {
            url: server.url("/.well-known/openid-configuration")
        }
    );
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn a_discovered_plain_http_jwks_uri_is_refused() {
    let server = Server::json(r#"{"jwks_uri": "http://keys.jwtlens.invalid/jwks"}"#).await;
    let err = fetcher()
        .keys(&server.jwks("/.well-known/openid-configuration"), None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::NotHttps(Url::parse("http://keys.jwtlens.invalid/jwks").unwrap())
    );
    assert_eq!(server.connections(), 1);
}

/// A discovery document cannot send jwtlens to another origin for keys: refused before
/// any request to it (the `.invalid` host would fail to resolve if it were tried).
#[tokio::test]
async fn a_discovered_jwks_uri_off_the_issuers_origin_is_refused() {
    let server = Server::json(r#"{"jwks_uri": "https://keys.jwtlens.invalid/jwks"}"#).await;
    let discovery = server.url("/.well-known/openid-configuration");
    let fetcher = fetcher();
    let err = fetcher
        .keys(&server.jwks("/.well-known/openid-configuration"), None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::ForeignJwksUri {
            url: discovery.clone(),
            jwks_uri: Box::new(Url::parse("https://keys.jwtlens.invalid/jwks").unwrap()),
        }
    );
    assert!(err
        .to_string()
        .contains("off the issuer's own origin: not fetched"));
    assert_eq!(server.connections(), 1, "the discovery document only");
    assert_eq!(fetcher.requests_sent(), 1);
}

/// Loopback issuers are local test servers: their keys may sit on another loopback port.
#[tokio::test]
async fn a_loopback_issuer_may_keep_its_keys_on_another_loopback_port() {
    let keys = Server::json(jwks(&["k"])).await;
    let keys_url = keys.url("/certs");
    let issuer = Server::json(json!({"jwks_uri": keys_url.as_str()}).to_string()).await;
    let fetched = fetcher()
        .keys(&issuer.jwks("/.well-known/openid-configuration"), Some("k"))
        .await
        .unwrap();
    assert_eq!(fetched.url, keys_url);
    assert_eq!((issuer.connections(), keys.connections()), (1, 1));
}

#[tokio::test]
async fn a_bad_discovery_document() {
    let server = Server::json("not json").await;
    let err = fetcher()
        .keys(&server.jwks("/.well-known/openid-configuration"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::BadJson { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// Redirects
//
// "Another server" means another host or another port: `127.0.0.1` and `localhost` are
// two hosts, and two listeners on different ports are two servers.

#[tokio::test]
async fn a_redirect_on_the_same_server_is_followed() {
    let server = Server::start(|request, _| match request.path.as_str() {
        "/old" => Reply::redirect(301, "/new"),
        "/new" => Reply::redirect(307, "/newest?v=2"),
        "/newest?v=2" => Reply::json(jwks(&["a"])),
        _ => Reply::status(404),
    })
    .await;
    let keys = fetcher().keys(&server.jwks("/old"), None).await.unwrap();
    assert_eq!(keys.kids(), ["a"]);
    assert_eq!(keys.url, server.url("/newest?v=2"), "the URL actually read");
    assert_eq!(server.paths(), ["/old", "/new", "/newest?v=2"]);
    for request in server.requests() {
        assert_eq!(request.header("user-agent"), Some(USER_AGENT));
    }
}

#[tokio::test]
async fn a_redirect_to_another_host_is_refused() {
    let server = Server::start(|request, _| {
        let port = request
            .header("host")
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .to_owned();
        Reply::redirect(302, &format!("http://localhost:{port}/jwks"))
    })
    .await;
    let err = fetcher()
        .keys(&server.jwks("/jwks"), None)
        .await
        .unwrap_err();
    let to = Url::parse(&format!("http://localhost:{}/jwks", server.addr.port())).unwrap();
    assert_eq!(
        err,
        FetchError::Redirect {
            from: server.url("/jwks"),
            to: Box::new(to)
        }
    );
    assert!(err.to_string().contains("another server"), "{err}");
    // Not followed: the one connection is the first request.
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn a_redirect_to_another_port_is_refused() {
    let other = Server::json(jwks(&["evil"])).await;
    let target = other.url("/jwks").to_string();
    let server = Server::start(move |_, _| Reply::redirect(308, &target)).await;
    let err = fetcher()
        .keys(&server.jwks("/jwks"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Redirect { .. }), "{err:?}");
    assert_eq!(server.connections(), 1);
    assert_eq!(other.connections(), 0);
}

#[tokio::test]
async fn a_redirect_off_loopback_is_refused_without_connecting() {
    for location in [
        "https://keys.jwtlens.invalid/jwks",
        "http://keys.jwtlens.invalid/jwks",
        "ftp://127.0.0.1/jwks",
    ] {
        let server = Server::start(move |_, _| Reply::redirect(302, location)).await;
        let err = fetcher()
            .keys(&server.jwks("/jwks"), None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::Redirect { .. } | FetchError::NotHttps(_)),
            "{location}: {err:?}"
        );
        assert_eq!(server.connections(), 1);
    }
}

#[tokio::test]
async fn a_redirect_loop_ends() {
    let server = Server::start(|request, _| {
        let next = if request.path == "/a" { "/b" } else { "/a" };
        Reply::redirect(302, next)
    })
    .await;
    let err = fetcher().keys(&server.jwks("/a"), None).await.unwrap_err();
    assert_eq!(
        err,
        FetchError::TooManyRedirects {
            url: server.url("/a"),
            limit: 5
        }
    );
    assert_eq!(server.connections(), 6);
}

#[tokio::test]
async fn a_redirect_without_location_is_a_status_error() {
    let server = Server::start(|_, _| Reply::status(302)).await;
    let err = fetcher()
        .keys(&server.jwks("/jwks"), None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(302));
}

// ---------------------------------------------------------------------------------------
// Only https (or loopback)

#[tokio::test]
async fn non_https_urls_are_refused_without_a_connection() {
    // `.invalid` never resolves (RFC 6761): had a request been attempted it would fail
    // with a network error, not NotHttps, and it would take a DNS lookup.
    let fetcher = fetcher();
    for text in [
        "http://jwks.jwtlens.invalid/jwks",
        "http://jwks.jwtlens.invalid/.well-known/openid-configuration",
        "ftp://127.0.0.1/jwks",
        "file:///etc/passwd",
    ] {
        let url = Url::parse(text).unwrap();
        let err = fetcher
            .keys(&KeySource::from_url(url.clone(), "test"), None)
            .await
            .unwrap_err();
        assert_eq!(err, FetchError::NotHttps(url), "{text}");
    }
    assert_eq!(fetcher.requests_sent(), 0);
}

#[tokio::test]
async fn plain_http_to_a_host_other_than_loopback_is_refused_without_connecting() {
    // A key server on every interface of this machine, named by the machine's host name:
    // over plain http a name other than `localhost` could be anywhere, so the URL is
    // refused before any lookup, and the server sees no connection.
    let server = Server::bound("0.0.0.0:0", |_, _| Reply::json(jwks(&["a"]))).await;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let url = Url::parse(&format!(
        "http://{}:{}/jwks",
        host.trim(),
        server.addr.port()
    ))
    .unwrap();
    let err = fetcher()
        .keys(&KeySource::from_url(url.clone(), "test"), None)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::NotHttps(url));
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn localhost_by_name_is_loopback() {
    let server = Server::json(jwks(&["a"])).await;
    // `localhost` may resolve to ::1 first; the server listens on 127.0.0.1 only, so the
    // client has to fall back. Either way the URL is allowed over plain http.
    let url = Url::parse(&format!("http://localhost:{}/jwks", server.addr.port())).unwrap();
    let keys = fetcher()
        .keys(&KeySource::from_url(url, "test"), None)
        .await
        .unwrap();
    assert_eq!(keys.kids(), ["a"]);
}

// ---------------------------------------------------------------------------------------
// Cache

#[tokio::test]
async fn a_second_call_within_the_ttl_makes_no_request() {
    let server = Server::json(jwks(&["a"])).await;
    let fetcher = fetcher();
    let source = server.jwks("/jwks");
    let first = fetcher.keys(&source, Some("a")).await.unwrap();
    let second = fetcher.keys(&source, Some("a")).await.unwrap();
    let third = fetcher.keys(&source, None).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &second));
    assert!(std::sync::Arc::ptr_eq(&first, &third));
    assert_eq!(server.connections(), 1);
    // Another fetcher has its own cache.
    Fetcher::new(options()).keys(&source, None).await.unwrap();
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn max_age_sets_the_ttl() {
    let server = Server::start(|_, _| {
        Reply::json(jwks(&["a"])).header("Cache-Control", "public, max-age=1")
    })
    .await;
    let fetcher = Fetcher::new(FetchOptions {
        default_ttl: Duration::ZERO,
        ..options()
    });
    assert_fresh_then_stale(&server, &fetcher, Duration::from_millis(1100)).await;
}

/// A second fetch is served from the cache; one `after` later goes to the server again.
async fn assert_fresh_then_stale(server: &Server, fetcher: &Fetcher, after: Duration) {
    let source = server.jwks("/jwks");
    fetcher.keys(&source, None).await.unwrap();
    fetcher.keys(&source, None).await.unwrap();
    assert_eq!(server.connections(), 1, "fresh at first");
    tokio::time::sleep(after).await;
    fetcher.keys(&source, None).await.unwrap();
    assert_eq!(server.connections(), 2, "stale after {after:?}");
}

#[tokio::test]
async fn max_age_is_capped() {
    let server =
        Server::start(|_, _| Reply::json(jwks(&["a"])).header("Cache-Control", "max-age=31536000"))
            .await;
    let fetcher = Fetcher::new(FetchOptions {
        max_age_cap: Duration::from_millis(200),
        ..options()
    });
    assert_fresh_then_stale(&server, &fetcher, Duration::from_millis(300)).await;
}

#[tokio::test]
async fn without_cache_control_the_default_ttl_applies() {
    let server = Server::json(jwks(&["a"])).await;
    let fetcher = Fetcher::new(FetchOptions {
        default_ttl: Duration::from_millis(200),
        ..options()
    });
    assert_fresh_then_stale(&server, &fetcher, Duration::from_millis(300)).await;
}

#[tokio::test]
async fn uncacheable_responses_are_fetched_every_time() {
    for cache_control in ["max-age=0", "no-store", "no-cache", "max-age=600, no-store"] {
        let server = Server::start(move |_, _| {
            Reply::json(jwks(&["a"])).header("Cache-Control", cache_control)
        })
        .await;
        let fetcher = fetcher();
        let source = server.jwks("/jwks");
        for _ in 0..3 {
            fetcher.keys(&source, None).await.unwrap();
        }
        assert_eq!(server.connections(), 3, "{cache_control}");
    }
}

#[tokio::test]
async fn age_counts_against_max_age() {
    let server = Server::start(|_, _| {
        Reply::json(jwks(&["a"]))
            .header("Cache-Control", "max-age=600")
            .header("Age", "600")
    })
    .await;
    let fetcher = fetcher();
    let source = server.jwks("/jwks");
    fetcher.keys(&source, None).await.unwrap();
    fetcher.keys(&source, None).await.unwrap();
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn clear_cache_forgets() {
    let server = Server::json(jwks(&["a"])).await;
    let fetcher = fetcher();
    let source = server.jwks("/jwks");
    fetcher.keys(&source, None).await.unwrap();
    fetcher.clear_cache();
    fetcher.keys(&source, None).await.unwrap();
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn concurrent_calls_share_one_request() {
    let server = Server::start(|_, _| {
        Reply::Delay(
            Duration::from_millis(100),
            Box::new(Reply::json(jwks(&["a"]))),
        )
    })
    .await;
    let fetcher = fetcher();
    let source = server.jwks("/jwks");
    let (a, b, c) = tokio::join!(
        fetcher.keys(&source, Some("a")),
        fetcher.keys(&source, Some("a")),
        fetcher.keys(&source, None),
    );
    assert_eq!(a.unwrap().kids(), ["a"]);
    assert_eq!(b.unwrap().kids(), ["a"]);
    assert_eq!(c.unwrap().kids(), ["a"]);
    assert_eq!(server.connections(), 1);
}

// ---------------------------------------------------------------------------------------
// Key rotation

#[tokio::test]
async fn a_missing_kid_triggers_one_refetch() {
    // The first response lacks `new`; the second has it.
    let server = Server::start(|_, index| {
        Reply::json(if index == 0 {
            jwks(&["old"])
        } else {
            jwks(&["old", "new"])
        })
    })
    .await;
    let fetcher = fetcher();
    let source = server.jwks("/jwks");
    assert_eq!(
        fetcher.keys(&source, Some("old")).await.unwrap().kids(),
        ["old"]
    );
    let keys = fetcher.keys(&source, Some("new")).await.unwrap();
    assert_eq!(keys.kids(), ["old", "new"]);
    assert_eq!(server.connections(), 2);
    // The refetched set replaced the cached one.
    fetcher.keys(&source, Some("new")).await.unwrap();
    fetcher.keys(&source, Some("old")).await.unwrap();
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn a_kid_still_missing_after_the_refetch_gives_up() {
    let server = Server::json(jwks(&["old"])).await;
    let fetcher = fetcher();
    let source = server.jwks("/jwks");
    fetcher.keys(&source, Some("old")).await.unwrap();
    let keys = fetcher.keys(&source, Some("unknown")).await.unwrap();
    assert_eq!(keys.kids(), ["old"], "the set as fetched");
    assert!(!keys.contains_kid("unknown"));
    assert_eq!(server.connections(), 2, "one refetch, no third request");
}

#[tokio::test]
async fn a_kid_missing_from_a_fresh_fetch_is_not_refetched() {
    // Nothing cached: the set just fetched lacks the kid. It is returned as is.
    let server = Server::json(jwks(&["old"])).await;
    let keys = fetcher()
        .keys(&server.jwks("/jwks"), Some("unknown"))
        .await
        .unwrap();
    assert_eq!(keys.kids(), ["old"]);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn the_rotation_cooldown_limits_refetches() {
    let server = Server::json(jwks(&["old"])).await;
    let fetcher = Fetcher::new(FetchOptions {
        rotation_cooldown: Duration::from_millis(300),
        ..options()
    });
    let source = server.jwks("/jwks");
    fetcher.keys(&source, Some("old")).await.unwrap();
    // A set this young is trusted to be current: no refetch for an unknown kid.
    fetcher.keys(&source, Some("unknown")).await.unwrap();
    fetcher.keys(&source, Some("unknown")).await.unwrap();
    assert_eq!(server.connections(), 1);
    tokio::time::sleep(Duration::from_millis(350)).await;
    fetcher.keys(&source, Some("unknown")).await.unwrap();
    assert_eq!(server.connections(), 2);
    assert_eq!(
        FetchOptions::default().rotation_cooldown,
        Duration::from_secs(30)
    );
}

#[tokio::test]
async fn rotation_refetches_only_the_jwks_not_the_discovery_document() {
    let server = Server::start(|request, index| {
        let port = request
            .header("host")
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .to_owned();
        if request.path.ends_with("openid-configuration") {
            Reply::json(json!({"jwks_uri": format!("http://127.0.0.1:{port}/certs")}).to_string())
        } else if index == 1 {
            Reply::json(jwks(&["old"]))
        } else {
            Reply::json(jwks(&["old", "new"]))
        }
    })
    .await;
    let fetcher = fetcher();
    let source = server.jwks("/.well-known/openid-configuration");
    fetcher.keys(&source, Some("old")).await.unwrap();
    let keys = fetcher.keys(&source, Some("new")).await.unwrap();
    assert!(keys.contains_kid("new"));
    assert_eq!(
        server.paths(),
        ["/.well-known/openid-configuration", "/certs", "/certs"]
    );
}

// ---------------------------------------------------------------------------------------
// Nothing touches the network unless asked

#[tokio::test]
async fn nothing_connects_until_keys_is_called() {
    let server = Server::json(jwks(&["a"])).await;
    let iss = server.url("/issuer").to_string();
    let mut configured = HashMap::new();
    configured.insert(iss.clone(), server.url("/jwks").to_string());
    // Deciding the source and creating a fetcher are pure.
    let source = key_source(Some(&iss), None, &configured).unwrap();
    assert_eq!(source.url, server.url("/jwks"));
    assert_eq!(source.reason, format!("configured for {iss}"));
    let fetcher = fetcher();
    let _ = KeySource::discovery(&iss);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.connections(), 0);
    assert_eq!(fetcher.requests_sent(), 0);
    // Asking is what connects.
    fetcher.keys(&source, None).await.unwrap();
    assert_eq!(server.connections(), 1);
    assert_eq!(fetcher.requests_sent(), 1);
}

// ---------------------------------------------------------------------------------------
// Verifying with fetched keys

const PRIVATE_KEY: &str = include_str!("fixtures/jwks/firebase-test.key.pem");

/// The public half of the fixture key as a JWK, with these extra members.
fn fixture_jwk(extra: serde_json::Value) -> serde_json::Value {
    use base64::Engine as _;
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::traits::PublicKeyParts as _;
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY).unwrap();
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut jwk = json!({"kty": "RSA", "n": b64(private.n().to_bytes_be()), "e": b64(private.e().to_bytes_be())});
    for (name, value) in extra.as_object().unwrap() {
        jwk[name] = value.clone();
    }
    jwk
}

/// A token signed by the fixture key with this header.
fn signed(header: serde_json::Value) -> String {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(br#"{"sub":"u"}"#)
    );
    let alg: Algorithm = header["alg"].as_str().unwrap().parse().unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).unwrap();
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &key, alg).unwrap();
    format!("{input}.{signature}")
}

async fn verify_remote(fetcher: &Fetcher, source: &KeySource, token: &str) -> RemoteOutcome {
    let candidate = &jwtlens_engine::scan::scan(token.as_bytes())[0];
    let decoded = DecodedToken::decode(token.as_bytes(), candidate).unwrap();
    jwtlens_jwks::verify_remote(fetcher, source, &decoded, token.as_bytes(), 0).await
}

fn failure(outcome: RemoteOutcome) -> String {
    match outcome {
        RemoteOutcome::Failed { reason } => reason,
        other => panic!("verified: {other:?}"),
    }
}

#[tokio::test]
async fn fetched_keys_honour_their_jwk_alg_use_and_key_ops() {
    let server = Server::json(
        json!({"keys": [
            fixture_jwk(json!({"kid": "rs", "alg": "RS256", "use": "sig"})),
            fixture_jwk(json!({"kid": "enc", "use": "enc"})),
            fixture_jwk(json!({"kid": "ops", "key_ops": ["encrypt"]})),
        ]})
        .to_string(),
    )
    .await;
    let source = server.jwks("/jwks");
    let fetcher = fetcher();
    let verified = verify_remote(
        &fetcher,
        &source,
        &signed(json!({"alg": "RS256", "kid": "rs"})),
    )
    .await;
    assert!(
        matches!(verified, RemoteOutcome::Verified { .. }),
        "{verified:?}"
    );
    for (header, expected) in [
        (
            json!({"alg": "PS256", "kid": "rs"}),
            "the key's JWK alg is RS256, so it does not verify PS256",
        ),
        (
            json!({"alg": "RS256", "kid": "enc"}),
            "no key with kid enc; left out kid \"enc\": encryption key (use enc)",
        ),
        (
            json!({"alg": "RS256", "kid": "ops"}),
            "no key with kid ops; left out kid \"ops\": key_ops does not include verify",
        ),
    ] {
        let reason = failure(verify_remote(&fetcher, &source, &signed(header.clone())).await);
        assert!(reason.starts_with(expected), "{header}: {reason}");
    }
}

#[tokio::test]
async fn a_token_with_an_unknown_crit_extension_is_refused_without_fetching() {
    let server =
        Server::json(json!({"keys": [fixture_jwk(json!({"kid": "rs"}))]}).to_string()).await;
    let token = signed(json!({"alg": "RS256", "kid": "rs", "crit": ["exp"], "exp": 1}));
    let reason = failure(verify_remote(&fetcher(), &server.jwks("/jwks"), &token).await);
    assert!(
        reason.contains("crit lists \"exp\", an extension jwtlens does not understand"),
        "{reason}"
    );
    assert_eq!(server.connections(), 0);
}
