//! The shared instrument exports in `../shared/testdata/instrument`.

use arrow::datatypes::DataType;
use serde_json::json;

use super::support::*;
use crate::csv::BATCH_ROWS;
use crate::reader::{META_ORIGINAL_LABEL, META_UCUM};

#[test]
fn casaxps_results_table() {
    let r = read_path(&instrument("xps-casa-FeO_analyzed_results.csv"), BATCH_ROWS).unwrap();
    assert_eq!(names(&r), ["Name", "Position", "FWHM", "Raw Area", "Area/(RSF*T*MFP)", "%At Conc", "Goodness of Fit"]);
    assert_eq!(r.batch.num_rows(), 4);
    assert_eq!(strs(&r, "Name"), vec![Some("Fe 2p".to_string()); 4]);
    assert_eq!(f64s(&r, "Position"), [Some(709.03), Some(715.73), Some(722.18), Some(730.22)]);
    assert_eq!(f64s(&r, "FWHM")[0], Some(3.86));
    assert_eq!(f64s(&r, "Raw Area")[1], Some(29867.34));
    assert_eq!(f64s(&r, "Area/(RSF*T*MFP)")[3], Some(355.03));
    assert_eq!(f64s(&r, "%At Conc"), [Some(41.89), Some(19.65), Some(28.06), Some(10.40)]);
    // `-1.#IND` everywhere: all null, typed float because the token is a float spelling.
    let fit = r.batch.column_by_name("Goodness of Fit").unwrap();
    assert_eq!((fit.data_type(), fit.null_count()), (&DataType::Float64, 4));
    assert_eq!(meta(&r, "Area/(RSF*T*MFP)", META_ORIGINAL_LABEL), Some("Area/(RSF*T*MFP)"));
    assert_eq!(meta(&r, "%At Conc", META_UCUM), None);

    let p = &r.report.parameters;
    assert_eq!(p["delimiter"], json!("\t"));
    assert_eq!((p["header_line"].clone(), p["first_data_line"].clone()), (json!(3), json!(4)));
    assert_eq!(p["rows"], json!(4));
    assert_eq!(p["table_end_line"], json!(8));
    assert!(p["trailing_content_lines"].as_u64().unwrap() > 20);
    assert!(r.report.text.contains(r"C:\Users\pielsticker\Lukas\FAIRMat"), "{}", r.report.text);
    assert!(r.report.warnings.iter().any(|w| w.contains("only the first table")));
    assert_eq!(r.report.reader, "csv");
}

#[test]
fn specs_prodigy_first_block() {
    let r = read_path(&instrument("xps-specs-MgFe2O4_small.xy"), 500).unwrap();
    assert_eq!(names(&r), ["energy", "counts/s"]);
    assert_eq!(r.batch.num_rows(), 1351);
    assert_eq!(r.batches, 3);
    let energy = i64s(&r, "energy");
    let counts = f64s(&r, "counts/s");
    assert_eq!((energy[0], counts[0]), (Some(1350), Some(15598.679)));
    assert_eq!((energy[1350], counts[1350]), (Some(0), Some(181.52882)));
    assert_eq!(meta(&r, "energy", META_ORIGINAL_LABEL), Some("energy"));

    let m = &r.report.metadata;
    assert_eq!(m["Region"], json!("Survey"));
    assert_eq!(m["Excitation Energy"], json!("1486.61"));
    assert_eq!(m["Created by"], json!("SpecsLab Prodigy, Version 4.100.1-r111001"));
    assert_eq!(m["Acquisition Date"], json!("08/24/23 14:19:47 UTC"));
    assert_eq!(m["Cycle"], json!("0"));
    assert_eq!(m["Cycle_2"], json!("0, Curve: 0, Scan: 0"));
    assert_eq!(m["ColumnLabels"], json!("energy counts/s"));
    assert!(!m.contains_key("Fe2p"), "second block must not be read");

    let p = &r.report.parameters;
    assert_eq!(p["delimiter"], json!("whitespace"));
    assert_eq!(p["column_labels"], json!("comment"));
    assert_eq!(p["header_line"], json!(null));
    assert_eq!(p["first_data_line"], json!(47));
    assert_eq!(p["table_end_line"], json!(1398));
    assert!(p["trailing_content_lines"].as_u64().unwrap() > 50);
    assert!(r.report.text.contains("XY-Serializer Export Settings:"));
    // Progress ends at the file size.
    let size = std::fs::metadata(instrument("xps-specs-MgFe2O4_small.xy")).unwrap().len();
    assert_eq!(r.progress.last(), Some(&size));
}
