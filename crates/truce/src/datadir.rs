//! The data directory: `truce.db` (the SQLite log), `log.key` (the log's signer key, mode 0600)
//! and `log.vkey` (its verifier key, to publish: mode 0644). Chosen by `--dir`, else
//! `$TRUCE_DIR`, else `./truce-data`.

use crate::Failure;
use anyhow::anyhow;
use std::path::{Path, PathBuf};
use truce_store::sqlite::SqliteStorage;
use truce_store::{keyfile, LogReader, Sequencer};

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
        if !self.db().is_file() {
            return Err(Failure::store(anyhow!(
                "{} has no log database (truce.db): it is not a Truce data directory, or it was damaged; `truce init --origin <name>` creates one",
                self.path.display()
            )));
        }
        Ok(())
    }

    /// Opens the log for reading.
    pub fn reader(&self) -> Result<LogReader<SqliteStorage>, Failure> {
        self.require()?;
        Ok(LogReader::open(SqliteStorage::open(&self.db(), false)?)?)
    }

    /// Opens the log for writing with its key file.
    pub fn sequencer(&self) -> Result<Sequencer<SqliteStorage>, Failure> {
        self.require()?;
        let key = keyfile::read(&self.key()).map_err(|e| {
            Failure::store(anyhow!(
                "{e}: the log's signer key is needed to append; it was written by `truce init`"
            ))
        })?;
        Ok(Sequencer::open(
            SqliteStorage::open(&self.db(), false)?,
            &key,
        )?)
    }

    /// Creates a new log here: key files first (never overwritten), then the database. On
    /// failure, removes what it created.
    pub fn init(
        &self,
        origin: &str,
        key: &truce_log::KeyPair,
        operator: &truce_log::KeyPair,
    ) -> Result<Sequencer<SqliteStorage>, Failure> {
        if self.db().exists() {
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
            created.push(self.db());
            let storage = SqliteStorage::open(&self.db(), true)?;
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
