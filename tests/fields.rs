//! The time and request id of every hit (issue 10 §2): the binary on realistic fixtures in the
//! shapes real logs have (SCF runtime invocations with their frames and stack traces, a CLI
//! log with local times, JSON-lines application logs with `@timestamp` and epoch numbers, a
//! mini-program log), JSON lines parsed with serde_json, and a property test that the fields
//! are those of a naive reading of the whole text, whatever the chunking, threads and blocks.

mod support;

use cbscan::catalog::Catalog;
use cbscan::fields::{Extractor, FrameMark, HitTime};
use cbscan::limits::FIELD_LOOKBACK;
use cbscan::scan::{OwnedHit, ScanOptions, Scanner};
use proptest::prelude::*;
use serde_json::Value;
use support::{cbscan, of_type, records};

/// (line, code, timestamp, time_zone_known, time_inherited, request_id) of each hit.
type Fields = (
    u64,
    String,
    Option<String>,
    Option<bool>,
    Option<bool>,
    Option<String>,
);

fn scan_jsonl(args: &[&str]) -> Vec<Value> {
    let out = cbscan()
        .args(["scan", "--format", "jsonl"])
        .args(args)
        .output()
        .expect("cbscan runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    records(&out.stdout)
}

fn fields_of(records: &[Value]) -> Vec<Fields> {
    of_type(records, "hit")
        .into_iter()
        .map(|r| {
            (
                r["line"].as_u64().expect("line"),
                r["code"].as_str().expect("code").to_string(),
                r["timestamp"].as_str().map(str::to_string),
                r["time_zone_known"].as_bool(),
                r["time_inherited"].as_bool(),
                r["request_id"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn f(
    line: u64,
    code: &str,
    time: Option<&str>,
    zoned: Option<bool>,
    inherited: Option<bool>,
    request: Option<&str>,
) -> Fields {
    (
        line,
        code.to_string(),
        time.map(str::to_string),
        zoned,
        inherited,
        request.map(str::to_string),
    )
}

const INVOCATION_1: &str = "3f1c2a9e-8b7d-4c51-9e0a-6d2f4b1c7a88";
const INVOCATION_2: &str = "19c6caaf4fd_e3-19c6caaf535_c";

#[test]
fn scf_runtime_hits_carry_their_invocation_and_stack_traces_inherit() {
    let got = fields_of(&scan_jsonl(&["fixtures/fields/scf-invocations.log"]));
    let t = Some(true);
    let want = vec![
        // The runtime's own line: its time, its second column.
        f(
            3,
            "DATABASE_COLLECTION_NOT_EXIST",
            Some("2026-11-20T08:15:02.361Z"),
            t,
            Some(false),
            Some(INVOCATION_1),
        ),
        // The stack trace and a bare console line inherit line 3's time and request.
        f(
            4,
            "DATABASE_COLLECTION_NOT_EXIST",
            Some("2026-11-20T08:15:02.361Z"),
            t,
            t,
            Some(INVOCATION_1),
        ),
        f(
            7,
            "SYS_ERR",
            Some("2026-11-20T08:15:02.361Z"),
            t,
            t,
            Some(INVOCATION_1),
        ),
        // Right after START: the START line's time, and the invocation it opened.
        f(
            11,
            "FUNCTIONS_TIME_LIMIT_EXCEEDED",
            Some("2026-11-20T08:15:09.002Z"),
            t,
            t,
            Some(INVOCATION_2),
        ),
        // The runtime column names the invocation, not the API request id in the JSON body.
        f(
            12,
            "FUNCTIONS_EXECUTE_FAIL",
            Some("2026-11-20T08:15:12.004Z"),
            t,
            Some(false),
            Some(INVOCATION_2),
        ),
        // After END and Report, a bare line is no stack frame of anything: outside an
        // invocation only continuation lines inherit, so no time and no request.
        f(15, "SYS_ERR", None, None, None, None),
    ];
    assert_eq!(got, want);
}

#[test]
fn cli_times_are_local_until_log_tz_says_where() {
    let local = fields_of(&scan_jsonl(&["fixtures/fields/cli-deploy-times.log"]));
    let n = Some(false);
    let y = Some(true);
    let want = vec![
        f(
            2,
            "STORAGE_REQUEST_FAIL",
            Some("2026-11-21T10:02:14.000"),
            n,
            n,
            Some("5d0c7e1a9b"),
        ),
        f(
            4,
            "DATABASE_TIMEOUT",
            Some("2026-11-21T10:02:14.000"),
            n,
            y,
            Some("5d0c7e1a9b"),
        ),
        f(
            6,
            "FUNCTIONS_REQUEST_FAIL",
            Some("2026-11-21T10:03:41.000"),
            n,
            n,
            Some("7e1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
        ),
        // The date inside the URL is not this line's time, and the line is a record of its
        // own (not indented, not a stack frame): it inherits nothing from line 6.
        f(7, "FUNCTIONS_REQUEST_FAIL", None, None, None, None),
    ];
    assert_eq!(local, want);
    // Shanghai is UTC+8 all year (no DST since 1991): 10:02:14 there is 02:02:14Z.
    for zone in ["Asia/Shanghai", "+08:00", "+0800"] {
        let zoned = fields_of(&scan_jsonl(&[
            "--log-tz",
            zone,
            "fixtures/fields/cli-deploy-times.log",
        ]));
        let times: Vec<_> = zoned.iter().map(|h| (h.2.clone(), h.3)).collect();
        let z = |s: &str| (Some(s.to_string()), Some(true));
        assert_eq!(
            times,
            vec![
                z("2026-11-21T02:02:14.000Z"),
                z("2026-11-21T02:02:14.000Z"),
                z("2026-11-21T02:03:41.000Z"),
                (None, None)
            ],
            "--log-tz {zone}"
        );
    }
    let bad = cbscan()
        .args([
            "scan",
            "--log-tz",
            "Mars/Olympus",
            "fixtures/fields/cli-deploy-times.log",
        ])
        .output()
        .expect("cbscan runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--log-tz"));
}

#[test]
fn json_lines_logs_give_iso_and_epoch_times() {
    let got = fields_of(&scan_jsonl(&["fixtures/fields/app-jsonl.log"]));
    let y = Some(true);
    let n = Some(false);
    // 02:03:04.250+08:00 is 18:03:04.250Z the day before; 1795226584123 ms and 1795226590 s
    // are 2026-11-21T02:03:04.123Z and 02:03:10Z (checked with Python's datetime).
    let want = vec![
        f(
            1,
            "DATABASE_TIMEOUT",
            Some("2026-11-20T18:03:04.250Z"),
            y,
            n,
            Some("19c6caaf4fd_e3-19c6caaf535_c"),
        ),
        f(
            2,
            "SYS_ERR",
            Some("2026-11-21T02:03:04.123Z"),
            y,
            n,
            Some("0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"),
        ),
        f(
            3,
            "EXCEED_REQUEST_LIMIT",
            Some("2026-11-21T02:03:10.000Z"),
            y,
            n,
            Some("cb_1795226590_0042"),
        ),
        // A JSON record without a time is a record of its own: it inherits no time from
        // line 3, and keeps its own request id.
        f(
            4,
            "STORAGE_FILE_NONEXIST",
            None,
            None,
            None,
            Some("d3b07384-d9a0-4c9f-8b1e-2f6a7c8d9e0f"),
        ),
    ];
    assert_eq!(got, want);
}

#[test]
fn mini_program_lines_use_their_bracketed_time_not_the_trace_clock() {
    let got = fields_of(&scan_jsonl(&["fixtures/fields/miniprogram-times.log"]));
    let n = Some(false);
    let local = Some("2026-11-22T21:05:09.000");
    assert_eq!(
        got,
        vec![
            // -404011 (the SDK's wrapper) is a code of the catalog: its line has its own time
            // and the request id after `requestID`.
            f(
                1,
                "-404011",
                Some("2026-11-22T21:04:55.000"),
                n,
                n,
                Some("19c6caaf4fd_e3-19c6caaf535_c")
            ),
            f(2, "DATABASE_PERMISSION_DENIED", local, n, n, None),
            f(2, "DATABASE_PERMISSION_DENIED", local, n, n, None),
            f(3, "DATABASE_PERMISSION_DENIED", local, n, Some(true), None),
        ]
    );
}

#[test]
fn the_summary_says_when_each_code_was_first_and_last_seen() {
    let recs = scan_jsonl(&[
        "fixtures/fields/scf-invocations.log",
        "fixtures/fields/app-jsonl.log",
    ]);
    let summary = support::summary(&recs);
    let seen = &summary["seen"]["SYS_ERR"];
    let mark = |m: &Value| {
        (
            m["timestamp"].as_str().expect("timestamp").to_string(),
            m["path"]["text"].as_str().expect("path").to_string(),
            m["line"].as_u64().expect("line"),
        )
    };
    // SYS_ERR: lines 7 and 15 of the SCF log (2026-11-20 08:15), line 2 of the app log
    // (2026-11-21 02:03).
    assert_eq!(
        mark(&seen["first"]),
        (
            "2026-11-20T08:15:02.361Z".into(),
            "fixtures/fields/scf-invocations.log".into(),
            7
        )
    );
    assert_eq!(
        mark(&seen["last"]),
        (
            "2026-11-21T02:03:04.123Z".into(),
            "fixtures/fields/app-jsonl.log".into(),
            2
        )
    );
    // Every code with a hit that has a time has a first and last seen: all but
    // STORAGE_FILE_NONEXIST, whose only hit (app-jsonl line 4) has none.
    let by_code = summary["by_code"].as_object().expect("by_code");
    let seen_codes = summary["seen"].as_object().expect("seen");
    let timed: Vec<&String> = by_code
        .keys()
        .filter(|c| c.as_str() != "STORAGE_FILE_NONEXIST")
        .collect();
    assert_eq!(timed, seen_codes.keys().collect::<Vec<_>>());

    // People see the span: 2026-11-20T08:15:02.361Z (first SCF hit) to 02:03:10Z next day.
    let human = cbscan()
        .args([
            "scan",
            "--color",
            "never",
            "fixtures/fields/scf-invocations.log",
            "fixtures/fields/app-jsonl.log",
        ])
        .output()
        .expect("cbscan runs");
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("Time span 2026-11-20T08:15:02.361Z – 2026-11-21T02:03:10.000Z (17h 48m 7s)"),
        "{text}"
    );
    assert!(text.contains("First and last seen"), "{text}");
    assert!(
        text.contains(" · 08:15:02.361Z · req 3f1c2a9e-8b7d-4c…"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Property: any chunking gives the fields a naive reading of the whole text gives.

/// Lines in the shapes the extractor reads, codes, and long filler to cross the lookback.
fn log_line() -> BoxedStrategy<String> {
    let code = prop::sample::select(vec![
        "SYS_ERR",
        "DATABASE_TIMEOUT",
        "-502005",
        "FUNCTIONS_EXECUTE_FAIL",
    ]);
    let id = prop::sample::select(vec![
        "3f1c2a9e-8b7d-4c51-9e0a-6d2f4b1c7a88",
        "19c6caaf4fd_e3-19c6caaf535_c",
        "a1b2c3d4e5f6",
    ]);
    let second = 0u32..60;
    prop_oneof![
        3 => (second.clone(), id.clone(), code.clone()).prop_map(|(s, id, c)| format!("2026-11-20T08:15:{s:02}.5Z\t{id}\tERROR\tfailed {c}")),
        2 => code.clone().prop_map(|c| format!("    at handler (/var/user/index.js:1:2) {c}")),
        1 => (second.clone(), id.clone()).prop_map(|(s, id)| format!("2026-11-20T08:16:{s:02}Z START RequestId:{id}")),
        1 => (second.clone(), id.clone()).prop_map(|(s, id)| format!("2026-11-20T08:17:{s:02}Z END RequestId:{id}")),
        1 => (second.clone(), code.clone()).prop_map(|(s, c)| format!("10.0.0.1 - - [20/Nov/2026:16:15:{s:02} +0800] \"GET / HTTP/1.1\" 502 {c}")),
        1 => (second.clone(), id.clone(), code.clone()).prop_map(|(s, id, c)| format!("{{\"ts\":17952265{s:02}123,\"requestId\":\"{id}\",\"code\":\"{c}\"}}")),
        1 => (second.clone(), code.clone()).prop_map(|(s, c)| format!("[2026-11-21 10:02:{s:02}] deploy {c}")),
        1 => code.clone().prop_map(|c| format!("plain {c} line")),
        1 => (1usize..20_000).prop_map(|n| "z".repeat(n)),
        // A line longer than a stream's block, its time at its start and its code far on.
        1 => (1usize..100_000, code.clone()).prop_map(|(n, c)| format!("2026-11-20T08:18:00Z {} {c}", "z".repeat(n))),
        1 => Just(String::new()),
    ]
    .boxed()
}

fn log_text() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(log_line(), 0..120).prop_map(|lines| {
        let mut text = lines.join("\n");
        text.push('\n');
        text.into_bytes()
    })
}

/// The fields a hit on the line starting at `s` must have, read off the whole text.
fn reference(ex: &Extractor, text: &[u8], s: usize) -> (Option<HitTime>, Option<String>, u64) {
    let line_of = |start: usize| -> &[u8] {
        let end = text[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| start + i);
        &text[start..end]
    };
    let own_line = line_of(s);
    let own = ex.line(own_line);
    let own_request = own
        .request
        .map(|r| String::from_utf8_lossy(&own_line[r]).into_owned());
    // Every line starting within FIELD_LOOKBACK bytes before s.
    let starts: Vec<usize> = (s.saturating_sub(FIELD_LOOKBACK)..s)
        .filter(|&i| i == 0 || text[i - 1] == b'\n')
        .collect();
    let stamped = starts
        .iter()
        .rev()
        .find_map(|&i| ex.time_of(line_of(i)).map(|t| (i, t)));
    let frame = starts
        .iter()
        .rev()
        .find_map(|&i| ex.frame(line_of(i)).map(|m| (i, m)));
    let frame_id = match &frame {
        Some((i, FrameMark::Start(r))) => {
            Some(String::from_utf8_lossy(&line_of(*i)[r.clone()]).into_owned())
        }
        _ => None,
    };
    match own.time {
        Some(at) => (
            Some(HitTime {
                at,
                inherited: false,
            }),
            own_request.or(frame_id),
            s as u64,
        ),
        None => {
            // Only a continuation line (indented, a stack frame, the end of an object)
            // inherits a time.
            let continuation = matches!(own_line.first(), Some(b' ' | b'\t' | b'}' | b']' | b')'))
                || own_line.starts_with(b"at ")
                || own_line.starts_with(b"Caused by")
                || own_line.starts_with(b"...");
            // Inside an SCF invocation every line inherits.
            let inside = matches!(&frame, Some((_, FrameMark::Start(_))));
            let stamped = stamped.filter(|_| continuation || inside);
            let from_stamp = stamped.and_then(|(i, _)| {
                let after_frame = match &frame {
                    None => true,
                    Some((_, FrameMark::End)) => false,
                    Some((f, FrameMark::Start(_))) => i > *f,
                };
                let line = line_of(i);
                ex.request_of(line)
                    .filter(|_| after_frame)
                    .map(|r| String::from_utf8_lossy(&line[r]).into_owned())
            });
            let request = match &frame {
                Some((_, FrameMark::End)) => own_request,
                _ => own_request.or(from_stamp).or(frame_id),
            };
            (
                stamped.map(|(_, at)| HitTime {
                    at,
                    inherited: true,
                }),
                request,
                stamped.map_or(s as u64, |(i, _)| i as u64),
            )
        }
    }
}

/// Per code, the (seconds, nanoseconds, line) of its first and last seen.
type SeenKeys = std::collections::BTreeMap<usize, ((i64, i32, u64), (i64, i32, u64))>;

fn fields(hits: &[OwnedHit]) -> Vec<(u64, Option<HitTime>, Option<String>, u64)> {
    hits.iter()
        .map(|h| (h.byte_offset, h.time, h.request.clone(), h.event))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn fields_are_the_naive_reading_whatever_the_chunking(
        text in log_text(),
        chunk_size in 1usize..40_000,
        threads in 1usize..4,
        block_size in 1usize..70_000,
    ) {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let ex = Extractor::new(None).expect("patterns build");
        let chunked = ScanOptions { threads, chunk_min: 0, chunk_size, block_size, ..ScanOptions::default() };
        let (hits, summary) = Scanner::for_catalog(&catalog, chunked).scan_bytes(text.clone());
        let expected: Vec<_> = hits
            .iter()
            .map(|h| {
                let offset = h.byte_offset as usize;
                let s = text[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                let (time, request, event) = reference(&ex, &text, s);
                (h.byte_offset, time, request, event)
            })
            .collect();
        prop_assert_eq!(fields(&hits), expected);

        let streaming = ScanOptions { block_size, ..ScanOptions::default() };
        let (stream_hits, stream_summary) = Scanner::for_catalog(&catalog, streaming)
            .scan_reader(text.as_slice())
            .expect("reading memory cannot fail");
        prop_assert_eq!(fields(&stream_hits), fields(&hits));

        // First and last seen: per code, the least and greatest (time, line) of its hits with
        // a time, whichever way it was scanned (the input names differ: compared without).
        let mut naive: SeenKeys = Default::default();
        for h in &hits {
            let Some(t) = h.time else { continue };
            let (sec, ns) = t.at.sort_key();
            let key = (sec, ns, h.line);
            let e = naive.entry(h.code).or_insert((key, key));
            e.0 = e.0.min(key);
            e.1 = e.1.max(key);
        }
        let seen_of = |s: &cbscan::Summary| -> SeenKeys {
            s.seen_by_code()
                .map(|(code, seen)| {
                    let k = |m: &cbscan::summary::Mark| {
                        let (sec, ns) = m.time.sort_key();
                        (sec, ns, m.line)
                    };
                    (code, (k(&seen.first), k(&seen.last)))
                })
                .collect()
        };
        prop_assert_eq!(seen_of(&summary), naive.clone());
        prop_assert_eq!(seen_of(&stream_summary), naive);

        // Without fields, the same hits, none of them with a time or request.
        let off = ScanOptions { fields: false, chunk_min: 0, chunk_size, ..ScanOptions::default() };
        let (bare, _) = Scanner::for_catalog(&catalog, off).scan_bytes(text.clone());
        prop_assert_eq!(bare.len(), hits.len());
        prop_assert!(bare.iter().all(|h| h.time.is_none() && h.request.is_none()));
    }
}
