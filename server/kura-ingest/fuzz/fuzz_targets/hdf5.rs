//! The HDF5 reader in process, so libFuzzer sees the coverage of Kura's walk over the file. The
//! HDF5 C library itself crashes on some corrupt files; `tests/fuzz-readers fuzz` runs this target in
//! fork mode and checks every crash it finds against the isolated reader `kura` really uses.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kura_ingest_fuzz::read(&kura_ingest::hdf5::Hdf5Reader, "input.h5", data));
