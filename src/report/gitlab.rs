//! GitLab Code Quality JSON (the report a merge request's Code Quality widget reads): a JSON
//! array with one issue per kept hit, in the order and within the cap SARIF uses.
//!
//! Severity: a code that fails the scan (`--fail-on`) is `major`, another specific code
//! `minor`, a generic code `info` — GitLab's scale is info, minor, major, critical, blocker;
//! `critical` and `blocker` are left for what a log scanner cannot judge. Paths are relative
//! to `--base-dir`, as plain text (GitLab joins them to the repository, not as URIs);
//! standard input is `<stdin>`. Fingerprints are SARIF's: stable across runs and line shifts.
//!
//! An input that could not be read comes first, as a `major` issue of check
//! `cbscan/input-not-read` at its line 1: its codes are missing from the report, which the
//! widget should say rather than show a clean file.

use std::io;

use serde::Serialize;

use super::escape::json_to_writer;
use super::findings;
use super::gathered::{EndOfScan, Gathered};
use super::sarif::{shown_path, CodeFacts};
use crate::policy::Level;
use crate::sink::ScanDone;
use crate::summary::Counts;

/// GitLab Code Quality JSON, written at the end of the scan by a
/// [`GatheredReport`](super::gathered::GatheredReport).
pub struct Gitlab;

impl EndOfScan for Gitlab {
    fn write(&self, mut scan: Gathered<'_>, done: &ScanDone<'_>) -> io::Result<()> {
        let counts: &Counts = done.summary;
        let catalog = scan.context.catalog;
        let codes = CodeFacts::of_scan(scan.context, counts);
        let paths: Vec<String> = scan
            .findings
            .inputs
            .iter()
            .map(|input| shown_path(&input.info, scan.context))
            .collect();
        let messages: Vec<Option<String>> = (0..catalog.codes().len())
            .map(|code| {
                codes
                    .seen
                    .contains_key(&code)
                    .then(|| codes.message(catalog, code))
            })
            .collect();
        scan.out.write_all(b"[")?;
        let mut first = true;
        for (input, path) in scan.findings.inputs.iter().zip(&paths) {
            let Some(error) = &input.error else { continue };
            let description = format!(
                "{}: could not be read ({error}); its error codes are missing from this report",
                input.info.name
            );
            let issue = Issue {
                kind: "issue",
                check_name: NOT_READ,
                description: &description,
                categories: ["Bug Risk"],
                severity: severity(Level::Error),
                fingerprint: findings::fingerprint(path, NOT_READ, 0, 0),
                location: IssueLocation {
                    path,
                    lines: Lines { begin: 1 },
                },
            };
            scan.out.write_all(if first { b"\n" } else { b",\n" })?;
            first = false;
            json_to_writer(&mut scan.out, &issue)?;
        }
        for (spot, occurrence) in scan.findings.by_level(|code| codes.level(code)) {
            let (Some(path), Some(Some(description))) =
                (paths.get(spot.input), messages.get(spot.code))
            else {
                continue;
            };
            let code = &catalog.code(spot.code).code;
            let issue = Issue {
                kind: "issue",
                check_name: code,
                description,
                categories: ["Bug Risk"],
                severity: severity(codes.level(spot.code)),
                fingerprint: findings::fingerprint(path, code, spot.text_hash, occurrence),
                location: IssueLocation {
                    path,
                    lines: Lines { begin: spot.line },
                },
            };
            scan.out.write_all(if first { b"\n" } else { b",\n" })?;
            first = false;
            json_to_writer(&mut scan.out, &issue)?;
        }
        scan.out
            .write_all(if first { b"]\n" as &[u8] } else { b"\n]\n" })
    }
}

/// The check name of an input that could not be read.
const NOT_READ: &str = "cbscan/input-not-read";

/// GitLab's severity for a level.
fn severity(level: Level) -> &'static str {
    match level {
        Level::Error => "major",
        Level::Warning => "minor",
        Level::Note => "info",
    }
}

/// One Code Quality issue (the Code Climate issue fields GitLab reads).
#[derive(Serialize)]
struct Issue<'r> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'r str,
    description: &'r str,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: String,
    location: IssueLocation<'r>,
}

#[derive(Serialize)]
struct IssueLocation<'r> {
    path: &'r str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u64,
}
