//! Cookies: read with axum-extra's jar, written with the `cookie` crate's builder, so that
//! quoting, attribute syntax and removal follow RFC 6265 without hand-made `Set-Cookie` strings.

use axum::http::{HeaderMap, HeaderValue, header};
use axum_extra::extract::cookie::CookieJar;
use cookie::time::Duration;
use cookie::{Cookie, SameSite};

use crate::state::AppState;

/// The value of cookie `name`, if the request sent it.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    CookieJar::from_headers(headers).get(name).map(|c| c.value().to_owned())
}

/// A cookie for `path` that lives `max_age_seconds`; `secure` only over HTTPS (see [`https`]):
/// a plain-http node would otherwise never get it back.
pub fn new(
    name: &'static str,
    value: String,
    path: &'static str,
    same_site: SameSite,
    max_age_seconds: i64,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path(path)
        .same_site(same_site)
        .max_age(Duration::seconds(max_age_seconds))
        .secure(secure)
        .build()
}

/// The cookie that makes a browser forget cookie `name` of `path`.
pub fn removal(name: &'static str, path: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build((name, "")).path(path).build();
    cookie.make_removal();
    cookie
}

/// Whether cookies get `Secure`: when the node is served over HTTPS.
pub fn https(state: &AppState) -> bool {
    state.config.base_url().starts_with("https://")
}

/// Adds a `Set-Cookie` header for `cookie`.
pub fn set(headers: &mut HeaderMap, cookie: &Cookie<'_>) {
    // A cookie built from our own names and random tokens is always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        headers.append(header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; lang=ja"));
        headers.append(header::COOKIE, HeaderValue::from_static("kura_session=s3cret"));
        assert_eq!(get(&headers, "lang").as_deref(), Some("ja"));
        assert_eq!(get(&headers, "kura_session").as_deref(), Some("s3cret"));
        assert_eq!(get(&headers, "missing"), None);
    }

    #[test]
    fn set_cookie_values_carry_their_attributes() {
        let c = new("lang", "ja".into(), "/", SameSite::Lax, 60, false);
        let text = c.to_string();
        assert!(text.starts_with("lang=ja;"), "{text}");
        assert!(text.contains("Path=/") && text.contains("SameSite=Lax") && text.contains("Max-Age=60"), "{text}");
        assert!(!text.contains("Secure"), "{text}");
        let gone = removal("lang", "/").to_string();
        assert!(gone.starts_with("lang=;") && gone.contains("Max-Age=0"), "{gone}");
    }
}
