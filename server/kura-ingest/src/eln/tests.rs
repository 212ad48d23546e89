//! `.eln` archives: the real exports in shared/testdata/eln, and hostile archives built here.

mod hostile;
mod real;
mod support;
