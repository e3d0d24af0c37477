//! Issuer keys (JWKS) fetched over the network, only on request.
//!
//! This is the only module in jwtlens with an HTTP client, and [`Fetcher::keys`] is the only
//! function that sends a request: nothing here runs unless a user asks for a token to be
//! verified against its issuer's keys (a code action, `jwtlens verify --jwks/--discover`).
//!
//! * [`key_source`] decides, without the network, where a token's keys are: a configured
//!   URL, a provider's documented key URL, or OIDC discovery.
//! * [`Fetcher::keys`] fetches them safely: https only (http only on loopback) for every
//!   URL including discovered ones and redirect hops; a discovered `jwks_uri` kept on the
//!   discovery document's (the issuer's) origin; redirects kept on the same server;
//!   a time limit per exchange; a body size limit enforced while reading; the user agent
//!   `jwtlens/<version>`; a per-URL cache honouring `Cache-Control: max-age` up to a cap;
//!   one refetch when a `kid` is missing (key rotation).
//! * [`FetchedKeys`] holds the public keys as `jsonwebtoken` JWKs or PEM certificates,
//!   with the entries that were skipped and why.
//!
//! Logs (target `jwtlens_jwks`, level debug) carry URLs, statuses, sizes and cache
//! hits, never a token or key material.

mod cache;
mod error;
mod fetch;
mod parse;
mod policy;
mod remote;
mod source;

pub use error::FetchError;
pub use fetch::{FetchOptions, Fetcher, USER_AGENT};
pub use parse::{parse_discovery, parse_keys, Certificate, FetchedKeys, SkippedKey};
pub use policy::{is_allowed, is_issuer_origin, is_loopback, same_server};
pub use remote::{fetched_keys, verify_remote};
pub use source::{
    key_source, key_source_in, parse_configured_url, KeySource, SourceKind, ENTRA_V1_JWKS,
    FIREBASE_ID_TOKEN_CERTS, FIREBASE_SESSION_COOKIE_CERTS, GOOGLE_JWKS,
};
