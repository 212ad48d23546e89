//! The CIF 1.1 grammar over tokens: data blocks (and a tolerated `global_`), save frames, tag–value
//! items and loops. Both reading passes drive the same parser, so they see the same structure.

use std::io::BufRead;

use super::lexer::{Lexer, Token, Value};
use super::malformed;
use crate::ReadError;

/// Most tags one loop may declare; real loops have tens.
pub(crate) const MAX_LOOP_TAGS: usize = 4096;

/// What a pass does with the structure the parser finds.
pub(crate) trait Handler {
    fn block(&mut self, name: &str, line: u64) -> Result<(), ReadError>;
    /// `Some(name)` opens a save frame, `None` closes it.
    fn save(&mut self, name: Option<&str>, line: u64) -> Result<(), ReadError>;
    fn item(&mut self, tag: &str, value: Value, line: u64) -> Result<(), ReadError>;
    fn loop_start(&mut self, tags: &[String], line: u64) -> Result<(), ReadError>;
    /// One complete row, as many values as the loop has tags.
    fn loop_row(&mut self, row: &mut Vec<Value>, consumed: u64) -> Result<(), ReadError>;
    fn loop_end(&mut self) -> Result<(), ReadError>;
}

/// Parses the whole input, calling `handler` as structure is found.
pub(crate) fn parse<R: BufRead>(lexer: &mut Lexer<R>, handler: &mut dyn Handler) -> Result<(), ReadError> {
    let mut in_block = false;
    while let Some((token, line)) = lexer.next()? {
        match token {
            Token::Data(name) => {
                if name.is_empty() {
                    return Err(malformed(format!("data block without a name at line {line}")));
                }
                in_block = true;
                handler.block(&name, line)?;
            }
            Token::Global => {
                in_block = true;
                handler.block("global_", line)?;
            }
            Token::Save(name) => {
                require_block(in_block, "save frame", line)?;
                handler.save((!name.is_empty()).then_some(name.as_str()), line)?;
            }
            Token::Stop => {}
            Token::Tag(tag) => {
                require_block(in_block, &format!("tag {tag}"), line)?;
                match lexer.next()? {
                    Some((Token::Value(value), _)) => handler.item(&tag, value, line)?,
                    _ => return Err(malformed(format!("tag {tag} at line {line} has no value"))),
                }
            }
            Token::Loop => {
                require_block(in_block, "loop_", line)?;
                read_loop(lexer, handler, line)?;
            }
            Token::Value(v) => {
                return Err(malformed(format!("value {} at line {line} belongs to no tag", preview(&v.text))));
            }
        }
    }
    Ok(())
}

fn require_block(in_block: bool, what: &str, line: u64) -> Result<(), ReadError> {
    if in_block { Ok(()) } else { Err(malformed(format!("{what} at line {line} comes before any data_ block"))) }
}

fn read_loop<R: BufRead>(lexer: &mut Lexer<R>, handler: &mut dyn Handler, line: u64) -> Result<(), ReadError> {
    let mut tags = Vec::new();
    while let Some((Token::Tag(_), _)) = lexer.peek()? {
        let Some((Token::Tag(tag), _)) = lexer.next()? else { break };
        if tags.len() == MAX_LOOP_TAGS {
            return Err(malformed(format!("loop at line {line} declares more than {MAX_LOOP_TAGS} tags")));
        }
        tags.push(tag);
    }
    if tags.is_empty() {
        return Err(malformed(format!("loop_ at line {line} declares no tags")));
    }
    handler.loop_start(&tags, line)?;
    let mut row = Vec::with_capacity(tags.len());
    let mut count: u64 = 0;
    let mut last = line;
    while let Some((Token::Value(_), _)) = lexer.peek()? {
        let Some((Token::Value(v), at)) = lexer.next()? else { break };
        last = at;
        row.push(v);
        count += 1;
        if row.len() == tags.len() {
            handler.loop_row(&mut row, lexer.consumed())?;
            row.clear();
        }
    }
    if !row.is_empty() {
        return Err(malformed(format!(
            "loop of {} at line {line} has {count} values, not a multiple of its {} tags (last value at line {last})",
            tags[0],
            tags.len()
        )));
    }
    handler.loop_end()
}

fn preview(s: &str) -> String {
    let mut p: String = s.chars().take(40).collect();
    if p.len() < s.len() {
        p.push('…');
    }
    format!("{p:?}")
}
