//! The durable append log of a stream table: a directory of segment files
//! (`<data_dir>/streams/<stream id>/<segment number>.log`), each a sequence of records
//!
//! ```text
//! record  := length: u32 LE | crc32(payload): u32 LE | payload
//! payload := header length: u32 LE | header (JSON) | the batch as an Arrow IPC stream
//! ```
//!
//! An append is acknowledged only after its record is written and the file synced, so an
//! acknowledged batch survives a crash. A crash mid-write leaves a torn record at the end of the
//! newest segment: it was never acknowledged, and reading stops (and truncates) there. Segments
//! are sealed when the committer takes their records and deleted once the commit is in the
//! catalog; a crash in between replays them, and the batches' idempotency keys (in the catalog
//! with the commit) keep them from being applied twice.

use std::fs::{File, OpenOptions};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StreamError;

/// Largest record read back: a longer length is a torn or corrupt record, not an allocation.
const MAX_RECORD: u32 = 1 << 30;

/// What a record says about its batch besides the rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordHeader {
    pub writer_id: String,
    pub sequence: i64,
    pub provenance: serde_json::Value,
    pub appended_by: String,
    /// The surface it came through (`rest`, `flight`), for the audit line written at its commit.
    #[serde(default)]
    pub surface: String,
    pub received_at: DateTime<Utc>,
}

/// One appended batch as the log keeps it.
#[derive(Debug, Clone)]
pub struct Record {
    pub header: RecordHeader,
    pub batch: RecordBatch,
}

/// The bytes of a record, framed and checksummed.
pub fn encode(header: &RecordHeader, batch: &RecordBatch) -> Result<Vec<u8>, StreamError> {
    let head = serde_json::to_vec(header).map_err(|e| StreamError::Invalid(e.to_string()))?;
    let mut payload = Vec::with_capacity(head.len() + 4 + batch.get_array_memory_size());
    payload.extend_from_slice(&(head.len() as u32).to_le_bytes());
    payload.extend_from_slice(&head);
    let mut writer = StreamWriter::try_new(&mut payload, &batch.schema())?;
    writer.write(batch)?;
    writer.finish()?;
    let length = u32::try_from(payload.len()).ok().filter(|l| *l <= MAX_RECORD).ok_or_else(|| {
        StreamError::Invalid(format!("a batch of {} bytes is too large: send smaller batches", payload.len()))
    })?;
    let mut record = Vec::with_capacity(payload.len() + 8);
    record.extend_from_slice(&length.to_le_bytes());
    record.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    record.extend_from_slice(&payload);
    Ok(record)
}

fn decode(payload: &[u8]) -> Option<Record> {
    let head_len = u32::from_le_bytes(payload.get(..4)?.try_into().ok()?) as usize;
    let head = payload.get(4..4 + head_len)?;
    let header: RecordHeader = serde_json::from_slice(head).ok()?;
    let mut reader = StreamReader::try_new(Cursor::new(&payload[4 + head_len..]), None).ok()?;
    let batch = reader.next()?.ok()?;
    Some(Record { header, batch })
}

/// The records of a segment up to the first torn or corrupt one, and the length they span.
pub fn read_segment(path: &Path) -> Result<(Vec<Record>, u64), StreamError> {
    let mut bytes = Vec::new();
    File::open(path)?.read_to_end(&mut bytes)?;
    let mut records = Vec::new();
    let mut at = 0usize;
    while let Some(frame) = bytes.get(at..at + 8) {
        let length = u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]);
        let crc = u32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]);
        if length > MAX_RECORD {
            break;
        }
        let Some(payload) = bytes.get(at + 8..at + 8 + length as usize) else { break };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let Some(record) = decode(payload) else { break };
        records.push(record);
        at += 8 + length as usize;
    }
    Ok((records, at as u64))
}

/// The segment files of a stream's log directory, oldest first.
pub fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, StreamError> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let path = entry?.path();
        let number = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(number) = number {
            found.push((number, path));
        }
    }
    found.sort();
    Ok(found)
}

/// The segment appends go to.
#[derive(Debug)]
pub struct Segment {
    pub path: PathBuf,
    file: File,
}

impl Segment {
    /// Creates segment `number` in `dir` (and `dir` itself, synced so the file's entry survives).
    pub fn create(dir: &Path, number: u64) -> Result<Self, StreamError> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{number:020}.log"));
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        File::open(dir)?.sync_all()?;
        Ok(Segment { path, file })
    }

    /// Writes a record and syncs it to disk: once this returns, the append may be acknowledged.
    pub fn append_durably(&self, record: &[u8]) -> Result<(), StreamError> {
        (&self.file).write_all(record)?;
        self.file.sync_data()?;
        Ok(())
    }
}

/// Cuts a segment back to `length` bytes (a torn record at its end), durably.
pub fn truncate(path: &Path, length: u64) -> Result<(), StreamError> {
    let file = OpenOptions::new().write(true).open(path)?;
    file.set_len(length)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn header(seq: i64) -> RecordHeader {
        RecordHeader {
            writer_id: "robot-1".into(),
            sequence: seq,
            provenance: serde_json::json!({"run_id": "r1"}),
            appended_by: "user:x".into(),
            surface: "rest".into(),
            received_at: Utc::now(),
        }
    }

    fn batch(n: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..n))]).unwrap()
    }

    #[test]
    fn records_round_trip_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let segment = Segment::create(dir.path(), 1).unwrap();
        for seq in 0..3 {
            segment.append_durably(&encode(&header(seq), &batch(seq + 1)).unwrap()).unwrap();
        }
        let full = std::fs::metadata(&segment.path).unwrap().len();
        // A crash mid-write: half a record at the end.
        let torn = encode(&header(3), &batch(10)).unwrap();
        segment.append_durably(&torn[..torn.len() / 2]).unwrap();
        let (records, valid) = read_segment(&segment.path).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(valid, full);
        assert_eq!(records[2].header.sequence, 2);
        assert_eq!(records[2].batch.num_rows(), 3);
        truncate(&segment.path, valid).unwrap();
        assert_eq!(std::fs::metadata(&segment.path).unwrap().len(), full);
        assert_eq!(segments(dir.path()).unwrap().len(), 1);
    }

    #[test]
    fn a_flipped_byte_ends_the_readable_log() {
        let dir = tempfile::tempdir().unwrap();
        let segment = Segment::create(dir.path(), 7).unwrap();
        segment.append_durably(&encode(&header(0), &batch(2)).unwrap()).unwrap();
        let second = encode(&header(1), &batch(2)).unwrap();
        segment.append_durably(&second).unwrap();
        let mut bytes = std::fs::read(&segment.path).unwrap();
        let last = bytes.len() - 5;
        bytes[last] ^= 0xff;
        std::fs::write(&segment.path, &bytes).unwrap();
        let (records, valid) = read_segment(&segment.path).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(valid as usize, bytes.len() - second.len());
    }
}
