//! cif reader (being written).
