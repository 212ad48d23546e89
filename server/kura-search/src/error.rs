use kura_core::ErrorCode;

/// Why a search operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    #[error("search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(String),
}

impl kura_core::HasErrorCode for SearchError {
    fn code(&self) -> ErrorCode {
        match self {
            SearchError::InvalidQuery(_) => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        }
    }
}

impl From<tantivy::query::QueryParserError> for SearchError {
    fn from(e: tantivy::query::QueryParserError) -> Self {
        SearchError::InvalidQuery(e.to_string())
    }
}
