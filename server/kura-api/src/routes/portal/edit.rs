//! `GET/POST /edit/{name}`: the draft's metadata editor, with the profile's validation
//! (`kura_metadata::validate_draft` to save, `validate` to submit) shown beside each field; its
//! files and ingest jobs; `POST /edit/{name}/submit` sends it for review and
//! `POST /edit/{name}/draft` opens a new version.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kura_catalog::PageRequest;
use kura_catalog::entity::dataset_version;
use kura_catalog::versions::DraftUpdate;
use kura_core::access::Action;
use kura_core::{ErrorCode, FileRole, VersionState};
use kura_metadata::MetadataError;
use serde_json::{Value, json};

use super::form::FormData;
use super::text::Text;
use super::{Ctx, Nav, day, see_other, state_label};
use crate::error::ApiError;
use crate::state::AppState;
use kura_service::access::{Which, authorize, editable_dataset};
use kura_service::{Surface, versions};

/// The editable fields as the form shows them.
#[derive(Debug, Default)]
pub struct Fields {
    pub title: String,
    pub title_en: String,
    pub title_ja: String,
    pub description_en: String,
    pub description_ja: String,
    pub creators: String,
    pub keywords: String,
    pub license: String,
}

/// Violations, grouped by the form field they belong to.
#[derive(Debug, Default)]
pub struct Problems {
    pub titles: Vec<String>,
    pub descriptions: Vec<String>,
    pub creators: Vec<String>,
    pub keywords: Vec<String>,
    pub license: Vec<String>,
    pub other: Vec<String>,
}

impl Problems {
    fn from(error: Option<MetadataError>) -> Problems {
        let mut p = Problems::default();
        if let Some(MetadataError::Invalid(violations)) = error {
            for v in violations {
                let text = format!(
                    "{} ({}{})",
                    v.message,
                    v.rule,
                    if v.path.is_empty() { String::new() } else { format!(", {}", v.path) }
                );
                match v.path.split(['.', '[']).next().unwrap_or("") {
                    "titles" => p.titles.push(text),
                    "descriptions" => p.descriptions.push(text),
                    "creators" => p.creators.push(text),
                    "keywords" => p.keywords.push(text),
                    "license" => p.license.push(text),
                    _ => p.other.push(text),
                }
            }
        }
        p
    }

    fn is_empty(&self) -> bool {
        self.titles.is_empty()
            && self.descriptions.is_empty()
            && self.creators.is_empty()
            && self.keywords.is_empty()
            && self.license.is_empty()
            && self.other.is_empty()
    }
}

#[derive(Debug)]
pub struct FileRow {
    pub id: String,
    pub path: String,
    pub role: String,
    /// A raw file: its reading can be adjusted.
    pub raw: bool,
    pub size: i64,
}

#[derive(Debug)]
pub struct JobRow {
    pub id: String,
    pub state: String,
    pub created: String,
}

#[derive(askama::Template)]
#[template(path = "portal/edit.html")]
struct EditPage {
    t: &'static Text,
    nav: Nav,
    name: String,
    version: i32,
    state: String,
    in_review: bool,
    comment: Option<String>,
    fields: Fields,
    problems: Problems,
    /// What strict validation still misses (shown before submitting).
    missing: Problems,
    notice: Option<&'static str>,
    files: Vec<FileRow>,
    jobs: Vec<JobRow>,
}

#[derive(askama::Template)]
#[template(path = "portal/no_draft.html")]
struct NoDraftPage {
    t: &'static Text,
    nav: Nav,
    name: String,
}

fn lang_values(metadata: &Value, key: &str, lang: &str) -> String {
    metadata[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["lang"].as_str().is_some_and(|l| l.starts_with(lang)))
        .filter_map(|v| v["value"].as_str())
        .next()
        .unwrap_or("")
        .to_owned()
}

fn fields_of(version: &dataset_version::Model) -> Fields {
    let m = &version.metadata;
    let creators = m["creators"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let mut line = c["name"].as_str().unwrap_or("").to_owned();
            let orcid = c["orcid"].as_str().unwrap_or("");
            let affiliation = c["affiliations"][0]["name"].as_str().unwrap_or("");
            if !orcid.is_empty() || !affiliation.is_empty() {
                line.push_str(&format!(" | {orcid}"));
            }
            if !affiliation.is_empty() {
                line.push_str(&format!(" | {affiliation}"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n");
    let keywords = m["keywords"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["value"].as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Fields {
        title: version.title.clone(),
        title_en: lang_values(m, "titles", "en"),
        title_ja: lang_values(m, "titles", "ja"),
        description_en: lang_values(m, "descriptions", "en"),
        description_ja: lang_values(m, "descriptions", "ja"),
        creators,
        keywords,
        license: m["license"].as_str().unwrap_or("").to_owned(),
    }
}

fn fields_from(form: &FormData) -> Fields {
    Fields {
        title: form.get("title").to_owned(),
        title_en: form.get("title_en").to_owned(),
        title_ja: form.get("title_ja").to_owned(),
        description_en: form.get("description_en").to_owned(),
        description_ja: form.get("description_ja").to_owned(),
        creators: form.get("creators").to_owned(),
        keywords: form.get("keywords").to_owned(),
        license: form.get("license").to_owned(),
    }
}

/// The draft's metadata with the form's fields written over the existing document (fields the
/// form does not show, such as what readers extracted, stay).
fn metadata_from(existing: &Value, f: &Fields) -> Value {
    let mut m = existing.as_object().cloned().unwrap_or_default();
    let mut put = |key: &str, value: Option<Value>| match value {
        Some(v) => {
            m.insert(key.to_owned(), v);
        }
        None => {
            m.remove(key);
        }
    };
    let pair = |en: &str, ja: &str| {
        let items: Vec<Value> = [("en", en), ("ja", ja)]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(lang, value)| json!({"lang": lang, "value": value}))
            .collect();
        (!items.is_empty()).then_some(Value::Array(items))
    };
    put("titles", pair(&f.title_en, &f.title_ja));
    put("descriptions", pair(&f.description_en, &f.description_ja));
    let creators: Vec<Value> = f
        .creators
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut parts = line.split('|').map(str::trim);
            let name = parts.next().unwrap_or("");
            let mut agent = json!({"name": name});
            if let Some((family, given)) = name.split_once(',') {
                agent["family_name"] = json!(family.trim());
                agent["given_name"] = json!(given.trim());
            }
            if let Some(orcid) = parts.next().filter(|o| !o.is_empty()) {
                agent["orcid"] = json!(orcid.trim_start_matches("https://orcid.org/"));
            }
            if let Some(affiliation) = parts.next().filter(|a| !a.is_empty()) {
                agent["affiliations"] = json!([{"name": affiliation}]);
            }
            agent
        })
        .collect();
    put("creators", (!creators.is_empty()).then_some(Value::Array(creators)));
    let keywords: Vec<Value> = f
        .keywords
        .split([',', '、'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| json!({"lang": if k.is_ascii() { "en" } else { "ja" }, "value": k}))
        .collect();
    put("keywords", (!keywords.is_empty()).then_some(Value::Array(keywords)));
    put("license", (!f.license.is_empty()).then(|| json!(f.license)));
    Value::Object(m)
}

fn strict(metadata: &Value) -> Problems {
    Problems::from(kura_metadata::validate(metadata).err())
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    draft: &dataset_version::Model,
    fields: Fields,
    problems: Problems,
    notice: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let dataset = editable_dataset(state, &ctx.caller, name).await?;
    let files = state
        .catalog
        .files_page(draft.id, PageRequest { offset: 0, limit: 500 })
        .await?
        .items
        .into_iter()
        .map(|f| FileRow {
            id: f.id.to_string(),
            path: f.path,
            role: f.role.to_string(),
            raw: f.role == FileRole::Raw,
            size: f.size,
        })
        .collect();
    let jobs = state
        .catalog
        .jobs_page(dataset.id, PageRequest { offset: 0, limit: 20 })
        .await?
        .items
        .into_iter()
        .map(|j| JobRow {
            id: j.id.to_string(),
            state: state_label(ctx.t, j.state.as_str()),
            created: day(&j.created_at),
        })
        .collect();
    let page = EditPage {
        t: ctx.t,
        nav: ctx.nav.clone(),
        name: name.to_owned(),
        version: draft.number,
        state: state_label(ctx.t, draft.state.as_str()),
        in_review: draft.state == VersionState::InReview,
        comment: draft.review_comment.clone(),
        missing: strict(&draft.metadata),
        fields,
        problems,
        notice,
        files,
        jobs,
    };
    ctx.render_status(status, &page)
}

/// The open draft, or the "start a new version" page when every version is frozen.
async fn draft_or_offer(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
) -> Result<Result<dataset_version::Model, Response>, ApiError> {
    match authorize(state, &ctx.caller, name, Which::Draft, Action::Edit).await {
        Ok(target) => Ok(Ok(target.version)),
        Err(e) if e.code == ErrorCode::NotFound => {
            // Only the dataset's editors get this far: `Which::Draft` checks them first.
            editable_dataset(state, &ctx.caller, name).await?;
            Ok(Err(ctx.render(&NoDraftPage { t: ctx.t, nav: ctx.nav.clone(), name: name.to_owned() })?))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let draft = match draft_or_offer(&state, &ctx, &name).await? {
        Ok(d) => d,
        Err(page) => return Ok(page),
    };
    let notice = match uri.query() {
        Some("saved") => Some(ctx.t.saved),
        Some("submitted") => Some(ctx.t.submitted),
        _ => None,
    };
    render(&state, &ctx, &name, &draft, fields_of(&draft), Problems::default(), notice, StatusCode::OK).await
}

/// `POST /edit/{name}`: saves when the draft rules pass, else shows the form again (422) with
/// each violation beside its field.
pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    form: FormData,
) -> Result<Response, ApiError> {
    let draft = authorize(&state, &ctx.caller, &name, Which::Draft, Action::Edit).await?.version;
    let fields = fields_from(&form);
    let metadata = metadata_from(&draft.metadata, &fields);
    if let Err(e) = kura_metadata::validate_draft(&metadata) {
        let problems = Problems::from(Some(e));
        return render(&state, &ctx, &name, &draft, fields, problems, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let title = if fields.title.is_empty() { None } else { Some(fields.title.clone()) };
    let description = (!fields.description_en.is_empty() || !fields.description_ja.is_empty()).then(|| {
        if fields.description_en.is_empty() { fields.description_ja.clone() } else { fields.description_en.clone() }
    });
    versions::update_draft(&state, &ctx.caller, &name, DraftUpdate { title, description, metadata: Some(metadata) })
        .await?;
    Ok(see_other(&format!("/edit/{name}?saved")))
}

/// `POST /edit/{name}/submit`: the metadata must pass the whole profile first.
pub async fn submit(State(state): State<AppState>, ctx: Ctx, Path(name): Path<String>) -> Result<Response, ApiError> {
    let draft = authorize(&state, &ctx.caller, &name, Which::Draft, Action::Edit).await?.version;
    let missing = strict(&draft.metadata);
    if !missing.is_empty() {
        let fields = fields_of(&draft);
        return render(&state, &ctx, &name, &draft, fields, missing, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    versions::submit(&state, &ctx.caller, Surface::Web, &name).await?;
    Ok(see_other(&format!("/edit/{name}?submitted")))
}

/// `POST /edit/{name}/draft`: a new draft from the latest version.
pub async fn open_draft(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    versions::open_draft(&state, &ctx.caller, &name).await?;
    Ok(see_other(&format!("/edit/{name}")))
}
