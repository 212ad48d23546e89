//! CIF reading: the shared COD files and the mixed line-ending file, uncertainties, naming, and
//! broken input.

use std::path::PathBuf;

use arrow::array::{Array, Float64Array, Int64Array, StringArray};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use serde_json::{Value, json};

use super::*;
use crate::reader::{META_ORIGINAL_LABEL, META_UCUM};
use crate::testing::CollectSink;

fn cif_file(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/cif").join(name);
    assert!(path.exists(), "{} is missing: ../shared/testdata must sit beside the repository", path.display());
    path
}

fn read_path(path: &Path, batch_rows: usize) -> Result<(CollectSink, ReadReport), ReadError> {
    let mut sink = CollectSink::default();
    let report = read_cif(path, &mut sink, &mut |_| {}, batch_rows)?;
    assert_eq!(sink.finished, sink.tables.len());
    Ok((sink, report))
}

fn read_text(text: &[u8]) -> Result<(CollectSink, ReadReport), ReadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.cif");
    std::fs::write(&path, text).unwrap();
    read_path(&path, emit::BATCH_ROWS)
}

fn strs(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let a = b.column_by_name(name).expect(name).as_any().downcast_ref::<StringArray>().expect(name);
    a.iter().map(|v| v.map(str::to_string)).collect()
}

fn f64s(b: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    let a = b.column_by_name(name).expect(name).as_any().downcast_ref::<Float64Array>().expect(name);
    a.iter().collect()
}

fn i64s(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    let a = b.column_by_name(name).expect(name).as_any().downcast_ref::<Int64Array>().expect(name);
    a.iter().collect()
}

fn field_meta(b: &RecordBatch, column: &str, key: &str) -> Option<String> {
    b.schema().field_with_name(column).unwrap().metadata().get(key).cloned()
}

fn items<'a>(report: &'a ReadReport, block: &str) -> &'a Value {
    &report.metadata["blocks"][block]["items"]
}

fn cell(report: &ReadReport, block: &str) -> Vec<Value> {
    let i = items(report, block);
    ["a", "b", "c"]
        .iter()
        .map(|x| i[format!("_cell_length_{x}")].clone())
        .chain(["alpha", "beta", "gamma"].iter().map(|x| i[format!("_cell_angle_{x}")].clone()))
        .collect()
}

#[test]
fn cod_1011031_carborundum() {
    let (sink, report) = read_path(&cif_file("cod-1011031.cif"), 7).unwrap();
    assert_eq!(sink.names(), ["publ_author", "symmetry_equiv_pos", "atom_site", "atom_type"]);
    assert_eq!(cell(&report, "1011031"), [json!(4.358), json!(4.358), json!(4.358), json!(90), json!(90), json!(90)]);
    let i = items(&report, "1011031");
    assert_eq!(i["_symmetry_space_group_name_H-M"], json!("F -4 3 m"));
    assert_eq!(i["_chemical_formula_sum"], json!("Si C"));
    assert_eq!(i["_journal_year"], json!(1918));
    assert_eq!(i["_journal_paper_doi"], json!("10.1021/ja02245a001"));
    assert_eq!(i["_publ_section_title"], json!("\nThe Atomic Structure of Carborundum Determined by X-Rays"));
    let units = &report.metadata["blocks"]["1011031"]["units"];
    assert_eq!(units["_cell_length_a"]["ucum"], json!("Ao"));
    assert_eq!(units["_cell_angle_beta"]["ucum"], json!("deg"));
    assert!(report.text.contains("The Atomic Structure of Carborundum"));
    assert_eq!(
        report.metadata["blocks"]["1011031"]["tables"],
        json!(["publ_author", "symmetry_equiv_pos", "atom_site", "atom_type"])
    );

    let authors = sink.table("publ_author");
    assert_eq!(strs(&authors, "name"), [Some("Burdick, C L".into()), Some("Owen, E A".into())]);
    let sym = sink.table("symmetry_equiv_pos");
    assert_eq!(sym.num_rows(), 96);
    assert_eq!(strs(&sym, "as_xyz")[95], Some("1/2-z,1/2-y,x".into()));
    assert_eq!(sink.tables[1].1.len(), 14, "96 rows in batches of 7");

    let atoms = sink.table("atom_site");
    assert_eq!(atoms.num_rows(), 2);
    assert_eq!(strs(&atoms, "label"), [Some("Si1".into()), Some("C1".into())]);
    assert_eq!(strs(&atoms, "type_symbol")[0], Some("Si4+".into()));
    assert_eq!(i64s(&atoms, "symmetry_multiplicity"), [Some(4), Some(4)]);
    assert_eq!(f64s(&atoms, "fract_x"), [Some(0.0), Some(0.25)]);
    assert_eq!(f64s(&atoms, "occupancy"), [Some(1.0), Some(1.0)]);
    assert_eq!(field_meta(&atoms, "fract_x", META_ORIGINAL_LABEL).as_deref(), Some("_atom_site_fract_x"));
    assert_eq!(field_meta(&atoms, "fract_x", META_UCUM), None);
    assert_eq!(f64s(&sink.table("atom_type"), "oxidation_number"), [Some(4.0), Some(-4.0)]);
    assert_eq!(report.reader, "cif");
    assert_eq!(report.parameters["blocks"], json!(1));
}

#[test]
fn cod_2013551_uncertainties_become_su_columns() {
    let (sink, report) = read_path(&cif_file("cod-2013551.cif"), emit::BATCH_ROWS).unwrap();
    assert_eq!(
        sink.names(),
        [
            "publ_author",
            "symmetry_equiv_pos",
            "atom_site",
            "atom_site_aniso",
            "atom_type",
            "geom_angle",
            "geom_bond",
            "cod_related_entry"
        ]
    );
    let block = &report.metadata["blocks"]["2013551"];
    assert_eq!(
        cell(&report, "2013551"),
        [json!(4.1537), json!(4.1537), json!(6.862), json!(90.0), json!(90.0), json!(120.0)]
    );
    assert_eq!(block["su"]["_cell_length_a"], json!(0.0007));
    assert_eq!(block["su"]["_cell_length_c"], json!(0.002));
    assert_eq!(block["items"]["_cell_measurement_temperature"], json!(150));
    assert_eq!(block["units"]["_cell_measurement_temperature"]["ucum"], json!("K"));
    assert_eq!(block["items"]["_symmetry_space_group_name_Hall"], json!("-P 3 2\""));
    assert_eq!(block["items"]["_journal_page_first"], json!("i136"));

    let atoms = sink.table("atom_site");
    assert_eq!(strs(&atoms, "label"), [Some("Mg".into()), Some("I".into())]);
    assert_eq!(f64s(&atoms, "fract_z"), [Some(1.0), Some(0.75763)]);
    assert_eq!(f64s(&atoms, "fract_z_su"), [None, Some(0.00006)]);
    assert_eq!(f64s(&atoms, "U_iso_or_equiv"), [Some(0.0142), Some(0.0120)]);
    assert_eq!(f64s(&atoms, "U_iso_or_equiv_su"), [Some(0.0009), Some(0.0003)]);
    assert_eq!(field_meta(&atoms, "U_iso_or_equiv", META_UCUM).as_deref(), Some("Ao2"));
    assert_eq!(strs(&atoms, "disorder_assembly"), [None, None]);
    assert_eq!(atoms.schema().field_with_name("disorder_assembly").unwrap().data_type(), &DataType::Utf8);
    let aniso = sink.table("atom_site_aniso");
    assert_eq!(f64s(&aniso, "U_12"), [Some(0.0045), Some(0.00525)]);
    assert_eq!(f64s(&aniso, "U_12_su"), [Some(0.0006), Some(0.00018)]);
    let angle = sink.table("geom_angle");
    assert_eq!(f64s(&angle, "geom_angle"), [Some(90.739)]);
    assert_eq!(field_meta(&angle, "geom_angle", META_UCUM).as_deref(), Some("deg"));
    assert_eq!(strs(&angle, "site_symmetry_1"), [Some("1_655".into())]);
    assert_eq!(f64s(&sink.table("geom_bond"), "distance"), [Some(2.9183)]);
    assert!(report.text.contains("Magnesium diiodide"));
}

#[test]
fn cod_4003024_larger_structure() {
    let (sink, report) = read_path(&cif_file("cod-4003024.cif"), 10).unwrap();
    assert_eq!(
        sink.names(),
        ["publ_author", "space_group_symop", "atom_site", "atom_site_aniso", "atom_type", "geom_angle", "geom_bond"]
    );
    let n = json!(5.5592);
    assert_eq!(cell(&report, "4003024"), [n.clone(), n.clone(), n, json!(90), json!(90), json!(90)]);
    let block = &report.metadata["blocks"]["4003024"];
    assert_eq!(block["su"]["_cell_length_b"], json!(0.0009));
    assert_eq!(block["items"]["_symmetry_space_group_name_H-M"], json!("P m -3 m"));
    assert_eq!(block["items"]["_cell_volume"], json!(171.81));
    assert_eq!(block["units"]["_cell_volume"]["ucum"], json!("Ao3"));
    // The reflection list is a text field: it stays one metadata value.
    assert!(block["items"]["_shelx_hkl_file"].as_str().unwrap().contains("-7   0  -1   17.94    2.46"));
    assert_eq!(sink.table("space_group_symop").num_rows(), 48);
    let atoms = sink.table("atom_site");
    assert_eq!(atoms.num_rows(), 4);
    assert_eq!(strs(&atoms, "label"), [Some("Cs1".into()), Some("Sn2".into()), Some("Cl1".into()), Some("In".into())]);
    assert_eq!(f64s(&atoms, "fract_x")[0], Some(0.0));
    assert_eq!(f64s(&atoms, "U_iso_or_equiv")[0], Some(0.086));
    assert_eq!(f64s(&atoms, "U_iso_or_equiv_su")[0], Some(0.0006));
    assert_eq!(strs(&atoms, "adp_type")[0], Some("Uani".into()));
    assert_eq!(f64s(&atoms, "occupancy"), [Some(1.0), Some(0.9), Some(1.0), Some(0.0672)]);
    assert_eq!(i64s(&atoms, "site_symmetry_order")[0], Some(48));
    assert_eq!(i64s(&atoms, "disorder_group"), [None, Some(1), None, Some(2)]);
    assert_eq!(strs(&atoms, "disorder_assembly"), [Some("A".into()), Some("A".into()), None, Some("A".into())]);
    assert_eq!(atoms.schema().field_with_name("U_iso_or_equiv_su").unwrap().data_type(), &DataType::Float64);
    assert_eq!(f64s(&sink.table("atom_site_aniso"), "U_11_su"), [Some(0.0006), Some(0.003)]);
}

#[test]
fn eol_test_mmcif_loop_with_text_fields() {
    let (sink, report) = read_path(&cif_file("eol-test.cif"), emit::BATCH_ROWS).unwrap();
    assert_eq!(sink.names(), ["entity_poly"]);
    let t = sink.table("entity_poly");
    assert_eq!(t.num_rows(), 2);
    assert_eq!(i64s(&t, "entity_id"), [Some(1), Some(2)]);
    assert_eq!(strs(&t, "type"), vec![Some("polypeptide(L)".to_string()); 2]);
    assert_eq!(strs(&t, "pdbx_strand_id"), [Some("A".into()), Some("B".into())]);
    assert_eq!(strs(&t, "pdbx_target_identifier"), [None, None]);
    let seq = strs(&t, "pdbx_seq_one_letter_code")[0].clone().unwrap();
    assert!(seq.starts_with("MSSQEYTTFIDIPVTRAQ") && seq.ends_with("SDSESET"), "{seq}");
    assert_eq!(field_meta(&t, "type", META_ORIGINAL_LABEL).as_deref(), Some("_entity_poly.type"));
    assert_eq!(report.metadata["blocks"]["test"]["tables"], json!(["entity_poly"]));
}

#[test]
fn mixed_line_endings_read_the_same() {
    let unix = std::fs::read(cif_file("eol-test.cif")).unwrap();
    let text = String::from_utf8(unix).unwrap();
    let mut mixed = String::new();
    for (i, line) in text.split_terminator('\n').enumerate() {
        mixed.push_str(line);
        mixed.push_str(["\r\n", "\r", "\n"][i % 3]);
    }
    let (a, _) = read_path(&cif_file("eol-test.cif"), emit::BATCH_ROWS).unwrap();
    let (b, _) = read_text(mixed.as_bytes()).unwrap();
    assert_eq!(a.table("entity_poly"), b.table("entity_poly"));
}

#[test]
fn several_blocks_save_frames_and_global() {
    let text =
        b"global_\n_g 1\ndata_one\n_cell_length_a 5.4309(2)\nloop_\n_atom_site_label\n_atom_site_fract_x\nA 0.1 B .\n\
                 data_two\nsave_frame\n_x 'a b'\nloop_ _k_v 1 2\nsave_\nloop_\n_atom_site_label\nC\n";
    let (sink, report) = read_text(text).unwrap();
    assert_eq!(sink.names(), ["one_atom_site", "two_frame_k", "two_atom_site"]);
    let blocks = &report.metadata["blocks"];
    assert_eq!(blocks["global_"]["items"]["_g"], json!(1));
    assert_eq!(blocks["one"]["items"]["_cell_length_a"], json!(5.4309));
    assert_eq!(blocks["one"]["su"]["_cell_length_a"], json!(0.0002));
    assert_eq!(blocks["two"]["save_frames"]["frame"]["items"]["_x"], json!("a b"));
    assert_eq!(f64s(&sink.table("one_atom_site"), "fract_x"), [Some(0.1), None]);
    assert_eq!(i64s(&sink.table("two_frame_k"), "v"), [Some(1), Some(2)]);
    assert_eq!(report.parameters["blocks"], json!(3));
}

#[test]
fn quoted_numbers_and_mixed_columns_stay_text() {
    let (sink, _) = read_text(b"data_x\nloop_\n_a_b\n_a_c\n'1' 2\n3 x\n").unwrap();
    let t = sink.table("a");
    assert_eq!(strs(&t, "b"), [Some("1".into()), Some("3".into())]);
    assert_eq!(strs(&t, "c"), [Some("2".into()), Some("x".into())]);
}

#[test]
fn bad_input_fails_precisely() {
    let err = |t: &[u8]| read_text(t).err().map(|e| e.to_string()).unwrap_or_else(|| "no error".into());
    assert!(matches!(read_text(b""), Err(ReadError::Empty)));
    let e = err(b"data_x\n_a 'never closed\n");
    assert_eq!(e, "malformed cif: unterminated quoted string at line 2");
    let e = err(b"data_x\n_a\n;\nnever closed\n");
    assert_eq!(e, "malformed cif: unterminated text field starting at line 3");
    let e = err(b"data_x\nloop_\n_atom_site_label\n_atom_site_fract_x\nA 0.1\nB\n_next 1\n");
    assert_eq!(
        e,
        "malformed cif: loop of _atom_site_label at line 2 has 3 values, not a multiple of its 2 tags (last value at line 6)"
    );
    assert_eq!(err(b"\x00\x01garbage\xff"), "malformed cif: value \"\\0\\u{1}garbageÿ\" at line 1 belongs to no tag");
    assert_eq!(err(b"_a 1\n"), "malformed cif: tag _a at line 1 comes before any data_ block");
    assert_eq!(err(b"data_x\n_a\n"), "malformed cif: tag _a at line 2 has no value");
    assert_eq!(err(b"data_x\nloop_\n1 2\n"), "malformed cif: loop_ at line 2 declares no tags");
    assert_eq!(err(b"# only a comment\n"), "malformed cif: no data_ block found");
    assert_eq!(err(b"data_\n"), "malformed cif: data block without a name at line 1");
}

#[test]
fn sniffs_cif_heads() {
    assert!(sniff(b"#\\#CIF_1.1\n# comment\ndata_x\n_cell_length_a 1\n"));
    assert!(sniff(b"data_test\r\nloop_\r\n_a.b\r\n"));
    assert!(!sniff(b"a,b\n1,2\n"));
    assert!(!sniff(b"data_x\nno tags here\n"));
    assert!(!sniff(b""));
}
