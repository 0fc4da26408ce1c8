//! Truce's HTTP service. [`app`] builds the whole router from an [`AppState`] (testable without a
//! socket); [`serve`] runs it on a listener until the shutdown future resolves, then lets in-flight
//! requests finish and stops the writer only after its last commit is durable.
//!
//! Modules: `log_api` (C2SP tlog-tiles endpoints, proofs), `submit` + `writer` (signed submissions,
//! group commit), `query` (JSON queries and GeoJSON/CSV exports over the ledger and the engine's
//! views), `map` (the map at any scale: points counted per tile and per day, from an index in
//! memory per views stamp), `publication` (what was published, digested into signed `publication` entries: `POST`/`GET /v1/publications`, shared with `truce publish`), `witnessing` (checkpoints pushed to C2SP witnesses, cosignatures published), `access` (bearer tokens bound to a party and role, rate limits), `restricted` (content
//! committed to by hash in the log, served only to permitted roles), `pgdb` (where both keep
//! their tables when the log is shared: the cluster's PostgreSQL database), `review` (the monitors'
//! review queue, shared with `truce review`), `history` (the versions of readings and the
//! findings each changed, shared with `truce agreement history` and the daily report),
//! `derived` (the views, current and as of an earlier log size, shared with the CLI), `openapi`,
//! `limits` (a body declared over `max_body_bytes` refused from its header with 413; our own
//! request id on every request, a client's logged apart, sanitised).

pub mod access;
pub mod cluster;
pub mod config;
pub mod error;
pub mod limits;
pub mod log_api;
pub mod map;
pub mod migrate;
pub mod openapi;
pub mod pgdb;
pub mod publication;
pub mod query;
pub mod restricted;
pub mod review;
pub mod state;
pub mod storage;
pub mod submit;
pub mod witnessing;
pub mod writer;

pub use config::Config;
pub use error::ApiError;
pub use state::AppState;

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The request id header, set on every request and response.
pub const REQUEST_ID: &str = "x-request-id";

/// The whole service.
pub fn app(state: AppState) -> Router {
    let cfg = &state.0.config;
    let request_id = HeaderName::from_static(REQUEST_ID);
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .merge(log_api::routes())
        // On a shared log, a server that is not the sequencer hands submissions to it.
        .merge(
            submit::routes().route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                cluster::forward_submissions,
            )),
        )
        .route("/v1/cluster", get(cluster::status))
        .merge(query::routes())
        .merge(map::routes())
        .merge(publication::routes())
        .merge(restricted::routes())
        .merge(review::routes())
        .merge(openapi::routes())
        // The dashboard (`GET /`, `GET /ui/...`): static assets embedded in the binary, not API.
        .merge(truce_dashboard::routes())
        .fallback(|| async {
            ApiError::not_found("no such endpoint; GET /openapi.json lists them")
        })
        // A body declared over the limit is refused from its header, before it is read.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::refuse_oversized,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::rate_limit_by_address,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(cfg.max_body_bytes))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(cfg.request_timeout_s),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
            ),
        ));
    if !cfg.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = cfg
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        router = router.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION]),
        );
    }
    router
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                let id = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                match req.extensions().get::<limits::ClientRequestId>() {
                    Some(c) => tracing::info_span!("request", id = %id, client_id = ?c.0, method = %req.method(), path = %req.uri().path()),
                    None => tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path()),
                }
            },
        ))
        // Our id on every request (a client's own is moved aside first: see `limits`).
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::from_fn(limits::client_request_id))
        .with_state(state)
}

async fn readyz(axum::extract::State(s): axum::extract::State<AppState>) -> impl IntoResponse {
    if s.0.ready.load(Ordering::SeqCst) && !s.0.stopping.load(Ordering::SeqCst) {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        ApiError::unavailable("starting or stopping").into_response()
    }
}

/// Serves `state` on `listener` until `shutdown` resolves; in-flight requests finish, then the
/// writer drains: every acknowledged submission is durable before this returns.
///
/// Connections are held to the configuration's bounds by `truce_http` (`header_read_timeout_s`,
/// `idle_timeout_s`, `max_connections`; the request timeout is the router's): a silent, slow or
/// idle client is disconnected, and connections beyond the cap wait in the listen backlog.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let s = state.clone();
    // The live judgement is built at start (from the writer's ledger; views.db is rewritten only
    // if it is not current), so the first entry after a start is re-judged incrementally too.
    state.0.views.kick(&state);
    let witnessing = state
        .0
        .witnessing
        .enabled()
        .then(|| tokio::spawn(witnessing::run(state.clone())));
    let follower =
        (state.0.config.follow_interval_ms > 0).then(|| tokio::spawn(follow(state.clone())));
    if let Some(c) = &state.0.cluster {
        if state.0.config.advertise_url.is_none() {
            c.advertise(&format!("http://{}", listener.local_addr()?));
        }
    }
    let limits = state.0.config.connection_limits();
    let r = truce_http::serve(listener, app(state.clone()), limits, async move {
        shutdown.await;
        s.0.stopping.store(true, Ordering::SeqCst);
        tracing::info!("shutting down: finishing in-flight requests");
    })
    .await;
    if let Some(f) = follower {
        f.abort();
    }
    state.0.writer.close().await;
    if let Some(w) = witnessing {
        w.abort();
    }
    if state.0.cluster.is_some() {
        // After the writer's last commit: the lease is released, another server takes it now.
        let s = state.clone();
        let _ = tokio::task::spawn_blocking(move || s.0.cluster.as_ref().map(|c| c.stop())).await;
    }
    r
}

/// On a shared log, a server that is not the sequencer publishes the checkpoint the sequencer
/// had witnessed last (recorded in the database), once its own storage holds that size.
async fn adopt_witnessed(state: &AppState) {
    let s = state.clone();
    let r = tokio::task::spawn_blocking(move || {
        let c = s.0.cluster.as_ref()?;
        let (size, note) = c.witnessed().ok()??;
        if s.0.witnessing.served().is_some_and(|w| w.size >= size) {
            return None;
        }
        let ours = s.0.readers.with(|r| {
            use truce_store::LogStorage as _;
            r.storage().checkpoint_at(size).ok().flatten()
        })?;
        Some(s.0.witnessing.adopt(size, note, &ours))
    })
    .await;
    if let Ok(Some(true)) = r {
        tracing::debug!("publishing the sequencer's witnessed checkpoint");
    }
}

/// Every `follow_interval_ms`, compares the checkpoint in storage with the server's: when
/// another process (`truce ingest`, `truce submit` on the same directory) has appended, the
/// writer applies those entries, so they are served (and the views recomputed) without a
/// restart. One indexed read of the latest checkpoint's size per interval (no signature check:
/// the writer verifies what it loads).
async fn follow(state: AppState) {
    let every = std::time::Duration::from_millis(state.0.config.follow_interval_ms);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let s = state.clone();
        let stored =
            tokio::task::spawn_blocking(move || s.0.readers.with(|r| r.latest_size())).await;
        let ahead = match stored {
            Ok(Ok(size)) => size > state.checkpoint().size,
            Ok(Err(e)) => {
                tracing::warn!("reading the stored checkpoint: {e}");
                false
            }
            Err(_) => false,
        };
        if ahead {
            match state.0.writer.follow().await {
                Ok(()) => state.0.views.kick(&state),
                Err(e) => tracing::debug!("following the log: {e}"),
            }
        }
        if state.0.witnessing.enabled()
            && state.0.cluster.as_ref().is_some_and(|c| !c.is_sequencer())
        {
            adopt_witnessed(&state).await;
        }
    }
}
