//! The parallel scan and the ordering that makes it deterministic.
//!
//! The inputs are cut into *units*: a run of consecutive small files, a stream, or one chunk
//! of a large file. A chunk is read with positional reads (`pread`) and ends just after a line
//! break, so no hit spans two chunks: no pattern contains a line break. Files are read, not
//! memory-mapped: on a 1 GiB log reading costs the same as mapping, and a file truncated while
//! mapped, as logrotate's `copytruncate` does, kills the process with SIGBUS. Small files
//! travel in runs because a folder of thousands of logs otherwise spends more time waking
//! threads than scanning.
//!
//! Worker tasks on a rayon pool take units in order from a shared counter and send their
//! results over a channel; the calling thread keeps results that arrive early and hands them to
//! the [`Sink`] strictly in unit order, numbering lines by adding up the newline counts of the
//! chunks before (a prefix sum). Workers stay at most a few units ahead of the sink, so memory
//! stays bounded even when the sink is slow.
//!
//! Workers are detached rather than joined: if the sink stops the scan (a closed pipe), the
//! caller returns at once even if a worker is blocked reading a live stdin.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

use super::stream::{scan_reader, Batch};
use super::{CodeFilter, Hit, InputStats, ScanOptions, ScanSpec, Sink};
use crate::error::Error;
use crate::input::Source;
use crate::matcher::Matcher;
use crate::summary::Summary;

/// Where a chunk's bytes come from. A file is opened by the worker that scans the chunk and
/// closed when it is done: opening every large file up front would hold a descriptor per file
/// for the whole scan (a folder of a thousand rotated logs runs out of them).
enum ChunkInput {
    File(std::path::PathBuf),
    Bytes(Arc<Vec<u8>>),
}

impl ChunkInput {
    fn open(&self) -> io::Result<Positional> {
        match self {
            ChunkInput::File(path) => File::open(path).map(Positional::File),
            ChunkInput::Bytes(data) => Ok(Positional::Bytes(Arc::clone(data))),
        }
    }
}

/// An open input that a chunk worker reads at offsets.
enum Positional {
    File(File),
    Bytes(Arc<Vec<u8>>),
}

impl Positional {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        match self {
            Positional::File(file) => read_file_at(file, buffer, offset),
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

    /// Offset of the first `\n` in `range`, if any.
    fn find_newline(&self, range: Range<u64>) -> io::Result<Option<u64>> {
        let mut block = [0u8; 4096];
        let mut at = range.start;
        while at < range.end {
            let want = block
                .len()
                .min(usize::try_from(range.end - at).unwrap_or(usize::MAX));
            let n = match self.read_at(&mut block[..want], at) {
                Ok(0) => return Ok(None),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(i) = memchr::memchr(b'\n', &block[..n]) {
                return Ok(Some(at + i as u64));
            }
            at += n as u64;
        }
        Ok(None)
    }
}

#[cfg(unix)]
fn read_file_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

#[cfg(windows)]
fn read_file_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}

/// Reads a chunk: from its start up to and including the first `\n` at or after `stop_from`
/// (or to the end of the input).
struct ChunkReader<'a> {
    input: &'a Positional,
    at: u64,
    stop_from: u64,
    done: bool,
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let mut n = self.input.read_at(buffer, self.at)?;
        if n == 0 {
            self.done = true;
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

enum UnitKind {
    /// Consecutive sources, each read from start to end as a stream.
    Whole { sources: Range<usize> },
    /// One chunk of a large input: the lines that start after the first `\n` at or after
    /// `nominal.start - 1` (or at 0) and end with the first `\n` at or after
    /// `nominal.end - 1` (or at the end).
    Chunk {
        source: usize,
        input: Arc<ChunkInput>,
        nominal: Range<u64>,
        /// Whether this is the input's last chunk (the one that closes it).
        last: bool,
    },
}

struct Unit {
    kind: UnitKind,
    /// Bytes this unit covers, as far as known (for progress).
    bytes: u64,
    /// Whether the unit is a source of unknown size (stdin, pipes): it is read only when it
    /// is the sink's current unit, so that its results never pile up.
    unbounded: bool,
}

/// What workers send, tagged with the unit it belongs to.
enum Message {
    /// Hits and counts of part of a source.
    Batch { source: usize, batch: Batch },
    /// A source, or one chunk of it, is finished: the bytes and lines it read, or the error
    /// that stopped it. `last` closes the source.
    End {
        source: usize,
        result: Result<InputStats, Arc<Error>>,
        last: bool,
    },
    /// Everything a run of small files produced, in order, sent at once.
    Many(Vec<Message>),
    /// The unit is complete.
    UnitDone,
}

/// Small files are grouped into runs of up to this many bytes ...
const RUN_BYTES: u64 = 1 << 20;
/// ... or this many files.
const RUN_FILES: usize = 256;

struct Shared {
    units: Vec<Unit>,
    sources: Vec<Source>,
    matcher: Arc<Matcher>,
    filter: CodeFilter,
    options: ScanOptions,
    codes: usize,
    next_unit: AtomicUsize,
    stop: AtomicBool,
    /// Index of the unit the sink is waiting for.
    current: Mutex<usize>,
    advanced: Condvar,
}

impl Shared {
    fn spec(&self) -> ScanSpec<'_> {
        ScanSpec {
            matcher: &self.matcher,
            filter: &self.filter,
            collect_hits: self.options.collect_hits,
            codes: self.codes,
        }
    }
}

/// Scans `sources` with `matcher`, giving `sink` every hit and error in input order, and
/// returns the summary. Stops early with the sink's error if the sink fails.
pub fn scan_sources(
    matcher: Arc<Matcher>,
    filter: CodeFilter,
    options: &ScanOptions,
    codes: usize,
    sources: Vec<Source>,
    sink: &mut dyn Sink,
) -> io::Result<Summary> {
    let units = plan_units(&sources, options);
    let total_known: u64 = units.iter().map(|u| u.bytes).sum();
    // No more threads than units: one small file needs one thread, not one per core.
    let threads = options.thread_count().min(units.len().max(1));
    let shared = Arc::new(Shared {
        units,
        sources,
        matcher,
        filter,
        options: options.clone(),
        codes,
        next_unit: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        current: Mutex::new(0),
        advanced: Condvar::new(),
    });
    let (sender, receiver) = mpsc::channel::<(usize, Message)>();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("cbscan-scan-{i}"))
        .build()
        .map_err(io::Error::other)?;
    for _ in 0..threads {
        let shared = Arc::clone(&shared);
        let sender = sender.clone();
        pool.spawn(move || work(&shared, &sender));
    }
    drop(sender);
    let result = emit_in_order(&shared, &receiver, total_known, sink);
    if result.is_err() {
        shared.stop.store(true, Ordering::SeqCst);
        shared.advanced.notify_all();
    }
    result
}

/// Cuts the sources into units: large files into chunks, runs of small files, streams alone.
fn plan_units(sources: &[Source], options: &ScanOptions) -> Vec<Unit> {
    let large = |size: u64| size >= options.chunk_min && size > 0;
    let mut plan = Planner::default();
    for (index, source) in sources.iter().enumerate() {
        match source {
            // Reads nothing; reported in order by the run that holds it.
            Source::Failed(_) => plan.small(index, 0),
            Source::Stdin | Source::File { size: None, .. } => plan.stream(index),
            Source::Bytes { data, .. } if large(data.len() as u64) => plan.chunks(
                index,
                ChunkInput::Bytes(Arc::clone(data)),
                data.len() as u64,
                options.chunk_size,
            ),
            Source::Bytes { data, .. } => plan.small(index, data.len() as u64),
            Source::File {
                path,
                size: Some(size),
                ..
            } => {
                if large(*size) {
                    let input = ChunkInput::File(path.clone());
                    plan.chunks(index, input, *size, options.chunk_size);
                } else {
                    plan.small(index, *size);
                }
            }
        }
    }
    plan.finish(sources.len())
}

/// Builds the unit list, gathering consecutive small sources into runs.
#[derive(Default)]
struct Planner {
    units: Vec<Unit>,
    /// The run being gathered: its first source and its bytes so far.
    run: Option<(usize, u64)>,
}

impl Planner {
    fn small(&mut self, index: usize, size: u64) {
        let (start, bytes) = self.run.unwrap_or((index, 0));
        let bytes = bytes + size;
        self.run = Some((start, bytes));
        if bytes >= RUN_BYTES || index + 1 - start >= RUN_FILES {
            self.close_run(index + 1);
        }
    }

    fn stream(&mut self, index: usize) {
        self.close_run(index);
        self.units.push(Unit {
            kind: UnitKind::Whole {
                sources: index..index + 1,
            },
            bytes: 0,
            unbounded: true,
        });
    }

    fn chunks(&mut self, index: usize, input: ChunkInput, size: u64, chunk_size: usize) {
        self.close_run(index);
        let input = Arc::new(input);
        let chunk_size = chunk_size.max(1) as u64;
        let count = size.div_ceil(chunk_size).max(1);
        for i in 0..count {
            let nominal = i * chunk_size..(i + 1) * chunk_size;
            let last = i + 1 == count;
            self.units.push(Unit {
                bytes: nominal.end.min(size) - nominal.start,
                kind: UnitKind::Chunk {
                    source: index,
                    input: Arc::clone(&input),
                    // The last chunk reads to the end, wherever that is by then.
                    nominal: nominal.start..if last { u64::MAX } else { nominal.end },
                    last,
                },
                unbounded: false,
            });
        }
    }

    fn close_run(&mut self, end: usize) {
        if let Some((start, bytes)) = self.run.take() {
            self.units.push(Unit {
                kind: UnitKind::Whole {
                    sources: start..end,
                },
                bytes,
                unbounded: false,
            });
        }
    }

    fn finish(mut self, sources: usize) -> Vec<Unit> {
        self.close_run(sources);
        self.units
    }
}

/// A worker: takes units in order until there are none left or the scan stops.
fn work(shared: &Shared, sender: &mpsc::Sender<(usize, Message)>) {
    // Workers may run this far ahead of the sink.
    let window = 4 * shared.options.thread_count() + 4;
    let mut scratch = Vec::new(); // the streaming buffer, reused for every whole input
    loop {
        let index = shared.next_unit.fetch_add(1, Ordering::SeqCst);
        let Some(unit) = shared.units.get(index) else {
            return;
        };
        {
            let mut current = shared.current.lock().unwrap_or_else(|p| p.into_inner());
            while !shared.stop.load(Ordering::SeqCst)
                && (index >= *current + window || (unit.unbounded && index != *current))
            {
                current = shared
                    .advanced
                    .wait(current)
                    .unwrap_or_else(|p| p.into_inner());
            }
        }
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let send = |message: Message| {
            sender
                .send((index, message))
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "scan stopped"))
        };
        let sent = match &unit.kind {
            UnitKind::Chunk {
                source,
                input,
                nominal,
                last,
            } => {
                let source = *source;
                let result = scan_chunk(
                    shared,
                    source,
                    input,
                    nominal.clone(),
                    &mut scratch,
                    &mut |batch| send(Message::Batch { source, batch }),
                )
                .map_err(Arc::new);
                send(Message::End {
                    source,
                    result,
                    last: *last,
                })
            }
            UnitKind::Whole { sources } if unit.unbounded => {
                // A stream: hand each batch on as soon as it is ready.
                let source = sources.start;
                let result = scan_whole(shared, source, &mut scratch, &mut |batch| {
                    send(Message::Batch { source, batch })
                });
                send(Message::End {
                    source,
                    result,
                    last: true,
                })
            }
            UnitKind::Whole { sources } => {
                let mut messages = Vec::new();
                for source in sources.clone() {
                    let result = scan_whole(shared, source, &mut scratch, &mut |batch| {
                        messages.push(Message::Batch { source, batch });
                        Ok(())
                    });
                    messages.push(Message::End {
                        source,
                        result,
                        last: true,
                    });
                }
                send(Message::Many(messages))
            }
        };
        if sent.and_then(|()| send(Message::UnitDone)).is_err() {
            return;
        }
    }
}

fn scan_chunk(
    shared: &Shared,
    source: usize,
    input: &ChunkInput,
    nominal: Range<u64>,
    scratch: &mut Vec<u8>,
    on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
) -> Result<InputStats, Error> {
    let failed = |error: io::Error| Error::Input {
        path: shared.sources[source].name(),
        source: error,
    };
    let input = &input.open().map_err(failed)?;
    let start = if nominal.start == 0 {
        Some(0)
    } else {
        // The chunk before ends with the first newline at or after `nominal.start - 1`; a
        // newline only at or past `nominal.end - 1` means it ends there too, and this chunk is
        // empty.
        input
            .find_newline(nominal.start - 1..nominal.end.saturating_sub(1))
            .map(|found| found.map(|newline| newline + 1))
            .map_err(failed)?
    };
    let Some(start) = start else {
        return Ok(InputStats::default());
    };
    let reader = ChunkReader {
        input,
        at: start,
        stop_from: nominal.end.saturating_sub(1),
        done: false,
    };
    scan_reader(
        shared.spec(),
        shared.options.block_size,
        start,
        reader,
        scratch,
        on_batch,
    )
    .map_err(failed)
}

fn scan_whole(
    shared: &Shared,
    source: usize,
    scratch: &mut Vec<u8>,
    on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
) -> Result<InputStats, Arc<Error>> {
    let source = &shared.sources[source];
    let mut read = |reader: &mut dyn Read| {
        scan_reader(
            shared.spec(),
            shared.options.block_size,
            0,
            reader,
            scratch,
            on_batch,
        )
    };
    let name = source.name();
    let result = match source {
        Source::Stdin => read(&mut io::stdin().lock()),
        Source::File { path, .. } => match File::open(path) {
            Ok(mut file) => read(&mut file),
            Err(e) => Err(e),
        },
        Source::Bytes { data, .. } => read(&mut data.as_slice()),
        // Could not even be listed: its error is reported in its place.
        Source::Failed(error) => return Err(Arc::clone(error)),
    };
    result.map_err(|source| Arc::new(Error::Input { path: name, source }))
}

/// Receives worker results and hands them to the sink in unit order.
fn emit_in_order(
    shared: &Shared,
    receiver: &mpsc::Receiver<(usize, Message)>,
    total_known: u64,
    sink: &mut dyn Sink,
) -> io::Result<Summary> {
    let mut early: HashMap<usize, VecDeque<Message>> = HashMap::new();
    let mut emitter = Emitter {
        shared,
        sink,
        summary: Summary::new(shared.codes),
        unit: 0,
        open: None,
        line_base: 0,
        read: InputStats::default(),
        failed: false,
        name: String::new(),
    };
    let mut current = 0usize;
    let mut done_bytes = 0u64;
    while current < shared.units.len() {
        let message = match early.get_mut(&current).and_then(VecDeque::pop_front) {
            Some(message) => message,
            None => match receiver.recv() {
                Ok((index, message)) if index == current => message,
                Ok((index, message)) => {
                    early.entry(index).or_default().push_back(message);
                    continue;
                }
                Err(_) => break, // every worker has stopped: nothing more will come
            },
        };
        if let Message::UnitDone = message {
            early.remove(&current);
            done_bytes += shared.units[current].bytes;
            current += 1;
            *shared.current.lock().unwrap_or_else(|p| p.into_inner()) = current;
            shared.advanced.notify_all();
            emitter.sink.progress(done_bytes, total_known);
        } else {
            emitter.unit = current;
            emitter.handle(message)?;
        }
    }
    Ok(emitter.summary)
}

/// The sink side's state while results are handed over in order.
struct Emitter<'a> {
    shared: &'a Shared,
    sink: &'a mut dyn Sink,
    summary: Summary,
    /// The unit whose results are being handed over.
    unit: usize,
    /// The source whose results are being handed over.
    open: Option<usize>,
    /// Newlines before the current batch, within the open source.
    line_base: u64,
    /// What the open source's finished parts read.
    read: InputStats,
    /// Whether reading the open source failed.
    failed: bool,
    name: String,
}

impl Emitter<'_> {
    fn open(&mut self, source: usize) {
        if self.open != Some(source) {
            self.open = Some(source);
            self.line_base = 0;
            self.read = InputStats::default();
            self.failed = false;
            self.name = self.shared.sources[source].name();
        }
    }

    fn handle(&mut self, message: Message) -> io::Result<()> {
        match message {
            Message::Many(messages) => {
                for message in messages {
                    self.handle(message)?;
                }
            }
            Message::Batch { source, mut batch } => {
                self.open(source);
                if self.failed {
                    // Later chunks of a file that failed: their line numbers would be wrong.
                    return Ok(());
                }
                for hit in &mut batch.hits {
                    hit.line += self.line_base + 1;
                    self.sink.hit(&self.name, hit)?;
                }
                self.line_base += batch.newlines;
                self.summary.merge(&batch.summary);
            }
            Message::End {
                source,
                result,
                last,
            } => {
                self.open(source);
                if self.failed {
                    // Reported once; the rest of the file is not counted.
                    return Ok(());
                }
                match result {
                    Err(error) => {
                        self.failed = true;
                        self.summary.errors += 1;
                        self.sink.error(&error)?;
                    }
                    Ok(stats) => {
                        self.read.bytes += stats.bytes;
                        self.read.lines += stats.lines;
                        self.summary.bytes += stats.bytes;
                        self.summary.lines += stats.lines;
                    }
                }
                if last && !self.failed {
                    self.summary.files += 1;
                    self.sink.input_done(&self.name, &self.read)?;
                }
            }
            Message::UnitDone => {}
        }
        Ok(())
    }
}

/// A sink that keeps everything, for [`scan_bytes`] and tests.
#[derive(Default)]
struct Collect {
    hits: Vec<Hit>,
}

impl Sink for Collect {
    fn hit(&mut self, _input: &str, hit: &Hit) -> io::Result<()> {
        self.hits.push(hit.clone());
        Ok(())
    }
    fn error(&mut self, error: &Error) -> io::Result<()> {
        Err(io::Error::other(error.to_string()))
    }
}

/// Scans bytes in memory through the same parallel path as files (chunked when at least
/// `options.chunk_min` long), returning every hit and the summary.
pub fn scan_bytes(
    matcher: Arc<Matcher>,
    filter: CodeFilter,
    options: &ScanOptions,
    codes: usize,
    data: Vec<u8>,
) -> (Vec<Hit>, Summary) {
    let mut sink = Collect::default();
    let source = Source::Bytes {
        name: "<memory>".into(),
        data: Arc::new(data),
    };
    let summary = scan_sources(matcher, filter, options, codes, vec![source], &mut sink)
        .expect("scanning memory cannot fail and the collecting sink never stops");
    (sink.hits, summary)
}

/// Scans a reader with the streaming path (block size from `options`), returning every hit and
/// the summary. Used by tests to compare streaming with chunked scanning.
pub fn scan_stream_with(
    matcher: &Matcher,
    filter: &CodeFilter,
    options: &ScanOptions,
    codes: usize,
    reader: impl Read,
) -> io::Result<(Vec<Hit>, Summary)> {
    let mut hits = Vec::new();
    let mut summary = Summary::new(codes);
    let mut base = 0u64;
    let stats = scan_reader(
        ScanSpec {
            matcher,
            filter,
            collect_hits: options.collect_hits,
            codes,
        },
        options.block_size,
        0,
        reader,
        &mut Vec::new(),
        &mut |batch| {
            for mut hit in batch.hits {
                hit.line += base + 1;
                hits.push(hit);
            }
            base += batch.newlines;
            summary.merge(&batch.summary);
            Ok(())
        },
    )?;
    summary.files = 1;
    summary.bytes = stats.bytes;
    summary.lines = stats.lines;
    Ok((hits, summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    /// A log truncated after it was listed (logrotate's copytruncate) must be scanned as it
    /// now is: no crash, no error, the hits that remain.
    #[test]
    fn a_file_shorter_than_listed_is_scanned_as_it_is() {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("rotated.log");
        let content = "x DATABASE_TIMEOUT y\n".repeat(50);
        std::fs::write(&path, &content).expect("write the log");
        let source = Source::File {
            path,
            name: "rotated.log".into(),
            size: Some(10 << 20),
        };
        let options = ScanOptions {
            chunk_min: 1,
            chunk_size: 64,
            ..ScanOptions::default()
        };
        let mut sink = Collect::default();
        let summary = scan_sources(
            Arc::new(Matcher::new(&catalog)),
            CodeFilter::all(&catalog),
            &options,
            catalog.codes().len(),
            vec![source],
            &mut sink,
        )
        .expect("the collecting sink never stops");
        assert_eq!(sink.hits.len(), 50);
        assert_eq!(sink.hits.last().map(|h| h.line), Some(50));
        assert_eq!((summary.files, summary.errors), (1, 0));
        assert_eq!(summary.bytes, content.len() as u64);
        assert_eq!(summary.lines, 50);
    }
}
