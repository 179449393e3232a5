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
use crate::catalog::{CategoryId, CodeId};
use crate::limits::{HTML_ROWS_LISTED, HTML_SAMPLES_PER_CODE, HTML_TIMELINE_BUCKETS};
use crate::policy::Level;
use crate::sink::{Hits, InputInfo, Report, ScanDone, Sink};
use crate::summary::{CodeCounts, Summary};

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
const STYLE: &str = r#"
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #59636e;
  --line: #d1d9e0; --card: #f6f8fa; --link: #0969da; --warn-bg: #fff8c5; --warn-line: #d4a72c;
  --fail: #cf222e; --pass: #1a7f37; --mark: #ffe08a; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --card: #151b23;
    --link: #4493f8; --warn-bg: #272115; --warn-line: #9e6a03; --fail: #f85149;
    --pass: #3fb950; --mark: #6e5600; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC",
    "Microsoft YaHei", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 1.5em; margin: .4em 0; }
h2 { font-size: 1.2em; margin: 1.6em 0 .5em; padding-bottom: .2em; border-bottom: 1px solid var(--line); }
h3 { font-size: 1em; margin: 1.2em 0 .4em; }
a { color: var(--link); }
.muted, figcaption, .note { color: var(--muted); }
.verdict { font-weight: 600; }
.verdict.fails { color: var(--fail); }
.verdict.passes { color: var(--pass); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px;
  margin: 12px 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.card .n { display: block; font-size: 1.5em; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.wide { grid-column: 1 / -1; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: .95em; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { white-space: nowrap; background: var(--card); }
th[aria-sort="ascending"]::after { content: " ▲"; }
th[aria-sort="descending"]::after { content: " ▼"; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
.badge { display: inline-block; padding: 0 6px; margin-left: 4px; border-radius: 10px;
  font-size: .78em; border: 1px solid var(--line); white-space: nowrap; }
.badge.generic { background: var(--warn-bg); border-color: var(--warn-line); }
.badge.error { color: var(--fail); border-color: var(--fail); }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: 5px;
  vertical-align: -1px; }
figure { margin: 8px 0; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart text { fill: var(--fg); font-size: 13px; }
svg.chart text.tick { fill: var(--muted); font-size: 12px; }
svg.chart .axis { stroke: var(--muted); stroke-width: 1; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 4px 0; padding: 0; list-style: none; }
.advice { background: var(--warn-bg); border-left: 4px solid var(--warn-line); padding: 8px 12px; border-radius: 4px; }
.advice ul { margin: 4px 0; padding-left: 1.2em; }
.sample { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 6px 10px; }
.where { font-size: .9em; color: var(--muted); }
.excerpt { display: block; margin-top: 4px; white-space: pre-wrap; overflow-wrap: anywhere; }
mark { background: var(--mark); color: inherit; padding: 0 1px; border-radius: 2px; }
#filter { margin: 8px 0; }
#filter button { font: inherit; font-size: .85em; margin: 2px; padding: 2px 8px; border-radius: 12px;
  border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; }
#filter button[aria-pressed="false"] { opacity: .45; text-decoration: line-through; }
.off { display: none; }
.nowrap { white-space: nowrap; }
.text { min-width: 11em; }
.zh { min-width: 6em; }
svg.bars { max-width: 860px; }
footer { margin-top: 2em; font-size: .85em; color: var(--muted); }
@media (max-width: 640px) {
  body { font-size: 14px; }
  svg.chart { min-width: 560px; }
  main { padding: 10px 10px 30px; }
  th, td { padding: 4px 6px; }
  .cards { grid-template-columns: repeat(2, 1fr); }
}
@media print {
  :root { color-scheme: light; --bg: #fff; --fg: #000; --muted: #444; --line: #bbb; --card: #f3f3f3;
    --link: #000; --warn-bg: #fff8dd; --mark: #ffe08a; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  #filter { display: none; }
  .off { display: revert; }
  .scroll { overflow: visible; }
  table { font-size: 9pt; }
  h2 { break-after: avoid; }
  tr, .sample, figure { break-inside: avoid; }
}
"#;

/// The page's script: sorting tables by a click on a header and filtering by category. The
/// page is complete without it (the filter bar stays hidden, the tables stay in their order).
const SCRIPT: &str = r#"
(function () {
  function key(cell) {
    var v = cell.getAttribute('data-sort');
    if (v === null) { v = cell.textContent.trim(); }
    var n = Number(v.replace(/,/g, '').replace(/%$/, ''));
    return v !== '' && !isNaN(n) ? [0, n] : [1, v.toLowerCase()];
  }
  function cmp(a, b) {
    if (a[0] !== b[0]) { return a[0] - b[0]; }
    return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    var heads = table.querySelectorAll('thead th');
    Array.prototype.forEach.call(heads, function (th, col) {
      th.tabIndex = 0;
      th.title = 'Sort by this column';
      function sort() {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var dir = th.getAttribute('aria-sort') === 'descending' ? 1 : -1;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        rows.sort(function (a, b) { return cmp(key(a.cells[col]), key(b.cells[col])) * dir; });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); }
      });
    });
  });
  var bar = document.getElementById('filter');
  if (!bar) { return; }
  bar.hidden = false;
  var buttons = bar.querySelectorAll('button');
  function apply() {
    var on = {};
    Array.prototype.forEach.call(buttons, function (b) {
      on[b.getAttribute('data-category')] = b.getAttribute('aria-pressed') === 'true';
    });
    Array.prototype.forEach.call(document.querySelectorAll('.f[data-category]'), function (el) {
      var c = el.getAttribute('data-category');
      el.classList.toggle('off', on.hasOwnProperty(c) && !on[c]);
    });
  }
  Array.prototype.forEach.call(buttons, function (b) {
    b.addEventListener('click', function () {
      b.setAttribute('aria-pressed', b.getAttribute('aria-pressed') === 'true' ? 'false' : 'true');
      apply();
    });
  });
})();
"#;

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
                            (self.codes(&codes))
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
        let rules = policy.describe(catalog);
        html! {
            @if failing.is_empty() && !unknown_fails {
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
                    (crate::text::plural(summary.errors(), "input", "inputs"))
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
                div.card { span.n #inputs { (group(summary.files())) } "inputs read" }
                div.card { span.n #lines { (group(summary.lines())) } "lines" }
                div.card { span.n #hits { (group(summary.hits())) } "hits" }
                div.card { span.n #lines-with-hits { (group(summary.lines_with_hits())) } "lines with hits" }
                div.card {
                    span.n #generic-share { (percent(generic, summary.hits())) }
                    "of hits are generic codes (" (group(generic)) ")"
                }
                @if summary.errors() > 0 {
                    div.card { span.n { (group(summary.errors())) } "inputs not read" }
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
                figure.scroll { (svg::category_bars(&bars)) }
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
                    Some(grid) => {
                        figure {
                            div.scroll { (svg::timeline(grid, &series)) }
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
    fn codes(&self, codes: &[CodeRow]) -> Markup {
        let catalog = self.context.catalog;
        html! {
            section #codes {
                h2 { "Codes" }
                div.scroll {
                    table.sortable {
                        thead { tr {
                            th { "code" } th { "level" } th { "category" } th.num { "hits" }
                            th.num { "lines" } th { "中文" } th { "English" } th { "docs" }
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
