#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kura_ingest_fuzz::read(&kura_ingest::eln::ElnReader, "input.eln", data));
