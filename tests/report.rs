//! `cbscan report`: saved JSON lines merged and rendered must print exactly what one scan of
//! all their inputs prints, in every format (property: any split of the inputs into parts,
//! each scanned to its own file); the merged summary record equals the whole's field by field;
//! broken, newer, foreign files are reported with their file and line and the rest is used.

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;
use support::{records, run_in, Run};

/// The logs, in scan order, written into `dir`: fixtures with request ids, times, generic
/// codes and codes not in the catalog; one SCF log cut in two in the middle of a request (so
/// that a request spans two inputs, and two saved files when the split falls there); a
/// compressed one; one that does not exist; and a generated log with the hard cases of hit records: a long line cut
/// around its hits (excerpts that do not start the line), bytes that are not UTF-8, a
/// carriage return, and a stack trace whose lines inherit their time (events that start on
/// another line).
fn corpus(dir: &Path) -> Vec<String> {
    let copy = |from: &str, to: &str| {
        std::fs::write(dir.join(to), support::read(from)).expect("writing a test log");
        to.to_string()
    };
    let scf = support::read("fixtures/scf-requests.log");
    let text = String::from_utf8(scf).expect("the fixture is UTF-8");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Line 11 is inside request e4bbd9ff…_5 (lines 1-20): its hits are in both halves.
    std::fs::write(dir.join("scf-1.log"), lines[..11].concat()).expect("writing");
    std::fs::write(dir.join("scf-2.log"), lines[11..].concat()).expect("writing");
    let mut long = Vec::new();
    long.extend_from_slice(b"2024-05-16T10:00:00.000Z INFO start\n");
    long.extend_from_slice(b"2024-05-16T10:00:01.000Z ERROR ");
    long.extend(std::iter::repeat_n(b'x', 900));
    long.extend_from_slice(b" {\"code\":\"DATABASE_TIMEOUT\"} ");
    long.extend(std::iter::repeat_n("数".as_bytes(), 300).flatten());
    long.extend_from_slice(b" SYS_ERR ");
    long.extend(std::iter::repeat_n(b'y', 700));
    long.extend_from_slice(b" FUNCTIONS_EXECUTE_FAIL\n");
    long.extend_from_slice(
        b"2024-05-16T10:00:02.000Z ERROR bad \xff\xfe bytes STORAGE_FILE_NONEXIST\r\n",
    );
    long.extend_from_slice(b"2024-05-16T10:00:03.000Z ERROR Error: DATABASE_REQUEST_FAILED\n");
    long.extend_from_slice(b"    at handler (index.js:3) DATABASE_TIMEOUT\n");
    long.extend_from_slice(
        b"    at run (index.js:9) -501000 and {\"code\":\"NOT_IN_ANY_CATALOG\"}\n",
    );
    std::fs::write(dir.join("long.log"), long).expect("writing");
    vec![
        "scf-1.log".to_string(),
        "scf-2.log".to_string(),
        copy("fixtures/cloudfunction-runtime.log", "runtime.log"),
        copy("fixtures/miniprogram-chains.log", "chains.log"),
        "long.log".to_string(),
        copy("fixtures/cloudbase-new-codes.log", "new-codes.log"),
        copy("fixtures/app-output.log", "app.log"),
        copy(
            "fixtures/rotated/cloudfunction-runtime.log.1.gz",
            "rotated.log.gz",
        ),
        // An input the scan cannot read: its error is saved and told again.
        "missing.log".to_string(),
        copy("fixtures/cli-deploy.log", "deploy.log"),
    ]
}

/// Every format `scan` has.
fn formats() -> Vec<&'static str> {
    vec![
        "human", "json", "jsonl", "markdown", "sarif", "github", "gitlab", "junit", "count",
        "files", "html",
    ]
}

/// Output made comparable: the elapsed time of the human summary aside; JSON parsed.
fn comparable(format: &str, stdout: &[u8]) -> Value {
    let text = String::from_utf8_lossy(stdout).into_owned();
    match format {
        "json" | "sarif" | "gitlab" => serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{format} output is not JSON ({e}): {text}")),
        "jsonl" => Value::Array(records(stdout)),
        "human" => {
            let elapsed = regex::Regex::new(r" in [0-9.]+ m?s\b").expect("a regex");
            Value::String(elapsed.replace_all(&text, " in <elapsed>").into_owned())
        }
        _ => Value::String(text),
    }
}

fn args<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

/// Scans `inputs` in parts cut where `cuts` says, each to its own JSON-lines file named
/// after `prefix` (tests run at once share the folder); returns the files' names.
fn save_parts(dir: &Path, prefix: &str, inputs: &[String], cuts: &[bool]) -> Vec<String> {
    let mut parts: Vec<Vec<&str>> = vec![Vec::new()];
    for (i, input) in inputs.iter().enumerate() {
        parts.last_mut().expect("a part").push(input);
        if cuts.get(i).copied().unwrap_or(false) && i + 1 < inputs.len() {
            parts.push(Vec::new());
        }
    }
    let mut saved = Vec::new();
    for (n, part) in parts.iter().enumerate() {
        let name = format!("{prefix}-{n}.jsonl");
        let run = run_in(dir, &args(&["scan", "--format", "jsonl"], part), None);
        assert!(
            run.code != 2 || part.contains(&"missing.log"),
            "scanning {part:?}: {}",
            run.stderr
        );
        std::fs::write(dir.join(&name), &run.stdout).expect("saving a part");
        saved.push(name);
    }
    saved
}

/// What `scan` prints over all the inputs at once, per format, and with `--by-request`.
struct Whole {
    runs: Vec<(String, bool, Run)>,
}

fn whole(dir: &Path, inputs: &[String], formats: &[&str]) -> Whole {
    let mut runs = Vec::new();
    for &format in formats {
        for by_request in [false, true] {
            if by_request && matches!(format, "count" | "files") {
                continue;
            }
            let mut a = vec!["scan", "--color", "never", "--format", format];
            if by_request {
                a.push("--by-request");
            }
            let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
            runs.push((
                format.to_string(),
                by_request,
                run_in(dir, &args(&a, &inputs), None),
            ));
        }
    }
    Whole { runs }
}

/// The first line where two outputs differ (JSON pretty-printed), both sides.
fn first_difference(got: &Value, expected: &Value) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    };
    let (got, expected) = (text(got), text(expected));
    let mut got_lines = got.lines();
    let mut expected_lines = expected.lines();
    for n in 1.. {
        match (got_lines.next(), expected_lines.next()) {
            (None, None) => break,
            (g, e) if g != e => return format!("line {n}:\n  report: {g:?}\n  scan:   {e:?}"),
            _ => {}
        }
    }
    "(equal text, different values)".into()
}

fn check_report_equals_whole(dir: &Path, saved: &[String], whole: &Whole) {
    for (format, by_request, expected) in &whole.runs {
        let mut a = vec!["report", "--color", "never", "--format", format];
        if *by_request {
            a.push("--by-request");
        }
        let saved: Vec<&str> = saved.iter().map(String::as_str).collect();
        let got = run_in(dir, &args(&a, &saved), None);
        let what = format!("--format {format}, by request: {by_request}, parts {saved:?}");
        let (got_value, expected_value) = (
            comparable(format, &got.stdout),
            comparable(format, &expected.stdout),
        );
        if got_value != expected_value {
            panic!(
                "{what}: the report differs from the scan at\n{}\nstderr: {}",
                first_difference(&got_value, &expected_value),
                got.stderr
            );
        }
        assert_eq!(
            got.code, expected.code,
            "exit status, {what}: {}",
            got.stderr
        );
        assert_eq!(got.stderr, expected.stderr, "stderr, {what}");
    }
}

/// The corpus and what one scan prints of it, made once for every case.
struct Shared {
    dir: PathBuf,
    inputs: Vec<String>,
    whole: Whole,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-merge");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a test folder");
        let inputs = corpus(&dir);
        let formats = formats();
        let whole = whole(&dir, &inputs, &formats);
        Shared { dir, inputs, whole }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Any split of the inputs, scanned part by part and merged, prints what one scan does.
    #[test]
    fn merging_random_splits_prints_what_one_scan_prints(
        cuts in proptest::collection::vec(any::<bool>(), 10)
    ) {
        let shared = shared();
        let saved = save_parts(&shared.dir, "case", &shared.inputs, &cuts);
        check_report_equals_whole(&shared.dir, &saved, &shared.whole);
    }
}

/// The `summary` record of JSON lines.
fn summary_record(stdout: &[u8]) -> serde_json::Map<String, Value> {
    let all = records(stdout);
    let summaries: Vec<&Value> = all.iter().filter(|r| r["type"] == "summary").collect();
    assert_eq!(summaries.len(), 1, "one summary record");
    summaries[0].as_object().expect("an object").clone()
}

#[test]
fn the_merged_summary_record_equals_the_whole_field_by_field() {
    let shared = shared();
    // Cut inside the SCF request (after scf-1.log) and elsewhere.
    let cuts = [
        true, false, true, false, true, false, false, true, false, false,
    ];
    let saved = save_parts(&shared.dir, "fields", &shared.inputs, &cuts);
    let saved: Vec<&str> = saved.iter().map(String::as_str).collect();
    let inputs: Vec<&str> = shared.inputs.iter().map(String::as_str).collect();
    for extra in [&[][..], &["--by-request"][..]] {
        let whole = run_in(
            &shared.dir,
            &args(&args(&["scan", "--format", "jsonl"], extra), &inputs),
            None,
        );
        let merged = run_in(
            &shared.dir,
            &args(&args(&["report", "--format", "jsonl"], extra), &saved),
            None,
        );
        let (whole, merged) = (
            summary_record(&whole.stdout),
            summary_record(&merged.stdout),
        );
        let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&merged), keys(&whole), "the same fields, {extra:?}");
        for (key, value) in &whole {
            assert_eq!(&merged[key], value, "summary field {key}, {extra:?}");
        }
        assert!(
            whole.contains_key("timeline"),
            "the timeline is among the fields"
        );
        // The parts really were paired across files: a request spans scf-1.log and scf-2.log.
        assert!(whole["hidden"]["request_groups"].as_u64() > Some(0));
    }
}

/// A folder with two logs, each saved by its own scan, and what merging them gives.
struct Saved {
    dir: tempfile::TempDir,
    good: Value,
}

fn two_saved() -> Saved {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (from, to) in [
        ("fixtures/scf-requests.log", "a.log"),
        ("fixtures/cloudfunction-runtime.log", "b.log"),
    ] {
        std::fs::write(dir.path().join(to), support::read(from)).expect("writing");
        let run = run_in(dir.path(), &["scan", "--format", "jsonl", to], None);
        let saved = to.replace(".log", ".jsonl");
        std::fs::write(dir.path().join(saved), run.stdout).expect("saving");
    }
    let run = run_in(
        dir.path(),
        &["report", "--format", "json", "a.jsonl", "b.jsonl"],
        None,
    );
    assert_eq!((run.code, problems(&run.stderr).as_str()), (1, ""));
    let good = serde_json::from_slice(&run.stdout).expect("JSON");
    Saved { dir, good }
}

fn lines_of(dir: &Path, name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join(name)).expect("reading");
    text.lines().map(str::to_string).collect()
}

fn write_lines(dir: &Path, name: &str, lines: &[String]) {
    std::fs::write(dir.join(name), lines.join("\n") + "\n").expect("writing");
}

/// Stderr without the generic-code advice (printed whenever the summary is not shown to a
/// person, as `scan` prints it).
fn problems(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.starts_with("cbscan: warning: generic "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `report --format json` of `files`: status, output, stderr without the advice.
fn report_json(dir: &Path, files: &[&str]) -> (i32, Value, String) {
    let run = run_in(dir, &args(&["report", "--format", "json"], files), None);
    let value = serde_json::from_slice(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&run.stdout)));
    (run.code, value, problems(&run.stderr))
}

#[test]
fn a_corrupt_line_is_reported_with_its_line_and_the_rest_is_used() {
    let saved = two_saved();
    let dir = saved.dir.path();
    let mut lines = lines_of(dir, "a.jsonl");
    lines.insert(3, "this is not json".into());
    // What a later version may add is skipped silently: a record type, a field.
    lines.insert(1, r#"{"type":"progress","done":[1,2]}"#.into());
    lines[5] = lines[5].replacen(
        "{\"type\":\"hit\",",
        "{\"type\":\"hit\",\"host\":{\"id\":7},",
        1,
    );
    write_lines(dir, "a-bad.jsonl", &lines);
    let (code, value, stderr) = report_json(dir, &["a-bad.jsonl", "b.jsonl"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        ["cbscan: a-bad.jsonl:5: not JSON: expected ident at column 2"]
    );
    assert_eq!(value, saved.good, "everything else is used");
}

#[test]
fn a_file_cut_in_the_middle_of_a_record_is_reported_as_truncated() {
    let saved = two_saved();
    let dir = saved.dir.path();
    let text = std::fs::read_to_string(dir.join("b.jsonl")).expect("reading");
    let third = text.match_indices('\n').nth(1).expect("three lines").0 + 1;
    let cut = &text[..third + 40];
    std::fs::write(dir.join("b-cut.jsonl"), cut).expect("writing");
    let (code, value, stderr) = report_json(dir, &["a.jsonl", "b-cut.jsonl"]);
    assert_eq!(code, 2);
    assert!(
        stderr
            .contains("cbscan: b-cut.jsonl:3: truncated: the file ends in the middle of a record"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cbscan: b-cut.jsonl:1: this input has no end record"),
        "{stderr}"
    );
    let hits = value["hits"].as_array().expect("hits");
    let good_hits = saved.good["hits"].as_array().expect("hits");
    let from_a = good_hits
        .iter()
        .filter(|h| h["path"]["text"] == "a.log")
        .count();
    // Every hit of a.jsonl, and the one complete hit record of b.jsonl (line 2).
    assert_eq!(hits.len(), from_a + 1);
    assert_eq!(hits[from_a], good_hits[from_a]);
    assert_eq!(value["inputs"][1]["complete"], false);
    // What was saved of the cut input still counts, and the summary says it is incomplete
    // (it is not a clean pass).
    assert_eq!(value["inputs"][1]["hits"], 1);
    let summary = &value["summary"];
    let good_a = saved.good["inputs"][0]["hits"].as_u64().expect("hits");
    assert_eq!(summary["hits"].as_u64(), Some(good_a + 1), "{summary}");
    assert_eq!(summary["errors"], 1, "{summary}");
}

#[test]
fn a_file_cut_before_its_summary_counts_its_inputs_from_their_records() {
    let saved = two_saved();
    let dir = saved.dir.path();
    // a.log has a code not in the catalog too.
    let lines = lines_of(dir, "a.jsonl");
    let (last, rest) = lines.split_last().expect("lines");
    assert!(last.starts_with(r#"{"type":"summary""#), "{last}");
    write_lines(dir, "a-cut.jsonl", rest);
    let (_, value, stderr) = report_json(dir, &["a-cut.jsonl", "b.jsonl"]);
    // Every record but the summary is there: counting the hits again gives the same summary,
    // field by field (hits per code, lines, pairs on lines, first and last seen, timeline).
    let (got, good) = (&value["summary"], &saved.good["summary"]);
    assert_eq!(got, good, "{stderr}\n{}", first_difference(got, good));
}

#[test]
fn a_newer_schema_is_reported_once_and_its_records_skipped() {
    let saved = two_saved();
    let dir = saved.dir.path();
    let newer = std::fs::read_to_string(dir.join("a.jsonl"))
        .expect("reading")
        .replace("\"schema\":2", "\"schema\":3");
    std::fs::write(dir.join("a-new.jsonl"), newer).expect("writing");
    let (code, value, stderr) = report_json(dir, &["a-new.jsonl", "b.jsonl"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "cbscan: a-new.jsonl:1: a begin record of schema 3, newer than this cbscan's 2: the \
          records of that schema are skipped"
        ]
    );
    let (_, only_b, _) = report_json(dir, &["b.jsonl"]);
    assert_eq!(
        without_unread(value, &["a-new.jsonl"]),
        only_b,
        "what is left is b.jsonl's"
    );
}

#[test]
fn a_file_from_another_catalog_is_noted_and_its_codes_kept_by_name() {
    let saved = two_saved();
    let dir = saved.dir.path();
    std::fs::write(
        dir.join("team.toml"),
        "[[category]]\nid = \"team\"\nzh = \"团队\"\nen = \"Team codes\"\n\n\
         [[code]]\ncode = \"TEAM_QUOTA_GONE\"\ncategory = \"team\"\nzh = \"配额用尽\"\n\
         en = \"Quota used up\"\n",
    )
    .expect("writing");
    std::fs::write(
        dir.join("c.log"),
        "2026-11-20T08:15:02.361Z ERROR {\"code\":\"TEAM_QUOTA_GONE\"} after DATABASE_TIMEOUT\n",
    )
    .expect("writing");
    let run = run_in(
        dir,
        &[
            "--catalog",
            "team.toml",
            "scan",
            "--format",
            "jsonl",
            "c.log",
        ],
        None,
    );
    std::fs::write(dir.join("c.jsonl"), run.stdout).expect("saving");
    let (code, value, stderr) = report_json(dir, &["a.jsonl", "c.jsonl"]);
    assert_eq!(code, 1, "a note is not an error: {stderr}");
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("another catalog"))
        .collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(notes[0].starts_with("cbscan: c.jsonl:1: note: written with another catalog"));
    let team: Vec<&Value> = value["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter(|h| h["code"] == "TEAM_QUOTA_GONE")
        .collect();
    assert_eq!(team.len(), 1);
    assert_eq!(team[0]["category"], "team");
    assert_eq!(team[0]["meaning"]["en"], "Quota used up");
    assert_eq!(team[0]["meaning"]["zh"], "配额用尽");
    let by_code = &value["summary"]["by_code"]["TEAM_QUOTA_GONE"];
    assert_eq!(
        (by_code["hits"].as_u64(), &by_code["category"]),
        (Some(1), &Value::from("team"))
    );
    // People see it too.
    let human = run_in(
        dir,
        &["report", "--color", "never", "a.jsonl", "c.jsonl"],
        None,
    );
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("c.log:1:") && text.contains("TEAM_QUOTA_GONE"),
        "{text}"
    );
    // Nothing to fail on: the note alone leaves the status at 0.
    let quiet = run_in(
        dir,
        &["report", "--fail-on", "none", "--quiet", "c.jsonl"],
        None,
    );
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
}

#[test]
fn standard_input_and_code_filters_are_refused_with_a_reason() {
    let saved = two_saved();
    let dir = saved.dir.path();
    let run = run_in(dir, &["report", "-"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("save it to a file first"),
        "{}",
        run.stderr
    );
    let run = run_in(dir, &["report", "--category", "database", "a.jsonl"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--category cannot be used with report"),
        "{}",
        run.stderr
    );
}

#[test]
fn report_files_are_written_as_scan_writes_them() {
    let saved = two_saved();
    let dir = saved.dir.path();
    let scan = run_in(
        dir,
        &[
            "scan",
            "--quiet",
            "--report",
            "json=whole.json",
            "--report",
            "sarif=whole.sarif",
            "a.log",
            "b.log",
        ],
        None,
    );
    let report = run_in(
        dir,
        &[
            "report",
            "--quiet",
            "--report",
            "json=merged.json",
            "--report",
            "sarif=merged.sarif",
            "a.jsonl",
            "b.jsonl",
        ],
        None,
    );
    assert_eq!((report.code, &report.stderr), (scan.code, &scan.stderr));
    for (whole, merged) in [
        ("whole.json", "merged.json"),
        ("whole.sarif", "merged.sarif"),
    ] {
        let parse = |name: &str| -> Value {
            serde_json::from_slice(&std::fs::read(dir.join(name)).expect("written")).expect("JSON")
        };
        assert_eq!(parse(merged), parse(whole), "{merged}");
    }
    // A report may not overwrite what it reads.
    let run = run_in(
        dir,
        &["report", "--report", "json=a.jsonl", "a.jsonl"],
        None,
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("that file is also an input"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_fail_on_code_this_catalog_lacks_says_to_give_the_scans_catalog() {
    let saved = two_saved();
    let run = run_in(
        saved.dir.path(),
        &["report", "--fail-on", "PAY_DECLINED", "a.jsonl"],
        None,
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("give report the same --catalog"),
        "{}",
        run.stderr
    );
}

#[test]
fn label_hosts_names_each_input_after_its_saved_file() {
    // Two hosts logging to the same path.
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(
        dir.path().join("app.log"),
        support::read("fixtures/cloudfunction-runtime.log"),
    )
    .expect("writing");
    let run = run_in(dir.path(), &["scan", "--format", "jsonl", "app.log"], None);
    for host in ["web-1.jsonl", "web-2.jsonl"] {
        std::fs::write(dir.path().join(host), &run.stdout).expect("saving");
    }
    let files = ["web-1.jsonl", "web-2.jsonl"];
    let plain = run_in(dir.path(), &args(&["report", "-c"], &files), None);
    assert_eq!(
        String::from_utf8_lossy(&plain.stdout),
        "app.log:15\napp.log:15\n"
    );
    let labelled = run_in(
        dir.path(),
        &args(&["report", "-c", "--label-hosts"], &files),
        None,
    );
    assert_eq!(
        String::from_utf8_lossy(&labelled.stdout),
        "web-1/app.log:15\nweb-2/app.log:15\n"
    );
    let (_, value, _) = report_json(dir.path(), &files);
    assert_eq!(
        value["summary"]["seen"]["SYS_ERR"]["first"]["path"]["text"],
        "app.log"
    );
    let run = run_in(
        dir.path(),
        &args(&["report", "--format", "json", "--label-hosts"], &files),
        None,
    );
    let value: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let seen = &value["summary"]["seen"]["SYS_ERR"];
    assert_eq!(seen["first"]["path"]["text"], "web-1/app.log", "{seen}");
    // A tie on time goes to the later place for the last seen.
    assert_eq!(seen["last"]["path"]["text"], "web-2/app.log", "{seen}");
    let inputs: Vec<&Value> = value["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| &i["path"]["text"])
        .collect();
    assert_eq!(inputs, ["web-1/app.log", "web-2/app.log"]);
}
/// `value` without the rows of the saved files `names`, which gave no input (each is an input
/// that could not be read), and without their count in the summary's errors: what is left must
/// be the report of the other files.
fn without_unread(mut value: Value, names: &[&str]) -> Value {
    let inputs = value["inputs"].as_array_mut().expect("inputs");
    let before = inputs.len();
    inputs.retain(|row| {
        let gone = names.contains(&row["path"]["text"].as_str().unwrap_or_default());
        assert!(!gone || row["complete"] == false, "{row}");
        !gone
    });
    let removed = (before - inputs.len()) as u64;
    assert_eq!(removed, names.len() as u64, "a row for each of {names:?}");
    let errors = value["summary"]["errors"].as_u64().expect("errors");
    value["summary"]["errors"] = (errors - removed).into();
    value
}

/// The lines of stderr, without the generic-code advice.
fn problem_lines(stderr: &str) -> Vec<String> {
    problems(stderr).lines().map(str::to_string).collect()
}

#[test]
fn a_plain_log_is_skipped_with_one_error_and_problems_are_capped_per_file() {
    let saved = two_saved();
    let dir = saved.dir.path();
    // a.log is the log a.jsonl was made from: given by mistake, it is told once, not per line.
    let (code, value, stderr) = report_json(dir, &["a.log", "b.jsonl"]);
    assert_eq!(code, 2, "{stderr}");
    let lines = problem_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    let first = std::fs::read_to_string(dir.join("a.log")).expect("reading");
    let first = first.lines().next().expect("a first line");
    assert!(
        lines[0].starts_with("cbscan: a.log:1: not cbscan JSON lines (text: \"")
            && lines[0].ends_with("): skipped")
            && lines[0].contains(&first[..30]),
        "{stderr}"
    );
    let (_, only_b, _) = report_json(dir, &["b.jsonl"]);
    assert_eq!(
        without_unread(value, &["a.log"]),
        only_b,
        "nothing of a.log is used"
    );
    // JSON that is not cbscan's: an object without a "type".
    std::fs::write(dir.join("other.jsonl"), "\n{\"level\":\"info\"}\n").expect("writing");
    let (code, _, stderr) = report_json(dir, &["other.jsonl", "b.jsonl"]);
    assert_eq!(code, 2);
    assert_eq!(
        problem_lines(&stderr),
        [
            "cbscan: other.jsonl:2: not cbscan JSON lines (a JSON object without a \"type\"): \
             skipped"
        ]
    );
    // A saved file with 30 broken lines: the first 20 are told, then how many more.
    let mut lines = lines_of(dir, "a.jsonl");
    for n in 0..30 {
        lines.insert(1, format!("garbage {n}"));
    }
    write_lines(dir, "a-bad.jsonl", &lines);
    let (code, value, stderr) = report_json(dir, &["a-bad.jsonl", "b.jsonl"]);
    assert_eq!(code, 2);
    let told = problem_lines(&stderr);
    assert_eq!(told.len(), 21, "{stderr}");
    assert!(
        told[19].starts_with("cbscan: a-bad.jsonl:21: not JSON"),
        "{stderr}"
    );
    assert_eq!(told[20], "cbscan: a-bad.jsonl: 10 more problems not shown");
    assert_eq!(value, saved.good, "everything else is used");
}

#[test]
fn compressed_saved_files_are_read_as_scan_reads_compressed_logs() {
    use std::io::Write;
    let saved = two_saved();
    let dir = saved.dir.path();
    let a = std::fs::read(dir.join("a.jsonl")).expect("reading");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&a).expect("compressing");
    std::fs::write(dir.join("a.jsonl.gz"), gz.finish().expect("compressing")).expect("writing");
    let b = std::fs::read(dir.join("b.jsonl")).expect("reading");
    let zst = zstd::stream::encode_all(&b[..], 3).expect("compressing");
    std::fs::write(dir.join("b.jsonl.zst"), zst).expect("writing");
    let (code, value, stderr) = report_json(dir, &["a.jsonl.gz", "b.jsonl.zst"]);
    assert_eq!((code, stderr.as_str()), (1, ""));
    assert_eq!(value, saved.good);
    // A damaged archive: what came before the damage is used; the damage is told once, not
    // again by the second pass.
    let gz = std::fs::read(dir.join("a.jsonl.gz")).expect("reading");
    std::fs::write(dir.join("cut.jsonl.gz"), &gz[..gz.len() / 2]).expect("writing");
    let (code, _, stderr) = report_json(dir, &["cut.jsonl.gz", "b.jsonl.zst"]);
    assert_eq!(code, 2);
    let told: Vec<&str> = stderr.lines().filter(|l| l.contains("gzip")).collect();
    assert_eq!(told.len(), 1, "{stderr}");
    assert!(told[0].starts_with("cbscan: cut.jsonl.gz:"), "{stderr}");
    assert!(told[0].contains(": cannot read: gzip: "), "{stderr}");
}

#[test]
fn an_empty_file_or_one_without_summary_or_end_is_an_error() {
    let saved = two_saved();
    let dir = saved.dir.path();
    std::fs::write(dir.join("empty.jsonl"), "").expect("writing");
    std::fs::write(dir.join("blank.jsonl"), "\n  \n").expect("writing");
    let (code, value, stderr) = report_json(dir, &["empty.jsonl", "b.jsonl", "blank.jsonl"]);
    assert_eq!(
        code, 2,
        "an empty file from a host whose scan died fails the gate"
    );
    let empty = "empty: no records (a scan always writes at least its summary)";
    assert_eq!(
        problem_lines(&stderr),
        [
            format!("cbscan: empty.jsonl: {empty}"),
            format!("cbscan: blank.jsonl: {empty}")
        ]
    );
    let (_, only_b, _) = report_json(dir, &["b.jsonl"]);
    assert_eq!(
        without_unread(value, &["empty.jsonl", "blank.jsonl"]),
        only_b
    );
    // Records of the right shape, but neither a summary nor an end: not a whole scan's output.
    std::fs::write(
        dir.join("typed.jsonl"),
        "{\"type\":\"info\",\"msg\":\"up\"}\n",
    )
    .expect("w");
    let (code, _, stderr) = report_json(dir, &["typed.jsonl", "b.jsonl"]);
    assert_eq!(code, 2);
    let lines = problem_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("cbscan: typed.jsonl: no summary record and no end record"),
        "{stderr}"
    );
    // A file cut after its first record is told as cut, once.
    let first = lines_of(dir, "b.jsonl").remove(0);
    write_lines(dir, "begun.jsonl", &[first]);
    let (code, _, stderr) = report_json(dir, &["begun.jsonl"]);
    assert_eq!(code, 2);
    assert_eq!(
        problem_lines(&stderr),
        [
            "cbscan: begun.jsonl:1: this input has no end record: the file was cut short",
            "cbscan: b.log: the saved output ends before this input's end"
        ]
    );
}

#[test]
fn a_folder_is_walked_for_saved_files_in_sorted_order() {
    let saved = two_saved();
    let dir = saved.dir.path();
    let folder = dir.join("saved");
    std::fs::create_dir_all(folder.join("later")).expect("mkdir");
    std::fs::copy(dir.join("a.jsonl"), folder.join("1.jsonl")).expect("copy");
    std::fs::copy(dir.join("b.jsonl"), folder.join("later/2.jsonl")).expect("copy");
    std::fs::copy(dir.join("a.log"), folder.join("a.log")).expect("copy");
    let (code, value, stderr) = report_json(dir, &["saved/"]);
    assert_eq!((code, stderr.as_str()), (1, ""));
    assert_eq!(value, saved.good);
    std::fs::create_dir(dir.join("none")).expect("mkdir");
    let (code, _, stderr) = report_json(dir, &["none", "b.jsonl"]);
    assert_eq!(code, 2);
    assert_eq!(
        problem_lines(&stderr),
        ["cbscan: none: a folder without saved files (*.jsonl, *.jsonl.gz, *.jsonl.zst)"]
    );
}

#[test]
fn a_file_given_twice_is_read_once() {
    let saved = two_saved();
    let dir = saved.dir.path();
    #[cfg(unix)]
    std::os::unix::fs::symlink("b.jsonl", dir.join("link.jsonl")).expect("symlink");
    #[cfg(not(unix))]
    std::fs::copy(dir.join("b.jsonl"), dir.join("link.jsonl")).expect("copy");
    let (code, value, stderr) =
        report_json(dir, &["a.jsonl", "./a.jsonl", "b.jsonl", "link.jsonl"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(value, saved.good, "no count doubled");
    assert_eq!(
        problem_lines(&stderr),
        [
            "cbscan: ./a.jsonl: note: given twice (same file as a.jsonl): skipped",
            "cbscan: link.jsonl: note: given twice (same file as b.jsonl): skipped"
        ]
    );
}

#[test]
fn a_report_into_one_of_its_inputs_is_refused_before_reading() {
    let saved = two_saved();
    let dir = saved.dir.path();
    let before = std::fs::read(dir.join("a.jsonl")).expect("reading");
    // `cbscan report a.jsonl --format jsonl >> a.jsonl`
    let out = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("a.jsonl"))
        .expect("opening");
    let run = std::process::Command::new(support::bin())
        .current_dir(dir)
        .args(["report", "--format", "jsonl", "b.jsonl", "a.jsonl"])
        .stdout(out)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "cbscan: a.jsonl: standard output writes to this file, which report reads: give \
          report's output another file"
        ]
    );
    assert_eq!(std::fs::read(dir.join("a.jsonl")).expect("reading"), before);
    // --report into an input: refused before anything is read (a.log would be told first).
    let run = run_in(
        dir,
        &["report", "--report", "json=b.jsonl", "a.log", "b.jsonl"],
        None,
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr.lines().collect::<Vec<_>>(),
        [
            "cbscan: --report json=b.jsonl: that file is also an input; writing the report would \
          erase it"
        ]
    );
}

#[test]
fn a_saved_file_that_cannot_be_used_counts_as_an_input_not_read() {
    let saved = two_saved();
    let dir = saved.dir.path();
    // A log given by mistake: skipped, and the summary says the result is incomplete.
    let (code, value, stderr) = report_json(dir, &["a.log", "b.jsonl"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.contains("a.log")).count(),
        1,
        "told once: {stderr}"
    );
    assert_eq!(value["summary"]["errors"], 1, "{}", value["summary"]);
    let row = &value["inputs"][0];
    assert_eq!(row["path"]["text"], "a.log", "{row}");
    assert_eq!(row["complete"], false, "{row}");
    assert!(
        row["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("not cbscan JSON lines")),
        "{row}"
    );
    // A file given twice is a note, not an input that could not be read.
    let (code, value, _) = report_json(dir, &["b.jsonl", "b.jsonl"]);
    assert_eq!((code, &value["summary"]["errors"]), (1, &Value::from(0)));
}
