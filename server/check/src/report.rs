//! What `check` keeps of a file once its text is gone: every finding with its position,
//! the token's fingerprint, and (for the human format) a redacted snippet of its line.
//! Pure: bytes and engine reports in, records out.

use std::collections::BTreeMap;
use std::ops::Range;

use jwtlens_jose::fingerprint;

use jwtlens_engine::analysis::{Finding, TokenReport};
use jwtlens_engine::lines::{line_content, LineCounter, Unit};
use jwtlens_engine::rules::Rule;
use jwtlens_engine::untrusted::escape_controls;
use jwtlens_settings::Level;

/// Characters of a token shown when tokens are redacted.
pub const REDACTED_PREFIX: usize = 10;

/// Lines up to this many bytes are shown whole; longer ones are cut to at most this many
/// bytes before and after the token.
const WHOLE_LINE: usize = 160;
const CONTEXT_BEFORE: usize = 48;
const CONTEXT_AFTER: usize = 32;

/// How to build records.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordOptions {
    /// Keep the whole token text (`--show-tokens`).
    pub show_tokens: bool,
    /// Render the source line (the human format).
    pub snippets: bool,
}

/// A 1-based line and column (in characters: Unicode code points), and the byte offset
/// they stand for. Serialised as the JSON format shows it (`N` is other than `usize` only
/// in the JSON format's patterns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position<N = usize> {
    pub byte: N,
    pub line: N,
    pub column: N,
}

/// The findings of one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The path as shown: as walked, without a leading `./`.
    pub path: String,
    /// The absolute path, for SARIF's artifact locations.
    pub absolute: std::path::PathBuf,
    pub tokens: Vec<TokenRecord>,
}

/// One token with findings.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub start: Position,
    /// Just after the token's last character.
    pub end: Position,
    /// SHA-256 of the token text, lowercase hex.
    pub fingerprint: String,
    /// The whole token, only with `--show-tokens`.
    pub text: Option<String>,
    pub provider: Option<ProviderName>,
    pub fixture: Option<String>,
    pub snippet: Option<Snippet>,
    pub findings: Vec<FindingRecord>,
    /// Where the token was in the git history (`--history` only).
    pub provenance: Option<Box<super::history::Provenance>>,
}

/// Serialised as the JSON format shows it (`S` is other than `String` only in the JSON
/// format's patterns).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProviderName<S = String> {
    pub id: S,
    /// The display name, with the variant when known: `Clerk (session token v2)`.
    pub name: S,
}

#[derive(Debug, Clone)]
pub struct FindingRecord {
    pub rule: &'static Rule,
    pub level: Level,
    pub message: String,
}

/// The token's line, cut around the token, with every token in it redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    /// Spaces and tabs that line the caret up under the token in `text`.
    pub pad: String,
    /// Characters of the token as shown.
    pub width: usize,
}

/// A token as shown without `--show-tokens`: its first characters and an ellipsis.
pub fn redact(token: &str) -> String {
    match token.char_indices().nth(REDACTED_PREFIX) {
        Some((at, _)) => format!("{}…", &token[..at]),
        None => token.to_owned(),
    }
}

/// Records of every token with findings in `text`, then of the Clerk JWT template
/// findings (`template`, from `analyse_template`: one record per range they are at);
/// `None` when there are none.
pub fn file_report(
    path: String,
    absolute: std::path::PathBuf,
    text: &[u8],
    reports: &[TokenReport],
    template: &[Finding],
    options: RecordOptions,
) -> Option<FileReport> {
    if template.is_empty() && reports.iter().all(|report| report.findings.is_empty()) {
        return None;
    }
    let ranges: Vec<Range<usize>> = reports.iter().map(|r| r.token.range.clone()).collect();
    let mut lines = LineCounter::new(text, Unit::CodePoint);
    let mut position = |byte: usize| {
        let at = lines.line_column(byte);
        Position {
            byte,
            line: at.line + 1,
            column: at.column + 1,
        }
    };
    let mut tokens = Vec::new();
    for report in reports.iter().filter(|r| !r.findings.is_empty()) {
        let range = report.token.range.clone();
        let compact = report.token.compact(text);
        let start = position(range.start);
        let end = position(range.end);
        let snippet = options.snippets.then(|| {
            let line = line_content(text, range.start);
            snippet(text, line, &range, &ranges, options.show_tokens)
        });
        tokens.push(TokenRecord {
            start,
            end,
            fingerprint: fingerprint(compact),
            text: options
                .show_tokens
                .then(|| String::from_utf8_lossy(compact).into_owned()),
            provider: report.facts.provider.as_ref().map(|p| ProviderName {
                id: p.id.clone(),
                name: match &p.variant {
                    Some(variant) => format!("{} ({variant})", p.name),
                    None => p.name.clone(),
                },
            }),
            fixture: report.fixture.clone(),
            snippet,
            findings: finding_records(&report.findings),
            provenance: None,
        });
    }
    // A template finding is at a shortcode, claim name or value: shown whole (it is no
    // secret), fingerprinted by its text so a baseline keeps it.
    let mut at = 0;
    while at < template.len() {
        let range = template[at].range.clone();
        let same = template[at..]
            .iter()
            .take_while(|finding| finding.range == range)
            .count();
        let line = line_content(text, range.start);
        let (start, end) = (position(range.start), position(range.end));
        tokens.push(TokenRecord {
            start,
            end,
            fingerprint: fingerprint(&text[range.clone()]),
            text: None,
            provider: None,
            fixture: None,
            snippet: options
                .snippets
                .then(|| snippet(text, line, &range, std::slice::from_ref(&range), true)),
            findings: finding_records(&template[at..at + same]),
            provenance: None,
        });
        at += same;
    }
    Some(FileReport {
        path,
        absolute,
        tokens,
    })
}

/// The part of `line` around `token`, every token in view redacted (unless shown).
fn snippet(
    text: &[u8],
    line: Range<usize>,
    token: &Range<usize>,
    all: &[Range<usize>],
    show_tokens: bool,
) -> Snippet {
    let (mut from, mut to) = if shown_len(&line, all, show_tokens) <= WHOLE_LINE {
        (line.start, line.end)
    } else {
        (
            token.start.saturating_sub(CONTEXT_BEFORE).max(line.start),
            token.end.saturating_add(CONTEXT_AFTER).min(line.end),
        )
    };
    // Never cut a token in view: widen to its edges (it is redacted anyway).
    let first = all.partition_point(|r| r.end <= from);
    if let Some(r) = all.get(first) {
        if r.start < from {
            from = r.start;
        }
    }
    let last = all.partition_point(|r| r.start < to);
    if let Some(r) = last.checked_sub(1).and_then(|i| all.get(i)) {
        if r.end > to {
            to = r.end;
        }
    }
    // Nor a UTF-8 sequence.
    while from > line.start && is_continuation(text[from]) {
        from -= 1;
    }
    while to < line.end && is_continuation(text[to]) {
        to += 1;
    }
    let mut shown = String::new();
    let mut pad = String::new();
    let mut width = 0;
    if from > line.start {
        shown.push('…');
    }
    let mut at = from;
    for r in &all[first..last] {
        push_plain(&mut shown, &text[at..r.start]);
        let token_text = String::from_utf8_lossy(&text[r.clone()]);
        let display = if show_tokens {
            token_text.into_owned()
        } else {
            redact(&token_text)
        };
        if r == token {
            pad = shown
                .chars()
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            width = display.chars().count();
        }
        shown.push_str(&display);
        at = r.end;
    }
    push_plain(&mut shown, &text[at..to]);
    if to < line.end {
        shown.push('…');
    }
    Snippet {
        text: shown,
        pad,
        width,
    }
}

/// About how many bytes `line` takes once its tokens are redacted (`usize::MAX` for
/// lines too long to be shown whole anyway).
fn shown_len(line: &Range<usize>, all: &[Range<usize>], show_tokens: bool) -> usize {
    if line.len() > 16 * WHOLE_LINE {
        return usize::MAX;
    }
    let first = all.partition_point(|r| r.end <= line.start);
    let last = all.partition_point(|r| r.start < line.end);
    let hidden: usize = all[first..last]
        .iter()
        .map(|r| {
            if show_tokens {
                0
            } else {
                r.len().saturating_sub(REDACTED_PREFIX + 1)
            }
        })
        .sum();
    line.len() - hidden.min(line.len())
}

fn is_continuation(byte: u8) -> bool {
    (byte as i8) < -0x40
}

/// Appends source text for a terminal: invalid UTF-8 becomes U+FFFD and control
/// characters (escape sequences, direction overrides) visible escapes; tabs stay, to keep
/// alignment.
fn push_plain(out: &mut String, bytes: &[u8]) {
    out.push_str(&escape_controls(&String::from_utf8_lossy(bytes)));
}

/// Findings per level, for summaries.
pub fn count_levels<'a>(files: impl IntoIterator<Item = &'a FileReport>) -> BTreeMap<Level, usize> {
    // Counted by discriminant first: a map entry per finding showed at 20,000 tokens.
    const LEVELS: [Level; 5] = [
        Level::Off,
        Level::Hint,
        Level::Info,
        Level::Warning,
        Level::Error,
    ];
    // Each level at its discriminant, or the build fails.
    const _: () = {
        let mut i = 0;
        while i < LEVELS.len() {
            assert!(LEVELS[i] as usize == i);
            i += 1;
        }
    };
    let mut counts = [0; LEVELS.len()];
    for file in files {
        for token in &file.tokens {
            for finding in &token.findings {
                counts[finding.level as usize] += 1;
            }
        }
    }
    LEVELS
        .into_iter()
        .zip(counts)
        .filter(|&(_, count)| count > 0)
        .collect()
}

/// The records of `findings`, as every format reports them.
fn finding_records(findings: &[Finding]) -> Vec<FindingRecord> {
    findings
        .iter()
        .map(|finding| FindingRecord {
            rule: finding.rule,
            level: finding.level,
            message: finding.message.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jwtlens_engine::analysis::{analyse, DocumentContext};
    use jwtlens_engine::config::Config;

    fn token(claims: &str) -> String {
        format!(
            "{}.{}.c2lnbmF0dXJlX2J5dGVz",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    fn records(text: &str, options: RecordOptions) -> FileReport {
        let config = Config::default();
        let cx = DocumentContext {
            path: Some(std::path::Path::new("src/app.ts")),
            config: &config,
            now: 1_800_000_000,
            remote: None,
        };
        let reports = analyse(text.as_bytes(), &cx);
        file_report(
            "src/app.ts".into(),
            "/w/src/app.ts".into(),
            text.as_bytes(),
            &reports,
            &[],
            options,
        )
        .expect("findings")
    }

    #[test]
    fn redaction_keeps_ten_characters() {
        assert_eq!(redact("eyJhbGciOiJIUzI1NiJ9.x.y"), "eyJhbGciOi…");
        assert_eq!(redact("eyJhbGc"), "eyJhbGc");
    }

    #[test]
    fn positions_and_snippets_redact_every_token_on_the_line() {
        let a = token(r#"{"sub":"a"}"#);
        let b = token(r#"{"sub":"b"}"#);
        let text = format!("first line\n\tconst é = [\"{a}\", \"{b}\"];\n");
        let report = records(
            &text,
            RecordOptions {
                snippets: true,
                show_tokens: false,
            },
        );
        assert_eq!(report.tokens.len(), 2);
        let first = &report.tokens[0];
        assert_eq!((first.start.line, first.start.column), (2, 14));
        assert_eq!(first.end.column, 14 + a.len());
        assert_eq!(first.start.byte, text.find(&a).unwrap());
        assert_eq!(first.fingerprint, fingerprint(a.as_bytes()));
        assert!(first.text.is_none());
        let snippet = first.snippet.as_ref().unwrap();
        assert!(!snippet.text.contains(&a) && !snippet.text.contains(&b[..20]));
        assert_eq!(
            snippet.text,
            "\tconst é = [\"eyJhbGciOi…\", \"eyJhbGciOi…\"];"
        );
        assert_eq!(snippet.pad, format!("\t{}", " ".repeat(12)));
        assert_eq!(snippet.width, 11);
        let second = report.tokens[1].snippet.as_ref().unwrap();
        assert_eq!(
            second.pad.chars().count(),
            "\tconst é = [\"eyJhbGciOi…\", \"".chars().count()
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_token() {
        let a = token(r#"{"sub":"a"}"#);
        let text = format!("{}{a}{}\n", "(".repeat(10_000), ")".repeat(10_000));
        let report = records(
            &text,
            RecordOptions {
                snippets: true,
                show_tokens: true,
            },
        );
        let token = &report.tokens[0];
        assert_eq!(token.text.as_deref(), Some(a.as_str()));
        let snippet = token.snippet.as_ref().unwrap();
        assert_eq!(
            snippet.text,
            format!(
                "…{}{a}{}…",
                "(".repeat(CONTEXT_BEFORE),
                ")".repeat(CONTEXT_AFTER)
            )
        );
        assert_eq!(snippet.width, a.len());
    }

    #[test]
    fn control_characters_do_not_reach_the_terminal() {
        let a = token(r#"{"sub":"a"}"#);
        let text = format!("\x1b[31m\u{202E} {a}\n");
        let report = records(
            &text,
            RecordOptions {
                snippets: true,
                show_tokens: false,
            },
        );
        let snippet = report.tokens[0].snippet.as_ref().unwrap();
        assert_eq!(snippet.text, "\\u{1b}[31m\\u{202e} eyJhbGciOi…");
        // The caret goes under the token, past the escapes as shown.
        assert_eq!(snippet.pad, " ".repeat("\\u{1b}[31m\\u{202e} ".len()));
    }
}
