//! Waking the follower: filesystem events (`notify`: inotify on Linux) wake it at once, and a
//! poll every `--poll-interval` catches whatever events miss (network filesystems, a watch
//! that could not be set, a folder that did not exist yet).
//!
//! An event only says "look now": every wake-up looks at every followed name, so an event lost
//! or an event queue that overflowed (inotify's `IN_Q_OVERFLOW`, notify's rescan flag) costs
//! nothing but the wait for the next poll, and never a line.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use notify::event::{EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// What wakes the follower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Files changed: look at them now. `names` is true when names may have come or gone
    /// (created, removed, renamed), so globs are looked at again too.
    Wake {
        /// Whether names may have changed.
        names: bool,
    },
    /// Print the running summary.
    Summary,
    /// Stop following: read what there is, then end.
    Stop,
}

/// Watches the folders of the followed names, sending [`Control::Wake`] on `wake`.
pub struct Watch {
    watcher: RecommendedWatcher,
    watched: Vec<PathBuf>,
}

impl Watch {
    /// A watcher sending wake-ups on `wake`; `Err` (with why) when the system has none.
    pub fn new(wake: Sender<Control>) -> Result<Watch, String> {
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let control = match event {
                // Opening or reading a file is not a change (and cbscan's own reads would
                // wake it again).
                Ok(event) if matches!(event.kind, EventKind::Access(_)) => return,
                Ok(event) => Control::Wake {
                    names: event.need_rescan()
                        || matches!(
                            event.kind,
                            EventKind::Create(_)
                                | EventKind::Remove(_)
                                | EventKind::Modify(ModifyKind::Name(_))
                                | EventKind::Any
                                | EventKind::Other
                        ),
                },
                // An error (the queue overflowed, a watch was lost): look at everything.
                Err(_) => Control::Wake { names: true },
            };
            // The follower has stopped when nobody receives: nothing to wake.
            let _ = wake.send(control);
        })
        .map_err(|e| e.to_string())?;
        Ok(Watch {
            watcher,
            watched: Vec::new(),
        })
    }

    /// Watches `dir` (once), recursively or not; `Err` says why it could not (the poll still
    /// covers it).
    pub fn add(&mut self, dir: &Path, recursive: bool) -> Result<(), String> {
        if self.watched.iter().any(|d| d == dir) {
            return Ok(());
        }
        let mode = if recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        self.watcher
            .watch(dir, mode)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        self.watched.push(dir.to_path_buf());
        Ok(())
    }

    /// Whether `dir` is watched.
    pub fn watches(&self, dir: &Path) -> bool {
        self.watched.iter().any(|d| d == dir)
    }
}

/// The folder to watch for `pattern` (a path or a glob): the part before the first component
/// with a glob character (`.` when there is none), and whether it must be watched recursively
/// (a glob character in a folder component, or `**`).
pub fn folder_of(pattern: &Path) -> (PathBuf, bool) {
    let mut dir = PathBuf::new();
    let components: Vec<_> = pattern.components().collect();
    let last = components.len().saturating_sub(1);
    for (i, part) in components.iter().enumerate() {
        let text = part.as_os_str().to_string_lossy();
        if is_glob(&text) {
            let recursive = i < last;
            return (non_empty(dir), recursive);
        }
        if i == last {
            break;
        }
        dir.push(part.as_os_str());
    }
    (non_empty(dir), false)
}

fn non_empty(dir: PathBuf) -> PathBuf {
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    }
}

/// Whether `text` holds a glob character (`*`, `?`, `[`).
pub fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_to_watch_is_the_part_before_the_glob() {
        assert_eq!(folder_of(Path::new("app.log")), (PathBuf::from("."), false));
        assert_eq!(
            folder_of(Path::new("/var/log/app.log")),
            (PathBuf::from("/var/log"), false)
        );
        assert_eq!(
            folder_of(Path::new("logs/*.log")),
            (PathBuf::from("logs"), false)
        );
        assert_eq!(
            folder_of(Path::new("logs/*/app.log")),
            (PathBuf::from("logs"), true)
        );
        assert_eq!(
            folder_of(Path::new("logs/**/*.log")),
            (PathBuf::from("logs"), true)
        );
        assert_eq!(folder_of(Path::new("*.log")), (PathBuf::from("."), false));
    }
}
