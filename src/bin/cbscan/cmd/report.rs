//! `cbscan report`: saved JSON lines (one file per host, per CI job, per day) merged and
//! rendered in any format, through the same reports as `scan`, so that the output is what one
//! scan of all their inputs would have printed.
//!
//! Exit status as `scan`'s: 2 if a saved file had an error (told on stderr with its file and
//! line; the rest of it is used), an input the saved scans could not read, or a report that
//! could not be written; else 1 if the merged summary matches `--fail-on`; else 0.

use cbscan::catalog::Catalog;
use cbscan::report::read::{capped, replay, survey, ReplayOptions};
use cbscan::report::{Context, Format, Report, ReportSpec};
use cbscan::sink::Tee;

use super::scan::{
    generic_warning_on_stderr, open_report_files, open_stdout_report, report_outcomes,
    shows_advice, step_summary_path, STDOUT,
};
use crate::config::{wants_html, ReportConfig};
use crate::exit;
use crate::terminal::{print_error, CliSink};

pub fn run(catalog: &Catalog, config: ReportConfig) -> i32 {
    let ReportConfig {
        inputs,
        stdout,
        mut files,
        policy,
        base_dir,
        color,
        max_hits,
        by_request,
        label_hosts,
    } = config;
    if let Some(path) = step_summary_path(stdout.map(|s| s.format), &files) {
        files.push(ReportSpec {
            format: Format::Markdown,
            path,
        });
    }
    // A report must not overwrite one of the files it reads: refused before any is read.
    for spec in &files {
        if inputs.find(&spec.path).is_some() {
            print_error(&format!(
                "--report {}={}: that file is also an input; writing the report would erase it",
                spec.format,
                spec.path.display()
            ));
            return exit::ERROR;
        }
    }
    for problem in &inputs.problems {
        print_error(problem);
    }
    // The codes the saved files name that this catalog lacks join a copy of it first: every
    // report prepares its per-code tables from the catalog it is given.
    let mut catalog = catalog.clone();
    let surveyed = survey(&mut catalog, &inputs.paths);
    for problem in &surveyed.problems {
        if !surveyed.told_at_replay(problem) {
            print_error(problem);
        }
    }
    let context = Context {
        catalog: &catalog,
        policy: &policy,
        base_dir: &base_dir,
    };
    let mut reports: Vec<Box<dyn Report + '_>> = Vec::new();
    if let Some(stdout) = stdout {
        reports.push(open_stdout_report(stdout, color, by_request, context));
    }
    let mut outputs = Vec::new();
    match open_report_files(&files, context, &mut outputs) {
        Ok(opened) => reports.extend(opened),
        Err(status) => return status,
    }
    let mut tee = Tee::new(reports);
    let options = ReplayOptions {
        max_hits,
        // An HTML report lists the most affected requests, as in `scan`.
        by_request: by_request || wants_html(stdout, &files),
        label_hosts,
    };
    let replayed = {
        // Input errors and notices the saved scans met are told on stderr, as `scan` tells
        // them; a closed stdout ends only the writing.
        let mut sink = CliSink {
            inner: &mut tee,
            progress: None,
            closed: false,
        };
        replay(&surveyed, &catalog, options, &mut sink)
    };
    for problem in capped(&replayed.problems) {
        print_error(&problem);
    }
    let (output_failed, stdout_closed) = report_outcomes(&tee, STDOUT);
    let stdout_shows_summary = shows_advice(stdout);
    if stdout.is_some() && (!stdout_shows_summary || stdout_closed) {
        generic_warning_on_stderr(&catalog, &replayed.summary);
    }
    let unreadable =
        inputs.has_errors() || surveyed.has_errors() || replayed.problems.iter().any(|p| p.error);
    exit::of(policy.verdict(&catalog, &replayed.summary, output_failed || unreadable))
}
