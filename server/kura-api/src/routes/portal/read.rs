//! How a raw file of the draft was read, and reading it differently (issue 18 items 3 and 6):
//! `GET /edit/{name}/files/{file}` shows the detected format and dialect, each table's columns
//! with types and units, the reader's warnings and the first rows; `POST …/preview` shows the
//! first rows as chosen parameters would read them, without changing the draft; `POST …/read`
//! reads the file again with them (the job of `POST …/draft/ingest`) and goes to the job page.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kura_catalog::PageRequest;
use kura_catalog::entity::file;
use kura_catalog::tables::TableInfo;
use kura_ingest::{ColumnOptions, ReadOptions};
use serde_json::Value;

use super::form::FormData;
use super::text::Text;
use super::{Ctx, Nav, see_other};
use crate::error::ApiError;
use crate::state::AppState;
use kura_service::Target;
use kura_service::ingest::{self, ReadAgain};
use kura_service::preview::{first_n_rows, rows_as_text};

/// Rows shown of each table, and of a preview.
const ROWS: u64 = 10;

/// Column types the form offers (the reader's names); empty is "detect".
const COLUMN_TYPES: [&str; 5] = ["integer", "float", "boolean", "timestamp", "text"];

/// The read parameters as the form shows them: text, empty for "detect".
#[derive(Debug, Default, Clone)]
pub struct Params {
    pub delimiter: String,
    pub quote: String,
    pub decimal: String,
    pub thousands: String,
    pub encoding: String,
    pub header_line: String,
    pub skip_lines: String,
    pub comment_prefix: String,
    /// Per column name: the type and unit set by hand (empty: detect).
    pub columns: BTreeMap<String, (String, String)>,
}

/// One column's row of the form: its name, what was read, and what the user set.
#[derive(Debug)]
pub struct ColumnField {
    pub name: String,
    pub read_type: String,
    pub read_unit: String,
    pub set_type: String,
    pub set_unit: String,
}

impl Params {
    /// What the reader recorded in a table's provenance.
    fn detected(parameters: &Value) -> Params {
        let text = |key: &str| match &parameters[key] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let delimiter = match text("delimiter").as_str() {
            "\t" => "tab".to_owned(),
            " " => "space".to_owned(),
            d => d.to_owned(),
        };
        Params {
            delimiter,
            quote: text("quote"),
            decimal: text("decimal"),
            thousands: text("thousands"),
            encoding: text("encoding"),
            header_line: text("header_line"),
            skip_lines: text("skip_lines"),
            comment_prefix: text("comment_prefix"),
            columns: BTreeMap::new(),
        }
    }

    fn from_form(form: &FormData) -> Params {
        // The delimiter keeps its spaces: a lone space is a delimiter.
        let delimiter = form.0.iter().find(|(k, _)| k == "delimiter").map(|(_, v)| v.clone()).unwrap_or_default();
        Params {
            delimiter: if delimiter.trim().is_empty() && !delimiter.is_empty() {
                "space".to_owned()
            } else {
                delimiter.trim().to_owned()
            },
            quote: form.get("quote").to_owned(),
            decimal: form.get("decimal").to_owned(),
            thousands: form.get("thousands").to_owned(),
            encoding: form.get("encoding").to_owned(),
            header_line: form.get("header_line").to_owned(),
            skip_lines: form.get("skip_lines").to_owned(),
            comment_prefix: form.get("comment_prefix").to_owned(),
            columns: Self::columns_from_form(form),
        }
    }

    /// `type:NAME` and `unit:NAME` fields with a value.
    fn columns_from_form(form: &FormData) -> BTreeMap<String, (String, String)> {
        let mut columns: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (key, value) in &form.0 {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if let Some(name) = key.strip_prefix("type:") {
                columns.entry(name.to_owned()).or_default().0 = value.to_owned();
            } else if let Some(name) = key.strip_prefix("unit:") {
                columns.entry(name.to_owned()).or_default().1 = value.to_owned();
            }
        }
        columns
    }

    /// The parameters for the reader; a line number that is not one is the user's mistake.
    fn options(&self, t: &Text) -> Result<ReadOptions, String> {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let line = |s: &str, label: &str| -> Result<Option<u64>, String> {
            if s.is_empty() {
                return Ok(None);
            }
            s.parse().map(Some).map_err(|_| format!("{label}: {s:?} {}", t.read_not_a_number))
        };
        let columns = self
            .columns
            .iter()
            .map(|(name, (data_type, unit))| {
                (name.clone(), ColumnOptions { data_type: some(data_type), unit: some(unit) })
            })
            .collect();
        Ok(ReadOptions {
            delimiter: some(&self.delimiter),
            quote: some(&self.quote),
            decimal: some(&self.decimal),
            thousands: some(&self.thousands),
            encoding: some(&self.encoding),
            header_line: line(&self.header_line, t.read_header_line)?,
            skip_lines: line(&self.skip_lines, t.read_skip_lines)?,
            comment_prefix: some(&self.comment_prefix),
            columns,
        })
    }

    /// The form's column rows: the columns as last read (the preview's, else the first
    /// table's), with what the user set for them.
    fn column_fields(&self, read: &[ColumnView]) -> Vec<ColumnField> {
        read.iter()
            .map(|c| {
                let (set_type, set_unit) = self.columns.get(&c.name).cloned().unwrap_or_default();
                ColumnField {
                    name: c.name.clone(),
                    read_type: c.data_type.clone(),
                    read_unit: c.unit.clone(),
                    set_type,
                    set_unit,
                }
            })
            .collect()
    }
}

/// A column as the page lists it.
#[derive(Debug)]
pub struct ColumnView {
    pub name: String,
    pub label: String,
    pub data_type: String,
    pub unit: String,
}

/// A table of the file with its first rows.
#[derive(Debug)]
pub struct TableView {
    pub name: String,
    pub rows: i64,
    pub columns: Vec<ColumnView>,
    pub first: Vec<Vec<String>>,
}

/// The first rows as the form's parameters read them.
#[derive(Debug, Default)]
pub struct Trial {
    pub error: Option<String>,
    pub columns: Vec<ColumnView>,
    pub rows: Vec<Vec<String>>,
    pub warnings: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "portal/read.html")]
struct ReadPage {
    t: &'static Text,
    nav: Nav,
    name: String,
    file_id: String,
    path: String,
    size: i64,
    format: String,
    /// Detected dialect and layout as (label, value) lines.
    dialect: Vec<(&'static str, String)>,
    warnings: Vec<String>,
    errors: Vec<String>,
    tables: Vec<TableView>,
    params: Params,
    /// The form's per-column rows.
    column_fields: Vec<ColumnField>,
    column_types: [&'static str; 5],
    trial: Option<Trial>,
}

/// The draft and its raw file `file_id`, for an editor of the draft; else 404.
async fn raw_file(state: &AppState, ctx: &Ctx, name: &str, file_id: &str) -> Result<(Target, file::Model), ApiError> {
    let id = crate::routes::parse_id(file_id, "file")?;
    Ok(kura_service::files::draft_raw_file(state, &ctx.caller, name, id).await?)
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    target: &Target,
    file: &file::Model,
    attempt: Option<(Params, Trial)>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let t = ctx.t;
    let tables: Vec<TableInfo> = state
        .catalog
        .tables_page(target.version.id, PageRequest { offset: 0, limit: 500 })
        .await?
        .items
        .into_iter()
        .filter(|table| table.source_file_id == file.id)
        .collect();
    let parameters = tables.first().map(|table| table.provenance["parameters"].clone()).unwrap_or(Value::Null);
    let mut warnings: Vec<String> = Vec::new();
    for table in &tables {
        for w in table.metadata["warnings"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !warnings.iter().any(|known| known == w) {
                warnings.push(w.to_owned());
            }
        }
    }
    let read_at = tables.iter().map(|table| table.created_at).min();
    let (job_warnings, errors) = job_notes(state, target, &file.path, read_at).await?;
    for w in job_warnings {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    let mut views = Vec::with_capacity(tables.len());
    for table in tables {
        let first = first_n_rows(state, &ctx.caller, target, &table.name, ROWS).await?.rows;
        let columns = table
            .columns
            .iter()
            .map(|c| ColumnView {
                name: c.name.clone(),
                label: c.original_label.clone(),
                data_type: c.arrow_type.clone(),
                unit: c.ucum.clone().or_else(|| c.unit.clone()).unwrap_or_default(),
            })
            .collect();
        views.push(TableView { name: table.name, rows: table.row_count, columns, first });
    }
    let params = match &attempt {
        Some((params, _)) => params.clone(),
        None => Params::detected(&parameters),
    };
    let page = ReadPage {
        t,
        nav: ctx.nav.clone(),
        name: name.to_owned(),
        file_id: file.id.to_string(),
        path: file.path.clone(),
        size: file.size,
        format: file.format.clone().unwrap_or_default(),
        dialect: dialect(t, &parameters),
        warnings,
        errors,
        column_fields: {
            let read = match &attempt {
                Some((_, trial)) if !trial.columns.is_empty() => trial.columns.as_slice(),
                _ => views.first().map(|v| v.columns.as_slice()).unwrap_or_default(),
            };
            params.column_fields(read)
        },
        column_types: COLUMN_TYPES,
        tables: views,
        params,
        trial: attempt.map(|(_, trial)| trial),
    };
    ctx.render_status(status, &page)
}

/// The detected dialect and layout, in the reader's language; empty for readers that record none.
fn dialect(t: &Text, p: &Value) -> Vec<(&'static str, String)> {
    let show = |v: &Value| match v {
        Value::String(s) if s == "\t" => "tab".to_owned(),
        Value::String(s) if s == " " => "space".to_owned(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => if *b { t.yes } else { t.no }.to_owned(),
        _ => String::new(),
    };
    let mut lines: Vec<(&'static str, String)> = [
        (t.read_delimiter, "delimiter"),
        (t.read_quote, "quote"),
        (t.read_decimal, "decimal"),
        (t.read_thousands, "thousands"),
        (t.read_encoding, "encoding"),
        (t.read_header_line, "header_line"),
        (t.read_column_labels, "column_labels"),
        (t.read_first_data_line, "first_data_line"),
        (t.read_skip_lines, "skip_lines"),
        (t.read_comment_prefix, "comment_prefix"),
    ]
    .into_iter()
    .map(|(label, key)| (label, show(&p[key])))
    .filter(|(_, v)| !v.is_empty())
    .collect();
    if let Some(runner) = p["dialect_runner_up"]["dialect"].as_str() {
        let score = |v: &Value| v.as_f64().map(|s| format!("{s:.1}")).unwrap_or_default();
        lines.push((
            t.read_runner_up,
            format!(
                "{runner} ({} {} / {})",
                t.read_score,
                score(&p["dialect_runner_up"]["score"]),
                score(&p["dialect_score"])
            ),
        ));
    }
    if p["given"].is_object() {
        lines.push((t.read_given, p["given"].to_string()));
    }
    lines
}

/// Warnings and errors the newest job that mentions the file reported for it, unless the
/// file's tables are newer: the reading that made them is what the page shows (its warnings are
/// in the tables' metadata), and a failed reading after it keeps them.
async fn job_notes(
    state: &AppState,
    target: &Target,
    path: &str,
    read_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(Vec<String>, Vec<String>), ApiError> {
    let jobs = state.catalog.jobs_page(target.dataset.id, PageRequest { offset: 0, limit: 20 }).await?.items;
    for job in jobs.into_iter().filter(|j| j.version_id == target.version.id) {
        if read_at.is_some_and(|at| job.created_at < at) {
            break;
        }
        let notes: Vec<&Value> =
            job.errors.as_array().into_iter().flatten().filter(|e| e["file"].as_str() == Some(path)).collect();
        if notes.is_empty() {
            continue;
        }
        let warnings = notes.iter().filter_map(|e| e["warning"].as_str()).map(str::to_owned).collect();
        let errors = notes
            .iter()
            .filter_map(|e| {
                let error = e["error"].as_str()?;
                Some(match e["member"].as_str() {
                    Some(member) => format!("{member}: {error}"),
                    None => error.to_owned(),
                })
            })
            .collect();
        return Ok((warnings, errors));
    }
    Ok((Vec::new(), Vec::new()))
}

/// `GET /edit/{name}/files/{file}`.
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((name, file_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (target, file) = raw_file(&state, &ctx, &name, &file_id).await?;
    render(&state, &ctx, &name, &target, &file, None, StatusCode::OK).await
}

/// `POST /edit/{name}/files/{file}/preview`: the first rows as the form's parameters read them;
/// the draft does not change.
pub async fn preview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((name, file_id)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, ApiError> {
    let (target, file) = raw_file(&state, &ctx, &name, &file_id).await?;
    let params = Params::from_form(&form);
    let trial = match params.options(ctx.t) {
        Ok(options) => try_reading(&state, &file, options).await?,
        Err(message) => Trial { error: Some(message), ..Trial::default() },
    };
    let status = if trial.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(&state, &ctx, &name, &target, &file, Some((params, trial)), status).await
}

/// The raw file's first rows as `options` read them, as the form shows them.
async fn try_reading(state: &AppState, file: &file::Model, options: ReadOptions) -> Result<Trial, ApiError> {
    let previewed = match ingest::preview(state, file, options, ROWS as usize).await? {
        Ok(p) => p,
        Err(message) => return Ok(Trial { error: Some(message), ..Trial::default() }),
    };
    let types: Vec<String> = match &previewed.schema {
        Some(schema) => schema.fields().iter().map(|f| f.data_type().to_string()).collect(),
        None => Vec::new(),
    };
    let columns = previewed
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| ColumnView {
            name: c.name.clone(),
            label: c.original_label.clone(),
            data_type: types.get(i).cloned().unwrap_or_default(),
            unit: c.ucum.clone().or_else(|| c.unit.clone()).unwrap_or_default(),
        })
        .collect();
    let mut rows = Vec::new();
    for batch in &previewed.batches {
        rows.extend(rows_as_text(batch)?);
    }
    Ok(Trial { error: None, columns, rows, warnings: previewed.warnings })
}

/// `POST /edit/{name}/files/{file}/read`: reads the file again with the form's parameters,
/// replacing its tables when the job succeeds, and goes to the job's page.
pub async fn read(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((name, file_id)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, ApiError> {
    let (target, file) = raw_file(&state, &ctx, &name, &file_id).await?;
    let params = Params::from_form(&form);
    let options = match params.options(ctx.t) {
        Ok(o) => o,
        Err(message) => {
            let trial = Trial { error: Some(message), ..Trial::default() };
            return render(
                &state,
                &ctx,
                &name,
                &target,
                &file,
                Some((params, trial)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let again = ReadAgain { options: BTreeMap::from([(file.path.clone(), options)]), reingest: Vec::new() };
    let job = ingest::start(&state, &ctx.caller, &name, again).await?;
    Ok(see_other(&format!("/edit/{name}/jobs/{}", job.id)))
}
