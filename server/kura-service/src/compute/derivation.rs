//! The lineage of a job's output as one viewer may see it: each input is named and linked only
//! when `authorize` lets the viewer see that input version's metadata; the others stay anonymous
//! ("an input you cannot see"), whatever the reason (not found, withdrawn, not allowed).

use kura_core::Principal;
use kura_core::access::Action;
use kura_metadata::{DatasetView, SeenInput};

use crate::access::{Which, authorize};
use crate::{ServiceError, Services};

/// Fills in the inputs of `view`'s derivation that `principal` may see.
pub async fn with_seen_inputs(
    svc: &Services,
    principal: &Principal,
    mut view: DatasetView,
) -> Result<DatasetView, ServiceError> {
    let Some(derivation) = view.derivation.as_mut() else { return Ok(view) };
    let base = svc.config.base_url();
    for input in &mut derivation.inputs {
        let version = input.version.to_string();
        input.seen =
            match authorize(svc, principal, &input.dataset_id, Which::Version(&version), Action::ReadMetadata).await {
                Ok(target) => Some(SeenInput {
                    landing_url: kura_rdf::urls::landing(&base, &target.dataset.name, target.version.number),
                    name: target.dataset.name,
                }),
                Err(e) if e.code.is_client_error() => None,
                Err(e) => return Err(e),
            };
    }
    Ok(view)
}
