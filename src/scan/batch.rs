//! Batches: what a worker hands on to the emitter — hits, the excerpt text they point into,
//! and counts. Excerpts are stored once per batch: hits hold ranges into one text buffer, and
//! the excerpts of hits on the same line share their bytes, so a line with 500 codes costs its
//! own length in text, not 500 copies of it.

use std::ops::Range;
use std::sync::Mutex;

use super::{Excerpt, Hit};
use crate::catalog::{CategoryId, CodeId};
use crate::fields::{HitTime, TimeValue};
use crate::limits::RECYCLED_BATCHES;
use crate::matcher::PatternId;
use crate::sink::Formatted;
use crate::summary::Counts;

/// A hit as stored in a batch: its excerpt is a range of the batch's text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredHit {
    /// 1-based line, counted from the scanner's origin (a chunk's first line is line 1 of
    /// the chunk: the emitter adds the lines of the chunks before).
    pub line: u64,
    pub column: u64,
    pub byte_offset: u64,
    pub code: u32,
    pub pattern: PatternId,
    /// The excerpt's bytes: `text[text_start..text_start + text_len]`.
    pub text_start: u32,
    pub text_len: u32,
    /// Where the hit is within the excerpt.
    pub hit_start: u32,
    pub hit_len: u32,
    pub cut_before: bool,
    pub cut_after: bool,
    /// Characters of the line before the excerpt ([`UNKNOWN_CHARS`]: not counted).
    pub chars_before: u64,
    /// The hit's time, as [`TimeValue::sort_key`] plus [`TIME_PRESENT`] and friends.
    pub time_seconds: i64,
    pub time_nanos: i32,
    pub time_flags: u8,
    /// The request id: `ids[request_start..request_start + request_len]` (len 0: none).
    pub request_start: u32,
    pub request_len: u8,
    /// Absolute offset of the line that starts the hit's event.
    pub event: u64,
}

/// [`StoredHit::time_flags`]: the hit has a time.
pub(crate) const TIME_PRESENT: u8 = 1;
/// [`StoredHit::time_flags`]: its zone is known.
pub(crate) const TIME_ZONED: u8 = 2;
/// [`StoredHit::time_flags`]: it was inherited from an earlier line.
pub(crate) const TIME_INHERITED: u8 = 4;

/// The compact form of a hit's time.
pub(crate) fn pack_time(time: Option<HitTime>) -> (i64, i32, u8) {
    match time {
        None => (0, 0, 0),
        Some(t) => {
            let (seconds, nanos) = t.at.sort_key();
            let mut flags = TIME_PRESENT;
            if t.at.is_zoned() {
                flags |= TIME_ZONED;
            }
            if t.inherited {
                flags |= TIME_INHERITED;
            }
            (seconds, nanos, flags)
        }
    }
}

/// [`StoredHit::chars_before`] when the scanner could not count them.
pub(crate) const UNKNOWN_CHARS: u64 = u64::MAX;

impl StoredHit {
    /// The hit as sinks see it, with its excerpt's `bytes` and `line_base` added to its line
    /// (the one place a stored hit is turned back into a [`Hit`]).
    #[inline]
    pub(crate) fn hit<'a>(&self, bytes: &'a [u8], ids: &'a [u8], line_base: u64) -> Hit<'a> {
        let hit_start = self.hit_start as usize;
        let time = (self.time_flags & TIME_PRESENT != 0)
            .then(|| {
                TimeValue::from_key(
                    self.time_seconds,
                    self.time_nanos,
                    self.time_flags & TIME_ZONED != 0,
                )
            })
            .flatten()
            .map(|at| HitTime {
                at,
                inherited: self.time_flags & TIME_INHERITED != 0,
            });
        let request = if self.request_len == 0 {
            None
        } else {
            let start = self.request_start as usize;
            ids.get(start..start + usize::from(self.request_len))
                .and_then(|id| std::str::from_utf8(id).ok())
        };
        Hit {
            line: self.line + line_base,
            column: self.column,
            byte_offset: self.byte_offset,
            code: self.code as CodeId,
            pattern: self.pattern,
            excerpt: Excerpt {
                bytes,
                hit: hit_start..hit_start + self.hit_len as usize,
                cut_before: self.cut_before,
                cut_after: self.cut_after,
                chars_before: (self.chars_before != UNKNOWN_CHARS).then_some(self.chars_before),
            },
            time,
            request,
            event: self.event,
        }
    }
}

/// Hits and counts of a stretch of one input, in input order.
#[derive(Debug)]
pub struct Batch {
    pub(crate) hits: Vec<StoredHit>,
    pub(crate) text: Vec<u8>,
    /// Request ids of the hits (consecutive equal ids stored once).
    pub(crate) ids: Vec<u8>,
    /// Where the last id pushed starts in `ids`.
    last_id: usize,
    pub(crate) counts: Counts,
    /// What each worker-side formatter made of the hits (one per formatter slot).
    pub(crate) formatted: Vec<Formatted>,
    /// The absolute input range the end of `text` was copied from, so that overlapping
    /// excerpts extend it instead of copying their bytes again.
    span: Range<u64>,
    /// Where that span starts in `text`.
    span_text_start: usize,
}

impl Batch {
    pub(crate) fn new(codes: usize) -> Batch {
        Batch {
            hits: Vec::new(),
            text: Vec::new(),
            ids: Vec::new(),
            last_id: 0,
            counts: Counts::new(codes),
            formatted: Vec::new(),
            span: 0..0,
            span_text_start: 0,
        }
    }

    /// Number of hits.
    pub fn len(&self) -> usize {
        self.hits.len()
    }

    /// Whether the batch holds no hit.
    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }

    /// Whether there is nothing to hand on: no hit kept and nothing counted (a summary-only
    /// scan counts hits without keeping them).
    pub(crate) fn is_blank(&self) -> bool {
        self.counts.has_no_hits()
    }

    /// The counts of this batch (hits and lines with hits per code; inputs, bytes and lines
    /// are counted at the end of an input).
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The hits, with `line_base` added to their line numbers.
    pub fn hits(&self, line_base: u64) -> impl Iterator<Item = Hit<'_>> + '_ {
        self.hits.iter().map(move |h| {
            let start = h.text_start as usize;
            h.hit(
                &self.text[start..start + h.text_len as usize],
                &self.ids,
                line_base,
            )
        })
    }

    /// Takes the times of the hits into `counts`' first and last seen, for `input`, with
    /// `line_base` added to their lines (where hits are handed on in order), and each hit with
    /// a time into the timeline, under its code's category in `categories` (by code).
    pub fn add_seen_to(
        &self,
        counts: &mut Counts,
        input: &str,
        line_base: u64,
        categories: &[CategoryId],
    ) {
        // The batch's own first and last per code first (all its hits are of one input, so
        // time then line orders them): the emitter, one thread for the whole scan, then
        // compares and copies at most two marks per code and batch, not one per hit.
        let mut ends: Vec<(u32, &StoredHit, &StoredHit)> = Vec::new();
        let key = |h: &StoredHit| (h.time_seconds, h.time_nanos, h.line);
        for h in self
            .hits
            .iter()
            .filter(|h| h.time_flags & TIME_PRESENT != 0)
        {
            if let Some(&category) = categories.get(h.code as usize) {
                let zoned = h.time_flags & TIME_ZONED != 0;
                counts.add_timed(category, h.time_seconds, h.time_nanos, zoned);
            }
            match ends.iter_mut().find(|(code, ..)| *code == h.code) {
                Some((_, first, last)) => {
                    if key(h) < key(first) {
                        *first = h;
                    }
                    if key(h) > key(last) {
                        *last = h;
                    }
                }
                None => ends.push((h.code, h, h)),
            }
        }
        for (code, first, last) in ends {
            for h in [first, last] {
                let zoned = h.time_flags & TIME_ZONED != 0;
                if let Some(time) = TimeValue::from_key(h.time_seconds, h.time_nanos, zoned) {
                    counts.add_seen(code as CodeId, time, input, h.line + line_base);
                }
            }
        }
    }

    /// Bytes this batch holds on the heap: what the in-flight budget is charged.
    pub(crate) fn weight(&self) -> usize {
        self.hits.capacity() * std::mem::size_of::<StoredHit>()
            + self.text.capacity()
            + self.ids.capacity()
            + self.counts.weight()
            + self.formatted.iter().map(Formatted::weight).sum::<usize>()
    }

    /// Bytes of formatted text the batch holds (not its buffers' capacity: a recycled batch
    /// keeps the capacity of its busiest past, and judging by that would hand on every hit
    /// alone).
    pub(crate) fn formatted_len(&self) -> usize {
        self.formatted.iter().map(Formatted::len).sum()
    }

    /// Whether adding one hit with an excerpt of up to `excerpt_len` new bytes could make the
    /// batch weigh more than `limit` (counting the growth of its buffers, which double).
    pub(crate) fn would_outgrow(&self, excerpt_len: usize, limit: usize) -> bool {
        let hits = if self.hits.len() == self.hits.capacity() {
            (self.hits.capacity() * 2).max(4)
        } else {
            self.hits.capacity()
        };
        let need = self.text.len() + excerpt_len;
        let text = if need > self.text.capacity() {
            need.max(self.text.capacity() * 2)
        } else {
            self.text.capacity()
        };
        // An id adds at most MAX_REQUEST_ID bytes (and its buffer's growth).
        let ids = self
            .ids
            .capacity()
            .max(2 * (self.ids.len() + crate::limits::MAX_REQUEST_ID));
        hits * std::mem::size_of::<StoredHit>()
            + text
            + ids
            + self.counts.weight()
            + self.formatted_len()
            > limit
    }

    /// Adds a whole hit (read back from saved output by `cbscan report`), packed as a scan
    /// packs it: its excerpt copied into the text, its request id shared with the previous
    /// hit's when equal. Its line is taken as absolute (the batch is handed on with a line
    /// base of 0). Counts are left alone: the saved `end` record carries them.
    pub(crate) fn push_hit(&mut self, hit: &Hit<'_>) {
        let text_start = self.text.len() as u32;
        self.text.extend_from_slice(hit.excerpt.bytes);
        // A new span: nothing after this overlaps it (see `push_excerpt`).
        self.span = 0..0;
        let (request_start, request_len) = match hit.request {
            Some(id) => (
                self.push_id(id.as_bytes()),
                id.len().min(usize::from(u8::MAX)) as u8,
            ),
            None => (0, 0),
        };
        let (time_seconds, time_nanos, time_flags) = pack_time(hit.time);
        self.hits.push(StoredHit {
            line: hit.line,
            column: hit.column,
            byte_offset: hit.byte_offset,
            code: hit.code as u32,
            pattern: hit.pattern,
            text_start,
            text_len: hit.excerpt.bytes.len() as u32,
            hit_start: hit.excerpt.hit.start as u32,
            hit_len: hit.excerpt.hit.len() as u32,
            cut_before: hit.excerpt.cut_before,
            cut_after: hit.excerpt.cut_after,
            chars_before: hit.excerpt.chars_before.unwrap_or(UNKNOWN_CHARS),
            time_seconds,
            time_nanos,
            time_flags,
            request_start,
            request_len,
            event: hit.event,
        });
    }

    /// Empties the batch for the next hits, keeping its buffers.
    pub(crate) fn clear_hits(&mut self) {
        self.hits.clear();
        self.text.clear();
        self.ids.clear();
        self.last_id = 0;
        self.span = 0..0;
        self.span_text_start = 0;
    }

    /// Stores a request id, sharing the bytes of the previous one when equal (the hits of one
    /// request come together), and returns where it starts.
    pub(crate) fn push_id(&mut self, id: &[u8]) -> u32 {
        if self.ids.get(self.last_id..) == Some(id) && !self.ids.is_empty() {
            return self.last_id as u32;
        }
        self.last_id = self.ids.len();
        self.ids.extend_from_slice(id);
        self.last_id as u32
    }

    /// Copies the excerpt `haystack[range]` (absolute offset `haystack_offset + range.start`)
    /// into the text, sharing bytes with the previous excerpt when they overlap, and returns
    /// where it starts in the text.
    pub(crate) fn push_excerpt(
        &mut self,
        haystack: &[u8],
        haystack_offset: u64,
        range: Range<usize>,
    ) -> u32 {
        let start = haystack_offset + range.start as u64;
        let end = haystack_offset + range.end as u64;
        // Invariant: the haystack holds every byte from `start` on, so when the new excerpt
        // starts inside the previous span, the span's missing tail is in the haystack too.
        if !self.text.is_empty() && self.span.start <= start && start <= self.span.end {
            if end > self.span.end {
                let from = (self.span.end - haystack_offset) as usize;
                self.text.extend_from_slice(&haystack[from..range.end]);
                self.span.end = end;
            }
            (self.span_text_start + (start - self.span.start) as usize) as u32
        } else {
            self.span_text_start = self.text.len();
            self.text.extend_from_slice(&haystack[range]);
            self.span = start..end;
            self.span_text_start as u32
        }
    }
}

/// Batches the sink is done with, kept for workers to fill again: a dense scan then allocates
/// its batches once instead of growing and freeing a quarter-megabyte of buffers per batch
/// (with glibc's per-thread arenas that churn cost 3× the budget in memory at `-j16`).
pub(crate) struct Recycler {
    spare: Mutex<Vec<Batch>>,
    codes: usize,
}

impl Recycler {
    pub(crate) fn new(codes: usize) -> Recycler {
        Recycler {
            spare: Mutex::new(Vec::new()),
            codes,
        }
    }

    /// An empty batch, reused if one is spare.
    pub(crate) fn take(&self) -> Batch {
        let spare = self.spare.lock().unwrap_or_else(|p| p.into_inner()).pop();
        spare.unwrap_or_else(|| Batch::new(self.codes))
    }

    /// Keeps `batch` for reuse (emptied), unless enough are kept already.
    pub(crate) fn give(&self, mut batch: Batch) {
        let mut spare = self.spare.lock().unwrap_or_else(|p| p.into_inner());
        if spare.len() < RECYCLED_BATCHES && batch.counts.code_slots() == self.codes {
            batch.hits.clear();
            batch.text.clear();
            batch.ids.clear();
            batch.last_id = 0;
            batch.counts.clear();
            batch.formatted.iter_mut().for_each(Formatted::clear);
            batch.span = 0..0;
            batch.span_text_start = 0;
            spare.push(batch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_excerpts_share_their_bytes() {
        let line = b"aa CODE bb CODE cc";
        let mut batch = Batch::new(1);
        let first = batch.push_excerpt(line, 100, 0..10);
        let second = batch.push_excerpt(line, 100, 4..18);
        assert_eq!((first, second), (0, 4));
        assert_eq!(batch.text, line.to_vec(), "each byte stored once");
        // Not overlapping: a new span.
        let third = batch.push_excerpt(b"zz", 500, 0..2);
        assert_eq!(third, 18);
        assert_eq!(&batch.text[18..], b"zz");
    }
}
