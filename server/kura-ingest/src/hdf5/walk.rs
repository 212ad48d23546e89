//! Walks the group hierarchy once: attributes and small values into a metadata tree, datasets
//! into table plans. Objects reachable by several links are read once (the others point to the
//! first path), external links are never followed (they name other files on the reading host),
//! and depth and object counts are capped so a hostile file cannot make the walk unbounded.

use std::collections::{HashMap, HashSet};

use hdf5_metno::{Dataset, Group, IndexType, IterationOrder, LinkType, Location, LocationType};
use serde_json::{Map, Value, json};

use super::values::{Kind, json_values, nest, read_array};
use crate::ReadError;

/// Deepest group nesting followed.
const MAX_DEPTH: usize = 64;
/// Most links visited in one file.
const MAX_OBJECTS: usize = 100_000;
/// Most elements an attribute may have to be read (attributes are read whole).
const MAX_ATTR_ELEMENTS: usize = 100_000;
/// Most bytes an attribute may take once read (fixed-length strings are buffered at their size).
const MAX_ATTR_BYTES: usize = 16 * 1024 * 1024;
/// Most attributes read per object.
const MAX_ATTRS: usize = 1_000;
/// Widest 2-D dataset written one row per row; wider ones go to long format.
pub(super) const MAX_WIDTH: usize = 1_024;
/// Most searchable text collected.
const MAX_TEXT: usize = 256 * 1024;

/// A dataset that becomes (part of) a table.
#[derive(Debug, Clone)]
pub(super) struct DatasetPlan {
    /// Absolute path in the file.
    pub path: String,
    /// Link name, the column label.
    pub name: String,
    pub kind: Kind,
    pub shape: Vec<usize>,
    /// The NeXus `units` attribute.
    pub unit: Option<String>,
    /// The NeXus `long_name` attribute.
    pub long_name: Option<String>,
    /// Bytes the dataset takes in the file, for progress.
    pub storage: u64,
}

/// How one table is made.
#[derive(Debug, Clone)]
pub(super) enum TablePlan {
    /// 1-D datasets of one length side by side, one column each.
    Columns { name: String, rows: usize, columns: Vec<DatasetPlan> },
    /// A 2-D dataset, one row per row, columns `col_0`...
    Matrix { name: String, dataset: DatasetPlan },
    /// A wide 2-D or higher-rank dataset: one row per element with its indices.
    Long { name: String, dataset: DatasetPlan },
}

pub(super) struct Walk {
    pub tables: Vec<TablePlan>,
    pub warnings: Vec<String>,
    pub text: String,
    pub objects: usize,
    seen: HashMap<String, String>,
    table_names: HashSet<String>,
}

fn h5(context: &str, e: hdf5_metno::Error) -> ReadError {
    ReadError::Malformed { format: "hdf5", message: format!("{context}: {e}") }
}

fn child_path(parent: &str, name: &str) -> String {
    if parent == "/" { format!("/{name}") } else { format!("{parent}/{name}") }
}

/// A short URL-safe table name from an HDF5 path (`/entry/data` → `entry_data`).
pub(super) fn slug(path: &str) -> String {
    let mut out = String::new();
    for c in path.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' };
        if !(c == '_' && (out.is_empty() || out.ends_with('_'))) {
            out.push(c);
        }
    }
    let mut out: String = out.trim_end_matches('_').chars().take(60).collect();
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() { "data".into() } else { out }
}

/// A string attribute value, when the node has one (`@units`, `@long_name`).
fn string_attr(node: &Map<String, Value>, name: &str) -> Option<String> {
    match node.get(&format!("@{name}"))? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) if a.len() == 1 => a[0].as_str().map(str::to_string),
        _ => None,
    }
}

/// NeXus axis names of an NXdata group: `@axes` as a list, or one string split on `:`/`,`.
fn axes(node: &Map<String, Value>) -> Vec<String> {
    match node.get("@axes") {
        Some(Value::String(s)) => s.split([':', ',']).map(|a| a.trim().to_string()).collect(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => vec![],
    }
}

impl Walk {
    pub(super) fn new() -> Self {
        Walk {
            tables: vec![],
            warnings: vec![],
            text: String::new(),
            objects: 0,
            seen: HashMap::new(),
            table_names: HashSet::new(),
        }
    }

    fn add_text(&mut self, s: &str) {
        let s = s.trim();
        if !s.is_empty() && self.text.len() + s.len() < MAX_TEXT {
            if !self.text.is_empty() {
                self.text.push('\n');
            }
            self.text.push_str(s);
        }
    }

    fn unique(&mut self, name: String) -> String {
        let mut candidate = name.clone();
        let mut n = 2;
        while !self.table_names.insert(candidate.clone()) {
            candidate = format!("{name}_{n}");
            n += 1;
        }
        candidate
    }

    /// Attributes of `loc` as `@name` keys of `node`; unreadable ones are warned about.
    fn attributes(&mut self, loc: &Location, path: &str, node: &mut Map<String, Value>) {
        let names = match loc.attr_names() {
            Ok(names) => names,
            Err(e) => {
                self.warnings.push(format!("attributes of {path} unreadable: {e}"));
                return;
            }
        };
        if names.len() > MAX_ATTRS {
            self.warnings.push(format!("{path} has {} attributes, the first {MAX_ATTRS} read", names.len()));
        }
        for name in names.into_iter().take(MAX_ATTRS) {
            match attribute(loc, &name) {
                Ok(value) => {
                    if let Value::String(s) = &value {
                        self.add_text(s);
                    }
                    node.insert(format!("@{name}"), value);
                }
                Err(reason) => self.warnings.push(format!("attribute {name} of {path} skipped: {reason}")),
            }
        }
    }

    /// Visits `group` at `path`, returning its node of the metadata tree.
    pub(super) fn visit_group(
        &mut self,
        group: &Group,
        path: &str,
        depth: usize,
    ) -> Result<Map<String, Value>, ReadError> {
        let mut node = Map::new();
        self.attributes(group, path, &mut node);
        let links =
            group.links(IndexType::Name, IterationOrder::Increasing).map_err(|e| h5(&format!("group {path}"), e))?;
        let mut datasets = Vec::new();
        for (name, info) in links {
            let child = child_path(path, &name);
            self.objects += 1;
            if self.objects > MAX_OBJECTS {
                if self.objects == MAX_OBJECTS + 1 {
                    self.warnings.push(format!("more than {MAX_OBJECTS} objects: the rest, from {child} on, not read"));
                }
                break;
            }
            if info.link_type == LinkType::External {
                self.warnings.push(format!("external link {child} not followed"));
                node.insert(name, json!({"@external_link": true}));
                continue;
            }
            let loc = match group.loc_info_by_name(&name) {
                Ok(loc) => loc,
                Err(e) => {
                    self.warnings.push(format!("link {child} leads nowhere: {e}"));
                    node.insert(name, json!({"@dangling_link": true}));
                    continue;
                }
            };
            let key = format!("{:?}", loc.token);
            if let Some(first) = self.seen.get(&key) {
                node.insert(name, json!({"@link": first}));
                continue;
            }
            self.seen.insert(key, child.clone());
            match loc.loc_type {
                LocationType::Group if depth >= MAX_DEPTH => {
                    self.warnings.push(format!("group {child} nested deeper than {MAX_DEPTH}: not read"));
                }
                LocationType::Group => {
                    let g = group.group(&name).map_err(|e| h5(&format!("group {child}"), e))?;
                    let sub = self.visit_group(&g, &child, depth + 1)?;
                    node.insert(name, Value::Object(sub));
                }
                LocationType::Dataset => {
                    let ds = group.dataset(&name).map_err(|e| h5(&format!("dataset {child}"), e))?;
                    let (value, plan) = self.dataset(&ds, &child, &name)?;
                    node.insert(name, Value::Object(value));
                    datasets.extend(plan);
                }
                #[allow(unreachable_patterns)]
                _ => {
                    node.insert(name, json!({"@named_datatype": true}));
                }
            }
        }
        let placed = self.plan_tables(path, &node, datasets);
        for (name, table) in placed {
            if let Some(Value::Object(ds)) = node.get_mut(&name) {
                ds.insert("table".into(), Value::String(table));
            }
        }
        Ok(node)
    }

    /// A dataset's node; scalars and single strings are read into it, arrays are planned.
    fn dataset(
        &mut self,
        ds: &Dataset,
        path: &str,
        name: &str,
    ) -> Result<(Map<String, Value>, Option<DatasetPlan>), ReadError> {
        let mut node = Map::new();
        self.attributes(ds, path, &mut node);
        let shape = ds.shape();
        node.insert("shape".into(), json!(shape));
        let kind = ds.dtype().and_then(|t| t.to_descriptor()).map_err(|e| e.to_string()).and_then(|d| Kind::of(&d));
        let kind = match kind {
            Ok(kind) => kind,
            Err(reason) => {
                self.warnings.push(format!("dataset {path} skipped: {reason} is not supported"));
                node.insert("unsupported".into(), Value::String(reason));
                return Ok((node, None));
            }
        };
        node.insert("dtype".into(), kind.name().into());
        let size = shape.iter().try_fold(1usize, |a, d| a.checked_mul(*d));
        if shape.is_empty() || (kind.is_string() && size == Some(1)) {
            let array = read_array(ds, kind, None).map_err(|e| h5(&format!("dataset {path}"), e))?;
            let value = json_values(&array).into_iter().next().unwrap_or(Value::Null);
            if let Value::String(s) = &value {
                self.add_text(s);
            }
            node.insert("value".into(), value);
            return Ok((node, None));
        }
        if size.is_none_or(|s| s == 0) && shape.len() > 1 {
            // Nothing to tabulate: no values are lost.
            return Ok((node, None));
        }
        let plan = DatasetPlan {
            path: path.to_string(),
            name: name.to_string(),
            kind,
            shape,
            unit: string_attr(&node, "units"),
            long_name: string_attr(&node, "long_name"),
            storage: ds.storage_size(),
        };
        Ok((node, Some(plan)))
    }

    /// Groups the datasets of one group into tables; returns which table each dataset went to.
    fn plan_tables(
        &mut self,
        group_path: &str,
        group: &Map<String, Value>,
        datasets: Vec<DatasetPlan>,
    ) -> Vec<(String, String)> {
        let axes = axes(group);
        let signal = string_attr(group, "signal");
        // NeXus order: axes first, then the signal, then the rest as the file lists them.
        let rank = |d: &DatasetPlan| match axes.iter().position(|a| *a == d.name) {
            Some(i) => i,
            None if signal.as_deref() == Some(d.name.as_str()) => axes.len(),
            None => axes.len() + 1,
        };
        let mut by_length: Vec<(usize, Vec<DatasetPlan>)> = Vec::new();
        let mut placed = Vec::new();
        let mut others = Vec::new();
        for d in datasets {
            if d.shape.len() == 1 {
                match by_length.iter_mut().find(|(n, _)| *n == d.shape[0]) {
                    Some((_, members)) => members.push(d),
                    None => by_length.push((d.shape[0], vec![d])),
                }
            } else {
                others.push(d);
            }
        }
        let base = slug(group_path);
        let mut first_shared = true;
        for (rows, mut members) in by_length {
            let name = if members.len() > 1 {
                members.sort_by_key(|d| rank(d));
                let name = if first_shared { base.clone() } else { format!("{base}_{rows}") };
                first_shared = false;
                name
            } else {
                slug(&members[0].path)
            };
            let name = self.unique(name);
            placed.extend(members.iter().map(|d| (d.name.clone(), name.clone())));
            self.tables.push(TablePlan::Columns { name, rows, columns: members });
        }
        for d in others {
            let name = self.unique(slug(&d.path));
            placed.push((d.name.clone(), name.clone()));
            if d.shape.len() == 2 && d.shape[1] <= MAX_WIDTH {
                self.tables.push(TablePlan::Matrix { name, dataset: d });
            } else {
                if d.shape.len() == 2 {
                    self.warnings.push(format!(
                        "dataset {} has {} columns (more than {MAX_WIDTH}): written in long format (row, col, value)",
                        d.path, d.shape[1]
                    ));
                }
                self.tables.push(TablePlan::Long { name, dataset: d });
            }
        }
        placed
    }
}

/// One attribute as JSON: scalars as values, arrays nested by shape.
fn attribute(loc: &Location, name: &str) -> Result<Value, String> {
    let attr = loc.attr(name).map_err(|e| e.to_string())?;
    let desc = attr.dtype().and_then(|t| t.to_descriptor()).map_err(|e| e.to_string())?;
    let kind = Kind::of(&desc).map_err(|reason| format!("{reason} is not supported"))?;
    let shape = attr.shape();
    let size = shape.iter().try_fold(1usize, |a, d| a.checked_mul(*d));
    if size.is_none_or(|s| s > MAX_ATTR_ELEMENTS || s.saturating_mul(kind.buffered_bytes()) > MAX_ATTR_BYTES) {
        return Err(format!("shape {shape:?} is larger than {MAX_ATTR_ELEMENTS} elements or {MAX_ATTR_BYTES} bytes"));
    }
    let array = read_array(&attr, kind, None).map_err(|e| e.to_string())?;
    Ok(nest(json_values(&array), &shape))
}
