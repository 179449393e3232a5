//! Gating a CI job: `--fail-on` thresholds (`CODE>N`, `category>N`, `any>N`) and `--baseline`
//! (fail only on what an earlier scan did not have), checked through the exit status and the
//! JSON summary's `levels`, `fails` and `baseline`, read by a JSON parser.

mod support;

use std::fs;
use std::path::Path;

use serde_json::Value;
use support::{cbscan, records, summary};
use tempfile::TempDir;

/// A log with `DATABASE_TIMEOUT` on 3 lines (4 hits), `STORAGE_FILE_NONEXIST` on 2 lines and the
/// generic `FUNCTIONS_EXECUTE_FAIL` on 1 line.
const LOG: &str = "\
2026-11-30 10:00:01 ERROR query orders: DATABASE_TIMEOUT after 3000 ms
2026-11-30 10:00:02 ERROR query users: DATABASE_TIMEOUT, retry DATABASE_TIMEOUT
2026-11-30 10:00:03 INFO all good
2026-11-30 10:00:04 ERROR download avatar.png: STORAGE_FILE_NONEXIST
2026-11-30 10:00:05 ERROR query orders: DATABASE_TIMEOUT after 3000 ms
2026-11-30 10:00:06 ERROR download cover.png: STORAGE_FILE_NONEXIST
2026-11-30 10:00:07 ERROR callFunction: FUNCTIONS_EXECUTE_FAIL
";

fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Exit status and the JSON-lines summary of scanning `path` with `args`.
fn gate(path: &str, args: &[&str]) -> (i32, Value) {
    let out = cbscan()
        .arg("scan")
        .arg(path)
        .args(["--format", "jsonl"])
        .args(args)
        .output()
        .unwrap();
    let status = out.status.code().unwrap();
    assert!(status != 2, "{}", String::from_utf8_lossy(&out.stderr));
    let recs = records(&out.stdout);
    (status, summary(&recs).clone())
}

#[test]
fn a_code_threshold_counts_lines_with_hits() {
    let dir = TempDir::new().unwrap();
    let log = write(&dir, "app.log", LOG);
    // 3 lines (4 hits): past 2, not past 3.
    let (status, sum) = gate(&log, &["--fail-on", "DATABASE_TIMEOUT>2"]);
    assert_eq!(status, 1);
    assert_eq!(sum["levels"]["DATABASE_TIMEOUT"], "error");
    assert_eq!(sum["fails"], true);
    let (status, sum) = gate(&log, &["--fail-on", "DATABASE_TIMEOUT>3"]);
    assert_eq!(status, 0);
    assert_eq!(sum["levels"]["DATABASE_TIMEOUT"], "warning");
    assert_eq!(sum["levels"]["FUNCTIONS_EXECUTE_FAIL"], "note");
    assert_eq!(sum["fails"], false);
    // Spaces around `>` are fine (a quoted shell word).
    let (status, _) = gate(&log, &["--fail-on", "DATABASE_TIMEOUT > 2"]);
    assert_eq!(status, 1);
}

#[test]
fn group_thresholds_count_the_lines_of_their_codes() {
    let dir = TempDir::new().unwrap();
    let log = write(&dir, "app.log", LOG);
    // 6 lines with hits in all.
    assert_eq!(gate(&log, &["--fail-on", "any>5"]).0, 1);
    assert_eq!(gate(&log, &["--fail-on", "any>6"]).0, 0);
    // database: 3 lines; storage: 2.
    assert_eq!(gate(&log, &["--fail-on", "database>2"]).0, 1);
    assert_eq!(gate(&log, &["--fail-on", "database>3"]).0, 0);
    // specific: 5 lines; generic: 1.
    assert_eq!(gate(&log, &["--fail-on", "specific>4"]).0, 1);
    assert_eq!(gate(&log, &["--fail-on", "specific>5"]).0, 0);
    assert_eq!(gate(&log, &["--fail-on", "generic>0"]).0, 1);
    assert_eq!(gate(&log, &["--fail-on", "generic>1"]).0, 0);
    // Rules add up: one passing, one failing.
    let (status, sum) = gate(
        &log,
        &[
            "--fail-on",
            "database>3",
            "--fail-on",
            "STORAGE_FILE_NONEXIST",
        ],
    );
    assert_eq!(status, 1);
    assert_eq!(sum["levels"]["STORAGE_FILE_NONEXIST"], "error");
    assert_eq!(sum["levels"]["DATABASE_TIMEOUT"], "warning");
}

#[test]
fn bad_thresholds_are_usage_errors_that_say_what_to_write() {
    let dir = TempDir::new().unwrap();
    let log = write(&dir, "app.log", LOG);
    for (value, says) in [
        ("DATABASE_TIMEOUT>=5", "DATABASE_TIMEOUT>4"),
        ("DATABASE_TIMEOUT>five", "not a whole number"),
        ("none>1", "takes no threshold"),
        (">5", "say what the threshold is for"),
        ("DATABASE_TIMEOTU>5", "did you mean DATABASE_TIMEOUT"),
    ] {
        let out = cbscan()
            .args(["scan", &log, "--fail-on", value])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{value}: {err}");
        assert!(out.stdout.is_empty(), "{value}: nothing scanned");
    }
}

/// Writes the baseline of `log` in `format` (json or jsonl) and returns its path.
fn baseline_of(dir: &TempDir, log: &str, format: &str, extra: &[&str]) -> String {
    let path = dir.path().join(format!("baseline.{format}"));
    let out = cbscan()
        .args(["scan", log, "--fail-on", "none", "--format", format])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    fs::write(&path, &out.stdout).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn a_baseline_fails_only_on_new_codes_and_codes_on_more_lines() {
    let dir = TempDir::new().unwrap();
    let old = write(&dir, "old.log", LOG);
    for format in ["json", "jsonl"] {
        let baseline = baseline_of(&dir, &old, format, &[]);
        // The same log again: nothing new.
        let (status, sum) = gate(&old, &["--baseline", &baseline]);
        assert_eq!(status, 0, "{format}");
        assert!(sum["baseline"]
            .as_object()
            .unwrap()
            .values()
            .all(|v| v == "known"));
        assert_eq!(sum["levels"]["DATABASE_TIMEOUT"], "warning");

        // Fewer lines of a known code, and a new code.
        let fewer = LOG.replace("DATABASE_TIMEOUT after", "slow query after");
        let new = write(&dir, "new.log", &format!("{fewer}x AUTH_LOGIN_FAILED\n"));
        let (status, sum) = gate(&new, &["--baseline", &baseline]);
        assert_eq!(status, 1, "{format}");
        assert_eq!(sum["baseline"]["AUTH_LOGIN_FAILED"], "new");
        assert_eq!(sum["baseline"]["DATABASE_TIMEOUT"], "known");
        assert_eq!(sum["levels"]["AUTH_LOGIN_FAILED"], "error");
        assert_eq!(sum["levels"]["DATABASE_TIMEOUT"], "warning");

        // One more line of a known code.
        let grown = write(
            &dir,
            "grown.log",
            &format!("{LOG}y STORAGE_FILE_NONEXIST again\n"),
        );
        let (status, sum) = gate(&grown, &["--baseline", &baseline]);
        assert_eq!(status, 1, "{format}");
        assert_eq!(sum["baseline"]["STORAGE_FILE_NONEXIST"], "grew");
        assert_eq!(sum["levels"]["STORAGE_FILE_NONEXIST"], "error");
        assert_eq!(sum["levels"]["DATABASE_TIMEOUT"], "warning");

        // The baseline and --fail-on together: only what both let fail.
        let (status, _) = gate(&grown, &["--baseline", &baseline, "--fail-on", "database"]);
        assert_eq!(status, 0, "{format}: the grown code is not a database code");
    }
}

#[test]
fn a_baseline_without_a_summary_record_adds_up_its_inputs() {
    let dir = TempDir::new().unwrap();
    let old = write(&dir, "old.log", LOG);
    let baseline = baseline_of(&dir, &old, "jsonl", &["--no-summary"]);
    assert_eq!(gate(&old, &["--baseline", &baseline]).0, 0);
    let grown = write(&dir, "grown.log", &format!("{LOG}DATABASE_TIMEOUT\n"));
    assert_eq!(gate(&grown, &["--baseline", &baseline]).0, 1);
}

#[test]
fn the_human_summary_names_what_is_new() {
    let dir = TempDir::new().unwrap();
    let old = write(&dir, "old.log", LOG);
    let baseline = baseline_of(&dir, &old, "json", &[]);
    let new = write(
        &dir,
        "new.log",
        &format!("{LOG}x AUTH_LOGIN_FAILED\ny STORAGE_FILE_NONEXIST\n"),
    );
    let out = cbscan()
        .args(["scan", &new, "--baseline", &baseline, "-s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let at = text
        .find("Against the baseline")
        .expect("a baseline section");
    let section = &text[at..];
    assert!(section.contains("new   AUTH_LOGIN_FAILED"), "{section}");
    assert!(
        section.contains("grew  STORAGE_FILE_NONEXIST (2 → 3 lines)"),
        "{section}"
    );
    assert!(!section.contains("DATABASE_TIMEOUT"), "{section}");
    // The last line says why the exit status is 1.
    assert_eq!(
        text.lines().last(),
        Some(
            "fails --fail-on any, beyond the baseline: STORAGE_FILE_NONEXIST (3 lines, 1 more \
             than the baseline), AUTH_LOGIN_FAILED (1 line, new)"
        ),
        "{text}"
    );
}

#[test]
fn the_human_summary_says_whether_the_gate_passed_and_why() {
    let dir = TempDir::new().unwrap();
    let log = write(&dir, "app.log", LOG);
    let last_line = |args: &[&str]| {
        let out = cbscan()
            .args(["scan", &log, "-s"])
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        (
            out.status.code(),
            text.lines().last().unwrap_or("").to_string(),
        )
    };
    assert_eq!(
        last_line(&["--fail-on", "DATABASE_TIMEOUT>2", "--fail-on", "auth"]),
        (
            Some(1),
            "fails --fail-on DATABASE_TIMEOUT>2, auth: DATABASE_TIMEOUT (3 lines)".to_string()
        )
    );
    assert_eq!(
        last_line(&["--fail-on", "DATABASE_TIMEOUT>3"]),
        (
            Some(0),
            "passes --fail-on DATABASE_TIMEOUT>3: no code fails it".to_string()
        )
    );
    assert_eq!(
        last_line(&["--fail-on", "none"]),
        (
            Some(0),
            "passes --fail-on none: no code fails it".to_string()
        )
    );
}

#[test]
fn with_a_baseline_a_threshold_counts_the_lines_beyond_it() {
    let dir = TempDir::new().unwrap();
    let old = write(&dir, "old.log", LOG);
    let baseline = baseline_of(&dir, &old, "json", &[]);
    // DATABASE_TIMEOUT: 3 lines in the baseline, 5 now: 2 beyond it.
    let grown = write(
        &dir,
        "grown.log",
        &format!("{LOG}DATABASE_TIMEOUT\nDATABASE_TIMEOUT\n"),
    );
    let with =
        |log: &str, rule: &str| gate(log, &["--baseline", baseline.as_str(), "--fail-on", rule]).0;
    assert_eq!(with(&grown, "DATABASE_TIMEOUT>1"), 1);
    assert_eq!(with(&grown, "DATABASE_TIMEOUT>2"), 0);
    assert_eq!(with(&grown, "any>1"), 1);
    assert_eq!(with(&grown, "any>2"), 0);
    // A new code counts all its lines.
    let new = write(
        &dir,
        "new.log",
        &format!("{LOG}AUTH_LOGIN_FAILED\nAUTH_LOGIN_FAILED\n"),
    );
    assert_eq!(with(&new, "auth>1"), 1);
    assert_eq!(with(&new, "auth>2"), 0);
}

#[test]
fn a_baseline_in_a_scanned_folder_is_not_scanned() {
    let dir = TempDir::new().unwrap();
    write(&dir, "app.log", LOG);
    let folder = dir.path().to_string_lossy().into_owned();
    let out = cbscan()
        .args(["scan", &folder, "--fail-on", "none", "--format", "json"])
        .output()
        .unwrap();
    let baseline = write(
        &dir,
        "cbscan-baseline.json",
        &String::from_utf8(out.stdout).unwrap(),
    );
    // The README's workflow: the same folder, the baseline inside it: nothing new.
    let (status, sum) = gate(&folder, &["--baseline", &baseline]);
    assert_eq!(status, 0, "{sum}");
    assert_eq!(sum["files"], 1);
}

#[test]
fn a_bad_baseline_is_an_error_naming_the_file_and_line() {
    let dir = TempDir::new().unwrap();
    let log = write(&dir, "app.log", LOG);
    let cases = [
        (
            "corrupt.jsonl",
            "{\"type\":\"begin\",\"schema\":2,\"path\":{\"text\":\"a\"}}\nnot json\n",
            "line 2",
        ),
        ("garbage.json", "hello", "not the JSON or JSON-lines output"),
        (
            "newer.json",
            "{\"schema\":99,\"hits\":[],\"summary\":{}}",
            "schema 99",
        ),
        (
            "nosummary.json",
            "{\"schema\":2,\"hits\":[],\"inputs\":[]}",
            "no summary",
        ),
    ];
    for (name, text, says) in cases {
        let baseline = write(&dir, name, text);
        let out = cbscan()
            .args(["scan", &log, "--baseline", &baseline])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name) && err.contains(says), "{name}: {err}");
    }
    let missing = Path::new(&log).with_file_name("missing.json");
    let out = cbscan()
        .args(["scan", &log, "--baseline"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
}

#[test]
fn a_rule_the_filters_make_unreachable_is_warned_about() {
    let dir = TempDir::new().unwrap();
    let log = write(&dir, "app.log", LOG);
    let out = cbscan()
        .args([
            "scan",
            &log,
            "-s",
            "--exclude-code",
            "FUNCTIONS_EXECUTE_FAIL",
        ])
        .args([
            "--fail-on",
            "FUNCTIONS_EXECUTE_FAIL",
            "--fail-on",
            "storage",
        ])
        .output()
        .unwrap();
    // The storage rule still fails the scan; the other one never could.
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: --fail-on FUNCTIONS_EXECUTE_FAIL: --code, --category or --exclude-code leave out every code it covers"),
        "{err}"
    );
    assert!(!err.contains("--fail-on storage"), "{err}");
}
