//! The `authorization` header, as REST and Flight receive it.

use base64::Engine;

use crate::AuthError;

/// A credential presented in an `authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization<'a> {
    /// `Bearer <JWT or API token>`.
    Bearer(&'a str),
    /// `Basic <base64 of username:password>` (RFC 7617), as Flight clients sign in.
    Basic { username: String, password: String },
}

impl<'a> Authorization<'a> {
    /// Parses a header value; any other scheme is refused.
    pub fn parse(value: &'a [u8]) -> Result<Self, AuthError> {
        let value = std::str::from_utf8(value).map_err(|_| AuthError::HeaderNotText)?;
        if let Some(secret) = value.strip_prefix("Bearer ") {
            return Ok(Authorization::Bearer(secret.trim()));
        }
        let Some(encoded) = value.strip_prefix("Basic ") else { return Err(AuthError::NotBearer) };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(AuthError::MalformedBasic)?;
        let (username, password) = decoded.split_once(':').ok_or(AuthError::MalformedBasic)?;
        Ok(Authorization::Basic { username: username.to_owned(), password: password.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_basic_parse_and_nothing_else_does() {
        assert_eq!(Authorization::parse(b"Bearer  kura_abc "), Ok(Authorization::Bearer("kura_abc")));
        let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("ann:pass:word"));
        let expected = Authorization::Basic { username: "ann".into(), password: "pass:word".into() };
        assert_eq!(Authorization::parse(basic.as_bytes()), Ok(expected));
        assert_eq!(Authorization::parse(b"Basic !!"), Err(AuthError::MalformedBasic));
        let no_colon = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("ann"));
        assert_eq!(Authorization::parse(no_colon.as_bytes()), Err(AuthError::MalformedBasic));
        assert_eq!(Authorization::parse(b"Digest x"), Err(AuthError::NotBearer));
        assert_eq!(Authorization::parse(b"bearer x"), Err(AuthError::NotBearer));
        assert_eq!(Authorization::parse(&[0xff, 0xfe]), Err(AuthError::HeaderNotText));
    }
}
