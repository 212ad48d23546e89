//! Line-level MGF parsing: global parameters, then `BEGIN IONS` … `END IONS` blocks of
//! `KEY=value` lines and peak lines (`m/z intensity [charge]`). One spectrum at a time.

use std::io::BufRead;

use crate::ReadError;

/// Longest line accepted.
pub const MAX_LINE: usize = 1 << 20;
/// Most peaks one spectrum may hold.
pub const MAX_PEAKS: usize = 1 << 24;
/// Most parameters one spectrum may hold.
const MAX_PARAMS: usize = 10_000;

pub(crate) fn malformed(message: impl Into<String>) -> ReadError {
    ReadError::Malformed { format: "mgf", message: message.into() }
}

/// One `BEGIN IONS` block.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Spectrum {
    /// Position in the file, from 0.
    pub index: i64,
    /// Line of `BEGIN IONS`, from 1.
    pub line: u64,
    /// Parameters in file order, keys upper-cased (MGF keys are case-insensitive).
    pub params: Vec<(String, String)>,
    pub mz: Vec<f64>,
    pub intensity: Vec<Option<f64>>,
    pub charge: Vec<Option<i64>>,
}

/// What comes next in the file.
#[derive(Debug)]
pub enum Item {
    /// A parameter before the first spectrum (applies to the whole file).
    Global(String, String),
    /// A comment line (`#`, `;`, `!`, `/`).
    Comment(String),
    Spectrum(Spectrum),
}

/// Pulls items from MGF text.
pub struct Parser<R: BufRead> {
    input: R,
    line: u64,
    consumed: u64,
    buf: Vec<u8>,
    spectra: i64,
}

/// `2+` → 2, `3-` → -3, `1` → 1; `None` for anything else (`2+ and 3+`).
pub fn parse_charge(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(n) = t.strip_suffix('+') {
        return n.trim().parse().ok();
    }
    if let Some(n) = t.strip_suffix('-') {
        return n.trim().parse::<i64>().ok().map(|v| -v);
    }
    t.strip_prefix('+').unwrap_or(t).parse().ok()
}

impl<R: BufRead> Parser<R> {
    pub fn new(input: R) -> Self {
        Parser { input, line: 0, consumed: 0, buf: Vec::new(), spectra: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.consumed
    }

    /// The next line without its line break, or `None` at the end.
    fn next_line(&mut self) -> Result<Option<String>, ReadError> {
        self.buf.clear();
        let n = std::io::Read::take(self.input.by_ref(), MAX_LINE as u64 + 1).read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        if self.buf.len() > MAX_LINE {
            return Err(ReadError::LineTooLong { line: self.line, limit: MAX_LINE });
        }
        let start = self.consumed;
        self.consumed += n as u64;
        while self.buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            self.buf.pop();
        }
        match std::str::from_utf8(&self.buf) {
            Ok(s) => Ok(Some(s.to_string())),
            Err(e) => {
                Err(ReadError::InvalidEncoding { encoding: "utf-8".into(), offset: start + e.valid_up_to() as u64 })
            }
        }
    }

    /// The next item, or `None` at the end of the file.
    pub fn next_item(&mut self) -> Result<Option<Item>, ReadError> {
        while let Some(line) = self.next_line()? {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if t.starts_with(['#', ';', '!', '/']) {
                return Ok(Some(Item::Comment(t.to_string())));
            }
            if t.eq_ignore_ascii_case("BEGIN IONS") {
                return self.spectrum().map(|s| Some(Item::Spectrum(s)));
            }
            if t.eq_ignore_ascii_case("END IONS") {
                return Err(malformed(format!("line {}: END IONS without BEGIN IONS", self.line)));
            }
            let Some((key, value)) = t.split_once('=') else {
                return Err(malformed(format!(
                    "line {}: {:?} is neither a parameter (KEY=value) nor BEGIN IONS",
                    self.line,
                    clip(t)
                )));
            };
            return Ok(Some(Item::Global(key.trim().to_ascii_uppercase(), value.trim().to_string())));
        }
        Ok(None)
    }

    fn spectrum(&mut self) -> Result<Spectrum, ReadError> {
        let mut s = Spectrum { index: self.spectra, line: self.line, ..Spectrum::default() };
        self.spectra += 1;
        loop {
            let Some(line) = self.next_line()? else {
                return Err(malformed(format!(
                    "file ends inside the spectrum that begins on line {} (no END IONS: truncated?)",
                    s.line
                )));
            };
            let t = line.trim();
            if t.is_empty() || t.starts_with(['#', ';', '!', '/']) {
                continue;
            }
            if t.eq_ignore_ascii_case("END IONS") {
                return Ok(s);
            }
            if t.eq_ignore_ascii_case("BEGIN IONS") {
                return Err(malformed(format!(
                    "line {}: BEGIN IONS inside the spectrum that begins on line {}",
                    self.line, s.line
                )));
            }
            if t.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '-' || c == '+') {
                self.peak(t, &mut s)?;
                continue;
            }
            let Some((key, value)) = t.split_once('=') else {
                return Err(malformed(format!("line {}: {:?} is neither a parameter nor a peak", self.line, clip(t))));
            };
            if s.params.len() >= MAX_PARAMS {
                return Err(malformed(format!(
                    "line {}: more than {MAX_PARAMS} parameters in one spectrum",
                    self.line
                )));
            }
            s.params.push((key.trim().to_ascii_uppercase(), value.trim().to_string()));
        }
    }

    fn peak(&self, t: &str, s: &mut Spectrum) -> Result<(), ReadError> {
        if s.mz.len() >= MAX_PEAKS {
            return Err(malformed(format!("line {}: more than {MAX_PEAKS} peaks in one spectrum", self.line)));
        }
        let fields: Vec<&str> = t.split_whitespace().collect();
        if fields.len() > 3 {
            return Err(malformed(format!(
                "line {}: a peak line has at most 3 fields (m/z, intensity, charge), found {}",
                self.line,
                fields.len()
            )));
        }
        let number = |what: &str, v: &str| -> Result<f64, ReadError> {
            v.parse().map_err(|_| malformed(format!("line {}: {what} {:?} is not a number", self.line, clip(v))))
        };
        s.mz.push(number("m/z", fields.first().copied().unwrap_or(t))?);
        s.intensity.push(fields.get(1).map(|v| number("intensity", v)).transpose()?);
        let charge =
            match fields.get(2) {
                Some(c) => Some(parse_charge(c).ok_or_else(|| {
                    malformed(format!("line {}: peak charge {:?} is not a charge", self.line, clip(c)))
                })?),
                None => None,
            };
        s.charge.push(charge);
        Ok(())
    }
}

/// At most 60 characters of `s`, for messages.
fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}
