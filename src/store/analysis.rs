//! The analysis the writer runs on each capture inside the transaction that stores it: the
//! signature verdict (profiles → scheme + secret, or detection), the delivery facts (event, delivery
//! id, `"test": true`), duplicates (same delivery id seen before) and ordering (a payload timestamp
//! earlier than one already received for the same resource).

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use super::profiles::list_profiles;
use super::writer::Analyzer;
use crate::capture::{Capture, CaptureId, Verdict, decode_header_block, delivery_facts};
use crate::signature::{Profile, RequestParts, evaluate, with_search_budget};

/// Captures re-verified per writer call when profiles change (ingest interleaves between calls).
pub const REVERIFY_CHUNK: usize = 500;

/// Bytes the search for a one-digit body change may hash in a burst while receiving, and how fast
/// that allowance comes back: about 16 ms of hashing per second. A flood of invalid signatures (a
/// rotated secret) would otherwise cost each capture up to milliseconds of the writer's time; past
/// the allowance such captures are stored as "wrong secret" with a note.
const SEARCH_BURST_BYTES: f64 = 16.0 * 1024.0 * 1024.0;
const SEARCH_BYTES_PER_SEC: f64 = 16.0 * 1024.0 * 1024.0;

/// The writer's analyzer: verdicts from the stored profiles, plus delivery analysis.
#[derive(Default)]
pub struct LiveAnalyzer {
    profiles: Vec<Profile>,
    /// `PRAGMA data_version` of the writer's connection when profiles were last read: it changes
    /// when another process (`hookscope profile add` beside a running window) commits.
    data_version: Option<i64>,
    /// Bytes of the search allowance in use, as of when; `None`: none used yet.
    search: std::cell::Cell<Option<(f64, std::time::Instant)>>,
}

impl LiveAnalyzer {
    /// An analyzer with the profiles stored in `conn`.
    pub fn load(conn: &Connection) -> Result<Self, StoreError> {
        Ok(LiveAnalyzer {
            profiles: list_profiles(conn)?,
            ..LiveAnalyzer::default()
        })
    }

    /// Re-read the profiles when another connection changed the database since the last look.
    fn follow_other_writers(&mut self, conn: &Connection) {
        // Asked once per batch: the statement is kept, not parsed again each time.
        let version = conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)));
        let Ok(version) = version else {
            return;
        };
        if self.data_version != Some(version) {
            self.refresh(conn);
        }
        self.data_version = Some(version);
    }

    /// Bytes of the search allowance in use now (what was in use, less the refill since), and now.
    fn search_allowance(&self) -> (f64, std::time::Instant) {
        let now = std::time::Instant::now();
        let spent = self.search.get().map_or(0.0, |(spent, at)| {
            (spent - now.duration_since(at).as_secs_f64() * SEARCH_BYTES_PER_SEC).max(0.0)
        });
        (spent, now)
    }

    fn verdict(&self, c: &mut Capture) {
        let url = c.url();
        let parts = RequestParts {
            method: &c.method,
            url: &url,
            headers: &c.headers,
            body: &c.body,
        };
        let (spent, now) = self.search_allowance();
        let allowance = (SEARCH_BURST_BYTES - spent).max(0.0) as usize;
        let (e, hashed) = with_search_budget(allowance, || {
            evaluate(
                &self.profiles,
                &parts,
                &c.path,
                c.received_at_us.div_euclid(1_000_000),
            )
        });
        self.search.set(Some((spent + hashed as f64, now)));
        let a = &mut c.analysis;
        a.verdict = Verdict::from(e.verdict);
        a.scheme = e.scheme;
        a.reason = e.reason;
        a.explanation = e.explanation;
        if c.oversized && a.verdict == Verdict::Invalid {
            a.reason = "body_truncated".into();
            a.explanation = format!(
                "the body was larger than the cap, so only its first {} bytes were kept and the signature \
                 cannot be checked",
                c.body.len()
            );
        }
    }
}

impl Analyzer for LiveAnalyzer {
    fn begin_batch(&mut self, conn: &Connection) {
        self.follow_other_writers(conn);
    }

    fn analyze(&mut self, conn: &Connection, c: &mut Capture) {
        self.verdict(c);
        let facts = delivery_facts(c.analysis.scheme.as_deref(), &c.headers, &c.body);
        let a = &mut c.analysis;
        a.event = facts.event;
        a.test = facts.test;
        a.duplicate_of = facts
            .delivery_id
            .as_deref()
            .and_then(|d| first_with_delivery_id(conn, d));
        a.delivery_id = facts.delivery_id;
        a.out_of_order = match (&facts.resource_key, facts.payload_ts_us) {
            (Some(r), Some(ts)) => latest_payload_ts(conn, r).is_some_and(|latest| ts < latest),
            _ => false,
        };
        a.resource_key = facts.resource_key;
        a.payload_ts_us = facts.payload_ts_us;
    }

    fn refresh(&mut self, conn: &Connection) {
        // On a read error keep the old profiles: verdicts stay as they were.
        if let Ok(profiles) = list_profiles(conn) {
            self.profiles = profiles;
        }
    }

    fn reverify(
        &mut self,
        conn: &Connection,
        after: CaptureId,
        limit: usize,
    ) -> Result<Option<CaptureId>, String> {
        reverify_chunk(self, conn, after, limit).map_err(|e| e.to_string())
    }
}

fn first_with_delivery_id(conn: &Connection, delivery_id: &str) -> Option<CaptureId> {
    conn.prepare_cached("SELECT min(id) FROM captures WHERE delivery_id = ?1")
        .and_then(|mut s| s.query_row([delivery_id], |r| r.get::<_, Option<i64>>(0)))
        .ok()
        .flatten()
        .map(CaptureId)
}

fn latest_payload_ts(conn: &Connection, resource_key: &str) -> Option<i64> {
    conn.prepare_cached("SELECT max(payload_ts_us) FROM captures WHERE resource_key = ?1")
        .and_then(|mut s| s.query_row([resource_key], |r| r.get::<_, Option<i64>>(0)))
        .ok()
        .flatten()
}

/// Recompute the signature verdict of up to `limit` captures with id above `after`; returns the
/// last id handled, or `None` when there were none left.
fn reverify_chunk(
    analyzer: &LiveAnalyzer,
    conn: &Connection,
    after: CaptureId,
    limit: usize,
) -> Result<Option<CaptureId>, StoreError> {
    let mut select = conn.prepare_cached(
        "SELECT id, received_at_us, method, path, query, headers, body, oversized FROM captures
         WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = select.query_map(params![after.0, limit as i64], |r| {
        Ok(Capture {
            id: CaptureId(r.get(0)?),
            received_at_us: r.get(1)?,
            method: r.get(2)?,
            path: r.get(3)?,
            query: r.get(4)?,
            headers: decode_header_block(&r.get::<_, Vec<u8>>(5)?),
            body: r.get(6)?,
            oversized: r.get(7)?,
            ..Capture::default()
        })
    })?;
    let mut update = conn.prepare_cached(
        "UPDATE captures SET scheme = ?1, verdict = ?2, reason = ?3, explanation = ?4 WHERE id = ?5",
    )?;
    let mut last = None;
    for c in rows {
        let mut c = c?;
        analyzer.verdict(&mut c);
        let a = &c.analysis;
        update.execute(params![
            a.scheme,
            a.verdict.as_str(),
            a.reason,
            super::rows::stored_explanation(a),
            c.id.0
        ])?;
        last = Some(c.id);
    }
    Ok(last)
}

/// The stored verdict of one capture (tests and the CLI).
pub fn stored_verdict(conn: &Connection, id: CaptureId) -> Result<Option<(String, String)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT verdict, reason FROM captures WHERE id = ?1",
            [id.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{HeaderList, Verdict};
    use crate::signature::{Scheme, SignParams, sign};
    use crate::store::{Store, Writer, save_profile};

    const NOW_US: i64 = 1_760_000_000_000_000;

    fn smtm(secret: &str, delivery: &str, body: &str) -> Capture {
        let signed = sign(
            &Scheme::Smtm,
            secret,
            &SignParams {
                body: body.as_bytes(),
                ..SignParams::default()
            },
        )
        .unwrap();
        let mut headers = HeaderList::from_pairs([
            ("Content-Type", "application/json"),
            ("User-Agent", "SmartMaintenance/1.0"),
            ("X-SMTM-Event", "task.completed"),
            ("X-SMTM-Delivery", delivery),
        ]);
        for (n, v) in signed.headers {
            headers.push(n, v);
        }
        Capture {
            received_at_us: NOW_US,
            method: "POST".into(),
            path: "/smtm/hooks".into(),
            http_version: "HTTP/1.1".into(),
            headers,
            body: body.as_bytes().to_vec(),
            body_len: body.len() as u64,
            ..Capture::default()
        }
    }

    fn task(ts: &str) -> String {
        format!(
            r#"{{"event":"task.completed","timestamp":"{ts}","company_id":"C-1","data":{{"task_id":"T-1"}}}}"#
        )
    }

    fn profile(name: &str, pattern: &str, secret: &str) -> Profile {
        Profile {
            name: name.into(),
            path_pattern: pattern.into(),
            scheme: Scheme::Smtm,
            secret: secret.into(),
            tolerance_secs: None,
        }
    }

    /// Insert `captures` through a writer with the live analyzer; returns the stored captures.
    fn store_all(profiles: &[Profile], captures: Vec<Capture>) -> (tempfile::TempDir, Vec<Capture>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        {
            let conn = store.connect_rw().unwrap();
            for p in profiles {
                save_profile(&conn, p, None).unwrap();
            }
        }
        let writer = Writer::start(
            &store,
            Box::new(LiveAnalyzer::load(&store.connect_ro().unwrap()).unwrap()),
        )
        .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let h = writer.handle();
        // One at a time, so each sees the ones before (as separate deliveries do).
        let ids: Vec<CaptureId> = rt.block_on(async {
            let mut ids = Vec::new();
            for c in captures {
                ids.push(h.insert(c).await.unwrap());
            }
            ids
        });
        drop(rt);
        writer.shutdown();
        let reader = store.reader().unwrap();
        let stored = ids.iter().map(|id| reader.get(*id).unwrap().unwrap()).collect();
        (dir, stored)
    }

    #[test]
    fn a_flood_of_bad_signatures_stops_searching_for_one_changed_digit_but_says_so() {
        // Each body costs ~7 MiB of hashing to search in full; the changed digit comes first, so
        // the searches that run are short, but each is charged its full cost.
        let digits = "7".repeat(500);
        let body = format!(r#"{{"n":"{digits}","pad":"{}"}}"#, "x".repeat(1000));
        let tampered = body.replacen("\"n\":\"7", "\"n\":\"8", 1);
        let signed = sign(
            &Scheme::Github,
            "s3cret",
            &SignParams {
                body: body.as_bytes(),
                ..SignParams::default()
            },
        )
        .unwrap();
        let capture = Capture {
            received_at_us: NOW_US,
            method: "POST".into(),
            path: "/gh".into(),
            http_version: "HTTP/1.1".into(),
            headers: HeaderList::from_pairs(signed.headers),
            body: tampered.clone().into_bytes(),
            body_len: tampered.len() as u64,
            ..Capture::default()
        };
        let gh = Profile {
            scheme: Scheme::Github,
            ..profile("gh", "/gh", "s3cret")
        };
        let (_dir, stored) = store_all(&[gh], vec![capture; 4]);
        let reasons: Vec<&str> = stored.iter().map(|c| c.analysis.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "body_modified_one_byte",
                "body_modified_one_byte",
                "wrong_secret",
                "wrong_secret"
            ]
        );
        assert!(
            stored[0].analysis.explanation.contains("byte 6 is '8'"),
            "{:?}",
            stored[0].analysis
        );
        assert!(
            stored[3]
                .analysis
                .explanation
                .contains(crate::signature::SEARCH_SKIPPED_NOTE),
            "{:?}",
            stored[3].analysis
        );
    }

    #[test]
    fn verdicts_from_profiles_and_detection() {
        let body = task("2026-04-24T09:15:30+07:00");
        let good = smtm("smtm_whsec_prod", "d-1", &body);
        let mut tampered = smtm("smtm_whsec_prod", "d-2", &body);
        tampered.body.push(b'\n');
        let staging = smtm("smtm_whsec_staging", "d-3", &body);
        let plain = Capture {
            headers: HeaderList::new(),
            path: "/other".into(),
            ..good.clone()
        };
        let profiles = [
            profile("prod", "/smtm/*", "smtm_whsec_prod"),
            profile("staging", "/staging/*", "smtm_whsec_staging"),
        ];
        let (_dir, got) = store_all(&profiles, vec![good.clone(), tampered, staging, plain]);
        let verdicts: Vec<(Verdict, &str)> = got
            .iter()
            .map(|c| (c.analysis.verdict, c.analysis.reason.as_str()))
            .collect();
        assert_eq!(verdicts[0], (Verdict::Valid, "valid"));
        assert_eq!(verdicts[1].0, Verdict::Invalid);
        assert_eq!(
            verdicts[2],
            (Verdict::Invalid, "other_profile_secret"),
            "{}",
            got[2].analysis.explanation
        );
        assert!(
            got[2].analysis.explanation.contains("staging"),
            "{}",
            got[2].analysis.explanation
        );
        assert_eq!(verdicts[3], (Verdict::Unsigned, "unsigned"));
        assert_eq!(got[0].analysis.scheme.as_deref(), Some("smtm"));
        assert_eq!(got[0].analysis.event.as_deref(), Some("task.completed"));

        // Without any profile the signed request has no secret to check against.
        let (_dir, got) = store_all(&[], vec![good]);
        assert_eq!(got[0].analysis.verdict, Verdict::NoSecret);
    }

    #[test]
    fn duplicates_link_to_the_first_and_out_of_order_is_flagged() {
        let early = task("2026-04-24T09:00:00+07:00");
        let late = task("2026-04-24T09:30:00+07:00");
        let (_dir, got) = store_all(
            &[],
            vec![
                smtm("k", "d-1", &late),
                smtm("k", "d-2", &early), // older payload for the same task, arriving later
                smtm("k", "d-1", &late),  // a retry of the first delivery
                smtm("k", "d-3", &task("2026-04-24T10:00:00+07:00")),
            ],
        );
        let flags: Vec<(Option<CaptureId>, bool)> = got
            .iter()
            .map(|c| (c.analysis.duplicate_of, c.analysis.out_of_order))
            .collect();
        assert_eq!(
            flags,
            vec![
                (None, false),
                (None, true),
                (Some(got[0].id), false),
                (None, false)
            ]
        );
        assert_eq!(got[0].analysis.delivery_id.as_deref(), Some("smtm:d-1"));
    }

    #[test]
    fn other_providers_duplicates_and_ordering() {
        let cap = |headers: &[(&str, &str)], body: &str| Capture {
            received_at_us: NOW_US,
            method: "POST".into(),
            path: "/p".into(),
            headers: HeaderList::from_pairs(headers.iter().copied()),
            body: body.as_bytes().to_vec(),
            ..Capture::default()
        };
        let mx = |id: &str, ts: i64| {
            cap(
                &[("x-maintainx-event-id", id), ("x-maintainx-signature", "00")],
                &format!(r#"{{"event":"workorder.updated","timestamp":{ts},"data":{{"id":7}},"test":true}}"#),
            )
        };
        let stripe = |id: &str, created: i64| {
            cap(
                &[("Stripe-Signature", "t=1,v1=00")],
                &format!(
                    r#"{{"id":"{id}","object":"event","type":"payment_intent.succeeded","created":{created},"data":{{"object":{{"id":"pi_1"}}}}}}"#
                ),
            )
        };
        let gh = |d: &str| cap(&[("X-GitHub-Event", "push"), ("X-GitHub-Delivery", d)], "{}");
        let (_dir, got) = store_all(
            &[],
            vec![
                mx("e1", 1_760_000_002_000),
                mx("e2", 1_760_000_001_000),
                mx("e1", 1_760_000_002_000),
                stripe("evt_1", 1_760_000_010),
                stripe("evt_2", 1_760_000_005),
                stripe("evt_1", 1_760_000_010),
                gh("g1"),
                gh("g1"),
            ],
        );
        let flags: Vec<(Option<i64>, bool, bool)> = got
            .iter()
            .map(|c| {
                (
                    c.analysis.duplicate_of.map(|i| i.0),
                    c.analysis.out_of_order,
                    c.analysis.test,
                )
            })
            .collect();
        let id = |i: usize| Some(got[i].id.0);
        assert_eq!(
            flags,
            vec![
                (None, false, true),
                (None, true, true),
                (id(0), false, true),
                (None, false, false),
                (None, true, false),
                (id(3), false, false),
                (None, false, false),
                (id(6), false, false),
            ]
        );
    }

    #[test]
    fn a_profile_added_by_another_process_applies_to_new_captures() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let writer = Writer::start(
            &store,
            Box::new(LiveAnalyzer::load(&store.connect_ro().unwrap()).unwrap()),
        )
        .unwrap();
        let h = writer.handle();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let body = task("2026-04-24T09:15:30+07:00");
        let first = rt
            .block_on(h.insert(smtm("smtm_whsec_prod", "d-1", &body)))
            .unwrap();
        // `hookscope profile add` in another process: its own connection.
        save_profile(
            &store.connect_rw().unwrap(),
            &profile("prod", "/smtm/*", "smtm_whsec_prod"),
            None,
        )
        .unwrap();
        let second = rt
            .block_on(h.insert(smtm("smtm_whsec_prod", "d-2", &body)))
            .unwrap();
        let conn = store.connect_ro().unwrap();
        assert_eq!(stored_verdict(&conn, first).unwrap().unwrap().0, "no_secret");
        assert_eq!(stored_verdict(&conn, second).unwrap().unwrap().0, "valid");
        drop(rt);
        writer.shutdown();
    }

    #[test]
    fn verdicts_are_recomputed_when_profiles_change() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let writer = Writer::start(
            &store,
            Box::new(LiveAnalyzer::load(&store.connect_ro().unwrap()).unwrap()),
        )
        .unwrap();
        let h = writer.handle();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let body = task("2026-04-24T09:15:30+07:00");
        let captures: Vec<Capture> = (0..1200)
            .map(|i| smtm("smtm_whsec_prod", &format!("d-{i}"), &body))
            .collect();
        let ids = rt.block_on(h.insert_all(captures)).unwrap();
        let verdict = |id: CaptureId| {
            stored_verdict(&store.connect_ro().unwrap(), id)
                .unwrap()
                .unwrap()
                .0
        };
        assert_eq!(verdict(ids[0]), "no_secret");

        h.call_blocking(|conn, _| save_profile(conn, &profile("prod", "/smtm/*", "smtm_whsec_prod"), None))
            .unwrap();
        h.reverify_all_blocking().unwrap();
        assert!(
            ids.iter().all(|id| verdict(*id) == "valid"),
            "every chunk was re-verified"
        );

        h.call_blocking(|conn, _| {
            save_profile(
                conn,
                &profile("prod", "/smtm/*", "smtm_whsec_rotated"),
                Some("prod"),
            )
        })
        .unwrap();
        h.reverify_all_blocking().unwrap();
        assert_eq!(verdict(ids[1199]), "invalid");
        drop(rt);
        writer.shutdown();
    }
}
