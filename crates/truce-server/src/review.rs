//! The HTTP face of the monitors' review queue (`GET /v1/review/queue`,
//! `GET /v1/review/incidents/{id}`): the questions and their JSON are `truce_views::review`'s,
//! the same as `truce review`'s.

use crate::access::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::collections::BTreeMap;
use truce_model::domain::Question;
use truce_model::{Id, Role};
pub use truce_views::review::{
    current_quorum, incident, queue, IncidentReview, Queue, QueueFilter, ReviewQuestion,
};

/// Default page size of the queue (or `max_page`, if smaller).
const DEFAULT_LIMIT: usize = 100;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/review/queue", get(queue_handler))
        .route("/v1/review/incidents/{id}", get(incident_handler))
}

/// Monitors and the operator only; everyone else (public callers too) gets 403.
fn reviewer(caller: &Caller) -> Result<(), ApiError> {
    match caller.role {
        Some(Role::Monitor | Role::Operator) => Ok(()),
        _ => Err(ApiError::forbidden(
            "the review queue is for monitors and the operator: present a monitor or operator token (`truce token create <mission> --role monitor`)",
        )),
    }
}

fn private(v: impl Serialize) -> Response {
    let mut r = Json(v).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Authorization"));
    r
}

fn bad(name: &str, why: impl Into<String>) -> ApiError {
    ApiError::bad_request(format!("parameter {name}: {}", why.into())).field(name)
}

/// The query of `GET /v1/review/queue`, checked: unknown, repeated or malformed parameters are
/// refused naming the parameter.
fn queue_params(
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
    max_page: usize,
) -> Result<(QueueFilter, usize, usize), ApiError> {
    const ALLOWED: &[&str] = &["limit", "offset", "party", "question"];
    let Query(pairs) =
        q.map_err(|e| ApiError::bad_request(format!("malformed query string: {}", e.body_text())))?;
    let mut p: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in pairs {
        if !ALLOWED.contains(&k.as_str()) {
            return Err(ApiError::bad_request(format!(
                "unknown parameter {k:?}; this endpoint takes {}",
                ALLOWED.join(", ")
            ))
            .field(k));
        }
        if p.insert(k.clone(), v).is_some() {
            return Err(ApiError::bad_request(format!("parameter {k:?} is given twice")).field(k));
        }
    }
    let num = |k: &str| -> Result<Option<usize>, ApiError> {
        p.get(k)
            .map(|v| {
                v.parse::<usize>()
                    .map_err(|_| bad(k, format!("{v:?} is not a non-negative integer")))
            })
            .transpose()
    };
    let limit = match num("limit")? {
        Some(l) if l > max_page => {
            return Err(bad(
                "limit",
                format!("{l} is above the largest page, {max_page}"),
            ))
        }
        Some(l) => l,
        None => DEFAULT_LIMIT.min(max_page),
    };
    let offset = num("offset")?.unwrap_or(0);
    let party = p
        .get("party")
        .map(|v| Id::new(v).map_err(|e| bad("party", e)))
        .transpose()?;
    let question = match p.get("question").map(String::as_str) {
        None => None,
        Some("occurrence") => Some(Question::Occurrence),
        Some("attribution") => Some(Question::Attribution),
        Some(v) => {
            return Err(bad(
                "question",
                format!("{v:?}: use occurrence or attribution"),
            ))
        }
    };
    Ok((QueueFilter { party, question }, limit, offset))
}

/// The quorum in force now, read from the ledger (blocking: call on the blocking pool).
fn quorum_now(s: &AppState) -> u32 {
    current_quorum(&s.0.ledger.read().unwrap_or_else(|p| p.into_inner()))
}

/// `GET /v1/review/queue`.
#[utoipa::path(get, path = "/v1/review/queue", tag = "review",
    summary = "The monitors' review queue: open occurrence and attribution questions, oldest incident first (monitor and operator tokens)",
    description = "For a monitor or operator token (others, public callers included, get 403). Lists, for each incident that is not routine, the occurrence question and each attribution question whose review is not decided: `unassessed` (no assessment counts yet), `pending` (the counted officers agree but fall short of the quorum) or `contested` (they disagree). Each item gives the incident, its day, the question (and `party`), the current `grade`, `state`, `quorum`, `tally`, who assessed it already (`assessed_by`: mission, officer key id, verdict, counted), the parties whose reports raise it (`raised_by`: they do not assess it) and the entry ids of the reports an assessment cites (`reports`; an assessor leaves out its own).\n\nTo answer a question, an officer signs an `assessment` entry with their own monitor key, client-side (`{\"reports\": [entry ids], \"question\": \"attribution\", \"party\": \"ua\", \"verdict\": \"verified\", \"text\": \"...\"}`; `truce sign` or `truce review assess` make it), and submits it with `POST /v1/entries`. The question leaves the queue once as many distinct officers as the review policy's quorum agree. The same JSON as `truce review queue --json`.",
    params(crate::openapi::PageParams,
        ("party" = Option<String>, Query, description = "Only the attribution questions about this party"),
        ("question" = Option<String>, Query, description = "Only `occurrence` or only `attribution` questions")),
    responses(
        (status = 200, description = "A page: `{items, total, limit, offset, log_size, quorum}`", body = Queue),
        (status = 400, description = "A parameter is malformed or unknown (`field` names it)", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a monitor or operator token", body = crate::openapi::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn queue_handler(
    State(s): State<AppState>,
    caller: Caller,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    reviewer(&caller)?;
    let (filter, limit, offset) = queue_params(q, s.0.config.max_page)?;
    let stamp = s.0.views.current(&s).await?;
    let page = tokio::task::spawn_blocking(move || {
        let quorum = quorum_now(&s);
        s.0.views
            .with(|v| queue(v, &filter, quorum, limit, offset, stamp.log_size))
            .map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(private(page))
}

/// `GET /v1/review/incidents/{id}`.
#[utoipa::path(get, path = "/v1/review/incidents/{id}", tag = "review",
    summary = "One incident's questions, reviews and every assessment (counted or not, and why), with its reports (monitor and operator tokens)",
    params(("id" = String, Path, description = "Incident id (`inc-` + 16 hex digits)")),
    responses(
        (status = 200, description = "`{incident, day, start, end, routine, quorum, questions, assessments, reports, log_size}`; the same JSON as `truce review show --json`", body = IncidentReview),
        (status = 400, description = "A parameter is given (this endpoint takes none)", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not a monitor or operator token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such incident", body = crate::openapi::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn incident_handler(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    reviewer(&caller)?;
    let Query(pairs) =
        q.map_err(|e| ApiError::bad_request(format!("malformed query string: {}", e.body_text())))?;
    if let Some((k, _)) = pairs.first() {
        return Err(ApiError::bad_request(format!(
            "unknown parameter {k:?}; this endpoint takes none"
        ))
        .field(k.clone()));
    }
    let stamp = s.0.views.current(&s).await?;
    let r = tokio::task::spawn_blocking(move || {
        let quorum = quorum_now(&s);
        s.0.views
            .with(|v| incident(v, &id, quorum, stamp.log_size))
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "no incident {id:?}; GET /v1/review/queue lists the open questions, GET /v1/incidents every incident"
                ))
            })
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(private(r))
}
