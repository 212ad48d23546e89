//! Units written in column headers (`Temperature [K]`, `T (°C)`, `Voltage / mV`) and their UCUM
//! codes.
//!
//! A header is split only when the trailing part is a unit: either listed in [`UNITS`] or an
//! expression whose every factor is listed (`mV/s`, `mol/L`, `J/(mol*K)` is not: parentheses in
//! a unit are not parsed). So `Area/(RSF*T*MFP)` and `%At Conc` stay whole, and so does
//! `counts/s`: a bare unit-like label is kept as the column name, because a column named `m` or
//! `s` is more often a variable than a unit.

/// Written unit → UCUM code (`None`: recognised as a unit but without a UCUM equivalent, such as
/// `Torr`, `a.u.` or `m/z`; the written unit is still recorded).
pub(crate) const UNITS: &[(&str, Option<&str>)] = &[
    // temperature
    ("K", Some("K")),
    ("°C", Some("Cel")),
    ("degC", Some("Cel")),
    ("℃", Some("Cel")),
    ("°F", Some("[degF]")),
    // electrical
    ("V", Some("V")),
    ("mV", Some("mV")),
    ("kV", Some("kV")),
    ("µV", Some("uV")),
    ("A", Some("A")),
    ("mA", Some("mA")),
    ("µA", Some("uA")),
    ("nA", Some("nA")),
    ("pA", Some("pA")),
    ("Ohm", Some("Ohm")),
    ("Ω", Some("Ohm")),
    ("W", Some("W")),
    ("mW", Some("mW")),
    // time
    ("s", Some("s")),
    ("ms", Some("ms")),
    ("µs", Some("us")),
    ("ns", Some("ns")),
    ("min", Some("min")),
    ("h", Some("h")),
    ("d", Some("d")),
    // energy
    ("eV", Some("eV")),
    ("meV", Some("meV")),
    ("keV", Some("keV")),
    ("J", Some("J")),
    ("kJ", Some("kJ")),
    ("kJ/mol", Some("kJ/mol")),
    // angle
    ("deg", Some("deg")),
    ("°", Some("deg")),
    ("rad", Some("rad")),
    ("mrad", Some("mrad")),
    // length and wavenumber
    ("cm-1", Some("/cm")),
    ("cm^-1", Some("/cm")),
    ("cm⁻¹", Some("/cm")),
    ("1/cm", Some("/cm")),
    ("m", Some("m")),
    ("cm", Some("cm")),
    ("mm", Some("mm")),
    ("µm", Some("um")),
    ("nm", Some("nm")),
    ("pm", Some("pm")),
    ("Å", Some("Ao")),
    // pressure
    ("Pa", Some("Pa")),
    ("hPa", Some("hPa")),
    ("kPa", Some("kPa")),
    ("MPa", Some("MPa")),
    ("GPa", Some("GPa")),
    ("bar", Some("bar")),
    ("mbar", Some("mbar")),
    ("atm", Some("atm")),
    ("Torr", None),
    ("mTorr", None),
    // mass and amount
    ("g", Some("g")),
    ("mg", Some("mg")),
    ("µg", Some("ug")),
    ("kg", Some("kg")),
    ("mol", Some("mol")),
    ("mmol", Some("mmol")),
    ("µmol", Some("umol")),
    ("g/mol", Some("g/mol")),
    ("mol/L", Some("mol/L")),
    ("mmol/L", Some("mmol/L")),
    ("M", Some("mol/L")),
    ("mM", Some("mmol/L")),
    ("µM", Some("umol/L")),
    ("L", Some("L")),
    ("mL", Some("mL")),
    ("µL", Some("uL")),
    ("mg/mL", Some("mg/mL")),
    ("g/L", Some("g/L")),
    // ratios and counts
    ("%", Some("%")),
    ("ppm", Some("[ppm]")),
    ("ppb", Some("[ppb]")),
    ("a.u.", None),
    ("arb. units", None),
    ("arb.u.", None),
    ("arb. u.", None),
    ("au", None),
    ("m/z", None),
    ("cps", Some("/s")),
    ("counts/s", Some("/s")),
    ("counts per second", Some("/s")),
    ("c/s", Some("/s")),
    ("counts", Some("{counts}")),
    ("cts", Some("{counts}")),
    // frequency
    ("Hz", Some("Hz")),
    ("kHz", Some("kHz")),
    ("MHz", Some("MHz")),
    ("GHz", Some("GHz")),
    ("rpm", Some("{rpm}")),
];

/// A header label split into a column name and an optional unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Label {
    pub name: String,
    pub unit: Option<String>,
    pub ucum: Option<String>,
}

/// Splits `Name [unit]`, `Name (unit)` and `Name / unit` when the unit part is a unit.
pub(crate) fn split_label(label: &str) -> Label {
    let t = label.trim();
    let whole = Label { name: t.to_string(), unit: None, ucum: None };
    let Some((name, unit)) = trailing_group(t).or_else(|| slash_form(t)) else {
        return whole;
    };
    let (name, unit) = (name.trim(), unit.trim());
    if name.is_empty() || unit.is_empty() || !is_unit(unit) {
        return whole;
    }
    Label { name: name.to_string(), unit: Some(unit.to_string()), ucum: ucum(unit) }
}

/// `Name [unit]` or `Name (unit)`; the opening bracket must follow a space so that formulas such
/// as `Area/(RSF*T*MFP)` are left alone.
fn trailing_group(t: &str) -> Option<(&str, &str)> {
    let close = t.chars().last()?;
    let open = match close {
        ']' => '[',
        ')' => '(',
        _ => return None,
    };
    let start = t.rfind(open)?;
    let name = &t[..start];
    if !name.ends_with(char::is_whitespace) {
        return None;
    }
    Some((name, &t[start + 1..t.len() - close.len_utf8()]))
}

/// `Name / unit` with spaces around the slash.
fn slash_form(t: &str) -> Option<(&str, &str)> {
    let i = t.rfind(" / ")?;
    Some((&t[..i], &t[i + 3..]))
}

/// Folds the two micro signs (U+00B5, U+03BC) and the `u` spelling to one form for lookup.
fn canonical(unit: &str) -> String {
    let s = unit.replace('μ', "µ");
    if let Some(rest) = s.strip_prefix('u')
        && rest.len() <= 3
        && lookup(&format!("µ{rest}")).is_some()
    {
        return format!("µ{rest}");
    }
    s
}

fn lookup(unit: &str) -> Option<Option<&'static str>> {
    UNITS
        .iter()
        .find(|(w, _)| *w == unit)
        .or_else(|| UNITS.iter().find(|(w, _)| w.eq_ignore_ascii_case(unit) && w.len() > 3))
        .map(|(_, u)| *u)
}

/// Whether `unit` is a listed unit or a product/quotient of listed units with exponents.
pub(crate) fn is_unit(unit: &str) -> bool {
    let c = canonical(unit);
    if lookup(&c).is_some() {
        return true;
    }
    if c.len() > 24 || c.contains(['(', ')', ' ']) {
        return false;
    }
    c.split(['/', '*', '·', '.']).all(|f| !f.is_empty() && lookup(strip_exponent(f)).is_some())
}

/// `m2`, `m^2`, `s-1`, `s^-1`, `m²` → the unit symbol without its exponent.
fn strip_exponent(f: &str) -> &str {
    let base = f.trim_end_matches(['0', '1', '2', '3', '4', '-', '^', '²', '³', '⁻', '¹']);
    if base.is_empty() { f } else { base }
}

/// The UCUM code for a written unit, when known.
pub(crate) fn ucum(unit: &str) -> Option<String> {
    let c = canonical(unit);
    if let Some(code) = lookup(&c) {
        return code.map(str::to_string);
    }
    // Products and quotients of listed units: translate factor by factor.
    let mut out = String::new();
    let mut rest = c.as_str();
    while !rest.is_empty() {
        let end = rest.find(['/', '*', '·', '.']).unwrap_or(rest.len());
        let (factor, tail) = rest.split_at(end);
        let base = strip_exponent(factor);
        let exp = ucum_exponent(&factor[base.len()..])?;
        out.push_str(lookup(base)??);
        out.push_str(&exp);
        let mut chars = tail.chars();
        match chars.next() {
            Some('/') => out.push('/'),
            Some(_) => out.push('.'),
            None => {}
        }
        rest = chars.as_str();
    }
    Some(out)
}

fn ucum_exponent(e: &str) -> Option<String> {
    let e = e.trim_start_matches('^');
    let mapped: String = e
        .chars()
        .map(|c| match c {
            '²' => '2',
            '³' => '3',
            '¹' => '1',
            '⁻' => '-',
            c => c,
        })
        .collect();
    if mapped.is_empty() || mapped.parse::<i32>().is_ok() { Some(mapped) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(l: &str) -> (String, Option<String>, Option<String>) {
        let l = split_label(l);
        (l.name, l.unit, l.ucum)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn splits_each_header_form() {
        assert_eq!(split("Temperature [K]"), ("Temperature".into(), s("K"), s("K")));
        assert_eq!(split("T (°C)"), ("T".into(), s("°C"), s("Cel")));
        assert_eq!(split("Voltage / mV"), ("Voltage".into(), s("mV"), s("mV")));
        assert_eq!(split("2θ (deg)"), ("2θ".into(), s("deg"), s("deg")));
        assert_eq!(split("Wavenumber (cm-1)"), ("Wavenumber".into(), s("cm-1"), s("/cm")));
        assert_eq!(split("Pressure [Torr]"), ("Pressure".into(), s("Torr"), None));
        assert_eq!(split("Intensity (a.u.)"), ("Intensity".into(), s("a.u."), None));
        assert_eq!(split("Rate [counts/s]"), ("Rate".into(), s("counts/s"), s("/s")));
        assert_eq!(split("Conc. [M]"), ("Conc.".into(), s("M"), s("mol/L")));
        assert_eq!(split("Size [μm]"), ("Size".into(), s("μm"), s("um")));
        assert_eq!(split("Size [um]"), ("Size".into(), s("um"), s("um")));
        assert_eq!(split("Sweep [mV/s]"), ("Sweep".into(), s("mV/s"), s("mV/s")));
        assert_eq!(split("Flux [m^-2]"), ("Flux".into(), s("m^-2"), s("m-2")));
    }

    #[test]
    fn leaves_non_units_alone() {
        assert_eq!(split("Area/(RSF*T*MFP)"), ("Area/(RSF*T*MFP)".into(), None, None));
        assert_eq!(split("%At Conc"), ("%At Conc".into(), None, None));
        assert_eq!(split("counts/s"), ("counts/s".into(), None, None));
        assert_eq!(split("Sample (batch 2)"), ("Sample (batch 2)".into(), None, None));
        assert_eq!(split("Ratio [RSF]"), ("Ratio [RSF]".into(), None, None));
        assert_eq!(split(" Raw Area "), ("Raw Area".into(), None, None));
    }
}
