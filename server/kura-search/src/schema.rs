//! The index schema and its analyzers: English with stemming, and character 1–2-grams for
//! Japanese (and any text without spaces between words), each text indexed both ways.

use tantivy::schema::{
    FAST, INDEXED, IndexRecordOption, STORED, STRING, Schema, SchemaBuilder, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    Language, LowerCaser, NgramTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{Index, tokenizer::TokenizerManager};

pub(crate) const EN: &str = "kura_en";
pub(crate) const CJK: &str = "kura_cjk";

/// Names of the fields users may address in queries (`creator:`, `unit:`, `format:` …) and of
/// the facets.
pub(crate) mod f {
    pub const DOC_ID: &str = "doc_id";
    pub const DATASET_ID: &str = "dataset_id";
    pub const NAME: &str = "name";
    pub const VERSION: &str = "version";
    pub const STATE: &str = "state";
    pub const TITLE: &str = "title";
    pub const TITLE_CJK: &str = "title_cjk";
    pub const DESCRIPTION: &str = "description";
    pub const DESCRIPTION_CJK: &str = "description_cjk";
    pub const BODY: &str = "body";
    pub const BODY_CJK: &str = "body_cjk";
    pub const CREATOR: &str = "creator";
    pub const CREATOR_FACET: &str = "creator_facet";
    pub const KEYWORD: &str = "keyword";
    pub const SUBJECT: &str = "subject";
    pub const UNIT: &str = "unit";
    pub const FORMAT: &str = "format";
    pub const LICENSE: &str = "license";
    pub const ACCESS: &str = "access";
    pub const GROUP: &str = "group";
    pub const ORGANIZATION: &str = "organization";
    pub const YEAR: &str = "year";
    pub const PUBLISHED: &str = "published";
    pub const VISIBILITY: &str = "visibility";
}

fn text(tokenizer: &str, stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let options = TextOptions::default().set_indexing_options(indexing);
    if stored { options.set_stored() } else { options }
}

pub(crate) fn build() -> Schema {
    let mut b = SchemaBuilder::new();
    for name in [f::DOC_ID, f::DATASET_ID] {
        b.add_text_field(name, STRING | STORED);
    }
    b.add_text_field(f::NAME, STRING | STORED | FAST);
    b.add_u64_field(f::VERSION, STORED);
    b.add_text_field(f::STATE, STRING | STORED | FAST);
    b.add_text_field(f::TITLE, text(EN, true));
    b.add_text_field(f::TITLE_CJK, text(CJK, false));
    b.add_text_field(f::DESCRIPTION, text(EN, true));
    b.add_text_field(f::DESCRIPTION_CJK, text(CJK, false));
    b.add_text_field(f::BODY, text(EN, false));
    b.add_text_field(f::BODY_CJK, text(CJK, false));
    b.add_text_field(f::CREATOR, text("default", true));
    for name in [
        f::CREATOR_FACET,
        f::KEYWORD,
        f::SUBJECT,
        f::UNIT,
        f::FORMAT,
        f::LICENSE,
        f::ACCESS,
        f::GROUP,
        f::ORGANIZATION,
        f::YEAR,
    ] {
        b.add_text_field(name, STRING | STORED | FAST);
    }
    b.add_date_field(f::PUBLISHED, INDEXED | STORED | FAST);
    b.add_text_field(f::VISIBILITY, STRING);
    b.build()
}

/// Registers Kura's analyzers on an index.
pub(crate) fn register(index: &Index) {
    let tokenizers: &TokenizerManager = index.tokenizers();
    tokenizers.register(
        EN,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(60))
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build(),
    );
    let ngrams = NgramTokenizer::new(1, 2, false)
        .unwrap_or_else(|_| NgramTokenizer::all_ngrams(1, 2).expect("valid ngram bounds"));
    tokenizers.register(CJK, TextAnalyzer::builder(ngrams).filter(LowerCaser).build());
}
