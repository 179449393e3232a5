//! Memory stays bounded when the output is slower than the scan: a counting allocator
//! measures the heap while a slow sink receives a dense scan. (Its own test binary, so no
//! other test allocates meanwhile.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cbscan::catalog::Catalog;
use cbscan::input::Source;
use cbscan::scan::{ScanOptions, Scanner};
use cbscan::sink::{Hits, InputEnd, InputInfo, Sink};

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let grown = new_size - layout.size();
            let live = LIVE.fetch_add(grown, Ordering::Relaxed) + grown;
            PEAK.fetch_max(live, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A sink that takes a millisecond per 1,000 hits: far slower than the scan.
struct Slow(u64);

impl Sink for Slow {
    fn hits(&mut self, _input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        for _ in hits.iter() {
            self.0 += 1;
            if self.0.is_multiple_of(1000) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
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

#[test]
fn hits_held_for_a_slow_sink_stay_within_the_budget() {
    let catalog = Catalog::builtin().expect("built-in catalog parses");
    // 16 MiB, two hits on every line: about 1.2 million hits.
    let data = Arc::new(b"x SYS_ERR DATABASE_TIMEOUT y\n".repeat(580_000));
    let budget = 2 << 20;
    let threads = 4;
    let options = ScanOptions {
        threads,
        chunk_min: 1 << 20,
        chunk_size: 1 << 20,
        in_flight_bytes: budget,
        ..ScanOptions::default()
    };
    let scanner = Scanner::for_catalog(&catalog, options);
    let source = Source::Bytes {
        name: "dense.log".into(),
        data: Arc::clone(&data),
    };
    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let mut sink = Slow(0);
    let summary = scanner
        .scan(vec![source], &mut sink)
        .into_result()
        .expect("memory reads");
    let extra = PEAK.load(Ordering::Relaxed) - baseline;
    assert_eq!((summary.hits(), sink.0), (1_160_000, 1_160_000));
    // Besides the budget, each worker holds a read buffer (a block and some context) and one
    // batch being filled; the rest is small change.
    let per_worker = cbscan::limits::BLOCK_SIZE + 4096 + cbscan::limits::BATCH_BYTES + 64 * 1024;
    let allowed = budget + threads * per_worker + (1 << 20);
    assert!(
        extra <= allowed,
        "peak heap {} KiB above the baseline, allowed {} KiB",
        extra >> 10,
        allowed >> 10
    );
}
