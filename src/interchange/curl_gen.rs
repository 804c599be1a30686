//! A capture → a curl command that, run by bash (or zsh), sends the same request.

use super::shell::{shell_quote, shell_quote_bytes};
use super::split_url;
use crate::capture::Capture;

/// Bodies larger than this (or holding a NUL byte, which no shell argument can carry) are not
/// written inline: the command reads them from [`CurlCommand::BODY_FILE_NAME`].
pub const INLINE_BODY_LIMIT: usize = 64 * 1024;

/// A generated curl command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurlCommand {
    /// The command, one option per line with `\` continuations.
    pub command: String,
    /// When the body cannot be written inline: the bytes to save as
    /// [`CurlCommand::BODY_FILE_NAME`] in the directory the command runs in.
    pub body_file: Option<Vec<u8>>,
}

impl CurlCommand {
    /// The file the command reads the body from when [`CurlCommand::body_file`] is set.
    pub const BODY_FILE_NAME: &'static str = "body.bin";
}

/// The curl command for `c`, sent to `base_url` (e.g. `http://127.0.0.1:8787`, or with a path
/// prefix that the capture's path and query are appended to).
///
/// Rules, so that bash sends exactly the capture's bytes:
/// - `-X METHOD`, then the URL, then one `-H` per header in capture order. `Content-Length` is
///   left to curl. `Host` is left out when it equals the URL's host (curl sends that one), and
///   kept otherwise. An empty value is written `-H 'Name;'` (curl's way to send an empty header).
/// - The body goes inline as `--data-binary` (`--data-raw` when it starts with `@`): plain single
///   quotes for printable UTF-8 text, `$'...'` with escapes otherwise (see [`shell_quote_bytes`]).
///   Over [`INLINE_BODY_LIMIT`] bytes, or with a NUL byte, it is `--data-binary @body.bin` and the
///   bytes come back in [`CurlCommand::body_file`]. An empty body is only sent (as `''`) when the
///   capture declared a `Content-Length`.
/// - curl adds `Content-Type: application/x-www-form-urlencoded` to data it sends; when the
///   capture has a body and no `Content-Type`, `-H 'Content-Type:'` stops it.
/// - `HTTP/1.0` captures get `--http1.0`.
/// - curl's default `User-Agent` and `Accept` are switched off (`-H 'User-Agent:'`) unless the
///   capture has them; a target that is not a path (`*`) goes in `--request-target`.
pub fn to_curl(c: &Capture, base_url: &str) -> CurlCommand {
    let base = base_url.trim().trim_end_matches('/');
    let target = c.target();
    // A target that is not a path (`OPTIONS *`) is sent as it is with `--request-target`.
    let url = if target.starts_with('/') {
        format!("{base}{target}")
    } else {
        format!("{base}/")
    };
    let url_host = split_url(base).authority;

    let mut lines = vec![format!(
        "curl -X {} {}",
        shell_quote(&c.method),
        shell_quote_bytes(url.as_bytes())
    )];
    if !target.starts_with('/') {
        lines.push(format!(
            "--request-target {}",
            shell_quote_bytes(target.as_bytes())
        ));
    }
    if c.http_version.eq_ignore_ascii_case("HTTP/1.0") {
        lines.push("--http1.0".into());
    }
    for h in &c.headers {
        if h.is("content-length") || (h.is("host") && h.value.eq_ignore_ascii_case(url_host.as_bytes())) {
            continue;
        }
        let mut line = h.name.as_bytes().to_vec();
        if h.value.is_empty() {
            line.push(b';');
        } else {
            line.extend_from_slice(b": ");
            line.extend_from_slice(&h.value);
        }
        lines.push(format!("-H {}", shell_quote_bytes(&line)));
    }
    // curl's own defaults, which the capture did not have, are switched off.
    for default in ["User-Agent", "Accept"] {
        if !c.headers.contains(default) {
            lines.push(format!("-H '{default}:'"));
        }
    }

    let send_data = !c.body.is_empty() || c.headers.contains("content-length");
    let mut body_file = None;
    if send_data {
        if !c.headers.contains("content-type") {
            lines.push("-H 'Content-Type:'".into());
        }
        if c.body.len() > INLINE_BODY_LIMIT || c.body.contains(&0) {
            lines.push(format!("--data-binary @{}", CurlCommand::BODY_FILE_NAME));
            body_file = Some(c.body.clone());
        } else {
            let flag = if c.body.starts_with(b"@") {
                "--data-raw"
            } else {
                "--data-binary"
            };
            lines.push(format!("{flag} {}", shell_quote_bytes(&c.body)));
        }
    }
    CurlCommand {
        command: lines.join(" \\\n  "),
        body_file,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::HeaderList;
    use crate::interchange::parse_curl;

    fn capture(method: &str, target: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Capture {
        let (path, query) = crate::interchange::split_target(target);
        Capture {
            method: method.into(),
            path: path.into(),
            query: query.map(Into::into),
            http_version: "HTTP/1.1".into(),
            headers: HeaderList::from_pairs(headers.iter().map(|&(n, v)| (n, v.to_vec()))),
            body: body.to_vec(),
            body_len: body.len() as u64,
            ..Capture::default()
        }
    }

    /// Generate, parse back, and compare what matters for a replay.
    fn round_trip(c: &Capture) -> Capture {
        let cmd = to_curl(c, "http://127.0.0.1:8787");
        assert_eq!(cmd.body_file, None);
        let back = parse_curl(&cmd.command).unwrap_or_else(|e| panic!("{e}\n{}", cmd.command));
        assert_eq!(back.method, c.method, "{}", cmd.command);
        assert_eq!(back.target(), c.target(), "{}", cmd.command);
        assert_eq!(back.body, c.body, "{}", cmd.command);
        back
    }

    #[test]
    fn simple_json_post_reads_well_and_round_trips() {
        let body = br#"{"event":"task.completed","note":"it's done"}"#;
        let c = capture(
            "POST",
            "/smtm/webhook?x=1&y=2",
            &[
                ("Host", b"127.0.0.1:8787"),
                ("Content-Type", b"application/json"),
                ("X-SMTM-Event", b"task.completed"),
            ],
            body,
        );
        let cmd = to_curl(&c, "http://127.0.0.1:8787/");
        assert_eq!(
            cmd.command,
            "curl -X POST 'http://127.0.0.1:8787/smtm/webhook?x=1&y=2' \\\n  \
             -H 'Content-Type: application/json' \\\n  \
             -H 'X-SMTM-Event: task.completed' \\\n  \
             -H 'User-Agent:' \\\n  \
             -H 'Accept:' \\\n  \
             --data-binary '{\"event\":\"task.completed\",\"note\":\"it'\\''s done\"}'"
        );
        let back = round_trip(&c);
        assert_eq!(
            back.headers, c.headers,
            "Host from the URL comes first, like the original"
        );
    }

    #[test]
    fn text_with_newlines_and_binary_bodies_are_byte_exact() {
        for body in [
            &b"line 1\nline 2\r\n\ttabbed \\ 'quoted' \"double\" $HOME !bang\n"[..],
            &[0xff, 0xfe, 0x80, b'\'', 0x7f, 0x1b],
            "caf\u{e9} \u{1F600}".as_bytes(),
        ] {
            let c = capture(
                "PUT",
                "/b",
                &[("Content-Type", b"application/octet-stream")],
                body,
            );
            round_trip(&c);
        }
    }

    #[test]
    fn empty_bodies_and_empty_header_values_survive() {
        let c = capture("DELETE", "/x", &[("X-Empty", b""), ("X-Quote", b"a'b")], b"");
        let back = round_trip(&c);
        assert_eq!(
            back.headers,
            HeaderList::from_pairs([
                ("Host", &b"127.0.0.1:8787"[..]),
                ("X-Empty", b""),
                ("X-Quote", b"a'b")
            ])
        );
        assert!(!to_curl(&c, "http://h").command.contains("--data"));

        let c = capture("POST", "/x", &[("Content-Length", b"0")], b"");
        let cmd = to_curl(&c, "http://h");
        assert!(cmd.command.contains("--data-binary ''"), "{}", cmd.command);
        assert!(cmd.command.contains("-H 'Content-Type:'"), "{}", cmd.command);
        let back = parse_curl(&cmd.command).unwrap();
        assert_eq!(back.headers, HeaderList::from_pairs([("Host", "h")]));
    }

    #[test]
    fn a_body_starting_with_at_is_not_read_as_a_file() {
        let c = capture("POST", "/a", &[("Content-Type", b"text/plain")], b"@not-a-file");
        assert!(
            to_curl(&c, "http://h")
                .command
                .contains("--data-raw '@not-a-file'")
        );
        round_trip(&c);
    }

    #[test]
    fn large_or_nul_bodies_go_to_a_file() {
        let c = capture(
            "POST",
            "/a",
            &[("Content-Type", b"application/octet-stream")],
            b"a\0b",
        );
        let cmd = to_curl(&c, "http://h");
        assert_eq!(cmd.body_file.as_deref(), Some(&b"a\0b"[..]));
        assert!(
            cmd.command.ends_with("--data-binary @body.bin"),
            "{}",
            cmd.command
        );
        let big = vec![b'x'; INLINE_BODY_LIMIT + 1];
        assert_eq!(
            to_curl(&capture("POST", "/a", &[], &big), "http://h").body_file,
            Some(big)
        );
        let e = parse_curl(&cmd.command).unwrap_err().to_string();
        assert!(e.contains("--data-binary @body.bin"), "{e}");
    }

    #[test]
    fn a_different_host_is_kept_and_takes_the_host_place() {
        let c = capture("GET", "/", &[("Host", b"abc.ngrok.io"), ("Accept", b"*/*")], b"");
        let cmd = to_curl(&c, "http://localhost:3000");
        assert!(cmd.command.contains("-H 'Host: abc.ngrok.io'"));
        assert_eq!(round_trip(&c).headers, c.headers);
    }

    #[test]
    fn odd_methods_and_http10_are_kept() {
        let mut c = capture("M-SEARCH", "/", &[], b"");
        c.http_version = "HTTP/1.0".into();
        let cmd = to_curl(&c, "http://h");
        assert!(
            cmd.command
                .starts_with("curl -X M-SEARCH 'http://h/' \\\n  --http1.0"),
            "{}",
            cmd.command
        );
        assert_eq!(parse_curl(&cmd.command).unwrap().http_version, "HTTP/1.0");
    }

    #[test]
    fn a_star_target_goes_in_request_target_and_curl_defaults_are_switched_off() {
        let c = capture(
            "OPTIONS",
            "*",
            &[("Host", b"127.0.0.1:8787"), ("Accept", b"*/*")],
            b"",
        );
        let cmd = to_curl(&c, "http://127.0.0.1:8787");
        assert!(
            cmd.command
                .starts_with("curl -X OPTIONS 'http://127.0.0.1:8787/' \\\n  --request-target '*'"),
            "{}",
            cmd.command
        );
        assert!(cmd.command.contains("-H 'User-Agent:'"), "{}", cmd.command);
        assert!(
            !cmd.command.contains("-H 'Accept:'"),
            "the capture had Accept: {}",
            cmd.command
        );
        let back = parse_curl(&cmd.command).unwrap();
        assert_eq!(
            (back.method.as_str(), back.path.as_str(), back.query),
            ("OPTIONS", "*", None)
        );
        assert_eq!(back.headers, c.headers);
    }
}
