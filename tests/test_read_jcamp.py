"""Cross-checks Kura's JCAMP-DX reader against the `jcamp` package from PyPI: for every shared
.dx/.jdx file that jcamp reads correctly, the x and y arrays `kura read` writes to Parquet must
match jcamp's. Files jcamp cannot read, or reads wrongly, are skipped with the reason; Kura must
still read every one of them."""

import numpy as np
import pytest

import jcamp

from conftest import TESTDATA, shared_file

# jcamp 1.3 renamed `jcamp_readfile` to `readfile`; accept either.
READFILE = getattr(jcamp, "jcamp_readfile", None) or jcamp.readfile

# File → the Kura table jcamp's top-level x/y correspond to.
COMPARED = {
    "compression-jcamp-fix.dx": "data",
    "compression-jcamp-packed.dx": "data",
    "compression-jcamp-squeezed.dx": "data",
    "misc-ib_01_01.jdx": "data",
    "misc-mass_ACD.jdx": "peaks",
    "structure-noend.jdx": "peaks",
    # A LINK file whose records are written `## TITLE`: jcamp looks for `##TITLE` to find the
    # members, misses them, and keeps the x/y of the last XYDATA it met, the second block.
    "misc-uv.jdx": "block_2",
    "tree-uv.jdx": "block_2",
}

NO_END_EQUALS = "jcamp 1.3.2 fails on `##END` written without `=` (ValueError: not enough values to unpack)"
NTUPLES = "jcamp 1.3.2 does not read NTUPLES `##DATA TABLE=` pages: it returns empty x and y"
NO_LASTX = "no ##LASTX/##NPOINTS (only FIRSTX and DELTAX): jcamp 1.3.2 needs both to compute x (KeyError 'lastx')"

# Files jcamp fails on for a reason of syntax only: jcamp reads a copy with that syntax
# rewritten (comments after data removed, `##END` given its `=`), and the original is what Kura
# reads. File → (why, Kura table).
REWRITTEN = {
    # jcamp strips `$$` comments only at the start of a line and raises on the last data line
    # `0A4967          $$ checkpoint`.
    "compression-jcamp-difdup.dx": ("comment after data", "data"),
    # jcamp fails on `##END` written without `=` (ValueError: not enough values to unpack).
    "misc-camelLabels.jdx": ("##END without =", "peaks"),
    "misc-chrom.jdx": ("##END without =", "peaks"),
    "misc-iv.jdx": ("##END without =", "peaks"),
    "structure-normal.jdx": ("##END without =", "peaks"),
    # Two blocks in one file: jcamp keeps the x/y of the last one only.
    "structure-two.jdx": ("##END without =", "peaks_2"),
}


def rewrite_for_jcamp(text: str) -> str:
    out = []
    for line in text.splitlines():
        if not line.startswith("##") and "$$" in line and not line.startswith("$$"):
            line = line.split("$$", 1)[0].rstrip()
        if line.strip() == "##END":
            line = "##END="
        out.append(line)
    return "\n".join(out) + "\n"


SKIPPED = {
    "compression-small-jcamp-difdup.dx": NO_LASTX,
    "compression-small-jcamp-fix.dx": NO_LASTX,
    "compression-small-jcamp-packed.dx": NO_LASTX,
    "compression-small-jcamp-squeezed.dx": NO_LASTX,
    "ethylvinylether-1h.jdx": NTUPLES,
    "structure-ntuples.jdx": NTUPLES,
    "structure-reim.jdx": NTUPLES,
    "misc-multivariable.jdx": NTUPLES + "; " + NO_END_EQUALS,
    "structure-assigned.jdx": NO_END_EQUALS + "; with `=` added, jcamp returns empty x and y for these nested "
    "LINK blocks",
    "misc-varian.jdx": "##NPOINTS is written `16385.000000000`; jcamp 1.3.2 passes that float to numpy.linspace, "
    "which raises TypeError",
}

FILES = sorted(p.name for p in (TESTDATA / "jcamp").glob("*") if p.suffix in (".dx", ".jdx"))


def test_every_file_is_classified():
    assert FILES, f"{TESTDATA / 'jcamp'} holds no JCAMP-DX files: ../shared/testdata must sit beside the repository"
    assert sorted(set(COMPARED) | set(REWRITTEN) | set(SKIPPED)) == FILES


@pytest.mark.parametrize("name", FILES)
def test_kura_reads_and_matches_jcamp(name, kura_read, tmp_path):
    path = shared_file(f"jcamp/{name}")
    result = kura_read(path)
    assert result.returncode == 0, result.stderr
    assert result.report["format"] == "jcamp"
    assert result.tables, f"{name}: no table"
    for t in result.report["tables"]:
        assert t["rows"] > 0
    if name in SKIPPED:
        pytest.skip(SKIPPED[name])
    if name in REWRITTEN:
        copy = tmp_path / name
        copy.write_text(rewrite_for_jcamp(path.read_text(encoding="latin-1")), encoding="latin-1")
        ref = READFILE(str(copy))
        table = result.tables[REWRITTEN[name][1]]
    else:
        ref = READFILE(str(path))
        table = result.tables[COMPARED[name]]
    x = table.column("x").to_numpy(zero_copy_only=False)
    y = table.column("y").to_numpy(zero_copy_only=False)
    assert len(ref["x"]) == len(x), f"{name}: jcamp has {len(ref['x'])} points, kura {len(x)}"
    np.testing.assert_allclose(x, np.asarray(ref["x"], dtype=float), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(y, np.asarray(ref["y"], dtype=float), rtol=1e-9, atol=1e-12)


def test_point_counts_match_npoints(kura_read):
    result = kura_read(shared_file("jcamp/compression-jcamp-difdup.dx"))
    block = result.report["metadata"]["blocks"][0]
    assert result.report["tables"][0]["rows"] == block["NPOINTS"] == 16384
    columns = {c["name"]: c for c in result.report["tables"][0]["columns"]}
    assert columns["x"]["ucum"] == "Hz"
    assert columns["y"]["unit"] == "ARBITRARY UNITS"
