//! Every built-in scheme under every kind of tampering the shared vectors exercise: the verdict
//! must name the same cause whatever the provider.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::{Reason, RequestParts, Scheme, SignParams, VerifyOptions, common, sign, verify};
use crate::capture::HeaderList;

#[test]
fn every_scheme_every_tampering() {
    const NOW: i64 = 1_760_000_000;
    let compact = format!(r#"{{"webhookTimestamp":{},"n":1234,"s":"é 設備"}}"#, NOW * 1000);
    let pretty = format!(
        "{{\n  \"webhookTimestamp\": {},\n  \"n\": 1234,\n  \"s\": \"é 設備\"\n}}\n",
        NOW * 1000
    );
    let modified = compact.replace("1234", "1235");
    for scheme in Scheme::all_builtin() {
        let name = scheme.name();
        let (secret, other) = match scheme {
            Scheme::StandardWebhooks | Scheme::Svix => (
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "whsec_XGmZIXZOTd1g0hc8GAyMaHUnnKDxqemWp5gur+YO9uo=",
            ),
            _ => ("secret-one", "secret-two"),
        };
        let reserializes = matches!(scheme, Scheme::Zoom | Scheme::Maintainx);
        let url = "https://hooks.example.com/in/x?source=test";
        let sign_for = |secret: &str, body: &str| {
            let p = SignParams {
                method: "POST",
                url,
                body: body.as_bytes(),
                timestamp: Some(NOW),
                id: Some("msg_1"),
                now_unix: NOW,
                ..SignParams::default()
            };
            let signed = sign(scheme, secret, &p).unwrap();
            let mut h = HeaderList::from_pairs(signed.headers.clone());
            h.push("Content-Type", "application/json");
            (h, signed.url.unwrap_or_else(|| url.to_string()))
        };
        let check = |h: &HeaderList, url: &str, body: &str| {
            let req = RequestParts {
                method: "POST",
                url,
                headers: h,
                body: body.as_bytes(),
            };
            verify(
                scheme,
                secret,
                &req,
                &VerifyOptions {
                    now_unix: Some(NOW + 3),
                    tolerance_secs: None,
                },
            )
        };
        let (h, signed_url) = sign_for(secret, &compact);
        let v = check(&h, &signed_url, &compact);
        assert!(v.valid, "{name}: {v:?}");

        let (wrong, wrong_url) = sign_for(other, &compact);
        assert_eq!(
            check(&wrong, &wrong_url, &compact).reason,
            Reason::WrongSecret,
            "{name}"
        );
        assert_eq!(
            check(&h, &signed_url, &modified).reason,
            Reason::BodyModified,
            "{name}"
        );

        let header = scheme.signature_header();
        let value = h.get(header).unwrap().to_string();
        let mut missing = h.clone();
        missing.remove(header);
        assert_eq!(
            check(&missing, &signed_url, &compact).reason,
            Reason::MissingHeader,
            "{name}"
        );

        let mut truncated = h.clone();
        truncated.set(header, &value[..value.len() - 4]);
        assert_eq!(
            check(&truncated, &signed_url, &compact).reason,
            Reason::TruncatedSignature,
            "{name}"
        );

        // Re-encode the MAC at the end of the header value.
        let hex_len = if *scheme == Scheme::Twilio || *scheme == Scheme::Intercom {
            40
        } else {
            64
        };
        let b64_len = if hex_len == 40 { 28 } else { 44 };
        let is_hex = value.len() >= hex_len
            && value[value.len() - hex_len..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit())
            && !value.ends_with('=');
        let (head, other_encoding) = if is_hex {
            let (head, mac) = value.split_at(value.len() - hex_len);
            (head, B64.encode(common::hex_decode(mac).unwrap()))
        } else {
            let (head, mac) = value.split_at(value.len() - b64_len);
            (head, common::hex_lower(&B64.decode(mac).unwrap()))
        };
        let mut recoded = h.clone();
        recoded.set(header, format!("{head}{other_encoding}"));
        assert_eq!(
            check(&recoded, &signed_url, &compact).reason,
            Reason::WrongEncoding,
            "{name}"
        );

        let v = check(&h, &signed_url, &pretty);
        if reserializes {
            assert!(v.valid, "{name}: {v:?}");
            assert!(v.note.is_some(), "{name}");
        } else {
            assert_eq!(v.reason, Reason::SignatureForReserializedBody, "{name}: {v:?}");
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Arbitrary header values, URLs and bodies never make verification panic.
    #[test]
    fn verify_never_panics(
        value in "[ -~]{0,90}",
        ts in "[ -~]{0,24}",
        url in "[ -~]{0,40}",
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..96),
        now in proptest::option::of(proptest::prelude::any::<i64>()),
    ) {
        for scheme in Scheme::all_builtin() {
            let mut headers = HeaderList::new();
            headers.push(scheme.signature_header(), value.as_str());
            for name in [
                "webhook-id", "webhook-timestamp", "svix-id", "svix-timestamp", "X-Slack-Request-Timestamp",
                "x-zm-request-timestamp", "Twitch-Eventsub-Message-Id", "Twitch-Eventsub-Message-Timestamp",
                "X-HubSpot-Request-Timestamp",
            ] {
                headers.push(name, ts.as_str());
            }
            let req = RequestParts { method: "POST", url: &url, headers: &headers, body: &body };
            let opts = VerifyOptions { now_unix: now, tolerance_secs: None };
            let v = super::diagnose(scheme, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &req, &opts, &[("p", "x")]);
            proptest::prop_assert!(!v.valid || v.reason == Reason::Valid);
        }
    }
}
