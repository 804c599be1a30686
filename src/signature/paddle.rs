//! Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex HMAC-SHA256("{ts}:{body}")>[;h1=…]`, keyed
//! with the whole `pdl_ntfset_…` string, ±5 s (the SDKs' default maximum variance).

use super::common::{Window, check_clock, hex_lower, hmac, require, sign_secs};
use super::engine::Spec;
use super::{Encoding, HmacAlgorithm, Reason, RequestParts, SignParams, Signed, Verification, VerifyOptions};

pub(crate) const HEADER: &str = "Paddle-Signature";
const SCHEME: &str = "paddle";

#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    ts: String,
    h1: Vec<String>,
}

/// Elements separated by `;` only, each `key=value` split at the first `=`; keys `ts` and `h1` only.
fn parse(value: &str) -> Result<Parsed, String> {
    let commas = value.contains(',');
    let hint = |what: String| {
        if commas {
            "the elements are separated by ',' instead of ';'".to_string()
        } else {
            what
        }
    };
    let mut ts = None;
    let mut h1 = Vec::new();
    for element in value.split(';') {
        let Some((key, val)) = element.split_once('=') else {
            return Err(hint(format!("the element '{element}' is not written key=value")));
        };
        match key {
            "ts" => ts = Some(val),
            "h1" => h1.push(val.to_string()),
            other => {
                return Err(hint(format!(
                    "the header has an unknown key '{other}' (only ts and h1 are allowed)"
                )));
            }
        }
    }
    let ts = ts.ok_or_else(|| hint("the header has no ts= timestamp".into()))?;
    if ts.parse::<i64>().is_err() {
        return Err(hint(format!("the ts= value '{ts}' is not a Unix timestamp")));
    }
    if h1.is_empty() {
        return Err(hint("the header has no h1= signature".into()));
    }
    Ok(Parsed {
        ts: ts.to_string(),
        h1,
    })
}

fn message(ts: &str, body: &[u8]) -> Vec<u8> {
    [ts.as_bytes(), b":", body].concat()
}

pub(crate) fn prepare<'a>(
    key: Vec<u8>,
    req: &RequestParts<'a>,
    opts: &VerifyOptions,
    tolerance: Option<u64>,
) -> Result<Spec<'a>, Box<Verification>> {
    let value = require(SCHEME, req, HEADER, false)?;
    let parsed = parse(value).map_err(|why| {
        Verification::failure(SCHEME, Reason::MalformedHeader, why).with_header(HEADER, Some(value))
    })?;
    let ts_num = parsed.ts.parse::<i64>().unwrap_or_default();
    let (skew, failure) = check_clock(
        opts.now_unix,
        ts_num.saturating_mul(1000),
        tolerance,
        Window::Both,
        "the ts= timestamp",
    );
    let mut spec = Spec::new(
        SCHEME,
        HmacAlgorithm::Sha256,
        Encoding::Hex,
        key,
        HEADER,
        value,
        req,
    );
    spec.candidates = parsed.h1;
    spec.skew_secs = skew;
    spec.after_match = failure;
    let ts = parsed.ts;
    let ts2 = ts.clone();
    spec.message = Box::new(move |_, body| message(&ts, body));
    spec.render = Box::new(move |enc| format!("ts={ts2};h1={enc}"));
    Ok(spec)
}

pub(crate) fn sign(key: &[u8], p: &SignParams) -> Signed {
    let ts = sign_secs(p).to_string();
    let mac = hmac(HmacAlgorithm::Sha256, key, &[&message(&ts, p.body)]);
    Signed {
        headers: vec![(HEADER.to_string(), format!("ts={ts};h1={}", hex_lower(&mac)))],
        url: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Scheme, sign as sign_any, verify};
    use super::*;
    use crate::capture::HeaderList;

    const SECRET: &str = "pdl_ntfset_01abc_XYZ";

    fn check(value: &str, body: &[u8], now: i64) -> Verification {
        let headers = HeaderList::from_pairs([(HEADER, value)]);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &headers,
            body,
        };
        verify(
            &Scheme::Paddle,
            SECRET,
            &req,
            &VerifyOptions {
                now_unix: Some(now),
                tolerance_secs: None,
            },
        )
    }

    fn header_for(body: &[u8], ts: i64) -> String {
        let p = SignParams {
            body,
            timestamp: Some(ts),
            ..SignParams::default()
        };
        sign_any(&Scheme::Paddle, SECRET, &p).unwrap().headers.remove(0).1
    }

    #[test]
    fn parse_rules() {
        assert_eq!(
            parse("ts=1;h1=a;h1=b").unwrap(),
            Parsed {
                ts: "1".into(),
                h1: vec!["a".into(), "b".into()]
            }
        );
        assert!(parse("ts=1,h1=a").unwrap_err().contains("',' instead of ';'"));
        assert!(parse("ts=1;h1=a;v1=b").unwrap_err().contains("unknown key 'v1'"));
        assert!(parse("h1=a").unwrap_err().contains("no ts="));
        assert!(parse("ts=1").unwrap_err().contains("no h1="));
        // Split at the first '=', so base64 padding is not mistaken for structure.
        assert_eq!(parse("ts=1;h1=ab==").unwrap().h1, vec!["ab==".to_string()]);
    }

    #[test]
    fn round_trip_clock_and_rotation() {
        let body = b"{\"event_type\":\"transaction.completed\",\"total\":\"1000\"}";
        let h = header_for(body, 1000);
        assert!(check(&h, body, 1002).valid);
        assert!(check(&h, body, 995).valid);
        let v = check(&h, body, 1006);
        assert_eq!(v.reason, Reason::TimestampOutsideTolerance);
        assert_eq!(v.skew_secs, Some(6));
        let wrong = {
            let p = SignParams {
                body,
                timestamp: Some(1000),
                ..SignParams::default()
            };
            sign_any(&Scheme::Paddle, "pdl_other", &p)
                .unwrap()
                .headers
                .remove(0)
                .1
        };
        let rotated = format!("{};{}", wrong, h.split(';').nth(1).unwrap());
        assert!(check(&rotated, body, 1000).valid);
        assert_eq!(check(&wrong, body, 1000).reason, Reason::WrongSecret);
    }
}
