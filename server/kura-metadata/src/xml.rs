//! Text for XML documents: what XML 1.0 cannot carry is dropped before quick-xml escapes the
//! rest, so one stray control character in a title cannot make a whole record invalid.

use std::borrow::Cow;

/// Characters XML 1.0 forbids: C0 controls other than tab, newline and carriage return, and the
/// noncharacters U+FFFE and U+FFFF.
fn forbidden(c: char) -> bool {
    ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// `text` without the characters XML 1.0 forbids (borrowed when there are none).
pub fn allowed(text: &str) -> Cow<'_, str> {
    if text.contains(forbidden) {
        Cow::Owned(text.chars().filter(|c| !forbidden(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_dropped() {
        assert_eq!(allowed("a\u{1}b\tc\n\u{FFFF}温度"), "ab\tc\n温度");
        assert!(matches!(allowed("plain <text>"), Cow::Borrowed(_)));
    }
}
