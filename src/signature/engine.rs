//! The checking order every scheme shares, once its headers are parsed:
//! match → wrong encoding → truncated → not valid encoding → (clock, after a match) → alternative
//! messages → evidence of a changed body → wrong secret.

use std::borrow::Cow;

use super::common::{
    alg_name, ct_eq, decode_strict, encode, encoding_name, explain_invalid, hmac, js_reserialize, mac_len,
    other_encoding,
};
use super::{Encoding, HmacAlgorithm, Reason, RequestParts, Verification};

/// Builds the signed message from a URL and a (canonical) body.
pub(crate) type MessageFn<'a> = Box<dyn Fn(&str, &[u8]) -> Vec<u8> + 'a>;

/// A failure that applies once the MAC is known to be right (clock, body timestamp, body hash).
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    pub reason: Reason,
    pub explanation: String,
}

/// Everything the generic checks need about one request under one scheme and key.
pub(crate) struct Spec<'a> {
    pub scheme: &'a str,
    pub alg: HmacAlgorithm,
    pub encoding: Encoding,
    pub key: Vec<u8>,
    pub header: String,
    /// The whole signature header value.
    pub received: String,
    /// The encoded signature values to compare (prefixes removed).
    pub candidates: Vec<String>,
    pub body: &'a [u8],
    /// URL forms the provider accepts; the first is the request URL.
    pub urls: Vec<String>,
    /// Other URLs a sender may have signed by mistake (`notification_url_mismatch`).
    pub url_alternatives: Vec<String>,
    /// The message covers `JSON.stringify(JSON.parse(body))`, not the raw body.
    pub reserialized: bool,
    pub message: MessageFn<'a>,
    /// Encoded MAC → the whole header value, for `expected`.
    pub render: Box<dyn Fn(&str) -> String + 'a>,
    /// Checked only when the MAC matches.
    pub after_match: Option<Failure>,
    pub skew_secs: Option<i64>,
    /// Added to a plain mismatch explanation.
    pub mismatch_hint: Option<String>,
    /// Note for a valid verdict.
    pub note: Option<String>,
}

impl<'a> Spec<'a> {
    pub(crate) fn new(
        scheme: &'a str,
        alg: HmacAlgorithm,
        encoding: Encoding,
        key: Vec<u8>,
        header: &str,
        received: &str,
        req: &RequestParts<'a>,
    ) -> Self {
        Spec {
            scheme,
            alg,
            encoding,
            key,
            header: header.to_string(),
            received: received.to_string(),
            candidates: Vec::new(),
            body: req.body,
            urls: vec![req.url.to_string()],
            url_alternatives: Vec::new(),
            reserialized: false,
            message: Box::new(|_, body| body.to_vec()),
            render: Box::new(str::to_string),
            after_match: None,
            skew_secs: None,
            mismatch_hint: None,
            note: None,
        }
    }

    fn mac_of(&self, url: &str, canonical_body: &[u8]) -> Vec<u8> {
        hmac(self.alg, &self.key, &[&(self.message)(url, canonical_body)])
    }

    /// The body as the scheme hashes it (`None`: a re-serialization scheme and the body is not JSON).
    fn canonical<'b>(&self, body: &'b [u8]) -> Option<Cow<'b, [u8]>> {
        if self.reserialized {
            js_reserialize(body).map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(body))
        }
    }
}

/// Does the MAC match with this spec's key (ignoring clock and other after-match checks)?
pub(crate) fn mac_matches(spec: &Spec) -> bool {
    let Some(canonical) = spec.canonical(spec.body) else {
        return false;
    };
    spec.urls.iter().any(|url| {
        let enc = encode(spec.encoding, &spec.mac_of(url, &canonical));
        spec.candidates
            .iter()
            .any(|c| ct_eq(c.as_bytes(), enc.as_bytes()))
    })
}

pub(crate) fn run(spec: &Spec) -> Verification {
    let len = mac_len(spec.alg);
    let outcome = |reason: Reason, explanation: String, expected: Option<String>| Verification {
        valid: reason == Reason::Valid,
        scheme: spec.scheme.to_string(),
        reason,
        explanation,
        header_used: Some(spec.header.clone()),
        received: Some(spec.received.clone()),
        expected,
        skew_secs: spec.skew_secs,
        note: if reason == Reason::Valid {
            spec.note.clone()
        } else {
            None
        },
    };
    // Decoded well-formed candidates, for comparisons on MAC bytes.
    let decoded: Vec<Vec<u8>> = spec
        .candidates
        .iter()
        .filter_map(|c| decode_strict(spec.encoding, c, len))
        .collect();
    let matches_any = |mac: &[u8]| decoded.iter().any(|d| ct_eq(d, mac));

    let Some(canonical) = spec.canonical(spec.body) else {
        let raw_mac = spec.mac_of(&spec.urls[0], spec.body);
        if matches_any(&raw_mac) {
            return outcome(
                Reason::SignatureOverRawBytesNotReserialized,
                "the signature covers the raw body bytes, but this scheme signs JSON.stringify(JSON.parse(body)) \
                 and the body is not even valid JSON"
                    .into(),
                None);
        }
        return outcome(
            Reason::InvalidJsonBody,
            format!(
                "{} signs the re-serialized JSON body, and this body is not valid JSON, so no signature can match",
                spec.scheme
            ),
            None,
        );
    };

    let macs: Vec<Vec<u8>> = spec.urls.iter().map(|u| spec.mac_of(u, &canonical)).collect();
    let encoded: Vec<String> = macs.iter().map(|m| encode(spec.encoding, m)).collect();
    let expected = Some((spec.render)(&encoded[0]));

    // A match (constant-time on the encoded value).
    let matched_url = encoded.iter().position(|enc| {
        spec.candidates
            .iter()
            .any(|c| ct_eq(c.as_bytes(), enc.as_bytes()))
    });
    if let Some(i) = matched_url {
        let expected = Some((spec.render)(&encoded[i]));
        if let Some(f) = &spec.after_match {
            return outcome(f.reason, f.explanation.clone(), expected);
        }
        let mut out = outcome(Reason::Valid, valid_explanation(spec), expected);
        if i > 0 {
            out.note = Some(format!(
                "the signature was computed over the URL {}",
                spec.urls[i]
            ));
        } else if spec.reserialized && canonical.as_ref() != spec.body {
            out.note = Some("signature covers re-serialized JSON, not the bytes received".to_string());
        }
        return out;
    }

    // The right MAC in another encoding.
    for cand in &spec.candidates {
        if let Some(why) = macs.iter().find_map(|m| other_encoding(spec.encoding, cand, m)) {
            return outcome(Reason::WrongEncoding, why, expected);
        }
    }
    // A strict prefix of the expected value.
    for cand in &spec.candidates {
        if let Some(enc) = encoded
            .iter()
            .find(|e| !cand.is_empty() && cand.len() < e.len() && e.starts_with(cand.as_str()))
        {
            let why = format!(
                "the signature is truncated: it is the first {} of the {} characters of the right value",
                cand.len(),
                enc.len()
            );
            return outcome(Reason::TruncatedSignature, why, expected);
        }
    }
    // Not valid in the scheme's encoding at all.
    if decoded.is_empty() {
        let first = spec.candidates.first().map_or("", String::as_str);
        return outcome(
            Reason::MalformedHeader,
            explain_invalid(spec.encoding, first, len),
            expected,
        );
    }

    // Alternative messages.
    if spec.reserialized {
        if canonical.as_ref() != spec.body
            && spec.urls.iter().any(|u| matches_any(&spec.mac_of(u, spec.body)))
        {
            let why = "the signature covers the raw body bytes, but this scheme's reference receiver hashes \
                       JSON.stringify(JSON.parse(body)), which differs from them";
            return outcome(Reason::SignatureOverRawBytesNotReserialized, why.into(), expected);
        }
    } else if let Some(compact) = js_reserialize(spec.body) {
        // A body that differs from its compact form only by surrounding whitespace is better
        // explained below (a trailing newline added or removed).
        if compact != spec.body.trim_ascii()
            && spec.urls.iter().any(|u| matches_any(&spec.mac_of(u, &compact)))
        {
            let why = "the signature matches the re-serialized (compact) JSON body, not the raw bytes received: \
                       the body was reformatted after signing, or the sender signed its own re-serialization";
            return outcome(Reason::SignatureForReserializedBody, why.into(), expected);
        }
    }
    for alt in &spec.url_alternatives {
        if matches_any(&spec.mac_of(alt, &canonical)) {
            let why = format!(
                "the signature was computed for the URL {alt}, not {}: the configured URL differs",
                spec.urls[0]
            );
            return outcome(Reason::NotificationUrlMismatch, why, expected);
        }
    }

    // Evidence that the body changed after signing.
    // Re-parsing each candidate costs more than hashing it.
    let budget = if spec.reserialized {
        DIGIT_SEARCH_BUDGET / 4
    } else {
        DIGIT_SEARCH_BUDGET
    };
    let changed = find_body_change(spec.body, budget, |body| {
        spec.canonical(body).is_some_and(|c| {
            c.as_ref() != canonical.as_ref() && spec.urls.iter().any(|u| matches_any(&spec.mac_of(u, &c)))
        })
    });
    if let Some(why) = changed {
        return outcome(Reason::BodyModified, why, expected);
    }

    let mut why = "the signature does not match: wrong secret, or the body changed after signing".to_string();
    if let Some(hint) = &spec.mismatch_hint {
        why.push_str(" (");
        why.push_str(hint);
        why.push(')');
    }
    if SEARCH_SPENT.get().1 {
        why.push_str(" (");
        why.push_str(SEARCH_SKIPPED_NOTE);
        why.push(')');
    }
    outcome(Reason::WrongSecret, why, expected)
}

fn valid_explanation(spec: &Spec) -> String {
    format!(
        "the {} signature in {} matches ({}, {})",
        spec.scheme,
        spec.header,
        alg_name(spec.alg),
        encoding_name(spec.encoding)
    )
}

/// Upper bound on bytes hashed while searching for a one-digit change.
pub(crate) const DIGIT_SEARCH_BUDGET: usize = 8 << 20;

thread_local! {
    /// A tighter limit set by [`with_search_budget`] for the current thread.
    static SEARCH_LIMIT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
    /// Bytes the one-digit searches hashed, and whether one was skipped for the limit.
    static SEARCH_SPENT: std::cell::Cell<(usize, bool)> = const { std::cell::Cell::new((0, false)) };
}

/// Run `f` with the one-digit search limited to `budget` bytes hashed in all. Returns `f`'s
/// result and the bytes the searches hashed (a skipped search says so in its explanation). The
/// receiver's analyzer uses it so that a flood of invalid signatures (a rotated secret) cannot
/// make every capture cost milliseconds of hashing.
pub fn with_search_budget<T>(budget: usize, f: impl FnOnce() -> T) -> (T, usize) {
    let before = SEARCH_LIMIT.replace(Some(budget));
    SEARCH_SPENT.set((0, false));
    let out = f();
    SEARCH_LIMIT.set(before);
    let (spent, _) = SEARCH_SPENT.replace((0, false));
    (out, spent)
}

/// Said after "wrong secret" when the one-digit search was skipped for the limit.
pub const SEARCH_SKIPPED_NOTE: &str = "not searched for a one-digit change while receiving under load; \
     opening the capture in the window, or `hookscope verify --capture ID --profile NAME`, runs the search";

/// Look for a small change of the body that makes `matches` true: a trailing newline added or
/// removed, line ends converted, or one ASCII digit changed. Returns an explanation.
pub(crate) fn find_body_change(
    body: &[u8],
    budget: usize,
    matches: impl Fn(&[u8]) -> bool,
) -> Option<String> {
    let mut variants: Vec<(Vec<u8>, &str)> = Vec::new();
    if let Some(b) = body.strip_suffix(b"\r\n") {
        variants.push((b.to_vec(), "a trailing CRLF was added to the body after signing"));
    }
    if let Some(b) = body.strip_suffix(b"\n") {
        variants.push((
            b.to_vec(),
            "a trailing newline was added to the body after signing",
        ));
    }
    let trimmed = body.trim_ascii_end();
    if trimmed.len() != body.len() {
        variants.push((
            trimmed.to_vec(),
            "trailing whitespace was added to the body after signing",
        ));
    }
    variants.push((
        [body, b"\n"].concat(),
        "the body lost a trailing newline after signing",
    ));
    variants.push((
        [body, b"\r\n"].concat(),
        "the body lost a trailing CRLF after signing",
    ));
    if body.contains(&b'\n') {
        let crlf_to_lf = replace(body, b"\r\n", b"\n");
        if crlf_to_lf != body {
            variants.push((
                crlf_to_lf,
                "line ends were converted from LF to CRLF after signing",
            ));
        }
        let lf_to_crlf = replace(&replace(body, b"\r\n", b"\n"), b"\n", b"\r\n");
        if lf_to_crlf != body {
            variants.push((
                lf_to_crlf,
                "line ends were converted from CRLF to LF after signing",
            ));
        }
    }
    for (variant, why) in variants {
        if matches(&variant) {
            return Some(why.to_string());
        }
    }

    let digits = body.iter().filter(|b| b.is_ascii_digit()).count();
    let cost = digits.saturating_mul(9).saturating_mul(body.len() + 64);
    if cost > budget {
        return None;
    }
    let (spent, skipped) = SEARCH_SPENT.get();
    if SEARCH_LIMIT
        .get()
        .is_some_and(|limit| spent.saturating_add(cost) > limit)
    {
        SEARCH_SPENT.set((spent, true));
        return None;
    }
    SEARCH_SPENT.set((spent.saturating_add(cost), skipped));
    let mut work = body.to_vec();
    for i in 0..body.len() {
        let original = body[i];
        if !original.is_ascii_digit() {
            continue;
        }
        for d in b'0'..=b'9' {
            if d == original {
                continue;
            }
            work[i] = d;
            if matches(&work) {
                return Some(format!(
                    "the body was changed after signing: byte {i} is '{}' but the signature matches '{}' there",
                    char::from(original),
                    char::from(d)
                ));
            }
        }
        work[i] = original;
    }
    None
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len() + haystack.len() / 16);
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_one_digit_change() {
        let original = b"{\"amount\":1000}".to_vec();
        let target = hmac(HmacAlgorithm::Sha256, b"k", &[&original]);
        let changed = b"{\"amount\":1001}";
        let why = find_body_change(changed, DIGIT_SEARCH_BUDGET, |b| {
            hmac(HmacAlgorithm::Sha256, b"k", &[b]) == target
        })
        .unwrap();
        assert!(why.contains("byte 13"), "{why}");
    }

    #[test]
    fn finds_trailing_newline() {
        let original = b"{\"a\":1}".to_vec();
        let why =
            find_body_change(b"{\"a\":1}\n", DIGIT_SEARCH_BUDGET, |b| b == original.as_slice()).unwrap();
        assert!(why.contains("trailing newline was added"));
        let why = find_body_change(b"{\"a\":1}", DIGIT_SEARCH_BUDGET, |b| b == b"{\"a\":1}\n");
        let why = why.unwrap();
        assert!(why.contains("lost a trailing newline"));
        let why = find_body_change(b"a\r\nb", DIGIT_SEARCH_BUDGET, |b| b == b"a\nb").unwrap();
        assert!(why.contains("LF to CRLF"));
    }

    #[test]
    fn digit_search_respects_budget() {
        let big = vec![b'1'; 64 * 1024];
        assert!(find_body_change(&big, DIGIT_SEARCH_BUDGET, |_| false).is_none());
    }
}
