//! Type inference and the widen-and-restart fallback.

use arrow::array::{Array, BooleanArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, TimeUnit};
use serde_json::json;

use super::support::*;

#[test]
fn infers_each_type() {
    let text = "i,f,b,d,ts,tz,s,n\n\
                1,1.5,true,2024-01-01,2024-01-01 12:00:00,2024-01-01T12:00:00Z,a,NA\n\
                -2,NaN,No,2024-01-02,2024-01-01T12:00:00.25,2024-01-01T14:00:00+02:00,b c,1\n\
                ,1e3,YES,,,,,null\n";
    let r = read_bytes(text.as_bytes()).unwrap();
    let types: Vec<DataType> = r.batch.schema().fields().iter().map(|f| f.data_type().clone()).collect();
    let naive = DataType::Timestamp(TimeUnit::Microsecond, None);
    let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    assert_eq!(
        types,
        [
            DataType::Int64,
            DataType::Float64,
            DataType::Boolean,
            naive.clone(),
            naive,
            utc,
            DataType::Utf8,
            DataType::Int64
        ]
    );
    assert_eq!(i64s(&r, "i"), [Some(1), Some(-2), None]);
    assert_eq!(f64s(&r, "f"), [Some(1.5), None, Some(1000.0)]);
    let b = r.batch.column_by_name("b").unwrap();
    let b = b.as_any().downcast_ref::<BooleanArray>().unwrap();
    assert_eq!(b.iter().collect::<Vec<_>>(), [Some(true), Some(false), Some(true)]);
    let ts = |name: &str| -> Vec<Option<i64>> {
        let a = r.batch.column_by_name(name).unwrap();
        a.as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap().iter().collect()
    };
    assert_eq!(ts("d"), [Some(1_704_067_200_000_000), Some(1_704_153_600_000_000), None]);
    assert_eq!(ts("ts")[1], Some(1_704_110_400_250_000));
    assert_eq!(ts("tz"), [Some(1_704_110_400_000_000), Some(1_704_110_400_000_000), None]);
    assert_eq!(strs(&r, "s"), [Some("a".to_string()), Some("b c".to_string()), None]);
    assert_eq!(i64s(&r, "n"), [None, Some(1), None]);
}

#[test]
fn widens_and_restarts_on_late_mismatch() {
    let mut text = String::from("id,x,flag\n");
    for i in 1..=6000 {
        let id = if i == 5000 { "abc".to_string() } else { i.to_string() };
        let x = if i == 5500 { "2.5".to_string() } else { i.to_string() };
        text.push_str(&format!("{id},{x},true\n"));
    }
    let r = read_bytes_with(text.as_bytes(), 1024).unwrap();
    assert_eq!(r.batch.num_rows(), 6000);
    assert_eq!(r.discarded, 1, "one restart collects every widening");
    assert_eq!(r.batch.column_by_name("id").unwrap().data_type(), &DataType::Utf8);
    assert_eq!(strs(&r, "id")[4999], Some("abc".to_string()));
    assert_eq!(strs(&r, "id")[0], Some("1".to_string()));
    assert_eq!(f64s(&r, "x")[5499], Some(2.5));
    assert_eq!(f64s(&r, "x")[0], Some(1.0));
    assert_eq!(r.report.parameters["restarts"], json!(1));
    let w = &r.report.warnings;
    assert!(w.contains(&"column \"id\" widened from integer to text at line 5001".to_string()), "{w:?}");
    assert!(w.contains(&"column \"x\" widened from integer to float at line 5501".to_string()), "{w:?}");
}

#[test]
fn int_column_widens_to_float() {
    let mut text = String::from("n\tv\n");
    for i in 0..1500 {
        text.push_str(&format!("{i}\t{i}\n"));
    }
    text.push_str("1500\t1.5\n");
    let r = read_bytes(text.as_bytes()).unwrap();
    assert_eq!(f64s(&r, "v")[1500], Some(1.5));
    assert_eq!(i64s(&r, "n")[1500], Some(1500));
}
