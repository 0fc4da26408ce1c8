//! The data directory: `truce.db` (the SQLite log), `log.key` (the log's signer key, mode 0600)
//! and `log.vkey` (its verifier key, to publish: mode 0644). Chosen by `--dir`, else
//! `$TRUCE_DIR`, else `./truce-data`.

use crate::Failure;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use truce_cluster::spec::ClusterSpec;
use truce_server::storage::LogStore;
use truce_store::sqlite::SqliteStorage;
use truce_store::{keyfile, DynStorage, LogReader, Sequencer};

/// How long a command waits for the shared log's sequencer lease before giving up.
const LEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(12);

/// A resolved data directory.
pub struct DataDir {
    /// Its path.
    pub path: PathBuf,
}

impl DataDir {
    /// The database file.
    pub fn db(&self) -> PathBuf {
        self.path.join("truce.db")
    }
    /// The signer key file.
    pub fn key(&self) -> PathBuf {
        self.path.join("log.key")
    }
    /// The verifier key file.
    pub fn vkey(&self) -> PathBuf {
        self.path.join("log.vkey")
    }
    /// The operator party's signer key (registers parties).
    pub fn operator_key(&self) -> PathBuf {
        self.path.join("operator.key")
    }
    /// The operator party's verifier key.
    pub fn operator_vkey(&self) -> PathBuf {
        self.path.join("operator.vkey")
    }
    /// Where `truce party add` writes the keys it generates.
    pub fn keys_dir(&self) -> PathBuf {
        self.path.join("keys")
    }

    fn require(&self) -> Result<(), Failure> {
        if !self.path.is_dir() {
            return Err(Failure::store(anyhow!(
                "no Truce data directory at {}: create one with `truce init --origin <name>` or point --dir / TRUCE_DIR at an existing one",
                self.path.display()
            )));
        }
        if !self.db().is_file() && !self.path.join(truce_cluster::spec::FILE).is_file() {
            return Err(Failure::store(anyhow!(
                "{} has no log database (truce.db): it is not a Truce data directory, or it was damaged; `truce init --origin <name>` creates one",
                self.path.display()
            )));
        }
        Ok(())
    }

    /// Where the log is: `DIR/truce.db`, or the PostgreSQL database and bucket `DIR/cluster.toml`
    /// names.
    pub fn store(&self) -> Result<LogStore, Failure> {
        Ok(LogStore::of_dir(&self.path)?)
    }

    /// Opens the log for reading.
    pub fn reader(&self) -> Result<LogReader<DynStorage>, Failure> {
        self.require()?;
        Ok(LogReader::open(self.store()?.open()?)?)
    }

    /// Opens the log for writing with its key file. On a shared log this command takes the
    /// sequencer lease for as long as it writes (waiting a few seconds for it; refused while a
    /// server holds it: write through the server's API then).
    pub fn sequencer(&self) -> Result<Sequencer<DynStorage>, Failure> {
        self.require()?;
        let key = keyfile::read(&self.key()).map_err(|e| {
            Failure::store(anyhow!(
                "{e}: the log's signer key is needed to append; it was written by `truce init`"
            ))
        })?;
        Ok(Sequencer::open(self.writable_storage()?, &key)?)
    }

    /// The storage a writing command opens: on a shared log, holding the sequencer lease.
    fn writable_storage(&self) -> Result<DynStorage, Failure> {
        let store = self.store()?;
        match store.spec() {
            None => Ok(store.open()?),
            Some(spec) => {
                let holder = format!(
                    "truce {} {}",
                    std::env::args().nth(1).unwrap_or_default(),
                    truce_cluster::lease::holder_id()
                );
                let storage = store
                    .cluster(spec)?
                    .acquire_lease(&spec.database, &holder, LEASE_WAIT)
                    .map_err(truce_store::StoreError::from)?;
                Ok(Box::new(storage))
            }
        }
    }

    /// Creates a new log here: key files first (never overwritten), then the database. On
    /// failure, removes what it created.
    pub fn init(
        &self,
        origin: &str,
        key: &truce_log::KeyPair,
        operator: &truce_log::KeyPair,
        cluster: Option<&ClusterSpec>,
    ) -> Result<Sequencer<DynStorage>, Failure> {
        if self.db().exists() || self.path.join(truce_cluster::spec::FILE).exists() {
            return Err(Failure::store(anyhow!(
                "a Truce log already exists in {}; use another --dir",
                self.path.display()
            )));
        }
        std::fs::create_dir_all(&self.path)
            .map_err(|e| Failure::store(anyhow!("cannot create {}: {e}", self.path.display())))?;
        let mut created: Vec<PathBuf> = Vec::new();
        let result = (|| {
            keyfile::write_new(&self.key(), &key.signer, 0o600)?;
            created.push(self.key());
            keyfile::write_new(&self.vkey(), &key.verifier, 0o644)?;
            created.push(self.vkey());
            keyfile::write_new(&self.operator_key(), &operator.signer, 0o600)?;
            created.push(self.operator_key());
            keyfile::write_new(&self.operator_vkey(), &operator.verifier, 0o644)?;
            created.push(self.operator_vkey());
            let storage: DynStorage = match cluster {
                None => {
                    created.push(self.db());
                    Box::new(SqliteStorage::open(&self.db(), true)?)
                }
                Some(spec) => {
                    let file = self.path.join(truce_cluster::spec::FILE);
                    keyfile::write_new(&file, &spec.to_toml(), 0o600)?;
                    created.push(file);
                    self.writable_storage()
                        .map_err(|f| truce_store::StoreError::Corrupt(format!("{:#}", f.error)))?
                }
            };
            Sequencer::create(storage, origin, &key.signer)
        })();
        result.map_err(|e| {
            for p in created.iter().chain(
                [
                    self.path.join("truce.db-wal"),
                    self.path.join("truce.db-shm"),
                ]
                .iter(),
            ) {
                let _ = std::fs::remove_file(p);
            }
            Failure::from(e)
        })
    }
}

/// Resolves the data directory from the flag/environment value.
pub fn resolve(dir: &Path) -> DataDir {
    DataDir {
        path: dir.to_path_buf(),
    }
}
