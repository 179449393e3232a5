//! One followed name: the file under it now, the files rotated away from it that are still
//! read, its counts, and what each [`Step`] of the rotation state machine means in reads.
//!
//! # Invariants
//! - A [`Reading`]'s `offset` is the end of what its scan was fed: bytes before it are never
//!   fed again to that scan, so no line is reported twice by one file.
//! - A file leaves `current` only into `draining` or through a finish of its scan, so every
//!   byte it had when it was last looked at is read: a rotated file is read to its end, and
//!   then for as long as its writer keeps appending (the grace period).

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use super::checkpoint::FileState;
use super::files::{
    count_lines, find_copy, is_rotation_of, key_of, last_line_start, matches_head, read_head,
    siblings, stamp_of,
};
use super::live::LiveScan;
use super::track::{starts_at_end, step, FileKey, Grace, Head, Known, Seen, Step};
use super::FollowOptions;
use crate::catalog::Catalog;
use crate::limits::FOLLOW_SLICE;
use crate::scan::{Finish, FollowEvent, Notice, Resume, Scanner};
use crate::sink::{InputInfo, Sink};
use crate::summary::Counts;

const WAITING: &str = "does not exist yet; waiting for it";

/// What every operation on a name needs.
pub(crate) struct Ctx<'a, 's> {
    pub scanner: &'s Scanner,
    pub catalog: &'a Catalog,
    pub options: &'a FollowOptions,
    pub sink: &'a mut dyn Sink,
    pub buf: &'a mut Vec<u8>,
    pub now: Instant,
    /// When the state this follow resumed from was saved, if it resumed from one.
    pub saved_at: Option<SystemTime>,
}

/// One file being read, from where its scan stands.
pub(crate) struct Reading<'s> {
    file: File,
    key: FileKey,
    head: Head,
    /// Bytes read: where the next read starts.
    offset: u64,
    scan: LiveScan<'s>,
    /// The size when last looked at.
    size: u64,
    /// Size and modification time when last looked at: the first bytes are checked again only
    /// when they changed (a cut and a rewrite to the very size read still changes the time).
    stamp: (u64, i64, i64),
}

/// A file no longer under the name, read until its writer is done.
pub(crate) struct Draining<'s> {
    reading: Reading<'s>,
    grace: Grace,
}

/// A followed name.
pub(crate) struct Name<'s> {
    pub info: InputInfo,
    pub counts: Counts,
    /// Whether the sink was told the input began.
    pub begun: bool,
    /// Whether a glob found it (a glob match that goes away is not waited for).
    pub from_glob: bool,
    current: Option<Reading<'s>>,
    draining: Vec<Draining<'s>>,
    /// The last waiting or unreadable notice given, so it is not repeated at every look.
    told: Option<(FollowEvent, String)>,
    /// Whether the name was followed by an earlier run (a state file): any file found under it
    /// now is news, read from its start.
    restored: bool,
}

impl<'s> Name<'s> {
    pub fn new(info: InputInfo, counts: Counts, from_glob: bool) -> Name<'s> {
        Name {
            info,
            counts,
            begun: false,
            from_glob,
            current: None,
            draining: Vec::new(),
            told: None,
            restored: false,
        }
    }

    /// Gives up the file with identity `key`, if this name holds it (it was rotated to a name
    /// that a glob also follows, which takes it over).
    pub fn give_up(&mut self, key: FileKey) -> Option<Reading<'s>> {
        if self.current.as_ref().is_some_and(|r| r.key == key) {
            return self.current.take();
        }
        let at = self.draining.iter().position(|d| d.reading.key == key)?;
        Some(self.draining.remove(at).reading)
    }

    /// Takes over a file that the name `from` was reading, reading on where it was: a file
    /// rotated from one followed name to another is one file, read once.
    pub fn adopt(
        &mut self,
        ctx: &mut Ctx<'_, 's>,
        reading: Reading<'s>,
        from: &str,
    ) -> io::Result<()> {
        self.begin(ctx)?;
        let line = reading.scan.line();
        self.current = Some(reading);
        self.tell(
            ctx,
            FollowEvent::Appeared,
            &format!("is the file that was {from}, renamed: reading on from its line {line}"),
        )
    }

    /// Why the name was never read, if it was not: it never appeared, or could not be read.
    pub fn never_read(&self) -> Option<String> {
        if self.begun || self.from_glob {
            return None;
        }
        Some(match &self.told {
            Some((FollowEvent::Unreadable, why)) => why.clone(),
            _ => "it never appeared while cbscan followed it".to_string(),
        })
    }

    /// Files held open: the current one and those draining.
    pub fn files_held(&self) -> u64 {
        self.draining.len() as u64 + u64::from(self.current.is_some())
    }

    fn path(&self) -> &Path {
        self.info.path.as_deref().unwrap_or(Path::new(""))
    }

    /// Looks at the name and reads what is new. Returns whether a file had more to read than
    /// one slice ([`FOLLOW_SLICE`]): the caller comes back without waiting.
    pub fn look(&mut self, ctx: &mut Ctx<'_, 's>, at_startup: bool) -> io::Result<bool> {
        let seen = self.see();
        let known = self.current.as_ref().map(|r| Known {
            key: r.key,
            offset: r.offset,
        });
        let mut more = false;
        match step(known, &seen) {
            Step::Wait => {
                if !self.from_glob {
                    self.tell_once(ctx, FollowEvent::Waiting, WAITING);
                }
            }
            Step::Unreadable => {
                let why = match &seen {
                    Seen::Unreadable(why) => why.clone(),
                    _ => String::new(),
                };
                self.tell_once(
                    ctx,
                    FollowEvent::Unreadable,
                    &format!("cannot be followed: {why}"),
                );
            }
            Step::Appeared => {
                let at_end = starts_at_end(at_startup && !self.restored, ctx.options.from_start);
                if self.open(ctx, at_end)? && !at_startup {
                    self.tell(
                        ctx,
                        FollowEvent::Appeared,
                        "a file has this name now; reading it from its start",
                    )?;
                }
            }
            Step::ReadOn => {}
            Step::Truncated => self.truncated(ctx)?,
            Step::Replaced | Step::Removed => {
                let gone = matches!(seen, Seen::Missing);
                self.rotated(ctx, gone)?;
                if gone {
                    // The removal was told; waiting for the name again goes without saying.
                    self.told = Some((FollowEvent::Waiting, WAITING.to_string()));
                } else {
                    self.open(ctx, false)?;
                }
            }
        }
        // The files rotated away hold the older lines: they go first.
        more |= self.drain(ctx, false)?;
        if let Some(reading) = &mut self.current {
            more |= reading.read(ctx, &self.info, &mut self.counts)?;
        }
        Ok(more)
    }

    /// What is under the name now.
    fn see(&mut self) -> Seen {
        let meta = match fs::metadata(self.path()) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Seen::Missing,
            Err(e) => return Seen::Unreadable(e.to_string()),
        };
        if !meta.is_file() {
            return Seen::Unreadable("not a regular file".to_string());
        }
        let key = key_of(&meta);
        let size = meta.len();
        let stamp = stamp_of(&meta);
        let same_head = match &mut self.current {
            Some(reading) if reading.key == key && reading.stamp != stamp => {
                reading.stamp = stamp;
                reading.size = size;
                reading.check_head(size)
            }
            _ => true,
        };
        Seen::File {
            key,
            size,
            same_head,
        }
    }

    /// Opens the file under the name: at the start of its last line when `at_end`, else at its
    /// start. Returns false (having said why) when it cannot be opened.
    fn open(&mut self, ctx: &mut Ctx<'_, 's>, at_end: bool) -> io::Result<bool> {
        let file = match File::open(self.path()) {
            Ok(file) => file,
            Err(e) => {
                self.tell_once(
                    ctx,
                    FollowEvent::Unreadable,
                    &format!("cannot be read: {e}"),
                );
                return Ok(false);
            }
        };
        let meta = file.metadata()?;
        let size = meta.len();
        // After a restart, a file made or written while cbscan was stopped is new: all of it is
        // news, as for a file that appears while following.
        let new_since_saved = ctx.saved_at.is_some_and(|saved| {
            meta.created()
                .or_else(|_| meta.modified())
                .is_ok_and(|t| t > saved)
        });
        let offset = if at_end && !new_since_saved {
            last_line_start(&file, size)?
        } else {
            0
        };
        let counted = offset <= ctx.options.count_max;
        let newlines = if counted {
            count_lines(&file, offset, ctx.buf)?
        } else {
            0
        };
        let reading = Reading {
            head: Head::of(&read_head(&file, size)?),
            key: key_of(&meta),
            offset,
            scan: LiveScan::new(ctx.scanner, Resume::at(offset, newlines)),
            size,
            stamp: stamp_of(&meta),
            file,
        };
        self.current = Some(reading);
        self.told = None;
        self.begin(ctx)?;
        if !counted {
            self.tell(
                ctx,
                FollowEvent::Numbering,
                &format!(
                    "holds {offset} bytes before its end, too many to count its lines at start: \
                     line numbers count from where following started (line 1 is the first line \
                     after that)"
                ),
            )?;
        }
        Ok(true)
    }

    /// Tells the sink the input began, once.
    pub fn begin(&mut self, ctx: &mut Ctx<'_, 's>) -> io::Result<()> {
        if !self.begun {
            self.begun = true;
            ctx.sink.begin_input(&self.info)?;
        }
        Ok(())
    }

    /// The file under the name was cut: what it had beyond the offset, if a copy of it is
    /// found beside it (`copytruncate` copies, then cuts), is read from the copy; then the file
    /// is read again from its start.
    fn truncated(&mut self, ctx: &mut Ctx<'_, 's>) -> io::Result<()> {
        let Some(mut old) = self.current.take() else {
            return Ok(());
        };
        let read = old.offset;
        let copy = find_copy(self.path(), old.key, old.head, read);
        let recovered = match &copy {
            Some((path, file)) => {
                old.file = file.try_clone()?;
                old.size = file.metadata()?.len();
                while old.read(ctx, &self.info, &mut self.counts)? {}
                format!(
                    "; the {} bytes it had beyond them were read from its copy {}",
                    old.offset - read,
                    path.display()
                )
            }
            None => String::new(),
        };
        old.finish(ctx, &self.info, &mut self.counts)?;
        self.tell(
            ctx,
            FollowEvent::Truncated,
            &format!(
                "was cut below the {read} bytes read (copytruncate), or replaced by a new file \
                 that got its inode{recovered}; reading it from its start"
            ),
        )?;
        self.open(ctx, false)?;
        Ok(())
    }

    /// The file under the name is no longer there (`gone`) or another file has the name: the
    /// old one is read to its end and for the grace period.
    fn rotated(&mut self, ctx: &mut Ctx<'_, 's>, gone: bool) -> io::Result<()> {
        let Some(old) = self.current.take() else {
            return Ok(());
        };
        let meta = old.file.metadata()?;
        let (event, what) = match (meta.nlink() > 0, gone) {
            (true, true) => (FollowEvent::Rotated, "was renamed away"),
            (false, true) => (FollowEvent::Removed, "was deleted"),
            (true, false) => (
                FollowEvent::Rotated,
                "was renamed away and another file took its name",
            ),
            (false, false) => (
                FollowEvent::Replaced,
                "was deleted or replaced by another file",
            ),
        };
        let wait = ctx.options.rotate_wait;
        self.tell(
            ctx,
            event,
            &format!(
                "{what}; the old file is read to its end, and for {} more after its last write",
                crate::text::duration(wait)
            ),
        )?;
        self.draining.push(Draining {
            grace: Grace::new(ctx.now, wait, meta.len()),
            reading: old,
        });
        Ok(())
    }

    /// Reads the files rotated away; closes those done (all of them when `now_all`).
    fn drain(&mut self, ctx: &mut Ctx<'_, 's>, now_all: bool) -> io::Result<bool> {
        let mut more = false;
        let mut i = 0;
        while i < self.draining.len() {
            let drained = &mut self.draining[i];
            drained.reading.size = drained.reading.file.metadata()?.len();
            let unread = drained.reading.read(ctx, &self.info, &mut self.counts)?;
            more |= unread;
            let size = drained.reading.size;
            let done =
                !unread && (now_all || drained.grace.done(ctx.now, size, drained.reading.offset));
            if done {
                let drained = self.draining.remove(i);
                let bytes = drained.reading.offset;
                drained.reading.finish(ctx, &self.info, &mut self.counts)?;
                self.tell(
                    ctx,
                    FollowEvent::Drained,
                    &format!("the file that had this name was read to its end ({bytes} bytes) and closed"),
                )?;
            } else {
                i += 1;
            }
        }
        Ok(more)
    }

    /// Ends following: reads what there is, and ends every scan — unless `keep` (a state is
    /// saved): the files are then left where they are, for [`Name::save`] and the next run.
    pub fn stop(&mut self, ctx: &mut Ctx<'_, 's>, keep: bool) -> io::Result<()> {
        if let Some(reading) = &mut self.current {
            // What the file holds now, not what a writer adds while it is read: a file written
            // faster than it is read would never let following end.
            let until = reading.file.metadata()?.len();
            reading.size = until;
            while reading.offset < until && reading.read(ctx, &self.info, &mut self.counts)? {}
        }
        if keep {
            return Ok(());
        }
        self.drain(ctx, true)?;
        if let Some(reading) = self.current.take() {
            if reading.finish(ctx, &self.info, &mut self.counts)? {
                self.tell(
                    ctx,
                    FollowEvent::Unterminated,
                    "its last line had no line break yet; it was scanned as it was",
                )?;
            }
        }
        Ok(())
    }

    /// The places of the current file and of those being drained, for a state file.
    pub fn save(
        &mut self,
        ctx: &mut Ctx<'_, 's>,
    ) -> io::Result<(Option<FileState>, Vec<FileState>)> {
        let catalog = ctx.catalog;
        let state = |reading: &mut Reading<'s>, ctx: &mut Ctx<'_, 's>, counts: &mut Counts| {
            let resume = reading.scan.checkpoint(&self.info, counts, ctx.sink)?;
            Ok::<_, io::Error>(FileState::new(catalog, reading.key, reading.head, &resume))
        };
        let current = match &mut self.current {
            Some(reading) => Some(state(reading, ctx, &mut self.counts)?),
            None => None,
        };
        let mut draining = Vec::new();
        for drained in &mut self.draining {
            draining.push(state(&mut drained.reading, ctx, &mut self.counts)?);
        }
        Ok((current, draining))
    }

    /// Picks up where a saved state left the name's files, and reads what the name held while
    /// cbscan was stopped:
    /// - each file read before is found by its identity (at the name, or renamed beside it)
    ///   and read on from where it was left; one cut meanwhile (`copytruncate`) is read on in
    ///   its copy (found by its first bytes), and what it got after the cut from its start;
    /// - a file beside the name that was written after the state was saved and is none of
    ///   those (it held the name only while cbscan was stopped: two rotations) is read whole;
    /// - what cannot be found is told (`lost`).
    ///
    /// Older files are read first: those saved as rotated away, the one saved as current, then
    /// the files written meanwhile by age, then the file under the name.
    pub fn restore(
        &mut self,
        ctx: &mut Ctx<'_, 's>,
        current: Option<&FileState>,
        draining: &[FileState],
        saved_at: Option<SystemTime>,
    ) -> io::Result<()> {
        self.restored = true;
        self.begin(ctx)?;
        let mut taken: Vec<FileKey> = Vec::new();
        for saved in draining.iter().chain(current) {
            self.restore_one(ctx, saved, &mut taken)?;
        }
        let Some(saved_at) = saved_at else {
            return Ok(());
        };
        let path = self.path().to_path_buf();
        let at_name = fs::metadata(&path).ok().map(|m| key_of(&m));
        let mut missed: Vec<(SystemTime, PathBuf, fs::Metadata)> = siblings(&path)
            .filter(|(p, meta)| {
                let key = key_of(meta);
                is_rotation_of(&path, p)
                    && !taken.contains(&key)
                    && at_name != Some(key)
                    && meta.modified().is_ok_and(|m| m > saved_at)
            })
            .filter_map(|(p, meta)| Some((meta.modified().ok()?, p, meta)))
            .collect();
        missed.sort_by_key(|(modified, _, _)| *modified);
        for (_, found, _) in missed {
            let Ok(file) = File::open(&found) else {
                continue;
            };
            self.drain_whole(ctx, file)?;
            self.tell(
                ctx,
                FollowEvent::Rotated,
                &format!(
                    "{} had this name while cbscan was stopped: read from its start",
                    found.display()
                ),
            )?;
        }
        Ok(())
    }

    fn restore_one(
        &mut self,
        ctx: &mut Ctx<'_, 's>,
        saved: &FileState,
        taken: &mut Vec<FileKey>,
    ) -> io::Result<()> {
        let path = self.path().to_path_buf();
        let intact = |file: &File| {
            file.metadata()
                .is_ok_and(|m| key_of(&m) == saved.key() && m.len() >= saved.end)
                && matches_head(file, saved.head())
        };
        // The file itself, at the name or renamed beside it.
        let mut candidates = vec![path.clone()];
        candidates.extend(
            siblings(&path)
                .filter(|(p, meta)| *p != path && key_of(meta) == saved.key())
                .map(|(p, _)| p),
        );
        let found = candidates.into_iter().find_map(|p| {
            let file = File::open(&p).ok()?;
            intact(&file).then_some((p, file))
        });
        if let Some((found, file)) = found {
            taken.push(saved.key());
            let reading = self.resumed(ctx, saved, file)?;
            let line = saved.newlines + 1;
            if found == path && self.current.is_none() {
                self.current = Some(reading);
                return self.tell(
                    ctx,
                    FollowEvent::Resumed,
                    &format!(
                        "reading on from line {line} (byte {}), where the last run stopped",
                        saved.end
                    ),
                );
            }
            self.drain_reading(ctx, reading);
            return self.tell(
                ctx,
                FollowEvent::Rotated,
                &format!(
                    "was rotated while cbscan was stopped: reading on in {} from line {line}",
                    found.display()
                ),
            );
        }
        // Cut while cbscan was stopped: what it had is in its copy, what came after the cut in
        // the file itself (wherever it is now).
        let copy = find_copy(
            &path,
            saved.key(),
            saved.head(),
            saved.end.saturating_sub(1),
        );
        let Some((copied, file)) = copy else {
            return self.tell(
                ctx,
                FollowEvent::Lost,
                &format!(
                    "the file read up to byte {} before the restart is gone, or was cut with no \
                     copy beside it (rotated and deleted or compressed while cbscan was \
                     stopped?): what it got after that was not read",
                    saved.end
                ),
            );
        };
        if let Ok(meta) = file.metadata() {
            taken.push(key_of(&meta));
        }
        let reading = self.resumed(ctx, saved, file)?;
        self.drain_reading(ctx, reading);
        self.tell(
            ctx,
            FollowEvent::Truncated,
            &format!(
                "was cut while cbscan was stopped: reading on in its copy {} from line {}",
                copied.display(),
                saved.newlines + 1
            ),
        )?;
        let cut = siblings(&path).find(|(p, meta)| *p != path && key_of(meta) == saved.key());
        if let Some((moved, _)) = cut {
            // Renamed after the cut: what it got after the cut is read from its start. (Still
            // at the name, it is read from its start as any new file under a restored name.)
            if let Ok(file) = File::open(&moved) {
                taken.push(saved.key());
                self.drain_whole(ctx, file)?;
            }
        }
        Ok(())
    }

    /// A reading of `file` from where `saved` left it.
    fn resumed(
        &mut self,
        ctx: &mut Ctx<'_, 's>,
        saved: &FileState,
        file: File,
    ) -> io::Result<Reading<'s>> {
        let mut pending = vec![0; (saved.end - saved.base) as usize];
        file.read_exact_at(&mut pending, saved.base)?;
        let meta = file.metadata()?;
        Ok(Reading {
            key: key_of(&meta),
            head: saved.head(),
            offset: saved.end,
            scan: LiveScan::new(ctx.scanner, saved.resume(ctx.catalog, pending)),
            size: meta.len(),
            stamp: stamp_of(&meta),
            file,
        })
    }

    /// Reads `file` from its start, as a file no longer under the name.
    fn drain_whole(&mut self, ctx: &mut Ctx<'_, 's>, file: File) -> io::Result<()> {
        let meta = file.metadata()?;
        let reading = Reading {
            head: Head::of(&read_head(&file, meta.len())?),
            key: key_of(&meta),
            offset: 0,
            scan: LiveScan::new(ctx.scanner, Resume::at(0, 0)),
            size: meta.len(),
            stamp: stamp_of(&meta),
            file,
        };
        self.drain_reading(ctx, reading);
        Ok(())
    }

    fn drain_reading(&mut self, ctx: &mut Ctx<'_, 's>, reading: Reading<'s>) {
        self.draining.push(Draining {
            grace: Grace::new(ctx.now, ctx.options.rotate_wait, reading.size),
            reading,
        });
    }

    fn tell(&mut self, ctx: &mut Ctx<'_, 's>, event: FollowEvent, message: &str) -> io::Result<()> {
        let notice = Notice::Followed {
            event,
            message: message.to_string(),
        };
        ctx.sink.notice(&self.info, &notice)
    }

    /// Tells a waiting or unreadable state once, until it changes.
    fn tell_once(&mut self, ctx: &mut Ctx<'_, 's>, event: FollowEvent, message: &str) {
        let told = Some((event, message.to_string()));
        if self.told != told {
            self.told = told;
            // A sink that failed is found out at the next hit or flush.
            let _ = self.tell(ctx, event, message);
        }
    }
}

impl<'s> Reading<'s> {
    /// Reads from the offset to the end (at most one slice). Returns whether more is left.
    fn read(
        &mut self,
        ctx: &mut Ctx<'_, 's>,
        info: &InputInfo,
        counts: &mut Counts,
    ) -> io::Result<bool> {
        let budget = FOLLOW_SLICE;
        if ctx.buf.len() < crate::limits::BLOCK_SIZE {
            ctx.buf.resize(crate::limits::BLOCK_SIZE, 0);
        }
        let more = self.read_slice(ctx, info, counts, budget)?;
        self.grow_head();
        Ok(more)
    }

    fn read_slice(
        &mut self,
        ctx: &mut Ctx<'_, 's>,
        info: &InputInfo,
        counts: &mut Counts,
        mut budget: u64,
    ) -> io::Result<bool> {
        while budget > 0 {
            let want = (ctx.buf.len() as u64).min(budget) as usize;
            let n = match self.file.read_at(&mut ctx.buf[..want], self.offset) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Ok(false);
            }
            self.offset += n as u64;
            self.size = self.size.max(self.offset);
            budget -= n as u64;
            self.scan.feed(&ctx.buf[..n], info, counts, ctx.sink)?;
        }
        Ok(true)
    }

    /// Fingerprints at least what was read (up to [`HEAD_BYTES`]): a file that was short, even
    /// empty, when it was opened must not keep a fingerprint that any file matches.
    fn grow_head(&mut self) {
        if !self.head.can_grow(self.offset) {
            return;
        }
        if let Ok(bytes) = read_head(&self.file, self.offset) {
            let len = self.head.len as usize;
            if bytes.len() >= len && Head::of(&bytes[..len]) == self.head {
                self.head = Head::of(&bytes);
            }
        }
    }

    /// Whether the first bytes still match the fingerprint (taking a longer one while the file
    /// is short).
    fn check_head(&mut self, size: u64) -> bool {
        let Ok(bytes) = read_head(&self.file, size) else {
            return true;
        };
        let len = self.head.len as usize;
        if bytes.len() < len || Head::of(&bytes[..len]) != self.head {
            return false;
        }
        if self.head.can_grow(size) {
            self.head = Head::of(&bytes);
        }
        true
    }

    /// Ends the scan, scanning an unterminated last line; returns whether there was one.
    fn finish(
        self,
        ctx: &mut Ctx<'_, 's>,
        info: &InputInfo,
        counts: &mut Counts,
    ) -> io::Result<bool> {
        let (_, unterminated) = self.scan.finish(Finish::Final, info, counts, ctx.sink)?;
        Ok(unterminated)
    }
}
