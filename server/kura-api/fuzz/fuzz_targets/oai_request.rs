//! An OAI-PMH request as the server checks it before any catalog work: the query string (or form
//! body) into pairs, the verb and its arguments, the `from`/`until` window and the resumption token.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/routes/oai/args.rs"]
mod args;
#[path = "../../src/routes/oai/token.rs"]
mod token;

use chrono::{DateTime, Utc};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    let Ok(req) = args::Request::parse(&pairs) else { return };
    // A fixed clock, so that a token's expiry decides the same way on every run.
    let now = DateTime::<Utc>::from_timestamp(1_790_000_000, 0).expect("a valid time");
    if let Some(t) = req.get("resumptionToken") {
        let _ = token::Token::decode(t, now);
    }
    let _ = args::date_range(req.get("from"), req.get("until"));
});
