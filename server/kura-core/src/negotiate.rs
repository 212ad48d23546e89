//! Content negotiation (RFC 9110 §12.5): the one reader of `Accept` and `Accept-Language` for
//! every surface, so q-values, wildcards and `q=0` ("not this") mean the same on the landing
//! pages, the catalog, SPARQL, row downloads and the portal. Pure string functions: no HTTP
//! types, so the CLI and the services can use them too.

/// One range of an `Accept` header: `type/subtype`, `type/*` or `*/*`, lowercased, with its
/// parameters (other than `q`) and its quality.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRange {
    pub media: String,
    pub params: Vec<(String, String)>,
    pub q: f32,
}

impl MediaRange {
    /// The value of parameter `name` (lowercase), unquoted.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// How specifically this range names `offered`: 3 for the exact type, 2 for `type/*`, 1 for
    /// `*/*`, `None` when it does not match.
    fn specificity(&self, offered: &str) -> Option<u8> {
        if self.media == "*/*" {
            return Some(1);
        }
        match self.media.strip_suffix("/*") {
            Some(top) => offered.split_once('/').is_some_and(|(t, _)| t.eq_ignore_ascii_case(top)).then_some(2),
            None => self.media.eq_ignore_ascii_case(offered).then_some(3),
        }
    }
}

/// A quality value: `1` when absent, clamped to `0..=1`; one that is not a number counts as `0`
/// (a malformed range never wins).
fn quality(value: Option<&str>) -> f32 {
    value.map_or(1.0, |v| v.trim().parse::<f32>().map_or(0.0, |q| q.clamp(0.0, 1.0)))
}

/// Splits `; k=v; q=0.5` parameters into lowercase keys and unquoted values, and the quality.
fn params<'a>(parts: impl Iterator<Item = &'a str>) -> (Vec<(String, String)>, f32) {
    let mut out = Vec::new();
    let mut q = None;
    for p in parts {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let k = k.trim().to_ascii_lowercase();
        let v = v.trim().trim_matches('"');
        if k == "q" {
            q = Some(v);
        } else if !k.is_empty() {
            out.push((k, v.to_owned()));
        }
    }
    (out, quality(q))
}

/// The ranges of an `Accept` header, in header order.
pub fn media_ranges(accept: &str) -> Vec<MediaRange> {
    accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let (params, q) = params(parts);
            media.contains('/').then_some(MediaRange { media, params, q })
        })
        .collect()
}

/// How well an offer is accepted: its quality, how specific the range that gave it is, and (reversed)
/// where that range stands in the header.
type Rank = (f32, u8, std::cmp::Reverse<usize>);

/// The best of `offered` (media type, value) for these ranges; `None` when none is acceptable.
///
/// Each offer takes the quality of the most specific range that matches it, so `text/turtle;q=0`
/// refuses Turtle even beside `*/*`. The highest quality wins; at equal quality a more specific
/// range, then the range written first, then the offer listed first.
pub fn choose<T: Copy>(ranges: &[MediaRange], offered: &[(&str, T)]) -> Option<T> {
    let mut best: Option<(Rank, T)> = None;
    for (media, value) in offered {
        let matched = ranges
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.specificity(media).map(|s| (s, i, r.q)))
            .max_by_key(|(s, i, _)| (*s, std::cmp::Reverse(*i)));
        let Some((specificity, index, q)) = matched.filter(|(_, _, q)| *q > 0.0) else { continue };
        let rank = (q, specificity, std::cmp::Reverse(index));
        if best.as_ref().is_none_or(|(b, _)| rank.partial_cmp(b) == Some(std::cmp::Ordering::Greater)) {
            best = Some((rank, *value));
        }
    }
    best.map(|(_, v)| v)
}

/// Negotiates an `Accept` header against `offered`: no header, or an empty one, means the first
/// offer.
pub fn negotiate<T: Copy>(accept: Option<&str>, offered: &[(&str, T)]) -> Option<T> {
    match accept.map(str::trim).filter(|a| !a.is_empty()) {
        None => offered.first().map(|(_, v)| *v),
        Some(accept) => choose(&media_ranges(accept), offered),
    }
}

/// One range of an `Accept-Language` header: a lowercase tag (or `*`) and its quality.
#[derive(Debug, Clone, PartialEq)]
struct LanguageRange {
    tag: String,
    q: f32,
}

fn language_ranges(header: &str) -> Vec<LanguageRange> {
    header
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let tag = parts.next()?.trim().to_ascii_lowercase().replace('_', "-");
            let (_, q) = params(parts);
            (!tag.is_empty()).then_some(LanguageRange { tag, q })
        })
        .collect()
}

/// Whether `range` covers `tag` by prefix (RFC 4647 basic filtering): `ja` covers `ja-JP`.
fn covers(range: &str, tag: &str) -> bool {
    range == "*" || tag == range || tag.strip_prefix(range).is_some_and(|rest| rest.starts_with('-'))
}

/// The best of `offered` language tags (lowercase) for an `Accept-Language` header; `None`
/// when the header names none of them (the caller's default applies).
///
/// Ranges are tried by quality, then in header order; each is truncated from the end until an
/// offered tag matches (RFC 4647 lookup), so `ja-JP` finds `ja`, and also matches the offered
/// tags it covers. Tags covered by a `q=0` range are never chosen.
pub fn choose_language<'a>(header: &str, offered: &[&'a str]) -> Option<&'a str> {
    let mut ranges = language_ranges(header);
    let refused: Vec<String> = ranges.iter().filter(|r| r.q <= 0.0).map(|r| r.tag.clone()).collect();
    let allowed = |tag: &str| !refused.iter().any(|r| r != "*" && covers(r, tag));
    ranges.retain(|r| r.q > 0.0);
    // Stable: ties keep header order.
    ranges.sort_by(|a, b| b.q.total_cmp(&a.q));
    for range in &ranges {
        let mut prefix = range.tag.as_str();
        loop {
            let found = offered.iter().find(|t| allowed(t) && (t.eq_ignore_ascii_case(prefix) || covers(prefix, t)));
            if let Some(tag) = found {
                return Some(tag);
            }
            match prefix.rsplit_once('-') {
                Some((shorter, _)) => prefix = shorter,
                None => break,
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum F {
        Html,
        Turtle,
        Json,
    }

    const OFFERS: &[(&str, F)] = &[("text/html", F::Html), ("text/turtle", F::Turtle), ("application/json", F::Json)];

    fn pick(accept: &str) -> Option<F> {
        negotiate(Some(accept), OFFERS)
    }

    #[test]
    fn q_values_order_the_offers() {
        assert_eq!(pick("application/json;q=0.5, text/turtle;q=0.9"), Some(F::Turtle));
        assert_eq!(pick("text/turtle;q=0.2, application/json"), Some(F::Json));
        assert_eq!(pick("TEXT/Turtle ; Q=0.7 , application/json;q=0.6"), Some(F::Turtle));
        // A q that is not a number never wins; one above 1 counts as 1.
        assert_eq!(pick("text/turtle;q=high, application/json;q=0.1"), Some(F::Json));
        assert_eq!(pick("text/turtle;q=5, application/json"), Some(F::Turtle));
    }

    #[test]
    fn no_header_means_the_first_offer_and_nothing_acceptable_means_none() {
        assert_eq!(negotiate(None, OFFERS), Some(F::Html));
        assert_eq!(negotiate(Some("  "), OFFERS), Some(F::Html));
        assert_eq!(pick("image/png"), None);
        assert_eq!(pick("garbage"), None);
    }

    #[test]
    fn wildcards_match_by_offer_order_and_lose_to_exact_types() {
        assert_eq!(pick("*/*"), Some(F::Html));
        assert_eq!(pick("application/*"), Some(F::Json));
        assert_eq!(pick("text/*"), Some(F::Html));
        assert_eq!(pick("*/*;q=0.1, application/json"), Some(F::Json));
        // Same q: the exact type beats the wildcard written before it.
        assert_eq!(pick("*/*, text/turtle"), Some(F::Turtle));
        // Same q and specificity: the range written first.
        assert_eq!(pick("text/turtle, text/html"), Some(F::Turtle));
        assert_eq!(pick("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), Some(F::Html));
    }

    #[test]
    fn q_zero_refuses_an_offer_even_beside_a_wildcard() {
        assert_eq!(pick("text/turtle;q=0"), None);
        assert_eq!(pick("text/html;q=0, */*"), Some(F::Turtle));
        assert_eq!(pick("text/*;q=0, */*;q=0.5"), Some(F::Json));
        assert_eq!(pick("*/*;q=0"), None);
    }

    #[test]
    fn parameters_are_kept_for_profiles() {
        let ranges = media_ranges(r#"application/xml; profile="http://datacite.org/schema/kernel-4"; q=0.8"#);
        assert_eq!(ranges[0].media, "application/xml");
        assert_eq!(ranges[0].param("profile"), Some("http://datacite.org/schema/kernel-4"));
        assert_eq!(ranges[0].q, 0.8);
    }

    #[test]
    fn language_ranges_find_the_offered_languages() {
        let offered = ["en", "ja"];
        let lang = |h: &str| choose_language(h, &offered);
        assert_eq!(lang("ja-JP,ja;q=0.9,en;q=0.8"), Some("ja"));
        assert_eq!(lang("ja-JP"), Some("ja"));
        assert_eq!(lang("JA_jp"), Some("ja"));
        assert_eq!(lang("en-US;q=0.5, ja;q=0.8"), Some("ja"));
        assert_eq!(lang("fr, ja;q=0.1"), Some("ja"));
        assert_eq!(lang("fr, de"), None);
        assert_eq!(lang(""), None);
        // Ties keep header order.
        assert_eq!(lang("en, ja"), Some("en"));
        assert_eq!(lang("ja, en"), Some("ja"));
    }

    #[test]
    fn language_q_zero_refuses_and_wildcards_take_what_is_left() {
        let offered = ["en", "ja"];
        let lang = |h: &str| choose_language(h, &offered);
        assert_eq!(lang("ja;q=0"), None);
        assert_eq!(lang("ja;q=0, *"), Some("en"));
        assert_eq!(lang("en;q=0, *;q=0.5"), Some("ja"));
        assert_eq!(lang("*"), Some("en"));
        // A range covers the more specific offered tags.
        assert_eq!(choose_language("pt", &["pt-br"]), Some("pt-br"));
        assert_eq!(choose_language("pt-br;q=0, pt", &["pt-br", "pt"]), Some("pt"));
    }
}
