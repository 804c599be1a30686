//! Small named values in the `kv` table (response rules, search-index progress...). The
//! database is private to the user (0600), so these may hold what eframe's settings must not.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::StoreError;

/// Key of the response rules saved from the window (TOML text).
pub const RESPONSE_RULES: &str = "response_rules";

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO kv (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub fn get_i64(conn: &Connection, key: &str) -> Result<Option<i64>, StoreError> {
    Ok(get(conn, key)?.and_then(|v| v.trim().parse().ok()))
}

pub fn set_i64(conn: &Connection, key: &str, value: i64) -> Result<(), StoreError> {
    set(conn, key, &value.to_string())
}
