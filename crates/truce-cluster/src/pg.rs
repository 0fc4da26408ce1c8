//! The PostgreSQL side: the log's metadata, the latest checkpoint and every signed checkpoint by
//! size, the committed objects not yet published to the bucket, the sequencer lease, and the one
//! commit point — [`Db::commit`]: the lease check, the compare-and-swap of the latest
//! checkpoint's size and the batch's objects in one transaction.
//!
//! Schema (version 2), created idempotently under a transaction-scoped advisory lock (so servers
//! starting together do not race on `CREATE TABLE IF NOT EXISTS`; a version-1 database is
//! upgraded in place by adding the tables):
//!
//! - `truce_log_meta(key, value)`: `schema`, `origin`, `vkey`;
//! - `truce_log_latest(id = true, size, root, note)`: exactly one row once initialised, the
//!   latest checkpoint; its `size` is what the compare-and-swap compares;
//! - `truce_log_checkpoints(size, root, note)`: every signed checkpoint, by size;
//! - `truce_log_pending(path, size, bytes)`: each committed tile or bundle version (at its C2SP
//!   path) not yet known to be in the bucket, with the tree size whose commit made it;
//! - `truce_log_published(id = true, size)`: the largest size whose objects and checkpoint the
//!   bucket is known to hold;
//! - `truce_lease(id = true, holder, epoch, expires_at)`: the sequencer lease (see
//!   [`crate::lease`]), judged by PostgreSQL's clock only.
//!
//! The connection uses the synchronous `postgres` client. Every connection is made with a
//! connect timeout, TCP keepalives and a TCP user timeout (a dead peer is noticed), and
//! server-side [`STATEMENT_TIMEOUT_MS`], [`LOCK_TIMEOUT_MS`] and
//! [`IDLE_IN_TRANSACTION_TIMEOUT_MS`]: a stopped (SIGSTOP) or partitioned client's open
//! transaction — whose kernel still answers TCP keepalives — is ended by the server within 3 s
//! of its last statement, its locks released, so no lock it held keeps the next sequencer waiting
//! longer than that. A broken connection is made again before the next operation.

use crate::ClusterError;
use postgres::{Client, Config, NoTls};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use truce_log::SignedCheckpoint;
use truce_store::{LogMeta, StoreError};

/// The schema version this crate reads and writes.
pub const SCHEMA_VERSION: &str = "2";

/// Key of the advisory lock held (per transaction) while the schema is created.
const SCHEMA_LOCK: i64 = 0x7472_7563_655f_7367; // "truce_sg"

/// How long to wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest one statement may run (server side), in milliseconds.
pub const STATEMENT_TIMEOUT_MS: u32 = 5_000;
/// Longest a statement waits for a row lock, in milliseconds.
pub const LOCK_TIMEOUT_MS: u32 = 4_000;
/// Longest a session may sit in an open transaction without sending its next statement (a
/// stopped or partitioned client) before PostgreSQL ends it and rolls the transaction back,
/// releasing its locks, in milliseconds.
pub const IDLE_IN_TRANSACTION_TIMEOUT_MS: u32 = 3_000;

/// Server-side limits set on every connection.
fn server_options() -> String {
    format!(
        "-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS} -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
    )
}

/// A checkpoint as PostgreSQL holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: [u8; 32],
    /// The signed note.
    pub note: Vec<u8>,
}

/// What a compare-and-swap did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cas {
    /// The latest checkpoint is now the new one (committed, durable).
    Swapped,
    /// The stored size was not the expected one; nothing was changed.
    Conflict {
        /// The size found.
        stored: u64,
    },
    /// The log was never initialised.
    NotInitialised,
    /// The sequencer lease named is not held (expired, or another took it): nothing changed.
    Fenced,
}

/// A PostgreSQL database holding one log.
pub struct Db {
    config: Config,
    client: Mutex<Option<Client>>,
    describe: String,
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(c) = self
            .client
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            close(c);
        }
    }
}

/// Closes a synchronous client: it closes its connection on a runtime of its own, which cannot
/// run on an async task's thread, so there it is closed on a thread of its own.
pub fn close(client: Client) {
    if tokio::runtime::Handle::try_current().is_ok() {
        let _ = std::thread::Builder::new()
            .name("truce-pg-close".into())
            .spawn(move || drop(client));
    } else {
        drop(client);
    }
}

/// The client configuration of connection string `url` (a `postgres://` URL or `key=value`
/// pairs) with Truce's bounds: the connect timeout (unless the string sets one), TCP keepalives
/// and user timeout, and the session's `statement_timeout`, `lock_timeout` and
/// `idle_in_transaction_session_timeout` (added to any `options` the string has).
pub fn client_config(url: &str) -> Result<Config, postgres::Error> {
    let mut config: Config = url.parse()?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10))
        .keepalives_interval(Duration::from_secs(5))
        .keepalives_retries(3)
        .tcp_user_timeout(Duration::from_secs(30));
    let options = match config.get_options() {
        Some(o) if !o.is_empty() => format!("{o} {}", server_options()),
        _ => server_options(),
    };
    config.options(&options);
    Ok(config)
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("at", &self.describe).finish()
    }
}

fn pg(what: impl Into<String>) -> impl FnOnce(postgres::Error) -> ClusterError {
    let what = what.into();
    move |source| ClusterError::Postgres { what, source }
}

fn to_i64(v: u64, what: &str) -> Result<i64, ClusterError> {
    i64::try_from(v)
        .map_err(|_| ClusterError::Corrupt(format!("{what} {v} exceeds PostgreSQL's BIGINT")))
}

fn to_u64(v: i64, what: &str) -> Result<u64, ClusterError> {
    u64::try_from(v).map_err(|_| ClusterError::Corrupt(format!("{what} {v} is negative")))
}

fn to_root(v: &[u8]) -> Result<[u8; 32], ClusterError> {
    v.try_into().map_err(|_| {
        ClusterError::Corrupt(format!("a stored root hash is {} bytes, not 32", v.len()))
    })
}

impl Db {
    /// Connects to `url` (a `postgres://` URL or a `key=value` connection string) and creates the
    /// schema if it is not there. Fails if the database holds another schema version.
    pub fn connect(url: &str) -> Result<Db, ClusterError> {
        let config = client_config(url)
            .map_err(|e: postgres::Error| ClusterError::Config(format!("{url:?}: {e}")))?;
        let describe = describe(&config);
        let db = Db {
            config,
            client: Mutex::new(None),
            describe,
        };
        db.ensure_schema()?;
        Ok(db)
    }

    /// Where the database is, for messages (no password).
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// The connection, made again if there is none or it broke.
    fn client(&self) -> Result<MutexGuard<'_, Option<Client>>, ClusterError> {
        let mut guard = self.client.lock().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_none_or(Client::is_closed) {
            *guard = None;
            let c = self
                .config
                .connect(NoTls)
                .map_err(pg(format!("connecting to {}", self.describe)))?;
            *guard = Some(c);
        }
        Ok(guard)
    }

    /// Runs `f` on the connection.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, ClusterError>,
    ) -> Result<T, ClusterError> {
        let mut guard = self.client()?;
        match guard.as_mut() {
            Some(c) => f(c),
            None => Err(ClusterError::Corrupt("no PostgreSQL connection".into())),
        }
    }

    /// Creates the tables if they do not exist (idempotent, safe to run concurrently).
    pub fn ensure_schema(&self) -> Result<(), ClusterError> {
        self.with(|c| {
            let mut tx = c.transaction().map_err(pg("creating the schema"))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
                .map_err(pg("creating the schema"))?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS truce_log_meta(
                     key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 CREATE TABLE IF NOT EXISTS truce_log_latest(
                     id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
                     size BIGINT NOT NULL CHECK (size >= 0),
                     root BYTEA NOT NULL CHECK (length(root) = 32),
                     note BYTEA NOT NULL);
                 CREATE TABLE IF NOT EXISTS truce_log_checkpoints(
                     size BIGINT PRIMARY KEY CHECK (size >= 0),
                     root BYTEA NOT NULL CHECK (length(root) = 32),
                     note BYTEA NOT NULL);
                 CREATE TABLE IF NOT EXISTS truce_log_pending(
                     path TEXT PRIMARY KEY,
                     size BIGINT NOT NULL CHECK (size > 0),
                     bytes BYTEA NOT NULL);
                 CREATE INDEX IF NOT EXISTS truce_log_pending_size
                     ON truce_log_pending(size, path);
                 CREATE TABLE IF NOT EXISTS truce_log_published(
                     id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
                     size BIGINT NOT NULL CHECK (size >= 0));
                 CREATE TABLE IF NOT EXISTS truce_log_witnessed(
                     id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
                     size BIGINT NOT NULL CHECK (size >= 0),
                     note BYTEA NOT NULL);
                 CREATE TABLE IF NOT EXISTS truce_lease(
                     id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
                     holder TEXT NOT NULL,
                     epoch BIGINT NOT NULL CHECK (epoch >= 0),
                     expires_at TIMESTAMPTZ NOT NULL);
                 INSERT INTO truce_lease(id, holder, epoch, expires_at)
                     VALUES (TRUE, '', 0, '-infinity') ON CONFLICT (id) DO NOTHING;",
            )
            .map_err(pg("creating the schema"))?;
            // Pending objects are stored as they are (`EXTERNAL`: out of line, uncompressed):
            // PostgreSQL's attempt to compress each bundle cost most of a large batch's
            // transaction (bench/results/cluster-append-2026-12-07.txt). Set once per database,
            // so the exclusive lock it takes is taken only then.
            let storage: Option<String> = tx
                .query_opt(
                    "SELECT attstorage::text FROM pg_attribute
                     WHERE attrelid = 'truce_log_pending'::regclass AND attname = 'bytes'",
                    &[],
                )
                .map_err(pg("reading the pending objects' storage"))?
                .map(|r| r.get(0));
            if storage.as_deref() != Some("e") {
                tx.batch_execute(
                    "ALTER TABLE truce_log_pending ALTER COLUMN bytes SET STORAGE EXTERNAL",
                )
                .map_err(pg("storing pending objects uncompressed"))?;
            }
            let version: Option<String> = tx
                .query_opt("SELECT value FROM truce_log_meta WHERE key = 'schema'", &[])
                .map_err(pg("reading the schema version"))?
                .map(|r| r.get(0));
            if version.as_deref() == Some("1") {
                // Version 1 had no pending objects, publication record or lease: the tables
                // above are all it needs (its objects were all written before its commits).
                tx.execute(
                    "UPDATE truce_log_meta SET value = $1 WHERE key = 'schema'",
                    &[&SCHEMA_VERSION],
                )
                .map_err(pg("upgrading the schema"))?;
            } else if let Some(v) = version {
                if v != SCHEMA_VERSION {
                    return Err(ClusterError::Corrupt(format!(
                        "{} has schema version {v}; this truce reads version {SCHEMA_VERSION}",
                        self.describe
                    )));
                }
            }
            tx.commit().map_err(pg("creating the schema"))
        })
    }

    /// The log's metadata, `None` before [`init`](Self::init).
    pub fn meta(&self) -> Result<Option<LogMeta>, ClusterError> {
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT key, value FROM truce_log_meta WHERE key IN ('origin', 'vkey')",
                    &[],
                )
                .map_err(pg("reading the log's metadata"))?;
            let (mut origin, mut vkey) = (None, None);
            for r in rows {
                let k: String = r.get(0);
                let v: String = r.get(1);
                match k.as_str() {
                    "origin" => origin = Some(v),
                    _ => vkey = Some(v),
                }
            }
            Ok(match (origin, vkey) {
                (Some(origin), Some(vkey)) => Some(LogMeta { origin, vkey }),
                _ => None,
            })
        })
    }

    /// Stores the metadata and the empty checkpoint in one transaction. `Ok(false)` if the log
    /// was already initialised (nothing changed).
    pub fn init(&self, meta: &LogMeta, empty: &SignedCheckpoint) -> Result<bool, ClusterError> {
        let size = to_i64(empty.size, "checkpoint size")?;
        self.with(|c| {
            let mut tx = c.transaction().map_err(pg("initialising the log"))?;
            // The schema lock also serialises two concurrent initialisations.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
                .map_err(pg("initialising the log"))?;
            let exists = tx
                .query_opt("SELECT 1 FROM truce_log_meta WHERE key = 'origin'", &[])
                .map_err(pg("initialising the log"))?
                .is_some();
            if exists {
                return Ok(false);
            }
            for (k, v) in [
                ("schema", SCHEMA_VERSION),
                ("origin", meta.origin.as_str()),
                ("vkey", meta.vkey.as_str()),
            ] {
                tx.execute(
                    "INSERT INTO truce_log_meta(key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    &[&k, &v],
                )
                .map_err(pg("initialising the log"))?;
            }
            let root = &empty.root.0[..];
            tx.execute(
                "INSERT INTO truce_log_latest(id, size, root, note) VALUES (TRUE, $1, $2, $3)",
                &[&size, &root, &empty.note],
            )
            .map_err(pg("initialising the log"))?;
            tx.execute(
                "INSERT INTO truce_log_checkpoints(size, root, note) VALUES ($1, $2, $3)",
                &[&size, &root, &empty.note],
            )
            .map_err(pg("initialising the log"))?;
            tx.commit().map_err(pg("initialising the log"))?;
            Ok(true)
        })
    }

    /// The latest checkpoint.
    pub fn latest(&self) -> Result<Option<Latest>, ClusterError> {
        self.with(|c| {
            c.query_opt("SELECT size, root, note FROM truce_log_latest", &[])
                .map_err(pg("reading the latest checkpoint"))?
                .map(|r| {
                    Ok(Latest {
                        size: to_u64(r.get(0), "checkpoint size")?,
                        root: to_root(r.get(1))?,
                        note: r.get(2),
                    })
                })
                .transpose()
        })
    }

    /// The latest checkpoint's size.
    pub fn latest_size(&self) -> Result<Option<u64>, ClusterError> {
        self.with(|c| {
            c.query_opt("SELECT size FROM truce_log_latest", &[])
                .map_err(pg("reading the latest size"))?
                .map(|r| to_u64(r.get(0), "checkpoint size"))
                .transpose()
        })
    }

    /// The checkpoint signed at `size`.
    pub fn checkpoint_at(&self, size: u64) -> Result<Option<Latest>, ClusterError> {
        let Ok(at) = i64::try_from(size) else {
            return Ok(None);
        };
        self.with(|c| {
            c.query_opt(
                "SELECT root, note FROM truce_log_checkpoints WHERE size = $1",
                &[&at],
            )
            .map_err(pg("reading a checkpoint"))?
            .map(|r| {
                Ok(Latest {
                    size,
                    root: to_root(r.get(0))?,
                    note: r.get(1),
                })
            })
            .transpose()
        })
    }

    /// Sizes of every signed checkpoint, ascending.
    pub fn checkpoint_sizes(&self) -> Result<Vec<u64>, ClusterError> {
        self.with(|c| {
            c.query("SELECT size FROM truce_log_checkpoints ORDER BY size", &[])
                .map_err(pg("listing checkpoints"))?
                .iter()
                .map(|r| to_u64(r.get(0), "checkpoint size"))
                .collect()
        })
    }

    /// THE commit point, in one transaction: checks the sequencer lease is still `epoch`'s and
    /// not expired by PostgreSQL's clock (`SELECT … FOR KEY SHARE`: a takeover's `acquire`,
    /// which locks the row `FOR UPDATE`, waits for this transaction, so every commit of an
    /// epoch is ordered before the next epoch begins) — [`Cas::Fenced`] if not —, moves the
    /// latest checkpoint from `old_size` to `cp` (`UPDATE … WHERE size = old_size`;
    /// [`Cas::Conflict`] if it is not `old_size`), records `cp` among the signed checkpoints and
    /// stores `objects` (each `(path, bytes)`: the batch's new tiles and bundles) as pending
    /// objects made at `cp.size`, runs `in_tx` (tests: a stop inside the transaction), and
    /// commits. All of it is durable when this returns [`Cas::Swapped`], or none of it.
    pub fn commit(
        &self,
        epoch: i64,
        old_size: u64,
        cp: &SignedCheckpoint,
        objects: &[(String, Vec<u8>)],
        in_tx: impl FnOnce() -> Result<(), StoreError>,
    ) -> Result<Cas, StoreError> {
        let old = to_i64(old_size, "checkpoint size")?;
        let new = to_i64(cp.size, "checkpoint size")?;
        if new <= old {
            return Err(StoreError::Corrupt(format!(
                "a commit must grow the log: size {old_size} to {}",
                cp.size
            )));
        }
        let root = &cp.root.0[..];
        let mut guard = self.client()?;
        let Some(c) = guard.as_mut() else {
            return Err(ClusterError::Corrupt("no PostgreSQL connection".into()).into());
        };
        let what = "committing a checkpoint";
        let mut tx = c.transaction().map_err(pg(what))?;
        let leased = tx
            .query_opt(
                "SELECT 1 FROM truce_lease
                 WHERE id AND epoch = $1 AND expires_at > clock_timestamp() FOR KEY SHARE",
                &[&epoch],
            )
            .map_err(pg(what))?
            .is_some();
        if !leased {
            return Ok(Cas::Fenced);
        }
        let swapped = tx
            .execute(
                "UPDATE truce_log_latest SET size = $1, root = $2, note = $3
                 WHERE id AND size = $4",
                &[&new, &root, &cp.note, &old],
            )
            .map_err(pg(what))?;
        if swapped != 1 {
            let stored = tx
                .query_opt("SELECT size FROM truce_log_latest", &[])
                .map_err(pg(what))?
                .map(|r| to_u64(r.get(0), "checkpoint size"))
                .transpose()?;
            // Dropping the transaction rolls it back (it changed nothing).
            return Ok(match stored {
                Some(stored) => Cas::Conflict { stored },
                None => Cas::NotInitialised,
            });
        }
        tx.execute(
            "INSERT INTO truce_log_checkpoints(size, root, note) VALUES ($1, $2, $3)",
            &[&new, &root, &cp.note],
        )
        .map_err(pg(what))?;
        if !objects.is_empty() {
            let paths: Vec<&str> = objects.iter().map(|(p, _)| p.as_str()).collect();
            let bytes: Vec<&[u8]> = objects.iter().map(|(_, b)| b.as_slice()).collect();
            tx.execute(
                "INSERT INTO truce_log_pending(path, size, bytes)
                 SELECT p, $1::bigint, b FROM unnest($2::text[], $3::bytea[]) AS o(p, b)",
                &[&new, &paths, &bytes],
            )
            .map_err(pg(what))?;
        }
        in_tx()?;
        tx.commit().map_err(pg(what))?;
        Ok(Cas::Swapped)
    }

    /// [`commit`](Self::commit) of a checkpoint alone (no objects).
    pub fn compare_and_swap(
        &self,
        epoch: i64,
        old_size: u64,
        cp: &SignedCheckpoint,
    ) -> Result<Cas, StoreError> {
        self.commit(epoch, old_size, cp, &[], || Ok(()))
    }

    /// The pending (committed, maybe not yet published) object at `path`.
    pub fn pending(&self, path: &str) -> Result<Option<Vec<u8>>, ClusterError> {
        self.with(|c| {
            Ok(c.query_opt(
                "SELECT bytes FROM truce_log_pending WHERE path = $1",
                &[&path],
            )
            .map_err(pg("reading a pending object"))?
            .map(|r| r.get(0)))
        })
    }

    /// Every pending object made at a size up to `upto`, in (size, path) order, without its
    /// bytes: `(path, byte length)`.
    pub fn pending_index(&self, upto: u64) -> Result<Vec<(String, u64)>, ClusterError> {
        let upto = to_i64(upto, "checkpoint size")?;
        self.with(|c| {
            c.query(
                "SELECT path, length(bytes)::bigint FROM truce_log_pending
                 WHERE size <= $1::bigint ORDER BY size, path",
                &[&upto],
            )
            .map_err(pg("listing pending objects"))?
            .iter()
            .map(|r| Ok((r.get(0), to_u64(r.get(1), "object length")?)))
            .collect()
        })
    }

    /// The pending objects at `paths` (those still pending): `(path, bytes)`.
    pub fn pending_objects(&self, paths: &[&str]) -> Result<Vec<(String, Vec<u8>)>, ClusterError> {
        self.with(|c| {
            Ok(c.query(
                "SELECT path, bytes FROM truce_log_pending WHERE path = ANY($1::text[])",
                &[&paths],
            )
            .map_err(pg("reading pending objects"))?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
        })
    }

    /// How many objects are pending (committed, not yet known to be in the bucket).
    pub fn pending_count(&self) -> Result<u64, ClusterError> {
        self.with(|c| {
            let n: i64 = c
                .query_one("SELECT count(*) FROM truce_log_pending", &[])
                .map_err(pg("counting pending objects"))?
                .get(0);
            to_u64(n, "count")
        })
    }

    /// The size of the last checkpoint known to be published in the bucket with every object
    /// it names.
    pub fn published_size(&self) -> Result<u64, ClusterError> {
        self.with(|c| {
            let n: Option<i64> = c
                .query_opt("SELECT size FROM truce_log_published", &[])
                .map_err(pg("reading the published size"))?
                .map(|r| r.get(0));
            to_u64(n.unwrap_or(0), "published size")
        })
    }

    /// Records that the bucket holds every object made at sizes up to `size` and a checkpoint
    /// at least that large: the published size moves up to it and those pending objects are
    /// deleted (one transaction).
    pub fn mark_published(&self, size: u64) -> Result<(), ClusterError> {
        let size = to_i64(size, "checkpoint size")?;
        let what = "recording a publication";
        self.with(|c| {
            let mut tx = c.transaction().map_err(pg(what))?;
            tx.execute(
                "INSERT INTO truce_log_published(id, size) VALUES (TRUE, $1)
                 ON CONFLICT (id) DO UPDATE
                 SET size = GREATEST(truce_log_published.size, EXCLUDED.size)",
                &[&size],
            )
            .map_err(pg(what))?;
            tx.execute("DELETE FROM truce_log_pending WHERE size <= $1", &[&size])
                .map_err(pg(what))?;
            tx.commit().map_err(pg(what))
        })
    }

    /// Takes the sequencer lease for `holder` if it is free or expired (by PostgreSQL's clock):
    /// its epoch grows by one and it expires `ttl` from now. `None` if another holds it. Waits
    /// (at most `lock_timeout`) for commits of the current epoch in flight.
    pub fn lease_acquire(&self, holder: &str, ttl: Duration) -> Result<Option<i64>, ClusterError> {
        let what = "acquiring the sequencer lease";
        let ttl = ttl.as_secs_f64();
        self.with(|c| {
            let mut tx = c.transaction().map_err(pg(what))?;
            tx.execute(
                "INSERT INTO truce_lease(id, holder, epoch, expires_at)
                 VALUES (TRUE, '', 0, '-infinity') ON CONFLICT (id) DO NOTHING",
                &[],
            )
            .map_err(pg(what))?;
            // Without a lock first: a lease that is held is answered at once, without queueing
            // behind (and delaying) the holder's commits and renewals.
            let expired: bool = tx
                .query_one(
                    "SELECT expires_at <= clock_timestamp() FROM truce_lease WHERE id",
                    &[],
                )
                .map_err(pg(what))?
                .get(0);
            if !expired {
                return Ok(None);
            }
            let free: bool = tx
                .query_one(
                    "SELECT expires_at <= clock_timestamp() FROM truce_lease WHERE id FOR UPDATE",
                    &[],
                )
                .map_err(pg(what))?
                .get(0);
            if !free {
                return Ok(None);
            }
            let epoch: i64 = tx
                .query_one(
                    "UPDATE truce_lease SET holder = $1, epoch = epoch + 1,
                         expires_at = clock_timestamp() + make_interval(secs => $2)
                     WHERE id RETURNING epoch",
                    &[&holder, &ttl],
                )
                .map_err(pg(what))?
                .get(0);
            tx.commit().map_err(pg(what))?;
            Ok(Some(epoch))
        })
    }

    /// Extends the lease of `epoch` to `ttl` from now, if it is still held (not expired, not
    /// taken over); `false` if it is not.
    pub fn lease_renew(&self, epoch: i64, ttl: Duration) -> Result<bool, ClusterError> {
        let ttl = ttl.as_secs_f64();
        self.with(|c| {
            Ok(c.execute(
                "UPDATE truce_lease SET expires_at = clock_timestamp() + make_interval(secs => $2)
                 WHERE id AND epoch = $1 AND expires_at > clock_timestamp()",
                &[&epoch, &ttl],
            )
            .map_err(pg("renewing the sequencer lease"))?
                == 1)
        })
    }

    /// Ends the lease of `epoch` now (if it is still held), so another can take it at once.
    pub fn lease_release(&self, epoch: i64) -> Result<(), ClusterError> {
        self.with(|c| {
            c.execute(
                "UPDATE truce_lease SET expires_at = clock_timestamp()
                 WHERE id AND epoch = $1 AND expires_at > clock_timestamp()",
                &[&epoch],
            )
            .map_err(pg("releasing the sequencer lease"))?;
            Ok(())
        })
    }

    /// Whether the lease of `epoch` is held now (not expired, not taken over).
    pub fn lease_valid(&self, epoch: i64) -> Result<bool, ClusterError> {
        self.with(|c| {
            Ok(c.query_opt(
                "SELECT 1 FROM truce_lease
                 WHERE id AND epoch = $1 AND expires_at > clock_timestamp()",
                &[&epoch],
            )
            .map_err(pg("checking the sequencer lease"))?
            .is_some())
        })
    }

    /// Records `note`, the checkpoint of `size` with the witnesses' cosignatures (the
    /// sequencer's last witnessing round), unless a larger one is recorded: what every server
    /// publishes at `GET /checkpoint`.
    pub fn set_witnessed(&self, size: u64, note: &[u8]) -> Result<(), ClusterError> {
        let size = i64::try_from(size)
            .map_err(|_| ClusterError::Corrupt(format!("size {size} out of range")))?;
        self.with(|c| {
            c.execute(
                "INSERT INTO truce_log_witnessed(id, size, note) VALUES (TRUE, $1, $2)
                 ON CONFLICT (id) DO UPDATE SET size = EXCLUDED.size, note = EXCLUDED.note
                 WHERE truce_log_witnessed.size <= EXCLUDED.size",
                &[&size, &note],
            )
            .map_err(pg("recording the witnessed checkpoint"))?;
            Ok(())
        })
    }

    /// The witnessed checkpoint recorded by [`set_witnessed`](Self::set_witnessed), if any.
    pub fn witnessed(&self) -> Result<Option<(u64, Vec<u8>)>, ClusterError> {
        self.with(|c| {
            Ok(
                c.query_opt("SELECT size, note FROM truce_log_witnessed WHERE id", &[])
                    .map_err(pg("reading the witnessed checkpoint"))?
                    .map(|r| (r.get::<_, i64>(0).max(0) as u64, r.get(1))),
            )
        })
    }

    /// Renames the holder of the lease of `epoch` (a server names where it serves once it knows);
    /// `false` if that lease is no longer held.
    pub fn lease_rename(&self, epoch: i64, holder: &str) -> Result<bool, ClusterError> {
        self.with(|c| {
            Ok(c.execute(
                "UPDATE truce_lease SET holder = $2
                 WHERE id AND epoch = $1 AND expires_at > clock_timestamp()",
                &[&epoch, &holder],
            )
            .map_err(pg("renaming the sequencer lease's holder"))?
                == 1)
        })
    }

    /// The lease as it stands: `None` if nobody ever took it.
    pub fn lease_state(&self) -> Result<Option<LeaseState>, ClusterError> {
        self.with(|c| {
            Ok(c.query_opt(
                "SELECT holder, epoch, expires_at > clock_timestamp(),
                        GREATEST(EXTRACT(EPOCH FROM expires_at - clock_timestamp()), 0)::float8
                 FROM truce_lease WHERE id AND epoch > 0",
                &[],
            )
            .map_err(pg("reading the sequencer lease"))?
            .map(|r| LeaseState {
                holder: r.get(0),
                epoch: r.get(1),
                held: r.get(2),
                remaining: Duration::try_from_secs_f64(r.get(3)).unwrap_or_default(),
            }))
        })
    }
}

/// The sequencer lease as PostgreSQL holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaseState {
    /// Who took it last.
    pub holder: String,
    /// Its epoch (1 for the first holder, one more at each takeover).
    pub epoch: i64,
    /// Whether it is held now (not expired).
    pub held: bool,
    /// How long until it expires (zero if it has).
    pub remaining: Duration,
}

impl LeaseState {
    /// The URL its holder serves at: `truce serve` names itself `<url> <holder id>`, so the other
    /// servers know where to hand submissions. `None` for a holder named otherwise.
    pub fn endpoint(&self) -> Option<&str> {
        let first = self.holder.split_whitespace().next()?;
        (first.starts_with("http://") || first.starts_with("https://")).then_some(first)
    }
}

/// `postgres://user@host:port/db` (never the password) for messages.
fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(h, p)| match h {
            postgres::config::Host::Tcp(h) => format!("{h}:{p}"),
            postgres::config::Host::Unix(d) => format!("{}:{p}", d.display()),
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_holder_names_its_endpoint() {
        let at = |holder: &str| super::LeaseState {
            holder: holder.into(),
            epoch: 1,
            held: true,
            remaining: std::time::Duration::ZERO,
        };
        assert_eq!(
            at("http://10.0.0.1:8080 host/12/ab").endpoint(),
            Some("http://10.0.0.1:8080")
        );
        assert_eq!(at("host/12/ab").endpoint(), None);
        assert_eq!(at("").endpoint(), None);
    }
}
