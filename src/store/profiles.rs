//! Signing profiles in the database. Secrets live only here (the file is 0600), never in the
//! window's settings file, and leave this module only inside [`Profile`], whose `Debug` redacts.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use crate::capture::now_us;
use crate::signature::{Profile, Scheme, validate_profile};

fn scheme_text(scheme: &Scheme) -> Result<String, StoreError> {
    serde_json::to_string(scheme).map_err(|e| StoreError::Write(format!("cannot store the scheme: {e}")))
}

fn profile_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Profile> {
    let scheme: String = row.get(2)?;
    let scheme = serde_json::from_str::<Scheme>(&scheme).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(Profile {
        name: row.get(0)?,
        path_pattern: row.get(1)?,
        scheme,
        secret: row.get(3)?,
        tolerance_secs: row.get::<_, Option<i64>>(4)?.map(|n| n.max(0) as u64),
    })
}

/// Every profile, in the order they were added.
pub fn list_profiles(conn: &Connection) -> Result<Vec<Profile>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, path_pattern, scheme, secret, tolerance_secs FROM profiles ORDER BY id",
    )?;
    let rows = stmt.query_map([], profile_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One profile by name.
pub fn get_profile(conn: &Connection, name: &str) -> Result<Option<Profile>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, path_pattern, scheme, secret, tolerance_secs FROM profiles WHERE name = ?1",
    )?;
    Ok(stmt.query_row([name], profile_from_row).optional()?)
}

/// Add a profile, or replace the one called `replace` (which may be the same name).
pub fn save_profile(conn: &Connection, p: &Profile, replace: Option<&str>) -> Result<(), StoreError> {
    validate_profile(p).map_err(StoreError::Write)?;
    let scheme = scheme_text(&p.scheme)?;
    let tolerance = p.tolerance_secs.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let taken = get_profile(conn, &p.name)?.is_some();
    if let Some(old) = replace {
        if taken && old != p.name {
            return Err(StoreError::Write(format!(
                "a profile named '{}' already exists",
                p.name
            )));
        }
        let n = conn.execute(
            "UPDATE profiles SET name = ?1, path_pattern = ?2, scheme = ?3, secret = ?4, tolerance_secs = ?5
                 WHERE name = ?6",
            params![p.name, p.path_pattern, scheme, p.secret, tolerance, old],
        )?;
        if n == 0 {
            return Err(StoreError::Write(format!("there is no profile named '{old}'")));
        }
    } else {
        if taken {
            return Err(StoreError::Write(format!(
                "a profile named '{}' already exists (remove it first, or edit it)",
                p.name
            )));
        }
        conn.execute(
            "INSERT INTO profiles (name, path_pattern, scheme, secret, tolerance_secs, created_at_us)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![p.name, p.path_pattern, scheme, p.secret, tolerance, now_us()],
        )?;
    }
    Ok(())
}

/// Remove a profile; `false` when there was none of that name.
pub fn remove_profile(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM profiles WHERE name = ?1", [name])? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{CustomScheme, Encoding, HmacAlgorithm};
    use crate::store::Store;

    fn p(name: &str, scheme: Scheme) -> Profile {
        Profile {
            name: name.into(),
            path_pattern: "/hooks/*".into(),
            scheme,
            secret: "s3cret-value".into(),
            tolerance_secs: Some(30),
        }
    }

    #[test]
    fn add_list_replace_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let conn = store.connect_rw().unwrap();
        let custom = Scheme::Custom(CustomScheme {
            header: "X-Sig".into(),
            algorithm: HmacAlgorithm::Sha512,
            encoding: Encoding::Base64,
            prefix: "v1=".into(),
            template: "{timestamp}.{body}".into(),
            timestamp_header: Some("X-Ts".into()),
            id_header: None,
        });
        save_profile(&conn, &p("smtm", Scheme::Smtm), None).unwrap();
        save_profile(&conn, &p("mine", custom.clone()), None).unwrap();
        let err = save_profile(&conn, &p("smtm", Scheme::Github), None).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        let all = list_profiles(&conn).unwrap();
        assert_eq!(all, vec![p("smtm", Scheme::Smtm), p("mine", custom)]);

        let mut renamed = p("smtm-prod", Scheme::Smtm);
        renamed.secret = "other".into();
        save_profile(&conn, &renamed, Some("smtm")).unwrap();
        assert_eq!(get_profile(&conn, "smtm").unwrap(), None);
        assert_eq!(get_profile(&conn, "smtm-prod").unwrap().unwrap().secret, "other");

        assert!(remove_profile(&conn, "mine").unwrap());
        assert!(!remove_profile(&conn, "mine").unwrap());
        assert_eq!(list_profiles(&conn).unwrap().len(), 1);
    }

    #[test]
    fn invalid_profiles_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let conn = store.connect_rw().unwrap();
        let mut bad = p("x", Scheme::Smtm);
        bad.path_pattern = "/a/[".into();
        assert!(
            save_profile(&conn, &bad, None)
                .unwrap_err()
                .to_string()
                .contains("not a valid glob")
        );
        let mut bad = p("x", Scheme::Smtm);
        bad.secret = String::new();
        assert!(save_profile(&conn, &bad, None).is_err());
        assert!(list_profiles(&conn).unwrap().is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn database_holding_secrets_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mode = std::fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
