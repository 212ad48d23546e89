//! FAIR Signposting (levels 1 and 2) for a dataset version's landing page: the typed links of
//! its `Link` header and of its linkset (RFC 9264, `application/linkset+json` and
//! `application/linkset`). Built from the same [`DatasetView`] as every other surface, so the
//! links agree with the landing page, the RDF and the JSON-LD.

use kura_metadata::citation::cite_as;
use kura_metadata::{DatasetView, spdx};
use serde_json::{Map, Value, json};

/// The metadata documents a landing page is described by: file name beside the landing page,
/// media type.
pub const DESCRIBED_BY: &[(&str, &str)] = &[
    ("metadata.ttl", "text/turtle"),
    ("metadata.jsonld", "application/ld+json"),
    ("metadata.rdf", "application/rdf+xml"),
    ("metadata.nt", "application/n-triples"),
    ("datacite.xml", "application/vnd.datacite.datacite+xml"),
];

/// The RO-Crate profile IRI, for the `.eln` export's links.
pub const RO_CRATE_PROFILE: &str = "https://w3id.org/ro/crate";

/// The JSON-LD profile of `metadata.jsonld`: expanded form (full IRIs, no context), as the
/// JSON-LD 1.1 spec names it, so that a client knows which form it gets without reading it.
pub const JSON_LD_EXPANDED: &str = "http://www.w3.org/ns/json-ld#expanded";

/// The profile a metadata document of `media_type` is served in (the `profile` of its link, of
/// its `Content-Type` and of its own `Link` header): JSON-LD says its form (Signposting
/// scenarios 31 and 32); the other formats have none.
pub fn profile_of(media_type: &str) -> Option<&'static str> {
    (media_type == "application/ld+json").then_some(JSON_LD_EXPANDED)
}

/// Most `item` links put in a `Link` header; the linkset always lists every item.
pub const MAX_HEADER_ITEMS: usize = 50;

/// One typed link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub rel: &'static str,
    pub media_type: Option<String>,
    pub profile: Option<String>,
}

impl Link {
    fn new(href: impl Into<String>, rel: &'static str) -> Self {
        Link { href: href.into(), rel, media_type: None, profile: None }
    }

    fn typed(href: impl Into<String>, rel: &'static str, media_type: &str) -> Self {
        Link { media_type: Some(media_type.to_string()), ..Link::new(href, rel) }
    }

    /// The link in `Link` header syntax (RFC 8288).
    pub fn to_header_value(&self) -> String {
        let mut out = format!("<{}>; rel=\"{}\"", self.href, self.rel);
        if let Some(t) = &self.media_type {
            out.push_str(&format!("; type=\"{t}\""));
        }
        if let Some(p) = &self.profile {
            out.push_str(&format!("; profile=\"{p}\""));
        }
        out
    }
}

/// A document beside the landing page (`{landing}/metadata.ttl`).
pub fn beside(view: &DatasetView, file: &str) -> String {
    format!("{}/{file}", view.landing_url)
}

/// The links of the landing page itself. `with_items` is false for a tombstone (the data are
/// gone); the metadata stays described.
pub fn landing_links(view: &DatasetView, with_items: bool) -> Vec<Link> {
    let mut links = vec![Link::new(cite_as(view), "cite-as")];
    for (file, media_type) in DESCRIBED_BY {
        let link = Link::typed(beside(view, file), "describedby", media_type);
        links.push(Link { profile: profile_of(media_type).map(str::to_string), ..link });
    }
    if with_items {
        for f in &view.files {
            links.push(Link::typed(&f.download_url, "item", &f.media_type));
        }
        for t in &view.tables {
            links.push(Link::typed(&t.parquet_url, "item", "application/vnd.apache.parquet"));
        }
        links.push(Link {
            profile: Some(RO_CRATE_PROFILE.to_string()),
            ..Link::typed(beside(view, "export.eln"), "item", "application/vnd.eln+zip")
        });
    }
    if let Some(license) = view.license() {
        links.push(Link::new(spdx::license_url(license), "license"));
    }
    links.push(Link::new("https://schema.org/Dataset", "type"));
    links.push(Link::new("https://schema.org/AboutPage", "type"));
    for creator in &view.metadata.creators {
        if let Some(orcid) = creator.orcid_iri() {
            links.push(Link::new(orcid, "author"));
        }
    }
    links
}

/// The links a landing page announces, in its `Link` header and in its HTML `<head>` alike: its
/// links (items capped at [`MAX_HEADER_ITEMS`]) and the linkset in both forms.
pub fn announced_links(view: &DatasetView, with_items: bool) -> Vec<Link> {
    let mut items = 0;
    let mut links: Vec<Link> = landing_links(view, with_items)
        .into_iter()
        .filter(|l| {
            if l.rel != "item" {
                return true;
            }
            items += 1;
            items <= MAX_HEADER_ITEMS
        })
        .collect();
    let linkset = beside(view, "linkset");
    links.push(Link::typed(&linkset, "linkset", "application/linkset+json"));
    links.push(Link::typed(&linkset, "linkset", "application/linkset"));
    links
}

/// The `Link` header of the landing page: [`announced_links`].
pub fn landing_header(view: &DatasetView, with_items: bool) -> String {
    join(&announced_links(view, with_items))
}

/// The `Link` header of an item (a file, a table's Parquet, the `.eln` export): it belongs to
/// the landing page's collection, in `profile` if it has one.
pub fn item_header(landing_url: &str, profile: Option<&str>) -> String {
    with_profile(collection(landing_url), profile)
}

/// The `Link` header of a metadata document: it describes the landing page, in `profile` if
/// the format has one.
pub fn document_header(landing_url: &str, profile: Option<&str>) -> String {
    with_profile(describes(landing_url), profile)
}

fn with_profile(link: Link, profile: Option<&str>) -> String {
    let mut links = vec![link];
    if let Some(p) = profile {
        links.push(Link::new(p, "profile"));
    }
    join(&links)
}

/// The `Link` header of one form of the linkset: the other form, and the negotiating URL as the
/// canonical one.
pub fn linkset_header(view: &DatasetView, text: bool) -> String {
    let (other, media_type) =
        if text { ("linkset.json", "application/linkset+json") } else { ("linkset.txt", "application/linkset") };
    join(&[Link::typed(beside(view, other), "alternate", media_type), Link::new(beside(view, "linkset"), "canonical")])
}

fn collection(landing_url: &str) -> Link {
    Link::typed(landing_url, "collection", "text/html")
}

fn describes(landing_url: &str) -> Link {
    Link::typed(landing_url, "describes", "text/html")
}

fn join(links: &[Link]) -> String {
    links.iter().map(Link::to_header_value).collect::<Vec<_>>().join(", ")
}

/// Every anchor of the linkset: the landing page with its links, each metadata document
/// (`describes` the landing page) and each item (in the landing page's `collection`).
fn anchors(view: &DatasetView, with_items: bool) -> Vec<(String, Vec<Link>)> {
    let links = landing_links(view, with_items);
    let mut out = Vec::new();
    for l in &links {
        let back = match l.rel {
            "describedby" => describes(&view.landing_url),
            "item" => collection(&view.landing_url),
            _ => continue,
        };
        out.push((l.href.clone(), vec![back]));
    }
    out.insert(0, (view.landing_url.clone(), links));
    out
}

/// The linkset as `application/linkset+json`.
pub fn linkset_json(view: &DatasetView, with_items: bool) -> Value {
    let sets: Vec<Value> = anchors(view, with_items)
        .into_iter()
        .map(|(anchor, links)| {
            let mut obj = Map::new();
            obj.insert("anchor".into(), json!(anchor));
            for l in links {
                let mut target = json!({"href": l.href});
                if let Some(t) = &l.media_type {
                    target["type"] = json!(t);
                }
                if let Some(p) = &l.profile {
                    target["profile"] = json!(p);
                }
                match obj.get_mut(l.rel) {
                    Some(Value::Array(a)) => a.push(target),
                    _ => {
                        obj.insert(l.rel.to_string(), json!([target]));
                    }
                }
            }
            Value::Object(obj)
        })
        .collect();
    json!({ "linkset": sets })
}

/// The linkset as `application/linkset` (RFC 8288 links with an `anchor` each).
pub fn linkset_text(view: &DatasetView, with_items: bool) -> String {
    let mut lines = Vec::new();
    for (anchor, links) in anchors(view, with_items) {
        for l in links {
            lines.push(format!("{}; anchor=\"{anchor}\"", l.to_header_value()));
        }
    }
    lines.join(",\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landing_links_cover_signposting_level_one() {
        let view = kura_metadata::samples::open_uvvis();
        let header = landing_header(&view, true);
        for rel in ["cite-as", "describedby", "item", "license", "type", "author", "linkset"] {
            assert!(header.contains(&format!("rel=\"{rel}\"")), "{rel} missing in {header}");
        }
        let set = linkset_json(&view, true);
        assert_eq!(set["linkset"][0]["anchor"], view.landing_url);
        assert!(set["linkset"][1]["describes"].is_array());
        assert!(!landing_header(&view, false).contains("rel=\"item\""));
    }
}
