//! An open document's text, kept current from `didChange` (incremental sync).
//!
//! A change without a range replaces the whole text. A ranged change is applied to the
//! text in place: its positions are converted to bytes by the `position` module, with the
//! clamping documented on [`PositionIndex::byte_range`] (past a line's end to the line's
//! end, past the last line to the end of the text, inside a character back to its start),
//! so no range an editor sends can panic or split a character.
//!
//! A keystroke in a large document copies the text at most once: in place when nothing
//! else holds the text (only the bytes after the edit move), into one new string when an
//! analysis or a request still reads the previous version. The positions are converted
//! with a line index of the text as it is when the change comes: a scan for line breaks,
//! once per ranged change (every change moves the lines after it).

use std::sync::Arc;

use tower_lsp::lsp_types::TextDocumentContentChangeEvent;

use crate::position::{Encoding, PositionIndex};

pub struct DocumentText {
    text: Arc<String>,
}

impl DocumentText {
    pub fn new(text: String) -> DocumentText {
        DocumentText {
            text: Arc::new(text),
        }
    }

    /// The current text, to be read without holding the document.
    pub fn snapshot(&self) -> Arc<String> {
        self.text.clone()
    }

    /// Applies one change of a `didChange`, whose positions count in `encoding`.
    pub fn apply(&mut self, change: TextDocumentContentChangeEvent, encoding: Encoding) {
        let Some(range) = change.range else {
            self.text = Arc::new(change.text);
            return;
        };
        let bytes = PositionIndex::edit_range(&self.text, range, encoding);
        match Arc::get_mut(&mut self.text) {
            Some(text) => text.replace_range(bytes, &change.text),
            None => {
                let old = self.text.as_str();
                let mut text = String::with_capacity(old.len() - bytes.len() + change.text.len());
                text.push_str(&old[..bytes.start]);
                text.push_str(&change.text);
                text.push_str(&old[bytes.end..]);
                self.text = Arc::new(text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tower_lsp::lsp_types::{Position, Range};

    fn change(range: Option<Range>, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range,
            range_length: None,
            text: text.to_owned(),
        }
    }

    fn at(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    fn edited(
        text: &str,
        encoding: Encoding,
        start: Position,
        end: Position,
        insert: &str,
    ) -> String {
        let mut document = DocumentText::new(text.to_owned());
        document.apply(change(Some(Range::new(start, end)), insert), encoding);
        document.snapshot().as_str().to_owned()
    }

    /// The position of a byte offset counted without the line index: lines end at `\r\n`,
    /// `\r` or `\n`, as LSP says. `offset` is a char boundary, not inside a `\r\n`.
    fn naive_position(text: &str, offset: usize, encoding: Encoding) -> Position {
        let before = text[..offset].replace("\r\n", "\n").replace('\r', "\n");
        let line = before.matches('\n').count();
        let last = before.rsplit('\n').next().unwrap_or("");
        let character = match encoding {
            Encoding::Utf8 => last.len(),
            Encoding::Utf16 => last.encode_utf16().count(),
        };
        at(line as u32, character as u32)
    }

    /// The `pick`th place a change can start or end at in `text`: a char boundary, moved
    /// out of a `\r\n` (whose middle no position names).
    fn boundary(text: &str, pick: usize) -> usize {
        let boundaries: Vec<usize> = text
            .char_indices()
            .map(|(at, _)| at)
            .chain([text.len()])
            .collect();
        let at = boundaries[pick % boundaries.len()];
        if at > 0 && text.as_bytes()[at - 1] == b'\r' && text.as_bytes().get(at) == Some(&b'\n') {
            at - 1
        } else {
            at
        }
    }

    /// Pieces of text: multi-byte characters (CJK, an emoji outside the BMP), every kind
    /// of line break, and the start of a token.
    fn pieces() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                "a", "eyJ", " ", "é", "中文", "😀", "𝄞", "\n", "\r\n", "\r",
            ]),
            0..12,
        )
        .prop_map(|pieces| pieces.concat())
    }

    #[derive(Debug, Clone)]
    struct Edit {
        start: usize,
        end: usize,
        insert: String,
        /// Send the whole new text instead of a range.
        whole: bool,
        /// Hold the previous version meanwhile, as an analysis would.
        hold_previous: bool,
    }

    fn edits() -> impl Strategy<Value = Vec<Edit>> {
        let edit = (
            any::<usize>(),
            any::<usize>(),
            pieces(),
            prop::bool::weighted(0.1),
            any::<bool>(),
        )
            .prop_map(|(start, end, insert, whole, hold_previous)| Edit {
                start,
                end,
                insert,
                whole,
                hold_previous,
            });
        prop::collection::vec(edit, 1..25)
    }

    proptest! {
        /// Random edit sequences applied as incremental changes give the text the editor
        /// has, in both position encodings; a version held by a reader is left untouched.
        #[test]
        fn incremental_changes_give_the_full_text(initial in pieces(), edits in edits()) {
            for encoding in [Encoding::Utf8, Encoding::Utf16] {
                let mut document = DocumentText::new(initial.clone());
                let mut expected = initial.clone();
                for edit in &edits {
                    let (start, end) = (boundary(&expected, edit.start), boundary(&expected, edit.end));
                    let (start, end) = (start.min(end), start.max(end));
                    let range = Range::new(
                        naive_position(&expected, start, encoding),
                        naive_position(&expected, end, encoding),
                    );
                    let previous = edit.hold_previous.then(|| document.snapshot());
                    let before = expected.clone();
                    expected.replace_range(start..end, &edit.insert);
                    if edit.whole {
                        document.apply(change(None, &expected), encoding);
                    } else {
                        document.apply(change(Some(range), &edit.insert), encoding);
                    }
                    let current = document.snapshot();
                    prop_assert_eq!(current.as_str(), expected.as_str(), "{:?} {:?}", encoding, range);
                    if let Some(previous) = previous {
                        prop_assert_eq!(previous.as_str(), before.as_str());
                    }
                }
            }
        }

        /// Any range at all, however far out or wherever it points into a character, is
        /// applied somewhere between characters; nothing panics.
        #[test]
        fn any_range_is_clamped(
            text in pieces(),
            ends in prop::collection::vec((0..6u32, prop_oneof![0..12u32, Just(u32::MAX)]), 2),
            insert in pieces(),
        ) {
            for encoding in [Encoding::Utf8, Encoding::Utf16] {
                let range = Range::new(at(ends[0].0, ends[0].1), at(ends[1].0, ends[1].1));
                let mut document = DocumentText::new(text.clone());
                document.apply(change(Some(range), &insert), encoding);
                let result = document.snapshot();
                prop_assert!(result.contains(insert.as_str()));
                prop_assert!(result.len() >= insert.len() && result.len() <= text.len() + insert.len());
            }
        }
    }

    #[test]
    fn a_position_inside_a_character_moves_to_its_start() {
        // UTF-16: character 1 is the middle of the surrogate pair.
        assert_eq!(
            edited("😀eyJ", Encoding::Utf16, at(0, 1), at(0, 1), "x"),
            "x😀eyJ"
        );
        assert_eq!(
            edited("😀eyJ", Encoding::Utf16, at(0, 1), at(0, 3), ""),
            "yJ"
        );
        // UTF-8: byte 1 is inside `é`.
        assert_eq!(edited("é!", Encoding::Utf8, at(0, 1), at(0, 1), "x"), "xé!");
    }

    #[test]
    fn a_range_past_the_end_clamps() {
        let text = "ab\r\ncd";
        // Past a line's end: before its line break.
        assert_eq!(
            edited(text, Encoding::Utf16, at(0, 99), at(0, 99), "!"),
            "ab!\r\ncd"
        );
        // Past the last line: at the end of the text.
        assert_eq!(
            edited(text, Encoding::Utf16, at(9, 0), at(9, 5), "!"),
            "ab\r\ncd!"
        );
        assert_eq!(
            edited(text, Encoding::Utf8, at(1, 1), at(u32::MAX, u32::MAX), ""),
            "ab\r\nc"
        );
        // An end before the start covers the bytes between them.
        assert_eq!(edited(text, Encoding::Utf8, at(1, 1), at(0, 1), "-"), "a-d");
    }

    #[test]
    fn a_change_without_a_range_replaces_the_text() {
        let mut document = DocumentText::new("old".to_owned());
        document.apply(change(None, "new"), Encoding::Utf16);
        assert_eq!(document.snapshot().as_str(), "new");
    }

    /// With no reader holding the text, a keystroke edits it where it is (the 10 MB of a
    /// large document are not copied); with one, the reader's version stays as it was.
    #[test]
    fn a_keystroke_edits_in_place_unless_the_text_is_read() {
        let mut text = String::with_capacity(64);
        text.push_str("let a = 1;\nlet b = 2;\n");
        let buffer = text.as_ptr();
        let mut document = DocumentText::new(text);
        document.apply(
            change(Some(Range::new(at(1, 4), at(1, 5))), "bee"),
            Encoding::Utf16,
        );
        assert_eq!(document.snapshot().as_str(), "let a = 1;\nlet bee = 2;\n");
        assert_eq!(document.snapshot().as_ptr(), buffer, "edited in place");
        let read = document.snapshot();
        document.apply(
            change(Some(Range::new(at(0, 4), at(0, 5))), "z"),
            Encoding::Utf16,
        );
        assert_eq!(read.as_str(), "let a = 1;\nlet bee = 2;\n");
        assert_eq!(document.snapshot().as_str(), "let z = 1;\nlet bee = 2;\n");
    }
}
