//! What every handler shares: the configuration, the data directory, a pool of log readers, the
//! ledger replayed from the log (the writer updates it after each durable commit), the latest
//! checkpoint, the writer's handle, the access tokens, and the readiness flags.

use crate::config::Config;
use crate::error::ApiError;
use crate::storage::LogStore;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use truce_log::SignedCheckpoint;
use truce_model::Ledger;
use truce_store::{DynStorage, LogReader};

/// Readers of the log, each with its own storage handle (a SQLite connection, or a database
/// connection and a bucket client), shared round-robin.
pub struct ReaderPool {
    readers: Vec<Mutex<LogReader<DynStorage>>>,
    next: AtomicUsize,
}

impl ReaderPool {
    /// Opens `n` readers of the log stored at `store`.
    pub fn open(store: &LogStore, n: usize) -> Result<ReaderPool, truce_store::StoreError> {
        let readers = (0..n.max(1))
            .map(|_| Ok(Mutex::new(LogReader::open(store.open()?)?)))
            .collect::<Result<Vec<_>, truce_store::StoreError>>()?;
        Ok(ReaderPool {
            readers,
            next: AtomicUsize::new(0),
        })
    }

    /// Runs `f` with a reader (blocking: call from `spawn_blocking` or [`AppState::read`]).
    pub fn with<R>(&self, f: impl FnOnce(&LogReader<DynStorage>) -> R) -> R {
        let n = self.readers.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for k in 0..n {
            if let Ok(r) = self.readers[(start + k) % n].try_lock() {
                return f(&r);
            }
        }
        let r = self.readers[start % n]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&r)
    }
}

/// The state behind every request (cheap to clone).
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// The shared parts.
pub struct Inner {
    /// Configuration.
    pub config: Config,
    /// The data directory (truce.db, views.db, access.db, keys).
    pub dir: PathBuf,
    /// Log readers.
    pub readers: ReaderPool,
    /// The ledger folded from the log; the writer applies each committed batch.
    pub ledger: Arc<RwLock<Ledger>>,
    /// The latest signed checkpoint.
    pub checkpoint: Arc<RwLock<SignedCheckpoint>>,
    /// The writer (group commit).
    pub writer: crate::writer::WriterHandle,
    /// Access tokens and rate limits.
    pub access: crate::access::Access,
    /// Derived views (incidents, findings, compliance).
    pub views: crate::query::Views,
    /// The map's indexes of the views, per stamp (`crate::map`).
    pub map: crate::map::MapCache,
    /// The line of contact's display zones, drawn once per (line version, distance, tolerance)
    /// (`GET /v1/front.geojson`).
    pub front: truce_views::query::front::DisplayCache,
    /// What the daily front section reads of the ledger beyond the judgement (line sectors,
    /// restrictions), with the log size it was read at (`GET /v1/front/counts`): read again only
    /// when the log has grown, not on every request.
    pub front_notes: Mutex<Option<(u64, Arc<truce_report::FrontNotes>)>>,
    /// The witnesses and the latest witnessed checkpoint.
    pub witnessing: crate::witnessing::Witnessing,
    /// The shared log's sequencer lease, when the log is shared (`DIR/cluster.toml`).
    pub cluster: Option<crate::cluster::Cluster>,
    /// Set once everything is loaded.
    pub ready: AtomicBool,
    /// Set when shutdown begins: new submissions are refused with 503.
    pub stopping: AtomicBool,
}

/// Why the state could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The log could not be opened or replayed.
    #[error(transparent)]
    Store(#[from] truce_store::StoreError),
    /// The log could not be replayed.
    #[error(transparent)]
    Replay(#[from] truce_views::derived::DerivedError),
    /// Something else (keys, access database, views).
    #[error("{0}")]
    Other(String),
}

impl AppState {
    /// Opens the data directory `dir` (which must hold a log made by `truce init`): replays the
    /// ledger, starts the writer with `DIR/log.key`, opens the access database and the views.
    ///
    /// It blocks (a replay, database connections): the work runs on a thread of its own, so it
    /// may be called from an async context too (the shared log's PostgreSQL and bucket clients
    /// block on runtimes of their own, which cannot start inside another's).
    pub fn open(dir: &std::path::Path, config: Config) -> Result<AppState, OpenError> {
        std::thread::scope(|s| {
            s.spawn(|| AppState::open_here(dir, config))
                .join()
                .unwrap_or_else(|_| Err(OpenError::Other("opening the state panicked".into())))
        })
    }

    fn open_here(dir: &std::path::Path, config: Config) -> Result<AppState, OpenError> {
        let store = LogStore::of_dir(dir)?;
        let readers = ReaderPool::open(&store, 4)?;
        // The log up to its latest checkpoint, replayed once (the writer keeps this ledger live).
        let (checkpoint, ledger) = readers.with(
            |r| -> Result<(SignedCheckpoint, Ledger), truce_views::derived::DerivedError> {
                let cp = r.latest()?;
                let (ledger, _) = truce_views::derived::replay_to(r, cp.size)?;
                Ok((cp, ledger))
            },
        )?;
        let witnessing = crate::witnessing::Witnessing::open(
            dir,
            &config.witnesses,
            config.witness_timeout_ms,
            config.witness_interval_ms,
            config.witness_ca_cert.as_deref(),
            &checkpoint,
            |size| {
                readers
                    .with(|r| {
                        use truce_store::LogStorage as _;
                        r.storage().checkpoint_at(size)
                    })
                    .ok()
                    .flatten()
            },
        )
        .map_err(|e| OpenError::Other(e.to_string()))?;
        let ledger = Arc::new(RwLock::new(ledger));
        let checkpoint = Arc::new(RwLock::new(checkpoint));
        // The writer's storage writes under the lease this server holds, if any (a cluster).
        let slot = truce_cluster::LeaseSlot::default();
        let cluster = store.spec().map(|spec| {
            crate::cluster::Cluster::new(
                spec.clone(),
                slot.clone(),
                std::time::Duration::from_secs(config.request_timeout_s),
            )
        });
        let writer = crate::writer::spawn(
            dir,
            &store,
            &slot,
            ledger.clone(),
            checkpoint.clone(),
            &config,
        )
        .map_err(|e| OpenError::Other(e.to_string()))?;
        let access = crate::access::Access::open(dir, &config)
            .map_err(|e| OpenError::Other(e.to_string()))?;
        let views =
            crate::query::Views::open(dir, &config).map_err(|e| OpenError::Other(e.to_string()))?;
        // On a shared log this server competes for the sequencer lease from now on (alone, it
        // holds it when `open` returns); `serve` names the URL it listens at.
        if let Some(c) = &cluster {
            c.start(config.advertise_url.as_deref());
        }
        Ok(AppState(Arc::new(Inner {
            config,
            dir: dir.to_path_buf(),
            readers,
            ledger,
            checkpoint,
            writer,
            access,
            views,
            map: Default::default(),
            front: Default::default(),
            front_notes: Mutex::new(None),
            witnessing,
            cluster,
            ready: AtomicBool::new(true),
            stopping: AtomicBool::new(false),
        })))
    }

    /// Runs a blocking read of the log on the blocking pool.
    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&LogReader<DynStorage>) -> Result<R, ApiError> + Send + 'static,
    ) -> Result<R, ApiError> {
        let s = self.clone();
        tokio::task::spawn_blocking(move || s.0.readers.with(f))
            .await
            .map_err(ApiError::internal)?
    }

    /// The checkpoint note published at `GET /checkpoint`: with witnesses configured, the one of
    /// the latest completed witnessing round (with its cosignatures); else the latest.
    pub fn published_checkpoint(&self) -> (u64, Vec<u8>) {
        match self.0.witnessing.served() {
            Some(w) if self.0.witnessing.enabled() => (w.size, w.note),
            _ => {
                let cp = self.checkpoint();
                (cp.size, cp.note)
            }
        }
    }

    /// The latest checkpoint.
    pub fn checkpoint(&self) -> SignedCheckpoint {
        self.0
            .checkpoint
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
