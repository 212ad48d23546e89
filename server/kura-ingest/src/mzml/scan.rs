//! A pull scanner over an mzML file: hands out one spectrum or chromatogram at a time, with
//! its arrays decoded, and gathers everything outside them (file description, instruments,
//! software, samples, run) into a JSON tree. Only the current record is ever held in memory.
//!
//! Entities: quick-xml never expands custom entities; a DOCTYPE that declares any is refused
//! outright, so a billion-laughs document fails at its first line instead of being half read.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde_json::{Map, Value, json};

use super::binary::{self, Compression, NumberType};
use super::model::{DataArray, Param, Record, RecordKind, acc, array_column};
use crate::ReadError;

/// Deepest element nesting accepted; mzML needs about 12.
const MAX_DEPTH: usize = 256;
/// Most parameters one spectrum may carry.
const MAX_PARAMS: usize = 100_000;
/// Most elements recorded as metadata; later ones are counted, not kept.
const MAX_METADATA_NODES: usize = 100_000;
/// Longest text kept from one metadata element.
const MAX_TEXT: usize = 64 * 1024;
/// Longest run of bytes without markup: a base64 array of `decoded_limit` bytes with room for
/// line breaks.
fn max_run(decoded_limit: u64) -> u64 {
    decoded_limit / 3 * 4 + decoded_limit / 8 + 64 * 1024
}

pub(crate) fn malformed(message: impl Into<String>) -> ReadError {
    ReadError::Malformed { format: "mzml", message: message.into() }
}

/// Bounds how far the XML reader buffers without meeting markup, since quick-xml keeps a whole
/// text node in memory: a file of one endless text node is refused, not loaded.
pub struct Guard<R> {
    inner: R,
    run: u64,
    limit: u64,
    consumed: u64,
}

impl<R: BufRead> std::io::Read for Guard<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Guard<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.run > self.limit {
            return Err(std::io::Error::other(format!(
                "more than {} bytes of text without markup before byte {}",
                self.limit, self.consumed
            )));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buffer) = self.inner.fill_buf() {
            let taken = &buffer[..amount.min(buffer.len())];
            match memchr::memrchr(b'<', taken) {
                Some(i) => self.run = (taken.len() - i - 1) as u64,
                None => self.run += taken.len() as u64,
            }
        }
        self.consumed += amount as u64;
        self.inner.consume(amount);
    }
}

/// How an open element is being handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Recorded as a metadata node.
    Node,
    /// Only tracked (wrappers, lists of records).
    Plain,
    /// Inside `indexList`: byte offsets, derivable from the file itself.
    Skip,
    /// The spectrum or chromatogram element itself.
    Record,
    /// Nested inside a record.
    InRecord,
}

/// A metadata element being built.
struct Node {
    name: String,
    fields: Map<String, Value>,
    items: Vec<Value>,
    text: String,
}

struct ArrayDraft {
    attributes: Vec<(String, String)>,
    params: Vec<Param>,
    text: Vec<u8>,
}

/// The scanner.
pub struct Scanner<R: BufRead> {
    xml: Reader<Guard<R>>,
    buf: Vec<u8>,
    open: Vec<(String, Frame)>,
    nodes: Vec<Node>,
    groups: HashMap<String, Vec<Param>>,
    record: Option<Record>,
    /// Names of the elements open inside the record, for parameter contexts.
    record_path: Vec<String>,
    array: Option<ArrayDraft>,
    in_binary: bool,
    decoded_limit: u64,
    metadata_nodes: usize,
    /// Root element name (`mzML` or `indexedmzML`), once seen.
    pub root: Option<String>,
    /// Counters for the report.
    pub counts: Map<String, Value>,
    /// Searchable text: names and values of the metadata parameters.
    pub text: String,
    pub warnings: Vec<String>,
    finished: bool,
}

impl<R: BufRead> Scanner<R> {
    /// A scanner over `input`; arrays larger than `decoded_limit` bytes are refused.
    pub fn new(input: R, decoded_limit: u64) -> Self {
        let guard = Guard { inner: input, run: 0, limit: max_run(decoded_limit), consumed: 0 };
        let mut xml = Reader::from_reader(guard);
        xml.config_mut().trim_text(false);
        let root = Node { name: String::new(), fields: Map::new(), items: Vec::new(), text: String::new() };
        Scanner {
            xml,
            buf: Vec::new(),
            open: Vec::new(),
            nodes: vec![root],
            groups: HashMap::new(),
            record: None,
            record_path: Vec::new(),
            array: None,
            in_binary: false,
            decoded_limit,
            metadata_nodes: 0,
            root: None,
            counts: Map::new(),
            text: String::new(),
            warnings: Vec::new(),
            finished: false,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.xml.buffer_position()
    }

    /// Everything outside spectra and chromatograms, once the scan is complete.
    pub fn metadata(&mut self) -> Map<String, Value> {
        std::mem::take(&mut self.nodes[0].fields)
    }

    fn at(&self, message: impl std::fmt::Display) -> ReadError {
        match &self.record {
            Some(r) => malformed(format!("{} at byte {}: {message}", r.describe(), self.position())),
            None => malformed(format!("at byte {}: {message}", self.position())),
        }
    }

    /// The next spectrum or chromatogram, or `None` at the end of the document.
    pub fn next_record(&mut self) -> Result<Option<Record>, ReadError> {
        if self.finished {
            return Ok(None);
        }
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.pump(&mut buf);
        self.buf = buf;
        result
    }

    fn pump(&mut self, buf: &mut Vec<u8>) -> Result<Option<Record>, ReadError> {
        loop {
            buf.clear();
            let event = match self.xml.read_event_into(buf) {
                Ok(e) => e,
                Err(e) => return Err(self.at(format!("not well-formed XML: {e}"))),
            };
            match event {
                Event::Start(e) => {
                    if let Some(item) = self.start(&e, false)? {
                        return Ok(Some(item));
                    }
                }
                Event::Empty(e) => {
                    if let Some(item) = self.start(&e, true)? {
                        return Ok(Some(item));
                    }
                }
                Event::End(e) => {
                    let name = e.local_name().as_ref().to_string();
                    if let Some(item) = self.end(&name)? {
                        return Ok(Some(item));
                    }
                }
                Event::Text(t) => {
                    let text = t.xml10_content();
                    self.text_content(&text)?;
                }
                Event::CData(t) => {
                    let text = t.xml10_content();
                    self.text_content(&text)?;
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r.xml10_content()) {
                            Some(s) => s.to_string(),
                            None => {
                                let name = r.xml10_content().into_owned();
                                return Err(self.at(format!("undefined entity &{name}; (entities are not expanded)")));
                            }
                        },
                        Err(e) => return Err(self.at(format!("bad character reference: {e}"))),
                    };
                    self.text_content(&resolved)?;
                }
                Event::DocType(d) => {
                    let decl = d.xml10_content();
                    if decl.contains("<!ENTITY") {
                        return Err(self
                            .at("the document type declaration declares entities; entity expansion is refused \
                             (billion laughs and external entities)"));
                    }
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => {
                    self.finished = true;
                    if let Some((name, _)) = self.open.last() {
                        return Err(self.at(format!("file ends inside <{name}> (truncated)")));
                    }
                    if self.root.is_none() {
                        return Err(malformed("no <mzML> or <indexedmzML> element"));
                    }
                    return Ok(None);
                }
            }
        }
    }

    fn attributes(&self, e: &BytesStart) -> Result<Vec<(String, String)>, ReadError> {
        let mut out = Vec::new();
        for attr in e.attributes() {
            let attr = attr.map_err(|err| self.at(format!("bad attribute: {err}")))?;
            let key = attr.key.local_name().as_ref().to_string();
            if attr.key.as_ref().starts_with("xmlns") {
                continue;
            }
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| self.at(format!("attribute {key}: {err} (entities are not expanded)")))?;
            out.push((key, value.into_owned()));
        }
        Ok(out)
    }

    fn param(&self, name: &str, attributes: Vec<(String, String)>) -> Param {
        let mut p = Param { context: self.context(), ..Param::default() };
        for (k, v) in attributes {
            match k.as_str() {
                "accession" => p.accession = Some(v),
                "name" => p.name = v,
                "value" => p.value = v,
                "unitAccession" => p.unit_accession = Some(v),
                "unitName" => p.unit_name = Some(v),
                "type" => p.value_type = Some(v),
                _ => {}
            }
        }
        if name == "userParam" {
            p.accession = None;
        }
        p
    }

    /// Where inside the record parameters now land: open elements, list wrappers left out.
    fn context(&self) -> String {
        let parts: Vec<&str> = self.record_path.iter().map(String::as_str).filter(|n| !n.ends_with("List")).collect();
        parts.join("/")
    }

    fn start(&mut self, e: &BytesStart, empty: bool) -> Result<Option<Record>, ReadError> {
        let name = e.local_name().as_ref().to_string();
        if self.open.len() >= MAX_DEPTH {
            return Err(self.at(format!("elements nest deeper than {MAX_DEPTH}")));
        }
        let parent = self.open.last().map(|(_, f)| *f);
        let frame = match parent {
            Some(Frame::Skip) => Frame::Skip,
            Some(Frame::Record | Frame::InRecord) => {
                self.record_start(&name, e)?;
                Frame::InRecord
            }
            _ => self.outer_start(&name, e)?,
        };
        self.open.push((name.clone(), frame));
        if empty { self.end(&name) } else { Ok(None) }
    }

    fn outer_start(&mut self, name: &str, e: &BytesStart) -> Result<Frame, ReadError> {
        if self.open.is_empty() {
            if name != "mzML" && name != "indexedmzML" {
                return Err(self.at(format!("the root element is <{name}>, not <mzML> or <indexedmzML>")));
            }
            self.root = Some(name.to_string());
        }
        let attributes = self.attributes(e)?;
        Ok(match name {
            "indexedmzML" => Frame::Plain,
            "mzML" => {
                let fields: Map<String, Value> = attributes.into_iter().map(|(k, v)| (k, json!(v))).collect();
                self.nodes[0].fields.insert("mzML".into(), Value::Object(fields));
                Frame::Plain
            }
            "indexList" | "indexListOffset" => Frame::Skip,
            "spectrumList" | "chromatogramList" => {
                let fields: Map<String, Value> =
                    attributes.into_iter().filter(|(k, _)| k != "count").map(|(k, v)| (k, json!(v))).collect();
                let top = self.nodes.last_mut().expect("root node is never popped");
                top.fields.insert(name.to_string(), Value::Object(fields));
                Frame::Plain
            }
            "spectrum" | "chromatogram" => {
                let kind = if name == "spectrum" { RecordKind::Spectrum } else { RecordKind::Chromatogram };
                let counter = if name == "spectrum" { "spectra" } else { "chromatograms" };
                let position = self.counts.get(counter).and_then(Value::as_i64).unwrap_or(0);
                self.counts.insert(counter.into(), json!(position + 1));
                let mut record = Record {
                    kind,
                    index: position,
                    id: String::new(),
                    attributes: Vec::new(),
                    params: Vec::new(),
                    arrays: Vec::new(),
                    offset: self.position(),
                };
                for (k, v) in attributes {
                    match k.as_str() {
                        "index" => {
                            record.index = v
                                .trim()
                                .parse()
                                .map_err(|_| self.at(format!("{name} index {v:?} is not an integer")))?
                        }
                        "id" => record.id = v,
                        _ => record.attributes.push((k, v)),
                    }
                }
                self.record = Some(record);
                self.record_path.clear();
                Frame::Record
            }
            "cvParam" | "userParam" => {
                let param = self.param(name, attributes);
                self.metadata_param(param);
                Frame::Plain
            }
            "referenceableParamGroupRef" => {
                let reference = attributes.iter().find(|(k, _)| k == "ref").map(|(_, v)| v.clone()).unwrap_or_default();
                for p in self.groups.get(&reference).cloned().unwrap_or_default() {
                    self.metadata_param(p);
                }
                let top = self.nodes.last_mut().expect("root node is never popped");
                top.fields.insert("referenceableParamGroupRef".into(), json!(reference));
                Frame::Plain
            }
            _ => {
                self.metadata_nodes += 1;
                if self.metadata_nodes > MAX_METADATA_NODES {
                    if self.metadata_nodes == MAX_METADATA_NODES + 1 {
                        self.warnings.push(format!("metadata beyond {MAX_METADATA_NODES} elements is not kept"));
                    }
                    return Ok(Frame::Skip);
                }
                let fields = attributes
                    .into_iter()
                    .filter(|(k, _)| !(k == "count" && name.ends_with("List")))
                    .map(|(k, v)| (k, json!(v)))
                    .collect();
                self.nodes.push(Node { name: name.to_string(), fields, items: Vec::new(), text: String::new() });
                Frame::Node
            }
        })
    }

    /// A parameter outside records: attached to the element it sits in, remembered when that
    /// element is a `referenceableParamGroup`, and added to the searchable text.
    fn metadata_param(&mut self, param: Param) {
        if self.text.len() < MAX_TEXT {
            for part in [&param.name, &param.value] {
                if !part.is_empty() {
                    self.text.push_str(part);
                    self.text.push('\n');
                }
            }
        }
        let top = self.nodes.last_mut().expect("root node is never popped");
        if top.name == "referenceableParamGroup"
            && let Some(id) = top.fields.get("id").and_then(Value::as_str)
        {
            let group = self.groups.entry(id.to_string()).or_default();
            if group.len() < MAX_PARAMS {
                group.push(param.clone());
            }
        }
        let key = if param.accession.is_some() { "cvParams" } else { "userParams" };
        let list = top.fields.entry(key).or_insert_with(|| json!([]));
        if let Value::Array(items) = list {
            items.push(param.to_json(false));
        }
    }

    fn record_start(&mut self, name: &str, e: &BytesStart) -> Result<(), ReadError> {
        let attributes = self.attributes(e)?;
        match name {
            "binaryDataArray" => {
                self.array = Some(ArrayDraft { attributes, params: Vec::new(), text: Vec::new() });
            }
            "binary" => self.in_binary = true,
            "cvParam" | "userParam" => {
                let param = self.param(name, attributes);
                self.push_record_param(param)?;
            }
            "referenceableParamGroupRef" => {
                let reference = attributes.iter().find(|(k, _)| k == "ref").map(|(_, v)| v.clone()).unwrap_or_default();
                let Some(group) = self.groups.get(&reference).cloned() else {
                    return Err(self.at(format!("referenceableParamGroupRef {reference:?} names no group")));
                };
                let context = self.context();
                for mut p in group {
                    p.context = context.clone();
                    self.push_record_param(p)?;
                }
            }
            _ => {
                self.record_path.push(name.to_string());
                let context = self.context();
                for (k, v) in attributes {
                    if k == "count" && name.ends_with("List") {
                        continue;
                    }
                    let p = Param { context: context.clone(), name: k, value: v, ..Param::default() };
                    self.push_record_param(p)?;
                }
                return Ok(());
            }
        }
        self.record_path.push(name.to_string());
        Ok(())
    }

    fn push_record_param(&mut self, param: Param) -> Result<(), ReadError> {
        if let Some(array) = &mut self.array {
            array.params.push(param);
            return Ok(());
        }
        let Some(record) = &mut self.record else { return Ok(()) };
        if record.params.len() >= MAX_PARAMS {
            return Err(self.at(format!("more than {MAX_PARAMS} parameters")));
        }
        record.params.push(param);
        Ok(())
    }

    fn text_content(&mut self, text: &str) -> Result<(), ReadError> {
        match self.open.last().map(|(_, f)| *f) {
            Some(Frame::InRecord) if self.in_binary => {
                if let Some(array) = &mut self.array {
                    array.text.extend_from_slice(text.as_bytes());
                }
            }
            Some(Frame::Node) => {
                let top = self.nodes.last_mut().expect("root node is never popped");
                if top.text.len() + text.len() <= MAX_TEXT {
                    top.text.push_str(text);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &str) -> Result<Option<Record>, ReadError> {
        let Some((open, frame)) = self.open.pop() else {
            return Err(self.at(format!("</{name}> closes nothing")));
        };
        if open != name {
            return Err(self.at(format!("</{name}> closes <{open}>")));
        }
        match frame {
            Frame::Node => self.close_node(),
            Frame::InRecord => {
                self.record_path.pop();
                match name {
                    "binary" => self.in_binary = false,
                    "binaryDataArray" => self.finish_array()?,
                    _ => {}
                }
            }
            Frame::Record => {
                if let Some(record) = self.record.take() {
                    return Ok(Some(record));
                }
            }
            Frame::Plain | Frame::Skip => {}
        }
        Ok(None)
    }

    fn close_node(&mut self) {
        let Some(node) = self.nodes.pop() else { return };
        let mut fields = node.fields;
        let text = node.text.trim();
        if !text.is_empty() {
            fields.insert("text".into(), json!(text));
        }
        let value = if node.name.ends_with("List") {
            let items = Value::Array(node.items);
            if fields.is_empty() {
                items
            } else {
                fields.insert("items".into(), items);
                Value::Object(fields)
            }
        } else {
            Value::Object(fields)
        };
        let parent = self.nodes.last_mut().expect("root node is never popped");
        if parent.name.ends_with("List") {
            let mut value = value;
            // `componentList` holds `source`, `analyzer` and `detector`: say which.
            if parent.name.strip_suffix("List") != Some(node.name.as_str())
                && let Value::Object(m) = &mut value
            {
                m.insert("element".into(), json!(node.name));
            }
            parent.items.push(value);
            return;
        }
        match parent.fields.get_mut(&node.name) {
            None => {
                parent.fields.insert(node.name, value);
            }
            Some(Value::Array(items)) if !node.name.ends_with("List") => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = json!([first, value]);
            }
        }
    }

    fn finish_array(&mut self) -> Result<(), ReadError> {
        let Some(draft) = self.array.take() else { return Ok(()) };
        let position = self.record.as_ref().map_or(0, |r| r.arrays.len());
        let mut number = None;
        let mut compression = None;
        let mut kind: Option<&Param> = None;
        let mut others = Vec::new();
        for p in &draft.params {
            let accession = p.accession.as_deref().unwrap_or("");
            if let Some(n) = NumberType::from_accession(accession) {
                number = Some(n);
            } else if let Some(c) = Compression::from_accession(accession) {
                match c {
                    Ok(c) => compression = Some(c),
                    Err(()) => {
                        return Err(self.at(format!(
                            "binaryDataArray {position} uses compression {accession} ({}), which is not supported",
                            p.name
                        )));
                    }
                }
            } else if p.name.ends_with(" array") || accession == acc::NON_STANDARD_ARRAY {
                kind = Some(p);
            } else if p.name.contains("compression") || p.name.contains("Numpress") {
                return Err(self.at(format!(
                    "binaryDataArray {position} uses compression {accession} ({}), which is not supported",
                    p.name
                )));
            } else {
                others.push(p.clone());
            }
        }
        let Some(number) = number else {
            return Err(self.at(format!("binaryDataArray {position} declares no numeric binary data type")));
        };
        let (column, label, unit_accession, unit_name) = match kind {
            Some(p) if p.accession.as_deref() == Some(acc::NON_STANDARD_ARRAY) && !p.value.is_empty() => {
                (array_column(None, &p.value), p.value.clone(), p.unit_accession.clone(), p.unit_name.clone())
            }
            Some(p) => (
                array_column(p.accession.as_deref(), &p.name),
                p.name.clone(),
                p.unit_accession.clone(),
                p.unit_name.clone(),
            ),
            None => (format!("array_{position}"), format!("array {position}"), None, None),
        };
        let mut values = Vec::new();
        binary::decode(&draft.text, number, compression.unwrap_or(Compression::None), self.decoded_limit, &mut values)
            .map_err(|m| self.at(format!("{label}: {m}")))?;
        let declared = draft
            .attributes
            .iter()
            .find(|(k, _)| k == "arrayLength")
            .or_else(|| self.record.as_ref().and_then(|r| r.attributes.iter().find(|(k, _)| k == "defaultArrayLength")))
            .map(|(k, v)| (k.clone(), v.clone()));
        if let Some((attribute, v)) = declared {
            let expected: usize = v.trim().parse().map_err(|_| self.at(format!("{attribute} {v:?} is not a count")))?;
            if expected != values.len() {
                return Err(self.at(format!("{label} holds {} values, {attribute} says {expected}", values.len())));
            }
        }
        let Some(record) = &mut self.record else { return Ok(()) };
        if record.arrays.iter().any(|a| a.column == column) {
            return Err(self.at(format!("two arrays of type {label}")));
        }
        for mut p in others {
            p.context = format!("binaryDataArray {column}");
            record.params.push(p);
        }
        for (k, v) in draft.attributes {
            if k != "encodedLength" && k != "arrayLength" {
                let context = format!("binaryDataArray {column}");
                record.params.push(Param { context, name: k, value: v, ..Param::default() });
            }
        }
        record.arrays.push(DataArray {
            column,
            label,
            unit_accession,
            unit_name,
            number,
            compression: compression.unwrap_or(Compression::None),
            values,
        });
        Ok(())
    }
}
