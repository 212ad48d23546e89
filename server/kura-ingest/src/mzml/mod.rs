//! mzml reader (being written).
