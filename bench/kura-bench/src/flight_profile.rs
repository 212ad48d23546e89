//! Where a Flight DoGet of a whole table spends its time, stage by stage on one core, on the
//! Parquet file Kura serves: `flight-profile TABLE.parquet`.
//!
//! Stages, each timed over the whole table: Parquet decoding (zstd and page decoding into Arrow
//! arrays, 64 Ki-row batches as Kura's DoGet reads them); the same decoding from an uncompressed
//! copy (so the zstd share shows); Arrow IPC encoding (`IpcDataGenerator::encode`, which copies
//! every buffer into one contiguous body, as arrow-flight's encoder does); protobuf framing of each
//! `FlightData` (tonic's copy into its frame buffer); and a plain memcpy of the same bytes.

use std::fs::File;
use std::time::Instant;

use anyhow::Context;
use arrow::ipc::writer::{DictionaryTracker, IpcDataGenerator, IpcWriteContext, IpcWriteOptions};
use arrow::record_batch::RecordBatch;
use arrow_flight::FlightData;
use bytes::BytesMut;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::properties::WriterProperties;
use prost::Message;

const BATCH_ROWS: usize = 64 * 1024;

fn decode(path: &std::path::Path) -> anyhow::Result<(Vec<RecordBatch>, f64)> {
    let t = Instant::now();
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?.with_batch_size(BATCH_ROWS).build()?;
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    Ok((batches, t.elapsed().as_secs_f64()))
}

fn main() -> anyhow::Result<()> {
    let path = std::path::PathBuf::from(std::env::args().nth(1).context("usage: flight-profile TABLE.parquet")?);
    let (batches, zstd_decode) = decode(&path)?;
    let bytes: usize = batches.iter().map(|b| b.get_array_memory_size()).sum();
    let gb = bytes as f64 / 1e9;

    let plain = std::env::temp_dir().join(format!("flight-profile-{}.parquet", std::process::id()));
    {
        let props = WriterProperties::builder().set_max_row_group_row_count(Some(256 * 1024)).build();
        let mut w = ArrowWriter::try_new(File::create(&plain)?, batches[0].schema(), Some(props))?;
        for b in &batches {
            w.write(b)?;
        }
        w.close()?;
    }
    let (_, plain_decode) = decode(&plain)?;
    std::fs::remove_file(&plain)?;

    let t = Instant::now();
    let generator = IpcDataGenerator::default();
    let mut tracker = DictionaryTracker::new(false);
    let mut context = IpcWriteContext::default();
    let options = IpcWriteOptions::default();
    let mut messages = Vec::with_capacity(batches.len());
    for b in &batches {
        let (_, encoded) = generator.encode(b, &mut tracker, &options, &mut context)?;
        messages.push(FlightData::from(encoded));
    }
    let ipc = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut buf = BytesMut::with_capacity(16 << 20);
    for m in &messages {
        buf.clear();
        m.encode(&mut buf)?;
    }
    let frame = t.elapsed().as_secs_f64();

    let src: Vec<u8> = vec![1; bytes];
    let mut dst: Vec<u8> = vec![0; bytes];
    dst.copy_from_slice(&src); // first touch: page faults, not copying
    let t = Instant::now();
    dst.copy_from_slice(&src);
    let memcpy = t.elapsed().as_secs_f64();
    std::hint::black_box(&dst);

    println!("table: {} batches, {gb:.3} GB in memory", batches.len());
    println!("| stage | seconds | GB/s |");
    println!("| --- | --- | --- |");
    for (name, s) in [
        ("Parquet decode (zstd level 1, as stored)", zstd_decode),
        ("Parquet decode (same table uncompressed)", plain_decode),
        ("IPC encode (copy into contiguous bodies)", ipc),
        ("protobuf framing (tonic's copy)", frame),
        ("memcpy of the same bytes (destination touched before)", memcpy),
    ] {
        println!("| {name} | {s:.3} | {:.2} |", gb / s);
    }
    Ok(())
}
