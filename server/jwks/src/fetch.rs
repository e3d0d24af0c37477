//! The HTTP side: the only HTTP client in jwtlens.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, ACCEPT, AGE, CACHE_CONTROL, LOCATION};
use reqwest::StatusCode;
use tracing::debug;
use url::Url;

use crate::cache::{freshness, Store};
use crate::parse::{parse_discovery, parse_keys, FetchedKeys};
use crate::{policy, FetchError, KeySource, SourceKind};

/// The `User-Agent` of every request: `jwtlens/<version>`.
pub const USER_AGENT: &str = concat!("jwtlens/", env!("CARGO_PKG_VERSION"));

/// What the server is asked for. JWKS endpoints answer `application/json` or
/// `application/jwk-set+json`; anything is read, as the body is parsed by shape.
const ACCEPT_VALUE: &str = "application/jwk-set+json, application/json;q=0.9, */*;q=0.1";

/// Limits for fetching keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Time allowed for one HTTP exchange: connecting, TLS, headers and the whole body
    /// (a server that trickles bytes is cut off too). Each redirect hop and the discovery
    /// document get their own allowance. Default 5 s.
    pub timeout: Duration,
    /// Largest response body read, in bytes, enforced while reading. Default 1 MiB.
    pub max_body: usize,
    /// Longest a document is reused, whatever its `Cache-Control: max-age`. Default 1 h.
    pub max_age_cap: Duration,
    /// How long a document without `max-age` is reused. Default 5 min.
    pub default_ttl: Duration,
    /// A cached key set that lacks the requested `kid` is refetched (key rotation) only
    /// when it is at least this old, so that verifying tokens with unknown kids over and
    /// over does not hammer the issuer. Default 30 s; tests set zero.
    pub rotation_cooldown: Duration,
    /// Redirects followed within one server before giving up. Default 5.
    pub max_redirects: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            timeout: Duration::from_secs(5),
            max_body: 1024 * 1024,
            max_age_cap: Duration::from_secs(3600),
            default_ttl: Duration::from_secs(300),
            rotation_cooldown: Duration::from_secs(30),
            max_redirects: 5,
        }
    }
}

/// Fetches issuer keys, with a per-URL cache. Create one per server or CLI run and share
/// it (it is `Send + Sync`; wrap it in an `Arc`).
///
/// Creating a `Fetcher` touches nothing: the HTTP clients are built on the first fetch,
/// and only [`Fetcher::keys`] sends requests.
#[derive(Debug)]
pub struct Fetcher {
    options: FetchOptions,
    clients: OnceLock<Result<Clients, String>>,
    /// Key documents by the URL they were requested from.
    keys: Store<Url, Arc<FetchedKeys>>,
    /// Discovery document URL → its `jwks_uri`.
    discovery: Store<Url, Url>,
    requests: AtomicU64,
}

#[derive(Debug)]
struct Clients {
    /// For https URLs off this machine: https only, system proxy settings honoured.
    remote: reqwest::Client,
    /// For loopback URLs (http allowed): never through a proxy.
    loopback: reqwest::Client,
}

impl Clients {
    fn build(options: &FetchOptions) -> Result<Clients, String> {
        // Redirects are followed by `Fetcher::get`, one hop at a time, so that every hop
        // goes through the same URL policy and picks the right client.
        let base = || {
            reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .redirect(reqwest::redirect::Policy::none())
                .referer(false)
                .connect_timeout(options.timeout)
        };
        Ok(Clients {
            remote: base()
                .https_only(true)
                .build()
                .map_err(|err| err.to_string())?,
            loopback: base().no_proxy().build().map_err(|err| err.to_string())?,
        })
    }
}

/// A successful response.
struct Response {
    /// Where the body came from, after redirects.
    url: Url,
    body: Vec<u8>,
    ttl: Duration,
    received: Instant,
}

enum Outcome {
    Redirect(Url),
    Body { body: Vec<u8>, ttl: Duration },
}

impl Default for Fetcher {
    fn default() -> Self {
        Fetcher::new(FetchOptions::default())
    }
}

impl Fetcher {
    pub fn new(options: FetchOptions) -> Self {
        Fetcher {
            options,
            clients: OnceLock::new(),
            keys: Store::new(),
            discovery: Store::new(),
            requests: AtomicU64::new(0),
        }
    }

    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// HTTP requests sent so far (each redirect hop counts).
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Forgets every cached document.
    pub fn clear_cache(&self) {
        self.keys.clear();
        self.discovery.clear();
    }

    /// The keys at `source`: from the cache while fresh, else fetched.
    ///
    /// For a [`SourceKind::Discovery`] source the discovery document is fetched (or taken
    /// from the cache) first and its `jwks_uri` fetched next; both are cached separately.
    /// When `kid` is given and a fresh cached set lacks it, the set is fetched again once
    /// (the issuer may have rotated its keys), unless it is younger than
    /// [`FetchOptions::rotation_cooldown`]; the result is returned whether or not it has
    /// the kid. A set fetched by this call is never fetched again by it.
    ///
    /// Concurrent calls for the same URL share one request.
    pub async fn keys(
        &self,
        source: &KeySource,
        kid: Option<&str>,
    ) -> Result<Arc<FetchedKeys>, FetchError> {
        let url = match source.kind {
            SourceKind::Discovery => self.jwks_uri(&source.url).await?,
            SourceKind::Jwks | SourceKind::X509Certificates => source.url.clone(),
        };
        self.key_set(&url, kid).await
    }

    async fn jwks_uri(&self, url: &Url) -> Result<Url, FetchError> {
        if !policy::is_allowed(url) {
            return Err(FetchError::NotHttps(url.clone()));
        }
        let lock = self.discovery.lock_for(url);
        let _guard = lock.lock().await;
        if let Some(entry) = self.discovery.fresh(url, Instant::now()) {
            debug!(%url, "discovery cache hit");
            return Ok(entry.value);
        }
        debug!(%url, "discovery cache miss");
        let response = self.get(url).await?;
        let jwks_uri = parse_discovery(&response.url, &response.body)?;
        if !policy::is_allowed(&jwks_uri) {
            return Err(FetchError::NotHttps(jwks_uri));
        }
        if !policy::is_issuer_origin(url, &jwks_uri) {
            debug!(%url, %jwks_uri, "discovered jwks_uri off the issuer's origin: refused");
            return Err(FetchError::ForeignJwksUri {
                url: url.clone(),
                jwks_uri: Box::new(jwks_uri),
            });
        }
        debug!(%url, %jwks_uri, "discovered jwks_uri");
        self.discovery.put(
            url.clone(),
            jwks_uri.clone(),
            response.received,
            response.ttl,
        );
        Ok(jwks_uri)
    }

    async fn key_set(&self, url: &Url, kid: Option<&str>) -> Result<Arc<FetchedKeys>, FetchError> {
        if !policy::is_allowed(url) {
            return Err(FetchError::NotHttps(url.clone()));
        }
        let lock = self.keys.lock_for(url);
        let _guard = lock.lock().await;
        let now = Instant::now();
        if let Some(entry) = self.keys.fresh(url, now) {
            match kid {
                Some(kid) if !entry.value.contains_kid(kid) => {
                    if now.duration_since(entry.fetched) < self.options.rotation_cooldown {
                        debug!(%url, "cache hit; kid not in a set fetched moments ago, not refetching");
                        return Ok(entry.value);
                    }
                    debug!(%url, "cache hit without the kid: refetching once (key rotation)");
                }
                _ => {
                    debug!(%url, "cache hit");
                    return Ok(entry.value);
                }
            }
        } else {
            debug!(%url, "cache miss");
        }
        let response = self.get(url).await?;
        let keys = Arc::new(parse_keys(&response.url, &response.body)?);
        debug!(
            %url,
            keys = keys.len(),
            skipped = keys.skipped.len(),
            ttl_secs = response.ttl.as_secs(),
            "key set read"
        );
        for skipped in &keys.skipped {
            debug!(%url, index = skipped.index, kid = ?skipped.kid, reason = %skipped.reason, "key skipped");
        }
        self.keys
            .put(url.clone(), keys.clone(), response.received, response.ttl);
        Ok(keys)
    }

    /// GET with the URL policy checked on every hop and redirects kept on one server.
    async fn get(&self, url: &Url) -> Result<Response, FetchError> {
        let mut current = url.clone();
        let mut redirects = 0;
        loop {
            if !policy::is_allowed(&current) {
                return Err(FetchError::NotHttps(current));
            }
            let client = self.client_for(&current)?;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let outcome =
                match tokio::time::timeout(self.options.timeout, self.exchange(client, &current))
                    .await
                {
                    Ok(outcome) => outcome?,
                    Err(_) => {
                        debug!(url = %current, "timed out");
                        return Err(FetchError::Timeout {
                            url: current,
                            after: self.options.timeout,
                        });
                    }
                };
            match outcome {
                Outcome::Redirect(next) => {
                    if !policy::same_server(&current, &next) {
                        return Err(FetchError::Redirect {
                            from: current,
                            to: Box::new(next),
                        });
                    }
                    if redirects == self.options.max_redirects {
                        return Err(FetchError::TooManyRedirects {
                            url: url.clone(),
                            limit: self.options.max_redirects,
                        });
                    }
                    redirects += 1;
                    debug!(from = %current, to = %next, "following redirect");
                    current = next;
                }
                Outcome::Body { body, ttl } => {
                    debug!(
                        url = %current,
                        bytes = body.len(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "fetched"
                    );
                    return Ok(Response {
                        url: current,
                        body,
                        ttl,
                        received: Instant::now(),
                    });
                }
            }
        }
    }

    /// One request and its response, body read up to the size limit.
    async fn exchange(&self, client: &reqwest::Client, url: &Url) -> Result<Outcome, FetchError> {
        let mut response = client
            .get(url.clone())
            .header(ACCEPT, ACCEPT_VALUE)
            .send()
            .await
            .map_err(|err| self.request_error(url, &err))?;
        let status = response.status();
        debug!(%url, status = status.as_u16(), "response");
        if matches!(
            status,
            StatusCode::MOVED_PERMANENTLY
                | StatusCode::FOUND
                | StatusCode::SEE_OTHER
                | StatusCode::TEMPORARY_REDIRECT
                | StatusCode::PERMANENT_REDIRECT
        ) {
            if let Some(location) = response.headers().get(LOCATION) {
                let network = |reason: String| FetchError::Network {
                    url: url.clone(),
                    reason,
                };
                let location = location
                    .to_str()
                    .map_err(|_| network("the redirect's Location is not text".to_owned()))?;
                let next = url.join(location).map_err(|err| {
                    network(format!(
                        "the redirect's Location {location:?} is not a URL: {err}"
                    ))
                })?;
                return Ok(Outcome::Redirect(next));
            }
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.clone(),
                status: status.as_u16(),
            });
        }
        let limit = self.options.max_body;
        let too_large = || FetchError::TooLarge {
            url: url.clone(),
            limit,
        };
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large());
        }
        let ttl = ttl_of(response.headers(), &self.options);
        let mut body = Vec::new();
        // Content-Length may be absent (chunked, or read to close) or wrong: count what
        // actually arrives and stop at the limit.
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| self.request_error(url, &err))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Outcome::Body { body, ttl })
    }

    fn client_for(&self, url: &Url) -> Result<&reqwest::Client, FetchError> {
        let clients = self
            .clients
            .get_or_init(|| Clients::build(&self.options))
            .as_ref()
            .map_err(|reason| FetchError::Network {
                url: url.clone(),
                reason: format!("cannot set up the HTTP client: {reason}"),
            })?;
        Ok(if policy::is_loopback(url) {
            &clients.loopback
        } else {
            &clients.remote
        })
    }

    fn request_error(&self, url: &Url, err: &reqwest::Error) -> FetchError {
        if err.is_timeout() {
            return FetchError::Timeout {
                url: url.clone(),
                after: self.options.timeout,
            };
        }
        FetchError::Network {
            url: url.clone(),
            reason: describe(err),
        }
    }
}

/// Freshness from the response's `Cache-Control` (all of them) and `Age` headers.
fn ttl_of(headers: &HeaderMap, options: &FetchOptions) -> Duration {
    let cache_control: Vec<&str> = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .map(|value| value.to_str().unwrap_or("no-store"))
        .collect();
    let cache_control = (!cache_control.is_empty()).then(|| cache_control.join(","));
    let age = headers.get(AGE).and_then(|value| value.to_str().ok());
    freshness(
        cache_control.as_deref(),
        age,
        options.default_ttl,
        options.max_age_cap,
    )
}

/// The causes of a reqwest error, without the URL it repeats and without hyper's generic
/// `client error (Connect)` wrapper: `tcp connect error: Connection refused (os error
/// 111)`, `dns error: failed to lookup address information: …`, `invalid peer
/// certificate: UnknownIssuer`.
fn describe(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        let generic = text.starts_with("client error (");
        if !generic && !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        let without_url = reqwest_without_url(err);
        parts.push(without_url);
    }
    parts.join(": ")
}

fn reqwest_without_url(err: &reqwest::Error) -> String {
    if err.is_body() {
        "error reading the response body".to_owned()
    } else if err.is_connect() {
        "cannot connect".to_owned()
    } else if err.is_decode() {
        "cannot decode the response".to_owned()
    } else {
        "request failed".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn fetcher_is_shareable_and_its_future_is_send() {
        assert_send_sync::<Fetcher>();
        let fetcher = Fetcher::default();
        let source = KeySource::from_url(Url::parse("https://idp.example.com/jwks").unwrap(), "t");
        // Not polled: only its type is checked (tower-lsp spawns handlers on other threads).
        let future = fetcher.keys(&source, None);
        assert_send(&future);
    }

    #[tokio::test]
    async fn clients_are_built_lazily_and_not_for_refused_urls() {
        let fetcher = Fetcher::default();
        assert!(fetcher.clients.get().is_none());
        let refused = KeySource::from_url(Url::parse("http://idp.example.com/jwks").unwrap(), "t");
        assert!(matches!(
            fetcher.keys(&refused, None).await,
            Err(FetchError::NotHttps(_))
        ));
        assert!(fetcher.clients.get().is_none());
        assert_eq!(fetcher.requests_sent(), 0);
    }

    #[test]
    fn clients_build() {
        Clients::build(&FetchOptions::default()).unwrap();
    }

    #[test]
    fn user_agent_names_the_version() {
        assert_eq!(USER_AGENT, format!("jwtlens/{}", env!("CARGO_PKG_VERSION")));
    }
}
