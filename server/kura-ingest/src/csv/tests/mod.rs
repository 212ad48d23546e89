//! Reader tests on real instrument exports and synthetic files.

mod dialects;
mod encodings;
mod errors;
mod real_files;
mod regressions;
mod robustness;
mod support;
mod types;
