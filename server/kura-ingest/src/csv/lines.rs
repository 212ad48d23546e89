//! The byte stream of one table: decoded text from the first data line up to the first blank
//! line (or comment line, when the preamble used comments), with the line-length limit enforced
//! before anything is buffered past it.
//!
//! Record parsing sits on top of this as a plain [`Read`], so the table end and the limit cost
//! one `memchr` per line and nothing per field.

use std::io::{self, Read};

use crate::reader::ReadError;

use super::LINE_LIMIT;

const CHUNK: usize = 256 * 1024;

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0c)
}

/// A [`Read`] over the table's bytes that stops at the table end.
pub(crate) struct TableBytes<R> {
    inner: R,
    buf: Vec<u8>,
    /// Next byte handed to the caller.
    start: usize,
    /// Bytes before this index are checked and may be handed out.
    checked: usize,
    end: usize,
    eof: bool,
    /// Line number of the line containing `buf[checked]`.
    line: u64,
    /// Bytes of the current line before `checked`.
    line_len: usize,
    /// The quote character, when fields are quoted.
    quote: Option<u8>,
    in_quotes: bool,
    /// Quote characters in `buf[checked..end]`; while zero, lines need no quote counting.
    quotes_ahead: usize,
    comment: Option<u8>,
    /// The line where the table ended, when it ended before the end of the file.
    ended_at: Option<u64>,
}

impl<R: Read> TableBytes<R> {
    /// `first_line` is the line number of the first byte `inner` yields.
    pub(crate) fn new(inner: R, first_line: u64, quote: Option<u8>, comment: Option<u8>) -> Self {
        TableBytes {
            inner,
            buf: vec![0; CHUNK],
            start: 0,
            checked: 0,
            end: 0,
            eof: false,
            line: first_line,
            line_len: 0,
            quote,
            in_quotes: false,
            quotes_ahead: 0,
            comment,
            ended_at: None,
        }
    }

    /// The line at which the table ended, if something other than the end of file ended it.
    pub(crate) fn ended_at(&self) -> Option<u64> {
        self.ended_at
    }

    fn too_long(&self) -> io::Error {
        io::Error::other(ReadError::LineTooLong { line: self.line, limit: LINE_LIMIT })
    }

    /// Reads more input, keeping unreleased bytes; returns false at end of input.
    fn refill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start == self.end {
            self.start = 0;
            self.checked = 0;
            self.end = 0;
        } else if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.checked -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Only a whitespace-only line start is ever held back, and it is bounded here.
            if self.buf.len() > LINE_LIMIT {
                return Err(self.too_long());
            }
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        if let Some(q) = self.quote {
            self.quotes_ahead += memchr::memchr_iter(q, &self.buf[self.end..self.end + n]).count();
        }
        self.end += n;
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// Checks more bytes so that `checked > start`, or ends the table.
    fn advance(&mut self) -> io::Result<()> {
        while self.checked == self.start && self.ended_at.is_none() {
            if self.checked == self.end {
                if !self.refill()? {
                    return Ok(());
                }
                continue;
            }
            if self.line_len == 0 && !self.in_quotes {
                let rest = &self.buf[self.checked..self.end];
                match rest.iter().position(|&b| !is_space(b)) {
                    None if rest.len() > LINE_LIMIT => return Err(self.too_long()),
                    None if self.eof => {
                        self.ended_at = Some(self.line);
                        return Ok(());
                    }
                    None => {
                        self.refill()?;
                        continue;
                    }
                    Some(i) if rest[i] == b'\n' || Some(rest[i]) == self.comment => {
                        self.ended_at = Some(self.line);
                        return Ok(());
                    }
                    Some(_) => {}
                }
            }
            let rest = &self.buf[self.checked..self.end];
            let (seg, newline) = match memchr::memchr(b'\n', rest) {
                Some(i) => (i + 1, true),
                None => (rest.len(), false),
            };
            if self.quotes_ahead > 0 {
                let quotes = self.quote.map_or(0, |q| memchr::memchr_iter(q, &rest[..seg]).count());
                self.in_quotes ^= quotes % 2 == 1;
                self.quotes_ahead -= quotes;
            }
            self.line_len += seg - usize::from(newline);
            if self.line_len > LINE_LIMIT {
                return Err(self.too_long());
            }
            self.checked += seg;
            if newline {
                self.line += 1;
                self.line_len = 0;
            }
        }
        Ok(())
    }

    /// After the table ended, counts the non-blank lines left in the file (reading to its end,
    /// which also validates the encoding of the rest).
    pub(crate) fn count_rest(&mut self) -> io::Result<u64> {
        let mut count = 0u64;
        let mut line_has_text = false;
        let mut pos = self.checked;
        loop {
            for &b in &self.buf[pos..self.end] {
                if b == b'\n' {
                    count += u64::from(line_has_text);
                    line_has_text = false;
                } else if !is_space(b) {
                    line_has_text = true;
                }
            }
            self.start = self.end;
            self.checked = self.end;
            if !self.refill()? {
                return Ok(count + u64::from(line_has_text));
            }
            pos = self.checked;
        }
    }
}

impl<R: Read> Read for TableBytes<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.checked == self.start {
            self.advance()?;
        }
        let n = out.len().min(self.checked - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::encoding::from_io;

    fn run(input: &[u8], comment: Option<u8>) -> (String, Option<u64>, u64) {
        let mut t = TableBytes::new(input, 10, Some(b'"'), comment);
        let mut s = String::new();
        t.read_to_string(&mut s).unwrap();
        let rest = t.count_rest().unwrap();
        (s, t.ended_at(), rest)
    }

    #[test]
    fn stops_at_blank_line() {
        let (s, at, rest) = run(b"1,2\r\n3,4\r\n \t\r\n# c\r\nx\r\n\r\n", None);
        assert_eq!((s.as_str(), at, rest), ("1,2\r\n3,4\r\n", Some(12), 2));
        let (s, at, _) = run(b"1,\"a\n\nb\"\n2,c\n\n", None);
        assert_eq!((s.as_str(), at), ("1,\"a\n\nb\"\n2,c\n", Some(14)));
        let (s, at, rest) = run(b"1 2\n3 4\n# next\n5 6", Some(b'#'));
        assert_eq!((s.as_str(), at, rest), ("1 2\n3 4\n", Some(12), 2));
        let (s, at, _) = run(b"1,2\n3,4", None);
        assert_eq!((s.as_str(), at), ("1,2\n3,4", None));
    }

    #[test]
    fn refuses_long_lines_without_buffering_them() {
        let long = vec![b'x'; LINE_LIMIT + 10];
        let mut t = TableBytes::new(&long[..], 3, Some(b'"'), None);
        let mut sink = Vec::new();
        let err = from_io(t.read_to_end(&mut sink).unwrap_err());
        assert!(matches!(err, ReadError::LineTooLong { line: 3, .. }), "{err:?}");
        let spaces = vec![b' '; LINE_LIMIT + 10];
        let mut t = TableBytes::new(&spaces[..], 1, Some(b'"'), None);
        let err = from_io(t.read_to_end(&mut sink).unwrap_err());
        assert!(matches!(err, ReadError::LineTooLong { line: 1, .. }), "{err:?}");
    }
}
