//! The human report: one block per hit (location, code, meaning, the log line with the code
//! highlighted), then a summary with counts and the generic-code warning.
//!
//! Colour is decided by the caller (`color`); log text always goes through
//! [`crate::text::visible`] so a hostile line cannot drive the terminal.

use std::collections::HashSet;
use std::io::{self, Write};
use std::time::Duration;

use colored::Colorize;

use crate::catalog::{Catalog, CodeId};
use crate::error::Error;
use crate::matcher::Matcher;
use crate::report::{GENERIC_NOTE_EN, GENERIC_NOTE_ZH};
use crate::scan::{Hit, Sink};
use crate::summary::Summary;
use crate::text::visible;

/// Terminal columns of log text shown on each side of a hit.
const SHOWN_CONTEXT: usize = 80;

/// Writes hits and summaries for people.
pub struct HumanWriter<'a, W: Write> {
    out: W,
    catalog: &'a Catalog,
    matcher: &'a Matcher,
    color: bool,
    explained: HashSet<CodeId>,
}

impl<'a, W: Write> HumanWriter<'a, W> {
    /// A writer; `color` turns on ANSI colours.
    pub fn new(
        out: W,
        catalog: &'a Catalog,
        matcher: &'a Matcher,
        color: bool,
    ) -> HumanWriter<'a, W> {
        HumanWriter {
            out,
            catalog,
            matcher,
            color,
            explained: HashSet::new(),
        }
    }

    fn paint(&self, text: &str, style: fn(&str) -> colored::ColoredString) -> String {
        if self.color {
            style(text).to_string()
        } else {
            text.to_string()
        }
    }

    /// Writes an empty line (between the hits and the summary).
    pub fn blank_line(&mut self) -> io::Result<()> {
        writeln!(self.out)
    }

    /// Flushes what has been written.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Writes the summary (with the generic-code warning when generic codes were seen) and
    /// flushes.
    pub fn finish(&mut self, summary: &Summary, elapsed: Duration) -> io::Result<()> {
        let catalog = self.catalog;
        let heading = |w: &Self, t: &str| w.paint(t, |s| s.bold());
        writeln!(
            self.out,
            "{} {} {}, {} {}, {} in {:.2} s: {} {}",
            heading(self, "Scanned"),
            group(summary.files),
            plural(summary.files, "file", "files"),
            group(summary.lines),
            plural(summary.lines, "line", "lines"),
            human_bytes(summary.bytes),
            elapsed.as_secs_f64(),
            self.paint(&group(summary.hits), |s| s.bold()),
            plural(summary.hits, "hit", "hits"),
        )?;
        if summary.errors > 0 {
            let text = format!(
                "{} {} could not be read (see above)",
                summary.errors,
                plural(summary.errors, "input", "inputs")
            );
            writeln!(self.out, "{}", self.paint(&text, |s| s.red()))?;
        }
        let categories = summary.categories_by_count(catalog);
        if !categories.is_empty() {
            writeln!(self.out, "\n{}", heading(self, "By category"))?;
            let id_width = widest(categories.iter().map(|(c, _)| &catalog.category(*c).id));
            let en_width = widest(categories.iter().map(|(c, _)| &catalog.category(*c).en));
            for (category, count) in categories {
                let c = catalog.category(category);
                writeln!(
                    self.out,
                    "  {:>8}  {}  {}  {}",
                    group(count),
                    pad(&visible(c.id.as_bytes()), id_width),
                    pad(&c.en, en_width),
                    c.zh
                )?;
            }
        }
        let codes = summary.codes_by_count();
        if !codes.is_empty() {
            writeln!(self.out, "\n{}", heading(self, "By code"))?;
            let code_width = widest(codes.iter().map(|(c, _)| &catalog.code(*c).code));
            let category_width = widest(
                codes
                    .iter()
                    .map(|(c, _)| &catalog.category(catalog.code(*c).category).id),
            );
            for &(code, count) in &codes {
                let entry = catalog.code(code);
                let name = pad(&visible(entry.code.as_bytes()), code_width);
                // A column of its own, so that the meanings line up.
                let flag = if entry.is_generic() {
                    self.paint("generic", |s| s.yellow())
                } else {
                    " ".repeat("generic".len())
                };
                writeln!(
                    self.out,
                    "  {:>8}  {}  {}  {}  {}",
                    group(count),
                    self.paint(&name, |s| s.bold()),
                    pad(&catalog.category(entry.category).id, category_width),
                    flag,
                    if entry.en.is_empty() {
                        &entry.zh
                    } else {
                        &entry.en
                    },
                )?;
            }
        }
        self.generic_warning(summary)?;
        self.out.flush()
    }

    fn generic_warning(&mut self, summary: &Summary) -> io::Result<()> {
        let catalog = self.catalog;
        let codes = summary.codes_by_count();
        let generic: Vec<(CodeId, u64)> = codes
            .iter()
            .copied()
            .filter(|(c, _)| catalog.code(*c).is_generic())
            .collect();
        if generic.is_empty() {
            return Ok(());
        }
        let named: Vec<String> = generic
            .iter()
            .map(|(c, n)| format!("{} ({})", catalog.code(*c).code, group(*n)))
            .collect();
        writeln!(
            self.out,
            "\n{} generic error codes seen: {}",
            self.paint("warning:", |s| s.yellow().bold()),
            named.join(", ")
        )?;
        // The page's note is about its three codes; quote it only when one of them was seen.
        if generic
            .iter()
            .any(|(c, _)| GENERIC_NOTE_ZH.contains(catalog.code(*c).code.as_str()))
        {
            writeln!(self.out, "  {GENERIC_NOTE_ZH}")?;
            writeln!(self.out, "  {GENERIC_NOTE_EN}")?;
        }
        for (code, _) in generic {
            let entry = catalog.code(code);
            // SYS_ERR-like codes stand for anything, so every specific code is related.
            let any_category = catalog.category(entry.category).id == "sdk";
            let alongside: Vec<String> = codes
                .iter()
                .filter(|(c, _)| {
                    let other = catalog.code(*c);
                    !other.is_generic() && (any_category || other.category == entry.category)
                })
                .map(|(c, n)| format!("{} ({})", catalog.code(*c).code, group(*n)))
                .collect();
            if let Some(reason) = &entry.generic_reason {
                writeln!(
                    self.out,
                    "  {}: {}.",
                    self.paint(&entry.code, |s| s.bold()),
                    reason
                )?;
            }
            // A generic code often wraps a cause from another area (a function failing on a
            // database error), so without a same-area code, every specific code is a lead.
            let elsewhere: Vec<String> = codes
                .iter()
                .filter(|(c, _)| !catalog.code(*c).is_generic())
                .map(|(c, n)| format!("{} ({})", catalog.code(*c).code, group(*n)))
                .collect();
            if !alongside.is_empty() {
                writeln!(
                    self.out,
                    "    Specific codes seen alongside: {}",
                    shortlist(&alongside)
                )?;
            } else if !elsewhere.is_empty() {
                writeln!(
                    self.out,
                    "    Specific codes seen in other areas: {}",
                    shortlist(&elsewhere)
                )?;
            } else {
                writeln!(
                    self.out,
                    "    No more specific code was seen; read the messages next to it."
                )?;
            }
        }
        Ok(())
    }
}

impl<W: Write> Sink for HumanWriter<'_, W> {
    fn hit(&mut self, input: &str, hit: &Hit<'_>) -> io::Result<()> {
        let catalog = self.catalog;
        let entry = catalog.code(hit.code);
        let category = catalog.category(entry.category);
        let matched = &self.matcher.patterns()[hit.pattern as usize].text;
        let location = format!("{}:{}:{}:", visible(input.as_bytes()), hit.line, hit.column);
        let mut first = format!(
            "{} {}",
            self.paint(&location, |s| s.magenta()),
            self.paint(&entry.code, |s| s.red().bold())
        );
        if matched != &entry.code {
            first.push_str(&format!(" (as {matched})"));
        }
        if entry.is_generic() {
            first.push(' ');
            first.push_str(&self.paint("[generic]", |s| s.yellow()));
        }
        first.push_str(&format!(
            " [{} {} {}]",
            category.id, category.zh, category.en
        ));
        for meaning in [&entry.zh, &entry.en] {
            if !meaning.is_empty() {
                first.push_str(" — ");
                first.push_str(meaning);
            }
        }
        if self.explained.insert(hit.code) {
            first.push_str(
                &self.paint(&format!("  (more: cbscan explain {})", entry.code), |s| {
                    s.dimmed()
                }),
            );
        }
        writeln!(self.out, "{first}")?;

        let excerpt = &hit.excerpt;
        let before = visible(&excerpt.bytes[..excerpt.hit.start]);
        let found = visible(&excerpt.bytes[excerpt.hit.clone()]);
        let after = visible(&excerpt.bytes[excerpt.hit.end..]);
        let (before, cut_before) = keep_last_chars(&before, SHOWN_CONTEXT);
        let (after, cut_after) = keep_first_chars(&after, SHOWN_CONTEXT);
        writeln!(
            self.out,
            "    {}{}{}{}{}",
            if cut_before || excerpt.cut_before {
                "…"
            } else {
                ""
            },
            before,
            self.paint(&found, |s| s.red().bold().underline()),
            after,
            if cut_after || excerpt.cut_after {
                "…"
            } else {
                ""
            },
        )
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn error(&mut self, _error: &Error) -> io::Result<()> {
        // Errors go to stderr, which the binary owns; the summary counts them.
        Ok(())
    }
}

/// Display width in terminal columns (CJK and full-width characters take two).
fn columns(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// The widest of `texts`, in terminal columns.
fn widest<'s>(texts: impl Iterator<Item = &'s String>) -> usize {
    texts.map(|t| columns(t)).max().unwrap_or(0)
}

/// `text` followed by spaces up to `width` terminal columns.
fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(columns(text))))
}

/// The first few items (most frequent first), and how many more there are.
fn shortlist(items: &[String]) -> String {
    const SHOWN: usize = 6;
    if items.len() <= SHOWN {
        items.join(", ")
    } else {
        format!(
            "{} and {} more",
            items[..SHOWN].join(", "),
            items.len() - SHOWN
        )
    }
}

/// The end of `text` that fits in `n` terminal columns, and whether anything was cut.
fn keep_last_chars(text: &str, n: usize) -> (&str, bool) {
    let mut used = 0;
    for (i, c) in text.char_indices().rev() {
        used += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used > n {
            let start = i + c.len_utf8();
            return (&text[start..], true);
        }
    }
    (text, false)
}

/// The start of `text` that fits in `n` terminal columns, and whether anything was cut.
fn keep_first_chars(text: &str, n: usize) -> (&str, bool) {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used > n {
            return (&text[..i], true);
        }
    }
    (text, false)
}

fn plural<'s>(n: u64, one: &'s str, many: &'s str) -> &'s str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// `1234567` → `1,234,567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_sized() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }

    #[test]
    fn long_lists_are_shortened() {
        let items: Vec<String> = (1..=8).map(|i| format!("C{i}")).collect();
        assert_eq!(shortlist(&items[..2]), "C1, C2");
        assert_eq!(shortlist(&items), "C1, C2, C3, C4, C5, C6 and 2 more");
    }

    #[test]
    fn context_is_shortened_by_characters() {
        assert_eq!(keep_last_chars("错误码abc", 3), ("abc", true));
        assert_eq!(keep_last_chars("错误码abc", 5), ("码abc", true));
        assert_eq!(keep_last_chars("abc", 3), ("abc", false));
        assert_eq!(keep_first_chars("错误码abc", 4), ("错误", true));
        assert_eq!(keep_first_chars("错误码abc", 5), ("错误", true));
        assert_eq!(keep_first_chars("ab", 2), ("ab", false));
        assert_eq!(pad("错误", 6), "错误  ");
        assert_eq!(pad("ab", 1), "ab");
    }
}
