//! The one report behind every end-of-scan format (SARIF, GitHub annotations, GitLab Code
//! Quality, JUnit, Markdown): it gathers the scan's hits into [`Findings`] as they come and
//! writes nothing until the scan is over, when the format ([`EndOfScan`]) writes the whole
//! report at once. The formats differ only in that last step, so only that step is theirs.

use std::io::{self, Write};

use super::findings::Findings;
use super::Context;
use crate::sink::{Hits, InputEnd, InputInfo, Report, ScanDone, Sink};

/// What an end-of-scan format writes from, and where to.
pub struct Gathered<'r> {
    /// Where the report goes ([`GatheredReport`] flushes it afterwards).
    pub out: &'r mut dyn Write,
    /// The catalog, policy and base folder.
    pub context: Context<'r>,
    /// What was kept of the scan's hits.
    pub findings: &'r Findings,
}

/// A format written once, at the end of the scan, from what [`Findings`] kept of it (severity
/// and baseline marks are only known then; see [`crate::policy::Policy::level`]).
pub trait EndOfScan {
    /// Writes the whole report to `scan.out`.
    fn write(&self, scan: Gathered<'_>, done: &ScanDone<'_>) -> io::Result<()>;
}

/// A report in the end-of-scan format `F`: it keeps [`Findings`] during the scan and has `F`
/// write them at [`Sink::finish`].
pub struct GatheredReport<'a, F> {
    out: Box<dyn Write + 'a>,
    destination: String,
    context: Context<'a>,
    findings: Findings,
    format: F,
}

impl<'a, F: EndOfScan> GatheredReport<'a, F> {
    /// A report in `format` writing to `out`, which `destination` names in messages.
    pub fn new(
        out: Box<dyn Write + 'a>,
        destination: String,
        context: Context<'a>,
        format: F,
    ) -> GatheredReport<'a, F> {
        GatheredReport {
            out,
            destination,
            context,
            findings: Findings::default(),
            format,
        }
    }
}

impl<F: EndOfScan> Sink for GatheredReport<'_, F> {
    fn begin_input(&mut self, input: &InputInfo) -> io::Result<()> {
        self.findings.begin_input(input);
        Ok(())
    }
    fn hits(&mut self, input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        for hit in hits.iter() {
            self.findings
                .hit(self.context.catalog, self.context.policy, input, &hit);
        }
        Ok(())
    }
    fn end_input(&mut self, input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
        self.findings.end_input(input, end);
        Ok(())
    }
    fn finish(&mut self, done: &ScanDone<'_>) -> io::Result<()> {
        let scan = Gathered {
            out: &mut *self.out,
            context: self.context,
            findings: &self.findings,
        };
        self.format.write(scan, done)?;
        self.out.flush()
    }
}

impl<F: EndOfScan> Report for GatheredReport<'_, F> {
    fn destination(&self) -> String {
        self.destination.clone()
    }
}
