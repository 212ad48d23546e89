"""CIF files through `kura read`, checked against gemmi: cell parameters and every atom_site
column must equal what gemmi reads from the same file."""

import math

import gemmi
import pytest

from conftest import shared_file

FILES = ["cif/cod-1011031.cif", "cif/cod-2013551.cif", "cif/cod-4003024.cif", "cif/eol-test.cif"]
CELL = ["_cell_length_a", "_cell_length_b", "_cell_length_c", "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"]


def expected_value(raw: str):
    """What Kura should hold for a raw CIF value, as gemmi reads it: None for ? and ., a number
    for a bare number (its su apart), else the unquoted text."""
    if gemmi.cif.is_null(raw):
        return None
    number = gemmi.cif.as_number(raw)
    if not math.isnan(number):
        return number
    return gemmi.cif.as_string(raw)


@pytest.mark.parametrize("rel", FILES)
def test_cif_matches_gemmi(kura_read, rel):
    path = shared_file(rel)
    result = kura_read(path)
    assert result.returncode == 0, result.stderr
    assert result.report["reader"] == "cif"
    doc = gemmi.cif.read_file(str(path))
    blocks = result.report["metadata"]["blocks"]
    assert list(blocks) == [b.name for b in doc]
    for block in doc:
        ours = blocks[block.name]
        for tag in CELL:
            raw = block.find_value(tag)
            if raw is None:
                assert tag not in ours["items"]
                continue
            assert ours["items"][tag] == pytest.approx(gemmi.cif.as_number(raw)), tag
        gemmi_loop = block.find_loop("_atom_site_label").get_loop()
        if gemmi_loop is None:
            assert "atom_site" not in ours["tables"]
            continue
        table = result.tables["atom_site"].to_pydict()
        assert len(table["label"]) == gemmi_loop.length()
        for i, tag in enumerate(gemmi_loop.tags):
            column = tag[len("_atom_site_"):]
            got = table[column]
            want = [expected_value(gemmi_loop[r, i]) for r in range(gemmi_loop.length())]
            if all(w is None or isinstance(w, float) for w in want):
                assert got == pytest.approx(want), tag
            else:
                assert got == want, tag


def test_every_loop_is_a_table_with_gemmi_row_counts(kura_read):
    for rel in FILES:
        path = shared_file(rel)
        result = kura_read(path)
        assert result.returncode == 0, result.stderr
        doc = gemmi.cif.read_file(str(path))
        counts = sorted(item.loop.length() for block in doc for item in block if item.loop is not None)
        assert sorted(t["rows"] for t in result.report["tables"]) == counts, rel


def test_uncertainties_and_units(kura_read):
    result = kura_read(shared_file("cif/cod-2013551.cif"))
    block = result.report["metadata"]["blocks"]["2013551"]
    assert block["su"]["_cell_length_a"] == pytest.approx(0.0007)
    assert block["units"]["_cell_length_a"]["ucum"] == "Ao"
    atoms = result.tables["atom_site"]
    assert atoms.column("U_iso_or_equiv_su").to_pylist() == pytest.approx([0.0009, 0.0003])
    field = atoms.schema.field("U_iso_or_equiv")
    assert field.metadata[b"kura:ucum"] == b"Ao2"
    assert field.metadata[b"kura:original_label"] == b"_atom_site_U_iso_or_equiv"
