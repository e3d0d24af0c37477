//! Pretty JSON written straight to the output, for the JSON and SARIF formats: no
//! `serde_json::Value` tree is built, so memory does not grow with the report, and the
//! characters a terminal would obey are escaped the JSON way on the fly (the same bytes
//! as `escape_controls_in_json` over the whole text: see
//! `jwtlens_engine::untrusted::escape_controls_in_json`).
//!
//! A report's long list (the findings, SARIF's results) is rendered on worker threads,
//! a few chunks ahead of the one writing them in order ([`write_pretty_spliced`], through
//! [`render_in_order`]).

use std::collections::hash_map::{Entry, HashMap};
use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

use jwtlens_engine::untrusted::is_unsafe;

use crate::render::render_in_order;

/// Stands in a document for the sequence [`write_pretty_spliced`] fills: the document
/// serialises `[SPLICE]` there. No text of a report can be it (it holds NUL characters,
/// which JSON escapes, and the search is for the escaped string with its quotes).
pub const SPLICE: &str = "\0jwtlens: the elements go here\0";

/// Stand in a pattern for the values [`Elements::push_filled`] and
/// [`Elements::members_filled`] fill in, in order. Like [`SPLICE`], no text of a report
/// can be one.
pub const SLOTS: [&str; 12] = [
    "\0jwtlens: slot 1\0",
    "\0jwtlens: slot 2\0",
    "\0jwtlens: slot 3\0",
    "\0jwtlens: slot 4\0",
    "\0jwtlens: slot 5\0",
    "\0jwtlens: slot 6\0",
    "\0jwtlens: slot 7\0",
    "\0jwtlens: slot 8\0",
    "\0jwtlens: slot 9\0",
    "\0jwtlens: slot 10\0",
    "\0jwtlens: slot 11\0",
    "\0jwtlens: slot 12\0",
];

/// The [`SLOTS`] strings one after the other, for making a pattern field by field in
/// output order.
pub fn slots() -> impl FnMut() -> &'static str {
    let mut slots = SLOTS.iter().copied();
    // Past the last slot: a pattern that cannot be cut, which `cut` reports.
    move || slots.next().unwrap_or_default()
}

/// What fills a slot: a string (its slot's string in the pattern) or a number (a slot
/// string where the value's type has the number).
#[derive(Debug, Clone, Copy)]
pub enum Fill<'a> {
    Text(&'a str),
    Number(usize),
}

/// Writes `value` pretty-printed (two-space indent), then a line feed.
pub fn write_pretty(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, SafePretty::at(0));
    value.serialize(&mut serializer).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Writes `document` as [`write_pretty`] does, with the sequence in it that holds
/// [`SPLICE`] holding instead the elements that `render` pushes for each of `items`, in
/// order: the same bytes as a document that held those elements. `render` runs on
/// `threads` threads (0: one per core).
pub fn write_pretty_spliced<T: Sync>(
    out: &mut impl Write,
    document: &impl Serialize,
    items: &[T],
    threads: usize,
    render: impl Fn(&T, &mut Elements<'_>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    let mut skeleton = Vec::new();
    write_pretty(&mut skeleton, document)?;
    let marker = serde_json::to_vec(SPLICE)?;
    let spliced = memchr::memmem::find(&skeleton, &marker)
        .and_then(|at| {
            let line_start = memchr::memrchr(b'\n', &skeleton[..at])?;
            let after = at + marker.len();
            let close = after + memchr::memchr(b']', &skeleton[after..])?;
            Some((line_start, at - line_start - 1, after, close))
        })
        .filter(|&(line_start, _, _, _)| line_start > 0 && skeleton[line_start - 1] == b'[');
    let Some((line_start, indent, after, close)) = spliced else {
        return Err(io::Error::other("no sequence to fill in the report"));
    };
    out.write_all(&skeleton[..line_start])?;
    let depth = indent / 2;
    let render_chunk = |chunk: &[T]| -> io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        let mut elements = Elements::new(&mut buf, depth);
        for item in chunk {
            render(item, &mut elements)?;
        }
        Ok(buf)
    };
    let mut first = true;
    render_in_order(items, threads, render_chunk, |chunk| {
        // Every element starts with its comma; the first one written drops it.
        let chunk = match (first, chunk.split_first()) {
            (_, None) => return Ok(()),
            (true, Some((_, rest))) => rest,
            (false, Some(_)) => &chunk,
        };
        first = false;
        out.write_all(chunk)
    })?;
    if first {
        out.write_all(b"]")?;
        out.write_all(&skeleton[close + 1..])
    } else {
        out.write_all(&skeleton[after..])
    }
}

/// Where `render` pushes the elements of one item.
pub struct Elements<'a> {
    buf: &'a mut Vec<u8>,
    depth: usize,
    /// The patterns [`Elements::push_filled`] and [`Elements::members_filled`] rendered.
    patterns: HashMap<PatternKey, Rendered>,
}

/// Names a pattern: for a finding's head, its rule code and level; for a token's members,
/// the format and which optional members the token has.
pub type PatternKey = (&'static str, u32);

/// A pattern rendered once and cut where its [`SLOTS`] strings were: one more piece
/// than slots.
struct Rendered(Vec<Vec<u8>>);

impl<'a> Elements<'a> {
    fn new(buf: &'a mut Vec<u8>, depth: usize) -> Elements<'a> {
        Elements {
            buf,
            depth,
            patterns: HashMap::new(),
        }
    }
}

impl Elements<'_> {
    /// Appends one element of the sequence.
    pub fn push(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.buf.push(b',');
        newline_and_indent(self.buf, self.depth)?;
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut *self.buf, SafePretty::at(self.depth));
        value.serialize(&mut serializer).map_err(io::Error::from)
    }
}

/// The members of an object rendered once, to end several elements with: what a token's
/// findings share (its range, provider and fingerprint) is serialised once per token, not
/// once per finding. Made by [`Elements::members`], used by [`Elements::push_filled`].
pub struct Members(Vec<u8>);

impl Elements<'_> {
    /// Renders `object`, which serialises as a JSON object, as members of this sequence's
    /// elements.
    pub fn members(&self, object: &impl Serialize) -> io::Result<Members> {
        members_at(self.depth, object)
    }

    /// [`Elements::members`] for the object that `pattern()` makes, with its first
    /// `fills.len()` [`SLOTS`] strings replaced by `fills`, rendered as
    /// [`Elements::push_filled`] renders a finding's head.
    pub fn members_filled<P: Serialize>(
        &mut self,
        key: PatternKey,
        pattern: impl FnOnce() -> P,
        fills: &[Fill<'_>],
    ) -> io::Result<Members> {
        let depth = self.depth;
        let rendered = match self.patterns.entry(key) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let Members(members) = members_at(depth, &pattern())?;
                entry.insert(cut(&members, fills.len())?)
            }
        };
        let mut members = Vec::new();
        fill(&mut members, rendered, fills)?;
        Ok(Members(members))
    }

    /// Appends one element: the object that `pattern()` makes, with its first
    /// `fills.len()` [`SLOTS`] strings replaced by `fills` and `members` after its own.
    /// The same bytes as pushing that object whole, but the pattern is made and rendered
    /// only the first time its `key` is seen (one key, one pattern), and copied after
    /// that: findings have few heads but for their path and message, and serialising
    /// every one, keys escaped byte by byte, was a good part of the rendering.
    pub fn push_filled<P: Serialize>(
        &mut self,
        key: PatternKey,
        pattern: impl FnOnce() -> P,
        fills: &[Fill<'_>],
        members: &Members,
    ) -> io::Result<()> {
        let depth = self.depth;
        let rendered = match self.patterns.entry(key) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let mut head = Vec::new();
                Elements::new(&mut head, depth).push(&pattern())?;
                entry.insert(cut(&head, fills.len())?)
            }
        };
        fill(self.buf, rendered, fills)?;
        self.append_members(members)
    }

    /// Puts `members` at the end of the object just pushed.
    fn append_members(&mut self, members: &Members) -> io::Result<()> {
        if members.0.is_empty() {
            return Ok(());
        }
        if self.buf.ends_with(b"{}") {
            self.buf.pop();
        } else if self.buf.ends_with(b"}") {
            self.buf.truncate(self.buf.len() - close_len(self.depth));
            self.buf.push(b',');
        } else {
            return Err(io::Error::other(
                "an element with members must be an object",
            ));
        }
        self.buf.extend_from_slice(&members.0);
        newline_and_indent(self.buf, self.depth)?;
        self.buf.push(b'}');
        Ok(())
    }
}

/// [`Elements::members`] for a sequence at `depth`.
fn members_at(depth: usize, object: &impl Serialize) -> io::Result<Members> {
    let mut buf = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut buf, SafePretty::at(depth));
    object.serialize(&mut serializer).map_err(io::Error::from)?;
    // `{`, each member on its own line, then the closing line: keep the members.
    let close = close_len(depth);
    if buf == b"{}" {
        buf.clear();
    } else if buf.first() == Some(&b'{') && buf.len() > close + 1 {
        buf.truncate(buf.len() - close);
        buf.remove(0);
    } else {
        return Err(io::Error::other("shared members must be an object"));
    }
    Ok(Members(buf))
}

/// Bytes of the line that closes an element's object at `depth`: line feed, indent, `}`.
fn close_len(depth: usize) -> usize {
    1 + 2 * depth + 1
}

/// A pattern's text cut at its `slots` [`SLOTS`] strings (and no more).
fn cut(rendered: &[u8], slots: usize) -> io::Result<Rendered> {
    let mut pieces = Vec::with_capacity(slots + 1);
    let mut rest = rendered;
    for slot in SLOTS
        .get(..slots)
        .ok_or_else(|| io::Error::other("too many slots"))?
    {
        let marker = serde_json::to_vec(slot)?;
        let at = memchr::memmem::find(rest, &marker)
            .ok_or_else(|| io::Error::other("a pattern lacks a slot"))?;
        pieces.push(rest[..at].to_vec());
        rest = &rest[at + marker.len()..];
    }
    for slot in &SLOTS[slots..] {
        if memchr::memmem::find(rest, &serde_json::to_vec(slot)?).is_some() {
            return Err(io::Error::other(
                "a pattern has a slot with nothing to fill it",
            ));
        }
    }
    pieces.push(rest.to_vec());
    Ok(Rendered(pieces))
}

/// Writes a rendered pattern's pieces with `fills` between them, each as serde_json
/// writes it.
fn fill(out: &mut Vec<u8>, Rendered(pieces): &Rendered, fills: &[Fill<'_>]) -> io::Result<()> {
    if pieces.len() != fills.len() + 1 {
        return Err(io::Error::other(
            "a pattern filled with the wrong number of values",
        ));
    }
    for (piece, value) in pieces.iter().zip(fills) {
        out.extend_from_slice(piece);
        let mut serializer = serde_json::Serializer::with_formatter(&mut *out, SafePretty::at(0));
        match value {
            Fill::Text(text) => text.serialize(&mut serializer),
            Fill::Number(number) => number.serialize(&mut serializer),
        }
        .map_err(io::Error::from)?;
    }
    out.extend_from_slice(&pieces[fills.len()]);
    Ok(())
}

/// A line feed and `depth` levels of two-space indent.
fn newline_and_indent<W: ?Sized + Write>(writer: &mut W, depth: usize) -> io::Result<()> {
    const SPACES: &[u8; 65] = b"\n                                                                ";
    let mut wanted = 1 + 2 * depth;
    let mut from = 0;
    while wanted > 0 {
        let take = wanted.min(SPACES.len() - from);
        writer.write_all(&SPACES[from..from + take])?;
        wanted -= take;
        from = 1;
    }
    Ok(())
}

/// serde_json's pretty layout (two-space indent, `"key": value`), starting at any depth,
/// with every unsafe character serde_json would leave raw in a string (DEL, C1 controls,
/// direction controls; it escapes C0 controls itself) written as a `\uXXXX` escape.
struct SafePretty {
    depth: usize,
    has_value: bool,
}

impl SafePretty {
    fn at(depth: usize) -> SafePretty {
        SafePretty {
            depth,
            has_value: false,
        }
    }

    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            newline_and_indent(writer, self.depth)?;
        }
        writer.write_all(bracket)
    }

    fn next<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if !first {
            writer.write_all(b",")?;
        }
        newline_and_indent(writer, self.depth)
    }
}

impl Formatter for SafePretty {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Nearly every fragment is ASCII without DEL: nothing to look at per character.
        if fragment.is_ascii() && memchr::memchr(0x7f, fragment.as_bytes()).is_none() {
            return writer.write_all(fragment.as_bytes());
        }
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
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::CHUNK;
    use jwtlens_engine::untrusted::escape_controls_in_json;
    use serde_json::json;

    #[test]
    fn same_bytes_as_escaping_the_pretty_text() {
        let value = json!({
            "iss": "https://idp.example/\u{1b}]0;x\u{7}\u{9b}2J\u{202E}gpj.exe\u{7f}é\t\n",
            "list": [1, {"a": []}, {}], "empty": [], "\u{200f}key": null,
        });
        // Deeper than the indent written in one piece.
        let mut value = value;
        value["deep"] = (0..40).fold(json!("bottom"), |inner, _| json!([inner]));
        let mut out = Vec::new();
        write_pretty(&mut out, &value).unwrap();
        let expected = escape_controls_in_json(serde_json::to_string_pretty(&value).unwrap());
        assert_eq!(String::from_utf8(out).unwrap(), format!("{expected}\n"));
    }

    /// A document with `findings` before other members, as the JSON format has it.
    fn spliced(items: &[serde_json::Value]) -> String {
        let document = json!({"version": "1", "findings": [SPLICE], "summary": {"n": items.len()}});
        let mut out = Vec::new();
        write_pretty_spliced(&mut out, &document, items, 0, |item, elements| {
            // An item may stand for no element, or for several.
            match item["n"].as_u64().unwrap() % 3 {
                0 => Ok(()),
                1 => elements.push(item),
                _ => {
                    elements.push(item)?;
                    elements.push(&json!({"again": item, "\u{202e}": "x\u{9b}"}))
                }
            }
        })
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn expected(items: &[serde_json::Value]) -> String {
        let elements: Vec<serde_json::Value> = items
            .iter()
            .flat_map(|item| match item["n"].as_u64().unwrap() % 3 {
                0 => vec![],
                1 => vec![item.clone()],
                _ => vec![item.clone(), json!({"again": item, "\u{202e}": "x\u{9b}"})],
            })
            .collect();
        let document = json!({"version": "1", "findings": elements, "summary": {"n": items.len()}});
        let mut out = Vec::new();
        write_pretty(&mut out, &document).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn spliced_elements_read_as_one_document_in_order() {
        // Empty, one element, one chunk, and many chunks rendered on several threads.
        for count in [0, 1, 3, CHUNK, 50 * CHUNK + 7] {
            let items: Vec<serde_json::Value> = (0..count as u64)
                .map(|n| json!({"n": n, "nested": {"list": [n, [], {}], "s": "é\u{7f}"}}))
                .collect();
            assert_eq!(spliced(&items), expected(&items), "{count} items");
        }
    }

    #[test]
    fn filled_patterns_give_the_bytes_of_whole_objects() {
        let unsafe_text = "x\u{9b}\u{202e}\u{7f}é\"\\";
        // (key, pattern, fills, the object they make): none, one and two slots.
        let heads = [
            (("A", 0), json!({}), vec![], json!({})),
            (
                ("B", 0),
                json!({"code": "JWT001", "message": SLOTS[0]}),
                vec![Fill::Text(unsafe_text)],
                json!({"code": "JWT001", "message": unsafe_text}),
            ),
            (
                ("B", 1),
                json!({"path": SLOTS[0], "nested": {"list": [1, [], {}]}, "m": SLOTS[1], "e": {}}),
                vec![Fill::Text("src/é.ts"), Fill::Text("")],
                json!({"path": "src/é.ts", "nested": {"list": [1, [], {}]}, "m": "", "e": {}}),
            ),
        ];
        // Shared members, whole or filled in: strings and numbers, nested deeper.
        let tails = [
            (json!({}), vec![], json!({})),
            (
                json!({"range": {"start": {"byte": SLOTS[0]}, "end": {"byte": SLOTS[1]}}, "f": null}),
                vec![Fill::Number(0), Fill::Number(usize::MAX)],
                json!({"range": {"start": {"byte": 0}, "end": {"byte": usize::MAX}}, "f": null}),
            ),
            (
                json!({"fingerprint": SLOTS[0], "deep": [[[[{"a": [], "n": SLOTS[1]}]]]]}),
                vec![Fill::Text(unsafe_text), Fill::Number(42)],
                json!({"fingerprint": unsafe_text, "deep": [[[[{"a": [], "n": 42}]]]]}),
            ),
        ];
        // Deeper than the indent written in one piece, as well as at the top; every head
        // pushed twice per tail, and every tail made twice, from one cache of patterns.
        for depth in [0, 1, 40] {
            let (mut expected, mut filled) = (Vec::new(), Vec::new());
            let mut elements = Elements::new(&mut filled, depth);
            for (i, (pattern, fills, tail)) in tails.iter().enumerate() {
                let key = ("members", i as u32);
                for _ in 0..2 {
                    let members = elements.members_filled(key, || pattern, fills).unwrap();
                    assert_eq!(members.0, elements.members(tail).unwrap().0);
                    for (key, pattern, fills, head) in &heads {
                        let mut whole = head.clone();
                        for (name, value) in tail.as_object().unwrap() {
                            whole[name] = value.clone();
                        }
                        for _ in 0..2 {
                            Elements::new(&mut expected, depth).push(&whole).unwrap();
                            elements
                                .push_filled(*key, || pattern, fills, &members)
                                .unwrap();
                        }
                    }
                }
            }
            assert_eq!(
                String::from_utf8(filled).unwrap(),
                String::from_utf8(expected).unwrap(),
                "depth {depth}"
            );
        }
        let mut buf = Vec::new();
        let mut elements = Elements::new(&mut buf, 1);
        assert!(elements.members(&[1, 2]).is_err());
        let members = elements.members(&json!({})).unwrap();
        let pattern = || json!({"message": SLOTS[0]});
        let (a, b) = (Fill::Text("a"), Fill::Number(2));
        assert!(elements
            .push_filled(("C", 0), pattern, &[], &members)
            .is_err());
        assert!(elements
            .push_filled(("D", 0), pattern, &[a, b], &members)
            .is_err());
        assert!(elements
            .push_filled(("E", 0), pattern, &[a], &members)
            .is_ok());
        assert!(elements
            .push_filled(("E", 0), pattern, &[a, b], &members)
            .is_err());
        assert!(elements.members_filled(("F", 0), pattern, &[]).is_err());
    }

    #[test]
    fn a_failing_element_fails_the_write() {
        let items: Vec<u32> = (0..10 * CHUNK as u32).collect();
        let document = json!({"findings": [SPLICE]});
        let result =
            write_pretty_spliced(&mut Vec::new(), &document, &items, 0, |item, elements| {
                if *item == 5 * CHUNK as u32 {
                    return Err(io::Error::other("broken"));
                }
                elements.push(item)
            });
        assert_eq!(result.unwrap_err().to_string(), "broken");
    }
}
