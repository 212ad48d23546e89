//! The Parquet sink: tables from readers become zstd Parquet scratch files with their SHA-256,
//! row count and per-column statistics, ready to be committed as objects.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use arrow::array::{Array, ArrayRef};
use arrow::compute::kernels::aggregate;
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimestampMicrosecondType};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use kura_catalog::files::NewFile;
use kura_catalog::tables::{NewColumn, NewTable};
use kura_core::FileRole;
use kura_storage::{HashingWriter, ObjectStore, StagedFile, parquet_io};

use crate::detect::PARQUET_MEDIA_TYPE;

use crate::reader::{ColumnInfo, SinkError, TableSink, TableStart};

/// A table fully written to a scratch file.
#[derive(Debug)]
pub struct FinishedTable {
    pub name: String,
    pub columns: Vec<ColumnInfo>,
    pub arrow_types: Vec<String>,
    pub statistics: Vec<Value>,
    pub rows: u64,
    pub file: StagedFile,
}

/// A file found inside the source, hashed into a scratch file, ready to be committed.
#[derive(Debug)]
pub struct KeptFile {
    /// Path relative to the source file.
    pub path: String,
    pub file: StagedFile,
}

impl FinishedTable {
    /// Commits the scratch file as a content-addressed object and describes it as the catalog
    /// table `name` derived from the file `source` (a raw file, or a compute job's code): the
    /// one place a written table becomes a [`NewTable`], for ingestion and compute jobs alike.
    pub async fn into_new_table(
        self,
        store: &ObjectStore,
        name: String,
        source: uuid::Uuid,
        metadata: Value,
        provenance: Value,
    ) -> Result<NewTable, kura_storage::StorageError> {
        let object = store.commit(self.file).await?;
        let columns = self
            .columns
            .into_iter()
            .zip(self.arrow_types)
            .zip(self.statistics)
            .map(|((c, arrow_type), statistics)| NewColumn {
                name: c.name,
                original_label: c.original_label,
                arrow_type,
                unit: c.unit,
                ucum: c.ucum,
                qudt: c.qudt,
                description: c.description,
                statistics,
            })
            .collect();
        Ok(NewTable {
            name: name.clone(),
            source_file_id: source,
            parquet: NewFile {
                path: format!("tables/{name}.parquet"),
                role: FileRole::Derived,
                sha256: object.sha256,
                size: object.size,
                media_type: PARQUET_MEDIA_TYPE.into(),
                format: Some("parquet".into()),
                source_file_id: Some(source),
                uploaded_by: None,
            },
            row_count: self.rows,
            metadata,
            provenance,
            columns,
        })
    }
}

type FileWriter = ArrowWriter<HashingWriter<BufWriter<File>>>;

/// Where batches go: encoded on the reader's thread, or handed to an encoder thread so that
/// parsing and Parquet encoding overlap when a second core is available.
enum Encoder {
    Inline(FileWriter),
    Threaded {
        batches: std::sync::mpsc::SyncSender<RecordBatch>,
        done: std::thread::JoinHandle<Result<FileWriter, String>>,
    },
}

/// Batches in flight to the encoder thread: enough to keep both cores busy, few enough to keep
/// memory bounded.
const IN_FLIGHT: usize = 2;

impl Encoder {
    fn new(writer: FileWriter, threaded: bool) -> Self {
        if !threaded {
            return Encoder::Inline(writer);
        }
        let (batches, receive) = std::sync::mpsc::sync_channel::<RecordBatch>(IN_FLIGHT);
        let done = std::thread::spawn(move || {
            let mut writer = writer;
            for batch in receive {
                writer.write(&batch).map_err(|e| e.to_string())?;
            }
            Ok(writer)
        });
        Encoder::Threaded { batches, done }
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        match self {
            Encoder::Inline(writer) => writer.write(batch).map_err(sink_err),
            // A send fails only when the encoder stopped on an error, which `finish` reports.
            Encoder::Threaded { batches, .. } => {
                batches.send(batch.clone()).map_err(|_| SinkError("parquet encoder stopped".into()))
            }
        }
    }

    fn finish(self) -> Result<FileWriter, SinkError> {
        match self {
            Encoder::Inline(writer) => Ok(writer),
            Encoder::Threaded { batches, done } => {
                drop(batches);
                done.join().map_err(|_| SinkError("parquet encoder panicked".into()))?.map_err(sink_err)
            }
        }
    }
}

struct OpenTable {
    start: TableStart,
    path: PathBuf,
    encoder: Encoder,
    stats: Vec<ColumnStats>,
    rows: u64,
}

#[derive(Default)]
struct ColumnStats {
    nulls: u64,
    min: Option<f64>,
    max: Option<f64>,
}

impl ColumnStats {
    fn update(&mut self, array: &ArrayRef) {
        self.nulls += array.null_count() as u64;
        let (lo, hi) = match array.data_type() {
            DataType::Int64 => {
                let a = array.as_any().downcast_ref::<arrow::array::PrimitiveArray<Int64Type>>();
                (a.and_then(aggregate::min).map(|v| v as f64), a.and_then(aggregate::max).map(|v| v as f64))
            }
            DataType::Float64 => {
                let a = array.as_any().downcast_ref::<arrow::array::PrimitiveArray<Float64Type>>();
                (a.and_then(aggregate::min), a.and_then(aggregate::max))
            }
            DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, _) => {
                let a = array.as_any().downcast_ref::<arrow::array::PrimitiveArray<TimestampMicrosecondType>>();
                (a.and_then(aggregate::min).map(|v| v as f64), a.and_then(aggregate::max).map(|v| v as f64))
            }
            _ => (None, None),
        };
        if let Some(lo) = lo.filter(|v| !v.is_nan()) {
            self.min = Some(self.min.map_or(lo, |m| m.min(lo)));
        }
        if let Some(hi) = hi.filter(|v| !v.is_nan()) {
            self.max = Some(self.max.map_or(hi, |m| m.max(hi)));
        }
    }

    fn to_json(&self, data_type: &DataType) -> Value {
        let render = |v: f64| match data_type {
            DataType::Timestamp(..) => {
                chrono::DateTime::from_timestamp_micros(v as i64).map(|t| json!(t.to_rfc3339())).unwrap_or(Value::Null)
            }
            DataType::Int64 => json!(v as i64),
            _ => json!(v),
        };
        json!({"null_count": self.nulls, "min": self.min.map(render), "max": self.max.map(render)})
    }
}

/// Writes each table a reader produces to its own Parquet scratch file in staging.
pub struct ParquetSink<'a> {
    store: &'a ObjectStore,
    open: Option<OpenTable>,
    /// Encode on a second thread.
    threaded: bool,
    pub finished: Vec<FinishedTable>,
    pub kept: Vec<KeptFile>,
    /// Once fired, the next batch is refused: a cancelled job stops within one batch.
    cancel: CancellationToken,
}

impl<'a> ParquetSink<'a> {
    /// A sink that encodes on a second thread when `threads` > 1 and stops taking batches once
    /// `cancel` fires.
    pub fn new(store: &'a ObjectStore, threads: usize, cancel: CancellationToken) -> Self {
        ParquetSink { store, open: None, threaded: threads > 1, finished: Vec::new(), kept: Vec::new(), cancel }
    }
}

fn sink_err(e: impl std::fmt::Display) -> SinkError {
    SinkError(format!("writing parquet: {e}"))
}

impl TableSink for ParquetSink<'_> {
    fn begin_table(&mut self, table: TableStart) -> Result<(), SinkError> {
        self.discard_table();
        let path = self.store.scratch_path();
        let file = File::create(&path).map_err(sink_err)?;
        let out = HashingWriter::new(BufWriter::with_capacity(1 << 20, file));
        let writer =
            ArrowWriter::try_new(out, table.schema.clone(), Some(parquet_io::writer_properties())).map_err(sink_err)?;
        let stats = table.columns.iter().map(|_| ColumnStats::default()).collect();
        self.open =
            Some(OpenTable { start: table, path, encoder: Encoder::new(writer, self.threaded), stats, rows: 0 });
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        if self.cancel.is_cancelled() {
            return Err(SinkError("the job was cancelled".into()));
        }
        let open = self.open.as_mut().ok_or_else(|| SinkError("write_batch without begin_table".into()))?;
        for (stats, column) in open.stats.iter_mut().zip(batch.columns()) {
            stats.update(column);
        }
        open.rows += batch.num_rows() as u64;
        open.encoder.write(batch)
    }

    fn finish_table(&mut self) -> Result<(), SinkError> {
        let open = self.open.take().ok_or_else(|| SinkError("finish_table without begin_table".into()))?;
        let OpenTable { start, path, encoder, stats, rows } = open;
        let hashing = encoder.finish()?.into_inner().map_err(sink_err)?;
        let (buffered, sha256, size) = hashing.finish();
        let file = buffered.into_inner().map_err(|e| sink_err(e.error()))?;
        file.sync_all().map_err(sink_err)?;
        let fields = start.schema.fields();
        let statistics = stats.iter().zip(fields.iter()).map(|(s, f)| s.to_json(f.data_type())).collect();
        let arrow_types = fields.iter().map(|f| f.data_type().to_string()).collect();
        let file = StagedFile::new_scratch(path, sha256, size);
        self.finished.push(FinishedTable {
            name: start.name,
            columns: start.columns,
            arrow_types,
            statistics,
            rows,
            file,
        });
        Ok(())
    }

    fn discard_table(&mut self) {
        if let Some(open) = self.open.take() {
            let _ = open.encoder.finish();
            let _ = std::fs::remove_file(&open.path);
        }
    }

    fn keep_file(&mut self, path: &str, bytes: &mut dyn std::io::Read) -> Result<(), SinkError> {
        let keep_err = |e: std::io::Error| SinkError(format!("keeping {path}: {e}"));
        let scratch = self.store.scratch_path();
        let written = (|| {
            let mut out = HashingWriter::new(BufWriter::new(File::create(&scratch)?));
            std::io::copy(bytes, &mut out)?;
            let (buffered, sha256, size) = out.finish();
            buffered.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            Ok((sha256, size))
        })();
        match written {
            Ok((sha256, size)) => {
                let file = StagedFile::new_scratch(scratch, sha256, size);
                self.kept.push(KeptFile { path: path.to_string(), file });
                Ok(())
            }
            Err(e) => {
                let _ = std::fs::remove_file(&scratch);
                Err(keep_err(e))
            }
        }
    }
}

impl Drop for ParquetSink<'_> {
    fn drop(&mut self) {
        self.discard_table();
    }
}
