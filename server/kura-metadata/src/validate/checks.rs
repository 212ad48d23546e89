//! Checks beyond JSON Schema: identifier checksums, the SPDX list, well-formed language tags.
//! They run on the raw document after the schema passed, so they can report JSON paths.

use serde_json::Value;

use crate::error::Violation;
use crate::spdx;

/// Every extra-rule violation in a document that already passed the schema.
pub(super) fn extra_violations(doc: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for key in ["creators", "contributors"] {
        for (i, agent) in array(doc, key).iter().enumerate() {
            let base = format!("{key}[{i}]");
            if let Some(orcid) = agent.get("orcid").and_then(Value::as_str)
                && !orcid_checksum_ok(orcid)
            {
                out.push(v(&format!("{base}.orcid"), "orcid-checksum", format!("{orcid} has a wrong check digit")));
            }
            if let Some(ror) = agent.get("ror").and_then(Value::as_str) {
                check_ror(&mut out, &format!("{base}.ror"), ror);
            }
            for (j, aff) in array(agent, "affiliations").iter().enumerate() {
                if let Some(ror) = aff.get("ror").and_then(Value::as_str) {
                    check_ror(&mut out, &format!("{base}.affiliations[{j}].ror"), ror);
                }
            }
        }
    }
    if let Some(ror) = doc.pointer("/publisher/ror").and_then(Value::as_str) {
        check_ror(&mut out, "publisher.ror", ror);
    }
    for (i, funding) in array(doc, "funding").iter().enumerate() {
        if funding.get("funder_identifier_type").and_then(Value::as_str) == Some("ROR")
            && let Some(id) = funding.get("funder_identifier").and_then(Value::as_str)
        {
            check_ror(&mut out, &format!("funding[{i}].funder_identifier"), id);
        }
    }
    if let Some(license) = doc.get("license").and_then(Value::as_str)
        && spdx::license_name(license).is_none()
    {
        out.push(v("license", "spdx-license", format!("{license} is not an accepted spdx licence id")));
    }
    for key in ["titles", "descriptions", "keywords", "methods"] {
        for (i, text) in array(doc, key).iter().enumerate() {
            if let Some(tag) = text.get("lang").and_then(Value::as_str) {
                check_lang(&mut out, &format!("{key}[{i}].lang"), tag);
            }
        }
    }
    if let Some(tag) = doc.get("language").and_then(Value::as_str) {
        check_lang(&mut out, "language", tag);
    }
    for key in ["titles", "descriptions"] {
        let texts = array(doc, key);
        for (i, text) in texts.iter().enumerate() {
            let lang = text.get("lang");
            if texts[..i].iter().any(|t| t.get("lang") == lang) {
                out.push(v(
                    &format!("{key}[{i}].lang"),
                    "one-per-language",
                    "a second text in the same language".into(),
                ));
            }
        }
    }
    // Search engines (and the schema.org shapes) ignore datasets without a description of 50
    // characters; one language is enough.
    let longest = array(doc, "descriptions")
        .iter()
        .filter_map(|d| d.get("value").and_then(Value::as_str))
        .map(|d| d.trim().chars().count())
        .max()
        .unwrap_or(0);
    if longest < 50 {
        out.push(v("descriptions", "description-length", "no description has 50 characters or more".into()));
    }
    if let (Some(start), Some(end)) = (
        doc.pointer("/temporal_coverage/start").and_then(Value::as_str),
        doc.pointer("/temporal_coverage/end").and_then(Value::as_str),
    ) && end < start
    {
        out.push(v("temporal_coverage.end", "end-after-start", format!("{end} is before {start}")));
    }
    // West may exceed east (a box across the antimeridian); south may not exceed north.
    if let (Some(s), Some(n)) = (
        doc.pointer("/spatial_coverage/bbox/south").and_then(Value::as_f64),
        doc.pointer("/spatial_coverage/bbox/north").and_then(Value::as_f64),
    ) && s > n
    {
        out.push(v("spatial_coverage.bbox", "south-below-north", format!("south {s} is above north {n}")));
    }
    out
}

fn array<'a>(doc: &'a Value, key: &str) -> &'a [Value] {
    doc.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

fn v(path: &str, rule: &str, message: String) -> Violation {
    Violation { path: path.to_owned(), rule: rule.to_owned(), message }
}

fn check_ror(out: &mut Vec<Violation>, path: &str, ror: &str) {
    if !ror_checksum_ok(ror) {
        out.push(v(path, "ror-checksum", format!("{ror} is not a ror id with a valid checksum")));
    }
}

fn check_lang(out: &mut Vec<Violation>, path: &str, tag: &str) {
    if let Err(e) = oxrdf::Literal::new_language_tagged_literal("", tag) {
        out.push(v(path, "language-tag", format!("{tag} is not a bcp 47 language tag: {e}")));
        return;
    }
    let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    if primary.len() == 2 && !ISO_639_1.split(' ').any(|code| code == primary) {
        out.push(v(path, "language-tag", format!("{primary} is not an iso 639-1 language code")));
    }
}

/// ISO 639-1 codes: two-letter primary subtags must be one of these (JSON Schema only checks
/// the shape of a tag).
const ISO_639_1: &str = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy \
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii \
    ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr \
    ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl \
    sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu";

/// ORCID check digit: ISO 7064 MOD 11-2 over the first 15 digits.
pub(crate) fn orcid_checksum_ok(orcid: &str) -> bool {
    let chars: Vec<char> = orcid.chars().filter(|c| *c != '-').collect();
    if chars.len() != 16 {
        return false;
    }
    let mut total: u32 = 0;
    for c in &chars[..15] {
        let Some(d) = c.to_digit(10) else { return false };
        total = (total + d) * 2;
    }
    let result = (12 - total % 11) % 11;
    let expected = if result == 10 { 'X' } else { char::from_digit(result, 10).unwrap_or('?') };
    chars[15] == expected
}

/// ROR id checksum: `0` + six Crockford base32 digits + two decimal digits, the last being
/// ISO 7064 MOD 97-10 of the number the base32 digits encode.
pub(crate) fn ror_checksum_ok(ror: &str) -> bool {
    let Some(id) = ror.strip_prefix("https://ror.org/") else { return false };
    let bytes = id.as_bytes();
    if bytes.len() != 9 || bytes[0] != b'0' {
        return false;
    }
    let mut n: u64 = 0;
    for &b in &bytes[1..7] {
        let Some(d) = crockford(b) else { return false };
        n = n * 32 + d;
    }
    let Ok(check) = id[7..9].parse::<u64>() else { return false };
    98 - (n * 100) % 97 == check
}

fn crockford(b: u8) -> Option<u64> {
    const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
    ALPHABET.iter().position(|&a| a == b.to_ascii_lowercase()).map(|p| p as u64)
}
