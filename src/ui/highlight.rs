//! Syntax colouring into [`CodeText`]. Runs on a worker thread, never on the UI thread.
//!
//! syntect colours bodies up to [`SYNTECT_MAX_BYTES`]; larger JSON gets a single-pass token
//! colouring with the same palette roles, so a 10 MiB body is ready well within a second.

use std::sync::OnceLock;

use egui::Color32;
use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::SyntaxSet;

use super::code_view::CodeText;

/// Above this size syntect is too slow to keep the "ready in under a second" promise.
pub const SYNTECT_MAX_BYTES: usize = 256 * 1024;

/// Language of a text, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Json,
    Xml,
    Html,
    Plain,
}

impl Lang {
    fn extension(self) -> &'static str {
        match self {
            Lang::Json => "json",
            Lang::Xml => "xml",
            Lang::Html => "html",
            Lang::Plain => "txt",
        }
    }
}

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

fn theme(dark: bool) -> Option<&'static Theme> {
    static THEMES: OnceLock<ThemeSet> = OnceLock::new();
    let set = THEMES.get_or_init(ThemeSet::load_defaults);
    set.themes.get(if dark {
        "base16-ocean.dark"
    } else {
        "InspiredGitHub"
    })
}

/// Colour `text` as `lang`.
pub fn highlight(text: String, lang: Lang, dark: bool) -> CodeText {
    match lang {
        Lang::Plain => CodeText::plain(text),
        Lang::Json if text.len() > SYNTECT_MAX_BYTES => json_fast(text, dark),
        _ if text.len() > SYNTECT_MAX_BYTES => CodeText::plain(text),
        _ => with_syntect(text, lang, dark),
    }
}

fn with_syntect(text: String, lang: Lang, dark: bool) -> CodeText {
    let set = syntaxes();
    let (Some(syntax), Some(theme)) = (set.find_syntax_by_extension(lang.extension()), theme(dark)) else {
        return CodeText::plain(text);
    };
    let mut h = HighlightLines::new(syntax, theme);
    let mut code = CodeText::plain(text);
    for line in &mut code.lines {
        // Include the newline: syntect's "newlines" syntaxes expect it.
        let end = (line.end + 1).min(code.text.len());
        let Some(src) = code.text.get(line.start..end) else {
            continue;
        };
        let Ok(ranges) = h.highlight_line(src, set) else {
            continue;
        };
        let mut at = 0u32;
        for (style, piece) in ranges {
            let len = piece.trim_end_matches('\n').len() as u32;
            let fg = style.foreground;
            if len > 0 {
                line.spans.push((at, len, Color32::from_rgb(fg.r, fg.g, fg.b)));
            }
            at += piece.len() as u32;
        }
    }
    code
}

/// Colours for the fast JSON pass: key, string, number, literal, punctuation.
fn json_palette(dark: bool) -> [Color32; 5] {
    if dark {
        [
            Color32::from_rgb(0x8f, 0xa1, 0xb3),
            Color32::from_rgb(0xa3, 0xbe, 0x8c),
            Color32::from_rgb(0xd0, 0x87, 0x70),
            Color32::from_rgb(0xb4, 0x8e, 0xad),
            Color32::from_rgb(0xc0, 0xc5, 0xce),
        ]
    } else {
        [
            Color32::from_rgb(0x1a, 0x4f, 0x8a),
            Color32::from_rgb(0x18, 0x6d, 0x1a),
            Color32::from_rgb(0xa3, 0x3d, 0x0b),
            Color32::from_rgb(0x7a, 0x2e, 0x8e),
            Color32::from_rgb(0x40, 0x40, 0x40),
        ]
    }
}

/// One pass over (pretty) JSON text, line by line; strings never span lines in pretty output.
pub fn json_fast(text: String, dark: bool) -> CodeText {
    let [key, string, number, literal, punct] = json_palette(dark);
    let mut code = CodeText::plain(text);
    let bytes = code.text.as_bytes();
    for line in &mut code.lines {
        let src = &bytes[line.start..line.end];
        let mut i = 0;
        while i < src.len() {
            let b = src[i];
            let start = i;
            let color = match b {
                b'"' => {
                    i += 1;
                    while i < src.len() && src[i] != b'"' {
                        i += if src[i] == b'\\' { 2 } else { 1 };
                    }
                    i = (i + 1).min(src.len());
                    let rest = &src[i..];
                    let is_key = rest.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b':');
                    if is_key { key } else { string }
                }
                b'-' | b'0'..=b'9' => {
                    while i < src.len() && matches!(src[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                        i += 1;
                    }
                    number
                }
                b't' | b'f' | b'n' => {
                    while i < src.len() && src[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    literal
                }
                b'{' | b'}' | b'[' | b']' | b':' | b',' => {
                    i += 1;
                    punct
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            line.spans.push((start as u32, (i - start) as u32, color));
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_json_colours_keys_and_values_differently() {
        let code = json_fast("{\n  \"a\": \"b\",\n  \"n\": 12\n}".into(), true);
        let spans = &code.lines[1].spans;
        assert_eq!(spans.len(), 4, "{spans:?}");
        assert_ne!(spans[0].2, spans[2].2, "key and string value differ");
        assert_eq!(code.lines[2].spans[2].1, 2, "number 12 is one span");
    }

    #[test]
    fn syntect_colours_small_json() {
        let code = highlight("{\"a\": 1}\n".into(), Lang::Json, true);
        assert!(code.lines[0].spans.len() > 2);
    }
}
