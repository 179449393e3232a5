//! Helpers shared by the cbscan integration tests (`tests/cli.rs`): running the binary, reading
//! its JSON-lines output, and an independent model of what the output must be.
//!
//! The model does not use the `cbscan` library or `src/catalog.toml`. Its catalog is rebuilt
//! from the CloudBase error-code page kept in `tests/data/` (76 string codes, their Chinese
//! meanings, the generic-code note) plus the wx-server-sdk numeric table from the project's
//! reference notes, and its matcher is a deliberately naive transcription of the matching
//! rules of the issue (identifier-byte boundaries, ANSI control-sequence look-behind, longest
//! hit at a position, no overlaps, 1-based line and byte column, 0-based byte offset).

#![allow(dead_code)] // not every test uses every helper

pub mod facts;
pub mod fixtures;
pub mod follow;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The package root (fixtures and `tests/data` are found relative to it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The cbscan binary, run from the package root with a clean colour environment and a timeout
/// so that a hang fails the test instead of the whole run.
pub fn cbscan() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(bin());
    cmd.current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        // Tests run inside GitHub Actions too; what changes there is tested explicitly.
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITLAB_CI")
        .env_remove("CI_PROJECT_DIR")
        .timeout(std::time::Duration::from_secs(30));
    cmd
}

/// What a run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs the binary in `dir` with `args` (any bytes) and `stdin`; a panic fails the test.
pub fn run_in<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S], stdin: Option<&[u8]>) -> Run {
    let mut cmd = cbscan();
    cmd.current_dir(dir).args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_vec());
    }
    let output = cmd.output().expect("cbscan runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panicked: {stderr}");
    Run {
        code: output.status.code().expect("cbscan exits normally"),
        stdout: output.stdout,
        stderr,
    }
}

/// Writes a test log `dir/name` and returns its path as a string.
pub fn write_log(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("writing a test log");
    path.to_str().expect("UTF-8 temp path").to_string()
}

/// Path of the binary under test.
pub fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_cbscan"))
}

/// Reads a file below the package root.
pub fn read(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

/// Parses every stdout line as JSON; any line that is not JSON fails the test.
pub fn records(stdout: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stdout).expect("JSON lines output is UTF-8");
    text.lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
        })
        .collect()
}

/// The records of one `type`.
pub fn of_type<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == kind).collect()
}

/// The single summary record, which must be the last line.
pub fn summary(records: &[Value]) -> &Value {
    let last = records.last().expect("at least the summary line");
    assert_eq!(last["type"], "summary", "last record must be the summary");
    assert_eq!(of_type(records, "summary").len(), 1, "exactly one summary");
    last
}

/// A hit as (line, column, byte_offset, code, matched).
pub type HitTuple = (u64, u64, u64, String, String);

/// The hit records as tuples, in output order.
pub fn hit_tuples(records: &[Value]) -> Vec<HitTuple> {
    tuples_of(of_type(records, "hit"))
}

/// Hit objects (JSON-lines records, or the JSON document's `hits`) as tuples.
pub fn tuples_of<'a>(hits: impl IntoIterator<Item = &'a Value>) -> Vec<HitTuple> {
    hits.into_iter()
        .map(|r| {
            (
                r["line"].as_u64().expect("line"),
                r["column"].as_u64().expect("column"),
                r["byte_offset"].as_u64().expect("byte_offset"),
                r["code"].as_str().expect("code").to_string(),
                r["matched"].as_str().expect("matched").to_string(),
            )
        })
        .collect()
}

/// JSON-lines output as text. JSON lines v2 holds no timing, so two runs over the same input
/// must give the same bytes, and nothing is normalised.
pub fn jsonl_text(stdout: &[u8]) -> String {
    String::from_utf8(stdout.to_vec()).expect("UTF-8 output")
}

/// Number of lines as the issue defines them: lines end at `\n`; a last line without one counts.
pub fn count_lines(data: &[u8]) -> u64 {
    let newlines = data.iter().filter(|&&b| b == b'\n').count() as u64;
    newlines + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

// ---------------------------------------------------------------------------------------------
// Reference catalog
// ---------------------------------------------------------------------------------------------

/// The wx-server-sdk `TCB_ERR_CODE` table (numeric code, string code), from the reference notes.
pub const SDK_NUMERIC: [(i64, &str); 20] = [
    (-501001, "SYS_ERR"),
    (-501002, "SERVER_TIMEOUT"),
    (-501003, "EXCEED_REQUEST_LIMIT"),
    (-501004, "EXCEED_CONCURRENT_REQUEST_LIMIT"),
    (-501005, "INVALIID_ENV"),
    (-501006, "INVALID_COMMON_PARAM"),
    (-501007, "INVALID_PARAM"),
    (-501008, "INVALID_REQUEST_SOURCE"),
    (-501009, "RESOURCE_NOT_INITIAL"),
    (-502001, "DATABASE_REQUEST_FAILED"),
    (-502002, "DATABASE_INVALID_OPERRATOR"),
    (-502003, "DATABASE_PERMISSION_DENIED"),
    (-502004, "DATABASE_COLLECTION_EXCEED_LIMIT"),
    (-502005, "DATABASE_COLLECTION_NOT_EXIST"),
    (-503001, "STORAGE_REQUEST_FAIL"),
    (-503002, "STORAGE_EXCEED_AUTHORITY"),
    (-503003, "STORAGE_FILE_NONEXIST"),
    (-503004, "STORAGE_SIGN_PARAM_INVALID"),
    (-504001, "FUNCTIONS_REQUEST_FAIL"),
    (-504002, "FUNCTIONS_EXECUTE_FAIL"),
];

/// Codes the users are told not to branch on: the three named by the page's note, SYS_ERR
/// (the SDK's fallback for everything), and the two numeric wrappers whose real cause is in
/// errMsg (-404011, the client's wrapper around a failed function call; -501000, overloaded).
pub const GENERIC: [&str; 6] = [
    "DATABASE_REQUEST_FAILED",
    "STORAGE_REQUEST_FAIL",
    "FUNCTIONS_EXECUTE_FAIL",
    "SYS_ERR",
    "-404011",
    "-501000",
];

/// Where the SDK-only named codes live now that the general-errors table holds most of them
/// (the facts file's §1a); these two are not in that table.
const SDK_ONLY_CATEGORY: [(&str, &str); 2] = [
    ("INVALIID_ENV", "general"),
    ("FUNCTIONS_REQUEST_FAIL", "functions"),
];

/// Codes of sibling pages (the facts file's §1c, the realtime-database server codes and
/// WeChat Cloud Run's page), with the category the catalog gives them.
pub const SIBLING_CODES: [(&str, &str); 19] = [
    ("HTTPSERVICE_NONACTIVATED", "general"),
    ("EXCEED_MAX_PAYLOAD_SIZE", "general"),
    ("BAD_GATEWAY", "general"),
    ("ERR_ABORT_HANDLER", "general"),
    ("DEFAULT_DOMAIN_EXPIRED", "general"),
    ("ACCESS_DENIED", "general"),
    ("ENV_SUSPENDED", "general"),
    ("ENV_ISOLATED", "general"),
    ("SIGN_INVALID_ERROR", "auth"),
    ("SIGN_EXPIRED_ERROR", "auth"),
    ("COLLECTION_PERMISSION_DENIED", "database"),
    ("QUERYID_INVALID_ERROR", "database"),
    ("DATABASE_RESOURCE_ISOLATED", "database"),
    ("FUNCTIONS_PERMISSION_DENIED", "functions"),
    ("FUNCTIONS_NAME_MISSING", "functions"),
    ("INVALID_CNAME", "cloudrun"),
    ("REQUEST_SERVICE_FAILED", "cloudrun"),
    ("AI_MODEL_NOT_SUPPORTED", "ai"),
    ("AI_CHANNEL_NOT_ALLOWED", "ai"),
];

/// Numbers in no table whose meaning the catalog infers from real logs (the facts file's §3);
/// -501024 is left out (conflicting claims).
pub const LOG_NUMBERS: [i64; 5] = [-501000, -501023, -504003, -601034, -606003];

/// Numbers of the WeChat table the catalog leaves out on purpose: -1 (too short for the fast
/// matcher, and says nothing).
pub const LEFT_OUT_NUMBERS: [i64; 1] = [-1];

/// The category of a numeric-only code, by the SDKs' scheme: 4xxxxx from the local SDK,
/// 5xxxxx from Tencent Cloud, 6xxxxx from the WeChat server.
pub fn origin_category(number: i64) -> &'static str {
    match -number / 100_000 {
        4 => "sdk",
        5 => "tencentcloud",
        6 => "wechat",
        _ => panic!("no origin for {number}"),
    }
}

/// Section headings of the page, with the category id each stands for.
const SECTIONS: [(&str, &str); 7] = [
    ("登录认证错误", "auth"),
    ("数据库错误", "database"),
    ("云函数错误", "functions"),
    ("云托管相关错误", "cloudrun"),
    ("云存储错误", "storage"),
    ("静态托管相关错误", "hosting"),
    ("大模型调用相关错误", "ai"),
];

/// One code of the reference catalog.
#[derive(Debug, Clone)]
pub struct RefCode {
    pub code: String,
    pub category: String,
    /// Meaning on the CloudBase page (None for SDK-only codes).
    pub page_zh: Option<String>,
    pub generic: bool,
    pub numeric: Vec<i64>,
}

/// The reference catalog: the page's 76 codes in 7 categories, the general-errors table, the
/// sibling-page codes, the SDK-only named codes, and the numeric-only codes of the WeChat
/// tables and of real logs.
pub fn reference_catalog() -> Vec<RefCode> {
    let page = String::from_utf8(read("tests/data/cloudbase-error-code-page.txt")).expect("UTF-8");
    let mut codes = Vec::new();
    let mut section: Option<&str> = None;
    for line in page.lines() {
        if let Some((_, id)) = SECTIONS.iter().find(|(heading, _)| line.trim() == *heading) {
            section = Some(id);
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // `| CODE | meaning |` splits into ["", CODE, meaning, ""].
        if cells.len() != 4 || cells[1] == "错误码" || cells[1].starts_with("---") {
            continue;
        }
        let category = section.expect("a table row inside a section");
        codes.push(RefCode {
            code: cells[1].to_string(),
            category: category.to_string(),
            page_zh: Some(cells[2].to_string()),
            generic: false,
            numeric: Vec::new(),
        });
    }
    assert_eq!(codes.len(), 76, "the page lists 76 codes");
    // The general-errors table the page copy above lacks (its `通用错误` heading is empty).
    for (_, code, zh) in facts::general_errors() {
        assert!(!codes.iter().any(|c| c.code == code), "{code} twice");
        codes.push(RefCode {
            code,
            category: "general".to_string(),
            page_zh: Some(zh),
            generic: false,
            numeric: Vec::new(),
        });
    }
    for (code, category) in SIBLING_CODES {
        codes.push(RefCode {
            code: code.to_string(),
            category: category.to_string(),
            page_zh: None,
            generic: false,
            numeric: Vec::new(),
        });
    }
    for (number, code) in SDK_NUMERIC {
        if !codes.iter().any(|c| c.code == code) {
            let category = SDK_ONLY_CATEGORY
                .iter()
                .find(|(c, _)| *c == code)
                .map_or_else(
                    || panic!("{code} has no category"),
                    |(_, category)| *category,
                );
            codes.push(RefCode {
                code: code.to_string(),
                category: category.to_string(),
                page_zh: None,
                generic: false,
                numeric: Vec::new(),
            });
        }
        let entry = codes
            .iter_mut()
            .find(|c| c.code == code)
            .expect("just added");
        entry.numeric.push(number);
    }
    // Numbers with no string code are codes of their own, named by the number.
    let mut numbers: Vec<i64> = facts::wechat_numbers()
        .into_iter()
        .filter(|row| row.code.is_none() && !LEFT_OUT_NUMBERS.contains(&row.number))
        .map(|row| row.number)
        .chain(LOG_NUMBERS)
        .collect();
    numbers.sort_unstable_by(|a, b| b.cmp(a));
    numbers.dedup();
    for number in numbers {
        codes.push(RefCode {
            code: number.to_string(),
            category: origin_category(number).to_string(),
            page_zh: None,
            generic: false,
            numeric: Vec::new(),
        });
    }
    for entry in &mut codes {
        entry.generic = GENERIC.contains(&entry.code.as_str());
    }
    codes
}

/// The page's closing note on generic codes (its last non-empty line), verbatim.
pub fn page_generic_note() -> String {
    let page = String::from_utf8(read("tests/data/cloudbase-error-code-page.txt")).expect("UTF-8");
    let note = page
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .expect("non-empty page");
    assert!(
        note.contains("FUNCTIONS_EXECUTE_FAIL"),
        "unexpected last line {note:?}"
    );
    note.trim().to_string()
}

/// Code → category id, from the reference catalog.
pub fn category_of() -> BTreeMap<String, String> {
    reference_catalog()
        .into_iter()
        .map(|c| (c.code, c.category))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reference matcher
// ---------------------------------------------------------------------------------------------

/// A hit as the reference model finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefHit {
    pub line: u64,
    pub column: u64,
    pub byte_offset: u64,
    pub code: String,
    pub matched: String,
    /// The hit's whole line, without its `\n` and a `\r` right before it.
    pub line_text: Vec<u8>,
}

impl RefHit {
    pub fn tuple(&self) -> HitTuple {
        (
            self.line,
            self.column,
            self.byte_offset,
            self.code.clone(),
            self.matched.clone(),
        )
    }
}

/// The naive matcher.
pub struct Reference {
    /// (searched text, code it stands for), longest text first.
    patterns: Vec<(Vec<u8>, String)>,
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `before` ends with a complete ANSI control sequence: `ESC [`, parameter bytes
/// `0x30..=0x3F`, intermediate bytes `0x20..=0x2F` (at most 32 of the two together), one final
/// byte `0x40..=0x7E`.
fn ends_with_csi(before: &[u8]) -> bool {
    let Some((&last, rest)) = before.split_last() else {
        return false;
    };
    if !(0x40..=0x7e).contains(&last) {
        return false;
    }
    let intermediates = rest
        .iter()
        .rev()
        .take_while(|b| (0x20..=0x2f).contains(*b))
        .count();
    let rest = &rest[..rest.len() - intermediates];
    let params = rest
        .iter()
        .rev()
        .take_while(|b| (0x30..=0x3f).contains(*b))
        .count();
    let rest = &rest[..rest.len() - params];
    params + intermediates <= 32 && rest.ends_with(b"\x1b[")
}

impl Reference {
    /// The built-in catalog's searched texts: every code and every numeric alias.
    pub fn builtin() -> Reference {
        let mut pairs = Vec::new();
        for code in reference_catalog() {
            pairs.push((code.code.clone(), code.code.clone()));
            for n in &code.numeric {
                pairs.push((n.to_string(), code.code.clone()));
            }
        }
        Reference::new(pairs)
    }

    /// A matcher over (text, code) pairs.
    pub fn new(pairs: Vec<(String, String)>) -> Reference {
        let mut patterns: Vec<(Vec<u8>, String)> = pairs
            .into_iter()
            .map(|(text, code)| (text.into_bytes(), code))
            .collect();
        patterns.sort_by_key(|(text, _)| std::cmp::Reverse(text.len()));
        Reference { patterns }
    }

    /// Every hit in `data`, left to right.
    pub fn find(&self, data: &[u8]) -> Vec<RefHit> {
        let mut by_first: Vec<Vec<usize>> = vec![Vec::new(); 256];
        for (index, (text, _)) in self.patterns.iter().enumerate() {
            by_first[text[0] as usize].push(index);
        }
        let mut hits = Vec::new();
        let (mut line, mut line_start) = (1u64, 0usize);
        let mut i = 0;
        while i < data.len() {
            let boundary_before = i == 0 || !is_ident(data[i - 1]) || ends_with_csi(&data[..i]);
            let found = if boundary_before {
                by_first[data[i] as usize].iter().find(|&&p| {
                    let text = &self.patterns[p].0;
                    let end = i + text.len();
                    data[i..].starts_with(text) && (end == data.len() || !is_ident(data[end]))
                })
            } else {
                None
            };
            match found {
                Some(&p) => {
                    let (text, code) = &self.patterns[p];
                    assert!(!text.contains(&b'\n'), "patterns never hold a line break");
                    hits.push(RefHit {
                        line,
                        column: (i - line_start + 1) as u64,
                        byte_offset: i as u64,
                        code: code.clone(),
                        matched: String::from_utf8(text.clone()).expect("UTF-8 pattern"),
                        line_text: line_at(data, line_start),
                    });
                    i += text.len();
                }
                None => {
                    if data[i] == b'\n' {
                        line += 1;
                        line_start = i + 1;
                    }
                    i += 1;
                }
            }
        }
        hits
    }
}

/// The line starting at `start`, without its `\n` and a `\r` right before that `\n`.
fn line_at(data: &[u8], start: usize) -> Vec<u8> {
    match data[start..].iter().position(|&b| b == b'\n') {
        Some(len) => {
            let line = &data[start..start + len];
            line.strip_suffix(b"\r").unwrap_or(line).to_vec()
        }
        None => data[start..].to_vec(),
    }
}

/// Checks a hit record's `text` against the line the reference found: the whole line (lossy
/// UTF-8), or, for very long lines, a piece of it marked with `…` where it was shortened.
pub fn assert_text_fits(text: &str, hit: &RefHit) {
    let line = String::from_utf8_lossy(&hit.line_text);
    if text == line {
        return;
    }
    let inner = text.strip_prefix('…').unwrap_or(text);
    let inner = inner.strip_suffix('…').unwrap_or(inner);
    assert!(
        inner.len() < text.len(),
        "text differs from the line but is not marked as shortened: {text:?} vs {line:?}"
    );
    assert!(
        line.contains(inner),
        "shortened text is not a piece of the line: {inner:?}"
    );
    assert!(
        inner.contains(&hit.matched),
        "text does not show the hit: {inner:?}"
    );
}

/// Compares two hit lists and, when they differ, reports the lengths and the first difference
/// instead of printing thousands of hits.
#[track_caller]
pub fn assert_same_hits(got: &[HitTuple], expected: &[HitTuple], context: &str) {
    if got == expected {
        return;
    }
    let first = got
        .iter()
        .zip(expected)
        .position(|(g, e)| g != e)
        .unwrap_or(got.len().min(expected.len()));
    panic!(
        "{context}: {} hits, expected {}; first difference at #{first}: got {:?}, expected {:?}",
        got.len(),
        expected.len(),
        got.get(first),
        expected.get(first)
    );
}

/// Runs the binary (from the project root) with standard output on `/dev/full`, where every
/// write fails with "No space left on device".
#[cfg(target_os = "linux")]
pub fn output_to_dev_full(args: &[&str]) -> std::process::Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    std::process::Command::new(bin())
        .current_dir(root())
        .args(args)
        .stdout(full)
        .output()
        .expect("cbscan runs")
}
