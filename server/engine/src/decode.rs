//! Decoding a scanned token into its header and claims. Pure; byte offsets only.

use std::ops::Range;
use std::sync::Arc;

use jwtlens_jose::segment::{decode_object, decoded_len, SegmentError};
use jwtlens_keys::ring::SignedToken;
use serde_json::{Map, Value};

use crate::scan::{Candidate, TokenKind};

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
    /// Byte ranges of the segments (3 for JWS, 5 for JWE) in the token's frame: the
    /// document, or `joined` for a token split over several literals or lines.
    pub segments: Vec<Range<usize>>,
    /// The token put together, when the document splits it (see [`Candidate::joined`]).
    pub joined: Option<Box<str>>,
    /// The header's members; empty when the header is broken. Shared by the tokens of a
    /// document that have the same header text (see [`Headers`]).
    pub header: SharedHeader,
    /// Why the header cannot be read ("is not valid base64url (Invalid symbol 42, offset
    /// 20.)", "is not JSON (…)"), for a token the scanner found by its payload (see
    /// [`Candidate::header_broken`]). Such a token is decoded as far as it goes: the claims
    /// are read, nothing is verified.
    pub header_error: Option<SegmentError>,
    pub body: Body,
    /// Decoded signature length in bytes (JWS only); `None` when it is not base64url.
    pub signature_len: Option<usize>,
    /// The JWS has an empty signature that the text elides rather than omits: the literal
    /// goes on with an ellipsis (`header.payload...`) or is joined at run time to a computed
    /// signature (`"header.payload." + signature`, `${signature}`). Such a literal is a
    /// placeholder or a prefix, not an unsigned token.
    pub signature_elided: bool,
}

impl DecodedToken {
    /// Decodes a candidate found in `text`. The scanner has already checked the header, so
    /// a header that fails here yields `None` (it cannot, short of a scanner bug), unless
    /// the scanner found it broken: then the reason is kept in `header_error`.
    pub fn decode(text: &[u8], candidate: &Candidate) -> Option<Self> {
        Self::decode_with(text, candidate, &mut Headers::default())
    }

    /// [`DecodedToken::decode`], with the headers already decoded in this document.
    pub fn decode_with(text: &[u8], candidate: &Candidate, headers: &mut Headers) -> Option<Self> {
        let frame = candidate.frame(text);
        let segment = |i: usize| &frame[candidate.segments[i].clone()];
        let (header, header_error) = match headers.decode(segment(0)) {
            Ok(header) if !candidate.header_broken => (header, None),
            Err(err) if candidate.header_broken => (Arc::default(), Some(err)),
            _ => return None,
        };
        let (body, signature_len) = match candidate.kind {
            TokenKind::Jwe => (Body::Encrypted, None),
            TokenKind::Jws => {
                let body = match decode_object(segment(1)) {
                    Ok(claims) => Body::Claims(claims),
                    Err(err) => Body::Malformed(err),
                };
                (body, decoded_len(segment(2)).ok())
            }
        };
        Some(DecodedToken {
            kind: candidate.kind,
            range: candidate.range.clone(),
            segments: candidate.segments.clone(),
            joined: candidate.joined.clone(),
            header,
            header_error,
            body,
            signature_len,
            signature_elided: candidate.kind == TokenKind::Jws
                && candidate.segments[2].is_empty()
                && signature_follows(&text[candidate.range.end..]),
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
        self.header_str("alg").unwrap_or("")
    }

    /// A string header field, such as `kid` or `typ`.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        member(&self.header, name).and_then(Value::as_str)
    }

    /// A numeric claim as whole seconds (JWT NumericDate), if present and numeric.
    pub fn numeric_claim(&self, name: &str) -> Option<i64> {
        let value = member(self.claims()?, name)?;
        value
            .as_i64()
            .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
    }

    /// A string claim.
    pub fn str_claim(&self, name: &str) -> Option<&str> {
        member(self.claims()?, name).and_then(Value::as_str)
    }

    /// What `segments` index into: `joined` for a split token, else the document.
    fn frame<'a>(&'a self, text: &'a [u8]) -> &'a [u8] {
        self.joined.as_deref().map_or(text, str::as_bytes)
    }

    /// The token as one string of bytes: its text in the document, or the pieces of a split
    /// token put together. Fingerprints and verification use this.
    pub fn compact<'a>(&'a self, text: &'a [u8]) -> &'a [u8] {
        let segments = self.segments.first().zip(self.segments.last());
        segments.map_or(&[][..], |(first, last)| {
            &self.frame(text)[first.start..last.end]
        })
    }

    /// `header.payload` exactly as received: what a JWS signature covers.
    pub fn signing_input<'a>(&'a self, text: &'a [u8]) -> &'a [u8] {
        &self.frame(text)[self.segments[0].start..self.segments[1].end]
    }

    /// The signature segment's base64url text (JWS), empty for a JWE.
    pub fn signature_text<'a>(&'a self, text: &'a [u8]) -> &'a str {
        match self.kind {
            TokenKind::Jws => {
                std::str::from_utf8(&self.frame(text)[self.segments[2].clone()]).unwrap_or("")
            }
            TokenKind::Jwe => "",
        }
    }

    /// The parts of a JWS that a key verifies (`None` for a JWE): what the key ring judges.
    /// A token with a broken header has nothing a key could verify.
    pub fn signed<'a>(&'a self, text: &'a [u8]) -> Option<SignedToken<'a>> {
        (self.kind == TokenKind::Jws && self.header_error.is_none()).then(|| SignedToken {
            text: self.compact(text),
            header: &self.header,
            signing_input: self.signing_input(text),
            signature: self.signature_text(text),
        })
    }
}

/// A decoded header, shared by the tokens that have its text.
pub type SharedHeader = Arc<Map<String, Value>>;

/// The headers last decoded in one document, by their text. A document's tokens mostly
/// share a few headers, and decoding one costs as much as reading the rest of the token.
#[derive(Default)]
pub struct Headers {
    recent: Vec<(Box<[u8]>, SharedHeader)>,
    /// The entry the next new header replaces, once `recent` is full.
    next: usize,
}

impl Headers {
    /// Distinct headers remembered: a document's tokens rarely have more kinds.
    const KEPT: usize = 4;

    fn decode(&mut self, segment: &[u8]) -> Result<SharedHeader, SegmentError> {
        if let Some((_, header)) = self.recent.iter().find(|(text, _)| **text == *segment) {
            return Ok(Arc::clone(header));
        }
        let header = Arc::new(decode_object(segment)?);
        let entry = (Box::from(segment), Arc::clone(&header));
        if self.recent.len() < Self::KEPT {
            self.recent.push(entry);
        } else {
            self.recent[self.next] = entry;
            self.next = (self.next + 1) % Self::KEPT;
        }
        Ok(header)
    }
}

/// Objects of up to this many members are searched member by member rather than hashed
/// (serde_json's map hashes with SipHash): a token's header and claims have a handful.
pub(crate) const LINEAR_SCAN: usize = 16;

/// The member `name` of a header or claims set. The rules ask for a dozen names per
/// token; a JSON object's keys are unique there, so scanning and hashing find the same.
fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if object.len() > LINEAR_SCAN {
        return object.get(name);
    }
    object
        .iter()
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// Whether the text right after a `header.payload.` literal stands for its signature: an
/// ellipsis, an interpolation (`${sig}`, `{sig}`), or a closing quote followed by `+`
/// (string concatenation in JS/TS, Java, C#, Kotlin, Go, Python).
fn signature_follows(after: &[u8]) -> bool {
    match after {
        [b'.', ..] | [b'$', b'{', ..] | [b'{', ..] => true,
        [b'"' | b'\'' | b'`', rest @ ..] => rest.trim_ascii_start().first() == Some(&b'+'),
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jwtlens_jose::segment::MAX_DECODE_LEN;

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
            joined: None,
            header_broken: false,
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
    fn tokens_with_the_same_header_text_share_its_decoding() {
        let mut headers = Headers::default();
        let decode = |headers: &mut Headers, alg: &str| {
            let text = format!("{}.{}.", b64(&format!(r#"{{"alg":"{alg}"}}"#)), b64("{}"));
            DecodedToken::decode_with(text.as_bytes(), &candidate(&text), headers).unwrap()
        };
        // More kinds of header than are kept: each still decodes as itself.
        let algs = ["HS256", "RS256", "ES256", "PS256", "EdDSA", "none"];
        let first: Vec<DecodedToken> = algs.iter().map(|alg| decode(&mut headers, alg)).collect();
        for (alg, token) in algs.iter().zip(&first) {
            assert_eq!(token.alg(), *alg);
            let again = decode(&mut headers, alg);
            assert_eq!(again.alg(), *alg);
            assert_eq!(again.header, token.header);
        }
        let last = decode(&mut headers, "none");
        assert!(Arc::ptr_eq(
            &last.header,
            &decode(&mut headers, "none").header
        ));
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
        let payload = "A".repeat(MAX_DECODE_LEN + 4);
        let text = format!("{header}.{payload}.sig");
        let token = DecodedToken::decode(text.as_bytes(), &candidate(&text)).unwrap();
        assert_eq!(
            token.body,
            Body::Malformed(SegmentError::Oversized(MAX_DECODE_LEN + 4))
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
