//! A user-defined HMAC scheme: `{header}: {prefix}{encoded HMAC(secret, template)}`, where the
//! template holds `{body}`, `{timestamp}`, `{id}`, `{method}` and `{url}` placeholders, and
//! `{timestamp}` / `{id}` come from configured headers. Timestamps are Unix seconds (values above
//! 10^11 are read as milliseconds); the clock is checked ± only when a tolerance is set.

use super::common::{Window, check_clock, encode, fresh_id, hmac, require, sign_secs, strip_prefix};
use super::engine::Spec;
use super::{CustomScheme, Reason, RequestParts, SignError, SignParams, Signed, Verification, VerifyOptions};

const SCHEME: &str = "custom";
const PLACEHOLDERS: [&str; 5] = ["{body}", "{timestamp}", "{id}", "{method}", "{url}"];

/// Values substituted into the template.
struct Vars<'v> {
    method: &'v str,
    url: &'v str,
    timestamp: &'v str,
    id: &'v str,
}

fn expand(template: &str, vars: &Vars, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(template.len() + body.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        rest = &rest[i..];
        let Some(p) = PLACEHOLDERS.iter().find(|p| rest.starts_with(*p)) else {
            out.push(b'{');
            rest = &rest[1..];
            continue;
        };
        match *p {
            "{body}" => out.extend_from_slice(body),
            "{timestamp}" => out.extend_from_slice(vars.timestamp.as_bytes()),
            "{id}" => out.extend_from_slice(vars.id.as_bytes()),
            "{method}" => out.extend_from_slice(vars.method.as_bytes()),
            _ => out.extend_from_slice(vars.url.as_bytes()),
        }
        rest = &rest[p.len()..];
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

/// Check a definition before signing with it.
pub(crate) fn validate(c: &CustomScheme) -> Result<(), String> {
    if c.header.trim().is_empty() {
        return Err("the signature header name is empty".into());
    }
    if c.template.contains("{timestamp}") && c.timestamp_header.is_none() {
        return Err("the template uses {timestamp} but no timestamp header is set".into());
    }
    if c.template.contains("{id}") && c.id_header.is_none() {
        return Err("the template uses {id} but no id header is set".into());
    }
    let mut rest = c.template.as_str();
    while let Some(i) = rest.find('{') {
        rest = &rest[i..];
        if let Some(end) = rest.find('}') {
            let word = &rest[..=end];
            let is_name = word.len() > 2
                && word[1..end]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if is_name && !PLACEHOLDERS.contains(&word) {
                return Err(format!(
                    "unknown placeholder {word} (known: {})",
                    PLACEHOLDERS.join(" ")
                ));
            }
        }
        rest = &rest[1..];
    }
    Ok(())
}

/// A configured companion header: required when the template uses it.
fn companion<'a>(
    req: &RequestParts<'a>,
    header: Option<&String>,
    placeholder: &str,
    template: &str,
) -> Result<Option<&'a str>, Box<Verification>> {
    let used = template.contains(placeholder);
    match header {
        Some(name) if used => require(SCHEME, req, name, true).map(Some),
        Some(name) => Ok(req.headers.get(name)),
        None if used => Err(Box::new(Verification::failure(
            SCHEME,
            Reason::MalformedHeader,
            format!("the template uses {placeholder} but the scheme names no header for it"),
        ))),
        None => Ok(None),
    }
}

pub(crate) fn prepare<'a>(
    c: &'a CustomScheme,
    key: Vec<u8>,
    req: &RequestParts<'a>,
    opts: &VerifyOptions,
    tolerance: Option<u64>,
) -> Result<Spec<'a>, Box<Verification>> {
    let value = require(SCHEME, req, &c.header, false)?;
    let timestamp = companion(req, c.timestamp_header.as_ref(), "{timestamp}", &c.template)?;
    let id = companion(req, c.id_header.as_ref(), "{id}", &c.template)?;
    let sig = if c.prefix.is_empty() {
        value
    } else {
        strip_prefix(value, &c.prefix).map_err(|why| {
            Verification::failure(SCHEME, Reason::MalformedHeader, why).with_header(&c.header, Some(value))
        })?
    };
    let mut spec = Spec::new(SCHEME, c.algorithm, c.encoding, key, &c.header, value, req);
    if let (Some(ts_text), Some(name)) = (timestamp, c.timestamp_header.as_ref()) {
        match ts_text.parse::<i64>() {
            Ok(ts) => {
                let ts_ms = if ts.abs() > 100_000_000_000 {
                    ts
                } else {
                    ts.saturating_mul(1000)
                };
                let (skew, failure) = check_clock(
                    opts.now_unix,
                    ts_ms,
                    tolerance,
                    Window::Both,
                    &format!("the {name}"),
                );
                spec.skew_secs = skew;
                spec.after_match = failure;
            }
            Err(_) if tolerance.is_some() && opts.now_unix.is_some() => {
                return Err(Box::new(
                    Verification::failure(
                        SCHEME,
                        Reason::MalformedHeader,
                        format!("the {name} value '{ts_text}' is not an integer Unix timestamp"),
                    )
                    .with_header(name, Some(ts_text)),
                ));
            }
            Err(_) => {}
        }
    }
    spec.candidates = vec![sig.to_string()];
    let (method, url) = (req.method.to_string(), req.url.to_string());
    let (timestamp, id) = (
        timestamp.unwrap_or_default().to_string(),
        id.unwrap_or_default().to_string(),
    );
    spec.message = Box::new(move |_, body| {
        let vars = Vars {
            method: &method,
            url: &url,
            timestamp: &timestamp,
            id: &id,
        };
        expand(&c.template, &vars, body)
    });
    spec.render = Box::new(move |enc| format!("{}{enc}", c.prefix));
    Ok(spec)
}

pub(crate) fn sign(c: &CustomScheme, key: &[u8], p: &SignParams) -> Result<Signed, SignError> {
    validate(c).map_err(SignError::InvalidCustomScheme)?;
    let timestamp = sign_secs(p).to_string();
    let id = p.id.map_or_else(fresh_id, str::to_string);
    let vars = Vars {
        method: p.method,
        url: p.url,
        timestamp: &timestamp,
        id: &id,
    };
    let mac = hmac(c.algorithm, key, &[&expand(&c.template, &vars, p.body)]);
    let mut headers = Vec::new();
    if let Some(h) = &c.timestamp_header {
        headers.push((h.clone(), timestamp.clone()));
    }
    if let Some(h) = &c.id_header {
        headers.push((h.clone(), id.clone()));
    }
    headers.push((
        c.header.clone(),
        format!("{}{}", c.prefix, encode(c.encoding, &mac)),
    ));
    Ok(Signed { headers, url: None })
}

#[cfg(test)]
mod tests {
    use super::super::{Encoding, HmacAlgorithm, Scheme, sign as sign_any, verify};
    use super::*;
    use crate::capture::HeaderList;

    fn scheme() -> CustomScheme {
        CustomScheme {
            header: "X-Acme-Signature".into(),
            algorithm: HmacAlgorithm::Sha512,
            encoding: Encoding::Base64,
            prefix: "v1=".into(),
            template: "{timestamp}.{id}.{method} {url}.{body}".into(),
            timestamp_header: Some("X-Acme-Timestamp".into()),
            id_header: Some("X-Acme-Id".into()),
        }
    }

    fn run(c: &CustomScheme, headers: &HeaderList, body: &[u8], opts: VerifyOptions) -> Verification {
        let req = RequestParts {
            method: "POST",
            url: "https://h/x",
            headers,
            body,
        };
        verify(&Scheme::Custom(c.clone()), "acme-secret", &req, &opts)
    }

    fn signed(c: &CustomScheme, body: &[u8]) -> HeaderList {
        let p = SignParams {
            method: "POST",
            url: "https://h/x",
            body,
            timestamp: Some(1000),
            id: Some("evt_1"),
            ..SignParams::default()
        };
        HeaderList::from_pairs(
            sign_any(&Scheme::Custom(c.clone()), "acme-secret", &p)
                .unwrap()
                .headers,
        )
    }

    #[test]
    fn expand_template() {
        let vars = Vars {
            method: "PUT",
            url: "u",
            timestamp: "1",
            id: "i",
        };
        assert_eq!(
            expand("{timestamp}.{id}.{method}{url}:{body}{x}{", &vars, b"B"),
            b"1.i.PUTu:B{x}{"
        );
    }

    #[test]
    fn round_trip_and_tamper() {
        let c = scheme();
        let h = signed(&c, b"{\"n\":1}");
        assert_eq!(h.get("X-Acme-Id"), Some("evt_1"));
        assert!(h.get("X-Acme-Signature").unwrap().starts_with("v1="));
        assert!(run(&c, &h, b"{\"n\":1}", VerifyOptions::default()).valid);
        assert_eq!(
            run(&c, &h, b"{\"n\":2}", VerifyOptions::default()).reason,
            Reason::BodyModified
        );
        let strict = VerifyOptions {
            now_unix: Some(2000),
            tolerance_secs: Some(60),
        };
        assert_eq!(
            run(&c, &h, b"{\"n\":1}", strict).reason,
            Reason::TimestampOutsideTolerance
        );
        let mut no_ts = h.clone();
        no_ts.remove("X-Acme-Timestamp");
        assert_eq!(
            run(&c, &no_ts, b"{\"n\":1}", VerifyOptions::default()).reason,
            Reason::MissingHeader
        );
    }

    #[test]
    fn hex_sha1_without_prefix() {
        let c = CustomScheme {
            algorithm: HmacAlgorithm::Sha1,
            encoding: Encoding::Hex,
            prefix: String::new(),
            template: "{body}".into(),
            timestamp_header: None,
            id_header: None,
            ..scheme()
        };
        let h = signed(&c, b"x");
        assert_eq!(h.get("X-Acme-Signature").unwrap().len(), 40);
        assert!(run(&c, &h, b"x", VerifyOptions::default()).valid);
    }

    #[test]
    fn validation() {
        let mut c = scheme();
        assert!(validate(&c).is_ok());
        c.template = "{timestamp}.{bogus}".into();
        assert!(validate(&c).unwrap_err().contains("{bogus}"));
        c.template = "{id}".into();
        c.id_header = None;
        assert!(validate(&c).is_err());
        let p = SignParams {
            body: b"",
            ..SignParams::default()
        };
        assert!(matches!(
            sign_any(&Scheme::Custom(c), "k", &p),
            Err(SignError::InvalidCustomScheme(_))
        ));
    }
}
