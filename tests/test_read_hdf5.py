"""HDF5 / NeXus through `kura read`, cross-checked value by value against h5py (the reference
Python binding of the HDF5 library). Files are written here with h5py: a NeXus-style file and
plain datasets of every numeric type, booleans and strings, 1-D, 2-D (narrow and wide), 3-D, and
one of more than 65,536 rows stored chunked and compressed.

Needs a kura binary built with HDF5 support: `cargo build -p kura --features hdf5`, then
KURA_BIN naming it (or the default target directory)."""

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="h5py is pinned in tests/requirements.txt")

NOT_BUILT_IN = "hdf5 support is not built in"


def read_ok(kura_read, path):
    result = kura_read(path)
    if NOT_BUILT_IN in result.stderr:
        pytest.fail(
            "the kura binary under test lacks HDF5 support: build it with "
            "`cargo build -p kura --features hdf5` and point KURA_BIN at it"
        )
    assert result.returncode == 0, f"kura read failed: {result.stderr}"
    assert result.report["format"] == "hdf5", result.report
    return result


def node(report, path):
    """The metadata-tree node of an HDF5 path."""
    n = report["metadata"]["tree"]
    for part in [p for p in path.split("/") if p]:
        n = n[part]
    return n


def decoded(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return [decoded(v) for v in value.tolist()] if value.dtype.kind in "SOU" else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [decoded(v) for v in value]
    return value


def reference(ds, selection=()):
    """Values h5py reads, strings decoded, as a flat list (C order)."""
    data = ds[selection] if selection != () else ds[()]
    if ds.dtype.kind in "SO" or h5py.check_string_dtype(ds.dtype):
        return [decoded(v) for v in np.asarray(data, dtype=object).ravel().tolist()]
    return np.asarray(data).ravel().tolist()


def same(ours, theirs, what):
    assert len(ours) == len(theirs), f"{what}: {len(ours)} values, h5py has {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if isinstance(b, float) and np.isnan(b):
            assert a is None or np.isnan(a), f"{what}[{i}]: {a!r}, h5py has NaN"
        else:
            assert a == b, f"{what}[{i}]: {a!r}, h5py has {b!r}"


def check_every_value(result, path):
    """Every dataset and attribute h5py sees is in Kura's tables or metadata tree, equal."""
    checked = 0
    with h5py.File(path, "r") as f:
        objects = [("/", f)]
        f.visititems(lambda name, obj: objects.append(("/" + name, obj)))
        for name, obj in objects:
            n = node(result.report, name)
            for key, value in obj.attrs.items():
                ours = n[f"@{key}"]
                theirs = decoded(value)
                same(ours if isinstance(ours, list) else [ours], theirs if isinstance(theirs, list) else [theirs], f"{name}@{key}")
                checked += 1
            if not isinstance(obj, h5py.Dataset):
                continue
            if obj.ndim == 0 or (h5py.check_string_dtype(obj.dtype) and obj.size == 1):
                same([n["value"]], reference(obj), name)
                checked += 1
                continue
            table = result.tables[n["table"]]
            leaf = name.rsplit("/", 1)[-1]
            if obj.ndim == 1:
                same(table.column(leaf).to_pylist(), reference(obj), name)
            elif obj.ndim == 2 and obj.shape[1] <= 1024:
                assert table.num_rows == obj.shape[0]
                for j in range(obj.shape[1]):
                    same(table.column(f"col_{j}").to_pylist(), reference(obj, (slice(None), j)), f"{name}[:, {j}]")
            else:
                same(table.column("value").to_pylist(), reference(obj), name)
                index_names = ["row", "col"] if obj.ndim == 2 else [f"dim_{i}" for i in range(obj.ndim)]
                indices = np.indices(obj.shape).reshape(obj.ndim, -1)
                for axis, column in enumerate(index_names):
                    same(table.column(column).to_pylist(), indices[axis].tolist(), f"{name} {column}")
            checked += 1
    return checked


@pytest.fixture
def nexus_file(tmp_path):
    path = tmp_path / "scan.nxs"
    with h5py.File(path, "w") as f:
        f.attrs["default"] = "entry"
        f.attrs["creator"] = "kura cross-check"
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry.attrs["default"] = "data"
        entry["title"] = "LaB6 reference scan"
        entry["start_time"] = "2025-03-14T09:26:53+01:00"
        entry["definition"] = np.bytes_("NXmonopd")
        instrument = entry.create_group("instrument")
        instrument.attrs["NX_class"] = "NXinstrument"
        instrument["name"] = "POWDER-1"
        source = instrument.create_group("source")
        source.attrs["NX_class"] = "NXsource"
        source["probe"] = "x-ray"
        source["energy"] = 8.04
        source["energy"].attrs["units"] = "keV"
        detector = instrument.create_group("detector")
        detector.attrs["NX_class"] = "NXdetector"
        detector.create_dataset("frames", data=np.arange(2 * 4 * 5, dtype=np.uint16).reshape(2, 4, 5))
        sample = entry.create_group("sample")
        sample.attrs["NX_class"] = "NXsample"
        sample["name"] = "LaB6"
        sample["chemical_formula"] = "LaB6"
        sample["temperature"] = 295.5
        sample["temperature"].attrs["units"] = "K"
        data = entry.create_group("data")
        data.attrs["NX_class"] = "NXdata"
        data.attrs["signal"] = "intensity"
        data.attrs["axes"] = ["two_theta"]
        rng = np.random.default_rng(7)
        tt = data.create_dataset("two_theta", data=np.linspace(10.0, 90.0, 801))
        tt.attrs["units"] = "deg"
        tt.attrs["long_name"] = "2theta"
        counts = data.create_dataset("intensity", data=rng.poisson(100, 801).astype(np.int32))
        counts.attrs["units"] = "counts"
        data.create_dataset("errors", data=np.sqrt(counts[()]).astype(np.float64))
    return path


def test_a_nexus_file_matches_h5py(kura_read, nexus_file):
    result = read_ok(kura_read, nexus_file)
    meta = result.report["metadata"]
    assert meta["title"] == "LaB6 reference scan"
    assert meta["start_time"] == "2025-03-14T09:26:53+01:00"
    assert meta["definition"] == "NXmonopd"
    assert meta["instrument"] == "POWDER-1"
    assert meta["probe"] == "x-ray"
    assert meta["sample"] == "LaB6"
    assert meta["chemical_formula"] == "LaB6"
    assert {"NXentry", "NXdata", "NXsample", "NXinstrument", "NXdetector", "NXsource"} <= set(meta["nexus_classes"])

    table = result.tables["entry_data"]
    assert table.column_names[:2] == ["two_theta", "intensity"], "NeXus axes come first, then the signal"
    columns = {c["name"]: c for t in result.report["tables"] if t["name"] == "entry_data" for c in t["columns"]}
    assert columns["two_theta"]["unit"] == "deg" and columns["two_theta"]["ucum"] == "deg"
    field = table.schema.field("two_theta")
    assert field.metadata[b"kura:unit"] == b"deg"
    assert node(result.report, "/entry/instrument/source/energy")["@units"] == "keV"
    assert check_every_value(result, nexus_file) >= 20


@pytest.fixture
def typed_file(tmp_path):
    path = tmp_path / "typed.h5"
    rng = np.random.default_rng(42)
    n = 1000
    with h5py.File(path, "w") as f:
        g = f.create_group("columns")
        for dtype in ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]:
            info = np.iinfo(dtype)
            values = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
            values[0], values[1] = info.min, info.max
            g.create_dataset(f"int_{dtype}", data=values)
        g.create_dataset("f4", data=rng.normal(size=n).astype("f4"))
        f8 = rng.normal(size=n)
        f8[3], f8[4], f8[5] = np.nan, np.inf, -np.inf
        g.create_dataset("f8", data=f8)
        g.create_dataset("flag", data=rng.integers(0, 2, n).astype(bool))
        g.create_dataset("label", data=[f"sample-{i} µ" for i in range(n)], dtype=h5py.string_dtype())
        g.create_dataset("code", data=np.array([f"C{i:04d}".encode() for i in range(n)], dtype="S8"))
        g.attrs["operator"] = "Ada"
        g.attrs["gains"] = np.array([1.0, 2.5, 4.0])
        g.attrs["channels"] = np.int32(12)
        g.create_dataset("matrix", data=rng.normal(size=(300, 7)))
        g.create_dataset("wide", data=np.arange(3 * 1500, dtype="i4").reshape(3, 1500))
        g.create_dataset("cube", data=rng.integers(0, 100, (3, 4, 6), dtype="u1"))
        g.create_dataset("note", data="scalar text")
        g.create_dataset("gain", data=np.float32(1.5))
        big = f.create_group("big")
        big.create_dataset(
            "signal", data=np.sin(np.arange(200_000) / 1000.0), chunks=(16_384,), compression="gzip", shuffle=True
        )
        big.create_dataset("t", data=np.arange(200_000, dtype="i8"), chunks=(50_000,), compression="gzip")
    return path


def test_every_type_and_shape_matches_h5py(kura_read, typed_file):
    result = read_ok(kura_read, typed_file)
    assert result.tables["columns"].num_rows == 1000
    assert result.tables["big"].num_rows == 200_000
    types = {f.name: str(f.type) for f in result.tables["columns"].schema}
    assert types["int_i1"] == "int8" and types["int_u8"] == "uint64" and types["f4"] == "float"
    assert types["flag"] == "bool" and types["label"] == "string" and types["code"] == "string"
    assert any("1500 columns" in w for w in result.report["warnings"])
    assert check_every_value(result, typed_file) == 23  # 18 array datasets, 2 scalars, 3 attributes


def test_a_broken_file_fails_with_a_precise_error(kura_read, typed_file, tmp_path):
    read_ok(kura_read, typed_file)  # the binary reads HDF5 at all
    data = typed_file.read_bytes()
    broken = tmp_path / "broken.h5"
    broken.write_bytes(data[: len(data) // 3])
    result = kura_read(broken)
    assert result.returncode != 0
    assert "malformed hdf5: cannot open:" in result.stderr, result.stderr
    assert "panicked" not in result.stderr
