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
//! file; that input's records are skipped), a record without a type. A file written with
//! another catalog gets a note, not an error. Unknown record types and fields are skipped:
//! newer output still reads.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Deserializer};

use crate::catalog::{Catalog, CodeId};
use crate::diagnosis::Grouper;
use crate::error::Error;
use crate::fields::{HitTime, TimeValue};
use crate::input::STDIN_NAME;
use crate::limits::{MAX_RECORD_BYTES, REPLAY_BATCH_BYTES};
use crate::matcher::PatternId;
use crate::scan::batch::Batch;
use crate::scan::{numeric_patterns, Excerpt, FollowEvent, Hit, InputStats, Notice};
use crate::sink::{Hits, InputEnd, InputInfo, ScanDone, Sink};
use crate::summary::wire::{Data, WireInput, WireSummary, WireUnknown, SCHEMA};
use crate::summary::{Counts, Summary};

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

/// What the first pass found in one file.
#[derive(Debug, Default)]
struct SurveyedFile {
    path: PathBuf,
    name: String,
    /// The sum of its final summaries (and of a last running one not followed by a final one).
    summary: Option<WireSummary>,
    /// Hit records read.
    hit_records: u64,
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

/// Lines of a saved file, at most [`MAX_RECORD_BYTES`] each.
struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    line: u64,
}

/// One line: its text and whether it ended with a line break, or what is wrong with it.
enum Line<'a> {
    Record { text: &'a str, terminated: bool },
    Bad(String),
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R) -> Self {
        Lines {
            reader,
            buf: Vec::new(),
            line: 0,
        }
    }

    /// The next line, with its 1-based number; `None` at the end.
    fn next(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        self.buf.clear();
        let limit = MAX_RECORD_BYTES as u64 + 1;
        let read = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.buf)?;
        if read == 0 {
            return Ok(None);
        }
        self.line += 1;
        if self.buf.len() as u64 == limit && self.buf.last() != Some(&b'\n') {
            // Skip the rest of the line without holding it.
            loop {
                let (done, used) = {
                    let available = self.reader.fill_buf()?;
                    if available.is_empty() {
                        (true, 0)
                    } else {
                        match memchr::memchr(b'\n', available) {
                            Some(i) => (true, i + 1),
                            None => (false, available.len()),
                        }
                    }
                };
                self.reader.consume(used);
                if done {
                    break;
                }
            }
            let message = format!("a line longer than {MAX_RECORD_BYTES} bytes: not a record");
            return Ok(Some((self.line, Line::Bad(message))));
        }
        let terminated = self.buf.last() == Some(&b'\n');
        let record = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        Ok(Some((
            self.line,
            match std::str::from_utf8(record) {
                Ok(text) => Line::Record { text, terminated },
                Err(e) => Line::Bad(format!(
                    "not JSON: not UTF-8 at column {}",
                    e.valid_up_to() + 1
                )),
            },
        )))
    }
}

/// `null` read as `Some(None)`, so that an absent field (`None`) is told from it.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A boolean, or `None` for any other value.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    serde_json::Value::deserialize(d).map(|v| v.as_bool())
}

/// The types of record this version reads; others (a later version's) are skipped.
const KNOWN_TYPES: [&str; 8] = [
    "begin", "hit", "notice", "error", "unknown", "end", "request", "summary",
];

/// A hit's meanings, as a hit record carries them.
#[derive(Deserialize, Default)]
struct Meaning<'a> {
    #[serde(borrow, default)]
    zh: Cow<'a, str>,
    #[serde(borrow, default)]
    en: Cow<'a, str>,
}

/// Every record, read as one shape: the fields of the types this reads, all optional. Strings
/// borrow from the line when they need no unescaping.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    schema: Option<u64>,
    #[serde(borrow)]
    catalog: Option<Cow<'a, str>>,
    #[serde(rename = "final")]
    is_final: Option<bool>,
    path: Option<Data>,
    file: Option<bool>,
    line: Option<u64>,
    column: Option<u64>,
    byte_offset: Option<u64>,
    #[serde(borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    matched: Option<Cow<'a, str>>,
    #[serde(borrow)]
    category: Option<Cow<'a, str>>,
    /// A hit's flag (a `summary` record has a list of that name).
    #[serde(default, deserialize_with = "lenient_bool")]
    generic: Option<bool>,
    #[serde(borrow)]
    meaning: Option<Meaning<'a>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    raw: Option<Data>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    time_zone_known: Option<bool>,
    time_inherited: Option<bool>,
    #[serde(borrow)]
    request_id: Option<Cow<'a, str>>,
    event: Option<u64>,
    hit_at: Option<usize>,
    #[serde(default, deserialize_with = "present")]
    chars_before: Option<Option<u64>>,
    #[serde(default)]
    cut_before: bool,
    #[serde(default)]
    cut_after: bool,
    count: Option<u64>,
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
}

/// A serde_json error without its position in the one-line document (always line 1).
fn json_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(cut) => &text[..cut],
        None => &text,
    };
    format!("{text} at column {}", error.column())
}

/// The record on a line, or what is wrong with it.
fn parse(text: &str, terminated: bool) -> Result<Option<Record<'_>>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Record<'_>>(text) {
        Ok(record) => match record.kind {
            Some(_) => Ok(Some(record)),
            None => Err("a record without a \"type\"".to_string()),
        },
        Err(e) if !terminated && e.is_eof() => Err(format!(
            "truncated: the file ends in the middle of a record ({})",
            json_error(&e)
        )),
        Err(e) if e.is_syntax() || e.is_eof() => Err(format!("not JSON: {}", json_error(&e))),
        Err(e) => {
            // A record type of a later version may hold fields of the same names with other
            // types: skipped, as its type is.
            #[derive(Deserialize)]
            struct Head<'a> {
                #[serde(rename = "type", borrow)]
                kind: Option<Cow<'a, str>>,
            }
            match serde_json::from_str::<Head<'_>>(text) {
                Ok(Head { kind: Some(kind) }) if !KNOWN_TYPES.contains(&kind.as_ref()) => Ok(None),
                _ => Err(format!("not a JSON lines record: {}", json_error(&e))),
            }
        }
    }
}

/// Where a file is in its records: which schema its current input has, what was told once.
#[derive(Default)]
struct FileState {
    /// Inside an input whose `begin` named a schema this version does not read.
    skipping: bool,
    told_newer: bool,
    told_catalog: bool,
}

/// What to do with a record, as far as schemas go.
enum Verdict {
    Use,
    Skip,
}

impl FileState {
    /// Checks the schema and catalog of `begin` and `summary` records; says whether to use a
    /// record. Problems go to `problems` (once per file for a newer schema or another
    /// catalog).
    fn check(
        &mut self,
        record: &Record<'_>,
        line: u64,
        fingerprint: &str,
        mut problem: impl FnMut(u64, String, bool),
    ) -> Verdict {
        let kind = record.kind.as_deref().unwrap_or_default();
        let heads = kind == "begin" || kind == "summary";
        if heads {
            match record.schema {
                Some(schema) if schema > u64::from(SCHEMA) => {
                    if !self.told_newer {
                        self.told_newer = true;
                        problem(
                            line,
                            format!(
                                "a {kind} record of schema {schema}, newer than this cbscan's \
                                 {SCHEMA}: the records of that schema are skipped"
                            ),
                            true,
                        );
                    }
                    self.skipping = kind == "begin";
                    return Verdict::Skip;
                }
                Some(schema) if schema < u64::from(SCHEMA) => {
                    problem(
                        line,
                        format!("a {kind} record of schema {schema}; this cbscan reads {SCHEMA}"),
                        true,
                    );
                    self.skipping = kind == "begin";
                    return Verdict::Skip;
                }
                None => {
                    problem(
                        line,
                        format!(
                            "a {kind} record without a schema (JSON lines v1?); this cbscan \
                             reads schema {SCHEMA}"
                        ),
                        true,
                    );
                    self.skipping = kind == "begin";
                    return Verdict::Skip;
                }
                Some(_) => {}
            }
            if let Some(other) = record.catalog.as_deref() {
                if other != fingerprint && !self.told_catalog {
                    self.told_catalog = true;
                    problem(
                        line,
                        format!(
                            "written with another catalog ({other}, this one is \
                             {fingerprint}): codes are merged by name"
                        ),
                        false,
                    );
                }
            }
            if kind == "begin" {
                self.skipping = false;
            }
            return Verdict::Use;
        }
        if self.skipping && kind != "request" {
            return Verdict::Skip;
        }
        Verdict::Use
    }
}

fn open(path: &Path) -> io::Result<BufReader<File>> {
    Ok(BufReader::with_capacity(256 << 10, File::open(path)?))
}

/// How a saved file is named in messages.
fn display(path: &Path) -> String {
    path.display().to_string()
}

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

/// The input a `begin` record names, numbered `index` (`file: false`: one without a path).
fn input_info(index: usize, path: Option<&Data>, file: bool) -> InputInfo {
    let bytes = path.and_then(|p| p.to_bytes().ok()).unwrap_or_default();
    let name = String::from_utf8_lossy(&bytes).into_owned();
    let path = (file && name != STDIN_NAME).then(|| path_from_bytes(bytes));
    InputInfo { index, name, path }
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
/// be decoded or unmarked.
struct HitParts<'r> {
    excerpt: Cow<'r, [u8]>,
    hit_start: usize,
    hit_len: usize,
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
    let excerpt: Cow<'r, [u8]> = match &record.raw {
        Some(raw) => Cow::Owned(raw.to_bytes().map_err(|e| e.to_string())?),
        None => {
            let text = record.text.as_deref().ok_or("a hit record without text")?;
            Cow::Borrowed(unmarked(text, record.cut_before, record.cut_after).as_bytes())
        }
    };
    let column = record.column.ok_or("a hit record without a column")?;
    let hit_start = record
        .hit_at
        .unwrap_or(usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX));
    let hit_len = record.matched.as_deref().map_or(0, str::len);
    if hit_start.saturating_add(hit_len) > excerpt.len() {
        return Err("a hit record whose match is not inside its text".into());
    }
    Ok(HitParts {
        excerpt,
        hit_start,
        hit_len,
        time: hit_time(record)?,
    })
}

/// The replay of one saved input: its batch and what its end needs.
struct Open {
    /// The path its records carry.
    key: Option<Data>,
    info: InputInfo,
    handed: u64,
    unknown: Vec<(String, WireUnknown)>,
    error: Option<String>,
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
        if let Err(e) = player.play_file(file, sink, &mut problems) {
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
    batch: Batch,
    /// The index of the input the batch's hits are of.
    batch_of: Option<usize>,
    /// Inputs begun and not ended (several at once in a `follow`'s output).
    open: Vec<Open>,
    next_index: usize,
    /// The rows of every input, in order.
    rows: Vec<WireInput>,
}

impl<'c> Player<'c> {
    fn new(catalog: &'c Catalog, options: ReplayOptions, wants_hits: bool) -> Player<'c> {
        let patterns = catalog.patterns();
        let numeric = numeric_patterns(&patterns);
        let generic = catalog.codes().iter().map(|c| c.is_generic()).collect();
        Player {
            catalog,
            options,
            patterns: patterns
                .into_iter()
                .enumerate()
                .map(|(i, p)| (p.text, i as PatternId))
                .collect(),
            numeric,
            grouper: wants_hits.then(|| Grouper::new(generic, options.by_request)),
            batch: Batch::new(catalog.codes().len()),
            batch_of: None,
            open: Vec::new(),
            next_index: 0,
            rows: Vec::new(),
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
                    problem(lines.line + 1, format!("cannot read any more: {e}"));
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
                let info = input_info(self.next_index, record.path.as_ref(), file);
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
                cut_before: record.cut_before,
                cut_after: record.cut_after,
                chars_before: match record.chars_before {
                    Some(chars) => chars,
                    None => Some(0),
                },
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
        // As the scan told it: the input's name, then what stopped it.
        let error = row
            .error
            .clone()
            .or(open.error)
            .map(|message| Error::Input {
                path: open.info.name.clone(),
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

    /// Ends an input whose `end` record is missing (told by the survey): what it showed stays
    /// shown; it counts as not read to its end.
    fn end_missing(&mut self, at: usize, sink: &mut dyn Sink) -> io::Result<()> {
        let row = WireInput {
            path: Data::from_bytes(b""),
            complete: false,
            bytes: 0,
            lines: 0,
            hits: 0,
            lines_with_hits: 0,
            by_code: Default::default(),
            error: Some("the saved output ends before this input's end".into()),
        };
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
        for file in &surveyed.files {
            match &file.summary {
                Some(summary) => {
                    total += summary;
                    complete &= file.hit_records == summary.hits;
                }
                None => complete &= file.hit_records == 0,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::Collect;

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
