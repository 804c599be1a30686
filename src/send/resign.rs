//! Re-signing an edited request: the signature header and the headers it depends on
//! (timestamp, message id) are recomputed with [`signature::sign`], so the request verifies at a
//! receiver holding the secret.
//!
//! By default the timestamp is fresh (now) and so is the id; "keep original" reuses the
//! timestamp and id the request already carries (useful to reproduce a delivery exactly).

use crate::capture::HeaderList;
use crate::signature::{self, Scheme, SignError, SignParams};

/// How to re-sign.
#[derive(Clone, PartialEq, Eq)]
pub struct Resign {
    pub scheme: Scheme,
    pub secret: String,
    /// Reuse the request's timestamp and id instead of fresh ones.
    pub keep_original: bool,
}

impl std::fmt::Debug for Resign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resign")
            .field("scheme", &self.scheme)
            .field("secret", &signature::redact(&self.secret))
            .field("keep_original", &self.keep_original)
            .finish()
    }
}

/// The timestamp and id a signed request already carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamps {
    pub timestamp: Option<i64>,
    pub timestamp_ms: Option<i64>,
    pub timestamp_str: Option<String>,
    pub id: Option<String>,
}

fn int(headers: &HeaderList, name: &str) -> Option<i64> {
    headers.get(name).and_then(|v| v.trim().parse().ok())
}

/// `key=value` element of a signature header (`t=` of Stripe, `ts=` of Paddle).
fn element(headers: &HeaderList, header: &str, key: &str, sep: char) -> Option<i64> {
    headers.get(header)?.split(sep).find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// The stamps `scheme` signs, read from `headers`.
pub fn original_stamps(scheme: &Scheme, headers: &HeaderList) -> Stamps {
    let mut s = Stamps::default();
    match scheme {
        Scheme::StandardWebhooks => {
            s.id = headers.get("webhook-id").map(str::to_owned);
            s.timestamp = int(headers, "webhook-timestamp");
        }
        Scheme::Svix => {
            s.id = headers.get("svix-id").map(str::to_owned);
            s.timestamp = int(headers, "svix-timestamp");
        }
        Scheme::Stripe => s.timestamp = element(headers, "stripe-signature", "t", ','),
        Scheme::Paddle => s.timestamp = element(headers, "paddle-signature", "ts", ';'),
        Scheme::Slack => s.timestamp = int(headers, "x-slack-request-timestamp"),
        Scheme::Zoom => s.timestamp = int(headers, "x-zm-request-timestamp"),
        Scheme::Twitch => {
            s.id = headers.get("twitch-eventsub-message-id").map(str::to_owned);
            s.timestamp_str = headers
                .get("twitch-eventsub-message-timestamp")
                .map(str::to_owned);
        }
        Scheme::HubspotV3 => s.timestamp_ms = int(headers, "x-hubspot-request-timestamp"),
        Scheme::Custom(c) => {
            if let Some(h) = &c.timestamp_header {
                match int(headers, h) {
                    Some(ms) if ms > 100_000_000_000 => s.timestamp_ms = Some(ms),
                    other => s.timestamp = other,
                }
            }
            if let Some(h) = &c.id_header {
                s.id = headers.get(h).map(str::to_owned);
            }
        }
        _ => {}
    }
    s
}

/// Re-sign in place: set the produced headers (replacing old ones where they stood) and
/// return the URL to send to when signing changed it (twilio JSON).
pub fn apply(
    resign: &Resign,
    method: &str,
    url: &str,
    headers: &mut HeaderList,
    body: &mut Vec<u8>,
    now_unix: i64,
) -> Result<Option<String>, SignError> {
    let stamps = if resign.keep_original {
        original_stamps(&resign.scheme, headers)
    } else {
        Stamps::default()
    };
    if resign.scheme == Scheme::Linear && !resign.keep_original {
        // Linear's timestamp lives in the body: a fresh one keeps the request inside the 60 s window.
        if let Some(fresh) = refresh_body_timestamp(body, "webhookTimestamp", now_unix.saturating_mul(1000)) {
            *body = fresh;
        }
    }
    let params = SignParams {
        method,
        url,
        body,
        timestamp: stamps.timestamp,
        timestamp_ms: stamps.timestamp_ms,
        timestamp_str: stamps.timestamp_str.as_deref(),
        id: stamps.id.as_deref(),
        now_unix,
    };
    let signed = signature::sign(&resign.scheme, &resign.secret, &params)?;
    // GitHub sends the SHA-1 form beside the SHA-256 one, with the same secret: a sibling the
    // request already carries is signed again too, never left stale for the edited body.
    let sibling = match resign.scheme {
        Scheme::Github => Some(Scheme::Intercom),
        Scheme::Intercom => Some(Scheme::Github),
        _ => None,
    }
    .filter(|s| headers.get(s.signature_header()).is_some())
    .map(|s| signature::sign(&s, &resign.secret, &params))
    .transpose()?;
    for (name, value) in signed
        .headers
        .into_iter()
        .chain(sibling.into_iter().flat_map(|s| s.headers))
    {
        headers.set(&name, value);
    }
    Ok(signed.url)
}

/// Replace the number after `"field":` in a JSON body, leaving every other byte alone.
pub fn refresh_body_timestamp(body: &[u8], field: &str, value: i64) -> Option<Vec<u8>> {
    let needle = format!("\"{field}\"");
    let start = body.windows(needle.len()).position(|w| w == needle.as_bytes())?;
    let mut i = start + needle.len();
    while body.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if body.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    while body.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    let digits_start = i;
    while body.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == digits_start {
        return None;
    }
    let mut out = body[..digits_start].to_vec();
    out.extend_from_slice(value.to_string().as_bytes());
    out.extend_from_slice(&body[i..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{RequestParts, VerifyOptions, verify};

    fn verifies(
        scheme: &Scheme,
        secret: &str,
        url: &str,
        headers: &HeaderList,
        body: &[u8],
        now: i64,
    ) -> bool {
        let req = RequestParts {
            method: "POST",
            url,
            headers,
            body,
        };
        let v = verify(
            scheme,
            secret,
            &req,
            &VerifyOptions {
                now_unix: Some(now),
                tolerance_secs: None,
            },
        );
        assert!(v.valid, "{scheme}: {} {}", v.reason, v.explanation);
        v.valid
    }

    #[test]
    fn every_builtin_scheme_resigns_an_edited_body() {
        let now = 1_760_000_000;
        let url = "https://hooks.example.com/in?x=1";
        for scheme in Scheme::all_builtin() {
            let secret = match scheme {
                Scheme::StandardWebhooks | Scheme::Svix => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                _ => "s3cret-value",
            };
            let mut headers = HeaderList::from_pairs([("Content-Type", "application/json")]);
            let mut body =
                format!(r#"{{"edited":true,"webhookTimestamp":{}}}"#, (now - 9999) * 1000).into_bytes();
            let resign = Resign {
                scheme: scheme.clone(),
                secret: secret.into(),
                keep_original: false,
            };
            let new_url = apply(&resign, "POST", url, &mut headers, &mut body, now).unwrap();
            let url = new_url.as_deref().unwrap_or(url);
            assert!(verifies(scheme, secret, url, &headers, &body, now));
        }
    }

    #[test]
    fn keep_original_reuses_timestamp_and_id() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let mut headers = HeaderList::from_pairs([
            ("webhook-id", "msg_original"),
            ("webhook-timestamp", "1700000000"),
            ("webhook-signature", "v1,stale"),
        ]);
        let mut body = b"{\"a\":1}".to_vec();
        let resign = Resign {
            scheme: Scheme::StandardWebhooks,
            secret: secret.into(),
            keep_original: true,
        };
        apply(
            &resign,
            "POST",
            "http://h/",
            &mut headers,
            &mut body,
            1_760_000_000,
        )
        .unwrap();
        assert_eq!(headers.get("webhook-id"), Some("msg_original"));
        assert_eq!(headers.get("webhook-timestamp"), Some("1700000000"));
        assert_eq!(headers.len(), 3, "replaced in place, not appended");
        assert!(verifies(
            &Scheme::StandardWebhooks,
            secret,
            "",
            &headers,
            &body,
            1_700_000_000
        ));

        let fresh = Resign {
            keep_original: false,
            ..resign
        };
        apply(
            &fresh,
            "POST",
            "http://h/",
            &mut headers,
            &mut body,
            1_760_000_000,
        )
        .unwrap();
        assert_eq!(headers.get("webhook-timestamp"), Some("1760000000"));
        assert_ne!(headers.get("webhook-id"), Some("msg_original"));
    }

    #[test]
    fn githubs_sha1_sibling_is_signed_again_and_an_empty_secret_is_refused() {
        let now = 1_760_000_000;
        for (scheme, sibling) in [
            (Scheme::Github, Scheme::Intercom),
            (Scheme::Intercom, Scheme::Github),
        ] {
            let mut headers = HeaderList::from_pairs([
                ("X-Hub-Signature", "sha1=0000"),
                ("X-Hub-Signature-256", "sha256=0000"),
            ]);
            let mut body = b"{\"edited\":true}".to_vec();
            let resign = Resign {
                scheme: scheme.clone(),
                secret: "k".into(),
                keep_original: false,
            };
            apply(&resign, "POST", "http://h/", &mut headers, &mut body, now).unwrap();
            assert_eq!(headers.len(), 2);
            assert!(verifies(&scheme, "k", "", &headers, &body, now));
            assert!(
                verifies(&sibling, "k", "", &headers, &body, now),
                "{scheme}: the sibling is stale"
            );
        }
        // Without the sibling header, none is added.
        let mut headers = HeaderList::default();
        let mut body = b"{}".to_vec();
        let github = Resign {
            scheme: Scheme::Github,
            secret: "k".into(),
            keep_original: false,
        };
        apply(&github, "POST", "http://h/", &mut headers, &mut body, now).unwrap();
        assert_eq!(headers.len(), 1);

        let empty = Resign {
            secret: " ".into(),
            ..github
        };
        let e = apply(&empty, "POST", "http://h/", &mut headers, &mut body, now).unwrap_err();
        assert!(e.to_string().contains("it is empty"), "{e}");
    }

    #[test]
    fn stripe_and_paddle_stamps_come_from_the_signature_header() {
        let h = HeaderList::from_pairs([("Stripe-Signature", "t=123,v1=ab")]);
        assert_eq!(original_stamps(&Scheme::Stripe, &h).timestamp, Some(123));
        let h = HeaderList::from_pairs([("Paddle-Signature", "ts=77;h1=ab")]);
        assert_eq!(original_stamps(&Scheme::Paddle, &h).timestamp, Some(77));
    }

    #[test]
    fn body_timestamp_is_replaced_in_place() {
        let body = br#"{"a": 1, "webhookTimestamp" :  123, "b": "x"}"#;
        let out = refresh_body_timestamp(body, "webhookTimestamp", 999).unwrap();
        assert_eq!(out, br#"{"a": 1, "webhookTimestamp" :  999, "b": "x"}"#);
        assert!(refresh_body_timestamp(b"{}", "webhookTimestamp", 1).is_none());
    }
}
