//! The interface language of the HTML pages (the portal and the landing pages), English or
//! Japanese: `?lang=` wins, then the `lang` cookie, then `Accept-Language`; English otherwise.
//! The strings themselves are in `html::text`.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use kura_core::negotiate::choose_language;

/// The interface languages, the default first.
const LANGUAGES: &[&str] = &["en", "ja"];

/// The cookie that remembers a reader's choice of language.
const LANG_COOKIE: &str = "lang";

/// The cookie remembering a language for a year.
pub fn lang_cookie(lang: &'static str) -> cookie::Cookie<'static> {
    crate::cookies::new(LANG_COOKIE, lang.to_owned(), "/", cookie::SameSite::Lax, 365 * 24 * 3600, false)
}

/// The language of this request: `?lang=`, the `lang` cookie, `Accept-Language`, else English.
pub fn choose(query_lang: Option<&str>, headers: &HeaderMap) -> &'static str {
    // `?lang=` and the cookie are read like a one-range `Accept-Language`: `ja-JP` means `ja`.
    let known = |l: &str| choose_language(l, LANGUAGES);
    let cookie = crate::cookies::get(headers, LANG_COOKIE);
    let accept_language = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    query_lang
        .and_then(known)
        .or_else(|| cookie.as_deref().and_then(known))
        .or_else(|| choose_language(accept_language, LANGUAGES))
        .unwrap_or("en")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use axum::http::header::COOKIE;

    #[test]
    fn query_beats_cookie_beats_accept_language() {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("ja-JP,ja;q=0.9,en;q=0.8"));
        assert_eq!(choose(None, &h), "ja");
        h.insert(COOKIE, HeaderValue::from_static("session=x; lang=en"));
        assert_eq!(choose(None, &h), "en");
        assert_eq!(choose(Some("ja"), &h), "ja");
        assert_eq!(choose(None, &HeaderMap::new()), "en");
        assert_eq!(choose(Some("ja-JP"), &HeaderMap::new()), "ja");
        // q=0 refuses a language and `*` takes what is left (`*` used to be ignored, so a refused
        // English was still chosen as the default).
        let mut refused = HeaderMap::new();
        refused.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("ja;q=0, *"));
        assert_eq!(choose(None, &refused), "en");
        refused.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en;q=0, *;q=0.5"));
        assert_eq!(choose(None, &refused), "ja");
    }
}
