//! `cbscan follow`: follows files by name as `tail -F` does, with hits on standard output as
//! their lines arrive, until SIGINT, SIGTERM or the end of `--pid`; then the summary, the
//! `--report` files, the state, and the exit status from the policy.

use std::io::{self, IsTerminal};
use std::sync::mpsc::Sender;
use std::time::Duration;

use anyhow::bail;
use cbscan::catalog::Catalog;
use cbscan::follow::{Control, FollowOptions, Follower};
use cbscan::input::FileId;
use cbscan::limits::{FOLLOW_BLOCK_SIZE, FOLLOW_COUNT_MAX};
use cbscan::report::{new_report, Context, Format, Report, ReportOptions, ReportSpec, Show};
use cbscan::scan::{ScanOptions, Scanner};
use cbscan::sink::Tee;
use cbscan::Matcher;

use crate::actions::{in_github_actions, Defuse};
use crate::args::FollowArgs;
use crate::cmd::scan::{
    generic_warning_on_stderr, open_report_files, report_outcomes, step_summary_path, STDOUT,
};
use crate::config::{check_base_dir, check_reports, default_base_dir, filter_and_policy};
use crate::exit;
use crate::signals;
use crate::terminal::{print_error, stdout_width, stdout_writer, use_color};

/// The formats that can be written as hits arrive.
pub fn check_live_format(format: Format, command: &str) -> anyhow::Result<()> {
    if !matches!(format, Format::Human | Format::Jsonl | Format::Github) {
        bail!(
            "--format {format}: `cbscan {command}` writes standard output as hits arrive, in \
             human, jsonl or github; for a {format} report when it stops, use --report \
             {format}=FILE"
        );
    }
    Ok(())
}

pub fn run(catalog: &Catalog, args: FollowArgs, threads: usize) -> anyhow::Result<i32> {
    check_live_format(args.live.format, "follow")?;
    check_reports(&args.live.reports)?;
    check_base_dir(args.live.base_dir.as_deref())?;
    if args.poll_interval.is_zero() {
        bail!("--poll-interval must be more than 0 (it is how long cbscan sleeps between looks)");
    }
    if args.summary_interval.is_some_and(|d| d.is_zero()) {
        bail!("--summary-interval must be more than 0");
    }
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        bail!(
            "follow reads files by name; for standard input, use `cbscan scan -` (it reports \
             each hit as its line arrives, and Ctrl-C prints the summary)"
        );
    }
    if let Some(pid) = args.pid {
        if pid == 0 {
            bail!("--pid 0: not a process (give the PID of the process to wait for)");
        }
        if !process_exists(pid) {
            bail!("--pid {pid}: no such process");
        }
    }
    let (filter, policy) = filter_and_policy(catalog, &args.live.filters)?;
    let options = ScanOptions {
        threads,
        block_size: FOLLOW_BLOCK_SIZE,
        fields: !args.live.fields.no_fields,
        log_tz: crate::config::log_tz(&args.live.fields)?,
        all_codes: args.live.filters.all_codes,
        ..ScanOptions::default()
    };
    let scanner = Scanner::new(catalog, Matcher::new(catalog), filter, options)?;
    let base_dir = args.live.base_dir.clone().unwrap_or_else(default_base_dir);
    let context = Context {
        catalog,
        policy: &policy,
        base_dir: &base_dir,
    };
    let mut outputs: Vec<FileId> = Vec::new();
    let mut reports: Vec<Box<dyn Report + '_>> = Vec::new();
    let mut files = args.live.reports.clone();
    // As `scan --format github` does: the job summary gets the Markdown report.
    if let Some(path) = step_summary_path((!args.live.quiet).then_some(args.live.format), &files) {
        files.push(ReportSpec {
            format: Format::Markdown,
            path,
        });
    }
    match open_report_files(&files, context, &mut outputs) {
        Ok(opened) => reports.extend(opened),
        Err(status) => return Ok(status),
    }
    if !args.live.quiet {
        outputs.extend(FileId::of_stdout());
    }
    for path in &args.paths {
        let id = std::fs::metadata(path).ok().as_ref().and_then(FileId::of);
        if id.is_some_and(|id| outputs.contains(&id)) {
            bail!(
                "{}: that file is where cbscan's output goes (standard output or a --report); \
                 following it would read cbscan's own output back, for ever",
                path.display()
            );
        }
    }
    let follow = FollowOptions {
        from_start: args.from_start,
        poll_interval: args.poll_interval,
        rotate_wait: args.rotate_wait,
        watch: !args.no_watch,
        state: args.state.clone(),
        count_max: args.count_lines_max.unwrap_or(FOLLOW_COUNT_MAX),
        outputs,
    };
    let mut follower = Follower::new(&scanner, catalog, &args.paths, follow)?;
    if let Some(why) = &follower.watch_error {
        print_error(&format!(
            "warning: filesystem events are not available ({why}); checking every {}",
            cbscan::text::duration(args.poll_interval)
        ));
    }

    if !args.live.quiet {
        let color = use_color(args.live.color) && args.live.format == Format::Human;
        colored::control::set_override(color);
        let options = ReportOptions {
            show: Show {
                hits: true,
                summary: !args.live.no_summary,
            },
            color,
            width: stdout_width(),
            terminal: io::stdout().is_terminal(),
            on_workers: false,
            by_request: false,
        };
        let writer = if args.live.format != Format::Github && in_github_actions() {
            Box::new(Defuse::new(stdout_writer()))
        } else {
            stdout_writer()
        };
        reports.insert(
            0,
            new_report(
                args.live.format,
                writer,
                STDOUT.to_string(),
                context,
                options,
            ),
        );
    }

    let control = follower.controller();
    let stop = control.clone();
    signals::on_stop(move |_| {
        let _ = stop.send(Control::Stop);
    })?;
    if let Some(pid) = args.pid {
        watch_pid(pid, args.poll_interval, control.clone());
    }
    if let Some(every) = args.summary_interval {
        tick(every, control);
    }

    if io::stderr().is_terminal() && !args.live.quiet {
        // Like the stdin hint of `scan`: a person should know it is working, and how it ends.
        let from = if args.from_start {
            "their start"
        } else {
            "their end"
        };
        print_error(&format!(
            "following {} (files there now from {from}); Ctrl-C stops and prints the summary",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut tee = Tee::new(reports);
    let end = follower.run(&mut tee);
    let (mut output_failed, stdout_closed) = report_outcomes(&tee, STDOUT);
    if let Some(error) = &end.stopped {
        if error.kind() != io::ErrorKind::BrokenPipe && !output_failed {
            print_error(&format!("following stopped: {error}"));
            output_failed = true;
        }
    }
    if let Some(error) = &end.state_error {
        print_error(error);
        output_failed = true;
    }
    let summary_shown =
        !args.live.quiet && !args.live.no_summary && args.live.format == Format::Human;
    if !args.live.quiet && (!summary_shown || stdout_closed) {
        generic_warning_on_stderr(catalog, &end.summary);
    }
    Ok(exit::of(policy.verdict(
        catalog,
        &end.summary,
        output_failed,
    )))
}

/// Whether process `pid` exists (`kill(pid, 0)`: a process of another user exists too).
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Stops the follower once process `pid` has ended, looking every `interval`.
fn watch_pid(pid: u32, interval: Duration, control: Sender<Control>) {
    std::thread::spawn(move || {
        while process_exists(pid) {
            std::thread::sleep(interval);
        }
        let _ = control.send(Control::Stop);
    });
}

/// Asks the follower for its running summary every `every`.
fn tick(every: Duration, control: Sender<Control>) {
    std::thread::spawn(move || loop {
        std::thread::sleep(every);
        if control.send(Control::Summary).is_err() {
            return;
        }
    });
}
