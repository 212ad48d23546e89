//! HDF5 and NeXus: groups and attributes become a metadata tree, datasets become tables (1-D
//! datasets of one length in one group side by side, 2-D datasets one row per row, wider or
//! higher-rank datasets in long format), read in slabs so memory stays bounded.
//!
//! Reading links the reference HDF5 C library through `hdf5-metno`, so it sits behind the
//! `hdf5` cargo feature. Without it, HDF5 files are still recognised and each one fails with a
//! message saying how to enable support: the file is kept raw and the user learns why it has no
//! tables, which a silent "unknown format" would not tell them.

#[cfg(feature = "hdf5")]
mod isolate;
#[cfg(feature = "hdf5")]
mod nexus;
#[cfg(feature = "hdf5")]
mod read;
#[cfg(feature = "hdf5")]
mod tables;
#[cfg(all(test, feature = "hdf5"))]
mod tests;
#[cfg(feature = "hdf5")]
mod values;
#[cfg(feature = "hdf5")]
mod walk;

use std::path::Path;

use crate::{FormatReader, ReadError, ReadReport, TableSink};

#[cfg(feature = "hdf5")]
pub use isolate::{
    ChildProcess, IN_PROCESS_FLAG, MEMORY_LIMIT, MEMORY_LIMIT_VAR, TIME_LIMIT, TIME_LIMIT_VAR, limit_own_memory,
};

/// Makes every HDF5 read in this process run in a child process of `program` (the `kura`
/// binary, which reads the file with `kura read --in-process-hdf5`), so a crash of the HDF5 C
/// library on a corrupt file fails that file instead of killing the server. Called once at
/// start-up by the binary; unit tests and library users read in process. A no-op without the
/// `hdf5` feature, where nothing is read.
pub fn isolate_in(program: std::path::PathBuf) {
    #[cfg(feature = "hdf5")]
    isolate::isolate_in(program);
    #[cfg(not(feature = "hdf5"))]
    let _ = program;
}

/// The eight bytes every HDF5 superblock starts with.
pub const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Extensions of HDF5 and NeXus files.
pub const EXTENSIONS: &[&str] = &["h5", "hdf5", "hdf", "nxs", "nx5", "he5"];

/// What a build without the `hdf5` feature says for every HDF5 file.
pub const NOT_BUILT_IN: &str = "hdf5 support is not built in: rebuild with --features hdf5";

/// The reader's version, recorded in provenance.
pub const VERSION: &str = "1";

/// Reader for HDF5 files, NeXus included.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hdf5Reader;

/// Whether the head of a file holds an HDF5 superblock signature: at offset 0, or after a user
/// block at 512, 1024, 2048... bytes (as far as the head reaches).
pub fn sniff(head: &[u8]) -> bool {
    superblock_offsets(head.len() as u64).any(|at| head.get(at as usize..at as usize + 8) == Some(SIGNATURE))
}

/// Offsets where HDF5 looks for a superblock in a file of `len` bytes: 0, then powers of two
/// from 512.
pub(crate) fn superblock_offsets(len: u64) -> impl Iterator<Item = u64> {
    std::iter::once(0).chain(std::iter::successors(Some(512u64), |o| o.checked_mul(2))).take_while(move |o| *o < len)
}

impl FormatReader for Hdf5Reader {
    fn name(&self) -> &'static str {
        "hdf5"
    }

    fn read(
        &self,
        path: &Path,
        sink: &mut dyn TableSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ReadReport, ReadError> {
        if std::fs::metadata(path)?.len() == 0 {
            return Err(ReadError::Empty);
        }
        #[cfg(feature = "hdf5")]
        {
            match isolate::isolation() {
                Some(child) => child.read(path, sink, progress),
                None => read::read(path, sink, progress),
            }
        }
        #[cfg(not(feature = "hdf5"))]
        {
            let _ = (sink, progress);
            Err(ReadError::Unsupported(NOT_BUILT_IN.into()))
        }
    }
}

#[cfg(test)]
mod sniff_tests {
    use super::*;

    #[test]
    fn the_signature_is_found_at_zero_and_after_a_user_block() {
        let mut head = SIGNATURE.to_vec();
        head.resize(4096, 0);
        assert!(sniff(&head));
        let mut blocked = vec![0u8; 4096];
        blocked[1024..1032].copy_from_slice(SIGNATURE);
        assert!(sniff(&blocked));
        let mut odd = vec![0u8; 4096];
        odd[700..708].copy_from_slice(SIGNATURE);
        assert!(!sniff(&odd));
        assert!(!sniff(b"\x89HDF"));
        assert!(!sniff(b""));
    }

    #[cfg(not(feature = "hdf5"))]
    #[test]
    fn without_the_feature_a_file_fails_with_how_to_enable_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.h5");
        std::fs::write(&path, SIGNATURE).unwrap();
        struct Nothing;
        impl TableSink for Nothing {
            fn begin_table(&mut self, _: crate::TableStart) -> Result<(), crate::SinkError> {
                unreachable!()
            }
            fn write_batch(&mut self, _: &arrow::record_batch::RecordBatch) -> Result<(), crate::SinkError> {
                unreachable!()
            }
            fn finish_table(&mut self) -> Result<(), crate::SinkError> {
                unreachable!()
            }
            fn discard_table(&mut self) {}
        }
        let err = Hdf5Reader.read(&path, &mut Nothing, &mut |_| {}).unwrap_err();
        assert_eq!(err.to_string(), NOT_BUILT_IN);
    }
}
