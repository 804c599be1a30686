use std::io::Write as _;

use proptest::prelude::*;

use super::*;
use crate::capture::filter::Filter;
use crate::capture::{Analysis, Capture, HeaderList, Origin, ResponseSent, Verdict};
use crate::send::{Attempt, AttemptKind, OutgoingRequest};
use crate::store::{Store, rows};

const DAY_US: i64 = 86_400_000_000;
/// 2026-10-30T00:00:00Z
const START_US: i64 = 1_793_318_400_000_000;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[allow(clippy::too_many_arguments)]
fn capture(
    day: i64,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    status: Option<u16>,
    verdict: Verdict,
    event: Option<&str>,
) -> Capture {
    Capture {
        received_at_us: START_US + day * DAY_US,
        method: method.into(),
        path: path.into(),
        http_version: "HTTP/1.1".into(),
        headers: HeaderList::from_pairs(headers.iter().copied()),
        body_len: body.len() as u64,
        body,
        response: status.map(|s| ResponseSent {
            status: s,
            ..ResponseSent::default_ok()
        }),
        analysis: Analysis {
            verdict,
            event: event.map(str::to_owned),
            ..Analysis::default()
        },
        ..Capture::default()
    }
}

fn smtm(event: &str) -> Vec<(&str, &str)> {
    vec![
        ("Content-Type", "application/json"),
        ("X-SMTM-Event", event),
        ("X-SMTM-Signature", "sha256=00"),
    ]
}

/// Six captures covering every filter field; returns the store (ids 1..=6).
pub(crate) fn mixed_set(dir: &std::path::Path) -> Store {
    let store = Store::open(dir).unwrap();
    let conn = store.connect_rw().unwrap();
    let mut c = vec![
        capture(
            0,
            "POST",
            "/smtm/tasks",
            &smtm("task.completed"),
            br#"{"event":"task.completed","data":{"task_id":"T-1001"}}"#.to_vec(),
            Some(200),
            Verdict::Invalid,
            Some("task.completed"),
        ),
        capture(
            1,
            "POST",
            "/smtm/tasks",
            &smtm("task.assigned"),
            br#"{"event":"task.assigned","data":{"task_id":"T-1002"}}"#.to_vec(),
            Some(503),
            Verdict::Valid,
            Some("task.assigned"),
        ),
        capture(
            2,
            "GET",
            "/other",
            &[("Accept", "*/*")],
            b"hello world".to_vec(),
            Some(200),
            Verdict::Unsigned,
            None,
        ),
        capture(
            3,
            "POST",
            "/maintainx",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
                ("x-maintainx-signature", "abc"),
            ],
            gzip(br#"{"event":"workorder.created","note":"compressed needle"}"#),
            Some(200),
            Verdict::Valid,
            Some("workorder.created"),
        ),
        capture(
            4,
            "PUT",
            "/smtm/users/1",
            &[("Content-Type", "application/octet-stream")],
            vec![0, 1, 2, 0xff],
            Some(413),
            Verdict::NoSecret,
            Some("user.created"),
        ),
        capture(
            5,
            "POST",
            "/imported",
            &[("Content-Type", "text/plain")],
            b"from a log".to_vec(),
            None,
            Verdict::Unsigned,
            None,
        ),
    ];
    c[1].analysis.duplicate_of = Some(CaptureId(1));
    c[3].analysis.test = true;
    c[3].analysis.out_of_order = true;
    c[4].oversized = true;
    c[5].origin = Origin::Imported;
    // #2's body was cut off mid-stream (no length declared), #3's stopped short of its length.
    if let Some(r) = c[1].response.as_mut() {
        r.body = br#"{"error":"incomplete body: the body was cut off after 12 bytes"}"#.to_vec();
    }
    c[2].declared_len = Some(c[2].body_len + 10);
    for cap in &c {
        rows::insert(&conn, cap).unwrap();
    }
    // #3 was replayed; #1 only forwarded (not a replay).
    for (id, kind) in [(3, AttemptKind::Replay), (1, AttemptKind::Forward)] {
        let attempt = Attempt {
            target: "http://127.0.0.1:9/x".into(),
            started_at_us: START_US,
            request: OutgoingRequest {
                method: "POST".into(),
                url: "http://127.0.0.1:9/x".into(),
                headers: HeaderList::new(),
                body: Vec::new(),
            },
            status: Some(200),
            response_headers: HeaderList::new(),
            response_body: Vec::new(),
            latency_us: 1,
            redirects: Vec::new(),
            error: None,
        };
        let new = crate::store::outgoing::NewAttempt {
            capture_id: Some(CaptureId(id)),
            delivery_id: None,
            kind,
            number: 1,
            attempt,
        };
        crate::store::outgoing::insert_attempt(&conn, &new).unwrap();
    }
    store
}

fn ids(store: &Store, expr: &str) -> Vec<i64> {
    let conn = store.connect_ro().unwrap();
    let f = Filter::parse(expr).unwrap();
    matching_ids(&conn, &f, None)
        .unwrap()
        .into_iter()
        .map(|id| id.0)
        .collect()
}

const CASES: &[(&str, &[i64])] = &[
    ("", &[1, 2, 3, 4, 5, 6]),
    ("method:POST", &[1, 2, 4, 6]),
    ("method:get,put", &[3, 5]),
    ("-method:POST", &[3, 5]),
    ("path:/smtm/*", &[1, 2, 5]),
    ("path:/other", &[3]),
    ("path:/smtm", &[]),
    ("header:x-smtm-event", &[1, 2]),
    ("header:X-SMTM-EVENT=task.c*", &[1]),
    ("-header:x-smtm-event", &[3, 4, 5, 6]),
    ("header:content-encoding=gzip", &[4]),
    ("verdict:invalid", &[1]),
    ("verdict:valid,no-secret", &[2, 4, 5]),
    ("event:task.*", &[1, 2]),
    ("-event:task.*", &[3, 4, 5, 6]),
    ("has:duplicate", &[2]),
    ("has:out-of-order", &[4]),
    ("has:test", &[4]),
    ("has:oversized", &[5]),
    ("has:imported", &[6]),
    ("-has:imported", &[1, 2, 3, 4, 5]),
    ("has:replayed", &[3]),
    ("has:incomplete", &[2, 3]),
    ("-has:incomplete", &[1, 4, 5, 6]),
    ("status:4xx", &[5]),
    ("status:5xx,none", &[2, 6]),
    ("status:200", &[1, 3, 4]),
    ("after:2026-11-01", &[3, 4, 5, 6]),
    ("before:2026-11-01", &[1, 2]),
    ("after:2026-10-31 before:2026-11-02", &[2, 3]),
    ("\"T-1001\"", &[1]),
    ("T-100*", &[1, 2]),
    ("needle", &[4]),
    ("hello", &[3]),
    ("hel*", &[3]),
    ("-hello", &[1, 2, 4, 5, 6]),
    ("\"world hello\"", &[]),
    ("task_id", &[1, 2]),
    (
        "method:POST path:/smtm/* verdict:invalid event:task.* has:duplicate",
        &[],
    ),
    (
        "method:POST path:/smtm/* verdict:invalid event:task.* \"task_id\"",
        &[1],
    ),
];

#[test]
fn filters_return_exactly_the_expected_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = mixed_set(dir.path());
    let mut conn = store.connect_rw().unwrap();
    // Header terms are exact even before the search index has caught up.
    assert_eq!(ids(&store, "header:x-smtm-event"), vec![1, 2]);
    assert_eq!(search_index::catch_up(&mut conn, 4).unwrap(), 6);
    for (expr, expected) in CASES {
        assert_eq!(ids(&store, expr), expected.to_vec(), "filter {expr:?}");
    }
}

#[test]
fn limit_keeps_the_newest_matches_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = mixed_set(dir.path());
    let conn = store.connect_ro().unwrap();
    let f = Filter::parse("method:POST").unwrap();
    let got: Vec<i64> = matching_ids(&conn, &f, Some(2))
        .unwrap()
        .iter()
        .map(|i| i.0)
        .collect();
    assert_eq!(got, vec![4, 6]);
    let live: Vec<i64> = matching_in_range(&conn, &f, CaptureId(2), CaptureId(5))
        .unwrap()
        .iter()
        .map(|i| i.0)
        .collect();
    assert_eq!(live, vec![2, 4]);
    let sums = summaries_by_id(&conn, &[CaptureId(6), CaptureId(1), CaptureId(99)]).unwrap();
    assert_eq!(sums.iter().map(|s| s.id.0).collect::<Vec<_>>(), vec![1, 6]);
}

#[test]
fn deleted_captures_leave_the_index_and_reused_ids_are_indexed_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = mixed_set(dir.path());
    let mut conn = store.connect_rw().unwrap();
    search_index::catch_up(&mut conn, 100).unwrap();
    crate::store::delete(&conn, &[CaptureId(6)]).unwrap();
    assert_eq!(search_index::indexed_upto(&conn).unwrap(), 5);
    // SQLite hands out id 6 again: it must be indexed with its new text.
    let fresh = capture(
        9,
        "POST",
        "/new",
        &[],
        b"brand new words".to_vec(),
        Some(200),
        Verdict::Unsigned,
        None,
    );
    assert_eq!(rows::insert(&conn, &fresh).unwrap(), CaptureId(6));
    search_index::catch_up(&mut conn, 100).unwrap();
    assert_eq!(ids(&store, "brand"), vec![6]);
    assert_eq!(ids(&store, "log"), Vec::<i64>::new());
    crate::store::clear(&conn).unwrap();
    assert_eq!(search_index::indexed_upto(&conn).unwrap(), 0);
    assert_eq!(ids(&store, "hello"), Vec::<i64>::new());
}

#[test]
fn flag_filters_use_the_partial_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = mixed_set(dir.path());
    let conn = store.connect_ro().unwrap();
    register_functions(&conn).unwrap();
    for (expr, index) in [
        ("has:duplicate", "captures_flagged"),
        ("method:GET,PUT", "captures_method"),
        ("verdict:invalid", "captures_verdict"),
        ("verdict:no-secret,invalid", "captures_verdict"),
        ("path:/smtm/*", "captures_path"),
        ("event:task.*", "captures_event"),
    ] {
        let c = compile(&Filter::parse(expr).unwrap(), 0);
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT c.id FROM captures c WHERE {} ORDER BY c.id",
            c.where_sql
        );
        let mut stmt = conn.prepare(&sql).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params_from_iter(c.params.iter()), |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(plan.iter().any(|p| p.contains(index)), "{expr}: {plan:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_parsed_filter_runs(s in "(-|method:POST |path:/smtm/\\* |header:x-a=b |has:test |status:4xx |verdict:valid |event:a\\* |after:2026-11-01 |before:2026-11-01 |\"t\" |word |w\\* ){0,6}") {
        let dir = tempfile::tempdir().unwrap();
        let store = mixed_set(dir.path());
        let conn = store.connect_ro().unwrap();
        if let Ok(f) = Filter::parse(&s) {
            prop_assert!(matching_ids(&conn, &f, Some(10)).is_ok(), "{}", s);
        }
    }
}

#[test]
fn list_rows_say_which_captures_were_replayed_or_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let store = mixed_set(dir.path());
    let conn = store.connect_ro().unwrap();
    let ids: Vec<CaptureId> = (1..=6).map(CaptureId).collect();
    let by_id = summaries_by_id(&conn, &ids).unwrap();
    // The tail read (`latest`) goes through a subquery: the same flags come back.
    let latest = store.reader().unwrap().latest(6).unwrap();
    for rows in [&by_id, &latest] {
        let flags: Vec<(i64, bool, bool)> = rows.iter().map(|s| (s.id.0, s.replayed, s.incomplete)).collect();
        assert_eq!(
            flags,
            vec![
                (1, false, false),
                (2, false, true),
                (3, true, true),
                (4, false, false),
                (5, false, false),
                (6, false, false),
            ]
        );
    }
    // The list's flag agrees with the capture's own rule.
    let reader = store.reader().unwrap();
    for s in &by_id {
        let c = reader.get(s.id).unwrap().unwrap();
        assert_eq!(c.incomplete(), s.incomplete, "capture #{}", s.id);
    }
}
