//! Report writers: they turn hits, errors and summaries into text and never search.
//!
//! - [`jsonl`]: one JSON object per line, the machine-readable public interface.
//! - [`human`]: what a person reads in a terminal, optionally coloured.
//!
//! Each writer is a [`crate::Sink`] for hits and errors, plus a `finish` method that writes
//! the summary once the scan is over.

pub mod escape;
pub mod human;
pub mod jsonl;

/// The note about generic codes on CloudBase's error-code page, verbatim.
pub const GENERIC_NOTE_ZH: &str = "DATABASE_REQUEST_FAILED、STORAGE_REQUEST_FAIL、FUNCTIONS_EXECUTE_FAIL 分别为通用的数据库、云存储请求错误、云函数请求错误,无特殊的语义,未来将细化出独立特征语义的错误码,请避免基于该错误码进行特殊逻辑判断。";
/// The same note in English.
pub const GENERIC_NOTE_EN: &str = "CloudBase's error-code page: DATABASE_REQUEST_FAILED, STORAGE_REQUEST_FAIL and FUNCTIONS_EXECUTE_FAIL are generic database, storage and function errors with no specific meaning; finer-grained codes will replace them, so do not build special logic on them.";
