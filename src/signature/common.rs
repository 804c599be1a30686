//! Shared building blocks: HMAC, constant-time comparison, encodings, header access, clock checks,
//! URL variants, and the "HMAC over the body with prefix P and encoding E" scheme that eight
//! providers are made of.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

use super::engine::{Failure, Spec};
use super::{Encoding, HmacAlgorithm, Reason, RequestParts, SignError, SignParams, Signed, Verification};

pub(crate) use super::url::{query_param, set_query_param, toggle_port, url_variants};

pub use super::jsjson::js_reserialize;

/// HMAC of the concatenation of `parts`.
pub(crate) fn hmac(alg: HmacAlgorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this never fails.
        let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
            return Vec::new();
        };
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().to_vec()
    }
    match alg {
        HmacAlgorithm::Sha1 => run::<Hmac<sha1::Sha1>>(key, parts),
        HmacAlgorithm::Sha256 => run::<Hmac<sha2::Sha256>>(key, parts),
        HmacAlgorithm::Sha512 => run::<Hmac<sha2::Sha512>>(key, parts),
    }
}

/// Length of the MAC in bytes.
pub(crate) fn mac_len(alg: HmacAlgorithm) -> usize {
    match alg {
        HmacAlgorithm::Sha1 => 20,
        HmacAlgorithm::Sha256 => 32,
        HmacAlgorithm::Sha512 => 64,
    }
}

pub(crate) fn alg_name(alg: HmacAlgorithm) -> &'static str {
    match alg {
        HmacAlgorithm::Sha1 => "HMAC-SHA1",
        HmacAlgorithm::Sha256 => "HMAC-SHA256",
        HmacAlgorithm::Sha512 => "HMAC-SHA512",
    }
}

/// Constant-time equality (the length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Decode hex of either case.
pub(crate) fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Lenient base64: standard or URL-safe alphabet, padded or not.
pub(crate) fn b64_decode_any(s: &str) -> Option<Vec<u8>> {
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(s).ok())
}

pub(crate) fn encode(enc: Encoding, bytes: &[u8]) -> String {
    match enc {
        Encoding::Hex => hex_lower(bytes),
        Encoding::Base64 => b64(bytes),
    }
}

pub(crate) fn encoding_name(enc: Encoding) -> &'static str {
    match enc {
        Encoding::Hex => "lowercase hex",
        Encoding::Base64 => "base64",
    }
}

/// Decode a value written exactly in the scheme's encoding (lowercase hex, or padded standard
/// base64) and of the MAC's length.
pub(crate) fn decode_strict(enc: Encoding, s: &str, len: usize) -> Option<Vec<u8>> {
    let bytes = match enc {
        Encoding::Hex => {
            if !s
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
            {
                return None;
            }
            hex_decode(s)?
        }
        Encoding::Base64 => STANDARD.decode(s).ok()?,
    };
    (bytes.len() == len).then_some(bytes)
}

/// When `value` holds the right MAC in another encoding, say which.
pub(crate) fn other_encoding(enc: Encoding, value: &str, mac: &[u8]) -> Option<String> {
    match enc {
        Encoding::Hex => {
            if value != hex_lower(mac) && value.eq_ignore_ascii_case(&hex_lower(mac)) {
                return Some(
                    "the MAC is right but written in uppercase hex; lowercase hex is expected".into(),
                );
            }
            let decoded = b64_decode_any(value)?;
            ct_eq(&decoded, mac).then(|| "the MAC is right but base64 where hex is expected".to_string())
        }
        Encoding::Base64 => {
            if let Some(decoded) = hex_decode(value) {
                return ct_eq(&decoded, mac)
                    .then(|| "the MAC is right but hex where base64 is expected".into());
            }
            let decoded = b64_decode_any(value)?;
            if !ct_eq(&decoded, mac) {
                return None;
            }
            Some(if value.contains(['-', '_']) {
                "the MAC is right but in URL-safe base64; standard base64 (+ and /) is expected".into()
            } else {
                "the MAC is right but its base64 lacks the '=' padding".into()
            })
        }
    }
}

/// Why `value` is not a valid signature in encoding `enc` for a MAC of `len` bytes.
pub(crate) fn explain_invalid(enc: Encoding, value: &str, len: usize) -> String {
    let valid = |s: &str| decode_strict(enc, s, len).is_some();
    if value.is_empty() {
        return "the signature value is empty".into();
    }
    if let Some(i) = value.find(['=', ':']) {
        let (prefix, rest) = (&value[..=i], &value[i + 1..]);
        let looks_like_prefix = i > 0
            && i <= 16
            && prefix[..i]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            && !rest.is_empty()
            && !rest.bytes().all(|c| c == b'=');
        if looks_like_prefix {
            return format!(
                "the value carries a stray '{prefix}' prefix; this scheme sends a bare {} value",
                encoding_name(enc)
            );
        }
    }
    if let Some((a, b)) = value.split_once([',', ' '])
        && (valid(a.trim()) || valid(b.trim()))
    {
        return "the header holds several values joined together; this scheme sends exactly one".into();
    }
    let expected_len = encode(enc, &vec![0; len]).len();
    match enc {
        Encoding::Hex if !value.bytes().all(|c| c.is_ascii_hexdigit()) => {
            "the value is not hex (it has characters outside 0-9 and a-f)".into()
        }
        Encoding::Base64
            if !value
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+/=".contains(&c)) =>
        {
            "the value is not base64 (it has characters outside the base64 alphabet)".into()
        }
        _ if value.len() != expected_len => format!(
            "the value is {} characters long, but {} of a {}-byte MAC is {expected_len}",
            value.len(),
            encoding_name(enc),
            len
        ),
        _ => format!("the value is not valid {}", encoding_name(enc)),
    }
}

/// A header value as the scheme sees it.
pub(crate) enum HeaderValue<'a> {
    Missing,
    NotUtf8,
    Present(&'a str),
}

pub(crate) fn header<'a>(req: &RequestParts<'a>, name: &str) -> HeaderValue<'a> {
    let headers: &'a crate::capture::HeaderList = req.headers;
    match headers.iter().find(|h| h.is(name)) {
        None => HeaderValue::Missing,
        Some(h) => h.value_str().map_or(HeaderValue::NotUtf8, HeaderValue::Present),
    }
}

/// A required header's value, or the verdict for its absence.
pub(crate) fn require<'a>(
    scheme: &str,
    req: &RequestParts<'a>,
    name: &str,
    signed_part: bool,
) -> Result<&'a str, Box<Verification>> {
    match header(req, name) {
        HeaderValue::Present(v) => Ok(v),
        HeaderValue::Missing => {
            let why = if signed_part {
                "; it is part of the signed message"
            } else {
                ""
            };
            Err(Box::new(
                Verification::failure(
                    scheme,
                    Reason::MissingHeader,
                    format!("the {name} header is absent{why}"),
                )
                .with_header(name, None),
            ))
        }
        HeaderValue::NotUtf8 => Err(Box::new(
            Verification::failure(
                scheme,
                Reason::MalformedHeader,
                format!("the {name} header is not valid UTF-8 text"),
            )
            .with_header(name, None),
        )),
    }
}

/// Strip an exact, case-sensitive prefix, or explain what is there instead.
pub(crate) fn strip_prefix<'a>(value: &'a str, prefix: &str) -> Result<&'a str, String> {
    if let Some(rest) = value.strip_prefix(prefix) {
        return Ok(rest);
    }
    if value.len() >= prefix.len()
        && value.is_char_boundary(prefix.len())
        && value[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        return Err(format!(
            "the prefix is '{}' but must be exactly '{prefix}' (case-sensitive)",
            &value[..prefix.len()]
        ));
    }
    let sep = prefix.chars().last().unwrap_or('=');
    let head = prefix.trim_end_matches(sep);
    if let Some(i) = value.find(['=', ':', ',']) {
        let found = &value[..=i];
        let plausible = i > 0
            && found[..i]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
        if plausible && value.len() > i + 1 && !value[i + 1..].bytes().all(|c| c == b'=') {
            if &found[..i] == head {
                return Err(format!(
                    "the separator after '{head}' is '{}' but must be '{sep}'",
                    &found[i..]
                ));
            }
            return Err(format!(
                "the prefix is '{found}' but must be '{prefix}' (wrong version or algorithm)"
            ));
        }
    }
    Err(format!("the '{prefix}' prefix is missing before the signature"))
}

/// Which way a timestamp may be off.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Window {
    /// Rejected when too far in the past or the future.
    Both,
    /// Only a timestamp too far in the past is rejected.
    PastOnly,
}

/// Check a signed timestamp (milliseconds) against the clock. Returns the skew in seconds
/// (`now - timestamp`, positive when the timestamp is in the past) and a failure when outside.
pub(crate) fn check_clock(
    now_unix: Option<i64>,
    ts_ms: i64,
    tolerance_secs: Option<u64>,
    window: Window,
    what: &str,
) -> (Option<i64>, Option<Failure>) {
    let Some(now) = now_unix else { return (None, None) };
    let diff_ms = i128::from(now) * 1000 - i128::from(ts_ms);
    let skew = i64::try_from((diff_ms + diff_ms.signum() * 500) / 1000).unwrap_or(i64::MAX);
    let Some(tol) = tolerance_secs else {
        return (Some(skew), None);
    };
    let tol_ms = i128::from(tol) * 1000;
    let outside = match window {
        Window::Both => diff_ms.abs() > tol_ms,
        Window::PastOnly => diff_ms > tol_ms,
    };
    if !outside {
        return (Some(skew), None);
    }
    let direction = if diff_ms >= 0 {
        "in the past"
    } else {
        "in the future"
    };
    let rule = match window {
        Window::Both => format!("±{tol} s"),
        Window::PastOnly => format!("{tol} s, past only"),
    };
    let explanation = format!(
        "the signature is right but {what} is {} s {direction}, outside the tolerance ({rule})",
        skew.unsigned_abs()
    );
    (
        Some(skew),
        Some(Failure {
            reason: Reason::TimestampOutsideTolerance,
            explanation,
        }),
    )
}

/// Parse an integer Unix timestamp header, or explain.
pub(crate) fn parse_unix(scheme: &str, name: &str, value: &str) -> Result<i64, Box<Verification>> {
    value.parse::<i64>().map_err(|_| {
        Box::new(
            Verification::failure(
                scheme,
                Reason::MalformedHeader,
                format!("the {name} value '{value}' is not an integer Unix timestamp"),
            )
            .with_header(name, Some(value)),
        )
    })
}

/// The timestamp to sign with, in seconds.
pub(crate) fn sign_secs(p: &SignParams) -> i64 {
    p.timestamp
        .or(p.timestamp_ms.map(|ms| ms.div_euclid(1000)))
        .unwrap_or(p.now_unix)
}

/// A fresh random id for schemes whose message includes one.
pub(crate) fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// "HMAC over the body": `header: {prefix}{encoded HMAC(key, [url] + body)}`. GitHub, Intercom, SMTM,
/// Typeform, Shopify, Linear, `MaintainX` (body re-serialized first) and Square (URL first) are all
/// instances.
pub(crate) struct BodyMac {
    pub scheme: &'static str,
    pub header: &'static str,
    pub prefix: &'static str,
    pub alg: HmacAlgorithm,
    pub encoding: Encoding,
    /// Hash `JSON.stringify(JSON.parse(body))` instead of the raw bytes.
    pub reserialized: bool,
    /// The signed message starts with the request URL.
    pub signs_url: bool,
}

impl BodyMac {
    fn message(&self, url: &str, body: &[u8]) -> Vec<u8> {
        let url = if self.signs_url { url.as_bytes() } else { b"" };
        [url, body].concat()
    }

    pub(crate) fn prepare<'a>(
        &'static self,
        key: Vec<u8>,
        req: &RequestParts<'a>,
    ) -> Result<Spec<'a>, Box<Verification>> {
        let value = require(self.scheme, req, self.header, false)?;
        let sig = strip_prefix(value, self.prefix).map_err(|why| {
            Verification::failure(self.scheme, Reason::MalformedHeader, why)
                .with_header(self.header, Some(value))
        })?;
        let mut spec = Spec::new(self.scheme, self.alg, self.encoding, key, self.header, value, req);
        spec.candidates = vec![sig.to_string()];
        spec.reserialized = self.reserialized;
        spec.message = Box::new(move |url, body| self.message(url, body));
        let prefix = self.prefix;
        spec.render = Box::new(move |enc| format!("{prefix}{enc}"));
        Ok(spec)
    }

    pub(crate) fn sign(&self, key: &[u8], p: &SignParams) -> Result<Signed, SignError> {
        let body = if self.reserialized {
            js_reserialize(p.body).ok_or_else(|| SignError::BodyNotJson {
                scheme: self.scheme.into(),
            })?
        } else {
            p.body.to_vec()
        };
        if self.signs_url && p.url.is_empty() {
            return Err(SignError::MissingUrl {
                scheme: self.scheme.into(),
            });
        }
        let mac = hmac(self.alg, key, &[&self.message(p.url, &body)]);
        let value = format!("{}{}", self.prefix, encode(self.encoding, &mac));
        Ok(Signed {
            headers: vec![(self.header.to_string(), value)],
            url: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_known_answer() {
        // RFC 4231 test case 2.
        let mac = hmac(
            HmacAlgorithm::Sha256,
            b"Jefe",
            &[b"what do ya want ", b"for nothing?"],
        );
        assert_eq!(
            hex_lower(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(hmac(HmacAlgorithm::Sha1, b"k", &[b"m"]).len(), 20);
        assert_eq!(hmac(HmacAlgorithm::Sha512, b"k", &[b"m"]).len(), 64);
    }

    #[test]
    fn encodings() {
        let mac = [0xde, 0xad, 0xbe, 0xef];
        assert_eq!(encode(Encoding::Hex, &mac), "deadbeef");
        assert_eq!(decode_strict(Encoding::Hex, "deadbeef", 4), Some(mac.to_vec()));
        assert_eq!(decode_strict(Encoding::Hex, "DEADBEEF", 4), None);
        assert_eq!(decode_strict(Encoding::Base64, "3q2+7w==", 4), Some(mac.to_vec()));
        assert!(other_encoding(Encoding::Hex, "3q2+7w==", &mac).is_some());
        assert!(
            other_encoding(Encoding::Hex, "DEADBEEF", &mac)
                .unwrap()
                .contains("uppercase")
        );
        assert!(other_encoding(Encoding::Base64, "deadbeef", &mac).is_some());
        assert!(
            other_encoding(Encoding::Base64, "3q2-7w", &mac)
                .unwrap()
                .contains("URL-safe")
        );
        assert!(
            other_encoding(Encoding::Base64, "3q2+7w", &mac)
                .unwrap()
                .contains("padding")
        );
        assert!(explain_invalid(Encoding::Base64, "sha256=3q2+7w==", 4).contains("'sha256='"));
        assert!(explain_invalid(Encoding::Hex, "zz", 4).contains("not hex"));
        assert!(explain_invalid(Encoding::Hex, "deadbeef,deadbeef", 4).contains("joined"));
    }

    #[test]
    fn prefix_explanations() {
        assert_eq!(strip_prefix("sha256=ab", "sha256="), Ok("ab"));
        assert!(
            strip_prefix("SHA256=ab", "sha256=")
                .unwrap_err()
                .contains("case-sensitive")
        );
        assert!(strip_prefix("v1=ab", "v0=").unwrap_err().contains("'v1='"));
        assert!(strip_prefix("abcdef", "sha256=").unwrap_err().contains("missing"));
        assert!(
            strip_prefix("v0:abcdef", "v0=")
                .unwrap_err()
                .contains("separator")
        );
    }

    #[test]
    fn clock() {
        let (skew, f) = check_clock(Some(1000), 640_000, Some(300), Window::Both, "the timestamp");
        assert_eq!(skew, Some(360));
        assert!(f.unwrap().explanation.contains("360 s in the past"));
        let (_, f) = check_clock(Some(1000), 1_400_000, Some(300), Window::PastOnly, "t");
        assert!(f.is_none());
        let (_, f) = check_clock(Some(1000), 1_400_000, Some(300), Window::Both, "t");
        assert!(f.unwrap().explanation.contains("in the future"));
        assert_eq!(check_clock(None, 0, Some(1), Window::Both, "t").0, None);
    }
}
