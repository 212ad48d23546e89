//! CIF numbers with their standard uncertainty: `5.4309(2)` is 5.4309 with su 0.0002, the
//! parenthesised digits counting in units of the last decimal place written.

/// A parsed CIF number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number {
    pub value: f64,
    /// Set when the mantissa is an integer without point or exponent and fits an `i64`.
    pub int: Option<i64>,
    pub su: Option<f64>,
}

/// Parses a bare CIF numeric value; `None` when `s` is not one (or is not finite).
pub(crate) fn parse(s: &str) -> Option<Number> {
    let (mantissa, su_digits) = match s.strip_suffix(')') {
        Some(inner) => {
            let open = inner.rfind('(')?;
            let digits = &inner[open + 1..];
            if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (&inner[..open], Some(digits))
        }
        None => (s, None),
    };
    let shape = shape(mantissa)?;
    let value: f64 = mantissa.parse().ok().filter(|v: &f64| v.is_finite())?;
    let int = if shape.decimals.is_none() && shape.exponent.is_none() { mantissa.parse().ok() } else { None };
    let su = match su_digits {
        Some(d) => {
            let scale = i64::from(shape.exponent.unwrap_or(0)) - shape.decimals.unwrap_or(0) as i64;
            Some(format!("{d}e{scale}").parse::<f64>().ok().filter(|v| v.is_finite())?)
        }
        None => None,
    };
    Some(Number { value, int, su })
}

struct Shape {
    /// Digits after the decimal point, when there is a point.
    decimals: Option<usize>,
    exponent: Option<i32>,
}

/// Checks the CIF 1.1 numeric grammar: `[+-]digits[.digits][(e|E)[+-]digits]`, with at least
/// one digit in the mantissa (`.5` and `5.` are numbers).
fn shape(m: &str) -> Option<Shape> {
    let body = m.strip_prefix(['+', '-']).unwrap_or(m);
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac) = match mant.find('.') {
        Some(i) => (&mant[..i], Some(&mant[i + 1..])),
        None => (mant, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int_part) || !frac.is_none_or(digits) || int_part.len() + frac.map_or(0, str::len) == 0 {
        return None;
    }
    let exponent = match exp {
        Some(e) => {
            let d = e.strip_prefix(['+', '-']).unwrap_or(e);
            if d.is_empty() || !digits(d) {
                return None;
            }
            Some(e.parse::<i32>().ok()?)
        }
        None => None,
    };
    Some(Shape { decimals: frac.map(str::len), exponent })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_and_uncertainties() {
        let n = |s: &str| parse(s).map(|n| (n.value, n.int, n.su));
        assert_eq!(n("5.4309(2)"), Some((5.4309, None, Some(0.0002))));
        assert_eq!(n("150(2)"), Some((150.0, Some(150), Some(2.0))));
        assert_eq!(n("0."), Some((0.0, None, None)));
        assert_eq!(n(".5"), Some((0.5, None, None)));
        assert_eq!(n("-4.000"), Some((-4.0, None, None)));
        assert_eq!(n("1.2e3(4)"), Some((1200.0, None, Some(400.0))));
        assert_eq!(n("1.25E-2(3)"), Some((0.0125, None, Some(0.0003))));
        assert_eq!(n("0.00525(18)"), Some((0.00525, None, Some(0.00018))));
        assert_eq!(n("+7"), Some((7.0, Some(7), None)));
        for bad in ["", ".", "?", "1/2", "x", "1e", "1.2.3", "1(2", "1()", "1(a)", "nan", "inf", "1e999", "-"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
