//! The second pass: saved inputs played into a sink (begin, hits in batches, notices, end) and
//! the merged summary, with what depends on grouping hits across inputs regrouped.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::time::Instant;

use serde::Deserialize;

use super::records::{open, parse, FileState, Line, Lines, Record, Verdict};
use super::{Problem, ReplayOptions, Replayed, Surveyed, SurveyedFile};
use crate::catalog::{Catalog, CodeId};
use crate::diagnosis::Grouper;
use crate::error::Error;
use crate::fields::{HitTime, TimeValue};
use crate::input::STDIN_NAME;
use crate::limits::REPLAY_BATCH_BYTES;
use crate::matcher::PatternId;
use crate::scan::batch::Batch;
use crate::scan::{numeric_patterns, Excerpt, FollowEvent, Hit, InputStats, LineCodes, Notice};
use crate::sink::{Hits, InputEnd, InputInfo, ScanDone, Sink};
use crate::summary::wire::{Data, WireInput, WireSummary, WireUnknown, SCHEMA};
use crate::summary::{Counts, InputSummary, Summary};

/// The input a `begin` record names, numbered `index` (`file: false`: one without a path),
/// under `label` when the inputs are labelled with their saved file.
fn input_info(index: usize, path: Option<&Data>, file: bool, label: Option<&str>) -> InputInfo {
    let mut bytes = path.and_then(|p| p.to_bytes().ok()).unwrap_or_default();
    if let Some(label) = label {
        bytes = labelled(label, &bytes);
    }
    let name = String::from_utf8_lossy(&bytes).into_owned();
    let path = (file && name != STDIN_NAME).then(|| path_from_bytes(bytes));
    InputInfo { index, name, path }
}

/// The label of inputs saved in `file` (`--label-hosts`): its name less `.jsonl` and a
/// compression suffix (`cbscan-web-1.jsonl.gz` gives `cbscan-web-1`).
fn label_of(file: &std::path::Path) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for suffix in [".gz", ".zst", ".jsonl", ".json", ".ndjson"] {
        stem = stem.strip_suffix(suffix).unwrap_or(stem);
    }
    stem.to_string()
}

/// `path` under `label`: `LABEL/PATH` (an absolute path's leading `/` dropped).
fn labelled(label: &str, path: &[u8]) -> Vec<u8> {
    let rest = path.strip_prefix(b"/").unwrap_or(path);
    [label.as_bytes(), b"/", rest].concat()
}

/// A saved summary's places (first and last seen, codes not in the catalog) under `label`.
fn label_summary(summary: &mut WireSummary, label: &str) {
    let relabel = |data: &mut Data| {
        if let Ok(bytes) = data.to_bytes() {
            *data = Data::from_bytes(&labelled(label, &bytes));
        }
    };
    for seen in summary.seen.values_mut() {
        relabel(&mut seen.first.path);
        relabel(&mut seen.last.path);
    }
    for unknown in summary.unknown.values_mut() {
        relabel(&mut unknown.path);
    }
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// The parts of a hit that do not borrow from the record: its excerpt bytes when they had to
/// be decoded or unmarked, and where the hit is in them.
struct HitParts<'r> {
    excerpt: Cow<'r, [u8]>,
    hit_start: usize,
    hit_len: usize,
    cut_before: bool,
    cut_after: bool,
    chars_before: Option<u64>,
    time: Option<HitTime>,
}

/// Strips the `…` a writer put where the line was cut.
fn unmarked(text: &str, cut_before: bool, cut_after: bool) -> &str {
    let mut text = text;
    if cut_before {
        text = text.strip_prefix('…').unwrap_or(text);
    }
    if cut_after {
        text = text.strip_suffix('…').unwrap_or(text);
    }
    text
}

fn hit_time(record: &Record<'_>) -> Result<Option<HitTime>, String> {
    let Some(stamp) = record.timestamp.as_deref() else {
        return Ok(None);
    };
    let bad = |e: jiff::Error| format!("timestamp {stamp:?}: {e}");
    let at = if record.time_zone_known.unwrap_or(false) {
        TimeValue::Zoned(stamp.parse().map_err(bad)?)
    } else {
        TimeValue::Local(stamp.parse().map_err(bad)?)
    };
    Ok(Some(HitTime {
        at,
        inherited: record.time_inherited.unwrap_or(false),
    }))
}

fn hit_parts<'r>(record: &'r Record<'_>) -> Result<HitParts<'r>, String> {
    let text = match &record.raw {
        Some(_) => None,
        None => Some(record.text.as_deref().ok_or("a hit record without text")?),
    };
    let excerpt: Cow<'r, [u8]> = match (&record.raw, text) {
        (Some(raw), _) => Cow::Owned(raw.to_bytes().map_err(|e| e.to_string())?),
        (None, Some(text)) => {
            Cow::Borrowed(unmarked(text, record.cut_before, record.cut_after).as_bytes())
        }
        (None, None) => return Err("a hit record without text".into()),
    };
    let column = record.column.ok_or("a hit record without a column")?;
    let matched = record.matched.as_deref().unwrap_or_default().as_bytes();
    let hit_start = record
        .hit_at
        .unwrap_or(usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX));
    let time = hit_time(record)?;
    let at_hit = hit_start
        .checked_add(matched.len())
        .and_then(|end| excerpt.get(hit_start..end))
        .is_some_and(|here| here == matched);
    if at_hit {
        return Ok(HitParts {
            excerpt,
            hit_start,
            hit_len: matched.len(),
            cut_before: record.cut_before,
            cut_after: record.cut_after,
            chars_before: record.chars_before.unwrap_or(Some(0)),
            time,
        });
    }
    // Output of a cbscan from before `hit_at` and the cut flags (same schema): a cut excerpt
    // carried its cut only as `…` in its text, and the hit sat about EXCERPT_RADIUS bytes
    // into it. The match nearest there is the hit; the characters before it are unknown.
    let older = record.hit_at.is_none() && !record.cut_before && !record.cut_after;
    let marked = text.is_none_or(|text| text.starts_with('…'));
    if older && marked && !matched.is_empty() {
        let (excerpt, cut_before, cut_after) = match text {
            Some(text) => {
                let before = text.starts_with('…');
                let after = text.ends_with('…');
                let bytes = unmarked(text, before, after).as_bytes();
                (Cow::Borrowed(bytes), before, after)
            }
            None => (excerpt, true, false),
        };
        let nearest = memchr::memmem::find_iter(&excerpt, matched)
            .min_by_key(|&at| at.abs_diff(crate::limits::EXCERPT_RADIUS));
        if let Some(hit_start) = nearest {
            return Ok(HitParts {
                excerpt,
                hit_start,
                hit_len: matched.len(),
                cut_before,
                cut_after,
                chars_before: None,
                time,
            });
        }
    }
    Err("a hit record whose match is not inside its text".into())
}

/// The replay of one saved input: its batch and what its end needs.
struct Open {
    /// The path its records carry.
    key: Option<Data>,
    info: InputInfo,
    handed: u64,
    unknown: Vec<(String, WireUnknown)>,
    error: Option<String>,
    /// Where its error was found, when that is more than its name (`FILE:LINE`, for a saved
    /// file that could not be used).
    place: Option<String>,
    /// Its hits counted again from their records, for when its `end` record or its file's
    /// summary is missing (a file cut short): what was saved is then still counted.
    recount: Recount,
}

/// Counts made from hit records, per line as a scan makes them (with the scan's own
/// [`LineCodes`]).
struct Recount {
    counts: Counts,
    line_codes: LineCodes,
}

impl Recount {
    fn new(codes: usize) -> Recount {
        Recount {
            counts: Counts::new(codes),
            line_codes: LineCodes::default(),
        }
    }

    fn add(&mut self, catalog: &Catalog, generic: &[bool], hit: &Hit<'_>, input: &str) {
        self.line_codes
            .count(&mut self.counts, generic, hit.code, hit.line);
        if let Some(time) = hit.time {
            let (seconds, nanos) = time.at.sort_key();
            let category = catalog.code(hit.code).category;
            self.counts
                .add_timed(category, seconds, nanos, time.at.is_zoned());
            self.counts.add_seen(hit.code, time.at, input, hit.line);
        }
    }
}

/// Plays the files [`survey`] read into `sink`; `catalog` must be the one `survey` extended.
pub fn replay(
    surveyed: &Surveyed,
    catalog: &Catalog,
    options: ReplayOptions,
    sink: &mut dyn Sink,
) -> Replayed {
    let started = Instant::now();
    let mut player = Player::new(catalog, options, sink.wants_hits());
    let mut problems = Vec::new();
    let mut stopped = None;
    for file in &surveyed.files {
        let mut played = player.play_file(file, sink, &mut problems);
        // A saved file that gave no input at all because of an error (a log given by mistake,
        // an empty or unreadable file) is an input that could not be read, as in `scan`: the
        // reports then say the result is incomplete instead of showing a clean pass.
        if played.is_ok() && (file.unused || file.begun == 0) {
            let first_error = surveyed
                .problems
                .iter()
                .chain(&problems)
                .find(|p| p.error && p.file == file.name);
            if let Some(problem) = first_error {
                played = player.unusable(file, problem, sink);
            }
        }
        if let Err(e) = played {
            stopped = Some(e);
            break;
        }
    }
    let (summary, notes) = player.summary(surveyed);
    problems.extend(notes);
    if stopped.is_none() {
        let done = ScanDone {
            summary: &summary,
            elapsed: started.elapsed(),
        };
        stopped = sink.finish(&done).err();
    }
    Replayed {
        summary,
        problems,
        stopped,
    }
}

/// The replay's state across files.
struct Player<'c> {
    catalog: &'c Catalog,
    options: ReplayOptions,
    /// The pattern each matched text stands for.
    patterns: HashMap<String, PatternId>,
    numeric: Vec<bool>,
    /// Groups hits by request, across inputs and files, as a scan does (when hits are wanted).
    grouper: Option<Grouper>,
    /// Which codes are generic, by code.
    generic: Vec<bool>,
    batch: Batch,
    /// The index of the input the batch's hits are of.
    batch_of: Option<usize>,
    /// Inputs begun and not ended (several at once in a `follow`'s output).
    open: Vec<Open>,
    next_index: usize,
    /// The rows of every input, in order.
    rows: Vec<WireInput>,
    /// Whether the file being played has a summary (else its inputs' counts are added up
    /// from their records into `unsummarized`).
    summarized: bool,
    unsummarized: Counts,
    /// The label of the file being played (`--label-hosts`).
    label: Option<String>,
}

impl<'c> Player<'c> {
    fn new(catalog: &'c Catalog, options: ReplayOptions, wants_hits: bool) -> Player<'c> {
        let patterns = catalog.patterns();
        let numeric = numeric_patterns(&patterns);
        let generic: Vec<bool> = catalog.codes().iter().map(|c| c.is_generic()).collect();
        Player {
            catalog,
            options,
            patterns: patterns
                .into_iter()
                .enumerate()
                .map(|(i, p)| (p.text, i as PatternId))
                .collect(),
            numeric,
            grouper: wants_hits.then(|| Grouper::new(generic.clone(), options.by_request)),
            generic,
            batch: Batch::new(catalog.codes().len()),
            batch_of: None,
            open: Vec::new(),
            next_index: 0,
            rows: Vec::new(),
            summarized: true,
            unsummarized: Counts::new(catalog.codes().len()),
            label: None,
        }
    }

    fn play_file(
        &mut self,
        file: &SurveyedFile,
        sink: &mut dyn Sink,
        problems: &mut Vec<Problem>,
    ) -> io::Result<()> {
        let mut problem = |line: u64, message: String| {
            problems.push(Problem {
                file: file.name.clone(),
                line,
                message,
                error: true,
            })
        };
        let reader = match open(&file.path) {
            Ok(reader) => reader,
            // Told by the survey already, unless the file went away since.
            Err(e) => {
                if file.summary.is_some() || file.hit_records > 0 {
                    problem(0, format!("cannot open any more: {e}"));
                }
                return Ok(());
            }
        };
        if file.unused {
            return Ok(());
        }
        self.summarized = file.summary.is_some();
        self.label = self.options.label_hosts.then(|| label_of(&file.path));
        let fingerprint = self.catalog.fingerprint();
        let mut lines = Lines::new(reader);
        let mut state = FileState::default();
        loop {
            let (line, text, terminated) = match lines.next() {
                Ok(None) => break,
                Ok(Some((line, Line::Record { text, terminated }))) => (line, text, terminated),
                // Every problem of a line was told by the survey.
                Ok(Some((_, Line::Bad(_)))) => continue,
                Err(e) => {
                    // A file the survey could not read to its end (a damaged archive) stops
                    // here again: told once.
                    if !file.read_failed {
                        problem(lines.line + 1, format!("cannot read any more: {e}"));
                    }
                    break;
                }
            };
            let Ok(Some(record)) = parse(text, terminated) else {
                continue;
            };
            if let Verdict::Skip = state.check(&record, line, &fingerprint, |_, _, _| {}) {
                continue;
            }
            let kind = record.kind.as_deref().unwrap_or_default();
            if kind == "begin" {
                // Hits already read go out before the new input begins, in record order.
                self.flush(sink)?;
                // The same input begun again without its end: told by the survey.
                if let Some(at) = self.find(record.path.as_ref()) {
                    self.end_missing(at, sink)?;
                }
                let file = record.file.unwrap_or(true);
                let info = input_info(
                    self.next_index,
                    record.path.as_ref(),
                    file,
                    self.label.as_deref(),
                );
                self.next_index += 1;
                if let Some(grouper) = &mut self.grouper {
                    grouper.name_input(info.index, &info.name);
                }
                sink.begin_input(&info)?;
                self.open.push(Open {
                    key: record.path.clone(),
                    info,
                    handed: 0,
                    unknown: Vec::new(),
                    error: None,
                    place: None,
                    recount: Recount::new(self.catalog.codes().len()),
                });
                continue;
            }
            let Some(at) = self.find(record.path.as_ref()) else {
                if matches!(kind, "hit" | "notice" | "error" | "unknown" | "end") {
                    problem(line, format!("a {kind} record of an input not begun"));
                }
                continue;
            };
            match kind {
                "hit" => {
                    if let Err(message) = self.add_hit(&record, at, sink) {
                        problem(line, message);
                    }
                }
                "notice" => {
                    self.flush(sink)?;
                    sink.notice(&self.open[at].info, &notice_of(text))?;
                }
                "error" => {
                    if let Some(message) = &record.message {
                        self.open[at].error = Some(message.to_string());
                    }
                }
                "unknown" => {
                    if let Some(code) = &record.code {
                        self.open[at].unknown.push((
                            code.to_string(),
                            WireUnknown {
                                count: record.count.unwrap_or(1),
                                path: Data::from_bytes(b""),
                                line: record.line.unwrap_or(0),
                                column: record.column.unwrap_or(0),
                                text: record.text.as_deref().unwrap_or_default().to_string(),
                            },
                        ));
                    }
                }
                "end" => match serde_json::from_str::<WireInput>(text) {
                    Ok(row) => self.end(at, sink, row)?,
                    // Told by the survey: the input ends without its counts.
                    Err(_) => self.end_missing(at, sink)?,
                },
                _ => {}
            }
        }
        // What a file begins, it ends: inputs still open were cut short (told by the survey).
        while !self.open.is_empty() {
            self.end_missing(0, sink)?;
        }
        Ok(())
    }

    /// Where the open input with this path is (the latest begun, if several).
    fn find(&self, path: Option<&Data>) -> Option<usize> {
        self.open.iter().rposition(|o| o.key.as_ref() == path)
    }

    fn add_hit(
        &mut self,
        record: &Record<'_>,
        at: usize,
        sink: &mut dyn Sink,
    ) -> Result<(), String> {
        let parts = hit_parts(record)?;
        let code_name = record
            .code
            .as_deref()
            .ok_or("a hit record without a code")?;
        let code: CodeId = self
            .catalog
            .code_index(code_name)
            .ok_or_else(|| format!("a hit of {code_name}, which no record describes"))?;
        let pattern = record
            .matched
            .as_deref()
            .and_then(|m| self.patterns.get(m).copied())
            // Codes come first among the patterns: a code's own pattern has its id.
            .unwrap_or(code as PatternId);
        let column = record.column.unwrap_or(1);
        let byte_offset = record
            .byte_offset
            .ok_or("a hit record without a byte_offset")?;
        let hit = Hit {
            line: record.line.ok_or("a hit record without a line")?,
            column,
            byte_offset,
            code,
            pattern,
            excerpt: Excerpt {
                bytes: &parts.excerpt,
                hit: parts.hit_start..parts.hit_start + parts.hit_len,
                cut_before: parts.cut_before,
                cut_after: parts.cut_after,
                chars_before: parts.chars_before,
            },
            time: parts.time,
            request: record.request_id.as_deref(),
            event: record
                .event
                .unwrap_or(byte_offset.saturating_sub(column.saturating_sub(1))),
        };
        let input = self.open[at].info.index;
        if !self.batch.is_empty()
            && (self.batch_of != Some(input)
                || self
                    .batch
                    .would_outgrow(parts.excerpt.len(), REPLAY_BATCH_BYTES))
        {
            self.flush(sink).map_err(|e| format!("writing: {e}"))?;
        }
        self.batch_of = Some(input);
        let open = &mut self.open[at];
        open.recount
            .add(self.catalog, &self.generic, &hit, &open.info.name);
        self.batch.push_hit(&hit);
        Ok(())
    }

    /// Hands the batch on: every hit to the grouper, up to `--max-hits` to the sink.
    fn flush(&mut self, sink: &mut dyn Sink) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch_of = self.batch_of;
        let Some(open) = self
            .open
            .iter_mut()
            .find(|o| Some(o.info.index) == batch_of)
        else {
            self.batch.clear_hits();
            return Ok(());
        };
        if let Some(grouper) = &mut self.grouper {
            crate::scan::group_batch(grouper, &self.numeric, open.info.index, &self.batch, 0);
        }
        let max = self.options.max_hits.unwrap_or(u64::MAX);
        let take = usize::try_from(max.saturating_sub(open.handed)).unwrap_or(usize::MAX);
        let result = if take > 0 {
            let hits = Hits::new(&self.batch, 0, take);
            open.handed += hits.len() as u64;
            sink.hits(&open.info, &hits)
        } else {
            Ok(())
        };
        self.batch.clear_hits();
        result
    }

    /// Ends the open input with the counts of its `end` record.
    fn end(&mut self, at: usize, sink: &mut dyn Sink, row: WireInput) -> io::Result<()> {
        self.flush(sink)?;
        let open = self.open.remove(at);
        let wire = WireSummary {
            files: u64::from(row.complete),
            bytes: row.bytes,
            lines: row.lines,
            hits: row.hits,
            lines_with_hits: row.lines_with_hits,
            errors: u64::from(row.error.is_some()),
            by_code: row.by_code.clone(),
            unknown: open.unknown.into_iter().collect(),
            ..WireSummary::default()
        };
        // Every code was added to the catalog by the survey.
        let counts = Summary::from_wire(wire, self.catalog)
            .map(|s| s.total().clone())
            .unwrap_or_else(|_| Counts::new(self.catalog.codes().len()));
        if !self.summarized {
            // A file cut before its summary: its inputs count as their records show them.
            let mut recount = open.recount.counts;
            recount.add_read(row.bytes, row.lines);
            if row.complete {
                recount.add_file();
            }
            if row.error.is_some() || open.error.is_some() {
                recount.add_error();
            }
            recount.unknown = counts.unknown.clone();
            recount.unknown.name_input(&open.info.name);
            self.unsummarized += &recount;
        }
        // As the scan told it: the input's name, then what stopped it.
        let error = row
            .error
            .clone()
            .or(open.error)
            .map(|message| Error::Input {
                path: open.place.unwrap_or_else(|| open.info.name.clone()),
                source: io::Error::other(message),
            });
        let end = InputEnd {
            stats: InputStats {
                bytes: row.bytes,
                lines: row.lines,
            },
            counts: &counts,
            error: error.as_ref(),
        };
        if let Some(grouper) = &mut self.grouper {
            grouper.end_input(open.info.index);
        }
        self.rows.push(WireInput {
            path: Data::from_bytes(&open.info.path_bytes()),
            ..row
        });
        sink.end_input(&open.info, &end)
    }

    /// Counts `file`, which gave no input because of `problem`, as one input that could not be
    /// read, named after the saved file (its error is told as an input's, not by the survey:
    /// see [`Surveyed::told_at_replay`]).
    fn unusable(
        &mut self,
        file: &SurveyedFile,
        problem: &Problem,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        self.summarized = false;
        let info = InputInfo {
            index: self.next_index,
            name: file.name.clone(),
            path: Some(file.path.clone()),
        };
        self.next_index += 1;
        sink.begin_input(&info)?;
        let row = WireInput {
            path: Data::from_bytes(&info.path_bytes()),
            complete: false,
            bytes: 0,
            lines: 0,
            hits: 0,
            lines_with_hits: 0,
            by_code: Default::default(),
            error: Some(problem.message.clone()),
        };
        self.open.push(Open {
            key: None,
            info,
            handed: 0,
            unknown: Vec::new(),
            error: None,
            place: Some(match problem.line {
                0 => file.name.clone(),
                line => format!("{}:{line}", file.name),
            }),
            recount: Recount::new(self.catalog.codes().len()),
        });
        self.end(self.open.len() - 1, sink, row)
    }

    /// Ends an input whose `end` record is missing (told by the survey): what it showed stays
    /// shown; it counts as not read to its end.
    fn end_missing(&mut self, at: usize, sink: &mut dyn Sink) -> io::Result<()> {
        // Its hits count as their records show them; what it read is unknown.
        self.flush(sink)?;
        let open = &mut self.open[at];
        let mut row = WireInput::from_input(
            self.catalog,
            &InputSummary::from_counts(open.info.name.clone(), None, &open.recount.counts),
        );
        row.complete = false;
        row.bytes = 0;
        row.lines = 0;
        row.error = Some("the saved output ends before this input's end".into());
        self.end(at, sink, row)
    }

    /// The merged summary, and notes on how it was made.
    fn summary(&mut self, surveyed: &Surveyed) -> (Summary, Vec<Problem>) {
        let mut notes = Vec::new();
        let mut total = WireSummary {
            schema: SCHEMA,
            ..WireSummary::default()
        };
        let mut complete = true;
        // A file cut before its summary adds nothing here: its inputs were counted from their
        // records (`unsummarized`).
        for file in &surveyed.files {
            if let Some(summary) = &file.summary {
                if self.options.label_hosts {
                    let mut summary = summary.clone();
                    label_summary(&mut summary, &label_of(&file.path));
                    total += &summary;
                } else {
                    total += summary;
                }
                complete &= file.hit_records == summary.hits;
            }
        }
        total.inputs = std::mem::take(&mut self.rows);
        let grouped = self.grouper.take().map(Grouper::finish);
        let regroup = complete && grouped.is_some();
        if regroup || grouped.is_none() {
            // Regrouped below, or not grouped at all (a scan for a sink that wants no hits
            // groups none either).
            total.hidden = Default::default();
        } else {
            notes.push(Problem {
                file: String::new(),
                line: 0,
                message: "some saved files lack hits their summaries count (--max-hits, \
                          --summary-only): what generic codes were hiding is added up per \
                          file, not paired across files"
                    .into(),
                error: false,
            });
        }
        let mut summary = match Summary::from_wire(total, self.catalog) {
            Ok(summary) => summary,
            Err(e) => {
                notes.push(Problem {
                    file: String::new(),
                    line: 0,
                    message: format!("the merged summary: {e}"),
                    error: true,
                });
                Summary::new(self.catalog.codes().len())
            }
        };
        summary.add_counts(&self.unsummarized);
        if let (true, Some((hidden, requests))) = (regroup, grouped) {
            summary.add_diagnosis(&hidden, requests);
        }
        (summary, notes)
    }
}

/// A notice back from its record: a follow event as `follow` made it, else as written.
fn notice_of(text: &str) -> Notice {
    #[derive(Deserialize)]
    struct Saved {
        #[serde(default)]
        kind: String,
        #[serde(default)]
        message: String,
    }
    let saved: Saved = serde_json::from_str(text).unwrap_or(Saved {
        kind: String::new(),
        message: String::new(),
    });
    match FollowEvent::from_name(&saved.kind) {
        Some(event) => Notice::Followed {
            event,
            message: saved.message,
        },
        None => Notice::Saved {
            kind: saved.kind,
            message: saved.message,
        },
    }
}
