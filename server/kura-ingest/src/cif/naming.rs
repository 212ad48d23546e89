//! Table and column names for loops, and the units the CIF core dictionary gives to tags.
//!
//! A loop becomes a table named after its category: the mmCIF part before the `.`
//! (`_entity_poly.type` → `entity_poly`), else the longest known core category every tag starts
//! with (`_atom_site_fract_x` → `atom_site`, even in a loop of coordinates only), else the longest
//! common `_`-separated prefix of the tags (a single unknown tag drops its last word). Columns are
//! the rest of the tag (`fract_x`); a tag that is the category itself (`_geom_angle`) keeps its
//! whole name.

/// Core CIF categories that appear as loops, longest-match first in effect.
const CATEGORIES: &[&str] = &[
    "atom_site_aniso",
    "atom_site",
    "atom_type_scat",
    "atom_type",
    "symmetry_equiv_pos",
    "space_group_symop",
    "geom_angle",
    "geom_bond",
    "geom_contact",
    "geom_hbond",
    "geom_torsion",
    "publ_author",
    "publ_body",
    "publ_manuscript_incl",
    "citation_author",
    "citation_editor",
    "citation",
    "refln",
    "reflns_scale",
    "reflns_shell",
    "refine_ls_class",
    "diffrn_refln",
    "diffrn_reflns_class",
    "diffrn_standard_refln",
    "diffrn_scale_group",
    "diffrn_radiation_wavelength",
    "diffrn_attenuator",
    "diffrn_detector",
    "exptl_crystal_face",
    "exptl_crystal",
    "cod_related_entry",
    "audit_author",
    "audit_conform",
    "chemical_conn_atom",
    "chemical_conn_bond",
    "restr_distance",
    "restr_angle",
    "restr_torsion",
    "restr_equal_distance",
    "twin_individual",
];

/// The category of a loop's tags (lowercase, without the leading `_`).
pub(crate) fn category(tags: &[String]) -> String {
    let lower: Vec<String> = tags.iter().map(|t| t.trim_start_matches('_').to_ascii_lowercase()).collect();
    if let Some((cat, _)) = lower[0].split_once('.')
        && lower.iter().all(|t| t.split_once('.').is_some_and(|(c, _)| c == cat))
    {
        return cat.to_string();
    }
    let within = |t: &str, cat: &str| t == cat || t.strip_prefix(cat).is_some_and(|r| r.starts_with('_'));
    let known = CATEGORIES.iter().filter(|c| lower.iter().all(|t| within(t, c))).max_by_key(|c| c.len());
    if let Some(cat) = known {
        return (*cat).to_string();
    }
    let words: Vec<Vec<&str>> = lower.iter().map(|t| t.split('_').collect()).collect();
    let mut common = words[0].len();
    for w in &words[1..] {
        common = common.min(w.iter().zip(&words[0]).take_while(|(a, b)| a == b).count());
    }
    if words.len() == 1 {
        common = common.saturating_sub(1);
    }
    let cat = words[0][..common].join("_");
    if cat.is_empty() { "loop".to_string() } else { cat }
}

/// The column name for `tag` within `category` (see the module docs).
pub(crate) fn column(tag: &str, category: &str) -> String {
    let bare = tag.trim_start_matches('_');
    let rest = bare.get(category.len()..).filter(|_| bare.len() > category.len());
    match rest {
        Some(r) if r.starts_with(['.', '_']) && r.len() > 1 => r[1..].to_string(),
        _ => bare.to_string(),
    }
}

/// A name that is safe in a URL and a file name: ASCII letters, digits, `_` and `-`.
pub(crate) fn url_safe(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    if s.is_empty() { "block".to_string() } else { s }
}

/// Units of tags as the CIF core dictionary defines them (keys lowercase, `.` read as `_`).
/// Fractional coordinates, occupancies and angles' cosines are dimensionless and have none.
const UNITS: &[(&str, &str)] = &[
    ("cell_length_a", "Å"),
    ("cell_length_b", "Å"),
    ("cell_length_c", "Å"),
    ("cell_angle_alpha", "deg"),
    ("cell_angle_beta", "deg"),
    ("cell_angle_gamma", "deg"),
    ("cell_volume", "Å3"),
    ("cell_measurement_temperature", "K"),
    ("cell_measurement_pressure", "kPa"),
    ("cell_measurement_theta_min", "deg"),
    ("cell_measurement_theta_max", "deg"),
    ("cell_measurement_wavelength", "Å"),
    ("diffrn_ambient_temperature", "K"),
    ("diffrn_ambient_pressure", "kPa"),
    ("diffrn_radiation_wavelength", "Å"),
    ("diffrn_radiation_wavelength_wavelength", "Å"),
    ("diffrn_reflns_theta_min", "deg"),
    ("diffrn_reflns_theta_max", "deg"),
    ("diffrn_reflns_theta_full", "deg"),
    ("exptl_crystal_size_max", "mm"),
    ("exptl_crystal_size_mid", "mm"),
    ("exptl_crystal_size_min", "mm"),
    ("exptl_crystal_size_rad", "mm"),
    ("exptl_crystal_density_diffrn", "g/cm3"),
    ("exptl_crystal_density_meas", "g/cm3"),
    ("exptl_absorpt_coefficient_mu", "mm-1"),
    ("refine_ls_d_res_high", "Å"),
    ("refine_ls_d_res_low", "Å"),
    ("reflns_d_resolution_high", "Å"),
    ("reflns_d_resolution_low", "Å"),
    ("atom_site_u_iso_or_equiv", "Å2"),
    ("atom_site_b_iso_or_equiv", "Å2"),
    ("atom_site_cartn_x", "Å"),
    ("atom_site_cartn_y", "Å"),
    ("atom_site_cartn_z", "Å"),
    ("atom_site_aniso_u_11", "Å2"),
    ("atom_site_aniso_u_22", "Å2"),
    ("atom_site_aniso_u_33", "Å2"),
    ("atom_site_aniso_u_12", "Å2"),
    ("atom_site_aniso_u_13", "Å2"),
    ("atom_site_aniso_u_23", "Å2"),
    ("atom_site_aniso_b_11", "Å2"),
    ("atom_site_aniso_b_22", "Å2"),
    ("atom_site_aniso_b_33", "Å2"),
    ("atom_site_aniso_b_12", "Å2"),
    ("atom_site_aniso_b_13", "Å2"),
    ("atom_site_aniso_b_23", "Å2"),
    ("geom_bond_distance", "Å"),
    ("geom_contact_distance", "Å"),
    ("geom_angle", "deg"),
    ("geom_torsion", "deg"),
    ("geom_hbond_distance_dh", "Å"),
    ("geom_hbond_distance_ha", "Å"),
    ("geom_hbond_distance_da", "Å"),
    ("geom_hbond_angle_dha", "deg"),
];

/// The dictionary unit of `tag`, if it has one.
pub(crate) fn unit(tag: &str) -> Option<&'static str> {
    let key = tag.trim_start_matches('_').to_ascii_lowercase().replace('.', "_");
    UNITS.iter().find(|(t, _)| *t == key).map(|(_, u)| *u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_loops_by_category() {
        assert_eq!(category(&tags(&["_atom_site_label", "_atom_site_fract_x"])), "atom_site");
        assert_eq!(category(&tags(&["_atom_site_fract_x", "_atom_site_fract_y"])), "atom_site");
        assert_eq!(category(&tags(&["_atom_site_aniso_label", "_atom_site_aniso_U_11"])), "atom_site_aniso");
        assert_eq!(category(&tags(&["_symmetry_equiv_pos_as_xyz"])), "symmetry_equiv_pos");
        assert_eq!(category(&tags(&["_geom_angle_atom_site_label_1", "_geom_angle"])), "geom_angle");
        assert_eq!(category(&tags(&["_entity_poly.entity_id", "_entity_poly.type"])), "entity_poly");
        assert_eq!(category(&tags(&["_foo_bar_baz", "_foo_bar_qux"])), "foo_bar");
        assert_eq!(category(&tags(&["_foo_bar_baz"])), "foo_bar");
        assert_eq!(category(&tags(&["_a_x", "_b_y"])), "loop");
        assert_eq!(column("_atom_site_U_iso_or_equiv", "atom_site"), "U_iso_or_equiv");
        assert_eq!(column("_geom_angle", "geom_angle"), "geom_angle");
        assert_eq!(column("_entity_poly.type", "entity_poly"), "type");
        assert_eq!(unit("_CELL_LENGTH_A"), Some("Å"));
        assert_eq!(unit("_cell.length_a"), Some("Å"));
        assert_eq!(unit("_atom_site_fract_x"), None);
    }
}
