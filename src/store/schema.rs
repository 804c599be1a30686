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
];

/// Newest schema version this build understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Check that `conn` is a hookscope database this build can use, without writing anything.
/// Returns the current version (0 for a brand-new empty file).
pub fn check(conn: &Connection) -> Result<i64, StoreError> {
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(StoreError::corrupt)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(StoreError::corrupt)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(StoreError::corrupt)?;
    if app_id != APPLICATION_ID && (tables > 0 || app_id != 0) {
        return Err(StoreError::Foreign);
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// Bring the schema up to [`SCHEMA_VERSION`], one transaction per step.
pub fn migrate(conn: &mut Connection, from: i64) -> Result<(), StoreError> {
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(from).unwrap_or(0))
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
