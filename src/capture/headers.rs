//! An ordered header list: arrival order, original case, repeats kept, values as raw bytes.

use std::borrow::Cow;

/// One header line. `value` holds the bytes after `name:` with surrounding whitespace removed,
/// exactly as received otherwise (HTTP allows non-UTF-8 "obs-text" bytes there).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    pub name: String,
    pub value: Vec<u8>,
}

impl Header {
    pub fn new(name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }

    /// The value as text when it is valid UTF-8.
    pub fn value_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.value).ok()
    }

    /// The value as text, invalid bytes replaced by U+FFFD (display only).
    pub fn value_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.value)
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// Headers in arrival order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct HeaderList(pub Vec<Header>);

impl HeaderList {
    pub fn new() -> Self {
        HeaderList(Vec::new())
    }

    pub fn from_pairs<N: Into<String>, V: Into<Vec<u8>>>(pairs: impl IntoIterator<Item = (N, V)>) -> Self {
        HeaderList(pairs.into_iter().map(|(n, v)| Header::new(n, v)).collect())
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// First value of `name` (case-insensitive), when present and valid UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|h| h.is(name)).and_then(Header::value_str)
    }

    /// Is a header of this name present at all (whatever its bytes)?
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|h| h.is(name))
    }

    /// All values of `name` in arrival order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Header> + 'a {
        self.0.iter().filter(move |h| h.is(name))
    }

    pub fn push(&mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) {
        self.0.push(Header::new(name, value));
    }

    /// Replace every `name` header by one with `value`, keeping the position of the first
    /// occurrence (appended when absent).
    pub fn set(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        let value = value.into();
        match self.0.iter().position(|h| h.is(name)) {
            Some(first) => {
                self.0[first].value = value;
                let mut i = 0;
                self.0.retain(|h| {
                    let keep = i <= first || !h.is(name);
                    i += 1;
                    keep
                });
            }
            None => self.0.push(Header::new(name, value)),
        }
    }

    /// Remove every header called `name`; returns how many were removed.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.0.len();
        self.0.retain(|h| !h.is(name));
        before - self.0.len()
    }
}

impl<'a> IntoIterator for &'a HeaderList {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Header> for HeaderList {
    fn from_iter<T: IntoIterator<Item = Header>>(iter: T) -> Self {
        HeaderList(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_is_case_insensitive_and_returns_first() {
        let h = HeaderList::from_pairs([("X-Id", "1"), ("x-id", "2")]);
        assert_eq!(h.get("x-ID"), Some("1"));
        assert_eq!(h.get_all("X-ID").count(), 2);
    }

    #[test]
    fn set_keeps_first_position_and_drops_repeats() {
        let mut h = HeaderList::from_pairs([("A", "1"), ("B", "2"), ("a", "3"), ("C", "4")]);
        h.set("a", "9");
        let names: Vec<_> = h
            .iter()
            .map(|h| (h.name.as_str(), h.value_lossy().into_owned()))
            .collect();
        assert_eq!(
            names,
            vec![("A", "9".to_string()), ("B", "2".into()), ("C", "4".into())]
        );
        h.set("D", "5");
        assert_eq!(h.get("d"), Some("5"));
        assert_eq!(h.remove("b"), 1);
        assert!(!h.contains("B"));
    }

    #[test]
    fn non_utf8_value_is_kept_but_not_returned_as_text() {
        let h = HeaderList::from_pairs([("X-Bin", vec![0xff, b'a'])]);
        assert!(h.contains("x-bin"));
        assert_eq!(h.get("x-bin"), None);
        assert_eq!(h.0[0].value, vec![0xff, b'a']);
    }
}

/// Compact storage form: `Name: value\r\n` per header, in order. CR and LF cannot occur in a
/// header value on the wire; if an imported value carries them they are replaced by spaces.
pub fn encode_header_block(headers: &HeaderList) -> Vec<u8> {
    let mut out = Vec::with_capacity(headers.iter().map(|h| h.name.len() + h.value.len() + 4).sum());
    for h in headers {
        out.extend(h.name.bytes().map(|b| {
            if b == b'\r' || b == b'\n' || b == b':' {
                b' '
            } else {
                b
            }
        }));
        out.extend_from_slice(b": ");
        out.extend(
            h.value
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Inverse of [`encode_header_block`]; tolerant of bare `\n` line ends.
pub fn decode_header_block(block: &[u8]) -> HeaderList {
    let mut list = HeaderList::new();
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &b""[..]),
        };
        let value = value.strip_prefix(b" ").unwrap_or(value);
        list.push(String::from_utf8_lossy(name).into_owned(), value.to_vec());
    }
    list
}

#[cfg(test)]
mod block_tests {
    use super::*;

    #[test]
    fn header_block_round_trips_bytes_and_order() {
        let h = HeaderList::from_pairs([
            ("Content-Type", b"application/json".to_vec()),
            ("X-Empty", Vec::new()),
            ("x-bin", vec![0xff, 0x80, b':', b' ']),
            ("Content-Type", b"dup".to_vec()),
        ]);
        assert_eq!(decode_header_block(&encode_header_block(&h)), h);
    }
}
