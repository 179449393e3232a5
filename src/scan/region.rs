//! Scanning one window of a haystack: hits with their lines, columns and excerpts, and the
//! newline count that lets the caller number lines across windows.

use std::io;
use std::ops::Range;

use memchr::{memchr, memrchr};

use super::batch::{pack_time, Batch, Recycler, StoredHit, UNKNOWN_CHARS};
use super::context;
use super::event::Carry;
use super::ScanSpec;
use crate::limits::{
    BATCH_BYTES, EXCERPT_RADIUS, SEARCH_SLICE, UNKNOWN_CONTEXT_AFTER, UNKNOWN_TEXT_RADIUS,
};
use crate::matcher::RawMatch;
use crate::sink::{FormatHits, InputInfo};
use crate::summary::Counts;
use crate::text::{char_start_backward, char_start_forward};
use crate::unknown::FirstSeen;
use std::sync::Arc;

/// Where the scan stands in the line structure of the input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LineCursor {
    /// Newlines seen since the scanner's origin.
    pub newlines: u64,
    /// Absolute offset where the current line starts.
    pub line_start: u64,
    /// A place on the current line whose characters from the line start are counted
    /// (`mark_chars`), so that each hit on a long line counts only from the hit before it.
    /// Invariant: `line_start <= mark`, and both are char boundaries (a line start or a hit).
    pub mark: u64,
    /// Characters in `line_start..mark`.
    pub mark_chars: u64,
}

impl LineCursor {
    /// A cursor at the start of a line.
    pub(crate) fn at(newlines: u64, line_start: u64) -> LineCursor {
        LineCursor {
            newlines,
            line_start,
            mark: line_start,
            mark_chars: 0,
        }
    }

    /// Characters of the current line before absolute offset `at` (a hit's start, in
    /// `haystack`), or `None` when the bytes from the last mark are no longer held.
    fn chars_to(&mut self, haystack: &[u8], haystack_offset: u64, at: usize) -> Option<u64> {
        let from = usize::try_from(self.mark.checked_sub(haystack_offset)?).ok()?;
        let counted = crate::text::count_chars(haystack.get(from..at)?);
        self.mark = haystack_offset + at as u64;
        self.mark_chars += counted;
        Some(self.mark_chars)
    }
}

/// The codes seen so far on the line of the last hit, to count each line once per code and
/// the lines a generic code shares with a specific one. Lives as long as its line scanner,
/// since a line longer than the buffer is scanned in several windows.
#[derive(Debug, Default)]
pub(crate) struct LineCodes {
    /// The line (newlines before it, plus one); 0 before the first hit.
    line: u64,
    /// Distinct codes on that line, in order of first appearance (at most one per code of the
    /// catalog).
    codes: Vec<u32>,
}

impl LineCodes {
    /// Counts a hit of `code` on `line` into `counts`: the hit, and the line for the code (and
    /// for the pairs it forms with the codes already on the line, by the `generic` flags) if
    /// the code is new on it. Hits come in line order. (`cbscan report` counts saved hits
    /// again with it, so that they count exactly as the scan counted them.)
    #[inline]
    pub(crate) fn count(&mut self, counts: &mut Counts, generic: &[bool], code: usize, line: u64) {
        counts.add_hit(code);
        if self.line != line {
            self.line = line;
            self.codes.clear();
            counts.add_line_with_hits();
        } else if self.codes.contains(&(code as u32)) {
            return;
        }
        counts.add_code_line(code);
        let is_generic = generic[code];
        for &other in &self.codes {
            let other = other as usize;
            match (is_generic, generic[other]) {
                (true, false) => counts.add_together(code, other),
                (false, true) => counts.add_together(other, code),
                _ => {}
            }
        }
        self.codes.push(code as u32);
    }

    /// The state of a scanner resumed on `line` with `codes` already counted on it.
    pub(crate) fn resumed(line: u64, codes: Vec<u32>) -> LineCodes {
        LineCodes {
            line: if codes.is_empty() { 0 } else { line },
            codes,
        }
    }

    /// The codes counted on `line` (none if the last hit was on another line).
    pub(crate) fn on_line(&self, line: u64) -> &[u32] {
        if self.line == line {
            &self.codes
        } else {
            &[]
        }
    }
}

/// Formatters the workers run on every hit, and the input the hits are from.
#[derive(Clone, Copy)]
pub(crate) struct Formatting<'a> {
    pub formatters: &'a [Arc<dyn FormatHits>],
    pub input: &'a InputInfo,
}

/// Where a window's hits go: the batch being filled, handed on whenever it grows past
/// [`BATCH_BYTES`] so that a dense window never piles up unbounded hit data in a worker.
pub(crate) struct Out<'a> {
    pub batch: Batch,
    pub recycler: &'a Recycler,
    pub on_batch: &'a mut dyn FnMut(Batch) -> io::Result<()>,
    /// The first error the receiver returned; once set, hits are no longer kept.
    pub failed: Option<io::Error>,
    pub line_codes: &'a mut LineCodes,
    pub formatting: Option<Formatting<'a>>,
    /// What hit lines inherit from earlier lines (used only when fields are extracted).
    pub carry: &'a mut Carry,
}

impl Out<'_> {
    /// Counts a hit of `code` on `line`: the hit, and the line for the code (and for the pairs
    /// it forms with the codes already on the line) if the code is new on it.
    #[inline]
    fn count(&mut self, spec: &ScanSpec<'_>, code: usize, line: u64) {
        self.line_codes
            .count(&mut self.batch.counts, spec.generic, code, line);
    }

    /// Hands the batch on (if it holds anything) and starts a new one.
    pub fn hand_on(&mut self) {
        if self.failed.is_some() || self.batch.is_blank() {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, self.recycler.take());
        if let Err(error) = (self.on_batch)(batch) {
            self.failed = Some(error);
        }
    }
}

/// Scans `haystack[window]` (the haystack starts at absolute offset `haystack_offset`).
/// Returns where the matcher stopped (see [`crate::Matcher::find`]).
pub(crate) fn scan_region(
    spec: ScanSpec<'_>,
    haystack: &[u8],
    haystack_offset: u64,
    window: Range<usize>,
    cursor: &mut LineCursor,
    out: &mut Out<'_>,
) -> usize {
    let (from, to) = (window.start, window.end);
    let mut stop = from;
    let mut slice_start = from;
    while slice_start < to {
        let slice_end = to.min(slice_start.saturating_add(SEARCH_SLICE));
        // A hit may run past a slice's end; the next slice starts after it.
        let search_from = slice_start.max(stop);
        let counted_from = slice_start;
        // Before the matcher moves the cursor: the cursor stands at the slice's start.
        find_unknown(
            &spec,
            haystack,
            haystack_offset,
            slice_start..slice_end,
            cursor,
            out,
        );
        stop = if search_from < slice_end {
            scan_slice(
                spec,
                haystack,
                haystack_offset,
                search_from..slice_end,
                counted_from,
                cursor,
                out,
            )
        } else {
            advance(cursor, haystack, haystack_offset, counted_from, slice_end);
            stop
        };
        slice_start = slice_end;
    }
    stop.max(to)
}

/// Searches `haystack[window]` and moves the cursor from `counted_from` (at most the window's
/// start) to the window's end.
fn scan_slice(
    spec: ScanSpec<'_>,
    haystack: &[u8],
    haystack_offset: u64,
    window: Range<usize>,
    counted_from: usize,
    cursor: &mut LineCursor,
    out: &mut Out<'_>,
) -> usize {
    let (from, to) = (window.start, window.end);
    let ScanSpec {
        matcher,
        filter,
        collect_hits,
        ..
    } = spec;
    let mut counted_to = counted_from;
    if !collect_hits {
        // Only counts; the cursor still follows the hits, to count lines with a code.
        let stop = matcher.find(haystack, from, to, |m| {
            let code = matcher.code_of(m.pattern);
            if filter.keeps(code) {
                advance(cursor, haystack, haystack_offset, counted_to, m.start);
                counted_to = m.start;
                if counts_here(&spec, haystack, haystack_offset, cursor.line_start, m) {
                    out.count(&spec, code, cursor.newlines + 1);
                }
            }
        });
        advance(cursor, haystack, haystack_offset, counted_to, to);
        return stop;
    }
    let stop = matcher.find(haystack, from, to, |m| {
        let code = matcher.code_of(m.pattern);
        if !filter.keeps(code) || out.failed.is_some() {
            return;
        }
        advance(cursor, haystack, haystack_offset, counted_to, m.start);
        counted_to = m.start;
        if !counts_here(&spec, haystack, haystack_offset, cursor.line_start, m) {
            return;
        }
        let cut = excerpt(haystack, haystack_offset, cursor.line_start, m);
        // Hand the batch on before it would pass its size, so that a batch never weighs more
        // than BATCH_BYTES (the budget's invariant relies on it).
        if !out.batch.is_empty() && out.batch.would_outgrow(cut.range.len(), BATCH_BYTES) {
            out.hand_on();
        }
        let line = cursor.newlines + 1;
        // Only an excerpt that does not start its line needs the characters before it; they
        // are counted from the last hit on the line, so a line is counted once in all.
        let chars_before = if cut.cut_before {
            cursor
                .chars_to(haystack, haystack_offset, cut.range.start)
                .unwrap_or(UNKNOWN_CHARS)
        } else {
            0
        };
        out.count(&spec, code, line);
        // Once per hit line (hits on one line share it), on this worker thread.
        let fields = spec.fields.map(|ex| {
            out.carry
                .resolve(ex, haystack, haystack_offset, cursor.line_start)
        });
        let batch = &mut out.batch;
        let text_start = batch.push_excerpt(haystack, haystack_offset, cut.range.clone());
        let (time_seconds, time_nanos, time_flags) = pack_time(fields.and_then(|f| f.time));
        let request = fields.and_then(|f| f.request);
        let (request_start, request_len) = match &request {
            Some(id) => (batch.push_id(id.as_bytes()), id.as_bytes().len() as u8),
            None => (0, 0),
        };
        let stored = StoredHit {
            line,
            column: haystack_offset + m.start as u64 - cursor.line_start + 1,
            byte_offset: haystack_offset + m.start as u64,
            code: code as u32,
            pattern: m.pattern,
            text_start,
            text_len: cut.range.len() as u32,
            hit_start: (m.start - cut.range.start) as u32,
            hit_len: (m.end - m.start) as u32,
            cut_before: cut.cut_before,
            cut_after: cut.cut_after,
            chars_before,
            time_seconds,
            time_nanos,
            time_flags,
            request_start,
            request_len,
            event: fields.map_or(cursor.line_start, |f| f.event),
        };
        batch.hits.push(stored);
        if let Some(formatting) = out.formatting {
            let ids = std::mem::take(&mut batch.ids);
            format_hit(
                formatting,
                batch,
                &stored,
                &haystack[cut.range.clone()],
                &ids,
            );
            batch.ids = ids;
            // The formatted text may make the batch heavy all by itself (a long path, a line
            // of control characters escaped six bytes each): hand it on now.
            if batch.formatted_len() >= BATCH_BYTES / 2 {
                out.hand_on();
            }
        }
    });
    advance(cursor, haystack, haystack_offset, counted_to, to);
    stop
}

/// Counts the codes not in the catalog whose code positions start in `range` (see
/// [`crate::unknown`]); `cursor` stands at `range.start`.
fn find_unknown(
    spec: &ScanSpec<'_>,
    haystack: &[u8],
    haystack_offset: u64,
    range: Range<usize>,
    cursor: &LineCursor,
    out: &mut Out<'_>,
) {
    // A copy of the cursor follows the tokens (the matcher moves the real one afterwards).
    let mut line = *cursor;
    let mut at = range.start;
    let counts = &mut out.batch.counts;
    crate::unknown::find_tokens(haystack, range.start, range.end, |found| {
        let token = found.range.clone();
        let bytes = &haystack[token.clone()];
        if token.start < at || spec.known.contains(bytes) {
            return;
        }
        advance(&mut line, haystack, haystack_offset, at, token.start);
        at = token.start;
        if found.needs_context(haystack)
            && !in_context(
                spec,
                haystack,
                haystack_offset,
                line.line_start,
                token.clone(),
                Context::Unknown,
            )
        {
            return;
        }
        // Tokens are ASCII by their grammar.
        let code = String::from_utf8_lossy(bytes);
        counts.unknown.add(&code, || FirstSeen {
            path: String::new(),
            line: line.newlines + 1,
            column: haystack_offset + token.start as u64 - line.line_start + 1,
            text: unknown_text(haystack, token),
        });
    });
}

/// The line around a code not in the catalog, at most [`UNKNOWN_TEXT_RADIUS`] bytes either
/// side, cut at character boundaries.
fn unknown_text(haystack: &[u8], token: Range<usize>) -> String {
    let earliest = token.start.saturating_sub(UNKNOWN_TEXT_RADIUS);
    let start =
        memrchr(b'\n', &haystack[earliest..token.start]).map_or(earliest, |i| earliest + i + 1);
    let limit = haystack.len().min(token.end + UNKNOWN_TEXT_RADIUS);
    let mut end = memchr(b'\n', &haystack[token.end..limit]).map_or(limit, |i| token.end + i);
    if end > token.end && haystack[end - 1] == b'\r' {
        end -= 1;
    }
    let start = char_start_forward(haystack, start, token.start);
    let end = char_start_backward(haystack, end, token.end);
    String::from_utf8_lossy(&haystack[start..end]).into_owned()
}

/// Whether hit `m` counts: always, unless it is a shared name whose line shows no CloudBase
/// context (see the `context` module).
#[inline]
fn counts_here(
    spec: &ScanSpec<'_>,
    haystack: &[u8],
    haystack_offset: u64,
    line_start: u64,
    m: RawMatch,
) -> bool {
    !spec.shared[m.pattern as usize]
        || in_context(
            spec,
            haystack,
            haystack_offset,
            line_start,
            m.start..m.end,
            Context::Shared,
        )
}

/// Whose context is asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// A hit of a shared name: its own `[CODE]` brackets count.
    Shared,
    /// A code not in the catalog: its brackets are its position, not context, and the window
    /// ends [`UNKNOWN_CONTEXT_AFTER`] bytes after it (what the scanner holds past a slice).
    Unknown,
}

/// Whether the line of the token at `token` (its line starts at absolute `line_start`) shows
/// CloudBase context (see the `context` module).
#[cold]
fn in_context(
    spec: &ScanSpec<'_>,
    haystack: &[u8],
    haystack_offset: u64,
    line_start: u64,
    token: Range<usize>,
    whose: Context,
) -> bool {
    let line_start = line_start.checked_sub(haystack_offset).map(|s| s as usize);
    let mut window = context::window(haystack, line_start, token.clone());
    if whose == Context::Unknown {
        window.end = window.end.min(token.end + UNKNOWN_CONTEXT_AFTER);
    }
    let hit = token.start - window.start..token.end - window.start;
    match whose {
        Context::Shared => context::has_context(&haystack[window], hit, spec.matcher, spec.shared),
        Context::Unknown => {
            context::has_context_elsewhere(&haystack[window], hit, spec.matcher, spec.shared)
        }
    }
}

/// Runs every formatter on a hit just stored in `batch`.
fn format_hit(
    formatting: Formatting<'_>,
    batch: &mut Batch,
    stored: &StoredHit,
    excerpt: &[u8],
    ids: &[u8],
) {
    let hit = stored.hit(excerpt, ids, 0);
    if batch.formatted.len() < formatting.formatters.len() {
        batch
            .formatted
            .resize_with(formatting.formatters.len(), Default::default);
    }
    for (formatter, out) in formatting.formatters.iter().zip(&mut batch.formatted) {
        out.begin_hit();
        formatter.format(formatting.input, &hit, out);
        out.end_hit();
    }
}

/// Moves the cursor over `haystack[from..to]`.
#[inline]
pub(crate) fn advance(
    cursor: &mut LineCursor,
    haystack: &[u8],
    haystack_offset: u64,
    from: usize,
    to: usize,
) {
    if from >= to {
        return;
    }
    let bytes = &haystack[from..to];
    let count = bytecount::count(bytes, b'\n') as u64;
    if count > 0 {
        cursor.newlines += count;
        if let Some(last) = memrchr(b'\n', bytes) {
            cursor.line_start = haystack_offset + (from + last + 1) as u64;
            cursor.mark = cursor.line_start;
            cursor.mark_chars = 0;
        }
    }
}

/// Where an excerpt lies in the haystack.
struct Cut {
    range: Range<usize>,
    cut_before: bool,
    cut_after: bool,
}

/// The excerpt for hit `m`: its whole line when the line is short, else a window of at most
/// [`EXCERPT_RADIUS`] bytes either side of the hit, without the line's `\n` and a `\r` before
/// it. The result depends only on the input's bytes, not on how much of the input the
/// haystack holds, provided the haystack holds [`EXCERPT_RADIUS`] bytes before the hit (or
/// from its line start) and `EXCERPT_RADIUS + 1` after it (or to the end of input): the line
/// scanner keeps that much.
fn excerpt(haystack: &[u8], haystack_offset: u64, line_start: u64, m: RawMatch) -> Cut {
    // The line may have started before the bytes we still hold.
    let line_start_here = line_start.checked_sub(haystack_offset).map(|s| s as usize);
    let earliest = m.start.saturating_sub(EXCERPT_RADIUS);
    let (mut start, cut_before) = match line_start_here {
        Some(s) if s >= earliest => (s, false),
        _ => (earliest, true),
    };
    let search_end = haystack.len().min(m.end + EXCERPT_RADIUS + 1);
    let (mut end, cut_after) = match memchr(b'\n', &haystack[m.end..search_end]) {
        Some(i) => (m.end + i, false),
        None if search_end == haystack.len() && m.end + EXCERPT_RADIUS + 1 > haystack.len() => {
            (haystack.len(), false)
        }
        None => (m.end + EXCERPT_RADIUS, true),
    };
    if !cut_after && end > m.end && haystack[end - 1] == b'\r' {
        end -= 1;
    }
    if cut_before {
        start = char_start_forward(haystack, start, m.start);
    }
    if cut_after {
        end = char_start_backward(haystack, end, m.end);
    }
    Cut {
        range: start..end,
        cut_before,
        cut_after,
    }
}
