//! TEMPORARY stub of the text pipeline (replaced by the escape branch).

/// Lossy UTF-8 + cut marks.
pub fn excerpt_text(bytes: &[u8], cut_before: bool, cut_after: bool, out: &mut String) {
    if cut_before {
        out.push('…');
    }
    out.push_str(&String::from_utf8_lossy(bytes));
    if cut_after {
        out.push('…');
    }
}
/// Terminal.
pub fn terminal(s: &str, out: &mut String) {
    out.push_str(&crate::text::visible(s.as_bytes()));
}
/// Terminal bytes.
pub fn terminal_bytes(bytes: &[u8], out: &mut String) {
    out.push_str(&crate::text::visible(bytes));
}
/// JSON string.
pub fn json_str(s: &str, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(out, s);
}
/// JSON bytes.
pub fn json_bytes_lossy(bytes: &[u8], out: &mut Vec<u8>) {
    json_str(&String::from_utf8_lossy(bytes), out)
}
