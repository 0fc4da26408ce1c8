//! The server's own tables in the cluster's PostgreSQL database (`ClusterSpec::database`), used
//! when the log is shared ([`crate::storage::LogStore::Cluster`]): the bearer tokens
//! ([`crate::access`], `truce_access_tokens`) and the restricted content
//! ([`crate::restricted`], `truce_restricted` and `truce_restricted_filers`), so that every
//! server of the cluster sees the same ones.
//!
//! Connections are made as `truce_cluster::pg` makes the log's: a connect timeout, TCP
//! keepalives and a TCP user timeout, and the same server-side statement, lock and
//! idle-in-transaction timeouts. One connection per store, behind a mutex; a broken one is made
//! again before the next operation, and a read that found it closed is tried once more on a new
//! one. Tables are created idempotently under a transaction-scoped advisory lock, so servers
//! starting together do not race on `CREATE TABLE IF NOT EXISTS`.

use postgres::{Client, Config, NoTls};
use std::sync::Mutex;

/// Key of the advisory lock held (per transaction) while the server's tables are created.
const SCHEMA_LOCK: i64 = 0x7472_7563_655f_7376; // "truce_sv"

/// Why an operation on the server's PostgreSQL tables failed.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The connection string in `cluster.toml` (or `TRUCE_DATABASE_URL`) cannot be parsed.
    #[error("{at}: not a PostgreSQL connection string ({source}); fix `database` in DIR/cluster.toml or TRUCE_DATABASE_URL")]
    Config {
        /// The connection string, password redacted.
        at: String,
        /// What the client said.
        #[source]
        source: postgres::Error,
    },
    /// PostgreSQL could not be reached, or refused a statement.
    #[error("{at}: {what}: {source}")]
    Postgres {
        /// The database, password redacted.
        at: String,
        /// What was being done.
        what: String,
        /// What PostgreSQL (or the connection) said.
        #[source]
        source: postgres::Error,
    },
    /// The thread running the operation panicked (a bug): nothing is known of its outcome.
    #[error("{at}: {what}: the operation's thread panicked")]
    Panicked {
        /// The database, password redacted.
        at: String,
        /// What was being done.
        what: String,
    },
}

/// One connection to the cluster's database, made again when it breaks.
pub struct PgDb {
    config: Config,
    client: Mutex<Option<Client>>,
    describe: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Some(c) = self
            .client
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            truce_cluster::pg::close(c);
        }
    }
}

impl std::fmt::Debug for PgDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgDb").field("at", &self.describe).finish()
    }
}

impl PgDb {
    /// Connects to `url` and runs `schema` (`CREATE … IF NOT EXISTS` statements) under the
    /// advisory lock.
    pub(crate) fn connect(url: &str, schema: &str) -> Result<PgDb, PgError> {
        let describe = truce_cluster::spec::redact_url(url);
        let config = truce_cluster::pg::client_config(url).map_err(|source| PgError::Config {
            at: describe.clone(),
            source,
        })?;
        let db = PgDb {
            config,
            client: Mutex::new(None),
            describe,
        };
        db.write("creating the server's tables", |c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
            tx.batch_execute(schema)?;
            tx.commit()
        })?;
        Ok(db)
    }

    /// Where the database is, for messages (no password).
    pub(crate) fn describe(&self) -> &str {
        &self.describe
    }

    fn err(&self, what: &str, source: postgres::Error) -> PgError {
        PgError::Postgres {
            at: self.describe.clone(),
            what: what.to_string(),
            source,
        }
    }

    /// Runs `f` on the connection, made again first if there is none or it broke. The error
    /// says whether the connection was found closed. Called on an async task's thread (a
    /// handler), the work runs on a thread of its own: the synchronous client blocks on a
    /// runtime of its own, which cannot run inside another's.
    fn run<T: Send>(
        &self,
        what: &str,
        f: &mut (impl FnMut(&mut Client) -> Result<T, postgres::Error> + Send),
    ) -> Result<T, (bool, PgError)> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return std::thread::scope(|s| {
                s.spawn(|| self.run_here(what, f))
                    .join()
                    .unwrap_or_else(|_| {
                        Err((
                            false,
                            PgError::Panicked {
                                at: self.describe.clone(),
                                what: what.to_string(),
                            },
                        ))
                    })
            });
        }
        self.run_here(what, f)
    }

    fn run_here<T>(
        &self,
        what: &str,
        f: &mut impl FnMut(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, (bool, PgError)> {
        let mut guard = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let c = match &mut *guard {
            Some(c) if !c.is_closed() => c,
            slot => slot.insert(self.config.connect(NoTls).map_err(|e| {
                (
                    false,
                    self.err(&format!("connecting to PostgreSQL ({what})"), e),
                )
            })?),
        };
        f(c).map_err(|e| (e.is_closed() || c.is_closed(), self.err(what, e)))
    }

    /// Runs a statement (or a transaction) that changes something: never repeated.
    pub(crate) fn write<T: Send>(
        &self,
        what: &str,
        mut f: impl FnMut(&mut Client) -> Result<T, postgres::Error> + Send,
    ) -> Result<T, PgError> {
        self.run(what, &mut f).map_err(|(_, e)| e)
    }

    /// Runs a read: tried once more on a new connection if the old one was found closed (the
    /// database restarted, an idle connection was cut).
    pub(crate) fn read<T: Send>(
        &self,
        what: &str,
        mut f: impl FnMut(&mut Client) -> Result<T, postgres::Error> + Send,
    ) -> Result<T, PgError> {
        match self.run(what, &mut f) {
            Err((true, _)) => self.run(what, &mut f).map_err(|(_, e)| e),
            other => other.map_err(|(_, e)| e),
        }
    }
}

/// Data directories for the tests run against both stores.
#[cfg(test)]
pub(crate) mod testdirs {
    use std::sync::Arc;
    use truce_cluster::spec::{BucketSpec, ClusterSpec};
    use truce_cluster::testkit::Postgres;

    /// A data directory whose tokens and restricted content are in SQLite files, or in a fresh
    /// database of the shared test PostgreSQL (named by its `cluster.toml`).
    pub(crate) struct TestDir {
        pub(crate) dir: tempfile::TempDir,
        /// The server (kept running while the directory is used) and the database's URL.
        pub(crate) pg: Option<(Arc<Postgres>, String)>,
    }

    /// A directory without `cluster.toml`: the SQLite stores.
    pub(crate) fn sqlite() -> TestDir {
        TestDir {
            dir: tempfile::tempdir().expect("a temporary directory"),
            pg: None,
        }
    }

    /// A directory whose `cluster.toml` names a fresh PostgreSQL database (the bucket is never
    /// used by the token and restricted stores: its values only have to parse).
    pub(crate) fn postgres() -> TestDir {
        let server = Postgres::shared().expect("the test PostgreSQL");
        let url = server.database().expect("a fresh database");
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("cluster.toml"), spec(&url).to_toml())
            .expect("writing cluster.toml");
        TestDir {
            dir,
            pg: Some((server, url)),
        }
    }

    /// A cluster specification naming database `url` and an unused bucket.
    pub(crate) fn spec(url: &str) -> ClusterSpec {
        ClusterSpec {
            database: url.to_string(),
            bucket: BucketSpec {
                endpoint: "http://127.0.0.1:9".into(),
                name: "unused".into(),
                region: "garage".into(),
                key_id: "unused".into(),
                secret: "unused".into(),
                timeout_s: 1,
            },
        }
    }

    impl TestDir {
        /// Everything stored: the SQLite file `file`'s bytes (and its `-wal`'s), or the rows of PostgreSQL table
        /// `table` as text.
        pub(crate) fn raw(&self, file: &str, table: &str) -> Vec<u8> {
            match &self.pg {
                // The file and its write-ahead log (where recent writes are until a checkpoint).
                None => [file.to_string(), format!("{file}-wal")]
                    .iter()
                    .filter_map(|f| std::fs::read(self.dir.path().join(f)).ok())
                    .flatten()
                    .collect(),
                Some((_, url)) => {
                    let mut c = postgres::Client::connect(url, postgres::NoTls)
                        .expect("connecting to the test database");
                    let row = c
                        .query_one(
                            &format!(
                                "SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM {table} t"
                            ),
                            &[],
                        )
                        .expect("reading the table");
                    row.get::<_, String>(0).into_bytes()
                }
            }
        }
    }
}
