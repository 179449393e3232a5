//! `cbscan explain`: a code, a pasted log fragment, or words to search for; the text and the
//! `--format json` output. Expected codes come from the catalog facts (tests/data) and the
//! fixtures' lines, not from the tool's output.

mod support;

use serde_json::Value;
use support::*;

struct Out {
    status: i32,
    stdout: String,
    stderr: String,
}

fn explain(args: &[&str]) -> Out {
    let out = cbscan()
        .arg("explain")
        .args(args)
        .output()
        .expect("cbscan runs");
    Out {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8"),
    }
}

fn json(args: &[&str]) -> Vec<Value> {
    let mut full = vec!["--format", "json"];
    full.extend_from_slice(args);
    let out = explain(&full);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let value: Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    value.as_array().expect("an array").clone()
}

fn codes(records: &[Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["code"].as_str().expect("code"))
        .collect()
}

/// The line of the mini-program fixture with the `-404011` wrapper chain.
fn wrapper_line() -> String {
    let text = String::from_utf8(read("fixtures/miniprogram-client.log")).expect("UTF-8");
    text.lines()
        .find(|l| l.contains("-404011"))
        .expect("the fixture has the wrapper line")
        .to_string()
}

#[test]
fn a_pasted_fragment_explains_every_code_in_it_in_order() {
    let fragment = "errCode: -404011 cloud function execution error | errMsg: \
                    cloud.callFunction:fail requestID xx, cloud function service error code \
                    -504002, error message ... -502005";
    let records = json(&[fragment]);
    assert_eq!(
        codes(&records),
        [
            "-404011",
            "FUNCTIONS_EXECUTE_FAIL",
            "DATABASE_COLLECTION_NOT_EXIST"
        ]
    );
    assert!(records.iter().all(|r| r["found"] == "fragment"));
    assert!(records.iter().all(|r| r["query"] == fragment));
    // The fixture's real line: wrapper, inner function code, database code.
    let line = wrapper_line();
    assert_eq!(
        codes(&json(&[&line])),
        [
            "-404011",
            "FUNCTIONS_EXECUTE_FAIL",
            "DATABASE_PERMISSION_DENIED"
        ]
    );
    // The same word rules as a scan: glued digits and longer names are not codes.
    assert_eq!(
        codes(&json(&["x-502005 DATABASE_TIMEOUT_MS PERMISSION_DENIED"])),
        ["PERMISSION_DENIED"],
        "a shared name needs no context when the user asks"
    );
}

#[test]
fn words_search_names_before_meanings() {
    let records = json(&["timeout"]);
    let found = codes(&records);
    for record in &records {
        let code = record["code"].as_str().expect("code");
        let text = format!("{code} {} {}", record["zh"], record["en"]).to_lowercase();
        assert!(text.contains("timeout"), "{code}");
    }
    let first_meaning = records
        .iter()
        .position(|r| r["found"] == "meaning")
        .unwrap_or(records.len());
    assert!(records[..first_meaning]
        .iter()
        .all(|r| r["found"] == "name" && r["code"].as_str().expect("code").contains("TIMEOUT")));
    assert!(records[first_meaning..]
        .iter()
        .all(|r| r["found"] == "meaning"));
    for code in ["SERVER_TIMEOUT", "SERVICE_TIMEOUT", "DATABASE_TIMEOUT"] {
        assert!(found[..first_meaning].contains(&code), "{code} by name");
    }
    assert!(
        found[first_meaning..].contains(&"-604102"),
        "call open API timeout"
    );

    // Chinese: meanings only, every one holding the word.
    let records = json(&["超时"]);
    assert!(records.len() >= 5, "{}", records.len());
    for record in &records {
        assert!(record["zh"].as_str().expect("zh").contains("超时"));
        assert_eq!(record["found"], "meaning");
    }
    assert!(codes(&records).contains(&"FUNCTIONS_TIME_LIMIT_EXCEEDED"));

    // All words must match, in any case.
    let records = json(&["LOGIN failed"]);
    assert_eq!(
        codes(&records)[..2],
        ["AUTH_LOGIN_FAILED", "CHECK_LOGIN_FAILED"]
    );
    let out = explain(&["--format", "json", "login zebra"]);
    assert_eq!(out.status, 2, "nothing holds both words");
    assert_eq!(out.stdout.trim(), "[]");
}

#[test]
fn text_output_lists_search_results_and_explains_codes() {
    let out = explain(&["timeout"]);
    assert_eq!(out.status, 0);
    let first = out.stdout.lines().next().expect("a heading");
    assert!(
        first.contains("codes whose name or meaning holds \"timeout\""),
        "{first}"
    );
    assert!(out.stdout.contains("  SERVER_TIMEOUT"), "{}", out.stdout);

    let out = explain(&["--", "-501000"]);
    assert_eq!(out.status, 0);
    assert!(out.stdout.starts_with("-501000\n"), "{}", out.stdout);
    assert!(out.stdout.contains("category: tencentcloud"));
    assert!(
        out.stdout.contains("inferred from real logs"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("warning:  generic code"));

    let out = explain(&["bad_request"]);
    assert!(out
        .stdout
        .contains("shared:   other products use this name too"));
    assert!(
        out.stdout.contains("请求数据或参数格式非法"),
        "disagreement quoted"
    );
    assert!(out
        .stdout
        .contains("docs:     https://docs.cloudbase.net/error-code/basic/BAD_REQUEST"));

    let out = explain(&["nosuchzebra"]);
    assert_eq!(out.status, 2);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains("no code, and no name or meaning holding"),
        "{}",
        out.stderr
    );

    let out = explain(&["database"]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("is a category"), "{}", out.stderr);
}

#[test]
fn json_has_stable_fields_and_the_docs_link() {
    let records = json(&["INVALID_ENV", "--", "-502005", "-601034"]);
    assert_eq!(
        codes(&records),
        ["INVALID_ENV", "DATABASE_COLLECTION_NOT_EXIST", "-601034"]
    );
    for record in &records {
        let mut keys: Vec<&str> = record
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "basis",
                "category",
                "category_en",
                "category_zh",
                "code",
                "doc",
                "en",
                "found",
                "generic",
                "generic_note",
                "generic_reason",
                "notes",
                "number",
                "numeric",
                "query",
                "shared",
                "zh"
            ]
        );
        assert_eq!(record["found"], "exact");
    }
    let env = &records[0];
    assert_eq!(
        env["doc"],
        "https://docs.cloudbase.net/error-code/basic/INVALID_ENV"
    );
    assert_eq!(env["category"], "general");
    assert_eq!(env["category_zh"], "通用错误");
    assert_eq!(env["number"], Value::Null);
    assert_eq!(env["zh"], "错误的环境、环境未找到");
    let collection = &records[1];
    assert_eq!(collection["query"], "-502005");
    assert_eq!(collection["numeric"], serde_json::json!([-502005]));
    let unopened = &records[2];
    assert_eq!(unopened["number"], -601034);
    assert_eq!(unopened["basis"], "logs");
    assert_eq!(unopened["category"], "wechat");
    assert_eq!(unopened["shared"], false);

    let generic = json(&["functions_execute_fail"]);
    let note = &generic[0]["generic_note"];
    assert!(note["zh"]
        .as_str()
        .expect("zh")
        .contains("FUNCTIONS_EXECUTE_FAIL"));

    // Nothing found: an empty array on stdout, the error on stderr, status 2.
    let out = explain(&["--format", "json", "nosuchzebra"]);
    assert_eq!(out.status, 2);
    assert_eq!(
        serde_json::from_str::<Value>(&out.stdout).expect("JSON"),
        serde_json::json!([])
    );
}
