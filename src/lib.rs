//! cbscan: find Tencent CloudBase (云开发) error codes in logs, say what each means, count them.
//!
//! The library is the engine; the `cbscan` binary only parses arguments and picks writers.
//! Data flows one way, as in ripgrep's searcher/printer split:
//!
//! ```text
//! Catalog ──► Matcher ──► scanner (files, chunks, streams) ──► Hit / Summary ──► Sink (report writers)
//! ```
//!
//! - [`catalog`]: the embedded catalog of codes, plus user catalogs.
//! - [`matcher`]: the exact matching semantics and the engines implementing them.
//! - [`scanner`]: reading inputs (positional reads, blocks, stdin), cutting large files into chunks
//!   at line starts, scanning them in parallel, putting results back in order.
//! - [`summary`]: counts that merge exactly, whatever order the parts arrive in.
//! - [`report`]: writers turning hits and summaries into text (human, JSON lines).
//!
//! The scanner never formats anything and the writers never search.

pub mod catalog;
pub mod error;
pub mod input;
pub mod matcher;
pub mod report;
pub mod scanner;
pub mod summary;
pub mod text;

pub use catalog::{Catalog, CodeEntry, CodeId};
pub use error::{Error, Result};
pub use matcher::{EngineChoice, Matcher, WordFinder};
pub use scanner::{Hit, ScanOptions, Sink};
pub use summary::Summary;
