//! `follow --state FILE`: where each followed file was read to, and the running counts, saved
//! so that a restarted `cbscan follow` goes on exactly where the last one stopped.
//!
//! Saving is atomic: a temporary file in the same folder, written, `fsync`ed, renamed over the
//! state file, and the folder `fsync`ed — a crash leaves the old state or the new one, never
//! half of one. The caller saves only after its output is flushed, so a saved offset never
//! runs ahead of what was printed: after a crash a line may be printed again, never lost.
//!
//! Counts are saved as a summary keyed by code name (the JSON-lines summary's form).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::track::{FileKey, Head};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::scan::Resume;
use crate::summary::wire::{Data, WireSummary};
use crate::summary::{Counts, Summary};

/// Version of the state file's layout.
pub const STATE_VERSION: u32 = 1;

/// A whole state file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    /// [`STATE_VERSION`] when written.
    pub cbscan_follow_state: u32,
    /// When it was saved (nanoseconds since the Unix epoch): a file beside a followed name
    /// written after this held the name while cbscan was stopped.
    #[serde(default)]
    pub saved_at: Option<u128>,
    /// Each followed name, in the order they were first followed.
    pub names: Vec<NameState>,
}

impl State {
    /// `saved_at` as a time.
    pub fn saved_time(&self) -> Option<std::time::SystemTime> {
        let nanos = u64::try_from(self.saved_at?).ok()?;
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_nanos(nanos))
    }
}

/// One followed name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NameState {
    /// The name, as the user gave it or a glob found it.
    pub path: Data,
    /// The file under the name, if one was being read.
    pub current: Option<FileState>,
    /// Files rotated away from the name and still being read.
    #[serde(default)]
    pub draining: Vec<FileState>,
    /// Counts so far, over every file read under the name, as a summary keyed by code name.
    pub counts: WireSummary,
}

/// Where one file was read to: its identity and the line scanner's state, without the bytes
/// it held (they are in the file, from `base` to `end`, and are read again).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileState {
    /// Device number.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Bytes fingerprinted at the start of the file.
    pub head_len: u32,
    /// Their hash.
    pub head_hash: u64,
    /// Offset of the first byte the scanner still held.
    pub base: u64,
    /// Offset up to which the file was read.
    pub end: u64,
    /// Offset up to which it was scanned.
    pub scanned: u64,
    /// No hit may start before this offset.
    pub resume: u64,
    /// Start of the line being read.
    pub line_start: u64,
    /// Line breaks before `scanned`.
    pub newlines: u64,
    /// Codes already counted on the current (long) line, by name.
    #[serde(default)]
    pub line_codes: Vec<String>,
    /// A place on the current line whose character count is known.
    pub mark: u64,
    /// Characters from the line's start to `mark`.
    pub mark_chars: u64,
}

impl FileState {
    /// The state of a file known as `key` and `head`, scanned up to `resume`.
    pub fn new(catalog: &Catalog, key: FileKey, head: Head, resume: &Resume) -> FileState {
        FileState {
            dev: key.dev,
            ino: key.ino,
            head_len: head.len,
            head_hash: head.hash,
            base: resume.base,
            end: resume.end(),
            scanned: resume.scanned,
            resume: resume.resume,
            line_start: resume.line_start,
            newlines: resume.newlines,
            line_codes: resume
                .line_codes
                .iter()
                .filter_map(|&c| catalog.codes().get(c as usize))
                .map(|c| c.code.clone())
                .collect(),
            mark: resume.mark,
            mark_chars: resume.mark_chars,
        }
    }

    /// The file's identity.
    pub fn key(&self) -> FileKey {
        FileKey {
            dev: self.dev,
            ino: self.ino,
        }
    }

    /// The fingerprint of its first bytes.
    pub fn head(&self) -> Head {
        Head {
            len: self.head_len,
            hash: self.head_hash,
        }
    }

    /// The scanner's state, given `pending`: the file's bytes from `base` to `end`.
    pub fn resume(&self, catalog: &Catalog, pending: Vec<u8>) -> Resume {
        Resume {
            base: self.base,
            scanned: self.scanned,
            resume: self.resume,
            line_start: self.line_start,
            newlines: self.newlines,
            pending,
            line_codes: self
                .line_codes
                .iter()
                .filter_map(|name| catalog.code_index(name))
                .map(|c| c as u32)
                .collect(),
            mark: self.mark,
            mark_chars: self.mark_chars,
        }
    }

    /// Whether the saved numbers hang together (a state file edited by hand, or damaged, is
    /// refused rather than trusted).
    pub fn is_consistent(&self) -> bool {
        self.base <= self.scanned
            && self.scanned <= self.end
            && self.line_start <= self.scanned
            && self.mark >= self.line_start
            && self.end - self.base <= crate::limits::BLOCK_SIZE as u64 * 4
    }
}

/// `counts` as a state file keeps them.
pub fn save_counts(catalog: &Catalog, counts: &Counts) -> WireSummary {
    let mut summary = Summary::new(catalog.codes().len());
    summary.add_counts(counts);
    summary.to_wire(catalog, false)
}

/// Counts a state file kept, for `catalog` (which must know their codes).
pub fn load_counts(catalog: &Catalog, saved: &WireSummary) -> Result<Counts> {
    Ok(Summary::from_wire(saved.clone(), catalog)?.total().clone())
}

impl State {
    /// Reads the state file at `path`: `None` if there is none yet.
    pub fn load(path: &Path) -> Result<Option<State>> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(state_error(path, format!("cannot read it: {e}"))),
        };
        let state: State = serde_json::from_slice(&bytes).map_err(|e| {
            state_error(
                path,
                format!(
                    "line {}, column {}: not a cbscan follow state ({e}); delete it to start \
                     over",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        if state.cbscan_follow_state > STATE_VERSION {
            return Err(state_error(
                path,
                format!(
                    "written by a newer cbscan (state version {}, this one reads {STATE_VERSION})",
                    state.cbscan_follow_state
                ),
            ));
        }
        let bad = state
            .names
            .iter()
            .flat_map(|n| n.current.iter().chain(&n.draining))
            .any(|f| !f.is_consistent());
        if bad {
            return Err(state_error(
                path,
                "its offsets do not hang together (edited or damaged?); delete it to start over"
                    .to_string(),
            ));
        }
        Ok(Some(state))
    }

    /// Writes the state to `path` atomically (see the module documentation).
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec(self).map_err(|e| state_error(path, e.to_string()))?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let temporary = temporary_of(path);
        let written = (|| {
            let mut file = File::create(&temporary)?;
            file.write_all(&json)?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            fs::rename(&temporary, path)?;
            // The rename is durable once the folder is.
            File::open(dir)?.sync_all()
        })();
        written.map_err(|e| {
            let _ = fs::remove_file(&temporary);
            state_error(path, format!("cannot save it: {e}"))
        })
    }
}

/// The temporary file a save of the state at `path` writes first: beside it, named after it.
fn temporary_of(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

/// Whether `path` is the state file at `state` or one of its temporary files: not a log, though
/// it holds code names (a glob over the state's folder must not follow it).
pub fn is_state_file(state: &Path, path: &Path) -> bool {
    let name = state.file_name().unwrap_or_default().as_encoded_bytes();
    path == state
        || (path.parent() == state.parent()
            && path
                .file_name()
                .is_some_and(|f| f.as_encoded_bytes().starts_with(name)))
}

fn state_error(path: &Path, message: String) -> Error {
    Error::State {
        path: path.to_path_buf(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{ScanOptions, Scanner};

    #[test]
    fn counts_and_positions_survive_a_save_and_a_load() {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let scanner = Scanner::for_catalog(&catalog, ScanOptions::default());
        let (_, summary) = scanner
            .scan_reader(&b"x FUNCTIONS_EXECUTE_FAIL DATABASE_TIMEOUT\ny SYS_ERR\n"[..])
            .expect("memory reads");
        let counts: &Counts = &summary;
        let resume = Resume::at(52, 2);
        let key = FileKey { dev: 3, ino: 99 };
        let head = Head::of(b"x FUNCTIONS");
        let state = State {
            cbscan_follow_state: STATE_VERSION,
            saved_at: Some(1),
            names: vec![NameState {
                path: Data::from_bytes(b"logs/app.log"),
                current: Some(FileState::new(&catalog, key, head, &resume)),
                draining: Vec::new(),
                counts: save_counts(&catalog, counts),
            }],
        };
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("follow.state");
        state.save(&path).expect("saves");
        let loaded = State::load(&path).expect("loads").expect("exists");
        assert_eq!(loaded, state);
        let name = &loaded.names[0];
        assert_eq!(
            load_counts(&catalog, &name.counts).expect("known codes"),
            *counts
        );
        let file = name.current.as_ref().expect("saved");
        assert_eq!((file.key(), file.head()), (key, head));
        assert_eq!(file.resume(&catalog, Vec::new()), resume);
        assert!(is_state_file(&path, &temporary_of(&path)));
        assert!(!is_state_file(&path, &dir.path().join("app.log")));
        // No temporary file is left behind.
        let left: Vec<_> = fs::read_dir(dir.path()).expect("lists").collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn a_damaged_state_is_refused_with_its_place() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("follow.state");
        assert!(State::load(&path).expect("absent is fine").is_none());
        fs::write(&path, "{\"cbscan_follow_state\":1,\n \"names\": [tru").expect("writes");
        let error = State::load(&path).expect_err("refused").to_string();
        assert!(error.contains("line 2"), "{error}");
        fs::write(&path, "{\"cbscan_follow_state\":9,\"names\":[]}").expect("writes");
        let error = State::load(&path).expect_err("refused").to_string();
        assert!(error.contains("newer cbscan"), "{error}");
    }
}
