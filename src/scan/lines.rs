//! The resumable line scanner: fed bytes a piece at a time (from a file, a pipe, a chunk, a
//! followed log), it scans every complete line and hands on batches of hits, in bounded memory
//! whatever the line length. Its state between feeds is a plain value ([`Resume`]) that can be
//! taken out and put back, so a later read, or a later process, continues exactly where it
//! stopped.
//!
//! # Invariants
//! - `buf[..filled]` holds input bytes from absolute offset `base`.
//! - `buf[..scanned]` has been scanned (windows end there); no hit may start before `resume`.
//! - Windows end right after a line break, so a line is scanned only once it is complete:
//!   appending to an unterminated last line can turn `SYS_ERR` into `SYS_ERR2`, and a hit
//!   reported early would have been false. A line longer than the buffer is the exception
//!   (memory stays bounded): its bytes are scanned up to `max_len + 1 + EXCERPT_RADIUS` short of
//!   what has arrived, so every hit in that stretch is complete, its end boundary is known and
//!   its excerpt is whole — exactly as if the whole input were in memory (the region module's
//!   contract).
//! - Bytes before `scanned` are kept only as context: from the current line's start, or at most
//!   [`KEEP_BEFORE`] bytes of it (look-behind and excerpts need no more).

use std::io::{self, Read};

use memchr::memrchr;

use std::sync::Arc;

use super::batch::{Batch, Recycler};
use super::event::Carry;
use super::region::{scan_region, Formatting, LineCodes, LineCursor, Out};
use super::{InputStats, ScanSpec};
use crate::limits::{EXCERPT_RADIUS, FIELD_LOOKBACK};
use crate::matcher::MAX_LOOK_BEHIND;
use crate::text::{char_start_forward, count_chars};

/// Bytes of already-scanned context kept before the next window inside a long line.
const KEEP_BEFORE: usize = EXCERPT_RADIUS + MAX_LOOK_BEHIND + 64;

/// What to do with an unterminated last line when the scan ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The input has ended: scan the last line even without its line break (files, pipes).
    Final,
    /// More may come (a followed log): hold the unterminated line back, in the resume state.
    Pending,
}

/// Where a line scanner stands, as a value: enough to continue exactly, in this process or
/// another. At a line boundary `pending` is the unterminated line read so far and `base`,
/// `scanned` and `line_start` are equal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resume {
    /// Absolute offset of `pending[0]`: the input read so far ends at `base + pending.len()`.
    pub base: u64,
    /// Absolute offset up to which the input has been scanned.
    pub scanned: u64,
    /// No hit may start before this absolute offset (the end of the last hit).
    pub resume: u64,
    /// Absolute offset of the start of the current line.
    pub line_start: u64,
    /// Line breaks before `scanned`, since the scanner's origin (line numbers are this + 1).
    pub newlines: u64,
    /// Bytes read but not yet scanned, with the context before them.
    pub pending: Vec<u8>,
    /// Codes already counted on the current line (line `newlines + 1`), when the scan stopped
    /// inside a line longer than the buffer: that line is not counted twice for them.
    pub line_codes: Vec<u32>,
    /// A place on the current line (`line_start <= mark`, a char boundary) whose characters
    /// from the line start are counted in `mark_chars`: what a hit's character column is
    /// counted from when its line started before the bytes still held.
    pub mark: u64,
    /// Characters in `line_start..mark`.
    pub mark_chars: u64,
}

impl Resume {
    /// The state at absolute offset `offset`, which starts a line, after `newlines` line
    /// breaks (`Resume::at(0, 0)` is the start of an input).
    pub fn at(offset: u64, newlines: u64) -> Resume {
        Resume {
            base: offset,
            scanned: offset,
            resume: offset,
            line_start: offset,
            newlines,
            pending: Vec::new(),
            line_codes: Vec::new(),
            mark: offset,
            mark_chars: 0,
        }
    }

    /// Absolute offset of the end of what has been read.
    pub fn end(&self) -> u64 {
        self.base + self.pending.len() as u64
    }
}

/// Scans lines as bytes arrive. See the module documentation.
pub struct LineScanner<'s> {
    spec: ScanSpec<'s>,
    recycler: Arc<Recycler>,
    buf: Vec<u8>,
    filled: usize,
    base: u64,
    scanned: usize,
    resume: usize,
    cursor: LineCursor,
    /// Capacity of `buf` in use; reads never go past it.
    capacity: usize,
    /// Bytes after a window a long line's window must leave unscanned.
    lookahead: usize,
    /// The batch being filled.
    batch: Batch,
    /// Bytes fed since this scanner was created.
    fed: u64,
    /// The last byte fed, to count an unterminated last line.
    last_byte: Option<u8>,
    /// Where the scanner started, for the statistics it reports.
    origin_newlines: u64,
    /// Whether the last finish held an unterminated line back.
    held_back: bool,
    /// The codes on the line of the last hit.
    line_codes: LineCodes,
    /// Formatters to run on each hit, if the sinks gave any.
    formatting: Option<Formatting<'s>>,
    /// What hit lines inherit from the lines before them (when fields are extracted).
    carry: Carry,
}

impl Drop for LineScanner<'_> {
    fn drop(&mut self) {
        // An unused batch (an input without hits) goes back for the next input.
        let batch = std::mem::replace(&mut self.batch, Batch::new(0));
        self.recycler.give(batch);
    }
}

/// What reading an input to its end gave.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// What was read and scanned.
    pub stats: InputStats,
    /// The read error that stopped it, if any.
    pub error: Option<io::Error>,
    /// Whether an unterminated last line was left unscanned.
    pub held_back: bool,
}

impl<'s> LineScanner<'s> {
    /// A scanner reading into `buffer` (a previous scanner's, so that a worker scanning
    /// thousands of small files does not allocate and zero a block for each).
    pub(crate) fn new(
        spec: ScanSpec<'s>,
        recycler: Arc<Recycler>,
        block_size: usize,
        start: Resume,
        buffer: Vec<u8>,
    ) -> Self {
        let lookahead = spec.matcher.max_len() + 1 + EXCERPT_RADIUS;
        // A block must leave room for a window after the look-ahead, or a long line never moves.
        let block_size = block_size.max(2 * lookahead + 1);
        // Extracting fields keeps up to FIELD_LOOKBACK bytes of scanned text (see `keep_from`).
        let kept = if spec.fields.is_some() {
            KEEP_BEFORE.max(FIELD_LOOKBACK + 1)
        } else {
            KEEP_BEFORE
        };
        let capacity = block_size + kept;
        let batch = recycler.take();
        let mut scanner = LineScanner {
            spec,
            recycler,
            buf: buffer,
            filled: 0,
            base: start.base,
            scanned: 0,
            resume: 0,
            cursor: if start.mark >= start.line_start {
                LineCursor {
                    newlines: start.newlines,
                    line_start: start.line_start,
                    mark: start.mark,
                    mark_chars: start.mark_chars,
                }
            } else {
                LineCursor::at(start.newlines, start.line_start)
            },
            capacity: capacity.max(start.pending.len() + block_size),
            lookahead,
            batch,
            fed: 0,
            last_byte: start.pending.last().copied(),
            origin_newlines: start.newlines,
            held_back: false,
            line_codes: LineCodes::resumed(start.newlines + 1, start.line_codes),
            formatting: None,
            carry: Carry::starting_at(start.base),
        };
        scanner.reserve();
        scanner.buf[..start.pending.len()].copy_from_slice(&start.pending);
        scanner.filled = start.pending.len();
        scanner.scanned = (start.scanned - start.base) as usize;
        scanner.resume = start.resume.saturating_sub(start.base) as usize;
        scanner
    }

    /// Runs `formatting`'s formatters on every hit, as it is found.
    pub(crate) fn formatting(mut self, formatting: Option<Formatting<'s>>) -> Self {
        self.formatting = formatting;
        self
    }

    /// Bytes fed since this scanner was created, and line breaks scanned since its input's
    /// start: what a live input counts as read so far.
    pub(crate) fn progress(&self) -> (u64, u64) {
        (self.fed, self.cursor.newlines)
    }

    /// Where this scanner stands, without ending it: the state [`LineScanner::finish`] with
    /// [`Finish::Pending`] would return, after handing on the hits found so far (a
    /// checkpoint of a followed log).
    pub fn checkpoint(
        &mut self,
        on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
    ) -> io::Result<Resume> {
        self.finish_in_place(Finish::Pending, on_batch)
            .map(|(_, state)| state)
    }

    fn reserve(&mut self) {
        if self.buf.len() < self.capacity {
            self.buf.resize(self.capacity, 0);
        }
    }

    /// Feeds `data`, handing on hits of every line it completes.
    pub fn feed(
        &mut self,
        mut data: &[u8],
        on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
    ) -> io::Result<()> {
        while !data.is_empty() {
            self.compact();
            let room = self.capacity - self.filled;
            let n = room.min(data.len());
            self.buf[self.filled..self.filled + n].copy_from_slice(&data[..n]);
            self.arrived(n);
            data = &data[n..];
            self.scan_complete_lines(on_batch)?;
        }
        Ok(())
    }

    /// Reads once from `reader` (whatever it has: a pipe's hits go out as soon as their line
    /// arrives), then scans the lines it completed. Returns the bytes read; 0 is the end of
    /// the input.
    pub fn fill_from(
        &mut self,
        reader: &mut dyn Read,
        on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
    ) -> io::Result<usize> {
        self.compact();
        let n = loop {
            match reader.read(&mut self.buf[self.filled..self.capacity]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n > 0 {
            self.arrived(n);
            self.scan_complete_lines(on_batch)?;
        }
        Ok(n)
    }

    /// Reads `reader` to its end and finishes as [`Finish::Final`]. On a read error, the hits
    /// of the lines completed before it have been handed on; the error is returned.
    pub fn scan_to_end(
        mut self,
        reader: &mut dyn Read,
        on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
    ) -> io::Result<InputStats> {
        match self.read_to_end(reader, on_batch, &|| Finish::Final) {
            (stats, None) => Ok(stats),
            (_, Some(error)) => Err(error),
        }
    }

    /// Reads `reader` to its end, then finishes as `at_end` says (asked only then: whether a
    /// file grew is known only once its end is read), and gives its buffer back for the next
    /// scanner. A read error stops the reading: the complete lines read before it are scanned
    /// and counted (an unterminated line before the damage may be cut short, so it is not),
    /// and the error is returned beside what was read.
    pub(crate) fn scan_to_end_recycling(
        mut self,
        reader: &mut dyn Read,
        on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
        at_end: &dyn Fn() -> Finish,
        recycle: &mut Vec<u8>,
    ) -> Scanned {
        let (stats, error) = self.read_to_end(reader, on_batch, at_end);
        *recycle = std::mem::take(&mut self.buf);
        Scanned {
            stats,
            error,
            held_back: self.held_back,
        }
    }

    fn read_to_end(
        &mut self,
        reader: &mut dyn Read,
        on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
        at_end: &dyn Fn() -> Finish,
    ) -> (InputStats, Option<io::Error>) {
        let mut failed = None;
        loop {
            match self.fill_from(reader, on_batch) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) => {
                    failed = Some(error);
                    break;
                }
            }
        }
        let how = if failed.is_some() {
            Finish::Pending
        } else {
            at_end()
        };
        match self.finish_in_place(how, on_batch) {
            Ok((stats, state)) => {
                self.held_back = !state.pending[(state.scanned - state.base) as usize..].is_empty();
                (stats, failed)
            }
            // The receiver stopped taking batches: the scan is over, counts no longer matter.
            Err(error) => (InputStats::default(), Some(failed.unwrap_or(error))),
        }
    }

    /// Ends this scanner: with [`Finish::Final`] the unterminated last line is scanned, with
    /// [`Finish::Pending`] it is held back in the returned state. Hands on the last batch
    /// (hits and counts), and returns what was read and where to resume.
    pub fn finish(
        mut self,
        how: Finish,
        on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
    ) -> io::Result<(InputStats, Resume)> {
        self.finish_in_place(how, on_batch)
    }

    fn finish_in_place(
        &mut self,
        how: Finish,
        on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
    ) -> io::Result<(InputStats, Resume)> {
        if how == Finish::Final {
            let to = self.filled;
            self.scan_window(to, on_batch)?;
        }
        self.hand_on(on_batch)?;
        // The last line may have been fed to an earlier scanner and handed over as `pending`.
        let unterminated = how == Finish::Final && self.last_byte.is_some_and(|b| b != b'\n');
        let stats = InputStats {
            bytes: self.fed,
            lines: self.cursor.newlines - self.origin_newlines + u64::from(unterminated),
        };
        // A saved state keeps only what the scan itself needs: after a restart, inheritance
        // starts afresh (a checkpoint of a followed log stays small).
        let keep = self.scan_keep_from().min(self.filled);
        self.save_mark(keep);
        let state = Resume {
            base: self.base + keep as u64,
            scanned: self.base + self.scanned as u64,
            resume: self.base + self.resume.max(self.scanned) as u64,
            line_start: self.cursor.line_start,
            newlines: self.cursor.newlines,
            pending: self.buf[keep..self.filled].to_vec(),
            line_codes: self.line_codes.on_line(self.cursor.newlines + 1).to_vec(),
            mark: self.cursor.mark,
            mark_chars: self.cursor.mark_chars,
        };
        Ok((stats, state))
    }

    fn arrived(&mut self, n: usize) {
        self.filled += n;
        self.fed += n as u64;
        self.last_byte = Some(self.buf[self.filled - 1]);
    }

    /// Scans up to the end of the last complete line, or, in a line longer than the buffer,
    /// up to the look-ahead before the end.
    fn scan_complete_lines(
        &mut self,
        on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
    ) -> io::Result<()> {
        let to = match memrchr(b'\n', &self.buf[self.scanned..self.filled]) {
            Some(i) => self.scanned + i + 1,
            None if self.filled == self.capacity => {
                self.filled.saturating_sub(self.lookahead).max(self.scanned)
            }
            None => self.scanned,
        };
        self.scan_window(to, on_batch)?;
        // A pipe's hits go out now, not when the block fills (`tail -f app.log | cbscan`).
        if self.batch.is_empty() {
            Ok(())
        } else {
            self.hand_on(on_batch)
        }
    }

    fn scan_window(
        &mut self,
        to: usize,
        on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
    ) -> io::Result<()> {
        let start = self.scanned.max(self.resume);
        let spec = self.spec;
        let mut out = Out {
            // A placeholder without counts costs no allocation; the batch comes back below.
            batch: std::mem::replace(&mut self.batch, Batch::new(0)),
            recycler: &self.recycler,
            on_batch,
            failed: None,
            line_codes: &mut self.line_codes,
            formatting: self.formatting,
            carry: &mut self.carry,
        };
        if start < to {
            self.resume = scan_region(
                spec,
                &self.buf[..self.filled],
                self.base,
                start..to,
                &mut self.cursor,
                &mut out,
            );
        }
        // Bytes between `scanned` and `start` belong to the previous hit, which holds no
        // line break.
        self.resume = self.resume.max(to);
        self.scanned = self.scanned.max(to);
        self.batch = out.batch;
        match out.failed {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Hands the batch being filled on, if it holds anything.
    fn hand_on(&mut self, on_batch: &mut dyn FnMut(Batch) -> io::Result<()>) -> io::Result<()> {
        if self.batch.is_blank() {
            return Ok(());
        }
        let fresh = self.recycler.take();
        on_batch(std::mem::replace(&mut self.batch, fresh))
    }

    /// The first byte the scan still needs: the current line's start, or context before
    /// `scanned`.
    fn scan_keep_from(&self) -> usize {
        let line_start = self.cursor.line_start.saturating_sub(self.base) as usize;
        line_start.max(self.scanned.saturating_sub(KEEP_BEFORE))
    }

    /// The first byte still needed: what the scan needs, and, when fields are extracted, the
    /// lines later hits may inherit from (at most FIELD_LOOKBACK + 1 bytes before `scanned`).
    fn keep_from(&self) -> usize {
        let scan = self.scan_keep_from();
        if self.spec.fields.is_none() {
            return scan;
        }
        let fields = self
            .carry
            .keep_from(self.base + self.scanned as u64)
            .saturating_sub(self.base) as usize;
        scan.min(fields)
    }

    /// Counts the characters of the current line that are about to be dropped (the buffer's
    /// bytes before `keep`), so that a hit further on a line longer than the buffer still
    /// knows its character column. Only lines that long pay for it.
    fn save_mark(&mut self, keep: usize) {
        let Some(mark) = self.cursor.mark.checked_sub(self.base) else {
            return;
        };
        let mark = mark as usize;
        if mark >= keep {
            return;
        }
        // Invariant: no line break lies in `mark..keep` (the mark is on the current line and
        // `keep` is at most `scanned`); stepping over continuation bytes to a char start
        // crosses none either.
        let to = char_start_forward(&self.buf, keep, self.filled);
        self.cursor.mark_chars += count_chars(&self.buf[mark..to]);
        self.cursor.mark = self.base + to as u64;
    }

    /// Resolves the fields of the current line before its start is dropped (`keep` is past
    /// it): a hit further on a line longer than the buffer then gets the fields of the line's
    /// start, as it would had the whole line been held. Only lines that long pay for it.
    fn resolve_dropped_line(&mut self, keep: usize) {
        let Some(ex) = self.spec.fields else {
            return;
        };
        let line_start = self.cursor.line_start;
        if line_start < self.base
            || line_start >= self.base + keep as u64
            || self.carry.knows(line_start)
        {
            return;
        }
        self.carry
            .resolve(ex, &self.buf[..self.filled], self.base, line_start);
    }

    /// Drops the bytes no longer needed, making room at the end of the buffer.
    fn compact(&mut self) {
        self.reserve();
        let keep = self.keep_from().min(self.filled);
        if keep == 0 {
            return;
        }
        self.save_mark(keep);
        self.resolve_dropped_line(keep);
        self.buf.copy_within(keep..self.filled, 0);
        self.filled -= keep;
        self.scanned -= keep;
        self.resume = self.resume.saturating_sub(keep);
        self.base += keep as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::scan::{OwnedHit, ScanOptions, Scanner};

    fn scanner() -> Scanner {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        Scanner::for_catalog(&catalog, ScanOptions::default())
    }

    /// Feeds `pieces` one after another, then finishes as `how`.
    fn run(
        scanner: &Scanner,
        start: Resume,
        pieces: &[&[u8]],
        how: Finish,
    ) -> (Vec<OwnedHit>, InputStats, Resume) {
        let mut hits = Vec::new();
        let mut keep = |batch: Batch| {
            hits.extend(batch.hits(0).map(|h| h.to_owned()));
            Ok(())
        };
        let mut lines = scanner.line_scanner(start);
        for piece in pieces {
            lines
                .feed(piece, &mut keep)
                .expect("collecting never fails");
        }
        let (stats, state) = lines
            .finish(how, &mut keep)
            .expect("collecting never fails");
        (hits, stats, state)
    }

    fn located(hits: &[OwnedHit]) -> Vec<(u64, u64, u64)> {
        hits.iter()
            .map(|h| (h.line, h.column, h.byte_offset))
            .collect()
    }

    #[test]
    fn the_end_of_a_file_ends_its_last_line() {
        let (hits, stats, _) = run(
            &scanner(),
            Resume::at(0, 0),
            &[b"boot ok\nlast SYS_ERR"],
            Finish::Final,
        );
        assert_eq!(located(&hits), vec![(2, 6, 13)]);
        assert_eq!((stats.bytes, stats.lines), (20, 2));
    }

    #[test]
    fn a_pending_last_line_is_held_back_until_its_newline() {
        let scanner = scanner();
        let (hits, stats, state) = run(
            &scanner,
            Resume::at(0, 0),
            &[b"boot ok\nlast SYS_ERR"],
            Finish::Pending,
        );
        assert!(hits.is_empty(), "nothing from the unterminated line");
        assert_eq!((stats.bytes, stats.lines), (20, 1));
        assert_eq!(state.pending, b"last SYS_ERR");
        assert_eq!((state.base, state.newlines, state.end()), (8, 1, 20));

        // `printf '2\n' >>`: the line was `SYS_ERR2`, never a hit.
        let (hits, _, state) = run(&scanner, state.clone(), &[b"2\n"], Finish::Pending);
        assert!(hits.is_empty(), "SYS_ERR2 is not a hit: {hits:?}");
        assert_eq!(state, Resume::at(22, 2));

        // Had a newline come instead, the hit would have been reported, where it is.
        let (_, _, held) = run(
            &scanner,
            Resume::at(0, 0),
            &[b"boot ok\nlast SYS_ERR"],
            Finish::Pending,
        );
        let (hits, _, _) = run(&scanner, held, &[b"\n"], Finish::Pending);
        assert_eq!(located(&hits), vec![(2, 6, 13)]);
        assert_eq!(hits[0].excerpt, b"last SYS_ERR");
    }

    /// Feeds a line of 3 blocks, 1000 bytes at a time: the hits reported and what is held.
    fn long_line(scanner: &Scanner) -> (usize, usize, Resume) {
        let mut line = Vec::new();
        while line.len() < 3 * crate::limits::BLOCK_SIZE {
            line.extend_from_slice(b"x SYS_ERR ");
        }
        let mut lines = scanner.line_scanner(Resume::at(0, 0));
        let mut count = 0;
        for piece in line.chunks(1000) {
            lines
                .feed(piece, &mut |batch| {
                    count += batch.len();
                    Ok(())
                })
                .expect("counting never fails");
        }
        let (_, state) = lines
            .finish(Finish::Pending, &mut |batch| {
                count += batch.len();
                Ok(())
            })
            .expect("counting never fails");
        (line.len(), count, state)
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_scanned_in_bounded_memory() {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let options = ScanOptions {
            fields: false,
            ..ScanOptions::default()
        };
        let (len, count, state) = long_line(&Scanner::for_catalog(&catalog, options));
        // All but the last stretch was scanned; what is held is at most one buffer, not the
        // whole 768 KiB line.
        assert!(count > len / 10 - 100, "{count} hits reported");
        let buffer = crate::limits::BLOCK_SIZE + KEEP_BEFORE;
        assert!(state.pending.len() <= buffer, "{}", state.pending.len());
    }

    #[test]
    fn fields_keep_a_bounded_lookback_on_a_long_line() {
        // With fields, the buffer also keeps FIELD_LOOKBACK bytes of scanned text: the line
        // is scanned as it fills, and what is held stays within one (larger) buffer.
        let (len, count, state) = long_line(&scanner());
        let buffer = crate::limits::BLOCK_SIZE + KEEP_BEFORE.max(FIELD_LOOKBACK + 1);
        assert!(count * 10 >= len - buffer, "{count} hits reported");
        assert!(state.pending.len() <= buffer, "{}", state.pending.len());
    }
}
