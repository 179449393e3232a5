//! Turning what the user named (files, folders, `-`) into an ordered list of inputs.
//!
//! Folders are walked in parallel with the `ignore` crate; their files are then sorted by path,
//! so the order never depends on thread timing. Logs are usually git-ignored, so ignore files
//! are not honoured unless asked, and hidden files are included.

pub mod decode;
mod open;

use std::collections::BTreeSet;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use decode::Encoding;
pub use open::{open_reader, open_stdin, Change, FileId, Listed, OpenFile, OpenOptions};

use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};

use crate::error::{Error, Result};

/// The name standard input is reported under.
pub const STDIN_NAME: &str = "<stdin>";

/// A reader handed over to be scanned once (a child's pipe, a socket, a test's data).
pub type SharedReader = Arc<Mutex<Option<Box<dyn Read + Send>>>>;

/// One input to scan, in the order it will be reported.
#[derive(Clone)]
pub enum Source {
    /// Standard input.
    Stdin,
    /// A file on disk.
    File {
        /// Where to open it.
        path: PathBuf,
        /// How to name it in output.
        name: String,
        /// Its size when it was listed, if it is a regular file (decides chunking and
        /// the progress total, and is what is read, without another `stat`).
        size: Option<u64>,
        /// Its identity when it was listed (to refuse the file stdout writes to).
        id: Option<FileId>,
    },
    /// Bytes already in memory (tests, benchmarks, library users).
    Bytes {
        /// How to name it in output.
        name: String,
        /// The content.
        data: Arc<Vec<u8>>,
    },
    /// Any reader, read once from start to end as a stream.
    Reader {
        /// How to name it in output.
        name: String,
        /// The reader; taken by the scan.
        reader: SharedReader,
    },
    /// Something that could not even be listed (missing path, unreadable folder entry).
    Failed(Arc<Error>),
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Stdin => f.write_str("Stdin"),
            Source::File {
                path, name, size, ..
            } => f
                .debug_struct("File")
                .field("path", path)
                .field("name", name)
                .field("size", size)
                .finish(),
            Source::Bytes { name, data } => f
                .debug_struct("Bytes")
                .field("name", name)
                .field("len", &data.len())
                .finish(),
            Source::Reader { name, .. } => f.debug_struct("Reader").field("name", name).finish(),
            Source::Failed(error) => f.debug_tuple("Failed").field(error).finish(),
        }
    }
}

impl Source {
    /// The name the input is reported under.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => STDIN_NAME.to_string(),
            Source::File { name, .. }
            | Source::Bytes { name, .. }
            | Source::Reader { name, .. } => name.clone(),
            Source::Failed(error) => error.input_path().unwrap_or_default().to_string(),
        }
    }
}

/// How folders are walked.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Honour `.gitignore`, `.ignore` and similar files.
    pub respect_ignore: bool,
    /// Glob patterns (`*.log`, `!*.gz`) as in ripgrep's `--glob`.
    pub globs: Vec<String>,
    /// Follow symbolic links (loops are detected and reported).
    pub follow_links: bool,
    /// Walker threads (0: one per core).
    pub threads: usize,
    /// Also walk version-control and dependency folders ([`SKIPPED_FOLDERS`]).
    pub all_folders: bool,
}

/// Folders a walk skips unless asked ([`WalkOptions::all_folders`]): version-control data and
/// installed dependencies hold no logs of the project, but a dependency such as
/// `wx-server-sdk` defines every code (in a small project, 14 of 24 hits came from
/// `node_modules`). A folder named on the command line is always walked.
pub const SKIPPED_FOLDERS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    "_darcs",
    "CVS",
    "node_modules",
    "bower_components",
    ".venv",
    "__pycache__",
];

/// Lists the inputs for `paths` (`-` is stdin; no path at all also means stdin).
///
/// Paths are taken as the system gives them: a name that is not UTF-8 is opened as it is, and
/// shown with U+FFFD where its bytes are not text.
pub fn resolve_inputs(paths: &[PathBuf], options: &WalkOptions) -> Result<Vec<Source>> {
    if paths.is_empty() {
        return Ok(vec![Source::Stdin]);
    }
    let mut sources = Vec::new();
    for as_path in paths {
        if as_path.as_os_str() == "-" {
            sources.push(Source::Stdin);
            continue;
        }
        let path = as_path.to_string_lossy().into_owned();
        let as_path = as_path.as_path();
        match std::fs::metadata(as_path) {
            Ok(meta) if meta.is_dir() => {
                let (found, skipped) = walk(as_path, options)?;
                if found.is_empty() {
                    // An empty result would pass a CI gate without scanning anything.
                    let mut message = if options.globs.is_empty() {
                        "no file to scan in this folder".to_string()
                    } else {
                        format!(
                            "no file in this folder matches --glob {}",
                            options.globs.join(" ")
                        )
                    };
                    // The files may all be in a folder the walk skipped (logs kept under
                    // `.git`, a checkout of only `node_modules`): say how to reach them.
                    if !skipped.is_empty() {
                        let names: Vec<&str> = skipped.iter().map(String::as_str).collect();
                        message.push_str(&format!(
                            " (skipped {}: version-control and dependency folders are walked \
                             only with --all-folders)",
                            names.join(", ")
                        ));
                    }
                    sources.push(Source::Failed(Arc::new(Error::Walk {
                        path: path.clone(),
                        message,
                    })));
                }
                sources.extend(found);
            }
            Ok(meta) => sources.push(Source::File {
                path: as_path.to_path_buf(),
                name: path,
                size: meta.is_file().then_some(meta.len()),
                id: FileId::of(&meta),
            }),
            Err(source) => sources.push(Source::Failed(Arc::new(Error::Input { path, source }))),
        }
    }
    Ok(sources)
}

/// The files below `root`, sorted by path, with walk errors in their place; and the names of
/// the [`SKIPPED_FOLDERS`] the walk left out, for the message when nothing else is found.
pub(crate) fn walk(root: &Path, options: &WalkOptions) -> Result<(Vec<Source>, BTreeSet<String>)> {
    let skipped: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let mut builder = WalkBuilder::new(root);
    builder
        .standard_filters(options.respect_ignore)
        .hidden(false)
        .follow_links(options.follow_links)
        .threads(options.threads.min(crate::limits::MAX_THREADS));
    if !options.all_folders {
        let skipped = Arc::clone(&skipped);
        builder.filter_entry(move |entry| {
            let skip = entry.depth() > 0
                && entry.file_type().is_some_and(|t| t.is_dir())
                && SKIPPED_FOLDERS
                    .iter()
                    .any(|name| entry.file_name() == std::ffi::OsStr::new(name));
            if skip {
                skipped
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(entry.file_name().to_string_lossy().into_owned());
            }
            !skip
        });
    }
    if options.respect_ignore {
        // Outside a git repository .gitignore files still count, as users expect.
        builder.require_git(false);
    }
    if !options.globs.is_empty() {
        let mut overrides = OverrideBuilder::new(root);
        for glob in &options.globs {
            overrides
                .add(glob)
                .map_err(|e| Error::Usage(format!("invalid --glob {glob:?}: {e}")))?;
        }
        let overrides = overrides
            .build()
            .map_err(|e| Error::Usage(format!("invalid --glob: {e}")))?;
        builder.overrides(overrides);
    }
    let found: Arc<Mutex<Vec<(PathBuf, Source)>>> = Arc::new(Mutex::new(Vec::new()));
    builder.build_parallel().run(|| {
        let mut collector = Collector {
            local: Vec::new(),
            shared: Arc::clone(&found),
        };
        Box::new(move |entry| {
            let item = match entry {
                Ok(entry) => {
                    if !entry.file_type().is_some_and(|t| t.is_file()) {
                        return WalkState::Continue;
                    }
                    let meta = entry.metadata().ok();
                    let size = meta.as_ref().map(|m| m.len());
                    let id = meta.as_ref().and_then(FileId::of);
                    let path = entry.into_path();
                    let name = path.display().to_string();
                    let file = Source::File {
                        path: path.clone(),
                        name,
                        size,
                        id,
                    };
                    (path, file)
                }
                Err(error) => {
                    let path = error_path(&error).unwrap_or_else(|| root.to_path_buf());
                    let message = error.to_string();
                    let failed = Error::Walk {
                        path: path.display().to_string(),
                        message: strip_path_prefix(&message, &path),
                    };
                    (path, Source::Failed(Arc::new(failed)))
                }
            };
            collector.local.push(item);
            WalkState::Continue
        })
    });
    // Every collector has been dropped (and flushed) by the time `run` returns.
    let mut found = std::mem::take(&mut *found.lock().unwrap_or_else(|p| p.into_inner()));
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let skipped = std::mem::take(&mut *skipped.lock().unwrap_or_else(|p| p.into_inner()));
    Ok((
        found.into_iter().map(|(_, source)| source).collect(),
        skipped,
    ))
}

/// One walker thread's findings, handed to the shared list once, when the thread is done.
struct Collector {
    local: Vec<(PathBuf, Source)>,
    shared: Arc<Mutex<Vec<(PathBuf, Source)>>>,
}

impl Drop for Collector {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.append(&mut self.local);
    }
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::Partial(errors) => errors.first().and_then(error_path),
        _ => None,
    }
}

/// `ignore` prefixes some messages with the path; we print the path ourselves.
fn strip_path_prefix(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_string()
}
