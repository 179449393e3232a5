//! How inputs are opened and read: compressed logs (recognised by their bytes, not their
//! names), damaged archives, an input that is the output file, the size a file had when it was
//! opened, files rotated, deleted or cut (truncated) mid-scan or before it, the chunk-size floor
//! and the excerpt radius; folder walks that find nothing, and the folders walks skip.
//!
//! Expected hits come from the plain fixtures through the independent reference model in
//! `tests/support/`, or are written out by hand.

mod support;

use std::io::{self, Write};
use std::path::Path;
use std::process::Command as StdCommand;
use std::sync::Arc;

use cbscan::catalog::Catalog;
use cbscan::input::Source;
use cbscan::scan::{Notice, ScanOptions, Scanner};
use cbscan::sink::{Hits, InputEnd, InputInfo, Sink};
use support::*;

const GZ: &str = "fixtures/rotated/cloudfunction-runtime.log.1.gz";
const GZ_PLAIN: &str = "fixtures/cloudfunction-runtime.log";
const ZST: &str = "fixtures/rotated/cli-deploy.log.2.zst";
const ZST_PLAIN: &str = "fixtures/cli-deploy.log";

fn run(args: &[&str]) -> Run {
    run_in(&root(), args, None)
}

/// The hits the reference model finds in a file below the package root.
fn expected_hits(rel: &str) -> Vec<HitTuple> {
    Reference::builtin()
        .find(&read(rel))
        .iter()
        .map(RefHit::tuple)
        .collect()
}

#[test]
fn gzip_and_zstd_logs_are_scanned_decompressed() {
    for (archive, plain) in [(GZ, GZ_PLAIN), (ZST, ZST_PLAIN)] {
        let expected = expected_hits(plain);
        assert!(
            expected.len() >= 5,
            "{plain}: enough hits to mean something"
        );
        let plain_bytes = read(plain);
        // As a small file, as a large one (the chunked path must not cut an archive), and
        // from stdin.
        for args in [
            vec!["scan", "--format", "jsonl", archive],
            vec![
                "scan",
                "--format",
                "jsonl",
                "--chunk-min",
                "1",
                "--chunk-size",
                "4096",
                archive,
            ],
        ] {
            let r = run(&args);
            assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
            let recs = records(&r.stdout);
            assert_eq!(hit_tuples(&recs), expected, "{args:?}");
            let sum = summary(&recs);
            assert_eq!(sum["bytes"], plain_bytes.len() as u64, "decompressed bytes");
            assert_eq!(sum["lines"], count_lines(&plain_bytes));
        }
        let r = run_in(
            &root(),
            &["scan", "--format", "jsonl", "-"],
            Some(&read(archive)),
        );
        assert_eq!(hit_tuples(&records(&r.stdout)), expected, "stdin {archive}");
    }
}

#[test]
fn compressed_logs_are_recognised_by_their_bytes_not_their_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.log"), read(GZ)).unwrap();
    std::fs::write(dir.path().join("deploy.txt"), read(ZST)).unwrap();
    // A plain log named like an archive is read as it is.
    std::fs::write(dir.path().join("plain.gz"), "x SYS_ERR y\n").unwrap();
    let r = run_in(dir.path(), &["scan", "--format", "jsonl", "."], None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let recs = records(&r.stdout);
    let hits = |path: &str| {
        recs.iter()
            .filter(|rec| rec["type"] == "hit" && rec["path"]["text"] == path)
            .count()
    };
    assert_eq!(hits("./app.log"), expected_hits(GZ_PLAIN).len());
    assert_eq!(hits("./deploy.txt"), expected_hits(ZST_PLAIN).len());
    assert_eq!(hits("./plain.gz"), 1);
}

#[test]
fn no_decompress_scans_the_raw_bytes() {
    let r = run(&["scan", "--format", "jsonl", "--no-decompress", GZ, ZST]);
    let recs = records(&r.stdout);
    assert_eq!(r.code, 0, "no code survives compression: {}", r.stderr);
    assert_eq!(summary(&recs)["hits"], 0);
    assert_eq!(
        summary(&recs)["bytes"],
        (read(GZ).len() + read(ZST).len()) as u64
    );
}

#[test]
fn a_damaged_archive_is_an_error_naming_it_and_keeps_the_hits_before_the_damage() {
    let dir = tempfile::tempdir().unwrap();
    let whole = read(GZ);
    // The first member holds lines 1-10 of the plain log; cut inside the second one.
    std::fs::write(dir.path().join("cut.log.gz"), &whole[..whole.len() - 200]).unwrap();
    let mut corrupt = read(ZST);
    let middle = corrupt.len() / 2;
    corrupt[middle..middle + 40].fill(0x55);
    std::fs::write(dir.path().join("corrupt.log.zst"), &corrupt).unwrap();
    std::fs::write(dir.path().join("fine.log"), "x DATABASE_TIMEOUT y\n").unwrap();
    let r = run_in(
        dir.path(),
        &[
            "scan",
            "--format",
            "jsonl",
            "cut.log.gz",
            "corrupt.log.zst",
            "fine.log",
        ],
        None,
    );
    assert_eq!(r.code, 2, "a damaged input fails the scan: {}", r.stderr);
    assert!(
        r.stderr.contains("cut.log.gz: gzip: data is truncated"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("corrupt.log.zst: zstd: data is corrupt"),
        "{}",
        r.stderr
    );
    let recs = records(&r.stdout);
    let from = |path: &str| -> Vec<HitTuple> {
        hit_tuples(
            &recs
                .iter()
                .filter(|rec| rec["path"]["text"] == path)
                .cloned()
                .collect::<Vec<_>>(),
        )
    };
    let first_member: Vec<HitTuple> = expected_hits(GZ_PLAIN)
        .into_iter()
        .filter(|hit| hit.0 <= 10)
        .collect();
    let kept = from("cut.log.gz");
    assert!(kept.len() >= first_member.len() && !first_member.is_empty());
    assert_eq!(&kept[..first_member.len()], &first_member[..]);
    assert_eq!(
        from("fine.log").len(),
        1,
        "the other inputs are still scanned"
    );
    let sum = summary(&recs);
    assert_eq!(sum["errors"], 2);
    assert_eq!(
        sum["hits"],
        (kept.len() + 1) as u64,
        "every printed hit is counted"
    );
    assert!(
        sum["bytes"].as_u64() > Some(21),
        "what was read before the damage counts: {sum}"
    );

    // Counting only gives the same totals.
    let counted = run_in(
        dir.path(),
        &[
            "scan",
            "-s",
            "--format",
            "jsonl",
            "cut.log.gz",
            "corrupt.log.zst",
            "fine.log",
        ],
        None,
    );
    let counted = records(&counted.stdout);
    let counted = summary(&counted);
    for field in ["hits", "bytes", "lines", "errors", "files"] {
        assert_eq!(counted[field], sum[field], "{field} with -s");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_file_whose_size_reads_as_zero_is_read_to_its_end() {
    // Kernel files report size 0 and have content, as `cat` shows.
    let r = run(&["scan", "-s", "--format", "jsonl", "/proc/self/status"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let recs = records(&r.stdout);
    let sum = summary(&recs);
    assert!(sum["bytes"].as_u64() > Some(100), "{sum}");
    assert!(sum["lines"].as_u64() > Some(10), "{sum}");
}

#[test]
fn tiny_chunk_sizes_are_rejected() {
    for size in ["0", "1", "4095"] {
        let r = run(&["scan", "--chunk-size", size, GZ_PLAIN]);
        assert_eq!(r.code, 2, "--chunk-size {size}");
        assert!(
            r.stderr
                .contains(&format!("--chunk-size {size}: must be at least 4096 bytes")),
            "{}",
            r.stderr
        );
    }
    assert_eq!(
        run(&["scan", "-s", "--chunk-size", "4096", GZ_PLAIN]).code,
        1
    );
}

/// Runs `cbscan ARGS-AND-REDIRECTIONS` through `sh` in `dir`: its exit status and stderr.
fn shell(dir: &Path, command: &str) -> (Option<i32>, String) {
    let script = format!("exec '{}' {command}", bin().display());
    let output = StdCommand::new("sh")
        .current_dir(dir)
        .args(["-c", &script])
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

#[cfg(unix)]
#[test]
fn an_input_that_is_the_output_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let log = b"one SYS_ERR\ntwo DATABASE_TIMEOUT\n";
    std::fs::write(dir.path().join("x.log"), log).unwrap();
    std::fs::write(dir.path().join("other.log"), "three SYS_ERR\n").unwrap();
    let (code, stderr) = shell(dir.path(), "scan --format jsonl x.log other.log >> x.log");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("x.log: input file is also the output"),
        "{stderr}"
    );
    let written = std::fs::read(dir.path().join("x.log")).unwrap();
    assert!(written.starts_with(log));
    let appended = records(&written[log.len()..]);
    let hits = of_type(&appended, "hit");
    assert_eq!(hits.len(), 1, "only other.log was scanned: {appended:?}");
    assert_eq!(hits[0]["path"]["text"], "other.log");

    // Standard input redirected from the output file is refused the same way.
    let (code, stderr) = shell(dir.path(), "scan --format jsonl - < x.log >> x.log");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("<stdin>: input file is also the output"),
        "{stderr}"
    );
}

/// The README documents that an excerpt keeps at most 256 bytes either side of a hit.
#[test]
fn excerpts_keep_256_bytes_either_side_of_a_hit() {
    let before = "b".repeat(1000);
    let after = "a".repeat(1000);
    let line = format!("{before} DATABASE_TIMEOUT {after}\n");
    let r = run_in(
        &root(),
        &["scan", "--format", "jsonl", "-"],
        Some(line.as_bytes()),
    );
    let recs = records(&r.stdout);
    let hits = of_type(&recs, "hit");
    assert_eq!(hits.len(), 1);
    // 256 bytes either side: the space and 255 letters.
    let expected = format!("…{} DATABASE_TIMEOUT {}…", "b".repeat(255), "a".repeat(255));
    assert_eq!(hits[0]["text"], expected.as_str());
    // A line shorter than that is kept whole.
    let short = format!("{} DATABASE_TIMEOUT {}\n", "b".repeat(255), "a".repeat(255));
    let r = run_in(
        &root(),
        &["scan", "--format", "jsonl", "-"],
        Some(short.as_bytes()),
    );
    let recs = records(&r.stdout);
    assert_eq!(of_type(&recs, "hit")[0]["text"], short.trim_end());
}

/// Collects hits and notices; `on_first_hit` runs once, while the scan is under way.
struct Watch<F: FnMut()> {
    hits: Vec<(String, u64)>,
    /// The hits whose excerpt is not the line of a [`numbered_log`] they are reported at.
    misnumbered: Vec<(u64, String)>,
    notices: Vec<(String, Notice)>,
    on_first_hit: Option<F>,
}

impl<F: FnMut()> Sink for Watch<F> {
    fn hits(&mut self, input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        for hit in hits.iter() {
            if let Some(mut act) = self.on_first_hit.take() {
                act();
            }
            self.hits.push((input.name.clone(), hit.line));
            if !hit
                .excerpt
                .bytes
                .starts_with(format!("line {} ", hit.line).as_bytes())
            {
                let text = String::from_utf8_lossy(hit.excerpt.bytes).into_owned();
                self.misnumbered.push((hit.line, text));
            }
        }
        Ok(())
    }
    fn end_input(&mut self, _input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
        match end.error {
            Some(error) => Err(io::Error::other(error.to_string())),
            None => Ok(()),
        }
    }
    fn notice(&mut self, input: &InputInfo, notice: &Notice) -> io::Result<()> {
        self.notices.push((input.name.clone(), notice.clone()));
        Ok(())
    }
}

/// A scan on `threads` threads, of files cut in chunks of `chunk_size` bytes (if any), that
/// holds little in flight, so that most of the file is still unread when the sink sees the
/// first hit.
fn slow_scanner(chunk_size: Option<usize>, threads: usize) -> Scanner {
    let catalog = Catalog::builtin().expect("built-in catalog parses");
    Scanner::for_catalog(
        &catalog,
        ScanOptions {
            threads,
            chunk_min: if chunk_size.is_some() { 1 } else { u64::MAX },
            chunk_size: chunk_size.unwrap_or(256 << 10),
            in_flight_bytes: 64 << 10,
            ..ScanOptions::default()
        },
    )
}

/// Scans `path` (listed as `size` bytes, reported as `app.log`) with [`slow_scanner`] on two
/// threads, running `act` once the first hit arrives.
fn scan_app_log<F: FnMut()>(
    path: &Path,
    size: u64,
    chunked: bool,
    act: F,
) -> (cbscan::Summary, Watch<F>) {
    scan_app_log_on(path, size, chunked.then_some(256 << 10), 2, act)
}

/// [`scan_app_log`] on `threads` threads, in chunks of `chunk_size` bytes (if any).
fn scan_app_log_on<F: FnMut()>(
    path: &Path,
    size: u64,
    chunk_size: Option<usize>,
    threads: usize,
    act: F,
) -> (cbscan::Summary, Watch<F>) {
    let mut sink = Watch {
        hits: Vec::new(),
        misnumbered: Vec::new(),
        notices: Vec::new(),
        on_first_hit: Some(act),
    };
    let source = Source::File {
        path: path.to_path_buf(),
        name: "app.log".into(),
        size: Some(size),
        id: None,
    };
    let summary = slow_scanner(chunk_size, threads)
        .scan(vec![source], &mut sink)
        .into_result()
        .expect("the file stays readable through its descriptor");
    (summary, sink)
}

fn numbered_log(lines: u64, code: &str) -> Vec<u8> {
    let mut data = Vec::new();
    for i in 1..=lines {
        data.extend_from_slice(format!("line {i} {code}\n").as_bytes());
    }
    data
}

#[test]
fn a_file_rotated_or_deleted_mid_scan_is_read_whole_from_one_descriptor() {
    for chunked in [true, false] {
        for delete in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("app.log");
            let lines = 100_000;
            std::fs::write(&path, numbered_log(lines, "DATABASE_TIMEOUT")).unwrap();
            let moved = path.clone();
            let rotate = move || {
                if delete {
                    std::fs::remove_file(&moved).unwrap();
                } else {
                    std::fs::rename(&moved, moved.with_extension("log.1")).unwrap();
                }
                // A fresh file in its place, with other codes: none of them may show up.
                std::fs::write(&moved, numbered_log(50_000, "SYS_ERR")).unwrap();
            };
            let size = std::fs::metadata(&path).unwrap().len();
            let (summary, sink) = scan_app_log(&path, size, chunked, rotate);
            let what = format!("chunked {chunked}, delete {delete}");
            assert_eq!(summary.hits(), lines, "{what}");
            assert_eq!(summary.errors(), 0, "{what}");
            let numbers: Vec<u64> = sink.hits.iter().map(|h| h.1).collect();
            assert_eq!(numbers, (1..=lines).collect::<Vec<_>>(), "{what}");
            assert!(sink.notices.is_empty(), "{what}: {:?}", sink.notices);
        }
    }
}

#[test]
fn a_file_that_grows_mid_scan_is_read_as_it_was_when_opened_and_said_so() {
    for chunked in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let lines = 100_000;
        let data = numbered_log(lines, "DATABASE_TIMEOUT");
        std::fs::write(&path, &data).unwrap();
        let appended = path.clone();
        let grow = move || {
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&appended)
                .unwrap();
            file.write_all(&numbered_log(20_000, "SYS_ERR")).unwrap();
        };
        let size = data.len() as u64;
        let (summary, sink) = scan_app_log(&path, size, chunked, grow);
        assert_eq!(summary.hits(), lines, "chunked {chunked}");
        assert_eq!(summary.bytes(), data.len() as u64);
        assert_eq!(sink.notices.len(), 1, "chunked {chunked}");
        let (name, notice) = &sink.notices[0];
        assert_eq!(name, "app.log");
        let text = notice.to_string();
        assert!(
            text.starts_with(&format!("grew from {} to ", data.len()))
                && text.ends_with(&format!("scanned the first {} bytes", data.len())),
            "{text}"
        );
    }
}

#[test]
fn a_grown_file_s_unfinished_last_line_is_left_out_not_misread() {
    for chunked in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let lines = 100_000;
        let mut data = numbered_log(lines, "SYS_ERR");
        // The writer is in the middle of a line when the scan opens the file ...
        data.extend_from_slice(b"last DATABASE_TIMEOUT");
        std::fs::write(&path, &data).unwrap();
        let appended = path.clone();
        // ... and finishes it while the scan runs: the line was DATABASE_TIMEOUT_MS=3000.
        let finish_line = move || {
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&appended)
                .unwrap();
            file.write_all(b"_MS=3000\n").unwrap();
        };
        let size = data.len() as u64;
        let (summary, sink) = scan_app_log(&path, size, chunked, finish_line);
        assert_eq!(
            summary.hits(),
            lines,
            "chunked {chunked}: no DATABASE_TIMEOUT"
        );
        assert_eq!(summary.lines(), lines, "the unfinished line is not counted");
        assert_eq!(sink.notices.len(), 1);
        let text = sink.notices[0].1.to_string();
        assert!(
            text.ends_with("except the unfinished line at their end"),
            "{text}"
        );
    }
}

/// Cuts the file at `path` to `len` bytes, as logrotate's `copytruncate` does (in place: the
/// scan's descriptor sees it).
fn cut_to(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|file| file.set_len(len))
        .unwrap();
}

/// Where line `line` (from 1) of `data` starts.
fn line_start(data: &[u8], line: usize) -> usize {
    data.split_inclusive(|&b| b == b'\n')
        .take(line - 1)
        .map(<[u8]>::len)
        .sum()
}

#[test]
fn a_file_cut_mid_scan_is_counted_up_to_the_cut_and_said_so() {
    // Every line has one hit, SYS_ERR, and a DATABASE_TIMEOUT_MS that is none: cut before
    // its `_MS`, a line would have a DATABASE_TIMEOUT it never had.
    let lines = 100_000;
    let data = numbered_log(lines, "SYS_ERR DATABASE_TIMEOUT_MS=3000");
    let kept = 60_000;
    let cut = line_start(&data, kept + 1) + "line 60001 SYS_ERR DATABASE_TIMEOUT".len();
    let cut = cut as u64;
    // 17 chunks: the scan is in the first two when the file is cut in the 11th, so the chunks
    // after it start past the new end.
    for (chunk_size, threads) in [(Some(256 << 10), 1), (Some(256 << 10), 2), (None, 1)] {
        let what = format!("chunks of {chunk_size:?} bytes, {threads} threads");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, &data).unwrap();
        let cut_path = path.clone();
        let size = data.len() as u64;
        let act = move || cut_to(&cut_path, cut);
        let (summary, sink) = scan_app_log_on(&path, size, chunk_size, threads, act);
        // Counted as read, as a file that grows is: it was read to its end, which moved.
        assert_eq!((summary.files(), summary.errors()), (1, 0), "{what}");
        assert_eq!(summary.bytes(), cut, "{what}: what was read");
        // The line the cut split is left out: no DATABASE_TIMEOUT, no SYS_ERR on line 60001.
        assert_eq!(summary.lines(), kept as u64, "{what}");
        assert_eq!(summary.hits(), kept as u64, "{what}");
        let numbers: Vec<u64> = sink.hits.iter().map(|h| h.1).collect();
        assert_eq!(numbers, (1..=kept as u64).collect::<Vec<_>>(), "{what}");
        assert_eq!(sink.misnumbered, [], "{what}");
        let notices: Vec<String> = sink.notices.iter().map(|n| n.1.to_string()).collect();
        assert_eq!(
            notices,
            [format!(
                "shrank from {size} to {cut} bytes while it was scanned (truncated?); \
                 scanned the first {cut} bytes, except the line cut at their end"
            )],
            "{what}"
        );
    }
}

#[test]
fn a_file_cut_to_nothing_mid_scan_keeps_what_was_read_and_says_so() {
    let lines = 100_000;
    let data = numbered_log(lines, "SYS_ERR");
    let size = data.len() as u64;
    // With chunks of 1 MiB on two threads, the second chunk has usually read its first blocks
    // when the cut catches the first one in the middle: those blocks cannot be numbered.
    let configurations = [
        (Some(256 << 10), 1),
        (Some(256 << 10), 2),
        (Some(1 << 20), 2),
        (None, 1),
    ];
    for (chunk_size, threads) in configurations {
        let what = format!("chunks of {chunk_size:?} bytes, {threads} threads");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, &data).unwrap();
        let cut_path = path.clone();
        let act = move || cut_to(&cut_path, 0);
        let (summary, sink) = scan_app_log_on(&path, size, chunk_size, threads, act);
        assert_eq!((summary.files(), summary.errors()), (1, 0), "{what}");
        // What was read before the cut is a start of the file, wherever the cut caught the
        // reads; with two threads, a chunk read past the one the cut caught cannot be
        // numbered, and is not counted.
        let read = summary.bytes();
        assert!(0 < read && read < size, "{what}: read {read} of {size}");
        let read_lines = data[..read as usize]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        assert_eq!(summary.lines(), read_lines as u64, "{what}");
        assert_eq!(summary.hits(), read_lines as u64, "{what}");
        let numbers: Vec<u64> = sink.hits.iter().map(|h| h.1).collect();
        assert_eq!(
            numbers,
            (1..=read_lines as u64).collect::<Vec<_>>(),
            "{what}"
        );
        assert_eq!(sink.misnumbered, [], "{what}");
        let notices: Vec<String> = sink.notices.iter().map(|n| n.1.to_string()).collect();
        assert_eq!(notices.len(), 1, "{what}: {notices:?}");
        let said = format!(
            "shrank from {size} to 0 bytes while it was scanned (truncated?); \
             scanned the first {read} bytes"
        );
        assert!(notices[0].starts_with(&said), "{what}: {notices:?}");
    }
}

#[test]
fn a_file_cut_between_listing_and_reading_is_said_so() {
    // Listed at its full size, cut before the scan opens it: no timing involved. Chunked, the
    // chunks past the cut start beyond the new end, and the one that holds it ends early.
    let data = numbered_log(100_000, "SYS_ERR DATABASE_TIMEOUT_MS=3000");
    let size = data.len() as u64;
    let mid_line = line_start(&data, 60_001) + "line 60001 SYS_ERR DATABASE_TIMEOUT".len();
    for (cut, kept) in [(mid_line, 60_000u64), (0, 0)] {
        for (chunk_size, threads) in [(Some(256 << 10), 1), (Some(256 << 10), 2), (None, 1)] {
            let what = format!("cut at {cut}, chunks of {chunk_size:?} bytes, {threads} threads");
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("app.log");
            std::fs::write(&path, &data[..cut]).unwrap();
            let (summary, sink) = scan_app_log_on(&path, size, chunk_size, threads, || {});
            assert_eq!((summary.files(), summary.errors()), (1, 0), "{what}");
            assert_eq!(summary.bytes(), cut as u64, "{what}");
            assert_eq!((summary.lines(), summary.hits()), (kept, kept), "{what}");
            let numbers: Vec<u64> = sink.hits.iter().map(|h| h.1).collect();
            assert_eq!(numbers, (1..=kept).collect::<Vec<_>>(), "{what}");
            assert_eq!(sink.misnumbered, [], "{what}");
            let notices: Vec<String> = sink.notices.iter().map(|n| n.1.to_string()).collect();
            let line_cut = if cut > 0 {
                ", except the line cut at their end"
            } else {
                ""
            };
            assert_eq!(
                notices,
                [format!(
                    "shrank from {size} to {cut} bytes while it was scanned (truncated?); \
                     scanned the first {cut} bytes{line_cut}"
                )],
                "{what}"
            );
        }
    }
}

#[test]
fn a_reader_is_an_input_like_any_other() {
    let catalog = Catalog::builtin().expect("built-in catalog parses");
    let scanner = Scanner::for_catalog(&catalog, ScanOptions::default());
    let reader: Box<dyn io::Read + Send> = Box::new(io::Cursor::new(read(GZ)));
    let source = Source::Reader {
        name: "child".into(),
        reader: Arc::new(std::sync::Mutex::new(Some(reader))),
    };
    let mut sink = Watch::<fn()> {
        hits: Vec::new(),
        misnumbered: Vec::new(),
        notices: Vec::new(),
        on_first_hit: None,
    };
    let summary = scanner
        .scan(vec![source], &mut sink)
        .into_result()
        .expect("scan");
    assert_eq!(summary.hits() as usize, expected_hits(GZ_PLAIN).len());
    assert!(sink.hits.iter().all(|(name, _)| name == "child"));
}

/// A CI gate must not pass because it scanned nothing.
#[test]
fn a_folder_or_glob_that_yields_no_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    std::fs::write(dir.path().join("logs/app.log"), "x SYS_ERR\n").unwrap();
    std::fs::write(dir.path().join("empty.log"), "").unwrap();

    let r = run_in(dir.path(), &["scan", "empty"], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cbscan: empty: no file to scan in this folder"),
        "{}",
        r.stderr
    );
    let r = run_in(dir.path(), &["scan", "-g", "*.txt", "logs"], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cbscan: logs: no file in this folder matches --glob *.txt"),
        "{}",
        r.stderr
    );
    // An empty file and empty stdin are inputs like any other.
    assert_eq!(run_in(dir.path(), &["scan", "empty.log"], None).code, 0);
    assert_eq!(run_in(dir.path(), &["scan", "-"], Some(b"")).code, 0);
    assert_eq!(run_in(dir.path(), &["scan", "logs"], None).code, 1);
}

#[test]
fn version_control_and_dependency_folders_are_skipped_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("app.log", "x DATABASE_TIMEOUT\n"),
        (".git/logs/HEAD", "commit: fix SYS_ERR handling\n"),
        (
            "node_modules/wx-server-sdk/index.js",
            "const codes = ['DATABASE_TIMEOUT', 'STORAGE_REQUEST_FAIL']\n",
        ),
        (".venv/lib/errors.py", "SYS_ERR = -501001\n"),
        ("nested/node_modules/pkg/x.js", "'SYS_ERR'\n"),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let paths = |args: &[&str]| -> Vec<String> {
        let r = run_in(dir.path(), args, None);
        let mut paths: Vec<String> = of_type(&records(&r.stdout), "hit")
            .iter()
            .map(|hit| hit["path"]["text"].as_str().unwrap().to_string())
            .collect();
        paths.dedup();
        paths
    };
    assert_eq!(
        paths(&["scan", "--format", "jsonl", "."]),
        vec!["./app.log"]
    );
    assert_eq!(
        paths(&["scan", "--format", "jsonl", "--all-folders", "."]),
        vec![
            "./.git/logs/HEAD",
            "./.venv/lib/errors.py",
            "./app.log",
            "./nested/node_modules/pkg/x.js",
            "./node_modules/wx-server-sdk/index.js",
        ]
    );
    // A folder named on the command line is always scanned.
    assert_eq!(
        paths(&["scan", "--format", "jsonl", "node_modules"]),
        vec!["node_modules/wx-server-sdk/index.js"]
    );
}

#[test]
fn json_points_at_format_jsonl() {
    let r = run(&["scan", "--json", GZ_PLAIN]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("cbscan: hint: for JSON lines, use `--format jsonl`"),
        "{}",
        r.stderr
    );
}

/// A file name that is not UTF-8, given as an argument, is scanned (it used to reject the whole
/// command) and shown with U+FFFD where its bytes are not text.
#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_scanned() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"app-\xff.log");
    std::fs::write(dir.path().join(name), "x SYS_ERR\n").unwrap();
    let output = cbscan()
        .current_dir(dir.path())
        .args(["scan", "--format", "jsonl"])
        .arg(name)
        .output()
        .expect("cbscan runs");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let recs = records(&output.stdout);
    let hits = of_type(&recs, "hit");
    assert_eq!(hits.len(), 1);
    // JSON lines keep the exact bytes, as ripgrep does: `{"bytes": base64}`.
    let bytes = |path: &serde_json::Value| {
        use base64::Engine as _;
        let encoded = path["bytes"]
            .as_str()
            .expect("a name that is not UTF-8 is given as bytes");
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64")
    };
    assert_eq!(bytes(&hits[0]["path"]), b"app-\xff.log");

    // Two names that differ only in bytes that are not text stay distinct.
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    for raw in [&b"logs/app-\xfe.log"[..], &b"logs/app-\xff.log"[..]] {
        std::fs::write(
            dir.path().join(std::ffi::OsStr::from_bytes(raw)),
            "x SYS_ERR\n",
        )
        .unwrap();
    }
    let output = cbscan()
        .current_dir(dir.path())
        .args(["scan", "--format", "jsonl", "logs"])
        .output()
        .expect("cbscan runs");
    let recs = records(&output.stdout);
    let paths: Vec<Vec<u8>> = of_type(&recs, "hit")
        .iter()
        .map(|h| bytes(&h["path"]))
        .collect();
    assert_eq!(
        paths,
        [b"logs/app-\xfe.log".to_vec(), b"logs/app-\xff.log".to_vec()]
    );
    let ends: Vec<Vec<u8>> = of_type(&recs, "end")
        .iter()
        .map(|h| bytes(&h["path"]))
        .collect();
    assert_eq!(ends, paths);
    // People see U+FFFD.
    let human = cbscan()
        .current_dir(dir.path())
        .args(["scan", "logs"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&human.stdout).contains("logs/app-\u{fffd}.log:1:3: SYS_ERR"));
}
