//! OAI-PMH 2.0 at `/oai`: the six verbs over what harvesters may see (the catalog's
//! `harvestable` list, so closed, draft and invisible datasets cannot appear), `oai_dc`, sets per
//! owner group, consortium and subject, stateless resumption tokens, and deleted records for
//! deaccessioned versions (kept forever: `deletedRecord` is `persistent`).

mod args;
mod dc;
mod token;

use std::collections::{BTreeMap, BTreeSet};

use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use kura_catalog::harvest::HarvestItem;

use crate::state::AppState;
use crate::xml::XmlOut;
use args::{OaiError, Request, Verb, date_range};
use token::Token;

/// The metadata formats offered: prefix, schema, namespace. `oai_datacite` carries the DataCite
/// 4.7 `<resource>` itself (kernel-4 namespace), not the older `oai_datacite` payload wrapper.
const FORMATS: &[(&str, &str, &str)] = &[
    ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
    ("oai_datacite", "http://schema.datacite.org/meta/kernel-4.7/metadata.xsd", "http://datacite.org/schema/kernel-4"),
];

/// `GET /oai?verb=…`
pub async fn get(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    respond(&state, &pairs).await
}

/// `POST /oai` with a form body, as the protocol allows.
pub async fn post(State(state): State<AppState>, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    respond(&state, &pairs).await
}

async fn respond(state: &AppState, pairs: &[(String, String)]) -> Response {
    let now = Utc::now();
    let base = format!("{}/oai", state.config.base_url());
    let parsed = Request::parse(pairs);
    let body = match &parsed {
        Ok(req) => answer(state, req, now).await,
        Err(e) => Err(e.clone()),
    };
    let mut out = XmlOut::default();
    out.declaration();
    out.open(
        "OAI-PMH",
        &[
            ("xmlns", "http://www.openarchives.org/OAI/2.0/"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            (
                "xsi:schemaLocation",
                "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
            ),
        ],
    );
    out.element("responseDate", &stamp(now));
    // The request is echoed with its arguments unless they were the error.
    let echo: Vec<(&str, &str)> = match (&parsed, &body) {
        (Ok(_), Err(e)) if e.hides_request() => Vec::new(),
        (Ok(req), _) => [("verb", req.verb.name())]
            .into_iter()
            .chain(req.args.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .collect(),
        (Err(_), _) => Vec::new(),
    };
    out.element_with("request", &echo, &base);
    match body {
        Ok(xml) => out.fragment(&xml),
        Err(e) => out.element_with("error", &[("code", e.code)], &e.message),
    }
    out.close("OAI-PMH");
    out.line_break();
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], out.into_string()).into_response()
}

/// Datestamps at the seconds granularity the repository declares.
fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The namespace part of OAI identifiers: the base URL's host.
fn namespace(state: &AppState) -> String {
    let base = state.config.base_url();
    let host = base.split("://").nth(1).unwrap_or(&base).split(['/', ':']).next().unwrap_or("kura");
    if host.is_empty() { "kura".into() } else { host.to_string() }
}

fn identifier(state: &AppState, item: &HarvestItem) -> String {
    format!("oai:{}:{}/{}", namespace(state), item.dataset.name, item.version.number)
}

/// The persistent URL of a version.
pub fn pid_url(base: &str, item: &HarvestItem) -> String {
    format!("{base}/pid/{}/{}", item.dataset.id, item.version.number)
}

/// A set spec safe for the protocol's pattern: subjects in any script become ASCII.
fn subject_spec(subject: &str) -> String {
    let slug: String = subject
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() || !subject.is_ascii() {
        // Non-ASCII subjects (Japanese) keep a readable ASCII part plus their bytes in hex.
        let hex: String = subject.bytes().map(|b| format!("{b:02x}")).collect();
        if slug.is_empty() { format!("x{hex}") } else { format!("{slug}-x{hex}") }
    } else {
        slug
    }
}

/// The specs of every set an item belongs to, hierarchy included (`group`, `group:ID`).
fn sets_of(item: &HarvestItem) -> BTreeMap<String, String> {
    let mut sets = BTreeMap::new();
    if let Some(g) = item.dataset.group_id {
        sets.insert(format!("group:{g}"), String::new());
    }
    for c in &item.consortia {
        sets.insert(format!("consortium:{c}"), String::new());
    }
    let subjects = item.version.metadata.get("subjects").and_then(serde_json::Value::as_array);
    for subject in subjects.into_iter().flatten() {
        let code = subject.get("code").and_then(serde_json::Value::as_str);
        let scheme = subject.get("scheme").and_then(serde_json::Value::as_str).unwrap_or("FOS");
        if let Some(code) = code {
            let name =
                kura_metadata::fos::field(code).map_or(code.to_string(), |f| format!("{} ({scheme} {code})", f.en));
            sets.insert(format!("subject:{}", subject_spec(&format!("{scheme} {code}"))), name);
        }
    }
    sets
}

fn in_set(item: &HarvestItem, set: &str) -> bool {
    sets_of(item).keys().any(|s| s == set || s.split(':').next() == Some(set))
}

async fn answer(state: &AppState, req: &Request, now: DateTime<Utc>) -> Result<String, OaiError> {
    let internal = |e: kura_service::ServiceError| {
        let id = uuid::Uuid::now_v7();
        tracing::error!(error_id = %id, error = %e, "oai-pmh request failed");
        OaiError::new("badArgument", format!("the repository could not answer (error id {id})"))
    };
    let items = kura_service::harvest::listing(state).await.map_err(internal)?;
    match req.verb {
        Verb::Identify => Ok(identify(state, &items)),
        Verb::ListMetadataFormats => {
            if let Some(id) = req.get("identifier") {
                find(state, &items, id)?;
            }
            let mut out = XmlOut::default();
            out.open("ListMetadataFormats", &[]);
            for (prefix, schema, ns) in FORMATS {
                out.open("metadataFormat", &[]);
                out.element("metadataPrefix", prefix);
                out.element("schema", schema);
                out.element("metadataNamespace", ns);
                out.close("metadataFormat");
            }
            out.close("ListMetadataFormats");
            Ok(out.into_string())
        }
        Verb::ListSets => {
            if let Some(t) = req.get("resumptionToken") {
                Token::decode(t, now)?;
                return Err(OaiError::new("badResumptionToken", "ListSets is answered in one response"));
            }
            list_sets(state, &items).await.map_err(internal)
        }
        Verb::GetRecord => {
            let prefix = req.get("metadataPrefix").unwrap_or_default();
            check_prefix(prefix)?;
            let item = find(state, &items, req.get("identifier").unwrap_or_default())?;
            let mut out = XmlOut::default();
            out.open("GetRecord", &[]);
            record(state, &mut out, item, Some(prefix), now).await?;
            out.close("GetRecord");
            Ok(out.into_string())
        }
        Verb::ListIdentifiers | Verb::ListRecords => list(state, req, &items, now).await,
    }
}

fn check_prefix(prefix: &str) -> Result<(), OaiError> {
    if FORMATS.iter().any(|(p, ..)| *p == prefix) {
        Ok(())
    } else {
        Err(OaiError::new("cannotDisseminateFormat", format!("metadata format {prefix:?} is not offered")))
    }
}

fn find<'a>(state: &AppState, items: &'a [HarvestItem], id: &str) -> Result<&'a HarvestItem, OaiError> {
    items
        .iter()
        .find(|i| identifier(state, i) == id)
        .ok_or_else(|| OaiError::new("idDoesNotExist", format!("no record has the identifier {id:?}")))
}

fn identify(state: &AppState, items: &[HarvestItem]) -> String {
    let earliest = items.iter().map(HarvestItem::datestamp).min().unwrap_or(DateTime::UNIX_EPOCH);
    let mut out = XmlOut::default();
    out.open("Identify", &[]);
    out.element("repositoryName", &state.config.repository_name);
    out.element("baseURL", &format!("{}/oai", state.config.base_url()));
    out.element("protocolVersion", "2.0");
    out.element("adminEmail", &state.config.admin_email);
    out.element("earliestDatestamp", &stamp(earliest));
    out.element("deletedRecord", "persistent");
    out.element("granularity", "YYYY-MM-DDThh:mm:ssZ");
    out.close("Identify");
    out.into_string()
}

async fn list_sets(state: &AppState, items: &[HarvestItem]) -> Result<String, kura_service::ServiceError> {
    let groups: BTreeSet<uuid::Uuid> = items.iter().filter_map(|i| i.dataset.group_id).collect();
    let consortia: BTreeSet<uuid::Uuid> = items.iter().flat_map(|i| i.consortia.iter().copied()).collect();
    let mut subjects: BTreeMap<String, String> = BTreeMap::new();
    for item in items {
        subjects.extend(sets_of(item).into_iter().filter(|(k, _)| k.starts_with("subject:")));
    }
    let mut sets: Vec<(String, String)> = Vec::new();
    if !groups.is_empty() {
        sets.push(("group".into(), "Owner groups".into()));
        let ids: Vec<_> = groups.into_iter().collect();
        sets.extend(
            kura_service::harvest::group_sets(state, &ids)
                .await?
                .into_iter()
                .map(|g| (format!("group:{}", g.id), g.name)),
        );
    }
    if !consortia.is_empty() {
        sets.push(("consortium".into(), "Consortia".into()));
        let ids: Vec<_> = consortia.into_iter().collect();
        sets.extend(
            kura_service::harvest::consortium_sets(state, &ids)
                .await?
                .into_iter()
                .map(|c| (format!("consortium:{}", c.id), c.name)),
        );
    }
    if !subjects.is_empty() {
        sets.push(("subject".into(), "Subjects".into()));
        sets.extend(subjects);
    }
    if sets.is_empty() {
        // The XSD needs at least one set in a ListSets answer.
        let mut out = XmlOut::default();
        out.element_with("error", &[("code", "noSetHierarchy")], "no records belong to any set yet");
        return Ok(out.into_string());
    }
    let mut out = XmlOut::default();
    out.open("ListSets", &[]);
    for (spec, name) in sets {
        out.open("set", &[]);
        out.element("setSpec", &spec);
        out.element("setName", &name);
        out.close("set");
    }
    out.close("ListSets");
    Ok(out.into_string())
}

async fn list(state: &AppState, req: &Request, items: &[HarvestItem], now: DateTime<Utc>) -> Result<String, OaiError> {
    let resumed = req.get("resumptionToken").map(|t| Token::decode(t, now)).transpose()?;
    let (prefix, from, until, set, cursor) = match &resumed {
        Some(t) => (t.prefix.clone(), t.from.clone(), t.until.clone(), t.set.clone(), t.cursor),
        None => (
            req.get("metadataPrefix").unwrap_or_default().to_string(),
            req.get("from").map(str::to_string),
            req.get("until").map(str::to_string),
            req.get("set").map(str::to_string),
            0,
        ),
    };
    let (from_t, until_t) = date_range(from.as_deref(), until.as_deref())?;
    check_prefix(&prefix)?;
    let matching: Vec<&HarvestItem> = items
        .iter()
        .filter(|i| from_t.is_none_or(|f| i.datestamp() >= f))
        .filter(|i| until_t.is_none_or(|u| i.datestamp() <= u))
        .filter(|i| set.as_deref().is_none_or(|s| in_set(i, s)))
        .collect();
    if let Some(t) = &resumed
        && (t.total != matching.len() || t.cursor >= matching.len())
    {
        return Err(OaiError::new("badResumptionToken", "the list changed since this token was issued: start again"));
    }
    if matching.is_empty() {
        return Err(OaiError::new("noRecordsMatch", "no record matches these arguments"));
    }
    let page = state.config.oai_page_size.max(1);
    let end = (cursor + page).min(matching.len());
    let with_metadata = req.verb == Verb::ListRecords;
    let mut out = XmlOut::default();
    out.open(req.verb.name(), &[]);
    for item in &matching[cursor..end] {
        if with_metadata {
            record(state, &mut out, item, Some(&prefix), now).await?;
        } else {
            header(state, &mut out, item);
        }
    }
    let split = resumed.is_some() || end < matching.len();
    if split {
        let (size, cursor_text) = (matching.len().to_string(), cursor.to_string());
        let attrs = [("completeListSize", size.as_str()), ("cursor", cursor_text.as_str())];
        if end < matching.len() {
            let next =
                Token { prefix, from, until, set, cursor: end, total: matching.len(), expires: now + token::LIFETIME };
            let expires = stamp(next.expires);
            let attrs = [attrs[0], attrs[1], ("expirationDate", expires.as_str())];
            out.element_with("resumptionToken", &attrs, &next.encode());
        } else {
            out.empty("resumptionToken", &attrs);
        }
    }
    out.close(req.verb.name());
    Ok(out.into_string())
}

fn header(state: &AppState, out: &mut XmlOut, item: &HarvestItem) {
    let status: &[(&str, &str)] = if item.deleted() { &[("status", "deleted")] } else { &[] };
    out.open("header", status);
    out.element("identifier", &identifier(state, item));
    out.element("datestamp", &stamp(item.datestamp()));
    for spec in sets_of(item).keys() {
        out.element("setSpec", spec);
    }
    out.close("header");
}

async fn record(
    state: &AppState,
    out: &mut XmlOut,
    item: &HarvestItem,
    prefix: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), OaiError> {
    out.open("record", &[]);
    header(state, out, item);
    if let Some(prefix) = prefix.filter(|_| !item.deleted()) {
        out.open("metadata", &[]);
        let base = state.config.base_url();
        if prefix == "oai_datacite" {
            out.fragment(&datacite(state, item, now).await?);
        } else {
            dc::write(out, item, &pid_url(&base, item), &state.config.repository_name);
        }
        out.close("metadata");
    }
    out.close("record");
    Ok(())
}

/// The DataCite resource of a version, without its XML declaration (it sits inside a record).
async fn datacite(state: &AppState, item: &HarvestItem, now: DateTime<Utc>) -> Result<String, OaiError> {
    let failed = |e: &dyn std::fmt::Display| {
        let id = uuid::Uuid::now_v7();
        tracing::error!(error_id = %id, error = %e, dataset = %item.dataset.name, "oai-pmh datacite record failed");
        OaiError::new("cannotDisseminateFormat", format!("this record cannot be shown as DataCite (error id {id})"))
    };
    let describer =
        kura_rdf::Describer::new(state.catalog.clone(), &state.config.base_url(), &state.config.repository_name, None);
    let view = describer.version(&item.dataset, &item.version, false, now).await.map_err(|e| failed(&e))?;
    let xml = kura_metadata::to_datacite_xml(&view).map_err(|e| failed(&e))?;
    let body = match xml.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(rest, |(_, r)| r),
        None => &xml,
    };
    Ok(body.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_specs_match_the_protocol_pattern() {
        assert_eq!(subject_spec("Materials Science"), "materials-science");
        assert_eq!(subject_spec("材料科学"), "xe69d90e69699e7a791e5ada6");
        assert_eq!(subject_spec("X線 回折"), "x-x58e7b79a20e59b9ee68a98");
        for s in ["Materials Science", "材料科学", "a/b (c)"] {
            assert!(subject_spec(s).chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        }
    }
}
