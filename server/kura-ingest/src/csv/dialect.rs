//! Delimiters and the splitting of the sample into records, once per candidate delimiter.
//!
//! This splitter only looks at the sample (at most a few MiB); the streaming pass uses the `csv`
//! crate, whose quoting rules this follows: a field that starts with `"` is quoted, `""` inside
//! it is a quote, and quoted fields may hold delimiters and newlines.

/// A field delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delim {
    Byte(u8),
    /// Runs of spaces and tabs, as in whitespace-aligned instrument exports; no quoting.
    Whitespace,
}

impl Delim {
    /// Candidates in order of preference when they explain the sample equally well.
    pub(crate) const CANDIDATES: [Delim; 5] =
        [Delim::Byte(b'\t'), Delim::Byte(b','), Delim::Byte(b';'), Delim::Byte(b'|'), Delim::Whitespace];

    /// How the delimiter is recorded in the read parameters.
    pub(crate) fn name(self) -> String {
        match self {
            Delim::Byte(b) => char::from(b).to_string(),
            Delim::Whitespace => "whitespace".into(),
        }
    }
}

/// What one record of the sample is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RecKind {
    Blank,
    /// A line whose first non-blank character is `#`.
    Comment,
    Fields(Vec<String>),
}

/// One logical record of the sample (several lines when a quoted field holds newlines).
#[derive(Debug, Clone)]
pub(crate) struct Rec {
    /// 1-based line number of the record's first line.
    pub line: u64,
    /// Byte offset of the record in the decoded text.
    pub start: usize,
    /// Byte offset just past the record's line terminator.
    pub end: usize,
    pub kind: RecKind,
    /// The line reads as `key: value`.
    pub colon_kv: bool,
    /// The record holds a tab (runs of whitespace: a line split at spaces above rows split at
    /// tabs is a title, not their header).
    pub tab: bool,
}

impl Rec {
    /// The record's text without its line terminator.
    pub(crate) fn raw<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or_default().trim_end_matches(['\r', '\n'])
    }

    /// The fields, or none for blank and comment lines.
    pub(crate) fn fields(&self) -> &[String] {
        match &self.kind {
            RecKind::Fields(f) => f,
            _ => &[],
        }
    }
}

/// Splits the sample into records for `delim`, with `quote` as the quote character (`None`: no
/// quoting).
pub(crate) fn split_records(text: &str, delim: Delim, quote: Option<u8>) -> Vec<Rec> {
    let mut recs = Vec::new();
    let mut pos = 0;
    let mut line = 1u64;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let content = text[pos..line_end].trim_end_matches(['\r', '\n']);
        let trimmed = content.trim();
        let (kind, end) = if trimmed.is_empty() {
            (RecKind::Blank, line_end)
        } else if trimmed.starts_with('#') || is_section(trimmed, delim) {
            (RecKind::Comment, line_end)
        } else {
            match delim {
                Delim::Whitespace => {
                    let f = content.split_whitespace().map(str::to_string).collect();
                    (RecKind::Fields(f), line_end)
                }
                Delim::Byte(d) => match quote.and_then(|q| split_quoted(&text[pos..], d, q)) {
                    Some((f, used)) => (RecKind::Fields(f), pos + used),
                    None => (RecKind::Fields(split_plain(content, d)), line_end),
                },
            }
        };
        let colon_kv = matches!(kind, RecKind::Fields(_)) && colon_kv(content, delim).is_some();
        let tab = text[pos..end].contains('\t');
        recs.push(Rec { line, start: pos, end, kind, colon_kv, tab });
        line += text[pos..end].matches('\n').count() as u64;
        pos = end;
    }
    recs
}

/// Newlines allowed inside one quoted field of the sample before the quote is taken literally.
const MAX_QUOTED_LINES: usize = 64;

/// Splits one record with quoting by `q`; `None` when a quote is still open at the end of the
/// sample.
fn split_quoted(s: &str, d: u8, q: u8) -> Option<(Vec<String>, usize)> {
    let b = s.as_bytes();
    let mut fields = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let (mut i, mut in_q, mut at_start) = (0, false, true);
    // A quote left open by a stray `"` would otherwise swallow the rest of the sample each time.
    let mut quoted_newlines = 0;
    let finish = |cur: &mut Vec<u8>, fields: &mut Vec<String>| {
        fields.push(String::from_utf8_lossy(cur).into_owned());
        cur.clear();
    };
    while i < b.len() {
        let c = b[i];
        if in_q {
            if c == q {
                if b.get(i + 1) == Some(&q) {
                    cur.push(q);
                    i += 1;
                } else {
                    in_q = false;
                }
            } else {
                if c == b'\n' {
                    quoted_newlines += 1;
                    if quoted_newlines > MAX_QUOTED_LINES {
                        return None;
                    }
                }
                cur.push(c);
            }
        } else if c == q && at_start {
            in_q = true;
            at_start = false;
        } else if c == d {
            finish(&mut cur, &mut fields);
            at_start = true;
        } else if c == b'\n' {
            if cur.last() == Some(&b'\r') {
                cur.pop();
            }
            finish(&mut cur, &mut fields);
            return Some((fields, i + 1));
        } else {
            cur.push(c);
            at_start = false;
        }
        i += 1;
    }
    if in_q {
        return None;
    }
    if cur.last() == Some(&b'\r') {
        cur.pop();
    }
    finish(&mut cur, &mut fields);
    Some((fields, b.len()))
}

fn split_plain(content: &str, d: u8) -> Vec<String> {
    content.split(char::from(d)).map(str::to_string).collect()
}

/// Whether `q` quotes fields of the sample for delimiter `d`: it opens a field
/// (right after a delimiter or at the start of a line) and closes one before a delimiter or the
/// end of a line. Only then is it a candidate beside `"`.
pub(crate) fn quotes_fields(text: &str, d: u8, q: u8) -> bool {
    let b = text.as_bytes();
    let opens = memchr::memchr_iter(q, b).any(|i| i == 0 || b[i - 1] == b'\n' || b[i - 1] == d);
    let closes = memchr::memchr_iter(q, b)
        .any(|i| matches!(b.get(i + 1), None | Some(b'\r' | b'\n')) || b.get(i + 1) == Some(&d));
    opens && closes
}

/// An INI section line such as `[Region 1]`, read as a comment; it holds no delimiter.
fn is_section(trimmed: &str, delim: Delim) -> bool {
    let no_delim = match delim {
        Delim::Byte(d) => !trimmed.contains(char::from(d)),
        Delim::Whitespace => true,
    };
    no_delim && trimmed.len() > 2 && trimmed.starts_with('[') && trimmed.ends_with(']')
}

/// A metadata line: `key: value`, or INI-style `key=value` on a line without the delimiter.
/// The key starts with a letter, is short and holds no delimiter; a colon is followed by
/// whitespace or the end of the line (so `C:\path` and `12:30` do not match).
pub(crate) fn colon_kv(line: &str, delim: Delim) -> Option<(&str, &str)> {
    let line = line.trim();
    let key_ok = |key: &str| {
        key.chars().next().is_some_and(char::is_alphabetic)
            && key.chars().count() <= 80
            && match delim {
                Delim::Byte(d) => !key.contains(char::from(d)),
                Delim::Whitespace => !key.contains('\t'),
            }
    };
    if let Some(colon) = line.find(':') {
        let (key, rest) = (&line[..colon], &line[colon + 1..]);
        if key_ok(key) && rest.chars().next().is_none_or(char::is_whitespace) {
            return Some((key.trim(), rest.trim()));
        }
    }
    let eq = line.find('=')?;
    let (key, rest) = (&line[..eq], &line[eq + 1..]);
    let line_ok = match delim {
        Delim::Byte(d) => !line.contains(char::from(d)),
        Delim::Whitespace => true,
    };
    (line_ok && key_ok(key)).then(|| (key.trim(), rest.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_records_across_lines() {
        let text = "# c\r\na,\"b,\"\"x\"\"\nnext\"\r\n\r\n1 ,2\n";
        let recs = split_records(text, Delim::Byte(b','), Some(b'"'));
        let kinds: Vec<_> = recs.iter().map(|r| (r.line, r.kind.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (1, RecKind::Comment),
                (2, RecKind::Fields(vec!["a".into(), "b,\"x\"\nnext".into()])),
                (4, RecKind::Blank),
                (5, RecKind::Fields(vec!["1 ".into(), "2".into()])),
            ]
        );
        assert_eq!(recs[3].start, text.len() - 5);
        let single = split_records("'a;b';1\n'c';2\n", Delim::Byte(b';'), Some(b'\''));
        assert_eq!(single[0].fields(), ["a;b", "1"]);
        assert!(quotes_fields("'a;b';1\n'c';2\n", b';', b'\''));
        assert!(!quotes_fields("O'Brien;1\nd'Arc;2\n", b';', b'\''));
    }

    #[test]
    fn whitespace_runs() {
        let recs = split_records("  1350  15598.679\n1349\t15867.872", Delim::Whitespace, None);
        assert_eq!(recs[0].fields(), ["1350", "15598.679"]);
        assert_eq!(recs[1].fields(), ["1349", "15867.872"]);
    }

    #[test]
    fn colon_key_values() {
        let ws = Delim::Whitespace;
        assert_eq!(colon_kv("Region:   Survey", ws), Some(("Region", "Survey")));
        assert_eq!(colon_kv("Comment:", ws), Some(("Comment", "")));
        assert_eq!(colon_kv(r"C:\Users\x.vms", ws), None);
        assert_eq!(colon_kv("12:30:00 5", ws), None);
        assert_eq!(colon_kv("Cycle 0:FeO:Fe2p", ws), None);
        assert_eq!(colon_kv("a,b: c", Delim::Byte(b',')), None);
        assert_eq!(colon_kv("Pass Energy=50", ws), Some(("Pass Energy", "50")));
        assert_eq!(colon_kv("a=1,b=2", Delim::Byte(b',')), None);
        assert_eq!(colon_kv("=SUM(A1)", ws), None);
        let recs = split_records(
            "[Region 1]
[a,b]
",
            Delim::Byte(b','),
            Some(b'"'),
        );
        assert_eq!(
            (&recs[0].kind, &recs[1].kind),
            (&RecKind::Comment, &RecKind::Fields(vec!["[a".into(), "b]".into()]))
        );
    }
}
