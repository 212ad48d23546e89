//! Physical lines of a JCAMP-DX file, bounded in length. Lines end at `\n`, `\r\n` or a lone
//! `\r` (old Macintosh exports); text is UTF-8 when valid, otherwise Windows-1252, which is
//! what instrument software of the JCAMP era wrote for `°` and `µ`.

use std::io::BufRead;

use crate::ReadError;

/// Longest line accepted, in bytes; longer lines fail without being buffered further.
pub(crate) const LINE_LIMIT: usize = 1024 * 1024;

/// Reads one line at a time, counting lines and bytes consumed.
pub(crate) struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    /// Bytes consumed so far, for progress.
    pub consumed: u64,
    /// Number of the line returned last (1-based).
    pub number: u64,
    after_cr: bool,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(inner: R) -> Self {
        Lines { inner, buf: Vec::new(), consumed: 0, number: 0, after_cr: false }
    }

    /// The next line without its terminator, or `None` at the end of the input.
    pub(crate) fn next_line(&mut self) -> Result<Option<String>, ReadError> {
        self.buf.clear();
        let mut read_any = false;
        loop {
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                if !read_any {
                    return Ok(None);
                }
                break;
            }
            if self.after_cr {
                // The `\n` of a `\r\n` pair belongs to the line already returned.
                self.after_cr = false;
                if available[0] == b'\n' {
                    self.inner.consume(1);
                    self.consumed += 1;
                    continue;
                }
            }
            read_any = true;
            match memchr::memchr2(b'\n', b'\r', available) {
                Some(i) => {
                    self.buf.extend_from_slice(&available[..i]);
                    self.after_cr = available[i] == b'\r';
                    self.inner.consume(i + 1);
                    self.consumed += i as u64 + 1;
                    break;
                }
                None => {
                    let n = available.len();
                    self.buf.extend_from_slice(available);
                    self.inner.consume(n);
                    self.consumed += n as u64;
                }
            }
            if self.buf.len() > LINE_LIMIT {
                return Err(ReadError::LineTooLong { line: self.number + 1, limit: LINE_LIMIT });
            }
        }
        if self.buf.len() > LINE_LIMIT {
            return Err(ReadError::LineTooLong { line: self.number + 1, limit: LINE_LIMIT });
        }
        self.number += 1;
        if self.buf.contains(&0) {
            return Err(ReadError::NotText(format!("nul byte on line {}", self.number)));
        }
        let bytes =
            if self.number == 1 { self.buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&self.buf) } else { &self.buf };
        Ok(Some(match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
        }))
    }
}
