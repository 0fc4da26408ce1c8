//! The views and their freshness (the module documentation of `query` says who waits): a pool of
//! `views.db` connections, the single-flight recompute, and [`Which`] views an engine query
//! answers from (current, or as of an earlier log size).

use super::*;
use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use truce_engine::RULES_VERSION;
use truce_views::db::{ViewStamp, ViewStore};
use truce_views::derived;

#[derive(Default)]
struct Status {
    /// What the stored views were computed from.
    stamp: Option<ViewStamp>,
    /// A recompute is running.
    running: bool,
    /// When the last recompute started.
    last_attempt: Option<Instant>,
    /// Why the last recompute failed, if it did.
    last_error: Option<String>,
}

/// The derived views: a small pool of `views.db` connections for queries, one for recomputes,
/// and the single-flight state of the recompute.
pub struct Views {
    path: PathBuf,
    pool: Vec<Mutex<ViewStore>>,
    next: AtomicUsize,
    writer: Mutex<ViewStore>,
    status: Mutex<Status>,
    done: tokio::sync::watch::Sender<u64>,
    refresh_every: Duration,
    /// Permits for heavy queries (exports): `max_heavy_queries`. A recompute takes none: it is
    /// single-flight already, and must never wait behind an export a slow client holds.
    pub(super) heavy: std::sync::Arc<tokio::sync::Semaphore>,
    pub(super) heavy_max: usize,
    pub(super) retry_after_s: u64,
}

impl Views {
    /// Opens (creating if needed) `DIR/views.db`.
    pub fn open(dir: &FsPath, config: &crate::Config) -> Result<Views, derived::DerivedError> {
        let path = derived::views_path(dir);
        let writer = ViewStore::open(&path)?;
        let stamp = writer.stamp()?;
        let pool = (0..POOL)
            .map(|_| ViewStore::open(&path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Views {
            path,
            pool,
            next: AtomicUsize::new(0),
            writer: Mutex::new(writer),
            status: Mutex::new(Status {
                stamp,
                ..Default::default()
            }),
            done: tokio::sync::watch::Sender::new(0),
            refresh_every: Duration::from_millis(config.views_refresh_ms),
            heavy: std::sync::Arc::new(tokio::sync::Semaphore::new(
                config.max_heavy_queries.max(1),
            )),
            heavy_max: config.max_heavy_queries.max(1),
            retry_after_s: config.heavy_retry_after_s,
        })
    }

    /// The views database file.
    pub fn path(&self) -> &FsPath {
        &self.path
    }

    /// Runs `f` with a pooled connection (blocking).
    pub fn with<R>(&self, f: impl FnOnce(&ViewStore) -> R) -> R {
        let n = self.pool.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for k in 0..n {
            if let Ok(v) = self.pool[(start + k) % n].try_lock() {
                return f(&v);
            }
        }
        let v = self.pool[start % n]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        f(&v)
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stamp of the views to answer from, recomputing them first when they are behind the
    /// current checkpoint (see the module documentation for who waits).
    pub async fn current(&self, s: &AppState) -> Result<ViewStamp, ApiError> {
        loop {
            let cp = s.checkpoint();
            let mut rx = {
                let mut st = self.status();
                let usable = st.stamp.clone().filter(|x| x.rules == RULES_VERSION);
                if let Some(u) = &usable {
                    if u.log_size > cp.size || derived::is_fresh(u, &cp) {
                        return Ok(u.clone());
                    }
                }
                let recent = st
                    .last_attempt
                    .is_some_and(|t| t.elapsed() < self.refresh_every);
                if st.running {
                    if let Some(u) = usable {
                        return Ok(u);
                    }
                } else if recent {
                    if let Some(u) = usable {
                        return Ok(u);
                    }
                    if let Some(e) = &st.last_error {
                        tracing::warn!("derived views unavailable: {e}");
                        return Err(ApiError::unavailable(
                            "the derived views could not be computed; retry shortly",
                        ));
                    }
                }
                let rx = self.done.subscribe();
                if !st.running {
                    st.running = true;
                    st.last_attempt = Some(Instant::now());
                    spawn_refresh(s.clone());
                }
                rx
            };
            rx.changed().await.map_err(ApiError::internal)?;
        }
    }
}

/// Recomputes the views on the blocking pool, records the outcome and wakes the waiters.
fn spawn_refresh(s: AppState) {
    tokio::spawn(async move {
        let t = Instant::now();
        let s2 = s.clone();
        let r = tokio::task::spawn_blocking(move || -> Result<ViewStamp, String> {
            // The writer's live ledger, not a second replay of the log: a copy taken under its
            // read lock, with the checkpoint the writer set under the same lock, so the two
            // agree (the writer holds the write lock from admission to the end of each append).
            let live = {
                let l = s2.0.ledger.read().unwrap_or_else(|p| p.into_inner());
                let cp = s2.checkpoint();
                (l.size == cp.size).then(|| (l.clone(), cp))
            };
            let (j, stamp) = match live {
                Some((ledger, cp)) => {
                    let root = if cp.size == 0 {
                        String::new()
                    } else {
                        cp.root.to_string()
                    };
                    derived::judge_ledger(ledger, cp.size, root)
                }
                None => {
                    s2.0.readers
                        .with(|r| derived::judge(r, &mut |_| {}))
                        .map_err(|e| e.to_string())?
                }
            };
            let mut w = s2.0.views.writer.lock().unwrap_or_else(|p| p.into_inner());
            derived::store(&mut w, &j, &stamp).map_err(|e| e.to_string())?;
            Ok(stamp)
        })
        .await
        .unwrap_or_else(|e| Err(format!("the recompute task failed: {e}")));
        let views = &s.0.views;
        {
            let mut st = views.status();
            st.running = false;
            match r {
                Ok(stamp) => {
                    tracing::info!(
                        log_size = stamp.log_size,
                        secs = t.elapsed().as_secs_f64(),
                        "derived views recomputed"
                    );
                    st.stamp = Some(stamp);
                    st.last_error = None;
                }
                Err(e) => {
                    tracing::error!("recomputing the derived views failed: {e}");
                    st.last_error = Some(e);
                }
            }
        }
        views.done.send_modify(|g| *g += 1);
    });
}

/// The views an engine query answers from.
#[derive(Clone)]
pub(crate) enum Which {
    /// The current views (`views.db`), stamped so.
    Current(ViewStamp),
    /// The views as known at an earlier log size (`views-asof-<size>.db`).
    Earlier(u64),
}

impl Which {
    /// The views for `as_of` (`None`: now). 400 naming `as_of` for a size beyond the log.
    pub(crate) async fn of(s: &AppState, as_of: Option<u64>) -> Result<Which, ApiError> {
        let Some(size) = as_of else {
            return Ok(Which::Current(s.0.views.current(s).await?));
        };
        let latest = s.checkpoint().size;
        if let Err(e) = derived::check_size(size, latest) {
            return Err(bad("as_of", e.to_string()));
        }
        if size == latest {
            let stamp = s.0.views.current(s).await?;
            if stamp.log_size == size {
                return Ok(Which::Current(stamp));
            }
        }
        Ok(Which::Earlier(size))
    }

    /// The log size the views describe.
    pub(crate) fn log_size(&self) -> u64 {
        match self {
            Which::Current(st) => st.log_size,
            Which::Earlier(size) => *size,
        }
    }

    /// Runs `f` on the views (blocking: the first query at an earlier size computes them).
    pub(crate) fn with<R>(
        &self,
        s: &AppState,
        f: impl FnOnce(&ViewStore) -> Result<R, ApiError>,
    ) -> Result<R, ApiError> {
        match self {
            Which::Current(_) => s.0.views.with(f),
            Which::Earlier(size) => {
                let views =
                    s.0.readers
                        .with(|r| derived::as_of_store(&s.0.dir, r, *size, &mut |_| {}))
                        .map_err(|e| match e {
                            derived::DerivedError::BeyondLog { .. } => bad("as_of", e.to_string()),
                            other => ApiError::internal(other),
                        })?;
                f(&views)
            }
        }
    }
}
