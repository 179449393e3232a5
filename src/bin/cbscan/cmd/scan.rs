//! `cbscan scan`: one scan feeding every report (standard output's and `--report` files'),
//! then the exit status from the policy.
//!
//! Exit status: 2 if anything went wrong (an unreadable input, a report that could not be
//! written); else 1 if a reported hit matched the `--fail-on` policy; else 0. A closed stdout
//! (`| head`) is not an error: the scan goes on for the report files, if any, and the status
//! follows the policy on what was found.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal};
use std::path::PathBuf;

use cbscan::advice::generic_seen;
use cbscan::catalog::Catalog;
use cbscan::input::{FileId, Source};
use cbscan::report::{new_report, Context, Format, Report, ReportOptions, ReportSpec, Show};
use cbscan::scan::{ScanOptions, Scanner};
use cbscan::sink::Tee;
use cbscan::Summary;

use crate::actions::{in_github_actions, Defuse};
use crate::args::ColorChoice;
use crate::config::{ScanConfig, StdoutReport};
use crate::exit;
use crate::terminal::{print_error, stdout_width, stdout_writer, use_color, CliSink, Progress};

/// Where standard output's report says it goes, in messages.
pub const STDOUT: &str = "standard output";

pub fn run(catalog: &Catalog, config: ScanConfig) -> i32 {
    let ScanConfig {
        scanner,
        mut sources,
        named,
        stdout,
        mut files,
        policy,
        base_dir,
        color,
        stdin_from_terminal,
        by_request,
    } = config;
    let context = Context {
        catalog,
        policy: &policy,
        base_dir: &base_dir,
    };
    if stdin_from_terminal {
        // Like `cat`, but a person who forgot the path should know why nothing happens.
        print_error(&"reading standard input (no path given); end it with Ctrl-D");
    }
    // Report files are created before the scan, so that one that cannot be written stops it
    // before any work, and so that the scan can refuse to read them back.
    let mut reports: Vec<Box<dyn Report + '_>> = Vec::new();
    let mut outputs = scanner.options().outputs.clone();
    if let Some(stdout) = stdout {
        reports.push(open_stdout_report(stdout, color, by_request, context));
    }
    // The baseline is an earlier scan's output, not a log: one kept in a scanned folder (as the
    // README's workflow keeps it) would otherwise be scanned and count its own codes again.
    if let Some(id) = policy
        .baseline
        .as_ref()
        .and_then(|b| std::fs::metadata(&b.path).ok())
        .as_ref()
        .and_then(FileId::of)
    {
        sources.retain(|source| {
            !matches!(source, Source::File { id: Some(sid), path, .. }
                if *sid == id && !named.iter().any(|n| n == path))
        });
    }
    // `--format github` in a GitHub Actions job: the job summary gets the Markdown report (a
    // report like any other, appended to as below), unless a `--report` already writes it.
    if let Some(path) = step_summary_path(stdout.map(|s| s.format), &files) {
        files.push(ReportSpec {
            format: Format::Markdown,
            path,
        });
    }
    // Every report's folder is checked before any file is created, so that one bad path does
    // not leave the others emptied.
    let stdout_file = FileId::of_stdout();
    for spec in &files {
        // `--report json=out.txt > out.txt`: two writers on one file would garble both.
        let existing = std::fs::metadata(&spec.path).ok();
        if stdout.is_some()
            && stdout_file.is_some()
            && existing.as_ref().and_then(FileId::of) == stdout_file
        {
            print_error(&format!(
                "{}: that file is standard output too; use --format {} instead, or another file",
                named_as(spec),
                spec.format
            ));
            return exit::ERROR;
        }
        // A log named as an input and as a report would be emptied before it is read.
        if let Some(id) = existing.as_ref().and_then(FileId::of) {
            let named_input = sources.iter().any(|source| {
                matches!(source, Source::File { id: Some(sid), path, .. }
                    if *sid == id && named.iter().any(|n| n == path))
            });
            if named_input {
                print_error(&format!(
                    "{}: that file is also an input; writing the report would erase it",
                    named_as(spec)
                ));
                return exit::ERROR;
            }
            // A report left in a scanned folder by an earlier run is not a log: skip it, so
            // that running the same command twice gives the same result.
            sources.retain(
                |source| !matches!(source, Source::File { id: Some(sid), .. } if *sid == id),
            );
        }
        let parent = spec.path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(parent) = parent.filter(|p| !p.is_dir()) {
            let what = if parent.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            print_error(&format!("{}: {} {what}", named_as(spec), parent.display()));
            return exit::ERROR;
        }
    }
    match open_report_files(&files, context, &mut outputs) {
        Ok(opened) => reports.extend(opened),
        Err(status) => return status,
    }
    let scanner = if outputs.len() == scanner.options().outputs.len() {
        scanner
    } else {
        scanner.with_options(ScanOptions {
            outputs,
            ..scanner.options().clone()
        })
    };
    let stdout_shows_summary = shows_advice(stdout);
    let progress = match stdout {
        Some(s) if s.format == Format::Human => Progress::for_terminal(s.show.hits),
        _ => None,
    };
    // Ctrl-C on a stdin that never ends by itself prints the summary instead of losing it.
    crate::stdin::stoppable(&mut sources);
    let mut tee = Tee::new(reports);
    let summary = scan_into(&scanner, sources, &mut tee, progress);
    let (output_failed, stdout_closed) = report_outcomes(&tee, STDOUT);
    // The advice reaches a person even when the summary that carries it was not printed, or
    // went to a reader that had gone (`| head`).
    if stdout.is_some() && (!stdout_shows_summary || stdout_closed) {
        generic_warning_on_stderr(catalog, &summary);
    }
    exit::of(policy.verdict(catalog, &summary, output_failed))
}

/// Whether standard output carries the generic-code advice whole: the human summary, the
/// Markdown callout and the HTML page (GitHub annotations only say a code is generic).
pub fn shows_advice(stdout: Option<StdoutReport>) -> bool {
    stdout.is_some_and(|s| match s.format {
        Format::Human => s.show.summary,
        Format::Markdown | Format::Html => true,
        _ => false,
    })
}

/// Standard output's report (`scan`, `report`).
pub fn open_stdout_report<'a>(
    stdout: StdoutReport,
    color: ColorChoice,
    by_request: bool,
    context: Context<'a>,
) -> Box<dyn Report + 'a> {
    let color = use_color(color) && stdout.format == Format::Human;
    // `colored` makes its own terminal check; the decision above is the one that counts.
    colored::control::set_override(color);
    let options = ReportOptions {
        show: stdout.show,
        color,
        width: stdout_width(),
        terminal: io::stdout().is_terminal(),
        on_workers: true,
        by_request,
    };
    // Log text on stdout must not become workflow commands (see `crate::actions`).
    let writer = if stdout.format != Format::Github && in_github_actions() {
        Box::new(Defuse::new(stdout_writer()))
    } else {
        stdout_writer()
    };
    new_report(stdout.format, writer, STDOUT.to_string(), context, options)
}

/// Creates the `--report` files (the job summary is appended to) and their reports, noting
/// each file's identity in `outputs` so that no scan reads it back. A file that cannot be
/// created is told on stderr; the status to exit with is returned.
pub fn open_report_files<'a>(
    files: &[ReportSpec],
    context: Context<'a>,
    outputs: &mut Vec<FileId>,
) -> Result<Vec<Box<dyn Report + 'a>>, i32> {
    let mut reports: Vec<Box<dyn Report + 'a>> = Vec::new();
    for spec in files {
        // The job summary (`GITHUB_STEP_SUMMARY`) gathers what the step's commands append; a
        // report there adds to it.
        let opened = if is_step_summary(&spec.path) {
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&spec.path)
        } else {
            File::create(&spec.path)
        };
        let file = match opened {
            Ok(file) => file,
            Err(error) => {
                print_error(&format!(
                    "{}: cannot create the file: {error}",
                    named_as(spec)
                ));
                return Err(exit::ERROR);
            }
        };
        if let Some(id) = file.metadata().ok().as_ref().and_then(FileId::of) {
            outputs.push(id);
        }
        let options = ReportOptions {
            show: Show::ALL,
            ..ReportOptions::default()
        };
        reports.push(new_report(
            spec.format,
            Box::new(BufWriter::with_capacity(256 * 1024, file)),
            spec.path.display().to_string(),
            context,
            options,
        ));
    }
    Ok(reports)
}

/// How the reports fared: whether one failed to write (told on stderr), and whether `own`, the
/// stream cbscan's own report goes to, was closed by its reader (`| head`), which is not an
/// error.
pub fn report_outcomes(tee: &Tee<'_>, own: &str) -> (bool, bool) {
    let mut output_failed = false;
    let mut stdout_closed = false;
    for (destination, error) in tee.outcomes() {
        let Some(error) = error else { continue };
        if destination == own && error.kind() == io::ErrorKind::BrokenPipe {
            stdout_closed = true;
            continue;
        }
        print_error(&format!("writing {destination}: {error}"));
        output_failed = true;
    }
    (output_failed, stdout_closed)
}

/// Where `--format github` appends the job summary: `GITHUB_STEP_SUMMARY`, when set and not
/// already the path of a `--report`.
pub fn step_summary_path(format: Option<Format>, files: &[ReportSpec]) -> Option<PathBuf> {
    if format != Some(Format::Github) {
        return None;
    }
    let path = step_summary()?;
    (!files.iter().any(|spec| is_step_summary(&spec.path))).then_some(path)
}

/// How messages name a report file: as the option that asked for it, or as the job summary.
pub fn named_as(spec: &ReportSpec) -> String {
    if is_step_summary(&spec.path) {
        format!("GITHUB_STEP_SUMMARY={}", spec.path.display())
    } else {
        format!("--report {}={}", spec.format, spec.path.display())
    }
}

/// `GITHUB_STEP_SUMMARY`, when set.
fn step_summary() -> Option<PathBuf> {
    std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// Whether `path` is the job summary file (`--report markdown=$GITHUB_STEP_SUMMARY`).
fn is_step_summary(path: &std::path::Path) -> bool {
    step_summary().is_some_and(|summary| {
        *path == summary
            || matches!(
                (std::fs::canonicalize(path), std::fs::canonicalize(&summary)),
                (Ok(a), Ok(b)) if a == b
            )
    })
}

fn scan_into(
    scanner: &Scanner,
    sources: Vec<Source>,
    tee: &mut Tee<'_>,
    progress: Option<Progress>,
) -> Summary {
    let mut sink = CliSink {
        inner: tee,
        progress,
        closed: false,
    };
    // The sink clears the progress bar when the scan finishes, before the summary.
    scanner.scan(sources, &mut sink).summary
}

/// When no human summary is printed, the generic-code advice still reaches a person.
pub fn generic_warning_on_stderr(catalog: &Catalog, summary: &Summary) {
    for seen in generic_seen(catalog, summary) {
        print_error(&format!(
            "warning: {}; see cbscan explain {}",
            seen.sentence(catalog),
            catalog.code(seen.code).code
        ));
    }
}
