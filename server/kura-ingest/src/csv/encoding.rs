//! Text encoding: detection from the head of the file, and a streaming decoder to UTF-8 that
//! reports the byte offset of the first invalid sequence instead of replacing it.
//!
//! Detection order: a BOM (UTF-8, UTF-16 LE/BE), then UTF-8 if the head is valid, then
//! Shift_JIS if the head decodes cleanly and reads like Japanese, else windows-1252 (Latin-1),
//! which accepts every byte.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use encoding_rs::{DecoderResult, Encoding, SHIFT_JIS, UTF_8, WINDOWS_1252};

use crate::reader::ReadError;

/// How many leading bytes detection looks at.
pub(crate) const HEAD_BYTES: usize = 64 * 1024;

/// The encoding of a file and the length of its byte order mark.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Detected {
    pub encoding: &'static Encoding,
    pub bom_len: usize,
}

/// Detects the encoding of `head` (the first bytes of the file, possibly cut mid-character).
pub(crate) fn detect(head: &[u8]) -> Result<Detected, ReadError> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(head) {
        let d = Detected { encoding, bom_len };
        if encoding != UTF_8 {
            check_text(decode_head(head, d).as_bytes())?;
        }
        return Ok(d);
    }
    check_text(head)?;
    let plain = |encoding| Detected { encoding, bom_len: 0 };
    if valid_utf8_prefix(head) {
        return Ok(plain(UTF_8));
    }
    if reads_as_shift_jis(head) {
        return Ok(plain(SHIFT_JIS));
    }
    Ok(plain(WINDOWS_1252))
}

/// When the encoding was a guess between Shift_JIS and windows-1252 on little evidence (fewer
/// than [`FEW`] Japanese characters), the other one, for a warning.
pub(crate) fn runner_up(head: &[u8], d: Detected) -> Option<&'static Encoding> {
    const FEW: usize = 4;
    if d.bom_len > 0 || d.encoding == UTF_8 {
        return None;
    }
    let (japanese, _) = shift_jis_evidence(head)?;
    (japanese > 0 && japanese < FEW).then_some(if d.encoding == SHIFT_JIS { WINDOWS_1252 } else { SHIFT_JIS })
}

/// Refuses binary content: NUL bytes, or more than 2% control characters.
fn check_text(bytes: &[u8]) -> Result<(), ReadError> {
    if bytes.contains(&0) {
        return Err(ReadError::NotText("contains NUL bytes".into()));
    }
    let control =
        bytes.iter().filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f).count();
    if control * 50 > bytes.len() {
        return Err(ReadError::NotText("mostly control characters".into()));
    }
    Ok(())
}

/// Valid UTF-8, allowing a sequence cut off at the end of the head.
fn valid_utf8_prefix(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

/// Shift_JIS when the head decodes without error, has Japanese characters, and few half-width
/// katakana, private-use characters or Japanese characters wedged between ASCII letters, which
/// is what Latin-1 text decoded as Shift_JIS yields (`crème` → `cr` + a kanji + `e`).
fn reads_as_shift_jis(head: &[u8]) -> bool {
    shift_jis_evidence(head).is_some_and(|(japanese, suspicious)| japanese > 0 && suspicious * 4 <= japanese)
}

/// Japanese and suspicious characters of `head` decoded as Shift_JIS; `None` when it does not
/// decode.
fn shift_jis_evidence(head: &[u8]) -> Option<(usize, usize)> {
    let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(head.len() * 3 / 2 + 16);
    let (res, _) = decoder.decode_to_string_without_replacement(head, &mut out, false);
    if !matches!(res, DecoderResult::InputEmpty) {
        return None;
    }
    let (mut japanese, mut suspicious) = (0usize, 0usize);
    let mut prev = ' ';
    let mut chars = out.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied().unwrap_or(' ');
        match c {
            '\u{3000}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '\u{ff01}'..='\u{ff5e}' => {
                if prev.is_ascii_alphabetic() && next.is_ascii_alphabetic() {
                    suspicious += 1;
                } else {
                    japanese += 1;
                }
            }
            '\u{ff61}'..='\u{ff9f}' | '\u{e000}'..='\u{f8ff}' => suspicious += 1,
            _ => {}
        }
        prev = c;
    }
    Some((japanese, suspicious))
}

/// Decodes the head for sniffing, replacing errors; a character cut at the end is dropped.
pub(crate) fn decode_head(head: &[u8], d: Detected) -> String {
    let mut decoder = d.encoding.new_decoder_without_bom_handling();
    let body = head.get(d.bom_len..).unwrap_or_default();
    let mut out = String::with_capacity(body.len() * 3 / 2 + 16);
    let _ = decoder.decode_to_string(body, &mut out, false);
    out
}

/// Counts the raw bytes read, shared with the code that reports progress.
#[derive(Debug, Clone, Default)]
pub(crate) struct Consumed(Rc<Cell<u64>>);

impl Consumed {
    pub(crate) fn get(&self) -> u64 {
        self.0.get()
    }
}

/// Reads `inner` (positioned after the BOM) and yields UTF-8; invalid input is an error carrying
/// a [`ReadError::InvalidEncoding`] with the file offset.
pub(crate) struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    encoding: &'static Encoding,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    /// File offset of `buf[pos]`.
    offset: u64,
    eof: bool,
    finished: bool,
    consumed: Consumed,
    /// Decoded bytes kept for callers that ask for fewer bytes than one character needs.
    spill: [u8; 16],
    spill_pos: usize,
    spill_len: usize,
}

impl<R: Read> Decoding<R> {
    pub(crate) fn new(inner: R, d: Detected) -> Self {
        let consumed = Consumed::default();
        consumed.0.set(d.bom_len as u64);
        Decoding {
            inner,
            decoder: d.encoding.new_decoder_without_bom_handling(),
            encoding: d.encoding,
            buf: vec![0; 256 * 1024].into_boxed_slice(),
            pos: 0,
            len: 0,
            offset: d.bom_len as u64,
            eof: false,
            finished: false,
            consumed,
            spill: [0; 16],
            spill_pos: 0,
            spill_len: 0,
        }
    }

    /// A handle on the number of raw bytes consumed so far.
    pub(crate) fn consumed(&self) -> Consumed {
        self.consumed.clone()
    }

    fn invalid(&self, offset: u64) -> io::Error {
        io::Error::other(ReadError::InvalidEncoding { encoding: self.encoding.name().to_string(), offset })
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.spill_pos == self.spill_len && out.len() < self.spill.len() && !out.is_empty() {
            let mut spill = [0u8; 16];
            self.spill_len = self.decode_into(&mut spill)?;
            self.spill = spill;
            self.spill_pos = 0;
        }
        if self.spill_pos < self.spill_len {
            let n = out.len().min(self.spill_len - self.spill_pos);
            out[..n].copy_from_slice(&self.spill[self.spill_pos..self.spill_pos + n]);
            self.spill_pos += n;
            return Ok(n);
        }
        self.decode_into(out)
    }
}

impl<R: Read> Decoding<R> {
    /// Decodes into `out`, which holds at least one character (4 bytes).
    fn decode_into(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.finished || out.is_empty() {
                return Ok(0);
            }
            if self.pos == self.len && !self.eof {
                self.pos = 0;
                self.len = read_full(&mut self.inner, &mut self.buf)?;
                self.eof = self.len == 0;
                let c = &self.consumed.0;
                c.set(c.get() + self.len as u64);
            }
            let src = &self.buf[self.pos..self.len];
            let (res, read, written) = self.decoder.decode_to_utf8_without_replacement(src, out, self.eof);
            let start = self.offset;
            self.pos += read;
            self.offset += read as u64;
            match res {
                DecoderResult::Malformed(bad, after) => {
                    let at = start + read as u64 - u64::from(bad) - u64::from(after);
                    return Err(self.invalid(at));
                }
                DecoderResult::InputEmpty if self.eof => {
                    self.finished = true;
                    return Ok(written);
                }
                _ if written > 0 => return Ok(written),
                _ => {}
            }
        }
    }
}

/// Fills `buf` as far as the reader allows, so that decoding sees large chunks.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Turns an I/O error raised inside the reading stack back into the [`ReadError`] it carries.
pub(crate) fn from_io(e: io::Error) -> ReadError {
    if e.get_ref().is_some_and(|inner| inner.is::<ReadError>()) {
        if let Some(inner) = e.into_inner()
            && let Ok(re) = inner.downcast::<ReadError>()
        {
            return *re;
        }
        return ReadError::Malformed { format: "csv", message: "internal error".into() };
    }
    ReadError::Io(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{UTF_16BE, UTF_16LE};

    fn decode_all(bytes: &[u8]) -> Result<String, ReadError> {
        let d = detect(&bytes[..bytes.len().min(HEAD_BYTES)])?;
        let mut r = Decoding::new(&bytes[d.bom_len..], d);
        let mut s = String::new();
        r.read_to_string(&mut s).map_err(from_io)?;
        Ok(s)
    }

    #[test]
    fn detects_encodings() {
        let (sjis, _, _) = SHIFT_JIS.encode("温度 [K],時間\n1,2\n");
        assert_eq!(detect(&sjis).unwrap().encoding, SHIFT_JIS);
        assert_eq!(decode_all(&sjis).unwrap(), "温度 [K],時間\n1,2\n");
        let latin = b"T (\xb0C);M\xfcller;Gr\xf6\xdfe\n25;a;b\n";
        assert_eq!(detect(latin).unwrap().encoding, WINDOWS_1252);
        assert_eq!(decode_all(latin).unwrap(), "T (°C);Müller;Größe\n25;a;b\n");
        assert_eq!(detect(b"\xef\xbb\xbfa,b").unwrap().bom_len, 3);
        assert_eq!(detect(b"\xff\xfea\0,\0").unwrap().encoding, UTF_16LE);
        assert_eq!(detect(b"\xfe\xff\0a\0,").unwrap().encoding, UTF_16BE);
        assert!(matches!(detect(b"a,b\0\0\x01"), Err(ReadError::NotText(_))));
    }

    #[test]
    fn reports_offset_of_invalid_bytes() {
        // Past the detection head, the decoder is what catches invalid bytes.
        let mut bytes = vec![b'a'; HEAD_BYTES + 100];
        bytes.extend_from_slice(b"\xff\xfe");
        match decode_all(&bytes) {
            Err(ReadError::InvalidEncoding { offset, encoding }) => {
                assert_eq!((offset, encoding.as_str()), (HEAD_BYTES as u64 + 100, "UTF-8"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
