//! Resumption tokens: the input both as a token string and as the JSON a token encodes (which
//! the fuzzer could hardly reach through base64), and a decoded token must encode back to itself.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/routes/oai/args.rs"]
mod args;
#[path = "../../src/routes/oai/token.rs"]
mod token;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let now = DateTime::<Utc>::from_timestamp(1_790_000_000, 0).expect("a valid time");
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = token::Token::decode(s, now);
    }
    if let Ok(t) = token::Token::decode(&URL_SAFE_NO_PAD.encode(data), now) {
        assert_eq!(token::Token::decode(&t.encode(), now), Ok(t), "a token round-trips");
    }
});
