//! XML documents the API writes itself (the OAI-PMH envelope, `oai_dc`, the sitemap), through
//! quick-xml's writer so that escaping is the library's, not ours; characters XML cannot carry
//! are dropped first. The documents are compact (no indentation): harvesters and validators read
//! them, people rarely do.

use kura_metadata::xml::allowed;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// An XML document or fragment being written into memory.
pub struct XmlOut(Writer<Vec<u8>>);

impl Default for XmlOut {
    fn default() -> Self {
        XmlOut(Writer::new(Vec::new()))
    }
}

fn start<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
    let mut tag = BytesStart::new(name);
    for (k, v) in attrs {
        tag.push_attribute((*k, allowed(v).as_ref()));
    }
    tag
}

impl XmlOut {
    fn write(&mut self, event: Event<'_>) {
        // Writing into a `Vec` cannot fail.
        self.0.write_event(event).expect("writing XML into memory");
    }

    /// `<?xml version="1.0" encoding="UTF-8"?>` and a line break.
    pub fn declaration(&mut self) {
        self.write(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        self.line_break();
    }

    pub fn line_break(&mut self) {
        self.0.get_mut().push(b'\n');
    }

    /// Opens `<name attrs…>`.
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.write(Event::Start(start(name, attrs)));
    }

    /// Closes `</name>`.
    pub fn close(&mut self, name: &str) {
        self.write(Event::End(BytesEnd::new(name)));
    }

    /// `<name/>` with attributes.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.write(Event::Empty(start(name, attrs)));
    }

    /// `<name>text</name>`.
    pub fn element(&mut self, name: &str, text: &str) {
        self.element_with(name, &[], text);
    }

    /// `<name attrs…>text</name>`.
    pub fn element_with(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(name, attrs);
        self.write(Event::Text(BytesText::new(&allowed(text))));
        self.close(name);
    }

    /// Appends a fragment that is already XML (written by another `XmlOut` or by an XML library).
    pub fn fragment(&mut self, xml: &str) {
        self.0.get_mut().extend_from_slice(xml.as_bytes());
    }

    pub fn into_string(self) -> String {
        // Only `&str` went in.
        String::from_utf8(self.0.into_inner()).expect("XML written from UTF-8 text")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped_and_forbidden_characters_dropped() {
        let mut out = XmlOut::default();
        out.declaration();
        out.open("a", &[("k", "x\"<&>'y")]);
        out.element("b", "1 < 2 & \"q\"\u{1}\tend");
        out.empty("c", &[("n", "v")]);
        out.close("a");
        let xml = out.into_string();
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a k=\"x&quot;&lt;&amp;&gt;&apos;y\">\
             <b>1 &lt; 2 &amp; &quot;q&quot;\tend</b><c n=\"v\"/></a>"
        );
    }
}
