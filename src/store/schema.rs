//! Schema and versioned migrations. `PRAGMA user_version` holds the version; `application_id`
//! marks the file as hookscope's so a foreign database is never modified.

use rusqlite::Connection;

use super::StoreError;

/// `PRAGMA application_id` of hookscope databases ("hksc").
pub const APPLICATION_ID: i32 = 0x686b_7363;

/// Migrations in order; `MIGRATIONS[i]` moves the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: captures
    r"
    CREATE TABLE captures (
        id              INTEGER PRIMARY KEY,
        received_at_us  INTEGER NOT NULL,
        method          TEXT NOT NULL,
        path            TEXT NOT NULL,
        query           TEXT,
        http_version    TEXT NOT NULL,
        remote_addr     TEXT,
        headers         BLOB NOT NULL,
        body            BLOB NOT NULL,
        body_len        INTEGER NOT NULL,
        declared_len    INTEGER,
        oversized       INTEGER NOT NULL DEFAULT 0,
        origin          TEXT NOT NULL DEFAULT 'live',
        status          INTEGER,
        response        BLOB,
        scheme          TEXT,
        verdict         TEXT NOT NULL DEFAULT 'unsigned',
        reason          TEXT NOT NULL DEFAULT '',
        explanation     TEXT NOT NULL DEFAULT '',
        event           TEXT,
        delivery_id     TEXT,
        duplicate_of    INTEGER,
        out_of_order    INTEGER NOT NULL DEFAULT 0,
        test            INTEGER NOT NULL DEFAULT 0,
        resource_key    TEXT,
        payload_ts_us   INTEGER
    );
    CREATE INDEX captures_delivery ON captures(delivery_id) WHERE delivery_id IS NOT NULL;
    CREATE INDEX captures_resource ON captures(resource_key, payload_ts_us) WHERE resource_key IS NOT NULL;
    CREATE INDEX captures_received ON captures(received_at_us);
    ",
    // 2: signing profiles, outgoing attempts, test-event deliveries, small key/value settings
    r"
    CREATE TABLE profiles (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        path_pattern    TEXT NOT NULL,
        scheme          TEXT NOT NULL,
        secret          TEXT NOT NULL,
        tolerance_secs  INTEGER,
        created_at_us   INTEGER NOT NULL
    );
    CREATE TABLE attempts (
        id               INTEGER PRIMARY KEY,
        capture_id       INTEGER REFERENCES captures(id) ON DELETE CASCADE,
        delivery_id      TEXT,
        kind             TEXT NOT NULL,
        attempt          INTEGER NOT NULL DEFAULT 1,
        target           TEXT NOT NULL,
        started_at_us    INTEGER NOT NULL,
        method           TEXT NOT NULL,
        request_headers  BLOB NOT NULL,
        request_body     BLOB NOT NULL,
        status           INTEGER,
        response_headers BLOB,
        response_body    BLOB,
        latency_us       INTEGER,
        error            TEXT
    );
    CREATE INDEX attempts_capture ON attempts(capture_id) WHERE capture_id IS NOT NULL;
    CREATE INDEX attempts_delivery ON attempts(delivery_id) WHERE delivery_id IS NOT NULL;
    CREATE TABLE deliveries (
        id              INTEGER PRIMARY KEY,
        delivery_id     TEXT NOT NULL,
        target          TEXT NOT NULL,
        provider        TEXT,
        event           TEXT,
        created_at_us   INTEGER NOT NULL,
        state           TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_status     INTEGER,
        finished_at_us  INTEGER
    );
    CREATE INDEX deliveries_target ON deliveries(target, created_at_us);
    CREATE TABLE kv (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );
    ",
    // 3: search and filters. Indexes for the filter bar's fields; the path index also covers
    // per-path stats. Method, verdict, event and flags are indexed only for the minority rows a
    // filter looks for (non-POST methods, invalid / no-secret verdicts, events, flagged rows):
    // the common webhook (a POST, unsigned or valid, unflagged) pays for no entry there, which
    // keeps ingest close to its speed without them; a filter for the majority value scans, as
    // it would anyway. `captures_fts` indexes header and body text without a copy of the text
    // (contentless, deletable): it is filled in the background by `search_index`, never in the
    // insert path, and `kv['search.indexed_upto']` says how far.
    r"
    CREATE INDEX captures_method ON captures(method) WHERE method <> 'POST';
    CREATE INDEX captures_path ON captures(path, verdict, status, received_at_us);
    CREATE INDEX captures_verdict ON captures(verdict) WHERE verdict IN ('invalid', 'no_secret');
    CREATE INDEX captures_event ON captures(event) WHERE event IS NOT NULL;
    CREATE INDEX captures_flagged ON captures(id) WHERE duplicate_of IS NOT NULL
        OR out_of_order = 1 OR test = 1 OR oversized = 1 OR origin = 'imported';
    CREATE VIRTUAL TABLE captures_fts USING fts5(headers, body, content = '', contentless_delete = 1);
    ",
    // 4: the redirects an outgoing attempt followed before its answer (JSON list of
    // {status, url}; NULL when none).
    r"
    ALTER TABLE attempts ADD COLUMN redirects TEXT;
    ",
];

/// Newest schema version this build understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Look at the file's 100-byte header before `SQLite` opens it (opening a WAL database creates
/// `-wal` and `-shm` files beside it): a file that is not an `SQLite` database, another program's
/// database, or one written by a newer hookscope is refused with nothing written anywhere. Anything
/// else is left to [`check`] once it is open. A missing or empty file passes (a new database).
pub fn check_header(path: &std::path::Path) -> Result<(), StoreError> {
    use std::io::Read as _;
    let mut header = Vec::with_capacity(100);
    match std::fs::File::open(path) {
        Ok(file) => file.take(100).read_to_end(&mut header)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if header.is_empty() {
        return Ok(());
    }
    if header.len() < 100 || !header.starts_with(b"SQLite format 3\0") {
        return Err(StoreError::Corrupt("the file is not an SQLite database".into()));
    }
    let be = |at: usize| i32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]);
    // The header may lag a WAL not yet folded back, but versions only grow: a newer one here is
    // newer for sure. Whether there are tables is not known yet (SQLite checks that later).
    judge(be(68), i64::from(be(60)), false)
}

/// The rules for both checks: another program's database (its own `application_id`, or tables
/// without ours) is foreign; a `user_version` above [`SCHEMA_VERSION`] is from a newer hookscope.
fn judge(app_id: i32, version: i64, has_tables: bool) -> Result<(), StoreError> {
    if app_id != APPLICATION_ID && (has_tables || app_id != 0) {
        return Err(StoreError::Foreign);
    }
    // Every step sets the version with its tables in one transaction: tables without one are
    // damage (migrating would try to create them again).
    if app_id == APPLICATION_ID && has_tables && version < 1 {
        return Err(StoreError::Corrupt(format!(
            "its schema version is {version} but it has tables"
        )));
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Application id, schema version and table count, read in one statement (one snapshot).
fn facts(conn: &Connection) -> rusqlite::Result<(i32, i64, i64)> {
    conn.query_row(
        "SELECT (SELECT application_id FROM pragma_application_id),
                (SELECT user_version FROM pragma_user_version),
                (SELECT count(*) FROM sqlite_master)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Check that `conn` is a hookscope database this build can use, without writing anything.
/// Returns the current version (0 for a brand-new empty file). The three facts come from one
/// statement, so one snapshot: another process creating the schema at the same moment is seen
/// either before or after, never half-way (tables without the id that marks them).
pub fn check(conn: &Connection) -> Result<i64, StoreError> {
    let (app_id, version, tables) = facts(conn).map_err(StoreError::corrupt)?;
    judge(app_id, version, tables > 0)?;
    Ok(version)
}

/// Bring the schema up to [`SCHEMA_VERSION`], one transaction per step.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Apply the migrations up to version `to`, one transaction per step. Each step takes the write
/// lock first and reads the version inside it: when two processes open a new or older database at
/// once, the second finds the steps the first applied done and skips them.
pub fn migrate_to(conn: &mut Connection, to: i64) -> Result<(), StoreError> {
    let to = usize::try_from(to).unwrap_or(0).min(MIGRATIONS.len());
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (app_id, version, tables) = facts(&tx)?;
        judge(app_id, version, tables > 0)?;
        let done = usize::try_from(version).unwrap_or(0);
        let Some(sql) = MIGRATIONS.get(done).filter(|_| done < to) else {
            return Ok(());
        };
        tx.execute_batch(sql).map_err(|e| match plain_sql_error(&e) {
            // A table that already exists, a column that is missing: the tables are not those
            // of the version the file claims.
            Some(detail) => StoreError::Corrupt(format!(
                "its tables do not match its schema version {version} (upgrading it failed: {detail})"
            )),
            None => e.into(),
        })?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", done as i64 + 1)?;
        tx.commit()?;
    }
}

/// The message of a plain SQL error (`SQLITE_ERROR`), not of a full disk, lock or I/O error.
fn plain_sql_error(e: &rusqlite::Error) -> Option<String> {
    match e {
        rusqlite::Error::SqlInputError { error, msg, .. } if error.code == rusqlite::ErrorCode::Unknown => {
            Some(msg.clone())
        }
        rusqlite::Error::SqliteFailure(error, msg) if error.code == rusqlite::ErrorCode::Unknown => {
            Some(msg.clone().unwrap_or_else(|| error.to_string()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 100-byte `SQLite` header with the given `user_version` and `application_id`.
    fn header(user_version: i32, app_id: i32) -> Vec<u8> {
        let mut h = vec![0u8; 4096];
        h[..16].copy_from_slice(b"SQLite format 3\0");
        h[60..64].copy_from_slice(&user_version.to_be_bytes());
        h[68..72].copy_from_slice(&app_id.to_be_bytes());
        h
    }

    #[test]
    fn tables_ahead_of_the_version_are_reported_as_damage_in_one_line() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        let e = migrate(&mut conn).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt(_)), "{e:?}");
        let text = e.to_string();
        assert!(text.contains("do not match its schema version 1"), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }

    #[test]
    fn the_header_alone_refuses_newer_foreign_and_non_sqlite_files() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let newer = i32::try_from(SCHEMA_VERSION + 1).unwrap();
        let current = i32::try_from(SCHEMA_VERSION).unwrap();
        assert!(matches!(
            check_header(&at("newer", &header(newer, APPLICATION_ID))),
            Err(StoreError::Newer { found, .. }) if found == SCHEMA_VERSION + 1
        ));
        // As the open check judges it: a version above ours is newer, with or without our id.
        assert!(matches!(
            check_header(&at("newer-without-id", &header(newer, 0))),
            Err(StoreError::Newer { .. })
        ));
        assert!(matches!(
            check_header(&at("foreign", &header(1, 0x1234))),
            Err(StoreError::Foreign)
        ));
        assert!(matches!(
            check_header(&at(
                "text",
                b"just some text, long enough to be more than a hundred bytes ......................."
            )),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            check_header(&at("short", b"SQLite format 3\0")),
            Err(StoreError::Corrupt(_))
        ));
        // Left to SQLite's own checks once open: ours at this version, a plain SQLite file, a new one.
        check_header(&at("current", &header(current, APPLICATION_ID))).unwrap();
        check_header(&at("plain", &header(0, 0))).unwrap();
        check_header(&at("empty", b"")).unwrap();
        check_header(&dir.path().join("missing")).unwrap();
    }
}
