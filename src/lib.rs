//! cbscan: find Tencent CloudBase (云开发) error codes in logs, say what each means, count them.
//!
//! The library is the engine; the `cbscan` binary only parses arguments, resolves them and
//! picks reports. Data flows one way, as in ripgrep's searcher/printer split:
//!
//! ```text
//! Catalog ──► Matcher ──► Scanner (inputs ──► units ──► LineScanner ──► batches, in order)
//!     ──► Sink events (begin_input, hits, notice, end_input, finish) ──► Tee ──► reports
//! ```
//!
//! - [`catalog`]: the embedded catalog of codes, plus user catalogs.
//! - [`matcher`]: the exact matching semantics and the engines implementing them.
//! - [`input`]: turning paths into inputs (folders walked, globs), and the one opener (files
//!   read at offsets or as streams, stdin, any reader, gzip and zstd decoded).
//! - [`scan`]: the [`Scanner`]: the resumable line scanner every input runs on, cutting large
//!   files into chunks at line starts, scanning them in parallel under a byte budget, putting
//!   results back in order.
//! - [`sink`]: the contract between a scan and its outputs: the events, [`sink::Report`],
//!   [`sink::Tee`], and formatting on the workers.
//! - [`follow`]: live inputs: files followed by name with `tail -F` semantics (rotation,
//!   truncation, checkpoints), a command's output, bytes scanned as they arrive.
//! - [`summary`]: counts that merge exactly, whatever order the parts arrive in, and their
//!   serialised form (read back from JSON lines).
//! - [`policy`]: filters and `--fail-on` resolved against a catalog; the verdict.
//! - [`diagnosis`]: hits grouped by request (or multi-line event), and what each generic code
//!   was hiding in those groups; the most affected requests (`--by-request`).
//! - [`advice`]: which generic codes were seen, with the specific codes in their groups; the
//!   explanation of a code.
//! - [`baseline`]: the codes an earlier scan found, for failing only on what is new.
//! - [`report`]: writers (human, JSON lines, JSON, counts) and the text escapers; saved JSON
//!   lines played back into them (`cbscan report`).
//! - [`fields`]: the time and request id a log line carries.
//! - [`limits`]: every cap, with its reason.
//!
//! The scanner never formats anything (writers may hand it a formatter to run on its
//! workers), and the writers never search.

pub mod advice;
pub mod baseline;
pub mod catalog;
pub mod diagnosis;
pub mod error;
pub mod fields;
pub mod follow;
pub mod input;
pub mod limits;
pub mod matcher;
pub mod policy;
pub mod report;
pub mod scan;
pub mod sink;
pub mod summary;
pub mod text;
pub mod unknown;

pub use catalog::{Catalog, CodeEntry, CodeId};
pub use error::{Error, Result};
pub use matcher::{EngineChoice, Matcher, WordFinder};
pub use scan::{Hit, ScanOptions, Scanner};
pub use sink::Sink;
pub use summary::Summary;
