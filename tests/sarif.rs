//! SARIF output (`--format sarif`, `--report sarif=FILE`), checked by its consumers: every log
//! is validated against the official SARIF 2.1.0 JSON schema (`tests/data`, OASIS errata 01)
//! with the `jsonschema` crate, then read with serde_json. Expected values come from the
//! reference catalog and matcher of `tests/support`, from the fixtures, and from logs written
//! here — never from cbscan's own SARIF.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::sync::OnceLock;

use serde_json::Value;
use support::*;

// ---------------------------------------------------------------------------------------------
// Running and validating
// ---------------------------------------------------------------------------------------------

/// The schema validators: the schema as it declares itself (draft 4), and once more as draft 7,
/// because the draft-4 rules know no `uri-reference` format and so would not check the
/// relative URIs at all.
fn validators() -> &'static [jsonschema::Validator; 2] {
    static VALIDATORS: OnceLock<[jsonschema::Validator; 2]> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        let schema: Value = serde_json::from_slice(&read("tests/data/sarif-schema-2.1.0.json"))
            .expect("the schema is JSON");
        let build = |draft: Option<jsonschema::Draft>| {
            let mut options = jsonschema::options().should_validate_formats(true);
            if let Some(draft) = draft {
                options = options.with_draft(draft);
            }
            options.build(&schema).expect("the schema compiles")
        };
        [build(None), build(Some(jsonschema::Draft::Draft7))]
    })
}

/// Fails with every schema error of `log`.
#[track_caller]
fn assert_schema_valid(log: &Value) {
    for validator in validators() {
        let errors: Vec<String> = validator
            .iter_errors(log)
            .take(20)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
    }
}

/// Runs `cbscan scan ARGS --format sarif` from the package root; returns the validated log
/// and the exit code.
fn sarif(args: &[&str]) -> (Value, i32) {
    sarif_with_stdin(args, None)
}

fn sarif_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> (Value, i32) {
    let mut cmd = cbscan();
    cmd.arg("scan").args(args).args(["--format", "sarif"]);
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_vec());
    }
    let output = cmd.output().expect("cbscan runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "cbscan panicked: {stderr}");
    let log: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert_schema_valid(&log);
    (log, output.status.code().expect("exit code"))
}

/// The one run.
fn run(log: &Value) -> &Value {
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "one run");
    &runs[0]
}

fn results(log: &Value) -> &Vec<Value> {
    run(log)["results"].as_array().expect("results")
}

fn rules(log: &Value) -> &Vec<Value> {
    run(log)["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
}

/// The rule a result points at, checking that `ruleIndex` and `ruleId` agree.
fn rule_of<'a>(log: &'a Value, result: &Value) -> &'a Value {
    let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
    let rule = &rules(log)[index];
    assert_eq!(rule["id"], result["ruleId"], "ruleIndex points at its rule");
    rule
}

/// A result's (uri, startLine, startColumn, endColumn).
fn place(result: &Value) -> (String, u64, Option<u64>, Option<u64>) {
    let physical = &result["locations"][0]["physicalLocation"];
    let region = &physical["region"];
    (
        physical["artifactLocation"]["uri"]
            .as_str()
            .expect("uri")
            .to_string(),
        region["startLine"].as_u64().expect("startLine"),
        region["startColumn"].as_u64(),
        region["endColumn"].as_u64(),
    )
}

fn fingerprint(result: &Value) -> String {
    result["partialFingerprints"]["cbscanLineHash/v1"]
        .as_str()
        .expect("partial fingerprint")
        .to_string()
}

/// Level of each code's results (all of a code's results must share it).
fn levels_by_code(log: &Value) -> BTreeMap<String, String> {
    let mut levels = BTreeMap::new();
    for result in results(log) {
        let code = result["ruleId"].as_str().expect("ruleId").to_string();
        let level = result["level"].as_str().expect("level").to_string();
        let rule_level = &rule_of(log, result)["defaultConfiguration"]["level"];
        assert_eq!(rule_level, &Value::from(level.as_str()), "{code}");
        if let Some(before) = levels.insert(code.clone(), level.clone()) {
            assert_eq!(before, level, "one level per code: {code}");
        }
    }
    levels
}

fn rank(level: &str) -> u8 {
    match level {
        "error" => 0,
        "warning" => 1,
        "note" => 2,
        other => panic!("unexpected level {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn realistic_scan_is_valid_with_one_rule_per_code_seen() {
    let (log, code) = sarif(&["fixtures"]);
    assert_eq!(code, 1, "the default --fail-on any fails on the fixtures");
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let run = run(&log);
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "cbscan");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    // The codes seen, per the JSON summary of the same scan.
    let json = cbscan()
        .args(["scan", "fixtures", "--format", "json"])
        .output()
        .expect("cbscan runs");
    let json: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let seen: BTreeSet<String> = json["summary"]["by_code"]
        .as_object()
        .expect("by_code")
        .keys()
        .cloned()
        .collect();
    let rule_ids: BTreeSet<String> = rules(&log)
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(rule_ids, seen, "exactly one rule per code seen");
    assert_eq!(rule_ids.len(), rules(&log).len(), "no duplicate rule");
    assert_eq!(
        results(&log).len() as u64,
        json["summary"]["hits"].as_u64().expect("hits"),
        "one result per hit"
    );

    let reference: BTreeMap<String, RefCode> = reference_catalog()
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    let mut sdk_seen = 0;
    for rule in rules(&log) {
        let id = rule["id"].as_str().expect("id");
        let code = &reference[id];
        match &code.page_zh {
            Some(zh) => {
                assert_eq!(
                    rule["helpUri"],
                    format!("https://docs.cloudbase.net/error-code/basic/{id}"),
                    "{id}: page codes link to the page"
                );
                assert!(
                    rule["fullDescription"]["text"]
                        .as_str()
                        .expect("fullDescription")
                        .starts_with(&format!("{zh} · ")),
                    "{id}: full description is zh · en"
                );
            }
            None => {
                sdk_seen += 1;
                // Not on the basic page: a link, if any, goes to the page it comes from.
                let uri = rule.get("helpUri").and_then(Value::as_str).unwrap_or("");
                assert!(
                    !uri.starts_with("https://docs.cloudbase.net/error-code/basic/"),
                    "{id}: not on the basic page, yet linked there: {uri}"
                );
            }
        }
        let mut tags = vec![Value::from(code.category.as_str())];
        if code.generic {
            tags.push("generic".into());
        }
        assert_eq!(rule["properties"]["tags"], Value::Array(tags), "{id}");
        assert_eq!(rule["properties"]["category"], code.category.as_str());
        assert_eq!(rule["properties"]["generic"], code.generic);
        let help = rule["help"]["text"].as_str().expect("help text");
        assert_eq!(help.lines().next(), Some(id), "help is the explain text");
        assert!(!rule["shortDescription"]["text"]
            .as_str()
            .expect("short")
            .is_empty());
    }
    assert!(
        sdk_seen > 0,
        "the fixtures have codes that are not on the page"
    );

    let mut last = 0;
    for result in results(&log) {
        let rule = rule_of(&log, result);
        let level = result["level"].as_str().expect("level");
        assert!(rank(level) >= last, "errors, then warnings, then notes");
        last = rank(level);
        let id = rule["id"].as_str().expect("id");
        let text = result["message"]["text"].as_str().expect("message");
        assert!(text.starts_with(&format!("{id}: ")), "{text}");
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
        let uri = artifact["uri"].as_str().expect("uri");
        assert!(
            root().join(uri).is_file(),
            "{uri} is relative to the current folder"
        );
        assert!(result.get("baselineState").is_none(), "no baseline given");
    }
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("SRCROOT");
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
}

#[test]
fn levels_follow_fail_on_and_its_threshold() {
    let (log, code) = sarif(&["fixtures", "--fail-on", "DATABASE_TIMEOUT"]);
    assert_eq!(code, 1);
    let generic: BTreeSet<&str> = GENERIC.into_iter().collect();
    let levels = levels_by_code(&log);
    assert!(levels.len() > 3);
    let ranks: Vec<u8> = results(&log)
        .iter()
        .map(|r| rank(r["level"].as_str().expect("level")))
        .collect();
    assert!(ranks.is_sorted(), "errors, then warnings, then notes");
    assert!(ranks.contains(&0) && ranks.contains(&1) && ranks.contains(&2));
    for (code, level) in &levels {
        let expected = if code == "DATABASE_TIMEOUT" {
            "error"
        } else if generic.contains(code.as_str()) {
            "note"
        } else {
            "warning"
        };
        assert_eq!(level, expected, "{code}");
    }
    // The threshold counts lines with hits: the reference matcher counts them in plain logs.
    let files = [
        "fixtures/ci-deploy-ansi.log",
        "fixtures/ci-spinner.log",
        "fixtures/cli-deploy.log",
        "fixtures/cloudfunction-runtime.log",
        "fixtures/http-api-responses.jsonl",
        "fixtures/miniprogram-client.log",
    ];
    let lines: u64 = files
        .iter()
        .map(|path| {
            Reference::builtin()
                .find(&read(path))
                .iter()
                .filter(|h| h.code == "DATABASE_TIMEOUT")
                .map(|h| h.line)
                .collect::<BTreeSet<u64>>()
                .len() as u64
        })
        .sum();
    assert!(lines >= 2, "{lines}");
    // Past the threshold: an error; at it: a warning, and the scan passes.
    let below = format!("DATABASE_TIMEOUT>{}", lines - 1);
    let at = format!("DATABASE_TIMEOUT>{lines}");
    let mut args = files.to_vec();
    args.extend(["--fail-on", &below]);
    let (log, code) = sarif(&args);
    assert_eq!(code, 1);
    assert_eq!(levels_by_code(&log)["DATABASE_TIMEOUT"], "error");
    let mut args = files.to_vec();
    args.extend(["--fail-on", &at]);
    let (log, code) = sarif(&args);
    assert_eq!(code, 0, "at the threshold the scan passes");
    assert_eq!(levels_by_code(&log)["DATABASE_TIMEOUT"], "warning");
}

#[test]
fn columns_count_characters_not_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let line = "云开发数据库错误：DATABASE_TIMEOUT 超时 -502005\n";
    let path = write_log(dir.path(), "cjk.log", line.as_bytes());
    let (log, _) = sarif(&[&path]);
    let found: Vec<_> = results(&log).iter().map(place).collect();
    // 9 characters (27 bytes) before the code; the alias after `超时 ` at character 27.
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].1, 1);
    assert_eq!((found[0].2, found[0].3), (Some(10), Some(10 + 16)));
    assert_eq!((found[1].2, found[1].3), (Some(30), Some(30 + 7)));

    // Every hit of the CJK fixture: columns from the reference matcher's line text.
    let fixture = "fixtures/miniprogram-client.log";
    let (log, _) = sarif(&[fixture]);
    let mut expected: Vec<(u64, u64, u64)> = Reference::builtin()
        .find(&read(fixture))
        .iter()
        .map(|hit| {
            let before = &hit.line_text[..hit.column as usize - 1];
            let chars = String::from_utf8_lossy(before).chars().count() as u64;
            (
                hit.line,
                chars + 1,
                chars + 1 + hit.matched.chars().count() as u64,
            )
        })
        .collect();
    let mut got: Vec<(u64, u64, u64)> = results(&log)
        .iter()
        .map(|r| {
            let (_, line, start, end) = place(r);
            (line, start.expect("startColumn"), end.expect("endColumn"))
        })
        .collect();
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected);
    assert!(
        read(fixture).iter().any(|&b| b >= 0x80),
        "the fixture has multi-byte text"
    );
}

#[test]
fn hostile_log_and_file_name_stay_valid_and_encoded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = "a b#c?d%e 日志ü.log";
    let mut text: Vec<u8> = Vec::new();
    text.extend_from_slice(
        b"\x1b[2J\x1b]52;c;cHduZWQ=\x07 DATABASE_TIMEOUT \"quoted\" back\\slash\n",
    );
    text.extend_from_slice(
        "\u{202e}evil\u{2066} SYS_ERR </script><script>alert(1)</script>\n".as_bytes(),
    );
    text.extend_from_slice(
        b"bad \xff\xfe bytes \xc3 AUTH_LOGIN_FAILED \x00\x7f\xc2\x9b ]]> %0A\r\n",
    );
    text.extend_from_slice(
        "\u{2028}::add-mask::x ##[error] SERVICE_TIMEOUT `|`\r bare CR\n".as_bytes(),
    );
    write_log(dir.path(), name, &text);
    let base = dir.path().to_str().expect("UTF-8");
    // A missing input with a hostile name: its name reaches the notification's message.
    let missing = dir
        .path()
        .join("gone\u{202e}\x1b[2J\u{2028}\"</script>.log");
    let output = cbscan()
        .args(["scan", base, "--base-dir", base, "--format", "sarif"])
        .arg(&missing)
        .output()
        .expect("cbscan runs");
    let raw = output.stdout;
    // Nothing that drives a terminal or hides text reaches the output raw.
    let shown = String::from_utf8(raw.clone()).expect("SARIF is UTF-8");
    assert!(
        !shown
            .chars()
            .any(|c| (c.is_control() && c != '\n')
                || matches!(c, '\u{202e}' | '\u{2066}' | '\u{2028}')),
        "raw control or bidi character in the output"
    );
    let log: Value = serde_json::from_slice(&raw).expect("JSON");
    assert_schema_valid(&log);
    let codes: Vec<&str> = results(&log)
        .iter()
        .map(|r| r["ruleId"].as_str().expect("ruleId"))
        .collect();
    assert_eq!(
        codes.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            "AUTH_LOGIN_FAILED",
            "DATABASE_TIMEOUT",
            "SERVICE_TIMEOUT",
            "SYS_ERR"
        ])
    );
    let notes = run(&log)["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    let text = notes[0]["message"]["text"].as_str().expect("text");
    assert!(
        text.contains("gone\u{202e}\x1b[2J\u{2028}\"</script>.log"),
        "the name is escaped, not altered: {text:?}"
    );
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "gone%E2%80%AE%1B%5B2J%E2%80%A8%22%3C/script%3E.log"
    );
    for result in results(&log) {
        let (uri, _, _, _) = place(result);
        assert_eq!(
            uri, "a%20b%23c%3Fd%25e%20%E6%97%A5%E5%BF%97%C3%BC.log",
            "relative to --base-dir, percent-encoded"
        );
    }
    // Columns: the stray bytes count one character each (4 bytes + "bad " + " bytes " ...).
    let auth = results(&log)
        .iter()
        .find(|r| r["ruleId"] == "AUTH_LOGIN_FAILED")
        .expect("AUTH_LOGIN_FAILED result");
    let (_, line, start, end) = place(auth);
    assert_eq!(line, 3);
    let before = "bad ".len() + 2 + " bytes ".len() + 1 + 1;
    assert_eq!(start, Some(before as u64 + 1));
    assert_eq!(end, Some(before as u64 + 1 + 17));
}

#[test]
fn paths_follow_base_dir() {
    let (log, _) = sarif(&["fixtures/folder", "--base-dir", "fixtures"]);
    let uris: BTreeSet<String> = results(&log).iter().map(|r| place(r).0).collect();
    assert!(uris.contains("folder/app.log"), "{uris:?}");
    assert!(uris.contains("folder/nested/deep/worker.log"), "{uris:?}");
    let base = run(&log)["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("SRCROOT")
        .to_string();
    assert!(base.ends_with("/fixtures/"), "{base}");

    // An input outside the base folder: an absolute file URI, with no base id.
    let (log, _) = sarif(&["fixtures/ci-spinner.log", "--base-dir", "tests"]);
    for result in results(&log) {
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert!(artifact.get("uriBaseId").is_none());
        let uri = artifact["uri"].as_str().expect("uri");
        assert!(uri.starts_with("file:///"), "{uri}");
        assert!(uri.ends_with("/fixtures/ci-spinner.log"), "{uri}");
    }
}

#[test]
fn standard_input_has_a_location_without_a_base() {
    let (log, _) = sarif_with_stdin(&[], Some(b"x DATABASE_TIMEOUT\n"));
    let result = &results(&log)[0];
    let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["uri"], "stdin");
    assert!(artifact.get("uriBaseId").is_none());
    assert_eq!(place(result).2, Some(3));
}

#[test]
fn fingerprints_are_stable_and_ignore_lines_added_above() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log_text = read("fixtures/cloudfunction-runtime.log");
    let path = write_log(dir.path(), "app.log", &log_text);
    let key = |log: &Value| -> Vec<(String, String, u64)> {
        results(log)
            .iter()
            .map(|r| {
                let (_, line, _, _) = place(r);
                (
                    r["ruleId"].as_str().expect("ruleId").to_string(),
                    fingerprint(r),
                    line,
                )
            })
            .collect()
    };
    let base = dir.path().to_str().expect("UTF-8");
    let (first, _) = sarif(&[&path, "--base-dir", base]);
    let (second, _) = sarif(&[&path, "--base-dir", base]);
    let first = key(&first);
    assert_eq!(first, key(&second), "same log, same fingerprints");
    let unique: BTreeSet<&String> = first.iter().map(|(_, f, _)| f).collect();
    assert_eq!(unique.len(), first.len(), "a fingerprint per result");
    assert!(
        first.len() >= 10,
        "the fixture has many hits, some on one line"
    );

    let mut shifted = b"2026-11-20 boot\nstarting\nDATABASE_TIMEOUT_MS=5 is no code\n".to_vec();
    shifted.extend_from_slice(&log_text);
    fs::write(&path, shifted).expect("rewriting the log");
    let (third, _) = sarif(&[&path, "--base-dir", base]);
    let third = key(&third);
    assert_eq!(third.len(), first.len());
    for ((code, print, line), (code3, print3, line3)) in first.iter().zip(&third) {
        assert_eq!((code, print), (code3, print3), "lines above change nothing");
        assert_eq!(*line3, line + 3, "but the line number");
    }
}

#[test]
fn at_most_25000_results_keeping_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::with_capacity(30_000 * 40);
    for i in 0..26_000 {
        text.push_str(&format!("{i} warn DATABASE_TIMEOUT\n"));
    }
    for i in 0..4_000 {
        text.push_str(&format!("{i} fail AUTH_LOGIN_FAILED\n"));
    }
    let path = write_log(dir.path(), "many.log", text.as_bytes());
    let (log, code) = sarif(&[&path, "--fail-on", "AUTH_LOGIN_FAILED"]);
    assert_eq!(code, 1);
    let results = results(&log);
    assert_eq!(results.len(), 25_000, "GitHub's limit");
    let errors: Vec<&Value> = results.iter().filter(|r| r["level"] == "error").collect();
    assert_eq!(errors.len(), 4_000, "every error kept");
    assert!(errors.iter().all(|r| r["ruleId"] == "AUTH_LOGIN_FAILED"));
    assert!(
        results[..4_000].iter().all(|r| r["level"] == "error"),
        "errors first"
    );
    assert!(results[4_000..]
        .iter()
        .all(|r| r["level"] == "warning" && r["ruleId"] == "DATABASE_TIMEOUT"));
    // The warnings kept are the first ones, in order.
    let lines: Vec<u64> = results[4_000..].iter().map(|r| place(r).1).collect();
    assert_eq!(lines, (1..=21_000).collect::<Vec<u64>>());
    let notes = run(&log)["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    let left_out: Vec<&str> = notes
        .iter()
        .filter(|n| n["level"] == "note")
        .map(|n| n["message"]["text"].as_str().expect("text"))
        .collect();
    assert_eq!(left_out.len(), 1, "{notes:?}");
    assert!(
        left_out[0].starts_with("5,000 of 30,000 hits"),
        "{}",
        left_out[0]
    );
    assert_eq!(run(&log)["invocations"][0]["executionSuccessful"], true);
    assert_eq!(run(&log)["properties"]["hits"], 30_000);
}

#[test]
fn baseline_marks_new_grown_and_known_codes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let before = "DATABASE_TIMEOUT a\nDATABASE_TIMEOUT b\nAUTH_LOGIN_FAILED c\n";
    let old = write_log(dir.path(), "old.log", before.as_bytes());
    let baseline = dir.path().join("baseline.json");
    let made = cbscan()
        .args(["scan", &old, "--format", "json", "--fail-on", "none"])
        .output()
        .expect("cbscan runs");
    fs::write(&baseline, made.stdout).expect("writing the baseline");
    // DATABASE_TIMEOUT on as many lines, AUTH_LOGIN_FAILED on more, SERVICE_TIMEOUT new.
    let after = "DATABASE_TIMEOUT a\nDATABASE_TIMEOUT b\nAUTH_LOGIN_FAILED c\n\
                 AUTH_LOGIN_FAILED d\nSERVICE_TIMEOUT e\n";
    let new = write_log(dir.path(), "new.log", after.as_bytes());
    let (log, code) = sarif(&[&new, "--baseline", baseline.to_str().expect("UTF-8")]);
    assert_eq!(code, 1, "new and grown codes fail");
    let mut states = BTreeMap::new();
    for result in results(&log) {
        let id = result["ruleId"].as_str().expect("ruleId").to_string();
        let state = result["baselineState"].as_str().expect("baselineState");
        let text = result["message"]["text"].as_str().expect("text");
        let level = result["level"].as_str().expect("level");
        states.insert(id.clone(), (state.to_string(), level.to_string()));
        assert_eq!(
            text.ends_with(" (new since the baseline)"),
            id == "SERVICE_TIMEOUT",
            "{text}"
        );
    }
    let expect = |s: &str, l: &str| (s.to_string(), l.to_string());
    assert_eq!(
        states,
        BTreeMap::from([
            ("AUTH_LOGIN_FAILED".to_string(), expect("updated", "error")),
            (
                "DATABASE_TIMEOUT".to_string(),
                expect("unchanged", "warning")
            ),
            ("SERVICE_TIMEOUT".to_string(), expect("new", "error")),
        ])
    );
}

#[test]
fn unreadable_input_is_an_error_notification() {
    let (log, code) = sarif(&["fixtures/ci-spinner.log", "no-such-file.log"]);
    assert_eq!(code, 2, "an unreadable input is an error");
    let invocation = &run(&log)["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "error");
    let text = notes[0]["message"]["text"].as_str().expect("text");
    assert!(text.starts_with("no-such-file.log: "), "{text}");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "no-such-file.log"
    );
    assert!(
        !results(&log).is_empty(),
        "the readable input's hits are there"
    );
}

#[test]
fn report_file_is_the_same_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("out.sarif");
    let spec = format!("sarif={}", file.to_str().expect("UTF-8"));
    let output = cbscan()
        .args([
            "scan",
            "fixtures/ci-spinner.log",
            "--report",
            &spec,
            "--format",
            "sarif",
        ])
        .output()
        .expect("cbscan runs");
    let written = fs::read(&file).expect("report written");
    assert_eq!(written, output.stdout);
    let log: Value = serde_json::from_slice(&written).expect("JSON");
    assert_schema_valid(&log);
}

#[test]
fn hits_held_back_by_max_hits_are_counted_as_left_out() {
    let dir = tempfile::TempDir::new().unwrap();
    let log = write_log(
        dir.path(),
        "a.log",
        b"DATABASE_TIMEOUT\nDATABASE_TIMEOUT\nDATABASE_TIMEOUT\nSTORAGE_FILE_NONEXIST\n",
    );
    let (log, _) = sarif(&[&log, "-m", "1"]);
    assert_eq!(results(&log).len(), 1);
    assert_eq!(run(&log)["properties"]["resultsLeftOut"], 3);
    let notes: Vec<&str> = run(&log)["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("a notification")
        .iter()
        .filter_map(|n| n["message"]["text"].as_str())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("3 of 4 hits") && n.contains("--max-hits")),
        "{notes:?}"
    );
}

#[test]
fn columns_are_known_far_into_long_lines() {
    let dir = tempfile::TempDir::new().unwrap();
    let text = format!(
        "{} DATABASE_TIMEOUT\n{} DATABASE_TIMEOUT y DATABASE_TIMEOUT\n",
        "x".repeat(300),
        "错".repeat(200)
    );
    let log = write_log(dir.path(), "long.log", text.as_bytes());
    let (log, _) = sarif(&[&log]);
    let columns: Vec<(u64, Option<u64>, Option<u64>)> = results(&log)
        .iter()
        .map(|r| {
            let (_, line, start, end) = place(r);
            (line, start, end)
        })
        .collect();
    // 300 x and a space; 200 CJK characters (600 bytes) and a space; then 16 + 3 more.
    assert_eq!(
        columns,
        [
            (1, Some(302), Some(318)),
            (2, Some(202), Some(218)),
            (2, Some(221), Some(237))
        ]
    );
}
