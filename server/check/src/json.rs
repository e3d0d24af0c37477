//! Pretty JSON written straight to the output, for the JSON and SARIF formats: no
//! `serde_json::Value` tree is built, so memory does not grow with the report, and the
//! characters a terminal would obey are escaped the JSON way on the fly (the same bytes
//! as `escape_controls_in_json` over the whole text: see
//! `jwtlens_engine::untrusted::escape_controls_in_json`).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use jwtlens_engine::untrusted::is_unsafe;

/// Writes `value` pretty-printed (two-space indent), then a line feed.
pub fn write_pretty(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut *out, SafePretty(PrettyFormatter::new()));
    value.serialize(&mut serializer).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// serde_json's pretty formatter, with every unsafe character it would leave raw in a
/// string (DEL, C1 controls, direction controls; it escapes C0 controls itself) written
/// as a `\uXXXX` escape.
struct SafePretty<'a>(PrettyFormatter<'a>);

impl Formatter for SafePretty<'_> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut plain = 0;
        for (at, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[plain..at])?;
                // Every unsafe character is in the Basic Multilingual Plane: one escape.
                write!(writer, "\\u{:04x}", u32::from(c))?;
                plain = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[plain..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwtlens_engine::untrusted::escape_controls_in_json;
    use serde_json::json;

    #[test]
    fn same_bytes_as_escaping_the_pretty_text() {
        let value = json!({
            "iss": "https://idp.example/\u{1b}]0;x\u{7}\u{9b}2J\u{202E}gpj.exe\u{7f}é\t\n",
            "list": [1, {"a": []}, {}], "empty": [], "\u{200f}key": null,
        });
        let mut out = Vec::new();
        write_pretty(&mut out, &value).unwrap();
        let expected = escape_controls_in_json(serde_json::to_string_pretty(&value).unwrap());
        assert_eq!(String::from_utf8(out).unwrap(), format!("{expected}\n"));
    }
}
