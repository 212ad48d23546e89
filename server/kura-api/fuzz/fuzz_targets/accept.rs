//! `Accept` and `Accept-Language` as every surface reads them (`kura_core::negotiate`): any header
//! picks an offer or none, never panics, and never picks what a `q=0` range names exactly.
#![no_main]
#![allow(dead_code)]

#[path = "../../../kura-core/src/negotiate.rs"]
mod negotiate;

const OFFERS: &[(&str, usize)] = &[("text/html", 0), ("text/turtle", 1), ("application/ld+json", 2)];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    if let Some(i) = negotiate::negotiate(Some(header), OFFERS) {
        let (media, _) = OFFERS[i];
        let ranges = negotiate::media_ranges(header);
        // The most specific range for an exact type is the type itself: its q=0 refuses it.
        let exact = ranges.iter().find(|r| r.media == media);
        assert!(exact.is_none_or(|r| r.q > 0.0), "{header:?} chose {media} against q=0");
    }
    if let Some(lang) = negotiate::choose_language(header, &["en", "ja"]) {
        assert!(lang == "en" || lang == "ja");
    }
});
