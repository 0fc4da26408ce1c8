//! The embedded backend: one SQLite file in WAL mode with `synchronous=FULL`, so a committed
//! transaction has been fsynced before `commit` returns. One writer at a time (SQLite's write
//! lock plus the compare-and-swap on the latest checkpoint size).
//!
//! Schema (version 1): `meta(key, value)`; `tiles(key, data)` with `key = level << 56 | n`;
//! `bundles(n, data)`; `checkpoints(size, note)`. Tiles and bundles hold their widest version.
//!
//! Storage faults (a failing fsync, a full disk or file size limit, read-only storage) fail the
//! commit with an error naming the file, what happened and what to do; SQLite rolls the
//! transaction back, so nothing of it is acknowledged and everything committed before is kept. A
//! connection opened on read-only storage is opened again before the next commit, so the log
//! accepts writes once the storage is writable, without a restart. A torn last WAL frame (a
//! crash mid-write) fails its checksum and is dropped on the next open: only the unacknowledged
//! batch is lost. `tests/faults.rs` makes each of these faults on a real file.

use crate::{Commit, LogMeta, LogStorage, StoreError};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use truce_log::SignedCheckpoint;

const SCHEMA_VERSION: &str = "1";

/// A log stored in one SQLite database file.
pub struct SqliteStorage {
    conn: Connection,
    path: PathBuf,
}

fn tile_key(level: u8, n: u64) -> i64 {
    ((u64::from(level) << 56) | n) as i64
}

impl SqliteStorage {
    /// Opens (and, with `create`, creates) the database at `path`.
    pub fn open(path: &Path, create: bool) -> Result<Self, StoreError> {
        if !create && !path.exists() {
            return Err(StoreError::NotInitialised {
                path: path.display().to_string(),
            });
        }
        let s = SqliteStorage {
            conn: connect(path, create)?,
            path: path.to_path_buf(),
        };
        if let Some(v) = s.get_meta("schema")? {
            if v != SCHEMA_VERSION {
                return Err(StoreError::Corrupt(format!(
                    "{} has schema version {v}; this truce reads version {SCHEMA_VERSION}",
                    s.path.display()
                )));
            }
        }
        Ok(s)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A connection opened while the storage was read-only stays read-only: before a write,
    /// open the file again, in case it has been made writable since (the log then accepts writes
    /// again without a restart). If it is still read-only, the write fails with that reason.
    fn reopen_if_read_only(&mut self) {
        if self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            if let Ok(conn) = connect(&self.path, false) {
                self.conn = conn;
            }
        }
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        sql(&self.path.display().to_string(), e)
    }

    fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")
            .and_then(|mut st| st.query_row([key], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    fn stored_size(tx: &Connection) -> rusqlite::Result<Option<u64>> {
        tx.prepare_cached("SELECT max(size) FROM checkpoints")?
            .query_row([], |r| r.get::<_, Option<i64>>(0))
            .map(|v| v.map(|s| s as u64))
    }
}

/// Opens the database (SQLite falls back to read-only if the file cannot be opened for writing:
/// writes then fail with [`rusqlite::ErrorCode::ReadOnly`]), sets WAL and `synchronous=FULL`, and
/// creates the tables if they do not exist.
fn connect(path: &Path, create: bool) -> Result<Connection, StoreError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let p = path.display().to_string();
    let conn = Connection::open_with_flags(path, flags).map_err(|e| sql(&p, e))?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL;
         PRAGMA synchronous=FULL;
         PRAGMA busy_timeout=10000;
         PRAGMA cache_size=-32768;
         CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS tiles(key INTEGER PRIMARY KEY, data BLOB NOT NULL);
         CREATE TABLE IF NOT EXISTS bundles(n INTEGER PRIMARY KEY, data BLOB NOT NULL);
         CREATE TABLE IF NOT EXISTS checkpoints(size INTEGER PRIMARY KEY, note BLOB NOT NULL);",
    )
    .map_err(|e| sql(&p, e))?;
    Ok(conn)
}

/// What a failed write did and did not do, said in every hint on a failed write.
macro_rules! kept {
    () => {
        "nothing was acknowledged by the write that failed, and every entry acknowledged before it is kept"
    };
}

fn sql(path: &str, source: rusqlite::Error) -> StoreError {
    use rusqlite::ffi;
    let hint = match &source {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            rusqlite::ErrorCode::NotADatabase => {
                " (the file is not a SQLite database: is --dir pointing at the right place, or was the file overwritten?)"
            }
            rusqlite::ErrorCode::DatabaseCorrupt => " (the database is corrupt: restore it from a mirror or backup)",
            rusqlite::ErrorCode::DatabaseBusy => " (another truce process holds the write lock; retry when it finishes)",
            rusqlite::ErrorCode::CannotOpen => " (check that the directory exists and is writable)",
            rusqlite::ErrorCode::ReadOnly => concat!(
                " (the storage is read-only: the database, its -wal and -shm files or their directory are not writable — permissions, an immutable flag (lsattr) or a read-only mount; ",
                kept!(),
                "; make them writable again, then retry)"
            ),
            rusqlite::ErrorCode::DiskFull => concat!(
                " (the disk is full or the file size limit (ulimit -f) was reached; ",
                kept!(),
                "; free space on the filesystem holding this file, then retry)"
            ),
            rusqlite::ErrorCode::SystemIoFailure
                if matches!(f.extended_code, ffi::SQLITE_IOERR_FSYNC | ffi::SQLITE_IOERR_DIR_FSYNC) =>
            {
                concat!(
                    " (fsync failed: the operating system could not confirm that the write reached the disk; ",
                    kept!(),
                    "; check the disk (free space, the kernel log), then retry; `truce log check` verifies the log)"
                )
            }
            rusqlite::ErrorCode::SystemIoFailure => concat!(
                " (a read or write of the file failed: a full disk, a file size limit (ulimit -f), a read-only or immutable file, or a failing disk; ",
                kept!(),
                "; fix the storage, then retry; `truce log check` verifies the log)"
            ),
            _ => "",
        },
        _ => "",
    };
    StoreError::Sqlite {
        path: path.to_string(),
        source,
        hint,
    }
}

impl LogStorage for SqliteStorage {
    fn meta(&self) -> Result<Option<LogMeta>, StoreError> {
        match (self.get_meta("origin")?, self.get_meta("vkey")?) {
            (Some(origin), Some(vkey)) => Ok(Some(LogMeta { origin, vkey })),
            _ => Ok(None),
        }
    }

    fn init(&mut self, meta: &LogMeta, empty: &SignedCheckpoint) -> Result<(), StoreError> {
        let p = self.path.display().to_string();
        let tx = self.conn.transaction().map_err(|e| sql(&p, e))?;
        let exists: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key='origin'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql(&p, e))?;
        if exists.is_some() {
            return Err(StoreError::AlreadyInitialised { path: p });
        }
        for (k, v) in [
            ("schema", SCHEMA_VERSION),
            ("origin", &meta.origin),
            ("vkey", &meta.vkey),
        ] {
            tx.execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)",
                params![k, v],
            )
            .map_err(|e| sql(&p, e))?;
        }
        tx.execute(
            "INSERT INTO checkpoints(size, note) VALUES (0, ?1)",
            params![empty.note],
        )
        .map_err(|e| sql(&p, e))?;
        tx.commit().map_err(|e| sql(&p, e))
    }

    fn latest_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .prepare_cached("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1")
            .and_then(|mut st| st.query_row([], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .prepare_cached("SELECT note FROM checkpoints WHERE size = ?1")
            .and_then(|mut st| st.query_row([size as i64], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    fn checkpoint_sizes(&self) -> Result<Vec<u64>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT size FROM checkpoints ORDER BY size")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| r.get::<_, i64>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.err(e))?;
        Ok(rows.into_iter().map(|s| s as u64).collect())
    }

    fn read_tile(&self, level: u8, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .prepare_cached("SELECT data FROM tiles WHERE key = ?1")
            .and_then(|mut st| st.query_row([tile_key(level, n)], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    fn read_bundle(&self, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .prepare_cached("SELECT data FROM bundles WHERE n = ?1")
            .and_then(|mut st| st.query_row([n as i64], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    fn commit(&mut self, c: &Commit<'_>) -> Result<(), StoreError> {
        self.reopen_if_read_only();
        let p = self.path.display().to_string();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| sql(&p, e))?;
        let stored = Self::stored_size(&tx).map_err(|e| sql(&p, e))?;
        if stored != Some(c.old_size) {
            return Err(StoreError::Conflict {
                stored: stored.unwrap_or(0),
                expected: c.old_size,
            });
        }
        {
            let mut st = tx
                .prepare_cached("INSERT OR REPLACE INTO tiles(key, data) VALUES (?1, ?2)")
                .map_err(|e| sql(&p, e))?;
            for t in c.tiles {
                st.execute(params![tile_key(t.level, t.n), t.data])
                    .map_err(|e| sql(&p, e))?;
            }
            let mut st = tx
                .prepare_cached("INSERT OR REPLACE INTO bundles(n, data) VALUES (?1, ?2)")
                .map_err(|e| sql(&p, e))?;
            for (n, data) in c.bundles {
                st.execute(params![*n as i64, data])
                    .map_err(|e| sql(&p, e))?;
            }
            tx.prepare_cached("INSERT INTO checkpoints(size, note) VALUES (?1, ?2)")
                .and_then(|mut st| st.execute(params![c.checkpoint.size as i64, c.checkpoint.note]))
                .map_err(|e| sql(&p, e))?;
        }
        tx.commit().map_err(|e| sql(&p, e))
    }
}
