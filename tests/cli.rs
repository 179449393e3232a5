//! Integration tests of the `cbscan` binary against the contract in the project's issue:
//! matching rules and word boundaries, numeric aliases, locations (line, byte column, byte
//! offset) with CRLF, invalid UTF-8, NUL and very long lines, stdin, folders (recursion,
//! hidden files, `.gitignore`, globs, symbolic links and loops), output that does not depend on
//! threads or chunk sizes, the human report (format, summary, generic-code warning, colours,
//! control characters), the JSON-lines schema, filters, exit statuses and `--fail-on`,
//! `explain`, `codes`, user catalogs, and a closed stdout.
//!
//! Expected values come from reading the fixtures by hand (the tables below) and from the
//! independent reference model in `tests/support/`, never from the tool's own output.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use regex::Regex;
use serde_json::Value;
use support::fixtures::*;
use support::*;

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }
}

fn run_with(dir: Option<&Path>, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let mut cmd = cbscan();
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.args(args);
    for (key, value) in env {
        cmd.env(key, value);
    }
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_vec());
    }
    let output = cmd.output().expect("cbscan runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "cbscan {args:?} panicked: {stderr}"
    );
    Run {
        code: output.status.code().expect("cbscan exits normally"),
        stdout: output.stdout,
        stderr,
    }
}

fn run(args: &[&str]) -> Run {
    run_with(None, args, None, &[])
}

fn run_stdin(args: &[&str], input: &[u8]) -> Run {
    run_with(None, args, Some(input), &[])
}

/// Hits found in `input` given on stdin, as (column, code, matched); all must be on line 1.
fn stdin_hits(pre: &[&str], input: &[u8]) -> Vec<(u64, String, String)> {
    let mut args = pre.to_vec();
    args.extend(["scan", "--format", "jsonl"]);
    let run = run_stdin(&args, input);
    assert!(run.code <= 1, "{input:?}: exit {} {}", run.code, run.stderr);
    hit_tuples(&records(&run.stdout))
        .into_iter()
        .map(|(line, column, offset, code, matched)| {
            assert_eq!(line, 1, "{input:?}");
            assert_eq!(offset + 1, column, "{input:?}: one-line input");
            (column, code, matched)
        })
        .collect()
}

fn tally<'a>(codes: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for code in codes {
        *counts.entry(code.to_string()).or_insert(0) += 1;
    }
    counts
}

fn json_counts(object: &Value) -> BTreeMap<String, u64> {
    object
        .as_object()
        .expect("an object of counts")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("a count")))
        .collect()
}

/// `{"CODE": {"hits": N, …}}` (a summary's or an end record's `by_code`) → hits per code.
fn code_counts(object: &Value) -> BTreeMap<String, u64> {
    object
        .as_object()
        .expect("an object of codes")
        .iter()
        .map(|(k, v)| (k.clone(), v["hits"].as_u64().expect("a count of hits")))
        .collect()
}

fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(&path, data).expect("write temp file");
    path.display().to_string()
}

// ---------------------------------------------------------------------------------------------
// Matching rules
// ---------------------------------------------------------------------------------------------

mod matching {
    use super::*;

    /// (input, expected hits as (byte column, code, matched)).
    /// Expected hits on one line: (byte column, code, matched text).
    type LineHits = Vec<(u64, &'static str, &'static str)>;

    fn hit_cases() -> Vec<(&'static [u8], LineHits)> {
        vec![
            // The issue's examples.
            (
                "错误码DATABASE_TIMEOUT，请稍后重试".as_bytes(),
                vec![(10, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT")],
            ),
            (
                b"[FUNCTIONS_EXECUTE_FAIL] Error: boom",
                vec![(2, "FUNCTIONS_EXECUTE_FAIL", "FUNCTIONS_EXECUTE_FAIL")],
            ),
            (
                b"code=STORAGE_FILE_NONEXIST, requestId=x",
                vec![(6, "STORAGE_FILE_NONEXIST", "STORAGE_FILE_NONEXIST")],
            ),
            (
                b"{\"code\":\"AUTH_LOGIN_FAILED\"}",
                vec![(10, "AUTH_LOGIN_FAILED", "AUTH_LOGIN_FAILED")],
            ),
            (
                b"see https://docs.cloudbase.net/error-code/basic/SERVICE_TIMEOUT",
                vec![(49, "SERVICE_TIMEOUT", "SERVICE_TIMEOUT")],
            ),
            (
                b"\x1b[1;31mDATABASE_TIMEOUT\x1b[0m",
                vec![(8, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT")],
            ),
            (
                b"errCode: -502005 database collection not exists",
                vec![(10, "DATABASE_COLLECTION_NOT_EXIST", "-502005")],
            ),
            // Start and end of input are boundaries.
            (
                b"DATABASE_TIMEOUT",
                vec![(1, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT")],
            ),
            (
                b"-502005",
                vec![(1, "DATABASE_COLLECTION_NOT_EXIST", "-502005")],
            ),
            // More SGR shapes, and a bare ESC (a non-identifier byte).
            (b"\x1b[mSYS_ERR", vec![(4, "SYS_ERR", "SYS_ERR")]),
            (
                b"\x1b[38;5;196mSYS_ERR\x1b[0m",
                vec![(12, "SYS_ERR", "SYS_ERR")],
            ),
            (b"\x1bSYS_ERR", vec![(2, "SYS_ERR", "SYS_ERR")]),
            // Any complete control sequence (`ESC [`, parameters, intermediates, one final
            // byte) is a boundary, as spinners write them: `x` is a final byte as well.
            (
                b"\x1b[1;31xDATABASE_TIMEOUT",
                vec![(8, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT")],
            ),
            (
                b"\r\x1b[KDATABASE_TIMEOUT",
                vec![(5, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT")],
            ),
            (
                b"\x1b[2K\x1b[1GDATABASE_TIMEOUT",
                vec![(9, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT")],
            ),
            (b"\x1b[GSYS_ERR", vec![(4, "SYS_ERR", "SYS_ERR")]),
            (b"\x1b[?25hSYS_ERR", vec![(7, "SYS_ERR", "SYS_ERR")]),
            (b"\x1b[1 qSYS_ERR", vec![(6, "SYS_ERR", "SYS_ERR")]),
            (
                b"\x1b[K-502005",
                vec![(4, "DATABASE_COLLECTION_NOT_EXIST", "-502005")],
            ),
            // 32 parameter bytes: the most a boundary sequence may have.
            (
                b"\x1b[11111111111111111111111111111111KSYS_ERR",
                vec![(36, "SYS_ERR", "SYS_ERR")],
            ),
            // `DAUTH_LOGIN_FAILED` is no code, but `ESC[D` and `ESC[2D` end before `A`.
            (
                b"\x1b[DAUTH_LOGIN_FAILED",
                vec![(4, "AUTH_LOGIN_FAILED", "AUTH_LOGIN_FAILED")],
            ),
            (
                b"\x1b[2DAUTH_LOGIN_FAILED",
                vec![(5, "AUTH_LOGIN_FAILED", "AUTH_LOGIN_FAILED")],
            ),
            // The byte before `D` is `[`: the code starts at the sequence's final byte.
            (
                b"\x1b[DATABASE_TIMEOUT",
                vec![(3, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT")],
            ),
            // Adjacent hits, quotes, tabs, full-width punctuation, aliases in brackets.
            (
                b"SYS_ERR,SYS_ERR",
                vec![(1, "SYS_ERR", "SYS_ERR"), (9, "SYS_ERR", "SYS_ERR")],
            ),
            (
                b"'CDN_SIGNATURE_EXPIRED'",
                vec![(2, "CDN_SIGNATURE_EXPIRED", "CDN_SIGNATURE_EXPIRED")],
            ),
            (
                b"\tAI_MODEL_DISABLED\t",
                vec![(2, "AI_MODEL_DISABLED", "AI_MODEL_DISABLED")],
            ),
            (
                "错误码：-503003。".as_bytes(),
                vec![(13, "STORAGE_FILE_NONEXIST", "-503003")],
            ),
            (
                b"INVALIID_ENV(-501005)",
                vec![
                    (1, "INVALIID_ENV", "INVALIID_ENV"),
                    (14, "INVALIID_ENV", "-501005"),
                ],
            ),
            (
                b"--502005",
                vec![(2, "DATABASE_COLLECTION_NOT_EXIST", "-502005")],
            ),
            // The second alias is preceded by the digit `5`: not a hit.
            (
                b"-502005-502005",
                vec![(1, "DATABASE_COLLECTION_NOT_EXIST", "-502005")],
            ),
            // Spellings kept as published, and near twins are distinct codes.
            (
                b"DATABASE_INVALID_OPERRATOR",
                vec![(
                    1,
                    "DATABASE_INVALID_OPERRATOR",
                    "DATABASE_INVALID_OPERRATOR",
                )],
            ),
            (
                b"APIs_GET_OPENAPI_SCHEMA_ERROR",
                vec![(
                    1,
                    "APIs_GET_OPENAPI_SCHEMA_ERROR",
                    "APIs_GET_OPENAPI_SCHEMA_ERROR",
                )],
            ),
            (
                b"FUNCTION_EXECUTE_FAIL FUNCTIONS_EXECUTE_FAIL",
                vec![
                    (1, "FUNCTION_EXECUTE_FAIL", "FUNCTION_EXECUTE_FAIL"),
                    (23, "FUNCTIONS_EXECUTE_FAIL", "FUNCTIONS_EXECUTE_FAIL"),
                ],
            ),
        ]
    }

    const NEAR_MISSES: [&[u8]; 25] = [
        b"XDATABASE_TIMEOUT",
        b"DATABASE_TIMEOUT_MS=3000",
        b"database_timeout",
        b"Database_Timeout",
        b"FUNCTION_EXECUTE_FAILED",
        b"errCode: -5020051",
        b"v2-503003",
        b"x-502005",
        b"502005",
        b"DATABASE_INVALID_OPERATOR",
        b"SYS_ERR2",
        b"_SYS_ERR",
        b"SYS_ERR_",
        b"31mDATABASE_TIMEOUT",
        b"[1;31mDATABASE_TIMEOUT",
        b"apis_get_openapi_schema_error",
        // Control sequences cut short, without ESC, too long, or followed by another letter.
        b"x[2KDATABASE_TIMEOUT",
        b"[2K[1GDATABASE_TIMEOUT",
        b"\x1bKDATABASE_TIMEOUT",
        b"\x1b[2DATABASE_TIMEOUT", // `ESC[2D` leaves `ATABASE_TIMEOUT`
        b"\x1b[?25DATABASE_TIMEOUT",
        b"\x1b[ 1qDATABASE_TIMEOUT", // an intermediate byte before a parameter byte
        b"\x1b[111111111111111111111111111111111KSYS_ERR", // 33 parameter bytes
        b"\x1b[2KXDATABASE_TIMEOUT",
        b"\x1b[KDATABASE_TIMEOUT_MS",
    ];

    fn check_cases(pre: &[&str]) {
        for (input, expected) in hit_cases() {
            let expected: Vec<(u64, String, String)> = expected
                .into_iter()
                .map(|(c, code, m)| (c, code.to_string(), m.to_string()))
                .collect();
            assert_eq!(
                stdin_hits(pre, input),
                expected,
                "input {:?}",
                String::from_utf8_lossy(input)
            );
        }
        for input in NEAR_MISSES {
            assert_eq!(
                stdin_hits(pre, input),
                vec![],
                "input {:?} must not be a hit",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn issue_examples_hits_and_near_misses() {
        check_cases(&[]);
    }

    /// A catalog code that is not identifier-shaped (it holds a `.`) must not change the rules
    /// for the others.
    #[test]
    fn same_rules_with_a_catalog_that_has_non_identifier_codes() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = write(
            dir.path(),
            "dotted.toml",
            b"[[code]]\ncode = \"NET_ERR.TIMEOUT\"\ncategory = \"sdk\"\nen = \"Network timeout\"\n",
        );
        check_cases(&["--catalog", &catalog]);
        assert_eq!(
            stdin_hits(&["--catalog", &catalog], b"x NET_ERR.TIMEOUT"),
            vec![(
                3,
                "NET_ERR.TIMEOUT".to_string(),
                "NET_ERR.TIMEOUT".to_string()
            )]
        );
    }

    /// Expected hits as (byte column, code), the matched text being the code itself.
    type CodeAt = Vec<(u64, &'static str)>;

    #[test]
    fn longest_hit_at_a_position_wins_and_hits_do_not_overlap() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = write(
            dir.path(),
            "net.toml",
            "[[category]]\nid = \"net\"\nen = \"Network\"\n\n\
             [[code]]\ncode = \"NET_ERR\"\ncategory = \"net\"\nen = \"Network error\"\n\n\
             [[code]]\ncode = \"NET_ERR.TIMEOUT\"\ncategory = \"net\"\nen = \"Network timeout\"\n\n\
             [[code]]\ncode = \"K1.K2\"\ncategory = \"net\"\nen = \"k12\"\n\n\
             [[code]]\ncode = \"K2.K3\"\ncategory = \"net\"\nen = \"k23\"\n"
                .as_bytes(),
        );
        let pre = ["--no-builtin-catalog", "--catalog", catalog.as_str()];
        let cases: [(&[u8], CodeAt); 6] = [
            (b"a NET_ERR.TIMEOUT b", vec![(3, "NET_ERR.TIMEOUT")]),
            (b"NET_ERR.TIMEOUT", vec![(1, "NET_ERR.TIMEOUT")]),
            // The longer code is not a hit (identifier byte after it); the shorter one is.
            (b"NET_ERR.TIMEOUTS", vec![(1, "NET_ERR")]),
            (b"NET_ERR.X", vec![(1, "NET_ERR")]),
            // K2.K3 would overlap the first hit.
            (b"K1.K2.K3", vec![(1, "K1.K2")]),
            (b"K1.K2 K2.K3", vec![(1, "K1.K2"), (7, "K2.K3")]),
        ];
        for (input, expected) in cases {
            let expected: Vec<(u64, String, String)> = expected
                .into_iter()
                .map(|(c, code)| (c, code.to_string(), code.to_string()))
                .collect();
            assert_eq!(stdin_hits(&pre, input), expected, "{input:?}");
        }
        // Built-in codes are gone without the built-in catalog.
        assert_eq!(stdin_hits(&pre, b"SYS_ERR -502005"), vec![]);
    }

    #[test]
    fn every_numeric_alias_is_reported_under_its_string_code() {
        let mut input = String::new();
        for (number, _) in SDK_NUMERIC {
            input.push_str(&format!(
                "errCode: {number} sdk text | errMsg: x\ncallFunction:fail {number}. y\n"
            ));
        }
        let run = run_stdin(&["scan", "--format", "jsonl"], input.as_bytes());
        let hits = hit_tuples(&records(&run.stdout));
        assert_eq!(hits.len(), 2 * SDK_NUMERIC.len());
        for (i, (number, code)) in SDK_NUMERIC.iter().enumerate() {
            for (k, column) in [(0, 10), (1, 19)] {
                let hit = &hits[2 * i + k];
                assert_eq!(hit.0, (2 * i + k + 1) as u64, "line of {number}");
                assert_eq!(hit.1, column, "column of {number}");
                assert_eq!(hit.3, *code, "{number} stands for {code}");
                assert_eq!(hit.4, number.to_string());
            }
        }
    }

    #[test]
    fn every_catalog_code_is_found_in_typical_contexts() {
        let catalog = reference_catalog();
        let mut input = String::new();
        for code in &catalog {
            let c = &code.code;
            input.push_str(&format!(
                "错误码{c}，[{c}] code={c}, {{\"code\":\"{c}\"}} .../basic/{c}\n"
            ));
        }
        let run = run_stdin(&["scan", "--format", "jsonl"], input.as_bytes());
        assert_eq!(run.code, 1);
        let got = hit_tuples(&records(&run.stdout));
        let expected: Vec<HitTuple> = Reference::builtin()
            .find(input.as_bytes())
            .iter()
            .map(RefHit::tuple)
            .collect();
        assert_eq!(expected.len(), 5 * 214, "reference model sanity");
        assert_same_hits(&got, &expected, "all codes");
        for (i, code) in catalog.iter().enumerate() {
            assert!(got[5 * i..5 * i + 5].iter().all(|h| h.3 == code.code));
            assert_eq!(got[5 * i].1, 10, "{}: byte column after 错误码", code.code);
        }
    }

    #[test]
    fn fixtures_match_the_hits_read_by_hand() {
        for (path, expected) in FIXTURES {
            let run = run(&["scan", "--format", "jsonl", path]);
            assert_eq!(run.code, 1, "{path}: {}", run.stderr);
            let recs = records(&run.stdout);
            assert_eq!(hit_tuples(&recs), tuples(expected), "{path}");

            let data = read(path);
            let lines = fixture_lines(&data);
            for hit in of_type(&recs, "hit") {
                assert_eq!(hit["path"]["text"], path);
                let line = hit["line"].as_u64().unwrap() as usize;
                assert_eq!(hit["text"], lines[line - 1].as_str(), "{path}:{line}");
            }
            let sum = summary(&recs);
            assert_eq!(sum["files"], 1);
            assert_eq!(sum["bytes"], data.len() as u64);
            assert_eq!(sum["lines"], count_lines(&data));
            assert_eq!(sum["hits"], expected.len() as u64);
            assert_eq!(
                code_counts(&sum["by_code"]),
                tally(expected.iter().map(|e| e.3)),
                "{path}"
            );
        }
    }

    /// Every hit in the spinner fixture comes right after one of the sequences spinners write
    /// (all four kinds are there), and the binary finds all five.
    #[test]
    fn codes_right_after_spinner_sequences_are_found() {
        let data = read(CI_SPINNER);
        let kinds: [&[u8]; 4] = [b"\r\x1b[K", b"\x1b[2K\x1b[1G", b"\x1b[G", b"\x1b[?25h"];
        let mut seen = [false; 4];
        for (line, _, offset, _, _) in CI_SPINNER_HITS {
            let before = &data[..offset as usize];
            let kind = kinds
                .iter()
                .position(|k| before.ends_with(k))
                .unwrap_or_else(|| panic!("the hit on line {line} follows no spinner sequence"));
            seen[kind] = true;
        }
        assert_eq!(seen, [true; 4], "every kind of sequence is exercised");
        let run = run(&["scan", "--format", "jsonl", CI_SPINNER]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let found = hit_tuples(&records(&run.stdout));
        assert_eq!(found.len(), 5);
        assert_eq!(found, tuples(&CI_SPINNER_HITS));
    }

    /// The hand-read tables and the reference model agree, so the model can be trusted on
    /// inputs too large to read by hand.
    #[test]
    fn reference_model_agrees_with_the_hand_read_tables() {
        let model = Reference::builtin();
        for (path, expected) in FIXTURES {
            let found: Vec<HitTuple> = model.find(&read(path)).iter().map(RefHit::tuple).collect();
            assert_eq!(found, tuples(expected), "{path}");
        }
        for (path, codes) in FOLDER_FILES {
            let found: Vec<String> = model
                .find(&read(path))
                .into_iter()
                .map(|h| h.code)
                .collect();
            assert_eq!(found, codes.to_vec(), "{path}");
        }
        for line in String::from_utf8(read(HTTP_API)).unwrap().lines() {
            serde_json::from_str::<Value>(line).expect("the HTTP fixture is JSON lines");
        }
    }

    #[test]
    fn random_bytes_match_the_reference_model() {
        // Deterministic pseudo-random bytes with codes, aliases, SGR and spinner sequences,
        // CR/LF, NUL, invalid UTF-8 and CJK spliced in.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let catalog = reference_catalog();
        let pieces: [&[u8]; 16] = [
            b"\n",
            b"\r\n",
            b"\r",
            b"\x1b[1;31m",
            b"\x1b[0m",
            b"\x1b[2K",
            b"\x1b[?25h",
            b"\x1b[D",
            b"\x1b[2",
            b"31m",
            b"\x00",
            b"\xff\xfe",
            "错误码".as_bytes(),
            b"_",
            b"-",
            b"x",
        ];
        let mut data = Vec::new();
        while data.len() < 150_000 {
            match next() % 4 {
                0 => {
                    let code = &catalog[(next() % catalog.len() as u64) as usize];
                    if !code.numeric.is_empty() && next() % 2 == 0 {
                        data.extend_from_slice(code.numeric[0].to_string().as_bytes());
                    } else {
                        data.extend_from_slice(code.code.as_bytes());
                    }
                }
                1 => data.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]),
                _ => {
                    for _ in 0..next() % 12 {
                        data.push((next() % 256) as u8);
                    }
                }
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "random.bin", &data);
        let expected: Vec<HitTuple> = Reference::builtin()
            .find(&data)
            .iter()
            .map(RefHit::tuple)
            .collect();
        assert!(
            expected.len() > 1000,
            "enough hits to be meaningful: {}",
            expected.len()
        );
        // The reference model knows the matching rules, not the CloudBase-context rule of shared
        // names (tests/precision.rs and tests/properties.rs test that): every code counts.
        let file_run = run(&["scan", "--all-codes", "--format", "jsonl", &file]);
        assert_same_hits(&hit_tuples(&records(&file_run.stdout)), &expected, "file");
        let stdin_run = run_stdin(&["scan", "--all-codes", "--format", "jsonl"], &data);
        assert_same_hits(&hit_tuples(&records(&stdin_run.stdout)), &expected, "stdin");
        let chunked = run(&[
            "-j",
            "2",
            "scan",
            "--all-codes",
            "--format",
            "jsonl",
            "--chunk-min",
            "1",
            "--chunk-size",
            "4096",
            &file,
        ]);
        assert_same_hits(&hit_tuples(&records(&chunked.stdout)), &expected, "chunked");
        let sum = records(&file_run.stdout);
        let sum = summary(&sum);
        assert_eq!(sum["bytes"], data.len() as u64);
        assert_eq!(sum["lines"], count_lines(&data));
    }
}

// ---------------------------------------------------------------------------------------------
// Locations and awkward bytes
// ---------------------------------------------------------------------------------------------

mod locations {
    use super::*;

    #[test]
    fn crlf_lines_and_columns_and_text_without_cr() {
        let data = read(CI_ANSI);
        assert!(data.windows(2).any(|w| w == b"\r\n"), "fixture is CRLF");
        let run = run(&["scan", "--format", "jsonl", CI_ANSI]);
        let recs = records(&run.stdout);
        for hit in of_type(&recs, "hit") {
            let text = hit["text"].as_str().unwrap();
            assert!(!text.contains('\r'), "text keeps a CR: {text:?}");
            assert!(text.starts_with("\x1b[36m2026-11-21"), "{text:?}");
        }
        assert_eq!(summary(&recs)["lines"], 7);

        let input = b"a\r\nb DATABASE_TIMEOUT\r\n\r\nSYS_ERR\r\n";
        let run = run_stdin(&["scan", "--format", "jsonl"], input);
        let recs = records(&run.stdout);
        assert_eq!(
            hit_tuples(&recs),
            tuples(&[
                (2, 3, 5, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
                (4, 1, 25, "SYS_ERR", "SYS_ERR"),
            ])
        );
        let hits = of_type(&recs, "hit");
        assert_eq!(hits[0]["text"], "b DATABASE_TIMEOUT");
        assert_eq!(hits[1]["text"], "SYS_ERR");
        assert_eq!(summary(&recs)["lines"], 4);
    }

    #[test]
    fn a_lone_cr_does_not_end_a_line() {
        let run = run_stdin(&["scan", "--format", "jsonl"], b"SYS_ERR\rSYS_ERR\r");
        let recs = records(&run.stdout);
        assert_eq!(
            hit_tuples(&recs),
            tuples(&[
                (1, 1, 0, "SYS_ERR", "SYS_ERR"),
                (1, 9, 8, "SYS_ERR", "SYS_ERR")
            ])
        );
        assert_eq!(summary(&recs)["lines"], 1);
    }

    /// Invalid UTF-8, NUL, lone CR, CRLF and a last line without `\n`, from a file made at
    /// test time, through the file, stdin and chunked paths.
    #[test]
    fn invalid_utf8_nul_and_cr_are_scanned() {
        let mut data = Vec::new();
        data.extend_from_slice(b"\xff\xfe\xfdSYS_ERR\x00-502005\x00tail\n"); // 24 bytes
        data.extend_from_slice(b"bad \xc3( DATABASE_TIMEOUT\xc3\r\n"); // 26 bytes
        data.extend_from_slice(b"\x00\x00\x00\n"); // 4 bytes
        data.extend_from_slice(b"cr\rAUTH_LOGIN_FAILED\rmore"); // no final newline
        let expected = tuples(&[
            (1, 4, 3, "SYS_ERR", "SYS_ERR"),
            (1, 12, 11, "DATABASE_COLLECTION_NOT_EXIST", "-502005"),
            (2, 8, 31, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            (4, 4, 57, "AUTH_LOGIN_FAILED", "AUTH_LOGIN_FAILED"),
        ]);
        let model: Vec<HitTuple> = Reference::builtin()
            .find(&data)
            .iter()
            .map(RefHit::tuple)
            .collect();
        assert_eq!(model, expected, "hand count vs model");

        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "binary.log", &data);
        let runs = [
            run(&["scan", "--format", "jsonl", &file]),
            run_stdin(&["scan", "--format", "jsonl", "-"], &data),
            run(&[
                "scan",
                "--format",
                "jsonl",
                // The whole file as one chunk: read at offsets rather than as a stream.
                "--chunk-min",
                "1",
                "--chunk-size",
                "4096",
                &file,
            ]),
        ];
        for r in &runs {
            assert_eq!(r.code, 1, "{}", r.stderr);
            let recs = records(&r.stdout);
            assert_eq!(hit_tuples(&recs), expected);
            let first = of_type(&recs, "hit")[0]["text"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(
                first.contains('\u{fffd}'),
                "invalid bytes shown as U+FFFD: {first:?}"
            );
            assert!(
                first.contains("SYS_ERR") && first.contains("tail"),
                "{first:?}"
            );
            let sum = summary(&recs);
            assert_eq!(sum["bytes"], data.len() as u64);
            assert_eq!(sum["lines"], 4);
        }

        let human = run(&["scan", "--color", "never", &file]);
        assert_eq!(human.code, 1);
        assert_no_raw_controls(&human.stdout);
        assert!(human
            .out()
            .contains(&format!("{file}:4:4: AUTH_LOGIN_FAILED")));
    }

    #[test]
    fn empty_input_and_a_last_line_without_newline() {
        let empty = run_stdin(&["scan", "--format", "jsonl"], b"");
        assert_eq!(empty.code, 0);
        let recs = records(&empty.stdout);
        let kinds: Vec<&str> = recs.iter().map(|r| r["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["begin", "end", "summary"]);
        assert_eq!(
            (recs[1]["complete"].as_bool(), recs[1]["hits"].as_u64()),
            (Some(true), Some(0))
        );
        let sum = summary(&recs);
        assert_eq!(
            (
                sum["files"].as_u64(),
                sum["lines"].as_u64(),
                sum["hits"].as_u64()
            ),
            (Some(1), Some(0), Some(0))
        );

        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "empty.log", b"");
        let recs = records(&run(&["scan", "--format", "jsonl", "--chunk-min", "0", &file]).stdout);
        assert_eq!(summary(&recs)["lines"], 0);

        let recs = records(&run_stdin(&["scan", "--format", "jsonl"], b"one\ntwo SYS_ERR").stdout);
        assert_eq!(
            hit_tuples(&recs),
            tuples(&[(2, 5, 8, "SYS_ERR", "SYS_ERR")])
        );
        assert_eq!(summary(&recs)["lines"], 2);
    }

    /// One line of about 700 KB (longer than any read block) with hits all along it.
    #[test]
    fn very_long_lines() {
        let mut data = Vec::new();
        let seps: [&[u8]; 5] = [b" ", b"\x1b[31m", "错".as_bytes(), b"\"", b"x"];
        let codes = [
            "DATABASE_TIMEOUT",
            "-502005",
            "SYS_ERR",
            "APIs_GET_OPENAPI_SCHEMA_ERROR",
        ];
        let mut i = 0usize;
        while data.len() < 700_000 {
            let filler = 300 + (i * 7919) % 1500;
            data.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, filler));
            data.push(b' ');
            data.extend_from_slice(seps[i % seps.len()]);
            data.extend_from_slice(codes[i % codes.len()].as_bytes());
            data.extend_from_slice(if i.is_multiple_of(3) { b"," } else { b" " });
            i += 1;
        }
        data.extend_from_slice(b"\ntail SYS_ERR\n");
        let model = Reference::builtin().find(&data);
        let expected: Vec<HitTuple> = model.iter().map(RefHit::tuple).collect();
        assert!(expected.len() > 500);
        assert!(
            expected[expected.len() - 2].1 > 600_000,
            "columns grow along the line"
        );

        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "long.log", &data);
        let runs = [
            run(&["scan", "--format", "jsonl", &file]),
            run_stdin(&["scan", "--format", "jsonl"], &data),
            run(&[
                "scan",
                "--format",
                "jsonl",
                "--chunk-min",
                "1",
                "--chunk-size",
                "4096",
                &file,
            ]),
        ];
        for r in &runs {
            let recs = records(&r.stdout);
            assert_same_hits(&hit_tuples(&recs), &expected, "long line");
            for (record, hit) in of_type(&recs, "hit").into_iter().zip(&model) {
                assert_text_fits(record["text"].as_str().unwrap(), hit);
            }
            assert_eq!(summary(&recs)["lines"], 2);
        }
        let human = run(&["scan", "--color", "never", "--no-summary", &file]);
        assert_eq!(human.code, 1);
        let out = human.out();
        let longest = out.lines().map(str::len).max().unwrap();
        assert!(
            longest < 10_000,
            "the human report shortens long lines ({longest} bytes)"
        );
    }

    /// More hits than one batch of results: line numbers must keep counting.
    #[test]
    fn many_hits_keep_their_line_numbers() {
        let mut data = Vec::new();
        for _ in 0..10_000 {
            data.extend_from_slice(b"x SYS_ERR y\n");
        }
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "many.log", &data);
        let runs = [
            run_stdin(&["scan", "--format", "jsonl"], &data),
            run(&["scan", "--format", "jsonl", &file]),
            run(&[
                "scan",
                "--format",
                "jsonl",
                "--chunk-min",
                "1",
                "--chunk-size",
                "4096",
                &file,
            ]),
        ];
        for r in &runs {
            let recs = records(&r.stdout);
            let hits = hit_tuples(&recs);
            assert_eq!(hits.len(), 10_000);
            for (k, hit) in hits.iter().enumerate() {
                assert_eq!(
                    (hit.0, hit.1, hit.2),
                    (k as u64 + 1, 3, 12 * k as u64 + 2),
                    "hit #{k}"
                );
            }
            assert_eq!(summary(&recs)["lines"], 10_000);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Determinism: threads, chunk sizes, stdin
// ---------------------------------------------------------------------------------------------

mod determinism {
    use super::*;

    fn concatenated() -> Vec<u8> {
        let mut one = Vec::new();
        for (path, _) in FIXTURES {
            one.extend_from_slice(&read(path));
        }
        one.repeat(40)
    }

    #[test]
    fn output_is_identical_for_any_chunk_size_thread_count_and_stdin() {
        let data = concatenated();
        assert!(data.len() > 256 * 1024, "bigger than one read block");
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "big.log", &data);
        let in_dir = |args: &[&str], stdin: Option<&[u8]>| {
            let r = run_with(Some(dir.path()), args, stdin, &[]);
            assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
            jsonl_text(&r.stdout).replace(
                "\"path\":{\"text\":\"<stdin>\"}",
                "\"path\":{\"text\":\"big.log\"}",
            )
        };
        let reference = in_dir(&["scan", "--format", "jsonl", "big.log"], None);

        let model: Vec<HitTuple> = Reference::builtin()
            .find(&data)
            .iter()
            .map(RefHit::tuple)
            .collect();
        let recs = records(reference.as_bytes());
        assert_same_hits(&hit_tuples(&recs), &model, "big.log");
        let sum = summary(&recs);
        assert_eq!(sum["lines"], count_lines(&data));
        assert_eq!(sum["bytes"], data.len() as u64);

        // The smallest chunk the command line takes, an odd size, and one read block.
        for chunk in ["4096", "5003", "262144"] {
            for threads in ["1", "2"] {
                let got = in_dir(
                    &[
                        "-j",
                        threads,
                        "scan",
                        "--format",
                        "jsonl",
                        "--chunk-min",
                        "1",
                        "--chunk-size",
                        chunk,
                        "big.log",
                    ],
                    None,
                );
                assert!(got == reference, "chunk {chunk}, -j {threads} differs");
            }
        }
        for args in [
            &["scan", "--format", "jsonl"][..],
            &["scan", "-j", "1", "--format", "jsonl", "-"][..],
            &["-j", "2", "scan", "--format", "jsonl", "-"][..],
        ] {
            assert!(
                in_dir(args, Some(&data)) == reference,
                "stdin {args:?} differs"
            );
        }
    }

    #[test]
    fn human_output_is_identical_too() {
        let data = concatenated();
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "big.log", &data);
        let in_dir = |args: &[&str], stdin: Option<&[u8]>| {
            let r = run_with(Some(dir.path()), args, stdin, &[]);
            r.out().replace("<stdin>:", "big.log:")
        };
        let reference = in_dir(
            &["scan", "--color", "never", "--no-summary", "big.log"],
            None,
        );
        assert!(reference.starts_with("big.log:3:48: DATABASE_COLLECTION_NOT_EXIST"));
        for (threads, chunk) in [("1", "4096"), ("2", "5003"), ("2", "65536")] {
            let got = in_dir(
                &[
                    "scan",
                    "-j",
                    threads,
                    "--color",
                    "never",
                    "--no-summary",
                    "--chunk-min",
                    "1",
                    "--chunk-size",
                    chunk,
                    "big.log",
                ],
                None,
            );
            assert!(got == reference, "chunk {chunk}, -j {threads} differs");
        }
        let got = in_dir(&["scan", "--color", "never", "--no-summary"], Some(&data));
        assert!(got == reference, "stdin differs");
    }

    #[test]
    fn threads_flag_is_global() {
        let expected = jsonl_text(&run(&["scan", "--format", "jsonl", CLOUDFUNCTION]).stdout);
        for args in [
            &["-j", "1", "scan", "--format", "jsonl", CLOUDFUNCTION][..],
            &["scan", "-j", "1", "--format", "jsonl", CLOUDFUNCTION][..],
            &["scan", "--format", "jsonl", CLOUDFUNCTION, "--threads", "2"][..],
        ] {
            let r = run(args);
            assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
            assert_eq!(jsonl_text(&r.stdout), expected, "{args:?}");
        }
    }

    /// The cap itself is checked by `tests/threads.rs`, which counts the threads; this checks
    /// that a capped run gives the same output.
    #[test]
    fn absurd_thread_counts_give_the_same_output() {
        for target in ["fixtures", "big.log"] {
            let data = concatenated();
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), "big.log", &data);
            let target = if target == "big.log" {
                dir.path().join(target).display().to_string()
            } else {
                target.to_string()
            };
            let base = [
                "scan",
                "--format",
                "jsonl",
                "--chunk-min",
                "1",
                "--chunk-size",
                "4096",
                &target,
            ];
            let expected = jsonl_text(&run(&base).stdout);
            let mut args = vec!["-j", "100000"];
            args.extend(base);
            let r = run(&args);
            assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
            assert_eq!(jsonl_text(&r.stdout), expected, "{args:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Human report
// ---------------------------------------------------------------------------------------------

/// No raw control characters other than newline and tab.
fn assert_no_raw_controls(out: &[u8]) {
    for (i, &b) in out.iter().enumerate() {
        assert!(
            b == b'\n' || b == b'\t' || (b >= 0x20 && b != 0x7f),
            "raw control byte {b:#04x} at {i}: {:?}",
            String::from_utf8_lossy(&out[i.saturating_sub(40)..(i + 40).min(out.len())])
        );
    }
}

mod human {
    use super::*;

    fn header_re() -> Regex {
        Regex::new(r"^(\S.*?):(\d+):(\d+): (\S+)").unwrap()
    }

    /// The catalog as `codes --format jsonl` lists it, by code (for meanings).
    fn listed() -> BTreeMap<String, Value> {
        records(&run(&["codes", "--format", "jsonl"]).stdout)
            .into_iter()
            .map(|r| (r["code"].as_str().unwrap().to_string(), r))
            .collect()
    }

    /// Counts in a summary section (`By category` / `By code`): name → count.
    fn section(out: &str, heading: &str) -> BTreeMap<String, u64> {
        // `  COUNT  [on N lines]  NAME …`
        let row = Regex::new(r"^\s+([\d,]+)\s+(?:on [\d,]+ lines?\s+)?(\S+)").unwrap();
        out.lines()
            .skip_while(|l| l.trim() != heading)
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .map(|l| {
                let caps = row.captures(l).unwrap_or_else(|| panic!("row {l:?}"));
                (
                    caps[2].to_string(),
                    caps[1].replace(',', "").parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn hit_blocks_name_location_code_category_meanings_and_the_line() {
        let run = run(&["scan", "--color", "never", CLOUDFUNCTION]);
        assert_eq!(run.code, 1);
        let out = run.out();
        let lines: Vec<&str> = out.lines().collect();
        let re = header_re();
        let headers: Vec<usize> = (0..lines.len())
            .filter(|&i| re.is_match(lines[i]))
            .collect();
        assert_eq!(headers.len(), CLOUDFUNCTION_HITS.len());
        let catalog = listed();
        let mut explained = std::collections::HashSet::new();
        for (&i, &(line, column, _, code, matched)) in headers.iter().zip(&CLOUDFUNCTION_HITS) {
            let header = lines[i];
            let prefix = format!("{CLOUDFUNCTION}:{line}:{column}: {code}");
            assert!(header.starts_with(&prefix), "{header:?} vs {prefix:?}");
            // Not a terminal: nothing is cut; the category is in the summary.
            let entry = &catalog[code];
            assert!(header.contains(entry["zh"].as_str().unwrap()), "{header}");
            assert!(header.contains(entry["en"].as_str().unwrap()), "{header}");
            assert_eq!(
                header.contains("[generic]"),
                entry["generic"] == true,
                "{header}"
            );
            if matched != code {
                assert!(header.contains(&format!("(as {matched})")), "{header}");
            }
            explained.insert(code);
            let shown = lines[i + 1];
            assert!(
                shown.starts_with(char::is_whitespace),
                "indented: {shown:?}"
            );
            assert!(shown.contains(matched), "{shown:?} shows {matched}");
        }
    }

    #[test]
    fn summary_counts_files_lines_hits_categories_and_codes() {
        let run = run(&["scan", "--color", "never", CLOUDFUNCTION]);
        let out = run.out();
        // 15 hits on the 9 distinct lines the hand-read list names.
        let lines: std::collections::BTreeSet<u64> =
            CLOUDFUNCTION_HITS.iter().map(|e| e.0).collect();
        assert_eq!(lines.len(), 9);
        let scanned =
            Regex::new(r"(?m)^Scanned 1 files?, 20 lines, .*: 15 hits on 9 lines$").unwrap();
        assert!(scanned.is_match(&out), "{out}");
        // Where a code has more hits than lines, the row says so.
        let row = Regex::new(r"(?m)^\s+3  on 2 lines\s+DATABASE_COLLECTION_NOT_EXIST\s").unwrap();
        assert!(row.is_match(&out), "{out}");
        let row = Regex::new(r"(?m)^\s+2\s+DATABASE_TIMEOUT\s").unwrap();
        assert!(row.is_match(&out), "2 hits on 2 lines: no note: {out}");
        let categories = category_of();
        let by_code = tally(CLOUDFUNCTION_HITS.iter().map(|e| e.3));
        let by_category = tally(CLOUDFUNCTION_HITS.iter().map(|e| categories[e.3].as_str()));
        assert_eq!(section(&out, "By code"), by_code);
        assert_eq!(section(&out, "By category"), by_category);

        let two = run_with(
            None,
            &["scan", "--color", "never", CI_ANSI, MINIPROGRAM],
            None,
            &[],
        )
        .out();
        let scanned =
            Regex::new(r"(?m)^Scanned 2 files, 13 lines, .*: 14 hits( on \d+ lines)?$").unwrap();
        assert!(scanned.is_match(&two), "{two}");
    }

    #[test]
    fn generic_codes_get_one_line_each_naming_the_codes_in_their_requests() {
        let out = run(&["scan", "--color", "never", CLOUDFUNCTION]).out();
        let warnings: Vec<&str> = out.lines().filter(|l| l.starts_with("warning:")).collect();
        // Each generic code seen, with its count (SYS_ERR 2, FUNCTIONS_EXECUTE_FAIL 2,
        // DATABASE_REQUEST_FAILED 1; STORAGE_REQUEST_FAIL was not seen), one line each; ties
        // in catalog order, where SYS_ERR's category (general) comes first.
        assert_eq!(warnings.len(), 3, "{out}");
        for (line, (code, count)) in warnings.iter().zip([
            ("SYS_ERR", 2),
            ("FUNCTIONS_EXECUTE_FAIL", 2),
            ("DATABASE_REQUEST_FAILED", 1),
        ]) {
            assert!(
                line.contains(&format!("generic {code} ({count} hit")),
                "{line}"
            );
            assert!(line.ends_with(&format!("cbscan explain {code}")), "{line}");
        }
        // Line 9 (request a81b7f02…) holds FUNCTIONS_EXECUTE_FAIL, -502001
        // (DATABASE_REQUEST_FAILED) and DATABASE_TIMEOUT; SYS_ERR's line 18 is in no request
        // and holds no specific code. Codes of other requests (DATABASE_COLLECTION_NOT_EXIST,
        // request 3f1c2a9e…) are not named.
        assert!(
            warnings[1].contains("in 1 request or event: 1 with DATABASE_TIMEOUT"),
            "{}",
            warnings[1]
        );
        assert!(
            !warnings[1].contains("DATABASE_COLLECTION_NOT_EXIST"),
            "{}",
            warnings[1]
        );
        assert!(
            warnings[0].contains("in 1 request or event: 1 with nothing more specific"),
            "{}",
            warnings[0]
        );
        assert!(
            warnings[2].contains("in 1 request or event: 1 with DATABASE_TIMEOUT"),
            "{}",
            warnings[2]
        );
        // A summary-only run keeps no hits to group: the same lines stand in, and say so.
        let quiet = run(&["scan", "--color", "never", "--summary-only", CLOUDFUNCTION]).out();
        let warnings: Vec<&str> = quiet
            .lines()
            .filter(|l| l.starts_with("warning:"))
            .collect();
        assert!(
            warnings[1].contains("hides DATABASE_TIMEOUT (1 line)"),
            "{quiet}"
        );
        assert!(
            warnings[0].contains("no specific code reported on its lines"),
            "{quiet}"
        );
        // The full text is explain's.
        assert!(!out.contains(&page_generic_note()), "{out}");
        let explained = run(&["explain", "FUNCTIONS_EXECUTE_FAIL"]).out();
        assert!(explained.contains(&page_generic_note()), "{explained}");

        let clean = run(&["scan", "--color", "never", CI_ANSI]).out();
        assert!(
            !clean.contains("warning"),
            "no generic code, no warning: {clean}"
        );
    }

    #[test]
    fn color_never_and_piped_auto_have_no_escape_bytes() {
        for args in [
            &["scan", "--color", "never", CLOUDFUNCTION, CI_ANSI][..],
            &["scan", CLOUDFUNCTION, CI_ANSI][..],
            &["scan", "--color", "auto", CLOUDFUNCTION, CI_ANSI][..],
        ] {
            let r = run(args);
            assert_eq!(r.code, 1);
            assert!(!r.stdout.contains(&0x1b), "{args:?} wrote an ESC byte");
            assert!(r.out().contains("FUNCTION_PARAM_INVALID"));
        }
        // Piped output is plain anyway; NO_COLOR must also win over CLICOLOR_FORCE.
        let r = run_with(
            None,
            &["scan", CLOUDFUNCTION],
            None,
            &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
        );
        assert!(!r.stdout.contains(&0x1b), "NO_COLOR did not win");
    }

    #[test]
    fn color_always_colours_piped_output() {
        let r = run(&["scan", "--color", "always", CLOUDFUNCTION]);
        assert_eq!(r.code, 1);
        assert!(
            r.stdout.windows(2).any(|w| w == b"\x1b["),
            "--color always wrote no ANSI sequence"
        );
    }

    #[test]
    fn clicolor_force_colours_auto_output() {
        let r = run_with(
            None,
            &["scan", CLOUDFUNCTION],
            None,
            &[("CLICOLOR_FORCE", "1")],
        );
        assert_eq!(r.code, 1);
        assert!(
            r.stdout.windows(2).any(|w| w == b"\x1b["),
            "CLICOLOR_FORCE=1 wrote no colour"
        );
    }

    #[test]
    fn control_characters_in_logs_are_made_visible() {
        let input = b"before \x1b[2J\x1b[H SYS_ERR after\x07\x08 \x00 x\rDATABASE_TIMEOUT\x7f\n";
        let r = run_stdin(&["scan", "--color", "never"], input);
        assert_eq!(r.code, 1);
        assert_no_raw_controls(&r.stdout);
        let out = r.out();
        assert!(
            out.contains("[2J"),
            "the sequence is shown, not dropped: {out}"
        );
        assert!(out.contains("<stdin>:1:16: SYS_ERR"), "{out}");
        assert!(out.contains("<stdin>:1:36: DATABASE_TIMEOUT"), "{out}");

        // The ANSI fixture's own sequences never reach the terminal raw, whatever the colour.
        let r = run(&["scan", "--color", "never", CI_ANSI]);
        assert_no_raw_controls(&r.stdout);
        let r = run(&["scan", "--color", "always", CI_ANSI]);
        let out = r.out();
        assert!(
            !out.contains("\x1b[36m2026-11-21"),
            "raw log escape sequence in output"
        );
        assert!(out.contains("2026-11-21 10:02:14"));
    }

    #[test]
    fn summary_only_no_summary_and_quiet() {
        let re = Regex::new(r"(?m)^\S.*:\d+:\d+: [A-Za-z_]").unwrap();

        let r = run(&["scan", "--color", "never", "--summary-only", CLOUDFUNCTION]);
        assert_eq!(r.code, 1);
        assert!(
            !re.is_match(&r.out()),
            "no hits with --summary-only: {}",
            r.out()
        );
        assert!(r.out().contains("Scanned 1 file"));
        assert!(r.out().contains("By code"));
        let short = run(&["scan", "--color", "never", "-s", CLOUDFUNCTION]);
        assert_eq!(short.out().lines().count(), r.out().lines().count());

        let r = run(&["scan", "--color", "never", "--no-summary", CLOUDFUNCTION]);
        assert_eq!(r.code, 1);
        assert_eq!(re.find_iter(&r.out()).count(), 15);
        assert!(!r.out().contains("Scanned"));
        assert!(!r.out().contains("By code"));

        for quiet in ["-q", "--quiet"] {
            let r = run(&["scan", quiet, CLOUDFUNCTION]);
            assert_eq!(r.code, 1);
            assert!(r.stdout.is_empty(), "{quiet} printed {:?}", r.out());
            let r = run(&["scan", quiet, "--format", "jsonl", CLOUDFUNCTION]);
            assert!(r.stdout.is_empty());
            let r = run_stdin(&["scan", quiet], b"nothing here\n");
            assert_eq!(r.code, 0);
            assert!(r.stdout.is_empty());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON lines
// ---------------------------------------------------------------------------------------------

mod jsonl {
    use super::*;

    fn keys(value: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = value
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    fn sorted<'a>(names: &[&'a str]) -> Vec<&'a str> {
        let mut names = names.to_vec();
        names.sort_unstable();
        names
    }

    /// `{"CODE": {"category":…,"generic":…,"hits":N,"lines":M}}` → hits per code, checking
    /// the shape of each entry.
    fn code_hits(object: &Value) -> BTreeMap<String, u64> {
        object
            .as_object()
            .expect("an object of codes")
            .iter()
            .map(|(code, entry)| {
                assert_eq!(
                    keys(entry),
                    ["category", "generic", "hits", "lines"],
                    "{code}"
                );
                let (hits, lines) = (
                    entry["hits"].as_u64().unwrap(),
                    entry["lines"].as_u64().unwrap(),
                );
                assert!(
                    1 <= lines && lines <= hits,
                    "{code}: {lines} lines, {hits} hits"
                );
                (code.clone(), hits)
            })
            .collect()
    }

    #[test]
    fn records_have_exactly_the_documented_fields_and_types() {
        let r = run(&[
            "scan",
            "--format",
            "jsonl",
            CLOUDFUNCTION,
            "fixtures/no-such-file.log",
            CI_ANSI,
            MINIPROGRAM,
        ]);
        assert_eq!(r.code, 2);
        let recs = records(&r.stdout);
        let catalog = reference_catalog();
        let mut generic_seen = 0;
        // Per input: begin, its hits, an error if it failed, end.
        let mut open: Option<String> = None;
        let mut hits_of_open = 0;
        let mut ends = 0;
        for rec in &recs {
            let kind = rec["type"].as_str().expect("every record has a type");
            if kind != "summary" {
                assert_eq!(keys(&rec["path"]), ["text"], "{rec}");
            }
            let path = rec["path"]["text"].as_str().unwrap_or_default().to_string();
            match kind {
                "begin" => {
                    // An input the scan could not open has no path: `"file":false` says so.
                    if path == "fixtures/no-such-file.log" {
                        assert_eq!(
                            keys(rec),
                            sorted(&["type", "schema", "path", "catalog", "file"])
                        );
                        assert_eq!(rec["file"], false);
                    } else {
                        assert_eq!(keys(rec), sorted(&["type", "schema", "path", "catalog"]));
                    }
                    // The catalog's fingerprint: 16 hex digits.
                    let fingerprint = rec["catalog"].as_str().expect("a string");
                    assert!(
                        fingerprint.len() == 16
                            && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()),
                        "{fingerprint}"
                    );
                    assert_eq!(rec["schema"], 2);
                    assert!(open.is_none(), "begin inside another input");
                    open = Some(path);
                    hits_of_open = 0;
                }
                "hit" => {
                    // What `cbscan report` needs to rebuild the exact hit, only where the rest
                    // does not imply it (none of these fixtures cuts a line before a hit).
                    let exact = ["event", "hit_at", "chars_before", "cut_before", "cut_after"];
                    for field in exact {
                        let value = &rec[field];
                        assert!(
                            value.is_null()
                                || value.is_u64()
                                || (value == &Value::Bool(true) && field.starts_with("cut_")),
                            "{field}: {rec}"
                        );
                    }
                    let mut fields = keys(rec);
                    fields.retain(|k| !exact.contains(k));
                    assert_eq!(
                        fields,
                        sorted(&[
                            "type",
                            "path",
                            "line",
                            "column",
                            "byte_offset",
                            "code",
                            "matched",
                            "category",
                            "generic",
                            "meaning",
                            "text",
                            "timestamp",
                            "time_zone_known",
                            "time_inherited",
                            "request_id",
                        ])
                    );
                    assert_eq!(
                        open.as_deref(),
                        Some(path.as_str()),
                        "a hit between begin and end"
                    );
                    // A timestamp comes with its two flags; without one, all three are null.
                    if rec["timestamp"].is_null() {
                        assert!(
                            rec["time_zone_known"].is_null() && rec["time_inherited"].is_null()
                        );
                    } else {
                        assert!(rec["timestamp"].is_string(), "{rec}");
                        assert!(
                            rec["time_zone_known"].is_boolean()
                                && rec["time_inherited"].is_boolean()
                        );
                    }
                    assert!(rec["request_id"].is_null() || rec["request_id"].is_string());
                    hits_of_open += 1;
                    assert!(rec["text"].is_string());
                    assert!(rec["line"].as_u64().unwrap() >= 1);
                    assert!(rec["column"].as_u64().unwrap() >= 1);
                    assert!(rec["byte_offset"].is_u64());
                    assert_eq!(keys(&rec["meaning"]), ["en", "zh"]);
                    assert!(rec["meaning"]["zh"].is_string() && rec["meaning"]["en"].is_string());
                    let code = rec["code"].as_str().unwrap();
                    let entry = catalog
                        .iter()
                        .find(|c| c.code == code)
                        .expect("a known code");
                    assert_eq!(rec["category"], entry.category.as_str());
                    assert_eq!(rec["generic"], entry.generic);
                    if let Some(zh) = &entry.page_zh {
                        assert_eq!(rec["meaning"]["zh"], zh.as_str(), "{code}");
                    }
                    let matched = rec["matched"].as_str().unwrap();
                    assert!(
                        matched == code || entry.numeric.iter().any(|n| n.to_string() == matched),
                        "{matched} is {code} or one of its aliases"
                    );
                    generic_seen += u64::from(entry.generic);
                }
                "error" => {
                    assert_eq!(keys(rec), sorted(&["type", "path", "message"]));
                    assert_eq!(path, "fixtures/no-such-file.log");
                    assert_eq!(open.as_deref(), Some(path.as_str()));
                    assert!(!rec["message"].as_str().unwrap().is_empty());
                }
                "end" => {
                    let mut expected = vec![
                        "type",
                        "path",
                        "complete",
                        "bytes",
                        "lines",
                        "hits",
                        "lines_with_hits",
                        "by_code",
                    ];
                    if path == "fixtures/no-such-file.log" {
                        expected.push("error");
                        assert_eq!(rec["complete"], false);
                    } else {
                        assert_eq!(rec["complete"], true);
                        assert_eq!(rec["bytes"], read(&path).len() as u64);
                    }
                    assert_eq!(keys(rec), sorted(&expected));
                    assert_eq!(open.take().as_deref(), Some(path.as_str()));
                    assert_eq!(rec["hits"], hits_of_open, "{path}");
                    let per_code: u64 = code_hits(&rec["by_code"]).values().sum();
                    assert_eq!(per_code, hits_of_open);
                    ends += 1;
                }
                "unknown" => {
                    // A code not in the catalog (which ones depends on the catalog: see
                    // tests/unknown.rs), reported at its input's end.
                    assert_eq!(
                        keys(rec),
                        sorted(&["type", "path", "line", "column", "code", "count", "text"])
                    );
                    assert_eq!(open.as_deref(), Some(path.as_str()), "inside its input");
                    for field in ["line", "column", "count"] {
                        assert!(rec[field].as_u64().is_some_and(|n| n > 0), "{field}: {rec}");
                    }
                    assert!(rec["code"].is_string() && rec["text"].is_string(), "{rec}");
                }
                "summary" => {
                    let mut fields = keys(rec);
                    // Present only when codes not in the catalog were seen.
                    fields.retain(|k| *k != "unknown");
                    assert_eq!(
                        fields,
                        sorted(&[
                            "type",
                            "catalog",
                            "schema",
                            "files",
                            "bytes",
                            "lines",
                            "hits",
                            "lines_with_hits",
                            "by_category",
                            "by_code",
                            "together",
                            "hidden",
                            "generic",
                            "generic_hits",
                            "errors",
                            "levels",
                            "fails",
                            "seen",
                            "timeline",
                        ])
                    );
                    // These fixtures have timestamps: each code seen has a first and last
                    // seen, and only codes with hits do.
                    for (code, seen) in rec["seen"].as_object().expect("seen") {
                        assert!(rec["by_code"].get(code).is_some(), "{code}");
                        for end in ["first", "last"] {
                            assert_eq!(
                                keys(&seen[end]),
                                sorted(&["timestamp", "time_zone_known", "path", "line"])
                            );
                        }
                    }
                    // Hits were kept, so they were grouped (issue 10 §3).
                    assert_eq!(
                        keys(&rec["hidden"]),
                        sorted(&[
                            "request_groups",
                            "event_groups",
                            "closed_early",
                            "by_generic"
                        ])
                    );
                    // The default policy fails on any hit: every code seen is an error.
                    assert_eq!(rec["fails"], true);
                    let levels = rec["levels"].as_object().unwrap();
                    assert_eq!(
                        levels.keys().collect::<Vec<_>>(),
                        rec["by_code"]
                            .as_object()
                            .unwrap()
                            .keys()
                            .collect::<Vec<_>>()
                    );
                    assert!(levels.values().all(|l| l == "error"), "{levels:?}");
                    for field in [
                        "files",
                        "bytes",
                        "lines",
                        "hits",
                        "lines_with_hits",
                        "generic_hits",
                        "errors",
                    ] {
                        assert!(rec[field].is_u64(), "{field} is a count");
                    }
                    json_counts(&rec["by_category"]);
                    code_hits(&rec["by_code"]);
                }
                other => panic!("unexpected record type {other}"),
            }
        }
        assert_eq!(ends, 4, "one end record per input");
        let sum = summary(&recs);
        let hits = of_type(&recs, "hit");
        // The timeline counts every hit with a time under its category, in buckets on the
        // grid of its width, in time order.
        let mut timed: BTreeMap<String, u64> = BTreeMap::new();
        for hit in hits.iter().filter(|h| !h["timestamp"].is_null()) {
            *timed
                .entry(hit["category"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        let timeline = &sum["timeline"];
        assert_eq!(
            keys(timeline),
            sorted(&["width_seconds", "local", "buckets"])
        );
        let width = timeline["width_seconds"].as_i64().unwrap();
        let mut in_timeline: BTreeMap<String, u64> = BTreeMap::new();
        let mut previous = None;
        for bucket in timeline["buckets"].as_array().unwrap() {
            assert_eq!(keys(bucket), sorted(&["start", "hits"]));
            let start: jiff::Timestamp = bucket["start"].as_str().unwrap().parse().unwrap();
            assert_eq!(start.as_second() % width, 0, "{bucket}");
            assert!(previous < Some(start), "in time order: {bucket}");
            previous = Some(start);
            for (category, n) in bucket["hits"].as_object().unwrap() {
                *in_timeline.entry(category.clone()).or_default() += n.as_u64().unwrap();
            }
        }
        assert!(timed.values().sum::<u64>() > 10, "{timed:?}");
        assert_eq!(in_timeline, timed);
        assert_eq!(hits.len(), 15 + 4 + MINIPROGRAM_HITS.len());
        assert_eq!(sum["hits"], hits.len() as u64);
        assert_eq!(sum["files"], 3);
        assert_eq!(sum["errors"], 1);
        assert_eq!(of_type(&recs, "error").len(), 1);
        assert_eq!(sum["lines"], 20 + 7 + 6);
        let bytes: u64 = [CLOUDFUNCTION, CI_ANSI, MINIPROGRAM]
            .iter()
            .map(|p| read(p).len() as u64)
            .sum();
        assert_eq!(sum["bytes"], bytes);
        assert_eq!(sum["generic_hits"], generic_seen);
        // cloudfunction: FUNCTIONS_EXECUTE_FAIL 2, SYS_ERR 2, DATABASE_REQUEST_FAILED 1;
        // mini-program: the -404011 wrapper and -504002 (FUNCTIONS_EXECUTE_FAIL).
        assert_eq!(generic_seen, 7);
        let by_code = code_hits(&sum["by_code"]);
        assert_eq!(
            by_code,
            tally(hits.iter().map(|h| h["code"].as_str().unwrap()))
        );
        let by_category = json_counts(&sum["by_category"]);
        assert_eq!(
            by_category,
            tally(hits.iter().map(|h| h["category"].as_str().unwrap()))
        );
        // Lines with hits: distinct (path, line) pairs of the hits, per code and in total.
        let mut lines = std::collections::BTreeSet::new();
        for hit in &hits {
            lines.insert((
                hit["path"]["text"].as_str().unwrap(),
                hit["line"].as_u64().unwrap(),
            ));
        }
        assert_eq!(sum["lines_with_hits"], lines.len() as u64);
        for (code, entry) in sum["by_code"].as_object().unwrap() {
            let mut code_lines = std::collections::BTreeSet::new();
            for hit in hits.iter().filter(|h| h["code"] == code.as_str()) {
                code_lines.insert((
                    hit["path"]["text"].as_str().unwrap(),
                    hit["line"].as_u64().unwrap(),
                ));
            }
            assert_eq!(entry["lines"], code_lines.len() as u64, "{code}");
        }
    }

    #[test]
    fn summary_only_no_summary_and_quiet() {
        let r = run(&[
            "scan",
            "--format",
            "jsonl",
            "--summary-only",
            CLOUDFUNCTION,
            "fixtures/nope.log",
        ]);
        assert_eq!(r.code, 2);
        let recs = records(&r.stdout);
        assert_eq!(recs.len(), 1, "only the summary line");
        assert_eq!(recs[0]["type"], "summary");
        assert_eq!(recs[0]["hits"], 15);
        assert_eq!(recs[0]["errors"], 1);

        let r = run(&["scan", "--format", "jsonl", "--no-summary", CLOUDFUNCTION]);
        let recs = records(&r.stdout);
        assert_eq!(recs.len(), 1 + 15 + 1);
        assert_eq!(of_type(&recs, "hit").len(), 15);
        assert_eq!(
            (recs[0]["type"].as_str(), recs[16]["type"].as_str()),
            (Some("begin"), Some("end"))
        );
    }

    #[test]
    fn unreadable_inputs_are_reported_in_place_and_the_rest_is_scanned() {
        let r = run(&[
            "scan",
            "--format",
            "jsonl",
            CI_ANSI,
            "does/not/exist.log",
            MINIPROGRAM,
        ]);
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("does/not/exist.log"), "{}", r.stderr);
        // Records of codes not in the catalog depend on the catalog (tests/unknown.rs).
        let recs: Vec<Value> = records(&r.stdout)
            .into_iter()
            .filter(|r| r["type"] != "unknown")
            .collect();
        let kinds: Vec<&str> = recs.iter().map(|r| r["type"].as_str().unwrap()).collect();
        let mut expected = vec!["begin"];
        expected.extend(vec!["hit"; 4]);
        expected.extend(["end", "begin", "error", "end", "begin"]);
        expected.extend(vec!["hit"; MINIPROGRAM_HITS.len()]);
        expected.extend(["end", "summary"]);
        assert_eq!(kinds, expected);
        let paths: Vec<&str> = recs[..recs.len() - 1]
            .iter()
            .map(|r| r["path"]["text"].as_str().unwrap())
            .collect();
        assert!(paths[..6].iter().all(|p| *p == CI_ANSI));
        assert!(paths[6..9].iter().all(|p| *p == "does/not/exist.log"));
        assert!(paths[9..].iter().all(|p| *p == MINIPROGRAM));
        let sum = summary(&recs);
        assert_eq!(
            (
                sum["files"].as_u64(),
                sum["errors"].as_u64(),
                sum["hits"].as_u64()
            ),
            (Some(2), Some(1), Some(14))
        );

        let human = run(&[
            "scan",
            "--color",
            "never",
            CI_ANSI,
            "does/not/exist.log",
            MINIPROGRAM,
        ]);
        assert_eq!(human.code, 2);
        assert!(human.stderr.contains("does/not/exist.log"));
        assert!(human
            .out()
            .contains(&format!("{CI_ANSI}:2:69: FUNCTION_PARAM_INVALID")));
        assert!(human.out().contains(&format!(
            "{MINIPROGRAM}:6:28: APIs_GET_OPENAPI_SCHEMA_ERROR"
        )));
        // The summary names it too: a human report file has no stderr beside it.
        assert!(
            human
                .out()
                .contains("1 input could not be read: does/not/exist.log (No such file"),
            "{}",
            human.out()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs: stdin, folders, globs, ignore files, symbolic links, closed pipes
// ---------------------------------------------------------------------------------------------

mod inputs {
    use super::*;

    fn paths_of_hits(recs: &[Value]) -> Vec<String> {
        of_type(recs, "hit")
            .iter()
            .map(|h| h["path"]["text"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn stdin_with_no_path_or_dash() {
        let input = read(MINIPROGRAM);
        for args in [
            &["scan", "--format", "jsonl"][..],
            &["scan", "--format", "jsonl", "-"][..],
        ] {
            let r = run_stdin(args, &input);
            assert_eq!(r.code, 1);
            let recs = records(&r.stdout);
            assert_eq!(hit_tuples(&recs), tuples(&MINIPROGRAM_HITS));
            assert!(paths_of_hits(&recs).iter().all(|p| p == "<stdin>"));
            assert_eq!(summary(&recs)["files"], 1);
        }
        let r = run_stdin(&["scan", "--format", "jsonl", CI_ANSI, "-"], b"SYS_ERR\n");
        let paths = paths_of_hits(&records(&r.stdout));
        assert_eq!(paths, [CI_ANSI, CI_ANSI, CI_ANSI, CI_ANSI, "<stdin>"]);
        let r = run_stdin(&["scan", "--color", "never", "-", CI_ANSI], b"SYS_ERR\n");
        assert!(r.out().starts_with("<stdin>:1:1: SYS_ERR"), "{}", r.out());
    }

    /// My own walk of the folder fixture: every file, sorted by path.
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path.strip_prefix(root()).unwrap().display().to_string());
            }
        }
    }

    fn folder_expectation(
        keep: impl Fn(&str) -> bool,
    ) -> (Vec<String>, Vec<String>, u64, u64, u64) {
        let mut files = Vec::new();
        walk(&root().join("fixtures/folder"), &mut files);
        files.sort_by(|a, b| Path::new(a).cmp(Path::new(b)));
        let listed: Vec<&str> = FOLDER_FILES.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            files, listed,
            "the folder fixture is complete (git add -f its ignored.log)"
        );
        let mut hit_paths = Vec::new();
        let mut codes = Vec::new();
        let (mut count, mut bytes, mut lines) = (0, 0, 0);
        for (path, file_codes) in FOLDER_FILES.iter().filter(|(p, _)| keep(p)) {
            count += 1;
            let data = read(path);
            bytes += data.len() as u64;
            lines += count_lines(&data);
            for code in *file_codes {
                hit_paths.push(path.to_string());
                codes.push(code.to_string());
            }
        }
        (hit_paths, codes, count, bytes, lines)
    }

    fn check_folder(args: &[&str], keep: impl Fn(&str) -> bool) {
        let (hit_paths, codes, files, bytes, lines) = folder_expectation(keep);
        let mut full = vec!["scan", "--format", "jsonl"];
        full.extend_from_slice(args);
        full.push("fixtures/folder");
        // A user's global git excludes must not change what --respect-ignore skips.
        let home = tempfile::tempdir().unwrap();
        let home = home.path().to_str().unwrap();
        let env = [("HOME", home), ("XDG_CONFIG_HOME", home)];
        let r = run_with(None, &full, None, &env);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        let recs = records(&r.stdout);
        assert_eq!(paths_of_hits(&recs), hit_paths, "{args:?}");
        let found: Vec<String> = hit_tuples(&recs).into_iter().map(|h| h.3).collect();
        assert_eq!(found, codes, "{args:?}");
        let sum = summary(&recs);
        assert_eq!(sum["files"], files, "{args:?}");
        assert_eq!(sum["bytes"], bytes, "{args:?}");
        assert_eq!(sum["lines"], lines, "{args:?}");
        assert_eq!(sum["errors"], 0);
    }

    #[test]
    fn folders_are_walked_recursively_with_hidden_and_ignored_files() {
        check_folder(&[], |_| true);
        check_folder(&["-j", "1"], |_| true);
        check_folder(&["--threads", "8"], |_| true);
    }

    #[test]
    fn gitignore_is_honoured_only_when_asked() {
        check_folder(&["--respect-ignore"], |p| !p.ends_with("/ignored.log"));
    }

    #[test]
    fn globs_include_and_exclude() {
        check_folder(&["--glob", "*.log"], |p| p.ends_with(".log"));
        check_folder(&["-g", "!*.txt"], |p| !p.ends_with(".txt"));
        check_folder(&["--glob", "*.log", "--glob", "!ignored.log"], |p| {
            p.ends_with(".log") && !p.ends_with("/ignored.log")
        });
        check_folder(&["--glob", "*.txt", "--respect-ignore"], |p| {
            p.ends_with(".txt")
        });
    }

    #[test]
    fn files_and_folders_keep_the_order_given() {
        let r = run(&[
            "scan",
            "--format",
            "jsonl",
            MINIPROGRAM,
            "fixtures/folder/nested",
            CI_ANSI,
        ]);
        let paths = paths_of_hits(&records(&r.stdout));
        let mut expected = vec![MINIPROGRAM.to_string(); MINIPROGRAM_HITS.len()];
        expected.push("fixtures/folder/nested/.hidden.log".into());
        expected.extend(vec![
            "fixtures/folder/nested/deep/worker.log".to_string();
            2
        ]);
        expected.extend(vec![CI_ANSI.to_string(); 4]);
        assert_eq!(paths, expected);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_reported_when_following_links() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "logs/a.log", b"boom SYS_ERR\n");
        fs::create_dir_all(dir.path().join("logs/sub")).unwrap();
        std::os::unix::fs::symlink("..", dir.path().join("logs/sub/up")).unwrap();

        let r = run_with(
            Some(dir.path()),
            &["scan", "--format", "jsonl", "-L", "logs"],
            None,
            &[],
        );
        assert_eq!(r.code, 2, "a loop is an error: {}", r.stderr);
        let recs = records(&r.stdout);
        assert_eq!(
            hit_tuples(&recs),
            tuples(&[(1, 6, 5, "SYS_ERR", "SYS_ERR")])
        );
        let errors = of_type(&recs, "error");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]["path"]["text"]
                .as_str()
                .unwrap()
                .contains("logs/sub/up"),
            "{:?}",
            errors[0]
        );
        assert!(r.stderr.contains("logs/sub/up"), "{}", r.stderr);
        let sum = summary(&recs);
        assert_eq!(
            (sum["files"].as_u64(), sum["errors"].as_u64()),
            (Some(1), Some(1))
        );

        let r = run_with(
            Some(dir.path()),
            &["scan", "--format", "jsonl", "--follow-links", "logs"],
            None,
            &[],
        );
        assert_eq!(r.code, 2);

        let r = run_with(
            Some(dir.path()),
            &["scan", "--format", "jsonl", "logs"],
            None,
            &[],
        );
        assert_eq!(r.code, 1, "links are not followed by default: {}", r.stderr);
        let recs = records(&r.stdout);
        assert!(of_type(&recs, "error").is_empty());
        assert_eq!(summary(&recs)["files"], 1);
    }

    #[cfg(unix)]
    #[test]
    fn follow_enters_linked_folders() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "target/t.log", b"DATABASE_TIMEOUT\n");
        write(dir.path(), "root/r.log", b"SYS_ERR\n");
        std::os::unix::fs::symlink("../target", dir.path().join("root/link")).unwrap();

        let r = run_with(
            Some(dir.path()),
            &["scan", "--format", "jsonl", "root"],
            None,
            &[],
        );
        assert_eq!(paths_of_hits(&records(&r.stdout)), ["root/r.log"]);
        let r = run_with(
            Some(dir.path()),
            &["scan", "--format", "jsonl", "-L", "root"],
            None,
            &[],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_eq!(
            paths_of_hits(&records(&r.stdout)),
            ["root/link/t.log", "root/r.log"]
        );
    }

    /// An entry of a walked folder that cannot be opened is an error in its place; the other
    /// files are still scanned and counted. Control characters in file names are not printed raw.
    #[cfg(unix)]
    #[test]
    fn unreadable_entries_in_folders_are_errors_in_place() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "logs/a.log", b"AUTH_LOGIN_FAILED\n");
        write(dir.path(), "logs/evil\x1b[2J.log", b"SYS_ERR\n");
        std::os::unix::fs::symlink("missing-target", dir.path().join("logs/b-dangling")).unwrap();
        let args = ["scan", "--format", "jsonl", "-L", "logs"];
        let r = run_with(Some(dir.path()), &args, None, &[]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("logs/b-dangling"), "{}", r.stderr);
        let recs = records(&r.stdout);
        let order: Vec<(String, String)> = recs
            .iter()
            .filter(|r| r["type"] != "begin" && r["type"] != "end")
            .map(|r| {
                let kind = r["type"].as_str().unwrap().to_string();
                (kind, r["path"]["text"].as_str().unwrap_or("").to_string())
            })
            .collect();
        let expected = [
            ("hit", "logs/a.log"),
            ("error", "logs/b-dangling"),
            ("hit", "logs/evil\x1b[2J.log"),
            ("summary", ""),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, p)| (k.to_string(), p.to_string()))
            .collect();
        assert_eq!(order, expected);
        let sum = summary(&recs);
        assert_eq!(
            (sum["files"].as_u64(), sum["errors"].as_u64()),
            (Some(2), Some(1))
        );

        let human = run_with(
            Some(dir.path()),
            &["scan", "--color", "never", "logs"],
            None,
            &[],
        );
        assert_eq!(human.code, 1);
        assert_no_raw_controls(&human.stdout);
        assert!(
            human.out().contains("[2J.log:1:1: SYS_ERR"),
            "{}",
            human.out()
        );
    }

    /// Standard input that cannot be read is an error named `<stdin>`.
    #[cfg(unix)]
    #[test]
    fn unreadable_stdin_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let output = StdCommand::new(bin())
            .args(["scan", "--format", "jsonl"])
            .stdin(Stdio::from(fs::File::open(dir.path()).unwrap()))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("<stdin>") && !stderr.contains("panicked"),
            "{stderr}"
        );
        let recs = records(&output.stdout);
        let errors = of_type(&recs, "error");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0]["path"]["text"], "<stdin>");
        assert_eq!(summary(&recs)["errors"], 1);
    }

    /// Runs a scan whose stdout is closed after one line, as `| head -1` does; returns the
    /// exit status. With `missing_first`, an unreadable input comes first.
    fn closed_pipe_is_quiet(format: &str, missing_first: bool) -> i32 {
        closed_pipe_is_quiet_with(format, missing_first, &[])
    }

    fn closed_pipe_is_quiet_with(format: &str, missing_first: bool, extra: &[&str]) -> i32 {
        let mut data = Vec::new();
        for i in 0..5000 {
            data.extend_from_slice(
                format!("{i} FUNCTIONS_EXECUTE_FAIL errCode: -502005 x\n").as_bytes(),
            );
        }
        closed_pipe_status(format, &data, missing_first, false, extra).0
    }

    /// The exit status of a scan of `data` (as `many.log`) whose stdout is closed after one
    /// line; with `missing_first`/`missing_last`, an unreadable input comes before/after it.
    fn closed_pipe_status(
        format: &str,
        data: &[u8],
        missing_first: bool,
        missing_last: bool,
        extra: &[&str],
    ) -> (i32, String) {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "many.log", data);
        let missing = dir.path().join("missing.log").display().to_string();
        let mut args = vec!["scan", "--color", "never", "--format", format];
        args.extend(extra);
        if missing_first {
            args.push(&missing);
        }
        args.push(&file);
        if missing_last {
            args.push(&missing);
        }
        let mut child = StdCommand::new(bin())
            .args(&args)
            .env_remove("CLICOLOR_FORCE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cbscan");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        // JSON lines start with the first input's begin record.
        // JSON lines start with the first input's begin record, the JSON document with its
        // schema, the human report with the first hit.
        let first_code = String::from_utf8_lossy(data)
            .split_whitespace()
            .find(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .unwrap_or_default()
            .to_string();
        let expected_first = match (format, missing_first) {
            ("jsonl", true) => "missing.log",
            ("jsonl", false) => "many.log",
            ("json", _) => "\"schema\"",
            _ => &first_code,
        };
        assert!(first.contains(expected_first), "{first:?}");
        drop(reader); // like `| head -1`
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.to_lowercase().contains("broken pipe"), "{stderr}");
        assert!(!stderr.contains("os error 32"), "{stderr}");
        (status.code().expect("exits normally"), stderr)
    }

    /// `| head -1` ends the scan quietly, and the exit status follows the fail policy applied
    /// to what was found until then (it used to depend on whether the log outgrew a buffer).
    #[test]
    fn closed_stdout_ends_quietly_human() {
        assert_eq!(closed_pipe_is_quiet("human", false), 1);
        assert_eq!(
            closed_pipe_is_quiet_with("human", false, &["--fail-on", "none"]),
            0
        );
    }

    /// The status does not depend on how much the reader took: after `| head -1` the scan
    /// still reads to the end, so a specific code on the last line, or an unreadable input
    /// after the big one, still decides it.
    #[test]
    fn closed_stdout_still_counts_everything() {
        let mut data = b"SYS_ERR x\n".repeat(300_000);
        data.extend_from_slice(b"late FUNCTION_TIME_LIMIT_EXCEEDED\n");
        for format in ["human", "jsonl", "json"] {
            let specific = ["--fail-on", "specific"];
            let (status, stderr) = closed_pipe_status(format, &data, false, false, &specific);
            assert_eq!(status, 1, "{format}");
            // The summary went nowhere: the generic-code advice goes to stderr.
            assert!(
                stderr.contains("warning: generic SYS_ERR (300,000 hits)"),
                "{format}: {stderr}"
            );
            let none = ["--fail-on", "none"];
            assert_eq!(
                closed_pipe_status(format, &data, false, true, &none).0,
                2,
                "{format}"
            );
        }
        // The same statuses as without the closed pipe.
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "many.log", &data);
        assert_eq!(run(&["scan", "-q", "--fail-on", "specific", &file]).code, 1);
    }

    #[test]
    fn closed_stdout_ends_quietly_jsonl() {
        assert_eq!(closed_pipe_is_quiet("jsonl", false), 1);
        assert_eq!(
            closed_pipe_is_quiet_with("jsonl", false, &["--fail-on", "storage"]),
            0
        );
    }

    #[test]
    fn hits_from_a_live_pipe_are_reported_before_it_ends() {
        // `tail -f app.log | cbscan scan`: a hit must come out while stdin is still open.
        let mut child = StdCommand::new(bin())
            .args(["scan", "--format", "jsonl", "--no-summary"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn cbscan");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"first DATABASE_TIMEOUT\n").unwrap();
        stdin.flush().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // The begin record, then the hit.
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            line.clear();
            let _ = reader.read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver.recv_timeout(std::time::Duration::from_secs(10));
        drop(stdin); // end the input whatever happened, so the child exits
        child.wait().unwrap();
        let line = line.expect("the hit arrived while the pipe was still open");
        assert!(line.contains("\"code\":\"DATABASE_TIMEOUT\""), "{line}");
    }

    /// Large files are opened by the chunk that reads them, not all up front: a folder of more
    /// large logs than the descriptor limit must still scan cleanly.
    #[cfg(unix)]
    #[test]
    fn many_large_files_do_not_exhaust_file_descriptors() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..80 {
            let mut data = vec![b'x'; 10_000];
            data.extend_from_slice(format!("\nline {i} DATABASE_TIMEOUT\n").as_bytes());
            write(dir.path(), &format!("f{i:02}.log"), &data);
        }
        let script = format!(
            "ulimit -n 40; exec '{}' scan -s --format jsonl --chunk-min 5000 --chunk-size 4096 '{}'",
            bin().display(),
            dir.path().display()
        );
        let output = StdCommand::new("sh")
            .args(["-c", &script])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        let recs = records(&output.stdout);
        assert_eq!(summary(&recs)["files"], 80, "{stderr}");
        assert_eq!(summary(&recs)["hits"], 80);
        assert_eq!(summary(&recs)["errors"], 0);
    }

    /// A full disk loses no output silently: every format, with or without the summary, exits 2
    /// naming the problem (the last buffer's flush used to be dropped with `--no-summary`).
    #[cfg(target_os = "linux")]
    #[test]
    fn write_errors_are_reported_and_exit_2() {
        for args in [
            &["scan", "--format", "jsonl", "--no-summary", CLOUDFUNCTION][..],
            &["scan", "--format", "jsonl", CLOUDFUNCTION][..],
            &["scan", "--no-summary", CLOUDFUNCTION][..],
            &["scan", CLOUDFUNCTION][..],
            &["scan", "-s", CLOUDFUNCTION][..],
        ] {
            let output = output_to_dev_full(args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains("cbscan: writing standard output: No space left on device"),
                "{args:?}: {stderr}"
            );
        }
    }

    #[test]
    fn closed_stdout_after_an_unreadable_input_still_exits_2() {
        assert_eq!(closed_pipe_is_quiet("jsonl", true), 2);
        assert_eq!(closed_pipe_is_quiet("human", true), 2);
    }
}

// ---------------------------------------------------------------------------------------------
// Filters and exit status
// ---------------------------------------------------------------------------------------------

mod filters {
    use super::*;

    fn filtered(args: &[&str]) -> Vec<HitTuple> {
        let mut full = vec!["scan", "--format", "jsonl"];
        full.extend_from_slice(args);
        full.push(CLOUDFUNCTION);
        let r = run(&full);
        assert!(r.code <= 1, "{args:?}: {}", r.stderr);
        let recs = records(&r.stdout);
        let hits = hit_tuples(&recs);
        assert_eq!(summary(&recs)["hits"], hits.len() as u64);
        hits
    }

    fn expected(keep: impl Fn(&str) -> bool) -> Vec<HitTuple> {
        tuples(&CLOUDFUNCTION_HITS)
            .into_iter()
            .filter(|h| keep(&h.3))
            .collect()
    }

    #[test]
    fn category_and_code_filters_combine_as_a_union() {
        let categories = category_of();
        let cat = |c: &str| categories[c].clone();
        assert_eq!(
            filtered(&["--category", "storage"]),
            expected(|c| cat(c) == "storage")
        );
        assert_eq!(
            filtered(&["--category", "auth", "--category", "functions"]),
            expected(|c| cat(c) == "auth" || cat(c) == "functions")
        );
        assert_eq!(
            filtered(&["--code", "database_timeout"]),
            expected(|c| c == "DATABASE_TIMEOUT")
        );
        assert_eq!(
            filtered(&["--category", "storage", "--code", "DATABASE_TIMEOUT"]),
            expected(|c| cat(c) == "storage" || c == "DATABASE_TIMEOUT")
        );
        assert_eq!(
            filtered(&["--code", "SYS_ERR", "--code", "Auth_Login_Failed"]),
            expected(|c| c == "SYS_ERR" || c == "AUTH_LOGIN_FAILED")
        );
    }

    #[test]
    fn exclusions_win() {
        assert_eq!(
            filtered(&["--exclude-code", "FUNCTIONS_EXECUTE_FAIL"]),
            expected(|c| c != "FUNCTIONS_EXECUTE_FAIL")
        );
        assert_eq!(
            filtered(&[
                "--category",
                "storage",
                "--exclude-code",
                "storage_file_nonexist"
            ]),
            vec![]
        );
        assert_eq!(
            filtered(&["--code", "SYS_ERR", "--exclude-code", "SYS_ERR"]),
            vec![]
        );
        assert_eq!(
            filtered(&[
                "--exclude-code",
                "SYS_ERR",
                "--exclude-code",
                "DATABASE_TIMEOUT"
            ]),
            expected(|c| c != "SYS_ERR" && c != "DATABASE_TIMEOUT")
        );
        let r = run(&[
            "scan",
            "--format",
            "jsonl",
            "--exclude-code",
            "FUNCTIONS_EXECUTE_FAIL",
            CLOUDFUNCTION,
        ]);
        let recs = records(&r.stdout);
        assert_eq!(
            summary(&recs)["generic_hits"],
            3,
            "SYS_ERR 2 + DATABASE_REQUEST_FAILED 1"
        );
    }

    #[test]
    fn numeric_aliases_select_codes_with_equals() {
        let storage = expected(|c| c == "STORAGE_FILE_NONEXIST");
        assert_eq!(filtered(&["--code=-503003"]), storage);
        assert_eq!(
            filtered(&["--exclude-code=-504002"]),
            expected(|c| c != "FUNCTIONS_EXECUTE_FAIL")
        );
    }

    #[test]
    fn numeric_aliases_select_codes_as_separate_arguments() {
        assert_eq!(
            filtered(&["--code", "-503003"]),
            expected(|c| c == "STORAGE_FILE_NONEXIST")
        );
        assert_eq!(
            filtered(&["--exclude-code", "-504002"]),
            expected(|c| c != "FUNCTIONS_EXECUTE_FAIL")
        );
    }

    #[test]
    fn unknown_filters_are_usage_errors() {
        let r = run(&["scan", "--category", "nosuch", CLOUDFUNCTION]);
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("nosuch"), "{}", r.stderr);
        assert!(r.stdout.is_empty());

        for flag in ["--code", "--exclude-code"] {
            let r = run(&["scan", flag, "DATABASE_TIMEOTU", CLOUDFUNCTION]);
            assert_eq!(r.code, 2, "{flag}");
            assert!(r.stderr.contains("DATABASE_TIMEOTU"), "{}", r.stderr);
            assert!(r.stderr.contains("did you mean"), "{}", r.stderr);
            assert!(r.stderr.contains("DATABASE_TIMEOUT"), "{}", r.stderr);
            assert!(r.stdout.is_empty());
        }
    }

    #[test]
    fn exit_status_follows_the_failure_policy() {
        let cases: Vec<(Vec<&str>, &[u8], i32)> = vec![
            (vec![], b"all good\n", 0),
            (vec![], b"SYS_ERR\n", 1),
            (vec!["--fail-on", "any"], b"DATABASE_TIMEOUT\n", 1),
            (vec!["--fail-on", "none"], b"DATABASE_TIMEOUT SYS_ERR\n", 0),
            (vec!["--fail-on", "generic"], b"DATABASE_TIMEOUT\n", 0),
            (vec!["--fail-on", "generic"], b"x -504002 y\n", 1),
            (vec!["--fail-on", "specific"], b"SYS_ERR -502001\n", 0),
            (
                vec!["--fail-on", "specific"],
                b"SYS_ERR DATABASE_TIMEOUT\n",
                1,
            ),
            (vec!["--fail-on", "storage"], b"DATABASE_TIMEOUT\n", 0),
            (vec!["--fail-on", "storage"], b"-503003\n", 1),
            (
                vec!["--fail-on", "hosting", "--fail-on", "auth"],
                b"AUTH_LOGIN_FAILED\n",
                1,
            ),
            (
                vec!["--fail-on", "hosting", "--fail-on", "auth"],
                b"SYS_ERR\n",
                0,
            ),
            (
                vec!["--fail-on", "database_timeout"],
                b"DATABASE_TIMEOUT\n",
                1,
            ),
            (vec!["--fail-on", "DATABASE_TIMEOUT"], b"SYS_ERR\n", 0),
            // `none` with another rule contradicts it: a usage error, not one of them ignored.
            (
                vec!["--fail-on", "none", "--fail-on", "SYS_ERR"],
                b"SYS_ERR\n",
                2,
            ),
            // Hits that filters drop are not reported, so they cannot fail the run.
            (vec!["--exclude-code", "SYS_ERR"], b"SYS_ERR\n", 0),
            (vec!["--category", "ai"], b"SYS_ERR\n", 0),
            (vec!["--fail-on", "bogus"], b"SYS_ERR\n", 2),
        ];
        for (extra, input, status) in cases {
            for quiet in [false, true] {
                let mut args = vec!["scan"];
                args.extend(&extra);
                if quiet {
                    args.push("-q");
                }
                let r = run_stdin(&args, input);
                assert_eq!(
                    r.code,
                    status,
                    "{args:?} on {:?}: {}",
                    String::from_utf8_lossy(input),
                    r.stderr
                );
                if quiet {
                    assert!(r.stdout.is_empty());
                }
            }
        }
        let r = run(&["scan", "-q", CLOUDFUNCTION, "missing.log"]);
        assert_eq!(r.code, 2, "errors beat hits");
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains("missing.log"));
        let r = run(&["scan", "--fail-on", "none", "missing.log"]);
        assert_eq!(r.code, 2);
    }
}

// ---------------------------------------------------------------------------------------------
// explain and codes
// ---------------------------------------------------------------------------------------------

mod explain_and_codes {
    use super::*;

    fn listed(args: &[&str]) -> Vec<Value> {
        let mut full = vec!["codes", "--format", "jsonl"];
        full.extend_from_slice(args);
        let r = run(&full);
        assert_eq!(r.code, 0, "{}", r.stderr);
        records(&r.stdout)
    }

    #[test]
    fn codes_lists_the_whole_catalog() {
        let recs = listed(&[]);
        let catalog = reference_catalog();
        assert_eq!(recs.len(), 214);
        let mut per_category: BTreeMap<String, usize> = BTreeMap::new();
        for rec in &recs {
            let mut keys: Vec<&str> = rec
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                [
                    "basis",
                    "category",
                    "code",
                    "doc",
                    "en",
                    "generic",
                    "generic_reason",
                    "notes",
                    "number",
                    "numeric",
                    "shared",
                    "zh"
                ]
            );
            let code = rec["code"].as_str().unwrap();
            let entry = catalog
                .iter()
                .find(|c| c.code == code)
                .unwrap_or_else(|| panic!("{code} is not on the page or in the SDK table"));
            assert_eq!(rec["category"], entry.category.as_str(), "{code}");
            assert!(rec["zh"].is_string() && rec["en"].is_string());
            assert!(
                !rec["en"].as_str().unwrap().is_empty(),
                "{code} has an English meaning"
            );
            if let Some(zh) = &entry.page_zh {
                assert_eq!(rec["zh"], zh.as_str(), "{code}: meaning as on the page");
            }
            let numeric: Vec<i64> = rec["numeric"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_i64().unwrap())
                .collect();
            assert_eq!(numeric, entry.numeric, "{code}");
            assert_eq!(rec["generic"], entry.generic, "{code}");
            assert_eq!(rec["generic_reason"].is_string(), entry.generic, "{code}");
            assert!(rec["generic_reason"].is_string() || rec["generic_reason"].is_null());
            assert!(rec["notes"].is_string() || rec["notes"].is_null());
            *per_category.entry(entry.category.clone()).or_default() += 1;
        }
        // The page's sections, plus: general = 44 table rows + 8 sibling-page codes +
        // INVALIID_ENV; auth + 2 and database + 2 realtime-database codes, database + 1,
        // functions + FUNCTIONS_REQUEST_FAIL + 2, cloudrun + 2, ai + 2 sibling-page codes;
        // numeric-only: sdk = 27 of the WeChat table's 4xxxxx rows + 3 SDK-only numbers,
        // tencentcloud = 13 table rows + 3 from logs, wechat = 23 table rows + -602001 + 2
        // from logs.
        let expected: BTreeMap<String, usize> = [
            ("general", 53),
            ("auth", 25),
            ("database", 13),
            ("functions", 16),
            ("cloudrun", 10),
            ("storage", 13),
            ("hosting", 3),
            ("ai", 8),
            ("sdk", 30),
            ("tencentcloud", 16),
            ("wechat", 27),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(per_category, expected);
        let mut codes: Vec<&str> = recs.iter().map(|r| r["code"].as_str().unwrap()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 214, "no duplicates");
    }

    #[test]
    fn codes_by_category_and_as_a_table() {
        let ai = listed(&["--category", "ai"]);
        assert_eq!(ai.len(), 8);
        assert!(ai.iter().all(|r| r["category"] == "ai"));
        assert_eq!(
            listed(&["--category", "database", "--category", "storage"]).len(),
            26
        );

        let r = run(&["codes"]);
        assert_eq!(r.code, 0);
        let out = r.out();
        for code in reference_catalog() {
            let row = Regex::new(&format!(r"(?m)^{}\s", regex::escape(&code.code))).unwrap();
            assert!(row.is_match(&out), "{} missing from the table", code.code);
        }
        let r = run(&["codes", "--category", "nosuch"]);
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("nosuch"));
    }

    #[test]
    fn explain_accepts_any_case_and_numeric_aliases() {
        let catalog = listed(&[]);
        let en = |code: &str| {
            catalog.iter().find(|r| r["code"] == code).unwrap()["en"]
                .as_str()
                .unwrap()
                .to_string()
        };
        for args in [
            &["explain", "database_timeout"][..],
            &["explain", "Database_Timeout"][..],
        ] {
            let r = run(args);
            assert_eq!(r.code, 0);
            let out = r.out();
            assert!(out.starts_with("DATABASE_TIMEOUT"), "{out}");
            assert!(
                out.contains("database") && out.contains("数据库请求超时"),
                "{out}"
            );
            assert!(out.contains(&en("DATABASE_TIMEOUT")));
            assert!(
                !out.to_lowercase().contains("warning"),
                "not generic: {out}"
            );
        }
        let r = run(&["explain", "--", "-502005"]);
        assert_eq!(r.code, 0);
        let out = r.out();
        assert!(out.starts_with("DATABASE_COLLECTION_NOT_EXIST"), "{out}");
        assert!(
            out.contains("-502005") && out.contains("操作集合不存在"),
            "{out}"
        );

        let mut args = vec!["explain".to_string(), "--".to_string()];
        args.extend(SDK_NUMERIC.iter().map(|(n, _)| n.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args).out();
        let blocks: Vec<&str> = out.split("\n\n").collect();
        assert_eq!(blocks.len(), SDK_NUMERIC.len());
        for (block, (number, code)) in blocks.iter().zip(SDK_NUMERIC) {
            assert_eq!(block.lines().next(), Some(code));
            assert!(block.contains(&number.to_string()), "{block}");
        }
    }

    #[test]
    fn explain_warns_about_generic_codes() {
        for code in GENERIC {
            let r = run(&["explain", code]);
            assert_eq!(r.code, 0);
            let out = r.out().to_lowercase();
            assert!(
                out.contains("warning") && out.contains("generic"),
                "{code}: {out}"
            );
        }
        let out = run(&["explain", "functions_execute_fail"]).out();
        assert!(out.contains(&page_generic_note()), "{out}");
    }

    #[test]
    fn explain_unknown_codes_suggest_close_ones() {
        let r = run(&["explain", "DATABASE_TIMEOTU"]);
        assert_eq!(r.code, 2);
        assert!(r.stdout.is_empty());
        assert!(
            r.stderr.contains("DATABASE_TIMEOTU") && r.stderr.contains("DATABASE_TIMEOUT"),
            "{}",
            r.stderr
        );

        let r = run(&["explain", "SYS_ERR", "NO_SUCH_CODE_AT_ALL"]);
        assert_eq!(r.code, 2);
        assert!(r.out().starts_with("SYS_ERR"));
        assert!(r.stderr.contains("NO_SUCH_CODE_AT_ALL"));

        // A number the catalog does not know (-501024: left out, conflicting claims).
        let r = run(&["explain", "--", "-501024"]);
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("-501024"), "{}", r.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// User catalogs
// ---------------------------------------------------------------------------------------------

mod catalogs {
    use super::*;

    const PAY: &str = r#"[[category]]
id = "pay"
zh = "支付"
en = "Payments"

[[code]]
code = "PAY_DECLINED"
category = "pay"
zh = "支付被拒"
en = "Payment declined"
numeric = [-700001]

[[code]]
code = "DATABASE_TIMEOUT"
category = "database"
zh = "数据库请求超时(改)"
en = "Overridden timeout"
generic = true
generic_reason = "Overridden for a test"
notes = "from pay.toml"
"#;

    #[test]
    fn a_catalog_file_adds_and_overrides_entries() {
        let dir = tempfile::tempdir().unwrap();
        let pay = write(dir.path(), "pay.toml", PAY.as_bytes());
        let input = b"PAY_DECLINED -700001 DATABASE_TIMEOUT SYS_ERR\n";
        for args in [
            vec!["--catalog", pay.as_str(), "scan", "--format", "jsonl"],
            vec!["scan", "--catalog", pay.as_str(), "--format", "jsonl"],
        ] {
            let r = run_stdin(&args, input);
            assert_eq!(r.code, 1, "{}", r.stderr);
            let recs = records(&r.stdout);
            assert_eq!(
                hit_tuples(&recs),
                tuples(&[
                    (1, 1, 0, "PAY_DECLINED", "PAY_DECLINED"),
                    (1, 14, 13, "PAY_DECLINED", "-700001"),
                    (1, 22, 21, "DATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
                    (1, 39, 38, "SYS_ERR", "SYS_ERR"),
                ])
            );
            let hits = of_type(&recs, "hit");
            assert_eq!(hits[0]["category"], "pay");
            assert_eq!(hits[0]["meaning"]["en"], "Payment declined");
            assert_eq!(hits[2]["meaning"]["en"], "Overridden timeout");
            assert_eq!(hits[2]["generic"], true);
            assert_eq!(hits[3]["category"], "general", "built-in codes stay");
            assert_eq!(summary(&recs)["generic_hits"], 2);
        }
        let codes = records(&run(&["--catalog", &pay, "codes", "--format", "jsonl"]).stdout);
        assert_eq!(codes.len(), 214 + 1);
        let r = run(&["--catalog", &pay, "explain", "--", "-700001"]);
        assert!(r.out().starts_with("PAY_DECLINED"), "{}", r.out());
        let r = run_stdin(
            &["--catalog", &pay, "scan", "--category", "pay", "-q"],
            b"PAY_DECLINED\n",
        );
        assert_eq!(r.code, 1);
    }

    #[test]
    fn later_catalog_files_override_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let entry =
            |en: &str| format!("[[code]]\ncode = \"SYS_ERR\"\ncategory = \"sdk\"\nen = \"{en}\"\n");
        let first = write(dir.path(), "first.toml", entry("First").as_bytes());
        let second = write(dir.path(), "second.toml", entry("Second").as_bytes());
        let r = run_stdin(
            &[
                "--catalog",
                &first,
                "--catalog",
                &second,
                "scan",
                "--format",
                "jsonl",
            ],
            b"SYS_ERR\n",
        );
        let recs = records(&r.stdout);
        assert_eq!(of_type(&recs, "hit")[0]["meaning"]["en"], "Second");
    }

    #[test]
    fn no_builtin_catalog_uses_only_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let only = PAY
            .split("[[code]]\ncode = \"DATABASE_TIMEOUT\"")
            .next()
            .unwrap();
        let pay = write(dir.path(), "pay-only.toml", only.as_bytes());
        let codes = records(
            &run(&[
                "--no-builtin-catalog",
                "--catalog",
                &pay,
                "codes",
                "--format",
                "jsonl",
            ])
            .stdout,
        );
        assert_eq!(codes.len(), 1);
        assert_eq!(codes[0]["code"], "PAY_DECLINED");
        let r = run_stdin(
            &[
                "scan",
                "--no-builtin-catalog",
                "--catalog",
                &pay,
                "--format",
                "jsonl",
            ],
            b"SYS_ERR -502005 PAY_DECLINED\n",
        );
        assert_eq!(r.code, 1);
        assert_eq!(
            hit_tuples(&records(&r.stdout)),
            tuples(&[(1, 17, 16, "PAY_DECLINED", "PAY_DECLINED")])
        );
        let r = run(&[
            "--no-builtin-catalog",
            "--catalog",
            &pay,
            "explain",
            "SYS_ERR",
        ]);
        assert_eq!(r.code, 2);
    }

    fn assert_catalog_error(name: &str, text: &str, line: usize, needles: &[&str]) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), name, text.as_bytes());
        for args in [
            vec!["--catalog", path.as_str(), "codes"],
            vec!["scan", "--catalog", path.as_str(), "--format", "jsonl"],
        ] {
            let r = run_stdin(&args, b"SYS_ERR\n");
            assert_eq!(r.code, 2, "{name}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{name}: nothing scanned or listed");
            let re = Regex::new(&format!(
                r"catalog {}:(\d+):\d+: (.*)",
                regex::escape(&path)
            ))
            .unwrap();
            let caps = re.captures(&r.stderr).unwrap_or_else(|| {
                panic!(
                    "{name}: no `catalog FILE:LINE:COL: message` in {:?}",
                    r.stderr
                )
            });
            assert_eq!(
                caps[1].parse::<usize>().unwrap(),
                line,
                "{name}: {}",
                r.stderr
            );
            for needle in needles {
                assert!(
                    caps[2].contains(needle),
                    "{name}: {needle:?} in {:?}",
                    &caps[2]
                );
            }
        }
    }

    #[test]
    fn invalid_catalogs_name_file_line_and_problem() {
        assert_catalog_error("syntax.toml", "[[code]\ncode = 1\n", 1, &[]);
        assert_catalog_error(
            "duplicate.toml",
            "[[code]]\ncode = \"MY_A\"\ncategory = \"sdk\"\nen = \"first\"\n\n\
             [[code]]\ncode = \"MY_A\"\ncategory = \"sdk\"\nen = \"second\"\n",
            7,
            &["duplicate", "MY_A"],
        );
        assert_catalog_error(
            "category.toml",
            "[[code]]\ncode = \"MY_B\"\ncategory = \"payments\"\nen = \"x\"\n",
            3,
            &["payments"],
        );
        assert_catalog_error(
            "empty.toml",
            "[[category]]\nid = \"pay\"\nen = \"Payments\"\n\n[[code]]\ncode = \"\"\ncategory = \"pay\"\nen = \"x\"\n",
            6,
            &["empty"],
        );
    }

    #[test]
    fn a_missing_catalog_file_is_named_once() {
        let r = run(&["--catalog", "no/such/catalog.toml", "codes"]);
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("no/such/catalog.toml"), "{}", r.stderr);
        assert_eq!(
            r.stderr.matches("No such file or directory").count(),
            1,
            "the OS error is repeated: {}",
            r.stderr
        );
    }
}
