//! Property tests of the matching semantics and of the parallel scanner.
//!
//! The reference is deliberately naive: every occurrence of every pattern is found with the
//! `regex` crate, boundaries are checked by hand, and the leftmost-longest non-overlapping
//! selection is done by a plain loop. Both engines must agree with it, and the chunked
//! parallel scan (any chunk size, any thread count) and the streaming scan (any block size)
//! must produce exactly the same hits, lines, columns, excerpts and counts.
//!
//! Summaries are checked the same way: the counts per code (hits and lines), lines with hits
//! and same-line generic/specific pairs against a naive count of the reference's hits, and
//! the summary's algebra: parts add up to the whole (also through JSON lines written by the
//! report and read back with `read_jsonl`), `+=` is associative and commutative, and the
//! serialised form round-trips.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cbscan::catalog::Catalog;
use cbscan::input::Source;
use cbscan::policy::Policy;
use cbscan::report::jsonl::JsonlReport;
use cbscan::report::{Context, ReportOptions};
use cbscan::scan::{Batch, Finish, OwnedHit, Resume, ScanOptions, Scanner};
use cbscan::summary::wire::{read_jsonl, WireSummary};
use cbscan::summary::{CodeCounts, Counts, Summary};
use cbscan::text::count_chars;
use cbscan::{CodeId, EngineChoice, Error, Matcher};
use proptest::prelude::*;
use regex::bytes::Regex;

/// (start, end, pattern text) of every hit the reference finds.
fn reference_hits(patterns: &[String], haystack: &[u8]) -> Vec<(usize, usize, String)> {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    // A complete control sequence: `ESC [`, parameter bytes, intermediate bytes (at most 32
    // of the two together), one final byte.
    let csi_before =
        Regex::new(r"\x1b\[([\x30-\x3f]*[\x20-\x2f]*)[\x40-\x7e]\z").expect("valid regex");
    let mut candidates = Vec::new();
    for pattern in patterns {
        let re = Regex::new(&regex::escape(pattern)).expect("escaped pattern is valid");
        let mut at = 0;
        while let Some(m) = re.find_at(haystack, at) {
            let before_ok = m.start() == 0
                || !is_word(haystack[m.start() - 1])
                || csi_before
                    .captures(&haystack[..m.start()])
                    .is_some_and(|c| c[1].len() <= 32);
            let after_ok = m.end() == haystack.len() || !is_word(haystack[m.end()]);
            if before_ok && after_ok {
                candidates.push((m.start(), m.end(), pattern.clone()));
            }
            at = m.start() + 1;
        }
    }
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut chosen = Vec::new();
    let mut next_free = 0;
    for candidate in candidates {
        if candidate.0 >= next_free {
            next_free = candidate.1;
            chosen.push(candidate);
        }
    }
    chosen
}

/// Whether the hit `start..end` of a shared name has CloudBase context, decided naively
/// from the rules of `src/scan/context.rs`'s documentation: its line, at most 256 bytes either
/// side, holds a marker, the `code` + `requestId` (or `Response` + `RequestId`) keys, the name
/// in brackets, or another pattern that is not a shared name or is one in its brackets (a
/// number of 5+ digits).
fn naive_context(catalog: &Catalog, text: &[u8], start: usize, end: usize) -> bool {
    let line_start = text[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line_end = text[end..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| end + i);
    let from = line_start.max(start.saturating_sub(256));
    let to = line_end.min(end + 256);
    let window = &text[from..to];
    let lower = String::from_utf8_lossy(window).to_ascii_lowercase();
    let key = |word: &str| {
        Regex::new(&format!(r#"(?-u)(^|[^A-Za-z0-9_]){word}[:="']"#))
            .expect("valid regex")
            .is_match(window)
    };
    let marker = [
        "cloudbase",
        "wx-server-sdk",
        "wx.cloud",
        "callfunction",
        "errcode",
        "errmsg",
        "错误码",
    ]
    .iter()
    .any(|m| lower.contains(m))
        || Regex::new(r"(?-u)(^|[^a-z0-9])tcb")
            .expect("valid")
            .is_match(lower.as_bytes());
    let closes = |b: u8| end < to && text[end] == b;
    let bracketed = (from < start && text[start - 1] == b'[' && closes(b']'))
        || (text[from..start].ends_with("错误(".as_bytes()) && closes(b')'));
    let shape = (key("code") && (key("requestId") || key("requestID")))
        || (key("Response") && key("RequestId"));
    let patterns = catalog.patterns();
    let texts: Vec<String> = patterns.iter().map(|p| p.text.clone()).collect();
    let other = reference_hits(&texts, window)
        .into_iter()
        .any(|(s, e, pattern)| {
            let numeric = pattern
                .trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit());
            let code = patterns
                .iter()
                .find(|p| p.text == pattern)
                .expect("known")
                .code;
            s != start - from
                && if numeric {
                    pattern.len() - usize::from(pattern.starts_with('-')) >= 5
                } else {
                    // A shared name counts by itself in its brackets.
                    let in_brackets =
                        (s > 0 && window[s - 1] == b'[' && window.get(e) == Some(&b']'))
                            || (window[..s].ends_with("错误(".as_bytes())
                                && window.get(e) == Some(&b')'));
                    !catalog.code(code).shared || in_brackets
                }
        });
    marker || bracketed || shape || other
}

/// The reference's hits that a scan counts: a shared name only with CloudBase context.
fn reference_scan_hits(catalog: &Catalog, text: &[u8]) -> Vec<(usize, usize, String)> {
    let patterns = catalog.patterns();
    let texts: Vec<String> = patterns.iter().map(|p| p.text.clone()).collect();
    reference_hits(&texts, text)
        .into_iter()
        .filter(|(start, end, pattern)| {
            let code = patterns
                .iter()
                .find(|p| p.text == *pattern)
                .expect("known")
                .code;
            let numeric = pattern
                .trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit());
            numeric || !catalog.code(code).shared || naive_context(catalog, text, *start, *end)
        })
        .collect()
}

fn engine_hits(matcher: &Matcher, haystack: &[u8]) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    matcher.find(haystack, 0, haystack.len(), |m| {
        found.push((
            m.start,
            m.end,
            matcher.patterns()[m.pattern as usize].text.clone(),
        ))
    });
    found
}

/// Line (1-based) and byte column (1-based) of `offset`, computed the slow way.
fn line_and_column(haystack: &[u8], offset: usize) -> (u64, u64) {
    let before = &haystack[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    (line, (offset - line_start) as u64 + 1)
}

fn builtin() -> Catalog {
    Catalog::builtin().expect("built-in catalog parses")
}

/// Pieces that random logs are assembled from: codes, their near misses, numeric aliases,
/// ANSI colours and spinner sequences (whole and cut short), CJK text, line breaks and random
/// bytes.
fn fragment(catalog: &Catalog) -> BoxedStrategy<Vec<u8>> {
    let patterns: Vec<String> = catalog.patterns().into_iter().map(|p| p.text).collect();
    let codes = prop::sample::select(patterns.clone());
    prop_oneof![
        4 => codes.clone().prop_map(String::into_bytes),
        2 => (codes.clone(), prop::sample::select(vec!["_MS", "X", "s", "9", "_"]))
            .prop_map(|(c, s)| format!("{c}{s}").into_bytes()),
        2 => (prop::sample::select(vec![
            "X", "v2", "_", "a", "1", "m", "\x1b[K", "\x1b[2K", "\x1b[D", "\x1b[2D", "\x1b[2",
        ]), codes.clone())
            .prop_map(|(p, c)| format!("{p}{c}").into_bytes()),
        1 => codes.clone().prop_map(|c| c.to_lowercase().into_bytes()),
        1 => codes.prop_map(|c| c.as_bytes()[..c.len() - 1].to_vec()),
        2 => prop::sample::select(vec![
            "\x1b[1;31m", "\x1b[0m", "\x1b[m", "\x1b[38;5;196m", "\x1b[31", "[31m", "\x1b[1;31;",
            "\x1b[K", "\x1b[2K", "\x1b[1G", "\x1b[G", "\x1b[?25h", "\x1b[?25l", "\r\x1b[K",
            "\x1b[2K\x1b[1G", "\x1b[1 q", "\x1b[", "\x1b[2", "\x1b[?25", "\x1b[1 ", "[2K", "K", "G",
            "\x1b[11111111111111111111111111111111K", "\x1b[111111111111111111111111111111111K",
            "\x1b[1111111111111111111111111111111 q", "\x1b[11111111111111111111111111111111 q",
            "-5020051", "v2-503003", "--502005", "errCode: ", "错误码", "，", "…/basic/",
            "\r\n", "\n", "\r", " ", "\"", "=", "[", "]", "-", "m", "\x00",
            // CloudBase context for shared names (and near misses of it).
            "cloudbase", "TcbError", "xtcb", "\"code\":", "\"requestId\":", "code", "[INVALID_PARAM]",
            "docker login: AUTHENTICATION_FAILED", "INVALID_PARAM", "RequestId=", "错误(", ")",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        2 => prop::collection::vec(any::<u8>(), 0..8),
    ]
    .boxed()
}

fn log_text(catalog: &Catalog) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(fragment(catalog), 0..60).prop_map(|parts| parts.concat())
}

/// Longer logs (several stream blocks), with long lines now and then.
fn long_log_text(catalog: &Catalog) -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        9 => fragment(catalog),
        1 => (1usize..1500).prop_map(|n| vec![b'z'; n]),
    ];
    prop::collection::vec(piece, 0..300).prop_map(|parts| parts.concat())
}

/// A user catalog the word engine cannot take (codes with `-` and `.`), with a code starting
/// with `m` (a control sequence's final byte), one with a leading digit, and codes that are
/// prefixes of others.
const ODD_CATALOG: &str = r#"
[[category]]
id = "odd"
en = "Odd"

[[code]]
code = "ERR"
category = "odd"
en = "e"

[[code]]
code = "ERR-1"
category = "odd"
en = "e1"
numeric = [7]

[[code]]
code = "a.b"
category = "odd"
en = "ab"

[[code]]
code = "X-Y"
category = "odd"
en = "xy"

[[code]]
code = "Y"
category = "odd"
en = "y"

[[code]]
code = "mCODE"
category = "odd"
en = "m"

[[code]]
code = "9LIVES"
category = "odd"
en = "9"
numeric = [-12]
"#;

fn odd_catalog() -> Catalog {
    let mut catalog = Catalog::empty();
    catalog
        .extend_from_toml("odd.toml", ODD_CATALOG)
        .expect("odd catalog is valid");
    catalog
}

/// Checks that every hit knows its character column and that it is right.
fn check_char_columns(text: &[u8], hits: &[OwnedHit]) {
    for h in hits {
        let line_start = text[..h.byte_offset as usize]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let expected = count_chars(&text[line_start..h.byte_offset as usize]) + 1;
        assert_eq!(
            h.char_column,
            Some(expected),
            "the hit at {}",
            h.byte_offset
        );
    }
}

fn located(hits: &[OwnedHit]) -> Vec<(u64, u64, u64, u32)> {
    hits.iter()
        .map(|h| (h.line, h.column, h.byte_offset, h.pattern))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn both_engines_equal_the_naive_reference(text in log_text(&builtin())) {
        let catalog = builtin();
        let patterns: Vec<String> = catalog.patterns().into_iter().map(|p| p.text).collect();
        let expected = reference_hits(&patterns, &text);
        for choice in [EngineChoice::Words, EngineChoice::WordsTeddy, EngineChoice::General] {
            let matcher = Matcher::with_engine(&catalog, choice).expect("engine builds");
            prop_assert_eq!(&engine_hits(&matcher, &text), &expected, "engine {}", matcher.engine_name());
        }
    }

    #[test]
    fn general_engine_equals_the_reference_on_odd_catalogs(text in log_text(&odd_catalog())) {
        let catalog = odd_catalog();
        let patterns: Vec<String> = catalog.patterns().into_iter().map(|p| p.text).collect();
        let matcher = Matcher::new(&catalog);
        prop_assert_eq!(matcher.engine_name(), "aho-corasick-dfa");
        prop_assert_eq!(engine_hits(&matcher, &text), reference_hits(&patterns, &text));
    }

    #[test]
    fn chunked_parallel_and_streaming_scans_equal_the_reference(
        text in long_log_text(&builtin()),
        chunk_size in 1usize..2000,
        threads in 1usize..4,
        block_size in 1usize..4096,
    ) {
        let catalog = builtin();
        let chunked = ScanOptions { threads, chunk_min: 0, chunk_size, ..ScanOptions::default() };
        let (hits, summary) = Scanner::for_catalog(&catalog, chunked).scan_bytes(text.clone());

        let patterns: Vec<String> = catalog.patterns().into_iter().map(|p| p.text).collect();
        let expected: Vec<(u64, u64, u64, u32)> = reference_scan_hits(&catalog, &text)
            .into_iter()
            .map(|(start, _, pattern)| {
                let (line, column) = line_and_column(&text, start);
                let id = patterns.iter().position(|p| *p == pattern).expect("known pattern") as u32;
                (line, column, start as u64, id)
            })
            .collect();
        prop_assert_eq!(located(&hits), expected);

        let newlines = text.iter().filter(|&&b| b == b'\n').count() as u64;
        let lines = newlines + u64::from(text.last().is_some_and(|&b| b != b'\n'));
        prop_assert_eq!(summary.lines(), lines);
        prop_assert_eq!(summary.bytes(), text.len() as u64);
        prop_assert_eq!(summary.hits(), hits.len() as u64);
        // Lines with each code, and lines with any code, as the reference says.
        let mut code_lines: std::collections::BTreeMap<(usize, u64), ()> = Default::default();
        for hit in &hits {
            code_lines.insert((hit.code, hit.line), ());
        }
        for (code, counts) in summary.codes_by_count() {
            let reference = code_lines.keys().filter(|(c, _)| *c == code).count() as u64;
            prop_assert_eq!(counts.lines, reference, "lines with {}", code);
        }
        let lines_with_hits: std::collections::BTreeSet<u64> = hits.iter().map(|h| h.line).collect();
        prop_assert_eq!(summary.lines_with_hits(), lines_with_hits.len() as u64);

        let streaming = ScanOptions { block_size, ..ScanOptions::default() };
        let (stream_hits, stream_summary) = Scanner::for_catalog(&catalog, streaming)
            .scan_reader(text.as_slice())
            .expect("reading memory cannot fail");
        // Character columns: known and right for every hit, even on lines longer than a
        // stream's blocks (the scanner counts what it drops of a line).
        prop_assert_eq!(&stream_hits, &hits);
        check_char_columns(&text, &hits);
        prop_assert_eq!(unnamed(&catalog, &stream_summary), unnamed(&catalog, &summary));

        let single = ScanOptions { threads: 1, chunk_min: u64::MAX, ..ScanOptions::default() };
        let (whole_hits, _) = Scanner::for_catalog(&catalog, single).scan_bytes(text.clone());
        prop_assert_eq!(&whole_hits, &hits);
    }
}

/// Split points of `len` bytes: sorted, distinct, inside.
fn split_points(len: usize, cuts: &[usize]) -> Vec<usize> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (len + 1)).collect();
    points.push(0);
    points.push(len);
    points.sort_unstable();
    points.dedup();
    points
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Feeding an input in random pieces, and taking the scanner's state out and putting it
    /// into a new scanner between pieces, gives the hits and counts of the whole-input scan.
    #[test]
    fn feeding_in_pieces_with_restarts_equals_the_whole_scan(
        text in long_log_text(&builtin()),
        cuts in prop::collection::vec(any::<usize>(), 0..24),
        restarts in prop::collection::vec(any::<bool>(), 24),
        block_size in 1usize..4096,
    ) {
        let catalog = builtin();
        let scanner = Scanner::for_catalog(&catalog, ScanOptions { block_size, ..ScanOptions::default() });
        let (whole, summary) = scanner.scan_reader(text.as_slice()).expect("memory reads");

        let mut hits = Vec::new();
        let mut counts = Counts::new(scanner.codes());
        let mut keep = |batch: Batch| {
            hits.extend(batch.hits(0).map(|h| h.to_owned()));
            counts += batch.counts();
            Ok(())
        };
        let (mut bytes, mut lines) = (0, 0);
        let mut lines_scanner = scanner.line_scanner(Resume::at(0, 0));
        let points = split_points(text.len(), &cuts);
        for (i, piece) in points.windows(2).enumerate() {
            lines_scanner.feed(&text[piece[0]..piece[1]], &mut keep).expect("collecting");
            if restarts[i % restarts.len()] {
                let (stats, state) = lines_scanner.finish(Finish::Pending, &mut keep).expect("collecting");
                bytes += stats.bytes;
                lines += stats.lines;
                prop_assert_eq!(state.end(), piece[1] as u64);
                lines_scanner = scanner.line_scanner(state);
            }
        }
        let (stats, _) = lines_scanner.finish(Finish::Final, &mut keep).expect("collecting");
        bytes += stats.bytes;
        lines += stats.lines;
        prop_assert_eq!(&hits, &whole);
        prop_assert_eq!(counts.codes_by_count(), summary.codes_by_count());
        prop_assert_eq!(counts.lines_with_hits(), summary.lines_with_hits());
        prop_assert_eq!(counts.pairs().collect::<Vec<_>>(), summary.pairs().collect::<Vec<_>>());
        prop_assert_eq!((bytes, lines), (summary.bytes(), summary.lines()));
    }

    /// With `Finish::Pending`, exactly the hits of the complete lines are reported: nothing
    /// from the unterminated last line.
    #[test]
    fn pending_reports_only_complete_lines(
        text in long_log_text(&builtin()),
        cut in any::<usize>(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let catalog = builtin();
        let scanner = Scanner::for_catalog(&catalog, ScanOptions::default());
        let prefix = &text[..cut % (text.len() + 1)];
        let complete = prefix.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        // A line longer than the buffer is scanned before its end, by design.
        prop_assume!(prefix.len() - complete < cbscan::limits::BLOCK_SIZE);
        let (whole, _) = scanner.scan_reader(text.as_slice()).expect("memory reads");
        let expected: Vec<OwnedHit> =
            whole.into_iter().filter(|h| (h.byte_offset as usize) < complete).collect();

        let mut hits = Vec::new();
        let mut keep = |batch: Batch| {
            hits.extend(batch.hits(0).map(|h| h.to_owned()));
            Ok(())
        };
        let mut lines_scanner = scanner.line_scanner(Resume::at(0, 0));
        for piece in split_points(prefix.len(), &cuts).windows(2) {
            lines_scanner.feed(&prefix[piece[0]..piece[1]], &mut keep).expect("collecting");
        }
        let (_, state) = lines_scanner.finish(Finish::Pending, &mut keep).expect("collecting");
        prop_assert_eq!(&hits, &expected);
        prop_assert_eq!(state.scanned, complete as u64);
        prop_assert_eq!(&state.pending[..], &prefix[complete..]);
    }
}

/// Scans `sources` through the JSON-lines report: what the report wrote, and the summary.
fn scan_to_jsonl(scanner: &Scanner, catalog: &Catalog, sources: Vec<Source>) -> (Vec<u8>, Summary) {
    let mut out = Vec::new();
    let policy = Policy::parse(catalog, &[]).expect("the default policy resolves");
    let context = Context {
        catalog,
        policy: &policy,
        base_dir: std::path::Path::new("."),
    };
    let summary = {
        let mut report = JsonlReport::new(
            Box::new(&mut out),
            "memory".into(),
            context,
            ReportOptions::default(),
        );
        scanner
            .scan(sources, &mut report)
            .into_result()
            .expect("writing to memory cannot fail")
    };
    (out, summary)
}

fn bytes_source(name: &str, data: &[u8]) -> Source {
    Source::Bytes {
        name: name.into(),
        data: Arc::new(data.to_vec()),
    }
}

/// An input that could not even be listed: it has an `error` and an incomplete `end`.
fn failed_source(name: &str) -> Source {
    Source::Failed(Arc::new(Error::Input {
        path: name.into(),
        source: std::io::Error::other("gone"),
    }))
}

/// Cuts `text` into parts at line starts only (0, just after a `\n`, or the end), at the
/// places `cuts` pick; equal cuts make empty parts (an empty rotated log).
fn line_parts<'t>(text: &'t [u8], cuts: &[prop::sample::Index]) -> Vec<&'t [u8]> {
    let mut starts: Vec<usize> = std::iter::once(0)
        .chain(
            text.iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .chain(std::iter::once(text.len()))
        .collect();
    starts.dedup();
    let mut points: Vec<usize> = cuts.iter().map(|c| *c.get(&starts)).collect();
    points.sort_unstable();
    points.insert(0, 0);
    points.push(text.len());
    points.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

/// What a summary must hold, counted naively from the reference's hits: per code, hits and
/// lines holding it; lines with any hit; per (generic, specific) pair, the lines holding both.
struct ReferenceCounts {
    by_code: BTreeMap<CodeId, CodeCounts>,
    lines_with_hits: u64,
    together: BTreeMap<(CodeId, CodeId), u64>,
}

fn reference_counts(catalog: &Catalog, text: &[u8]) -> ReferenceCounts {
    let patterns = catalog.patterns();
    let mut by_code: BTreeMap<CodeId, CodeCounts> = BTreeMap::new();
    let mut on_line: BTreeMap<u64, BTreeSet<CodeId>> = BTreeMap::new();
    for (start, _, pattern) in reference_scan_hits(catalog, text) {
        let code = patterns
            .iter()
            .find(|p| p.text == pattern)
            .expect("known pattern")
            .code;
        by_code.entry(code).or_default().hits += 1;
        let (line, _) = line_and_column(text, start);
        on_line.entry(line).or_default().insert(code);
    }
    let mut together: BTreeMap<(CodeId, CodeId), u64> = BTreeMap::new();
    for codes in on_line.values() {
        for &code in codes {
            by_code.entry(code).or_default().lines += 1;
            if !catalog.code(code).is_generic() {
                continue;
            }
            for &other in codes.iter().filter(|&&c| !catalog.code(c).is_generic()) {
                *together.entry((code, other)).or_default() += 1;
            }
        }
    }
    ReferenceCounts {
        by_code,
        lines_with_hits: on_line.len() as u64,
        together,
    }
}

/// The counts per code a summary holds, codes with nothing left out.
fn code_counts(catalog: &Catalog, counts: &Counts) -> BTreeMap<CodeId, CodeCounts> {
    (0..catalog.codes().len())
        .map(|code| (code, counts.code(code)))
        .filter(|(_, c)| *c != CodeCounts::default())
        .collect()
}

/// The totals of `summary` in wire form, without the names of the inputs where codes not in
/// the catalog were first seen (streaming and in-memory scans name their input differently).
fn unnamed(catalog: &Catalog, summary: &Summary) -> WireSummary {
    let mut wire = summary.to_wire(catalog, false);
    for seen in wire.unknown.values_mut() {
        seen.path = cbscan::summary::wire::Data::from_bytes(b"");
    }
    wire
}

/// Occurrences of each code not in the catalog.
fn unknown_counts(wire: &WireSummary) -> BTreeMap<String, u64> {
    wire.unknown
        .iter()
        .map(|(code, seen)| (code.clone(), seen.count))
        .collect()
}

/// Adds up `parts` with `+=`, left to right, from an empty summary.
fn sum(codes: usize, parts: &[&Summary]) -> Summary {
    let mut total = Summary::new(codes);
    for part in parts {
        total += *part;
    }
    total
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A log cut into 1–6 parts, each part scanned as its own run (as a rotated log is) through
    /// the JSON-lines report and read back with `read_jsonl`, adds up with `+=` to what the
    /// scan of the whole log reads back as, and to the whole scan's own serialised summary.
    ///
    /// The cuts are at line starts only: a cut inside a line makes two lines of one (both
    /// counted in `lines`, a code on each side counted on two lines), so line counts add up
    /// only over whole lines.
    #[test]
    fn jsonl_of_parts_read_back_adds_up_to_the_whole(
        text in long_log_text(&builtin()),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        threads in 1usize..4,
        chunk_size in 1usize..2000,
    ) {
        let catalog = builtin();
        let parts = line_parts(&text, &cuts);
        // The parts go through the chunked parallel path, the whole through one worker.
        let chunked = Scanner::for_catalog(
            &catalog,
            ScanOptions { threads, chunk_min: 0, chunk_size, ..ScanOptions::default() },
        );
        let single = Scanner::for_catalog(
            &catalog,
            ScanOptions { threads: 1, chunk_min: u64::MAX, ..ScanOptions::default() },
        );

        let mut merged = WireSummary::default();
        for part in &parts {
            let (jsonl, _) = scan_to_jsonl(&chunked, &catalog, vec![bytes_source("app.log", part)]);
            merged += &read_jsonl(jsonl.as_slice()).expect("the report's output reads back");
        }
        let (jsonl, summary) =
            scan_to_jsonl(&single, &catalog, vec![bytes_source("app.log", &text)]);
        let whole = read_jsonl(jsonl.as_slice()).expect("the report's output reads back");
        prop_assert_eq!(&whole, &summary.to_wire(&catalog, true));

        // `files` counts runs, not bytes: N parts are N inputs read to the end, the whole is
        // one. Everything else (bytes, lines, hits, lines_with_hits, errors, by_code with hits
        // and lines, together, and the one joined per-input row) must add up exactly.
        prop_assert_eq!(merged.files, parts.len() as u64);
        prop_assert_eq!(whole.files, 1);
        merged.files = whole.files;
        prop_assert_eq!(&merged.by_code, &whole.by_code);
        prop_assert_eq!(merged.lines_with_hits, whole.lines_with_hits);
        prop_assert_eq!(&merged.together, &whole.together);
        prop_assert_eq!(&merged.inputs, &whole.inputs);
        // Where a code not in the catalog was first seen is a line of one part: parts number
        // their lines from 1, so only its counts add up.
        prop_assert_eq!(unknown_counts(&merged), unknown_counts(&whole));
        merged.unknown = whole.unknown.clone();
        prop_assert_eq!(&merged, &whole);
    }

    /// Summaries of the chunked parallel scan (any chunk size, any thread count), of one
    /// worker over the whole input, and of the streaming scan (any block size) are the same,
    /// and hold the naive reference's counts: hits and lines per code, lines with hits, and
    /// same-line generic/specific pairs, in the totals and in the input's row.
    #[test]
    fn summaries_of_every_scan_path_equal_the_naive_counts(
        text in long_log_text(&builtin()),
        chunk_size in 1usize..2000,
        threads in 1usize..4,
        block_size in 1usize..4096,
    ) {
        let catalog = builtin();
        let expected = reference_counts(&catalog, &text);
        let chunked = ScanOptions { threads, chunk_min: 0, chunk_size, ..ScanOptions::default() };
        let (_, summary) = Scanner::for_catalog(&catalog, chunked).scan_bytes(text.clone());

        prop_assert_eq!(&code_counts(&catalog, &summary), &expected.by_code);
        prop_assert_eq!(summary.lines_with_hits(), expected.lines_with_hits);
        let pairs: BTreeMap<(CodeId, CodeId), u64> = summary.pairs().collect();
        prop_assert_eq!(&pairs, &expected.together);
        prop_assert_eq!(summary.hits(), expected.by_code.values().map(|c| c.hits).sum::<u64>());
        let row = &summary.inputs()[0];
        let row_codes: BTreeMap<CodeId, CodeCounts> = row.by_code.iter().copied().collect();
        prop_assert_eq!(&row_codes, &expected.by_code);
        prop_assert_eq!(row.lines_with_hits, expected.lines_with_hits);

        let single = ScanOptions { threads: 1, chunk_min: u64::MAX, ..ScanOptions::default() };
        let (_, sequential) = Scanner::for_catalog(&catalog, single).scan_bytes(text.clone());
        prop_assert_eq!(&sequential, &summary);

        let streaming = ScanOptions { block_size, ..ScanOptions::default() };
        let (_, streamed) = Scanner::for_catalog(&catalog, streaming)
            .scan_reader(text.as_slice())
            .expect("reading memory cannot fail");
        prop_assert_eq!(unnamed(&catalog, &streamed), unnamed(&catalog, &summary));
    }

    /// Scanned summaries survive `to_wire` → JSON → `from_wire` unchanged, with and without
    /// their rows; and the report's JSON lines read back as the summary's wire form, with rows
    /// of the same name joined (as `+=` joins them) where the scan kept one row per input.
    #[test]
    fn scanned_summaries_round_trip_through_the_wire(
        inputs in prop::collection::vec(
            (
                prop::sample::select(vec!["a.log", "b.log", "c/a.log"]),
                long_log_text(&builtin()),
                0u8..8,
            ),
            1..5,
        ),
        threads in 1usize..4,
        chunk_size in 1usize..2000,
    ) {
        let catalog = builtin();
        let scanner = Scanner::for_catalog(
            &catalog,
            ScanOptions { threads, chunk_min: 0, chunk_size, ..ScanOptions::default() },
        );
        // Now and then an input that cannot be read, for `errors` and a row with an error.
        let sources: Vec<Source> = inputs
            .iter()
            .map(|(name, text, fail)| match fail {
                0 => failed_source(name),
                _ => bytes_source(name, text),
            })
            .collect();
        let (jsonl, summary) = scan_to_jsonl(&scanner, &catalog, sources);
        prop_assert_eq!(summary.inputs().len(), inputs.len());

        let wire = summary.to_wire(&catalog, true);
        let json = serde_json::to_string(&wire).expect("serialises");
        let back: WireSummary = serde_json::from_str(&json).expect("deserialises");
        prop_assert_eq!(&back, &wire);
        prop_assert_eq!(&Summary::from_wire(back, &catalog).expect("known codes"), &summary);

        let totals =
            Summary::from_wire(summary.to_wire(&catalog, false), &catalog).expect("known codes");
        prop_assert_eq!(totals.total(), summary.total());
        prop_assert!(totals.inputs().is_empty());

        let joined = sum(catalog.codes().len(), &[&summary]);
        prop_assert_eq!(
            read_jsonl(jsonl.as_slice()).expect("the report's output reads back"),
            joined.to_wire(&catalog, true)
        );
    }

    /// `+=` on scanned summaries: any grouping gives the same summary, any order the same
    /// totals (rows keep first-seen order, so only their contents are compared), an empty
    /// summary adds nothing, and adding serialised forms equals serialising the sum.
    #[test]
    fn adding_summaries_is_associative_and_commutative(
        inputs in prop::collection::vec(
            (prop::sample::select(vec!["a.log", "b.log", "c.log"]), long_log_text(&builtin())),
            3..6,
        ),
        order in prop::collection::vec(any::<u32>(), 6),
        split in any::<prop::sample::Index>(),
    ) {
        let catalog = builtin();
        let codes = catalog.codes().len();
        let scanner = Scanner::for_catalog(&catalog, ScanOptions::default());
        let parts: Vec<Summary> = inputs
            .iter()
            .map(|(name, text)| {
                scanner
                    .scan(vec![bytes_source(name, text)], &mut cbscan::sink::Discard)
                    .into_result()
                    .expect("memory reads")
            })
            .collect();
        let all: Vec<&Summary> = parts.iter().collect();
        let left_to_right = sum(codes, &all);

        // (first k) + (the rest), for a random k.
        let k = split.index(parts.len() + 1);
        let mut grouped = sum(codes, &all[..k]);
        grouped += sum(codes, &all[k..]);
        prop_assert_eq!(&grouped, &left_to_right);

        let mut keyed: Vec<(u32, &Summary)> =
            order.iter().copied().zip(all.iter().copied()).collect();
        keyed.sort_by_key(|(key, _)| *key);
        let shuffled: Vec<&Summary> = keyed.into_iter().map(|(_, s)| s).collect();
        let reordered = sum(codes, &shuffled);
        prop_assert_eq!(reordered.total(), left_to_right.total());
        let rows = |s: &Summary| {
            let mut rows = s.inputs().to_vec();
            rows.sort_by(|a, b| a.name.cmp(&b.name));
            rows
        };
        prop_assert_eq!(rows(&reordered), rows(&left_to_right));

        let mut with_empty = parts[0].clone();
        with_empty += &Summary::new(codes);
        prop_assert_eq!(&with_empty, &parts[0]);
        prop_assert_eq!(&sum(0, &[&parts[0]]), &parts[0]);

        let mut wire = WireSummary::default();
        for part in &parts {
            wire += &part.to_wire(&catalog, true);
        }
        prop_assert_eq!(wire, left_to_right.to_wire(&catalog, true));
    }
}
