//! Format detection: by content first, then by extension. Files no reader claims are kept as
//! raw files with basic metadata; nothing a user uploads is dropped.

use std::io::Read;
use std::path::Path;

use crate::FormatReader;
use crate::cif::CifReader;
use crate::csv::CsvReader;
use crate::eln::ElnReader;
use crate::hdf5::Hdf5Reader;
use crate::jcamp::JcampReader;
use crate::json::JsonReader;
use crate::mgf::MgfReader;
use crate::mzml::MzmlReader;
use crate::notebook::NotebookReader;
use crate::sheet::SpreadsheetReader;
use crate::vendor::XpsTextReader;

/// How many leading bytes detection looks at.
const HEAD_BYTES: usize = 64 * 1024;

static CSV: CsvReader = CsvReader;
static ELN: ElnReader = ElnReader;
static JSON: JsonReader = JsonReader;
static JCAMP: JcampReader = JcampReader;
static CIF: CifReader = CifReader;
static XPS_TEXT: XpsTextReader = XpsTextReader;
static MZML: MzmlReader = MzmlReader { max_array_bytes: crate::mzml::MAX_DECODED_BYTES };
static MGF: MgfReader = MgfReader;
static NOTEBOOK: NotebookReader = NotebookReader;
static SPREADSHEET: SpreadsheetReader = SpreadsheetReader;
static HDF5: Hdf5Reader = Hdf5Reader;

/// Extensions of JSON record files.
const JSON_EXTENSIONS: &[&str] = &["json", "ndjson", "jsonl"];

/// Extensions of JCAMP-DX spectra.
const JCAMP_EXTENSIONS: &[&str] = &["jdx", "dx", "jcamp"];

/// Extensions that name delimited text even when the content sniff is unsure.
const TEXT_TABLE_EXTENSIONS: &[&str] = &["csv", "tsv", "tab", "txt", "xy", "dat", "prn"];

fn extension(name: &str) -> String {
    Path::new(name).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

/// The reader for a file, or `None` when no reader applies (the file stays raw only).
///
/// Order matters: archives first (their members would otherwise be mistaken for their content),
/// then formats with exact binary signatures, then text formats whose sniff is specific
/// (notebooks and the Scienta export before JSON, which would take them), JSON, and last the
/// delimited-text reader, which accepts almost anything textual.
pub fn detect(path: &Path, name: &str) -> std::io::Result<Option<&'static dyn FormatReader>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    std::fs::File::open(path)?.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    let ext = extension(name);
    let ext = ext.as_str();
    if crate::eln::sniff(path, &head, ext) {
        return Ok(Some(&ELN));
    }
    if crate::sheet::sniff(&head, ext) {
        return Ok(Some(&SPREADSHEET));
    }
    // HDF5 is claimed even in builds without the `hdf5` feature, whose reader then says how to
    // enable it.
    if crate::hdf5::sniff(&head) || crate::hdf5::EXTENSIONS.contains(&ext) {
        return Ok(Some(&HDF5));
    }
    if crate::mzml::sniff(&head) || ext == "mzml" {
        return Ok(Some(&MZML));
    }
    if crate::notebook::sniff(&head) || ext == "ipynb" {
        return Ok(Some(&NOTEBOOK));
    }
    if crate::vendor::sniff(&head) {
        return Ok(Some(&XPS_TEXT));
    }
    if crate::mgf::sniff(&head) || ext == "mgf" {
        return Ok(Some(&MGF));
    }
    if crate::json::sniff(&head) || (JSON_EXTENSIONS.contains(&ext) && head.iter().any(|b| !b.is_ascii_whitespace())) {
        return Ok(Some(&JSON));
    }
    if crate::jcamp::sniff(&head) || JCAMP_EXTENSIONS.contains(&ext) {
        return Ok(Some(&JCAMP));
    }
    if crate::cif::sniff(&head) || ext == "cif" || ext == "mmcif" {
        return Ok(Some(&CIF));
    }
    if crate::csv::sniff(&head) || TEXT_TABLE_EXTENSIONS.contains(&ext) {
        // A `.csv` that is really binary still goes to the CSV reader, which says precisely why
        // it cannot read it.
        return Ok(Some(&CSV));
    }
    Ok(None)
}

/// Media type for a raw file, from its name.
pub fn media_type(name: &str) -> String {
    match extension(name).as_str() {
        "csv" => "text/csv".into(),
        "tsv" | "tab" => "text/tab-separated-values".into(),
        "xy" | "dat" | "txt" | "prn" => "text/plain".into(),
        "ndjson" | "jsonl" => "application/x-ndjson".into(),
        "jdx" | "dx" | "jcamp" => "chemical/x-jcamp-dx".into(),
        "ipynb" => "application/x-ipynb+json".into(),
        "eln" => "application/zip".into(),
        "h5" | "hdf5" | "hdf" | "nxs" | "nx5" | "he5" => "application/x-hdf5".into(),
        _ => mime_guess::from_path(name).first_or_octet_stream().essence_str().to_owned(),
    }
}

/// Media type of the Parquet files Kura writes.
pub const PARQUET_MEDIA_TYPE: &str = "application/vnd.apache.parquet";
