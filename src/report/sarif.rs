//! SARIF 2.1.0 output.

use std::io::{self, Write};

use super::findings::Findings;
use super::Context;
use crate::sink::{Hits, InputEnd, InputInfo, Report, ScanDone, Sink};

/// The SARIF report.
pub struct SarifReport<'a> {
    out: Box<dyn Write + 'a>,
    destination: String,
    context: Context<'a>,
    findings: Findings,
}

impl<'a> SarifReport<'a> {
    /// A report writing to `out`.
    pub fn new(
        out: Box<dyn Write + 'a>,
        destination: String,
        context: Context<'a>,
    ) -> SarifReport<'a> {
        SarifReport {
            out,
            destination,
            context,
            findings: Findings::default(),
        }
    }
}

impl Sink for SarifReport<'_> {
    fn begin_input(&mut self, input: &InputInfo) -> io::Result<()> {
        self.findings.begin_input(input);
        Ok(())
    }
    fn hits(&mut self, _input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        for hit in hits.iter() {
            self.findings
                .hit(self.context.catalog, self.context.policy, &hit);
        }
        Ok(())
    }
    fn end_input(&mut self, _input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
        self.findings.end_input(end);
        Ok(())
    }
    fn finish(&mut self, _done: &ScanDone<'_>) -> io::Result<()> {
        // TODO: write the SARIF report.
        self.out.flush()
    }
}

impl Report for SarifReport<'_> {
    fn destination(&self) -> String {
        self.destination.clone()
    }
}
