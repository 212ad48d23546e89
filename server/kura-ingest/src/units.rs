//! Units as sources write them (`Temperature [K]`, `T (°C)`, `Voltage / mV`, a JCAMP `##XUNITS=`,
//! an HDF5 `units` attribute), their UCUM codes and QUDT unit IRIs. Every reader names units
//! through this module so that one spelling maps to one code everywhere.
//!
//! A header is split only when the trailing part is a unit: either listed in [`UNITS`] or an
//! expression whose every factor is listed (`mV/s`, `mol/L`, `J/(mol*K)` is not: parentheses in
//! a unit are not parsed). So `Area/(RSF*T*MFP)` and `%At Conc` stay whole, and so does
//! `counts/s`: a bare unit-like label is kept as the column name, because a column named `m` or
//! `s` is more often a variable than a unit.

/// Written unit → UCUM code (`None`: recognised as a unit but without a UCUM equivalent, such as
/// `Torr`; the written unit is still recorded). Arbitrary units are UCUM's `[arb'U]`, m/z the
/// annotation `{m/z}` (dimensionless, as UCUM has no thomson).
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
    ("mmHg", Some("mm[Hg]")),
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
    ("a.u.", Some("[arb'U]")),
    ("arb. units", Some("[arb'U]")),
    ("arb.u.", Some("[arb'U]")),
    ("arb. u.", Some("[arb'U]")),
    ("au", Some("[arb'U]")),
    ("m/z", Some("{m/z}")),
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
pub struct Label {
    pub name: String,
    pub unit: Option<String>,
    pub ucum: Option<String>,
    pub qudt: Option<String>,
}

/// Splits `Name [unit]`, `Name (unit)` and `Name / unit` when the unit part is a unit.
pub fn split_label(label: &str) -> Label {
    let t = label.trim();
    let whole = Label { name: t.to_string(), unit: None, ucum: None, qudt: None };
    let Some((name, unit)) = trailing_group(t).or_else(|| slash_form(t)) else {
        return whole;
    };
    let (name, unit) = (name.trim(), unit.trim());
    if name.is_empty() || unit.is_empty() || !is_unit(unit) {
        return whole;
    }
    let ucum = ucum(unit);
    let qudt = ucum.as_deref().and_then(qudt);
    Label { name: name.to_string(), unit: Some(unit.to_string()), ucum, qudt }
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
pub fn is_unit(unit: &str) -> bool {
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
pub fn ucum(unit: &str) -> Option<String> {
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

/// Where QUDT's unit vocabulary lives; [`qudt`] returns IRIs under it.
pub const QUDT_UNIT: &str = "http://qudt.org/vocab/unit/";

/// UCUM code → QUDT unit local name, for the units instruments write. Units outside this list
/// keep their UCUM code and written form only.
const QUDT: &[(&str, &str)] = &[
    ("K", "K"),
    ("Cel", "DEG_C"),
    ("[degF]", "DEG_F"),
    ("V", "V"),
    ("mV", "MilliV"),
    ("kV", "KiloV"),
    ("uV", "MicroV"),
    ("A", "A"),
    ("mA", "MilliA"),
    ("uA", "MicroA"),
    ("nA", "NanoA"),
    ("pA", "PicoA"),
    ("Ohm", "OHM"),
    ("W", "W"),
    ("mW", "MilliW"),
    ("s", "SEC"),
    ("ms", "MilliSEC"),
    ("us", "MicroSEC"),
    ("ns", "NanoSEC"),
    ("min", "MIN"),
    ("h", "HR"),
    ("d", "DAY"),
    ("eV", "EV"),
    ("meV", "MilliEV"),
    ("keV", "KiloEV"),
    ("J", "J"),
    ("kJ", "KiloJ"),
    ("kJ/mol", "KiloJ-PER-MOL"),
    ("deg", "DEG"),
    ("rad", "RAD"),
    ("mrad", "MilliRAD"),
    ("/cm", "PER-CentiM"),
    ("m", "M"),
    ("cm", "CentiM"),
    ("mm", "MilliM"),
    ("um", "MicroM"),
    ("nm", "NanoM"),
    ("pm", "PicoM"),
    ("Ao", "ANGSTROM"),
    ("Pa", "PA"),
    ("hPa", "HectoPA"),
    ("kPa", "KiloPA"),
    ("MPa", "MegaPA"),
    ("GPa", "GigaPA"),
    ("bar", "BAR"),
    ("mbar", "MilliBAR"),
    ("atm", "ATM"),
    ("mm[Hg]", "MilliM_HG"),
    ("g", "GM"),
    ("mg", "MilliGM"),
    ("ug", "MicroGM"),
    ("kg", "KiloGM"),
    ("mol", "MOL"),
    ("mmol", "MilliMOL"),
    ("umol", "MicroMOL"),
    ("g/mol", "GM-PER-MOL"),
    ("mol/L", "MOL-PER-L"),
    ("mmol/L", "MilliMOL-PER-L"),
    ("umol/L", "MicroMOL-PER-L"),
    ("L", "L"),
    ("mL", "MilliL"),
    ("uL", "MicroL"),
    ("mg/mL", "MilliGM-PER-MilliL"),
    ("g/L", "GM-PER-L"),
    ("%", "PERCENT"),
    ("[ppm]", "PPM"),
    ("[ppb]", "PPB"),
    ("[arb'U]", "UNITLESS"),
    ("{m/z}", "UNITLESS"),
    ("{counts}", "NUM"),
    ("/s", "PER-SEC"),
    ("Hz", "HZ"),
    ("kHz", "KiloHZ"),
    ("MHz", "MegaHZ"),
    ("GHz", "GigaHZ"),
    ("{rpm}", "REV-PER-MIN"),
    ("u", "DA"),
    ("T", "T"),
    ("mT", "MilliT"),
];

/// The QUDT unit IRI for a UCUM code, when the unit is one of [`QUDT`]'s.
pub fn qudt(ucum: &str) -> Option<String> {
    QUDT.iter().find(|(code, _)| *code == ucum).map(|(_, local)| format!("{QUDT_UNIT}{local}"))
}

/// A written unit (`cm-1`, `a.u.`, `°C`, `PPM`, `1/CM`) normalized: its UCUM code and QUDT IRI.
/// Also accepts spellings readers meet in file metadata (upper case, `DEGREES`, `HZ`).
pub fn normalize(unit: &str) -> (Option<String>, Option<String>) {
    let t = unit.trim();
    let code = ucum(t).or_else(|| {
        let alias = match t.to_ascii_lowercase().as_str() {
            "1/cm" | "cm-1" | "cm^-1" => "cm-1",
            "degrees" | "degree" | "deg" => "deg",
            "arbitrary units" | "arbitrary" | "a.u" | "arb" => "a.u.",
            "ppm" => "ppm",
            "hz" => "Hz",
            "seconds" | "sec" | "second" => "s",
            "minutes" | "minute" => "min",
            "nanometers" | "nanometer" => "nm",
            "kelvin" => "K",
            "celsius" | "degc" => "°C",
            "m/z" | "mz" => "m/z",
            "ev" => "eV",
            "counts" => "counts",
            "angstrom" | "angstroms" => "Å",
            _ => return None,
        };
        ucum(alias)
    });
    let iri = code.as_deref().and_then(qudt);
    (code, iri)
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

    #[test]
    fn normalizes_units_to_ucum_and_qudt() {
        let n = |u: &str| normalize(u);
        let q = |l: &str| Some(format!("{QUDT_UNIT}{l}"));
        assert_eq!(n("cm-1"), (s("/cm"), q("PER-CentiM")));
        assert_eq!(n("1/CM"), (s("/cm"), q("PER-CentiM")));
        assert_eq!(n("a.u."), (s("[arb'U]"), q("UNITLESS")));
        assert_eq!(n("ARBITRARY UNITS"), (s("[arb'U]"), q("UNITLESS")));
        assert_eq!(n("PPM"), (s("[ppm]"), q("PPM")));
        assert_eq!(n("m/z"), (s("{m/z}"), q("UNITLESS")));
        assert_eq!(n("deg"), (s("deg"), q("DEG")));
        assert_eq!(n("DEGREES"), (s("deg"), q("DEG")));
        assert_eq!(n("°C"), (s("Cel"), q("DEG_C")));
        assert_eq!(n("NANOMETERS"), (s("nm"), q("NanoM")));
        assert_eq!(n("Torr"), (None, None));
        assert_eq!(n("bananas"), (None, None));
        assert_eq!(split_label("T (°C)").qudt, q("DEG_C"));
    }

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
        assert_eq!(split("Intensity (a.u.)"), ("Intensity".into(), s("a.u."), s("[arb'U]")));
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
