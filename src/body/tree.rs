//! A flattened, pre-order JSON tree for a collapsible tree view.
//!
//! A UI renders row `i`, and when that row is collapsed jumps straight to
//! `nodes[i].subtree_end`. Built from the shared tokenizer, so it is iterative and keeps the
//! sender's spelling in previews.

use std::fmt::Write as _;

use super::json::{JsonViewError, ScalarKind, Token, Tokenizer};

/// Scalar previews are cut to this many characters (then end in `…`).
pub const PREVIEW_CHARS: usize = 200;
/// Copy paths longer than this many bytes are left empty rather than stored for every node.
pub const MAX_PATH_LEN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonNodeKind {
    Object { len: usize },
    Array { len: usize },
    String,
    Number,
    Bool,
    Null,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonNode {
    /// 0 for the root value.
    pub depth: u32,
    /// The key when this value sits in an object.
    pub key: Option<String>,
    /// The position when this value sits in an array.
    pub index: Option<usize>,
    pub kind: JsonNodeKind,
    /// Scalars: the source spelling (strings with their quotes), cut to [`PREVIEW_CHARS`].
    /// Containers: `{3 keys}`, `[5 items]`, `{}` or `[]`.
    pub preview: String,
    /// A JSONPath-like copy path such as `$.data.items[2]["weird key"]`; empty when it would
    /// be longer than [`MAX_PATH_LEN`].
    pub path: String,
    /// Index of the first node after this node's subtree.
    pub subtree_end: usize,
}

struct Frame {
    /// The container's node, when it was emitted.
    node: Option<usize>,
    object: bool,
    children: usize,
    key: Option<String>,
}

/// Flattens the document into at most `max_nodes` nodes in pre-order. The flag is `true`
/// when nodes were left out; the whole body is still validated, and container lengths count
/// every child.
pub fn json_tree(bytes: &[u8], max_nodes: usize) -> Result<(Vec<JsonNode>, bool), JsonViewError> {
    let mut tokens = Tokenizer::new(bytes);
    let src = tokens.source();
    let mut nodes: Vec<JsonNode> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut truncated = false;
    while let Some(token) = tokens.next_token()? {
        let (kind, span) = match token {
            Token::EndObject | Token::EndArray => {
                if let Some(frame) = stack.pop()
                    && let Some(i) = frame.node
                {
                    let end = nodes.len();
                    let node = &mut nodes[i];
                    node.subtree_end = end;
                    node.kind = if frame.object {
                        JsonNodeKind::Object { len: frame.children }
                    } else {
                        JsonNodeKind::Array { len: frame.children }
                    };
                    node.preview = container_preview(node.kind);
                }
                continue;
            }
            Token::Key(span) => {
                if let Some(frame) = stack.last_mut()
                    && nodes.len() < max_nodes
                {
                    frame.key = Some(unescape(&src[span.start..span.end]));
                }
                continue;
            }
            Token::BeginObject => (JsonNodeKind::Object { len: 0 }, None),
            Token::BeginArray => (JsonNodeKind::Array { len: 0 }, None),
            Token::Scalar(scalar, span) => (scalar_kind(scalar), Some(span)),
        };
        // A value: place it under its parent.
        let (key, index, parent) = match stack.last_mut() {
            Some(frame) => {
                frame.children += 1;
                let key = frame.key.take();
                let index = (!frame.object).then_some(frame.children - 1);
                (key, index, frame.node)
            }
            None => (None, None, None),
        };
        let emit = nodes.len() < max_nodes && (stack.is_empty() || parent.is_some());
        truncated |= !emit;
        let node = emit.then(|| {
            let path = match parent {
                Some(p) => child_path(&nodes[p].path, key.as_deref(), index),
                None => "$".to_owned(),
            };
            let preview = span
                .map(|s| scalar_preview(&src[s.start..s.end]))
                .unwrap_or_default();
            let at = nodes.len();
            nodes.push(JsonNode {
                depth: stack.len() as u32,
                key,
                index,
                kind,
                preview,
                path,
                subtree_end: at + 1,
            });
            at
        });
        if span.is_none() {
            let object = matches!(kind, JsonNodeKind::Object { .. });
            stack.push(Frame {
                node,
                object,
                children: 0,
                key: None,
            });
        }
    }
    Ok((nodes, truncated))
}

fn scalar_kind(kind: ScalarKind) -> JsonNodeKind {
    match kind {
        ScalarKind::String => JsonNodeKind::String,
        ScalarKind::Number => JsonNodeKind::Number,
        ScalarKind::Bool => JsonNodeKind::Bool,
        ScalarKind::Null => JsonNodeKind::Null,
    }
}

fn container_preview(kind: JsonNodeKind) -> String {
    match kind {
        JsonNodeKind::Object { len: 0 } => "{}".to_owned(),
        JsonNodeKind::Object { len: 1 } => "{1 key}".to_owned(),
        JsonNodeKind::Object { len } => format!("{{{len} keys}}"),
        JsonNodeKind::Array { len: 0 } => "[]".to_owned(),
        JsonNodeKind::Array { len: 1 } => "[1 item]".to_owned(),
        JsonNodeKind::Array { len } => format!("[{len} items]"),
        _ => String::new(),
    }
}

fn scalar_preview(raw: &[u8]) -> String {
    // A char is at most 4 bytes, so this many bytes always hold PREVIEW_CHARS characters.
    let head = &raw[..raw.len().min(4 * PREVIEW_CHARS + 4)];
    let text = String::from_utf8_lossy(head);
    match text.char_indices().nth(PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

fn child_path(parent: &str, key: Option<&str>, index: Option<usize>) -> String {
    if parent.is_empty() {
        return String::new();
    }
    let mut path = String::from(parent);
    match (key, index) {
        (Some(key), _) if is_identifier(key) => {
            path.push('.');
            path.push_str(key);
        }
        (Some(key), _) => {
            path.push('[');
            push_quoted(&mut path, key);
            path.push(']');
        }
        (None, Some(i)) => {
            let _ = write!(path, "[{i}]");
        }
        (None, None) => {}
    }
    if path.len() > MAX_PATH_LEN {
        String::new()
    } else {
        path
    }
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Appends `key` as a JSON string literal.
fn push_quoted(out: &mut String, key: &str) {
    out.push('"');
    for c in key.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Decodes a string token (quotes included) that the tokenizer accepted. Lone surrogate
/// escapes become U+FFFD.
pub(crate) fn unescape(raw: &[u8]) -> String {
    let inner = String::from_utf8_lossy(raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default());
    if !inner.contains('\\') {
        return inner.into_owned();
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.next() {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('u') => {
                let high = hex4(&mut chars).unwrap_or(0xFFFD);
                if (0xD800..0xDC00).contains(&high) {
                    let mut ahead = chars.clone();
                    let low = match (ahead.next(), ahead.next()) {
                        (Some('\\'), Some('u')) => hex4(&mut ahead).filter(|l| (0xDC00..0xE000).contains(l)),
                        _ => None,
                    };
                    if let Some(low) = low {
                        chars = ahead;
                        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                            .unwrap_or('\u{FFFD}')
                    } else {
                        '\u{FFFD}'
                    }
                } else {
                    char::from_u32(high).unwrap_or('\u{FFFD}')
                }
            }
            Some(other) => other,
            None => break,
        };
        out.push(decoded);
    }
    out
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut value = 0;
    for _ in 0..4 {
        value = value * 16 + chars.next()?.to_digit(16)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(n: &JsonNode) -> String {
        format!(
            "{} {} {} {} {}",
            n.depth,
            n.path,
            n.preview,
            n.subtree_end,
            n.index.map_or(-1, |i| i as i64)
        )
    }

    #[test]
    fn flattens_in_pre_order() {
        let body = br#"{"data":{"items":[1,"two",{"weird key":null}],"ok":true,"e":{}},"x":1.50}"#;
        let (nodes, truncated) = json_tree(body, 100).unwrap();
        assert!(!truncated);
        let rows: Vec<String> = nodes.iter().map(row).collect();
        assert_eq!(
            rows,
            [
                "0 $ {2 keys} 10 -1",
                "1 $.data {3 keys} 9 -1",
                "2 $.data.items [3 items] 7 -1",
                "3 $.data.items[0] 1 4 0",
                "3 $.data.items[1] \"two\" 5 1",
                "3 $.data.items[2] {1 key} 7 2",
                "4 $.data.items[2][\"weird key\"] null 7 -1",
                "2 $.data.ok true 8 -1",
                "2 $.data.e {} 9 -1",
                "1 $.x 1.50 10 -1",
            ]
        );
        assert_eq!(nodes[0].kind, JsonNodeKind::Object { len: 2 });
        assert_eq!(nodes[2].kind, JsonNodeKind::Array { len: 3 });
        assert_eq!(nodes[2].key.as_deref(), Some("items"));
        assert_eq!(nodes[6].kind, JsonNodeKind::Null);
        assert_eq!(nodes[6].key.as_deref(), Some("weird key"));
        assert_eq!(nodes[9].kind, JsonNodeKind::Number);
    }

    #[test]
    fn keys_are_decoded_and_paths_quoted() {
        let (nodes, _) = json_tree(br#"{"caf\u00e9":1,"a\"b":2,"_ok$1":3,"1x":4}"#, 10).unwrap();
        let paths: Vec<&str> = nodes.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(
            paths,
            ["$", "$[\"caf\u{e9}\"]", "$[\"a\\\"b\"]", "$._ok$1", "$[\"1x\"]"]
        );
        assert_eq!(nodes[1].key.as_deref(), Some("caf\u{e9}"));
    }

    #[test]
    fn scalar_root_and_long_preview() {
        let (nodes, _) = json_tree(b"\"hi\"", 10).unwrap();
        assert_eq!(nodes.len(), 1);
        assert_eq!(
            (nodes[0].preview.as_str(), nodes[0].path.as_str()),
            ("\"hi\"", "$")
        );
        let long = format!("[\"{}\"]", "é".repeat(1000));
        let (nodes, _) = json_tree(long.as_bytes(), 10).unwrap();
        assert_eq!(nodes[1].preview.chars().count(), PREVIEW_CHARS + 1);
        assert!(nodes[1].preview.ends_with('…'));
    }

    #[test]
    fn truncates_but_counts_every_child() {
        let (nodes, truncated) = json_tree(b"[1,2,3,[4,5],6]", 3).unwrap();
        assert!(truncated);
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes[0].kind, JsonNodeKind::Array { len: 5 });
        assert_eq!(nodes[0].subtree_end, 3);
        let (nodes, truncated) = json_tree(b"[]", 0).unwrap();
        assert!(nodes.is_empty() && truncated);
        assert!(json_tree(b"[1,2", 1).is_err());
    }

    #[test]
    fn deep_nesting_truncates() {
        let depth = 100_000;
        let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let (nodes, truncated) = json_tree(body.as_bytes(), 1000).unwrap();
        assert!(truncated);
        assert_eq!(nodes.len(), 1000);
        assert_eq!(nodes[999].depth, 999);
        assert!(nodes.iter().all(|n| n.subtree_end == 1000));
        assert_eq!(nodes[998].kind, JsonNodeKind::Array { len: 1 });
        assert!(nodes[999].path.is_empty(), "deep paths are not stored");
        assert!(nodes[10].path.starts_with("$[0][0]"));
        assert!(json_tree(format!("{}{}", "{\"a\":".repeat(depth), "1").as_bytes(), 10).is_err());
    }

    #[test]
    fn unescape_keys() {
        assert_eq!(unescape(br#""plain""#), "plain");
        assert_eq!(unescape(br#""a\"b\\c\/\n\u00e9""#), "a\"b\\c/\n\u{e9}");
        assert_eq!(unescape(br#""\ud83d\ude00""#), "\u{1F600}");
        assert_eq!(unescape(br#""\ud83dx""#), "\u{FFFD}x");
        assert_eq!(unescape(br#""\ude00""#), "\u{FFFD}");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256), cap in 0usize..20) {
            if let Ok((nodes, _)) = json_tree(&bytes, cap) {
                prop_assert!(nodes.len() <= cap);
                for (i, n) in nodes.iter().enumerate() {
                    prop_assert!(n.subtree_end > i && n.subtree_end <= nodes.len());
                }
            }
        }

        #[test]
        fn subtree_ends_nest(s in "[\\[\\]{}\",:0-9a ]{0,64}") {
            if let Ok((nodes, false)) = json_tree(s.as_bytes(), usize::MAX) {
                for (i, n) in nodes.iter().enumerate() {
                    for child in &nodes[i + 1..n.subtree_end] {
                        prop_assert!(child.depth > n.depth);
                    }
                    if let Some(next) = nodes.get(n.subtree_end) {
                        prop_assert!(next.depth <= n.depth);
                    }
                }
            }
        }
    }
}
