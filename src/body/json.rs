//! The JSON tokenizer shared by every JSON view, and the re-indenter built on it.
//!
//! The tokenizer works on the raw bytes and hands out source spans, so whatever is printed
//! keeps the sender's spelling: key order, duplicate keys, number text, string escapes.
//! It keeps its own stack of open containers on the heap, so nesting depth is bounded by
//! memory, never by the call stack.

/// Where and why a body is not valid JSON. Line and column are 1-based; the column counts
/// characters, not bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at line {line}, column {column}: {message}")]
pub struct JsonViewError {
    pub line: usize,
    pub column: usize,
    /// Byte offset into the body.
    pub offset: usize,
    pub message: String,
}

impl JsonViewError {
    fn at(src: &[u8], offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(src, offset);
        JsonViewError {
            line,
            column,
            offset,
            message: message.into(),
        }
    }
}

/// 1-based line and character column of `offset` in `src` (invalid UTF-8 counts one per byte).
pub(crate) fn line_column(src: &[u8], offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = before.split(|&b| b == b'\n').count();
    let column = before[line_start..].iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
    (line, column)
}

/// A byte range of the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarKind {
    String,
    Number,
    Bool,
    Null,
}

/// One token, in document order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    BeginObject,
    EndObject,
    BeginArray,
    EndArray,
    /// An object key, quotes included.
    Key(Span),
    /// A scalar value; strings include their quotes.
    Scalar(ScalarKind, Span),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the top-level value, or after `:` / an array's `,`.
    Value,
    /// Just after `[`.
    ValueOrEnd,
    /// Just after `{`.
    KeyOrEnd,
    /// After an object's `,`.
    Key,
    Colon,
    CommaOrEnd,
    Done,
}

/// A validating pull tokenizer over raw bytes.
pub(crate) struct Tokenizer<'a> {
    src: &'a [u8],
    pos: usize,
    /// Open containers, innermost last: `true` for objects.
    stack: Vec<bool>,
    state: State,
}

impl<'a> Tokenizer<'a> {
    pub fn new(src: &'a [u8]) -> Self {
        // A UTF-8 byte order mark is tolerated and skipped.
        let pos = if src.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        Tokenizer {
            src,
            pos,
            stack: Vec::new(),
            state: State::Value,
        }
    }

    pub fn source(&self) -> &'a [u8] {
        self.src
    }

    /// The next token, `Ok(None)` at the end of a valid document.
    pub fn next_token(&mut self) -> Result<Option<Token>, JsonViewError> {
        loop {
            self.skip_whitespace();
            let peek = self.src.get(self.pos).copied();
            match self.state {
                State::Done => {
                    return match peek {
                        None => Ok(None),
                        Some(_) => Err(self.error("unexpected characters after the JSON value")),
                    };
                }
                State::ValueOrEnd if peek == Some(b']') => return Ok(Some(self.close(Token::EndArray))),
                State::Value | State::ValueOrEnd => return self.value(peek).map(Some),
                State::KeyOrEnd if peek == Some(b'}') => return Ok(Some(self.close(Token::EndObject))),
                State::KeyOrEnd | State::Key => {
                    if peek != Some(b'"') {
                        let expected = if self.state == State::Key {
                            "a string key"
                        } else {
                            "a string key or `}`"
                        };
                        return Err(self.unexpected(peek, expected));
                    }
                    let span = self.string()?;
                    self.state = State::Colon;
                    return Ok(Some(Token::Key(span)));
                }
                State::Colon => {
                    if peek != Some(b':') {
                        return Err(self.unexpected(peek, "`:`"));
                    }
                    self.pos += 1;
                    self.state = State::Value;
                }
                State::CommaOrEnd => {
                    let in_object = self.stack.last().copied().unwrap_or(false);
                    match (peek, in_object) {
                        (Some(b','), true) => {
                            self.pos += 1;
                            self.state = State::Key;
                        }
                        (Some(b','), false) => {
                            self.pos += 1;
                            self.state = State::Value;
                        }
                        (Some(b'}'), true) => return Ok(Some(self.close(Token::EndObject))),
                        (Some(b']'), false) => return Ok(Some(self.close(Token::EndArray))),
                        (_, true) => return Err(self.unexpected(peek, "`,` or `}`")),
                        (_, false) => return Err(self.unexpected(peek, "`,` or `]`")),
                    }
                }
            }
        }
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.src.get(self.pos) {
            self.pos += 1;
        }
    }

    fn error(&self, message: impl Into<String>) -> JsonViewError {
        JsonViewError::at(self.src, self.pos, message)
    }

    fn unexpected(&self, found: Option<u8>, expected: &str) -> JsonViewError {
        match found {
            None => self.error(format!("unexpected end of input, expected {expected}")),
            Some(b) if b.is_ascii_graphic() => {
                self.error(format!("expected {expected}, found `{}`", char::from(b)))
            }
            Some(b) => self.error(format!("expected {expected}, found byte 0x{b:02X}")),
        }
    }

    /// Pops a container; its end token has just been seen.
    fn close(&mut self, token: Token) -> Token {
        self.pos += 1;
        self.stack.pop();
        self.after_value();
        token
    }

    fn after_value(&mut self) {
        self.state = if self.stack.is_empty() {
            State::Done
        } else {
            State::CommaOrEnd
        };
    }

    fn value(&mut self, peek: Option<u8>) -> Result<Token, JsonViewError> {
        let start = self.pos;
        let kind = match peek {
            Some(open @ (b'{' | b'[')) => {
                self.pos += 1;
                let object = open == b'{';
                self.stack.push(object);
                self.state = if object {
                    State::KeyOrEnd
                } else {
                    State::ValueOrEnd
                };
                return Ok(if object {
                    Token::BeginObject
                } else {
                    Token::BeginArray
                });
            }
            Some(b'"') => {
                self.string()?;
                ScalarKind::String
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                ScalarKind::Number
            }
            Some(b't') => self.literal(b"true", ScalarKind::Bool)?,
            Some(b'f') => self.literal(b"false", ScalarKind::Bool)?,
            Some(b'n') => self.literal(b"null", ScalarKind::Null)?,
            other => return Err(self.unexpected(other, "a value")),
        };
        self.after_value();
        Ok(Token::Scalar(kind, Span { start, end: self.pos }))
    }

    fn literal(&mut self, word: &[u8], kind: ScalarKind) -> Result<ScalarKind, JsonViewError> {
        if !self.src[self.pos..].starts_with(word) {
            let word = String::from_utf8_lossy(word);
            return Err(self.error(format!("invalid literal, expected `{word}`")));
        }
        self.pos += word.len();
        Ok(kind)
    }

    fn digits(&mut self) -> Result<(), JsonViewError> {
        if !self.src.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Err(self.error("invalid number, expected a digit"));
        }
        while self.src.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        Ok(())
    }

    fn number(&mut self) -> Result<(), JsonViewError> {
        if self.src.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        if self.src.get(self.pos) == Some(&b'0') {
            self.pos += 1;
        } else {
            self.digits()?;
        }
        if self.src.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.src.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.src.get(self.pos) {
                self.pos += 1;
            }
            self.digits()?;
        }
        Ok(())
    }

    /// Scans a string starting at its opening quote; returns its span, quotes included.
    fn string(&mut self) -> Result<Span, JsonViewError> {
        let start = self.pos;
        self.pos += 1;
        let mut non_ascii = false;
        loop {
            let Some(&b) = self.src.get(self.pos) else {
                return Err(self.error("unterminated string"));
            };
            match b {
                b'"' => break,
                b'\\' => {
                    self.pos += 1;
                    match self.src.get(self.pos) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 1,
                        Some(b'u') => {
                            self.pos += 1;
                            for _ in 0..4 {
                                if !self.src.get(self.pos).is_some_and(u8::is_ascii_hexdigit) {
                                    return Err(self.error("invalid \\u escape, expected 4 hex digits"));
                                }
                                self.pos += 1;
                            }
                        }
                        None => return Err(self.error("unterminated string")),
                        Some(_) => {
                            self.pos -= 1;
                            return Err(self.error("invalid escape in string"));
                        }
                    }
                }
                0x00..=0x1F => return Err(self.error("control character in string (must be escaped)")),
                0x80.. => {
                    non_ascii = true;
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        self.pos += 1;
        if non_ascii && let Err(e) = std::str::from_utf8(&self.src[start..self.pos]) {
            return Err(JsonViewError::at(
                self.src,
                start + e.valid_up_to(),
                "invalid UTF-8 in string",
            ));
        }
        Ok(Span { start, end: self.pos })
    }
}

/// Indentation stops growing past this many levels, so absurdly deep bodies stay linear in
/// output size.
pub const MAX_INDENT_LEVELS: usize = 64;
const SPACES: [u8; 2 * MAX_INDENT_LEVELS] = [b' '; 2 * MAX_INDENT_LEVELS];

/// Re-indents with two spaces per level, keeping every token exactly as the sender spelled it.
/// Empty containers print as `[]` / `{}`.
pub fn pretty_json(bytes: &[u8]) -> Result<String, JsonViewError> {
    render(bytes, true)
}

/// Removes all whitespace between tokens, keeping every token exactly as spelled.
pub fn compact_json(bytes: &[u8]) -> Result<String, JsonViewError> {
    render(bytes, false)
}

/// Checks that the body is one well-formed JSON value.
pub fn validate_json(bytes: &[u8]) -> Result<(), JsonViewError> {
    let mut tokens = Tokenizer::new(bytes);
    while tokens.next_token()?.is_some() {}
    Ok(())
}

fn render(bytes: &[u8], pretty: bool) -> Result<String, JsonViewError> {
    let mut tokens = Tokenizer::new(bytes);
    let src = tokens.source();
    let mut out: Vec<u8> = Vec::with_capacity(if pretty {
        bytes.len() + bytes.len() / 2
    } else {
        bytes.len()
    });
    let mut depth = 0usize;
    // Just opened a container: nothing printed inside it yet.
    let mut opened = false;
    let mut after_key = false;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        if pretty {
            out.push(b'\n');
            out.extend_from_slice(&SPACES[..2 * depth.min(MAX_INDENT_LEVELS)]);
        }
    };
    while let Some(token) = tokens.next_token()? {
        if let Token::EndObject | Token::EndArray = token {
            depth = depth.saturating_sub(1);
            if !opened {
                newline(&mut out, depth);
            }
            opened = false;
            out.push(if token == Token::EndObject { b'}' } else { b']' });
            continue;
        }
        if after_key {
            after_key = false;
        } else if depth > 0 {
            if !opened {
                out.push(b',');
            }
            newline(&mut out, depth);
        }
        opened = false;
        match token {
            Token::BeginObject | Token::BeginArray => {
                out.push(if token == Token::BeginObject { b'{' } else { b'[' });
                depth += 1;
                opened = true;
            }
            Token::Key(span) => {
                out.extend_from_slice(&src[span.start..span.end]);
                out.extend_from_slice(if pretty { b": " } else { b":" });
                after_key = true;
            }
            Token::Scalar(_, span) => out.extend_from_slice(&src[span.start..span.end]),
            Token::EndObject | Token::EndArray => {}
        }
    }
    // Every span was validated as UTF-8 and everything else written is ASCII.
    Ok(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pretty_webhook_body() {
        let body = br#"{"id":"evt_1","type":"charge.succeeded","data":{"object":{"amount":2000,"paid":true,"refunds":[],"metadata":{},"tags":["a","b"],"fee":null}}}"#;
        let expected = r#"{
  "id": "evt_1",
  "type": "charge.succeeded",
  "data": {
    "object": {
      "amount": 2000,
      "paid": true,
      "refunds": [],
      "metadata": {},
      "tags": [
        "a",
        "b"
      ],
      "fee": null
    }
  }
}"#;
        assert_eq!(pretty_json(body).unwrap(), expected);
    }

    #[test]
    fn pretty_array_of_objects_and_reindent() {
        let body = b"  [ {\"a\" : 1 } ,\n\t{ } , [ ] ,-0.5e+10 ]\r\n";
        assert_eq!(
            pretty_json(body).unwrap(),
            "[\n  {\n    \"a\": 1\n  },\n  {},\n  [],\n  -0.5e+10\n]"
        );
        assert_eq!(compact_json(body).unwrap(), r#"[{"a":1},{},[],-0.5e+10]"#);
    }

    #[test]
    fn scalars_at_top_level() {
        assert_eq!(pretty_json(b" 42 ").unwrap(), "42");
        assert_eq!(pretty_json(b"\"x\"").unwrap(), "\"x\"");
        assert_eq!(compact_json(b"null").unwrap(), "null");
    }

    #[test]
    fn number_spelling_and_duplicates_kept() {
        let body = br#"{"a":1.0,"b":12345678901234567890,"c":1E400,"d":-0,"a":0.1000}"#;
        assert_eq!(compact_json(body).unwrap(), std::str::from_utf8(body).unwrap());
        let pretty = pretty_json(body).unwrap();
        for n in ["1.0", "12345678901234567890", "1E400", "-0", "0.1000"] {
            assert!(pretty.contains(&format!(": {n}")), "{n} in {pretty}");
        }
        assert_eq!(pretty.matches("\"a\"").count(), 2);
    }

    #[test]
    fn string_escapes_kept() {
        let body = r#"{"k\u00e9y":"caf\u00e9 \ud83d\ude00 \"q\" \/ \n","raw":"héllo ☃"}"#;
        assert_eq!(compact_json(body.as_bytes()).unwrap(), body);
        assert!(
            pretty_json(body.as_bytes())
                .unwrap()
                .contains(r#""caf\u00e9 \ud83d\ude00 \"q\" \/ \n""#)
        );
    }

    #[test]
    fn error_positions() {
        let e = pretty_json(b"{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        assert_eq!((e.line, e.column), (3, 7));
        assert_eq!(
            e.to_string(),
            "invalid JSON at line 3, column 7: expected `:`, found `2`"
        );
        let e = validate_json(b"[1, 2").unwrap_err();
        assert_eq!((e.line, e.column, e.offset), (1, 6, 5));
        assert!(e.message.contains("end of input"), "{e}");
        let e = validate_json("{\"é\": tru}".as_bytes()).unwrap_err();
        assert_eq!((e.line, e.column), (1, 7));
        assert!(validate_json(b"").unwrap_err().message.contains("end of input"));
        assert!(validate_json(b"[1,]").is_err());
        assert!(validate_json(b"{\"a\":1,}").is_err());
        assert!(validate_json(b"01").is_err());
        assert!(validate_json(b"1.").is_err());
        assert!(validate_json(b"[\"a\tb\"]").is_err());
        assert!(validate_json(b"\"\\x\"").is_err());
        assert!(validate_json(b"\"\\u12g4\"").is_err());
        assert!(validate_json(b"{} {}").is_err());
        assert!(validate_json(b"[\"\xff\"]").is_err());
        assert!(validate_json(b"\xEF\xBB\xBF{}").is_ok());
    }

    #[test]
    fn deep_nesting_is_iterative() {
        let depth = 100_000;
        let mut body = "[".repeat(depth);
        body.push_str(&"]".repeat(depth));
        validate_json(body.as_bytes()).unwrap();
        let pretty = pretty_json(body.as_bytes()).unwrap();
        assert_eq!(pretty.lines().count(), 2 * depth - 1);
        assert!(pretty.lines().all(|l| l.len() <= 2 * MAX_INDENT_LEVELS + 2));
        assert_eq!(compact_json(pretty.as_bytes()).unwrap(), body);
        assert!(pretty_json("[".repeat(depth).as_bytes()).is_err());
    }

    #[test]
    fn ten_mib_body() {
        let item = r#"{"id":12345,"name":"widget \u00e9","price":19.990,"tags":["a","b"],"ok":true},"#;
        let mut body = String::from("[");
        while body.len() < 10 * 1024 * 1024 {
            body.push_str(item);
        }
        body.pop();
        body.push(']');
        let pretty = pretty_json(body.as_bytes()).unwrap();
        assert_eq!(compact_json(pretty.as_bytes()).unwrap(), body);
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec((".*", inner), 0..8)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    /// Our verdict matches `serde_json`'s, except where `serde_json` refuses valid JSON it cannot
    /// represent (huge exponents, lone surrogates).
    fn json_agrees_with_serde(s: &str) -> Result<(), String> {
        let ours = validate_json(s.as_bytes());
        match (ours, serde_json::from_str::<serde_json::Value>(s)) {
            (Ok(()), Ok(_)) | (Err(_), Err(_)) => Ok(()),
            (Ok(()), Err(e))
                if e.to_string().contains("out of range") || e.to_string().contains("surrogate") =>
            {
                Ok(())
            }
            (ours, theirs) => Err(format!("{s:?}: ours {ours:?}, serde_json {theirs:?}")),
        }
    }

    proptest! {
        #[test]
        fn pretty_round_trips(value in arb_json()) {
            let compact = serde_json::to_string(&value).unwrap();
            let pretty = pretty_json(compact.as_bytes()).unwrap();
            let reparsed: serde_json::Value = serde_json::from_str(&pretty).unwrap();
            let expected: serde_json::Value = serde_json::from_str(&compact).unwrap();
            prop_assert_eq!(reparsed, expected);
            prop_assert_eq!(compact_json(pretty.as_bytes()).unwrap(), compact.clone());
            prop_assert_eq!(compact_json(compact.as_bytes()).unwrap(), compact);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let valid = validate_json(&bytes).is_ok();
            prop_assert_eq!(pretty_json(&bytes).is_ok(), valid);
            prop_assert_eq!(compact_json(&bytes).is_ok(), valid);
        }

        #[test]
        fn json_like_bytes_never_panic(s in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,64}") {
            let valid = validate_json(s.as_bytes()).is_ok();
            prop_assert_eq!(pretty_json(s.as_bytes()).is_ok(), valid);
            prop_assert_eq!(json_agrees_with_serde(&s), Ok(()));
        }

        #[test]
        fn agrees_with_serde_on_validity(s in "[\\[\\]{}\",:0-9tfrueanl .eE+-]{0,32}") {
            prop_assert_eq!(json_agrees_with_serde(&s), Ok(()));
        }
    }
}
