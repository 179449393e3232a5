//! Per-input lines, as grep and ripgrep print them: `PATH:HITS` for each input with hits
//! (`-c/--count`), or the name of each input with hits (`-l/--files-with-hits`). Nothing else
//! goes to the output, so it can feed `xargs` or `sort -t: -k2n`.

use std::io::{self, Write};

use super::escape::terminal;
use crate::sink::{Hits, InputEnd, InputInfo, Report, ScanDone, Sink};

/// The count or files-with-hits report.
pub struct ListReport<'a> {
    out: Box<dyn Write + 'a>,
    destination: String,
    counts: bool,
}

impl<'a> ListReport<'a> {
    /// A report writing `PATH:HITS` (`counts`) or `PATH` for each input with hits.
    pub fn new(out: Box<dyn Write + 'a>, destination: String, counts: bool) -> ListReport<'a> {
        ListReport {
            out,
            destination,
            counts,
        }
    }
}

impl Sink for ListReport<'_> {
    fn wants_hits(&self) -> bool {
        false
    }
    fn hits(&mut self, _input: &InputInfo, _hits: &Hits<'_>) -> io::Result<()> {
        Ok(())
    }
    fn end_input(&mut self, input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
        let hits = end.counts.hits();
        if hits == 0 {
            return Ok(());
        }
        // A name can hold any bytes; a line per input must stay one line.
        let mut name = String::with_capacity(input.name.len());
        terminal(&input.name, &mut name);
        if self.counts {
            writeln!(self.out, "{name}:{hits}")
        } else {
            writeln!(self.out, "{name}")
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn finish(&mut self, _done: &ScanDone<'_>) -> io::Result<()> {
        self.out.flush()
    }
}

impl Report for ListReport<'_> {
    fn destination(&self) -> String {
        self.destination.clone()
    }
}
