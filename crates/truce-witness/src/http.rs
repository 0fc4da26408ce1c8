//! The witness over HTTP (C2SP tlog-witness): `POST /add-checkpoint` and `GET /healthz`.
//!
//! Answers: 200 with the cosignature lines (`text/plain`); 409 with the recorded size and a
//! newline (`text/x.tlog.size`); every other error as `text/plain` with a one-line explanation.
//! The clock is read here and passed to the pure core; the store is driven on the blocking pool,
//! never on a runtime thread.
//!
//! Connections are served by `truce_http` (the loop `truce serve` uses too): a header-read
//! timeout, an idle timeout, a connection cap and a per-request timeout, from the configuration
//! ([`crate::Config::limits`]; [`serve`] uses the defaults, [`serve_with`] is given them).

use crate::core::{AddError, Witness};
use crate::store::WitnessStore;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::future::Future;
use std::sync::Arc;
use truce_log::witness::TLOG_SIZE_CONTENT_TYPE;

/// The largest request body accepted (a checkpoint with many signatures and 63 proof lines is far
/// smaller).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

const TEXT: &str = "text/plain; charset=utf-8";

/// What the handlers share: the witness and its store.
#[derive(Clone)]
pub struct WitnessState {
    witness: Arc<Witness>,
    store: Arc<dyn WitnessStore>,
}

impl std::fmt::Debug for WitnessState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessState")
            .field("witness", &self.witness)
            .finish_non_exhaustive()
    }
}

impl WitnessState {
    /// The state of a witness keeping its state in `store`.
    pub fn new(witness: Witness, store: Arc<dyn WitnessStore>) -> Self {
        WitnessState {
            witness: Arc::new(witness),
            store,
        }
    }

    /// The witness.
    pub fn witness(&self) -> &Witness {
        &self.witness
    }
}

/// The whole service.
pub fn app(state: WitnessState) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/healthz", get(|| async { "ok\n" }))
        .fallback(|| async {
            text(
                StatusCode::NOT_FOUND,
                "no such endpoint: this witness serves POST /add-checkpoint and GET /healthz",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

fn text(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, TEXT)],
        format!("{}\n", message.replace('\n', " ")),
    )
        .into_response()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(1)
        .max(1)
}

async fn add_checkpoint(State(s): State<WitnessState>, body: Bytes) -> Response {
    let now = now();
    let worker = s.clone();
    let result = tokio::task::spawn_blocking(move || {
        worker
            .witness
            .add_checkpoint(worker.store.as_ref(), &body, now)
    })
    .await;
    match result {
        Ok(Ok(lines)) => (StatusCode::OK, [(header::CONTENT_TYPE, TEXT)], lines).into_response(),
        Ok(Err(AddError::Conflict { size })) => {
            tracing::info!(size, "add-checkpoint: conflict");
            (
                StatusCode::CONFLICT,
                [(header::CONTENT_TYPE, TLOG_SIZE_CONTENT_TYPE)],
                format!("{size}\n"),
            )
                .into_response()
        }
        Ok(Err(AddError::Store(e))) => {
            tracing::error!("add-checkpoint: witness state: {e}");
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                &AddError::Store(e).to_string(),
            )
        }
        Ok(Err(e)) => {
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            tracing::info!(status = status.as_u16(), "add-checkpoint refused: {e}");
            text(status, &e.to_string())
        }
        Err(e) => {
            tracing::error!("add-checkpoint: the worker failed: {e}");
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; nothing was cosigned",
            )
        }
    }
}

/// The largest time a request may take to be answered by default, seconds (408 after).
pub const DEFAULT_REQUEST_TIMEOUT_S: u64 = 30;

/// The connection bounds [`serve`] uses: `truce_http`'s defaults (header-read timeout 10 s, idle
/// timeout 60 s, 512 connections) and a request timeout of [`DEFAULT_REQUEST_TIMEOUT_S`].
pub fn default_limits() -> truce_http::Limits {
    truce_http::Limits {
        request_timeout: Some(std::time::Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_S)),
        ..truce_http::Limits::default()
    }
}

/// Serves `state` on `listener` within [`default_limits`] until `shutdown` resolves; in-flight
/// requests finish first (every answered cosignature's state is already durable).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: WitnessState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, default_limits(), shutdown).await
}

/// [`serve`] within `limits` (a slow or silent client is disconnected, at most
/// `limits.max_connections` are served at once: see `truce_http`).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: WitnessState,
    limits: truce_http::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    truce_http::serve(listener, app(state), limits, async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
    })
    .await
}
