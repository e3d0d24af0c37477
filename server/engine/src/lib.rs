//! The jwtlens engine: a text in, a report per token out. It finds tokens ([`scan`]),
//! decodes them ([`decode`]), recognises their identity provider ([`providers`], into
//! [`facts`]), runs the checklist ([`rules`]) under the workspace's compiled
//! configuration ([`config`]), and renders the hover ([`hover`]); [`analysis`] ties these
//! together for one document. [`clerk_template`] lints Clerk JWT templates, files that
//! describe tokens rather than hold them.
//!
//! Everything here works on bytes and byte offsets and is pure, apart from reading the
//! workspace's configuration and keys through `jwtlens-keys`. No LSP, terminal or network
//! type appears: the language server, `jwtlens check`, the CLI and the JWKS fetcher are
//! layers on top, and convert offsets to their own positions.

pub mod analysis;
pub mod clerk_template;
pub mod config;
pub mod decision;
pub mod decode;
pub mod diff;
pub mod facts;
pub mod hover;
pub mod lines;
pub mod navigate;
pub mod providers;
pub mod rules;
pub mod scan;
pub mod timefmt;
pub mod untrusted;
