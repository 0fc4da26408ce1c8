//! Truce's storage layer: the small [`LogStorage`] trait, its SQLite and in-memory backends, the
//! [`Sequencer`] that appends batches durably, the full self-[`check`](check::check) and the static
//! tile [`export`](export::export_tiles).
//!
//! The log core (`truce-log`) knows nothing of storage; this crate knows nothing of HTTP or the
//! CLI. A shared deployment (PostgreSQL for the checkpoint and lock, S3-compatible object storage
//! for tiles and bundles) is another implementation of [`LogStorage`]: the trait asks only for
//! whole-tile reads and one atomic, durable, compare-and-swap commit per batch.

pub mod check;
pub mod export;
pub mod keyfile;
pub mod memory;
mod sequencer;
pub mod sqlite;

pub use sequencer::{BatchAck, LogReader, Sequencer};

use truce_log::{LogError, SignedCheckpoint, TileHashes};

/// What a log was created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogMeta {
    /// The log's origin (also its key name).
    pub origin: String,
    /// The log's verifier key text.
    pub vkey: String,
}

/// One batch to commit: every tile and bundle it changed, and the checkpoint that covers them.
#[derive(Debug)]
pub struct Commit<'a> {
    /// Tree size the batch was built on; the commit must fail if the stored size differs.
    pub old_size: u64,
    /// Hash tiles to write (full tiles, and the new widest version of partial ones).
    pub tiles: &'a [TileHashes],
    /// Entry bundles to write, `(index, bytes)`.
    pub bundles: &'a [(u64, Vec<u8>)],
    /// The new signed checkpoint.
    pub checkpoint: &'a SignedCheckpoint,
}

/// Where a log's tiles, bundles and checkpoints live.
///
/// Invariants an implementation must keep:
/// - [`commit`](LogStorage::commit) is atomic and durable: when it returns `Ok`, every tile,
///   bundle and the checkpoint survive a crash; when it fails, none of them is visible.
/// - It is a compare-and-swap: it fails with [`StoreError::Conflict`] if the latest stored
///   checkpoint's size is not `commit.old_size` (another writer got there first).
/// - A tile or bundle is stored in its widest version only: partial versions are prefixes of it.
pub trait LogStorage {
    /// The log's metadata, or `None` if the storage was never initialised.
    fn meta(&self) -> Result<Option<LogMeta>, StoreError>;
    /// Initialises empty storage (fails if already initialised).
    fn init(
        &mut self,
        meta: &LogMeta,
        empty_checkpoint: &SignedCheckpoint,
    ) -> Result<(), StoreError>;
    /// The latest signed checkpoint note.
    fn latest_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError>;
    /// The signed checkpoint note of a given size, if one was signed.
    fn checkpoint_at(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sizes of all signed checkpoints, ascending.
    fn checkpoint_sizes(&self) -> Result<Vec<u64>, StoreError>;
    /// Hash tile `(level, n)` in its widest stored version.
    fn read_tile(&self, level: u8, n: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Entry bundle `n` in its widest stored version.
    fn read_bundle(&self, n: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Atomically and durably stores a batch (see the trait invariants).
    fn commit(&mut self, commit: &Commit<'_>) -> Result<(), StoreError>;
}

/// A storage chosen at run time (SQLite, or the shared PostgreSQL + object-store backend of
/// `truce-cluster`): what a server opens from its configuration.
pub type DynStorage = Box<dyn LogStorage + Send>;

impl<S: LogStorage + ?Sized> LogStorage for Box<S> {
    fn meta(&self) -> Result<Option<LogMeta>, StoreError> {
        (**self).meta()
    }
    fn init(
        &mut self,
        meta: &LogMeta,
        empty_checkpoint: &SignedCheckpoint,
    ) -> Result<(), StoreError> {
        (**self).init(meta, empty_checkpoint)
    }
    fn latest_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).latest_checkpoint()
    }
    fn checkpoint_at(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).checkpoint_at(size)
    }
    fn checkpoint_sizes(&self) -> Result<Vec<u64>, StoreError> {
        (**self).checkpoint_sizes()
    }
    fn read_tile(&self, level: u8, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).read_tile(level, n)
    }
    fn read_bundle(&self, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).read_bundle(n)
    }
    fn commit(&mut self, commit: &Commit<'_>) -> Result<(), StoreError> {
        (**self).commit(commit)
    }
}

/// Adapts any [`LogStorage`] into the log core's tile reader.
pub struct Tiles<'a, S: LogStorage + ?Sized>(pub &'a S);

impl<S: LogStorage + ?Sized> truce_log::TileSource for Tiles<'_, S> {
    fn tile(&self, level: u8, n: u64) -> Result<Option<Vec<u8>>, LogError> {
        self.0
            .read_tile(level, n)
            .map_err(|e| LogError::Storage(e.to_string()))
    }
}

/// Everything that can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No log at this place yet.
    #[error("no Truce log in {path}: create one with `truce init --origin <name>`")]
    NotInitialised {
        /// Where we looked.
        path: String,
    },
    /// A log already exists where one was to be created.
    #[error("a Truce log already exists in {path}; use another --dir or remove it deliberately")]
    AlreadyInitialised {
        /// Where it is.
        path: String,
    },
    /// The SQLite database failed or is not a database.
    #[error("database {path}: {source}{hint}")]
    Sqlite {
        /// Database file.
        path: String,
        /// The SQLite error.
        source: rusqlite::Error,
        /// A hint on what it means and what to do.
        hint: &'static str,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Stored data is damaged or inconsistent.
    #[error("stored log is damaged: {0}; run `truce log check` for the full diagnosis")]
    Corrupt(String),
    /// Another writer appended since this one loaded the log.
    #[error(
        "another writer appended to the log (stored size {stored}, expected {expected}); retry"
    )]
    Conflict {
        /// Size found in storage.
        stored: u64,
        /// Size this writer built on.
        expected: u64,
    },
    /// A key does not belong to this log.
    #[error("wrong key: {0}")]
    WrongKey(String),
    /// An entry, proof or checkpoint was refused by the log core.
    #[error(transparent)]
    Log(#[from] LogError),
    /// A fault injected by a test backend.
    #[error("injected fault: {0}")]
    Injected(String),
    /// This writer may not write: a shared storage's sequencer lease is held by another server,
    /// or was lost (it expired while this one was stopped or cut off). Nothing was written; the
    /// lease holder sequences (send submissions to it).
    #[error("not the sequencer: {0}")]
    Fenced(String),
}
