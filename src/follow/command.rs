//! Running a command and scanning its standard output and standard error as they arrive
//! (`cbscan run`), each passed through unchanged to where the caller says.
//!
//! One thread per pipe reads it, passes each read on at once, and sends it to the scanning
//! thread: a child that fills one pipe while nothing reads the other would otherwise block
//! forever, and a line must show up where the user looks when the child writes it, not when
//! cbscan gets round to it. The scanning thread is the caller's; it feeds one [`LiveScan`] per
//! stream and hands hits to the sink as they are found.

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::limits::{STREAM_READ, STREAM_READS_IN_FLIGHT};
use crate::scan::{Finish, InputStats, Resume, Scanner};
use crate::sink::{Discard, InputEnd, InputInfo, ScanDone, Sink};
use crate::summary::{Counts, InputSummary, Summary};

use super::live::LiveScan;

/// The name the command's standard output is reported under (input 0).
pub const STDOUT_NAME: &str = "<stdout>";
/// The name the command's standard error is reported under (input 1).
pub const STDERR_NAME: &str = "<stderr>";

/// One of the command's two output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output (input 0).
    Stdout,
    /// Standard error (input 1).
    Stderr,
}

impl Stream {
    /// The input's index in the scan.
    pub fn index(self) -> usize {
        match self {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
        }
    }

    /// The name the stream is reported under.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => STDOUT_NAME,
            Stream::Stderr => STDERR_NAME,
        }
    }
}

/// A writer the bytes of a stream are passed through to (cbscan's own stdout or stderr).
pub type PassWriter = Box<dyn Write + Send>;

/// A pipe to read, as its reader thread gets it.
type Pipe = Box<dyn Read + Send>;

/// Where each stream's bytes go besides the scan: `None` passes nothing on.
#[derive(Default)]
pub struct Passthrough {
    /// Where the command's standard output goes.
    pub stdout: Option<PassWriter>,
    /// Where the command's standard error goes.
    pub stderr: Option<PassWriter>,
}

/// How a command's run ended.
#[derive(Debug)]
pub struct CommandEnd {
    /// How the command exited.
    pub status: ExitStatus,
    /// What was found in its two streams (inputs `<stdout>` and `<stderr>`, in that order).
    pub summary: Summary,
    /// The sink's error, if it stopped taking events (every report failed); the streams were
    /// still read and counted to their end.
    pub stopped: Option<io::Error>,
    /// Streams whose passthrough was found closed (a reader that stopped, as `| head` does):
    /// that pipe was closed too, so the command learnt it as it would in a pipeline.
    pub closed: Vec<Stream>,
    /// Streams whose passthrough failed otherwise, with the error: from then on they were
    /// still read and scanned, but not passed on.
    pub passthrough_errors: Vec<(Stream, io::Error)>,
}

/// What a pipe's reader thread tells the scanning thread.
enum Event {
    /// The next bytes of a stream.
    Data(Stream, Vec<u8>),
    /// Passing a stream on failed; it is still read.
    PassFailed(Stream, io::Error),
    /// A stream ended.
    End(Stream, Ending),
}

/// Why a stream ended.
enum Ending {
    /// The command closed it (it exited, or closed the descriptor).
    Eof,
    /// Its passthrough was closed, so it was closed in turn.
    Closed,
    /// Reading it failed.
    Failed(io::Error),
}

/// A command started with its two output streams piped to reader threads.
pub struct RunningCommand {
    child: Child,
    program: String,
    events: Receiver<Event>,
    readers: Vec<JoinHandle<()>>,
    started: Instant,
}

impl RunningCommand {
    /// Starts `command` with its standard output and standard error piped (standard input is
    /// inherited), passing each through as `passthrough` says as soon as it is read.
    pub fn start(mut command: Command, passthrough: Passthrough) -> Result<RunningCommand> {
        let program = display_program(command.get_program());
        let failed = |source| Error::Command {
            command: program.clone(),
            source,
        };
        command
            .stdin(Stdio::inherit())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = command.spawn().map_err(failed)?;
        let (sender, events) = mpsc::sync_channel(STREAM_READS_IN_FLIGHT);
        let mut readers = Vec::with_capacity(2);
        let pipes: [(Stream, Option<Pipe>, Option<PassWriter>); 2] = [
            (
                Stream::Stdout,
                child
                    .stdout
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
                passthrough.stdout,
            ),
            (
                Stream::Stderr,
                child
                    .stderr
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
                passthrough.stderr,
            ),
        ];
        for (stream, pipe, out) in pipes {
            let sender = sender.clone();
            let Some(pipe) = pipe else {
                // Piped above, so always there; an absent pipe is a stream that is over.
                let _ = sender.send(Event::End(stream, Ending::Eof));
                continue;
            };
            let spawned = std::thread::Builder::new()
                .name(format!("read {}", stream.name()))
                .spawn(move || pump(pipe, stream, out, &sender));
            match spawned {
                Ok(handle) => readers.push(handle),
                Err(error) => {
                    // Nothing would read this pipe: the command must not run unwatched.
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(failed(error));
                }
            }
        }
        Ok(RunningCommand {
            child,
            program,
            events,
            readers,
            started,
        })
    }

    /// The command's process id (to send it a signal).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Scans both streams until the command has closed them, giving `sink` the events of two
    /// inputs, `<stdout>` and `<stderr>`: both begin at once, hits come as their lines arrive
    /// (with a flush after each read), and both end, in that order, once the command has
    /// exited; then `finish`. A last line without its line break is scanned at the end.
    pub fn scan(mut self, scanner: &Scanner, sink: &mut dyn Sink) -> Result<CommandEnd> {
        let streams = [Stream::Stdout, Stream::Stderr];
        let inputs = streams.map(|stream| InputInfo {
            index: stream.index(),
            name: stream.name().to_string(),
            path: None,
        });
        let mut counts = streams.map(|_| Counts::new(scanner.codes()));
        let mut scans = streams.map(|_| Some(LiveScan::new(scanner, Resume::at(0, 0))));
        let mut errors: [Option<Error>; 2] = [None, None];
        let mut out = Delivery::new(sink);
        for input in &inputs {
            out.deliver(|sink| sink.begin_input(input));
        }
        let mut end = CommandEnd {
            status: ExitStatus::default(),
            summary: scanner.new_summary(),
            stopped: None,
            closed: Vec::new(),
            passthrough_errors: Vec::new(),
        };
        let mut open = scans.len();
        while open > 0 {
            // Every reader gone without saying so (it cannot, short of a panic): nothing more
            // will come.
            let Ok(event) = self.events.recv() else { break };
            match event {
                Event::Data(stream, data) => {
                    let i = stream.index();
                    if let Some(scan) = &mut scans[i] {
                        out.deliver(|sink| scan.feed(&data, &inputs[i], &mut counts[i], sink));
                        out.deliver(|sink| sink.flush());
                    }
                }
                Event::PassFailed(stream, error) => end.passthrough_errors.push((stream, error)),
                Event::End(stream, ending) => {
                    let i = stream.index();
                    let Some(scan) = scans[i].take() else {
                        continue;
                    };
                    open -= 1;
                    out.deliver(|sink| {
                        scan.finish(Finish::Final, &inputs[i], &mut counts[i], sink)
                            .map(drop)
                    });
                    out.deliver(|sink| sink.flush());
                    match ending {
                        Ending::Eof => counts[i].add_file(),
                        Ending::Closed => end.closed.push(stream),
                        Ending::Failed(source) => {
                            counts[i].add_error();
                            errors[i] = Some(Error::Input {
                                path: stream.name().to_string(),
                                source,
                            });
                        }
                    }
                }
            }
        }
        // Both pipes are closed (or dropped): nothing can block the command on cbscan now.
        drop(self.events);
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        end.status = self.child.wait().map_err(|source| Error::Command {
            command: self.program.clone(),
            source,
        })?;
        for (i, input) in inputs.iter().enumerate() {
            let mut row = InputSummary::from_counts(input.name.clone(), None, &counts[i]);
            row.error = errors[i].as_ref().map(Error::detail);
            end.summary.add_input(&counts[i], row);
            let input_end = InputEnd {
                stats: InputStats {
                    bytes: counts[i].bytes(),
                    lines: counts[i].lines(),
                },
                counts: &counts[i],
                error: errors[i].as_ref(),
            };
            out.deliver(|sink| sink.end_input(input, &input_end));
        }
        let done = ScanDone {
            summary: &end.summary,
            elapsed: self.started.elapsed(),
        };
        out.deliver(|sink| sink.finish(&done));
        end.stopped = out.stopped;
        Ok(end)
    }
}

/// Runs `command` to its end, scanning its output into `sink` as it arrives (see
/// [`RunningCommand::start`] and [`RunningCommand::scan`]).
pub fn run_command(
    command: Command,
    scanner: &Scanner,
    sink: &mut dyn Sink,
    passthrough: Passthrough,
) -> Result<CommandEnd> {
    RunningCommand::start(command, passthrough)?.scan(scanner, sink)
}

/// The program's name for messages.
fn display_program(program: &OsStr) -> String {
    program.to_string_lossy().into_owned()
}

/// The sink until it fails; after that, a [`Discard`], so the streams are still scanned to
/// their end and counted (the exit status depends on all they held), and still passed on.
struct Delivery<'a> {
    sink: &'a mut dyn Sink,
    stopped: Option<io::Error>,
}

impl<'a> Delivery<'a> {
    fn new(sink: &'a mut dyn Sink) -> Delivery<'a> {
        Delivery {
            sink,
            stopped: None,
        }
    }

    fn deliver(&mut self, event: impl FnOnce(&mut dyn Sink) -> io::Result<()>) {
        if self.stopped.is_some() {
            // Discarding cannot fail.
            let _ = event(&mut Discard);
        } else if let Err(error) = event(&mut *self.sink) {
            self.stopped = Some(error);
        }
    }
}

/// A pipe's reader thread: reads until the command closes the pipe, passing each read on
/// (written whole and flushed, so the bytes come out as the command wrote them and at once),
/// then sending it to be scanned.
fn pump(mut pipe: Pipe, stream: Stream, out: Option<PassWriter>, events: &SyncSender<Event>) {
    let mut out = out;
    let mut buffer = vec![0; STREAM_READ];
    loop {
        let n = match pipe.read(&mut buffer) {
            Ok(0) => {
                let _ = events.send(Event::End(stream, Ending::Eof));
                return;
            }
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                let _ = events.send(Event::End(stream, Ending::Failed(error)));
                return;
            }
        };
        let data = &buffer[..n];
        let mut closed = false;
        if let Some(writer) = &mut out {
            if let Err(error) = writer.write_all(data).and_then(|()| writer.flush()) {
                if error.kind() == io::ErrorKind::BrokenPipe {
                    // As in a pipeline: the reader left, so the command's next write to this
                    // stream fails (SIGPIPE or EPIPE) once the pipe is closed below.
                    closed = true;
                } else {
                    out = None;
                    if events.send(Event::PassFailed(stream, error)).is_err() {
                        return;
                    }
                }
            }
        }
        // What was read is scanned, passed on or not.
        if events.send(Event::Data(stream, data.to_vec())).is_err() {
            return;
        }
        if closed {
            let _ = events.send(Event::End(stream, Ending::Closed));
            return;
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::scan::ScanOptions;
    use crate::sink::Collect;
    use std::sync::{Arc, Mutex};

    /// A passthrough destination the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Records the order of events.
    #[derive(Default)]
    struct Events(Vec<String>, Collect);

    impl Sink for Events {
        fn begin_input(&mut self, input: &InputInfo) -> io::Result<()> {
            self.0.push(format!("begin {}", input.name));
            Ok(())
        }
        fn hits(&mut self, input: &InputInfo, hits: &crate::sink::Hits<'_>) -> io::Result<()> {
            self.0.push(format!("hits {} {}", input.name, hits.len()));
            self.1.hits(input, hits)
        }
        fn end_input(&mut self, input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
            self.0
                .push(format!("end {} {}", input.name, end.counts.files()));
            Ok(())
        }
        fn finish(&mut self, _done: &ScanDone<'_>) -> io::Result<()> {
            self.0.push("finish".into());
            Ok(())
        }
    }

    fn scanner() -> (Catalog, Scanner) {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        let scanner = Scanner::for_catalog(&catalog, ScanOptions::default());
        (catalog, scanner)
    }

    #[test]
    fn both_streams_are_passed_on_and_scanned_as_two_inputs() {
        let (_catalog, scanner) = scanner();
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "printf 'a SYS_ERR\\nb' ; printf 'x DATABASE_TIMEOUT\\ny SYS_ERR' >&2; exit 3",
        ]);
        let (out, err) = (Shared::default(), Shared::default());
        let passthrough = Passthrough {
            stdout: Some(Box::new(out.clone())),
            stderr: Some(Box::new(err.clone())),
        };
        let mut sink = Events::default();
        let end = run_command(command, &scanner, &mut sink, passthrough).expect("sh runs");
        assert_eq!(end.status.code(), Some(3));
        assert_eq!(*out.0.lock().unwrap(), b"a SYS_ERR\nb");
        assert_eq!(*err.0.lock().unwrap(), b"x DATABASE_TIMEOUT\ny SYS_ERR");
        let rows: Vec<(&str, u64, u64, bool)> = end
            .summary
            .inputs()
            .iter()
            .map(|r| (r.name.as_str(), r.lines, r.hits, r.complete))
            .collect();
        assert_eq!(
            rows,
            vec![("<stdout>", 2, 1, true), ("<stderr>", 2, 2, true)]
        );
        assert_eq!(sink.0.first().map(String::as_str), Some("begin <stdout>"));
        assert_eq!(sink.0.get(1).map(String::as_str), Some("begin <stderr>"));
        let tail: Vec<&str> = sink.0[sink.0.len() - 3..]
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(tail, ["end <stdout> 1", "end <stderr> 1", "finish"]);
        assert_eq!(sink.1.hits.len(), 3);
        assert!(end.stopped.is_none() && end.closed.is_empty());
    }

    #[test]
    fn a_program_that_does_not_exist_is_an_error_naming_it() {
        let (_catalog, scanner) = scanner();
        let command = Command::new("cbscan-test-no-such-program");
        let error = run_command(command, &scanner, &mut Discard, Passthrough::default())
            .expect_err("cannot start");
        match error {
            Error::Command { command, source } => {
                assert_eq!(command, "cbscan-test-no-such-program");
                assert_eq!(source.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("unexpected error {other:?}"),
        }
    }

    /// A passthrough whose reader has gone.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _buf: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_passthrough_closes_the_pipe_and_the_other_stream_goes_on() {
        let (_catalog, scanner) = scanner();
        let mut command = Command::new("sh");
        // `yes` never ends on its own: only the closed pipe can stop it.
        command.args(["-c", "yes SYS_ERR; echo after DATABASE_TIMEOUT >&2"]);
        let passthrough = Passthrough {
            stdout: Some(Box::new(Closed)),
            stderr: None,
        };
        let mut sink = Collect::default();
        let end = run_command(command, &scanner, &mut sink, passthrough).expect("sh runs");
        assert_eq!(end.closed, vec![Stream::Stdout]);
        let rows = end.summary.inputs();
        assert!(!rows[0].complete, "stdout was not read to its end");
        assert_eq!((rows[1].hits, rows[1].complete), (1, true));
    }
}
