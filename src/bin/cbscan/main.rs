//! The `cbscan` binary: clap definitions ([`args`]) resolved into a plain [`config::Config`],
//! one module per subcommand ([`cmd`]), exit statuses ([`exit`]) and terminal concerns
//! ([`terminal`]), what changes inside GitHub Actions ([`actions`]), and signals ([`signals`],
//! [`stdin`]). The engine is the library.

mod actions;
mod args;
mod cmd;
mod config;
mod exit;
mod signals;
mod stdin;
mod terminal;

use std::io::{self, Write};

use clap::Parser;

use crate::args::Cli;
use crate::config::{Command, Config};
use crate::terminal::print_error;

fn main() {
    std::process::exit(run());
}

/// Parses the command line, runs it and returns the exit status.
fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` go to stdout and exit 0: a help text lost to a full disk
            // must not pass for one printed. (A usage error already exits 2.)
            if let Err(error) = e.print() {
                if error.kind() != io::ErrorKind::BrokenPipe {
                    let stream = if e.use_stderr() {
                        "standard error"
                    } else {
                        "standard output"
                    };
                    print_error(&format!("writing {stream}: {error}"));
                    return exit::ERROR;
                }
            }
            hint_after_parse_error(&e);
            return e.exit_code();
        }
    };
    let outcome = Config::from_cli(cli).and_then(|config| match config.command {
        Command::Scan(scan) => Ok(cmd::scan::run(&config.catalog, *scan)),
        Command::Follow(args) => cmd::follow::run(&config.catalog, *args, config.threads),
        Command::Run(args) => cmd::run::run(&config.catalog, *args, config.threads),
        Command::Report(args) => Ok(cmd::report::run(&config.catalog, *args)),
        Command::Explain { codes, format } => cmd::explain::run(&config.catalog, &codes, format),
        Command::Codes { categories, format } => {
            cmd::codes::run(&config.catalog, &categories, format)
        }
    });
    match outcome {
        Ok(status) => status,
        // A closed stdout ends `explain` and `codes` quietly (`scan` decides for itself).
        Err(error) if is_broken_pipe(&error) => exit::OK,
        Err(error) => {
            // Library errors already say what caused them; printing the chain would repeat it.
            print_error(&error);
            exit::ERROR
        }
    }
}

/// Why `-s`/`--no-summary` cannot go with `-c`/`-l`: clap's conflict message says only that
/// they cannot.
const SUMMARY_WITH_LIST_HINT: &str = "hint: -c/--count and -l/--files-with-hits print one \
     line per input with hits and never a summary, so -s/--summary-only and --no-summary would \
     change nothing; for the summary alone, drop -c/-l";

/// `cbscan app.log` is a common first try: point at `cbscan scan app.log`; and ripgrep users
/// reach for `--json`.
fn hint_after_parse_error(error: &clap::Error) {
    if error.kind() == clap::error::ErrorKind::UnknownArgument
        && std::env::args_os().any(|arg| arg == "--json")
    {
        print_error(&"hint: for JSON lines, use `--format jsonl` (one document: `--format json`)");
        return;
    }
    if error.kind() == clap::error::ErrorKind::ArgumentConflict {
        let named = |flag: &str| {
            use clap::error::{ContextKind, ContextValue};
            [ContextKind::InvalidArg, ContextKind::PriorArg]
                .into_iter()
                .any(|kind| match error.get(kind) {
                    Some(ContextValue::String(arg)) => arg == flag,
                    Some(ContextValue::Strings(args)) => args.iter().any(|arg| arg == flag),
                    _ => false,
                })
        };
        if (named("--count") || named("--files-with-hits"))
            && (named("--summary-only") || named("--no-summary"))
        {
            print_error(&SUMMARY_WITH_LIST_HINT);
        }
        return;
    }
    if error.kind() != clap::error::ErrorKind::InvalidSubcommand {
        return;
    }
    let first = std::env::args_os().nth(1);
    if first.is_some_and(|arg| std::path::Path::new(&arg).exists()) {
        print_error(&"hint: to scan files or folders, run `cbscan scan PATH...`");
    }
}

/// Standard output for `explain` and `codes`: its write errors say where they happened
/// (`writing standard output: No space left on device`) and keep their kind, so a closed pipe
/// is still recognised and stays quiet.
pub struct NamedStdout(Box<dyn Write>);

impl NamedStdout {
    /// Standard output, buffered as [`terminal::stdout_writer`] decides.
    pub fn open() -> NamedStdout {
        NamedStdout(terminal::stdout_writer())
    }
}

/// Names standard output in `error`.
fn writing_stdout(error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("writing standard output: {error}"))
}

impl Write for NamedStdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(writing_stdout)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(writing_stdout)
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
