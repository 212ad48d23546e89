//! jcamp reader (being written).
