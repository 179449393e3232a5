//! The one place that opens inputs: files (read at offsets for chunks, or as a stream), stdin,
//! and any reader (a child's pipe), with compressed logs recognised by their first bytes.
//!
//! A file is opened once and read through that one descriptor from its first chunk to its
//! last, so renaming or deleting it mid-scan (logrotate) changes nothing; it is read up to the
//! size it had when opened, so a log that grows during the scan cannot make the scan endless,
//! and the scan says when it changed. An input that is the file standard output writes to is
//! refused: it would read back the scan's own output.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::decode::{open_decoded, sniff, Encoding};
use crate::error::Error;

/// Identity of a file on its device (device and inode numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity of the file `meta` describes (none on systems without inode numbers).
    pub fn of(meta: &Metadata) -> Option<FileId> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(FileId {
                dev: meta.dev(),
                ino: meta.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            None
        }
    }

    /// The regular file standard output writes to, if it writes to one (`> out.log`,
    /// `>> app.log`). Terminals, pipes and `/dev/null` are not files a scan could read back.
    pub fn of_stdout() -> Option<FileId> {
        fd_metadata(1)
            .filter(Metadata::is_file)
            .and_then(|m| Self::of(&m))
    }
}

/// The metadata of an open descriptor of this process (stdin 0, stdout 1), without closing it.
fn fd_metadata(fd: i32) -> Option<Metadata> {
    #[cfg(unix)]
    {
        use std::os::fd::BorrowedFd;
        // SAFETY: 0 and 1 are open for the whole life of the process (the runtime reopens
        // them on /dev/null if they were closed at start), and the borrow ends here.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let owned = fd.try_clone_to_owned().ok()?;
        File::from(owned).metadata().ok()
    }
    #[cfg(not(unix))]
    {
        let _ = fd;
        None
    }
}

/// How a file changed while it was scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Its size when it was opened, or listed if it was (what was scanned, at most).
    pub opened: u64,
    /// Its size when the scan of it ended.
    pub now: u64,
    /// Whether a read found its end before `opened` bytes: it was cut short (truncated, as
    /// logrotate's `copytruncate` does), whatever its size is by now — a writer that goes on
    /// at its old offset makes it as large as before, or larger.
    pub shrank: bool,
    /// The bytes of it that were scanned, from its start (decompressed bytes for a
    /// compressed file). Only the scan knows: [`OpenFile::changed`] leaves it 0.
    pub scanned: u64,
    /// Whether the unterminated line at the end of what was scanned was left out: the file
    /// grew, so that line was probably still being written, or was cut, so that line was cut
    /// too. Only the scan knows: [`OpenFile::changed`] leaves it false.
    pub unfinished_line_left_out: bool,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Change {
            opened,
            now,
            shrank,
            scanned,
            unfinished_line_left_out,
        } = *self;
        // What was cut matters more than what was added: say so first.
        if shrank && now < opened {
            write!(
                f,
                "shrank from {opened} to {now} bytes while it was scanned (truncated?); scanned the first {scanned} bytes"
            )?;
        } else if shrank {
            write!(
                f,
                "was cut short while it was scanned (truncated?), and is now {now} bytes ({opened} when opened); scanned the first {scanned} bytes"
            )?;
        } else if now > opened {
            write!(
                f,
                "grew from {opened} to {now} bytes while it was scanned; scanned the first {opened} bytes"
            )?;
        } else {
            // The reads saw it grow, and it was cut after they were done.
            return write!(
                f,
                "changed while it was scanned (now {now} bytes, {opened} when opened); scanned the first {scanned} bytes"
            );
        }
        if unfinished_line_left_out {
            let line = if shrank {
                "line cut"
            } else {
                "unfinished line"
            };
            write!(f, ", except the {line} at their end")?;
        }
        Ok(())
    }
}

/// What listing a regular file found: its size and identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    /// Its size in bytes.
    pub size: u64,
    /// Its identity, where the system has one.
    pub id: Option<FileId>,
}

impl Listed {
    /// What `meta` says, if it describes a regular file.
    pub fn of(meta: &Metadata) -> Option<Listed> {
        meta.is_file().then(|| Listed {
            size: meta.len(),
            id: FileId::of(meta),
        })
    }
}

/// How inputs are opened.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Decompress gzip and zstd input.
    pub decompress: bool,
    /// The files the scan writes to (standard output, `--report` files): refused as inputs.
    pub outputs: Vec<FileId>,
}

/// A file opened for reading, and what it looked like when opened.
///
/// Whether it changed is seen by the reads themselves, without a `stat` per file (which costs
/// a tenth of the scan time on a folder of 20,000 small logs): the read that reaches the size
/// the file had when opened asks for one byte more, and gets it only if the file grew; any
/// read that finds the end before that size — wherever it reads, whichever chunk it is for —
/// means it shrank.
pub struct OpenFile {
    file: File,
    /// Its size when opened (or listed, see [`OpenFile::open_listed`]), for regular files;
    /// reads stop there.
    size: Option<u64>,
    /// A read found bytes past `size`.
    grew: AtomicBool,
    /// A read found the end before `size`.
    shrank: AtomicBool,
}

impl OpenFile {
    /// Opens `path` (reported as `name`).
    pub fn open(path: &Path, name: &str, options: &OpenOptions) -> Result<OpenFile, Error> {
        let failed = |source: io::Error| Error::Input {
            path: name.to_string(),
            source,
        };
        let file = File::open(path).map_err(failed)?;
        let meta = file.metadata().map_err(failed)?;
        refuse_output(&meta, name, options)?;
        // A regular file of size 0 may be empty, or a kernel file whose size is not known
        // before it is read (`/proc/cpuinfo`): either way, read it to its end.
        let size = Some(meta.len()).filter(|&len| meta.is_file() && len > 0);
        Ok(OpenFile::new(file, size))
    }

    fn new(file: File, size: Option<u64>) -> OpenFile {
        OpenFile {
            size,
            grew: AtomicBool::new(false),
            shrank: AtomicBool::new(false),
            file,
        }
    }

    /// Opens a regular file listed moments ago as `size` bytes with identity `id` (a folder
    /// walk or the command line looked at it already): it is read up to that size, and no
    /// second `stat` is made — on a folder of 20,000 small logs that `stat` cost 4% of the
    /// scan. Without a listed size (or of size 0), this is [`OpenFile::open`].
    pub fn open_listed(
        path: &Path,
        name: &str,
        listed: Option<Listed>,
        options: &OpenOptions,
    ) -> Result<OpenFile, Error> {
        let Some(Listed { size, id }) = listed.filter(|listed| listed.size > 0) else {
            return Self::open(path, name, options);
        };
        if id.is_some_and(|id| options.outputs.contains(&id)) {
            return Err(Error::InputIsOutput {
                path: name.to_string(),
            });
        }
        let file = File::open(path).map_err(|source| Error::Input {
            path: name.to_string(),
            source,
        })?;
        Ok(OpenFile::new(file, Some(size)))
    }

    /// How the file differs from when it was opened, as far as the reads so far saw. Makes a
    /// `stat` (for its size now) only if they saw a change.
    pub fn changed(&self) -> Option<Change> {
        let opened = self.size?;
        let shrank = self.shrank();
        if !self.grew() && !shrank {
            return None;
        }
        let now = self.file.metadata().ok()?.len();
        Some(Change {
            opened,
            now,
            shrank,
            scanned: 0,
            unfinished_line_left_out: false,
        })
    }

    /// Its size when opened, for a regular file (reads stop there).
    pub fn opened_size(&self) -> Option<u64> {
        self.size
    }

    /// Whether a read found bytes past the size the file had when opened.
    pub fn grew(&self) -> bool {
        self.grew.load(Ordering::Relaxed)
    }

    /// Whether a read found the end of the file before the size it had when opened.
    pub fn shrank(&self) -> bool {
        self.shrank.load(Ordering::Relaxed)
    }

    /// Reads at `offset`, never past the size the file had when opened (noting whether the
    /// file now ends elsewhere).
    pub fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        let Some(size) = self.size else {
            return read_file_at(&self.file, buffer, offset);
        };
        if buffer.is_empty() {
            return Ok(0);
        }
        let left = usize::try_from(size.saturating_sub(offset)).unwrap_or(usize::MAX);
        let n = if left >= buffer.len() {
            read_file_at(&self.file, buffer, offset)?
        } else {
            // This read reaches the size: ask for one byte more, to see whether the file grew.
            let n = read_file_at(&self.file, &mut buffer[..left + 1], offset)?;
            if n > left {
                self.grew.store(true, Ordering::Relaxed);
            }
            n.min(left)
        };
        // The file ends before the size it had when opened: it was cut. Any read may be the
        // one to find that out — a chunk far from the end, a block in the middle of a stream
        // — not only the one that reaches the size. An empty read is the proof (a short one
        // may just be short), and every reader here reads on until one before it stops short
        // of the size.
        if n == 0 && offset < size {
            self.shrank.store(true, Ordering::Relaxed);
        }
        Ok(n)
    }

    /// What the file's first bytes say it is.
    pub fn encoding(&self) -> io::Result<Encoding> {
        let mut prefix = [0u8; 4];
        let mut got = 0;
        while got < prefix.len() {
            match self.read_at(&mut prefix[got..], got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(sniff(&prefix[..got]))
    }

    /// The whole file (up to its size when opened) as a stream, decoded if compressed and
    /// `decompress` is set.
    pub fn stream(self: &Arc<Self>, decompress: bool) -> io::Result<Box<dyn Read + Send>> {
        let from_start = || AtOffsets {
            file: Arc::clone(self),
            at: 0,
            done: false,
        };
        match self.size {
            // A file can be sniffed at an offset and then read from its start: no replaying
            // of sniffed bytes for the plain logs that most files are.
            Some(_) if !decompress || self.encoding()? == Encoding::Plain => {
                Ok(Box::new(from_start()))
            }
            Some(_) => Ok(open_decoded(Box::new(from_start()), decompress)?.1),
            // Pipes and devices have no size and no offsets: read them in order.
            None => Ok(open_decoded(Box::new(InOrder(Arc::clone(self))), decompress)?.1),
        }
    }
}

/// Refuses an input that is a file the scan writes to.
fn refuse_output(meta: &Metadata, name: &str, options: &OpenOptions) -> Result<(), Error> {
    if meta.is_file() && FileId::of(meta).is_some_and(|id| options.outputs.contains(&id)) {
        return Err(Error::InputIsOutput {
            path: name.to_string(),
        });
    }
    Ok(())
}

/// Standard input as a stream, decoded if compressed and `decompress` is set.
pub fn open_stdin(options: &OpenOptions, name: &str) -> Result<Box<dyn Read + Send>, Error> {
    if let Some(meta) = fd_metadata(0) {
        refuse_output(&meta, name, options)?;
    }
    open_reader(Box::new(io::stdin()), options, name)
}

/// Any reader as a stream, decoded if compressed and `decompress` is set.
pub fn open_reader(
    reader: Box<dyn Read + Send>,
    options: &OpenOptions,
    name: &str,
) -> Result<Box<dyn Read + Send>, Error> {
    open_decoded(reader, options.decompress)
        .map(|(_, reader)| reader)
        .map_err(|source| Error::Input {
            path: name.to_string(),
            source,
        })
}

/// Reads a file from its start with positional reads, up to its size when opened.
struct AtOffsets {
    file: Arc<OpenFile>,
    at: u64,
    /// The end was reached (and checked for growth or a cut) already, so the reader's last
    /// call needs no system call.
    done: bool,
}

impl Read for AtOffsets {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.done || buffer.is_empty() {
            return Ok(0);
        }
        let n = self.file.read_at(buffer, self.at)?;
        self.at += n as u64;
        // A read that comes back short at the size did check for growth; one that comes back
        // short before it reads on, so that an empty read finds out whether the file was cut.
        let at_size = self.file.size.is_some_and(|size| self.at >= size);
        self.done = n == 0 || (n < buffer.len() && at_size);
        Ok(n)
    }
}

/// Reads a pipe or device in order.
struct InOrder(Arc<OpenFile>);

impl Read for InOrder {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        (&self.0.file).read(buffer)
    }
}

#[cfg(unix)]
fn read_file_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

#[cfg(windows)]
fn read_file_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_is_read_up_to_its_size_when_opened_and_says_it_grew() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("app.log");
        std::fs::write(&path, "first line\n").expect("write the log");
        let file =
            Arc::new(OpenFile::open(&path, "app.log", &OpenOptions::default()).expect("opens"));
        assert_eq!(file.changed(), None);
        let mut appender = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open for append");
        appender.write_all(b"second line\n").expect("append");
        let mut read = Vec::new();
        file.stream(true)
            .expect("stream")
            .read_to_end(&mut read)
            .expect("read");
        assert_eq!(read, b"first line\n");
        assert_eq!(
            file.changed(),
            Some(Change {
                opened: 11,
                now: 23,
                shrank: false,
                scanned: 0,
                unfinished_line_left_out: false,
            })
        );
    }

    /// Opens a 300,000-byte file, then cuts it to `cut` bytes.
    fn opened_then_cut(dir: &Path, cut: u64) -> Arc<OpenFile> {
        let path = dir.join("app.log");
        std::fs::write(&path, b"0123456789".repeat(30_000)).expect("write the log");
        let file =
            Arc::new(OpenFile::open(&path, "app.log", &OpenOptions::default()).expect("opens"));
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(cut))
            .expect("truncate");
        file
    }

    #[test]
    fn a_read_far_from_the_end_sees_that_the_file_was_cut() {
        // A chunk's read in the middle of the file, not the one that reaches its size.
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = opened_then_cut(dir.path(), 1000);
        let mut buffer = [0u8; 4096];
        assert_eq!(file.read_at(&mut buffer, 0).expect("read"), 1000);
        assert_eq!(file.changed(), None, "a short read may just be short");
        assert_eq!(file.read_at(&mut buffer, 1000).expect("read"), 0);
        let cut = Change {
            opened: 300_000,
            now: 1000,
            shrank: true,
            scanned: 0,
            unfinished_line_left_out: false,
        };
        assert_eq!(file.changed(), Some(cut.clone()));
        // A read past the new end, as a later chunk's, sees it too.
        let file = opened_then_cut(dir.path(), 1000);
        assert_eq!(file.read_at(&mut buffer, 150_000).expect("read"), 0);
        assert_eq!(file.changed(), Some(cut));
    }

    #[test]
    fn a_stream_of_a_file_cut_while_read_stops_at_the_cut_and_says_so() {
        let dir = tempfile::tempdir().expect("temporary folder");
        for cut in [0, 1000] {
            let file = opened_then_cut(dir.path(), cut);
            let mut read = Vec::new();
            file.stream(false)
                .expect("stream")
                .read_to_end(&mut read)
                .expect("read");
            assert_eq!(read.len() as u64, cut);
            let change = file.changed().expect("the cut is seen");
            assert_eq!(
                (change.opened, change.now, change.shrank),
                (300_000, cut, true)
            );
        }
    }

    #[test]
    fn a_renamed_or_deleted_file_is_still_read_whole() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("app.log");
        std::fs::write(&path, "old content\n").expect("write the log");
        let file =
            Arc::new(OpenFile::open(&path, "app.log", &OpenOptions::default()).expect("opens"));
        std::fs::rename(&path, dir.path().join("app.log.1")).expect("rotate");
        std::fs::write(&path, "new content that is longer\n").expect("new file");
        let mut buffer = [0u8; 64];
        let n = file.read_at(&mut buffer, 0).expect("read");
        assert_eq!(&buffer[..n], b"old content\n");
        std::fs::remove_file(dir.path().join("app.log.1")).expect("delete");
        let n = file.read_at(&mut buffer, 4).expect("read after delete");
        assert_eq!(&buffer[..n], b"content\n");
    }

    #[cfg(unix)]
    #[test]
    fn the_output_file_is_refused_as_an_input() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("out.log");
        std::fs::write(&path, "x\n").expect("write");
        let meta = std::fs::metadata(&path).expect("stat");
        let options = OpenOptions {
            decompress: true,
            outputs: FileId::of(&meta).into_iter().collect(),
        };
        match OpenFile::open(&path, "out.log", &options) {
            Err(Error::InputIsOutput { path }) => assert_eq!(path, "out.log"),
            other => panic!("expected InputIsOutput, got {:?}", other.err()),
        }
    }
}
