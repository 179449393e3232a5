//! Decompressing logs while they are read: gzip (multi-member) and zstd, recognised by their
//! magic bytes.
