//! Writes planned tables, reading each dataset in hyperslabs so that one batch (at most
//! [`BATCH_ROWS`] rows and about [`BATCH_BYTES`] of values) is all that is in memory.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, UInt32Array};
use arrow::compute::take;
use arrow::datatypes::{DataType, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use hdf5_metno::{Dataset, File, Hyperslab, Selection, SliceOrIndex};

use super::values::read_array;
use super::walk::{DatasetPlan, TablePlan};
use crate::{ColumnInfo, ReadError, TableSink, TableStart};

/// Most rows per record batch.
pub(super) const BATCH_ROWS: usize = 65_536;
/// About how many bytes of values one batch holds.
const BATCH_BYTES: usize = 16 * 1024 * 1024;

fn h5(path: &str, what: &str, e: hdf5_metno::Error) -> ReadError {
    ReadError::Malformed { format: "hdf5", message: format!("dataset {path}: {what}: {e}") }
}

fn open(file: &File, plan: &DatasetPlan) -> Result<Dataset, ReadError> {
    file.dataset(&plan.path).map_err(|e| h5(&plan.path, "cannot open", e))
}

/// The column of one dataset, carrying its NeXus `units` and `long_name`.
fn column(name: &str, label: &str, plan: &DatasetPlan) -> ColumnInfo {
    let mut info = ColumnInfo::with_unit(name, label, plan.unit.as_deref());
    info.description = plan.long_name.clone();
    info
}

/// Rows per batch for rows `row_bytes` wide.
fn rows_per_batch(row_bytes: usize) -> usize {
    (BATCH_BYTES / row_bytes.max(1)).clamp(1, BATCH_ROWS)
}

/// A hyperslab from `origin` spanning `count` elements along each axis.
fn block(origin: &[usize], count: &[usize]) -> Selection {
    let slices: Vec<SliceOrIndex> = origin
        .iter()
        .zip(count)
        .map(|(&start, &count)| SliceOrIndex::SliceCount { start, step: 1, count, block: 1 })
        .collect();
    Selection::from(Hyperslab::from(slices))
}

/// Writes one table; returns its row count. `done` adds each dataset's stored bytes for progress.
pub(super) fn write(
    file: &File,
    plan: &TablePlan,
    sink: &mut dyn TableSink,
    done: &mut u64,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, ReadError> {
    let rows = match plan {
        TablePlan::Columns { name, rows, columns } => write_columns(file, name, *rows, columns, sink)?,
        TablePlan::Matrix { name, dataset } => write_matrix(file, name, dataset, sink)?,
        TablePlan::Long { name, dataset } => write_long(file, name, dataset, sink)?,
    };
    let storage: u64 = match plan {
        TablePlan::Columns { columns, .. } => columns.iter().map(|c| c.storage).sum(),
        TablePlan::Matrix { dataset, .. } | TablePlan::Long { dataset, .. } => dataset.storage,
    };
    *done = done.saturating_add(storage);
    progress(*done);
    Ok(rows)
}

fn begin(
    sink: &mut dyn TableSink,
    name: &str,
    columns: Vec<ColumnInfo>,
    types: Vec<DataType>,
) -> Result<Arc<Schema>, ReadError> {
    let fields: Vec<_> = columns.iter().zip(types).map(|(c, t)| c.field(t)).collect();
    let schema = Arc::new(Schema::new(fields));
    sink.begin_table(TableStart { name: name.to_string(), schema: schema.clone(), columns })?;
    Ok(schema)
}

fn batch(schema: &Arc<Schema>, columns: Vec<ArrayRef>, rows: usize) -> Result<RecordBatch, ReadError> {
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(schema.clone(), columns, &options)?)
}

/// 1-D datasets of one length, side by side.
fn write_columns(
    file: &File,
    name: &str,
    rows: usize,
    plans: &[DatasetPlan],
    sink: &mut dyn TableSink,
) -> Result<u64, ReadError> {
    let datasets = plans.iter().map(|p| open(file, p)).collect::<Result<Vec<_>, _>>()?;
    let columns = plans.iter().map(|p| column(&p.name, &p.name, p)).collect();
    let schema = begin(sink, name, columns, plans.iter().map(|p| p.kind.arrow()).collect())?;
    let step = rows_per_batch(plans.iter().map(|p| p.kind.buffered_bytes()).sum());
    let mut start = 0;
    while start < rows {
        let end = rows.min(start + step);
        let arrays = plans
            .iter()
            .zip(&datasets)
            .map(|(p, ds)| {
                read_array(ds, p.kind, Some(block(&[start], &[end - start])))
                    .map_err(|e| h5(&p.path, &format!("rows {start}..{end}"), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        sink.write_batch(&batch(&schema, arrays, end - start)?)?;
        start = end;
    }
    sink.finish_table()?;
    Ok(rows as u64)
}

/// A 2-D dataset, one table row per dataset row.
fn write_matrix(file: &File, name: &str, plan: &DatasetPlan, sink: &mut dyn TableSink) -> Result<u64, ReadError> {
    let ds = open(file, plan)?;
    let (rows, width) = (plan.shape[0], plan.shape[1]);
    let columns = (0..width).map(|j| column(&format!("col_{j}"), &format!("{}[:,{j}]", plan.name), plan)).collect();
    let schema = begin(sink, name, columns, vec![plan.kind.arrow(); width])?;
    let step = rows_per_batch(width.saturating_mul(plan.kind.buffered_bytes()));
    let mut start = 0;
    while start < rows {
        let end = rows.min(start + step);
        let flat = read_array(&ds, plan.kind, Some(block(&[start, 0], &[end - start, width])))
            .map_err(|e| h5(&plan.path, &format!("rows {start}..{end}"), e))?;
        let n = (end - start) as u32;
        let arrays = (0..width as u32)
            .map(|j| take(&flat, &UInt32Array::from_iter_values((0..n).map(|r| r * width as u32 + j)), None))
            .collect::<Result<Vec<_>, _>>()?;
        sink.write_batch(&batch(&schema, arrays, end - start)?)?;
        start = end;
    }
    sink.finish_table()?;
    Ok(rows as u64)
}

/// Index column names for a dataset of `rank` dimensions.
fn index_names(rank: usize) -> Vec<String> {
    if rank == 2 { vec!["row".into(), "col".into()] } else { (0..rank).map(|i| format!("dim_{i}")).collect() }
}

/// Receives one hyperslab: its origin and its extent along each axis.
type OnBlock<'a> = dyn FnMut(&[usize], &[usize]) -> Result<(), ReadError> + 'a;

/// Calls `f(origin, count)` for hyperslabs of at most `budget` elements (or one element) that
/// cover `shape` in row-major order.
fn for_each_block(
    shape: &[usize],
    budget: usize,
    prefix: &mut Vec<usize>,
    f: &mut OnBlock<'_>,
) -> Result<(), ReadError> {
    let axis = prefix.len();
    if axis == shape.len() {
        return f(prefix, &vec![1; shape.len()]);
    }
    let inner = shape[axis + 1..].iter().try_fold(1usize, |a, d| a.checked_mul(*d));
    match inner {
        Some(inner) if inner <= budget => {
            let step = (budget / inner.max(1)).max(1);
            let mut start = 0;
            while start < shape[axis] {
                let k = step.min(shape[axis] - start);
                let mut origin = prefix.clone();
                origin.push(start);
                origin.resize(shape.len(), 0);
                let mut count = vec![1; axis];
                count.push(k);
                count.extend_from_slice(&shape[axis + 1..]);
                f(&origin, &count)?;
                start += k;
            }
            Ok(())
        }
        _ => {
            for i in 0..shape[axis] {
                prefix.push(i);
                for_each_block(shape, budget, prefix, f)?;
                prefix.pop();
            }
            Ok(())
        }
    }
}

/// A wide or higher-rank dataset in long format: its indices, then its value.
fn write_long(file: &File, name: &str, plan: &DatasetPlan, sink: &mut dyn TableSink) -> Result<u64, ReadError> {
    let ds = open(file, plan)?;
    let rank = plan.shape.len();
    let mut columns: Vec<ColumnInfo> = index_names(rank)
        .iter()
        .map(|n| ColumnInfo { name: n.clone(), original_label: n.clone(), ..ColumnInfo::default() })
        .collect();
    columns.push(column("value", &plan.name, plan));
    let mut types = vec![DataType::Int64; rank];
    types.push(plan.kind.arrow());
    let schema = begin(sink, name, columns, types)?;
    let budget = rows_per_batch(plan.kind.buffered_bytes() + 8 * rank);
    let mut rows = 0u64;
    for_each_block(&plan.shape, budget, &mut Vec::new(), &mut |origin, count| {
        let values = read_array(&ds, plan.kind, Some(block(origin, count)))
            .map_err(|e| h5(&plan.path, &format!("block at {origin:?} of {count:?}"), e))?;
        let n = values.len();
        let mut indices: Vec<Vec<i64>> = vec![Vec::with_capacity(n); rank];
        let mut at = origin.to_vec();
        for _ in 0..n {
            for (axis, column) in indices.iter_mut().enumerate() {
                column.push(at[axis] as i64);
            }
            // Row-major increment of `at` within the block.
            for axis in (0..rank).rev() {
                at[axis] += 1;
                if at[axis] < origin[axis] + count[axis] {
                    break;
                }
                at[axis] = origin[axis];
            }
        }
        let mut arrays: Vec<ArrayRef> =
            indices.into_iter().map(|c| Arc::new(Int64Array::from(c)) as ArrayRef).collect();
        arrays.push(values);
        sink.write_batch(&batch(&schema, arrays, n)?)?;
        rows += n as u64;
        Ok(())
    })?;
    sink.finish_table()?;
    Ok(rows)
}

#[cfg(test)]
mod block_tests {
    use super::*;

    fn blocks(shape: &[usize], budget: usize) -> Vec<(Vec<usize>, Vec<usize>)> {
        let mut out = Vec::new();
        for_each_block(shape, budget, &mut Vec::new(), &mut |o, c| {
            out.push((o.to_vec(), c.to_vec()));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn blocks_cover_the_shape_within_the_budget() {
        assert_eq!(
            blocks(&[5, 4], 8),
            vec![(vec![0, 0], vec![2, 4]), (vec![2, 0], vec![2, 4]), (vec![4, 0], vec![1, 4])]
        );
        // A frame larger than the budget is split along its next axis.
        let b = blocks(&[2, 3, 4], 5);
        assert_eq!(b.len(), 6);
        assert_eq!(b[0], (vec![0, 0, 0], vec![1, 1, 4]));
        assert_eq!(b[5], (vec![1, 2, 0], vec![1, 1, 4]));
        let total: usize = b.iter().map(|(_, c)| c.iter().product::<usize>()).sum();
        assert_eq!(total, 24);
    }
}
