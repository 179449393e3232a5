//! GitLab Code Quality output (`--format gitlab`), read back as its consumer reads it: one
//! JSON array of issues with the fields GitLab requires (`description`, `check_name`,
//! `fingerprint`, `severity`, `location.path`, `location.lines.begin`), of the right types and
//! values. Expected hits come from the reference matcher and logs written here.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use serde_json::Value;
use support::*;

/// GitLab's severities.
const SEVERITIES: [&str; 5] = ["info", "minor", "major", "critical", "blocker"];

/// Runs `cbscan scan ARGS --format gitlab`; returns the issues (checked field by field) and
/// the exit code.
fn gitlab(args: &[&str]) -> (Vec<Value>, i32) {
    let output = cbscan()
        .arg("scan")
        .args(args)
        .args(["--format", "gitlab"])
        .output()
        .expect("cbscan runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "cbscan panicked: {stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let issues = report.as_array().expect("a JSON array").clone();
    for issue in &issues {
        assert_issue(issue);
    }
    (issues, output.status.code().expect("exit code"))
}

/// The fields GitLab reads, with their types.
#[track_caller]
fn assert_issue(issue: &Value) {
    let text = |key: &str| {
        issue[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is a string: {issue}"))
    };
    assert!(!text("description").is_empty());
    assert!(!text("check_name").is_empty());
    let fingerprint = text("fingerprint");
    assert!(
        fingerprint.len() == 16 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()),
        "{fingerprint}"
    );
    assert!(SEVERITIES.contains(&text("severity")), "{issue}");
    assert_eq!(issue["type"], "issue");
    let path = issue["location"]["path"].as_str().expect("location.path");
    assert!(
        !path.is_empty() && !path.starts_with('/'),
        "relative: {path}"
    );
    let begin = issue["location"]["lines"]["begin"]
        .as_u64()
        .expect("lines.begin is a number");
    assert!(begin >= 1);
    assert!(issue["categories"]
        .as_array()
        .is_some_and(|c| c.iter().all(Value::is_string)));
}

fn fingerprints(issues: &[Value]) -> Vec<String> {
    issues
        .iter()
        .map(|i| i["fingerprint"].as_str().expect("fingerprint").to_string())
        .collect()
}

#[test]
fn fixtures_give_one_issue_per_hit() {
    let files = [
        "fixtures/cloudfunction-runtime.log",
        "fixtures/miniprogram-client.log",
        "fixtures/ci-spinner.log",
    ];
    let (issues, code) = gitlab(&files);
    assert_eq!(code, 1);
    let mut expected: Vec<(String, u64, String)> = Vec::new();
    for path in files {
        for hit in Reference::builtin().find(&read(path)) {
            expected.push((path.to_string(), hit.line, hit.code));
        }
    }
    let mut got: Vec<(String, u64, String)> = issues
        .iter()
        .map(|i| {
            (
                i["location"]["path"].as_str().expect("path").to_string(),
                i["location"]["lines"]["begin"].as_u64().expect("begin"),
                i["check_name"].as_str().expect("check_name").to_string(),
            )
        })
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    for issue in &issues {
        let code = issue["check_name"].as_str().expect("check_name");
        let description = issue["description"].as_str().expect("description");
        assert!(
            description.starts_with(&format!("{code}: ")),
            "{description}"
        );
        assert!(description.contains(" · "), "zh · en: {description}");
        assert_eq!(
            issue["severity"], "major",
            "--fail-on any: every code fails"
        );
    }
    let prints = fingerprints(&issues);
    let unique: BTreeSet<&String> = prints.iter().collect();
    assert_eq!(unique.len(), prints.len(), "fingerprints are unique");
    let (again, _) = gitlab(&files);
    assert_eq!(fingerprints(&again), prints, "and stable across runs");
}

#[test]
fn severity_follows_the_level() {
    let (issues, code) = gitlab(&["fixtures", "--fail-on", "DATABASE_TIMEOUT"]);
    assert_eq!(code, 1);
    let generic: BTreeSet<&str> = GENERIC.into_iter().collect();
    let mut by_code: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for issue in &issues {
        by_code
            .entry(issue["check_name"].as_str().expect("check_name"))
            .or_default()
            .insert(issue["severity"].as_str().expect("severity"));
    }
    for (code, severities) in &by_code {
        let expected = if *code == "DATABASE_TIMEOUT" {
            "major"
        } else if generic.contains(code) {
            "info"
        } else {
            "minor"
        };
        assert_eq!(severities, &BTreeSet::from([expected]), "{code}");
    }
    assert!(by_code.len() > 3);
    let order: Vec<u8> = issues
        .iter()
        .map(|i| match i["severity"].as_str() {
            Some("major") => 0,
            Some("minor") => 1,
            _ => 2,
        })
        .collect();
    assert!(order.is_sorted(), "the most severe first");
}

#[test]
fn no_hits_is_an_empty_array() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_log(dir.path(), "clean.log", b"all good\n");
    let (issues, code) = gitlab(&[&path]);
    assert!(issues.is_empty());
    assert_eq!(code, 0);
}

#[test]
fn hostile_names_and_lines_stay_valid_and_relative() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = "a b#c?d%e 日志ü\u{202e}.log";
    let mut text = b"\x1b[2J DATABASE_TIMEOUT \"q\" \\ </script> \xff\xfe\n".to_vec();
    text.extend_from_slice("\u{2066}SYS_ERR\u{2028}::add-mask::x\r\n".as_bytes());
    write_log(dir.path(), name, &text);
    let base = dir.path().to_str().expect("UTF-8");
    let output = cbscan()
        .args(["scan", base, "--base-dir", base, "--format", "gitlab"])
        .output()
        .expect("cbscan runs");
    let shown = String::from_utf8(output.stdout.clone()).expect("UTF-8");
    assert!(
        !shown
            .chars()
            .any(|c| (c.is_control() && c != '\n')
                || matches!(c, '\u{202e}' | '\u{2066}' | '\u{2028}')),
        "raw control or bidi character in the output"
    );
    let issues: Vec<Value> = serde_json::from_slice(&output.stdout).expect("a JSON array");
    assert_eq!(issues.len(), 2);
    for issue in &issues {
        assert_issue(issue);
        assert_eq!(issue["location"]["path"], name, "plain text, not a URI");
    }
}

#[test]
fn fingerprints_ignore_lines_added_above() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = read("fixtures/cloudfunction-runtime.log");
    let path = write_log(dir.path(), "app.log", &log);
    let base = dir.path().to_str().expect("UTF-8");
    let (before, _) = gitlab(&[&path, "--base-dir", base]);
    let mut shifted = b"one\ntwo\nthree\n".to_vec();
    shifted.extend_from_slice(&log);
    fs::write(&path, shifted).expect("rewriting the log");
    let (after, _) = gitlab(&[&path, "--base-dir", base]);
    assert_eq!(fingerprints(&after), fingerprints(&before));
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(a["location"]["path"], "app.log");
        assert_eq!(
            a["location"]["lines"]["begin"].as_u64(),
            b["location"]["lines"]["begin"].as_u64().map(|l| l + 3)
        );
    }
}

#[test]
fn an_unreadable_input_is_an_issue_of_its_own() {
    let dir = tempfile::TempDir::new().unwrap();
    let good = write_log(dir.path(), "good.log", b"DATABASE_TIMEOUT\n");
    let gone = dir.path().join("gone.log");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &gone).unwrap();
    let base = dir.path().to_str().unwrap();
    let (issues, status) = gitlab(&[&good, gone.to_str().unwrap(), "--base-dir", base]);
    assert_eq!(status, 2);
    let names: Vec<(&str, &str)> = issues
        .iter()
        .map(|i| {
            (
                i["check_name"].as_str().unwrap(),
                i["location"]["path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("cbscan/input-not-read", "gone.log"),
            ("DATABASE_TIMEOUT", "good.log")
        ]
    );
    assert_eq!(issues[0]["severity"], "major");
    assert!(issues[0]["description"]
        .as_str()
        .unwrap()
        .contains("could not be read"));
}
