//! Scanning inputs: turns matcher hits into located [`Hit`]s and [`crate::Summary`] counts, and hands
//! them, in input order, to a [`Sink`]. Nothing here formats output.
//!
//! - `region`: scanning one window of bytes, tracking lines and columns, cutting excerpts.
//! - `stream`: reading a file or stdin block by block with bounded memory.
//! - `driver`: the parallel scan: inputs and chunks of large files go to worker threads,
//!   results come back to the calling thread and are put back in order before the sink sees
//!   them, so the output does not depend on the thread count or the chunk size.

mod driver;
mod region;
mod stream;

use std::io;
use std::ops::Range;

use crate::catalog::{Catalog, CodeId};
use crate::error::Error;
use crate::matcher::PatternId;

pub use driver::{scan_bytes, scan_sources, scan_stream_with};
pub use region::EXCERPT_RADIUS;

/// One error code found in one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
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
    pub excerpt: Excerpt,
}

/// The text around a hit: its whole line when the line is short, else a window of at most
/// [`EXCERPT_RADIUS`] bytes either side of the hit. Raw bytes: writers decide how to show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// The bytes (without the line's `\n` and a `\r` before it).
    pub bytes: Vec<u8>,
    /// Where the hit is within `bytes`.
    pub hit: Range<usize>,
    /// Whether the line goes on before `bytes`.
    pub cut_before: bool,
    /// Whether the line goes on after `bytes`.
    pub cut_after: bool,
}

/// Size and line count of one input, once it has been read to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InputStats {
    /// Bytes read.
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
}

/// Receives what a scan finds, in input order, on the thread that started the scan.
///
/// An `Err` from any method stops the scan and is returned by the driver (a closed pipe ends a
/// scan this way).
pub trait Sink {
    /// A hit in `input` (inputs are named as the user gave them, `<stdin>` for stdin).
    fn hit(&mut self, input: &str, hit: &Hit) -> io::Result<()>;
    /// An input that could not be read (in whole or in part).
    fn error(&mut self, error: &Error) -> io::Result<()>;
    /// `input` has been read to the end.
    fn input_done(&mut self, _input: &str, _stats: &InputStats) -> io::Result<()> {
        Ok(())
    }
    /// Progress: `done` of `total` known bytes have been scanned.
    fn progress(&mut self, _done: u64, _total: u64) {}
}

/// What every window scan needs to know, bundled.
#[derive(Clone, Copy)]
pub(crate) struct ScanSpec<'a> {
    pub matcher: &'a crate::matcher::Matcher,
    pub filter: &'a CodeFilter,
    /// Whether to produce hits (false: only counts).
    pub collect_hits: bool,
    /// Number of codes in the catalog (the size of a [`crate::Summary`]).
    pub codes: usize,
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
}

/// The most worker threads a scan (or a folder walk) uses.
pub const MAX_THREADS: usize = 256;

/// How a scan runs. [`ScanOptions::default`] suits real use; tests shrink the sizes to
/// exercise chunking on small inputs.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Files at least this large are cut into chunks scanned in parallel.
    pub chunk_min: u64,
    /// Target size of a chunk; chunks end at the first line break after this many bytes.
    pub chunk_size: usize,
    /// Size of one read when streaming.
    pub block_size: usize,
    /// Whether to produce hits (false for summary-only runs: nothing is stored per hit).
    pub collect_hits: bool,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            threads: 0,
            chunk_min: 4 << 20,
            chunk_size: 8 << 20,
            block_size: 256 << 10,
            collect_hits: true,
        }
    }
}

impl ScanOptions {
    /// The number of worker threads this will use.
    /// Asking for more than [`MAX_THREADS`] gets [`MAX_THREADS`]: thousands of threads on a
    /// few cores only add switching and memory.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .min(MAX_THREADS)
    }
}
