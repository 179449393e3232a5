//! Driving a running `cbscan follow` from tests: spawning it in a folder, collecting its
//! JSON-lines records as they arrive (a thread reads stdout into a shared list), waiting for
//! records by polling with a deadline, signalling it and collecting how it ended.
//!
//! Nothing here sleeps for a fixed time to let the follower "catch up": every wait is for a
//! record the contract promises, and fails with everything printed so far when the deadline
//! passes.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long any one expected record may take to arrive. Generous: CI machines are slow and a
/// debug build is used; a passing run never waits this long.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// How often the shared record list is checked while waiting.
const TICK: Duration = Duration::from_millis(5);

/// What the stdout reader thread has collected.
#[derive(Default)]
struct Collected {
    records: Vec<Value>,
    /// Lines that were not JSON (the contract is one JSON object per line).
    garbage: Vec<String>,
    /// Standard output reached its end (the process closed it or exited).
    eof: bool,
}

/// A running `cbscan follow`.
pub struct Follower {
    child: Child,
    shared: Arc<Mutex<Collected>>,
    reader: Option<JoinHandle<()>>,
    stderr: Option<JoinHandle<String>>,
    /// How long each wait may take ([`DEADLINE`] unless set).
    deadline: Duration,
}

/// How a follower ended.
#[derive(Debug)]
pub struct Stopped {
    /// Exit status (None: killed by a signal).
    pub code: Option<i32>,
    pub records: Vec<Value>,
    pub stderr: String,
}

impl Stopped {
    /// The final summary record, which must be the last record (and the only summary after
    /// the last hit, when `--summary-interval` is not used).
    pub fn summary(&self) -> &Value {
        let last = self
            .records
            .last()
            .unwrap_or_else(|| panic!("no records at all; stderr: {}", self.stderr));
        assert_eq!(
            last["type"], "summary",
            "the last record must be the summary; records: {:#?}\nstderr: {}",
            self.records, self.stderr
        );
        last
    }

    /// Hit records.
    pub fn hits(&self) -> Vec<&Value> {
        self.records.iter().filter(|r| r["type"] == "hit").collect()
    }
}

/// Builds the `cbscan follow` command: run in `dir`, JSON lines, `--poll-interval 50ms` and
/// `--rotate-wait 1s` unless `args` set them.
pub fn follow_command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(super::bin());
    cmd.current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITLAB_CI")
        .env_remove("CI_PROJECT_DIR")
        // The follow tests write bare lines such as `new one INVALID_PARAM`: every code counts,
        // shared names too (their CloudBase-context rule is tested in tests/precision.rs).
        .args(["follow", "--format", "jsonl", "--all-codes"]);
    // Short intervals unless the test sets its own (clap refuses an option given twice).
    for (option, value) in [("--poll-interval", "50ms"), ("--rotate-wait", "1s")] {
        if !args.contains(&option) {
            cmd.args([option, value]);
        }
    }
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

impl Follower {
    /// Starts `cbscan follow --format jsonl ARGS...` in `dir` (with short intervals, see
    /// [`follow_command`]).
    pub fn start(dir: &Path, args: &[&str]) -> Follower {
        Follower::spawn(follow_command(dir, args))
    }

    /// Starts a prepared command (see [`follow_command`]).
    pub fn spawn(mut cmd: Command) -> Follower {
        let mut child = cmd.spawn().expect("cbscan follow starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let shared = Arc::new(Mutex::new(Collected::default()));
        let reader = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || read_records(stdout, &shared))
        };
        let stderr = std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        });
        Follower {
            child,
            shared,
            reader: Some(reader),
            stderr: Some(stderr),
            deadline: DEADLINE,
        }
    }

    /// Sets how long each wait may take.
    pub fn with_deadline(mut self, deadline: Duration) -> Follower {
        self.deadline = deadline;
        self
    }

    /// The process id (for signals).
    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("pid fits in pid_t")
    }

    /// A copy of every record so far.
    pub fn records(&self) -> Vec<Value> {
        self.lock().records.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Collected> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `done` holds for the records so far; fails the test (with every record
    /// and standard error) when the deadline ([`DEADLINE`] unless set) passes or the follower
    /// exits first.
    pub fn wait_for(&mut self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        self.try_wait_for(what, done)
            .unwrap_or_else(|failure| panic!("{failure}"))
    }

    /// As [`Follower::wait_for`], but a failure (after which the follower is killed) is
    /// returned as its message, for callers that add their own context.
    pub fn try_wait_for(
        &mut self,
        what: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> Result<Vec<Value>, String> {
        let start = Instant::now();
        loop {
            let (records, eof) = {
                let collected = self.lock();
                if done(&collected.records) {
                    return Ok(collected.records.clone());
                }
                (collected.records.clone(), collected.eof)
            };
            if eof || start.elapsed() > self.deadline {
                let why = if eof {
                    "cbscan follow ended its output first".to_string()
                } else {
                    format!("no such record within {:?}", self.deadline)
                };
                let _ = self.child.kill();
                let stderr = self.take_stderr();
                return Err(format!(
                    "waiting for {what}: {why}\nrecords:\n{}stderr: {stderr}",
                    one_per_line(&records)
                ));
            }
            std::thread::sleep(TICK);
        }
    }

    /// Waits for the `begin` record of `name` (the file is open and positioned: anything
    /// appended after it is reported).
    pub fn wait_begin(&mut self, name: &str) {
        if let Err(failure) = self.try_wait_begin(name) {
            panic!("{failure}");
        }
    }

    /// As [`Follower::wait_begin`], returning a failure.
    pub fn try_wait_begin(&mut self, name: &str) -> Result<(), String> {
        self.try_wait_for(&format!("begin of {name}"), |r| {
            r.iter().any(|r| r["type"] == "begin" && path_is(r, name))
        })
        .map(drop)
    }

    /// Waits until a hit whose line text contains `needle` has been printed; returns the
    /// records so far.
    pub fn wait_hit(&mut self, needle: &str) -> Vec<Value> {
        self.wait_for(&format!("a hit on a line holding {needle:?}"), |r| {
            r.iter().any(|r| r["type"] == "hit" && text_has(r, needle))
        })
    }

    /// Waits for a notice of `kind` on `name`.
    pub fn wait_notice(&mut self, name: &str, kind: &str) -> Vec<Value> {
        self.wait_for(&format!("a {kind} notice on {name}"), |r| {
            r.iter()
                .any(|r| r["type"] == "notice" && r["kind"] == kind && path_is(r, name))
        })
    }

    /// Sends `signal` to the follower.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) with the pid of a child this test spawned and has not reaped yet
        // (Child::wait was not called), so the pid cannot have been reused.
        let rc = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(rc, 0, "kill({}, {signal})", self.pid());
    }

    /// Sends SIGTERM and collects how it ended.
    pub fn stop(self) -> Stopped {
        self.stop_with(libc::SIGTERM)
    }

    /// Sends `signal` and collects how it ended.
    pub fn stop_with(self, signal: i32) -> Stopped {
        self.signal(signal);
        self.wait_exit()
    }

    /// Waits (with the deadline) for the follower to exit by itself and collects its output.
    pub fn wait_exit(mut self) -> Stopped {
        let start = Instant::now();
        let status = loop {
            match self.child.try_wait().expect("waiting for cbscan") {
                Some(status) => break status,
                None if start.elapsed() > self.deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    let records = self.records();
                    let stderr = self.take_stderr();
                    panic!(
                        "cbscan follow did not exit within {:?}\nrecords: {records:#?}\nstderr: {stderr}",
                        self.deadline
                    );
                }
                None => std::thread::sleep(TICK),
            }
        };
        if let Some(reader) = self.reader.take() {
            reader.join().expect("stdout reader thread");
        }
        let stderr = self.take_stderr();
        assert!(!stderr.contains("panicked"), "cbscan panicked: {stderr}");
        let collected = std::mem::take(&mut *self.lock());
        assert!(
            collected.garbage.is_empty(),
            "stdout lines that are not JSON: {:?}\nstderr: {stderr}",
            collected.garbage
        );
        Stopped {
            code: status.code(),
            records: collected.records,
            stderr,
        }
    }

    fn take_stderr(&mut self) -> String {
        match self.stderr.take() {
            Some(handle) => handle.join().unwrap_or_default(),
            None => String::new(),
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        // A test that panicked midway must not leave a follower running.
        if self.reader.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_records(stdout: ChildStdout, shared: &Mutex<Collected>) {
    let mut lines = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let mut collected = shared.lock().unwrap_or_else(|e| e.into_inner());
                match serde_json::from_str::<Value>(line.trim_end_matches('\n')) {
                    Ok(value) => collected.records.push(value),
                    Err(_) => collected.garbage.push(line.clone()),
                }
            }
        }
    }
    shared.lock().unwrap_or_else(|e| e.into_inner()).eof = true;
}

/// Records as JSON, one a line (readable in a failure message, unlike `{:#?}`).
pub fn one_per_line(records: &[Value]) -> String {
    records.iter().map(|r| format!("  {r}\n")).collect()
}

/// Whether a record's `path` names the file `name` (as given on the command line, relative
/// to the follower's folder; a follower that printed it absolute is accepted too).
pub fn path_is(record: &Value, name: &str) -> bool {
    record["path"]["text"]
        .as_str()
        .is_some_and(|text| text == name || text.ends_with(&format!("/{name}")))
}

/// Whether a hit's line text contains `needle`.
pub fn text_has(record: &Value, needle: &str) -> bool {
    record["text"]
        .as_str()
        .is_some_and(|text| text.contains(needle))
}

/// The hits whose line text contains `needle`.
pub fn hits_with<'a>(records: &'a [Value], needle: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["type"] == "hit" && text_has(r, needle))
        .collect()
}

/// The notice kinds printed for `name`, in order.
pub fn notice_kinds(records: &[Value], name: &str) -> Vec<String> {
    records
        .iter()
        .filter(|r| r["type"] == "notice" && path_is(r, name))
        .filter_map(|r| r["kind"].as_str().map(str::to_string))
        .collect()
}

/// Appends `bytes` to `path` (creating it), as a logging process does: one write(2).
pub fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {} to append: {e}", path.display()));
    file.write_all(bytes)
        .unwrap_or_else(|e| panic!("appending to {}: {e}", path.display()));
}

/// Opens `path` for appending and keeps it open (a writer that survives a rename).
pub fn writer(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {} to append: {e}", path.display()))
}

/// Writes `bytes` through an open handle, in one write(2).
pub fn write_to(file: &mut std::fs::File, bytes: &[u8]) {
    use std::io::Write;
    file.write_all(bytes).expect("writing to an open log");
}
