//! Reports of one scan (issue 7): stdout's format and `--report FORMAT=PATH` files, `-c`, `-l`,
//! `-m`, `-q`, report files refused as inputs, write errors, a closed stdout, and catalog text
//! kept from driving the terminal. Every test runs the real binary.
//!
//! Expected values come from the fixtures read by hand (the hit lists below are the ones of
//! `tests/cli.rs`), from the naive reference matcher of `tests/support`, or from another run of
//! the binary in a different configuration (the acceptance test: one scan with several reports
//! must give what separate scans give). Machine output is read back with serde_json.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use regex::Regex;
use serde_json::Value;
use support::fixtures::*;
use support::*;

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs cbscan from the package root with `args`; stdout is a pipe (so never coloured).
fn exec<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let output = cbscan().args(args).output().expect("cbscan runs");
    finish(args, output)
}

fn finish<S: AsRef<std::ffi::OsStr>>(args: &[S], output: std::process::Output) -> Run {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_owned()).collect();
    assert!(
        !stderr.contains("panicked"),
        "cbscan {shown:?} panicked: {stderr}"
    );
    Run {
        code: output.status.code().expect("cbscan exits normally"),
        stdout: output.stdout,
        stderr,
    }
}

/// A path as a command-line argument.
fn arg(path: &Path) -> String {
    path.to_str().expect("temp paths are UTF-8").to_string()
}

/// Reads a report file written by cbscan.
fn read_report(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("reading report {}: {e}", path.display()))
}

/// Parses a whole JSON document (`--format json`).
fn document(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "not one JSON document ({e}): {}",
            String::from_utf8_lossy(bytes)
        )
    })
}

/// A record without its `"type"` member.
fn without_type(record: &Value) -> Value {
    let mut object = record.as_object().expect("a JSON object").clone();
    assert!(object.remove("type").is_some(), "record has a type");
    Value::Object(object)
}

/// The `text` of a JSON path object (`{"text":…}`).
fn path_text(record: &Value) -> &str {
    record["path"]["text"].as_str().expect("a UTF-8 path")
}

/// Replaces the one run-dependent figure of the human report, the elapsed time in the summary
/// line (`Scanned … in 0.01 s: …`), by `N.NN`. Nothing else is normalised, and the line must be
/// there exactly once.
fn normalise_elapsed(human: &[u8]) -> String {
    let text = String::from_utf8(human.to_vec()).expect("human output is UTF-8");
    let re = Regex::new(r"(?m)^(Scanned .*) in \d+\.\d{2} s: ").expect("valid regex");
    assert_eq!(
        re.find_iter(&text).count(),
        1,
        "one summary line with an elapsed time in:\n{text}"
    );
    re.replace(&text, "$1 in N.NN s: ").into_owned()
}

/// `count` copies of a fixture in one file (the fixture ends with a line break, so each copy
/// keeps its lines and its hits).
fn repeated(dir: &Path, name: &str, fixture: &str, count: usize) -> PathBuf {
    let data = read(fixture);
    assert_eq!(
        data.last(),
        Some(&b'\n'),
        "{fixture} ends with a line break"
    );
    let path = dir.join(name);
    fs::write(&path, data.repeat(count)).expect("write big input");
    path
}

/// The folder fixture as a walk lists it, with the number of hits of each file (`.gitignore`
/// has none; `.gitignore` itself is not honoured by default, so `ignored.log` is scanned).
const FOLDER_HIT_COUNTS: [(&str, u64); 6] = [
    ("fixtures/folder/.gitignore", 0),
    ("fixtures/folder/app.log", 1),
    ("fixtures/folder/ignored.log", 1),
    ("fixtures/folder/nested/.hidden.log", 1),
    ("fixtures/folder/nested/deep/worker.log", 2),
    ("fixtures/folder/notes.txt", 1),
];

/// An input without any code.
const NO_HITS: &str = "fixtures/folder/.gitignore";

/// Number of distinct lines among hand-listed hits.
fn lines_with_hits(expected: &[Expected]) -> u64 {
    expected.iter().map(|h| h.0).collect::<BTreeSet<_>>().len() as u64
}

// ---------------------------------------------------------------------------------------------
// 1. One scan, several reports = separate scans
// ---------------------------------------------------------------------------------------------

/// The issue's acceptance test: `--format jsonl --report json=a.json --report human=a.txt`
/// writes, in stdout, a.json and a.txt, the bytes that three separate scans write to stdout
/// with `--format jsonl`, `--format json` and `--format human`, whether hits are formatted by
/// one worker or by two on 4 KiB chunks of a large file. The inputs include one without hits
/// (first, so the JSON document's first hit comes from a later input), a missing one (exit 2),
/// a large file cut into chunks, a CRLF file with ANSI colours, and a folder.
///
/// The only normalisation: the human text's elapsed time (`in 0.01 s` in the summary line)
/// differs from run to run and is replaced by `N.NN` (see `normalise_elapsed`); jsonl and
/// json are compared as raw bytes.
#[test]
fn one_scan_with_reports_writes_what_separate_scans_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let copies = 40;
    let big = repeated(dir.path(), "big.log", CLOUDFUNCTION, copies);
    let inputs: Vec<String> = vec![
        NO_HITS.into(),
        CLOUDFUNCTION.into(),
        "fixtures/does-not-exist.log".into(),
        arg(&big),
        CI_ANSI.into(),
        MINIPROGRAM.into(),
        "fixtures/folder".into(),
    ];
    let folder_hits: u64 = FOLDER_HIT_COUNTS.iter().map(|f| f.1).sum();
    let total_hits = (15 + 15 * copies + 4 + MINIPROGRAM_HITS.len()) as u64 + folder_hits;

    let variants: [&[&str]; 2] = [
        &["-j", "1"],
        &["-j", "2", "--chunk-min", "1", "--chunk-size", "4096"],
    ];
    // (jsonl, json, human) of each variant, human with its elapsed time normalised.
    let mut results: Vec<(Vec<u8>, Vec<u8>, String)> = Vec::new();
    for (v, variant) in variants.iter().enumerate() {
        let (threads, scan_opts) = variant.split_at(2);
        let scan = |format: &str, reports: &[String]| {
            let mut args: Vec<String> = threads.iter().map(|s| s.to_string()).collect();
            args.push("scan".into());
            args.extend(scan_opts.iter().map(|s| s.to_string()));
            args.extend(["--format".into(), format.into()]);
            args.extend(reports.iter().cloned());
            args.extend(inputs.iter().cloned());
            let run = exec(&args);
            assert_eq!(run.code, 2, "{args:?}: a missing input: {}", run.stderr);
            assert!(
                run.stderr.contains("fixtures/does-not-exist.log"),
                "{args:?}: stderr names the missing input: {}",
                run.stderr
            );
            run
        };
        let json_file = dir.path().join(format!("a{v}.json"));
        let human_file = dir.path().join(format!("a{v}.txt"));
        let together = scan(
            "jsonl",
            &[
                "--report".into(),
                format!("json={}", arg(&json_file)),
                "--report".into(),
                format!("human={}", arg(&human_file)),
            ],
        );
        let jsonl = scan("jsonl", &[]).stdout;
        let json = scan("json", &[]).stdout;
        let human = scan("human", &[]).stdout;

        assert!(
            together.stdout == jsonl,
            "variant {variant:?}: stdout of the scan with reports differs from --format jsonl"
        );
        assert!(
            read_report(&json_file) == json,
            "variant {variant:?}: the json report differs from --format json"
        );
        assert_eq!(
            normalise_elapsed(&read_report(&human_file)),
            normalise_elapsed(&human),
            "variant {variant:?}: the human report differs from --format human"
        );

        // The bytes compared are a whole scan, not two equal empty outputs.
        let records = records(&jsonl);
        assert_eq!(of_type(&records, "hit").len() as u64, total_hits);
        assert_eq!(summary(&records)["hits"], total_hits);
        let big_expected: Vec<HitTuple> = Reference::builtin()
            .find(&fs::read(&big).expect("read big input"))
            .iter()
            .map(RefHit::tuple)
            .collect();
        assert_eq!(big_expected.len() as u64, 15 * copies as u64);
        for (path, expected) in [
            (CLOUDFUNCTION.to_string(), tuples(&CLOUDFUNCTION_HITS)),
            (arg(&big), big_expected),
            (CI_ANSI.to_string(), tuples(&CI_ANSI_HITS)),
            (MINIPROGRAM.to_string(), tuples(&MINIPROGRAM_HITS)),
        ] {
            let hits = of_type(&records, "hit")
                .into_iter()
                .filter(|r| path_text(r) == path);
            assert_same_hits(&tuples_of(hits), &expected, &path);
        }
        let doc = document(&json);
        assert_eq!(
            doc["hits"].as_array().expect("hits").len() as u64,
            total_hits
        );
        let human_text = normalise_elapsed(&human);
        assert!(
            human_text.contains(&format!(": {total_hits} hits on ")),
            "human summary counts every hit:\n{human_text}"
        );
        assert!(
            !human.contains(&0x1b),
            "human output to a pipe is not coloured"
        );
        results.push((jsonl, json, human_text));
    }
    let (first, second) = (&results[0], &results[1]);
    assert!(
        first.0 == second.0,
        "jsonl differs between -j 1 and chunked -j 2"
    );
    assert!(
        first.1 == second.1,
        "json differs between -j 1 and chunked -j 2"
    );
    assert_eq!(
        first.2, second.2,
        "human differs between -j 1 and chunked -j 2"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. --format json
// ---------------------------------------------------------------------------------------------

/// The JSON document is the JSON-lines records of the same scan, regrouped: its hits are the
/// `hit` records, its inputs the `end` records, its summary the `summary` record, each without
/// `type`. A missing input is one of its inputs, incomplete and with the error.
#[test]
fn json_document_regroups_the_jsonl_records() {
    let args = [CLOUDFUNCTION, "fixtures/does-not-exist.log", MINIPROGRAM];
    let json_run = exec(&[&["scan", "--format", "json"][..], &args].concat());
    let jsonl_run = exec(&[&["scan", "--format", "jsonl"][..], &args].concat());
    assert_eq!(json_run.code, 2, "{}", json_run.stderr);
    assert_eq!(jsonl_run.code, 2, "{}", jsonl_run.stderr);

    let doc = document(&json_run.stdout);
    let object = doc.as_object().expect("an object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(keys, ["schema", "hits", "inputs", "notices", "summary"]);
    assert_eq!(doc["schema"], 2);

    let records = records(&jsonl_run.stdout);
    let hits: Vec<Value> = of_type(&records, "hit")
        .into_iter()
        .map(without_type)
        .collect();
    let ends: Vec<Value> = of_type(&records, "end")
        .into_iter()
        .map(without_type)
        .collect();
    assert_eq!(doc["hits"], Value::Array(hits));
    assert_eq!(doc["inputs"], Value::Array(ends));
    assert_eq!(doc["summary"], without_type(summary(&records)));
    assert_eq!(doc["notices"], Value::Array(Vec::new()));

    // And what they hold is what the fixtures hold.
    let mut expected = tuples(&CLOUDFUNCTION_HITS);
    expected.extend(tuples(&MINIPROGRAM_HITS));
    let doc_hits = doc["hits"].as_array().expect("hits");
    assert_same_hits(&tuples_of(doc_hits), &expected, "json hits");
    let paths: Vec<&str> = doc_hits.iter().map(path_text).collect();
    assert_eq!(paths[..15], [CLOUDFUNCTION; 15]);
    assert_eq!(paths[15..], [MINIPROGRAM; 10]);
    assert!(doc_hits.iter().all(|h| h.get("type").is_none()));

    let inputs = doc["inputs"].as_array().expect("inputs");
    let names: Vec<&str> = inputs.iter().map(path_text).collect();
    assert_eq!(names, args);
    for (input, hits) in [
        (&inputs[0], &CLOUDFUNCTION_HITS[..]),
        (&inputs[2], &MINIPROGRAM_HITS[..]),
    ] {
        assert_eq!(input["complete"], true);
        assert_eq!(input["hits"], hits.len() as u64);
        assert_eq!(input["lines_with_hits"], lines_with_hits(hits));
        assert!(input.get("error").is_none(), "{input}");
    }
    let missing = &inputs[1];
    assert_eq!(missing["complete"], false);
    assert_eq!(missing["hits"], 0);
    let error = missing["error"].as_str().expect("an error message");
    assert!(!error.is_empty());
    assert!(
        json_run.stderr.contains(error),
        "the document's error is the one told on stderr: {error:?} vs {}",
        json_run.stderr
    );
    assert_eq!(doc["summary"]["hits"], 25);
    assert_eq!(doc["summary"]["errors"], 1);
}

/// With no hit at all, the document is still one valid JSON value, with an empty hit list.
#[test]
fn json_document_without_hits_is_valid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let quiet = dir.path().join("quiet.log");
    fs::write(&quiet, "nothing to see\nOPERATION_FAIL is not a code\n").expect("write");
    let run = exec(&["scan", "--format", "json", &arg(&quiet), NO_HITS]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = document(&run.stdout);
    assert_eq!(doc["hits"], Value::Array(Vec::new()));
    assert_eq!(doc["inputs"].as_array().expect("inputs").len(), 2);
    assert_eq!(doc["inputs"][0]["lines"], 2);
    assert_eq!(doc["summary"]["hits"], 0);
    assert_eq!(doc["summary"]["files"], 2);

    // Standard input with nothing in it: one input, no hit, still a document.
    let output = cbscan()
        .args(["scan", "--format", "json"])
        .write_stdin(Vec::new())
        .output()
        .expect("cbscan runs");
    let run = finish(&["scan"], output);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = document(&run.stdout);
    assert_eq!(doc["hits"], Value::Array(Vec::new()));
    assert_eq!(doc["inputs"][0]["bytes"], 0);
}

// ---------------------------------------------------------------------------------------------
// 3. -c, -l, -m
// ---------------------------------------------------------------------------------------------

/// `-c`: `PATH:HITS` for each input with hits, in input order, and nothing else (no summary);
/// an input without hits is left out.
#[test]
fn count_prints_hits_per_input_with_hits() {
    let run = exec(&[
        "scan",
        "-c",
        CLOUDFUNCTION,
        NO_HITS,
        MINIPROGRAM,
        "fixtures/folder",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut expected = format!("{CLOUDFUNCTION}:15\n{MINIPROGRAM}:10\n");
    for (path, hits) in FOLDER_HIT_COUNTS {
        if hits > 0 {
            expected.push_str(&format!("{path}:{hits}\n"));
        }
    }
    assert_eq!(String::from_utf8_lossy(&run.stdout), expected);

    // --format count is the same thing.
    let long = exec(&["scan", "--format", "count", CLOUDFUNCTION, MINIPROGRAM]);
    assert_eq!(long.code, 1);
    assert_eq!(
        String::from_utf8_lossy(&long.stdout),
        format!("{CLOUDFUNCTION}:15\n{MINIPROGRAM}:10\n")
    );

    // Nothing found: nothing printed, exit 0.
    let none = exec(&["scan", "-c", NO_HITS]);
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert!(
        none.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&none.stdout)
    );
}

/// `-l`: the name of each input with hits, in input order, and nothing else.
#[test]
fn files_with_hits_lists_inputs_with_hits() {
    let run = exec(&["scan", "-l", "fixtures/folder", NO_HITS, CLOUDFUNCTION]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut expected = String::new();
    for (path, hits) in FOLDER_HIT_COUNTS {
        if hits > 0 {
            expected.push_str(path);
            expected.push('\n');
        }
    }
    expected.push_str(CLOUDFUNCTION);
    expected.push('\n');
    assert_eq!(String::from_utf8_lossy(&run.stdout), expected);

    let none = exec(&["scan", "--format", "files", NO_HITS]);
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert!(none.stdout.is_empty());
}

/// `-c` and `-l` ask for two different outputs: a usage error, before any scan.
#[test]
fn count_and_files_with_hits_conflict() {
    let run = exec(&["scan", "-c", "-l", CLOUDFUNCTION]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("--count") && run.stderr.contains("--files-with-hits"),
        "{}",
        run.stderr
    );
}

/// `-m 1` shows the first hit of each input, in every format, while the per-input counts, the
/// summary and the exit status still count every hit.
#[test]
fn max_hits_limits_what_is_shown_not_what_is_counted() {
    let inputs = [CLOUDFUNCTION, MINIPROGRAM];
    let firsts = vec![
        tuples(&CLOUDFUNCTION_HITS[..1])[0].clone(),
        tuples(&MINIPROGRAM_HITS[..1])[0].clone(),
    ];
    let all = (CLOUDFUNCTION_HITS.len() + MINIPROGRAM_HITS.len()) as u64;
    let all_lines = lines_with_hits(&CLOUDFUNCTION_HITS) + lines_with_hits(&MINIPROGRAM_HITS);

    // JSON lines, on stdout and in a report file.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("m.jsonl");
    let report = format!("jsonl={}", arg(&file));
    let jsonl = exec(
        &[
            &["scan", "-m", "1", "--format", "jsonl", "--report", &report][..],
            &inputs,
        ]
        .concat(),
    );
    assert_eq!(jsonl.code, 1, "{}", jsonl.stderr);
    for (what, bytes) in [
        ("stdout", jsonl.stdout.clone()),
        ("report", read_report(&file)),
    ] {
        let records = records(&bytes);
        assert_same_hits(&hit_tuples(&records), &firsts, what);
        let ends = of_type(&records, "end");
        assert_eq!(ends.len(), 2);
        for (end, hits) in ends
            .iter()
            .zip([&CLOUDFUNCTION_HITS[..], &MINIPROGRAM_HITS[..]])
        {
            assert_eq!(end["hits"], hits.len() as u64, "{what}: {end}");
            assert_eq!(
                end["lines_with_hits"],
                lines_with_hits(hits),
                "{what}: {end}"
            );
        }
        assert_eq!(summary(&records)["hits"], all, "{what}");
        assert_eq!(summary(&records)["lines_with_hits"], all_lines, "{what}");
    }

    // One JSON document.
    let json = exec(&[&["scan", "-m", "1", "--format", "json"][..], &inputs].concat());
    assert_eq!(json.code, 1);
    let doc = document(&json.stdout);
    assert_same_hits(
        &tuples_of(doc["hits"].as_array().expect("hits")),
        &firsts,
        "json",
    );
    assert_eq!(doc["inputs"][0]["hits"], 15);
    assert_eq!(doc["inputs"][1]["hits"], 10);
    assert_eq!(doc["summary"]["hits"], all);

    // Human: a hit is a `PATH:LINE:COLUMN: CODE` line.
    let human = exec(&[&["scan", "-m", "1"][..], &inputs].concat());
    assert_eq!(human.code, 1);
    let text = String::from_utf8(human.stdout).expect("UTF-8");
    let hit_line = Regex::new(r"^(\S+):(\d+):(\d+): (\S+)").expect("regex");
    let shown: Vec<(String, u64, u64, String)> = text
        .lines()
        .filter_map(|line| hit_line.captures(line))
        .map(|c| {
            (
                c[1].to_string(),
                c[2].parse().unwrap(),
                c[3].parse().unwrap(),
                c[4].to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, u64, String)> = inputs
        .iter()
        .zip(&firsts)
        .map(|(path, hit)| (path.to_string(), hit.0, hit.1, hit.3.clone()))
        .collect();
    assert_eq!(shown, expected, "{text}");
    assert!(
        text.contains(&format!(": {all} hits on {all_lines} lines\n")),
        "the summary counts every hit:\n{text}"
    );

    // The exit status follows every hit, shown or not: AUTH_LOGIN_FAILED is the 15th hit.
    let policy = exec(&[
        "scan",
        "-m",
        "1",
        "-q",
        "--fail-on",
        "AUTH_LOGIN_FAILED",
        CLOUDFUNCTION,
    ]);
    assert_eq!(policy.code, 1, "{}", policy.stderr);
}

/// `-m` stops at the same hits when a large file is cut into chunks scanned by several workers.
#[test]
fn max_hits_is_per_input_across_chunks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = repeated(dir.path(), "big.log", CLOUDFUNCTION, 30);
    let expected: Vec<HitTuple> = Reference::builtin()
        .find(&fs::read(&big).expect("read"))
        .iter()
        .take(20)
        .map(RefHit::tuple)
        .collect();
    let run = exec(&[
        "-j",
        "3",
        "scan",
        "--chunk-min",
        "1",
        "--chunk-size",
        "4096",
        "-m",
        "20",
        "--format",
        "jsonl",
        &arg(&big),
        MINIPROGRAM,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let records = records(&run.stdout);
    let big_hits = of_type(&records, "hit")
        .into_iter()
        .filter(|r| path_text(r) == arg(&big));
    assert_same_hits(&tuples_of(big_hits), &expected, "big input");
    let mini: Vec<&Value> = of_type(&records, "hit")
        .into_iter()
        .filter(|r| path_text(r) == MINIPROGRAM)
        .collect();
    assert_same_hits(&tuples_of(mini), &tuples(&MINIPROGRAM_HITS), "second input");
    assert_eq!(summary(&records)["hits"], 15 * 30 + 10);
}

// ---------------------------------------------------------------------------------------------
// 4. Report files are not inputs; a report that cannot be created stops the scan first
// ---------------------------------------------------------------------------------------------

/// `--report jsonl=DIR/out.jsonl DIR`, with out.jsonl left in DIR by an earlier run (full of
/// codes): the report is written, not read back. Like GNU grep's "input file is also the
/// output", the input gets an error (exit 2) and the other inputs are scanned as usual.
#[test]
fn report_file_is_not_read_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).expect("mkdir");
    fs::copy(support::root().join(CLOUDFUNCTION), logs.join("app.log")).expect("copy");
    let out = logs.join("out.jsonl");
    // An earlier report: were it scanned, its hit records would be hits again.
    fs::write(&out, read(MINIPROGRAM)).expect("write");
    let report = format!("jsonl={}", arg(&out));
    let run = exec(&[
        "scan",
        "--format",
        "jsonl",
        "--report",
        &report,
        &arg(&logs),
    ]);
    // The earlier report is skipped, not an error: the same command run twice in a CI
    // workspace must give the same status.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("out.jsonl"), "{}", run.stderr);

    let written = read_report(&out);
    assert!(
        written == run.stdout,
        "the report is the same scan as stdout"
    );
    let records = records(&written);
    let app = arg(&logs.join("app.log"));
    assert!(
        of_type(&records, "hit").iter().all(|r| path_text(r) == app),
        "no hit comes from the report itself"
    );
    assert_same_hits(
        &hit_tuples(&records),
        &tuples(&CLOUDFUNCTION_HITS),
        "app.log",
    );
    assert!(of_type(&records, "error").is_empty());
    assert!(
        of_type(&records, "end")
            .iter()
            .all(|r| path_text(r) != arg(&out)),
        "the report is not an input"
    );
    let summary = summary(&records);
    assert_eq!(summary["hits"], 15);
    assert_eq!(summary["errors"], 0);
    assert_eq!(summary["files"], 1);

    // Run again: the same result, byte for byte.
    let again = exec(&[
        "scan",
        "--format",
        "jsonl",
        "--report",
        &report,
        &arg(&logs),
    ]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert_eq!(again.stdout, run.stdout);
}

/// The same file named as an input: refused before anything is written, since writing the
/// report would erase the log (a user typing `--report human=app.log app.log`).
#[test]
fn report_file_named_as_input_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("app.log");
    let log = read(CLOUDFUNCTION);
    fs::write(&out, &log).expect("write");
    let report = format!("json={}", arg(&out));
    let out_arg = arg(&out);
    for quiet in [false, true] {
        let mut args = vec!["scan"];
        if quiet {
            args.push("-q");
        }
        args.extend(["--report", &report, &out_arg, MINIPROGRAM]);
        let run = exec(&args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains("that file is also an input"),
            "{}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "nothing scanned");
        assert_eq!(fs::read(&out).expect("read"), log, "the log is untouched");
    }
}

/// A report in a folder that does not exist: exit 2 before anything is scanned, and the
/// message names the path.
#[test]
fn report_in_missing_folder_stops_before_scanning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("no-such-folder").join("out.json");
    let report = format!("json={}", arg(&target));
    let run = exec(&[
        "scan",
        "--format",
        "jsonl",
        "--report",
        &report,
        CLOUDFUNCTION,
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "nothing scanned: {}",
        String::from_utf8_lossy(&run.stdout)
    );
    assert!(run.stderr.contains(&arg(&target)), "{}", run.stderr);
    assert!(!target.exists());

    // A good report named before the bad one is not emptied: every folder is checked first.
    let earlier = dir.path().join("earlier.jsonl");
    fs::write(&earlier, "kept\n").expect("write");
    let good = format!("jsonl={}", arg(&earlier));
    let run = exec(&[
        "scan",
        "--report",
        &good,
        "--report",
        &report,
        CLOUDFUNCTION,
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(fs::read_to_string(&earlier).expect("read"), "kept\n");
}

// ---------------------------------------------------------------------------------------------
// 5. Write errors
// ---------------------------------------------------------------------------------------------

/// A large input followed by a small one, and every hit they hold: enough output (megabytes
/// of JSON) that a failing writer fails in the middle of the scan, not only when the last
/// buffer is flushed at the end.
fn write_error_inputs(dir: &Path) -> (Vec<String>, Vec<HitTuple>) {
    let big = repeated(dir, "big.log", CLOUDFUNCTION, 300);
    let mut expected: Vec<HitTuple> = Reference::builtin()
        .find(&fs::read(&big).expect("read"))
        .iter()
        .map(RefHit::tuple)
        .collect();
    assert_eq!(expected.len(), 15 * 300);
    expected.extend(tuples(&MINIPROGRAM_HITS));
    (vec![arg(&big), MINIPROGRAM.to_string()], expected)
}

/// A report that cannot be written (`/dev/full`: every write fails) is an error (exit 2, named
/// on stderr), and the other reports, stdout's here, are still complete.
#[cfg(target_os = "linux")]
#[test]
fn failed_report_file_does_not_stop_stdout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (inputs, expected) = write_error_inputs(dir.path());
    let args = [
        &["scan", "--format", "jsonl", "--report", "json=/dev/full"][..],
        &inputs.iter().map(String::as_str).collect::<Vec<_>>(),
    ]
    .concat();
    let run = exec(&args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("writing /dev/full"), "{}", run.stderr);
    let records = records(&run.stdout);
    assert_same_hits(&hit_tuples(&records), &expected, "stdout");
    assert_eq!(summary(&records)["hits"], expected.len() as u64);
}

/// Stdout that cannot be written is an error too (exit 2), and the report file is complete.
#[cfg(target_os = "linux")]
#[test]
fn failed_stdout_does_not_stop_report_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (inputs, expected) = write_error_inputs(dir.path());
    let file = dir.path().join("ok.json");
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    let report = format!("json={}", arg(&file));
    let args = [
        &["scan", "--format", "jsonl", "--report", &report][..],
        &inputs.iter().map(String::as_str).collect::<Vec<_>>(),
    ]
    .concat();
    let output = StdCommand::new(bin())
        .current_dir(support::root())
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(full))
        .output()
        .expect("cbscan runs");
    let run = finish(&args, output);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("writing standard output"),
        "{}",
        run.stderr
    );
    let doc = document(&read_report(&file));
    assert_same_hits(
        &tuples_of(doc["hits"].as_array().expect("hits")),
        &expected,
        "report",
    );
    assert_eq!(doc["summary"]["hits"], expected.len() as u64);
}

// ---------------------------------------------------------------------------------------------
// 6. A closed stdout
// ---------------------------------------------------------------------------------------------

/// `cbscan scan --report json=a.json BIG | head -1`: stdout closes after one line, quietly;
/// the report file still gets every hit, and the exit status follows the policy (1: hits).
#[test]
fn closed_stdout_leaves_report_file_complete() {
    let dir = tempfile::tempdir().expect("temp dir");
    let copies = 2000;
    // 30,000 hits: megabytes of human output, far more than a pipe and the writer's buffer
    // hold, so cbscan is still writing when the pipe closes.
    let big = repeated(dir.path(), "big.log", CLOUDFUNCTION, copies);
    let file = dir.path().join("a.json");
    let mut child = StdCommand::new(bin())
        .current_dir(dir.path())
        .args([
            "scan",
            "--report",
            &format!("json={}", arg(&file)),
            &arg(&big),
        ])
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cbscan starts");
    let mut stderr = child.stderr.take().expect("stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("one line");
    assert!(
        first.starts_with(&format!(
            "{}:3:48: DATABASE_COLLECTION_NOT_EXIST",
            arg(&big)
        )),
        "{first:?}"
    );
    drop(stdout);
    let status = child.wait().expect("cbscan ends");
    let stderr = errors.join().expect("stderr reader");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        !stderr.contains("writing"),
        "a closed stdout is not an error: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let doc = document(&read_report(&file));
    let expected: Vec<HitTuple> = Reference::builtin()
        .find(&fs::read(&big).expect("read"))
        .iter()
        .map(RefHit::tuple)
        .collect();
    assert_eq!(expected.len(), 15 * copies);
    assert_same_hits(
        &tuples_of(doc["hits"].as_array().expect("hits")),
        &expected,
        "a.json",
    );
    assert_eq!(doc["summary"]["hits"], 15 * copies as u64);
}

// ---------------------------------------------------------------------------------------------
// 7. -q and report files
// ---------------------------------------------------------------------------------------------

/// `-q` prints nothing, yet report files are written in full; and what stdout shows
/// (`-s`, `--no-summary`, `-c`) never trims a report file.
#[test]
fn report_files_are_complete_whatever_stdout_shows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = [CLOUDFUNCTION, MINIPROGRAM];
    let full = exec(&[&["scan", "--format", "jsonl"][..], &inputs].concat());
    assert_eq!(full.code, 1);
    let mut expected = tuples(&CLOUDFUNCTION_HITS);
    expected.extend(tuples(&MINIPROGRAM_HITS));
    let records = records(&full.stdout);
    assert_same_hits(&hit_tuples(&records), &expected, "jsonl");
    assert_eq!(summary(&records)["hits"], 25);

    for (i, stdout_options) in [&["-q"][..], &["-s"], &["--no-summary"], &["-c"], &["-l"]]
        .into_iter()
        .enumerate()
    {
        // A new file each time, so that one left by an earlier run cannot pass for this one.
        let file = dir.path().join(format!("x{i}.jsonl"));
        let report = format!("jsonl={}", arg(&file));
        let args = [stdout_options, &["--report", &report], &inputs].concat();
        let run = exec(&[&["scan"][..], &args].concat());
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        if stdout_options == ["-q"] {
            assert!(
                run.stdout.is_empty(),
                "-q prints nothing: {}",
                String::from_utf8_lossy(&run.stdout)
            );
        }
        assert!(
            read_report(&file) == full.stdout,
            "{args:?}: the report file differs from a full --format jsonl scan"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Catalog text never drives the terminal
// ---------------------------------------------------------------------------------------------

/// Terminal hazards in a user catalog's texts: a screen clear, an OSC 52 clipboard write, an
/// OSC 0 title change, a right-to-left override and a zero-width space.
const EVIL_ZH: &str = "清屏\u{1b}[2J剪贴板\u{1b}]52;c;SGVsbG8=\u{7}";
const EVIL_EN: &str = "Evil\u{200b} meaning\u{202e} with title \u{1b}]0;x\u{7}";
const EVIL_CATEGORY_ZH: &str = "坏\u{1b}]0;x\u{7}类";
const EVIL_CATEGORY_EN: &str = "Evil\u{1b}[2J category\u{202e}";

/// `text` as a TOML basic string: every char outside printable ASCII as `\uXXXX`, so the
/// catalog file itself is plain ASCII and the hazards reach cbscan only through TOML's escapes.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Bytes that must not reach a terminal: ESC, BEL, and the UTF-8 of U+202E and U+200B.
fn raw_hazards(bytes: &[u8]) -> Vec<&'static str> {
    let mut found = Vec::new();
    if bytes.contains(&0x1b) {
        found.push("ESC");
    }
    if bytes.contains(&0x07) {
        found.push("BEL");
    }
    for (name, c) in [("U+202E", '\u{202e}'), ("U+200B", '\u{200b}')] {
        let mut utf8 = [0; 4];
        let needle = c.encode_utf8(&mut utf8).as_bytes();
        if bytes.windows(needle.len()).any(|w| w == needle) {
            found.push(name);
        }
    }
    found
}

#[test]
fn catalog_text_is_escaped_for_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog = dir.path().join("evil.toml");
    let toml = format!(
        "[[category]]\nid = \"evil\"\nzh = {}\nen = {}\n\n\
         [[code]]\ncode = \"EVIL_CODE\"\ncategory = \"evil\"\nzh = {}\nen = {}\n",
        toml_string(EVIL_CATEGORY_ZH),
        toml_string(EVIL_CATEGORY_EN),
        toml_string(EVIL_ZH),
        toml_string(EVIL_EN),
    );
    assert!(toml.is_ascii());
    fs::write(&catalog, toml).expect("write catalog");
    let log = dir.path().join("app.log");
    fs::write(&log, "2026-11-25 09:00:00 ERROR EVIL_CODE while saving\n").expect("write log");
    let human_file = dir.path().join("report.txt");
    let catalog = arg(&catalog);
    let human_report = format!("human={}", arg(&human_file));

    let runs = [
        ("scan", exec(&["--catalog", &catalog, "scan", &arg(&log)])),
        (
            "scan --color always",
            exec(&[
                "--catalog",
                &catalog,
                "scan",
                "--color",
                "always",
                &arg(&log),
            ]),
        ),
        (
            "explain",
            exec(&["--catalog", &catalog, "explain", "EVIL_CODE"]),
        ),
        ("codes", exec(&["--catalog", &catalog, "codes"])),
        (
            "codes --category evil",
            exec(&["--catalog", &catalog, "codes", "--category", "evil"]),
        ),
        (
            "scan --report human",
            exec(&[
                "--catalog",
                &catalog,
                "scan",
                "-q",
                "--report",
                &human_report,
                &arg(&log),
            ]),
        ),
    ];
    let sgr = regex::bytes::Regex::new(r"\x1b\[[0-9;]*m").expect("regex");
    for (what, run) in &runs {
        let expected_code = if what.starts_with("scan") { 1 } else { 0 };
        assert_eq!(run.code, expected_code, "{what}: {}", run.stderr);
        let mut shown = if *what == "scan --report human" {
            read_report(&human_file)
        } else {
            run.stdout.clone()
        };
        if what.contains("--color always") {
            // cbscan's own colours are SGR sequences (`ESC [ … m`); the catalog's texts hold
            // none, so any ESC left once they are removed came from the catalog.
            assert!(sgr.is_match(&shown), "{what}: coloured");
            shown = sgr.replace_all(&shown, &b""[..]).into_owned();
        }
        let text = String::from_utf8_lossy(&shown);
        assert_eq!(raw_hazards(&shown), Vec::<&str>::new(), "{what}:\n{text}");
        // The texts are still shown, only their controls are made harmless.
        assert!(text.contains("EVIL_CODE"), "{what}:\n{text}");
        assert!(
            text.contains("剪贴板") && text.contains("SGVsbG8="),
            "{what}: the meaning is shown:\n{text}"
        );
        assert!(
            !run.stderr.as_bytes().contains(&0x1b),
            "{what}: {}",
            run.stderr
        );
    }
    // Where categories are shown by name: the summary's table and explain.
    for what in ["scan", "explain"] {
        let run = &runs.iter().find(|(w, _)| *w == what).expect("run").1;
        let text = String::from_utf8_lossy(&run.stdout);
        assert!(
            text.contains("坏") && text.contains(" category"),
            "{what}:\n{text}"
        );
    }

    // Machine output still carries the exact texts, JSON-escaped.
    let jsonl = exec(&[
        "--catalog",
        &catalog,
        "scan",
        "--format",
        "jsonl",
        &arg(&log),
    ]);
    assert_eq!(jsonl.code, 1, "{}", jsonl.stderr);
    assert!(!jsonl.stdout.contains(&0x1b) && !jsonl.stdout.contains(&0x07));
    let hit_records = records(&jsonl.stdout);
    let hits = of_type(&hit_records, "hit");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["code"], "EVIL_CODE");
    assert_eq!(hits[0]["category"], "evil");
    assert_eq!(hits[0]["meaning"]["zh"], EVIL_ZH);
    assert_eq!(hits[0]["meaning"]["en"], EVIL_EN);
    let codes = exec(&[
        "--catalog",
        &catalog,
        "codes",
        "--format",
        "jsonl",
        "--category",
        "evil",
    ]);
    assert_eq!(codes.code, 0, "{}", codes.stderr);
    let entries = records(&codes.stdout);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["zh"], EVIL_ZH);
    assert_eq!(entries[0]["en"], EVIL_EN);
}

/// `-l` and `-c` feed other programs: names are written as their bytes when the output is not
/// a terminal (a name with a byte that is not UTF-8, or with an escape character, comes out
/// exactly as the file system has it), as `rg -l` writes them.
#[cfg(unix)]
#[test]
fn listed_names_are_the_exact_bytes_off_a_terminal() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let names: [&[u8]; 3] = [b"caf\xe9.log", b"\x1b[31mred.log", b"plain.log"];
    for name in names {
        fs::write(
            dir.path().join(std::ffi::OsStr::from_bytes(name)),
            "x SYS_ERR\n",
        )
        .expect("write");
    }
    let output = cbscan()
        .current_dir(dir.path())
        .args(["scan", "-l", "."])
        .output()
        .expect("cbscan runs");
    assert_eq!(output.status.code(), Some(1));
    let mut expected: Vec<Vec<u8>> = names
        .iter()
        .map(|n| [b"./".as_slice(), n].concat())
        .collect();
    expected.sort();
    let listed: Vec<Vec<u8>> = output
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    assert_eq!(listed, expected);
    let output = cbscan()
        .current_dir(dir.path())
        .args(["scan", "-c", "./caf\u{e9}.log"])
        .arg(std::ffi::OsStr::from_bytes(b"./caf\xe9.log"))
        .output()
        .expect("cbscan runs");
    // The first path does not exist (it is the UTF-8 spelling); the second is the file.
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(output.stdout, b"./caf\xe9.log:1\n");
}

/// `--report FORMAT=out.txt > out.txt` would have two writers garble one file: refused before
/// anything is written.
#[test]
fn a_report_file_that_is_standard_output_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let same = dir.path().join("same.txt");
    let out = fs::File::create(&same).expect("create");
    let report = format!("json={}", arg(&same));
    let output = StdCommand::new(bin())
        .args(["scan", "--report", &report, CLOUDFUNCTION])
        .stdout(out)
        .output()
        .expect("cbscan runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("standard output too"), "{stderr}");
    assert_eq!(fs::read(&same).expect("read"), b"", "nothing written");
    // With --quiet, stdout is not written: the report may go there.
    let out = fs::File::create(&same).expect("create");
    let output = StdCommand::new(bin())
        .args(["scan", "-q", "--report", &report, CLOUDFUNCTION])
        .stdout(out)
        .output()
        .expect("cbscan runs");
    assert_eq!(output.status.code(), Some(1));
    let doc: Value =
        serde_json::from_slice(&fs::read(&same).expect("read")).expect("a JSON document");
    assert_eq!(doc["hits"].as_array().map(Vec::len), Some(15));
}
