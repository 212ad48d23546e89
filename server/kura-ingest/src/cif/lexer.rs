//! CIF 1.1 tokens: reserved words, tags, and values (bare, quoted, or `;` text fields), with the
//! line each starts on. Comments are dropped here.

use std::io::BufRead;

use super::lines::Lines;
use super::malformed;
use crate::ReadError;

/// Largest text field accepted, in bytes; a file that never closes one fails at the end anyway,
/// this keeps a huge one from taking the memory first.
pub(crate) const TEXT_FIELD_LIMIT: usize = 64 * 1024 * 1024;

/// How a value was written; quoted values are text even when they look like numbers (as in
/// gemmi and the CIF dictionaries' practice), and only bare `?` and `.` are null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bare,
    Quoted,
    TextField,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Value {
    pub text: String,
    pub kind: Kind,
}

impl Value {
    /// `?` (unknown) or `.` (inapplicable), both read as null.
    pub(crate) fn is_null(&self) -> bool {
        self.kind == Kind::Bare && (self.text == "?" || self.text == ".")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    Data(String),
    Global,
    Save(String),
    Loop,
    Stop,
    Tag(String),
    Value(Value),
}

pub(crate) struct Lexer<R> {
    lines: Lines<R>,
    line: String,
    pos: usize,
    /// Whether `line` holds an unread line (false before the first and after the end).
    live: bool,
    peeked: Option<(Token, u64)>,
}

impl<R: BufRead> Lexer<R> {
    pub(crate) fn new(inner: R) -> Self {
        Lexer { lines: Lines::new(inner), line: String::new(), pos: 0, live: false, peeked: None }
    }

    pub(crate) fn consumed(&self) -> u64 {
        self.lines.consumed
    }

    pub(crate) fn legacy_line(&self) -> Option<u64> {
        self.lines.legacy_line
    }

    pub(crate) fn peek(&mut self) -> Result<Option<&(Token, u64)>, ReadError> {
        if self.peeked.is_none() {
            self.peeked = self.scan()?;
        }
        Ok(self.peeked.as_ref())
    }

    /// The next token and the line it starts on.
    pub(crate) fn next(&mut self) -> Result<Option<(Token, u64)>, ReadError> {
        match self.peeked.take() {
            Some(t) => Ok(Some(t)),
            None => self.scan(),
        }
    }

    fn scan(&mut self) -> Result<Option<(Token, u64)>, ReadError> {
        loop {
            if !self.live || self.pos >= self.line.len() {
                if !self.lines.next_line(&mut self.line)? {
                    self.live = false;
                    return Ok(None);
                }
                self.live = true;
                self.pos = 0;
                if self.line.starts_with(';') {
                    return self.text_field().map(Some);
                }
            }
            let rest = &self.line[self.pos..];
            let trimmed = rest.trim_start_matches([' ', '\t']);
            self.pos += rest.len() - trimmed.len();
            let Some(first) = trimmed.chars().next() else { continue };
            let start_line = self.lines.number;
            if first == '#' {
                self.pos = self.line.len();
                continue;
            }
            if first == '\'' || first == '"' {
                // A quote closes only where whitespace or the line end follows it (CIF 1.1), so
                // `'-P 3 2"'` and `'O'Neil'` are one value each.
                let body = &trimmed[1..];
                let close = body
                    .char_indices()
                    .find(|&(i, c)| c == first && body[i + 1..].chars().next().is_none_or(|n| n == ' ' || n == '\t'));
                let Some((i, _)) = close else {
                    return Err(malformed(format!("unterminated quoted string at line {start_line}")));
                };
                let text = body[..i].to_string();
                self.pos += 1 + i + 1;
                return Ok(Some((Token::Value(Value { text, kind: Kind::Quoted }), start_line)));
            }
            let end = trimmed.find([' ', '\t']).unwrap_or(trimmed.len());
            let word = &trimmed[..end];
            self.pos += end;
            return Ok(Some((classify(word), start_line)));
        }
    }

    /// A text field: from after the `;` opening this line to the line ending before the next
    /// line that starts with `;`; tokens may follow that closing `;` on its line.
    fn text_field(&mut self) -> Result<(Token, u64), ReadError> {
        let start_line = self.lines.number;
        let mut text = self.line[1..].to_string();
        let mut next = String::new();
        loop {
            if !self.lines.next_line(&mut next)? {
                return Err(malformed(format!("unterminated text field starting at line {start_line}")));
            }
            if next.starts_with(';') {
                std::mem::swap(&mut self.line, &mut next);
                self.pos = 1;
                return Ok((Token::Value(Value { text, kind: Kind::TextField }), start_line));
            }
            if text.len() + next.len() > TEXT_FIELD_LIMIT {
                return Err(malformed(format!(
                    "text field starting at line {start_line} is longer than {TEXT_FIELD_LIMIT} bytes"
                )));
            }
            text.push('\n');
            text.push_str(&next);
        }
    }
}

fn classify(word: &str) -> Token {
    if word.starts_with('_') {
        return Token::Tag(word.to_string());
    }
    let lower = word.get(..7).unwrap_or(word).to_ascii_lowercase();
    if lower.starts_with("data_") {
        return Token::Data(word[5..].to_string());
    }
    if lower.starts_with("save_") {
        return Token::Save(word[5..].to_string());
    }
    match word.to_ascii_lowercase().as_str() {
        "loop_" => Token::Loop,
        "global_" => Token::Global,
        "stop_" => Token::Stop,
        _ => Token::Value(Value { text: word.to_string(), kind: Kind::Bare }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Result<Vec<Token>, ReadError> {
        let mut lexer = Lexer::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some((t, _)) = lexer.next()? {
            out.push(t);
        }
        Ok(out)
    }

    fn bare(s: &str) -> Token {
        Token::Value(Value { text: s.into(), kind: Kind::Bare })
    }

    fn quoted(s: &str) -> Token {
        Token::Value(Value { text: s.into(), kind: Kind::Quoted })
    }

    #[test]
    fn reads_words_quotes_and_text_fields() {
        let got = tokens("data_x # c\n_a 'O'Neil' _b \"-P 3 2'\"\n;\n line\n; loop_\n_c ?").unwrap();
        let expected = vec![
            Token::Data("x".into()),
            Token::Tag("_a".into()),
            quoted("O'Neil"),
            Token::Tag("_b".into()),
            quoted("-P 3 2'"),
            Token::Value(Value { text: "\n line".into(), kind: Kind::TextField }),
            Token::Loop,
            Token::Tag("_c".into()),
            bare("?"),
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn unterminated_strings_name_their_line() {
        let e = tokens("data_x\n_a 'open\n").unwrap_err().to_string();
        assert!(e.contains("unterminated quoted string at line 2"), "{e}");
        let e = tokens("data_x\n_a\n;\ntext\n").unwrap_err().to_string();
        assert!(e.contains("unterminated text field starting at line 3"), "{e}");
    }
}
