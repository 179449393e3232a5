//! The parallel scan and the ordering that makes it deterministic.
//!
//! The inputs are cut into *units*: a whole small file or stream, or one chunk of a large
//! memory-mapped file (chunks end just after a line break, so no hit spans two chunks: no
//! pattern contains a line break). Worker tasks on a rayon pool take units in order from a
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
use super::{CodeFilter, Hit, InputStats, ScanOptions, Sink};
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
    /// Read the source from start to end as a stream.
    Whole,
    /// One chunk of a file held in memory.
    Chunk {
        content: Arc<Content>,
        range: Range<usize>,
    },
    /// The source could not be listed; nothing to scan.
    Failed,
}

struct Unit {
    source: usize,
    kind: UnitKind,
    /// Whether this is the source's last unit (the one that closes it).
    last: bool,
    /// Whether the source has no known size (stdin, pipes): it is read only when it is the
    /// sink's current unit, so that its results never pile up.
    unbounded: bool,
}

enum Message {
    Batch(Batch),
    End(Result<Option<InputStats>, Error>),
}

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
    let threads = options.thread_count();
    let units = plan_units(&sources, options);
    let total_known: u64 = units
        .iter()
        .map(|u| match &u.kind {
            UnitKind::Chunk { range, .. } => range.len() as u64,
            UnitKind::Whole => match &sources[u.source] {
                Source::File { path, .. } => std::fs::metadata(path).map_or(0, |m| m.len()),
                _ => 0,
            },
            UnitKind::Failed => 0,
        })
        .sum();
    let unit_count = units.len();
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
    for _ in 0..threads.min(unit_count.max(1)) {
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

/// Cuts the sources into units: large files into chunks, everything else whole.
fn plan_units(sources: &[Source], options: &ScanOptions) -> Vec<Unit> {
    let mut units = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        let whole = |unbounded| Unit {
            source: index,
            kind: UnitKind::Whole,
            last: true,
            unbounded,
        };
        let content = match source {
            Source::Failed(_) => {
                units.push(Unit {
                    source: index,
                    kind: UnitKind::Failed,
                    last: true,
                    unbounded: false,
                });
                continue;
            }
            Source::Stdin => {
                units.push(whole(true));
                continue;
            }
            Source::Bytes { data, .. } => Content::Owned(Arc::clone(data)),
            Source::File { path, .. } => match map_large_file(path, options.mmap_min) {
                Some(map) => Content::Mapped(map),
                None => {
                    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
                    units.push(whole(!regular));
                    continue;
                }
            },
        };
        let content = Arc::new(content);
        let ranges = chunk_ranges(content.bytes(), options.chunk_size);
        let count = ranges.len();
        for (i, range) in ranges.into_iter().enumerate() {
            units.push(Unit {
                source: index,
                kind: UnitKind::Chunk {
                    content: Arc::clone(&content),
                    range,
                },
                last: i + 1 == count,
                unbounded: false,
            });
        }
    }
    units
}

/// A memory map of `path` if it is a regular file of at least `min` bytes and mapping works;
/// otherwise the caller streams it (errors surface then, with the file's name).
fn map_large_file(path: &std::path::Path, min: u64) -> Option<Mmap> {
    let file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() < min || meta.len() == 0 {
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
        let end = match &unit.kind {
            UnitKind::Failed => Ok(None),
            UnitKind::Chunk { content, range } => {
                let batch = scan_chunk(shared, content.bytes(), range.clone());
                if send(Message::Batch(batch)).is_err() {
                    return;
                }
                Ok(None)
            }
            UnitKind::Whole => scan_whole(shared, unit.source, &mut |batch| {
                send(Message::Batch(batch))
            }),
        };
        if send(Message::End(end)).is_err() {
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
    scan_region(
        &shared.matcher,
        &shared.filter,
        shared.options.collect_hits,
        data,
        0,
        range,
        &mut cursor,
        &mut out,
    );
    Batch {
        hits: out.hits,
        summary: out.summary,
        newlines: cursor.newlines,
    }
}

fn scan_whole(
    shared: &Shared,
    source: usize,
    on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
) -> Result<Option<InputStats>, Error> {
    let source = &shared.sources[source];
    let read = |reader: &mut dyn Read, on_batch: &mut dyn FnMut(Batch) -> io::Result<()>| {
        scan_reader(
            &shared.matcher,
            &shared.filter,
            shared.options.collect_hits,
            shared.options.block_size,
            shared.codes,
            reader,
            on_batch,
        )
    };
    let name = source.name();
    let result = match source {
        Source::Stdin => read(&mut io::stdin().lock(), on_batch),
        Source::File { path, .. } => match File::open(path) {
            Ok(mut file) => read(&mut file, on_batch),
            Err(e) => Err(e),
        },
        Source::Bytes { data, .. } => read(&mut data.as_slice(), on_batch),
        Source::Failed(_) => return Ok(None),
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
    let mut summary = Summary::new(shared.codes);
    let mut early: HashMap<usize, VecDeque<Message>> = HashMap::new();
    let mut current = 0usize;
    let mut line_base = 0u64; // newlines before the current batch, within the current source
    let mut done_bytes = 0u64;
    let mut source_name = String::new();
    let mut opened = None; // the unit whose first message has been seen
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
        let unit = &shared.units[current];
        let starts_source = current == 0 || shared.units[current - 1].source != unit.source;
        if opened != Some(current) && starts_source {
            line_base = 0;
            source_name = shared.sources[unit.source].name();
        }
        opened = Some(current);
        match message {
            Message::Batch(mut batch) => {
                for hit in &mut batch.hits {
                    hit.line += line_base + 1;
                    sink.hit(&source_name, hit)?;
                }
                line_base += batch.newlines;
                summary.merge(&batch.summary);
            }
            Message::End(result) => {
                if let UnitKind::Chunk { range, .. } = &unit.kind {
                    done_bytes += range.len() as u64;
                }
                match result {
                    Err(error) => {
                        summary.errors += 1;
                        sink.error(&error)?;
                    }
                    Ok(stats) => match (&shared.sources[unit.source], &unit.kind) {
                        (Source::Failed(error), _) => {
                            summary.errors += 1;
                            sink.error(error)?;
                        }
                        (_, UnitKind::Chunk { content, .. }) if unit.last => {
                            let data = content.bytes();
                            let stats = InputStats {
                                bytes: data.len() as u64,
                                lines: line_base
                                    + u64::from(data.last().is_some_and(|&b| b != b'\n')),
                            };
                            close_source(&mut summary, &source_name, &stats, sink)?;
                        }
                        (_, UnitKind::Whole) => {
                            if let Some(stats) = stats {
                                done_bytes += stats.bytes;
                                close_source(&mut summary, &source_name, &stats, sink)?;
                            }
                        }
                        _ => {}
                    },
                }
                current += 1;
                *shared.current.lock().unwrap_or_else(|p| p.into_inner()) = current;
                shared.advanced.notify_all();
                sink.progress(done_bytes, total_known);
            }
        }
    }
    Ok(summary)
}

fn close_source(
    summary: &mut Summary,
    name: &str,
    stats: &InputStats,
    sink: &mut dyn Sink,
) -> io::Result<()> {
    summary.files += 1;
    summary.bytes += stats.bytes;
    summary.lines += stats.lines;
    sink.input_done(name, stats)
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
        matcher,
        filter,
        options.collect_hits,
        options.block_size,
        codes,
        reader,
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
