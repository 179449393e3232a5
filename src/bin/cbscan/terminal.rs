//! Terminal concerns of the binary: whether to colour, where to write, the progress bar, and a
//! sink wrapper that prints errors to stderr without tearing the progress bar.

use std::env;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::time::{Duration, Instant};

use std::sync::Arc;

use cbscan::scan::Notice;
use cbscan::sink::{FormatHits, Hits, InputEnd, InputInfo, ScanDone, Sink};
use cbscan::text::visible;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::actions::{defuse, in_github_actions};
use crate::args::ColorChoice;

/// Whether to colour stdout: `--color`, then `NO_COLOR` (off), `CLICOLOR_FORCE` (on), then
/// whether stdout is a terminal that is not `TERM=dumb`.
pub fn use_color(choice: ColorChoice) -> bool {
    use_color_on(choice, io::stdout().is_terminal())
}

/// Whether to colour an output that is a terminal or not (`terminal`), as [`use_color`]
/// decides for stdout.
pub fn use_color_on(choice: ColorChoice, terminal: bool) -> bool {
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
                terminal && env::var_os("TERM").is_none_or(|t| t != "dumb")
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
/// files, and a file name can hold any bytes (in GitHub Actions, `##[` too: see [`crate::actions`]).
pub fn print_error(message: &dyn std::fmt::Display) {
    let text = visible(message.to_string().as_bytes());
    let text = if in_github_actions() {
        defuse(&text)
    } else {
        text
    };
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

/// Wraps the scan's sink: errors and notices also go to stderr, writes make room for the
/// progress bar, and a closed output does not stop the scan.
///
/// When every report's output is closed (`| head` with no `--report` file), the scan still
/// reads every input to the end, writing nothing: the exit status then depends on all that
/// the inputs hold, not on how much the reader took (with `set -o pipefail`, a gate must not
/// pass because an error came after the first screenful). Inputs that cannot be read are
/// still reported on stderr.
pub struct CliSink<'a> {
    pub inner: &'a mut dyn Sink,
    pub progress: Option<Progress>,
    /// Whether every output was found closed; nothing more is written.
    pub closed: bool,
}

impl CliSink<'_> {
    /// Passes an event on unless the outputs are closed; a closed output only ends the writing.
    fn pass(&mut self, event: impl FnOnce(&mut dyn Sink) -> io::Result<()>) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match event(&mut *self.inner) {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }

    /// Prints a diagnostic on stderr without tearing the progress bar.
    fn tell(&self, message: &dyn std::fmt::Display) {
        match &self.progress {
            Some(progress) => progress.around(|| print_error(message)),
            None => print_error(message),
        }
    }
}

impl Sink for CliSink<'_> {
    fn wants_hits(&self) -> bool {
        self.inner.wants_hits()
    }
    fn formatters(&mut self, first_slot: usize) -> Vec<Arc<dyn FormatHits>> {
        self.inner.formatters(first_slot)
    }
    fn begin_input(&mut self, input: &InputInfo) -> io::Result<()> {
        self.pass(|inner| inner.begin_input(input))
    }
    fn hits(&mut self, input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        // No redraw around hits: they never go to the bar's terminal (see `for_terminal`).
        self.pass(|inner| inner.hits(input, hits))
    }
    fn notice(&mut self, input: &InputInfo, notice: &Notice) -> io::Result<()> {
        self.tell(&format!("warning: {}: {notice}", input.name));
        self.pass(|inner| inner.notice(input, notice))
    }
    fn end_input(&mut self, input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
        if let Some(error) = end.error {
            self.tell(error);
        }
        self.pass(|inner| inner.end_input(input, end))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.pass(|inner| inner.flush())
    }
    fn progress(&mut self, done: u64, total: u64) {
        if let Some(progress) = &mut self.progress {
            progress.update(done, total);
        }
    }
    fn finish(&mut self, done: &ScanDone<'_>) -> io::Result<()> {
        // The summary is printed where the bar was.
        if let Some(progress) = &self.progress {
            progress.clear();
        }
        self.pass(|inner| inner.finish(done))
    }
}

/// The width of the terminal standard output writes to, if it writes to one.
pub fn stdout_width() -> Option<usize> {
    if !io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(width, _)| usize::from(width.0))
}
