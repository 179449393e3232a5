//! What the generic codes were hiding (issue 10 §3), through the binary: hits grouped by request
//! id (else by multi-line event), numeric chains resolved to their innermost code, and
//! `--by-request`'s listing in human, JSON-lines and JSON output.
//!
//! Fixtures (in the shapes of the reference notes' section 3):
//! - `fixtures/scf-requests.log`: a function runtime log, two requests interleaved, request ids
//!   in the second column, START/END/Report frames. Request e4bbd9ff… logs
//!   DATABASE_COLLECTION_NOT_EXIST (line 4) three lines before its FUNCTIONS_EXECUTE_FAIL
//!   (line 7); request 4b81e5ec… times out (FUNCTION_TIME_LIMIT_EXCEEDED, line 10) then fails
//!   with -504002 and FUNCTIONS_EXECUTE_FAIL (line 11); request 88941f37… fails with nothing
//!   more specific (line 15). Outside any request: SYS_ERR (line 18) with a stack trace whose
//!   "Caused by" line 19 names DATABASE_TIMEOUT, then a DATABASE_TIMEOUT of its own (line 22).
//! - `fixtures/miniprogram-chains.log`: mini-program client lines with numeric chains
//!   (`-404011 … -504002 … -502005`), a lone database error, a chain with no specific code, and
//!   a `-504002` with nothing more specific.
//!
//! Expected values are counted by hand from the fixtures above, never taken from the output.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cbscan::catalog::Catalog;
use cbscan::diagnosis::{GenericGroups, Hidden};
use cbscan::scan::{OwnedHit, ScanOptions, Scanner};
use proptest::prelude::*;
use serde_json::Value;
use support::*;

const SCF: &str = "fixtures/scf-requests.log";
const CHAINS: &str = "fixtures/miniprogram-chains.log";

fn jsonl(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["scan", "--format", "jsonl"];
    all.extend_from_slice(args);
    let r = run_in(&root(), &all, None);
    assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
    records(&r.stdout)
}

/// `(groups, alone, [(specific, groups)…])` of a generic code in a serialised summary.
fn hidden(summary: &Value, generic: &str) -> (u64, u64, Vec<(String, u64)>) {
    let entry = &summary["hidden"]["by_generic"][generic];
    assert!(entry.is_object(), "{generic} in {}", summary["hidden"]);
    let with = entry["with"]
        .as_object()
        .expect("with")
        .iter()
        .map(|(code, n)| (code.clone(), n.as_u64().expect("count")))
        .collect();
    (
        entry["groups"].as_u64().expect("groups"),
        entry["alone"].as_u64().expect("alone"),
        with,
    )
}

fn pairs(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(c, n)| (c.to_string(), *n)).collect()
}

#[test]
fn a_generic_code_is_explained_by_its_request_not_its_line() {
    let recs = jsonl(&[SCF]);
    let sum = summary(&recs);
    // Three requests hold FUNCTIONS_EXECUTE_FAIL: one with the collection error three lines
    // before, one with the timeout, one with nothing more specific.
    assert_eq!(
        hidden(sum, "FUNCTIONS_EXECUTE_FAIL"),
        (
            3,
            1,
            pairs(&[
                ("DATABASE_COLLECTION_NOT_EXIST", 1),
                ("FUNCTION_TIME_LIMIT_EXCEEDED", 1)
            ])
        )
    );
    // SYS_ERR is in no request: its multi-line event (the stack trace under it) names the
    // timeout; the DATABASE_TIMEOUT of line 22 is an event of its own.
    assert_eq!(
        hidden(sum, "SYS_ERR"),
        (1, 0, pairs(&[("DATABASE_TIMEOUT", 1)]))
    );
    assert_eq!(sum["hidden"]["request_groups"], 3);
    assert_eq!(sum["hidden"]["event_groups"], 2);
    assert_eq!(sum["hidden"]["closed_early"], 0);
    // Per line, FUNCTIONS_EXECUTE_FAIL shares its lines with nothing specific.
    assert_eq!(sum["together"].get("FUNCTIONS_EXECUTE_FAIL"), None);

    // The advice says which it counted, and the sentence gives the counts.
    let generic = sum["generic"].as_array().expect("generic");
    let fef = generic
        .iter()
        .find(|g| g["code"] == "FUNCTIONS_EXECUTE_FAIL")
        .expect("FUNCTIONS_EXECUTE_FAIL advice");
    assert_eq!(fef["paired_in"], "groups");
    assert_eq!(fef["groups"], 3);
    assert_eq!(fef["alone"], 1);
    let human = run_in(&root(), &["scan", "--color", "never", SCF], None);
    let text = String::from_utf8(human.stdout).expect("UTF-8");
    let warning = text
        .lines()
        .find(|l| l.starts_with("warning: generic FUNCTIONS_EXECUTE_FAIL"))
        .expect("a warning");
    assert_eq!(
        warning,
        "warning: generic FUNCTIONS_EXECUTE_FAIL (4 hits) in 3 requests or events: 1 with \
         DATABASE_COLLECTION_NOT_EXIST, 1 with FUNCTION_TIME_LIMIT_EXCEEDED, 1 with nothing \
         more specific; see cbscan explain FUNCTIONS_EXECUTE_FAIL"
    );
}

#[test]
fn a_numeric_chain_resolves_to_its_innermost_code() {
    let recs = jsonl(&[CHAINS]);
    let sum = summary(&recs);
    // Line 1: -404011 → -504002 → -502005: the request counts FUNCTIONS_EXECUTE_FAIL with
    // DATABASE_COLLECTION_NOT_EXIST. Line 3 (request 19c6cab0011…) and line 5 (no request)
    // hold -504002 with nothing more specific.
    assert_eq!(
        hidden(sum, "FUNCTIONS_EXECUTE_FAIL"),
        (3, 2, pairs(&[("DATABASE_COLLECTION_NOT_EXIST", 1)]))
    );
    // Where the catalog knows the client wrapper -404011 (a generic numeric-only entry), it
    // is explained by the same innermost code, never by the generic code it wraps.
    if sum["by_code"].get("-404011").is_some() {
        let (groups, _, with) = hidden(sum, "-404011");
        assert_eq!(groups, 3, "lines 1, 3 and 4 hold -404011");
        assert!(with.contains(&("DATABASE_COLLECTION_NOT_EXIST".to_string(), 1)));
        assert!(with
            .iter()
            .all(|(code, _)| code != "FUNCTIONS_EXECUTE_FAIL"));
    }
}

#[test]
fn grouped_summaries_of_parts_add_up_to_the_whole() {
    // No request spans the two fixtures, so the groups of each add up to those of both.
    let both = jsonl(&[SCF, CHAINS]);
    let both = summary(&both)["hidden"].clone();
    let scf = jsonl(&[SCF]);
    let chains = jsonl(&[CHAINS]);
    let parts = [&summary(&scf)["hidden"], &summary(&chains)["hidden"]];
    for key in ["request_groups", "event_groups", "closed_early"] {
        let sum: u64 = parts.iter().map(|p| p[key].as_u64().unwrap_or(0)).sum();
        assert_eq!(both[key], sum, "{key}");
    }
    let generics = both["by_generic"].as_object().expect("by_generic");
    assert!(generics.contains_key("FUNCTIONS_EXECUTE_FAIL"));
    for (code, whole) in generics {
        for field in ["groups", "alone"] {
            let sum: u64 = parts
                .iter()
                .map(|p| p["by_generic"][code][field].as_u64().unwrap_or(0))
                .sum();
            assert_eq!(whole[field], sum, "{code} {field}");
        }
    }
    // Both files' FUNCTIONS_EXECUTE_FAIL groups: 3 + 3, with the collection error twice.
    assert_eq!(both["by_generic"]["FUNCTIONS_EXECUTE_FAIL"]["groups"], 6);
    assert_eq!(
        both["by_generic"]["FUNCTIONS_EXECUTE_FAIL"]["with"]["DATABASE_COLLECTION_NOT_EXIST"],
        2
    );
}

#[test]
fn a_summary_only_run_pairs_per_line_and_says_so() {
    let r = run_in(
        &root(),
        &["scan", "--format", "jsonl", "--summary-only", SCF],
        None,
    );
    let recs = records(&r.stdout);
    let sum = summary(&recs);
    assert!(sum.get("hidden").is_none(), "no hits kept, none grouped");
    let generic = sum["generic"].as_array().expect("generic");
    assert!(!generic.is_empty());
    assert!(
        generic.iter().all(|g| g["paired_in"] == "lines"),
        "{generic:?}"
    );
}

#[test]
fn by_request_lists_requests_most_affected_first_in_jsonl_and_json() {
    let recs = jsonl(&["--by-request", SCF]);
    let kinds: Vec<&str> = recs.iter().filter_map(|r| r["type"].as_str()).collect();
    let first_request = kinds
        .iter()
        .position(|k| *k == "request")
        .expect("requests");
    assert!(
        kinds[first_request..]
            .iter()
            .all(|k| *k == "request" || *k == "summary"),
        "request records come last, before the summary: {kinds:?}"
    );
    let requests = of_type(&recs, "request");
    let ids: Vec<&str> = requests
        .iter()
        .map(|r| r["request_id"].as_str().expect("id"))
        .collect();
    // Most affected: most distinct codes, then most hits.
    assert_eq!(
        ids,
        [
            "4b81e5ec-d818-4d84-b04c-13d4994439ad",
            "e4bbd9ff4c8_b7-347004f2f56_5",
            "88941f370cc_95-85119487091_6"
        ]
    );
    let timeout = requests[0];
    assert_eq!(
        timeout["codes"],
        serde_json::json!(["FUNCTION_TIME_LIMIT_EXCEEDED", "FUNCTIONS_EXECUTE_FAIL"])
    );
    assert_eq!(timeout["hit_count"], 3);
    assert_eq!(timeout["more_hits"], 0);
    let hits: Vec<(String, u64, String)> = timeout["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| {
            (
                h["path"]["text"].as_str().expect("path").to_string(),
                h["line"].as_u64().expect("line"),
                h["code"].as_str().expect("code").to_string(),
            )
        })
        .collect();
    assert_eq!(
        hits,
        [
            (
                SCF.to_string(),
                10,
                "FUNCTION_TIME_LIMIT_EXCEEDED".to_string()
            ),
            (SCF.to_string(), 11, "FUNCTIONS_EXECUTE_FAIL".to_string()),
            (SCF.to_string(), 11, "FUNCTIONS_EXECUTE_FAIL".to_string()),
        ]
    );
    let first = timeout["first_time"].as_str().expect("first time");
    assert!(first.starts_with("2024-05-15T21:58:52.612"), "{first}");
    // Lines 18, 19 and 22 are in no request: 4 hits.
    let sum = summary(&recs);
    assert_eq!(sum["requests"]["hits_without_request"], 4);
    assert_eq!(sum["requests"]["not_kept"], 0);
    // Hit records are still there, for tools.
    assert_eq!(of_type(&recs, "hit").len(), 10);

    // JSON: the same records, without `type`, in `requests`.
    let r = run_in(
        &root(),
        &["scan", "--format", "json", "--by-request", SCF],
        None,
    );
    let doc: Value = serde_json::from_slice(&r.stdout).expect("JSON");
    let listed = doc["requests"].as_array().expect("requests array");
    assert_eq!(listed.len(), requests.len());
    for (json, line) in listed.iter().zip(&requests) {
        let mut line = (*line).clone();
        line.as_object_mut().expect("object").remove("type");
        assert_eq!(json, &line);
    }
    // Without --by-request there is no listing.
    let plain = jsonl(&[SCF]);
    assert!(of_type(&plain, "request").is_empty());
    assert!(summary(&plain).get("requests").is_none());
}

#[test]
fn by_request_in_human_output_replaces_the_hit_listing() {
    let r = run_in(
        &root(),
        &["scan", "--color", "never", "--by-request", SCF],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = String::from_utf8(r.stdout).expect("UTF-8");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Requests, most affected first", "{out}");
    assert_eq!(
        lines[1],
        "request 4b81e5ec-d818-4d84-b04c-13d4994439ad  first at 2024-05-15T21:58:52.612Z  2 codes, 3 hits",
        "{out}"
    );
    assert_eq!(
        lines[2],
        "  codes: FUNCTION_TIME_LIMIT_EXCEEDED → FUNCTIONS_EXECUTE_FAIL"
    );
    assert_eq!(
        lines[3],
        format!("  {SCF}:10: FUNCTION_TIME_LIMIT_EXCEEDED")
    );
    assert!(out.contains("\n4 hits without a request id\n"), "{out}");
    // No hit is listed on its own (`path:line:column: CODE`).
    assert!(
        !out.contains(&format!("{SCF}:4:70:")),
        "the per-hit listing is replaced: {out}"
    );
    assert!(out.contains("\nScanned 1 file, 22 lines"), "{out}");
    assert!(!out.contains("of them shown"), "{out}");
}

#[test]
fn listed_hits_per_request_are_capped_and_the_rest_counted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut log = String::from("2024-05-15T21:58:49.553Z START RequestId:busy-0001\n");
    for i in 0..25 {
        log.push_str(&format!(
            "2024-05-15T21:58:{:02}.000Z\tbusy-0001\tERROR\tretry {i}: DATABASE_TIMEOUT\n",
            i + 10
        ));
    }
    log.push_str("2024-05-15T21:59:40.000Z END RequestId:busy-0001\n");
    let path = write_log(dir.path(), "busy.log", log.as_bytes());
    let r = run_in(
        &root(),
        &["scan", "--format", "jsonl", "--by-request", &path],
        None,
    );
    let recs = records(&r.stdout);
    let requests = of_type(&recs, "request");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["request_id"], "busy-0001");
    assert_eq!(requests[0]["hits"].as_array().expect("hits").len(), 20);
    assert_eq!(requests[0]["hit_count"], 25);
    assert_eq!(requests[0]["more_hits"], 5);
    let human = run_in(
        &root(),
        &["scan", "--color", "never", "--by-request", &path],
        None,
    );
    let out = String::from_utf8(human.stdout).expect("UTF-8");
    assert!(out.contains("\n  and 5 more\n"), "{out}");
}

#[test]
fn by_request_refuses_modes_that_list_nothing() {
    for flag in ["-c", "-l", "--summary-only", "--quiet"] {
        let r = run_in(&root(), &["scan", "--by-request", flag, SCF], None);
        assert_eq!(r.code, 2, "{flag}: {}", r.stderr);
        assert!(r.stderr.contains("--by-request"), "{flag}: {}", r.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// Grouping does not depend on how the scan was cut, and equals a naive model.

/// One line of a generated function log.
#[derive(Debug, Clone)]
enum Piece {
    Start(usize),
    End(usize),
    /// A line of request `id` (SCF's second column) naming a code.
    InRequest(usize, usize),
    /// A timestamped line outside any request naming a code: an event starts.
    Outside(usize),
    /// A stack-trace line without a timestamp naming a code: it joins the event above.
    Trace(usize),
    /// A line without codes.
    Quiet,
}

const IDS: [&str; 3] = [
    "4b81e5ec-d818-4d84-b04c-13d4994439ad",
    "e4bbd9ff4c8_b7-347004f2f56_5",
    "88941f370cc_95-85119487091_6",
];
// Named codes only (no numeric chains), none of them a name other products share.
const CODES: [&str; 5] = [
    "FUNCTIONS_EXECUTE_FAIL",
    "SYS_ERR",
    "DATABASE_TIMEOUT",
    "DATABASE_COLLECTION_NOT_EXIST",
    "STORAGE_FILE_NONEXIST",
];

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        (0..IDS.len()).prop_map(Piece::Start),
        (0..IDS.len()).prop_map(Piece::End),
        (0..IDS.len(), 0..CODES.len()).prop_map(|(i, c)| Piece::InRequest(i, c)),
        (0..CODES.len()).prop_map(Piece::Outside),
        (0..CODES.len()).prop_map(Piece::Trace),
        Just(Piece::Quiet),
    ]
}

fn render(pieces: &[Piece]) -> Vec<u8> {
    let mut out = String::new();
    for (n, piece) in pieces.iter().enumerate() {
        let ts = format!("2024-05-15T21:{:02}:{:02}.000Z", n / 60 % 60, n % 60);
        let line = match piece {
            Piece::Start(i) => format!("{ts} START RequestId:{}", IDS[*i]),
            Piece::End(i) => format!("{ts} END RequestId:{}", IDS[*i]),
            Piece::InRequest(i, c) => format!("{ts}\t{}\tERROR\t[{}] failed", IDS[*i], CODES[*c]),
            Piece::Outside(c) => format!("{ts} ERROR {{\"code\":\"{}\"}}", CODES[*c]),
            Piece::Trace(c) => format!("    at handler (index.js:{n}:7) {}", CODES[*c]),
            Piece::Quiet => format!("{ts} INFO ok"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.into_bytes()
}

/// The model: every hit's group (its request id, else its event), all groups at once.
fn model(catalog: &Catalog, hits: &[OwnedHit]) -> Hidden {
    let mut groups: HashMap<String, BTreeSet<usize>> = HashMap::new();
    let mut kinds = (BTreeSet::new(), BTreeSet::new());
    for hit in hits {
        let key = match &hit.request {
            Some(id) => {
                kinds.0.insert(id.clone());
                format!("request {id}")
            }
            None => {
                kinds.1.insert(hit.event);
                format!("event {}", hit.event)
            }
        };
        groups.entry(key).or_default().insert(hit.code);
    }
    let mut by_generic: BTreeMap<usize, GenericGroups> = BTreeMap::new();
    for codes in groups.values() {
        let specific: Vec<usize> = codes
            .iter()
            .copied()
            .filter(|&c| !catalog.code(c).is_generic())
            .collect();
        for &generic in codes.iter().filter(|&&c| catalog.code(c).is_generic()) {
            let entry = by_generic.entry(generic).or_default();
            entry.groups += 1;
            entry.alone += u64::from(specific.is_empty());
            for &s in &specific {
                *entry.with.entry(s).or_default() += 1;
            }
        }
    }
    Hidden {
        by_generic,
        request_groups: kinds.0.len() as u64,
        event_groups: kinds.1.len() as u64,
        closed_early: 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Chunked parallel, single-threaded and streamed scans group alike, as the model does,
    /// and list the same requests.
    #[test]
    fn grouping_does_not_depend_on_chunks_threads_or_blocks(
        pieces in prop::collection::vec(piece(), 0..120),
        chunk_size in 1usize..600,
        threads in 1usize..4,
        block_size in 1usize..512,
    ) {
        let catalog = Catalog::builtin().expect("the built-in catalog");
        let text = render(&pieces);
        let chunked = ScanOptions { threads, chunk_min: 0, chunk_size, by_request: true, ..ScanOptions::default() };
        let (hits, parallel) = Scanner::for_catalog(&catalog, chunked).scan_bytes(text.clone());
        let streaming = ScanOptions { block_size, by_request: true, ..ScanOptions::default() };
        let (_, streamed) = Scanner::for_catalog(&catalog, streaming)
            .scan_reader(text.as_slice())
            .expect("reading memory cannot fail");
        prop_assert_eq!(parallel.hidden(), &model(&catalog, &hits));
        prop_assert_eq!(streamed.hidden(), parallel.hidden());
        let ids = |s: &cbscan::Summary| -> Vec<(String, Vec<usize>, u64)> {
            s.requests()
                .entries
                .iter()
                .map(|e| (e.id.clone(), e.codes.clone(), e.hit_count))
                .collect()
        };
        prop_assert_eq!(ids(&streamed), ids(&parallel));
        let with_request = hits.iter().filter(|h| h.request.is_some()).count() as u64;
        prop_assert_eq!(parallel.requests().without_request, hits.len() as u64 - with_request);
    }
}
