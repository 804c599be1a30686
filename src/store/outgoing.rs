//! Outgoing sends: attempts (per capture or per delivery), deliveries, per-target summaries, and
//! the signing profile lookup `--profile NAME` needs.

use rusqlite::{Connection, Row, params};

use super::{StoreError, WriterHandle};
use crate::capture::{CaptureId, decode_header_block, encode_header_block};
use crate::send::{
    Attempt, AttemptKind, AttemptRecord, DeliveryRecord, DeliveryState, FailureKind, Hop, OutgoingRequest,
    SendFailure, TargetSummary,
};

/// An attempt to store.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub capture_id: Option<CaptureId>,
    pub delivery_id: Option<String>,
    pub kind: AttemptKind,
    pub number: u32,
    pub attempt: Attempt,
}

/// A delivery to store.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub delivery_id: String,
    pub target: String,
    pub provider: Option<String>,
    pub event: Option<String>,
    pub created_at_us: i64,
}

pub fn insert_attempt(conn: &Connection, a: &NewAttempt) -> Result<i64, StoreError> {
    let at = &a.attempt;
    conn.prepare_cached(
        "INSERT INTO attempts (capture_id, delivery_id, kind, attempt, target, started_at_us, method,
            request_headers, request_body, status, response_headers, response_body, latency_us, error,
            redirects)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        a.capture_id.map(|c| c.0),
        a.delivery_id,
        a.kind.as_str(),
        a.number,
        at.target,
        at.started_at_us,
        at.request.method,
        encode_header_block(&at.request.headers),
        at.request.body,
        at.status,
        at.status.map(|_| encode_header_block(&at.response_headers)),
        at.status.map(|_| at.response_body.as_slice()),
        at.latency_us,
        at.error.as_ref().map(encode_failure),
        encode_hops(&at.redirects),
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The redirects followed, as JSON (`NULL` when none).
fn encode_hops(hops: &[Hop]) -> Option<String> {
    if hops.is_empty() {
        return None;
    }
    serde_json::to_string(hops).ok()
}

/// Unreadable text reads as no redirects: the attempt itself is still whole.
fn decode_hops(text: Option<&str>) -> Vec<Hop> {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// `kind: message`, so the plain-words kind survives storage.
fn encode_failure(f: &SendFailure) -> String {
    let kind = serde_json::to_value(f.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!("{kind}: {}", f.message)
}

fn decode_failure(s: &str) -> SendFailure {
    let kinds = [
        FailureKind::Dns,
        FailureKind::Refused,
        FailureKind::Connect,
        FailureKind::Tls,
        FailureKind::Timeout,
        FailureKind::Protocol,
        FailureKind::Invalid,
        FailureKind::Cancelled,
        FailureKind::IncompleteBody,
    ];
    for k in kinds {
        let name = serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if let Some(msg) = s.strip_prefix(&format!("{name}: ")) {
            return SendFailure::new(k, msg);
        }
    }
    SendFailure::new(FailureKind::Protocol, s)
}

const ATTEMPT_COLUMNS: &str = "id, capture_id, delivery_id, kind, attempt, target, started_at_us, method,
    request_headers, request_body, status, response_headers, response_body, latency_us, error, redirects";

fn attempt_from_row(r: &Row<'_>) -> rusqlite::Result<AttemptRecord> {
    let target: String = r.get(5)?;
    let req_headers: Vec<u8> = r.get(8)?;
    let resp_headers: Option<Vec<u8>> = r.get(11)?;
    let error: Option<String> = r.get(14)?;
    let redirects: Option<String> = r.get(15)?;
    Ok(AttemptRecord {
        id: r.get(0)?,
        capture_id: r.get::<_, Option<i64>>(1)?.map(CaptureId),
        delivery_id: r.get(2)?,
        kind: AttemptKind::parse(&r.get::<_, String>(3)?),
        number: r.get(4)?,
        attempt: Attempt {
            request: OutgoingRequest {
                method: r.get(7)?,
                url: target.clone(),
                headers: decode_header_block(&req_headers),
                body: r.get(9)?,
            },
            target,
            started_at_us: r.get(6)?,
            status: r.get(10)?,
            response_headers: resp_headers.map(|b| decode_header_block(&b)).unwrap_or_default(),
            response_body: r.get::<_, Option<Vec<u8>>>(12)?.unwrap_or_default(),
            latency_us: r.get::<_, Option<i64>>(13)?.unwrap_or(0),
            error: error.as_deref().map(decode_failure),
            redirects: decode_hops(redirects.as_deref()),
        },
    })
}

/// Every attempt made for a capture (replays and forwards), oldest first.
pub fn attempts_for_capture(conn: &Connection, id: CaptureId) -> Result<Vec<AttemptRecord>, StoreError> {
    let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE capture_id = ?1 ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([id.0], attempt_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The attempts of one stored delivery (a duplicate shares the delivery id but not the time span).
pub fn attempts_for_delivery(
    conn: &Connection,
    d: &DeliveryRecord,
) -> Result<Vec<AttemptRecord>, StoreError> {
    let sql = format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE delivery_id = ?1 AND kind = 'test'
         AND started_at_us >= ?2 AND started_at_us <= ?3 ORDER BY id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            d.delivery_id,
            d.created_at_us,
            d.finished_at_us.unwrap_or(i64::MAX)
        ],
        attempt_from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn insert_delivery(conn: &Connection, d: &NewDelivery) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO deliveries (delivery_id, target, provider, event, created_at_us, state, attempts)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0)",
    )?
    .execute(params![
        d.delivery_id,
        d.target,
        d.provider,
        d.event,
        d.created_at_us
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn update_delivery(
    conn: &Connection,
    row: i64,
    state: DeliveryState,
    attempts: u32,
    last_status: Option<u16>,
    finished_at_us: Option<i64>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE deliveries SET state = ?2, attempts = ?3, last_status = coalesce(?4, last_status),
         finished_at_us = ?5 WHERE id = ?1",
    )?
    .execute(params![
        row,
        state.as_str(),
        attempts,
        last_status,
        finished_at_us
    ])?;
    Ok(())
}

fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<DeliveryRecord> {
    Ok(DeliveryRecord {
        id: r.get(0)?,
        delivery_id: r.get(1)?,
        target: r.get(2)?,
        provider: r.get(3)?,
        event: r.get(4)?,
        created_at_us: r.get(5)?,
        state: DeliveryState::parse(&r.get::<_, String>(6)?),
        attempts: r.get(7)?,
        last_status: r.get(8)?,
        finished_at_us: r.get(9)?,
    })
}

/// The newest `limit` deliveries, newest first.
pub fn recent_deliveries(conn: &Connection, limit: usize) -> Result<Vec<DeliveryRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, delivery_id, target, provider, event, created_at_us, state, attempts, last_status,
         finished_at_us FROM deliveries ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], delivery_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One row per target: events sent there, last fired, success rate over the 24 h before `now_us`.
pub fn target_summaries(conn: &Connection, now_us: i64) -> Result<Vec<TargetSummary>, StoreError> {
    let since = now_us - 24 * 3600 * 1_000_000;
    let mut stmt = conn.prepare_cached(
        "SELECT target, count(*), max(created_at_us),
            sum(created_at_us >= ?1 AND state = 'delivered'),
            sum(created_at_us >= ?1 AND state IN ('delivered', 'failed'))
         FROM deliveries GROUP BY target ORDER BY max(created_at_us) DESC",
    )?;
    let rows = stmt.query_map([since], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, Option<i64>>(3)?.unwrap_or(0),
            r.get::<_, Option<i64>>(4)?.unwrap_or(0),
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (target, n, last, ok, finished) = row?;
        let mut events_stmt = conn.prepare_cached(
            "SELECT DISTINCT coalesce(provider || ':' || event, event, provider) FROM deliveries
             WHERE target = ?1 AND coalesce(event, provider) IS NOT NULL ORDER BY 1",
        )?;
        let events = events_stmt
            .query_map([&target], |r| r.get::<_, String>(0))?
            .collect::<Result<_, _>>()?;
        out.push(TargetSummary {
            target,
            events,
            deliveries: n as u64,
            last_fired_us: last,
            success_rate_24h: (finished > 0).then(|| ok as f64 * 100.0 / finished as f64),
        });
    }
    Ok(out)
}

/// Store an attempt through the writer.
pub async fn save_attempt(writer: &WriterHandle, a: NewAttempt) -> Result<i64, StoreError> {
    writer.call(move |conn, _| insert_attempt(conn, &a)).await
}

/// Store a new delivery through the writer; returns its row id.
pub async fn save_delivery(writer: &WriterHandle, d: NewDelivery) -> Result<i64, StoreError> {
    writer.call(move |conn, _| insert_delivery(conn, &d)).await
}

/// Update a delivery's state through the writer.
pub async fn save_delivery_state(
    writer: &WriterHandle,
    row: i64,
    state: DeliveryState,
    attempts: u32,
    last_status: Option<u16>,
    finished_at_us: Option<i64>,
) -> Result<(), StoreError> {
    writer
        .call(move |conn, _| update_delivery(conn, row, state, attempts, last_status, finished_at_us))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::HeaderList;
    use crate::store::Store;

    fn conn() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let conn = store.connect_rw().unwrap();
        (dir, conn)
    }

    #[test]
    fn attempts_round_trip_with_plain_failure_kinds() {
        let (_dir, conn) = conn();
        let attempt = Attempt {
            target: "http://127.0.0.1:9/x".into(),
            started_at_us: 5,
            request: OutgoingRequest {
                method: "POST".into(),
                url: "http://127.0.0.1:9/x".into(),
                headers: HeaderList::from_pairs([("X-Case", vec![0xff, b'a'])]),
                body: vec![0, 1, 2],
            },
            status: None,
            response_headers: HeaderList::new(),
            response_body: Vec::new(),
            latency_us: 7,
            redirects: vec![
                crate::send::Hop {
                    status: 302,
                    url: "http://127.0.0.1:9/first".into(),
                },
                crate::send::Hop {
                    status: 307,
                    url: "http://127.0.0.1:9/second?q=1".into(),
                },
            ],
            error: Some(SendFailure::new(
                FailureKind::Refused,
                "connection refused by 127.0.0.1:9",
            )),
        };
        let new = NewAttempt {
            capture_id: None,
            delivery_id: Some("d1".into()),
            kind: AttemptKind::Test,
            number: 2,
            attempt: attempt.clone(),
        };
        insert_attempt(&conn, &new).unwrap();
        let d = DeliveryRecord {
            id: 0,
            delivery_id: "d1".into(),
            target: attempt.target.clone(),
            provider: None,
            event: None,
            created_at_us: 0,
            state: DeliveryState::Retrying,
            attempts: 1,
            last_status: None,
            finished_at_us: None,
        };
        let got = attempts_for_delivery(&conn, &d).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].attempt, attempt);
        assert_eq!((got[0].kind, got[0].number), (AttemptKind::Test, 2));
    }
}
