//! The one place where byte offsets meet LSP positions.
//!
//! The engine works in byte offsets; LSP speaks (line, character) where `character`
//! counts UTF-16 code units unless the client and server agreed on UTF-8. Lines and
//! columns come from the engine's line index (`jwtlens_engine::lines`, shared with
//! `jwtlens check`); this module only picks the unit and converts to LSP types.

use jwtlens_engine::lines::{LineColumn, LineCursor, LineIndex, LineSpan, Unit};
use tower_lsp::lsp_types::{Position, PositionEncodingKind, Range};

/// How `Position::character` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// Picks UTF-8 when the client offers it (no conversion needed), else UTF-16.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }

    /// What `Position::character` counts, as the engine's line index names it.
    fn unit(self) -> Unit {
        match self {
            Encoding::Utf8 => Unit::Utf8,
            Encoding::Utf16 => Unit::Utf16,
        }
    }
}

/// A document's LSP positions: the engine's line index, counted in the negotiated
/// encoding. Built once per document version.
#[derive(Debug, Clone)]
pub struct PositionIndex {
    lines: LineIndex,
    encoding: Encoding,
}

impl PositionIndex {
    pub fn new(text: &str, encoding: Encoding) -> PositionIndex {
        PositionIndex {
            lines: LineIndex::new(text.as_bytes()),
            encoding,
        }
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The position of a byte offset (clamped to the text, moved back to a char boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        to_position(
            self.lines
                .line_column(text.as_bytes(), offset, self.encoding.unit()),
        )
    }

    /// The byte offset of a position. Positions past the end of a line clamp to the line's
    /// end; lines past the end clamp to the end of the text; a character in the middle of
    /// a UTF-16 surrogate pair or a UTF-8 sequence moves back to the char's start.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let at = LineColumn {
            line: position.line as usize,
            column: position.character as usize,
        };
        self.lines.offset(text.as_bytes(), at, self.encoding.unit())
    }

    /// The bytes a range covers, for applying an editor's change. Both ends clamp as in
    /// [`PositionIndex::offset`]: past the end of a line to the line's end, past the last
    /// line to the end of the text, inside a surrogate pair or a multi-byte character back
    /// to the character's start (so a change never splits a character). A range whose end
    /// comes before its start covers the bytes between the two.
    pub fn byte_range(&self, text: &str, range: Range) -> std::ops::Range<usize> {
        let start = self.offset(text, range.start);
        let end = self.offset(text, range.end);
        start.min(end)..start.max(end)
    }

    /// [`PositionIndex::byte_range`] for one edit, indexing only the lines up to the
    /// range's last: typing near the top of a 10 MB document reads a few lines, not all.
    pub fn edit_range(text: &str, range: Range, encoding: Encoding) -> std::ops::Range<usize> {
        let last = range.start.line.max(range.end.line) as usize;
        PositionIndex {
            lines: LineIndex::up_to_line(text.as_bytes(), last),
            encoding,
        }
        .byte_range(text, range)
    }

    /// The line holding byte `offset` (clamped to the text): its content and its line
    /// break (`\n`, `\r\n` or a lone `\r`; empty on the last line).
    pub fn line_at(&self, text: &str, offset: usize) -> LineSpan {
        self.lines.line_at(text.as_bytes(), offset)
    }

    /// Converts byte ranges in ascending order without rescanning long lines: ranges on
    /// the same line continue from where the previous one ended.
    pub fn ranges<'a>(&'a self, text: &'a str) -> RangeCursor<'a> {
        RangeCursor(self.lines.cursor(text.as_bytes(), self.encoding.unit()))
    }
}

/// Incremental offset → position conversion for offsets in ascending order.
pub struct RangeCursor<'a>(LineCursor<'a>);

impl RangeCursor<'_> {
    /// The position of `offset`, which must not be before the previous call's offset
    /// (earlier offsets are converted from scratch, correctly but slowly).
    pub fn position(&mut self, offset: usize) -> Position {
        to_position(self.0.line_column(offset))
    }

    pub fn range(&mut self, range: std::ops::Range<usize>) -> Range {
        let start = self.position(range.start);
        Range::new(start, self.position(range.end))
    }
}

fn to_position(at: LineColumn) -> Position {
    Position::new(to_u32(at.line), to_u32(at.column))
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_in_the_negotiated_encoding() {
        let text = "a\r\né😀 eyJ";
        let token = text.find("eyJ").unwrap();
        let utf16 = PositionIndex::new(text, Encoding::Utf16);
        assert_eq!(utf16.position(text, token), Position::new(1, 4));
        assert_eq!(utf16.offset(text, Position::new(1, 4)), token);
        let utf8 = PositionIndex::new(text, Encoding::Utf8);
        assert_eq!(utf8.position(text, token), Position::new(1, 7));
        assert_eq!(utf8.offset(text, Position::new(1, 7)), token);
        let mut cursor = utf16.ranges(text);
        assert_eq!(
            cursor.range(token..text.len()),
            Range::new(Position::new(1, 4), Position::new(1, 7))
        );
        let offered = [PositionEncodingKind::UTF16, PositionEncodingKind::UTF8];
        assert_eq!(Encoding::negotiate(Some(&offered)), Encoding::Utf8);
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
    }
}
