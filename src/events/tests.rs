use super::*;

fn ctx() -> FillContext {
    FillContext::at(jiff::Timestamp::from_second(1_777_018_530).unwrap())
}

#[test]
fn the_catalog_has_every_event_the_product_names() {
    let names = catalog().unwrap().names();
    for want in [
        "maintainx:workorder.created",
        "maintainx:workorder.updated",
        "maintainx:workorder.status_changed",
        "maintainx:workorder.completed",
        "smtm:task.assigned",
        "smtm:task.completed",
        "smtm:task.approved",
        "smtm:task.rejected",
        "smtm:repair_request.created",
        "smtm:repair_request.updated",
        "smtm:shutdown.reported",
        "smtm:shutdown.resolved",
        "smtm:user.created",
        "smtm:user.deactivated",
        "smtm:audit.exported",
        "github:ping",
        "github:push",
        "stripe:payment_intent.succeeded",
        "standard-webhooks:generic",
        "slack:app_mention",
    ] {
        assert!(names.contains(&want.to_string()), "missing {want}");
    }
    assert_eq!(names.len(), 20);
}

#[test]
fn every_template_fills_completely_and_is_flagged_test() {
    let cat = catalog().unwrap();
    for p in &cat.providers {
        assert!(
            crate::signature::Scheme::parse(&p.scheme).is_some(),
            "{}: unknown scheme {}",
            p.provider,
            p.scheme
        );
        for t in &p.events {
            let filled = fill(p, t, &mut ctx());
            let text = serde_json::to_string(&filled.body).unwrap();
            assert!(
                !text.contains("{{"),
                "{}:{} left a placeholder: {text}",
                p.provider,
                t.event
            );
            for (n, v) in &filled.headers {
                assert!(!v.contains("{{"), "{}:{} header {n} = {v}", p.provider, t.event);
            }
            check_test_flag(&filled.body).unwrap_or_else(|e| panic!("{}:{}: {e}", p.provider, t.event));
            if let Some(path) = &t.resource {
                assert!(
                    get_path(&filled.body, path).is_some(),
                    "{}:{} has no {path}",
                    p.provider,
                    t.event
                );
            }
            if let Some(path) = &p.payload_timestamp {
                assert!(
                    get_path(&filled.body, path).is_some(),
                    "{}:{} has no {path}",
                    p.provider,
                    t.event
                );
            }
            assert!(!filled.delivery_id.is_empty());
        }
    }
}

#[test]
fn smtm_body_and_headers_follow_the_provider() {
    let cat = catalog().unwrap();
    let (p, t) = cat.find("smtm:task.completed").unwrap();
    let mut c = ctx();
    c.offset_secs = 7 * 3600;
    let f = fill(p, t, &mut c);
    assert_eq!(f.body["event"], "task.completed");
    assert_eq!(f.body["timestamp"], "2026-04-24T15:15:30+07:00");
    for key in ["company_id", "company_name"] {
        assert!(f.body[key].is_string(), "{key}");
    }
    for key in ["task_id", "asset_id", "technician_id"] {
        assert!(f.body["data"][key].is_string(), "data.{key}");
    }
    let names: Vec<_> = f.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["Content-Type", "User-Agent", "X-SMTM-Event", "X-SMTM-Delivery"]
    );
    assert_eq!(f.headers[2].1, "task.completed");
    assert_eq!(f.headers[3].1, f.delivery_id);
    assert!(uuid::Uuid::parse_str(&f.delivery_id).is_ok());
}

#[test]
fn maintainx_status_change_has_both_statuses_and_a_numeric_id() {
    let cat = catalog().unwrap();
    let (p, t) = cat.find("maintainx:workorder.status_changed").unwrap();
    let f = fill(p, t, &mut ctx());
    assert!(f.body["data"]["id"].is_u64());
    assert_eq!(f.body["data"]["priority"], "HIGH");
    assert!(f.body["data"]["previousStatus"].is_string());
    assert_eq!(f.body["timestamp"], "2026-04-24T08:15:30.000Z");
    let keys: Vec<_> = f.body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["event", "data", "timestamp", "test"]);
}

#[test]
fn fresh_ids_per_fill_but_shared_names_within_a_context() {
    let cat = catalog().unwrap();
    let (provider, template) = cat.find("stripe:payment_intent.succeeded").unwrap();
    let mut shared = ctx();
    let a = fill(provider, template, &mut shared);
    let b = fill(provider, template, &mut shared);
    assert_ne!(a.delivery_id, b.delivery_id);
    assert_eq!(a.body["id"], a.delivery_id.as_str());
    assert_eq!(a.body["data"]["object"]["id"], b.body["data"]["object"]["id"]);
    let c = fill(provider, template, &mut ctx());
    assert_ne!(a.body["data"]["object"]["id"], c.body["data"]["object"]["id"]);
    assert!(a.body["created"].is_i64());
}

#[test]
fn names_are_checked() {
    let cat = catalog().unwrap();
    assert!(matches!(cat.find("smtm"), Err(EventError::BadName(_))));
    let err = cat.find("nope:x").unwrap_err().to_string();
    assert!(err.contains("smtm") && err.contains("maintainx"), "{err}");
    let err = cat.find("smtm:task.exploded").unwrap_err().to_string();
    assert!(err.contains("task.completed"), "{err}");
    assert!(cat.find("SMTM:task.completed").is_ok());
}
