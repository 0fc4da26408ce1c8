//! JSON queries and GeoJSON/CSV exports.
//!
//! Ledger data (agreements, processes, parties, sites, reports, commitments, claims) is read from
//! the ledger the writer keeps current (`state.0.ledger`, read-locked on a blocking thread, never
//! across an await). Engine data (incidents, findings, compliance) is read from `views.db`.
//!
//! **Freshness of the views.** Before answering an engine query, [`Views::current`] compares the
//! stored stamp with the current checkpoint. If the views are behind, one recompute runs on the
//! blocking pool (replaying the log through a pooled reader, judging, storing in one
//! transaction). Choices:
//! - *single flight*: at most one recompute runs at a time;
//! - the request that starts it waits for it; requests arriving while it runs are served the
//!   previous views at once (their `log_size` says which log size they describe) — unless there
//!   are no usable views at all (first start, or another rules version), in which case they wait;
//! - *throttle*: a recompute starts at most once per `views_refresh_ms`; in between, stale
//!   views are served with their `log_size`;
//! - the recompute is a detached task, so a client that disconnects does not cancel it.
//!
//! **Responses.** Lists answer `{"items": [...], "total", "limit", "offset", "log_size"}`,
//! `limit` ≤ `max_page` (default 100 or `max_page` if smaller). Unknown or malformed parameters
//! answer 400 naming the parameter. Public responses carry `Cache-Control: no-cache` and
//! `Vary: Authorization`; responses to a token carry `private, no-store`.
//!
//! **Filters.** `from`/`to`: a UTC day `YYYY-MM-DD` (whole day, inclusive) or an RFC 3339
//! instant, on the start time (incidents: `start`; reports: `time.start`; findings and compliance:
//! the finding's day, the day its incident's evidence starts in the agreement's time zone). `bbox=minlon,minlat,maxlon,maxlat`. `party`: incidents and findings —
//! a party blamed; compliance — the party counted; reports — the author or the party blamed;
//! sites — the lister; commitments — the author of the commitment or of a fulfilment; claims — a
//! speaker on the topic; agreements — a party with a reading. `kind`: reports and incidents — an
//! act (`strike` includes drone and missile strikes and shelling); sites — a category, `prefix.*`
//! or `set:<name>`.
//! Background detections (`/v1/background`, `/v1/background/count`, `/v1/background.geojson`):
//! `from`/`to` and `bbox` as for incidents (on the detection's start and point), `source` — the
//! detection's author, `routine=true|false` — at a persistent hot spot or not ([`background`]).
//!
//! **As known earlier.** `as_of=N` on `/v1/incidents`, `/v1/findings`, `/v1/compliance`,
//! `/v1/background` and `/v1/background/count`
//! answers from the views as known at log size N (the log's first N entries), byte for byte what
//! those endpoints answered then: the current views when N is their size, else
//! `views-asof-N.db`, computed once and shared with the CLI's `--as-of`
//! ([`derived::as_of_store`]). A time names the largest log size whose every entry a quorum of
//! witnesses had cosigned by then (never authors' stated times). A size beyond the log, a time
//! before the first witnessing round, or anything else is a 400 naming `as_of`. One as-of
//! computation runs at a time; it runs on the blocking pool and completes even when the request
//! that started it timed out, so a retry reads the cache.
//!
//! **Restricted content** (`persons` on fulfilments, `evidence_content` on reports) is added
//! only for callers whose role may read it ([`crate::restricted`]); public callers see the
//! commitments only.

use crate::access::Caller;
use crate::error::ApiError;
use crate::restricted::{self, Stored};
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use truce_engine::{Compliance, Grade, Incident, Outcome, Standing, RULES_VERSION};
use truce_model::domain::Act;
use truce_model::geo::Geometry;
use truce_model::ledger::Record;
use truce_model::taxonomy::Category;
use truce_model::{Date, Id, Ledger, Role, Time};
use truce_views::db::{FindingFilter, IncidentFilter, ViewStamp, ViewStore};
use truce_views::derived;
use truce_views::filters::{Field, Known};

/// Background detections (`/v1/background`, `/count`, `.geojson`): their own file, part of this
/// module for its parameters, views and streaming.
#[path = "background.rs"]
pub mod background;

/// Connections to `views.db` opened for queries.
const POOL: usize = 4;
/// Default page size (or `max_page`, if smaller).
const DEFAULT_LIMIT: usize = 100;
/// The largest `limit` or `offset` a query takes: SQLite's largest integer.
const MAX_COUNT: usize = if usize::BITS >= 64 {
    i64::MAX as usize
} else {
    usize::MAX
};

// ───────────────────────────── the views and their freshness ─────────────────────────────

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
    heavy: std::sync::Arc<tokio::sync::Semaphore>,
    heavy_max: usize,
    retry_after_s: u64,
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

// ───────────────────────────── parameters ─────────────────────────────

/// A query string, checked against the parameters an endpoint accepts.
pub(crate) struct Params(BTreeMap<String, String>);

pub(crate) type RawQuery = Result<Query<Vec<(String, String)>>, QueryRejection>;

pub(crate) fn params(q: RawQuery, allowed: &[&str]) -> Result<Params, ApiError> {
    let Query(pairs) =
        q.map_err(|e| ApiError::bad_request(format!("malformed query string: {}", e.body_text())))?;
    let mut map = BTreeMap::new();
    for (k, v) in pairs {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::bad_request(format!(
                "unknown parameter {k:?}; this endpoint takes {}",
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            ))
            .field(k));
        }
        if map.contains_key(&k) {
            return Err(ApiError::bad_request(format!("parameter {k:?} is given twice")).field(k));
        }
        map.insert(k, v);
    }
    Ok(Params(map))
}

pub(crate) fn bad(name: &str, why: impl Into<String>) -> ApiError {
    ApiError::bad_request(format!("parameter {name}: {}", why.into())).field(name)
}

/// A page.
#[derive(Debug, Clone, Copy)]
struct Page {
    limit: usize,
    offset: usize,
}

impl Page {
    fn slice<'a, T>(&self, v: &'a [T]) -> &'a [T] {
        let start = self.offset.min(v.len());
        let end = start.saturating_add(self.limit).min(v.len());
        &v[start..end]
    }
}

/// A bound of a time filter: a whole UTC day, or an instant.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bound {
    Day(Date),
    At(Time),
}

impl Bound {
    fn day(&self) -> Date {
        match self {
            Bound::Day(d) => *d,
            Bound::At(t) => t.date(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimeRange {
    pub(crate) from: Option<Bound>,
    pub(crate) to: Option<Bound>,
}

impl TimeRange {
    fn first_day(&self) -> Option<String> {
        self.from.map(|b| b.day().to_string())
    }
    fn last_day(&self) -> Option<String> {
        self.to.map(|b| b.day().to_string())
    }
    /// Whether a bound is finer than a day (the day columns of the views are not enough).
    fn precise(&self) -> bool {
        matches!(self.from, Some(Bound::At(_))) || matches!(self.to, Some(Bound::At(_)))
    }
    fn contains(&self, t: Time) -> bool {
        let after = match self.from {
            None => true,
            Some(Bound::Day(d)) => t.date() >= d,
            Some(Bound::At(x)) => t >= x,
        };
        let before = match self.to {
            None => true,
            Some(Bound::Day(d)) => t.date() <= d,
            Some(Bound::At(x)) => t <= x,
        };
        after && before
    }
    fn contains_day(&self, day: &str) -> bool {
        self.first_day().is_none_or(|f| day >= f.as_str())
            && self.last_day().is_none_or(|t| day <= t.as_str())
    }
}

fn parse_act(name: &str, s: &str) -> Result<Act, ApiError> {
    serde_json::from_value(Value::String(s.to_string())).map_err(|_| {
        bad(
            name,
            format!("unknown act {s:?}; acts: strike, drone-strike, missile-strike, shelling, sabotage, attack-on-vessels, ground-assault, fire-observed, violence"),
        )
    })
}

impl Params {
    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    /// `limit` or `offset`: an integer from 0 to [`MAX_COUNT`] (SQLite's integers are signed
    /// 64-bit: a larger one is a 400 naming the parameter and its range, never a failed query).
    fn usize(&self, k: &str) -> Result<Option<usize>, ApiError> {
        self.get(k)
            .map(|v| {
                v.parse::<usize>()
                    .ok()
                    .filter(|n| *n <= MAX_COUNT)
                    .ok_or_else(|| bad(k, format!("{v:?} is not an integer from 0 to {MAX_COUNT}")))
            })
            .transpose()
    }

    /// `limit` (≤ `max`) and `offset`.
    fn page(&self, max: usize) -> Result<Page, ApiError> {
        let limit = match self.usize("limit")? {
            Some(l) if l > max => {
                return Err(bad(
                    "limit",
                    format!("{l} is above the largest page, {max}"),
                ))
            }
            Some(l) => l,
            None => DEFAULT_LIMIT.min(max),
        };
        Ok(Page {
            limit,
            offset: self.usize("offset")?.unwrap_or(0),
        })
    }

    /// `limit` and `offset` of an export: everything by default.
    fn export_page(&self) -> Result<export::Window, ApiError> {
        Ok(export::Window {
            limit: self.usize("limit")?.unwrap_or(usize::MAX),
            offset: self.usize("offset")?.unwrap_or(0),
        })
    }

    fn bound(&self, k: &str) -> Result<Option<Bound>, ApiError> {
        let Some(v) = self.get(k) else {
            return Ok(None);
        };
        // An unencoded `+03:00` arrives as ` 03:00`.
        let v = &v.replace(' ', "+");
        if v.len() == 10 {
            Date::parse(v)
                .map(|d| Some(Bound::Day(d)))
                .map_err(|e| bad(k, e))
        } else {
            Time::parse(v)
                .map(|t| Some(Bound::At(t)))
                .map_err(|_| bad(k, format!("{v:?} is neither a day YYYY-MM-DD nor an RFC 3339 time with an offset (2025-03-21T00:00:00Z)")))
        }
    }

    pub(crate) fn time_range(&self) -> Result<TimeRange, ApiError> {
        let r = TimeRange {
            from: self.bound("from")?,
            to: self.bound("to")?,
        };
        let inverted = match (r.from, r.to) {
            (Some(Bound::At(a)), Some(Bound::At(b))) => a > b,
            (Some(a), Some(b)) => a.day() > b.day(),
            _ => false,
        };
        if inverted {
            return Err(bad("to", "it is before `from`"));
        }
        Ok(r)
    }

    pub(crate) fn bbox(&self) -> Result<Option<[f64; 4]>, ApiError> {
        let Some(v) = self.get("bbox") else {
            return Ok(None);
        };
        let nums: Vec<f64> = v
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad("bbox", "write minlon,minlat,maxlon,maxlat in degrees"))?;
        let [a, b, c, d] = nums[..] else {
            return Err(bad(
                "bbox",
                "write four numbers: minlon,minlat,maxlon,maxlat",
            ));
        };
        let lon_ok = |x: f64| x.is_finite() && (-180.0..=180.0).contains(&x);
        let lat_ok = |x: f64| x.is_finite() && (-90.0..=90.0).contains(&x);
        if !(lon_ok(a) && lon_ok(c) && lat_ok(b) && lat_ok(d)) {
            return Err(bad(
                "bbox",
                "longitudes must be within -180..180 and latitudes within -90..90",
            ));
        }
        if a > c || b > d {
            return Err(bad("bbox", "the minimum must not exceed the maximum"));
        }
        Ok(Some([a, b, c, d]))
    }

    pub(crate) fn id(&self, k: &str) -> Result<Option<Id>, ApiError> {
        self.get(k)
            .map(|v| Id::new(v).map_err(|e| bad(k, e)))
            .transpose()
    }

    /// `agreement`, `reading` or `party`: an id the log holds, else a 400 naming the field and
    /// listing the valid values (`truce_views::filters`, shared with the CLI).
    pub(crate) fn known(&self, known: &Known, field: Field) -> Result<Option<Id>, ApiError> {
        let Some(id) = self.id(field.name())? else {
            return Ok(None);
        };
        known
            .check(field, id.as_str())
            .map_err(|e| bad(field.name(), e))?;
        Ok(Some(id))
    }

    pub(crate) fn grade(&self) -> Result<Option<Grade>, ApiError> {
        self.get("occurrence")
            .map(|v| {
                Grade::parse(v).ok_or_else(|| {
                    bad("occurrence", format!("unknown occurrence grade {v:?}; grades: reported, corroborated, verified, unverifiable, dismissed, contested"))
                })
            })
            .transpose()
    }

    fn standing(&self) -> Result<Option<Standing>, ApiError> {
        self.get("standing")
            .map(|v| {
                Standing::parse(v).ok_or_else(|| {
                    bad(
                        "standing",
                        format!(
                            "unknown standing {v:?}; standings: alleged, corroborated, established"
                        ),
                    )
                })
            })
            .transpose()
    }

    fn outcome(&self) -> Result<Option<Outcome>, ApiError> {
        self.get("outcome")
            .map(|v| {
                Outcome::parse(v).ok_or_else(|| {
                    bad("outcome", format!("unknown outcome {v:?}; outcomes: breach, no_breach, out_of_scope, undetermined"))
                })
            })
            .transpose()
    }

    pub(crate) fn act(&self) -> Result<Option<Act>, ApiError> {
        self.get("kind").map(|v| parse_act("kind", v)).transpose()
    }

    fn categories(&self) -> Result<Option<BTreeSet<Category>>, ApiError> {
        self.get("kind")
            .map(|v| truce_model::taxonomy::expand(v).map_err(|e| bad("kind", e)))
            .transpose()
    }

    /// `as_of`: a log size (entries), or an RFC 3339 time: the largest log size whose every
    /// entry a quorum of witnesses had cosigned by then (from the witnessing rounds in the log).
    pub(crate) fn as_of(&self, s: &AppState) -> Result<Option<u64>, ApiError> {
        let Some(v) = self.get("as_of") else {
            return Ok(None);
        };
        if let Ok(n) = v.parse::<u64>() {
            return Ok(Some(n));
        }
        let t = truce_model::Time::parse(v).map_err(|e| {
            bad(
                "as_of",
                format!("{v:?} is neither a log size nor a time ({e}): give a number of entries (what was known once the log held that many; `log_size` in any answer is the current size) or an RFC 3339 time with an offset (what the witnessed log held then; authors' stated times are never used)"),
            )
        })?;
        let ledger = s.0.ledger.read().unwrap_or_else(|p| p.into_inner());
        ledger.time.size_known_by(t).map(Some).ok_or_else(|| {
            bad(
                "as_of",
                match ledger.time.rounds.first() {
                    None => format!("as_of {t}: the log holds no witnessing round, so no entry has a witnessed time; give a log size"),
                    Some(r) => format!("as_of {t}: no witnessing round had reached its quorum by then (the first did at {}); give a later time or a log size", r.reached_at),
                },
            )
        })
    }

    fn role(&self) -> Result<Option<Role>, ApiError> {
        self.get("role")
            .map(|v| {
                serde_json::from_value(Value::String(v.to_string())).map_err(|_| {
                    bad("role", format!("unknown role {v:?}; roles: operator, belligerent, monitor, mediator, open-data"))
                })
            })
            .transpose()
    }
}

// ───────────────────────────── responses ─────────────────────────────

fn cache(mut r: Response, caller: &Caller) -> Response {
    let h = r.headers_mut();
    if caller.is_public() {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    h.insert(header::VARY, HeaderValue::from_static("Authorization"));
    r
}

pub(crate) fn typed(body: String, content_type: &'static str, caller: &Caller) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    cache(r, caller)
}

fn json_response(v: &Value, caller: &Caller) -> Response {
    typed(v.to_string(), "application/json", caller)
}

fn page_value(items: Vec<Value>, total: usize, page: Page, log_size: u64) -> Value {
    json!({
        "items": items,
        "total": total,
        "limit": page.limit,
        "offset": page.offset,
        "log_size": log_size,
    })
}

/// A page of stored JSON documents, written through unchanged (the engine's bytes).
fn raw_page(docs: &[String], total: usize, page: Page, log_size: u64, extra: &str) -> String {
    let mut s = String::with_capacity(docs.iter().map(|d| d.len() + 1).sum::<usize>() + 128);
    s.push_str("{\"items\":[");
    for (k, d) in docs.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        s.push_str(d);
    }
    s.push_str(&format!(
        "],\"total\":{total},\"limit\":{},\"offset\":{},\"log_size\":{log_size}{extra}}}",
        page.limit, page.offset
    ));
    s
}

pub(crate) async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

pub(crate) fn ledger(s: &AppState) -> std::sync::RwLockReadGuard<'_, Ledger> {
    s.0.ledger.read().unwrap_or_else(|p| p.into_inner())
}

/// A ledger record as JSON: where it is in the log, who wrote it, and its value under `key`.
fn record_json<T: Serialize>(key: &str, r: &Record<T>) -> Value {
    let mut m = Map::new();
    m.insert("index".into(), json!(r.index));
    m.insert("entry_id".into(), json!(r.entry_id));
    m.insert("author".into(), json!(r.author));
    m.insert("entry_time".into(), json!(r.time));
    m.insert(
        key.into(),
        serde_json::to_value(&r.value).unwrap_or(Value::Null),
    );
    if let Some(why) = &r.retracted {
        m.insert("retracted".into(), json!(why));
    }
    if !r.corrections.is_empty() {
        m.insert("corrections".into(), json!(r.corrections));
    }
    Value::Object(m)
}

fn content_json(hash: &str, s: &Stored) -> Value {
    json!({"hash": hash, "kind": s.kind, "content": s.content})
}

/// Adds `evidence_content` to report items the caller may read (none for the public).
fn inline_evidence(
    s: &AppState,
    caller: &Caller,
    items: &mut [Value],
    evidence: &[Vec<String>],
) -> Result<(), ApiError> {
    if caller.is_public() {
        return Ok(());
    }
    let all = restricted::inline_for(
        s.0.access.restricted(),
        caller,
        evidence.iter().flatten().map(String::as_str),
    )?;
    for (item, hashes) in items.iter_mut().zip(evidence) {
        let found: Vec<Value> = hashes
            .iter()
            .filter_map(|h| all.get(h).map(|st| content_json(h, st)))
            .collect();
        if !found.is_empty() {
            if let Value::Object(m) = item {
                m.insert("evidence_content".into(), Value::Array(found));
            }
        }
    }
    Ok(())
}

// ───────────────────────────── ledger endpoints ─────────────────────────────

#[derive(Serialize)]
struct AgreementRow {
    id: Id,
    title: String,
    joint_text: bool,
    process: Id,
    process_author: Id,
    phase: Id,
    phase_title: String,
    phase_status: truce_model::domain::PhaseStatus,
    /// The time zone its days are counted in (`UTC` when the process states none).
    time_zone: String,
    readings: Vec<Id>,
}

fn agreement_rows(l: &Ledger) -> Vec<AgreementRow> {
    let mut out = Vec::new();
    for ((author, _), p) in l.processes.iter().filter(|(_, p)| p.retracted.is_none()) {
        for ph in &p.value.phases {
            for a in &ph.agreements {
                out.push(AgreementRow {
                    id: a.id.clone(),
                    title: a.title.clone(),
                    joint_text: a.joint_text,
                    process: p.value.id.clone(),
                    process_author: author.clone(),
                    phase: ph.id.clone(),
                    phase_title: ph.title.clone(),
                    phase_status: ph.status,
                    time_zone: a
                        .time_zone
                        .as_ref()
                        .map_or_else(|| "UTC".to_string(), |z| z.to_string()),
                    readings: l
                        .readings_of(&a.id)
                        .iter()
                        .map(|r| r.author.clone())
                        .collect(),
                });
            }
        }
    }
    out
}

/// `GET /v1/agreements`.
#[utoipa::path(get, path = "/v1/agreements", tag = "ledger",
    summary = "Agreements defined by processes, with their time zone (`time_zone`, UTC when none is stated) and the parties that filed a reading",
    params(crate::openapi::PageParams, ("party" = Option<String>, Query, description = "A party with a reading of the agreement")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn agreements(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["limit", "offset", "party"])?;
    let page = p.page(s.0.config.max_page)?;
    let party = p.id("party")?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        let rows: Vec<AgreementRow> = agreement_rows(&l)
            .into_iter()
            .filter(|a| party.as_ref().is_none_or(|p| a.readings.contains(p)))
            .collect();
        let items = page
            .slice(&rows)
            .iter()
            .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
            .collect();
        Ok(page_value(items, rows.len(), page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/agreements/{id}`.
#[utoipa::path(get, path = "/v1/agreements/{id}", tag = "ledger",
    summary = "One agreement: where it is defined and every party's current reading",
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 200, description = "`{agreement, defined_in, readings, log_size}`", body = Object),
        (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody), (status = 404, description = "Not found", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn agreement(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response, ApiError> {
    params(q, &[])?;
    let id = Id::new(&id).map_err(|e| bad("id", e))?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        let defs: Vec<AgreementRow> = agreement_rows(&l)
            .into_iter()
            .filter(|a| a.id == id)
            .collect();
        let readings: Vec<Value> = l
            .readings_of(&id)
            .iter()
            .map(|r| record_json("reading", r))
            .collect();
        if defs.is_empty() && readings.is_empty() {
            return Err(ApiError::not_found(format!(
                "no agreement {id}; GET /v1/agreements lists them"
            )));
        }
        Ok(json!({
            "agreement": defs.first(),
            "defined_in": defs,
            "readings": readings,
            "log_size": log_size,
        }))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/agreements/{id}/diff`.
#[utoipa::path(get, path = "/v1/agreements/{id}/diff", tag = "ledger",
    summary = "Readings diff: each aspect of the readings compared, with the categories only some protect",
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 200, description = "`{diff, log_size}`", body = Object),
        (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody), (status = 404, description = "Not found", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn agreement_diff(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response, ApiError> {
    params(q, &[])?;
    let id = Id::new(&id).map_err(|e| bad("id", e))?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        if l.readings_of(&id).is_empty() && !agreement_rows(&l).iter().any(|a| a.id == id) {
            return Err(ApiError::not_found(format!(
                "no agreement {id}; GET /v1/agreements lists them"
            )));
        }
        let diff = truce_model::views::readings_diff(&l, &id);
        Ok(json!({"diff": diff, "log_size": log_size}))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/agreements/{id}/history`.
#[utoipa::path(get, path = "/v1/agreements/{id}/history", tag = "ledger",
    summary = "Every version of every party's reading, in log order: what it changed, the findings it changed, and a sentence saying it",
    description = "Each version: `party`, `version` (1: the first), `index`, `entry_id`, `filed`, `effective_from`, `retroactive` (applies from before its filing: allowed, and flagged), `changes` (aspects that differ from the party's previous version: `{aspect, before, after}`), `findings_changed` (findings under that reading whose outcome differs as known just before the version was logged, log size `index`, and just after, `index + 1`: `{incident, day, before, after, retroactive}`) and `sentence` (\"ru filed a new reading on 20 April 2025, effective from 18 March 2025 (retroactive): start 18 March → 1 April; 3 findings change\", dates in the agreement's `time_zone`). The same document as `truce --json agreement history <id>`. The first request after a new version judges the log at two earlier sizes (kept afterwards).",
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 200, description = "`{agreement, time_zone, log_size, versions}`", body = truce_views::history::History),
        (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody), (status = 404, description = "No process defines the agreement", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn agreement_history(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response, ApiError> {
    params(q, &[])?;
    let id = Id::new(&id).map_err(|e| bad("id", e))?;
    let v = blocking(move || {
        // Only the versions are read under the ledger's lock; the judging happens without it.
        let (pending, zone, log_size, events) = {
            let l = ledger(&s);
            (
                truce_views::history::versions_of(&l, &id),
                truce_views::history::agreement_zone(&l, &id),
                s.checkpoint().size,
                truce_views::lifecycle::events_of(&l, &id),
            )
        };
        let (Some(pending), Some(zone)) = (pending, zone) else {
            return Err(ApiError::not_found(format!(
                "no agreement {id}; GET /v1/agreements lists them"
            )));
        };
        let versions =
            s.0.readers
                .with(|r| truce_views::history::changes(&s.0.dir, r, &pending, &mut |_| {}))
                .map_err(ApiError::internal)?;
        let events = s
            .0
            .readers
            .with(|r| truce_views::lifecycle::with_changes(&s.0.dir, r, &id, events, &mut |_| {}))
            .map_err(ApiError::internal)?;
        Ok(truce_views::history::History {
            agreement: id.to_string(),
            time_zone: zone.to_string(),
            log_size,
            versions,
            events,
        })
    })
    .await?;
    Ok(typed(
        serde_json::to_string(&v).map_err(ApiError::internal)?,
        "application/json",
        &caller,
    ))
}

/// `GET /v1/process`.
#[utoipa::path(get, path = "/v1/process", tag = "ledger",
    summary = "Peace processes with their phases, dependencies, statuses and agreements",
    params(crate::openapi::PageParams),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn process(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["limit", "offset"])?;
    let page = p.page(s.0.config.max_page)?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        let mut all: Vec<&Record<_>> = l.processes.values().collect();
        all.sort_by_key(|r| r.index);
        let items = page
            .slice(&all)
            .iter()
            .map(|r| record_json("process", r))
            .collect();
        Ok(page_value(items, all.len(), page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/parties`.
#[utoipa::path(get, path = "/v1/parties", tag = "ledger",
    summary = "Registered parties with their roles and keys (revoked keys included)",
    params(crate::openapi::PageParams,
        ("role" = Option<String>, Query, description = "operator, belligerent, monitor, mediator or open-data"),
        ("party" = Option<String>, Query, description = "One party id")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn parties(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["limit", "offset", "role", "party"])?;
    let page = p.page(s.0.config.max_page)?;
    let (role, party) = (p.role()?, p.id("party")?);
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        let all: Vec<Value> = l
            .parties
            .values()
            .filter(|x| role.is_none_or(|r| x.role == r))
            .filter(|x| party.as_ref().is_none_or(|p| &x.id == p))
            .map(|x| {
                json!({
                    "id": x.id,
                    "name": x.name,
                    "role": x.role,
                    "registered_at": x.registered_at,
                    "keys": x.keys.iter().map(|(id, k)| json!({
                        "id": id,
                        "vkey": k.vkey,
                        "added_at": k.added_at,
                        "revoked_at": k.revoked_at,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let total = all.len();
        let items = page.slice(&all).to_vec();
        Ok(page_value(items, total, page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// Filters on sites.
#[derive(Clone)]
struct SiteQuery {
    bbox: Option<[f64; 4]>,
    party: Option<Id>,
    categories: Option<BTreeSet<Category>>,
}

const SITE_PARAMS: &[&str] = &["limit", "offset", "bbox", "party", "kind"];

impl SiteQuery {
    fn parse(p: &Params) -> Result<SiteQuery, ApiError> {
        Ok(SiteQuery {
            bbox: p.bbox()?,
            party: p.id("party")?,
            categories: p.categories()?,
        })
    }
    fn matches(&self, r: &Record<truce_model::domain::Site>) -> bool {
        self.party.as_ref().is_none_or(|p| &r.author == p)
            && self
                .categories
                .as_ref()
                .is_none_or(|c| c.contains(&r.value.category))
            && self
                .bbox
                .is_none_or(|b| geometry_in_bbox(&r.value.geometry, b))
    }
}

fn in_bbox(lon: f64, lat: f64, b: [f64; 4]) -> bool {
    lon >= b[0] && lat >= b[1] && lon <= b[2] && lat <= b[3]
}

/// A point inside the box, or a polygon or line whose bounding box meets it.
fn geometry_in_bbox(g: &Geometry, b: [f64; 4]) -> bool {
    match g {
        Geometry::Point(p) => in_bbox(p.lon(), p.lat(), b),
        shape => {
            let (mut x0, mut y0, mut x1, mut y1) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
            for p in shape.positions() {
                x0 = x0.min(p.lon());
                y0 = y0.min(p.lat());
                x1 = x1.max(p.lon());
                y1 = y1.max(p.lat());
            }
            x0 <= b[2] && x1 >= b[0] && y0 <= b[3] && y1 >= b[1]
        }
    }
}

/// A site as a GeoJSON feature (its record's fields as properties, `lister` its author).
fn site_feature(r: &Record<truce_model::domain::Site>) -> Value {
    let mut props = record_json("site", r);
    if let Value::Object(m) = &mut props {
        if let Some(Value::Object(site)) = m.remove("site") {
            for (k, v) in site {
                if k != "geometry" {
                    m.insert(k, v);
                }
            }
        }
        m.insert("lister".into(), json!(r.author));
    }
    json!({
        "type": "Feature",
        "id": format!("{}/{}", r.author, r.value.id),
        "geometry": r.value.geometry,
        "properties": props,
    })
}

fn sites_page(s: &AppState, f: &SiteQuery, page: Page) -> (Vec<Value>, usize, u64) {
    let log_size = s.checkpoint().size;
    let l = ledger(s);
    let mut all: Vec<&Record<truce_model::domain::Site>> =
        l.sites.values().filter(|r| f.matches(r)).collect();
    all.sort_by_key(|r| r.index);
    let items = page
        .slice(&all)
        .iter()
        .map(|r| record_json("site", r))
        .collect();
    (items, all.len(), log_size)
}

/// `GET /v1/sites`.
#[utoipa::path(get, path = "/v1/sites", tag = "ledger",
    summary = "Protected sites, in log order",
    params(crate::openapi::PageParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "The listing party"),
        ("kind" = Option<String>, Query, description = "A category, `prefix.*` or `set:<name>`")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn sites(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, SITE_PARAMS)?;
    let page = p.page(s.0.config.max_page)?;
    let f = SiteQuery::parse(&p)?;
    let v = blocking(move || {
        let (items, total, log_size) = sites_page(&s, &f, page);
        Ok(page_value(items, total, page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/sites.geojson`.
#[utoipa::path(get, path = "/v1/sites.geojson", tag = "exports",
    summary = "Sites as a GeoJSON FeatureCollection (same filters; all by default)",
    params(crate::openapi::ExportPageParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "The listing party"),
        ("kind" = Option<String>, Query, description = "A category, `prefix.*` or `set:<name>`")),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn sites_geojson(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, SITE_PARAMS)?;
    let window = p.export_page()?;
    let f = SiteQuery::parse(&p)?;
    let permit = match heavy_permit(&s) {
        Ok(p) => p,
        Err(busy) => return Ok(*busy),
    };
    let ledger = s.0.ledger.clone();
    stream(&s, permit, GEOJSON, &caller, None, move |w| {
        export::sites_geojson(&ledger, |r| f.matches(r), window, w).map(|_| ())
    })
    .await
}

const GEOJSON: &str = "application/geo+json";
const CSV: &str = "text/csv; charset=utf-8; header=present";

/// Filters on reports.
#[derive(Clone)]
struct ReportQuery {
    range: TimeRange,
    bbox: Option<[f64; 4]>,
    party: Option<Id>,
    act: Option<Act>,
}

const REPORT_PARAMS: &[&str] = &["limit", "offset", "from", "to", "bbox", "party", "kind"];

impl ReportQuery {
    fn parse(p: &Params) -> Result<ReportQuery, ApiError> {
        Ok(ReportQuery {
            range: p.time_range()?,
            bbox: p.bbox()?,
            party: p.id("party")?,
            act: p.act()?,
        })
    }
    fn matches(&self, r: &Record<truce_model::domain::Report>) -> bool {
        let v = &r.value;
        self.range.contains(v.time.start)
            && self
                .bbox
                .is_none_or(|b| in_bbox(v.location.point.lon(), v.location.point.lat(), b))
            && self
                .party
                .as_ref()
                .is_none_or(|p| &r.author == p || v.alleged_perpetrator.as_ref() == Some(p))
            && self.act.is_none_or(|a| v.act.is_a(&a))
    }
}

/// A page of reports as items, with evidence content for permitted callers.
fn reports_page(
    s: &AppState,
    caller: &Caller,
    f: &ReportQuery,
    page: Page,
) -> Result<(Vec<Value>, usize, u64), ApiError> {
    let log_size = s.checkpoint().size;
    let (mut items, evidence, total) = {
        let l = ledger(s);
        let mut all: Vec<&Record<truce_model::domain::Report>> =
            l.reports.values().filter(|r| f.matches(r)).collect();
        all.sort_by_key(|r| r.index);
        let slice = page.slice(&all);
        let items: Vec<Value> = slice.iter().map(|r| record_json("report", r)).collect();
        let evidence: Vec<Vec<String>> = slice.iter().map(|r| r.value.evidence.clone()).collect();
        (items, evidence, all.len())
    };
    inline_evidence(s, caller, &mut items, &evidence)?;
    Ok((items, total, log_size))
}

fn report_feature(r: &Record<truce_model::domain::Report>) -> Value {
    let v = &r.value;
    json!({
        "type": "Feature",
        "id": r.entry_id,
        "geometry": {"type": "Point", "coordinates": v.location.point},
        "properties": {
            "author": r.author,
            "id": v.id,
            "index": r.index,
            "act": v.act,
            "alleged_perpetrator": v.alleged_perpetrator,
            "start": v.time.start,
            "end": v.time.end,
            "place": v.location.place,
            "uncertainty_m": v.location.uncertainty_m,
            "target_category": v.target_category,
            "evidence": v.evidence,
            "illustrative": v.illustrative,
            "text": v.text,
            "retracted": r.retracted,
        },
    })
}

/// `GET /v1/reports`.
#[utoipa::path(get, path = "/v1/reports", tag = "ledger",
    summary = "Reports (allegations, observations, open data), in log order; evidence content inline for permitted callers",
    params(crate::openapi::PageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "The author, or the party blamed"),
        ("kind" = Option<String>, Query, description = "An act (`strike` includes drone and missile strikes and shelling)")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn reports(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, REPORT_PARAMS)?;
    let page = p.page(s.0.config.max_page)?;
    let f = ReportQuery::parse(&p)?;
    let c = caller.clone();
    let v = blocking(move || {
        let (items, total, log_size) = reports_page(&s, &c, &f, page)?;
        Ok(page_value(items, total, page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/reports.geojson`.
#[utoipa::path(get, path = "/v1/reports.geojson", tag = "exports",
    summary = "Reports as a GeoJSON FeatureCollection (same filters and permissions; all by default)",
    params(crate::openapi::ExportPageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "The author, or the party blamed"),
        ("kind" = Option<String>, Query, description = "An act")),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn reports_geojson(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, REPORT_PARAMS)?;
    let window = p.export_page()?;
    let f = ReportQuery::parse(&p)?;
    let permit = match heavy_permit(&s) {
        Ok(p) => p,
        Err(busy) => return Ok(*busy),
    };
    let (s2, c) = (s.clone(), caller.clone());
    stream(&s, permit, GEOJSON, &caller, None, move |w| {
        let inline = |props: &mut [Value], evidence: &[Vec<String>]| {
            inline_evidence(&s2, &c, props, evidence).map_err(std::io::Error::other)
        };
        export::reports_geojson(&s2.0.ledger, |r| f.matches(r), window, inline, w).map(|_| ())
    })
    .await
}

/// `GET /v1/commitments`.
#[utoipa::path(get, path = "/v1/commitments", tag = "ledger",
    summary = "Humanitarian commitments reconciled with their fulfilments: each side's own total per item (`by_side`: tranches summed, a restatement replacing the side's figure, the sides never added), `sides_differ` and discrepancies flagged; person lists inline for permitted callers",
    params(crate::openapi::PageParams,
        ("party" = Option<String>, Query, description = "The author of the commitment or of one of its fulfilments")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn commitments(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["limit", "offset", "party"])?;
    let page = p.page(s.0.config.max_page)?;
    let party = p.id("party")?;
    let c = caller.clone();
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let (mut items, total, commitments) = {
            let l = ledger(&s);
            let all: Vec<(Value, Vec<Value>, Vec<Option<String>>)> =
                truce_model::views::commitments(&l)
                    .into_iter()
                    .filter_map(|cs| {
                        let fs: Vec<&Record<truce_model::domain::Fulfilment>> = l
                            .fulfilments
                            .iter()
                            .filter(|f| f.value.commitment.as_str() == cs.id)
                            .collect();
                        let keep = party.as_ref().is_none_or(|p| {
                            cs.author == p.as_str() || fs.iter().any(|f| &f.author == p)
                        });
                        keep.then(|| {
                            (
                                serde_json::to_value(&cs).unwrap_or(Value::Null),
                                fs.iter().map(|f| record_json("fulfilment", f)).collect(),
                                fs.iter()
                                    .map(|f| f.value.persons_commitment.clone())
                                    .collect(),
                            )
                        })
                    })
                    .collect();
            let total = all.len();
            let mut items = Vec::new();
            let mut commitments = Vec::new();
            for (mut cs, fs, pc) in page.slice(&all).iter().cloned() {
                cs["fulfilment_entries"] = Value::Array(fs);
                items.push(cs);
                commitments.push(pc);
            }
            (items, total, commitments)
        };
        if !c.is_public() {
            let all = restricted::inline_for(
                s.0.access.restricted(),
                &c,
                commitments.iter().flatten().flatten().map(String::as_str),
            )?;
            for (item, pcs) in items.iter_mut().zip(&commitments) {
                if let Some(Value::Array(fs)) = item.get_mut("fulfilment_entries") {
                    for (f, pc) in fs.iter_mut().zip(pcs) {
                        if let Some(st) = pc.as_ref().and_then(|h| all.get(h)) {
                            f["persons"] = json!(st.content);
                        }
                    }
                }
            }
        }
        Ok(page_value(items, total, page, log_size))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// `GET /v1/claims`.
#[utoipa::path(get, path = "/v1/claims", tag = "ledger",
    summary = "Claims grouped by topic, contradictions flagged",
    params(crate::openapi::PageParams,
        ("party" = Option<String>, Query, description = "A speaker on the topic (the whole topic is returned)")),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn claims(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &["limit", "offset", "party"])?;
    let page = p.page(s.0.config.max_page)?;
    let party = p.id("party")?;
    let v = blocking(move || {
        let log_size = s.checkpoint().size;
        let l = ledger(&s);
        let all: Vec<Value> = truce_model::views::claims(&l)
            .into_iter()
            .filter(|t| {
                party
                    .as_ref()
                    .is_none_or(|p| t.claims.iter().any(|c| c.speaker == p.as_str()))
            })
            .map(|t| serde_json::to_value(&t).unwrap_or(Value::Null))
            .collect();
        Ok(page_value(
            page.slice(&all).to_vec(),
            all.len(),
            page,
            log_size,
        ))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

// ───────────────────────────── engine endpoints ─────────────────────────────

/// Filters on incidents.
#[derive(Clone)]
struct IncidentQuery {
    range: TimeRange,
    bbox: Option<[f64; 4]>,
    party: Option<Id>,
    grade: Option<Grade>,
    act: Option<Act>,
}

const INCIDENT_PARAMS: &[&str] = &[
    "limit",
    "offset",
    "from",
    "to",
    "bbox",
    "party",
    "occurrence",
    "kind",
];

#[derive(serde::Deserialize)]
struct IncidentHead {
    start: String,
    acts: Vec<Act>,
}

impl IncidentQuery {
    fn parse(p: &Params, known: &Known) -> Result<IncidentQuery, ApiError> {
        Ok(IncidentQuery {
            range: p.time_range()?,
            bbox: p.bbox()?,
            party: p.known(known, Field::Party)?,
            grade: p.grade()?,
            act: p.act()?,
        })
    }

    /// Every matching incident document, in stored order (by start, then id).
    /// The part of the query the views database answers by itself.
    fn filter(&self) -> IncidentFilter {
        IncidentFilter {
            from_day: self.range.first_day(),
            to_day: self.range.last_day(),
            grade: self.grade.map(|g| g.as_str().to_string()),
            party: self.party.as_ref().map(Id::to_string),
            bbox: self.bbox,
        }
    }

    /// Whether documents must be read to apply the query (an instant bound or an act).
    fn needs_parsing(&self) -> bool {
        self.range.precise() || self.act.is_some()
    }

    /// Whether an incident passes the filters the views' columns cannot apply (an instant
    /// bound, an act).
    fn keeps(&self, i: &Incident) -> bool {
        !self.needs_parsing()
            || (Time::parse(&i.start).is_ok_and(|t| self.range.contains(t))
                && self.act.is_none_or(|a| i.acts.iter().any(|x| x.is_a(&a))))
    }

    fn docs(&self, v: &ViewStore) -> Result<Vec<String>, ApiError> {
        // Lists and exports show incidents in their list form: members abridged, `member_count`.
        let mut docs = v.incident_heads(&self.filter())?;
        if self.needs_parsing() {
            let mut err = None;
            docs.retain(|d| match serde_json::from_str::<IncidentHead>(d) {
                Ok(h) => {
                    Time::parse(&h.start).is_ok_and(|t| self.range.contains(t))
                        && self.act.is_none_or(|a| h.acts.iter().any(|x| x.is_a(&a)))
                }
                Err(e) => {
                    err = Some(e);
                    false
                }
            });
            if let Some(e) = err {
                return Err(ApiError::internal(derived::DerivedError::Unreadable(
                    e.to_string(),
                )));
            }
        }
        Ok(docs)
    }
}

/// `GET /v1/incidents`.
#[utoipa::path(get, path = "/v1/incidents", tag = "engine",
    summary = "Incidents (reports judged to describe the same event) with grades, by start then id",
    params(crate::openapi::PageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "A party blamed"),
        ("occurrence" = Option<String>, Query, description = "Occurrence grade: reported, corroborated, verified, unverifiable, dismissed or contested"),
        ("kind" = Option<String>, Query, description = "An act reported"),
        crate::openapi::AsOfParam),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn incidents(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &[INCIDENT_PARAMS, &["as_of"]].concat())?;
    let page = p.page(s.0.config.max_page)?;
    let f = IncidentQuery::parse(&p, &Known::of(&ledger(&s)))?;
    let which = Which::of(&s, p.as_of(&s)?).await?;
    let body = blocking(move || {
        let log_size = which.log_size();
        if f.needs_parsing() {
            let docs = which.with(&s, |v| f.docs(v))?;
            return Ok(raw_page(page.slice(&docs), docs.len(), page, log_size, ""));
        }
        // Every filter is a column: SQL pages, so a request reads one page, not every match.
        let (docs, total) = which.with(&s, |v| {
            Ok(v.incidents_page(&f.filter(), page.limit, page.offset)?)
        })?;
        Ok(raw_page(&docs, total as usize, page, log_size, ""))
    })
    .await?;
    Ok(typed(body, "application/json", &caller))
}

/// `GET /v1/incidents/{id}`.
#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "engine",
    summary = "One incident with every finding about it and one page of its reports (evidence content inline for permitted callers)",
    params(("id" = String, Path, description = "Incident id (`inc-` + 16 hex digits)"),
        ("limit" = Option<usize>, Query, description = "Reports (and members) per page, at most `max_page` (default 100)"),
        ("offset" = Option<usize>, Query, description = "Reports (and members) to skip, in log order")),
    responses((status = 200, description = "`{incident, findings, reports, reports_total, limit, offset, log_size}`: `incident.members` and `reports` are the same page of the incident's reports, `incident.member_count` and `reports_total` count them all", body = Object),
        (status = 404, description = "Not found", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn incident(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let page = params(q, &["limit", "offset"])?.page(s.0.config.max_page)?;
    let stamp = s.0.views.current(&s).await?;
    let c = caller.clone();
    let v = blocking(move || {
        let (doc, findings) = s.0.views.with(|v| -> Result<_, ApiError> {
            let Some(doc) = v.incident(&id)? else {
                return Err(ApiError::not_found(format!(
                    "no incident {id:?}; GET /v1/incidents lists them"
                )));
            };
            let findings = v.findings(&FindingFilter {
                incident: Some(id.clone()),
                ..Default::default()
            })?;
            Ok((doc, findings))
        })?;
        let mut inc: Incident = serde_json::from_str(&doc)
            .map_err(|e| ApiError::internal(derived::DerivedError::Unreadable(e.to_string())))?;
        // One page of the members (and their reports): an incident gathering thousands of
        // reports answers in bounded size.
        let member_count = inc.members.len();
        inc.members = page.slice(&inc.members).to_vec();
        let findings: Vec<Value> = derived::parse_all(&findings).map_err(ApiError::internal)?;
        let (mut reports, evidence) = {
            let l = ledger(&s);
            let recs: Vec<&Record<truce_model::domain::Report>> = inc
                .members
                .iter()
                .filter_map(|m| l.reports.get(&(m.author.clone(), m.id.clone())))
                .collect();
            (
                recs.iter()
                    .map(|r| record_json("report", r))
                    .collect::<Vec<_>>(),
                recs.iter()
                    .map(|r| r.value.evidence.clone())
                    .collect::<Vec<_>>(),
            )
        };
        inline_evidence(&s, &c, &mut reports, &evidence)?;
        let mut incident = serde_json::to_value(&inc)
            .map_err(|e| ApiError::internal(derived::DerivedError::Unreadable(e.to_string())))?;
        if let Some(o) = incident.as_object_mut() {
            o.insert("member_count".into(), json!(member_count));
        }
        Ok(json!({
            "incident": incident,
            "findings": findings,
            "reports": reports,
            "reports_total": member_count,
            "limit": page.limit,
            "offset": page.offset,
            "log_size": stamp.log_size,
        }))
    })
    .await?;
    Ok(json_response(&v, &caller))
}

fn csv_field(out: &mut String, s: &str) {
    // Spreadsheet formula injection: text starting with = + - @ is prefixed with a quote, unless
    // it is a number.
    let s: std::borrow::Cow<'_, str> =
        if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
            format!("'{s}").into()
        } else {
            s.into()
        };
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&s);
    }
}

fn csv_row(out: &mut String, fields: &[String]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, f);
    }
    out.push_str("\r\n");
}

fn names<T: Serialize>(v: &[T]) -> String {
    v.iter()
        .map(|x| match serde_json::to_value(x) {
            Ok(Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(_) => String::new(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /v1/incidents.geojson`.
#[utoipa::path(get, path = "/v1/incidents.geojson", tag = "exports",
    summary = "Incidents as a GeoJSON FeatureCollection of points (same filters; all by default)",
    params(crate::openapi::ExportPageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "A party blamed"),
        ("occurrence" = Option<String>, Query, description = "An occurrence grade"),
        ("kind" = Option<String>, Query, description = "An act reported")),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn incidents_geojson(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    incidents_export(s, caller, q, false).await
}

/// `GET /v1/incidents.geojson` and `/v1/incidents.csv`, streamed from one snapshot of the views.
async fn incidents_export(
    s: AppState,
    caller: Caller,
    q: RawQuery,
    csv: bool,
) -> Result<Response, ApiError> {
    let p = params(q, INCIDENT_PARAMS)?;
    let window = p.export_page()?;
    let f = IncidentQuery::parse(&p, &Known::of(&ledger(&s)))?;
    // The views are brought up to date before a permit is taken.
    s.0.views.current(&s).await?;
    let permit = match heavy_permit(&s) {
        Ok(p) => p,
        Err(busy) => return Ok(*busy),
    };
    let path = s.0.views.path().to_path_buf();
    let (kind, name) = if csv {
        (CSV, Some("incidents.csv"))
    } else {
        (GEOJSON, None)
    };
    stream(&s, permit, kind, &caller, name, move |w| {
        let views = ViewStore::open_read_only(&path)?;
        let keep = |i: &Incident| f.keeps(i);
        export::incidents(&views, &f.filter(), keep, window, csv, w).map(|_| ())
    })
    .await
}

/// `GET /v1/incidents.csv`.
#[utoipa::path(get, path = "/v1/incidents.csv", tag = "exports",
    summary = "Incidents as CSV with a header row (same filters; all by default)",
    params(crate::openapi::ExportPageParams, crate::openapi::TimeParams, crate::openapi::BboxParam,
        ("party" = Option<String>, Query, description = "A party blamed"),
        ("occurrence" = Option<String>, Query, description = "An occurrence grade"),
        ("kind" = Option<String>, Query, description = "An act reported")),
    responses((status = 200, description = "CSV (RFC 4180) with a header row", content_type = "text/csv", body = String), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn incidents_csv(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    incidents_export(s, caller, q, true).await
}

/// Filters on findings.
#[derive(Clone)]
struct FindingQuery(FindingFilter);

const FINDING_PARAMS: &[&str] = &[
    "limit",
    "offset",
    "from",
    "to",
    "agreement",
    "reading",
    "party",
    "standing",
    "outcome",
    "incident",
];

impl FindingQuery {
    fn parse(p: &Params, known: &Known) -> Result<FindingQuery, ApiError> {
        let range = p.time_range()?;
        Ok(FindingQuery(FindingFilter {
            agreement: p.known(known, Field::Agreement)?.map(|x| x.to_string()),
            reading: p.known(known, Field::Reading)?.map(|x| x.to_string()),
            incident: p.get("incident").map(String::from),
            outcome: p.outcome()?.map(|o| o.as_str().to_string()),
            standing: p.standing()?.map(|g| g.as_str().to_string()),
            party: p.known(known, Field::Party)?.map(|x| x.to_string()),
            from_day: range.first_day(),
            to_day: range.last_day(),
        }))
    }
}

/// `GET /v1/findings`.
#[utoipa::path(get, path = "/v1/findings", tag = "engine",
    summary = "Findings per incident × agreement × reading, with attributions and reasons",
    params(crate::openapi::PageParams, crate::openapi::TimeParams,
        ("agreement" = Option<String>, Query, description = "Agreement id"),
        ("reading" = Option<String>, Query, description = "Whose reading"),
        ("party" = Option<String>, Query, description = "A party blamed"),
        ("standing" = Option<String>, Query, description = "How well the outcome stands: alleged, corroborated or established"),
        ("outcome" = Option<String>, Query, description = "breach, no_breach, out_of_scope or undetermined"),
        ("incident" = Option<String>, Query, description = "Incident id"),
        crate::openapi::AsOfParam),
    responses((status = 200, description = "A page: `{items, total, limit, offset, log_size}`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn findings(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, &[FINDING_PARAMS, &["as_of"]].concat())?;
    let page = p.page(s.0.config.max_page)?;
    let f = FindingQuery::parse(&p, &Known::of(&ledger(&s)))?;
    let which = Which::of(&s, p.as_of(&s)?).await?;
    let body = blocking(move || {
        let (docs, total) = which.with(&s, |v| {
            Ok(v.findings_page(&f.0, page.limit, page.offset)?)
        })?;
        Ok(raw_page(&docs, total as usize, page, which.log_size(), ""))
    })
    .await?;
    Ok(typed(body, "application/json", &caller))
}

/// `GET /v1/findings.csv`.
#[utoipa::path(get, path = "/v1/findings.csv", tag = "exports",
    summary = "Findings as CSV with a header row (same filters; all by default)",
    params(crate::openapi::ExportPageParams, crate::openapi::TimeParams,
        ("agreement" = Option<String>, Query, description = "Agreement id"),
        ("reading" = Option<String>, Query, description = "Whose reading"),
        ("party" = Option<String>, Query, description = "A party blamed"),
        ("standing" = Option<String>, Query, description = "How well the outcome stands: alleged, corroborated or established"),
        ("outcome" = Option<String>, Query, description = "An outcome"),
        ("incident" = Option<String>, Query, description = "Incident id")),
    responses((status = 200, description = "CSV (RFC 4180) with a header row", content_type = "text/csv", body = String), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn findings_csv(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(q, FINDING_PARAMS)?;
    let window = p.export_page()?;
    let f = FindingQuery::parse(&p, &Known::of(&ledger(&s)))?;
    s.0.views.current(&s).await?;
    let permit = match heavy_permit(&s) {
        Ok(p) => p,
        Err(busy) => return Ok(*busy),
    };
    let path = s.0.views.path().to_path_buf();
    stream(&s, permit, CSV, &caller, Some("findings.csv"), move |w| {
        let views = ViewStore::open_read_only(&path)?;
        export::findings_csv(&views, &f.0, window, w).map(|_| ())
    })
    .await
}

/// `GET /v1/compliance`.
#[utoipa::path(get, path = "/v1/compliance", tag = "engine",
    summary = "Compliance: rows per agreement × reading × party × day (paginated items), totals per reading, and incidents whose outcome depends on the reading",
    params(crate::openapi::PageParams, crate::openapi::TimeParams,
        ("agreement" = Option<String>, Query, description = "Agreement id"),
        ("reading" = Option<String>, Query, description = "Whose reading"),
        ("party" = Option<String>, Query, description = "The party counted"),
        crate::openapi::AsOfParam),
    responses((status = 200, description = "A page of rows, with `totals` and `differences`", body = crate::openapi::PageDoc), (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn compliance(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = params(
        q,
        &[
            "limit",
            "offset",
            "from",
            "to",
            "agreement",
            "reading",
            "party",
            "as_of",
        ],
    )?;
    let page = p.page(s.0.config.max_page)?;
    let range = p.time_range()?;
    let known = Known::of(&ledger(&s));
    let (agreement, reading, party) = (
        p.known(&known, Field::Agreement)?,
        p.known(&known, Field::Reading)?,
        p.known(&known, Field::Party)?,
    );
    let which = Which::of(&s, p.as_of(&s)?).await?;
    let v = blocking(move || {
        let doc = which.with(&s, |v| Ok(v.doc("compliance")?))?;
        let mut c: Compliance = match doc {
            Some(d) => serde_json::from_str(&d).map_err(|e| {
                ApiError::internal(derived::DerivedError::Unreadable(e.to_string()))
            })?,
            None => Compliance {
                rows: Vec::new(),
                totals: Vec::new(),
                differences: Vec::new(),
            },
        };
        let keep = |a: &Id, r: &Id| {
            agreement.as_ref().is_none_or(|x| x == a) && reading.as_ref().is_none_or(|x| x == r)
        };
        c.rows.retain(|row| {
            keep(&row.agreement, &row.reading)
                && party.as_ref().is_none_or(|p| p == &row.party)
                && range.contains_day(&row.day)
        });
        c.totals.retain(|t| keep(&t.agreement, &t.reading));
        c.differences.retain(|d| {
            agreement.as_ref().is_none_or(|x| x == &d.agreement)
                && reading
                    .as_ref()
                    .is_none_or(|r| d.outcomes.contains_key(r.as_str()))
                && range.contains_day(&d.day)
        });
        let items = page
            .slice(&c.rows)
            .iter()
            .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
            .collect();
        let mut v = page_value(items, c.rows.len(), page, which.log_size());
        v["totals"] = json!(c.totals);
        v["differences"] = json!(c.differences);
        Ok(v)
    })
    .await?;
    Ok(json_response(&v, &caller))
}

/// The export documents — one definition for the API's export endpoints and `truce export`
/// (offline, from a data directory), so both give the same bytes.
///
/// **Bounded memory.** A document is never built whole: its items are read a row (views) or a
/// batch of [`BATCH`] records (the ledger, under its read lock, released between batches) at a
/// time, rendered and written to an [`std::io::Write`] — the server's is a bounded channel into
/// the response body ([`super`]'s `stream`), the CLI's a file or stdout. What is held at once is
/// one batch and, for ledger documents, the keys of the records to write (in log order). The
/// bytes are those the documents had when they were built in memory: `{"features":[` (or a CSV
/// header row), the items, `]` and the rest of the collection, each item serialised as before.
/// Incidents and findings come from one snapshot of `views.db` (one statement); ledger records
/// are those that matched when the export began, each as the ledger holds it when its batch is
/// read (an amendment filed meanwhile shows in a later batch).
pub mod export {
    use super::{csv_row, names, report_feature, site_feature};
    use serde_json::{json, Value};
    use std::collections::BTreeMap;
    use std::io::{self, Write};
    use std::sync::RwLock;
    use truce_engine::{Finding, Incident};
    use truce_model::domain::{Report, Site};
    use truce_model::ledger::Record;
    use truce_model::{Id, Ledger};
    use truce_views::db::{FindingFilter, IncidentFilter, ViewStore};

    /// Ledger records rendered under one read lock of the ledger.
    pub const BATCH: usize = 512;

    /// Why an export stopped.
    #[derive(Debug, thiserror::Error)]
    pub enum ExportError {
        /// The document could not be written (the client went away, a full disk…).
        #[error("writing the export: {0}")]
        Io(#[from] io::Error),
        /// The views database could not be read.
        #[error(transparent)]
        Store(#[from] truce_views::db::DbError),
        /// A stored view is not what this build reads.
        #[error("a stored {what} is unreadable ({why}); views are derived: delete views.db and run `truce rebuild`")]
        Unreadable {
            /// Incident or finding.
            what: &'static str,
            /// The parser's message.
            why: String,
        },
    }

    /// Which of the matching items a document holds: `offset` skipped, then at most `limit`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Window {
        /// Items skipped.
        pub offset: usize,
        /// Most items written.
        pub limit: usize,
    }

    impl Window {
        /// Every item.
        pub const ALL: Window = Window {
            offset: 0,
            limit: usize::MAX,
        };
    }

    /// Counts items through a [`Window`].
    pub(crate) struct Counter {
        skip: usize,
        left: usize,
    }

    /// What to do with the next item.
    pub(crate) enum Step {
        /// Before the window: pass it over.
        Skip,
        /// In the window: write it.
        Take,
        /// The window is full: stop reading.
        Stop,
    }

    impl Counter {
        /// A count starting at the window's offset.
        pub(crate) fn new(w: Window) -> Counter {
            Counter {
                skip: w.offset,
                left: w.limit,
            }
        }
        /// What to do with the next item.
        pub(crate) fn step(&mut self) -> Step {
            if self.left == 0 {
                Step::Stop
            } else if self.skip > 0 {
                self.skip -= 1;
                Step::Skip
            } else {
                self.left -= 1;
                Step::Take
            }
        }
    }

    /// A document being written: what comes before its items, between two, after them.
    pub struct Doc<W: Write> {
        w: W,
        sep: &'static str,
        tail: String,
        first: bool,
    }

    impl<W: Write> Doc<W> {
        /// A GeoJSON FeatureCollection (the head and tail of an empty one, so the bytes are
        /// those of the collection serialised whole).
        pub fn geojson(mut w: W) -> io::Result<Doc<W>> {
            let empty = json!({"type": "FeatureCollection", "features": []}).to_string();
            let (head, tail) = empty.split_once("[]").unwrap_or((&empty, ""));
            w.write_all(head.as_bytes())?;
            w.write_all(b"[")?;
            Ok(Doc {
                w,
                sep: ",",
                tail: format!("]{tail}"),
                first: true,
            })
        }

        /// A CSV document (RFC 4180, CRLF) with a header row.
        pub fn csv(mut w: W, header: &[&str]) -> io::Result<Doc<W>> {
            let mut h = String::new();
            csv_row(
                &mut h,
                &header.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
            );
            w.write_all(h.as_bytes())?;
            Ok(Doc {
                w,
                sep: "",
                tail: String::new(),
                first: true,
            })
        }

        /// Writes one item (a feature's JSON, a CSV row).
        pub fn item(&mut self, text: &str) -> io::Result<()> {
            if !self.first {
                self.w.write_all(self.sep.as_bytes())?;
            }
            self.first = false;
            self.w.write_all(text.as_bytes())
        }

        /// Writes the end of the document and flushes.
        pub fn finish(mut self) -> io::Result<W> {
            self.w.write_all(self.tail.as_bytes())?;
            self.w.flush()?;
            Ok(self.w)
        }
    }

    /// The columns of `incidents.csv`.
    pub const INCIDENT_COLUMNS: [&str; 14] = [
        "id",
        "start",
        "end",
        "day",
        "occurrence",
        "disputed",
        "routine",
        "lon",
        "lat",
        "uncertainty_m",
        "acts",
        "alleged",
        "sides",
        "reports",
    ];

    /// The columns of `findings.csv`.
    pub const FINDING_COLUMNS: [&str; 12] = [
        "incident",
        "agreement",
        "reading",
        "outcome",
        "standing",
        "words",
        "occurrence",
        "day",
        "attributions",
        "site",
        "site_distance_m",
        "rules",
    ];

    /// An incident (in its list form, as stored) as a GeoJSON point feature.
    pub fn incident_feature(i: &Incident) -> Value {
        json!({
            "type": "Feature",
            "id": i.id,
            "geometry": {"type": "Point", "coordinates": i.point},
            "properties": {
                "id": i.id,
                "start": i.start,
                "end": i.end,
                "day": i.day,
                "occurrence": i.occurrence,
                "attribution": i.alleged.iter().map(|a| json!({"party": a.party, "grade": a.grade, "standing": a.standing})).collect::<Vec<_>>(),
                "disputed": i.disputed,
                "routine": i.routine,
                "uncertainty_m": i.uncertainty_m,
                "acts": i.acts,
                "alleged": i.alleged,
                "sides": i.sides,
                "reports": i.members.len(),
            },
        })
    }

    /// An incident as a row of `incidents.csv` (CRLF-terminated).
    pub fn incident_row(i: &Incident) -> String {
        let mut out = String::new();
        csv_row(
            &mut out,
            &[
                i.id.clone(),
                i.start.clone(),
                i.end.clone(),
                i.day.clone(),
                i.occurrence.as_str().to_string(),
                i.disputed.to_string(),
                i.routine.to_string(),
                i.point[0].to_string(),
                i.point[1].to_string(),
                i.uncertainty_m.to_string(),
                names(&i.acts),
                i.alleged
                    .iter()
                    .map(|a| format!("{}:{}", a.party, a.grade.as_str()))
                    .collect::<Vec<_>>()
                    .join(" "),
                i.sides.join(" "),
                i.members.len().to_string(),
            ],
        );
        out
    }

    /// A finding as a row of `findings.csv` (CRLF-terminated).
    pub fn finding_row(f: &Finding) -> String {
        let mut out = String::new();
        csv_row(
            &mut out,
            &[
                f.incident.clone(),
                f.agreement.to_string(),
                f.reading.to_string(),
                f.outcome.as_str().to_string(),
                f.standing.as_str().to_string(),
                f.words.clone(),
                f.occurrence.as_str().to_string(),
                f.day.clone(),
                f.attributions
                    .iter()
                    .map(|a| format!("{}:{}:{}", a.party, a.outcome.as_str(), a.standing.as_str()))
                    .collect::<Vec<_>>()
                    .join(" "),
                f.site
                    .as_ref()
                    .map(|x| format!("{}/{}", x.lister, x.id))
                    .unwrap_or_default(),
                f.site
                    .as_ref()
                    .map(|x| x.distance_m.to_string())
                    .unwrap_or_default(),
                f.rules.clone(),
            ],
        );
        out
    }

    /// `GET /v1/incidents.geojson` (`csv`: `/v1/incidents.csv`): the incidents `filter` matches
    /// and `keep` keeps, in stored order (by start, then id), through `window`, one row at a
    /// time.
    pub fn incidents<W: Write>(
        views: &ViewStore,
        filter: &IncidentFilter,
        mut keep: impl FnMut(&Incident) -> bool,
        window: Window,
        csv: bool,
        w: W,
    ) -> Result<W, ExportError> {
        let mut doc = if csv {
            Doc::csv(w, &INCIDENT_COLUMNS)?
        } else {
            Doc::geojson(w)?
        };
        let mut count = Counter::new(window);
        let mut failed: Option<ExportError> = None;
        views.each_incident_head(filter, |text| {
            let i: Incident = match serde_json::from_str(&text) {
                Ok(i) => i,
                Err(e) => {
                    failed = Some(ExportError::Unreadable {
                        what: "incident",
                        why: e.to_string(),
                    });
                    return false;
                }
            };
            if !keep(&i) {
                return true;
            }
            match count.step() {
                Step::Skip => true,
                Step::Stop => false,
                Step::Take => {
                    let item = if csv {
                        incident_row(&i)
                    } else {
                        incident_feature(&i).to_string()
                    };
                    match doc.item(&item) {
                        Ok(()) => true,
                        Err(e) => {
                            failed = Some(e.into());
                            false
                        }
                    }
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(doc.finish()?)
    }

    /// `GET /v1/findings.csv`: the findings `filter` matches, in stored order, through
    /// `window`, one row at a time.
    pub fn findings_csv<W: Write>(
        views: &ViewStore,
        filter: &FindingFilter,
        window: Window,
        w: W,
    ) -> Result<W, ExportError> {
        let mut doc = Doc::csv(w, &FINDING_COLUMNS)?;
        let mut count = Counter::new(window);
        let mut failed: Option<ExportError> = None;
        views.each_finding(filter, |text| match count.step() {
            Step::Skip => true,
            Step::Stop => false,
            Step::Take => {
                let r = serde_json::from_str::<Finding>(&text)
                    .map_err(|e| ExportError::Unreadable {
                        what: "finding",
                        why: e.to_string(),
                    })
                    .and_then(|f| Ok(doc.item(&finding_row(&f))?));
                match r {
                    Ok(()) => true,
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(doc.finish()?)
    }

    fn read(ledger: &RwLock<Ledger>) -> std::sync::RwLockReadGuard<'_, Ledger> {
        ledger.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The keys of the records `keep` keeps, in log order (stable: records of one entry keep
    /// their order), through `window`.
    fn keys_in_log_order<T>(
        records: &BTreeMap<(Id, Id), Record<T>>,
        keep: impl Fn(&Record<T>) -> bool,
        window: Window,
    ) -> Vec<(Id, Id)> {
        let mut all: Vec<(u64, &(Id, Id))> = records
            .iter()
            .filter(|(_, r)| keep(r))
            .map(|(k, r)| (r.index, k))
            .collect();
        all.sort_by_key(|x| x.0);
        all.into_iter()
            .skip(window.offset)
            .take(window.limit)
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// `GET /v1/sites.geojson`: the sites `keep` keeps, in log order, through `window`.
    pub fn sites_geojson<W: Write>(
        ledger: &RwLock<Ledger>,
        keep: impl Fn(&Record<Site>) -> bool,
        window: Window,
        w: W,
    ) -> Result<W, ExportError> {
        let keys = keys_in_log_order(&read(ledger).sites, keep, window);
        let mut doc = Doc::geojson(w)?;
        for batch in keys.chunks(BATCH) {
            let items: Vec<String> = {
                let l = read(ledger);
                batch
                    .iter()
                    .filter_map(|k| l.sites.get(k))
                    .map(|r| site_feature(r).to_string())
                    .collect()
            };
            for item in &items {
                doc.item(item)?;
            }
        }
        Ok(doc.finish()?)
    }

    /// `GET /v1/reports.geojson`: the reports `keep` keeps, in log order, through `window`;
    /// `inline` may add to each batch's feature properties (the server: restricted evidence for
    /// permitted callers; given each report's evidence hashes).
    pub fn reports_geojson<W: Write>(
        ledger: &RwLock<Ledger>,
        keep: impl Fn(&Record<Report>) -> bool,
        window: Window,
        mut inline: impl FnMut(&mut [Value], &[Vec<String>]) -> io::Result<()>,
        w: W,
    ) -> Result<W, ExportError> {
        let keys = keys_in_log_order(&read(ledger).reports, keep, window);
        let mut doc = Doc::geojson(w)?;
        for batch in keys.chunks(BATCH) {
            let (mut features, evidence): (Vec<Value>, Vec<Vec<String>>) = {
                let l = read(ledger);
                batch
                    .iter()
                    .filter_map(|k| l.reports.get(k))
                    .map(|r| (report_feature(r), r.value.evidence.clone()))
                    .unzip()
            };
            let mut props: Vec<Value> = features
                .iter_mut()
                .map(|f| f["properties"].take())
                .collect();
            inline(&mut props, &evidence)?;
            for (mut f, p) in features.into_iter().zip(props) {
                f["properties"] = p;
                doc.item(&f.to_string())?;
            }
        }
        Ok(doc.finish()?)
    }
}

// ───────────────────────────── streamed bodies ─────────────────────────────

/// Bytes of an export handed to the connection at a time.
const CHUNK: usize = 64 * 1024;
/// Chunks produced ahead of what the connection has taken.
const CHUNKS_AHEAD: usize = 4;

/// An [`std::io::Write`] into a streamed response body: it buffers [`CHUNK`] bytes and hands
/// them to a bounded channel, waiting (on a blocking thread) while the client is slow — at most
/// `stall`, after which the export stops (a client that reads nothing holds no permit forever).
struct ChannelWriter {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Result<axum::body::Bytes, std::io::Error>>,
    rt: tokio::runtime::Handle,
    stall: Duration,
}

impl ChannelWriter {
    fn send(&mut self, item: Result<axum::body::Bytes, std::io::Error>) -> std::io::Result<()> {
        use std::io::{Error, ErrorKind};
        match self
            .rt
            .block_on(tokio::time::timeout(self.stall, self.tx.send(item)))
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Error::new(ErrorKind::BrokenPipe, "the client went away")),
            Err(_) => Err(Error::new(
                ErrorKind::TimedOut,
                format!("the client read nothing for {} s", self.stall.as_secs()),
            )),
        }
    }

    fn send_buffer(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.send(Ok(chunk.into()))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.send_buffer()?;
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.send_buffer()
    }
}

/// The body's chunks: the first (already received), then the channel's.
struct Chunks {
    first: Option<axum::body::Bytes>,
    rx: tokio::sync::mpsc::Receiver<Result<axum::body::Bytes, std::io::Error>>,
}

impl futures_core::Stream for Chunks {
    type Item = Result<axum::body::Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if let Some(b) = self.first.take() {
            return std::task::Poll::Ready(Some(Ok(b)));
        }
        self.rx.poll_recv(cx)
    }
}

/// A permit to stream an export, or the
/// 503 answer with `Retry-After` when `max_heavy_queries` are running.
fn heavy_permit(s: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, Box<Response>> {
    let v = &s.0.views;
    v.heavy.clone().try_acquire_owned().map_err(|_| {
        let mut r = ApiError::unavailable(format!(
            "{} exports are streaming, this server's limit (max_heavy_queries); retry in {} s",
            v.heavy_max, v.retry_after_s
        ))
        .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(v.retry_after_s));
        Box::new(r)
    })
}

/// Streams the document `produce` writes (on a blocking thread, holding `permit` until it is
/// done) as the response body: memory stays at [`CHUNKS_AHEAD`] chunks whatever the document's
/// size. An error before the first chunk is an error response; after it, the body is cut (the
/// client sees an incomplete document, never a complete-looking wrong one).
async fn stream(
    s: &AppState,
    permit: tokio::sync::OwnedSemaphorePermit,
    content_type: &'static str,
    caller: &Caller,
    attachment: Option<&str>,
    produce: impl FnOnce(&mut ChannelWriter) -> Result<(), export::ExportError> + Send + 'static,
) -> Result<Response, ApiError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    let mut w = ChannelWriter {
        buf: Vec::with_capacity(CHUNK),
        tx,
        rt: tokio::runtime::Handle::current(),
        stall: Duration::from_secs(s.0.config.request_timeout_s.max(1)),
    };
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let r = produce(&mut w);
        match r {
            Ok(()) => {
                if let Err(e) = std::io::Write::flush(&mut w) {
                    tracing::debug!("export not delivered: {e}");
                }
            }
            Err(export::ExportError::Io(e)) => tracing::debug!("export not delivered: {e}"),
            Err(e) => {
                tracing::error!("export failed: {e}");
                w.buf.clear();
                let _ = w.send(Err(std::io::Error::other(e.to_string())));
            }
        }
    });
    let first = match rx.recv().await {
        None => axum::body::Bytes::new(),
        Some(Err(e)) => return Err(ApiError::internal(e)),
        Some(Ok(b)) => b,
    };
    let mut r = axum::body::Body::from_stream(Chunks {
        first: Some(first),
        rx,
    })
    .into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(name) = attachment {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(cache(r, caller))
}

/// The query routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/agreements", get(agreements))
        .route("/v1/agreements/{id}", get(agreement))
        .route("/v1/agreements/{id}/diff", get(agreement_diff))
        .route("/v1/agreements/{id}/history", get(agreement_history))
        .route("/v1/process", get(process))
        .route("/v1/parties", get(parties))
        .route("/v1/sites", get(sites))
        .route("/v1/sites.geojson", get(sites_geojson))
        .route("/v1/reports", get(reports))
        .route("/v1/reports.geojson", get(reports_geojson))
        .route("/v1/incidents", get(incidents))
        .route("/v1/incidents.geojson", get(incidents_geojson))
        .route("/v1/incidents.csv", get(incidents_csv))
        .route("/v1/incidents/{id}", get(incident))
        .route("/v1/background", get(background::list))
        .route("/v1/background/count", get(background::count_handler))
        .route("/v1/background.geojson", get(background::geojson_handler))
        .route("/v1/findings", get(findings))
        .route("/v1/findings.csv", get(findings_csv))
        .route("/v1/compliance", get(compliance))
        .route("/v1/commitments", get(commitments))
        .route("/v1/claims", get(claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)], allowed: &[&str]) -> Result<Params, ApiError> {
        params(
            Ok(Query(
                pairs
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
            )),
            allowed,
        )
    }

    #[test]
    fn parameters_are_checked_and_named() {
        let e = p(&[("lmit", "3")], &["limit"]).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("lmit"));
        let e = p(&[("limit", "3"), ("limit", "4")], &["limit"])
            .err()
            .unwrap();
        assert_eq!(e.field.as_deref(), Some("limit"));
        let q = p(&[("limit", "5000")], &["limit"]).unwrap();
        assert_eq!(q.page(1000).unwrap_err().field.as_deref(), Some("limit"));
        let q = p(&[("bbox", "1,2,3")], &["bbox"]).unwrap();
        assert_eq!(q.bbox().unwrap_err().field.as_deref(), Some("bbox"));
        let q = p(&[("bbox", "30,40,35,52")], &["bbox"]).unwrap();
        assert_eq!(q.bbox().unwrap(), Some([30.0, 40.0, 35.0, 52.0]));
        let q = p(
            &[("from", "2025-03-21"), ("to", "2025-03-20")],
            &["from", "to"],
        )
        .unwrap();
        assert_eq!(q.time_range().unwrap_err().field.as_deref(), Some("to"));
        let q = p(&[("from", "yesterday")], &["from"]).unwrap();
        assert_eq!(q.time_range().unwrap_err().field.as_deref(), Some("from"));
        let q = p(&[("kind", "strike")], &["kind"]).unwrap();
        assert_eq!(q.act().unwrap(), Some(Act::Strike));
        let q = p(&[("kind", "energy.oil.*")], &["kind"]).unwrap();
        assert_eq!(q.categories().unwrap().unwrap().len(), 4);
    }

    #[test]
    fn time_ranges_take_days_and_instants() {
        let r = TimeRange {
            from: Some(Bound::Day(Date::parse("2025-03-20").unwrap())),
            to: Some(Bound::At(Time::parse("2025-03-21T01:00:00Z").unwrap())),
        };
        assert!(r.contains(Time::parse("2025-03-20T00:00:00Z").unwrap()));
        assert!(r.contains(Time::parse("2025-03-21T01:00:00Z").unwrap()));
        assert!(!r.contains(Time::parse("2025-03-21T01:00:01Z").unwrap()));
        assert!(!r.contains(Time::parse("2025-03-19T23:59:59Z").unwrap()));
        assert!(r.contains_day("2025-03-21") && !r.contains_day("2025-03-22"));
        assert!(r.precise());
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut s = String::new();
        csv_row(
            &mut s,
            &[
                "a,b".into(),
                "say \"hi\"".into(),
                "=1+1".into(),
                "-35.5".into(),
            ],
        );
        assert_eq!(s, "\"a,b\",\"say \"\"hi\"\"\",'=1+1,-35.5\r\n");
    }
}
