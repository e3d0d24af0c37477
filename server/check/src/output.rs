//! The human and JSON formats of `jwtlens check`. Tokens appear only redacted (human) or
//! as fingerprints (JSON), unless the records carry their text (`--show-tokens`).

use std::io::{self, Write};
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::history::{GitSummary, Provenance};
use crate::json::{slots, write_pretty_spliced, Elements, Fill, SLOTS, SPLICE};
use crate::render::render_in_order;
use crate::report::{count_levels, FileReport, Position, ProviderName, TokenRecord};
use crate::Summary;
use jwtlens_engine::untrusted::escape_controls;
use jwtlens_settings::Level;

/// ANSI styles, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn level(self, level: Level) -> String {
        let code = match level {
            Level::Error => "1;31",
            Level::Warning => "1;33",
            Level::Info => "1;36",
            Level::Hint | Level::Off => "2",
        };
        self.paint(code, level.as_str())
    }
}

/// `file:line:col: severity CODE name: message` per finding, then the token's line with
/// a caret under it, then one summary line. Rendered on `threads` threads (0: one per
/// core).
pub fn human(
    out: &mut impl Write,
    files: &[FileReport],
    summary: &Summary,
    style: Style,
    threads: usize,
) -> io::Result<()> {
    render_in_order(
        files,
        threads,
        |chunk| {
            let mut buf = Vec::new();
            for file in chunk {
                write_file(&mut buf, file, style)?;
            }
            Ok(buf)
        },
        |rendered| out.write_all(&rendered),
    )?;
    writeln!(out, "{}", summary_line(files, summary, style))
}

/// One file's findings, each token's with its snippet.
fn write_file(out: &mut impl Write, file: &FileReport, style: Style) -> io::Result<()> {
    for token in &file.tokens {
        for finding in &token.findings {
            writeln!(
                out,
                "{}: {} {} {}: {}",
                style.paint(
                    "1",
                    &format!(
                        "{}:{}:{}",
                        escape_controls(&file.path),
                        token.start.line,
                        token.start.column
                    )
                ),
                style.level(finding.level),
                finding.rule.code,
                finding.rule.name,
                escape_controls(&finding.message)
            )?;
        }
        write_snippet(out, token, style)?;
        if let Some(provenance) = &token.provenance {
            writeln!(out, "  {}", style.paint("2", &provenance.describe()))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn write_snippet(out: &mut impl Write, token: &TokenRecord, style: Style) -> io::Result<()> {
    let Some(snippet) = &token.snippet else {
        return Ok(());
    };
    let number = token.start.line.to_string();
    let gutter = " ".repeat(number.len());
    let bar = style.paint("2", "|");
    let mut label = Vec::new();
    if let Some(provider) = &token.provider {
        label.push(escape_controls(&provider.name).into_owned());
    }
    if let Some(fixture) = &token.fixture {
        label.push(format!("fixture: {}", escape_controls(fixture)));
    }
    let worst = token
        .findings
        .iter()
        .map(|f| f.level)
        .max()
        .unwrap_or(Level::Hint);
    let carets = "^".repeat(snippet.width.max(1));
    let carets = match worst {
        Level::Error => style.paint("31", &carets),
        Level::Warning => style.paint("33", &carets),
        _ => style.paint("36", &carets),
    };
    writeln!(out, "{gutter} {bar}")?;
    writeln!(out, "{} {bar} {}", style.paint("2", &number), snippet.text)?;
    let label = if label.is_empty() {
        String::new()
    } else {
        format!(" {}", label.join(" · "))
    };
    writeln!(out, "{gutter} {bar} {}{carets}{label}", snippet.pad)
}

/// `12 findings (3 errors, 9 warnings) in 4 files · 7 files scanned (24.6 KB) in 3 ms`
pub fn summary_line(files: &[FileReport], summary: &Summary, style: Style) -> String {
    let counts = count_levels(files);
    let total: usize = counts.values().sum();
    let mut line = if total == 0 {
        "no findings".to_owned()
    } else {
        let parts: Vec<String> = [Level::Error, Level::Warning, Level::Info, Level::Hint]
            .into_iter()
            .filter_map(|level| {
                let n = *counts.get(&level)?;
                let noun = match (level, n) {
                    (Level::Error, 1) => "error",
                    (Level::Error, _) => "errors",
                    (Level::Warning, 1) => "warning",
                    (Level::Warning, _) => "warnings",
                    (Level::Hint, 1) => "hint",
                    (Level::Hint, _) => "hints",
                    _ => "info",
                };
                Some(format!("{n} {noun}"))
            })
            .collect();
        format!(
            "{total} {} ({}) in {} {}",
            plural(total, "finding", "findings"),
            parts.join(", "),
            files.len(),
            plural(files.len(), "file", "files"),
        )
    };
    let (noun, scope, git_skipped) = match &summary.git {
        Some(git) => {
            let (scope, skipped) = git.human();
            let noun = if git.staged { "staged file" } else { "blob" };
            (noun, scope, skipped)
        }
        None => ("file", String::new(), Vec::new()),
    };
    line.push_str(&format!(
        " · {} {noun}{} scanned{scope} ({}) in {}",
        summary.files_scanned,
        if summary.files_scanned == 1 { "" } else { "s" },
        bytes(summary.bytes_scanned),
        elapsed(summary.elapsed)
    ));
    if summary.baselined > 0 {
        line.push_str(&format!(" · {} in the baseline", summary.baselined));
    }
    let mut skipped = Vec::new();
    if summary.binary > 0 {
        skipped.push(format!("{} binary", summary.binary));
    }
    if summary.too_large > 0 {
        skipped.push(format!("{} over --max-filesize", summary.too_large));
    }
    skipped.extend(git_skipped);
    if let Some((last, rest)) = skipped.split_last().filter(|(_, rest)| !rest.is_empty()) {
        line.push_str(&format!(" · skipped {} and {last}", rest.join(", ")));
    } else if let Some(only) = skipped.first() {
        line.push_str(&format!(" · skipped {only}"));
    }
    if summary.errors > 0 {
        line.push_str(&format!(
            " · {}",
            style.paint(
                "1;31",
                &format!(
                    "{} {} (see above)",
                    summary.errors,
                    plural(summary.errors as usize, "error", "errors")
                )
            )
        ));
    }
    line
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Bytes in decimal units, as file managers show them.
pub fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} KB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

fn elapsed(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

/// The JSON format: one object per finding, a summary and the problems, written as it is
/// serialised (no JSON tree in memory), pretty, with unsafe characters escaped.
/// Rendered on `threads` threads (0: one per core).
pub fn json(
    out: &mut impl Write,
    files: &[FileReport],
    summary: &Summary,
    threads: usize,
) -> io::Result<()> {
    let counts = count_levels(files);
    let count = |level| counts.get(&level).copied().unwrap_or(0);
    let report = JsonReport {
        version: env!("CARGO_PKG_VERSION"),
        findings: [SPLICE],
        summary: JsonSummary {
            findings: LevelCounts {
                error: count(Level::Error),
                warning: count(Level::Warning),
                info: count(Level::Info),
                hint: count(Level::Hint),
            },
            files_with_findings: files.len(),
            files_scanned: summary.files_scanned,
            bytes_scanned: summary.bytes_scanned,
            skipped: Skipped {
                binary: summary.binary,
                too_large: summary.too_large,
            },
            baselined: summary.baselined,
            errors: summary.errors,
            elapsed_ms: summary.elapsed.as_millis() as u64,
            git: summary.git.as_ref().map(GitFields),
        },
        errors: &summary.problems,
    };
    write_pretty_spliced(out, &report, files, threads, push_findings)
}

// The JSON document, field by field in output order. Findings borrow from the records;
// a new field is one more (optional, `skip_serializing_if`) member here.

#[derive(Serialize)]
struct JsonReport<'a> {
    version: &'static str,
    /// Filled with every finding of every file, in order.
    findings: [&'static str; 1],
    summary: JsonSummary<'a>,
    errors: &'a [crate::walk::Problem],
}

/// The findings of one file, pushed into the report's `findings`.
fn push_findings(file: &FileReport, elements: &mut Elements<'_>) -> io::Result<()> {
    for token in &file.tokens {
        let range = JsonRange {
            start: token.start,
            end: token.end,
        };
        let (provider, fixture, text) = (
            token.provider.as_ref(),
            token.fixture.as_deref(),
            token.text.as_deref(),
        );
        let about_token = match token.provenance.as_deref() {
            // A history finding's commit fields vary from token to token: rendered whole.
            Some(provenance) => elements.members(&JsonTokenMembers {
                range,
                provider,
                fixture,
                fingerprint: &token.fingerprint,
                token: text,
                provenance: Some(ProvenanceFields(provenance)),
            })?,
            // Every other token's members are one of eight patterns (whether it has a
            // provider, a fixture context, its text shown), filled in.
            None => {
                let mut fills: Vec<Fill<'_>> = range.numbers().map(Fill::Number).collect();
                if let Some(provider) = provider {
                    fills.extend([Fill::Text(&provider.id), Fill::Text(&provider.name)]);
                }
                fills.extend(fixture.map(Fill::Text));
                fills.push(Fill::Text(&token.fingerprint));
                fills.extend(text.map(Fill::Text));
                let pattern = || {
                    let mut slot = slots();
                    JsonTokenMembers {
                        range: JsonRange::from_numbers(&mut slot),
                        provider: provider.map(|_| ProviderName {
                            id: slot(),
                            name: slot(),
                        }),
                        fixture: fixture.map(|_| slot()),
                        fingerprint: slot(),
                        token: text.map(|_| slot()),
                        provenance: None,
                    }
                };
                let shape = u32::from(provider.is_some())
                    | u32::from(fixture.is_some()) << 1
                    | u32::from(text.is_some()) << 2;
                elements.members_filled(("JSON token", shape), pattern, &fills)?
            }
        };
        for finding in &token.findings {
            let (rule, severity) = (finding.rule, finding.level.as_str());
            let head = || JsonFinding {
                path: SLOTS[0],
                code: rule.code,
                name: rule.name,
                severity,
                message: SLOTS[1],
            };
            let texts = [Fill::Text(&file.path), Fill::Text(&finding.message)];
            let key = (rule.code, finding.level as u32);
            elements.push_filled(key, head, &texts, &about_token)?;
        }
    }
    Ok(())
}

/// A finding's own members; [`JsonTokenMembers`] follow.
#[derive(Serialize)]
struct JsonFinding {
    path: &'static str,
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'static str,
}

/// The members that every finding of a token has alike, after [`JsonFinding`]'s. `N`
/// and `P` are a number's and the provider's types: strings stand for the numbers and
/// the provider's strings in a pattern.
#[derive(Serialize)]
struct JsonTokenMembers<'a, N, P> {
    range: JsonRange<N>,
    provider: Option<P>,
    fixture: Option<&'a str>,
    fingerprint: &'a str,
    /// Only with `--show-tokens`.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    /// Only in `--history`: where the token was committed.
    #[serde(flatten)]
    provenance: Option<ProvenanceFields<'a>>,
}

/// A history finding's provenance, as members of the finding.
pub(crate) struct ProvenanceFields<'a>(pub(crate) &'a Provenance);

impl Serialize for ProvenanceFields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.json_fields())
    }
}

/// The summary's `history` or `staged` member.
struct GitFields<'a>(&'a GitSummary);

impl Serialize for GitFields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map([self.0.json()])
    }
}

#[derive(Serialize)]
struct JsonRange<N> {
    start: Position<N>,
    end: Position<N>,
}

impl<N> JsonRange<N> {
    /// A range of the numbers `next` gives, in output order.
    fn from_numbers(mut next: impl FnMut() -> N) -> Self {
        let mut position = || Position {
            byte: next(),
            line: next(),
            column: next(),
        };
        JsonRange {
            start: position(),
            end: position(),
        }
    }

    /// The numbers in output order.
    fn numbers(self) -> impl Iterator<Item = N> {
        let JsonRange { start, end } = self;
        [
            start.byte,
            start.line,
            start.column,
            end.byte,
            end.line,
            end.column,
        ]
        .into_iter()
    }
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    findings: LevelCounts,
    files_with_findings: usize,
    files_scanned: u64,
    bytes_scanned: u64,
    skipped: Skipped,
    baselined: usize,
    errors: u64,
    elapsed_ms: u64,
    #[serde(flatten)]
    git: Option<GitFields<'a>>,
}

#[derive(Serialize)]
struct LevelCounts {
    error: usize,
    warning: usize,
    info: usize,
    hint: usize,
}

#[derive(Serialize)]
struct Skipped {
    binary: u64,
    too_large: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_read_naturally() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(24_600), "24.6 KB");
        assert_eq!(bytes(200_000_000), "200.0 MB");
    }

    #[test]
    fn summary_counts_and_pluralises() {
        let summary = Summary {
            files_scanned: 1,
            bytes_scanned: 10,
            binary: 2,
            too_large: 1,
            errors: 1,
            baselined: 3,
            elapsed: Duration::from_millis(5),
            problems: vec![],
            git: None,
        };
        let line = summary_line(&[], &summary, Style { color: false });
        assert_eq!(
            line,
            "no findings · 1 file scanned (10 B) in 5 ms · 3 in the baseline · skipped 2 binary and 1 over --max-filesize · 1 error (see above)"
        );
    }
}
