//! Scanning a byte stream (stdin, a pipe, a small file) block by block, in bounded memory
//! whatever the line length.
//!
//! The buffer holds the bytes not yet scanned plus a little already-scanned context: at least
//! [`EXCERPT_RADIUS`] bytes before the next window (for look-behind and excerpts). Each window
//! ends after the last complete line in the buffer; when a line is longer than the buffer, the
//! window instead stops `max_len + 1 + EXCERPT_RADIUS` bytes short of the buffer's end, so
//! every hit in it can be finished, its end boundary checked and its excerpt cut exactly as
//! when the whole input is in memory (the region module's contract).

use std::io::{self, Read};

use memchr::memrchr;

use super::region::{scan_region, LineCursor, RegionOutput, EXCERPT_RADIUS};
use super::{Hit, InputStats, ScanSpec};
use crate::summary::Summary;

/// Bytes of scanned context kept before the next window.
const KEEP_BEFORE: usize = EXCERPT_RADIUS + 64;

/// One batch of a stream's results: hits with line numbers counted from the batch's start.
pub(super) struct Batch {
    pub hits: Vec<Hit>,
    pub summary: Summary,
    pub newlines: u64,
}

/// Scans `reader` to its end, handing results to `on_batch` as they accumulate. The reader's
/// first byte is at offset `base` of the input and starts a line. Returns the bytes read and
/// their line count, or the read error that stopped it (batches already handed on
/// stay valid).
pub(super) fn scan_reader(
    spec: ScanSpec<'_>,
    block_size: usize,
    base: u64,
    mut reader: impl Read,
    scratch: &mut Vec<u8>,
    on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
) -> io::Result<InputStats> {
    let codes = spec.codes;
    let lookahead = spec.matcher.max_len() + 1 + EXCERPT_RADIUS;
    // A block must leave room for a window after the look-ahead, or a long line never moves.
    let block_size = block_size.max(2 * lookahead + 1);
    // The caller's buffer is reused from input to input: zeroing a fresh one per small file
    // costs more than scanning it.
    if scratch.len() < block_size + KEEP_BEFORE {
        scratch.resize(block_size + KEEP_BEFORE, 0);
    }
    let buffer = scratch;
    let mut filled = 0usize; // buffer[..filled] holds input
    let mut buffer_offset: u64 = base; // absolute offset of buffer[0]; the reader starts at a line start
    let mut from = 0usize; // next window start, in the buffer
    let mut resume = 0usize; // no hit may start before this (the last hit's end)
    let mut cursor = LineCursor {
        newlines: 0,
        line_start: base,
    };
    let mut batch_base_newlines = 0u64;
    let mut out = RegionOutput {
        hits: Vec::new(),
        summary: Summary::new(codes),
    };
    let mut total_bytes = 0u64;
    let mut last_byte = None;
    let mut eof = false;
    loop {
        // One read per round: a pipe gives what it has, and hits in it go out now rather than
        // when the block fills (`tail -f app.log | cbscan scan`). Files fill whole blocks.
        if !eof && filled < from + block_size {
            match reader.read(&mut buffer[filled..from + block_size]) {
                Ok(0) => eof = true,
                Ok(n) => {
                    filled += n;
                    total_bytes += n as u64;
                    last_byte = Some(buffer[filled - 1]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    hand_on(
                        &mut out,
                        &mut cursor,
                        &mut batch_base_newlines,
                        codes,
                        on_batch,
                    )?;
                    return Err(e);
                }
            }
        }
        let data = &buffer[..filled];
        let to = if eof {
            filled
        } else {
            match memrchr(b'\n', &data[from..]) {
                Some(i) => from + i + 1,
                None => filled.saturating_sub(lookahead).max(from),
            }
        };
        let start = from.max(resume);
        if start < to {
            resume = scan_region(spec, data, buffer_offset, start..to, &mut cursor, &mut out);
        }
        // Bytes between `from` and `start` belong to the previous hit, which holds no newline.
        resume = resume.max(to);
        from = to;
        if eof {
            break;
        }
        if !out.hits.is_empty() {
            hand_on(
                &mut out,
                &mut cursor,
                &mut batch_base_newlines,
                codes,
                on_batch,
            )?;
        }
        let keep_from = from.saturating_sub(KEEP_BEFORE);
        buffer.copy_within(keep_from..filled, 0);
        filled -= keep_from;
        buffer_offset += keep_from as u64;
        from -= keep_from;
        resume -= keep_from;
    }
    hand_on(
        &mut out,
        &mut cursor,
        &mut batch_base_newlines,
        codes,
        on_batch,
    )?;
    let newlines = batch_base_newlines;
    Ok(InputStats {
        bytes: total_bytes,
        lines: newlines + u64::from(last_byte.is_some_and(|b| b != b'\n')),
    })
}

/// Hands the gathered hits on as one batch and starts the next batch's line count at zero.
fn hand_on(
    out: &mut RegionOutput,
    cursor: &mut LineCursor,
    batch_base_newlines: &mut u64,
    codes: usize,
    on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
) -> io::Result<()> {
    let batch = Batch {
        hits: std::mem::take(&mut out.hits),
        summary: std::mem::replace(&mut out.summary, Summary::new(codes)),
        newlines: cursor.newlines,
    };
    *batch_base_newlines += cursor.newlines;
    cursor.newlines = 0;
    on_batch(batch)
}
