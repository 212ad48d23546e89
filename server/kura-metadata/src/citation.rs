//! Citations of a dataset version in the forms reference managers import: DataCite-style text,
//! BibTeX (`@misc`, as DataCite's own export does for datasets) and RIS (`TY  - DATA`).

use crate::profile::{AgentKind, pick};
use crate::view::DatasetView;

/// "Family, G.; Other, H. (2025). Title (Version 2) [Data set]. Publisher. PID" — the
/// DataCite-recommended data citation.
pub fn citation_text(view: &DatasetView) -> String {
    crate::schema_org::data_citation(view)
}

/// The identifier a citation points at: the DOI as a URL when there is one, else the PID URL.
pub fn cite_as(view: &DatasetView) -> String {
    view.metadata.doi.as_ref().map(|d| format!("https://doi.org/{d}")).unwrap_or_else(|| view.pid_url.clone())
}

fn title(view: &DatasetView) -> &str {
    pick(&view.metadata.titles, "en").map(|t| t.value.as_str()).unwrap_or(&view.name)
}

fn year(view: &DatasetView) -> String {
    view.published.unwrap_or(view.created).format("%Y").to_string()
}

/// A BibTeX `@misc` entry keyed `name_vN`.
pub fn bibtex(view: &DatasetView) -> String {
    let authors: Vec<String> = view
        .metadata
        .creators
        .iter()
        .map(|c| match c.kind {
            // Braces keep an organization's name from being split into given and family names.
            AgentKind::Organization => format!("{{{}}}", bib_escape(&c.name)),
            AgentKind::Person => bib_escape(&c.name),
        })
        .collect();
    let key: String = format!("{}_v{}", view.name, view.version)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut out = format!("@misc{{{key},\n");
    let mut field = |name: &str, value: &str| out.push_str(&format!("  {name} = {{{value}}},\n"));
    if !authors.is_empty() {
        field("author", &authors.join(" and "));
    }
    field("title", &bib_escape(title(view)));
    field("year", &year(view));
    field("publisher", &bib_escape(&view.publisher().name));
    field("version", &view.version.to_string());
    if let Some(doi) = &view.metadata.doi {
        field("doi", &bib_escape(doi));
    }
    field("url", &cite_as(view));
    field("howpublished", "Dataset");
    if let Some(license) = view.license() {
        field("copyright", &bib_escape(license));
    }
    out.push_str("}\n");
    out
}

fn bib_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '{' | '}' | '\\' => {}
            '&' | '%' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// An RIS record of type `DATA`.
pub fn ris(view: &DatasetView) -> String {
    let mut lines = vec!["TY  - DATA".to_string()];
    for creator in &view.metadata.creators {
        lines.push(format!("AU  - {}", one_line(&creator.name)));
    }
    lines.push(format!("TI  - {}", one_line(title(view))));
    lines.push(format!("PY  - {}", year(view)));
    lines.push(format!("PB  - {}", one_line(&view.publisher().name)));
    lines.push(format!("ET  - {}", view.version));
    if let Some(doi) = &view.metadata.doi {
        lines.push(format!("DO  - {doi}"));
    }
    lines.push(format!("UR  - {}", cite_as(view)));
    for k in &view.metadata.keywords {
        lines.push(format!("KW  - {}", one_line(&k.value)));
    }
    if let Some(d) = pick(&view.metadata.descriptions, "en") {
        lines.push(format!("AB  - {}", one_line(&d.value)));
    }
    lines.push("ER  - ".to_string());
    lines.join("\n") + "\n"
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_name_authors_title_and_identifier() {
        let view = crate::samples::open_uvvis();
        let bib = bibtex(&view);
        assert!(bib.starts_with("@misc{"), "{bib}");
        assert!(bib.contains(&view.pid_url) || bib.contains("doi.org"), "{bib}");
        let ris = ris(&view);
        assert!(ris.starts_with("TY  - DATA\n") && ris.ends_with("ER  - \n"), "{ris}");
        assert!(citation_text(&view).contains("[Data set]"));
    }
}
