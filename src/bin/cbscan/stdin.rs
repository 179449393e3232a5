//! Standard input that a signal can end: `cbscan scan -` on a pipe that stays open (`tail -f
//! app.log | cbscan scan -`) or on a terminal is stopped with Ctrl-C, and the summary of what
//! came until then must still be printed, the reports written and the status set by the fail
//! policy — not lost with the process.
//!
//! The scan reads stdin through a [`Source::Reader`] named `<stdin>` that waits for data with
//! `poll` on stdin and on a socket the signal handler writes to: SIGINT or SIGTERM makes the
//! read return end-of-input at once, as if stdin had ended. (A thread reading stdin into a
//! channel does the same, but costs a copy of every byte, and a sixth of the throughput.) A
//! second Ctrl-C ends cbscan at once ([`crate::signals::on_stop`]).
//!
//! Only pipes, terminals and devices are wrapped: a regular file ends by itself, and the
//! scan's own check that stdin is not the file it writes to (`cbscan scan - < out >> out`)
//! applies to regular files only, and stays as it is.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use cbscan::input::{Source, STDIN_NAME};

use crate::signals;

/// Replaces each [`Source::Stdin`] by a reader that SIGINT and SIGTERM end, when stdin is not
/// a regular file. Leaves the sources as they are if that cannot be set up (the signals then
/// end cbscan as they always did).
pub fn stoppable(sources: &mut [Source]) {
    if !sources.iter().any(|s| matches!(s, Source::Stdin)) {
        return;
    }
    // Read through a descriptor of its own: `io::stdin()` buffers, and bytes waiting in its
    // buffer would not wake `poll`.
    let Ok(stdin) = io::stdin().as_fd().try_clone_to_owned().map(File::from) else {
        return;
    };
    if stdin.metadata().is_ok_and(|meta| meta.is_file()) {
        return;
    }
    let Ok((wake, woken)) = UnixStream::pair() else {
        return;
    };
    let stop = Arc::new(Stop {
        stopped: AtomicBool::new(false),
        woken,
    });
    let on_signal = Arc::clone(&stop);
    let installed = signals::on_stop(move |_signal| {
        if !on_signal.stopped.swap(true, Ordering::SeqCst) {
            // Wakes a read waiting in `poll`; one byte is enough for every reader.
            let _ = (&wake).write_all(&[1]);
        }
    });
    if installed.is_err() {
        return;
    }
    let stdin = Arc::new(stdin);
    for source in sources.iter_mut() {
        if matches!(source, Source::Stdin) {
            let reader = LiveStdin {
                stdin: Arc::clone(&stdin),
                stop: Arc::clone(&stop),
            };
            *source = Source::Reader {
                name: STDIN_NAME.into(),
                reader: Arc::new(Mutex::new(Some(Box::new(reader)))),
            };
        }
    }
}

/// What the signal handler sets, and the socket it wakes readers with.
struct Stop {
    stopped: AtomicBool,
    /// Readable once a signal came.
    woken: UnixStream,
}

/// The reader a scan of `<stdin>` gets (`cbscan scan - -` reads stdin twice, as `cat - -`
/// does: the second time finds it ended).
struct LiveStdin {
    stdin: Arc<File>,
    stop: Arc<Stop>,
}

impl Read for LiveStdin {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.stop.stopped.load(Ordering::SeqCst) {
                return Ok(0);
            }
            let mut fds = [
                libc::pollfd {
                    fd: self.stdin.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: self.stop.woken.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: `fds` is a valid array of two pollfd structs for the whole call.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if ready < 0 {
                let error = io::Error::last_os_error();
                if error.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(error);
            }
            if fds[1].revents != 0 {
                return Ok(0);
            }
            // Data, the end of the input (POLLHUP) or an error: the read tells which.
            if fds[0].revents != 0 {
                return (&*self.stdin).read(buffer);
            }
        }
    }
}
