//! Percent-encoding of names in IRIs and URLs (RFC 3986): only the unreserved characters stay
//! as they are, so any dataset, file or table name makes a valid IRI and a valid URL. Every
//! surface encodes through here so that links built in different crates agree.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but the unreserved characters `A-Z a-z 0-9 - . _ ~`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// As [`SEGMENT`], with `/` kept: a relative path keeps its folders.
const PATH: &AsciiSet = &SEGMENT.remove(b'/');

/// Encodes one path segment, a query value or an RFC 8187 header parameter (`/` encoded).
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// Encodes a relative path, keeping its slashes.
pub fn path(text: &str) -> String {
    utf8_percent_encode(text, PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_stay() {
        assert_eq!(segment("FeO résumé (1)_v-2.~csv"), "FeO%20r%C3%A9sum%C3%A9%20%281%29_v-2.~csv");
        assert_eq!(segment("a&b=c/d"), "a%26b%3Dc%2Fd");
        assert_eq!(segment("温度 log"), "%E6%B8%A9%E5%BA%A6%20log");
        assert_eq!(path("files/a b.csv"), "files/a%20b.csv");
    }
}
