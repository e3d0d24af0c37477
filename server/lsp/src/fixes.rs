//! Quick fixes that silence a finding: a `jwtlens: ignore[JWTxxx]` comment above the
//! token's line, in the file's own comment syntax, or the rule turned off for the whole
//! workspace in `.jwtlens.toml` (edited with `toml_edit`, so the user's formatting and
//! comments stay as they are).
//!
//! JSON has no comments: a `.json` file (language `json`) gets only the workspace fix, as
//! does any file whose comment syntax is not known (plain text, logs).

use std::collections::HashMap;
use std::path::Path;

use tower_lsp::lsp_types::*;

use crate::position::{Encoding, PositionIndex};
use crate::Analysis;
use jwtlens_engine::analysis::{ignore_list_end, TokenReport};
use jwtlens_engine::rules::Rule;
use jwtlens_settings::CONFIG_FILE;

/// How a comment starts and ends in a file's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentSyntax {
    pub open: &'static str,
    pub close: &'static str,
}

/// A comment to the end of the line.
const fn line(open: &'static str) -> CommentSyntax {
    CommentSyntax { open, close: "" }
}

const SLASHES: CommentSyntax = line("//");
const HASH: CommentSyntax = line("#");
const DASHES: CommentSyntax = line("--");
const SEMICOLON: CommentSyntax = line(";");
const PERCENT: CommentSyntax = line("%");
const HTML: CommentSyntax = CommentSyntax {
    open: "<!--",
    close: " -->",
};
const BLOCK: CommentSyntax = CommentSyntax {
    open: "/*",
    close: " */",
};

/// The comment syntax of a document, from its language id (as the editor names it) or,
/// when the id says nothing useful, from its file name. `None` when the language has no
/// comments (JSON) or is not known.
pub fn comment_syntax(language_id: Option<&str>, path: Option<&Path>) -> Option<CommentSyntax> {
    let by_language = match language_id.unwrap_or("") {
        "json" => return None,
        "rust" | "javascript" | "javascriptreact" | "typescript" | "typescriptreact" | "java"
        | "c" | "cpp" | "csharp" | "go" | "kotlin" | "swift" | "scala" | "dart" | "php"
        | "jsonc" | "json5" | "groovy" | "fsharp" | "proto" | "zig" | "objective-c"
        | "objective-cpp" | "scss" | "less" | "solidity" => Some(SLASHES),
        "python" | "ruby" | "shellscript" | "yaml" | "toml" | "dotenv" | "properties" | "perl"
        | "r" | "elixir" | "powershell" | "dockerfile" | "makefile" | "terraform" | "hcl"
        | "nix" | "julia" | "coffeescript" | "http" | "ini" | "conf" | "ignore" | "graphql" => {
            Some(HASH)
        }
        "sql" | "lua" | "haskell" | "elm" => Some(DASHES),
        "clojure" | "lisp" | "scheme" => Some(SEMICOLON),
        "erlang" | "latex" | "tex" | "matlab" => Some(PERCENT),
        "html" | "xml" | "markdown" | "vue" | "svelte" => Some(HTML),
        "css" => Some(BLOCK),
        _ => None,
    };
    by_language.or_else(|| path.and_then(comment_syntax_by_name))
}

fn comment_syntax_by_name(path: &Path) -> Option<CommentSyntax> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name.starts_with(".env") || name == "dockerfile" || name == "makefile" {
        return Some(HASH);
    }
    let extension = name.rsplit_once('.')?.1;
    Some(match extension {
        "rs" | "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" | "java" | "c" | "h"
        | "cc" | "cpp" | "hpp" | "cs" | "go" | "kt" | "kts" | "swift" | "scala" | "dart"
        | "php" | "jsonc" | "json5" | "proto" | "zig" | "groovy" | "scss" | "less" => SLASHES,
        "py" | "rb" | "sh" | "bash" | "zsh" | "yaml" | "yml" | "toml" | "env" | "properties"
        | "pl" | "r" | "ex" | "exs" | "ps1" | "tf" | "hcl" | "nix" | "jl" | "http" | "rest"
        | "conf" | "cfg" | "ini" | "graphql" | "gql" => HASH,
        "sql" | "lua" | "hs" | "elm" => DASHES,
        "clj" | "cljs" | "lisp" | "scm" => SEMICOLON,
        "erl" | "tex" => PERCENT,
        "html" | "htm" | "xml" | "md" | "markdown" | "vue" | "svelte" | "svg" => HTML,
        "css" => BLOCK,
        _ => return None,
    })
}

/// The edit that ignores `rule` for the token of `report`: the rule added to an ignore
/// list already on the token's line or the line above, else a new comment line above the
/// token's line, indented as it is.
pub fn suppress_edit(
    analysis: &Analysis,
    report: &TokenReport,
    rule: &Rule,
    syntax: CommentSyntax,
) -> TextEdit {
    let text = analysis.text.as_str();
    let index = &analysis.index;
    let line = index.line_at(text, report.token.range.start);
    let above = line
        .content
        .start
        .checked_sub(1)
        .map(|previous| index.line_at(text, previous));
    let existing = std::iter::once(&line)
        .chain(above.as_ref())
        .find_map(|span| {
            let content = &text.as_bytes()[span.content.clone()];
            ignore_list_end(content).map(|end| span.content.start + end)
        });
    if let Some(end) = existing {
        let at = index.position(text, end);
        return TextEdit {
            range: Range::new(at, at),
            new_text: format!(", {}", rule.code),
        };
    }
    let content = &text[line.content.clone()];
    let indent = &content[..content.len() - content.trim_start().len()];
    let line_break = match &text[line.line_break.clone()] {
        "" => "\n",
        line_break => line_break,
    };
    let at = index.position(text, line.content.start);
    TextEdit {
        range: Range::new(at, at),
        new_text: format!(
            "{indent}{} jwtlens: ignore[{}]{}{line_break}",
            syntax.open, rule.code, syntax.close
        ),
    }
}

/// The workspace's `.jwtlens.toml` as a quick fix can edit it.
pub struct WorkspaceConfig {
    pub uri: Url,
    /// Its text (the editor's, when the file is open), `None` when there is no such file.
    pub text: Option<String>,
    /// The version of the open document, so an editor whose text moved on refuses the edit.
    pub version: Option<i32>,
    pub encoding: Encoding,
    /// The client creates files through `documentChanges` (needed when there is none).
    pub can_create: bool,
    /// The client applies `documentChanges`.
    pub can_version_edits: bool,
}

/// The edit that sets `rule` to `off` in the workspace config, or `None` when the file
/// cannot be edited safely (it is not valid TOML, or it would have to be created by a
/// client that cannot).
pub fn rule_off_edit(config: &WorkspaceConfig, rule: &Rule) -> Option<WorkspaceEdit> {
    let Some(text) = &config.text else {
        if !config.can_create {
            return None;
        }
        let create = DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
            uri: config.uri.clone(),
            // Fails, changing nothing, if the file appeared meanwhile.
            options: Some(CreateFileOptions {
                overwrite: Some(false),
                ignore_if_exists: Some(false),
            }),
            annotation_id: None,
        }));
        let insert = TextEdit {
            range: Range::default(),
            new_text: rule_off(&toml_edit::DocumentMut::new(), rule),
        };
        let edit = DocumentChangeOperation::Edit(text_document_edit(config, insert));
        return Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Operations(vec![create, edit])),
            ..WorkspaceEdit::default()
        });
    };
    let document: toml_edit::DocumentMut = text.parse().ok()?;
    let edited = rule_off(&document, rule);
    let edit = smallest_edit(text, &edited, config.encoding);
    if config.can_version_edits {
        return Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(vec![text_document_edit(
                config, edit,
            )])),
            ..WorkspaceEdit::default()
        });
    }
    Some(WorkspaceEdit {
        changes: Some(HashMap::from([(config.uri.clone(), vec![edit])])),
        ..WorkspaceEdit::default()
    })
}

/// `edit` to the document at `version` as a versioned `TextDocumentEdit`: the client
/// refuses it once its text is no longer the one the edit was computed on.
pub(crate) fn versioned_edit(uri: &Url, version: i32, edit: TextEdit) -> WorkspaceEdit {
    WorkspaceEdit {
        document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier {
                uri: uri.clone(),
                version: Some(version),
            },
            edits: vec![OneOf::Left(edit)],
        }])),
        ..WorkspaceEdit::default()
    }
}

fn text_document_edit(config: &WorkspaceConfig, edit: TextEdit) -> TextDocumentEdit {
    TextDocumentEdit {
        text_document: OptionalVersionedTextDocumentIdentifier {
            uri: config.uri.clone(),
            version: config.version,
        },
        edits: vec![OneOf::Left(edit)],
    }
}

/// `document` with `rule = "off"` in its `[rules]` table (or inline table), under the key
/// that already names the rule there (code or name), else under its code.
fn rule_off(document: &toml_edit::DocumentMut, rule: &Rule) -> String {
    let mut document = document.clone();
    let rules = document
        .entry("rules")
        .or_insert_with(toml_edit::table)
        .as_table_like_mut();
    match rules {
        Some(rules) => {
            let key = rules
                .iter()
                .map(|(key, _)| key.to_owned())
                .find(|key| rule.is(key))
                .unwrap_or_else(|| rule.code.to_owned());
            let mut off = toml_edit::value("off");
            // A comment after the old value stays after the new one.
            if let (Some(old), Some(new)) = (
                rules.get(&key).and_then(toml_edit::Item::as_value),
                off.as_value_mut(),
            ) {
                *new.decor_mut() = old.decor().clone();
            }
            rules.insert(&key, off);
        }
        // `rules` is something else than a table: the file is broken, and says so on
        // itself; the rule is still written where it belongs.
        None => {
            let mut table = toml_edit::Table::new();
            table.insert(rule.code, toml_edit::value("off"));
            document.insert("rules", toml_edit::Item::Table(table));
        }
    }
    document.to_string()
}

/// One edit that turns `old` into `new`, replacing only what differs between their
/// common start and end.
fn smallest_edit(old: &str, new: &str, encoding: Encoding) -> TextEdit {
    let mut start = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
        start -= 1;
    }
    let mut common_end = old[start..]
        .bytes()
        .rev()
        .zip(new[start..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - common_end)
        || !new.is_char_boundary(new.len() - common_end)
    {
        common_end -= 1;
    }
    let index = PositionIndex::new(old, encoding);
    let mut cursor = index.ranges(old);
    TextEdit {
        range: cursor.range(start..old.len() - common_end),
        new_text: new[start..new.len() - common_end].to_owned(),
    }
}

/// The title of the workspace fix.
pub fn rule_off_title(rule: &Rule) -> String {
    format!(
        "Turn off {} ({}) for the workspace in {CONFIG_FILE}",
        rule.code, rule.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwtlens_engine::rules;

    fn rule(code: &str) -> &'static Rule {
        rules::find(code).unwrap()
    }

    #[test]
    fn comment_syntax_follows_the_language_then_the_file_name() {
        let path = |name: &str| Some(Path::new(name).to_owned());
        assert_eq!(comment_syntax(Some("python"), None), Some(HASH));
        assert_eq!(comment_syntax(Some("markdown"), None), Some(HTML));
        assert_eq!(
            comment_syntax(Some("json"), path("a.json").as_deref()),
            None
        );
        assert_eq!(
            comment_syntax(Some("plaintext"), path(".env.local").as_deref()),
            Some(HASH)
        );
        assert_eq!(
            comment_syntax(None, path("src/App.TSX").as_deref()),
            Some(SLASHES)
        );
        assert_eq!(
            comment_syntax(Some("plaintext"), path("app.log").as_deref()),
            None
        );
        assert_eq!(
            comment_syntax(Some("plaintext"), path("a.json").as_deref()),
            None
        );
    }

    #[test]
    fn turning_a_rule_off_keeps_the_file_as_it_was() {
        let text = "# team settings\nclock_skew = 30 # seconds\n\n[rules]\nmissing-aud = \"error\"   # we care\n\n[mint]\nlifetime = \"1h\"\n";
        let document: toml_edit::DocumentMut = text.parse().unwrap();
        let edited = rule_off(&document, rule("JWT013"));
        assert_eq!(
            edited,
            "# team settings\nclock_skew = 30 # seconds\n\n[rules]\nmissing-aud = \"error\"   # we care\nJWT013 = \"off\"\n\n[mint]\nlifetime = \"1h\"\n"
        );
        // A rule already named there (by name) is changed in place.
        let missing_aud = rules::find("missing-aud").unwrap();
        let edited = rule_off(&document, missing_aud);
        assert!(
            edited.contains("missing-aud = \"off\"   # we care\n"),
            "{edited}"
        );
        // An inline table stays inline (toml_edit keeps the space before its old end).
        let inline: toml_edit::DocumentMut = "rules = { JWT008 = \"hint\" }\n".parse().unwrap();
        assert_eq!(
            rule_off(&inline, rule("JWT013")),
            "rules = { JWT008 = \"hint\" , JWT013 = \"off\" }\n"
        );
        assert_eq!(
            rule_off(&toml_edit::DocumentMut::new(), rule("JWT013")),
            "[rules]\nJWT013 = \"off\"\n"
        );
    }

    #[test]
    fn the_smallest_edit_replaces_only_what_changed() {
        let edit = smallest_edit("a = 1\né = 2\n", "a = 1\né = 2\nb = 3\n", Encoding::Utf16);
        assert_eq!(
            edit.range,
            Range::new(Position::new(2, 0), Position::new(2, 0))
        );
        assert_eq!(edit.new_text, "b = 3\n");
        let edit = smallest_edit("x = \"é\"\n", "x = \"è\"\n", Encoding::Utf16);
        assert_eq!(
            edit.range,
            Range::new(Position::new(0, 5), Position::new(0, 6))
        );
        assert_eq!(edit.new_text, "è");
    }
}
