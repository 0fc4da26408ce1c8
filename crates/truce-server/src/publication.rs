//! The HTTP face of publications: `POST /v1/publications` (an operator or monitor token; the
//! server signs with the operator's key, `DIR/operator.key`, and appends through the writer
//! thread) and `GET /v1/publications` (public: every publication entry, in log order). What is
//! published is computed by `truce_views::publication`, the same code as `truce publish`.

use crate::access::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::writer::Ack;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use truce_model::domain::Publication;
use truce_model::entry::{sign, Body};
use truce_model::{Id, Role, Time};
use truce_report::Day;
pub use truce_views::publication::{
    prepare, replay_at_checkpoint, Prepared, Publish, FINDINGS, REPORT_DAILY,
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/publications", get(list).post(publish))
}

/// The body of `POST /v1/publications`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// `findings` (the findings and compliance) or `report.daily`.
    pub what: String,
    /// For `report.daily`: the day, `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
    /// For `report.daily`: the time zone the day is counted in, an IANA name (`Europe/Kyiv`) or
    /// a UTC offset `±HH:MM` (default `UTC`).
    #[serde(default)]
    pub tz: Option<String>,
    /// For `report.daily`: an evening cut-off `HH:MM`; the day runs from the previous day's
    /// cut-off to this day's (default: midnight).
    #[serde(default)]
    pub cutoff: Option<String>,
    /// Also return the published documents' text (they can be large).
    #[serde(default)]
    pub documents: bool,
}

/// The answer to `POST /v1/publications`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublishResponse {
    /// The publication's body as appended (digests by document name).
    #[schema(value_type = Object)]
    pub publication: Publication,
    /// Who signed it (`operator`).
    pub author: String,
    /// The acknowledgement of the entry: index, entry id, checkpoint, inclusion proof.
    pub ack: Ack,
    /// With `documents: true`: each document's exact text, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<BTreeMap<String, String>>,
}

/// `POST /v1/publications`.
#[utoipa::path(post, path = "/v1/publications", tag = "submit",
    summary = "Publish the findings or a daily report: digests computed at the current log size, appended as an operator-signed publication entry",
    description = "For an operator or monitor token. The server replays the log to its latest checkpoint, computes the documents (`findings`: `findings` and `compliance`; `report.daily`: `report`, for `date` in `tz`, cut off at `cutoff`), signs a `publication` entry with the operator's key (`DIR/operator.key`) holding their SHA-256, the log size, the rules version and the parameters (`role` and `requested_by` name the caller), and appends it through the writer. `truce verify` recomputes every publication. With `documents: true`, the answer carries the documents' exact text.",
    request_body(content = PublishRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Durable: the publication and its acknowledgement (index, checkpoint, inclusion proof)", body = PublishResponse),
        (status = 400, description = "Malformed request: unknown `what`, bad date, time zone or cut-off (`field` names it)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token", body = crate::openapi::ErrorBody),
        (status = 403, description = "The token's role is neither operator nor monitor", body = crate::openapi::ErrorBody),
        (status = 503, description = "This server holds no operator key, or it is shutting down, or the log could not be written", body = crate::openapi::ErrorBody),
    ),
    security(("bearer" = [])))]
pub(crate) async fn publish(
    State(s): State<AppState>,
    caller: Caller,
    body: Result<Json<PublishRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let (party, role) = caller.require()?;
    if !matches!(role, Role::Operator | Role::Monitor) {
        return Err(ApiError::forbidden(format!(
            "publications are made by the operator or a monitor; this token acts as a {}",
            role.as_str()
        )));
    }
    let Json(req) = body.map_err(|e| crate::error::json_body(&e, "the body", None))?;
    let what = match req.what.as_str() {
        FINDINGS => {
            for (f, v) in [
                ("date", &req.date),
                ("tz", &req.tz),
                ("cutoff", &req.cutoff),
            ] {
                if v.is_some() {
                    return Err(ApiError::bad_request(format!(
                        "`{f}` is for report.daily; findings take no date"
                    ))
                    .field(f));
                }
            }
            Publish::Findings
        }
        REPORT_DAILY => {
            let date = req.date.as_deref().ok_or_else(|| {
                ApiError::bad_request("report.daily needs `date` (YYYY-MM-DD)").field("date")
            })?;
            let tz = req.tz.as_deref().unwrap_or("UTC");
            Publish::ReportDaily(day_of(date, tz, req.cutoff.as_deref())?)
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown `what` {other:?}: publish `findings` or `report.daily`"
            ))
            .field("what"))
        }
    };
    if s.0.stopping.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(ApiError::unavailable(
            "the server is shutting down; retry later",
        ));
    }
    let mut params = BTreeMap::new();
    params.insert("role".to_string(), role.as_str().to_string());
    params.insert("requested_by".to_string(), party.to_string());
    let key_path = s.0.dir.join("operator.key");
    let s2 = s.clone();
    let (prepared, entry) = tokio::task::spawn_blocking(move || {
        let text = truce_store::keyfile::read(&key_path).map_err(|e| {
            tracing::warn!("POST /v1/publications: {e}");
            ApiError::unavailable(
                "this server holds no operator key (DIR/operator.key, written by `truce init`): publish with `truce publish` where the key is",
            )
        })?;
        let signer = truce_log::parse_signer(&text).map_err(ApiError::internal)?;
        let dir = s2.0.dir.clone();
        let prepared = s2
            .0
            .readers
            .with(|r| {
                let (cp, ledger) = replay_at_checkpoint(r)?;
                prepare(&dir, r, ledger, &cp, what, params)
            })
            .map_err(ApiError::internal)?;
        let operator = Id::new("operator").map_err(ApiError::internal)?;
        let env = sign(
            &operator,
            Time(jiff::Timestamp::now()),
            &Body::Publication(prepared.body.clone()),
            &signer,
        )
        .map_err(ApiError::internal)?;
        Ok::<_, ApiError>((prepared, env.bytes))
    })
    .await
    .map_err(ApiError::internal)??;
    let ack = match s.0.writer.submit(vec![entry]).await?.pop() {
        Some(Ok(ack)) => ack,
        Some(Err(e)) => return Err(e),
        None => return Err(ApiError::internal("the writer returned no result")),
    };
    tracing::info!(
        index = ack.index,
        what = %prepared.body.what,
        size = prepared.body.size,
        "published"
    );
    let documents = req.documents.then(|| {
        prepared
            .documents
            .iter()
            .map(|(n, d)| (n.clone(), String::from_utf8_lossy(d).into_owned()))
            .collect()
    });
    let mut r = Json(PublishResponse {
        publication: prepared.body,
        author: "operator".into(),
        ack,
        documents,
    })
    .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The query of `GET /v1/publications`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    limit: Option<usize>,
    offset: Option<usize>,
    what: Option<String>,
}

/// `GET /v1/publications`.
#[utoipa::path(get, path = "/v1/publications", tag = "ledger",
    summary = "Publication entries in log order: what was published, at which log size, under which rules, with the SHA-256 of each document",
    params(crate::openapi::PageParams,
        ("what" = Option<String>, Query, description = "Only `findings` or `report.daily` publications")),
    responses((status = 200, description = "A page: `{items: [{index, entry_id, author, entry_time, publication}], total, limit, offset, log_size}`", body = crate::openapi::PageDoc),
        (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn list(
    State(s): State<AppState>,
    caller: Caller,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| {
        ApiError::bad_request(format!(
            "{}; this endpoint takes limit, offset and what",
            e.body_text()
        ))
    })?;
    let max = s.0.config.max_page;
    let limit = q.limit.unwrap_or(100.min(max));
    if limit == 0 || limit > max {
        return Err(
            ApiError::bad_request(format!("limit must be between 1 and {max}")).field("limit"),
        );
    }
    let offset = q.offset.unwrap_or(0);
    let size = s.checkpoint().size;
    // The ledger is read-locked on a blocking thread: the writer holds its write lock across a
    // durable commit.
    let s2 = s.clone();
    let v = tokio::task::spawn_blocking(move || {
        let l = s2.0.ledger.read().unwrap_or_else(|p| p.into_inner());
        let all: Vec<_> = l
            .publications
            .iter()
            .filter(|r| q.what.as_ref().is_none_or(|w| &r.value.what == w))
            .collect();
        let items: Vec<Value> = all
            .iter()
            .skip(offset)
            .take(limit)
            .map(|r| {
                json!({
                    "index": r.index,
                    "entry_id": r.entry_id,
                    "author": r.author,
                    "entry_time": r.time,
                    "publication": r.value,
                })
            })
            .collect();
        json!({"items": items, "total": all.len(), "limit": limit, "offset": offset, "log_size": size})
    })
    .await
    .map_err(ApiError::internal)?;
    let mut r = (StatusCode::OK, Json(v)).into_response();
    let cache = if caller.is_public() {
        "no-cache"
    } else {
        "private, no-store"
    };
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Authorization"));
    Ok(r)
}

/// The report's day for `date` in `tz` (cut off at `cutoff`): a 400 naming the field at fault.
pub(crate) fn day_of(date: &str, tz: &str, cutoff: Option<&str>) -> Result<Day, ApiError> {
    Day::new(date, tz, cutoff).map_err(|e| {
        let field = match e {
            truce_report::ReportError::Date(_) => "date",
            truce_report::ReportError::Zone(_) => "tz",
            truce_report::ReportError::Cutoff(_) => "cutoff",
        };
        ApiError::bad_request(e.to_string()).field(field)
    })
}
