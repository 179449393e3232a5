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
    /// Its size when it was opened (what was scanned, at most).
    pub opened: u64,
    /// Its size when the scan of it ended.
    pub now: u64,
    /// Whether the unterminated line at the end of what was scanned was left out: the file
    /// grew, so that line was probably still being written.
    pub unfinished_line_left_out: bool,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Change {
            opened,
            now,
            unfinished_line_left_out,
        } = *self;
        if now > opened {
            write!(
                f,
                "grew from {opened} to {now} bytes while it was scanned; scanned the first {opened} bytes"
            )?;
            if unfinished_line_left_out {
                write!(f, ", except the unfinished line at their end")?;
            }
            Ok(())
        } else if now < opened {
            write!(
                f,
                "shrank from {opened} to {now} bytes while it was scanned (truncated?); hits past the cut may be missing"
            )
        } else {
            write!(
                f,
                "changed while it was scanned (now {now} bytes, as when opened)"
            )
        }
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
/// the file had when opened asks for one byte more, and gets it only if the file grew; a read
/// that ends short of that size means it shrank.
pub struct OpenFile {
    file: File,
    /// Its size when opened, for regular files; reads stop there.
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

    /// How the file differs from when it was opened, as far as the reads so far saw.
    pub fn changed(&self) -> Option<Change> {
        let opened = self.size?;
        if !self.grew.load(Ordering::Relaxed) && !self.shrank.load(Ordering::Relaxed) {
            return None;
        }
        let now = self.file.metadata().ok()?.len();
        Some(Change {
            opened,
            now,
            unfinished_line_left_out: false,
        })
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
        if left >= buffer.len() {
            return read_file_at(&self.file, buffer, offset);
        }
        // This read reaches the size: ask for one byte more, to see whether the file grew.
        let n = read_file_at(&self.file, &mut buffer[..left + 1], offset)?;
        if n > left {
            self.grew.store(true, Ordering::Relaxed);
        } else if n < left {
            self.shrank.store(true, Ordering::Relaxed);
        }
        Ok(n.min(left))
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
    /// A read came back short: the end was reached (and checked for growth) already, so the
    /// reader's last call needs no system call.
    done: bool,
}

impl Read for AtOffsets {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let n = self.file.read_at(buffer, self.at)?;
        self.at += n as u64;
        self.done = n < buffer.len();
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
                unfinished_line_left_out: false,
            })
        );
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
