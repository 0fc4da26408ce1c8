//! The PostgreSQL side: the log's metadata, the latest checkpoint and every signed checkpoint by
//! size, and the one commit point — a compare-and-swap of the latest checkpoint's size in one
//! transaction.
//!
//! Schema (version 1), created idempotently under a transaction-scoped advisory lock (so servers
//! starting together do not race on `CREATE TABLE IF NOT EXISTS`):
//!
//! - `truce_log_meta(key, value)`: `schema`, `origin`, `vkey`;
//! - `truce_log_latest(id = true, size, root, note)`: exactly one row once initialised, the
//!   latest checkpoint; its `size` is what the compare-and-swap compares;
//! - `truce_log_checkpoints(size, root, note)`: every signed checkpoint, by size.
//!
//! The connection uses the synchronous `postgres` client. Every connection is made with a
//! connect timeout, TCP keepalives and a TCP user timeout (a dead peer is noticed), and server-side
//! `statement_timeout`, `lock_timeout` and `idle_in_transaction_session_timeout` (a stalled
//! client cannot hold the latest row's lock for ever). A broken connection is made again before
//! the next operation.

use crate::ClusterError;
use postgres::{Client, Config, NoTls};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use truce_log::SignedCheckpoint;
use truce_store::{LogMeta, StoreError};

/// The schema version this crate reads and writes.
pub const SCHEMA_VERSION: &str = "1";

/// Key of the advisory lock held (per transaction) while the schema is created.
const SCHEMA_LOCK: i64 = 0x7472_7563_655f_7367; // "truce_sg"

/// How long to wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Server-side limits set on every connection (milliseconds).
const SERVER_OPTIONS: &str =
    "-c statement_timeout=30000 -c lock_timeout=10000 -c idle_in_transaction_session_timeout=30000";

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
}

/// A PostgreSQL database holding one log.
pub struct Db {
    config: Config,
    client: Mutex<Option<Client>>,
    describe: String,
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
        let mut config: Config = url
            .parse()
            .map_err(|e: postgres::Error| ClusterError::Config(format!("{url:?}: {e}")))?;
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
            Some(o) if !o.is_empty() => format!("{o} {SERVER_OPTIONS}"),
            _ => SERVER_OPTIONS.to_string(),
        };
        config.options(&options);
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
                     note BYTEA NOT NULL);",
            )
            .map_err(pg("creating the schema"))?;
            let version: Option<String> = tx
                .query_opt("SELECT value FROM truce_log_meta WHERE key = 'schema'", &[])
                .map_err(pg("reading the schema version"))?
                .map(|r| r.get(0));
            if let Some(v) = version {
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

    /// THE commit point, with the row lock held over the writes before it: in one transaction,
    /// locks the latest checkpoint's row (`SELECT … FOR UPDATE`; another writer's commit waits
    /// for it, at most `lock_timeout`), checks its size is `old_size` ([`Cas::Conflict`] if not,
    /// before `before_swap` runs), runs `before_swap` (the object writes) while holding the lock,
    /// then moves the latest checkpoint to `cp` (`UPDATE … WHERE size = old_size`), records it,
    /// and commits. If `before_swap` fails, the transaction is rolled back and its error
    /// returned: nothing committed.
    pub fn locked_swap(
        &self,
        old_size: u64,
        cp: &SignedCheckpoint,
        before_swap: impl FnOnce() -> Result<(), StoreError>,
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
        let stored = tx
            .query_opt("SELECT size FROM truce_log_latest FOR UPDATE", &[])
            .map_err(pg(what))?
            .map(|r| to_u64(r.get(0), "checkpoint size"))
            .transpose()?;
        match stored {
            None => return Ok(Cas::NotInitialised),
            Some(stored) if stored != old_size => return Ok(Cas::Conflict { stored }),
            Some(_) => {}
        }
        before_swap()?;
        let swapped = tx
            .execute(
                "UPDATE truce_log_latest SET size = $1, root = $2, note = $3
                 WHERE id AND size = $4",
                &[&new, &root, &cp.note, &old],
            )
            .map_err(pg(what))?;
        if swapped != 1 {
            return Err(ClusterError::Corrupt(format!(
                "the latest checkpoint's row changed under its lock (expected size {old_size})"
            ))
            .into());
        }
        tx.execute(
            "INSERT INTO truce_log_checkpoints(size, root, note) VALUES ($1, $2, $3)",
            &[&new, &root, &cp.note],
        )
        .map_err(pg(what))?;
        tx.commit().map_err(pg(what))?;
        Ok(Cas::Swapped)
    }

    /// THE commit point: in one transaction, moves the latest checkpoint from `old_size` to
    /// `cp` (`UPDATE … WHERE size = old_size`: a concurrent swap waits for the row lock, then
    /// finds the size changed) and records `cp` among the signed checkpoints. Either both happen
    /// and are durable when this returns [`Cas::Swapped`], or neither.
    pub fn compare_and_swap(
        &self,
        old_size: u64,
        cp: &SignedCheckpoint,
    ) -> Result<Cas, ClusterError> {
        let old = to_i64(old_size, "checkpoint size")?;
        let new = to_i64(cp.size, "checkpoint size")?;
        if new <= old {
            return Err(ClusterError::Corrupt(format!(
                "a commit must grow the log: size {old_size} to {}",
                cp.size
            )));
        }
        let root = &cp.root.0[..];
        self.with(|c| {
            let mut tx = c.transaction().map_err(pg("committing a checkpoint"))?;
            let swapped = tx
                .execute(
                    "UPDATE truce_log_latest SET size = $1, root = $2, note = $3
                     WHERE id AND size = $4",
                    &[&new, &root, &cp.note, &old],
                )
                .map_err(pg("committing a checkpoint"))?;
            if swapped != 1 {
                let stored = tx
                    .query_opt("SELECT size FROM truce_log_latest", &[])
                    .map_err(pg("committing a checkpoint"))?
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
            .map_err(pg("committing a checkpoint"))?;
            tx.commit().map_err(pg("committing a checkpoint"))?;
            Ok(Cas::Swapped)
        })
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
