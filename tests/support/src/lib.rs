//! What jwtlens's integration tests (`tests/main.rs`) and benchmarks (`benches/`) share:
//!
//! * [`client`]: an LSP client that frames messages over any byte stream and answers the
//!   server's requests as an editor would; the server in this process.
//! * [`process`]: the server in another process (the real binary), and how it ends.
//! * [`marked`]: document texts with the cursor marked (`$0`), so that a test says where
//!   it hovers or asks for code actions in the text itself.
//! * [`workspace`]: temporary workspace folders and their `file://` URIs.
//! * [`tokens`]: tokens shaped or signed for a test, and the current time.
//! * [`fixture_key`]: the committed RSA test key of `tests/fixtures/jwks/`.
//! * [`issuer`]: a stand-in identity provider serving its JWKS on 127.0.0.1.
//! * [`crowded`]: a workspace with far more keys than a project needs.

pub mod client;
pub mod crowded;
pub mod fixture_key;
pub mod issuer;
pub mod marked;
pub mod process;
pub mod tokens;
pub mod workspace;
