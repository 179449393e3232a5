//! JUnit XML, for the test-report views of CI servers (GitLab's merge-request test summary,
//! Jenkins' `junit` step, and the many GitHub actions that read the same files).
//!
//! The scan is laid out as a test run, written at the end of the scan:
//!
//! - `testsuites` (named `cbscan`) holds one `testsuite` per input, named by its path relative
//!   to `--base-dir` (`<stdin>` for standard input), in scan order;
//! - each suite holds one `testcase` per code seen in that input, named by the code, with the
//!   classname `cbscan.<category>` (Jenkins groups cases by classname, so the codes of one
//!   category sit together there);
//! - a code whose level is *error* (it matched `--fail-on`, past its threshold and beyond the
//!   baseline) is a `failure` of type `error`;
//! - a code of level *warning* or *note* is a **passing** case whose `system-out` says what it
//!   is. A test view counts failures as red: Jenkins marks the build unstable for any failed
//!   case and GitLab shows the merge request's test summary as failed. A scan whose gate
//!   passed (exit status 0) must not look failed there, and a case that passes still shows its
//!   text to whoever opens it;
//! - an input that could not be read gets a case with an `error` element naming the error
//!   (besides the cases of the codes found before the error stopped it);
//! - an input with no code gets one passing case, `no CloudBase error codes`, so that every
//!   scanned input shows up.
//!
//! A case's text (the failure's body, or the `system-out`) names the level, the meaning in
//! Chinese and English, the counts (hits, lines), a mark when the code is new or grew since the
//! baseline, the documentation link, and the code's places as `path:line:column` (the column
//! in characters when known, else in bytes): the first [`crate::limits::FIRST_SPOTS`] and then
//! `… and N more`. No log text is included.
//!
//! Every piece of text — file names and the catalog's texts, which `--catalog` lets users
//! write — goes through [`escape::terminal`] before it reaches `quick-junit`: control
//! characters become visible stand-ins (`ESC` → `␛`), as do U+FFFE/U+FFFF and the invisible
//! and bidi characters. XML 1.0 cannot carry most C0 controls at all, not even as character
//! references, and `quick-junit` would silently drop them (and strip whole ANSI sequences);
//! with stand-ins a reader sees that something was there. `quick-junit` (through `quick-xml`)
//! then escapes `<`, `>`, `&` and the quotes, so `]]>` or `</testcase>` in a text are plain
//! text. A tab becomes `␉` too: `quick-junit` would drop it from element text, and XML parsers
//! turn one in an attribute value into a space. Line breaks are only the ones this module
//! puts between the lines of a case's text; none reaches an attribute.

use std::io;

use quick_junit::{NonSuccessKind, Report as JunitXml, TestCase, TestCaseStatus, TestSuite};

use super::escape;
use super::findings::{relative_path, CodeSpots, InputFindings};
use super::gathered::{EndOfScan, Gathered};
use super::{group, Context};
use crate::baseline::Change;
use crate::catalog::CodeId;
use crate::policy::Level;
use crate::sink::ScanDone;
use crate::summary::Counts;

/// The name of the case an input without codes gets.
pub const NO_CODES: &str = "no CloudBase error codes";

/// The name of the case that carries an input's read error.
pub const READ_ERROR: &str = "input could not be read";

/// JUnit XML, written at the end of the scan by a
/// [`GatheredReport`](super::gathered::GatheredReport).
pub struct Junit;

impl EndOfScan for Junit {
    fn write(&self, scan: Gathered<'_>, done: &ScanDone<'_>) -> io::Result<()> {
        let mut report = JunitXml::new("cbscan");
        for input in &scan.findings.inputs {
            report.add_test_suite(self.suite(&scan, input, done.summary));
        }
        // Serialised into memory first, so that a write error reaches the caller as the
        // `io::Error` it is (a closed pipe stays a closed pipe) instead of a wrapped one.
        let mut xml = Vec::new();
        report.serialize(&mut xml).map_err(io::Error::other)?;
        scan.out.write_all(&xml)
    }
}

impl Junit {
    /// The suite of one input.
    fn suite(&self, scan: &Gathered<'_>, input: &InputFindings, summary: &Counts) -> TestSuite {
        let path = relative_path(&input.info, scan.context.base_dir)
            .unwrap_or_else(|| input.info.name.clone());
        let shown = visible(&path);
        let mut suite = TestSuite::new(shown.as_str());
        for (&code, spots) in &input.codes {
            suite.add_test_case(self.code_case(scan, code, spots, &shown, summary));
        }
        if let Some(error) = &input.error {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(visible(error)).set_type("read error");
            let mut text = format!("{shown}: {}", visible(error));
            if !input.codes.is_empty() {
                text.push_str(
                    "\nThe codes found before the error are listed as cases of this suite.",
                );
            }
            status.set_description(text);
            let mut case = TestCase::new(READ_ERROR, status);
            case.set_classname("cbscan.input");
            suite.add_test_case(case);
        } else if input.codes.is_empty() {
            let mut case = TestCase::new(NO_CODES, TestCaseStatus::success());
            case.set_classname("cbscan");
            suite.add_test_case(case);
        }
        suite
    }

    /// The case of `code` in the input shown as `path`.
    fn code_case(
        &self,
        scan: &Gathered<'_>,
        code: CodeId,
        spots: &CodeSpots,
        path: &str,
        summary: &Counts,
    ) -> TestCase {
        let Context {
            catalog, policy, ..
        } = scan.context;
        let entry = catalog.code(code);
        let category = catalog.category(entry.category);
        let level = policy.level(catalog, summary, code);
        let change = policy.change(catalog, summary, code);
        let name = visible(&entry.code);
        let meaning = meaning(&entry.zh, &entry.en);
        let counts = format!(
            "{} on {}",
            plural(spots.counts.hits, "hit"),
            plural(spots.counts.lines, "line")
        );
        let baseline = change.and_then(baseline_mark);

        let mut text = String::new();
        text.push_str(&format!("{name}: {}", level.word()));
        if entry.is_generic() {
            text.push_str(" (generic code)");
        }
        text.push_str(&format!(
            "\nMeaning: {}\nCategory: {}\nFound: {counts} in {path}",
            visible(&meaning),
            visible(&meaning_of(&category.id, &category.zh, &category.en)),
        ));
        if let Some(mark) = &baseline {
            text.push('\n');
            text.push_str(mark);
        }
        if let Some(reason) = &entry.generic_reason {
            text.push_str(&format!("\nGeneric: {}", visible(reason)));
        }
        if let Some(url) = catalog.doc_url(code) {
            text.push_str(&format!("\nDocs: {}", visible(&url)));
        }
        text.push_str("\nWhere:");
        for spot in &spots.first {
            let column = spot.char_column.unwrap_or(spot.column);
            text.push_str(&format!("\n{path}:{}:{column}", spot.line));
        }
        let more = spots.counts.hits.saturating_sub(spots.first.len() as u64);
        if more > 0 {
            text.push_str(&format!("\n… and {} more", group(more)));
        }

        let status = if level == Level::Error {
            let mut message = format!("{name}: {} ({counts})", visible(&meaning));
            if let Some(mark) = &baseline {
                message.push_str(&format!(", {}", lower_first(mark)));
            }
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(message)
                .set_type(level.word())
                .set_description(text.as_str());
            status
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(name.as_str(), status);
        case.set_classname(format!("cbscan.{}", visible(&category.id)));
        if level != Level::Error {
            case.set_system_out(text);
        }
        case
    }
}

/// `zh · en`, or whichever of the two is set.
fn meaning(zh: &str, en: &str) -> String {
    match (zh.trim().is_empty(), en.trim().is_empty()) {
        (false, false) => format!("{zh} · {en}"),
        (false, true) => zh.to_string(),
        _ => en.to_string(),
    }
}

/// `id (zh · en)`: a category as people read it.
fn meaning_of(id: &str, zh: &str, en: &str) -> String {
    let names = meaning(zh, en);
    if names.trim().is_empty() {
        id.to_string()
    } else {
        format!("{id} ({names})")
    }
}

/// The sentence for a code the baseline did not accept; `None` for one it did.
fn baseline_mark(change: Change) -> Option<String> {
    match change {
        Change::New => Some("New since the baseline.".to_string()),
        Change::Grew { was } => Some(format!(
            "Grew since the baseline (was on {}).",
            plural(was, "line")
        )),
        Change::Known { .. } => None,
    }
}

/// `s` with its first letter in lower case, and no final full stop: a sentence made a clause.
fn lower_first(s: &str) -> String {
    let s = s.strip_suffix('.').unwrap_or(s);
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `1 hit`, `1,234 hits`.
fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", group(n))
    }
}

/// `s` with every unsafe character (line breaks included) and the tab as a visible stand-in
/// (the tab as `␉`, U+2409): what is left is valid XML 1.0 once `<`, `>` and `&` are
/// escaped, stays on one line, and passes through `quick-junit` unchanged (its ANSI stripper
/// drops every C0 control but the line feed, the tab among them).
fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape::terminal(s, &mut out);
    if out.contains('\t') {
        out = out.replace('\t', "\u{2409}");
    }
    out
}
