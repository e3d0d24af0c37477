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
    fn padded_segments_decode() {
        let header = base64::engine::general_purpose::URL_SAFE.encode(r#"{"alg":"none"}"#);
        assert!(header.ends_with('='));
        assert_eq!(decode_object(header.as_bytes()).unwrap()["alg"], "none");
    }
}
