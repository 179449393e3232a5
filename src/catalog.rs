//! The catalog of known error codes: categories, meanings (zh and en), the generic flag and
//! numeric aliases. The built-in catalog is `src/catalog.toml`, embedded at compile time and
//! parsed once at start-up; users add or override entries with files in the same format.
//!
//! Invariants the matcher relies on (checked by [`Catalog::extend_from_toml`]):
//! - every code is non-empty and contains no whitespace or control character, so no code can
//!   span a line break and chunks cut at newlines can be scanned independently;
//! - the texts that are searched for (every code and every numeric alias printed in decimal)
//!   are pairwise distinct, so a matched text names exactly one code.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};

/// The built-in catalog, as shipped.
pub const BUILTIN_TOML: &str = include_str!("catalog.toml");
const BUILTIN_NAME: &str = "<built-in>";

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
pub type CodeId = usize;
/// Index of a category in its [`Catalog`].
pub type CategoryId = usize;

/// A group of codes, e.g. `database` 数据库.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Short machine name used on the command line and in JSON (`database`).
    pub id: String,
    /// Chinese name.
    pub zh: String,
    /// English name.
    pub en: String,
    /// Where its codes are documented: a URL in which `{code}` stands for the code.
    pub doc: Option<String>,
}

/// A text several codes share, quoted verbatim where one of them is explained (the
/// CloudBase page's note about its three generic codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Short machine name the codes refer to it by.
    pub id: String,
    /// The note in Chinese.
    pub zh: String,
    /// The note in English.
    pub en: String,
}

/// One error code and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeEntry {
    /// The code exactly as it appears in logs (`DATABASE_TIMEOUT`).
    pub code: String,
    /// The category this code belongs to.
    pub category: CategoryId,
    /// Meaning in Chinese (verbatim from the CloudBase page for its codes).
    pub zh: String,
    /// Meaning in English.
    pub en: String,
    /// Why this code is generic, if it is: generic codes say little and should not be
    /// branched on.
    pub generic_reason: Option<String>,
    /// Numeric codes that mean the same thing (`-502005`).
    pub numeric: Vec<i64>,
    /// Anything else worth knowing.
    pub notes: Option<String>,
    /// The shared note to quote when this (generic) code is explained, an index into
    /// [`Catalog::notes`].
    pub generic_note: Option<usize>,
    /// Where this code is documented, when not where its category says.
    pub doc: Option<String>,
    /// Whether other products use this name too (`PERMISSION_DENIED`, `BAD_REQUEST`): a hit
    /// of it counts only on a line with CloudBase context, unless every code is asked for.
    pub shared: bool,
    /// Whether the meaning comes from what real logs showed rather than from a published
    /// table (TOML `basis = "logs"`): `explain` says so, as such a meaning is a best guess.
    pub inferred: bool,
}

impl CodeEntry {
    /// Whether users are told not to branch on this code.
    pub fn is_generic(&self) -> bool {
        self.generic_reason.is_some()
    }

    /// The number of a numeric-only entry (TOML `number = -404011`), whose `code` is that
    /// number in decimal; `None` for a named code. Named codes are never integers (the
    /// catalog rejects them), so the code text alone tells the two kinds apart.
    pub fn number(&self) -> Option<i64> {
        self.code.parse().ok()
    }

    /// Every number this entry is known by: its own (numeric-only entries), then its aliases.
    pub fn numbers(&self) -> impl Iterator<Item = i64> + '_ {
        self.number()
            .into_iter()
            .chain(self.numeric.iter().copied())
    }
}

/// A text the matcher searches for, and the code it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The exact bytes searched for: a code, or a numeric alias in decimal (`-502005`).
    pub text: String,
    /// The code reported when this text is found.
    pub code: CodeId,
}

/// All known categories and codes.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    categories: Vec<Category>,
    notes: Vec<Note>,
    codes: Vec<CodeEntry>,
    code_index: HashMap<String, CodeId>,
}

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
    /// The built-in catalog.
    pub fn builtin() -> Result<Catalog> {
        let mut catalog = Catalog::default();
        catalog.extend_from_toml(BUILTIN_NAME, BUILTIN_TOML)?;
        Ok(catalog)
    }

    /// A catalog with no categories and no codes, to be filled from files.
    pub fn empty() -> Catalog {
        Catalog::default()
    }

    /// Reads a catalog file and merges it in (see [`Catalog::extend_from_toml`]).
    pub fn extend_from_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::CatalogRead {
            path: path.to_path_buf(),
            source,
        })?;
        self.extend_from_toml(&path.display().to_string(), &text)
    }

    /// Merges a catalog written in TOML: categories and codes with a known id or code replace
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

    /// Where `code` is documented: its own `doc`, else its category's, with `{code}` replaced
    /// by the code.
    pub fn doc_url(&self, code: CodeId) -> Option<String> {
        let entry = &self.codes[code];
        let template = entry
            .doc
            .as_ref()
            .or(self.categories[entry.category].doc.as_ref())?;
        Some(template.replace("{code}", &entry.code))
    }

    /// All categories, in catalog order.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// Shared notes, in catalog order.
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// All codes, in catalog order; a code's position is its [`CodeId`].
    pub fn codes(&self) -> &[CodeEntry] {
        &self.codes
    }

    /// The code with this id.
    pub fn code(&self, id: CodeId) -> &CodeEntry {
        &self.codes[id]
    }

    /// The category with this id.
    pub fn category(&self, id: CategoryId) -> &Category {
        &self.categories[id]
    }

    /// The category with this machine name (`database`), case-insensitively.
    pub fn category_index(&self, name: &str) -> Option<CategoryId> {
        self.categories
            .iter()
            .position(|c| c.id == name)
            .or_else(|| {
                self.categories
                    .iter()
                    .position(|c| c.id.eq_ignore_ascii_case(name))
            })
    }

    /// The code spelled exactly `code`.
    pub fn code_index(&self, code: &str) -> Option<CodeId> {
        self.code_index.get(code).copied()
    }

    /// Finds a code the way a person types it: exact spelling, then any letter case, then a
    /// numeric alias (`-502005`).
    pub fn lookup(&self, query: &str) -> Option<CodeId> {
        let query = query.trim();
        if let Some(id) = self.code_index(query) {
            return Some(id);
        }
        if let Some(id) = self
            .codes
            .iter()
            .position(|c| c.code.eq_ignore_ascii_case(query))
        {
            return Some(id);
        }
        let number: i64 = query.parse().ok()?;
        self.codes
            .iter()
            .position(|c| c.numbers().any(|n| n == number))
    }

    /// Up to `limit` known codes closest to `query`, best first, for "did you mean" hints.
    pub fn suggest(&self, query: &str, limit: usize) -> Vec<&str> {
        self.suggest_among(query, &[], limit)
    }

    /// Up to `limit` of the known codes and the `other` names (category ids, keywords an option
    /// accepts) closest to `query`, best first: one ranking, so a misspelt category
    /// (`databse`) is offered before the codes that merely start like it.
    pub fn suggest_among<'a>(
        &'a self,
        query: &str,
        other: &[&'a str],
        limit: usize,
    ) -> Vec<&'a str> {
        // A number without its sign (`502005`) most likely means the negative alias.
        if let Ok(number) = query.trim().parse::<i64>() {
            if let Some(id) = self
                .codes
                .iter()
                .position(|c| c.numbers().any(|n| n == -number))
            {
                return vec![self.codes[id].code.as_str()];
            }
        }
        let codes = self.codes.iter().map(|c| c.code.as_str());
        closest(query, other.iter().copied().chain(codes), limit)
    }

    /// Every text the matcher must search for: each code, then each numeric alias.
    pub fn patterns(&self) -> Vec<Pattern> {
        let mut patterns: Vec<Pattern> = self
            .codes
            .iter()
            .enumerate()
            .map(|(id, c)| Pattern {
                text: c.code.clone(),
                code: id,
            })
            .collect();
        for (id, entry) in self.codes.iter().enumerate() {
            for number in &entry.numeric {
                patterns.push(Pattern {
                    text: number.to_string(),
                    code: id,
                });
            }
        }
        patterns
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
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

/// Up to `limit` of `candidates` closest to `query` in any letter case, best first, for "did
/// you mean" hints. A candidate holding the whole query (`timeout`) ranks above similar
/// spellings, the shortest first; then Jaro-Winkler similarity, which favours a common start,
/// as typos usually leave the start of a word intact.
pub fn closest<'a>(
    query: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Vec<&'a str> {
    let query = query.trim().to_ascii_uppercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|candidate| {
            let upper = candidate.to_ascii_uppercase();
            let score = if query.len() >= 3 && upper.contains(&query) {
                2.0 - upper.len() as f64 / 1000.0
            } else {
                strsim::jaro_winkler(&query, &upper)
            };
            (score, candidate)
        })
        .filter(|(score, _)| *score > 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(limit)
        .map(|(_, candidate)| candidate)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog_error(text: &str) -> String {
        let mut catalog = Catalog::builtin().expect("built-in catalog parses");
        catalog
            .extend_from_toml("user.toml", text)
            .expect_err("catalog must be rejected")
            .to_string()
    }

    #[test]
    fn builtin_has_the_expected_shape() {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        // 54 general (44 table rows, 9 sibling-page codes, -1) + 77 in the page's other
        // sections (76 + FUNCTIONS_REQUEST_FAIL) + 11 sibling codes + 73 numeric-only.
        assert_eq!(catalog.codes().len(), 215);
        assert_eq!(catalog.categories().len(), 11);
        assert_eq!(catalog.categories()[0].id, "general");
        let aliases: usize = catalog.codes().iter().map(|c| c.numeric.len()).sum();
        assert_eq!(aliases, 20);
        let numeric_only = catalog.codes().iter().filter(|c| c.number().is_some());
        assert_eq!(numeric_only.count(), 74);
        let generic: Vec<&str> = catalog
            .codes()
            .iter()
            .filter(|c| c.is_generic())
            .map(|c| c.code.as_str())
            .collect();
        assert_eq!(
            generic,
            [
                "SYS_ERR",
                "DATABASE_REQUEST_FAILED",
                "FUNCTIONS_EXECUTE_FAIL",
                "STORAGE_REQUEST_FAIL",
                "-1",
                "-404011",
                "-501000",
            ]
        );
        let inferred: Vec<&str> = catalog
            .codes()
            .iter()
            .filter(|c| c.inferred)
            .map(|c| c.code.as_str())
            .collect();
        assert_eq!(
            inferred,
            ["-501000", "-501023", "-504003", "-601034", "-606003"]
        );
        assert_eq!(catalog.patterns().len(), 215 + 20);
    }

    #[test]
    fn numeric_only_entries_are_codes_named_by_their_number() {
        let mut catalog = Catalog::builtin().expect("built-in catalog parses");
        catalog
            .extend_from_toml(
                "user.toml",
                "[[code]]\nnumber = -700001\ncategory = \"wechat\"\nzh = \"x\"\nbasis = \"logs\"\n",
            )
            .expect("valid numeric entry");
        let id = catalog.code_index("-700001").expect("known by its number");
        let entry = catalog.code(id);
        assert_eq!(entry.number(), Some(-700001));
        assert!(entry.inferred);
        assert_eq!(catalog.lookup("-700001"), Some(id));
        assert_eq!(catalog.suggest("700001", 3), ["-700001"]);
        assert!(catalog
            .patterns()
            .iter()
            .any(|p| p.text == "-700001" && p.code == id));
        let wrapper = catalog.code_index("-404011").expect("built in");
        assert!(catalog.code(wrapper).is_generic());
        assert!(!catalog.code(wrapper).inferred);
        let named = catalog.code_index("INVALID_ENV").expect("built in");
        assert_eq!(catalog.code(named).number(), None);
        assert!(
            catalog
                .code(catalog.code_index("-1").expect("built in"))
                .shared
        );
    }

    #[test]
    fn numeric_entries_are_validated() {
        let err = catalog_error("[[code]]\nnumber = 404011\ncategory = \"sdk\"\nen = \"x\"\n");
        assert!(err.starts_with("catalog user.toml:2:"), "{err}");
        assert!(err.contains("must be negative"), "{err}");

        let err = catalog_error(
            "[[code]]\ncode = \"A_B\"\nnumber = -700001\ncategory = \"sdk\"\nen = \"x\"\n",
        );
        assert!(err.starts_with("catalog user.toml:2:"), "{err}");
        assert!(err.contains("not both"), "{err}");

        let err = catalog_error("[[code]]\ncategory = \"sdk\"\nen = \"x\"\n");
        assert!(err.starts_with("catalog user.toml:2:"), "{err}");
        assert!(err.contains("needs `code`"), "{err}");

        let err = catalog_error("[[code]]\ncode = \"-700001\"\ncategory = \"sdk\"\nen = \"x\"\n");
        assert!(err.starts_with("catalog user.toml:2:"), "{err}");
        assert!(err.contains("number = -700001"), "{err}");

        let err = catalog_error("[[code]]\nnumber = -7.5\ncategory = \"sdk\"\nen = \"x\"\n");
        assert!(err.starts_with("catalog user.toml:2:"), "{err}");

        // The number of a numeric entry is searched for like an alias: it must not clash.
        let err = catalog_error("[[code]]\ncategory = \"sdk\"\nen = \"x\"\nnumber = -502005\n");
        assert!(err.contains("would match both"), "{err}");
        assert!(err.starts_with("catalog user.toml:4:"), "{err}");

        let err = catalog_error(
            "[[code]]\nnumber = -700001\ncategory = \"sdk\"\nen = \"x\"\nbasis = \"rumour\"\n",
        );
        assert!(err.starts_with("catalog user.toml:5:"), "{err}");
        assert!(err.contains("basis `rumour`"), "{err}");
    }

    #[test]
    fn lookup_accepts_any_case_and_numbers() {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let id = catalog
            .code_index("DATABASE_COLLECTION_NOT_EXIST")
            .expect("known code");
        assert_eq!(catalog.lookup("database_collection_not_exist"), Some(id));
        assert_eq!(catalog.lookup("-502005"), Some(id));
        assert_eq!(catalog.lookup("NOPE"), None);
        assert_eq!(
            catalog.suggest("DATABASE_TIMEOUTS", 3).first(),
            Some(&"DATABASE_TIMEOUT")
        );
        assert_eq!(
            catalog.suggest("502005", 3),
            ["DATABASE_COLLECTION_NOT_EXIST"]
        );
        let timeouts = catalog.suggest("timeout", 3);
        assert_eq!(timeouts.len(), 3);
        assert!(
            timeouts.iter().all(|c| c.contains("TIMEOUT")),
            "{timeouts:?}"
        );
    }

    #[test]
    fn user_entries_override_and_extend() {
        let mut catalog = Catalog::builtin().expect("built-in catalog parses");
        let before = catalog.codes().len();
        catalog
            .extend_from_toml(
                "user.toml",
                "[[category]]\nid = \"payments\"\nen = \"Payments\"\n\n\
                 [[code]]\ncode = \"PAY_DECLINED\"\ncategory = \"payments\"\nen = \"Declined\"\nnumeric = [-700001]\n\n\
                 [[code]]\ncode = \"DATABASE_TIMEOUT\"\ncategory = \"database\"\nen = \"Overridden\"\n",
            )
            .expect("valid user catalog");
        assert_eq!(catalog.codes().len(), before + 1);
        let timeout = catalog.code_index("DATABASE_TIMEOUT").expect("still known");
        assert_eq!(catalog.code(timeout).en, "Overridden");
        assert_eq!(
            catalog.lookup("-700001"),
            catalog.code_index("PAY_DECLINED")
        );
    }

    #[test]
    fn invalid_catalogs_name_line_and_problem() {
        let err = catalog_error("[[code]]\ncode = \"\"\ncategory = \"database\"\nen = \"x\"\n");
        assert!(err.starts_with("catalog user.toml:2:"), "{err}");
        assert!(err.contains("empty code"), "{err}");

        let err = catalog_error(
            "[[code]]\ncode = \"A_B\"\ncategory = \"database\"\nen = \"x\"\n\n[[code]]\ncode = \"A_B\"\ncategory = \"database\"\nen = \"y\"\n",
        );
        assert!(err.starts_with("catalog user.toml:7:"), "{err}");
        assert!(err.contains("duplicate code `A_B`"), "{err}");

        let err = catalog_error("[[code]]\ncode = \"A_B\"\ncategory = \"nosuch\"\nen = \"x\"\n");
        assert!(err.starts_with("catalog user.toml:3:"), "{err}");
        assert!(err.contains("unknown category `nosuch`"), "{err}");

        let err = catalog_error("[[code]\ncode = 1\n");
        assert!(err.starts_with("catalog user.toml:1:"), "{err}");

        let err = catalog_error(
            "[[code]]\ncode = \"X_Y\"\ncategory = \"sdk\"\nen = \"x\"\nnumeric = [-502005]\n",
        );
        assert!(err.contains("would match both"), "{err}");
        assert!(err.starts_with("catalog user.toml:2:"), "{err}");

        let err = catalog_error("[[code]]\ncode = \"X_Y\"\ncatagory = \"sdk\"\n");
        assert!(err.contains("catagory"), "{err}");
    }

    #[test]
    fn failed_merge_leaves_catalog_unchanged() {
        let mut catalog = Catalog::builtin().expect("built-in catalog parses");
        let before = catalog.codes().to_vec();
        let result = catalog.extend_from_toml(
            "bad.toml",
            "[[code]]\ncode = \"NEW_ONE\"\ncategory = \"sdk\"\nen = \"x\"\n\n[[code]]\ncode = \"\"\ncategory = \"sdk\"\nen = \"y\"\n",
        );
        assert!(result.is_err());
        assert_eq!(catalog.codes(), &before[..]);
    }
}
