//! Following live inputs: files by name with `tail -F` semantics ([`Follower`]), and a
//! command's output ([`command`]). Both scan bytes as they arrive with [`live::LiveScan`] and
//! hand hits to the same sinks as `scan`.
//!
//! - `track`: what happened to a name between two looks (pure: rotation, truncation,
//!   replacement, a reused inode), and the grace period of a rotated file.
//! - `name`: one followed name and the files read under it, doing what `track` decides.
//! - `files`: a file's identity, first bytes and neighbours on disk.
//! - `watch`: wake-ups from filesystem events, with polling as the safety net.
//! - `checkpoint`: the `--state` file, saved atomically.
//!
//! The follower is one thread: it wakes (an event, the poll, a control message), looks at
//! every name, reads what is new, flushes the sink, and saves its state at intervals — after
//! the flush, so that a saved place never runs ahead of what was printed.

pub mod checkpoint;
pub mod command;
mod files;
pub mod live;
mod name;
pub mod track;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use checkpoint::{load_counts, save_counts, NameState, State, STATE_VERSION};
use name::{Ctx, Name};
pub use watch::Control;
use watch::{folder_of, is_glob, Watch};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::input::FileId;
use crate::limits::{STATE_SAVE_INTERVAL, WAKE_COALESCE};
use crate::scan::{InputStats, Scanner};
use crate::sink::{InputEnd, InputInfo, ScanDone, Sink};
use crate::summary::wire::Data;
use crate::summary::{InputSummary, Summary};

/// How to follow.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Read the files there are at the start from their beginning (default: their end).
    pub from_start: bool,
    /// How often names are looked at without an event.
    pub poll_interval: Duration,
    /// How long a rotated file is read after its last growth.
    pub rotate_wait: Duration,
    /// Wake on filesystem events (else poll only).
    pub watch: bool,
    /// Where to save and resume from.
    pub state: Option<PathBuf>,
    /// Most bytes counted for line numbers when a file is followed from its end
    /// ([`crate::limits::FOLLOW_COUNT_MAX`]).
    pub count_max: u64,
    /// Files the follow writes to (standard output redirected to a file, reports): a glob
    /// matching one is not followed, or cbscan would read its own output, endlessly.
    pub outputs: Vec<FileId>,
}

impl Default for FollowOptions {
    fn default() -> FollowOptions {
        FollowOptions {
            from_start: false,
            poll_interval: Duration::from_millis(250),
            rotate_wait: Duration::from_secs(5),
            watch: true,
            state: None,
            count_max: crate::limits::FOLLOW_COUNT_MAX,
            outputs: Vec::new(),
        }
    }
}

/// What the user asked to follow.
#[derive(Debug, Clone)]
enum Target {
    /// A name, followed whether or not it exists.
    Name(PathBuf),
    /// A glob: every file matching it, as they appear.
    Glob(String),
}

/// How following ended.
#[derive(Debug)]
pub struct FollowEnd {
    /// What was found, over the whole follow (and the runs before it, with a state file).
    pub summary: Summary,
    /// The error with which the sink stopped following (its output closed), if it did.
    pub stopped: Option<std::io::Error>,
    /// A state file that could not be saved.
    pub state_error: Option<Error>,
}

/// Follows files by name. See the module documentation.
pub struct Follower<'s> {
    env: Env<'s>,
    targets: Vec<Target>,
    names: Vec<Name<'s>>,
    control: Sender<Control>,
    wakes: Receiver<Control>,
    watch: Option<Watch>,
    /// Why filesystem events are not used, if they are not.
    pub watch_error: Option<String>,
    saved: Option<State>,
    /// Glob matches that are not logs to follow (cbscan's own files, archives).
    skipped: std::collections::HashSet<PathBuf>,
}

/// What every name is read with.
struct Env<'s> {
    scanner: &'s Scanner,
    catalog: &'s Catalog,
    options: FollowOptions,
    /// The read buffer, shared by every file.
    buf: Vec<u8>,
    /// When the state resumed from was saved.
    saved_at: Option<std::time::SystemTime>,
}

impl<'s> Env<'s> {
    /// What an operation on a name needs, now.
    fn ctx<'a>(&'a mut self, sink: &'a mut dyn Sink) -> Ctx<'a, 's> {
        Ctx {
            scanner: self.scanner,
            catalog: self.catalog,
            options: &self.options,
            sink,
            buf: &mut self.buf,
            now: Instant::now(),
            saved_at: self.saved_at,
        }
    }
}

impl<'s> Follower<'s> {
    /// A follower of `paths` (names, or globs when they hold `*`, `?` or `[` and name no
    /// file). Reads the state file, if one is given and exists.
    pub fn new(
        scanner: &'s Scanner,
        catalog: &'s Catalog,
        paths: &[PathBuf],
        options: FollowOptions,
    ) -> Result<Follower<'s>> {
        let targets = paths
            .iter()
            .map(|path| match path.to_str() {
                Some(text) if is_glob(text) && !path.exists() => glob::Pattern::new(text)
                    .map(|_| Target::Glob(text.to_string()))
                    .map_err(|e| Error::Usage(format!("{text}: not a valid glob: {e}"))),
                _ => Ok(Target::Name(path.clone())),
            })
            .collect::<Result<Vec<_>>>()?;
        let saved = match &options.state {
            Some(path) => State::load(path)?,
            None => None,
        };
        if let (Some(state), Some(path)) = (&saved, &options.state) {
            for name in &state.names {
                load_counts(catalog, &name.counts).map_err(|e| Error::State {
                    path: path.clone(),
                    message: format!(
                        "{e}: it was made with another catalog; use that one, or delete it to \
                         start over"
                    ),
                })?;
            }
        }
        let (control, wakes) = channel();
        let (watch, watch_error) = if options.watch {
            match Watch::new(control.clone()) {
                Ok(watch) => (Some(watch), None),
                Err(e) => (None, Some(e)),
            }
        } else {
            (None, None)
        };
        Ok(Follower {
            env: Env {
                scanner,
                catalog,
                options,
                buf: Vec::new(),
                saved_at: saved.as_ref().and_then(State::saved_time),
            },
            targets,
            names: Vec::new(),
            control,
            wakes,
            watch,
            watch_error,
            saved,
            skipped: std::collections::HashSet::new(),
        })
    }

    /// A sender to wake, stop or ask a summary of the follower from another thread (signals,
    /// a timer, `--pid`).
    pub fn controller(&self) -> Sender<Control> {
        self.control.clone()
    }

    /// Follows until told to stop (or the sink fails), giving `sink` every event; then ends
    /// every input and finishes the sink with the summary.
    pub fn run(&mut self, sink: &mut dyn Sink) -> FollowEnd {
        let started = Instant::now();
        let mut stopped = self.start(sink).err();
        let mut state_error = None;
        // Saved at once: a restart is a change, and a state file that cannot be written is
        // found out now, not at the end of a day of following.
        if stopped.is_none() && self.env.options.state.is_some() {
            match self.save_state(sink) {
                Ok(()) => {}
                Err(StateFailure::Sink(e)) => stopped = Some(e),
                Err(StateFailure::State(e)) => {
                    state_error = Some(e);
                    stopped = Some(std::io::Error::other("the state file cannot be saved"));
                }
            }
        }
        let mut last_save = Instant::now();
        let mut saved_mark = self.state_mark();
        let mut last_names = Instant::now();
        let mut more = false;
        while stopped.is_none() {
            // More to read than a slice: go on at once, else wait for a wake-up or the poll.
            let first = if more {
                self.wakes.try_recv().ok()
            } else {
                match self.wakes.recv_timeout(self.env.options.poll_interval) {
                    Ok(control @ Control::Wake { .. }) => {
                        // A writer's burst is many events: one look after it, not one each.
                        std::thread::sleep(WAKE_COALESCE);
                        Some(control)
                    }
                    Ok(control) => Some(control),
                    Err(RecvTimeoutError::Timeout) => Some(Control::Wake { names: true }),
                    Err(RecvTimeoutError::Disconnected) => Some(Control::Stop),
                }
            };
            let (mut stop, mut summary, mut names) = (false, false, false);
            for control in first.into_iter().chain(self.wakes.try_iter()) {
                match control {
                    Control::Stop => stop = true,
                    Control::Summary => summary = true,
                    Control::Wake { names: n } => names |= n,
                }
            }
            let now = Instant::now();
            if names || now.duration_since(last_names) >= self.env.options.poll_interval {
                last_names = now;
                if let Err(e) = self.find_names(sink, false) {
                    stopped = Some(e);
                    break;
                }
            }
            match self.look(sink, false) {
                Ok(m) => more = m,
                Err(e) => {
                    stopped = Some(e);
                    break;
                }
            }
            if let Err(e) = sink.flush() {
                stopped = Some(e);
                break;
            }
            if summary {
                let summary = self.summary();
                let done = ScanDone {
                    summary: &summary,
                    elapsed: started.elapsed(),
                };
                if let Err(e) = sink.interim(&done) {
                    stopped = Some(e);
                    break;
                }
            }
            if stop {
                break;
            }
            if self.env.options.state.is_some()
                && now.duration_since(last_save) >= STATE_SAVE_INTERVAL
                && self.state_mark() != saved_mark
            {
                last_save = now;
                saved_mark = self.state_mark();
                match self.save_state(sink) {
                    Ok(()) => {}
                    Err(StateFailure::Sink(e)) => {
                        stopped = Some(e);
                        break;
                    }
                    Err(StateFailure::State(e)) => {
                        // Following goes on; the error is told once, at the end.
                        state_error.get_or_insert(e);
                    }
                }
            }
        }
        let (summary, end_error, final_state_error) = self.end(sink, started);
        FollowEnd {
            summary,
            stopped: stopped.or(end_error),
            state_error: final_state_error.or(state_error),
        }
    }

    /// The first look: names from the state file first (where they were left), then every
    /// target, the files there are read from their end (or start).
    fn start(&mut self, sink: &mut dyn Sink) -> std::io::Result<()> {
        if let Some(state) = self.saved.take() {
            for saved in &state.names {
                let Ok(bytes) = saved.path.to_bytes() else {
                    continue;
                };
                let path = path_from_bytes(bytes);
                if !self.is_target(&path) {
                    continue;
                }
                // Checked when the state was read.
                let counts = load_counts(self.env.catalog, &saved.counts)
                    .unwrap_or_else(|_| self.env.scanner.new_summary().total().clone());
                let index = self.add_name(&path, counts);
                let mut ctx = self.env.ctx(&mut *sink);
                self.names[index].restore(
                    &mut ctx,
                    saved.current.as_ref(),
                    &saved.draining,
                    state.saved_time(),
                )?;
            }
        }
        self.find_names(sink, true)?;
        self.look(sink, true)?;
        sink.flush()
    }

    /// Whether a glob match is not a log to follow: the state file (or its temporary file: it
    /// holds code names), or an archive (a compressed rotation: gzip, zstd).
    fn is_own(&self, path: &Path) -> bool {
        let own = (self.env.options.state.as_deref())
            .is_some_and(|state| checkpoint::is_state_file(state, path));
        own || is_archive(path)
    }

    /// Whether `path` is one of the names followed, or matches a glob followed.
    fn is_target(&self, path: &Path) -> bool {
        self.targets.iter().any(|target| match target {
            Target::Name(name) => name == path,
            Target::Glob(pattern) => glob::Pattern::new(pattern)
                .is_ok_and(|p| path.to_str().is_some_and(|text| p.matches(text))),
        })
    }

    fn add_name(&mut self, path: &Path, counts: crate::summary::Counts) -> usize {
        let from_glob = !self
            .targets
            .iter()
            .any(|t| matches!(t, Target::Name(name) if name == path));
        let info = InputInfo {
            index: self.names.len(),
            name: path.to_string_lossy().into_owned(),
            path: Some(path.to_path_buf()),
        };
        self.names.push(Name::new(info, counts, from_glob));
        self.names.len() - 1
    }

    /// Adds the names not followed yet: the targets' names, and the files matching the globs
    /// now; watches their folders.
    fn find_names(&mut self, sink: &mut dyn Sink, at_startup: bool) -> std::io::Result<()> {
        let mut found = Vec::new();
        for target in &self.targets {
            match target {
                Target::Name(path) => found.push(path.clone()),
                Target::Glob(pattern) => {
                    let mut matches: Vec<PathBuf> = glob::glob(pattern)
                        .into_iter()
                        .flatten()
                        .flatten()
                        .filter(|p| p.is_file())
                        .collect();
                    matches.sort();
                    found.extend(matches);
                }
            }
        }
        for path in found {
            // Checked at every poll: the cheap tests first, and files found not to be logs
            // are not opened again.
            if self.skipped.contains(&path)
                || self
                    .names
                    .iter()
                    .any(|n| n.info.path.as_deref() == Some(&path))
            {
                continue;
            }
            let meta = std::fs::metadata(&path).ok();
            let output = meta
                .as_ref()
                .and_then(FileId::of)
                .is_some_and(|id| self.env.options.outputs.contains(&id));
            if output || self.is_own(&path) {
                self.skipped.insert(path);
                continue;
            }
            let counts = self.env.scanner.new_summary().total().clone();
            let index = self.add_name(&path, counts);
            // A file rotated to a name the glob also matches (`app.log` to `app-1.log` under
            // `*.log`) is the file another name is reading: it goes on from there, once.
            let Some(key) = meta.as_ref().map(files::key_of) else {
                continue;
            };
            for other in 0..index {
                if let Some(reading) = self.names[other].give_up(key) {
                    let from = self.names[other].info.name.clone();
                    let mut ctx = self.env.ctx(&mut *sink);
                    self.names[index].adopt(&mut ctx, reading, &from)?;
                    break;
                }
            }
        }
        if let Some(watch) = &mut self.watch {
            for target in &self.targets {
                let pattern = match target {
                    Target::Name(path) => path.clone(),
                    Target::Glob(pattern) => PathBuf::from(pattern),
                };
                let (dir, recursive) = folder_of(&pattern);
                // A folder that does not exist yet is watched once it does (the poll finds
                // what happens in it until then).
                if dir.is_dir() && !watch.watches(&dir) {
                    if let Err(e) = watch.add(&dir, recursive) {
                        if at_startup {
                            self.watch_error.get_or_insert(e);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Looks at every name, reading what is new. Returns whether one had more than a slice.
    fn look(&mut self, sink: &mut dyn Sink, at_startup: bool) -> std::io::Result<bool> {
        let mut ctx = self.env.ctx(sink);
        let mut more = false;
        for name in &mut self.names {
            more |= name.look(&mut ctx, at_startup)?;
        }
        Ok(more)
    }

    /// Changes whenever what a state file would hold changes (bytes read, files opened or
    /// closed), so an idle follow does not write and sync its state every second.
    fn state_mark(&self) -> u64 {
        self.names
            .iter()
            .map(|n| n.counts.bytes().wrapping_add(n.files_held() << 48))
            .fold(self.names.len() as u64, u64::wrapping_add)
    }

    /// The summary so far: every name that was read, in the order they were first read.
    fn summary(&self) -> Summary {
        let mut summary = self.env.scanner.new_summary();
        for name in self.names.iter().filter(|n| n.begun) {
            let mut counts = name.counts.clone();
            counts.add_file();
            let row = InputSummary::from_counts(
                name.info.name.clone(),
                name.info.distinct_path_bytes(),
                &counts,
            );
            summary.add_input(&counts, row);
        }
        summary
    }

    fn save_state(&mut self, sink: &mut dyn Sink) -> std::result::Result<(), StateFailure> {
        let Some(path) = self.env.options.state.clone() else {
            return Ok(());
        };
        let mut names = Vec::new();
        {
            let mut ctx = self.env.ctx(&mut *sink);
            for name in self.names.iter_mut().filter(|n| n.begun) {
                let (current, draining) = name.save(&mut ctx).map_err(StateFailure::Sink)?;
                names.push((name.info.path_bytes().into_owned(), current, draining));
            }
        }
        // What the state says was read must have been printed first.
        sink.flush().map_err(StateFailure::Sink)?;
        let state = State {
            cbscan_follow_state: STATE_VERSION,
            saved_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_nanos()),
            names: names
                .into_iter()
                .zip(self.names.iter().filter(|n| n.begun))
                .map(|((path, current, draining), name)| NameState {
                    path: Data::from_bytes(&path),
                    current,
                    draining,
                    counts: save_counts(self.env.catalog, &name.counts),
                })
                .collect(),
        };
        state.save(&path).map_err(StateFailure::State)
    }

    /// Ends following: the last reads, every input's end, the state, the sink's finish.
    fn end(
        &mut self,
        sink: &mut dyn Sink,
        started: Instant,
    ) -> (Summary, Option<std::io::Error>, Option<Error>) {
        let keep = self.env.options.state.is_some();
        let mut error = None;
        let mut state_error = None;
        {
            let mut ctx = self.env.ctx(&mut *sink);
            for name in &mut self.names {
                if let Err(e) = name.stop(&mut ctx, keep) {
                    error.get_or_insert(e);
                }
            }
        }
        if keep {
            match self.save_state(sink) {
                Ok(()) => {}
                Err(StateFailure::Sink(e)) => {
                    error.get_or_insert(e);
                }
                Err(StateFailure::State(e)) => state_error = Some(e),
            }
        }
        let mut never_read = Vec::new();
        for name in &self.names {
            let Some(why) = name.never_read() else {
                continue;
            };
            let failure = Error::Input {
                path: name.info.name.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, why),
            };
            let mut counts = self.env.scanner.new_summary().total().clone();
            counts.add_error();
            let end = InputEnd {
                stats: InputStats::default(),
                counts: &counts,
                error: Some(&failure),
            };
            let told = sink
                .begin_input(&name.info)
                .and_then(|()| sink.end_input(&name.info, &end));
            if let Err(e) = told {
                error.get_or_insert(e);
            }
            let mut row = InputSummary::from_counts(
                name.info.name.clone(),
                name.info.distinct_path_bytes(),
                &counts,
            );
            row.error = Some(failure.detail());
            never_read.push((counts, row));
        }
        for name in self.names.iter().filter(|n| n.begun) {
            let mut counts = name.counts.clone();
            counts.add_file();
            let end = InputEnd {
                stats: InputStats {
                    bytes: counts.bytes(),
                    lines: counts.lines(),
                },
                counts: &counts,
                error: None,
            };
            if let Err(e) = sink.end_input(&name.info, &end) {
                error.get_or_insert(e);
            }
        }
        let mut summary = self.summary();
        for (counts, row) in never_read {
            summary.add_input(&counts, row);
        }
        let done = ScanDone {
            summary: &summary,
            elapsed: started.elapsed(),
        };
        if let Err(e) = sink.finish(&done) {
            error.get_or_insert(e);
        }
        (summary, error, state_error)
    }
}

enum StateFailure {
    Sink(std::io::Error),
    State(Error),
}

fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

/// Whether the file at `path` starts as a gzip or zstd archive does.
fn is_archive(path: &Path) -> bool {
    let mut prefix = [0u8; 4];
    let read = std::fs::File::open(path).and_then(|mut f| {
        use std::io::Read;
        f.read(&mut prefix)
    });
    read.is_ok_and(|n| crate::input::decode::sniff(&prefix[..n]) != crate::input::Encoding::Plain)
}
