//! The saved files `report` reads, from what was named: folders walked for saved files, in
//! sorted order; each file once however it was named (twice, as `./a.jsonl`, through a
//! symbolic link), since reading one twice would double every count; and which of them is a
//! given file (standard output, a `--report` file), which must not be written to.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::Problem;
use crate::error::Error;
use crate::input::{walk, FileId, Source, WalkOptions};

/// What a folder's saved files are named: the JSON lines of `scan`, `follow` or `run`, plain
/// or compressed as logs are (`gzip cbscan-web-1.jsonl`).
pub const SAVED_FILE_GLOBS: [&str; 3] = ["*.jsonl", "*.jsonl.gz", "*.jsonl.zst"];

/// What makes two names the same file: its device and inode where the system has them, else
/// its canonical path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Id(FileId),
    Path(PathBuf),
}

fn identity(path: &Path) -> Option<Identity> {
    let meta = std::fs::metadata(path).ok()?;
    FileId::of(&meta)
        .map(Identity::Id)
        .or_else(|| std::fs::canonicalize(path).ok().map(Identity::Path))
}

/// The saved files to read, in order, and what was wrong with what was named.
#[derive(Debug, Default)]
pub struct SavedFiles {
    /// The files, each once (one that cannot be looked at is kept: reading it tells why).
    pub paths: Vec<PathBuf>,
    identities: Vec<Option<Identity>>,
    /// A folder without saved files (an error), a file named twice (a note).
    pub problems: Vec<Problem>,
}

impl SavedFiles {
    /// Whether some problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.error)
    }

    /// The saved file that is the file at `path`, if one is.
    pub fn find(&self, path: &Path) -> Option<&Path> {
        self.find_identity(&identity(path)?)
    }

    /// The saved file with identity `id` (standard output's, say), if one has it.
    pub fn find_id(&self, id: FileId) -> Option<&Path> {
        self.find_identity(&Identity::Id(id))
    }

    fn find_identity(&self, wanted: &Identity) -> Option<&Path> {
        let at = self
            .identities
            .iter()
            .position(|id| id.as_ref() == Some(wanted))?;
        Some(&self.paths[at])
    }

    fn add(&mut self, path: PathBuf, seen: &mut HashMap<Identity, usize>) {
        let id = identity(&path);
        if let Some(&first) = id.as_ref().and_then(|id| seen.get(id)) {
            self.problems.push(Problem {
                file: path.display().to_string(),
                line: 0,
                message: format!(
                    "given twice (same file as {}): skipped",
                    self.paths[first].display()
                ),
                error: false,
            });
            return;
        }
        if let Some(id) = &id {
            seen.insert(id.clone(), self.paths.len());
        }
        self.paths.push(path);
        self.identities.push(id);
    }
}

/// The saved files `named` stands for: a folder stands for its saved files
/// ([`SAVED_FILE_GLOBS`], below it, sorted by path); a file for itself, whatever its name.
pub fn saved_files(named: &[PathBuf]) -> SavedFiles {
    let mut files = SavedFiles::default();
    let mut seen = HashMap::new();
    for path in named {
        if !path.is_dir() {
            files.add(path.clone(), &mut seen);
            continue;
        }
        let options = WalkOptions {
            globs: SAVED_FILE_GLOBS.iter().map(|g| g.to_string()).collect(),
            ..WalkOptions::default()
        };
        let folder = path.display().to_string();
        let found = match walk(path, &options) {
            Ok((found, _)) => found,
            Err(e) => {
                files.problems.push(Problem {
                    file: folder,
                    line: 0,
                    message: e.to_string(),
                    error: true,
                });
                continue;
            }
        };
        let mut any = false;
        for source in found {
            match source {
                Source::File { path, .. } => {
                    any = true;
                    files.add(path, &mut seen);
                }
                Source::Failed(error) => {
                    let (file, message) = match &*error {
                        Error::Walk { path, message } => (path.clone(), message.clone()),
                        other => (folder.clone(), other.to_string()),
                    };
                    files.problems.push(Problem {
                        file,
                        line: 0,
                        message,
                        error: true,
                    });
                }
                _ => {}
            }
        }
        if !any {
            // Nothing read from it would pass a CI gate as a clean fleet.
            files.problems.push(Problem {
                file: folder,
                line: 0,
                message: format!(
                    "a folder without saved files ({})",
                    SAVED_FILE_GLOBS.join(", ")
                ),
                error: true,
            });
        }
    }
    files
}
