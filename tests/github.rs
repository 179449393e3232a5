//! `--format github` (issue 8): GitHub Actions workflow commands, read back the way the Actions
//! runner reads them.
//!
//! The reader below is written from the runner's rules (actions/runner,
//! `src/Runner.Common/ActionCommand.cs`): a line is a command when, after leading white space
//! is trimmed, it starts with `::`; the name and properties run to the next `::`; the name ends
//! at the first space; properties are split at `,` and each at its first `=`; property values
//! are unescaped `%0D %0A %3A %2C %25` in that order, the data `%0D %0A %25`. The older form,
//! `##[name]data`, is a command anywhere in a line: no output line may hold a `##[` at all.
//!
//! Expected values come from the test's own logs (lines and columns counted here), never from
//! the code under test.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use regex::Regex;
use support::*;

/// A workflow command as the runner reads it.
#[derive(Debug, Clone)]
struct Command {
    name: String,
    props: BTreeMap<String, String>,
    data: String,
}

impl Command {
    fn prop(&self, name: &str) -> Option<&str> {
        self.props.get(name).map(String::as_str)
    }
}

/// `ActionCommand.UnescapeProperty`.
fn unescape_property(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// `ActionCommand.UnescapeData`.
fn unescape_data(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

/// `ActionCommand.TryParseV2`, taking every name as registered (stricter than the runner).
fn parse_v2(line: &str) -> Option<Command> {
    let message = line.trim_start();
    let rest = message.strip_prefix("::")?;
    let end = rest.find("::")?;
    let info = &rest[..end];
    let (name, props) = match info.find(' ') {
        Some(space) => (&info[..space], Some(&info[space + 1..])),
        None => (info, None),
    };
    let mut parsed = BTreeMap::new();
    for prop in props.unwrap_or("").trim().split(',') {
        if let Some((key, value)) = prop.split_once('=') {
            if !key.is_empty() && !value.is_empty() {
                parsed.insert(key.to_string(), unescape_property(value));
            }
        }
    }
    Some(Command {
        name: name.to_string(),
        props: parsed,
        data: unescape_data(&rest[end + 2..]),
    })
}

/// Splits stdout into lines as the runner does (at `\n`; a `\r` would also end a line there,
/// so none may appear) and reads each as a command: every line must be an annotation.
fn read_commands(stdout: &[u8]) -> Vec<Command> {
    let text = std::str::from_utf8(stdout).expect("UTF-8 output");
    text.lines()
        .map(|line| {
            assert!(!line.contains('\r'), "bare CR would split {line:?}");
            assert!(!line.contains("##["), "old-style command in {line:?}");
            let command =
                parse_v2(line).unwrap_or_else(|| panic!("not a workflow command: {line:?}"));
            assert!(
                ["error", "warning", "notice"].contains(&command.name.as_str()),
                "unexpected command {:?} in {line:?}",
                command.name
            );
            for key in command.props.keys() {
                assert!(
                    ["file", "line", "col", "title"].contains(&key.as_str()),
                    "unexpected property {key:?} in {line:?}"
                );
            }
            command
        })
        .collect()
}

/// The message of a code annotation, taken apart.
#[derive(Debug, PartialEq, Eq)]
struct Message {
    code: String,
    hits: u64,
    lines: u64,
    first: Option<u64>,
}

fn message(data: &str) -> Message {
    let re = Regex::new(
        r"^(?s)(\S+) ×([\d,]+) on ([\d,]+) lines?(?: of \S+)?(?:, first at line ([\d,]+))?: ",
    )
    .unwrap();
    let caps = re
        .captures(data)
        .unwrap_or_else(|| panic!("unexpected message {data:?}"));
    let number = |s: &str| s.replace(',', "").parse::<u64>().unwrap();
    Message {
        code: caps[1].to_string(),
        hits: number(&caps[2]),
        lines: number(&caps[3]),
        first: caps.get(4).map(|m| number(m.as_str())),
    }
}

fn run(args: &[&str]) -> (i32, Vec<u8>) {
    let output = cbscan().args(args).output().expect("cbscan runs");
    (output.status.code().unwrap_or(-1), output.stdout)
}

/// 1-based character column of `needle` in `line`.
fn char_column(line: &str, needle: &str) -> u64 {
    let at = line.find(needle).expect("needle in line");
    line[..at].chars().count() as u64 + 1
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

#[test]
fn one_annotation_per_input_and_code_with_its_count_and_first_place() {
    let dir = tempfile::tempdir().unwrap();
    let a_lines = [
        "2026-11-30 10:00:00 start",
        "2026-11-30 10:00:01 请求 DATABASE_TIMEOUT after 3000ms",
        "2026-11-30 10:00:02 FUNCTIONS_EXECUTE_FAIL wraps it",
        "2026-11-30 10:00:03 retry DATABASE_TIMEOUT again DATABASE_TIMEOUT",
        "2026-11-30 10:00:04 STORAGE_FILE_NONEXIST img.png",
    ];
    fs::write(dir.path().join("a.log"), a_lines.join("\n")).unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(
        dir.path().join("sub/b.log"),
        "ok\nok\n云开发 DATABASE_TIMEOUT\n",
    )
    .unwrap();
    let d = path_str(dir.path());

    let (code, stdout) = run(&[
        "scan",
        d,
        "--format",
        "github",
        "--base-dir",
        d,
        "--fail-on",
        "DATABASE_TIMEOUT",
    ]);
    assert_eq!(code, 1, "DATABASE_TIMEOUT fails the scan");
    let commands = read_commands(&stdout);

    // (file, code) → (level, line, col, message)
    let mut got = BTreeMap::new();
    for c in &commands {
        let file = c.prop("file").expect("a file").to_string();
        let m = message(&c.data);
        assert_eq!(c.prop("title"), Some(m.code.as_str()), "title is the code");
        let previous = got.insert(
            (file.clone(), m.code.clone()),
            (
                c.name.clone(),
                c.prop("line").map(str::to_string),
                c.prop("col").map(str::to_string),
                m,
            ),
        );
        assert!(previous.is_none(), "two annotations for {file}");
    }
    let expect = |level: &str, line: u64, col: u64, code: &str, hits: u64, lines: u64| {
        (
            level.to_string(),
            Some(line.to_string()),
            Some(col.to_string()),
            Message {
                code: code.to_string(),
                hits,
                lines,
                first: Some(line),
            },
        )
    };
    let mut expected = BTreeMap::new();
    expected.insert(
        ("a.log".to_string(), "DATABASE_TIMEOUT".to_string()),
        expect(
            "error",
            2,
            char_column(a_lines[1], "DATABASE_TIMEOUT"),
            "DATABASE_TIMEOUT",
            3,
            2,
        ),
    );
    expected.insert(
        ("a.log".to_string(), "FUNCTIONS_EXECUTE_FAIL".to_string()),
        expect(
            "notice",
            3,
            char_column(a_lines[2], "FUNCTIONS_EXECUTE_FAIL"),
            "FUNCTIONS_EXECUTE_FAIL",
            1,
            1,
        ),
    );
    expected.insert(
        ("a.log".to_string(), "STORAGE_FILE_NONEXIST".to_string()),
        expect(
            "warning",
            5,
            char_column(a_lines[4], "STORAGE_FILE_NONEXIST"),
            "STORAGE_FILE_NONEXIST",
            1,
            1,
        ),
    );
    expected.insert(
        ("sub/b.log".to_string(), "DATABASE_TIMEOUT".to_string()),
        expect("error", 3, 5, "DATABASE_TIMEOUT", 1, 1),
    );
    assert_eq!(got, expected);
    // The meaning follows the counts; errors come first.
    let first = &commands[0];
    assert_eq!(first.name, "error");
    assert!(
        first
            .data
            .ends_with(": 数据库请求超时 · Database request timed out"),
        "{:?}",
        first.data
    );

    // Levels follow --fail-on: nothing is an error with `none`, nor below a threshold.
    for policy in ["none", "DATABASE_TIMEOUT>3"] {
        let (_, stdout) = run(&[
            "scan",
            d,
            "--format",
            "github",
            "--base-dir",
            d,
            "--fail-on",
            policy,
        ]);
        let levels: BTreeMap<String, String> = read_commands(&stdout)
            .into_iter()
            .map(|c| {
                (
                    format!("{}:{}", c.prop("file").unwrap(), message(&c.data).code),
                    c.name,
                )
            })
            .collect();
        assert_eq!(levels["a.log:DATABASE_TIMEOUT"], "warning", "{policy}");
        assert_eq!(levels["sub/b.log:DATABASE_TIMEOUT"], "warning", "{policy}");
        assert_eq!(levels["a.log:FUNCTIONS_EXECUTE_FAIL"], "notice", "{policy}");
    }
    // `generic` makes the generic code the error.
    let (_, stdout) = run(&["scan", d, "--format", "github", "--fail-on", "generic"]);
    let errors: Vec<String> = read_commands(&stdout)
        .into_iter()
        .filter(|c| c.name == "error")
        .map(|c| message(&c.data).code)
        .collect();
    assert_eq!(errors, ["FUNCTIONS_EXECUTE_FAIL"]);
}

#[test]
fn standard_input_has_no_file_and_says_where_in_the_message() {
    let output = cbscan()
        .args(["scan", "--format", "github", "--fail-on", "none"])
        .write_stdin("one\ntwo DATABASE_TIMEOUT\n")
        .output()
        .unwrap();
    let commands = read_commands(&output.stdout);
    assert_eq!(commands.len(), 1);
    let c = &commands[0];
    assert_eq!(c.name, "warning");
    assert_eq!(c.prop("file"), None);
    assert_eq!(c.prop("line"), None);
    assert!(
        c.data.contains(" of <stdin>, first at line 2: "),
        "{:?}",
        c.data
    );
    assert_eq!(
        message(&c.data),
        Message {
            code: "DATABASE_TIMEOUT".into(),
            hits: 1,
            lines: 1,
            first: Some(2)
        }
    );
}

#[test]
fn a_code_new_to_the_baseline_is_marked_in_the_title() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "FUNCTIONS_EXECUTE_FAIL\nDATABASE_TIMEOUT\n").unwrap();
    let baseline = dir.path().join("base.json");
    let (_, json) = run(&["scan", path_str(&log), "--format", "json"]);
    fs::write(&baseline, json).unwrap();
    fs::write(
        &log,
        "FUNCTIONS_EXECUTE_FAIL\nDATABASE_TIMEOUT\nDATABASE_TIMEOUT\nSTORAGE_FILE_NONEXIST\n",
    )
    .unwrap();
    let (code, stdout) = run(&[
        "scan",
        path_str(&log),
        "--format",
        "github",
        "--baseline",
        path_str(&baseline),
    ]);
    assert_eq!(code, 1);
    let titles: BTreeMap<String, (String, String)> = read_commands(&stdout)
        .into_iter()
        .map(|c| {
            (
                message(&c.data).code,
                (c.name.clone(), c.prop("title").unwrap().to_string()),
            )
        })
        .collect();
    assert_eq!(
        titles["STORAGE_FILE_NONEXIST"],
        ("error".into(), "STORAGE_FILE_NONEXIST (new)".into())
    );
    assert_eq!(
        titles["DATABASE_TIMEOUT"],
        ("error".into(), "DATABASE_TIMEOUT (grew from 1 line)".into())
    );
    assert_eq!(
        titles["FUNCTIONS_EXECUTE_FAIL"],
        ("notice".into(), "FUNCTIONS_EXECUTE_FAIL".into())
    );
}

/// 30 files × 3 codes: an error code (file i has i + 1 hits of it), a warning code and a
/// generic one. GitHub keeps 10 of each level per step; the rest must not be written, and one
/// notice must say how many were left out.
#[test]
fn never_past_githubs_limits_and_says_what_was_left_out() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..30 {
        let mut text = String::new();
        for _ in 0..=i {
            text.push_str("x DATABASE_TIMEOUT\n");
        }
        text.push_str("y STORAGE_FILE_NONEXIST\nz FUNCTIONS_EXECUTE_FAIL\n");
        fs::write(dir.path().join(format!("f{i:02}.log")), text).unwrap();
    }
    let d = path_str(dir.path());
    let (_, stdout) = run(&[
        "scan",
        d,
        "--format",
        "github",
        "--base-dir",
        d,
        "--fail-on",
        "DATABASE_TIMEOUT",
    ]);
    let commands = read_commands(&stdout);
    let count = |name: &str| commands.iter().filter(|c| c.name == name).count();
    assert_eq!(count("error"), 10);
    assert_eq!(count("warning"), 10);
    assert_eq!(
        count("notice"),
        10,
        "9 generic codes and the left-out notice"
    );
    assert!(commands.len() <= 50, "at most 50 per job");
    // Most hits first: the ten errors are the files with the most hits, in that order.
    let error_files: Vec<&str> = commands
        .iter()
        .filter(|c| c.name == "error")
        .map(|c| c.prop("file").unwrap())
        .collect();
    let expected: Vec<String> = (20..30).rev().map(|i| format!("f{i:02}.log")).collect();
    assert_eq!(error_files, expected);
    // Equal hits: first seen first.
    let warning_files: Vec<&str> = commands
        .iter()
        .filter(|c| c.name == "warning")
        .map(|c| c.prop("file").unwrap())
        .collect();
    let expected: Vec<String> = (0..10).map(|i| format!("f{i:02}.log")).collect();
    assert_eq!(warning_files, expected);
    // The last line says what was left out.
    let last = commands.last().unwrap();
    assert_eq!(last.name, "notice");
    assert_eq!(last.prop("file"), None);
    assert!(
        last.data
            .starts_with("cbscan left out 61 annotations (20 errors, 20 warnings, 21 notices)"),
        "{:?}",
        last.data
    );
    assert!(last.data.contains("--format markdown") && last.data.contains("--format sarif"));
    // Exactly as many as GitHub keeps: no left-out notice.
    let few = tempfile::tempdir().unwrap();
    for i in 0..10 {
        fs::write(few.path().join(format!("g{i}.log")), "DATABASE_TIMEOUT\n").unwrap();
    }
    let (_, stdout) = run(&["scan", path_str(few.path()), "--format", "github"]);
    let commands = read_commands(&stdout);
    assert_eq!(commands.len(), 10);
    assert!(commands.iter().all(|c| c.name == "error"));
}

#[test]
fn unreadable_inputs_are_errors_that_count_toward_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("real.log"), "DATABASE_TIMEOUT\n").unwrap();
    let d = path_str(dir.path());
    let mut args: Vec<String> = ["scan", "--format", "github", "--base-dir", d]
        .map(String::from)
        .to_vec();
    args.push(format!("{d}/real.log"));
    for i in 0..12 {
        args.push(format!("{d}/missing{i:02}.log"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout) = run(&args);
    assert_eq!(code, 2, "unreadable inputs make the result incomplete");
    let commands = read_commands(&stdout);
    let errors: Vec<&Command> = commands.iter().filter(|c| c.name == "error").collect();
    assert_eq!(errors.len(), 10);
    // First the unreadable inputs, named as given (a path that was never opened is no file
    // GitHub could point at).
    for (i, e) in errors.iter().enumerate() {
        assert_eq!(e.prop("file"), None);
        assert_eq!(e.prop("title"), Some("cbscan: input not read"));
        let start = format!("{d}/missing{i:02}.log could not be read to its end");
        assert!(e.data.starts_with(&start), "{:?}", e.data);
    }
    let last = commands.last().unwrap();
    assert_eq!(last.name, "notice");
    assert!(
        last.data
            .starts_with("cbscan left out 3 annotations (3 errors)"),
        "{:?}",
        last.data
    );
}

/// Log lines that hold workflow commands, and file names that do, produce nothing but
/// cbscan's own annotations, and every value reads back exactly.
#[test]
fn hostile_log_lines_and_file_names_make_no_command_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let hostile_lines = [
        "::add-mask::xmask DATABASE_TIMEOUT",
        "::set-env name=A::Bvalue DATABASE_TIMEOUT",
        "%0A::error::xnewline DATABASE_TIMEOUT",
        "::stop-commands::tstop DATABASE_TIMEOUT",
        "a\rb DATABASE_TIMEOUT \r::error::crforge",
        "##[error]xold DATABASE_TIMEOUT",
        "  ::warning file=x,line=1::forged DATABASE_TIMEOUT",
    ];
    let mut names = vec![
        "a::b.log".to_string(),
        "c,d=e.log".to_string(),
        "50%25 %0A %.log".to_string(),
        "##[error]g.log".to_string(),
        "h##\u{fe0f}[i].log".to_string(),
        "::error::j.log".to_string(),
        " lead space.log".to_string(),
    ];
    if cfg!(unix) {
        names.push("k\nl\r.log".to_string());
    }
    for name in &names {
        fs::write(dir.path().join(name), hostile_lines.join("\n")).unwrap();
    }
    let d = path_str(dir.path());
    let (code, stdout) = run(&["scan", d, "--format", "github", "--base-dir", d]);
    assert_eq!(code, 1);
    let text = String::from_utf8(stdout.clone()).unwrap();
    for log_text in [
        "xmask", "Bvalue", "xnewline", "tstop", "crforge", "xold", "forged", "set-env",
    ] {
        assert!(
            !text.contains(log_text),
            "log text {log_text:?} in {text:?}"
        );
    }
    let commands = read_commands(&stdout);
    assert_eq!(commands.len(), names.len(), "one annotation per file");
    // What each name must read back as: the same, with `##[` shown as `##［`.
    let expected: BTreeSet<String> = names
        .iter()
        .map(|n| {
            n.replace("##[", "##\u{ff3b}")
                .replace("##\u{fe0f}[", "##\u{fe0f}\u{ff3b}")
        })
        .collect();
    let files: BTreeSet<String> = commands
        .iter()
        .map(|c| c.prop("file").expect("file").to_string())
        .collect();
    assert_eq!(files, expected);
    for c in &commands {
        assert_eq!(c.name, "error");
        assert_eq!(c.prop("title"), Some("DATABASE_TIMEOUT"));
        assert_eq!(c.prop("line"), Some("1"));
        let col = char_column(hostile_lines[0], "DATABASE_TIMEOUT").to_string();
        assert_eq!(c.prop("col"), Some(col.as_str()));
        assert_eq!(
            message(&c.data),
            Message {
                code: "DATABASE_TIMEOUT".into(),
                hits: 7,
                lines: 7,
                first: Some(1)
            }
        );
        assert!(c
            .data
            .ends_with(": 数据库请求超时 · Database request timed out"));
    }
}

/// Catalog text is the only free text in an annotation: a hostile catalog can neither add a
/// command nor break the one it is in.
#[test]
fn hostile_catalog_text_stays_inside_its_annotation() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("evil.toml");
    fs::write(
        &catalog,
        r#"
[[category]]
id = "evil,cat:x"
zh = "坏"
en = "Evil"

[[code]]
code = "EVIL::CODE,x=1%0A##[y"
category = "evil,cat:x"
zh = "第一行\n::add-mask::secret\r\n##[group]x"
en = "50% done%0A::error::forged"
"#,
    )
    .unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, "at EVIL::CODE,x=1%0A##[y here\n").unwrap();
    let (code, stdout) = run(&[
        "scan",
        "--catalog",
        path_str(&catalog),
        path_str(&log),
        "--format",
        "github",
    ]);
    assert_eq!(code, 1);
    let commands = read_commands(&stdout);
    assert_eq!(commands.len(), 1);
    let c = &commands[0];
    assert_eq!(c.name, "error");
    assert_eq!(c.prop("title"), Some("EVIL::CODE,x=1%0A##\u{ff3b}y"));
    assert_eq!(c.prop("line"), Some("1"));
    assert_eq!(c.prop("col"), Some("4"));
    assert_eq!(
        c.data,
        "EVIL::CODE,x=1%0A##\u{ff3b}y ×1 on 1 line, first at line 1: \
         第一行\n::add-mask::secret\r\n##\u{ff3b}group]x · 50% done%0A::error::forged"
    );
}
