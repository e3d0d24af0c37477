//! Verification keys, and what they say about a token: offline, local, and below the
//! engine, which asks the [`ring::KeyRing`] for a verdict on every signed token it
//! analyses.
//!
//! * [`key`]: one key (HMAC secret, PEM, JWK, JWKS, `{kid: certificate}` map) and
//!   verification with it; the index that finds a token's candidate keys.
//! * [`ring`]: the workspace's keys (`.jwtlens.toml`, `.env` files, the test keys) and their
//!   cached verdicts, including RS→HS algorithm confusion.
//! * [`known_secrets`]: HMAC secrets that are public knowledge (samples, defaults).
//! * [`verify`]: verification with a set of keys, and the outcome of one the user asked
//!   for against an issuer's keys.
//! * [`mint`]: the workspace test keys, and tokens minted with them.
//! * [`workspace_files`]: reading and writing files of a workspace a stranger wrote
//!   without leaving it.
//!
//! Inputs are plain (an `alg`, a `kid`, a signing input, a signature, a header object), so
//! nothing here depends on how the engine finds or decodes tokens.

pub mod key;
pub mod known_secrets;
pub mod mint;
pub mod ring;
pub mod verify;
pub mod workspace_files;
