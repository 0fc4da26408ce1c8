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
//! A batch is **atomic** by default: every entry is judged in order, against the log *and the
//! batch's earlier entries*, and either all are appended (in one durable commit) or none is. A
//! client that wants each entry judged on its own asks with `?atomic=false`.
//!
//! Answers:
//! - one entry: `200` with an [`Ack`] (also for an exact duplicate, with `duplicate: true` and the
//!   index it already has; with `flags` when the submission gates noticed a late filing, with its
//!   delay, or a report whose event ends after its filing), or the refusal's status with the error shape
//!   `{"error": {"status", "code", "message", "field"?}}`.
//! - an atomic batch: `200` with [`BatchResponse`] `{"results": [{"status": 200, "ok": Ack}, …],
//!   "tree_size", "checkpoint"}` when every entry is acknowledged; else nothing is appended and
//!   the answer is the first refused entry's status with the error shape, its `field` prefixed
//!   `entries[i]` (0-based position in the batch) and its message naming the entry (and its
//!   line, for JSON Lines) and why.
//! - a batch with `?atomic=false`: `207 Multi-Status` with [`BatchResponse`], one result per entry
//!   in order, each `{"status", "ok": Ack}` or `{"status", "error": {…}}`; `tree_size` and
//!   `checkpoint` when at least one entry was acknowledged.
//!
//! Before anything reaches the writer, each entry's envelope and signature are checked against
//! the key registered to its author in the ledger ([`crate::writer::check_signature`]): a
//! malformed entry, a revoked key or a signature that does not verify is refused there. Only a
//! request whose entries verified is charged to the per-key rate limit, once per signing key
//! (a request using a key over its limit is refused whole): key ids are public, so a request that
//! merely names a key — junk with a bad signature — is charged to its client address only (the
//! per-address limit every request passes), and cannot silence the key's holder.
//!
//! Statuses: 400 `bad_request` (not JSON — with line and column —, not UTF-8, wrong types,
//! malformed or non-canonical entry, bad base64, `atomic` neither `true` nor `false`; `field`
//! names the field when known), 400 `invalid`
//! (contradicts the log: unknown reference…), 400 `time_ahead_of_clock` (the entry's `time` is
//! more than `max_clock_skew_s` ahead of this server's clock; `field` `time`), 400
//! `event_starts_after_filing` (a report's event starts more than that after the report's own
//! `time`; `field` `body.time.start`), 401 `unknown_key` / `bad_signature` (the key is not
//! the author's, or the signature does not verify), 403 `revoked_key`, 403 `forbidden` (the
//! author's role may not write this kind), 409 `conflict` (the identifier is already used by
//! another body), 413 `too_large` (body over
//! `max_body_bytes` — refused from its `Content-Length` before it is read —, or an entry over
//! 65,535 bytes) / `too_many_entries`, 405 `method_not_allowed` (not POST), 415
//! `unsupported_media_type`, 429 `rate_limited` (with `Retry-After`), 503 `unavailable`
//! (shutting down, or the log could not be written: resubmit — a duplicate is acknowledged,
//! never stored twice).

use crate::error::ApiError;
use crate::state::AppState;
use crate::writer::Ack;
use crate::writer::{check_signature, Signature};
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Query, Request, State};
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

/// One entry's result in a batch: its status, and `ok` (acknowledged) or `error` (refused).
#[derive(Debug, Clone, Serialize)]
pub struct EntryResult {
    /// The entry's HTTP status: 200 when acknowledged, else the refusal's.
    pub status: u16,
    /// Acknowledged: durable, with its proof.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<Ack>,
    /// Refused (the same shape as a whole-request error's `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

impl From<Result<Ack, ApiError>> for EntryResult {
    fn from(r: Result<Ack, ApiError>) -> Self {
        match r {
            Ok(a) => EntryResult {
                status: StatusCode::OK.as_u16(),
                ok: Some(a),
                error: None,
            },
            Err(e) => EntryResult {
                status: e.status.as_u16(),
                ok: None,
                error: Some(e),
            },
        }
    }
}

/// The answer to a batch: every entry's result, and the checkpoint the proofs lead to.
#[derive(Debug, Clone, Serialize)]
pub struct BatchResponse {
    /// One result per entry, in order.
    pub results: Vec<EntryResult>,
    /// Size of the checkpoint every acknowledgement's proof leads to (absent when nothing was
    /// acknowledged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree_size: Option<u64>,
    /// That checkpoint (signed note text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

/// One entry of a batch as read from the body.
#[derive(Debug)]
pub struct Item {
    /// Its line in a JSON Lines body (1-based).
    pub line: Option<usize>,
    /// Its bytes, or why they are not an entry (refused here, without reaching the writer).
    pub entry: Result<Vec<u8>, ApiError>,
}

/// What a request carries.
#[derive(Debug)]
pub enum Submission {
    /// One entry (a JSON object body): answered with an ack or an error.
    One(Vec<u8>),
    /// A batch (a JSON array, or JSON Lines). An element that is not a JSON object (or a line
    /// that is not JSON) is refused here, without reaching the writer.
    Batch(Vec<Item>),
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
                crate::limits::too_large(limit, None)
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
                    .map(|r| Item {
                        line: None,
                        entry: if r.get().starts_with('{') {
                            Ok(r.get().as_bytes().to_vec())
                        } else {
                            Err(ApiError::bad_request(
                                "an entry is a JSON object (the signed envelope)",
                            ))
                        },
                    })
                    .collect(),
            ))
        }
        _ => Err(ApiError::bad_request(
            "expected one entry (a JSON object) or an array of entries",
        )),
    }
}

fn parse_lines(text: &str) -> Vec<Item> {
    text.split('\n')
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| Item {
            line: Some(n + 1),
            entry: parse_line(n, l),
        })
        .collect()
}

fn parse_line(n: usize, l: &str) -> Result<Vec<u8>, ApiError> {
    {
        {
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
        }
    }
}

/// The query of `POST /v1/entries`.
#[derive(Debug, Default, Deserialize)]
pub struct SubmitParams {
    /// `false`: judge each entry of a batch on its own (answered 207); default `true`.
    pub atomic: Option<bool>,
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn rate_limited(s: &AppState, k: &str) -> Response {
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
    r
}

async fn submit(
    State(s): State<AppState>,
    params: Result<Query<SubmitParams>, QueryRejection>,
    SignedEntries(sub): SignedEntries,
) -> Response {
    if s.0.stopping.load(Ordering::SeqCst) {
        return ApiError::unavailable("the server is shutting down; retry later").into_response();
    }
    let atomic = match params {
        Ok(Query(p)) => p.atomic.unwrap_or(true),
        Err(e) => {
            return ApiError::bad_request(format!(
                "atomic must be `true` (the default: all entries or none) or `false` (each entry judged on its own): {}",
                e.body_text()
            ))
            .field("atomic")
            .into_response()
        }
    };
    let (one, items) = match sub {
        Submission::One(e) => (
            true,
            vec![Item {
                line: None,
                entry: Ok(e),
            }],
        ),
        Submission::Batch(b) => (false, b),
    };
    // Envelopes and signatures against the registered keys, on the blocking pool (the ledger's
    // lock; one signature verification per entry).
    let st = s.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let ledger = st.0.ledger.read().unwrap_or_else(|p| p.into_inner());
        let sigs: Vec<Option<Signature>> = items
            .iter()
            .map(|it| it.entry.as_ref().ok().map(|b| check_signature(&ledger, b)))
            .collect();
        (items, sigs)
    })
    .await;
    let (mut items, sigs) = match checked {
        Ok(c) => c,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let mut keys = BTreeSet::new();
    for (it, sig) in items.iter_mut().zip(sigs) {
        match sig {
            Some(Signature::Refused(e)) => it.entry = Err(e),
            Some(Signature::Verified(k)) => {
                keys.insert(k);
            }
            _ => {}
        }
    }
    if one || atomic {
        if let Some(i) = items.iter().position(|it| it.entry.is_err()) {
            let n = items.len();
            let it = items.swap_remove(i);
            let e = it
                .entry
                .err()
                .unwrap_or_else(|| ApiError::internal("no error"));
            return if one {
                e.into_response()
            } else {
                refused(i, n, it.line, e)
            };
        }
    }
    // Per-key rate limit: once per distinct key whose signature verified.
    for k in &keys {
        if !s.0.access.allow_key(k) {
            return rate_limited(&s, k);
        }
    }
    let good: Vec<Vec<u8>> = items
        .iter()
        .filter_map(|it| it.entry.as_ref().ok())
        .cloned()
        .collect();
    let mut acked = match s.0.writer.submit_with(good, one || atomic).await {
        Ok(r) => {
            // The views follow at once (a few milliseconds for an allegation), not at the next
            // query.
            s.0.views.kick(&s);
            r.into_iter()
        }
        Err(e) => return e.into_response(),
    };
    let n = items.len();
    let mut lines = Vec::with_capacity(n);
    let results: Vec<Result<Ack, ApiError>> = items
        .into_iter()
        .map(|it| {
            lines.push(it.line);
            match it.entry {
                Ok(_) => acked.next().unwrap_or_else(|| {
                    Err(ApiError::internal("the writer returned too few results"))
                }),
                Err(e) => Err(e),
            }
        })
        .collect();
    if one {
        return match results.into_iter().next() {
            Some(Ok(ack)) => no_store(Json(ack).into_response()),
            Some(Err(e)) => e.into_response(),
            None => ApiError::internal("the writer returned no result").into_response(),
        };
    }
    if atomic {
        // The refused entry: the first refused for a reason of its own (the others of an
        // atomic request are `not_appended`, naming it).
        let at = results
            .iter()
            .position(|r| r.as_ref().is_err_and(|e| e.code != "not_appended"))
            .or_else(|| results.iter().position(Result::is_err));
        if let Some(i) = at {
            let e = results
                .into_iter()
                .nth(i)
                .and_then(Result::err)
                .unwrap_or_else(|| ApiError::internal("no error"));
            return refused(i, n, lines[i], e);
        }
    }
    let cp = results.iter().find_map(|r| r.as_ref().ok()).cloned();
    let status = if atomic {
        StatusCode::OK
    } else {
        StatusCode::MULTI_STATUS
    };
    let body = BatchResponse {
        results: results.into_iter().map(EntryResult::from).collect(),
        tree_size: cp.as_ref().map(|a| a.tree_size),
        checkpoint: cp.map(|a| a.checkpoint),
    };
    no_store((status, Json(body)).into_response())
}

/// The refusal of an atomic batch of `n` entries at its entry `i` (on `line` of JSON Lines):
/// the entry's status and error, its field prefixed `entries[i]`, its message naming it.
fn refused(i: usize, n: usize, line: Option<usize>, mut e: ApiError) -> Response {
    e.field = Some(match e.field.take() {
        Some(f) => format!("entries[{i}].{f}"),
        None => format!("entries[{i}]"),
    });
    let at = match line {
        Some(l) => format!("entries[{i}] (entry {} of {n}, line {l})", i + 1),
        None => format!("entries[{i}] (entry {} of {n})", i + 1),
    };
    e.message = if e.status.is_client_error() {
        format!(
            "{at} refused: {}; nothing of this request was appended (a batch is all or nothing; `?atomic=false` has each entry judged on its own)",
            e.message
        )
    } else {
        format!("{at}: {}", e.message)
    };
    e.into_response()
}
