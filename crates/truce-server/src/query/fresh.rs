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
use truce_views::live::{amend_targets, Live};

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
    /// Set when the log moved on while a recompute ran ([`Views::kick`]): another follows it.
    again: bool,
}

/// The derived views: a small pool of `views.db` connections for queries, one for recomputes,
/// and the single-flight state of the recompute.
pub struct Views {
    path: PathBuf,
    pool: Vec<Mutex<ViewStore>>,
    next: AtomicUsize,
    writer: Mutex<ViewStore>,
    /// The judgement that follows the writer's ledger (`None` until the first recompute): each
    /// recompute re-judges only what the entries since reach and writes only the rows that
    /// changed ([`truce_views::live`]).
    live: Mutex<Option<Live>>,
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
        // Each recompute's commit is waited on: the write-ahead log is copied back after it
        // ([`checkpoint_later`]), not during it.
        writer.defer_checkpoints()?;
        let stamp = writer.stamp()?;
        let pool = (0..POOL)
            .map(|_| ViewStore::open(&path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Views {
            path,
            pool,
            next: AtomicUsize::new(0),
            writer: Mutex::new(writer),
            live: Mutex::new(None),
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

    /// Starts a recompute now (not waiting for a query, nor for `views_refresh_ms`): the writer
    /// calls it after each commit and after following another process's appends, so the views
    /// are current a few milliseconds after an entry is acknowledged. While one runs, another is
    /// queued to follow it.
    pub fn kick(&self, s: &AppState) {
        let mut st = self.status();
        if st.running {
            st.again = true;
        } else {
            st.running = true;
            st.last_attempt = Some(Instant::now());
            spawn_refresh(s.clone());
        }
    }

    /// Runs `f` with the live judgement, if one is held (blocking: a recompute holds it while it
    /// applies a step). Never call with the ledger's lock held: a recompute takes this lock, then
    /// the ledger's.
    pub(crate) fn with_live<R>(&self, f: impl FnOnce(&Live) -> R) -> Option<R> {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.as_ref().map(f)
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stamp of the views to answer from, recomputing them first when they are behind the
    /// current checkpoint (see the module documentation for who waits).
    pub async fn current(&self, s: &AppState) -> Result<ViewStamp, ApiError> {
        // A recompute that follows the log takes milliseconds: a query arriving while one runs
        // waits for it this long before it is answered from the previous views.
        let deadline = Instant::now() + FOLLOW_WAIT;
        loop {
            let cp = s.checkpoint();
            let (mut rx, wait) = {
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
                    match usable {
                        Some(u) => {
                            let left = deadline.saturating_duration_since(Instant::now());
                            if left.is_zero() {
                                return Ok(u);
                            }
                            (self.done.subscribe(), Some((left, u)))
                        }
                        None => (self.done.subscribe(), None),
                    }
                } else {
                    if recent {
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
                    st.running = true;
                    st.last_attempt = Some(Instant::now());
                    spawn_refresh(s.clone());
                    (rx, None)
                }
            };
            match wait {
                // Waits for the running recompute at most until the deadline.
                Some((left, previous)) => match tokio::time::timeout(left, rx.changed()).await {
                    Ok(r) => r.map_err(ApiError::internal)?,
                    Err(_) => return Ok(previous),
                },
                None => rx.changed().await.map_err(ApiError::internal)?,
            }
        }
    }
}

/// The JSON document an engine query answers: `doc(views, log_size)` on the blocking pool, over
/// the views `as_of` names in `p` (the current ones, recomputed first if behind, by default).
pub(crate) async fn from_views(
    s: AppState,
    caller: &Caller,
    p: &Params,
    doc: impl FnOnce(&ViewStore, u64) -> Result<String, ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
    let which = Which::of(&s, as_of(p, &s)?).await?;
    let body = blocking(move || {
        let log_size = which.log_size();
        which.with(&s, |v| doc(v, log_size))
    })
    .await?;
    Ok(typed(body, "application/json", caller))
}

/// How long a query waits for a running recompute before it is answered from the previous views
/// (a recompute that follows the log takes milliseconds; a full one, after a reading changed or
/// at start, seconds — then the previous views answer, with their `log_size`).
const FOLLOW_WAIT: Duration = Duration::from_millis(250);

/// Recomputes the views on the blocking pool, records the outcome and wakes the waiters.
fn spawn_refresh(s: AppState) {
    tokio::spawn(async move {
        let t = Instant::now();
        let s2 = s.clone();
        let r = tokio::task::spawn_blocking(move || recompute(&s2))
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
        let again = {
            let mut st = views.status();
            let again = std::mem::take(&mut st.again) && !st.running;
            if again {
                st.running = true;
                st.last_attempt = Some(Instant::now());
            }
            again
        };
        if again {
            spawn_refresh(s);
        } else {
            checkpoint_later(&s);
        }
    });
}

/// Pages of write-ahead log (4 KiB each) past which the views are copied back into their file
/// after a recompute: what SQLite's automatic checkpoint would do during the next commit.
const CHECKPOINT_PAGES: i64 = 1000;

/// Copies the views' write-ahead log back into the file once it has grown, on the blocking pool
/// after a recompute's waiters were answered, with the writer's connection (so no recompute
/// commits meanwhile; readers are never blocked by a passive checkpoint).
fn checkpoint_later(s: &AppState) {
    let s = s.clone();
    tokio::task::spawn_blocking(move || {
        let w = s.0.views.writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = w.checkpoint(CHECKPOINT_PAGES) {
            tracing::warn!("copying the views' write-ahead log back: {e}");
        }
    });
}

/// What a recompute does under the ledger's read lock.
enum Step {
    /// Apply what the ledger holds beyond the live judgement (stamp now, stamp before).
    Delta(truce_engine::Delta, ViewStamp, ViewStamp),
    /// Judge in full a snapshot of the ledger (no live judgement yet, or one that cannot follow).
    Fresh(truce_engine::Snapshot, ViewStamp),
    /// The ledger and the checkpoint disagree (the writer is mid-recovery): replay the log.
    Replay,
}

/// Brings `views.db` to the writer's ledger: the live judgement follows it with only what the
/// entries since its last step reach, and only the rows that changed are written. The ledger's
/// read lock is held only while the change is read off it (or, the first time, a snapshot
/// taken); judging and storing run without it, so the writer is never held up for long.
fn recompute(s: &AppState) -> Result<ViewStamp, String> {
    let views = &s.0.views;
    let mut live = views.live.lock().unwrap_or_else(|p| p.into_inner());
    let step = {
        let l = s.0.ledger.read().unwrap_or_else(|p| p.into_inner());
        let cp = s.checkpoint();
        if l.size != cp.size {
            Step::Replay
        } else {
            let stamp = ViewStamp {
                log_size: cp.size,
                root: if cp.size == 0 {
                    String::new()
                } else {
                    cp.root.to_string()
                },
                rules: RULES_VERSION.to_string(),
            };
            match live.as_mut() {
                Some(lv) if lv.stamp().log_size <= l.size => {
                    let from = lv.stamp().log_size;
                    let amended =
                        s.0.readers
                            .with(|r| amend_targets(r, from, l.size))
                            .map_err(|e| e.to_string())?;
                    Step::Delta(lv.delta(&l, &amended), stamp, lv.stamp().clone())
                }
                _ => Step::Fresh(truce_engine::Snapshot::of(&l, l.size), stamp),
            }
        }
    };
    let mut w = views.writer.lock().unwrap_or_else(|p| p.into_inner());
    match step {
        Step::Delta(d, stamp, previous) => {
            let Some(lv) = live.as_mut() else {
                return Err("the live judgement went away".into());
            };
            let t = Instant::now();
            let rj = lv.apply(d, stamp.clone());
            let judged = t.elapsed();
            lv.store(&mut w, &previous, Some(&rj))
                .map_err(|e| e.to_string())?;
            tracing::debug!(
                log_size = stamp.log_size,
                judge_ms = judged.as_secs_f64() * 1e3,
                store_ms = (t.elapsed() - judged).as_secs_f64() * 1e3,
                rejudged = ?rj,
                "views followed the log"
            );
            Ok(stamp)
        }
        Step::Fresh(snap, stamp) => {
            let mut lv = Live::of(snap, stamp.clone());
            if w.stamp().map_err(|e| e.to_string())?.as_ref() == Some(&stamp) {
                lv.mark_stored();
            } else {
                lv.store(&mut w, &stamp, None).map_err(|e| e.to_string())?;
            }
            *live = Some(lv);
            Ok(stamp)
        }
        Step::Replay => {
            *live = None;
            let (j, stamp) =
                s.0.readers
                    .with(|r| derived::judge(r, &mut |_| {}))
                    .map_err(|e| e.to_string())?;
            derived::store(&mut w, &j, &stamp).map_err(|e| e.to_string())?;
            Ok(stamp)
        }
    }
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
