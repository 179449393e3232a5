//! Terminal concerns of the binary: whether to colour, where to write, the progress bar, and a
//! sink wrapper that prints errors to stderr without tearing the progress bar.

use std::env;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::time::{Duration, Instant};

use cbscan::scan::{Hit, InputStats, Notice, Sink};
use cbscan::text::visible;
use cbscan::Error;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::ColorChoice;

/// Whether to colour stdout: `--color`, then `NO_COLOR` (off), `CLICOLOR_FORCE` (on), then
/// whether stdout is a terminal that is not `TERM=dumb`.
pub fn use_color(choice: ColorChoice) -> bool {
    let set = |name: &str| env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else if set("CLICOLOR_FORCE") {
                true
            } else {
                io::stdout().is_terminal() && env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// Stdout for reports: line by line on a terminal, in large blocks otherwise. Live input (as
/// from `tail -f`) is flushed by the scan whenever it waits for more (`Sink::flush`), so each
/// hit still shows up when its line arrives, without a write per hit.
pub fn stdout_writer() -> Box<dyn Write> {
    let stdout = io::stdout();
    if stdout.is_terminal() {
        Box::new(stdout.lock())
    } else {
        Box::new(BufWriter::with_capacity(256 * 1024, stdout.lock()))
    }
}

/// Prints `cbscan: message` on stderr, with control characters made visible: messages name
/// files, and a file name can hold any bytes.
pub fn print_error(message: &dyn std::fmt::Display) {
    let text = visible(message.to_string().as_bytes());
    let _ = writeln!(io::stderr().lock(), "cbscan: {text}");
}

/// A progress bar that appears only once a scan has run for a second, only on a terminal,
/// never under CI, and never while hits are printed to the same terminal (redrawing around
/// every hit would flood it).
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
}

impl Progress {
    /// A progress bar if stderr is an interactive terminal outside CI and hits (if any) are
    /// not printed to a terminal, else `None`.
    pub fn for_terminal(hits_printed: bool) -> Option<Progress> {
        if !io::stderr().is_terminal()
            || env::var_os("CI").is_some()
            || (hits_printed && io::stdout().is_terminal())
        {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(Progress {
            bar,
            started: Instant::now(),
            shown: false,
        })
    }

    fn update(&mut self, done: u64, total: u64) {
        if !self.shown && total > 0 && self.started.elapsed() >= Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_length(total);
        self.bar.set_position(done);
    }

    fn around<T>(&self, f: impl FnOnce() -> T) -> T {
        if self.shown {
            self.bar.suspend(f)
        } else {
            f()
        }
    }

    /// Removes the bar before the summary is printed.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// Wraps a report writer: errors also go to stderr, and writes make room for the progress bar.
pub struct CliSink<'a> {
    pub inner: &'a mut dyn Sink,
    pub progress: Option<Progress>,
}

impl CliSink<'_> {
    /// Prints a diagnostic on stderr without tearing the progress bar.
    fn tell(&self, message: &dyn std::fmt::Display) {
        match &self.progress {
            Some(progress) => progress.around(|| print_error(message)),
            None => print_error(message),
        }
    }
}

impl Sink for CliSink<'_> {
    fn hit(&mut self, input: &str, hit: &Hit<'_>) -> io::Result<()> {
        // No redraw around hits: they never go to the bar's terminal (see `for_terminal`).
        self.inner.hit(input, hit)
    }

    fn error(&mut self, error: &Error) -> io::Result<()> {
        self.tell(error);
        self.inner.error(error)
    }

    fn notice(&mut self, input: &str, notice: &Notice) -> io::Result<()> {
        self.tell(&format!("warning: {input}: {notice}"));
        self.inner.notice(input, notice)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn input_done(&mut self, input: &str, stats: &InputStats) -> io::Result<()> {
        self.inner.input_done(input, stats)
    }

    fn progress(&mut self, done: u64, total: u64) {
        if let Some(progress) = &mut self.progress {
            progress.update(done, total);
        }
    }
}

/// A sink that keeps nothing (`--quiet`): the summary alone decides the exit status.
pub struct Discard;

impl Sink for Discard {
    fn hit(&mut self, _input: &str, _hit: &Hit<'_>) -> io::Result<()> {
        Ok(())
    }
    fn error(&mut self, _error: &Error) -> io::Result<()> {
        Ok(())
    }
}
