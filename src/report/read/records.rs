//! The records of a saved JSON-lines file as this version reads them: lines of bounded length,
//! one lenient shape for every record type, and the schema and catalog checks of `begin` and
//! `summary` records.

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Deserializer};

use crate::error::Error;
use crate::input::{OpenFile, OpenOptions};
use crate::limits::{MAX_RECORD_BYTES, PROBLEM_EXCERPT_CHARS};
use crate::summary::wire::{Data, SCHEMA};

/// Lines of a saved file, at most [`MAX_RECORD_BYTES`] each.
pub(super) struct Lines<R> {
    pub(super) reader: R,
    pub(super) buf: Vec<u8>,
    pub(super) line: u64,
}

/// One line: its text and whether it ended with a line break, or what is wrong with it.
pub(super) enum Line<'a> {
    Record { text: &'a str, terminated: bool },
    Bad(String),
}

impl<R: BufRead> Lines<R> {
    pub(super) fn new(reader: R) -> Self {
        Lines {
            reader,
            buf: Vec::new(),
            line: 0,
        }
    }

    /// The next line, with its 1-based number; `None` at the end.
    pub(super) fn next(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
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
pub(super) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A boolean, or `None` for any other value.
pub(super) fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    serde_json::Value::deserialize(d).map(|v| v.as_bool())
}

/// The types of record this version reads; others (a later version's) are skipped.
pub(super) const KNOWN_TYPES: [&str; 8] = [
    "begin", "hit", "notice", "error", "unknown", "end", "request", "summary",
];

/// A hit's meanings, as a hit record carries them.
#[derive(Deserialize, Default)]
pub(super) struct Meaning<'a> {
    #[serde(borrow, default)]
    pub(super) zh: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(super) en: Cow<'a, str>,
}

/// Every record, read as one shape: the fields of the types this reads, all optional. Strings
/// borrow from the line when they need no unescaping.
#[derive(Deserialize)]
pub(super) struct Record<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) kind: Option<Cow<'a, str>>,
    pub(super) schema: Option<u64>,
    #[serde(borrow)]
    pub(super) catalog: Option<Cow<'a, str>>,
    #[serde(rename = "final")]
    pub(super) is_final: Option<bool>,
    pub(super) path: Option<Data>,
    pub(super) file: Option<bool>,
    pub(super) line: Option<u64>,
    pub(super) column: Option<u64>,
    pub(super) byte_offset: Option<u64>,
    #[serde(borrow)]
    pub(super) code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) matched: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) category: Option<Cow<'a, str>>,
    /// A hit's flag (a `summary` record has a list of that name).
    #[serde(default, deserialize_with = "lenient_bool")]
    pub(super) generic: Option<bool>,
    #[serde(borrow)]
    pub(super) meaning: Option<Meaning<'a>>,
    #[serde(borrow)]
    pub(super) text: Option<Cow<'a, str>>,
    pub(super) raw: Option<Data>,
    #[serde(borrow)]
    pub(super) timestamp: Option<Cow<'a, str>>,
    pub(super) time_zone_known: Option<bool>,
    pub(super) time_inherited: Option<bool>,
    #[serde(borrow)]
    pub(super) request_id: Option<Cow<'a, str>>,
    pub(super) event: Option<u64>,
    pub(super) hit_at: Option<usize>,
    #[serde(default, deserialize_with = "present")]
    pub(super) chars_before: Option<Option<u64>>,
    #[serde(default)]
    pub(super) cut_before: bool,
    #[serde(default)]
    pub(super) cut_after: bool,
    pub(super) count: Option<u64>,
    #[serde(borrow)]
    pub(super) message: Option<Cow<'a, str>>,
}

/// A serde_json error without its position in the one-line document (always line 1).
pub(super) fn json_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(cut) => &text[..cut],
        None => &text,
    };
    format!("{text} at column {}", error.column())
}

/// The record on a line, or what is wrong with it.
pub(super) fn parse(text: &str, terminated: bool) -> Result<Option<Record<'_>>, String> {
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
pub(super) struct FileState {
    /// Inside an input whose `begin` named a schema this version does not read.
    pub(super) skipping: bool,
    pub(super) told_newer: bool,
    pub(super) told_catalog: bool,
}

/// What to do with a record, as far as schemas go.
pub(super) enum Verdict {
    Use,
    Skip,
}

impl FileState {
    /// Checks the schema and catalog of `begin` and `summary` records; says whether to use a
    /// record. Problems go to `problems` (once per file for a newer schema or another
    /// catalog).
    pub(super) fn check(
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

/// Opens a saved file as `scan` opens a log, through the same opener and decoder: a file
/// compressed with gzip or zstd (`web-1.jsonl.gz`) is read decompressed, known by its first
/// bytes.
pub(super) fn open(path: &Path) -> io::Result<BufReader<Box<dyn Read + Send>>> {
    let options = OpenOptions {
        decompress: true,
        outputs: Vec::new(),
    };
    let file = OpenFile::open(path, &display(path), &options).map_err(|e| match e {
        Error::Input { source, .. } => source,
        other => io::Error::other(other.to_string()),
    })?;
    let stream = Arc::new(file).stream(true)?;
    Ok(BufReader::with_capacity(256 << 10, stream))
}

/// Why a file whose first line that is not blank is `line` is not cbscan's JSON lines (each
/// line an object with a `"type"`), if it is not: a log given by mistake, another tool's JSON.
pub(super) fn not_json_lines(line: &Line<'_>) -> Option<String> {
    let (text, terminated) = match line {
        Line::Bad(message) => return Some(message.clone()),
        Line::Record { text, terminated } => (*text, *terminated),
    };
    if text.trim_start().starts_with('{') {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(object)) => {
                let typed = object.get("type").is_some_and(serde_json::Value::is_string);
                return (!typed).then(|| "a JSON object without a \"type\"".to_string());
            }
            // Cut short in its first record: told as truncated, as any cut record.
            Err(e) if !terminated && e.is_eof() => return None,
            _ => {}
        }
    }
    let text = text.trim();
    let shown = match text.char_indices().nth(PROBLEM_EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    };
    Some(format!("text: {shown:?}"))
}

/// How a saved file is named in messages.
pub(super) fn display(path: &Path) -> String {
    path.display().to_string()
}
