//! cbscan: find Tencent CloudBase (云开发) error codes in logs, say what each means, count them.
//!
//! The library is the engine; the `cbscan` binary only parses arguments and picks writers.
//! Data flows one way, as in ripgrep's searcher/printer split:
//!
//! ```text
//! Catalog ──► Matcher ──► Scanner (inputs ──► units ──► LineScanner ──► batches, in order) ──► Sink (report writers)
//! ```
//!
//! - [`catalog`]: the embedded catalog of codes, plus user catalogs.
//! - [`matcher`]: the exact matching semantics and the engines implementing them.
//! - [`input`]: turning paths into inputs (folders walked, globs), and the one opener (files
//!   read at offsets or as streams, stdin, any reader, gzip and zstd decoded).
//! - [`scan`]: the [`Scanner`]: the resumable line scanner every input runs on, cutting large
//!   files into chunks at line starts, scanning them in parallel under a byte budget, putting
//!   results back in order.
//! - [`limits`]: every cap, with its reason.
//! - [`summary`]: counts that merge exactly, whatever order the parts arrive in.
//! - [`report`]: writers turning hits and summaries into text (human, JSON lines).
//!
//! The scanner never formats anything and the writers never search.

pub mod advice;
pub mod catalog;
pub mod error;
pub mod input;
pub mod limits;
pub mod matcher;
pub mod policy;
pub mod report;
pub mod scan;
pub mod sink;
pub mod summary;
pub mod text;

pub use catalog::{Catalog, CodeEntry, CodeId};
pub use error::{Error, Result};
pub use matcher::{EngineChoice, Matcher, WordFinder};
pub use scan::{Hit, ScanOptions, Scanner};
pub use sink::Sink;
pub use summary::Summary;
