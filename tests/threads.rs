//! The thread cap holds: asking for 100,000 threads on input cut into thousands of units uses
//! at most `MAX_THREADS` workers. (Its own test binary, so that the threads counted are the
//! scan's, not other tests'.)

use std::io;

use cbscan::catalog::Catalog;
use cbscan::limits::MAX_THREADS;
use cbscan::scan::{ScanOptions, Scanner};
use cbscan::sink::{Hits, InputEnd, InputInfo, Sink};

/// Threads of this process now.
fn threads_now() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |tasks| tasks.count())
}

struct CountThreads {
    hits: u64,
    most: usize,
}

impl Sink for CountThreads {
    fn hits(&mut self, _input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        for _ in hits.iter() {
            if self.hits.is_multiple_of(100) {
                self.most = self.most.max(threads_now());
            }
            self.hits += 1;
        }
        Ok(())
    }
    fn end_input(&mut self, _input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
        match end.error {
            Some(error) => Err(io::Error::other(error.to_string())),
            None => Ok(()),
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn absurd_thread_counts_are_capped() {
    let catalog = Catalog::builtin().expect("built-in catalog parses");
    // 3,000 lines cut into 32-byte chunks: about 3,000 units, so without the cap there would
    // be one thread per unit.
    let data = b"x DATABASE_TIMEOUT y\n".repeat(3000);
    let options = ScanOptions {
        threads: 100_000,
        chunk_min: 0,
        chunk_size: 32,
        ..ScanOptions::default()
    };
    let scanner = Scanner::for_catalog(&catalog, options);
    let before = threads_now();
    assert!(before > 0, "/proc/self/task lists this process's threads");
    let mut sink = CountThreads { hits: 0, most: 0 };
    let source = cbscan::input::Source::Bytes {
        name: "units.log".into(),
        data: std::sync::Arc::new(data),
    };
    let summary = scanner
        .scan(vec![source], &mut sink)
        .into_result()
        .expect("memory reads");
    assert_eq!((summary.hits(), sink.hits), (3000, 3000));
    assert!(
        sink.most <= before + MAX_THREADS,
        "{} threads while scanning (cap {MAX_THREADS}, {before} before)",
        sink.most
    );
}
