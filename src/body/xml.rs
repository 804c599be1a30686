//! XML re-indentation for display.

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesText, Event};

use super::json::{MAX_INDENT_LEVELS, line_column};

/// Re-indents XML with two spaces per level. Declarations, doctypes, comments, processing
/// instructions, CDATA and text are kept (entity references stay escaped); whitespace-only
/// text between tags is dropped. Indentation stops growing past [`MAX_INDENT_LEVELS`].
/// Errors name the line and column.
pub fn pretty_xml(bytes: &[u8]) -> Result<String, String> {
    let mut reader = Reader::from_reader(bytes);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    let mut writer = Writer::new(Vec::with_capacity(bytes.len() + bytes.len() / 4));
    let mut layout = Layout::default();
    // Consecutive text and entity references, written as one text run.
    let mut text = String::new();
    let mut open: Vec<Vec<u8>> = Vec::new();
    let mut elements = 0usize;
    let fail = |offset: u64, message: &dyn std::fmt::Display| {
        let (line, column) = line_column(bytes, offset as usize);
        format!("invalid XML at line {line}, column {column}: {message}")
    };
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => return Err(fail(reader.error_position(), &e)),
        };
        match &event {
            Event::Text(t) => {
                text.push_str(&String::from_utf8_lossy(t));
                continue;
            }
            Event::GeneralRef(r) => {
                text.push('&');
                text.push_str(&String::from_utf8_lossy(r));
                text.push(';');
                continue;
            }
            _ => {}
        }
        if !text.trim().is_empty() {
            if open.is_empty() {
                return Err(fail(reader.buffer_position(), &"text outside the root element"));
            }
            layout.write(&mut writer, Event::Text(BytesText::from_escaped(text.as_str())))?;
        }
        text.clear();
        match &event {
            Event::Start(e) => {
                elements += 1;
                open.push(e.name().as_ref().to_vec());
            }
            Event::Empty(_) => elements += 1,
            Event::End(_) => {
                open.pop();
            }
            Event::Eof => break,
            _ => {}
        }
        layout.write(&mut writer, event)?;
    }
    if let Some(name) = open.last() {
        let name = String::from_utf8_lossy(name);
        return Err(fail(
            bytes.len() as u64,
            &format!("element `<{name}>` is never closed"),
        ));
    }
    if elements == 0 {
        return Err("no XML element found".to_owned());
    }
    let out = writer.into_inner();
    Ok(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Line breaks and indentation: every markup event starts a new line unless it follows text
/// or CDATA (so text content is never changed), or is the end tag of an empty element.
#[derive(Default)]
struct Layout {
    depth: usize,
    line_break: bool,
    just_opened: bool,
}

impl Layout {
    fn write(&mut self, writer: &mut Writer<Vec<u8>>, event: Event<'_>) -> Result<(), String> {
        let text_like = matches!(event, Event::Text(_) | Event::CData(_));
        if let Event::End(_) = event {
            self.depth = self.depth.saturating_sub(1);
        }
        let closes_empty = self.just_opened && matches!(event, Event::End(_));
        self.just_opened = matches!(event, Event::Start(_));
        if self.line_break && !text_like && !closes_empty {
            let out = writer.get_mut();
            out.push(b'\n');
            out.resize(out.len() + 2 * self.depth.min(MAX_INDENT_LEVELS), b' ');
        }
        if let Event::Start(_) = event {
            self.depth += 1;
        }
        self.line_break = !text_like;
        writer
            .write_event(event)
            .map_err(|e| format!("could not write XML: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reindents() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?><Response><Message to="+15551234567">Hello &amp; welcome</Message><!-- note --><Data><![CDATA[<raw> & stuff]]></Data><?pi target?><Empty/><Pair></Pair></Response>"#;
        let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Message to="+15551234567">Hello &amp; welcome</Message>
  <!-- note -->
  <Data><![CDATA[<raw> & stuff]]></Data>
  <?pi target?>
  <Empty/>
  <Pair></Pair>
</Response>"#;
        assert_eq!(pretty_xml(body).unwrap(), expected);
    }

    #[test]
    fn existing_indentation_is_replaced() {
        let body = b"<a>\n    <b>x</b>\n\t\t<c>&lt;&gt; &#233;</c>\n</a>\n";
        assert_eq!(
            pretty_xml(body).unwrap(),
            "<a>\n  <b>x</b>\n  <c>&lt;&gt; &#233;</c>\n</a>"
        );
        assert_eq!(pretty_xml(b"<a>\xC3\xA9</a>").unwrap(), "<a>\u{e9}</a>");
        assert_eq!(pretty_xml(b"\xEF\xBB\xBF<a> </a>").unwrap(), "<a></a>");
    }

    #[test]
    fn errors_have_positions() {
        let e = pretty_xml(b"<a>\n  <b></c>\n</a>").unwrap_err();
        assert!(e.starts_with("invalid XML at line 2"), "{e}");
        let e = pretty_xml(b"<a><b>").unwrap_err();
        assert!(e.contains("never closed"), "{e}");
        assert!(pretty_xml(b"<a").is_err());
        assert!(pretty_xml(b"").is_err());
        assert!(pretty_xml(b"just text").is_err());
        assert!(pretty_xml(b"<a/>trailing").is_err());
        assert!(pretty_xml(b"<!-- a -- b --><a/>").is_err());
    }

    #[test]
    fn deep_nesting() {
        let body = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
        let pretty = pretty_xml(body.as_bytes()).unwrap();
        assert_eq!(pretty.lines().count(), 19_999, "innermost <a></a> on one line");
        assert!(
            pretty
                .lines()
                .all(|l| l.len() <= 2 * MAX_INDENT_LEVELS + "<a></a>".len())
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = pretty_xml(&bytes);
        }

        #[test]
        fn xml_like_bytes_never_panic(s in "(<a>|</a>|<b/>|<!--|-->|<!\\[CDATA\\[|\\]\\]>|<\\?|\\?>|&amp;|&|[a-z =\"'])*") {
            if let Ok(pretty) = pretty_xml(s.as_bytes()) {
                // Pretty output is itself well-formed and stable.
                let again = pretty_xml(pretty.as_bytes());
                prop_assert_eq!(again.as_deref(), Ok(pretty.as_str()));
            }
        }
    }
}
