//! jwtlens: find, decode and judge JSON Web Tokens in any text.
//!
//! The engine (`jwtlens-engine`) works on bytes and byte offsets and never touches LSP
//! types; `lsp` is the thin protocol layer on top.

pub mod check;
pub mod cli;
pub mod lsp;
