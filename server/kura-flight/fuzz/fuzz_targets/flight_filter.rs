//! The filter of a Flight command (`Temperature >= 20.5 AND sample = 'A-1'`), as the server
//! parses it before opening any file: any text is a filter or an error, never a panic, and a
//! parsed filter written back in the grammar's canonical form parses to the same comparisons.
#![no_main]

#[path = "../../src/filter/parse.rs"]
mod parse;

use parse::{Comparison, Op, Value};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(filter) = parse::parse(text) else { return };
    let canonical = filter.iter().map(render).collect::<Vec<_>>().join(" AND ");
    assert_eq!(parse::parse(&canonical).as_ref(), Ok(&filter), "{canonical:?} parses back");
});

/// A comparison as the grammar writes it: the column always quoted, quotes doubled.
fn render(c: &Comparison) -> String {
    let op = match c.op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
    };
    let value = match &c.value {
        Value::Number(n) => n.clone(),
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Bool(b) => b.to_string(),
    };
    format!("\"{}\" {op} {value}", c.column.replace('"', "\"\""))
}
