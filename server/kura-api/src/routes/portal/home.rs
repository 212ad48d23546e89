//! `GET /`: the search box, counts by access level, recent and most-used datasets — all of it
//! among what the caller may see (catalog `Visibility` filters and the index's own filter).

use axum::extract::State;
use axum::response::Response;
use kura_catalog::PageRequest;

use super::text::Text;
use super::{Ctx, Nav};
use crate::error::ApiError;
use crate::state::AppState;

/// A dataset in a list.
#[derive(Debug)]
pub struct Item {
    pub name: String,
    pub title: String,
    pub note: String,
}

#[derive(askama::Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    t: &'static Text,
    nav: Nav,
    total: u64,
    /// (value, label, count).
    by_access: Vec<(String, String, u64)>,
    recent: Vec<Item>,
    most_used: Vec<Item>,
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    let vis = ctx.caller.visibility();
    let counts = kura_search::SearchRequest { limit: 0, ..Default::default() };
    let all = kura_service::search::search(&state, &ctx.caller, counts).await?;
    let by_access = all
        .facets
        .iter()
        .filter(|f| f.name == "access")
        .flat_map(|f| f.buckets.iter().map(|b| (b.value.clone(), ctx.t.level(&b.value).to_owned(), b.count)))
        .collect();
    let page = state.catalog.list_datasets(&vis, PageRequest { offset: 0, limit: 8 }).await?;
    let mut recent = Vec::new();
    for d in &page.items {
        let Some(v) = state.catalog.versions(d.id, &vis).await?.pop() else { continue };
        let when = v.published_at.unwrap_or(d.created_at).format("%Y-%m-%d");
        recent.push(Item {
            name: d.name.clone(),
            title: title_in(ctx.t.lang, &v),
            note: format!("{} · {when}", super::state_label(ctx.t, v.state.as_str())),
        });
    }
    let mut most_used = Vec::new();
    for (d, uses) in state.catalog.most_used_datasets(&vis, 5).await? {
        let title =
            state.catalog.versions(d.id, &vis).await?.last().map(|v| title_in(ctx.t.lang, v)).unwrap_or_default();
        most_used.push(Item { name: d.name, title, note: format!("{uses} {}", ctx.t.reads) });
    }
    ctx.render(&HomePage { t: ctx.t, nav: ctx.nav.clone(), total: page.total, by_access, recent, most_used })
}

/// The version's title in the reader's language when the metadata has one, else its title.
fn title_in(lang: &str, version: &kura_catalog::entity::dataset_version::Model) -> String {
    version.metadata["titles"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["lang"].as_str().is_some_and(|l| l.starts_with(lang)))
        .and_then(|t| t["value"].as_str())
        .map_or_else(|| version.title.clone(), str::to_owned)
}
