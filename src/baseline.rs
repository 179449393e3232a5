//! Baselines: the codes an earlier scan found, so that a project that already logs errors can
//! adopt cbscan and fail only on what is new — a code the baseline does not have, or one on
//! more lines than it had (`--baseline FILE`).
//!
//! A baseline is the JSON (`--format json`) or JSON-lines (`--format jsonl`) output of an
//! earlier scan: its summary's lines per code are what counts. Codes are matched by name, so a
//! baseline made with another catalog still works for the codes both know.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::summary::wire::read_jsonl;
use crate::summary::wire::{WireSummary, SCHEMA};

/// Lines with hits per code in an earlier scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// The file it was read from, for messages.
    pub path: PathBuf,
    lines: BTreeMap<String, u64>,
    /// Inputs the earlier scan could not read: their codes are missing from it.
    pub unread: u64,
}

/// What a wrong file gets told: how a baseline is made.
const HOW: &str = "a baseline is the output of `cbscan scan … --format json` (or jsonl)";

/// How a code compares with the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The baseline does not have it.
    New,
    /// It is on more lines than in the baseline (which had `was`).
    Grew {
        /// Lines in the baseline.
        was: u64,
    },
    /// On as many lines as in the baseline, or fewer.
    Known {
        /// Lines in the baseline.
        was: u64,
    },
}

impl Change {
    /// Whether this is something the baseline did not accept (new, or on more lines).
    pub fn is_worse(self) -> bool {
        !matches!(self, Change::Known { .. })
    }

    /// A short stable word for machine-readable output: `new`, `grew` or `known`.
    pub fn word(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Grew { .. } => "grew",
            Change::Known { .. } => "known",
        }
    }
}

/// The one-document JSON output: only the schema and the summary are read; hits and the other
/// fields are skipped as they stream by (serde ignores fields a struct does not name).
#[derive(Deserialize)]
struct JsonDocument {
    schema: Option<u64>,
    /// Read as a value first, so that a newer schema is reported as such, not as a field
    /// this version misses.
    summary: Option<serde_json::Value>,
}

/// What the first record of JSON lines looks like: it has a `type`.
#[derive(Deserialize)]
struct FirstRecord {
    #[serde(rename = "type")]
    kind: Option<IgnoredAny>,
}

impl Baseline {
    /// Reads a baseline file: JSON lines when its first line is a record with a `type`, else
    /// one JSON document.
    pub fn read(path: &Path) -> Result<Baseline> {
        let fail = |message: String| Error::Baseline {
            path: path.to_path_buf(),
            message,
        };
        let file = File::open(path).map_err(|e| fail(format!("cannot open it: {e}")))?;
        let mut reader = BufReader::new(file);
        let mut first = Vec::new();
        reader
            .read_until(b'\n', &mut first)
            .map_err(|e| fail(format!("cannot read it: {e}")))?;
        let lines_format =
            serde_json::from_slice::<FirstRecord>(&first).is_ok_and(|record| record.kind.is_some());
        let whole = std::io::Cursor::new(first).chain(reader);
        let summary = if lines_format {
            let wire =
                read_jsonl(BufReader::new(whole)).map_err(|e| fail(format!("{e}; {HOW}")))?;
            // Without a summary record (`--no-summary`), the per-input rows add up to it.
            if wire.by_code.is_empty() {
                let mut lines = BTreeMap::new();
                for input in &wire.inputs {
                    for (code, counts) in &input.by_code {
                        *lines.entry(code.clone()).or_insert(0) += counts.lines;
                    }
                }
                return Ok(Baseline {
                    path: path.to_path_buf(),
                    lines,
                    unread: wire.inputs.iter().filter(|i| i.error.is_some()).count() as u64,
                });
            }
            wire
        } else {
            let document: JsonDocument =
                serde_json::from_reader(BufReader::new(whole)).map_err(|e| {
                    fail(format!(
                        "line {}: not the JSON or JSON-lines output of cbscan ({e}); {HOW}",
                        e.line()
                    ))
                })?;
            match document.schema {
                Some(schema) if schema == u64::from(SCHEMA) => {}
                Some(other) => {
                    return Err(fail(format!(
                        "schema {other}; this cbscan reads schema {SCHEMA}"
                    )))
                }
                None => {
                    return Err(fail(format!(
                        "no schema: not the JSON output of cbscan; {HOW}"
                    )))
                }
            }
            let summary = document.summary.ok_or_else(|| {
                fail("it has no summary (written with --no-summary?); a baseline needs one".into())
            })?;
            serde_json::from_value(summary)
                .map_err(|e| fail(format!("its summary is not cbscan's ({e}); {HOW}")))?
        };
        Ok(Baseline::from_wire(path, &summary))
    }

    /// The baseline a summary makes.
    pub fn from_wire(path: &Path, summary: &WireSummary) -> Baseline {
        Baseline {
            path: path.to_path_buf(),
            lines: summary
                .by_code
                .iter()
                .map(|(code, counts)| (code.clone(), counts.lines))
                .collect(),
            unread: summary.errors,
        }
    }

    /// How `code`, now on `lines` lines, compares with the baseline.
    pub fn change(&self, code: &str, lines: u64) -> Change {
        match self.lines.get(code) {
            None => Change::New,
            Some(&was) if lines > was => Change::Grew { was },
            Some(&was) => Change::Known { was },
        }
    }
}
