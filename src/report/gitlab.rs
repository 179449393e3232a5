//! GitLab Code Quality JSON.

use std::io::{self, Write};

use super::findings::Findings;
use super::Context;
use crate::sink::{Hits, InputEnd, InputInfo, Report, ScanDone, Sink};

/// The GitLab Code Quality report.
pub struct GitlabReport<'a> {
    out: Box<dyn Write + 'a>,
    destination: String,
    context: Context<'a>,
    findings: Findings,
}

impl<'a> GitlabReport<'a> {
    /// A report writing to `out`.
    pub fn new(
        out: Box<dyn Write + 'a>,
        destination: String,
        context: Context<'a>,
    ) -> GitlabReport<'a> {
        GitlabReport {
            out,
            destination,
            context,
            findings: Findings::default(),
        }
    }
}

impl Sink for GitlabReport<'_> {
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
        // TODO: write the GitLab Code Quality report.
        self.out.flush()
    }
}

impl Report for GitlabReport<'_> {
    fn destination(&self) -> String {
        self.destination.clone()
    }
}
