//! Square: `x-square-hmacsha256-signature: <base64 HMAC-SHA256("{notification url}{body}")>`. The URL
//! is the one configured with Square; scheme, host, path and trailing slash all matter, so a
//! signature over a near-identical URL is reported as `notification_url_mismatch`.

use super::common::{BodyMac, url_variants};
use super::engine::Spec;
use super::{Encoding, HmacAlgorithm, RequestParts, Verification};

pub(crate) static SQUARE: BodyMac = BodyMac {
    scheme: "square",
    header: "x-square-hmacsha256-signature",
    prefix: "",
    alg: HmacAlgorithm::Sha256,
    encoding: Encoding::Base64,
    reserialized: false,
    signs_url: true,
};

pub(crate) fn prepare<'a>(key: Vec<u8>, req: &RequestParts<'a>) -> Result<Spec<'a>, Box<Verification>> {
    let mut spec = SQUARE.prepare(key, req)?;
    spec.url_alternatives = url_variants(req.url);
    spec.mismatch_hint = Some(if req.url.is_empty() {
        "no notification URL was given, and Square signs it".to_string()
    } else {
        format!(
            "Square also signs the notification URL, here taken as {}",
            req.url
        )
    });
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::super::{Reason, Scheme, SignError, SignParams, VerifyOptions, sign, verify};
    use crate::capture::HeaderList;

    const URL: &str = "https://hooks.example.com/square/notifications";
    const BODY: &[u8] = br#"{"merchant_id":"M1","type":"payment.updated","data":{"amount":1500}}"#;

    fn signature(url: &str) -> String {
        let p = SignParams {
            url,
            body: BODY,
            ..SignParams::default()
        };
        sign(&Scheme::Square, "sq-key", &p).unwrap().headers.remove(0).1
    }

    fn check(sig: &str, url: &str, body: &[u8]) -> super::super::Verification {
        let headers = HeaderList::from_pairs([("x-square-hmacsha256-signature", sig)]);
        let req = super::super::RequestParts {
            method: "POST",
            url,
            headers: &headers,
            body,
        };
        verify(&Scheme::Square, "sq-key", &req, &VerifyOptions::default())
    }

    #[test]
    fn round_trip() {
        assert!(check(&signature(URL), URL, BODY).valid);
        let p = SignParams {
            url: "",
            body: BODY,
            ..SignParams::default()
        };
        assert!(matches!(
            sign(&Scheme::Square, "k", &p),
            Err(SignError::MissingUrl { .. })
        ));
    }

    #[test]
    fn url_variants_are_named() {
        for signed_for in [format!("{URL}/"), URL.replace("https", "http")] {
            let v = check(&signature(&signed_for), URL, BODY);
            assert_eq!(v.reason, Reason::NotificationUrlMismatch, "{signed_for}");
            assert!(v.explanation.contains(&signed_for));
        }
    }

    #[test]
    fn other_failures() {
        let sig = signature(URL);
        let v = check(
            &sig,
            URL,
            br#"{"merchant_id":"M1","type":"payment.updated","data":{"amount":1501}}"#,
        );
        assert_eq!(v.reason, Reason::BodyModified);
        let v = check(&sig, "https://elsewhere.example.com/x", BODY);
        assert_eq!(v.reason, Reason::WrongSecret);
        assert!(v.explanation.contains("notification URL"));
    }

    #[test]
    fn missing_url_is_hinted() {
        let v = check(&signature(URL), "", BODY);
        assert_eq!(v.reason, Reason::WrongSecret);
        assert!(
            v.explanation.contains("no notification URL was given"),
            "{}",
            v.explanation
        );
    }
}
