//! The summary's timeline (issue 11 §2) through the binary: the JSON summary's `timeline` read
//! by a JSON parser, the human report's Timeline rows, and the Markdown summary's timeline
//! read back by a CommonMark parser.
//!
//! Expected values are read off fixtures/cloudfunction-runtime.log by hand: its 15 hits, by
//! line time and category (a code's category is in the catalog):
//!
//! | time     | lines  | hits                                                          |
//! |----------|--------|---------------------------------------------------------------|
//! | 08:15:02 | 3, 4   | database 3 (DATABASE_COLLECTION_NOT_EXIST, -502005, doc link) |
//! | 08:15:12 | 9, 10  | functions 2 (FUNCTIONS_EXECUTE_FAIL, -504002), database 3     |
//! | 08:16:40 | 14     | storage 1                                                     |
//! | 08:16:41 | 16     | storage 2 (-503003, STORAGE_FILE_NONEXIST)                    |
//! | 08:17:03 | 18     | general 2 (-501001, SYS_ERR)                                  |
//! | 08:17:05 | 19     | functions 1 (FUNCTION_TIME_LIMIT_EXCEEDED)                    |
//! | 08:17:06 | 20     | auth 1                                                        |
//!
//! 08:15:02 to 08:17:06 is 125 one-second buckets, within the cap: the summary keeps seconds.

mod support;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use serde_json::{json, Value};
use support::fixtures::CLOUDFUNCTION;
use support::*;

fn stdout(args: &[&str]) -> String {
    let run = run_in(&root(), args, None);
    assert!(run.code <= 1, "{}", run.stderr);
    String::from_utf8(run.stdout).expect("UTF-8 output")
}

#[test]
fn the_json_summary_carries_the_timeline_counted_by_hand() {
    let out = stdout(&["scan", "--format", "json", CLOUDFUNCTION]);
    let doc: Value = serde_json::from_str(&out).expect("one JSON document");
    let bucket =
        |time: &str, hits: Value| json!({"start": format!("2026-11-20T{time}Z"), "hits": hits});
    assert_eq!(
        doc["summary"]["timeline"],
        json!({
            "width_seconds": 1,
            "local": false,
            "buckets": [
                bucket("08:15:02", json!({"database": 3})),
                bucket("08:15:12", json!({"database": 3, "functions": 2})),
                bucket("08:16:40", json!({"storage": 1})),
                bucket("08:16:41", json!({"storage": 2})),
                bucket("08:17:03", json!({"general": 2})),
                bucket("08:17:05", json!({"functions": 1})),
                bucket("08:17:06", json!({"auth": 1})),
            ]
        })
    );
}

/// A row of `columns` columns, blank but for `marks` (column, block).
fn row(columns: usize, marks: &[(usize, char)]) -> String {
    let mut row = vec![' '; columns];
    for &(i, c) in marks {
        row[i] = c;
    }
    row.into_iter().collect()
}

/// The rows both reports draw: not a terminal, so at most 58 columns fit beside `functions`
/// and `peak 3` in the human report's 80, and 60 in Markdown: 125 one-second buckets are too
/// many, 5-second ones from 08:15:00 to 08:17:05 are 26. Each row is scaled to its own peak:
/// functions has 2 at 08:15:10 (█) and 1 at 08:17:05 (4 of 8 eighths: ▄).
fn expected_rows() -> Vec<(&'static str, String, u64)> {
    vec![
        ("database", row(26, &[(0, '█'), (2, '█')]), 3),
        ("functions", row(26, &[(2, '█'), (25, '▄')]), 2),
        ("storage", row(26, &[(20, '█')]), 3),
        ("general", row(26, &[(24, '█')]), 2),
        ("auth", row(26, &[(25, '█')]), 1),
    ]
}

const HEADING: &str = "2026-11-20T08:15:00Z – 2026-11-20T08:17:10Z, 5 s per column";

#[test]
fn the_human_report_draws_a_sparkline_per_category() {
    let out = stdout(&["scan", "--color", "never", CLOUDFUNCTION]);
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("Timeline"))
        .unwrap_or_else(|| panic!("no Timeline section:\n{out}"));
    assert_eq!(lines[at], format!("Timeline {HEADING}"));
    let by_category = lines.iter().position(|l| *l == "By category").unwrap();
    let by_code = lines.iter().position(|l| *l == "By code").unwrap();
    assert!(
        by_category < at && at < by_code,
        "after By category:\n{out}"
    );
    for (i, (id, spark, peak)) in expected_rows().into_iter().enumerate() {
        assert_eq!(
            lines[at + 1 + i],
            format!("  {id:<9}  |{spark}| peak {peak}"),
            "\n{out}"
        );
    }
    assert_eq!(lines[at + 6], "", "five rows, then a blank line");
    assert!(lines[at..at + 6].iter().all(|l| l.chars().count() <= 80));
    // The README shows this section as it is.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = lines[at..at + 6].join("\n");
    assert!(
        readme.contains(&format!("```text\n{section}\n```")),
        "README's timeline sample differs from:\n{section}"
    );
}

#[test]
fn the_markdown_summary_has_the_timeline_in_a_code_block() {
    let out = stdout(&["scan", "--format", "markdown", CLOUDFUNCTION]);
    let mut heading = String::new();
    let mut in_heading = false;
    let mut after_heading: Vec<Event> = Vec::new();
    for event in Parser::new(&out) {
        match &event {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                heading.clear();
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Text(t) if in_heading => heading.push_str(t),
            _ if heading == "Timeline" && !in_heading => after_heading.push(event.clone()),
            _ => {}
        }
    }
    // A paragraph with the range and width, then the code block.
    let paragraph: String = after_heading
        .iter()
        .take_while(|e| !matches!(e, Event::End(TagEnd::Paragraph)))
        .filter_map(|e| match e {
            Event::Text(t) => Some(t.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        paragraph,
        format!("Hits over time: {HEADING} (each row scaled to its own peak).")
    );
    let block = after_heading
        .iter()
        .position(|e| matches!(e, Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) if &**lang == "text"))
        .unwrap_or_else(|| panic!("no code block after the Timeline heading:\n{out}"));
    let code: String = after_heading[block..]
        .iter()
        .take_while(|e| !matches!(e, Event::End(TagEnd::CodeBlock)))
        .filter_map(|e| match e {
            Event::Text(t) => Some(t.to_string()),
            _ => None,
        })
        .collect();
    let expected: String = expected_rows()
        .into_iter()
        .map(|(id, spark, peak)| format!("{id:<9}  |{spark}| peak {peak}\n"))
        .collect();
    assert_eq!(code, expected);
}

#[test]
fn one_bucket_draws_no_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        dir.path(),
        "one.log",
        b"2026-11-20T08:15:02Z ERROR DATABASE_TIMEOUT\n2026-11-20T08:15:02Z ERROR SYS_ERR\n",
    );
    let out = stdout(&["scan", "--color", "never", &log]);
    assert!(out.contains("By category"), "{out}");
    assert!(!out.contains("Timeline"), "{out}");
    let out = stdout(&["scan", "--format", "json", &log]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        doc["summary"]["timeline"]["buckets"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn run_and_its_live_scan_count_the_timeline_too() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let spec = format!("json={}", report.display());
    let run = run_in(
        &root(),
        &["run", "--report", &spec, "--", "cat", CLOUDFUNCTION],
        None,
    );
    assert!(run.code <= 1, "{}", run.stderr);
    let doc: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let timeline = &doc["summary"]["timeline"];
    assert_eq!(timeline["width_seconds"], 1);
    let hits: u64 = timeline["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["hits"].as_object().unwrap().values())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(hits, 15, "every hit of the fixture has a time");
    assert_eq!(
        timeline["buckets"][1]["hits"],
        json!({"database": 3, "functions": 2})
    );
}
