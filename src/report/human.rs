//! The human report: two lines per hit (where and what, then the log line with the code
//! highlighted), then a summary with counts and one line of advice per generic code seen.
//!
//! Colour is decided by the caller; every text from a log, a file name or a catalog goes
//! through the terminal escaper, so none can drive the terminal. Hits are formatted by
//! [`HumanFormat`], on the scan's workers when the output is not a terminal; on a terminal
//! each hit's first line is kept within its width.

use crate::fields::TimeValue;
use crate::text::plural;
use std::io::{self, Write};
use std::sync::Arc;

use colored::Colorize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::escape::{is_unsafe_char, terminal, terminal_bytes};
use super::{group, Context, ReportOptions, Show};
use crate::advice::generic_seen;
use crate::baseline::Change;
use crate::catalog::Catalog;
use crate::report::requests::request_lines;
use crate::scan::{Hit, Notice};
use crate::sink::{format_now, FormatHits, Formatted, Hits, InputInfo, Report, ScanDone, Sink};
use crate::summary::Summary;

/// Terminal columns of log text shown on each side of a hit.
const SHOWN_CONTEXT: usize = 80;

/// The escape sequences around a text in one style (empty without colour).
#[derive(Debug, Clone, Default)]
struct Paint {
    pre: String,
    post: String,
}

impl Paint {
    /// The sequences `style` puts around a text, found by styling a marker: `colored` stays the
    /// one authority on colour codes and on whether to emit them.
    fn new(color: bool, style: fn(&str) -> colored::ColoredString) -> Paint {
        if !color {
            return Paint::default();
        }
        let painted = style("\u{1}").to_string();
        match painted.split_once('\u{1}') {
            Some((pre, post)) => Paint {
                pre: pre.to_string(),
                post: post.to_string(),
            },
            None => Paint::default(),
        }
    }

    fn apply(&self, text: &str) -> String {
        format!("{}{text}{}", self.pre, self.post)
    }
}

/// What a hit's first line says about its code, prepared once.
#[derive(Debug, Clone)]
struct CodeText {
    /// The code, escaped.
    name: String,
    /// ` CODE` painted, and ` [generic]` when generic.
    shown: String,
    /// Columns `shown` takes.
    shown_columns: usize,
    /// `zh · en` (or whichever is set), escaped.
    meaning: String,
}

/// Formats hits for people (see the module documentation).
pub struct HumanFormat {
    location: Paint,
    found: Paint,
    /// The hit's time and request, dimmed.
    fields: Paint,
    codes: Vec<CodeText>,
    width: Option<usize>,
}

impl HumanFormat {
    /// The formatter for `catalog`; `width` keeps each hit's first line within that many
    /// columns.
    pub fn new(catalog: &Catalog, color: bool, width: Option<usize>) -> HumanFormat {
        let code_paint = Paint::new(color, |s| s.red().bold());
        let tag = Paint::new(color, |s| s.yellow()).apply("[generic]");
        let codes = catalog
            .codes()
            .iter()
            .map(|entry| {
                let mut name = String::new();
                terminal(&entry.code, &mut name);
                let mut shown = format!(" {}", code_paint.apply(&name));
                let mut shown_columns = 1 + name.width();
                if entry.is_generic() {
                    shown.push(' ');
                    shown.push_str(&tag);
                    shown_columns += 1 + "[generic]".len();
                }
                let mut meaning = String::new();
                let texts: Vec<&str> = [entry.zh.as_str(), entry.en.as_str()]
                    .into_iter()
                    .filter(|m| !m.is_empty())
                    .collect();
                terminal(&texts.join(" · "), &mut meaning);
                CodeText {
                    name,
                    shown,
                    shown_columns,
                    meaning,
                }
            })
            .collect();
        HumanFormat {
            location: Paint::new(color, |s| s.magenta()),
            found: Paint::new(color, |s| s.red().bold().underline()),
            fields: Paint::new(color, |s| s.dimmed()),
            codes,
            width,
        }
    }
}

impl FormatHits for HumanFormat {
    fn format(&self, input: &InputInfo, hit: &Hit<'_>, out: &mut Formatted) {
        if out.scratch_input != Some(input.index) {
            let mut name = String::new();
            terminal(&input.name, &mut name);
            // One column per character in the location, which must stay one line.
            out.scratch = name.replace('\t', "\u{2409}").into_bytes();
            out.scratch_input = Some(input.index);
        }
        let path = std::mem::take(&mut out.scratch);
        let mut text = std::mem::take(&mut out.text);
        let Some(code) = self.codes.get(hit.code) else {
            out.scratch = path;
            out.text = text;
            return;
        };
        let mut numbers = itoa::Buffer::new();
        let buf = out.buf();
        buf.extend_from_slice(self.location.pre.as_bytes());
        buf.extend_from_slice(&path);
        buf.push(b':');
        out.line_here();
        let buf = out.buf();
        buf.push(b':');
        let column = numbers.format(hit.column);
        buf.extend_from_slice(column.as_bytes());
        buf.push(b':');
        buf.extend_from_slice(self.location.post.as_bytes());
        buf.extend_from_slice(code.shown.as_bytes());
        let mut used = 0;
        if self.width.is_some() {
            // Only on the writing thread, where the line number is the real one.
            let path_columns = std::str::from_utf8(&path).map_or(path.len(), |p| p.width());
            used = path_columns
                + itoa::Buffer::new().format(hit.line).len()
                + column.len()
                + 3
                + code.shown_columns;
        }
        let excerpt = &hit.excerpt;
        let matched = &excerpt.bytes[excerpt.hit.clone()];
        if matched != code.name.as_bytes() {
            text.clear();
            terminal_bytes(matched, &mut text);
            // On a narrow terminal, where the code was found matters less than the line
            // fitting: the alias goes first (the log line below shows it anyway).
            if self
                .width
                .is_none_or(|width| used + 6 + text.width() <= width)
            {
                buf.extend_from_slice(b" (as ");
                buf.extend_from_slice(text.as_bytes());
                buf.push(b')');
                used += 6 + text.width();
            }
        }
        // The time of day and the request, compactly (the summary gives the dates).
        let shown_fields = compact_fields(hit);
        if !shown_fields.is_empty()
            && self
                .width
                .is_none_or(|width| used + shown_fields.chars().count() <= width)
        {
            buf.extend_from_slice(self.fields.pre.as_bytes());
            buf.extend_from_slice(shown_fields.as_bytes());
            buf.extend_from_slice(self.fields.post.as_bytes());
            used += shown_fields.chars().count();
        }
        if !code.meaning.is_empty() {
            match self.width {
                None => {
                    buf.extend_from_slice(" — ".as_bytes());
                    buf.extend_from_slice(code.meaning.as_bytes());
                }
                Some(width) => {
                    // ` — ` and at least a few columns of meaning, or nothing.
                    let room = width.saturating_sub(used + 3);
                    if room >= 6 {
                        buf.extend_from_slice(" — ".as_bytes());
                        buf.extend_from_slice(fit(&code.meaning, room).as_bytes());
                    }
                }
            }
        }
        buf.extend_from_slice(b"\n    ");

        // Cut the context on characters as they are read (so a cut never falls inside the
        // stand-in of an escaped character), measuring each as it will be shown.
        let before_raw = String::from_utf8_lossy(&excerpt.bytes[..excerpt.hit.start]);
        let after_raw = String::from_utf8_lossy(&excerpt.bytes[excerpt.hit.end..]);
        text.clear();
        terminal_bytes(matched, &mut text);
        let found_columns = text.width();
        let context = match self.width {
            Some(width) => SHOWN_CONTEXT.min(width.saturating_sub(6 + found_columns) / 2),
            None => SHOWN_CONTEXT,
        };
        // Room one side does not use goes to the other (a hit near the start of its line
        // shows more of what follows).
        let total = 2 * context;
        let (before_budget, after_budget) = match (
            shown_width(&before_raw, total),
            shown_width(&after_raw, total),
        ) {
            (b, _) if b < context => (b, total - b),
            (_, a) if a < context => (total - a, a),
            _ => (context, context),
        };
        let (before, cut_before) = keep_last_shown(&before_raw, before_budget);
        let (after, cut_after) = keep_first_shown(&after_raw, after_budget);
        text.clear();
        terminal(before, &mut text);
        let before_end = text.len();
        terminal_bytes(matched, &mut text);
        let found_end = text.len();
        terminal(after, &mut text);
        // A tab's width depends on where it falls: shown as a space, it takes the one column
        // it was counted for (the JSON formats keep it).
        if text.contains('\t') {
            text = text.replace('\t', " ");
        }
        let (before, found, after) = (
            &text[..before_end],
            &text[before_end..found_end],
            &text[found_end..],
        );
        if cut_before || excerpt.cut_before {
            buf.extend_from_slice("…".as_bytes());
        }
        buf.extend_from_slice(before.as_bytes());
        buf.extend_from_slice(self.found.pre.as_bytes());
        buf.extend_from_slice(found.as_bytes());
        buf.extend_from_slice(self.found.post.as_bytes());
        buf.extend_from_slice(after.as_bytes());
        if cut_after || excerpt.cut_after {
            buf.extend_from_slice("…".as_bytes());
        }
        buf.push(b'\n');
        out.scratch = path;
        out.text = text;
    }
}

/// Characters of a request id shown on a hit's line (the id is in the JSON formats whole).
const SHOWN_REQUEST: usize = 16;

/// ` · 08:15:02.361Z · req 19c6caaf4fd_e3-1…`: a hit's time of day (`Z`: UTC; none: the log's
/// local time) and request, or what of them it has. Only ASCII, `·` and `…`: one column each.
fn compact_fields(hit: &Hit<'_>) -> String {
    let mut text = String::new();
    if let Some(time) = hit.time {
        let (clock, zone) = match time.at {
            TimeValue::Zoned(t) => (jiff::tz::Offset::UTC.to_datetime(t), "Z"),
            TimeValue::Local(dt) => (dt, ""),
        };
        text.push_str(&format!(
            " · {:02}:{:02}:{:02}",
            clock.hour(),
            clock.minute(),
            clock.second()
        ));
        if clock.subsec_nanosecond() != 0 {
            text.push_str(&format!(".{:03}", clock.subsec_nanosecond() / 1_000_000));
        }
        text.push_str(zone);
    }
    if let Some(id) = hit.request {
        text.push_str(" · req ");
        match id.get(..SHOWN_REQUEST) {
            Some(head) if id.len() > SHOWN_REQUEST => {
                text.push_str(head);
                text.push('…');
            }
            _ => text.push_str(id),
        }
    }
    text
}

/// The human report.
pub struct HumanReport<'a> {
    out: Box<dyn Write + 'a>,
    destination: String,
    catalog: &'a Catalog,
    context: Context<'a>,
    show: Show,
    color: bool,
    format: Arc<HumanFormat>,
    slot: Option<usize>,
    scratch: Formatted,
    on_workers: bool,
    /// Hits written (fewer than found with `--max-hits`).
    shown: u64,
    /// Whether requests are listed instead of hits (`--by-request`).
    by_request: bool,
}

impl<'a> HumanReport<'a> {
    /// A report writing to `out`.
    pub fn new(
        out: Box<dyn Write + 'a>,
        destination: String,
        context: Context<'a>,
        options: ReportOptions,
    ) -> HumanReport<'a> {
        let catalog = context.catalog;
        HumanReport {
            out,
            destination,
            catalog,
            context,
            show: options.show,
            color: options.color,
            format: Arc::new(HumanFormat::new(catalog, options.color, options.width)),
            slot: None,
            scratch: Formatted::default(),
            // The first line's width depends on the line number, known only when written.
            on_workers: options.on_workers && options.width.is_none() && !options.by_request,
            shown: 0,
            by_request: options.by_request,
        }
    }

    fn paint(&self, text: &str, style: fn(&str) -> colored::ColoredString) -> String {
        Paint::new(self.color, style).apply(text)
    }

    /// With `--baseline`: the codes it did not have, and those now on more lines.
    fn against_baseline(&mut self, summary: &Summary) -> io::Result<()> {
        let (catalog, policy) = (self.catalog, self.context.policy);
        let Some(baseline) = &policy.baseline else {
            return Ok(());
        };
        let mut new = Vec::new();
        let mut grew = Vec::new();
        for (code, counts) in summary.codes_by_count() {
            let name = escaped(&catalog.code(code).code);
            match policy.change(catalog, summary, code) {
                Some(Change::New) => new.push(name),
                Some(Change::Grew { was }) => grew.push(format!(
                    "{name} ({} → {} lines)",
                    group(was),
                    group(counts.lines)
                )),
                _ => {}
            }
        }
        let mut base = String::new();
        terminal(&baseline.path.display().to_string(), &mut base);
        writeln!(
            self.out,
            "\n{}",
            self.paint(&format!("Against the baseline {base}"), |s| s.bold())
        )?;
        if new.is_empty() && grew.is_empty() {
            writeln!(self.out, "  nothing new, nothing grew")?;
        }
        if !new.is_empty() {
            writeln!(
                self.out,
                "  {}  {}",
                self.paint("new ", |s| s.red().bold()),
                new.join(", ")
            )?;
        }
        if !grew.is_empty() {
            writeln!(
                self.out,
                "  {}  {}",
                self.paint("grew", |s| s.red().bold()),
                grew.join(", ")
            )?;
        }
        Ok(())
    }

    /// First and last seen of each code with a time, in the order of the code table; on a
    /// terminal each row is cut to its width.
    fn first_and_last_seen(
        &mut self,
        summary: &Summary,
        codes: &[(crate::CodeId, crate::summary::CodeCounts)],
    ) -> io::Result<()> {
        let rows: Vec<(String, String)> = codes
            .iter()
            .filter_map(|&(code, _)| {
                let seen = summary.seen(code)?;
                let place =
                    |m: &crate::summary::Mark| format!("{} ({}:{})", m.time, m.input, m.line);
                Some((
                    escaped(&self.catalog.code(code).code),
                    escaped(&format!(
                        "first {}, last {}",
                        place(&seen.first),
                        place(&seen.last)
                    )),
                ))
            })
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        writeln!(
            self.out,
            "\n{}",
            self.paint("First and last seen", |s| s.bold())
        )?;
        let code_width = widest(rows.iter().map(|r| &r.0));
        for (code, when) in &rows {
            let row = format!("  {}  {when}", pad(code, code_width));
            let row = match self.format.width {
                Some(width) => fit(&row, width).into_owned(),
                None => row,
            };
            writeln!(self.out, "{row}")?;
        }
        Ok(())
    }

    /// Writes the summary.
    fn summary(&mut self, done: &ScanDone<'_>) -> io::Result<()> {
        let catalog = self.catalog;
        let summary = done.summary;
        let bold = |w: &Self, t: &str| w.paint(t, |s| s.bold());
        let mut hits = format!(
            "{} {}",
            bold(self, &group(summary.hits())),
            plural(summary.hits(), "hit", "hits")
        );
        if summary.lines_with_hits() != summary.hits() {
            hits.push_str(&format!(
                " on {} {}",
                group(summary.lines_with_hits()),
                plural(summary.lines_with_hits(), "line", "lines")
            ));
        }
        writeln!(
            self.out,
            "{} {} {}, {} {}, {} in {:.2} s: {hits}",
            bold(self, "Scanned"),
            group(summary.files()),
            plural(summary.files(), "file", "files"),
            group(summary.lines()),
            plural(summary.lines(), "line", "lines"),
            human_bytes(summary.bytes()),
            done.elapsed.as_secs_f64(),
        )?;
        if let Some(span) = summary.time_span() {
            writeln!(
                self.out,
                "{} {}",
                bold(self, "Time span"),
                escaped(&super::time_span_text(&span))
            )?;
        }
        if self.show.hits && !self.by_request && self.shown < summary.hits() {
            writeln!(self.out, "{} of them shown (--max-hits)", group(self.shown))?;
        }
        if summary.errors() > 0 {
            // Named here, so a report file says which (stdout's errors also went to stderr).
            const NAMED: usize = 5;
            let failed: Vec<String> = summary
                .inputs()
                .iter()
                .filter_map(|row| {
                    let error = row.error.as_ref()?;
                    Some(escaped(&format!("{} ({error})", row.name)))
                })
                .collect();
            let mut text = format!(
                "{} {} could not be read",
                summary.errors(),
                plural(summary.errors(), "input", "inputs")
            );
            if !failed.is_empty() {
                text.push_str(": ");
                text.push_str(&failed[..failed.len().min(NAMED)].join(", "));
                if failed.len() > NAMED {
                    text.push_str(&format!(" and {} more", failed.len() - NAMED));
                }
            }
            writeln!(self.out, "{}", self.paint(&text, |s| s.red()))?;
        }
        let categories = summary.categories_by_count(catalog);
        if !categories.is_empty() {
            writeln!(self.out, "\n{}", bold(self, "By category"))?;
            let rows: Vec<[String; 3]> = categories
                .iter()
                .map(|&(c, _)| {
                    let c = catalog.category(c);
                    [escaped(&c.id), escaped(&c.en), escaped(&c.zh)]
                })
                .collect();
            let id_width = widest(rows.iter().map(|r| &r[0]));
            let en_width = widest(rows.iter().map(|r| &r[1]));
            let count_width = count_column(categories.iter().map(|(_, n)| *n));
            for ((_, count), [id, en, zh]) in categories.iter().zip(&rows) {
                let line = format!(
                    "  {:>count_width$}  {}  {}  {}",
                    group(*count),
                    pad(id, id_width),
                    pad(en, en_width),
                    zh
                );
                writeln!(self.out, "{}", line.trim_end())?;
            }
        }
        self.timeline(summary, &categories)?;
        let codes = summary.codes_by_count();
        if !codes.is_empty() {
            writeln!(self.out, "\n{}", bold(self, "By code"))?;
            let rows: Vec<[String; 4]> = codes
                .iter()
                .map(|&(code, counts)| {
                    let entry = catalog.code(code);
                    let lines = if counts.lines != counts.hits {
                        format!(
                            "on {} {}",
                            group(counts.lines),
                            plural(counts.lines, "line", "lines")
                        )
                    } else {
                        String::new()
                    };
                    let meaning = if entry.en.is_empty() {
                        &entry.zh
                    } else {
                        &entry.en
                    };
                    [
                        lines,
                        escaped(&entry.code),
                        escaped(&catalog.category(entry.category).id),
                        escaped(meaning),
                    ]
                })
                .collect();
            let lines_width = widest(rows.iter().map(|r| &r[0]));
            let count_width = count_column(codes.iter().map(|(_, c)| c.hits));
            let code_width = widest(rows.iter().map(|r| &r[1]));
            let category_width = widest(rows.iter().map(|r| &r[2]));
            for (&(code, counts), [lines, name, category, meaning]) in codes.iter().zip(&rows) {
                // A column of its own, so that the meanings line up.
                let flag = if catalog.code(code).is_generic() {
                    self.paint("generic", |s| s.yellow())
                } else {
                    " ".repeat("generic".len())
                };
                let lines = if lines_width > 0 {
                    format!("{}  ", pad(lines, lines_width))
                } else {
                    String::new()
                };
                // On a terminal the meaning is cut to the width (`explain` has it whole).
                let before = 2
                    + count_width
                    + 2
                    + lines.width()
                    + code_width
                    + 2
                    + category_width
                    + 2
                    + 7
                    + 2;
                // A stub of a few letters says nothing: below a dozen columns, none.
                let meaning = match self.format.width.map(|w| w.saturating_sub(before)) {
                    Some(room) if room < 13 && meaning.width() > room => String::new(),
                    Some(room) => fit(meaning, room).into_owned(),
                    None => meaning.clone(),
                };
                let row = format!(
                    "  {:>count_width$}  {lines}{}  {}  {}  {}",
                    group(counts.hits),
                    self.paint(&pad(name, code_width), |s| s.bold()),
                    pad(category, category_width),
                    flag,
                    meaning,
                );
                writeln!(self.out, "{}", row.trim_end())?;
            }
        }
        self.first_and_last_seen(summary, &codes)?;
        self.against_baseline(summary)?;
        let generic = generic_seen(catalog, summary);
        if !generic.is_empty() {
            writeln!(self.out)?;
        }
        for seen in &generic {
            writeln!(
                self.out,
                "{} {}; see cbscan explain {}",
                self.paint("warning:", |s| s.yellow().bold()),
                escaped(&seen.sentence(catalog)),
                escaped(&catalog.code(seen.code).code),
            )?;
        }
        self.unknown_codes(summary)?;
        self.gate(summary)
    }

    /// The timeline as one sparkline row per category with timed hits (in the order of the
    /// category table), as wide as the terminal (or [`TIMELINE_COLUMNS`] elsewhere).
    fn timeline(
        &mut self,
        summary: &Summary,
        categories: &[(crate::catalog::CategoryId, u64)],
    ) -> io::Result<()> {
        let ids: Vec<String> = categories
            .iter()
            .map(|&(c, _)| escaped(&self.catalog.category(c).id))
            .collect();
        let id_width = widest(ids.iter());
        // A row is `  id  |spark| peak N`; a peak is at most the category's total.
        let peak_width = categories
            .iter()
            .map(|(_, n)| group(*n).width())
            .max()
            .unwrap_or(1);
        let room = self
            .format
            .width
            .unwrap_or(TIMELINE_COLUMNS)
            .saturating_sub(2 + id_width + 2 + 2 + 6 + peak_width);
        let Some(lines) = Sparklines::new(
            summary.timeline(),
            categories,
            self.catalog.categories().len(),
            room,
        ) else {
            return Ok(());
        };
        writeln!(
            self.out,
            "\n{} {}",
            self.paint("Timeline", |s| s.bold()),
            lines.heading()
        )?;
        for (category, spark, peak) in &lines.rows {
            let id = escaped(&self.catalog.category(*category).id);
            let row = format!(
                "  {}  |{spark}| peak {:>peak_width$}",
                pad(&id, id_width),
                group(*peak)
            );
            writeln!(self.out, "{row}")?;
        }
        Ok(())
    }

    /// `codes not in the catalog: X ×3 (first at file:line), …`: the first few by count.
    fn unknown_codes(&mut self, summary: &Summary) -> io::Result<()> {
        const SHOWN: usize = 5;
        let unknown = summary.unknown();
        if unknown.is_empty() {
            return Ok(());
        }
        let mut codes: Vec<_> = unknown.codes().iter().collect();
        codes.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        let mut parts: Vec<String> = codes
            .iter()
            .take(SHOWN)
            .map(|(code, seen)| {
                let place = if seen.first.path.is_empty() {
                    format!("line {}", seen.first.line)
                } else {
                    format!("{}:{}", seen.first.path, seen.first.line)
                };
                format!("{} ×{} (first at {place})", code, group(seen.count))
            })
            .collect();
        let rest = codes.len().saturating_sub(SHOWN);
        if rest > 0 {
            parts.push(format!("and {rest} more"));
        }
        if unknown.overflow() > 0 {
            parts.push(format!("{} more past the cap", group(unknown.overflow())));
        }
        writeln!(self.out)?;
        writeln!(
            self.out,
            "{} {}",
            self.paint("codes not in the catalog:", |s| s.cyan().bold()),
            escaped(&parts.join(", "))
        )
    }

    /// The gate's verdict on the hits, with the rules it applied and the codes that failed
    /// them: the exit status alone does not say why (`--fail-on 'DATABASE_TIMEOUT>3'`).
    fn gate(&mut self, summary: &Summary) -> io::Result<()> {
        let (catalog, policy) = (self.catalog, self.context.policy);
        // An unreadable input makes the status 2 whatever the hits say.
        if summary.errors() > 0 {
            return Ok(());
        }
        let mut rules = escaped(&policy.describe(catalog));
        if policy.baseline.is_some() && !policy.rules.is_empty() {
            rules.push_str(", beyond the baseline");
        }
        let mut failing: Vec<String> = summary
            .codes_by_count()
            .into_iter()
            .filter(|&(code, _)| policy.fails_on(catalog, summary, code))
            .map(|(code, counts)| {
                let lines = format!(
                    "{} {}",
                    group(counts.lines),
                    plural(counts.lines, "line", "lines")
                );
                let name = escaped(&catalog.code(code).code);
                match policy.change(catalog, summary, code) {
                    Some(Change::New) => format!("{name} ({lines}, new)"),
                    Some(Change::Grew { was }) => {
                        format!(
                            "{name} ({lines}, {} more than the baseline)",
                            group(counts.lines - was)
                        )
                    }
                    _ => format!("{name} ({lines})"),
                }
            })
            .collect();
        if policy.fails_on_unknown(summary) {
            let distinct = summary.unknown().codes().len() as u64;
            failing.push(format!(
                "{} not in the catalog",
                plural(distinct, "a code", "codes")
            ));
        }
        writeln!(self.out)?;
        if failing.is_empty() {
            let why = if summary.hits() == 0 {
                "no hits"
            } else {
                "no code fails it"
            };
            return writeln!(
                self.out,
                "{} --fail-on {rules}: {why}",
                self.paint("passes", |s| s.green().bold())
            );
        }
        // As many codes as fit the terminal (at least one), at most SHOWN_FAILING.
        let prefix = format!("fails --fail-on {rules}: ");
        let room = self.format.width.unwrap_or(usize::MAX);
        let mut shown = 1;
        while shown < failing.len().min(SHOWN_FAILING) {
            let more = failing.len() - shown - 1;
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let next = prefix.width() + failing[..=shown].join(", ").width() + tail.width();
            if next > room {
                break;
            }
            shown += 1;
        }
        let mut list = failing[..shown].join(", ");
        if failing.len() > shown {
            list.push_str(&format!(" and {} more", failing.len() - shown));
        }
        writeln!(
            self.out,
            "{} --fail-on {rules}: {list}",
            self.paint("fails", |s| s.red().bold())
        )
    }
}

/// Codes named on the gate's line; the rest are counted.
const SHOWN_FAILING: usize = 5;

impl Sink for HumanReport<'_> {
    fn wants_hits(&self) -> bool {
        self.show.hits
    }
    fn formatters(&mut self, first_slot: usize) -> Vec<Arc<dyn FormatHits>> {
        if !self.show.hits || !self.on_workers {
            return Vec::new();
        }
        self.slot = Some(first_slot);
        vec![self.format.clone()]
    }
    fn hits(&mut self, input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        if !self.show.hits || hits.is_empty() || self.by_request {
            return Ok(());
        }
        self.shown += hits.len() as u64;
        if let Some(pre) = self.slot.and_then(|slot| hits.preformatted(slot)) {
            return pre.write_to(&mut self.out, 0);
        }
        for hit in hits.iter() {
            format_now(&*self.format, input, &hit, &mut self.scratch, &mut self.out)?;
        }
        Ok(())
    }
    fn notice(&mut self, input: &InputInfo, notice: &Notice) -> io::Result<()> {
        // What happens to followed files shows among their hits, dimmed: it explains a jump
        // in line numbers. (A scan's notices are warnings, on stderr.)
        if !self.show.hits || !matches!(notice, Notice::Followed { .. }) {
            return Ok(());
        }
        let line = format!(
            "{}: {}: {}",
            escaped(&input.name),
            notice.kind(),
            escaped(&notice.to_string())
        );
        writeln!(self.out, "{}", self.paint(&line, |s| s.dimmed()))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn interim(&mut self, done: &ScanDone<'_>) -> io::Result<()> {
        if self.show.summary {
            let heading = format!(
                "── so far ({}) ──",
                crate::text::duration(std::time::Duration::from_secs(done.elapsed.as_secs()))
            );
            writeln!(self.out, "{}", self.paint(&heading, |s| s.dimmed()))?;
            self.summary(done)?;
        }
        self.out.flush()
    }
    fn finish(&mut self, done: &ScanDone<'_>) -> io::Result<()> {
        let requests = done.summary.requests();
        let listed = self.show.hits && self.by_request && requests.listed;
        if listed {
            writeln!(
                self.out,
                "{}",
                self.paint("Requests, most affected first", |s| s.bold())
            )?;
            for line in request_lines(self.catalog, requests) {
                writeln!(self.out, "{}", escaped(&line))?;
            }
        }
        if self.show.summary {
            if self.shown > 0 || listed {
                writeln!(self.out)?;
            }
            self.summary(done)?;
        }
        self.out.flush()
    }
}

impl Report for HumanReport<'_> {
    fn destination(&self) -> String {
        self.destination.clone()
    }
}

/// `text` through the terminal escaper.
/// Columns the timeline's rows take when the output is not a terminal.
const TIMELINE_COLUMNS: usize = 80;

/// Heights of a sparkline's columns, lowest first (a column with no hit is blank).
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A summary's timeline drawn as sparklines: one row per category, one column per bucket,
/// each row scaled to its own peak (the question a row answers is *when* its category's
/// errors came; the table above says how many).
pub(crate) struct Sparklines {
    /// Start of the first column and end of the last, Unix seconds.
    pub start: i64,
    pub end: i64,
    /// Seconds per column.
    pub width: i64,
    /// Some times had no zone (placed by the log's wall clock as if UTC).
    pub local: bool,
    /// Per category with timed hits, in the order given: the row and its peak.
    pub rows: Vec<(crate::catalog::CategoryId, String, u64)>,
}

impl Sparklines {
    /// Rows of at most `columns` columns (at least 2) for the categories in `order` that have
    /// timed hits; `None` when the timeline has fewer than two buckets (nothing to draw).
    pub(crate) fn new(
        timeline: &crate::summary::Timeline,
        order: &[(crate::catalog::CategoryId, u64)],
        categories: usize,
        columns: usize,
    ) -> Option<Sparklines> {
        if timeline.bucket_count() < 2 {
            return None;
        }
        let shown = timeline.coarsened(columns.max(2));
        let dense = shown.dense(categories);
        if dense.len() < 2 {
            return None;
        }
        let (start, end) = shown.range()?;
        let rows = order
            .iter()
            .filter_map(|&(category, _)| {
                let counts: Vec<u64> = dense
                    .iter()
                    .map(|(_, v)| v.get(category).copied().unwrap_or(0))
                    .collect();
                let peak = counts.iter().copied().max().unwrap_or(0);
                (peak > 0).then(|| (category, spark(&counts, peak), peak))
            })
            .collect();
        Some(Sparklines {
            start,
            end,
            width: shown.width_seconds(),
            local: shown.local(),
            rows,
        })
    }

    /// `2026-11-20T08:15:00Z – 2026-11-20T08:17:10Z, 10 s per column` (and a note when some
    /// times had no zone).
    pub(crate) fn heading(&self) -> String {
        let at = |second: i64| {
            let text = jiff::Timestamp::from_second(second)
                .map_or_else(|_| second.to_string(), |t| t.to_string());
            // A wall clock placed as UTC is not UTC: no zone marker.
            if self.local {
                text.trim_end_matches('Z').to_string()
            } else {
                text
            }
        };
        let mut text = format!(
            "{} – {}, {} per column",
            at(self.start),
            at(self.end),
            width_text(self.width)
        );
        if self.local {
            text.push_str(", times without a zone as the log wrote them");
        }
        text
    }
}

/// `counts` as block characters scaled to `peak` (every hit shows: at least the lowest).
fn spark(counts: &[u64], peak: u64) -> String {
    counts
        .iter()
        .map(|&n| {
            if n == 0 || peak == 0 {
                ' '
            } else {
                let level = (u128::from(n) * 8).div_ceil(u128::from(peak)).clamp(1, 8);
                BLOCKS[level as usize - 1]
            }
        })
        .collect()
}

/// A bucket width as people say it: `10 s`, `5 min`, `6 h`, `7 days`.
pub(crate) fn width_text(seconds: i64) -> String {
    const DAY: i64 = 86_400;
    if seconds % DAY == 0 {
        let days = seconds / DAY;
        format!("{days} {}", if days == 1 { "day" } else { "days" })
    } else if seconds % 3_600 == 0 {
        format!("{} h", seconds / 3_600)
    } else if seconds % 60 == 0 {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    terminal(text, &mut out);
    out
}

/// Width of a column of counts: at least 8, as wide as the largest count with its commas.
fn count_column(counts: impl Iterator<Item = u64>) -> usize {
    counts.map(|n| group(n).len()).max().unwrap_or(0).max(8)
}

/// The widest of `texts`, in terminal columns.
fn widest<'s>(texts: impl Iterator<Item = &'s String>) -> usize {
    texts.map(|t| t.width()).max().unwrap_or(0)
}

/// `text` followed by spaces up to `width` terminal columns.
fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
}

/// Columns `c` takes on a terminal once escaped (a stand-in such as `\u{200b}` takes eight;
/// a tab is shown as a space).
fn shown_columns(c: char) -> usize {
    // Printable ASCII, a tab (shown as a space) and the control pictures C0 and DEL become:
    // one column each, without escaping anything to find out.
    if c <= '\u{7f}' {
        1
    } else if is_unsafe_char(c) {
        let mut shown = String::new();
        terminal(c.encode_utf8(&mut [0; 4]), &mut shown);
        shown.width()
    } else {
        c.width().unwrap_or(0)
    }
}

/// Whether every byte of `text` is printable ASCII, one column each (most log text): the
/// column arithmetic is then byte arithmetic.
fn plain(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Columns raw `text` takes once escaped, counting no further than `cap`.
fn shown_width(text: &str, cap: usize) -> usize {
    if plain(text) {
        return text.len().min(cap);
    }
    let mut used = 0;
    for c in text.chars() {
        used += shown_columns(c);
        if used >= cap {
            return cap;
        }
    }
    used
}

/// The end of raw `text` whose escaped form fits in `n` columns, and whether anything was cut.
fn keep_last_shown(text: &str, n: usize) -> (&str, bool) {
    if plain(text) {
        let start = text.len().saturating_sub(n);
        return (&text[start..], start > 0);
    }
    let mut used = 0;
    for (i, c) in text.char_indices().rev() {
        used += shown_columns(c);
        if used > n {
            return (&text[i + c.len_utf8()..], true);
        }
    }
    (text, false)
}

/// The start of raw `text` whose escaped form fits in `n` columns, and whether anything was
/// cut.
fn keep_first_shown(text: &str, n: usize) -> (&str, bool) {
    if plain(text) {
        let end = text.len().min(n);
        return (&text[..end], end < text.len());
    }
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += shown_columns(c);
        if used > n {
            return (&text[..i], true);
        }
    }
    (text, false)
}

/// `text` (already escaped) in at most `n` columns: whole, or cut with `…` as its last column.
fn fit(text: &str, n: usize) -> std::borrow::Cow<'_, str> {
    match keep_first_shown(text, n) {
        (_, false) => text.into(),
        _ => format!("{}…", keep_first_shown(text, n.saturating_sub(1)).0).into(),
    }
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

    /// Formats one hit of `code` found in `line` (1-based line 12345, column of the code).
    fn hit_text(
        format: &HumanFormat,
        catalog: &Catalog,
        name: &str,
        code: &str,
        line: &[u8],
    ) -> String {
        let id = catalog.lookup(code).unwrap();
        let start = line
            .windows(code.len())
            .position(|w| w == code.as_bytes())
            .unwrap();
        let hit = Hit {
            line: 12345,
            column: start as u64 + 1,
            byte_offset: 0,
            code: id,
            pattern: 0,
            excerpt: crate::scan::Excerpt {
                bytes: line,
                hit: start..start + code.len(),
                cut_before: false,
                cut_after: false,
                chars_before: Some(0),
            },
            time: None,
            request: None,
            event: 0,
        };
        let input = InputInfo {
            index: 0,
            name: name.to_string(),
            path: None,
        };
        let mut out = Vec::new();
        format_now(format, &input, &hit, &mut Formatted::default(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn on_a_terminal_each_line_of_a_hit_fits_its_width() {
        let catalog = Catalog::builtin().unwrap();
        let line = format!(
            "{} FUNCTIONS_EXECUTE_FAIL {}",
            "前缀".repeat(60),
            "x".repeat(300)
        );
        for width in [40, 80, 120] {
            let format = HumanFormat::new(&catalog, false, Some(width));
            let text = hit_text(
                &format,
                &catalog,
                "logs/cloudfunction-runtime.log",
                "FUNCTIONS_EXECUTE_FAIL",
                line.as_bytes(),
            );
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 2, "{text}");
            assert!(
                lines[0].starts_with("logs/cloudfunction-runtime.log:12345:"),
                "{text}"
            );
            // Where and what are never cut, even when they alone are too wide.
            let prefix =
                "logs/cloudfunction-runtime.log:12345:362: FUNCTIONS_EXECUTE_FAIL [generic]";
            assert!(lines[0].starts_with(prefix), "{text}");
            assert!(
                lines[0].width() <= width.max(prefix.width()),
                "{width}: {}",
                lines[0]
            );
            assert!(
                lines[1].width() <= width,
                "{width}: {} columns: {}",
                lines[1].width(),
                lines[1]
            );
            // The code itself is never cut; the meaning is, with a mark.
            assert!(
                lines[0].contains("FUNCTIONS_EXECUTE_FAIL [generic]"),
                "{text}"
            );
        }
        let wide = HumanFormat::new(&catalog, false, Some(400));
        let text = hit_text(
            &wide,
            &catalog,
            "a.log",
            "FUNCTIONS_EXECUTE_FAIL",
            line.as_bytes(),
        );
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with("(generic cloud function error)"),
            "{text}"
        );
        let narrow = HumanFormat::new(&catalog, false, Some(80));
        let text = hit_text(
            &narrow,
            &catalog,
            "a.log",
            "FUNCTIONS_EXECUTE_FAIL",
            line.as_bytes(),
        );
        assert!(text.lines().next().unwrap().ends_with('…'), "{text}");
        // Not a terminal: nothing is cut.
        let file = HumanFormat::new(&catalog, false, None);
        let text = hit_text(
            &file,
            &catalog,
            "a.log",
            "FUNCTIONS_EXECUTE_FAIL",
            line.as_bytes(),
        );
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with("(generic cloud function error)"),
            "{text}"
        );
    }

    /// A summary with `n` hits of each code, each on a line of its own.
    fn summary_of(catalog: &Catalog, hits: &[(&str, u64)]) -> crate::summary::Summary {
        let mut counts = crate::summary::Counts::new(catalog.codes().len());
        for &(code, n) in hits {
            let id = catalog.lookup(code).unwrap();
            for _ in 0..n {
                counts.add_hit(id);
                counts.add_code_line(id);
                counts.add_line_with_hits();
            }
        }
        let mut summary = crate::summary::Summary::new(catalog.codes().len());
        summary.add_counts(&counts);
        summary
    }

    /// The summary `report` writes for `summary`, with `options`.
    fn rendered(
        catalog: &Catalog,
        summary: &crate::summary::Summary,
        options: ReportOptions,
    ) -> String {
        let mut out = Vec::new();
        let policy = crate::policy::Policy::parse(catalog, &[]).unwrap();
        let context = Context {
            catalog,
            policy: &policy,
            base_dir: std::path::Path::new("."),
        };
        let mut report = HumanReport::new(Box::new(&mut out), "test".into(), context, options);
        let done = ScanDone {
            summary,
            elapsed: std::time::Duration::ZERO,
        };
        report.finish(&done).unwrap();
        drop(report);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn columns_stay_aligned_past_a_million() {
        let catalog = Catalog::builtin().unwrap();
        let summary = summary_of(
            &catalog,
            &[
                ("DATABASE_TIMEOUT", 6_000_000),
                ("AUTH_LOGIN_FAILED", 1),
                ("SYS_ERR", 1_234_567),
            ],
        );
        let text = rendered(&catalog, &summary, ReportOptions::default());
        let at = |code: &str| {
            let line = text.lines().find(|l| l.contains(code)).unwrap();
            line.find(code).unwrap()
        };
        assert_eq!(at("DATABASE_TIMEOUT"), at("AUTH_LOGIN_FAILED"), "{text}");
        assert!(text.contains("  6,000,000  DATABASE_TIMEOUT"), "{text}");
        let categories: Vec<usize> = text
            .lines()
            .skip_while(|l| *l != "By category")
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| l.find(char::is_alphabetic).unwrap())
            .collect();
        assert!(categories.windows(2).all(|w| w[0] == w[1]), "{text}");
        assert!(text.contains("generic SYS_ERR (1,234,567 hits)"), "{text}");
    }

    #[test]
    fn the_timeline_fits_the_terminal_and_scales_each_row_to_its_peak() {
        let catalog = Catalog::builtin().unwrap();
        let mut summary = summary_of(&catalog, &[("DATABASE_TIMEOUT", 9), ("SYS_ERR", 1)]);
        let database = catalog.category_index("database").unwrap();
        let general = catalog.category_index("general").unwrap();
        // A day: 00:00 (8 database, 1 general) and 23:59 (1 database).
        let day = 1_779_235_200; // 2026-05-20T00:00:00Z
        let mut counts = crate::summary::Counts::new(catalog.codes().len());
        for _ in 0..8 {
            counts.add_timed(database, day, 0, true);
        }
        counts.add_timed(general, day + 30, 0, true);
        counts.add_timed(database, day + 86_399, 0, true);
        summary.add_counts(&counts);
        // Room for the sparkline: the width less `  database  |`, `| peak 9` (21 columns).
        // A day fits 8 columns of 3 h in 19, 48 of 30 min in 59, 96 of 15 min in 99 and 179
        // (5 min, 288 columns, would not).
        for (width, columns) in [(40, 8), (80, 48), (120, 96), (200, 96)] {
            let options = ReportOptions {
                width: Some(width),
                ..ReportOptions::default()
            };
            let text = rendered(&catalog, &summary, options);
            let section: Vec<&str> = text
                .lines()
                .skip_while(|l| !l.starts_with("Timeline"))
                .take_while(|l| !l.is_empty())
                .collect();
            assert_eq!(section.len(), 3, "{text}");
            for row in &section[1..] {
                assert!(row.width() <= width, "{width}: {row}");
            }
            let spark = section[1].split('|').nth(1).unwrap();
            assert_eq!(spark.chars().count(), columns, "{width}: {text}");
            let database_row = section[1];
            assert!(
                database_row.contains("|█") && database_row.contains("▁|"),
                "{text}"
            );
            assert!(
                section[2].starts_with("  general ") && section[2].contains("|█ "),
                "{text}"
            );
        }
        let wide = rendered(
            &catalog,
            &summary,
            ReportOptions {
                width: Some(200),
                ..ReportOptions::default()
            },
        );
        assert!(
            wide.contains(
                "Timeline 2026-05-20T00:00:00Z – 2026-05-21T00:00:00Z, 15 min per column"
            ),
            "{wide}"
        );
    }

    #[test]
    fn sparklines_scale_and_widths_read_well() {
        assert_eq!(spark(&[0, 1, 4, 8, 7], 8), " ▁▄█▇");
        assert_eq!(spark(&[1, 1_000_000], 1_000_000), "▁█", "every hit shows");
        assert_eq!(width_text(1), "1 s");
        assert_eq!(width_text(300), "5 min");
        assert_eq!(width_text(3 * 3_600), "3 h");
        assert_eq!(width_text(86_400), "1 day");
        assert_eq!(width_text(14 * 86_400), "14 days");
    }

    #[test]
    fn on_a_terminal_summary_rows_fit_its_width() {
        let catalog = Catalog::builtin().unwrap();
        let summary = summary_of(
            &catalog,
            &[
                ("STORAGE_EXCEED_AUTHORITY", 1),
                ("AI_MODEL_DISABLED", 1),
                ("FUNCTIONS_EXECUTE_FAIL", 1),
            ],
        );
        for width in [80, 100, 130] {
            let options = ReportOptions {
                width: Some(width),
                ..ReportOptions::default()
            };
            let text = rendered(&catalog, &summary, options);
            let rows: Vec<&str> = text
                .lines()
                .skip_while(|l| *l != "By code")
                .skip(1)
                .take_while(|l| !l.is_empty())
                .collect();
            assert_eq!(rows.len(), 3, "{text}");
            for row in rows {
                assert!(row.width() <= width, "{width}: {row}");
            }
        }
    }

    #[test]
    fn tabs_keep_the_excerpt_within_the_width_and_unused_room_goes_to_the_other_side() {
        let catalog = Catalog::builtin().unwrap();
        let tabs = format!(
            "{} DATABASE_TIMEOUT\t\tx{}",
            "\t".repeat(30),
            "\ty".repeat(60)
        );
        let format = HumanFormat::new(&catalog, false, Some(80));
        let text = hit_text(
            &format,
            &catalog,
            "a.log",
            "DATABASE_TIMEOUT",
            tabs.as_bytes(),
        );
        let shown = text.lines().nth(1).unwrap();
        assert!(!shown.contains('\t'), "{shown:?}");
        assert!(shown.width() <= 80, "{} columns: {shown:?}", shown.width());
        // Near the start of its line, a hit shows what follows in the room before it.
        let line = format!("x DATABASE_TIMEOUT {}", "y".repeat(300));
        let text = hit_text(
            &HumanFormat::new(&catalog, false, None),
            &catalog,
            "a.log",
            "DATABASE_TIMEOUT",
            line.as_bytes(),
        );
        let shown = text.lines().nth(1).unwrap().trim_start();
        assert_eq!(
            shown.width(),
            2 + 16 + (2 * SHOWN_CONTEXT - 2) + 1,
            "{shown}"
        );
    }

    #[test]
    fn context_is_never_cut_inside_a_stand_in() {
        let catalog = Catalog::builtin().unwrap();
        let line = format!(
            "{} DATABASE_TIMEOUT {}",
            "\u{200b}y".repeat(30),
            "y\u{feff}".repeat(30)
        );
        let text = hit_text(
            &HumanFormat::new(&catalog, false, None),
            &catalog,
            "a.log",
            "DATABASE_TIMEOUT",
            line.as_bytes(),
        );
        let shown = text.lines().nth(1).unwrap().trim_start().to_string();
        let before = shown.strip_prefix('…').expect("cut before");
        assert!(
            before.starts_with("\\u{200b}") || before.starts_with('y'),
            "{shown}"
        );
        let after = shown.strip_suffix('…').expect("cut after");
        assert!(
            after.ends_with("\\u{feff}") || after.ends_with('y'),
            "{shown}"
        );
    }

    #[test]
    fn context_is_shortened_by_columns() {
        assert_eq!(keep_last_shown("错误码abc", 3), ("abc", true));
        assert_eq!(keep_last_shown("错误码abc", 5), ("码abc", true));
        assert_eq!(keep_last_shown("abc", 3), ("abc", false));
        assert_eq!(keep_first_shown("错误码abc", 4), ("错误", true));
        // An escaped character is kept whole or left out, never cut inside its stand-in.
        assert_eq!(keep_last_shown("a\u{200b}b", 2), ("b", true));
        assert_eq!(keep_last_shown("a\u{200b}b", 9), ("\u{200b}b", true));
        assert_eq!(keep_first_shown("\x1bc", 1), ("\x1b", true));
        assert_eq!(keep_first_shown("错误码abc", 5), ("错误", true));
        assert_eq!(keep_first_shown("ab", 2), ("ab", false));
        assert_eq!(fit("错误码abc", 5), "错误…");
        assert_eq!(fit("ab", 2), "ab");
        assert_eq!(pad("错误", 6), "错误  ");
        assert_eq!(pad("ab", 1), "ab");
    }

    #[test]
    fn the_gate_line_names_what_fits_and_counts_the_rest() {
        let catalog = Catalog::builtin().unwrap();
        let summary = summary_of(
            &catalog,
            &[
                ("DATABASE_COLLECTION_NOT_EXIST", 3),
                ("STORAGE_FILE_NONEXIST", 2),
                ("AUTH_LOGIN_FAILED", 1),
            ],
        );
        let last = |width: Option<usize>| {
            let options = ReportOptions {
                width,
                ..ReportOptions::default()
            };
            rendered(&catalog, &summary, options)
                .lines()
                .last()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            last(None),
            "fails --fail-on any: DATABASE_COLLECTION_NOT_EXIST (3 lines), \
             STORAGE_FILE_NONEXIST (2 lines), AUTH_LOGIN_FAILED (1 line)"
        );
        let narrow = last(Some(105));
        assert_eq!(
            narrow,
            "fails --fail-on any: DATABASE_COLLECTION_NOT_EXIST (3 lines), \
             STORAGE_FILE_NONEXIST (2 lines) and 1 more"
        );
        assert!(narrow.width() <= 105 && last(None).width() > 105);
        // One code is always named, however narrow.
        assert_eq!(
            last(Some(20)),
            "fails --fail-on any: DATABASE_COLLECTION_NOT_EXIST (3 lines) and 2 more"
        );
    }
}
