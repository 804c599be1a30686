//! Which scheme a request uses, from its headers alone.
//!
//! Signature headers decide first. GitHub is recognised by `X-Hub-Signature-256` or
//! `X-GitHub-Event` (GitHub also sends the legacy `X-Hub-Signature`), while a lone
//! `X-Hub-Signature` is Intercom. When no signature header is present, a provider's companion
//! headers (delivery ids, signed timestamps) still name it, so a missing signature can be reported
//! as such.

use super::Scheme;
use crate::capture::HeaderList;

/// Signature headers, checked in this order.
const SIGNATURES: [(&str, Scheme); 15] = [
    ("webhook-signature", Scheme::StandardWebhooks),
    ("svix-signature", Scheme::Svix),
    ("Stripe-Signature", Scheme::Stripe),
    ("X-Slack-Signature", Scheme::Slack),
    ("X-Twilio-Signature", Scheme::Twilio),
    ("X-Shopify-Hmac-Sha256", Scheme::Shopify),
    ("Paddle-Signature", Scheme::Paddle),
    ("x-zm-signature", Scheme::Zoom),
    ("Twitch-Eventsub-Message-Signature", Scheme::Twitch),
    ("X-HubSpot-Signature-v3", Scheme::HubspotV3),
    ("x-square-hmacsha256-signature", Scheme::Square),
    ("Typeform-Signature", Scheme::Typeform),
    ("Linear-Signature", Scheme::Linear),
    ("x-maintainx-signature", Scheme::Maintainx),
    ("X-SMTM-Signature", Scheme::Smtm),
];

/// Headers that accompany a provider's deliveries but are not its signature.
const COMPANIONS: [(&str, Scheme); 14] = [
    ("webhook-id", Scheme::StandardWebhooks),
    ("svix-id", Scheme::Svix),
    ("X-Slack-Request-Timestamp", Scheme::Slack),
    ("I-Twilio-Idempotency-Token", Scheme::Twilio),
    ("X-Shopify-Webhook-Id", Scheme::Shopify),
    ("X-Shopify-Topic", Scheme::Shopify),
    ("x-zm-request-timestamp", Scheme::Zoom),
    ("Twitch-Eventsub-Message-Id", Scheme::Twitch),
    ("X-HubSpot-Request-Timestamp", Scheme::HubspotV3),
    ("Square-Initial-Delivery-Timestamp", Scheme::Square),
    ("Linear-Delivery", Scheme::Linear),
    ("x-maintainx-event-id", Scheme::Maintainx),
    ("X-SMTM-Delivery", Scheme::Smtm),
    ("X-SMTM-Event", Scheme::Smtm),
];

/// The scheme a request's headers point to, if any.
pub fn detect(headers: &HeaderList) -> Option<Scheme> {
    if headers.contains("X-Hub-Signature-256") || headers.contains("X-GitHub-Event") {
        return Some(Scheme::Github);
    }
    if let Some((_, s)) = SIGNATURES.iter().find(|(h, _)| headers.contains(h)) {
        return Some(s.clone());
    }
    if headers.contains("X-Hub-Signature") {
        return Some(Scheme::Intercom);
    }
    COMPANIONS
        .iter()
        .find(|(h, _)| headers.contains(h))
        .map(|(_, s)| s.clone())
}

/// Does the request carry the scheme's own signature header?
pub(crate) fn has_signature(scheme: &Scheme, headers: &HeaderList) -> bool {
    headers.contains(scheme.signature_header())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(pairs: &[(&str, &str)]) -> Option<Scheme> {
        detect(&HeaderList::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn every_builtin_is_detected_by_its_signature_header() {
        for s in Scheme::all_builtin() {
            assert_eq!(of(&[(s.signature_header(), "x")]).as_ref(), Some(s), "{s}");
            let lower = s.signature_header().to_ascii_lowercase();
            assert_eq!(of(&[(lower.as_str(), "x")]).as_ref(), Some(s), "{s}");
        }
    }

    #[test]
    fn github_versus_intercom() {
        assert_eq!(of(&[("X-Hub-Signature", "sha1=ab")]), Some(Scheme::Intercom));
        assert_eq!(
            of(&[("X-Hub-Signature", "sha1=ab"), ("X-Hub-Signature-256", "x")]),
            Some(Scheme::Github)
        );
        assert_eq!(
            of(&[("X-Hub-Signature", "sha1=ab"), ("X-GitHub-Event", "push")]),
            Some(Scheme::Github)
        );
        assert_eq!(of(&[("X-GitHub-Event", "ping")]), Some(Scheme::Github));
    }

    #[test]
    fn companions_and_nothing() {
        assert_eq!(of(&[("X-SMTM-Event", "task.assigned")]), Some(Scheme::Smtm));
        assert_eq!(of(&[("x-maintainx-event-id", "1")]), Some(Scheme::Maintainx));
        assert_eq!(of(&[("Content-Type", "application/json")]), None);
        assert_eq!(of(&[]), None);
        assert!(has_signature(
            &Scheme::Stripe,
            &HeaderList::from_pairs([("stripe-signature", "t=1")])
        ));
        assert!(!has_signature(
            &Scheme::Smtm,
            &HeaderList::from_pairs([("X-SMTM-Event", "x")])
        ));
    }
}
