//! Ordinate decoding for the JCAMP-DX data forms: AFFN (free-format numbers) and the ASCII
//! squeezed difference forms (ASDF) of JCAMP-DX 4.24 section 5.9: PACKED (`+`/`-` as
//! separators), SQUEEZED (`@A-Ia-i` carry the sign and first digit), DIFFERENCE (`%J-Rj-r`:
//! the value is a difference from the previous one) and DUPLICATE (`S-Zs`: repeat count).
//!
//! A line is first cut into tokens, then [`XyDecoder`] turns an `(X++(Y..Y))` line's tokens into
//! ordinates, applying the Y-value check: when a line ends in difference form, the next line
//! starts by repeating its last ordinate, which is compared and then dropped.

/// Longest number accepted in one token, in characters.
const TOKEN_LIMIT: usize = 64;
/// Largest repeat count accepted in one DUP token: beyond it a file is lying, not compressing.
pub(crate) const DUP_LIMIT: u64 = 1 << 24;

/// One token of a data line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Token {
    /// An absolute value (AFFN, PACKED or SQUEEZED); `None` for the `?` of a missing value.
    Value(Option<f64>),
    /// A difference from the previous value (DIF).
    Dif(f64),
    /// Repeat the previous token so that it occurs this many times in all (DUP).
    Dup(u64),
}

/// Which compression forms a data section used, for the report.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Forms {
    pub packed: bool,
    pub squeezed: bool,
    pub difference: bool,
    pub duplicate: bool,
}

impl Forms {
    /// The JCAMP name of the strongest form seen.
    pub(crate) fn name(&self) -> &'static str {
        if self.difference || self.duplicate {
            "DIFDUP"
        } else if self.squeezed {
            "SQUEEZED"
        } else if self.packed {
            "PACKED"
        } else {
            "FIX"
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Abs,
    Dif,
    Dup,
}

fn is_asdf_letter(b: u8) -> bool {
    matches!(b, b'@' | b'%' | b'A'..=b'D' | b'F'..=b'Z' | b'a'..=b'd' | b'f'..=b'j' | b'k'..=b'r' | b's')
}

/// Cuts a data line (comment already removed) into tokens, appended to `out`. Errors name the
/// column (1-based) of the offending character.
pub(crate) fn tokenize(line: &str, out: &mut Vec<Token>, forms: &mut Forms) -> Result<(), String> {
    // `E` and `e` are both SQUEEZED digits and exponent markers; a line with no other ASDF letter
    // is read as AFFN, so `1.5E-3` is a number there.
    let affn = !line.bytes().any(is_asdf_letter);
    let mut kind = Kind::Abs;
    let mut num = String::new();
    let mut open = false;
    for (i, ch) in line.char_indices() {
        let column = i + 1;
        let b = if ch.is_ascii() { ch as u8 } else { 0 };
        match b {
            b'0'..=b'9' | b'.' => {
                if !open {
                    open = true;
                    kind = Kind::Abs;
                    num.clear();
                }
                push(&mut num, ch, column)?;
            }
            b'e' | b'E'
                if affn
                    && open
                    && kind == Kind::Abs
                    && !num.contains(['e', 'E'])
                    && num.ends_with(|c: char| c.is_ascii_digit() || c == '.') =>
            {
                push(&mut num, 'e', column)?;
            }
            b'+' | b'-' if affn && open && num.ends_with('e') => push(&mut num, ch, column)?,
            b'+' | b'-' => {
                if open {
                    forms.packed = true;
                }
                finish(&mut open, kind, &num, out, column)?;
                open = true;
                kind = Kind::Abs;
                num.clear();
                if b == b'-' {
                    num.push('-');
                }
            }
            b'@' | b'A'..=b'I' | b'a'..=b'i' => {
                finish(&mut open, kind, &num, out, column)?;
                forms.squeezed = true;
                start(&mut open, &mut kind, &mut num, Kind::Abs, b, b'@', b'A', b'a');
            }
            b'%' | b'J'..=b'R' | b'j'..=b'r' => {
                finish(&mut open, kind, &num, out, column)?;
                forms.difference = true;
                start(&mut open, &mut kind, &mut num, Kind::Dif, b, b'%', b'J', b'j');
            }
            b'S'..=b'Z' | b's' => {
                finish(&mut open, kind, &num, out, column)?;
                forms.duplicate = true;
                open = true;
                kind = Kind::Dup;
                num.clear();
                num.push(char::from(if b == b's' { b'9' } else { b - b'S' + b'1' }));
            }
            b'?' => {
                finish(&mut open, kind, &num, out, column)?;
                out.push(Token::Value(None));
            }
            b' ' | b'\t' | b',' | b';' => finish(&mut open, kind, &num, out, column)?,
            _ => return Err(format!("unexpected character {ch:?} at column {column}")),
        }
    }
    finish(&mut open, kind, &num, out, line.len() + 1)
}

fn push(num: &mut String, ch: char, column: usize) -> Result<(), String> {
    if num.len() >= TOKEN_LIMIT {
        return Err(format!("number longer than {TOKEN_LIMIT} characters at column {column}"));
    }
    num.push(ch);
    Ok(())
}

/// Starts a token whose first character encodes a digit: `zero` is 0, `upper` starts the
/// positive digits 1-9 and `lower` the negative ones.
#[allow(clippy::too_many_arguments)]
fn start(open: &mut bool, kind: &mut Kind, num: &mut String, k: Kind, b: u8, zero: u8, upper: u8, lower: u8) {
    *open = true;
    *kind = k;
    num.clear();
    if b == zero {
        num.push('0');
    } else if b >= lower {
        num.push('-');
        num.push(char::from(b - lower + b'1'));
    } else {
        num.push(char::from(b - upper + b'1'));
    }
}

fn finish(open: &mut bool, kind: Kind, num: &str, out: &mut Vec<Token>, column: usize) -> Result<(), String> {
    if !*open {
        return Ok(());
    }
    *open = false;
    let bad = || format!("invalid number {num:?} before column {column}");
    out.push(match kind {
        Kind::Abs => Token::Value(Some(num.parse::<f64>().map_err(|_| bad())?)),
        Kind::Dif => Token::Dif(num.parse::<f64>().map_err(|_| bad())?),
        Kind::Dup => {
            let n: u64 = num.parse().map_err(|_| bad())?;
            if n == 0 || n > DUP_LIMIT {
                return Err(format!("duplicate count {num} out of range before column {column}"));
            }
            Token::Dup(n)
        }
    });
    Ok(())
}

/// Decodes `(X++(Y..Y))` lines one after another, keeping what the Y-value check needs.
#[derive(Debug, Default)]
pub(crate) struct XyDecoder {
    /// Last ordinate decoded (raw, before YFACTOR).
    last: Option<f64>,
    /// Whether the previous line ended in difference form, so this line starts with a check.
    check_pending: bool,
}

impl XyDecoder {
    /// Decodes one line's tokens: returns the abscissa the line starts with and calls `emit`
    /// with each raw ordinate (the check value excluded). `line` numbers errors.
    pub(crate) fn line<E>(
        &mut self,
        tokens: &[Token],
        line: u64,
        emit: &mut dyn FnMut(Option<f64>) -> Result<(), E>,
    ) -> Result<Option<f64>, LineError<E>> {
        let Some((first, rest)) = tokens.split_first() else {
            return Ok(None);
        };
        let Token::Value(Some(x)) = *first else {
            return Err(LineError::Bad(format!("line {line} does not start with an abscissa")));
        };
        let mut first_y = true;
        let mut previous: Option<Token> = None;
        let mut put = |v: Option<f64>, this: &mut Self| -> Result<(), LineError<E>> {
            if first_y && this.check_pending {
                first_y = false;
                let expected = this.last;
                let same = match (expected, v) {
                    (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()),
                    (None, None) => true,
                    _ => false,
                };
                if !same {
                    return Err(LineError::Bad(format!(
                        "y check failed at line {line}: the line starts with {}, the previous line ended with {}",
                        show(v),
                        show(expected)
                    )));
                }
                return Ok(());
            }
            first_y = false;
            this.last = v;
            emit(v).map_err(LineError::Emit)
        };
        for token in rest {
            match *token {
                Token::Value(v) => {
                    put(v, self)?;
                    previous = Some(*token);
                }
                Token::Dif(d) => {
                    let Some(base) = self.last else {
                        return Err(LineError::Bad(format!("line {line}: a difference follows no value")));
                    };
                    put(Some(base + d), self)?;
                    previous = Some(*token);
                }
                Token::Dup(n) => {
                    let Some(repeated) = previous else {
                        return Err(LineError::Bad(format!("line {line}: a duplicate count follows no value")));
                    };
                    for _ in 1..n {
                        match repeated {
                            Token::Dif(d) => {
                                let base = self.last.ok_or_else(|| {
                                    LineError::Bad(format!("line {line}: a difference follows no value"))
                                })?;
                                put(Some(base + d), self)?;
                            }
                            Token::Value(v) => put(v, self)?,
                            Token::Dup(_) => {}
                        }
                    }
                }
            }
        }
        if previous.is_some() {
            self.check_pending = matches!(previous, Some(Token::Dif(_)));
        }
        Ok(Some(x))
    }
}

/// Why a line could not be decoded: the data was bad, or the receiver of values failed.
#[derive(Debug)]
pub(crate) enum LineError<E> {
    Bad(String),
    Emit(E),
}

fn show(v: Option<f64>) -> String {
    v.map_or_else(|| "?".to_string(), |v| v.to_string())
}
