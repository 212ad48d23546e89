"""Kura's mzML and MGF readers against pyteomics (the reference reader) and the reference arrays
pyteomics ships for its test file: every peak Kura stores must equal what pyteomics reads."""

import numpy as np
import pytest
from pyteomics import mgf, mzml

from conftest import shared_file


def peaks_by_spectrum(table):
    index = np.asarray(table.column("spectrum_index").to_numpy())
    mz = np.asarray(table.column("mz").to_numpy())
    intensity = np.asarray(table.column("intensity").to_numpy())
    return {int(i): (mz[index == i], intensity[index == i]) for i in np.unique(index)}


def test_mzml_peaks_equal_pyteomics_and_the_reference_arrays(kura_read):
    path = shared_file("mzml/pyteomics-test.mzML")
    result = kura_read(path)
    assert result.returncode == 0, result.stderr
    assert result.report["reader"] == "mzml"
    peaks = peaks_by_spectrum(result.tables["peaks"])
    spectra = result.tables["spectra"].to_pylist()

    reference = list(mzml.read(str(path)))
    assert len(reference) == len(spectra) == len(peaks) == 2
    for ref, row in zip(reference, spectra):
        mz, intensity = peaks[ref["index"]]
        # pyteomics keeps the stored precision (float32 or float64); Kura widens to float64 exactly.
        np.testing.assert_array_equal(mz, ref["m/z array"].astype(np.float64))
        np.testing.assert_array_equal(intensity, ref["intensity array"].astype(np.float64))
        assert row["id"] == ref["id"]
        assert row["ms_level"] == ref["ms level"]
        assert row["base_peak_mz"] == ref["base peak m/z"]
        assert row["base_peak_intensity"] == ref["base peak intensity"]
        assert row["total_ion_current"] == ref["total ion current"]
        assert row["scan_start_time"] == ref["scanList"]["scan"][0]["scan start time"]
        assert row["peaks"] == len(ref["m/z array"])

    mz_ref = np.load(shared_file("mzml/pyteomics-test-mz.npy"))
    intensity_ref = np.load(shared_file("mzml/pyteomics-test-intensity.npy"))
    np.testing.assert_array_equal(peaks[0][0], mz_ref)
    np.testing.assert_array_equal(peaks[0][1], intensity_ref.astype(np.float64))

    schema = result.tables["peaks"].schema
    assert schema.field("mz").metadata[b"kura:ucum"] == b"{m/z}"
    assert schema.field("mz").metadata[b"kura:original_label"] == b"m/z array"
    assert result.tables["spectra"].schema.field("scan_start_time").metadata[b"kura:ucum"] == b"min"
    assert result.report["metadata"]["run"]["id"] == "small_raw"


def test_a_truncated_mzml_fails_with_a_precise_message(kura_read, tmp_path):
    data = shared_file("mzml/pyteomics-test.mzML").read_bytes()
    cut = tmp_path / "cut.mzML"
    cut.write_bytes(data[:300_000])
    result = kura_read(cut)
    assert result.returncode != 0
    assert "file ends inside <binary> (truncated)" in result.stderr


def test_mgf_peaks_and_parameters_equal_pyteomics(kura_read):
    path = shared_file("mzml/pyteomics-test.mgf")
    result = kura_read(path)
    assert result.returncode == 0, result.stderr
    assert result.report["reader"] == "mgf"
    peaks = peaks_by_spectrum(result.tables["peaks"])
    spectra = result.tables["spectra"].to_pylist()
    charges = result.tables["peaks"].column("charge").to_pylist()

    reference = list(mgf.read(str(path)))
    assert len(reference) == len(spectra) == 2
    offset = 0
    for i, (ref, row) in enumerate(zip(reference, spectra)):
        mz, intensity = peaks[i]
        np.testing.assert_array_equal(mz, ref["m/z array"])
        np.testing.assert_array_equal(intensity, ref["intensity array"])
        n = len(mz)
        ref_charges = ref["charge array"]
        expected = [None if np.ma.is_masked(c) else int(c) for c in ref_charges]
        assert charges[offset : offset + n] == expected
        offset += n
        params = ref["params"]
        assert row["title"] == params["title"]
        assert (row["pepmass_mz"], row["pepmass_intensity"]) == params["pepmass"]
        if "rtinseconds" in params:
            assert row["rtinseconds"] == pytest.approx(float(params["rtinseconds"]))
    # pyteomics applies the file-wide CHARGE to spectra without one; Kura keeps it in metadata.
    assert spectra[0]["charge_state"] == reference[0]["params"]["charge"][0] == 2
    header = mgf.read_header(str(path))
    global_params = result.report["metadata"]["global"]
    assert global_params["USERNAME"] == header["username"]
    assert global_params["MODS"] == header["mods"]
