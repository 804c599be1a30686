//! Bad input quoted in error messages is cut short: an error line never echoes megabytes back;
//! text from outside printed on a terminal has its control characters escaped.

/// Text from outside (a response, an API's answer) as printed on a terminal: control characters
/// escaped so it cannot move the cursor or retitle the terminal; line breaks and tabs kept when
/// `keep_lines`, escaped otherwise (one item, one line).
pub fn escape_controls(text: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && !(keep_lines && matches!(c, '\n' | '\t' | '\r')) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters of a quoted value kept in a message.
const SHOWN: usize = 60;

/// `text` quoted for a message, cut to its first 60 characters when longer.
pub fn quote_clipped(text: &str) -> String {
    let total = text.chars().count();
    if total <= SHOWN {
        return format!("{text:?}");
    }
    format!("{:?}… ({total} characters)", head(text))
}

/// [`quote_clipped`] without the quotes.
pub fn cut(text: &str) -> String {
    if text.chars().count() <= SHOWN {
        return text.to_string();
    }
    format!("{}…", head(text))
}

fn head(text: &str) -> String {
    text.chars().take(SHOWN).collect()
}

/// `message` with every quoted part ("…" or `…`) longer than 60 characters cut to its first 60,
/// for messages that quote input we did not write ourselves (serde's, TOML's).
pub fn clip_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' && c != '`' {
            continue;
        }
        let mut inside = 0usize;
        let mut escaped = false;
        for d in chars.by_ref() {
            let closes = d == c && !escaped;
            escaped = c == '"' && d == '\\' && !escaped;
            if closes {
                if inside > SHOWN {
                    out.push_str(&format!("… ({inside} characters)"));
                }
                out.push(d);
                break;
            }
            inside += 1;
            if inside <= SHOWN {
                out.push(d);
            }
        }
        if inside > SHOWN && !out.ends_with(c) {
            out.push_str(&format!("… ({inside} characters)"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_parts_are_cut_and_short_ones_kept() {
        assert_eq!(clip_quoted("field `a`: \"ok\""), "field `a`: \"ok\"");
        let long = "x".repeat(5_000_000);
        let m = clip_quoted(&format!("invalid type: string \"{long}\", expected u16"));
        assert!(m.starts_with("invalid type: string \"xxxx"), "{m}");
        assert!(m.ends_with("… (5000000 characters)\", expected u16"), "{m}");
        assert!(m.len() < 150, "{m}");
        let m = clip_quoted(&format!("unknown field `{long}`, expected `rule`"));
        assert!(
            m.ends_with("characters)`, expected `rule`") && m.len() < 150,
            "{m}"
        );
        // An escaped quote does not end the part; an unclosed part is cut too.
        let m = clip_quoted(&format!("\"a\\\"{long}"));
        assert!(m.len() < 150, "{m}");
        assert_eq!(quote_clipped("ab"), "\"ab\"");
        assert!(quote_clipped(&long).ends_with("… (5000000 characters)"));
    }
}
