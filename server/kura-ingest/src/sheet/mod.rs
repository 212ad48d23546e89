//! Spreadsheets (xlsx, xlsm, xlsb, xls, ods) through calamine: each worksheet one table.
//!
//! Per sheet, a first pass keeps the first rows and types the columns of the rest; the header
//! block above the table is found with the CSV reader's layout logic (see `shape.rs`) and goes
//! to the metadata under `sheets.<sheet name>`; a second pass streams the data rows into batches.
//! Every row below the header belongs to the table: fully blank rows are skipped, and a second
//! block further down (another table, notes) is read into the same columns rather than dropped,
//! widening them to text when it disagrees. Formula cells are read through the value the
//! spreadsheet cached when it was last saved; error cells (`#DIV/0!`) are null, with a warning.
//! Columns without a label and without a value are dropped.
//!
//! Memory: xlsx and xlsb sheets stream (the shared-strings table is held whole, as calamine reads
//! it at open); ods and xls sheets are loaded whole by calamine, which has no streaming reader for
//! them.

mod cells;
mod scan;
mod shape;
mod table;
mod types;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{Reader, SheetType, SheetVisible, Sheets};
use serde_json::{Map, Value, json};

use crate::reader::{FormatReader, ReadError, ReadReport, TableSink};

use self::cells::Book;

/// Rows per record batch.
const BATCH_ROWS: usize = 8192;

/// Reads spreadsheet workbooks, one table per worksheet.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpreadsheetReader;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ODS_MIME: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";
/// Extensions of zip-based workbooks.
const ZIP_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xltx", "xltm", "ods", "ots"];

/// Which calamine reader a file needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Xlsx,
    Xlsb,
    Ods,
    Xls,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Xlsx => "xlsx",
            Kind::Xlsb => "xlsb",
            Kind::Ods => "ods",
            Kind::Xls => "xls",
        }
    }
}

/// Names of the entries whose local headers lie in `head` (a zip's first bytes), in order.
/// Headers are found by their signature rather than by walking sizes, because writers that stream
/// (data descriptors) leave the sizes in the header zero.
fn zip_names(head: &[u8]) -> Vec<&[u8]> {
    memchr::memmem::find_iter(head, ZIP_MAGIC)
        .take(256)
        .filter_map(|pos| {
            let len = head.get(pos + 26..pos + 28).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))?;
            head.get(pos + 30..pos + 30 + len)
        })
        .collect()
}

/// The workbook kind from content, with the extension as a tie-breaker.
fn kind_of(head: &[u8], ext: &str) -> Option<Kind> {
    if head.starts_with(OLE_MAGIC) {
        return Some(Kind::Xls);
    }
    if head.starts_with(ZIP_MAGIC) {
        let names = zip_names(head);
        if names.first() == Some(&&b"mimetype"[..]) && head.windows(ODS_MIME.len()).any(|w| w == ODS_MIME) {
            return Some(Kind::Ods);
        }
        if names.iter().any(|n| *n == b"xl/workbook.bin") {
            return Some(Kind::Xlsb);
        }
        if names.iter().any(|n| n.starts_with(b"xl/")) {
            return Some(Kind::Xlsx);
        }
        return match ext {
            "ods" | "ots" => Some(Kind::Ods),
            "xlsb" => Some(Kind::Xlsb),
            e if ZIP_EXTENSIONS.contains(&e) => Some(Kind::Xlsx),
            _ => None,
        };
    }
    match ext {
        "xls" => Some(Kind::Xls),
        "xlsb" => Some(Kind::Xlsb),
        _ => None,
    }
}

/// Whether format detection should route a file here: a zip that is a workbook (by its entries
/// or its extension), an OLE file named `.xls`, or any `.xls`/`.xlsb` (the reader then says
/// precisely why it cannot read one that is something else).
pub fn sniff(head: &[u8], ext: &str) -> bool {
    if head.starts_with(OLE_MAGIC) {
        return ext == "xls";
    }
    kind_of(head, ext).is_some()
}

fn malformed(message: String) -> ReadError {
    ReadError::Malformed { format: "spreadsheet", message }
}

fn open(path: &Path) -> Result<(Kind, Book), ReadError> {
    let mut head = Vec::with_capacity(64 * 1024);
    File::open(path)?.take(64 * 1024).read_to_end(&mut head)?;
    if head.is_empty() {
        return Err(ReadError::Empty);
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let Some(kind) = kind_of(&head, &ext) else {
        return Err(malformed("not a workbook: neither a zip archive nor an ole compound file".into()));
    };
    let file = BufReader::new(File::open(path)?);
    let fail = |e: &dyn std::fmt::Display| malformed(format!("not a readable {} workbook: {e}", kind.name()));
    let book = match kind {
        Kind::Xlsx => Sheets::Xlsx(calamine::open_workbook_from_rs(file).map_err(|e| fail(&e))?),
        Kind::Xlsb => Sheets::Xlsb(calamine::open_workbook_from_rs(file).map_err(|e| fail(&e))?),
        Kind::Ods => Sheets::Ods(calamine::open_workbook_from_rs(file).map_err(|e| fail(&e))?),
        Kind::Xls => Sheets::Xls(calamine::open_workbook_from_rs(file).map_err(|e| fail(&e))?),
    };
    Ok((kind, book))
}

/// A short URL-safe table name for a sheet, unique among `taken`.
fn table_name(sheet: &str, index: usize, taken: &mut HashSet<String>) -> String {
    let mut slug = String::new();
    for c in sheet.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('_') && !slug.is_empty() {
            slug.push('_');
        }
    }
    let slug: String = slug.trim_end_matches('_').chars().take(48).collect();
    let base = if slug.is_empty() { format!("sheet_{}", index + 1) } else { slug };
    let mut name = base.clone();
    let mut n = 1;
    while !taken.insert(name.clone()) {
        n += 1;
        name = format!("{base}_{n}");
    }
    name
}

fn properties(book: &mut Book) -> Map<String, Value> {
    let Ok(p) = book.workbook_properties() else { return Map::new() };
    let mut m = Map::new();
    let fields = [
        ("creator", &p.creator),
        ("last_modified_by", &p.last_modified_by),
        ("created", &p.created),
        ("modified", &p.modified),
        ("title", &p.title),
        ("subject", &p.subject),
        ("description", &p.description),
        ("keywords", &p.keywords),
        ("category", &p.category),
        ("content_status", &p.content_status),
        ("revision", &p.revision),
        ("version", &p.version),
        ("application", &p.application),
        ("app_version", &p.app_version),
        ("company", &p.company),
        ("template", &p.template),
        ("manager", &p.manager),
    ];
    for (k, v) in fields {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            m.insert(k.into(), v.into());
        }
    }
    if !p.custom_properties.is_empty() {
        let mut custom: Vec<_> = p.custom_properties.into_iter().collect();
        custom.sort();
        m.insert("custom".into(), Value::Object(custom.into_iter().map(|(k, v)| (k, Value::String(v))).collect()));
    }
    m
}

impl FormatReader for SpreadsheetReader {
    fn name(&self) -> &'static str {
        "spreadsheet"
    }

    fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError> {
        read_workbook(path, sink, progress, BATCH_ROWS)
    }
}

/// [`SpreadsheetReader::read`] with a chosen batch size (tests use small batches).
fn read_workbook(
    path: &Path,
    sink: &mut dyn TableSink,
    progress: &mut dyn FnMut(u64),
    batch_rows: usize,
) -> Result<ReadReport, ReadError> {
    let (kind, mut book) = open(path)?;
    let mut report = ReadReport { reader: "spreadsheet", reader_version: "1", ..ReadReport::default() };
    let props = properties(&mut book);
    if !props.is_empty() {
        report.metadata.insert("properties".into(), Value::Object(props));
    }
    let names: Map<String, Value> =
        book.defined_names().iter().map(|(n, r)| (n.clone(), Value::String(r.clone()))).collect();
    if !names.is_empty() {
        report.metadata.insert("defined_names".into(), Value::Object(names));
    }
    let sheets = book.sheets_metadata().to_vec();
    let mut sheet_meta = Map::new();
    let mut sheet_params = Vec::new();
    let mut taken = HashSet::new();
    let mut texts = Vec::new();
    for (index, sheet) in sheets.iter().enumerate() {
        let visible = match sheet.visible {
            SheetVisible::Visible => "visible",
            SheetVisible::Hidden => "hidden",
            SheetVisible::VeryHidden => "very hidden",
        };
        if sheet.typ != SheetType::WorkSheet {
            report.warnings.push(format!("sheet {:?} is not a worksheet ({:?}): no table", sheet.name, sheet.typ));
            sheet_params.push(json!({"name": sheet.name, "type": format!("{:?}", sheet.typ), "table": null}));
            continue;
        }
        let scan = scan::scan(&mut book, &sheet.name)?;
        let Some(min_col) = scan.min_col else {
            report.warnings.push(format!("sheet {:?} is empty: no table", sheet.name));
            sheet_params.push(json!({"name": sheet.name, "visible": visible, "table": null}));
            continue;
        };
        let shape = shape::find(&scan, min_col);
        let plan = table::plan(&scan, &shape, min_col);
        let name = table_name(&sheet.name, index, &mut taken);
        let stats = table::write(&mut book, &sheet.name, &name, &plan, sink, batch_rows)?;
        if stats.errors > 0 {
            report.warnings.push(format!(
                "sheet {:?}: {} error cells read as null (first: {})",
                sheet.name,
                stats.errors,
                stats.first_error.as_deref().unwrap_or_default()
            ));
        }
        if stats.misfits > 0 {
            report.warnings.push(format!(
                "sheet {:?}: {} cells did not fit their column's type and were read as null",
                sheet.name, stats.misfits
            ));
        }
        for column in &plan.mixed {
            report
                .warnings
                .push(format!("sheet {:?}: column {column:?} mixes kinds of values: read as text", sheet.name));
        }
        if !shape.metadata.is_empty() {
            sheet_meta.insert(sheet.name.clone(), Value::Object(shape.metadata.clone()));
        }
        if !shape.text.is_empty() {
            texts.push(shape.text.clone());
        }
        sheet_params.push(json!({
            "name": sheet.name,
            "visible": visible,
            "table": name,
            "header_row": shape.header_row.map(|r| r + 1),
            "first_data_row": plan.data_from + 1,
            "first_column": cells::a1(0, min_col).trim_end_matches('1'),
            "column_labels": shape.labels_source,
            "rows": stats.rows,
            "columns": plan.columns.len(),
        }));
    }
    if !sheet_meta.is_empty() {
        report.metadata.insert("sheets".into(), Value::Object(sheet_meta));
    }
    report.text = texts.join("\n");
    report.parameters.insert("workbook".into(), kind.name().into());
    report.parameters.insert("sheets".into(), Value::Array(sheet_params));
    progress(std::fs::metadata(path).map_or(0, |m| m.len()));
    Ok(report)
}
