//! Shares, schemas and tables as the caller may see them: the tables of each dataset's newest
//! version whose data the caller may read (`kura_service::readable::readable_tables` decides),
//! each in the share of its owner group and in the share of every consortium its policy names.
//! Shares are named by their group's or consortium's name (a group and a consortium of one name
//! are one share); a share, schema or table without a table the caller may read does not exist
//! for them, and answers 404 like anything absent.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use kura_core::Principal;
use kura_service::readable::{Readable, collections_of, readable_tables};
use kura_service::{ServiceError, Services};
use serde::Deserialize;

use super::protocol::Listing;

/// Most items on one page, and the page size when the caller names none.
pub const MAX_RESULTS: usize = 1000;

/// A readable table and the shares it is in.
#[derive(Debug, Clone)]
pub struct Shared {
    pub shares: BTreeSet<String>,
    pub readable: Readable,
}

impl Shared {
    /// The schema (dataset) name the caller knows the table's dataset by.
    pub fn schema(&self) -> &str {
        &self.readable.dataset.name
    }
}

/// The readable tables of the newest versions of the datasets the caller sees (of the dataset
/// named `dataset` only, when given), with their shares; ordered by schema, then table.
pub async fn shared_tables(
    svc: &Services,
    principal: &Principal,
    dataset: Option<&str>,
) -> Result<Vec<Shared>, ServiceError> {
    let tables = readable_tables(svc, principal, dataset, false).await?;
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let datasets: Vec<_> = tables.iter().map(|(r, _)| &r.dataset).collect();
    let collections = collections_of(svc, &datasets).await?;
    let mut out = Vec::with_capacity(tables.len());
    for (readable, _) in tables {
        let shares = collections.get(&readable.dataset.id).cloned().unwrap_or_default();
        out.push(Shared { shares, readable });
    }
    out.sort_by(|a, b| (a.schema(), &a.readable.table.name).cmp(&(b.schema(), &b.readable.table.name)));
    Ok(out)
}

/// `maxResults` and `pageToken` of a list request.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct PageArgs {
    /// Items per page, 1 to 1000 (default 1000).
    pub max_results: Option<i64>,
    /// The `nextPageToken` of the previous page.
    pub page_token: Option<String>,
}

impl PageArgs {
    /// The page of `items` these arguments ask for.
    pub fn page<T>(&self, items: Vec<T>) -> Result<Listing<T>, ServiceError> {
        let size = match self.max_results {
            None => MAX_RESULTS,
            Some(n) if n >= 1 => usize::try_from(n).unwrap_or(MAX_RESULTS).min(MAX_RESULTS),
            Some(n) => return Err(ServiceError::invalid(format!("maxResults must be at least 1, not {n}"))),
        };
        let start = match self.page_token.as_deref().filter(|t| !t.is_empty()) {
            None => 0,
            Some(token) => decode_token(token).ok_or_else(|| ServiceError::invalid("invalid pageToken"))?,
        };
        let total = items.len();
        let items: Vec<T> = items.into_iter().skip(start).take(size).collect();
        let end = start.saturating_add(items.len());
        let next_page_token = (end < total).then(|| B64.encode(format!("kura-offset:{end}")));
        Ok(Listing { items, next_page_token })
    }
}

fn decode_token(token: &str) -> Option<usize> {
    let text = String::from_utf8(B64.decode(token).ok()?).ok()?;
    text.strip_prefix("kura-offset:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_their_tokens_to_the_end() {
        let args = PageArgs { max_results: Some(2), page_token: None };
        let first = args.page(vec![1, 2, 3, 4, 5]).unwrap();
        assert_eq!(first.items, vec![1, 2]);
        let second =
            PageArgs { max_results: Some(2), page_token: first.next_page_token }.page(vec![1, 2, 3, 4, 5]).unwrap();
        assert_eq!(second.items, vec![3, 4]);
        let last =
            PageArgs { max_results: Some(2), page_token: second.next_page_token }.page(vec![1, 2, 3, 4, 5]).unwrap();
        assert_eq!((last.items, last.next_page_token), (vec![5], None));
        assert!(PageArgs { max_results: Some(0), page_token: None }.page(vec![1]).is_err());
        assert!(PageArgs { max_results: None, page_token: Some("nonsense!".into()) }.page(vec![1]).is_err());
        assert_eq!(PageArgs::default().page(vec![1]).unwrap().next_page_token, None);
    }
}
