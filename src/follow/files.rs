//! What is known about a followed file on disk, without reading it as a log: its identity and
//! the stamp that says it changed, its first bytes, where its last line starts and how many
//! lines come before a place, and the files beside it (rotations, `copytruncate` copies).

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::track::{FileKey, Head};
use crate::limits::HEAD_BYTES;

pub(crate) fn stamp_of(meta: &fs::Metadata) -> (u64, i64, i64) {
    (meta.len(), meta.mtime(), meta.mtime_nsec())
}

pub(crate) fn key_of(meta: &fs::Metadata) -> FileKey {
    FileKey {
        dev: meta.dev(),
        ino: meta.ino(),
    }
}

pub(crate) fn read_head(file: &File, size: u64) -> io::Result<Vec<u8>> {
    let mut head = vec![0; size.min(HEAD_BYTES as u64) as usize];
    let mut filled = 0;
    while filled < head.len() {
        match file.read_at(&mut head[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(filled);
    Ok(head)
}

pub(crate) fn matches_head(file: &File, head: Head) -> bool {
    let size = file.metadata().map_or(0, |m| m.len());
    read_head(file, size).is_ok_and(|bytes| {
        bytes.len() >= head.len as usize && Head::of(&bytes[..head.len as usize]) == head
    })
}

/// The start of the last line of a file of `size` bytes: where following from its end starts,
/// so that a line being written when following starts is reported whole. A last line longer
/// than a block starts at the end.
pub(crate) fn last_line_start(file: &File, size: u64) -> io::Result<u64> {
    let from = size.saturating_sub(crate::limits::FOLLOW_BLOCK_SIZE as u64);
    let mut tail = vec![0; (size - from) as usize];
    file.read_exact_at(&mut tail, from)?;
    Ok(match memchr::memrchr(b'\n', &tail) {
        Some(i) => from + i as u64 + 1,
        None if from == 0 => 0,
        None => size,
    })
}

/// Line breaks before `offset`, so that hits of a file followed from its end still carry the
/// file's own line numbers.
pub(crate) fn count_lines(file: &File, offset: u64, buf: &mut Vec<u8>) -> io::Result<u64> {
    if buf.len() < crate::limits::BLOCK_SIZE {
        buf.resize(crate::limits::BLOCK_SIZE, 0);
    }
    let mut at = 0;
    let mut lines = 0;
    while at < offset {
        let want = (buf.len() as u64).min(offset - at) as usize;
        let n = file.read_at(&mut buf[..want], at)?;
        if n == 0 {
            break;
        }
        lines += bytecount::count(&buf[..n], b'\n') as u64;
        at += n as u64;
    }
    Ok(lines)
}

/// Beside `path`, another file whose first bytes match `head` and that holds more than `read`
/// bytes: the copy `copytruncate` made of the file before cutting it. The newest one wins.
pub(crate) fn find_copy(
    path: &Path,
    key: FileKey,
    head: Head,
    read: u64,
) -> Option<(PathBuf, File)> {
    if head.len == 0 {
        // Nothing was read to recognise a copy by (and nothing read, nothing to go on from).
        return None;
    }
    siblings(path)
        .filter(|(_, meta)| key_of(meta) != key && meta.len() > read)
        .filter_map(|(p, meta)| {
            let file = File::open(&p).ok()?;
            matches_head(&file, head).then_some((meta.modified().ok(), p, file))
        })
        .max_by_key(|(modified, _, _)| *modified)
        .map(|(_, p, file)| (p, file))
}

/// Whether `other` is named as a rotation of `name` (`app.log.1`, `app.log-20261130`):
/// its name starts with the name's, and it is not compressed (read as text, a compressed
/// rotation would be noise).
pub(crate) fn is_rotation_of(name: &Path, other: &Path) -> bool {
    let (Some(base), Some(file)) = (name.file_name(), other.file_name()) else {
        return false;
    };
    let (base, file) = (base.as_encoded_bytes(), file.as_encoded_bytes());
    let compressed = [&b".gz"[..], b".zst", b".xz", b".bz2", b".lz4", b".zip"]
        .iter()
        .any(|ext| file.ends_with(ext));
    file.len() > base.len() && file.starts_with(base) && !compressed
}

/// The regular files in the folder of `path`, with their metadata.
pub(crate) fn siblings(path: &Path) -> impl Iterator<Item = (PathBuf, fs::Metadata)> + '_ {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            // Named as the followed name is (`app.log.1` beside `app.log`, not `./app.log.1`).
            let p = path.with_file_name(entry.file_name());
            let meta = fs::metadata(&p).ok()?;
            meta.is_file().then_some((p, meta))
        })
}
