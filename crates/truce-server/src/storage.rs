//! Where the server's log is stored: the seam every reader and the writer open their storage
//! through. The SQLite file `DIR/truce.db` (the embedded default: `truce demo` and the README's
//! commands need no server), or — when the data directory has a `cluster.toml`
//! ([`truce_cluster::spec`]) — the log shared by several servers in PostgreSQL and an S3 bucket
//! (`truce-cluster`), where only the holder of the sequencer lease writes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use truce_cluster::spec::ClusterSpec;
use truce_cluster::{ClusterStorage, LeaseSlot};
use truce_store::sqlite::SqliteStorage;
use truce_store::{DynStorage, StoreError};

/// Where a log is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogStore {
    /// A SQLite database file (`DIR/truce.db`).
    Sqlite(PathBuf),
    /// PostgreSQL and an S3 bucket (`DIR/cluster.toml`).
    Cluster(Arc<ClusterSpec>),
}

impl LogStore {
    /// The log of data directory `dir`: the cluster named by `DIR/cluster.toml` if there is one,
    /// else `DIR/truce.db`.
    pub fn of_dir(dir: &Path) -> Result<LogStore, StoreError> {
        match ClusterSpec::of_dir(dir).map_err(|e| StoreError::Corrupt(e.to_string()))? {
            Some(spec) => Ok(LogStore::Cluster(Arc::new(spec))),
            None => Ok(LogStore::Sqlite(dir.join("truce.db"))),
        }
    }

    /// Opens one handle on the stored log (each reader and the writer have their own). A
    /// cluster handle reads; it writes only under a lease (see [`open_writer`](Self::open_writer)).
    pub fn open(&self) -> Result<DynStorage, StoreError> {
        match self {
            LogStore::Sqlite(db) => Ok(Box::new(SqliteStorage::open(db, false)?)),
            LogStore::Cluster(spec) => Ok(Box::new(self.cluster(spec)?)),
        }
    }

    /// Opens the writer's handle: for a cluster, writing under whatever lease `slot` holds.
    pub fn open_writer(&self, slot: &LeaseSlot) -> Result<DynStorage, StoreError> {
        match self {
            LogStore::Sqlite(_) => self.open(),
            LogStore::Cluster(spec) => {
                Ok(Box::new(self.cluster(spec)?.with_lease_slot(slot.clone())))
            }
        }
    }

    /// A cluster storage handle on `spec`.
    pub fn cluster(&self, spec: &ClusterSpec) -> Result<ClusterStorage, StoreError> {
        Ok(ClusterStorage::open(&spec.database, &spec.bucket_config())?)
    }

    /// The cluster's specification, if the log is shared.
    pub fn spec(&self) -> Option<&Arc<ClusterSpec>> {
        match self {
            LogStore::Cluster(spec) => Some(spec),
            LogStore::Sqlite(_) => None,
        }
    }

    /// Where it is, for messages (no secret).
    pub fn describe(&self) -> String {
        match self {
            LogStore::Sqlite(db) => db.display().to_string(),
            LogStore::Cluster(spec) => spec.describe(),
        }
    }
}
