//! Which codes a scan reports and what makes it fail, resolved against a catalog: the filters
//! (`--category`, `--code`, `--exclude-code`), the failure rules (`--fail-on`) and the exit
//! decision. Library data, so every front end (scan, follow, run, report) decides alike.

use std::collections::HashSet;

use crate::catalog::{closest, Catalog, CategoryId, CodeId};
use crate::error::{Error, Result};
use crate::scan::CodeFilter;
use crate::summary::Counts;

/// What makes a scan fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailOn {
    /// Any reported hit.
    Any,
    /// A generic code.
    Generic,
    /// A specific (not generic) code.
    Specific,
    /// A code of this category.
    Category(CategoryId),
    /// This code.
    Code(CodeId),
}

/// How a scan ended, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing matched the failure rules.
    Pass,
    /// A reported hit matched a failure rule.
    Fail,
    /// Something could not be read or written: the result is incomplete.
    Error,
}

/// The resolved policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The failure rules (empty: never fail on hits).
    pub fail_on: Vec<FailOn>,
}

/// The words `--fail-on` takes besides categories and codes.
const FAIL_ON_WORDS: [&str; 4] = ["any", "none", "generic", "specific"];

/// `; did you mean A, B?` for an unknown code, or nothing.
pub fn did_you_mean(catalog: &Catalog, query: &str) -> String {
    suggestion(&catalog.suggest(query, 3))
}

/// `; did you mean A, B?` naming `close`, or nothing if it is empty.
fn suggestion(close: &[&str]) -> String {
    if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", close.join(", "))
    }
}

/// The catalog's category ids.
fn category_ids(catalog: &Catalog) -> impl Iterator<Item = &str> {
    catalog.categories().iter().map(|c| c.id.as_str())
}

/// The catalog's category ids, comma-separated, for messages.
pub fn category_list(catalog: &Catalog) -> String {
    category_ids(catalog).collect::<Vec<_>>().join(", ")
}

/// The code `query` names (any case, or a numeric alias); `flag` names the option in errors.
pub fn resolve_code(catalog: &Catalog, flag: &str, query: &str) -> Result<CodeId> {
    catalog.lookup(query).ok_or_else(|| {
        Error::Usage(format!(
            "{flag} {query:?}: unknown code{}",
            did_you_mean(catalog, query)
        ))
    })
}

/// The categories `names` name; an unknown name is an error.
pub fn resolve_categories(catalog: &Catalog, names: &[String]) -> Result<HashSet<CategoryId>> {
    names
        .iter()
        .map(|name| {
            catalog.category_index(name).ok_or_else(|| {
                Error::Usage(format!(
                    "--category {name:?}: unknown category (known: {}){}",
                    category_list(catalog),
                    suggestion(&closest(name, category_ids(catalog), 3))
                ))
            })
        })
        .collect()
}

/// The filter for `--category`, `--code` and `--exclude-code`: with neither categories nor
/// codes, every code; else the codes named and the codes of the categories named; never an
/// excluded code.
pub fn code_filter(
    catalog: &Catalog,
    categories: &[String],
    codes: &[String],
    excluded: &[String],
) -> Result<CodeFilter> {
    let categories = resolve_categories(catalog, categories)?;
    let codes = codes
        .iter()
        .map(|q| resolve_code(catalog, "--code", q))
        .collect::<Result<HashSet<_>>>()?;
    let excluded = excluded
        .iter()
        .map(|q| resolve_code(catalog, "--exclude-code", q))
        .collect::<Result<HashSet<_>>>()?;
    let include_all = categories.is_empty() && codes.is_empty();
    Ok(CodeFilter::only(catalog, |code| {
        let included = include_all
            || codes.contains(&code)
            || categories.contains(&catalog.code(code).category);
        included && !excluded.contains(&code)
    }))
}

impl Policy {
    /// The policy `--fail-on` values say: `any` (the default when none is given), `none`,
    /// `generic`, `specific`, a category or a code.
    pub fn parse(catalog: &Catalog, values: &[String]) -> Result<Policy> {
        if values.is_empty() {
            return Ok(Policy {
                fail_on: vec![FailOn::Any],
            });
        }
        // `none` with a rule would otherwise be dropped in silence, and whichever the person
        // meant, never failing or failing on that rule, the other half would be a surprise.
        if values.iter().any(|v| v == "none") {
            if let Some(other) = values.iter().find(|v| *v != "none") {
                return Err(Error::Usage(format!(
                    "--fail-on none cannot be combined with --fail-on {other:?}: none means \
                     never fail on hits; keep either none or the other rules"
                )));
            }
        }
        let mut fail_on = Vec::new();
        for value in values {
            match value.as_str() {
                "any" => fail_on.push(FailOn::Any),
                "none" => {}
                "generic" => fail_on.push(FailOn::Generic),
                "specific" => fail_on.push(FailOn::Specific),
                other => {
                    if let Some(category) = catalog.category_index(other) {
                        fail_on.push(FailOn::Category(category));
                    } else if let Some(code) = catalog.lookup(other) {
                        fail_on.push(FailOn::Code(code));
                    } else {
                        // A misspelt word or category is as likely as a misspelt code.
                        let others: Vec<&str> = FAIL_ON_WORDS
                            .into_iter()
                            .chain(category_ids(catalog))
                            .collect();
                        return Err(Error::Usage(format!(
                            "--fail-on {other:?}: not any, none, generic, specific, a category ({}) or a known code{}",
                            category_list(catalog),
                            suggestion(&catalog.suggest_among(other, &others, 3))
                        )));
                    }
                }
            }
        }
        Ok(Policy { fail_on })
    }

    /// Whether a hit of `code` fails the scan.
    pub fn fails_on(&self, catalog: &Catalog, code: CodeId) -> bool {
        let entry = catalog.code(code);
        self.fail_on.iter().any(|rule| match rule {
            FailOn::Any => true,
            FailOn::Generic => entry.is_generic(),
            FailOn::Specific => !entry.is_generic(),
            FailOn::Category(c) => entry.category == *c,
            FailOn::Code(c) => code == *c,
        })
    }

    /// Whether any hit counted in `counts` fails the scan.
    pub fn fails(&self, catalog: &Catalog, counts: &Counts) -> bool {
        counts
            .codes_by_count()
            .into_iter()
            .any(|(code, _)| self.fails_on(catalog, code))
    }

    /// The verdict on a scan: an error if an input could not be read (or the output could
    /// not be written: `output_failed`), else whether a hit fails it.
    pub fn verdict(&self, catalog: &Catalog, counts: &Counts, output_failed: bool) -> Verdict {
        if counts.errors() > 0 || output_failed {
            Verdict::Error
        } else if self.fails(catalog, counts) {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_rules_resolve_against_the_catalog() {
        let catalog = Catalog::builtin().unwrap();
        let policy = Policy::parse(&catalog, &["generic".into(), "auth".into()]).unwrap();
        let generic = catalog.lookup("FUNCTIONS_EXECUTE_FAIL").unwrap();
        let timeout = catalog.lookup("DATABASE_TIMEOUT").unwrap();
        assert!(policy.fails_on(&catalog, generic));
        assert!(!policy.fails_on(&catalog, timeout));
        let none = Policy::parse(&catalog, &["none".into()]).unwrap();
        assert!(!none.fails_on(&catalog, timeout));
        let err = Policy::parse(&catalog, &["DATABASE_TIMEOTU".into()]).unwrap_err();
        assert!(
            err.to_string().contains("did you mean DATABASE_TIMEOUT"),
            "{err}"
        );
    }
}
