//! HDF5 element types Kura reads, their Arrow types, and reading a selection of a dataset (or a
//! whole attribute) into one flat Arrow array in row-major order.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Int64Array,
    StringArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use arrow::datatypes::DataType;
use hdf5_metno::types::{
    FixedAscii, FixedUnicode, FloatSize, H5Type, IntSize, TypeDescriptor, VarLenAscii, VarLenUnicode,
};
use hdf5_metno::{Container, Selection};
use serde_json::Value;

/// Longest fixed-length string read; longer ones are refused (each element is buffered at the
/// next size up, so this also bounds a slab's memory per row).
pub(super) const MAX_FIXED_STRING: usize = 65_536;

/// An element type Kura turns into an Arrow column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    Bool,
    VarAscii,
    VarUnicode,
    FixedAscii(usize),
    FixedUnicode(usize),
}

impl Kind {
    /// The kind for an HDF5 type, or why it is not read (compound, reference, variable-length
    /// array, enum, fixed array).
    pub(super) fn of(desc: &TypeDescriptor) -> Result<Kind, String> {
        Ok(match desc {
            TypeDescriptor::Integer(IntSize::U1) => Kind::I8,
            TypeDescriptor::Integer(IntSize::U2) => Kind::I16,
            TypeDescriptor::Integer(IntSize::U4) => Kind::I32,
            TypeDescriptor::Integer(IntSize::U8) => Kind::I64,
            TypeDescriptor::Unsigned(IntSize::U1) => Kind::U8,
            TypeDescriptor::Unsigned(IntSize::U2) => Kind::U16,
            TypeDescriptor::Unsigned(IntSize::U4) => Kind::U32,
            TypeDescriptor::Unsigned(IntSize::U8) => Kind::U64,
            TypeDescriptor::Float(FloatSize::U4) => Kind::F32,
            TypeDescriptor::Float(FloatSize::U8) => Kind::F64,
            TypeDescriptor::Boolean => Kind::Bool,
            TypeDescriptor::VarLenAscii => Kind::VarAscii,
            TypeDescriptor::VarLenUnicode => Kind::VarUnicode,
            TypeDescriptor::FixedAscii(n) if *n <= MAX_FIXED_STRING => Kind::FixedAscii(*n),
            TypeDescriptor::FixedUnicode(n) if *n <= MAX_FIXED_STRING => Kind::FixedUnicode(*n),
            TypeDescriptor::FixedAscii(n) | TypeDescriptor::FixedUnicode(n) => {
                return Err(format!("fixed-length strings of {n} bytes (more than {MAX_FIXED_STRING})"));
            }
            TypeDescriptor::Enum(e) => {
                let names: Vec<&str> = e.members.iter().take(16).map(|m| m.name.as_str()).collect();
                return Err(format!("enum type ({})", names.join(", ")));
            }
            TypeDescriptor::Compound(c) => {
                let names: Vec<&str> = c.fields.iter().take(16).map(|f| f.name.as_str()).collect();
                return Err(format!("compound type ({})", names.join(", ")));
            }
            TypeDescriptor::FixedArray(_, n) => return Err(format!("array type of {n} elements")),
            TypeDescriptor::VarLenArray(_) => return Err("variable-length array type".into()),
            TypeDescriptor::Reference(_) => return Err("reference type".into()),
            #[allow(unreachable_patterns)]
            other => return Err(format!("type {other:?}")),
        })
    }

    /// The Arrow type of a column of this kind.
    pub(super) fn arrow(self) -> DataType {
        match self {
            Kind::I8 => DataType::Int8,
            Kind::I16 => DataType::Int16,
            Kind::I32 => DataType::Int32,
            Kind::I64 => DataType::Int64,
            Kind::U8 => DataType::UInt8,
            Kind::U16 => DataType::UInt16,
            Kind::U32 => DataType::UInt32,
            Kind::U64 => DataType::UInt64,
            Kind::F32 => DataType::Float32,
            Kind::F64 => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            _ => DataType::Utf8,
        }
    }

    /// A short name for the metadata tree (`float64`, `string`).
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::I8 => "int8",
            Kind::I16 => "int16",
            Kind::I32 => "int32",
            Kind::I64 => "int64",
            Kind::U8 => "uint8",
            Kind::U16 => "uint16",
            Kind::U32 => "uint32",
            Kind::U64 => "uint64",
            Kind::F32 => "float32",
            Kind::F64 => "float64",
            Kind::Bool => "bool",
            _ => "string",
        }
    }

    pub(super) fn is_string(self) -> bool {
        self.arrow() == DataType::Utf8
    }

    /// Bytes one element occupies in memory while read (strings: the buffered size, a guess
    /// for variable-length ones), used to size slabs.
    pub(super) fn buffered_bytes(self) -> usize {
        match self {
            Kind::FixedAscii(n) | Kind::FixedUnicode(n) => bucket(n),
            Kind::VarAscii | Kind::VarUnicode => 64,
            Kind::I8 | Kind::U8 | Kind::Bool => 1,
            Kind::I16 | Kind::U16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 => 4,
            _ => 8,
        }
    }
}

/// The buffer size fixed-length strings of `n` bytes are read into.
fn bucket(n: usize) -> usize {
    [16, 64, 256, 1024, 4096, 16_384].into_iter().find(|b| n <= *b).unwrap_or(MAX_FIXED_STRING)
}

/// Element text of every string type HDF5 has, as bytes: `as_str` would trust the file to hold
/// valid UTF-8, so text is always decoded lossily from these.
trait StringBytes {
    fn bytes(&self) -> &[u8];
}

impl StringBytes for VarLenAscii {
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl StringBytes for VarLenUnicode {
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<const N: usize> StringBytes for FixedAscii<N> {
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<const N: usize> StringBytes for FixedUnicode<N> {
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Reads `selection` (everything when `None`: attributes and scalars) as elements of `T`.
fn elements<T: H5Type>(c: &Container, selection: Option<Selection>) -> hdf5_metno::Result<Vec<T>> {
    match selection {
        None => c.read_raw::<T>(),
        Some(selection) => {
            // `read_slice` builds the array from one row-major buffer, so its raw vector is the
            // elements in order.
            let array: ndarray::ArrayD<T> = c.read_slice(selection)?;
            Ok(array.into_raw_vec_and_offset().0)
        }
    }
}

fn strings<T: H5Type + StringBytes>(c: &Container, selection: Option<Selection>) -> hdf5_metno::Result<ArrayRef> {
    let values = elements::<T>(c, selection)?;
    Ok(Arc::new(StringArray::from_iter_values(values.iter().map(|s| String::from_utf8_lossy(s.bytes())))))
}

macro_rules! fixed {
    ($ty:ident, $n:expr, $c:expr, $sel:expr) => {
        match bucket($n) {
            16 => strings::<$ty<16>>($c, $sel),
            64 => strings::<$ty<64>>($c, $sel),
            256 => strings::<$ty<256>>($c, $sel),
            1024 => strings::<$ty<1024>>($c, $sel),
            4096 => strings::<$ty<4096>>($c, $sel),
            16_384 => strings::<$ty<16_384>>($c, $sel),
            _ => strings::<$ty<MAX_FIXED_STRING>>($c, $sel),
        }
    };
}

/// Reads `selection` of `c` (all of it when `None`) into one flat Arrow array, row-major.
pub(super) fn read_array(c: &Container, kind: Kind, selection: Option<Selection>) -> hdf5_metno::Result<ArrayRef> {
    Ok(match kind {
        Kind::I8 => Arc::new(Int8Array::from(elements::<i8>(c, selection)?)),
        Kind::I16 => Arc::new(Int16Array::from(elements::<i16>(c, selection)?)),
        Kind::I32 => Arc::new(Int32Array::from(elements::<i32>(c, selection)?)),
        Kind::I64 => Arc::new(Int64Array::from(elements::<i64>(c, selection)?)),
        Kind::U8 => Arc::new(UInt8Array::from(elements::<u8>(c, selection)?)),
        Kind::U16 => Arc::new(UInt16Array::from(elements::<u16>(c, selection)?)),
        Kind::U32 => Arc::new(UInt32Array::from(elements::<u32>(c, selection)?)),
        Kind::U64 => Arc::new(UInt64Array::from(elements::<u64>(c, selection)?)),
        Kind::F32 => Arc::new(Float32Array::from(elements::<f32>(c, selection)?)),
        Kind::F64 => Arc::new(Float64Array::from(elements::<f64>(c, selection)?)),
        Kind::Bool => Arc::new(BooleanArray::from(elements::<bool>(c, selection)?)),
        Kind::VarAscii => strings::<VarLenAscii>(c, selection)?,
        Kind::VarUnicode => strings::<VarLenUnicode>(c, selection)?,
        Kind::FixedAscii(n) => fixed!(FixedAscii, n, c, selection)?,
        Kind::FixedUnicode(n) => fixed!(FixedUnicode, n, c, selection)?,
    })
}

/// The values of an array as JSON (non-finite floats become `null`, as JSON has no NaN).
pub(super) fn json_values(array: &dyn Array) -> Vec<Value> {
    macro_rules! each {
        ($ty:ty) => {{
            let a = array.as_any().downcast_ref::<$ty>().expect("array type matches its data type");
            a.iter().map(|v| v.map(Value::from).unwrap_or(Value::Null)).collect()
        }};
    }
    match array.data_type() {
        DataType::Int8 => each!(Int8Array),
        DataType::Int16 => each!(Int16Array),
        DataType::Int32 => each!(Int32Array),
        DataType::Int64 => each!(Int64Array),
        DataType::UInt8 => each!(UInt8Array),
        DataType::UInt16 => each!(UInt16Array),
        DataType::UInt32 => each!(UInt32Array),
        DataType::UInt64 => each!(UInt64Array),
        DataType::Float32 => {
            let a = array.as_any().downcast_ref::<Float32Array>().expect("float32 array");
            // Through the shortest decimal text, so 0.1f32 shows as 0.1, not 0.10000000149.
            a.iter()
                .map(|v| v.and_then(|v| v.to_string().parse::<f64>().ok()).map(Value::from).unwrap_or(Value::Null))
                .collect()
        }
        DataType::Float64 => each!(Float64Array),
        DataType::Boolean => each!(BooleanArray),
        DataType::Utf8 => each!(StringArray),
        _ => vec![Value::Null; array.len()],
    }
}

/// Nests row-major `values` into arrays of arrays following `shape`.
pub(super) fn nest(values: Vec<Value>, shape: &[usize]) -> Value {
    match shape {
        [] => values.into_iter().next().unwrap_or(Value::Null),
        [_] => Value::Array(values),
        [_, rest @ ..] => {
            let inner: usize = rest.iter().product();
            if inner == 0 {
                return Value::Array(vec![]);
            }
            let mut out = Vec::new();
            let mut values = values.into_iter();
            loop {
                let chunk: Vec<Value> = values.by_ref().take(inner).collect();
                if chunk.is_empty() {
                    break;
                }
                out.push(nest(chunk, rest));
            }
            Value::Array(out)
        }
    }
}
