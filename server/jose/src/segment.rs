//! The base64url segments of a compact token, decoded as JOSE producers actually write
//! them. Pure.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine as _};
use serde_json::{Map, Value};

/// Decodes segments as JOSE producers actually write them: unpadded per RFC 7515, but padded
/// ones and non-canonical trailing bits are common enough to tolerate. The scanner, the
/// decoder and the key code all use it, so every header the scanner accepts decodes there
/// as well.
pub const SEGMENT_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Segments longer than this (base64url characters) are not decoded: a real JWT payload is
/// a few KB, and decoding megabytes for a hover would stall the editor.
pub const MAX_DECODE_LEN: usize = 64 * 1024;

/// Why a segment could not be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum SegmentError {
    /// Over [`MAX_DECODE_LEN`]; holds the segment's length.
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
                    MAX_DECODE_LEN / 1024
                )
            }
            SegmentError::Base64(why) => write!(f, "is not valid base64url ({why})"),
            SegmentError::NotJson(why) => write!(f, "is not JSON ({why})"),
            SegmentError::NotObject(kind) => write!(f, "is JSON {kind}, not an object"),
        }
    }
}

/// Decodes one base64url segment, tolerating `=` padding and non-canonical trailing bits.
pub fn decode_segment(segment: &[u8]) -> Result<Vec<u8>, SegmentError> {
    if segment.len() > MAX_DECODE_LEN {
        return Err(SegmentError::Oversized(segment.len()));
    }
    SEGMENT_ENGINE
        .decode(segment)
        .map_err(|err| SegmentError::Base64(err.to_string()))
}

/// How many bytes `segment` decodes to: the same answer as [`decode_segment`], without
/// decoding. A signature's length is all a token's checks need of it.
pub fn decoded_len(segment: &[u8]) -> Result<usize, SegmentError> {
    if segment.len() > MAX_DECODE_LEN {
        return Err(SegmentError::Oversized(segment.len()));
    }
    // Unpadded base64url of any length but 4n+1 decodes, trailing bits being tolerated;
    // padding and anything odd go through the decoder, which also explains the error.
    let plain = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_');
    if segment.len() % 4 != 1 && segment.iter().all(plain) {
        return Ok(segment.len() / 4 * 3 + (segment.len() % 4).saturating_sub(1));
    }
    decode_segment(segment).map(|bytes| bytes.len())
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
pub fn json_type(value: &Value) -> &'static str {
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
mod tests {
    use super::*;

    #[test]
    fn decoded_len_agrees_with_decoding() {
        // Every string of up to 6 bytes over an alphabet with padding, a byte outside
        // base64url and both base64url specials.
        let alphabet = b"Aa9-_=+";
        let mut segments = vec![Vec::new()];
        for _ in 0..6 {
            let longer: Vec<Vec<u8>> = segments
                .iter()
                .filter(|s| s.len() == segments.last().unwrap().len())
                .flat_map(|s| {
                    alphabet.iter().map(move |&b| {
                        let mut s = s.clone();
                        s.push(b);
                        s
                    })
                })
                .collect();
            segments.extend(longer);
        }
        segments.push(vec![b'A'; MAX_DECODE_LEN + 1]);
        segments.push(vec![b'A'; MAX_DECODE_LEN]);
        for segment in &segments {
            assert_eq!(
                decoded_len(segment),
                decode_segment(segment).map(|bytes| bytes.len()),
                "{}",
                String::from_utf8_lossy(segment)
            );
        }
    }

    #[test]
    fn padded_segments_decode() {
        let header = base64::engine::general_purpose::URL_SAFE.encode(r#"{"alg":"none"}"#);
        assert!(header.ends_with('='));
        assert_eq!(decode_object(header.as_bytes()).unwrap()["alg"], "none");
    }
}
