//! A tiny XML text builder: the OAI-PMH envelope is fixed, so strings with escaping are clearer
//! than a DOM.

/// Escapes text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids are dropped rather than producing an invalid document.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// An XML document being written.
#[derive(Debug, Default)]
pub struct XmlOut(pub String);

impl XmlOut {
    pub fn raw(&mut self, s: &str) {
        self.0.push_str(s);
    }

    /// `<name>text</name>` with the text escaped.
    pub fn element(&mut self, name: &str, text: &str) {
        self.0.push_str(&format!("<{name}>{}</{name}>", escape(text)));
    }
}
