//! Several servers, one sequencer: what `truce serve` does when its data directory's log is
//! shared (`DIR/cluster.toml`, [`crate::storage::LogStore::Cluster`]).
//!
//! Every server runs a role thread ([`Cluster::start`], from the moment its state is opened: the
//! first server up is the sequencer at once) that tries to take the sequencer lease
//! (`truce_cluster::lease`: a PostgreSQL row with an epoch, expiring 5 s after its last renewal
//! by PostgreSQL's clock). The server that holds it
//! - hands the lease to its writer's storage ([`LeaseSlot`]): every commit is checked against the
//!   lease's epoch inside the commit's own transaction (fencing), so a deposed sequencer's commit
//!   is refused and nothing of it becomes visible;
//! - renews it every second (`Keeper`) and runs the `Publisher` (the bucket's `checkpoint`
//!   republished every second);
//! - runs the witnessing rounds ([`crate::witnessing::run`] waits while this server is not the
//!   sequencer);
//! - names itself `<advertise_url> <holder id>` in the lease row, so the others know where to
//!   hand submissions (`advertise_url`, or once it listens `http://<its address>`:
//!   [`Cluster::advertise`] renames the holder of the lease it already holds).
//!
//! Every other server serves reads from the shared log (following it every
//! `follow_interval_ms`) and hands each `POST /v1/entries` to the sequencer
//! ([`forward_submissions`]): the body as received, to `<holder URL>/v1/entries` with the same
//! query and content type, and the sequencer's answer back as it is (status, `Retry-After`, body:
//! the acknowledgement's proofs are the sequencer's, valid against the shared log). When no
//! sequencer is known (the lease expired and nobody has taken it yet, or the holder does not
//! answer) it answers **503 with `Retry-After: 2`**: a takeover completes within the lease's
//! 5 s TTL plus one poll, and a resubmitted entry already in the log is acknowledged as a
//! duplicate, never stored twice. A forwarded request is never forwarded again (header
//! [`FORWARDED`]): a server that lost the lease meanwhile answers 503.
//!
//! Rate limits stay per server: the sequencer sees forwarded submissions as coming from the
//! forwarding server's address (its per-address limit must allow the peers' rate), and each
//! server applies its own per-address limit to its clients first.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;
use truce_cluster::lease::{self, Lease};
use truce_cluster::pg::Db;
use truce_cluster::spec::ClusterSpec;
use truce_cluster::{ClusterStorage, LeaseSlot, Publisher, REPUBLISH_EVERY};

/// The header marking a submission handed on by another server (never handed on again).
pub const FORWARDED: &str = "x-truce-forwarded";
/// How often a server that is not the sequencer tries to take the lease.
pub const POLL: Duration = Duration::from_millis(500);
/// `Retry-After` of a 503 when no sequencer is known, seconds.
pub const RETRY_AFTER_S: u64 = 2;
/// Largest answer read back from the sequencer.
const MAX_ANSWER_BYTES: usize = 64 << 20;

/// What one server knows of the shared log's sequencer.
pub struct Cluster {
    spec: Arc<ClusterSpec>,
    /// A connection for the witnessed checkpoint (made when first needed).
    db: Mutex<Option<Db>>,
    slot: LeaseSlot,
    shared: Arc<Shared>,
    client: reqwest::Client,
    thread: Mutex<Option<JoinHandle<()>>>,
    timeout: Duration,
}

struct Shared {
    /// True while this server holds the lease.
    sequencer: AtomicBool,
    /// The epoch of the lease last held or seen.
    epoch: AtomicI64,
    /// The URL of the sequencer as last read (this server's own when it holds the lease).
    leader: RwLock<Option<String>>,
    /// Set to stop the role thread (and release the lease).
    stop: (Mutex<bool>, Condvar),
    /// The URL this server serves at, once known (named in the lease while it holds it).
    advertised: RwLock<Option<String>>,
    /// Set once the role thread has looked at the lease the first time.
    settled: (Mutex<bool>, Condvar),
}

/// The sequencer as this server sees it (`GET /v1/cluster`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Status {
    /// Whether this server is the sequencer now.
    pub sequencer: bool,
    /// The lease's epoch last held or seen (0 before any).
    pub epoch: i64,
    /// Where the sequencer serves, as its lease names it (absent when none is known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
}

impl Cluster {
    /// The cluster state of a server on `spec`; its writer's storage writes under `slot`.
    pub fn new(spec: Arc<ClusterSpec>, slot: LeaseSlot, request_timeout: Duration) -> Cluster {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(request_timeout)
            .pool_max_idle_per_host(64)
            .build()
            .unwrap_or_default();
        Cluster {
            spec,
            db: Mutex::new(None),
            slot,
            shared: Arc::new(Shared {
                sequencer: AtomicBool::new(false),
                epoch: AtomicI64::new(0),
                leader: RwLock::new(None),
                stop: (Mutex::new(false), Condvar::new()),
                advertised: RwLock::new(None),
                settled: (Mutex::new(false), Condvar::new()),
            }),
            client,
            thread: Mutex::new(None),
            timeout: request_timeout,
        }
    }

    /// Whether this server holds the sequencer lease now.
    pub fn is_sequencer(&self) -> bool {
        self.shared.sequencer.load(Ordering::Acquire)
    }

    /// Where the sequencer serves, if one is known.
    pub fn leader(&self) -> Option<String> {
        self.shared
            .leader
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The sequencer as this server sees it.
    pub fn status(&self) -> Status {
        Status {
            sequencer: self.is_sequencer(),
            epoch: self.shared.epoch.load(Ordering::Acquire),
            leader: self.leader(),
        }
    }

    /// Runs `f` on this server's connection to the shared database (blocking: call it from
    /// `spawn_blocking`).
    fn with_db<T>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, truce_cluster::ClusterError>,
    ) -> Result<T, truce_cluster::ClusterError> {
        let mut db = self.db.lock().unwrap_or_else(|p| p.into_inner());
        if db.is_none() {
            *db = Some(Db::connect(&self.spec.database)?);
        }
        match db.as_ref() {
            Some(d) => f(d),
            None => Err(truce_cluster::ClusterError::Corrupt(
                "no database connection".into(),
            )),
        }
    }

    /// Records the checkpoint of `size` as the witnesses cosigned it (the sequencer, after a
    /// round), for every server to publish (blocking).
    pub fn store_witnessed(
        &self,
        size: u64,
        note: &[u8],
    ) -> Result<(), truce_cluster::ClusterError> {
        self.with_db(|d| d.set_witnessed(size, note))
    }

    /// The witnessed checkpoint the sequencer recorded last (blocking).
    pub fn witnessed(&self) -> Result<Option<(u64, Vec<u8>)>, truce_cluster::ClusterError> {
        self.with_db(Db::witnessed)
    }

    /// Starts the role thread: this server takes the lease whenever it is free and keeps it
    /// while it can; it serves at `advertise` (the URL the others reach it at) if known yet (see
    /// [`advertise`](Self::advertise)). Waits (at most 2 s) until the thread has looked at the
    /// lease once, so a server started alone is the sequencer when this returns. Idempotent.
    pub fn start(&self, advertise: Option<&str>) {
        if let Some(url) = advertise {
            self.advertise(url);
        }
        let mut thread = self.thread.lock().unwrap_or_else(|p| p.into_inner());
        if thread.is_some() {
            return;
        }
        let id = lease::holder_id();
        let (spec, slot, shared) = (self.spec.clone(), self.slot.clone(), self.shared.clone());
        *thread = std::thread::Builder::new()
            .name("truce-sequencer-lease".into())
            .spawn(move || role(&spec, &slot, &shared, &id))
            .map_err(|e| tracing::error!("starting the sequencer lease thread: {e}"))
            .ok();
        drop(thread);
        let (lock, cv) = &self.shared.settled;
        let settled = lock.lock().unwrap_or_else(|p| p.into_inner());
        let _ = cv
            .wait_timeout_while(settled, Duration::from_secs(2), |s| !*s)
            .unwrap_or_else(|p| p.into_inner());
    }

    /// Sets the URL this server serves at: named in the lease (at once if it holds it), so the
    /// other servers hand it submissions.
    pub fn advertise(&self, url: &str) {
        *self
            .shared
            .advertised
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(url.trim_end_matches('/').to_string());
    }

    /// Stops the role thread; a held lease is released so another server takes it at once.
    /// Call after the writer's last commit.
    pub fn stop(&self) {
        let (lock, cv) = &self.shared.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    /// The holder name for the lease row: `<advertised URL> <id>`, or `<id>` before the URL is
    /// known.
    fn holder(&self, id: &str) -> String {
        match self.advertised() {
            Some(url) => format!("{url} {id}"),
            None => id.to_string(),
        }
    }

    fn advertised(&self) -> Option<String> {
        self.advertised
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn settle(&self) {
        let (lock, cv) = &self.settled;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
    }

    /// Waits `d` or until stopped; true when stopped.
    fn wait(&self, d: Duration) -> bool {
        let (lock, cv) = &self.stop;
        let stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
        let (stopped, _) = cv
            .wait_timeout_while(stopped, d, |s| !*s)
            .unwrap_or_else(|p| p.into_inner());
        *stopped
    }

    fn set_leader(&self, leader: Option<String>) {
        *self.leader.write().unwrap_or_else(|p| p.into_inner()) = leader;
    }
}

/// The role thread: take the lease when free, be the sequencer while it holds, else follow
/// (knowing who the sequencer is).
fn role(spec: &ClusterSpec, slot: &LeaseSlot, shared: &Shared, id: &str) {
    let mut db: Option<Db> = None;
    let mut warned = false;
    let mut first = true;
    loop {
        if !first {
            shared.settle();
        }
        first = false;
        if shared.wait(Duration::ZERO) {
            shared.settle();
            return;
        }
        // Who holds it (one indexed read, no lock).
        let state = db
            .take()
            .map_or_else(|| Db::connect(&spec.database), Ok)
            .and_then(|d| {
                let s = d.lease_state();
                db = Some(d);
                s
            });
        let free = match state {
            Ok(Some(s)) if s.held => {
                shared.epoch.store(s.epoch, Ordering::Release);
                shared.set_leader(s.endpoint().map(str::to_string));
                false
            }
            Ok(_) => {
                shared.set_leader(None);
                true
            }
            Err(e) => {
                db = None;
                shared.set_leader(None);
                if !warned {
                    tracing::warn!("reading the sequencer lease: {e}");
                    warned = true;
                }
                false
            }
        };
        if free {
            match Lease::acquire(&spec.database, &shared.holder(id), lease::DEFAULT_TTL) {
                Ok(Some(lease)) => {
                    warned = false;
                    if sequence(spec, slot, shared, Arc::new(lease), id) {
                        return;
                    }
                    continue;
                }
                Ok(None) => continue,
                Err(e) => {
                    if !warned {
                        tracing::warn!("taking the sequencer lease: {e}");
                        warned = true;
                    }
                }
            }
        }
        if shared.wait(POLL) {
            return;
        }
    }
}

/// Holds `lease` until it is lost or the server stops (then releases it); true when stopped.
fn sequence(
    spec: &ClusterSpec,
    slot: &LeaseSlot,
    shared: &Shared,
    lease: Arc<Lease>,
    id: &str,
) -> bool {
    let keeper = lease.keep(lease::DEFAULT_RENEW);
    let publisher = match ClusterStorage::open(&spec.database, &spec.bucket_config()) {
        Ok(s) => Some(Publisher::start(
            s.with_lease(lease.clone()),
            REPUBLISH_EVERY,
        )),
        Err(e) => {
            tracing::error!("opening the publisher's storage: {e}; the bucket is published after each commit only");
            None
        }
    };
    slot.set(Some(lease.clone()));
    shared.epoch.store(lease.epoch(), Ordering::Release);
    let mut named = shared.advertised();
    shared.set_leader(named.clone());
    shared.sequencer.store(true, Ordering::Release);
    shared.settle();
    tracing::info!(epoch = lease.epoch(), "this server is now the sequencer");
    let stopped = loop {
        if shared.wait(Duration::from_millis(200)) {
            break true;
        }
        if lease.is_lost() || !keeper.is_running() {
            break false;
        }
        // The URL became known after the lease was taken: named in the lease row now.
        let url = shared.advertised();
        if url != named {
            match lease.rename(&shared.holder(id)) {
                Ok(_) => {
                    shared.set_leader(url.clone());
                    named = url;
                }
                Err(e) => tracing::debug!("naming this server in the lease: {e}"),
            }
        }
    };
    shared.sequencer.store(false, Ordering::Release);
    slot.set(None);
    shared.set_leader(None);
    keeper.stop();
    if let Some(p) = publisher {
        p.stop();
    }
    if stopped {
        if let Err(e) = lease.release() {
            tracing::warn!("releasing the sequencer lease: {e}");
        } else {
            tracing::info!(epoch = lease.epoch(), "released the sequencer lease");
        }
    } else {
        tracing::warn!(
            epoch = lease.epoch(),
            "lost the sequencer lease: another server is the sequencer now"
        );
    }
    stopped
}

/// Middleware of `POST /v1/entries`: on a server that is not the sequencer, hands the request to
/// the sequencer and answers with its answer (see the module docs).
pub async fn forward_submissions(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let Some(c) = s.0.cluster.as_ref() else {
        return next.run(req).await;
    };
    if c.is_sequencer() {
        return next.run(req).await;
    }
    let no_sequencer = |why: String| {
        ApiError::unavailable(format!(
            "{why}; another server takes over the sequencer lease within seconds: retry after {RETRY_AFTER_S} s (an entry already in the log is acknowledged as a duplicate, never stored twice)"
        ))
        .retry_after(RETRY_AFTER_S)
        .into_response()
    };
    if req.headers().contains_key(FORWARDED) {
        return no_sequencer(
            "this server was handed a submission but is not the sequencer (the lease just moved)"
                .into(),
        );
    }
    let Some(leader) = c.leader() else {
        return no_sequencer("no server holds the sequencer lease at the moment".into());
    };
    let (parts, body) = req.into_parts();
    let limit = s.0.config.max_body_bytes;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return crate::limits::too_large(limit, None).into_response(),
    };
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let mut out = c
        .client
        .post(format!("{leader}/v1/entries{query}"))
        .timeout(c.timeout)
        .header(FORWARDED, "1")
        .body(bytes);
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        out = out.header(header::CONTENT_TYPE, ct.clone());
    }
    let answer = match out.send().await {
        Ok(a) => a,
        Err(e) => {
            return no_sequencer(format!(
                "the sequencer at {leader} did not answer ({})",
                short(&e)
            ))
        }
    };
    let status =
        StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let ct = answer.headers().get(header::CONTENT_TYPE).cloned();
    let retry = answer.headers().get(header::RETRY_AFTER).cloned();
    if answer
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return no_sequencer(format!(
            "the sequencer at {leader} answered too large a body"
        ));
    }
    let body = match answer.bytes().await {
        Ok(b) if b.len() <= MAX_ANSWER_BYTES => b,
        Ok(_) => return no_sequencer(format!("the sequencer at {leader} answered too large a body")),
        Err(e) => {
            return no_sequencer(format!(
                "the sequencer at {leader} stopped answering ({}); the submission may or may not be in the log",
                short(&e)
            ))
        }
    };
    let mut r = (status, body).into_response();
    if let Some(ct) = ct {
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    if let Some(ra) = retry {
        r.headers_mut().insert(header::RETRY_AFTER, ra);
    }
    r.headers_mut().insert(
        header::HeaderName::from_static("x-truce-sequencer"),
        HeaderValue::from_str(&leader).unwrap_or(HeaderValue::from_static("?")),
    );
    r
}

fn short(e: &reqwest::Error) -> String {
    let mut m = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        m = format!("{m}: {s}");
        src = s.source();
    }
    m
}

/// `GET /v1/cluster`: whether this server is the sequencer, the lease's epoch, where the
/// sequencer serves. 404 when the log is not shared.
pub async fn status(State(s): State<AppState>) -> Response {
    match s.0.cluster.as_ref() {
        Some(c) => axum::Json(c.status()).into_response(),
        None => ApiError::not_found(
            "this server's log is not shared (no cluster.toml in its data directory)",
        )
        .into_response(),
    }
}
