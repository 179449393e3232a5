//! Codes cbscan does not know yet: code-shaped tokens in code positions the catalog lacks are
//! reported (summary, `unknown` JSON-lines records, human and Markdown summaries), never as
//! hits, and fail a scan only with `--fail-on unknown`. Ordinary application output flags
//! nothing. The expected tokens, lines and counts were read off the fixtures by hand; the
//! invented codes (`DATABASE_QUERY_TOO_LARGE`, `-502099`, …) are in no CloudBase table.

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::{cbscan, of_type, records, summary};

const NEW_CODES: &str = "fixtures/cloudbase-new-codes.log";

fn scan(args: &[&str]) -> (i32, Vec<u8>) {
    let out = cbscan()
        .arg("scan")
        .args(args)
        .output()
        .expect("cbscan runs");
    (out.status.code().expect("exit status"), out.stdout)
}

/// (code, line, count) of each `unknown` record.
fn unknown_records(records: &[Value]) -> Vec<(String, u64, u64)> {
    of_type(records, "unknown")
        .into_iter()
        .map(|r| {
            (
                r["code"].as_str().expect("code").to_string(),
                r["line"].as_u64().expect("line"),
                r["count"].as_u64().expect("count"),
            )
        })
        .collect()
}

#[test]
fn new_codes_in_cloudbase_logs_are_reported_and_nothing_else() {
    let (code, stdout) = scan(&["--format", "jsonl", NEW_CODES]);
    let records = records(&stdout);
    // Records come by code name, at the end of the input (before its `end` record).
    assert_eq!(
        unknown_records(&records),
        vec![
            ("-502099".to_string(), 5, 2),
            ("-504099".to_string(), 11, 1),
            ("DATABASE_QUERY_TOO_LARGE".to_string(), 2, 3),
            ("FUNCTIONS_COLD_START_TIMEOUT".to_string(), 7, 1),
            ("STORAGE_QUOTA_EXCEEDED_DAILY".to_string(), 8, 1),
        ]
    );
    let first = of_type(&records, "unknown")[2];
    assert_eq!(first["column"], 48, "the token's byte column on line 2");
    assert_eq!(first["path"]["text"], NEW_CODES);
    assert!(first["text"]
        .as_str()
        .expect("text")
        .contains(r#"{"code":"DATABASE_QUERY_TOO_LARGE","message""#));
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["type"].as_str().unwrap_or(""))
        .collect();
    let end = kinds
        .iter()
        .position(|k| *k == "end")
        .expect("an end record");
    assert!(kinds[..end].ends_with(&["unknown"; 5]), "{kinds:?}");
    let wrapped = of_type(&records, "unknown")[1];
    assert_eq!(
        wrapped["column"], 217,
        "the wrapper's inner code, after `service error code `"
    );

    // Never hits: the hits are the catalog's codes only.
    let hits: Vec<&str> = of_type(&records, "hit")
        .iter()
        .map(|h| h["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        hits,
        vec![
            "DATABASE_PERMISSION_DENIED",
            "DATABASE_PERMISSION_DENIED",
            "FUNCTIONS_EXECUTE_FAIL",
            "DATABASE_TIMEOUT",
            "-404011"
        ]
    );
    assert_eq!(code, 1, "the hits fail it, as ever");

    let sum = summary(&records);
    let unknown = sum["unknown"].as_object().expect("summary carries them");
    let counts: BTreeMap<&str, u64> = unknown
        .iter()
        .map(|(k, v)| (k.as_str(), v["count"].as_u64().expect("count")))
        .collect();
    assert_eq!(
        counts,
        BTreeMap::from([
            ("-502099", 2),
            ("-504099", 1),
            ("DATABASE_QUERY_TOO_LARGE", 3),
            ("FUNCTIONS_COLD_START_TIMEOUT", 1),
            ("STORAGE_QUOTA_EXCEEDED_DAILY", 1),
        ])
    );
    assert_eq!(unknown["DATABASE_QUERY_TOO_LARGE"]["line"], 2);
    assert_eq!(
        unknown["DATABASE_QUERY_TOO_LARGE"]["path"]["text"],
        NEW_CODES
    );
    assert!(
        sum.get("unknown_overflow").is_none(),
        "nothing past the cap"
    );
}

#[test]
fn ordinary_application_output_flags_nothing() {
    for fixture in ["fixtures/app-output.log", "fixtures/non-cloudbase.log"] {
        let (code, stdout) = scan(&["--format", "jsonl", "--fail-on", "unknown", fixture]);
        let records = records(&stdout);
        assert!(of_type(&records, "unknown").is_empty(), "{fixture}");
        assert!(summary(&records).get("unknown").is_none(), "{fixture}");
        assert!(of_type(&records, "hit").is_empty(), "{fixture}");
        assert_eq!(code, 0, "{fixture}: nothing to fail on");
    }
}

/// (code, line) of each `unknown` record of a scan of `log` given on stdin.
fn flagged(log: &str, args: &[&str]) -> Vec<(String, u64)> {
    let out = cbscan()
        .args(["scan", "--format", "jsonl"])
        .args(args)
        .write_stdin(log)
        .output()
        .expect("runs");
    unknown_records(&records(&out.stdout))
        .into_iter()
        .map(|(code, line, _)| (code, line))
        .collect()
}

#[test]
fn names_count_only_on_lines_with_cloudbase_context() {
    let pad = " ".repeat(150);
    let log = [
        // 1-2: the same body, without and with CloudBase's `requestId`.
        r#"ERROR {"code":"NO_CONTEXT_A","message":"x"}"#.to_string(),
        r#"ERROR {"code":"WITH_REQUEST_ID","message":"x","requestId":"19c6caaf4fd_e3-19c6caaf535_c"}"#.to_string(),
        // 3-4: a `[X] ` prefix is no context for itself; a marker elsewhere is.
        "ERROR message: [NO_CONTEXT_B] connection refused".to_string(),
        "ERROR TcbError message: [WITH_TCB_MARKER] connection refused".to_string(),
        // 5-6: a catalog code that is not shared is context; a shared name is not.
        "ERROR code=WITH_KNOWN_CODE after DATABASE_TIMEOUT".to_string(),
        "ERROR code=NO_CONTEXT_C after PERMISSION_DENIED".to_string(),
        // 7: a documentation link is context by itself.
        "see https://docs.cloudbase.net/error-code/basic/WITH_DOCS_LINK".to_string(),
        // 8: numbers of CloudBase's shape need no context; others never count.
        "ERROR errCode: -100001, code: -502098, code: -512345".to_string(),
        // 9: the context window ends 120 bytes after the token (see limits.rs).
        format!("ERROR code: 'NO_CONTEXT_D'{pad} wx.cloud"),
        // 10: the window is the token's line only.
        "ERROR code: 'NO_CONTEXT_E'".to_string(),
        "wx.cloud.callFunction fail".to_string(),
        // 12: a shared name counts by itself in its brackets, so it is context for the line.
        r#"ERROR {"code":"WITH_BRACKETED_SHARED","message":"[PERMISSION_DENIED] Error: x"}"#
            .to_string(),
    ]
    .join("\n");
    let expected: Vec<(String, u64)> = [
        ("-502098", 8),
        ("WITH_BRACKETED_SHARED", 12),
        ("WITH_DOCS_LINK", 7),
        ("WITH_KNOWN_CODE", 5),
        ("WITH_REQUEST_ID", 2),
        ("WITH_TCB_MARKER", 4),
    ]
    .into_iter()
    .map(|(c, l)| (c.to_string(), l))
    .collect();
    assert_eq!(flagged(&log, &[]), expected);

    // Chunked and parallel, the same decisions (the window never depends on the cut).
    let many = format!("{log}\n").repeat(40);
    let whole = flagged(&many, &["-j", "1"]);
    assert_eq!(whole.len(), 6);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("many.log");
    std::fs::write(&path, &many).expect("write");
    let path = path.to_str().expect("utf-8 path");
    let chunked = cbscan()
        .args([
            "scan",
            "--format",
            "json",
            "--chunk-min",
            "0",
            "--chunk-size",
            "4096",
        ])
        .args(["-j", "3", path])
        .output()
        .expect("runs");
    let value: Value = serde_json::from_slice(&chunked.stdout).expect("json");
    let counts: Vec<(&str, u64)> = value["summary"]["unknown"]
        .as_object()
        .expect("unknown codes")
        .iter()
        .map(|(k, v)| (k.as_str(), v["count"].as_u64().expect("count")))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("-502098", 40),
            ("WITH_BRACKETED_SHARED", 40),
            ("WITH_DOCS_LINK", 40),
            ("WITH_KNOWN_CODE", 40),
            ("WITH_REQUEST_ID", 40),
            ("WITH_TCB_MARKER", 40),
        ]
    );
}

#[test]
fn only_fail_on_unknown_fails_on_them() {
    let log = "{\"code\":\"DATABASE_QUERY_TOO_LARGE\",\"requestId\":\"r1\"}\n";
    let run = |args: &[&str]| {
        let out = cbscan()
            .arg("scan")
            .args(args)
            .write_stdin(log)
            .output()
            .expect("runs");
        (
            out.status.code().expect("status"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, human) = run(&[]);
    assert_eq!(code, 0, "no hit, and unknown codes do not fail by default");
    assert!(
        human.contains("codes not in the catalog: DATABASE_QUERY_TOO_LARGE ×1 (first at "),
        "{human}"
    );
    assert_eq!(run(&["--fail-on", "unknown"]).0, 1);
    assert_eq!(
        run(&["--fail-on", "unknown>1"]).0,
        0,
        "one occurrence is not past 1"
    );
    let (code, markdown) = run(&["--format", "markdown", "--fail-on", "unknown"]);
    assert_eq!(code, 1);
    assert!(
        markdown.contains("### Codes not in the catalog"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `DATABASE_QUERY_TOO_LARGE` | 1 |"),
        "{markdown}"
    );
    assert!(markdown.contains("**Result: fails.**"), "{markdown}");
}

#[test]
fn summary_only_and_chunked_scans_count_the_same() {
    let (_, whole) = scan(&["--format", "json", NEW_CODES]);
    let whole: Value = serde_json::from_slice(&whole).expect("json");
    for args in [
        vec!["--format", "json", "-s", NEW_CODES],
        vec![
            "--format",
            "json",
            "--chunk-min",
            "0",
            "--chunk-size",
            "4096",
            "-j",
            "3",
            NEW_CODES,
        ],
    ] {
        let (_, out) = scan(&args);
        let value: Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(
            value["summary"]["unknown"], whole["summary"]["unknown"],
            "{args:?}"
        );
    }
}
