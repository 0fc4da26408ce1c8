//! Truce's shared storage: [`ClusterStorage`], the [`LogStorage`] trait over PostgreSQL (the
//! sequencing database, the one commit point and the sequencer lease) and an S3-compatible bucket
//! (hash tiles, entry bundles and the published `checkpoint`, at their C2SP tlog-tiles paths, so
//! the bucket served as static files is a mirror that `truce verify` reads without the database).
//!
//! # What is where
//!
//! - PostgreSQL ([`pg`]): the log's metadata, the latest checkpoint and every signed checkpoint
//!   by size; the committed tiles and bundles not yet known to be in the bucket (pending
//!   objects); the size the bucket is known to hold; the sequencer lease ([`lease`]).
//! - The bucket ([`bucket`]): `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]` and
//!   `checkpoint`, and nothing else: **only committed content is ever written there.** Every
//!   object at such a path is a function of the committed entries (a full tile, a partial tile,
//!   a bundle), so it never changes once committed, and a late write of it by anyone writes the
//!   same bytes.
//! - Reads ([`LogStorage::read_tile`], [`LogStorage::read_bundle`]) take the version the
//!   committed size gives a tile, from the pending objects first, then the bucket;
//!   checkpoints are read from PostgreSQL.
//!
//! # Who may write
//!
//! Exactly one server, the holder of the sequencer lease ([`lease::Lease`]: a row with a holder,
//! an epoch and an expiry by PostgreSQL's clock). A storage writes only under a lease
//! ([`ClusterStorage::with_lease`]); one without can read, and [`LogStorage::init`] a new log.
//!
//! # A commit, step by step
//!
//! [`ClusterStorage::commit`] of a batch growing the log from `old_size` to `new_size`:
//!
//! 1. **The commit point, one PostgreSQL transaction** ([`pg::Db::commit`]): the lease row still
//!    holds this storage's epoch and has not expired (locked `FOR KEY SHARE`, so a takeover
//!    waits for this transaction to end) — else [`ClusterError::Fenced`], nothing written —;
//!    `UPDATE truce_log_latest … WHERE size = old_size` — else [`StoreError::Conflict`] —; the
//!    checkpoint recorded by size; every tile and bundle whose width grew inserted as a pending
//!    object at its C2SP path for `new_size`; COMMIT. When it returns (PostgreSQL with `fsync`
//!    and `synchronous_commit` on) the whole batch is durable, in PostgreSQL alone, and readable
//!    by every server. No lock is held while talking to the bucket, and nothing was sent to it.
//! 2. **Publication** (the same call, after the commit; also [`ClusterStorage::publish_checkpoint`]
//!    and the lease holder's [`Publisher`], every [`REPUBLISH_EVERY`]): the lease is checked;
//!    the committed objects not yet published are copied from PostgreSQL to the bucket; the
//!    lease is checked again; the bucket's `checkpoint` is written **last**, unless the one
//!    there is of this log and at least as large; then PostgreSQL records the published size and
//!    deletes the pending objects it covers (only after the bucket acknowledged them: Garage with
//!    `data_fsync` and `metadata_fsync` on). A failed publication does not fail the commit (it is
//!    durable already): it is remembered ([`ClusterStorage::publish_error`]) and the next
//!    publication does it again.
//!
//! # What a crash or a stop at each step leaves
//!
//! - Before or inside the transaction: nothing. A writer stopped (SIGSTOP) or partitioned with
//!   its transaction open holds its locks at most
//!   [`pg::IDLE_IN_TRANSACTION_TIMEOUT_MS`] (3 s) after its last statement: PostgreSQL then ends
//!   the session and rolls the transaction back, and the writer's COMMIT, if it ever wakes up,
//!   fails.
//! - After the COMMIT, before or during the publication: the batch is committed and served from
//!   the pending objects; the bucket holds some of its objects (committed content) and an older
//!   `checkpoint` — a consistent mirror, only behind — until the next publication (the
//!   restarted server's, or the next lease holder's within [`REPUBLISH_EVERY`] of taking over).
//! - After the bucket's `checkpoint`, before PostgreSQL records it: the next publication writes
//!   the same objects again (the same bytes) and records it.
//!
//! # Why nothing a deposed writer does becomes visible
//!
//! A writer is deposed when its lease expired (it stopped renewing: stopped, partitioned, dead)
//! and another server took it (epoch + 1). Its commit, whenever it is sent, checks the epoch in
//! its own transaction and is refused; one sent before the takeover either committed before the
//! takeover (the takeover waits for it: it is then part of the log the new sequencer loads) or
//! was rolled back by PostgreSQL. So every checkpoint in PostgreSQL was committed under the lease
//! of its time, by compare-and-swap: never two of one size. Its publications are refused once it
//! sees the lease lost; and what it could still send to the bucket, in flight when it stopped,
//! is only ever committed content (objects read back from PostgreSQL, or its own batch after its
//! COMMIT succeeded): the same bytes every server would write at those paths. The entries it
//! had not committed were never sent anywhere but its own (rolled back) transaction.
//!
//! **The one window**: the bucket's `checkpoint` is read, compared and written in two requests,
//! and Garage ignores a conditional `PUT` (`If-Match`: it honours it on `GET` and copies only),
//! so a publisher stopped between the two can, on waking, write an *older* committed checkpoint
//! over a newer one. (Within one process the storages sharing a lease publish one at a time
//! from the read to the write, so only a deposed process can.) That checkpoint is one PostgreSQL committed (same root as PostgreSQL's at
//! its size), every object it names is in the bucket, so the mirror stays consistent, only
//! behind; the lease holder's [`Publisher`] writes the latest again within [`REPUBLISH_EVERY`]
//! (1 s). A verifier that remembers a larger checkpoint sees an older one for at most that long,
//! which tlog clients must tolerate from any mirror anyway (tests/takeover.rs checks the
//! correction).

pub mod bucket;
pub mod cache;
pub mod lease;
pub mod pg;
pub mod spec;
#[cfg(feature = "testkit")]
pub mod testkit;

use bucket::{Bucket, BucketConfig, CHECKPOINT};
use lease::Lease;
use pg::{Cas, Db};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;
use truce_log::{decode_bundle, entries_path, tile_path, SignedCheckpoint, TILE_WIDTH};
use truce_store::{Commit, LogMeta, LogStorage, StoreError};

/// How often the lease holder's [`Publisher`] publishes the latest checkpoint again (and any
/// committed object not yet in the bucket).
pub const REPUBLISH_EVERY: Duration = Duration::from_secs(1);

/// Pending objects read back from PostgreSQL at once when publishing: at most this many…
const PUBLISH_GROUP: usize = 256;
/// …and about this many bytes.
const PUBLISH_GROUP_BYTES: u64 = 32 << 20;

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
    /// The sequencer lease this storage writes under is no longer held (it expired, or another
    /// server took it over): the commit or publication was refused and nothing was written.
    #[error("the sequencer lease of epoch {epoch} ({holder}) is no longer held: another server may be the sequencer; this one must not write")]
    Fenced {
        /// The lease's epoch.
        epoch: i64,
        /// Its holder.
        holder: String,
    },
    /// A fault injected by a test hook ([`FailPoint`]).
    #[error("injected fault: {0}")]
    Injected(String),
    /// The sequencer lease is held by another process (a server): this one may not write.
    #[error("the log's sequencer lease is held by {holder} (epoch {epoch}): while a server is the sequencer, write through its API (`truce submit --server URL`, `POST /v1/entries`), or stop the servers first")]
    Busy {
        /// Who holds it.
        holder: String,
        /// Its epoch.
        epoch: i64,
    },
    /// A write was asked of a storage that holds no sequencer lease.
    #[error("this storage holds no sequencer lease: only the lease holder writes (ClusterStorage::with_lease)")]
    NoLease,
}

impl ClusterError {
    /// Whether `e` is a refusal by fencing ([`ClusterError::Fenced`] or
    /// [`ClusterError::NoLease`], carried as [`StoreError::Fenced`]): this server is not (or no
    /// longer) the sequencer.
    pub fn is_fenced(e: &StoreError) -> bool {
        matches!(e, StoreError::Fenced(_))
    }
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
            ClusterError::Injected(why) => StoreError::Injected(why),
            fenced @ (ClusterError::Fenced { .. }
            | ClusterError::NoLease
            | ClusterError::Busy { .. }) => StoreError::Fenced(fenced.to_string()),
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

/// Where [`ClusterStorage::commit`] or a publication stops or pauses (tests of what a crash or
/// a SIGSTOP at each step leaves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// Inside the commit's PostgreSQL transaction, after the lease check, the compare-and-swap
    /// and the objects' inserts, before COMMIT. A hook that blocks here is a writer stopped
    /// with its transaction open.
    InTransaction,
    /// After the commit, before anything is published.
    AfterCommit,
    /// In a publication: the objects are in the bucket, its `checkpoint` not yet written.
    AfterObjects,
    /// In a publication, after the lease was checked and the bucket's `checkpoint` read and
    /// found older, just before it is written: a hook that blocks here is a publisher stopped
    /// with its `PUT` in flight.
    BeforeCheckpoint,
}

/// Called at each [`FailPoint`]; an `Err` stops the commit or publication there (as a crash
/// would), with [`StoreError::Injected`] / [`ClusterError::Injected`].
pub type Hook = Box<dyn FnMut(FailPoint) -> Result<(), String> + Send>;

/// The lease a [`ClusterStorage`] writes under, shared by the storages of one server (its
/// writer's and its publisher's): set when the server wins the lease, cleared when it loses it.
#[derive(Debug, Clone, Default)]
pub struct LeaseSlot(Arc<std::sync::RwLock<Option<Arc<Lease>>>>);

impl LeaseSlot {
    /// The lease held now, if any (it may since have been found lost: see [`Lease::is_lost`]).
    pub fn get(&self) -> Option<Arc<Lease>> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sets or clears it.
    pub fn set(&self, lease: Option<Arc<Lease>>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = lease;
    }
}

/// A log in PostgreSQL and an S3 bucket (see the crate docs).
pub struct ClusterStorage {
    db: Db,
    bucket: Bucket,
    lease: LeaseSlot,
    /// The largest committed size this handle has seen: tiles complete at it are immutable.
    known: AtomicU64,
    origin: OnceLock<String>,
    hook: Mutex<Option<Hook>>,
    publish_error: Mutex<Option<String>>,
    /// The renewal of a lease this storage took for itself ([`acquire_lease`](Self::acquire_lease)),
    /// released when it is dropped.
    own: Option<lease::Keeper>,
    /// Whether reads use the process's [`cache::ObjectCache`] (a check of the stored objects
    /// themselves does not: [`uncached`](Self::uncached)).
    cached: bool,
}

impl std::fmt::Debug for ClusterStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterStorage")
            .field("db", &self.db)
            .field("bucket", &self.bucket)
            .field(
                "lease",
                &self.lease().map(|l| (l.holder().to_string(), l.epoch())),
            )
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

/// A signed note's body: its text up to the blank line before the signatures.
fn note_body(note: &[u8]) -> Option<&[u8]> {
    note.windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| &note[..=i])
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
    /// Connects to the database at `pg_url` (creating the schema if needed) and the bucket. The
    /// storage reads; to write, give it the sequencer lease ([`with_lease`](Self::with_lease)).
    pub fn open(pg_url: &str, bucket: &BucketConfig) -> Result<Self, ClusterError> {
        let db = Db::connect(pg_url)?;
        let bucket = Bucket::open(bucket)?;
        let known = db.latest_size()?.unwrap_or(0);
        Ok(ClusterStorage {
            db,
            bucket,
            lease: LeaseSlot::default(),
            known: AtomicU64::new(known),
            origin: OnceLock::new(),
            hook: Mutex::new(None),
            publish_error: Mutex::new(None),
            own: None,
            cached: true,
        })
    }

    /// This storage, writing under `lease` (commits and publications are checked against its
    /// epoch).
    pub fn with_lease(self, lease: Arc<Lease>) -> Self {
        self.lease.set(Some(lease));
        self
    }

    /// This storage, reading every object from PostgreSQL or the bucket, never from the
    /// process's cache of committed objects: to check what is stored (`truce_store::check` of
    /// a process that also wrote).
    pub fn uncached(mut self) -> Self {
        self.cached = false;
        self
    }

    /// This storage, writing under a lease it takes for itself as `holder`, waiting at most
    /// `wait` for it ([`ClusterError::Busy`] if another keeps it): a command-line writer on a
    /// shared log. The lease is renewed in the background until the storage is dropped, then
    /// released.
    pub fn acquire_lease(
        mut self,
        pg_url: &str,
        holder: &str,
        wait: Duration,
    ) -> Result<Self, ClusterError> {
        let poll = Duration::from_millis(250);
        match Lease::acquire_within(pg_url, holder, lease::DEFAULT_TTL, poll, wait)? {
            Some(lease) => {
                let lease = Arc::new(lease);
                self.own = Some(lease.keep(lease::DEFAULT_RENEW));
                self.lease.set(Some(lease));
                Ok(self)
            }
            None => {
                let state = self.db.lease_state()?;
                Err(ClusterError::Busy {
                    holder: state
                        .as_ref()
                        .map_or_else(String::new, |s| s.holder.clone()),
                    epoch: state.map_or(0, |s| s.epoch),
                })
            }
        }
    }

    /// This storage, writing under whatever lease `slot` holds at each commit: a server hands
    /// its writer's storage the lease when it wins it, and takes it back when it is lost.
    pub fn with_lease_slot(mut self, slot: LeaseSlot) -> Self {
        self.lease = slot;
        self
    }

    /// Sets (or, with `None`, drops) the lease this storage writes under.
    pub fn set_lease(&self, lease: Option<Arc<Lease>>) {
        self.lease.set(lease);
    }

    /// The lease this storage writes under, if any.
    pub fn lease(&self) -> Option<Arc<Lease>> {
        self.lease.get()
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The bucket, raw (tests and tools read it; this storage writes only committed content to
    /// it, and only under the lease).
    pub fn bucket(&self) -> &Bucket {
        &self.bucket
    }

    /// Makes the next commits stop at `point` (tests of what a crash leaves); `None` clears it.
    pub fn set_fail_point(&self, point: Option<FailPoint>) {
        self.set_hook(point.map(|point| -> Hook {
            Box::new(move |at| {
                if at == point {
                    Err(format!("stopped {at:?}"))
                } else {
                    Ok(())
                }
            })
        }));
    }

    /// Calls `hook` at every [`FailPoint`] of the next commits and publications (tests: a stop,
    /// or another writer's work, between two steps); `None` clears it.
    pub fn set_hook(&self, hook: Option<Hook>) {
        *self.hook.lock().unwrap_or_else(|p| p.into_inner()) = hook;
    }

    fn fail_at(&self, point: FailPoint) -> Result<(), ClusterError> {
        let mut hook = self.hook.lock().unwrap_or_else(|p| p.into_inner());
        match hook.as_mut().map(|h| h(point)) {
            Some(Err(why)) => Err(ClusterError::Injected(why)),
            _ => Ok(()),
        }
    }

    /// Why the last publication after a commit failed, if it did (cleared by the next that
    /// succeeds).
    pub fn publish_error(&self) -> Option<String> {
        self.publish_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The lease, if this storage may still write under it.
    fn writer(&self) -> Result<Arc<Lease>, ClusterError> {
        let lease = self.lease().ok_or(ClusterError::NoLease)?;
        if lease.is_lost() {
            return Err(fenced(&lease));
        }
        Ok(lease)
    }

    /// Fails with [`ClusterError::Fenced`] unless PostgreSQL says `lease` is held now.
    fn check_lease(&self, lease: &Lease) -> Result<(), ClusterError> {
        if self.db.lease_valid(lease.epoch())? {
            Ok(())
        } else {
            lease.mark_lost();
            Err(fenced(lease))
        }
    }

    fn origin(&self) -> Result<&str, ClusterError> {
        if let Some(o) = self.origin.get() {
            return Ok(o);
        }
        let meta = self
            .db
            .meta()?
            .ok_or_else(|| ClusterError::Corrupt("the log is not initialised".into()))?;
        Ok(self.origin.get_or_init(|| meta.origin))
    }

    /// Publishes everything committed (under the lease): the committed objects not yet in the
    /// bucket, then PostgreSQL's latest checkpoint as the bucket's `checkpoint` (unless the one
    /// there is at least as large), then records it. Returns the size published. Refused
    /// ([`ClusterError::Fenced`], [`ClusterError::NoLease`]) unless this storage holds the lease.
    pub fn publish_checkpoint(&self) -> Result<u64, ClusterError> {
        let lease = self.writer()?;
        self.check_lease(&lease)?;
        let Some(latest) = self.db.latest()? else {
            return Ok(0);
        };
        // Read back and written a group at a time (a bundle may be up to 16 MiB).
        let index = self.db.pending_index(latest.size)?;
        let mut group: Vec<&str> = Vec::new();
        let mut bytes = 0u64;
        for (i, (path, len)) in index.iter().enumerate() {
            group.push(path);
            bytes += len;
            if bytes >= PUBLISH_GROUP_BYTES || group.len() >= PUBLISH_GROUP || i + 1 == index.len()
            {
                let objects = self.db.pending_objects(&group)?;
                self.bucket.put_many(objects)?;
                group.clear();
                bytes = 0;
            }
        }
        // The latest checkpoint as the witnesses cosigned it, when the sequencer's last round
        // was of that size: the bucket then carries the cosignatures too.
        let note = match self.db.witnessed()? {
            Some((size, cosigned))
                if size == latest.size && note_body(&cosigned) == note_body(&latest.note) =>
            {
                cosigned
            }
            _ => latest.note,
        };
        self.finish_publication(&lease, latest.size, &note, !index.is_empty())
    }

    /// The end of a publication whose objects (every one made at sizes up to `size`) are in
    /// the bucket: the bucket's `checkpoint` last, then the record in PostgreSQL (skipped when
    /// nothing was written: nothing changed).
    fn finish_publication(
        &self,
        lease: &Lease,
        size: u64,
        note: &[u8],
        wrote_objects: bool,
    ) -> Result<u64, ClusterError> {
        self.fail_at(FailPoint::AfterObjects)?;
        self.check_lease(lease)?;
        let origin = self.origin()?;
        let wrote_checkpoint = {
            // One publication of this process at a time from the read to the write.
            let _one = lease.publishing();
            let there = self.bucket.get(CHECKPOINT)?;
            // As large: a larger checkpoint, or this one with at least as many signatures (the
            // same body cosigned is longer).
            let as_large = there.as_deref().is_some_and(|t| {
                note_head(t).is_some_and(|(o, s)| {
                    o == origin && (s > size || (s == size && t.len() >= note.len()))
                })
            });
            if !as_large {
                self.fail_at(FailPoint::BeforeCheckpoint)?;
                self.bucket.put(CHECKPOINT, note)?;
            }
            !as_large
        };
        if wrote_objects || wrote_checkpoint {
            self.db.mark_published(size)?;
        }
        Ok(size)
    }

    /// The publication right after a commit from `old` to `new`, whose objects are in hand:
    /// when everything up to `old` is published, only these are written, else all that is
    /// pending.
    fn publish_commit(
        &self,
        lease: &Lease,
        old: u64,
        new: u64,
        note: &[u8],
        objects: Vec<(String, Vec<u8>)>,
    ) -> Result<u64, ClusterError> {
        if self.db.published_size()? < old {
            return self.publish_checkpoint();
        }
        // Committed content: written whoever holds the lease now (the lease is checked before
        // the checkpoint, which is what can go back).
        self.bucket.put_many(objects)?;
        self.finish_publication(lease, new, note, true)
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

    /// A committed object: pending in PostgreSQL, else in the bucket (a pending object is
    /// deleted only once the bucket holds it).
    fn read_object(&self, path: &str) -> Result<Option<Vec<u8>>, ClusterError> {
        let cache = cache::ObjectCache::global();
        let at = self.bucket.describe();
        if self.cached {
            if let Some(bytes) = cache.get(at, path) {
                return Ok(Some(bytes.as_ref().clone()));
            }
        }
        let found = match self.db.pending(path)? {
            Some(bytes) => Some(bytes),
            None => self.bucket.get(path)?,
        };
        // Only asked at a committed width: committed content, named for good by its path.
        if let Some(bytes) = &found {
            cache.put(at, path, bytes);
        }
        Ok(found)
    }

    /// The objects a commit stores: every tile and bundle whose width grew, at its path for
    /// the new size (a path already at its width at `old_size` is committed: never written
    /// again).
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

fn fenced(lease: &Lease) -> ClusterError {
    ClusterError::Fenced {
        epoch: lease.epoch(),
        holder: lease.holder().to_string(),
    }
}

impl Drop for ClusterStorage {
    fn drop(&mut self) {
        if let Some(keeper) = self.own.take() {
            keeper.stop();
            if let Some(lease) = self.lease.get() {
                let _ = lease.release();
            }
        }
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
        cache::ObjectCache::global().forget(self.bucket.describe());
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
            w => Ok(self.read_object(&tile_path(level, n, w as u16))?),
        }
    }

    fn read_bundle(&self, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        match self.committed_width(0, n)? {
            0 => Ok(None),
            w => Ok(self.read_object(&entries_path(n, w as u16))?),
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
        let lease = self.writer()?;
        let objects = Self::objects_of(c)?;
        // 1. The commit point: lease check, compare-and-swap and objects in one transaction.
        let cas = self
            .db
            .commit(lease.epoch(), c.old_size, c.checkpoint, &objects, || {
                Ok(self.fail_at(FailPoint::InTransaction)?)
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
            Cas::Fenced => {
                lease.mark_lost();
                return Err(fenced(&lease).into());
            }
        }
        self.saw(new);
        // Committed: readers of this process (proofs of the acknowledgements) find the batch's
        // objects in memory.
        let cache = cache::ObjectCache::global();
        for (path, bytes) in &objects {
            cache.put(self.bucket.describe(), path, bytes);
        }
        self.fail_at(FailPoint::AfterCommit)?;
        // 2. The publication: objects, then the bucket's checkpoint, last.
        let r = self.publish_commit(&lease, c.old_size, new, &c.checkpoint.note, objects);
        *self.publish_error.lock().unwrap_or_else(|p| p.into_inner()) =
            r.err().map(|e| e.to_string());
        Ok(())
    }
}

/// The lease holder's background publication: [`ClusterStorage::publish_checkpoint`] every
/// interval ([`REPUBLISH_EVERY`]), so committed objects reach the bucket even when the
/// publication after a commit failed, and an older `checkpoint` written late by a deposed
/// publisher is replaced within one interval. Stops when dropped, or when the storage's lease is
/// found lost.
#[derive(Debug)]
pub struct Publisher {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
    last: Arc<Mutex<Option<Result<u64, String>>>>,
}

impl Publisher {
    /// Starts publishing through `storage` (which must hold the lease) every `every`, the first
    /// time at once.
    pub fn start(storage: ClusterStorage, every: Duration) -> Publisher {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let last = Arc::new(Mutex::new(None));
        let (flag, out) = (stop.clone(), last.clone());
        let thread = std::thread::Builder::new()
            .name("truce-publisher".into())
            .spawn(move || {
                let (lock, cv) = &*flag;
                loop {
                    let r = storage.publish_checkpoint();
                    let end = matches!(r, Err(ClusterError::Fenced { .. } | ClusterError::NoLease));
                    *out.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some(r.map_err(|e| e.to_string()));
                    if end {
                        return;
                    }
                    let stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
                    let (stopped, _) = cv
                        .wait_timeout_while(stopped, every, |s| !*s)
                        .unwrap_or_else(|p| p.into_inner());
                    if *stopped {
                        return;
                    }
                }
            })
            .ok();
        Publisher { stop, thread, last }
    }

    /// What the last publication did: the size published, or why it failed (`None` before the
    /// first).
    pub fn last(&self) -> Option<Result<u64, String>> {
        self.last.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether it still runs (it ends when the lease is lost).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Stops it.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let (lock, cv) = &*self.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.halt();
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
    fn note_bodies() {
        assert_eq!(note_body(b"o\n2\nr\n\n- sig\n"), Some(&b"o\n2\nr\n"[..]));
        assert_eq!(note_body(b"no blank line"), None);
    }

    #[test]
    fn note_heads() {
        assert_eq!(note_head(b"o/log\n12\nroot\n\n"), Some(("o/log", 12)));
        assert_eq!(note_head(b"o/log\nx\n"), None);
        assert_eq!(note_head(&[0xff, 0xfe]), None);
    }
}
