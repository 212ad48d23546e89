//! The search query language (free text, `"phrases"`, `field:value`, `published:[A TO B]`) as the
//! server parses it: any text is a query or an error, never a panic, with or without typo
//! tolerance; and a query that parses runs on a small index without a panic either.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/query/parser.rs"]
mod parser;
#[path = "../../src/schema.rs"]
mod schema;

use std::sync::OnceLock;

use tantivy::collector::{Count, TopDocs};
use tantivy::{Index, IndexReader, TantivyDocument};

use schema::f;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (index, reader) = index();
    for fuzzy in [false, true] {
        let Ok(query) = parser::query_parser(index, fuzzy).parse_query(text) else { continue };
        let collector = (TopDocs::with_limit(10).order_by_score(), Count);
        let _ = reader.searcher().search(&query, &collector);
    }
});

/// One index for every input: two documents in English and Japanese, built once.
fn index() -> &'static (Index, IndexReader) {
    static INDEX: OnceLock<(Index, IndexReader)> = OnceLock::new();
    INDEX.get_or_init(|| {
        let index = Index::create_in_ram(schema::build());
        schema::register(&index);
        let field = |name| index.schema().get_field(name).expect("field in schema");
        let mut writer = index.writer(15_000_000).expect("a writer");
        for (title, creator, year) in [("Melting points of salts", "Ada Smith", "2024"), ("温度測定", "山田", "2025")]
        {
            let mut doc = TantivyDocument::new();
            doc.add_text(field(f::TITLE), title);
            doc.add_text(field(f::TITLE_CJK), title);
            doc.add_text(field(f::DESCRIPTION), "Differential scanning calorimetry of NaCl at 20 K/min");
            doc.add_text(field(f::CREATOR), creator);
            doc.add_text(field(f::YEAR), year);
            doc.add_text(field(f::UNIT), "K");
            doc.add_text(field(f::VISIBILITY), "public");
            writer.add_document(doc).expect("a document");
        }
        writer.commit().expect("a commit");
        let reader = index.reader().expect("a reader");
        (index, reader)
    })
}
