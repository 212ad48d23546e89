//! Parsing of single cell values, shared by type inference and the column builders so that
//! whatever inference accepts, the streaming pass accepts too.
//!
//! Missing values: an empty cell is null in every column. In numeric, boolean and timestamp
//! columns these tokens are null as well (case-insensitive where alphabetic): `NA`, `N/A`,
//! `NaN`, `null`, `none`, `-`, `#N/A` and the Windows C runtime spellings `1.#IND`, `-1.#IND`,
//! `1.#INF`, `-1.#INF`, `1.#QNAN`, `-1.#QNAN`. `NaN` becomes null rather than a float NaN, so
//! statistics over the column stay meaningful. In text columns only the empty cell is null.

/// The outcome of parsing one cell as a given type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Parsed<T> {
    Null,
    Value(T),
    /// The cell does not fit the type; the column must be widened.
    Mismatch,
}

/// What a single cell looks like, for inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Empty or a missing-value token; `numeric` when the token only makes sense for numbers
    /// (`NaN`, `-1.#IND`), which lets an all-missing column still be typed as float.
    Null {
        numeric: bool,
    },
    Int,
    Float,
    Bool,
    Timestamp {
        tz: bool,
    },
    Text,
}

/// How numbers are written: the decimal separator (`.` or `,`) and an optional thousands
/// separator (`1,234.5`, `1.234,5`, `1'234.5`), a dimension of the dialect like the delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Numbers {
    pub decimal: u8,
    pub group: Option<u8>,
}

impl Numbers {
    pub(crate) const DOT: Numbers = Numbers { decimal: b'.', group: None };
    pub(crate) const COMMA: Numbers = Numbers { decimal: b',', group: None };

    /// The formats detection tries, in order of preference when they explain a sample equally.
    pub(crate) const CANDIDATES: [Numbers; 5] = [
        Numbers::DOT,
        Numbers::COMMA,
        Numbers { decimal: b'.', group: Some(b',') },
        Numbers { decimal: b',', group: Some(b'.') },
        Numbers { decimal: b'.', group: Some(b'\'') },
    ];

    /// Whether `v` is a number only with this format's thousands separator: it has one, its
    /// groups are right, and without grouping it is no number (`1,234` is 1.234 with a decimal
    /// comma, so with `,` groups and `.` decimals it needs the group; `12,5` never does).
    pub(crate) fn needs_group(self, v: &[u8]) -> bool {
        let Some(g) = self.group else { return false };
        let v = v.trim_ascii();
        let plain = Numbers { decimal: self.decimal, group: None };
        v.contains(&g) && ungroup(v, self).is_some() && matches!(parse_f64_dec(v, plain), Parsed::Mismatch)
    }
}

/// Classifies one cell with `num` as the number format; `v` is the raw cell, trimmed here.
pub(crate) fn classify_dec(v: &[u8], num: Numbers) -> Kind {
    let v = v.trim_ascii();
    if v.is_empty() {
        return Kind::Null { numeric: false };
    }
    if let Parsed::Value(_) = parse_i64_num(v, num) {
        return Kind::Int;
    }
    match parse_f64_dec(v, num) {
        Parsed::Value(_) => return Kind::Float,
        Parsed::Null => return Kind::Null { numeric: is_numeric_null(v) },
        Parsed::Mismatch => {}
    }
    if let Parsed::Value(_) = parse_bool(v) {
        return Kind::Bool;
    }
    if let Some((_, tz)) = parse_timestamp(v) {
        return Kind::Timestamp { tz };
    }
    Kind::Text
}

/// Whether the cell carries a value that inference counts as data (numbers, dates, booleans).
pub(crate) fn is_data_like(v: &[u8]) -> bool {
    is_data_like_dec(v, Numbers::DOT)
}

/// [`is_data_like`] with `num` as the number format.
pub(crate) fn is_data_like_dec(v: &[u8], num: Numbers) -> bool {
    !matches!(classify_dec(v, num), Kind::Text | Kind::Null { numeric: false })
}

/// Whether the (trimmed) cell is a missing-value token.
pub(crate) fn is_null_token(v: &[u8]) -> bool {
    if v.is_empty() {
        return true;
    }
    if v.len() > 8 {
        return false;
    }
    let mut lower = [0u8; 8];
    let lower = &mut lower[..v.len()];
    lower.copy_from_slice(v);
    lower.make_ascii_lowercase();
    matches!(&*lower, b"na" | b"n/a" | b"nan" | b"null" | b"none" | b"-" | b"#n/a" | b"-nan") || is_numeric_null(v)
}

/// Tokens that only a numeric column would contain.
fn is_numeric_null(v: &[u8]) -> bool {
    let v = v.strip_prefix(b"-").unwrap_or(v);
    v.eq_ignore_ascii_case(b"nan")
        || v.eq_ignore_ascii_case(b"1.#ind")
        || v.eq_ignore_ascii_case(b"1.#inf")
        || v.eq_ignore_ascii_case(b"1.#qnan")
}

/// Parses an integer cell (already trimmed or not).
pub(crate) fn parse_i64(v: &[u8]) -> Parsed<i64> {
    let v = v.trim_ascii();
    if v.is_empty() {
        return Parsed::Null;
    }
    match lexical_core::parse::<i64>(v) {
        Ok(x) => Parsed::Value(x),
        Err(_) if is_null_token(v) => Parsed::Null,
        Err(_) => Parsed::Mismatch,
    }
}

/// Parses a float cell; `NaN` is null (see the module docs).
pub(crate) fn parse_f64(v: &[u8]) -> Parsed<f64> {
    let v = v.trim_ascii();
    if v.is_empty() {
        return Parsed::Null;
    }
    // `lexical_core` (what arrow uses) also accepts `inf`, `infinity` and `NaN`.
    match lexical_core::parse::<f64>(v) {
        Ok(x) if x.is_nan() => Parsed::Null,
        Ok(x) => Parsed::Value(x),
        Err(_) if is_null_token(v) => Parsed::Null,
        Err(_) => Parsed::Mismatch,
    }
}

/// Longest number cell rewritten for another format (longer ones are not numbers people write).
const MAX_COMMA_FLOAT: usize = 64;

/// Parses an integer cell in `num`'s format: with a thousands separator, `1,234,567`.
pub(crate) fn parse_i64_num(v: &[u8], num: Numbers) -> Parsed<i64> {
    match parse_i64(v) {
        Parsed::Mismatch if num.group.is_some() => match ungroup(v.trim_ascii(), num) {
            Some((buf, len)) if !buf[..len].contains(&b'.') => parse_i64(&buf[..len]),
            _ => Parsed::Mismatch,
        },
        parsed => parsed,
    }
}

/// Parses a float cell in `num`'s format. With a `,` decimal the cell may not also hold a `.`
/// unless `.` is the format's thousands separator: `0,35` is 0.35, `1.234,5` is 1234.5 only then.
pub(crate) fn parse_f64_dec(v: &[u8], num: Numbers) -> Parsed<f64> {
    if num == Numbers::DOT {
        return parse_f64(v);
    }
    let v = v.trim_ascii();
    if v.is_empty() || is_null_token(v) {
        return Parsed::Null;
    }
    if num.group.is_some_and(|g| v.contains(&g)) {
        return match ungroup(v, num) {
            Some((buf, len)) => parse_f64(&buf[..len]),
            None => Parsed::Mismatch,
        };
    }
    if num.decimal == b'.' {
        return parse_f64(v);
    }
    if v.len() > MAX_COMMA_FLOAT || v.contains(&b'.') {
        return Parsed::Mismatch;
    }
    let mut buf = [0u8; MAX_COMMA_FLOAT];
    let buf = &mut buf[..v.len()];
    let mut commas = 0;
    for (out, &b) in buf.iter_mut().zip(v) {
        *out = if b == num.decimal {
            commas += 1;
            b'.'
        } else {
            b
        };
    }
    if commas > 1 {
        return Parsed::Mismatch;
    }
    parse_f64(buf)
}

/// A grouped number (`-1,234,567.5` for `Numbers { decimal: b'.', group: Some(b',') }`) without
/// its thousands separators and with `.` as decimal point; `None` unless the groups are right:
/// one to three leading digits, then groups of exactly three, then an optional decimal part.
fn ungroup(v: &[u8], num: Numbers) -> Option<([u8; MAX_COMMA_FLOAT], usize)> {
    let g = num.group?;
    if v.len() > MAX_COMMA_FLOAT {
        return None;
    }
    let (sign, digits) = match v.first() {
        Some(b'-' | b'+') => (&v[..1], &v[1..]),
        _ => (&v[..0], v),
    };
    let (int, frac) = match digits.iter().position(|&b| b == num.decimal) {
        Some(p) => (&digits[..p], Some(&digits[p + 1..])),
        None => (digits, None),
    };
    let mut parts = int.split(|&b| b == g);
    let lead = parts.next()?;
    let lead_ok = (1..=3).contains(&lead.len()) && lead.iter().all(u8::is_ascii_digit);
    let mut rest_ok = true;
    for part in parts {
        rest_ok &= part.len() == 3 && part.iter().all(u8::is_ascii_digit);
    }
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit));
    if !(lead_ok && rest_ok && frac_ok) {
        return None;
    }
    let mut buf = [0u8; MAX_COMMA_FLOAT];
    let mut len = 0;
    for &b in sign.iter().chain(int.iter().filter(|&&b| b != g)) {
        buf[len] = b;
        len += 1;
    }
    if let Some(f) = frac {
        buf[len] = b'.';
        len += 1;
        for &b in f {
            buf[len] = b;
            len += 1;
        }
    }
    Some((buf, len))
}

/// Parses `true`/`false`/`yes`/`no`, case-insensitive.
pub(crate) fn parse_bool(v: &[u8]) -> Parsed<bool> {
    let v = v.trim_ascii();
    if v.eq_ignore_ascii_case(b"true") || v.eq_ignore_ascii_case(b"yes") {
        Parsed::Value(true)
    } else if v.eq_ignore_ascii_case(b"false") || v.eq_ignore_ascii_case(b"no") {
        Parsed::Value(false)
    } else if is_null_token(v) {
        Parsed::Null
    } else {
        Parsed::Mismatch
    }
}

/// Parses a timestamp cell into microseconds since the epoch (UTC when the cell has an offset,
/// wall-clock otherwise). A cell with an offset does not fit a column without a time zone.
pub(crate) fn parse_ts(v: &[u8], column_has_tz: bool, cache: &mut DateCache) -> Parsed<i64> {
    let v = v.trim_ascii();
    match parse_timestamp_cached(v, cache) {
        Some((_, true)) if !column_has_tz => Parsed::Mismatch,
        Some((micros, _)) => Parsed::Value(micros),
        None if is_null_token(v) => Parsed::Null,
        None => Parsed::Mismatch,
    }
}

/// ISO 8601 date or date-time: `YYYY-MM-DD`, then optionally `T` or a space and
/// `HH:MM[:SS[.fraction]]`, then optionally `Z`, `UTC`, `±HH`, `±HHMM` or `±HH:MM`.
/// Returns microseconds since the epoch and whether an offset was given.
pub(crate) fn parse_timestamp(v: &[u8]) -> Option<(i64, bool)> {
    parse_timestamp_cached(v, &mut DateCache::default())
}

/// The last date seen in a column: consecutive rows mostly share it, and skipping the calendar
/// arithmetic makes timestamp columns markedly cheaper.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DateCache {
    key: [u8; 10],
    days: Option<i64>,
}

fn date_days(v: &[u8]) -> Option<i64> {
    if v[4] != b'-' || v[7] != b'-' {
        return None;
    }
    let year = digits(&v[0..4])?;
    let month = digits(&v[5..7])?;
    let day = digits(&v[8..10])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// [`parse_timestamp`] reusing the date of the previous call when it is the same.
pub(crate) fn parse_timestamp_cached(v: &[u8], cache: &mut DateCache) -> Option<(i64, bool)> {
    if v.len() < 10 {
        return None;
    }
    let days = match cache.days {
        Some(days) if cache.key == v[..10] => days,
        _ => {
            let days = date_days(&v[..10])?;
            cache.key.copy_from_slice(&v[..10]);
            cache.days = Some(days);
            days
        }
    };
    let mut micros = days * 86_400_000_000;
    let mut rest = &v[10..];
    if rest.is_empty() {
        return Some((micros, false));
    }
    if !matches!(rest[0], b'T' | b't' | b' ') || rest.len() < 6 || rest[3] != b':' {
        return None;
    }
    let hour = digits(&rest[1..3])?;
    let minute = digits(&rest[4..6])?;
    rest = &rest[6..];
    let mut second = 0;
    if let Some(r) = rest.strip_prefix(b":") {
        second = digits(r.get(..2)?)?;
        rest = &r[2..];
        if let Some(r) = rest.strip_prefix(b".").or_else(|| rest.strip_prefix(b",")) {
            let n = r.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let mut frac = 0i64;
            for (i, b) in r[..n].iter().enumerate().take(6) {
                frac += i64::from(b - b'0') * 10i64.pow(5 - i as u32);
            }
            micros += frac;
            rest = &r[n..];
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    micros += (hour * 3600 + minute * 60 + second) * 1_000_000;
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    if rest.is_empty() {
        return Some((micros, false));
    }
    let offset = parse_offset(rest)?;
    Some((micros - offset * 1_000_000, true))
}

/// `Z`, `UTC`, `±HH`, `±HHMM`, `±HH:MM` as seconds east of UTC.
fn parse_offset(v: &[u8]) -> Option<i64> {
    if v == b"Z" || v == b"z" || v == b"UTC" {
        return Some(0);
    }
    let sign = match v.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let v = &v[1..];
    let (h, m) = match v.len() {
        2 => (digits(v)?, 0),
        4 => (digits(&v[..2])?, digits(&v[2..])?),
        5 if v[2] == b':' => (digits(&v[..2])?, digits(&v[3..])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

fn digits(v: &[u8]) -> Option<i64> {
    let mut n = 0i64;
    for &b in v {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(b - b'0');
    }
    Some(n)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_tokens_are_null_in_numeric_columns() {
        for t in ["", "NA", "n/a", "NaN", "null", "-", "-1.#IND", "1.#INF", "-1.#INF", "1.#QNAN"] {
            assert_eq!(parse_f64(t.as_bytes()), Parsed::Null, "{t}");
            assert_eq!(parse_i64(t.as_bytes()), Parsed::Null, "{t}");
        }
        assert_eq!(parse_f64(b" 1.5 "), Parsed::Value(1.5));
        assert_eq!(parse_i64(b"1.5"), Parsed::Mismatch);
        assert_eq!(parse_i64(b"abc"), Parsed::Mismatch);
        assert_eq!(classify_dec(b"-1.#IND", Numbers::DOT), Kind::Null { numeric: true });
        assert_eq!(classify_dec(b"NA", Numbers::DOT), Kind::Null { numeric: false });
    }

    #[test]
    fn timestamps_parse_to_utc_micros() {
        assert_eq!(parse_timestamp(b"1970-01-02"), Some((86_400_000_000, false)));
        assert_eq!(parse_timestamp(b"2024-02-29T12:30:15.5Z"), Some((1_709_209_815_500_000, true)));
        assert_eq!(parse_timestamp(b"2024-02-29 14:30:15.5+02:00"), Some((1_709_209_815_500_000, true)));
        assert_eq!(parse_timestamp(b"2024-02-29 12:30:15"), Some((1_709_209_815_000_000, false)));
        assert_eq!(parse_timestamp(b"2023-02-29"), None);
        assert_eq!(parse_timestamp(b"2023-13-01"), None);
        assert_eq!(parse_timestamp(b"2023-01-01x"), None);
    }

    #[test]
    fn decimal_comma() {
        assert_eq!(parse_f64_dec(b"-0,5000", Numbers::COMMA), Parsed::Value(-0.5));
        assert_eq!(parse_f64_dec(b" 1,5e3 ", Numbers::COMMA), Parsed::Value(1500.0));
        assert_eq!(parse_f64_dec(b"1.5", Numbers::COMMA), Parsed::Mismatch);
        assert_eq!(parse_f64_dec(b"1,2,3", Numbers::COMMA), Parsed::Mismatch);
        assert_eq!(parse_f64_dec(b"n/a", Numbers::COMMA), Parsed::Null);
        assert_eq!(classify_dec(b"0,35", Numbers::COMMA), Kind::Float);
        assert_eq!(classify_dec(b"0,35", Numbers::DOT), Kind::Text);
        assert_eq!(classify_dec(b"12", Numbers::COMMA), Kind::Int);
    }

    #[test]
    fn thousands_separators() {
        let us = Numbers { decimal: b'.', group: Some(b',') };
        let de = Numbers { decimal: b',', group: Some(b'.') };
        let ch = Numbers { decimal: b'.', group: Some(b'\'') };
        assert_eq!(parse_i64_num(b"1,234,567", us), Parsed::Value(1_234_567));
        assert_eq!(parse_i64_num(b"-1,234", us), Parsed::Value(-1234));
        assert_eq!(parse_f64_dec(b"1,234.5", us), Parsed::Value(1234.5));
        assert_eq!(parse_f64_dec(b"1.234,5", de), Parsed::Value(1234.5));
        assert_eq!(parse_i64_num(b"1.234.567", de), Parsed::Value(1_234_567));
        assert_eq!(parse_f64_dec(b"0,5", de), Parsed::Value(0.5));
        assert_eq!(parse_f64_dec(b"1'234.5", ch), Parsed::Value(1234.5));
        assert_eq!(parse_i64_num(b"12,34", us), Parsed::Mismatch, "groups of three only");
        assert_eq!(parse_i64_num(b"1234,567", us), Parsed::Mismatch, "at most three leading digits");
        assert_eq!(parse_f64_dec(b"1,234.", us), Parsed::Mismatch);
        assert_eq!(classify_dec(b"1,234", us), Kind::Int);
        assert!(us.needs_group(b"1,234.5") && us.needs_group(b"1,234,567") && us.needs_group(b"1,234"));
        assert!(!us.needs_group(b"12,5") && !us.needs_group(b"12.5") && !Numbers::DOT.needs_group(b"1,234,567"));
        assert!(de.needs_group(b"12.345") && !de.needs_group(b"12,345"));
    }

    #[test]
    fn kinds() {
        assert_eq!(classify_dec(b"42", Numbers::DOT), Kind::Int);
        assert_eq!(classify_dec(b"4.2e3", Numbers::DOT), Kind::Float);
        assert_eq!(classify_dec(b"Yes", Numbers::DOT), Kind::Bool);
        assert_eq!(classify_dec(b"2024-01-01T00:00:00+01:00", Numbers::DOT), Kind::Timestamp { tz: true });
        assert_eq!(classify_dec(b"Fe 2p", Numbers::DOT), Kind::Text);
    }
}
