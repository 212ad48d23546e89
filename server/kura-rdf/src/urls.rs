//! Where things live on a Kura node. Every FAIR surface builds its links here so that the PID,
//! the landing page and the download URLs agree everywhere.

// Names are slugs already; table names may hold `.` and non-ASCII letters.
use kura_metadata::percent::segment as encode;

/// The persistent URL of one version; `/pid/{id}` alone resolves to the latest.
pub fn pid(base: &str, dataset_id: impl std::fmt::Display, version: i32) -> String {
    format!("{base}/pid/{dataset_id}/{version}")
}

/// The persistent URL of the dataset as a whole (resolves to its latest published version).
pub fn dataset_pid(base: &str, dataset_id: impl std::fmt::Display) -> String {
    format!("{base}/pid/{dataset_id}")
}

/// The human landing page of a version.
pub fn landing(base: &str, name: &str, version: i32) -> String {
    format!("{base}/datasets/{}/{version}", encode(name))
}

/// The landing page of the latest version, which also negotiates RDF, DataCite and RO-Crate.
pub fn dataset(base: &str, name: &str) -> String {
    format!("{base}/datasets/{}", encode(name))
}

/// The REST resource of a version.
pub fn api_version(base: &str, name: &str, version: i32) -> String {
    format!("{base}/api/v1/datasets/{}/versions/{version}", encode(name))
}

pub fn file_download(base: &str, name: &str, version: i32, file_id: impl std::fmt::Display) -> String {
    format!("{}/files/{file_id}/content", api_version(base, name, version))
}

pub fn table(base: &str, name: &str, version: i32, table: &str) -> String {
    format!("{}/tables/{}", api_version(base, name, version), encode(table))
}

pub fn table_parquet(base: &str, name: &str, version: i32, table_name: &str) -> String {
    format!("{}/parquet", table(base, name, version, table_name))
}

/// The DCAT catalog.
pub fn catalog(base: &str) -> String {
    format!("{base}/catalog")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_encoded_and_agree() {
        assert_eq!(pid("https://k.example", "abc", 2), "https://k.example/pid/abc/2");
        assert_eq!(landing("https://k.example", "demo-uvvis", 1), "https://k.example/datasets/demo-uvvis/1");
        assert_eq!(
            table_parquet("http://h", "d", 1, "温度 log"),
            "http://h/api/v1/datasets/d/versions/1/tables/%E6%B8%A9%E5%BA%A6%20log/parquet"
        );
    }
}
