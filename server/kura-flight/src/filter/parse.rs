//! The filter language of Flight commands: comparisons joined by `AND`,
//!
//! ```text
//! filter     = comparison { "AND" comparison }
//! comparison = column op value
//! op         = "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
//! value      = number | 'single-quoted text' ('' escapes a quote) | true | false
//! column     = name | "double-quoted name"
//! ```
//!
//! e.g. `Temperature >= 20.5 AND sample = 'A-1'`. Only std and thiserror here: the fuzz target
//! (`server/kura-flight/fuzz`) compiles this file alone, as the server compiles it.

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(String),
    Text(String),
    Bool(bool),
}

/// `column op value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub column: String,
    pub op: Op,
    pub value: Value,
}

/// Comparisons that must all hold.
pub type Filter = Vec<Comparison>;

/// A filter that does not follow the grammar; a client error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("filter: {0}")]
pub struct ParseError(String);

fn invalid(message: impl Into<String>) -> ParseError {
    ParseError(message.into())
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Op(Op),
    Number(String),
    Text(String),
}

fn tokens(input: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(invalid("unterminated quote")),
                    Some(&q) if q == c && chars.get(i + 1) == Some(&c) => {
                        s.push(c);
                        i += 2;
                    }
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        s.push(other);
                        i += 1;
                    }
                }
            }
            out.push(if c == '\'' { Token::Text(s) } else { Token::Ident(s) });
        } else if "=!<>".contains(c) {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let (op, n) = match two.as_str() {
                "!=" | "<>" => (Op::Ne, 2),
                "<=" => (Op::Le, 2),
                ">=" => (Op::Ge, 2),
                _ => match c {
                    '=' => (Op::Eq, 1),
                    '<' => (Op::Lt, 1),
                    '>' => (Op::Gt, 1),
                    _ => return Err(invalid(format!("unknown operator at {i}"))),
                },
            };
            out.push(Token::Op(op));
            i += n;
        } else if c.is_ascii_digit() || ((c == '-' || c == '+' || c == '.') && i + 1 < chars.len()) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || ".+-_".contains(chars[i])) {
                if (chars[i] == '-' || chars[i] == '+') && !matches!(chars[i - 1], 'e' | 'E') {
                    break;
                }
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            s.parse::<f64>().map_err(|_| invalid(format!("not a number: {s}")))?;
            out.push(Token::Number(s));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "_.-".contains(chars[i])) {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            return Err(invalid(format!("unexpected {c:?} at {i}")));
        }
    }
    Ok(out)
}

/// Parses a filter; an empty string is no filter.
pub fn parse(input: &str) -> Result<Filter, ParseError> {
    let mut toks = tokens(input)?.into_iter().peekable();
    let mut out = Vec::new();
    while toks.peek().is_some() {
        if !out.is_empty() {
            match toks.next() {
                Some(Token::Ident(w)) if w.eq_ignore_ascii_case("and") => {}
                _ => return Err(invalid("comparisons are joined by AND")),
            }
        }
        let column = match toks.next() {
            Some(Token::Ident(c)) => c,
            _ => return Err(invalid("expected a column name")),
        };
        let op = match toks.next() {
            Some(Token::Op(op)) => op,
            _ => return Err(invalid(format!("expected an operator after {column}"))),
        };
        let value = match toks.next() {
            Some(Token::Number(n)) => Value::Number(n),
            Some(Token::Text(t)) => Value::Text(t),
            Some(Token::Ident(w)) if w.eq_ignore_ascii_case("true") => Value::Bool(true),
            Some(Token::Ident(w)) if w.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(invalid(format!("expected a value after {column}"))),
        };
        out.push(Comparison { column, op, value });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse() {
        let f = parse("Temperature >= 20.5 AND sample = 'A''1' and \"odd name\" != -3e2 AND ok = true").unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0], Comparison { column: "Temperature".into(), op: Op::Ge, value: Value::Number("20.5".into()) });
        assert_eq!(f[1].value, Value::Text("A'1".into()));
        assert_eq!(f[2].column, "odd name");
        assert_eq!(f[2].value, Value::Number("-3e2".into()));
        assert_eq!(f[3].value, Value::Bool(true));
        assert!(parse("").unwrap().is_empty());
        for bad in ["a >", "a 1", "a = 1 OR b = 2", "= 1", "a = 'x", "a = 1 b = 2", "a ~ 1"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
