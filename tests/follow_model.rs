//! Model-based property test of `cbscan follow` (issue 9, section 4): random sequences of
//! appends, torn appends (also across a restart), rename rotations with late writes to the old
//! file, copytruncate, delete and recreate, atomic replace, stops and restarts from `--state`,
//! and pauses, applied to two real files while the real binary follows them. Every complete
//! line holding a code must be reported exactly once, with its whole text, at its line number
//! within its file generation, and in order within the generation; lines without a code never
//! are.
//!
//! Each line carries a unique id, its file and its generation (`id=000042 f=a g=3 SYS_ERR`),
//! so the check needs nothing from the tool but its hit records.
//!
//! What the model does not demand, because no follower could do it:
//! - a generation that cbscan never saw cannot be found after it is rotated away, so a
//!   rotation while cbscan runs first waits for a hit from the current generation (proof it is
//!   open), and a rotation while cbscan is stopped is skipped unless the generation was seen
//!   before the stop (then it is in the state file);
//! - a file deleted or replaced while cbscan is stopped is gone with whatever cbscan had not
//!   read: those lines may be reported at most once, not exactly once.
//!
//! Cases are few by default, each runs real processes: set `FOLLOW_MODEL_CASES` for more, and
//! `FOLLOW_MODEL_SHRINK_SECS` to give shrinking more time when looking for a minimal failure.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::PathBuf;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use support::follow::*;

/// The followed files.
const FILES: [&str; 2] = ["a.log", "b.log"];
/// Width of every line (without its newline) when lines are uniform.
const UNIFORM_WIDTH: usize = 47;
/// Codes written in lines (each matched alone: none is a prefix of another).
const CODES: [&str; 3] = ["DATABASE_TIMEOUT", "SYS_ERR", "INVALID_PARAM"];

#[derive(Debug, Clone)]
enum Op {
    /// Complete lines in one write; `true` lines hold a code.
    Append {
        file: usize,
        lines: Vec<bool>,
    },
    /// One line holding a code, written in pieces cut at these fractions (per mille), with a
    /// pause between writes.
    Torn {
        file: usize,
        cuts: Vec<u16>,
        pause_ms: u64,
    },
    /// One line holding a code, its first part written before a stop (SIGTERM) and the rest
    /// before the start that follows (a plain torn append when cbscan is stopped already).
    TornRestart {
        file: usize,
        cut: u16,
    },
    /// `mv F F.N`, `late_before` lines written to the old file through its open handle,
    /// a new F, and after `late_ms` (well within --rotate-wait) `late_after` more lines to the
    /// old file.
    RenameRotate {
        file: usize,
        late_before: usize,
        late_after: usize,
        late_ms: u64,
    },
    /// `cp F F.N`, truncate F to 0, and `rewrite` lines written at once (the writer keeps
    /// appending to F).
    CopyTruncate {
        file: usize,
        rewrite: usize,
    },
    /// `rm F`, a new F with `lines` lines.
    DeleteRecreate {
        file: usize,
        lines: usize,
    },
    /// A new file with `lines` lines renamed over F (`mv -f`).
    AtomicReplace {
        file: usize,
        lines: usize,
    },
    /// SIGTERM (no-op when stopped).
    Stop,
    /// Start again with the same --state (no-op when running).
    Start,
    Pause {
        ms: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let file = 0..FILES.len();
    prop_oneof![
        5 => (file.clone(), prop::collection::vec(prop::bool::weighted(0.7), 1..4))
            .prop_map(|(file, lines)| Op::Append { file, lines }),
        2 => (file.clone(), prop::collection::vec(1..1000u16, 1..3), 0..30u64)
            .prop_map(|(file, cuts, pause_ms)| Op::Torn { file, cuts, pause_ms }),
        1 => (file.clone(), 1..1000u16).prop_map(|(file, cut)| Op::TornRestart { file, cut }),
        2 => (file.clone(), 0..3usize, 0..3usize, prop_oneof![Just(0u64), 0..400u64]).prop_map(
            |(file, late_before, late_after, late_ms)| Op::RenameRotate {
                file,
                late_before,
                late_after,
                late_ms,
            }
        ),
        2 => (file.clone(), 0..3usize).prop_map(|(file, rewrite)| Op::CopyTruncate { file, rewrite }),
        1 => (file.clone(), 0..3usize).prop_map(|(file, lines)| Op::DeleteRecreate { file, lines }),
        1 => (file, 1..3usize).prop_map(|(file, lines)| Op::AtomicReplace { file, lines }),
        1 => Just(Op::Stop),
        1 => Just(Op::Start),
        1 => (0..250u64).prop_map(|ms| Op::Pause { ms }),
    ]
}

/// A line written with a code.
#[derive(Debug)]
struct Written {
    file: usize,
    generation: u64,
    /// Its line number within its generation.
    line: u64,
    code: &'static str,
    /// False when it may be lost (its file was deleted or replaced while cbscan was stopped,
    /// before cbscan read it).
    required: bool,
}

/// One followed name.
struct Followed {
    name: &'static str,
    /// The generation now at the name, and the writer appending to it.
    generation: u64,
    writer: File,
    /// Lines written to the current generation so far.
    lines: u64,
    /// A hit of the current generation was printed by the running follower.
    seen_this_run: bool,
    /// A hit of the current generation was printed by some run (so the state file knows it).
    known: bool,
    rotations: usize,
}

struct Model {
    dir: tempfile::TempDir,
    files: Vec<Followed>,
    next_id: u64,
    next_generation: u64,
    /// Every line holding a code, by its text (without the newline).
    written: HashMap<String, u64>,
    lines: BTreeMap<u64, Written>,
    follower: Option<Follower>,
    /// Records of the runs that ended.
    past: Vec<Value>,
    runs: usize,
    no_watch: bool,
    /// Every line of the same width.
    uniform: bool,
    /// What was done, for the failure message.
    log: String,
}

type Check = Result<(), TestCaseError>;

impl Model {
    fn new(no_watch: bool, uniform: bool) -> Model {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut model = Model {
            files: Vec::new(),
            next_id: 0,
            next_generation: 0,
            written: HashMap::new(),
            lines: BTreeMap::new(),
            follower: None,
            past: Vec::new(),
            runs: 0,
            no_watch,
            uniform,
            log: String::new(),
            dir,
        };
        for name in FILES {
            let path = model.dir.path().join(name);
            let writer = writer(&path);
            let generation = model.new_generation();
            model.files.push(Followed {
                name,
                generation,
                writer,
                lines: 0,
                seen_this_run: false,
                known: false,
                rotations: 0,
            });
        }
        model
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn new_generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    /// Makes the text of the next line of generation `generation` of file `file` (line
    /// number `line`), recording it when it holds a code. Returns it with its newline.
    fn make_line(&mut self, file: usize, generation: u64, line: u64, code: bool) -> String {
        self.next_id += 1;
        let id = self.next_id;
        let f = &FILES[file][..1];
        let code = code.then(|| CODES[(id % 3) as usize]);
        let start = format!(
            "id={id:06} f={f} g={generation} {} ",
            code.unwrap_or("info")
        );
        // Lines of one width (as many logs have), so that a file cut and written again may
        // have the size it had; else varying lengths, so sizes rarely line up.
        let pad = if self.uniform {
            UNIFORM_WIDTH.saturating_sub(start.len())
        } else {
            (id * 7 % 23) as usize
        };
        let text = format!("{start}{}", "x".repeat(pad));
        if let Some(code) = code {
            self.written.insert(text.clone(), id);
            self.lines.insert(
                id,
                Written {
                    file,
                    generation,
                    line,
                    code,
                    required: true,
                },
            );
        }
        text + "\n"
    }

    /// Lines for the current generation of `file` (its line count is advanced).
    fn lines_for(&mut self, file: usize, codes: &[bool]) -> String {
        let mut out = String::new();
        for &code in codes {
            let generation = self.files[file].generation;
            self.files[file].lines += 1;
            let line = self.files[file].lines;
            out += &self.make_line(file, generation, line, code);
        }
        out
    }

    fn all_records(&self) -> Vec<Value> {
        let mut all = self.past.clone();
        if let Some(follower) = &self.follower {
            all.extend(follower.records());
        }
        all
    }

    /// A failure with what was done so far.
    fn fail(&self, failure: String) -> TestCaseError {
        TestCaseError::fail(format!("{failure}\nops done:\n{}", self.log))
    }

    fn start(&mut self) -> Check {
        if self.follower.is_some() {
            return Ok(());
        }
        let mut args = vec!["--state", "follow.state", "--rotate-wait", "2s"];
        if self.no_watch {
            args.push("--no-watch");
        }
        if self.runs == 0 {
            args.push("--from-start");
        }
        args.extend(FILES);
        let mut follower = Follower::start(self.dir.path(), &args).with_deadline(deadline());
        if self.runs == 0 {
            // Without a state file, where reading starts is decided when a file is first
            // opened: let that happen before anything changes.
            for name in FILES {
                if let Err(failure) = follower.try_wait_begin(name) {
                    return Err(self.fail(failure));
                }
            }
        }
        self.runs += 1;
        for file in &mut self.files {
            file.seen_this_run = false;
        }
        self.follower = Some(follower);
        let _ = writeln!(self.log, "start (run {})", self.runs);
        Ok(())
    }

    fn stop(&mut self) -> Check {
        let Some(mut follower) = self.follower.take() else {
            return Ok(());
        };
        // A signal is only promised to be handled once following has begun (before that, the
        // default action of SIGTERM ends the process without a summary).
        for name in FILES {
            if let Err(failure) = follower.try_wait_begin(name) {
                return Err(self.fail(failure));
            }
        }
        let stopped = follower.stop();
        let _ = writeln!(self.log, "stop (SIGTERM)");
        self.past.extend(stopped.records.iter().cloned());
        let hits = self.past.iter().filter(|r| r["type"] == "hit").count() as u64;
        let summary = stopped.records.last().cloned().unwrap_or(Value::Null);
        prop_assert_eq!(
            &summary["type"],
            "summary",
            "the last record of a run is the summary\n{}\nstderr: {}",
            self.log,
            stopped.stderr
        );
        prop_assert_eq!(
            summary["hits"].as_u64(),
            Some(hits),
            "the summary counts every hit of every run so far (restored from --state)\n{}",
            self.log
        );
        prop_assert_eq!(
            stopped.code,
            Some(i32::from(hits > 0)),
            "exit status by the fail policy\n{}\nstderr: {}",
            self.log,
            stopped.stderr
        );
        Ok(())
    }

    /// Whether some hit of `generation` is in `records`.
    fn has_hit_of(records: &[Value], file: usize, generation: u64) -> bool {
        let tag = format!(" f={} g={generation} ", &FILES[file][..1]);
        records
            .iter()
            .any(|r| r["type"] == "hit" && text_has(r, &tag))
    }

    /// Before a rotation: makes sure cbscan has the current generation open (running) or in
    /// its state file (stopped). Returns false when the rotation must be skipped.
    fn ready_to_rotate(&mut self, file: usize) -> Result<bool, TestCaseError> {
        if self.follower.is_none() {
            return Ok(self.files[file].known);
        }
        if !self.files[file].seen_this_run {
            // A fresh line, not one an earlier run may already have reported: its hit proves
            // this run has the generation open.
            let anchor = self.lines_for(file, &[true]);
            write_to(&mut self.files[file].writer, anchor.as_bytes());
            let _ = writeln!(self.log, "  anchor line in {}", FILES[file]);
            let tag = anchor.trim_end_matches('\n').to_string();
            let follower = self.follower.as_mut().expect("running");
            let waited = follower.try_wait_for(&format!("the anchor line {tag:?}"), |r| {
                r.iter()
                    .any(|r| r["type"] == "hit" && r["text"] == tag.as_str())
            });
            if let Err(failure) = waited {
                return Err(self.fail(failure));
            }
            self.files[file].seen_this_run = true;
            self.files[file].known = true;
        }
        Ok(true)
    }

    /// Gives the name a fresh generation with `writer`; returns the old generation, its
    /// writer (for late writes) and its line count.
    fn next_generation_at(&mut self, file: usize, writer: File, lines: u64) -> (u64, File, u64) {
        let generation = self.new_generation();
        let followed = &mut self.files[file];
        let old_generation = followed.generation;
        let old_writer = std::mem::replace(&mut followed.writer, writer);
        let old_lines = followed.lines;
        followed.generation = generation;
        followed.lines = lines;
        followed.seen_this_run = false;
        followed.known = false;
        (old_generation, old_writer, old_lines)
    }

    /// A file deleted or replaced while stopped takes its unread lines with it.
    fn lose_unread(&mut self, file: usize, generation: u64) {
        if self.follower.is_some() {
            return;
        }
        let reported: Vec<u64> = self
            .past
            .iter()
            .filter(|r| r["type"] == "hit")
            .filter_map(|r| {
                r["text"]
                    .as_str()
                    .and_then(|t| self.written.get(t))
                    .copied()
            })
            .collect();
        for (id, line) in &mut self.lines {
            if line.file == file && line.generation == generation && !reported.contains(id) {
                line.required = false;
            }
        }
    }

    fn apply(&mut self, op: &Op) -> Check {
        let _ = writeln!(self.log, "{op:?}");
        match *op {
            Op::Append { file, ref lines } => {
                let text = self.lines_for(file, lines);
                write_to(&mut self.files[file].writer, text.as_bytes());
            }
            Op::Torn {
                file,
                ref cuts,
                pause_ms,
            } => {
                let text = self.lines_for(file, &[true]);
                let bytes = text.as_bytes();
                let mut at: Vec<usize> = cuts
                    .iter()
                    .map(|&c| (bytes.len() - 1) * usize::from(c) / 1000)
                    .filter(|&c| c > 0)
                    .collect();
                at.sort_unstable();
                at.dedup();
                let mut from = 0;
                for cut in at.into_iter().chain([bytes.len()]) {
                    write_to(&mut self.files[file].writer, &bytes[from..cut]);
                    from = cut;
                    if from < bytes.len() {
                        std::thread::sleep(Duration::from_millis(pause_ms));
                    }
                }
            }
            Op::TornRestart { file, cut } => {
                let text = self.lines_for(file, &[true]);
                let bytes = text.as_bytes();
                let at = ((bytes.len() - 1) * usize::from(cut) / 1000).max(1);
                write_to(&mut self.files[file].writer, &bytes[..at]);
                let running = self.follower.is_some();
                self.stop()?;
                write_to(&mut self.files[file].writer, &bytes[at..]);
                if running {
                    self.start()?;
                }
            }
            Op::RenameRotate {
                file,
                late_before,
                late_after,
                late_ms,
            } => {
                if !self.ready_to_rotate(file)? {
                    let _ = writeln!(self.log, "  skipped: generation unknown to cbscan");
                    return Ok(());
                }
                let name = self.files[file].name;
                self.files[file].rotations += 1;
                let rotated = format!("{name}.{}", self.files[file].rotations);
                fs::rename(self.path(name), self.path(&rotated)).expect("rotate");
                // Late lines: the writer still has the old file open.
                let text = self.lines_for(file, &vec![true; late_before]);
                write_to(&mut self.files[file].writer, text.as_bytes());
                let fresh = writer(&self.path(name));
                let (old_generation, mut old_writer, mut old_lines) =
                    self.next_generation_at(file, fresh, 0);
                if late_after > 0 {
                    std::thread::sleep(Duration::from_millis(late_ms));
                }
                let mut late = String::new();
                for _ in 0..late_after {
                    old_lines += 1;
                    late += &self.make_line(file, old_generation, old_lines, true);
                }
                write_to(&mut old_writer, late.as_bytes());
            }
            Op::CopyTruncate { file, rewrite } => {
                if !self.ready_to_rotate(file)? {
                    let _ = writeln!(self.log, "  skipped: generation unknown to cbscan");
                    return Ok(());
                }
                let name = self.files[file].name;
                self.files[file].rotations += 1;
                let copy = format!("{name}.{}", self.files[file].rotations);
                fs::copy(self.path(name), self.path(&copy)).expect("copy");
                self.files[file].writer.set_len(0).expect("truncate");
                // Same inode and writer, a new generation of lines.
                let same = self.files[file]
                    .writer
                    .try_clone()
                    .expect("duplicate the writer");
                self.next_generation_at(file, same, 0);
                // The writer goes on at once.
                let text = self.lines_for(file, &vec![true; rewrite]);
                write_to(&mut self.files[file].writer, text.as_bytes());
            }
            Op::DeleteRecreate { file, lines } => {
                if !self.ready_to_rotate(file)? {
                    let _ = writeln!(self.log, "  skipped: generation unknown to cbscan");
                    return Ok(());
                }
                let name = self.files[file].name;
                let generation = self.files[file].generation;
                self.lose_unread(file, generation);
                fs::remove_file(self.path(name)).expect("delete");
                let fresh = writer(&self.path(name));
                self.next_generation_at(file, fresh, 0);
                let text = self.lines_for(file, &vec![true; lines]);
                write_to(&mut self.files[file].writer, text.as_bytes());
            }
            Op::AtomicReplace { file, lines } => {
                if !self.ready_to_rotate(file)? {
                    let _ = writeln!(self.log, "  skipped: generation unknown to cbscan");
                    return Ok(());
                }
                let name = self.files[file].name;
                let generation = self.files[file].generation;
                self.lose_unread(file, generation);
                let tmp = self.path(&format!("new-{name}.tmp"));
                let next = self.next_generation + 1;
                let mut text = String::new();
                for line in 1..=lines as u64 {
                    text += &self.make_line(file, next, line, true);
                }
                fs::write(&tmp, &text).expect("write the replacement");
                fs::rename(&tmp, self.path(name)).expect("replace");
                let fresh = writer(&self.path(name));
                self.next_generation_at(file, fresh, lines as u64);
                assert_eq!(self.files[file].generation, next, "generation numbering");
            }
            Op::Stop => self.stop()?,
            Op::Start => self.start()?,
            Op::Pause { ms } => std::thread::sleep(Duration::from_millis(ms)),
        }
        // What the running follower printed so far tells which generations it has seen.
        if let Some(follower) = &self.follower {
            let this_run = follower.records();
            let records = self.all_records();
            for followed in &mut self.files {
                let file = FILES.iter().position(|f| *f == followed.name).unwrap_or(0);
                if Self::has_hit_of(&this_run, file, followed.generation) {
                    followed.seen_this_run = true;
                }
                if Self::has_hit_of(&records, file, followed.generation) {
                    followed.known = true;
                }
            }
        }
        Ok(())
    }

    /// Ids of the lines each hit record stands for, in output order; an error for a hit on
    /// text that was never written as a whole line.
    fn reported<'r>(&self, records: &'r [Value]) -> Result<Vec<(u64, &'r Value)>, String> {
        let mut out = Vec::new();
        for record in records.iter().filter(|r| r["type"] == "hit") {
            let text = record["text"].as_str().unwrap_or_default();
            match self.written.get(text) {
                Some(&id) => out.push((id, record)),
                None => return Err(format!("a hit on text never written as a line: {record}")),
            }
        }
        Ok(out)
    }

    /// Starts the follower if needed, waits for every required line, stops it, and checks.
    fn finish(&mut self) -> Check {
        self.start()?;
        let required: Vec<(u64, String)> = self
            .lines
            .iter()
            .filter(|(_, l)| l.required)
            .map(|(id, _)| (*id, format!("id={id:06} ")))
            .collect();
        let past = self.past.clone();
        let follower = self.follower.as_mut().expect("running");
        let waited = follower.try_wait_for("every required line", |records| {
            required.iter().all(|(_, tag)| {
                past.iter()
                    .chain(records)
                    .any(|r| r["type"] == "hit" && text_has(r, tag))
            })
        });
        if let Err(failure) = waited {
            let missing: Vec<&str> = required
                .iter()
                .filter(|(_, tag)| {
                    !self
                        .past
                        .iter()
                        .any(|r| r["type"] == "hit" && text_has(r, tag))
                })
                .map(|(_, tag)| tag.as_str())
                .collect();
            return Err(self.fail(format!(
                "{failure}\nnot reported by earlier runs: {missing:?}\nearlier runs:\n{}",
                one_per_line(&self.past)
            )));
        }
        self.stop()?;

        let records = self.past.clone();
        let reported = self
            .reported(&records)
            .map_err(|e| TestCaseError::fail(format!("{e}\nops:\n{}", self.log)))?;
        let mut count: BTreeMap<u64, usize> = BTreeMap::new();
        for (id, _) in &reported {
            *count.entry(*id).or_default() += 1;
        }
        for (id, line) in &self.lines {
            let n = count.get(id).copied().unwrap_or(0);
            let ok = if line.required { n == 1 } else { n <= 1 };
            prop_assert!(
                ok,
                "line id={:06} (file {}, generation {}, line {}, required {}) reported {} times\nops:\n{}\nhits:\n{}",
                id,
                FILES[line.file],
                line.generation,
                line.line,
                line.required,
                n,
                self.log,
                hit_list(&records)
            );
        }
        // Per generation, in the order written; each at its line number with its code.
        let mut last: HashMap<u64, u64> = HashMap::new();
        for (id, record) in &reported {
            let line = &self.lines[id];
            prop_assert_eq!(
                record["line"].as_u64(),
                Some(line.line),
                "line number of id={:06} (generation {})\nops:\n{}",
                id,
                line.generation,
                self.log
            );
            prop_assert_eq!(record["code"].as_str(), Some(line.code));
            if let Some(before) = last.insert(line.generation, *id) {
                prop_assert!(
                    before < *id,
                    "generation {}: id={:06} reported after id={:06}\nops:\n{}\nhits:\n{}",
                    line.generation,
                    id,
                    before,
                    self.log,
                    hit_list(&records)
                );
            }
        }
        Ok(())
    }
}

/// The hits' texts, one a line, for failure messages.
fn hit_list(records: &[Value]) -> String {
    records
        .iter()
        .filter(|r| r["type"] == "hit" || r["type"] == "notice")
        .map(|r| {
            if r["type"] == "hit" {
                format!("  hit line {} {}\n", r["line"], r["text"])
            } else {
                format!(
                    "  notice {} {} {}\n",
                    r["path"]["text"], r["kind"], r["message"]
                )
            }
        })
        .collect()
}

/// How long the model waits for any one record: shorter than the integration tests' so that a
/// failing case shrinks in reasonable time (`FOLLOW_MODEL_DEADLINE_SECS`).
fn deadline() -> Duration {
    let secs = std::env::var("FOLLOW_MODEL_DEADLINE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    Duration::from_secs(secs)
}

fn cases() -> u32 {
    std::env::var("FOLLOW_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
}

fn shrink_ms() -> u32 {
    std::env::var("FOLLOW_MODEL_SHRINK_SECS")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(60)
        .saturating_mul(1000)
}

/// Initial lines of each file, read with --from-start.
fn initial() -> impl Strategy<Value = Vec<Vec<bool>>> {
    prop::collection::vec(prop::collection::vec(any::<bool>(), 0..3), FILES.len())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_time: shrink_ms(),
        max_shrink_iters: 10_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_line_with_a_code_is_reported_exactly_once_in_order(
        no_watch in prop::bool::weighted(0.25),
        uniform in prop::bool::weighted(0.3),
        initial in initial(),
        ops in prop::collection::vec(op(), 1..20),
    ) {
        let mut model = Model::new(no_watch, uniform);
        let _ = writeln!(
            model.log,
            "no_watch: {no_watch}, uniform: {uniform}, initial lines: {initial:?}"
        );
        for (file, lines) in initial.iter().enumerate() {
            let text = model.lines_for(file, lines);
            write_to(&mut model.files[file].writer, text.as_bytes());
        }
        model.start()?;
        for op in &ops {
            model.apply(op)?;
        }
        model.finish()?;
    }
}

/// The model's own bookkeeping, without cbscan: generations and line numbers.
#[test]
fn the_model_numbers_lines_per_generation() {
    let mut model = Model::new(false, false);
    let text = model.lines_for(0, &[true, false, true]);
    assert_eq!(text.lines().count(), 3);
    let ids: Vec<u64> = model.lines.keys().copied().collect();
    assert_eq!(ids, [1, 3]);
    assert_eq!(model.lines[&3].line, 3);
    let fresh = writer(&model.path("x.log"));
    let (old, _, lines) = model.next_generation_at(0, fresh, 0);
    assert_eq!((old, lines), (1, 3));
    assert_eq!(model.files[0].generation, 3, "b.log holds generation 2");
}
