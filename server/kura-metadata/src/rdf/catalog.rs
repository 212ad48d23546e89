//! The `dcat:Catalog` of a Kura node, one page at a time, with Hydra paging links.

use oxrdf::NamedOrBlankNode;

use super::agents::publisher;
use super::dataset::{add_dataset, document};
use super::distribution::add_services;
use super::{Builder, iri, named, term};
use crate::error::MetadataError;
use crate::view::{CatalogView, PageView};
use crate::vocab::{DCAT, DCT, FOAF, HYDRA};

/// The catalog's IRI: `{base}/catalog`.
pub fn catalog_iri(base_url: &str) -> String {
    format!("{}/catalog", base_url.trim_end_matches('/'))
}

pub(super) fn add_catalog(b: &mut Builder, view: &CatalogView) -> Result<(), MetadataError> {
    let catalog_url = catalog_iri(&view.base_url);
    let catalog = iri(&catalog_url)?;
    b.typed(&catalog, &[term(DCAT, "Catalog"), term(HYDRA, "Collection")]);
    for t in &view.titles {
        b.add_lang(&catalog, term(DCT, "title"), &t.value, &t.lang)?;
    }
    for d in &view.descriptions {
        b.add_lang(&catalog, term(DCT, "description"), &d.value, &d.lang)?;
    }
    publisher(b, &catalog, &view.publisher)?;
    let home = document(b, &view.base_url)?;
    b.add(&catalog, term(FOAF, "homepage"), home);
    b.add_datetime(&catalog, term(DCT, "modified"), &view.modified);
    let mut datasets: Vec<NamedOrBlankNode> = Vec::new();
    for dataset in &view.datasets {
        let node = add_dataset(b, dataset)?;
        b.add(&catalog, term(DCAT, "dataset"), node.clone());
        datasets.push(node);
    }
    for service in add_services(b, &view.services, &datasets, Some(&view.publisher))? {
        b.add(&catalog, term(DCAT, "service"), service);
    }
    add_paging(b, &catalog, &catalog_url, view.page)
}

/// `hydra:totalItems` and a `hydra:PartialCollectionView` with first/previous/next/last pages.
fn add_paging(b: &mut Builder, catalog: &NamedOrBlankNode, url: &str, page: PageView) -> Result<(), MetadataError> {
    let limit = page.limit.max(1);
    let page_url = |offset: u64| format!("{url}?offset={offset}&limit={limit}");
    b.add_typed(catalog, term(HYDRA, "totalItems"), &page.total.to_string(), "nonNegativeInteger");
    let this = iri(&page_url(page.offset))?;
    b.typed(&this, &[term(HYDRA, "PartialCollectionView")]);
    b.add(catalog, term(HYDRA, "view"), this.clone());
    let last = page.total.saturating_sub(1) / limit * limit;
    b.add(&this, term(HYDRA, "first"), named(&page_url(0))?);
    b.add(&this, term(HYDRA, "last"), named(&page_url(last))?);
    if page.offset > 0 {
        b.add(&this, term(HYDRA, "previous"), named(&page_url(page.offset.saturating_sub(limit)))?);
    }
    if page.offset + limit < page.total {
        b.add(&this, term(HYDRA, "next"), named(&page_url(page.offset + limit))?);
    }
    Ok(())
}
