//! Where the server's log is stored: the seam every reader and the writer open their storage
//! through. Today the SQLite file `DIR/truce.db` (the embedded default: `truce demo` and the
//! README's commands need no server); the shared PostgreSQL + object-store backend
//! (`truce-cluster`, issue 18) is the other kind, opened the same way.

use std::path::{Path, PathBuf};
use truce_store::sqlite::SqliteStorage;
use truce_store::{DynStorage, StoreError};

/// Where a log is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogStore {
    /// A SQLite database file (`DIR/truce.db`).
    Sqlite(PathBuf),
}

impl LogStore {
    /// The log of data directory `dir`: `DIR/truce.db`.
    pub fn of_dir(dir: &Path) -> LogStore {
        LogStore::Sqlite(dir.join("truce.db"))
    }

    /// Opens one handle on the stored log (each reader and the writer have their own).
    pub fn open(&self) -> Result<DynStorage, StoreError> {
        match self {
            LogStore::Sqlite(db) => Ok(Box::new(SqliteStorage::open(db, false)?)),
        }
    }

    /// Where it is, for messages.
    pub fn describe(&self) -> String {
        match self {
            LogStore::Sqlite(db) => db.display().to_string(),
        }
    }
}
