//! mzML reading: the pyteomics test file against its reference arrays, and broken or hostile
//! input (truncation, bad base64, wrong lengths, unsupported compression, entity bombs, zlib
//! bombs).

use std::path::PathBuf;

use arrow::array::{Array, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;

use super::*;
use crate::testing::CollectSink;

/// Every table a reader writes, with its batches.
pub(crate) fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
    batch.column(batch.schema().index_of(name).unwrap()).as_any().downcast_ref::<T>().unwrap()
}

fn testdata(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/mzml").join(name);
    assert!(
        path.exists(),
        "test data {} is missing: ../shared/testdata must sit beside the repository",
        path.display()
    );
    path
}

fn read_path(path: &std::path::Path, reader: MzmlReader) -> Result<(CollectSink, ReadReport), ReadError> {
    let mut sink = CollectSink::default();
    let report = reader.read(path, &mut sink, &mut |_| {})?;
    Ok((sink, report))
}

fn read_bytes(bytes: &[u8]) -> Result<(CollectSink, ReadReport), ReadError> {
    read_bytes_with(bytes, MzmlReader::default())
}

fn read_bytes_with(bytes: &[u8], reader: MzmlReader) -> Result<(CollectSink, ReadReport), ReadError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.mzML");
    std::fs::write(&path, bytes).unwrap();
    read_path(&path, reader)
}

/// A NumPy `.npy` file's little-endian float data, after checking its header names `descr`
/// and a one-dimensional shape.
fn npy(path: &std::path::Path, descr: &str) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY", "not an .npy file");
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).unwrap();
    assert!(header.contains(&format!("'descr': '{descr}'")), "{header}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    let shape = header.split("'shape': (").nth(1).unwrap().split(')').next().unwrap();
    let n: usize = shape.trim_end_matches(',').trim().parse().expect("one-dimensional shape");
    let data = &bytes[start + header_len..];
    let values: Vec<f64> = match descr {
        "<f8" => data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect(),
        "<f4" => data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64).collect(),
        other => panic!("unexpected dtype {other}"),
    };
    assert_eq!(values.len(), n);
    values
}

fn test_file() -> Vec<u8> {
    std::fs::read(testdata("pyteomics-test.mzML")).unwrap()
}

fn message(result: Result<(CollectSink, ReadReport), ReadError>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(ReadError::Malformed { format, message }) => {
            assert_eq!(format, "mzml");
            message
        }
        Err(e) => panic!("expected a malformed-mzml error, got {e}"),
    }
}

#[test]
fn the_pyteomics_file_gives_spectra_and_peaks_equal_to_the_reference_arrays() {
    let (sink, report) = read_path(&testdata("pyteomics-test.mzML"), MzmlReader::default()).unwrap();
    assert_eq!(sink.finished, 3);
    assert_eq!(report.reader, "mzml");
    assert_eq!(report.parameters["root"], "indexedmzML");
    assert_eq!(report.parameters["spectra"], 2);
    assert_eq!(report.parameters["peaks"], 2 * 19914);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    let (start, spectra) = (&sink.get("spectra").0, sink.table("spectra"));
    assert_eq!(spectra.num_rows(), 2);
    assert_eq!(column::<Int64Array>(&spectra, "index").values(), &[0, 1]);
    assert_eq!(column::<StringArray>(&spectra, "id").value(1), "controllerType=0 controllerNumber=1 scan=2");
    assert_eq!(column::<Int64Array>(&spectra, "ms_level").values(), &[1, 1]);
    assert_eq!(column::<Float64Array>(&spectra, "scan_start_time").values(), &[0.004935, 0.005935]);
    assert_eq!(column::<StringArray>(&spectra, "polarity").value(0), "positive");
    assert_eq!(column::<StringArray>(&spectra, "spectrum_representation").value(0), "profile");
    assert_eq!(column::<Float64Array>(&spectra, "base_peak_mz").value(0), 810.415283203125);
    assert_eq!(column::<Float64Array>(&spectra, "base_peak_intensity").value(0), 1471973.875);
    assert_eq!(column::<Float64Array>(&spectra, "total_ion_current").value(1), 15245068.0);
    assert_eq!(column::<Float64Array>(&spectra, "lowest_observed_mz").value(0), 200.00018816645022);
    assert_eq!(column::<Float64Array>(&spectra, "highest_observed_mz").value(0), 2000.0099466203771);
    assert!(column::<Float64Array>(&spectra, "precursor_mz").is_null(0));
    assert_eq!(column::<StringArray>(&spectra, "filter_string").value(0), "FTMS + p ESI Full ms [200.00-2000.00]");
    assert_eq!(column::<Int64Array>(&spectra, "peaks").values(), &[19914, 19914]);
    let params = column::<StringArray>(&spectra, "params").value(0);
    assert!(params.contains("[Thermo Trailer Extra]Monoisotopic M/Z:"), "{params}");
    assert!(params.contains("scan window lower limit"), "{params}");
    let unit = |name: &str| start.columns.iter().find(|c| c.name == name).unwrap().clone();
    assert_eq!(unit("scan_start_time").unit.as_deref(), Some("minute"));
    assert_eq!(unit("scan_start_time").ucum.as_deref(), Some("min"));
    assert_eq!(unit("base_peak_mz").ucum.as_deref(), Some("{m/z}"));
    assert_eq!(unit("base_peak_intensity").unit.as_deref(), Some("number of counts"));
    assert_eq!(unit("base_peak_intensity").ucum.as_deref(), Some("{counts}"));

    let (start, peaks) = (&sink.get("peaks").0, sink.table("peaks"));
    let names: Vec<_> = start.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["spectrum_index", "mz", "intensity"]);
    assert_eq!(start.columns[1].ucum.as_deref(), Some("{m/z}"));
    assert_eq!(start.columns[1].original_label, "m/z array");
    assert_eq!(start.columns[2].ucum.as_deref(), Some("{counts}"));
    assert_eq!(peaks.num_rows(), 2 * 19914);
    let mz_ref = npy(&testdata("pyteomics-test-mz.npy"), "<f8");
    let intensity_ref = npy(&testdata("pyteomics-test-intensity.npy"), "<f4");
    let mz = column::<Float64Array>(&peaks, "mz").values();
    let intensity = column::<Float64Array>(&peaks, "intensity").values();
    let index = column::<Int64Array>(&peaks, "spectrum_index").values();
    assert!(index[..19914].iter().all(|i| *i == 0) && index[19914..].iter().all(|i| *i == 1));
    // Spectrum 0 stores 64-bit m/z uncompressed: exactly the reference.
    assert_eq!(&mz[..19914], &mz_ref[..]);
    assert_eq!(&intensity[..19914], &intensity_ref[..]);
    // Spectrum 1 stores the same spectrum as zlib-compressed 32-bit floats.
    for (got, want) in mz[19914..].iter().zip(&mz_ref) {
        assert_eq!(*got, *want as f32 as f64);
    }
    assert_eq!(&intensity[19914..], &intensity_ref[..]);

    let (start, chromatograms) = (&sink.get("chromatograms").0, sink.table("chromatograms"));
    assert_eq!(chromatograms.num_rows(), 48);
    assert_eq!(start.columns[1].name, "time");
    assert_eq!(start.columns[1].ucum.as_deref(), Some("min"));
    assert_eq!(report.metadata["chromatograms"][0]["id"], "TIC");

    let m = &report.metadata;
    assert_eq!(m["mzML"]["id"], "small_RAW");
    assert_eq!(m["run"]["id"], "small_raw");
    assert_eq!(m["run"]["startTimeStamp"], "2005-07-20T14:44:22");
    assert_eq!(m["run"]["defaultInstrumentConfigurationRef"], "IC1");
    assert_eq!(m["fileDescription"]["fileContent"]["cvParams"][0]["accession"], "MS:1000580");
    assert_eq!(m["fileDescription"]["sourceFileList"][0]["name"], "small.RAW");
    assert_eq!(
        m["fileDescription"]["sourceFileList"][0]["cvParams"][2]["value"],
        "b43e9286b40e8b5dbc0dfa2e428495769ca96a96"
    );
    assert_eq!(m["softwareList"][1]["id"], "pwiz");
    assert_eq!(m["softwareList"][1]["version"], "1.4.0");
    let ic = &m["instrumentConfigurationList"][1];
    assert_eq!(ic["id"], "IC2");
    // The referenced parameter group is resolved: the instrument model and serial number.
    assert_eq!(ic["cvParams"][0]["name"], "LTQ FT");
    assert_eq!(ic["componentList"][1]["element"], "analyzer");
    assert_eq!(ic["componentList"][1]["cvParams"][0]["name"], "radial ejection linear ion trap");
    assert_eq!(m["fileChecksum"]["text"], "f95166c3d093f46cf87cc14f3925304bc8b813c3");
    assert!(report.text.contains("LTQ FT"));
}

#[test]
fn sniffing_finds_mzml_roots_only() {
    assert!(sniff(b"<?xml version=\"1.0\"?>\n<indexedmzML xmlns=\"x\">"));
    assert!(sniff(b"<?xml version=\"1.0\"?><!-- c --><mzML>"));
    assert!(sniff(b"\xEF\xBB\xBF<mzML version=\"1.1\">"));
    assert!(sniff(b"<?xml version=\"1.0\"?><!DOCTYPE mzML [<!ENTITY a \"b\">]><mzML>"));
    assert!(!sniff(b"<?xml version=\"1.0\"?><mzIdentML>"));
    assert!(!sniff(b"{\"mzML\": 1}"));
    assert!(!sniff(b""));
    assert!(sniff(&test_file()[..65536]));
}

#[test]
fn a_truncated_file_is_an_error_naming_where_it_ends() {
    let file = test_file();
    for cut in [100, 5000, 300_000, 446_000.min(file.len() - 20)] {
        let m = message(read_bytes(&file[..cut]));
        assert!(m.contains("truncated") || m.contains("not well-formed"), "cut {cut}: {m}");
    }
    let m = message(read_bytes(&file[..300_000]));
    assert!(m.starts_with("spectrum 0 (id \"controllerType=0 controllerNumber=1 scan=1\")"), "{m}");
    assert!(m.contains("file ends inside <binary> (truncated)"), "{m}");
}

#[test]
fn bad_base64_wrong_lengths_and_unsupported_compression_are_precise_errors() {
    let file = String::from_utf8(test_file()).unwrap();
    let first_binary = file.find("<binary>").unwrap() + "<binary>".len();
    let mut bad = file.clone();
    bad.replace_range(first_binary + 8..first_binary + 9, "!");
    let m = message(read_bytes(bad.as_bytes()));
    assert!(m.contains("m/z array: invalid base64 character '!' at offset 8"), "{m}");

    let wrong = file.replacen("defaultArrayLength=\"19914\"", "defaultArrayLength=\"19915\"", 1);
    let m = message(read_bytes(wrong.as_bytes()));
    assert!(m.contains("m/z array holds 19914 values, defaultArrayLength says 19915"), "{m}");

    let numpress = file.replacen(
        "accession=\"MS:1000574\" name=\"zlib compression\"",
        "accession=\"MS:1002312\" name=\"MS-Numpress linear prediction compression\"",
        1,
    );
    let m = message(read_bytes(numpress.as_bytes()));
    assert!(
        m.contains("compression MS:1002312 (MS-Numpress linear prediction compression), which is not supported"),
        "{m}"
    );
    assert!(m.starts_with("spectrum 1 "), "{m}");

    let untyped =
        file.replacen("<cvParam cvRef=\"MS\" accession=\"MS:1000523\" name=\"64-bit float\" value=\"\"/>", "", 1);
    let m = message(read_bytes(untyped.as_bytes()));
    assert!(m.contains("binaryDataArray 0 declares no numeric binary data type"), "{m}");
}

#[test]
fn a_billion_laughs_document_is_refused_before_any_expansion() {
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE mzML [\n <!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 { "lol".to_string() } else { format!("lol{}", i - 1) };
        doc.push_str(&format!(" <!ENTITY lol{i} \"{}\">\n", format!("&{prev};").repeat(10)));
    }
    doc.push_str("]>\n<mzML><run id=\"&lol9;\">&lol9;</run></mzML>\n");
    let m = message(read_bytes(doc.as_bytes()));
    assert!(m.contains("declares entities; entity expansion is refused"), "{m}");
    // Without a DOCTYPE, an undeclared entity is an error too, not an expansion.
    let m = message(read_bytes(b"<mzML><run id=\"x\">&lol9;</run></mzML>"));
    assert!(m.contains("undefined entity &lol9;"), "{m}");
    let m = message(read_bytes(b"<mzML><run id=\"&lol9;\"/></mzML>"));
    assert!(m.contains("attribute id"), "{m}");
}

/// A minimal mzML with one spectrum whose arrays are given as (type accession, compression
/// accession, array accession and name, base64).
fn one_spectrum(length: usize, arrays: &[(&str, &str, &str, &str, String)]) -> String {
    let mut doc = format!(
        "<?xml version=\"1.0\"?>\n<mzML xmlns=\"http://psi.hupo.org/ms/mzml\" version=\"1.1.0\">\n<run id=\"r\">\n\
         <spectrumList count=\"1\">\n<spectrum index=\"0\" id=\"s0\" defaultArrayLength=\"{length}\">\n\
         <cvParam cvRef=\"MS\" accession=\"MS:1000511\" name=\"ms level\" value=\"2\"/>\n\
         <precursorList count=\"1\"><precursor><selectedIonList count=\"1\"><selectedIon>\
         <cvParam cvRef=\"MS\" accession=\"MS:1000744\" name=\"selected ion m/z\" value=\"445.34\" unitAccession=\"MS:1000040\" unitName=\"m/z\"/>\
         <cvParam cvRef=\"MS\" accession=\"MS:1000041\" name=\"charge state\" value=\"2\"/>\
         </selectedIon></selectedIonList></precursor></precursorList>\n\
         <binaryDataArrayList count=\"{}\">\n",
        arrays.len()
    );
    for (number, compression, accession, name, text) in arrays {
        doc.push_str(&format!(
            "<binaryDataArray encodedLength=\"{}\">\n<cvParam cvRef=\"MS\" accession=\"{number}\" name=\"t\"/>\n\
             <cvParam cvRef=\"MS\" accession=\"{compression}\" name=\"c\"/>\n\
             <cvParam cvRef=\"MS\" accession=\"{accession}\" name=\"{name}\"/>\n<binary>{text}</binary>\n</binaryDataArray>\n",
            text.len()
        ));
    }
    doc.push_str("</binaryDataArrayList>\n</spectrum>\n</spectrumList>\n</run>\n</mzML>\n");
    doc
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn a_zlib_bomb_is_refused_with_the_limit_named() {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![0u8; 8 << 20]).unwrap();
    let bomb = b64(&z.finish().unwrap());
    let doc = one_spectrum(1 << 20, &[("MS:1000523", "MS:1000574", "MS:1000514", "m/z array", bomb)]);
    let m = message(read_bytes_with(doc.as_bytes(), MzmlReader { max_array_bytes: 1 << 20 }));
    assert!(m.contains("m/z array: zlib data inflates beyond 1 MiB"), "{m}");
}

#[test]
fn integer_arrays_extra_arrays_precursors_and_derived_values() {
    let mz: Vec<u8> = [100.5f64, 200.25, 300.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let intensity: Vec<u8> = [10i32, 30, 20].iter().flat_map(|v| v.to_le_bytes()).collect();
    let charge: Vec<u8> = [1i64, 2, 3].iter().flat_map(|v| v.to_le_bytes()).collect();
    let doc = one_spectrum(
        3,
        &[
            ("MS:1000523", "MS:1000576", "MS:1000514", "m/z array", b64(&mz)),
            ("MS:1000519", "MS:1000576", "MS:1000515", "intensity array", b64(&intensity)),
            ("MS:1000522", "MS:1000576", "MS:1000516", "charge array", b64(&charge)),
        ],
    );
    let (sink, report) = read_bytes(doc.as_bytes()).unwrap();
    let (start, peaks) = (&sink.get("peaks").0, sink.table("peaks"));
    let names: Vec<_> = start.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["spectrum_index", "mz", "intensity", "charge"]);
    // An intensity array without a unit is in arbitrary units.
    assert_eq!(start.columns[2].ucum.as_deref(), Some("[arb'U]"));
    assert_eq!(column::<Float64Array>(&peaks, "intensity").values(), &[10.0, 30.0, 20.0]);
    assert_eq!(column::<Float64Array>(&peaks, "charge").values(), &[1.0, 2.0, 3.0]);
    let spectra = sink.table("spectra");
    assert_eq!(column::<Float64Array>(&spectra, "precursor_mz").value(0), 445.34);
    assert_eq!(column::<Int64Array>(&spectra, "precursor_charge").value(0), 2);
    assert_eq!(column::<Int64Array>(&spectra, "ms_level").value(0), 2);
    assert_eq!(column::<Float64Array>(&spectra, "base_peak_mz").value(0), 200.25);
    assert_eq!(column::<Float64Array>(&spectra, "total_ion_current").value(0), 60.0);
    assert_eq!(column::<Float64Array>(&spectra, "highest_observed_mz").value(0), 300.0);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(sink.tables.iter().all(|(t, _)| t.name != "chromatograms"));
}

#[test]
fn empty_garbage_and_foreign_xml_are_errors() {
    assert!(matches!(read_bytes(b""), Err(ReadError::Empty)));
    let m = message(read_bytes(b"\x00\x01garbage<<<>>>"));
    assert!(!m.is_empty());
    let m = message(read_bytes(b"<?xml version=\"1.0\"?><mzIdentML/>"));
    assert!(m.contains("the root element is <mzIdentML>"), "{m}");
    let m = message(read_bytes(b"<mzML><run></mzML>"));
    assert!(m.contains("not well-formed") || m.contains("closes"), "{m}");
    let m = message(read_bytes(b"<mzML><run><spectrumList><spectrum index=\"x\"/></spectrumList></run></mzML>"));
    assert!(m.contains("spectrum index \"x\" is not an integer"), "{m}");
    // A huge declared length allocates nothing: the count check fails on what is there.
    let doc = one_spectrum(usize::MAX, &[("MS:1000523", "MS:1000576", "MS:1000514", "m/z array", b64(&[0u8; 8]))]);
    let m = message(read_bytes(doc.as_bytes()));
    assert!(m.contains(&format!("m/z array holds 1 values, defaultArrayLength says {}", usize::MAX)), "{m}");
}

#[test]
fn many_spectra_stream_in_bounded_batches() {
    let mz: Vec<u8> = (0..10).flat_map(|i| (100.0 + i as f64).to_le_bytes()).collect();
    let intensity: Vec<u8> = (0..10).flat_map(|i| (i as f32).to_le_bytes()).collect();
    let (mz, intensity) = (b64(&mz), b64(&intensity));
    let mut doc = String::from("<mzML><run id=\"r\"><spectrumList count=\"10000\">\n");
    for i in 0..10_000 {
        doc.push_str(&format!(
            "<spectrum index=\"{i}\" id=\"s{i}\" defaultArrayLength=\"10\"><binaryDataArrayList count=\"2\">\
             <binaryDataArray><cvParam accession=\"MS:1000523\" name=\"64-bit float\"/>\
             <cvParam accession=\"MS:1000514\" name=\"m/z array\" unitAccession=\"MS:1000040\" unitName=\"m/z\"/>\
             <binary>{mz}</binary></binaryDataArray>\
             <binaryDataArray><cvParam accession=\"MS:1000521\" name=\"32-bit float\"/>\
             <cvParam accession=\"MS:1000515\" name=\"intensity array\"/><binary>{intensity}</binary></binaryDataArray>\
             </binaryDataArrayList></spectrum>\n"
        ));
    }
    doc.push_str("</spectrumList></run></mzML>\n");
    let (sink, report) = read_bytes(doc.as_bytes()).unwrap();
    assert_eq!(report.parameters["peaks"], 100_000);
    let batches = |name: &str| {
        sink.tables.iter().find(|(t, _)| t.name == name).unwrap().1.iter().map(|b| b.num_rows()).collect::<Vec<_>>()
    };
    assert_eq!(batches("spectra"), [8192, 1808]);
    assert_eq!(batches("peaks"), [65_536, 34_464]);
    let (_, peaks) = (&sink.get("peaks").0, sink.table("peaks"));
    assert_eq!(column::<Int64Array>(&peaks, "spectrum_index").value(99_999), 9999);
    assert_eq!(column::<Float64Array>(&peaks, "mz").value(99_999), 109.0);
    assert_eq!(column::<Float64Array>(&peaks, "intensity").value(99_999), 9.0);
}

#[test]
fn an_endless_text_node_is_refused_before_it_is_buffered_whole() {
    let mut doc =
        String::from("<mzML><run id=\"r\"><spectrumList><spectrum index=\"0\" id=\"s\"><binaryDataArrayList>");
    doc.push_str("<binaryDataArray><cvParam accession=\"MS:1000523\" name=\"64-bit float\"/><binary>");
    doc.push_str(&"A".repeat(1 << 20));
    doc.push_str("</binary></binaryDataArray></binaryDataArrayList></spectrum></spectrumList></run></mzML>");
    let m = message(read_bytes_with(doc.as_bytes(), MzmlReader { max_array_bytes: 1024 }));
    assert!(m.contains("bytes of text without markup before byte"), "{m}");
}

#[test]
fn detection_picks_the_mzml_and_mgf_readers() {
    let reader = crate::detect::detect(&testdata("pyteomics-test.mzML"), "x.dat").unwrap().unwrap();
    assert_eq!(reader.name(), "mzml");
    let reader = crate::detect::detect(&testdata("pyteomics-test.mgf"), "x.txt").unwrap().unwrap();
    assert_eq!(reader.name(), "mgf");
}
