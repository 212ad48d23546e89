#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kura_ingest_fuzz::read(&kura_ingest::mzml::MzmlReader { max_array_bytes: 1 << 24 }, "input.mzML", data));
