//! Reading a catalog file: the TOML records, their validation (with the line and column of
//! each problem) and the all-or-nothing merge into a [`Catalog`].

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{Catalog, Category, CodeEntry, CodeId, Note};
use crate::error::{Error, Result};

/// A `doc` URL template, checked: links end up in SARIF rules, Markdown and HTML, where only
/// web addresses belong (a `javascript:` link in a report would be a way in).
fn checked_doc(
    doc: Option<Spanned<String>>,
) -> std::result::Result<Option<String>, (Range<usize>, String)> {
    let Some(doc) = doc else { return Ok(None) };
    let url = doc.get_ref().trim();
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !web || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err((
            doc.span(),
            format!(
                "doc `{}` must be an http(s) URL without spaces",
                url.escape_debug()
            ),
        ));
    }
    Ok(Some(url.to_string()))
}

/// Index of a code in its [`Catalog`] (stable for the catalog's lifetime).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    category: Vec<CategoryRecord>,
    #[serde(default)]
    code: Vec<CodeRecord>,
    #[serde(default)]
    note: Vec<NoteRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteRecord {
    id: Spanned<String>,
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryRecord {
    id: Spanned<String>,
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
    #[serde(default)]
    doc: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRecord {
    #[serde(default)]
    code: Option<Spanned<String>>,
    #[serde(default)]
    number: Option<Spanned<i64>>,
    category: Spanned<String>,
    #[serde(default)]
    zh: String,
    #[serde(default)]
    en: String,
    #[serde(default)]
    generic: Option<Spanned<bool>>,
    #[serde(default)]
    generic_reason: Option<String>,
    #[serde(default)]
    numeric: Option<Spanned<Vec<i64>>>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    generic_note: Option<Spanned<String>>,
    #[serde(default)]
    doc: Option<Spanned<String>>,
    #[serde(default)]
    shared: bool,
    #[serde(default)]
    basis: Option<Spanned<String>>,
}

impl Catalog {
    /// the existing ones in place, new ones are appended. The merge is all or nothing: on error
    /// `self` is unchanged, and the error names `source_name`, the line and the problem.
    pub fn extend_from_toml(&mut self, source_name: &str, text: &str) -> Result<()> {
        let fail = |span: Range<usize>, message: String| {
            let (line, column) = line_column(text, span.start);
            Error::Catalog {
                source_name: source_name.to_string(),
                line,
                column,
                message,
            }
        };
        let file: CatalogFile = toml::from_str(text)
            .map_err(|e| fail(e.span().unwrap_or(0..0), e.message().trim_end().to_string()))?;

        let mut merged = self.clone();
        let mut ids_in_file: HashMap<String, ()> = HashMap::new();
        for record in file.category {
            let id = record.id.get_ref().trim();
            if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(fail(
                    record.id.span(),
                    "category id must be non-empty, without spaces or control characters".into(),
                ));
            }
            if ids_in_file.insert(id.to_string(), ()).is_some() {
                return Err(fail(
                    record.id.span(),
                    format!("duplicate category `{id}` in this file"),
                ));
            }
            let category = Category {
                id: id.to_string(),
                zh: record.zh,
                en: record.en,
                doc: checked_doc(record.doc).map_err(|(span, m)| fail(span, m))?,
            };
            match merged.categories.iter().position(|c| c.id == id) {
                Some(existing) => merged.categories[existing] = category,
                None => merged.categories.push(category),
            }
        }

        for record in file.note {
            let id = record.id.get_ref().trim();
            if id.is_empty() {
                return Err(fail(record.id.span(), "note id must be non-empty".into()));
            }
            let note = Note {
                id: id.to_string(),
                zh: record.zh,
                en: record.en,
            };
            match merged.notes.iter().position(|n| n.id == id) {
                Some(existing) => merged.notes[existing] = note,
                None => merged.notes.push(note),
            }
        }

        let mut codes_in_file: HashMap<String, ()> = HashMap::new();
        for record in file.code {
            let (code, code_span) = match (&record.code, &record.number) {
                (Some(code), None) => (code.get_ref().clone(), code.span()),
                (None, Some(number)) => {
                    // Every CloudBase and WeChat numeric code is negative; a bare positive
                    // number would match counters, ports and ids in ordinary log text.
                    if *number.get_ref() >= 0 {
                        return Err(fail(
                            number.span(),
                            format!(
                                "number {} must be negative, as CloudBase and WeChat numeric codes are",
                                number.get_ref()
                            ),
                        ));
                    }
                    (number.get_ref().to_string(), number.span())
                }
                (Some(code), Some(_)) => {
                    return Err(fail(
                        code.span(),
                        "set either `code` (a name) or `number` (a numeric-only code), not both"
                            .into(),
                    ))
                }
                (None, None) => {
                    return Err(fail(
                        record.category.span(),
                        "entry needs `code` (a name) or `number` (a numeric-only code)".into(),
                    ))
                }
            };
            let code = &code;
            if record.number.is_none() && code.parse::<i64>().is_ok() {
                return Err(fail(
                    code_span,
                    format!("code `{code}` is a number: write it as `number = {code}`"),
                ));
            }
            if code.is_empty() {
                return Err(fail(code_span, "empty code".into()));
            }
            if code.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(fail(
                    code_span,
                    format!(
                        "code `{}` contains whitespace or a control character",
                        code.escape_debug()
                    ),
                ));
            }
            if codes_in_file.insert(code.clone(), ()).is_some() {
                return Err(fail(
                    code_span.clone(),
                    format!("duplicate code `{code}` in this file"),
                ));
            }
            let category_name = record.category.get_ref();
            let Some(category) = merged.category_index(category_name) else {
                let known: Vec<&str> = merged.categories.iter().map(|c| c.id.as_str()).collect();
                return Err(fail(
                    record.category.span(),
                    format!(
                        "unknown category `{category_name}` for code `{code}` (known: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            };
            if record.zh.trim().is_empty() && record.en.trim().is_empty() {
                return Err(fail(
                    code_span,
                    format!("code `{code}` needs a meaning: set `zh`, `en` or both"),
                ));
            }
            let generic = record.generic.as_ref().is_some_and(|g| *g.get_ref());
            let generic_reason = match (generic, record.generic_reason) {
                (true, Some(reason)) if !reason.trim().is_empty() => Some(reason),
                (true, _) => {
                    let span = record.generic.map(|g| g.span()).unwrap_or(code_span);
                    return Err(fail(
                        span,
                        format!("code `{code}` is generic = true but has no generic_reason"),
                    ));
                }
                (false, _) => None,
            };
            let generic_note = match &record.generic_note {
                None => None,
                Some(id) => match merged.notes.iter().position(|n| n.id == *id.get_ref()) {
                    Some(note) => Some(note),
                    None => {
                        return Err(fail(
                            id.span(),
                            format!("unknown note `{}` for code `{code}`", id.get_ref()),
                        ))
                    }
                },
            };
            let inferred = match &record.basis {
                None => false,
                Some(basis) => match basis.get_ref().as_str() {
                    "table" => false,
                    "logs" => true,
                    other => {
                        return Err(fail(
                            basis.span(),
                            format!(
                                "basis `{}` for code `{code}` must be \"table\" or \"logs\"",
                                other.escape_debug()
                            ),
                        ))
                    }
                },
            };
            let entry = CodeEntry {
                inferred,
                doc: checked_doc(record.doc).map_err(|(span, m)| fail(span, m))?,
                generic_note,
                code: code.clone(),
                category,
                zh: record.zh,
                en: record.en,
                generic_reason,
                numeric: record.numeric.map(|n| n.into_inner()).unwrap_or_default(),
                notes: record.notes.filter(|n| !n.trim().is_empty()),
                shared: record.shared,
            };
            match merged.code_index.get(code) {
                Some(&existing) => merged.codes[existing] = entry,
                None => {
                    merged.code_index.insert(code.clone(), merged.codes.len());
                    merged.codes.push(entry);
                }
            }
        }

        // Searched texts must be distinct across the whole merged catalog; report the clash at
        // the line in this file that introduced it.
        let mut owner: HashMap<String, CodeId> = HashMap::new();
        for pattern in merged.patterns() {
            if let Some(&first) = owner.get(&pattern.text) {
                if first != pattern.code {
                    let culprit = &merged.codes[pattern.code].code;
                    // Either side may be the one this file introduced (a numeric entry's own
                    // text is listed before the aliases it clashes with).
                    let span = find_code_span(text, culprit)
                        .or_else(|| find_code_span(text, &merged.codes[first].code))
                        .unwrap_or(0..0);
                    return Err(fail(
                        span,
                        format!(
                            "`{}` would match both `{}` and `{}`",
                            pattern.text, merged.codes[first].code, culprit
                        ),
                    ));
                }
            } else {
                owner.insert(pattern.text, pattern.code);
            }
        }
        *self = merged;
        Ok(())
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Where `code = "<code>"` (or `number = <code>`) is written in `text`, for pointing at a
/// clash.
fn find_code_span(text: &str, code: &str) -> Option<Range<usize>> {
    let quoted = format!("\"{code}\"");
    let number = format!("= {code}");
    let found = |needle: &str| text.find(needle).map(|start| start..start + needle.len());
    found(&quoted).or_else(|| {
        code.parse::<i64>()
            .ok()
            .and_then(|_| found(&number))
            .map(|span| span.start + 2..span.end)
    })
}
