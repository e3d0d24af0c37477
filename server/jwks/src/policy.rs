//! Which URLs may be fetched at all, and which redirects may be followed. Pure.

use std::net::{IpAddr, Ipv6Addr};

use url::{Host, Url};

/// True when the URL's host is a loopback address: `127.0.0.0/8`, `::1` (also written as
/// the IPv4-mapped `::ffff:127.x.y.z`) or the name `localhost`.
///
/// Other names that happen to resolve to a loopback address (`*.localhost`, `localtest.me`)
/// do not count: only the URL text is judged, never DNS.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.strip_suffix('.').unwrap_or(name);
            name.eq_ignore_ascii_case("localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => is_loopback_v6(ip),
        None => false,
    }
}

fn is_loopback_v6(ip: Ipv6Addr) -> bool {
    ip.is_loopback()
        || ip
            .to_ipv4_mapped()
            .is_some_and(|v4| IpAddr::V4(v4).is_loopback())
}

/// The one rule for every URL jwtlens fetches (the configured or derived source, a
/// discovered `jwks_uri`, each redirect hop): `https`, or `http` on a loopback address for
/// local development. Checked before any connection is attempted.
pub fn is_allowed(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(url),
        _ => false,
    }
}

/// Whether a redirect from `from` to `to` stays on the same server: same host and same
/// port (after filling in the scheme's default port).
///
/// The port is part of the comparison: two services on one machine (a proxy on :443 and
/// something else on :8080) are different servers, and on loopback different ports are
/// different programs. A change of scheme alone is left to [`is_allowed`], so
/// `http://127.0.0.1:8080` → `https://127.0.0.1:8080` is followed while
/// `https://host` → `http://host` is refused there (not loopback).
pub fn same_server(from: &Url, to: &Url) -> bool {
    from.host() == to.host() && from.port_or_known_default() == to.port_or_known_default()
}

/// Whether a discovery document fetched from `discovery` may send jwtlens to `jwks_uri`
/// for keys: only on the document's own origin (scheme, host and port), which for OIDC
/// discovery is the issuer's. A key set elsewhere is not the issuer's word: whoever can
/// edit the discovery document (or answers for it) would choose whose keys "verify" the
/// issuer's tokens, and jwtlens would send requests to a host the user never saw.
///
/// Loopback documents (local development and test servers) may point at any loopback
/// address and port, and only there.
pub fn is_issuer_origin(discovery: &Url, jwks_uri: &Url) -> bool {
    if is_loopback(discovery) {
        return is_loopback(jwks_uri);
    }
    discovery.origin() == jwks_uri.origin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn loopback_hosts() {
        for text in [
            "http://127.0.0.1/",
            "http://127.0.0.1:8080/jwks",
            "http://127.255.255.254/",
            "http://127.1/", // WHATWG parsing turns this into 127.0.0.1
            "http://localhost/",
            "http://LOCALHOST:3000/",
            "http://localhost./",
            "http://[::1]:8080/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(is_loopback(&url(text)), "{text}");
            assert!(is_allowed(&url(text)), "{text}");
        }
    }

    #[test]
    fn non_loopback_hosts() {
        for text in [
            "http://example.com/",
            "http://localhost.example.com/",
            "http://foo.localhost/",
            "http://128.0.0.1/",
            "http://[::2]/",
            "http://0.0.0.0/",
        ] {
            assert!(!is_loopback(&url(text)), "{text}");
            assert!(!is_allowed(&url(text)), "{text}");
        }
    }

    #[test]
    fn https_anywhere_other_schemes_nowhere() {
        assert!(is_allowed(&url(
            "https://example.com/.well-known/jwks.json"
        )));
        assert!(is_allowed(&url("https://127.0.0.1/")));
        for text in [
            "ftp://127.0.0.1/jwks",
            "file:///etc/passwd",
            "ws://localhost/",
            "data:application/json,{}",
        ] {
            assert!(!is_allowed(&url(text)), "{text}");
        }
    }

    #[test]
    fn same_server_compares_host_and_port() {
        let from = url("https://example.com/jwks");
        assert!(same_server(&from, &url("https://example.com/other")));
        assert!(same_server(&from, &url("https://EXAMPLE.com:443/x")));
        assert!(!same_server(&from, &url("https://example.com:8443/x")));
        assert!(!same_server(&from, &url("https://evil.example/x")));
        assert!(!same_server(&from, &url("https://sub.example.com/x")));
        let local = url("http://127.0.0.1:8080/a");
        assert!(same_server(&local, &url("http://127.0.0.1:8080/b")));
        assert!(same_server(&local, &url("https://127.0.0.1:8080/b")));
        assert!(!same_server(&local, &url("http://localhost:8080/b")));
        assert!(!same_server(&local, &url("http://127.0.0.1:8081/b")));
    }

    #[test]
    fn discovered_key_sets_stay_on_the_issuers_origin() {
        let issuer = url("https://idp.example.com/tenant/.well-known/openid-configuration");
        assert!(is_issuer_origin(
            &issuer,
            &url("https://idp.example.com/keys")
        ));
        assert!(is_issuer_origin(
            &issuer,
            &url("https://IDP.example.com:443/k?x=1")
        ));
        for other in [
            "https://keys.example.net/jwks",
            "https://sub.idp.example.com/keys",
            "https://example.com/keys",
            "https://idp.example.com:8443/keys",
            "http://idp.example.com/keys",
            "http://127.0.0.1/keys",
        ] {
            assert!(!is_issuer_origin(&issuer, &url(other)), "{other}");
        }
        let local = url("http://127.0.0.1:8080/.well-known/openid-configuration");
        assert!(is_issuer_origin(
            &local,
            &url("http://127.0.0.1:9090/certs")
        ));
        assert!(is_issuer_origin(&local, &url("https://localhost/certs")));
        assert!(!is_issuer_origin(
            &local,
            &url("https://idp.example.com/certs")
        ));
        // A loopback jwks_uri does not make a remote issuer local.
        assert!(!is_issuer_origin(&issuer, &url("https://localhost/keys")));
    }
}
