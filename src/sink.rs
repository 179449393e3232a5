//! The contract between a scan and its outputs (Sink v2): the events a scan produces, in input
//! order, and the ways to consume them — [`Tee`] (one scan, many reports), [`Collect`] (keep
//! every hit) and [`Discard`].
//!
//! Events, per input: `begin_input`, then `hits` (batches), `notice`s, then exactly one
//! `end_input` (with the input's counts, or the error that stopped it); at the end of the scan,
//! `finish` with the summary. Writers get the input's display name and its real path bytes;
//! code facts come from the catalog, so no writer needs the matcher.
//!
//! A writer that can format hits on its own may hand the scan a [`FormatHits`]: the workers
//! then format each batch into bytes as they scan (as ripgrep's workers each format into their
//! own buffer), and the writer only copies those bytes out, in order, adding line numbers.

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::scan::batch::{Batch, StoredHit};
use crate::scan::{Hit, InputStats, Notice, OwnedHit};
use crate::summary::{Counts, Summary};

/// An input as writers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputInfo {
    /// Position of the input in the scan (0-based).
    pub index: usize,
    /// The name to show (`<stdin>` for standard input; lossy for a path that is not UTF-8).
    pub name: String,
    /// The path as given or found, when the input is a file.
    pub path: Option<PathBuf>,
}

impl InputInfo {
    /// The path's bytes as the operating system has them (the name's bytes when there is no
    /// path): what a lossless output records.
    pub fn path_bytes(&self) -> Cow<'_, [u8]> {
        match &self.path {
            Some(path) => Cow::Borrowed(path.as_os_str().as_encoded_bytes()),
            None => Cow::Borrowed(self.name.as_bytes()),
        }
    }

    /// The path's bytes when they differ from the name's (a name made lossy).
    pub fn distinct_path_bytes(&self) -> Option<Vec<u8>> {
        let bytes = self.path_bytes();
        (*bytes != *self.name.as_bytes()).then(|| bytes.into_owned())
    }
}

/// How an input ended.
#[derive(Debug)]
pub struct InputEnd<'a> {
    /// What was read.
    pub stats: InputStats,
    /// Its counts (hits, lines with hits, per code; `files()` is 1 when read to the end).
    pub counts: &'a Counts,
    /// The error that stopped it, if one did.
    pub error: Option<&'a Error>,
}

/// How the scan ended.
#[derive(Debug)]
pub struct ScanDone<'a> {
    /// The totals and the per-input table.
    pub summary: &'a Summary,
    /// Time from the start of the scan.
    pub elapsed: Duration,
}

/// Receives what a scan finds, in input order, on the thread that started the scan.
///
/// An `Err` from any method stops the scan; the driver still returns what was counted until
/// then.
pub trait Sink {
    /// Whether this sink needs hits (with their excerpts). When no sink does, the scan only
    /// counts, storing nothing per hit.
    fn wants_hits(&self) -> bool {
        true
    }
    /// Formatters the workers should run on each batch. `first_slot` is the slot the first of
    /// them will have in [`Hits::preformatted`]; a sink remembers its slots.
    fn formatters(&mut self, _first_slot: usize) -> Vec<Arc<dyn FormatHits>> {
        Vec::new()
    }
    /// An input starts.
    fn begin_input(&mut self, _input: &InputInfo) -> io::Result<()> {
        Ok(())
    }
    /// Hits of `input`, in order.
    fn hits(&mut self, input: &InputInfo, hits: &Hits<'_>) -> io::Result<()>;
    /// Something to tell about `input` (it changed while it was scanned, ...).
    fn notice(&mut self, _input: &InputInfo, _notice: &Notice) -> io::Result<()> {
        Ok(())
    }
    /// An input ended: read to its end, or stopped by an error.
    fn end_input(&mut self, _input: &InputInfo, _end: &InputEnd<'_>) -> io::Result<()> {
        Ok(())
    }
    /// The scan is about to wait for more of a live input (a pipe): make what was written
    /// so far visible, so each hit shows up when its line arrives, without a flush per hit.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Progress: `done` of `total` known bytes have been scanned.
    fn progress(&mut self, _done: u64, _total: u64) {}
    /// The running summary of a scan that goes on (`follow --summary-interval`): writers that
    /// print a summary print this one too, marked as not final.
    fn interim(&mut self, _done: &ScanDone<'_>) -> io::Result<()> {
        Ok(())
    }
    /// The scan is over (also after a sink stopped it early).
    fn finish(&mut self, _done: &ScanDone<'_>) -> io::Result<()> {
        Ok(())
    }
}

/// Formats hits into bytes on the scan's worker threads. Implementations must produce exactly
/// the bytes the writer would produce itself for the same hits, so output does not depend on
/// where formatting ran.
pub trait FormatHits: Send + Sync {
    /// Appends `hit` of `input` to `out`. The hit's line number is relative to the part of the
    /// input being scanned: call [`Formatted::line_here`] where the line number goes (at most
    /// once), and the absolute number is put there when the bytes are written out.
    fn format(&self, input: &InputInfo, hit: &Hit<'_>, out: &mut Formatted);
}

/// One hit's place in a [`Formatted`] buffer.
#[derive(Debug, Clone, Copy)]
struct Piece {
    /// Where the line number goes (`u32::MAX`: nowhere).
    line_at: u32,
    /// Where the hit's bytes end.
    end: u32,
}

/// Hits formatted by a worker, with room for line numbers.
#[derive(Debug, Default)]
pub struct Formatted {
    bytes: Vec<u8>,
    pieces: Vec<Piece>,
    line_at: u32,
    /// Bytes a formatter may keep per input (a JSON path, say), valid for `scratch_input`.
    pub scratch: Vec<u8>,
    /// The input `scratch` was made for.
    pub scratch_input: Option<usize>,
    /// Room for a formatter's text (kept, so formatting does not allocate per hit).
    pub text: String,
}

impl Formatted {
    /// The buffer to append a hit's bytes to.
    pub fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Marks where the line number goes.
    pub fn line_here(&mut self) {
        self.line_at = self.bytes.len() as u32;
    }

    pub(crate) fn begin_hit(&mut self) {
        self.line_at = u32::MAX;
    }

    pub(crate) fn end_hit(&mut self) {
        self.pieces.push(Piece {
            line_at: self.line_at,
            end: self.bytes.len() as u32,
        });
    }

    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.pieces.clear();
        self.scratch_input = None;
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn weight(&self) -> usize {
        self.bytes.capacity()
            + self.pieces.capacity() * std::mem::size_of::<Piece>()
            + self.scratch.capacity()
            + self.text.capacity()
    }
}

/// A batch of hits of one input, as handed to a sink: the hits themselves, and what each
/// worker-side formatter made of them.
pub struct Hits<'a> {
    batch: &'a Batch,
    line_base: u64,
    /// The hits of the batch handed on (a `--max-hits` limit may stop short of the end).
    take: usize,
}

impl<'a> Hits<'a> {
    pub(crate) fn new(batch: &'a Batch, line_base: u64, take: usize) -> Hits<'a> {
        Hits {
            batch,
            line_base,
            take: take.min(batch.hits.len()),
        }
    }

    /// Number of hits.
    pub fn len(&self) -> usize {
        self.take
    }

    /// Whether there is no hit.
    pub fn is_empty(&self) -> bool {
        self.take == 0
    }

    /// The hits, with absolute line numbers.
    pub fn iter(&self) -> impl Iterator<Item = Hit<'a>> + 'a {
        self.batch.hits(self.line_base).take(self.take)
    }

    /// The bytes the formatter in `slot` made, if the workers ran it.
    pub fn preformatted(&self, slot: usize) -> Option<Preformatted<'a>> {
        let formatted = self.batch.formatted.get(slot)?;
        // Formatters run on every hit of a batch, or on none of them.
        (formatted.pieces.len() == self.batch.hits.len()).then_some(Preformatted {
            formatted,
            hits: &self.batch.hits[..self.take],
            line_base: self.line_base,
        })
    }
}

/// Bytes formatted by workers, to be written out with their line numbers.
pub struct Preformatted<'a> {
    formatted: &'a Formatted,
    hits: &'a [StoredHit],
    line_base: u64,
}

impl Preformatted<'_> {
    /// Writes the hits' bytes, skipping the first `skip` bytes of the first hit (a separator
    /// that only goes between hits).
    pub fn write_to(&self, out: &mut dyn Write, skip: usize) -> io::Result<()> {
        let bytes = &self.formatted.bytes;
        let mut numbers = itoa::Buffer::new();
        let mut start = skip;
        for (piece, hit) in self.formatted.pieces.iter().zip(self.hits) {
            let end = piece.end as usize;
            if piece.line_at != u32::MAX {
                let at = piece.line_at as usize;
                out.write_all(&bytes[start..at])?;
                out.write_all(numbers.format(hit.line + self.line_base).as_bytes())?;
                start = at;
            }
            out.write_all(&bytes[start..end])?;
            start = end;
        }
        Ok(())
    }
}

/// Formats one hit with `format` and writes it out at once (for a writer that formats on the
/// thread that writes, with exactly the bytes a worker would have made).
pub fn format_now(
    format: &dyn FormatHits,
    input: &InputInfo,
    hit: &Hit<'_>,
    scratch: &mut Formatted,
    out: &mut dyn Write,
) -> io::Result<()> {
    scratch.bytes.clear();
    scratch.pieces.clear();
    scratch.begin_hit();
    format.format(input, hit, scratch);
    scratch.end_hit();
    let piece = scratch.pieces[0];
    match piece.line_at {
        u32::MAX => out.write_all(&scratch.bytes),
        at => {
            let at = at as usize;
            out.write_all(&scratch.bytes[..at])?;
            out.write_all(itoa::Buffer::new().format(hit.line).as_bytes())?;
            out.write_all(&scratch.bytes[at..])
        }
    }
}

/// A writer a [`Tee`] feeds: a sink with a destination, for error messages.
pub trait Report: Sink {
    /// Where this report goes (`standard output`, a path), for messages.
    fn destination(&self) -> String;
}

/// One scan, many reports: every event goes to every report. A report that fails is dropped
/// (its error kept for the caller) and the others go on; the scan stops only once every
/// report has failed.
pub struct Tee<'a> {
    reports: Vec<Box<dyn Report + 'a>>,
    errors: Vec<Option<io::Error>>,
}

impl<'a> Tee<'a> {
    /// A fan-out to `reports`.
    pub fn new(reports: Vec<Box<dyn Report + 'a>>) -> Tee<'a> {
        let errors = reports.iter().map(|_| None).collect();
        Tee { reports, errors }
    }

    /// Each report's destination and the error it failed with, if it failed.
    pub fn outcomes(&self) -> impl Iterator<Item = (String, Option<&io::Error>)> + '_ {
        self.reports
            .iter()
            .zip(&self.errors)
            .map(|(report, error)| (report.destination(), error.as_ref()))
    }

    fn each(&mut self, mut event: impl FnMut(&mut dyn Report) -> io::Result<()>) -> io::Result<()> {
        for (report, error) in self.reports.iter_mut().zip(&mut self.errors) {
            if error.is_none() {
                if let Err(e) = event(report.as_mut()) {
                    *error = Some(e);
                }
            }
        }
        if !self.errors.is_empty() && self.errors.iter().all(Option::is_some) {
            // Every report has failed: nothing left to scan for. The first error says why.
            let first = self.errors.iter().flatten().next();
            Err(first.map_or_else(
                || io::Error::other("every report failed"),
                |e| io::Error::new(e.kind(), e.to_string()),
            ))
        } else {
            Ok(())
        }
    }
}

impl Sink for Tee<'_> {
    fn wants_hits(&self) -> bool {
        self.reports.iter().any(|r| r.wants_hits())
    }
    fn formatters(&mut self, first_slot: usize) -> Vec<Arc<dyn FormatHits>> {
        let mut all = Vec::new();
        for report in &mut self.reports {
            let mine = report.formatters(first_slot + all.len());
            all.extend(mine);
        }
        all
    }
    fn begin_input(&mut self, input: &InputInfo) -> io::Result<()> {
        self.each(|r| r.begin_input(input))
    }
    fn hits(&mut self, input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        self.each(|r| r.hits(input, hits))
    }
    fn notice(&mut self, input: &InputInfo, notice: &Notice) -> io::Result<()> {
        self.each(|r| r.notice(input, notice))
    }
    fn end_input(&mut self, input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
        self.each(|r| r.end_input(input, end))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.each(|r| r.flush())
    }
    fn progress(&mut self, done: u64, total: u64) {
        for report in &mut self.reports {
            report.progress(done, total);
        }
    }
    fn interim(&mut self, done: &ScanDone<'_>) -> io::Result<()> {
        self.each(|r| r.interim(done))
    }
    fn finish(&mut self, done: &ScanDone<'_>) -> io::Result<()> {
        self.each(|r| r.finish(done))
    }
}

/// A sink that keeps every hit; an input error stops it.
#[derive(Default)]
pub struct Collect {
    /// The hits, in order.
    pub hits: Vec<OwnedHit>,
}

impl Sink for Collect {
    fn hits(&mut self, _input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        self.hits.extend(hits.iter().map(|hit| hit.to_owned()));
        Ok(())
    }
    fn end_input(&mut self, _input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
        match end.error {
            Some(error) => Err(io::Error::other(error.to_string())),
            None => Ok(()),
        }
    }
}

/// A sink that keeps nothing: the summary alone is the result (`--quiet`).
pub struct Discard;

impl Sink for Discard {
    fn wants_hits(&self) -> bool {
        false
    }
    fn hits(&mut self, _input: &InputInfo, _hits: &Hits<'_>) -> io::Result<()> {
        Ok(())
    }
}
