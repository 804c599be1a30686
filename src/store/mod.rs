//! Durable storage in `SQLite`: schema and migrations, the writer thread, queries.
//!
//! One "store-writer" thread owns the only writing connection and commits captures in batches
//! (group commit); readers open their own connections (WAL lets them run alongside).

pub mod analysis;
pub mod filter;
pub mod kv;
pub mod maintenance;
pub mod order;
pub mod outgoing;
pub mod profiles;
mod read;
pub mod retention;
mod rows;
pub mod schema;
pub mod search_index;
pub mod stats;
mod writer;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use analysis::LiveAnalyzer;
pub use profiles::{get_profile, list_profiles, remove_profile, save_profile};
pub use read::{Reader, Stats, clear, delete, max_id};
pub use writer::{Analyzer, Batch, MAX_PAGES_ENV, NoAnalysis, StoreEvent, Subscriber, Writer, WriterHandle};

/// File name of the database inside the data dir.
pub const DB_FILE: &str = "hookscope.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database is corrupt or unreadable ({0}); the file was left untouched")]
    Corrupt(String),
    #[error("the file is not a hookscope database; it was left untouched")]
    Foreign,
    #[error(
        "the database was written by a newer hookscope (schema {found}, this build knows {supported}); \
         the file was left untouched"
    )]
    Newer { found: i64, supported: i64 },
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The data dir or the database path is not what it must be (a file, a directory).
    #[error("{0}")]
    DataDir(String),
    #[error("{0}")]
    Write(String),
    #[error("the store writer has stopped")]
    WriterGone,
}

impl From<rusqlite::Error> for StoreError {
    /// Damage found while reading or writing (not only at open) is reported as corruption:
    /// pages `SQLite` finds malformed, and values that do not have the type the schema gives them.
    fn from(e: rusqlite::Error) -> Self {
        let damaged = matches!(
            e,
            rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..)
        ) || matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
        );
        if damaged {
            StoreError::Corrupt(e.to_string())
        } else {
            StoreError::Sqlite(e)
        }
    }
}

impl StoreError {
    #[allow(clippy::needless_pass_by_value)] // used as `map_err(StoreError::corrupt)`
    fn corrupt(e: rusqlite::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// The `-wal` and `-shm` files `SQLite` puts beside a WAL database when it is first read. A
/// read-only connection cannot remove them when it closes, so when a file is refused, the ones
/// that open created (the WAL still empty: nothing was written) are removed, and the refused file
/// is left as it was found.
struct Sidecars {
    wal: PathBuf,
    shm: PathBuf,
    existed: bool,
}

/// The file `SQLite` keeps beside the database `db` under `suffix` (`-wal`, `-shm`).
pub(crate) fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl Sidecars {
    fn note(db: &Path) -> Self {
        let (wal, shm) = (sidecar(db, "-wal"), sidecar(db, "-shm"));
        let existed = wal.exists() || shm.exists();
        Sidecars { wal, shm, existed }
    }

    fn remove_new(&self) {
        let wal_empty = std::fs::metadata(&self.wal).map_or(true, |m| m.len() == 0);
        if self.existed || !wal_empty {
            return;
        }
        // Best effort: a file left behind is harmless, and the refusal is what gets reported.
        let _ = std::fs::remove_file(&self.wal);
        let _ = std::fs::remove_file(&self.shm);
    }
}

/// How long a connection waits for another one's lock before giving up.
pub(crate) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Where the database lives and how to open connections to it.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
}

impl Store {
    /// Open (creating when needed) the database in `data_dir`, check and migrate its schema.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        check_data_dir(data_dir)?;
        create_private_dir(data_dir).map_err(|e| {
            StoreError::DataDir(format!("cannot create the data dir {}: {e}", data_dir.display()))
        })?;
        let path = data_dir.join(DB_FILE);
        if path.exists() {
            schema::check_header(&path)?;
        }
        let store = Store { path };
        let mut conn = store.connect_rw()?;
        let version = schema::check(&conn)?;
        if version < schema::SCHEMA_VERSION {
            schema::migrate(&mut conn)?;
        }
        restrict_permissions(&store.path);
        Ok(store)
    }

    /// Open an existing database for reading only (CLI `list`, `show`, `stats`): a missing file
    /// is an empty history, never created here.
    pub fn open_existing(data_dir: &Path) -> Result<Option<Self>, StoreError> {
        check_data_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        if !path.exists() {
            return Ok(None);
        }
        schema::check_header(&path)?;
        let store = Store { path };
        let sidecars = Sidecars::note(&store.path);
        let checked = store.connect_ro().and_then(|conn| schema::check(&conn));
        match checked {
            Err(e) => {
                sidecars.remove_new();
                Err(e)
            }
            // An empty file (or one a first open left before creating anything) holds no history.
            Ok(version) if version < 1 => {
                sidecars.remove_new();
                Ok(None)
            }
            Ok(_) => Ok(Some(store)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A writing connection with hookscope's pragmas. Checks come first: nothing is written to a
    /// file that fails them ([`Store::open`] and [`Store::open_existing`] read the file's header
    /// before any connection exists).
    ///
    /// Nothing here may open and close the database file outside `SQLite` while this process
    /// has connections to it: closing any descriptor of a file drops every POSIX lock the process
    /// holds on it, and without its shared lock another process's last connection takes the
    /// WAL for unused, checkpoints and deletes it while this one still commits into it.
    pub fn connect_rw(&self) -> Result<Connection, StoreError> {
        let existed = self.path.exists();
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(StoreError::corrupt)?;
        if existed {
            schema::check(&conn)?;
        }
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Before WAL mode writes the first page: an empty file can still get auto-vacuum.
        let pages: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(StoreError::corrupt)?;
        if pages == 0 {
            retention::prepare_new_database(&conn)?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(StoreError::corrupt)?;
        // WAL + NORMAL: a committed transaction survives the process being killed.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(conn)
    }

    /// A read-only connection.
    pub fn connect_ro(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(StoreError::corrupt)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(conn)
    }

    pub fn reader(&self) -> Result<Reader, StoreError> {
        Ok(Reader::new(self.connect_ro()?))
    }
}

/// A data dir that is a file, or a database path that is a directory, is said as such (`SQLite`
/// would only say it cannot open the file).
fn check_data_dir(data_dir: &Path) -> Result<(), StoreError> {
    if data_dir.exists() && !data_dir.is_dir() {
        return Err(StoreError::DataDir(format!(
            "the data dir {} is a file, not a directory",
            data_dir.display()
        )));
    }
    let db = data_dir.join(DB_FILE);
    if db.is_dir() {
        return Err(StoreError::DataDir(format!(
            "{} is a directory, not a database file",
            db.display()
        )));
    }
    // A symlink to nothing: neither "no history yet" nor a new database made at its target.
    if !db.exists()
        && let Ok(target) = std::fs::read_link(&db)
    {
        return Err(StoreError::DataDir(format!(
            "{} is a symlink to {}, which does not exist",
            db.display(),
            target.display()
        )));
    }
    // A FIFO, socket or device would block or misbehave on the first read.
    if std::fs::metadata(&db).is_ok_and(|m| !m.is_file()) {
        return Err(StoreError::DataDir(format!(
            "{} is not a regular file (a pipe, socket or device), not a database file",
            db.display()
        )));
    }
    Ok(())
}

/// Create the data dir (and parents), private to the user on Unix.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// Database files hold secrets (signing profiles): owner read/write only.
fn restrict_permissions(db: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut names = vec![db.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            names.push(PathBuf::from(p));
        }
        for p in names.iter().filter(|p| p.exists()) {
            // Best effort: a failure here leaves the umask's mode, which is reported nowhere
            // better than by the file itself.
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = db;
}

#[cfg(test)]
mod tests;
