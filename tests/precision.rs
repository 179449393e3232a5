//! Shared names (codes other products use too, `shared = true` in the catalog) count only on
//! lines with CloudBase context, unless `--all-codes`: ordinary non-CloudBase output (gRPC and
//! Google API errors, HTTP server logs, Kubernetes events, docker, AWS) gives no hit at all,
//! and every CloudBase fixture keeps every hit it has with `--all-codes`.
//!
//! `tests/data/shared-names.toml` defines the names the issue lists as shared, so that the
//! tests mean the same whether or not the built-in catalog has them yet. The expected counts
//! were counted by hand from the fixtures.

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::{cbscan, of_type, records, summary};

const SHARED: &str = "tests/data/shared-names.toml";

/// The names `SHARED` defines, and the built-in entries marked shared.
const SHARED_NAMES: [&str; 11] = [
    "PERMISSION_DENIED",
    "BAD_REQUEST",
    "RESOURCE_NOT_FOUND",
    "ACCESS_DENIED",
    "BAD_GATEWAY",
    "REQUEST_CANCELED",
    "INVALID_REQUEST",
    "INVALID_ARGUMENT",
    "RESOURCE_EXHAUSTED",
    "INVALID_PARAM",
    "AUTHENTICATION_FAILED",
];

/// Runs `scan --format jsonl` with `args`; returns the exit status and the parsed records.
fn scan_jsonl(args: &[&str]) -> (i32, Vec<Value>) {
    let out = cbscan()
        .args(["scan", "--format", "jsonl"])
        .args(args)
        .output()
        .expect("cbscan runs");
    (
        out.status.code().expect("exit status"),
        records(&out.stdout),
    )
}

/// Hits per code, from the summary record.
fn hits_by_code(records: &[Value]) -> BTreeMap<String, u64> {
    summary(records)["by_code"]
        .as_object()
        .expect("by_code is an object")
        .iter()
        .map(|(code, c)| (code.clone(), c["hits"].as_u64().expect("hits")))
        .collect()
}

#[test]
fn ordinary_output_of_other_products_gives_no_hit() {
    for args in [
        vec!["fixtures/non-cloudbase.log"],
        vec!["--catalog", SHARED, "fixtures/non-cloudbase.log"],
    ] {
        let (code, records) = scan_jsonl(&args);
        assert_eq!(code, 0, "{args:?}: nothing to fail on");
        assert!(of_type(&records, "hit").is_empty(), "{args:?}: no hit");
        assert_eq!(summary(&records)["hits"], 0, "{args:?}");
        assert_eq!(
            summary(&records)["lines"],
            25,
            "{args:?}: the whole file was read"
        );
    }
}

#[test]
fn all_codes_finds_the_shared_names_everywhere() {
    let (code, records) = scan_jsonl(&[
        "--catalog",
        SHARED,
        "--all-codes",
        "fixtures/non-cloudbase.log",
    ]);
    assert_eq!(code, 1, "hits fail the scan");
    let expected: BTreeMap<String, u64> = [
        ("ACCESS_DENIED", 6),
        ("PERMISSION_DENIED", 5),
        ("AUTHENTICATION_FAILED", 3),
        ("BAD_GATEWAY", 3),
        ("BAD_REQUEST", 2),
        ("INVALID_REQUEST", 2),
        ("INVALID_PARAM", 1),
        ("RESOURCE_NOT_FOUND", 1),
        ("REQUEST_CANCELED", 1),
        ("INVALID_ARGUMENT", 1),
        ("RESOURCE_EXHAUSTED", 1),
    ]
    .into_iter()
    .map(|(c, n)| (c.to_string(), n))
    .collect();
    assert_eq!(hits_by_code(&records), expected);
    assert_eq!(of_type(&records, "hit").len(), 26);
    // Every line but the `docker login` command line holds a name.
    assert_eq!(summary(&records)["lines_with_hits"], 24);
}

#[test]
fn shared_names_in_cloudbase_shapes_are_hits() {
    let fixture = "fixtures/cloudbase-shared-names.log";
    let (_, with_context) = scan_jsonl(&["--catalog", SHARED, fixture]);
    // Only the shared names are counted here: which numbers (`-501023`) are catalog entries
    // of their own is the catalog's business.
    let expected: BTreeMap<String, u64> = [
        ("PERMISSION_DENIED", 3), // the JSON body, the [CODE] prefix, the errCode line
        ("INVALID_PARAM", 4),     // three names and -501007
        ("AUTHENTICATION_FAILED", 2),
        ("RESOURCE_NOT_FOUND", 1),
        ("ACCESS_DENIED", 1),
        ("BAD_GATEWAY", 1),
        ("REQUEST_CANCELED", 1),
        ("INVALID_REQUEST", 1),
    ]
    .into_iter()
    .map(|(c, n)| (c.to_string(), n))
    .collect();
    let shared: BTreeMap<String, u64> = hits_by_code(&with_context)
        .into_iter()
        .filter(|(code, _)| SHARED_NAMES.contains(&code.as_str()))
        .collect();
    assert_eq!(shared, expected);
    let (_, all) = scan_jsonl(&["--catalog", SHARED, "--all-codes", fixture]);
    assert_eq!(of_type(&with_context, "hit"), of_type(&all, "hit"));
}

#[test]
fn cloudbase_fixtures_keep_every_hit() {
    let mut checked = 0;
    for entry in std::fs::read_dir(support::root().join("fixtures")).expect("fixtures") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        // The two fixtures of other products' output are not CloudBase's.
        let other = ["non-cloudbase.log", "app-output.log"].contains(&name.as_str());
        if other || !(name.ends_with(".log") || name.ends_with(".jsonl")) {
            continue;
        }
        let rel = format!("fixtures/{name}");
        let (_, shared) = scan_jsonl(&["--catalog", SHARED, &rel]);
        let (_, all) = scan_jsonl(&["--catalog", SHARED, "--all-codes", &rel]);
        let hits = of_type(&shared, "hit");
        assert!(!hits.is_empty(), "{rel} is a CloudBase fixture with hits");
        assert_eq!(hits, of_type(&all, "hit"), "{rel}");
        assert_eq!(summary(&shared), summary(&all), "{rel}");
        checked += 1;
    }
    assert!(
        checked >= 6,
        "the CloudBase fixtures were found ({checked})"
    );
}

#[test]
fn follow_and_run_take_all_codes_too() {
    let line = "docker login: AUTHENTICATION_FAILED\n";
    for all in [false, true] {
        let mut args = vec!["run", "--stdout", "--format", "jsonl"];
        if all {
            args.push("--all-codes");
        }
        args.extend(["--", "printf", line]);
        let out = cbscan().args(&args).output().expect("cbscan runs");
        let hits = of_type(&records_after_command(&out.stdout, line), "hit").len();
        assert_eq!(hits, usize::from(all), "run --all-codes={all}");
    }
    let help = cbscan().args(["follow", "--help"]).output().expect("runs");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--all-codes"));
}

/// The JSON records of `run --stdout` output, without the command's own line.
fn records_after_command(stdout: &[u8], command_line: &str) -> Vec<Value> {
    let text = String::from_utf8_lossy(stdout).replace(command_line, "");
    records(text.as_bytes())
}
