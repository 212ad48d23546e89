//! Urlencoded forms and query strings: repeated keys (checkbox lists) matter, and every value is
//! text the page checks itself, so pages read pairs rather than a typed form.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

use crate::error::ApiError;

/// The fields of an urlencoded form, in order, repeated keys kept.
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `key`, trimmed; empty when absent.
    pub fn get(&self, key: &str) -> &str {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).unwrap_or("")
    }

    /// Every non-empty value of `key`.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, v)| k == key && !v.trim().is_empty()).map(|(_, v)| v.trim()).collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = ApiError;
    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("cannot read the form: {e}")))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| ApiError::bad_request("the form is not UTF-8"))?;
        Ok(FormData(parse(text)))
    }
}

/// Splits `a=1&b=x+y` into decoded pairs (invalid escapes stay as written).
pub fn parse(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}

/// An urlencoded query string of `pairs`, for links that carry a page's state.
pub fn query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_and_keep_repeated_keys() {
        let f = FormData(parse("a=1&c=x+y&c=%E8%94%B5&d=%zz&e"));
        assert_eq!(f.get("a"), "1");
        assert_eq!(f.all("c"), vec!["x y", "蔵"]);
        assert_eq!(f.get("d"), "%zz");
        assert_eq!(f.get("e"), "");
        assert_eq!(f.get("missing"), "");
        assert_eq!(parse(&query([("q", "a&b=c 蔵")])), vec![("q".to_owned(), "a&b=c 蔵".to_owned())]);
    }
}
