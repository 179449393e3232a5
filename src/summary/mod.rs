//! Counts over a scan: inputs, bytes, lines, hits and lines with hits per code, which generic
//! codes shared lines with which specific ones, and the same per input.
//!
//! Both [`Counts`] and [`Summary`] are commutative monoids under `+=`: summaries of parts of a
//! scan (chunks, files, hosts) add up to the summary of the whole, whatever order the parts
//! finish in. Top-k lists are derived when shown, never stored. [`wire`] is the serialised
//! form, keyed by code name so that summaries made with different catalogs still merge;
//! [`wire::read_jsonl`] reads it back from JSON lines. [`Timeline`] counts hits per category
//! on a grid of time that merges exactly too.

mod read;
mod timeline;
pub mod wire;

pub use timeline::{Timeline, LADDER};

use std::collections::{BTreeMap, HashMap};
use std::ops::AddAssign;

use crate::catalog::{Catalog, CategoryId, CodeId};
use crate::fields::TimeValue;

/// Where and when a code was seen: a hit's time, input and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The hit's time (its own or inherited).
    pub time: TimeValue,
    /// The input's name.
    pub input: String,
    /// Its 1-based line.
    pub line: u64,
}

impl Mark {
    /// The order first and last seen follow: time (a time local to the log compares as if it
    /// were UTC: its zone is unknown), then input name, then line, so that min and max are
    /// the same whatever order parts merge in.
    fn order_key(&self) -> ((i64, i32), &str, u64) {
        (self.time.sort_key(), self.input.as_str(), self.line)
    }
}

/// First and last time a code was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The earliest hit.
    pub first: Mark,
    /// The latest hit.
    pub last: Mark,
}

impl Seen {
    /// Takes in `mark` (cloned only if it is a new first or last).
    fn add(&mut self, time: TimeValue, input: &str, line: u64) {
        let key = (time.sort_key(), input, line);
        if key < self.first.order_key() {
            self.first = Mark {
                time,
                input: input.to_string(),
                line,
            };
        }
        if key > self.last.order_key() {
            self.last = Mark {
                time,
                input: input.to_string(),
                line,
            };
        }
    }
}

impl AddAssign<&Seen> for Seen {
    fn add_assign(&mut self, other: &Seen) {
        if other.first.order_key() < self.first.order_key() {
            self.first = other.first.clone();
        }
        if other.last.order_key() > self.last.order_key() {
            self.last = other.last.clone();
        }
    }
}
use crate::diagnosis::{Hidden, Requests};
use crate::unknown::UnknownCodes;

/// Hits of one code and the lines they were on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CodeCounts {
    /// Occurrences of the code.
    pub hits: u64,
    /// Lines holding the code at least once (one mini-program error often prints the same
    /// code as `errCode`, inside `errMsg` and in a docs link: three hits, one line).
    pub lines: u64,
}

impl AddAssign for CodeCounts {
    fn add_assign(&mut self, other: CodeCounts) {
        self.hits += other.hits;
        self.lines += other.lines;
    }
}

/// Counters of a scan or of part of one. Dense per code (indexed by [`CodeId`]), so the
/// scanner's hot path is an array increment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    files: u64,
    bytes: u64,
    lines: u64,
    hits: u64,
    lines_with_hits: u64,
    errors: u64,
    by_code: Vec<CodeCounts>,
    /// Lines on which a generic code (first) and a specific code (second) were both seen.
    together: BTreeMap<(CodeId, CodeId), u64>,
    /// First and last seen per code, of the hits that had a time (sparse; filled where hits
    /// are handed on in order, since workers know neither the input's name nor line bases).
    seen: BTreeMap<CodeId, Seen>,
    /// Hits with a time per category and time bucket (filled where first and last seen are).
    timeline: Timeline,
    /// Code-shaped tokens in code positions that the catalog does not know.
    pub(crate) unknown: UnknownCodes,
}

impl Counts {
    /// Empty counts for a catalog of `codes` codes.
    pub fn new(codes: usize) -> Counts {
        Counts {
            by_code: vec![CodeCounts::default(); codes],
            ..Counts::default()
        }
    }

    /// Inputs read to the end.
    pub fn files(&self) -> u64 {
        self.files
    }
    /// Bytes read (decompressed bytes for compressed inputs).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
    /// Lines read (a last line without `\n` counts).
    pub fn lines(&self) -> u64 {
        self.lines
    }
    /// Hits reported (after filters).
    pub fn hits(&self) -> u64 {
        self.hits
    }
    /// Lines with at least one hit.
    pub fn lines_with_hits(&self) -> u64 {
        self.lines_with_hits
    }
    /// Inputs that could not be read, in whole or in part.
    pub fn errors(&self) -> u64 {
        self.errors
    }
    /// The counts of `code` (zero for a code this summary has no slot for).
    pub fn code(&self, code: CodeId) -> CodeCounts {
        self.by_code.get(code).copied().unwrap_or_default()
    }
    /// The number of code slots (the size of the catalog the counts were made for).
    pub fn code_slots(&self) -> usize {
        self.by_code.len()
    }

    /// Codes that were hit, most frequent first (ties in catalog order).
    pub fn codes_by_count(&self) -> Vec<(CodeId, CodeCounts)> {
        let mut seen: Vec<(CodeId, CodeCounts)> = self
            .by_code
            .iter()
            .enumerate()
            .filter(|(_, counts)| counts.hits > 0)
            .map(|(code, &counts)| (code, counts))
            .collect();
        seen.sort_by(|a, b| b.1.hits.cmp(&a.1.hits).then(a.0.cmp(&b.0)));
        seen
    }

    /// Hits per category, indexed by [`CategoryId`].
    pub fn by_category(&self, catalog: &Catalog) -> Vec<u64> {
        let mut counts = vec![0; catalog.categories().len()];
        for (code, c) in self.by_code.iter().enumerate() {
            if c.hits > 0 {
                counts[catalog.code(code).category] += c.hits;
            }
        }
        counts
    }

    /// Categories that were hit, most frequent first (ties in catalog order).
    pub fn categories_by_count(&self, catalog: &Catalog) -> Vec<(CategoryId, u64)> {
        let mut seen: Vec<(CategoryId, u64)> = self
            .by_category(catalog)
            .into_iter()
            .enumerate()
            .filter(|(_, count)| *count > 0)
            .collect();
        seen.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        seen
    }

    /// Hits of generic codes.
    pub fn generic_hits(&self, catalog: &Catalog) -> u64 {
        self.by_code
            .iter()
            .enumerate()
            .filter(|(code, _)| catalog.code(*code).is_generic())
            .map(|(_, c)| c.hits)
            .sum()
    }

    /// The specific codes seen on the same lines as `generic`, with how many lines each
    /// shared with it, most first (ties in catalog order).
    pub fn together_with(&self, generic: CodeId) -> Vec<(CodeId, u64)> {
        let mut seen: Vec<(CodeId, u64)> = self
            .together
            .range((generic, 0)..=(generic, CodeId::MAX))
            .map(|(&(_, specific), &lines)| (specific, lines))
            .collect();
        seen.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        seen
    }

    /// First and last seen of `code`, if any of its hits had a time.
    pub fn seen(&self, code: CodeId) -> Option<&Seen> {
        self.seen.get(&code)
    }

    /// First and last seen per code.
    pub fn seen_by_code(&self) -> impl Iterator<Item = (CodeId, &Seen)> + '_ {
        self.seen.iter().map(|(&code, seen)| (code, seen))
    }

    /// The time span of every hit with a time: the first of the firsts, the last of the lasts.
    pub fn time_span(&self) -> Option<Seen> {
        let mut span: Option<Seen> = None;
        for seen in self.seen.values() {
            match &mut span {
                Some(total) => *total += seen,
                None => span = Some(seen.clone()),
            }
        }
        span
    }

    /// Hits with a time per category on a grid of time.
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Counts a hit of `category` at a time given as [`TimeValue::sort_key`] into the
    /// timeline (O(1) for hits in time order).
    #[inline]
    pub(crate) fn add_timed(
        &mut self,
        category: CategoryId,
        seconds: i64,
        nanos: i32,
        zoned: bool,
    ) {
        self.timeline.add_hit(category, seconds, nanos, zoned);
    }

    /// Takes in the time of a hit of `code` on `line` of `input`.
    pub fn add_seen(&mut self, code: CodeId, time: TimeValue, input: &str, line: u64) {
        match self.seen.get_mut(&code) {
            Some(seen) => seen.add(time, input, line),
            None => {
                let mark = Mark {
                    time,
                    input: input.to_string(),
                    line,
                };
                self.seen.insert(
                    code,
                    Seen {
                        first: mark.clone(),
                        last: mark,
                    },
                );
            }
        }
    }

    /// Every (generic, specific) pair seen on a line, with its line count.
    pub fn pairs(&self) -> impl Iterator<Item = ((CodeId, CodeId), u64)> + '_ {
        self.together.iter().map(|(&pair, &lines)| (pair, lines))
    }

    /// Counts one hit of `code`.
    #[inline]
    pub(crate) fn add_hit(&mut self, code: CodeId) {
        self.hits += 1;
        self.by_code[code].hits += 1;
    }

    /// Counts a line on which `code` appears (called once per line and code).
    #[inline]
    pub(crate) fn add_code_line(&mut self, code: CodeId) {
        self.by_code[code].lines += 1;
    }

    /// Counts a line with at least one hit.
    #[inline]
    pub(crate) fn add_line_with_hits(&mut self) {
        self.lines_with_hits += 1;
    }

    /// Counts a line holding both `generic` and `specific`.
    pub(crate) fn add_together(&mut self, generic: CodeId, specific: CodeId) {
        *self.together.entry((generic, specific)).or_default() += 1;
    }

    /// Counts what reading an input (or part of one) gave.
    pub(crate) fn add_read(&mut self, bytes: u64, lines: u64) {
        self.bytes += bytes;
        self.lines += lines;
    }

    /// Counts an input read to its end.
    pub(crate) fn add_file(&mut self) {
        self.files += 1;
    }

    /// Counts an input that could not be read.
    pub(crate) fn add_error(&mut self) {
        self.errors += 1;
    }

    /// Whether nothing was counted about hits (no hit, no line with one).
    pub(crate) fn has_no_hits(&self) -> bool {
        self.hits == 0
            && self.lines_with_hits == 0
            && self.together.is_empty()
            && self.unknown.is_empty()
    }

    /// Sets every count back to zero, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        let mut by_code = std::mem::take(&mut self.by_code);
        by_code.fill(CodeCounts::default());
        let mut together = std::mem::take(&mut self.together);
        together.clear();
        let mut timeline = std::mem::take(&mut self.timeline);
        timeline.0.clear();
        *self = Counts {
            by_code,
            together,
            timeline,
            ..Counts::default()
        };
        self.seen.clear();
    }

    /// Bytes these counts hold on the heap (an upper bound for the pair map).
    pub(crate) fn weight(&self) -> usize {
        std::mem::size_of::<Counts>()
            + self.by_code.capacity() * std::mem::size_of::<CodeCounts>()
            + self.together.len() * 64
            + self.unknown.weight()
            + self.timeline.0.weight()
    }

    /// Codes not in the catalog seen in code positions.
    pub fn unknown(&self) -> &UnknownCodes {
        &self.unknown
    }

    /// The codes with hits, sparse, for per-input tables.
    fn sparse(&self) -> Vec<(CodeId, CodeCounts)> {
        self.by_code
            .iter()
            .enumerate()
            .filter(|(_, c)| c.hits > 0 || c.lines > 0)
            .map(|(code, &c)| (code, c))
            .collect()
    }
}

impl AddAssign<&Counts> for Counts {
    fn add_assign(&mut self, other: &Counts) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.hits += other.hits;
        self.lines_with_hits += other.lines_with_hits;
        self.errors += other.errors;
        self.unknown += &other.unknown;
        if self.by_code.len() < other.by_code.len() {
            self.by_code
                .resize(other.by_code.len(), CodeCounts::default());
        }
        for (total, &part) in self.by_code.iter_mut().zip(&other.by_code) {
            *total += part;
        }
        for (&pair, &lines) in &other.together {
            *self.together.entry(pair).or_default() += lines;
        }
        for (&code, seen) in &other.seen {
            match self.seen.get_mut(&code) {
                Some(into) => *into += seen,
                None => {
                    self.seen.insert(code, seen.clone());
                }
            }
        }
        self.timeline += &other.timeline;
    }
}

/// What one input gave: its name, what was read, its hits per code (sparse: only codes seen),
/// and the error that stopped it, if one did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputSummary {
    /// The input's display name.
    pub name: String,
    /// The input's path as the operating system's bytes, when it differs from the name's
    /// bytes (a file name that is not UTF-8).
    pub path_bytes: Option<Vec<u8>>,
    /// Whether the input was read to its end.
    pub complete: bool,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Hits.
    pub hits: u64,
    /// Lines with at least one hit.
    pub lines_with_hits: u64,
    /// Hits and lines per code, only for codes seen, in catalog order.
    pub by_code: Vec<(CodeId, CodeCounts)>,
    /// Why the input could not be read to its end, if it could not.
    pub error: Option<String>,
}

impl InputSummary {
    /// The summary of an input from its counts.
    pub fn from_counts(name: String, path_bytes: Option<Vec<u8>>, counts: &Counts) -> Self {
        InputSummary {
            name,
            path_bytes,
            complete: counts.files > 0,
            bytes: counts.bytes,
            lines: counts.lines,
            hits: counts.hits,
            lines_with_hits: counts.lines_with_hits,
            by_code: counts.sparse(),
            error: None,
        }
    }

    /// Adds another part of the same input (a later run over a rotated log, a split).
    fn absorb(&mut self, other: &InputSummary) {
        self.complete |= other.complete;
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.hits += other.hits;
        self.lines_with_hits += other.lines_with_hits;
        for &(code, counts) in &other.by_code {
            match self.by_code.binary_search_by_key(&code, |(c, _)| *c) {
                Ok(i) => self.by_code[i].1 += counts,
                Err(i) => self.by_code.insert(i, (code, counts)),
            }
        }
        if self.error.is_none() {
            self.error.clone_from(&other.error);
        }
    }

    /// The identity merges key on: the path bytes when known, else the name.
    fn key(&self) -> &[u8] {
        self.path_bytes.as_deref().unwrap_or(self.name.as_bytes())
    }
}

/// What a scan found: the totals, and what each input gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    total: Counts,
    inputs: Vec<InputSummary>,
    /// What the generic codes were hiding, per request or event (empty when no hits were
    /// kept: the per-line pairing in the counts is then all there is).
    hidden: Hidden,
    /// The most affected requests (`--by-request`; not part of the serialised summary: JSON
    /// lines carry them as `request` records).
    requests: Requests,
}

impl std::ops::Deref for Summary {
    type Target = Counts;
    fn deref(&self) -> &Counts {
        &self.total
    }
}

impl Summary {
    /// An empty summary for a catalog of `codes` codes.
    pub fn new(codes: usize) -> Summary {
        Summary {
            total: Counts::new(codes),
            inputs: Vec::new(),
            hidden: Hidden::default(),
            requests: Requests::default(),
        }
    }

    /// The totals.
    pub fn total(&self) -> &Counts {
        &self.total
    }

    /// What each input gave, in the order the inputs were scanned.
    pub fn inputs(&self) -> &[InputSummary] {
        &self.inputs
    }

    /// What the generic codes were hiding, per request or event (empty when hits were not
    /// grouped).
    pub fn hidden(&self) -> &Hidden {
        &self.hidden
    }

    /// The most affected requests, when `--by-request` listed them.
    pub fn requests(&self) -> &Requests {
        &self.requests
    }

    /// Adds what grouping the hits gave.
    pub fn add_diagnosis(&mut self, hidden: &Hidden, requests: Requests) {
        self.hidden += hidden;
        self.requests += requests;
    }

    /// Adds the counts of one finished input (its totals and a row of its own, even when an
    /// input of the same name was scanned before: `scan a.log a.log` shows it twice, as grep
    /// does; merging summaries with `+=` is what joins rows of the same input).
    pub fn add_input(&mut self, counts: &Counts, input: InputSummary) {
        if counts.unknown.is_empty() {
            self.total += counts;
        } else {
            // Where codes not in the catalog were first seen is named here, once per input.
            let mut named = counts.clone();
            named.unknown.name_input(&input.name);
            self.total += &named;
        }
        self.inputs.push(input);
    }

    /// Adds `counts` to the totals only (parts of a scan not tied to one input).
    pub fn add_counts(&mut self, counts: &Counts) {
        self.total += counts;
    }

    /// Adds `rows` to the table, joining each to the row of the same input if there is one
    /// (the first such row; new inputs keep their order, after the known ones).
    fn merge_rows(&mut self, rows: impl Iterator<Item = InputSummary>) {
        let mut index: HashMap<Vec<u8>, usize> = HashMap::with_capacity(self.inputs.len());
        for (i, row) in self.inputs.iter().enumerate() {
            index.entry(row.key().to_vec()).or_insert(i);
        }
        for row in rows {
            match index.get(row.key()) {
                Some(&i) => self.inputs[i].absorb(&row),
                None => {
                    index.insert(row.key().to_vec(), self.inputs.len());
                    self.inputs.push(row);
                }
            }
        }
    }
}

impl AddAssign<&Summary> for Summary {
    fn add_assign(&mut self, other: &Summary) {
        self.total += &other.total;
        self.merge_rows(other.inputs.iter().cloned());
        self.hidden += &other.hidden;
        self.requests += other.requests.clone();
    }
}

impl AddAssign<Summary> for Summary {
    fn add_assign(&mut self, other: Summary) {
        self.total += &other.total;
        self.merge_rows(other.inputs.into_iter());
        self.hidden += &other.hidden;
        self.requests += other.requests;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(hits: &[CodeId]) -> Counts {
        let mut c = Counts::new(3);
        for &code in hits {
            c.add_hit(code);
            c.add_code_line(code);
        }
        c
    }

    #[test]
    fn counts_add_up_in_any_order() {
        let mut a = counts(&[0]);
        a.add_file();
        a.add_read(10, 2);
        a.add_together(0, 1);
        let mut b = counts(&[2, 2]);
        b.add_error();
        b.add_read(5, 0);
        b.add_together(0, 1);
        let mut ab = a.clone();
        ab += &b;
        let mut ba = b.clone();
        ba += &a;
        assert_eq!(ab, ba);
        assert_eq!(ab.hits(), 3);
        assert_eq!(ab.code(2), CodeCounts { hits: 2, lines: 2 });
        assert_eq!(ab.codes_by_count()[0].0, 2);
        assert_eq!(ab.together_with(0), vec![(1, 2)]);
        assert_eq!(
            (ab.files(), ab.bytes(), ab.lines(), ab.errors()),
            (1, 15, 2, 1)
        );
    }

    #[test]
    fn first_and_last_seen_are_min_and_max_in_any_order() {
        let t = |s: &str| TimeValue::Zoned(s.parse().expect("a timestamp"));
        let mut a = Counts::new(3);
        a.add_seen(1, t("2024-05-16T08:00:00Z"), "b.log", 9);
        a.add_seen(1, t("2024-05-16T07:00:00Z"), "b.log", 3);
        let mut b = Counts::new(3);
        b.add_seen(1, t("2024-05-16T09:00:00Z"), "a.log", 1);
        // A tie on time goes to the earlier location (input name, then line).
        b.add_seen(1, t("2024-05-16T07:00:00Z"), "a.log", 5);
        b.add_seen(2, t("2024-05-16T06:00:00Z"), "a.log", 2);
        let mut ab = a.clone();
        ab += &b;
        let mut ba = b.clone();
        ba += &a;
        assert_eq!(ab, ba);
        let seen = ab.seen(1).expect("code 1 was seen");
        assert_eq!(
            (seen.first.input.as_str(), seen.first.line),
            ("a.log", 5),
            "the tie at 07:00 goes to a.log"
        );
        assert_eq!(seen.last.time, t("2024-05-16T09:00:00Z"));
        let span = ab.time_span().expect("a span");
        assert_eq!(span.first.time, t("2024-05-16T06:00:00Z"));
        assert_eq!(span.last.time, t("2024-05-16T09:00:00Z"));
        assert_eq!(ab.seen(0), None);
    }

    #[test]
    fn rows_of_the_same_input_merge() {
        let mut whole = Summary::new(3);
        let part = counts(&[1]);
        whole.add_input(
            &part,
            InputSummary::from_counts("a.log".into(), None, &part),
        );
        let mut other = Summary::new(3);
        other.add_input(
            &part,
            InputSummary::from_counts("a.log".into(), None, &part),
        );
        let b = counts(&[2]);
        other.add_input(&b, InputSummary::from_counts("b.log".into(), None, &b));
        whole += &other;
        assert_eq!(whole.inputs().len(), 2);
        assert_eq!(whole.inputs()[0].hits, 2);
        assert_eq!(
            whole.inputs()[0].by_code,
            vec![(1, CodeCounts { hits: 2, lines: 2 })]
        );
        assert_eq!(whole.hits(), 3);
    }
}
