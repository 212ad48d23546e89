//! A response body as text a test can search for leaked values: zip archives (the `.eln`
//! export) are expanded member by member and Parquet is decoded to its schema and rows, since
//! deflate and Parquet encodings would hide a leaked string from a plain byte search.

use std::io::Read;

use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// The body as searchable text (the bytes themselves, lossily, plus what they decode to).
pub fn readable(bytes: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    if bytes.starts_with(b"PK") {
        text.push_str(&unzip(bytes));
    } else if bytes.starts_with(b"PAR1") {
        text.push_str(&parquet_text(bytes));
    }
    text
}

fn unzip(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a readable zip archive");
    let mut text = String::new();
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).expect("zip member");
        text.push_str(&format!("\n== {}\n", member.name().unwrap_or_default()));
        let mut content = Vec::new();
        member.read_to_end(&mut content).expect("zip member bytes");
        text.push_str(&readable(&content));
    }
    text
}

fn parquet_text(bytes: &[u8]) -> String {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::copy_from_slice(bytes))
        .expect("a readable Parquet file")
        .build()
        .expect("Parquet reader");
    let mut text = String::new();
    for batch in reader {
        let batch = batch.expect("Parquet batch");
        let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
        text.push_str(&format!("\ncolumns: {}\n", names.join(",")));
        let options = FormatOptions::default();
        let formatters: Vec<ArrayFormatter> =
            batch.columns().iter().map(|a| ArrayFormatter::try_new(a.as_ref(), &options).expect("formatter")).collect();
        for row in 0..batch.num_rows() {
            let values: Vec<String> = formatters.iter().map(|f| f.value(row).to_string()).collect();
            text.push_str(&values.join(","));
            text.push('\n');
        }
    }
    text
}

/// The column names of a Parquet file.
pub fn parquet_columns(bytes: &[u8]) -> Vec<String> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::copy_from_slice(bytes))
        .expect("a readable Parquet file");
    builder.schema().fields().iter().map(|f| f.name().clone()).collect()
}
