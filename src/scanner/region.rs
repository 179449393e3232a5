//! Scanning one window of a haystack: hits with their lines, columns and excerpts, and the
//! newline count that lets the caller number lines across windows.

use std::ops::Range;

use memchr::{memchr, memrchr};

use super::{Excerpt, Hit, ScanSpec};
use crate::matcher::RawMatch;
use crate::summary::Summary;
use crate::text::{char_start_backward, char_start_forward};

/// Most bytes of context an excerpt keeps on each side of a hit.
pub const EXCERPT_RADIUS: usize = 256;
/// Windows are searched in slices of this size, so that counting a slice's newlines right
/// after searching it reads bytes still in the core's L2 cache instead of a second pass over
/// memory.
const SLICE: usize = 256 * 1024;

/// Where the scan stands in the line structure of the whole input.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct LineCursor {
    /// Newlines seen since the start of the current part (the caller adds the part's base).
    pub newlines: u64,
    /// Absolute offset where the current line starts.
    pub line_start: u64,
}

/// What one window produced.
pub(super) struct RegionOutput {
    pub hits: Vec<Hit>,
    pub summary: Summary,
}

/// Scans `haystack[from..to]` (a window of the input starting at absolute offset
/// `haystack_offset`). Hits get `line` = newlines since the part began (0-based; the driver
/// adds the base and 1). Returns where the matcher stopped (see [`crate::Matcher::find`]).
pub(super) fn scan_region(
    spec: ScanSpec<'_>,
    haystack: &[u8],
    haystack_offset: u64,
    window: Range<usize>,
    cursor: &mut LineCursor,
    out: &mut RegionOutput,
) -> usize {
    let Range {
        start: from,
        end: to,
    } = window;
    let mut stop = from;
    let mut slice_start = from;
    while slice_start < to {
        let slice_end = to.min(slice_start.saturating_add(SLICE));
        // A hit may run past a slice's end; the next slice starts after it.
        let search_from = slice_start.max(stop);
        let counted_from = slice_start;
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
    out: &mut RegionOutput,
) -> usize {
    let Range {
        start: from,
        end: to,
    } = window;
    let ScanSpec {
        matcher,
        filter,
        collect_hits,
        ..
    } = spec;
    if !collect_hits {
        let stop = matcher.find(haystack, from, to, |m| {
            let code = matcher.code_of(m.pattern);
            if filter.keeps(code) {
                out.summary.add_hit(code);
            }
        });
        advance(cursor, haystack, haystack_offset, counted_from, to);
        return stop;
    }
    let mut counted_to = counted_from;
    let stop = matcher.find(haystack, from, to, |m| {
        let code = matcher.code_of(m.pattern);
        if !filter.keeps(code) {
            return;
        }
        advance(cursor, haystack, haystack_offset, counted_to, m.start);
        counted_to = m.start;
        out.summary.add_hit(code);
        out.hits.push(Hit {
            line: cursor.newlines,
            column: haystack_offset + m.start as u64 - cursor.line_start + 1,
            byte_offset: haystack_offset + m.start as u64,
            code,
            pattern: m.pattern,
            excerpt: excerpt(haystack, haystack_offset, cursor.line_start, m),
        });
    });
    advance(cursor, haystack, haystack_offset, counted_to, to);
    stop
}

/// Moves the cursor over `haystack[from..to]`.
#[inline]
fn advance(cursor: &mut LineCursor, haystack: &[u8], haystack_offset: u64, from: usize, to: usize) {
    if from >= to {
        return;
    }
    let bytes = &haystack[from..to];
    let count = bytecount::count(bytes, b'\n') as u64;
    if count > 0 {
        cursor.newlines += count;
        if let Some(last) = memrchr(b'\n', bytes) {
            cursor.line_start = haystack_offset + (from + last + 1) as u64;
        }
    }
}

/// The excerpt for hit `m`. The result depends only on the input's bytes, not on how much of
/// the input the haystack holds, provided the haystack holds [`EXCERPT_RADIUS`] bytes before
/// the hit (or from its line start) and `EXCERPT_RADIUS + 1` after it (or to the end of input):
/// the streaming reader keeps that much.
fn excerpt(haystack: &[u8], haystack_offset: u64, line_start: u64, m: RawMatch) -> Excerpt {
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
    Excerpt {
        bytes: haystack[start..end].to_vec(),
        hit: m.start - start..m.end - start,
        cut_before,
        cut_after,
    }
}
