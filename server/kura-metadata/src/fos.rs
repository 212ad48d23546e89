//! The subject vocabulary: OECD Fields of Science and Technology (FOS 2007, Frascati), the
//! classification DataCite uses for `subject`, with English and Japanese labels, and each field's
//! nearest theme of the EU data-theme vocabulary (what DCAT-AP expects for `dcat:theme`).

/// One field: code, English label, Japanese label, EU data-theme code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub code: &'static str,
    pub en: &'static str,
    pub ja: &'static str,
    pub theme: &'static str,
}

const fn f(code: &'static str, en: &'static str, ja: &'static str, theme: &'static str) -> Field {
    Field { code, en, ja, theme }
}

/// Every FOS field Kura accepts (the schema's enum lists the same codes).
pub const FIELDS: &[Field] = &[
    f("1", "Natural sciences", "自然科学", "TECH"),
    f("1.1", "Mathematics", "数学", "TECH"),
    f("1.2", "Computer and information sciences", "計算機・情報科学", "TECH"),
    f("1.3", "Physical sciences", "物理科学", "TECH"),
    f("1.4", "Chemical sciences", "化学", "TECH"),
    f("1.5", "Earth and related environmental sciences", "地球科学・環境科学", "ENVI"),
    f("1.6", "Biological sciences", "生物科学", "TECH"),
    f("1.7", "Other natural sciences", "その他の自然科学", "TECH"),
    f("2", "Engineering and technology", "工学・技術", "TECH"),
    f("2.1", "Civil engineering", "土木工学", "TECH"),
    f("2.2", "Electrical engineering, electronic engineering, information engineering", "電気・電子・情報工学", "TECH"),
    f("2.3", "Mechanical engineering", "機械工学", "TECH"),
    f("2.4", "Chemical engineering", "化学工学", "TECH"),
    f("2.5", "Materials engineering", "材料工学", "TECH"),
    f("2.6", "Medical engineering", "医用工学", "HEAL"),
    f("2.7", "Environmental engineering", "環境工学", "ENVI"),
    f("2.8", "Environmental biotechnology", "環境バイオテクノロジー", "ENVI"),
    f("2.9", "Industrial biotechnology", "産業バイオテクノロジー", "TECH"),
    f("2.10", "Nano-technology", "ナノテクノロジー", "TECH"),
    f("2.11", "Other engineering and technologies", "その他の工学・技術", "TECH"),
    f("3", "Medical and health sciences", "医学・健康科学", "HEAL"),
    f("3.1", "Basic medicine", "基礎医学", "HEAL"),
    f("3.2", "Clinical medicine", "臨床医学", "HEAL"),
    f("3.3", "Health sciences", "健康科学", "HEAL"),
    f("3.4", "Health biotechnology", "医療バイオテクノロジー", "HEAL"),
    f("3.5", "Other medical sciences", "その他の医学", "HEAL"),
    f("4", "Agricultural sciences", "農学", "AGRI"),
    f("4.1", "Agriculture, forestry, and fisheries", "農林水産学", "AGRI"),
    f("4.2", "Animal and dairy science", "畜産学・酪農学", "AGRI"),
    f("4.3", "Veterinary science", "獣医学", "AGRI"),
    f("4.4", "Agricultural biotechnology", "農業バイオテクノロジー", "AGRI"),
    f("4.5", "Other agricultural sciences", "その他の農学", "AGRI"),
    f("5", "Social sciences", "社会科学", "SOCI"),
    f("5.1", "Psychology", "心理学", "SOCI"),
    f("5.2", "Economics and business", "経済学・経営学", "ECON"),
    f("5.3", "Educational sciences", "教育学", "EDUC"),
    f("5.4", "Sociology", "社会学", "SOCI"),
    f("5.5", "Law", "法学", "JUST"),
    f("5.6", "Political science", "政治学", "GOVE"),
    f("5.7", "Social and economic geography", "社会・経済地理学", "REGI"),
    f("5.8", "Media and communications", "メディア・コミュニケーション学", "SOCI"),
    f("5.9", "Other social sciences", "その他の社会科学", "SOCI"),
    f("6", "Humanities", "人文学", "EDUC"),
    f("6.1", "History and archaeology", "歴史学・考古学", "EDUC"),
    f("6.2", "Languages and literature", "言語学・文学", "EDUC"),
    f("6.3", "Philosophy, ethics and religion", "哲学・倫理学・宗教学", "EDUC"),
    f("6.4", "Art (arts, history of arts, performing arts, music)", "芸術学", "EDUC"),
    f("6.5", "Other humanities", "その他の人文学", "EDUC"),
];

/// The field with this code.
pub fn field(code: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.code == code)
}

/// English labels of the EU data themes used above.
pub fn theme_label(code: &str) -> &'static str {
    match code {
        "AGRI" => "Agriculture, fisheries, forestry and food",
        "ECON" => "Economy and finance",
        "EDUC" => "Education, culture and sport",
        "ENVI" => "Environment",
        "GOVE" => "Government and public sector",
        "HEAL" => "Health",
        "JUST" => "Justice, legal system and public safety",
        "REGI" => "Regions and cities",
        "SOCI" => "Population and society",
        _ => "Science and technology",
    }
}

/// DataCite's name for the scheme, and the scheme URI it uses.
pub const DATACITE_SCHEME: &str = "Fields of Science and Technology (FOS)";
pub const DATACITE_SCHEME_URI: &str = "http://www.oecd.org/science/inno";
