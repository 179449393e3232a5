//! The first pass over saved files: their summaries, their problems with file and line, and
//! the codes they name that the catalog lacks (added to it before any writer is made).

use std::path::PathBuf;

use super::records::{display, json_error, open, parse, FileState, Line, Lines, Verdict};
use super::{Problem, Surveyed, SurveyedFile};
use crate::catalog::Catalog;
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
        let mut problems = Vec::new();
        survey_file(
            catalog,
            &fingerprint,
            &mut file,
            &mut surveyed.added_codes,
            &mut problems,
        );
        surveyed
            .problems
            .extend(problems.into_iter().map(|(line, message, error)| Problem {
                file: name.clone(),
                line,
                message,
                error,
            }));
        surveyed.files.push(file);
    }
    surveyed
}

fn survey_file(
    catalog: &mut Catalog,
    fingerprint: &str,
    file: &mut SurveyedFile,
    added: &mut Vec<String>,
    problems: &mut Vec<(u64, String, bool)>,
) {
    let reader = match open(&file.path) {
        Ok(reader) => reader,
        Err(e) => {
            problems.push((0, format!("cannot open: {e}"), true));
            return;
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
            Ok(Some((line, Line::Record { text, terminated }))) => (line, text, terminated),
            Ok(Some((line, Line::Bad(message)))) => {
                problems.push((line, message, true));
                continue;
            }
            Err(e) => {
                problems.push((lines.line + 1, format!("cannot read: {e}"), true));
                break;
            }
        };
        let record = match parse(text, terminated) {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(message) => {
                problems.push((line, message, true));
                continue;
            }
        };
        let verdict = state.check(&record, line, fingerprint, |line, message, error| {
            problems.push((line, message, error))
        });
        if let Verdict::Skip = verdict {
            continue;
        }
        match record.kind.as_deref().unwrap_or_default() {
            "begin" => {
                if let Some(at) = open_inputs.iter().rposition(|(p, _)| *p == record.path) {
                    problems.push((
                        open_inputs.remove(at).1,
                        "this input has no end record: the run that wrote it stopped".into(),
                        true,
                    ));
                }
                open_inputs.push((record.path.clone(), line));
            }
            "end" => {
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
                        problems.push((line, format!("an end record: {}", json_error(&e)), true))
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
                    problems.push((line, format!("a summary record: {}", json_error(&e)), true))
                }
            },
            _ => {}
        }
    }
    for (_, begun) in open_inputs {
        problems.push((
            begun,
            "this input has no end record: the file was cut short".into(),
            true,
        ));
    }
    if let Some((line, summary)) = running {
        problems.push((
            line,
            "the run that wrote this stopped before its final summary: its last running \
             summary is used"
                .into(),
            true,
        ));
        match &mut finals {
            Some(total) => *total += &summary,
            None => finals = Some(summary),
        }
    }
    file.summary = finals;
}
