//! Differences between two captures: headers added, removed or changed (by name, in order), and a
//! line diff of the bodies (pretty-printed when both are JSON), for a failing delivery beside a
//! passing one.

use similar::{ChangeTag, TextDiff};

use super::{Capture, HeaderList};
use crate::body::{pretty_json, text_lossy};

/// Longest body text compared line by line; longer bodies are cut with a note.
const MAX_DIFF_BYTES: usize = 2 * 1024 * 1024;

/// One header difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderChange {
    Added {
        name: String,
        value: String,
    },
    Removed {
        name: String,
        value: String,
    },
    Changed {
        name: String,
        left: String,
        right: String,
    },
    Same {
        name: String,
        value: String,
    },
}

/// One line of a body diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineChange {
    Same(String),
    Removed(String),
    Added(String),
}

/// Everything that differs between two captures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaptureDiff {
    /// Method, target and status differences, as `(what, left, right)`.
    pub request_line: Vec<(String, String, String)>,
    pub headers: Vec<HeaderChange>,
    pub body: Vec<LineChange>,
    /// Both bodies were JSON and are compared pretty-printed.
    pub body_as_json: bool,
    /// The bodies have identical bytes.
    pub body_identical: bool,
    /// A note when the comparison was cut short.
    pub note: Option<String>,
}

impl CaptureDiff {
    pub fn header_changes(&self) -> usize {
        self.headers
            .iter()
            .filter(|h| !matches!(h, HeaderChange::Same { .. }))
            .count()
    }

    pub fn body_changes(&self) -> usize {
        self.body
            .iter()
            .filter(|l| !matches!(l, LineChange::Same(_)))
            .count()
    }

    /// A unified-diff text (`-`/`+`/` ` prefixes) of headers and body.
    pub fn unified(&self) -> String {
        let mut out = String::new();
        for (what, l, r) in &self.request_line {
            out.push_str(&format!("-{what}: {l}\n+{what}: {r}\n"));
        }
        for h in &self.headers {
            match h {
                HeaderChange::Added { name, value } => out.push_str(&format!("+{name}: {value}\n")),
                HeaderChange::Removed { name, value } => out.push_str(&format!("-{name}: {value}\n")),
                HeaderChange::Changed { name, left, right } => {
                    out.push_str(&format!("-{name}: {left}\n+{name}: {right}\n"));
                }
                HeaderChange::Same { name, value } => out.push_str(&format!(" {name}: {value}\n")),
            }
        }
        out.push('\n');
        for l in &self.body {
            match l {
                LineChange::Same(t) => out.push_str(&format!(" {t}\n")),
                LineChange::Removed(t) => out.push_str(&format!("-{t}\n")),
                LineChange::Added(t) => out.push_str(&format!("+{t}\n")),
            }
        }
        out
    }
}

/// Compare `left` with `right`.
pub fn diff_captures(left: &Capture, right: &Capture) -> CaptureDiff {
    let mut d = CaptureDiff::default();
    let mut line = |what: &str, l: String, r: String| {
        if l != r {
            d.request_line.push((what.to_string(), l, r));
        }
    };
    line("method", left.method.clone(), right.method.clone());
    line("target", left.target(), right.target());
    line(
        "status",
        left.status().map_or_else(|| "-".into(), |s| s.to_string()),
        right.status().map_or_else(|| "-".into(), |s| s.to_string()),
    );
    d.headers = diff_headers(&left.headers, &right.headers);
    d.body_identical = left.body == right.body;
    let (l, r, json) = body_texts(&left.body, &right.body);
    d.body_as_json = json;
    let (l, r, cut) = (
        cut(&l),
        cut(&r),
        l.len() > MAX_DIFF_BYTES || r.len() > MAX_DIFF_BYTES,
    );
    if cut {
        d.note = Some(format!(
            "bodies compared up to their first {} MiB",
            MAX_DIFF_BYTES / (1024 * 1024)
        ));
    }
    let diff = TextDiff::from_lines(l, r);
    d.body = diff
        .iter_all_changes()
        .map(|c| {
            let text = c.value().trim_end_matches(['\n', '\r']).to_string();
            match c.tag() {
                ChangeTag::Equal => LineChange::Same(text),
                ChangeTag::Delete => LineChange::Removed(text),
                ChangeTag::Insert => LineChange::Added(text),
            }
        })
        .collect();
    if d.body_identical {
        d.body_as_json = json;
    } else if d.body_changes() == 0 {
        d.note = Some(if json {
            "the bodies hold the same JSON value but their bytes differ (whitespace, key escaping or number format)"
                .into()
        } else {
            "the bodies differ only in line endings or a trailing newline".into()
        });
    }
    d
}

fn cut(s: &str) -> &str {
    if s.len() <= MAX_DIFF_BYTES {
        return s;
    }
    let mut end = MAX_DIFF_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The texts to compare: pretty JSON when both bodies are JSON, else the text (lossy).
fn body_texts(l: &[u8], r: &[u8]) -> (String, String, bool) {
    if let (Ok(a), Ok(b)) = (pretty_json(l), pretty_json(r)) {
        return (a, b, true);
    }
    (text_lossy(l), text_lossy(r), false)
}

/// Header differences, matched by name (case-insensitive); repeats are paired in order.
pub fn diff_headers(left: &HeaderList, right: &HeaderList) -> Vec<HeaderChange> {
    let mut used = vec![false; right.len()];
    let mut out = Vec::new();
    for h in left {
        let value = h.value_lossy().into_owned();
        let partner = right
            .iter()
            .enumerate()
            .position(|(i, r)| !used[i] && r.is(&h.name));
        match partner {
            Some(i) => {
                used[i] = true;
                let other = right.0[i].value_lossy().into_owned();
                if other == value {
                    out.push(HeaderChange::Same {
                        name: h.name.clone(),
                        value,
                    });
                } else {
                    out.push(HeaderChange::Changed {
                        name: h.name.clone(),
                        left: value,
                        right: other,
                    });
                }
            }
            None => out.push(HeaderChange::Removed {
                name: h.name.clone(),
                value,
            }),
        }
    }
    for (i, r) in right.iter().enumerate() {
        if !used[i] {
            out.push(HeaderChange::Added {
                name: r.name.clone(),
                value: r.value_lossy().into_owned(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(headers: &[(&str, &str)], body: &str) -> Capture {
        Capture {
            method: "POST".into(),
            path: "/h".into(),
            headers: HeaderList::from_pairs(headers.iter().copied()),
            body: body.as_bytes().to_vec(),
            ..Capture::default()
        }
    }

    #[test]
    fn headers_added_removed_changed() {
        let l = cap(&[("A", "1"), ("X-Sig", "old"), ("Gone", "x")], "");
        let r = cap(&[("a", "1"), ("X-Sig", "new"), ("New", "y")], "");
        let d = diff_captures(&l, &r);
        assert_eq!(
            d.headers,
            vec![
                HeaderChange::Same {
                    name: "A".into(),
                    value: "1".into()
                },
                HeaderChange::Changed {
                    name: "X-Sig".into(),
                    left: "old".into(),
                    right: "new".into()
                },
                HeaderChange::Removed {
                    name: "Gone".into(),
                    value: "x".into()
                },
                HeaderChange::Added {
                    name: "New".into(),
                    value: "y".into()
                },
            ]
        );
        assert_eq!(d.header_changes(), 3);
    }

    #[test]
    fn json_bodies_are_compared_pretty() {
        let l = cap(&[], r#"{"status":"OPEN","priority":"LOW"}"#);
        let r = cap(&[], "{\n  \"status\": \"DONE\",\n  \"priority\": \"LOW\"\n}\n");
        let d = diff_captures(&l, &r);
        assert!(d.body_as_json && !d.body_identical);
        assert_eq!(
            d.body
                .iter()
                .filter(|c| !matches!(c, LineChange::Same(_)))
                .cloned()
                .collect::<Vec<_>>(),
            vec![
                LineChange::Removed("  \"status\": \"OPEN\",".into()),
                LineChange::Added("  \"status\": \"DONE\",".into())
            ]
        );
        let u = d.unified();
        assert!(
            u.contains("-  \"status\": \"OPEN\",\n+  \"status\": \"DONE\","),
            "{u}"
        );
    }

    #[test]
    fn same_json_different_bytes_is_explained() {
        let l = cap(&[], r#"{"a":1}"#);
        let r = cap(&[], "{\"a\": 1}\n");
        let d = diff_captures(&l, &r);
        assert_eq!(d.body_changes(), 0);
        assert!(
            d.note.as_deref().unwrap_or_default().contains("same JSON value"),
            "{:?}",
            d.note
        );
        let same = diff_captures(&l, &l);
        assert!(same.body_identical && same.note.is_none() && same.request_line.is_empty());
    }

    #[test]
    fn binary_bodies_do_not_panic() {
        let mut l = cap(&[], "");
        l.body = vec![0xff, 0x00, 0xfe];
        let r = cap(&[], "text");
        let d = diff_captures(&l, &r);
        assert!(!d.body_as_json && d.body_changes() > 0);
    }
}
