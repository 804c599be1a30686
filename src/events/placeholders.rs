//! `{{...}}` placeholders in templates, filled at send time.
//!
//! Grammar: `{{kind}}`, `{{kind:arg}}`, optionally followed by `@name` so that every occurrence
//! with the same name gets the same value within one fill (and across a batch that shares the
//! context, e.g. one resource id for an out-of-order batch).
//!
//! | kind | value |
//! | --- | --- |
//! | `event`, `provider`, `delivery_id` | the event name, provider, delivery id |
//! | `uuid` | a random v4 UUID |
//! | `hex:N`, `digits:N`, `alnum:N`, `upper:N` | N random characters of that class |
//! | `int:LO-HI` | a random integer (a JSON number when it is the whole string) |
//! | `now:FMT`, `now+S:FMT`, `now-S:FMT` | the send time shifted by S seconds, as `rfc3339` (local offset, e.g. `+07:00`), `iso` / `iso_ms` (UTC `Z`), `date`, `unix`, `unix_ms` (numbers when whole) |

use std::collections::HashMap;

use rand::Rng as _;
use serde_json::Value;

/// What a fill needs: the clock, the local UTC offset, and the values shared by name.
#[derive(Debug, Clone)]
pub struct FillContext {
    pub now: jiff::Timestamp,
    /// Offset of the sender's clock from UTC, in seconds (for `rfc3339`).
    pub offset_secs: i32,
    /// Values of named placeholders (`@name`) generated so far.
    pub vars: HashMap<String, String>,
    pub provider: String,
    pub event: String,
    pub delivery_id: String,
}

impl FillContext {
    /// A context at `now` with the system's current UTC offset.
    pub fn at(now: jiff::Timestamp) -> Self {
        let offset_secs = now.to_zoned(jiff::tz::TimeZone::system()).offset().seconds();
        FillContext {
            now,
            offset_secs,
            vars: HashMap::new(),
            provider: String::new(),
            event: String::new(),
            delivery_id: String::new(),
        }
    }
}

/// A placeholder's value: text, or a number when the kind is numeric.
enum Filled {
    Text(String),
    Number(String),
}

/// Fill every string inside `value`.
pub fn fill_value(value: &mut Value, ctx: &mut FillContext) {
    match value {
        Value::String(s) => {
            if let Some(v) = fill_whole(s, ctx) {
                *value = v;
            } else {
                *s = fill_str(s, ctx);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fill_value(v, ctx)),
        Value::Object(map) => map.values_mut().for_each(|v| fill_value(v, ctx)),
        _ => {}
    }
}

/// A string that is exactly one numeric placeholder becomes a JSON number.
fn fill_whole(s: &str, ctx: &mut FillContext) -> Option<Value> {
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") {
        return None;
    }
    match expand(inner, ctx) {
        Filled::Number(n) => serde_json::from_str(&n).ok(),
        Filled::Text(t) => Some(Value::String(t)),
    }
}

/// Replace every placeholder in `s` with its text.
pub fn fill_str(s: &str, ctx: &mut FillContext) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        match expand(&after[..end], ctx) {
            Filled::Text(t) | Filled::Number(t) => out.push_str(&t),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn expand(inner: &str, ctx: &mut FillContext) -> Filled {
    let (spec, name) = match inner.split_once('@') {
        Some((spec, name)) => (spec.trim(), Some(name.trim())),
        None => (inner.trim(), None),
    };
    let (kind, arg) = match spec.split_once(':') {
        Some((k, a)) => (k.trim(), a.trim()),
        None => (spec, ""),
    };
    let numeric = kind == "int" || (kind.starts_with("now") && matches!(arg, "unix" | "unix_ms"));
    if let Some(name) = name
        && let Some(v) = ctx.vars.get(name)
    {
        return wrap(v.clone(), numeric);
    }
    let text = generate(kind, arg, ctx);
    if let Some(name) = name {
        ctx.vars.insert(name.to_string(), text.clone());
    }
    wrap(text, numeric)
}

fn wrap(text: String, numeric: bool) -> Filled {
    if numeric && text.parse::<i64>().is_ok() {
        Filled::Number(text)
    } else {
        Filled::Text(text)
    }
}

fn random_chars(n: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

fn generate(kind: &str, arg: &str, ctx: &FillContext) -> String {
    let n: usize = arg.parse().unwrap_or(8).min(256);
    match kind {
        "event" => ctx.event.clone(),
        "provider" => ctx.provider.clone(),
        "delivery_id" => ctx.delivery_id.clone(),
        "uuid" => uuid::Uuid::new_v4().to_string(),
        "hex" => random_chars(n, b"0123456789abcdef"),
        "digits" => random_chars(n, b"0123456789"),
        "alnum" => random_chars(
            n,
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        ),
        "upper" => random_chars(n, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        "int" => {
            let (lo, hi) = arg
                .split_once('-')
                .and_then(|(a, b)| Some((a.trim().parse::<i64>().ok()?, b.trim().parse::<i64>().ok()?)))
                .unwrap_or((1, 1_000_000));
            let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
            rand::rng().random_range(lo..=hi).to_string()
        }
        k if k.starts_with("now") => {
            let shift: i64 = k[3..].trim_start_matches('+').parse().unwrap_or(0);
            format_time(ctx, shift, arg)
        }
        // Unknown kinds are left visible so a template mistake shows in the payload.
        other => format!("{{{{{other}}}}}"),
    }
}

fn format_time(ctx: &FillContext, shift_secs: i64, format: &str) -> String {
    let t = ctx
        .now
        .checked_add(jiff::SignedDuration::from_secs(shift_secs))
        .unwrap_or(ctx.now);
    match format {
        "unix" => t.as_second().to_string(),
        "unix_ms" => t.as_millisecond().to_string(),
        "iso" => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "iso_ms" => format!("{t:.3}"),
        "date" => t.strftime("%Y-%m-%d").to_string(),
        // rfc3339 with the sender's offset, e.g. 2026-04-24T09:15:30+07:00
        _ => {
            let offset = jiff::tz::Offset::from_seconds(ctx.offset_secs).unwrap_or(jiff::tz::Offset::UTC);
            t.to_zoned(jiff::tz::TimeZone::fixed(offset))
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FillContext {
        FillContext {
            now: jiff::Timestamp::from_second(1_777_018_530).unwrap(),
            offset_secs: 7 * 3600,
            vars: HashMap::new(),
            provider: "smtm".into(),
            event: "task.completed".into(),
            delivery_id: "d-1".into(),
        }
    }

    #[test]
    fn times_in_each_format() {
        let mut c = ctx();
        assert_eq!(fill_str("{{now:rfc3339}}", &mut c), "2026-04-24T15:15:30+07:00");
        assert_eq!(fill_str("{{now-60:iso_ms}}", &mut c), "2026-04-24T08:14:30.000Z");
        assert_eq!(fill_str("{{now+1:iso}}", &mut c), "2026-04-24T08:15:31Z");
        let mut v = serde_json::json!({"t": "{{now:unix}}", "ms": "{{now:unix_ms}}", "s": "at {{now:unix}}"});
        fill_value(&mut v, &mut c);
        assert_eq!(
            v,
            serde_json::json!({"t": 1_777_018_530, "ms": 1_777_018_530_000_i64, "s": "at 1777018530"})
        );
        c.offset_secs = 0;
        assert!(fill_str("{{now:rfc3339}}", &mut c).ends_with("+00:00"));
    }

    #[test]
    fn named_values_repeat_and_random_ones_have_their_shape() {
        let mut c = ctx();
        let mut v = serde_json::json!({
            "a": "T-{{digits:6@task}}", "b": "T-{{digits:6@task}}",
            "n": "{{int:5-5@n}}", "m": "{{int:5-5@n}}",
            "u": "{{uuid}}", "h": "{{hex:40}}", "e": "{{event}}", "d": "{{delivery_id}}",
            "x": "{{bogus}}", "open": "{{never closed"
        });
        fill_value(&mut v, &mut c);
        assert_eq!(v["a"], v["b"]);
        assert_eq!(v["a"].as_str().unwrap().len(), 8);
        assert_eq!(
            (v["n"].clone(), v["m"].clone()),
            (serde_json::json!(5), serde_json::json!(5))
        );
        assert!(uuid::Uuid::parse_str(v["u"].as_str().unwrap()).is_ok());
        assert!(v["h"].as_str().unwrap().chars().all(|ch| ch.is_ascii_hexdigit()));
        assert_eq!(
            (v["e"].as_str(), v["d"].as_str()),
            (Some("task.completed"), Some("d-1"))
        );
        assert_eq!(v["x"], "{{bogus}}");
        assert_eq!(v["open"], "{{never closed");
    }
}
