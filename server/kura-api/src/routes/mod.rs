//! HTTP routes under `/api/v1`. Handlers extract, authorize through `crate::access`, call the
//! catalog or the ingestor, and map the result.

pub mod access_admin;
pub mod consortia;
pub mod datasets;
pub mod fair;
pub mod files;
pub mod health;
pub mod jobs;
pub mod me;
pub mod oai;
pub mod portal;
pub mod rows;
pub mod search;
pub mod sparql;
pub mod tables;
pub mod versions;

/// Percent-encodes text for a URL query value or an RFC 8187 header parameter: everything but
/// the unreserved characters (RFC 3986).
pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// An id taken from a path: text that is not an id names nothing, so it answers 404 for `what`.
pub(crate) fn parse_id(text: &str, what: &str) -> Result<uuid::Uuid, crate::error::ApiError> {
    text.parse().map_err(|_| crate::error::ApiError::not_found(what))
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(super::percent_encode("FeO résumé (1)_v-2.~csv"), "FeO%20r%C3%A9sum%C3%A9%20%281%29_v-2.~csv");
        assert_eq!(super::percent_encode("a&b=c/d"), "a%26b%3Dc%2Fd");
    }
}
