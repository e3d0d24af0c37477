//! Lines and columns of a text, for every surface that shows a byte offset to a person or
//! an editor: the language server (`jwtlens-lsp`'s `position` module) and `jwtlens check`.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`, as the LSP specification says. Columns count
//! in a [`Unit`]: UTF-8 bytes, UTF-16 code units (LSP's default) or Unicode code points
//! (SARIF's `unicodeCodePoints`, and what a person counts). Texts are bytes and may be
//! invalid UTF-8: every byte that does not continue a UTF-8 sequence counts as one code
//! point, as an editor's replacement character would, and as one UTF-16 unit unless it
//! starts a four-byte sequence (a character outside the BMP, two UTF-16 units).

use std::ops::Range;

/// What a column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Utf8,
    Utf16,
    CodePoint,
}

impl Unit {
    /// Length of `bytes` in this unit.
    pub fn len(self, bytes: &[u8]) -> usize {
        match self {
            Unit::Utf8 => bytes.len(),
            Unit::Utf16 if bytes.is_ascii() => bytes.len(),
            Unit::Utf16 => bytes.iter().map(|&byte| utf16_units(byte)).sum(),
            Unit::CodePoint => bytes.iter().filter(|&&byte| !is_continuation(byte)).count(),
        }
    }
}

/// A 0-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// One line of a text, in byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpan {
    pub content: Range<usize>,
    pub line_break: Range<usize>,
}

/// Where every line starts, built once per text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &[u8]) -> LineIndex {
        Self::up_to_line(text, usize::MAX)
    }

    /// The index of lines `0..=last` only, and of where the line after them starts: what
    /// converting positions on those lines needs. Applying one edit to a long document
    /// then reads up to the edit, not the whole text. Positions on later lines are not
    /// converted correctly: ask only about lines up to `last`.
    pub fn up_to_line(text: &[u8], last: usize) -> LineIndex {
        let mut line_starts = vec![0];
        for at in memchr::memchr2_iter(b'\n', b'\r', text) {
            // `\r\n` is one line break: the line starts after the `\n`.
            if text[at] == b'\r' && text.get(at + 1) == Some(&b'\n') {
                continue;
            }
            line_starts.push(at + 1);
            if line_starts.len() > last.saturating_add(1) {
                break;
            }
        }
        LineIndex { line_starts }
    }

    /// The line and column of a byte offset (clamped to the text, moved back to the start
    /// of its character).
    pub fn line_column(&self, text: &[u8], offset: usize, unit: Unit) -> LineColumn {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        LineColumn {
            line,
            column: unit.len(&text[start..offset]),
        }
    }

    /// The byte offset of a line and column. Columns past the end of a line clamp to the
    /// line's end; lines past the end clamp to the end of the text; a column in the middle
    /// of a UTF-16 surrogate pair or a UTF-8 sequence moves back to the character's start.
    pub fn offset(&self, text: &[u8], at: LineColumn, unit: Unit) -> usize {
        let Some(&start) = self.line_starts.get(at.line) else {
            return text.len();
        };
        let end = self.line_content_end(text, at.line);
        let line = &text[start..end];
        match unit {
            Unit::Utf8 => start + floor_char_boundary(line, at.column.min(line.len())),
            Unit::Utf16 | Unit::CodePoint => {
                let mut counted = 0;
                for (i, &byte) in line.iter().enumerate() {
                    if is_continuation(byte) {
                        continue;
                    }
                    counted += match unit {
                        Unit::Utf16 => utf16_units(byte),
                        _ => 1,
                    };
                    if counted > at.column {
                        return start + i;
                    }
                }
                end
            }
        }
    }

    /// The line holding byte `offset` (clamped to the text): its content and its line
    /// break (`\n`, `\r\n` or a lone `\r`; empty on the last line).
    pub fn line_at(&self, text: &[u8], offset: usize) -> LineSpan {
        let line = self.line_of(offset.min(text.len()));
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

    /// Converts offsets in ascending order without rescanning long lines: an offset on the
    /// same line as the previous one continues from where that one ended.
    pub fn cursor<'a>(&'a self, text: &'a [u8], unit: Unit) -> LineCursor<'a> {
        LineCursor {
            index: self,
            text,
            unit,
            progress: Progress::default(),
        }
    }

    /// The 0-based line holding byte `offset` (at most the text's length).
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset) - 1
    }

    /// Where line `line`'s content ends, before its line break.
    fn line_content_end(&self, text: &[u8], line: usize) -> usize {
        let mut end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(text.len());
        if end > self.line_starts[line] && line + 1 < self.line_starts.len() {
            end -= 1; // the `\n` or lone `\r`
            if text[end] == b'\n' && end > self.line_starts[line] && text[end - 1] == b'\r' {
                end -= 1;
            }
        }
        end
    }
}

/// Incremental offset → line and column conversion, for offsets in ascending order.
pub struct LineCursor<'a> {
    index: &'a LineIndex,
    text: &'a [u8],
    unit: Unit,
    progress: Progress,
}

/// Where a forward conversion stands: the last offset converted, its line and column.
#[derive(Default)]
struct Progress {
    at: usize,
    line: usize,
    column: usize,
}

impl Progress {
    /// The line and column of `offset` (not before the last one), which is on the line
    /// `new_line` gives (its number and start) or, when `None`, on the last one's line.
    fn advance(
        &mut self,
        text: &[u8],
        unit: Unit,
        offset: usize,
        new_line: Option<(usize, usize)>,
    ) -> LineColumn {
        if let Some((line, start)) = new_line {
            self.line = line;
            self.at = start;
            self.column = 0;
        }
        self.column += unit.len(&text[self.at..offset]);
        self.at = offset;
        LineColumn {
            line: self.line,
            column: self.column,
        }
    }
}

impl LineCursor<'_> {
    /// The line and column of `offset`, which must not be before the previous call's
    /// offset (earlier offsets are converted from scratch, correctly but slowly).
    pub fn line_column(&mut self, offset: usize) -> LineColumn {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        if offset < self.progress.at {
            return self.index.line_column(self.text, offset, self.unit);
        }
        let next_line_start = self
            .index
            .line_starts
            .get(self.progress.line + 1)
            .copied()
            .unwrap_or(usize::MAX);
        let new_line = (offset >= next_line_start).then(|| {
            let line = self.index.line_of(offset);
            (line, self.index.line_starts[line])
        });
        self.progress
            .advance(self.text, self.unit, offset, new_line)
    }
}

/// Lines and columns of offsets in ascending order, counted as it goes: no index of the
/// whole text is built and nothing past the last offset asked for is read. For
/// `jwtlens check`, which converts a few offsets per file and then drops the text, where
/// an index of every line of every file cost more than the rest of the conversion.
pub struct LineCounter<'a> {
    text: &'a [u8],
    unit: Unit,
    progress: Progress,
}

impl<'a> LineCounter<'a> {
    pub fn new(text: &'a [u8], unit: Unit) -> LineCounter<'a> {
        LineCounter {
            text,
            unit,
            progress: Progress::default(),
        }
    }

    /// The line and column of `offset` (clamped to the text, moved back to the start of
    /// its character), as [`LineIndex::line_column`] gives them. An offset before the
    /// previous call's is counted again from the start of the text: correct, but slow.
    pub fn line_column(&mut self, offset: usize) -> LineColumn {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        if offset < self.progress.at {
            self.progress = Progress::default();
        }
        let from = self.progress.at;
        let breaks = count_line_starts(self.text, from, offset);
        let new_line = (breaks > 0).then(|| {
            (
                self.progress.line + breaks,
                last_line_start(self.text, from, offset),
            )
        });
        self.progress
            .advance(self.text, self.unit, offset, new_line)
    }
}

/// The content of the line holding `offset` (clamped to the text), without its line
/// break: [`LineIndex::line_at`]'s `content`, found without an index.
pub fn line_content(text: &[u8], offset: usize) -> Range<usize> {
    let offset = offset.min(text.len());
    let start = last_line_start(text, 0, offset);
    let mut end =
        memchr::memchr2(b'\n', b'\r', &text[offset..]).map_or(text.len(), |at| offset + at);
    if text.get(end) == Some(&b'\n') && end > start && text[end - 1] == b'\r' {
        end -= 1;
    }
    start..end
}

/// How many lines start in `from + 1..=to`: after each `\n`, and after each `\r` that no
/// `\n` follows (in the whole text, which may go on past `to`).
fn count_line_starts(text: &[u8], from: usize, to: usize) -> usize {
    let between = &text[from..to];
    if memchr::memchr(b'\r', between).is_none() {
        return memchr::memchr_iter(b'\n', between).count();
    }
    memchr::memchr2_iter(b'\n', b'\r', between)
        .filter(|&at| between[at] == b'\n' || text.get(from + at + 1) != Some(&b'\n'))
        .count()
}

/// The last line start in `from + 1..=to`, else `from`.
fn last_line_start(text: &[u8], from: usize, to: usize) -> usize {
    let mut end = to;
    while let Some(at) = memchr::memrchr2(b'\n', b'\r', &text[from..end]) {
        let at = from + at;
        if text[at] == b'\n' || text.get(at + 1) != Some(&b'\n') {
            return at + 1;
        }
        end = at;
    }
    from
}

/// Whether `byte` continues a UTF-8 sequence (and so starts no character).
fn is_continuation(byte: u8) -> bool {
    (byte as i8) < -0x40
}

/// The UTF-16 code units of the character a byte starts: two for a four-byte UTF-8
/// sequence, none for a continuation byte, one otherwise.
fn utf16_units(byte: u8) -> usize {
    match byte {
        0xF0..=0xFF => 2,
        _ if is_continuation(byte) => 0,
        _ => 1,
    }
}

/// `offset` moved back to the start of its character.
fn floor_char_boundary(text: &[u8], mut offset: usize) -> usize {
    while offset > 0 && offset < text.len() && is_continuation(text[offset]) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> LineColumn {
        LineColumn { line, column }
    }

    /// Every offset's line and column, from scratch and through a cursor, and back.
    fn roundtrip(text: &str, unit: Unit) {
        let text = text.as_bytes();
        let index = LineIndex::new(text);
        let mut cursor = index.cursor(text, unit);
        let mut counter = LineCounter::new(text, unit);
        let boundaries = (0..=text.len()).filter(|&i| i == text.len() || !is_continuation(text[i]));
        for offset in boundaries {
            let position = index.line_column(text, offset, unit);
            assert_eq!(
                cursor.line_column(offset),
                position,
                "cursor at {offset} in {text:?}"
            );
            assert_eq!(
                counter.line_column(offset),
                position,
                "counter at {offset} in {text:?}"
            );
            // From the start in one jump, and back from the end of the text.
            assert_eq!(LineCounter::new(text, unit).line_column(offset), position);
            let mut from_end = LineCounter::new(text, unit);
            from_end.line_column(text.len());
            assert_eq!(from_end.line_column(offset), position);
            assert_eq!(
                line_content(text, offset),
                index.line_at(text, offset).content,
                "line content at {offset} in {text:?}"
            );
            let back = index.offset(text, position, unit);
            let at_line_break = matches!(text.get(offset), Some(b'\r' | b'\n'));
            if !at_line_break || back == offset {
                assert_eq!(back, offset, "{position:?} in {text:?}");
            }
        }
    }

    /// Lines split as the LSP does (`\r\n`, `\r`, `\n`), 1-based, columns in characters.
    fn naive(text: &str, offset: usize) -> (usize, usize) {
        let before = &text[..offset];
        let normalised = before.replace("\r\n", "\n").replace('\r', "\n");
        let line = normalised.matches('\n').count() + 1;
        let column = normalised.rsplit('\n').next().unwrap().chars().count() + 1;
        (line, column)
    }

    #[test]
    fn non_ascii_before_a_token_counts_utf16_units() {
        let text = "é😀中\u{301}x eyJ";
        let bytes = text.as_bytes();
        let index = LineIndex::new(bytes);
        let token = text.find("eyJ").unwrap();
        // é (1) + 😀 (2) + 中 (1) + combining acute (1) + x (1) + space (1)
        assert_eq!(index.line_column(bytes, token, Unit::Utf16), at(0, 7));
        assert_eq!(index.offset(bytes, at(0, 7), Unit::Utf16), token);
        assert_eq!(index.line_column(bytes, token, Unit::Utf8), at(0, token));
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        let text = "a\r\nbb\rccc\nd";
        let bytes = text.as_bytes();
        let index = LineIndex::new(bytes);
        let line_column = |c: char| index.line_column(bytes, text.find(c).unwrap(), Unit::Utf16);
        assert_eq!(line_column('b'), at(1, 0));
        assert_eq!(line_column('c'), at(2, 0));
        assert_eq!(line_column('d'), at(3, 0));
        // Past the end of line 0 clamps before the `\r\n`.
        assert_eq!(index.offset(bytes, at(0, 99), Unit::Utf16), 1);
    }

    #[test]
    fn an_index_up_to_a_line_converts_positions_on_it_as_the_whole_index_does() {
        let text = "a\r\nbé😀\r\rc\ncc\r\n\nd";
        let bytes = text.as_bytes();
        let whole = LineIndex::new(bytes);
        let lines = whole.line_starts.len();
        for last in 0..lines + 2 {
            let partial = LineIndex::up_to_line(bytes, last);
            for line in 0..=last.min(lines - 1) {
                for column in 0..6 {
                    for unit in [Unit::Utf8, Unit::Utf16, Unit::CodePoint] {
                        assert_eq!(
                            partial.offset(bytes, at(line, column), unit),
                            whole.offset(bytes, at(line, column), unit),
                            "up to line {last}, at {line}:{column} in {unit:?}"
                        );
                    }
                }
            }
        }
        // Stops after the start of the line past `last`: it does not read the rest.
        assert_eq!(LineIndex::up_to_line(bytes, 1).line_starts, [0, 3, 11]);
    }

    #[test]
    fn line_at_gives_content_and_line_break() {
        let text = b"a\r\nbb\rccc\nd";
        let index = LineIndex::new(text);
        let span = |content: Range<usize>, line_break: Range<usize>| LineSpan {
            content,
            line_break,
        };
        assert_eq!(index.line_at(text, 0), span(0..1, 1..3));
        // Between the `\r` and the `\n` of a `\r\n` is still the first line.
        assert_eq!(index.line_at(text, 2), span(0..1, 1..3));
        assert_eq!(index.line_at(text, 4), span(3..5, 5..6));
        assert_eq!(index.line_at(text, 6), span(6..9, 9..10));
        assert_eq!(index.line_at(text, text.len()), span(10..11, 11..11));
        let empty = LineIndex::new(b"");
        assert_eq!(empty.line_at(b"", 0), span(0..0, 0..0));
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = b"ab\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, at(7, 0), Unit::Utf16), text.len());
        assert_eq!(index.offset(text, at(1, 99), Unit::Utf16), text.len());
        assert_eq!(index.line_column(text, 999, Unit::Utf16), at(1, 2));
    }

    #[test]
    fn middle_of_a_surrogate_pair_moves_to_the_char_start() {
        let text = "😀eyJ".as_bytes();
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, at(0, 1), Unit::Utf16), 0);
        assert_eq!(index.offset(text, at(0, 2), Unit::Utf16), 4);
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
            roundtrip(text, Unit::Utf16);
            roundtrip(text, Unit::Utf8);
            roundtrip(text, Unit::CodePoint);
        }
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
            let bytes = text.as_bytes();
            let index = LineIndex::new(bytes);
            let mut cursor = index.cursor(bytes, Unit::CodePoint);
            for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
                // A cursor in the middle of `\r\n` has no meaningful column.
                if offset > 0 && bytes[offset - 1] == b'\r' && bytes.get(offset) == Some(&b'\n') {
                    continue;
                }
                let got = cursor.line_column(offset);
                assert_eq!(
                    (got.line + 1, got.column + 1),
                    naive(text, offset),
                    "{offset} in {text:?}"
                );
                let fresh = index.line_column(bytes, offset, Unit::CodePoint);
                assert_eq!(got, fresh, "incremental equals from scratch");
            }
        }
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "é😀 eyJ";
        let token = text.find("eyJ").unwrap();
        let index = LineIndex::new(text.as_bytes());
        let position = index.line_column(text.as_bytes(), token, Unit::CodePoint);
        assert_eq!((position.line, position.column), (0, 3));
    }

    #[test]
    fn invalid_utf8_counts_one_character_per_stray_byte() {
        let text = b"\xff\xfe\xc3\xa9 eyJ";
        // \xff, \xfe, é, space: the token starts in column 5 (4, 0-based).
        let position = LineIndex::new(text).line_column(text, 5, Unit::CodePoint);
        assert_eq!(position.column, 4);
    }

    #[test]
    fn line_at_excludes_the_line_break() {
        let text = b"first\r\nsecond eyJ one eyJ two\nthird";
        let index = LineIndex::new(text);
        assert_eq!(
            &text[index.line_at(text, 14).content],
            b"second eyJ one eyJ two"
        );
        assert_eq!(
            &text[index.line_at(text, 22).content],
            b"second eyJ one eyJ two"
        );
        assert_eq!(&text[index.line_at(text, text.len()).content], b"third");
    }

    #[test]
    fn going_backwards_restarts_correctly() {
        let text = b"a\nb\nc";
        let index = LineIndex::new(text);
        let mut cursor = index.cursor(text, Unit::CodePoint);
        assert_eq!(cursor.line_column(4).line, 2);
        assert_eq!(cursor.line_column(2).line, 1);
    }
}
