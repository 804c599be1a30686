//! A pasted curl command → the request curl would send.
//!
//! The capture holds what the command states: method, URL (path and query), `-H` headers in
//! order, and the body. Headers curl derives from options are added as curl adds them: `Host` first
//! (from the URL, or the value of a `-H 'Host: ...'`), then `Authorization` (`-u`, `--oauth2-bearer`
//! or credentials in the URL), `User-Agent` (`-A`), `Referer` (`-e`), `Cookie` (`-b`), `Range` (`-r`),
//! then the `-H` headers, then `Content-Type: application/x-www-form-urlencoded` for `-d` data or
//! `Content-Type`/`Accept: application/json` for `--json`, unless a `-H` names them. `-H 'Name:'`
//! removes such a header, `-H 'Name;'` sends an empty one. curl's own `User-Agent: curl/x.y` and
//! `Accept: */*` defaults are not added. Files (`-d @file`, `-T`, `-F`, `-b file`) cannot be read
//! here and give an error naming the option; `@-` reads a here-document or here-string.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};

use super::curl_options::{NO_FILES, Opt, long_option, short_option};
use super::shell::{Word, split_command};
use super::{ImportError, imported_capture, is_token, split_header_line, split_url};
use crate::capture::clip::cut;
use crate::capture::{Capture, Header, HeaderList};

/// What curl's `--data-urlencode` leaves as is: `ALPHA DIGIT - . _ ~`.
const URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Parse a curl command line (bash syntax, `\` continuations, an optional `$ ` prompt).
pub fn parse_curl(cmd: &str) -> Result<Capture, ImportError> {
    let command = split_command(cmd).map_err(|e| ImportError::Curl {
        line: e.line,
        message: e.message,
    })?;
    let mut words = command.words.into_iter().peekable();
    if words.peek().is_some_and(|w| w.bytes == b"$") {
        words.next();
    }
    let Some(first) = words.next() else {
        return Err(err(1, "no command found"));
    };
    let program = String::from_utf8_lossy(&first.bytes).into_owned();
    if !(program == "curl" || program.ends_with("/curl") || program.eq_ignore_ascii_case("curl.exe")) {
        return Err(err(
            first.line,
            format!("expected a curl command, found {}", super::clip(program)),
        ));
    }
    let mut req = Request {
        stdin: command.stdin,
        ..Request::default()
    };
    let mut only_urls = false;
    while let Some(word) = words.next() {
        let line = word.line;
        if only_urls || word.bytes.len() < 2 || word.bytes[0] != b'-' {
            req.set_url(word)?;
        } else if word.bytes == b"--" {
            only_urls = true;
        } else if let Some(long) = word.bytes.strip_prefix(b"--") {
            let name = String::from_utf8_lossy(long).into_owned();
            let flag = format!("--{name}");
            let opt =
                long_option(&name).ok_or_else(|| err(line, format!("unknown option {}", cut(&flag))))?;
            let value = if opt.takes_value() {
                Some(next_value(&mut words, &flag, line)?)
            } else {
                None
            };
            req.apply(opt, &flag, value, line)?;
        } else {
            // A cluster of short options: `-sSL`, `-XPOST`, `-H'X: 1'`.
            let cluster = &word.bytes[1..];
            for (k, &letter) in cluster.iter().enumerate() {
                let flag = format!("-{}", char::from(letter));
                let Some(opt) = short_option(letter).filter(|_| letter.is_ascii()) else {
                    let shown = String::from_utf8_lossy(&word.bytes);
                    return Err(err(
                        line,
                        format!("unknown option {} (in {})", cut(&flag), super::clip(shown)),
                    ));
                };
                if opt.takes_value() {
                    let rest = &cluster[k + 1..];
                    let value = if rest.is_empty() {
                        next_value(&mut words, &flag, line)?
                    } else {
                        Word {
                            bytes: rest.to_vec(),
                            line,
                        }
                    };
                    req.apply(opt, &flag, Some(value), line)?;
                    break;
                }
                req.apply(opt, &flag, None, line)?;
            }
        }
    }
    req.build()
}

fn err(line: usize, message: impl Into<String>) -> ImportError {
    ImportError::Curl {
        line,
        message: message.into(),
    }
}

fn next_value(words: &mut impl Iterator<Item = Word>, flag: &str, line: usize) -> Result<Word, ImportError> {
    words
        .next()
        .ok_or_else(|| err(line, format!("option {flag} needs a value")))
}

fn text(bytes: Vec<u8>, what: &str, line: usize) -> Result<String, ImportError> {
    String::from_utf8(bytes).map_err(|_| err(line, format!("{what} is not valid UTF-8")))
}

#[derive(Default)]
struct Request {
    stdin: Option<Vec<u8>>,
    method: Option<String>,
    url: Option<(String, usize)>,
    target_override: Option<String>,
    data: Option<Vec<u8>>,
    json: bool,
    get: bool,
    head: bool,
    version: Option<&'static str>,
    url_query: Vec<Vec<u8>>,
    /// Headers curl derives from options, in the order it sends them (after `Host`).
    derived: Vec<Header>,
    /// `-H` headers; `None` for `-H 'Name:'` (remove).
    custom: Vec<(String, Option<Vec<u8>>)>,
}

impl Request {
    fn set_url(&mut self, word: Word) -> Result<(), ImportError> {
        let line = word.line;
        let url = text(word.bytes, "the URL", line)?;
        if let Some((first, _)) = &self.url {
            return Err(err(
                line,
                format!(
                    "a second URL {} after {}: import one request at a time",
                    super::clip(url),
                    super::clip(first)
                ),
            ));
        }
        self.url = Some((url, line));
        Ok(())
    }

    fn derive(&mut self, name: &str, value: Vec<u8>) {
        self.derived.retain(|h| !h.is(name));
        self.derived.push(Header::new(name, value));
    }

    fn add_data(&mut self, piece: &[u8], separator: Option<u8>) {
        match &mut self.data {
            Some(data) => {
                data.extend(separator);
                data.extend_from_slice(piece);
            }
            None => self.data = Some(piece.to_vec()),
        }
    }

    /// The content of `@name`: standard input for `@-`, an error for a file.
    fn at_file(
        &self,
        name: &[u8],
        flag: &str,
        line: usize,
        strip_newlines: bool,
    ) -> Result<Vec<u8>, ImportError> {
        if name != b"-" {
            let name = String::from_utf8_lossy(name);
            return Err(err(line, format!("{flag} @{} {NO_FILES}", cut(&name))));
        }
        match &self.stdin {
            Some(input) if strip_newlines => Ok(input
                .iter()
                .copied()
                .filter(|&b| b != b'\r' && b != b'\n')
                .collect()),
            Some(input) => Ok(input.clone()),
            None => Err(err(
                line,
                format!(
                    "{flag} @- reads standard input, which is not part of the paste; put the body in the command or a here-document"
                ),
            )),
        }
    }

    /// `--data-urlencode` / `--url-query` argument: `content`, `=content`, `name=content`,
    /// `@file`, `name@file`.
    fn urlencoded(&self, arg: &[u8], flag: &str, line: usize) -> Result<Vec<u8>, ImportError> {
        let split = arg.iter().position(|&b| b == b'=' || b == b'@');
        let (name, content) = match split {
            Some(i) if arg[i] == b'@' => (&arg[..i], self.at_file(&arg[i + 1..], flag, line, false)?),
            Some(i) => (&arg[..i], arg[i + 1..].to_vec()),
            None => (&arg[..0], arg.to_vec()),
        };
        let mut out = name.to_vec();
        if !name.is_empty() {
            out.push(b'=');
        }
        out.extend(percent_encode(&content, URL_ENCODE).flat_map(str::bytes));
        Ok(out)
    }

    fn apply(&mut self, opt: Opt, flag: &str, value: Option<Word>, line: usize) -> Result<(), ImportError> {
        let v = value.map(|w| w.bytes).unwrap_or_default();
        match opt {
            Opt::Request => {
                if !is_token(&v) {
                    let shown = String::from_utf8_lossy(&v);
                    return Err(err(
                        line,
                        format!("{} {} is not an HTTP method", flag, super::clip(shown)),
                    ));
                }
                self.method = Some(text(v, "the method", line)?);
            }
            Opt::Header => self.header(&v, flag, line)?,
            Opt::Data => {
                let piece = match v.strip_prefix(b"@") {
                    Some(name) => self.at_file(name, flag, line, true)?,
                    None => v,
                };
                self.add_data(&piece, Some(b'&'));
            }
            Opt::DataBinary => {
                let piece = match v.strip_prefix(b"@") {
                    Some(name) => self.at_file(name, flag, line, false)?,
                    None => v,
                };
                self.add_data(&piece, Some(b'&'));
            }
            Opt::DataRaw => self.add_data(&v, Some(b'&')),
            Opt::DataUrlencode => {
                let piece = self.urlencoded(&v, flag, line)?;
                self.add_data(&piece, Some(b'&'));
            }
            Opt::Json => {
                let piece = match v.strip_prefix(b"@") {
                    Some(name) => self.at_file(name, flag, line, false)?,
                    None => v,
                };
                self.json = true;
                self.add_data(&piece, None);
            }
            Opt::UrlQuery => {
                let piece = match v.strip_prefix(b"+") {
                    Some(raw) => raw.to_vec(),
                    None => self.urlencoded(&v, flag, line)?,
                };
                self.url_query.push(piece);
            }
            Opt::User => {
                let mut credentials = v;
                if !credentials.contains(&b':') {
                    credentials.push(b':');
                }
                self.derive(
                    "Authorization",
                    format!("Basic {}", B64.encode(&credentials)).into_bytes(),
                );
            }
            Opt::Bearer => {
                let mut value = b"Bearer ".to_vec();
                value.extend_from_slice(&v);
                self.derive("Authorization", value);
            }
            Opt::UserAgent => self.derive("User-Agent", v),
            Opt::Referer => {
                let referer = v.strip_suffix(b";auto").unwrap_or(&v).to_vec();
                if !referer.is_empty() {
                    self.derive("Referer", referer);
                }
            }
            Opt::Cookie => {
                if !v.contains(&b'=') {
                    let name = String::from_utf8_lossy(&v);
                    return Err(err(
                        line,
                        format!(
                            "{} {} reads cookies from a file, which is not part of the paste",
                            flag,
                            super::clip(name)
                        ),
                    ));
                }
                let mut cookie = match self.derived.iter().find(|h| h.is("Cookie")) {
                    Some(h) => [h.value.as_slice(), b"; "].concat(),
                    None => Vec::new(),
                };
                cookie.extend_from_slice(&v);
                self.derive("Cookie", cookie);
            }
            Opt::Range => self.derive("Range", [b"bytes=".as_slice(), &v].concat()),
            Opt::Url => self.set_url(Word { bytes: v, line })?,
            Opt::RequestTarget => self.target_override = Some(text(v, "the request target", line)?),
            Opt::Get => self.get = true,
            Opt::Head => self.head = true,
            Opt::Http10 => self.version = Some("HTTP/1.0"),
            Opt::Http2 => self.version = Some("HTTP/2.0"),
            Opt::Http3 => self.version = Some("HTTP/3"),
            Opt::Flag | Opt::Valued => {}
            Opt::Unsupported(why) => return Err(err(line, format!("{flag} {why}"))),
        }
        Ok(())
    }

    fn header(&mut self, v: &[u8], flag: &str, line: usize) -> Result<(), ImportError> {
        if v.starts_with(b"@") {
            let name = String::from_utf8_lossy(&v[1..]);
            return Err(err(line, format!("{flag} @{} {NO_FILES}", cut(&name))));
        }
        let (name, value) = if let Some((name, value)) = split_header_line(v) {
            (name, (!value.is_empty()).then(|| value.to_vec()))
        } else if let Some(name) = v.strip_suffix(b";") {
            (super::trim_blanks(name), Some(Vec::new()))
        } else {
            let shown = String::from_utf8_lossy(v);
            return Err(err(
                line,
                format!(
                    "{} {} is not a header (expected \"Name: value\")",
                    flag,
                    super::clip(shown)
                ),
            ));
        };
        if !is_token(name) {
            let shown = String::from_utf8_lossy(name);
            return Err(err(
                line,
                format!("{}: {} is not a valid header name", flag, super::clip(shown)),
            ));
        }
        self.custom
            .push((String::from_utf8_lossy(name).into_owned(), value));
        Ok(())
    }

    fn build(self) -> Result<Capture, ImportError> {
        let Some((url, url_line)) = self.url else {
            return Err(err(1, "no URL in the command"));
        };
        let parts = split_url(&url);
        if parts.authority.is_empty() {
            return Err(err(url_line, format!("the URL {} has no host", super::clip(url))));
        }
        let mut query = parts.query.map(str::as_bytes).map(<[u8]>::to_vec);
        let mut body = self.data.clone().unwrap_or_default();
        let mut has_data = self.data.is_some();
        let mut extra = self.url_query;
        if self.get && has_data {
            extra.push(std::mem::take(&mut body));
            has_data = false;
        }
        for piece in extra {
            match &mut query {
                Some(q) if !q.is_empty() => {
                    q.push(b'&');
                    q.extend_from_slice(&piece);
                }
                _ => query = Some(piece),
            }
        }
        let query = query.map(|q| String::from_utf8_lossy(&q).into_owned());
        let method = match self.method {
            Some(m) => m,
            None if self.head => "HEAD".into(),
            None if has_data => "POST".into(),
            None => "GET".into(),
        };

        let mut leading = vec![Header::new("Host", parts.authority)];
        if let Some(userinfo) = parts
            .userinfo
            .filter(|_| !self.derived.iter().any(|h| h.is("Authorization")))
        {
            let credentials = percent_decode_str(userinfo).collect::<Vec<u8>>();
            leading.push(Header::new(
                "Authorization",
                format!("Basic {}", B64.encode(credentials)),
            ));
        }
        leading.extend(self.derived);
        let mut trailing = Vec::new();
        if self.json {
            trailing.push(Header::new("Content-Type", "application/json"));
            trailing.push(Header::new("Accept", "application/json"));
        } else if has_data {
            trailing.push(Header::new("Content-Type", "application/x-www-form-urlencoded"));
        }
        let mut custom = Vec::new();
        for (name, value) in self.custom {
            leading.retain(|h| !h.is(&name) || h.is("host"));
            trailing.retain(|h| !h.is(&name));
            match value {
                None => leading.retain(|h| !h.is(&name)),
                Some(value) => match leading.iter_mut().find(|h| h.is(&name)) {
                    // A custom Host takes the place of the one from the URL.
                    Some(host) => host.value = value,
                    None => custom.push(Header::new(name, value)),
                },
            }
        }
        let headers: HeaderList = leading.into_iter().chain(custom).chain(trailing).collect();
        let version = self.version.unwrap_or("HTTP/1.1").to_owned();
        let (path, query) = match &self.target_override {
            Some(target) => {
                let (p, q) = super::split_target(target);
                (p.to_owned(), q.map(str::to_owned))
            }
            None => (parts.path.to_owned(), query),
        };
        Ok(imported_capture(method, path, query, version, headers, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(c: &Capture) -> Vec<(String, String)> {
        c.headers
            .iter()
            .map(|h| (h.name.clone(), h.value_lossy().into_owned()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|&(n, v)| (n.to_owned(), v.to_owned())).collect()
    }

    fn error(cmd: &str) -> String {
        parse_curl(cmd).unwrap_err().to_string()
    }

    #[test]
    fn stripe_dashboard_style() {
        let cmd = "curl https://api.stripe.com/v1/customers \\\n  -u sk_test_4eC39HqLyjWDarjtT1zdp7dc: \\\n  -d email=\"jenny.rosen@example.com\" \\\n  -d \"metadata[order_id]\"=6735 \\\n  --data-urlencode 'description=Jenny & co'\n";
        let c = parse_curl(cmd).unwrap();
        assert_eq!(
            (c.method.as_str(), c.path.as_str(), c.query.as_deref()),
            ("POST", "/v1/customers", None)
        );
        assert_eq!(
            c.body,
            b"email=jenny.rosen@example.com&metadata[order_id]=6735&description=Jenny%20%26%20co"
        );
        assert_eq!(
            names(&c),
            pairs(&[
                ("Host", "api.stripe.com"),
                (
                    "Authorization",
                    "Basic c2tfdGVzdF80ZUMzOUhxTHlqV0Rhcmp0VDF6ZHA3ZGM6"
                ),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ])
        );
    }

    #[test]
    fn github_docs_style() {
        let cmd = r#"curl -L \
  -X POST \
  -H "Accept: application/vnd.github+json" \
  -H "Authorization: Bearer <YOUR-TOKEN>" \
  -H "X-GitHub-Api-Version: 2022-11-28" \
  https://api.github.com/repos/OWNER/REPO/hooks \
  -d '{"name":"web","active":true,"events":["push","pull_request"],"config":{"url":"https://example.com/webhook","content_type":"json","insecure_ssl":"0"}}'"#;
        let c = parse_curl(cmd).unwrap();
        assert_eq!(
            (c.method.as_str(), c.path.as_str()),
            ("POST", "/repos/OWNER/REPO/hooks")
        );
        assert_eq!(
            names(&c),
            pairs(&[
                ("Host", "api.github.com"),
                ("Accept", "application/vnd.github+json"),
                ("Authorization", "Bearer <YOUR-TOKEN>"),
                ("X-GitHub-Api-Version", "2022-11-28"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ])
        );
        assert!(c.body.starts_with(br#"{"name":"web""#));
    }

    #[test]
    fn chrome_copy_as_curl_with_ansi_c_body() {
        let cmd = "$ curl 'https://app.example.com/api/hooks?x=1' \\\n  -H 'accept: */*' \\\n  -H 'content-type: application/json' \\\n  -b 'sid=abc; theme=dark' \\\n  --data-raw $'{\"note\":\"it\\'s \\u00e9\\\\n\"}\\n' \\\n  --compressed";
        let c = parse_curl(cmd).unwrap();
        assert_eq!(c.query.as_deref(), Some("x=1"));
        assert_eq!(c.body, "{\"note\":\"it's \u{e9}\\n\"}\n".as_bytes());
        assert_eq!(
            names(&c),
            pairs(&[
                ("Host", "app.example.com"),
                ("Cookie", "sid=abc; theme=dark"),
                ("accept", "*/*"),
                ("content-type", "application/json")
            ])
        );
    }

    #[test]
    fn combined_short_flags_and_attached_values() {
        let c = parse_curl("curl -sSLk -XPUT -H'X-A: 1' -HX-B:2 -m 30 -o out.json -A agent/1 -e 'https://ref/;auto' http://h:81/p").unwrap();
        assert_eq!(c.method, "PUT");
        assert_eq!(
            names(&c),
            pairs(&[
                ("Host", "h:81"),
                ("User-Agent", "agent/1"),
                ("Referer", "https://ref/"),
                ("X-A", "1"),
                ("X-B", "2")
            ])
        );
        assert!(c.body.is_empty());
    }

    #[test]
    fn json_get_head_and_url_forms() {
        let c = parse_curl("curl --json '{\"a\":1}' --json '{\"b\":2}' localhost:3000/hook").unwrap();
        assert_eq!(
            (c.method.as_str(), c.body.as_slice()),
            ("POST", &br#"{"a":1}{"b":2}"#[..])
        );
        assert_eq!(
            names(&c),
            pairs(&[
                ("Host", "localhost:3000"),
                ("Content-Type", "application/json"),
                ("Accept", "application/json")
            ])
        );
        let c = parse_curl("curl -G -d a=1 --data-urlencode 'q=x y' 'http://h/s?z=0#frag'").unwrap();
        assert_eq!(
            (c.method.as_str(), c.query.as_deref()),
            ("GET", Some("z=0&a=1&q=x%20y"))
        );
        assert_eq!(names(&c), pairs(&[("Host", "h")]));
        let c = parse_curl("curl -I --url http://user:p%40ss@h").unwrap();
        assert_eq!((c.method.as_str(), c.path.as_str()), ("HEAD", "/"));
        assert_eq!(c.headers.get("authorization"), Some("Basic dXNlcjpwQHNz"));
    }

    #[test]
    fn header_removal_empty_values_and_host_override() {
        let c = parse_curl("curl -d x -H 'Content-Type:' -H 'X-Empty;' -H 'host: other' http://h/").unwrap();
        assert_eq!(names(&c), pairs(&[("Host", "other"), ("X-Empty", "")]));
    }

    #[test]
    fn stdin_from_here_documents() {
        let c =
            parse_curl("curl -X POST http://h/x --data-binary @- <<'EOF'\n{\n  \"a\": 1\n}\nEOF\n").unwrap();
        assert_eq!(c.body, b"{\n  \"a\": 1\n}\n");
        let c = parse_curl("curl http://h/x -d @- <<< 'a=1'").unwrap();
        assert_eq!(c.body, b"a=1", "-d strips newlines from what it reads");
    }

    #[test]
    fn errors_name_the_flag_and_line() {
        assert_eq!(
            error("curl \\\n  --frobnicate http://h"),
            "curl command line 2: unknown option --frobnicate"
        );
        assert_eq!(
            error("curl -sz http://h"),
            "curl command line 1: unknown option -z (in \"-sz\")"
        );
        assert_eq!(
            error("curl -H 'X: 1 http://h"),
            "curl command line 1: unterminated ' quote (opened on line 1)"
        );
        assert_eq!(
            error("curl http://h \\\n -d @payload.json"),
            "curl command line 2: -d @payload.json reads a file, which is not part of the paste; paste the raw HTTP request instead"
        );
        assert!(error("curl -d @- http://h").contains("-d @- reads standard input"));
        assert!(error("curl -F a=b http://h").contains("-F multipart forms are not supported"));
        assert_eq!(error("curl -X"), "curl command line 1: option -X needs a value");
        assert_eq!(error("curl -s"), "curl command line 1: no URL in the command");
        assert_eq!(
            error("wget http://h"),
            "curl command line 1: expected a curl command, found \"wget\""
        );
        assert!(error("curl http://a http://b").contains("a second URL"));
        assert!(error("curl -H 'no colon' http://h").contains("is not a header"));
        assert!(error("curl -X 'G T' http://h").contains("is not an HTTP method"));
        assert!(error("curl -b cookies.txt http://h").contains("reads cookies from a file"));
        assert!(error("curl /relative").contains("has no host"));
    }
}
