//! Byte offsets to 1-based lines and character columns, for `check` output.
//!
//! Offsets come in ascending order (tokens in document order), so one cursor walks each
//! file once: the work is linear in the bytes up to the last offset, whatever the number
//! of tokens or the length of their lines. Lines end at `\n`, `\r\n` or a lone `\r`, as
//! in the editor. Columns count characters (Unicode code points: SARIF's
//! `unicodeCodePoints`); in invalid UTF-8, every byte that is not a continuation byte
//! counts as one character, as an editor's replacement character would.

use std::ops::Range;

/// A 1-based line and column, and the byte offset they stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineColumn {
    pub byte: usize,
    pub line: usize,
    pub column: usize,
}

/// Converts ascending byte offsets of one text to lines and columns.
pub struct LineCursor<'a> {
    text: &'a [u8],
    /// The last converted offset, its 0-based line, its line's start and its 0-based column.
    at: usize,
    line: usize,
    line_start: usize,
    column: usize,
    /// Where the current line's content ends (before its line break), once looked up.
    line_end: Option<usize>,
}

impl<'a> LineCursor<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        LineCursor {
            text,
            at: 0,
            line: 0,
            line_start: 0,
            column: 0,
            line_end: None,
        }
    }

    /// The line and column of `offset`, which must not be before the previous offset
    /// (an earlier one restarts from the beginning: correct, but not linear).
    pub fn position(&mut self, offset: usize) -> LineColumn {
        let offset = offset.min(self.text.len());
        if offset < self.at {
            *self = LineCursor::new(self.text);
        }
        let skipped = &self.text[self.at..offset];
        let mut last_break = None;
        for i in memchr::memchr2_iter(b'\n', b'\r', skipped) {
            let at = self.at + i;
            // `\r\n` is one line break, counted at its `\n`.
            if self.text[at] == b'\r' && self.text.get(at + 1) == Some(&b'\n') {
                continue;
            }
            self.line += 1;
            last_break = Some(at);
        }
        if let Some(at) = last_break {
            self.line_start = at + 1;
            self.column = chars(&self.text[self.line_start..offset]);
            self.line_end = None;
        } else {
            self.column += chars(skipped);
        }
        self.at = offset;
        LineColumn {
            byte: offset,
            line: self.line + 1,
            column: self.column + 1,
        }
    }

    /// Byte range of the current line's content (the line of the last offset), without
    /// its line break. Looked up once per line.
    pub fn line_range(&mut self) -> Range<usize> {
        let end = *self.line_end.get_or_insert_with(|| {
            memchr::memchr2(b'\n', b'\r', &self.text[self.at..])
                .map_or(self.text.len(), |i| self.at + i)
        });
        self.line_start..end
    }
}

/// Characters in `bytes`: bytes that do not continue a UTF-8 sequence.
pub fn chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(text: &str, offset: usize) -> (usize, usize) {
        // Lines split as the LSP does: \r\n, \r, \n.
        let before = &text[..offset];
        let normalised = before.replace("\r\n", "\n").replace('\r', "\n");
        let line = normalised.matches('\n').count() + 1;
        let column = normalised.rsplit('\n').next().unwrap().chars().count() + 1;
        (line, column)
    }

    #[test]
    fn matches_a_naive_count_at_every_char_boundary() {
        for text in [
            "",
            "abc",
            "a\nb\r\nc\rd\n\ne",
            "é😀中\u{301}x eyJ\r\nsecond é line\n",
            "\r\r\n\n\r",
        ] {
            let mut cursor = LineCursor::new(text.as_bytes());
            for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
                // A cursor in the middle of `\r\n` has no meaningful column.
                if offset > 0
                    && text.as_bytes()[offset - 1] == b'\r'
                    && text.as_bytes().get(offset) == Some(&b'\n')
                {
                    continue;
                }
                let got = cursor.position(offset);
                assert_eq!(
                    (got.line, got.column),
                    naive(text, offset),
                    "{offset} in {text:?}"
                );
                let fresh = LineCursor::new(text.as_bytes()).position(offset);
                assert_eq!(got, fresh, "incremental equals from scratch");
            }
        }
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "é😀 eyJ";
        let at = text.find("eyJ").unwrap();
        let position = LineCursor::new(text.as_bytes()).position(at);
        assert_eq!((position.line, position.column, position.byte), (1, 4, at));
    }

    #[test]
    fn invalid_utf8_counts_one_character_per_stray_byte() {
        let text = b"\xff\xfe\xc3\xa9 eyJ";
        // \xff, \xfe, é, space: the token starts in column 5.
        let position = LineCursor::new(text).position(5);
        assert_eq!(position.column, 5);
    }

    #[test]
    fn line_range_excludes_the_line_break_and_is_cached() {
        let text = b"first\r\nsecond eyJ one eyJ two\nthird";
        let mut cursor = LineCursor::new(text);
        cursor.position(14);
        assert_eq!(&text[cursor.line_range()], b"second eyJ one eyJ two");
        cursor.position(22);
        assert_eq!(&text[cursor.line_range()], b"second eyJ one eyJ two");
        cursor.position(text.len());
        assert_eq!(&text[cursor.line_range()], b"third");
    }

    #[test]
    fn going_backwards_restarts_correctly() {
        let text = b"a\nb\nc";
        let mut cursor = LineCursor::new(text);
        assert_eq!(cursor.position(4).line, 3);
        assert_eq!(cursor.position(2).line, 2);
    }
}
