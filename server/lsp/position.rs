//! The one place where byte offsets meet LSP positions.
//!
//! The engine works in byte offsets; LSP speaks (line, character) where `character`
//! counts UTF-16 code units unless the client and server agreed on UTF-8. Lines end at
//! `\n`, `\r\n` or a lone `\r`, as the specification says.

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

    /// Length of `text` in this encoding's units.
    fn len(self, text: &str) -> usize {
        match self {
            Encoding::Utf8 => text.len(),
            Encoding::Utf16 if text.is_ascii() => text.len(),
            Encoding::Utf16 => text.chars().map(char::len_utf16).sum(),
        }
    }
}

/// Where every line starts, built once per document version.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    encoding: Encoding,
}

impl LineIndex {
    pub fn new(text: &str, encoding: Encoding) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        for at in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            // `\r\n` is one line break: the line starts after the `\n`.
            if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
                continue;
            }
            line_starts.push(at + 1);
        }
        LineIndex {
            line_starts,
            encoding,
        }
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The position of a byte offset (clamped to the text, moved back to a char boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        Position::new(
            to_u32(line),
            to_u32(self.encoding.len(&text[start..offset])),
        )
    }

    /// The byte offset of a position. Positions past the end of a line clamp to the line's
    /// end; lines past the end clamp to the end of the text; a character in the middle of
    /// a UTF-16 surrogate pair or a UTF-8 sequence moves back to the char's start.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let line = position.line as usize;
        let Some(&start) = self.line_starts.get(line) else {
            return text.len();
        };
        let end = self.line_content_end(text, line);
        let wanted = position.character as usize;
        let line_text = &text[start..end];
        match self.encoding {
            Encoding::Utf8 => start + floor_char_boundary(line_text, wanted.min(line_text.len())),
            Encoding::Utf16 => {
                let mut units = 0;
                for (at, ch) in line_text.char_indices() {
                    units += ch.len_utf16();
                    if units > wanted {
                        return start + at;
                    }
                }
                end
            }
        }
    }

    /// The line holding byte `offset` (clamped to the text): its content and its line
    /// break (`\n`, `\r\n` or a lone `\r`; empty on the last line).
    pub fn line_at(&self, text: &str, offset: usize) -> LineSpan {
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let content_end = self.line_content_end(text, line);
        let next_start = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(text.len());
        LineSpan {
            content: self.line_starts[line]..content_end,
            line_break: content_end..next_start,
        }
    }

    /// Converts byte ranges in ascending order without rescanning long lines: ranges on
    /// the same line continue from where the previous one ended.
    pub fn ranges<'a>(&'a self, text: &'a str) -> RangeCursor<'a> {
        RangeCursor {
            index: self,
            text,
            line: 0,
            line_start: 0,
            at: 0,
            character: 0,
        }
    }

    /// Where line `line`'s content ends, before its line break.
    fn line_content_end(&self, text: &str, line: usize) -> usize {
        let bytes = text.as_bytes();
        let mut end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(text.len());
        if end > self.line_starts[line] && line + 1 < self.line_starts.len() {
            end -= 1; // the `\n` or lone `\r`
            if bytes[end] == b'\n' && end > self.line_starts[line] && bytes[end - 1] == b'\r' {
                end -= 1;
            }
        }
        end
    }
}

/// One line of a text, in byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpan {
    pub content: std::ops::Range<usize>,
    pub line_break: std::ops::Range<usize>,
}

/// Incremental offset → position conversion for offsets in ascending order.
pub struct RangeCursor<'a> {
    index: &'a LineIndex,
    text: &'a str,
    line: usize,
    line_start: usize,
    /// The last converted offset and its column.
    at: usize,
    character: usize,
}

impl RangeCursor<'_> {
    /// The position of `offset`, which must not be before the previous call's offset
    /// (earlier offsets are converted from scratch, correctly but slowly).
    pub fn position(&mut self, offset: usize) -> Position {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        if offset < self.at {
            return self.index.position(self.text, offset);
        }
        let next_line_start = self
            .index
            .line_starts
            .get(self.line + 1)
            .copied()
            .unwrap_or(usize::MAX);
        if offset >= next_line_start {
            self.line = self
                .index
                .line_starts
                .partition_point(|&start| start <= offset)
                - 1;
            self.line_start = self.index.line_starts[self.line];
            self.at = self.line_start;
            self.character = 0;
        }
        self.character += self.index.encoding.len(&self.text[self.at..offset]);
        self.at = offset;
        Position::new(to_u32(self.line), to_u32(self.character))
    }

    pub fn range(&mut self, range: std::ops::Range<usize>) -> Range {
        let start = self.position(range.start);
        Range::new(start, self.position(range.end))
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str, encoding: Encoding) {
        let index = LineIndex::new(text, encoding);
        let mut cursor = index.ranges(text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let position = index.position(text, offset);
            assert_eq!(
                cursor.position(offset),
                position,
                "cursor at {offset} in {text:?}"
            );
            let back = index.offset(text, position);
            let at_line_break = matches!(text.as_bytes().get(offset), Some(b'\r' | b'\n'));
            if !at_line_break || back == offset {
                assert_eq!(back, offset, "{position:?} in {text:?}");
            }
        }
    }

    #[test]
    fn non_ascii_before_a_token_counts_utf16_units() {
        let text = "é😀中\u{301}x eyJ";
        let index = LineIndex::new(text, Encoding::Utf16);
        let token = text.find("eyJ").unwrap();
        // é (1) + 😀 (2) + 中 (1) + combining acute (1) + x (1) + space (1)
        assert_eq!(index.position(text, token), Position::new(0, 7));
        assert_eq!(index.offset(text, Position::new(0, 7)), token);
        let utf8 = LineIndex::new(text, Encoding::Utf8);
        assert_eq!(utf8.position(text, token), Position::new(0, token as u32));
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        let text = "a\r\nbb\rccc\nd";
        let index = LineIndex::new(text, Encoding::Utf16);
        assert_eq!(
            index.position(text, text.find('b').unwrap()),
            Position::new(1, 0)
        );
        assert_eq!(
            index.position(text, text.find('c').unwrap()),
            Position::new(2, 0)
        );
        assert_eq!(
            index.position(text, text.find('d').unwrap()),
            Position::new(3, 0)
        );
        // Past the end of line 0 clamps before the `\r\n`.
        assert_eq!(index.offset(text, Position::new(0, 99)), 1);
    }

    #[test]
    fn line_at_gives_content_and_line_break() {
        let text = "a\r\nbb\rccc\nd";
        let index = LineIndex::new(text, Encoding::Utf16);
        let span = |content: std::ops::Range<usize>, line_break: std::ops::Range<usize>| LineSpan {
            content,
            line_break,
        };
        assert_eq!(index.line_at(text, 0), span(0..1, 1..3));
        // Between the `\r` and the `\n` of a `\r\n` is still the first line.
        assert_eq!(index.line_at(text, 2), span(0..1, 1..3));
        assert_eq!(index.line_at(text, 4), span(3..5, 5..6));
        assert_eq!(index.line_at(text, 6), span(6..9, 9..10));
        assert_eq!(index.line_at(text, text.len()), span(10..11, 11..11));
        let empty = LineIndex::new("", Encoding::Utf16);
        assert_eq!(empty.line_at("", 0), span(0..0, 0..0));
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = "ab\ncd";
        let index = LineIndex::new(text, Encoding::Utf16);
        assert_eq!(index.offset(text, Position::new(7, 0)), text.len());
        assert_eq!(index.offset(text, Position::new(1, 99)), text.len());
        assert_eq!(index.position(text, 999), Position::new(1, 2));
    }

    #[test]
    fn middle_of_a_surrogate_pair_moves_to_the_char_start() {
        let text = "😀eyJ";
        let index = LineIndex::new(text, Encoding::Utf16);
        assert_eq!(index.offset(text, Position::new(0, 1)), 0);
        assert_eq!(index.offset(text, Position::new(0, 2)), 4);
    }

    #[test]
    fn positions_round_trip() {
        for text in [
            "",
            "plain ascii\nlines\n",
            "é😀中\u{301}\r\nx\ry\n\n😀😀",
            "\r\r\n\n",
            "末尾",
        ] {
            roundtrip(text, Encoding::Utf16);
            roundtrip(text, Encoding::Utf8);
        }
    }
}
