//! The serialised summary: what JSON lines `summary` and `end` records and the JSON report
//! carry, and what `cbscan report` reads back. Codes are keyed by name, with their category
//! and generic flag, so that summaries made with different catalogs (a host with a custom
//! catalog, an older cbscan) still merge: [`WireSummary`] adds up by itself, without a
//! catalog. Paths are lossless: `{"text":…}` when valid UTF-8, `{"bytes":base64}` otherwise,
//! as ripgrep's JSON output does.

use std::collections::{BTreeMap, HashMap};
use std::ops::AddAssign;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

pub use super::read::read_jsonl;
pub use super::timeline::WireTimeline;
use super::{CodeCounts, Counts, InputSummary, Mark, Seen, Summary, Timeline};
use crate::catalog::Catalog;
use crate::diagnosis::{GenericGroups, Hidden};
use crate::error::{Error, Result};
use crate::fields::TimeValue;
use crate::unknown::{FirstSeen, UnknownCode, UnknownCodes};

/// Version of the JSON-lines records and of the serialised summary. Bumped when a field
/// changes meaning or disappears; new fields may appear without a bump.
pub const SCHEMA: u32 = 2;

/// Text that may not be UTF-8: `{"text":…}` when it is, `{"bytes":…}` (standard base64)
/// when it is not.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Data {
    /// Valid UTF-8.
    Text {
        /// The text.
        text: String,
    },
    /// Anything else.
    Bytes {
        /// The bytes, base64-encoded.
        bytes: String,
    },
}

impl Data {
    /// `bytes` as text when they are valid UTF-8, else as base64.
    pub fn from_bytes(bytes: &[u8]) -> Data {
        match std::str::from_utf8(bytes) {
            Ok(text) => Data::Text {
                text: text.to_string(),
            },
            Err(_) => Data::Bytes {
                bytes: base64::engine::general_purpose::STANDARD.encode(bytes),
            },
        }
    }

    /// The bytes back (an invalid base64 string is an error).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        match self {
            Data::Text { text } => Ok(text.as_bytes().to_vec()),
            Data::Bytes { bytes } => base64::engine::general_purpose::STANDARD
                .decode(bytes)
                .map_err(|e| Error::Usage(format!("invalid base64 {bytes:?}: {e}"))),
        }
    }

    /// The text, lossily for bytes that are not UTF-8.
    pub fn to_lossy(&self) -> String {
        match self.to_bytes() {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(_) => String::new(),
        }
    }
}

/// One code's counts, with what identifies the code across catalogs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireCode {
    /// The code's category id.
    pub category: String,
    /// Whether the code is generic.
    pub generic: bool,
    /// Occurrences.
    pub hits: u64,
    /// Lines holding the code.
    pub lines: u64,
}

/// One input's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireInput {
    /// The input's path (or name: `<stdin>`).
    pub path: Data,
    /// Whether it was read to its end.
    pub complete: bool,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Hits.
    pub hits: u64,
    /// Lines with at least one hit.
    pub lines_with_hits: u64,
    /// Counts per code seen.
    #[serde(default)]
    pub by_code: BTreeMap<String, WireCode>,
    /// Why it could not be read to its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// For one generic code, the groups (requests, events) it was seen in and what they held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireGeneric {
    /// Groups holding the generic code.
    pub groups: u64,
    /// Of those, groups with nothing more specific.
    pub alone: u64,
    /// Per specific code, the groups holding both.
    #[serde(default)]
    pub with: BTreeMap<String, u64>,
}

/// What the generic codes were hiding, by code name (absent when hits were not grouped: the
/// per-line `together` is then all there is).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireHidden {
    /// Request groups closed.
    pub request_groups: u64,
    /// Line or multi-line event groups closed.
    pub event_groups: u64,
    /// Request groups closed before the end of the scan to make room.
    pub closed_early: u64,
    /// Per generic code.
    #[serde(default)]
    pub by_generic: BTreeMap<String, WireGeneric>,
}

impl WireHidden {
    /// Whether nothing was grouped.
    pub fn is_empty(&self) -> bool {
        self.request_groups == 0 && self.event_groups == 0 && self.by_generic.is_empty()
    }

    /// The serialised form of `hidden`.
    pub fn from_hidden(catalog: &Catalog, hidden: &Hidden) -> WireHidden {
        let name = |code: usize| catalog.code(code).code.clone();
        WireHidden {
            request_groups: hidden.request_groups,
            event_groups: hidden.event_groups,
            closed_early: hidden.closed_early,
            by_generic: hidden
                .by_generic
                .iter()
                .map(|(&generic, groups)| {
                    let wire = WireGeneric {
                        groups: groups.groups,
                        alone: groups.alone,
                        with: groups
                            .with
                            .iter()
                            .map(|(&specific, &n)| (name(specific), n))
                            .collect(),
                    };
                    (name(generic), wire)
                })
                .collect(),
        }
    }

    fn to_hidden(&self, catalog: &Catalog) -> Result<Hidden> {
        let mut by_generic = BTreeMap::new();
        for (generic, wire) in &self.by_generic {
            let mut with = BTreeMap::new();
            for (specific, &n) in &wire.with {
                with.insert(known(catalog, specific)?, n);
            }
            let groups = GenericGroups {
                groups: wire.groups,
                alone: wire.alone,
                with,
            };
            by_generic.insert(known(catalog, generic)?, groups);
        }
        Ok(Hidden {
            by_generic,
            request_groups: self.request_groups,
            event_groups: self.event_groups,
            closed_early: self.closed_early,
        })
    }
}

impl AddAssign<&WireHidden> for WireHidden {
    fn add_assign(&mut self, other: &WireHidden) {
        self.request_groups += other.request_groups;
        self.event_groups += other.event_groups;
        self.closed_early += other.closed_early;
        for (generic, wire) in &other.by_generic {
            let into = self.by_generic.entry(generic.clone()).or_default();
            into.groups += wire.groups;
            into.alone += wire.alone;
            for (specific, n) in &wire.with {
                *into.with.entry(specific.clone()).or_default() += n;
            }
        }
    }
}

/// A [`Summary`] keyed by code name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSummary {
    /// [`SCHEMA`] of the writer.
    pub schema: u32,
    /// Inputs read to the end.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Hits.
    pub hits: u64,
    /// Lines with at least one hit.
    pub lines_with_hits: u64,
    /// Inputs that could not be read.
    pub errors: u64,
    /// Counts per code seen.
    #[serde(default)]
    pub by_code: BTreeMap<String, WireCode>,
    /// Per generic code, the specific codes seen on the same lines and on how many lines.
    #[serde(default)]
    pub together: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per generic code, the specific codes seen in the same request or multi-line event
    /// (absent when hits were not grouped).
    #[serde(default, skip_serializing_if = "WireHidden::is_empty")]
    pub hidden: WireHidden,
    /// Per input (omitted where each input has its own record, as in JSON lines).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<WireInput>,
    /// Per code, first and last seen (of hits with a time; absent in older output).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub seen: BTreeMap<String, WireSeen>,
    /// Codes not in the catalog seen in code positions, by name (at most
    /// [`crate::limits::MAX_UNKNOWN_CODES`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown: BTreeMap<String, WireUnknown>,
    /// Occurrences of codes not in the catalog past that cap.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unknown_overflow: u64,
    /// Hits with a time per category id and time bucket (absent in older output and when no
    /// hit had a time).
    #[serde(default, skip_serializing_if = "WireTimeline::is_empty")]
    pub timeline: WireTimeline,
}

/// Where and when: a hit's time as written in hit records, its input and line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireMark {
    /// RFC 3339 in UTC when the zone is known, else the log's wall clock without offset.
    pub timestamp: String,
    /// Whether the zone is known.
    pub time_zone_known: bool,
    /// The input.
    pub path: Data,
    /// The 1-based line.
    pub line: u64,
}

/// First and last seen of one code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSeen {
    /// The earliest hit.
    pub first: WireMark,
    /// The latest hit.
    pub last: WireMark,
}

impl WireMark {
    fn from_mark(mark: &Mark) -> WireMark {
        WireMark {
            timestamp: mark.time.to_string(),
            time_zone_known: mark.time.is_zoned(),
            path: Data::from_bytes(mark.input.as_bytes()),
            line: mark.line,
        }
    }

    fn time(&self) -> Result<TimeValue> {
        let bad = |e: jiff::Error| Error::Usage(format!("timestamp {:?}: {e}", self.timestamp));
        Ok(if self.time_zone_known {
            TimeValue::Zoned(self.timestamp.parse().map_err(bad)?)
        } else {
            TimeValue::Local(self.timestamp.parse().map_err(bad)?)
        })
    }

    fn to_mark(&self) -> Result<Mark> {
        Ok(Mark {
            time: self.time()?,
            input: self.path.to_lossy(),
            line: self.line,
        })
    }

    /// The same order as [`Mark`]'s; an unreadable time sorts first (it was not written by
    /// cbscan).
    fn order_key(&self) -> ((i64, i32), String, u64) {
        let time = self.time().map_or((i64::MIN, 0), |t| t.sort_key());
        (time, self.path.to_lossy(), self.line)
    }
}

impl AddAssign<&WireSeen> for WireSeen {
    fn add_assign(&mut self, other: &WireSeen) {
        if other.first.order_key() < self.first.order_key() {
            self.first = other.first.clone();
        }
        if other.last.order_key() > self.last.order_key() {
            self.last = other.last.clone();
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A code not in the catalog: how often, and where it was first seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireUnknown {
    /// Occurrences.
    pub count: u64,
    /// The input of the first occurrence (as paths are everywhere in the output).
    pub path: Data,
    /// Its 1-based line.
    pub line: u64,
    /// Its 1-based byte column.
    pub column: u64,
    /// The line around it.
    pub text: String,
}

/// The wire form of codes not in the catalog.
fn wire_unknown(unknown: &UnknownCodes) -> BTreeMap<String, WireUnknown> {
    unknown
        .codes()
        .iter()
        .map(|(code, u)| {
            let first = u.first.clone();
            (
                code.clone(),
                WireUnknown {
                    count: u.count,
                    path: Data::from_bytes(first.path.as_bytes()),
                    line: first.line,
                    column: first.column,
                    text: first.text,
                },
            )
        })
        .collect()
}

/// Codes not in the catalog back from the wire.
fn unknown_from_wire(codes: &BTreeMap<String, WireUnknown>, overflow: u64) -> UnknownCodes {
    UnknownCodes::from_parts(
        codes.iter().map(|(code, w)| {
            (
                code.clone(),
                UnknownCode {
                    count: w.count,
                    first: FirstSeen {
                        path: w.path.to_lossy(),
                        line: w.line,
                        column: w.column,
                        text: w.text.clone(),
                    },
                },
            )
        }),
        overflow,
    )
}

fn wire_code(catalog: &Catalog, code: usize, counts: CodeCounts) -> (String, WireCode) {
    let entry = catalog.code(code);
    (
        entry.code.clone(),
        WireCode {
            category: catalog.category(entry.category).id.clone(),
            generic: entry.is_generic(),
            hits: counts.hits,
            lines: counts.lines,
        },
    )
}

impl WireInput {
    /// The serialised row of `input`.
    pub fn from_input(catalog: &Catalog, input: &InputSummary) -> WireInput {
        WireInput {
            path: Data::from_bytes(input.key()),
            complete: input.complete,
            bytes: input.bytes,
            lines: input.lines,
            hits: input.hits,
            lines_with_hits: input.lines_with_hits,
            by_code: input
                .by_code
                .iter()
                .map(|&(code, counts)| wire_code(catalog, code, counts))
                .collect(),
            error: input.error.clone(),
        }
    }

    fn into_input(self, catalog: &Catalog) -> Result<InputSummary> {
        let path = self.path.to_bytes()?;
        let name = String::from_utf8_lossy(&path).into_owned();
        let path_bytes = (name.as_bytes() != path.as_slice()).then_some(path);
        let mut by_code = Vec::with_capacity(self.by_code.len());
        for (code, counts) in &self.by_code {
            let id = known(catalog, code)?;
            by_code.push((
                id,
                CodeCounts {
                    hits: counts.hits,
                    lines: counts.lines,
                },
            ));
        }
        by_code.sort_by_key(|(code, _)| *code);
        Ok(InputSummary {
            name,
            path_bytes,
            complete: self.complete,
            bytes: self.bytes,
            lines: self.lines,
            hits: self.hits,
            lines_with_hits: self.lines_with_hits,
            by_code,
            error: self.error,
        })
    }
}

fn known(catalog: &Catalog, code: &str) -> Result<usize> {
    catalog
        .code_index(code)
        .ok_or_else(|| Error::Usage(format!("the summary names {code}, which the catalog lacks")))
}

impl Summary {
    /// The serialised form, with the per-input rows when `with_inputs`.
    pub fn to_wire(&self, catalog: &Catalog, with_inputs: bool) -> WireSummary {
        let total = self.total();
        let mut together: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for ((generic, specific), lines) in total.pairs() {
            together
                .entry(catalog.code(generic).code.clone())
                .or_default()
                .insert(catalog.code(specific).code.clone(), lines);
        }
        WireSummary {
            schema: SCHEMA,
            files: total.files(),
            bytes: total.bytes(),
            lines: total.lines(),
            hits: total.hits(),
            lines_with_hits: total.lines_with_hits(),
            errors: total.errors(),
            by_code: total
                .codes_by_count()
                .into_iter()
                .map(|(code, counts)| wire_code(catalog, code, counts))
                .collect(),
            together,
            seen: total
                .seen_by_code()
                .map(|(code, seen)| {
                    (
                        catalog.code(code).code.clone(),
                        WireSeen {
                            first: WireMark::from_mark(&seen.first),
                            last: WireMark::from_mark(&seen.last),
                        },
                    )
                })
                .collect(),
            hidden: WireHidden::from_hidden(catalog, self.hidden()),
            unknown: wire_unknown(total.unknown()),
            unknown_overflow: total.unknown().overflow(),
            timeline: total.timeline().to_wire(catalog),
            inputs: if with_inputs {
                self.inputs()
                    .iter()
                    .map(|input| WireInput::from_input(catalog, input))
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    /// A summary back from its serialised form, over `catalog` (which must know every code it
    /// names; merge [`WireSummary`] values to combine summaries of different catalogs).
    pub fn from_wire(wire: WireSummary, catalog: &Catalog) -> Result<Summary> {
        let mut total = Counts::new(catalog.codes().len());
        total.files = wire.files;
        total.bytes = wire.bytes;
        total.lines = wire.lines;
        total.hits = wire.hits;
        total.lines_with_hits = wire.lines_with_hits;
        total.errors = wire.errors;
        for (code, counts) in &wire.by_code {
            let id = known(catalog, code)?;
            total.by_code[id] = CodeCounts {
                hits: counts.hits,
                lines: counts.lines,
            };
        }
        for (generic, specifics) in &wire.together {
            let g = known(catalog, generic)?;
            for (specific, &lines) in specifics {
                total.together.insert((g, known(catalog, specific)?), lines);
            }
        }
        for (code, seen) in &wire.seen {
            let id = known(catalog, code)?;
            total.seen.insert(
                id,
                Seen {
                    first: seen.first.to_mark()?,
                    last: seen.last.to_mark()?,
                },
            );
        }
        total.unknown = unknown_from_wire(&wire.unknown, wire.unknown_overflow);
        total.timeline = Timeline::from_wire(&wire.timeline, catalog)?;
        let mut summary = Summary::new(0);
        summary.total = total;
        summary.hidden = wire.hidden.to_hidden(catalog)?;
        for input in wire.inputs {
            summary.inputs.push(input.into_input(catalog)?);
        }
        Ok(summary)
    }
}

impl AddAssign<&WireCode> for WireCode {
    fn add_assign(&mut self, other: &WireCode) {
        self.hits += other.hits;
        self.lines += other.lines;
    }
}

fn add_codes(into: &mut BTreeMap<String, WireCode>, from: &BTreeMap<String, WireCode>) {
    for (code, counts) in from {
        match into.get_mut(code) {
            Some(total) => *total += counts,
            None => {
                into.insert(code.clone(), counts.clone());
            }
        }
    }
}

impl AddAssign<&WireSummary> for WireSummary {
    /// Adds `other`: counts by code name, rows of the same path joined.
    fn add_assign(&mut self, other: &WireSummary) {
        self.schema = self.schema.max(other.schema);
        self.files += other.files;
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.hits += other.hits;
        self.lines_with_hits += other.lines_with_hits;
        self.errors += other.errors;
        add_codes(&mut self.by_code, &other.by_code);
        self.hidden += &other.hidden;
        let mut unknown = unknown_from_wire(&self.unknown, self.unknown_overflow);
        unknown += &unknown_from_wire(&other.unknown, other.unknown_overflow);
        self.unknown = wire_unknown(&unknown);
        self.unknown_overflow = unknown.overflow();
        for (generic, specifics) in &other.together {
            let into = self.together.entry(generic.clone()).or_default();
            for (specific, lines) in specifics {
                *into.entry(specific.clone()).or_default() += lines;
            }
        }
        for (code, seen) in &other.seen {
            match self.seen.get_mut(code) {
                Some(into) => *into += seen,
                None => {
                    self.seen.insert(code.clone(), seen.clone());
                }
            }
        }
        self.timeline += &other.timeline;
        if other.inputs.is_empty() {
            return;
        }
        // An index, not a search per row: summaries of scans over many thousands of files
        // are merged (and read back) as often as small ones.
        let mut index: HashMap<Data, usize> = HashMap::with_capacity(self.inputs.len());
        for (i, row) in self.inputs.iter().enumerate() {
            index.entry(row.path.clone()).or_insert(i);
        }
        for row in &other.inputs {
            match index.get(&row.path) {
                Some(&i) => {
                    let into = &mut self.inputs[i];
                    into.complete |= row.complete;
                    into.bytes += row.bytes;
                    into.lines += row.lines;
                    into.hits += row.hits;
                    into.lines_with_hits += row.lines_with_hits;
                    add_codes(&mut into.by_code, &row.by_code);
                    if into.error.is_none() {
                        into.error.clone_from(&row.error);
                    }
                }
                None => {
                    index.insert(row.path.clone(), self.inputs.len());
                    self.inputs.push(row.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary of one input in which `codes` (name, line) were seen as codes not in the
    /// catalog.
    fn with_unknown(path: &str, codes: &[(&str, u64)]) -> Summary {
        let mut counts = Counts::new(0);
        for &(code, line) in codes {
            counts.unknown.add(code, || FirstSeen {
                path: String::new(),
                line,
                column: 3,
                text: format!("x {code}"),
            });
        }
        let mut summary = Summary::new(0);
        let row = InputSummary::from_counts(path.into(), None, &counts);
        summary.add_input(&counts, row);
        summary
    }

    #[test]
    fn codes_not_in_the_catalog_round_trip_and_merge_on_the_wire() {
        let catalog = Catalog::empty();
        let a = with_unknown("b.log", &[("NEW_CODE", 7), ("NEW_CODE", 9), ("-502099", 2)]);
        let b = with_unknown("a.log", &[("NEW_CODE", 40)]);
        let wire = a.to_wire(&catalog, true);
        let json = serde_json::to_string(&wire).unwrap();
        let back: WireSummary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, wire);
        assert_eq!(Summary::from_wire(back, &catalog).unwrap(), a);
        assert_eq!(wire.unknown["NEW_CODE"].count, 2);
        assert_eq!(wire.unknown["NEW_CODE"].line, 7, "the first of b.log");
        assert_eq!(wire.unknown["NEW_CODE"].path, Data::from_bytes(b"b.log"));

        // Counts add; the first occurrence is the earliest by path, then line: whichever side.
        let mut ab = a.to_wire(&catalog, true);
        ab += &b.to_wire(&catalog, true);
        let mut ba = b.to_wire(&catalog, true);
        ba += &a.to_wire(&catalog, true);
        assert_eq!(ab.unknown, ba.unknown);
        assert_eq!(ab.unknown["NEW_CODE"].count, 3);
        assert_eq!(ab.unknown["NEW_CODE"].path, Data::from_bytes(b"a.log"));
        assert_eq!(ab.unknown["NEW_CODE"].line, 40);
        assert_eq!(ab.unknown["-502099"].count, 1);
        let mut whole = a.clone();
        whole += &b;
        assert_eq!(whole.to_wire(&catalog, false).unknown, ab.unknown);
    }

    #[test]
    fn data_is_text_when_it_can_be() {
        assert_eq!(
            serde_json::to_string(&Data::from_bytes(b"a.log")).unwrap(),
            r#"{"text":"a.log"}"#
        );
        let raw = Data::from_bytes(b"bad\xffname");
        assert_eq!(
            serde_json::to_string(&raw).unwrap(),
            r#"{"bytes":"YmFk/25hbWU="}"#
        );
        assert_eq!(raw.to_bytes().unwrap(), b"bad\xffname");
        let back: Data = serde_json::from_str(r#"{"bytes":"YmFk/25hbWU="}"#).unwrap();
        assert_eq!(back, raw);
    }

    #[test]
    fn a_summary_survives_the_round_trip() {
        let catalog = Catalog::builtin().unwrap();
        let timeout = catalog.lookup("DATABASE_TIMEOUT").unwrap();
        let generic = catalog.lookup("FUNCTIONS_EXECUTE_FAIL").unwrap();
        let mut counts = Counts::new(catalog.codes().len());
        counts.add_hit(timeout);
        counts.add_hit(timeout);
        counts.add_code_line(timeout);
        counts.add_hit(generic);
        counts.add_code_line(generic);
        counts.add_line_with_hits();
        counts.add_together(generic, timeout);
        counts.add_read(100, 3);
        counts.add_file();
        // A zoned and a local time, with fractions, through their written forms.
        let zoned = TimeValue::Zoned("2024-05-16T00:15:02.361Z".parse().unwrap());
        let local = TimeValue::Local("2024-05-16T08:15:02.5".parse().unwrap());
        counts.add_seen(timeout, zoned, "a\u{fffd}.log", 2);
        counts.add_seen(timeout, local, "a\u{fffd}.log", 3);
        counts.add_seen(generic, zoned, "a\u{fffd}.log", 2);
        let (database, functions) = (
            catalog.code(timeout).category,
            catalog.code(generic).category,
        );
        let second = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_second();
        counts.add_timed(database, second("2024-05-16T00:15:02Z"), 361_000_000, true);
        counts.add_timed(database, second("2024-05-16T08:15:02Z"), 0, false);
        counts.add_timed(functions, second("2024-05-16T00:15:02Z"), 0, true);
        let mut summary = Summary::new(catalog.codes().len());
        let row =
            InputSummary::from_counts("a\u{fffd}.log".into(), Some(b"a\xff.log".to_vec()), &counts);
        summary.add_input(&counts, row);
        let mut hidden = Hidden {
            request_groups: 3,
            event_groups: 1,
            closed_early: 1,
            ..Hidden::default()
        };
        hidden.by_generic.insert(
            generic,
            GenericGroups {
                groups: 4,
                alone: 1,
                with: [(timeout, 3)].into_iter().collect(),
            },
        );
        summary.add_diagnosis(&hidden, Default::default());
        let wire = summary.to_wire(&catalog, true);
        let json = serde_json::to_string(&wire).unwrap();
        let back: WireSummary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, wire);
        assert_eq!(Summary::from_wire(back, &catalog).unwrap(), summary);
        assert_eq!(
            wire.together["FUNCTIONS_EXECUTE_FAIL"]["DATABASE_TIMEOUT"],
            1
        );
        assert_eq!(wire.by_code["DATABASE_TIMEOUT"].lines, 1);
        let groups = &wire.hidden.by_generic["FUNCTIONS_EXECUTE_FAIL"];
        assert_eq!((groups.groups, groups.alone), (4, 1));
        assert_eq!(groups.with["DATABASE_TIMEOUT"], 3);
        assert_eq!(wire.hidden.closed_early, 1);
        // Serialised parts add up as the summaries do.
        let mut twice = wire.clone();
        twice += &wire;
        let mut both = summary.clone();
        both += &summary;
        assert_eq!(twice, both.to_wire(&catalog, true));
        // 8 hours apart: 30-second buckets (961 fit the cap of 1,500; 15-second ones, 1,921,
        // would not).
        let timeline = serde_json::to_value(&wire.timeline).unwrap();
        assert_eq!(
            timeline,
            serde_json::json!({
                "width_seconds": 30,
                "local": true,
                "buckets": [
                    {"start": "2024-05-16T00:15:00Z", "hits": {"database": 1, "functions": 1}},
                    {"start": "2024-05-16T08:15:00Z", "hits": {"database": 1}},
                ]
            })
        );
        let seen = &wire.seen["DATABASE_TIMEOUT"];
        assert_eq!(seen.first.timestamp, "2024-05-16T00:15:02.361Z");
        assert_eq!(
            (
                seen.last.timestamp.as_str(),
                seen.last.time_zone_known,
                seen.last.line
            ),
            ("2024-05-16T08:15:02.500", false, 3)
        );
    }

    #[test]
    fn older_output_without_a_timeline_reads_and_bad_timelines_are_errors() {
        let old =
            r#"{"schema":2,"files":1,"bytes":3,"lines":1,"hits":0,"lines_with_hits":0,"errors":0}"#;
        let wire: WireSummary = serde_json::from_str(old).unwrap();
        assert!(wire.timeline.is_empty());
        assert!(!serde_json::to_string(&wire).unwrap().contains("timeline"));
        let with = |timeline: &str| {
            let text = format!(
                r#"{{"schema":2,"files":1,"bytes":3,"lines":1,"hits":0,"lines_with_hits":0,"errors":0,"timeline":{timeline}}}"#
            );
            serde_json::from_str::<WireSummary>(&text).map_err(|e| e.to_string())
        };
        let bucket = r#"[{"start":"2024-05-16T00:15:00Z","hits":{"database":2}}]"#;
        let good = with(&format!(r#"{{"width_seconds":60,"buckets":{bucket}}}"#)).unwrap();
        assert_eq!(good.timeline.width_seconds(), 60);
        assert!(!good.timeline.local(), "local defaults to false");
        let err = with(&format!(r#"{{"width_seconds":61,"buckets":{bucket}}}"#)).unwrap_err();
        assert!(err.contains("width_seconds 61"), "{err}");
        let err = with(
            r#"{"width_seconds":3600,"buckets":[{"start":"2024-05-16T00:15:00Z","hits":{}}]}"#,
        )
        .unwrap_err();
        assert!(
            err.contains("not on the grid of 3600-second buckets"),
            "{err}"
        );
        let err = with(r#"{"width_seconds":60,"buckets":[{"start":"yesterday","hits":{}}]}"#)
            .unwrap_err();
        assert!(err.contains("\"yesterday\""), "{err}");
        // A category this catalog lacks: an error when read over it.
        let odd = with(r#"{"width_seconds":60,"buckets":[{"start":"2024-05-16T00:15:00Z","hits":{"weather":1}}]}"#)
            .unwrap();
        let err = Summary::from_wire(odd, &Catalog::builtin().unwrap()).unwrap_err();
        assert!(err.to_string().contains("\"weather\""), "{err}");
    }

    #[test]
    fn wire_first_and_last_seen_merge_as_the_summaries_do() {
        let catalog = Catalog::builtin().unwrap();
        let code = catalog.lookup("DATABASE_TIMEOUT").unwrap();
        let at = |s: &str| TimeValue::Zoned(s.parse().unwrap());
        let mut a = Counts::new(catalog.codes().len());
        a.add_seen(code, at("2024-05-16T08:00:00Z"), "a.log", 1);
        let mut b = Counts::new(catalog.codes().len());
        b.add_seen(code, at("2024-05-16T07:00:00Z"), "b.log", 4);
        b.add_seen(code, at("2024-05-16T09:30:00.25Z"), "b.log", 8);
        let summary = |c: &Counts| {
            let mut s = Summary::new(catalog.codes().len());
            s.add_counts(c);
            s
        };
        let mut whole = summary(&a);
        whole += summary(&b);
        let mut wire = summary(&a).to_wire(&catalog, false);
        wire += &summary(&b).to_wire(&catalog, false);
        assert_eq!(wire, whole.to_wire(&catalog, false));
        assert_eq!(wire.seen["DATABASE_TIMEOUT"].first.line, 4);
        assert_eq!(
            wire.seen["DATABASE_TIMEOUT"].last.timestamp,
            "2024-05-16T09:30:00.250Z"
        );
    }
}
