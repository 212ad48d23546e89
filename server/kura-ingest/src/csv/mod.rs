//! CSV/TSV reader (being written)
