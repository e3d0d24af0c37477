//! Finding JWS and JWE compact tokens in arbitrary text. Pure; byte offsets only.

use std::ops::Range;

/// Compact serialisation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum TokenKind {
    /// `header.payload.signature` (signature may be empty).
    Jws,
    /// `header.encrypted_key.iv.ciphertext.tag`.
    Jwe,
}

/// A token found in text: its header decoded to a JSON object with `alg` (JWE: and `enc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: TokenKind,
    /// Byte range of the whole token.
    pub range: Range<usize>,
    /// Byte ranges of the segments, absolute: 3 for JWS, 5 for JWE.
    pub segments: Vec<Range<usize>>,
}

/// Every token in `text`, in order, non-overlapping.
pub fn scan(text: &[u8]) -> Vec<Candidate> {
    let _ = text;
    todo!("scanner")
}
