//! The HTML report (`--format html`, `--report html=PATH`): one self-contained page a team
//! reads after an incident or a nightly run, offline, on a laptop, a phone or on paper, in a
//! light or dark scheme.
//!
//! In order: the verdict by the policy, the headline numbers, hits per category (an SVG bar
//! chart and a table), a timeline of hits stacked by category (from the summary's timeline,
//! coarsened for display), the codes with both meanings, generic badges and documentation
//! links, what the generic codes were hiding, codes not in the catalog, the inputs, the most
//! affected requests, and the first hits of each code with their place, time, request and text.
//!
//! During the scan only the first [`HTML_SAMPLES_PER_CODE`] hits of each code are kept (a
//! check and, for those few, a copy of the excerpt); everything else comes from the summary
//! at the end, so memory does not grow with the hits and replaying the same events gives the
//! same page. Nothing in the page depends on when it was made.
//!
//! Safety: every text goes into the page through [`maud`]'s auto-escaping templates, and every
//! text from a log, a file name or the catalog through [`Text`], which first turns control,
//! bidi and invisible characters into visible stand-ins (the terminal escaper's). The page
//! links only to the catalog's documentation pages, and only to `https:` or `http:` ones; no
//! text from a log ever becomes an attribute that loads or runs anything. The one script and
//! the one style sheet are constants of this file.

use std::io::{self, Write};

use maud::{html, Markup, PreEscaped, Render, DOCTYPE};

use super::escape::{terminal, CUT_MARK};
use super::svg::{self, Grid, Series};
use super::{group, time_span_text, Context};
use crate::advice::{generic_seen, Basis};
use crate::baseline::Change;
use crate::catalog::{CategoryId, CodeId};
use crate::limits::{HTML_ROWS_LISTED, HTML_SAMPLES_PER_CODE, HTML_TIMELINE_BUCKETS};
use crate::policy::Level;
use crate::sink::{Hits, InputInfo, Report, ScanDone, Sink};
use crate::summary::{CodeCounts, Summary};
use crate::text::plural;

/// Text from a log, a file name or the catalog, as the page shows it: unsafe characters (see
/// [`super::escape::is_unsafe_char`]) become visible stand-ins, then `<>&"` are escaped.
pub struct Text<'a>(pub &'a str);

impl Render for Text<'_> {
    fn render_to(&self, buffer: &mut String) {
        let mut shown = String::with_capacity(self.0.len());
        terminal(self.0, &mut shown);
        shown.as_str().render_to(buffer);
    }
}

/// One of the first hits of a code, as the page shows it.
#[derive(Debug, Clone)]
struct Sample {
    /// The input's name.
    input: String,
    line: u64,
    /// Its time as text, and whether it was inherited from an earlier line.
    time: Option<(String, bool)>,
    request: Option<String>,
    /// The excerpt before the code (with a cut mark if shortened), the code, and after it.
    before: String,
    matched: String,
    after: String,
}

/// The HTML report: keeps the first hits of each code, writes the page at the end.
pub struct HtmlReport<'a> {
    out: Box<dyn Write + 'a>,
    destination: String,
    context: Context<'a>,
    /// The first hits of each code, indexed by code.
    samples: Vec<Vec<Sample>>,
}

impl<'a> HtmlReport<'a> {
    /// A report writing to `out`, which `destination` names in messages.
    pub fn new(out: Box<dyn Write + 'a>, destination: String, context: Context<'a>) -> Self {
        HtmlReport {
            out,
            destination,
            context,
            samples: vec![Vec::new(); context.catalog.codes().len()],
        }
    }
}

impl Sink for HtmlReport<'_> {
    fn hits(&mut self, input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        for hit in hits.iter() {
            if hit.code >= self.samples.len() {
                self.samples.resize(hit.code + 1, Vec::new());
            }
            let kept = &mut self.samples[hit.code];
            if kept.len() >= HTML_SAMPLES_PER_CODE {
                continue;
            }
            // A line holding a code twice (`-502005` and its name) would fill two of the few
            // samples with one line; a line's hits come together, so the last sample tells.
            if kept
                .last()
                .is_some_and(|last| last.line == hit.line && last.input == input.name)
            {
                continue;
            }
            let excerpt = &hit.excerpt;
            let bytes = excerpt.bytes;
            let start = excerpt.hit.start.min(bytes.len());
            let end = excerpt.hit.end.clamp(start, bytes.len());
            let mut before = String::new();
            if excerpt.cut_before {
                before.push(CUT_MARK);
            }
            before.push_str(&String::from_utf8_lossy(&bytes[..start]));
            let mut after = String::from_utf8_lossy(&bytes[end..]).into_owned();
            if excerpt.cut_after {
                after.push(CUT_MARK);
            }
            kept.push(Sample {
                input: input.name.clone(),
                line: hit.line,
                time: hit.time.map(|t| (t.at.to_string(), t.inherited)),
                request: hit.request.map(str::to_string),
                before,
                matched: String::from_utf8_lossy(&bytes[start..end]).into_owned(),
                after,
            });
        }
        Ok(())
    }

    fn finish(&mut self, done: &ScanDone<'_>) -> io::Result<()> {
        let page = self.page(done.summary).into_string();
        self.out.write_all(page.as_bytes())?;
        self.out.flush()
    }
}

impl Report for HtmlReport<'_> {
    fn destination(&self) -> String {
        self.destination.clone()
    }
}

/// A code as the tables show it.
struct CodeRow {
    code: CodeId,
    level: Level,
    hits: u64,
    lines: u64,
}

/// Failing codes the verdict names; the codes table has them all.
const VERDICT_CODES: usize = 6;

/// `part` of `whole` as a percentage with one decimal.
fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".to_string();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// The page's style sheet: light and dark schemes, narrow screens, print.
const STYLE: &str = include_str!("html/page.css");

/// The page's script: sorting tables by a click on a header and filtering by category. The
/// page is complete without it (the filter bar stays hidden, the tables stay in their order).
const SCRIPT: &str = include_str!("html/page.js");

impl HtmlReport<'_> {
    /// The whole page.
    fn page(&self, summary: &Summary) -> Markup {
        let Context {
            catalog, policy, ..
        } = self.context;
        let mut codes: Vec<CodeRow> = summary
            .codes_by_count()
            .into_iter()
            .map(|(code, c)| CodeRow {
                code,
                level: policy.level(catalog, summary, code),
                hits: c.hits,
                lines: c.lines,
            })
            .collect();
        // Most hits first; among equals, the more severe.
        codes.sort_by_key(|row| (std::cmp::Reverse(row.hits), row.level, row.code));
        let categories = summary.categories_by_count(catalog);
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="color-scheme" content="light dark";
                    title { "cbscan report: CloudBase error codes" }
                    style { (PreEscaped(STYLE)) }
                }
                body {
                    main {
                        h1 { "cbscan report: CloudBase error codes" }
                        (self.verdict(summary, &codes))
                        (self.headline(summary))
                        @if !categories.is_empty() {
                            (self.filter_bar(&categories))
                            (self.categories(summary, &categories, &codes))
                            (self.timeline(summary, &categories))
                            (self.codes(summary, &codes))
                            (self.generic(summary))
                        } @else {
                            p { "No error code was found." }
                        }
                        (self.unknown(summary))
                        (self.inputs(summary))
                        (self.requests(summary))
                        (self.samples(&codes))
                        footer {
                            "Made by cbscan " (env!("CARGO_PKG_VERSION"))
                            ". Counts include every hit; places and texts are the first ones found."
                        }
                    }
                    script { (PreEscaped(SCRIPT)) }
                }
            }
        }
    }

    /// The verdict of the policy, and whether some inputs could not be read.
    fn verdict(&self, summary: &Summary, codes: &[CodeRow]) -> Markup {
        let Context {
            catalog, policy, ..
        } = self.context;
        let failing: Vec<&str> = codes
            .iter()
            .filter(|row| row.level == Level::Error)
            .map(|row| catalog.code(row.code).code.as_str())
            .collect();
        let unknown_fails = policy.fails_on_unknown(summary);
        let mut rules = policy.describe(catalog);
        // With a baseline, only codes new to it or on more lines than in it fail (as the
        // human and Markdown verdicts say).
        if policy.baseline.is_some() && !policy.rules.is_empty() {
            rules.push_str(" beyond the baseline");
        }
        html! {
            @if failing.is_empty() && !unknown_fails && summary.errors() > 0 {
                // Not a pass: what could not be read may hold what would fail (the exit
                // status is 2).
                p.verdict.fails {
                    "Not a pass: no code fails " code { "--fail-on " (Text(&rules)) }
                    " in what was read, but not everything could be read."
                }
            } @else if failing.is_empty() && !unknown_fails {
                p.verdict.passes { "Passes: no code fails " code { "--fail-on " (Text(&rules)) } "." }
            } @else {
                p.verdict.fails {
                    "Fails " code { "--fail-on " (Text(&rules)) } ": "
                    @for (i, name) in failing.iter().take(VERDICT_CODES).enumerate() {
                        @if i > 0 { ", " }
                        code { (Text(name)) }
                    }
                    @if failing.len() > VERDICT_CODES {
                        " and " (failing.len() - VERDICT_CODES) " more (see Codes)"
                    }
                    @if unknown_fails {
                        @if !failing.is_empty() { ", " }
                        "codes not in the catalog"
                    }
                    "."
                }
            }
            @if summary.errors() > 0 {
                p.verdict.fails {
                    "Incomplete: " (group(summary.errors())) " "
                    (plural(summary.errors(), "input", "inputs"))
                    " could not be read (see Inputs); the numbers cover what was read."
                }
            }
        }
    }

    /// The headline numbers as cards.
    fn headline(&self, summary: &Summary) -> Markup {
        let catalog = self.context.catalog;
        let generic = summary.generic_hits(catalog);
        let span = summary.time_span();
        html! {
            section #headline .cards {
                div.card {
                    span.n #inputs { (group(summary.files())) }
                    (plural(summary.files(), "input", "inputs")) " read"
                }
                div.card { span.n #lines { (group(summary.lines())) } "lines" }
                div.card { span.n #hits { (group(summary.hits())) } "hits" }
                div.card { span.n #lines-with-hits { (group(summary.lines_with_hits())) } "lines with hits" }
                div.card {
                    span.n #generic-share { (percent(generic, summary.hits())) }
                    "of hits are generic codes (" (group(generic)) ")"
                }
                @if summary.errors() > 0 {
                    div.card {
                        span.n #not-read { (group(summary.errors())) }
                        (plural(summary.errors(), "input", "inputs")) " not read"
                    }
                }
                div.card.wide {
                    "Time span: "
                    @match &span {
                        Some(span) => span #time-span { (Text(&time_span_text(span))) },
                        None => span.muted { "no hit had a time" },
                    }
                }
            }
        }
    }

    /// The buttons of the category filter, hidden until the script shows them.
    fn filter_bar(&self, categories: &[(CategoryId, u64)]) -> Markup {
        let catalog = self.context.catalog;
        html! {
            div #filter hidden {
                span.muted { "Show categories: " }
                @for &(category, _) in categories {
                    @let id = &catalog.category(category).id;
                    button type="button" aria-pressed="true" data-category=(Text(id)) {
                        span.swatch style={ "background:" (svg::colour(category)) } {}
                        (Text(id))
                    }
                }
            }
        }
    }

    /// A category's name with its colour swatch.
    fn category_label(&self, category: CategoryId) -> Markup {
        let id = &self.context.catalog.category(category).id;
        html! {
            span.nowrap {
                span.swatch style={ "background:" (svg::colour(category)) } {}
                (Text(id))
            }
        }
    }

    /// Hits per category: the bar chart and a table with both names and the lines.
    fn categories(
        &self,
        summary: &Summary,
        categories: &[(CategoryId, u64)],
        codes: &[CodeRow],
    ) -> Markup {
        let catalog = self.context.catalog;
        let bars: Vec<(Series<'_>, u64)> = categories
            .iter()
            .map(|&(category, hits)| {
                let entry = catalog.category(category);
                (
                    Series {
                        index: category,
                        id: &entry.id,
                        name: &entry.en,
                    },
                    hits,
                )
            })
            .collect();
        let mut lines = vec![0u64; catalog.categories().len()];
        for row in codes {
            if let Some(n) = lines.get_mut(catalog.code(row.code).category) {
                *n += row.lines;
            }
        }
        html! {
            section #categories {
                h2 { "Hits per category" }
                figure { (svg::category_bars(&bars)) }
                div.scroll {
                    table.sortable {
                        thead { tr { th { "category" } th { "中文" } th { "English" }
                            th.num { "hits" } th.num { "share" } th.num { "lines" } } }
                        tbody {
                            @for &(category, hits) in categories {
                                @let entry = catalog.category(category);
                                tr.f data-category=(Text(&entry.id)) {
                                    td { (self.category_label(category)) }
                                    td.zh { (Text(&entry.zh)) }
                                    td.text { (Text(&entry.en)) }
                                    td.num { (group(hits)) }
                                    td.num { (percent(hits, summary.hits())) }
                                    td.num { (group(lines.get(category).copied().unwrap_or(0))) }
                                }
                            }
                        }
                    }
                }
                p.note { "Lines are counted per code: a line with two codes of one category counts twice." }
            }
        }
    }

    /// The timeline: hits per time bucket, stacked by category.
    fn timeline(&self, summary: &Summary, categories: &[(CategoryId, u64)]) -> Markup {
        let catalog = self.context.catalog;
        let series: Vec<Series<'_>> = categories
            .iter()
            .map(|&(category, _)| {
                let entry = catalog.category(category);
                Series {
                    index: category,
                    id: &entry.id,
                    name: &entry.en,
                }
            })
            .collect();
        let grid = timeline_grid(summary, catalog.categories().len());
        html! {
            section #timeline {
                h2 { "Timeline" }
                @match &grid {
                    // One bucket is one block filling the chart: a sentence says it better (the
                    // terminal's summary leaves its sparklines out too).
                    Some(grid) if grid.buckets.len() < 2 => {
                        @let (start, counts) = grid.buckets.first().map_or((0, 0), |(s, c)| (*s, c.iter().sum::<u64>()));
                        @let zone = if grid.local { " (as the log wrote it, zone unknown)" } else { " UTC" };
                        p #timeline-one {
                            @if counts == 1 {
                                "The only hit with a time was at "
                            } @else {
                                "All " (group(counts)) " hits with a time fell in one "
                                (bucket_noun(grid.width)) ": "
                            }
                            (svg::time_label(start, grid.width)) (zone) "."
                        }
                    },
                    Some(grid) => {
                        figure {
                            (svg::timeline(grid, &series))
                            figcaption {
                                "Hits per " (svg::width_label(grid.width)) " from "
                                (svg::time_label(grid.buckets.first().map_or(0, |b| b.0), grid.width))
                                @if grid.local {
                                    " (times as the log wrote them, zone unknown)"
                                } @else { " UTC" }
                                "; only hits with a time are drawn."
                            }
                        }
                        ul.legend {
                            @for s in &series {
                                li.f data-category=(Text(s.id)) {
                                    span.swatch style={ "background:" (svg::colour(s.index)) } {}
                                    (Text(s.id)) " · " (Text(s.name))
                                }
                            }
                        }
                    },
                    None => p.muted { "No hit had a time, so there is no timeline." },
                }
            }
        }
    }

    /// Every code seen, most hits first.
    fn codes(&self, summary: &Summary, codes: &[CodeRow]) -> Markup {
        let Context {
            catalog, policy, ..
        } = self.context;
        let baseline = policy.baseline.is_some();
        html! {
            section #codes {
                h2 { "Codes" }
                div.scroll {
                    table.sortable {
                        thead { tr {
                            th { "code" } th { "level" } th { "category" } th.num { "hits" }
                            th.num { "lines" } th { "中文" } th { "English" } th { "docs" }
                            @if baseline { th { "baseline" } }
                        } }
                        tbody {
                            @for row in codes {
                                @let entry = catalog.code(row.code);
                                tr.f data-category=(Text(&catalog.category(entry.category).id)) data-code=(Text(&entry.code)) {
                                    td {
                                        a href={ "#first-" (row.code) } { code { (Text(&entry.code)) } }
                                        @if entry.is_generic() { span.badge.generic title="says little on its own: see what it was hiding" { "generic" } }
                                    }
                                    td { @if row.level == Level::Error { span.badge.error { "error" } } @else { (row.level.word()) } }
                                    td { (self.category_label(entry.category)) }
                                    td.num { (group(row.hits)) }
                                    td.num { (group(row.lines)) }
                                    td.text { (Text(&entry.zh)) }
                                    td.text { (Text(&entry.en)) }
                                    td {
                                        @if let Some(url) = catalog.doc_url(row.code).filter(|u| is_web_link(u)) {
                                            a href=(Text(&url)) rel="noopener noreferrer" { "docs" }
                                        }
                                    }
                                    @if baseline {
                                        td.baseline {
                                            @match policy.change(catalog, summary, row.code) {
                                                Some(Change::New) => span.badge.error { "new" },
                                                Some(Change::Grew { was }) => {
                                                    span.badge.error { "grew" }
                                                    " (was " (plural(was, "line", "lines")) ")"
                                                },
                                                Some(Change::Known { was }) => {
                                                    "known (was " (plural(was, "line", "lines")) ")"
                                                },
                                                None => {},
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// What the generic codes were hiding (the same advice the human and Markdown reports give).
    fn generic(&self, summary: &Summary) -> Markup {
        let catalog = self.context.catalog;
        let seen = generic_seen(catalog, summary);
        html! {
            @if !seen.is_empty() {
                section #generic {
                    h2 { "What the generic codes were hiding" }
                    div.advice {
                        p { "Generic codes say little: look for the specific code in the same request or line." }
                        ul {
                            @for generic in &seen {
                                li data-code=(Text(&catalog.code(generic.code).code)) {
                                    (Text(&generic.sentence(catalog)))
                                    @if generic.basis == Basis::Lines { " (paired by line: hits were not grouped)" }
                                    "; see " code { "cbscan explain " (Text(&catalog.code(generic.code).code)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Codes not in the catalog seen in code positions.
    fn unknown(&self, summary: &Summary) -> Markup {
        let unknown = summary.unknown();
        let mut codes: Vec<_> = unknown.codes().iter().collect();
        codes.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        html! {
            @if !unknown.is_empty() {
                section #unknown {
                    h2 { "Codes not in the catalog" }
                    div.scroll {
                        table.sortable {
                            thead { tr { th { "code" } th.num { "seen" } th { "first at" } th { "text" } } }
                            tbody {
                                @for (code, seen) in &codes {
                                    tr {
                                        td { code { (Text(code)) } }
                                        td.num { (group(seen.count)) }
                                        td.mono { (Text(&seen.first.path)) ":" (seen.first.line) }
                                        td { code.excerpt { (Text(&seen.first.text)) } }
                                    }
                                }
                            }
                        }
                    }
                    @if unknown.overflow() > 0 {
                        p.note { (group(unknown.overflow())) " more occurrences of other codes past the cap." }
                    }
                }
            }
        }
    }

    /// The inputs, with what each gave.
    fn inputs(&self, summary: &Summary) -> Markup {
        let catalog = self.context.catalog;
        let inputs = summary.inputs();
        let shown = inputs.len().min(HTML_ROWS_LISTED);
        html! {
            section #inputs-table {
                h2 { "Inputs" }
                div.scroll {
                    table.sortable {
                        thead { tr {
                            th { "input" } th.num { "lines" } th.num { "hits" }
                            th.num { "lines with hits" } th { "top codes" } th { "read" }
                        } }
                        tbody {
                            @for input in &inputs[..shown] {
                                @let top = top_codes(&input.by_code);
                                tr {
                                    td.mono { (Text(&input.name)) }
                                    td.num { (group(input.lines)) }
                                    td.num { (group(input.hits)) }
                                    td.num { (group(input.lines_with_hits)) }
                                    td.text {
                                        @for (i, (code, c)) in top.iter().take(3).enumerate() {
                                            @if i > 0 { ", " }
                                            code { (Text(&catalog.code(*code).code)) } " ×" (group(c.hits))
                                        }
                                        @if top.len() > 3 { ", …" }
                                    }
                                    td {
                                        @match &input.error {
                                            Some(error) => span.verdict.fails { (Text(error)) },
                                            None => @if input.complete { "whole" } @else { "in part" },
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if inputs.len() > shown {
                    p.note { (group((inputs.len() - shown) as u64)) " more inputs not listed." }
                }
            }
        }
    }

    /// The most affected requests (listed when request listing was on).
    fn requests(&self, summary: &Summary) -> Markup {
        let catalog = self.context.catalog;
        let requests = summary.requests();
        let shown = requests.entries.len().min(HTML_ROWS_LISTED);
        html! {
            section #requests {
                h2 { "Most affected requests" }
                @if !requests.listed {
                    p.muted { "Requests were not listed for this report." }
                } @else if requests.entries.is_empty() {
                    p.muted { "No hit had a request id." }
                } @else {
                    div.scroll {
                        table.sortable {
                            thead { tr {
                                th { "request" } th { "first at" } th.num { "hits" }
                                th { "codes, in order" } th { "first places" }
                            } }
                            tbody {
                                @for entry in &requests.entries[..shown] {
                                    tr {
                                        td.mono.nowrap { (Text(&entry.id)) }
                                        td.mono.nowrap { @if let Some(t) = &entry.first_time { (t.to_string()) } }
                                        td.num { (group(entry.hit_count)) }
                                        td.text {
                                            @for (i, code) in entry.codes.iter().enumerate() {
                                                @if i > 0 { " → " }
                                                code { (Text(&catalog.code(*code).code)) }
                                            }
                                        }
                                        td.mono {
                                            @for (i, hit) in entry.hits.iter().take(3).enumerate() {
                                                @if i > 0 { br; }
                                                span.nowrap {
                                                    (Text(&hit.path)) ":" (hit.line) " "
                                                    (Text(&catalog.code(hit.code).code))
                                                }
                                            }
                                            @if entry.hits.len() > 3 || entry.more_hits() > 0 { br; "…" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @let not_listed = requests.not_kept + (requests.entries.len() - shown) as u64;
                    @if not_listed > 0 {
                        p.note { (group(not_listed)) " less affected requests not listed." }
                    }
                }
                @if requests.listed && requests.without_request > 0 {
                    p.note { (group(requests.without_request)) " hits had no request id." }
                }
            }
        }
    }

    /// The first hits of each code: place, time, request and text.
    fn samples(&self, codes: &[CodeRow]) -> Markup {
        let catalog = self.context.catalog;
        html! {
            @if !codes.is_empty() {
                section #first-hits {
                    h2 { "First hits of each code" }
                    @for row in codes {
                        @let entry = catalog.code(row.code);
                        @let samples = self.samples.get(row.code).map_or(&[][..], Vec::as_slice);
                        div.f.code-samples id={ "first-" (row.code) } data-category=(Text(&catalog.category(entry.category).id)) data-code=(Text(&entry.code)) {
                            h3 {
                                code { (Text(&entry.code)) }
                                @if entry.is_generic() { span.badge.generic { "generic" } }
                                " " span.muted { (Text(&entry.meaning())) }
                            }
                            @if samples.is_empty() {
                                p.muted { "Its hits were not shown (--max-hits)." }
                            }
                            @for sample in samples {
                                div.sample {
                                    div.where {
                                        span.mono.place { (Text(&sample.input)) ":" (sample.line) }
                                        @if let Some((time, inherited)) = &sample.time {
                                            " · " span.mono.time { (Text(time)) }
                                            @if *inherited { " (from an earlier line)" }
                                        }
                                        @if let Some(request) = &sample.request {
                                            " · request " span.mono.request { (Text(request)) }
                                        }
                                    }
                                    code.excerpt {
                                        (Text(&sample.before)) mark { (Text(&sample.matched)) } (Text(&sample.after))
                                    }
                                }
                            }
                            @if row.hits > samples.len() as u64 {
                                p.note { (group(row.hits - samples.len() as u64)) " more hits." }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An input's codes, most hits first (ties in catalog order).
fn top_codes(by_code: &[(CodeId, CodeCounts)]) -> Vec<(CodeId, CodeCounts)> {
    let mut top = by_code.to_vec();
    top.sort_by(|a, b| b.1.hits.cmp(&a.1.hits).then(a.0.cmp(&b.0)));
    top
}

/// Whether `url` may be a link: only the web's own schemes, whatever a catalog file says.
fn is_web_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// A bucket of `width` seconds in words: `second`, `minute`, `hour`, `day`, `week`, else
/// `15 min interval`.
fn bucket_noun(width: i64) -> String {
    match width {
        1 => "second".to_string(),
        60 => "minute".to_string(),
        3_600 => "hour".to_string(),
        86_400 => "day".to_string(),
        604_800 => "week".to_string(),
        w => format!("{} interval", svg::width_label(w)),
    }
}

/// The summary's timeline on the display grid: at most [`HTML_TIMELINE_BUCKETS`] buckets,
/// counts indexed by category; `None` when no hit had a time.
fn timeline_grid(summary: &Summary, categories: usize) -> Option<Grid> {
    let timeline = summary.timeline();
    if timeline.is_empty() {
        return None;
    }
    let shown = timeline.coarsened(HTML_TIMELINE_BUCKETS);
    Some(Grid {
        buckets: shown.dense(categories),
        width: shown.width_seconds(),
        local: shown.local(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_made_visible() {
        let shown = Text("<script>a\u{202e}b\u{1b}[2J</script>\"")
            .render()
            .into_string();
        assert_eq!(shown, "&lt;script&gt;a\\u{202e}b␛[2J&lt;/script&gt;&quot;");
    }

    #[test]
    fn only_web_links() {
        assert!(is_web_link("https://docs.cloudbase.net/error-code/x"));
        assert!(is_web_link("HTTP://example.com"));
        assert!(!is_web_link("javascript:alert(1)"));
        assert!(!is_web_link(" data:text/html,x"));
    }
}
