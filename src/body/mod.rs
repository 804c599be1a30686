//! Display views derived from a captured request body's raw bytes.
//!
//! Everything here is a pure function of the bytes (and sometimes a header value): the raw
//! body is never replaced, these are only ways of looking at it.

mod decode;
mod form;
mod hex;
mod json;
mod tree;
mod xml;

pub use decode::{DEFAULT_DECODE_CAP, Decoded, decode_content_encoding};
pub use form::{Part, form_fields, multipart_boundary, multipart_parts};
pub use hex::hex_dump;
pub use json::{JsonViewError, MAX_INDENT_LEVELS, compact_json, pretty_json, validate_json};
pub use tree::{JsonNode, JsonNodeKind, MAX_PATH_LEN, PREVIEW_CHARS, json_tree};
pub use xml::pretty_xml;

/// How a body is best shown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyKind {
    Empty,
    Json,
    Form,
    Multipart { boundary: String },
    Xml,
    Text,
    Image { mime: String },
    Binary,
}

/// Picks a view from the Content-Type first, then by sniffing the bytes.
///
/// A declared JSON, XML, form, multipart or image type wins even when the bytes disagree
/// (the view then shows what is wrong with them). `text/plain`, `application/octet-stream`,
/// unknown and missing types are sniffed, since many senders label JSON as `text/plain`.
pub fn classify(content_type: Option<&str>, bytes: &[u8]) -> BodyKind {
    if bytes.is_empty() {
        return BodyKind::Empty;
    }
    let full = content_type.unwrap_or_default();
    let mime = full
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (top, sub) = mime.split_once('/').unwrap_or((mime.as_str(), ""));
    match (top, sub) {
        (_, "json") => return BodyKind::Json,
        (_, s) if s.ends_with("+json") => return BodyKind::Json,
        ("application", "x-www-form-urlencoded") => return BodyKind::Form,
        ("multipart", _) => {
            if let Some(boundary) = multipart_boundary(full) {
                return BodyKind::Multipart { boundary };
            }
        }
        (_, "xml") => return BodyKind::Xml,
        (_, s) if s.ends_with("+xml") => return BodyKind::Xml,
        ("image", s) if !s.is_empty() => return BodyKind::Image { mime },
        ("text", s) if s != "plain" => {
            return if looks_binary(bytes) {
                BodyKind::Binary
            } else {
                BodyKind::Text
            };
        }
        _ => {}
    }
    sniff(bytes)
}

fn sniff(bytes: &[u8]) -> BodyKind {
    if let Some(mime) = image_mime(bytes) {
        return BodyKind::Image {
            mime: mime.to_owned(),
        };
    }
    let trimmed = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .trim_ascii_start();
    if let Some(b'{' | b'[') = trimmed.first()
        && validate_json(bytes).is_ok()
    {
        return BodyKind::Json;
    }
    if trimmed.starts_with(b"<?xml")
        || (trimmed.first() == Some(&b'<')
            && trimmed
                .get(1)
                .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_'))
    {
        return BodyKind::Xml;
    }
    if looks_binary(bytes) {
        BodyKind::Binary
    } else {
        BodyKind::Text
    }
}

/// The image type announced by the file's magic number.
fn image_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Not valid UTF-8, or holds control characters other than tab, CR and LF. A multi-byte
/// character cut off at the very end (a capped capture) does not count as binary.
pub fn looks_binary(bytes: &[u8]) -> bool {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() => match std::str::from_utf8(&bytes[..e.valid_up_to()]) {
            Ok(text) => text,
            Err(_) => return true,
        },
        Err(_) => return true,
    };
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
}

/// The body as text, invalid UTF-8 replaced by U+FFFD.
pub fn text_lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `0 B`, `999 B`, `1.0 KiB`, `25.0 MiB`: binary units, one decimal past bytes.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    // Move up while the value would print as 1024.0 or more.
    while value >= 1023.95 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_by_content_type() {
        let json = Some("application/json; charset=utf-8");
        assert_eq!(classify(json, b"{}"), BodyKind::Json);
        assert_eq!(classify(json, b"not json"), BodyKind::Json);
        assert_eq!(classify(json, b""), BodyKind::Empty);
        assert_eq!(classify(Some("application/vnd.api+json"), b"{}"), BodyKind::Json);
        assert_eq!(
            classify(Some("Application/X-WWW-Form-Urlencoded"), b"a=1"),
            BodyKind::Form
        );
        assert_eq!(
            classify(Some("multipart/form-data; boundary=\"xyz\""), b"--xyz"),
            BodyKind::Multipart {
                boundary: "xyz".into()
            }
        );
        assert_eq!(classify(Some("multipart/form-data"), b"hello"), BodyKind::Text);
        assert_eq!(classify(Some("text/xml"), b"<a/>"), BodyKind::Xml);
        assert_eq!(classify(Some("application/soap+xml"), b"<a/>"), BodyKind::Xml);
        assert_eq!(classify(Some("image/svg+xml"), b"<svg/>"), BodyKind::Xml);
        assert_eq!(
            classify(Some("image/PNG"), b"\x89PNG"),
            BodyKind::Image {
                mime: "image/png".into()
            }
        );
        assert_eq!(classify(Some("text/html"), b"<html></html>"), BodyKind::Text);
        assert_eq!(classify(Some("text/csv"), b"a,\x00b"), BodyKind::Binary);
    }

    #[test]
    fn classify_by_sniffing() {
        assert_eq!(classify(None, b""), BodyKind::Empty);
        assert_eq!(classify(None, b"  \n[1, 2]"), BodyKind::Json);
        assert_eq!(
            classify(Some("text/plain; charset=UTF-8"), br#"{"Type":"Notification"}"#),
            BodyKind::Json
        );
        assert_eq!(classify(None, b"{not json"), BodyKind::Text);
        assert_eq!(classify(None, b"<?xml version=\"1.0\"?><a/>"), BodyKind::Xml);
        assert_eq!(
            classify(Some("application/octet-stream"), b"\n<note>hi</note>"),
            BodyKind::Xml
        );
        assert_eq!(classify(None, b"< not a tag"), BodyKind::Text);
        assert_eq!(
            classify(None, b"\x89PNG\r\n\x1a\n\0\0"),
            BodyKind::Image {
                mime: "image/png".into()
            }
        );
        assert_eq!(
            classify(None, b"\xFF\xD8\xFF\xE0"),
            BodyKind::Image {
                mime: "image/jpeg".into()
            }
        );
        assert_eq!(
            classify(None, b"GIF89a.."),
            BodyKind::Image {
                mime: "image/gif".into()
            }
        );
        assert_eq!(
            classify(None, b"RIFF\0\0\0\0WEBPVP8 "),
            BodyKind::Image {
                mime: "image/webp".into()
            }
        );
        assert_eq!(
            classify(None, "plain text, tabs\tand\r\nlines, ünïcode".as_bytes()),
            BodyKind::Text
        );
        assert_eq!(classify(None, b"ab\x00cd"), BodyKind::Binary);
        assert_eq!(classify(None, b"\xff\xfe"), BodyKind::Binary);
    }

    #[test]
    fn binary_detection() {
        assert!(!looks_binary(b""));
        assert!(!looks_binary("héllo\n".as_bytes()));
        assert!(
            !looks_binary(&"héllo".as_bytes()[..2]),
            "cut-off character at the end"
        );
        assert!(looks_binary(b"\x1b[31m"));
        assert!(looks_binary(b"a\x7f"));
        assert!(looks_binary(b"\xc3\x28"));
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(25 * 1024 * 1024), "25.0 MiB");
        assert_eq!(human_size(1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(human_size(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn lossy_text() {
        assert_eq!(text_lossy(b"ok \xff"), "ok \u{FFFD}");
    }
}
