//! The first pass over saved files: their summaries, their problems with file and line, and
//! the codes they name that the catalog lacks (added to it before any writer is made).

use std::path::PathBuf;

use super::records::{
    display, json_error, not_json_lines, open, parse, FileState, Line, Lines, Verdict,
};
use super::{more_problems, Problem, Surveyed, SurveyedFile};
use crate::catalog::Catalog;
use crate::limits::MAX_PROBLEMS_PER_FILE;
use crate::summary::wire::{Data, WireInput, WireSummary};

/// The first pass over `paths`: their summaries and problems; codes they name that `catalog`
/// lacks are added to it (see [`Catalog::add_foreign_code`]).
pub fn survey(catalog: &mut Catalog, paths: &[PathBuf]) -> Surveyed {
    let fingerprint = catalog.fingerprint();
    let mut surveyed = Surveyed::default();
    for path in paths {
        let name = display(path);
        let mut file = SurveyedFile {
            path: path.clone(),
            name: name.clone(),
            ..SurveyedFile::default()
        };
        let mut problems = FileProblems::default();
        let used = survey_file(
            catalog,
            &fingerprint,
            &mut file,
            &mut surveyed.added_codes,
            &mut problems,
        );
        surveyed
            .problems
            .extend(
                problems
                    .shown
                    .into_iter()
                    .map(|(line, message, error)| Problem {
                        file: name.clone(),
                        line,
                        message,
                        error,
                    }),
            );
        if problems.more > 0 {
            surveyed
                .problems
                .push(more_problems(&name, problems.more, problems.more_errors));
        }
        file.unused = !used;
        surveyed.files.push(file);
    }
    surveyed
}

/// A file's problems: the first [`MAX_PROBLEMS_PER_FILE`] kept, the others only counted (a
/// file of another kind would otherwise give one per line, held and printed).
#[derive(Default)]
struct FileProblems {
    shown: Vec<(u64, String, bool)>,
    more: u64,
    more_errors: bool,
    errors: bool,
}

impl FileProblems {
    fn push(&mut self, line: u64, message: String, error: bool) {
        self.errors |= error;
        if self.shown.len() < MAX_PROBLEMS_PER_FILE {
            self.shown.push((line, message, error));
        } else {
            self.more += 1;
            self.more_errors |= error;
        }
    }
}

/// Surveys one file; says whether it is to be replayed (not if it is empty, or not JSON lines).
fn survey_file(
    catalog: &mut Catalog,
    fingerprint: &str,
    file: &mut SurveyedFile,
    added: &mut Vec<String>,
    problems: &mut FileProblems,
) -> bool {
    let reader = match open(&file.path) {
        Ok(reader) => reader,
        Err(e) => {
            problems.push(0, format!("cannot open: {e}"), true);
            return true;
        }
    };
    let mut lines = Lines::new(reader);
    let mut state = FileState::default();
    let mut finals: Option<WireSummary> = None;
    // The last running summary since the last final one (a run stopped before its end).
    let mut running: Option<(u64, WireSummary)> = None;
    // Inputs begun and not ended, by path, with the line of their `begin` (a `follow` has
    // several open at once, their records interleaved).
    let mut open_inputs: Vec<(Option<Data>, u64)> = Vec::new();
    // No line but blank ones so far: the first other one says whether this is JSON lines.
    let mut blank = true;
    let mut ends = 0u64;
    let mut add =
        |catalog: &mut Catalog, code: &str, category: &str, generic: bool, zh: &str, en: &str| {
            if catalog.code_index(code).is_none() {
                catalog.add_foreign_code(code, category, generic, zh, en);
                added.push(code.to_string());
            }
        };
    loop {
        let (line, text, terminated) = match lines.next() {
            Ok(None) => break,
            Ok(Some((line, got))) => {
                if blank && !matches!(got, Line::Record { text, .. } if text.trim().is_empty()) {
                    blank = false;
                    // A log or another tool's output, told once instead of once per line.
                    if let Some(what) = not_json_lines(&got) {
                        let message = format!("not cbscan JSON lines ({what}): skipped");
                        problems.push(line, message, true);
                        return false;
                    }
                }
                match got {
                    Line::Record { text, terminated } => (line, text, terminated),
                    Line::Bad(message) => {
                        problems.push(line, message, true);
                        continue;
                    }
                }
            }
            Err(e) => {
                problems.push(lines.line + 1, format!("cannot read: {e}"), true);
                // The replay stops at the same place: told once.
                file.read_failed = true;
                break;
            }
        };
        let record = match parse(text, terminated) {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(message) => {
                problems.push(line, message, true);
                continue;
            }
        };
        let verdict = state.check(&record, line, fingerprint, |line, message, error| {
            problems.push(line, message, error)
        });
        if let Verdict::Skip = verdict {
            continue;
        }
        match record.kind.as_deref().unwrap_or_default() {
            "begin" => {
                file.begun += 1;
                if let Some(at) = open_inputs.iter().rposition(|(p, _)| *p == record.path) {
                    problems.push(
                        open_inputs.remove(at).1,
                        "this input has no end record: the run that wrote it stopped".into(),
                        true,
                    );
                }
                open_inputs.push((record.path.clone(), line));
            }
            "end" => {
                ends += 1;
                if let Some(at) = open_inputs.iter().rposition(|(p, _)| *p == record.path) {
                    open_inputs.remove(at);
                }
                match serde_json::from_str::<WireInput>(text) {
                    Ok(row) => {
                        for (code, counts) in &row.by_code {
                            add(catalog, code, &counts.category, counts.generic, "", "");
                        }
                    }
                    Err(e) => {
                        problems.push(line, format!("an end record: {}", json_error(&e)), true)
                    }
                }
            }
            "hit" => {
                file.hit_records += 1;
                if let (Some(code), Some(category)) = (&record.code, &record.category) {
                    let meaning = record.meaning.unwrap_or_default();
                    let generic = record.generic.unwrap_or(false);
                    add(catalog, code, category, generic, &meaning.zh, &meaning.en);
                }
            }
            "summary" => match serde_json::from_str::<WireSummary>(text) {
                Ok(mut summary) => {
                    summary.inputs.clear();
                    for (code, counts) in &summary.by_code {
                        add(catalog, code, &counts.category, counts.generic, "", "");
                    }
                    if record.is_final == Some(false) {
                        running = Some((line, summary));
                    } else {
                        running = None;
                        match &mut finals {
                            Some(total) => *total += &summary,
                            None => finals = Some(summary),
                        }
                    }
                }
                Err(e) => {
                    problems.push(line, format!("a summary record: {}", json_error(&e)), true)
                }
            },
            _ => {}
        }
    }
    if blank && !problems.errors {
        // A host whose scan died before writing anything must not pass for a clean one.
        let message = "empty: no records (a scan always writes at least its summary)";
        problems.push(0, message.into(), true);
        return false;
    }
    for (_, begun) in open_inputs {
        problems.push(
            begun,
            "this input has no end record: the file was cut short".into(),
            true,
        );
    }
    if let Some((line, summary)) = running {
        problems.push(
            line,
            "the run that wrote this stopped before its final summary: its last running \
             summary is used"
                .into(),
            true,
        );
        match &mut finals {
            Some(total) => *total += &summary,
            None => finals = Some(summary),
        }
    }
    if finals.is_none() && ends == 0 && !problems.errors {
        // Records of the right shape, none of them what a scan writes at the end of an input
        // or of itself: nothing in it counts. (A file cut short was told above.)
        problems.push(
            0,
            "no summary record and no end record: the scan that wrote it ended before any of \
             its inputs, or it is not cbscan's output"
                .into(),
            true,
        );
    }
    file.summary = finals;
    true
}
