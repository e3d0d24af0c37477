//! Why keys could not be fetched: one clear line each.

use std::fmt;
use std::time::Duration;

use url::Url;

/// A failed fetch. `Display` is one line naming the URL, fit for a diagnostic or a
/// `window/showMessage`; it never contains key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// Not https, and not http on a loopback address: refused before any connection.
    NotHttps(Url),
    /// The server answered with a status other than 2xx (or a 3xx without `Location`).
    Status { url: Url, status: u16 },
    /// The response is larger than the limit (by `Content-Length` or while reading).
    TooLarge { url: Url, limit: usize },
    /// No complete response within the time limit (connect, headers and body).
    Timeout { url: Url, after: Duration },
    /// A redirect to another server (host or port), not followed. (`to` is boxed to keep
    /// the error small.)
    Redirect { from: Url, to: Box<Url> },
    /// More redirects than the limit, all on the same server.
    TooManyRedirects { url: Url, limit: usize },
    /// Not JSON, or JSON of the wrong shape (neither a JWKS nor a certificate map; a
    /// discovery document whose `jwks_uri` is not a URL).
    BadJson { url: Url, reason: String },
    /// A discovery document without a `jwks_uri`.
    NoJwksUri { url: Url },
    /// A discovery document whose `jwks_uri` is off its own origin (another scheme, host
    /// or port): not fetched. (`jwks_uri` is boxed to keep the error small.)
    ForeignJwksUri { url: Url, jwks_uri: Box<Url> },
    /// DNS, connection, TLS or protocol failure.
    Network { url: Url, reason: String },
}

impl FetchError {
    /// The URL the error is about (for a redirect, where it pointed).
    pub fn url(&self) -> &Url {
        match self {
            FetchError::NotHttps(url) => url,
            FetchError::Redirect { to, .. } => to,
            FetchError::ForeignJwksUri { jwks_uri, .. } => jwks_uri,
            FetchError::Status { url, .. }
            | FetchError::TooLarge { url, .. }
            | FetchError::Timeout { url, .. }
            | FetchError::TooManyRedirects { url, .. }
            | FetchError::BadJson { url, .. }
            | FetchError::NoJwksUri { url }
            | FetchError::Network { url, .. } => url,
        }
    }

    /// The HTTP status, for "fetch failed with HTTP 404".
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::NotHttps(url) => {
                write!(f, "refused to fetch {url}: keys are fetched over https only (http only on loopback)")
            }
            FetchError::Status { url, status } => {
                write!(f, "GET {url} failed with HTTP {status}")?;
                if let Some(reason) = reqwest::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|code| code.canonical_reason())
                {
                    write!(f, " {reason}")?;
                }
                Ok(())
            }
            FetchError::TooLarge { url, limit } => {
                write!(
                    f,
                    "GET {url}: the response is larger than the {} limit",
                    size(*limit)
                )
            }
            FetchError::Timeout { url, after } => {
                write!(
                    f,
                    "GET {url}: no complete response within {}",
                    humantime::format_duration(*after)
                )
            }
            FetchError::Redirect { from, to } => {
                write!(
                    f,
                    "GET {from} redirected to another server ({to}): not followed"
                )
            }
            FetchError::TooManyRedirects { url, limit } => {
                write!(f, "GET {url}: more than {limit} redirects")
            }
            FetchError::BadJson { url, reason } => write!(f, "GET {url}: {reason}"),
            FetchError::NoJwksUri { url } => {
                write!(f, "the discovery document at {url} has no jwks_uri")
            }
            FetchError::ForeignJwksUri { url, jwks_uri } => write!(
                f,
                "the discovery document at {url} points jwks_uri to {jwks_uri}, off the issuer's own origin: not fetched (keys come only from the issuer's https host and port)"
            ),
            FetchError::Network { url, reason } => write!(f, "GET {url} failed: {reason}"),
        }
    }
}

impl std::error::Error for FetchError {}

/// `1 MiB`, `64 KiB`, `300 bytes`.
fn size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes % KIB == 0 {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://idp.example.com/jwks").unwrap()
    }

    #[test]
    fn messages_are_one_line_and_name_the_url() {
        let errors = [
            FetchError::NotHttps(Url::parse("http://idp.example.com/jwks").unwrap()),
            FetchError::Status {
                url: url(),
                status: 404,
            },
            FetchError::TooLarge {
                url: url(),
                limit: 1024 * 1024,
            },
            FetchError::Timeout {
                url: url(),
                after: Duration::from_secs(5),
            },
            FetchError::Redirect {
                from: url(),
                to: Box::new(Url::parse("https://evil.example/jwks").unwrap()),
            },
            FetchError::TooManyRedirects {
                url: url(),
                limit: 5,
            },
            FetchError::BadJson {
                url: url(),
                reason: "not JSON: expected value at line 1 column 1".into(),
            },
            FetchError::NoJwksUri { url: url() },
            FetchError::ForeignJwksUri {
                url: url(),
                jwks_uri: Box::new(Url::parse("https://keys.example.net/jwks").unwrap()),
            },
            FetchError::Network {
                url: url(),
                reason: "connection refused".into(),
            },
        ];
        for err in &errors {
            let text = err.to_string();
            assert!(!text.contains('\n'), "{text}");
            assert!(text.contains("example"), "{text}");
        }
        assert_eq!(
            errors[1].to_string(),
            "GET https://idp.example.com/jwks failed with HTTP 404 Not Found"
        );
        assert_eq!(errors[1].status(), Some(404));
        assert_eq!(
            errors[2].to_string(),
            "GET https://idp.example.com/jwks: the response is larger than the 1 MiB limit"
        );
        assert_eq!(
            errors[3].to_string(),
            "GET https://idp.example.com/jwks: no complete response within 5s"
        );
        assert_eq!(errors[4].url().as_str(), "https://evil.example/jwks");
        assert_eq!(errors[8].url().as_str(), "https://keys.example.net/jwks");
        assert_eq!(
            errors[8].to_string(),
            "the discovery document at https://idp.example.com/jwks points jwks_uri to https://keys.example.net/jwks, off the issuer's own origin: not fetched (keys come only from the issuer's https host and port)"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(size(1024 * 1024), "1 MiB");
        assert_eq!(size(64 * 1024), "64 KiB");
        assert_eq!(size(300), "300 bytes");
        assert_eq!(size(1500), "1500 bytes");
    }
}
