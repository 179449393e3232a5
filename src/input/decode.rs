//! Decompressing logs while they are read: gzip (multi-member) and zstd, recognised by their
//! magic bytes.
//!
//! Rotated logs arrive as `app.log.1.gz`, `app.log.2.zst`, or piped through `cat` with no name
//! at all, so the encoding is read from the first bytes of the stream, never from a file name.
//! [`open_decoded`] sniffs those bytes and hands back a reader of the decoded text; [`sniff`]
//! answers the same question for a prefix already in memory (a file that starts a compressed
//! stream cannot be cut into chunks and scanned in parallel).
//!
//! Everything streams: the decoders pull the input through fixed buffers, so memory does not
//! grow with the size of the file. The one thing an archive could make large is zstd's window
//! (the history a frame may refer back into), which the frame header chooses; it is capped by
//! [`ZSTD_WINDOW_LOG_MAX`]. gzip's window is 32 KiB by definition.
//!
//! Damaged archives end in an error, never in a silent early end: a truncated log would
//! otherwise look like a log with no more errors in it. Everything decoded before the damage
//! has been returned by earlier `read` calls by then, so the hits found in it are kept.
//!
//! Errors that come from decoding name the encoding (`gzip: data is truncated`); errors of the
//! underlying reader (a failing disk, a closed pipe) come back unchanged. The caller adds the
//! input's name.

use std::error::Error as StdError;
use std::fmt;
use std::io::{self, BufReader, Chain, Cursor, ErrorKind, Read};

use flate2::read::MultiGzDecoder;

/// What a stream turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Not a compressed stream we know: read as it is.
    Plain,
    /// gzip, possibly several members one after the other (what `logrotate` and `cat a.gz b.gz`
    /// produce).
    Gzip,
    /// zstd, possibly several frames, including skippable ones.
    Zstd,
}

pub use crate::limits::ZSTD_WINDOW_LOG_MAX;

/// The gzip magic: ID1 ID2 of RFC 1952.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The zstd frame magic 0xFD2FB528, little-endian (RFC 8878, section 3.1.1).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The magic of a zstd skippable frame, 0x184D2A5?, little-endian: any value of the low nibble
/// of the first byte. `pzstd` and the seekable format start their files with one, and
/// libzstd's decoder skips them, so such a file is zstd too.
const ZSTD_SKIPPABLE_MAGIC: [u8; 4] = [0x50, 0x2a, 0x4d, 0x18];

/// The longest magic: the most bytes sniffing ever needs.
const SNIFF_LEN: usize = 4;

/// How far `prefix` agrees with one magic.
#[derive(Debug, PartialEq, Eq)]
enum MagicMatch {
    /// `prefix` starts with the whole magic.
    Full,
    /// `prefix` is shorter than the magic and agrees with it so far: more bytes will tell.
    Partial,
    /// `prefix` differs from the magic.
    No,
}

/// Compares `prefix` with `magic`; bytes where `mask` is 0 are not compared.
fn match_magic(prefix: &[u8], magic: &[u8], mask: &[u8]) -> MagicMatch {
    let agrees = prefix
        .iter()
        .zip(magic.iter().zip(mask))
        .all(|(byte, (want, mask))| byte & mask == want & mask);
    if !agrees {
        MagicMatch::No
    } else if prefix.len() >= magic.len() {
        MagicMatch::Full
    } else {
        MagicMatch::Partial
    }
}

/// The magics we recognise, each with its comparison mask and the encoding it means.
const MAGICS: [(&[u8], &[u8], Encoding); 3] = [
    (&GZIP_MAGIC, &[0xff, 0xff], Encoding::Gzip),
    (&ZSTD_MAGIC, &[0xff, 0xff, 0xff, 0xff], Encoding::Zstd),
    (
        &ZSTD_SKIPPABLE_MAGIC,
        &[0xf0, 0xff, 0xff, 0xff],
        Encoding::Zstd,
    ),
];

/// Whether `prefix` (the first bytes of a file) starts a compressed stream (used to decide that
/// a large file cannot be cut into chunks).
///
/// A prefix too short to hold a whole magic is `Plain`: a 1-byte file holding `(` is text.
pub fn sniff(prefix: &[u8]) -> Encoding {
    MAGICS
        .iter()
        .find(|(magic, mask, _)| match_magic(prefix, magic, mask) == MagicMatch::Full)
        .map_or(Encoding::Plain, |&(_, _, encoding)| encoding)
}

/// Whether `prefix` could still become a magic with more bytes. The magics are not prefixes of
/// one another, so a prefix that already is one magic is never still partial for another.
fn needs_more(prefix: &[u8]) -> bool {
    MAGICS
        .iter()
        .any(|(magic, mask, _)| match_magic(prefix, magic, mask) == MagicMatch::Partial)
}

/// Reads the first bytes of `reader` to recognise its encoding, and returns a reader of the
/// decoded content (plain input is passed through, including the sniffed bytes).
///
/// On a live stream (a pipe) this reads no more than it must: it stops after the first `read`
/// as soon as what arrived can no longer be the start of a magic (`ok\n`), and only waits for
/// more while it still can (a lone `(` might be the first byte of zstd's `28 b5 2f fd`).
///
/// With `decompress == false` nothing is read and the reader is returned as it is, as `Plain`.
///
/// An error here is an error of `reader` itself; decoding errors come from the returned
/// reader's `read`.
pub fn open_decoded<'a>(
    mut reader: Box<dyn Read + Send + 'a>,
    decompress: bool,
) -> io::Result<(Encoding, Box<dyn Read + Send + 'a>)> {
    if !decompress {
        return Ok((Encoding::Plain, reader));
    }
    let mut head = [0u8; SNIFF_LEN];
    let mut filled = 0;
    while filled < SNIFF_LEN && needs_more(&head[..filled]) {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let encoding = sniff(&head[..filled]);
    // The sniffed bytes are given back in front of the rest, to the decoder or to the caller.
    let replay = Cursor::new(head[..filled].to_vec()).chain(reader);
    let decoded: Box<dyn Read + Send + 'a> = match encoding {
        Encoding::Plain => return Ok((Encoding::Plain, Box::new(replay))),
        Encoding::Gzip => {
            let decoder = MultiGzDecoder::new(MarkSourceErrors(replay));
            let had_header = decoder.header().is_some();
            Box::new(Decoded {
                inner: Inner::Gzip {
                    decoder,
                    had_header,
                },
                failed: None,
            })
        }
        Encoding::Zstd => {
            // Neither call reads input; they fail only if libzstd cannot allocate or set up.
            let mut decoder = zstd::stream::read::Decoder::new(MarkSourceErrors(replay))
                .map_err(|e| io::Error::new(e.kind(), format!("zstd: {e}")))?;
            decoder
                .window_log_max(ZSTD_WINDOW_LOG_MAX)
                .map_err(|e| io::Error::new(e.kind(), format!("zstd: {e}")))?;
            Box::new(Decoded {
                inner: Inner::Zstd(decoder),
                failed: None,
            })
        }
    };
    Ok((encoding, decoded))
}

/// The input as the decoders see it: the sniffed bytes, then the rest of the reader.
type Replay<'a> = Chain<Cursor<Vec<u8>>, Box<dyn Read + Send + 'a>>;

/// An error of the underlying reader, wrapped so that it can be told apart from a decoding
/// error once it comes out of a decoder (both decoders pass such errors through untouched).
#[derive(Debug)]
struct SourceError(io::Error);

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl StdError for SourceError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.0)
    }
}

/// Wraps the errors of the reader below the decoders in [`SourceError`].
///
/// `Interrupted` is left alone: the decoders retry it themselves or pass it up for the caller
/// to retry, and it must keep meaning "try again".
struct MarkSourceErrors<R>(R);

impl<R: Read> Read for MarkSourceErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            if e.kind() == ErrorKind::Interrupted {
                e
            } else {
                io::Error::new(e.kind(), SourceError(e))
            }
        })
    }
}

/// The decoder behind a compressed stream.
enum Inner<'a> {
    Gzip {
        decoder: MultiGzDecoder<MarkSourceErrors<Replay<'a>>>,
        /// Whether a member's header has been read: a later header that fails to parse is then
        /// something appended after a complete member.
        had_header: bool,
    },
    Zstd(zstd::stream::read::Decoder<'static, BufReader<MarkSourceErrors<Replay<'a>>>>),
}

/// A reader of decoded content that turns decoding errors into messages naming the encoding.
struct Decoded<'a> {
    inner: Inner<'a>,
    /// The decoding error already reported. A decoder that failed is left in no defined state,
    /// so every later `read` repeats the error instead of asking it again.
    failed: Option<(ErrorKind, String)>,
}

impl Read for Decoded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, message)) = &self.failed {
            return Err(io::Error::new(*kind, message.clone()));
        }
        let (result, gzip_place) = match &mut self.inner {
            Inner::Gzip {
                decoder,
                had_header,
            } => {
                let result = decoder.read(buf);
                // Between members the decoder is parsing a header and has none to show.
                let place = match (*had_header, decoder.header().is_some()) {
                    (false, false) => GzipPlace::FirstHeader,
                    (true, false) => GzipPlace::LaterHeader,
                    (_, true) => GzipPlace::Member,
                };
                *had_header |= decoder.header().is_some();
                (result, place)
            }
            Inner::Zstd(decoder) => (decoder.read(buf), GzipPlace::Member),
        };
        let error = match result {
            Ok(n) => return Ok(n),
            Err(error) => error,
        };
        let error = match error.downcast::<SourceError>() {
            Ok(source) => return Err(source.0),
            Err(error) if error.kind() == ErrorKind::Interrupted => return Err(error),
            Err(error) => error,
        };
        let (kind, message) = match self.inner {
            Inner::Gzip { .. } => describe_gzip_error(&error, gzip_place),
            Inner::Zstd(_) => describe_zstd_error(&error),
        };
        self.failed = Some((kind, message.clone()));
        Err(io::Error::new(kind, message))
    }
}

/// Where in a gzip stream the decoder was when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GzipPlace {
    /// In the first member's header: nothing has shown that this is gzip beyond its first
    /// two bytes.
    FirstHeader,
    /// Inside a member whose header was read.
    Member,
    /// In the header of a member after a complete one.
    LaterHeader,
}

/// Said of a stream that failed in its first gzip header: a text file can start with the
/// two magic bytes by chance, and its hits would otherwise be lost to the error.
const NOT_GZIP_HINT: &str = "(if it is not gzip, scan it with --no-decompress)";

/// The message for a gzip decoding error.
///
/// flate2 reports every kind of truncation (inside a header, the deflate data or the trailer)
/// as `UnexpectedEof`, and a bad checksum, bad deflate data or a bad header as `InvalidInput`.
///
/// After a complete member, `MultiGzDecoder` reads whatever follows as the next member's
/// header. gzip(1) decompresses such a file and warns "trailing garbage ignored" (exit status
/// 2); here it is an error, reported after all of the complete members' content, so nothing
/// is lost and the file is still flagged. The header is only checked once 10 bytes are in,
/// so a short tail (a stray newline) reads as the end of a truncated member; the message says
/// it could be either.
///
/// An error in the first header may mean the input was never gzip: the message says how to
/// read it as it is.
fn describe_gzip_error(error: &io::Error, place: GzipPlace) -> (ErrorKind, String) {
    let (kind, message) = match (error.kind(), place) {
        (ErrorKind::UnexpectedEof, GzipPlace::LaterHeader) => (
            ErrorKind::UnexpectedEof,
            "gzip: data is truncated, or has trailing garbage after the last member".into(),
        ),
        (ErrorKind::UnexpectedEof, _) => {
            (ErrorKind::UnexpectedEof, "gzip: data is truncated".into())
        }
        (_, GzipPlace::LaterHeader) => (
            ErrorKind::InvalidData,
            format!("gzip: trailing garbage after the last member ({error})"),
        ),
        (_, _) => (
            ErrorKind::InvalidData,
            format!("gzip: data is corrupt: {error}"),
        ),
    };
    if place == GzipPlace::FirstHeader {
        (kind, format!("{message} {NOT_GZIP_HINT}"))
    } else {
        (kind, message)
    }
}

/// The message libzstd gives when a frame's window is above `window_log_max`.
fn zstd_window_too_large_message() -> &'static str {
    use zstd::zstd_safe::{self, zstd_sys::ZSTD_ErrorCode};
    // libzstd's error codes are the negated enum values.
    zstd_safe::get_error_name(
        (ZSTD_ErrorCode::ZSTD_error_frameParameter_windowTooLarge as usize).wrapping_neg(),
    )
}

/// The message for a zstd decoding error.
///
/// The zstd crate reports a stream ending inside a frame as `UnexpectedEof` ("incomplete
/// frame") and every libzstd error as `Other` with libzstd's text, e.g. "Frame requires too
/// much memory for decoding" for a window above the cap (compared with libzstd's own text for
/// that code rather than a copy of it). Data after the last frame that is not a frame is an
/// error, as in `zstd -d`.
fn describe_zstd_error(error: &io::Error) -> (ErrorKind, String) {
    if error.kind() == ErrorKind::UnexpectedEof {
        return (ErrorKind::UnexpectedEof, "zstd: data is truncated".into());
    }
    if error.to_string() == zstd_window_too_large_message() {
        return (
            ErrorKind::InvalidData,
            format!(
                "zstd: the data needs a window of more than {} MiB to decode (it was compressed \
                 with --long or --ultra); decompress it first with `zstd -d --long=31`",
                (1u64 << ZSTD_WINDOW_LOG_MAX) >> 20
            ),
        );
    }
    (
        ErrorKind::InvalidData,
        format!("zstd: data is corrupt: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// `lines` log lines that do not repeat, so compressed data spans many blocks.
    fn log_text(lines: usize) -> Vec<u8> {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut text = Vec::new();
        for i in 0..lines {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            writeln!(
                text,
                "2024-05-01T12:{:02}:{:02}Z req={state:016x} line={i} code=FUNCTIONS_EXECUTE_FAIL",
                i / 60 % 60,
                i % 60
            )
            .unwrap();
        }
        text
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn zstd_encode(data: &[u8]) -> Vec<u8> {
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        // As the zstd tool does: without it, damage inside a block may go unnoticed.
        encoder.include_checksum(true).unwrap();
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn open(data: Vec<u8>) -> (Encoding, Box<dyn Read + Send + 'static>) {
        open_decoded(Box::new(Cursor::new(data)), true).unwrap()
    }

    /// Reads with `chunk`-byte reads up to the end or the first error: what was delivered, and
    /// the error.
    fn drain(reader: &mut dyn Read, chunk: usize) -> (Vec<u8>, Option<io::Error>) {
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return (out, Some(e)),
            }
        }
    }

    fn decode_ok(data: Vec<u8>, expected: Encoding) -> Vec<u8> {
        let (encoding, mut reader) = open(data);
        assert_eq!(encoding, expected);
        let (out, error) = drain(&mut reader, 64 * 1024);
        assert!(error.is_none(), "unexpected error: {error:?}");
        out
    }

    /// Decodes `data` expecting an error: what was delivered first, and the error.
    fn decode_err(data: Vec<u8>, expected: Encoding) -> (Vec<u8>, io::Error) {
        let (encoding, mut reader) = open(data);
        assert_eq!(encoding, expected);
        let (out, error) = drain(&mut reader, 4096);
        let Some(error) = error else {
            panic!("decoded {} bytes without an error", out.len())
        };
        // Later reads repeat the error rather than pretending the stream ended.
        let again = reader.read(&mut [0u8; 16]).unwrap_err();
        assert_eq!(again.to_string(), error.to_string());
        (out, error)
    }

    #[test]
    fn sniff_needs_the_whole_magic() {
        assert_eq!(sniff(b""), Encoding::Plain);
        assert_eq!(sniff(b"\x1f"), Encoding::Plain);
        assert_eq!(sniff(b"\x1f\x8b"), Encoding::Gzip);
        assert_eq!(sniff(&gzip(b"x")), Encoding::Gzip);
        assert_eq!(sniff(b"(\xb5/"), Encoding::Plain);
        assert_eq!(sniff(b"(\xb5/\xfd"), Encoding::Zstd);
        assert_eq!(sniff(&zstd_encode(b"x")), Encoding::Zstd);
        assert_eq!(sniff(b"\x5e\x2a\x4d\x18"), Encoding::Zstd);
        assert_eq!(sniff(b"(2024-05-01) ERROR"), Encoding::Plain);
        assert_eq!(sniff(b"P*M hello"), Encoding::Plain);
        assert_eq!(sniff(b"\x1f\x8a"), Encoding::Plain);
    }

    #[test]
    fn gzip_single_member_round_trip() {
        let text = log_text(2000);
        assert_eq!(decode_ok(gzip(&text), Encoding::Gzip), text);
    }

    #[test]
    fn gzip_members_are_all_decoded() {
        let first = log_text(1000);
        let second = b"2024-05-02 second member code=DATABASE_PERMISSION_DENIED\n".to_vec();
        let mut archive = gzip(&first);
        archive.extend(gzip(&second));
        assert_eq!(decode_ok(archive, Encoding::Gzip), [first, second].concat());
    }

    #[test]
    fn gzip_empty_member_then_another() {
        let mut archive = gzip(b"");
        archive.extend(gzip(b"after an empty member\n"));
        assert_eq!(
            decode_ok(archive, Encoding::Gzip),
            b"after an empty member\n"
        );
    }

    #[test]
    fn truncated_gzip_is_an_error_after_the_decoded_prefix() {
        let first = log_text(3000);
        let second = log_text(500);
        let member = gzip(&first);
        let mut archive = member.clone();
        archive.extend(gzip(&second));
        // Cut inside the second member: the whole first member must have been delivered.
        let cut = member.len() + (archive.len() - member.len()) / 2;
        let (out, error) = decode_err(archive[..cut].to_vec(), Encoding::Gzip);
        assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
        assert_eq!(error.to_string(), "gzip: data is truncated");
        assert!(
            out.len() > first.len(),
            "only {} bytes delivered",
            out.len()
        );
        assert!([first.as_slice(), &second].concat().starts_with(&out));
    }

    #[test]
    fn gzip_cut_anywhere_is_an_error() {
        // Header, deflate data, trailer: flate2 must not end silently at any of them.
        let text = log_text(40);
        let archive = gzip(&text);
        for cut in 1..archive.len() {
            let (encoding, mut reader) = open(archive[..cut].to_vec());
            let (out, error) = drain(&mut reader, 100);
            if cut < GZIP_MAGIC.len() {
                assert_eq!(encoding, Encoding::Plain);
                assert_eq!(out, &archive[..cut]);
                continue;
            }
            let Some(error) = error else {
                panic!("cut at {cut} of {} ended silently", archive.len())
            };
            assert_eq!(error.kind(), ErrorKind::UnexpectedEof, "cut at {cut}");
            assert!(text.starts_with(&out), "cut at {cut}");
        }
    }

    #[test]
    fn gzip_bad_checksum_is_corrupt() {
        let text = log_text(100);
        let mut archive = gzip(&text);
        let crc = archive.len() - 8;
        archive[crc] ^= 0xff;
        let (out, error) = decode_err(archive, Encoding::Gzip);
        assert_eq!(error.kind(), ErrorKind::InvalidData);
        assert!(
            error.to_string().starts_with("gzip: data is corrupt: "),
            "{error}"
        );
        // The checksum is only known at the end, so the content came first.
        assert_eq!(out, text);
    }

    #[test]
    fn gzip_trailing_garbage_is_an_error_after_the_content() {
        let text = log_text(100);
        for garbage in [&b"this is not gzip at all\n"[..], &[0u8; 512]] {
            let mut archive = gzip(&text);
            archive.extend_from_slice(garbage);
            let (out, error) = decode_err(archive, Encoding::Gzip);
            assert_eq!(out, text);
            assert_eq!(error.kind(), ErrorKind::InvalidData);
            assert!(
                error.to_string().starts_with("gzip: trailing garbage"),
                "{error}"
            );
        }
        // Too short to be told from a truncated header.
        let mut archive = gzip(&text);
        archive.push(b'\n');
        let (out, error) = decode_err(archive, Encoding::Gzip);
        assert_eq!(out, text);
        assert_eq!(
            error.to_string(),
            "gzip: data is truncated, or has trailing garbage after the last member"
        );
    }

    #[test]
    fn zstd_round_trip_with_several_frames() {
        let first = log_text(2000);
        let second = b"second frame\n".to_vec();
        let mut archive = zstd_encode(&first);
        archive.extend(zstd::stream::encode_all(&second[..], 19).unwrap());
        assert_eq!(decode_ok(archive, Encoding::Zstd), [first, second].concat());
    }

    #[test]
    fn zstd_skippable_frame_first() {
        // What pzstd writes first: a skippable frame (magic, 4-byte length, payload).
        let mut archive = vec![0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3];
        archive.extend(zstd_encode(b"after a skippable frame\n"));
        assert_eq!(
            decode_ok(archive, Encoding::Zstd),
            b"after a skippable frame\n"
        );
    }

    #[test]
    fn corrupt_zstd_is_an_error() {
        let text = log_text(2000);
        let mut archive = zstd_encode(&text);
        let middle = archive.len() / 2;
        for byte in &mut archive[middle..middle + 8] {
            *byte ^= 0x5a;
        }
        let (out, error) = decode_err(archive, Encoding::Zstd);
        assert_eq!(error.kind(), ErrorKind::InvalidData);
        assert!(
            error.to_string().starts_with("zstd: data is corrupt: "),
            "{error}"
        );
        assert!(text.starts_with(&out));
    }

    #[test]
    fn truncated_zstd_is_an_error_after_the_decoded_prefix() {
        let first = log_text(3000);
        let mut archive = zstd_encode(&first);
        let whole = archive.len();
        archive.extend(zstd_encode(&log_text(500)));
        let cut = whole + (archive.len() - whole) / 2;
        let (out, error) = decode_err(archive[..cut].to_vec(), Encoding::Zstd);
        assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
        assert_eq!(error.to_string(), "zstd: data is truncated");
        assert!(
            out.starts_with(&first),
            "only {} bytes delivered",
            out.len()
        );
    }

    #[test]
    fn zstd_trailing_garbage_is_an_error_after_the_content() {
        let text = log_text(100);
        let mut archive = zstd_encode(&text);
        archive.extend_from_slice(b"not a zstd frame\n");
        let (out, error) = decode_err(archive, Encoding::Zstd);
        assert_eq!(out, text);
        assert!(
            error.to_string().starts_with("zstd: data is corrupt: "),
            "{error}"
        );
    }

    #[test]
    fn zstd_window_above_the_cap_is_refused_clearly() {
        let text = log_text(20_000);
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        encoder.window_log(27).unwrap();
        encoder.long_distance_matching(true).unwrap();
        encoder.write_all(&text).unwrap();
        let archive = encoder.finish().unwrap();
        // Frame header descriptor without the single-segment flag, then the window
        // descriptor: exponent 27 - 10 = 17, mantissa 0. The frame really asks for 128 MiB.
        assert_eq!(archive[4] & 0x20, 0);
        assert_eq!(archive[5], 17 << 3);
        // The data is sound: libzstd's default limit (2^27) decodes it.
        assert_eq!(zstd::stream::decode_all(&archive[..]).unwrap(), text);

        let (out, error) = decode_err(archive, Encoding::Zstd);
        assert!(out.is_empty());
        assert_eq!(error.kind(), ErrorKind::InvalidData);
        assert_eq!(
            error.to_string(),
            "zstd: the data needs a window of more than 32 MiB to decode (it was compressed \
             with --long or --ultra); decompress it first with `zstd -d --long=31`"
        );
    }

    #[test]
    fn plain_text_passes_through_byte_identical() {
        for text in [
            &b"(2024-05-01) ERROR code=FUNCTIONS_EXECUTE_FAIL\n"[..],
            b"(",
            b"x",
            b"\x1f",
            b"(\xb5/",
            b"\x1f\x8a not gzip",
            b"plain \xff\xfe bytes\r\n",
        ] {
            assert_eq!(decode_ok(text.to_vec(), Encoding::Plain), text);
        }
        let big = log_text(5000);
        assert_eq!(decode_ok(big.clone(), Encoding::Plain), big);
    }

    #[test]
    fn empty_input_is_plain_and_empty() {
        assert_eq!(decode_ok(Vec::new(), Encoding::Plain), b"");
    }

    #[test]
    fn compressed_input_passes_through_when_not_decompressing() {
        let archive = gzip(b"kept compressed\n");
        let (encoding, mut reader) =
            open_decoded(Box::new(Cursor::new(archive.clone())), false).unwrap();
        assert_eq!(encoding, Encoding::Plain);
        assert_eq!(drain(&mut reader, 7).0, archive);
    }

    /// A live stream: each part is what one write into a pipe made available; a `read` returns
    /// what is left of the current part (or as much as fits), and once the parts are used up
    /// every read fails, as a stand-in for blocking forever on a pipe nobody writes to yet.
    struct Live {
        parts: Vec<&'static [u8]>,
        next: usize,
    }

    impl Read for Live {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let part = self.parts.get_mut(self.next).ok_or_else(|| {
                io::Error::other("nothing more was written: this read would block")
            })?;
            let n = buf.len().min(part.len());
            buf[..n].copy_from_slice(&part[..n]);
            *part = &part[n..];
            if part.is_empty() {
                self.next += 1;
            }
            Ok(n)
        }
    }

    #[test]
    fn sniffing_a_live_stream_stops_after_the_first_read_when_it_can() {
        let live = Live {
            parts: vec![b"ok\n"],
            next: 0,
        };
        let (encoding, mut reader) = open_decoded(Box::new(live), true).unwrap();
        assert_eq!(encoding, Encoding::Plain);
        let mut line = [0u8; 3];
        reader.read_exact(&mut line).unwrap();
        assert_eq!(&line, b"ok\n");
    }

    #[test]
    fn sniffing_a_live_stream_waits_only_while_a_magic_is_possible() {
        // `(` might start zstd: one more read settles it, and nothing read is lost.
        let live = Live {
            parts: vec![b"(", b"2024) ok\n"],
            next: 0,
        };
        let (encoding, mut reader) = open_decoded(Box::new(live), true).unwrap();
        assert_eq!(encoding, Encoding::Plain);
        let mut text = [0u8; 10];
        reader.read_exact(&mut text).unwrap();
        assert_eq!(&text, b"(2024) ok\n");

        // The zstd magic arriving a byte at a time is still recognised.
        let archive: &'static [u8] = zstd_encode(b"drip\n").leak();
        let live = Live {
            parts: vec![&archive[..1], &archive[1..2], &archive[2..3], &archive[3..]],
            next: 0,
        };
        let (encoding, mut reader) = open_decoded(Box::new(live), true).unwrap();
        assert_eq!(encoding, Encoding::Zstd);
        let mut text = [0u8; 5];
        reader.read_exact(&mut text).unwrap();
        assert_eq!(&text, b"drip\n");
    }

    /// Fails like a real device would: with `Interrupted` once, then with an I/O error after
    /// `good` bytes.
    struct Failing {
        data: Cursor<Vec<u8>>,
        good: u64,
        interrupted: bool,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(ErrorKind::Interrupted.into());
            }
            let left = self.good.saturating_sub(self.data.position());
            if left == 0 {
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            self.data.read(&mut buf[..n])
        }
    }

    #[test]
    fn errors_of_the_reader_below_come_back_unchanged() {
        for (archive, encoding) in [
            (gzip(&log_text(2000)), Encoding::Gzip),
            (zstd_encode(&log_text(2000)), Encoding::Zstd),
        ] {
            let failing = Failing {
                good: archive.len() as u64 / 2,
                data: Cursor::new(archive),
                interrupted: false,
            };
            let (found, mut reader) = open_decoded(Box::new(failing), true).unwrap();
            assert_eq!(found, encoding);
            let (_, error) = drain(&mut reader, 4096);
            let error = error.unwrap();
            assert_eq!(error.kind(), ErrorKind::Other);
            assert_eq!(error.to_string(), "disk on fire", "{encoding:?}");
        }
    }

    #[test]
    fn big_streams_decode_through_a_small_buffer() {
        let text = log_text(60_000);
        assert!(text.len() > 4 << 20);
        for (archive, encoding) in [
            (gzip(&text), Encoding::Gzip),
            (zstd_encode(&text), Encoding::Zstd),
        ] {
            let (found, mut reader) = open(archive);
            assert_eq!(found, encoding);
            let (out, error) = drain(&mut reader, 61);
            assert!(error.is_none(), "{encoding:?}: {error:?}");
            assert!(out == text, "{encoding:?}: output differs");
        }
    }
}
