//! The SPDX licences Kura accepts for datasets: the common data and software licences, embedded
//! so validation needs no network. A licence missing here is refused with a clear rule name; add
//! it to the list (id and name exactly as on spdx.org/licenses).

/// `(SPDX id, full name)` of the accepted licences.
pub const LICENSES: &[(&str, &str)] = &[
    ("CC0-1.0", "Creative Commons Zero v1.0 Universal"),
    ("CC-BY-4.0", "Creative Commons Attribution 4.0 International"),
    ("CC-BY-SA-4.0", "Creative Commons Attribution Share Alike 4.0 International"),
    ("CC-BY-NC-4.0", "Creative Commons Attribution Non Commercial 4.0 International"),
    ("CC-BY-NC-SA-4.0", "Creative Commons Attribution Non Commercial Share Alike 4.0 International"),
    ("CC-BY-ND-4.0", "Creative Commons Attribution No Derivatives 4.0 International"),
    ("CC-BY-NC-ND-4.0", "Creative Commons Attribution Non Commercial No Derivatives 4.0 International"),
    ("CC-BY-3.0", "Creative Commons Attribution 3.0 Unported"),
    ("CC-BY-SA-3.0", "Creative Commons Attribution Share Alike 3.0 Unported"),
    ("CC-BY-2.1-JP", "Creative Commons Attribution 2.1 Japan"),
    ("CC-PDDC", "Creative Commons Public Domain Dedication and Certification"),
    ("PDDL-1.0", "Open Data Commons Public Domain Dedication & License 1.0"),
    ("ODC-By-1.0", "Open Data Commons Attribution License v1.0"),
    ("ODbL-1.0", "Open Data Commons Open Database License v1.0"),
    ("CDLA-Permissive-2.0", "Community Data License Agreement Permissive 2.0"),
    ("CDLA-Sharing-1.0", "Community Data License Agreement Sharing 1.0"),
    ("etalab-2.0", "Etalab Open License 2.0"),
    ("OGL-UK-3.0", "Open Government Licence v3.0"),
    ("DL-DE-BY-2.0", "Data licence Germany – attribution – version 2.0"),
    ("MIT", "MIT License"),
    ("Apache-2.0", "Apache License 2.0"),
    ("BSD-2-Clause", "BSD 2-Clause \"Simplified\" License"),
    ("BSD-3-Clause", "BSD 3-Clause \"New\" or \"Revised\" License"),
    ("GPL-2.0-only", "GNU General Public License v2.0 only"),
    ("GPL-2.0-or-later", "GNU General Public License v2.0 or later"),
    ("GPL-3.0-only", "GNU General Public License v3.0 only"),
    ("GPL-3.0-or-later", "GNU General Public License v3.0 or later"),
    ("LGPL-3.0-only", "GNU Lesser General Public License v3.0 only"),
    ("MPL-2.0", "Mozilla Public License 2.0"),
    ("Unlicense", "The Unlicense"),
];

/// The full name of an accepted SPDX licence id (exact, case-sensitive match).
pub fn license_name(id: &str) -> Option<&'static str> {
    LICENSES.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

/// The linked-data IRI of a licence (`http://spdx.org/licenses/ID`, the form SPDX's own RDF uses).
pub fn license_iri(id: &str) -> String {
    format!("http://spdx.org/licenses/{id}")
}

/// The human-readable page of a licence, for schema.org and DataCite `rightsURI`.
pub fn license_url(id: &str) -> String {
    format!("https://spdx.org/licenses/{id}.html")
}
