//! Urlencoded forms and query strings, read by hand: repeated keys (checkbox lists) matter, and
//! every value is text the page checks itself.

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

/// Splits `a=1&b=x+y` into decoded pairs.
pub fn parse(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value.
pub fn enc(text: &str) -> String {
    crate::routes::percent_encode(text)
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
        assert_eq!(parse(&format!("q={}", enc("a&b=c 蔵"))), vec![("q".to_owned(), "a&b=c 蔵".to_owned())]);
    }
}
