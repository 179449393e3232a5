//! Reading one large input in chunks at offsets, all chunks through one open file.
//!
//! The file is opened by the first chunk that runs and closed when its last chunk is done, so
//! every chunk reads the same file even if it is renamed, replaced or deleted mid-scan, and at
//! most one file per worker (plus the one being started) is open at a time. A chunk covers the
//! lines that start after the first `\n` at or after `nominal.start - 1` (or at 0) and ends with
//! the first `\n` at or after `nominal.end - 1` (or at the size the file had when opened), so no
//! hit spans two chunks: no pattern contains a line break.
//!
//! A file cut while it is read (logrotate's `copytruncate`) ends before the size it had when
//! opened: a chunk whose reads run into that early end says so ([`ChunkStart::Cut`], or
//! [`ChunkReader::end`] short of that size), for the chunks after it can no longer be
//! numbered.

use std::cell::Cell;
use std::io::{self, Read};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::input::{Change, Encoding, Listed, OpenFile, OpenOptions};

/// Where a chunked input's bytes come from.
pub(crate) enum ChunkSource {
    /// A file, opened on first use, and what listing it found: it is read up to that size,
    /// as a small file is, so that a cut between listing and opening is seen as one.
    File { path: PathBuf, listed: Listed },
    /// Bytes in memory.
    Bytes(Arc<Vec<u8>>),
}

enum State {
    NotOpened,
    Open(Arc<Positional>),
    Failed(Arc<Error>),
    /// Every chunk is done; the file is closed.
    Closed,
}

/// One chunked input, shared by the units of its chunks.
pub(crate) struct SharedInput {
    source: ChunkSource,
    name: String,
    state: Mutex<State>,
    /// Chunks not yet done.
    remaining: AtomicU64,
}

impl SharedInput {
    pub(crate) fn new(source: ChunkSource, name: String, chunks: u64) -> SharedInput {
        SharedInput {
            source,
            name,
            state: Mutex::new(State::NotOpened),
            remaining: AtomicU64::new(chunks),
        }
    }

    /// The open input, opening it if no chunk has yet.
    pub(crate) fn get(&self, options: &OpenOptions) -> Result<Arc<Positional>, Arc<Error>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &*state {
            State::Open(open) => return Ok(Arc::clone(open)),
            State::Failed(error) => return Err(Arc::clone(error)),
            State::Closed => {
                return Err(Arc::new(Error::Input {
                    path: self.name.clone(),
                    source: io::Error::other("read after its last chunk (a cbscan bug)"),
                }))
            }
            State::NotOpened => {}
        }
        let opened = match &self.source {
            ChunkSource::Bytes(data) => Ok(Positional::Bytes(Arc::clone(data))),
            ChunkSource::File { path, listed } => {
                OpenFile::open_listed(path, &self.name, Some(*listed), options).and_then(|file| {
                    let encoding = file.encoding().map_err(|source| Error::Input {
                        path: self.name.clone(),
                        source,
                    })?;
                    Ok(Positional::File {
                        file: Arc::new(file),
                        encoding,
                    })
                })
            }
        };
        match opened {
            Ok(open) => {
                let open = Arc::new(open);
                *state = State::Open(Arc::clone(&open));
                Ok(open)
            }
            Err(error) => {
                let error = Arc::new(error);
                *state = State::Failed(Arc::clone(&error));
                Err(error)
            }
        }
    }

    /// One chunk is done; after the last, the file is closed (once the chunks still holding
    /// it let go). Returns whether this was the last: every read of the input is then done
    /// (and seen here, through the counter's acquire), whichever chunk made it.
    pub(crate) fn chunk_done(&self) -> bool {
        let last = self.remaining.fetch_sub(1, Ordering::AcqRel) == 1;
        if last {
            *self.state.lock().unwrap_or_else(|p| p.into_inner()) = State::Closed;
        }
        last
    }
}

/// An open input that chunks read at offsets.
pub(crate) enum Positional {
    File {
        file: Arc<OpenFile>,
        encoding: Encoding,
    },
    Bytes(Arc<Vec<u8>>),
}

impl Positional {
    pub(crate) fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        match self {
            Positional::File { file, .. } => file.read_at(buffer, offset),
            Positional::Bytes(data) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                let n = buffer.len().min(data.len() - start);
                buffer[..n].copy_from_slice(&data[start..start + n]);
                Ok(n)
            }
        }
    }

    /// How the input changed while it was read, as far as its reads saw (a `stat` if they saw
    /// a change).
    pub(crate) fn changed(&self) -> Option<Change> {
        match self {
            Positional::File { file, .. } => file.changed(),
            Positional::Bytes(_) => None,
        }
    }

    /// Whether the input ending at `at` ends before the size it had when opened: it was cut.
    pub(crate) fn cut_at(&self, at: u64) -> bool {
        match self {
            Positional::File { file, .. } => file.opened_size().is_some_and(|size| at < size),
            Positional::Bytes(_) => false,
        }
    }

    /// Whether a read found bytes past the size the input had when opened.
    pub(crate) fn grew(&self) -> bool {
        match self {
            Positional::File { file, .. } => file.grew(),
            Positional::Bytes(_) => false,
        }
    }

    /// The first `\n` in `range`.
    fn find_newline(&self, range: Range<u64>) -> io::Result<Newline> {
        let mut block = [0u8; 4096];
        let mut at = range.start;
        while at < range.end {
            let want = block
                .len()
                .min(usize::try_from(range.end - at).unwrap_or(usize::MAX));
            let n = match self.read_at(&mut block[..want], at) {
                Ok(0) => return Ok(Newline::End(at)),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(i) = memchr::memchr(b'\n', &block[..n]) {
                return Ok(Newline::At(at + i as u64));
            }
            at += n as u64;
        }
        Ok(Newline::NotInRange)
    }

    /// Where the chunk `nominal` starts.
    pub(crate) fn chunk_start(&self, nominal: &Range<u64>) -> io::Result<ChunkStart> {
        if nominal.start == 0 {
            return Ok(ChunkStart::At(0));
        }
        // The chunk before ends with the first newline at or after `nominal.start - 1`; a
        // newline only at or past `nominal.end - 1` means it ends there too, and this chunk is
        // empty.
        Ok(
            match self.find_newline(nominal.start - 1..nominal.end.saturating_sub(1))? {
                Newline::At(newline) => ChunkStart::At(newline + 1),
                Newline::End(at) if self.cut_at(at) => ChunkStart::Cut,
                Newline::End(_) | Newline::NotInRange => ChunkStart::Empty,
            },
        )
    }
}

/// What a search for a line break found.
enum Newline {
    /// One, at this offset.
    At(u64),
    /// None in the range searched.
    NotInRange,
    /// The input ends at this offset, before the range does.
    End(u64),
}

/// Where a chunk starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChunkStart {
    /// Its first line starts at this offset.
    At(u64),
    /// It holds no line of its own: the line the chunk before ends with covers it, or the
    /// input ends (at the size it had when opened) before it.
    Empty,
    /// The input ends before it, short of the size it had when opened: it was cut, and what
    /// this chunk held is gone.
    Cut,
}

/// Reads a chunk: from `at` up to and including the first `\n` at or after `stop_from` (or to
/// the end of the input).
pub(crate) struct ChunkReader<'a> {
    pub input: &'a Positional,
    pub at: u64,
    pub stop_from: u64,
    pub done: bool,
    /// Where the input ended, if the chunk ran into its end (a cell, so that the scan's
    /// `at_end` can look while the scan holds the reader).
    pub end: &'a Cell<Option<u64>>,
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.done || buffer.is_empty() {
            return Ok(0);
        }
        let mut n = self.input.read_at(buffer, self.at)?;
        if n == 0 {
            self.done = true;
            self.end.set(Some(self.at));
        }
        let end = self.at + n as u64;
        if end > self.stop_from {
            let from = usize::try_from(self.stop_from.saturating_sub(self.at)).unwrap_or(0);
            if let Some(i) = memchr::memchr(b'\n', &buffer[from..n]) {
                n = from + i + 1;
                self.done = true;
            }
        }
        self.at += n as u64;
        Ok(n)
    }
}
