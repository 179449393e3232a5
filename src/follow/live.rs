//! Scanning bytes that arrive over time — a followed file, a child's pipe, a slow stdin — and
//! handing each hit to a sink as soon as its line is complete.
//!
//! A [`LiveScan`] is one stretch of bytes read in order (one file from one offset, one pipe);
//! the [`Counts`] it adds to belong to the input, which may outlive it (a followed name whose
//! file was rotated is one input read by several scans, one after another or side by side).

use std::io;
use std::sync::Arc;

use crate::catalog::CategoryId;
use crate::scan::batch::Recycler;
use crate::scan::{Batch, Finish, LineScanner, Resume, Scanner};
use crate::sink::{Hits, InputInfo, Sink};
use crate::summary::Counts;

/// One stretch of an input, scanned line by line as its bytes arrive.
pub struct LiveScan<'s> {
    lines: LineScanner<'s>,
    /// Each code's category, by code (for the timeline).
    categories: &'s [CategoryId],
    recycler: Arc<Recycler>,
    /// Bytes and line breaks already added to the input's counts.
    counted: (u64, u64),
}

impl<'s> LiveScan<'s> {
    /// A scan starting at `start` ([`Resume::at`]`(0, 0)`: the start of the input).
    pub fn new(scanner: &'s Scanner, start: Resume) -> LiveScan<'s> {
        let recycler = Arc::new(Recycler::new(scanner.codes()));
        let counted = (0, start.newlines);
        let lines =
            scanner.line_scanner_in(scanner.spec(), start, Vec::new(), Arc::clone(&recycler));
        LiveScan {
            lines,
            categories: scanner.categories(),
            recycler,
            counted,
        }
    }

    /// Scans `data`, the next bytes of the input: every line it completes goes to `sink` (an
    /// unterminated last line waits for its line break) and into `counts`.
    pub fn feed(
        &mut self,
        data: &[u8],
        input: &InputInfo,
        counts: &mut Counts,
        sink: &mut dyn Sink,
    ) -> io::Result<()> {
        let (recycler, categories) = (&self.recycler, self.categories);
        self.lines.feed(data, &mut |batch| {
            hand_on(batch, input, counts, sink, recycler, categories)
        })?;
        self.count_read(counts);
        Ok(())
    }

    /// Where the scan stands (what a checkpoint saves), after handing on every hit found.
    pub fn checkpoint(
        &mut self,
        input: &InputInfo,
        counts: &mut Counts,
        sink: &mut dyn Sink,
    ) -> io::Result<Resume> {
        let (recycler, categories) = (&self.recycler, self.categories);
        let state = self
            .lines
            .checkpoint(&mut |batch| hand_on(batch, input, counts, sink, recycler, categories))?;
        self.count_read(counts);
        Ok(state)
    }

    /// Ends the scan: [`Finish::Final`] scans an unterminated last line, [`Finish::Pending`]
    /// keeps it in the returned state. Returns the state and whether a last line without its
    /// line break was scanned.
    pub fn finish(
        self,
        how: Finish,
        input: &InputInfo,
        counts: &mut Counts,
        sink: &mut dyn Sink,
    ) -> io::Result<(Resume, bool)> {
        let LiveScan {
            lines,
            categories,
            recycler,
            counted,
        } = self;
        let (fed, _) = lines.progress();
        let (_, state) = lines.finish(how, &mut |batch| {
            hand_on(batch, input, counts, sink, &recycler, categories)
        })?;
        // A last line without its line break counts as a line once it is scanned.
        let unterminated = how == Finish::Final && state.end() > state.line_start;
        let lines_now = state.newlines + u64::from(unterminated);
        counts.add_read(fed - counted.0, lines_now.saturating_sub(counted.1));
        Ok((state, unterminated))
    }

    /// The line being read (1-based).
    pub fn line(&self) -> u64 {
        self.lines.progress().1 + 1
    }

    /// Bytes fed so far (from where this scan started).
    pub fn fed(&self) -> u64 {
        self.lines.progress().0
    }

    fn count_read(&mut self, counts: &mut Counts) {
        let now = self.lines.progress();
        counts.add_read(now.0 - self.counted.0, now.1.saturating_sub(self.counted.1));
        self.counted = now;
    }
}

/// Hands a batch's hits to the sink and its counts to the input's.
fn hand_on(
    batch: Batch,
    input: &InputInfo,
    counts: &mut Counts,
    sink: &mut dyn Sink,
    recycler: &Recycler,
    categories: &[CategoryId],
) -> io::Result<()> {
    *counts += batch.counts();
    batch.add_seen_to(counts, &input.name, 0, categories);
    let result = if batch.is_empty() {
        Ok(())
    } else {
        // Hits of a live scan carry absolute line numbers already (its start state counts the
        // lines before it).
        sink.hits(input, &Hits::new(&batch, 0, batch.len()))
    };
    recycler.give(batch);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::scan::ScanOptions;
    use crate::sink::Collect;

    #[test]
    fn a_line_fed_in_pieces_is_reported_once_whole_with_its_counts() {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let scanner = Scanner::for_catalog(&catalog, ScanOptions::default());
        let input = InputInfo {
            index: 0,
            name: "app.log".into(),
            path: None,
        };
        let mut counts = Counts::new(scanner.codes());
        let mut sink = Collect::default();
        let mut live = LiveScan::new(&scanner, Resume::at(0, 0));
        for piece in [&b"ok\nx SYS_"[..], b"ERR", b" y\nlast DATABASE_TIMEOUT"] {
            live.feed(piece, &input, &mut counts, &mut sink)
                .expect("collecting never fails");
        }
        assert_eq!(sink.hits.len(), 1, "only the complete line so far");
        assert_eq!((counts.bytes(), counts.lines()), (36, 2));
        let (state, unterminated) = live
            .finish(Finish::Final, &input, &mut counts, &mut sink)
            .expect("collecting never fails");
        assert!(unterminated);
        let lines: Vec<u64> = sink.hits.iter().map(|h| h.line).collect();
        assert_eq!(lines, vec![2, 3]);
        assert_eq!((counts.bytes(), counts.lines(), counts.hits()), (36, 3, 2));
        assert_eq!(state.end(), 36);
    }
}
