//! The user's query language: tantivy's query parser over Kura's fields, words required by
//! default, titles weighed up. Apart from the rest of the search so that the fuzz target
//! (`server/kura-search/fuzz`) compiles the very parser the server uses, with only tantivy.

use tantivy::Index;
use tantivy::query::QueryParser;
use tantivy::schema::Field;

use crate::schema::f;

/// The parser of user queries on `index` (built with `schema::build`); `fuzzy` allows one typo
/// per word in titles, descriptions and full text.
pub(crate) fn query_parser(index: &Index, fuzzy: bool) -> QueryParser {
    let schema = index.schema();
    let field = |name: &str| -> Field { schema.get_field(name).expect("field in schema") };
    let defaults = [f::TITLE, f::TITLE_CJK, f::DESCRIPTION, f::DESCRIPTION_CJK, f::BODY, f::BODY_CJK, f::CREATOR]
        .into_iter()
        .map(field)
        .collect();
    let mut parser = QueryParser::for_index(index, defaults);
    parser.set_conjunction_by_default();
    parser.set_field_boost(field(f::TITLE), 3.0);
    parser.set_field_boost(field(f::TITLE_CJK), 2.0);
    if fuzzy {
        for name in [f::TITLE, f::DESCRIPTION, f::BODY] {
            parser.set_field_fuzzy(field(name), false, 1, true);
        }
    }
    parser
}
