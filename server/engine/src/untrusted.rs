//! Text from tokens, keys and repositories, made safe to show.
//!
//! A claim value is written by whoever wrote the token. Printed as it is, an ESC sequence
//! in it retitles the terminal or rewrites what is on screen, a C1 control does the same
//! in terminals that honour them, and a bidirectional override (the "Trojan Source" trick)
//! makes the text read differently from what it is. Every text output (terminal, editor
//! message, diagnostic, inlay hint, hover) passes such text through [`escape_controls`];
//! JSON output keeps the data and escapes the same characters the JSON way
//! ([`escape_controls_in_json`]).

use std::borrow::Cow;

/// Characters that are never shown as they are: C0 and C1 controls and DEL (but not tab:
/// it only moves the cursor right, and source snippets keep it so carets line up), and the
/// invisible characters that change the direction of text (embeddings and overrides
/// U+202A–U+202E, isolates U+2066–U+2069, and the marks U+200E, U+200F and U+061C).
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

/// `text` with every [unsafe](is_unsafe) character written as a visible Rust-style
/// escape: `\n`, `\r`, `\u{1b}`, `\u{202e}`. Borrowed when there is nothing to escape.
/// Backslashes stay as they are: the point is a safe screen, not a reversible encoding.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// JSON written by serde_json (compact or pretty) with every [unsafe](is_unsafe)
/// character it leaves raw (DEL, C1 controls, direction controls) written as a `\uXXXX`
/// escape. serde_json escapes C0 controls in strings itself, so a raw line feed is the
/// pretty printer's and stays; the others only occur inside strings, where the escape
/// stands for the same character: a parser reads the same data, and a terminal or an
/// editor showing the JSON shows escapes instead of obeying them.
pub fn escape_controls_in_json(json: String) -> String {
    let needs_escape = |c: char| is_unsafe(c) && c != '\n';
    if !json.chars().any(needs_escape) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if needs_escape(c) {
            // Every unsafe character is in the Basic Multilingual Plane: one escape.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_direction_overrides_become_visible_escapes() {
        assert_eq!(
            escape_controls("iss \x1b]0;pwned\x07\u{9b}31m\u{7f}"),
            "iss \\u{1b}]0;pwned\\u{7}\\u{9b}31m\\u{7f}"
        );
        assert_eq!(
            escape_controls("admin\u{202E}txt.exe\u{2066}x\u{2069}\u{200F}"),
            "admin\\u{202e}txt.exe\\u{2066}x\\u{2069}\\u{200f}"
        );
        assert_eq!(
            escape_controls("two\r\nlines\tand a tab"),
            "two\\r\\nlines\tand a tab"
        );
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for text in [
            "https://clerk.acme-saas.io",
            "C:\\keys",
            "é😀中\u{301} \u{200D}",
            "",
        ] {
            assert!(matches!(escape_controls(text), Cow::Borrowed(same) if same == text));
        }
    }

    #[test]
    fn json_keeps_its_data_and_loses_its_raw_controls() {
        let value = serde_json::json!({"iss": "a\u{202E}b\u{9b}c\u{7f}\x1b é"});
        let json = escape_controls_in_json(serde_json::to_string(&value).unwrap());
        assert_eq!(json, r#"{"iss":"a\u202eb\u009bc\u007f\u001b é"}"#);
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back, value);
        let pretty = escape_controls_in_json(serde_json::to_string_pretty(&value).unwrap());
        assert_eq!(
            pretty,
            "{\n  \"iss\": \"a\\u202eb\\u009bc\\u007f\\u001b é\"\n}"
        );
        assert!(!pretty.chars().any(|c| is_unsafe(c) && c != '\n'));
    }
}
