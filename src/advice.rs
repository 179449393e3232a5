//! Advice about generic codes, as data every writer shows in its own way: which generic codes
//! were seen, how often, and which specific codes were seen **in the same request** (or
//! multi-line event, see [`crate::diagnosis`]) — the likely real cause a generic code hides (a
//! `FUNCTIONS_EXECUTE_FAIL` wrapping a `DATABASE_TIMEOUT`). Where hits were not grouped (a
//! summary-only run keeps no hits), the specific codes **on the same lines** stand in, and the
//! advice says which it is. The full explanation (the code's reason, the CloudBase page's note)
//! is `cbscan explain`'s.

use crate::catalog::{Catalog, CodeId};
use crate::report::group;
use crate::summary::Summary;
use crate::text::plural;

/// Most specific codes listed beside one generic code; the rest are counted.
pub const SHOWN_ALONGSIDE: usize = 5;

/// What the specific codes beside a generic one were counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Groups: requests, else multi-line events (hits were kept and grouped).
    Groups {
        /// Groups holding the generic code.
        groups: u64,
        /// Of those, groups with nothing more specific.
        alone: u64,
    },
    /// Lines (a summary-only run: no hits were kept to group).
    Lines,
}

impl Basis {
    /// Its name in machine-readable output (`paired_in`): `groups` or `lines`.
    pub fn name(self) -> &'static str {
        match self {
            Basis::Groups { .. } => "groups",
            Basis::Lines => "lines",
        }
    }
}

/// A generic code that was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericSeen {
    /// The generic code.
    pub code: CodeId,
    /// Its hits.
    pub hits: u64,
    /// Lines it was on.
    pub lines: u64,
    /// What [`GenericSeen::hiding`] counts.
    pub basis: Basis,
    /// Specific codes in the same groups (or, for [`Basis::Lines`], on the same lines), with
    /// the number of groups (lines) shared, most first.
    pub hiding: Vec<(CodeId, u64)>,
    /// Specific codes on the same lines, with the number of lines shared, most first (always
    /// counted, whatever the basis).
    pub alongside: Vec<(CodeId, u64)>,
}

/// The generic codes in `summary`, most hits first (ties in catalog order), with what they
/// were hiding per request or event where the hits were grouped, else per line.
pub fn generic_seen(catalog: &Catalog, summary: &Summary) -> Vec<GenericSeen> {
    summary
        .codes_by_count()
        .into_iter()
        .filter(|(code, _)| catalog.code(*code).is_generic())
        .map(|(code, c)| {
            let alongside = summary.together_with(code);
            let (basis, hiding) = match summary.hidden().of(code) {
                Some(groups) => {
                    let mut hiding: Vec<(CodeId, u64)> =
                        groups.with.iter().map(|(&c, &n)| (c, n)).collect();
                    hiding.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                    let basis = Basis::Groups {
                        groups: groups.groups,
                        alone: groups.alone,
                    };
                    (basis, hiding)
                }
                None => (Basis::Lines, alongside.clone()),
            };
            GenericSeen {
                code,
                hits: c.hits,
                lines: c.lines,
                basis,
                hiding,
                alongside,
            }
        })
        .collect()
}

impl GenericSeen {
    /// One line of plain text: `generic FUNCTIONS_EXECUTE_FAIL (130 hits) in 120 requests or
    /// events: 80 with DATABASE_COLLECTION_NOT_EXIST, 25 with FUNCTION_TIME_LIMIT_EXCEEDED, 15
    /// with nothing more specific`; per line when hits were not grouped: `generic
    /// FUNCTIONS_EXECUTE_FAIL (3 hits) hides DATABASE_TIMEOUT (2 lines)`. Catalog texts are not
    /// escaped here: writers escape for their consumer.
    pub fn sentence(&self, catalog: &Catalog) -> String {
        let name = &catalog.code(self.code).code;
        let mut out = format!(
            "generic {name} ({} {})",
            group(self.hits),
            plural(self.hits, "hit", "hits")
        );
        if let Basis::Groups { groups, alone } = self.basis {
            out.push_str(&format!(
                " in {} {}: ",
                group(groups),
                plural(groups, "request or event", "requests or events")
            ));
            let mut parts: Vec<String> = self
                .hiding
                .iter()
                .take(SHOWN_ALONGSIDE)
                .map(|(code, n)| format!("{} with {}", group(*n), catalog.code(*code).code))
                .collect();
            if self.hiding.len() > SHOWN_ALONGSIDE {
                let more = self.hiding.len() - SHOWN_ALONGSIDE;
                parts.push(format!(
                    "{more} more specific {}",
                    plural(more as u64, "code", "codes")
                ));
            }
            if alone > 0 {
                parts.push(format!("{} with nothing more specific", group(alone)));
            }
            out.push_str(&parts.join(", "));
            return out;
        }
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
