//! MGF tests.
