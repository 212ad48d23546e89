//! Physical lines of a CIF file, whatever their ending (`\n`, `\r\n`, or a lone `\r` as old Mac
//! tools wrote), counted from 1 and bounded in length.

use std::io::BufRead;

use crate::ReadError;

/// Longest line accepted, in bytes: CIF 1.1 allows 2048 characters, this tolerates far more
/// without letting one endless line take the memory.
pub(crate) const LINE_LIMIT: usize = 4 * 1024 * 1024;

/// Reads lines, decoding UTF-8 and falling back to Windows-1252 for a line that is not UTF-8
/// (author names in older files), noting that it did.
pub(crate) struct Lines<R> {
    inner: R,
    bytes: Vec<u8>,
    /// Number of the line returned last (1-based).
    pub number: u64,
    /// Bytes consumed so far, for progress.
    pub consumed: u64,
    /// First line that was not UTF-8, if any.
    pub legacy_line: Option<u64>,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(inner: R) -> Self {
        Lines { inner, bytes: Vec::new(), number: 0, consumed: 0, legacy_line: None }
    }

    /// Reads the next line into `out` (without its ending); `false` at end of file.
    pub(crate) fn next_line(&mut self, out: &mut String) -> Result<bool, ReadError> {
        self.bytes.clear();
        out.clear();
        let mut ended = false;
        let mut any = false;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            any = true;
            if let Some(i) = memchr::memchr2(b'\n', b'\r', buf) {
                self.bytes.extend_from_slice(&buf[..i]);
                let cr = buf[i] == b'\r';
                self.inner.consume(i + 1);
                self.consumed += i as u64 + 1;
                if cr {
                    let next = self.inner.fill_buf()?;
                    if next.first() == Some(&b'\n') {
                        self.inner.consume(1);
                        self.consumed += 1;
                    }
                }
                ended = true;
            } else {
                let n = buf.len();
                self.bytes.extend_from_slice(buf);
                self.inner.consume(n);
                self.consumed += n as u64;
            }
            if self.bytes.len() > LINE_LIMIT {
                return Err(ReadError::LineTooLong { line: self.number + 1, limit: LINE_LIMIT });
            }
            if ended {
                break;
            }
        }
        if !any {
            return Ok(false);
        }
        self.number += 1;
        match std::str::from_utf8(&self.bytes) {
            Ok(s) => out.push_str(s),
            Err(_) => {
                self.legacy_line.get_or_insert(self.number);
                let (s, _, _) = encoding_rs::WINDOWS_1252.decode(&self.bytes);
                out.push_str(&s);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_mixed_line_endings() {
        let mut lines = Lines::new(std::io::BufReader::with_capacity(2, &b"a\r\nb\rc\n\nd"[..]));
        let mut got = Vec::new();
        let mut s = String::new();
        while lines.next_line(&mut s).unwrap() {
            got.push(s.clone());
        }
        assert_eq!(got, ["a", "b", "c", "", "d"]);
        assert_eq!(lines.number, 5);
        assert_eq!(lines.consumed, 9);
    }

    #[test]
    fn decodes_legacy_bytes() {
        let mut lines = Lines::new(&b"ok\nM\xfcller\n"[..]);
        let mut s = String::new();
        lines.next_line(&mut s).unwrap();
        lines.next_line(&mut s).unwrap();
        assert_eq!((s.as_str(), lines.legacy_line), ("Müller", Some(2)));
    }
}
