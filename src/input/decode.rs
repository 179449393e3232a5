//! Decompressing logs while they are read: gzip (multi-member) and zstd, recognised by their
//! magic bytes. (Stub: pass-through until the decoder lands.)

use std::io::{self, Read};

/// What a stream turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Not compressed.
    Plain,
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
}

/// What `prefix` says a stream is.
pub fn sniff(_prefix: &[u8]) -> Encoding {
    Encoding::Plain
}

/// A reader of the decoded content of `reader`.
pub fn open_decoded<'a>(
    reader: Box<dyn Read + Send + 'a>,
    _decompress: bool,
) -> io::Result<(Encoding, Box<dyn Read + Send + 'a>)> {
    Ok((Encoding::Plain, reader))
}
