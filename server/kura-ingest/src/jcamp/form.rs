//! Data forms as `##XYDATA=`, `##PEAK TABLE=` and `##DATA TABLE=` declare them, and the
//! abscissa spacing of incremental forms.

/// A declared data form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Form {
    /// `(X++(Y..Y))`: a line holds an abscissa and ordinates at equal abscissa steps.
    Incremental { x: String, y: String },
    /// `(XY..XY)`, `(XYW..XYW)`, `(XYT..XYT)`: whole tuples, one symbol per column.
    Tuples(Vec<String>),
}

impl Form {
    /// The symbols the form names, in column order.
    pub(crate) fn symbols(&self) -> Vec<String> {
        match self {
            Form::Incremental { x, y } => vec![x.clone(), y.clone()],
            Form::Tuples(s) => s.clone(),
        }
    }
}

/// Parses a form such as `(X++(Y..Y))` or `(F2++(Y..Y)), PROFILE`; `known` are the declared
/// symbols (upper case), which lets multi-character symbols (`F1F2Y`) be split.
pub(crate) fn parse(value: &str, known: &[String]) -> Option<Form> {
    let inner = outer_parentheses(value)?;
    let inner: String = inner.chars().filter(|c| !c.is_whitespace() && *c != ',').collect::<String>().to_uppercase();
    if let Some(p) = inner.find("++") {
        let x = inner[..p].to_string();
        let rest = inner[p + 2..].trim_start_matches('(').trim_end_matches(')');
        let y = rest.split("..").next()?.to_string();
        if x.is_empty() || y.is_empty() {
            return None;
        }
        return Some(Form::Incremental { x, y });
    }
    let tuple = inner.split("..").next()?;
    let symbols = split_symbols(tuple, known)?;
    (!symbols.is_empty()).then_some(Form::Tuples(symbols))
}

/// The text inside the first balanced pair of parentheses.
fn outer_parentheses(value: &str) -> Option<&str> {
    let start = value.find('(')?;
    let mut depth = 0usize;
    for (i, c) in value[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&value[start + 1..start + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// `XYW` → X, Y, W; `F1F2Y` → F1, F2, Y. Declared symbols win, longest first.
fn split_symbols(s: &str, known: &[String]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let declared = known.iter().filter(|k| !k.is_empty() && rest.starts_with(k.as_str())).max_by_key(|k| k.len());
        let len = match declared {
            Some(k) => k.len(),
            None => {
                let first = rest.chars().next()?;
                if !first.is_ascii_alphabetic() {
                    return None;
                }
                1 + rest[1..].chars().take_while(char::is_ascii_digit).count()
            }
        };
        out.push(rest[..len].to_string());
        rest = &rest[len..];
    }
    Some(out)
}

/// Abscissas of an incremental form: `first + i * step`, with the declared last value exactly
/// at the declared last index so that a spectrum ends where its header says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Spacing {
    pub first: f64,
    pub step: f64,
    pub last: Option<(u64, f64)>,
}

impl Spacing {
    /// From FIRST, LAST and the point count when all are known (count ≥ 2), else FIRST and a
    /// step (DELTAX).
    pub(crate) fn new(first: Option<f64>, last: Option<f64>, count: Option<f64>, delta: Option<f64>) -> Option<Self> {
        let first = first?;
        let count = count.filter(|n| *n >= 1.0 && n.fract() == 0.0 && *n < 1e15);
        match (last, count) {
            (Some(last), Some(n)) if n >= 2.0 => {
                Some(Spacing { first, step: (last - first) / (n - 1.0), last: Some((n as u64 - 1, last)) })
            }
            _ => match delta {
                Some(step) => Some(Spacing { first, step, last: None }),
                None if count == Some(1.0) => Some(Spacing { first, step: 0.0, last: None }),
                None => None,
            },
        }
    }

    pub(crate) fn at(&self, i: u64) -> f64 {
        match self.last {
            Some((n, last)) if n == i => last,
            _ => self.first + i as f64 * self.step,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn forms_parse() {
        let inc = |x: &str, y: &str| Some(Form::Incremental { x: x.into(), y: y.into() });
        assert_eq!(parse("(X++(Y..Y))", &[]), inc("X", "Y"));
        assert_eq!(parse(" (F2++(Y..Y)), PROFILE", &s(&["F1", "F2", "Y"])), inc("F2", "Y"));
        assert_eq!(parse("(X++(R..R)), XYDATA", &[]), inc("X", "R"));
        assert_eq!(parse("(XY..XY)", &[]), Some(Form::Tuples(s(&["X", "Y"]))));
        assert_eq!(parse("(XYW..XYW)", &[]), Some(Form::Tuples(s(&["X", "Y", "W"]))));
        assert_eq!(parse("(XYT..XYT), PEAKS", &s(&["X", "Y", "T"])), Some(Form::Tuples(s(&["X", "Y", "T"]))));
        assert_eq!(parse("(F1F2Y..F1F2Y)", &s(&["F1", "F2", "Y"])), Some(Form::Tuples(s(&["F1", "F2", "Y"]))));
        assert_eq!(parse("XYDATA", &[]), None);
        assert_eq!(parse("((", &[]), None);
    }

    #[test]
    fn spacing_ends_on_the_declared_last_value() {
        let sp = Spacing::new(Some(10.0), Some(0.0), Some(3.0), None).unwrap();
        assert_eq!((sp.at(0), sp.at(1), sp.at(2)), (10.0, 5.0, 0.0));
        let sp = Spacing::new(Some(1.0), None, None, Some(-0.5)).unwrap();
        assert_eq!(sp.at(2), 0.0);
        assert_eq!(Spacing::new(Some(1.0), None, None, None), None);
        assert_eq!(Spacing::new(None, Some(1.0), Some(5.0), None), None);
    }
}
