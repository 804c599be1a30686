//! `JSON.stringify(JSON.parse(text))` exactly as JavaScript computes it, for the schemes whose
//! reference receivers hash that instead of the raw body (Zoom, `MaintainX`).
//!
//! - the body is decoded as UTF-8 with replacement characters, as `Buffer.toString()` does;
//! - the grammar is JSON.parse's (strict RFC 8259, whitespace = space, tab, LF, CR);
//! - object keys keep source order, except that array-index keys ("0", "17") come first in
//!   ascending order; a repeated key keeps its first position and takes the last value;
//! - strings are re-escaped minimally (`"`, `\`, control characters, lone surrogates);
//! - numbers are printed as JavaScript prints doubles.
//!
//! Explicit stacks and a flat arena: depth cannot overflow the call stack; nesting deeper than
//! [`MAX_DEPTH`] (beyond what JavaScript engines re-serialize) gives `None`.

use std::collections::HashMap;

pub(crate) const MAX_DEPTH: usize = 10_000;

enum Node {
    /// Already serialized: `null`, `true`, `false`, a number or a string.
    Scalar(Vec<u8>),
    Array(Vec<usize>),
    /// Serialized key (with quotes) and value, in output order.
    Object(Vec<(Vec<u8>, usize)>),
}

enum Frame {
    Array(Vec<usize>),
    Object {
        members: Vec<(Vec<u8>, usize)>,
        index: Option<HashMap<Vec<u8>, usize>>,
        key: Vec<u8>,
    },
}

/// `JSON.stringify(JSON.parse(body))`, or `None` when JSON.parse would throw.
pub fn js_reserialize(body: &[u8]) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(body);
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        nodes: Vec::new(),
    };
    let root = p.parse()?;
    Some(p.write(root))
}

struct Parser<'s> {
    s: &'s [u8],
    i: usize,
    nodes: Vec<Node>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.skip_ws();
        (self.peek() == Some(c)).then(|| self.i += 1)
    }

    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn parse(&mut self) -> Option<usize> {
        let mut stack: Vec<Frame> = Vec::new();
        'value: loop {
            self.skip_ws();
            let mut value = match self.peek()? {
                b'{' => {
                    self.i += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                        self.push(Node::Object(Vec::new()))
                    } else {
                        if stack.len() >= MAX_DEPTH {
                            return None;
                        }
                        let key = self.key()?;
                        stack.push(Frame::Object {
                            members: Vec::new(),
                            index: None,
                            key,
                        });
                        continue 'value;
                    }
                }
                b'[' => {
                    self.i += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                        self.push(Node::Array(Vec::new()))
                    } else {
                        if stack.len() >= MAX_DEPTH {
                            return None;
                        }
                        stack.push(Frame::Array(Vec::new()));
                        continue 'value;
                    }
                }
                b'"' => {
                    let s = self.string()?;
                    self.push(Node::Scalar(s))
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => {
                    let n = self.number()?;
                    self.push(Node::Scalar(n))
                }
                _ => return None,
            };
            // Attach the finished value to its parents, closing containers as they end.
            loop {
                let Some(frame) = stack.last_mut() else {
                    self.skip_ws();
                    return (self.i == self.s.len()).then_some(value);
                };
                match frame {
                    Frame::Array(items) => {
                        items.push(value);
                        self.skip_ws();
                        match self.peek()? {
                            b',' => {
                                self.i += 1;
                                continue 'value;
                            }
                            b']' => {
                                self.i += 1;
                                let Some(Frame::Array(items)) = stack.pop() else {
                                    return None;
                                };
                                value = self.push(Node::Array(items));
                            }
                            _ => return None,
                        }
                    }
                    Frame::Object { members, index, key } => {
                        insert_member(members, index, std::mem::take(key), value);
                        self.skip_ws();
                        match self.peek()? {
                            b',' => {
                                self.i += 1;
                                *key = self.key()?;
                                continue 'value;
                            }
                            b'}' => {
                                self.i += 1;
                                let Some(Frame::Object { members, .. }) = stack.pop() else {
                                    return None;
                                };
                                value = self.push(Node::Object(js_key_order(members)));
                            }
                            _ => return None,
                        }
                    }
                }
            }
        }
    }

    /// `"key"` followed by `:`.
    fn key(&mut self) -> Option<Vec<u8>> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return None;
        }
        let k = self.string()?;
        self.eat(b':')?;
        Some(k)
    }

    fn literal(&mut self, word: &'static [u8]) -> Option<usize> {
        if !self.s[self.i..].starts_with(word) {
            return None;
        }
        self.i += word.len();
        Some(self.push(Node::Scalar(word.to_vec())))
    }

    fn number(&mut self) -> Option<Vec<u8>> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let from = p.i;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            p.i - from
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        let value: f64 = text.parse().ok()?;
        Some(js_number(value).into_bytes())
    }

    /// A string literal, returned serialized as JSON.stringify writes it (quotes included).
    fn string(&mut self) -> Option<Vec<u8>> {
        self.i += 1; // opening quote
        let mut out = vec![b'"'];
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    match e {
                        b'"' => out.extend_from_slice(b"\\\""),
                        b'\\' => out.extend_from_slice(b"\\\\"),
                        b'/' => out.push(b'/'),
                        b'b' => out.extend_from_slice(b"\\b"),
                        b'f' => out.extend_from_slice(b"\\f"),
                        b'n' => out.extend_from_slice(b"\\n"),
                        b'r' => out.extend_from_slice(b"\\r"),
                        b't' => out.extend_from_slice(b"\\t"),
                        b'u' => {
                            let unit = self.hex4()?;
                            self.code_unit(unit, &mut out);
                        }
                        _ => return None,
                    }
                }
                0x00..=0x1f => return None,
                _ => out.push(c),
            }
        }
        out.push(b'"');
        Some(out)
    }

    fn hex4(&mut self) -> Option<u16> {
        let h = self.s.get(self.i..self.i + 4)?;
        let text = std::str::from_utf8(h).ok()?;
        if !text.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        u16::from_str_radix(text, 16).ok()
    }

    /// Write one `\uXXXX` code unit (pairing a high surrogate with a following `\uXXXX` low one).
    fn code_unit(&mut self, unit: u16, out: &mut Vec<u8>) {
        if (0xD800..0xDC00).contains(&unit) && self.s[self.i..].starts_with(b"\\u") {
            let save = self.i;
            self.i += 2;
            match self.hex4() {
                Some(low) if (0xDC00..0xE000).contains(&low) => {
                    let cp = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    if let Some(ch) = char::from_u32(cp) {
                        push_char(out, ch);
                    }
                    return;
                }
                _ => self.i = save,
            }
        }
        match unit {
            0x22 => out.extend_from_slice(b"\\\""),
            0x5c => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0d => out.extend_from_slice(b"\\r"),
            0x00..=0x1f | 0xD800..=0xDFFF => out.extend_from_slice(format!("\\u{unit:04x}").as_bytes()),
            _ => {
                if let Some(ch) = char::from_u32(u32::from(unit)) {
                    push_char(out, ch);
                }
            }
        }
    }

    fn write(&self, root: usize) -> Vec<u8> {
        let mut out = Vec::new();
        // (node, next child)
        let mut stack: Vec<(usize, usize)> = Vec::new();
        self.open(root, &mut out, &mut stack);
        while let Some(top) = stack.last_mut() {
            let (node, child) = *top;
            top.1 += 1;
            match &self.nodes[node] {
                Node::Array(items) => {
                    if let Some(&item) = items.get(child) {
                        if child > 0 {
                            out.push(b',');
                        }
                        self.open(item, &mut out, &mut stack);
                    } else {
                        out.push(b']');
                        stack.pop();
                    }
                }
                Node::Object(members) => {
                    if let Some((key, item)) = members.get(child) {
                        if child > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(key);
                        out.push(b':');
                        self.open(*item, &mut out, &mut stack);
                    } else {
                        out.push(b'}');
                        stack.pop();
                    }
                }
                Node::Scalar(_) => {
                    stack.pop();
                }
            }
        }
        out
    }

    fn open(&self, node: usize, out: &mut Vec<u8>, stack: &mut Vec<(usize, usize)>) {
        match &self.nodes[node] {
            Node::Scalar(s) => out.extend_from_slice(s),
            Node::Array(_) => {
                out.push(b'[');
                stack.push((node, 0));
            }
            Node::Object(_) => {
                out.push(b'{');
                stack.push((node, 0));
            }
        }
    }
}

fn push_char(out: &mut Vec<u8>, ch: char) {
    let mut buf = [0; 4];
    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
}

/// Insert a member: a repeated key keeps its first position and takes the new value.
fn insert_member(
    members: &mut Vec<(Vec<u8>, usize)>,
    index: &mut Option<HashMap<Vec<u8>, usize>>,
    key: Vec<u8>,
    value: usize,
) {
    let existing = match index {
        Some(map) => map.get(&key).copied(),
        None => members.iter().position(|(k, _)| *k == key),
    };
    if let Some(pos) = existing {
        members[pos].1 = value;
        return;
    }
    if let Some(map) = index {
        map.insert(key.clone(), members.len());
    }
    members.push((key, value));
    if index.is_none() && members.len() >= 16 {
        *index = Some(
            members
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect(),
        );
    }
}

/// The array index a serialized key stands for, if it is one (`"0"`, `"42"`, below 2^32 - 1).
fn array_index(key: &[u8]) -> Option<u32> {
    let digits = key.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || (digits.len() > 1 && digits[0] == b'0')
    {
        return None;
    }
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    u32::try_from(n).ok().filter(|&n| n != u32::MAX)
}

/// JavaScript's own-property order: array indices ascending, then the other keys in insertion order.
fn js_key_order(members: Vec<(Vec<u8>, usize)>) -> Vec<(Vec<u8>, usize)> {
    if !members.iter().any(|(k, _)| array_index(k).is_some()) {
        return members;
    }
    let (mut indices, others): (Vec<_>, Vec<_>) =
        members.into_iter().partition(|(k, _)| array_index(k).is_some());
    indices.sort_by_key(|(k, _)| array_index(k));
    indices.extend(others);
    indices
}

/// `Number.prototype.toString()` for a double, as JSON.stringify writes it (non-finite → `null`).
pub(crate) fn js_number(x: f64) -> String {
    if !x.is_finite() {
        return "null".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // Shortest round-trip digits, as `d.ddde±x`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i64;
    let n = exp.parse::<i64>().unwrap_or(0) + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let e_sign = if e >= 0 { "+" } else { "-" };
        if k == 1 {
            format!("{digits}e{e_sign}{}", e.abs())
        } else {
            format!("{}.{}e{e_sign}{}", &digits[..1], &digits[1..], e.abs())
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rs(s: &str) -> Option<String> {
        js_reserialize(s.as_bytes()).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn compacts_and_keeps_order() {
        assert_eq!(
            rs("{\n  \"b\": 1,\n  \"a\": [1, 2, {}],\n  \"c\": null\n}\n").unwrap(),
            r#"{"b":1,"a":[1,2,{}],"c":null}"#
        );
        assert_eq!(rs(" [ ] ").unwrap(), "[]");
        assert_eq!(rs("\"x\"").unwrap(), "\"x\"");
        assert_eq!(rs("true").unwrap(), "true");
    }

    #[test]
    fn integer_keys_first_and_duplicates() {
        assert_eq!(
            rs(r#"{"b":1,"2":2,"a":3,"1":4,"01":5}"#).unwrap(),
            r#"{"1":4,"2":2,"b":1,"a":3,"01":5}"#
        );
        assert_eq!(rs(r#"{"a":1,"b":2,"a":3}"#).unwrap(), r#"{"a":3,"b":2}"#);
        assert_eq!(
            rs(r#"{"4294967295":1,"4294967294":2}"#).unwrap(),
            r#"{"4294967294":2,"4294967295":1}"#
        );
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        let dup = format!("{{{},\"k3\":99}}", many.join(","));
        assert!(rs(&dup).unwrap().contains("\"k3\":99,\"k4\""));
    }

    #[test]
    fn strings() {
        assert_eq!(rs(r#""\u00e9\/\ud83d\ude00""#).unwrap(), "\"é/😀\"");
        assert_eq!(rs(r#""\ud800x\udc00""#).unwrap(), r#""\ud800x\udc00""#);
        assert_eq!(
            rs(r#""\u001F\u0008\"\\\u2028""#).unwrap(),
            "\"\\u001f\\b\\\"\\\\\u{2028}\""
        );
        assert_eq!(rs(r#""\uD83D\u0041""#).unwrap(), r#""\ud83dA""#);
        assert_eq!(rs("\"tab\there\""), None);
        assert_eq!(js_reserialize(b"\"\xff\"").unwrap(), "\"\u{fffd}\"".as_bytes());
    }

    #[test]
    fn numbers() {
        let cases = [
            ("1.0", "1"),
            ("1e3", "1000"),
            ("1e21", "1e+21"),
            ("1e20", "100000000000000000000"),
            ("0.1", "0.1"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("1.5e-7", "1.5e-7"),
            ("0.000001", "0.000001"),
            ("123456789012345678901234", "1.2345678901234569e+23"),
            ("9007199254740993", "9007199254740992"),
            ("-12.50", "-12.5"),
            ("1e400", "null"),
            ("5e-324", "5e-324"),
            ("1E+2", "100"),
        ];
        for (src, want) in cases {
            assert_eq!(rs(src).unwrap(), want, "{src}");
        }
        for bad in ["01", "1.", ".5", "-", "+1", "1e", "0x1", "NaN", "Infinity"] {
            assert_eq!(rs(bad), None, "{bad}");
        }
    }

    #[test]
    fn rejects_what_json_parse_rejects() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "[1 2]",
            "{} {}",
            "\u{feff}{}",
            "// c\n{}",
            "nul",
            "'a'",
        ] {
            assert_eq!(rs(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = "[".repeat(100_000);
        assert_eq!(rs(&deep), None);
        let ok = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(rs(&ok).unwrap(), ok);
        let too_deep = format!("{}1{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(rs(&too_deep), None);
        let objs = format!("{}1{}", "{\"a\":".repeat(3000), "}".repeat(3000));
        assert_eq!(rs(&objs).unwrap(), objs);
    }

    fn ascii_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i32>().prop_map(serde_json::Value::from),
            "[ -~]{0,12}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::vec(("[a-z_][a-zA-Z0-9 ]{0,6}", inner), 0..6)
                    .prop_map(|members| { serde_json::Value::Object(members.into_iter().collect()) }),
            ]
        })
    }

    proptest! {
        #[test]
        fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = js_reserialize(&bytes);
        }

        #[test]
        fn never_panics_on_jsonish(s in "[\\[\\]{}\",:0-9a-z\\\\. e+-]{0,64}") {
            let _ = js_reserialize(s.as_bytes());
        }

        #[test]
        fn compact_ascii_round_trips(v in ascii_json()) {
            let compact = serde_json::to_string(&v).unwrap();
            prop_assert_eq!(rs(&compact), Some(compact.clone()));
            let pretty = serde_json::to_string_pretty(&v).unwrap();
            prop_assert_eq!(rs(&pretty), Some(compact));
        }
    }
}
