//! jwtlens: find, decode and judge JSON Web Tokens in any text.
//!
//! The engine (`scan`, `decode`, `providers`, `rules`, `analysis`, `hover`) works on bytes
//! and byte offsets and never touches LSP types; `lsp` is the thin protocol layer on top.

pub mod analysis;
pub mod check;
pub mod claims;
pub mod cli;
pub mod config;
pub mod decode;
pub mod facts;
pub mod hover;
pub mod jwks;
pub mod lsp;
pub mod providers;
pub mod rules;
pub mod scan;
pub mod timefmt;
pub mod untrusted;
