//! Truce's shared storage: [`ClusterStorage`], the [`LogStorage`] trait over PostgreSQL (the
//! sequencing database and the one commit point) and an S3-compatible bucket (hash tiles, entry
//! bundles and the published `checkpoint`, at their C2SP tlog-tiles paths, so the bucket served
//! as static files is a mirror that `truce verify` reads without the database).
//!
//! # What is where
//!
//! - PostgreSQL ([`pg`]): the log's metadata, the latest checkpoint (size, root, note) and every
//!   signed checkpoint by size. Checkpoints are read from here.
//! - The bucket ([`bucket`]): `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]` and
//!   `checkpoint`. Tiles and bundles are read from here, at the width the committed size gives
//!   them (so an object written beyond the committed size is never read).
//!
//! # A commit, step by step
//!
//! [`ClusterStorage::commit`] of a batch growing the log from `old_size` to `new_size`:
//!
//! 1. **Lock and check**: a PostgreSQL transaction locks the latest checkpoint's row (`SELECT …
//!    FOR UPDATE`) and its size must be `old_size`, else [`StoreError::Conflict`] before
//!    anything is written. The lock is held through steps 2 and 3: a second writer's commit
//!    waits at its step 1 (at most `lock_timeout`, 10 s), then finds the size moved and writes
//!    nothing.
//! 2. **Objects**: every tile and bundle whose width grew is written at its path for
//!    `new_size` (16 requests at a time). A path whose width is the same at `old_size` is an
//!    object of the committed log and is never written again; every path written names a width
//!    beyond `old_size`, which no committed checkpoint covers, so overwriting what is there (a
//!    dead or deposed writer's object) is allowed and intended.
//! 3. **Commit point**: in the same transaction, `UPDATE truce_log_latest … WHERE size =
//!    old_size` and the insert of the new checkpoint, then COMMIT. When it commits (PostgreSQL
//!    with `fsync` and `synchronous_commit` on) the batch is durable: its objects were
//!    acknowledged by the store before (Garage with `data_fsync` and `metadata_fsync` on), and
//!    the checkpoint is in the database. A failure before it rolls the transaction back.
//! 4. **Publication**: the bucket's `checkpoint` object is written last, and only if what is
//!    there is older (never a smaller size over a larger one). A failure here does not fail the
//!    commit (it is durable already): it is remembered ([`ClusterStorage::publish_error`]) and
//!    the next commit or [`ClusterStorage::publish_checkpoint`] publishes again. The check of
//!    what is there and the write are two requests: two publishers racing (a deposed sequencer
//!    waking between them) can leave the older one there until the next publication. S3's
//!    conditional `PUT` (`If-Match`) would close that window, but Garage (v2.5) ignores it on
//!    `PUT` (it honours it on `GET` and copies only), so it would not be a condition at all; the
//!    bucket's `checkpoint` is in any case always one PostgreSQL committed, never a loser's.
//!
//! # What a crash between steps leaves
//!
//! - During or after 2, before 3: objects at widths beyond the committed size. No checkpoint
//!   (in the database or the bucket) names them, reads never ask for them, and the next
//!   sequencer's commit overwrites the ones it needs. A static-mirror client fetches only the
//!   paths of the checkpoint it holds, so the bucket still verifies. The batch was not
//!   acknowledged.
//! - After 3, before 4: the batch is committed (the sequencer that reloads finds it) but the
//!   bucket's `checkpoint` names an older size: the mirror is consistent, only behind, until the
//!   next publication.
//!
//! # Why a deposed writer cannot make its objects visible
//!
//! Visibility is decided by the database alone: a checkpoint exists in PostgreSQL only if its
//! compare-and-swap won, and a tile is read (by a reader, or by a mirror client through the
//! bucket's `checkpoint`, which is only ever a checkpoint that won) at the width that checkpoint
//! gives. A writer that lost (its `old_size` is stale) fails at step 1 and writes nothing. A
//! writer that died or failed during step 2 left objects at sizes no checkpoint names; the next
//! commit to reach those sizes writes every path its checkpoint needs (step 2) before its
//! compare-and-swap, over them. Two live writers never are in step 2 at once: the row lock
//! serialises them. So the bucket's `checkpoint` never names a size whose root differs from
//! PostgreSQL's, and every object it names is the committing writer's.
//!
//! The one write nothing here can refuse is a *late* one: a writer whose transaction PostgreSQL
//! ended (its session killed after `idle_in_transaction_session_timeout`, 30 s, or its
//! connection lost) while it was stopped (SIGSTOP) or partitioned inside step 2 can, on waking,
//! still send PUTs already under way — S3 has no fencing on plain PUTs — over paths a newer
//! sequencer has committed meanwhile. Its own commit then fails, but such an object stays
//! damaged until it is written again; `truce log check` finds it. The sequencer lease (issue 18,
//! part 2) must keep a deposed writer from writing once its lease may have passed on (and give a
//! new sequencer the lease only after the old one's PostgreSQL session ended).

pub mod bucket;
pub mod pg;
#[cfg(feature = "testkit")]
pub mod testkit;

use bucket::{Bucket, BucketConfig, CHECKPOINT};
use pg::{Cas, Db};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use truce_log::{decode_bundle, entries_path, tile_path, SignedCheckpoint, TILE_WIDTH};
use truce_store::{Commit, LogMeta, LogStorage, StoreError};

/// Everything that can go wrong talking to PostgreSQL or the bucket.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A PostgreSQL query or connection failed.
    #[error("PostgreSQL, {what}: {}", pg_detail(.source))]
    Postgres {
        /// What was being done.
        what: String,
        /// The client's error.
        source: postgres::Error,
    },
    /// The PostgreSQL connection string is not valid.
    #[error("PostgreSQL connection string {0}")]
    Config(String),
    /// A bucket request failed.
    #[error("{at}: {what} {path:?}: {source}")]
    Bucket {
        /// The bucket.
        at: String,
        /// What was being done.
        what: &'static str,
        /// The object path.
        path: String,
        /// The object store's error (boxed: it is large).
        source: Box<object_store::Error>,
    },
    /// A bucket request took too long.
    #[error("{at}: {what} {path:?} took longer than {after:?}; is the object store up?")]
    Timeout {
        /// The bucket.
        at: String,
        /// What was being done.
        what: &'static str,
        /// The object path.
        path: String,
        /// The limit.
        after: Duration,
    },
    /// The bucket's runtime could not be started.
    #[error("starting the bucket's runtime: {0}")]
    Runtime(std::io::Error),
    /// Stored or given data is inconsistent.
    #[error("{0}")]
    Corrupt(String),
}

fn pg_detail(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => match std::error::Error::source(e) {
            Some(s) => format!("{e}: {s}"),
            None => e.to_string(),
        },
    }
}

impl From<ClusterError> for StoreError {
    fn from(e: ClusterError) -> StoreError {
        match e {
            ClusterError::Corrupt(why) => StoreError::Corrupt(why),
            other => {
                let path = match &other {
                    ClusterError::Postgres { .. } | ClusterError::Config(_) => "PostgreSQL",
                    _ => "object store",
                };
                StoreError::Io {
                    path: path.to_string(),
                    source: std::io::Error::other(other),
                }
            }
        }
    }
}

/// Where [`ClusterStorage::commit`] stops, to test what a crash between steps leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// After the tiles and bundles are written, before the compare-and-swap.
    AfterObjects,
    /// After the compare-and-swap committed, before the bucket's `checkpoint` is written.
    AfterCas,
}

/// Called at each [`FailPoint`] of a commit; an `Err` stops the commit there (as a crash
/// would), with [`StoreError::Injected`].
pub type Hook = Box<dyn FnMut(FailPoint) -> Result<(), String> + Send>;

/// A log in PostgreSQL and an S3 bucket (see the crate docs).
pub struct ClusterStorage {
    db: Db,
    bucket: Bucket,
    /// The largest committed size this handle has seen: tiles complete at it are immutable.
    known: AtomicU64,
    hook: Mutex<Option<Hook>>,
    publish_error: Mutex<Option<String>>,
}

impl std::fmt::Debug for ClusterStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterStorage")
            .field("db", &self.db)
            .field("bucket", &self.bucket)
            .finish()
    }
}

/// Width of tile `n` at `level` (level `None`: entry bundle `n`) in the tree of `size` entries:
/// 0 if the tree does not reach it, 256 if it is full.
fn width_at(size: u64, level: u8, n: u64) -> u64 {
    let hashes = size.checked_shr(8 * u32::from(level)).unwrap_or(0);
    let start = n.saturating_mul(TILE_WIDTH);
    if start >= hashes {
        0
    } else {
        (hashes - start).min(TILE_WIDTH)
    }
}

/// Tree size named by a checkpoint note (its second line), and its origin (the first).
fn note_head(note: &[u8]) -> Option<(&str, u64)> {
    let text = std::str::from_utf8(note).ok()?;
    let mut lines = text.lines();
    let origin = lines.next()?;
    let size = lines.next()?.parse().ok()?;
    Some((origin, size))
}

impl ClusterStorage {
    /// Connects to the database at `pg_url` (creating the schema if needed) and the bucket.
    pub fn open(pg_url: &str, bucket: &BucketConfig) -> Result<Self, ClusterError> {
        let db = Db::connect(pg_url)?;
        let bucket = Bucket::open(bucket)?;
        let known = db.latest_size()?.unwrap_or(0);
        Ok(ClusterStorage {
            db,
            bucket,
            known: AtomicU64::new(known),
            hook: Mutex::new(None),
            publish_error: Mutex::new(None),
        })
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The bucket.
    pub fn bucket(&self) -> &Bucket {
        &self.bucket
    }

    /// Makes the next commits stop at `point` (tests of what a crash leaves); `None` clears it.
    pub fn set_fail_point(&self, point: Option<FailPoint>) {
        self.set_hook(point.map(|point| -> Hook {
            Box::new(move |at| {
                if at == point {
                    Err(format!("commit stopped {at:?}"))
                } else {
                    Ok(())
                }
            })
        }));
    }

    /// Calls `hook` at every [`FailPoint`] of the next commits (tests: another writer's commit
    /// run between this one's objects and its compare-and-swap); `None` clears it.
    pub fn set_hook(&self, hook: Option<Hook>) {
        *self.hook.lock().unwrap_or_else(|p| p.into_inner()) = hook;
    }

    fn fail_at(&self, point: FailPoint) -> Result<(), StoreError> {
        let mut hook = self.hook.lock().unwrap_or_else(|p| p.into_inner());
        match hook.as_mut().map(|h| h(point)) {
            Some(Err(why)) => Err(StoreError::Injected(why)),
            _ => Ok(()),
        }
    }

    /// Why the last publication of the bucket's `checkpoint` failed, if it did (cleared by the
    /// next that succeeds).
    pub fn publish_error(&self) -> Option<String> {
        self.publish_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Publishes PostgreSQL's latest checkpoint as the bucket's `checkpoint` if the bucket's is
    /// older (after a failed publication, or a crash between the commit and the publication).
    pub fn publish_checkpoint(&self) -> Result<(), ClusterError> {
        let meta = self.db.meta()?;
        let Some(latest) = self.db.latest()? else {
            return Ok(());
        };
        let origin = meta.map(|m| m.origin).unwrap_or_default();
        self.publish(&origin, latest.size, &latest.note)
    }

    /// Writes `note` (of `size`) as the bucket's `checkpoint` unless the one there is of this
    /// log and at least as large.
    fn publish(&self, origin: &str, size: u64, note: &[u8]) -> Result<(), ClusterError> {
        if let Some(there) = self.bucket.get(CHECKPOINT)? {
            if let Some((o, s)) = note_head(&there) {
                if o == origin && s >= size {
                    return Ok(());
                }
            }
        }
        self.bucket.put(CHECKPOINT, note)
    }

    fn publish_recorded(&self, origin: &str, size: u64, note: &[u8]) {
        let r = self.publish(origin, size, note);
        *self.publish_error.lock().unwrap_or_else(|p| p.into_inner()) =
            r.err().map(|e| e.to_string());
    }

    /// The largest committed size known, refreshed from PostgreSQL.
    fn refresh(&self) -> Result<u64, ClusterError> {
        let size = self.db.latest_size()?.unwrap_or(0);
        Ok(self.saw(size))
    }

    fn saw(&self, size: u64) -> u64 {
        self.known.fetch_max(size, Ordering::AcqRel).max(size)
    }

    /// The width of a tile at the committed size: from the size already known if the tile is
    /// full at it (a full tile never changes), else from PostgreSQL's latest.
    fn committed_width(&self, level: u8, n: u64) -> Result<u64, ClusterError> {
        let w = width_at(self.known.load(Ordering::Acquire), level, n);
        if w == TILE_WIDTH {
            return Ok(w);
        }
        Ok(width_at(self.refresh()?, level, n))
    }

    /// The objects a commit writes: every tile and bundle whose width grew, at its path for
    /// the new size (a path already at its width at `old_size` is committed: never rewritten).
    fn objects_of(c: &Commit<'_>) -> Result<Vec<(String, Vec<u8>)>, ClusterError> {
        let (old, new) = (c.old_size, c.checkpoint.size);
        let mut out = Vec::with_capacity(c.tiles.len() + c.bundles.len());
        for t in c.tiles {
            let w = width_at(new, t.level, t.n);
            if w == 0 || t.data.len() as u64 != w * 32 {
                return Err(ClusterError::Corrupt(format!(
                    "the batch's tile {} holds {} bytes; at size {new} it holds {w} hashes",
                    tile_path(t.level, t.n, t.width()),
                    t.data.len()
                )));
            }
            if width_at(old, t.level, t.n) != w {
                out.push((tile_path(t.level, t.n, w as u16), t.data.clone()));
            }
        }
        for (n, data) in c.bundles {
            let w = width_at(new, 0, *n);
            let count = decode_bundle(data)
                .map_err(|e| ClusterError::Corrupt(format!("the batch's bundle {n}: {e}")))?
                .len() as u64;
            if w == 0 || count != w {
                return Err(ClusterError::Corrupt(format!(
                    "the batch's bundle {} holds {count} entries; at size {new} it holds {w}",
                    entries_path(*n, 0)
                )));
            }
            if width_at(old, 0, *n) != w {
                out.push((entries_path(*n, w as u16), data.clone()));
            }
        }
        Ok(out)
    }
}

impl LogStorage for ClusterStorage {
    fn meta(&self) -> Result<Option<LogMeta>, StoreError> {
        Ok(self.db.meta()?)
    }

    fn init(&mut self, meta: &LogMeta, empty: &SignedCheckpoint) -> Result<(), StoreError> {
        self.db.ensure_schema()?;
        if !self.db.init(meta, empty)? {
            return Err(StoreError::AlreadyInitialised {
                path: self.db.describe().to_string(),
            });
        }
        self.saw(empty.size);
        // Whatever `checkpoint` the bucket holds is not of this log (its database was just
        // initialised): replaced, even if it names a larger size.
        let r = self.bucket.put(CHECKPOINT, &empty.note);
        *self.publish_error.lock().unwrap_or_else(|p| p.into_inner()) =
            r.err().map(|e| e.to_string());
        Ok(())
    }

    fn latest_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.latest()?.map(|l| {
            self.saw(l.size);
            l.note
        }))
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.checkpoint_at(size)?.map(|c| c.note))
    }

    fn checkpoint_sizes(&self) -> Result<Vec<u64>, StoreError> {
        Ok(self.db.checkpoint_sizes()?)
    }

    fn read_tile(&self, level: u8, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        match self.committed_width(level, n)? {
            0 => Ok(None),
            w => Ok(self.bucket.get(&tile_path(level, n, w as u16))?),
        }
    }

    fn read_bundle(&self, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        match self.committed_width(0, n)? {
            0 => Ok(None),
            w => Ok(self.bucket.get(&entries_path(n, w as u16))?),
        }
    }

    fn commit(&mut self, c: &Commit<'_>) -> Result<(), StoreError> {
        let new = c.checkpoint.size;
        if new <= c.old_size {
            return Err(StoreError::Corrupt(format!(
                "a commit must grow the log: size {} to {new}",
                c.old_size
            )));
        }
        let objects = Self::objects_of(c)?;
        // 1. Lock and check (a stale writer stops before it writes anything), 2. the objects,
        // under the lock, 3. the compare-and-swap: one PostgreSQL transaction.
        let cas = self.db.locked_swap(c.old_size, c.checkpoint, || {
            self.bucket.put_many(objects)?;
            self.fail_at(FailPoint::AfterObjects)
        })?;
        match cas {
            Cas::Swapped => {}
            Cas::Conflict { stored } => {
                self.saw(stored);
                return Err(StoreError::Conflict {
                    stored,
                    expected: c.old_size,
                });
            }
            Cas::NotInitialised => {
                return Err(StoreError::NotInitialised {
                    path: self.db.describe().to_string(),
                })
            }
        }
        self.saw(new);
        self.fail_at(FailPoint::AfterCas)?;
        // 4. The published checkpoint, last.
        self.publish_recorded(&c.checkpoint.origin, new, &c.checkpoint.note);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(width_at(0, 0, 0), 0);
        assert_eq!(width_at(5, 0, 0), 5);
        assert_eq!(width_at(256, 0, 0), 256);
        assert_eq!(width_at(256, 0, 1), 0);
        assert_eq!(width_at(300, 0, 1), 44);
        assert_eq!(width_at(300, 1, 0), 1);
        assert_eq!(width_at(255, 1, 0), 0);
        assert_eq!(width_at(65536 * 3 + 5, 2, 0), 3);
        assert_eq!(width_at(u64::MAX, 8, 0), 0);
        assert_eq!(width_at(u64::MAX, 7, 0), 255);
    }

    #[test]
    fn note_heads() {
        assert_eq!(note_head(b"o/log\n12\nroot\n\n"), Some(("o/log", 12)));
        assert_eq!(note_head(b"o/log\nx\n"), None);
        assert_eq!(note_head(&[0xff, 0xfe]), None);
    }
}
