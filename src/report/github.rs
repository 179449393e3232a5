//! GitHub Actions workflow commands (`--format github`): annotations that GitHub shows on the
//! run's page and, for files in the repository, beside the lines of the pull request.
//!
//! One annotation per input and code, written at the end of the scan: its level
//! (`::error`, `::warning`, `::notice` for the policy's error, warning and note), the input's
//! path relative to `--base-dir` and the first place the code was seen, and a message with its
//! hits, lines and meaning:
//!
//! ```text
//! ::error file=logs/app.log,line=120,col=31,title=DATABASE_TIMEOUT (new)::DATABASE_TIMEOUT ×37 on 30 lines, first at line 120: 数据库请求超时 · Database request timeout
//! ```
//!
//! Each input that could not be read is one `::error::` of its own.
//!
//! **No log text is ever written**: only catalog text (codes, meanings), numbers, paths and
//! cbscan's own error messages. A log line could otherwise carry a workflow command of its
//! own; keep it that way. What is written is escaped as the toolkit escapes it
//! (`escapeData`/`escapeProperty` in actions/toolkit `packages/core/src/command.ts`, see
//! [`github_data`] and [`github_property`]) after [`github_defuse`] has taken the sting out of
//! any `##[` (the runner's older command syntax, found anywhere in a line).
//!
//! GitHub keeps only so many annotations (see the limits below) and drops the rest without a
//! word, in the order they were printed. So the annotations are ordered by importance (level,
//! then hits, then where they were first seen), written only up to those limits, and followed
//! by one `::notice::` that says how many were left out and where the full list is.

use std::cmp::Reverse;
use std::io::{self, Write};

use super::escape::{github_data, github_defuse, github_property};
use super::findings::relative_path;
use super::gathered::{EndOfScan, Gathered};
use super::{group, Context};
use crate::baseline::Change;
use crate::catalog::CodeId;
use crate::policy::Level;
use crate::sink::ScanDone;

// GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and 50 per job
// (all steps together); the rest are dropped. Documented in actions/toolkit,
// docs/problem-matchers.md, "Limitations":
// https://github.com/actions/toolkit/blob/main/docs/problem-matchers.md#limitations

/// Error annotations GitHub keeps per step.
pub const MAX_ERRORS_PER_STEP: usize = 10;
/// Warning annotations GitHub keeps per step.
pub const MAX_WARNINGS_PER_STEP: usize = 10;
/// Notice annotations GitHub keeps per step (the left-out notice included).
pub const MAX_NOTICES_PER_STEP: usize = 10;
/// Annotations GitHub keeps per job, all steps together.
pub const MAX_PER_JOB: usize = 50;

// One step of cbscan never writes more than a job keeps, whatever the other steps write.
const _: () =
    assert!(MAX_ERRORS_PER_STEP + MAX_WARNINGS_PER_STEP + MAX_NOTICES_PER_STEP <= MAX_PER_JOB);

/// GitHub Actions annotations, written at the end of the scan by a
/// [`GatheredReport`](super::gathered::GatheredReport).
pub struct Github;

/// What an annotation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Subject {
    /// An input that could not be read: the scan is incomplete, which matters more than any
    /// one code, so these come first among the errors (and count toward their limit).
    Unreadable,
    /// A code in an input.
    Code(CodeId),
}

/// One annotation to write, with what it is ordered by.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    level: Level,
    subject: Subject,
    hits: u64,
    /// The input's index in [`Findings::inputs`].
    input: usize,
    /// The first line the code was seen on (0 when none is known).
    line: u64,
}

impl Candidate {
    /// Most important first: level, unreadable inputs before codes, more hits, seen earlier.
    fn key(&self) -> (Level, bool, Reverse<u64>, usize, u64, Subject) {
        (
            self.level,
            self.subject != Subject::Unreadable,
            Reverse(self.hits),
            self.input,
            self.line,
            self.subject,
        )
    }
}

/// The workflow command of a level.
fn command(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "notice",
    }
}

/// Appends `name=value` (escaped) to the properties being built.
fn push_property(props: &mut String, name: &str, value: &str) {
    if !props.is_empty() {
        props.push(',');
    }
    props.push_str(name);
    props.push('=');
    github_property(&github_defuse(value), props);
}

/// Writes one workflow command line: `::name props::message`.
fn write_command(out: &mut dyn Write, name: &str, props: &str, message: &str) -> io::Result<()> {
    let mut line = String::with_capacity(message.len() + props.len() + 16);
    line.push_str("::");
    line.push_str(name);
    if !props.is_empty() {
        line.push(' ');
        line.push_str(props);
    }
    line.push_str("::");
    github_data(&github_defuse(message), &mut line);
    line.push('\n');
    out.write_all(line.as_bytes())
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group(n), if n == 1 { one } else { many })
}

impl Github {
    /// Every annotation the scan calls for, most important first.
    fn candidates(&self, scan: &Gathered<'_>, done: &ScanDone<'_>) -> Vec<Candidate> {
        let Context {
            catalog, policy, ..
        } = scan.context;
        let mut all = Vec::new();
        for (index, input) in scan.findings.inputs.iter().enumerate() {
            if input.error.is_some() {
                all.push(Candidate {
                    level: Level::Error,
                    subject: Subject::Unreadable,
                    hits: 0,
                    input: index,
                    line: 0,
                });
            }
            for (&code, spots) in &input.codes {
                if spots.counts.hits == 0 {
                    continue;
                }
                all.push(Candidate {
                    level: policy.level(catalog, done.summary, code),
                    subject: Subject::Code(code),
                    hits: spots.counts.hits,
                    input: index,
                    line: spots.first.first().map_or(0, |s| s.line),
                });
            }
        }
        all.sort_by_key(Candidate::key);
        all
    }

    /// Writes the annotation `candidate` stands for.
    fn write_annotation(
        &self,
        scan: &mut Gathered<'_>,
        done: &ScanDone<'_>,
        candidate: &Candidate,
    ) -> io::Result<()> {
        let Context {
            catalog,
            policy,
            base_dir,
        } = scan.context;
        let Some(input) = scan.findings.inputs.get(candidate.input) else {
            return Ok(());
        };
        let path = relative_path(&input.info, base_dir);
        let mut props = String::new();
        let name = command(candidate.level);
        match candidate.subject {
            Subject::Unreadable => {
                if let Some(path) = &path {
                    push_property(&mut props, "file", path);
                }
                push_property(&mut props, "title", "cbscan: input not read");
                let detail = input.error.as_deref().unwrap_or("unknown error");
                let message = format!(
                    "{} could not be read to its end, so the scan is incomplete: {detail}",
                    path.as_deref().unwrap_or(&input.info.name)
                );
                write_command(&mut *scan.out, name, &props, &message)
            }
            Subject::Code(code) => {
                let Some(spots) = input.codes.get(&code) else {
                    return Ok(());
                };
                let entry = catalog.code(code);
                let first = spots.first.first();
                if let Some(path) = &path {
                    push_property(&mut props, "file", path);
                    if let Some(first) = first {
                        push_property(&mut props, "line", &first.line.to_string());
                        if let Some(col) = first.char_column {
                            push_property(&mut props, "col", &col.to_string());
                        }
                    }
                }
                let mark = match policy.change(catalog, done.summary, code) {
                    Some(Change::New) => " (new)".to_string(),
                    Some(Change::Grew { was }) => {
                        format!(" (grew from {})", plural(was, "line", "lines"))
                    }
                    _ => String::new(),
                };
                push_property(&mut props, "title", &format!("{}{mark}", entry.code));
                let mut message = format!(
                    "{} ×{} on {}",
                    entry.code,
                    group(spots.counts.hits),
                    plural(spots.counts.lines, "line", "lines")
                );
                if path.is_none() {
                    message.push_str(" of ");
                    message.push_str(&input.info.name);
                }
                if let Some(first) = first {
                    message.push_str(&format!(", first at line {}", first.line));
                }
                let meaning: Vec<&str> = [entry.zh.as_str(), entry.en.as_str()]
                    .into_iter()
                    .filter(|m| !m.is_empty())
                    .collect();
                if !meaning.is_empty() {
                    message.push_str(": ");
                    message.push_str(&meaning.join(" · "));
                }
                if entry.is_generic() {
                    message.push_str(&format!(
                        "; a generic code, which hides the real cause: see `cbscan explain {}`",
                        entry.code
                    ));
                }
                write_command(&mut *scan.out, name, &props, &message)
            }
        }
    }
}

impl EndOfScan for Github {
    fn write(&self, mut scan: Gathered<'_>, done: &ScanDone<'_>) -> io::Result<()> {
        let all = self.candidates(&scan, done);
        let count = |level| all.iter().filter(|c| c.level == level).count();
        let (errors, warnings, notes) = (
            count(Level::Error),
            count(Level::Warning),
            count(Level::Note),
        );
        let overflow = errors > MAX_ERRORS_PER_STEP
            || warnings > MAX_WARNINGS_PER_STEP
            || notes > MAX_NOTICES_PER_STEP;
        // The left-out notice is a notice too: it takes the last notice slot.
        let notice_room = MAX_NOTICES_PER_STEP - usize::from(overflow);
        let room = |level| match level {
            Level::Error => MAX_ERRORS_PER_STEP,
            Level::Warning => MAX_WARNINGS_PER_STEP,
            Level::Note => notice_room,
        };
        let mut written = [0usize; 3];
        let mut left_out = [0usize; 3];
        for candidate in &all {
            let slot = match candidate.level {
                Level::Error => 0,
                Level::Warning => 1,
                Level::Note => 2,
            };
            if written[slot] < room(candidate.level) {
                written[slot] += 1;
                self.write_annotation(&mut scan, done, candidate)?;
            } else {
                left_out[slot] += 1;
            }
        }
        let total_left_out: usize = left_out.iter().sum();
        if total_left_out > 0 {
            let by_level: Vec<String> = [
                (left_out[0], "error", "errors"),
                (left_out[1], "warning", "warnings"),
                (left_out[2], "notice", "notices"),
            ]
            .into_iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| plural(n as u64, one, many))
            .collect();
            let message = format!(
                "cbscan left out {} ({}): GitHub shows at most {MAX_ERRORS_PER_STEP} errors, \
                 {MAX_WARNINGS_PER_STEP} warnings and {MAX_NOTICES_PER_STEP} notices per step. \
                 Every input with its codes is in the Markdown report (--format markdown, \
                 in the job summary when GITHUB_STEP_SUMMARY is set), and every hit in SARIF \
                 (--format sarif).",
                plural(total_left_out as u64, "annotation", "annotations"),
                by_level.join(", ")
            );
            let mut props = String::new();
            push_property(&mut props, "title", "cbscan: more annotations");
            write_command(&mut *scan.out, "notice", &props, &message)?;
        }
        Ok(())
    }
}
