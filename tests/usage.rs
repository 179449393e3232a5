//! What a new user meets when a command line is not quite right: "did you mean" hints that
//! know categories and keywords, a category looked up as a code, contradictory options
//! refused instead of half-ignored, write failures that say where they happened, and errors
//! that say how to get past them (skipped folders, text that looks like gzip).
//!
//! Each test drives the binary as a user would, from the findings of a new-user trial.

mod support;

use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use support::*;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let output = cbscan()
        .current_dir(dir)
        .args(args)
        .write_stdin(stdin.to_vec())
        .output()
        .expect("cbscan runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    Run {
        code: output.status.code().expect("cbscan exits normally"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    }
}

fn run(args: &[&str], stdin: &[u8]) -> Run {
    run_in(&root(), args, stdin)
}

/// A usage error: exit 2, nothing on stdout, and `wanted` in the message.
fn assert_usage_error(args: &[&str], wanted: &str) -> Run {
    let r = run(args, b"SYS_ERR\n");
    assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{args:?} printed {:?}", r.stdout);
    assert!(r.stderr.contains(wanted), "{args:?}: {}", r.stderr);
    r
}

/// `--fail-on databse` means the category far more likely than a code starting with
/// `DATABASE_`: the category comes first; so do the keywords `--fail-on` takes.
#[test]
fn suggestions_offer_categories_and_keywords_closest_first() {
    assert_usage_error(
        &["scan", "--fail-on", "databse"],
        "; did you mean database, DATABASE_",
    );
    assert_usage_error(&["scan", "--fail-on", "generc"], "; did you mean generic");
    assert_usage_error(&["scan", "--fail-on", "specfic"], "; did you mean specific");
    assert_usage_error(&["scan", "--fail-on", "nonee"], "; did you mean none");
    // A misspelt code still leads with the code.
    assert_usage_error(
        &["scan", "--fail-on", "DATABASE_TIMEOTU"],
        "; did you mean DATABASE_TIMEOUT",
    );
    // --category takes only categories, so only they are offered.
    for args in [
        &["scan", "--category", "databse"][..],
        &["codes", "--category", "databse"][..],
    ] {
        let r = assert_usage_error(args, "; did you mean database?");
        assert!(!r.stderr.contains("DATABASE_"), "{}", r.stderr);
    }
}

/// `cbscan explain database` is a category looked up as a code: say so, and how to list it.
#[test]
fn explaining_a_category_points_at_its_code_list() {
    for query in ["database", "Database"] {
        let r = run(&["explain", query, "SYS_ERR"], b"");
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!(
                "cbscan: {query:?} is a category, not a code; to list its codes, run \
                 `cbscan codes --category database`"
            )),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("no code, and no name"), "{}", r.stderr);
        // The other queries are still explained.
        assert!(r.stdout.starts_with("SYS_ERR\n"), "{}", r.stdout);
    }
    let r = run(&["explain", "nosuch"], b"");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("no code, and no name or meaning holding \"nosuch\""),
        "{}",
        r.stderr
    );
}

/// `none` with another rule used to be dropped in silence (exit 1 on a generic hit).
#[test]
fn fail_on_none_with_another_rule_is_a_usage_error() {
    for args in [
        &["scan", "--fail-on", "generic", "--fail-on", "none"][..],
        &["scan", "--fail-on", "none", "--fail-on", "SYS_ERR"][..],
    ] {
        assert_usage_error(args, "--fail-on none cannot be combined with --fail-on");
    }
    // Alone, or repeated, it still means never fail.
    for args in [
        &["scan", "--fail-on", "none"][..],
        &["scan", "--fail-on", "none", "--fail-on", "none"][..],
    ] {
        let r = run(args, b"SYS_ERR\n");
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    }
}

/// -c and -l print one line per input and never a summary: -s and --no-summary with them
/// used to be ignored, whether the list was asked for with -c/-l or with --format.
#[test]
fn summary_options_conflict_with_per_input_lists() {
    // Refused by clap, before any input is looked at, with a hint saying why.
    for (args, refusal) in [
        (
            &["scan", "-c", "-s"][..],
            "'--count' cannot be used with '--summary-only'",
        ),
        (
            &["scan", "-s", "-c"],
            "'--summary-only' cannot be used with '--count'",
        ),
        (
            &["scan", "-l", "-s"],
            "'--files-with-hits' cannot be used with '--summary-only'",
        ),
        (
            &["scan", "-c", "--no-summary"],
            "'--count' cannot be used with '--no-summary'",
        ),
        (
            &["scan", "--no-summary", "-l"],
            "'--no-summary' cannot be used with '--files-with-hits'",
        ),
    ] {
        let r = assert_usage_error(args, &format!("error: the argument {refusal}"));
        assert!(
            r.stderr.contains(
                "cbscan: hint: -c/--count and -l/--files-with-hits print one line per input \
                 with hits and never a summary"
            ),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert_usage_error(
        &["scan", "--format", "count", "-s"],
        "--summary-only cannot be used with --format count",
    );
    assert_usage_error(
        &["scan", "--format", "files", "--no-summary"],
        "--no-summary cannot be used with --format files",
    );
    for format in ["sarif", "github", "gitlab", "junit", "markdown", "html"] {
        assert_usage_error(
            &["scan", "--format", format, "-s"],
            &format!(
                "--summary-only cannot be used with --format {format}: it is a whole report, \
                 always with its summary"
            ),
        );
    }
    // Each option still works on its own.
    for args in [&["scan", "-c"][..], &["scan", "-l"], &["scan", "-s"]] {
        let r = run(args, b"SYS_ERR\n");
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
    }
}

/// Commands other than `scan` whose output can be lost to a failed write.
const WRITERS: [&[&str]; 6] = [
    &["explain", "SYS_ERR"],
    &["codes"],
    &["codes", "--format", "jsonl"],
    &["--help"],
    &["scan", "--help"],
    &["--version"],
];

/// A full disk says that standard output failed and exits 2 (`--help` used to exit 0).
#[cfg(target_os = "linux")]
#[test]
fn failed_writes_to_stdout_say_so_and_exit_2() {
    for args in WRITERS {
        let output = output_to_dev_full(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("cbscan: writing standard output: No space left on device"),
            "{args:?}: {stderr}"
        );
    }
}

/// A reader that has gone away (`| head`) is not an error: nothing on stderr, exit 0.
#[test]
fn a_closed_stdout_stays_quiet() {
    for args in WRITERS {
        // The read end is closed before cbscan starts, so its first write fails.
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let output = StdCommand::new(bin())
            .args(args)
            .stdin(Stdio::null())
            .stdout(writer)
            .output()
            .expect("cbscan runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

/// Logs kept only below `.git` or `node_modules` are skipped by a folder walk: the error says
/// so and names the way in, but only when something was skipped.
#[test]
fn no_file_to_scan_names_the_folders_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (folder, file) in [
        ("vcs", ".git/x.log"),
        ("deps", "node_modules/pkg/x.log"),
        ("both", ".git/x.log"),
        ("both", "node_modules/x.log"),
    ] {
        let path = root.join(folder).join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x SYS_ERR\n").unwrap();
    }
    std::fs::create_dir(root.join("empty")).unwrap();

    for (folder, skipped) in [
        ("vcs", ".git"),
        ("deps", "node_modules"),
        ("both", ".git, node_modules"),
    ] {
        let r = run_in(root, &["scan", folder], b"");
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!(
                "cbscan: {folder}: no file to scan in this folder (skipped {skipped}: \
                 version-control and dependency folders are walked only with --all-folders)"
            )),
            "{}",
            r.stderr
        );
        let r = run_in(root, &["scan", "--all-folders", "-c", folder], b"");
        assert_eq!(r.code, 1, "{}", r.stderr);
    }
    let r = run_in(root, &["scan", "-g", "*.txt", "vcs"], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no file in this folder matches --glob *.txt (skipped .git:"),
        "{}",
        r.stderr
    );
    let r = run_in(root, &["scan", "empty"], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!r.stderr.contains("--all-folders"), "{}", r.stderr);
}

/// A text file whose first two bytes happen to be gzip's magic fails to decode; the error
/// says how to scan it as it is, and then its hit is found.
#[test]
fn text_that_starts_like_gzip_points_at_no_decompress() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("odd.log"), b"\x1f\x8b hello SYS_ERR\n").unwrap();
    std::fs::write(root.join("short.log"), b"\x1f\x8b\x08").unwrap();
    let hint = "(if it is not gzip, scan it with --no-decompress)";

    let r = run_in(root, &["scan", "odd.log"], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "cbscan: odd.log: gzip: data is corrupt: invalid gzip header {hint}"
        )),
        "{}",
        r.stderr
    );
    let r = run_in(root, &["scan", "short.log"], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "cbscan: short.log: gzip: data is truncated {hint}"
        )),
        "{}",
        r.stderr
    );
    let r = run_in(root, &["scan", "-c", "--no-decompress", "odd.log"], b"");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "odd.log:1\n");

    // Damage after a header that parsed is in a real gzip file: no hint.
    let mut archive = read("fixtures/rotated/cloudfunction-runtime.log.1.gz");
    let crc = archive.len() - 8;
    archive[crc] ^= 0xff;
    std::fs::write(root.join("bad.log.gz"), archive).unwrap();
    let r = run_in(root, &["scan", "-c", "bad.log.gz"], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cbscan: bad.log.gz: gzip: data is corrupt"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("--no-decompress"), "{}", r.stderr);
}

/// `--report json=-` would create a file named `-`: standard output is `--format`'s.
#[test]
fn a_report_to_dash_points_at_format() {
    let output = cbscan()
        .args([
            "scan",
            "--report",
            "json=-",
            "fixtures/cloudfunction-runtime.log",
        ])
        .output()
        .expect("cbscan runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("for standard output use --format json"),
        "{stderr}"
    );
    assert!(!std::path::Path::new("-").exists());
}
