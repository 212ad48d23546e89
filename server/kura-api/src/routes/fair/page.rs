//! The landing page as a template: a [`DatasetView`] turned into plain rows in the reader's
//! language. Decisions (what the caller may do) are made by the handler and passed in.

use askama::Template;
use kura_core::VersionState;
use kura_metadata::{AccessLevel, DatasetView, fos, pick, spdx};

use crate::routes::html::Nav;
use crate::routes::html::text::Text;

/// A creator as listed on the page.
#[derive(Debug)]
pub struct CreatorRow {
    pub name: String,
    pub orcid: Option<String>,
    pub affiliations: String,
}

#[derive(Debug)]
pub struct FileRow {
    pub path: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub url: Option<String>,
}

#[derive(Debug)]
pub struct ColumnRow {
    pub name: String,
    pub label: String,
    pub data_type: String,
    pub unit: String,
}

#[derive(Debug)]
pub struct TableRow {
    pub name: String,
    pub rows: u64,
    pub url: Option<String>,
    pub columns: Vec<ColumnRow>,
    pub provenance: Option<String>,
    /// The first rows, for callers who may read the data.
    pub preview: Option<kura_service::preview::Preview>,
}

#[derive(Debug)]
pub struct VersionRow {
    pub number: i32,
    pub state: String,
    pub url: String,
    pub current: bool,
}

/// A link to one of the machine-readable documents.
#[derive(Debug)]
pub struct FormatRow {
    pub label: &'static str,
    pub url: String,
    pub media_type: &'static str,
}

/// The form that submits a SQL job over this version's tables (signed-in readers who may write).
#[derive(Debug)]
pub struct JobForm {
    /// The tables to pick from.
    pub tables: Vec<String>,
    /// The caller's groups (id, name), to choose the output's owner when there are several.
    pub groups: Vec<(String, String)>,
}

/// An input of the job that wrote this dataset, as the caller may be told of it.
#[derive(Debug)]
pub struct InheritedRow {
    /// Whether the caller may see the input; else the other fields are empty.
    pub visible: bool,
    /// `dataset/version/table`.
    pub reference: String,
    pub dataset: String,
    pub level: String,
}

/// Where this dataset's restrictions come from, when a compute job wrote it.
#[derive(Debug)]
pub struct InheritedView {
    pub level: String,
    pub job: String,
    pub inputs: Vec<InheritedRow>,
}

/// What the handler decided for this caller.
#[derive(Debug)]
pub struct CallerView {
    pub may_read_data: bool,
    pub may_edit: bool,
    pub anonymous: bool,
}

#[derive(Template)]
#[template(path = "landing.html")]
pub struct LandingPage {
    /// The interface strings (the page sits in the portal's frame, with its navigation).
    pub t: &'static Text,
    pub nav: Nav,
    pub name: String,
    pub signed_in: bool,
    pub may_manage: bool,
    pub may_request: bool,
    pub may_edit_link: bool,
    pub job_form: Option<JobForm>,
    pub inherited: Option<InheritedView>,
    pub datacite: String,
    pub page_url: String,
    pub title: String,
    pub other_titles: Vec<String>,
    pub descriptions: Vec<String>,
    pub creators: Vec<CreatorRow>,
    pub keywords: Vec<String>,
    pub subjects: Vec<String>,
    pub license: Option<(String, String)>,
    pub level_class: &'static str,
    pub level_label: String,
    pub conditions: Vec<String>,
    pub state_note: Option<&'static str>,
    pub tombstone: Option<String>,
    pub published: Option<String>,
    pub pid: String,
    pub version: u32,
    pub files: Vec<FileRow>,
    pub tables: Vec<TableRow>,
    pub versions: Vec<VersionRow>,
    pub citation_text: String,
    pub bibtex: String,
    pub ris: String,
    pub formats: Vec<FormatRow>,
    /// The Signposting links, as `<link>` elements: the same ones as the `Link` header.
    pub head_links: Vec<kura_rdf::signposting::Link>,
    pub json_ld: String,
    /// The compute job that wrote this version and its inputs, if one did.
    pub derivation: Option<super::lineage::DerivationSection>,
}

/// Builds the page. `tombstone` is the deaccession reason of a withdrawn version.
pub fn landing(
    t: &'static Text,
    view: &DatasetView,
    caller: &CallerView,
    versions: Vec<VersionRow>,
    state: VersionState,
    tombstone: Option<String>,
) -> LandingPage {
    let md = &view.metadata;
    let title = pick(&md.titles, t.lang).map(|t| t.value.clone()).unwrap_or_else(|| view.name.clone());
    let other_titles = md.titles.iter().filter(|t| t.value != title).map(|t| t.value.clone()).collect();
    let mut descriptions: Vec<String> = pick(&md.descriptions, t.lang).map(|d| d.value.clone()).into_iter().collect();
    for d in &md.descriptions {
        if !descriptions.contains(&d.value) {
            descriptions.push(d.value.clone());
        }
    }
    let creators = md
        .creators
        .iter()
        .map(|c| CreatorRow {
            name: c.name.clone(),
            orcid: c.orcid_iri(),
            affiliations: c.affiliations.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join("; "),
        })
        .collect();
    let subjects = md
        .subjects
        .iter()
        .map(|s| match fos::field(&s.code) {
            Some(f) => format!("{} {}", s.code, if t.lang == "ja" { f.ja } else { f.en }),
            None => format!("{} {}", s.scheme, s.code),
        })
        .collect();
    let (level_class, level_label) = match &view.access {
        AccessLevel::Open => ("open", t.open_access.to_string()),
        AccessLevel::Embargoed { until } => {
            ("embargoed", format!("{} {}", t.embargoed_until, until.format("%Y-%m-%d")))
        }
        AccessLevel::Consortium { consortia } => (
            "consortium",
            format!(
                "{} ({})",
                t.level_consortium,
                consortia.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
        AccessLevel::Restricted => ("restricted", t.level_restricted.to_string()),
        AccessLevel::Closed => ("closed", t.level_closed.to_string()),
    };
    let mut conditions = Vec::new();
    if tombstone.is_none() {
        if caller.may_read_data {
            conditions.push(t.you_can_read.to_string());
        } else {
            conditions.push(t.you_cannot_read.to_string());
            if matches!(view.access, AccessLevel::Restricted | AccessLevel::Consortium { .. }) {
                conditions.push(t.request_access.replace("{name}", &view.name));
            }
            if caller.anonymous {
                conditions.push(t.sign_in_hint.to_string());
            }
        }
        if caller.may_edit {
            conditions.push(t.you_can_edit.to_string());
        }
    }
    if let Some(terms) = &view.terms {
        conditions.push(terms.clone());
    }
    let data_links = caller.may_read_data && tombstone.is_none();
    let files = view
        .files
        .iter()
        .map(|f| FileRow {
            path: f.path.clone(),
            media_type: f.media_type.clone(),
            size: f.size,
            sha256: f.sha256.clone(),
            url: data_links.then(|| f.download_url.clone()),
        })
        .collect();
    let tables = view
        .tables
        .iter()
        .map(|table| TableRow {
            name: table.name.clone(),
            rows: table.row_count,
            url: data_links.then(|| table.parquet_url.clone()),
            columns: table
                .columns
                .iter()
                .map(|c| ColumnRow {
                    name: c.name.clone(),
                    label: c.original_label.clone().unwrap_or_default(),
                    data_type: c.data_type.clone(),
                    unit: match (&c.ucum, &c.unit) {
                        (Some(u), _) => u.clone(),
                        (None, Some(u)) => u.clone(),
                        _ => String::new(),
                    },
                })
                .collect(),
            provenance: table.provenance.as_ref().map(|p| {
                format!(
                    "{} ({} {} {}, {})",
                    p.source_path,
                    t.provenance_line,
                    p.reader,
                    p.reader_version,
                    p.ended.format("%Y-%m-%d %H:%M UTC")
                )
            }),
            preview: None,
        })
        .collect();
    let mut formats: Vec<FormatRow> = kura_rdf::signposting::DESCRIBED_BY
        .iter()
        .map(|(file, media_type)| FormatRow {
            label: label_of(media_type),
            url: kura_rdf::signposting::beside(view, file),
            media_type,
        })
        .collect();
    if tombstone.is_none() {
        formats.push(FormatRow {
            label: "RO-Crate (.eln)",
            url: kura_rdf::signposting::beside(view, "export.eln"),
            media_type: "application/vnd.eln+zip",
        });
    }
    formats.push(FormatRow {
        label: "Linkset",
        url: kura_rdf::signposting::beside(view, "linkset"),
        media_type: "application/linkset+json",
    });
    let head_links = kura_rdf::signposting::announced_links(view, tombstone.is_none());
    let json_ld = serde_json::to_string_pretty(&kura_metadata::to_schema_org(view))
        .unwrap_or_default()
        // Nothing in the JSON may close the script element it sits in.
        .replace("</", "<\\/");
    LandingPage {
        t,
        nav: Nav {
            signed_in: false,
            user: String::new(),
            csrf: String::new(),
            steward: false,
            lang_url: format!("?lang={}", t.other_lang),
            here: String::new(),
        },
        name: view.name.clone(),
        signed_in: false,
        may_manage: false,
        may_request: false,
        may_edit_link: caller.may_edit,
        job_form: None,
        inherited: None,
        datacite: String::new(),
        page_url: view.landing_url.clone(),
        title,
        other_titles,
        descriptions,
        creators,
        keywords: md.keywords.iter().map(|k| k.value.clone()).collect(),
        subjects,
        license: view.license().map(|l| (spdx::license_name(l).unwrap_or(l).to_string(), spdx::license_url(l))),
        level_class,
        level_label,
        conditions,
        state_note: match state {
            VersionState::Draft | VersionState::InReview => Some(t.draft),
            VersionState::Deaccessioned => Some(t.deaccessioned),
            VersionState::Published => None,
        },
        tombstone,
        published: view.published.map(|p| p.format("%Y-%m-%d").to_string()),
        pid: view.pid_url.clone(),
        version: view.version,
        files,
        tables,
        versions,
        citation_text: kura_metadata::citation::citation_text(view),
        bibtex: kura_metadata::citation::bibtex(view),
        ris: kura_metadata::citation::ris(view),
        formats,
        head_links,
        json_ld,
        derivation: super::lineage::section(view),
    }
}

fn label_of(media_type: &str) -> &'static str {
    match media_type {
        "text/turtle" => "Turtle (DCAT-AP 3)",
        "application/ld+json" => "JSON-LD (DCAT-AP 3)",
        "application/rdf+xml" => "RDF/XML (DCAT-AP 3)",
        "application/n-triples" => "N-Triples (DCAT-AP 3)",
        _ => "DataCite 4.7 XML",
    }
}
