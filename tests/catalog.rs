//! The built-in catalog against the facts it was built from (copied verbatim into
//! `tests/data/`): the general-errors table in page order with its Chinese meanings, every
//! number of the WeChat errCode tables known under the right code or meaning, moved codes
//! keeping their aliases and generic flags, shared names and inferred meanings marked. The
//! catalog is read through `cbscan codes --format jsonl`, as a script would.

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::facts::{general_errors, wechat_numbers};
use support::*;

/// Every catalog entry, by code, in catalog order.
fn catalog() -> Vec<Value> {
    let out = cbscan()
        .args(["codes", "--format", "jsonl"])
        .output()
        .expect("cbscan runs");
    assert!(out.status.success());
    records(&out.stdout)
}

fn by_code(records: &[Value]) -> BTreeMap<String, Value> {
    records
        .iter()
        .map(|r| (r["code"].as_str().expect("code").to_string(), r.clone()))
        .collect()
}

#[test]
fn general_errors_are_the_first_category_in_page_order_with_the_pages_meanings() {
    let records = catalog();
    let table = general_errors();
    assert_eq!(
        table.iter().map(|(n, _, _)| *n).collect::<Vec<_>>(),
        (1..=44).collect::<Vec<_>>(),
        "the facts table has rows 1-44"
    );
    assert_eq!(records[0]["category"], "general", "general comes first");
    let general: Vec<&Value> = records
        .iter()
        .filter(|r| r["category"] == "general")
        .collect();
    // The table's rows come first among the general codes, in page order; the sibling-page
    // codes follow.
    for ((row, code, zh), record) in table.iter().zip(&general) {
        assert_eq!(record["code"], code.as_str(), "row {row}");
        assert_eq!(
            record["zh"],
            zh.as_str(),
            "row {row} {code}: zh as on the page"
        );
        assert!(
            !record["en"].as_str().unwrap_or("").is_empty(),
            "{code} has an English meaning"
        );
        assert_eq!(
            record["doc"],
            format!("https://docs.cloudbase.net/error-code/basic/{code}"),
            "{code} links to its page"
        );
    }
}

#[test]
fn translated_english_says_so() {
    let codes = by_code(&catalog());
    // Rows marked [tr] in the table have no published English.
    for code in [
        "REQUEST_FORBIDDEN",
        "EXCEED_AUTHORITY",
        "RequestLimitExceeded",
        "BAD_REQUEST",
        "PERMISSION_DENIED",
    ] {
        let notes = codes[code]["notes"].as_str().unwrap_or("");
        assert!(
            notes.contains("English is a translation"),
            "{code}: {notes:?}"
        );
    }
    // Where the pages disagree, the newest meaning is kept and the other quoted.
    for (code, other) in [
        ("BAD_REQUEST", "请求数据或参数格式非法"),
        ("INVALID_ENV", "环境 ID 非法或没有找到对应的云开发环境"),
        ("EXCEED_RATELIMIT", "请求速率超过所购买套餐的 QPS 配额"),
        ("PERMISSION_DENIED", "无操作权限"),
    ] {
        let notes = codes[code]["notes"].as_str().unwrap_or("");
        assert!(notes.contains(other), "{code}: {notes:?}");
    }
}

#[test]
fn every_wechat_number_is_known_under_the_right_code_or_meaning() {
    let records = catalog();
    let codes = by_code(&records);
    let mut alias_of: BTreeMap<i64, &str> = BTreeMap::new();
    for record in &records {
        for n in record["numeric"].as_array().expect("numeric") {
            let n = n.as_i64().expect("integer");
            let code = record["code"].as_str().expect("code");
            assert!(alias_of.insert(n, code).is_none(), "{n} aliased twice");
        }
    }
    let rows = wechat_numbers();
    assert!(rows.len() > 70, "{} rows read", rows.len());
    // The domain prefix (`SDK 云函数错误：`) a `…` row leaves out: that of the last full row.
    let mut prefix = String::new();
    for row in rows.iter().filter(|r| !r.duplicate) {
        let n = row.number;
        if let Some(zh) = &row.zh {
            if let Some((domain, _)) = zh.split_once('：') {
                if !zh.starts_with('…') {
                    prefix = format!("{domain}：");
                }
            }
        }
        if LEFT_OUT_NUMBERS.contains(&n) {
            assert!(!codes.contains_key(&n.to_string()), "{n} is left out");
            assert!(!alias_of.contains_key(&n));
            continue;
        }
        match &row.code {
            Some(code) => assert_eq!(
                alias_of.get(&n).copied(),
                Some(code.as_str()),
                "{n} is an alias of {code}"
            ),
            None => {
                let record = codes
                    .get(&n.to_string())
                    .unwrap_or_else(|| panic!("{n} is a numeric-only entry"));
                assert_eq!(record["number"], n);
                assert_eq!(record["category"], origin_category(n), "{n}");
                assert_eq!(record["basis"], "table", "{n} is in a table");
                assert!(!alias_of.contains_key(&n), "{n} is not also an alias");
                let zh = record["zh"].as_str().expect("zh");
                match row.zh.as_deref() {
                    None => assert_eq!(zh, "", "{n} has no Chinese text"),
                    Some(table) => match table.strip_prefix('…') {
                        Some(rest) => assert_eq!(zh, format!("{prefix}{rest}"), "{n}"),
                        None => assert_eq!(zh, table, "{n}"),
                    },
                }
            }
        }
    }
}

#[test]
fn numbers_from_real_logs_are_marked_inferred_and_wrappers_generic() {
    let codes = by_code(&catalog());
    let inferred: Vec<&str> = codes
        .values()
        .filter(|r| r["basis"] == "logs")
        .map(|r| r["code"].as_str().expect("code"))
        .collect();
    let mut expected: Vec<String> = LOG_NUMBERS.iter().map(i64::to_string).collect();
    expected.sort();
    assert_eq!(inferred, expected);
    for n in LOG_NUMBERS {
        assert_eq!(codes[&n.to_string()]["category"], origin_category(n));
    }
    assert!(
        !codes.contains_key("-501024"),
        "conflicting claims: left out"
    );
    for wrapper in ["-404011", "-501000"] {
        assert_eq!(codes[wrapper]["generic"], true, "{wrapper}");
        assert!(codes[wrapper]["generic_reason"]
            .as_str()
            .expect("reason")
            .contains("errMsg"));
    }
}

#[test]
fn moved_codes_keep_their_aliases_and_generic_flags() {
    let codes = by_code(&catalog());
    for (number, code) in SDK_NUMERIC {
        let record = &codes[code];
        let numeric: Vec<i64> = record["numeric"]
            .as_array()
            .expect("numeric")
            .iter()
            .filter_map(Value::as_i64)
            .collect();
        assert!(numeric.contains(&number), "{code} keeps {number}");
        assert_eq!(
            record["generic"],
            GENERIC.contains(&code),
            "{code}: generic flag"
        );
    }
    assert_eq!(codes["SYS_ERR"]["category"], "general");
    assert_eq!(codes["SYS_ERR"]["generic"], true);
    assert_eq!(codes["INVALIID_ENV"]["category"], "general");
    assert!(codes["INVALIID_ENV"]["notes"]
        .as_str()
        .expect("notes")
        .contains("INVALID_ENV"));
    assert_eq!(codes["FUNCTIONS_REQUEST_FAIL"]["category"], "functions");
}

#[test]
fn shared_names_are_marked() {
    let codes = by_code(&catalog());
    for code in [
        "PERMISSION_DENIED",
        "BAD_REQUEST",
        "RESOURCE_NOT_FOUND",
        "ACCESS_DENIED",
        "BAD_GATEWAY",
        "REQUEST_CANCELED",
        "INVALID_REQUEST",
        "INVALID_PARAM",
        "AUTHENTICATION_FAILED",
    ] {
        assert_eq!(codes[code]["shared"], true, "{code}");
    }
    // CloudBase's own prefixes and the numbers are not shared.
    for code in [
        "DATABASE_TIMEOUT",
        "FUNCTIONS_EXECUTE_FAIL",
        "-404011",
        "INVALIID_ENV",
    ] {
        assert_eq!(codes[code]["shared"], false, "{code}");
    }
}

#[test]
fn codes_sort_by_category_and_numbers_by_value() {
    let records = catalog();
    let out = cbscan().arg("codes").output().expect("cbscan runs");
    let table = String::from_utf8(out.stdout).expect("UTF-8");
    let rows: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(rows.len(), records.len());
    // Categories appear as contiguous blocks in catalog order.
    let category: BTreeMap<&str, &str> = records
        .iter()
        .map(|r| {
            (
                r["code"].as_str().expect("code"),
                r["category"].as_str().expect("category"),
            )
        })
        .collect();
    let mut blocks: Vec<&str> = rows.iter().map(|c| category[c]).collect();
    blocks.dedup();
    assert_eq!(
        blocks,
        [
            "general",
            "auth",
            "database",
            "functions",
            "cloudrun",
            "storage",
            "hosting",
            "ai",
            "sdk",
            "tencentcloud",
            "wechat"
        ]
    );
    // Within a category, numeric-only codes come after named ones, closest to zero first
    // (-401001 before -404011), as in the WeChat table.
    for window in rows.windows(2) {
        let (a, b) = (window[0], window[1]);
        if category[a] != category[b] {
            continue;
        }
        if let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>()) {
            assert!(x > y, "{a} before {b}");
        }
        assert!(
            !(a.parse::<i64>().is_ok() && b.parse::<i64>().is_err()),
            "named {b} after numeric {a}"
        );
    }
}
