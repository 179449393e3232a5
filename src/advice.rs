//! Advice about generic codes, as data every writer shows in its own way: which generic codes
//! were seen, how often, and which specific codes were seen **on the same lines** — the likely
//! real cause a generic code hides (a `FUNCTIONS_EXECUTE_FAIL` wrapping a `DATABASE_TIMEOUT`).
//! The full explanation (the code's reason, the CloudBase page's note) is `cbscan explain`'s.

use crate::catalog::{Catalog, CodeId};
use crate::report::group;
use crate::summary::Counts;

/// Most specific codes listed beside one generic code; the rest are counted.
pub const SHOWN_ALONGSIDE: usize = 5;

/// A generic code that was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericSeen {
    /// The generic code.
    pub code: CodeId,
    /// Its hits.
    pub hits: u64,
    /// Lines it was on.
    pub lines: u64,
    /// Specific codes on the same lines, with the number of lines shared, most first.
    pub alongside: Vec<(CodeId, u64)>,
}

/// The generic codes in `counts`, most hits first (ties in catalog order).
pub fn generic_seen(catalog: &Catalog, counts: &Counts) -> Vec<GenericSeen> {
    counts
        .codes_by_count()
        .into_iter()
        .filter(|(code, _)| catalog.code(*code).is_generic())
        .map(|(code, c)| GenericSeen {
            code,
            hits: c.hits,
            lines: c.lines,
            alongside: counts.together_with(code),
        })
        .collect()
}

impl GenericSeen {
    /// One line of plain text: `generic FUNCTIONS_EXECUTE_FAIL (3 hits) hides
    /// DATABASE_TIMEOUT (2 lines)`. Catalog texts are not escaped here: writers escape for
    /// their consumer.
    pub fn sentence(&self, catalog: &Catalog) -> String {
        let name = &catalog.code(self.code).code;
        let mut out = format!(
            "generic {name} ({} {})",
            group(self.hits),
            plural(self.hits, "hit", "hits")
        );
        if self.alongside.is_empty() {
            // Only reported codes count: a code left out by a filter is not seen.
            out.push_str(", no specific code reported on its lines");
        } else {
            let listed: Vec<String> = self
                .alongside
                .iter()
                .take(SHOWN_ALONGSIDE)
                .map(|(code, lines)| {
                    format!(
                        "{} ({} {})",
                        catalog.code(*code).code,
                        group(*lines),
                        plural(*lines, "line", "lines")
                    )
                })
                .collect();
            out.push_str(" hides ");
            out.push_str(&listed.join(", "));
            if self.alongside.len() > SHOWN_ALONGSIDE {
                out.push_str(&format!(
                    " and {} more",
                    self.alongside.len() - SHOWN_ALONGSIDE
                ));
            }
        }
        out
    }
}

fn plural<'s>(n: u64, one: &'s str, many: &'s str) -> &'s str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Everything the catalog knows about `code`, as lines of plain text (`cbscan explain`, the
/// `help` of a SARIF rule). Catalog texts are not escaped: writers escape for their consumer,
/// line by line (a newline inside a catalog text stays inside its line).
pub fn explain(catalog: &Catalog, code: CodeId) -> Vec<String> {
    let entry = catalog.code(code);
    let category = catalog.category(entry.category);
    let mut lines = vec![
        entry.code.clone(),
        format!(
            "  category: {} ({} / {})",
            category.id, category.zh, category.en
        ),
    ];
    if !entry.zh.is_empty() {
        lines.push(format!("  zh:       {}", entry.zh));
    }
    if !entry.en.is_empty() {
        lines.push(format!("  en:       {}", entry.en));
    }
    if entry.number().is_some() {
        lines.push("  numeric:  a numeric-only code: no named code is known for it".to_string());
    }
    if !entry.numeric.is_empty() {
        let numbers: Vec<String> = entry.numeric.iter().map(i64::to_string).collect();
        lines.push(format!("  numeric:  {}", numbers.join(", ")));
    }
    if entry.inferred {
        lines.push(
            "  basis:    inferred from real logs, not from a published table: the meaning is a \
             best guess from the messages printed with it"
                .to_string(),
        );
    }
    if entry.shared {
        lines.push(
            "  shared:   other products use this name too: a scan counts it only on lines with \
             CloudBase context (errCode/errMsg, a CloudBase link, SDK or API names, ...), \
             unless --all-codes"
                .to_string(),
        );
    }
    if let Some(notes) = &entry.notes {
        lines.push(format!("  notes:    {notes}"));
    }
    if let Some(url) = catalog.doc_url(code) {
        lines.push(format!("  docs:     {url}"));
    }
    if let Some(reason) = &entry.generic_reason {
        lines.push(format!("  warning:  generic code: {reason}."));
        if let Some(note) = entry.generic_note.and_then(|n| catalog.notes().get(n)) {
            for text in [&note.zh, &note.en] {
                if !text.is_empty() {
                    lines.push(format!("            {text}"));
                }
            }
        }
        lines.push(
            "            In a scan, the specific codes on the same lines as this one are the"
                .to_string(),
        );
        lines.push("            likely cause: `cbscan scan` lists them beside it.".to_string());
    }
    lines
}

/// Everything the catalog knows about `code`, as one JSON object (`cbscan explain --format
/// json`): the fields of a `codes` record, plus the category's names, the docs link and the
/// shared note quoted for a generic code. Field names are stable (the README lists them).
pub fn explain_record(catalog: &Catalog, code: CodeId) -> serde_json::Value {
    let entry = catalog.code(code);
    let category = catalog.category(entry.category);
    let mut record = crate::report::jsonl::code_record(catalog, code);
    if let Some(object) = record.as_object_mut() {
        object.insert("category_zh".into(), category.zh.clone().into());
        object.insert("category_en".into(), category.en.clone().into());
        let note = entry
            .generic_note
            .and_then(|n| catalog.notes().get(n))
            .map(|n| serde_json::json!({ "zh": n.zh, "en": n.en }));
        object.insert("generic_note".into(), note.unwrap_or_default());
    }
    record
}
