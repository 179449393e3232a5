//! The JUnit report (`--format junit`, `--report junit=FILE`), read back the way a CI server
//! reads it: parsed by a real XML parser (roxmltree), then checked against the reference model
//! in `tests/support` (which codes each input holds, where, in which category, with which
//! meaning) rather than against cbscan's own output.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use support::{category_of, read, reference_catalog, root, run_in, RefHit, Reference};

/// A test case as read back.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    classname: String,
    /// `failure`, `error` or `pass`.
    outcome: &'static str,
    /// The failure's or error's `message` attribute.
    message: Option<String>,
    /// The failure's or error's `type` attribute.
    kind: Option<String>,
    /// The failure's or error's body, or the `system-out` of a passing case.
    text: String,
}

/// A test suite as read back.
#[derive(Debug, Clone)]
struct Suite {
    name: String,
    cases: Vec<Case>,
}

impl Suite {
    fn case(&self, name: &str) -> &Case {
        self.cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no case {name} in suite {}", self.name))
    }
}

fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> has no {name}", node.tag_name().name()))
}

fn count_attr(node: roxmltree::Node<'_, '_>, name: &str) -> usize {
    attr(node, name)
        .parse()
        .unwrap_or_else(|e| panic!("{name} is not a count: {e}"))
}

fn elements<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

/// Parses a JUnit report, checks that every count attribute matches the elements it counts,
/// and returns its suites.
fn parse(xml: &[u8]) -> Vec<Suite> {
    let text = std::str::from_utf8(xml).expect("the report is UTF-8");
    let doc = roxmltree::Document::parse(text)
        .unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{text}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(attr(root, "name"), "cbscan");
    let mut suites = Vec::new();
    let mut totals = [0usize; 3];
    for suite in elements(root, "testsuite") {
        let mut cases = Vec::new();
        let mut counts = [0usize; 3];
        for case in elements(suite, "testcase") {
            let failure = elements(case, "failure").next();
            let error = elements(case, "error").next();
            assert!(
                failure.is_none() || error.is_none(),
                "a case is a failure or an error, not both"
            );
            let outcome = match (failure, error) {
                (Some(_), _) => "failure",
                (_, Some(_)) => "error",
                _ => "pass",
            };
            let marked = failure.or(error);
            let out = elements(case, "system-out").next();
            let text = marked.or(out).and_then(|n| n.text()).unwrap_or_default();
            counts[0] += 1;
            counts[1] += usize::from(outcome == "failure");
            counts[2] += usize::from(outcome == "error");
            cases.push(Case {
                name: attr(case, "name").to_string(),
                classname: attr(case, "classname").to_string(),
                outcome,
                message: marked
                    .and_then(|n| n.attribute("message"))
                    .map(String::from),
                kind: marked.and_then(|n| n.attribute("type")).map(String::from),
                text: text.to_string(),
            });
        }
        let name = attr(suite, "name").to_string();
        assert_eq!(
            [
                count_attr(suite, "tests"),
                count_attr(suite, "failures"),
                count_attr(suite, "errors")
            ],
            counts,
            "suite {name}: tests, failures, errors"
        );
        for (total, n) in totals.iter_mut().zip(counts) {
            *total += n;
        }
        suites.push(Suite { name, cases });
    }
    assert_eq!(
        [
            count_attr(root, "tests"),
            count_attr(root, "failures"),
            count_attr(root, "errors")
        ],
        totals,
        "testsuites: tests, failures, errors"
    );
    suites
}

/// The reference model's hits in `data`, grouped by code (in order).
fn hits_by_code(data: &[u8]) -> BTreeMap<String, Vec<RefHit>> {
    let mut by_code: BTreeMap<String, Vec<RefHit>> = BTreeMap::new();
    for hit in Reference::builtin().find(data) {
        by_code.entry(hit.code.clone()).or_default().push(hit);
    }
    by_code
}

/// The 1-based column of a hit in characters (Unicode code points).
fn char_column(hit: &RefHit) -> u64 {
    let before = &hit.line_text[..hit.column as usize - 1];
    String::from_utf8_lossy(before).chars().count() as u64 + 1
}

/// The `path:line:column` lines of a case's text, and its `… and N more` line if any.
fn places(text: &str, path: &str) -> (Vec<String>, Option<String>) {
    let prefix = format!("{path}:");
    let listed = text
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .map(String::from)
        .collect();
    let more = text
        .lines()
        .find(|l| l.starts_with("… and "))
        .map(String::from);
    (listed, more)
}

const LOGS: [&str; 3] = [
    "fixtures/miniprogram-client.log",
    "fixtures/cloudfunction-runtime.log",
    "fixtures/http-api-responses.jsonl",
];

#[test]
fn one_suite_per_input_and_one_case_per_code_with_its_category_meaning_and_places() {
    let stdin = b"2026-01-01 stdin says DATABASE_TIMEOUT\n";
    let mut args = vec!["scan", "--format", "junit", "--fail-on", "none"];
    args.extend(LOGS);
    args.push("-");
    let r = run_in(&root(), &args, Some(stdin));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let suites = parse(&r.stdout);
    let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    let mut expected_names = LOGS.to_vec();
    expected_names.push("<stdin>");
    assert_eq!(names, expected_names, "one suite per input, in order");

    let category = category_of();
    let catalog = reference_catalog();
    for (suite, data) in suites.iter().zip(
        LOGS.iter()
            .map(|p| read(p))
            .chain(std::iter::once(stdin.to_vec())),
    ) {
        let by_code = hits_by_code(&data);
        assert!(!by_code.is_empty(), "{}: the fixture has codes", suite.name);
        let cases: BTreeSet<&str> = suite.cases.iter().map(|c| c.name.as_str()).collect();
        let codes: BTreeSet<&str> = by_code.keys().map(String::as_str).collect();
        assert_eq!(cases, codes, "{}: one case per code seen", suite.name);
        assert_eq!(
            suite.cases.len(),
            codes.len(),
            "{}: no code twice",
            suite.name
        );
        for (code, hits) in &by_code {
            let case = suite.case(code);
            assert_eq!(case.outcome, "pass", "--fail-on none: {code} passes");
            assert_eq!(case.classname, format!("cbscan.{}", category[code]));
            let lines: BTreeSet<u64> = hits.iter().map(|h| h.line).collect();
            let plural = |n: usize, word: &str| {
                if n == 1 {
                    format!("1 {word}")
                } else {
                    format!("{n} {word}s")
                }
            };
            let counts = format!(
                "{} on {}",
                plural(hits.len(), "hit"),
                plural(lines.len(), "line")
            );
            assert!(
                case.text.contains(&counts),
                "{code}: {counts}?\n{}",
                case.text
            );
            let entry = catalog.iter().find(|c| &c.code == code).expect("known");
            match &entry.page_zh {
                Some(zh) => {
                    assert!(case.text.contains(zh.as_str()), "{code}: meaning {zh}");
                    let link = format!("https://docs.cloudbase.net/error-code/basic/{code}");
                    assert!(case.text.contains(&link), "{code}: {link}");
                }
                None => assert!(
                    !case.text.contains(&format!(
                        "https://docs.cloudbase.net/error-code/basic/{code}"
                    )),
                    "{code}: not on the basic page"
                ),
            }
            let (listed, more) = places(&case.text, &suite.name);
            let expected: Vec<String> = hits
                .iter()
                .map(|h| format!("{}:{}:{}", suite.name, h.line, char_column(h)))
                .collect();
            assert_eq!(listed, expected, "{}: places of {code}", suite.name);
            assert_eq!(more, None);
        }
    }
}

#[test]
fn only_codes_that_fail_the_gate_are_failures() {
    let log = LOGS[0];
    let by_code = hits_by_code(&read(log));
    let category = category_of();
    let catalog = reference_catalog();
    let generic: BTreeSet<&str> = catalog
        .iter()
        .filter(|c| c.generic)
        .map(|c| c.code.as_str())
        .collect();
    assert!(by_code.contains_key("DATABASE_PERMISSION_DENIED"));
    assert!(by_code.keys().any(|c| category[c] == "ai"));
    assert!(by_code.keys().any(|c| generic.contains(c.as_str())));

    type Rule = fn(&str, &str, bool) -> bool;
    let cases: [(&[&str], Rule); 5] = [
        (&["--fail-on", "none"], |_, _, _| false),
        (&["--fail-on", "any"], |_, _, _| true),
        (&["--fail-on", "ai"], |_, cat, _| cat == "ai"),
        (&["--fail-on", "generic"], |_, _, generic| generic),
        (
            &["--fail-on", "DATABASE_PERMISSION_DENIED", "--fail-on", "ai"],
            |code, cat, _| code == "DATABASE_PERMISSION_DENIED" || cat == "ai",
        ),
    ];
    for (flags, fails) in cases {
        let mut args = vec!["scan", "--format", "junit"];
        args.extend(flags);
        args.push(log);
        let r = run_in(&root(), &args, None);
        let suites = parse(&r.stdout);
        assert_eq!(suites.len(), 1);
        let mut failed = 0;
        for (code, hits) in &by_code {
            let case = suites[0].case(code);
            let should = fails(code, &category[code], generic.contains(code.as_str()));
            let level = if should {
                "error"
            } else if generic.contains(code.as_str()) {
                "note"
            } else {
                "warning"
            };
            assert!(
                case.text.starts_with(&format!("{code}: {level}")),
                "{flags:?} {code}: level {level}\n{}",
                case.text
            );
            if should {
                failed += 1;
                assert_eq!(case.outcome, "failure", "{flags:?}: {code} fails");
                assert_eq!(case.kind.as_deref(), Some("error"));
                let message = case.message.as_deref().unwrap_or_default();
                assert!(message.starts_with(&format!("{code}: ")), "{message}");
                let hits_word = if hits.len() == 1 { "hit" } else { "hits" };
                assert!(
                    message.contains(&format!("({} {hits_word} on ", hits.len())),
                    "{message}"
                );
            } else {
                assert_eq!(case.outcome, "pass", "{flags:?}: {code} passes");
                assert_eq!(case.message, None);
            }
        }
        assert_eq!(
            r.code,
            i32::from(failed > 0),
            "{flags:?}: the exit status agrees with the failures: {}",
            r.stderr
        );
    }
}

#[test]
fn places_stop_at_twenty_and_say_how_many_more() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    // 25 hits of DATABASE_TIMEOUT on 23 lines (two lines hold two), after Chinese text so
    // that the column in characters differs from the one in bytes; 3 of STORAGE_FILE_NONEXIST.
    for i in 1..=23 {
        log.push_str(&format!("云开发 请求 {i} DATABASE_TIMEOUT"));
        if i % 10 == 0 {
            log.push_str(" again DATABASE_TIMEOUT");
        }
        if i % 8 == 0 {
            log.push_str(" STORAGE_FILE_NONEXIST");
        }
        log.push('\n');
    }
    std::fs::write(dir.path().join("many.log"), &log).unwrap();
    let r = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "junit",
            "--fail-on",
            "DATABASE_TIMEOUT",
            "many.log",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let suites = parse(&r.stdout);
    let by_code = hits_by_code(log.as_bytes());
    let timeout = &by_code["DATABASE_TIMEOUT"];
    assert_eq!(timeout.len(), 25);

    let case = suites[0].case("DATABASE_TIMEOUT");
    assert_eq!(case.outcome, "failure");
    assert!(case.text.contains("25 hits on 23 lines"), "{}", case.text);
    let (listed, more) = places(&case.text, "many.log");
    let expected: Vec<String> = timeout[..20]
        .iter()
        .map(|h| format!("many.log:{}:{}", h.line, char_column(h)))
        .collect();
    assert_eq!(listed, expected);
    assert!(
        listed[0].ends_with(":1:10"),
        "columns in characters: {listed:?}"
    );
    assert_eq!(more.as_deref(), Some("… and 5 more"));
    assert!(
        case.text.trim_end().ends_with("… and 5 more"),
        "the count closes the list"
    );

    let case = suites[0].case("STORAGE_FILE_NONEXIST");
    assert_eq!(case.outcome, "pass");
    let (listed, more) = places(&case.text, "many.log");
    assert_eq!(listed.len(), 2);
    assert_eq!(more, None);
}

#[test]
fn new_and_grown_codes_are_marked_and_known_ones_pass() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("before.log"),
        "DATABASE_TIMEOUT\nSTORAGE_FILE_NONEXIST\nSTORAGE_FILE_NONEXIST\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("now.log"),
        "DATABASE_TIMEOUT\nDATABASE_TIMEOUT\nSTORAGE_FILE_NONEXIST\nFUNCTION_NOT_FOUND\n",
    )
    .unwrap();
    let r = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "--fail-on",
            "none",
            "before.log",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(dir.path().join("baseline.json"), &r.stdout).unwrap();

    let r = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "junit",
            "--baseline",
            "baseline.json",
            "now.log",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let suites = parse(&r.stdout);
    let suite = &suites[0];

    let grew = suite.case("DATABASE_TIMEOUT");
    assert_eq!(grew.outcome, "failure");
    assert!(
        grew.text
            .contains("Grew since the baseline (was on 1 line)."),
        "{}",
        grew.text
    );
    assert!(grew
        .message
        .as_deref()
        .unwrap()
        .contains("grew since the baseline"));

    let new = suite.case("FUNCTION_NOT_FOUND");
    assert_eq!(new.outcome, "failure");
    assert!(new.text.contains("New since the baseline."), "{}", new.text);
    assert!(new
        .message
        .as_deref()
        .unwrap()
        .contains("new since the baseline"));

    let known = suite.case("STORAGE_FILE_NONEXIST");
    assert_eq!(known.outcome, "pass", "the baseline accepts it");
    assert!(known.text.starts_with("STORAGE_FILE_NONEXIST: warning"));
    assert!(!known.text.contains("baseline"), "{}", known.text);
}

#[test]
fn an_unreadable_input_is_an_error_case_and_a_clean_one_still_shows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clean.log"), "all good\n").unwrap();
    std::fs::write(dir.path().join("hit.log"), "x DATABASE_TIMEOUT\n").unwrap();
    std::os::unix::fs::symlink("gone.log", dir.path().join("dangling.log")).unwrap();
    let r = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "junit",
            "clean.log",
            "dangling.log",
            "hit.log",
        ],
        None,
    );
    assert_eq!(r.code, 2, "an unreadable input: {}", r.stderr);
    let suites = parse(&r.stdout);
    let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["clean.log", "dangling.log", "hit.log"]);

    assert_eq!(suites[0].cases.len(), 1);
    assert_eq!(suites[0].cases[0].name, "no CloudBase error codes");
    assert_eq!(suites[0].cases[0].outcome, "pass");

    assert_eq!(suites[1].cases.len(), 1);
    let error = &suites[1].cases[0];
    assert_eq!(error.outcome, "error");
    let message = error.message.as_deref().unwrap_or_default();
    assert!(message.contains("No such file"), "{message}");
    assert!(error.text.starts_with("dangling.log: "), "{}", error.text);

    assert_eq!(suites[2].cases.len(), 1);
    assert_eq!(suites[2].cases[0].outcome, "failure");
}

#[test]
fn a_report_file_holds_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("junit.xml");
    let report = format!("junit={}", out.display());
    let r = run_in(
        &root(),
        &["scan", "--format", "junit", "--report", &report, LOGS[1]],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let file = std::fs::read(&out).unwrap();
    parse(&file);
    assert_eq!(file, r.stdout);
}

/// A catalog whose texts and ids hold what XML cannot carry or would read as markup.
const HOSTILE_CATALOG: &str = r#"
[[category]]
id = "evil<&\"]]>"
zh = "坏\u0000分类"
en = "bad </testsuite> category"

[[code]]
code = "EVIL_&_<X>]]>"
category = "evil<&\"]]>"
zh = "控制\u0001字符\u001b[31m红\u001b[0m"
en = "ends ]]> then </testcase></testsuite>&amp;\u007f\u202e\ufffe\uffff\ttab\r\nline"
"#;

#[test]
fn hostile_catalog_text_and_file_names_stay_valid_xml_with_visible_stand_ins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("evil.toml"), HOSTILE_CATALOG).unwrap();
    let name = "a<b&c\"d\x1b[2Je\tf]]>.log";
    std::fs::write(
        dir.path().join(name),
        "boom EVIL_&_<X>]]> here\nand DATABASE_TIMEOUT\n",
    )
    .unwrap();
    // A name that is not UTF-8 is shown lossily.
    let raw = OsStr::from_bytes(b"bad\xff.log");
    std::fs::write(dir.path().join(raw), "EVIL_&_<X>]]>\n").unwrap();

    for fail_on in ["none", "any"] {
        let args = [
            "scan",
            "--format",
            "junit",
            "--fail-on",
            fail_on,
            "--catalog",
            "evil.toml",
            name,
        ];
        let mut args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        args.push(raw);
        let r = run_in(dir.path(), &args, None);
        let suites = parse(&r.stdout);
        let shown_name = "a<b&c\"d␛[2Je␉f]]>.log";
        let suite = suites
            .iter()
            .find(|s| s.name == shown_name)
            .unwrap_or_else(|| {
                panic!(
                    "a suite named {shown_name:?}: {:?}",
                    suites.iter().map(|s| &s.name).collect::<Vec<_>>()
                )
            });
        let case = suite.case("EVIL_&_<X>]]>");
        assert_eq!(case.classname, "cbscan.evil<&\"]]>");
        assert_eq!(
            case.outcome,
            if fail_on == "any" { "failure" } else { "pass" }
        );
        let zh = "控制␁字符␛[31m红␛[0m";
        let en = "ends ]]> then </testcase></testsuite>&amp;␡\\u{202e}\\u{fffe}\\u{ffff}␉tab␍␊line";
        assert!(
            case.text.contains(&format!("Meaning: {zh} · {en}\n")),
            "{}",
            case.text
        );
        assert!(
            case.text
                .contains("Category: evil<&\"]]> (坏␀分类 · bad </testsuite> category)"),
            "{}",
            case.text
        );
        assert!(
            case.text.contains(&format!("\n{shown_name}:1:6")),
            "{}",
            case.text
        );
        if let Some(message) = &case.message {
            assert!(message.contains(zh) && message.contains(en), "{message}");
        }
        assert!(
            suites.iter().any(|s| s.name == "bad\u{fffd}.log"),
            "the name that is not UTF-8 is lossy: {:?}",
            suites.iter().map(|s| &s.name).collect::<Vec<_>>()
        );
    }
}
