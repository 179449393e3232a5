//! Standard input that a signal can end: `cbscan scan -` on a pipe that stays open (`tail -f
//! app.log | cbscan scan -`) or on a terminal is stopped with Ctrl-C, and the summary of what
//! came until then must still be printed, the reports written and the status set by the fail
//! policy — not lost with the process.
//!
//! A thread reads the real stdin and hands each read over a channel to the reader the scan
//! gets (a [`Source::Reader`] named `<stdin>`); SIGINT or SIGTERM makes that reader end as if
//! stdin had ended, once what was already read is scanned. The thread itself stays blocked in
//! its read until the process exits. A second Ctrl-C ends cbscan at once
//! ([`crate::signals::on_stop`]).
//!
//! Only pipes, terminals and devices are wrapped: a regular file ends by itself, and the
//! scan's own check that stdin is not the file it writes to (`cbscan scan - < out >> out`)
//! applies to regular files only, and stays as it is.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};

use cbscan::input::{Source, STDIN_NAME};
use cbscan::limits::{STREAM_READ, STREAM_READS_IN_FLIGHT};

use crate::signals;

/// What the reading thread hands over.
enum Message {
    /// The next bytes of stdin.
    Data(Vec<u8>),
    /// Stdin ended (read to its end, or stopped by a signal), or could not be read.
    End(Option<io::Error>),
}

/// What every `<stdin>` reader shares (`cbscan scan - -` reads stdin twice, as `cat - -`
/// does: the second time finds it ended).
struct Shared {
    messages: Mutex<Channel>,
    /// A signal asked to stop: what was read already is scanned, then the input ends.
    stopped: AtomicBool,
}

struct Channel {
    receiver: Receiver<Message>,
    ended: bool,
}

/// Replaces each [`Source::Stdin`] by a reader that SIGINT and SIGTERM end, when stdin is not
/// a regular file. Leaves the sources as they are if the signals cannot be caught.
pub fn stoppable(sources: &mut [Source]) {
    if !sources.iter().any(|s| matches!(s, Source::Stdin)) || stdin_is_regular_file() {
        return;
    }
    let (sender, receiver) = mpsc::sync_channel(STREAM_READS_IN_FLIGHT);
    let shared = Arc::new(Shared {
        messages: Mutex::new(Channel {
            receiver,
            ended: false,
        }),
        stopped: AtomicBool::new(false),
    });
    let wake = sender.clone();
    let on_signal = Arc::clone(&shared);
    let installed = signals::on_stop(move |_signal| {
        on_signal.stopped.store(true, Ordering::SeqCst);
        // Wakes a reader waiting for data. When the channel is full, the reader is not
        // waiting: it sees `stopped` at its next read.
        let _ = wake.try_send(Message::End(None));
    });
    if installed.is_err() {
        return;
    }
    let reading = Arc::clone(&shared);
    let spawned = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || read_stdin(&sender, &reading));
    if spawned.is_err() {
        // Nothing would read stdin; the signal handler only ends what nobody reads now.
        return;
    }
    for source in sources.iter_mut() {
        if matches!(source, Source::Stdin) {
            let reader = LiveStdin {
                shared: Arc::clone(&shared),
                pending: Vec::new(),
                at: 0,
            };
            *source = Source::Reader {
                name: STDIN_NAME.into(),
                reader: Arc::new(Mutex::new(Some(Box::new(reader)))),
            };
        }
    }
}

/// Whether stdin is a regular file (`< app.log`): it ends by itself.
fn stdin_is_regular_file() -> bool {
    io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .ok()
        .and_then(|fd| File::from(fd).metadata().ok())
        .is_some_and(|meta| meta.is_file())
}

/// The reading thread: stdin to the channel, until it ends or a signal stops the scan.
fn read_stdin(sender: &SyncSender<Message>, shared: &Shared) {
    let mut stdin = io::stdin().lock();
    loop {
        let mut buffer = vec![0; STREAM_READ];
        let message = match stdin.read(&mut buffer) {
            Ok(0) => Message::End(None),
            Ok(n) => {
                buffer.truncate(n);
                Message::Data(buffer)
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => Message::End(Some(error)),
        };
        let last = matches!(message, Message::End(_));
        // After a stop nothing more is scanned: what is read now would only be lost.
        if shared.stopped.load(Ordering::SeqCst) || sender.send(message).is_err() || last {
            return;
        }
    }
}

/// The reader a scan of `<stdin>` gets.
struct LiveStdin {
    shared: Arc<Shared>,
    /// The message being read out, and how far.
    pending: Vec<u8>,
    at: usize,
}

impl Read for LiveStdin {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if buffer.is_empty() {
            return Ok(0);
        }
        if self.at == self.pending.len() {
            let mut channel = self
                .shared
                .messages
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if channel.ended {
                return Ok(0);
            }
            let message = if self.shared.stopped.load(Ordering::SeqCst) {
                // Stopped: what was read before the signal is scanned, nothing more waited for.
                match channel.receiver.try_recv() {
                    Ok(message) => message,
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => Message::End(None),
                }
            } else {
                channel.receiver.recv().unwrap_or(Message::End(None))
            };
            match message {
                Message::Data(data) => {
                    self.pending = data;
                    self.at = 0;
                }
                Message::End(error) => {
                    channel.ended = true;
                    return error.map_or(Ok(0), Err);
                }
            }
        }
        let n = buffer.len().min(self.pending.len() - self.at);
        buffer[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
