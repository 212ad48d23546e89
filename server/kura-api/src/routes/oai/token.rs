//! Resumption tokens: the position in a list plus the list's arguments and an expiry, encoded so
//! that no server state is kept. A token that does not decode, has expired, or whose list has
//! changed length under it (records added or removed) is a `badResumptionToken`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::args::OaiError;

/// How long a token stays valid.
pub const LIFETIME: Duration = Duration::hours(24);

/// Where a list resumes and under which arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// `metadataPrefix` (empty for ListSets).
    pub prefix: String,
    pub from: Option<String>,
    pub until: Option<String>,
    pub set: Option<String>,
    /// Position of the next record in the complete list.
    pub cursor: usize,
    /// Size of the complete list when the token was issued.
    pub total: usize,
    pub expires: DateTime<Utc>,
}

impl Token {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(s: &str, now: DateTime<Utc>) -> Result<Token, OaiError> {
        let bad = || OaiError::new("badResumptionToken", "the resumption token is not one this repository issued");
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let token: Token = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if token.expires < now {
            return Err(OaiError::new("badResumptionToken", "the resumption token has expired"));
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_expiry_and_garbage() {
        let now = Utc::now();
        let t = Token {
            prefix: "oai_dc".into(),
            from: None,
            until: Some("2030-01-01".into()),
            set: Some("group:x".into()),
            cursor: 100,
            total: 250,
            expires: now + LIFETIME,
        };
        assert_eq!(Token::decode(&t.encode(), now).unwrap(), t);
        assert_eq!(Token::decode(&t.encode(), now + LIFETIME * 2).unwrap_err().code, "badResumptionToken");
        assert_eq!(Token::decode("not a token", now).unwrap_err().code, "badResumptionToken");
        assert_eq!(Token::decode("e30", now).unwrap_err().code, "badResumptionToken");
    }
}
