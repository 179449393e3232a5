//! The HTML report as its real consumer sees it: reports rendered by the binary from the
//! fixtures are loaded in headless Chromium (`--dump-dom`, the live DOM after the page's own
//! script ran), and that DOM is read with an HTML5 parser (`scraper`, html5ever's tree).
//!
//! What is checked: the charts hold one bar per category with the hits the JSON summary of the
//! same scan gives, the timeline holds one stacked segment per (bucket, category) with hits,
//! bucketed here from the JSON-lines hits' own timestamps; the headline numbers, the requests
//! and the first hits are there; and the hostile fixture's markup (`<script>`, `onerror=`,
//! `</svg>`, `</style>`, `javascript:`, `<!--`, bidi overrides, terminal escapes) shows only as
//! text: no element, attribute, link or comment comes from it.
//!
//! Two properties need no browser (html5ever parses as browsers do): any text the page shows
//! parses back as exactly the terminal's rendering of it, in an element or an attribute; and
//! reports of random hostile lines under random hostile file names are valid HTML5 with only
//! the page's own elements, script and style sheet, no comment, event handler or foreign link.
//!
//! The browser is `chromium`, `chromium-browser` or `google-chrome` on `PATH`. Without one,
//! the checks on the page as written (parsed by html5ever, as a browser parses it) still run;
//! the live-DOM checks print a notice and are skipped, except under `CI=true`, where a missing
//! browser fails the test (`.ci/run` installs Chromium).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cbscan::catalog::Catalog;
use cbscan::input::{resolve_inputs, WalkOptions};
use cbscan::policy::Policy;
use cbscan::report::escape::terminal;
use cbscan::report::html::Text;
use cbscan::report::{new_report, Context, Format, ReportOptions};
use cbscan::scan::{ScanOptions, Scanner};
use maud::Render;
use proptest::prelude::*;
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use support::{cbscan, root};
use tempfile::TempDir;

/// The fixtures the main report is made of: CloudBase logs with zoned times, requests, generic
/// and specific codes, a code not in the catalog, and the hostile one.
const FIXTURES: [&str; 3] = [
    "fixtures/scf-requests.log",
    "fixtures/cloudfunction-runtime.log",
    "fixtures/hostile.log",
];

/// A file name that is markup, for the inputs table.
const HOSTILE_NAME: &str = "\"><img src=x onerror=alert(1)> <!--.log";

// ---------------------------------------------------------------------------------------------
// Running the binary and the browser

/// Runs `cbscan scan ARGS` and returns standard output.
fn scan(args: &[&str]) -> Vec<u8> {
    let out = cbscan()
        .arg("scan")
        .args(args)
        .output()
        .expect("cbscan runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {stderr}"
    );
    out.stdout
}

/// Writes the HTML report of `inputs` (with `--report html=…`) into `dir` and returns its path.
fn render(dir: &Path, inputs: &[String]) -> PathBuf {
    let path = dir.join("report.html");
    let spec = format!("html={}", path.display());
    let mut args = vec!["-q", "--report", &spec];
    args.extend(inputs.iter().map(String::as_str));
    scan(&args);
    path
}

/// The fixtures, with the hostile one also copied under a hostile file name into `dir`.
fn inputs(dir: &Path) -> Vec<String> {
    let hostile = dir.join(HOSTILE_NAME);
    fs::copy(root().join("fixtures/hostile.log"), &hostile).expect("copy");
    let mut inputs: Vec<String> = FIXTURES.iter().map(|f| f.to_string()).collect();
    inputs.push(hostile.display().to_string());
    inputs
}

/// The first browser found on `PATH`. None: a notice, or a failure under `CI=true`.
fn browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for folder in std::env::split_paths(&path) {
            let candidate = folder.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "no chromium, chromium-browser or google-chrome on PATH: the HTML report's browser \
             tests must run in CI (.ci/run installs it with `apt-get install -y chromium`)"
        );
    }
    eprintln!(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         !!  NOTICE: no chromium, chromium-browser or google-chrome on PATH: the live-DOM   !!\n\
         !!  checks of the HTML report were SKIPPED (install Chromium to run them).         !!\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
    );
    None
}

/// Runs headless `browser` on `page` with `action` (`--dump-dom`, `--screenshot=…`), a fresh
/// profile, no network services, and a deadline; returns what it printed on stdout.
fn run_browser(browser: &Path, page: &Path, action: &[String]) -> String {
    let profile = TempDir::new().expect("profile dir");
    let stdout_path = profile.path().join("stdout");
    let stdout = fs::File::create(&stdout_path).expect("stdout file");
    let page = fs::canonicalize(page).expect("page path");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ))
        .args(action)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .expect("the browser starts");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().expect("waiting for the browser") {
            assert!(status.success(), "the browser failed: {status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the browser did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    fs::read_to_string(&stdout_path).expect("the browser's output")
}

/// The live DOM of `page` after its script ran, if a browser is there.
fn live_dom(page: &Path) -> Option<Html> {
    let browser = browser()?;
    let dom = run_browser(&browser, page, &["--dump-dom".to_string()]);
    assert!(dom.contains("</html>"), "a whole document: {dom:.200}");
    Some(Html::parse_document(&dom))
}

// ---------------------------------------------------------------------------------------------
// Reading pages

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("a selector")
}

fn all<'a>(page: &'a Html, s: &str) -> Vec<ElementRef<'a>> {
    page.select(&sel(s)).collect()
}

fn one<'a>(page: &'a Html, s: &str) -> ElementRef<'a> {
    let found = all(page, s);
    assert_eq!(found.len(), 1, "exactly one {s}");
    found[0]
}

fn text(e: ElementRef<'_>) -> String {
    e.text().collect()
}

fn attr_u64(e: ElementRef<'_>, name: &str) -> u64 {
    e.value()
        .attr(name)
        .unwrap_or_else(|| panic!("{name} on {}", e.html()))
        .parse()
        .expect("a number")
}

/// A count as the page prints it (`1,234`).
fn number(s: &str) -> u64 {
    s.trim().replace(',', "").parse().expect("a count")
}

/// Every text node of the page, joined.
fn all_text(page: &Html) -> String {
    page.root_element().text().collect()
}

/// The JSON document of a scan of `inputs`.
fn json_of(inputs: &[String]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend(inputs.iter().map(String::as_str));
    serde_json::from_slice(&scan(&args)).expect("JSON")
}

/// The hits of a scan of `inputs`, as JSON-lines records.
fn hits_of(inputs: &[String]) -> Vec<Value> {
    let mut args = vec!["--format", "jsonl"];
    args.extend(inputs.iter().map(String::as_str));
    scan(&args)
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).expect("a JSON line"))
        .filter(|r| r["type"] == "hit")
        .collect()
}

/// A hit's time as Unix seconds (a time without a zone counts as UTC, as the timeline shows it).
fn unix_seconds(timestamp: &str) -> i64 {
    if let Ok(t) = timestamp.parse::<jiff::Timestamp>() {
        return t.as_second();
    }
    let civil: jiff::civil::DateTime = timestamp.parse().expect("a timestamp");
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("in range")
        .timestamp()
        .as_second()
}

// ---------------------------------------------------------------------------------------------
// What every page must hold, live or as written

/// The charts and numbers of `page` agree with the JSON summary and the hits of the same scan.
fn check_numbers(page: &Html, json: &Value, hits: &[Value]) {
    let summary = &json["summary"];
    // Headline numbers.
    for (id, field) in [
        ("#inputs", "files"),
        ("#lines", "lines"),
        ("#hits", "hits"),
        ("#lines-with-hits", "lines_with_hits"),
    ] {
        assert_eq!(
            number(&text(one(page, id))),
            summary[field].as_u64().expect(field),
            "{id}"
        );
    }

    // Hits per category, summed here from the summary's codes.
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for code in summary["by_code"].as_object().expect("by_code").values() {
        *expected
            .entry(code["category"].as_str().expect("category").to_string())
            .or_default() += code["hits"].as_u64().expect("hits");
    }
    let bars = one(page, "svg.bars");
    let mut drawn: BTreeMap<String, u64> = BTreeMap::new();
    for bar in bars.select(&sel("rect[data-category]")) {
        let category = bar.value().attr("data-category").expect("category");
        let hits = attr_u64(bar, "data-hits");
        assert!(
            drawn.insert(category.to_string(), hits).is_none(),
            "{category} once"
        );
        // The tooltip and the number beside the bar say the same.
        let tooltip = text(bar.select(&sel("title")).next().expect("a tooltip"));
        assert_eq!(tooltip, format!("{category}: {hits} hits"));
    }
    assert_eq!(drawn, expected, "bars per category");
    let numbers: Vec<u64> = bars
        .select(&sel("text.number"))
        .map(|t| number(&text(t)))
        .collect();
    let mut by_count: Vec<u64> = expected.values().copied().collect();
    by_count.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        numbers, by_count,
        "the numbers beside the bars, longest first"
    );
    // Longer bars for more hits.
    let widths: Vec<f64> = bars
        .select(&sel("rect[data-category]"))
        .map(|r| {
            r.value()
                .attr("width")
                .expect("width")
                .parse()
                .expect("a width")
        })
        .collect();
    assert!(widths.windows(2).all(|w| w[0] >= w[1]), "{widths:?}");

    // The timeline: bucketed here from each hit's own timestamp at the page's bucket width.
    let timeline = one(page, "svg.timeline");
    let width: i64 = timeline
        .value()
        .attr("data-width")
        .expect("data-width")
        .parse()
        .expect("a width");
    assert!(width > 0);
    let mut cells: BTreeMap<(i64, String), u64> = BTreeMap::new();
    for hit in hits {
        if let Some(t) = hit["timestamp"].as_str() {
            let start = unix_seconds(t).div_euclid(width) * width;
            let category = hit["category"].as_str().expect("category").to_string();
            *cells.entry((start, category)).or_default() += 1;
        }
    }
    let mut segments: BTreeMap<(i64, String), u64> = BTreeMap::new();
    for rect in timeline.select(&sel("rect[data-category]")) {
        let start: i64 = rect
            .value()
            .attr("data-start")
            .expect("data-start")
            .parse()
            .expect("a start");
        let key = (
            start,
            rect.value()
                .attr("data-category")
                .expect("category")
                .to_string(),
        );
        assert!(segments.insert(key, attr_u64(rect, "data-hits")).is_none());
    }
    assert!(!cells.is_empty(), "the fixtures' hits have times");
    assert_eq!(
        segments.len(),
        cells.len(),
        "one segment per bucket and category with hits"
    );
    assert_eq!(segments, cells, "hits per bucket and category");
    // Every bucket from the first to the last is there, empty ones too, on the epoch grid.
    let starts: Vec<i64> = timeline
        .select(&sel("g.bucket"))
        .map(|g| {
            g.value()
                .attr("data-start")
                .expect("start")
                .parse()
                .expect("a start")
        })
        .collect();
    let first = cells.keys().map(|k| k.0).min().expect("a bucket");
    let last = cells.keys().map(|k| k.0).max().expect("a bucket");
    assert_eq!(starts.first(), Some(&first));
    assert_eq!(starts.last(), Some(&last));
    assert_eq!(
        starts.len() as i64,
        (last - first) / width + 1,
        "dense buckets"
    );
    assert!(starts.len() <= 120, "at most 120 bars: {}", starts.len());
    assert!(starts.iter().all(|s| s % width == 0));
}

/// Nothing of the hostile fixture became markup in `page`: only our one script and style, no
/// event handler, image, frame or comment, no link but to `#…` or the web, and the hostile
/// strings are there as text.
fn check_hostile(page: &Html) {
    let scripts = all(page, "script");
    assert_eq!(scripts.len(), 1, "only the page's own script");
    assert!(scripts[0].value().attr("src").is_none());
    assert!(text(scripts[0]).contains("table.sortable"), "it is ours");
    assert_eq!(
        all(page, "style").len(),
        1,
        "only the page's own style sheet"
    );
    for tag in [
        "img",
        "iframe",
        "object",
        "embed",
        "base",
        "meta[http-equiv]",
        "form",
    ] {
        assert!(all(page, tag).is_empty(), "no {tag}");
    }
    for element in page.root_element().descendent_elements() {
        for (name, value) in element.value().attrs() {
            assert!(
                !name.starts_with("on"),
                "an event handler: {}",
                element.html()
            );
            assert!(
                !value.to_ascii_lowercase().contains("javascript:"),
                "a javascript: value: {}",
                element.html()
            );
        }
    }
    for link in all(page, "a[href]") {
        let href = link.value().attr("href").expect("href");
        assert!(
            href.starts_with('#') || href.starts_with("https://") || href.starts_with("http://"),
            "{href}"
        );
        if !href.starts_with('#') {
            assert!(
                href.starts_with("https://docs.cloudbase.net/"),
                "catalog links only: {href}"
            );
        }
    }
    assert!(
        !page.tree.nodes().any(|n| n.value().is_comment()),
        "no comment: `<!--` stayed text"
    );
    // Two charts, each whole: `</svg>` in a log did not end one early.
    assert_eq!(all(page, "svg").len(), 2);
    assert_eq!(
        all(page, "svg.bars g.series").len(),
        all(page, "svg.bars rect").len()
    );
    // The style sheet was not ended by `</style>`: the body is shown, the text is there.
    assert!(one(page, "body").value().attr("style").is_none());
    let shown = all_text(page);
    for hostile in [
        "collection <script>alert(1)</script> not exists",
        "Db or Table not exist: \"><img src=x onerror=alert(1)>",
        "/var/task/</svg><svg onload=alert(1)>.js",
        "</style><style>body{display:none}</style>",
        "see javascript:alert(1) for",
        "<!-- hidden comment starts here",
        "<a href=\"javascript:alert(1)\">click</a>",
        HOSTILE_NAME,
    ] {
        assert!(shown.contains(hostile), "{hostile:?} shown as text");
    }
    // Bidi overrides and isolates, zero-width and terminal controls: visible stand-ins.
    for raw in [
        '\u{202e}', '\u{202c}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{1b}', '\u{7}',
    ] {
        assert!(!shown.contains(raw), "{:?} raw in the page", raw);
    }
    assert!(
        shown.contains("user=\\u{202e}gnp.exe\\u{202c}"),
        "the override is shown"
    );
    assert!(
        shown.contains("␛[31mSYS_ERR␛[0m"),
        "escape sequences are shown"
    );
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn charts_and_numbers_match_the_scan_in_the_live_dom() {
    let dir = TempDir::new().expect("temp dir");
    let inputs = inputs(dir.path());
    let page = render(dir.path(), &inputs);
    let json = json_of(&inputs);
    let hits = hits_of(&inputs);

    let written = fs::read_to_string(&page).expect("the report");
    let parsed = Html::parse_document(&written);
    assert_eq!(
        parsed.errors,
        Vec::<std::borrow::Cow<'_, str>>::new(),
        "valid HTML5"
    );
    check_numbers(&parsed, &json, &hits);
    // As written, the filter bar is hidden: the page is complete without its script.
    assert!(one(&parsed, "#filter").value().attr("hidden").is_some());

    let Some(live) = live_dom(&page) else { return };
    check_numbers(&live, &json, &hits);
    // The script ran: it showed the filter bar and made the headers sortable.
    assert!(
        one(&live, "#filter").value().attr("hidden").is_none(),
        "script ran"
    );
    assert!(all(&live, "table.sortable th[tabindex]").len() > 5);
}

#[test]
fn hostile_logs_and_file_names_stay_text_in_the_live_dom() {
    let dir = TempDir::new().expect("temp dir");
    // The hostile log alone (twice, once under a hostile name), so every one of its hits is
    // among the first hits the page shows.
    let inputs = inputs(dir.path())[FIXTURES.len() - 1..].to_vec();
    let page = render(dir.path(), &inputs);
    let written = Html::parse_document(&fs::read_to_string(&page).expect("the report"));
    check_hostile(&written);
    let Some(live) = live_dom(&page) else { return };
    check_hostile(&live);
}

#[test]
fn the_page_lists_requests_first_hits_and_inputs() {
    let dir = TempDir::new().expect("temp dir");
    let inputs = inputs(dir.path());
    let page = render(dir.path(), &inputs);
    let html = Html::parse_document(&fs::read_to_string(&page).expect("the report"));

    // The requests --by-request lists, though it was not given: an HTML report asks for them.
    let mut args = vec!["--format", "json", "--by-request"];
    args.extend(inputs.iter().map(String::as_str));
    let json: Value = serde_json::from_slice(&scan(&args)).expect("JSON");
    let expected: Vec<String> = json["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| r["request_id"].as_str().expect("id").to_string())
        .collect();
    assert!(!expected.is_empty());
    let listed: Vec<String> = all(&html, "#requests tbody tr td:first-child")
        .into_iter()
        .map(text)
        .collect();
    assert_eq!(
        listed, expected,
        "most affected first, as --by-request lists them"
    );

    // The first hits of each code: place, time, request and text, from the JSON lines.
    let hits = hits_of(&inputs);
    let first = &hits[0];
    let code = first["code"].as_str().expect("code");
    let block = all(&html, "#first-hits .code-samples")
        .into_iter()
        .find(|b| b.value().attr("data-code") == Some(code))
        .expect("the code has its block");
    let sample = block.select(&sel(".sample")).next().expect("a sample");
    assert_eq!(
        text(sample.select(&sel(".place")).next().expect("place")),
        format!(
            "{}:{}",
            first["path"]["text"].as_str().expect("path"),
            first["line"]
        )
    );
    assert_eq!(
        text(sample.select(&sel(".time")).next().expect("time")),
        first["timestamp"].as_str().expect("timestamp")
    );
    assert_eq!(
        text(sample.select(&sel(".request")).next().expect("request")),
        first["request_id"].as_str().expect("request")
    );
    assert_eq!(
        text(sample.select(&sel(".excerpt")).next().expect("excerpt")),
        first["text"].as_str().expect("text")
    );
    assert_eq!(
        text(sample.select(&sel("mark")).next().expect("mark")),
        first["matched"].as_str().expect("matched")
    );

    // One row per input, with its hits.
    let rows = all(&html, "#inputs-table tbody tr");
    assert_eq!(rows.len(), inputs.len());
    for (row, input) in rows
        .iter()
        .zip(&json["inputs"].as_array().expect("inputs")[..])
    {
        let cells: Vec<String> = row.select(&sel("td")).map(text).collect();
        assert_eq!(cells[0], input["path"]["text"].as_str().expect("path"));
        assert_eq!(number(&cells[2]), input["hits"].as_u64().expect("hits"));
    }

    // The code not in the catalog, and the generic codes' advice.
    assert!(all_text(&html).contains("DATABASE_NEW_HOSTILE_CODE"));
    let generic: BTreeSet<&str> = all(&html, "#generic li")
        .into_iter()
        .filter_map(|li| li.value().attr("data-code"))
        .collect();
    assert!(generic.contains("FUNCTIONS_EXECUTE_FAIL") && generic.contains("SYS_ERR"));
}

#[test]
fn stdout_and_report_file_are_the_same_and_do_not_change_between_runs() {
    let dir = TempDir::new().expect("temp dir");
    let inputs: Vec<String> = FIXTURES.iter().map(|f| f.to_string()).collect();
    let page = render(dir.path(), &inputs);
    let mut args = vec!["--format", "html"];
    args.extend(inputs.iter().map(String::as_str));
    let stdout = scan(&args);
    assert_eq!(stdout, fs::read(&page).expect("the report"));
    assert_eq!(
        scan(&args),
        stdout,
        "nothing depends on when the page was made"
    );
}

#[test]
fn a_scan_without_hits_gives_a_page_that_says_so() {
    let dir = TempDir::new().expect("temp dir");
    let page = render(dir.path(), &["fixtures/non-cloudbase.log".to_string()]);
    let html = Html::parse_document(&fs::read_to_string(&page).expect("the report"));
    assert!(all_text(&html).contains("No error code was found."));
    assert!(all(&html, "svg").is_empty());
    assert_eq!(number(&text(one(&html, "#hits"))), 0);
}

/// A copy of `page` (in its folder) with `script` run after the page's own, as a reader's
/// clicks would: the live DOM then shows what the page's script made of them.
fn with_script(page: &Path, script: &str) -> PathBuf {
    let written = fs::read_to_string(page).expect("the report");
    let at = written.rfind("</body>").expect("a body");
    let copy = page.with_file_name("clicked.html");
    fs::write(
        &copy,
        format!(
            "{}<script>{script}</script>{}",
            &written[..at],
            &written[at..]
        ),
    )
    .expect("the copy");
    copy
}

fn attr_f64(e: ElementRef<'_>, name: &str) -> f64 {
    e.value()
        .attr(name)
        .unwrap_or_else(|| panic!("{name} on {}", e.html()))
        .parse()
        .expect("a number")
}

fn is_off(e: ElementRef<'_>) -> bool {
    e.value().classes().any(|c| c == "off")
}

#[test]
fn hiding_a_category_hides_it_in_both_charts_and_the_timeline_restacks() {
    let dir = TempDir::new().expect("temp dir");
    let inputs: Vec<String> = FIXTURES.iter().map(|f| f.to_string()).collect();
    let page = render(dir.path(), &inputs);
    let written = Html::parse_document(&fs::read_to_string(&page).expect("the report"));
    // The category with the most hits: hiding it changes the timeline's scale the most.
    let hidden = one(&written, "#filter button:first-of-type")
        .value()
        .attr("data-category")
        .expect("a category")
        .to_string();
    let clicked = with_script(&page, "document.querySelector('#filter button').click();");
    let Some(live) = live_dom(&clicked) else {
        return;
    };
    assert_eq!(
        one(&live, "#filter button:first-of-type")
            .value()
            .attr("aria-pressed"),
        Some("false")
    );

    // The bar chart: the hidden category's row is hidden, the others close up from the top.
    let bars = one(&live, "svg.bars");
    let row = attr_f64(bars, "data-row");
    let mut shown = 0;
    for g in bars.select(&sel("g.series")) {
        let category = g.value().attr("data-category").expect("category");
        assert_eq!(is_off(g), category == hidden, "{}", g.html());
        if is_off(g) {
            continue;
        }
        let shift: f64 = g
            .value()
            .attr("transform")
            .and_then(|t| t.strip_prefix("translate(0,"))
            .and_then(|t| t.strip_suffix(')'))
            .map(|t| t.parse().expect("a shift"))
            .unwrap_or(0.0);
        let rect = g.select(&sel("rect")).next().expect("a bar");
        let y = attr_f64(rect, "y") + shift;
        assert!(
            (y - (8.0 + shown as f64 * row)).abs() < 0.01,
            "row {shown}: {y}"
        );
        shown += 1;
    }
    assert!(shown > 0);

    // The timeline: the hidden category's segments are hidden; the others stack from the
    // bottom with no gap, and the tallest shown bucket fills the plot.
    let timeline = one(&live, "svg.timeline");
    let bottom = attr_f64(timeline, "data-bottom");
    let plot = attr_f64(timeline, "data-plot");
    let mut tallest = (0u64, 0.0f64);
    for bucket in timeline.select(&sel("g.bucket")) {
        let mut top = bottom;
        let mut total = 0;
        for rect in bucket.select(&sel("rect.segment")) {
            let category = rect.value().attr("data-category").expect("category");
            assert_eq!(is_off(rect), category == hidden, "{}", rect.html());
            if is_off(rect) {
                continue;
            }
            let (y, height) = (attr_f64(rect, "y"), attr_f64(rect, "height"));
            assert!(
                (y + height - top).abs() < 0.02 || height <= 0.5,
                "stacked: {}",
                rect.html()
            );
            top = y;
            total += attr_u64(rect, "data-hits");
        }
        if total > tallest.0 {
            tallest = (total, bottom - top);
        }
    }
    assert!(tallest.0 > 0, "some other category has timed hits");
    assert!(
        (tallest.1 - plot).abs() < 0.05,
        "the scale follows: {tallest:?}"
    );
    assert_eq!(
        number(&text(one(&live, "svg.timeline text.max"))),
        tallest.0
    );
}

#[test]
fn the_first_click_sorts_text_a_to_z_and_counts_largest_first() {
    let dir = TempDir::new().expect("temp dir");
    let inputs: Vec<String> = FIXTURES.iter().map(|f| f.to_string()).collect();
    let page = render(dir.path(), &inputs);
    // A click on the codes table's first header (code, text), and one on the inputs table's
    // second (lines, a count).
    let clicked = with_script(
        &page,
        "document.querySelector('#codes th').click();\
         document.querySelectorAll('#inputs-table th')[1].click();",
    );
    let Some(live) = live_dom(&clicked) else {
        return;
    };
    assert_eq!(
        one(&live, "#codes th:first-child")
            .value()
            .attr("aria-sort"),
        Some("ascending")
    );
    let codes: Vec<String> = all(&live, "#codes tbody tr td:first-child code")
        .into_iter()
        .map(|c| text(c).to_lowercase())
        .collect();
    assert!(codes.len() > 2);
    assert!(codes.windows(2).all(|w| w[0] <= w[1]), "A to Z: {codes:?}");
    assert_eq!(
        one(&live, "#inputs-table th:nth-child(2)")
            .value()
            .attr("aria-sort"),
        Some("descending")
    );
    let lines: Vec<u64> = all(&live, "#inputs-table tbody tr td:nth-child(2)")
        .into_iter()
        .map(|c| number(&text(c)))
        .collect();
    assert!(
        lines.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {lines:?}"
    );
}

#[test]
fn a_timeline_of_one_second_is_a_sentence_not_a_block() {
    let dir = TempDir::new().expect("temp dir");
    let log = dir.path().join("one-second.log");
    fs::write(
        &log,
        "2026-11-30T10:00:01.100Z DATABASE_TIMEOUT\n2026-11-30T10:00:01.900Z SYS_ERR\n",
    )
    .expect("the log");
    let page = render(dir.path(), &[log.display().to_string()]);
    let html = Html::parse_document(&fs::read_to_string(&page).expect("the report"));
    assert!(all(&html, "svg.timeline").is_empty(), "no one-block chart");
    assert_eq!(
        text(one(&html, "#timeline-one")),
        "All 2 hits with a time fell in one second: 2026-11-30 10:00:01 UTC."
    );
}

#[test]
fn a_line_with_a_code_and_its_alias_is_one_sample() {
    let mut log = String::new();
    for i in 1..=6 {
        log.push_str(&format!(
            "2026-11-30T10:00:0{i}Z DATABASE_COLLECTION_NOT_EXIST (-502005) at step {i}\n"
        ));
    }
    let html = Html::parse_document(&report_of(b"alias.log", log.as_bytes()));
    let block = one(&html, "#first-hits .code-samples");
    let places: Vec<String> = block.select(&sel(".place")).map(text).collect();
    let lines: Vec<&str> = places.iter().filter_map(|p| p.rsplit(':').next()).collect();
    assert_eq!(lines, ["1", "2", "3", "4", "5"], "{places:?}");
    assert_eq!(
        text(block.select(&sel(".note")).next().expect("a note")),
        "7 more hits."
    );
}

#[test]
fn one_input_not_read_is_singular() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("report.html");
    cbscan()
        .args(["scan", "-q", "--report"])
        .arg(format!("html={}", path.display()))
        .args(["fixtures/scf-requests.log", "no-such-file.log"])
        .output()
        .expect("cbscan runs");
    let html = Html::parse_document(&fs::read_to_string(&path).expect("the report"));
    let card = one(&html, "#not-read").parent().expect("its card");
    let card = ElementRef::wrap(card).expect("an element");
    assert_eq!(text(card), "1input not read");
}

/// A scan that could not read an input is not shown as a pass, even when nothing it read fails.
#[test]
fn an_incomplete_scan_without_failing_codes_is_not_a_pass() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().join("report.html");
    cbscan()
        .args(["scan", "-q", "--report"])
        .arg(format!("html={}", path.display()))
        .args(["fixtures/non-cloudbase.log", "no-such-file.log"])
        .output()
        .expect("cbscan runs");
    let html = Html::parse_document(&fs::read_to_string(&path).expect("the report"));
    let verdicts: Vec<String> = html
        .select(&Selector::parse("p.verdict").expect("a selector"))
        .map(text)
        .collect();
    assert!(
        verdicts.iter().all(|v| !v.starts_with("Passes")),
        "{verdicts:?}"
    );
    assert!(
        verdicts.iter().any(|v| v.starts_with("Not a pass")),
        "{verdicts:?}"
    );
}

/// The charts fit a narrow screen: nothing scrolls sideways, the latest bucket and the longest
/// bar are in view, and their labels are still of a readable size.
#[test]
fn the_charts_fit_a_phone_screen() {
    let Some(browser) = browser() else { return };
    let dir = TempDir::new().expect("temp dir");
    let inputs: Vec<String> = FIXTURES.iter().map(|f| f.to_string()).collect();
    let page = render(dir.path(), &inputs);
    let measured = with_script(
        &page,
        "var w = document.documentElement.clientWidth;\
         document.body.setAttribute('data-view', w);\
         document.body.setAttribute('data-page', document.documentElement.scrollWidth);\
         document.querySelectorAll('svg.chart').forEach(function (s) {\
           s.setAttribute('data-right', Math.ceil(s.getBoundingClientRect().right));\
           var t = s.querySelector('text'); \
           s.setAttribute('data-font', t.getBoundingClientRect().height.toFixed(1)); });",
    );
    let dom = run_browser(
        &browser,
        &measured,
        &[
            "--dump-dom".to_string(),
            "--window-size=390,2400".to_string(),
            "--force-device-scale-factor=1".to_string(),
        ],
    );
    let live = Html::parse_document(&dom);
    let body = one(&live, "body");
    let view = attr_f64(body, "data-view");
    // Headless Chromium lays a page out at least 500 px wide whatever the window size; that
    // is still under the page's narrow-screen breakpoint (640 px) and under the charts' old
    // minimum width (560 px), which made them scroll.
    assert!(view < 560.0, "a narrow screen: {view}");
    assert!(
        attr_f64(body, "data-page") <= view,
        "the page does not scroll sideways"
    );
    for chart in all(&live, "svg.chart") {
        assert!(
            attr_f64(chart, "data-right") <= view,
            "{}",
            chart.value().attr("class").unwrap_or("")
        );
        assert!(attr_f64(chart, "data-font") >= 12.0, "labels readable");
    }
}

// ---------------------------------------------------------------------------------------------
// Properties, without a browser: html5ever parses as browsers do

/// Pieces of log text that break markup, with codes so that lines have hits.
const PIECES: [&[u8]; 26] = [
    b"DATABASE_TIMEOUT",
    b"FUNCTIONS_EXECUTE_FAIL",
    b"-502005",
    b"2026-11-30T10:00:01.100Z ",
    b"requestId=abc12345-x9 ",
    b"<script>alert(1)</script>",
    b"</svg>",
    b"</style>",
    b"</textarea>",
    b"<!--",
    b"-->",
    b"\"><img src=x onerror=alert(1)>",
    b"javascript:alert(1)",
    b"<![CDATA[",
    b"]]>",
    b"&amp;",
    b"&#60;",
    b"'",
    b"\"",
    b"\xe2\x80\xae",
    b"\xe2\x81\xa6",
    b"\x1b[31m",
    b"\x00",
    b"\xff\xfe",
    b"\t",
    " 错误码 ".as_bytes(),
];

fn hostile_line() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(PIECES.to_vec()), 1..12)
        .prop_map(|parts| parts.concat())
}

/// Every element the page itself writes: anything else came from the input.
const OUR_ELEMENTS: [&str; 35] = [
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "main",
    "h1",
    "h2",
    "h3",
    "p",
    "code",
    "section",
    "div",
    "span",
    "figure",
    "figcaption",
    "svg",
    "g",
    "rect",
    "text",
    "tspan",
    "line",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "ul",
    "li",
    "mark",
    "button",
    "footer",
];

/// The HTML report of a log holding `text`, named `name`, made in process.
fn report_of(name: &[u8], text: &[u8]) -> String {
    use std::os::unix::ffi::OsStrExt;
    let catalog = Catalog::builtin().expect("the built-in catalog");
    let policy = Policy::parse(&catalog, &[]).expect("no rules");
    let dir = TempDir::new().expect("a temp dir");
    let path = dir.path().join(std::ffi::OsStr::from_bytes(name));
    fs::write(&path, text).expect("writing the log");
    let context = Context {
        catalog: &catalog,
        policy: &policy,
        base_dir: dir.path(),
    };
    let scanner = Scanner::for_catalog(
        &catalog,
        ScanOptions {
            by_request: true,
            ..ScanOptions::default()
        },
    );
    let sources = resolve_inputs(&[path], &WalkOptions::default()).expect("the file is listed");
    let mut out = Vec::new();
    {
        let mut report = new_report(
            Format::Html,
            Box::new(&mut out),
            "memory".into(),
            context,
            ReportOptions::default(),
        );
        let _ = scanner.scan(sources, &mut *report);
    }
    String::from_utf8(out).expect("the page is UTF-8")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any text, in an element or an attribute, parses back as exactly the text the terminal
    /// would show: nothing of it is markup, and nothing unsafe is left raw.
    #[test]
    fn text_parses_back_as_the_text_shown(s in "\\PC*|[<>&\"'\u{0}-\u{1f}\u{202e}\u{2066}a-z!/-]*") {
        let mut shown = String::new();
        terminal(&s, &mut shown);
        let rendered = Text(&s).render().into_string();
        let page = Html::parse_fragment(&format!("<p title=\"{rendered}\">{rendered}</p>"));
        let p = one(&page, "p");
        prop_assert_eq!(p.child_elements().count(), 0);
        prop_assert_eq!(text(p), shown.clone());
        prop_assert_eq!(p.value().attr("title"), Some(shown.as_str()));
    }

    /// Whatever a log line and its file's name hold, the page is valid HTML5 with only its own
    /// elements, its one script and style sheet, no comment, no event handler and no link but
    /// its own and the catalog's.
    #[test]
    fn hostile_lines_never_become_markup(
        lines in prop::collection::vec(hostile_line(), 1..6),
        name in hostile_line(),
    ) {
        let mut name = name;
        name.retain(|&b| b != b'/' && b != 0);
        name.extend_from_slice(b".log");
        let mut text = lines.join(&b"\n"[..]);
        text.push(b'\n');
        let page = Html::parse_document(&report_of(&name, &text));
        prop_assert!(page.errors.is_empty(), "{:?}", page.errors);
        prop_assert!(!page.tree.nodes().any(|n| n.value().is_comment()));
        prop_assert_eq!(all(&page, "script").len(), 1);
        prop_assert_eq!(all(&page, "style").len(), 1);
        for element in page.root_element().descendent_elements() {
            let tag = element.value().name();
            prop_assert!(OUR_ELEMENTS.contains(&tag) || tag == "script" || tag == "br", "<{}>", tag);
            for (attr, _) in element.value().attrs() {
                prop_assert!(!attr.starts_with("on"), "{}", element.html());
            }
        }
        for link in all(&page, "a[href]") {
            let href = link.value().attr("href").unwrap_or_default();
            prop_assert!(href.starts_with('#') || href.starts_with("https://docs.cloudbase.net/"), "{}", href);
        }
    }
}

/// Regenerates `docs/report.png`, the README's screenshot, from `tests/data/incident.log`:
/// `cargo test --test html -- --ignored screenshot`.
#[test]
#[ignore = "writes docs/report.png; run by hand when the page changes"]
fn screenshot() {
    let Some(browser) = browser() else { return };
    let dir = TempDir::new().expect("temp dir");
    let page = render(dir.path(), &["tests/data/incident.log".to_string()]);
    let out = root().join("docs/report.png");
    fs::create_dir_all(out.parent().expect("docs")).expect("docs folder");
    run_browser(
        &browser,
        &page,
        &[
            format!("--screenshot={}", out.display()),
            "--window-size=1280,2000".to_string(),
            "--force-device-scale-factor=1".to_string(),
        ],
    );
    let size = fs::metadata(&out).expect("the screenshot").len();
    assert!(size < 400 << 10, "docs/report.png is {size} bytes");
}

/// With `--baseline`, the verdict says it judges beyond the baseline and the codes table marks
/// each code new, grew or known, as the Markdown report does.
#[test]
fn a_baseline_marks_codes_new_grown_or_known() {
    let dir = TempDir::new().expect("temp dir");
    let base = dir.path().join("base.jsonl");
    let saved = cbscan()
        .args(["scan", "--format", "jsonl", "fixtures/scf-requests.log"])
        .output()
        .expect("cbscan runs");
    fs::write(&base, saved.stdout).expect("saving the baseline");
    let path = dir.path().join("report.html");
    cbscan()
        .args(["scan", "-q", "--baseline"])
        .arg(&base)
        .arg("--report")
        .arg(format!("html={}", path.display()))
        .args([
            "fixtures/scf-requests.log",
            "fixtures/cloudfunction-runtime.log",
        ])
        .output()
        .expect("cbscan runs");
    let page = Html::parse_document(&fs::read_to_string(&path).expect("the report"));
    assert!(
        text(one(&page, "p.verdict")).contains("--fail-on any beyond the baseline"),
        "{}",
        text(one(&page, "p.verdict"))
    );
    let mark = |code: &str| {
        let row = one(&page, &format!("#codes tr[data-code=\"{code}\"]"));
        let cell = row
            .select(&Selector::parse("td.baseline").expect("a selector"))
            .next()
            .unwrap_or_else(|| panic!("{code} has no baseline cell"));
        text(cell)
    };
    // Only in the second log: new. In both: on more lines than in the baseline.
    assert_eq!(mark("STORAGE_FILE_NONEXIST"), "new");
    assert!(
        mark("DATABASE_TIMEOUT").starts_with("grew (was "),
        "{}",
        mark("DATABASE_TIMEOUT")
    );
    // The baseline's own log again: nothing grew.
    cbscan()
        .args(["scan", "-q", "--baseline"])
        .arg(&base)
        .arg("--report")
        .arg(format!("html={}", path.display()))
        .arg("fixtures/scf-requests.log")
        .output()
        .expect("cbscan runs");
    let page = Html::parse_document(&fs::read_to_string(&path).expect("the report"));
    let cells: Vec<String> = page
        .select(&Selector::parse("td.baseline").expect("a selector"))
        .map(text)
        .collect();
    assert!(!cells.is_empty());
    assert!(
        cells.iter().all(|c| c.starts_with("known (was ")),
        "{cells:?}"
    );
}

/// Self-contained: nothing on the page loads from anywhere (no element with a `src`, no
/// `link`, `object`, `embed`, `iframe` or `base`, no `url(` or `@import` in the style sheet);
/// the only links are the page's own anchors and the catalog's documentation pages.
#[test]
fn the_page_loads_nothing_from_outside() {
    let dir = TempDir::new().expect("temp dir");
    let inputs: Vec<String> = FIXTURES.iter().map(|f| f.to_string()).collect();
    let path = render(dir.path(), &inputs);
    let page = Html::parse_document(&fs::read_to_string(&path).expect("the report"));
    for element in all(&page, "*") {
        let name = element.value().name();
        assert!(
            !["link", "object", "embed", "iframe", "base", "img", "image", "use"].contains(&name),
            "a <{name}> element"
        );
        for attr in ["src", "srcset", "xlink:href", "poster", "data", "action"] {
            assert!(element.value().attr(attr).is_none(), "<{name} {attr}=…>");
        }
        if let Some(href) = element.value().attr("href") {
            assert!(
                name == "a"
                    && (href.starts_with('#') || href.starts_with("https://docs.cloudbase.net/")),
                "<{name} href={href:?}>"
            );
        }
    }
    let style = all(&page, "style")
        .into_iter()
        .map(text)
        .collect::<String>()
        .to_ascii_lowercase();
    assert!(!style.is_empty());
    assert!(
        !style.contains("url(") && !style.contains("@import"),
        "the style sheet loads something"
    );
}
