//! `POST /v1/entries`: signed entries, acknowledged once durable.
//!
//! The request body is
//! - one signed entry: a JSON object, the envelope exactly as signed (RFC 8785 canonical bytes;
//!   whitespace around it is ignored, whitespace inside makes it non-canonical and refused), with
//!   `Content-Type: application/json`; or
//! - a batch: a JSON array of such objects (`application/json`), or JSON Lines, one entry per
//!   line, as `truce sign` writes them (`application/x-ndjson` or `application/jsonl`). At most
//!   `max_batch_entries` entries (413 `too_many_entries` above).
//!
//! Answers:
//! - one entry: `200` with an [`Ack`] (also for an exact duplicate, with `duplicate: true` and the
//!   index it already has; with `flags` when the submission gates noticed a late filing, with its
//!   delay, or a report whose event ends after its filing), or the refusal's status with the error shape
//!   `{"error": {"status", "code", "message", "field"?}}`.
//! - a batch: every entry is judged on its own, in order, against the log *and the batch's earlier
//!   entries* (a refused entry does not stop the others). If at least one entry is acknowledged:
//!   `200` with [`BatchResponse`] `{"results": [{"ok": Ack} | {"error": {…}}, …], "tree_size",
//!   "checkpoint"}`, one result per entry in order. If every entry is refused: the FIRST refusal's
//!   status, with the error shape (its `field` prefixed `entries[i]`) plus the same `results`.
//!
//! Statuses: 400 `bad_request` (not JSON — with line and column —, not UTF-8, wrong types,
//! malformed or non-canonical entry, bad base64; `field` names the field when known), 400 `invalid`
//! (contradicts the log: unknown reference…), 400 `time_ahead_of_clock` (the entry's `time` is
//! more than `max_clock_skew_s` ahead of this server's clock; `field` `time`), 400
//! `event_starts_after_filing` (a report's event starts more than that after the report's own
//! `time`; `field` `body.time.start`), 401 `unknown_key` / `bad_signature` (the key is not
//! the author's, or the signature does not verify), 403 `revoked_key`, 403 `forbidden` (the
//! author's role may not write this kind), 409 `conflict` (the identifier is already used by
//! another body), 413 `too_large` (body over `max_body_bytes`, or an entry over 65,535 bytes) /
//! `too_many_entries`, 405 `method_not_allowed` (not POST), 415 `unsupported_media_type`, 429 `rate_limited` (with `Retry-After`;
//! counted once per signing key per request, and a request using a key over its limit is refused
//! whole), 503 `unavailable` (shutting down, or the log could not be written: resubmit — a
//! duplicate is acknowledged, never stored twice).

use crate::error::ApiError;
use crate::state::AppState;
use crate::writer::Ack;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/v1/entries",
        post(submit).fallback(|| async {
            let mut r = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "POST signed entries to /v1/entries",
            )
            .into_response();
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            r
        }),
    )
}

/// One entry's result in a batch: `{"ok": Ack}` or `{"error": {…}}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryResult {
    /// Acknowledged: durable, with its proof.
    Ok(Ack),
    /// Refused (the same shape as a whole-request error's `error`).
    Error(ApiError),
}

/// The answer to a batch with at least one acknowledged entry.
#[derive(Debug, Clone, Serialize)]
pub struct BatchResponse {
    /// One result per entry, in order.
    pub results: Vec<EntryResult>,
    /// Size of the checkpoint every acknowledgement's proof leads to.
    pub tree_size: u64,
    /// That checkpoint (signed note text).
    pub checkpoint: String,
}

/// What a request carries.
#[derive(Debug)]
pub enum Submission {
    /// One entry (a JSON object body): answered with an ack or an error.
    One(Vec<u8>),
    /// A batch (a JSON array, or JSON Lines): answered per entry. An element that is not a JSON
    /// object (or a line that is not JSON) is refused here, without reaching the writer.
    Batch(Vec<Result<Vec<u8>, ApiError>>),
}

/// The body extractor of `POST /v1/entries`: every refusal in the API's error shape (never
/// axum's text bodies).
#[derive(Debug)]
pub struct SignedEntries(pub Submission);

enum Format {
    Json,
    Lines,
}

impl FromRequest<AppState> for SignedEntries {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let format = media_type(req.headers().get(header::CONTENT_TYPE))?;
        let limit = state.0.config.max_body_bytes;
        let max = state.0.config.max_batch_entries;
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!("the body is larger than this server's limit of {limit} bytes; send fewer entries per request"),
                )
            } else {
                ApiError::bad_request(format!("the body could not be read: {}", r.body_text()))
            }
        })?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            ApiError::bad_request(format!(
                "the body is not UTF-8 text (invalid byte at offset {}); JSON must be UTF-8",
                e.valid_up_to()
            ))
        })?;
        let sub = match format {
            Format::Json => parse_json(text)?,
            Format::Lines => Submission::Batch(parse_lines(text)),
        };
        if let Submission::Batch(b) = &sub {
            if b.is_empty() {
                return Err(ApiError::bad_request(
                    "no entries: send one entry (a JSON object) or a non-empty array of entries",
                ));
            }
            if b.len() > max {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_many_entries",
                    format!(
                        "{} entries in one request; this server takes at most {max}: split the batch",
                        b.len()
                    ),
                ));
            }
        }
        Ok(SignedEntries(sub))
    }
}

fn media_type(v: Option<&HeaderValue>) -> Result<Format, ApiError> {
    let t = v
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match t.as_str() {
        "application/json" => Ok(Format::Json),
        "application/x-ndjson" | "application/jsonl" => {
            Ok(Format::Lines)
        }
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Content-Type {}: send `application/json` (one entry or an array of entries) or `application/x-ndjson` (one entry per line, as `truce sign` writes)",
                if t.is_empty() { "missing".to_string() } else { format!("`{t}`") }
            ),
        )),
    }
}

fn not_json(e: &serde_json::Error) -> ApiError {
    let mut m = format!("the body is not valid JSON: {e}");
    if matches!(e.classify(), serde_json::error::Category::Syntax) && e.line() > 1 {
        m.push_str(" (several entries? send them as a JSON array, or as JSON Lines with Content-Type: application/x-ndjson)");
    }
    ApiError::bad_request(m)
}

fn parse_json(text: &str) -> Result<Submission, ApiError> {
    let raw: &RawValue = serde_json::from_str(text).map_err(|e| not_json(&e))?;
    match raw.get().as_bytes().first() {
        Some(b'{') => Ok(Submission::One(raw.get().as_bytes().to_vec())),
        Some(b'[') => {
            let items: Vec<&RawValue> =
                serde_json::from_str(raw.get()).map_err(|e| not_json(&e))?;
            Ok(Submission::Batch(
                items
                    .into_iter()
                    .map(|r| {
                        if r.get().starts_with('{') {
                            Ok(r.get().as_bytes().to_vec())
                        } else {
                            Err(ApiError::bad_request(
                                "an entry is a JSON object (the signed envelope)",
                            ))
                        }
                    })
                    .collect(),
            ))
        }
        _ => Err(ApiError::bad_request(
            "expected one entry (a JSON object) or an array of entries",
        )),
    }
}

fn parse_lines(text: &str) -> Vec<Result<Vec<u8>, ApiError>> {
    text.split('\n')
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            let raw: &RawValue = serde_json::from_str(l).map_err(|e| {
                ApiError::bad_request(format!("line {} is not valid JSON: {e}", n + 1))
            })?;
            if raw.get().starts_with('{') {
                Ok(raw.get().as_bytes().to_vec())
            } else {
                Err(ApiError::bad_request(format!(
                    "line {}: an entry is a JSON object (the signed envelope)",
                    n + 1
                )))
            }
        })
        .collect()
}

/// The signing key ids named by entries (`key` field), for the per-key rate limit.
fn key_ids<'a>(entries: impl Iterator<Item = &'a [u8]>) -> BTreeSet<String> {
    #[derive(Deserialize)]
    struct KeyOnly {
        #[serde(default)]
        key: Option<String>,
    }
    entries
        .filter_map(|e| serde_json::from_slice::<KeyOnly>(e).ok()?.key)
        .collect()
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn submit(State(s): State<AppState>, SignedEntries(sub): SignedEntries) -> Response {
    if s.0.stopping.load(Ordering::SeqCst) {
        return ApiError::unavailable("the server is shutting down; retry later").into_response();
    }
    // Per-key rate limit: once per distinct key named in the request.
    let keys = match &sub {
        Submission::One(e) => key_ids(std::iter::once(e.as_slice())),
        Submission::Batch(b) => {
            key_ids(b.iter().filter_map(|r| r.as_ref().ok()).map(Vec::as_slice))
        }
    };
    for k in &keys {
        if !s.0.access.allow_key(k) {
            let rate = s.0.config.rate_per_key;
            let after = if rate > 0.0 {
                (1.0 / rate).ceil().max(1.0) as u64
            } else {
                60
            };
            let mut r = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many submissions signed by key {k} (at most {rate} per second); retry after {after} s"),
            )
            .field("key")
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(after));
            return r;
        }
    }
    match sub {
        Submission::One(e) => match s.0.writer.submit(vec![e]).await {
            Ok(mut rs) => match rs.pop() {
                Some(Ok(ack)) => no_store(Json(ack).into_response()),
                Some(Err(e)) => e.into_response(),
                None => ApiError::internal("the writer returned no result").into_response(),
            },
            Err(e) => e.into_response(),
        },
        Submission::Batch(items) => {
            let good: Vec<Vec<u8>> = items
                .iter()
                .filter_map(|r| r.as_ref().ok())
                .cloned()
                .collect();
            let mut acked = match s.0.writer.submit(good).await {
                Ok(r) => r.into_iter(),
                Err(e) => return e.into_response(),
            };
            let results: Vec<Result<Ack, ApiError>> = items
                .into_iter()
                .map(|r| match r {
                    Ok(_) => acked.next().unwrap_or_else(|| {
                        Err(ApiError::internal("the writer returned too few results"))
                    }),
                    Err(e) => Err(e),
                })
                .collect();
            batch_response(results)
        }
    }
}

/// The batch answer (see the module documentation for the rule).
fn batch_response(results: Vec<Result<Ack, ApiError>>) -> Response {
    let first_ok = results.iter().find_map(|r| r.as_ref().ok()).cloned();
    let first_err = results
        .iter()
        .enumerate()
        .find_map(|(i, r)| r.as_ref().err().map(|e| (i, e.clone())));
    let results: Vec<EntryResult> = results
        .into_iter()
        .map(|r| match r {
            Ok(a) => EntryResult::Ok(a),
            Err(e) => EntryResult::Error(e),
        })
        .collect();
    match (first_ok, first_err) {
        (Some(ack), _) => no_store(
            Json(BatchResponse {
                results,
                tree_size: ack.tree_size,
                checkpoint: ack.checkpoint,
            })
            .into_response(),
        ),
        (None, Some((i, mut e))) => {
            e.field = Some(match e.field.take() {
                Some(f) => format!("entries[{i}].{f}"),
                None => format!("entries[{i}]"),
            });
            #[derive(Serialize)]
            struct AllRefused<'a> {
                error: &'a ApiError,
                results: Vec<EntryResult>,
            }
            let status = e.status;
            no_store((status, Json(AllRefused { error: &e, results })).into_response())
        }
        (None, None) => ApiError::bad_request("no entries").into_response(),
    }
}
