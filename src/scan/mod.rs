//! Scanning inputs: turns matcher hits into located [`Hit`]s and [`crate::Summary`] counts, and
//! hands them, in input order, to a [`Sink`]. Nothing here formats output.
//!
//! - [`Scanner`]: the matcher, the code filter and the options, built once and shared by every
//!   command (`scan`, and later `follow`, `run`, `report`).
//! - `region`: scanning one window of bytes, tracking lines and columns, cutting excerpts.
//! - `event`: what a hit's line inherits from the lines before it (time, SCF request).
//! - `lines`: the resumable [`LineScanner`] every input runs on (stdin, small files, chunks).
//! - `context`: whether a hit of a shared name (`PERMISSION_DENIED`) has CloudBase context.
//! - `batch`: what workers hand on: hits with ranges into one excerpt buffer.
//! - `plan`: cutting the inputs into units (runs of small files, streams, chunks).
//! - `positional`: reading chunks of one open file at offsets.
//! - `parallel`: the worker pool and the byte budget on hit data in flight.
//! - `order`: putting results back in input order and numbering lines across chunks, so the
//!   output does not depend on the thread count or the chunk size.

pub(crate) mod batch;
mod context;
mod event;
mod lines;
mod order;
mod parallel;
mod plan;
mod positional;
mod region;

pub(crate) use region::LineCodes;

use std::collections::HashSet;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

pub use batch::Batch;
pub use lines::{Finish, LineScanner, Resume};

use crate::catalog::{Catalog, CategoryId, CodeId};
use crate::diagnosis::{GroupHit, Grouper};
use crate::error::{Error, Result};
use crate::fields::{Extractor, HitTime};
use crate::input::{Change, FileId, Source};
use crate::limits;
use crate::matcher::{Matcher, PatternId};
use crate::sink::{Collect, Sink};
use crate::summary::{Counts, InputSummary, Summary};

/// One error code found in one input, as a sink sees it. Its excerpt borrows from the batch
/// it came in; [`Hit::to_owned`] keeps one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit<'a> {
    /// 1-based line number (lines end at `\n`).
    pub line: u64,
    /// 1-based byte column within the line.
    pub column: u64,
    /// 0-based byte offset from the start of the input.
    pub byte_offset: u64,
    /// The code found (a numeric alias is reported under its code).
    pub code: CodeId,
    /// The pattern found: the code itself or one of its numeric aliases.
    pub pattern: PatternId,
    /// The hit's line, or a window of it around the hit.
    pub excerpt: Excerpt<'a>,
    /// The line's time, or the one it inherits (see [`crate::fields`]); `None` when fields
    /// are not extracted or none was found.
    pub time: Option<HitTime>,
    /// The line's request id, or the one it inherits (ASCII `[0-9A-Za-z_-]`).
    pub request: Option<&'a str>,
    /// Absolute byte offset of the line that starts the hit's multi-line event: the line its
    /// time was inherited from, else its own line.
    pub event: u64,
}

/// The text around a hit: its whole line when the line is short, else a window of at most
/// [`limits::EXCERPT_RADIUS`] bytes either side of the hit. Raw bytes: writers decide how to
/// show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt<'a> {
    /// The bytes (without the line's `\n` and a `\r` before it).
    pub bytes: &'a [u8],
    /// Where the hit is within `bytes`.
    pub hit: Range<usize>,
    /// Whether the line goes on before `bytes`.
    pub cut_before: bool,
    /// Whether the line goes on after `bytes`.
    pub cut_after: bool,
    /// Characters of the line before `bytes`: 0 when the excerpt starts the line, else counted
    /// by the scanner (from the last hit on the line, and over what it drops of a line longer
    /// than its buffer); `None` only when it lost count (a scan resumed from a [`Resume`]
    /// whose mark was not on its line).
    ///
    /// [`Resume`]: crate::scan::Resume
    pub chars_before: Option<u64>,
}

/// A [`Hit`] that owns its excerpt (for collecting hits, in tests and library use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedHit {
    /// 1-based line number.
    pub line: u64,
    /// 1-based byte column.
    pub column: u64,
    /// 0-based byte offset.
    pub byte_offset: u64,
    /// The code found.
    pub code: CodeId,
    /// The pattern found.
    pub pattern: PatternId,
    /// The excerpt's bytes.
    pub excerpt: Vec<u8>,
    /// Where the hit is within `excerpt`.
    pub hit: Range<usize>,
    /// Whether the line goes on before the excerpt.
    pub cut_before: bool,
    /// Whether the line goes on after the excerpt.
    pub cut_after: bool,
    /// 1-based column in characters, when known ([`Hit::char_column`]).
    pub char_column: Option<u64>,
    /// The line's time, or the one it inherits.
    pub time: Option<HitTime>,
    /// The line's request id, or the one it inherits.
    pub request: Option<String>,
    /// Absolute byte offset of the line that starts the hit's event.
    pub event: u64,
}

impl Hit<'_> {
    /// The 1-based column in characters (see [`crate::text::count_chars`]), when known: what
    /// SARIF, GitHub and other CI tools count (the `column` field counts bytes, as grep does).
    pub fn char_column(&self) -> Option<u64> {
        let before = self.excerpt.chars_before?;
        let here = self.excerpt.bytes.get(..self.excerpt.hit.start)?;
        Some(before + crate::text::count_chars(here) + 1)
    }

    /// A copy that owns its excerpt.
    pub fn to_owned(&self) -> OwnedHit {
        OwnedHit {
            line: self.line,
            column: self.column,
            byte_offset: self.byte_offset,
            code: self.code,
            pattern: self.pattern,
            excerpt: self.excerpt.bytes.to_vec(),
            hit: self.excerpt.hit.clone(),
            cut_before: self.excerpt.cut_before,
            cut_after: self.excerpt.cut_after,
            char_column: self.char_column(),
            time: self.time,
            request: self.request.map(str::to_string),
            event: self.event,
        }
    }
}

/// Size and line count of one input (or part of one), once read to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InputStats {
    /// Bytes read (decompressed bytes for a compressed input).
    pub bytes: u64,
    /// Lines read (a last line without `\n` counts).
    pub lines: u64,
}

/// Something worth telling about an input that is neither a hit nor an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The file changed while it was scanned: it was scanned as it was when opened.
    Changed(Change),
    /// Something happened to a followed file (`cbscan follow`).
    Followed {
        /// What happened.
        event: FollowEvent,
        /// The details, for people.
        message: String,
    },
    /// A notice read back from saved output (`cbscan report`) whose kind this version does
    /// not make itself (`changed` notices carry their details as text only).
    Saved {
        /// Its kind, as written.
        kind: String,
        /// Its message, as written.
        message: String,
    },
}

/// What can happen to a followed name, as `follow` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowEvent {
    /// The name does not exist yet: it is waited for.
    Waiting,
    /// A file appeared under the name: read from its start.
    Appeared,
    /// The file was renamed away (rotated) and another took its name.
    Rotated,
    /// The file was deleted or replaced (`mv -f`), and another may have taken its name.
    Replaced,
    /// The file was cut (`copytruncate`): read again from its start.
    Truncated,
    /// The name is gone.
    Removed,
    /// The name cannot be read.
    Unreadable,
    /// A file no longer under the name was read to its end and closed.
    Drained,
    /// At exit, a last line without its line break was scanned as it was.
    Unterminated,
    /// A file read before a restart cannot be found any more: what it got after that is lost.
    Lost,
    /// Reading goes on where a saved state (`--state`) left it.
    Resumed,
    /// The file was too large to count its lines at start: line numbers count from where
    /// following started.
    Numbering,
}

impl FollowEvent {
    /// The event's name in machine-readable output.
    pub fn name(self) -> &'static str {
        match self {
            FollowEvent::Waiting => "waiting",
            FollowEvent::Appeared => "appeared",
            FollowEvent::Rotated => "rotated",
            FollowEvent::Replaced => "replaced",
            FollowEvent::Truncated => "truncated",
            FollowEvent::Removed => "removed",
            FollowEvent::Unreadable => "unreadable",
            FollowEvent::Drained => "drained",
            FollowEvent::Unterminated => "unterminated",
            FollowEvent::Lost => "lost",
            FollowEvent::Resumed => "resumed",
            FollowEvent::Numbering => "numbering",
        }
    }

    /// The event named `name` in machine-readable output (what [`FollowEvent::name`] gives).
    // The list repeats the variants so that `name` stays an exhaustive match: a new variant
    // cannot go without a name (a table would not say when one is missing).
    pub fn from_name(name: &str) -> Option<FollowEvent> {
        use FollowEvent::*;
        [
            Waiting,
            Appeared,
            Rotated,
            Replaced,
            Truncated,
            Removed,
            Unreadable,
            Drained,
            Unterminated,
            Lost,
            Resumed,
            Numbering,
        ]
        .into_iter()
        .find(|event| event.name() == name)
    }
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::Changed(change) => change.fmt(f),
            Notice::Followed { message, .. } | Notice::Saved { message, .. } => {
                f.write_str(message)
            }
        }
    }
}

impl Notice {
    /// A short stable name for the kind of notice (`"changed"`, `"rotated"`), for
    /// machine-readable output.
    pub fn kind(&self) -> &str {
        match self {
            Notice::Changed(_) => "changed",
            Notice::Followed { event, .. } => event.name(),
            Notice::Saved { kind, .. } => kind,
        }
    }
}

/// Which codes a scan reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeFilter {
    keep: Vec<bool>,
}

impl CodeFilter {
    /// Every code of the catalog.
    pub fn all(catalog: &Catalog) -> CodeFilter {
        CodeFilter {
            keep: vec![true; catalog.codes().len()],
        }
    }

    /// Only codes for which `keep` is true.
    pub fn only(catalog: &Catalog, keep: impl Fn(CodeId) -> bool) -> CodeFilter {
        CodeFilter {
            keep: (0..catalog.codes().len()).map(keep).collect(),
        }
    }

    /// Whether `code` is reported.
    #[inline]
    pub fn keeps(&self, code: CodeId) -> bool {
        self.keep[code]
    }

    /// The number of codes of the catalog the filter was made for.
    pub fn codes(&self) -> usize {
        self.keep.len()
    }
}

/// How a scan runs. [`ScanOptions::default`] suits real use; tests shrink the sizes to
/// exercise chunking on small inputs. The defaults and their reasons are in [`limits`].
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Worker threads (0: one per core; at most [`limits::MAX_THREADS`]).
    pub threads: usize,
    /// Files at least this large are cut into chunks scanned in parallel.
    pub chunk_min: u64,
    /// Target size of a chunk; chunks end at the first line break after this many bytes.
    pub chunk_size: usize,
    /// Size of one read.
    pub block_size: usize,
    /// Whether to produce hits (false for summary-only runs: nothing is stored per hit).
    pub collect_hits: bool,
    /// Most bytes of hit data in flight between the workers and the sink.
    pub in_flight_bytes: usize,
    /// Whether gzip and zstd inputs are decompressed (recognised by their first bytes).
    pub decompress: bool,
    /// The files the scan's reports write to (standard output if it is a file, `--report`
    /// files): an input that is one of them is not read (it would read back the scan's own
    /// output), as GNU grep does.
    pub outputs: Vec<FileId>,
    /// Most hits of one input handed to the sink (`--max-hits`); the counts include every hit.
    pub max_hits: Option<u64>,
    /// Whether the summary lists the most affected requests (`--by-request`).
    pub by_request: bool,
    /// Whether hits get their time and request id (only when hits are collected at all).
    pub fields: bool,
    /// The zone of times written without one (`--log-tz`); `None` keeps them local.
    pub log_tz: Option<jiff::tz::TimeZone>,
    /// Whether hits of shared names (`PERMISSION_DENIED`, codes other products use too) count
    /// everywhere (`--all-codes`), instead of only on lines with CloudBase context.
    pub all_codes: bool,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            threads: 0,
            chunk_min: limits::CHUNK_MIN,
            chunk_size: limits::CHUNK_SIZE,
            block_size: limits::BLOCK_SIZE,
            collect_hits: true,
            in_flight_bytes: limits::IN_FLIGHT_BYTES,
            decompress: true,
            outputs: Vec::new(),
            max_hits: None,
            by_request: false,
            fields: true,
            log_tz: None,
            all_codes: false,
        }
    }
}

impl ScanOptions {
    /// The number of worker threads this will use: at most [`limits::MAX_THREADS`].
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .min(limits::MAX_THREADS)
    }
}

/// What every window scan needs to know, bundled.
#[derive(Clone, Copy)]
pub(crate) struct ScanSpec<'a> {
    pub matcher: &'a Matcher,
    pub filter: &'a CodeFilter,
    /// Whether to produce hits (false: only counts).
    pub collect_hits: bool,
    /// Which codes are generic, by code.
    pub generic: &'a [bool],
    /// The field extractor, when hits get their time and request.
    pub fields: Option<&'a Extractor>,
    /// Which patterns count only with CloudBase context, by pattern: the names of shared codes
    /// (none with `all_codes`).
    pub shared: &'a [bool],
    /// Every pattern of the catalog (codes and numbers): a token in a code position that is
    /// none of them is a code not in the catalog.
    pub known: &'a HashSet<Box<[u8]>>,
}

struct Inner {
    matcher: Arc<Matcher>,
    filter: CodeFilter,
    options: ScanOptions,
    generic: Vec<bool>,
    /// Each code's category, by code (what the summary's timeline counts under).
    categories: Vec<CategoryId>,
    extractor: Option<Extractor>,
    /// The catalog's shared names, by code.
    catalog_shared: Vec<bool>,
    /// The patterns that need context under these options, by pattern.
    shared: Vec<bool>,
    known: HashSet<Box<[u8]>>,
}

fn known_patterns(matcher: &Matcher) -> HashSet<Box<[u8]>> {
    matcher
        .patterns()
        .iter()
        .map(|p| p.text.as_bytes().into())
        .collect()
}

/// The extractor `options` ask for. Its patterns are fixed: failing to build them is a bug,
/// reported by `Scanner::new` and by the unit tests, and leaves a scanner without fields.
fn extractor(options: &ScanOptions) -> Result<Option<Extractor>> {
    if options.fields {
        Extractor::new(options.log_tz.clone()).map(Some)
    } else {
        Ok(None)
    }
}

fn generic_flags(catalog: &Catalog) -> Vec<bool> {
    catalog.codes().iter().map(|c| c.is_generic()).collect()
}

fn categories(catalog: &Catalog) -> Vec<CategoryId> {
    catalog.codes().iter().map(|c| c.category).collect()
}

fn shared_flags(catalog: &Catalog) -> Vec<bool> {
    catalog.codes().iter().map(|c| c.shared).collect()
}

/// The patterns whose hits need context under `options`, by pattern: the names of shared
/// codes. Their numeric aliases (`-501023`) are CloudBase's own and need none.
fn needing_context(catalog_shared: &[bool], matcher: &Matcher, options: &ScanOptions) -> Vec<bool> {
    matcher
        .patterns()
        .iter()
        .map(|p| catalog_shared[p.code] && !options.all_codes && !context::is_numeric(&p.text))
        .collect()
}

/// A matcher, a code filter and the options of a scan, built once and shared (cheap to
/// clone). Every way of scanning goes through it: whole inputs in parallel
/// ([`Scanner::scan`]), bytes fed as they arrive ([`Scanner::line_scanner`]).
#[derive(Clone)]
pub struct Scanner {
    inner: Arc<Inner>,
}

impl Scanner {
    /// A scanner for `catalog`. `matcher` and `filter` must have been made for this catalog.
    pub fn new(
        catalog: &Catalog,
        matcher: Matcher,
        filter: CodeFilter,
        options: ScanOptions,
    ) -> Result<Scanner> {
        let codes = catalog.codes().len();
        if filter.codes() != codes {
            return Err(Error::Usage(format!(
                "the code filter was made for a catalog of {} codes, not this one of {codes}",
                filter.codes()
            )));
        }
        if matcher.patterns().iter().any(|p| p.code >= codes) {
            return Err(Error::Usage(
                "the matcher was made for another catalog".to_string(),
            ));
        }
        let catalog_shared = shared_flags(catalog);
        Ok(Scanner {
            inner: Arc::new(Inner {
                shared: needing_context(&catalog_shared, &matcher, &options),
                known: known_patterns(&matcher),
                matcher: Arc::new(matcher),
                filter,
                extractor: extractor(&options)?,
                catalog_shared,
                options,
                generic: generic_flags(catalog),
                categories: categories(catalog),
            }),
        })
    }

    /// A scanner over every code of `catalog` on the best engine, with `options`.
    pub fn for_catalog(catalog: &Catalog, options: ScanOptions) -> Scanner {
        let catalog_shared = shared_flags(catalog);
        let matcher = Matcher::new(catalog);
        Scanner {
            inner: Arc::new(Inner {
                shared: needing_context(&catalog_shared, &matcher, &options),
                known: known_patterns(&matcher),
                matcher: Arc::new(matcher),
                filter: CodeFilter::all(catalog),
                extractor: extractor(&options).ok().flatten(),
                catalog_shared,
                options,
                generic: generic_flags(catalog),
                categories: categories(catalog),
            }),
        }
    }

    /// The matcher.
    pub fn matcher(&self) -> &Matcher {
        &self.inner.matcher
    }

    /// The same scanner with other options.
    pub fn with_options(&self, options: ScanOptions) -> Scanner {
        Scanner {
            inner: Arc::new(Inner {
                matcher: Arc::clone(&self.inner.matcher),
                filter: self.inner.filter.clone(),
                extractor: extractor(&options).ok().flatten(),
                shared: needing_context(&self.inner.catalog_shared, &self.inner.matcher, &options),
                catalog_shared: self.inner.catalog_shared.clone(),
                known: self.inner.known.clone(),
                options,
                generic: self.inner.generic.clone(),
                categories: self.inner.categories.clone(),
            }),
        }
    }

    /// Each code's category, by code.
    pub(crate) fn categories(&self) -> &[CategoryId] {
        &self.inner.categories
    }

    /// The options.
    pub fn options(&self) -> &ScanOptions {
        &self.inner.options
    }

    /// The number of codes of the catalog (the size of a [`Summary`]).
    pub fn codes(&self) -> usize {
        self.inner.filter.codes()
    }

    /// An empty summary for this scanner's catalog.
    pub fn new_summary(&self) -> Summary {
        Summary::new(self.codes())
    }

    pub(crate) fn spec(&self) -> ScanSpec<'_> {
        self.spec_collecting(self.inner.options.collect_hits)
    }

    pub(crate) fn spec_collecting(&self, collect_hits: bool) -> ScanSpec<'_> {
        ScanSpec {
            matcher: &self.inner.matcher,
            filter: &self.inner.filter,
            collect_hits,
            generic: &self.inner.generic,
            fields: if collect_hits {
                self.inner.extractor.as_ref()
            } else {
                None
            },
            shared: &self.inner.shared,
            known: &self.inner.known,
        }
    }

    /// A grouper of this scan's hits by request (see [`crate::diagnosis`]), and which
    /// patterns are numbers (the links of a numeric chain).
    pub(crate) fn grouper(&self) -> (Grouper, Vec<bool>) {
        let numeric = numeric_patterns(self.matcher().patterns());
        let grouper = Grouper::new(self.inner.generic.clone(), self.inner.options.by_request);
        (grouper, numeric)
    }

    /// A line scanner starting at `start` ([`Resume::at`]`(0, 0)` for the start of an input).
    pub fn line_scanner(&self, start: Resume) -> LineScanner<'_> {
        let recycler = Arc::new(batch::Recycler::new(self.codes()));
        self.line_scanner_in(self.spec(), start, Vec::new(), recycler)
    }

    /// A line scanner reading into `buffer`, taking its batches from `recycler`.
    pub(crate) fn line_scanner_in<'s>(
        &'s self,
        spec: ScanSpec<'s>,
        start: Resume,
        buffer: Vec<u8>,
        recycler: Arc<batch::Recycler>,
    ) -> LineScanner<'s> {
        LineScanner::new(spec, recycler, self.inner.options.block_size, start, buffer)
    }

    /// Scans `sources`, giving `sink` every event in input order (see [`Sink`]). Stops early
    /// if the sink fails (every report's output closed); the summary then counts what was
    /// found until then. Hits are collected only if the options and the sink both want them.
    pub fn scan(&self, sources: Vec<Source>, sink: &mut dyn Sink) -> ScanEnd {
        parallel::scan_sources(self, sources, sink)
    }

    /// Scans bytes in memory through the same parallel path as files (chunked when at least
    /// `chunk_min` long), returning every hit and the summary.
    pub fn scan_bytes(&self, data: Vec<u8>) -> (Vec<OwnedHit>, Summary) {
        let mut sink = Collect::default();
        let source = Source::Bytes {
            name: "<memory>".into(),
            data: Arc::new(data),
        };
        // The collecting sink never fails and memory cannot fail to read.
        let summary = self.scan(vec![source], &mut sink).summary;
        (sink.hits, summary)
    }

    /// Scans a reader with one line scanner on this thread, returning every hit and the
    /// summary.
    pub fn scan_reader(&self, mut reader: impl Read) -> io::Result<(Vec<OwnedHit>, Summary)> {
        let mut hits = Vec::new();
        let mut counts = Counts::new(self.codes());
        let (mut grouper, numeric) = self.grouper();
        grouper.name_input(0, "<reader>");
        let stats = self
            .line_scanner(Resume::at(0, 0))
            .scan_to_end(&mut reader, &mut |batch| {
                group_batch(&mut grouper, &numeric, 0, &batch, 0);
                hits.extend(batch.hits(0).map(|hit| hit.to_owned()));
                counts += batch.counts();
                batch.add_seen_to(&mut counts, "<reader>", 0, self.categories());
                Ok(())
            })?;
        let (hidden, requests) = grouper.finish();
        counts.add_file();
        counts.add_read(stats.bytes, stats.lines);
        let mut summary = self.new_summary();
        let row = InputSummary::from_counts("<reader>".into(), None, &counts);
        summary.add_input(&counts, row);
        summary.add_diagnosis(&hidden, requests);
        Ok((hits, summary))
    }
}

/// Which patterns are numbers (the links of a numeric chain), by pattern.
pub(crate) fn numeric_patterns(patterns: &[crate::catalog::Pattern]) -> Vec<bool> {
    patterns
        .iter()
        .map(|p| {
            p.text
                .starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
        })
        .collect()
}

/// Hands every hit of `batch` (of input `input`) to `grouper`, with `line_base` added to their
/// lines: all of them, not only those a `--max-hits` limit lets through, since what the
/// groups count is part of the summary.
pub(crate) fn group_batch(
    grouper: &mut Grouper,
    numeric: &[bool],
    input: usize,
    batch: &Batch,
    line_base: u64,
) {
    for hit in batch.hits(line_base) {
        grouper.hit(&GroupHit {
            input,
            line: hit.line,
            event: hit.event,
            request: hit.request,
            code: hit.code,
            numeric: numeric.get(hit.pattern as usize).copied().unwrap_or(false),
            time: hit.time.as_ref().map(|t| &t.at),
        });
    }
}

/// How a scan ended: its summary, and the sink's error if the sink stopped it early.
#[derive(Debug)]
pub struct ScanEnd {
    /// What was found (until the sink stopped the scan, if it did).
    pub summary: Summary,
    /// The error with which the sink stopped the scan, if it did.
    pub stopped: Option<io::Error>,
}

impl ScanEnd {
    /// The summary, or the error that stopped the scan.
    pub fn into_result(self) -> io::Result<Summary> {
        match self.stopped {
            Some(error) => Err(error),
            None => Ok(self.summary),
        }
    }
}
