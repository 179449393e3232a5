//! Markdown summary (`--format markdown`): what a person reads in a GitHub job summary
//! (`$GITHUB_STEP_SUMMARY`) or a GitLab merge-request note.
//!
//! In order: the verdict by the policy, the headline numbers, a table and a Mermaid pie chart
//! of hits per category, the timeline as sparklines in a code block, a table of codes (level, meanings, documentation link, baseline mark),
//! a `> [!WARNING]` alert with the advice about generic codes, the first places each code was
//! seen, and the inputs that could not be read.
//!
//! Nothing from a log line is written: only codes and catalog text, numbers, paths and error
//! messages. Every such text still goes through one escaper made for where it goes
//! ([`markdown_text`] for table cells and inline text, [`mermaid_label`] inside the chart, a
//! code span sized to its content, and a percent-encoded link destination), so no code, path
//! or catalog text can end a table cell, a block, the alert or the chart early, or become HTML.
//! Every line that can start a block starts with text of ours, so none can become a heading,
//! a list or a quote either.

use std::fmt::Write as _;
use std::io;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use super::escape::{markdown_text, mermaid_label, terminal};
use super::findings::relative_path;
use super::gathered::{EndOfScan, Gathered};
use super::human::Sparklines;
use super::{group, Context};
use crate::advice::generic_seen;
use crate::baseline::Change;
use crate::catalog::CodeId;
use crate::policy::{Level, Verdict};
use crate::sink::ScanDone;

/// Columns of the timeline's sparklines: what a GitHub code block shows without scrolling,
/// with the category and peak beside them.
const TIMELINE_COLUMNS: usize = 60;

/// First places listed per code; the rest are counted.
const PLACES_PER_CODE: usize = 5;

/// Unreadable inputs listed; the rest are counted (a job summary holds at most 1 MiB).
const UNREADABLE_LISTED: usize = 100;

/// Inputs with hits listed in their table: a job summary holds at most 1 MiB (GitHub), and a
/// folder of thousands of logs would fill it; the rest are counted.
const INPUTS_LISTED: usize = 200;

/// What a link destination must not hold raw: besides controls and space, whatever could end
/// the destination or the link (`<`, `>`, `(`, `)`), a table cell (`|`), or start an escape or
/// a code span (`\`, `` ` ``), plus `"`, the brackets and `$` (GitHub math). Non-ASCII is
/// always encoded.
const URL_UNSAFE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'(')
    .add(b')')
    .add(b'[')
    .add(b']')
    .add(b'|')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'^')
    .add(b'$');

/// The Markdown summary, written at the end of the scan by a
/// [`GatheredReport`](super::gathered::GatheredReport).
pub struct Markdown;

/// `s` escaped for a table cell or inline text.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    markdown_text(s, &mut out);
    out
}

/// `s` as a code span: unsafe chars shown as in a terminal, fenced by one backtick more than
/// the longest run inside, padded with a space where it starts or ends with a backtick (as
/// CommonMark asks). Not for table cells, where a `|` would still split the cell.
fn code_span(s: &str) -> String {
    let mut shown = String::with_capacity(s.len());
    terminal(s, &mut shown);
    let mut longest = 0;
    let mut run = 0;
    for c in shown.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if shown.starts_with('`') || shown.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{shown}{pad}{fence}")
}

/// One table row of already escaped cells.
fn row(out: &mut String, cells: &[String]) {
    out.push('|');
    for cell in cells {
        out.push(' ');
        out.push_str(cell);
        out.push_str(" |");
    }
    out.push('\n');
}

/// A table header: names, and per column whether it holds numbers (right-aligned).
fn header(out: &mut String, columns: &[(&str, bool)]) {
    let names: Vec<String> = columns.iter().map(|(name, _)| text(name)).collect();
    row(out, &names);
    let rules: Vec<String> = columns
        .iter()
        .map(|(_, number)| if *number { "---:" } else { "---" }.to_string())
        .collect();
    row(out, &rules);
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group(n), if n == 1 { one } else { many })
}

impl Markdown {
    /// The whole summary.
    fn render(&self, scan: &Gathered<'_>, done: &ScanDone<'_>) -> String {
        let Context {
            catalog,
            policy,
            base_dir,
        } = scan.context;
        let summary = done.summary;
        let mut out = String::new();
        out.push_str("## cbscan: CloudBase error codes\n\n");

        // Codes with their level, most important first (as the GitHub annotations are).
        let mut codes: Vec<(CodeId, Level, u64, u64)> = summary
            .codes_by_count()
            .into_iter()
            .map(|(code, c)| (code, policy.level(catalog, summary, code), c.hits, c.lines))
            .collect();
        codes.sort_by_key(|&(code, level, hits, _)| (level, std::cmp::Reverse(hits), code));

        // The verdict.
        let mut failing: Vec<String> = codes
            .iter()
            .filter(|(_, level, _, _)| *level == Level::Error)
            .map(|(code, ..)| text(&catalog.code(*code).code))
            .collect();
        if policy.fails_on_unknown(summary) {
            failing.push("codes not in the catalog".to_string());
        }
        let mut rules = code_span(&policy.describe(catalog));
        if policy.baseline.is_some() && !policy.rules.is_empty() {
            rules.push_str(" beyond the baseline");
        }
        if failing.is_empty() {
            let _ = write!(
                out,
                "**Result: passes.** No code fails --fail-on {rules}.\n\n"
            );
        } else {
            let _ = write!(
                out,
                "**Result: fails.** {} --fail-on {rules}: {}.\n\n",
                if failing.len() == 1 {
                    "1 code fails".to_string()
                } else {
                    format!("{} codes fail", failing.len())
                },
                failing.join(", ")
            );
        }
        if policy.verdict(catalog, summary, false) == Verdict::Error {
            let _ = write!(
                out,
                "**Incomplete:** {} could not be read (listed below); the numbers cover what was read.\n\n",
                plural(summary.errors(), "input", "inputs")
            );
        }

        // Headline numbers.
        header(
            &mut out,
            &[
                ("inputs", true),
                ("lines", true),
                ("hits", true),
                ("lines with hits", true),
                ("errors", true),
            ],
        );
        row(
            &mut out,
            &[
                group(summary.files()),
                group(summary.lines()),
                group(summary.hits()),
                group(summary.lines_with_hits()),
                group(summary.errors()),
            ],
        );
        out.push('\n');
        if let Some(span) = summary.time_span() {
            let _ = write!(
                out,
                "**Time span:** {}\n\n",
                text(&super::time_span_text(&span))
            );
        }

        if codes.is_empty() {
            out.push_str("No error code was found.\n");
        } else {
            self.categories(scan, &mut out, done, &codes);
            self.timeline(scan, &mut out, done);
            self.codes(scan, &mut out, done, &codes);
            self.generic_advice(scan, &mut out, done);
            self.places(scan, &mut out, &codes, summary);
            self.inputs(scan, &mut out, base_dir);
        }
        self.unknown_codes(summary, &mut out);
        self.unreadable(scan, &mut out, base_dir);
        out
    }

    /// Codes not in the catalog, seen in code positions: a table by count.
    fn unknown_codes(&self, summary: &crate::summary::Summary, out: &mut String) {
        let unknown = summary.unknown();
        if unknown.is_empty() {
            return;
        }
        out.push_str("\n### Codes not in the catalog\n\n");
        header(out, &[("code", false), ("seen", true), ("first at", false)]);
        let mut codes: Vec<_> = unknown.codes().iter().collect();
        codes.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        for (code, seen) in codes {
            row(
                out,
                &[
                    code_span(code),
                    group(seen.count),
                    text(&format!("{}:{}", seen.first.path, seen.first.line)),
                ],
            );
        }
        if unknown.overflow() > 0 {
            let _ = write!(
                out,
                "\n{} more occurrences of other codes past the cap.\n",
                group(unknown.overflow())
            );
        }
    }

    /// Hits and lines per category, as a table and a pie chart.
    fn categories(
        &self,
        scan: &Gathered<'_>,
        out: &mut String,
        done: &ScanDone<'_>,
        codes: &[(CodeId, Level, u64, u64)],
    ) {
        let catalog = scan.context.catalog;
        let categories = done.summary.categories_by_count(catalog);
        let mut lines = vec![0u64; catalog.categories().len()];
        for &(code, _, _, code_lines) in codes {
            lines[catalog.code(code).category] += code_lines;
        }
        out.push_str("### Hits per category\n\n");
        header(
            out,
            &[
                ("category", false),
                ("中文", false),
                ("English", false),
                ("hits", true),
                ("lines", true),
            ],
        );
        for &(category, hits) in &categories {
            let entry = catalog.category(category);
            row(
                out,
                &[
                    text(&entry.id),
                    text(&entry.zh),
                    text(&entry.en),
                    group(hits),
                    group(lines.get(category).copied().unwrap_or(0)),
                ],
            );
        }
        out.push_str(
            "\nLines are counted per code: a line with two codes of one category counts twice.\n\n",
        );
        out.push_str("```mermaid\npie title Hits per category\n");
        for &(category, hits) in &categories {
            out.push_str("    \"");
            mermaid_label(&catalog.category(category).id, out);
            let _ = writeln!(out, "\" : {hits}");
        }
        out.push_str("```\n\n");
    }

    /// The timeline as sparklines in a code block (monospace, so the columns line up on
    /// GitHub and GitLab; a table per bucket would be hundreds of rows).
    fn timeline(&self, scan: &Gathered<'_>, out: &mut String, done: &ScanDone<'_>) {
        let catalog = scan.context.catalog;
        let categories = done.summary.categories_by_count(catalog);
        let Some(lines) = Sparklines::new(
            done.summary.timeline(),
            &categories,
            catalog.categories().len(),
            TIMELINE_COLUMNS,
        ) else {
            return;
        };
        let ids: Vec<(String, String)> = lines
            .rows
            .iter()
            .map(|(category, _, peak)| {
                let mut id = String::new();
                terminal(&catalog.category(*category).id, &mut id);
                (id, group(*peak))
            })
            .collect();
        let id_width = ids
            .iter()
            .map(|(id, _)| id.chars().count())
            .max()
            .unwrap_or(0);
        let peak_width = ids.iter().map(|(_, p)| p.len()).max().unwrap_or(0);
        // Longer than any run of backticks inside, so no row can close the block.
        let mut longest = 0;
        for (id, _) in &ids {
            let mut run = 0;
            for c in id.chars() {
                run = if c == '`' { run + 1 } else { 0 };
                longest = longest.max(run);
            }
        }
        let fence = "`".repeat((longest + 1).max(3));
        let _ = write!(
            out,
            "### Timeline\n\n**Hits over time:** {} (each row scaled to its own peak).\n\n{fence}text\n",
            text(&lines.heading())
        );
        for ((_, spark, _), (id, peak)) in lines.rows.iter().zip(&ids) {
            let pad = " ".repeat(id_width - id.chars().count());
            let _ = writeln!(out, "{id}{pad}  |{spark}| peak {peak:>peak_width$}");
        }
        let _ = write!(out, "{fence}\n\n");
    }

    /// One row per code.
    fn codes(
        &self,
        scan: &Gathered<'_>,
        out: &mut String,
        done: &ScanDone<'_>,
        codes: &[(CodeId, Level, u64, u64)],
    ) {
        let Context {
            catalog, policy, ..
        } = scan.context;
        let baseline = policy.baseline.is_some();
        out.push_str("### Codes\n\n");
        let mut columns = vec![
            ("code", false),
            ("level", false),
            ("category", false),
            ("hits", true),
            ("lines", true),
            ("中文", false),
            ("English", false),
            ("docs", false),
        ];
        if baseline {
            columns.push(("baseline", false));
        }
        header(out, &columns);
        for &(code, level, hits, lines) in codes {
            let entry = catalog.code(code);
            let docs = catalog.doc_url(code).map_or(String::new(), |url| {
                format!("[docs]({})", utf8_percent_encode(&url, URL_UNSAFE))
            });
            let mut cells = vec![
                text(&entry.code),
                level.word().to_string(),
                text(&catalog.category(entry.category).id),
                group(hits),
                group(lines),
                text(&entry.zh),
                text(&entry.en),
                docs,
            ];
            if baseline {
                cells.push(match policy.change(catalog, done.summary, code) {
                    Some(Change::New) => "**new**".to_string(),
                    Some(Change::Grew { was }) => {
                        format!("**grew** (was {})", plural(was, "line", "lines"))
                    }
                    Some(Change::Known { was }) => {
                        format!("known (was {})", plural(was, "line", "lines"))
                    }
                    None => String::new(),
                });
            }
            row(out, &cells);
        }
        out.push('\n');
    }

    /// The generic codes seen, as a GitHub alert.
    fn generic_advice(&self, scan: &Gathered<'_>, out: &mut String, done: &ScanDone<'_>) {
        let catalog = scan.context.catalog;
        let seen = generic_seen(catalog, done.summary);
        if seen.is_empty() {
            return;
        }
        out.push_str("> [!WARNING]\n");
        out.push_str(
            "> Generic codes say little: look for the specific code in the same request or line.\n",
        );
        for generic in &seen {
            let name = &catalog.code(generic.code).code;
            let _ = writeln!(
                out,
                "> - {}; see {}",
                text(&generic.sentence(catalog)),
                code_span(&format!("cbscan explain {name}"))
            );
        }
        out.push('\n');
    }

    /// The first places of each code, across inputs in scan order.
    fn places(
        &self,
        scan: &Gathered<'_>,
        out: &mut String,
        codes: &[(CodeId, Level, u64, u64)],
        summary: &crate::summary::Summary,
    ) {
        let Context {
            catalog, base_dir, ..
        } = scan.context;
        out.push_str("### Where each code was first seen\n\n");
        header(out, &[("code", false), ("first places", false)]);
        for &(code, _, hits, _) in codes {
            let mut shown = Vec::new();
            // Hits passed over, shown or not: a line with the code twice is shown once.
            let mut seen = 0u64;
            'inputs: for input in &scan.findings.inputs {
                let Some(spots) = input.codes.get(&code) else {
                    continue;
                };
                let path =
                    relative_path(&input.info, base_dir).unwrap_or_else(|| input.info.name.clone());
                let mut last_line = None;
                for spot in &spots.first {
                    if last_line == Some(spot.line) {
                        seen += 1;
                        continue;
                    }
                    if shown.len() == PLACES_PER_CODE {
                        break 'inputs;
                    }
                    seen += 1;
                    last_line = Some(spot.line);
                    let mut place = format!("{}:{}", text(&path), spot.line);
                    if let Some(col) = spot.char_column {
                        let _ = write!(place, ":{col}");
                    }
                    shown.push(place);
                }
            }
            let mut cell = shown.join(", ");
            let more = hits.saturating_sub(seen);
            if more > 0 {
                let _ = write!(
                    cell,
                    "{}{} more {}",
                    if shown.is_empty() { "" } else { " and " },
                    group(more),
                    if more == 1 { "hit" } else { "hits" }
                );
            }
            let mut when = String::new();
            if let Some(seen) = summary.seen(code) {
                let _ = write!(
                    when,
                    " (first seen {}, last seen {} at {}:{})",
                    seen.first.time, seen.last.time, seen.last.input, seen.last.line
                );
            }
            row(out, &[text(&catalog.code(code).code), cell + &text(&when)]);
        }
        out.push('\n');
    }

    /// Each input with hits: its hits and lines, and its codes, most hits first.
    fn inputs(&self, scan: &Gathered<'_>, out: &mut String, base_dir: &std::path::Path) {
        let catalog = scan.context.catalog;
        let with_hits: Vec<_> = scan
            .findings
            .inputs
            .iter()
            .filter(|input| input.codes.values().any(|c| c.counts.hits > 0))
            .collect();
        if with_hits.is_empty() {
            return;
        }
        out.push_str("### Inputs with hits\n\n");
        header(
            out,
            &[
                ("input", false),
                ("hits", true),
                ("lines", true),
                ("codes", false),
            ],
        );
        for input in with_hits.iter().take(INPUTS_LISTED) {
            let path =
                relative_path(&input.info, base_dir).unwrap_or_else(|| input.info.name.clone());
            let mut codes: Vec<_> = input
                .codes
                .iter()
                .filter(|(_, c)| c.counts.hits > 0)
                .collect();
            codes.sort_by_key(|(code, c)| (std::cmp::Reverse(c.counts.hits), **code));
            let hits: u64 = codes.iter().map(|(_, c)| c.counts.hits).sum();
            let listed: Vec<String> = codes
                .iter()
                .map(|(code, c)| {
                    format!(
                        "{} ×{}",
                        text(&catalog.code(**code).code),
                        group(c.counts.hits)
                    )
                })
                .collect();
            row(
                out,
                &[
                    text(&path),
                    group(hits),
                    group(input.lines_with_hits),
                    listed.join(", "),
                ],
            );
        }
        if with_hits.len() > INPUTS_LISTED {
            let _ = write!(
                out,
                "\nAnd {} more.\n",
                plural((with_hits.len() - INPUTS_LISTED) as u64, "input", "inputs")
            );
        }
        out.push('\n');
    }

    /// The inputs that could not be read.
    fn unreadable(&self, scan: &Gathered<'_>, out: &mut String, base_dir: &std::path::Path) {
        let failed: Vec<_> = scan
            .findings
            .inputs
            .iter()
            .filter(|input| input.error.is_some())
            .collect();
        if failed.is_empty() {
            return;
        }
        out.push_str("### Inputs that could not be read\n\n");
        header(out, &[("input", false), ("error", false)]);
        for input in failed.iter().take(UNREADABLE_LISTED) {
            let path =
                relative_path(&input.info, base_dir).unwrap_or_else(|| input.info.name.clone());
            row(
                out,
                &[text(&path), text(input.error.as_deref().unwrap_or(""))],
            );
        }
        if failed.len() > UNREADABLE_LISTED {
            let _ = write!(
                out,
                "\nAnd {} more.\n",
                plural((failed.len() - UNREADABLE_LISTED) as u64, "input", "inputs")
            );
        }
        out.push('\n');
    }
}

impl EndOfScan for Markdown {
    fn write(&self, scan: Gathered<'_>, done: &ScanDone<'_>) -> io::Result<()> {
        let text = self.render(&scan, done);
        scan.out.write_all(text.as_bytes())
    }
}
