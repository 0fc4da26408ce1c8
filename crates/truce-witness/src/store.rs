//! The witness's state: for each origin, the latest checkpoint it cosigned (size, root, note).
//!
//! The only write is [`WitnessStore::compare_and_swap`]: it replaces the state of an origin only
//! if the stored size is still the one the request was checked against, in one atomic step that
//! is durable before it returns. A request that lost a race therefore gets the actual size (a 409
//! for the client) and the state never moves backwards, whatever the interleaving of requests,
//! threads or processes sharing the file.
//!
//! [`SqliteWitnessStore`] keeps the state in one SQLite file (WAL, `synchronous=FULL`, each swap a
//! `BEGIN IMMEDIATE` transaction that re-reads the stored size). [`MemWitnessStore`] keeps it in
//! memory and can be told to fail, for fault-injection tests.

use crate::WitnessError;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use truce_log::Hash;

const SCHEMA_VERSION: &str = "1";

/// The latest checkpoint a witness cosigned for one origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Witnessed {
    /// The tree size.
    pub size: u64,
    /// The root hash of the tree of `size` entries.
    pub root: Hash,
    /// The signed checkpoint note as the log sent it.
    pub note: Vec<u8>,
}

/// Where a witness keeps its state. Implementations must make
/// [`compare_and_swap`](WitnessStore::compare_and_swap) atomic and durable.
pub trait WitnessStore: Send + Sync {
    /// The latest checkpoint cosigned for `origin`, if any.
    fn latest(&self, origin: &str) -> Result<Option<Witnessed>, WitnessError>;

    /// Replaces the state of `origin` by `new` if the stored size (0 if none) is
    /// `expected_old_size`, `new` is not smaller, and at an equal size the root is the same.
    /// Returns `Ok(Err(actual))` with the stored size if not; `Ok(Ok(()))` once `new` is durable.
    fn compare_and_swap(
        &self,
        origin: &str,
        expected_old_size: u64,
        new: &Witnessed,
    ) -> Result<Result<(), u64>, WitnessError>;
}

/// The swap rule shared by the stores: `current` is what is stored now.
fn may_swap(current: Option<(u64, Hash)>, expected: u64, new: &Witnessed) -> Result<(), u64> {
    let (size, root) = current.unwrap_or((0, truce_log::EMPTY_HASH));
    if size != expected || new.size < size || (new.size == size && new.root != root) {
        return Err(size);
    }
    Ok(())
}

/// The witness state in one SQLite database file.
///
/// Schema (version 1): `meta(key, value)`; `witnessed(origin PRIMARY KEY, size, root, note)`,
/// sizes stored as the bits of a `u64` in an `INTEGER` and compared in Rust.
pub struct SqliteWitnessStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteWitnessStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteWitnessStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn sql(path: &Path, source: rusqlite::Error) -> WitnessError {
    let hint = match &source {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            rusqlite::ErrorCode::NotADatabase => {
                " (the file is not a SQLite database: is `state` pointing at the right file?)"
            }
            rusqlite::ErrorCode::DatabaseCorrupt => " (the database is corrupt)",
            rusqlite::ErrorCode::DatabaseBusy => {
                " (another process holds the write lock for too long; retry)"
            }
            rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen => {
                " (check that the directory exists and is writable)"
            }
            _ => "",
        },
        _ => "",
    };
    WitnessError::Sqlite {
        path: path.display().to_string(),
        source,
        hint,
    }
}

impl SqliteWitnessStore {
    /// Opens the state database at `path`, creating it (and its tables) if missing.
    pub fn open(path: &Path) -> Result<Self, WitnessError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| sql(path, e))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=FULL;
             PRAGMA busy_timeout=10000;
             CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS witnessed(
                 origin TEXT PRIMARY KEY,
                 size INTEGER NOT NULL,
                 root BLOB NOT NULL,
                 note BLOB NOT NULL);
             INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '1');",
        )
        .map_err(|e| sql(path, e))?;
        let schema: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql(path, e))?;
        if schema.as_deref() != Some(SCHEMA_VERSION) {
            return Err(WitnessError::Corrupt(format!(
                "{} has witness schema {schema:?}; this truce reads version {SCHEMA_VERSION}",
                path.display()
            )));
        }
        Ok(SqliteWitnessStore {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, WitnessError> {
        self.conn
            .lock()
            .map_err(|_| WitnessError::Corrupt("a thread panicked holding the database".into()))
    }

    fn err(&self, e: rusqlite::Error) -> WitnessError {
        sql(&self.path, e)
    }
}

fn row_hash(raw: Vec<u8>) -> Result<Hash, WitnessError> {
    <[u8; 32]>::try_from(raw.as_slice())
        .map(Hash)
        .map_err(|_| WitnessError::Corrupt(format!("a stored root is {} bytes", raw.len())))
}

impl WitnessStore for SqliteWitnessStore {
    fn latest(&self, origin: &str) -> Result<Option<Witnessed>, WitnessError> {
        let conn = self.conn()?;
        let row: Option<(i64, Vec<u8>, Vec<u8>)> = conn
            .prepare_cached("SELECT size, root, note FROM witnessed WHERE origin = ?1")
            .and_then(|mut st| {
                st.query_row([origin], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
            })
            .map_err(|e| self.err(e))?;
        row.map(|(size, root, note)| {
            Ok(Witnessed {
                size: size as u64,
                root: row_hash(root)?,
                note,
            })
        })
        .transpose()
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        expected_old_size: u64,
        new: &Witnessed,
    ) -> Result<Result<(), u64>, WitnessError> {
        let mut conn = self.conn()?;
        // BEGIN IMMEDIATE takes SQLite's write lock first, so the size read below cannot change
        // (in this process or another) before the commit.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql(&self.path, e))?;
        let current: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT size, root FROM witnessed WHERE origin = ?1",
                [origin],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| sql(&self.path, e))?;
        let current = match current {
            Some((size, root)) => Some((size as u64, row_hash(root)?)),
            None => None,
        };
        if let Err(actual) = may_swap(current, expected_old_size, new) {
            return Ok(Err(actual)); // dropping the transaction rolls it back
        }
        tx.execute(
            "INSERT INTO witnessed(origin, size, root, note) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root = excluded.root,
                 note = excluded.note",
            params![origin, new.size as i64, &new.root.0[..], new.note],
        )
        .map_err(|e| sql(&self.path, e))?;
        tx.commit().map_err(|e| sql(&self.path, e))?;
        Ok(Ok(()))
    }
}

/// Which operations of a [`MemWitnessStore`] fail. Shared by its clones, so a test can change the
/// faults of a store a server holds.
#[derive(Debug, Clone, Default)]
pub struct MemFaults {
    /// `latest` fails.
    pub fail_reads: bool,
    /// `compare_and_swap` fails before applying anything.
    pub fail_writes: bool,
    /// `compare_and_swap` applies the new state, then fails (a lost acknowledgement).
    pub lose_ack: bool,
}

/// The witness state in memory, shared by clones; for tests, with injectable failures.
#[derive(Debug, Clone, Default)]
pub struct MemWitnessStore {
    state: Arc<Mutex<HashMap<String, Witnessed>>>,
    faults: Arc<Mutex<MemFaults>>,
}

impl MemWitnessStore {
    /// An empty store with no faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets which operations fail from now on.
    pub fn set_faults(&self, faults: MemFaults) {
        if let Ok(mut f) = self.faults.lock() {
            *f = faults;
        }
    }

    fn faults(&self) -> MemFaults {
        self.faults.lock().map(|f| f.clone()).unwrap_or_default()
    }

    fn state(&self) -> Result<MutexGuard<'_, HashMap<String, Witnessed>>, WitnessError> {
        self.state
            .lock()
            .map_err(|_| WitnessError::Corrupt("a thread panicked holding the state".into()))
    }
}

impl WitnessStore for MemWitnessStore {
    fn latest(&self, origin: &str) -> Result<Option<Witnessed>, WitnessError> {
        if self.faults().fail_reads {
            return Err(WitnessError::Injected("read failed".into()));
        }
        Ok(self.state()?.get(origin).cloned())
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        expected_old_size: u64,
        new: &Witnessed,
    ) -> Result<Result<(), u64>, WitnessError> {
        let faults = self.faults();
        if faults.fail_writes {
            return Err(WitnessError::Injected(
                "write failed before applying".into(),
            ));
        }
        let mut state = self.state()?;
        let current = state.get(origin).map(|w| (w.size, w.root));
        if let Err(actual) = may_swap(current, expected_old_size, new) {
            return Ok(Err(actual));
        }
        state.insert(origin.to_string(), new.clone());
        if faults.lose_ack {
            return Err(WitnessError::Injected(
                "write applied, acknowledgement lost".into(),
            ));
        }
        Ok(Ok(()))
    }
}
