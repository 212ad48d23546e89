//! The interface language of the HTML pages (English or Japanese) and their message table.
//! `?lang=` wins, then the `lang` cookie, then `Accept-Language`; English otherwise.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use kura_core::negotiate::choose_language;

/// The interface strings of the pages, one table per language (a missing string is a compile
/// error, not a blank on the page).
#[derive(Debug)]
pub struct Messages {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub dataset: &'static str,
    pub version: &'static str,
    pub versions: &'static str,
    pub published: &'static str,
    pub draft: &'static str,
    pub deaccessioned: &'static str,
    pub tombstone_title: &'static str,
    pub tombstone_reason: &'static str,
    pub description: &'static str,
    pub creators: &'static str,
    pub keywords: &'static str,
    pub subjects: &'static str,
    pub license: &'static str,
    pub no_license: &'static str,
    pub access: &'static str,
    pub level_open: &'static str,
    pub level_embargoed: &'static str,
    pub level_consortium: &'static str,
    pub level_restricted: &'static str,
    pub level_closed: &'static str,
    pub you_can_read: &'static str,
    pub you_cannot_read: &'static str,
    pub request_access: &'static str,
    pub sign_in_hint: &'static str,
    pub you_can_edit: &'static str,
    pub files: &'static str,
    pub path: &'static str,
    pub media_type: &'static str,
    pub size: &'static str,
    pub download: &'static str,
    pub tables: &'static str,
    pub rows: &'static str,
    pub column: &'static str,
    pub original_label: &'static str,
    pub data_type: &'static str,
    pub unit: &'static str,
    pub provenance: &'static str,
    pub provenance_line: &'static str,
    pub citation: &'static str,
    pub machine_readable: &'static str,
    pub identifier: &'static str,
    pub current: &'static str,
    pub none: &'static str,
    pub first_rows: &'static str,
}

pub static EN: Messages = Messages {
    lang: "en",
    other_lang: "ja",
    dataset: "Dataset",
    version: "Version",
    versions: "Versions",
    published: "Published",
    draft: "Draft (visible to the owner group only)",
    deaccessioned: "Deaccessioned",
    tombstone_title: "This version has been withdrawn",
    tombstone_reason: "Reason",
    description: "Description",
    creators: "Creators",
    keywords: "Keywords",
    subjects: "Subjects",
    license: "License",
    no_license: "No license given",
    access: "Access",
    level_open: "Open access",
    level_embargoed: "Embargoed until",
    level_consortium: "Consortium members only",
    level_restricted: "Restricted: on request",
    level_closed: "Closed",
    you_can_read: "You may download the data.",
    you_cannot_read: "You may not download the data yet.",
    request_access: "Signed-in users may request access below (or with POST /api/v1/datasets/{name}/access-requests).",
    sign_in_hint: "Sign in to request access or to use your consortium membership.",
    you_can_edit: "You may edit this dataset (you are in its owner group).",
    files: "Files",
    path: "Path",
    media_type: "Media type",
    size: "Size (bytes)",
    download: "Download",
    tables: "Tables",
    rows: "rows",
    column: "Column",
    original_label: "Original label",
    data_type: "Type",
    unit: "Unit",
    provenance: "Provenance",
    provenance_line: "read by",
    citation: "Cite this dataset",
    machine_readable: "Machine-readable metadata",
    identifier: "Persistent identifier",
    current: "this version",
    none: "none",
    first_rows: "First rows",
};

pub static JA: Messages = Messages {
    lang: "ja",
    other_lang: "en",
    dataset: "データセット",
    version: "バージョン",
    versions: "バージョン一覧",
    published: "公開日",
    draft: "下書き（所有グループのみ閲覧可）",
    deaccessioned: "公開取り下げ",
    tombstone_title: "このバージョンは取り下げられました",
    tombstone_reason: "理由",
    description: "説明",
    creators: "作成者",
    keywords: "キーワード",
    subjects: "分野",
    license: "ライセンス",
    no_license: "ライセンスの指定なし",
    access: "アクセス",
    level_open: "オープンアクセス",
    level_embargoed: "エンバーゴ期限",
    level_consortium: "コンソーシアム会員限定",
    level_restricted: "制限付き（申請制）",
    level_closed: "非公開",
    you_can_read: "データをダウンロードできます。",
    you_cannot_read: "現在データはダウンロードできません。",
    request_access: "サインインすると下のフォーム（または POST /api/v1/datasets/{name}/access-requests）でアクセスを申請できます。",
    sign_in_hint: "アクセス申請やコンソーシアム会員としての利用にはサインインしてください。",
    you_can_edit: "所有グループのメンバーとしてこのデータセットを編集できます。",
    files: "ファイル",
    path: "パス",
    media_type: "メディアタイプ",
    size: "サイズ（バイト）",
    download: "ダウンロード",
    tables: "テーブル",
    rows: "行",
    column: "列",
    original_label: "元のラベル",
    data_type: "型",
    unit: "単位",
    provenance: "来歴",
    provenance_line: "読み取り",
    citation: "引用",
    machine_readable: "機械可読メタデータ",
    identifier: "永続識別子",
    current: "このバージョン",
    none: "なし",
    first_rows: "先頭の行",
};

/// The interface languages, the default first.
const LANGUAGES: &[&str] = &["en", "ja"];

/// The cookie that remembers a reader's choice of language.
pub const LANG_COOKIE: &str = "lang";

/// The message table for a language tag.
pub fn messages(lang: &str) -> &'static Messages {
    if lang == "ja" { &JA } else { &EN }
}

/// The language of this request: `?lang=`, the `lang` cookie, `Accept-Language`, else English.
pub fn choose(query_lang: Option<&str>, headers: &HeaderMap) -> &'static str {
    // `?lang=` and the cookie are read like a one-range `Accept-Language`: `ja-JP` means `ja`.
    let known = |l: &str| choose_language(l, LANGUAGES);
    let cookie = crate::cookies::get(headers, LANG_COOKIE);
    let accept_language = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    query_lang
        .and_then(known)
        .or_else(|| cookie.as_deref().and_then(known))
        .or_else(|| choose_language(accept_language, LANGUAGES))
        .unwrap_or("en")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use axum::http::header::COOKIE;

    #[test]
    fn query_beats_cookie_beats_accept_language() {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("ja-JP,ja;q=0.9,en;q=0.8"));
        assert_eq!(choose(None, &h), "ja");
        h.insert(COOKIE, HeaderValue::from_static("session=x; lang=en"));
        assert_eq!(choose(None, &h), "en");
        assert_eq!(choose(Some("ja"), &h), "ja");
        assert_eq!(choose(None, &HeaderMap::new()), "en");
        assert_eq!(choose(Some("ja-JP"), &HeaderMap::new()), "ja");
        // q=0 refuses a language and `*` takes what is left (`*` used to be ignored, so a refused
        // English was still chosen as the default).
        let mut refused = HeaderMap::new();
        refused.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("ja;q=0, *"));
        assert_eq!(choose(None, &refused), "en");
        refused.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en;q=0, *;q=0.5"));
        assert_eq!(choose(None, &refused), "ja");
    }
}
