//! `application/vnd.dataresource+json` outputs (pandas' Table Schema display): `schema.fields`
//! give the columns and their types, `data` the rows as objects.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use serde_json::{Map, Value};

use crate::csv::columns::name_columns;
use crate::csv::values::parse_timestamp;
use crate::reader::{ReadError, TableSink, TableStart};

/// Rows per batch.
const BATCH_ROWS: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldType {
    Int,
    Float,
    Bool,
    /// `tz`: some value carried an offset; stored as UTC.
    Timestamp {
        tz: bool,
    },
    Text,
}

impl FieldType {
    fn data_type(self) -> DataType {
        match self {
            FieldType::Int => DataType::Int64,
            FieldType::Float => DataType::Float64,
            FieldType::Bool => DataType::Boolean,
            FieldType::Timestamp { tz: false } => DataType::Timestamp(TimeUnit::Microsecond, None),
            FieldType::Timestamp { tz: true } => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            FieldType::Text => DataType::Utf8,
        }
    }

    fn declared(t: &str) -> FieldType {
        match t {
            "integer" => FieldType::Int,
            "number" => FieldType::Float,
            "boolean" => FieldType::Bool,
            "datetime" | "date" => FieldType::Timestamp { tz: false },
            _ => FieldType::Text,
        }
    }

    /// Whether `v` fits (null fits everything); a timestamp with an offset asks for `tz`.
    fn fits(self, v: &Value) -> Option<FieldType> {
        match (self, v) {
            (t, Value::Null) | (t @ FieldType::Text, _) => Some(t),
            (FieldType::Int, Value::Number(n)) if n.as_i64().is_some() => Some(self),
            (FieldType::Float, Value::Number(_)) => Some(self),
            (FieldType::Bool, Value::Bool(_)) => Some(self),
            (FieldType::Timestamp { tz }, Value::String(s)) => {
                parse_timestamp(s.trim().as_bytes()).map(|(_, has)| FieldType::Timestamp { tz: tz || has })
            }
            _ => None,
        }
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn build(t: FieldType, rows: &[Value], name: &str) -> ArrayRef {
    let cell = |r: &Value| r.get(name).cloned().unwrap_or(Value::Null);
    match t {
        FieldType::Int => {
            let mut b = Int64Builder::with_capacity(rows.len());
            rows.iter().for_each(|r| b.append_option(cell(r).as_i64()));
            Arc::new(b.finish())
        }
        FieldType::Float => {
            let mut b = Float64Builder::with_capacity(rows.len());
            rows.iter().for_each(|r| b.append_option(cell(r).as_f64()));
            Arc::new(b.finish())
        }
        FieldType::Bool => {
            let mut b = BooleanBuilder::with_capacity(rows.len());
            rows.iter().for_each(|r| b.append_option(cell(r).as_bool()));
            Arc::new(b.finish())
        }
        FieldType::Timestamp { tz } => {
            let b = TimestampMicrosecondBuilder::with_capacity(rows.len());
            let mut b = if tz { b.with_timezone("UTC") } else { b };
            rows.iter().for_each(|r| {
                b.append_option(cell(r).as_str().and_then(|s| parse_timestamp(s.trim().as_bytes())).map(|(us, _)| us))
            });
            Arc::new(b.finish())
        }
        FieldType::Text => {
            let mut b = StringBuilder::new();
            rows.iter().for_each(|r| b.append_option(text(&cell(r))));
            Arc::new(b.finish())
        }
    }
}

fn malformed(message: String) -> ReadError {
    ReadError::Malformed { format: "notebook", message }
}

/// Writes the resource as table `name`; returns its row count and warnings (columns widened to
/// text because a value did not fit the declared type).
pub(crate) fn write(resource: &Value, name: &str, sink: &mut dyn TableSink) -> Result<(u64, Vec<String>), ReadError> {
    let empty = Vec::new();
    let fields = resource
        .pointer("/schema/fields")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(format!("{name}: data resource without schema.fields")))?;
    let rows = match resource.get("data") {
        Some(Value::Array(rows)) => rows,
        None | Some(Value::Null) => &empty,
        Some(_) => return Err(malformed(format!("{name}: data resource whose data is not a list"))),
    };
    let mut labels = Vec::with_capacity(fields.len());
    let mut types = Vec::with_capacity(fields.len());
    let mut warnings = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let label = match f.get("name") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => return Err(malformed(format!("{name}: field {} has no name", i + 1))),
        };
        let declared = FieldType::declared(f.get("type").and_then(Value::as_str).unwrap_or("any"));
        let mut t = declared;
        for (r, row) in rows.iter().enumerate() {
            let v = row.get(&label).unwrap_or(&Value::Null);
            match t.fits(v) {
                Some(fitted) => t = fitted,
                None => {
                    warnings
                        .push(format!("{name}: column {label:?} read as text: row {} does not fit its type", r + 1));
                    t = FieldType::Text;
                    break;
                }
            }
        }
        labels.push(label);
        types.push(t);
    }
    if let Some(r) = rows.iter().position(|r| !r.is_object()) {
        return Err(malformed(format!("{name}: row {} of the data resource is not an object", r + 1)));
    }
    let columns = name_columns(Some(&labels), labels.len());
    let schema =
        Arc::new(Schema::new(columns.iter().zip(&types).map(|(c, t)| c.field(t.data_type())).collect::<Vec<_>>()));
    sink.begin_table(TableStart { name: name.to_string(), schema: schema.clone(), columns })?;
    for chunk in rows.chunks(BATCH_ROWS) {
        let arrays = labels.iter().zip(&types).map(|(l, t)| build(*t, chunk, l)).collect();
        sink.write_batch(&RecordBatch::try_new(schema.clone(), arrays)?)?;
    }
    sink.finish_table()?;
    Ok((rows.len() as u64, warnings))
}

/// The resource's own description (primary key, pandas version), for the metadata.
pub(crate) fn describe(resource: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(schema) = resource.get("schema").and_then(Value::as_object) {
        for (k, v) in schema.iter().filter(|(k, _)| k.as_str() != "fields") {
            m.insert(k.clone(), v.clone());
        }
    }
    m
}
