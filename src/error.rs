//! The library's error type: every failure the engine can report, each naming what it was
//! working on (a file, a catalog line, a code) so the binary can print it as it is.

use std::io;
use std::path::PathBuf;

/// Everything the cbscan library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input (log file, folder, stdin) could not be opened or read.
    #[error("{path}: {source}")]
    Input {
        /// The input as the user named it (`<stdin>` for standard input).
        path: String,
        #[source]
        source: io::Error,
    },

    /// An input is the file standard output writes to: reading it would read back the
    /// scan's own output.
    #[error("{path}: input file is also the output")]
    InputIsOutput {
        /// The input as the user named it.
        path: String,
    },

    /// Walking a folder failed for one entry (permission denied, symbolic-link loop, ...).
    #[error("{path}: {message}")]
    Walk {
        /// The entry the walker could not visit.
        path: String,
        /// What went wrong, as the walker reported it.
        message: String,
    },

    /// A catalog file could not be read at all.
    #[error("catalog {path}: {source}")]
    CatalogRead {
        /// The catalog file.
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A catalog file was read but is not a valid catalog.
    #[error("catalog {source_name}:{line}:{column}: {message}")]
    Catalog {
        /// The catalog's name (a path, or `<built-in>`).
        source_name: String,
        /// 1-based line of the offending entry.
        line: usize,
        /// 1-based column (in characters) of the offending entry.
        column: usize,
        /// What is wrong.
        message: String,
    },

    /// A code, category or glob named on the command line is not known.
    #[error("{0}")]
    Usage(String),

    /// JSON lines could not be read back: a line that is not JSON, a record of a schema this
    /// version does not read, a record missing what it must carry, or a read that failed.
    #[error("line {line}: {message}")]
    Read {
        /// 1-based line of the JSON lines.
        line: u64,
        /// What is wrong.
        message: String,
    },

    /// A command (`cbscan run`) could not be started, or waited for.
    #[error("{command}: {source}")]
    Command {
        /// The program as the user named it.
        command: String,
        #[source]
        source: io::Error,
    },

    /// A baseline (an earlier scan's JSON or JSON-lines output) could not be used.
    #[error("baseline {path}: {message}")]
    Baseline {
        /// The baseline file.
        path: PathBuf,
        /// What is wrong (with the line, when one is to blame).
        message: String,
    },

    /// A `follow --state` file could not be read, used or written.
    #[error("state file {path}: {message}")]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// The input this error is about, if it is about one (for `{"type":"error","path":…}`).
    pub fn input_path(&self) -> Option<&str> {
        match self {
            Error::Input { path, .. }
            | Error::Walk { path, .. }
            | Error::InputIsOutput { path } => Some(path),
            _ => None,
        }
    }

    /// The error without the input's name in front (the name goes in its own field).
    pub fn detail(&self) -> String {
        match self {
            Error::Input { source, .. } => source.to_string(),
            Error::Walk { message, .. } => message.clone(),
            Error::InputIsOutput { .. } => "input file is also the output".to_string(),
            other => other.to_string(),
        }
    }
}

/// Shorthand used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
