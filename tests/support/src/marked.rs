//! Document texts with the cursor marked in them, so that a test reads as a specification:
//! `$0` is where the user hovers or asks for code actions (`$1`, `$2`… when a test needs
//! more than one place), instead of a bare `(line, character)` the reader has to count.
//!
//! ```text
//! let doc = Marked::new(&format!("const token = \"$0{token}\";\n"));
//! client.open(&uri, &doc.text, 1).await;
//! let hover = client.hover(&uri, doc.cursor()).await;
//! ```

use jwtlens_lsp::position::{Encoding, PositionIndex};
use tower_lsp::lsp_types::Position;

/// A text with its markers taken out, and where they were.
#[derive(Debug, Clone)]
pub struct Marked {
    /// The text without its markers: what the editor holds.
    pub text: String,
    /// Byte offset of each marker in `text`, by its number.
    offsets: Vec<Option<usize>>,
}

impl Marked {
    /// Takes the markers `$0` to `$9` out of `marked`. A marker may appear once.
    pub fn new(marked: &str) -> Marked {
        let mut text = String::with_capacity(marked.len());
        let mut offsets: Vec<Option<usize>> = Vec::new();
        let mut rest = marked;
        while let Some(at) = rest.find('$') {
            let digit = rest[at + 1..].chars().next().and_then(|c| c.to_digit(10));
            let Some(digit) = digit else {
                text.push_str(&rest[..=at]);
                rest = &rest[at + 1..];
                continue;
            };
            text.push_str(&rest[..at]);
            let number = digit as usize;
            if offsets.len() <= number {
                offsets.resize(number + 1, None);
            }
            assert!(offsets[number].is_none(), "${number} marked twice");
            offsets[number] = Some(text.len());
            rest = &rest[at + 2..];
        }
        text.push_str(rest);
        Marked { text, offsets }
    }

    /// Where `$0` is.
    pub fn cursor(&self) -> Position {
        self.at(0)
    }

    /// Where marker `$number` is, as an LSP position in UTF-16 units (what a client that
    /// offers no other encoding gets), converted by the server's own position module.
    pub fn at(&self, number: usize) -> Position {
        PositionIndex::new(&self.text, Encoding::Utf16).position(&self.text, self.offset(number))
    }

    /// Byte offset of marker `$number` in the text.
    pub fn offset(&self, number: usize) -> usize {
        self.offsets
            .get(number)
            .copied()
            .flatten()
            .unwrap_or_else(|| panic!("no ${number} in the text"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_taken_out_and_positioned_in_utf16_units() {
        let doc = Marked::new("first line\r\nconst 😀 = '$0eyJ…'; // $1end, $x stays");
        assert_eq!(
            doc.text,
            "first line\r\nconst 😀 = 'eyJ…'; // end, $x stays"
        );
        assert_eq!(doc.cursor(), Position::new(1, 12));
        // `const ` (6) + 😀 (2) + ` = '` (4) + `eyJ…'; // ` (10)
        assert_eq!(doc.at(1), Position::new(1, 22));
        assert_eq!(&doc.text[doc.offset(0)..doc.offset(0) + 3], "eyJ");
    }
}
