//! Decoding a scanned token into its header and claims. Pure; byte offsets only.

use std::ops::Range;

use base64::Engine;
use serde_json::{Map, Value};

use crate::scan::{Candidate, TokenKind, SEGMENT_ENGINE};

/// Segments longer than this (base64url characters) are not decoded: a real JWT payload is
/// a few KB, and decoding megabytes for a hover would stall the editor.
pub const MAX_SEGMENT_LEN: usize = 64 * 1024;

/// Which part of a compact token a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Segment {
    Header,
    Payload,
    Signature,
}

impl Segment {
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Header => "header",
            Segment::Payload => "payload",
            Segment::Signature => "signature",
        }
    }
}

/// Why a segment could not be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum SegmentError {
    /// Over [`MAX_SEGMENT_LEN`]; holds the segment's length.
    Oversized(usize),
    /// Not base64url; holds the decoder's explanation.
    Base64(String),
    /// Decoded, but not valid JSON.
    NotJson(String),
    /// Valid JSON, but not an object; holds the JSON type found.
    NotObject(&'static str),
}

impl std::fmt::Display for SegmentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SegmentError::Oversized(len) => {
                write!(
                    f,
                    "is {} KB, over the {} KB decode limit",
                    len / 1024,
                    MAX_SEGMENT_LEN / 1024
                )
            }
            SegmentError::Base64(why) => write!(f, "is not valid base64url ({why})"),
            SegmentError::NotJson(why) => write!(f, "is not JSON ({why})"),
            SegmentError::NotObject(kind) => write!(f, "is JSON {kind}, not an object"),
        }
    }
}

/// The readable body of a token.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A JWS whose payload is a JSON object: a JWT's claims.
    Claims(Map<String, Value>),
    /// A JWS whose payload cannot be read as claims.
    Malformed(SegmentError),
    /// A JWE: the payload needs the recipient's key.
    Encrypted,
}

/// A token decoded as far as possible without a key.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedToken {
    pub kind: TokenKind,
    /// Byte range of the whole token in its document.
    pub range: Range<usize>,
    /// Byte ranges of the segments in the document (3 for JWS, 5 for JWE).
    pub segments: Vec<Range<usize>>,
    pub header: Map<String, Value>,
    pub body: Body,
    /// Decoded signature length in bytes (JWS only); `None` when it is not base64url.
    pub signature_len: Option<usize>,
}

impl DecodedToken {
    /// Decodes a candidate found in `text`. The scanner has already checked the header, so
    /// a header that fails here (it cannot, short of a scanner bug) yields `None`.
    pub fn decode(text: &[u8], candidate: &Candidate) -> Option<Self> {
        let segment = |i: usize| &text[candidate.segments[i].clone()];
        let header = match decode_object(segment(0)) {
            Ok(header) => header,
            Err(_) => return None,
        };
        let (body, signature_len) = match candidate.kind {
            TokenKind::Jwe => (Body::Encrypted, None),
            TokenKind::Jws => {
                let body = match decode_object(segment(1)) {
                    Ok(claims) => Body::Claims(claims),
                    Err(err) => Body::Malformed(err),
                };
                (body, decode_segment(segment(2)).ok().map(|sig| sig.len()))
            }
        };
        Some(DecodedToken {
            kind: candidate.kind,
            range: candidate.range.clone(),
            segments: candidate.segments.clone(),
            header,
            body,
            signature_len,
        })
    }

    /// The token's claims, when it has readable ones.
    pub fn claims(&self) -> Option<&Map<String, Value>> {
        match &self.body {
            Body::Claims(claims) => Some(claims),
            _ => None,
        }
    }

    /// The header's `alg`, as written.
    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    /// A string header field, such as `kid` or `typ`.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// A numeric claim as whole seconds (JWT NumericDate), if present and numeric.
    pub fn numeric_claim(&self, name: &str) -> Option<i64> {
        let value = self.claims()?.get(name)?;
        value
            .as_i64()
            .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
    }

    /// A string claim.
    pub fn str_claim(&self, name: &str) -> Option<&str> {
        self.claims()?.get(name).and_then(Value::as_str)
    }

    /// `header.payload` exactly as received: what a JWS signature covers.
    pub fn signing_input<'a>(&self, text: &'a [u8]) -> &'a [u8] {
        &text[self.segments[0].start..self.segments[1].end]
    }

    /// The signature segment's base64url text (JWS), empty for a JWE.
    pub fn signature_text<'a>(&self, text: &'a [u8]) -> &'a str {
        match self.kind {
            TokenKind::Jws => std::str::from_utf8(&text[self.segments[2].clone()]).unwrap_or(""),
            TokenKind::Jwe => "",
        }
    }

    /// The token text as it appears in `text`.
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.range.clone()]
    }
}

/// A token's fingerprint: the SHA-256 of its text, in hex. Safe to show, log and store
/// where the token itself must not be.
pub fn fingerprint(token_text: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token_text)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Decodes one base64url segment, tolerating `=` padding and non-canonical trailing bits.
pub fn decode_segment(segment: &[u8]) -> Result<Vec<u8>, SegmentError> {
    if segment.len() > MAX_SEGMENT_LEN {
        return Err(SegmentError::Oversized(segment.len()));
    }
    SEGMENT_ENGINE
        .decode(segment)
        .map_err(|err| SegmentError::Base64(err.to_string()))
}

/// Decodes a segment that must hold a JSON object.
pub fn decode_object(segment: &[u8]) -> Result<Map<String, Value>, SegmentError> {
    let bytes = decode_segment(segment)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(SegmentError::NotObject(json_type(&other))),
        Err(err) => Err(SegmentError::NotJson(err.to_string())),
    }
}

/// "an object", "a string"…: a JSON value's type, for messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    /// The candidate for a text that is exactly one token (JWE when it has five parts).
    pub(crate) fn candidate(text: &str) -> Candidate {
        let mut segments = Vec::new();
        let mut start = 0;
        for part in text.split('.') {
            segments.push(start..start + part.len());
            start += part.len() + 1;
        }
        let kind = if segments.len() == 5 {
            TokenKind::Jwe
        } else {
            TokenKind::Jws
        };
        Candidate {
            kind,
            range: 0..text.len(),
            segments,
        }
    }

    #[test]
    fn decodes_header_claims_and_signature_length() {
        let text = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"HS256"}"#),
            b64(r#"{"sub":"u1","exp":10}"#),
            b64("0123456789")
        );
        let token = DecodedToken::decode(text.as_bytes(), &candidate(&text)).unwrap();
        assert_eq!(token.alg(), "HS256");
        assert_eq!(token.str_claim("sub"), Some("u1"));
        assert_eq!(token.numeric_claim("exp"), Some(10));
        assert_eq!(token.signature_len, Some(10));
    }

    #[test]
    fn padded_segments_decode() {
        let header = base64::engine::general_purpose::URL_SAFE.encode(r#"{"alg":"none"}"#);
        assert!(header.ends_with('='));
        assert_eq!(decode_object(header.as_bytes()).unwrap()["alg"], "none");
    }

    #[test]
    fn payload_problems_name_the_reason() {
        let header = b64(r#"{"alg":"HS256"}"#);
        let cases = [
            ("%%%", "is not valid base64url"),
            (&b64("not json") as &str, "is not JSON"),
            (&b64("[1,2]"), "is JSON an array, not an object"),
        ];
        for (payload, expected) in cases {
            let text = format!("{header}.{payload}.");
            let token = DecodedToken::decode(text.as_bytes(), &candidate(&text)).unwrap();
            match &token.body {
                Body::Malformed(err) => assert!(err.to_string().starts_with(expected), "{err}"),
                other => panic!("expected malformed, got {other:?}"),
            }
        }
    }

    #[test]
    fn oversized_payload_is_not_decoded() {
        let header = b64(r#"{"alg":"HS256"}"#);
        let payload = "A".repeat(MAX_SEGMENT_LEN + 4);
        let text = format!("{header}.{payload}.sig");
        let token = DecodedToken::decode(text.as_bytes(), &candidate(&text)).unwrap();
        assert_eq!(
            token.body,
            Body::Malformed(SegmentError::Oversized(MAX_SEGMENT_LEN + 4))
        );
    }

    #[test]
    fn jwe_body_is_encrypted() {
        let text = format!("{}..iv.ct.tag", b64(r#"{"alg":"dir","enc":"A256GCM"}"#));
        let token = DecodedToken::decode(text.as_bytes(), &candidate(&text)).unwrap();
        assert_eq!(token.body, Body::Encrypted);
        assert_eq!(token.claims(), None);
    }
}
