//! POSIX-shell quoting for generated commands and a bash-like word splitter for pasted ones.
//!
//! Quoting targets bash (and zsh): plain single quotes for printable text, ANSI-C `$'...'` quoting
//! otherwise, where every byte that is not printable becomes `\xHH`. Bash reads at most two hex
//! digits after `\x`, so the result is byte-exact, with one exception no shell can avoid: a NUL
//! byte cannot be part of an argument (callers pass such data through a file instead).

/// Quote `s` for a POSIX shell: left bare when it only has safe characters (`[A-Za-z0-9_./:=@%+,-]`),
/// otherwise quoted by [`shell_quote_bytes`].
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:=@%+,".contains(&b))
    {
        s.to_owned()
    } else {
        shell_quote_bytes(s.as_bytes())
    }
}

/// Always-quoted form of `bytes`: `'...'` when they are UTF-8 text without control characters
/// (a `'` becomes `'\''`), otherwise `$'...'` with `\\`, `\'`, `\n`, `\r`, `\t` and `\xHH` escapes
/// for every other control byte, for `!` (so interactive history expansion cannot fire) and for
/// bytes that are not UTF-8.
pub fn shell_quote_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(char::is_control) => format!("'{}'", s.replace('\'', r"'\''")),
        _ => ansi_c_quote(bytes),
    }
}

fn ansi_c_quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push_str("$'");
    for chunk in bytes.utf8_chunks() {
        for ch in chunk.valid().chars() {
            match ch {
                '\\' => out.push_str(r"\\"),
                '\'' => out.push_str(r"\'"),
                '\n' => out.push_str(r"\n"),
                '\r' => out.push_str(r"\r"),
                '\t' => out.push_str(r"\t"),
                c if c.is_control() || c == '!' => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        push_hex_escape(&mut out, b);
                    }
                }
                c => out.push(c),
            }
        }
        for &b in chunk.invalid() {
            push_hex_escape(&mut out, b);
        }
    }
    out.push('\'');
    out
}

fn push_hex_escape(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str(r"\x");
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xf)]));
}

/// One word of a command line after quote removal, with the line it started on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub bytes: Vec<u8>,
    pub line: usize,
}

/// The words of the first command in a pasted text, plus what a here-document or here-string
/// (`<<'EOF'`, `<<< '...'`) feeds to its standard input.
#[derive(Debug, Default)]
pub(crate) struct Command {
    pub words: Vec<Word>,
    pub stdin: Option<Vec<u8>>,
}

/// A tokenizing error: the line and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShellError {
    pub line: usize,
    pub message: String,
}

/// Split the first command of `input` into words, as bash would (no expansions are performed).
///
/// Handles `\`-newline continuations (also with blanks after the backslash, a common copy
/// mistake), `'...'`, `"..."`, `$'...'`, `$"..."`, backslash escapes, `#` comments, here-documents
/// and here-strings. The command ends at an unescaped newline; a `|`, `;`, `&` or `>` at the start
/// of a word ends it too (what follows belongs to another command and is ignored). Non-blank text
/// on the lines after the end of the command is an error, since it usually is a continued line
/// that lost its backslash.
pub(crate) fn split_command(input: &str) -> Result<Command, ShellError> {
    Splitter {
        b: input.as_bytes(),
        i: 0,
        line: 1,
    }
    .run()
}

fn fail<T>(line: usize, message: impl Into<String>) -> Result<T, ShellError> {
    Err(ShellError {
        line,
        message: message.into(),
    })
}

struct Splitter<'a> {
    b: &'a [u8],
    i: usize,
    line: usize,
}

impl Splitter<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.i + ahead).copied()
    }

    /// Length of a `\` + blanks + (CR) + LF continuation starting at the current `\`.
    fn continuation_len(&self) -> Option<usize> {
        let mut j = self.i + 1;
        while matches!(self.b.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        if self.b.get(j) == Some(&b'\r') {
            j += 1;
        }
        (self.b.get(j) == Some(&b'\n')).then_some(j + 1 - self.i)
    }

    fn run(mut self) -> Result<Command, ShellError> {
        let mut cmd = Command::default();
        let mut heredoc: Option<(Vec<u8>, bool)> = None;
        loop {
            match self.peek(0) {
                None => break,
                Some(b' ' | b'\t' | b'\r') => self.i += 1,
                Some(b'\\') if self.continuation_len().is_some() => {
                    self.i += self.continuation_len().unwrap_or(1);
                    self.line += 1;
                }
                Some(b'\n') => {
                    self.i += 1;
                    self.line += 1;
                    if cmd.words.is_empty() && heredoc.is_none() {
                        continue;
                    }
                    if let Some((delim, strip_tabs)) = heredoc.take() {
                        cmd.stdin = Some(self.heredoc_body(&delim, strip_tabs));
                    }
                    self.check_rest()?;
                    return Ok(cmd);
                }
                Some(b'#') => self.skip_comment(),
                Some(b'|' | b';' | b'&' | b'>') => {
                    // The rest of the line belongs to other commands; a pending here-document
                    // still feeds this one.
                    if let Some((delim, strip_tabs)) = heredoc.take() {
                        self.skip_comment();
                        self.i += 1;
                        self.line += 1;
                        cmd.stdin = Some(self.heredoc_body(&delim, strip_tabs));
                    }
                    return Ok(cmd);
                }
                Some(b'<') => {
                    let line = self.line;
                    if self.b[self.i..].starts_with(b"<<<") {
                        self.i += 3;
                        let word = self.next_word(line, "<<<")?;
                        let mut data = word.bytes;
                        data.push(b'\n');
                        cmd.stdin = Some(data);
                    } else if self.b[self.i..].starts_with(b"<<") {
                        self.i += 2;
                        let strip_tabs = self.peek(0) == Some(b'-');
                        if strip_tabs {
                            self.i += 1;
                        }
                        let word = self.next_word(line, "<<")?;
                        heredoc = Some((word.bytes, strip_tabs));
                    } else {
                        return fail(
                            line,
                            "reading standard input from a file (<) is not supported; paste the body into the command instead",
                        );
                    }
                }
                Some(_) => {
                    let word = self.word()?;
                    // `2>/dev/null` and similar: a redirection, not an argument.
                    let is_fd = !word.bytes.is_empty() && word.bytes.iter().all(u8::is_ascii_digit);
                    if is_fd && matches!(self.peek(0), Some(b'>' | b'<')) {
                        return Ok(cmd);
                    }
                    cmd.words.push(word);
                }
            }
        }
        if let Some((delim, _)) = heredoc {
            let delim = String::from_utf8_lossy(&delim).into_owned();
            return fail(self.line, format!("here-document <<{delim} has no body"));
        }
        Ok(cmd)
    }

    fn skip_comment(&mut self) {
        while self.peek(0).is_some_and(|b| b != b'\n') {
            self.i += 1;
        }
    }

    /// The word after a redirection operator (blanks skipped).
    fn next_word(&mut self, line: usize, op: &str) -> Result<Word, ShellError> {
        while matches!(self.peek(0), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        match self.peek(0) {
            None | Some(b'\n' | b'\r' | b'|' | b';' | b'&' | b'<' | b'>') => {
                fail(line, format!("{op} needs a word after it"))
            }
            Some(_) => self.word(),
        }
    }

    /// After the command: only blank lines and comments may follow.
    fn check_rest(&mut self) -> Result<(), ShellError> {
        while let Some(b) = self.peek(0) {
            match b {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                }
                b'#' => self.skip_comment(),
                _ => {
                    return fail(
                        self.line,
                        "text after the end of the command (does the line before it lack a trailing \\ ?)",
                    );
                }
            }
        }
        Ok(())
    }

    fn heredoc_body(&mut self, delim: &[u8], strip_tabs: bool) -> Vec<u8> {
        let mut body = Vec::new();
        while self.i < self.b.len() {
            let rest = &self.b[self.i..];
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let mut line = super::strip_cr(&rest[..end]);
            self.i += (end + 1).min(rest.len());
            self.line += 1;
            if strip_tabs {
                let tabs = line.iter().take_while(|&&b| b == b'\t').count();
                line = &line[tabs..];
            }
            if line == delim {
                break;
            }
            body.extend_from_slice(line);
            body.push(b'\n');
        }
        body
    }

    /// One word: quoted and unquoted parts up to an unquoted blank, newline, `|`, `;`, `<` or `>`.
    fn word(&mut self) -> Result<Word, ShellError> {
        let line = self.line;
        let mut out = Vec::new();
        while let Some(b) = self.peek(0) {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | b'|' | b';' | b'<' | b'>' => break,
                b'\\' => {
                    if let Some(n) = self.continuation_len() {
                        self.i += n;
                        self.line += 1;
                    } else if let Some(next) = self.peek(1) {
                        out.push(next);
                        self.i += 2;
                    } else {
                        out.push(b'\\');
                        self.i += 1;
                    }
                }
                b'\'' => {
                    self.i += 1;
                    self.single_quoted(&mut out)?;
                }
                b'"' => {
                    self.i += 1;
                    self.double_quoted(&mut out)?;
                }
                b'$' if self.peek(1) == Some(b'\'') => {
                    self.i += 2;
                    self.ansi_c_quoted(&mut out)?;
                }
                b'$' if self.peek(1) == Some(b'"') => {
                    self.i += 2;
                    self.double_quoted(&mut out)?;
                }
                _ => {
                    out.push(b);
                    self.i += 1;
                }
            }
        }
        Ok(Word { bytes: out, line })
    }

    fn unterminated<T>(line: usize, quote: &str) -> Result<T, ShellError> {
        fail(
            line,
            format!("unterminated {quote} quote (opened on line {line})"),
        )
    }

    fn single_quoted(&mut self, out: &mut Vec<u8>) -> Result<(), ShellError> {
        let open = self.line;
        let rest = &self.b[self.i..];
        let Some(end) = rest.iter().position(|&b| b == b'\'') else {
            return Self::unterminated(open, "'");
        };
        out.extend_from_slice(&rest[..end]);
        self.line += rest[..end].split(|&b| b == b'\n').count() - 1;
        self.i += end + 1;
        Ok(())
    }

    fn double_quoted(&mut self, out: &mut Vec<u8>) -> Result<(), ShellError> {
        let open = self.line;
        loop {
            let Some(b) = self.peek(0) else {
                return Self::unterminated(open, "\"");
            };
            self.i += 1;
            match b {
                b'"' => return Ok(()),
                b'\\' => match self.peek(0) {
                    Some(b'\n') => {
                        self.i += 1;
                        self.line += 1;
                    }
                    Some(next @ (b'$' | b'`' | b'"' | b'\\')) => {
                        out.push(next);
                        self.i += 1;
                    }
                    _ => out.push(b'\\'),
                },
                b'\n' => {
                    self.line += 1;
                    out.push(b);
                }
                _ => out.push(b),
            }
        }
    }

    /// `$'...'`: `\a \b \e \E \f \n \r \t \v \\ \' \" \?`, octal `\nnn`, `\xHH`, `\uHHHH`,
    /// `\UHHHHHHHH` and `\cX`; any other backslash is kept.
    fn ansi_c_quoted(&mut self, out: &mut Vec<u8>) -> Result<(), ShellError> {
        let open = self.line;
        loop {
            let Some(b) = self.peek(0) else {
                return Self::unterminated(open, "$'");
            };
            self.i += 1;
            match b {
                b'\'' => return Ok(()),
                b'\\' => self.ansi_c_escape(out),
                b'\n' => {
                    self.line += 1;
                    out.push(b);
                }
                _ => out.push(b),
            }
        }
    }

    fn ansi_c_escape(&mut self, out: &mut Vec<u8>) {
        let Some(e) = self.peek(0) else {
            out.push(b'\\');
            return;
        };
        self.i += 1;
        let simple = match e {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'e' | b'E' => Some(0x1b),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' | b'\'' | b'"' | b'?' => Some(e),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            return;
        }
        match e {
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match self.peek(0) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.i += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => match self.hex_digits(2) {
                Some(v) => out.push(v as u8),
                None => out.extend_from_slice(b"\\x"),
            },
            b'u' | b'U' => {
                let max = if e == b'u' { 4 } else { 8 };
                match self.hex_digits(max).and_then(char::from_u32) {
                    Some(c) => out.extend_from_slice(c.encode_utf8(&mut [0u8; 4]).as_bytes()),
                    None => out.extend_from_slice(&[b'\\', e]),
                }
            }
            b'c' => match self.peek(0) {
                Some(c) => {
                    self.i += 1;
                    out.push(c & 0x1f);
                }
                None => out.extend_from_slice(b"\\c"),
            },
            _ => out.extend_from_slice(&[b'\\', e]),
        }
    }

    /// Up to `max` hex digits; `None` when there is none.
    fn hex_digits(&mut self, max: usize) -> Option<u32> {
        let mut v: u32 = 0;
        let mut n = 0;
        while n < max {
            let Some(d) = self.peek(0).and_then(|b| char::from(b).to_digit(16)) else {
                break;
            };
            v = (v << 4) | d;
            self.i += 1;
            n += 1;
        }
        (n > 0).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Vec<u8>> {
        split_command(s)
            .unwrap()
            .words
            .into_iter()
            .map(|w| w.bytes)
            .collect()
    }

    #[test]
    fn quoting_chooses_the_plainest_exact_form() {
        assert_eq!(shell_quote("POST"), "POST");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote_bytes(b"{\"a\":\"b!\"}"), r#"'{"a":"b!"}'"#);
        assert_eq!(shell_quote_bytes(b"a\nb'\\\t!"), r"$'a\nb\'\\\t\x21'");
        assert_eq!(
            shell_quote_bytes(&[0xff, b'A', 0x01, 0xc3, 0xa9]),
            "$'\\xffA\\x01\u{e9}'"
        );
    }

    #[test]
    fn quoted_forms_read_back_exactly() {
        for sample in [
            &b"plain"[..],
            b"it's \"q\" $HOME `x`",
            b"line\nnext\r\n\ttab\\",
            &[0x80, 0xff, 0x7f, 0x1b, b'9'],
        ] {
            let q = shell_quote_bytes(sample);
            assert_eq!(words(&q), vec![sample.to_vec()], "{q}");
        }
    }

    #[test]
    fn splits_like_bash() {
        let w = words("curl -H 'A: 1' \"b \\\"c\\\" \\d\" e\\ f $'\\x41\\u00e9\\101\\cA' \\\n  -d x");
        let expected: Vec<Vec<u8>> = vec![
            b"curl".to_vec(),
            b"-H".to_vec(),
            b"A: 1".to_vec(),
            b"b \"c\" \\d".to_vec(),
            b"e f".to_vec(),
            "A\u{e9}A\u{1}".as_bytes().to_vec(),
            b"-d".to_vec(),
            b"x".to_vec(),
        ];
        assert_eq!(w, expected);
    }

    #[test]
    fn tolerates_blanks_after_a_continuation_backslash_and_crlf() {
        assert_eq!(
            words("curl a \\  \r\n  b\r\n"),
            vec![b"curl".to_vec(), b"a".to_vec(), b"b".to_vec()]
        );
    }

    #[test]
    fn pipelines_comments_and_redirections_end_the_command() {
        assert_eq!(words("curl a | jq .").len(), 2);
        assert_eq!(words("curl a 2>/dev/null").len(), 2);
        assert_eq!(words("curl a && echo done").len(), 2);
        assert_eq!(words("# fetch\ncurl a # trailing\n# more\n").len(), 2);
    }

    #[test]
    fn here_documents_and_strings_feed_stdin() {
        let c = split_command("curl -d @- url <<'EOF'\n{\"a\": 1}\n  x\nEOF\n").unwrap();
        assert_eq!(c.words.len(), 4);
        assert_eq!(c.stdin.as_deref(), Some(&b"{\"a\": 1}\n  x\n"[..]));
        let c = split_command("curl -d @- url <<-END\n\tone\n\tEND").unwrap();
        assert_eq!(c.stdin.as_deref(), Some(&b"one\n"[..]));
        let c = split_command("curl url --data-binary @- <<< 'hi'").unwrap();
        assert_eq!(c.stdin.as_deref(), Some(&b"hi\n"[..]));
    }

    #[test]
    fn errors_name_the_line() {
        let e = split_command("curl \\\n -H 'X: 1").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unterminated ' quote"), "{}", e.message);
        let e = split_command("curl a\n  -H 'X: 1'").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(split_command("curl $'abc").is_err());
        assert!(split_command("curl \"abc").is_err());
        assert!(split_command("curl a < body.json").is_err());
    }
}
