//! Mapping between [`Capture`] and table rows.

use std::sync::LazyLock;

use rusqlite::{Connection, Row, params};

use crate::capture::{
    Analysis, Capture, CaptureId, INCOMPLETE_BODY, Origin, ResponseSent, Summary, Verdict,
    decode_header_block, encode_header_block,
};
use crate::signature::UNSIGNED_EXPLANATION;

pub(crate) const INSERT_SQL: &str = "INSERT INTO captures (
    received_at_us, method, path, query, http_version, remote_addr, headers, body, body_len,
    declared_len, oversized, origin, status, response, scheme, verdict, reason, explanation, event,
    delivery_id, duplicate_of, out_of_order, test, resource_key, payload_ts_us)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
            ?20, ?21, ?22, ?23, ?24, ?25)";

/// Columns of a full capture, in the order [`capture_from_row`] reads them.
pub(crate) const CAPTURE_COLUMNS: &str = "id, received_at_us, method, path, query, http_version,
    remote_addr, headers, body, body_len, declared_len, oversized, origin, status, response, scheme,
    verdict, reason, explanation, event, delivery_id, duplicate_of, out_of_order, test, resource_key,
    payload_ts_us";

/// Columns of a summary, in the order [`summary_from_row`] reads them. Read from `captures` (the
/// table, or a subquery named so).
pub(crate) static SUMMARY_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "id, received_at_us, method, path, query, status, body_len, oversized, origin, scheme,
        verdict, event, duplicate_of, out_of_order, test, {}, {}",
        replayed_sql("captures"),
        incomplete_sql("captures")
    )
});

/// Whether the capture named `t` was sent again by a replay.
pub(crate) fn replayed_sql(t: &str) -> String {
    format!("EXISTS (SELECT 1 FROM attempts a WHERE a.capture_id = {t}.id AND a.kind = 'replay')")
}

/// Whether the body of the capture named `t` was cut off or stalled, as [`Capture::incomplete`]
/// tells: shorter than declared, or answered with the incomplete-body error.
pub(crate) fn incomplete_sql(t: &str) -> String {
    format!(
        "(NOT {t}.oversized AND (({t}.declared_len IS NOT NULL AND {t}.body_len < {t}.declared_len) \
         OR coalesce(instr({t}.response, CAST('{{\"error\":\"{INCOMPLETE_BODY}' AS BLOB)), 0) > 0))"
    )
}

pub(crate) fn insert(conn: &Connection, c: &Capture) -> rusqlite::Result<CaptureId> {
    let mut stmt = conn.prepare_cached(INSERT_SQL)?;
    let a = &c.analysis;
    stmt.execute(params![
        c.received_at_us,
        c.method,
        c.path,
        c.query,
        c.http_version,
        c.remote_addr,
        encode_header_block(&c.headers),
        c.body,
        c.body_len as i64,
        c.declared_len.map(|n| n as i64),
        c.oversized,
        c.origin.as_str(),
        c.status(),
        c.response.as_ref().map(encode_response),
        a.scheme,
        a.verdict.as_str(),
        a.reason,
        stored_explanation(a),
        a.event,
        a.delivery_id,
        a.duplicate_of.map(|id| id.0),
        a.out_of_order,
        a.test,
        a.resource_key,
        a.payload_ts_us,
    ])?;
    Ok(CaptureId(conn.last_insert_rowid()))
}

/// Whether `a` is the analysis of a request without any known signature header.
fn plainly_unsigned(a: &Analysis) -> bool {
    a.verdict == Verdict::Unsigned && a.scheme.is_none() && a.reason == "unsigned"
}

/// The sentence every plainly unsigned capture gets is not written into each row (most webhooks
/// are such captures, and its ~60 bytes are a twentieth of a typical row): the row keeps '' and
/// [`restore_explanation`] gives the sentence back.
pub(crate) fn stored_explanation(a: &Analysis) -> &str {
    if plainly_unsigned(a) && a.explanation == UNSIGNED_EXPLANATION {
        ""
    } else {
        &a.explanation
    }
}

/// The explanation of a row written with [`stored_explanation`].
fn restore_explanation(a: &mut Analysis) {
    if a.explanation.is_empty() && plainly_unsigned(a) {
        a.explanation = UNSIGNED_EXPLANATION.to_string();
    }
}

/// `delay_ms` (8 bytes LE) · header block length (4 bytes LE) · header block · body.
pub(crate) fn encode_response(r: &ResponseSent) -> Vec<u8> {
    let block = encode_header_block(&r.headers);
    let mut out = Vec::with_capacity(12 + block.len() + r.body.len());
    out.extend_from_slice(&r.delay_ms.to_le_bytes());
    out.extend_from_slice(&(block.len() as u32).to_le_bytes());
    out.extend_from_slice(&block);
    out.extend_from_slice(&r.body);
    out
}

pub(crate) fn decode_response(status: u16, blob: &[u8]) -> ResponseSent {
    let mut r = ResponseSent {
        status,
        ..ResponseSent::default()
    };
    if blob.len() < 12 {
        return r;
    }
    let (delay, rest) = blob.split_at(8);
    let (len, rest) = rest.split_at(4);
    r.delay_ms = u64::from_le_bytes(delay.try_into().unwrap_or([0; 8]));
    let len = u32::from_le_bytes(len.try_into().unwrap_or([0; 4])) as usize;
    let len = len.min(rest.len());
    r.headers = decode_header_block(&rest[..len]);
    r.body = rest[len..].to_vec();
    r
}

pub(crate) fn capture_from_row(row: &Row<'_>) -> rusqlite::Result<Capture> {
    let status: Option<u16> = row.get(13)?;
    let response_blob: Option<Vec<u8>> = row.get(14)?;
    let response = status.map(|s| decode_response(s, response_blob.as_deref().unwrap_or_default()));
    let headers: Vec<u8> = row.get(7)?;
    let mut c = Capture {
        id: CaptureId(row.get(0)?),
        received_at_us: row.get(1)?,
        method: row.get(2)?,
        path: row.get(3)?,
        query: row.get(4)?,
        http_version: row.get(5)?,
        remote_addr: row.get(6)?,
        headers: decode_header_block(&headers),
        body: row.get(8)?,
        body_len: row.get::<_, i64>(9)? as u64,
        declared_len: row.get::<_, Option<i64>>(10)?.map(|n| n as u64),
        oversized: row.get(11)?,
        origin: Origin::parse(&row.get::<_, String>(12)?),
        response,
        analysis: Analysis {
            scheme: row.get(15)?,
            verdict: Verdict::parse(&row.get::<_, String>(16)?).unwrap_or_default(),
            reason: row.get(17)?,
            explanation: row.get(18)?,
            event: row.get(19)?,
            delivery_id: row.get(20)?,
            duplicate_of: row.get::<_, Option<i64>>(21)?.map(CaptureId),
            out_of_order: row.get(22)?,
            test: row.get(23)?,
            resource_key: row.get(24)?,
            payload_ts_us: row.get(25)?,
        },
    };
    restore_explanation(&mut c.analysis);
    Ok(c)
}

pub(crate) fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<Summary> {
    let path: String = row.get(3)?;
    let query: Option<String> = row.get(4)?;
    Ok(Summary {
        id: CaptureId(row.get(0)?),
        received_at_us: row.get(1)?,
        method: row.get(2)?,
        target: match query {
            Some(q) => format!("{path}?{q}"),
            None => path,
        },
        status: row.get(5)?,
        body_len: row.get::<_, i64>(6)? as u64,
        oversized: row.get(7)?,
        origin: Origin::parse(&row.get::<_, String>(8)?),
        scheme: row.get(9)?,
        verdict: Verdict::parse(&row.get::<_, String>(10)?).unwrap_or_default(),
        event: row.get(11)?,
        duplicate_of: row.get::<_, Option<i64>>(12)?.map(CaptureId),
        out_of_order: row.get(13)?,
        test: row.get(14)?,
        replayed: row.get(15)?,
        incomplete: row.get(16)?,
    })
}
