//! The worker pool and the byte budget on hit data in flight.
//!
//! Worker tasks on a rayon pool take units in order from a shared counter, scan them with a
//! [`LineScanner`] and send batches over a channel to the calling thread, which hands them to
//! the sink in unit order (`order`). Every batch is charged to a [`Budget`] before it is sent
//! and released once the sink has seen it, so memory stays bounded however slow the sink.
//!
//! Workers are detached rather than joined: if the sink stops the scan (a closed pipe), the
//! caller returns at once even if a worker is blocked reading a live stdin.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

use super::batch::{Batch, Recycler};
use super::lines::{Finish, LineScanner, Resume, Scanned};
use super::order::{emit_in_order, Message};
use super::plan::{plan_units, Unit, UnitKind};
use super::positional::{ChunkReader, ChunkStart, Positional};
use super::region::Formatting;
use super::{InputStats, ScanEnd, Scanner};
use crate::error::Error;
use crate::input::{
    open_reader, open_stdin, Change, Encoding, Listed, OpenFile, OpenOptions, Source,
};
use crate::limits::{BATCH_BYTES, CURRENT_UNIT_BYTES, FIELD_LOOKBACK};
use crate::sink::{FormatHits, InputInfo, ScanDone, Sink};

/// Hit data in flight, charged by workers, released by the emitter.
///
/// # Invariants
/// - The current unit has `current_share` bytes to itself; units ahead of it share what the
///   current unit leaves of `limit`. Bytes in flight never exceed `limit`: a message never
///   weighs more than twice [`BATCH_BYTES`] (batches are handed on before they would pass it,
///   or, when writers format on the workers, as soon as they reach it: the last hit's
///   formatted text and its buffer's growth can take a batch past it, at most doubling it),
///   and the share is at least that much unless the whole budget is smaller than eight batches. Then,
///   and only then, the current unit may send one message over its share when it has nothing
///   else in flight.
/// - The worker of the current unit only ever waits for its own batches, which the emitter is
///   draining: it can always go on, so the scan cannot deadlock however the budget is spent.
pub(crate) struct Budget {
    state: Mutex<BudgetState>,
    changed: Condvar,
    limit: usize,
    current_share: usize,
}

#[derive(Default)]
struct BudgetState {
    /// The unit the emitter is waiting for.
    current: usize,
    current_bytes: usize,
    ahead_bytes: usize,
    /// Bytes in flight per unit (units ahead of the current one only).
    ahead: BTreeMap<usize, usize>,
    stopped: bool,
    /// Most bytes ever in flight at once.
    peak: usize,
}

/// The scan was stopped (the sink failed): workers give up.
pub(crate) struct Stopped;

impl Budget {
    pub(crate) fn new(limit: usize) -> Budget {
        Budget {
            state: Mutex::new(BudgetState::default()),
            changed: Condvar::new(),
            limit,
            current_share: CURRENT_UNIT_BYTES.min(limit / 4).max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BudgetState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `bytes` more may be in flight for `unit`, then counts them.
    pub(crate) fn charge(&self, unit: usize, bytes: usize) -> Result<(), Stopped> {
        let mut state = self.lock();
        loop {
            if state.stopped {
                return Err(Stopped);
            }
            if unit == state.current {
                if state.current_bytes == 0 || state.current_bytes + bytes <= self.current_share {
                    state.current_bytes += bytes;
                    break;
                }
            } else if state.ahead_bytes + state.current_bytes.max(self.current_share) + bytes
                <= self.limit
            {
                // Counting the current unit's bytes as at least its share keeps its share free;
                // counting more when it has more (bytes moved to it by `advance`) keeps the total
                // within the limit.
                state.ahead_bytes += bytes;
                *state.ahead.entry(unit).or_default() += bytes;
                break;
            }
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        let in_flight = state.current_bytes + state.ahead_bytes;
        state.peak = state.peak.max(in_flight);
        Ok(())
    }

    /// The sink has seen `bytes` of the current unit.
    pub(crate) fn release(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let mut state = self.lock();
        state.current_bytes -= bytes;
        drop(state);
        self.changed.notify_all();
    }

    /// The emitter now waits for `unit`: its bytes move from the shared pool to its own share.
    pub(crate) fn advance(&self, unit: usize) {
        let mut state = self.lock();
        state.current = unit;
        let moved = state.ahead.remove(&unit).unwrap_or(0);
        state.ahead_bytes -= moved;
        state.current_bytes += moved;
        drop(state);
        self.changed.notify_all();
    }

    /// Waits until the emitter waits for `unit`.
    pub(crate) fn wait_for_turn(&self, unit: usize) -> Result<(), Stopped> {
        let mut state = self.lock();
        while !state.stopped && state.current != unit {
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        if state.stopped {
            Err(Stopped)
        } else {
            Ok(())
        }
    }

    /// Wakes every waiting worker and makes them give up.
    pub(crate) fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }

    /// Most bytes ever in flight at once.
    pub(crate) fn peak(&self) -> usize {
        self.lock().peak
    }
}

/// What the workers share.
pub(crate) struct Shared {
    pub scanner: Scanner,
    pub units: Vec<Unit>,
    pub sources: Vec<Source>,
    pub next_unit: AtomicUsize,
    pub budget: Budget,
    /// Batches the emitter is done with, for workers to fill again.
    pub recycler: Arc<Recycler>,
    /// Each source as writers see it.
    pub inputs: Vec<InputInfo>,
    /// Whether hits are kept (else only counted).
    pub collect_hits: bool,
    /// Formatters the workers run on each hit.
    pub formatters: Vec<Arc<dyn FormatHits>>,
}

impl Shared {
    /// Whether hits get fields (and chunks need the context before them).
    fn wants_fields(&self) -> bool {
        self.scanner
            .spec_collecting(self.collect_hits)
            .fields
            .is_some()
    }

    /// A line scanner for `source` from `start`, reading into `scratch`'s buffer.
    fn line_scanner(&self, source: usize, start: Resume, scratch: &mut Vec<u8>) -> LineScanner<'_> {
        let formatting = (!self.formatters.is_empty()).then(|| Formatting {
            formatters: &self.formatters,
            input: &self.inputs[source],
        });
        self.scanner
            .line_scanner_in(
                self.scanner.spec_collecting(self.collect_hits),
                start,
                std::mem::take(scratch),
                Arc::clone(&self.recycler),
            )
            .formatting(formatting)
    }
}

/// How each source is shown to writers.
fn input_infos(sources: &[Source]) -> Vec<InputInfo> {
    sources
        .iter()
        .enumerate()
        .map(|(index, source)| InputInfo {
            index,
            name: source.name(),
            path: match source {
                Source::File { path, .. } => Some(path.clone()),
                _ => None,
            },
        })
        .collect()
}

/// A message with the unit it belongs to and the bytes it was charged.
pub(crate) type Envelope = (usize, Message, usize);

/// Scans `sources` in parallel; see [`Scanner::scan`].
pub(crate) fn scan_sources(
    scanner: &Scanner,
    sources: Vec<Source>,
    sink: &mut dyn Sink,
) -> ScanEnd {
    scan_with_peak(scanner, sources, sink).0
}

/// Like [`scan_sources`], and also returns the most bytes that were in flight at once.
pub(crate) fn scan_with_peak(
    scanner: &Scanner,
    sources: Vec<Source>,
    sink: &mut dyn Sink,
) -> (ScanEnd, usize) {
    let started = std::time::Instant::now();
    let options = scanner.options();
    let units = plan_units(&sources, options);
    // No more threads than units: one small file needs one thread, not one per core.
    let threads = options.thread_count().min(units.len().max(1));
    let collect_hits = options.collect_hits && sink.wants_hits();
    let formatters = if collect_hits {
        sink.formatters(0)
    } else {
        Vec::new()
    };
    let shared = Arc::new(Shared {
        scanner: scanner.clone(),
        units,
        inputs: input_infos(&sources),
        sources,
        next_unit: AtomicUsize::new(0),
        budget: Budget::new(options.in_flight_bytes),
        recycler: Arc::new(Recycler::new(scanner.codes())),
        collect_hits,
        formatters,
    });
    let (sender, receiver) = mpsc::channel::<Envelope>();
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("cbscan-scan-{i}"))
        .build()
    {
        Ok(pool) => pool,
        Err(error) => {
            let end = ScanEnd {
                summary: scanner.new_summary(),
                stopped: Some(io::Error::other(error)),
            };
            return (end, 0);
        }
    };
    for _ in 0..threads {
        let shared = Arc::clone(&shared);
        let sender = sender.clone();
        pool.spawn(move || work(&shared, &sender));
    }
    drop(sender);
    let (summary, mut stopped) = emit_in_order(&shared, &receiver, sink);
    // Whether it finished or the sink stopped it, no worker may wait any longer.
    shared.budget.stop();
    let done = ScanDone {
        summary: &summary,
        elapsed: started.elapsed(),
    };
    if let Err(error) = sink.finish(&done) {
        stopped.get_or_insert(error);
    }
    (ScanEnd { summary, stopped }, shared.budget.peak())
}

/// A worker: takes units in order until there are none left or the scan stops.
fn work(shared: &Shared, sender: &mpsc::Sender<Envelope>) {
    // The read buffer, reused from input to input: zeroing a fresh one per small file costs
    // more than scanning it.
    let mut scratch = Vec::new();
    loop {
        let index = shared.next_unit.fetch_add(1, Ordering::SeqCst);
        let Some(unit) = shared.units.get(index) else {
            return;
        };
        if unit.waits_for_its_turn() && shared.budget.wait_for_turn(index).is_err() {
            return;
        }
        let mut post = Post {
            shared,
            sender,
            unit: index,
        };
        if run_unit(shared, unit, &mut post, &mut scratch).is_err()
            || post.send(Message::UnitDone, 0).is_err()
        {
            return;
        }
    }
}

/// Sends a worker's messages for one unit, charging the budget first.
struct Post<'a> {
    shared: &'a Shared,
    sender: &'a mpsc::Sender<Envelope>,
    unit: usize,
}

impl Post<'_> {
    fn send(&mut self, message: Message, weight: usize) -> Result<(), Stopped> {
        self.shared.budget.charge(self.unit, weight)?;
        self.sender
            .send((self.unit, message, weight))
            .map_err(|_| Stopped)
    }

    fn batch(&mut self, source: usize, batch: Batch) -> io::Result<()> {
        let weight = batch.weight();
        self.send(Message::Batch { source, batch }, weight)
            .map_err(|Stopped| io::Error::new(io::ErrorKind::BrokenPipe, "scan stopped"))
    }
}

fn run_unit(
    shared: &Shared,
    unit: &Unit,
    post: &mut Post<'_>,
    scratch: &mut Vec<u8>,
) -> Result<(), Stopped> {
    match &unit.kind {
        UnitKind::Chunk {
            source,
            input,
            nominal,
            first,
            last,
        } => {
            let source = *source;
            let outcome = match input.get(&open_options(shared)) {
                Ok(open) => {
                    let chunk = Chunk {
                        source,
                        input: &open,
                        nominal: nominal.clone(),
                        first: *first,
                    };
                    let mut outcome = scan_chunk(shared, chunk, post, scratch);
                    // Any chunk's reads may see the file change (a cut is seen by the chunks
                    // past it, in whatever order they run): the chunk that finishes last, in
                    // time, looks once every read is done. One `stat` per changed file, none
                    // per unchanged one; the emitter tells it when the file ends.
                    if input.chunk_done() {
                        outcome.change = open.changed();
                    }
                    outcome
                }
                Err(error) => {
                    input.chunk_done();
                    Outcome::failed(error)
                }
            };
            post.send(
                Message::End {
                    source,
                    outcome,
                    last: *last,
                },
                0,
            )
        }
        UnitKind::Stream { source } => {
            // Each batch goes out as soon as it is ready: the input may be live.
            let outcome = scan_whole(shared, *source, scratch, &mut |batch| {
                post.batch(*source, batch)
            });
            post.send(
                Message::End {
                    source: *source,
                    outcome,
                    last: true,
                },
                0,
            )
        }
        UnitKind::Run { sources } => {
            // Thousands of small files: gather their messages and send them together, once
            // they weigh a batch, rather than one message each.
            let mut gathered = Gathered::default();
            for source in sources.clone() {
                let outcome = scan_whole(shared, source, scratch, &mut |batch| {
                    // Sent before they would weigh more than a batch: see `Budget`.
                    if gathered.weight + batch.weight() > BATCH_BYTES {
                        gathered.send(post).map_err(|Stopped| {
                            io::Error::new(io::ErrorKind::BrokenPipe, "scan stopped")
                        })?;
                    }
                    gathered.add_batch(source, batch);
                    Ok(())
                });
                gathered.messages.push(Message::End {
                    source,
                    outcome,
                    last: true,
                });
            }
            gathered.send(post)
        }
    }
}

/// What scanning an input, or one chunk of it, gave.
pub(crate) struct Outcome {
    /// What was read and scanned (up to the error, if there was one).
    pub stats: InputStats,
    /// The error that stopped it.
    pub error: Option<Arc<Error>>,
    /// How the file changed while it was read, once all its reads are done (on one chunk of
    /// it only, not necessarily the last).
    pub change: Option<Change>,
    /// Whether its unterminated last line was left out (the file grew, or was cut).
    pub held_back: bool,
    /// Whether it ran into the end of the file before the size the file had when opened: the
    /// file was cut there, and the chunks after this one cannot be numbered.
    pub cut: bool,
}

impl Outcome {
    fn failed(error: Arc<Error>) -> Outcome {
        Outcome {
            error: Some(error),
            ..Outcome::empty()
        }
    }

    /// Nothing read.
    fn empty() -> Outcome {
        Outcome {
            stats: InputStats::default(),
            error: None,
            change: None,
            held_back: false,
            cut: false,
        }
    }
}

#[derive(Default)]
struct Gathered {
    messages: Vec<Message>,
    weight: usize,
}

impl Gathered {
    fn add_batch(&mut self, source: usize, batch: Batch) {
        self.weight += batch.weight();
        self.messages.push(Message::Batch { source, batch });
    }

    fn send(&mut self, post: &mut Post<'_>) -> Result<(), Stopped> {
        if self.messages.is_empty() {
            return Ok(());
        }
        let messages = std::mem::take(&mut self.messages);
        post.send(Message::Many(messages), std::mem::take(&mut self.weight))
    }
}

fn open_options(shared: &Shared) -> OpenOptions {
    let options = shared.scanner.options();
    OpenOptions {
        decompress: options.decompress,
        outputs: options.outputs.clone(),
    }
}

/// One chunk of an open input.
struct Chunk<'a> {
    source: usize,
    input: &'a Arc<Positional>,
    nominal: std::ops::Range<u64>,
    first: bool,
}

fn scan_chunk(
    shared: &Shared,
    chunk: Chunk<'_>,
    post: &mut Post<'_>,
    scratch: &mut Vec<u8>,
) -> Outcome {
    let Chunk {
        source,
        input,
        nominal,
        first,
    } = chunk;
    let name = shared.sources[source].name();
    let on_batch = &mut |batch| post.batch(source, batch);
    let scanner = &shared.scanner;
    let (scanned, cut) = match &**input {
        Positional::File { file, encoding }
            if *encoding != Encoding::Plain && scanner.options().decompress =>
        {
            // A compressed file has no line starts to cut at: its first chunk reads it all.
            if !first {
                return Outcome::empty();
            }
            // That chunk is the file's only reader: what its reads saw is what the file did.
            let at_end = || finish(file.grew() || file.shrank());
            match file.stream(true) {
                Ok(mut reader) => (
                    shared
                        .line_scanner(source, Resume::at(0, 0), scratch)
                        .scan_to_end_recycling(&mut reader, on_batch, &at_end, scratch),
                    file.shrank(),
                ),
                Err(error) => return Outcome::failed(Arc::new(input_error(&name, error))),
            }
        }
        _ => {
            let start = match input.chunk_start(&nominal) {
                Ok(ChunkStart::At(start)) => start,
                Ok(ChunkStart::Empty) => return Outcome::empty(),
                Ok(ChunkStart::Cut) => {
                    return Outcome {
                        cut: true,
                        ..Outcome::empty()
                    }
                }
                Err(error) => return Outcome::failed(Arc::new(input_error(&name, error))),
            };
            let end = Cell::new(None);
            let mut reader = ChunkReader {
                input,
                at: start,
                stop_from: nominal.end.saturating_sub(1),
                done: false,
                end: &end,
            };
            let cut = || end.get().is_some_and(|at| input.cut_at(at));
            // A chunk that runs into the end holds back an unterminated last line if the file
            // was cut there (the cut fell anywhere in it), or grew (its end may still have been
            // on its way). A chunk that ends with its closing line break has none to hold.
            let at_end = || finish(cut() || (end.get().is_some() && input.grew()));
            // Line numbers count from the chunk's start; the emitter adds the chunks before.
            let from = if shared.wants_fields() {
                match lookback(input, start) {
                    Ok(resume) => resume,
                    Err(error) => return Outcome::failed(Arc::new(input_error(&name, error))),
                }
            } else {
                Resume::at(start, 0)
            };
            let scanned = shared
                .line_scanner(source, from, scratch)
                .scan_to_end_recycling(&mut reader, on_batch, &at_end, scratch);
            (scanned, cut())
        }
    };
    outcome(&name, scanned, None, cut)
}

/// The start of a chunk at `start` with the [`FIELD_LOOKBACK`] bytes before it (and the one
/// before those, to tell whether they start a line) held as context, so that its hits inherit
/// times and requests from the lines before the chunk exactly as a sequential scan would.
fn lookback(input: &Positional, start: u64) -> io::Result<Resume> {
    let from = start.saturating_sub(FIELD_LOOKBACK as u64 + 1);
    let mut context = vec![0u8; (start - from) as usize];
    let mut filled = 0;
    while filled < context.len() {
        match input.read_at(&mut context[filled..], from + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    if filled < context.len() {
        // Cut before the chunk start (found by a read after it): no context, as for a cut.
        return Ok(Resume::at(start, 0));
    }
    Ok(Resume {
        base: from,
        pending: context,
        ..Resume::at(start, 0)
    })
}

/// How to finish reading a file that `changed` (grew or was cut) while read: its last line
/// may have been cut by the size or the cut, and is held back rather than reported as
/// complete.
fn finish(changed: bool) -> Finish {
    if changed {
        Finish::Pending
    } else {
        Finish::Final
    }
}

/// An input error naming the input.
fn input_error(name: &str, source: io::Error) -> Error {
    Error::Input {
        path: name.to_string(),
        source,
    }
}

fn outcome(name: &str, scanned: Scanned, change: Option<Change>, cut: bool) -> Outcome {
    Outcome {
        stats: scanned.stats,
        error: scanned
            .error
            .map(|error| Arc::new(input_error(name, error))),
        change,
        held_back: scanned.held_back,
        cut,
    }
}

/// Scans one source from start to end.
fn scan_whole(
    shared: &Shared,
    source: usize,
    scratch: &mut Vec<u8>,
    on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
) -> Outcome {
    let options = open_options(shared);
    let index = source;
    let source = &shared.sources[source];
    let name = source.name();
    let mut scan = |reader: &mut dyn Read,
                    on_batch: &mut dyn FnMut(Batch) -> io::Result<()>,
                    at_end: &dyn Fn() -> Finish| {
        shared
            .line_scanner(index, Resume::at(0, 0), scratch)
            .scan_to_end_recycling(reader, on_batch, at_end, scratch)
    };
    let final_line = || Finish::Final;
    match source {
        Source::Stdin => match open_stdin(&options, &name) {
            Ok(mut reader) => outcome(&name, scan(&mut reader, on_batch, &final_line), None, false),
            Err(error) => Outcome::failed(Arc::new(error)),
        },
        Source::Reader { reader, .. } => {
            let taken = reader.lock().unwrap_or_else(|p| p.into_inner()).take();
            let Some(reader) = taken else {
                let error = io::Error::other("this reader was already scanned");
                return Outcome::failed(Arc::new(input_error(&name, error)));
            };
            match open_reader(reader, &options, &name) {
                Ok(mut reader) => {
                    outcome(&name, scan(&mut reader, on_batch, &final_line), None, false)
                }
                Err(error) => Outcome::failed(Arc::new(error)),
            }
        }
        Source::File { path, size, id, .. } => {
            let listed = size.map(|size| Listed { size, id: *id });
            let file = match OpenFile::open_listed(path, &name, listed, &options) {
                Ok(file) => Arc::new(file),
                Err(error) => return Outcome::failed(Arc::new(error)),
            };
            // The stream is the file's only reader: what its reads saw is what the file did,
            // known without a `stat`; one is made only if they saw a change, for its size now.
            let at_end = || finish(file.grew() || file.shrank());
            let scanned = match file.stream(options.decompress) {
                Ok(mut reader) => scan(&mut reader, on_batch, &at_end),
                Err(error) => return Outcome::failed(Arc::new(input_error(&name, error))),
            };
            outcome(&name, scanned, file.changed(), file.shrank())
        }
        Source::Bytes { data, .. } => outcome(
            &name,
            scan(&mut data.as_slice(), on_batch, &final_line),
            None,
            false,
        ),
        // Could not even be listed: its error is reported in its place.
        Source::Failed(error) => Outcome::failed(Arc::clone(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::scan::ScanOptions;
    use crate::summary::Summary;

    /// Counts hits, sleeping now and then: a sink slower than the scan.
    struct Slow {
        hits: u64,
        lines_in_order: bool,
        last_line: u64,
    }

    impl Sink for Slow {
        fn hits(&mut self, _input: &InputInfo, hits: &crate::sink::Hits<'_>) -> io::Result<()> {
            for hit in hits.iter() {
                self.hits += 1;
                self.lines_in_order &= hit.line >= self.last_line;
                self.last_line = hit.line;
                if self.hits.is_multiple_of(500) {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
            Ok(())
        }
    }

    fn dense_scan(in_flight_bytes: usize, threads: usize) -> (Summary, usize, Slow) {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let data = b"x SYS_ERR DATABASE_TIMEOUT y\n".repeat(100_000);
        let options = ScanOptions {
            threads,
            chunk_min: 0,
            chunk_size: 64 << 10,
            in_flight_bytes,
            ..ScanOptions::default()
        };
        let scanner = Scanner::for_catalog(&catalog, options);
        let mut sink = Slow {
            hits: 0,
            lines_in_order: true,
            last_line: 0,
        };
        let source = Source::Bytes {
            name: "dense".into(),
            data: Arc::new(data),
        };
        let (end, peak) = scan_with_peak(&scanner, vec![source], &mut sink);
        (end.into_result().expect("memory reads"), peak, sink)
    }

    #[test]
    fn a_slow_sink_never_has_more_than_the_budget_in_flight() {
        let budget = 1 << 20;
        let (summary, peak, sink) = dense_scan(budget, 4);
        assert_eq!((summary.hits(), sink.hits), (200_000, 200_000));
        assert!(sink.lines_in_order);
        assert!(peak > budget / 2, "the budget was used: {peak}");
        assert!(peak <= budget, "{peak} bytes in flight, budget {budget}");
    }

    /// A sink whose hits the workers format (a line of text each), counting the batches.
    struct Formatting {
        hits: u64,
        batches: u64,
    }

    struct Line;

    impl crate::sink::FormatHits for Line {
        fn format(
            &self,
            _input: &InputInfo,
            hit: &crate::scan::Hit<'_>,
            out: &mut crate::sink::Formatted,
        ) {
            out.buf().extend_from_slice(b"line ");
            out.line_here();
            out.buf()
                .extend_from_slice(&hit.excerpt.bytes[hit.excerpt.hit.clone()]);
            // About as long as a JSON-lines record, so that formatted text dominates a batch.
            out.buf().extend_from_slice(&[b' '; 300]);
            out.buf().push(b'\n');
        }
    }

    impl Sink for Formatting {
        fn formatters(&mut self, _first_slot: usize) -> Vec<Arc<dyn FormatHits>> {
            vec![Arc::new(Line)]
        }
        fn hits(&mut self, _input: &InputInfo, hits: &crate::sink::Hits<'_>) -> io::Result<()> {
            let mut out = Vec::new();
            hits.preformatted(0)
                .expect("formatted by the workers")
                .write_to(&mut out, 0)?;
            assert!(
                out.starts_with(b"line "),
                "{}",
                String::from_utf8_lossy(&out)
            );
            self.hits += hits.len() as u64;
            self.batches += 1;
            Ok(())
        }
    }

    #[test]
    fn batches_formatted_on_the_workers_stay_full() {
        // Recycled batches keep the capacity of their formatted text; judging a batch by
        // that capacity once handed on every hit alone (ten times slower on dense logs).
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let data = b"x SYS_ERR DATABASE_TIMEOUT y\n".repeat(100_000);
        let scanner = Scanner::for_catalog(
            &catalog,
            ScanOptions {
                threads: 2,
                ..ScanOptions::default()
            },
        );
        let mut sink = Formatting {
            hits: 0,
            batches: 0,
        };
        let source = Source::Bytes {
            name: "dense".into(),
            data: Arc::new(data),
        };
        let end = scanner.scan(vec![source], &mut sink);
        assert_eq!((end.summary.hits(), sink.hits), (200_000, 200_000));
        assert!(
            sink.batches < 2_000,
            "{} batches for 200,000 hits",
            sink.batches
        );
    }

    #[test]
    fn a_budget_smaller_than_one_batch_still_finishes() {
        // The current unit's worker may always send one batch: no deadlock.
        let (summary, _, sink) = dense_scan(1, 3);
        assert_eq!((summary.hits(), sink.hits), (200_000, 200_000));
        assert!(sink.lines_in_order);
    }
}
