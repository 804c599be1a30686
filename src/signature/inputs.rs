//! The signing inputs a request already carries: its id and timestamp, read back from the
//! scheme's own headers. Re-signing with them reproduces the original signature ("keep original
//! timestamp/id"), and the CLI's `sign --header …` takes them from there when not given.

use super::{Scheme, SignParams};
use crate::capture::HeaderList;

/// Owned id and timestamp inputs for [`SignParams`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInputs {
    pub id: Option<String>,
    /// Unix seconds.
    pub timestamp: Option<i64>,
    /// Unix milliseconds (hubspot-v3).
    pub timestamp_ms: Option<i64>,
    /// A timestamp used verbatim (twitch's RFC 3339 with nanoseconds).
    pub timestamp_str: Option<String>,
}

impl SignInputs {
    /// Fill the id and timestamp fields of `params` from these inputs.
    pub fn apply<'a>(&'a self, params: &mut SignParams<'a>) {
        params.id = self.id.as_deref();
        params.timestamp = self.timestamp;
        params.timestamp_ms = self.timestamp_ms;
        params.timestamp_str = self.timestamp_str.as_deref();
    }

    /// Read a `--timestamp` value for `scheme`: whole seconds, milliseconds for hubspot-v3 (or any
    /// 13-digit value), or text (RFC 3339) that twitch uses verbatim and others convert to seconds.
    pub fn parse_timestamp(scheme: &Scheme, text: &str) -> Result<SignInputs, String> {
        let text = text.trim();
        let mut out = SignInputs::default();
        if let Ok(n) = text.parse::<i64>() {
            let looks_ms = n.unsigned_abs() >= 100_000_000_000;
            match scheme {
                Scheme::HubspotV3 => {
                    out.timestamp_ms = Some(if looks_ms { n } else { n.saturating_mul(1000) });
                }
                Scheme::Twitch => {
                    out.timestamp_str = Some(rfc3339_of_secs(if looks_ms { n / 1000 } else { n })?);
                }
                _ if looks_ms => out.timestamp_ms = Some(n),
                _ => out.timestamp = Some(n),
            }
            return Ok(out);
        }
        let parsed: jiff::Timestamp = text
            .parse()
            .map_err(|_| format!("'{text}' is neither Unix seconds nor an RFC 3339 time"))?;
        match scheme {
            Scheme::Twitch => out.timestamp_str = Some(text.to_string()),
            Scheme::HubspotV3 => out.timestamp_ms = Some(parsed.as_millisecond()),
            _ => out.timestamp = Some(parsed.as_second()),
        }
        Ok(out)
    }
}

fn rfc3339_of_secs(secs: i64) -> Result<String, String> {
    jiff::Timestamp::from_second(secs)
        .map(|t| format!("{t:.9}"))
        .map_err(|_| format!("{secs} is out of range for a timestamp"))
}

/// The value of a `key=value` element of a header split by `sep`.
fn element<'a>(value: &'a str, sep: char, key: &str) -> Option<&'a str> {
    value.split(sep).find_map(|e| {
        e.trim()
            .split_once('=')
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v)
    })
}

/// The id and timestamp the request was signed with, as far as its headers tell.
pub fn inputs_from_headers(scheme: &Scheme, headers: &HeaderList) -> SignInputs {
    let get = |name: &str| headers.get(name).map(str::trim);
    let secs = |name: &str| get(name).and_then(|t| t.parse::<i64>().ok());
    let mut out = SignInputs::default();
    match scheme {
        Scheme::StandardWebhooks | Scheme::Svix => {
            let prefix = if *scheme == Scheme::Svix {
                "svix"
            } else {
                "webhook"
            };
            out.id = get(&format!("{prefix}-id")).map(str::to_string);
            out.timestamp = secs(&format!("{prefix}-timestamp"));
        }
        Scheme::Stripe => {
            out.timestamp = get("Stripe-Signature")
                .and_then(|v| element(v, ',', "t"))
                .and_then(|t| t.parse().ok());
        }
        Scheme::Paddle => {
            out.timestamp = get("Paddle-Signature")
                .and_then(|v| element(v, ';', "ts"))
                .and_then(|t| t.parse().ok());
        }
        Scheme::Slack => out.timestamp = secs("X-Slack-Request-Timestamp"),
        Scheme::Zoom => out.timestamp = secs("x-zm-request-timestamp"),
        Scheme::Twitch => {
            out.id = get("Twitch-Eventsub-Message-Id").map(str::to_string);
            out.timestamp_str = get("Twitch-Eventsub-Message-Timestamp").map(str::to_string);
        }
        Scheme::HubspotV3 => out.timestamp_ms = secs("X-HubSpot-Request-Timestamp"),
        Scheme::Custom(c) => {
            out.id = c.id_header.as_deref().and_then(get).map(str::to_string);
            out.timestamp = c.timestamp_header.as_deref().and_then(secs);
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_schemes_inputs() {
        let h = HeaderList::from_pairs([("Stripe-Signature", "t=1760000000,v1=ab")]);
        assert_eq!(
            inputs_from_headers(&Scheme::Stripe, &h).timestamp,
            Some(1_760_000_000)
        );
        let h = HeaderList::from_pairs([("Paddle-Signature", "ts=17;h1=ab")]);
        assert_eq!(inputs_from_headers(&Scheme::Paddle, &h).timestamp, Some(17));
        let h = HeaderList::from_pairs([("svix-id", "msg_1"), ("svix-timestamp", "5")]);
        let i = inputs_from_headers(&Scheme::Svix, &h);
        assert_eq!((i.id.as_deref(), i.timestamp), (Some("msg_1"), Some(5)));
        let h = HeaderList::from_pairs([("X-HubSpot-Request-Timestamp", "1760000000123")]);
        assert_eq!(
            inputs_from_headers(&Scheme::HubspotV3, &h).timestamp_ms,
            Some(1_760_000_000_123)
        );
        assert_eq!(inputs_from_headers(&Scheme::Smtm, &h), SignInputs::default());
    }

    #[test]
    fn parses_timestamps_per_scheme() {
        let p = |s: &Scheme, t: &str| SignInputs::parse_timestamp(s, t).unwrap();
        assert_eq!(p(&Scheme::Stripe, "1760000000").timestamp, Some(1_760_000_000));
        assert_eq!(
            p(&Scheme::HubspotV3, "1760000000").timestamp_ms,
            Some(1_760_000_000_000)
        );
        assert_eq!(
            p(&Scheme::HubspotV3, "1760000000123").timestamp_ms,
            Some(1_760_000_000_123)
        );
        let t = "2025-10-09T08:53:20.123456789Z";
        assert_eq!(p(&Scheme::Twitch, t).timestamp_str.as_deref(), Some(t));
        assert_eq!(
            p(&Scheme::Twitch, "1760000000").timestamp_str.as_deref(),
            Some("2025-10-09T08:53:20.000000000Z")
        );
        assert_eq!(
            p(&Scheme::Slack, "2025-10-09T08:53:20Z").timestamp,
            Some(1_760_000_000)
        );
        assert!(SignInputs::parse_timestamp(&Scheme::Slack, "soon").is_err());
    }
}
