//! Saved JSON lines played back into any [`Sink`] (`cbscan report`): the output of `scan`,
//! `follow` or `run` on many hosts, merged and rendered in any format, exactly as one scan of
//! all their inputs would have rendered it.
//!
//! Two passes over each file, each streaming (one record and one batch of hits at a time):
//! - [`survey`] reads the `summary` records (the last running one when a run has no final
//!   one), counts the `hit` records, notes every problem with its file and line, and adds the
//!   codes this catalog lacks to it, as the records describe them, before any writer is made
//!   (writers prepare per-code tables; a code not in the catalog is kept by name).
//! - [`replay`] gives the sink, per saved input, `begin_input`, its hits in batches,
//!   `notice`s and `end_input` with the input's counts (from its `end` and `unknown`
//!   records), then `finish` with the merged summary: the sum of the files' summaries, with
//!   what depends on grouping hits across inputs (what the generic codes were hiding, the
//!   requests of `--by-request`) regrouped from the replayed hits, in order, as a scan groups
//!   them. When some file lacks hits its summary counts (written with `--max-hits` or
//!   `--summary-only`), the files' own groupings are added instead, and a note says so.
//!
//! What is wrong in a file is reported and the rest of it is used: a line that is not JSON
//! (or is cut short at the end of the file: truncated), a record of a newer schema (once per
//! file; that input's records are skipped), a record without a type; at most
//! [`MAX_PROBLEMS_PER_FILE`] per file are told. A file whose first line is not a record (a log
//! given by mistake), or that is empty, is an error and skipped whole. A file written with
//! another catalog gets a note, not an error. Unknown record types and fields are skipped:
//! newer output still reads.

mod files;
mod records;
mod replay;
mod survey;

use std::fmt;
use std::io;
use std::path::PathBuf;

pub use files::{saved_files, SavedFiles, SAVED_FILE_GLOBS};
pub use replay::replay;
pub use survey::survey;

use crate::limits::MAX_PROBLEMS_PER_FILE;
use crate::summary::wire::WireSummary;
use crate::summary::Summary;

/// Something wrong (or worth knowing) in a saved file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as named (empty: the merge as a whole).
    pub file: String,
    /// The 1-based line (0: the file as a whole).
    pub line: u64,
    /// What is wrong.
    pub message: String,
    /// Whether it is an error (part of the file could not be used), not a note.
    pub error: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.error { "" } else { "note: " };
        match self.line {
            _ if self.file.is_empty() => write!(f, "{what}{}", self.message),
            0 => write!(f, "{}: {what}{}", self.file, self.message),
            line => write!(f, "{}:{line}: {what}{}", self.file, self.message),
        }
    }
}

/// The line that stands for a file's problems past [`MAX_PROBLEMS_PER_FILE`].
fn more_problems(file: &str, more: u64, error: bool) -> Problem {
    Problem {
        file: file.to_string(),
        line: 0,
        message: format!("{more} more problems not shown"),
        error,
    }
}

/// `problems` with at most [`MAX_PROBLEMS_PER_FILE`] per file, each file's others told as one
/// line after them (what [`survey`] does as it reads, for the problems of a [`replay`]).
pub fn capped(problems: &[Problem]) -> Vec<Problem> {
    let mut told = Vec::new();
    // Per file: its name, problems told, problems not told, whether one of those is an error.
    let mut files: Vec<(&str, usize, u64, bool)> = Vec::new();
    for problem in problems {
        if problem.file.is_empty() {
            told.push(problem.clone());
            continue;
        }
        let at = match files.iter().position(|f| f.0 == problem.file) {
            Some(at) => at,
            None => {
                files.push((&problem.file, 0, 0, false));
                files.len() - 1
            }
        };
        let file = &mut files[at];
        if file.1 < MAX_PROBLEMS_PER_FILE {
            file.1 += 1;
            told.push(problem.clone());
        } else {
            file.2 += 1;
            file.3 |= problem.error;
        }
    }
    for (file, _, more, error) in files {
        if more > 0 {
            told.push(more_problems(file, more, error));
        }
    }
    told
}

/// What the first pass found in one file.
#[derive(Debug, Default)]
struct SurveyedFile {
    path: PathBuf,
    name: String,
    /// The sum of its final summaries (and of a last running one not followed by a final one).
    summary: Option<WireSummary>,
    /// Hit records read.
    hit_records: u64,
    /// Reading it failed (told by the survey; the replay stops there too).
    read_failed: bool,
    /// Not used at all (not JSON lines, empty, given twice): told by the survey.
    unused: bool,
    /// Inputs it begins (`begin` records of a schema this version reads).
    begun: u64,
}

/// What [`survey`] found: the files' summaries and problems; the catalog it extended.
#[derive(Debug, Default)]
pub struct Surveyed {
    files: Vec<SurveyedFile>,
    /// Problems, in file and line order.
    pub problems: Vec<Problem>,
    /// Codes the catalog did not have, added from the files (in order of first sight).
    pub added_codes: Vec<String>,
}

impl Surveyed {
    /// Whether `problem` is told by the replay instead, as the error of an input that could not
    /// be read (the first error of a saved file that gave no input): not to be told twice.
    pub fn told_at_replay(&self, problem: &Problem) -> bool {
        problem.error
            && self
                .files
                .iter()
                .any(|f| (f.unused || f.begun == 0) && f.name == problem.file)
            && self
                .problems
                .iter()
                .find(|p| p.error && p.file == problem.file)
                .is_some_and(|first| std::ptr::eq(first, problem))
    }

    /// Whether some problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.error)
    }
}

/// How the replay hands hits on.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplayOptions {
    /// Most hits of one input handed to the sink (`--max-hits`); the counts include every hit.
    pub max_hits: Option<u64>,
    /// Whether the summary lists the most affected requests (`--by-request`).
    pub by_request: bool,
    /// Whether each input is named after the saved file it came from, as `STEM/PATH`
    /// (`--label-hosts`: hosts that log to the same paths are told apart; the output then
    /// differs from one scan's by those names).
    pub label_hosts: bool,
}

/// How the replay ended.
#[derive(Debug)]
pub struct Replayed {
    /// The merged summary.
    pub summary: Summary,
    /// Problems found only now (a file that could no longer be read), and notes about the
    /// merge.
    pub problems: Vec<Problem>,
    /// The error with which the sink stopped the replay, if it did.
    pub stopped: Option<io::Error>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::sink::{Collect, Hits, InputEnd, InputInfo, Sink};

    fn saved(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("saved.jsonl");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    const BEGIN: &str = r#"{"type":"begin","schema":2,"path":{"text":"a.log"}}"#;
    const HIT: &str = r#"{"type":"hit","path":{"text":"a.log"},"line":2,"column":5,"byte_offset":12,"code":"DATABASE_TIMEOUT","matched":"DATABASE_TIMEOUT","category":"database","generic":false,"text":"x y DATABASE_TIMEOUT","timestamp":null,"request_id":null}"#;
    const END: &str = r#"{"type":"end","path":{"text":"a.log"},"complete":true,"bytes":30,"lines":2,"hits":1,"lines_with_hits":1,"by_code":{"DATABASE_TIMEOUT":{"category":"database","generic":false,"hits":1,"lines":1}}}"#;

    fn summary(hits: u64, last: bool) -> String {
        let flag = if last { "" } else { r#""final":false,"# };
        format!(
            r#"{{"type":"summary",{flag}"schema":2,"files":1,"bytes":30,"lines":2,"hits":{hits},"lines_with_hits":{hits},"errors":0,"by_code":{{"DATABASE_TIMEOUT":{{"category":"database","generic":false,"hits":{hits},"lines":{hits}}}}},"together":{{}},"generic":[]}}"#
        )
    }

    fn run(text: &str) -> (Surveyed, Replayed, Vec<crate::scan::OwnedHit>) {
        let (_dir, path) = saved(text);
        let mut catalog = Catalog::builtin().unwrap();
        let surveyed = survey(&mut catalog, &[path]);
        let mut sink = Collect::default();
        let replayed = replay(&surveyed, &catalog, ReplayOptions::default(), &mut sink);
        (surveyed, replayed, sink.hits)
    }

    #[test]
    fn a_run_without_its_final_summary_uses_its_last_running_one_and_says_so() {
        let text = format!(
            "{BEGIN}\n{HIT}\n{}\n{END}\n{}\n",
            summary(0, false),
            summary(1, false)
        );
        let (surveyed, replayed, hits) = run(&text);
        assert_eq!(replayed.summary.hits(), 1, "the last running summary");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].excerpt, b"x y DATABASE_TIMEOUT");
        assert_eq!(hits[0].hit, 4..20);
        let messages: Vec<String> = surveyed.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].ends_with(
            "saved.jsonl:5: the run that wrote this stopped before its final summary: its last \
             running summary is used"
        ));
        // A final summary after it: that one counts, and nothing is wrong.
        let text = format!("{text}{}\n", summary(1, true));
        let (surveyed, replayed, _) = run(&text);
        assert_eq!((replayed.summary.hits(), surveyed.problems.len()), (1, 0));
        assert!(replayed.problems.is_empty(), "{:?}", replayed.problems);
    }

    #[test]
    fn a_last_line_without_its_line_break_is_truncated_only_if_it_does_not_parse() {
        let whole = format!("{BEGIN}\n{HIT}\n{END}\n{}", summary(1, true));
        let (surveyed, replayed, _) = run(&whole);
        assert!(surveyed.problems.is_empty(), "{:?}", surveyed.problems);
        assert_eq!(replayed.summary.hits(), 1);
        let cut = &whole[..whole.len() - 10];
        let (surveyed, _, _) = run(cut);
        assert_eq!(surveyed.problems.len(), 1);
        assert_eq!(surveyed.problems[0].line, 4);
        assert!(surveyed.problems[0].message.starts_with("truncated: "));
        // The same bytes followed by a line break are a broken record, not a cut file.
        let (surveyed, _, _) = run(&format!("{cut}\n"));
        assert!(surveyed.problems[0].message.starts_with("not JSON: "));
    }

    /// Every event as text, in order.
    #[derive(Default)]
    struct Events(Vec<String>);

    impl Sink for Events {
        fn begin_input(&mut self, input: &InputInfo) -> io::Result<()> {
            self.0.push(format!("begin {}", input.name));
            Ok(())
        }
        fn hits(&mut self, input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
            for hit in hits.iter() {
                self.0.push(format!("hit {}:{}", input.name, hit.line));
            }
            Ok(())
        }
        fn end_input(&mut self, input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
            self.0
                .push(format!("end {} {}", input.name, end.counts.hits()));
            Ok(())
        }
    }

    #[test]
    fn interleaved_inputs_of_a_follow_keep_their_order_and_their_hits() {
        let b = |record: &str| record.replace("a.log", "b.log");
        let hit_at =
            |record: &str, line: u64| record.replace(r#""line":2"#, &format!(r#""line":{line}"#));
        let text = [
            BEGIN.to_string(),
            hit_at(HIT, 1),
            b(BEGIN),
            b(&hit_at(HIT, 7)),
            hit_at(HIT, 2),
            END.to_string(),
            b(END),
            summary(3, true),
        ]
        .join("\n");
        let (_dir, path) = saved(&text);
        let mut catalog = Catalog::builtin().unwrap();
        let surveyed = survey(&mut catalog, &[path]);
        assert!(surveyed.problems.is_empty(), "{:?}", surveyed.problems);
        let mut events = Events::default();
        replay(&surveyed, &catalog, ReplayOptions::default(), &mut events);
        assert_eq!(
            events.0,
            [
                "begin a.log",
                "hit a.log:1",
                "begin b.log",
                "hit b.log:7",
                "hit a.log:2",
                "end a.log 1",
                "end b.log 1"
            ]
        );
    }

    #[test]
    fn a_cut_hit_of_an_older_cbscan_is_found_by_its_match() {
        // Before `hit_at` and the cut flags, a hit on a long line carried its cut only as `…`.
        let line = format!("{}DATABASE_TIMEOUT {}", "x".repeat(300), "y".repeat(300));
        let text = format!("…{}…", &line[44..600]);
        let old = HIT.replace(r#""column":5"#, r#""column":301"#).replace(
            r#""text":"x y DATABASE_TIMEOUT""#,
            &format!(r#""text":"{text}""#),
        );
        let (_, replayed, hits) = run(&format!("{BEGIN}\n{old}\n{END}\n{}\n", summary(1, true)));
        assert!(replayed.problems.is_empty(), "{:?}", replayed.problems);
        let hit = &hits[0];
        assert_eq!(&hit.excerpt[hit.hit.clone()], b"DATABASE_TIMEOUT");
        assert_eq!(hit.excerpt, line.as_bytes()[44..600].to_vec());
        assert!(hit.cut_before && hit.cut_after);
        assert_eq!(
            hit.char_column, None,
            "the characters before the excerpt are unknown"
        );
    }

    #[test]
    fn problems_are_capped_per_file_and_the_rest_counted() {
        let problem = |file: &str, line: u64, error: bool| Problem {
            file: file.into(),
            line,
            message: "bad".into(),
            error,
        };
        let mut problems: Vec<Problem> = (1..=25).map(|n| problem("a", n, n != 1)).collect();
        problems.push(problem("", 0, false));
        problems.push(problem("b", 1, false));
        let told = capped(&problems);
        let limit = crate::limits::MAX_PROBLEMS_PER_FILE;
        assert_eq!(told.len(), limit + 3);
        assert_eq!(told[..limit], problems[..limit]);
        assert_eq!(told[limit..limit + 2], problems[25..]);
        assert_eq!(told[limit + 2].to_string(), "a: 5 more problems not shown");
        assert!(told[limit + 2].error, "the ones not shown were errors");
        // Notes only: the line is a note.
        let notes: Vec<Problem> = (1..=22).map(|n| problem("c", n, false)).collect();
        assert_eq!(
            capped(&notes).last().map(|p| p.to_string()),
            Some("c: note: 2 more problems not shown".to_string())
        );
    }

    #[test]
    fn a_hit_whose_match_is_outside_its_text_is_an_error_and_skipped() {
        let bad = HIT.replace(r#""column":5"#, r#""column":50"#);
        let (_, replayed, hits) = run(&format!("{BEGIN}\n{bad}\n{END}\n{}\n", summary(1, true)));
        assert!(hits.is_empty());
        assert_eq!(replayed.problems[0].line, 2);
        assert_eq!(
            replayed.problems[0].message,
            "a hit record whose match is not inside its text"
        );
    }
}
