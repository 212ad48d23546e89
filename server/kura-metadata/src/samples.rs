//! Sample views: an open dataset with tables, an embargoed one with raw files only, a consortium
//! one with a masked column and a restricted one, all with English and Japanese titles. Used by
//! the tests, the `write_samples` example (conformance checks) and as a reference for the
//! integration that fills views from the catalog.

use chrono::{DateTime, TimeZone, Utc};

use crate::profile::*;
use crate::view::*;

const BASE: &str = "https://kura.example.org";

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 30, 0).single().expect("valid sample date")
}

fn ls(lang: &str, value: &str) -> LangString {
    LangString::new(lang, value)
}

fn services() -> ServiceView {
    ServiceView {
        api_url: format!("{BASE}/api/v1"),
        api_description_url: Some(format!("{BASE}/api/v1/openapi.json")),
        flight_url: Some("grpc+tls://kura.example.org:50051".into()),
        catalog_name: "Kura demo node".into(),
        catalog_url: format!("{BASE}/catalog"),
    }
}

fn tokyo() -> Organization {
    Organization { name: "The University of Tokyo".into(), ror: Some("https://ror.org/057zh3y96".into()) }
}

fn kyoto() -> Organization {
    Organization { name: "Kyoto University".into(), ror: Some("https://ror.org/02kpeqv85".into()) }
}

fn owner(org: Organization) -> OwnerView {
    OwnerView { group_id: "g-spectro".into(), group_name: "Spectroscopy Lab".into(), organization: org }
}

fn carberry() -> Agent {
    Agent {
        kind: AgentKind::Person,
        name: "Carberry, Josiah".into(),
        given_name: Some("Josiah".into()),
        family_name: Some("Carberry".into()),
        orcid: Some("0000-0002-1825-0097".into()),
        ror: None,
        affiliations: vec![tokyo()],
    }
}

fn yamada() -> Agent {
    Agent {
        kind: AgentKind::Person,
        name: "Yamada, Hanako".into(),
        given_name: Some("Hanako".into()),
        family_name: Some("Yamada".into()),
        orcid: None,
        ror: None,
        affiliations: vec![kyoto()],
    }
}

fn dataset(name: &str, access: AccessLevel, metadata: Metadata) -> DatasetView {
    let pid = format!("{BASE}/pid/{name}");
    DatasetView {
        id: format!("ds-{name}"),
        name: name.into(),
        pid_url: pid,
        landing_url: format!("{BASE}/datasets/{name}/versions/1"),
        version: 1,
        created: at(2025, 3, 1),
        published: Some(at(2025, 3, 14)),
        modified: at(2025, 3, 14),
        owner: owner(tokyo()),
        access,
        license: None,
        terms: None,
        metadata,
        files: vec![],
        tables: vec![],
        services: services(),
        as_of: at(2025, 6, 1),
        include_masked: false,
        derivation: None,
    }
}

fn file(ds: &str, path: &str, media_type: &str, size: u64, sha_byte: char) -> FileView {
    FileView {
        path: path.into(),
        media_type: media_type.into(),
        size,
        sha256: sha_byte.to_string().repeat(64),
        download_url: format!("{BASE}/api/v1/datasets/{ds}/versions/1/files/{}", crate::percent::path(path)),
    }
}

fn column(name: &str, label: &str, ucum: Option<&str>, qudt: Option<&str>, concept: Option<&str>) -> ColumnView {
    ColumnView {
        name: name.into(),
        original_label: Some(label.into()),
        data_type: "Float64".into(),
        unit: ucum.map(Into::into),
        ucum: ucum.map(Into::into),
        qudt: qudt.map(Into::into),
        concept: concept.map(Into::into),
        description: None,
        masked: false,
    }
}

fn table(ds: &str, name: &str, source: &str, columns: Vec<ColumnView>) -> TableView {
    TableView {
        name: name.into(),
        parquet_url: format!("{BASE}/api/v1/datasets/{ds}/versions/1/tables/{name}/parquet"),
        api_url: format!("{BASE}/api/v1/datasets/{ds}/versions/1/tables/{name}"),
        row_count: 1201,
        byte_size: Some(20_480),
        sha256: Some("ab".repeat(32)),
        columns,
        provenance: Some(ProvenanceView {
            reader: "csv".into(),
            reader_version: "0.1.0".into(),
            source_path: source.into(),
            source_sha256: "c".repeat(64),
            started: at(2025, 3, 1),
            ended: at(2025, 3, 1) + chrono::Duration::seconds(4),
            started_by: Some("https://orcid.org/0000-0002-1825-0097".into()),
        }),
    }
}

/// Open, DOI, two tables' worth of metadata (one table), funding, coverage, related paper.
pub fn open_uvvis() -> DatasetView {
    let md = Metadata {
        titles: vec![
            ls("en", "UV-Vis spectra of methylene blue in water"),
            ls("ja", "水中のメチレンブルーの紫外可視吸収スペクトル"),
        ],
        descriptions: vec![
            ls(
                "en",
                "Absorbance spectra of aqueous methylene blue from 200 to 800 nm at five concentrations, measured at 25 °C with a double-beam spectrophotometer.",
            ),
            ls(
                "ja",
                "メチレンブルー水溶液の吸光度スペクトル（200〜800 nm、5 濃度）。ダブルビーム分光光度計を用い、25 °C で測定した。各濃度について三回測定し平均した値を含む。",
            ),
        ],
        creators: vec![carberry(), yamada()],
        contributors: vec![Contributor { agent: yamada(), role: "DataCurator".into() }],
        keywords: vec![ls("en", "UV-Vis spectroscopy"), ls("en", "methylene blue"), ls("ja", "紫外可視分光法")],
        subjects: vec![Subject { scheme: "FOS".into(), code: "1.4".into() }],
        license: Some("CC-BY-4.0".into()),
        funding: vec![Funding {
            funder_name: "Japan Society for the Promotion of Science".into(),
            funder_identifier: Some("https://doi.org/10.13039/501100001691".into()),
            funder_identifier_type: Some("Crossref Funder ID".into()),
            award_number: Some("JP21H01234".into()),
            award_title: Some("Dye photophysics in confined water".into()),
            award_uri: None,
        }],
        related_identifiers: vec![RelatedIdentifier {
            identifier: "10.1234/jpc.2025.0042".into(),
            identifier_type: "DOI".into(),
            relation_type: "IsSupplementTo".into(),
        }],
        temporal_coverage: Some(TemporalCoverage {
            start: chrono::NaiveDate::from_ymd_opt(2025, 1, 10).expect("date"),
            end: chrono::NaiveDate::from_ymd_opt(2025, 2, 20),
        }),
        spatial_coverage: Some(SpatialCoverage {
            place: "Hongo campus, The University of Tokyo".into(),
            point: Some(Point { latitude: 35.7126, longitude: 139.7620 }),
            bbox: None,
        }),
        instruments: vec![Instrument {
            name: "Shimadzu UV-2600i".into(),
            identifier: None,
            manufacturer: Some("Shimadzu".into()),
        }],
        samples: vec![Sample { name: "methylene blue 10 µM".into(), identifier: None, description: None }],
        methods: vec![
            ls("en", "Quartz cuvette, 10 mm path, baseline with pure water."),
            ls("ja", "石英セル（光路長 10 mm）、純水でベースライン補正。"),
        ],
        variables_measured: vec![],
        language: Some("en".into()),
        version: Some("1.0".into()),
        publisher: None,
        doi: Some("10.82433/kura-demo-uvvis".into()),
        contact: Some(Contact {
            name: "Josiah Carberry".into(),
            email: Some("carberry@example.org".into()),
            url: None,
        }),
    };
    let mut view = dataset("demo-uvvis", AccessLevel::Open, md);
    view.files = vec![file("demo-uvvis", "raw/mb_10uM.csv", "text/csv", 48_213, 'c')];
    view.tables = vec![table(
        "demo-uvvis",
        "uvvis-methylene-blue",
        "raw/mb_10uM.csv",
        vec![
            column(
                "wavelength",
                "Wavelength (nm)",
                Some("nm"),
                Some("http://qudt.org/vocab/unit/NanoM"),
                Some("http://qudt.org/vocab/quantitykind/Wavelength"),
            ),
            column(
                "absorbance",
                "Abs",
                Some("1"),
                Some("http://qudt.org/vocab/unit/UNITLESS"),
                Some("http://qudt.org/vocab/quantitykind/Absorbance"),
            ),
        ],
    )];
    view
}

/// Embargoed until 2099, raw files only (no tables), Japanese first.
pub fn embargoed_raw() -> DatasetView {
    let md = Metadata {
        titles: vec![
            ls("ja", "FeO 薄膜の X 線光電子分光（XPS）生データ"),
            ls("en", "Raw XPS spectra of FeO thin films"),
        ],
        descriptions: vec![
            ls(
                "ja",
                "パルスレーザー堆積法で作製した FeO 薄膜の Fe 2p および O 1s 領域の XPS 測定データ。装置のネイティブ形式のまま保存している。",
            ),
            ls(
                "en",
                "Fe 2p and O 1s XPS spectra of FeO thin films grown by pulsed laser deposition, kept in the instrument's native export format.",
            ),
        ],
        creators: vec![yamada()],
        keywords: vec![ls("en", "XPS"), ls("ja", "酸化鉄")],
        subjects: vec![Subject { scheme: "FOS".into(), code: "2.5".into() }],
        license: Some("CC-BY-NC-4.0".into()),
        temporal_coverage: Some(TemporalCoverage {
            start: chrono::NaiveDate::from_ymd_opt(2024, 11, 1).expect("date"),
            end: None,
        }),
        spatial_coverage: Some(SpatialCoverage {
            place: "Yoshida campus, Kyoto University".into(),
            point: None,
            bbox: Some(BoundingBox { west: 135.77, east: 135.79, south: 35.02, north: 35.03 }),
        }),
        variables_measured: vec!["binding energy".into(), "photoelectron counts".into()],
        language: Some("ja".into()),
        ..Metadata::default()
    };
    let mut view = dataset("feo-xps", AccessLevel::Embargoed { until: at(2099, 1, 1) }, md);
    view.owner = owner(kyoto());
    view.files = vec![
        file("feo-xps", "Fe2p.vms", "application/octet-stream", 90_112, 'd'),
        file("feo-xps", "O1s scan #2.vms", "application/octet-stream", 60_001, 'e'),
    ];
    view
}

/// Consortium access, one table with a masked column, policy licence and terms.
pub fn consortium_thermal() -> DatasetView {
    let md = Metadata {
        titles: vec![ls("en", "Thermal log of a tube furnace anneal"), ls("ja", "管状炉アニールの温度ログ")],
        descriptions: vec![
            ls(
                "en",
                "Furnace and sample thermocouple temperatures logged every second during a 2 h anneal at 600 °C under argon.",
            ),
            ls("ja", "アルゴン雰囲気下 600 °C・2 時間のアニール中に毎秒記録した炉内および試料の熱電対温度。"),
        ],
        creators: vec![carberry()],
        keywords: vec![ls("en", "annealing")],
        subjects: vec![
            Subject { scheme: "FOS".into(), code: "2.5".into() },
            Subject { scheme: "FOS".into(), code: "1.3".into() },
        ],
        temporal_coverage: Some(TemporalCoverage {
            start: chrono::NaiveDate::from_ymd_opt(2025, 2, 3).expect("date"),
            end: chrono::NaiveDate::from_ymd_opt(2025, 2, 3),
        }),
        spatial_coverage: Some(SpatialCoverage {
            place: "Kashiwa campus, The University of Tokyo".into(),
            point: None,
            bbox: None,
        }),
        language: Some("en".into()),
        ..Metadata::default()
    };
    let consortium = ConsortiumView {
        id: "c-xrd".into(),
        name: "XRD network".into(),
        agreement_url: Some(format!("{BASE}/consortia/c-xrd/agreement/3")),
        agreement_version: Some("3".into()),
    };
    let mut view = dataset("demo-thermal-log", AccessLevel::Consortium { consortia: vec![consortium] }, md);
    view.license = Some("CC-BY-SA-4.0".into());
    view.terms = Some("cite the source; no redistribution outside the consortium".into());
    view.files = vec![file("demo-thermal-log", "thermal.csv", "text/csv; charset=utf-8", 120_000, 'f')];
    let mut operator = column("operator_id", "Operator", None, None, None);
    operator.data_type = "Utf8".into();
    operator.masked = true;
    view.tables = vec![table(
        "demo-thermal-log",
        "thermal-log",
        "thermal.csv",
        vec![
            column(
                "time",
                "Time [s]",
                Some("s"),
                Some("http://qudt.org/vocab/unit/SEC"),
                Some("http://qudt.org/vocab/quantitykind/Time"),
            ),
            column(
                "temperature",
                "T (°C)",
                Some("Cel"),
                Some("http://qudt.org/vocab/unit/DEG_C"),
                Some("http://qudt.org/vocab/quantitykind/Temperature"),
            ),
            operator,
        ],
    )];
    view.derivation = Some(thermal_derivation());
    view
}

/// The compute job that wrote the thermal log from a table of the UV-Vis sample.
fn thermal_derivation() -> crate::DerivationView {
    crate::DerivationView {
        job_id: "0190a6e4-0000-7000-8000-000000000001".into(),
        job_name: "anneal".into(),
        runner: "sql".into(),
        code: crate::CodeView::Sql { query: "SELECT * FROM spectra".into(), sha256: "d".repeat(64) },
        submitter: crate::AgentView {
            name: "Hanako Sato".into(),
            orcid: Some("https://orcid.org/0000-0002-1825-0097".into()),
        },
        started: Some(at(2025, 3, 1)),
        ended: Some(at(2025, 3, 1) + chrono::Duration::seconds(2)),
        inputs: vec![crate::DerivedInput {
            dataset_id: "ds-demo-uvvis".into(),
            pid_url: format!("{BASE}/pid/demo-uvvis/1"),
            version: 1,
            table: "spectra".into(),
            sha256: "e".repeat(64),
            seen: None,
        }],
    }
}

/// Restricted access, one raw file, organization creator, no spatial point.
pub fn restricted_notebook() -> DatasetView {
    let md = Metadata {
        titles: vec![
            ls("en", "Electronic lab notebook of catalyst screening"),
            ls("ja", "触媒スクリーニングの電子実験ノート"),
        ],
        descriptions: vec![ls(
            "en",
            "Exported electronic lab notebook entries of a catalyst screening campaign, with reaction conditions and yields.",
        )],
        creators: vec![Agent {
            kind: AgentKind::Organization,
            name: "Kyoto University".into(),
            ror: Some("https://ror.org/02kpeqv85".into()),
            ..Agent::default()
        }],
        keywords: vec![ls("en", "catalysis"), ls("ja", "触媒")],
        subjects: vec![Subject { scheme: "FOS".into(), code: "1.4".into() }],
        license: Some("CC0-1.0".into()),
        temporal_coverage: Some(TemporalCoverage {
            start: chrono::NaiveDate::from_ymd_opt(2023, 4, 1).expect("date"),
            end: chrono::NaiveDate::from_ymd_opt(2024, 3, 31),
        }),
        spatial_coverage: Some(SpatialCoverage {
            place: "Katsura campus, Kyoto University".into(),
            point: None,
            bbox: None,
        }),
        variables_measured: vec!["reaction yield".into()],
        related_identifiers: vec![RelatedIdentifier {
            identifier: "978-3-16-148410-0".into(),
            identifier_type: "ISBN".into(),
            relation_type: "IsReferencedBy".into(),
        }],
        ..Metadata::default()
    };
    let mut view = dataset("catalyst-eln", AccessLevel::Restricted, md);
    view.owner = owner(kyoto());
    view.published = None;
    view.files = vec![file("catalyst-eln", "screening.eln", "application/vnd.eln+zip", 1_048_576, 'a')];
    view
}

/// Every sample dataset.
pub fn all() -> Vec<DatasetView> {
    vec![open_uvvis(), embargoed_raw(), consortium_thermal(), restricted_notebook()]
}

/// A catalog page holding the samples.
pub fn catalog() -> CatalogView {
    CatalogView {
        base_url: BASE.into(),
        titles: vec![ls("en", "Kura demo catalog"), ls("ja", "Kura デモカタログ")],
        descriptions: vec![
            ls("en", "Datasets published on the Kura demo node."),
            ls("ja", "Kura デモノードで公開されたデータセット。"),
        ],
        publisher: tokyo(),
        services: services(),
        modified: at(2025, 6, 1),
        datasets: all(),
        page: PageView { offset: 0, limit: 4, total: 9 },
    }
}
