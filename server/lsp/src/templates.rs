//! Quick fixes for Clerk JWT template findings: an older `{{organization.*}}` shortcode
//! (JWT114) rewritten to its short `{{org.*}}` form, in place.

use tower_lsp::lsp_types::*;

use crate::Analysis;
use jwtlens_engine::clerk_template::short_form;

/// The rule whose findings have a rewrite.
const OLDER_SHORTCODE: &str = "JWT114";

/// One quick fix per JWT114 finding that overlaps `range`, each tied to its diagnostic.
pub fn quick_fixes(
    analysis: &Analysis,
    uri: &Url,
    range: Range,
    context: &CodeActionContext,
) -> Vec<CodeActionOrCommand> {
    let wanted = context
        .only
        .as_deref()
        .is_none_or(|only| only.iter().any(|kind| kind == &CodeActionKind::QUICKFIX));
    if !wanted {
        return Vec::new();
    }
    let requested = analysis.index.byte_range(&analysis.text, range);
    let mut cursor = analysis.index.ranges(&analysis.text);
    analysis
        .template_findings
        .iter()
        .filter(|finding| finding.rule.code == OLDER_SHORTCODE)
        .filter(|finding| {
            finding.range.start <= requested.end && requested.start <= finding.range.end
        })
        .filter_map(|finding| {
            let short = short_form(analysis.text.get(finding.range.clone())?)?;
            let edit_range = cursor.range(finding.range.clone());
            let diagnostics: Vec<Diagnostic> = context
                .diagnostics
                .iter()
                .filter(|diagnostic| {
                    diagnostic.range == edit_range
                        && diagnostic.code
                            == Some(NumberOrString::String(OLDER_SHORTCODE.to_owned()))
                })
                .cloned()
                .collect();
            let edit = TextEdit {
                range: edit_range,
                new_text: short.clone(),
            };
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Use the short form {{{{{short}}}}}"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: (!diagnostics.is_empty()).then_some(diagnostics),
                // Versioned: the client refuses it once the text is no longer the one the
                // range was computed on.
                edit: Some(crate::fixes::versioned_edit(uri, analysis.version, edit)),
                is_preferred: Some(true),
                ..CodeAction::default()
            }))
        })
        .collect()
}
