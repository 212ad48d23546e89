"""The reference readers the ingestion benchmark compares Kura with, run as their own process:
`python read_reference.py pyteomics FILE...` or `python read_reference.py jcamp FILE...`.
Each reads every value of every file (arrays decoded), as Kura does, and prints a checksum."""

import sys


def pyteomics_mzml(paths):
    from pyteomics import mzml

    total = 0.0
    for path in paths:
        with mzml.read(path, use_index=False) as reader:
            for spectrum in reader:
                total += float(spectrum["m/z array"].sum()) + float(spectrum["intensity array"].sum())
    return total


def jcamp_files(paths):
    import jcamp

    total = 0.0
    for path in paths:
        data = jcamp.readfile(path)
        for key in ("x", "y"):
            if key in data:
                total += float(sum(data[key]))
    return total


if __name__ == "__main__":
    kind, files = sys.argv[1], sys.argv[2:]
    print({"pyteomics": pyteomics_mzml, "jcamp": jcamp_files}[kind](files))
