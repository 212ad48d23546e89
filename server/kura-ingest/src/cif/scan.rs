//! First pass: single items into per-block metadata and searchable text, and for every loop its
//! table name, tags and column types — without keeping the loop's values, so memory stays bounded
//! by one row whatever the file size.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value as Json, json};

use super::lexer::{Kind, Value};
use super::naming;
use super::number;
use super::parser::Handler;
use crate::ReadError;

/// Searchable text kept at most, in bytes; the rest is in the metadata anyway.
const TEXT_LIMIT: usize = 4 * 1024 * 1024;

/// Arrow type chosen for a loop column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColType {
    Int,
    Float,
    Text,
}

/// One loop column as it will be written.
#[derive(Debug, Clone)]
pub(crate) struct ColumnPlan {
    pub name: String,
    pub tag: String,
    pub ty: ColType,
    /// Whether a `<name>_su` column follows with the standard uncertainties.
    pub su: bool,
    pub unit: Option<&'static str>,
}

/// One loop as it will be written.
#[derive(Debug, Clone)]
pub(crate) struct LoopPlan {
    pub table: String,
    pub columns: Vec<ColumnPlan>,
    pub rows: u64,
    block: usize,
    save: Option<String>,
    category: String,
}

#[derive(Debug, Clone)]
struct Stats {
    non_null: u64,
    numeric: bool,
    integer: bool,
    su: bool,
}

/// Tag → value, as stored in the metadata.
type Items = Map<String, Json>;

#[derive(Debug, Default)]
struct Block {
    name: String,
    items: Map<String, Json>,
    su: Map<String, Json>,
    units: Map<String, Json>,
    /// Save frame name → its items and their uncertainties.
    saves: BTreeMap<String, (Items, Items)>,
}

/// What the first pass learned.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    blocks: Vec<Block>,
    save: Option<String>,
    pub loops: Vec<LoopPlan>,
    stats: Vec<Stats>,
    pub text: String,
    pub warnings: Vec<String>,
}

impl Scan {
    /// Names every table once the number of blocks is known (a prefix only when there are
    /// several), and returns the metadata object.
    pub(crate) fn finish(&mut self) -> Map<String, Json> {
        let several = self.blocks.len() > 1;
        let mut used = HashSet::new();
        let mut per_block: Vec<Vec<Json>> = vec![Vec::new(); self.blocks.len()];
        for plan in &mut self.loops {
            let mut base = String::new();
            if several {
                base.push_str(&naming::url_safe(&self.blocks[plan.block].name));
                base.push('_');
            }
            if let Some(save) = &plan.save {
                base.push_str(&naming::url_safe(save));
                base.push('_');
            }
            base.push_str(&naming::url_safe(&plan.category));
            plan.table = unique(&mut used, &base);
            per_block[plan.block].push(json!(plan.table));
        }
        let mut blocks = Map::new();
        let mut names = HashSet::new();
        for (block, tables) in self.blocks.drain(..).zip(per_block) {
            let mut b = Map::new();
            b.insert("name".into(), json!(block.name));
            b.insert("items".into(), Json::Object(block.items));
            let saves: Map<String, Json> =
                block.saves.into_iter().map(|(name, (items, su))| (name, json!({"items": items, "su": su}))).collect();
            for (key, map) in [("su", block.su), ("units", block.units), ("save_frames", saves)] {
                if !map.is_empty() {
                    b.insert(key.into(), Json::Object(map));
                }
            }
            b.insert("tables".into(), Json::Array(tables));
            blocks.insert(unique(&mut names, &block.name), Json::Object(b));
        }
        let mut meta = Map::new();
        meta.insert("blocks".into(), Json::Object(blocks));
        meta
    }

    fn block_mut(&mut self) -> Result<&mut Block, ReadError> {
        self.blocks.last_mut().ok_or_else(|| super::malformed("content before any data_ block"))
    }

    fn push_text(&mut self, tag: &str, text: &str) {
        let text = text.trim();
        if self.text.len() + text.len() > TEXT_LIMIT {
            if !self.warnings.iter().any(|w| w.starts_with("searchable text")) {
                self.warnings.push(format!("searchable text cut at {TEXT_LIMIT} bytes"));
            }
            return;
        }
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(tag);
        self.text.push_str(": ");
        self.text.push_str(text);
    }
}

fn unique(used: &mut HashSet<String>, base: &str) -> String {
    let mut name = base.to_string();
    let mut n = 1;
    while !used.insert(name.clone()) {
        n += 1;
        name = format!("{base}_{n}");
    }
    name
}

/// A single value as JSON: bare numbers become numbers (su apart), `?` and `.` null, all else text.
pub(crate) fn json_value(value: &Value) -> (Json, Option<f64>) {
    if value.is_null() {
        return (Json::Null, None);
    }
    if value.kind == Kind::Bare
        && let Some(n) = number::parse(&value.text)
    {
        let v = match n.int {
            Some(i) => json!(i),
            None => json!(n.value),
        };
        return (v, n.su);
    }
    (Json::String(value.text.clone()), None)
}

impl Handler for Scan {
    fn block(&mut self, name: &str, _line: u64) -> Result<(), ReadError> {
        self.save = None;
        self.blocks.push(Block { name: name.to_string(), ..Block::default() });
        Ok(())
    }

    fn save(&mut self, name: Option<&str>, _line: u64) -> Result<(), ReadError> {
        self.save = name.map(str::to_string);
        Ok(())
    }

    fn item(&mut self, tag: &str, value: Value, line: u64) -> Result<(), ReadError> {
        let (json, su) = json_value(&value);
        if value.kind == Kind::TextField || (json.is_string() && value.text.contains(' ')) {
            self.push_text(tag, &value.text);
        }
        let save = self.save.clone();
        let block = self.block_mut()?;
        let (items, sus) = match &save {
            Some(frame) => {
                let (items, sus) = block.saves.entry(frame.clone()).or_default();
                (items, sus)
            }
            None => (&mut block.items, &mut block.su),
        };
        if items.contains_key(tag) {
            let message = format!("tag {tag} repeated at line {line} in block {}; the first value is kept", block.name);
            self.warnings.push(message);
            return Ok(());
        }
        items.insert(tag.to_string(), json);
        if let Some(su) = su {
            sus.insert(tag.to_string(), json!(su));
        }
        if save.is_none()
            && let Some(unit) = naming::unit(tag)
        {
            let (ucum, qudt) = crate::units::normalize(unit);
            block.units.insert(tag.to_string(), json!({"unit": unit, "ucum": ucum, "qudt": qudt}));
        }
        Ok(())
    }

    fn loop_start(&mut self, tags: &[String], _line: u64) -> Result<(), ReadError> {
        let block = self.blocks.len().checked_sub(1).ok_or_else(|| super::malformed("loop before any data_ block"))?;
        let category = naming::category(tags);
        let mut seen = HashSet::new();
        let columns = tags
            .iter()
            .map(|tag| {
                let name = unique(&mut seen, &naming::column(tag, &category));
                ColumnPlan { name, tag: tag.clone(), ty: ColType::Text, su: false, unit: naming::unit(tag) }
            })
            .collect();
        self.stats = vec![Stats { non_null: 0, numeric: true, integer: true, su: false }; tags.len()];
        let save = self.save.clone();
        self.loops.push(LoopPlan { table: String::new(), columns, rows: 0, block, save, category });
        Ok(())
    }

    fn loop_row(&mut self, row: &mut Vec<Value>, _consumed: u64) -> Result<(), ReadError> {
        for (stats, value) in self.stats.iter_mut().zip(row.iter()) {
            if value.is_null() {
                continue;
            }
            stats.non_null += 1;
            match (value.kind, number::parse(&value.text)) {
                (Kind::Bare, Some(n)) => {
                    stats.integer &= n.int.is_some();
                    stats.su |= n.su.is_some();
                }
                _ => stats.numeric = false,
            }
        }
        if let Some(plan) = self.loops.last_mut() {
            plan.rows += 1;
        }
        Ok(())
    }

    fn loop_end(&mut self) -> Result<(), ReadError> {
        let Some(plan) = self.loops.last_mut() else { return Ok(()) };
        for (column, stats) in plan.columns.iter_mut().zip(&self.stats) {
            (column.ty, column.su) = match stats {
                s if s.non_null == 0 || !s.numeric => (ColType::Text, false),
                s if s.integer => (ColType::Int, s.su),
                s => (ColType::Float, s.su),
            };
        }
        Ok(())
    }
}
