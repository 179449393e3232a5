//! The parallel scan and the ordering that makes it deterministic.
//!
//! The inputs are cut into *units*: a run of consecutive small files, a stream, or one chunk
//! of a large memory-mapped file (chunks end just after a line break, so no hit spans two
//! chunks: no pattern contains a line break). Small files travel in runs because a folder of
//! thousands of logs otherwise spends more time waking threads than scanning. Worker tasks on a rayon pool take units in order from a
//! shared counter and send their results over a channel; the calling thread keeps results that
//! arrive early and hands them to the [`Sink`] strictly in unit order, numbering lines by adding
//! up the newline counts of the chunks before (a prefix sum). Workers stay at most a few units
//! ahead of the sink, so memory stays bounded even when the sink is slow.
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

use memmap2::Mmap;

use super::region::{scan_region, LineCursor, RegionOutput};
use super::stream::{scan_reader, Batch};
use super::{CodeFilter, Hit, InputStats, ScanOptions, ScanSpec, Sink};
use crate::error::Error;
use crate::input::Source;
use crate::matcher::Matcher;
use crate::summary::Summary;

/// Bytes shared by the chunks of one file.
enum Content {
    Mapped(Mmap),
    Owned(Arc<Vec<u8>>),
}

impl Content {
    fn bytes(&self) -> &[u8] {
        match self {
            Content::Mapped(map) => map,
            Content::Owned(data) => data,
        }
    }
}

enum UnitKind {
    /// Consecutive sources, each read from start to end as a stream.
    Whole { sources: Range<usize> },
    /// One chunk of a file held in memory.
    Chunk {
        source: usize,
        content: Arc<Content>,
        range: Range<usize>,
        /// Whether this is the file's last chunk (the one that closes it).
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
    /// A source is finished: its size and line count when read as a stream, `None` for a
    /// memory-mapped file (the sink side knows its content), or the error that stopped it.
    End {
        source: usize,
        result: Result<Option<InputStats>, Error>,
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
    let large = |size: u64| size >= options.mmap_min && size > 0;
    let mut plan = Planner::default();
    for (index, source) in sources.iter().enumerate() {
        match source {
            // Reads nothing; reported in order by the run that holds it.
            Source::Failed(_) => plan.small(index, 0),
            Source::Stdin | Source::File { size: None, .. } => plan.stream(index),
            Source::Bytes { data, .. } if large(data.len() as u64) => {
                plan.chunks(index, Content::Owned(Arc::clone(data)), options.chunk_size)
            }
            Source::Bytes { data, .. } => plan.small(index, data.len() as u64),
            Source::File {
                path,
                size: Some(size),
                ..
            } => {
                // Only files listed as large are opened here; the rest open in the workers.
                match large(*size).then(|| map_file(path)).flatten() {
                    Some(map) => plan.chunks(index, Content::Mapped(map), options.chunk_size),
                    None => plan.small(index, *size),
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

    fn chunks(&mut self, index: usize, content: Content, chunk_size: usize) {
        self.close_run(index);
        let content = Arc::new(content);
        let ranges = chunk_ranges(content.bytes(), chunk_size);
        let count = ranges.len();
        for (i, range) in ranges.into_iter().enumerate() {
            self.units.push(Unit {
                bytes: range.len() as u64,
                kind: UnitKind::Chunk {
                    source: index,
                    content: Arc::clone(&content),
                    range,
                    last: i + 1 == count,
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

/// A memory map of `path` if it is still a non-empty regular file and mapping works;
/// otherwise the caller streams it (errors surface then, with the file's name).
fn map_file(path: &std::path::Path) -> Option<Mmap> {
    let file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() == 0 {
        return None;
    }
    // SAFETY: the map is only read. If another process truncates the file while it is mapped,
    // reading the lost pages faults; every mmap-based searcher (ripgrep included) accepts that
    // risk for regular files, and users can avoid it by raising the threshold.
    unsafe { Mmap::map(&file) }.ok()
}

/// Cuts `data` into ranges of about `chunk_size` bytes, each ending just after a `\n` (or at
/// the end). Always at least one range, possibly empty.
pub(super) fn chunk_ranges(data: &[u8], chunk_size: usize) -> Vec<Range<usize>> {
    let chunk_size = chunk_size.max(1);
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let nominal = start.saturating_add(chunk_size);
        let end = if nominal >= data.len() {
            data.len()
        } else {
            memchr::memchr(b'\n', &data[nominal - 1..]).map_or(data.len(), |i| nominal + i)
        };
        ranges.push(start..end);
        start = end;
    }
    if ranges.is_empty() {
        ranges.push(0..0);
    }
    ranges
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
                content,
                range,
                last,
            } => {
                let batch = scan_chunk(shared, content.bytes(), range.clone());
                send(Message::Batch {
                    source: *source,
                    batch,
                })
                .and_then(|()| {
                    if *last {
                        send(Message::End {
                            source: *source,
                            result: Ok(None),
                        })
                    } else {
                        Ok(())
                    }
                })
            }
            UnitKind::Whole { sources } if unit.unbounded => {
                // A stream: hand each batch on as soon as it is ready.
                let source = sources.start;
                let result = scan_whole(shared, source, &mut scratch, &mut |batch| {
                    send(Message::Batch { source, batch })
                });
                send(Message::End { source, result })
            }
            UnitKind::Whole { sources } => {
                let mut messages = Vec::new();
                for source in sources.clone() {
                    let result = scan_whole(shared, source, &mut scratch, &mut |batch| {
                        messages.push(Message::Batch { source, batch });
                        Ok(())
                    });
                    messages.push(Message::End { source, result });
                }
                send(Message::Many(messages))
            }
        };
        if sent.and_then(|()| send(Message::UnitDone)).is_err() {
            return;
        }
    }
}

fn scan_chunk(shared: &Shared, data: &[u8], range: Range<usize>) -> Batch {
    let mut cursor = LineCursor {
        newlines: 0,
        line_start: range.start as u64,
    };
    let mut out = RegionOutput {
        hits: Vec::new(),
        summary: Summary::new(shared.codes),
    };
    scan_region(shared.spec(), data, 0, range, &mut cursor, &mut out);
    Batch {
        hits: out.hits,
        summary: out.summary,
        newlines: cursor.newlines,
    }
}

fn scan_whole(
    shared: &Shared,
    source: usize,
    scratch: &mut Vec<u8>,
    on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
) -> Result<Option<InputStats>, Error> {
    let source = &shared.sources[source];
    let mut read = |reader: &mut dyn Read| {
        scan_reader(
            shared.spec(),
            shared.options.block_size,
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
        Source::Failed(error) => {
            return Err(Error::Walk {
                path: error.input_path().unwrap_or_default().to_string(),
                message: error.detail(),
            })
        }
    };
    result
        .map(Some)
        .map_err(|source| Error::Input { path: name, source })
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
    name: String,
}

impl Emitter<'_> {
    fn open(&mut self, source: usize) {
        if self.open != Some(source) {
            self.open = Some(source);
            self.line_base = 0;
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
                for hit in &mut batch.hits {
                    hit.line += self.line_base + 1;
                    self.sink.hit(&self.name, hit)?;
                }
                self.line_base += batch.newlines;
                self.summary.merge(&batch.summary);
            }
            Message::End { source, result } => {
                self.open(source);
                let stats = match (result, &self.shared.sources[source]) {
                    (Err(_), Source::Failed(error)) => {
                        self.summary.errors += 1;
                        return self.sink.error(error);
                    }
                    (Err(error), _) => {
                        self.summary.errors += 1;
                        return self.sink.error(&error);
                    }
                    (Ok(Some(stats)), _) => stats,
                    (Ok(None), _) => {
                        // A memory-mapped file ends in its last chunk, the current unit, whose
                        // content gives the size and the last byte.
                        let data = match &self.shared.units[self.unit].kind {
                            UnitKind::Chunk { content, .. } => content.bytes(),
                            UnitKind::Whole { .. } => &[],
                        };
                        InputStats {
                            bytes: data.len() as u64,
                            lines: self.line_base
                                + u64::from(data.last().is_some_and(|&b| b != b'\n')),
                        }
                    }
                };
                self.summary.files += 1;
                self.summary.bytes += stats.bytes;
                self.summary.lines += stats.lines;
                self.sink.input_done(&self.name, &stats)?;
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
/// `options.mmap_min` long), returning every hit and the summary.
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
