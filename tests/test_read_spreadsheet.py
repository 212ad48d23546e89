"""Spreadsheets written by openpyxl and pandas (odf), read by `kura read`, compared with what
openpyxl and pandas read back from the same files."""

import datetime

import pandas as pd
import pytest
from openpyxl import Workbook


def write_xlsx(path):
    book = Workbook()
    ws = book.active
    ws.title = "Measurements 1"
    ws["A1"] = "Operator: Ada"
    ws["A2"] = "Instrument"
    ws["B2"] = "XRD-7"
    ws.append([])
    ws.append(["time [s]", "T [K]", "label", "when", "ok"])
    start = datetime.datetime(2024, 1, 15, 10, 0, 0)
    for i in range(50):
        ws.append([i, 300.25 + i / 4, f"s{i}" if i % 7 else None, start + datetime.timedelta(minutes=i), i % 2 == 0])
    other = book.create_sheet("notes")
    other.append(["x", "y"])
    other.append([1.5, "a"])
    other.append([2.5, 3])
    book.save(path)


def test_xlsx_matches_openpyxl(kura_read, tmp_path):
    path = tmp_path / "run.xlsx"
    write_xlsx(path)
    result = kura_read(path)
    assert result.returncode == 0, result.stderr
    assert result.report["format"] == "spreadsheet"
    assert set(result.tables) == {"measurements_1", "notes"}
    ours = result.tables["measurements_1"].to_pandas()
    ref = pd.read_excel(path, sheet_name="Measurements 1", header=3, engine="openpyxl")
    assert len(ours) == len(ref) == 50
    assert list(ours["time"]) == list(ref["time [s]"])
    assert ours["T"].tolist() == pytest.approx(ref["T [K]"].tolist())
    assert [None if pd.isna(v) else v for v in ours["label"]] == [None if pd.isna(v) else v for v in ref["label"]]
    assert [pd.Timestamp(v) for v in ours["when"]] == [pd.Timestamp(v) for v in ref["when"]]
    assert list(ours["ok"]) == list(ref["ok"])
    columns = {c["name"]: c for c in result.report["tables"][0]["columns"]}
    assert columns["T"]["ucum"] == "K" and columns["T"]["original_label"] == "T [K]"
    assert columns["time"]["ucum"] == "s"
    meta = result.report["metadata"]["sheets"]["Measurements 1"]
    assert meta == {"Operator": "Ada", "Instrument": "XRD-7"}
    notes = result.tables["notes"].to_pandas()
    assert list(notes["x"]) == [1.5, 2.5]
    assert list(notes["y"]) == ["a", "3"]
    assert any("mixes kinds of values" in w for w in result.report["warnings"])


def test_ods_matches_pandas(kura_read, tmp_path):
    path = tmp_path / "book.ods"
    frame = pd.DataFrame(
        {
            "mass [mg]": [1.25, 2.5, 3.75, 5.0],
            "count": [1, 2, 3, 4],
            "name": ["a", "b", "c", "d"],
            "day": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03 12:30:00", "2024-03-04"], format="ISO8601"),
        }
    )
    with pd.ExcelWriter(path, engine="odf") as writer:
        frame.to_excel(writer, sheet_name="Data Sheet", index=False)
    result = kura_read(path)
    assert result.returncode == 0, result.stderr
    assert result.report["reader"] == "spreadsheet"
    ours = result.tables["data_sheet"].to_pandas()
    ref = pd.read_excel(path, sheet_name="Data Sheet", engine="odf")
    assert ours["mass"].tolist() == pytest.approx(ref["mass [mg]"].tolist())
    assert ours["count"].tolist() == ref["count"].tolist()
    assert ours["name"].tolist() == ref["name"].tolist()
    assert [pd.Timestamp(v) for v in ours["day"]] == [pd.Timestamp(v) for v in ref["day"]]
    columns = {c["name"]: c for c in result.report["tables"][0]["columns"]}
    assert columns["mass"]["ucum"] == "mg"


def test_zip_that_is_not_a_workbook_fails_precisely(kura_read, tmp_path):
    import zipfile

    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("notes.txt", "hello")
    result = kura_read(path)
    assert result.returncode != 0
    assert "not a readable xlsx workbook" in result.stderr
