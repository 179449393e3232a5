//! Which codes a scan reports and what makes it fail, resolved against a catalog: the filters
//! (`--category`, `--code`, `--exclude-code`), the failure rules (`--fail-on`, with thresholds
//! and a baseline), the severity of each code in every report, and the exit decision. Library
//! data, so every front end (scan, follow, run, report) and every format decides alike.

use std::collections::HashSet;

use crate::baseline::{Baseline, Change};
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
    /// A code not in the catalog, seen in a code position (`--fail-on unknown`); with
    /// `unknown>N`, past N occurrences. No hit is ever of such a code.
    Unknown,
}

/// A failure rule: what it covers and how many lines with hits it tolerates
/// (`--fail-on 'DATABASE_TIMEOUT>5'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailRule {
    /// The codes it covers.
    pub on: FailOn,
    /// It fails the scan only past this many lines with hits of its codes (0: on the first).
    pub more_than: u64,
}

impl FailRule {
    /// The rule as `--fail-on` takes it: `any`, `database`, `DATABASE_TIMEOUT>3`.
    pub fn describe(&self, catalog: &Catalog) -> String {
        let name = match self.on {
            FailOn::Any => "any",
            FailOn::Generic => "generic",
            FailOn::Specific => "specific",
            FailOn::Category(c) => catalog.category(c).id.as_str(),
            FailOn::Code(c) => catalog.code(c).code.as_str(),
            FailOn::Unknown => "unknown",
        };
        match self.more_than {
            0 => name.to_string(),
            n => format!("{name}>{n}"),
        }
    }
}

/// How serious a code's hits are, the same in every format: an error when they fail the scan,
/// else a note for a generic code and a warning for a specific one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The hits fail the scan.
    Error,
    /// A specific code that does not fail the scan.
    Warning,
    /// A generic code that does not fail the scan.
    Note,
}

impl Level {
    /// The word SARIF, GitHub and the text formats use: `error`, `warning`, `note`.
    pub fn word(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
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
    pub rules: Vec<FailRule>,
    /// An earlier scan's codes: when set, only codes new to it, or on more lines than in it,
    /// can fail the scan.
    pub baseline: Option<Baseline>,
}

/// `NAME>N` → (`NAME`, N); `NAME` → (`NAME`, 0).
fn split_threshold(value: &str) -> Result<(&str, u64)> {
    let Some((name, number)) = value.split_once('>') else {
        return Ok((value.trim(), 0));
    };
    let name = name.trim();
    let number = number.trim();
    if name == "none" {
        return Err(Error::Usage(format!(
            "--fail-on {value:?}: none never fails, so it takes no threshold"
        )));
    }
    if name.is_empty() {
        return Err(Error::Usage(format!(
            "--fail-on {value:?}: say what the threshold is for, as in DATABASE_TIMEOUT>5 or any>10"
        )));
    }
    if let Some(at_least) = number.strip_prefix('=') {
        let hint = match at_least.trim().parse::<u64>() {
            Ok(n) if n > 0 => format!("; for {n} or more, write {name}>{}", n - 1),
            _ => String::new(),
        };
        return Err(Error::Usage(format!(
            "--fail-on {value:?}: a threshold is written >N (fail past N lines with hits){hint}"
        )));
    }
    let more_than = number.parse::<u64>().map_err(|_| {
        Error::Usage(format!(
            "--fail-on {value:?}: {number:?} after > is not a whole number of lines"
        ))
    })?;
    Ok((name, more_than))
}

/// The words `--fail-on` takes besides categories and codes.
const FAIL_ON_WORDS: [&str; 5] = ["any", "none", "generic", "specific", "unknown"];

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
    /// `generic`, `specific`, a category or a code, each but `none` optionally followed by
    /// `>N` (fail only past N lines with hits).
    pub fn parse(catalog: &Catalog, values: &[String]) -> Result<Policy> {
        if values.is_empty() {
            return Ok(Policy {
                rules: vec![FailRule {
                    on: FailOn::Any,
                    more_than: 0,
                }],
                baseline: None,
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
        let mut rules = Vec::new();
        for value in values {
            if value == "none" {
                continue;
            }
            let (name, more_than) = split_threshold(value)?;
            let on = match name {
                "any" => FailOn::Any,
                "generic" => FailOn::Generic,
                "specific" => FailOn::Specific,
                "unknown" => FailOn::Unknown,
                other => {
                    if let Some(category) = catalog.category_index(other) {
                        FailOn::Category(category)
                    } else if let Some(code) = catalog.lookup(other) {
                        FailOn::Code(code)
                    } else {
                        // A misspelt word or category is as likely as a misspelt code.
                        let others: Vec<&str> = FAIL_ON_WORDS
                            .into_iter()
                            .chain(category_ids(catalog))
                            .collect();
                        return Err(Error::Usage(format!(
                            "--fail-on {other:?}: not any, none, generic, specific, unknown, a category ({}) or a known code{}",
                            category_list(catalog),
                            suggestion(&catalog.suggest_among(other, &others, 3))
                        )));
                    }
                }
            };
            rules.push(FailRule { on, more_than });
        }
        Ok(Policy {
            rules,
            baseline: None,
        })
    }

    /// The rules as `--fail-on` takes them (`any`, `DATABASE_TIMEOUT>3`, `database`; `none`
    /// for no rule), comma-separated. (Whether a baseline applies is `self.baseline`.)
    pub fn describe(&self, catalog: &Catalog) -> String {
        if self.rules.is_empty() {
            return "none".to_string();
        }
        let rules: Vec<String> = self.rules.iter().map(|r| r.describe(catalog)).collect();
        rules.join(", ")
    }

    /// The rules that cover no code `filter` reports, as `--fail-on` names them: they can
    /// never fail a scan (`--exclude-code X --fail-on X`), which is worth a warning.
    pub fn unreachable_rules(&self, catalog: &Catalog, filter: &CodeFilter) -> Vec<String> {
        self.rules
            .iter()
            .filter(|rule| {
                rule.on != FailOn::Unknown
                    && !(0..catalog.codes().len())
                        .any(|code| filter.keeps(code) && Self::covers(catalog, rule, code))
            })
            .map(|rule| rule.describe(catalog))
            .collect()
    }

    /// The same rules, failing only on what `baseline` does not have.
    pub fn with_baseline(self, baseline: Baseline) -> Policy {
        Policy {
            baseline: Some(baseline),
            ..self
        }
    }

    /// Whether `rule` covers `code`.
    fn covers(catalog: &Catalog, rule: &FailRule, code: CodeId) -> bool {
        let entry = catalog.code(code);
        match rule.on {
            FailOn::Any => true,
            FailOn::Generic => entry.is_generic(),
            FailOn::Specific => !entry.is_generic(),
            FailOn::Category(c) => entry.category == c,
            FailOn::Code(c) => code == c,
            FailOn::Unknown => false,
        }
    }

    /// Whether hits of `code` can fail a scan at all, whatever the counts and the baseline
    /// (what a report that keeps only some hits keeps first).
    pub fn may_fail(&self, catalog: &Catalog, code: CodeId) -> bool {
        self.rules
            .iter()
            .any(|rule| Self::covers(catalog, rule, code))
    }

    /// How `code` compares with the baseline, if there is one.
    pub fn change(&self, catalog: &Catalog, counts: &Counts, code: CodeId) -> Option<Change> {
        let baseline = self.baseline.as_ref()?;
        Some(baseline.change(&catalog.code(code).code, counts.code(code).lines))
    }

    /// Whether the baseline lets `code` fail the scan: always without a baseline, else when
    /// it is new or on more lines.
    fn beyond_baseline(&self, catalog: &Catalog, counts: &Counts, code: CodeId) -> bool {
        self.change(catalog, counts, code)
            .is_none_or(|change| change.is_worse())
    }

    /// The lines with hits `rule` counts. Without a baseline, the lines of its codes: exact
    /// for a single code and for `any`; for a group of codes the lines of each code are added
    /// up, so a line with two of its codes counts twice. With a baseline, only lines beyond
    /// it: all the lines of a new code, the added lines of a code that grew (a team that
    /// adopts cbscan with `CODE>3` tolerates three more lines than it had, not three in all).
    fn rule_lines(&self, catalog: &Catalog, counts: &Counts, rule: &FailRule) -> u64 {
        if rule.on == FailOn::Any && self.baseline.is_none() {
            return counts.lines_with_hits();
        }
        counts
            .codes_by_count()
            .into_iter()
            .filter(|&(code, _)| Self::covers(catalog, rule, code))
            .map(|(code, c)| match self.change(catalog, counts, code) {
                None | Some(Change::New) => c.lines,
                Some(Change::Grew { was }) => c.lines - was,
                Some(Change::Known { .. }) => 0,
            })
            .sum()
    }

    /// Whether a hit of `code` fails the scan whose counts are `counts`: a rule covers it, its
    /// threshold is passed, and the baseline (if any) did not have it on as many lines.
    pub fn fails_on(&self, catalog: &Catalog, counts: &Counts, code: CodeId) -> bool {
        counts.code(code).hits > 0
            && self.beyond_baseline(catalog, counts, code)
            && self.rules.iter().any(|rule| {
                Self::covers(catalog, rule, code)
                    && self.rule_lines(catalog, counts, rule) > rule.more_than
            })
    }

    /// The level of `code`'s hits in a scan whose counts are `counts`.
    pub fn level(&self, catalog: &Catalog, counts: &Counts, code: CodeId) -> Level {
        if self.fails_on(catalog, counts, code) {
            Level::Error
        } else if catalog.code(code).is_generic() {
            Level::Note
        } else {
            Level::Warning
        }
    }

    /// Whether any hit counted in `counts` fails the scan.
    pub fn fails(&self, catalog: &Catalog, counts: &Counts) -> bool {
        self.fails_on_unknown(counts)
            || counts
                .codes_by_count()
                .into_iter()
                .any(|(code, _)| self.fails_on(catalog, counts, code))
    }

    /// Whether codes not in the catalog fail the scan (`--fail-on unknown`, `unknown>N`):
    /// past the rule's number of occurrences, those past the cap included.
    pub fn fails_on_unknown(&self, counts: &Counts) -> bool {
        let unknown = counts.unknown();
        let seen: u64 = unknown.codes().values().map(|u| u.count).sum::<u64>() + unknown.overflow();
        self.rules
            .iter()
            .any(|rule| rule.on == FailOn::Unknown && seen > rule.more_than)
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
        assert!(policy.may_fail(&catalog, generic));
        assert!(!policy.may_fail(&catalog, timeout));
        let none = Policy::parse(&catalog, &["none".into()]).unwrap();
        assert!(!none.may_fail(&catalog, timeout));
        let err = Policy::parse(&catalog, &["DATABASE_TIMEOTU".into()]).unwrap_err();
        assert!(
            err.to_string().contains("did you mean DATABASE_TIMEOUT"),
            "{err}"
        );
    }
}
