//! Arrow schemas as Delta (Spark) schema JSON, the `schemaString` of a table's `metaData`.
//!
//! Each Arrow type maps to the Delta type that means the same; a type Delta has no equivalent
//! for is cast in the Parquet served to sharing clients (never relabelled: the file and the
//! schema always agree), and the field's metadata names the Arrow type it was cast from, so a
//! reader can tell (`kura.arrow_type`).

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use serde_json::{Value, json};

/// Field metadata naming the Arrow type a served column was cast from.
pub const CAST_FROM: &str = "kura.arrow_type";

/// A column type as Delta names it, and the Arrow type it is served as.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    /// The Delta type: a name (`long`) or a nested type's object.
    pub delta: Value,
    /// The Arrow type of the served column (the stored one unless it must be cast).
    pub served: DataType,
}

/// How `data_type` is shared: its Delta type, and the Arrow type it is served as.
pub fn map_type(data_type: &DataType) -> Mapped {
    use DataType::*;
    let same = |name: &str| Mapped { delta: json!(name), served: data_type.clone() };
    let cast = |name: &str, to: DataType| Mapped { delta: json!(name), served: to };
    match data_type {
        Boolean => same("boolean"),
        Int8 => same("byte"),
        Int16 => same("short"),
        Int32 => same("integer"),
        Int64 => same("long"),
        // Unsigned integers widen to the next signed type; u64 to decimal(20,0), which holds all.
        UInt8 => cast("short", Int16),
        UInt16 => cast("integer", Int32),
        UInt32 => cast("long", Int64),
        UInt64 => cast("decimal(20,0)", Decimal128(20, 0)),
        Float16 => cast("float", Float32),
        Float32 => same("float"),
        Float64 => same("double"),
        Utf8 | LargeUtf8 => same("string"),
        Utf8View => cast("string", Utf8),
        Binary | LargeBinary => same("binary"),
        FixedSizeBinary(_) | BinaryView => cast("binary", Binary),
        Date32 => same("date"),
        Date64 => cast("date", Date32),
        // Delta timestamps are microsecond instants. Delta's `timestamp_ntz` is a table feature of
        // reader version 3, which Parquet-format sharing (reader version 1) cannot declare and
        // the Python client cannot read: a timestamp without a time zone is served as an instant
        // in UTC (its wall-clock values unchanged), the cast named in the field's metadata.
        Timestamp(TimeUnit::Microsecond, Some(_)) => same("timestamp"),
        Timestamp(_, Some(tz)) => cast("timestamp", Timestamp(TimeUnit::Microsecond, Some(tz.clone()))),
        Timestamp(_, None) => cast("timestamp", Timestamp(TimeUnit::Microsecond, Some("UTC".into()))),
        Decimal128(p, s) if *p <= 38 && *s >= 0 => same(&format!("decimal({p},{s})")),
        Decimal256(p, s) if *p <= 38 && *s >= 0 => cast(&format!("decimal({p},{s})"), Decimal128(*p, *s)),
        List(item) | LargeList(item) | FixedSizeList(item, _) | ListView(item) | LargeListView(item) => {
            let inner = map_type(item.data_type());
            let served = List(Arc::new(Field::new(item.name(), inner.served.clone(), item.is_nullable())));
            Mapped {
                delta: json!({"type": "array", "elementType": inner.delta, "containsNull": item.is_nullable()}),
                served,
            }
        }
        Struct(fields) => {
            let (delta, served) = map_fields(fields);
            Mapped { delta: json!({"type": "struct", "fields": delta}), served: Struct(served) }
        }
        Map(entries, sorted) => match entries.data_type() {
            Struct(kv) if kv.len() == 2 => {
                let (key, value) = (map_type(kv[0].data_type()), map_type(kv[1].data_type()));
                let served_kv = Fields::from(vec![
                    Field::new(kv[0].name(), key.served.clone(), false),
                    Field::new(kv[1].name(), value.served.clone(), kv[1].is_nullable()),
                ]);
                Mapped {
                    delta: json!({"type": "map", "keyType": key.delta, "valueType": value.delta,
                        "valueContainsNull": kv[1].is_nullable()}),
                    served: Map(Arc::new(Field::new(entries.name(), Struct(served_kv), false)), *sorted),
                }
            }
            _ => cast("string", Utf8),
        },
        Dictionary(_, values) => map_type(values),
        RunEndEncoded(_, values) => map_type(values.data_type()),
        // No Delta equivalent (times of day, durations, intervals, nulls, wider decimals, unions):
        // served as their text form, and the field says what they were.
        _ => cast("string", Utf8),
    }
}

/// Delta fields for `fields`, and the served Arrow fields.
fn map_fields(fields: &Fields) -> (Vec<Value>, Fields) {
    let mut delta = Vec::with_capacity(fields.len());
    let mut served = Vec::with_capacity(fields.len());
    for field in fields {
        let mapped = map_type(field.data_type());
        let mut metadata = serde_json::Map::new();
        if &mapped.served != field.data_type() {
            metadata.insert(CAST_FROM.into(), json!(field.data_type().to_string()));
        }
        delta.push(json!({"name": field.name(), "type": mapped.delta, "nullable": field.is_nullable(),
            "metadata": metadata}));
        served
            .push(Field::new(field.name(), mapped.served, field.is_nullable()).with_metadata(field.metadata().clone()));
    }
    (delta, Fields::from(served))
}

/// A table's schema as sharing clients see it: its `schemaString`, and the Arrow schema of the
/// Parquet served (equal to `schema` unless a column must be cast).
pub fn shared_schema(schema: &Schema) -> (String, SchemaRef) {
    let (delta, served) = map_fields(schema.fields());
    let text = json!({"type": "struct", "fields": delta}).to_string();
    (text, Arc::new(Schema::new_with_metadata(served, schema.metadata().clone())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(t: DataType) -> Value {
        map_type(&t).delta
    }

    #[test]
    fn arrow_types_map_to_the_delta_types_that_mean_the_same() {
        use DataType::*;
        let utc = Some("UTC".into());
        for (arrow, name) in [
            (Int8, "byte"),
            (Int16, "short"),
            (Int32, "integer"),
            (Int64, "long"),
            (Float32, "float"),
            (Float64, "double"),
            (Boolean, "boolean"),
            (Utf8, "string"),
            (LargeUtf8, "string"),
            (Binary, "binary"),
            (Date32, "date"),
            (Timestamp(TimeUnit::Microsecond, utc.clone()), "timestamp"),
            (Decimal128(10, 3), "decimal(10,3)"),
        ] {
            let mapped = map_type(&arrow);
            assert_eq!(mapped.delta, json!(name), "{arrow}");
            assert_eq!(mapped.served, arrow, "{arrow} is served as stored");
        }
    }

    #[test]
    fn types_without_a_delta_equivalent_are_cast_never_relabelled() {
        use DataType::*;
        let ns = Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
        assert_eq!(map_type(&ns).served, Timestamp(TimeUnit::Microsecond, Some("UTC".into())));
        assert_eq!(delta(ns), json!("timestamp"));
        assert_eq!(map_type(&UInt64), Mapped { delta: json!("decimal(20,0)"), served: Decimal128(20, 0) });
        let naive = Timestamp(TimeUnit::Millisecond, None);
        let utc = Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        assert_eq!(map_type(&naive), Mapped { delta: json!("timestamp"), served: utc }, "no timestamp_ntz in reader 1");
        assert_eq!(map_type(&UInt32).served, Int64);
        assert_eq!(map_type(&Duration(TimeUnit::Second)), Mapped { delta: json!("string"), served: Utf8 });
        // The schema names what a cast column was.
        let schema = Schema::new(vec![Field::new("n", UInt64, true), Field::new("x", Float64, false)]);
        let (text, served) = shared_schema(&schema);
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["type"], "struct");
        assert_eq!(parsed["fields"][0]["metadata"][CAST_FROM], "UInt64");
        assert_eq!(parsed["fields"][1], json!({"name": "x", "type": "double", "nullable": false, "metadata": {}}));
        assert_eq!(served.field(0).data_type(), &Decimal128(20, 0));
    }

    #[test]
    fn nested_types_nest() {
        use DataType::*;
        let list = List(Arc::new(Field::new("item", UInt8, true)));
        let mapped = map_type(&list);
        assert_eq!(mapped.delta, json!({"type": "array", "elementType": "short", "containsNull": true}));
        assert_eq!(mapped.served, List(Arc::new(Field::new("item", Int16, true))));
        let st = Struct(Fields::from(vec![Field::new("a", Int64, true)]));
        assert_eq!(delta(st)["fields"][0]["type"], "long");
    }
}
