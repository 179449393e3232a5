//! What happened to a followed name between two looks, decided from what was seen, as a pure
//! function: no filesystem here, so every rotation scheme is a unit test.
//!
//! A name (`app.log`) is followed, not a file: the file behind it changes when it is rotated
//! (renamed away and recreated), replaced (`mv -f new app.log`, delete + recreate) or cut
//! (`copytruncate`). A file is known by its device and inode **and** a fingerprint of its first
//! bytes: an inode freed by a deleted log is soon reused by the next one, and an offset into
//! the old file must never be applied to the new one.

use std::time::{Duration, Instant};

use crate::limits::HEAD_BYTES;

/// Device and inode: which file a name points to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileKey {
    /// Device number.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
}

/// A fingerprint of a file's first bytes (at most [`HEAD_BYTES`]): `len` bytes hashing to
/// `hash`. A file whose first `len` bytes hash otherwise is another file, or the same one cut
/// and written again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Head {
    /// Bytes fingerprinted (fewer than [`HEAD_BYTES`] while the file is that short).
    pub len: u32,
    /// FNV-1a of those bytes.
    pub hash: u64,
}

impl Head {
    /// The fingerprint of `bytes`, the first bytes of a file (cut to [`HEAD_BYTES`]).
    pub fn of(bytes: &[u8]) -> Head {
        let bytes = &bytes[..bytes.len().min(HEAD_BYTES)];
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        Head {
            len: bytes.len() as u32,
            hash,
        }
    }

    /// Whether a fingerprint of more bytes is worth taking (the file was short when this one
    /// was taken, and has grown).
    pub fn can_grow(&self, size: u64) -> bool {
        (self.len as usize) < HEAD_BYTES && size > u64::from(self.len)
    }
}

/// The file a name led to when it was last read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// Its identity.
    pub key: FileKey,
    /// Bytes of it read so far.
    pub offset: u64,
}

/// What a look at a name found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Nothing by that name.
    Missing,
    /// Something that cannot be followed: not a regular file, or not readable (why).
    Unreadable(String),
    /// A regular file.
    File {
        /// Its identity.
        key: FileKey,
        /// Its size now.
        size: u64,
        /// For the known file only: whether its first bytes still match the fingerprint taken
        /// when it was first read (`false`: it was cut and written again, beyond the offset
        /// already, before this look).
        same_head: bool,
    },
}

/// What to do about a name, given what was known and what is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing changed but, perhaps, the file's size: read on from the offset.
    ReadOn,
    /// Nothing there yet (or still).
    Wait,
    /// A file appeared where there was none: read it from its start.
    Appeared,
    /// The known file was cut below what was read, or rewritten from its start
    /// (`copytruncate`): read it again from its start.
    Truncated,
    /// Another file has the name: read the known one to its end (it may have been renamed and
    /// still be written to), and the new one from its start.
    Replaced,
    /// The name is gone: read the known file to its end.
    Removed,
    /// The name is there but cannot be read.
    Unreadable,
}

/// Decides what happened to a name. `known` is the file read last under it (none before the
/// first one is found).
pub fn step(known: Option<Known>, seen: &Seen) -> Step {
    match (known, seen) {
        (None, Seen::Missing) => Step::Wait,
        (None, Seen::Unreadable(_)) | (Some(_), Seen::Unreadable(_)) => Step::Unreadable,
        (None, Seen::File { .. }) => Step::Appeared,
        (Some(_), Seen::Missing) => Step::Removed,
        (
            Some(known),
            Seen::File {
                key,
                size,
                same_head,
            },
        ) => {
            if *key != known.key {
                Step::Replaced
            } else if *size < known.offset || !same_head {
                Step::Truncated
            } else {
                Step::ReadOn
            }
        }
    }
}

/// Whether reading a file found at a look starts at its end: for the files there are when
/// following starts (as `tail -F` does, unless `from_start`); every file found later is new,
/// and all of it is news, so it is read from its start.
pub fn starts_at_end(at_startup: bool, from_start: bool) -> bool {
    at_startup && !from_start
}

/// A file no longer under its name, read until its writer is done with it: until it has not
/// grown for the grace period (`--rotate-wait`), which each growth starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grace {
    last_growth: Instant,
    wait: Duration,
    size: u64,
}

impl Grace {
    /// A grace period of `wait` for a file of `size` bytes, starting `now`.
    pub fn new(now: Instant, wait: Duration, size: u64) -> Grace {
        Grace {
            last_growth: now,
            wait,
            size,
        }
    }

    /// Notes the file's size at `now`; returns whether it is done (read to `read` bytes, its
    /// whole size, and not grown for the grace period).
    pub fn done(&mut self, now: Instant, size: u64, read: u64) -> bool {
        if size != self.size {
            self.size = size;
            self.last_growth = now;
        }
        read >= size && now.duration_since(self.last_growth) >= self.wait
    }

    /// When the grace period ends if the file does not grow again.
    pub fn ends(&self) -> Instant {
        self.last_growth + self.wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: FileKey = FileKey { dev: 1, ino: 10 };
    const B: FileKey = FileKey { dev: 1, ino: 11 };

    fn file(key: FileKey, size: u64) -> Seen {
        Seen::File {
            key,
            size,
            same_head: true,
        }
    }

    fn known(key: FileKey, offset: u64) -> Option<Known> {
        Some(Known { key, offset })
    }

    #[test]
    fn a_missing_name_is_waited_for_and_read_whole_once_it_appears() {
        assert_eq!(step(None, &Seen::Missing), Step::Wait);
        assert_eq!(step(None, &file(A, 40)), Step::Appeared);
        assert!(!starts_at_end(false, false));
        assert!(starts_at_end(true, false), "tail -F starts at the end");
        assert!(!starts_at_end(true, true));
    }

    #[test]
    fn growth_is_read_on() {
        assert_eq!(step(known(A, 40), &file(A, 40)), Step::ReadOn);
        assert_eq!(step(known(A, 40), &file(A, 90)), Step::ReadOn);
    }

    #[test]
    fn rename_rotation_and_replacement_switch_files() {
        // `mv app.log app.log.1; touch app.log`, or `mv -f new app.log`, or rm + recreate.
        assert_eq!(step(known(A, 40), &file(B, 0)), Step::Replaced);
        assert_eq!(step(known(A, 40), &file(B, 900)), Step::Replaced);
        // Renamed away and not recreated yet.
        assert_eq!(step(known(A, 40), &Seen::Missing), Step::Removed);
    }

    #[test]
    fn a_cut_is_seen_by_size_or_by_the_first_bytes() {
        // copytruncate, looked at before the writer wrote again.
        assert_eq!(step(known(A, 40), &file(A, 0)), Step::Truncated);
        assert_eq!(step(known(A, 40), &file(A, 39)), Step::Truncated);
        // ... or after it wrote past the old offset: the first bytes tell.
        let rewritten = Seen::File {
            key: A,
            size: 400,
            same_head: false,
        };
        assert_eq!(step(known(A, 40), &rewritten), Step::Truncated);
    }

    #[test]
    fn a_reused_inode_with_other_first_bytes_is_another_file() {
        // Deleted, and its inode given to the next file made: the key is the same, the head
        // is not. Reading on from the old offset would skip the new file's first lines.
        let reused = Seen::File {
            key: A,
            size: 4000,
            same_head: false,
        };
        assert_eq!(step(known(A, 40), &reused), Step::Truncated);
    }

    #[test]
    fn fingerprints_differ_by_content_and_grow_with_short_files() {
        assert_ne!(Head::of(b"2026-11-30 a"), Head::of(b"2026-11-30 b"));
        assert_eq!(Head::of(&[7; 5000]).len as usize, HEAD_BYTES);
        let short = Head::of(b"abc");
        assert!(short.can_grow(10));
        assert!(!short.can_grow(3));
        assert!(!Head::of(&[7; 5000]).can_grow(1 << 20));
    }

    #[test]
    fn unreadable_names_are_reported_whatever_was_known() {
        let seen = Seen::Unreadable("permission denied".into());
        assert_eq!(step(None, &seen), Step::Unreadable);
        assert_eq!(step(known(A, 1), &seen), Step::Unreadable);
    }

    #[test]
    fn a_rotated_file_is_read_until_it_stops_growing_for_the_grace_period() {
        let t0 = Instant::now();
        let wait = Duration::from_secs(5);
        let mut grace = Grace::new(t0, wait, 100);
        assert!(!grace.done(t0 + Duration::from_secs(1), 100, 100));
        // A late write extends it.
        assert!(!grace.done(t0 + Duration::from_secs(4), 150, 150));
        assert!(!grace.done(t0 + Duration::from_secs(8), 150, 150));
        assert!(grace.done(t0 + Duration::from_secs(9), 150, 150));
        // Never done while unread bytes remain.
        let mut grace = Grace::new(t0, wait, 100);
        assert!(!grace.done(t0 + Duration::from_secs(60), 100, 60));
    }
}
