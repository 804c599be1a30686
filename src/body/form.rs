//! `application/x-www-form-urlencoded` fields and `multipart/*` parts.

use percent_encoding::percent_decode_str;

/// Decoded name/value pairs in body order (`+` is a space, invalid UTF-8 replaced).
pub fn form_fields(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Part {
    /// The part's headers in order, invalid UTF-8 replaced.
    pub headers: Vec<(String, String)>,
    /// `name` from `Content-Disposition`.
    pub name: Option<String>,
    /// `filename` (or the RFC 5987 `filename*`) from `Content-Disposition`.
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// The `boundary` parameter of a `multipart/*` Content-Type.
pub fn multipart_boundary(content_type: &str) -> Option<String> {
    let (mime, params) = split_params(content_type);
    if !mime.to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    params
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v)
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

/// Splits a header value like `form-data; name="a"; filename=b.txt` into its main value and
/// parameters (names as written, quoted values unescaped).
fn split_params(value: &str) -> (&str, Vec<(String, String)>) {
    let (main, mut rest) = value.split_once(';').unwrap_or((value, ""));
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        let Some((name, after)) = rest.split_once('=') else {
            break;
        };
        let name = name.trim().to_owned();
        let after = after.trim_start();
        let value;
        if let Some(quoted) = after.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    '\\' => text.extend(chars.next().map(|(_, c)| c)),
                    c => text.push(c),
                }
            }
            value = text;
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = after.find(';').unwrap_or(after.len());
            value = after[..end].trim().to_owned();
            rest = &after[end..];
        }
        params.push((name, value));
    }
    (main.trim(), params)
}

/// Decodes an RFC 5987 extended value such as `UTF-8''na%C3%AFve.txt`.
fn extended_value(value: &str) -> Option<String> {
    let mut fields = value.splitn(3, '\'');
    let (charset, _language, encoded) = (fields.next()?, fields.next()?, fields.next()?);
    let bytes: Vec<u8> = percent_decode_str(encoded).collect();
    if charset.eq_ignore_ascii_case("utf-8") {
        Some(String::from_utf8_lossy(&bytes).into_owned())
    } else {
        // ISO-8859-1 maps bytes straight to code points.
        Some(bytes.into_iter().map(char::from).collect())
    }
}

/// Finds the next delimiter: `--boundary` at the start of a line, `from` counting as a line
/// start. Returns (where the line break before it starts, or the delimiter itself when it
/// sits at `from`; the end of the `--boundary` text).
fn find_delimiter(bytes: &[u8], from: usize, dash_boundary: &[u8]) -> Option<(usize, usize)> {
    let mut line = from;
    loop {
        let end = line + dash_boundary.len();
        // A real delimiter is followed by `--`, padding, a line break or the end.
        if bytes.get(line..)?.starts_with(dash_boundary)
            && matches!(bytes.get(end), None | Some(b'-' | b' ' | b'\t' | b'\r' | b'\n'))
        {
            let mut start = line;
            if start > from && bytes[start - 1] == b'\n' {
                start -= 1;
                if start > from && bytes[start - 1] == b'\r' {
                    start -= 1;
                }
            }
            return Some((start, end));
        }
        line += bytes[line..].iter().position(|&b| b == b'\n')? + 1;
    }
}

/// Splits a multipart body into its parts.
///
/// Tolerates a preamble, an epilogue, bare LF line breaks and a missing closing delimiter
/// (the last part then runs to the end of the body). Errors when no opening delimiter is
/// found, when a part's header block is malformed or unterminated, or when there are no parts.
pub fn multipart_parts(bytes: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    if boundary.is_empty() {
        return Err("empty multipart boundary".to_owned());
    }
    let dash_boundary = format!("--{boundary}").into_bytes();
    let Some((_, mut pos)) = find_delimiter(bytes, 0, &dash_boundary) else {
        return Err(format!("no `--{boundary}` delimiter found in the body"));
    };
    let mut parts = Vec::new();
    loop {
        if bytes[pos..].starts_with(b"--") {
            break; // closing delimiter; the epilogue is ignored
        }
        // Transport padding, then the line break that ends the delimiter line.
        while let Some(b' ' | b'\t') = bytes.get(pos) {
            pos += 1;
        }
        match bytes.get(pos) {
            Some(b'\r') if bytes.get(pos + 1) == Some(&b'\n') => pos += 2,
            Some(b'\n') => pos += 1,
            None if !parts.is_empty() => break,
            None => return Err("multipart body ends right after its first delimiter".to_owned()),
            Some(_) => {
                return Err(format!(
                    "part {}: delimiter line not followed by a line break",
                    parts.len() + 1
                ));
            }
        }
        let number = parts.len() + 1;
        let mut raw_headers = [httparse::EMPTY_HEADER; 64];
        let (header_len, headers) = match httparse::parse_headers(&bytes[pos..], &mut raw_headers) {
            Ok(httparse::Status::Complete((len, headers))) => (len, headers),
            Ok(httparse::Status::Partial) => {
                return Err(format!(
                    "part {number}: header block not terminated by a blank line"
                ));
            }
            Err(e) => return Err(format!("part {number}: malformed headers ({e})")),
        };
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).trim().to_owned(),
                )
            })
            .collect();
        let body_start = pos + header_len;
        let (body_end, next) = match find_delimiter(bytes, body_start, &dash_boundary) {
            Some((start, end)) => (start, Some(end)),
            None => (bytes.len(), None),
        };
        parts.push(part(headers, bytes[body_start..body_end].to_vec()));
        match next {
            Some(end) => pos = end,
            None => break, // no closing delimiter: the last part ran to the end
        }
    }
    if parts.is_empty() {
        return Err("multipart body has no parts".to_owned());
    }
    Ok(parts)
}

fn part(headers: Vec<(String, String)>, body: Vec<u8>) -> Part {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let content_type = header("content-type").cloned();
    let (mut name, mut filename) = (None, None);
    if let Some(disposition) = header("content-disposition") {
        let (_, params) = split_params(disposition);
        let param = |key: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        };
        name = param("name").cloned();
        filename = param("filename*")
            .and_then(|v| extended_value(v))
            .or_else(|| param("filename").cloned());
    }
    Part {
        headers,
        name,
        filename,
        content_type,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn form() {
        assert_eq!(
            form_fields(b"a=1&b=h%C3%A9llo+world"),
            [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "h\u{e9}llo world".to_owned())
            ]
        );
        let fields = form_fields(b"x=%FF&flag&x=2&&=v");
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["x", "flag", "x", ""]);
        assert_eq!(fields[0].1, "\u{FFFD}");
        assert!(form_fields(b"").is_empty());
    }

    #[test]
    fn boundary_parameter() {
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=abc123").as_deref(),
            Some("abc123")
        );
        assert_eq!(
            multipart_boundary("Multipart/Mixed; charset=utf-8; BOUNDARY=\"a b;c\"").as_deref(),
            Some("a b;c")
        );
        assert_eq!(multipart_boundary("multipart/form-data"), None);
        assert_eq!(multipart_boundary("text/plain; boundary=x"), None);
        assert_eq!(multipart_boundary("multipart/form-data; boundary="), None);
    }

    fn sample() -> Vec<u8> {
        let mut body = b"preamble\r\n--XyZ\r\n".to_vec();
        body.extend_from_slice(b"Content-Disposition: form-data; name=\"title\"\r\n\r\nHello\r\n--XyZ\r\n");
        body.extend_from_slice(
            b"Content-Disposition: form-data; name=\"note\"\r\n\r\nline 1\r\nline 2\r\n--XyZ\r\n",
        );
        body.extend_from_slice(
            b"Content-Disposition: form-data; name=\"file\"; filename=\"pic.png\"\r\nContent-Type: image/png\r\n\r\n",
        );
        body.extend_from_slice(b"\x89PNG\r\n\x1a\n\x00\xff--XyZ\r\n\x00");
        body.extend_from_slice(b"\r\n--XyZ--\r\nepilogue");
        body
    }

    #[test]
    fn two_fields_and_a_file() {
        let parts = multipart_parts(&sample(), "XyZ").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].name.as_deref(), Some("title"));
        assert_eq!(parts[0].body, b"Hello");
        assert_eq!(parts[0].filename, None);
        assert_eq!(parts[1].body, b"line 1\r\nline 2");
        assert_eq!(parts[2].name.as_deref(), Some("file"));
        assert_eq!(parts[2].filename.as_deref(), Some("pic.png"));
        assert_eq!(parts[2].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[2].body, b"\x89PNG\r\n\x1a\n\x00\xff--XyZ\r\n\x00");
        assert_eq!(
            parts[2].headers[1],
            ("Content-Type".to_owned(), "image/png".to_owned())
        );
    }

    #[test]
    fn lenient_forms() {
        // Bare LF, empty body, RFC 5987 filename, no closing delimiter.
        let body = b"--b\nContent-Disposition: form-data; name=e\n\n\n--b\n\
            Content-Disposition: attachment; filename=\"x.txt\"; filename*=UTF-8''na%C3%AFve.txt\n\nrest of it";
        let parts = multipart_parts(body, "b").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name.as_deref(), Some("e"));
        assert!(parts[0].body.is_empty());
        assert_eq!(parts[1].filename.as_deref(), Some("na\u{ef}ve.txt"));
        assert_eq!(parts[1].body, b"rest of it");
        // A part without headers, and a delimiter right after the blank line.
        let parts = multipart_parts(b"--b\r\n\r\nraw\r\n--b\r\nX: 1\r\n\r\n--b--", "b").unwrap();
        assert_eq!((parts[0].body.as_slice(), parts[1].body.len()), (&b"raw"[..], 0));
        // A longer boundary that merely starts with ours is body text.
        let parts = multipart_parts(b"--b\r\n\r\n--bb\r\n--b--", "b").unwrap();
        assert_eq!(parts[0].body, b"--bb");
    }

    #[test]
    fn structural_errors() {
        assert!(
            multipart_parts(b"no delimiter here", "b")
                .unwrap_err()
                .contains("--b")
        );
        assert!(
            multipart_parts(b"--b--\r\n", "b")
                .unwrap_err()
                .contains("no parts")
        );
        assert!(multipart_parts(b"--b", "b").is_err());
        assert!(multipart_parts(b"--b\r\nContent-Type: x\r\nno blank line", "b").is_err());
        assert!(
            multipart_parts(b"--b\r\nbad header line\r\n\r\nx", "b")
                .unwrap_err()
                .contains("part 1")
        );
        assert!(multipart_parts(b"x--b\r\n\r\n", "b").is_err());
        assert!(multipart_parts(b"--b\r\n\r\n", "").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = multipart_parts(&bytes, "b");
            let _ = form_fields(&bytes);
        }

        #[test]
        fn multipart_like_bytes_never_panic(s in "(--b|\r\n|\n|--|[a-z:;= \"-]){0,40}") {
            if let Ok(parts) = multipart_parts(s.as_bytes(), "b") {
                prop_assert!(!parts.is_empty());
            }
        }

        #[test]
        fn header_values_never_panic(s in "\\PC{0,40}") {
            let _ = multipart_boundary(&s);
            let _ = split_params(&s);
            let _ = extended_value(&s);
        }
    }
}
