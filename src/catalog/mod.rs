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
use std::path::Path;

use crate::error::{Error, Result};

mod file;
pub mod search;
#[cfg(test)]
mod tests;

/// The built-in catalog, as shipped.
pub const BUILTIN_TOML: &str = include_str!("../catalog.toml");
const BUILTIN_NAME: &str = "<built-in>";

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
    /// Both meanings, `zh / en`, or the one the entry has.
    pub fn meaning(&self) -> String {
        [self.zh.as_str(), self.en.as_str()]
            .into_iter()
            .filter(|m| !m.is_empty())
            .collect::<Vec<_>>()
            .join(" / ")
    }

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

    /// A stable fingerprint of the code list (each code's name, category id and generic flag,
    /// in catalog order): JSON lines record it, so that `cbscan report` can tell output
    /// written with another catalog (FNV-1a, 64 bits, in hex: the same on every platform and
    /// release, unlike the standard library's hasher).
    pub fn fingerprint(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        for entry in &self.codes {
            eat(entry.code.as_bytes());
            eat(b"\t");
            eat(self.categories[entry.category].id.as_bytes());
            eat(if entry.is_generic() {
                b"\tg\n"
            } else {
                b"\t-\n"
            });
        }
        format!("{hash:016x}")
    }

    /// Adds a code this catalog lacks, as another catalog described it (output read back by
    /// `cbscan report`): its category is found by id or added (named by its id), and it gets
    /// no numeric alias, so it changes no pattern of the known codes. A code already known is
    /// left as it is. Returns its id.
    pub fn add_foreign_code(
        &mut self,
        code: &str,
        category: &str,
        generic: bool,
        zh: &str,
        en: &str,
    ) -> CodeId {
        if let Some(id) = self.code_index(code) {
            return id;
        }
        let category = match self.categories.iter().position(|c| c.id == category) {
            Some(id) => id,
            None => {
                self.categories.push(Category {
                    id: category.to_string(),
                    zh: category.to_string(),
                    en: category.to_string(),
                    doc: None,
                });
                self.categories.len() - 1
            }
        };
        let id = self.codes.len();
        self.codes.push(CodeEntry {
            code: code.to_string(),
            category,
            zh: zh.to_string(),
            en: en.to_string(),
            generic_reason: generic.then(|| "generic in the catalog that wrote it".to_string()),
            numeric: Vec::new(),
            notes: None,
            generic_note: None,
            doc: None,
            shared: false,
            inferred: false,
        });
        self.code_index.insert(code.to_string(), id);
        id
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
