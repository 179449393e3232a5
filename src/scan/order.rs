//! In-order emission: the calling thread receives worker results, keeps those that arrive
//! early, and hands them to the [`Sink`] strictly in unit order, numbering lines across the
//! chunks of a file by adding up the line counts of the chunks before (a prefix sum). Every
//! message was charged to the budget by its worker; it is released here once the sink has it.
//!
//! A file cut while its chunks were read (logrotate's `copytruncate`) is counted up to the
//! chunk where it ended: the lines the cut took from that chunk are unknown, so the chunks
//! after it, whatever they read before the cut, cannot be numbered. What is reported is then
//! its first bytes, every hit at its right line, and the notice says how many.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::mpsc;

use super::batch::Batch;
use super::parallel::{Envelope, Outcome, Shared};
use super::{InputStats, Notice};
use crate::diagnosis::Grouper;
use crate::error::Error;
use crate::input::Change;
use crate::sink::{Hits, InputEnd, Sink};
use crate::summary::{Counts, InputSummary, Summary};

/// What workers send.
// A batch travels by value: boxing it would cost an allocation per batch for nothing, since a
// message is a few hundred bytes against the batch's own quarter-megabyte of hit data.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Message {
    /// Hits and counts of part of a source.
    Batch { source: usize, batch: Batch },
    /// A source, or one chunk of it, is finished: what it read, the error that stopped it,
    /// how it changed while read. `last` closes the source.
    End {
        source: usize,
        outcome: Outcome,
        last: bool,
    },
    /// Messages of a run of small files, sent together.
    Many(Vec<Message>),
    /// The unit is complete.
    UnitDone,
}

/// Receives worker results and hands them to the sink in unit order. Returns the summary of
/// what was handed on, and the sink's error if it stopped the scan early.
pub(crate) fn emit_in_order(
    shared: &Shared,
    receiver: &mpsc::Receiver<Envelope>,
    sink: &mut dyn Sink,
) -> (Summary, Option<io::Error>) {
    let total_known: u64 = shared.units.iter().map(|u| u.bytes).sum();
    // Hits are grouped here, in input order, when they are kept at all.
    let grouper = shared.collect_hits.then(|| shared.scanner.grouper());
    let mut early: HashMap<usize, VecDeque<(Message, usize)>> = HashMap::new();
    let mut emitter = Emitter {
        shared,
        sink,
        summary: shared.scanner.new_summary(),
        open: None,
        line_base: 0,
        counts: Counts::new(shared.scanner.codes()),
        ended: false,
        handed: 0,
        change: None,
        held_back: false,
        cut: false,
        grouper,
        max_hits: shared
            .scanner
            .options()
            .max_hits
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX)),
    };
    let mut current = 0usize;
    let mut done_bytes = 0u64;
    while current < shared.units.len() {
        let (message, weight) = match early.get_mut(&current).and_then(VecDeque::pop_front) {
            Some(parked) => parked,
            None => match receiver.recv() {
                Ok((index, message, weight)) if index == current => (message, weight),
                Ok((index, message, weight)) => {
                    early.entry(index).or_default().push_back((message, weight));
                    continue;
                }
                Err(_) => break, // every worker has stopped: nothing more will come
            },
        };
        if let Message::UnitDone = message {
            early.remove(&current);
            done_bytes += shared.units[current].bytes;
            current += 1;
            shared.budget.advance(current);
            emitter.sink.progress(done_bytes, total_known);
        } else {
            let mut handled = emitter.handle(message);
            shared.budget.release(weight);
            // A stream's batches come as its input arrives: show each one now.
            if handled.is_ok() && shared.units[current].waits_for_its_turn() {
                handled = emitter.sink.flush();
            }
            if let Err(error) = handled {
                emitter.end_open_input_quietly();
                emitter.finish_groups();
                return (emitter.summary, Some(error));
            }
        }
    }
    emitter.finish_groups();
    (emitter.summary, None)
}

/// The sink side's state while results are handed over in order.
struct Emitter<'a> {
    shared: &'a Shared,
    sink: &'a mut dyn Sink,
    summary: Summary,
    /// The source whose results are being handed over.
    open: Option<usize>,
    /// Lines in the chunks of the open source before the current one.
    line_base: u64,
    /// What the open source gave so far.
    counts: Counts,
    /// Whether the open source has ended (its error was reported, or its last part seen).
    ended: bool,
    /// Hits of the open source handed to the sink.
    handed: usize,
    /// Most hits of one source handed to the sink.
    max_hits: usize,
    /// How the open source changed while it was read, as one of its chunks found: told once,
    /// when it ends, with what was scanned.
    change: Option<Change>,
    /// Whether the last counted part of the open source left out its unterminated last line.
    held_back: bool,
    /// Whether the open source was cut in a chunk already counted: later chunks are not.
    cut: bool,
    /// Groups hits by request, and which patterns are numbers (when hits are kept).
    grouper: Option<(Grouper, Vec<bool>)>,
}

impl Emitter<'_> {
    fn open(&mut self, source: usize) -> io::Result<()> {
        if self.open != Some(source) {
            self.open = Some(source);
            self.line_base = 0;
            self.counts.clear();
            self.ended = false;
            self.handed = 0;
            self.change = None;
            self.held_back = false;
            self.cut = false;
            if let Some((grouper, _)) = &mut self.grouper {
                grouper.name_input(source, &self.shared.inputs[source].name);
            }
            self.sink.begin_input(&self.shared.inputs[source])?;
        }
        Ok(())
    }

    /// Ends the open source: counts it, and tells the sink.
    fn end(&mut self, source: usize, stats: InputStats, error: Option<&Error>) -> io::Result<()> {
        self.ended = true;
        if let Some((grouper, _)) = &mut self.grouper {
            grouper.end_input(source);
        }
        let input = &self.shared.inputs[source];
        let mut row = InputSummary::from_counts(
            input.name.clone(),
            input.distinct_path_bytes(),
            &self.counts,
        );
        row.error = error.map(Error::detail);
        self.summary.add_input(&self.counts, row);
        let end = InputEnd {
            stats,
            counts: &self.counts,
            error,
        };
        self.sink.end_input(input, &end)
    }

    /// The scan stops in the middle of the open source: what it found still counts.
    fn end_open_input_quietly(&mut self) {
        if let (Some(source), false) = (self.open, self.ended) {
            self.ended = true;
            if let Some((grouper, _)) = &mut self.grouper {
                grouper.end_input(source);
            }
            let input = &self.shared.inputs[source];
            let row = InputSummary::from_counts(
                input.name.clone(),
                input.distinct_path_bytes(),
                &self.counts,
            );
            self.summary.add_input(&self.counts, row);
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
                self.open(source)?;
                if self.ended || self.cut {
                    // Later chunks of a file that failed or was cut: their line numbers would
                    // be wrong.
                    return Ok(());
                }
                // Counted first: if the sink stops on one of these hits, the summary still
                // holds what was found (the exit status follows it).
                batch.counts.unknown.rebase(self.line_base);
                self.counts += batch.counts();
                batch.add_seen_to(
                    &mut self.counts,
                    &self.shared.inputs[source].name,
                    self.line_base,
                    self.shared.scanner.categories(),
                );
                if let Some((grouper, numeric)) = &mut self.grouper {
                    super::group_batch(grouper, numeric, source, &batch, self.line_base);
                }
                let take = self.max_hits.saturating_sub(self.handed);
                if !batch.is_empty() && take > 0 {
                    let hits = Hits::new(&batch, self.line_base, take);
                    self.handed += hits.len();
                    self.sink.hits(&self.shared.inputs[source], &hits)?;
                }
                self.shared.recycler.give(batch);
            }
            Message::End {
                source,
                outcome,
                last,
            } => {
                self.open(source)?;
                if self.ended {
                    // Reported once; the rest of the file is not counted.
                    return Ok(());
                }
                let Outcome {
                    stats,
                    error,
                    change,
                    held_back,
                    cut,
                } = outcome;
                if !self.cut {
                    // A chunk other than the last ends with a line break, so its lines are
                    // its line breaks: the next chunk's lines follow them. What was read
                    // before an error or a cut counts too.
                    self.line_base += stats.lines;
                    self.counts.add_read(stats.bytes, stats.lines);
                    self.held_back = held_back;
                    self.cut = cut;
                }
                // The chunk that finished last, in time, brings it: not necessarily the last.
                if change.is_some() {
                    self.change = change;
                }
                if error.is_some() || last {
                    self.tell_change(source)?;
                }
                if let Some(error) = error {
                    self.counts.add_error();
                    let read = self.read_so_far();
                    self.end(source, read, Some(&error))?;
                } else if last {
                    self.counts.add_file();
                    let read = self.read_so_far();
                    self.end(source, read, None)?;
                }
            }
            Message::UnitDone => {}
        }
        Ok(())
    }

    /// Every group closes: what they gave goes into the summary.
    fn finish_groups(&mut self) {
        if let Some((grouper, _)) = self.grouper.take() {
            let (hidden, requests) = grouper.finish();
            self.summary.add_diagnosis(&hidden, requests);
        }
    }

    /// Tells how the open source changed, if it did, with what of it was scanned.
    fn tell_change(&mut self, source: usize) -> io::Result<()> {
        let Some(change) = self.change.take() else {
            return Ok(());
        };
        let change = Change {
            scanned: self.counts.bytes(),
            unfinished_line_left_out: self.held_back,
            ..change
        };
        self.sink
            .notice(&self.shared.inputs[source], &Notice::Changed(change))
    }

    fn read_so_far(&self) -> InputStats {
        InputStats {
            bytes: self.counts.bytes(),
            lines: self.counts.lines(),
        }
    }
}
