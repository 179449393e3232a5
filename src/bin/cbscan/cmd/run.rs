//! `cbscan run -- COMMAND [ARGS...]`: runs the command with its output passed through
//! unchanged ([`cbscan::follow::command`] does the plumbing) and scanned as it arrives; here
//! are the command-line decisions: where cbscan's own report goes, what the signals do, and
//! the exit status.
//!
//! Exit status, as a shell reports the command's: its own if it failed (nonzero); 128+N if
//! signal N killed it (said on stderr); 127 if it was not found and 126 if it could not be
//! run; else the fail policy on what was found (0, 1, or 2 if a report could not be written).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::sync::{Arc, Mutex};

use anyhow::bail;
use cbscan::catalog::Catalog;
use cbscan::error::Error;
use cbscan::follow::command::{Passthrough, RunningCommand, Stream};
use cbscan::input::FileId;
use cbscan::report::{new_report, Context, Format, Report, ReportOptions, ReportSpec, Show};
use cbscan::scan::{ScanOptions, Scanner};
use cbscan::sink::Tee;
use cbscan::Matcher;

use crate::actions::{in_github_actions, Defuse};
use crate::args::{LiveArgs, RunArgs};
use crate::cmd::scan::{
    generic_warning_on_stderr, named_as, open_report_files, report_outcomes, step_summary_path,
};
use crate::config::{check_base_dir, check_reports, default_base_dir, filter_and_policy};
use crate::exit;
use crate::signals::{self, SIGINT, SIGTERM};
use crate::terminal::{print_error, use_color_on};

/// Exit status of a command that was not found, as shells have it.
const NOT_FOUND: i32 = 127;
/// Exit status of a command that was found but could not be run, as shells have it.
const CANNOT_RUN: i32 = 126;

pub fn run(catalog: &Catalog, args: RunArgs, threads: usize) -> anyhow::Result<i32> {
    let RunArgs {
        command,
        to_stdout,
        live:
            LiveArgs {
                format,
                reports,
                no_summary,
                quiet,
                color,
                filters,
                base_dir,
                fields,
            },
    } = args;
    if !matches!(format, Format::Human | Format::Jsonl | Format::Github) {
        bail!(
            "--format {format} is a whole report, written once the scan is over; cbscan run \
             writes as the command runs, in human, jsonl or github. For a {format} report of \
             the run, use --report {format}=FILE"
        );
    }
    let Some((program, program_args)) = command.split_first() else {
        bail!("no command to run: write it after `--` (cbscan run -- npm run deploy)");
    };
    let (filter, policy) = filter_and_policy(catalog, &filters)?;
    check_base_dir(base_dir.as_deref())?;
    check_reports(&reports)?;
    let mut reports = reports;
    // As `scan --format github` does: the job summary gets the Markdown report.
    if let Some(path) = step_summary_path((!quiet).then_some(format), &reports) {
        reports.push(ReportSpec {
            format: Format::Markdown,
            path,
        });
    }
    let base_dir = base_dir.unwrap_or_else(default_base_dir);
    let options = ScanOptions {
        threads,
        fields: !fields.no_fields,
        log_tz: crate::config::log_tz(&fields)?,
        all_codes: filters.all_codes,
        ..ScanOptions::default()
    };
    let scanner = Scanner::new(catalog, Matcher::new(catalog), filter, options)?;
    let context = Context {
        catalog,
        policy: &policy,
        base_dir: &base_dir,
    };
    let own = if to_stdout { STDOUT } else { STDERR };
    let mut tee_reports: Vec<Box<dyn Report + '_>> = Vec::new();
    if !quiet {
        tee_reports.push(own_report(format, to_stdout, no_summary, color, context));
    }
    // Created before the command starts, so that a report that cannot be written stops
    // cbscan before the command has done anything.
    check_not_standard_streams(&reports)?;
    match open_report_files(&reports, context, &mut Vec::new()) {
        Ok(opened) => tee_reports.extend(opened),
        Err(status) => return Ok(status),
    }
    let mut tee = Tee::new(tee_reports);

    // Installed before the command starts: a SIGTERM in between must not leave it running
    // with no one reading its output.
    let target = Arc::new(Mutex::new(Target::Starting(Vec::new())));
    {
        let target = Arc::clone(&target);
        signals::on_stop(move |signal| {
            match &mut *target.lock().unwrap_or_else(|p| p.into_inner()) {
                Target::Starting(pending) => pending.push(signal),
                Target::Running(pid) => pass_on(*pid, signal),
                Target::Done => {}
            }
        })?;
    }
    let mut child = std::process::Command::new(program);
    child.args(program_args);
    let passthrough = Passthrough {
        stdout: Some(Box::new(io::stdout())),
        stderr: Some(Box::new(io::stderr())),
    };
    let name = program.to_string_lossy().into_owned();
    let running = match RunningCommand::start(child, passthrough) {
        Ok(running) => running,
        Err(Error::Command { source, .. }) => return Ok(cannot_start(&name, &source)),
        Err(error) => return Err(error.into()),
    };
    set_target(&target, Target::Running(running.id()));
    let end = running.scan(&scanner, &mut tee);
    // Waited for: its pid may be another process's from now on.
    set_target(&target, Target::Done);
    let end = end?;

    // Whoever read cbscan's report has gone (`2>&1 | head`): not an error of the run.
    let (mut output_failed, own_closed) = report_outcomes(&tee, own);
    for (stream, error) in &end.passthrough_errors {
        let destination = match stream {
            Stream::Stdout => STDOUT,
            Stream::Stderr => STDERR,
        };
        print_error(&format!("writing {destination}: {error}"));
        output_failed = true;
    }
    // The advice reaches a person even when the summary that carries it was not printed.
    if !quiet && (no_summary || own_closed || format != Format::Human) {
        generic_warning_on_stderr(catalog, &end.summary);
    }
    if let Some(signal) = killed_by(&end.status) {
        // Killed by SIGPIPE after cbscan's stdout was closed is how a pipeline ends (`| head`):
        // shells say nothing about it either.
        let pipeline_end = signal == libc::SIGPIPE && end.closed.contains(&Stream::Stdout);
        if !pipeline_end {
            print_error(&format!("{name} was killed by {}", signals::name(signal)));
        }
        return Ok(128 + signal);
    }
    Ok(match end.status.code() {
        Some(0) => exit::of(policy.verdict(catalog, &end.summary, output_failed)),
        Some(status) => status,
        // Neither an exit status nor a signal (not on Unix).
        None => exit::ERROR,
    })
}

/// Where a SIGINT or SIGTERM to cbscan goes.
enum Target {
    /// The command is not started yet: the signals wait for it.
    Starting(Vec<i32>),
    /// To the command (see [`pass_on`]).
    Running(u32),
    /// The command has been waited for: nowhere.
    Done,
}

/// Moves on to `next`, passing on the signals that waited for the command to start.
fn set_target(target: &Mutex<Target>, next: Target) {
    let mut target = target.lock().unwrap_or_else(|p| p.into_inner());
    if let (Target::Starting(pending), Target::Running(pid)) = (&*target, &next) {
        for &signal in pending {
            pass_on(*pid, signal);
        }
    }
    *target = next;
}

/// Where cbscan's own report goes, in messages.
const STDOUT: &str = "standard output";
const STDERR: &str = "standard error";

/// cbscan's own report: on stderr (so that the command's stdout stays its own for a pipe), or
/// on stdout with `--stdout`. Written through unlocked handles, each flush taking the lock
/// for a moment: the threads passing the command's output through write there too.
fn own_report<'a>(
    format: Format,
    to_stdout: bool,
    no_summary: bool,
    color: crate::args::ColorChoice,
    context: Context<'a>,
) -> Box<dyn Report + 'a> {
    let (terminal, width, writer): (bool, _, Box<dyn Write>) = if to_stdout {
        let stdout = io::stdout();
        (
            stdout.is_terminal(),
            terminal_size::terminal_size_of(&stdout),
            Box::new(BufWriter::new(stdout)),
        )
    } else {
        let stderr = io::stderr();
        (
            stderr.is_terminal(),
            terminal_size::terminal_size_of(&stderr),
            Box::new(BufWriter::new(stderr)),
        )
    };
    let color = use_color_on(color, terminal) && format == Format::Human;
    // `colored` makes its own terminal check, on stdout; the decision above is the one that
    // counts.
    colored::control::set_override(color);
    // Log text must not become workflow commands (see `crate::actions`); the command's own
    // output is passed on as it is, as it would be without cbscan.
    let writer: Box<dyn Write> = if format != Format::Github && in_github_actions() {
        Box::new(Defuse::new(writer))
    } else {
        writer
    };
    let options = ReportOptions {
        show: Show {
            hits: true,
            summary: !no_summary,
        },
        color,
        width: width.map(|(w, _)| usize::from(w.0)),
        terminal,
        // Hits come a few at a time, as lines arrive: nothing to gain from workers.
        on_workers: false,
        by_request: false,
    };
    let destination = if to_stdout { STDOUT } else { STDERR };
    new_report(format, writer, destination.to_string(), context, options)
}

/// The command's output goes to cbscan's stdout and stderr: a report written to the same
/// file would garble it.
fn check_not_standard_streams(reports: &[ReportSpec]) -> anyhow::Result<()> {
    let streams = [
        regular_file_of(&io::stdout()),
        regular_file_of(&io::stderr()),
    ];
    for spec in reports {
        let id = std::fs::metadata(&spec.path)
            .ok()
            .as_ref()
            .and_then(FileId::of);
        if id.is_some() && streams.contains(&id) {
            bail!(
                "{}: the command's output goes to that file too; use another file",
                named_as(spec)
            );
        }
    }
    Ok(())
}

/// The regular file an open standard stream writes to, if it writes to one.
fn regular_file_of(stream: &impl std::os::fd::AsFd) -> Option<FileId> {
    let owned = stream.as_fd().try_clone_to_owned().ok()?;
    let meta = File::from(owned).metadata().ok()?;
    meta.is_file().then(|| FileId::of(&meta)).flatten()
}

/// Says why the command could not be started, as a shell would, and gives its status.
fn cannot_start(name: &str, error: &io::Error) -> i32 {
    if error.kind() == io::ErrorKind::NotFound {
        print_error(&format!("{name}: command not found"));
        NOT_FOUND
    } else {
        print_error(&format!("{name}: cannot run it: {error}"));
        CANNOT_RUN
    }
}

/// What cbscan does with a SIGINT or SIGTERM it got while the command runs. The command is
/// asked to stop, and cbscan reads its output to the end and then prints the summary: a
/// SIGTERM is passed on; a SIGINT from the terminal (Ctrl-C) went to the command already, as
/// it goes to the whole foreground process group, and a second one would be a double Ctrl-C
/// to it; a SIGINT sent to cbscan alone (`kill -INT`) is passed on.
fn pass_on(pid: u32, signal: i32) {
    if signal == SIGINT && in_terminal_foreground() {
        return;
    }
    if signal == SIGINT || signal == SIGTERM {
        if let Ok(pid) = libc::pid_t::try_from(pid) {
            // SAFETY: kill(2) touches no memory of ours. The pid is the child's until it is
            // waited for (then `Target::Done` replaces it, a moment later).
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }
}

/// Whether cbscan's process group is the foreground group of its controlling terminal (the
/// group a Ctrl-C goes to).
fn in_terminal_foreground() -> bool {
    use std::os::fd::AsRawFd;
    let Ok(tty) = File::open("/dev/tty") else {
        return false;
    };
    // SAFETY: tcgetpgrp only reads the terminal's foreground group; getpgrp cannot fail.
    let (foreground, ours) = unsafe { (libc::tcgetpgrp(tty.as_raw_fd()), libc::getpgrp()) };
    foreground > 0 && foreground == ours
}

/// The signal that killed the command, if one did.
fn killed_by(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}
