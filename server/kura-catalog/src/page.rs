use serde::{Deserialize, Serialize};

/// Which slice of a list to return.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
pub struct PageRequest {
    /// Items to skip (default 0).
    #[serde(default)]
    pub offset: u64,
    /// Items to return (default 50, capped by the server).
    #[serde(default = "default_limit")]
    pub limit: u64,
}

fn default_limit() -> u64 {
    50
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest { offset: 0, limit: default_limit() }
    }
}

impl PageRequest {
    /// Caps the limit at `max`.
    pub fn capped(self, max: u64) -> Self {
        PageRequest { offset: self.offset, limit: self.limit.min(max) }
    }
}

/// One page of a list, with the total so clients can page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Number of items in the whole list.
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

impl<T> Page<T> {
    pub(crate) fn new(items: Vec<T>, total: u64, request: PageRequest) -> Self {
        Page { items, total, offset: request.offset, limit: request.limit }
    }
}
