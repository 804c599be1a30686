//! The filter language of the window's filter bar and `hookscope list --filter`.
//!
//! Terms separated by spaces, all of which must hold; a leading `-` negates a term:
//!
//! ```text
//! method:POST,PUT           any of these methods
//! path:/smtm/*              path glob (`*`, `?`, `[abc]`); without wildcards, the exact path
//! header:x-smtm-event       a header with this name (any case)
//! header:X-SMTM-Event=task.*  ...whose value matches this glob (`*`, `?`)
//! verdict:invalid,no_secret valid · invalid · no_secret · unsigned
//! event:task.*              event type glob
//! has:duplicate             duplicate · out-of-order · test · oversized · imported
//! status:4xx,201,none       status codes, classes, or no answer recorded
//! after:2026-11-01  before:2026-11-02T12:00:00Z   received at or after / before (UTC dates)
//! "free text"  word         words in the body, in this order, any case; `word*` matches a prefix
//! ```
//! Values with spaces are quoted: `path:"/a b"`. Parsing never panics; a bad term gives a
//! [`FilterError`] naming it.

use std::fmt;

use super::Verdict;

/// A parsed filter: every term must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub negated: bool,
    pub cond: Cond,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// Upper-case method names, any of.
    Method(Vec<String>),
    /// Path glob.
    Path(String),
    /// Header name (matched in any case) and an optional value glob.
    Header {
        name: String,
        value: Option<String>,
    },
    Verdict(Vec<Verdict>),
    /// Event type glob.
    Event(String),
    Has(Flag),
    Status(Vec<StatusMatch>),
    /// Received at or after, µs since the epoch.
    After(i64),
    /// Received before, µs since the epoch.
    Before(i64),
    /// Words in the body (a phrase); `prefix` when it ended in `*`.
    Text {
        text: String,
        prefix: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Duplicate,
    OutOfOrder,
    Test,
    Oversized,
    Imported,
    Replayed,
    Incomplete,
}

impl Flag {
    pub const ALL: [Flag; 7] = [
        Flag::Duplicate,
        Flag::OutOfOrder,
        Flag::Test,
        Flag::Oversized,
        Flag::Imported,
        Flag::Replayed,
        Flag::Incomplete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Duplicate => "duplicate",
            Flag::OutOfOrder => "out-of-order",
            Flag::Test => "test",
            Flag::Oversized => "oversized",
            Flag::Imported => "imported",
            Flag::Replayed => "replayed",
            Flag::Incomplete => "incomplete",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        let s = s.to_ascii_lowercase().replace('_', "-");
        match s.as_str() {
            "duplicate" | "dup" | "duplicates" => Some(Flag::Duplicate),
            "out-of-order" | "ooo" | "outoforder" => Some(Flag::OutOfOrder),
            "test" => Some(Flag::Test),
            "oversized" => Some(Flag::Oversized),
            "imported" => Some(Flag::Imported),
            "replayed" | "replay" => Some(Flag::Replayed),
            "incomplete" => Some(Flag::Incomplete),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMatch {
    Code(u16),
    /// `4xx` → 4.
    Class(u8),
    /// No answer was recorded (imported captures).
    None,
}

/// Why a filter could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {})", .at + 1)]
pub struct FilterError {
    /// Character offset of the term.
    pub at: usize,
    pub message: String,
}

const KEYS: &str = "method, path, header, verdict, event, has, status, after, before";

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether any term needs the search index (body words or headers).
    pub fn uses_search_index(&self) -> bool {
        self.terms
            .iter()
            .any(|t| matches!(t.cond, Cond::Text { .. } | Cond::Header { .. }))
    }

    /// Parse a filter expression. Never panics.
    pub fn parse(input: &str) -> Result<Filter, FilterError> {
        let mut terms = Vec::new();
        for raw in split_terms(input)? {
            terms.push(parse_term(&raw)?);
        }
        Ok(Filter { terms })
    }
}

/// One term as written: offset, negation, key (if any), value (unquoted).
struct RawTerm {
    at: usize,
    negated: bool,
    key: Option<String>,
    value: String,
    quoted: bool,
}

fn split_terms(input: &str) -> Result<Vec<RawTerm>, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let at = i;
        let mut negated = false;
        if chars[i] == '-' && chars.get(i + 1).is_some_and(|c| !c.is_whitespace()) {
            negated = true;
            i += 1;
        }
        // A key is letters (and `-`/`_`) followed by `:`.
        let mut key = None;
        let mut j = i;
        while j < chars.len() && (chars[j].is_ascii_alphabetic() || chars[j] == '_' || chars[j] == '-') {
            j += 1;
        }
        if j > i && chars.get(j) == Some(&':') {
            key = Some(chars[i..j].iter().collect::<String>().to_ascii_lowercase());
            i = j + 1;
        }
        let (value, quoted) = if chars.get(i) == Some(&'"') {
            let start = i + 1;
            let mut k = start;
            let mut value = String::new();
            loop {
                match chars.get(k) {
                    None => {
                        return Err(FilterError {
                            at,
                            message: "a quote is not closed".into(),
                        });
                    }
                    Some('"') if chars.get(k + 1) == Some(&'"') => {
                        value.push('"');
                        k += 2;
                    }
                    Some('"') => break,
                    Some(c) => {
                        value.push(*c);
                        k += 1;
                    }
                }
            }
            i = k + 1;
            if chars.get(i).is_some_and(|c| !c.is_whitespace()) {
                // `"abc"*` keeps its prefix star; anything else glued on is an error.
                if chars.get(i) == Some(&'*') && chars.get(i + 1).is_none_or(|c| c.is_whitespace()) {
                    value.push('*');
                    i += 1;
                    (value, false)
                } else {
                    return Err(FilterError {
                        at,
                        message: "put a space after a closing quote".into(),
                    });
                }
            } else {
                (value, true)
            }
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            (chars[start..i].iter().collect(), false)
        };
        out.push(RawTerm {
            at,
            negated,
            key,
            value,
            quoted,
        });
    }
    Ok(out)
}

fn parse_term(raw: &RawTerm) -> Result<Term, FilterError> {
    let err = |message: String| FilterError { at: raw.at, message };
    let value = raw.value.as_str();
    let Some(key) = raw.key.as_deref() else {
        return text_term(raw.negated, value, raw.quoted).map_err(err);
    };
    if value.is_empty() {
        return Err(err(format!("`{key}:` needs a value")));
    }
    let list = || value.split(',').map(str::trim).filter(|v| !v.is_empty());
    let cond = match key {
        "method" => {
            let mut methods = Vec::new();
            for m in list() {
                if !m
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err(err(format!("`{m}` is not an HTTP method")));
                }
                methods.push(m.to_ascii_uppercase());
            }
            if methods.is_empty() {
                return Err(err("`method:` needs a value".into()));
            }
            Cond::Method(methods)
        }
        "path" => Cond::Path(value.to_string()),
        "event" => Cond::Event(value.to_string()),
        "header" => {
            let (name, v) = match value.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.to_string())),
                None => (value.trim(), None),
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                return Err(err(format!("`{name}` is not a header name")));
            }
            Cond::Header {
                name: name.to_ascii_lowercase(),
                value: v,
            }
        }
        "verdict" => {
            let mut verdicts = Vec::new();
            for v in list() {
                let parsed = Verdict::parse(&v.replace('-', "_")).ok_or_else(|| {
                    err(format!(
                        "unknown verdict `{v}` (valid, invalid, no_secret, unsigned)"
                    ))
                })?;
                verdicts.push(parsed);
            }
            if verdicts.is_empty() {
                return Err(err("`verdict:` needs a value".into()));
            }
            Cond::Verdict(verdicts)
        }
        "has" | "is" => Cond::Has(Flag::parse(value).ok_or_else(|| {
            let known: Vec<&str> = Flag::ALL.iter().map(|f| f.as_str()).collect();
            err(format!("unknown flag `{value}` ({})", known.join(", ")))
        })?),
        "status" => {
            let mut out = Vec::new();
            for s in list() {
                out.push(
                    parse_status(s)
                        .ok_or_else(|| err(format!("`{s}` is not a status (e.g. 200, 4xx, none)")))?,
                );
            }
            if out.is_empty() {
                return Err(err("`status:` needs a value".into()));
            }
            Cond::Status(out)
        }
        "after" | "since" => Cond::After(parse_time(value).ok_or_else(|| err(time_error(value)))?),
        "before" | "until" => Cond::Before(parse_time(value).ok_or_else(|| err(time_error(value)))?),
        other => {
            return Err(err(format!(
                "unknown filter `{other}:` (known: {KEYS}); quote text that has a colon"
            )));
        }
    };
    Ok(Term {
        negated: raw.negated,
        cond,
    })
}

fn text_term(negated: bool, value: &str, quoted: bool) -> Result<Term, String> {
    let (text, prefix) = match value.strip_suffix('*') {
        Some(t) if !quoted => (t, true),
        _ => (value, false),
    };
    if !text.chars().any(char::is_alphanumeric) {
        return Err(format!("search text `{value}` needs a letter or digit"));
    }
    Ok(Term {
        negated,
        cond: Cond::Text {
            text: text.to_string(),
            prefix,
        },
    })
}

fn time_error(value: &str) -> String {
    format!("`{value}` is not a date or time (2026-11-01, 2026-11-01T09:30:00Z)")
}

fn parse_status(s: &str) -> Option<StatusMatch> {
    if s.eq_ignore_ascii_case("none") {
        return Some(StatusMatch::None);
    }
    let lower = s.to_ascii_lowercase();
    if let Some(class) = lower.strip_suffix("xx")
        && class.len() == 1
    {
        let d = class.parse::<u8>().ok()?;
        return (1..=5).contains(&d).then_some(StatusMatch::Class(d));
    }
    let code = s.parse::<u16>().ok()?;
    (100..=599).contains(&code).then_some(StatusMatch::Code(code))
}

/// A date (UTC midnight), a civil date-time (UTC) or an RFC 3339 timestamp, in µs.
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.as_microsecond());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_microsecond());
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_microsecond());
    }
    None
}

impl fmt::Display for Filter {
    /// The canonical spelling; parsing it gives the same filter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if t.negated {
                f.write_str("-")?;
            }
            match &t.cond {
                Cond::Method(m) => write!(f, "method:{}", m.join(","))?,
                Cond::Path(p) => write!(f, "path:{}", quote(p))?,
                Cond::Header { name, value: None } => write!(f, "header:{}", quote(name))?,
                Cond::Header { name, value: Some(v) } => {
                    write!(f, "header:{}", quote(&format!("{name}={v}")))?;
                }
                Cond::Verdict(v) => write!(
                    f,
                    "verdict:{}",
                    v.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(",")
                )?,
                Cond::Event(e) => write!(f, "event:{}", quote(e))?,
                Cond::Has(flag) => write!(f, "has:{}", flag.as_str())?,
                Cond::Status(s) => {
                    let parts: Vec<String> = s
                        .iter()
                        .map(|s| match s {
                            StatusMatch::Code(c) => c.to_string(),
                            StatusMatch::Class(c) => format!("{c}xx"),
                            StatusMatch::None => "none".into(),
                        })
                        .collect();
                    write!(f, "status:{}", parts.join(","))?;
                }
                Cond::After(us) => write!(f, "after:{}", super::format_rfc3339_us(*us))?,
                Cond::Before(us) => write!(f, "before:{}", super::format_rfc3339_us(*us))?,
                Cond::Text { text, prefix } => {
                    write!(f, "\"{}\"", text.replace('"', "\"\""))?;
                    if *prefix {
                        f.write_str("*")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Quote a value when it holds spaces or quotes (or starts with one).
fn quote(v: &str) -> String {
    if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c == '"') {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// `*` and `?` wildcard match (no classes), iterative: never recurses, never panics.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
#[path = "filter_tests.rs"]
mod tests;
