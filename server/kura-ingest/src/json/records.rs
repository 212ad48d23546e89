//! Splits a JSON document into its top-level records without parsing them: NDJSON (one object
//! per line), concatenated objects, or one array of objects. Streams, so a large file never sits
//! in memory whole; each record is bounded.

use std::io::Read;

use crate::ReadError;

/// Largest single record accepted.
pub const RECORD_LIMIT: usize = 16 * 1024 * 1024;

fn malformed(message: impl Into<String>) -> ReadError {
    ReadError::Malformed { format: "json", message: message.into() }
}

/// Yields the bytes of each top-level object, in order.
pub struct Records<R> {
    input: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// Bytes consumed so far, for progress.
    pub consumed: u64,
    /// The document is one array: records sit at depth 1.
    in_array: Option<bool>,
    done: bool,
}

impl<R: Read> Records<R> {
    pub fn new(input: R) -> Self {
        Records { input, buf: vec![0; 1 << 16], pos: 0, len: 0, consumed: 0, in_array: None, done: false }
    }

    fn next_byte(&mut self) -> Result<Option<u8>, ReadError> {
        if self.pos == self.len {
            self.len = self.input.read(&mut self.buf)?;
            self.pos = 0;
            if self.len == 0 {
                return Ok(None);
            }
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        self.consumed += 1;
        Ok(Some(b))
    }

    /// The next record, or `None` at the end of the document.
    pub fn next_record(&mut self, record: &mut Vec<u8>) -> Result<bool, ReadError> {
        record.clear();
        if self.done {
            return Ok(false);
        }
        // Skip to the start of the next object.
        loop {
            let Some(b) = self.next_byte()? else {
                if self.in_array == Some(true) {
                    return Err(malformed("the array is not closed"));
                }
                self.done = true;
                return Ok(false);
            };
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | b',' => {}
                b'[' if self.in_array.is_none() => self.in_array = Some(true),
                b']' if self.in_array == Some(true) => {
                    self.done = true;
                    return Ok(false);
                }
                b'{' => {
                    if self.in_array.is_none() {
                        self.in_array = Some(false);
                    }
                    break;
                }
                other => {
                    return Err(malformed(format!(
                        "expected an object at byte {}, found {:?}",
                        self.consumed, other as char
                    )));
                }
            }
        }
        record.push(b'{');
        let (mut depth, mut in_string, mut escaped) = (1usize, false, false);
        while depth > 0 {
            let Some(b) = self.next_byte()? else { return Err(malformed("the document ends inside a record")) };
            record.push(b);
            if record.len() > RECORD_LIMIT {
                return Err(malformed(format!("a record is longer than {RECORD_LIMIT} bytes")));
            }
            if in_string {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth -= 1,
                _ => {}
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Result<Vec<String>, ReadError> {
        let mut records = Records::new(text.as_bytes());
        let mut out = Vec::new();
        let mut record = Vec::new();
        while records.next_record(&mut record)? {
            out.push(String::from_utf8(record.clone()).unwrap());
        }
        Ok(out)
    }

    #[test]
    fn ndjson_arrays_and_nesting_split_into_records() {
        assert_eq!(split("{\"a\":1}\n{\"a\":2}\n").unwrap(), ["{\"a\":1}", "{\"a\":2}"]);
        assert_eq!(
            split("[ {\"a\": {\"b\": [1, {}]}} , {\"s\": \"}{\\\"\"} ]").unwrap(),
            ["{\"a\": {\"b\": [1, {}]}}", "{\"s\": \"}{\\\"\"}"]
        );
        assert!(split("").unwrap().is_empty());
    }

    #[test]
    fn broken_documents_are_refused() {
        assert!(split("[{\"a\":1}").is_err());
        assert!(split("{\"a\":1").is_err());
        assert!(split("[1, 2]").is_err());
        assert!(split("\"just a string\"").is_err());
    }
}
