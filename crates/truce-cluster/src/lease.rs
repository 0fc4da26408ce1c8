//! The sequencer lease: which one server may commit to the log, with fencing.
//!
//! One row in PostgreSQL, `truce_lease(holder, epoch, expires_at)`, judged by PostgreSQL's clock
//! only (`clock_timestamp()`; the servers' clocks are never read):
//!
//! - [`Lease::acquire`] takes it when it is free or expired: its `epoch` grows by one and it
//!   expires [`DEFAULT_TTL`] (5 s) later. It locks the row `FOR UPDATE`, so it waits for the
//!   commits of the current epoch in flight (each holds the row `FOR KEY SHARE` for its
//!   transaction): every commit of an epoch is ordered before the next epoch begins.
//! - [`Lease::renew`] extends it while it is still held (same epoch); [`Keeper`] renews every
//!   [`DEFAULT_RENEW`] (1 s) on a thread of its own, with a connection of its own.
//! - [`Lease::release`] ends it at once (a clean shutdown), so another server takes over without
//!   waiting for the expiry.
//!
//! **Fencing**: every commit checks, inside its own transaction, that the lease row still holds
//! the committer's epoch and has not expired (`WHERE epoch = $mine AND expires_at >
//! clock_timestamp()`, [`crate::pg::Db::commit`]), so a sequencer that was stopped or partitioned
//! and wakes up with a stale view of the lease has its commit refused
//! ([`ClusterError::Fenced`]), whatever it believes. Publishing to
//! the bucket checks the lease too (see the crate docs for the one write that check cannot
//! refuse).
//!
//! **A stopped holder cannot keep the log down**: a takeover needs only the expiry (at most the
//! TTL after the last renewal) and the row lock, which a stopped holder can keep only inside an
//! open transaction, which PostgreSQL ends within
//! [`IDLE_IN_TRANSACTION_TIMEOUT_MS`](crate::pg::IDLE_IN_TRANSACTION_TIMEOUT_MS) (3 s) of its
//! last statement. Nothing here uses session-level advisory locks, which a live connection of a
//! stopped process would hold for ever. A server that stops renewing is replaced within TTL + one
//! poll of [`Lease::acquire_within`] (about 6 s with the defaults).

use crate::pg::{Db, LeaseState};
use crate::ClusterError;
use std::io::Read as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a lease lasts after it is taken or renewed.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5);
/// How often a [`Keeper`] renews it.
pub const DEFAULT_RENEW: Duration = Duration::from_secs(1);

/// A held (or once held) sequencer lease.
#[derive(Debug)]
pub struct Lease {
    db: Db,
    holder: String,
    epoch: i64,
    ttl: Duration,
    lost: AtomicBool,
    /// Held from reading the bucket's `checkpoint` to writing it: the storages of one process
    /// (which share its lease) never write an older one over a newer.
    publishing: Mutex<()>,
}

/// A holder name unique to this process: the host name, the process id and random bytes.
pub fn holder_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let mut rnd = [0u8; 4];
    let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut rnd));
    let rnd: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
    format!("{host}/{}/{rnd}", std::process::id())
}

impl Lease {
    /// Takes the lease of the log at `url` for `holder` if it is free or expired; `None` if
    /// another holds it. The lease keeps a PostgreSQL connection of its own.
    pub fn acquire(url: &str, holder: &str, ttl: Duration) -> Result<Option<Lease>, ClusterError> {
        let db = Db::connect(url)?;
        Ok(db
            .lease_acquire(holder, ttl)?
            .map(|epoch| Lease::new(db, holder, epoch, ttl)))
    }

    fn new(db: Db, holder: &str, epoch: i64, ttl: Duration) -> Lease {
        Lease {
            db,
            holder: holder.to_string(),
            epoch,
            ttl,
            lost: AtomicBool::new(false),
            publishing: Mutex::new(()),
        }
    }

    /// Tries [`acquire`](Self::acquire) every `poll` until it succeeds or `limit` has passed
    /// (`None` then). Errors (PostgreSQL away, a lock wait timed out) are retried until `limit`,
    /// then returned.
    pub fn acquire_within(
        url: &str,
        holder: &str,
        ttl: Duration,
        poll: Duration,
        limit: Duration,
    ) -> Result<Option<Lease>, ClusterError> {
        let start = Instant::now();
        let mut conn: Option<Db> = None;
        loop {
            let attempt = match conn.take() {
                Some(db) => Ok(db),
                None => Db::connect(url),
            }
            .and_then(|db| match db.lease_acquire(holder, ttl) {
                Ok(Some(epoch)) => Ok(Some(Lease::new(db, holder, epoch, ttl))),
                Ok(None) => {
                    // The connection is kept for the next attempt.
                    conn = Some(db);
                    Ok(None)
                }
                Err(e) => Err(e),
            });
            match attempt {
                Ok(Some(lease)) => return Ok(Some(lease)),
                Ok(None) if start.elapsed() >= limit => return Ok(None),
                Err(e) if start.elapsed() >= limit => return Err(e),
                _ => std::thread::sleep(poll),
            }
        }
    }

    /// Who holds it.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Its epoch: the fencing token every commit made under it is checked against.
    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// How long it lasts after each renewal.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Extends it by the TTL from now (PostgreSQL's clock). `Ok(false)` if it is no longer held
    /// (expired, or taken over): it is then lost for good (a new [`acquire`](Self::acquire)
    /// gives a new epoch).
    pub fn renew(&self) -> Result<bool, ClusterError> {
        if self.is_lost() {
            return Ok(false);
        }
        let held = self.db.lease_renew(self.epoch, self.ttl)?;
        if !held {
            self.lost.store(true, Ordering::Release);
        }
        Ok(held)
    }

    /// Whether PostgreSQL says it is held now (not expired, not taken over).
    pub fn is_held(&self) -> Result<bool, ClusterError> {
        if self.is_lost() {
            return Ok(false);
        }
        let held = self.db.lease_valid(self.epoch)?;
        if !held {
            self.lost.store(true, Ordering::Release);
        }
        Ok(held)
    }

    /// Whether this process already knows it is lost (a renewal or a commit found it so).
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }

    /// The lock held over a publication's read and write of the bucket's `checkpoint`.
    pub(crate) fn publishing(&self) -> std::sync::MutexGuard<'_, ()> {
        self.publishing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks it lost (a commit was fenced).
    pub(crate) fn mark_lost(&self) {
        self.lost.store(true, Ordering::Release);
    }

    /// Ends it now if it is still held, so another server can take it at once.
    pub fn release(&self) -> Result<(), ClusterError> {
        self.lost.store(true, Ordering::Release);
        self.db.lease_release(self.epoch)
    }

    /// Names a new holder in the lease row (the same lease, the same epoch): a server that took
    /// it before it knew the URL it serves at. `false` if it is no longer held.
    pub fn rename(&self, holder: &str) -> Result<bool, ClusterError> {
        self.db.lease_rename(self.epoch, holder)
    }

    /// The lease row as it stands.
    pub fn state(&self) -> Result<Option<LeaseState>, ClusterError> {
        self.db.lease_state()
    }

    /// Starts renewing it every `every` on a thread of its own until the [`Keeper`] is stopped
    /// or dropped, or the lease is found lost.
    pub fn keep(self: &Arc<Self>, every: Duration) -> Keeper {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let (lease, flag) = (self.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("truce-lease".into())
            .spawn(move || {
                let (lock, cv) = &*flag;
                let mut stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
                loop {
                    let (s, _) = cv
                        .wait_timeout(stopped, every)
                        .unwrap_or_else(|p| p.into_inner());
                    stopped = s;
                    if *stopped {
                        return;
                    }
                    // A failed renewal (PostgreSQL away a moment) is tried again next time; the
                    // lease simply expires if it keeps failing, and commits check it anyway.
                    if let Ok(false) = lease.renew() {
                        return;
                    }
                }
            })
            .ok();
        Keeper { stop, thread }
    }
}

/// Renews a [`Lease`] in the background (see [`Lease::keep`]); stops when dropped.
#[derive(Debug)]
pub struct Keeper {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Keeper {
    /// Stops renewing (the lease then expires after its TTL unless released).
    pub fn stop(mut self) {
        self.halt();
    }

    /// Whether the renewing thread is running (it ends when the lease is found lost).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
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

impl Drop for Keeper {
    fn drop(&mut self) {
        self.halt();
    }
}
