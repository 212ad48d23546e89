//! What an export of a version holds for a principal: the files and tables they may read (none
//! for those who may read only the metadata), never a file or stored table holding a column
//! hidden from them. Exports are data: decided, and audited, like every other read.

use chrono::Utc;
use kura_core::access::{Action, Decision, decide};
use kura_core::{ErrorCode, Principal, VersionState};
use kura_metadata::{DatasetView, FileView, TableView};

use crate::access::{Target, audit_read};
use crate::{ServiceError, Services, Surface};

/// The parts of a version's description an export packs.
#[derive(Debug, Default)]
pub struct ExportContents<'a> {
    pub files: Vec<&'a FileView>,
    pub tables: Vec<&'a TableView>,
}

/// Chooses what of `view` (the description of `target`) goes into `principal`'s export, and
/// records the read when it holds data. A withdrawn version's data are Gone for everyone who
/// could not read them anyway.
pub async fn contents<'a>(
    svc: &Services,
    principal: &Principal,
    surface: Surface,
    target: &Target,
    view: &'a DatasetView,
    format: &str,
) -> Result<ExportContents<'a>, ServiceError> {
    let may_read = decide(&principal.subject, Action::ReadData, &target.facts, Utc::now()) == Decision::Allow;
    if !may_read && target.facts.state == VersionState::Deaccessioned {
        return Err(ServiceError::new(
            ErrorCode::Gone,
            "this version was deaccessioned: its data are no longer available",
        ));
    }
    if !may_read {
        return Ok(ExportContents::default());
    }
    let shown = target.disclosure(principal);
    let withheld = svc.catalog.withheld_files(target.version.id, &shown).await?;
    let base = svc.config.base_url();
    let withheld_urls: std::collections::HashSet<String> = withheld
        .iter()
        .map(|id| kura_rdf::urls::file_download(&base, &target.dataset.name, target.version.number, id))
        .collect();
    let files: Vec<&FileView> = view.files.iter().filter(|f| !withheld_urls.contains(&f.download_url)).collect();
    let mut tables = Vec::new();
    for t in &view.tables {
        let info = svc.catalog.table(target.version.id, &t.name).await?;
        if t.sha256.is_some() && !withheld.contains(&info.file_id) && !shown.hides_part_of(&info) {
            tables.push(t);
        }
    }
    let details = serde_json::json!({"files": files.len(), "tables": tables.len()});
    audit_read(svc, principal, surface, target, "data.export", format, details).await?;
    Ok(ExportContents { files, tables })
}
