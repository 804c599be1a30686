//! Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>` keyed with the Auth Token as text.
//!
//! - Form bodies: the message is the full URL followed by every body parameter as name + value,
//!   sorted by name then value, values decoded (`+` is a space).
//! - JSON bodies: the URL carries `bodySHA256=<hex SHA-256 of the body>` and the signature covers
//!   the URL alone; valid only if the HMAC and the body hash both match.
//! - The URL with its port removed, or with the default port added, is accepted too.

use sha2::{Digest, Sha256};

use super::common::{
    b64, hex_lower, hmac, js_reserialize, query_param, require, set_query_param, toggle_port, url_variants,
};
use super::engine::{DIGIT_SEARCH_BUDGET, Failure, Spec, find_body_change};
use super::{Encoding, HmacAlgorithm, Reason, RequestParts, SignError, SignParams, Signed, Verification};

pub(crate) const HEADER: &str = "X-Twilio-Signature";
const SCHEME: &str = "twilio";
const BODY_HASH: &str = "bodySHA256";

/// Decoded form parameters, sorted by name then value, repeated identical pairs once.
fn form_params(body: &[u8]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs.dedup();
    pairs
}

fn message(url: &str, params: &[(String, String)]) -> Vec<u8> {
    let mut out = url.as_bytes().to_vec();
    for (name, value) in params {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    out
}

fn sha256_hex(body: &[u8]) -> String {
    hex_lower(&Sha256::digest(body))
}

/// For a JSON delivery whose URL signature is right: does the body match `bodySHA256`?
fn body_hash_failure(body: &[u8], expected: &str) -> Option<Failure> {
    if sha256_hex(body) == expected {
        return None;
    }
    if js_reserialize(body).is_some_and(|c| sha256_hex(&c) == expected) {
        return Some(Failure {
            reason: Reason::SignatureForReserializedBody,
            explanation:
                "the URL signature is valid, but bodySHA256 matches the re-serialized (compact) JSON, \
                          not the body bytes received"
                    .into(),
        });
    }
    let how = find_body_change(body, DIGIT_SEARCH_BUDGET, |b| sha256_hex(b) == expected)
        .unwrap_or_else(|| "the body changed after signing".to_string());
    Some(Failure {
        reason: Reason::BodyModified,
        explanation: format!(
            "the URL signature is valid, but the body's SHA-256 differs from bodySHA256: {how}"
        ),
    })
}

pub(crate) fn prepare<'a>(key: Vec<u8>, req: &RequestParts<'a>) -> Result<Spec<'a>, Box<Verification>> {
    let value = require(SCHEME, req, HEADER, false)?;
    let body_hash = query_param(req.url, BODY_HASH);
    let content_type = req.headers.get("content-type").map(str::to_ascii_lowercase);
    let use_form = body_hash.is_none()
        && content_type
            .as_deref()
            .is_none_or(|c| c.contains("application/x-www-form-urlencoded"));

    let mut spec = Spec::new(
        SCHEME,
        HmacAlgorithm::Sha1,
        Encoding::Base64,
        key,
        HEADER,
        value,
        req,
    );
    spec.candidates = vec![value.to_string()];
    spec.urls.extend(toggle_port(req.url));
    spec.url_alternatives = url_variants(req.url);
    spec.after_match = body_hash.and_then(|h| body_hash_failure(req.body, h));
    spec.mismatch_hint = Some(format!("Twilio also signs the URL, here taken as {}", req.url));
    spec.message = Box::new(move |url, body| {
        let params = if use_form { form_params(body) } else { Vec::new() };
        message(url, &params)
    });
    Ok(spec)
}

pub(crate) fn sign(key: &[u8], p: &SignParams) -> Result<Signed, SignError> {
    if p.url.is_empty() {
        return Err(SignError::MissingUrl {
            scheme: SCHEME.into(),
        });
    }
    // A body that opens like a JSON document is sent as JSON (Twilio then signs its hash), even
    // when it is nested past what a parser accepts or cut short.
    let opens_like_json = p
        .body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['));
    let json = query_param(p.url, BODY_HASH).is_some()
        || opens_like_json
        || serde_json::from_slice::<serde::de::IgnoredAny>(p.body).is_ok();
    if json {
        let url = set_query_param(p.url, BODY_HASH, &sha256_hex(p.body));
        let mac = hmac(HmacAlgorithm::Sha1, key, &[url.as_bytes()]);
        return Ok(Signed {
            headers: vec![(HEADER.to_string(), b64(&mac))],
            url: Some(url),
        });
    }
    let mac = hmac(HmacAlgorithm::Sha1, key, &[&message(p.url, &form_params(p.body))]);
    Ok(Signed {
        headers: vec![(HEADER.to_string(), b64(&mac))],
        url: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Scheme, VerifyOptions, sign as sign_any, verify};
    use super::*;
    use crate::capture::HeaderList;

    const TOKEN: &str = "12345";

    fn check(sig: &str, url: &str, ct: &str, body: &[u8]) -> Verification {
        let headers = HeaderList::from_pairs([(HEADER, sig), ("Content-Type", ct)]);
        let req = RequestParts {
            method: "POST",
            url,
            headers: &headers,
            body,
        };
        verify(&Scheme::Twilio, TOKEN, &req, &VerifyOptions::default())
    }

    #[test]
    fn twilio_documented_example() {
        // Twilio's security documentation example (auth token 12345).
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let body = b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212";
        let p = SignParams {
            url,
            body,
            ..SignParams::default()
        };
        let s = sign_any(&Scheme::Twilio, TOKEN, &p).unwrap();
        assert_eq!(s.header(HEADER), Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        assert_eq!(s.url, None);
        let form = "application/x-www-form-urlencoded";
        assert!(check("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", url, form, body).valid);
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        let v = check("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", with_port, form, body);
        assert!(v.valid);
        assert!(v.note.unwrap().contains(url));
        let changed = b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1235&From=%2B12349013030&To=%2B18005551212";
        assert_eq!(
            check("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", url, form, changed).reason,
            Reason::BodyModified
        );
        let v = check(
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
            &url.replace("https", "http"),
            form,
            body,
        );
        assert_eq!(v.reason, Reason::NotificationUrlMismatch);
    }

    #[test]
    fn json_body_hash() {
        let body = b"{\n  \"a\": 1\n}\n";
        let p = SignParams {
            url: "https://h.example.com/ev",
            body,
            ..SignParams::default()
        };
        let s = sign_any(&Scheme::Twilio, TOKEN, &p).unwrap();
        let url = s.url.clone().unwrap();
        assert!(url.starts_with("https://h.example.com/ev?bodySHA256="));
        let sig = s.header(HEADER).unwrap();
        assert!(check(sig, &url, "application/json", body).valid);
        let v = check(sig, &url, "application/json", b"{\n  \"a\": 2\n}\n");
        assert_eq!(v.reason, Reason::BodyModified);
        assert!(v.explanation.contains("URL signature is valid"));
        // Signed for the compact form, delivered pretty.
        let compact = SignParams {
            url: "https://h.example.com/ev",
            body: b"{\"a\":1}",
            ..SignParams::default()
        };
        let s = sign_any(&Scheme::Twilio, TOKEN, &compact).unwrap();
        let v = check(
            s.header(HEADER).unwrap(),
            s.url.as_deref().unwrap(),
            "application/json",
            body,
        );
        assert_eq!(v.reason, Reason::SignatureForReserializedBody);
    }

    #[test]
    fn form_params_decode_and_sort() {
        let p = form_params(b"b=2&a=x+y&a=%C3%BC&b=2");
        assert_eq!(
            p,
            vec![
                ("a".into(), "x y".into()),
                ("a".into(), "ü".into()),
                ("b".into(), "2".into())
            ]
        );
    }

    #[test]
    fn malformed_values() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let v = check(
            "sha1=0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
            url,
            "application/x-www-form-urlencoded",
            b"",
        );
        assert_eq!(v.reason, Reason::MalformedHeader);
        assert!(v.explanation.contains("'sha1='"));
    }
}
