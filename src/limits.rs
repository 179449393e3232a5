//! Every cap cbscan puts on itself, in one place, each with the reason for its value.
//!
//! A cap that is not here is a bug: each unbounded collection grows with some input, and some
//! input is always larger than the machine.

/// Most worker threads a scan (or a folder walk) uses. Asking for more gets this many:
/// `-j 100000` once built 100,000 threads and drove the load to 700; thousands of threads on
/// a few cores only add switching and memory.
pub const MAX_THREADS: usize = 256;

/// Most bytes of context an excerpt keeps on each side of a hit. Enough for the JSON object
/// or message a code sits in (CloudBase errors are one-line JSON of 100–300 bytes), small
/// enough that a megabyte-long minified line does not become a megabyte per hit.
pub const EXCERPT_RADIUS: usize = 256;

/// Most parameter and intermediate bytes (together) in an ANSI control sequence that still
/// counts as a boundary before a code (`ESC [ … K`). Real sequences use a handful (`38;5;196`,
/// `?25`); the bound keeps the look-behind, and so what a streamed window must keep before
/// itself, small and fixed.
pub const MAX_CSI_PARAMS: usize = 32;

/// Bytes of hit data (hits, their excerpt text, per-batch counts) that workers may have handed
/// on and the emitter has not yet given to the sink. This is what keeps memory flat when the
/// output is slower than the scan (a slow pipe, a terminal): workers wait instead of piling up
/// results. 16 MiB holds a few dozen full batches, enough to keep every worker busy while the
/// emitter drains in order; it does not grow with the thread count.
pub const IN_FLIGHT_BYTES: usize = 16 << 20;

/// The part of [`IN_FLIGHT_BYTES`] kept for the unit the emitter is waiting for. Workers ahead
/// of it share the rest; the current unit's worker only waits on its own batches, which the
/// emitter is draining, so it can always go on and the scan cannot deadlock.
pub const CURRENT_UNIT_BYTES: usize = IN_FLIGHT_BYTES / 4;

/// A worker hands a batch on once its hit data weighs this much, even in the middle of a read
/// block, so that what a worker holds before charging the budget stays small on dense input
/// (a line with 500 codes). With writers formatting on the workers, the formatted text counts
/// too, and a batch can pass this by its last hit's text and buffer growth (at most twice
/// this). Must stay well below [`CURRENT_UNIT_BYTES`].
pub const BATCH_BYTES: usize = 256 << 10;

/// Most emptied batches kept for reuse: enough to cover what the budget lets be in flight
/// ([`IN_FLIGHT_BYTES`] / [`BATCH_BYTES`]), so a steady scan allocates none.
pub const RECYCLED_BATCHES: usize = IN_FLIGHT_BYTES / BATCH_BYTES;

/// Size of one read when streaming (pipes, small files, chunks). 256 KiB amortises the
/// system call and fits a core's L2 cache with the matcher's tables.
pub const BLOCK_SIZE: usize = 256 << 10;

/// The matcher searches a window in slices of this size, so that counting a slice's newlines
/// right after searching it reads bytes still in the L2 cache instead of a second pass over
/// memory.
pub const SEARCH_SLICE: usize = 256 << 10;

/// Files at least this large are cut into chunks scanned in parallel; below it, the cost of
/// finding chunk starts and ordering results outweighs the gain.
pub const CHUNK_MIN: u64 = 4 << 20;

/// Target size of a chunk of a large file: large enough that per-chunk costs vanish, small
/// enough that two cores share a 20 MB file evenly. Tuned on a 2-core machine.
pub const CHUNK_SIZE: usize = 8 << 20;

/// The smallest chunk size the command line accepts (`--chunk-size`, a hidden flag for tests
/// and benchmarks). Chunk size 0 once planned one unit per byte: 1.1 GB of plan for a 20 MB
/// file. One page is the smallest chunk worth a positional read of its own.
pub const MIN_CHUNK_SIZE: usize = 4 << 10;

/// Most chunks one file is cut into, whatever the chunk size: the plan holds one small record
/// per chunk, so a terabyte file at the minimum chunk size must not plan a billion of them.
/// Past this count the chunks of that file grow instead.
pub const MAX_CHUNKS_PER_FILE: u64 = 1 << 16;

/// Small files are scanned in runs of up to this many bytes ...
pub const RUN_BYTES: u64 = 1 << 20;
/// ... or this many files: a folder of thousands of logs otherwise spends more time waking
/// threads than scanning.
pub const RUN_FILES: usize = 256;

/// The largest zstd window accepted, as a power of two: 2^25 bytes = 32 MiB.
///
/// A zstd frame states how much history the decoder must keep, and the decoder allocates that
/// much; without a cap an archive could ask for up to 2 GiB (per input, and several inputs are
/// decoded at once). 2^25 covers every level `zstd` uses without `--long`/`--ultra` (level 19,
/// the highest, uses 2^23), and `--ultra -20`; it stays below libzstd's own default limit of
/// 2^27, so the error for bigger windows is ours to word. A frame is only given the window it
/// declares, so ordinary archives use far less (level 3: 2 MiB). Archives made with `--long`
/// (2^27) or `--ultra -21`/`-22` are refused with a message saying to decompress them first
/// with `zstd -d --long=31`.
pub const ZSTD_WINDOW_LOG_MAX: u32 = 25;

/// Places of each code in each input kept for the end-of-scan formats: JUnit lists them in a
/// failure, Markdown shows the first, GitHub names the first. Enough to go and look; the
/// counts say how many more there are.
pub const FIRST_SPOTS: usize = 20;

/// Hits a one-result-per-hit report (SARIF, GitLab Code Quality) lists: GitHub's code scanning
/// ingests at most 25,000 results per run and drops the rest, so more would only be lost
/// where it is read most; it also bounds the memory those reports keep.
pub const MAX_RESULTS: usize = 25_000;

/// Bytes of a followed file's start fingerprinted to tell it from another file that got its
/// inode: a kilobyte holds a few log lines with their timestamps, which differ from one file to
/// the next, and costs one small read when a file is checked.
pub const HEAD_BYTES: usize = 1024;

/// Most bytes read from one followed file before the others get their turn: a file appended at
/// full speed must not keep the others' hits waiting (at about 1 GB/s, this is a few
/// milliseconds).
pub const FOLLOW_SLICE: u64 = 8 << 20;

/// How often `follow --state` saves where it stands while files keep changing (and at exit):
/// what a crash can make it read again is at most this much of the logs' growth.
pub const STATE_SAVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Size of one read of a followed file, and of each followed file's line buffer: a log grows by
/// lines, not megabytes, between two looks, and a follow of hundreds of files keeps one buffer
/// per file (a longer line is still scanned whole, in bounded memory, as any line is).
pub const FOLLOW_BLOCK_SIZE: usize = 64 << 10;

/// Size of one read from a child's pipe (`cbscan run`) or a live standard input. A pipe holds
/// 64 KiB on Linux, so a read rarely returns more; each read is passed through and scanned at
/// once, so a larger buffer would only cost memory.
pub const STREAM_READ: usize = 64 << 10;

/// Reads of a child's pipes or a live standard input waiting to be scanned. When the scan
/// falls behind, the readers wait (and so does the writer, as in any pipeline) instead of
/// piling up the stream in memory: at most this many times [`STREAM_READ`], 1 MiB.
pub const STREAM_READS_IN_FLIGHT: usize = 16;

/// How long `follow` waits after a filesystem event for the others of the same burst before it
/// looks: a writer logging 50,000 lines a second makes thousands of events, and one look per
/// event spent ten times the CPU of polling (the hand-off between threads, a `stat` and a read
/// of the file's first bytes each). Far below what a person notices, and below the 50 ms a hit
/// may take to show.
pub const WAKE_COALESCE: std::time::Duration = std::time::Duration::from_millis(5);

/// Most bytes `follow` reads at start to count the lines before the end of a file it follows
/// from its end, so that hits carry the file's own line numbers: a quarter of a second from the
/// page cache, a few seconds from a slow disk. Past it, following starts at once, as `tail -F`
/// does, and line numbers count from where it started (a notice says so).
pub const FOLLOW_COUNT_MAX: u64 = 256 << 20;

// --- Fields of a hit (time and request id; `fields`, `scan::event`) ---

/// Bytes of a line the field extractor reads: timestamps and request ids sit at a line's
/// start or in its first JSON keys, and a hit line of a megabyte must not cost a megabyte of
/// regex work. The same prefix is read whatever the chunking, so fields are deterministic.
pub const FIELD_LINE_BYTES: usize = 2048;

/// How far back (bytes before a hit's line) the scanner looks for the line a timestamp or an
/// SCF `START RequestId:` frame is inherited from. A Java or Node stack trace is a few KiB; an
/// SCF invocation logging more than 64 KiB between its START and a hit is rare, and a hit that
/// far from any timestamp is better shown without one than with a stale one. The line scanner
/// keeps up to this much already-scanned text (and a chunk pre-reads it), so inheritance is
/// exact and bounded.
pub const FIELD_LOOKBACK: usize = 64 << 10;

/// Compiled-size cap of each field pattern (`RegexBuilder::size_limit`, and its lazy DFA's
/// cache): the patterns are fixed and need far less; the cap documents the bound.
pub const FIELD_REGEX_SIZE: usize = 1 << 20;

/// Longest request id kept: UUIDs are 36 characters and CloudBase's ids about 30; anything
/// longer after `requestId` is a token or a blob, not an id.
pub const MAX_REQUEST_ID: usize = 96;

// --- Diagnosis: grouping hits by request (src/diagnosis.rs) ---

/// Request groups kept open at once while hits are grouped. Requests interleave (a busy
/// function serves hundreds at a time) but one rarely logs again after thousands of others
/// have. An open group costs about 0.6 KB, so 16,384 stay under 10 MB; the one idle longest
/// is closed early (and counted) when a new request needs room. Sixteen thousand requests
/// logged after a request's last line is far past the end of any function invocation: on the
/// 1 GiB realistic bench log (154,958 request groups) this cap and one of 65,536 give the same
/// groups and counts, and the peak memory of `--format jsonl` drops from 66 MB to 35 MB.
pub const MAX_OPEN_REQUESTS: usize = 16_384;

/// Requests `--by-request` keeps, most affected first: more than anyone reads, few enough that
/// the listing of a scan of millions of requests stays small (the rest are counted).
pub const MAX_REQUESTS_LISTED: usize = 1_000;

/// Hits listed per request by `--by-request` (the rest are counted): a request's first hits
/// show where it went wrong; a retry loop printing the same code a thousand times adds nothing.
pub const REQUEST_HITS_LISTED: usize = 20;
// --- precision: shared names and codes not in the catalog ---

/// Bytes of a hit's line, before its start and after its end, searched for CloudBase context
/// when the hit is of a shared name. The excerpt's radius: the line scanner guarantees to
/// hold that much around every hit, so the decision never depends on how the input was cut.
pub const CONTEXT_RADIUS: usize = EXCERPT_RADIUS;

/// Digits a numeric alias needs to count as CloudBase context for a shared name. CloudBase's
/// numbers have six (`-501023`); a short one (`-1`, `404`) is printed by anything.
pub const MIN_CONTEXT_DIGITS: usize = 5;

/// Most distinct codes not in the catalog a summary keeps (the alphabetically first; the
/// occurrences of the rest are counted as overflow). A new code is a handful of names; a log
/// that prints thousands of code-shaped tokens in code positions is not telling us about
/// CloudBase, and the summary must stay small.
pub const MAX_UNKNOWN_CODES: usize = 256;

/// Most bytes after an anchor (`code`, `:fail`, `[`) that deciding a code position reads:
/// `"code" : "` and a token of 100 bytes fit. Well below what the line scanner holds after a
/// window (`EXCERPT_RADIUS` and more), so the decision never depends on where a window ends.
pub const MAX_UNKNOWN_SPAN: usize = 128;

/// Bytes before `error-code` searched for `cloudbase.net/` in a documentation link: the
/// longest host and path prefix (`https://docs.cloudbase.net/en/`) with room to spare.
pub const UNKNOWN_LOOK_BEHIND: usize = 64;

/// Bytes after a code not in the catalog searched for CloudBase context (before it: the full
/// [`CONTEXT_RADIUS`]). Its position may end [`MAX_UNKNOWN_SPAN`] (and up to 5 bytes of its anchor, `:fail`) past
/// the region scanned, and the line scanner holds [`EXCERPT_RADIUS`] past that region: what
/// remains is always held, so the decision never depends on how the input was cut.
pub const UNKNOWN_CONTEXT_AFTER: usize = EXCERPT_RADIUS - MAX_UNKNOWN_SPAN - 8;

/// Bytes of the line kept on each side of the first occurrence of a code not in the catalog,
/// to show where it was. With [`MAX_UNKNOWN_SPAN`] this stays inside what the scanner holds.
pub const UNKNOWN_TEXT_RADIUS: usize = 96;

/// `cbscan report` hands saved hits to the writers in batches of at most this much hit data
/// (as [`BATCH_BYTES`] for a scan): what it holds of a saved file at a time, whatever the
/// file's size.
pub const REPLAY_BATCH_BYTES: usize = 256 << 10;

/// Longest JSON-lines record `cbscan report` reads. A hit record holds an excerpt of at most
/// twice [`EXCERPT_RADIUS`] bytes, escaped (six bytes per byte at worst) and in base64 too, and
/// a `summary` record one entry per code and [`MAX_UNKNOWN_CODES`] unknown codes: a few hundred
/// kilobytes at most. A longer line is not cbscan's output, and is skipped rather than held.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// Most buckets a summary's timeline spans, first to last (empty ones included): past it the
/// grid widens to the next step of its ladder. 1,500 keeps a whole day of logs at one-minute
/// buckets (a day touches at most 1,441 of them) and at most this many cells per category,
/// small enough to keep one per input and to merge per input. It must stay above the ~1,020
/// buckets the widest step needs for every time a timestamp can hold (checked where the
/// ladder is defined).
pub const MAX_TIMELINE_BUCKETS: usize = 1_500;

// --- the HTML report (src/report/html.rs) ---

/// Hits of each code whose place, time, request and text the HTML report shows: the first
/// few say where to look; more would make a page of one code. Only these are copied during a
/// scan, so the report's memory is bounded by the catalog, not by the hits.
pub const HTML_SAMPLES_PER_CODE: usize = 5;

/// Most bars the HTML timeline draws: about one per 6 pixels of a laptop-wide chart, so each
/// stays visible and clickable; a finer summary timeline is coarsened to fit.
pub const HTML_TIMELINE_BUCKETS: usize = 120;

/// Rows the HTML report's input and request tables list (the rest are counted): a page of a
/// scan of thousands of logs must still open quickly in a browser and on a phone.
pub const HTML_ROWS_LISTED: usize = 200;

/// Most problems `report` tells per saved file, after which one line says how many more there
/// were. A log given to `report` by mistake told one error per line (40,003 lines on stderr
/// for one file); the first 20 show what is wrong, and the exit status counts them all.
pub const MAX_PROBLEMS_PER_FILE: usize = 20;

/// Most characters of a line quoted in a problem (what a file that is not JSON lines starts
/// with): enough to recognise a log line by its time and level, short of one terminal line.
pub const PROBLEM_EXCERPT_CHARS: usize = 60;
