//! Per-input lines, as grep and ripgrep print them: `PATH:HITS` for each input with hits
//! (`-c/--count`), or the name of each input with hits (`-l/--files-with-hits`). Nothing else
//! goes to the output, so it can feed `xargs` or `sort -t: -k2n`: paths are written as their
//! exact bytes, except on a terminal, where they are made safe to show.

use std::io::{self, Write};

use super::escape::terminal;
use crate::sink::{Hits, InputEnd, InputInfo, Report, ScanDone, Sink};

/// The count or files-with-hits report.
pub struct ListReport<'a> {
    out: Box<dyn Write + 'a>,
    destination: String,
    counts: bool,
    terminal: bool,
}

impl<'a> ListReport<'a> {
    /// A report writing `PATH:HITS` (`counts`) or `PATH` for each input with hits; on a
    /// `terminal`, names are escaped.
    pub fn new(
        out: Box<dyn Write + 'a>,
        destination: String,
        counts: bool,
        terminal: bool,
    ) -> ListReport<'a> {
        ListReport {
            out,
            destination,
            counts,
            terminal,
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
        if self.terminal {
            // A name can hold any bytes; on a terminal none may act as a control.
            let mut name = String::with_capacity(input.name.len());
            terminal(&input.name, &mut name);
            self.out.write_all(name.as_bytes())?;
        } else {
            self.out.write_all(&input.path_bytes())?;
        }
        if self.counts {
            write!(self.out, ":{hits}")?;
        }
        self.out.write_all(b"\n")
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
