//! OAI-PMH request arguments: which verb, which arguments it allows, and the protocol's
//! argument errors (`badVerb`, `badArgument`) before any catalog work.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// An OAI-PMH error condition with its message; `code` is the protocol's own name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OaiError {
    pub code: &'static str,
    pub message: String,
}

impl OaiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        OaiError { code, message: message.into() }
    }

    /// After these two the response echoes only the base URL, not the request's arguments.
    pub fn hides_request(&self) -> bool {
        matches!(self.code, "badVerb" | "badArgument")
    }
}

/// The six verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Identify,
    ListMetadataFormats,
    ListSets,
    ListIdentifiers,
    ListRecords,
    GetRecord,
}

impl Verb {
    pub fn name(self) -> &'static str {
        match self {
            Verb::Identify => "Identify",
            Verb::ListMetadataFormats => "ListMetadataFormats",
            Verb::ListSets => "ListSets",
            Verb::ListIdentifiers => "ListIdentifiers",
            Verb::ListRecords => "ListRecords",
            Verb::GetRecord => "GetRecord",
        }
    }

    fn parse(s: &str) -> Option<Verb> {
        [
            Verb::Identify,
            Verb::ListMetadataFormats,
            Verb::ListSets,
            Verb::ListIdentifiers,
            Verb::ListRecords,
            Verb::GetRecord,
        ]
        .into_iter()
        .find(|v| v.name() == s)
    }

    /// (required, optional) arguments; `resumptionToken` is exclusive where allowed.
    fn arguments(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Verb::Identify => (&[], &[]),
            Verb::ListMetadataFormats => (&[], &["identifier"]),
            Verb::ListSets => (&[], &["resumptionToken"]),
            Verb::ListIdentifiers | Verb::ListRecords => {
                (&["metadataPrefix"], &["from", "until", "set", "resumptionToken"])
            }
            Verb::GetRecord => (&["identifier", "metadataPrefix"], &[]),
        }
    }
}

/// A checked request: the verb and its arguments (each at most once).
#[derive(Debug, Clone)]
pub struct Request {
    pub verb: Verb,
    pub args: BTreeMap<String, String>,
}

impl Request {
    /// Checks the verb and the argument names, repeats and exclusivity.
    pub fn parse(pairs: &[(String, String)]) -> Result<Request, OaiError> {
        let mut args: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in pairs {
            if args.insert(k.clone(), v.clone()).is_some() {
                let code = if k == "verb" { "badVerb" } else { "badArgument" };
                return Err(OaiError::new(code, format!("argument {k} is repeated")));
            }
        }
        let verb = match args.remove("verb") {
            None => return Err(OaiError::new("badVerb", "the verb argument is missing")),
            Some(v) => {
                Verb::parse(&v).ok_or_else(|| OaiError::new("badVerb", format!("{v:?} is not an OAI-PMH verb")))?
            }
        };
        let (required, optional) = verb.arguments();
        if let Some(k) = args.keys().find(|k| !required.contains(&k.as_str()) && !optional.contains(&k.as_str())) {
            return Err(OaiError::new("badArgument", format!("{} does not take the argument {k}", verb.name())));
        }
        if args.contains_key("resumptionToken") {
            if args.len() > 1 {
                return Err(OaiError::new("badArgument", "resumptionToken is an exclusive argument"));
            }
        } else if let Some(k) = required.iter().find(|k| !args.contains_key(**k)) {
            return Err(OaiError::new("badArgument", format!("{} needs the argument {k}", verb.name())));
        }
        Ok(Request { verb, args })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.args.get(key).map(String::as_str)
    }
}

/// A `from`–`until` window; either end may be open.
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `from` / `until` in either granularity; both must use the same one and `from` ≤ `until`.
/// Day granularity for `until` means the whole day.
pub fn date_range(from: Option<&str>, until: Option<&str>) -> Result<Window, OaiError> {
    let parse = |s: &str, end: bool| -> Result<(DateTime<Utc>, bool), OaiError> {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ") {
            return Ok((t.and_utc(), true));
        }
        if s.len() == 10
            && let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        {
            let t = if end { d.and_hms_opt(23, 59, 59) } else { d.and_hms_opt(0, 0, 0) };
            return Ok((t.unwrap_or_default().and_utc(), false));
        }
        Err(OaiError::new("badArgument", format!("{s:?} is not a date in YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")))
    };
    let f = from.map(|s| parse(s, false)).transpose()?;
    let u = until.map(|s| parse(s, true)).transpose()?;
    if let (Some((a, fine_a)), Some((b, fine_b))) = (f, u) {
        if fine_a != fine_b {
            return Err(OaiError::new("badArgument", "from and until must have the same granularity"));
        }
        if a > b {
            return Err(OaiError::new("badArgument", "from is later than until"));
        }
    }
    Ok((f.map(|x| x.0), u.map(|x| x.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pairs: &[(&str, &str)]) -> Result<Request, OaiError> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        Request::parse(&pairs)
    }

    #[test]
    fn verbs_and_arguments_are_checked() {
        assert_eq!(req(&[]).unwrap_err().code, "badVerb");
        assert_eq!(req(&[("verb", "Nope")]).unwrap_err().code, "badVerb");
        assert_eq!(req(&[("verb", "Identify"), ("verb", "Identify")]).unwrap_err().code, "badVerb");
        assert_eq!(req(&[("verb", "Identify"), ("set", "x")]).unwrap_err().code, "badArgument");
        assert_eq!(req(&[("verb", "ListRecords")]).unwrap_err().code, "badArgument");
        assert_eq!(
            req(&[("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("resumptionToken", "t")]).unwrap_err().code,
            "badArgument"
        );
        assert!(req(&[("verb", "ListRecords"), ("resumptionToken", "t")]).is_ok());
        assert_eq!(req(&[("verb", "GetRecord"), ("identifier", "x")]).unwrap_err().code, "badArgument");
        assert!(req(&[("verb", "ListMetadataFormats")]).is_ok());
    }

    #[test]
    fn dates_have_one_granularity_and_order() {
        assert!(date_range(Some("2026-01-01"), Some("2026-01-02")).is_ok());
        assert!(date_range(Some("2026-01-01T00:00:00Z"), None).is_ok());
        assert_eq!(date_range(Some("2026-01-01"), Some("2026-01-02T00:00:00Z")).unwrap_err().code, "badArgument");
        assert_eq!(date_range(Some("2026-02-01"), Some("2026-01-01")).unwrap_err().code, "badArgument");
        assert_eq!(date_range(Some("yesterday"), None).unwrap_err().code, "badArgument");
        assert_eq!(date_range(Some("2026-01-01T00:00:00"), None).unwrap_err().code, "badArgument");
        let (_, until) = date_range(None, Some("2026-01-01")).unwrap();
        assert_eq!(until.unwrap().to_rfc3339(), "2026-01-01T23:59:59+00:00");
    }
}
