//! `--format markdown` (issue 8): the summary read back with a real CommonMark/GFM parser
//! (pulldown-cmark with tables, strikethrough, task lists, footnotes, math and GitHub alerts,
//! which is what GitHub renders), so a table is what the parser sees as one, a cell's text is
//! what a reader sees in it, and hostile codes, paths and catalog text are checked to stay
//! inside their cells, their block and their chart.
//!
//! Expected values come from the test's own logs and catalog, never from the code under test.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use pulldown_cmark::{BlockQuoteKind, CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use regex::Regex;
use support::*;

/// One table cell as a reader sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Cell {
    text: String,
    links: Vec<String>,
    /// Inside emphasis, strong, strikethrough or a code span: markup the writer did not mean.
    marked: bool,
}

#[derive(Debug, Default)]
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.header))
    }

    /// The row whose first cell's text is `key`.
    fn row(&self, key: &str) -> &[Cell] {
        let found: Vec<&Vec<Cell>> = self.rows.iter().filter(|r| r[0].text == key).collect();
        assert_eq!(found.len(), 1, "rows for {key:?} in {:?}", self.rows);
        found[0]
    }

    fn texts(&self, key: &str) -> Vec<&str> {
        self.row(key).iter().map(|c| c.text.as_str()).collect()
    }
}

/// An alert or quote: its kind, and the text of each of its paragraphs and list items.
#[derive(Debug)]
struct Quote {
    kind: Option<BlockQuoteKind>,
    paragraphs: Vec<String>,
    items: Vec<String>,
}

/// What the parser saw.
#[derive(Debug, Default)]
struct Doc {
    headings: Vec<String>,
    tables: Vec<Table>,
    code_blocks: Vec<(String, String)>,
    quotes: Vec<Quote>,
    /// Text inside `**…**` outside tables.
    strong: Vec<String>,
    /// Raw HTML and math: none may appear.
    forbidden: Vec<String>,
}

fn parse(markdown: &str) -> Doc {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM;
    let mut doc = Doc::default();
    let mut heading: Option<String> = None;
    let mut cell: Option<Cell> = None;
    let mut row: Vec<Cell> = Vec::new();
    let mut code: Option<(String, String)> = None;
    let mut quote: Option<Quote> = None;
    let mut text: Option<String> = None; // current paragraph or item inside a quote
    let mut strong: Option<String> = None;
    let mut marks = 0usize;
    for event in Parser::new_ext(markdown, options) {
        let push = |s: &str,
                    heading: &mut Option<String>,
                    cell: &mut Option<Cell>,
                    code: &mut Option<(String, String)>,
                    text: &mut Option<String>,
                    strong: &mut Option<String>| {
            if let Some(h) = heading {
                h.push_str(s);
            }
            if let Some(c) = cell {
                c.text.push_str(s);
            }
            if let Some((_, content)) = code {
                content.push_str(s);
            }
            if let Some(t) = text {
                t.push_str(s);
            }
            if let Some(t) = strong {
                t.push_str(s);
            }
        };
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => doc.headings.extend(heading.take()),
            Event::Start(Tag::Table(_)) => doc.tables.push(Table::default()),
            Event::End(TagEnd::TableHead) => {
                let table = doc.tables.last_mut().unwrap();
                table.header = row.drain(..).map(|c| c.text).collect();
            }
            Event::Start(Tag::TableRow) => row.clear(),
            Event::End(TagEnd::TableRow) => doc
                .tables
                .last_mut()
                .unwrap()
                .rows
                .push(std::mem::take(&mut row)),
            Event::Start(Tag::TableCell) => cell = Some(Cell::default()),
            Event::End(TagEnd::TableCell) => row.extend(cell.take()),
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(lang) => lang.to_string(),
                    CodeBlockKind::Indented => "<indented>".to_string(),
                };
                code = Some((lang, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => doc.code_blocks.extend(code.take()),
            Event::Start(Tag::BlockQuote(kind)) => {
                assert!(quote.is_none(), "nested quote");
                quote = Some(Quote {
                    kind,
                    paragraphs: Vec::new(),
                    items: Vec::new(),
                });
            }
            Event::End(TagEnd::BlockQuote(_)) => doc.quotes.extend(quote.take()),
            Event::Start(Tag::Paragraph) | Event::Start(Tag::Item) if quote.is_some() => {
                text = Some(String::new())
            }
            Event::End(TagEnd::Paragraph) if quote.is_some() => {
                if let (Some(q), Some(t)) = (quote.as_mut(), text.take()) {
                    q.paragraphs.push(t);
                }
            }
            Event::End(TagEnd::Item) if quote.is_some() => {
                if let (Some(q), Some(t)) = (quote.as_mut(), text.take()) {
                    q.items.push(t);
                }
            }
            Event::Start(Tag::Strong) => {
                marks += 1;
                if cell.is_none() {
                    strong = Some(String::new());
                }
            }
            Event::End(TagEnd::Strong) => {
                marks -= 1;
                doc.strong.extend(strong.take());
            }
            Event::Start(Tag::Emphasis) | Event::Start(Tag::Strikethrough) => marks += 1,
            Event::End(TagEnd::Emphasis) | Event::End(TagEnd::Strikethrough) => marks -= 1,
            Event::Start(Tag::Link { dest_url, .. }) => {
                if let Some(c) = cell.as_mut() {
                    c.links.push(dest_url.to_string());
                }
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                doc.forbidden.push(format!("image {dest_url}"))
            }
            Event::Text(s) => {
                if marks > 0 {
                    if let Some(c) = cell.as_mut() {
                        c.marked = true;
                    }
                }
                push(
                    &s,
                    &mut heading,
                    &mut cell,
                    &mut code,
                    &mut text,
                    &mut strong,
                );
            }
            Event::Code(s) => {
                if let Some(c) = cell.as_mut() {
                    c.marked = true;
                }
                push(
                    &s,
                    &mut heading,
                    &mut cell,
                    &mut code,
                    &mut text,
                    &mut strong,
                );
            }
            Event::SoftBreak | Event::HardBreak => push(
                "\n",
                &mut heading,
                &mut cell,
                &mut code,
                &mut text,
                &mut strong,
            ),
            Event::Html(s) | Event::InlineHtml(s) => doc.forbidden.push(format!("html {s}")),
            Event::InlineMath(s) | Event::DisplayMath(s) => doc.forbidden.push(format!("math {s}")),
            Event::FootnoteReference(s) => doc.forbidden.push(format!("footnote {s}")),
            Event::TaskListMarker(_) => doc.forbidden.push("task list".into()),
            _ => {}
        }
    }
    doc
}

fn run(args: &[&str]) -> (i32, String) {
    let output = cbscan().args(args).output().expect("cbscan runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).expect("UTF-8 Markdown"),
    )
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// Decodes the Mermaid entity codes `#NNN;` (decimal).
fn mermaid_decode(s: &str) -> String {
    let re = Regex::new(r"#(\d+);").unwrap();
    re.replace_all(s, |caps: &regex::Captures<'_>| {
        let n: u32 = caps[1].parse().unwrap();
        char::from_u32(n).unwrap().to_string()
    })
    .into_owned()
}

/// Decodes `%XX` escapes of a URL.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

const EVIL_CATEGORY: &str = "evil|`<b>\"#;x```";
const EVIL_CODE: &str = "EVIL|CODE`<script>$x$";
// As TOML basic strings: `\n` is a line break in the text.
const EVIL_ZH: &str =
    "含|竖线 `code` <script>alert(1)</script>\n```\n# heading\n> [!NOTE]\n| a | b |";
const EVIL_EN: &str =
    "a | b ``` c $x$ [link](http://e.com) ![img](x) **bold** &amp; ~~s~~ [^1] - [ ] <!-- c";

fn evil_catalog(dir: &Path) -> String {
    let toml = |s: &str| {
        // A TOML basic string: escape backslash, quote and line break.
        format!(
            "\"{}\"",
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        )
    };
    let text = format!(
        "[[category]]\nid = {cat}\nzh = {czh}\nen = {cen}\n\n\
         [[code]]\ncode = {code}\ncategory = {cat}\nzh = {zh}\nen = {en}\n\
         generic = true\ngeneric_reason = \"evil\"\ndoc = \"https://example.com/docs/{{code}}\"\n",
        cat = toml(EVIL_CATEGORY),
        czh = toml("坏|类"),
        cen = toml("Evil `cat`"),
        code = toml(EVIL_CODE),
        zh = toml(EVIL_ZH),
        en = toml(EVIL_EN),
    );
    let path = dir.join("evil.toml");
    fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// What a person sees for a text with line breaks in a cell: control pictures.
fn shown(s: &str) -> String {
    s.replace('\n', "\u{240a}").replace('\r', "\u{240d}")
}

#[test]
fn hostile_codes_paths_and_catalog_text_stay_in_their_cells() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let catalog = evil_catalog(dir.path());
    let mut names = vec![
        "a|b`c<d>.log".to_string(),
        "$x$ [l](u) *e* ~~s~~.log".to_string(),
        "&amp; <script>.log".to_string(),
    ];
    if cfg!(unix) {
        names.push("e\nf```\n# h.log".to_string());
    }
    for name in &names {
        fs::write(
            logs.join(name),
            format!("x {EVIL_CODE} y\nDATABASE_TIMEOUT\n"),
        )
        .unwrap();
    }
    let d = path_str(&logs);
    let (code, markdown) = run(&[
        "scan",
        d,
        "--catalog",
        &catalog,
        "--format",
        "markdown",
        "--base-dir",
        d,
        "--fail-on",
        "DATABASE_TIMEOUT",
    ]);
    assert_eq!(code, 1);
    let doc = parse(&markdown);
    assert!(doc.forbidden.is_empty(), "{:?}\n{markdown}", doc.forbidden);
    assert_eq!(
        doc.headings,
        [
            "cbscan: CloudBase error codes",
            "Hits per category",
            "Codes",
            "Where each code was first seen",
            "Inputs with hits"
        ],
        "{markdown}"
    );
    assert_eq!(doc.tables.len(), 5, "{markdown}");
    let n = names.len().to_string();

    // The verdict.
    assert!(
        doc.strong.iter().any(|s| s == "Result: fails."),
        "{:?}",
        doc.strong
    );

    // Headline numbers.
    let numbers = &doc.tables[0];
    assert_eq!(
        numbers.header,
        ["inputs", "lines", "hits", "lines with hits", "errors"]
    );
    let twice = (names.len() * 2).to_string();
    assert_eq!(
        numbers.rows[0]
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>(),
        [n.as_str(), &twice, &twice, &twice, "0"]
    );

    // Categories: the hostile id and names are one cell each, shown as written.
    let categories = &doc.tables[1];
    assert_eq!(
        categories.header,
        ["category", "中文", "English", "hits", "lines"]
    );
    assert_eq!(categories.rows.len(), 2);
    assert_eq!(
        categories.texts(EVIL_CATEGORY),
        [EVIL_CATEGORY, "坏|类", "Evil `cat`", &n, &n]
    );
    assert_eq!(
        categories.texts("database"),
        ["database", "数据库", "Database", &n, &n]
    );

    // Codes: the hostile code and meanings are one cell each; the link goes where the
    // catalog says, percent-encoded.
    let codes = &doc.tables[2];
    assert_eq!(
        codes.header,
        ["code", "level", "category", "hits", "lines", "中文", "English", "docs"]
    );
    assert_eq!(codes.rows.len(), 2);
    assert_eq!(codes.rows[0][0].text, "DATABASE_TIMEOUT", "errors first");
    let evil = codes.row(EVIL_CODE);
    let texts: Vec<&str> = evil.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            EVIL_CODE,
            "note",
            EVIL_CATEGORY,
            &n,
            &n,
            &shown(EVIL_ZH),
            EVIL_EN,
            "docs"
        ]
    );
    for (i, cell) in evil.iter().enumerate() {
        assert!(!cell.marked, "column {i} holds markup: {cell:?}");
    }
    let docs = &evil[codes.column("docs")];
    assert_eq!(docs.links.len(), 1);
    let url = &docs.links[0];
    assert!(
        !url.contains(['|', '`', '<', '>', ' ', '$', '"']),
        "raw char in {url:?}"
    );
    assert_eq!(
        percent_decode(url),
        format!("https://example.com/docs/{EVIL_CODE}")
    );
    let database = codes.row("DATABASE_TIMEOUT");
    assert_eq!(database[codes.column("level")].text, "error");
    assert_eq!(
        database[codes.column("docs")].links,
        ["https://docs.cloudbase.net/error-code/basic/DATABASE_TIMEOUT"]
    );

    // First places: every file, shown as written, at line 1 column 3.
    let places = &doc.tables[3];
    assert_eq!(places.header, ["code", "first places"]);
    let cell = &places.row(EVIL_CODE)[1].text;
    let got: BTreeSet<&str> = cell.split(", ").collect();
    let expected: BTreeSet<String> = names.iter().map(|n| format!("{}:1:3", shown(n))).collect();
    assert_eq!(
        got,
        expected.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );

    // Inputs: every file, shown as written, each in its own row.
    let inputs = &doc.tables[4];
    assert_eq!(inputs.header, ["input", "hits", "lines", "codes"]);
    let listed: BTreeSet<String> = inputs.rows.iter().map(|r| r[0].text.clone()).collect();
    let expected: BTreeSet<String> = names.iter().map(|n| shown(n)).collect();
    assert_eq!(listed, expected);

    // The chart: one fenced block, in Mermaid, one slice per category with its hits.
    assert_eq!(doc.code_blocks.len(), 1, "{:?}", doc.code_blocks);
    let (lang, chart) = &doc.code_blocks[0];
    assert_eq!(lang, "mermaid");
    let mut lines = chart.lines();
    assert_eq!(lines.next(), Some("pie title Hits per category"));
    let slice = Regex::new(r#"^\s+"([^"\n`]*)" : (\d+)$"#).unwrap();
    let slices: BTreeSet<(String, String)> = lines
        .map(|line| {
            let caps = slice
                .captures(line)
                .unwrap_or_else(|| panic!("not a pie slice: {line:?}"));
            (mermaid_decode(&caps[1]), caps[2].to_string())
        })
        .collect();
    assert_eq!(
        slices,
        BTreeSet::from([
            (EVIL_CATEGORY.to_string(), n.clone()),
            ("database".to_string(), n.clone())
        ])
    );

    // The generic-code advice: one warning alert, one item per generic code. Each log holds
    // the code on a line of its own, without a timestamp or request id, so each is a group
    // with nothing more specific (DATABASE_TIMEOUT is on the next line: another event).
    assert_eq!(doc.quotes.len(), 1);
    let alert = &doc.quotes[0];
    assert_eq!(alert.kind, Some(BlockQuoteKind::Warning));
    assert_eq!(
        alert.items,
        [format!(
            "generic {EVIL_CODE} ({n} hits) in {n} requests or events: {n} with nothing more \
             specific; see cbscan explain {EVIL_CODE}"
        )]
    );
}

#[test]
fn passes_and_lists_the_inputs_that_could_not_be_read() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("app.log"), "FUNCTIONS_EXECUTE_FAIL\n").unwrap();
    let missing = dir.path().join("gone|`<x>.log");
    let d = path_str(dir.path());
    let (code, markdown) = run(&[
        "scan",
        &format!("{d}/app.log"),
        path_str(&missing),
        "--format",
        "markdown",
        "--base-dir",
        d,
        "--fail-on",
        "none",
    ]);
    assert_eq!(code, 2);
    let doc = parse(&markdown);
    assert!(doc.forbidden.is_empty(), "{:?}", doc.forbidden);
    assert!(
        doc.strong.iter().any(|s| s == "Result: passes."),
        "{markdown}"
    );
    assert!(doc.strong.iter().any(|s| s == "Incomplete:"), "{markdown}");
    assert_eq!(
        doc.headings.last().map(String::as_str),
        Some("Inputs that could not be read")
    );
    let unreadable = doc.tables.last().unwrap();
    assert_eq!(unreadable.header, ["input", "error"]);
    assert_eq!(unreadable.rows.len(), 1);
    assert_eq!(unreadable.rows[0][0].text, path_str(&missing));
    assert!(
        unreadable.rows[0][1].text.contains("No such file"),
        "{:?}",
        unreadable.rows[0]
    );
    let numbers = &doc.tables[0];
    assert_eq!(numbers.rows[0][4].text, "1", "one error");
    // A generic code alone: the alert still names it.
    assert_eq!(doc.quotes.len(), 1);
    assert!(doc.quotes[0].items[0].starts_with("generic FUNCTIONS_EXECUTE_FAIL (1 hit)"));
}

#[test]
fn the_baseline_column_marks_new_and_grown_codes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "DATABASE_TIMEOUT\nSTORAGE_FILE_NONEXIST\n").unwrap();
    let (_, json) = run(&["scan", path_str(&log), "--format", "json"]);
    let baseline = dir.path().join("base.json");
    fs::write(&baseline, json).unwrap();
    fs::write(
        &log,
        "DATABASE_TIMEOUT\nDATABASE_TIMEOUT\nSTORAGE_FILE_NONEXIST\nAUTH_LOGIN_FAILED\n",
    )
    .unwrap();
    let (code, markdown) = run(&[
        "scan",
        path_str(&log),
        "--format",
        "markdown",
        "--baseline",
        path_str(&baseline),
    ]);
    assert_eq!(code, 1);
    let doc = parse(&markdown);
    let codes = &doc.tables[2];
    assert_eq!(codes.header.last().map(String::as_str), Some("baseline"));
    let column = codes.column("baseline");
    let level = codes.column("level");
    let mark = |code: &str| {
        let row = codes.row(code);
        (row[level].text.clone(), row[column].text.clone())
    };
    assert_eq!(mark("AUTH_LOGIN_FAILED"), ("error".into(), "new".into()));
    assert_eq!(
        mark("DATABASE_TIMEOUT"),
        ("error".into(), "grew (was 1 line)".into())
    );
    assert_eq!(
        mark("STORAGE_FILE_NONEXIST"),
        ("warning".into(), "known (was 1 line)".into())
    );
}

#[test]
fn a_scan_without_hits_says_so_and_draws_no_chart() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("clean.log");
    fs::write(&log, "all good\n").unwrap();
    let (code, markdown) = run(&["scan", path_str(&log), "--format", "markdown"]);
    assert_eq!(code, 0);
    let doc = parse(&markdown);
    assert!(doc.code_blocks.is_empty());
    assert_eq!(doc.tables.len(), 1);
    assert_eq!(doc.tables[0].rows[0][2].text, "0");
    assert!(markdown.contains("No error code was found."));
    assert!(doc.strong.iter().any(|s| s == "Result: passes."));
}

#[test]
fn inputs_are_listed_and_a_line_is_one_place() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    std::fs::write(
        &a,
        "DATABASE_TIMEOUT retry DATABASE_TIMEOUT\nok\nx DATABASE_TIMEOUT\n",
    )
    .unwrap();
    std::fs::write(&b, "STORAGE_FILE_NONEXIST\n").unwrap();
    let base = path_str(dir.path());
    let (status, markdown) = run(&[
        "scan",
        path_str(&a),
        path_str(&b),
        "--format",
        "markdown",
        "--base-dir",
        base,
    ]);
    assert_eq!(status, 1);
    let doc = parse(&markdown);
    let table = |column: &str| {
        doc.tables
            .iter()
            .find(|t| t.header.iter().any(|h| h == column))
            .unwrap_or_else(|| panic!("a table with a {column:?} column: {markdown}"))
    };
    let inputs = table("input");
    assert_eq!(inputs.header, ["input", "hits", "lines", "codes"]);
    assert_eq!(
        inputs.texts("a.log"),
        ["a.log", "3", "2", "DATABASE_TIMEOUT ×3"]
    );
    assert_eq!(
        inputs.texts("b.log"),
        ["b.log", "1", "1", "STORAGE_FILE_NONEXIST ×1"]
    );
    // Line 1 holds the code twice: it is one place, and no hit is lost from the count.
    assert_eq!(
        table("first places").texts("DATABASE_TIMEOUT"),
        ["DATABASE_TIMEOUT", "a.log:1:1, a.log:3:3"]
    );
}
