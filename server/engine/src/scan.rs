//! Finding JWS and JWE compact tokens in arbitrary text. Pure; byte offsets only.
//!
//! # What counts as a token
//!
//! * It starts at `eyJ`: a JOSE header is a JSON object, and `{"` always base64url-encodes to
//!   `eyJ`. That `eyJ` must not continue a longer run, so the byte before it must not be a
//!   base64url or base64 character (`A-Za-z0-9-_+`) nor a `.` (which would make it a later
//!   segment of a dotted run, e.g. the payload of a broken token, or `e.eyJ` in minified code).
//!   `/` is allowed, because tokens sit in URL paths (`/verify/eyJ…`), although it is also
//!   a base64 character: an `eyJ` after a `/` inside a standard base64 blob is still no token,
//!   as blobs have no `.` and the header must decode to JOSE. `=` is allowed too
//!   (`TOKEN=eyJ…`, `?token=eyJ…`). A percent escape counts as the byte it encodes
//!   (`%3DeyJ…` starts a token, `%2BeyJ…` does not), and so do the JSON/C escapes `\n`, `\r`,
//!   `\t`, so tokens inside URL-encoded or escaped strings are still found. Any other byte,
//!   including non-ASCII and invalid UTF-8, may precede a token.
//! * Segments are base64url runs separated by single dots. A segment may end in (part of) the
//!   `=` padding that completes its last quantum; any further `=` is not part of the token.
//! * The header segment must be at most [`MAX_HEADER_LEN`] bytes and decode (padded or not,
//!   non-canonical trailing bits tolerated) to a JSON object with a string `alg`. Every other
//!   segment must be at most [`MAX_SEGMENT_LEN`] bytes; the payload is not looked into.
//! * If the header also has a string `enc` and five segments are present, with a non-empty IV
//!   (third) and tag (fifth), the token is a JWE; the encrypted key (`alg: dir`) and the
//!   ciphertext may be empty. Otherwise it is a JWS made of the first three segments, whose
//!   payload and signature may be empty. A fourth segment, or a trailing sentence-ending `.`,
//!   is left out; so `h.p.` is read as a JWS with an empty signature, dot included.
//!
//! # Cost
//!
//! `eyJ` is found with a SIMD substring search; everything else happens only at its hits. A
//! hit that does not start a token sits inside a run of base64url, `+` and `.` bytes, as does
//! every `eyJ` up to the run's end, so the search resumes there. A failed candidate resumes
//! where its examination stopped: no `eyJ` inside the examined dotted run can start a token,
//! since each one is preceded by base64url or `.`. Only the optional JWE tail can be looked
//! at twice (once for the JWE check, once skipped as part of a run), so the total work is
//! linear in the input. Rejecting a hit allocates nothing: the header is decoded into a stack buffer and probed
//! into a struct that keeps no values.

use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

use base64::engine::Engine as _;
use jwtlens_jose::segment::SEGMENT_ENGINE;
use memchr::memmem::Finder;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// Compact serialisation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum TokenKind {
    /// `header.payload.signature` (signature may be empty).
    Jws,
    /// `header.encrypted_key.iv.ciphertext.tag`.
    Jwe,
}

/// A token found in text: its header decoded to a JSON object with `alg` (JWE: and `enc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: TokenKind,
    /// Byte range of the whole token; for a split token, from the first piece's start to the
    /// last piece's end, joins included.
    pub range: Range<usize>,
    /// Byte ranges of the segments (3 for JWS, 5 for JWE) in the token's frame: the text, or
    /// `joined` for a split token.
    pub segments: Vec<Range<usize>>,
    /// The token put together, when the text splits it over several literals or lines.
    pub joined: Option<Box<str>>,
    /// The header is broken (see [`broken_header_at`]): not base64url, or not JSON. The
    /// token was found by its payload, a JSON object, and a non-empty signature.
    pub header_broken: bool,
}

impl Candidate {
    /// What `segments` index into: `joined` for a split token, else the text.
    pub fn frame<'a>(&'a self, text: &'a [u8]) -> &'a [u8] {
        self.joined.as_deref().map_or(text, str::as_bytes)
    }
}

/// Longest header segment, in base64url bytes, that can start a token. Large enough for
/// headers carrying an `x5c` certificate chain (App Store server notifications have ~5 KiB).
pub const MAX_HEADER_LEN: usize = 8 * 1024;

/// Longest header segment decoded into a small buffer; most headers are under 100 bytes.
const SMALL_HEADER_LEN: usize = 512;

/// Longest payload, signature or JWE segment, in base64url bytes. Real payloads reach a few
/// hundred KiB; a longer run is a blob, not a token.
pub const MAX_SEGMENT_LEN: usize = 1024 * 1024;

/// Every token in `text`, in order, non-overlapping.
pub fn scan(text: &[u8]) -> Vec<Candidate> {
    Scanner::new(text).collect()
}

/// Lazily yields the tokens of a text, in order; [`scan`] collects it.
#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    text: &'a [u8],
    /// Where the search for the next `eyJ` resumes; no token starts before it.
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        Self { text, pos: 0 }
    }
}

impl Iterator for Scanner<'_> {
    type Item = Candidate;

    fn next(&mut self) -> Option<Candidate> {
        let finder = &*TOKEN_START;
        while let Some(hit) = finder.find(&self.text[self.pos..]) {
            let start = self.pos + hit;
            if !starts_token(self.text, start) {
                // Every later `eyJ` in this run is preceded by a run byte as well.
                self.pos = start + run_len(&self.text[start..], &CONTINUES_RUN);
                continue;
            }
            match candidate_at(self.text, start) {
                Ok(candidate) => {
                    self.pos = candidate.range.end;
                    return Some(candidate);
                }
                Err(resume) => self.pos = resume,
            }
        }
        self.pos = self.text.len();
        None
    }
}

/// Built once: the searcher picks its SIMD prefilter at construction.
static TOKEN_START: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"eyJ"));

/// Bytes of a segment: the base64url alphabet.
static BASE64URL: [bool; 256] = byte_class(b"-_");

/// Bytes that, right before `eyJ`, show that it continues a longer base64 or dotted run.
static CONTINUES_RUN: [bool; 256] = byte_class(b"-_+.");

/// ASCII letters and digits, plus `extra`.
const fn byte_class(extra: &[u8]) -> [bool; 256] {
    let mut class = [false; 256];
    let mut b = 0;
    while b < 256 {
        class[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        class[extra[i] as usize] = true;
        i += 1;
    }
    class
}

/// Whether the `eyJ` at `at` may start a token, judging by what precedes it.
fn starts_token(text: &[u8], at: usize) -> bool {
    match &text[..at] {
        [] => true,
        [.., last] if !CONTINUES_RUN[usize::from(*last)] => true,
        [.., b'%', hi, lo] => {
            percent_decode(*hi, *lo).is_some_and(|byte| !CONTINUES_RUN[usize::from(byte)])
        }
        [.., b'\\', b'n' | b'r' | b't'] => true,
        _ => false,
    }
}

/// The byte that the escape `%{hi}{lo}` encodes, if those are hex digits.
fn percent_decode(hi: u8, lo: u8) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    u8::try_from(digit(hi)? * 16 + digit(lo)?).ok()
}

/// Length of the run of `class` bytes at the start of `bytes`.
fn run_len(bytes: &[u8], class: &[bool; 256]) -> usize {
    bytes
        .iter()
        .position(|&b| !class[usize::from(b)])
        .unwrap_or(bytes.len())
}

/// The segment starting at `from`: a base64url run of at most `cap` bytes, then as much of
/// the `=` padding that completes its last quantum as is there. `Err` holds where scanning
/// stopped when the run is longer than `cap`; that is inside the run, so the search may
/// resume there.
fn segment(text: &[u8], from: usize, cap: usize) -> Result<Range<usize>, usize> {
    let window = &text[from..text.len().min(from.saturating_add(cap).saturating_add(1))];
    let len = run_len(window, &BASE64URL);
    let end = from + len;
    if len > cap {
        return Err(end);
    }
    // A run of 4n+2 bytes takes `==`, 4n+3 takes `=`; 4n+1 is not base64, padding can't help.
    let missing = match len % 4 {
        2 => 2,
        3 => 1,
        _ => 0,
    };
    let padding = text[end..]
        .iter()
        .take(missing)
        .take_while(|&&b| b == b'=')
        .count();
    Ok(from..end + padding)
}

/// The segment after `prev` if a dot follows it. `Err` holds where the search may resume.
fn next_segment(text: &[u8], prev: &Range<usize>) -> Result<Range<usize>, usize> {
    if text.get(prev.end) != Some(&b'.') {
        return Err(prev.end);
    }
    segment(text, prev.end + 1, MAX_SEGMENT_LEN)
}

/// The token starting at `start`, or where the search may resume if there is none. Where
/// the text stops at a join (see [`join_after`]), the token is read again across joins.
fn candidate_at(text: &[u8], start: usize) -> Result<Candidate, usize> {
    let whole = contiguous_at(text, start);
    let stop = match &whole {
        Ok(candidate) => candidate.range.end,
        Err(resume) => *resume,
    };
    if !matches!(
        text.get(stop),
        Some(b'"' | b'\'' | b'`' | b'\\' | b'\n' | b'\r')
    ) {
        return whole;
    }
    let layout = Layout::at(text, start);
    if join_after(text, stop, &layout).is_none() {
        return whole;
    }
    match (split_at(text, start, &layout), whole) {
        (Ok(split), _) => Ok(split),
        (Err(_), Ok(whole)) => Ok(whole),
        (Err(resume), Err(_)) => Err(resume),
    }
}

/// The longest token text a split token may put together: more than any header and two
/// segments at their caps, so every valid token fits.
const MAX_JOINED_LEN: usize = MAX_HEADER_LEN + 4 * MAX_SEGMENT_LEN;

/// Bytes of a token's text: segments, dots and padding.
static TOKEN_TEXT: [bool; 256] = byte_class(b"-_.=");

/// The token at `start` read across joins. A candidate that ends inside the first piece is
/// not split: the caller's contiguous reading stands. `Err` holds where the search may
/// resume: the end of the joined run, since no `eyJ` inside a string value put together
/// from pieces starts a token unless it starts that value (the same rule as for one piece).
fn split_at(text: &[u8], start: usize, layout: &Layout) -> Result<Candidate, usize> {
    let mut joined = Vec::new();
    // Each piece: its range in `text` and where it starts in `joined`.
    let mut pieces: Vec<(Range<usize>, usize)> = Vec::new();
    let mut at = start;
    let mut dots = 0;
    loop {
        let room = MAX_JOINED_LEN.saturating_sub(joined.len());
        let window = &text[at..text.len().min(at.saturating_add(room))];
        let end = at + run_len(window, &TOKEN_TEXT);
        pieces.push((at..end, joined.len()));
        joined.extend_from_slice(&text[at..end]);
        dots += memchr::memchr_iter(b'.', &text[at..end]).count();
        match join_after(text, end, layout) {
            // After `header.payload.`, a piece that starts with `eyJ` is the next token.
            Some(next) if !(dots >= 2 && text[next..].starts_with(b"eyJ")) && room > 0 => at = next,
            _ => break,
        }
    }
    let examined = pieces.last().map_or(start, |(range, _)| range.end);
    let mut candidate = contiguous_at(&joined, 0).map_err(|_| examined)?;
    let end = candidate.range.end;
    let (last, offset) = pieces
        .iter()
        .rev()
        .find(|(_, offset)| *offset < end)
        .expect("the first piece starts at offset 0");
    if pieces.len() == 1 || end <= pieces[0].0.len() {
        return Err(examined);
    }
    candidate.range = start..last.start + (end - offset);
    joined.truncate(end);
    candidate.joined = Some(
        String::from_utf8(joined)
            .expect("token text is ASCII")
            .into_boxed_str(),
    );
    Ok(candidate)
}

/// Where the token's line sits, for joins across line breaks: YAML block scalars
/// (`key: |` or `key: >-`, the token alone on each line at the block's indentation) and
/// template literals whose line breaks are stripped at run time (`` `eyJ…`` at a line's
/// start or the token at column 0 after a line ending in `` ` ``, continued at column 0).
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// The indentation continuation lines must have, when a line break may join pieces.
    line_join_indent: Option<usize>,
}

impl Layout {
    fn at(text: &[u8], start: usize) -> Layout {
        let line_start = memchr::memrchr(b'\n', &text[..start]).map_or(0, |i| i + 1);
        let indent = &text[line_start..start];
        let line_join_indent = if indent.ends_with(b"`") {
            Some(0)
        } else if indent.iter().all(|&b| b == b' ')
            && line_start > 0
            && (opens_block_scalar(&text[..line_start - 1])
                || (indent.is_empty() && text[..line_start - 1].trim_ascii_end().ends_with(b"`")))
        {
            Some(indent.len())
        } else {
            None
        };
        Layout { line_join_indent }
    }
}

/// Whether the last line of `before` ends with a YAML block scalar header (`|`, `>`, with
/// optional chomping and indentation indicators) after a key or a list dash.
fn opens_block_scalar(before: &[u8]) -> bool {
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let line = before[line_start..].trim_ascii_end();
    let header_len = line
        .iter()
        .rev()
        .take_while(|&&b| matches!(b, b'-' | b'+' | b'1'..=b'9'))
        .count();
    let rest = &line[..line.len() - header_len];
    matches!(rest, [.., b' ' | b':', b'|' | b'>'] | [b'|' | b'>'])
}

/// Where the next piece of a token starts when the text at `at`, right after a piece, joins
/// two pieces of one string value:
///
/// * a closing quote, `+` and an opening quote (JavaScript, TypeScript, Java, C#, Kotlin, Go
///   raw and interpreted strings), whitespace and line breaks around the `+` allowed;
/// * a closing quote, a line break and an opening quote: adjacent literals, which Python
///   (inside parentheses), C and C++ join; on one line, adjacent quoted words are separate
///   arguments (shell), not one value;
/// * a backslash at the end of the line, continued at the next line's start (C, Python and
///   shell strings);
/// * a line break inside a YAML block scalar or a template literal (see [`Layout`]).
///
/// The next piece must start with a token byte.
fn join_after(text: &[u8], at: usize, layout: &Layout) -> Option<usize> {
    let next = match *text.get(at)? {
        b'"' | b'\'' | b'`' => {
            let gap = &text[at + 1..];
            let before_plus = skip_blank(gap, 0);
            let (plus, after) = match gap.get(before_plus) {
                Some(b'+') => (true, skip_blank(gap, before_plus + 1)),
                _ => (false, before_plus),
            };
            // A string prefix: Python `b`, `r`, `f`, `u` (or two of them), C# `@` and `$`.
            let prefix = gap[after..]
                .iter()
                .take(2)
                .take_while(|b| b"bBrRuUfF@$".contains(b))
                .count();
            let quote = gap.get(after + prefix)?;
            let line_break = memchr::memchr(b'\n', &gap[..after]).is_some();
            (matches!(quote, b'"' | b'\'' | b'`') && (plus || line_break))
                .then_some(at + 1 + after + prefix + 1)?
        }
        b'\\' => match &text[at + 1..] {
            [b'\n', ..] => at + 2,
            [b'\r', b'\n', ..] => at + 3,
            _ => return None,
        },
        b'\n' | b'\r' => {
            let indent = layout.line_join_indent?;
            let line = at + if text[at] == b'\r' { 2 } else { 1 };
            if text[at] == b'\r' && text.get(at + 1) != Some(&b'\n') {
                return None;
            }
            let spaces = text.get(line..)?.iter().take_while(|&&b| b == b' ').count();
            (spaces == indent).then_some(line + indent)?
        }
        _ => return None,
    };
    text.get(next)
        .is_some_and(|&b| BASE64URL[usize::from(b)] || b == b'.')
        .then_some(next)
}

/// Where the blank run of `gap` from `from` ends: spaces, tabs, line breaks, and comments
/// to the end of their line (`# …`, `// …`).
fn skip_blank(gap: &[u8], mut from: usize) -> usize {
    loop {
        from += run_len(&gap[from.min(gap.len())..], &WHITESPACE);
        let rest = &gap[from.min(gap.len())..];
        if rest.starts_with(b"#") || rest.starts_with(b"//") {
            from += memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        } else {
            return from;
        }
    }
}

/// Spaces, tabs and line breaks between the pieces of a concatenation.
static WHITESPACE: [bool; 256] = {
    let mut class = [false; 256];
    class[b' ' as usize] = true;
    class[b'\t' as usize] = true;
    class[b'\n' as usize] = true;
    class[b'\r' as usize] = true;
    class
};

/// The token starting at `start` in one piece of text, or where the search may resume.
fn contiguous_at(text: &[u8], start: usize) -> Result<Candidate, usize> {
    // Structure first, as it is cheaper than decoding and rules out most false starts.
    let header = segment(text, start, MAX_HEADER_LEN)?;
    let payload = match next_segment(text, &header) {
        Ok(payload) => payload,
        Err(resume) => return broken_header_at(text, start, &header).ok_or(resume),
    };
    let signature = next_segment(text, &payload)?;
    let Some(kind) = header_kind(&text[header.clone()]) else {
        return broken_header_at(text, start, &header).ok_or(signature.end);
    };
    if kind == TokenKind::Jwe {
        if let Some([ciphertext, tag]) = jwe_tail(text, &signature) {
            return Ok(Candidate {
                kind,
                range: start..tag.end,
                segments: vec![header, payload, signature, ciphertext, tag],
                joined: None,
                header_broken: false,
            });
        }
    }
    Ok(Candidate {
        kind: TokenKind::Jws,
        range: start..signature.end,
        segments: vec![header, payload, signature],
        joined: None,
        header_broken: false,
    })
}

/// A JWS whose header is broken but whose payload is readable: the issue-12 case of one bad
/// byte in a header that "gives no JWT found". Only reached when the regular reading fails,
/// so the hot path does not pay for it. Two kinds of one bad byte are read:
///
/// * a stray byte in the base64url text (`eyJhbGci*iJ…`: a typo or a mangled copy), which
///   the header goes on past;
/// * a decoded byte that is not UTF-8 in a header that is otherwise a JOSE header (a JSON
///   object with a string `alg` once that byte is replaced).
///
/// The rest must be a sure token: a payload that decodes to a JSON object and a non-empty
/// signature. Placeholders (`eyJhbGciOi...`, `eyJ...`), base64 JSON that is not JOSE and
/// headers that are not JSON at all stay out.
fn broken_header_at(text: &[u8], start: usize, header: &Range<usize>) -> Option<Candidate> {
    let (header, stray) = match text.get(header.end) {
        Some(b'.') => (header.clone(), false),
        Some(&stray) if STRAY_HEADER_BYTE[usize::from(stray)] => {
            let rest = segment(text, header.end + 1, MAX_HEADER_LEN).ok()?;
            (
                (rest.end - start <= MAX_HEADER_LEN).then_some(start..rest.end)?,
                true,
            )
        }
        _ => return None,
    };
    let payload = next_segment(text, &header).ok()?;
    let signature = next_segment(text, &payload).ok()?;
    let claims = &text[payload.clone()];
    if signature.is_empty()
        || !claims.starts_with(b"eyJ")
        || !decodes_to_json_object(claims)
        || !(stray || has_one_bad_utf8_byte(&text[header.clone()]))
    {
        return None;
    }
    Some(Candidate {
        kind: TokenKind::Jws,
        range: start..signature.end,
        segments: vec![header, payload, signature],
        joined: None,
        header_broken: true,
    })
}

/// ASCII punctuation that may stand for one mangled byte inside a header: not a quote,
/// bracket, separator or space, which end a literal or a word.
static STRAY_HEADER_BYTE: [bool; 256] = {
    let mut class = [false; 256];
    let stray = b"!#$%&*+/:=?@^|~";
    let mut i = 0;
    while i < stray.len() {
        class[stray[i] as usize] = true;
        i += 1;
    }
    class
};

fn decodes_to_json_object(segment: &[u8]) -> bool {
    SEGMENT_ENGINE.decode(segment).is_ok_and(|json| {
        serde_json::from_slice::<serde::de::IgnoredAny>(&json).is_ok()
            && json.trim_ascii_start().starts_with(b"{")
    })
}

/// Whether a header segment decodes to a JOSE header but for bytes that are not UTF-8: a
/// JSON object with a string `alg` once they are replaced.
fn has_one_bad_utf8_byte(segment: &[u8]) -> bool {
    let Ok(json) = SEGMENT_ENGINE.decode(segment) else {
        return false;
    };
    std::str::from_utf8(&json).is_err()
        && serde_json::from_str::<Probe>(&String::from_utf8_lossy(&json))
            .is_ok_and(|probe| probe.alg.is_some())
}

/// The ciphertext and tag that follow a JWE's IV, if they are there.
fn jwe_tail(text: &[u8], iv: &Range<usize>) -> Option<[Range<usize>; 2]> {
    if iv.is_empty() {
        return None;
    }
    let ciphertext = next_segment(text, iv).ok()?;
    let tag = next_segment(text, &ciphertext).ok()?;
    (!tag.is_empty()).then_some([ciphertext, tag])
}

/// The two header members the scanner needs, which must be strings when present. Deriving
/// would also accept a JSON array, but a header that starts with `eyJ` decodes to `{"`, so
/// only objects get here.
#[derive(Deserialize)]
struct Probe {
    alg: Option<JsonString>,
    enc: Option<JsonString>,
}

/// Any JSON string, value discarded. Unlike `Option<Cow<str>>`, which serde always fills with
/// an owned `String`, this costs no allocation (except serde_json's scratch for escapes).
struct JsonString;

impl<'de> Deserialize<'de> for JsonString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;

        impl Visitor<'_> for StrVisitor {
            type Value = JsonString;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a string")
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<JsonString, E> {
                Ok(JsonString)
            }
        }

        deserializer.deserialize_str(StrVisitor)
    }
}

/// `Jwe` if the header segment decodes to an object with string `alg` and `enc`, `Jws` if it
/// has only `alg`, `None` if it is not a JOSE header.
fn header_kind(segment: &[u8]) -> Option<TokenKind> {
    // Zeroing a buffer for the largest header costs more than decoding a typical one.
    let (mut small, mut large);
    let buf: &mut [u8] = if segment.len() <= SMALL_HEADER_LEN {
        small = [0; SMALL_HEADER_LEN / 4 * 3];
        &mut small
    } else {
        large = [0; MAX_HEADER_LEN / 4 * 3];
        &mut large
    };
    let len = SEGMENT_ENGINE.decode_slice(segment, &mut *buf).ok()?;
    let json = &buf[..len];
    // serde_json boxes its errors; this catches most non-JSON without reaching it.
    if json.trim_ascii_end().last() != Some(&b'}') {
        return None;
    }
    // serde_json does not check the UTF-8 of strings it skips; the decoder's parse does.
    std::str::from_utf8(json).ok()?;
    let probe: Probe = serde_json::from_slice(json).ok()?;
    match (probe.alg, probe.enc) {
        (None, _) => None,
        (Some(_), None) => Some(TokenKind::Jws),
        (Some(_), Some(_)) => Some(TokenKind::Jwe),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    use TokenKind::{Jwe, Jws};

    const HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
    const CLAIMS: &str = r#"{"sub":"1234567890","name":"Jane Doe","iat":1516239022}"#;
    const DIR_GCM: &str = r#"{"alg":"dir","enc":"A256GCM"}"#;
    const RSA_OAEP: &str = r#"{"alg":"RSA-OAEP-256","enc":"A128CBC-HS256"}"#;

    fn b64(bytes: impl AsRef<[u8]>) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn jws(header: impl AsRef<[u8]>, claims: impl AsRef<[u8]>) -> String {
        format!(
            "{}.{}.{}",
            b64(header),
            b64(claims),
            b64("32 bytes of HMAC-SHA256 output!!")
        )
    }

    fn jwe(header: &str, encrypted_key: &[u8]) -> String {
        let [iv, ciphertext, tag] = ["12-byte IV..", "ciphertext", "16-byte GCM tag."].map(b64);
        format!(
            "{}.{}.{iv}.{ciphertext}.{tag}",
            b64(header),
            b64(encrypted_key)
        )
    }

    /// The kind and range of every candidate, after checking that its segments tile its range.
    fn found(text: impl AsRef<[u8]>) -> Vec<(TokenKind, Range<usize>)> {
        let text = text.as_ref();
        scan(text)
            .into_iter()
            .map(|c| {
                let count = match c.kind {
                    Jws => 3,
                    Jwe => 5,
                };
                assert_eq!(c.segments.len(), count, "{c:?}");
                let frame = c.frame(text);
                let tiled = match &c.joined {
                    None => c.range.clone(),
                    Some(joined) => 0..joined.len(),
                };
                assert_eq!(tiled.start, c.segments[0].start, "{c:?}");
                assert_eq!(tiled.end, c.segments[count - 1].end, "{c:?}");
                for pair in c.segments.windows(2) {
                    assert_eq!(pair[0].end + 1, pair[1].start, "{c:?}");
                    assert_eq!(frame[pair[0].end], b'.', "{c:?}");
                }
                (c.kind, c.range)
            })
            .collect()
    }

    /// The range of `token` in `text`, where it must occur exactly once.
    fn at(text: impl AsRef<[u8]>, token: &str) -> Range<usize> {
        let mut hits = memchr::memmem::find_iter(text.as_ref(), token);
        let start = hits.next().expect("token in text");
        assert_eq!(hits.next(), None, "token occurs once");
        start..start + token.len()
    }

    /// `template` with `{t}` replaced by `token` yields exactly that JWS, where `{t}` was.
    fn assert_finds(template: &str, token: &str) {
        let start = template.find("{t}").expect("template has {t}");
        let text = template.replacen("{t}", token, 1);
        assert_eq!(
            found(text),
            [(Jws, start..start + token.len())],
            "in {template:?}"
        );
    }

    fn assert_finds_kind(text: &str, token: &str, kind: TokenKind) {
        assert_eq!(found(text), [(kind, at(text, token))]);
    }

    /// Found by `cargo fuzz run scan`: serde_json skips the unused `kid` without checking
    /// its UTF-8, so the probe accepted a header that the decoder then rejected. Such a
    /// header is broken, not JOSE: the token is found by its payload and decoded as far as
    /// it goes, and scanner and decoder agree on it.
    #[test]
    fn header_with_invalid_utf8_is_a_broken_header() {
        let token = jws(b"{\"alg\":\"RS256\",\"kid\":\"ex\x87le\"}", CLAIMS);
        let text = format!("## \"{token}");
        assert_eq!(found(&text), [(Jws, at(&text, &token))]);
        let candidate = &scan(text.as_bytes())[0];
        assert!(candidate.header_broken);
        let decoded = crate::decode::DecodedToken::decode(text.as_bytes(), candidate).unwrap();
        let why = decoded.header_error.as_ref().unwrap().to_string();
        assert!(
            why.starts_with("is not JSON (invalid unicode code point"),
            "{why}"
        );
        assert_eq!(decoded.claims().unwrap()["sub"], "1234567890");
    }

    #[test]
    fn one_stray_byte_in_a_header_still_finds_the_token() {
        let token = jws(HS256, CLAIMS);
        let broken = format!("{}*{}", &token[..20], &token[21..]);
        let text = format!("const t = '{broken}';");
        assert_eq!(found(&text), [(Jws, at(&text, &broken))]);
        let candidate = &scan(text.as_bytes())[0];
        let decoded = crate::decode::DecodedToken::decode(text.as_bytes(), candidate).unwrap();
        assert_eq!(
            decoded.header_error.as_ref().unwrap().to_string(),
            "is not valid base64url (Invalid symbol 42, offset 20.)"
        );
        assert!(decoded.header.is_empty());
        assert_eq!(decoded.claims().unwrap()["iat"], 1516239022);
        assert!(
            decoded.signed(text.as_bytes()).is_none(),
            "nothing to verify"
        );
    }

    /// A broken header is only read when the rest is a sure token, so placeholders, other
    /// base64 JSON and mangled text stay out.
    #[test]
    fn broken_headers_need_a_readable_payload_and_a_signature() {
        let header = b64(HS256);
        let claims = b64(CLAIMS);
        let not_found = [
            "eyJ...".to_owned(),
            "eyJhbGciOi...".to_owned(),
            format!("{}*{}...", &header[..20], &header[21..]),
            // Valid JSON without alg is not a broken header, just not JOSE.
            jws(r#"{"foo":1}"#, CLAIMS),
            // The payload must decode to a JSON object.
            format!(
                "{}*{}.{}.sig",
                &header[..20],
                &header[21..],
                b64("not json")
            ),
            // No signature.
            format!("{}*{}.{claims}.", &header[..20], &header[21..]),
            // Two stray bytes, or one that ends a literal.
            format!("{}**{}.{claims}.sig", &header[..20], &header[21..]),
            format!("{}\"{}.{claims}.sig", &header[..20], &header[21..]),
        ];
        for text in not_found {
            assert_eq!(found(&text), [], "{text}");
        }
    }

    /// Found by `cargo fuzz run scan`: the scanner tolerated non-canonical trailing bits
    /// (`In1` for `"}`) and the decoder did not, so a found token failed to decode.
    #[test]
    fn non_canonical_trailing_bits_are_tolerated_by_scanner_and_decoder() {
        let text = b"to\0eyJhbGciOiJiIn1.X.9";
        let candidates = scan(text);
        assert_eq!(candidates.len(), 1);
        let token = crate::decode::DecodedToken::decode(text, &candidates[0]).unwrap();
        assert_eq!(token.alg(), "b");
    }

    /// The token `template` holds once its pieces are joined, and the lines its range spans
    /// (1-based). `{1}`, `{2}`, … in the template stand for the token's pieces, cut at the
    /// given byte offsets.
    fn split(template: &str, token: &str, cuts: &[usize]) -> (Option<String>, Range<usize>) {
        let mut text = template.to_owned();
        let mut bounds = vec![0];
        bounds.extend_from_slice(cuts);
        bounds.push(token.len());
        for (i, piece) in bounds.windows(2).enumerate() {
            text = text.replacen(&format!("{{{}}}", i + 1), &token[piece[0]..piece[1]], 1);
        }
        let candidates = scan(text.as_bytes());
        found(&text);
        match candidates.as_slice() {
            [c] => {
                let line = |at: usize| text[..at].matches('\n').count() + 1;
                (
                    c.joined.as_deref().map(str::to_owned),
                    line(c.range.start)..line(c.range.end) + 1,
                )
            }
            _ => (None, 0..0),
        }
    }

    #[test]
    fn split_tokens_are_put_together_in_every_syntax() {
        let token = jws(HS256, CLAIMS);
        let dot = token.find('.').unwrap();
        let cases: &[(&str, &str, &[usize])] = &[
            (
                "python implicit",
                "T = (\n    \"{1}\"\n    \"{2}\"\n    \"{3}\"\n)\n",
                &[20, 60],
            ),
            (
                "js plus",
                "const t = '{1}' +\n  '{2}' +\n  '{3}';\n",
                &[dot + 1, 70],
            ),
            (
                "ts leading plus",
                "const t =\n  '{1}'\n  + '{2}'\n  + '{3}'\n",
                &[dot, 70],
            ),
            (
                "java plus",
                "String t = \"{1}\" +\n        \"{2}\" +\n        \"{3}\";\n",
                &[15, 50],
            ),
            (
                "c adjacent",
                "static const char *t =\n    \"{1}\"\n    \"{2}\"\n    \"{3}\";\n",
                &[33, 66],
            ),
            (
                "go raw plus",
                "var t = `{1}` +\n\t`{2}` +\n\t`{3}`\n",
                &[10, 40],
            ),
            (
                "backslash",
                "static const char t[] = \"{1}\\\n{2}\\\n{3}\";\n",
                &[25, 50],
            ),
            (
                "backslash crlf",
                "T = \"{1}\\\r\n{2}\\\r\n{3}\"\r\n",
                &[25, 50],
            ),
            (
                "yaml folded",
                "auth:\n  token: >-\n    {1}\n    {2}\n    {3}\n  audience: api\n",
                &[30, 60],
            ),
            (
                "yaml literal",
                "- |\n  {1}\n  {2}\n  {3}\nnext: 1\n",
                &[30, 60],
            ),
            (
                "template literal",
                "t =\n`{1}\n{2}\n{3}`.replace(/\\n/g, '');\n",
                &[30, 60],
            ),
            (
                "template literal opened on the line above",
                "t = `\n{1}\n{2}\n{3}`.replace(/\\n/g, '');\n",
                &[30, 60],
            ),
            (
                "python bytes with comments",
                "T = (\n    b\"{1}\"  # alg = hs256\n    b\"{2}\"\n    b\"{3}\"\n)\n",
                &[dot, 60],
            ),
        ];
        for (syntax, template, cuts) in cases {
            let (joined, lines) = split(template, &token, cuts);
            assert_eq!(joined.as_deref(), Some(token.as_str()), "{syntax}");
            let first = template
                .lines()
                .position(|line| line.contains("{1}"))
                .unwrap()
                + 1;
            let last = template
                .lines()
                .position(|line| line.contains("{3}"))
                .unwrap()
                + 1;
            assert_eq!(lines, first..last + 1, "{syntax}");
        }
    }

    #[test]
    fn quoted_words_and_lists_are_not_joined() {
        let token = jws(HS256, CLAIMS);
        for template in [
            // Separate shell arguments, a list, a call's arguments, a new statement.
            "curl -H \"Bearer {t}\" \"https://api.acme.io\"",
            "tokens = [\n  \"{t}\",\n  \"abc\",\n]",
            "f('{t}', 'abc')",
            "const t = '{t}'; const u = 'abc' + 'def';",
            // A line break outside a YAML block or a template literal.
            "token: {t}\nnext",
            "  key:\n    {t}\n    abc",
        ] {
            assert_finds(template, &token);
        }
    }

    #[test]
    fn the_literal_after_a_complete_split_token_starting_with_eyj_is_the_next_token() {
        let first = jws(HS256, CLAIMS);
        let second = jws(r#"{"alg":"RS256"}"#, CLAIMS);
        let (a, b) = first.split_at(40);
        let text = format!("x = (\n  \"{a}\"\n  \"{b}\"\n  \"{second}\"\n)");
        let candidates = scan(text.as_bytes());
        found(&text);
        assert_eq!(candidates.len(), 2, "{candidates:?}");
        assert_eq!(candidates[0].joined.as_deref(), Some(first.as_str()));
        assert_eq!(candidates[1].joined, None);
        assert_eq!(candidates[1].range, at(&text, &second));
    }

    #[test]
    fn a_split_that_puts_no_token_together_resumes_after_the_pieces() {
        // Adjacent `eyJ` literals make one value, `eyJeyJ…eyJ` + a token, which is no token
        // (as in one literal); it is examined once, not once per piece.
        let text = "\"eyJ\"\n".repeat(1000) + &format!("\"{}\"", jws(HS256, CLAIMS));
        assert_eq!(found(&text), []);
    }

    #[test]
    fn string_literals() {
        let token = jws(HS256, CLAIMS);
        for template in [
            // TypeScript
            "const token = '{t}';",
            "headers.set(\"Authorization\", `Bearer {t}`);",
            // Python
            "TOKEN = \"{t}\"",
            "token = b'{t}'\n",
            // Rust
            "let token = \"{t}\";",
            "const TOKEN: &str = r#\"{t}\"#;",
            // Go
            "token := \"{t}\"",
            "var token = `{t}`",
        ] {
            assert_finds(template, &token);
        }
    }

    #[test]
    fn bearer_header() {
        assert_finds(
            "GET /me HTTP/1.1\r\nAuthorization: Bearer {t}\r\n\r\n",
            &jws(HS256, CLAIMS),
        );
    }

    #[test]
    fn env_values() {
        let token = jws(HS256, CLAIMS);
        for template in [
            "API_TOKEN={t}\n",
            "API_TOKEN=\"{t}\"\n",
            "export API_TOKEN='{t}'",
        ] {
            assert_finds(template, &token);
        }
    }

    #[test]
    fn urls() {
        let token = jws(HS256, CLAIMS);
        for template in [
            "https://app.example/callback?token={t}&x=1",
            "https://app.example/callback#access_token={t}&token_type=Bearer",
            "https://app.example/verify/{t}/details",
            // Inside an URL-encoded redirect: `%3D` is `=`.
            "/login?next=https%3A%2F%2Fapp.example%2Fcb%3Ftoken%3D{t}%26x%3D1",
        ] {
            assert_finds(template, &token);
        }
    }

    #[test]
    fn json_and_yaml() {
        let token = jws(HS256, CLAIMS);
        assert_finds(
            r#"{"access_token":"{t}","token_type":"Bearer","expires_in":3600}"#,
            &token,
        );
        assert_finds("auth:\n  token: {t}\n  ttl: 1h\n", &token);
        // An escaped newline inside a JSON string is a separator, not the letter `n`.
        assert_finds(r#"{"msg":"issued token:\n{t}"}"#, &token);
    }

    #[test]
    fn markdown_code_span() {
        assert_finds("Send `{t}` as the bearer token.\n", &jws(HS256, CLAIMS));
    }

    #[test]
    fn log_line_with_two_tokens() {
        let first = jws(HS256, CLAIMS);
        let second = jws(r#"{"alg":"ES256","kid":"k1"}"#, r#"{"sub":"bob"}"#);
        let text = format!("2024-05-01T12:00:00Z WARN auth failed token={first}, retry [{second}]");
        assert_eq!(
            found(&text),
            [(Jws, at(&text, &first)), (Jws, at(&text, &second))]
        );
    }

    #[test]
    fn segments_are_absolute() {
        let (h, p, s) = (b64(HS256), b64(CLAIMS), b64("sig"));
        let text = format!("x = \"{h}.{p}.{s}\"");
        let candidate = &scan(text.as_bytes())[0];
        let segments: Vec<&str> = candidate
            .segments
            .iter()
            .map(|r| &text[r.clone()])
            .collect();
        assert_eq!(segments, [h, p, s]);
        assert_eq!(candidate.range.start, 5);
    }

    #[test]
    fn empty_signature() {
        let token = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(CLAIMS));
        let text = format!("unsigned: {token} ok");
        let candidates = scan(text.as_bytes());
        assert_eq!(found(&text), [(Jws, at(&text, &token))]);
        assert!(candidates[0].segments[2].is_empty());
        assert_eq!(candidates[0].segments[2].start, candidates[0].range.end);
    }

    #[test]
    fn padded_segments() {
        // 14, 13 and 5 bytes: each encodes to a run that needs `=` or `==`.
        let token = [r#"{"alg":"none"}"#, r#"{"sub":"ann"}"#, "sig!!"]
            .map(|part| URL_SAFE.encode(part))
            .join(".");
        assert_eq!(token.matches('=').count(), 4, "{token}");
        assert_finds("token: {t}\n", &token);
        assert_finds("t={t}&next=1", &token);
    }

    #[test]
    fn padding_only_completes_a_quantum() {
        let padded = [r#"{"alg":"none"}"#, "claims", "sig!!"]
            .map(|part| URL_SAFE.encode(part))
            .join(".");
        assert_finds("x == \"{t}=\"", &padded);
        // A 4-byte run is complete: the `=` after it is an operator.
        let unpadded = format!("{}.{}.AAAA", b64(HS256), b64(CLAIMS));
        assert_finds("{t}==x", &unpadded);
    }

    #[test]
    fn jwe_with_empty_encrypted_key() {
        let token = jwe(DIR_GCM, b"");
        assert!(token.contains(".."), "{token}");
        let text = format!("JWE=\"{token}\"");
        let candidates = scan(text.as_bytes());
        assert_eq!(found(&text), [(Jwe, at(&text, &token))]);
        assert!(candidates[0].segments[1].is_empty());
    }

    #[test]
    fn jwe_with_encrypted_key() {
        let token = jwe(RSA_OAEP, &[7; 256]);
        assert_finds_kind(&format!("enc: {token}."), &token, Jwe);
    }

    #[test]
    fn five_segments_without_enc_are_a_jws_of_three() {
        let five = jwe(HS256, b"key");
        let three = five.splitn(4, '.').take(3).collect::<Vec<_>>().join(".");
        let text = format!("value: {five}");
        assert_eq!(found(&text), [(Jws, at(&text, &three))]);
    }

    #[test]
    fn jwe_header_with_three_segments_is_a_jws() {
        assert_finds_kind(&jws(DIR_GCM, CLAIMS), &jws(DIR_GCM, CLAIMS), Jws);
    }

    #[test]
    fn jwe_needs_iv_and_tag() {
        let h = b64(DIR_GCM);
        let (iv, ct) = (b64("iv"), b64("ct"));
        // A sentence-ending period must not pass for an empty tag.
        let text = format!("It was {h}..{iv}.{ct}.");
        assert_eq!(found(&text), [(Jws, at(&text, &format!("{h}..{iv}")))]);
        // Without an IV the five segments are not a JWE either.
        let text = format!("{h}...{ct}.{iv}");
        assert_eq!(found(&text), [(Jws, 0..h.len() + 2)]);
    }

    #[test]
    fn sentence_ending_period() {
        let token = jws(HS256, CLAIMS);
        assert_finds("The token is {t}. It expires soon.", &token);
        assert_finds("The token is {t}.", &token);
    }

    #[test]
    fn fourth_segment_is_not_part_of_the_token() {
        let token = jws(HS256, CLAIMS);
        let text = format!("{token}.{}", b64("extra"));
        assert_eq!(found(&text), [(Jws, at(&text, &token))]);
    }

    #[test]
    fn adjacent_tokens() {
        let a = jws(HS256, CLAIMS);
        let b = jws(HS256, r#"{"sub":"other"}"#);
        for sep in [" ", ",", ", ", "\n", "&t="] {
            let text = format!("{a}{sep}{b}");
            assert_eq!(
                found(&text),
                [(Jws, at(&text, &a)), (Jws, at(&text, &b))],
                "separated by {sep:?}"
            );
        }
    }

    #[test]
    fn token_at_buffer_edges() {
        let token = jws(HS256, CLAIMS);
        assert_eq!(found(&token), [(Jws, 0..token.len())]);
        assert_finds("{t} is first", &token);
        assert_finds("last is {t}", &token);
    }

    #[test]
    fn resumes_right_after_a_failed_candidate() {
        let token = jws(HS256, CLAIMS);
        // `{"abc` is not a header; the `=` after it may precede a token.
        assert_finds(&format!("{}={{t}}", b64(r#"{"abc"#)), &token);
        // A failed dotted run right before a real token.
        assert_finds(&format!("{}.e30.x {{t}}", b64(r#"{"typ":"JWT"}"#)), &token);
    }

    #[test]
    fn escaped_header_strings_are_read() {
        // `\u0061lg` is `alg`: hiding it from a naive text search must not hide the token.
        assert_finds("x={t}", &jws(r#"{"\u0061lg":"none"}"#, CLAIMS));
        assert_finds("x={t}", &jws(r#"{"alg":"\u0048S256"}"#, CLAIMS));
    }

    #[test]
    fn header_sizes() {
        // A JSON header whose base64url is `b64_len` bytes long.
        let header = |b64_len: usize| {
            let json = format!(
                r#"{{"alg":"RS256","x5c":"{}"}}"#,
                "A".repeat(b64_len / 4 * 3 - 24)
            );
            assert_eq!(b64(&json).len(), b64_len);
            json
        };
        for len in [
            SMALL_HEADER_LEN - 4,
            SMALL_HEADER_LEN,
            SMALL_HEADER_LEN + 4,
            MAX_HEADER_LEN,
        ] {
            let token = jws(header(len), CLAIMS);
            assert_finds("{t}", &token);
        }
        assert_eq!(found(jws(header(MAX_HEADER_LEN + 4), CLAIMS)), []);
    }

    #[test]
    fn segment_cap() {
        let header = b64(HS256);
        let payload = |len| "A".repeat(len);
        let largest = format!("{header}.{}.sig", payload(MAX_SEGMENT_LEN));
        assert_finds("{t}", &largest);
        let too_long = format!("{header}.{}.sig", payload(MAX_SEGMENT_LEN + 1));
        assert_eq!(found(too_long), []);
    }

    #[test]
    fn payload_is_not_validated() {
        let h = b64(HS256);
        for token in [
            format!("{h}.{}.sig", b64("not JSON")),
            format!("{h}.A.sig"),
            format!("{h}.."),
        ] {
            assert_finds("{t}", &token);
        }
    }

    #[test]
    fn not_preceded_by_a_run() {
        let token = jws(HS256, CLAIMS);
        for prefix in [
            "QUJD", "x", "9", "-", "_", "+", ".", "a.", "%2B", "%41", "\\x",
        ] {
            let text = format!("{prefix}{token}");
            assert_eq!(found(&text), [], "after {prefix:?}");
        }
    }

    #[test]
    fn random_base64_with_eyj_inside() {
        // A header object at a 3-byte boundary of binary data encodes to `eyJ…` mid-blob.
        let bytes = [&[0x8c; 30][..], HS256.as_bytes(), b"\xfb\xff\x00 more"].concat();
        let blob = STANDARD.encode(bytes);
        assert_eq!(blob.find("eyJhbGci"), Some(40));
        let text = format!(
            "data:image/png;base64,{blob}\n{blob}.{}.{}",
            b64(CLAIMS),
            b64("s")
        );
        assert_eq!(found(&text), []);
    }

    #[test]
    fn headers_that_are_not_jose() {
        for header in [
            br#"{"typ":"JWT"}"#.as_slice(),
            br#"{"alg":256}"#,
            br#"{"alg":null}"#,
            br#"{"alg":"HS256""#,
            br#"{"alg":"HS256"} trailing"#,
            br#"{not json at all}"#,
        ] {
            let text = format!("t = \"{}\"", jws(header, CLAIMS));
            assert_eq!(found(&text), [], "{}", String::from_utf8_lossy(header));
        }
    }

    #[test]
    fn array_header_is_not_a_token() {
        // An array encodes to `W…`; the valid header in the payload position follows a dot.
        let text = format!("{}.{}.sig", b64(r#"["alg","HS256"]"#), b64(HS256));
        assert!(text.starts_with('W'));
        assert_eq!(found(&text), []);
    }

    #[test]
    fn incomplete_structures() {
        let (h, p) = (b64(HS256), b64(CLAIMS));
        for text in [
            "eyJ".to_owned(),
            "eyJ.".to_owned(),
            "eyJ..".to_owned(),
            h.clone(),
            format!("{h}."),
            format!("{h}.{p}"),
            format!("x = '{h}.{p}';"),
        ] {
            assert_eq!(found(&text), [], "{text}");
        }
    }

    #[test]
    fn minified_js() {
        let map = STANDARD.encode(r#"{"version":3,"sources":["a.ts"],"mappings":"AAAA;AACA"}"#);
        assert!(map.starts_with("eyJ"));
        let text = format!(
            "!function(e){{var keyJar={{}};e.{h}.{p}.x=keyJar;return\"QUJD{h}.{p}.s\"}}();\n\
             //# sourceMappingURL=data:application/json;base64,{map}\n",
            h = b64(HS256),
            p = b64(CLAIMS),
        );
        assert_eq!(found(&text), []);
    }

    #[test]
    fn invalid_utf8_and_nuls_around() {
        let token = jws(HS256, CLAIMS);
        let text = [
            b"\xff\xfe\x00".as_slice(),
            token.as_bytes(),
            b"\xc3\x28\x00",
        ]
        .concat();
        assert_eq!(found(&text), [(Jws, 3..3 + token.len())]);
        // Right after a multi-byte character, still on a char boundary.
        let text = format!("clé{token}€");
        let ranges = found(&text);
        assert_eq!(ranges, [(Jws, at(&text, &token))]);
        assert!(text.is_char_boundary(ranges[0].1.start) && text.is_char_boundary(ranges[0].1.end));
    }

    #[test]
    fn pathological_inputs() {
        assert_eq!(found("eyJ".repeat(350_000)), []);
        assert_eq!(found("eyJ ".repeat(250_000)), []);
        assert_eq!(found("eyJ.eyJ.eyJ.".repeat(100_000)), []);
        assert_eq!(found("eyJhbGciOi.".repeat(100_000)), []);
        assert_eq!(
            found("eyJhbGciOi".repeat(100_000) + &".".repeat(100_000)),
            []
        );
        assert_eq!(found("eyJhbGciOiJIUzI1NiJ9".repeat((5 << 20) / 20)), []);
    }

    #[test]
    fn repeated_valid_header_with_dots_is_one_token() {
        let h = b64(HS256);
        let text = format!("{h}.").repeat(100_000);
        assert_eq!(found(&text), [(Jws, 0..3 * h.len() + 2)]);
    }
}
